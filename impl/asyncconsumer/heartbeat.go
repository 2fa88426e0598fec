package asyncconsumer

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// The heartbeat: AbstractHeartbeatRequestManager.poll, its
// HeartbeatRequestState (interval timer, one request in flight, backoff),
// ConsumerHeartbeatRequestManager.HeartbeatState (only changed fields
// sent) and the handling of the answers.

// heartbeatState is HeartbeatRequestState.
type heartbeatState struct {
	inFlight   bool  // requestInFlight
	intervalMs int64 // the coordinator's heartbeat interval
	timerAt    int64 // when the interval timer expires
	backoffAt  int64 // when the retry backoff after a failure ends
	attempts   int   // failed attempts in a row, for the exponential backoff
	// refenced: the last rejoin was fenced again, so the next one waits for
	// the backoff (a divergence: see the package doc).
	refenced bool
}

// reset is RequestState.reset: nothing in flight, no backoff.
func (h *heartbeatState) reset() {
	h.inFlight, h.backoffAt, h.attempts, h.refenced = false, 0, 0, false
}

// canSend is HeartbeatRequestState.canSendRequest.
func (h *heartbeatState) canSend(now int64) bool {
	return !h.inFlight && now >= h.timerAt && now >= h.backoffAt
}

// sentFields is HeartbeatState.SentFields: what the last heartbeat carried.
type sentFields struct {
	rebalanceTimeout, topics, assignor, rack bool
	assignmentSent                           bool
	assignment                               localAssignment
}

// skipHeartbeat is AbstractMembershipManager.shouldSkipHeartbeat.
func (c *Consumer) skipHeartbeat() bool {
	switch c.state {
	case spec.AsyncUnsubscribed, spec.AsyncFatal, spec.AsyncStale, spec.AsyncFenced:
		return true
	}
	return false
}

// heartbeatNow is shouldHeartbeatNow: these states do not wait for the interval.
func (c *Consumer) heartbeatNow() bool {
	switch c.state {
	case spec.AsyncAcknowledging, spec.AsyncLeaving, spec.AsyncJoining:
		return true
	}
	return false
}

func (c *Consumer) isLeavingGroup() bool {
	return c.state == spec.AsyncPrepareLeaving || c.state == spec.AsyncLeaving
}

// heartbeatPoll is AbstractHeartbeatRequestManager.poll.
func (c *Consumer) heartbeatPoll() {
	if c.coordinatorUnknown || c.skipHeartbeat() {
		c.onHeartbeatRequestSkipped()
		return
	}
	if c.stalled && c.now >= c.pollDeadline && !c.isLeavingGroup() {
		// The poll timer expired: leave, ignoring the answer, and go STALE.
		c.transitionToSendingLeaveGroup(true)
		c.sendHeartbeat(false)
		c.hb.reset()
		c.sent = sentFields{}
		return
	}
	now := c.state == spec.AsyncLeaving || (c.heartbeatNow() && !c.hb.inFlight && (!c.hb.refenced || c.now >= c.hb.backoffAt))
	if now || c.hb.canSend(c.now) {
		c.sendHeartbeat(true)
	}
}

// sendHeartbeat is makeHeartbeatRequest: the request goes out, the interval
// timer restarts, and the state may move on (onHeartbeatRequestGenerated).
// An untracked request's answer is ignored.
func (c *Consumer) sendHeartbeat(tracked bool) {
	c.send(c.heartbeatRequest(), roleHeartbeat, tracked)
	c.hb.inFlight = tracked
	c.hb.timerAt = c.now + c.hb.intervalMs
	c.onHeartbeatRequestGenerated()
}

// heartbeatRequest is HeartbeatState.buildRequestData: group, member id and
// epoch always; the instance id if static; everything else only when
// joining or changed since it was last sent.
func (c *Consumer) heartbeatRequest() *spec.ConsumerGroupHeartbeatRequest {
	r := &spec.ConsumerGroupHeartbeatRequest{GroupID: c.cfg.GroupID, MemberID: c.memberID, MemberEpoch: c.epoch,
		RebalanceTimeoutMs: -1}
	if c.cfg.InstanceID != "" {
		r.InstanceID = spec.Str(c.cfg.InstanceID)
	}
	all, s := c.state == spec.AsyncJoining, &c.sent
	if all || !s.rebalanceTimeout {
		r.RebalanceTimeoutMs, s.rebalanceTimeout = c.cfg.RebalanceTimeoutMs, true
	}
	switch {
	case all || !s.topics:
		s.topics = true
		if c.cfg.TopicRegex != "" {
			// A pattern subscription sends the regex, not names (Kafka's
			// client also sends an empty list of names; kgroup's sends none).
			r.SubscribedTopicRegex = spec.Str(c.cfg.TopicRegex)
		} else {
			r.SubscribedTopicNames = slices.Clone(c.cfg.Topics)
		}
	}
	if c.cfg.ServerAssignor != "" && (all || !s.assignor) {
		r.ServerAssignor, s.assignor = spec.Str(c.cfg.ServerAssignor), true
	}
	if c.cfg.Rack != "" && (all || !s.rack) {
		r.RackID, s.rack = spec.Str(c.cfg.Rack), true
	}
	if all || !s.assignmentSent || !s.assignment.equal(c.current) {
		r.TopicPartitions = spec.AssignmentOf(c.current.parts)
		s.assignmentSent, s.assignment = true, c.current
	}
	return r
}

// heartbeatDeadlines reports when the heartbeat manager next acts.
func (c *Consumer) heartbeatDeadlines(at func(int64)) {
	if c.skipHeartbeat() {
		return
	}
	if !c.hb.inFlight {
		at(max(c.hb.timerAt, c.hb.backoffAt))
	}
	if c.stalled && !c.isLeavingGroup() {
		at(c.pollDeadline)
	}
}

// onHeartbeatResponse is onResponse and onErrorResponse.
func (c *Consumer) onHeartbeatResponse(r *spec.ConsumerGroupHeartbeatResponse) {
	if r.ErrorCode == spec.None {
		if iv := int64(r.HeartbeatIntervalMs); iv > 0 && iv != c.hb.intervalMs {
			c.hb.intervalMs, c.hb.timerAt = iv, c.now+iv // updateAndReset
		}
		c.hb.reset() // onSuccessfulAttempt
		c.onHeartbeatSuccess(r)
		return
	}
	rejoining := c.state == spec.AsyncJoining
	c.onHeartbeatFailure()
	switch r.ErrorCode {
	case spec.NotCoordinator, spec.CoordinatorNotAvailable:
		c.markCoordinatorUnknown()
		c.hb.reset() // the next heartbeat goes as soon as the coordinator is found
	case spec.CoordinatorLoadInProgress:
		// Retry after the backoff.
	case spec.FencedMemberEpoch, spec.UnknownMemberID:
		c.transitionToFenced()
		if !rejoining {
			c.hb.reset() // rejoin as soon as the assignment is released
		} else {
			c.hb.refenced = true
		}
		// A rejoin fenced again — the coordinator still has the member at a
		// later epoch, and fences epoch 0 until the member's session expires
		// — is retried after the backoff. Kafka retries at once, each
		// attempt costing a round trip; on kgroup's zero-latency network
		// time would not pass (a divergence, in the package doc).
	default:
		// UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED,
		// UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, UNSUPPORTED_VERSION,
		// GROUP_AUTHORIZATION_FAILED and any unexpected code.
		c.transitionToFatal(r.ErrorCode.String())
	}
}

// onHeartbeatFailure is the common half of a failed heartbeat (an error
// answer or a timeout): backoff, every field sent in full next time, and a
// leave in progress counts as done.
func (c *Consumer) onHeartbeatFailure() {
	h := &c.hb
	backoff := c.cfg.RetryBackoffMs << min(h.attempts, 20)
	h.inFlight, h.timerAt, h.attempts = false, c.now, h.attempts+1
	h.backoffAt = c.now + min(backoff, c.cfg.RetryBackoffMaxMs)
	c.sent = sentFields{}
}

// onHeartbeatSuccess is ConsumerMembershipManager.onHeartbeatSuccess: take
// the member id and epoch, and a new assignment if the state can take one.
func (c *Consumer) onHeartbeatSuccess(r *spec.ConsumerGroupHeartbeatResponse) {
	if c.state == spec.AsyncLeaving || c.notInGroup() {
		return
	}
	if r.MemberID != "" {
		c.memberID = r.MemberID
	}
	c.epoch = r.MemberEpoch
	if r.Assignment == nil || !canHandleNewAssignment(c.state) {
		return
	}
	c.assignmentReceived(slices.Compact(r.Assignment.Partitions()))
}

// canHandleNewAssignment is MemberState.canHandleNewAssignment.
func canHandleNewAssignment(s spec.AsyncState) bool {
	switch s {
	case spec.AsyncStable, spec.AsyncJoining, spec.AsyncAcknowledging, spec.AsyncReconciling:
		return true
	}
	return false
}
