package cluster

import (
	"fmt"
	"slices"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// Long runs. A simulation of an hour of a thousand consumers takes millions
// of steps, most of them heartbeats; checking the whole system after each of
// them, scanning every consumer for the next timer and keeping every action
// and record would cost hours and gigabytes. Two opt-in switches make such
// runs cheap without changing what the state machines do: SetCheckMode
// chooses when the whole-system rules run, and SetLean makes the cluster's
// own bookkeeping cost independent of the run's length. Neither changes a
// single step's outcome (the transcripts replayed with both switches on give
// the same output; lean_test.go).

// CheckMode says when the rules that look at the whole system (ownership,
// generations, committed offsets: spec.Checker.Step) are applied.
type CheckMode uint8

const (
	// CheckEveryStep applies them after every step: the default.
	CheckEveryStep CheckMode = iota
	// CheckAtEvents applies them after every step in which a protocol event
	// happened: a group state change, a rebalance callback (assigned,
	// revoked, lost), a process starting, stopping or failing, a metadata
	// change, a JoinGroup, SyncGroup or LeaveGroup request or answer, an
	// answer with an error. A heartbeat answered NONE, an offset fetch, a
	// batch processed and time passing change nothing those rules look at
	// and are not followed by a whole-system check. Every response is still
	// checked for fencing (rule 2), against a view of the group cached
	// while only heartbeats, commits and fetches reach the coordinator,
	// which cannot change it; every accepted commit is checked per partition
	// for rule 3 (never lower, never beyond what was processed).
	CheckAtEvents
)

// lean is the state of the long-run switches.
type lean struct {
	mode  CheckMode
	dirty bool // a protocol event happened since the last whole-system check
	// view caches the group's view for fencing checks (CheckAtEvents).
	view   spec.GroupView
	viewOK bool
	// committed mirrors the group's committed offsets (CheckAtEvents), for
	// the per-partition commit check; err is the first rule it saw broken.
	committed map[spec.TopicPartition]int64
	err       error
	inc       incremental // the incremental snapshot (incremental.go)
	// on: SetLean was called.
	on        bool
	idx       *deadlineIndex
	compacted int // the log's length after its last compaction
}

// SetCheckMode chooses when the whole-system rules are applied (see
// CheckMode). Switching to CheckAtEvents checks the current state at once.
func (cl *Cluster) SetCheckMode(m CheckMode) {
	cl.lean.mode = m
	cl.lean.viewOK = false
	cl.lean.committed = nil
	cl.lean.inc = incremental{verify: cl.lean.inc.verify}
	if m == CheckAtEvents {
		cl.lean.committed = cl.coord.Committed(cl.cfg.GroupID)
	}
	cl.checker.Step(cl.Snapshot())
}

// SetLean prepares the cluster for a long run: the next timer is found in a
// heap instead of by scanning every consumer, the coordinator's log is
// compacted as Kafka compacts __consumer_offsets (the last group record and
// the last commit of each partition: what a coordinator that loads it
// sees), and actions are no longer kept (Actions and Transcript hold those
// applied before). A long run will usually DiscardEvents too.
func (cl *Cluster) SetLean() {
	cl.lean.on = true
	cl.lean.idx = newDeadlineIndex()
	for _, name := range cl.sortedNames() {
		cl.touched(cl.nodes[name])
	}
	cl.compactLog()
}

// CheckNow applies the whole-system rules to the current state, whatever
// the check mode (incrementally under CheckAtEvents: incremental.go).
func (cl *Cluster) CheckNow() {
	cl.lean.dirty = false
	if cl.lean.mode == CheckAtEvents {
		cl.checkIncremental()
		return
	}
	cl.checker.Step(cl.Snapshot())
}

// checkStep is the whole-system check after a step.
func (cl *Cluster) checkStep() {
	if cl.lean.mode == CheckAtEvents && !cl.lean.dirty {
		return
	}
	cl.CheckNow()
}

// noteEvent marks the protocol events that call for a whole-system check.
func (cl *Cluster) noteEvent(e spec.Event) {
	if cl.lean.mode != CheckAtEvents || cl.lean.dirty {
		return
	}
	switch e.Kind {
	case spec.EvInput, spec.EvSend, spec.EvProcessed, spec.EvStall, spec.EvUnstall, spec.EvConsume,
		spec.EvCommit, spec.EvRefused, spec.EvDrop:
		return
	case spec.EvDeliver:
		if quietMessage(e.Msg) {
			return
		}
	}
	cl.lean.dirty = true
}

// quietMessage: a heartbeat, a commit, an offset fetch, or a successful
// answer to one of them.
func quietMessage(m *spec.Message) bool {
	switch b := m.Body.(type) {
	case *spec.HeartbeatRequest, *spec.OffsetCommitRequest, *spec.OffsetFetchRequest:
		return true
	case *spec.HeartbeatResponse:
		return b.ErrorCode == spec.None
	case *spec.OffsetFetchResponse:
		return b.ErrorCode == spec.None
	case *spec.OffsetCommitResponse:
		return b.Code() == spec.None
	}
	return false
}

// coordinatorInput notes what the coordinator is about to take (nil: a
// timer, a failover): anything but a heartbeat, a commit or a fetch may
// change the group's view.
func (cl *Cluster) coordinatorInput(body any) {
	switch body.(type) {
	case *spec.HeartbeatRequest, *spec.OffsetCommitRequest, *spec.OffsetFetchRequest:
	default:
		cl.lean.viewOK = false
	}
	if body == nil {
		cl.lean.committed = nil // a failover: read them again from the new coordinator
	}
}

// groupAfter is the group's view right after the coordinator produced r,
// for the fencing checks of its responses.
func (cl *Cluster) groupAfter(r coordinator.Ready) spec.GroupView {
	if cl.lean.mode != CheckAtEvents {
		return cl.coord.Describe(cl.cfg.GroupID)
	}
	if len(r.Transitions) > 0 || slices.ContainsFunc(r.Records, func(rec coordinator.Record) bool { return rec.Group != nil }) {
		cl.lean.viewOK = false
	}
	return cl.groupView()
}

// persisted takes the records the coordinator just wrote: each commit is
// checked per partition (CheckAtEvents), and the log is compacted (SetLean).
func (cl *Cluster) persisted(recs []coordinator.Record) {
	if cl.lean.mode == CheckAtEvents {
		if cl.lean.committed == nil {
			cl.lean.committed = cl.coord.Committed(cl.cfg.GroupID)
		} else {
			cl.checkCommits(recs)
		}
	}
	if cl.lean.on && len(cl.records) > 2*cl.lean.compacted+4096 {
		cl.compactLog()
	}
}

// checkCommits is rule 3 on each offset committed: never lower than the last
// commit of the partition, never beyond what was processed.
func (cl *Cluster) checkCommits(recs []coordinator.Record) {
	for _, r := range recs {
		o := r.Offset
		if o == nil || o.GroupID != cl.cfg.GroupID {
			continue
		}
		// The rules' own functions, called only when they fail, for their
		// messages: a map each is the cost of a commit otherwise.
		next := func() map[spec.TopicPartition]int64 { return map[spec.TopicPartition]int64{o.TopicPartition: o.Offset} }
		if prev, ok := cl.lean.committed[o.TopicPartition]; ok && o.Offset < prev {
			cl.leanFail(spec.CheckOffsetsMonotonic(map[spec.TopicPartition]int64{o.TopicPartition: prev}, next(), nil))
		}
		if o.Offset > cl.Ledger().End(o.TopicPartition) {
			cl.leanFail(spec.CheckCommittedProcessed(next(), cl.Ledger()))
		}
		cl.lean.committed[o.TopicPartition] = o.Offset
	}
}

func (cl *Cluster) leanFail(err error) {
	if err != nil && cl.lean.err == nil && cl.checker.Err() == nil {
		cl.lean.err = fmt.Errorf("at %d: %w", cl.now, err)
	}
}

// compactLog keeps what a coordinator that loads the log sees (appendLog
// says what that is): per group its last group record, preceded by the
// group record naming the highest member id if that is an earlier one (Load
// never hands out an id at or below it), and the last commit of each
// partition; and a consumer group's records as keepConsumerGroupRecords
// says. A group id that was of both types in one run keeps every record
// of its classic group, and their tombstones.
func (cl *Cluster) compactLog() {
	type key struct {
		group string
		tp    spec.TopicPartition
	}
	lastGroup := map[string]int{}
	maxID := map[string]int{}
	maxSeq := map[string]uint64{}
	lastOffset := map[key]int{}
	mixed := map[string]bool{}
	for i, r := range cl.records {
		switch {
		case r.Group != nil:
			id := r.Group.GroupID
			lastGroup[id] = i
			for _, m := range r.Group.Members {
				if s := coordinator.IDSequence(m.MemberID); s > maxSeq[id] {
					maxSeq[id], maxID[id] = s, i
				}
			}
		case r.Offset != nil:
			lastOffset[key{r.Offset.GroupID, r.Offset.TopicPartition}] = i
		case r.GroupTombstone != nil:
			mixed[r.GroupTombstone.GroupID] = true
		}
	}
	keep := make([]bool, len(cl.records))
	for i, r := range cl.records {
		switch {
		case r.Group != nil && mixed[r.Group.GroupID]:
			keep[i] = true
		case r.GroupTombstone != nil:
			keep[i] = true
		}
	}
	for id, i := range lastGroup {
		keep[i] = true
		if j, ok := maxID[id]; ok {
			keep[j] = true
		}
	}
	for _, i := range lastOffset {
		keep[i] = true
	}
	keepConsumerGroupRecords(cl.records, keep)
	out := make([]coordinator.Record, 0, len(lastGroup)*2+len(lastOffset))
	for i, r := range cl.records {
		if keep[i] {
			out = append(out, r)
		}
	}
	cl.records = out
	cl.lean.compacted = len(out)
}

// violation is the first rule broken, by the checker or by the per-partition
// commit check.
func (cl *Cluster) violation() error {
	if cl.lean.err != nil {
		return cl.lean.err
	}
	return cl.checker.Err()
}

// cloneLean gives a copy of the cluster its own long-run state.
func (cl *Cluster) cloneLean(n *Cluster) {
	n.lean.committed = nil
	if cl.lean.committed != nil {
		n.lean.committed = n.coord.Committed(n.cfg.GroupID)
	}
	n.lean.viewOK = false
	n.lean.inc = incremental{verify: cl.lean.inc.verify}
	if cl.lean.idx != nil {
		n.lean.idx = newDeadlineIndex()
		for _, name := range n.Names() {
			n.touched(n.nodes[name])
		}
	}
}

// Due lists the nodes whose timer is due at NextDeadline (the coordinator
// first, then consumers by name): those `fire` may act on. A driver that
// must do something before a consumer's timer fires (the simulator brings
// the application's progress up to date) fires them one by one.
func (cl *Cluster) Due() []string { return cl.dueNodes() }
