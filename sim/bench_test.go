package sim

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The speed targets, as benchmarks (go test ./sim -run '^$' -bench Sim
// -benchmem -benchtime 1x): an hour of 200 consumers on 2,000 partitions
// and of 1,000 on 10,000 (steady load, one crash, one scale-out), 100
// seeds of example 1, and how the cost grows with consumers, partitions
// and simulated time.

// hour is an hour of a group of n consumers on p partitions.
func hour(n, p int, minutes int) string {
	return fmt.Sprintf(`cluster topics=events:%d
start c1..c%d
run 10s
produce events 100/s
run %dm
kill c7
run %dm
start c%d
run %dm
`, p, n, minutes/3, minutes/3, n+1, minutes/3)
}

func benchScenario(b *testing.B, name, text string) {
	sc, err := Parse(name, strings.NewReader(text))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := Run(sc, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if out.Failed() {
			b.Fatalf("%+v", out.Asserts)
		}
	}
}

func BenchmarkSim200x2000x1h(b *testing.B)   { benchScenario(b, "200x2000", hour(200, 2000, 60)) }
func BenchmarkSim1000x10000x1h(b *testing.B) { benchScenario(b, "1000x10000", hour(1000, 10000, 60)) }

func BenchmarkSimExample1Seeds100(b *testing.B) {
	text, err := os.ReadFile("examples/01_scale_out.txt")
	if err != nil {
		b.Fatal(err)
	}
	benchScenario(b, "example 1 × 100 seeds", "repeat 100\n"+string(text))
}

// BenchmarkSimGrowth: cost against consumers (10 partitions each) over 10
// simulated minutes, and against simulated time for 200 × 2,000.
func BenchmarkSimGrowth(b *testing.B) {
	for _, n := range []int{50, 100, 200, 400} {
		b.Run(fmt.Sprintf("consumers=%d/partitions=%d/10m", n, 10*n), func(b *testing.B) { benchScenario(b, "growth", hour(n, 10*n, 10)) })
	}
	for _, p := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("consumers=200/partitions=%d/10m", p), func(b *testing.B) { benchScenario(b, "growth", hour(200, p, 10)) })
	}
	for _, m := range []int{15, 30} {
		b.Run(fmt.Sprintf("consumers=200/partitions=2000/%dm", m), func(b *testing.B) { benchScenario(b, "growth", hour(200, 2000, m)) })
	}
}
