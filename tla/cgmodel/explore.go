package cgmodel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"time"
)

// fingerprint is a 128-bit hash of a state's encoding. TLC keeps 64-bit
// fingerprints; two independent 64-bit lanes make a collision among a few
// billion states negligible. It is a fixed function of the bytes: counts do
// not depend on a seed.
type fingerprint [2]uint64

func fingerprintOf(b []byte) fingerprint {
	const k1, k2, k3 = 0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9
	h1, h2 := uint64(len(b))*k3, ^uint64(len(b))
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		h1 = bits.RotateLeft64((h1^v)*k1, 31)
		h2 = bits.RotateLeft64((h2+v)*k2, 27) ^ h1
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	h1 = bits.RotateLeft64((h1^tail)*k1, 31)
	h2 = bits.RotateLeft64((h2+tail)*k2, 27) ^ h1
	return fingerprint{avalanche(h1 ^ h2>>7), avalanche(h2 + h1)}
}

func avalanche(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
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
	// Visit, if set, sees every distinct state once, in the order found.
	Visit func(*State)
	// Workers expand states in parallel (0: one per CPU).
	Workers int
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
	Trace []Succ // from Init (action "Init") to the offending state
}

func (v *Violation) Error() string {
	return fmt.Sprintf("cgmodel: %s violated after %d steps", v.Rule, len(v.Trace)-1)
}

// ErrTruncated reports a search stopped by MaxStates.
var ErrTruncated = errors.New("cgmodel: the search stopped at the state limit")

// Explore searches every state reachable from Init(p) breadth first. It
// returns the statistics; with opts.Check, a *Violation for the first
// broken rule found (on a shortest path). States are numbered in the order
// a one-worker search finds them, whatever the number of workers: the
// result does not depend on it.
func Explore(p *Params, opts Options) (Stats, error) {
	if err := p.Validate(); err != nil {
		return Stats{}, err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	type node struct {
		parent int32
		act    Action
	}
	seen := map[fingerprint]int32{}
	var nodes []node    // kept only when checking, for traces
	var states [][]byte // likewise (encoded)
	var queue [][]byte  // found, not yet expanded, in order (encoded: a state costs its encoding's bytes)
	n := p.NumConsumers
	decode := func(b []byte) State {
		s, err := DecodeState(b, n)
		if err != nil {
			panic(err) // the encoding is the twin's own
		}
		return s
	}
	st := Stats{}
	count := int32(0)
	add := func(s *State, enc []byte, fp fingerprint, parent int32, a Action) bool {
		if _, ok := seen[fp]; ok {
			return false
		}
		seen[fp] = count
		count++
		if opts.Check {
			nodes = append(nodes, node{parent, a})
			states = append(states, enc)
		}
		if opts.Visit != nil {
			opts.Visit(s)
		}
		queue = append(queue, enc)
		return true
	}
	trace := func(i int32, last Succ) []Succ {
		out := []Succ{last}
		for ; i >= 0; i = nodes[i].parent {
			out = append(out, Succ{nodes[i].act, decode(states[i])})
		}
		slices.Reverse(out)
		return out
	}
	init := Init(p)
	ienc := init.AppendState(nil)
	add(&init, ienc, fingerprintOf(ienc), -1, Action{Name: "Init", C: -1})
	if opts.Check {
		if rule := brokenInvariant(&init); rule != "" {
			return st, &Violation{Rule: rule, Trace: []Succ{{Action{Name: "Init", C: -1}, init}}}
		}
	}
	type result struct {
		parent State
		succ   []Succ
		encs   [][]byte
		fps    []fingerprint
	}
	const batch = 512
	depth, depthEnd := 0, int32(1) // states numbered below depthEnd are at depth or less
	lastReport := time.Now()
	for head := int32(0); len(queue) > 0; {
		batchN := min(len(queue), batch)
		work := queue[:batchN]
		res := make([]result, batchN)
		var wg sync.WaitGroup
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := k; j < batchN; j += workers {
					s := decode(work[j])
					succ := Successors(p, s)
					r := result{parent: s, succ: succ, encs: make([][]byte, len(succ)), fps: make([]fingerprint, len(succ))}
					for i := range succ {
						if !inModel(p, &opts, &succ[i].S) {
							continue
						}
						r.encs[i] = succ[i].S.AppendState(nil)
						r.fps[i] = fingerprintOf(r.encs[i])
					}
					res[j] = r
				}
			}()
		}
		wg.Wait()
		for j := range batchN {
			if head == depthEnd {
				depth++
				depthEnd = count
			}
			for i, sc := range res[j].succ {
				st.Generated++
				if res[j].encs[i] == nil {
					continue // outside the constraint
				}
				if opts.Check {
					for _, sp := range StepProperties {
						if !sp.Holds(&res[j].parent, &sc.S) {
							return st, &Violation{Rule: sp.Name, Trace: trace(head, sc)}
						}
					}
				}
				if !add(&sc.S, res[j].encs[i], res[j].fps[i], head, sc.Act) || !opts.Check {
					continue
				}
				if rule := brokenInvariant(&sc.S); rule != "" {
					return st, &Violation{Rule: rule, Trace: trace(head, sc)}
				}
			}
			head++
		}
		clear(queue[:batchN])
		queue = queue[batchN:]
		st.Distinct, st.Depth, st.Queue = int64(count), depth, len(queue)
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
	st.Distinct, st.Queue = int64(count), 0
	st.Elapsed = time.Since(start)
	return st, nil
}

// inModel is TLC's CONSTRAINT (StateConstraint): the state is explored (and counted).
func inModel(p *Params, opts *Options, s *State) bool {
	if p.MaxEpoch > 0 && int(s.G.Epoch) > p.MaxEpoch {
		return false
	}
	return opts.Constraint == nil || opts.Constraint(s)
}

func brokenInvariant(s *State) string {
	for _, inv := range Invariants {
		if !inv.Holds(s) {
			return inv.Name
		}
	}
	return ""
}
