package spec

import "fmt"

// CheckConsumerFencing is rule 2 for one response of the coordinator to a
// request about a KIP-848 consumer group, with after the group's view
// right after the coordinator produced it:
//
//   - an OffsetCommit with any partition accepted came from a member whose
//     current epoch is the request's exactly (Kafka's STALE_MEMBER_EPOCH),
//     or from outside the group (epoch < 0) while it has no members;
//   - an OffsetFetch answered without error that names a member came from a
//     member at its current epoch;
//   - a successful ConsumerGroupHeartbeat other than a leave answers a
//     member the group counts, with its epoch, and an assignment, if any,
//     that is exactly what the member is assigned — so no member outside
//     the group or behind its epoch is granted partitions.
//
// A response that cannot answer req, and a malformed view, are errors too.
func CheckConsumerFencing(after ConsumerGroupView, req Request, resp Response) error {
	switch {
	case req == nil || resp == nil:
		return fmt.Errorf("fencing: malformed input: request %T, response %T", req, resp)
	case req.Key() != resp.Key():
		return fmt.Errorf("fencing: malformed input: a %s response cannot answer a %s request", resp.Key(), req.Key())
	}
	if err := after.validate(); err != nil {
		return fmt.Errorf("fencing: %w", err)
	}
	fail := func(why string) error {
		return fmt.Errorf("fencing: %s answered with success although %s (consumer group %s at epoch %d)",
			FormatBody(req), why, after.State, after.Epoch)
	}
	switch r := req.(type) {
	case *OffsetCommitRequest:
		cr, ok := resp.(*OffsetCommitResponse)
		switch {
		case !ok:
			return mismatched(req, resp)
		case !anyAccepted(cr) || (r.GenerationID < 0 && len(after.Members) == 0):
			return nil
		}
		return currentEpoch(after, r.MemberID, r.GenerationID, fail)
	case *OffsetFetchRequest:
		if resp.Code() != None || r.MemberID == "" {
			return nil
		}
		return currentEpoch(after, r.MemberID, r.MemberEpoch, fail)
	case *ConsumerGroupHeartbeatRequest:
		hr, ok := resp.(*ConsumerGroupHeartbeatResponse)
		switch {
		case !ok:
			return mismatched(req, resp)
		case hr.ErrorCode != None || hr.MemberEpoch < 0:
			return nil
		}
		m, ok := after.Member(hr.MemberID)
		switch {
		case !ok:
			return fail(fmt.Sprintf("%q is not a member", hr.MemberID))
		case m.Epoch != hr.MemberEpoch:
			return fail(fmt.Sprintf("the member is at epoch %d, not %d", m.Epoch, hr.MemberEpoch))
		case hr.Assignment != nil && !hr.Assignment.Equal(m.Assigned):
			return fail(fmt.Sprintf("it grants %s but the member is assigned %s", hr.Assignment, m.Assigned))
		}
	}
	return nil
}

// currentEpoch: member id is in the group at exactly this epoch.
func currentEpoch(v ConsumerGroupView, id string, epoch int32, fail func(string) error) error {
	m, ok := v.Member(id)
	switch {
	case !ok:
		return fail(fmt.Sprintf("%q is not a member", id))
	case m.Epoch != epoch:
		return fail(fmt.Sprintf("the member is at epoch %d", m.Epoch))
	}
	return nil
}
