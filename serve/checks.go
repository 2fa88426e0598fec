package serve

import (
	"fmt"
	"maps"
	"slices"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// Rules checked on live traffic: every rule of DESIGN §5 that the
// coordinator's side can see, each with spec's own predicate.
const (
	ruleFencing     = "fencing"     // rule 2, spec.CheckFencing on every answer
	ruleGenerations = "generations" // rule 5, spec.CheckTransition, and no group generation going back
	ruleAssignment  = "assignment"  // rule 1's validity half, spec.CheckAssignment on every installed plan
	ruleCooperative = "cooperative" // rule 4, spec.CheckCooperativePlan on a cooperative leader's plan
	ruleOffsets     = "offsets"     // rule 3, spec.CheckOffsetsMonotonic after every commit
	ruleRebuild     = "rebuild"     // DESIGN §3: the record log loads into the live group
	// KIP-848 consumer groups, on the coordinator's DescribeConsumerGroup
	// view after every step that changed the group (a consumer group
	// changes only through records).
	ruleCGOwnership = "cg-ownership" // rule 1: no partition held (assigned or pending revocation) by two members
	ruleCGEpochs    = "cg-epochs"    // a member's epoch never goes back while it stays in the group
)

var rules = []string{ruleFencing, ruleGenerations, ruleAssignment, ruleCooperative, ruleOffsets, ruleRebuild, ruleCGOwnership, ruleCGEpochs}

// checks holds what the rules compare against. It lives on the
// coordinator's goroutine.
type checks struct {
	topics    map[string]int32
	gen       map[string]int32                         // each group's highest generation seen
	committed map[string]map[spec.TopicPartition]int64 // each group's committed offsets after the last check
	// leaderJoin is, per group, the member list its leader got and the
	// generation: the claims a cooperative plan is checked against.
	leaderJoin map[string]leaderJoin
	// memberEpochs are, per consumer group, its members' epochs when last
	// checked.
	memberEpochs map[string]map[string]int32
	made         map[string]int64 // checks made, per rule
	broken       map[string]int64 // violations, per rule
	report       func(Event)
}

type leaderJoin struct {
	leader     string
	generation int32
	protocol   string
	members    []spec.JoinGroupMember
}

func newChecks(topics map[string]int32, report func(Event)) *checks {
	return &checks{topics: topics, gen: map[string]int32{}, committed: map[string]map[spec.TopicPartition]int64{},
		leaderJoin: map[string]leaderJoin{}, memberEpochs: map[string]map[string]int32{}, made: map[string]int64{},
		broken: map[string]int64{}, report: report}
}

func (ck *checks) check(at int64, group, rule string, err error) {
	ck.made[rule]++
	if err != nil {
		ck.broken[rule]++
		ck.report(violationEvent(at, group, rule, err))
	}
}

// transition: rule 5 on one state change.
func (ck *checks) transition(at int64, t spec.Transition) {
	err := spec.CheckTransition(t.From, t.FromGeneration, t.To, t.ToGeneration)
	if err == nil && t.ToGeneration < ck.gen[t.Group] {
		err = fmt.Errorf("generations: group %s went back from generation %d to %d", t.Group, ck.gen[t.Group], t.ToGeneration)
	}
	ck.gen[t.Group] = max(ck.gen[t.Group], t.ToGeneration)
	ck.check(at, t.Group, ruleGenerations, err)
}

// answered: rule 2 on one answer, with the group's view after the step
// that produced it; a leader's JoinGroup answer is kept for rule 4.
func (ck *checks) answered(at int64, after spec.GroupView, req spec.Request, resp spec.Response) {
	if resp.Code() == spec.NotCoordinator {
		return // the coordinator was unloaded: nothing to fence against
	}
	ck.check(at, req.Group(), ruleFencing, spec.CheckFencing(after, req, resp))
	if r, ok := resp.(*spec.JoinGroupResponse); ok && r.ErrorCode == spec.None && r.MemberID == r.Leader {
		ck.leaderJoin[req.Group()] = leaderJoin{leader: r.Leader, generation: r.GenerationID, protocol: r.ProtocolName, members: r.Members}
	}
}

// plan: rule 4 on a leader's SyncGroup plan, when the group runs the
// cooperative protocol (KIP-429's "cooperative-sticky", the one
// cooperative assignor every client ships under that name) and the plan
// answers the member list this leader was given.
func (ck *checks) plan(at int64, r *spec.SyncGroupRequest) {
	lj, ok := ck.leaderJoin[r.GroupID]
	if !ok || len(r.Assignments) == 0 || lj.leader != r.MemberID || lj.generation != r.GenerationID ||
		lj.protocol != (assignors.CooperativeSticky{}).Name() {
		return
	}
	owned := map[string][]spec.TopicPartition{}
	for _, m := range lj.members {
		owned[m.MemberID] = m.Metadata.OwnedPartitions
	}
	plan := map[string]spec.Assignment{}
	for _, a := range r.Assignments {
		plan[a.MemberID] = a.Assignment.Partitions
	}
	ck.check(at, r.GroupID, ruleCooperative, spec.CheckCooperativePlan(owned, plan))
}

// installed: rule 1's validity half once a group is Stable with a plan.
// A cooperative round may withhold partitions that change owner.
func (ck *checks) installed(at int64, g spec.GroupView) {
	if g.State != spec.Stable {
		return
	}
	withheld := g.Protocol == (assignors.CooperativeSticky{}).Name()
	ck.check(at, g.GroupID, ruleAssignment, spec.CheckAssignment(ck.topics, g.Subscriptions(), g.Assignments(), withheld))
}

// offsets: rule 3 after a step that wrote offset records.
func (ck *checks) offsets(at int64, group string, now map[spec.TopicPartition]int64) {
	prev := ck.committed[group]
	ck.committed[group] = maps.Clone(now)
	ck.check(at, group, ruleOffsets, spec.CheckOffsetsMonotonic(prev, now, nil))
}

// rebuild: once a group is Stable or Empty, a coordinator that loads the
// log describes it as the live one does, and holds the same offsets.
func (ck *checks) rebuild(at int64, live *coordinator.Coordinator, load func() (*coordinator.Coordinator, error), group string) {
	lv := live.Describe(group)
	if lv.State != spec.Stable && lv.State != spec.Empty {
		return
	}
	loaded, err := load()
	if err != nil {
		ck.check(at, group, ruleRebuild, fmt.Errorf("records: the log does not load: %w", err))
		return
	}
	got := loaded.Describe(group)
	switch {
	case !spec.SameGroup(got, lv):
		err = fmt.Errorf("records: the log rebuilds group %s as %+v, but it is %+v", group, got, lv)
	case !maps.Equal(loaded.Committed(group), live.Committed(group)):
		err = fmt.Errorf("records: the log rebuilds group %s with offsets %v, but they are %v", group, loaded.Committed(group), live.Committed(group))
	}
	ck.check(at, group, ruleRebuild, err)
}

// failover: the generations a reloaded coordinator shows start afresh
// (Kafka persists a generation only with the leader's assignment, so a
// failover mid-rebalance goes back to the last one persisted); offsets are
// still compared across it.
func (ck *checks) failover(c *coordinator.Coordinator) {
	for g := range ck.gen {
		ck.gen[g] = c.Describe(g).Generation
	}
	clear(ck.leaderJoin)
}

// consumerGroup: the consumer-group rules on a group's view after a step
// that changed it; ok false is a group that no longer exists.
func (ck *checks) consumerGroup(at int64, group string, v spec.ConsumerGroupView, ok bool) {
	if !ok {
		delete(ck.memberEpochs, group)
		return
	}
	ck.check(at, group, ruleCGOwnership, cgOwnership(v))
	prev := ck.memberEpochs[group]
	now := make(map[string]int32, len(v.Members))
	var err error
	for _, m := range v.Members {
		if m.Epoch == spec.StaticLeaveEpoch {
			continue // a static member that left for now; it comes back at epoch 0
		}
		if p, seen := prev[m.MemberID]; seen && m.Epoch < p && err == nil {
			err = fmt.Errorf("cg-epochs: group %s: member %s went back from epoch %d to %d while in the group", group, m.MemberID, p, m.Epoch)
		}
		now[m.MemberID] = m.Epoch
	}
	ck.memberEpochs[group] = now
	ck.check(at, group, ruleCGEpochs, err)
}

// cgOwnership is the coordinator's exclusive ownership of a consumer
// group's partitions (ConsumerGroup.currentPartitionEpoch): a partition is
// held by one member at most, as assigned or pending revocation, never
// both.
func cgOwnership(v spec.ConsumerGroupView) error {
	holder := map[spec.TopicPartition]string{}
	for _, m := range v.Members {
		for _, a := range []spec.Assignment{m.Assigned, m.PendingRevocation} {
			for _, tp := range a.Partitions() {
				if h, held := holder[tp]; held {
					if h == m.MemberID {
						return fmt.Errorf("cg-ownership: group %s: member %s holds %s both assigned and pending revocation", v.GroupID, h, tp)
					}
					return fmt.Errorf("cg-ownership: group %s: %s is held by %s and by %s", v.GroupID, tp, h, m.MemberID)
				}
				holder[tp] = m.MemberID
			}
		}
	}
	return nil
}

// answeredCG: rule 2 on an answer for a consumer group, with its view
// after the step. A commit is fenced by the member epoch, not the group
// epoch (ConsumerGroup.validateOffsetCommit: the epoch must be the
// member's current one), as is a fetch naming a member; a heartbeat
// answered with success gives the epoch and the assignment the
// coordinator holds for the member.
func (ck *checks) answeredCG(at int64, v spec.ConsumerGroupView, req spec.Request, resp spec.Response) {
	if resp.Code() == spec.NotCoordinator {
		return
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("fencing: %s answered with success although %s (consumer group %s at epoch %d)",
			spec.FormatBody(req), fmt.Sprintf(format, args...), v.GroupID, v.Epoch)
	}
	current := func(id string, epoch int32) error {
		m, ok := v.Member(id)
		switch {
		case !ok:
			return fail("%q is not a member", id)
		case m.Epoch != epoch:
			return fail("the member's epoch is %d, not %d", m.Epoch, epoch)
		}
		return nil
	}
	var err error
	switch r := req.(type) {
	case *spec.OffsetCommitRequest:
		cr, ok := resp.(*spec.OffsetCommitResponse)
		if !ok || !anyCommitted(cr) || (r.GenerationID < 0 && len(v.Members) == 0) {
			return
		}
		err = current(r.MemberID, r.GenerationID)
	case *spec.OffsetFetchRequest:
		if resp.Code() != spec.None || r.MemberID == "" {
			return
		}
		err = current(r.MemberID, r.MemberEpoch)
	case *spec.ConsumerGroupHeartbeatRequest:
		hr, ok := resp.(*spec.ConsumerGroupHeartbeatResponse)
		if !ok || hr.ErrorCode != spec.None {
			return
		}
		m, in := v.Member(hr.MemberID)
		switch {
		case r.MemberEpoch == spec.LeaveEpoch:
			if in {
				err = fail("the member is still in the group")
			}
		case r.MemberEpoch == spec.StaticLeaveEpoch:
			if !in || m.Epoch != spec.StaticLeaveEpoch {
				err = fail("the static member is not kept at epoch -2")
			}
		default:
			err = current(hr.MemberID, hr.MemberEpoch)
			if err == nil && hr.Assignment != nil && !hr.Assignment.Equal(m.Assigned) {
				err = fail("it returned %s but the member is assigned %s", hr.Assignment, m.Assigned)
			}
		}
	default:
		return
	}
	ck.check(at, v.GroupID, ruleFencing, err)
}

func anyCommitted(r *spec.OffsetCommitResponse) bool {
	for _, p := range r.Partitions {
		if p.ErrorCode == spec.None {
			return true
		}
	}
	return false
}

// rebuildCG: once a consumer group is Stable or Empty, a coordinator that
// loads the log describes it as the live one does.
func (ck *checks) rebuildCG(at int64, live spec.ConsumerGroupView, load func() (*coordinator.Coordinator, error)) {
	loaded, err := load()
	if err != nil {
		ck.check(at, live.GroupID, ruleRebuild, fmt.Errorf("records: the log does not load: %w", err))
		return
	}
	got, _ := loaded.DescribeConsumerGroup(live.GroupID)
	if !sameConsumerGroup(got, live) {
		err = fmt.Errorf("records: the log rebuilds consumer group %s as %+v, but it is %+v", live.GroupID, got, live)
	}
	ck.check(at, live.GroupID, ruleRebuild, err)
}

func sameConsumerGroup(a, b spec.ConsumerGroupView) bool {
	if a.GroupID != b.GroupID || a.State != b.State || a.Epoch != b.Epoch || a.AssignmentEpoch != b.AssignmentEpoch || len(a.Members) != len(b.Members) {
		return false
	}
	for i, m := range a.Members {
		n := b.Members[i]
		if m.MemberID != n.MemberID || m.InstanceID != n.InstanceID || m.State != n.State || m.Epoch != n.Epoch ||
			m.PreviousEpoch != n.PreviousEpoch || !slices.Equal(m.Topics, n.Topics) || !m.Assigned.Equal(n.Assigned) ||
			!m.PendingRevocation.Equal(n.PendingRevocation) || !m.Target.Equal(n.Target) {
			return false
		}
	}
	return true
}

// summary is the checks made and broken, per rule.
func (ck *checks) summary() string {
	s := ""
	for _, r := range rules {
		s += fmt.Sprintf(" %s=%d/%d", r, ck.made[r]-ck.broken[r], ck.made[r])
	}
	return "rules held (ok/checked):" + s
}
