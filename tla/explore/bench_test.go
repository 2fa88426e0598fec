package explore

import (
	"testing"

	"github.com/kgroup/kgroup/impl/cluster"
)

// stableCluster is the scenario's cluster after its setup.
func stableCluster(b *testing.B, sc Scenario) (*cluster.Cluster, Config) {
	sc.Stable = true
	cfg, err := sc.Config()
	if err != nil {
		b.Fatal(err)
	}
	cl, err := cluster.New(cfg.Cluster)
	if err != nil {
		b.Fatal(err)
	}
	cl.DiscardEvents()
	if err := setup(cl, cfg.Setup); err != nil {
		b.Fatal(err)
	}
	return cl, cfg
}

// BenchmarkStep is the cost of one transition of the explorer on a Stable
// group of two: clone, apply the first enabled action, fingerprint.
func BenchmarkStep(b *testing.B) {
	cl, cfg := stableCluster(b, Scenario{Consumers: 2, Partitions: 2, Network: "fifo", Perturbations: 1, Restart: true})
	acts := cl.Enabled(cfg.Bounds)
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c := cl.Clone()
		if err := c.Apply(acts[i%len(acts)]); err != nil {
			b.Fatal(err)
		}
		_, buf = fingerprintOf(c, buf)
	}
}

func BenchmarkClone(b *testing.B) {
	cl, _ := stableCluster(b, Scenario{Consumers: 2, Partitions: 2, Network: "fifo"})
	b.ReportAllocs()
	for range b.N {
		cl.Clone()
	}
}

func BenchmarkFingerprint(b *testing.B) {
	cl, _ := stableCluster(b, Scenario{Consumers: 2, Partitions: 2, Network: "fifo"})
	var buf []byte
	b.ReportAllocs()
	for range b.N {
		_, buf = fingerprintOf(cl, buf)
	}
}
