package model

import (
	"errors"
	"fmt"
	"hash/crc64"
	"hash/fnv"
	"time"
)

// fingerprint is a 128-bit hash of a state's encoding (TLC keeps 64-bit
// fingerprints; 128 bits make a collision among a few billion states
// negligible).
type fingerprint [2]uint64

var crcTable = crc64.MakeTable(crc64.ECMA)

func fingerprintOf(b []byte) fingerprint {
	h := fnv.New64a()
	h.Write(b)
	return fingerprint{h.Sum64(), crc64.Checksum(b, crcTable)}
}

// Options steer an exploration.
type Options struct {
	// MaxStates stops the search after this many distinct states (0: none).
	MaxStates int64
	// Check applies the invariants and step properties to every state and
	// step, stopping at the first violation.
	Check bool
	// Progress, if set, is called about once a second.
	Progress func(Stats)
	// Constraint, if set, keeps only the states it accepts (TLC's CONSTRAINT).
	Constraint func(*State) bool
}

// Stats is how far a search got.
type Stats struct {
	Distinct  int64 // distinct states found
	Generated int64 // successors generated (TLC's "states generated")
	Depth     int   // the longest shortest path from Init, in steps (TLC's depth minus one)
	Queue     int   // states found but not yet expanded
	Elapsed   time.Duration
}

// Violation is a broken rule with the shortest path to it.
type Violation struct {
	Rule  string
	Trace []Succ // from Init (label "Init") to the offending state
}

func (v *Violation) Error() string {
	return fmt.Sprintf("model: %s violated after %d steps", v.Rule, len(v.Trace)-1)
}

// ErrTruncated reports a search stopped by MaxStates.
var ErrTruncated = errors.New("model: the search stopped at the state limit")

// Explore searches every state reachable from Init(p) breadth first. It
// returns the statistics; with opts.Check, a *Violation for the first
// broken rule found (on a shortest path).
func Explore(p *Params, opts Options) (Stats, error) {
	if err := p.Validate(); err != nil {
		return Stats{}, err
	}
	start := time.Now()
	type node struct {
		parent int32
		label  string
	}
	seen := map[fingerprint]int32{}
	var nodes []node
	var queue []State // queue[i-head] is state head+i
	var buf []byte
	st := Stats{}
	add := func(s State, parent int32, label string) (int32, bool) {
		buf = s.AppendState(buf[:0])
		fp := fingerprintOf(buf)
		if i, ok := seen[fp]; ok {
			return i, false
		}
		i := int32(len(nodes))
		seen[fp] = i
		nodes = append(nodes, node{parent, label})
		queue = append(queue, s)
		return i, true
	}
	var states []State // kept only when checking, for traces
	trace := func(i int32, last Succ) []Succ {
		var out []Succ
		out = append(out, last)
		for ; i >= 0; i = nodes[i].parent {
			out = append(out, Succ{nodes[i].label, states[i]})
		}
		for l, r := 0, len(out)-1; l < r; l, r = l+1, r-1 {
			out[l], out[r] = out[r], out[l]
		}
		return out
	}
	init := Init(p)
	add(init, -1, "Init")
	if opts.Check {
		states = append(states, init)
		if rule := brokenInvariant(&init); rule != "" {
			return st, &Violation{Rule: rule, Trace: []Succ{{"Init", init}}}
		}
	}
	depthEnd, depth := 1, 0 // nodes below depthEnd are at depth or less
	lastReport := time.Now()
	for head := 0; head < len(nodes); head++ {
		if head == depthEnd {
			depth++
			depthEnd = len(nodes)
		}
		s := queue[0]
		queue[0] = State{}
		queue = queue[1:]
		for _, sc := range Successors(p, s) {
			st.Generated++
			if opts.Constraint != nil && !opts.Constraint(&sc.S) {
				continue
			}
			if opts.Check {
				for _, sp := range StepProperties {
					if !sp.Holds(&s, &sc.S) {
						return st, &Violation{Rule: sp.Name, Trace: trace(int32(head), sc)}
					}
				}
			}
			if _, fresh := add(sc.S, int32(head), sc.Label); !fresh {
				continue
			}
			if opts.Check {
				states = append(states, sc.S)
				if rule := brokenInvariant(&sc.S); rule != "" {
					return st, &Violation{Rule: rule, Trace: trace(int32(head), sc)}
				}
			}
		}
		st.Distinct, st.Depth, st.Queue = int64(len(nodes)), depth, len(nodes)-head-1
		if opts.MaxStates > 0 && st.Distinct >= opts.MaxStates {
			st.Elapsed = time.Since(start)
			return st, ErrTruncated
		}
		if opts.Progress != nil && time.Since(lastReport) > time.Second {
			lastReport = time.Now()
			st.Elapsed = time.Since(start)
			opts.Progress(st)
		}
	}
	st.Distinct, st.Queue = int64(len(nodes)), 0
	st.Elapsed = time.Since(start)
	return st, nil
}

func brokenInvariant(s *State) string {
	for _, inv := range Invariants {
		if !inv.Holds(s) {
			return inv.Name
		}
	}
	return ""
}
