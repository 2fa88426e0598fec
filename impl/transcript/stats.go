package transcript

import (
	"fmt"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/spec"
)

// stats counts what rebalances cost, for the stats command: how many
// completed, and how many partitions stopped being consumed (revoked, lost,
// or held by a process that crashed or shut down).
type stats struct {
	rebalances       int
	revoked, lost    int
	assigned         int
	crashHeld        int
	paused           map[spec.TopicPartition]bool
	revokedConsumers map[string]bool
}

func (st *stats) observe(cl *cluster.Cluster, e spec.Event) {
	if st.paused == nil {
		st.paused, st.revokedConsumers = map[spec.TopicPartition]bool{}, map[string]bool{}
	}
	switch e.Kind {
	case spec.EvGroupState:
		if e.Detail == spec.Stable.String() {
			st.rebalances++
		}
	case spec.EvRevoked, spec.EvLost:
		if e.Kind == spec.EvRevoked {
			st.revoked += len(e.Partitions)
		} else {
			st.lost += len(e.Partitions)
		}
		st.revokedConsumers[e.Node] = true
		for _, tp := range e.Partitions {
			st.paused[tp] = true
		}
	case spec.EvAssigned:
		st.assigned += len(e.Partitions)
	case spec.EvCrash:
		for _, c := range cl.Snapshot().Consumers {
			if c.Name == e.Node {
				for _, tp := range c.Owned {
					st.paused[tp] = true
				}
				st.crashHeld += len(c.Owned)
			}
		}
	}
}

func (st *stats) report() []string {
	line := fmt.Sprintf("rebalances completed=%d pauses=%d of %d distinct partitions (revoked=%d by %d consumers, lost=%d, held by crashed=%d) assigned=%d",
		st.rebalances, st.revoked+st.lost+st.crashHeld, len(st.paused), st.revoked, len(st.revokedConsumers), st.lost, st.crashHeld, st.assigned)
	*st = stats{}
	return []string{line}
}
