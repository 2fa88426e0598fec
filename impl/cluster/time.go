package cluster

import (
	"fmt"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/spec"
)

// maxFiringsPerInstant bounds the timer firings at one instant: a timer that
// stays due after it fired is a bug in a state machine.
const maxFiringsPerInstant = 10000

// NextDeadline is the earliest time a timer of the coordinator or of a
// running, unfrozen consumer is due. A deadline already passed (one that
// became live after its time, like a poll timeout noticed when heartbeats
// resume) is due now.
func (cl *Cluster) NextDeadline() (int64, bool) {
	at, ok := cl.nextDeadline()
	return max(at, cl.now), ok
}

func (cl *Cluster) nextDeadline() (int64, bool) {
	next, ok := cl.coord.NextDeadline()
	if x := cl.lean.idx; x != nil {
		if at, armed := x.next(); armed && (!ok || at < next) {
			next, ok = at, true
		}
		return next, ok
	}
	for _, name := range cl.sortedNames() {
		if at, armed := cl.deadlineOf(cl.nodes[name]); armed && (!ok || at < next) {
			next, ok = at, true
		}
	}
	return next, ok
}

// deadlineOf is a consumer's next deadline; frozen and stopped processes
// have none.
func (cl *Cluster) deadlineOf(n *node) (int64, bool) {
	if !n.running() || n.frozen {
		return 0, false
	}
	return n.c.NextDeadline()
}

// dueNodes lists the nodes whose next timer is due at the next deadline
// (coord first, then consumers by name): what fire may act on.
func (cl *Cluster) dueNodes() []string {
	next, ok := cl.NextDeadline()
	if !ok {
		return nil
	}
	var out []string
	if at, ok := cl.coord.NextDeadline(); ok && max(at, cl.now) == next {
		out = append(out, spec.CoordinatorNode)
	}
	if x := cl.lean.idx; x != nil {
		return append(out, x.dueBy(next)...)
	}
	for _, name := range cl.sortedNames() {
		if at, ok := cl.deadlineOf(cl.nodes[name]); ok && max(at, cl.now) == next {
			out = append(out, name)
		}
	}
	return out
}

// fire moves time to the next deadline and fires the named node's earliest
// timer: for the coordinator, that one timer; for a consumer, one pass of
// its timers (one thread checks them in a fixed order).
func (cl *Cluster) fire(name string) {
	cl.now, _ = cl.NextDeadline()
	if name == spec.CoordinatorNode {
		cl.fireCoordinator()
	} else {
		cl.fireConsumer(cl.nodes[name])
	}
	cl.after()
}

// advanceTo moves time to t, firing every timer due on the way at its own
// deadline — the coordinator's first, then consumers' by name — and, with
// AutoDeliver, delivering what each firing sends before time moves on.
func (cl *Cluster) advanceTo(t int64) {
	same := 0
	for {
		at, ok := cl.NextDeadline()
		if !ok || at > t {
			cl.now = t
			cl.checkStep()
			return
		}
		if at <= cl.now {
			same++
		} else {
			same = 0
		}
		if same > maxFiringsPerInstant {
			assert.Fail("cluster: timers still due at %d after %d firings: a state machine does not consume its own deadline", cl.now, same)
		}
		cl.now = max(cl.now, at)
		cl.fireDue()
		cl.after()
	}
}

// fireDue fires everything due now: the coordinator's timers one by one, in
// their order, then each consumer's.
func (cl *Cluster) fireDue() {
	for {
		at, ok := cl.coord.NextDeadline()
		if !ok || at > cl.now {
			break
		}
		cl.fireCoordinator()
	}
	names := cl.Names()
	if x := cl.lean.idx; x != nil {
		names = x.dueBy(cl.now)
	}
	for _, name := range names {
		n := cl.nodes[name]
		if at, ok := cl.deadlineOf(n); ok && at <= cl.now {
			cl.fireConsumer(n)
		}
	}
}

// fireCoordinator fires the coordinator's earliest timer due now.
func (cl *Cluster) fireCoordinator() {
	cl.coordinatorInput(nil)
	ready, err := cl.coord.Step(cl.now, spec.Message{Body: &spec.FireTimer{}})
	cl.must(err)
	cl.applyCoordinator(ready)
	cl.stepped(ActFire, spec.CoordinatorNode, nil)
}

// fireConsumer runs one pass of a consumer's timers.
func (cl *Cluster) fireConsumer(n *node) {
	cl.step(n, spec.Message{Body: &spec.Tick{}})
	cl.stepped(ActFire, n.name, nil)
}

func (cl *Cluster) must(err error) {
	if err != nil {
		assert.Fail("cluster: a state machine refused the cluster's own input: %v", err)
	}
}

// failover moves the group to a new coordinator: the old one unloads (parked
// requests are answered NOT_COORDINATOR) and the new one loads the record log,
// as Kafka does when __consumer_offsets leadership moves.
func (cl *Cluster) failover() {
	cl.coordinatorInput(nil)
	ready, err := cl.coord.Step(cl.now, spec.Message{Body: &spec.Unload{}})
	cl.must(err)
	cl.cgViewOK = false // Dead
	cl.applyCoordinator(ready)
	coord, loaded, err := coordinator.Load(cl.cfg.Coordinator, cl.now, cl.records)
	cl.must(err)
	cl.coord = coord
	cl.lean.viewOK, cl.cgViewOK = false, false
	cl.tellCoordinatorTopics()
	g := coord.Describe(cl.cfg.GroupID)
	cl.log(spec.Event{Kind: spec.EvGroupState, Node: spec.CoordinatorNode, Detail: g.State.String() + " (loaded by the new coordinator)", Generation: g.Generation})
	cl.checker.Failover()
	cl.applyCoordinator(loaded)
	cl.stepped(ActFailover, spec.CoordinatorNode, nil)
	cl.after()
}

// stabilize heals the network and lets time run, deadline by deadline, until
// the group has converged (rule 6) with nothing left in flight outside held
// links, or until limit milliseconds have passed.
func (cl *Cluster) stabilize(limit int64) error {
	end := cl.now + limit
	for {
		if err := cl.settle(); err != nil {
			return err
		}
		if cl.Violation() != nil {
			return fmt.Errorf("%w: stopped at %d by the broken rule", ErrNotConverged, cl.now)
		}
		if spec.CheckConverged(cl.Snapshot()) == nil {
			return nil
		}
		next, ok := cl.NextDeadline()
		if !ok || next > end {
			cl.advanceTo(end)
			return fmt.Errorf("%w after %d ms: %w", ErrNotConverged, limit, spec.CheckConverged(cl.Snapshot()))
		}
		cl.advanceTo(next)
	}
}
