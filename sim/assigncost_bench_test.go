package sim

import (
	"fmt"
	"testing"

	"github.com/kgroup/kgroup/assignors"
)

// BenchmarkAssignor times kgroup's own assignors on fresh groups of one
// topic, the calibration of assignCostMs (assigncost.go):
//
//	go test ./sim -run '^$' -bench Assignor -benchtime 3x
func BenchmarkAssignor(b *testing.B) {
	for _, a := range assignors.All() {
		for _, size := range [][2]int{{10, 100}, {100, 1000}, {100, 10000}, {1000, 10000}} {
			members, parts := size[0], size[1]
			in := make([]assignors.Member, members)
			for i := range in {
				in[i] = assignors.Member{ID: fmt.Sprintf("m%d", i), Topics: []string{"t"}, Generation: -1}
			}
			topics := map[string]int32{"t": int32(parts)}
			b.Run(fmt.Sprintf("%s/members=%d/partitions=%d", a.Name(), members, parts), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := a.Assign(topics, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
