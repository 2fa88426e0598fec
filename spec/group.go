package spec

import (
	"bytes"
	"fmt"
	"slices"
)

// GroupState is the state of a classic group on the coordinator
// (Kafka's ClassicGroupState).
type GroupState int8

// The classic group states.
const (
	Empty GroupState = iota
	PreparingRebalance
	CompletingRebalance
	Stable
	Dead
)

var groupStateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

func (s GroupState) String() string {
	if int(s) < len(groupStateNames) && s >= 0 {
		return groupStateNames[s]
	}
	return fmt.Sprintf("GroupState(%d)", int8(s))
}

// MarshalText writes the state's name.
func (s GroupState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *GroupState) UnmarshalText(b []byte) error {
	i := slices.Index(groupStateNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("unknown group state %q", b)
	}
	*s = GroupState(i)
	return nil
}

// CanTransition reports whether a classic group may move from one state to
// another. It is Kafka's table of valid previous states
// (ClassicGroupState.validPreviousStates):
//
//	Empty               <- PreparingRebalance
//	PreparingRebalance  <- Stable, CompletingRebalance, Empty
//	CompletingRebalance <- PreparingRebalance
//	Stable              <- CompletingRebalance
//	Dead                <- any state
func CanTransition(from, to GroupState) bool {
	switch to {
	case Empty:
		return from == PreparingRebalance
	case PreparingRebalance:
		return from == Stable || from == CompletingRebalance || from == Empty
	case CompletingRebalance:
		return from == PreparingRebalance
	case Stable:
		return from == CompletingRebalance
	case Dead:
		return true
	}
	return false
}

// RebalanceProtocol is how a client gives up partitions during a rebalance
// (ConsumerPartitionAssignor.RebalanceProtocol).
type RebalanceProtocol int8

// Eager revokes everything before rejoining; cooperative (KIP-429) revokes only
// what moves. Cooperative is the higher of the two.
const (
	Eager RebalanceProtocol = iota
	Cooperative
)

func (p RebalanceProtocol) String() string {
	if p == Cooperative {
		return "COOPERATIVE"
	}
	return "EAGER"
}

// MarshalText writes EAGER or COOPERATIVE.
func (p RebalanceProtocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads EAGER or COOPERATIVE.
func (p *RebalanceProtocol) UnmarshalText(b []byte) error {
	switch string(b) {
	case "EAGER":
		*p = Eager
	case "COOPERATIVE":
		*p = Cooperative
	default:
		return fmt.Errorf("unknown rebalance protocol %q", b)
	}
	return nil
}

// ProtocolTypeConsumer is the protocol type every Kafka consumer joins with.
const ProtocolTypeConsumer = "consumer"

// Subscription is a consumer's member metadata for one assignor: the decoded
// form of Kafka's ConsumerProtocolSubscription (version 3). The coordinator
// treats it as opaque and only compares it; assignors read it.
type Subscription struct {
	Topics          []string         `json:"topics"`
	UserData        []byte           `json:"user_data,omitempty"`
	OwnedPartitions []TopicPartition `json:"owned_partitions,omitempty"`
	// GenerationID is the generation the owned partitions were assigned in;
	// -1 when unknown (Kafka's default).
	GenerationID int32  `json:"generation_id"`
	RackID       string `json:"rack_id,omitempty"`
}

// Equal reports whether two subscriptions are the same metadata.
func (s Subscription) Equal(o Subscription) bool {
	return slices.Equal(s.Topics, o.Topics) && bytes.Equal(s.UserData, o.UserData) &&
		slices.Equal(s.OwnedPartitions, o.OwnedPartitions) &&
		s.GenerationID == o.GenerationID && s.RackID == o.RackID
}

// Clone returns a deep copy.
func (s Subscription) Clone() Subscription {
	s.Topics = slices.Clone(s.Topics)
	s.UserData = bytes.Clone(s.UserData)
	s.OwnedPartitions = slices.Clone(s.OwnedPartitions)
	return s
}

// Protocol is one entry of a JoinGroup's protocol list: an assignor name and
// the member's metadata for it, in the member's order of preference.
type Protocol struct {
	Name     string       `json:"name"`
	Metadata Subscription `json:"metadata"`
}

// ProtocolsEqual reports whether two protocol lists are identical, names,
// order and metadata (Kafka's ClassicGroupMember.matches).
func ProtocolsEqual(a, b []Protocol) bool {
	return slices.EqualFunc(a, b, func(x, y Protocol) bool {
		return x.Name == y.Name && x.Metadata.Equal(y.Metadata)
	})
}
