package cluster

import (
	"errors"
	"fmt"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// checker applies spec's rules as the cluster runs and keeps the first
// violation. Each rule is checked where it can be seen: fencing on every
// response, generations on every transition, ownership, generations and
// offsets after every step, no-loss on every processed batch.
type checker struct {
	cl       *Cluster
	err      error
	prev     spec.Snapshot
	havePrev bool
	ledger   spec.Ledger
	requests map[reqKey]spec.Request // requests the coordinator has not answered yet
	// failedOver: a coordinator failover happened. Kafka persists a new
	// generation only when the leader's assignment arrives, so after a
	// failover mid-rebalance consumers may hold a generation the reloaded
	// group has not reached, and the group's generation may be lower than
	// its in-memory one was; those two comparisons are skipped from then on.
	failedOver bool
	// Steps counts afterStep calls: how many states were checked.
	steps int64
}

type reqKey struct {
	to   string
	corr int32
}

func (ck *checker) init(cl *Cluster) {
	ck.cl = cl
	ck.requests = map[reqKey]spec.Request{}
}

func (ck *checker) fail(err error) {
	if err != nil && ck.err == nil {
		ck.err = fmt.Errorf("at %d: %w", ck.cl.now, err)
	}
}

// request remembers a request delivered to the coordinator so that its
// response can be checked against it.
func (ck *checker) request(m spec.Message) {
	ck.requests[reqKey{m.From, m.Correlation}] = m.Body.(spec.Request)
}

// response checks rule 2 (fencing) for one coordinator response.
func (ck *checker) response(after spec.GroupView, m spec.Message) {
	k := reqKey{m.To, m.Correlation}
	req, ok := ck.requests[k]
	if !ok {
		ck.fail(fmt.Errorf("coordinator answered %s, which nobody asked", m))
		return
	}
	delete(ck.requests, k)
	if req.Group() != ck.cl.cfg.GroupID {
		return
	}
	ck.fail(spec.CheckFencing(after, req, m.Body.(spec.Response)))
}

// transition checks rule 5 for one state change.
func (ck *checker) transition(t coordinator.Transition) {
	ck.fail(spec.CheckTransition(t.From, t.FromGeneration, t.To, t.ToGeneration))
}

// consumerEvent feeds processed batches to the ledger (rule 3, no loss).
func (ck *checker) consumerEvent(e spec.Event) {
	if e.Kind == spec.EvProcessed {
		ck.fail(ck.ledger.Process(e.Partitions[0], e.Offset, e.End))
	}
}

// failover starts comparing afresh against the loaded coordinator.
func (ck *checker) failover() {
	ck.failedOver = true
	ck.requests = map[reqKey]spec.Request{}
}

// afterStep checks the rules that hold at every instant and between
// consecutive instants.
func (ck *checker) afterStep() {
	ck.steps++
	s := ck.cl.Snapshot()
	ck.fail(spec.CheckSnapshot(s))
	ck.fail(spec.CheckCommittedProcessed(s.Committed, &ck.ledger))
	if ck.havePrev {
		ck.fail(spec.CheckOffsetsMonotonic(ck.prev.Committed, s.Committed, nil))
		if err := spec.CheckGenerations(ck.prev, s); err != nil && !ck.failedOver {
			ck.fail(err)
		}
	}
	ck.prev, ck.havePrev = s, true
}

// StepsChecked is how many states the checker has examined.
func (cl *Cluster) StepsChecked() int64 { return cl.checker.steps }

// CheckConverged applies rule 6 to the current state.
func (cl *Cluster) CheckConverged() error {
	return errors.Join(cl.Violation(), spec.CheckConverged(cl.Snapshot()))
}
