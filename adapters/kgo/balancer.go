// Package kgroupkgo plugs kgroup's assignors into franz-go: a kgo.GroupBalancer
// for Kafka's "sticky" and "cooperative-sticky" protocols (or any kgroup
// assignor) that balances the group from the JoinGroup bytes with kgroup's
// wire path (assignors.DecodeGroup, Group.Assign) and writes the SyncGroup
// assignments from its compact plan. The protocol names, metadata and
// assignments are Kafka's, so these members share groups with franz-go's and
// sarama's own sticky members (tested against kfake, each side leading) and
// can with Java's and librdkafka's. Switching a franz-go consumer:
//
//	import kgroupkgo "github.com/kgroup/kgroup/adapters/kgo"
//
//	cl, err := kgo.NewClient(kgo.ConsumerGroup("group"), kgo.ConsumeTopics("orders"),
//		kgo.Balancers(kgroupkgo.CooperativeStickyBalancer()))
//
// The package is its own module, so kgroup's go.mod stays free of franz-go.
package kgroupkgo

import (
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// StickyBalancer is kgroup's eager sticky assignor (assignors.Sticky) under
// Kafka's protocol name "sticky": the prior ownership travels in the KIP-54
// user data, as Java's StickyAssignor and franz-go's StickyBalancer write it.
//
// An eager franz-go consumer forgets its assignment when it revokes it
// before rejoining (v1.22.2 passes JoinGroupMetadata an empty current
// assignment), so its user data would claim nothing and no leader could
// keep its partitions with it. Like Java's StickyAssignor (which keeps the
// last assignment it received in onAssignment), this balancer remembers
// the last assignment it parsed for its member and reports it then. So each
// client needs a balancer of its own: do not share one between clients.
func StickyBalancer() kgo.GroupBalancer { return Balancer(assignors.Sticky{}) }

// CooperativeStickyBalancer is kgroup's cooperative-sticky assignor
// (assignors.CooperativeSticky, KIP-429) under the protocol name
// "cooperative-sticky": the prior ownership travels in the subscription's
// owned partitions, with its generation.
func CooperativeStickyBalancer() kgo.GroupBalancer {
	return Balancer(assignors.CooperativeSticky{})
}

// Balancer adapts any kgroup assignor; its Name is the protocol name. It is
// cooperative when the assignor supports the cooperative protocol. Give each
// client its own.
func Balancer(a assignors.Assignor) kgo.GroupBalancer { return &balancer{a: a} }

type balancer struct {
	a    assignors.Assignor
	mu   sync.Mutex
	last map[string][]int32 // the member's last assignment (eager assignors with user data)
}

func (b *balancer) ProtocolName() string { return b.a.Name() }

func (b *balancer) IsCooperative() bool {
	return slices.Contains(b.a.Protocols(), spec.Cooperative)
}

// JoinGroupMetadata writes the member's ConsumerProtocolSubscription
// (version 3) as Java's ConsumerCoordinator does for this assignor: the
// topics, the generation, the owned partitions (cooperative only: an eager
// member revoked them) and the assignor's user data. franz-go passes the
// topics and partitions sorted. An eager member that franz-go passes no
// current assignment reports, in its user data, the last one it parsed.
// Topic names come from Kafka (at most 249 characters), so the encoding
// cannot fail; if it did, the member would join with no metadata and the
// leader would report it.
func (b *balancer) JoinGroupMetadata(topics []string, current map[string][]int32, generation int32) []byte {
	if len(current) == 0 && !b.IsCooperative() {
		b.mu.Lock()
		current = b.last
		b.mu.Unlock()
	}
	var owned []spec.TopicPartition
	for _, t := range spec.SortedKeys(current) {
		for _, p := range current[t] {
			owned = append(owned, spec.TopicPartition{Topic: t, Partition: p})
		}
	}
	sub := spec.Subscription{Topics: topics, GenerationID: generation}
	if b.IsCooperative() {
		sub.OwnedPartitions = owned
	}
	if codec, ok := b.a.(assignors.UserDataCodec); ok {
		sub.UserData = codec.EncodeUserData(owned, generation)
	}
	meta, err := assignors.EncodeSubscription(assignors.SubscriptionVersion, sub)
	if err != nil {
		return nil
	}
	return meta
}

// ParseSyncAssignment reads the member's ConsumerProtocolAssignment.
func (b *balancer) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	a, _, err := assignors.DecodeAssignment(assignment)
	if err != nil {
		return nil, err
	}
	if !b.IsCooperative() {
		b.mu.Lock()
		b.last = a.Clone()
		b.mu.Unlock()
	}
	return a, nil
}

// MemberBalancer decodes the members' metadata (assignors.DecodeGroup) and
// returns the topics they subscribe to, whose partition counts franz-go
// then loads for BalanceOrError. Malformed metadata, or a member id listed
// twice, is an error (franz-go's own balancers keep the first of two).
func (b *balancer) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	jms := make([]assignors.JoinMember, len(members))
	for i, m := range members {
		jms[i] = assignors.JoinMember{MemberID: m.MemberID, Metadata: m.ProtocolMetadata}
		if m.InstanceID != nil {
			jms[i].InstanceID = *m.InstanceID
		}
	}
	g, err := assignors.DecodeGroup(b.a, jms)
	if err != nil {
		return nil, nil, err
	}
	topics := make(map[string]struct{})
	for _, t := range g.Topics() {
		topics[t] = struct{}{}
	}
	return memberBalancer{g}, topics, nil
}

type memberBalancer struct{ g *assignors.Group }

// Balance is BalanceOrError without the error; franz-go calls BalanceOrError.
func (m memberBalancer) Balance(topics map[string]int32) kgo.IntoSyncAssignment {
	into, err := m.BalanceOrError(topics)
	if err != nil {
		return nil
	}
	return into
}

// BalanceOrError assigns the group given the partition count of every topic.
func (m memberBalancer) BalanceOrError(topics map[string]int32) (kgo.IntoSyncAssignment, error) {
	p, err := m.g.Assign(topics)
	if err != nil {
		return nil, err
	}
	return syncPlan{p}, nil
}

type syncPlan struct{ p *assignors.CompactPlan }

// IntoSyncAssignment returns every member's assignment bytes, written from
// the compact plan into one buffer, members in kgroup's order.
func (s syncPlan) IntoSyncAssignment() []kmsg.SyncGroupRequestGroupAssignment {
	sync := s.p.SyncAssignments()
	out := make([]kmsg.SyncGroupRequestGroupAssignment, len(sync))
	for i, a := range sync {
		out[i] = kmsg.SyncGroupRequestGroupAssignment{MemberID: a.MemberID, MemberAssignment: a.Assignment}
	}
	return out
}
