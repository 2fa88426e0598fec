package serve

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/spec"
)

// From kgroup's responses back to kmsg's wire types, at the request's
// version (kmsg leaves out what a version lacks).

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// joinResponse; meta holds the leader's member list's metadata bytes, in
// the order of r.Members.
func joinResponse(req *kmsg.JoinGroupRequest, r *spec.JoinGroupResponse, meta [][]byte) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	resp.ErrorCode, resp.Generation, resp.LeaderID, resp.MemberID = int16(r.ErrorCode), r.GenerationID, r.Leader, r.MemberID
	resp.ProtocolType, resp.Protocol, resp.SkipAssignment = strPtr(r.ProtocolType), strPtr(r.ProtocolName), r.SkipAssignment
	if req.Version < 7 && resp.Protocol == nil {
		resp.Protocol = kmsg.StringPtr("") // a STRING before v7, never null
	}
	for i, m := range r.Members {
		resp.Members = append(resp.Members, kmsg.JoinGroupResponseMember{MemberID: m.MemberID, InstanceID: strPtr(m.GroupInstanceID), ProtocolMetadata: meta[i]})
	}
	return resp
}

func syncResponse(req *kmsg.SyncGroupRequest, r *spec.SyncGroupResponse, assignment []byte) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	resp.ErrorCode, resp.ProtocolType, resp.Protocol = int16(r.ErrorCode), strPtr(r.ProtocolType), strPtr(r.ProtocolName)
	resp.MemberAssignment = assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	return resp
}

func heartbeatResponse(req *kmsg.HeartbeatRequest, r *spec.HeartbeatResponse) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	resp.ErrorCode = int16(r.ErrorCode)
	return resp
}

// leaveResponse: before v3 the one member's error is the top-level error
// (Kafka's LeaveGroupResponse for version <= 2).
func leaveResponse(req *kmsg.LeaveGroupRequest, r *spec.LeaveGroupResponse) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	resp.ErrorCode = int16(r.ErrorCode)
	for _, m := range r.Members {
		resp.Members = append(resp.Members, kmsg.LeaveGroupResponseMember{MemberID: m.MemberID, InstanceID: strPtr(m.GroupInstanceID), ErrorCode: int16(m.ErrorCode)})
		if req.Version < 3 && resp.ErrorCode == 0 {
			resp.ErrorCode = int16(m.ErrorCode)
		}
	}
	return resp
}

// commitResponse groups the partitions by topic, in the request's order.
// kgroup's coordinator answers a commit to a group that does not exist, at
// a generation of 0 or more, GROUP_ID_NOT_FOUND, which is Kafka's answer
// on v9+; before v9 Kafka answers ILLEGAL_GENERATION
// (OffsetMetadataManager.validateOffsetCommit), and so does this.
func commitResponse(req *kmsg.OffsetCommitRequest, r *spec.OffsetCommitResponse) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	for _, p := range r.Partitions {
		code := p.ErrorCode
		if code == spec.GroupIDNotFound && req.Version < 9 {
			code = spec.IllegalGeneration
		}
		n := len(resp.Topics)
		if n == 0 || resp.Topics[n-1].Topic != p.Topic {
			resp.Topics = append(resp.Topics, kmsg.OffsetCommitResponseTopic{Topic: p.Topic})
			n++
		}
		t := &resp.Topics[n-1]
		t.Partitions = append(t.Partitions, kmsg.OffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: int16(code)})
	}
	return resp
}

// fetchResponse answers an OffsetFetch with one kgroup answer per group
// (one before v8). Before v2 there is no top-level error: it goes into
// every partition (Kafka's OffsetFetchResponse for version < 2).
func fetchResponse(req *kmsg.OffsetFetchRequest, rs []*spec.OffsetFetchResponse) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if req.Version >= 8 {
		for i, r := range rs {
			g := kmsg.OffsetFetchResponseGroup{Group: req.Groups[i].Group, ErrorCode: int16(r.ErrorCode)}
			for _, p := range r.Partitions {
				n := len(g.Topics)
				if n == 0 || g.Topics[n-1].Topic != p.Topic {
					g.Topics = append(g.Topics, kmsg.OffsetFetchResponseGroupTopic{Topic: p.Topic})
					n++
				}
				g.Topics[n-1].Partitions = append(g.Topics[n-1].Partitions, kmsg.OffsetFetchResponseGroupTopicPartition{
					Partition: p.Partition, Offset: p.Offset, LeaderEpoch: -1, Metadata: kmsg.StringPtr(p.Metadata), ErrorCode: int16(p.ErrorCode)})
			}
			resp.Groups = append(resp.Groups, g)
		}
		return resp
	}
	r := rs[0]
	resp.ErrorCode = int16(r.ErrorCode)
	for _, p := range r.Partitions {
		n := len(resp.Topics)
		if n == 0 || resp.Topics[n-1].Topic != p.Topic {
			resp.Topics = append(resp.Topics, kmsg.OffsetFetchResponseTopic{Topic: p.Topic})
			n++
		}
		code := p.ErrorCode
		if req.Version < 2 && code == spec.None {
			code = r.ErrorCode
		}
		resp.Topics[n-1].Partitions = append(resp.Topics[n-1].Partitions, kmsg.OffsetFetchResponseTopicPartition{
			Partition: p.Partition, Offset: p.Offset, LeaderEpoch: -1, Metadata: kmsg.StringPtr(p.Metadata), ErrorCode: int16(code)})
	}
	return resp
}

// cgHeartbeatResponse answers a ConsumerGroupHeartbeat: the assignment (nil
// is null: unchanged) names topics by id (topicID of the name), topics in
// name order and partitions ascending where Kafka's follow its HashMap.
func cgHeartbeatResponse(req *kmsg.ConsumerGroupHeartbeatRequest, r *spec.ConsumerGroupHeartbeatResponse) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	resp.ErrorCode, resp.ErrorMessage = int16(r.ErrorCode), strPtr(r.ErrorMessage)
	resp.MemberID, resp.MemberEpoch, resp.HeartbeatIntervalMillis = strPtr(r.MemberID), r.MemberEpoch, r.HeartbeatIntervalMs
	if r.Assignment != nil {
		a := &kmsg.ConsumerGroupHeartbeatResponseAssignment{Topics: []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{}}
		for _, t := range spec.SortedKeys(r.Assignment) {
			ps := slices.Clone(r.Assignment[t])
			slices.Sort(ps)
			a.Topics = append(a.Topics, kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{TopicID: topicID(t), Partitions: ps})
		}
		resp.Assignment = a
	}
	return resp
}
