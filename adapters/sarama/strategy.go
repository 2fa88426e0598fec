// Package kgroupsarama plugs kgroup's assignors into sarama: a
// sarama.BalanceStrategy for Kafka's "sticky" and "cooperative-sticky"
// protocols backed by kgroup's assignors.Sticky and CooperativeSticky. The
// protocol names and user data are Kafka's, so these members share groups
// with sarama's own and franz-go's sticky members (tested against kfake,
// each side leading) and can with Java's and librdkafka's:
//
//	import kgroupsarama "github.com/kgroup/kgroup/adapters/sarama"
//
//	config.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{
//		kgroupsarama.NewBalanceStrategyCooperativeSticky()}
//
// sarama decodes the members' metadata itself and hands the strategy
// decoded values, so Plan runs kgroup's Assign on them (MemberFromSubscription
// reads the prior ownership); there is no bytes-to-bytes path to plug in.
// Each strategy keeps its member's last assignment and generation (to write
// its user data, as Java's assignors do): give each consumer group its own.
// The package is its own module, so kgroup's go.mod stays free of sarama.
package kgroupsarama

import (
	"fmt"
	"slices"
	"sync"

	"github.com/IBM/sarama"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// NewBalanceStrategySticky is kgroup's eager sticky assignor under Kafka's
// protocol name "sticky". The member's prior assignment travels in the
// KIP-54 user data: the strategy writes it from the last assignment it was
// given, and as leader also returns it as each member's assignment user
// data, which sarama's own sticky members echo back in their next join.
func NewBalanceStrategySticky() sarama.BalanceStrategy {
	return NewBalanceStrategy(assignors.Sticky{})
}

// NewBalanceStrategyCooperativeSticky is kgroup's cooperative-sticky
// assignor (KIP-429) under the protocol name "cooperative-sticky". It
// requires config.Version >= V2_4_0_0, as sarama's own does.
func NewBalanceStrategyCooperativeSticky() sarama.BalanceStrategy {
	return NewBalanceStrategy(assignors.CooperativeSticky{})
}

// NewBalanceStrategy adapts any kgroup assignor; its Name is the protocol
// name, and it declares the rebalance protocols the assignor supports.
func NewBalanceStrategy(a assignors.Assignor) sarama.BalanceStrategy {
	return &strategy{a: a, generation: -1}
}

type strategy struct {
	a          assignors.Assignor
	mu         sync.Mutex
	last       []spec.TopicPartition // the member's last assignment
	generation int32                 // and its generation
}

func (s *strategy) Name() string { return s.a.Name() }

func (s *strategy) cooperative() bool {
	return slices.Contains(s.a.Protocols(), spec.Cooperative)
}

// SupportedProtocols lists the protocols, the preferred (cooperative) first.
func (s *strategy) SupportedProtocols() []sarama.RebalanceProtocol {
	if s.cooperative() {
		return []sarama.RebalanceProtocol{sarama.RebalanceProtocolCooperative, sarama.RebalanceProtocolEager}
	}
	return []sarama.RebalanceProtocol{sarama.RebalanceProtocolEager}
}

// Plan assigns the group with kgroup's assignor. topics gives every topic's
// partition ids, which Kafka numbers 0 to n-1.
func (s *strategy) Plan(members map[string]sarama.ConsumerGroupMemberMetadata, topics map[string][]int32) (sarama.BalanceStrategyPlan, error) {
	counts := make(map[string]int32, len(topics))
	for t, ps := range topics {
		for i, p := range slices.Sorted(slices.Values(ps)) {
			if p != int32(i) {
				return nil, fmt.Errorf("topic %q: partitions %v are not 0 to %d", t, ps, len(ps)-1)
			}
		}
		counts[t] = int32(len(ps))
	}
	in := make([]assignors.Member, 0, len(members))
	for _, id := range spec.SortedKeys(members) {
		in = append(in, assignors.MemberFromSubscription(s.a, id, "", subscription(members[id])))
	}
	plan, err := s.a.Assign(counts, in)
	if err != nil {
		return nil, err
	}
	out := make(sarama.BalanceStrategyPlan, len(plan))
	for id, a := range plan {
		out[id] = a
	}
	return out, nil
}

// subscription is sarama's decoded metadata as kgroup's Subscription; sarama
// leaves GenerationID zero below version 2, where Kafka's default is -1.
func subscription(m sarama.ConsumerGroupMemberMetadata) spec.Subscription {
	sub := spec.Subscription{Topics: m.Topics, UserData: m.UserData, GenerationID: -1}
	if m.Version >= 2 {
		sub.GenerationID = m.GenerationID
	}
	if m.RackID != nil {
		sub.RackID = *m.RackID
	}
	for _, o := range m.OwnedPartitions {
		for _, p := range o.Partitions {
			sub.OwnedPartitions = append(sub.OwnedPartitions, spec.TopicPartition{Topic: o.Topic, Partition: p})
		}
	}
	return sub
}

// AssignmentData is the user data the leader sends with each member's
// assignment: for the eager sticky assignor the assignment itself with its
// generation (the KIP-54 user data sarama's own sticky members echo back),
// for the others nothing.
func (s *strategy) AssignmentData(_ string, topics map[string][]int32, generationID int32) ([]byte, error) {
	if _, ok := s.a.(assignors.Sticky); !ok {
		return nil, nil
	}
	return assignors.Sticky{}.AppendUserData(nil, flatten(topics), generationID)
}

// SubscriptionUserData is the member's own user data for its next join,
// from the last assignment it was given (OnAssignment), as Java's assignors
// write it: the sticky assignor's owned partitions and generation, the
// cooperative one's generation.
func (s *strategy) SubscriptionUserData(_ []string) ([]byte, error) {
	codec, ok := s.a.(assignors.UserDataCodec)
	if !ok {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sticky, ok := s.a.(assignors.Sticky); ok {
		return sticky.AppendUserData(nil, s.last, s.generation)
	}
	return codec.EncodeUserData(s.last, s.generation), nil
}

// OnAssignment remembers the member's assignment and its generation.
func (s *strategy) OnAssignment(assignment *sarama.ConsumerGroupMemberAssignment, generationID int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last, s.generation = nil, generationID
	if assignment != nil {
		s.last = flatten(assignment.Topics)
	}
}

func flatten(topics map[string][]int32) []spec.TopicPartition {
	var out []spec.TopicPartition
	for _, t := range spec.SortedKeys(topics) {
		for _, p := range topics[t] {
			out = append(out, spec.TopicPartition{Topic: t, Partition: p})
		}
	}
	return out
}
