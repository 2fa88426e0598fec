package spec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Kafka's numbers, from org.apache.kafka.common.protocol.Errors.
func TestErrorCodesMatchKafka(t *testing.T) {
	want := map[string]int16{
		"NONE": 0, "UNKNOWN_SERVER_ERROR": -1, "OFFSET_METADATA_TOO_LARGE": 12, "COORDINATOR_NOT_AVAILABLE": 15,
		"NOT_COORDINATOR": 16, "ILLEGAL_GENERATION": 22, "INCONSISTENT_GROUP_PROTOCOL": 23, "UNKNOWN_MEMBER_ID": 25,
		"INVALID_SESSION_TIMEOUT": 26, "REBALANCE_IN_PROGRESS": 27, "GROUP_ID_NOT_FOUND": 69, "MEMBER_ID_REQUIRED": 79,
		"GROUP_MAX_SIZE_REACHED": 81, "FENCED_INSTANCE_ID": 82, "FENCED_MEMBER_EPOCH": 110,
		"UNRELEASED_INSTANCE_ID": 111, "STALE_MEMBER_EPOCH": 113,
	}
	for name, code := range want {
		c, err := ParseErrorCode(name)
		if err != nil || int16(c) != code || c.String() != name {
			t.Errorf("%s: parsed %d (%v), String %q; want %d", name, c, err, c.String(), code)
		}
	}
	if _, err := ParseErrorCode("NOT_AN_ERROR"); err == nil {
		t.Error("ParseErrorCode accepted an unknown name")
	}
	if c, err := ParseErrorCode("22"); err != nil || c != IllegalGeneration {
		t.Errorf("ParseErrorCode(22) = %v, %v", c, err)
	}
	if s := ErrorCode(999).String(); s != "ERROR(999)" {
		t.Errorf("unknown code prints %q", s)
	}
}

func TestTopicPartitionText(t *testing.T) {
	tp, err := ParseTopicPartition("my-topic-12")
	if err != nil || tp != (TopicPartition{"my-topic", 12}) || tp.String() != "my-topic-12" {
		t.Fatalf("got %v %v", tp, err)
	}
	for _, bad := range []string{"", "t", "t-", "-3", "t-x", "t-99999999999"} {
		if _, err := ParseTopicPartition(bad); err == nil {
			t.Errorf("ParseTopicPartition(%q) accepted", bad)
		}
	}
	a := AssignmentOf(tps("u-0", "t-2", "t-0"))
	if got := a.String(); got != "t[0 2] u[0]" {
		t.Errorf("Assignment.String = %q", got)
	}
	if Assignment(nil).String() != "-" {
		t.Error("empty assignment should print -")
	}
}

func TestMessageJSONRoundTrip(t *testing.T) {
	msgs := []Message{
		{From: "c1", To: CoordinatorNode, Correlation: 1, Body: &JoinGroupRequest{
			GroupID: "g", SessionTimeoutMs: 45000, RebalanceTimeoutMs: 300000, ProtocolType: "consumer", ClientID: "c1",
			Protocols: []Protocol{{Name: "range", Metadata: Subscription{Topics: []string{"t"}, GenerationID: -1,
				OwnedPartitions: tps("t-0")}}},
		}},
		{From: CoordinatorNode, To: "c1", Correlation: 1, Body: &JoinGroupResponse{ErrorCode: MemberIDRequired, MemberID: "c1-1"}},
		{From: CoordinatorNode, To: "c1", Correlation: 2, Body: &SyncGroupResponse{Assignment: MemberAssignment{Partitions: Assignment{"t": {0, 1}}}}},
		{From: "c1", To: CoordinatorNode, Correlation: 3, Body: &OffsetCommitRequest{GroupID: "g", GenerationID: 2, MemberID: "c1-1",
			Offsets: []OffsetCommitPartition{{TopicPartition{"t", 0}, 850, ""}}}},
		{From: CoordinatorNode, To: "c1", Correlation: 4, Body: &LeaveGroupResponse{Members: []LeaveGroupMemberResponse{{MemberID: "x", ErrorCode: UnknownMemberID}}}},
	}
	for _, m := range msgs {
		back := jsonRoundTrip(t, m)
		if back.String() != m.String() {
			t.Errorf("text form changed: %q vs %q", back.String(), m.String())
		}
	}
}

func TestMessageJSONRejectsBadInput(t *testing.T) {
	for _, in := range []string{
		`{"from":"c1","to":"coord","corr":1,"type":"Nope","body":{}}`,
		`{"from":"c1","to":"coord","corr":1,"type":"HeartbeatRequest","body":{"group_id":"g","surprise":1}}`,
		`{"from":"c1","to":"coord","corr":1,"type":"HeartbeatResponse","body":{"error_code":"NOT_A_CODE"}}`,
		`{"from":"c1","extra":true}`,
		`[1,2]`,
	} {
		var m Message
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("accepted %s", in)
		}
	}
}

func TestEventTextAndJSON(t *testing.T) {
	e := Event{At: 3000, Kind: EvAssigned, Node: "c1", Partitions: tps("t-0", "t-1"), Generation: 2}
	if got := e.String(); got != "@3000 c1 assigned t[0 1] gen=2" {
		t.Errorf("text form %q", got)
	}
	m := Message{From: "c1", To: CoordinatorNode, Correlation: 7, Body: &HeartbeatRequest{GroupID: "g", GenerationID: 2, MemberID: "c1-1"}}
	send := Event{At: 10, Kind: EvDeliver, Msg: &m}
	if got := send.String(); !strings.Contains(got, "c1->coord#7 Heartbeat member=c1-1 gen=2") {
		t.Errorf("text form %q", got)
	}
	for _, ev := range []Event{e, send} {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(ev, back); d != "" {
			t.Errorf("event round trip (-want +got):\n%s", d)
		}
	}
}

func TestTransitionsAreKafkas(t *testing.T) {
	allowed := map[[2]GroupState]bool{
		{PreparingRebalance, Empty}: true, {Stable, PreparingRebalance}: true, {CompletingRebalance, PreparingRebalance}: true,
		{Empty, PreparingRebalance}: true, {PreparingRebalance, CompletingRebalance}: true, {CompletingRebalance, Stable}: true,
	}
	for from := Empty; from <= Dead; from++ {
		for to := Empty; to <= Dead; to++ {
			want := allowed[[2]GroupState{from, to}] || to == Dead
			if CanTransition(from, to) != want {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, !want)
			}
		}
	}
}

// jsonRoundTrip writes v as JSON, reads it back strictly, and fails unless
// the result equals v.
func jsonRoundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back T
	if err := UnmarshalStrict(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if d := cmp.Diff(v, back); d != "" {
		t.Errorf("round trip of %s changed it (-want +got):\n%s", b, d)
	}
	return back
}
