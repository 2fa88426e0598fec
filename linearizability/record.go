package linearizability

import (
	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/spec"
)

// Recorder writes the history of a kgroup cluster's run: each commit, fetch
// and sync is called when its request is put on the wire and returns when
// its answer reaches the client, so that messages delayed, reordered or
// lost make operations overlap or never return. Times are the positions of
// those events in the run, which order them exactly even within one
// millisecond.
type Recorder struct {
	ops     []Op
	pending map[pendingKey]int // requests not answered yet -> their op
	clock   int64
}

type pendingKey struct {
	client string
	corr   int32
}

// Record starts recording cl's run from now on.
func Record(cl *cluster.Cluster) *Recorder {
	r := &Recorder{pending: map[pendingKey]int{}}
	cl.OnEvent(r.event)
	return r
}

// History is what was recorded so far.
func (r *Recorder) History() []Op { return append([]Op(nil), r.ops...) }

func (r *Recorder) event(e spec.Event) {
	r.clock++
	if e.Msg == nil {
		return
	}
	m := *e.Msg
	switch {
	case e.Kind == spec.EvSend && m.To == spec.CoordinatorNode:
		if op, ok := callOf(m, r.clock); ok {
			r.pending[pendingKey{m.From, m.Correlation}] = len(r.ops)
			r.ops = append(r.ops, op)
		}
	case e.Kind == spec.EvDeliver && m.From == spec.CoordinatorNode:
		k := pendingKey{m.To, m.Correlation}
		if i, ok := r.pending[k]; ok {
			delete(r.pending, k)
			ret := r.clock
			r.ops[i].Return, r.ops[i].Output = &ret, outputOf(m.Body)
		}
	}
}

// callOf is the operation a request calls, if it is one of a history's.
func callOf(m spec.Message, at int64) (Op, bool) {
	op := Op{V: Version, Client: m.From, Call: at}
	switch b := m.Body.(type) {
	case *spec.OffsetCommitRequest:
		op.Op, op.Input = OpCommit, Input{Group: b.GroupID, Generation: b.GenerationID, Member: b.MemberID}
		for _, o := range b.Offsets {
			op.Input.Offsets = append(op.Input.Offsets, PartitionOffset{o.TopicPartition, o.Offset})
		}
		return op, len(op.Input.Offsets) > 0
	case *spec.OffsetFetchRequest:
		op.Op, op.Input = OpFetch, Input{Group: b.GroupID, Partitions: append([]spec.TopicPartition(nil), b.Partitions...)}
		return op, len(b.Partitions) > 0 // a fetch of everything names no partition to check
	case *spec.SyncGroupRequest:
		op.Op, op.Input = OpSync, Input{Group: b.GroupID, Generation: b.GenerationID, Member: b.MemberID}
		return op, true
	}
	return Op{}, false
}

func outputOf(body any) *Output {
	out := &Output{}
	switch b := body.(type) {
	case *spec.OffsetCommitResponse:
		for _, p := range b.Partitions {
			out.Partitions = append(out.Partitions, PartitionResult{TopicPartition: p.TopicPartition, Error: p.ErrorCode})
		}
	case *spec.OffsetFetchResponse:
		out.Error = b.ErrorCode
		for _, p := range b.Partitions {
			out.Partitions = append(out.Partitions, PartitionResult{TopicPartition: p.TopicPartition, Offset: p.Offset, Error: p.ErrorCode})
		}
	case *spec.SyncGroupResponse:
		out.Error = b.ErrorCode
	}
	return out
}
