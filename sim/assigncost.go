package sim

// assignCostMs is how long the group leader computes an assignment for
// members over partitions before its SyncGroup leaves: time = members ×
// perMember + partitions × perPartition, fitted to kgroup's own assignors
// (BenchmarkAssignor in assigncost_bench_test.go, fresh groups of one topic,
// 10×100 to 1000×10000, on this project's 2-core machine; e.g. range 1.9 ms
// for 100 members × 10,000 partitions and 4.6 ms for 1,000 × 10,000). The
// Java client's assignors are slower at scale (the sticky assignor took 2
// minutes for 2,000 consumers × 4,000 partitions before KAFKA-9987,
// apache/kafka#8668); kgroup's figures are what this model uses.
func assignCostMs(assignor string, members, partitions int) float64 {
	c, ok := assignCosts[assignor]
	if !ok {
		c = assignCosts["range"]
	}
	return (float64(members)*c[0] + float64(partitions)*c[1]) / 1000
}

// assignCosts are µs per member and per partition.
var assignCosts = map[string][2]float64{
	"range":              {3, 0.17},
	"roundrobin":         {2.5, 0.17},
	"sticky":             {2.7, 0.02},
	"cooperative-sticky": {1.5, 0.05},
}
