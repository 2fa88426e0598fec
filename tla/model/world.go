package model

import "slices"

// world is one successor being built from a State: the TLA+ primed
// variables. Its State shares every slice with the original until a
// setter replaces it (copy on write), so a step costs what it changes.
type world struct {
	p  *Params
	s  State
	ch *chooser
	// dead: a guard failed on this branch; it yields no successor.
	dead bool
	// Copy-on-write marks for the top-level slices.
	cCopied, upCopied, downCopied, membersCopied bool
	// backoff[c]: consumer c set retry.backoff.ms in this step, so that
	// whatever waits for it cannot happen in this step.
	backoff uint64
	// failed[c]: consumer c hit a fatal error in this step.
	failed uint64
	// grants are the coordinator's successful answers in this step, for
	// rule 2 (checked against the group as the step leaves it).
	grants []grant
	// memo holds this step's choices: time does not move within a step, so
	// each kind of choice (has the backoff passed? is auto-commit due?) is
	// made once, where the step first asks (-1: not yet).
	memo [numChoices]int8
	// acDone: the auto-commit timer fired or restarted in this step;
	// revNew: the revocation was started in this step (its deadline is ahead).
	acDone, revNew bool
}

// The kinds of choice a step makes (ClassicGroup.tla's Choice record).
const (
	chBackoff     = iota // retry.backoff.ms set before this step is still running
	chAutoCommit         // auto.commit.interval.ms has passed
	chRevDeadline        // the waiting revocation's deadline has passed
	chExpire             // a request in flight timed out
	chHeartbeat          // which branch of the heartbeat thread is due (0-3)
	chRefresh            // metadata.max.age.ms has passed
	chEqual              // the protocols' user data is unchanged
	chPlan               // the assignor's plan
	numChoices
)

// choice makes (once per step) the choice of kind k among n alternatives.
func (w *world) choice(k, n int) int {
	if w.memo[k] < 0 {
		w.memo[k] = int8(w.ch.pick(n))
	}
	return int(w.memo[k])
}

func (w *world) guard(ok bool) {
	if !ok {
		w.dead = true
	}
}

// con returns consumer c (a copy to modify and put back with setCon).
func (w *world) con(c int) Consumer { return w.s.C[c] }

func (w *world) setCon(c int, x Consumer) {
	if !w.cCopied {
		w.s.C = slices.Clone(w.s.C)
		w.cCopied = true
	}
	w.s.C[c] = x
}

func (w *world) members() []Member {
	if !w.membersCopied {
		w.s.G.Members = slices.Clone(w.s.G.Members)
		w.membersCopied = true
	}
	return w.s.G.Members
}

// setMembers replaces the member list with a new slice the world owns.
func (w *world) setMembers(ms []Member) {
	w.s.G.Members = ms
	w.membersCopied = true
}

func (w *world) memberIndex(id ID) int {
	if id.None() {
		return -1
	}
	return slices.IndexFunc(w.s.G.Members, func(m Member) bool { return m.ID == id })
}

// pushUp puts r on consumer c's link to the coordinator: its current
// process's link, opened if it has none.
func (w *world) pushUp(c int, r Req) {
	if !w.upCopied {
		w.s.Up = slices.Clone(w.s.Up)
		w.upCopied = true
	}
	links := slices.Clone(w.s.Up[c])
	x := w.con(c)
	if x.Cur && len(links) > 0 {
		last := len(links) - 1
		links[last] = append(slices.Clip(links[last]), r)
	} else {
		links = append(links, []Req{r})
		x.Cur = true
		w.setCon(c, x)
	}
	w.s.Up[c] = links
}

// popUp takes the oldest request of consumer c's i-th link; an emptied
// link is forgotten.
func (w *world) popUp(c, i int) Req {
	if !w.upCopied {
		w.s.Up = slices.Clone(w.s.Up)
		w.upCopied = true
	}
	links := slices.Clone(w.s.Up[c])
	r := links[i][0]
	if len(links[i]) == 1 {
		links = slices.Delete(links, i, i+1)
		if i == len(links) {
			if x := w.con(c); x.Cur {
				x.Cur = false
				w.setCon(c, x)
			}
		}
	} else {
		links[i] = links[i][1:]
	}
	w.s.Up[c] = links
	return r
}

func (w *world) setDown(c int, rs []Resp) {
	if !w.downCopied {
		w.s.Down = slices.Clone(w.s.Down)
		w.downCopied = true
	}
	w.s.Down[c] = rs
}

// pushDown puts an awaited answer on consumer c's link.
func (w *world) pushDown(c int, r Resp) {
	w.setDown(c, append(slices.Clip(w.s.Down[c]), r))
}

// mapUp rewrites every request of consumer c still in flight.
func (w *world) mapUp(c int, f func(Req) Req) {
	var links [][]Req
	changed := false
	for _, l := range w.s.Up[c] {
		var nl []Req
		for i, r := range l {
			if nr := f(r); !reqSame(nr, r) {
				if nl == nil {
					nl = slices.Clone(l)
				}
				nl[i] = nr
			}
		}
		if nl == nil {
			nl = l
		} else {
			changed = true
		}
		links = append(links, nl)
	}
	if !changed {
		return
	}
	if !w.upCopied {
		w.s.Up = slices.Clone(w.s.Up)
		w.upCopied = true
	}
	w.s.Up[c] = links
}

func reqSame(a, b Req) bool { return a.D == b.D }

// mapParked rewrites every parked request of the group.
func (w *world) mapParked(f func(Parked) Parked) {
	for i, m := range w.s.G.Members {
		j, s := f(m.Join), f(m.Sync)
		if j != m.Join || s != m.Sync {
			ms := w.members()
			ms[i].Join, ms[i].Sync = j, s
		}
	}
}

func (w *world) spend(ok bool, budget int, spent *uint8) {
	if w.p.Unbounded {
		return
	}
	w.guard(ok || int(*spent) < budget)
	if !ok {
		*spent++
	}
}

// spendTimeout lets a timer fire: free when a fault forces it, else from
// the Timeouts budget.
func (w *world) spendTimeout(free bool) {
	w.spend(free, w.p.Timeouts, &w.s.Ghost.Spent.Timeouts)
}

func bit(c int) uint64 { return 1 << uint(c) }
