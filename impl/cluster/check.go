package cluster

import (
	"errors"
	"fmt"
	"reflect"

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
	// settled: the group reached Stable or Empty during the step, so its log
	// must now rebuild it.
	settled bool
	// joinMembers is the member list each leader (by address) last got in a
	// JoinGroup answer: the claims its plan is checked against (rule 4).
	joinMembers map[string][]spec.JoinGroupMember
	// revokes holds, per consumer name, what a cooperative consumer must
	// revoke after the assignment it was just given (rule 4).
	revokes map[string]expectedRevoke
}

type expectedRevoke struct{ owned, assigned []spec.TopicPartition }

type reqKey struct {
	to   string
	corr int32
}

func (ck *checker) init(cl *Cluster) {
	ck.cl = cl
	ck.requests = map[reqKey]spec.Request{}
	ck.joinMembers = map[string][]spec.JoinGroupMember{}
	ck.revokes = map[string]expectedRevoke{}
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
	if r, ok := m.Body.(*spec.SyncGroupRequest); ok && len(r.Assignments) > 0 {
		ck.fail(checkPlan(ck.joinMembers[m.From], r.Assignments))
	}
}

// checkPlan is rule 4 on a leader's plan: nothing moves between members
// within one generation. Eager members claim nothing (they revoked all before
// joining), so the rule binds only cooperative ones.
func checkPlan(members []spec.JoinGroupMember, plan []spec.SyncGroupAssignment) error {
	owned := map[string][]spec.TopicPartition{}
	for _, m := range members {
		owned[m.MemberID] = m.Metadata.OwnedPartitions
	}
	assigned := map[string]spec.Assignment{}
	for _, a := range plan {
		assigned[a.MemberID] = a.Assignment.Partitions
	}
	return spec.CheckCooperativePlan(owned, assigned)
}

// beforeConsumer notes, when a cooperative consumer is about to receive its
// assignment, what it must then revoke (rule 4).
func (ck *checker) beforeConsumer(n *node, m spec.Message) {
	r, ok := m.Body.(*spec.SyncGroupResponse)
	if !ok || r.ErrorCode != spec.None || n.c.Protocol() != spec.Cooperative {
		return
	}
	ck.revokes[n.name] = expectedRevoke{owned: n.c.View().Owned, assigned: r.Assignment.Partitions.Partitions()}
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
	if r, ok := m.Body.(*spec.JoinGroupResponse); ok && r.ErrorCode == spec.None && len(r.Members) > 0 {
		ck.joinMembers[m.To] = r.Members
	}
	if req.Group() != ck.cl.cfg.GroupID {
		return
	}
	ck.fail(spec.CheckFencing(after, req, m.Body.(spec.Response)))
}

// transition checks rule 5 for one state change.
func (ck *checker) transition(t coordinator.Transition) {
	ck.fail(spec.CheckTransition(t.From, t.FromGeneration, t.To, t.ToGeneration))
	if t.Group == ck.cl.cfg.GroupID && (t.To == spec.Stable || t.To == spec.Empty) {
		ck.settled = true
	}
}

// checkReplay is the record discipline (DESIGN §3): once a group is Stable
// or Empty, a coordinator that loads the log describes it exactly as the live
// one does — the log holds everything a failover needs.
func (ck *checker) checkReplay(live spec.GroupView) error {
	loaded, _, err := coordinator.Load(ck.cl.cfg.Coordinator, ck.cl.now, ck.cl.records)
	if err != nil {
		return fmt.Errorf("records: the log does not load: %w", err)
	}
	if got := loaded.Describe(ck.cl.cfg.GroupID); !reflect.DeepEqual(normalize(got), normalize(live)) {
		return fmt.Errorf("records: the log rebuilds the group as %+v, but it is %+v", got, live)
	}
	return nil
}

// normalize makes empty and nil assignments and lists compare equal.
func normalize(g spec.GroupView) spec.GroupView {
	for i := range g.Members {
		g.Members[i].Assignment.Normalize()
		if len(g.Members[i].Assignment) == 0 {
			g.Members[i].Assignment = nil
		}
		if len(g.Members[i].Topics) == 0 {
			g.Members[i].Topics = nil
		}
	}
	if len(g.Members) == 0 {
		g.Members = nil
	}
	return g
}

// event sees every event: processed batches feed the ledger (rule 3, no
// loss); revocations are held to what the last assignment requires (rule 4).
func (ck *checker) event(e spec.Event) {
	switch e.Kind {
	case spec.EvProcessed:
		ck.fail(ck.ledger.Process(e.Partitions[0], e.Offset, e.End))
	case spec.EvRevoked:
		if want, ok := ck.revokes[e.Node]; ok {
			delete(ck.revokes, e.Node)
			ck.fail(spec.CheckCooperativeRevoke(want.owned, want.assigned, e.Partitions))
		}
	case spec.EvLost, spec.EvFailed, spec.EvClose, spec.EvCrash, spec.EvRestart:
		delete(ck.revokes, e.Node)
	case spec.EvAssigned:
		// Assigned after the revocation (or with nothing to revoke): the
		// round is over for this consumer.
		if want, ok := ck.revokes[e.Node]; ok {
			delete(ck.revokes, e.Node)
			ck.fail(spec.CheckCooperativeRevoke(want.owned, want.assigned, nil))
		}
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
	if ck.settled && (s.Group.State == spec.Stable || s.Group.State == spec.Empty) {
		ck.fail(ck.checkReplay(s.Group))
	}
	ck.settled = false
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
