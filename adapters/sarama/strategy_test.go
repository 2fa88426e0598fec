package kgroupsarama

import (
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// Plan is kgroup's Assign on sarama's decoded metadata: a version-1
// subscription has no generation field (sarama leaves it 0; Kafka's default
// is -1), and the prior owner at the higher generation keeps a partition.
func TestPlanReadsSaramaMetadata(t *testing.T) {
	owned := func(ps ...int32) []*sarama.OwnedPartition {
		return []*sarama.OwnedPartition{{Topic: "t", Partitions: ps}}
	}
	members := map[string]sarama.ConsumerGroupMemberMetadata{
		"old": {Version: 1, Topics: []string{"t"}, OwnedPartitions: owned(0, 1), UserData: assignors.CooperativeSticky{}.EncodeUserData(nil, -1)},
		"new": {Version: 3, Topics: []string{"t"}, OwnedPartitions: owned(1), GenerationID: 4},
	}
	plan, err := NewBalanceStrategyCooperativeSticky().Plan(members, map[string][]int32{"t": {1, 0, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	// "old" claims 0 and 1 at generation -1, "new" claims 1 at 4: "new" keeps
	// 1, "old" keeps 0; 2 and 3 are dealt.
	want := sarama.BalanceStrategyPlan{"new": {"t": {1, 2}}, "old": {"t": {0, 3}}}
	if !cmp.Equal(plan, want) {
		t.Errorf("plan %v, want %v", plan, want)
	}
	if _, err := NewBalanceStrategySticky().Plan(members, map[string][]int32{"t": {0, 2}}); err == nil || !strings.Contains(err.Error(), "not 0 to 1") {
		t.Errorf("partitions 0 and 2 accepted as a topic of 2: %v", err)
	}
}

// The eager strategy's user data, the assignment data a leader sends and a
// member's own, is the KIP-54 user data of what the member was given.
func TestStickyUserData(t *testing.T) {
	s := NewBalanceStrategySticky().(*strategy)
	data, err := s.AssignmentData("m", map[string][]int32{"b": {1}, "a": {0, 2}}, 7)
	if err != nil {
		t.Fatal(err)
	}
	owned, gen, err := assignors.Sticky{}.DecodeUserData(data)
	want := []spec.TopicPartition{{Topic: "a", Partition: 0}, {Topic: "a", Partition: 2}, {Topic: "b", Partition: 1}}
	if err != nil || gen != 7 || !cmp.Equal(owned, want) {
		t.Errorf("assignment data decodes as %v at %d (%v)", owned, gen, err)
	}
	s.OnAssignment(&sarama.ConsumerGroupMemberAssignment{Topics: map[string][]int32{"a": {0, 2}, "b": {1}}}, 7)
	if mine, err := s.SubscriptionUserData([]string{"a", "b"}); err != nil || string(mine) != string(data) {
		t.Errorf("subscription user data %x (%v), want %x", mine, err, data)
	}
	coop := NewBalanceStrategyCooperativeSticky().(*strategy)
	coop.OnAssignment(&sarama.ConsumerGroupMemberAssignment{}, 9)
	if b, err := coop.SubscriptionUserData(nil); err != nil || string(b) != string(assignors.CooperativeSticky{}.EncodeUserData(nil, 9)) {
		t.Errorf("cooperative user data %x (%v)", b, err)
	}
	if b, err := coop.AssignmentData("m", nil, 9); b != nil || err != nil {
		t.Errorf("cooperative assignment data %x (%v), want none", b, err)
	}
}
