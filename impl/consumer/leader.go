package consumer

import (
	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// The group leader's part: running the assignor over every member's
// subscription (ConsumerCoordinator.onLeaderElected).

// cooperativeStickyName is ConsumerCoordinator.COOPERATIVE_STICKY_ASSIGNOR_NAME.
const cooperativeStickyName = "cooperative-sticky"

// assign is ConsumerCoordinator.onLeaderElected: run the selected assignor
// over every member's subscription, remembering the metadata it used.
func (c *Consumer) assign(members []spec.JoinGroupMember) (assignors.Plan, error) {
	a := c.assignor(c.protocolName)
	in := make([]assignors.Member, 0, len(members))
	c.takeSnapshot(members)
	for _, jm := range members {
		m := assignors.MemberFromSubscription(a, jm.MemberID, jm.GroupInstanceID, jm.Metadata)
		in = append(in, m)
	}
	plan, err := a.Assign(c.topics, in)
	if err != nil {
		return nil, err
	}
	// The built-in cooperative-sticky assignor weighs the generation of
	// owned partitions itself, so Kafka skips the check for it.
	if c.protocol == spec.Cooperative && a.Name() != cooperativeStickyName {
		if err := validateCooperative(in, plan); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// takeSnapshot records the partition count (-1: absent) of every topic some
// member subscribes to: the leader's assignmentSnapshot.
func (c *Consumer) takeSnapshot(members []spec.JoinGroupMember) {
	c.snapshot = map[string]int32{}
	for _, jm := range members {
		for _, t := range jm.Metadata.Topics {
			n, ok := c.topics[t]
			if !ok {
				n = -1
			}
			c.snapshot[t] = n
		}
	}
}

// validateCooperative is ConsumerCoordinator.validateCooperativeAssignment:
// under the cooperative protocol no partition may be added to one member
// (assigned, not owned by it) while revoked from another (owned, not
// assigned) in the same round; the assignor must withhold it until its owner
// has revoked it. A plan that does so is a fatal error.
func validateCooperative(members []assignors.Member, plan assignors.Plan) error {
	owned := make(map[string][]spec.TopicPartition, len(members))
	for _, m := range members {
		owned[m.ID] = m.Owned
	}
	return spec.CheckCooperativePlan(owned, plan)
}
