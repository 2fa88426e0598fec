package coordinator

import (
	"github.com/kgroup/kgroup/spec"
)

// GroupInspection is a read-only copy of one group's whole membership state,
// for checkers that map the coordinator onto a specification (tla/refine):
// what Describe leaves out — parked requests, KIP-394 pending members, the
// members still to sync, the state before the last transition, the id
// counter. Timers are not included: a specification treats them as
// nondeterministic.
type GroupInspection struct {
	// Exists is false for a group the coordinator has never heard of.
	Exists               bool
	State, PrevState     spec.GroupState
	Generation           int32
	Protocol, Leader     string
	Members              []MemberInspection // in admission order
	Pending, PendingSync []string           // sorted
	// NextID is the coordinator-wide counter new member ids are numbered from.
	NextID uint64
}

// MemberInspection is one member of a GroupInspection.
type MemberInspection struct {
	ID, InstanceID string
	Protocols      []spec.Protocol
	Assignment     spec.Assignment
	// Join and Sync are the member's parked JoinGroup and SyncGroup, if any.
	Join, Sync *ParkedRequest
	IsNew      bool
}

// ParkedRequest is where the answer to a parked request will go.
type ParkedRequest struct {
	To          string
	Correlation int32
}

// Inspect returns a copy of the group's state; the zero GroupInspection
// (Exists false) for a group that does not exist.
func (c *Coordinator) Inspect(groupID string) GroupInspection {
	g, ok := c.groups[groupID]
	if !ok {
		return GroupInspection{NextID: c.nextID}
	}
	out := GroupInspection{Exists: true, State: g.state, PrevState: g.prevState, Generation: g.generation,
		Protocol: g.protocolName, Leader: g.leader, Pending: spec.SortedKeys(g.pending),
		PendingSync: spec.SortedKeys(g.pendingSync), NextID: c.nextID}
	for _, m := range g.byAdmission() {
		out.Members = append(out.Members, MemberInspection{ID: m.id, InstanceID: m.instanceID,
			Protocols: cloneProtocols(m.protocols), Assignment: m.assignment.Partitions.Clone(),
			Join: parkedCopy(m.join), Sync: parkedCopy(m.sync), IsNew: m.isNew})
	}
	return out
}

func parkedCopy(p *parked) *ParkedRequest {
	if p == nil {
		return nil
	}
	return &ParkedRequest{To: p.to, Correlation: p.corr}
}
