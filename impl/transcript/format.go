package transcript

import (
	"fmt"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/spec"
)

// formatState prints the group, the consumers and the committed offsets.
func formatState(cl *cluster.Cluster) []string {
	snap := cl.Snapshot()
	g := snap.Group
	var out []string
	if cg := snap.ConsumerGroup; cg != nil {
		out = append(out, fmt.Sprintf("consumer group %s %s epoch=%d target-epoch=%d", cg.GroupID, cg.State, cg.Epoch, cg.AssignmentEpoch))
		for _, m := range cg.Members {
			line := fmt.Sprintf("  member %s %s epoch=%d %s", m.MemberID, m.State, m.Epoch, m.Assigned)
			if len(m.PendingRevocation) > 0 {
				line += " revoking " + m.PendingRevocation.String()
			}
			if !m.Target.Equal(m.Assigned) {
				line += " target " + m.Target.String()
			}
			out = append(out, line)
		}
	} else {
		out = append(out, fmt.Sprintf("group %s %s gen=%d protocol=%s leader=%s", g.GroupID, g.State, g.Generation,
			dash(g.Protocol), dash(g.Leader)))
		for _, m := range g.Members {
			out = append(out, fmt.Sprintf("  member %s %s", m.MemberID, m.Assignment))
		}
	}
	for _, c := range snap.Consumers {
		if !c.Alive {
			out = append(out, fmt.Sprintf("  %s: down", c.Name))
			continue
		}
		cons, _ := cl.Consumer(c.Name)
		line := fmt.Sprintf("  %s: %s member=%s gen=%d owns %s", c.Name, c.State, dash(c.MemberID), c.Generation, spec.FormatPartitions(c.Owned))
		if c.GroupProtocol != "" {
			line = fmt.Sprintf("  %s: %s member=%s epoch=%d owns %s", c.Name, c.AsyncState, dash(c.MemberID), c.Generation, spec.FormatPartitions(c.Owned))
		}
		if pos := cons.Positions(); len(pos) > 0 {
			line += " at " + formatOffsets(pos)
		}
		out = append(out, line)
	}
	if len(snap.Committed) > 0 {
		out = append(out, "  committed "+formatOffsets(snap.Committed))
	}
	return out
}

func formatOffsets(m map[spec.TopicPartition]int64) string {
	tps := make([]spec.TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	spec.SortPartitions(tps)
	parts := make([]string, len(tps))
	for i, tp := range tps {
		parts[i] = fmt.Sprintf("%s=%d", tp, m[tp])
	}
	return strings.Join(parts, " ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// events formats what happened since the last command.
func (s *Session) events() []string {
	var out []string
	for _, e := range s.cl.TakeEvents() {
		if line, ok := s.formatEvent(e); ok {
			out = append(out, line)
		}
	}
	return out
}

func (s *Session) formatEvent(e spec.Event) (string, bool) {
	at := fmt.Sprintf("@%d ", e.At)
	switch e.Kind {
	case spec.EvDeliver:
		if s.quiet || (!s.heartbeats && quietHeartbeat(*e.Msg)) {
			return "", false
		}
		return at + e.Msg.String(), true
	case spec.EvDrop:
		if s.quiet || (!s.heartbeats && quietHeartbeat(*e.Msg)) {
			return "", false
		}
		why := ""
		if e.Detail != "" {
			why = " (" + e.Detail + ")"
		}
		return at + "DROP " + e.Msg.String() + why, true
	case spec.EvGroupState:
		return fmt.Sprintf("%scoord: group %s gen=%d", at, e.Detail, e.Generation), true
	case spec.EvAssigned:
		return fmt.Sprintf("%s%s: assigned %s gen=%d", at, e.Node, spec.FormatPartitions(e.Partitions), e.Generation), true
	case spec.EvRevoked, spec.EvLost:
		return fmt.Sprintf("%s%s: %s %s", at, e.Node, e.Kind, spec.FormatPartitions(e.Partitions)), true
	case spec.EvProcessed:
		return fmt.Sprintf("%s%s: processed %s [%d,%d)", at, e.Node, e.Partitions[0], e.Offset, e.End), true
	case spec.EvFailed:
		return fmt.Sprintf("%s%s: FAILED %s", at, e.Node, e.Detail), true
	case spec.EvRefused:
		return fmt.Sprintf("%s%s: commit refused locally: %s", at, e.Node, e.Detail), true
	case spec.EvRestart:
		return fmt.Sprintf("%s%s: restarted as %s", at, e.Node, e.Detail), true
	}
	return "", false
}

// quietHeartbeat: a heartbeat request, or a successful heartbeat answer.
func quietHeartbeat(m spec.Message) bool {
	switch b := m.Body.(type) {
	case *spec.HeartbeatRequest:
		return true
	case *spec.HeartbeatResponse:
		return b.ErrorCode == spec.None
	}
	return false
}
