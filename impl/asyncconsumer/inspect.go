package asyncconsumer

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// Inspection is a read-only account of a consumer's membership state, for
// the refinement check against ConsumerGroup.tla (tla/refine848): what View
// leaves out.
type Inspection struct {
	State    spec.AsyncState
	MemberID string
	Epoch    int32
	Closed   bool
	Stalled  bool
	// Owned is what the listener was given; Current the reconciled
	// assignment's partitions (nil when none), which heartbeats report.
	Owned, Current []spec.TopicPartition
	CurrentNone    bool
	// Reconciling, Lost and Leaving: application work still to run.
	Reconciling, Lost, Leaving bool
	// Sent is HeartbeatState.SentFields: which fields the last heartbeat
	// carried, and whether its assignment is still the current one.
	SentRebalanceTimeout, SentTopics, SentAssignor bool
	SentAssignment, SentAssignmentCurrent          bool
	// HeartbeatInFlight is set while a tracked heartbeat awaits its answer,
	// HeartbeatCorrelation its correlation id.
	HeartbeatInFlight    bool
	HeartbeatCorrelation int32
	// Refenced: the last rejoin was fenced again, so the next waits for the
	// retry backoff (the package doc's divergence).
	Refenced bool
	// CoordinatorUnknown is set until FindCoordinator answers.
	CoordinatorUnknown bool
	// InFlight are the correlation ids and API keys of every request
	// awaiting its answer, in sending order.
	InFlight []InFlightRequest
}

// InFlightRequest is one request awaiting its answer.
type InFlightRequest struct {
	Correlation int32
	Key         spec.APIKey
}

// Inspect returns the consumer's membership state. It changes nothing.
func (c *Consumer) Inspect() Inspection {
	in := Inspection{State: c.state, MemberID: c.memberID, Epoch: c.epoch, Closed: c.closed, Stalled: c.stalled,
		Owned: slices.Clone(c.owned), Current: slices.Clone(c.current.parts), CurrentNone: c.current.isNone(),
		Reconciling: c.rec != nil, Lost: c.lost != nil, Leaving: c.leaving != nil,
		SentRebalanceTimeout: c.sent.rebalanceTimeout, SentTopics: c.sent.topics, SentAssignor: c.sent.assignor,
		SentAssignment: c.sent.assignmentSent, SentAssignmentCurrent: c.sent.assignmentSent && c.sent.assignment.equal(c.current),
		HeartbeatInFlight: c.hb.inFlight, Refenced: c.hb.refenced, CoordinatorUnknown: c.coordinatorUnknown}
	for _, r := range c.inflight {
		in.InFlight = append(in.InFlight, InFlightRequest{Correlation: r.corr, Key: r.key})
		if r.role == roleHeartbeat {
			in.HeartbeatCorrelation = r.corr
		}
	}
	return in
}
