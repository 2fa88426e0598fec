package spec

import (
	"encoding/json"
	"fmt"
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

// Member returns the member with this id, if the coordinator counts it. It
// is correct whatever the order of Members: a binary search finds it when
// they are sorted, and a scan confirms a miss.
func (g GroupView) Member(id string) (MemberView, bool) {
	if id == "" {
		return MemberView{}, false
	}
	i, ok := slices.BinarySearchFunc(g.Members, id, func(m MemberView, id string) int {
		return strings.Compare(m.MemberID, id)
	})
	if ok {
		return g.Members[i], true
	}
	if i = slices.IndexFunc(g.Members, func(m MemberView) bool { return m.MemberID == id }); i >= 0 {
		return g.Members[i], true
	}
	return MemberView{}, false
}

// validate rejects a view no coordinator can be in: a member with an empty
// id, or two members with one id (in any order).
func (g GroupView) validate() error {
	for _, m := range g.Members {
		if m.MemberID == "" {
			return fmt.Errorf("malformed view of group %q: a member has an empty id", g.GroupID)
		}
	}
	if id, dup := duplicate(len(g.Members), func(i int) string { return g.Members[i].MemberID }); dup {
		return fmt.Errorf("malformed view of group %q: member %s is listed twice", g.GroupID, id)
	}
	return nil
}

// duplicate finds a key that occurs twice among key(0) .. key(n-1): in one
// pass when the keys ascend, as kgroup's views list them, else by sorting.
func duplicate(n int, key func(int) string) (string, bool) {
	sorted := true
	for i := 1; i < n && sorted; i++ {
		sorted = key(i-1) < key(i)
	}
	if sorted {
		return "", false
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = key(i)
	}
	slices.Sort(keys)
	for i := 1; i < n; i++ {
		if keys[i] == keys[i-1] {
			return keys[i], true
		}
	}
	return "", false
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
	// Protocol is the rebalance protocol the consumer runs.
	Protocol RebalanceProtocol `json:"protocol"`
	// GroupProtocol is group.protocol: "" for classic, "consumer" for a
	// KIP-848 consumer, whose Generation is its member epoch and whose
	// membership state is AsyncState.
	GroupProtocol string     `json:"group_protocol,omitempty"`
	AsyncState    AsyncState `json:"async_state,omitempty"`
}

// Snapshot is one instant of a composed run: topic metadata, the
// coordinator's view of the group, every consumer's view of itself, and the
// committed offsets.
type Snapshot struct {
	At     int64            `json:"at"`
	Topics map[string]int32 `json:"topics"`
	// Group is the group; for a KIP-848 consumer group, in the classic
	// view's terms (a member's Assignment is what it holds, assigned and
	// pending revocation; Generation is the group epoch), with
	// ConsumerGroup its own view.
	Group GroupView `json:"group"`
	// ConsumerGroup is never modified once given; a caller that gives the
	// previous Snapshot's pointer again says the group has not changed
	// since, and the Checker does not check it again.
	ConsumerGroup *ConsumerGroupView       `json:"consumer_group,omitempty"`
	Consumers     []ConsumerView           `json:"consumers"`
	Committed     map[TopicPartition]int64 `json:"-"` // as "committed": [{"topic","partition","offset"}], sorted
}

// CommittedOffset is one committed offset in a Snapshot's JSON form.
type CommittedOffset struct {
	TopicPartition
	Offset int64 `json:"offset"`
}

type snapshotJSON struct {
	At            int64              `json:"at"`
	Topics        map[string]int32   `json:"topics"`
	Group         GroupView          `json:"group"`
	ConsumerGroup *ConsumerGroupView `json:"consumer_group,omitempty"`
	Consumers     []ConsumerView     `json:"consumers"`
	Committed     []CommittedOffset  `json:"committed"`
}

// MarshalJSON writes the snapshot with its committed offsets as a sorted list
// (JSON object keys cannot be topic-partitions).
func (s Snapshot) MarshalJSON() ([]byte, error) {
	out := snapshotJSON{At: s.At, Topics: s.Topics, Group: s.Group, ConsumerGroup: s.ConsumerGroup,
		Consumers: s.Consumers, Committed: []CommittedOffset{}}
	for _, tp := range sortedPartitions(s.Committed) {
		out.Committed = append(out.Committed, CommittedOffset{tp, s.Committed[tp]})
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes; unknown fields and a partition
// committed twice are errors.
func (s *Snapshot) UnmarshalJSON(b []byte) error {
	var in snapshotJSON
	if err := UnmarshalStrict(b, &in); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	committed := make(map[TopicPartition]int64, len(in.Committed))
	for _, c := range in.Committed {
		if _, dup := committed[c.TopicPartition]; dup {
			return fmt.Errorf("snapshot: %s committed twice", c.TopicPartition)
		}
		committed[c.TopicPartition] = c.Offset
	}
	*s = Snapshot{At: in.At, Topics: in.Topics, Group: in.Group, ConsumerGroup: in.ConsumerGroup,
		Consumers: in.Consumers, Committed: committed}
	return nil
}

// validate rejects a snapshot no run can produce: a malformed group view, or
// two consumers with one name.
func (s Snapshot) validate() error {
	if err := s.Group.validate(); err != nil {
		return err
	}
	if name, dup := duplicate(len(s.Consumers), func(i int) string { return s.Consumers[i].Name }); dup {
		return fmt.Errorf("malformed snapshot: consumer %q is listed twice", name)
	}
	return nil
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
