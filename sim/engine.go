package sim

import (
	"container/heap"
	"fmt"
	"math"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/internal/cmdline"
	"github.com/kgroup/kgroup/spec"
)

// The engine drives kgroup's real cluster (coordinator, consumers, network)
// in manual mode, through cluster actions only: time moves to the earlier of
// the next timer (Cluster.NextDeadline) and the next event of the model — a
// message arriving, a batch finishing, a process booting, a scenario command
// — and each message the cluster puts on the wire (spec.EvSend) is delivered
// after a delay the network model samples, in order per link.

// CheckMode is how thoroughly the rules are checked during a run.
type CheckMode uint8

const (
	// CheckEvents applies the whole-system rules after every protocol event
	// (cluster.CheckAtEvents); the default.
	CheckEvents CheckMode = iota
	// CheckFull applies them after every step, as transcripts do: slower,
	// for tests.
	CheckFull
)

// Options are how a scenario runs, beyond what the file says.
type Options struct {
	Check CheckMode
	// Progress, if set, is called now and then with the simulated time
	// reached (ms), the run's length and the variant's name.
	Progress func(variant string, at, end int64)
	// OnCluster, if set, is called on every cluster a run creates, before
	// anything happens in it (to record its history, say).
	OnCluster func(*cluster.Cluster)
}

// engine is one run of one variant with one seed.
type engine struct {
	sc      *Scenario
	variant Variant
	seed    uint64
	opts    Options
	cl      *cluster.Cluster
	q       eventQueue
	seq     uint64
	net     *netModel
	w       *workload
	procs   map[string]*proc
	order   []*proc // by start order, for reports
	appDef  appConfig
	inbox   []spec.Event
	spare   []spec.Event // the inbox's other buffer (react)
	ob      *observer
	ctx     stepCtx // what the action being applied is, for causes
	lastRep int64   // last progress report
	err     error
}

// stepCtx says what the cluster is doing, for the observer.
type stepCtx struct {
	deliver *spec.Message // the message being delivered
	fire    string        // the node whose timer fires
}

// event is one thing the model will do at a time.
type event struct {
	at  int64
	seq uint64
	fn  func()
	lk  *link // set for a delivery (fn nil)
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// at schedules fn at time t (not before now).
func (e *engine) at(t int64, fn func()) {
	e.seq++
	heap.Push(&e.q, &event{at: max(t, e.now()), seq: e.seq, fn: fn})
}

func (e *engine) now() int64 {
	if e.cl == nil {
		return 0
	}
	return e.cl.Now()
}

// apply performs one cluster action and lets the model react to what it
// caused.
func (e *engine) apply(a cluster.Action) error {
	if e.err != nil {
		return e.err
	}
	err := e.cl.Apply(a)
	e.ctx = stepCtx{}
	e.react()
	if err != nil {
		e.fail(fmt.Errorf("%s: %w", a, err))
	}
	return e.err
}

func (e *engine) fail(err error) {
	if e.err == nil && err != nil {
		e.err = err
	}
}

// listen is the cluster's event listener: events queue up, and the model
// reacts once the action is done (it must not act inside one).
func (e *engine) listen(ev spec.Event) {
	e.ob.event(ev, e.ctx)
	switch ev.Kind {
	case spec.EvSend, spec.EvAssigned, spec.EvRevoked, spec.EvLost, spec.EvDeliver, spec.EvGroupState,
		spec.EvCrash, spec.EvClose, spec.EvFailed:
		e.inbox = append(e.inbox, ev)
	}
}

// react lets the model answer the events of the last action.
func (e *engine) react() {
	for len(e.inbox) > 0 {
		evs := e.inbox
		e.inbox = e.spare[:0]
		for _, ev := range evs {
			e.reactTo(ev)
		}
		clear(evs)
		e.spare = evs[:0]
	}
}

func (e *engine) reactTo(ev spec.Event) {
	switch ev.Kind {
	case spec.EvSend:
		e.net.send(e, *ev.Msg, ev.At)
	case spec.EvAssigned:
		e.assigned(e.procs[ev.Node], ev.Partitions)
	case spec.EvRevoked, spec.EvLost:
		e.released(e.procs[ev.Node], ev.Partitions, ev.Kind)
	case spec.EvDeliver:
		if r, ok := ev.Msg.Body.(*spec.OffsetFetchResponse); ok && r.ErrorCode == spec.None {
			if p := e.procAt(ev.Msg.To); p != nil {
				e.positionsKnown(p)
			}
		}
	case spec.EvGroupState:
		e.w.groupState(e, ev.Detail)
	case spec.EvCrash, spec.EvClose, spec.EvFailed:
		e.gone(e.procs[ev.Node], ev.Kind)
	}
}

// procAt is the process of a network address ("c1", "c1@2").
func (e *engine) procAt(addr string) *proc {
	name, _, _ := strings.Cut(addr, "@")
	return e.procs[name]
}

// runFor lets d milliseconds pass.
func (e *engine) runFor(d int64) error {
	end := e.now() + d
	for e.err == nil {
		tq := int64(math.MaxInt64)
		if len(e.q) > 0 {
			tq = e.q[0].at
		}
		td, ok := e.cl.NextDeadline()
		if !ok {
			td = math.MaxInt64
		}
		switch {
		case min(tq, td) > end:
			e.advance(end)
			return e.err
		case td <= tq:
			e.fireDue()
		default:
			e.advance(tq)
			ev := heap.Pop(&e.q).(*event)
			if ev.lk != nil {
				e.net.arrive(e, ev.lk)
			} else {
				ev.fn()
			}
		}
		e.report()
		if v := e.cl.Violation(); v != nil {
			e.fail(fmt.Errorf("%w: %w", ErrRuleBroken, v))
		}
	}
	return e.err
}

// advance moves time to t; no timer is due before it.
func (e *engine) advance(t int64) {
	if t > e.now() {
		e.w.before(e, t)
		e.apply(cluster.Action{Kind: cluster.ActAdvanceTo, Ms: t})
	}
}

// fireDue fires the timers due next, one node at a time, bringing each
// consumer's processed records up to date first (its timers may commit).
func (e *engine) fireDue() {
	td, _ := e.cl.NextDeadline()
	if td > e.now() {
		e.w.before(e, td) // fire moves time to td itself
	}
	for _, name := range e.cl.Due() {
		x := e.procs[name]
		if x != nil && x.live && e.mayCommit(x, td) {
			// handing the records over is a step of the consumer, which
			// may do what its timer was due for (an auto-commit)
			e.materialize(x)
		}
		// fire moves time to the next deadline: only while that is now
		if next, ok := e.cl.NextDeadline(); !ok || next != td {
			return
		}
		if x != nil {
			c, ok := e.cl.Consumer(name)
			if !ok {
				continue
			}
			if at, armed := c.NextDeadline(); !armed || max(at, e.now()) != td {
				continue
			}
		}
		e.ctx = stepCtx{fire: name}
		if e.apply(cluster.Action{Kind: cluster.ActFire, Node: name}) != nil {
			return
		}
		if name == spec.CoordinatorNode {
			e.ob.coordinatorFired()
		}
	}
}

// mayCommit: a timer of x firing at t may commit its positions: its
// auto-commit may be due (the client arms it auto.commit.interval.ms after
// each auto-commit and each assignment; a failed commit retries sooner),
// or a metadata change may make its poll rejoin and revoke.
func (e *engine) mayCommit(x *proc, t int64) bool {
	return t >= x.nextCommit || e.ob.metaChanged
}

func (e *engine) report() {
	if e.opts.Progress == nil || e.now()-e.lastRep < 60000 {
		return
	}
	e.lastRep = e.now()
	e.opts.Progress(e.variant.Name, e.now(), e.sc.endMs)
}

// exec runs one scenario command.
func (e *engine) exec(l line) error {
	a, err := cmdline.Parse(l.text) // fresh: options are marked as read
	if err != nil {
		return err
	}
	if err := commands[a.Name].run(e, a); err != nil {
		return err
	}
	return a.Done()
}

// setting is a variant's override of key, or def.
func (e *engine) setting(key, def string) string {
	if v, ok := e.variant.Set[key]; ok {
		return v
	}
	return def
}

func (q *eventQueue) push(ev *event) { heap.Push(q, ev) }
