// Package bfs is the breadth-first explorer the Go twins of kgroup's TLA+
// specifications share (tla/model for ClassicGroup.tla, tla/cgmodel for
// ConsumerGroup.tla): TLC's search over encoded states, with TLC's counts
// (distinct states, states generated, depth), the shortest trace to a
// broken rule, and results that do not depend on the number of workers.
package bfs

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
type Options[S any] struct {
	// MaxStates stops the search after this many distinct states (0: none).
	MaxStates int64
	// Check applies the invariants and step properties to every state and
	// step, stopping at the first violation.
	Check bool
	// Progress, if set, is called about once a second.
	Progress func(Stats)
	// Constraint, if set, keeps only the states it accepts (TLC's CONSTRAINT).
	Constraint func(*S) bool
	// Visit, if set, sees every distinct state once, in the order found.
	Visit func(*S)
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

// Succ is one successor of a state, with the action that leads to it.
type Succ[A, S any] struct {
	Act A
	S   S
}

// Violation is a broken rule with the shortest path to it.
type Violation[A, S any] struct {
	Model string // the twin's name, for the message
	Rule  string
	Trace []Succ[A, S] // from Init (the model's InitAct) to the offending state
}

func (v *Violation[A, S]) Error() string {
	return fmt.Sprintf("%s: %s violated after %d steps", v.Model, v.Rule, len(v.Trace)-1)
}

// ErrTruncated reports a search stopped by MaxStates.
var ErrTruncated = errors.New("the search stopped at the state limit")

// Model is what a twin gives the explorer.
type Model[A, S any] struct {
	Name       string // for messages: "model", "cgmodel"
	Init       S
	InitAct    A // the action a trace starts with
	Successors func(S) []Succ[A, S]
	Encode     func(*S) []byte
	Decode     func([]byte) S
	// InModel is the specification's own CONSTRAINT; Options.Constraint
	// narrows it further.
	InModel func(*S) bool
	// Broken names the first invariant s breaks, "" if none; BrokenStep
	// the first step property a step breaks.
	Broken     func(s *S) string
	BrokenStep func(prev, next *S) string
}

// Explore searches every state reachable from m.Init breadth first. It
// returns the statistics; with opts.Check, a *Violation for the first
// broken rule found (on a shortest path). States are numbered in the order
// a one-worker search finds them, whatever the number of workers: the
// result does not depend on it.
func Explore[A, S any](m Model[A, S], opts Options[S]) (Stats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	type node struct {
		parent int32
		act    A
	}
	seen := map[fingerprint]int32{}
	var nodes []node    // kept only when checking, for traces
	var states [][]byte // likewise (encoded)
	var queue [][]byte  // found, not yet expanded, in order (encoded: a state costs its encoding's bytes)
	decode := m.Decode
	inModel := func(s *S) bool { return m.InModel(s) && (opts.Constraint == nil || opts.Constraint(s)) }
	st := Stats{}
	count := int32(0)
	add := func(s *S, enc []byte, fp fingerprint, parent int32, a A) bool {
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
	trace := func(i int32, last Succ[A, S]) []Succ[A, S] {
		out := []Succ[A, S]{last}
		for ; i >= 0; i = nodes[i].parent {
			out = append(out, Succ[A, S]{nodes[i].act, decode(states[i])})
		}
		slices.Reverse(out)
		return out
	}
	init := m.Init
	ienc := m.Encode(&init)
	add(&init, ienc, fingerprintOf(ienc), -1, m.InitAct)
	if opts.Check {
		if rule := m.Broken(&init); rule != "" {
			return st, &Violation[A, S]{Model: m.Name, Rule: rule, Trace: []Succ[A, S]{{m.InitAct, init}}}
		}
	}
	type result struct {
		parent S
		succ   []Succ[A, S]
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
					succ := m.Successors(s)
					r := result{parent: s, succ: succ, encs: make([][]byte, len(succ)), fps: make([]fingerprint, len(succ))}
					for i := range succ {
						if !inModel(&succ[i].S) {
							continue
						}
						r.encs[i] = m.Encode(&succ[i].S)
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
					if rule := m.BrokenStep(&res[j].parent, &sc.S); rule != "" {
						return st, &Violation[A, S]{Model: m.Name, Rule: rule, Trace: trace(head, sc)}
					}
				}
				if !add(&sc.S, res[j].encs[i], res[j].fps[i], head, sc.Act) || !opts.Check {
					continue
				}
				if rule := m.Broken(&sc.S); rule != "" {
					return st, &Violation[A, S]{Model: m.Name, Rule: rule, Trace: trace(head, sc)}
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
