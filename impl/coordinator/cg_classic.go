package coordinator

import (
	"github.com/kgroup/kgroup/spec"
)

// classicToConsumerGroup answers a classic-protocol request for a group id
// that names a consumer group, and reports whether it did. An Empty
// consumer group gives way to a JoinGroup, which then makes a classic
// group (Kafka's classicGroupJoinToClassicGroup deletes it); a non-empty
// one refuses classic members: Kafka takes them in (the online upgrade
// path, classicGroupJoinToConsumerGroup), which kgroup does not model, so
// it answers INCONSISTENT_GROUP_PROTOCOL as Kafka does for a member whose
// protocols the group cannot take. SyncGroup and Heartbeat get
// UNKNOWN_MEMBER_ID and LeaveGroup names every member unknown, as Kafka
// answers for members that are not classic members of the group.
func (c *Coordinator) classicToConsumerGroup(p parked, req spec.Request) bool {
	g, ok := c.cgroups[req.Group()]
	if !ok {
		return false
	}
	switch r := req.(type) {
	case *spec.JoinGroupRequest:
		if len(g.members) > 0 {
			c.respond(p, &spec.JoinGroupResponse{ErrorCode: spec.InconsistentGroupProtocol, GenerationID: -1, MemberID: r.MemberID})
			return true
		}
		c.commitCG(cgDeleteGroupRecords(g))
		return false
	case *spec.SyncGroupRequest:
		c.respond(p, &spec.SyncGroupResponse{ErrorCode: spec.UnknownMemberID})
	case *spec.HeartbeatRequest:
		c.respond(p, heartbeatAnswer(spec.UnknownMemberID))
	case *spec.LeaveGroupRequest:
		resp := &spec.LeaveGroupResponse{}
		for _, m := range r.Members {
			resp.Members = append(resp.Members, spec.LeaveGroupMemberResponse{MemberID: m.MemberID,
				GroupInstanceID: m.GroupInstanceID, ErrorCode: spec.UnknownMemberID})
		}
		c.respond(p, resp)
	default:
		return false
	}
	return true
}

// DescribeConsumerGroup returns the consumer group's view, and false if no
// consumer group has this id.
func (c *Coordinator) DescribeConsumerGroup(groupID string) (spec.ConsumerGroupView, bool) {
	g, ok := c.cgroups[groupID]
	if !ok {
		return spec.ConsumerGroupView{GroupID: groupID}, false
	}
	return g.view(), true
}

// DescribeConsumerMembers is DescribeConsumerGroup restricted to the
// members with these ids (those absent are left out), for a checker that
// compares only what a step changed.
func (c *Coordinator) DescribeConsumerMembers(groupID string, ids []string) (spec.ConsumerGroupView, bool) {
	g, ok := c.cgroups[groupID]
	if !ok {
		return spec.ConsumerGroupView{GroupID: groupID}, false
	}
	return g.viewOf(ids), true
}

// ConsumerGroupSize is the consumer group's member count, 0 if no
// consumer group has this id.
func (c *Coordinator) ConsumerGroupSize(groupID string) int {
	if g, ok := c.cgroups[groupID]; ok {
		return len(g.members)
	}
	return 0
}
