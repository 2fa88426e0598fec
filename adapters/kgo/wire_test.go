package kgroupkgo

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// Without a broker: the metadata and assignments each side writes are read
// by the other. Three members own four partitions each of twelve, two of
// them writing their metadata with kgroup's balancer and one with
// franz-go's; a fourth, new, joins. A leader that understands every
// member's metadata keeps nine partitions where they are, whichever
// balancer it uses; its assignments parse on both sides.
func TestWireCompatibility(t *testing.T) {
	for _, c := range []struct {
		ours, theirs kgo.GroupBalancer
	}{
		{CooperativeStickyBalancer(), kgo.CooperativeStickyBalancer()},
		{StickyBalancer(), kgo.StickyBalancer()},
	} {
		writers := []kgo.GroupBalancer{c.ours, c.theirs, c.ours, c.theirs}
		var members []kmsg.JoinGroupResponseMember
		owned := map[string][]int32{}
		for i, w := range writers {
			id := fmt.Sprintf("m%d", i)
			current := map[string][]int32{}
			if i < 3 {
				current["t"] = []int32{int32(i), int32(i + 3), int32(i + 6), int32(i + 9)}
				owned[id] = current["t"]
			}
			members = append(members, kmsg.JoinGroupResponseMember{MemberID: id,
				ProtocolMetadata: w.JoinGroupMetadata([]string{"t"}, current, 5)})
		}
		for _, leader := range []kgo.GroupBalancer{c.ours, c.theirs} {
			name := fmt.Sprintf("%s, %T leads", c.ours.ProtocolName(), leader)
			mb, topics, err := leader.MemberBalancer(members)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, ok := topics["t"]; !ok || len(topics) != 1 {
				t.Errorf("%s: topics %v", name, topics)
			}
			into, err := mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(map[string]int32{"t": 12})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			kept, total := 0, 0
			for _, a := range into.IntoSyncAssignment() {
				ours, err := c.ours.ParseSyncAssignment(a.MemberAssignment)
				if err != nil {
					t.Fatalf("%s: kgroup cannot parse %s's assignment: %v", name, a.MemberID, err)
				}
				theirs, err := kgo.ParseConsumerSyncAssignment(a.MemberAssignment)
				if err != nil || !cmp.Equal(map[string][]int32(ours), theirs) {
					t.Fatalf("%s: %s's assignment parses as %v (kgroup), %v (franz-go, %v)", name, a.MemberID, ours, theirs, err)
				}
				for _, p := range ours["t"] {
					total++
					if slices.Contains(owned[a.MemberID], p) {
						kept++
					}
				}
			}
			// The cooperative leader withholds the three partitions that
			// change owner this round.
			if want := map[bool]int{true: 9, false: 12}[c.ours.IsCooperative()]; kept != 9 || total != want {
				t.Errorf("%s: %d partitions assigned, %d kept with their owner; want %d and 9", name, total, kept, want)
			}
		}
	}
}

// kgroup's balancer gives exactly the plan kgroup's assignor gives on the
// decoded members, and writes the metadata Kafka's ConsumerProtocol writes.
func TestBalancerIsTheAssignor(t *testing.T) {
	for _, a := range []assignors.Assignor{assignors.Sticky{}, assignors.CooperativeSticky{}} {
		b := Balancer(a)
		var members []kmsg.JoinGroupResponseMember
		var decoded []assignors.Member
		for i := range 5 {
			current := map[string][]int32{"a": {int32(i)}, "b": {int32(2 * i), int32(2*i + 1)}}
			meta := b.JoinGroupMetadata([]string{"a", "b"}, current, int32(i))
			instance := fmt.Sprintf("i%d", 4-i)
			members = append(members, kmsg.JoinGroupResponseMember{MemberID: fmt.Sprintf("m%d", i), InstanceID: &instance, ProtocolMetadata: meta})
			var km kmsg.ConsumerMemberMetadata
			if err := km.ReadFrom(meta); err != nil || km.Version != 3 || km.Generation != int32(i) || !slices.Equal(km.Topics, []string{"a", "b"}) {
				t.Fatalf("%s: metadata %+v (%v)", a.Name(), km, err)
			}
			sub, err := assignors.DecodeSubscription(meta)
			if err != nil {
				t.Fatal(err)
			}
			decoded = append(decoded, assignors.MemberFromSubscription(a, members[i].MemberID, instance, sub))
			if len(decoded[i].Owned) != 3 || decoded[i].Generation != int32(i) {
				t.Fatalf("%s: member %d decoded as %+v", a.Name(), i, decoded[i])
			}
		}
		want, err := a.Assign(map[string]int32{"a": 5, "b": 10}, decoded)
		if err != nil {
			t.Fatal(err)
		}
		mb, _, err := b.MemberBalancer(members)
		if err != nil {
			t.Fatal(err)
		}
		into, err := mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(map[string]int32{"a": 5, "b": 10})
		if err != nil {
			t.Fatal(err)
		}
		got := assignors.Plan{}
		for _, s := range into.IntoSyncAssignment() {
			got[s.MemberID], _, err = assignors.DecodeAssignment(s.MemberAssignment)
			if err != nil {
				t.Fatal(err)
			}
		}
		if d := cmp.Diff(want, got, cmp.Comparer(spec.Assignment.Equal)); d != "" {
			t.Errorf("%s: the balancer's plan differs from the assignor's:\n%s", a.Name(), d)
		}
	}
}
