// Package refine checks that kgroup's implementation refines its
// specification: every step a real cluster (impl/cluster) takes maps, under
// an abstraction function, to a step ClassicGroup.tla allows — a successor
// of the previous abstract state under the spec's next-state relation, as
// computed by its Go twin (tla/model, whose state counts equal TLC's) with
// every bound lifted — or to no change at all (a stutter).
//
// Attach a Checker to a cluster; it observes every single state-machine
// step (cluster.OnStep) and keeps the first divergence, reported with the
// transcript up to the offending step and the spec actions that were
// possible:
//
//	ck := refine.New()
//	ck.Attach(cl)
//	... drive cl ...
//	if err := ck.Err(); err != nil { ... }
//
// It is not a checker of the rules: the cluster checks those itself. A
// divergence means the implementation took a step the spec does not
// describe — an implementation bug, or a gap in the spec.
package refine

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/spec"
	"github.com/kgroup/kgroup/tla/model"
)

// Checker checks one cluster's steps against the spec.
type Checker struct {
	cl    *cluster.Cluster
	abs   *abstraction
	prev  model.State
	steps int64
	err   error
}

// New returns a checker attached to nothing.
func New() *Checker { return &Checker{} }

// Attach starts checking cl from its current state: every step it takes
// from now on.
func (ck *Checker) Attach(cl *cluster.Cluster) {
	ck.cl = cl
	ck.abs = newAbstraction(cl)
	ck.prev = ck.abs.state(cl)
	if ck.abs.err != nil {
		ck.err = ck.abs.err
	}
	cl.OnStep(ck.step)
}

// Err is the first divergence (or abstraction failure), if any.
func (ck *Checker) Err() error { return ck.err }

// Steps counts the steps checked.
func (ck *Checker) Steps() int64 { return ck.steps }

// Divergence is a step of the implementation the spec does not allow.
type Divergence struct {
	// Step is the implementation's step (cluster.Step).
	Step cluster.Step
	// Transcript is the run up to and including the action that took it.
	Transcript string
	// Before and After are the abstract states, as TLA+ values.
	Before, After string
	// Possible are the spec's actions from Before.
	Possible []string
	// Diff lists the differences between After and the nearest successor.
	Nearest, Diff string
}

func (d *Divergence) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refine: step %s %s is not a step of ClassicGroup.tla\n", d.Step.Kind, d.Step.Node)
	if d.Step.Msg != nil {
		fmt.Fprintf(&b, "message: %s\n", d.Step.Msg)
	}
	fmt.Fprintf(&b, "transcript:\n%s", d.Transcript)
	fmt.Fprintf(&b, "possible spec actions: %s\n", strings.Join(d.Possible, ", "))
	if d.Nearest != "" {
		fmt.Fprintf(&b, "nearest (%s) differs from the implementation's state in:\n%s", d.Nearest, d.Diff)
	}
	fmt.Fprintf(&b, "before:\n%s\nafter:\n%s\n", d.Before, d.After)
	return b.String()
}

func (ck *Checker) step(st cluster.Step) {
	if ck.err != nil {
		return
	}
	ck.steps++
	before := ck.prev
	after := ck.abs.state(ck.cl)
	if ck.abs.err != nil {
		ck.err = fmt.Errorf("%w\ntranscript:\n%s", ck.abs.err, ck.cl.Transcript())
		return
	}
	before = widen(before, len(after.C))
	ck.prev = after
	want := after.AppendProtocol(nil)
	if bytes.Equal(before.AppendProtocol(nil), want) {
		return // a stutter
	}
	p := *ck.abs.p
	p.Hints = ck.hints(before, after)
	// The actions of the node the step acted on first (the others only
	// when they do not explain it, so that a divergence lists them all).
	node := ck.nodeOf(st)
	near := func(a model.Action) bool { return a.C == node }
	for _, s := range model.SuccessorsOf(&p, before, near) {
		if bytes.Equal(s.S.AppendProtocol(nil), want) {
			return
		}
	}
	succ := model.Successors(&p, before)
	for _, s := range succ {
		if bytes.Equal(s.S.AppendProtocol(nil), want) {
			return
		}
	}
	d := &Divergence{Step: st, Transcript: ck.cl.Transcript(), Before: model.Format(&p, &before), After: model.Format(&p, &after)}
	best := -1
	for i, s := range succ {
		d.Possible = append(d.Possible, s.Act.Format(&p))
		if best < 0 || model.Distance(&p, &s.S, &after) < model.Distance(&p, &succ[best].S, &after) {
			best = i
		}
	}
	if best >= 0 {
		d.Nearest, d.Diff = succ[best].Act.Format(&p), model.Diff(&p, &succ[best].S, &after)
	}
	ck.err = d
}

// nodeOf is the consumer slot a step concerns: its node, or the sender of
// the request it delivered or dropped (-1: the coordinator or nobody).
func (ck *Checker) nodeOf(st cluster.Step) int {
	if st.Msg != nil && st.Msg.To == spec.CoordinatorNode {
		return ck.abs.slotOf(st.Msg.From)
	}
	if st.Msg != nil {
		return ck.abs.slotOf(st.Msg.To)
	}
	return ck.abs.slotOf(st.Node)
}

// widen gives s a NotStarted slot for every consumer seen since.
func widen(s model.State, n int) model.State {
	for len(s.C) < n {
		s.C = append(s.C, model.Consumer{})
		s.Up = append(s.Up, nil)
		s.Down = append(s.Down, nil)
	}
	return s
}

// hints are the environment's and the assignor's choices in the step, read
// off the state after it: the plans leaders sent, the topics, and the
// application's last call.
func (ck *Checker) hints(before, after model.State) *model.Hints {
	h := &model.Hints{NewCounts: []model.Counts{after.Topics}}
	for _, links := range after.Up {
		for _, l := range links {
			for _, r := range l {
				if r.K == model.KSync && len(r.Plan) > 0 {
					h.Plans = append(h.Plans, r.Plan)
				}
			}
		}
	}
	h.Plans = append(h.Plans, nil) // a plan that gives nothing
	acts := ck.cl.Actions()
	if len(acts) > 0 {
		a := acts[len(acts)-1]
		switch a.Kind {
		case cluster.ActConsume, cluster.ActConsumeAll:
			ch := model.ConsumeHint{N: a.Records}
			if a.Partition != nil {
				ch.Part, ch.One = ck.abs.tp(*a.Partition), true
			}
			h.Consume = append(h.Consume, ch)
		case cluster.ActCommit:
			h.Big = a.MetadataBytes > ck.abs.max
		}
	}
	return h
}
