package coordinator

import "container/heap"

// timerKind says what a timer does when it fires.
type timerKind uint8

const (
	timerSession        timerKind = iota // a member's session (or new-member join) expired
	timerPendingSession                  // a KIP-394 pending member never came back
	timerJoin                            // the join phase's rebalance timeout or initial delay
	timerSync                            // members did not sync in time
)

// timer is one deadline, embedded in the member or group it belongs to.
// Disarmed timers have at == disarmed.
//
// Rescheduling is lazy so that a heartbeat, which pushes a session deadline
// later, costs O(1) and no allocation: the heap keeps the entry at its old
// deadline (queued) and, when it surfaces, re-queues it at the real one (at).
// Moving a deadline earlier fixes the heap at once.
type timer struct {
	at     int64 // the real deadline
	queued int64 // the deadline under which it sits in the heap
	seq    uint64
	index  int // position in the heap, -1 when not queued
	kind   timerKind
	group  *group
	member *member
	pendID string // the pending member, for timerPendingSession
	gen    int32  // the generation armed for, for timerSync
}

const disarmed = -1

func newTimer(kind timerKind, g *group, m *member) timer {
	return timer{at: disarmed, index: -1, kind: kind, group: g, member: m}
}

// timerQueue orders timers by (deadline, arming order): equal deadlines fire
// in the order they were armed, so firing order is a function of the inputs.
type timerQueue struct {
	h   timerHeap
	seq uint64
}

func (q *timerQueue) arm(t *timer, at int64) {
	t.at = at
	switch {
	case t.index < 0:
		q.seq++
		t.queued, t.seq = at, q.seq
		heap.Push(&q.h, t)
	case at < t.queued:
		q.seq++
		t.queued, t.seq = at, q.seq
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
			q.seq++
			t.queued, t.seq = t.at, q.seq
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

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].queued != h[j].queued {
		return h[i].queued < h[j].queued
	}
	return h[i].seq < h[j].seq
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
