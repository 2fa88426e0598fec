package serve

import (
	"fmt"
	"maps"

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
)

var rules = []string{ruleFencing, ruleGenerations, ruleAssignment, ruleCooperative, ruleOffsets, ruleRebuild}

// checks holds what the rules compare against. It lives on the
// coordinator's goroutine.
type checks struct {
	topics    map[string]int32
	gen       map[string]int32                         // each group's highest generation seen
	committed map[string]map[spec.TopicPartition]int64 // each group's committed offsets after the last check
	// leaderJoin is, per group, the member list its leader got and the
	// generation: the claims a cooperative plan is checked against.
	leaderJoin map[string]leaderJoin
	made       map[string]int64 // checks made, per rule
	broken     map[string]int64 // violations, per rule
	report     func(Event)
}

type leaderJoin struct {
	leader     string
	generation int32
	protocol   string
	members    []spec.JoinGroupMember
}

func newChecks(topics map[string]int32, report func(Event)) *checks {
	return &checks{topics: topics, gen: map[string]int32{}, committed: map[string]map[spec.TopicPartition]int64{},
		leaderJoin: map[string]leaderJoin{}, made: map[string]int64{}, broken: map[string]int64{}, report: report}
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

// summary is the checks made and broken, per rule.
func (ck *checks) summary() string {
	s := ""
	for _, r := range rules {
		s += fmt.Sprintf(" %s=%d/%d", r, ck.made[r]-ck.broken[r], ck.made[r])
	}
	return "rules held (ok/checked):" + s
}
