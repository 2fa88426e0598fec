package model

import (
	"github.com/kgroup/kgroup/tla/internal/bfs"

	"fmt"
	"slices"
	"strings"
)

// Succ is one successor of a state, with the action that leads to it.
type Succ = bfs.Succ[Action, State]

// Action names a TLA+ action with its arguments (-1: none).
type Action struct {
	Name string
	C, I int    // consumer, link or member index
	ID   ID     // member id
	Arg  uint16 // configuration, topic or instance
}

// Format writes the action as ClassicGroup.tla names it, e.g. DeliverUp(c1,0).
func (a Action) Format(p *Params) string {
	var args []string
	if a.C >= 0 {
		args = append(args, p.Consumers[a.C])
	}
	if a.I >= 0 {
		args = append(args, fmt.Sprint(a.I))
	}
	if !a.ID.None() {
		args = append(args, p.idName(a.ID))
	}
	switch a.Name {
	case "Start", "Restart":
		args = append(args, fmt.Sprint(a.Arg))
	case "AddPartitions":
		args = append(args, p.TopicNames[a.Arg])
	case "RemoveStatic":
		args = append(args, p.Instances[a.Arg-1])
	}
	if len(args) == 0 {
		return a.Name
	}
	return a.Name + "(" + strings.Join(args, ",") + ")"
}

func act(name string, c, i int) Action { return Action{Name: name, C: c, I: i} }

// Init is the initial state: the topics of p, no group, no consumer
// started, nothing in flight.
func Init(p *Params) State {
	n := len(p.Consumers)
	return State{Topics: p.Init, C: make([]Consumer, n), Up: make([][][]Req, n), Down: make([][]Resp, n)}
}

type enum struct {
	p    *Params
	s    State
	keep func(Action) bool
	out  []Succ
}

// Successors lists every successor of s under Next, in a fixed order:
// deliveries, drops, the coordinator's timers, each consumer's timers,
// then the environment's actions. The same successor may appear more than
// once (under different actions).
func Successors(p *Params, s State) []Succ { return SuccessorsOf(p, s, nil) }

// SuccessorsOf lists the successors under the actions keep accepts (all,
// if keep is nil).
func SuccessorsOf(p *Params, s State, keep func(Action) bool) []Succ {
	e := &enum{p: p, s: s, keep: keep}
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
func (e *enum) add(a Action, f func(w *world)) {
	if e.keep != nil && !e.keep(a) {
		return
	}
	var ch chooser
	for {
		w := &world{p: e.p, s: e.s, ch: &ch}
		for i := range w.memo {
			w.memo[i] = -1
		}
		w.s.C = slices.Clone(e.s.C)
		w.cCopied = true
		f(w)
		if !w.dead {
			w.finish()
			e.out = append(e.out, Succ{Act: a, S: w.s})
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

func (e *enum) network() {
	s := e.s
	for c, links := range s.Up {
		for i := range links {
			e.add(act("DeliverUp", c, i), func(w *world) {
				w.handle(w.popUp(c, i))
			})
		}
	}
	if len(s.Admin) > 0 {
		e.add(act("DeliverAdmin", -1, -1), func(w *world) {
			inst := w.s.Admin[0]
			w.s.Admin = w.s.Admin[1:]
			w.leave(ID{}, inst)
		})
	}
	for c, rs := range s.Down {
		if len(rs) > 0 && s.C[c].Running() && !s.C[c].Frozen {
			e.add(act("DeliverDown", c, -1), func(w *world) { w.deliverDown(c) })
		}
	}
	drop := func(w *world) { w.spend(false, w.p.Drops, &w.s.Ghost.Spent.Drops) }
	for c, links := range s.Up {
		for i := range links {
			e.add(act("DropUp", c, i), func(w *world) {
				drop(w)
				w.popUp(c, i)
			})
		}
	}
	if len(s.Admin) > 0 {
		e.add(act("DropAdmin", -1, -1), func(w *world) {
			drop(w)
			w.s.Admin = w.s.Admin[1:]
		})
	}
	for c, rs := range s.Down {
		if len(rs) > 0 && s.C[c].Running() && !s.C[c].Frozen {
			e.add(act("DropDown", c, -1), func(w *world) {
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
		e.add(Action{Name: "SessionExpire", C: -1, I: -1, ID: m.ID}, func(w *world) {
			w.spendTimeout(e.s.abandoned(m.ID))
			w.expireSession(i)
		})
	}
	for _, id := range g.Pending {
		e.add(Action{Name: "PendingExpire", C: -1, I: -1, ID: id}, func(w *world) {
			w.spendTimeout(e.s.abandoned(id))
			w.expirePending(id)
		})
	}
	if g.St == PreparingRebalance {
		e.add(act("JoinTimeout", -1, -1), func(w *world) {
			w.spendTimeout(e.joinTimeoutForced())
			w.completeJoin()
		})
	}
	if (g.St == CompletingRebalance || g.St == Stable) && len(g.PendingSync) > 0 {
		forced := slices.ContainsFunc(g.PendingSync, func(id ID) bool {
			return !slices.ContainsFunc(g.Members, func(m Member) bool { return m.ID == id }) || e.s.abandoned(id)
		})
		e.add(act("SyncTimeout", -1, -1), func(w *world) {
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
	p := e.p
	perturb := func(w *world, allowed bool) {
		w.guard(p.Unbounded || allowed)
		w.spend(false, p.Perturbations, &w.s.Ghost.Spent.Perturb)
	}
	switch {
	case x.St == NotStarted:
		for _, k := range p.Allowed[c] {
			e.add(Action{Name: "Start", C: c, I: -1, Arg: uint16(k)}, func(w *world) { w.start(c, k) })
		}
		return
	case x.St == Down:
		for _, k := range p.Allowed[c] {
			e.add(Action{Name: "Restart", C: c, I: -1, Arg: uint16(k)}, func(w *world) {
				perturb(w, p.Restart)
				w.start(c, k)
			})
		}
		return
	}
	e.add(act("Crash", c, -1), func(w *world) {
		perturb(w, true)
		w.down(c)
	})
	if x.Frozen {
		e.add(act("Thaw", c, -1), func(w *world) {
			w.cx(c).Frozen = false
			w.tick(c)
		})
		return
	}
	e.add(act("Tick", c, -1), func(w *world) { w.tick(c) })
	e.add(act("Close", c, -1), func(w *world) {
		perturb(w, true)
		w.close(c)
	})
	e.add(act("Freeze", c, -1), func(w *world) {
		perturb(w, p.Freeze)
		w.cx(c).Frozen = true
	})
	if x.Stalled {
		e.add(act("Unstall", c, -1), func(w *world) {
			w.cx(c).Stalled = false
			w.poll(c)
		})
		return
	}
	e.add(act("Stall", c, -1), func(w *world) {
		perturb(w, p.Stall)
		w.cx(c).Stalled = true
	})
	hints := []ConsumeHint{{N: 1}}
	if p.Hints != nil {
		hints = p.Hints.Consume
	}
	for _, h := range hints {
		e.add(act("Consume", c, -1), func(w *world) {
			w.spend(false, p.Consumes, &w.s.Ghost.Spent.Consumes)
			w.consume(c, h)
			w.poll(c)
		})
	}
	e.add(act("Commit", c, -1), func(w *world) {
		w.spend(false, p.Commits, &w.s.Ghost.Spent.Commits)
		w.commitSync(c, p.Hints != nil && p.Hints.Big)
		w.poll(c)
	})
	if p.Unbounded {
		e.add(act("RefreshMetadata", c, -1), func(w *world) { w.metadataUpdate(c) })
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
				e.add(act("TopicChange", -1, -1), func(w *world) {
					perturb(w, true)
					w.s.Topics = n
				})
			}
		}
	} else {
		for t := range p.TopicNames {
			if n := s.Topics[t]; n >= 0 && int(n) < p.AddPartitionsUpTo {
				e.add(Action{Name: "AddPartitions", C: -1, I: -1, Arg: uint16(t)}, func(w *world) {
					perturb(w, true)
					w.s.Topics[t] = n + 1
				})
			}
		}
	}
	e.add(act("Failover", -1, -1), func(w *world) {
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
		e.add(Action{Name: "RemoveStatic", C: -1, I: -1, Arg: uint16(inst)}, func(w *world) {
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
