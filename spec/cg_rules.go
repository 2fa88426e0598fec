package spec

import (
	"errors"
	"fmt"
)

// Rules 1, 4 and 5 of DESIGN.md §5 for KIP-848 consumer groups, on the
// coordinator's ConsumerGroupView. Rule 1 on the consumers' side needs
// nothing new: the coordinator's view in classic terms (a member's
// Assignment is what it holds, assigned and pending revocation) goes to
// CheckExclusiveOwnership as a classic group's does. Rule 2 is in
// cg_fencing.go, rule 3 (offsets) is the classic one.

// held is what a member holds: its assigned partitions and those it has
// still to revoke.
func (m ConsumerMemberView) held() []TopicPartition {
	return append(m.Assigned.Partitions(), m.PendingRevocation.Partitions()...)
}

// CheckConsumerGroup is rules 1 and 5 within one view of a consumer group:
// no partition is held by two members, nor in two members' targets; a
// member never has a partition both assigned and pending revocation; epochs
// are ordered, every joined member's epoch at most the target assignment's,
// which is at most the group's; and a Stable group has every member
// reconciled to a target as new as the group epoch.
func CheckConsumerGroup(v ConsumerGroupView) error {
	if err := v.validate(); err != nil {
		return fmt.Errorf("consumer group: %w", err)
	}
	holder, target := map[TopicPartition]string{}, map[TopicPartition]string{}
	for _, m := range v.Members {
		for _, tp := range m.held() {
			if o, dup := holder[tp]; dup {
				return fmt.Errorf("ownership: %s is held by %s and by %s (consumer group %s at epoch %d)", tp, o, m.MemberID, v.GroupID, v.Epoch)
			}
			holder[tp] = m.MemberID
		}
		for _, tp := range m.Target.Partitions() {
			if o, dup := target[tp]; dup {
				return fmt.Errorf("ownership: %s is in the targets of %s and of %s (consumer group %s)", tp, o, m.MemberID, v.GroupID)
			}
			target[tp] = m.MemberID
		}
	}
	if v.AssignmentEpoch > v.Epoch {
		return fmt.Errorf("epochs: consumer group %s has a target assignment at epoch %d, ahead of its epoch %d", v.GroupID, v.AssignmentEpoch, v.Epoch)
	}
	for _, m := range v.Members {
		if m.Epoch > v.AssignmentEpoch {
			return fmt.Errorf("epochs: member %s is at epoch %d, ahead of the target assignment's %d", m.MemberID, m.Epoch, v.AssignmentEpoch)
		}
		if v.State == CGStable && (m.State != MemberStable || m.Epoch != v.AssignmentEpoch || v.AssignmentEpoch != v.Epoch) {
			return fmt.Errorf("epochs: consumer group %s is Stable at epoch %d, but member %s is %s at epoch %d (target at %d)",
				v.GroupID, v.Epoch, m.MemberID, m.State, m.Epoch, v.AssignmentEpoch)
		}
	}
	return nil
}

// CheckConsumerGroupStep is rules 4 and 5 between two consecutive views of
// a consumer group. Epochs only grow: the group's, the target's, and each
// member's while it keeps its id, except that a static member leaving for
// a while goes to -2. A partition reaches a member only from its target,
// and only once its old owner no longer holds it: it released it, or it is
// no member any more (it left or was fenced) — a static member rejoining
// takes over what its predecessor, gone at epoch -2 with the same instance
// id, held. A member is asked to revoke only what it held and its target
// no longer has. (That a member releases only what its consumer gave up is
// the Checker's to see: it needs the consumers' views.)
func CheckConsumerGroupStep(prev, next ConsumerGroupView) error {
	if err := errors.Join(prev.validate(), next.validate()); err != nil {
		return fmt.Errorf("consumer group: %w", err)
	}
	if next.Epoch < prev.Epoch || next.AssignmentEpoch < prev.AssignmentEpoch {
		return fmt.Errorf("epochs: consumer group %s went back from epoch %d (target %d) to %d (target %d)",
			next.GroupID, prev.Epoch, prev.AssignmentEpoch, next.Epoch, next.AssignmentEpoch)
	}
	heldBefore := map[TopicPartition]ConsumerMemberView{}
	for _, m := range prev.Members {
		for _, tp := range m.held() {
			heldBefore[tp] = m
		}
	}
	for _, m := range next.Members {
		was, existed := prev.Member(m.MemberID)
		if existed && m.Epoch < was.Epoch && m.Epoch != StaticLeaveEpoch {
			return fmt.Errorf("epochs: member %s went back from epoch %d to %d", m.MemberID, was.Epoch, m.Epoch)
		}
		if err := checkHandoff(next, m, was, existed, heldBefore); err != nil {
			return err
		}
	}
	return nil
}

// checkHandoff is rule 4 for one member of the next view.
func checkHandoff(next ConsumerGroupView, m, was ConsumerMemberView, existed bool, heldBefore map[TopicPartition]ConsumerMemberView) error {
	for _, tp := range m.held() {
		if existed && (was.Assigned.Has(tp) || was.PendingRevocation.Has(tp)) {
			continue
		}
		if !m.Target.Has(tp) {
			return fmt.Errorf("handoff: member %s was given %s, which its target %s does not hold", m.MemberID, tp, m.Target)
		}
		if o, held := heldBefore[tp]; held && o.MemberID != m.MemberID && !succeeds(m, o) && stillHolds(next, o.MemberID, tp) {
			return fmt.Errorf("handoff: member %s was given %s while %s still held it (assigned %s, revoking %s)",
				m.MemberID, tp, o.MemberID, o.Assigned, o.PendingRevocation)
		}
	}
	for _, tp := range m.PendingRevocation.Partitions() {
		if existed && was.PendingRevocation.Has(tp) {
			continue
		}
		if !existed || !was.Assigned.Has(tp) {
			return fmt.Errorf("handoff: member %s must revoke %s, which it did not hold", m.MemberID, tp)
		}
		if m.Target.Has(tp) {
			return fmt.Errorf("handoff: member %s must revoke %s, which its target %s keeps", m.MemberID, tp, m.Target)
		}
	}
	return nil
}

// CheckConsumerReleases is the other half of rule 4: the coordinator
// takes a partition from a member that stays in the group only in a step
// in which the member reported, in a heartbeat the coordinator answered,
// that it no longer owns it. reports holds, by member id, the owned
// partitions of the heartbeats answered in the step that carried them. A
// member that left — fenced, gone with epoch -1, or a static member gone
// for a while with -2 — gave its partitions up (its commits are fenced
// from then on).
//
// The report can be stale: a heartbeat in flight while its consumer takes
// a partition it was given reports it not owned, and the coordinator may
// then release it while the consumer holds it, until it reads the answer.
// That is Kafka's protocol (CurrentAssignmentBuilder trusts the report),
// so the rule is stated on reports, not on the consumers' views.
func CheckConsumerReleases(prev, next ConsumerGroupView, reports map[string]Assignment) error {
	for _, o := range prev.Members {
		m, ok := next.Member(o.MemberID)
		if !ok || m.Epoch == StaticLeaveEpoch {
			continue // fenced or left: its partitions are no longer its own
		}
		for _, tp := range o.held() {
			if m.Assigned.Has(tp) || m.PendingRevocation.Has(tp) {
				continue
			}
			if r, reported := reports[o.MemberID]; !reported || r.Has(tp) {
				return fmt.Errorf("handoff: the coordinator released %s from member %s, which did not report giving it up", tp, o.MemberID)
			}
		}
	}
	return nil
}

// stillHolds reports whether member id holds tp in v.
func stillHolds(v ConsumerGroupView, id string, tp TopicPartition) bool {
	m, ok := v.Member(id)
	return ok && (m.Assigned.Has(tp) || m.PendingRevocation.Has(tp))
}

// succeeds reports whether m is a static member taking the place of o,
// which left for a while (epoch -2) with the same instance id.
func succeeds(m, o ConsumerMemberView) bool {
	return m.InstanceID != "" && o.InstanceID == m.InstanceID && o.Epoch == StaticLeaveEpoch
}

// validate rejects a view no coordinator can be in: a member with an empty
// id, or one listed twice.
func (v ConsumerGroupView) validate() error {
	seen := map[string]bool{}
	for _, m := range v.Members {
		if m.MemberID == "" || seen[m.MemberID] {
			return fmt.Errorf("malformed view of consumer group %q: member id %q is empty or listed twice", v.GroupID, m.MemberID)
		}
		seen[m.MemberID] = true
	}
	return nil
}
