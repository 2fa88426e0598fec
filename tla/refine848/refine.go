// Package refine848 checks that kgroup's KIP-848 consumer groups refine
// ConsumerGroup.tla: every step a real cluster (impl/cluster) takes maps,
// under an abstraction function (abstract.go), to a step the spec allows —
// a successor of the previous abstract state under the next-state relation
// of its Go twin (tla/cgmodel, whose state counts equal TLC's) with every
// bound lifted (drops, perturbations, expiries) — or to no change (a
// stutter). It is tla/refine's counterpart for the consumer protocol.
//
// The cluster must be within the model's scope: consumers all
// group.protocol=consumer with remote-assignor=range, no auto-commit and no
// commit on revoke, no static members, one topic, and no restarts, stalls,
// freezes, failover, metadata changes or application calls. Anything else
// is refused with an error naming it.
//
//	ck := refine848.New("c1", "c2")
//	ck.Attach(cl)
//	... drive cl ...
//	if err := ck.Err(); err != nil { ... }
//
// One documented divergence of the implementation is accepted by name: a
// rejoin fenced again waits for the retry backoff before the next one
// (impl/asyncconsumer's package doc; the model leaves the backoff out). The
// answer's delivery is then the spec's DeliverDown without the heartbeat
// the spec sends at once, which goes out later as the spec's HeartbeatDue;
// the checker accepts the delivery if sending that heartbeat would make it
// DeliverDown, and counts it (Backoffs).
package refine848

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/spec"
	"github.com/kgroup/kgroup/tla/cgmodel"
)

// Checker checks one cluster's steps against ConsumerGroup.tla.
type Checker struct {
	names    []string
	cl       *cluster.Cluster
	abs      *abstraction
	prev     cgmodel.State
	steps    int64
	stutters int64
	backoffs int64
	acts     map[string]int64
	err      error
}

// New returns a checker for a cluster whose consumers are names (started
// or not), attached to nothing.
func New(names ...string) *Checker { return &Checker{names: names, acts: map[string]int64{}} }

// Attach starts checking cl from its current state.
func (ck *Checker) Attach(cl *cluster.Cluster) {
	ck.cl = cl
	ck.abs = newAbstraction(cl, ck.names)
	ck.prev = ck.abs.state(cl)
	if ck.abs.err != nil {
		ck.err = ck.abs.err
		return
	}
	cl.OnStep(ck.step)
}

// Err is the first divergence (or abstraction failure), if any.
func (ck *Checker) Err() error { return ck.err }

// Steps counts the steps checked; Stutters those that changed nothing
// abstract; Backoffs the deliveries accepted as a delayed rejoin.
func (ck *Checker) Steps() int64    { return ck.steps }
func (ck *Checker) Stutters() int64 { return ck.stutters }
func (ck *Checker) Backoffs() int64 { return ck.backoffs }

// Actions counts the spec actions the steps matched, by name.
func (ck *Checker) Actions() map[string]int64 { return ck.acts }

// Divergence is a step of the implementation the spec does not allow.
type Divergence struct {
	Step          cluster.Step
	Transcript    string
	Before, After string
	Possible      []string
}

func (d *Divergence) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refine848: step %s %s is not a step of ConsumerGroup.tla\n", d.Step.Kind, d.Step.Node)
	if d.Step.Msg != nil {
		fmt.Fprintf(&b, "message: %s\n", d.Step.Msg)
	}
	fmt.Fprintf(&b, "transcript:\n%s", d.Transcript)
	fmt.Fprintf(&b, "possible spec actions: %s\n", strings.Join(d.Possible, ", "))
	fmt.Fprintf(&b, "before:\n%s\nafter:\n%s\n", d.Before, d.After)
	return b.String()
}

// key is a state's encoding with the budgets spent left out (the bounds
// are lifted) and an answer's assignment only when it carries one (the
// spec's answer holds the member's assignment either way; the wire's only
// when sent).
func key(s cgmodel.State) []byte {
	s.Spent = cgmodel.Spent{}
	down := s.Down
	s.Down = make([][]cgmodel.Answer, len(down))
	for c, l := range down {
		for _, a := range l {
			if !a.HasAsg {
				a.Asg = 0
			}
			s.Down[c] = append(s.Down[c], a)
		}
	}
	return s.AppendState(nil)
}

func (ck *Checker) step(st cluster.Step) {
	if ck.err != nil {
		return
	}
	ck.steps++
	if acts := ck.cl.Actions(); len(acts) > 0 {
		ck.abs.refuseAction(acts[len(acts)-1].Kind)
	}
	ck.abs.minter = -1
	if st.Msg != nil && st.Msg.To == spec.CoordinatorNode {
		ck.abs.minter = ck.abs.slotOf(st.Msg.From)
	}
	before := ck.prev
	after := ck.abs.state(ck.cl)
	if ck.abs.err != nil {
		ck.err = fmt.Errorf("%w\ntranscript:\n%s", ck.abs.err, ck.cl.Transcript())
		return
	}
	ck.prev = after
	want := key(after)
	if bytes.Equal(key(before), want) {
		ck.stutters++
		return
	}
	succ := cgmodel.Successors(ck.abs.p, before)
	for _, s := range succ {
		if bytes.Equal(key(s.S), want) {
			ck.acts[s.Act.Name]++
			return
		}
	}
	// The rejoin backoff: a fenced rejoin's next heartbeat not yet sent.
	for c := range after.C {
		x := &after.C[c]
		if x.St != cgmodel.Joining || x.Inflight {
			continue
		}
		delayed := after.Clone()
		cgmodel.SendHeartbeat(&delayed, c)
		for _, s := range succ {
			if s.Act.Name == "DeliverDown" && s.Act.C == c && bytes.Equal(key(s.S), key(delayed)) {
				ck.backoffs++
				ck.acts["DeliverDown(backoff)"]++
				return
			}
		}
	}
	d := &Divergence{Step: st, Transcript: ck.cl.Transcript(), Before: cgmodel.Format(&before), After: cgmodel.Format(&after)}
	for _, s := range succ {
		d.Possible = append(d.Possible, s.Act.Format())
	}
	ck.err = d
}
