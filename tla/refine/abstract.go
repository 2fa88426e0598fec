package refine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
	"github.com/kgroup/kgroup/tla/model"
)

// The abstraction function: a real cluster's state as a state of
// ClassicGroup.tla (its Go twin's model.State). What it drops: time and
// every deadline (the spec's timers are nondeterministic), correlation ids
// (a message is kept with the descriptor of the request its sender still
// awaits, or marked unawaited), session and rebalance timeout values,
// client ids beyond the member-id prefix, racks, assignor user data, offset
// metadata (only whether it is over the limit), answers nobody awaits, and
// messages to the administrator.

// abstraction maps one cluster's states; it numbers names (consumers,
// topics, instances, id prefixes, configurations) in the order it first
// sees them, in p.
type abstraction struct {
	p       *model.Params
	groupID string
	max     int // offset.metadata.max.bytes
	minS    int32
	maxS    int32
	slots   map[string]int
	err     error
}

func newAbstraction(cl *cluster.Cluster) *abstraction {
	cfg := cl.Config()
	a := &abstraction{p: &model.Params{Unbounded: true, MaxSize: cfg.Coordinator.GroupMaxSize}, groupID: cl.GroupID(),
		max: cfg.Coordinator.OffsetMetadataMaxBytes, minS: cfg.Coordinator.MinSessionTimeoutMs,
		maxS: cfg.Coordinator.MaxSessionTimeoutMs, slots: map[string]int{}}
	for _, t := range spec.SortedKeys(cfg.Topics) {
		a.topic(t)
	}
	return a
}

func (a *abstraction) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("refine: abstraction: "+format, args...)
	}
}

func (a *abstraction) topic(name string) int {
	if i := slices.Index(a.p.TopicNames, name); i >= 0 {
		return i
	}
	if len(a.p.TopicNames) == model.MaxTopics {
		a.fail("more than %d topics (%s)", model.MaxTopics, name)
		return 0
	}
	a.p.TopicNames = append(a.p.TopicNames, name)
	return len(a.p.TopicNames) - 1
}

func (a *abstraction) tp(tp spec.TopicPartition) model.TP {
	if tp.Partition < 0 || tp.Partition > 0xffff {
		a.fail("partition %s outside the model's range", tp)
		return 0
	}
	return model.Part(a.topic(tp.Topic), int(tp.Partition))
}

func (a *abstraction) pset(tps []spec.TopicPartition) model.PSet {
	var out model.PSet
	for _, tp := range tps {
		out = out.With(a.tp(tp))
	}
	return out
}

func (a *abstraction) topics(names []string) model.Topics {
	var ts model.Topics
	for _, t := range names {
		ts |= 1 << a.topic(t)
	}
	return ts
}

func (a *abstraction) counts(m map[string]int32) model.Counts {
	var c model.Counts
	for i := range c {
		c[i] = -1
	}
	for _, t := range spec.SortedKeys(m) {
		c[a.topic(t)] = int16(m[t])
	}
	return c
}

func (a *abstraction) instance(id string) uint8 {
	if id == "" {
		return 0
	}
	if i := slices.Index(a.p.Instances, id); i >= 0 {
		return uint8(i + 1)
	}
	a.p.Instances = append(a.p.Instances, id)
	a.p.InstancePrefix = append(a.p.InstancePrefix, a.p.InternPrefix(id))
	return uint8(len(a.p.Instances))
}

// id parses a member id "<prefix>-<n>".
func (a *abstraction) id(s string) model.ID {
	if s == "" {
		return model.ID{}
	}
	i := strings.LastIndexByte(s, '-')
	n, err := strconv.ParseUint(s[i+1:], 10, 16)
	if i <= 0 || err != nil || n == 0 {
		a.fail("member id %q is not <prefix>-<n>", s)
		return model.ID{}
	}
	return model.ID{P: a.p.InternPrefix(s[:i]), N: uint16(n)}
}

func (a *abstraction) assignors(names []string) []uint8 {
	out := make([]uint8, len(names))
	for i, n := range names {
		if out[i] = model.AssignorByName(n); out[i] == 0 {
			a.fail("unknown assignor %q", n)
		}
	}
	return out
}

func (a *abstraction) protoName(n string) uint8 {
	if n == "" {
		return 0
	}
	return a.assignors([]string{n})[0]
}

// slot numbers a consumer name; a new one gets a NotStarted slot.
func (a *abstraction) slot(name string) int {
	if i, ok := a.slots[name]; ok {
		return i
	}
	a.slots[name] = len(a.p.Consumers)
	a.p.Consumers = append(a.p.Consumers, name)
	a.p.ConsumerPrefix = append(a.p.ConsumerPrefix, a.p.InternPrefix(name))
	a.p.Allowed = append(a.p.Allowed, nil)
	return a.slots[name]
}

// config interns a consumer's configuration and allows its slot to use it.
func (a *abstraction) config(c int, cfg consumer.Config) uint8 {
	mc := model.Config{Topics: a.topics(cfg.Topics), Inst: a.instance(cfg.InstanceID), AutoCommit: cfg.AutoCommit,
		CommitOnRevoke: cfg.CommitOnRevoke, SessionOK: cfg.SessionTimeoutMs >= a.minS && cfg.SessionTimeoutMs <= a.maxS}
	names := make([]string, len(cfg.Assignors))
	coop := true
	for i, as := range cfg.Assignors {
		names[i] = as.Name()
		coop = coop && slices.Contains(as.Protocols(), spec.Cooperative)
	}
	mc.Assignors, mc.Coop = a.assignors(names), coop
	k := a.p.Intern(mc)
	if !slices.Contains(a.p.Allowed[c], k) {
		a.p.Allowed[c] = append(a.p.Allowed[c], k)
	}
	return k
}

// process is a running consumer's identity: its address, the requests it
// awaits (by correlation id) and their descriptors.
type process struct {
	addr  string
	await map[int32]model.Desc
}

var kinds = map[spec.APIKey]uint8{spec.KeyJoinGroup: model.KJoin, spec.KeySyncGroup: model.KSync,
	spec.KeyHeartbeat: model.KHeartbeat, spec.KeyLeaveGroup: model.KLeave, spec.KeyOffsetCommit: model.KCommit,
	spec.KeyOffsetFetch: model.KFetch}

var clientStates = map[spec.ClientState]uint8{spec.ClientUnjoined: model.Unjoined,
	spec.ClientPreparingRebalance: model.Joining, spec.ClientCompletingRebalance: model.Syncing, spec.ClientStable: model.Settled}

// state is the abstraction of cl's current state.
func (a *abstraction) state(cl *cluster.Cluster) model.State {
	for _, name := range cl.Names() {
		a.slot(name)
	}
	n := len(a.p.Consumers)
	s := model.State{Topics: a.counts(cl.Topics()), C: make([]model.Consumer, n), Up: make([][][]model.Req, n),
		Down: make([][]model.Resp, n)}
	procs := make([]*process, n)
	for c, name := range a.p.Consumers {
		s.C[c], procs[c] = a.consumer(cl, c, name)
	}
	s.G = a.groupState(cl, procs)
	a.network(cl, &s, procs)
	return s
}

func (a *abstraction) consumer(cl *cluster.Cluster, c int, name string) (model.Consumer, *process) {
	cfg, err := cl.ConfigOf(name)
	if err != nil {
		return model.Consumer{}, nil // not started
	}
	cons, ok := cl.Classic(name)
	if !ok {
		a.config(c, cfg)
		return model.Consumer{St: model.Down}, nil
	}
	v, in := cons.View(), cons.Inspect()
	x := model.Consumer{St: clientStates[v.State], Cfg: a.config(c, cons.Config()), Member: a.id(v.MemberID),
		Gen: v.Generation, Proto: a.protoName(in.ProtocolName), Leader: in.Leader, Rejoin: v.RejoinNeeded,
		Prepare: in.NeedsJoinPrepare, Stalled: cons.Stalled(), Frozen: cl.Frozen(name), Unknown: in.CoordinatorUnknown,
		Owned: a.pset(v.Owned), Meta: a.counts(in.Topics)}
	pos := cons.Positions()
	tps := make([]spec.TopicPartition, 0, len(pos))
	for tp := range pos {
		tps = append(tps, tp)
	}
	spec.SortPartitions(tps)
	for _, tp := range tps {
		x.Pos = x.Pos.Set(a.tp(tp), pos[tp])
	}
	if in.Snapshot != nil {
		x.HasSnap = true
		for i := range x.Snap {
			x.Snap[i] = -2
		}
		for _, t := range spec.SortedKeys(in.Snapshot) {
			x.Snap[a.topic(t)] = int16(in.Snapshot[t])
		}
	}
	var revCorr int32
	if r := in.Revoking; r != nil {
		x.Rev = model.Revoking{On: true, Parts: a.pset(r.Partitions), InFlight: r.Correlation != 0, ThenJoin: r.ThenJoin,
			Pending: a.pset(r.Pending)}
		revCorr = r.Correlation
	}
	p := &process{addr: cons.Config().Address, await: map[int32]model.Desc{}}
	var bag []model.DC
	for _, r := range in.InFlight {
		d := model.Desc{K: kinds[r.Key], G: r.Generation, M: a.id(r.MemberID), R: r.Key == spec.KeyOffsetCommit && r.Correlation == revCorr && revCorr != 0}
		p.await[r.Correlation] = d
		bag = addDesc(bag, d)
	}
	x.Inflight = bag
	return x, p
}

func addDesc(bag []model.DC, d model.Desc) []model.DC {
	for i := range bag {
		if bag[i].D == d {
			bag[i].N++
			return bag
		}
	}
	bag = append(bag, model.DC{D: d, N: 1})
	slices.SortFunc(bag, func(x, y model.DC) int { return model.CompareDesc(x.D, y.D) })
	return bag
}

// awaited is the descriptor of the request the answer to (addr, corr) is
// awaited by, if it is.
func awaited(procs []*process, slot int, addr string, corr int32) (model.Desc, bool) {
	if slot < 0 || procs[slot] == nil || procs[slot].addr != addr {
		return model.Desc{}, false
	}
	d, ok := procs[slot].await[corr]
	return d, ok
}

func (a *abstraction) slotOf(addr string) int {
	name, _, _ := strings.Cut(addr, "@")
	if i, ok := a.slots[name]; ok {
		return i
	}
	return -1
}

var groupStates = map[spec.GroupState]uint8{spec.Empty: model.Empty, spec.PreparingRebalance: model.PreparingRebalance,
	spec.CompletingRebalance: model.CompletingRebalance, spec.Stable: model.Stable}

func (a *abstraction) meta(ps []spec.Protocol) model.Meta {
	if len(ps) == 0 {
		return model.Meta{}
	}
	m := ps[0].Metadata
	for _, p := range ps[1:] {
		if !slices.Equal(p.Metadata.Topics, m.Topics) || !slices.Equal(p.Metadata.OwnedPartitions, m.OwnedPartitions) ||
			p.Metadata.GenerationID != m.GenerationID {
			a.fail("protocols with different subscriptions: %+v", ps)
		}
	}
	return model.Meta{Topics: a.topics(m.Topics), Owned: a.pset(m.OwnedPartitions), Gen: m.GenerationID}
}

func (a *abstraction) parked(p *coordinator.ParkedRequest, procs []*process) model.Parked {
	if p == nil {
		return model.Parked{}
	}
	slot := a.slotOf(p.To)
	if d, ok := awaited(procs, slot, p.To, p.Correlation); ok {
		return model.Parked{K: model.ParkLive, To: uint8(slot), D: d}
	}
	return model.Parked{K: model.ParkDead}
}

func (a *abstraction) groupState(cl *cluster.Cluster, procs []*process) model.Group {
	gi := cl.Coordinator().Inspect(a.groupID)
	g := model.Group{Exists: gi.Exists, St: groupStates[gi.State], Gen: gi.Generation, Proto: a.protoName(gi.Protocol),
		Leader: a.id(gi.Leader), NextID: uint16(gi.NextID)}
	if gi.State == spec.Dead {
		a.fail("the group is Dead")
	}
	g.FromEmpty = gi.State == spec.PreparingRebalance && gi.PrevState == spec.Empty
	for _, m := range gi.Members {
		names := make([]string, len(m.Protocols))
		for i, p := range m.Protocols {
			names[i] = p.Name
		}
		g.Members = append(g.Members, model.Member{ID: a.id(m.ID), Inst: a.instance(m.InstanceID), Names: a.assignors(names),
			Meta: a.meta(m.Protocols), Assign: a.pset(m.Assignment.Partitions()), Join: a.parked(m.Join, procs),
			Sync: a.parked(m.Sync, procs), New: m.IsNew})
	}
	for _, id := range gi.Pending {
		g.Pending = model.IDs(g.Pending).With(a.id(id))
	}
	for _, id := range gi.PendingSync {
		g.PendingSync = model.IDs(g.PendingSync).With(a.id(id))
	}
	committed := cl.Coordinator().Committed(a.groupID)
	for _, tp := range sortedTPs(committed) {
		g.Committed = g.Committed.Set(a.tp(tp), committed[tp])
	}
	for _, r := range cl.Records() {
		if r.Group == nil || r.Group.GroupID != a.groupID {
			continue
		}
		rec := model.Record{Has: true, Gen: r.Group.Generation, Proto: a.protoName(r.Group.Protocol), Leader: a.id(r.Group.Leader)}
		for _, m := range r.Group.Members {
			id := a.id(m.MemberID)
			g.MaxRecID = max(g.MaxRecID, id.N)
			sub := m.Subscription
			rec.Members = append(rec.Members, model.RecMember{ID: id, Inst: a.instance(m.InstanceID),
				Meta:   model.Meta{Topics: a.topics(sub.Topics), Owned: a.pset(sub.OwnedPartitions), Gen: sub.GenerationID},
				Assign: a.pset(m.Assignment.Partitions.Partitions())})
		}
		g.Rec = rec
	}
	return g
}

func sortedTPs[V any](m map[spec.TopicPartition]V) []spec.TopicPartition {
	out := make([]spec.TopicPartition, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	spec.SortPartitions(out)
	return out
}

// incarnation orders a consumer's addresses: "c1" is the first, "c1@n" the n-th.
func incarnation(addr string) int {
	_, n, ok := strings.Cut(addr, "@")
	if !ok {
		return 1
	}
	i, _ := strconv.Atoi(n)
	return i
}

func (a *abstraction) network(cl *cluster.Cluster, s *model.State, procs []*process) {
	type link struct {
		addr string
		reqs []model.Req
	}
	links := make([][]link, len(s.C))
	for _, f := range cl.InFlight() {
		m := f.Msg
		switch {
		case m.To == spec.CoordinatorNode && m.From == cluster.AdminNode:
			r, ok := m.Body.(*spec.LeaveGroupRequest)
			if !ok || len(r.Members) != 1 || r.Members[0].MemberID != "" {
				a.fail("an administrator's request of an unknown form: %s", m)
				continue
			}
			s.Admin = append(s.Admin, a.instance(r.Members[0].GroupInstanceID))
		case m.To == spec.CoordinatorNode:
			c := a.slotOf(m.From)
			if c < 0 {
				a.fail("a request from unknown %s", m.From)
				continue
			}
			r := a.request(c, m)
			if d, ok := awaited(procs, c, m.From, m.Correlation); ok {
				r.D = d
			}
			i := slices.IndexFunc(links[c], func(l link) bool { return l.addr == m.From })
			if i < 0 {
				links[c] = append(links[c], link{addr: m.From})
				i = len(links[c]) - 1
			}
			links[c][i].reqs = append(links[c][i].reqs, r)
		default:
			c := a.slotOf(m.To)
			d, ok := awaited(procs, c, m.To, m.Correlation)
			if !ok {
				continue // nobody awaits it (or it goes to the administrator)
			}
			s.Down[c] = append(s.Down[c], a.response(d, m.Body))
		}
	}
	for c, ls := range links {
		slices.SortStableFunc(ls, func(x, y link) int { return incarnation(x.addr) - incarnation(y.addr) })
		for _, l := range ls {
			s.Up[c] = append(s.Up[c], l.reqs)
		}
		if procs[c] != nil && len(ls) > 0 && ls[len(ls)-1].addr == procs[c].addr {
			s.C[c].Cur = true
		}
	}
}

func (a *abstraction) request(c int, m spec.Message) model.Req {
	r := model.Req{From: uint8(c)}
	switch b := m.Body.(type) {
	case *spec.JoinGroupRequest:
		names := make([]string, len(b.Protocols))
		for i, p := range b.Protocols {
			names[i] = p.Name
		}
		r.K, r.Member, r.Inst, r.Names, r.Meta = model.KJoin, a.id(b.MemberID), a.instance(b.GroupInstanceID), a.assignors(names), a.meta(b.Protocols)
		r.SessOK = b.SessionTimeoutMs >= a.minS && b.SessionTimeoutMs <= a.maxS
	case *spec.SyncGroupRequest:
		r.K, r.Member, r.Inst, r.Gen, r.Proto = model.KSync, a.id(b.MemberID), a.instance(b.GroupInstanceID), b.GenerationID, a.protoName(b.ProtocolName)
		for _, e := range b.Assignments {
			if ps := a.pset(e.Assignment.Partitions.Partitions()); len(ps) > 0 {
				r.Plan = append(r.Plan, model.PlanEntry{M: a.id(e.MemberID), A: ps})
			}
		}
		slices.SortFunc(r.Plan, func(x, y model.PlanEntry) int { return model.CompareID(x.M, y.M) })
	case *spec.HeartbeatRequest:
		r.K, r.Member, r.Inst, r.Gen = model.KHeartbeat, a.id(b.MemberID), a.instance(b.GroupInstanceID), b.GenerationID
	case *spec.LeaveGroupRequest:
		if len(b.Members) != 1 || b.Members[0].GroupInstanceID != "" {
			a.fail("a consumer's LeaveGroup of an unknown form: %s", m)
		}
		r.K = model.KLeave
		if len(b.Members) > 0 {
			r.Member = a.id(b.Members[0].MemberID)
		}
	case *spec.OffsetCommitRequest:
		r.K, r.Member, r.Inst, r.Gen = model.KCommit, a.id(b.MemberID), a.instance(b.GroupInstanceID), b.GenerationID
		for _, o := range b.Offsets {
			r.Offs = r.Offs.Set(a.tp(o.TopicPartition), o.Offset)
			if len(o.Metadata) > a.max {
				r.Big = true
			}
		}
	case *spec.OffsetFetchRequest:
		r.K, r.Parts = model.KFetch, a.pset(b.Partitions)
	default:
		a.fail("a request of an unknown kind: %s", m)
	}
	return r
}

func (a *abstraction) response(d model.Desc, body any) model.Resp {
	var r model.Resp
	switch b := body.(type) {
	case *spec.JoinGroupResponse:
		r = model.Resp{Code: code(b.ErrorCode), Member: a.id(b.MemberID), Gen: b.GenerationID, Proto: a.protoName(b.ProtocolName),
			Leader: a.id(b.Leader), Skip: b.SkipAssignment}
		for _, jm := range b.Members {
			s := jm.Metadata
			r.Members = append(r.Members, model.JMember{ID: a.id(jm.MemberID), Inst: a.instance(jm.GroupInstanceID),
				Meta: model.Meta{Topics: a.topics(s.Topics), Owned: a.pset(s.OwnedPartitions), Gen: s.GenerationID}})
		}
	case *spec.SyncGroupResponse:
		r = model.Resp{Code: code(b.ErrorCode), Assign: a.pset(b.Assignment.Partitions.Partitions()), Proto: a.protoName(b.ProtocolName)}
	case *spec.HeartbeatResponse:
		r = model.Resp{Code: code(b.ErrorCode)}
	case *spec.LeaveGroupResponse:
		r = model.Resp{Code: code(b.ErrorCode)}
	case *spec.OffsetCommitResponse:
		r = model.Resp{Code: code(b.Code())}
	case *spec.OffsetFetchResponse:
		r = model.Resp{Code: code(b.ErrorCode)}
		for _, p := range b.Partitions {
			r.Offs = r.Offs.Set(a.tp(p.TopicPartition), p.Offset)
		}
	default:
		a.fail("an answer of an unknown kind: %T", body)
	}
	return model.Answer(d, r)
}

func code(c spec.ErrorCode) uint8 {
	if c == spec.CoordinatorNotAvailable {
		return model.NotCoordinator // the consumer treats them alike
	}
	return uint8(c)
}
