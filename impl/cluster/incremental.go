package cluster

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/spec"
)

// Incremental whole-system checks. Under CheckAtEvents a check follows
// every protocol event, and during a rebalance of N members that is every
// JoinGroup and SyncGroup request and answer. A full snapshot (every
// committed offset copied, the group described afresh, every consumer's
// view taken) and a full check of the offsets cost O(partitions +
// consumers) each time, O(N × partitions) a rebalance. The incremental
// snapshot takes again only what a step can have changed, and tells the
// checker which committed offsets may differ (spec.Checker.StepChanged,
// whose verdicts are Step's):
//
//   - the committed offsets are a mirror: the partitions an OffsetCommit
//     the coordinator took names are read again at the next check (a commit
//     writes no other); any other change of the coordinator's count of
//     writes (OffsetWrites), or another coordinator, reads them all again;
//   - the group's view is described again only after the coordinator took
//     something that can change it (the view the fencing checks use), and
//     shares the coordinator's member data (DescribeShared);
//   - a consumer's view is taken again only after the consumer stepped;
//   - the sorted consumer names are kept until a consumer is added.
//
// VerifyIncremental makes every incremental check also take the full
// snapshot, compare the two, and compare the verdicts with the full check's.

// incremental is the state of the incremental snapshot.
type incremental struct {
	// offsets mirrors coord's committed offsets of the group after writes
	// of them, but for the partitions in changed; nil: read them all at
	// the next check.
	offsets map[spec.TopicPartition]int64
	coord   *coordinator.Coordinator
	writes  uint64
	// changed lists, once each, the partitions whose offset may have
	// changed since the last check (pending marks them).
	changed []spec.TopicPartition
	pending map[spec.TopicPartition]bool
	// verify: compare with a full snapshot and check (VerifyIncremental);
	// checked is the mirror as the last check saw it.
	verify  bool
	checked map[spec.TopicPartition]int64
}

// VerifyIncremental makes every incremental check (CheckAtEvents) prove
// itself: it also takes the full snapshot, which must equal the
// incremental one, and the offsets that differ from those of the previous
// check must all be among those the checker is told of; a copy of the
// checker then checks the full snapshot with Step, and its verdict must be
// the incremental check's. A disagreement is a broken internal invariant.
// For tests: it costs what the full check costs, and more.
func (cl *Cluster) VerifyIncremental() { cl.lean.inc.verify = true }

// checkIncremental is the whole-system check of CheckAtEvents.
func (cl *Cluster) checkIncremental() {
	inc := &cl.lean.inc
	if inc.offsets == nil || inc.coord != cl.coord || inc.writes != cl.coord.OffsetWrites(cl.cfg.GroupID) {
		cl.readOffsets()
		s := cl.leanSnapshot()
		s.Committed = maps.Clone(inc.offsets)
		cl.verifySnapshot(s, false, nil)
		cl.checker.Step(s)
		return
	}
	for _, tp := range inc.changed {
		if v, ok := cl.coord.CommittedOffset(cl.cfg.GroupID, tp); ok {
			inc.offsets[tp] = v
		} else {
			delete(inc.offsets, tp)
		}
	}
	s := cl.leanSnapshot()
	var shadow *spec.Checker
	if inc.verify {
		shadow = cl.verifySnapshot(s, true, inc.changed)
	}
	cl.checker.StepChanged(s, inc.changed)
	cl.verifyVerdict(shadow)
	for _, tp := range inc.changed {
		delete(inc.pending, tp)
	}
	inc.changed = inc.changed[:0]
}

// readOffsets reads the whole mirror again.
func (cl *Cluster) readOffsets() {
	inc := &cl.lean.inc
	inc.offsets = cl.coord.Committed(cl.cfg.GroupID)
	inc.coord, inc.writes = cl.coord, cl.coord.OffsetWrites(cl.cfg.GroupID)
	for _, tp := range inc.changed {
		delete(inc.pending, tp)
	}
	inc.changed = inc.changed[:0]
}

// offsetsTaken notes what the coordinator's taking body wrote: a commit to
// the group, the partitions it names, which the next check reads again;
// any other input that wrote offsets leaves the count changed, so the next
// check reads them all.
func (cl *Cluster) offsetsTaken(body any) {
	inc := &cl.lean.inc
	r, ok := body.(*spec.OffsetCommitRequest)
	if !ok || inc.offsets == nil || inc.coord != cl.coord || r.GroupID != cl.cfg.GroupID {
		return
	}
	w := cl.coord.OffsetWrites(cl.cfg.GroupID)
	if w == inc.writes {
		return
	}
	if inc.pending == nil {
		inc.pending = map[spec.TopicPartition]bool{}
	}
	for _, o := range r.Offsets {
		tp := o.TopicPartition
		if !inc.pending[tp] {
			inc.pending[tp] = true
			inc.changed = append(inc.changed, tp)
		}
	}
	inc.writes = w
}

// leanSnapshot is Snapshot from what the cluster keeps: the committed
// offsets are the mirror itself, which the caller must not keep.
func (cl *Cluster) leanSnapshot() spec.Snapshot {
	s := cl.withConsumerGroup(spec.Snapshot{At: cl.now, Topics: cl.topics, Group: cl.groupView(), Committed: cl.lean.inc.offsets})
	names := cl.sortedNames()
	if len(names) > 0 {
		s.Consumers = make([]spec.ConsumerView, 0, len(names))
	}
	for _, name := range names {
		s.Consumers = append(s.Consumers, cl.nodes[name].viewNow())
	}
	return s
}

// groupView is the group's view, described again only after the
// coordinator took something that can change it (coordinatorInput).
func (cl *Cluster) groupView() spec.GroupView {
	if !cl.lean.viewOK {
		cl.lean.view, cl.lean.viewOK = cl.coord.DescribeShared(cl.cfg.GroupID), true
	}
	return cl.lean.view
}

// viewNow is the consumer's view, taken again only after it stepped.
func (n *node) viewNow() spec.ConsumerView {
	if !n.viewOK {
		n.view, n.viewOK = n.c.View(), true
	}
	v := n.view
	v.Alive = n.running()
	return v
}

// sortedNames is Names, kept until a consumer is added; not to be modified.
func (cl *Cluster) sortedNames() []string {
	if cl.names == nil {
		cl.names = spec.SortedKeys(cl.nodes)
	}
	return cl.names
}

// verifySnapshot (VerifyIncremental) compares s with the full snapshot and
// returns a copy of the checker that checked the full one; partial: the
// checker is told of the offsets in changed only (else s is checked in
// full anyway).
func (cl *Cluster) verifySnapshot(s spec.Snapshot, partial bool, changed []spec.TopicPartition) *spec.Checker {
	inc := &cl.lean.inc
	if !inc.verify {
		return nil
	}
	full := cl.Snapshot()
	if !reflect.DeepEqual(s, full) {
		assert.Fail("cluster: at %d the incremental snapshot differs from the full one:\n%+v\n%+v", cl.now, s, full)
	}
	for tp, o := range full.Committed {
		if p, ok := inc.checked[tp]; partial && (!ok || p != o) && !slices.Contains(changed, tp) {
			assert.Fail("cluster: at %d the offset of %s changed (%d, %v to %d) but the checker is not told", cl.now, tp, p, ok, o)
		}
	}
	for tp := range inc.checked {
		if _, ok := full.Committed[tp]; partial && !ok && !slices.Contains(changed, tp) {
			assert.Fail("cluster: at %d the offset of %s disappeared but the checker is not told", cl.now, tp)
		}
	}
	inc.checked = maps.Clone(full.Committed)
	if !partial {
		return nil
	}
	shadow := cl.checker.Clone()
	shadow.Rebuild = cl.rebuild
	shadow.Step(full)
	return shadow
}

// verifyVerdict (VerifyIncremental) compares the verdict of the full check
// with the incremental one's.
func (cl *Cluster) verifyVerdict(shadow *spec.Checker) {
	if shadow == nil {
		return
	}
	if got, want := fmt.Sprint(cl.checker.Err()), fmt.Sprint(shadow.Err()); got != want || cl.checker.Steps() != shadow.Steps() {
		assert.Fail("cluster: at %d the incremental check says %s, the full one %s", cl.now, got, want)
	}
}
