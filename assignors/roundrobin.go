package assignors

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// RoundRobin is Kafka's RoundRobinAssignor: every partition of every
// subscribed topic, sorted by topic then partition, goes in turn to the next
// member of one circular iterator over the members (in SortMembers order),
// shared across topics; a member not subscribed to the partition's topic is
// skipped.
type RoundRobin struct{}

func (RoundRobin) Name() string                        { return "roundrobin" }
func (RoundRobin) Protocols() []spec.RebalanceProtocol { return []spec.RebalanceProtocol{spec.Eager} }

// Assign implements Assignor.
func (RoundRobin) Assign(topics map[string]int32, members []Member) (Plan, error) {
	if err := Validate(topics, members); err != nil {
		return nil, err
	}
	sorted := slices.Clone(members)
	SortMembers(sorted)
	plan := emptyPlan(sorted)
	subscribes := make([]map[string]bool, len(sorted))
	for i, m := range sorted {
		subscribes[i] = make(map[string]bool, len(m.Topics))
		for _, t := range m.Topics {
			subscribes[i][t] = true
		}
	}
	next := 0 // the circular iterator's position
	for _, topic := range subscribedTopics(topics, sorted) {
		for p := range topics[topic] {
			// Some member subscribes to topic, so this loop ends within one turn.
			for !subscribes[next][topic] {
				next = (next + 1) % len(sorted)
			}
			plan[sorted[next].ID][topic] = append(plan[sorted[next].ID][topic], p)
			next = (next + 1) % len(sorted)
		}
	}
	return plan, nil
}

// subscribedTopics lists, sorted, the existing topics some member subscribes to.
func subscribedTopics(topics map[string]int32, members []Member) []string {
	set := map[string]bool{}
	for _, m := range members {
		for _, t := range m.Topics {
			if _, ok := topics[t]; ok {
				set[t] = true
			}
		}
	}
	return spec.SortedKeys(set)
}
