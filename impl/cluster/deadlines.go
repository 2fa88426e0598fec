package cluster

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// deadlineIndex finds the consumers' next timers in a heap (SetLean) rather
// than by asking every consumer: with a thousand consumers, most of a long
// run's cost was that scan. A consumer's deadline changes only when it takes
// a step, starts, crashes, freezes or thaws; touched records the new one.
// Entries are invalidated lazily: each node's latest entry carries its
// current version, older ones are dropped when they surface.
type deadlineIndex struct {
	h    deadlineHeap
	last map[string]deadlineEntry // each node's current entry (ver 0: none)
	ver  uint64
}

type deadlineEntry struct {
	at   int64
	name string
	ver  uint64
}

func newDeadlineIndex() *deadlineIndex {
	return &deadlineIndex{last: map[string]deadlineEntry{}}
}

// touched records n's current deadline, if the index is on.
func (cl *Cluster) touched(n *node) {
	x := cl.lean.idx
	if x == nil {
		return
	}
	at, ok := cl.deadlineOf(n)
	cur := x.last[n.name]
	if (cur.ver != 0) == ok && (!ok || cur.at == at) {
		return
	}
	if !ok {
		delete(x.last, n.name)
		return
	}
	x.ver++
	e := deadlineEntry{at: at, name: n.name, ver: x.ver}
	x.last[n.name] = e
	heap.Push(&x.h, e)
}

func (x *deadlineIndex) valid(e deadlineEntry) bool { return x.last[e.name].ver == e.ver }

// next is the earliest consumer deadline.
func (x *deadlineIndex) next() (int64, bool) {
	for len(x.h) > 0 {
		if e := x.h[0]; x.valid(e) {
			return e.at, true
		}
		heap.Pop(&x.h)
	}
	return 0, false
}

// dueBy lists, sorted, the consumers whose deadline is at or before t.
func (x *deadlineIndex) dueBy(t int64) []string {
	var out []string
	var walk func(i int)
	walk = func(i int) {
		if i >= len(x.h) || x.h[i].at > t {
			return
		}
		if x.valid(x.h[i]) {
			out = append(out, x.h[i].name)
		}
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	slices.Sort(out)
	return out
}

// deadlineHeap orders entries by deadline, then name.
type deadlineHeap []deadlineEntry

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].name < h[j].name
}
func (h deadlineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)   { *h = append(*h, x.(deadlineEntry)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// deliverableOn is deliverable for a link: its oldest message, if its
// recipient is not frozen. (Deliverable builds the whole list; a driver
// that delivers message by message, like the simulator, asks this for
// every one of thousands in flight.)
func (cl *Cluster) deliverableOn(l string) (Flight, error) {
	from, to, _ := strings.Cut(l, "->")
	if q := cl.net.links[linkKey{from, to}]; len(q) > 0 {
		i, _ := cl.net.find(q[0])
		f := cl.net.flight[i]
		if n := cl.nodeAt(f.Msg.To); n == nil || !n.frozen || n.crashed {
			return f, nil
		}
	}
	return Flight{}, fmt.Errorf("nothing deliverable on link %s", l)
}

// isDue reports whether fire may act on name: its timer is due at the next
// deadline. With the index, only that node is looked at.
func (cl *Cluster) isDue(name string) bool {
	if cl.lean.idx == nil {
		return slices.Contains(cl.dueNodes(), name)
	}
	next, ok := cl.NextDeadline()
	if !ok {
		return false
	}
	if name == spec.CoordinatorNode {
		at, armed := cl.coord.NextDeadline()
		return armed && max(at, cl.now) == next
	}
	n, found := cl.nodes[name]
	if !found {
		return false
	}
	at, armed := cl.deadlineOf(n)
	return armed && max(at, cl.now) == next
}
