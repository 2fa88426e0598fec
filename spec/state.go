package spec

import (
	"encoding/binary"
	"fmt"
)

// Canonical state. Every kgroup state machine has AppendState(b, f), which
// appends a binary encoding of its state such that two states with equal
// encodings behave alike on every future input: maps are written sorted,
// only live timers are written, times are relative to the frame's Now, and
// counters are reduced to what behaviour depends on. An explorer compares
// and hashes these bytes to recognise a state it has already seen.

// StateFrame is what a canonical encoding is relative to.
type StateFrame struct {
	// Now is the time of the next input; deadlines are written relative to it.
	Now int64
	// Corr renumbers the correlation id of a request that the process at
	// addr sent, e.g. to its distance from that process's last one, so that
	// states reached after different numbers of requests can encode alike.
	// nil writes correlation ids as they are.
	Corr func(addr string, corr int32) int64
}

// Rel is a time relative to the frame.
func (f StateFrame) Rel(t int64) int64 { return t - f.Now }

// CorrOf is corr as the frame renumbers it.
func (f StateFrame) CorrOf(addr string, corr int32) int64 {
	if f.Corr == nil {
		return int64(corr)
	}
	return f.Corr(addr, corr)
}

// AppendMessage appends the canonical form of m: endpoints, the renumbered
// correlation id of the request it is or answers, and its body.
func AppendMessage(b []byte, m Message, f StateFrame) []byte {
	b = appendStr(appendStr(b, m.From), m.To)
	owner := m.From
	if _, ok := m.Body.(Response); ok {
		owner = m.To
	}
	b = binary.AppendVarint(b, f.CorrOf(owner, m.Correlation))
	return AppendBody(b, m.Body)
}

// AppendBody appends the canonical form of a message body: a tag for its
// type, then every field. A body of a type spec does not define is written
// as its type's name and text form.
func AppendBody(b []byte, body any) []byte {
	switch x := body.(type) {
	case *JoinGroupRequest:
		b = append(b, 1)
		b = appendStrs(b, x.GroupID, x.MemberID, x.GroupInstanceID, x.ProtocolType, x.ClientID, x.Reason)
		b = appendInts(b, int64(x.SessionTimeoutMs), int64(x.RebalanceTimeoutMs), int64(len(x.Protocols)))
		for _, p := range x.Protocols {
			b = AppendSubscription(appendStr(b, p.Name), p.Metadata)
		}
	case *JoinGroupResponse:
		b = append(b, 2)
		b = appendInts(b, int64(x.ErrorCode), int64(x.GenerationID), boolInt(x.SkipAssignment), int64(len(x.Members)))
		b = appendStrs(b, x.ProtocolType, x.ProtocolName, x.Leader, x.MemberID)
		for _, m := range x.Members {
			b = AppendSubscription(appendStrs(b, m.MemberID, m.GroupInstanceID), m.Metadata)
		}
	case *SyncGroupRequest:
		b = append(b, 3)
		b = appendStrs(b, x.GroupID, x.MemberID, x.GroupInstanceID, x.ProtocolType, x.ProtocolName)
		b = appendInts(b, int64(x.GenerationID), int64(len(x.Assignments)))
		for _, a := range x.Assignments {
			b = AppendMemberAssignment(appendStr(b, a.MemberID), a.Assignment)
		}
	case *SyncGroupResponse:
		b = append(b, 4)
		b = appendStrs(appendInts(b, int64(x.ErrorCode)), x.ProtocolType, x.ProtocolName)
		b = AppendMemberAssignment(b, x.Assignment)
	case *HeartbeatRequest:
		b = appendStrs(appendInts(append(b, 5), int64(x.GenerationID)), x.GroupID, x.MemberID, x.GroupInstanceID)
	case *HeartbeatResponse:
		b = appendInts(append(b, 6), int64(x.ErrorCode))
	case *LeaveGroupRequest:
		b = appendInts(appendStr(append(b, 7), x.GroupID), int64(len(x.Members)))
		for _, m := range x.Members {
			b = appendStrs(b, m.MemberID, m.GroupInstanceID, m.Reason)
		}
	case *LeaveGroupResponse:
		b = appendInts(append(b, 8), int64(x.ErrorCode), int64(len(x.Members)))
		for _, m := range x.Members {
			b = appendInts(appendStrs(b, m.MemberID, m.GroupInstanceID), int64(m.ErrorCode))
		}
	case *OffsetCommitRequest:
		b = appendStrs(append(b, 9), x.GroupID, x.MemberID, x.GroupInstanceID)
		b = appendInts(b, int64(x.GenerationID), int64(len(x.Offsets)))
		for _, o := range x.Offsets {
			b = appendStr(appendInts(appendTP(b, o.TopicPartition), o.Offset), o.Metadata)
		}
	case *OffsetCommitResponse:
		b = appendInts(append(b, 10), int64(len(x.Partitions)))
		for _, p := range x.Partitions {
			b = appendInts(appendTP(b, p.TopicPartition), int64(p.ErrorCode))
		}
	case *OffsetFetchRequest:
		b = appendInts(appendStrs(append(b, 11), x.GroupID, x.MemberID), int64(x.MemberEpoch), boolInt(x.Partitions == nil))
		b = AppendPartitions(b, x.Partitions)
	case *OffsetFetchResponse:
		b = appendInts(append(b, 12), int64(x.ErrorCode), int64(len(x.Partitions)))
		for _, p := range x.Partitions {
			b = appendStr(appendInts(appendTP(b, p.TopicPartition), p.Offset, int64(p.ErrorCode)), p.Metadata)
		}
	case *ConsumerGroupHeartbeatRequest:
		b = appendStrs(append(b, 13), x.GroupID, x.MemberID, x.ClientID)
		b = appendInts(b, int64(x.MemberEpoch), int64(x.RebalanceTimeoutMs))
		b = appendOptStr(appendOptStr(appendOptStr(appendOptStr(b, x.InstanceID), x.RackID), x.SubscribedTopicRegex), x.ServerAssignor)
		b = appendInts(b, boolInt(x.SubscribedTopicNames == nil), int64(len(x.SubscribedTopicNames)))
		b = appendStrs(b, x.SubscribedTopicNames...)
		b = appendOptAssignment(b, x.TopicPartitions)
	case *ConsumerGroupHeartbeatResponse:
		b = appendInts(append(b, 14), int64(x.ErrorCode), int64(x.MemberEpoch), int64(x.HeartbeatIntervalMs))
		b = appendOptAssignment(appendStrs(b, x.ErrorMessage, x.MemberID), x.Assignment)
	default: // a body of another implementation's type: its type and text
		b = appendStrs(append(b, 0), fmt.Sprintf("%T", body), FormatBody(body))
	}
	return b
}

// appendOptStr appends a nullable string: whether it is null, then its value.
func appendOptStr(b []byte, s *string) []byte {
	if s == nil {
		return appendInts(b, 0)
	}
	return appendStr(appendInts(b, 1), *s)
}

// appendOptAssignment appends a nullable assignment: whether it is null,
// then its value.
func appendOptAssignment(b []byte, a Assignment) []byte {
	if a == nil {
		return appendInts(b, 0)
	}
	return AppendAssignment(appendInts(b, 1), a)
}

// AppendPartitions appends a list of partitions, in its order.
func AppendPartitions(b []byte, tps []TopicPartition) []byte {
	b = binary.AppendUvarint(b, uint64(len(tps)))
	for _, tp := range tps {
		b = appendTP(b, tp)
	}
	return b
}

// AppendAssignment appends an assignment in canonical order (topics sorted,
// partitions ascending); nil and empty encode alike.
func AppendAssignment(b []byte, a Assignment) []byte {
	b = binary.AppendUvarint(b, uint64(a.Len()))
	for _, t := range SortedKeys(a) {
		for _, p := range a[t] {
			b = appendTP(b, TopicPartition{t, p})
		}
	}
	return b
}

// AppendSubscription appends member metadata, every field.
func AppendSubscription(b []byte, s Subscription) []byte {
	b = appendInts(b, int64(len(s.Topics)))
	b = appendStrs(b, s.Topics...)
	b = appendStr(b, string(s.UserData))
	b = AppendPartitions(b, s.OwnedPartitions)
	return appendStr(appendInts(b, int64(s.GenerationID)), s.RackID)
}

// AppendMemberAssignment appends one member's assignment and user data.
func AppendMemberAssignment(b []byte, a MemberAssignment) []byte {
	return appendStr(AppendAssignment(b, a.Partitions), string(a.UserData))
}

func appendTP(b []byte, tp TopicPartition) []byte {
	return binary.AppendVarint(appendStr(b, tp.Topic), int64(tp.Partition))
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrs(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

func appendInts(b []byte, vs ...int64) []byte {
	for _, v := range vs {
		b = binary.AppendVarint(b, v)
	}
	return b
}

func boolInt(v bool) int64 {
	if v {
		return 1
	}
	return 0
}
