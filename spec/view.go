package spec

import (
	"slices"
	"strings"
)

// GroupView is a coordinator's account of one group at one instant: what the
// rules need to know, in a form any implementation can fill in.
type GroupView struct {
	GroupID    string     `json:"group_id"`
	State      GroupState `json:"state"`
	Generation int32      `json:"generation"`
	// Protocol is the selected assignor name; "" before the first join completes.
	Protocol string `json:"protocol,omitempty"`
	Leader   string `json:"leader,omitempty"`
	// Members are the members the coordinator counts, sorted by MemberID.
	// Pending members (KIP-394, waiting for their second JoinGroup) are not members.
	Members []MemberView `json:"members"`
}

// MemberView is one member as the coordinator sees it.
type MemberView struct {
	MemberID   string `json:"member_id"`
	InstanceID string `json:"instance_id,omitempty"`
	// Topics is the subscription in the member's metadata for the selected
	// protocol (its first protocol before one is selected).
	Topics []string `json:"topics"`
	// Assignment is what the coordinator holds for the member: the leader's
	// assignment of the current generation once synced, empty before.
	Assignment Assignment `json:"assignment"`
}

// Member returns the member with this id, if the coordinator counts it.
func (g GroupView) Member(id string) (MemberView, bool) {
	i, ok := slices.BinarySearchFunc(g.Members, id, func(m MemberView, id string) int {
		return strings.Compare(m.MemberID, id)
	})
	if !ok || id == "" {
		return MemberView{}, false
	}
	return g.Members[i], true
}

// ClientState is a consumer's membership state (Kafka's MemberState in
// AbstractCoordinator).
type ClientState int8

// A consumer is unjoined, waiting for its JoinGroup response, waiting for its
// SyncGroup response, or stable with an assignment.
const (
	ClientUnjoined ClientState = iota
	ClientPreparingRebalance
	ClientCompletingRebalance
	ClientStable
)

func (s ClientState) String() string {
	switch s {
	case ClientPreparingRebalance:
		return "PREPARING_REBALANCE"
	case ClientCompletingRebalance:
		return "COMPLETING_REBALANCE"
	case ClientStable:
		return "STABLE"
	}
	return "UNJOINED"
}

// ConsumerView is one consumer process's account of itself.
type ConsumerView struct {
	// Name identifies the process across its life; a restart is a new process
	// with the same name.
	Name string `json:"name"`
	// Alive is false once the process crashed, closed or failed fatally.
	Alive bool `json:"alive"`
	// MemberID is "" when the consumer holds none.
	MemberID string `json:"member_id"`
	// Generation is the generation it believes it is in, -1 when none.
	Generation int32       `json:"generation"`
	State      ClientState `json:"state"`
	// RejoinNeeded is set when the consumer knows it must join again.
	RejoinNeeded bool `json:"rejoin_needed,omitempty"`
	// Owned are the partitions it consumes now: handed to onPartitionsAssigned
	// and not yet to onPartitionsRevoked or onPartitionsLost. Sorted.
	Owned []TopicPartition `json:"owned"`
}

// Snapshot is one instant of a composed run: topic metadata, the
// coordinator's view of the group, every consumer's view of itself, and the
// committed offsets.
type Snapshot struct {
	At        int64                    `json:"at"`
	Topics    map[string]int32         `json:"topics"`
	Group     GroupView                `json:"group"`
	Consumers []ConsumerView           `json:"consumers"`
	Committed map[TopicPartition]int64 `json:"-"`
}

// Subscriptions returns each member's subscribed topics, keyed by member id.
func (g GroupView) Subscriptions() map[string][]string {
	subs := make(map[string][]string, len(g.Members))
	for _, m := range g.Members {
		subs[m.MemberID] = m.Topics
	}
	return subs
}

// Assignments returns each member's assignment, keyed by member id.
func (g GroupView) Assignments() map[string]Assignment {
	plan := make(map[string]Assignment, len(g.Members))
	for _, m := range g.Members {
		plan[m.MemberID] = m.Assignment
	}
	return plan
}
