package cluster

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/spec"
)

// settleBudget bounds one settle: a protocol that keeps messages flowing
// without time passing (a group rebalancing endlessly at one instant) is a
// bug. A rebalance costs each consumer about a dozen messages, two rounds
// of them under the cooperative protocol; the budget allows several times
// that per consumer.
func (cl *Cluster) settleBudget() int { return 2000 + 100*len(cl.nodes) }

// network holds the messages in flight, in the order they were sent, so
// by ascending ID. A message taken off the wire leaves a hole (gone), which
// every reader skips, until holes are half of flight and are swept out: a
// delivery near the front must not shift every message behind it. links
// holds the IDs in flight on each link, oldest first, so that the oldest
// message of a link is found without a scan of the wire.
type network struct {
	seq    int64
	flight []Flight
	holes  int
	links  map[linkKey][]int64
	held   map[string]bool // consumer names whose links are not auto-delivered
}

type linkKey struct{ from, to string }

// Flight is one message on the wire; ID names it for deliver and drop.
type Flight struct {
	ID   int64
	Msg  spec.Message
	gone bool // taken off the wire: a hole
}

// Link is the message's link, "FROM->TO": deliver and drop act on its oldest
// message.
func (f Flight) Link() string { return link(f.Msg) }

func link(m spec.Message) string { return m.From + "->" + m.To }

// send puts m on the wire.
func (cl *Cluster) send(m spec.Message) {
	cl.net.seq++
	cl.net.flight = append(cl.net.flight, Flight{ID: cl.net.seq, Msg: m})
	cl.net.onLink(m, cl.net.seq)
	cl.log(spec.Event{Kind: spec.EvSend, Msg: &m})
}

// onLink adds the message with this id to its link's queue.
func (nw *network) onLink(m spec.Message, id int64) {
	if nw.links == nil {
		nw.links = map[linkKey][]int64{}
	}
	k := linkKey{m.From, m.To}
	nw.links[k] = append(nw.links[k], id)
}

// find is the index in flight of the message with this id, if in flight.
func (nw *network) find(id int64) (int, bool) {
	i, ok := slices.BinarySearchFunc(nw.flight, id, func(f Flight, id int64) int { return cmp.Compare(f.ID, id) })
	return i, ok && !nw.flight[i].gone
}

// InFlight lists every message on the wire, oldest first.
func (cl *Cluster) InFlight() []Flight { return cl.net.live() }

// live is flight without its holes, in a new slice.
func (nw *network) live() []Flight {
	out := make([]Flight, 0, len(nw.flight)-nw.holes)
	for _, f := range nw.flight {
		if !f.gone {
			out = append(out, f)
		}
	}
	return out
}

// Deliverable lists the messages that may arrive next: the oldest one of
// each link whose recipient is not frozen, oldest first.
func (cl *Cluster) Deliverable() []Flight {
	seen := map[string]bool{}
	var out []Flight
	for _, f := range cl.net.flight {
		if f.gone {
			continue
		}
		l := link(f.Msg)
		if seen[l] {
			continue
		}
		seen[l] = true
		if n := cl.nodeAt(f.Msg.To); n != nil && n.frozen && !n.crashed {
			continue
		}
		out = append(out, f)
	}
	return out
}

// nodeAt finds the node whose current or former process has this address.
func (cl *Cluster) nodeAt(addr string) *node {
	name, _, _ := strings.Cut(addr, "@")
	return cl.nodes[name]
}

// deliverable finds the message a deliver or drop names: its ID, or the
// oldest message of its Link. It must be deliverable now.
func (cl *Cluster) deliverable(a Action) (Flight, error) {
	if a.Link != "" {
		return cl.deliverableOn(a.Link)
	}
	for _, f := range cl.Deliverable() {
		if (a.Link != "" && f.Link() == a.Link) || (a.Link == "" && f.ID == a.ID) {
			return f, nil
		}
	}
	if a.Link != "" {
		return Flight{}, fmt.Errorf("nothing deliverable on link %s", a.Link)
	}
	return Flight{}, fmt.Errorf("message %d is not deliverable", a.ID)
}

func (cl *Cluster) deliverOrDrop(a Action) {
	f, err := cl.deliverable(a)
	if err != nil {
		assert.Fail("cluster: %v after validation", err)
	}
	cl.take(f.ID)
	if a.Kind == ActDrop {
		cl.log(spec.Event{Kind: spec.EvDrop, Msg: &f.Msg})
		cl.stepped(ActDrop, "", &f.Msg)
		cl.checkStep()
		return
	}
	cl.deliver(f)
	cl.after()
}

// take removes the message with this id from the wire, leaving a hole.
func (cl *Cluster) take(id int64) Flight {
	nw := &cl.net
	i, ok := nw.find(id)
	if !ok {
		assert.Fail("cluster: message %d is not in flight", id)
	}
	f := nw.flight[i]
	nw.flight[i] = Flight{ID: id, gone: true}
	nw.holes++
	k := linkKey{f.Msg.From, f.Msg.To}
	if q := nw.links[k]; len(q) == 1 {
		delete(nw.links, k)
	} else {
		nw.links[k] = slices.Delete(q, slices.Index(q, id), slices.Index(q, id)+1) // the head, but for explorers
	}
	for len(nw.flight) > 0 && nw.flight[0].gone {
		nw.flight, nw.holes = nw.flight[1:], nw.holes-1
	}
	if nw.holes > 0 && 2*nw.holes >= len(nw.flight) {
		nw.flight = slices.DeleteFunc(nw.flight, func(f Flight) bool { return f.gone })
		nw.holes = 0
	}
	if len(nw.flight) == 0 {
		nw.flight = nil // let the array go
	}
	return f
}

func (cl *Cluster) heldMsg(m spec.Message) bool {
	for _, addr := range []string{m.From, m.To} {
		if n := cl.nodeAt(addr); n != nil && cl.net.held[n.name] {
			return true
		}
	}
	return false
}

// settle delivers messages, oldest deliverable first, until none is left
// outside held links. Time does not move.
func (cl *Cluster) settle() error {
	budget := cl.settleBudget()
	for range budget {
		ds := cl.Deliverable()
		i := slices.IndexFunc(ds, func(f Flight) bool { return !cl.heldMsg(f.Msg) })
		if i < 0 {
			return nil // nothing changed since the last check
		}
		cl.deliver(cl.take(ds[i].ID))
		cl.checkStep()
	}
	return fmt.Errorf("cluster: messages still flowing after %d deliveries at time %d", budget, cl.now)
}

func (cl *Cluster) settleIfAuto() {
	if cl.cfg.AutoDeliver {
		if err := cl.settle(); err != nil {
			assert.Fail("%v: a livelock inside one instant", err)
		}
	}
}

// deliver hands one message to its recipient. A message for a process that
// is gone (crashed, closed, or an earlier incarnation) is lost.
func (cl *Cluster) deliver(f Flight) {
	cl.handOver(f.Msg)
	cl.stepped(ActDeliver, f.Msg.To, &f.Msg)
}

func (cl *Cluster) handOver(m spec.Message) {
	if m.To == spec.CoordinatorNode {
		cl.log(spec.Event{Kind: spec.EvDeliver, Msg: &m})
		cl.checker.Request(cl.now, m)
		cl.coordinatorInput(m.Body)
		ready, err := cl.coord.Step(cl.now, m)
		if err != nil {
			assert.Fail("cluster: the coordinator refused a message the cluster built: %v", err)
		}
		cl.offsetsTaken(m.Body)
		cl.applyCoordinator(ready)
		return
	}
	if m.To == AdminNode {
		cl.log(spec.Event{Kind: spec.EvDeliver, Msg: &m})
		return
	}
	n := cl.nodeAt(m.To)
	if n == nil || !n.running() || n.address() != m.To {
		cl.log(spec.Event{Kind: spec.EvDrop, Msg: &m, Detail: "recipient gone"})
		return
	}
	cl.log(spec.Event{Kind: spec.EvDeliver, Msg: &m})
	if _, ok := m.Body.(*spec.SyncGroupResponse); ok { // all Delivered looks at: spare the view's copy
		cl.checker.Delivered(cl.now, n.c.View(), m)
	}
	cl.step(n, m)
}

// applyCoordinator puts the coordinator's output into the world.
func (cl *Cluster) applyCoordinator(r coordinator.Ready) {
	cl.records = append(cl.records, r.Records...)
	if len(r.Records) > 0 {
		cl.cgViewOK = false
		cl.leanFail(cl.replicate(r.Records))
		cl.logConsumerGroup()
	}
	cl.persisted(r.Records)
	for _, t := range r.Transitions {
		cl.log(spec.Event{Kind: spec.EvGroupState, Node: spec.CoordinatorNode, Detail: t.To.String(), Generation: t.ToGeneration})
		cl.checker.Transition(cl.now, t)
	}
	if len(r.Responses) == 0 {
		return
	}
	if cg, ok := cl.consumerGroup(); ok {
		for _, m := range r.Responses {
			cl.checker.ResponseConsumerGroup(cl.now, cg, m)
			cl.send(m)
		}
		return
	}
	after := cl.groupAfter(r)
	for _, m := range r.Responses {
		cl.checker.Response(cl.now, after, m)
		cl.send(m)
	}
}
