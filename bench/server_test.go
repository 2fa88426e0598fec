package bench

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// serverCache keeps the last server shape built (the largest hold half a
// million partitions, and the incremental ones cost a full assignment to
// build).
var serverCache struct {
	name  string
	shape ServerShape
}

func cachedServerShape(p ServerParams) ServerShape {
	if serverCache.name != p.Name() {
		serverCache.shape = ServerShape{}
		serverCache.shape, serverCache.name = BuildServerShape(p), p.Name()
	}
	return serverCache.shape
}

// kfakeBudget bounds the kfake runs: kfake's assignUniform gives each
// partition nobody keeps to the least loaded subscribed member by scanning
// every member, so a full assignment costs partitions × members map look-ups
// (5·10⁹ at 10 000 members, ratio 50: minutes per run on this machine). A
// shape over the budget (default 3·10⁸, which keeps every full point up to
// m1000 and m5000-r10) is skipped; KGROUP_BENCH_KFAKE_BUDGET sets it (0: no
// limit).
func kfakeBudget() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("KGROUP_BENCH_KFAKE_BUDGET"), 64); err == nil {
		return v
	}
	return 3e8
}

func kfakeSkip(s ServerShape) string {
	scans := float64(s.Partitions()) * float64(len(s.Members))
	if s.Params.Incremental {
		scans = 0 // only the new member's share is dealt
	}
	if b := kfakeBudget(); b > 0 && scans > b {
		return fmt.Sprintf("kfake: a full assignment scans %.2g member-partition pairs, over KGROUP_BENCH_KFAKE_BUDGET=%.2g", scans, b)
	}
	return ""
}

// serverFilter restricts the grid of BenchmarkServerUniform with
// KGROUP_BENCH_SERVER, a regular expression matched against the shape name
// (m<members>-r<ratio>-t<topics>/<subscription>/<assignment>/<rack>): the
// -bench pattern of `go test` cannot skip building the shapes of sub-benchmarks
// whose parents it matches.
func serverFilter(b *testing.B) *regexp.Regexp {
	re, err := regexp.Compile(os.Getenv("KGROUP_BENCH_SERVER"))
	if err != nil {
		b.Fatal(err)
	}
	return re
}

// BenchmarkServerUniform times kgroup's KIP-848 uniform assignor and
// kfake's on every point of Kafka's ServerSideAssignorBenchmark grid, on the
// same input, in one run:
// BenchmarkServerUniform/m<members>-r<ratio>-t<topics>/<subscription>/<full|incremental>/<rack|norack>/<kgroup|kfake>.
// Every plan is checked (CheckServerPlan) outside the timer, kgroup's for
// balance within every subscription, kfake's for balance on homogeneous
// groups (the balance it promises, floor or ceiling of partitions/members);
// "moves" and "spread" are reported.
func BenchmarkServerUniform(b *testing.B) {
	filter := serverFilter(b)
	for _, p := range ServerGrid() {
		if !filter.MatchString(p.Name()) {
			continue
		}
		for _, impl := range ServerImpls() {
			b.Run(p.Name()+"/"+impl.Name, func(b *testing.B) {
				shape := cachedServerShape(p)
				if impl.Name == "kfake" {
					if why := kfakeSkip(shape); why != "" {
						b.Skip(why)
					}
				}
				in := impl.Prepare(shape)
				b.ReportAllocs()
				var out any
				var err error
				for b.Loop() {
					if impl.Reset != nil {
						b.StopTimer()
						impl.Reset(in)
						b.StartTimer()
					}
					if out, err = impl.Run(in); err != nil {
						b.Fatal(err)
					}
				}
				q, err := checkServer(impl, shape, in, out)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(q.Moves), "moves")
				b.ReportMetric(float64(q.Spread), "spread")
			})
		}
	}
}

// checkServer checks one plan: valid for both, balanced (Spread <= 1) for
// kgroup always and for kfake on homogeneous groups.
func checkServer(impl ServerImpl, s ServerShape, in, out any) (ServerQuality, error) {
	q, err := CheckServerPlan(s, impl.Plan(in, out))
	if err != nil {
		return q, fmt.Errorf("%s on %s: %w", impl.Name, s.Params.Name(), err)
	}
	if q.Spread > 1 && (impl.Name == "kgroup" || !s.Params.Heterogeneous) {
		return q, fmt.Errorf("%s on %s: unbalanced, spread %d", impl.Name, s.Params.Name(), q.Spread)
	}
	return q, nil
}

// TestServerSmoke runs both assignors on the grid's smallest points (100
// members, ratio 5, 10 and 100 topics, every subscription, assignment type
// and rack setting) and a few odd ones, and checks every plan. It also
// checks that kgroup's incremental plans move no more partitions than the
// new member's share requires.
func TestServerSmoke(t *testing.T) {
	var points []ServerParams
	for _, p := range ServerGrid() {
		if p.Members == 100 && p.Ratio == 5 && p.Topics <= 100 {
			points = append(points, p)
		}
	}
	points = append(points,
		ServerParams{Members: 100, Ratio: 5, Topics: 1000},                                                 // topics of 0 partitions
		ServerParams{Members: 7, Ratio: 3, Topics: 5, Heterogeneous: true, Incremental: true},              // uneven buckets
		ServerParams{Members: 12, Ratio: 5, Topics: 7, Heterogeneous: true, Incremental: true, Rack: true}, // uneven topics
	)
	for _, p := range points {
		s := BuildServerShape(p)
		for _, impl := range ServerImpls() {
			in := impl.Prepare(s)
			if impl.Reset != nil {
				impl.Reset(in)
			}
			out, err := impl.Run(in)
			if err != nil {
				t.Fatalf("%s on %s: %v", impl.Name, p.Name(), err)
			}
			q, err := checkServer(impl, s, in, out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-45s %-6s spread %d, moves %d", p.Name(), impl.Name, q.Spread, q.Moves)
			if p.Incremental && impl.Name == "kgroup" {
				share := s.Partitions() / p.Members
				if p.Heterogeneous {
					share = s.Partitions() // bounded below, per bucket, by the bucket's share
				}
				if q.Moves > share {
					t.Errorf("kgroup on %s: %d moves, more than the new member's share %d", p.Name(), q.Moves, share)
				}
			}
		}
	}
}
