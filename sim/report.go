package sim

import (
	"fmt"
	"io"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// chartWidth is the number of columns of the ownership chart.
const chartWidth = 60

// onEvent turns the events that matter to someone running a group into
// timeline lines.
func (s *Sim) onEvent(e spec.Event) {
	line := ""
	switch e.Kind {
	case spec.EvStart, spec.EvCrash, spec.EvClose, spec.EvStall, spec.EvUnstall, spec.EvFreeze, spec.EvThaw:
		line = fmt.Sprintf("%s %s", e.Node, verbs[e.Kind])
	case spec.EvRestart:
		line = fmt.Sprintf("%s restarts (a new process)", e.Node)
	case spec.EvCreateTopic, spec.EvAddPartitions:
		line = fmt.Sprintf("topic %s now has %d partitions", e.Topic, e.Count)
	case spec.EvDeleteTopic:
		line = fmt.Sprintf("topic %s deleted", e.Topic)
	case spec.EvGroupState:
		line = s.groupLine(e)
	case spec.EvRevoked:
		line = fmt.Sprintf("%s gives up %s", e.Node, spec.FormatPartitions(e.Partitions))
	case spec.EvLost:
		line = fmt.Sprintf("%s loses %s (no longer a member; nothing committed)", e.Node, spec.FormatPartitions(e.Partitions))
	case spec.EvAssigned:
		for _, tp := range e.Partitions {
			delete(s.resumed, e.Node+" "+tp.String())
		}
	case spec.EvProcessed:
		key := e.Node + " " + e.Partitions[0].String()
		if !s.resumed[key] {
			s.resumed[key] = true
			line = fmt.Sprintf("%s starts %s at offset %d", e.Node, e.Partitions[0], e.Offset)
		}
	case spec.EvFailed:
		line = fmt.Sprintf("%s stops on a fatal error: %s", e.Node, e.Detail)
	}
	if line != "" {
		s.timeline = append(s.timeline, fmt.Sprintf("%9s  %s", seconds(e.At), line))
	}
}

var verbs = map[spec.EventKind]string{
	spec.EvStart: "starts", spec.EvCrash: "crashes", spec.EvClose: "shuts down cleanly",
	spec.EvStall: "stops polling", spec.EvUnstall: "polls again", spec.EvFreeze: "freezes (no heartbeats)",
	spec.EvThaw: "resumes",
}

func (s *Sim) groupLine(e spec.Event) string {
	switch e.Detail {
	case spec.PreparingRebalance.String():
		return "coordinator: rebalance begins; members must rejoin"
	case spec.Stable.String():
		g := s.hooked.Coordinator().Describe(s.hooked.GroupID())
		parts := []string{}
		for _, m := range g.Members {
			parts = append(parts, fmt.Sprintf("%s %s", m.MemberID, m.Assignment))
		}
		return fmt.Sprintf("coordinator: generation %d assigned: %s", e.Generation, strings.Join(parts, ", "))
	case spec.Empty.String():
		return fmt.Sprintf("coordinator: group empty (generation %d)", e.Generation)
	}
	return ""
}

func seconds(ms int64) string { return fmt.Sprintf("%d.%03ds", ms/1000, ms%1000) }

// report writes the timeline, the ownership chart and the summary.
func (s *Sim) report(w io.Writer) {
	fmt.Fprintln(w, "timeline:")
	for _, l := range s.timeline {
		fmt.Fprintln(w, l)
	}
	if s.hooked == nil || len(s.samples) < 2 {
		return
	}
	s.chart(w)
	s.summary(w)
}

// chart prints one row per partition: which consumer owned it over time.
func (s *Sim) chart(w io.Writer) {
	names := s.hooked.Names()
	symbol := map[string]byte{"": '.'}
	legend := []string{}
	for i, n := range names {
		symbol[n] = "123456789abcdefghijklmnopqrstuvwxyz"[i%35]
		legend = append(legend, fmt.Sprintf("%c=%s", symbol[n], n))
	}
	first, last := s.samples[0].at, s.samples[len(s.samples)-1].at
	fmt.Fprintf(w, "\nownership from %s to %s (%s; . = nobody):\n", seconds(first), seconds(last), strings.Join(legend, " "))
	for _, tp := range s.partitions() {
		row := make([]byte, chartWidth)
		for col := range row {
			row[col] = symbol[s.ownerAt(tp, first+(last-first)*int64(col)/chartWidth)]
		}
		fmt.Fprintf(w, "  %-12s %s\n", tp, row)
	}
}

// ownerAt is the owner in the last sample at or before t.
func (s *Sim) ownerAt(tp spec.TopicPartition, t int64) string {
	owner := ""
	for _, smp := range s.samples {
		if smp.at > t {
			break
		}
		owner = smp.owners[tp]
	}
	return owner
}

func (s *Sim) partitions() []spec.TopicPartition {
	var tps []spec.TopicPartition
	topics := s.hooked.Topics()
	for _, t := range spec.SortedKeys(topics) {
		for p := range topics[t] {
			tps = append(tps, spec.TopicPartition{Topic: t, Partition: p})
		}
	}
	return tps
}

// summary: rebalances, pause time once a partition first had an owner, and
// the at-least-once cost.
func (s *Sim) summary(w io.Writer) {
	var paused int64
	for _, tp := range s.partitions() {
		owned := false
		for i := 1; i < len(s.samples); i++ {
			owner := s.samples[i-1].owners[tp]
			owned = owned || owner != ""
			if owned && owner == "" {
				paused += s.samples[i].at - s.samples[i-1].at
			}
		}
	}
	g := s.hooked.Coordinator().Describe(s.hooked.GroupID())
	l := s.hooked.Ledger()
	fmt.Fprintf(w, "\nsummary:\n  group %s at generation %d\n  partitions idle %s in all after their first assignment\n"+
		"  %d records processed, %d of them again (at-least-once replay)\n", g.State, g.Generation, seconds(paused), l.Processed, l.Duplicates)
	for _, tp := range s.partitions() {
		if d := l.DuplicatesOf(tp); d > 0 {
			fmt.Fprintf(w, "    %s: %d replayed\n", tp, d)
		}
	}
}
