// Package kfakeuniform runs kfake's KIP-848 server-side assignors (franz-go's
// pkg/kfake, whose assignors are unexported methods of its group type) on an
// input built directly, without a broker, so that the bench module can time
// them on the same input as kgroup's.
//
// groups_copy.go holds kfake's code, copied verbatim; this file, written for
// kgroup, declares the types that code reads, with only the fields it reads
// (the same names and types as in kfake), and the entry points.
package kfakeuniform

import "regexp"

// The types of kfake's that groups_copy.go uses, reduced to the fields it
// reads or writes.
type (
	uuid [16]byte

	partData struct{}

	tps[V any] map[string]map[int32]*V

	// Cluster is kfake's Cluster; topicInfo reads its topics.
	Cluster struct {
		data struct {
			tps  tps[partData]
			t2id map[string]uuid
		}
	}

	consumerMember struct {
		instanceID           *string
		memberEpoch          int32
		subscribedTopics     []string
		subscribedTopicRegex *regexp.Regexp
		targetAssignment     map[uuid][]int32
	}

	group struct {
		c                     *Cluster
		groupEpoch            int32
		targetAssignmentEpoch int32
		assignorName          string
		consumerMembers       map[string]*consumerMember
	}
)

// Topic is one topic of the cluster.
type Topic struct {
	Name       string
	ID         [16]byte
	Partitions int32
}

// Member is one consumer group member: its subscription (topic names) and
// its current target assignment, by topic id.
type Member struct {
	ID         string
	InstanceID *string
	Topics     []string
	Target     map[[16]byte][]int32
}

// Group is a kfake consumer group (KIP-848) on its own cluster. Assign
// computes the group's target assignment the way kfake's coordinator does
// (computeTargetAssignment), which updates the members' targets in place;
// Reset puts back the targets the group was made with, so that every
// benchmark iteration starts from the same state.
type Group struct {
	g       *group
	initial map[string]map[uuid][]int32
}

// NewGroup builds a group with the given assignor ("uniform" or "range"):
// every member at epoch 1, subscribed by name.
func NewGroup(assignor string, topics []Topic, members []Member) *Group {
	c := &Cluster{}
	c.data.tps = tps[partData]{}
	c.data.t2id = map[string]uuid{}
	for _, t := range topics {
		ps := make(map[int32]*partData, t.Partitions)
		for p := range t.Partitions {
			ps[p] = &partData{}
		}
		c.data.tps[t.Name] = ps
		c.data.t2id[t.Name] = t.ID
	}
	g := &Group{
		g:       &group{c: c, assignorName: assignor, groupEpoch: 1, consumerMembers: map[string]*consumerMember{}},
		initial: map[string]map[uuid][]int32{},
	}
	for _, m := range members {
		target := map[uuid][]int32{}
		for id, ps := range m.Target {
			target[id] = append([]int32(nil), ps...)
		}
		g.initial[m.ID] = target
		g.g.consumerMembers[m.ID] = &consumerMember{instanceID: m.InstanceID, memberEpoch: 1, subscribedTopics: m.Topics}
	}
	g.Reset()
	return g
}

// Reset restores every member's target assignment to the one the group was
// made with.
func (g *Group) Reset() {
	for id, m := range g.g.consumerMembers {
		target := make(map[uuid][]int32, len(g.initial[id]))
		for t, ps := range g.initial[id] {
			target[t] = append(make([]int32, 0, len(ps)), ps...)
		}
		m.targetAssignment = target
	}
}

// Assign runs kfake's computeTargetAssignment.
func (g *Group) Assign() { g.g.computeTargetAssignment() }

// Targets returns every member's target assignment, by topic id.
func (g *Group) Targets() map[string]map[[16]byte][]int32 {
	out := make(map[string]map[[16]byte][]int32, len(g.g.consumerMembers))
	for id, m := range g.g.consumerMembers {
		a := make(map[[16]byte][]int32, len(m.targetAssignment))
		for t, ps := range m.targetAssignment {
			a[t] = ps
		}
		out[id] = a
	}
	return out
}
