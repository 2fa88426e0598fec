package consumer

import (
	"maps"
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// Inspection is a read-only copy of the consumer's membership state beyond
// View and Positions, for checkers that map it onto a specification
// (tla/refine). Deadlines are not included: a specification treats timers
// as nondeterministic.
type Inspection struct {
	// ProtocolName is the assignor the group selected in the last JoinGroup.
	ProtocolName       string
	Leader             bool
	NeedsJoinPrepare   bool
	CoordinatorUnknown bool
	// Topics is the last metadata seen and Snapshot the leader's metadata of
	// the group's topics when it assigned (-1: absent); nil when none.
	Topics, Snapshot map[string]int32
	// Revoking is the revocation waiting for its commit, if any.
	Revoking *RevocationInspection
	// InFlight are the requests awaiting a response, in the order sent.
	InFlight []InFlightRequest
}

// RevocationInspection is a revoke callback waiting for its commitSync.
type RevocationInspection struct {
	Partitions []spec.TopicPartition
	// Correlation is the commit's, 0 while a retry is due.
	Correlation int32
	// ThenJoin: a rejoin follows; otherwise finishing Pending, the
	// assignment that caused the revocation.
	ThenJoin bool
	Pending  []spec.TopicPartition
}

// InFlightRequest is one request awaiting its response.
type InFlightRequest struct {
	Correlation int32
	Key         spec.APIKey
	// Generation and MemberID are the consumer's when it sent the request.
	Generation int32
	MemberID   string
}

// Inspect returns a copy of the consumer's state.
func (c *Consumer) Inspect() Inspection {
	out := Inspection{ProtocolName: c.protocolName, Leader: c.leader, NeedsJoinPrepare: c.needsJoinPrepare,
		CoordinatorUnknown: c.coordinatorUnknown, Topics: maps.Clone(c.topics), Snapshot: maps.Clone(c.snapshot)}
	if r := c.revoking; r != nil {
		out.Revoking = &RevocationInspection{Partitions: slices.Clone(r.parts), Correlation: r.corr,
			ThenJoin: r.then == thenJoin, Pending: slices.Clone(r.pending)}
	}
	for _, r := range c.inflight {
		out.InFlight = append(out.InFlight, InFlightRequest{Correlation: r.corr, Key: r.key, Generation: r.gen, MemberID: r.member})
	}
	return out
}
