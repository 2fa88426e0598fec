package asyncconsumer

import (
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// Membership transitions: AbstractMembershipManager's transitionTo…
// methods, the local assignment and the leave epochs.

// localAssignment is AbstractMembershipManager.LocalAssignment: the
// partitions with a local epoch that grows with every new assignment
// received, so that an acknowledgement is sent again for each.
type localAssignment struct {
	epoch int64 // -1 is NONE
	parts []spec.TopicPartition
}

// noAssignment is LocalAssignment.NONE.
var noAssignment = localAssignment{epoch: -1}

func (a localAssignment) equal(b localAssignment) bool {
	return a.epoch == b.epoch && slices.Equal(a.parts, b.parts)
}

func (a localAssignment) isNone() bool { return a.epoch == -1 }

// leaveEpoch is leaveGroupEpoch: -2 keeps a static member's assignment.
func (c *Consumer) leaveEpoch() int32 {
	if c.cfg.InstanceID != "" {
		return spec.StaticLeaveEpoch
	}
	return spec.LeaveEpoch
}

// notInGroup is isNotInGroup.
func (c *Consumer) notInGroup() bool {
	switch c.state {
	case spec.AsyncUnsubscribed, spec.AsyncFenced, spec.AsyncFatal, spec.AsyncStale:
		return true
	}
	return false
}

// assignmentReceived is processAssignmentReceived: a new target (the local
// epoch grows when the partitions differ), then RECONCILING unless it is
// what the member already has.
func (c *Consumer) assignmentReceived(parts []spec.TopicPartition) {
	if c.target.isNone() || !slices.Equal(parts, c.target.parts) {
		c.target = localAssignment{epoch: c.target.epoch + 1, parts: parts}
	}
	switch {
	case !c.current.equal(c.target):
		c.state = spec.AsyncReconciling
	case c.state == spec.AsyncReconciling || c.state == spec.AsyncJoining:
		c.state = spec.AsyncStable
	}
}

// onHeartbeatRequestGenerated: an acknowledgement sent makes the member
// STABLE (or RECONCILING if a newer target waits); a leave sent makes it
// UNSUBSCRIBED, or STALE when it left for the poll timeout.
func (c *Consumer) onHeartbeatRequestGenerated() {
	switch c.state {
	case spec.AsyncAcknowledging:
		if c.current.equal(c.target) {
			c.state = spec.AsyncStable
		} else {
			c.state = spec.AsyncReconciling
		}
	case spec.AsyncLeaving:
		if c.pollExpired {
			c.transitionToStale()
		} else {
			c.state = spec.AsyncUnsubscribed
			c.leaveDone()
		}
	}
}

// onHeartbeatRequestSkipped: a leave that cannot be sent (no coordinator)
// is done.
func (c *Consumer) onHeartbeatRequestSkipped() {
	if c.state == spec.AsyncLeaving {
		c.state = spec.AsyncUnsubscribed
		c.leaveDone()
	}
}

// transitionToJoining: epoch 0, no target; a reconciliation in progress is
// abandoned. The member id is kept.
func (c *Consumer) transitionToJoining() {
	if c.state == spec.AsyncFatal {
		return
	}
	c.rec = nil
	c.epoch = spec.JoinEpoch
	c.state = spec.AsyncJoining
	c.target = noAssignment
}

// transitionToFenced: the coordinator no longer knows this epoch. A member
// leaving stops (it is out already); any other loses its partitions and
// rejoins at epoch 0 with the same member id once the listener ran.
func (c *Consumer) transitionToFenced() {
	switch c.state {
	case spec.AsyncPrepareLeaving, spec.AsyncLeaving:
		c.leaving = nil
		c.epoch = c.leaveEpoch()
		c.current = noAssignment
		c.state = spec.AsyncUnsubscribed
		c.releaseAll(spec.EvLost) // they are fenced: no commit, no revoke
		c.leaveDone()
		return
	case spec.AsyncUnsubscribed, spec.AsyncStale, spec.AsyncFatal, spec.AsyncFenced:
		return // not in the group: nothing to fence (Kafka: no-op or illegal)
	}
	c.state = spec.AsyncFenced
	c.epoch = spec.JoinEpoch
	c.rec = nil
	c.lost = &lostWork{}
}

// transitionToFatal: the consumer stops. A member in the group loses its
// partitions first; one leaving discards the leave.
func (c *Consumer) transitionToFatal(why string) {
	prev := c.state
	c.state = spec.AsyncFatal
	c.rec, c.lost, c.leaving = nil, nil, nil
	if prev != spec.AsyncUnsubscribed && prev != spec.AsyncLeaving && prev != spec.AsyncPrepareLeaving {
		c.releaseAll(spec.EvLost)
	}
	c.inflight = nil
	c.emit(spec.Event{Kind: spec.EvFailed, Detail: why})
}

// transitionToSendingLeaveGroup: the leave epoch, no assignment, LEAVING;
// the next heartbeat is the leave.
func (c *Consumer) transitionToSendingLeaveGroup(dueToPollTimer bool) {
	if c.state == spec.AsyncFatal || c.state == spec.AsyncUnsubscribed {
		return
	}
	if dueToPollTimer {
		c.pollExpired = true
		c.rec = nil // state leaves RECONCILING: maybeAbortReconciliation
	}
	c.epoch = c.leaveEpoch()
	c.current = noAssignment
	c.state = spec.AsyncLeaving
}

// transitionToStale: the member left for the poll timeout; its partitions
// are lost once the application polls again, and then it rejoins.
func (c *Consumer) transitionToStale() {
	c.state = spec.AsyncStale
	c.lost = &lostWork{}
}

// lostWork is an onPartitionsLost the application has yet to run.
type lostWork struct{}

// runLostCallback runs onPartitionsLost for everything owned, then clears
// the assignment (clearAssignment); a fenced member rejoins.
func (c *Consumer) runLostCallback() {
	if c.lost == nil {
		return
	}
	c.lost = nil
	c.releaseAll(spec.EvLost)
	c.current, c.target = noAssignment, noAssignment
	if c.state == spec.AsyncFenced {
		c.transitionToJoining()
	}
}

// leaveDone completes a close whose leave went out (or could not).
func (c *Consumer) leaveDone() {
	c.closed = true
	c.inflight = nil
}

// releaseAll gives every owned partition to the listener as kind.
func (c *Consumer) releaseAll(kind spec.EventKind) { c.release(kind, c.owned) }

// release stops consuming parts (sorted) and reports the callback, if any.
// Fetches in flight are forgotten: their answers may predate the release.
func (c *Consumer) release(kind spec.EventKind, parts []spec.TopicPartition) {
	if len(parts) == 0 {
		return
	}
	parts = slices.Clone(parts)
	c.owned = minus(c.owned, parts)
	for _, tp := range parts {
		delete(c.positions, tp)
	}
	c.inflight = slices.DeleteFunc(c.inflight, func(r request) bool { return r.role == roleFetch })
	c.emit(spec.Event{Kind: kind, Partitions: parts})
}
