// Package explore searches every behaviour of kgroup's real state machines
// within bounds: a breadth-first search over the cluster (coordinator,
// consumers, network of package impl/cluster) from its initial state,
// through every action cluster.Enabled offers, recognising states it has
// seen by a fingerprint of their canonical encoding (cluster.AppendState).
// Every rule of package spec is checked at every state (the cluster's own
// checker); optionally, convergence is demanded from every state once the
// faults are healed, and a caller's check (the refinement check of
// tla/refine) runs on every step. A violation comes back as the shortest
// run that reaches it, a transcript kgroup replay reproduces.
//
// It is the exhaustive layer of DESIGN §6: rapid samples runs, the explorer
// enumerates them.
package explore

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

// Config is one exploration.
type Config struct {
	// Cluster is the initial system; it should be manual (messages wait for
	// deliver and drop), so that every order of delivery is explored.
	Cluster cluster.Config
	// Setup are transcript lines applied before the search (e.g. "start c1
	// c2", "stabilize"): every behaviour from the state they reach is
	// explored. Their actions are part of every reported run.
	Setup []string
	// Bounds are what the actions may use (cluster.Enabled); what the setup
	// spent counts against them.
	Bounds cluster.Bounds
	// MaxDepth bounds the length of a run; 0 means no bound.
	MaxDepth int
	// MaxStates stops the search after this many distinct states; 0 means
	// no bound.
	MaxStates int
	// Lockstep lets no time pass while a message is in flight: every message
	// arrives (or is lost) at the instant it was sent, in any order. It
	// explores every order of delivery but not every delay, which in a
	// manual cluster multiplies the states by every deadline a delay can
	// shift.
	Lockstep bool
	// Symmetry treats consumers whose configurations differ only in name as
	// interchangeable: of several such consumers not started yet, only the
	// first by name may start. This is sound for the rules, which do not
	// depend on names, and cuts the states by up to the factorial of their
	// number.
	Symmetry bool
	// Liveness demands, from every distinct state, that healing every fault
	// and letting time run converges the group (rule 6), within
	// LivenessLimitMs (default 600000).
	Liveness        bool
	LivenessLimitMs int64
	// Attach, if set, is called on every state about to take a step, before
	// the step; the function it returns reports a violation the step made
	// (a refinement checker hooks cluster.OnStep this way).
	Attach func(*cluster.Cluster) func() error
	// IgnoreRules explores on past a broken rule of spec, so that only
	// Attach's check (or an internal invariant) ends the search: what the
	// refinement check finds by itself.
	IgnoreRules bool
	// Workers expand states in parallel; 0 means one per CPU. The result does
	// not depend on it.
	Workers int
	// Progress, if set, is called about once a second and at the end.
	Progress func(Stats)
}

// Stats describe a search so far.
type Stats struct {
	States      int64 // distinct states
	Transitions int64 // actions applied
	Depth       int   // depth of the level being expanded
	Queue       int   // states waiting to be expanded
	Elapsed     time.Duration
}

// StatesPerSecond is the rate of distinct states.
func (s Stats) StatesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.States) / s.Elapsed.Seconds()
}

// Result is how a search ended.
type Result struct {
	Stats
	// Complete is true when every state within the bounds was explored
	// (neither MaxStates nor MaxDepth cut the search short).
	Complete bool
	// Violation is the first rule broken, in breadth-first order (so on a
	// shortest run); nil if none.
	Violation error
	// Transcript is the run that broke it: the cluster line and every action.
	Transcript string
	// TraceLength is the number of actions in that run.
	TraceLength int
}

// fingerprint identifies a state by its canonical encoding.
type fingerprint [16]byte

func fingerprintOf(cl *cluster.Cluster, buf []byte) (fingerprint, []byte) {
	buf = cl.AppendState(buf[:0])
	sum := sha256.Sum256(buf)
	var f fingerprint
	copy(f[:], sum[:16])
	return f, buf
}

// Run explores. It returns an error only for a configuration it cannot
// start from.
func Run(cfg Config) (Result, error) {
	root, err := cluster.New(cfg.Cluster)
	if err != nil {
		return Result{}, err
	}
	root.DiscardEvents()
	if err := setup(root, cfg.Setup); err != nil {
		return Result{}, err
	}
	if v := root.Violation(); v != nil {
		return Result{Violation: v, Transcript: root.Transcript(), TraceLength: len(root.Actions())}, nil
	}
	e := &explorer{cfg: cfg, start: time.Now(), seen: map[fingerprint]struct{}{}}
	if cfg.Workers <= 0 {
		e.cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if e.cfg.LivenessLimitMs <= 0 {
		e.cfg.LivenessLimitMs = 600000
	}
	fp, _ := fingerprintOf(root, nil)
	e.seen[fp] = struct{}{}
	e.stats.States = 1
	if res, bad := e.checkState(root); bad {
		return res, nil
	}
	return e.search([]*cluster.Cluster{root}), nil
}

// setup applies the setup lines.
func setup(cl *cluster.Cluster, lines []string) error {
	for _, line := range lines {
		acts, err := cluster.ParseActions(line, cl)
		if err != nil {
			return fmt.Errorf("explore: setup %q: %w", line, err)
		}
		for _, a := range acts {
			if err := cl.Apply(a); err != nil && cl.Violation() == nil {
				return fmt.Errorf("explore: setup %q: %w", line, err)
			}
			if cl.Violation() != nil {
				return nil // the caller reports it
			}
		}
	}
	return nil
}

type explorer struct {
	cfg      Config
	start    time.Time
	seen     map[fingerprint]struct{}
	stats    Stats
	lastTick time.Time
}

// successor is one step's outcome, found by a worker.
type successor struct {
	cl  *cluster.Cluster
	fp  fingerprint
	err error // the step broke something
}

// chunk is how many states are expanded at once: successors wait for the
// merge that deduplicates them, so this bounds the memory they take.
const chunk = 512

func (e *explorer) search(frontier []*cluster.Cluster) Result {
	for depth := 0; len(frontier) > 0; depth++ {
		if e.cfg.MaxDepth > 0 && depth >= e.cfg.MaxDepth {
			return e.finish(false) // states remain unexpanded
		}
		e.stats.Depth = depth
		var next []*cluster.Cluster
		for start := 0; start < len(frontier); start += chunk {
			e.stats.Queue = len(frontier) - start + len(next)
			part := frontier[start:min(start+chunk, len(frontier))]
			res, done := e.merge(e.expand(part), &next)
			if done {
				return res
			}
			clear(part) // expanded states are not needed any more
			e.progress(false)
		}
		frontier = next
	}
	return e.finish(true)
}

// merge takes the successors in order: the first violation ends the search;
// each new state joins the next level.
func (e *explorer) merge(succs [][]successor, next *[]*cluster.Cluster) (Result, bool) {
	for _, ss := range succs {
		for _, s := range ss {
			e.stats.Transitions++
			if s.err != nil {
				return e.result(s.cl, s.err), true
			}
			if _, dup := e.seen[s.fp]; dup || s.cl == nil {
				continue
			}
			e.seen[s.fp] = struct{}{}
			e.stats.States++
			if res, bad := e.checkState(s.cl); bad {
				return res, true
			}
			*next = append(*next, s.cl)
			if e.cfg.MaxStates > 0 && e.stats.States >= int64(e.cfg.MaxStates) {
				return e.finish(false), true
			}
		}
	}
	return Result{}, false
}

// expand computes every successor of every state of the frontier, in
// parallel; the order of the result is the frontier's, then Enabled's.
func (e *explorer) expand(frontier []*cluster.Cluster) [][]successor {
	out := make([][]successor, len(frontier))
	var wg sync.WaitGroup
	var next int
	var mu sync.Mutex
	for range e.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(frontier) {
					return
				}
				out[i], buf = e.successors(frontier[i], buf)
			}
		}()
	}
	wg.Wait()
	return out
}

// successors applies every enabled action to a copy of cl.
func (e *explorer) successors(cl *cluster.Cluster, buf []byte) ([]successor, []byte) {
	acts := e.enabled(cl)
	out := make([]successor, 0, len(acts))
	for _, a := range acts {
		c := cl.Clone()
		var report func() error
		if e.cfg.Attach != nil {
			report = e.cfg.Attach(c)
		}
		err := c.Apply(a)
		if v := c.Violation(); v != nil && e.cfg.IgnoreRules && c.Broken() == nil {
			err = nil
		} else if v != nil {
			err = v // a broken rule says more than what it led to
		}
		if err == nil && report != nil {
			err = report()
		}
		s := successor{cl: c, err: err}
		if err == nil {
			s.fp, buf = fingerprintOf(c, buf)
			if _, old := e.seen[s.fp]; old {
				// Seen on an earlier level: only counted. (seen is
				// written only between levels, so reading it here is safe.)
				s.cl = nil
			}
		}
		out = append(out, s)
	}
	return out, buf
}

// enabled is cluster.Enabled with the lockstep and symmetry reductions.
func (e *explorer) enabled(cl *cluster.Cluster) []cluster.Action {
	acts := cl.Enabled(e.cfg.Bounds)
	inFlight := e.cfg.Lockstep && len(cl.InFlight()) > 0
	out := acts[:0]
	for _, a := range acts {
		switch {
		case inFlight && (a.Kind == cluster.ActFire || a.Kind == cluster.ActAdvance):
		case e.cfg.Symmetry && a.Kind == cluster.ActStart && !e.firstOfItsKind(cl, a.Node):
		default:
			out = append(out, a)
		}
	}
	return out
}

// firstOfItsKind: no consumer with the same configuration but an earlier
// place in the bounds is still to start.
func (e *explorer) firstOfItsKind(cl *cluster.Cluster, name string) bool {
	var mine string
	for _, c := range e.cfg.Bounds.Consumers {
		if c.Name == name {
			mine = shape(c)
		}
	}
	for _, c := range e.cfg.Bounds.Consumers {
		if c.Name == name {
			return true
		}
		if _, err := cl.ConfigOf(c.Name); err != nil && shape(c) == mine {
			return false // an earlier twin has not started
		}
	}
	return true
}

// checkState demands convergence from a new state, if asked.
func (e *explorer) checkState(cl *cluster.Cluster) (Result, bool) {
	if !e.cfg.Liveness {
		return Result{}, false
	}
	if err := converges(cl, e.cfg.LivenessLimitMs); err != nil {
		return e.resultAfterHealing(cl, err), true
	}
	return Result{}, false
}

func (e *explorer) progress(final bool) {
	e.stats.Elapsed = time.Since(e.start)
	if e.cfg.Progress == nil {
		return
	}
	if now := time.Now(); final || now.Sub(e.lastTick) >= time.Second {
		e.lastTick = now
		e.cfg.Progress(e.stats)
	}
}

func (e *explorer) finish(complete bool) Result {
	e.progress(true)
	return Result{Stats: e.stats, Complete: complete}
}

func (e *explorer) result(cl *cluster.Cluster, err error) Result {
	e.progress(true)
	return Result{Stats: e.stats, Violation: err, Transcript: cl.Transcript(), TraceLength: len(cl.Actions())}
}

// resultAfterHealing reports a liveness failure with the healing actions
// that show it, so the transcript replays to the same verdict.
func (e *explorer) resultAfterHealing(cl *cluster.Cluster, err error) Result {
	healed := cl.Clone()
	_ = heal(healed, e.cfg.LivenessLimitMs)
	r := e.result(healed, fmt.Errorf("liveness: %w", err))
	r.TraceLength = len(cl.Actions())
	return r
}

// converges heals a copy of cl — thaw, unstall and release everything, then
// stabilize — and says why the group did not converge, if it did not.
// Kafka's one known non-convergence (a static leader that returned with
// skipAssignment misses a metadata change: transcript
// static_leader_misses_metadata_change) is accepted.
func converges(cl *cluster.Cluster, limitMs int64) error {
	c := cl.Clone()
	err := heal(c, limitMs)
	if v := c.Violation(); v != nil {
		return v
	}
	if err != nil && !errors.Is(err, cluster.ErrNotConverged) {
		return err
	}
	if err != nil && spec.CheckSettled(c.Snapshot()) == nil && staticLeaderSkipped(c) {
		return nil
	}
	return err
}

func heal(c *cluster.Cluster, limitMs int64) error {
	for _, name := range c.Names() {
		var acts []cluster.Action
		if c.Frozen(name) {
			acts = append(acts, cluster.Action{Kind: cluster.ActThaw, Node: name})
		}
		if cons, ok := c.Consumer(name); ok && cons.Stalled() {
			acts = append(acts, cluster.Action{Kind: cluster.ActUnstall, Node: name})
		}
		if c.Held(name) {
			acts = append(acts, cluster.Action{Kind: cluster.ActRelease, Node: name})
		}
		for _, a := range acts {
			if err := c.Apply(a); err != nil {
				return err
			}
		}
	}
	return c.Apply(cluster.Action{Kind: cluster.ActStabilize, Ms: limitMs})
}

// staticLeaderSkipped: the group's leader is a consumer that was told to
// skip the assignment when it last joined.
func staticLeaderSkipped(c *cluster.Cluster) bool {
	leader := c.Snapshot().Group.Leader
	for _, name := range c.Names() {
		if cons, ok := c.Classic(name); ok && cons.View().MemberID == leader {
			return cons.SkippedAssignment()
		}
	}
	return false
}

// shape is a consumer's configuration without its name (an instance id made
// from the name counts as the same).
func shape(cfg consumer.Config) string {
	cfg.InstanceID = strings.ReplaceAll(cfg.InstanceID, cfg.Name, "*")
	cfg.Name, cfg.Address = "", ""
	return string(consumer.AppendConfig(nil, cfg))
}
