package spec

import (
	"bytes"
	"testing"
)

// Text forms and canonical encodings at their edges (issue 9): every
// optional part of a line printed exactly when it is set, and every field
// that tells two states apart in the encoding.

func TestEdgeFormatBody(t *testing.T) {
	owned := Subscription{Topics: []string{"t", "u"}, OwnedPartitions: tps("t-0"), GenerationID: 0}
	for _, c := range []struct {
		body any
		want string
	}{
		{&JoinGroupRequest{MemberID: "", Protocols: nil, SessionTimeoutMs: 1, RebalanceTimeoutMs: 2},
			"JoinGroup member=- protocols=[] session=1 rebalance=2"},
		{&JoinGroupRequest{MemberID: "m", GroupInstanceID: "i", Protocols: []Protocol{{Name: "a", Metadata: owned}, {Name: "b"}}},
			"JoinGroup member=m instance=i protocols=[a b] topics=[t u] owned=t[0] owned-gen=0 session=0 rebalance=0"},
		{&JoinGroupRequest{Protocols: []Protocol{{Name: "a", Metadata: Subscription{GenerationID: -1}}}},
			"JoinGroup member=- protocols=[a] topics=[] session=0 rebalance=0"},
		{&JoinGroupResponse{ErrorCode: MemberIDRequired, MemberID: "m", GenerationID: 3},
			"JoinGroup MEMBER_ID_REQUIRED member=m"},
		{&JoinGroupResponse{MemberID: "m", GenerationID: 0, Leader: "l", ProtocolName: "p"},
			"JoinGroup NONE member=m gen=0 protocol=p leader=l"},
		{&JoinGroupResponse{MemberID: "l", Leader: "l", SkipAssignment: true, Members: []JoinGroupMember{{MemberID: "l"}, {MemberID: "x"}}},
			"JoinGroup NONE member=l gen=0 protocol= leader=l skip-assignment members=[l x]"},
		{&SyncGroupRequest{MemberID: "m", GenerationID: 2}, "SyncGroup member=m gen=2"},
		{&SyncGroupRequest{MemberID: "m", GenerationID: 2, Assignments: []SyncGroupAssignment{{MemberID: "m"}, {MemberID: "x",
			Assignment: MemberAssignment{Partitions: Assignment{"t": {1}}}}}}, "SyncGroup member=m gen=2 assignments={m=-, x=t[1]}"},
		{&SyncGroupResponse{Assignment: MemberAssignment{Partitions: Assignment{"t": {1}}}}, "SyncGroup NONE assignment=t[1]"},
		{&SyncGroupResponse{ErrorCode: RebalanceInProgress, Assignment: MemberAssignment{Partitions: Assignment{"t": {1}}}}, "SyncGroup REBALANCE_IN_PROGRESS"},
		{&HeartbeatRequest{MemberID: "m", GroupInstanceID: "i", GenerationID: -1}, "Heartbeat member=m instance=i gen=-1"},
		{&HeartbeatResponse{ErrorCode: IllegalGeneration}, "Heartbeat ILLEGAL_GENERATION"},
		{&LeaveGroupRequest{Members: []LeaveGroupMember{{MemberID: "a"}, {GroupInstanceID: "i"}}}, "LeaveGroup member=a member=- instance=i"},
		{&LeaveGroupResponse{Members: []LeaveGroupMemberResponse{{MemberID: "a"}, {ErrorCode: UnknownMemberID}}}, "LeaveGroup NONE a:NONE -:UNKNOWN_MEMBER_ID"},
		{&OffsetCommitRequest{MemberID: "m", GenerationID: 1, Offsets: []OffsetCommitPartition{{TopicPartition{"t", 0}, 5, ""}, {TopicPartition{"t", 1}, 0, "x"}}},
			"OffsetCommit member=m gen=1 t-0=5 t-1=0"},
		{&OffsetCommitResponse{}, "OffsetCommit NONE"},
		{&OffsetCommitResponse{Partitions: []OffsetCommitPartitionResponse{{TopicPartition{"t", 0}, None}, {TopicPartition{"t", 1}, IllegalGeneration}, {TopicPartition{"t", 2}, UnknownMemberID}}},
			"OffsetCommit ILLEGAL_GENERATION"},
		{&OffsetFetchRequest{Partitions: tps("t-0", "t-1")}, "OffsetFetch t[0 1]"},
		{&OffsetFetchResponse{Partitions: []OffsetFetchPartition{{TopicPartition: TopicPartition{"t", 0}, Offset: -1}}}, "OffsetFetch NONE t-0=-1"},
		{&Commit{MetadataBytes: 3}, "Commit metadata=3"},
		{struct{}{}, "struct {}"},
	} {
		if got := FormatBody(c.body); got != c.want {
			t.Errorf("FormatBody(%T)\n got %q\nwant %q", c.body, got, c.want)
		}
	}
	// OffsetCommit's code is its first failed partition's, None when all passed.
	for _, c := range []struct {
		codes []ErrorCode
		want  ErrorCode
	}{{nil, None}, {[]ErrorCode{None, None}, None}, {[]ErrorCode{UnknownMemberID}, UnknownMemberID}, {[]ErrorCode{None, None, FencedInstanceID}, FencedInstanceID}} {
		r := &OffsetCommitResponse{}
		for _, code := range c.codes {
			r.Partitions = append(r.Partitions, OffsetCommitPartitionResponse{ErrorCode: code})
		}
		if r.Code() != c.want {
			t.Errorf("%v: code %v, want %v", c.codes, r.Code(), c.want)
		}
	}
}

func TestEdgeEventString(t *testing.T) {
	m := Message{From: "c1", To: CoordinatorNode, Correlation: 2, Body: &HeartbeatResponse{}}
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{At: 0, Kind: EvInput, Detail: "tick 5"}, "@0 input tick 5"},
		{Event{At: -1, Kind: EvStart, Node: "c1"}, "@-1 c1 start"},
		{Event{Kind: EvDrop, Msg: &m}, "@0 drop c1->coord#2 Heartbeat NONE"},
		{Event{Kind: EvSend}, "@0 send"},
		{Event{Kind: EvCreateTopic, Topic: "t", Count: 3}, "@0 create-topic t=3"},
		{Event{Kind: EvAddPartitions, Topic: "t", Count: 0}, "@0 add-partitions t=0"},
		{Event{Kind: EvDeleteTopic, Topic: "t"}, "@0 delete-topic t"},
		{Event{Kind: EvConsume, Node: "c1", Count: 7}, "@0 c1 consume 7"},
		{Event{Kind: EvRevoked, Node: "c1", Partitions: tps("t-1")}, "@0 c1 revoked t[1]"},
		{Event{Kind: EvLost, Node: "c1"}, "@0 c1 lost -"},
		{Event{Kind: EvProcessed, Node: "c1", Partitions: tps("t-1"), Offset: 3, End: 9}, "@0 c1 processed t[1] [3,9)"},
		{Event{Kind: EvGroupState, Detail: "Stable", Generation: 4}, "@0 group-state Stable gen=4"},
		{Event{Kind: EvFailed, Node: "c1", Detail: "FENCED_INSTANCE_ID"}, "@0 c1 failed FENCED_INSTANCE_ID"},
		{Event{Kind: EvRefused, Node: "c1", Detail: "CommitFailedException"}, "@0 c1 refused CommitFailedException"},
		{Event{Kind: EvCommit, Node: "c1", Detail: "ignored"}, "@0 c1 commit"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestEdgeStateEncoding(t *testing.T) {
	f := StateFrame{Now: 100}
	if f.Rel(100) != 0 || f.Rel(99) != -1 || f.Rel(250) != 150 {
		t.Error("Rel is not the time since the frame's Now")
	}
	if f.CorrOf("c1", 7) != 7 {
		t.Error("a frame without Corr renumbers")
	}
	f.Corr = func(addr string, corr int32) int64 { return int64(len(addr))*1000 + int64(corr) }
	if f.CorrOf("c1", 7) != 2007 {
		t.Error("a frame's Corr is not applied")
	}
	// A message's correlation id is renumbered for the request's sender: the
	// From of a request, the To of a response.
	req := Message{From: "c1", To: CoordinatorNode, Correlation: 7, Body: &HeartbeatRequest{}}
	resp := Message{From: CoordinatorNode, To: "c1", Correlation: 7, Body: &HeartbeatResponse{}}
	owner := func(m Message) (got []string) {
		g := f
		g.Corr = func(addr string, corr int32) int64 { got = append(got, addr); return int64(corr) }
		AppendMessage(nil, m, g)
		return got
	}
	if a, b := owner(req), owner(resp); len(a) != 1 || a[0] != "c1" || len(b) != 1 || b[0] != "c1" {
		t.Errorf("renumbered for %v and %v, want c1 both times", a, b)
	}
	// OffsetFetch of all partitions (nil) and of none (empty) differ.
	if bytes.Equal(AppendBody(nil, &OffsetFetchRequest{}), AppendBody(nil, &OffsetFetchRequest{Partitions: []TopicPartition{}})) {
		t.Error("OffsetFetch of all partitions encodes as one of none")
	}
	// The layout is pinned on that body, so that a change to it is made on
	// purpose: its tag, the group, the member id and epoch (v9+), a flag set
	// for all partitions (nil), then the partitions (varints, signed ones
	// zigzagged).
	for _, c := range []struct {
		parts []TopicPartition
		want  []byte
	}{
		{nil, []byte{11, 1, 'g', 0, 0, 2, 0}},
		{[]TopicPartition{}, []byte{11, 1, 'g', 0, 0, 0, 0}},
		{tps("t-3"), []byte{11, 1, 'g', 0, 0, 0, 1, 1, 't', 6}},
	} {
		if got := AppendBody(nil, &OffsetFetchRequest{GroupID: "g", Partitions: c.parts}); !bytes.Equal(got, c.want) {
			t.Errorf("OffsetFetch of %v encodes as %v, want %v", c.parts, got, c.want)
		}
	}
	// Assignments encode alike in any order, nil as empty.
	if !bytes.Equal(AppendAssignment(nil, nil), AppendAssignment(nil, Assignment{})) ||
		!bytes.Equal(AppendAssignment(nil, Assignment{"u": {0}, "t": {1}}), AppendAssignment(nil, Assignment{"t": {1}, "u": {0}})) {
		t.Error("equal assignments encode differently")
	}
	if KeyNone != -1 || UnknownServerError != -1 {
		t.Error("KeyNone and UNKNOWN_SERVER_ERROR are -1")
	}
}
