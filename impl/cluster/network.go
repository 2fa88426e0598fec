package cluster

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// maxSettleSteps bounds one Settle; a protocol that keeps messages flowing
// forever without time passing is a bug.
const maxSettleSteps = 100000

// network holds the messages in flight, in the order they were sent.
type network struct {
	seq    int64
	flight []Flight
	held   map[string]bool // consumer names whose links are not auto-delivered
}

// Flight is one message on the wire; ID names it for Deliver and Drop.
type Flight struct {
	ID  int64
	Msg spec.Message
}

func link(m spec.Message) string { return m.From + "->" + m.To }

func (nw *network) send(m spec.Message) {
	nw.seq++
	nw.flight = append(nw.flight, Flight{ID: nw.seq, Msg: m})
}

// InFlight lists every message on the wire, oldest first.
func (cl *Cluster) InFlight() []Flight { return slices.Clone(cl.net.flight) }

// Deliverable lists the messages that may arrive next: the oldest one of
// each link whose recipient is not frozen, oldest first.
func (cl *Cluster) Deliverable() []Flight {
	seen := map[string]bool{}
	var out []Flight
	for _, f := range cl.net.flight {
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

// Deliver delivers the message with this id, which must be deliverable.
func (cl *Cluster) Deliver(id int64) error {
	f, err := cl.takeDeliverable(id)
	if err != nil {
		return err
	}
	cl.deliver(f)
	cl.settleIfAuto()
	cl.checker.afterStep()
	return nil
}

// Drop loses the message with this id, which must be deliverable.
func (cl *Cluster) Drop(id int64) error {
	f, err := cl.takeDeliverable(id)
	if err != nil {
		return err
	}
	cl.log(spec.Event{Kind: spec.EvDrop, Msg: &f.Msg})
	cl.checker.afterStep()
	return nil
}

func (cl *Cluster) takeDeliverable(id int64) (Flight, error) {
	if !slices.ContainsFunc(cl.Deliverable(), func(f Flight) bool { return f.ID == id }) {
		return Flight{}, fmt.Errorf("message %d is not deliverable", id)
	}
	return cl.take(id), nil
}

// take removes the message with this id from the wire.
func (cl *Cluster) take(id int64) Flight {
	i := slices.IndexFunc(cl.net.flight, func(f Flight) bool { return f.ID == id })
	f := cl.net.flight[i]
	cl.net.flight = slices.Delete(cl.net.flight, i, i+1)
	return f
}

// Hold keeps the links of a consumer out of automatic delivery (a slow or
// partitioned network path); Release ends that.
func (cl *Cluster) Hold(name string) error {
	if _, err := cl.node(name); err != nil {
		return err
	}
	cl.net.held[name] = true
	return nil
}

// Release lets a held consumer's links deliver again.
func (cl *Cluster) Release(name string) error {
	if _, err := cl.node(name); err != nil {
		return err
	}
	delete(cl.net.held, name)
	cl.settleIfAuto()
	cl.checker.afterStep()
	return nil
}

func (cl *Cluster) heldMsg(m spec.Message) bool {
	for _, addr := range []string{m.From, m.To} {
		if n := cl.nodeAt(addr); n != nil && cl.net.held[n.name] {
			return true
		}
	}
	return false
}

// Settle delivers messages, oldest deliverable first, until none is left
// outside held links. Time does not move.
func (cl *Cluster) Settle() error {
	for range maxSettleSteps {
		ds := cl.Deliverable()
		i := slices.IndexFunc(ds, func(f Flight) bool { return !cl.heldMsg(f.Msg) })
		if i < 0 {
			return nil // nothing changed since the last check
		}
		cl.deliver(cl.take(ds[i].ID))
		cl.checker.afterStep()
	}
	return fmt.Errorf("cluster: messages still flowing after %d deliveries at time %d", maxSettleSteps, cl.now)
}

func (cl *Cluster) settleIfAuto() {
	if cl.cfg.AutoDeliver {
		if err := cl.Settle(); err != nil {
			panic(err) // a livelock inside one instant is a protocol bug
		}
	}
}

// deliver hands one message to its recipient. A message for a process that
// is gone (crashed, closed, or an earlier incarnation) is lost.
func (cl *Cluster) deliver(f Flight) {
	m := f.Msg
	if m.To == spec.CoordinatorNode {
		cl.log(spec.Event{Kind: spec.EvDeliver, Msg: &m})
		cl.checker.request(m)
		ready, err := cl.coord.Handle(cl.now, m)
		if err != nil {
			panic(fmt.Sprintf("cluster: coordinator rejected a message the cluster built: %v", err))
		}
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
	cl.checker.beforeConsumer(n, m)
	out, err := n.c.Deliver(cl.now, m)
	if err != nil {
		panic(fmt.Sprintf("cluster: consumer rejected a message the coordinator built: %v", err))
	}
	cl.applyConsumer(n, out)
}

// applyCoordinator puts the coordinator's output into the world.
func (cl *Cluster) applyCoordinator(r coordinator.Ready) {
	cl.records = append(cl.records, r.Records...)
	for _, t := range r.Transitions {
		cl.log(spec.Event{Kind: spec.EvGroupState, Node: spec.CoordinatorNode, Detail: t.To.String(), Generation: t.ToGeneration})
		cl.checker.transition(t)
	}
	if len(r.Responses) > 0 {
		after := cl.coord.Describe(cl.cfg.GroupID)
		for _, m := range r.Responses {
			cl.checker.response(after, m)
			cl.net.send(m)
		}
	}
}

// applyConsumer puts a consumer's output into the world.
func (cl *Cluster) applyConsumer(n *node, out consumer.Output) {
	for _, e := range out.Events {
		e.Node = n.name
		cl.record(e)
	}
	for _, m := range out.Messages {
		cl.net.send(m)
	}
	if out.NeedMetadata && n.running() {
		more, err := n.c.Metadata(cl.now, cl.Topics())
		if err != nil {
			panic(fmt.Sprintf("cluster: %v", err))
		}
		cl.applyConsumer(n, more)
	}
}
