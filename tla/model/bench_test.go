package model

import (
	"runtime/debug"
	"testing"
)

// BenchmarkExploreSmall explores ClassicGroup_small.cfg: the twin's
// distinct states per second, to set beside TLC's on the same config.
func BenchmarkExploreSmall(b *testing.B) {
	p, err := ReadConfig("../ClassicGroup_small.cfg")
	if err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // as tla/twin runs
	var st Stats
	for b.Loop() {
		if st, err = Explore(p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Distinct)/st.Elapsed.Seconds(), "states/s")
}
