package spec

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMemberFindsUnsortedMembers: a view whose members are not sorted still
// answers Member for every one of them, so a double owner is never missed.
func TestMemberFindsUnsortedMembers(t *testing.T) {
	g := group(Stable, 3, member("c", t1, "t-1"), member("a", t1, "t-0"), member("b", t1))
	for _, id := range []string{"a", "b", "c"} {
		if _, ok := g.Member(id); !ok {
			t.Errorf("Member(%q) missed it in an unsorted view", id)
		}
	}
	if _, ok := g.Member("zz"); ok {
		t.Error("Member found a member that is not there")
	}
	// The ownership rule sees both owners of t-0 whatever the order.
	s := Snapshot{Group: g, Consumers: []ConsumerView{consumer("c1", "c", 3, "t-0"), consumer("c2", "a", 3, "t-0")}}
	wantErr(t, CheckExclusiveOwnership(s), "t-0 is owned by both")
}

// TestPredicatesRejectMalformedInput: predicates answer malformed input
// with an error that says so, never a panic.
func TestPredicatesRejectMalformedInput(t *testing.T) {
	dup := group(Stable, 1, member("a", t1), member("a", t1))
	wantErr(t, CheckExclusiveOwnership(Snapshot{Group: dup}), "member a is listed twice")
	wantErr(t, CheckSettled(Snapshot{Group: dup}), "listed twice")
	wantErr(t, CheckStableGeneration(Snapshot{Group: group(Stable, 1, member("", t1))}), "empty id")
	twice := Snapshot{Group: group(Stable, 1), Consumers: []ConsumerView{consumer("c1", "", 0), consumer("c1", "", 0)}}
	wantErr(t, CheckGenerations(twice, twice), `consumer "c1" is listed twice`)

	ok := group(Stable, 1, member("a", t1))
	hb := &HeartbeatRequest{GroupID: "g", MemberID: "a", GenerationID: 1}
	wantErr(t, CheckFencing(ok, nil, &HeartbeatResponse{}), "malformed input")
	wantErr(t, CheckFencing(ok, hb, nil), "malformed input")
	wantErr(t, CheckFencing(ok, hb, &SyncGroupResponse{}), "a SyncGroup response cannot answer a Heartbeat request")
	wantErr(t, CheckFencing(ok, &SyncGroupRequest{MemberID: "a", GenerationID: 1}, fakeSync{}), "cannot answer")
	wantErr(t, CheckFencing(dup, hb, &HeartbeatResponse{}), "listed twice")
	wantOK(t, CheckFencing(ok, hb, &HeartbeatResponse{}))

	ck := NewChecker("g")
	ck.Event(Event{At: 5, Kind: EvProcessed, Node: "c1"})
	wantErr(t, ck.Err(), "at 5: checker: a processed event names 0 partitions")
	ck = NewChecker("g")
	ck.Request(1, Message{From: "c1", Body: &HeartbeatResponse{}})
	wantErr(t, ck.Err(), "is not a request")
	ck = NewChecker("g")
	ck.Response(2, ok, Message{To: "c1", Correlation: 9, Body: &HeartbeatResponse{}})
	wantErr(t, ck.Err(), "which nobody asked")
}

// fakeSync is another implementation's SyncGroup response type.
type fakeSync struct{}

func (fakeSync) Key() APIKey     { return KeySyncGroup }
func (fakeSync) Code() ErrorCode { return None }

// TestSnapshotJSONRoundTrip: a snapshot, committed offsets included, reads
// back from its JSON exactly; duplicates and unknown fields are refused.
func TestSnapshotJSONRoundTrip(t *testing.T) {
	s := Snapshot{At: 1234, Topics: map[string]int32{"t": 2, "u": 1},
		Group: GroupView{GroupID: "g", State: Stable, Generation: 4, Protocol: "range", Leader: "a",
			Members: []MemberView{{MemberID: "a", InstanceID: "i-a", Topics: t1, Assignment: Assignment{"t": {0, 1}}}}},
		Consumers: []ConsumerView{{Name: "c1", Alive: true, MemberID: "a", Generation: 4, State: ClientStable,
			Owned: tps("t-0", "t-1"), Protocol: Cooperative, RejoinNeeded: true}},
		Committed: map[TopicPartition]int64{{"t", 0}: 17, {"u", 0}: 3}}
	back := jsonRoundTrip(t, s)
	for _, bad := range []string{
		`{"at":1,"committed":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}`,
		`{"at":1,"extra":true}`, `{"at":1}]`,
	} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

// TestLocalInputsAreMessages: the state machines' local inputs have JSON and
// text forms like any message.
func TestLocalInputsAreMessages(t *testing.T) {
	tp := TopicPartition{"t", 1}
	for _, body := range []any{&Tick{}, &FireTimer{}, &Unload{}, &Stall{}, &Unstall{}, &Close{},
		&MetadataUpdate{Topics: map[string]int32{"t": 3}}, &Consume{Records: 5, Partition: &tp}, &Commit{MetadataBytes: 7}} {
		if !IsLocalInput(body) {
			t.Errorf("%T is not a local input", body)
		}
		m := Message{To: "c1", Body: body}
		if m.Key() != KeyNone {
			t.Errorf("%T has API key %v", body, m.Key())
		}
		jsonRoundTrip(t, m)
	}
	if got := FormatBody(&Consume{Records: 5, Partition: &tp}); got != "Consume 5 t-1" {
		t.Errorf("text form %q", got)
	}
}

// Kafka's numbers, from org.apache.kafka.common.protocol.ApiKeys.
func TestAPIKeysMatchKafka(t *testing.T) {
	want := map[APIKey]int16{KeyProduce: 0, KeyFetch: 1, KeyListOffsets: 2, KeyMetadata: 3, KeyOffsetCommit: 8,
		KeyOffsetFetch: 9, KeyFindCoordinator: 10, KeyJoinGroup: 11, KeyHeartbeat: 12, KeyLeaveGroup: 13,
		KeySyncGroup: 14, KeyAPIVersions: 18, KeyConsumerGroupHeartbeat: 68}
	for k, n := range want {
		if int16(k) != n {
			t.Errorf("%v is %d, Kafka's is %d", k, int16(k), n)
		}
	}
	reqs := map[Request]APIKey{&JoinGroupRequest{}: KeyJoinGroup, &SyncGroupRequest{}: KeySyncGroup,
		&HeartbeatRequest{}: KeyHeartbeat, &LeaveGroupRequest{}: KeyLeaveGroup,
		&OffsetCommitRequest{}: KeyOffsetCommit, &OffsetFetchRequest{}: KeyOffsetFetch}
	for r, k := range reqs {
		if r.Key() != k {
			t.Errorf("%T has key %v", r, r.Key())
		}
	}
	if KeyJoinGroup.String() != "JoinGroup" || APIKey(999).String() != "APIKey(999)" {
		t.Error("API key names")
	}
}

// TestDocExampleIsTheTestedOne: the example in the package documentation is
// ExampleChecker's body, line for line, so the documented code is the code
// that runs.
func TestDocExampleIsTheTestedOne(t *testing.T) {
	doc, err1 := os.ReadFile("doc.go")
	ex, err2 := os.ReadFile("example_test.go")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	var documented []string
	for _, line := range strings.Split(string(doc), "\n") {
		if code, ok := strings.CutPrefix(line, "//\t"); ok && !strings.HasPrefix(code, "// ") {
			documented = append(documented, strings.TrimSpace(code))
		}
	}
	body := string(ex)
	body = body[strings.Index(body, "func ExampleChecker() {")+len("func ExampleChecker() {"):]
	body = body[:strings.Index(body, "// Output:")]
	var tested []string
	for _, line := range strings.Split(body, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			tested = append(tested, line)
		}
	}
	if d := cmp.Diff(tested, documented); d != "" {
		t.Fatalf("doc.go's example is not ExampleChecker's body (-tested +documented):\n%s", d)
	}
	if len(tested) < 10 || len(tested) > 15 {
		t.Fatalf("the example has %d lines", len(tested))
	}
}

// TestPredicatesTakeZeroValues: every exported predicate answers zero and
// nil arguments without a panic.
func TestPredicatesTakeZeroValues(t *testing.T) {
	var s Snapshot
	var l *Ledger
	calls := map[string]func() error{
		"CheckExclusiveOwnership": func() error { return CheckExclusiveOwnership(s) },
		"CheckAssignment":         func() error { return CheckAssignment(nil, nil, nil, false) },
		"CheckBalance":            func() error { return CheckBalance(nil, nil) },
		"CheckBalancePerTopic":    func() error { return CheckBalancePerTopic(nil, nil) },
		"CheckFencing":            func() error { return CheckFencing(GroupView{}, nil, nil) },
		"CheckOffsetsMonotonic":   func() error { return CheckOffsetsMonotonic(nil, nil, nil) },
		"CheckCommittedProcessed": func() error { return CheckCommittedProcessed(map[TopicPartition]int64{{"t", 0}: 1}, l) },
		"Ledger.Process":          func() error { return l.Process(TopicPartition{}, 0, 1) },
		"CheckTransition":         func() error { return CheckTransition(0, 0, 0, 0) },
		"CheckGenerations":        func() error { return CheckGenerations(s, s) },
		"CheckStableGeneration":   func() error { return CheckStableGeneration(s) },
		"CheckCooperativePlan":    func() error { return CheckCooperativePlan(nil, nil) },
		"CheckCooperativeRevoke":  func() error { return CheckCooperativeRevoke(nil, nil, nil) },
		"CheckSettled":            func() error { return CheckSettled(s) },
		"CheckConverged":          func() error { return CheckConverged(s) },
		"CheckSnapshot":           func() error { return CheckSnapshot(s) },
	}
	for name, call := range calls {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked on zero values: %v", name, r)
				}
			}()
			_ = call()
		}()
	}
	wantErr(t, CheckCommittedProcessed(map[TopicPartition]int64{{"t", 0}: 1}, nil), "only processed up to 0")
}
