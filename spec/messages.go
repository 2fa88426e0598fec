package spec

// The requests and responses of the classic group protocol, field for field
// the parts of Kafka's JoinGroup (v5+), SyncGroup, Heartbeat, LeaveGroup (v3+),
// OffsetCommit and OffsetFetch messages that group membership depends on.
// Member metadata and assignments travel decoded (Subscription,
// MemberAssignment) instead of as the consumer protocol's bytes.

// Request is a request to the group coordinator.
type Request interface {
	// Key is the request's API key, e.g. KeyJoinGroup.
	Key() APIKey
	// Group is the group id the request is for.
	Group() string
}

// Response is the coordinator's answer to one Request.
type Response interface {
	// Key is the API key of the request it answers.
	Key() APIKey
	// Code is the top-level error code (None on success). For OffsetCommit,
	// which has only per-partition codes, it is the first non-None one.
	Code() ErrorCode
}

// JoinGroupRequest asks to join (or rejoin) a group.
type JoinGroupRequest struct {
	GroupID            string `json:"group_id"`
	SessionTimeoutMs   int32  `json:"session_timeout_ms"`
	RebalanceTimeoutMs int32  `json:"rebalance_timeout_ms"`
	// MemberID is "" on a member's first join.
	MemberID        string `json:"member_id"`
	GroupInstanceID string `json:"group_instance_id,omitempty"`
	ProtocolType    string `json:"protocol_type"`
	// Protocols are in the member's order of preference.
	Protocols []Protocol `json:"protocols"`
	// ClientID is the request header's client id; the coordinator builds new
	// member ids from it.
	ClientID string `json:"client_id"`
	Reason   string `json:"reason,omitempty"`
}

// JoinGroupMember is one member as the leader's JoinGroup response lists it.
type JoinGroupMember struct {
	MemberID        string       `json:"member_id"`
	GroupInstanceID string       `json:"group_instance_id,omitempty"`
	Metadata        Subscription `json:"metadata"`
}

// JoinGroupResponse answers a JoinGroup; for a parked join, when the join
// phase completes.
type JoinGroupResponse struct {
	ErrorCode      ErrorCode         `json:"error_code"`
	GenerationID   int32             `json:"generation_id"`
	ProtocolType   string            `json:"protocol_type,omitempty"`
	ProtocolName   string            `json:"protocol_name,omitempty"`
	Leader         string            `json:"leader"`
	SkipAssignment bool              `json:"skip_assignment,omitempty"`
	MemberID       string            `json:"member_id"`
	Members        []JoinGroupMember `json:"members,omitempty"`
}

// MemberAssignment is one member's assignment: the decoded form of Kafka's
// ConsumerProtocolAssignment.
type MemberAssignment struct {
	Partitions Assignment `json:"partitions"`
	UserData   []byte     `json:"user_data,omitempty"`
}

// SyncGroupAssignment is the leader's assignment for one member.
type SyncGroupAssignment struct {
	MemberID   string           `json:"member_id"`
	Assignment MemberAssignment `json:"assignment"`
}

// SyncGroupRequest completes a join; the leader carries everyone's assignment.
type SyncGroupRequest struct {
	GroupID         string                `json:"group_id"`
	GenerationID    int32                 `json:"generation_id"`
	MemberID        string                `json:"member_id"`
	GroupInstanceID string                `json:"group_instance_id,omitempty"`
	ProtocolType    string                `json:"protocol_type,omitempty"`
	ProtocolName    string                `json:"protocol_name,omitempty"`
	Assignments     []SyncGroupAssignment `json:"assignments,omitempty"`
}

// SyncGroupResponse carries the member's assignment.
type SyncGroupResponse struct {
	ErrorCode    ErrorCode        `json:"error_code"`
	ProtocolType string           `json:"protocol_type,omitempty"`
	ProtocolName string           `json:"protocol_name,omitempty"`
	Assignment   MemberAssignment `json:"assignment"`
}

// HeartbeatRequest keeps a member's session alive.
type HeartbeatRequest struct {
	GroupID         string `json:"group_id"`
	GenerationID    int32  `json:"generation_id"`
	MemberID        string `json:"member_id"`
	GroupInstanceID string `json:"group_instance_id,omitempty"`
}

// HeartbeatResponse answers a heartbeat.
type HeartbeatResponse struct {
	ErrorCode ErrorCode `json:"error_code"`
}

// LeaveGroupMember identifies one leaving member. A static member may be
// removed by instance id alone, with MemberID "" (the admin path).
type LeaveGroupMember struct {
	MemberID        string `json:"member_id"`
	GroupInstanceID string `json:"group_instance_id,omitempty"`
	Reason          string `json:"reason,omitempty"`
}

// LeaveGroupRequest removes members, in a batch (LeaveGroup v3+).
type LeaveGroupRequest struct {
	GroupID string             `json:"group_id"`
	Members []LeaveGroupMember `json:"members"`
}

// LeaveGroupMemberResponse is the outcome for one leaving member.
type LeaveGroupMemberResponse struct {
	MemberID        string    `json:"member_id"`
	GroupInstanceID string    `json:"group_instance_id,omitempty"`
	ErrorCode       ErrorCode `json:"error_code"`
}

// LeaveGroupResponse has a top-level error and one outcome per member.
type LeaveGroupResponse struct {
	ErrorCode ErrorCode                  `json:"error_code"`
	Members   []LeaveGroupMemberResponse `json:"members,omitempty"`
}

// OffsetCommitPartition is one partition's offset to commit: the offset of the
// next record to consume.
type OffsetCommitPartition struct {
	TopicPartition
	Offset   int64  `json:"offset"`
	Metadata string `json:"metadata,omitempty"`
}

// OffsetCommitRequest commits offsets. GenerationID -1 with no member id is a
// commit from a consumer that assigns partitions itself (no group membership).
type OffsetCommitRequest struct {
	GroupID         string                  `json:"group_id"`
	GenerationID    int32                   `json:"generation_id"`
	MemberID        string                  `json:"member_id"`
	GroupInstanceID string                  `json:"group_instance_id,omitempty"`
	Offsets         []OffsetCommitPartition `json:"offsets"`
}

// OffsetCommitPartitionResponse is one partition's outcome.
type OffsetCommitPartitionResponse struct {
	TopicPartition
	ErrorCode ErrorCode `json:"error_code"`
}

// OffsetCommitResponse has only per-partition outcomes, as Kafka's does.
type OffsetCommitResponse struct {
	Partitions []OffsetCommitPartitionResponse `json:"partitions"`
}

// OffsetFetchRequest reads committed offsets; Partitions nil means all.
type OffsetFetchRequest struct {
	GroupID    string           `json:"group_id"`
	Partitions []TopicPartition `json:"partitions"`
	// MemberID and MemberEpoch (v9+) identify a consumer group member, whose
	// epoch the coordinator checks; MemberID "" with MemberEpoch -1 (Kafka's
	// null and default) is the admin path.
	MemberID    string `json:"member_id,omitempty"`
	MemberEpoch int32  `json:"member_epoch,omitempty"`
}

// OffsetFetchPartition is one partition's committed offset, -1 if none.
type OffsetFetchPartition struct {
	TopicPartition
	Offset    int64     `json:"offset"`
	Metadata  string    `json:"metadata,omitempty"`
	ErrorCode ErrorCode `json:"error_code"`
}

// OffsetFetchResponse answers an OffsetFetch.
type OffsetFetchResponse struct {
	ErrorCode  ErrorCode              `json:"error_code"`
	Partitions []OffsetFetchPartition `json:"partitions"`
}

func (*JoinGroupRequest) Key() APIKey    { return KeyJoinGroup }
func (*SyncGroupRequest) Key() APIKey    { return KeySyncGroup }
func (*HeartbeatRequest) Key() APIKey    { return KeyHeartbeat }
func (*LeaveGroupRequest) Key() APIKey   { return KeyLeaveGroup }
func (*OffsetCommitRequest) Key() APIKey { return KeyOffsetCommit }
func (*OffsetFetchRequest) Key() APIKey  { return KeyOffsetFetch }

func (r *JoinGroupRequest) Group() string    { return r.GroupID }
func (r *SyncGroupRequest) Group() string    { return r.GroupID }
func (r *HeartbeatRequest) Group() string    { return r.GroupID }
func (r *LeaveGroupRequest) Group() string   { return r.GroupID }
func (r *OffsetCommitRequest) Group() string { return r.GroupID }
func (r *OffsetFetchRequest) Group() string  { return r.GroupID }

func (*JoinGroupResponse) Key() APIKey    { return KeyJoinGroup }
func (*SyncGroupResponse) Key() APIKey    { return KeySyncGroup }
func (*HeartbeatResponse) Key() APIKey    { return KeyHeartbeat }
func (*LeaveGroupResponse) Key() APIKey   { return KeyLeaveGroup }
func (*OffsetCommitResponse) Key() APIKey { return KeyOffsetCommit }
func (*OffsetFetchResponse) Key() APIKey  { return KeyOffsetFetch }

func (r *JoinGroupResponse) Code() ErrorCode   { return r.ErrorCode }
func (r *SyncGroupResponse) Code() ErrorCode   { return r.ErrorCode }
func (r *HeartbeatResponse) Code() ErrorCode   { return r.ErrorCode }
func (r *LeaveGroupResponse) Code() ErrorCode  { return r.ErrorCode }
func (r *OffsetFetchResponse) Code() ErrorCode { return r.ErrorCode }
func (r *OffsetCommitResponse) Code() ErrorCode {
	for _, p := range r.Partitions {
		if p.ErrorCode != None {
			return p.ErrorCode
		}
	}
	return None
}
