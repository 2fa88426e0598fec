package spec

import (
	"fmt"
	"strings"
)

// The local inputs of kgroup's state machines. As in etcd-io/raft, where a
// tick or a campaign is a message too, every input a coordinator or a
// consumer takes is a Message: a Request or Response that came over the
// network, or one of the bodies below, which no network carries (From and
// Correlation are then unused). The coordinator's Step takes requests, Tick,
// FireTimer and Unload; the consumer's Step takes responses, Tick, Stall,
// Unstall, Close, MetadataUpdate, Consume and Commit.

// Tick fires every timer due at or before the step's time.
type Tick struct{}

// FireTimer fires only the earliest timer due at or before the step's time,
// so that a driver can choose the order of timers due at one instant.
type FireTimer struct{}

// Unload is the coordinator losing its partition of __consumer_offsets (a
// failover): every group goes Dead and every request is answered
// NOT_COORDINATOR from then on.
type Unload struct{}

// Stall makes the consumer's application stop calling poll (a long batch, a
// stuck handler); heartbeats go on and max.poll.interval.ms keeps counting.
type Stall struct{}

// Unstall makes the application poll again.
type Unstall struct{}

// Close shuts the consumer down cleanly (KafkaConsumer.close).
type Close struct{}

// MetadataUpdate gives the consumer the current partition count of every topic.
type MetadataUpdate struct {
	Topics map[string]int32 `json:"topics"`
}

// Consume makes the application process Records records of each owned
// partition whose position is known, or of Partition alone when set.
type Consume struct {
	Records   int64           `json:"records"`
	Partition *TopicPartition `json:"partition,omitempty"`
}

// Commit is the application's commitSync of its current positions, with
// MetadataBytes bytes of metadata attached to each offset.
type Commit struct {
	MetadataBytes int `json:"metadata_bytes,omitempty"`
}

// IsLocalInput reports whether body is one of the local inputs above.
func IsLocalInput(body any) bool {
	switch body.(type) {
	case *Tick, *FireTimer, *Unload, *Stall, *Unstall, *Close, *MetadataUpdate, *Consume, *Commit:
		return true
	}
	return false
}

// formatLocal is the text form of a local input, or "" for another body.
func formatLocal(body any) string {
	switch b := body.(type) {
	case *Tick:
		return "Tick"
	case *FireTimer:
		return "FireTimer"
	case *Unload:
		return "Unload"
	case *Stall:
		return "Stall"
	case *Unstall:
		return "Unstall"
	case *Close:
		return "Close"
	case *MetadataUpdate:
		parts := []string{"MetadataUpdate"}
		for _, t := range SortedKeys(b.Topics) {
			parts = append(parts, fmt.Sprintf("%s=%d", t, b.Topics[t]))
		}
		return strings.Join(parts, " ")
	case *Consume:
		s := fmt.Sprintf("Consume %d", b.Records)
		if b.Partition != nil {
			s += " " + b.Partition.String()
		}
		return s
	case *Commit:
		return fmt.Sprintf("Commit metadata=%d", b.MetadataBytes)
	}
	return ""
}

// Transition is one state change of a classic group, as the coordinator
// makes it, in the order made.
type Transition struct {
	Group          string     `json:"group"`
	From           GroupState `json:"from"`
	To             GroupState `json:"to"`
	FromGeneration int32      `json:"from_generation"`
	ToGeneration   int32      `json:"to_generation"`
}
