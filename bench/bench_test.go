package bench

import (
	"os"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// shapeCache keeps the last shape built: the large ones take seconds to build
// and hundreds of megabytes to hold, so only one lives at a time.
var shapeCache Shape

func cachedShape(name string) Shape {
	if shapeCache.Name != name {
		shapeCache = Shape{}
		shapeCache = ShapeByName(name)
	}
	return shapeCache
}

// skipped reports why an assignor does not run on a shape: sarama's sticky
// strategy takes tens of seconds and gigabytes per run on the 40 000-partition
// "small" shape and grows with partitions times members, so the
// million-partition shapes run it only when KGROUP_BENCH_SARAMA_LARGE=1.
func skipped(impl, shape string) string {
	if strings.HasPrefix(impl, "sarama") && strings.HasPrefix(shape, "kafka-large") && os.Getenv("KGROUP_BENCH_SARAMA_LARGE") != "1" {
		return "sarama on a million partitions: set KGROUP_BENCH_SARAMA_LARGE=1 to run it"
	}
	return ""
}

// BenchmarkWire is the like-for-like comparison with franz-go: the same
// JoinGroup member metadata bytes in, SyncGroup assignment bytes out, through
// the kgo.GroupBalancer interface (WireImpls): BenchmarkWire/<layout>/<fresh|existing>/<balancer>.
func BenchmarkWire(b *testing.B) { benchImpls(b, WireImpls()) }

// BenchmarkAssign times every assignor on every shape, in one run, kgroup
// from decoded members: BenchmarkAssign/<layout>/<fresh|existing>/<assignor>.
func BenchmarkAssign(b *testing.B) { benchImpls(b, Impls()) }

// benchImpls times each impl on every shape. Besides time and allocations
// it reports the plan's quality: "moves" (partitions that left a member that
// still exists and owned them) and "spread" (largest minus smallest load;
// cooperative assignors withhold moving partitions in this first round, so
// their spread may be larger until the follow-up round).
func benchImpls(b *testing.B, impls []Impl) {
	for _, name := range ShapeNames() {
		for _, impl := range impls {
			b.Run(name+"/"+impl.Name, func(b *testing.B) {
				if why := skipped(impl.Name, name); why != "" {
					b.Skip(why)
				}
				shape := cachedShape(name)
				in := impl.Prepare(shape)
				b.ReportAllocs()
				var out any
				var err error
				for b.Loop() {
					if out, err = impl.Run(in); err != nil {
						b.Fatal(err)
					}
				}
				q := shape.Measure(impl.Plan(out))
				b.ReportMetric(float64(q.Moves), "moves")
				b.ReportMetric(float64(q.Spread), "spread")
			})
		}
	}
}

// BenchmarkPlanFloor measures what only materialising kgroup's sticky answer
// for each shape costs in the output type every assignor of the decoded-input
// comparison (BenchmarkAssign) returns (a map per member from topic to
// partitions): one backing array for the partition numbers and one map per
// member, sized exactly. No assignor returning this answer can allocate less
// or, on this machine, run much faster than this:
// BenchmarkPlanFloor/<layout>/<fresh|existing>/kgroup-sticky.
func BenchmarkPlanFloor(b *testing.B) {
	for _, name := range ShapeNames() {
		b.Run(name+"/kgroup-sticky", func(b *testing.B) {
			shape := cachedShape(name)
			plan, err := assignors.Sticky{}.Assign(shape.Topics, shape.Members)
			if err != nil {
				b.Fatal(err)
			}
			type run struct {
				topic string
				n     int
			}
			ids := spec.SortedKeys(plan)
			runs := make([][]run, len(ids))
			total := 0
			for i, id := range ids {
				for _, t := range spec.SortedKeys(plan[id]) {
					runs[i] = append(runs[i], run{t, len(plan[id][t])})
					total += len(plan[id][t])
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				numbers := make([]int32, total)
				out := make(assignors.Plan, len(ids))
				at := 0
				for i, id := range ids {
					a := make(spec.Assignment, len(runs[i]))
					for _, r := range runs[i] {
						a[r.topic] = numbers[at : at+r.n : at+r.n]
						at += r.n
					}
					out[id] = a
				}
			}
		})
	}
}
