package coordinator

import (
	"cmp"
	"maps"
	"slices"

	"github.com/kgroup/kgroup/internal/canon"
	"github.com/kgroup/kgroup/spec"
)

// AppendState appends a canonical encoding of the coordinator to b (see
// spec.StateFrame): two coordinators with equal encodings answer every
// future sequence of inputs alike. Groups are written sorted by id and
// members in admission order, which is what behaviour depends on (their
// sequence numbers are not written); a parked request's correlation id goes
// through f.Corr; only live timers are written, each with its deadline
// relative to f.Now and its place in the firing order. The id counter that
// new member ids come from is written as it is: ids are compared as strings.
func (c *Coordinator) AppendState(b []byte, f spec.StateFrame) []byte {
	cfg := c.cfg
	b = canon.Ints(b, int64(cfg.GroupMaxSize), cfg.InitialRebalanceDelayMs, int64(cfg.MinSessionTimeoutMs),
		int64(cfg.MaxSessionTimeoutMs), cfg.NewMemberJoinTimeoutMs, int64(cfg.OffsetMetadataMaxBytes), int64(cfg.Bugs))
	b = canon.Ints(b, int64(cfg.ConsumerSessionTimeoutMs), int64(cfg.ConsumerHeartbeatIntervalMs),
		int64(cfg.ConsumerGroupMaxSize), int64(len(cfg.ConsumerAssignors)))
	b = canon.Strs(b, cfg.ConsumerAssignors...)
	b = canon.Int(canon.Bool(b, c.active), int64(c.nextID))
	b = canon.Int(b, c.metadataVersion)
	e := stateEncoder{f: f, rank: c.timerRanks()}
	b = canon.Int(b, int64(len(c.groups)))
	for _, id := range spec.SortedKeys(c.groups) {
		b = e.group(b, c.groups[id])
	}
	b = canon.Int(b, int64(len(c.cgroups)))
	for _, id := range spec.SortedKeys(c.cgroups) {
		b = e.cgroup(b, c.cgroups[id])
	}
	b = canon.Int(b, int64(len(c.topics)))
	for _, t := range spec.SortedKeys(c.topics) {
		b = canon.Int(canon.Str(b, t), int64(c.topics[t]))
	}
	b = canon.Int(b, int64(len(c.offsets)))
	for _, id := range spec.SortedKeys(c.offsets) {
		b = c.offsets[id].appendState(canon.Str(b, id))
	}
	return b
}

// timerRanks numbers the live timers in firing order.
func (c *Coordinator) timerRanks() map[*timer]int64 {
	var live []*timer
	add := func(t *timer) {
		if t.at != disarmed {
			live = append(live, t)
		}
	}
	for _, g := range c.groups {
		g.eachTimer(add)
	}
	for _, g := range c.cgroups {
		g.eachTimer(add)
	}
	slices.SortFunc(live, func(a, b *timer) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
	rank := make(map[*timer]int64, len(live))
	for i, t := range live {
		rank[t] = int64(i)
	}
	return rank
}

// eachTimer calls f on every timer the group owns.
func (g *group) eachTimer(f func(*timer)) {
	f(&g.joinTimer)
	f(&g.syncTimer)
	for _, m := range g.members {
		f(&m.session)
	}
	for _, p := range g.pending {
		f(&p.session)
	}
}

type stateEncoder struct {
	f    spec.StateFrame
	rank map[*timer]int64
}

func (e stateEncoder) group(b []byte, g *group) []byte {
	b = canon.Strs(b, g.id, g.protocolType, g.protocolName, g.leader)
	b = canon.Ints(b, int64(g.state), int64(g.prevState), int64(g.generation), int64(g.transitionGen),
		g.initialDelayMs, g.initialRemainingMs)
	b = canon.Bool(canon.Bool(b, g.newMemberAdded), g.initialDelayRunning)
	b = e.timer(b, &g.joinTimer)
	if b = e.timer(b, &g.syncTimer); g.syncTimer.at != disarmed {
		b = canon.Int(b, int64(g.syncTimer.gen))
	}
	ms := g.byAdmission()
	b = canon.Int(b, int64(len(ms)))
	for _, m := range ms {
		b = e.member(b, m)
	}
	b = canon.Int(b, int64(len(g.pending)))
	for _, id := range spec.SortedKeys(g.pending) {
		b = e.timer(canon.Str(b, id), &g.pending[id].session)
	}
	b = canon.Int(b, int64(len(g.static)))
	for _, inst := range spec.SortedKeys(g.static) {
		b = canon.Strs(b, inst, g.static[inst])
	}
	b = canon.Int(b, int64(len(g.pendingSync)))
	b = canon.Strs(b, spec.SortedKeys(g.pendingSync)...)
	return b
}

func (e stateEncoder) member(b []byte, m *member) []byte {
	b = canon.Strs(b, m.id, m.instanceID, m.clientID, m.protocolType)
	b = canon.Ints(b, int64(m.sessionTimeoutMs), int64(m.rebalanceTimeoutMs), int64(len(m.protocols)))
	for _, p := range m.protocols {
		b = spec.AppendSubscription(canon.Str(b, p.Name), p.Metadata)
	}
	b = spec.AppendMemberAssignment(b, m.assignment)
	b = e.parked(e.parked(b, m.join), m.sync)
	return e.timer(canon.Bool(b, m.isNew), &m.session)
}

func (e stateEncoder) parked(b []byte, p *parked) []byte {
	if p == nil {
		return canon.Bool(b, false)
	}
	return canon.Int(canon.Str(canon.Bool(b, true), p.to), e.f.CorrOf(p.to, p.corr))
}

// timer writes a live timer's deadline relative to now and its rank in the
// firing order; a disarmed one is written as absent.
func (e stateEncoder) timer(b []byte, t *timer) []byte {
	if t.at == disarmed {
		return canon.Bool(b, false)
	}
	return canon.Ints(canon.Bool(b, true), e.f.Rel(t.at), e.rank[t])
}

func sortedPartitions[V any](m map[spec.TopicPartition]V) []spec.TopicPartition {
	tps := make([]spec.TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	spec.SortPartitions(tps)
	return tps
}

// Clone returns a deep copy that evolves independently of c. Values that the
// coordinator never modifies in place (protocol lists, assignments, parked
// request addresses) are shared.
func (c *Coordinator) Clone() *Coordinator {
	n := &Coordinator{cfg: c.cfg, groups: make(map[string]*group, len(c.groups)), now: c.now,
		nextID: c.nextID, nextSeq: c.nextSeq, active: c.active, metadataVersion: c.metadataVersion}
	n.timers.seq = c.timers.seq
	n.offsets = make(map[string]*offsetStore, len(c.offsets))
	for id, s := range c.offsets {
		n.offsets[id] = s.clone()
	}
	for id, g := range c.groups {
		ng := g.clone()
		n.groups[id] = ng
		// The copy's heap holds the live timers only, each under its real
		// key: the same firing order, without the stale entries.
		ng.eachTimer(func(t *timer) {
			t.index = -1
			if t.at != disarmed {
				t.queued, t.qseq = t.at, t.seq
				n.timers.h = append(n.timers.h, t)
			}
		})
	}
	n.cgroups = make(map[string]*cgroup, len(c.cgroups))
	for id, g := range c.cgroups {
		ng := g.clone()
		n.cgroups[id] = ng
		ng.eachTimer(func(t *timer) {
			t.index = -1
			if t.at != disarmed {
				t.queued, t.qseq = t.at, t.seq
				n.timers.h = append(n.timers.h, t)
			}
		})
	}
	n.topics = maps.Clone(c.topics)
	for i, t := range n.timers.h {
		t.index = i
	}
	heapInit(&n.timers.h)
	return n
}

func (g *group) clone() *group {
	ng := *g
	ng.members = make(map[string]*member, len(g.members))
	for id, m := range g.members {
		nm := *m
		nm.session.group, nm.session.member = &ng, &nm
		ng.members[id] = &nm
	}
	ng.pending = make(map[string]*pendingMember, len(g.pending))
	for id, p := range g.pending {
		np := *p
		np.session.group = &ng
		ng.pending[id] = &np
	}
	ng.static = maps.Clone(g.static)
	ng.pendingSync = maps.Clone(g.pendingSync)
	ng.supporters = maps.Clone(g.supporters)
	ng.joinTimer.group, ng.syncTimer.group = &ng, &ng
	return &ng
}

// cgroup writes a consumer group: everything but the refresh flag, which
// only saves recomputing subscription metadata that has not changed.
func (e stateEncoder) cgroup(b []byte, g *cgroup) []byte {
	b = canon.Ints(canon.Str(b, g.id), int64(g.epoch), int64(g.assignmentEpoch))
	b = canon.Bool(b, g.dead)
	b = canon.Int(b, int64(len(g.subscribed)))
	for _, t := range spec.SortedKeys(g.subscribed) {
		b = canon.Int(canon.Str(b, t), int64(g.subscribed[t]))
	}
	b = canon.Int(b, int64(len(g.regexes)))
	for _, re := range spec.SortedKeys(g.regexes) {
		r := g.regexes[re]
		b = canon.Int(canon.Str(b, re), int64(len(r.topics)))
		b = canon.Ints(canon.Strs(b, r.topics...), r.version, r.timestamp)
	}
	ms := g.byID()
	b = canon.Int(b, int64(len(ms)))
	for _, m := range ms {
		b = canon.Strs(b, m.id, m.instanceID, m.rackID, m.clientID, m.regex, m.serverAssignor)
		b = canon.Int(b, int64(len(m.topics)))
		b = canon.Strs(b, m.topics...)
		b = canon.Ints(b, int64(m.rebalanceTimeoutMs), int64(m.state), int64(m.epoch), int64(m.prevEpoch))
		b = spec.AppendAssignment(spec.AppendAssignment(b, m.assigned), m.pendingRevocation)
		b = e.timer(b, &m.session)
		if b = e.timer(b, &m.rebalance); m.rebalance.at != disarmed {
			b = canon.Int(b, int64(m.rebalanceEpoch))
		}
	}
	// Targets of members that left are tombstoned with them; write them all.
	b = canon.Int(b, int64(len(g.target)))
	for _, id := range spec.SortedKeys(g.target) {
		b = spec.AppendAssignment(canon.Str(b, id), g.target[id])
	}
	// static and partitionEpoch follow from the members.
	return b
}
