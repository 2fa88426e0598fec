// Package assignors computes partition assignments for a consumer group the
// way Kafka's assignors do: range and round-robin with Kafka's client
// semantics, and the Assignor interface the sticky, cooperative-sticky and
// server-side assignors implement.
//
// Every assignor is a pure function of its input: the same topics and members,
// in any order, give byte-identical output. Assignors do not talk to a
// coordinator; the consumer's group leader (impl/consumer) or the coordinator
// calls them.
//
// A leader can also hand them the group as it arrives, in bytes: Kafka's
// consumer protocol (DecodeSubscription, EncodeSubscription, DecodeAssignment,
// EncodeAssignment) and, for the whole of a leader's work, DecodeGroup on the
// JoinGroup members' metadata, Group.Assign, and CompactPlan.SyncAssignments
// for the SyncGroup assignment bytes. For the sticky pair that path decodes
// straight into the assignors' interned form and gives exactly the plan of
// Assign on the decoded members (MemberFromSubscription).
package assignors

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// Member is one group member as an assignor sees it: its subscription, and for
// sticky assignors the partitions it held and the generation it held them in.
type Member struct {
	ID         string
	InstanceID string
	Rack       string
	Topics     []string
	// Owned are the partitions the member held in Generation. Cooperative
	// assignors read them from the subscription's owned partitions; the eager
	// sticky assignor from its user data (eager members revoke everything
	// before they rejoin, so their owned-partitions field is empty).
	Owned []spec.TopicPartition
	// Generation is the generation Owned was assigned in; -1 when unknown.
	Generation int32
}

// Plan maps every member id of the input to its assignment (an empty, non-nil
// Assignment when it gets nothing).
type Plan map[string]spec.Assignment

// Assignor computes a plan. Implementations validate their input with
// Validate and never panic on bad input.
type Assignor interface {
	// Name is the protocol name members advertise, e.g. "range".
	Name() string
	// Protocols lists the rebalance protocols the assignor supports.
	Protocols() []spec.RebalanceProtocol
	// Assign maps each member to partitions of the topics it subscribes to.
	// topics gives the partition count of every existing topic; subscriptions
	// to topics absent from it are ignored, as Kafka's client assignors do.
	Assign(topics map[string]int32, members []Member) (Plan, error)
}

// UserDataCodec is implemented by assignors that keep state in the
// subscription's user data (the eager sticky assignor: KIP-54, with the
// generation of KIP-341). The consumer encodes what it held when it joins; the
// leader decodes it through MemberFromSubscription.
type UserDataCodec interface {
	EncodeUserData(owned []spec.TopicPartition, generation int32) []byte
	DecodeUserData(b []byte) (owned []spec.TopicPartition, generation int32, err error)
}

// MemberFromSubscription turns one member's JoinGroup metadata into the
// assignor's view of it, as Kafka's assignors read their member data:
//
//   - an eager-only assignor with user data (StickyAssignor.memberData) takes
//     the owned partitions and generation from the user data alone, since an
//     eager member revoked everything before it joined; no or unparsable user
//     data means it owns nothing, at generation -1;
//   - any other assignor (CooperativeStickyAssignor.memberData) takes them from
//     the subscription's fields, and an assignor with user data falls back on
//     it for a generation the fields leave out (-1); unparsable user data
//     gives generation -1.
func MemberFromSubscription(a Assignor, id, instanceID string, sub spec.Subscription) Member {
	m := Member{ID: id, InstanceID: instanceID, Rack: sub.RackID, Topics: sub.Topics,
		Owned: sub.OwnedPartitions, Generation: sub.GenerationID}
	codec, ok := a.(UserDataCodec)
	if !ok {
		return m
	}
	owned, gen, err := codec.DecodeUserData(sub.UserData)
	if err != nil || len(sub.UserData) == 0 {
		owned, gen = nil, -1
	}
	if !slices.Contains(a.Protocols(), spec.Cooperative) {
		m.Owned, m.Generation = owned, gen
	} else if m.Generation < 0 {
		m.Generation = gen
	}
	return m
}

// Validate rejects input no assignor can work with: an empty or duplicate
// member id, or a negative partition count. An owned partition that does not
// exist (its topic is gone, or was created again with fewer partitions) is
// not an error: the assignors drop it, as Kafka's do, so that a group
// survives a topic re-created smaller.
func Validate(topics map[string]int32, members []Member) error {
	for _, t := range spec.SortedKeys(topics) {
		if topics[t] < 0 {
			return fmt.Errorf("topic %q has a negative partition count %d", t, topics[t])
		}
	}
	seen := make(map[string]bool, len(members))
	for _, m := range members {
		if m.ID == "" {
			return fmt.Errorf("a member has an empty member id")
		}
		if seen[m.ID] {
			return fmt.Errorf("member id %q appears twice", m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}

// SortMembers orders members as Kafka's client assignors do
// (AbstractPartitionAssignor.MemberInfo.compareTo): members with an instance id
// first, by instance id, then the others by member id.
func SortMembers(members []Member) {
	slices.SortFunc(members, compareMembers)
}

func compareMembers(a, b Member) int {
	return compareIdentity(a.InstanceID, a.ID, b.InstanceID, b.ID)
}

// compareIdentity is SortMembers' order on (instance id, member id) pairs.
func compareIdentity(aInstance, aID, bInstance, bID string) int {
	switch {
	case aInstance != "" && bInstance != "":
		return cmp.Or(strings.Compare(aInstance, bInstance), strings.Compare(aID, bID))
	case aInstance != "":
		return -1
	case bInstance != "":
		return 1
	}
	return strings.Compare(aID, bID)
}

// emptyPlan returns a plan with an empty assignment for every member.
func emptyPlan(members []Member) Plan {
	plan := make(Plan, len(members))
	for _, m := range members {
		plan[m.ID] = spec.Assignment{}
	}
	return plan
}

// ByName returns the assignor with this protocol name.
func ByName(name string) (Assignor, error) {
	for _, a := range All() {
		if a.Name() == name {
			return a, nil
		}
	}
	names := []string{}
	for _, a := range All() {
		names = append(names, a.Name())
	}
	return nil, fmt.Errorf("unknown assignor %q (known: %s)", name, strings.Join(names, ", "))
}

// All lists every client-side assignor kgroup implements.
func All() []Assignor {
	return registry
}

var registry = []Assignor{Range{}, RoundRobin{}, Sticky{}, CooperativeSticky{}}

// UnknownTopics lists, sorted and without repeats, the topics some member
// subscribes to that are absent from topics: the subscriptions an assignor
// ignores.
func UnknownTopics(topics map[string]int32, members []Member) []string {
	set := map[string]bool{}
	for _, m := range members {
		for _, t := range m.Topics {
			if _, ok := topics[t]; !ok {
				set[t] = true
			}
		}
	}
	return spec.SortedKeys(set)
}

// subscriberIndex lists, per topic, the indices of the members (in their
// order) that subscribe to it, each once: one pass over the subscriptions,
// so that assigning many topics costs no rescans.
func subscriberIndex(members []Member) map[string][]int {
	out := map[string][]int{}
	for i, m := range members {
		for _, t := range m.Topics {
			if subs := out[t]; len(subs) == 0 || subs[len(subs)-1] != i {
				out[t] = append(subs, i)
			}
		}
	}
	return out
}
