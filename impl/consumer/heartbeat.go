package consumer

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// handle routes a response to the request it answers.
func (c *Consumer) handle(req request, resp spec.Response) {
	switch r := resp.(type) {
	case *spec.JoinGroupResponse:
		c.onJoinResponse(req, r)
	case *spec.SyncGroupResponse:
		c.onSyncResponse(req, r)
	case *spec.HeartbeatResponse:
		c.onHeartbeatResponse(req, r.ErrorCode)
	case *spec.OffsetCommitResponse:
		c.onCommitResponse(req, r)
	case *spec.OffsetFetchResponse:
		c.onFetchResponse(req, r)
	case *spec.LeaveGroupResponse:
		// Best effort: the client has already reset itself.
	}
}

// heartbeating: the heartbeat thread runs only once a JoinGroup has
// succeeded (AbstractCoordinator.HeartbeatThread is disabled while unjoined
// or waiting for a JoinGroup response).
func (c *Consumer) heartbeating() bool {
	return c.Alive() && !c.coordinatorUnknown &&
		(c.state == spec.ClientCompletingRebalance || c.state == spec.ClientStable)
}

// enableHeartbeat is HeartbeatThread.enable: the timers start afresh.
func (c *Consumer) enableHeartbeat() {
	c.nextHeartbeatAt = c.now + c.cfg.HeartbeatIntervalMs
	c.sessionDeadline = c.now + int64(c.cfg.SessionTimeoutMs)
}

// onHeartbeatResponse is HeartbeatResponseHandler. Errors about a generation
// the consumer has already left behind are ignored: the heartbeat counts as
// answered, which restarts the session timer (Heartbeat.receiveHeartbeat).
func (c *Consumer) onHeartbeatResponse(req request, code spec.ErrorCode) {
	stale := !c.sameGeneration(req)
	if stale && (code == spec.IllegalGeneration || code == spec.UnknownMemberID || code == spec.FencedInstanceID) {
		c.sessionDeadline = c.now + int64(c.cfg.SessionTimeoutMs)
		return
	}
	switch code {
	case spec.None:
		c.sessionDeadline = c.now + int64(c.cfg.SessionTimeoutMs)
	case spec.RebalanceInProgress:
		c.sessionDeadline = c.now + int64(c.cfg.SessionTimeoutMs)
		if c.state == spec.ClientStable {
			c.requestRejoin()
		}
	case spec.IllegalGeneration:
		c.resetGeneration(false)
	case spec.UnknownMemberID:
		c.resetGeneration(true)
	case spec.FencedInstanceID:
		c.fail("FENCED_INSTANCE_ID")
	case spec.CoordinatorNotAvailable, spec.NotCoordinator:
		c.markCoordinatorUnknown()
	}
}

// markCoordinatorUnknown is AbstractCoordinator.markCoordinatorUnknown: the
// connection is dropped, so every in-flight request fails; after the retry
// backoff the coordinator is found again. Membership is kept.
func (c *Consumer) markCoordinatorUnknown() {
	c.coordinatorUnknown = true
	c.retryAt = c.now + c.cfg.RetryBackoffMs
	failed := c.inflight
	c.inflight = nil
	for _, r := range failed {
		switch r.key {
		case spec.KeyJoinGroup, spec.KeySyncGroup:
			c.state = spec.ClientUnjoined
			c.requestRejoin()
		case spec.KeyOffsetCommit:
			c.commitFailedRetriably(r)
		}
	}
}

// NextDeadline returns when the consumer next needs a Tick.
func (c *Consumer) NextDeadline() (int64, bool) {
	if !c.Alive() {
		return 0, false
	}
	next, ok := c.metadataRefreshAt, true
	at := func(t int64) { next = min(next, t) }
	for _, r := range c.inflight {
		at(r.deadline)
	}
	if c.coordinatorUnknown || c.retryAt > c.now {
		at(c.retryAt)
	}
	if c.heartbeating() {
		at(c.nextHeartbeatAt)
		at(c.sessionDeadline)
		if c.stalled {
			at(c.pollDeadline)
		}
	}
	if c.cfg.AutoCommit && c.state == spec.ClientStable && !c.stalled && !c.coordinatorUnknown && c.revoking == nil {
		at(c.nextAutoCommitAt)
	}
	if c.revoking != nil && !c.stalled && !c.coordinatorUnknown {
		at(c.revoking.deadline)
	}
	return next, ok
}

// tick fires every timer due at or before now.
func (c *Consumer) tick() {
	c.expireRequests()
	if c.coordinatorUnknown && c.now >= c.retryAt {
		c.coordinatorUnknown = false // FindCoordinator answered
		c.sessionDeadline = c.now + int64(c.cfg.SessionTimeoutMs)
	}
	c.heartbeatThread()
	if c.now >= c.metadataRefreshAt {
		c.out.NeedMetadata = true
		c.metadataRefreshAt = c.now + c.cfg.MetadataMaxAgeMs
	}
}

// expireRequests fails requests that outlived their timeout: the client
// disconnects, which fails everything in flight.
func (c *Consumer) expireRequests() {
	if slices.ContainsFunc(c.inflight, func(r request) bool { return c.now >= r.deadline }) {
		c.markCoordinatorUnknown()
	}
}

// heartbeatThread is one pass of AbstractCoordinator.HeartbeatThread.run.
func (c *Consumer) heartbeatThread() {
	if !c.heartbeating() {
		return
	}
	switch {
	case c.now >= c.sessionDeadline:
		// No heartbeat answered for a whole session: assume the coordinator
		// is gone and find it again.
		c.markCoordinatorUnknown()
	case c.stalled && c.now >= c.pollDeadline:
		c.pollTimeoutExpired()
	case c.now >= c.nextHeartbeatAt:
		c.send(&spec.HeartbeatRequest{GroupID: c.cfg.GroupID, GenerationID: c.generation, MemberID: c.memberID,
			GroupInstanceID: c.cfg.InstanceID}, c.cfg.RequestTimeoutMs, 0)
		c.nextHeartbeatAt = c.now + c.cfg.HeartbeatIntervalMs
	}
}

// pollTimeoutExpired is AbstractCoordinator.maybeLeaveGroup("consumer poll
// timeout has expired"): a dynamic member leaves; every member forgets its
// id and generation, so its next poll loses the partitions and joins anew.
func (c *Consumer) pollTimeoutExpired() {
	c.sendLeave()
	c.resetGeneration(true)
}

// sendLeave is the request half of AbstractCoordinator.maybeLeaveGroup: only a
// dynamic member that holds a member id, is not UNJOINED and knows its
// coordinator sends LeaveGroup.
func (c *Consumer) sendLeave() {
	if c.cfg.InstanceID == "" && c.memberID != "" && c.state != spec.ClientUnjoined && !c.coordinatorUnknown {
		c.send(&spec.LeaveGroupRequest{GroupID: c.cfg.GroupID, Members: []spec.LeaveGroupMember{{MemberID: c.memberID,
			Reason: "the consumer is being closed"}}}, c.cfg.RequestTimeoutMs, 0)
	}
}

// close shuts the consumer down cleanly (KafkaConsumer.close): commit if
// auto-commit is on, run onPartitionsRevoked (onPartitionsLost if it is not a
// settled member), and leave the group unless it is static (KIP-345). The
// requests go out; the consumer does not wait for their answers.
func (c *Consumer) close() {
	settled := c.generation >= 0 && c.memberID != "" && c.state == spec.ClientStable
	if settled && (c.cfg.AutoCommit || c.cfg.CommitOnRevoke) && len(c.knownPositions(c.owned)) > 0 {
		// commitSync first finds the coordinator if it is unknown
		// (ConsumerCoordinator.commitOffsetsSync -> ensureCoordinatorReady).
		c.coordinatorUnknown = false
		c.commitPositions(c.owned, commitOnRevoke)
	}
	if settled {
		c.release(spec.EvRevoked, c.owned)
	} else {
		c.lose()
	}
	c.sendLeave()
	c.closed = true
	c.inflight = nil
}
