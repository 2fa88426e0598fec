package linearizability

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// syntheticHistory is n operations of 20 clients on 100 partitions, each
// client's one at a time, overlapping other clients': commits and fetches
// on a real register, so the history is legal, and syncs; the group goes
// through 20 generations, and each operation uses the current one.
func syntheticHistory(n int, seed uint64) []Op {
	r := rand.New(rand.NewPCG(seed, 0))
	const clients, partitions = 20, 100
	committed := make([]int64, partitions)
	for i := range committed {
		committed[i] = -1
	}
	busyUntil := make([]int64, clients)
	ops := make([]Op, 0, n)
	for t := int64(1); len(ops) < n; t++ {
		c := r.IntN(clients)
		if busyUntil[c] >= t {
			continue
		}
		// The operation takes effect at t; it was called up to 5 ticks
		// before (but after the client's last one returned) and returns up
		// to 5 ticks after.
		call := max(busyUntil[c]+1, t-int64(r.IntN(5)))
		ret := t + int64(r.IntN(5))
		busyUntil[c] = ret
		tp := spec.TopicPartition{Topic: "t", Partition: int32(r.IntN(partitions))}
		gen := int32(1 + len(ops)*20/n)
		op := Op{V: Version, Client: "c" + strconv.Itoa(c), Call: call, Return: &ret, Input: Input{Group: "g"}}
		switch r.IntN(10) {
		case 0:
			op.Op, op.Input.Generation, op.Input.Member = OpSync, gen, op.Client
			op.Output = &Output{}
		case 1, 2, 3, 4:
			committed[tp.Partition] += int64(1 + r.IntN(10))
			op.Op, op.Input.Generation, op.Input.Member = OpCommit, gen, op.Client
			op.Input.Offsets = []PartitionOffset{{tp, committed[tp.Partition]}}
			op.Output = &Output{Partitions: []PartitionResult{{TopicPartition: tp}}}
		default:
			op.Op, op.Input.Partitions = OpFetch, []spec.TopicPartition{tp}
			op.Output = &Output{Partitions: []PartitionResult{{TopicPartition: tp, Offset: committed[tp.Partition]}}}
		}
		ops = append(ops, op)
	}
	return ops
}

func TestSyntheticHistoryIsLegal(t *testing.T) {
	h := syntheticHistory(2000, 1)
	if res := Check(h, Options{}); res.Verdict != Ok {
		t.Fatalf("%+v", res)
	}
	// One stale answer makes it illegal.
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Op == OpFetch && h[i].Output.Partitions[0].Offset > 0 {
			h[i].Output.Partitions[0].Offset--
			break
		}
	}
	if res := Check(h, Options{}); res.Verdict != Illegal {
		t.Fatalf("a stale fetch went unnoticed: %+v", res)
	}
}

// BenchmarkCheck is the check of histories of 1,000 to 100,000 operations of
// 20 clients over 100 partitions.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		h := syntheticHistory(n, 7)
		b.Run("ops="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if res := Check(h, Options{}); res.Verdict != Ok {
					b.Fatal(res)
				}
			}
		})
	}
}
