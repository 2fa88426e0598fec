package model

import (
	"fmt"
	"slices"
)

// Succ is one successor of a state, with the action that leads to it.
type Succ struct {
	Label string
	S     State
}

// Init is the initial state: the topics of p, no group, no consumer
// started, nothing in flight.
func Init(p *Params) State {
	n := len(p.Consumers)
	return State{Topics: p.Init, C: make([]Consumer, n), Up: make([][][]Req, n), Down: make([][]Resp, n)}
}

type enum struct {
	p   *Params
	s   State
	out []Succ
}

// Successors lists every successor of s under Next, in a fixed order:
// deliveries, drops, the coordinator's timers, each consumer's timers,
// then the environment's actions. The same successor may appear more than
// once (under different actions).
func Successors(p *Params, s State) []Succ {
	e := &enum{p: p, s: s}
	e.network()
	e.coordinatorTimers()
	for c := range s.C {
		e.consumerActions(c)
	}
	e.environment()
	return e.out
}

// add runs f once per path through its choices; each path that passes its
// guards is a successor.
func (e *enum) add(label string, f func(w *world)) {
	var ch chooser
	for {
		w := &world{p: e.p, s: e.s, ch: &ch, label: label}
		for i := range w.memo {
			w.memo[i] = -1
		}
		w.s.C = slices.Clone(e.s.C)
		w.cCopied = true
		f(w)
		if !w.dead {
			w.finish()
			e.out = append(e.out, Succ{label, w.s})
		}
		if !ch.next() {
			return
		}
	}
}

// finish ends a step: consumers that failed in it are down, and rule 2 is
// checked on the coordinator's grants.
func (w *world) finish() {
	for c := range w.s.C {
		if w.failed&bit(c) != 0 {
			w.down(c)
		}
	}
	for _, gr := range w.grants {
		if !fencingOK(&w.s.G, gr) {
			w.s.Ghost.Bad |= BadFencing
		}
	}
}

func (e *enum) name(c int) string { return e.p.Consumers[c] }

func (e *enum) network() {
	s := e.s
	for c, links := range s.Up {
		for i := range links {
			e.add(fmt.Sprintf("DeliverUp(%s,%d)", e.name(c), i), func(w *world) {
				w.handle(w.popUp(c, i))
			})
		}
	}
	if len(s.Admin) > 0 {
		e.add("DeliverAdmin", func(w *world) {
			inst := w.s.Admin[0]
			w.s.Admin = w.s.Admin[1:]
			w.leave(ID{}, inst)
		})
	}
	for c, rs := range s.Down {
		if len(rs) > 0 && s.C[c].Running() && !s.C[c].Frozen {
			e.add(fmt.Sprintf("DeliverDown(%s)", e.name(c)), func(w *world) { w.deliverDown(c) })
		}
	}
	drop := func(w *world) { w.spend(false, w.p.Drops, &w.s.Ghost.Spent.Drops) }
	for c, links := range s.Up {
		for i := range links {
			e.add(fmt.Sprintf("DropUp(%s,%d)", e.name(c), i), func(w *world) {
				drop(w)
				w.popUp(c, i)
			})
		}
	}
	if len(s.Admin) > 0 {
		e.add("DropAdmin", func(w *world) {
			drop(w)
			w.s.Admin = w.s.Admin[1:]
		})
	}
	for c, rs := range s.Down {
		if len(rs) > 0 && s.C[c].Running() && !s.C[c].Frozen {
			e.add(fmt.Sprintf("DropDown(%s)", e.name(c)), func(w *world) {
				drop(w)
				w.setDown(c, w.s.Down[c][1:])
			})
		}
	}
}

// abandoned: no running, unfrozen consumer holds the member id or has it
// on its way (in an awaited answer), so nothing will keep its session
// alive — its timers are forced.
func (s *State) abandoned(id ID) bool {
	for c := range s.C {
		x := &s.C[c]
		if !x.Running() || x.Frozen {
			continue
		}
		if x.Member == id || slices.ContainsFunc(s.Down[c], func(r Resp) bool { return r.Member == id }) {
			return false
		}
	}
	return true
}

func (e *enum) coordinatorTimers() {
	g := &e.s.G
	for i, m := range g.Members {
		if !m.New && (m.Join.Parked() || m.Sync.Parked()) {
			continue // hasSatisfiedHeartbeat: its expiry changes nothing
		}
		e.add("SessionExpire("+e.p.idName(m.ID)+")", func(w *world) {
			w.spendTimeout(e.s.abandoned(m.ID))
			w.expireSession(i)
		})
	}
	for _, id := range g.Pending {
		e.add("PendingExpire("+e.p.idName(id)+")", func(w *world) {
			w.spendTimeout(e.s.abandoned(id))
			w.expirePending(id)
		})
	}
	if g.St == PreparingRebalance {
		e.add("JoinTimeout", func(w *world) {
			w.spendTimeout(e.joinTimeoutForced())
			w.completeJoin()
		})
	}
	if (g.St == CompletingRebalance || g.St == Stable) && len(g.PendingSync) > 0 {
		forced := slices.ContainsFunc(g.PendingSync, func(id ID) bool {
			return !slices.ContainsFunc(g.Members, func(m Member) bool { return m.ID == id }) || e.s.abandoned(id)
		})
		e.add("SyncTimeout", func(w *world) {
			w.spendTimeout(forced)
			w.expirePendingSync()
		})
	}
}

// joinTimeoutForced: the join phase can only end by its timer — the
// initial delay, or a member or pending member nobody will bring back.
func (e *enum) joinTimeoutForced() bool {
	g := &e.s.G
	if g.FromEmpty {
		return true
	}
	for _, m := range g.Members {
		if !m.Join.Parked() && e.s.abandoned(m.ID) {
			return true
		}
	}
	return slices.ContainsFunc(g.Pending, e.s.abandoned)
}

func (e *enum) consumerActions(c int) {
	x := &e.s.C[c]
	name := e.name(c)
	p := e.p
	perturb := func(w *world, allowed bool) {
		w.guard(p.Unbounded || allowed)
		w.spend(false, p.Perturbations, &w.s.Ghost.Spent.Perturb)
	}
	switch {
	case x.St == NotStarted:
		for _, k := range p.Allowed[c] {
			e.add(fmt.Sprintf("Start(%s,%d)", name, k), func(w *world) { w.start(c, k) })
		}
		return
	case x.St == Down:
		for _, k := range p.Allowed[c] {
			e.add(fmt.Sprintf("Restart(%s,%d)", name, k), func(w *world) {
				perturb(w, p.Restart)
				w.start(c, k)
			})
		}
		return
	}
	e.add("Crash("+name+")", func(w *world) {
		perturb(w, true)
		w.down(c)
	})
	if x.Frozen {
		e.add("Thaw("+name+")", func(w *world) {
			w.cx(c).Frozen = false
			w.tick(c)
		})
		return
	}
	e.add("Tick("+name+")", func(w *world) { w.tick(c) })
	e.add("Close("+name+")", func(w *world) {
		perturb(w, true)
		w.close(c)
	})
	e.add("Freeze("+name+")", func(w *world) {
		perturb(w, p.Freeze)
		w.cx(c).Frozen = true
	})
	if x.Stalled {
		e.add("Unstall("+name+")", func(w *world) {
			w.cx(c).Stalled = false
			w.poll(c)
		})
		return
	}
	e.add("Stall("+name+")", func(w *world) {
		perturb(w, p.Stall)
		w.cx(c).Stalled = true
	})
	hints := []ConsumeHint{{N: 1}}
	if p.Hints != nil {
		hints = p.Hints.Consume
	}
	for _, h := range hints {
		e.add("Consume("+name+")", func(w *world) {
			w.spend(false, p.Consumes, &w.s.Ghost.Spent.Consumes)
			w.consume(c, h)
			w.poll(c)
		})
	}
	e.add("Commit("+name+")", func(w *world) {
		w.spend(false, p.Commits, &w.s.Ghost.Spent.Commits)
		w.commitSync(c, p.Hints != nil && p.Hints.Big)
		w.poll(c)
	})
	if p.Unbounded {
		e.add("RefreshMetadata("+name+")", func(w *world) { w.metadataUpdate(c) })
	}
}

func (e *enum) environment() {
	p, s := e.p, &e.s
	perturb := func(w *world, allowed bool) {
		w.guard(p.Unbounded || allowed)
		w.spend(false, p.Perturbations, &w.s.Ghost.Spent.Perturb)
	}
	if p.Hints != nil {
		for _, n := range p.Hints.NewCounts {
			if n != s.Topics {
				e.add("TopicChange", func(w *world) {
					perturb(w, true)
					w.s.Topics = n
				})
			}
		}
	} else {
		for t := range p.TopicNames {
			if n := s.Topics[t]; n >= 0 && int(n) < p.AddPartitionsUpTo {
				e.add("AddPartitions("+p.TopicNames[t]+")", func(w *world) {
					perturb(w, true)
					w.s.Topics[t] = n + 1
				})
			}
		}
	}
	e.add("Failover", func(w *world) {
		perturb(w, p.Failover)
		w.s.Ghost.FailedOver = true
		w.failover()
	})
	var insts []uint8
	if p.Unbounded { // an administrator may name any instance id
		for i := range p.Instances {
			insts = append(insts, uint8(i+1))
		}
	}
	for c, x := range s.C {
		if x.St == NotStarted {
			continue
		}
		for _, k := range p.Allowed[c] {
			if i := p.Configs[k].Inst; i != 0 && !slices.Contains(insts, i) {
				insts = append(insts, i)
			}
		}
	}
	slices.Sort(insts)
	for _, inst := range insts {
		e.add("RemoveStatic("+p.Instances[inst-1]+")", func(w *world) {
			perturb(w, p.RemoveStatic)
			w.s.Admin = append(slices.Clip(w.s.Admin), inst)
		})
	}
}

func (p *Params) idName(id ID) string {
	if id.None() {
		return "-"
	}
	return fmt.Sprintf("%s-%d", p.PrefixName(id.P), id.N)
}
