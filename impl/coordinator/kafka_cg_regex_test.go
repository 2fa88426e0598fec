package coordinator

// Regex subscriptions (KIP-848, Kafka 4.0; cg_regex.go). The first test
// mirrors GroupMetadataManagerTest.testConsumerHeartbeatRegexValidation
// (Kafka 4.0); the others are kgroup's, named for what they check, with
// the server's range assignor instead of the mock one: Kafka's tests of
// the asynchronous resolution (MockCoordinatorExecutor) have no synchronous
// counterpart to mirror step by step. Every heartbeat is followed by the
// harness's record-replay check.

import (
	"slices"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// regex sets the request's SubscribedTopicRegex.
func (b *cgReq) regex(re string) *cgReq { b.r.SubscribedTopicRegex = spec.Str(re); return b }

// cgJoinRegex is a first heartbeat subscribing with a regex only.
func cgJoinRegex(group, member, re string) *cgReq {
	b := cgJoin(group, member)
	b.r.SubscribedTopicNames = nil
	return b.regex(re)
}

// newRegexHarness is a harness whose targets the server's range assignor
// computes.
func newRegexHarness(t *testing.T, topics map[string]int32) *cgHarness {
	h := newCGHarness(t, topics)
	h.c.cfg.mockAssignor = nil
	return h
}

// regexes returns the group's resolutions as "regex=[topics]" lines.
func (h *cgHarness) regexes(group string) []string {
	h.t.Helper()
	var out []string
	g := h.c.cgroups[group]
	for _, re := range spec.SortedKeys(g.regexes) {
		out = append(out, re+"=["+strings.Join(g.regexes[re].topics, " ")+"]")
	}
	return out
}

func (h *cgHarness) wantRegexes(group string, want ...string) {
	h.t.Helper()
	if got := h.regexes(group); !slices.Equal(got, want) {
		h.t.Fatalf("resolved regexes %v, want %v", got, want)
	}
}

// GMMT.testConsumerHeartbeatRegexValidation: an invalid regex is
// INVALID_REGULAR_EXPRESSION with RE2/J's description, on joining and on
// an update; a valid one joins; moving to topic names drops the regex.
func TestKafkaCGConsumerHeartbeatRegexValidation(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	h.wantMessage(cgJoinRegex("foo", "m", "[").req(), spec.InvalidRegularExpression,
		"SubscribedTopicRegex `[` is not a valid regular expression: missing closing ].")
	resp := h.beatOK(cgJoinRegex("foo", "m", ".*").req())
	if resp.MemberEpoch != 1 {
		t.Fatalf("epoch %d, want 1", resp.MemberEpoch)
	}
	h.wantRegexes("foo", ".*=[]")
	h.wantMessage(cgBeat("foo", "m", 1).rebalance(5000).regex("[").owned(spec.Assignment{}).req(),
		spec.InvalidRegularExpression, "SubscribedTopicRegex `[` is not a valid regular expression: missing closing ].")
	h.wantMessage(cgBeat("foo", "m", 1).regex("a(b").req(), spec.InvalidRegularExpression,
		"SubscribedTopicRegex `a(b` is not a valid regular expression: missing closing ).")
	// Updating the subscription to topic names succeeds; the regex no
	// member uses any more is tombstoned.
	resp = h.beatOK(cgBeat("foo", "m", 1).rebalance(5000).topics("foo").regex("").owned(spec.Assignment{}).req())
	if resp.MemberEpoch != 2 {
		t.Fatalf("epoch %d, want 2", resp.MemberEpoch)
	}
	h.wantLast(
		"cg-member foo m topics=[foo]",
		`cg-regex foo ".*" tombstone`,
		"cg-epoch foo epoch=2",
		"cg-target-epoch foo epoch=2",
		"cg-current foo m STABLE epoch=2 prev=1 assigned=- revoking=-",
	)
	h.wantRegexes("foo")
}

// The join of epoch 0 needs names or a regex (the check of the Kafka commit
// that brought regexes).
func TestCGRegexJoinNeedsNamesOrRegex(t *testing.T) {
	h := newCGHarness(t, map[string]int32{})
	h.wantMessage(cgJoinRegex("foo", "m", "").req(), spec.InvalidRequest,
		"SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
	// Names and a regex together: the member subscribes to both (Kafka's
	// server takes both; its client sends an empty list of names with the
	// regex).
	h.c.cfg.mockAssignor = nil
	h.metadata(map[string]int32{"a": 1, "b": 1, "c": 1})
	h.beatOK(cgJoin("foo", "m", "c").regex("a").req())
	if got := h.member("foo", "m").Topics; !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("topics %v, want [a c]", got)
	}
}

// A regex matching two of three topics: a full match, as Java's matches()
// ("a|b" matches neither "ab" nor "ba"); the member is assigned both, in
// the answer to the heartbeat that brought the regex (Kafka resolves
// asynchronously and bumps the epoch when the resolution lands).
func TestCGRegexMatchesTwoOfThreeTopics(t *testing.T) {
	h := newRegexHarness(t, map[string]int32{"a": 2, "b": 1, "ab": 3})
	resp := h.beatOK(cgJoinRegex("g", "m1", "a|b").req())
	h.wantResponse(resp, spec.ConsumerGroupHeartbeatResponse{MemberID: "m1", MemberEpoch: 1, HeartbeatIntervalMs: 5000,
		Assignment: asg("a", 0, 1, "b", 0)})
	h.wantLast(
		"cg-member g m1 topics=[] regex=a|b",
		`cg-regex g "a|b" topics=[a b] version=1 time=0`,
		"cg-subscription g a=2 b=1",
		"cg-epoch g epoch=1",
		"cg-target g m1=a[0 1] b[0]",
		"cg-target-epoch g epoch=1",
		"cg-current g m1 STABLE epoch=1 prev=0 assigned=a[0 1] b[0] revoking=-",
	)
	if got := h.member("g", "m1").Topics; !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("member topics %v, want [a b]", got)
	}
	// A steady heartbeat with no metadata change writes nothing.
	h.beatOK(cgBeat("g", "m1", 1).req())
	h.wantLast()
}

// A topic created later that the regex matches: the next heartbeat
// resolves the regex again, bumps the group epoch and computes a new
// target, and the member gets the new topic. A topic deleted: likewise,
// and the member revokes its partitions.
func TestCGRegexTopicCreatedLaterThenDeleted(t *testing.T) {
	h := newRegexHarness(t, map[string]int32{"a": 2, "x": 1})
	h.beatOK(cgJoinRegex("g", "m1", "a|b").req())
	h.wantRegexes("g", "a|b=[a]")

	h.metadata(map[string]int32{"a": 2, "b": 2, "x": 1})
	resp := h.beatOK(cgBeat("g", "m1", 1).req())
	h.wantResponse(resp, spec.ConsumerGroupHeartbeatResponse{MemberID: "m1", MemberEpoch: 2, HeartbeatIntervalMs: 5000,
		Assignment: asg("a", 0, 1, "b", 0, 1)})
	h.wantLast(
		`cg-regex g "a|b" topics=[a b] version=2 time=0`,
		"cg-subscription g a=2 b=2",
		"cg-epoch g epoch=2",
		"cg-target g m1=a[0 1] b[0 1]",
		"cg-target-epoch g epoch=2",
		"cg-current g m1 STABLE epoch=2 prev=1 assigned=a[0 1] b[0 1] revoking=-",
	)
	// A metadata change the regex does not see (x grows) writes nothing.
	h.metadata(map[string]int32{"a": 2, "b": 2, "x": 4})
	h.beatOK(cgBeat("g", "m1", 2).req())
	h.wantLast()

	h.metadata(map[string]int32{"b": 2, "x": 4})
	resp = h.beatOK(cgBeat("g", "m1", 2).req())
	h.wantResponse(resp, spec.ConsumerGroupHeartbeatResponse{MemberID: "m1", MemberEpoch: 2, HeartbeatIntervalMs: 5000,
		Assignment: asg("b", 0, 1)})
	h.wantLast(
		`cg-regex g "a|b" topics=[b] version=4 time=0`,
		"cg-subscription g b=2",
		"cg-epoch g epoch=3",
		"cg-target g m1=b[0 1]",
		"cg-target-epoch g epoch=3",
		"cg-current g m1 UNREVOKED_PARTITIONS epoch=2 prev=2 assigned=b[0 1] revoking=a[0 1]",
	)
	resp = h.beatOK(cgBeat("g", "m1", 2).owned(asg("b", 0, 1)).req())
	if resp.MemberEpoch != 3 {
		t.Fatalf("epoch %d after revoking, want 3", resp.MemberEpoch)
	}
}

// Two members sharing a regex: one resolution, one record; the second
// member's join writes no regex record. The last member using it leaving
// tombstones it; the first leaving does not.
func TestCGRegexSharedThenLastMemberLeaves(t *testing.T) {
	h := newRegexHarness(t, map[string]int32{"a": 2, "b": 2, "c": 2})
	h.beatOK(cgJoinRegex("g", "m1", "a|b").req())
	h.beatOK(cgJoinRegex("g", "m2", "a|b").req())
	for _, r := range h.last.Records {
		if r.CGRegex != nil {
			t.Fatalf("the second member's join wrote %s", r)
		}
	}
	h.wantRegexes("g", "a|b=[a b]")
	n := 0
	for _, r := range h.records {
		if r.CGRegex != nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d regex records, want 1", n)
	}
	if v, _ := h.c.DescribeConsumerGroup("g"); v.Epoch != 2 {
		t.Fatalf("group epoch %d, want 2", v.Epoch)
	}
	// m3 subscribes by name to c: a heterogeneous group.
	h.beatOK(cgJoin("g", "m3", "c").req())

	h.beatOK(cgBeat("g", "m1", -1).req())
	h.wantLast(
		"cg-current g m1 tombstone",
		"cg-target g m1 tombstone",
		"cg-member g m1 tombstone",
		"cg-epoch g epoch=4",
	)
	h.wantRegexes("g", "a|b=[a b]")
	// m2's session expires: the last user of the regex is fenced (m3
	// heartbeats meanwhile).
	h.tick(30000)
	h.beatOK(cgBeat("g", "m3", 3).req())
	h.tick(15000)
	h.wantLast(
		"cg-current g m2 tombstone",
		"cg-target g m2 tombstone",
		"cg-member g m2 tombstone",
		`cg-regex g "a|b" tombstone`,
		"cg-subscription g c=2",
		"cg-epoch g epoch=5",
	)
	h.wantRegexes("g")
}

// Load of a log with regex records: the resolutions come back, and the
// first heartbeat after it resolves again against the image (Load marks
// every group for a refresh). A log with an invalid regex does not load.
func TestCGRegexLoad(t *testing.T) {
	h := newRegexHarness(t, map[string]int32{"a": 2, "b": 2})
	h.beatOK(cgJoinRegex("g", "m1", "a|b").req())
	h.beatOK(cgJoinRegex("g", "m2", "b").req())
	h.wantRegexes("g", "a|b=[a b]", "b=[b]")
	h.replay() // Load from the log, then the image again
	h.wantRegexes("g", "a|b=[a b]", "b=[b]")
	h.metadata(map[string]int32{"a": 2, "b": 2, "bb": 1})
	h.beatOK(cgBeat("g", "m2", 2).req())
	h.wantRegexes("g", "a|b=[a b]", "b=[b]") // bb is no full match of b
	h.metadata(map[string]int32{"a": 2})
	h.beatOK(cgBeat("g", "m2", 2).req())
	h.wantRegexes("g", "a|b=[a]", "b=[]")

	bad := []Record{{CGRegex: &CGRegexRecord{GroupID: "g", Regex: "(", Topics: []string{}}}}
	if _, _, err := Load(h.c.cfg, 0, bad); err == nil {
		t.Fatal("a log with the regex ( loaded")
	}
	bad = []Record{{CGRegex: &CGRegexRecord{GroupID: "g", Regex: "a", Topics: []string{"b", "a"}}}}
	if _, _, err := Load(h.c.cfg, 0, bad); err == nil {
		t.Fatal("a log with unsorted resolved topics loaded")
	}
}
