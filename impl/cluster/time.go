package cluster

import (
	"fmt"

	"github.com/kgroup/kgroup/impl/coordinator"
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
	for _, name := range cl.Names() {
		n := cl.nodes[name]
		if !n.running() || n.frozen {
			continue
		}
		if at, armed := n.c.NextDeadline(); armed && (!ok || at < next) {
			next, ok = at, true
		}
	}
	return next, ok
}

// AdvanceTo moves time to t, firing every timer due on the way at its own
// deadline — the coordinator's first, then consumers' by name — and, with
// AutoDeliver, delivering what each firing sends before time moves on.
func (cl *Cluster) AdvanceTo(t int64) error {
	if t < cl.now {
		return fmt.Errorf("cluster: cannot go back in time from %d to %d", cl.now, t)
	}
	same := 0
	for {
		at, ok := cl.NextDeadline()
		if !ok || at > t {
			cl.now = t
			cl.checker.afterStep()
			return nil
		}
		if at <= cl.now {
			same++
		} else {
			same = 0
		}
		if same > maxFiringsPerInstant {
			panic(fmt.Sprintf("cluster: timers still due at %d after %d firings: a state machine does not consume its own deadline", cl.now, same))
		}
		cl.now = max(cl.now, at)
		cl.fireDue()
		cl.settleIfAuto()
		cl.checker.afterStep()
	}
}

// Advance moves time forward by d milliseconds.
func (cl *Cluster) Advance(d int64) error {
	if d < 0 {
		return fmt.Errorf("cluster: cannot advance by a negative duration %d", d)
	}
	return cl.AdvanceTo(cl.now + d)
}

// fireDue ticks everything due now.
func (cl *Cluster) fireDue() {
	if at, ok := cl.coord.NextDeadline(); ok && at <= cl.now {
		ready, err := cl.coord.Tick(cl.now)
		cl.must(err)
		cl.applyCoordinator(ready)
	}
	for _, name := range cl.Names() {
		n := cl.nodes[name]
		if !n.running() || n.frozen {
			continue
		}
		if at, ok := n.c.NextDeadline(); ok && at <= cl.now {
			out, err := n.c.Tick(cl.now)
			cl.must(err)
			cl.applyConsumer(n, out)
		}
	}
}

func (cl *Cluster) must(err error) {
	if err != nil {
		panic(fmt.Sprintf("cluster: a state machine refused the cluster's own input: %v", err))
	}
}

// Failover moves the group to a new coordinator: the old one unloads (parked
// requests are answered NOT_COORDINATOR) and the new one loads the record log,
// as Kafka does when __consumer_offsets leadership moves.
func (cl *Cluster) Failover() error {
	ready, err := cl.coord.Unload(cl.now)
	if err != nil {
		return err
	}
	cl.applyCoordinator(ready)
	coord, loaded, err := coordinator.Load(cl.cfg.Coordinator, cl.now, cl.records)
	if err != nil {
		return err
	}
	cl.coord = coord
	g := coord.Describe(cl.cfg.GroupID)
	cl.log(spec.Event{Kind: spec.EvGroupState, Node: spec.CoordinatorNode, Detail: g.State.String() + " (loaded by the new coordinator)", Generation: g.Generation})
	cl.checker.failover()
	cl.applyCoordinator(loaded)
	cl.settleIfAuto()
	cl.checker.afterStep()
	return nil
}

// Stabilize heals the network and lets time run, deadline by deadline, until
// the group has converged (rule 6) with nothing left in flight outside held
// links, or until limit milliseconds have passed. It returns the time of
// convergence, or an error saying why the group did not converge.
func Stabilize(cl *Cluster, limit int64) (int64, error) {
	end := cl.now + limit
	for {
		if err := cl.Settle(); err != nil {
			return 0, err
		}
		if err := cl.Violation(); err != nil {
			return 0, err
		}
		if spec.CheckConverged(cl.Snapshot()) == nil {
			return cl.now, nil
		}
		next, ok := cl.NextDeadline()
		if !ok || next > end {
			if err := cl.AdvanceTo(end); err != nil {
				return 0, err
			}
			return 0, fmt.Errorf("not converged after %d ms: %w", limit, spec.CheckConverged(cl.Snapshot()))
		}
		if err := cl.AdvanceTo(next); err != nil {
			return 0, err
		}
	}
}
