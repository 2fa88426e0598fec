package cluster

import "github.com/kgroup/kgroup/spec"

// Step is one step of one state machine, the granularity at which a
// specification describes the system: a message delivered (one Step of its
// recipient) or lost, one node's timers fired (one coordinator timer, or one
// pass of a consumer's), one driver input to one consumer (start, crash,
// stall, a batch consumed, ...), a metadata change, a failover. An Action is
// one step or, with automatic delivery, settle, advance or stabilize, many.
type Step struct {
	// Kind is the action kind the step belongs to: deliver, drop, fire, or
	// the driver's action (start, crash, consume, failover, ...).
	Kind ActionKind
	// Node is the node the step acted on: a consumer's name, or
	// spec.CoordinatorNode; empty for metadata changes.
	Node string
	// Msg is the message delivered or dropped.
	Msg *spec.Message
}

// OnStep registers f to run after every Step, with the cluster in the
// state the step left it in (and before the checker's verdict on it). A
// refinement checker compares consecutive states this way.
func (cl *Cluster) OnStep(f func(Step)) { cl.stepHooks = append(cl.stepHooks, f) }

func (cl *Cluster) stepped(kind ActionKind, node string, m *spec.Message) {
	for _, f := range cl.stepHooks {
		f(Step{Kind: kind, Node: node, Msg: m})
	}
}
