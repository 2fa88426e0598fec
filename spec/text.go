package spec

import (
	"fmt"
	"strings"
)

// FormatBody is the one-line text form of a request or response body. Fields
// at their zero value are left out so lines stay short; member ids print as
// "-" when empty.
func FormatBody(body any) string {
	var w textWriter
	switch b := body.(type) {
	case *JoinGroupRequest:
		w.kind("JoinGroup")
		w.member(b.MemberID, b.GroupInstanceID)
		w.protocols(b.Protocols)
		w.kv("session", b.SessionTimeoutMs)
		w.kv("rebalance", b.RebalanceTimeoutMs)
	case *JoinGroupResponse:
		w.kind("JoinGroup", b.ErrorCode)
		w.kv("member", orDash(b.MemberID))
		if b.ErrorCode == None {
			w.kv("gen", b.GenerationID)
			w.kv("protocol", b.ProtocolName)
			w.kv("leader", b.Leader)
			if b.SkipAssignment {
				w.word("skip-assignment")
			}
			if len(b.Members) > 0 {
				ids := make([]string, len(b.Members))
				for i, m := range b.Members {
					ids[i] = m.MemberID
				}
				w.kv("members", "["+strings.Join(ids, " ")+"]")
			}
		}
	case *SyncGroupRequest:
		w.kind("SyncGroup")
		w.member(b.MemberID, b.GroupInstanceID)
		w.kv("gen", b.GenerationID)
		if len(b.Assignments) > 0 {
			parts := make([]string, len(b.Assignments))
			for i, a := range b.Assignments {
				parts[i] = a.MemberID + "=" + a.Assignment.Partitions.String()
			}
			w.kv("assignments", "{"+strings.Join(parts, ", ")+"}")
		}
	case *SyncGroupResponse:
		w.kind("SyncGroup", b.ErrorCode)
		if b.ErrorCode == None {
			w.kv("assignment", b.Assignment.Partitions.String())
		}
	case *HeartbeatRequest:
		w.kind("Heartbeat")
		w.member(b.MemberID, b.GroupInstanceID)
		w.kv("gen", b.GenerationID)
	case *HeartbeatResponse:
		w.kind("Heartbeat", b.ErrorCode)
	case *LeaveGroupRequest:
		w.kind("LeaveGroup")
		for _, m := range b.Members {
			w.member(m.MemberID, m.GroupInstanceID)
		}
	case *LeaveGroupResponse:
		w.kind("LeaveGroup", b.ErrorCode)
		for _, m := range b.Members {
			w.word(orDash(m.MemberID) + ":" + m.ErrorCode.String())
		}
	case *OffsetCommitRequest:
		w.kind("OffsetCommit")
		w.member(b.MemberID, b.GroupInstanceID)
		w.kv("gen", b.GenerationID)
		for _, o := range b.Offsets {
			w.word(fmt.Sprintf("%s=%d", o.TopicPartition, o.Offset))
		}
	case *OffsetCommitResponse:
		w.kind("OffsetCommit", b.Code())
	case *OffsetFetchRequest:
		w.kind("OffsetFetch")
		w.word(FormatPartitions(b.Partitions))
	case *OffsetFetchResponse:
		w.kind("OffsetFetch", b.ErrorCode)
		for _, p := range b.Partitions {
			w.word(fmt.Sprintf("%s=%d", p.TopicPartition, p.Offset))
		}
	case *ConsumerGroupHeartbeatRequest:
		formatCGHeartbeat(&w, b)
	case *ConsumerGroupHeartbeatResponse:
		w.kind("ConsumerGroupHeartbeat", b.ErrorCode)
		w.kv("member", orDash(b.MemberID))
		w.kv("epoch", b.MemberEpoch)
		if b.ErrorCode == None {
			w.kv("interval", b.HeartbeatIntervalMs)
		}
		if b.Assignment != nil {
			w.kv("assignment", b.Assignment.String())
		}
	default:
		if s := formatLocal(body); s != "" {
			return s
		}
		return fmt.Sprintf("%T", body)
	}
	return w.String()
}

type textWriter struct{ strings.Builder }

func (w *textWriter) word(s string) {
	if w.Len() > 0 {
		w.WriteByte(' ')
	}
	w.WriteString(s)
}

func (w *textWriter) kv(k string, v any) { w.word(fmt.Sprintf("%s=%v", k, v)) }

func (w *textWriter) kind(k string, code ...ErrorCode) {
	w.word(k)
	if len(code) > 0 {
		w.word(code[0].String())
	}
}

func (w *textWriter) member(id, instance string) {
	w.kv("member", orDash(id))
	if instance != "" {
		w.kv("instance", instance)
	}
}

func (w *textWriter) protocols(ps []Protocol) {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	w.kv("protocols", "["+strings.Join(names, " ")+"]")
	if len(ps) == 0 {
		return
	}
	sub := ps[0].Metadata
	w.kv("topics", "["+strings.Join(sub.Topics, " ")+"]")
	if len(sub.OwnedPartitions) > 0 {
		w.kv("owned", FormatPartitions(sub.OwnedPartitions))
	}
	if sub.GenerationID >= 0 {
		w.kv("owned-gen", sub.GenerationID)
	}
}

func formatCGHeartbeat(w *textWriter, b *ConsumerGroupHeartbeatRequest) {
	w.kind("ConsumerGroupHeartbeat")
	w.member(b.MemberID, deref(b.InstanceID))
	w.kv("epoch", b.MemberEpoch)
	if b.RackID != nil {
		w.kv("rack", *b.RackID)
	}
	if b.RebalanceTimeoutMs != -1 {
		w.kv("rebalance", b.RebalanceTimeoutMs)
	}
	if b.SubscribedTopicNames != nil {
		w.kv("topics", "["+strings.Join(b.SubscribedTopicNames, " ")+"]")
	}
	if b.SubscribedTopicRegex != nil {
		w.kv("regex", *b.SubscribedTopicRegex)
	}
	if b.ServerAssignor != nil {
		w.kv("assignor", *b.ServerAssignor)
	}
	if b.TopicPartitions != nil {
		w.kv("owned", b.TopicPartitions.String())
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
