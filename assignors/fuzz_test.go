package assignors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/spec"
)

// Fuzzed requests and groups larger than these are skipped: a few bytes can
// ask for millions of partitions, which is the benchmarks' ground; the
// fuzzer's is every shape of small input.
const (
	fuzzMaxPartitions = 4096
	fuzzMaxMembers    = 256
	// oracleMaxPartitions and oracleMaxMembers bound the inputs the
	// enumerating oracle checks.
	oracleMaxPartitions = 10
	oracleMaxMembers    = 6
)

// FuzzAssignJSON: any bytes into the decoder of `kgroup assign`. Every
// request it accepts gets, from every client-side assignor, a valid plan (every member
// present, each partition of a subscribed topic given once, only to a
// subscriber; cooperative-sticky may withhold what another member still
// claims), balanced as the assignor promises, the same whatever the order
// of the members; on small inputs the sticky pair's plan is optimal against
// the oracle. A request naming a server-side assignor ("uniform",
// "server-range", with member racks and partition_racks) is also checked
// as `kgroup assign` computes it (checkFuzzedServerPlan).
func FuzzAssignJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseRequest(data)
		if err != nil {
			return
		}
		n := int64(0)
		for _, c := range in.Topics {
			n += int64(c)
		}
		if n > fuzzMaxPartitions || len(in.Members) > fuzzMaxMembers {
			return
		}
		for _, a := range All() {
			if err := checkFuzzedPlan(a, in.Topics, in.Members, n); err != nil {
				t.Fatalf("%s: %v\nrequest: %s", a.Name(), err, data)
			}
		}
		if in.Server != nil {
			if err := checkFuzzedServerPlan(in, n); err != nil {
				t.Fatalf("%s (server side): %v\nrequest: %s", in.Server.Name(), err, data)
			}
		}
	})
}

// checkFuzzedServerPlan checks the plan of a request naming a server-side
// assignor ("uniform", "server-range"), as `kgroup assign` computes it
// (Input.Assign): an error only for input validateServer refuses (a
// partition in two members' current assignment); else a valid plan (every
// member present, each partition of a subscribed topic given once, only
// to a subscriber), the same when computed again and whatever the order
// of the members and of each partition's racks; uniform's optimal against
// the oracle on small inputs (balance, then rack matches when KIP-881
// applies, then moves), server-range's independent of the current
// assignment.
func checkFuzzedServerPlan(in Input, partitions int64) error {
	plan, err := in.Assign()
	if err != nil {
		if _, verr := validateServer(in.Metadata, in.Members); verr != nil {
			return nil
		}
		return fmt.Errorf("an accepted request failed: %w", err)
	}
	if err := checkPlanValid(in.Topics, in.Members, plan, false); err != nil {
		return err
	}
	again, err := in.Assign()
	if err != nil || !cmp.Equal(plan, again) {
		return fmt.Errorf("computed twice, the plans differ (%v):\n%s", err, cmp.Diff(plan, again))
	}
	sin := serverInput{in.Metadata, in.Members}
	perm := shuffledServer(sin, uint64(partitions)+uint64(len(in.Members)))
	again, err = in.Server.Assign(perm.topics, perm.members)
	if err != nil {
		return fmt.Errorf("the permuted request failed: %w", err)
	}
	if d := cmp.Diff(plan, again); d != "" {
		return fmt.Errorf("permuting the members and the racks changed the plan:\n%s", d)
	}
	switch in.Server.(type) {
	case Uniform:
		if partitions <= oracleMaxPartitions && len(in.Members) <= oracleMaxMembers {
			return checkUniformOptimal(sin, plan)
		}
	case ServerRange:
		fresh := slices.Clone(in.Members)
		for i := range fresh {
			fresh[i].Owned = nil
		}
		again, err := in.Server.Assign(in.Metadata, fresh)
		if err != nil || !cmp.Equal(plan, again) {
			return fmt.Errorf("the current assignment changed the plan (%v):\n%s", err, cmp.Diff(plan, again))
		}
	}
	return nil
}

func checkFuzzedPlan(a Assignor, topics map[string]int32, members []Member, partitions int64) error {
	plan, err := a.Assign(topics, members)
	if err != nil {
		return fmt.Errorf("an accepted request failed: %w", err)
	}
	switch a.(type) {
	case Range, RoundRobin:
		var caught string
		checkPlan(fatalRecorder{&caught}, a, topics, members, plan)
		if caught != "" {
			return fmt.Errorf("%s", caught)
		}
	case Sticky:
		err = checkPlanValid(topics, members, plan, false)
		if err == nil && partitions <= oracleMaxPartitions && len(members) <= oracleMaxMembers {
			err = checkEagerOptimal(topics, members, plan)
		}
	case CooperativeSticky:
		err = checkCooperativeSafe(topics, members, plan)
		if err == nil && partitions <= oracleMaxPartitions && len(members) <= oracleMaxMembers {
			err = checkCooperativeOptimal(a, topics, members, plan)
		}
	}
	if err != nil {
		return err
	}
	again, err := a.Assign(topics, shuffled(members, uint64(partitions)+uint64(len(members))))
	if err != nil {
		return fmt.Errorf("the permuted request failed: %w", err)
	}
	if d := cmp.Diff(plan, again); d != "" {
		return fmt.Errorf("permuting the members changed the plan:\n%s", d)
	}
	return nil
}

// TestAssignJSONCorpus keeps FuzzAssignJSON's seeds committed: the first
// requests of each golden family, as JSON, for each assignor, and the
// requests the CLI's tests send.
func TestAssignJSONCorpus(t *testing.T) {
	var seeds [][]byte
	for _, fam := range goldenFamilies() {
		if fam.name == "huge" {
			continue
		}
		for i := range min(fam.cases, 8) {
			in := fam.draw(rand.New(rand.NewPCG(uint64(i), uint64(len(fam.name)))))
			a := All()[i%len(All())]
			seeds = append(seeds, requestJSON(t, a.Name(), in))
		}
	}
	// The server-side assignors, with partition racks: the first inputs of
	// each server golden family.
	for _, fam := range serverGoldenFamilies() {
		for i := range min(fam.cases, 6) {
			in := fam.draw(rand.New(rand.NewPCG(uint64(i), uint64(len(fam.name))+100)))
			seeds = append(seeds, serverRequestJSON(t, []string{"uniform", "server-range"}[i%2], in))
		}
	}
	seeds = append(seeds,
		[]byte(`{"assignor":"uniform","partitions":{"t":3,"u":1},"partition_racks":{"t":[["r1"],["r2"],["r1","r2"]],"u":[[]]},"members":[{"member_id":"a","rack":"r1","topics":["t","u"],"owned":{"t":[1]}},{"member_id":"b","instance_id":"i","rack":"r2","topics":["t"]}]}`),
		[]byte(`{"assignor":"server-range","partitions":{"t":4},"partition_racks":{"t":[["r1"],["r2"],["r1"],["r2"]]},"members":[{"member_id":"a","rack":"r1","topics":["t"],"owned":{"t":[0,1]}},{"member_id":"b","topics":["t","gone"]}]}`),
		[]byte(`{"assignor":"uniform","partitions":{"t":2},"members":[{"member_id":"a","topics":["t"],"owned":{"t":[0]}},{"member_id":"b","topics":["t"],"owned":{"t":[0]}}]}`),
		[]byte(`{"assignor":"range","partitions":{"t1":3,"t2":2},"members":[{"member_id":"c1","topics":["t1","t2"],"owned":{"t1":[0]},"generation":1},{"member_id":"c2","instance_id":"i2","rack":"r1","topics":["t1"]}]}`),
		[]byte(`{"assignor":"cooperative-sticky","partitions":{"t":2},"members":[{"member_id":"a","topics":["t"],"owned":{"t":[1,2]},"generation":3},{"member_id":"b","topics":["t"]}]}`),
		[]byte(`{"assignor":"sticky","partitions":{},"members":[]}`))
	fuzzcorpus.Seeds(t, "FuzzAssignJSON", seeds)
}

// requestJSON writes in as a `kgroup assign` request for assignor a.
func requestJSON(t *testing.T, a string, in stickyInput) []byte {
	req := Request{Assignor: a, Partitions: map[string]int64{}}
	for topic, n := range in.topics {
		req.Partitions[topic] = int64(n)
	}
	for _, m := range in.members {
		gen := int64(m.Generation)
		rm := RequestMember{MemberID: m.ID, InstanceID: m.InstanceID, Rack: m.Rack, Topics: m.Topics, Generation: &gen}
		for _, tp := range m.Owned {
			if rm.Owned == nil {
				rm.Owned = map[string][]int64{}
			}
			if !slices.Contains(rm.Owned[tp.Topic], int64(tp.Partition)) {
				rm.Owned[tp.Topic] = append(rm.Owned[tp.Topic], int64(tp.Partition))
			}
		}
		req.Members = append(req.Members, rm)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serverRequestJSON writes in as a `kgroup assign` request for server-side
// assignor a, with its partition racks.
func serverRequestJSON(t *testing.T, a string, in serverInput) []byte {
	req := Request{Assignor: a, Partitions: map[string]int64{}}
	for topic, md := range in.topics {
		req.Partitions[topic] = int64(md.Partitions)
		if md.Racks != nil {
			if req.PartitionRacks == nil {
				req.PartitionRacks = map[string][][]string{}
			}
			req.PartitionRacks[topic] = md.Racks
		}
	}
	for _, m := range in.members {
		rm := RequestMember{MemberID: m.ID, InstanceID: m.InstanceID, Rack: m.Rack, Topics: m.Topics}
		for _, tp := range m.Owned {
			if rm.Owned == nil {
				rm.Owned = map[string][]int64{}
			}
			if !slices.Contains(rm.Owned[tp.Topic], int64(tp.Partition)) {
				rm.Owned[tp.Topic] = append(rm.Owned[tp.Topic], int64(tp.Partition))
			}
		}
		req.Members = append(req.Members, rm)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzMemberMetadata: any bytes as what a remote client sends in JoinGroup
// and SyncGroup — a ConsumerProtocolSubscription, the sticky assignors'
// user data, a ConsumerProtocolAssignment — and as the metadata of a
// member of a group the wire path decodes. Each decoder gives an error or a
// value, never a panic; what it accepts writes back to bytes that decode to
// the same value and write back to the same bytes; and a group decoded on
// the wire path assigns as the same members decoded field by field do.
func FuzzMemberMetadata(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := subscriptionRoundTrip(b); err != nil {
			t.Fatalf("subscription %x: %v", b, err)
		}
		if err := userDataRoundTrip(b); err != nil {
			t.Fatalf("user data %x: %v", b, err)
		}
		if err := assignmentRoundTrip(b); err != nil {
			t.Fatalf("assignment %x: %v", b, err)
		}
		for _, a := range All() {
			if err := wireGroupAgrees(a, b); err != nil {
				t.Fatalf("%s, metadata %x: %v", a.Name(), b, err)
			}
		}
	})
}

func subscriptionRoundTrip(b []byte) error {
	sub, err := DecodeSubscription(b)
	if err != nil {
		return nil
	}
	version := min(int16(binary.BigEndian.Uint16(b)), SubscriptionVersion)
	enc, err := EncodeSubscription(version, sub)
	if err != nil {
		return fmt.Errorf("accepted, but cannot be written back at version %d: %w", version, err)
	}
	again, err := DecodeSubscription(enc)
	if err != nil {
		return fmt.Errorf("written back as %x, which does not decode: %w", enc, err)
	}
	if d := cmp.Diff(sub, again); d != "" {
		return fmt.Errorf("written back and read again, it differs:\n%s", d)
	}
	if enc2, _ := EncodeSubscription(version, again); !bytes.Equal(enc, enc2) {
		return fmt.Errorf("written twice, it differs: %x then %x", enc, enc2)
	}
	return nil
}

func userDataRoundTrip(b []byte) error {
	if owned, gen, err := (Sticky{}).DecodeUserData(b); err == nil {
		enc, err := Sticky{}.AppendUserData(nil, owned, gen)
		if err != nil {
			return fmt.Errorf("sticky: accepted, but cannot be written back: %w", err)
		}
		owned2, gen2, err := Sticky{}.DecodeUserData(enc)
		want := slices.Clone(owned)
		spec.SortPartitions(want) // written one entry per topic, ascending
		if err != nil || gen2 != gen || !slices.Equal(owned2, want) {
			return fmt.Errorf("sticky: %v at %d written back reads as %v at %d (%v)", want, gen, owned2, gen2, err)
		}
	}
	if _, gen, err := (CooperativeSticky{}).DecodeUserData(b); err == nil {
		enc := CooperativeSticky{}.EncodeUserData(nil, gen)
		if _, gen2, err := (CooperativeSticky{}).DecodeUserData(enc); err != nil || gen2 != gen {
			return fmt.Errorf("cooperative-sticky: generation %d written back reads as %d (%v)", gen, gen2, err)
		}
	}
	return nil
}

func assignmentRoundTrip(b []byte) error {
	a, userData, err := DecodeAssignment(b)
	if err != nil {
		return nil
	}
	enc, err := EncodeAssignment(a, userData)
	if err != nil {
		return fmt.Errorf("accepted, but cannot be written back: %w", err)
	}
	a2, userData2, err := DecodeAssignment(enc)
	want := nonEmpty(a)
	if err != nil || !cmp.Equal(a2, want, cmpopts.EquateEmpty()) || !bytes.Equal(userData, userData2) || (userData == nil) != (userData2 == nil) {
		return fmt.Errorf("%v (user data %x) written back reads as %v (user data %x, %v)", want, userData, a2, userData2, err)
	}
	return nil
}

// nonEmpty is a without its topics that hold no partitions, which
// EncodeAssignment leaves out.
func nonEmpty(a spec.Assignment) spec.Assignment {
	out := spec.Assignment{}
	for t, ps := range a {
		if len(ps) > 0 {
			out[t] = ps
		}
	}
	return out
}

// wireGroupAgrees decodes a group of two members whose metadata is b, and
// a well-formed member, and compares the wire path's plan with the decoded
// members' plan, each subscribed topic given three partitions.
func wireGroupAgrees(a Assignor, b []byte) error {
	good, err := EncodeSubscription(SubscriptionVersion, spec.Subscription{Topics: []string{"t"}, GenerationID: -1})
	if err != nil {
		return err
	}
	jms := []JoinMember{{MemberID: "m1", Metadata: b}, {MemberID: "m2", InstanceID: "i2", Metadata: b}, {MemberID: "ok", Metadata: good}}
	g, err := DecodeGroup(a, jms)
	if err != nil {
		return nil
	}
	topics := map[string]int32{}
	for _, t := range g.Topics() {
		topics[t] = 3
	}
	if len(topics) > fuzzMaxPartitions/3 {
		return nil
	}
	want, wantErr := a.Assign(topics, g.Members())
	p, err := g.Assign(topics)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		return fmt.Errorf("wire error %v, decoded %v", err, wantErr)
	}
	if err != nil {
		return nil
	}
	if d := cmp.Diff(want, p.Plan(), cmpopts.EquateEmpty()); d != "" {
		return fmt.Errorf("the wire plan differs from the decoded one:\n%s", d)
	}
	return nil
}

// TestMemberMetadataCorpus keeps FuzzMemberMetadata's seeds committed: the
// JoinGroup metadata of the first members of the golden families, at every
// subscription version, with the sticky user data and the SyncGroup
// assignment bytes they lead to.
func TestMemberMetadataCorpus(t *testing.T) {
	var seeds [][]byte
	for _, fam := range goldenFamilies() {
		if fam.name == "huge" {
			continue
		}
		for i := range min(fam.cases, 3) {
			in := fam.draw(rand.New(rand.NewPCG(uint64(i), uint64(len(fam.name)))))
			for v := range SubscriptionVersion + 1 {
				for _, a := range []Assignor{Sticky{}, CooperativeSticky{}} {
					jm := joinMember(t, a, in.members[0], v)
					seeds = append(seeds, jm.Metadata)
				}
			}
			owned, _ := Sticky{}.AppendUserData(nil, in.members[0].Owned, in.members[0].Generation)
			seeds = append(seeds, owned)
			if plan, err := (Sticky{}).Assign(in.topics, in.members); err == nil {
				sync, err := EncodeAssignment(plan[in.members[0].ID], []byte("ud"))
				if err != nil {
					t.Fatal(err)
				}
				seeds = append(seeds, sync)
			}
		}
	}
	fuzzcorpus.Seeds(t, "FuzzMemberMetadata", seeds)
}
