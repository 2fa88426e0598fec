package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/internal/cmdline"
	"github.com/kgroup/kgroup/spec"
)

// The network model. Each message the cluster sends arrives after half a
// round trip sampled from the link's distribution, and never before the
// message sent before it on the same link (one TCP connection):
// delivery = max(previous delivery on the link, send + sample). A message
// may be lost (loss=P%), and nothing crosses a cut link.

// Presets of round-trip time between a client and the coordinator's broker.
var netPresets = map[string]string{
	"same-zone":    "lognormal(1ms,0.5)", // the default
	"cross-zone":   "lognormal(2.5ms,0.4)",
	"cross-region": "lognormal(60ms,0.2)",
}

type netModel struct {
	seed  uint64
	rtt   Dist
	loss  float64 // probability
	links map[string]*link
	cut   map[string]int64 // process name -> cut until
	// retryBackoff is the heartbeat thread's wake-up period
	// (retry.backoff.ms), by process name.
}

type link struct {
	name     string
	to       string // recipient address
	q        []flight
	last     int64 // delivery time of the last message scheduled
	waiting  bool  // the head is in the event queue
	parked   bool  // the recipient is frozen: wait for thaw
	rng      *rand.Rand
	headHeld bool // the head was held back once (a callback's drain)
}

type flight struct {
	at   int64
	msg  spec.Message
	lost bool
}

func newNet(seed uint64) *netModel {
	d, _ := parseDist(netPresets["same-zone"])
	return &netModel{seed: seed, rtt: d, links: map[string]*link{}, cut: map[string]int64{}}
}

// configure reads a net line: rtt=DIST|PRESET loss=P%.
func (n *netModel) configure(a *cmdline.Args, e *engine) error {
	rtt := e.setting("rtt", a.Str("rtt", ""))
	if p, ok := netPresets[rtt]; ok {
		rtt = p
	}
	if rtt != "" {
		d, err := parseDist(rtt)
		if err != nil {
			return fmt.Errorf("rtt: %w", err)
		}
		n.rtt = d
	}
	if l := e.setting("loss", a.Str("loss", "")); l != "" {
		p, err := parsePercent(l)
		if err != nil {
			return fmt.Errorf("loss: %w", err)
		}
		n.loss = p
	}
	return nil
}

// parsePercent reads "1%" or "0.01" as a probability.
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if strings.HasSuffix(s, "%") {
		v /= 100
	}
	if err != nil || v < 0 || v > 1 || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a probability (like 1%% or 0.01)", s)
	}
	return v, nil
}

func (n *netModel) link(from, to string) *link {
	name := from + "->" + to
	lk, ok := n.links[name]
	if !ok {
		lk = &link{name: name, to: to, rng: stream(n.seed, "net "+name)}
		n.links[name] = lk
	}
	return lk
}

// send schedules the delivery of a message the cluster just sent.
func (n *netModel) send(e *engine, m spec.Message, at int64) {
	lk := n.link(m.From, m.To)
	d := e.sendDelay(m) + n.rtt.Sample(lk.rng)/2
	t := at + int64(math.Floor(d+lk.rng.Float64())) // unbiased rounding to the clock's ms
	t = max(t, lk.last)
	lk.last = t
	lk.q = append(lk.q, flight{at: t, msg: m, lost: n.loss > 0 && lk.rng.Float64() < n.loss})
	n.schedule(e, lk)
}

func (n *netModel) schedule(e *engine, lk *link) {
	if lk.waiting || lk.parked || len(lk.q) == 0 {
		return
	}
	lk.waiting = true
	e.seq++
	e.q.push(&event{at: max(lk.q[0].at, e.now()), seq: e.seq, lk: lk})
}

// cutNow reports whether a process's links are cut.
func (n *netModel) cutNow(name string, now int64) bool {
	until, ok := n.cut[name]
	return ok && now < until
}

// arrive is the head of a link reaching its recipient (or being lost).
func (n *netModel) arrive(e *engine, lk *link) {
	lk.waiting = false
	f := lk.q[0]
	to, from := e.procAt(f.msg.To), e.procAt(f.msg.From)
	if to != nil && e.cl.Frozen(to.name) {
		lk.parked = true // thaw reschedules it
		to.parkedLinks = append(to.parkedLinks, lk)
		return
	}
	cut := (to != nil && n.cutNow(to.name, e.now())) || (from != nil && n.cutNow(from.name, e.now()))
	if !f.lost && !cut && to != nil && !lk.headHeld {
		if hold := e.beforeDelivery(to, f.msg); hold > 0 {
			lk.headHeld = true
			lk.q[0].at = e.now() + hold
			n.schedule(e, lk)
			return
		}
	}
	lk.headHeld = false
	kind := cluster.ActDeliver
	if f.lost || cut {
		kind = cluster.ActDrop
		e.ob.lost++
	}
	e.ctx = stepCtx{deliver: &f.msg}
	lk.q = lk.q[1:]
	if e.apply(cluster.Action{Kind: kind, Link: lk.name}) != nil {
		return
	}
	n.schedule(e, lk)
}

// thawed reschedules the links that waited for a frozen process.
func (n *netModel) thawed(e *engine, p *proc) {
	for _, lk := range p.parkedLinks {
		lk.parked = false
		n.schedule(e, lk)
	}
	p.parkedLinks = nil
}
