package assignors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/internal/rapidtest"
	"github.com/kgroup/kgroup/spec"
)

// fataler is what the helpers need of *testing.T and *rapid.T.
type fataler interface{ Fatal(args ...any) }

// joinMember encodes m as the JoinGroup member a leader would receive for
// assignor a, as a Kafka consumer writes it: the eager sticky assignor's
// ownership in its user data, everyone else's in the subscription's owned
// partitions. Nothing is reordered (the user data is written entry by entry
// rather than with EncodeUserData, which sorts), so decoding gives m back.
func joinMember(t fataler, a Assignor, m Member, version int16) JoinMember {
	sub := spec.Subscription{Topics: m.Topics, OwnedPartitions: m.Owned, GenerationID: m.Generation, RackID: m.Rack}
	switch a.(type) {
	case Sticky:
		w := wireWriter{}
		w.topicPartitions(m.Owned)
		w.int32(m.Generation)
		sub.UserData, sub.OwnedPartitions, sub.GenerationID = w.b, nil, -1
	case CooperativeSticky:
		sub.UserData = CooperativeSticky{}.EncodeUserData(nil, m.Generation)
	}
	b, err := EncodeSubscription(version, sub)
	if err != nil {
		t.Fatal(err)
	}
	return JoinMember{MemberID: m.ID, InstanceID: m.InstanceID, Metadata: b}
}

func joinMembers(t fataler, a Assignor, members []Member, version int16) []JoinMember {
	out := make([]JoinMember, len(members))
	for i, m := range members {
		out[i] = joinMember(t, a, m, version)
	}
	return out
}

// wireOutput is goldenOutput through the wire path: the members encoded as
// JoinGroup bytes, DecodeGroup, Group.Assign.
func wireOutput(t fataler, a Assignor, in stickyInput) string {
	g, err := DecodeGroup(a, joinMembers(t, a, in.members, SubscriptionVersion))
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.Assign(in.topics)
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(p.Plan())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// From the same bytes, the wire path and the readable path (DecodeSubscription,
// MemberFromSubscription, Assign) give the same plan, the same SyncGroup
// bytes, or the same error, for every assignor, whatever the subscription
// version; and the sticky pair's wire plan equals its plan on the members
// the bytes were made from.
func TestWireMatchesDecoded(t *testing.T) {
	rapidtest.Rounds(t, 10, func(t *rapid.T) {
		in := rapid.OneOf(genStickyInput(), genUniformInput()).Draw(t, "input")
		version := rapid.Int16Range(0, SubscriptionVersion).Draw(t, "version")
		for _, a := range All() {
			checkWire(t, a, in, joinMembers(t, a, in.members, version))
		}
	})
}

// Damaged metadata (a member's bytes overwritten, cut or appended to) is an
// error or, when it still parses, gives on the wire path what it gives
// decoded: never a panic, never a different plan or error.
func TestWireDamagedMetadata(t *testing.T) {
	parsed, damaged := 0, 0
	rapidtest.Rounds(t, 5, func(t *rapid.T) {
		in := genStickyInput().Draw(t, "input")
		for _, a := range []Assignor{Sticky{}, CooperativeSticky{}} {
			jms := joinMembers(t, a, in.members, rapid.Int16Range(0, SubscriptionVersion).Draw(t, "version"))
			i := rapid.IntRange(0, len(jms)-1).Draw(t, "member")
			b := slices.Clone(jms[i].Metadata)
			for range rapid.IntRange(1, 3).Draw(t, "damages") {
				damaged++
				switch at := rapid.IntRange(0, len(b)).Draw(t, "at"); rapid.IntRange(0, 5).Draw(t, "kind") {
				case 0:
					b = b[:at]
				case 1:
					b = append(b, rapid.SliceOfN(rapid.Byte(), 1, 4).Draw(t, "tail")...)
				default: // overwrite a byte: most such damage still parses
					if at < len(b) {
						b[at] = rapid.Byte().Draw(t, "byte")
					}
				}
			}
			jms[i].Metadata = b
			if _, err := DecodeGroup(a, jms); err == nil {
				parsed++
				checkWire(t, a, in, jms)
			}
		}
	})
	if parsed < 200 || damaged < 1000 {
		t.Errorf("%d damages, %d damaged groups still parsed: the property barely ran", damaged, parsed)
	}
	t.Logf("%d damages; %d groups still parsed and were compared", damaged, parsed)
}

func checkWire(t *rapid.T, a Assignor, in stickyInput, jms []JoinMember) {
	g, err := DecodeGroup(a, jms)
	if err != nil {
		t.Fatal(err)
	}
	decoded := g.Members()
	want, wantErr := a.Assign(in.topics, decoded)
	p, err := g.Assign(in.topics)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%s: wire error %v, decoded %v", a.Name(), err, wantErr)
	}
	if err != nil {
		return
	}
	if d := cmp.Diff(want, p.Plan(), cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("%s: the wire plan differs from the decoded one:\n%s", a.Name(), d)
	}
	sync := p.SyncAssignments()
	if len(sync) != len(want) {
		t.Fatalf("%s: %d sync assignments for %d members", a.Name(), len(sync), len(want))
	}
	for i, s := range sync {
		b, err := EncodeAssignment(want[s.MemberID], nil)
		if err != nil || !bytes.Equal(b, s.Assignment) {
			t.Fatalf("%s: member %s's assignment bytes %x, EncodeAssignment writes %x (%v)", a.Name(), s.MemberID, s.Assignment, b, err)
		}
		if i > 0 && compareMembersByID(decoded, sync[i-1].MemberID, s.MemberID) >= 0 {
			t.Fatalf("%s: sync assignments not in SortMembers order at %d", a.Name(), i)
		}
	}
}

func compareMembersByID(members []Member, a, b string) int {
	find := func(id string) Member {
		return members[slices.IndexFunc(members, func(m Member) bool { return m.ID == id })]
	}
	return compareMembers(find(a), find(b))
}

// Members whose metadata does not parse are named in the error; sticky user
// data that does not parse means the member owns nothing, as in Kafka.
func TestDecodeGroupErrors(t *testing.T) {
	good := joinMember(t, Sticky{}, dyn("a", "t"), SubscriptionVersion)
	bad := JoinMember{MemberID: "broken", Metadata: good.Metadata[:7]}
	for _, a := range All() {
		if _, err := DecodeGroup(a, []JoinMember{good, bad}); err == nil || !strings.Contains(err.Error(), `member "broken"`) {
			t.Errorf("%s: error %v, want one naming member \"broken\"", a.Name(), err)
		}
	}
	junk, _ := EncodeSubscription(SubscriptionVersion, spec.Subscription{Topics: []string{"t"}, UserData: []byte{0, 0, 0, 9}, GenerationID: 4})
	owner := joinMember(t, Sticky{}, owning("b", 1, ts("t"), tp("t", 0), tp("t", 1)), SubscriptionVersion)
	g, err := DecodeGroup(Sticky{}, []JoinMember{{MemberID: "a", Metadata: junk}, owner})
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.Assign(map[string]int32{"t": 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Plan(); !cmp.Equal(got, Plan{"a": {"t": {1}}, "b": {"t": {0}}}) {
		t.Errorf("plan %v: member a's junk user data should count as owning nothing, b keeps the first it owns", got)
	}
}

// The CompactPlan's accessors agree with each other.
func TestCompactPlanAccessors(t *testing.T) {
	members := []Member{dyn("b", "x", "y"), static("a", "i1", "y"), dyn("c")}
	g, err := DecodeGroup(Sticky{}, joinMembers(t, Sticky{}, members, SubscriptionVersion))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Topics(); !cmp.Equal(got, []string{"x", "y"}) {
		t.Errorf("Topics %v", got)
	}
	p, err := g.Assign(map[string]int32{"x": 3, "y": 2})
	if err != nil {
		t.Fatal(err)
	}
	plan := p.Plan()
	if p.Len() != 3 || p.MemberID(0) != "a" || p.MemberID(1) != "b" || p.MemberID(2) != "c" {
		t.Fatalf("members %d, in order %s %s %s; want a (static) b c", p.Len(), p.MemberID(0), p.MemberID(1), p.MemberID(2))
	}
	for i := range p.Len() {
		got := spec.Assignment{}
		for topic, ps := range p.Partitions(i) {
			got[topic] = ps
		}
		if !cmp.Equal(got, plan[p.MemberID(i)], cmpopts.EquateEmpty()) {
			t.Errorf("member %s: Partitions %v, Plan %v", p.MemberID(i), got, plan[p.MemberID(i)])
		}
		b := p.AppendAssignment([]byte("prefix"), i, []byte{7})
		back, ud, err := DecodeAssignment(b[len("prefix"):])
		if err != nil || !cmp.Equal(back, plan[p.MemberID(i)], cmpopts.EquateEmpty()) || !bytes.Equal(ud, []byte{7}) {
			t.Errorf("member %s: AppendAssignment decodes as %v, %x (%v)", p.MemberID(i), back, ud, err)
		}
	}
	if plan["c"] == nil || len(plan["c"]) != 0 {
		t.Errorf("a member with nothing must be present with an empty assignment: %v", plan)
	}
}
