package spec

import (
	"fmt"
)

// Rule 2 of DESIGN.md §5: zombies are fenced.

// CheckFencing is rule 2, applied to every response a coordinator sends, with
// after the group's view right after the coordinator produced it and req the
// request it answers. A successful answer is a grant, and only a current
// member of the current generation may be granted anything:
//
//   - OffsetCommit with any partition accepted: the member is in the group and
//     the request's generation is the group's, in Stable or PreparingRebalance;
//     or the group is Empty and the generation is negative (a consumer that
//     assigns itself partitions).
//   - SyncGroup NONE: the member is in the group, the generation is the
//     group's, the group is Stable, and the assignment returned is the one the
//     group holds for that member.
//   - Heartbeat NONE: the member is in the group at the group's generation, in
//     Stable or CompletingRebalance.
//   - JoinGroup NONE: the returned member is in the group and the returned
//     generation is the group's.
//
// In every case a request that names an instance id must come from the member
// that holds that instance id. A response that cannot answer req (nil, or of
// another API) and a malformed view are errors too.
func CheckFencing(after GroupView, req Request, resp Response) error {
	return checkFencing(after, req, resp, true)
}

// checkFencing is CheckFencing; validate false skips validating the view,
// which the caller has validated before.
func checkFencing(after GroupView, req Request, resp Response, validate bool) error {
	switch {
	case req == nil || resp == nil:
		return fmt.Errorf("fencing: malformed input: request %T, response %T", req, resp)
	case req.Key() != resp.Key():
		return fmt.Errorf("fencing: malformed input: a %s response cannot answer a %s request", resp.Key(), req.Key())
	}
	if validate {
		if err := after.validate(); err != nil {
			return fmt.Errorf("fencing: %w", err)
		}
	}
	if resp.Code() != None && resp.Key() != KeyOffsetCommit {
		return nil
	}
	fail := func(why string) error {
		return fmt.Errorf("fencing: %s answered with success although %s (group %s at generation %d)",
			FormatBody(req), why, after.State, after.Generation)
	}
	switch r := req.(type) {
	case *OffsetCommitRequest:
		cr, ok := resp.(*OffsetCommitResponse)
		if !ok {
			return mismatched(req, resp)
		}
		if !anyAccepted(cr) || (after.State == Empty && r.GenerationID < 0) {
			return nil
		}
		if after.State != Stable && after.State != PreparingRebalance {
			return fail("commits are only accepted in Stable and PreparingRebalance")
		}
		return checkCurrent(after, r.MemberID, r.GroupInstanceID, r.GenerationID, fail)
	case *SyncGroupRequest:
		sr, ok := resp.(*SyncGroupResponse)
		if !ok {
			return mismatched(req, resp)
		}
		if after.State != Stable {
			return fail("the group is not Stable")
		}
		if err := checkCurrent(after, r.MemberID, r.GroupInstanceID, r.GenerationID, fail); err != nil {
			return err
		}
		m, _ := after.Member(r.MemberID)
		if got := sr.Assignment.Partitions; !got.Equal(m.Assignment) {
			return fail(fmt.Sprintf("it returned %s but the group holds %s for the member", got, m.Assignment))
		}
	case *HeartbeatRequest:
		if after.State != Stable && after.State != CompletingRebalance {
			return fail("heartbeats only succeed in Stable and CompletingRebalance")
		}
		return checkCurrent(after, r.MemberID, r.GroupInstanceID, r.GenerationID, fail)
	case *JoinGroupRequest:
		jr, ok := resp.(*JoinGroupResponse)
		if !ok {
			return mismatched(req, resp)
		}
		return checkCurrent(after, jr.MemberID, r.GroupInstanceID, jr.GenerationID, fail)
	}
	return nil
}

func mismatched(req Request, resp Response) error {
	return fmt.Errorf("fencing: malformed input: a %T cannot answer a %T", resp, req)
}

func checkCurrent(g GroupView, memberID, instanceID string, gen int32, fail func(string) error) error {
	m, ok := g.Member(memberID)
	switch {
	case !ok:
		return fail(fmt.Sprintf("%q is not a member", memberID))
	case gen != g.Generation:
		return fail(fmt.Sprintf("generation %d is not the group's", gen))
	case instanceID != "" && m.InstanceID != instanceID:
		return fail(fmt.Sprintf("instance %q is not held by %s", instanceID, memberID))
	}
	return nil
}

func anyAccepted(r *OffsetCommitResponse) bool {
	for _, p := range r.Partitions {
		if p.ErrorCode == None {
			return true
		}
	}
	return false
}
