package assignors

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// Range is Kafka's RangeAssignor (client side, without KIP-881 rack
// awareness): topic by topic, the topic's subscribers in member order
// (SortMembers) each take a contiguous range of P/C partitions, and the first
// P mod C of them one more. The order restarts for every topic, so the same
// members get the extra partitions on every topic.
type Range struct{}

func (Range) Name() string                        { return "range" }
func (Range) Protocols() []spec.RebalanceProtocol { return []spec.RebalanceProtocol{spec.Eager} }

// Assign implements Assignor.
func (Range) Assign(topics map[string]int32, members []Member) (Plan, error) {
	if err := Validate(topics, members); err != nil {
		return nil, err
	}
	sorted := slices.Clone(members)
	SortMembers(sorted)
	plan := emptyPlan(sorted)
	subscribers := subscriberIndex(sorted)
	for _, topic := range spec.SortedKeys(topics) {
		subs := subscribers[topic]
		if len(subs) == 0 {
			continue
		}
		n, c := int(topics[topic]), len(subs)
		per, extra := n/c, n%c
		for i, m := range subs {
			id := sorted[m].ID
			start := per*i + min(i, extra)
			length := per
			if i < extra {
				length++
			}
			for p := start; p < start+length; p++ {
				plan[id][topic] = append(plan[id][topic], int32(p))
			}
		}
	}
	return plan, nil
}
