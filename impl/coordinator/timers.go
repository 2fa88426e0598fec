package coordinator

import "container/heap"

// timerKind says what a timer does when it fires.
type timerKind uint8

const (
	timerSession        timerKind = iota // a member's session (or new-member join) expired
	timerPendingSession                  // a KIP-394 pending member never came back
	timerJoin                            // the join phase's rebalance timeout or initial delay
	timerSync                            // members did not sync in time
	timerCGSession                       // a consumer group member's session expired
	timerCGRebalance                     // a consumer group member did not revoke in time
)

// timer is one deadline, embedded in the member or group it belongs to.
// Disarmed timers have at == disarmed.
//
// Timers fire in the order (deadline, arming order): of two timers due at
// the same instant, the one armed (or re-armed) first fires first, as in
// Kafka's timing wheel, where rescheduling a task cancels it and appends it
// anew. seq is that arming order.
//
// Rescheduling later is lazy so that a heartbeat, which pushes a session
// deadline later, costs O(1) and no allocation: the heap keeps the entry
// under its old key (queued, qseq) and, when it surfaces, re-queues it under
// its real one (at, seq). An entry is therefore either exact (queued == at,
// qseq == seq) or stale with queued < at, which is what makes the heap's
// order the firing order: a stale entry surfaces before any exact entry
// whose key exceeds its old one. Rescheduling to the same or an earlier
// deadline fixes the heap at once.
type timer struct {
	at     int64  // the real deadline
	seq    uint64 // arming order of the real deadline
	queued int64  // the deadline under which it sits in the heap
	qseq   uint64 // the arming order under which it sits in the heap
	index  int    // position in the heap, -1 when not queued
	kind   timerKind
	group  *group
	member *member
	pendID string // the pending member, for timerPendingSession
	gen    int32  // the generation armed for, for timerSync
	// cgroup and cmember are the consumer group and member of the
	// consumer group timers.
	cgroup  *cgroup
	cmember *cmember
}

const disarmed = -1

func newTimer(kind timerKind, g *group, m *member) timer {
	return timer{at: disarmed, index: -1, kind: kind, group: g, member: m}
}

func newCGTimer(kind timerKind, g *cgroup, m *cmember) timer {
	return timer{at: disarmed, index: -1, kind: kind, cgroup: g, cmember: m}
}

// timerQueue orders timers by (deadline, arming order), so firing order is a
// function of the inputs alone.
type timerQueue struct {
	h   timerHeap
	seq uint64
}

func (q *timerQueue) arm(t *timer, at int64) {
	q.seq++
	t.at, t.seq = at, q.seq
	switch {
	case t.index < 0:
		t.queued, t.qseq = at, t.seq
		heap.Push(&q.h, t)
	case at <= t.queued:
		t.queued, t.qseq = at, t.seq
		heap.Fix(&q.h, t.index)
	}
}

func (q *timerQueue) disarm(t *timer) { t.at = disarmed }

// next returns the earliest real deadline, dropping disarmed entries and
// re-queueing stale ones on the way.
func (q *timerQueue) next() (int64, bool) {
	for len(q.h) > 0 {
		t := q.h[0]
		switch {
		case t.at == disarmed:
			heap.Pop(&q.h)
		case t.at > t.queued:
			t.queued, t.qseq = t.at, t.seq
			heap.Fix(&q.h, 0)
		default:
			return t.at, true
		}
	}
	return 0, false
}

// popDue removes the earliest timer due at or before now and returns it with
// its deadline, or nil. The returned timer is disarmed; firing it may arm it
// again.
func (q *timerQueue) popDue(now int64) (*timer, int64) {
	at, ok := q.next()
	if !ok || at > now {
		return nil, 0
	}
	t := heap.Pop(&q.h).(*timer)
	t.at = disarmed
	return t, at
}

type timerHeap []*timer

func heapInit(h *timerHeap) { heap.Init(h) }

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].queued != h[j].queued {
		return h[i].queued < h[j].queued
	}
	return h[i].qseq < h[j].qseq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
