package sim

import (
	"math"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// The workload and what the group makes of it, per partition: records
// produced (a rate per partition, changed by produce lines), the highest
// record processed, who holds it, and which of four states it is in —
// progressing, unowned, in a rebalance, or held by an owner that does not
// progress it — with the time spent in each. Records are never stepped: a
// partition's production is a linear function of time between rate changes,
// and lag is produced minus processed.

// pstate is what a partition is doing.
type pstate uint8

const (
	stProgress  pstate = iota // an owner is consuming it
	stUnowned                 // nobody consumes it and no rebalance is under way (a dead owner)
	stRebalance               // it waits for a rebalance: revoked, not yet assigned, or assigned but not yet fetching
	stStalled                 // its owner holds it but does not consume it: paused, frozen, cut off
	numStates
)

var stateNames = [numStates]string{"progress", "unowned", "rebalance", "stalled"}

// part is one partition.
type part struct {
	idx     int32
	tp      spec.TopicPartition
	exists  bool
	rate    float64 // records per ms
	t0      int64   // produced(t) = p0 + rate*(t - t0)
	p0      float64
	doneMax int64 // every record below it was processed at least once
	live    int   // owners consuming it as records arrive (see proc.live)
	holder  *proc // the owner it was last assigned to, while that one owns it
	last    *proc // the last holder, even after it died: for "moved"
	revoked bool  // given up in a rebalance; waits for a new owner
	// accounting (from the group's first Stable, or the partition's creation)
	counting bool
	state    pstate
	since    int64
	acc      [numStates]int64
	stretch  int64 // start of the current stretch of not progressing
	longest  int64
	dups     int64
	lagPeak  float64
	segs     []seg
	lastRb   int // the last rebalance in which it stopped progressing
	// createdLate: it appeared after the group formed
	createdLate bool
	cause       string
}

// seg is one stretch of a partition's Gantt row: from At on, held by Owner
// (an index into the report's consumer list, -1 for nobody) in State.
type seg struct {
	At    int64
	Owner int32
	State pstate
}

// maxSegs bounds a partition's Gantt row; later changes are dropped (and
// the report says so).
const maxSegs = 4096

func (p *part) produced(t int64) float64 { return p.p0 + p.rate*float64(t-p.t0) }

// producedAt is the number of whole records produced by t.
func (p *part) producedAt(t int64) int64 { return int64(math.Floor(p.produced(t) + 1e-9)) }

// linear is a sum of linear functions of time: base + rate*(t - t0).
type linear struct {
	base, rate float64
	t0         int64
}

func (l *linear) at(t int64) float64 { return l.base + l.rate*float64(t-l.t0) }
func (l *linear) add(t int64, value, rate float64) {
	l.base, l.t0 = l.at(t)+value, t
	l.rate += rate
}

// workload holds every partition and the sums the lag curve needs.
type workload struct {
	parts []*part
	index map[spec.TopicPartition]int32
	// produced over all partitions; produced over the partitions consumed
	// as records arrive (their lag is 0); processed over the others.
	all, liveSum linear
	doneOther    float64
	rebalancing  bool  // the group is in PreparingRebalance or CompletingRebalance
	stableOnce   bool  // the group has been Stable: accounting runs
	notProg      int   // partitions counting and not progressing
	npArea       int64 // partition-ms not progressing, up to npAt
	npAt         int64
	series       *series
	curRb        *Rebalance // the rebalance under way, if any
	topicRate    map[string]float64
}

func (w *workload) has(tp spec.TopicPartition) bool {
	i, ok := w.index[tp]
	return ok && w.parts[i].exists
}

// syncTopics follows the cluster's metadata after a topic change: new
// partitions get their topic's rate; deleted ones stop counting.
func (w *workload) syncTopics(e *engine) {
	topics := e.cl.Topics()
	now := e.now()
	for _, t := range spec.SortedKeys(topics) {
		for i := range topics[t] {
			tp := spec.TopicPartition{Topic: t, Partition: i}
			if !w.has(tp) {
				p := w.ensure(tp, now)
				w.setRate(p, w.topicRate[t], now)
			}
		}
	}
	for _, p := range w.parts {
		if n, ok := topics[p.tp.Topic]; p.exists && (!ok || p.tp.Partition >= n) {
			w.setRate(p, 0, now)
			w.reclass(p, now)
			w.account(p, now)
			if p.state != stProgress {
				w.notProg--
			}
			p.exists, p.counting = false, false
		}
	}
}

// countExisting is the number of partitions that exist now.
func (w *workload) countExisting() int {
	n := 0
	for _, p := range w.parts {
		if p.exists {
			n++
		}
	}
	return n
}

func newWorkload() *workload { return &workload{index: map[spec.TopicPartition]int32{}} }

// ensure makes a partition's entry (topics created, partitions added).
func (w *workload) ensure(tp spec.TopicPartition, now int64) *part {
	if i, ok := w.index[tp]; ok {
		p := w.parts[i]
		if !p.exists {
			p.exists = true
			w.startCounting(p, now)
		}
		return p
	}
	p := &part{idx: int32(len(w.parts)), tp: tp, exists: true, t0: now, since: now, lastRb: -1, createdLate: w.stableOnce}
	w.index[tp] = p.idx
	w.parts = append(w.parts, p)
	w.startCounting(p, now)
	return p
}

// startCounting starts p's accounting: for a partition that existed when
// the group formed, once it first progresses (the formation itself is not
// a cost); for one created later, at once (waiting for a first owner is).
func (w *workload) startCounting(p *part, now int64) {
	if !w.stableOnce || p.counting {
		return
	}
	if p.createdLate || w.classify(p, now) == stProgress {
		p.counting, p.since, p.stretch = true, now, -1
		p.state = stProgress
		w.reclass(p, now)
	}
}

// lag is the total of records produced and not yet processed at t.
func (w *workload) lag(t int64) float64 {
	return math.Max(0, w.all.at(t)-w.liveSum.at(t)-w.doneOther)
}

// processed is the total of records processed at least once by t.
func (w *workload) processed(t int64) float64 { return w.liveSum.at(t) + w.doneOther }

// setRate changes a partition's production rate (records per ms) at t.
func (w *workload) setRate(p *part, rate float64, t int64) {
	p.p0, p.t0 = p.produced(t), t
	w.all.add(t, 0, rate-p.rate)
	if p.live > 0 {
		w.liveSum.add(t, 0, rate-p.rate)
	}
	p.rate = rate
}

// done records that [from, to) of p was processed at t (dups are what was
// processed before).
func (w *workload) done(p *part, from, to, t int64) (dups int64) {
	if to <= from {
		return 0
	}
	if d := min(to, p.doneMax) - from; d > 0 {
		p.dups += d
		dups = d
	}
	if to > p.doneMax {
		if p.live == 0 {
			w.notePeak(p, t)
			w.doneOther += float64(to - p.doneMax)
		}
		p.doneMax = to
	}
	return dups
}

// notePeak records the lag just before it drops.
func (w *workload) notePeak(p *part, t int64) {
	if l := p.produced(t) - float64(p.doneMax); l > p.lagPeak {
		p.lagPeak = l
	}
	if w.series != nil {
		w.series.peak(t, w.lag(t))
	}
}

// setLive counts one more (or one fewer) owner consuming p as records
// arrive; the caller has brought doneMax up to what was produced.
func (w *workload) setLive(p *part, delta int, t int64) {
	was := p.live > 0
	p.live += delta
	switch now := p.live > 0; {
	case now && !was:
		w.notePeak(p, t)
		w.doneOther -= float64(p.doneMax)
		w.liveSum.add(t, p.produced(t), p.rate)
	case !now && was:
		// what it processed was handed over (materialized) already;
		// records since are not processed
		w.liveSum.add(t, -p.produced(t), -p.rate)
		w.doneOther += float64(p.doneMax)
	}
}

// reclass puts p in the state its situation calls for.
func (w *workload) reclass(p *part, now int64) {
	if !p.counting {
		w.startCounting(p, now)
		return
	}
	s := w.classify(p, now)
	if s == p.state && len(p.segs) > 0 && p.segs[len(p.segs)-1].Owner == ownerIdx(p.holder) {
		return
	}
	w.account(p, now)
	if (p.state == stProgress) != (s == stProgress) {
		if s == stProgress {
			w.notProg--
			p.longest = max(p.longest, now-p.stretch)
			p.stretch = -1
		} else {
			w.notProg++
			p.stretch = now
			if r := w.curRb; r != nil && p.lastRb != r.N {
				r.Paused++
				p.lastRb = r.N
			}
		}
	}
	p.state = s
	if len(p.segs) < maxSegs {
		p.segs = append(p.segs, seg{At: now, Owner: ownerIdx(p.holder), State: s})
	}
}

func ownerIdx(h *proc) int32 {
	if h == nil {
		return -1
	}
	return int32(h.idx)
}

// account adds the time since the last change to p's current state.
func (w *workload) account(p *part, now int64) {
	w.area(now)
	p.acc[p.state] += now - p.since
	p.since = now
}

// area brings the integral of partitions not progressing up to now.
func (w *workload) area(now int64) {
	w.npArea += int64(w.notProg) * (now - w.npAt)
	w.npAt = now
}

func (w *workload) classify(p *part, now int64) pstate {
	h := p.holder
	if !p.exists {
		return stProgress
	}
	if h == nil {
		if p.revoked || w.rebalancing {
			return stRebalance
		}
		return stUnowned
	}
	o := h.own(p.idx)
	switch {
	case o == nil || o.pos < 0 || now < o.startAt || h.cb == cbAssigning:
		return stRebalance
	case o.paused || h.frozen || h.cut:
		return stStalled
	case h.cb == cbRevoking:
		return stRebalance
	}
	return stProgress
}

// groupState follows the coordinator's state of the group.
//
// A KIP-848 consumer group's detail is its state and target epoch
// ("Reconciling target-epoch=3"); Assigning and Reconciling count as a
// rebalance under way.
func (w *workload) groupState(e *engine, detail string) {
	detail, _, _ = strings.Cut(detail, " target-epoch=")
	reb := detail == spec.PreparingRebalance.String() || detail == spec.CompletingRebalance.String() ||
		detail == spec.CGAssigning.String() || detail == spec.CGReconciling.String()
	first := detail == spec.Stable.String() && !w.stableOnce
	if reb == w.rebalancing && !first {
		return
	}
	w.rebalancing = reb
	if first {
		w.stableOnce = true
		w.npAt = e.now()
	}
	for _, p := range w.parts {
		if first {
			w.startCounting(p, e.now())
		} else if p.holder == nil {
			w.reclass(p, e.now())
		}
	}
}

// before is called before time moves on to t: partitions whose owner's
// first fetch completes on the way start progressing at their own time.
func (w *workload) before(e *engine, t int64) {
	if w.series != nil {
		w.series.sample(e, t)
	}
}

// finish closes the accounting at the end of a run.
func (w *workload) finish(now int64) {
	for _, p := range w.parts {
		if !p.counting {
			continue
		}
		w.account(p, now)
		if p.stretch >= 0 {
			p.longest = max(p.longest, now-p.stretch)
		}
		if l := p.produced(now) - float64(p.doneMax); p.live == 0 && l > p.lagPeak {
			p.lagPeak = l
		}
	}
	w.area(now)
}
