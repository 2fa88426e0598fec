package model

import "github.com/kgroup/kgroup/tla/internal/bfs"

// The search is tla/internal/bfs's, which both twins share.
type (
	// Options steer an exploration.
	Options = bfs.Options[State]
	// Stats is how far a search got.
	Stats = bfs.Stats
	// Violation is a broken rule with the shortest path to it.
	Violation = bfs.Violation[Action, State]
)

// ErrTruncated reports a search stopped by MaxStates.
var ErrTruncated = bfs.ErrTruncated

// Explore searches every state reachable from Init(p) breadth first. It
// returns the statistics; with opts.Check, a *Violation for the first
// broken rule found (on a shortest path). States are numbered in the order
// a one-worker search finds them, whatever the number of workers: the
// result does not depend on it.
func Explore(p *Params, opts Options) (Stats, error) {
	if err := p.Validate(); err != nil {
		return Stats{}, err
	}
	n := len(p.Consumers)
	return bfs.Explore(bfs.Model[Action, State]{
		Name:       "model",
		Init:       Init(p),
		InitAct:    Action{Name: "Init", C: -1, I: -1},
		Successors: func(s State) []Succ { return Successors(p, s) },
		Encode:     func(s *State) []byte { return s.AppendState(nil) },
		Decode: func(b []byte) State {
			s, err := DecodeState(b, n)
			if err != nil {
				panic(err) // the encoding is the twin's own
			}
			return s
		},
		InModel:    func(s *State) bool { return inModel(p, s) },
		Broken:     brokenInvariant,
		BrokenStep: brokenStep,
	}, opts)
}

// inModel is TLC's CONSTRAINT: the state is explored (and counted).
func inModel(p *Params, s *State) bool {
	if p.MaxGeneration > 0 && int(s.G.Gen) > p.MaxGeneration {
		return false
	}
	return p.MaxMemberIds == 0 || int(s.G.NextID) <= p.MaxMemberIds
}

func brokenInvariant(s *State) string {
	for _, inv := range Invariants {
		if !inv.Holds(s) {
			return inv.Name
		}
	}
	return ""
}

func brokenStep(prev, next *State) string {
	for _, sp := range StepProperties {
		if !sp.Holds(prev, next) {
			return sp.Name
		}
	}
	return ""
}
