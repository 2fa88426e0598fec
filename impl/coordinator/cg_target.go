package coordinator

import (
	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// targetStep is the group as a heartbeat's target assignment sees it: the
// stored members with the heartbeat's member updated, the member a static
// rejoin replaces left out, and the recomputed subscription metadata.
type targetStep struct {
	g          *cgroup
	member     *cmember
	replaced   *cmember
	subscribed map[string]int32
	// regexes are the group's regex resolutions after the heartbeat.
	regexes map[string]resolvedRegex
}

// members lists them sorted by id.
func (t *targetStep) members() []*cmember {
	out := make([]*cmember, 0, len(t.g.members)+1)
	placed := false
	for _, m := range t.g.byID() {
		if t.replaced != nil && m.id == t.replaced.id {
			continue
		}
		if !placed && t.member.id <= m.id {
			out = append(out, t.member)
			placed = true
			if m.id == t.member.id {
				continue
			}
		}
		out = append(out, m)
	}
	if !placed {
		out = append(out, t.member)
	}
	return out
}

// subscriptionMetadata is ConsumerGroup.computeSubscriptionMetadata: the
// partition counts of the subscribed topics that exist.
func (c *Coordinator) subscriptionMetadata(ms []*cmember, regexes map[string]resolvedRegex) map[string]int32 {
	out := map[string]int32{}
	for _, m := range ms {
		for _, t := range m.subscription(regexes) {
			if n, ok := c.topics[t]; ok {
				out[t] = n
			}
		}
	}
	return out
}

// targetFor is ConsumerGroup.targetAssignment(memberId, instanceId): the
// member's target, or, for a static member new under this id, its
// predecessor's.
func (g *cgroup) targetFor(id, instanceID string) spec.Assignment {
	if a, ok := g.target[id]; ok {
		return a
	}
	if instanceID != "" {
		if prev, ok := g.static[instanceID]; ok {
			return g.targetOf(prev)
		}
	}
	return spec.Assignment{}
}

// computeTarget is updateTargetAssignment with TargetAssignmentBuilder: the
// preferred assignor computes the new target from the current one; records
// go out for the members whose target changed, then the epoch record. It
// returns the heartbeat member's new target.
func (c *Coordinator) computeTarget(t *targetStep, epoch int32, recs *[]Record) (spec.Assignment, error) {
	ms := t.members()
	a, err := assignors.ServerByName(c.preferredAssignor(ms))
	if c.cfg.mockAssignor != nil {
		a, err = c.cfg.mockAssignor, nil
	}
	if err != nil {
		return nil, err
	}
	topics := make(map[string]assignors.TopicMetadata, len(t.subscribed))
	for name, n := range t.subscribed {
		topics[name] = assignors.TopicMetadata{Partitions: n}
	}
	in := make([]assignors.Member, len(ms))
	for i, m := range ms {
		cur := t.g.targetOf(m.id)
		if m == t.member {
			cur = t.g.targetFor(m.id, m.instanceID)
		}
		in[i] = assignors.Member{ID: m.id, InstanceID: m.instanceID, Rack: m.rackID, Topics: m.subscription(t.regexes),
			Owned: cur.Partitions(), Generation: -1}
	}
	plan, err := a.Assign(topics, in)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		next := normalized(plan[m.id])
		if old, ok := t.g.target[m.id]; !ok || !old.Equal(next) {
			*recs = append(*recs, cgTargetRecord(t.g.id, m.id, next))
		}
	}
	*recs = append(*recs, cgTargetEpochRecord(t.g.id, epoch))
	return normalized(plan[t.member.id]), nil
}

// preferredAssignor is ConsumerGroup.computePreferredServerAssignor: the
// server assignor most members ask for, else the first configured one.
// Kafka breaks a tie by HashMap order; kgroup gives it to the assignor
// configured first.
func (c *Coordinator) preferredAssignor(ms []*cmember) string {
	names := c.cfg.consumerAssignors()
	votes := map[string]int{}
	for _, m := range ms {
		if m.serverAssignor != "" {
			votes[m.serverAssignor]++
		}
	}
	best := names[0]
	for _, n := range names {
		if votes[n] > votes[best] {
			best = n
		}
	}
	return best
}
