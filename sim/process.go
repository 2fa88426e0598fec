package sim

import (
	"fmt"
	"math"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/spec"
)

// Processes: a start boots for the startup time and then joins (a cluster
// start, or restart for a name seen before); stop finishes the batch in hand,
// then closes the consumer (commit, onPartitionsRevoked, LeaveGroup unless
// static) and takes the shutdown time to exit; kill is a crash; a deploy
// replaces pods one at a time.

// boot starts x's process now; it joins after startupMs (its startup
// time when negative).
func (e *engine) boot(x *proc, startupMs int64, then func()) {
	x.state = procBooting
	x.stop = false
	if startupMs < 0 {
		startupMs = int64(math.Round(x.app.startup.Sample(x.rng)))
	}
	e.later(x, startupMs, func() {
		line := "start " + x.name + " " + x.opts
		if x.joined {
			line = "restart " + x.name + " " + x.opts
		}
		act, err := cluster.ParseAction(strings.TrimSpace(line), e.cl)
		if err != nil {
			e.fail(fmt.Errorf("%s: %w", x.name, err))
			return
		}
		x.state, x.joined = procUp, true
		if e.apply(act) != nil {
			return
		}
		e.ob.started(x)
		if then != nil {
			then()
		}
		e.poll(x)
	})
}

// stopProc closes x's consumer at its next poll() boundary; onClosed runs
// once it has closed.
func (e *engine) stopProc(x *proc, onClosed func()) error {
	if x.state != procUp {
		return fmt.Errorf("%s is not running", x.name)
	}
	x.stop, x.onClosed = true, onClosed
	e.poll(x)
	return e.err
}

func (e *engine) closeNow(x *proc) {
	e.materialize(x)
	if x.stalled {
		x.stalled = false
		if e.apply(cluster.Action{Kind: cluster.ActUnstall, Node: x.name}) != nil {
			return
		}
	}
	if _, ok := e.cl.Consumer(x.name); ok {
		e.apply(cluster.Action{Kind: cluster.ActClose, Node: x.name})
	}
	x.state = procDown
	if f := x.onClosed; f != nil {
		x.onClosed = nil
		f()
	}
}

// kill crashes x's process.
func (e *engine) kill(x *proc) error {
	if _, ok := e.cl.Consumer(x.name); !ok || x.state != procUp {
		return fmt.Errorf("%s is not running", x.name)
	}
	for _, o := range x.owned {
		if o.live {
			e.done(x, o.p, o.pos, o.p.producedAt(e.now()))
		}
	}
	e.partial(x)
	return e.apply(cluster.Action{Kind: cluster.ActCrash, Node: x.name})
}

// gone: x's consumer crashed, closed or failed.
func (e *engine) gone(x *proc, kind spec.EventKind) {
	if x == nil {
		return
	}
	e.partial(x)
	for _, o := range x.owned {
		if o.live {
			o.live = false
			e.w.setLive(o.p, -1, e.now())
		}
	}
	x.live, x.stalled, x.cb = false, false, cbNone
	owned := x.owned
	x.owned = nil
	for _, o := range owned {
		p := o.p
		if p.holder == x {
			p.holder, p.revoked = nil, false
			p.cause = e.ob.goneWhy(x, kind)
			e.w.reclass(p, e.now())
		}
	}
	x.state = procDown
	x.gen++
	e.ob.gone(x, kind)
}

// assigned: onPartitionsAssigned(tps) ran in x.
func (e *engine) assigned(x *proc, tps []spec.TopicPartition) {
	for _, tp := range tps {
		p := e.w.ensure(tp, e.now())
		x.add(p)
		p.holder, p.last, p.revoked = x, x, false
		e.w.reclass(p, e.now())
	}
	if !x.app.assign.IsZero() {
		e.callback(x, cbAssigning, x.app.assign.Sample(x.rng), nil)
	}
}

// released: onPartitionsRevoked or onPartitionsLost(tps) ran in x.
func (e *engine) released(x *proc, tps []spec.TopicPartition, kind spec.EventKind) {
	for _, tp := range tps {
		i, ok := e.w.index[tp]
		if !ok {
			continue
		}
		p := e.w.parts[i]
		if o := x.remove(p); o != nil && o.live {
			o.live = false
			e.w.setLive(p, -1, e.now())
		}
		if p.holder == x {
			p.holder, p.revoked = nil, true
			p.cause = e.ob.releaseWhy(x, kind)
			e.w.reclass(p, e.now())
		}
	}
	if kind == spec.EvRevoked {
		e.ob.revoked(x)
	} else {
		e.ob.lostBy(x)
	}
	e.at(e.now(), func() { e.wake(x) })
}

// positionsKnown: x's offset fetch answered; its new partitions start after
// their first fetch: a round trip, and, when x already fetches other
// partitions, the wait for that fetch to return (a fetch returns as soon as
// a record arrives on one of its partitions, at the latest after
// fetch.max.wait.ms), since Kafka's fetcher sends one fetch per broker at a
// time.
func (e *engine) positionsKnown(x *proc) {
	c, ok := e.cl.Consumer(x.name)
	if !ok {
		return
	}
	pos := c.Positions()
	var rate float64
	fetching := false
	for _, o := range x.owned {
		if o.live {
			fetching = true
			rate += o.p.rate
		}
	}
	for _, o := range x.owned {
		at, known := pos[o.p.tp]
		if !known || o.pos >= 0 {
			continue
		}
		o.pos = at
		wait := e.net.rtt.Sample(x.rng)
		if fetching {
			w := float64(x.app.fetchWait)
			if rate > 0 {
				w = math.Min(w, x.rng.ExpFloat64()/rate)
			}
			wait += w
		}
		o.startAt = e.now() + int64(math.Round(wait))
		p := o.p
		e.later(x, o.startAt-e.now(), func() {
			e.w.reclass(p, e.now())
			e.wake(x)
		})
	}
}
