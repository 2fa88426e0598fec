package cluster

import (
	"errors"
	"fmt"

	"github.com/kgroup/kgroup/spec"
)

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
	cl.budget.spend(len(cl.nodes))
	for _, f := range cl.stepHooks {
		f(Step{Kind: kind, Node: node, Msg: m})
	}
}

// ErrBudget is what Apply returns once the cluster's run has done more work
// than SetWorkBudget allows; the cluster then takes no more actions.
var ErrBudget = errors.New("work budget exhausted")

// budget bounds the work of one cluster's whole run, so that input from
// outside (a fuzzer's, or a transcript of 20,000 consumers for a day) costs
// at most a stated amount. A step costs a unit per 32 partitions and
// consumers, at least one: the rules checked after it look at all of them.
type budget struct {
	limit, spent int64 // limit 0: no bound
	partitions   int64 // in the cluster's topics now
}

// overBudget is the panic that unwinds a step once the budget is spent;
// Apply turns it into its error.
type overBudget struct{ err error }

func (b *budget) spend(consumers int) {
	b.spent += 1 + (b.partitions+int64(consumers))/32
	if b.limit > 0 && b.spent > b.limit {
		panic(overBudget{fmt.Errorf("%w: the run did more than %d units of work (a step is a unit per 32 partitions and consumers)", ErrBudget, b.limit)})
	}
}

// SetWorkBudget bounds the run at n units of work in all (0: no bound): a
// step of a cluster with P partitions and C consumers costs 1 + (P+C)/32.
// The step past the bound ends the action under way with ErrBudget, after
// which the cluster, stopped mid-action, takes no more.
func (cl *Cluster) SetWorkBudget(n int64) { cl.budget.limit = n }
