package serve

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/spec"
)

// A raw KIP-848 member for the tests: ConsumerGroupHeartbeat v1 with a
// member id it makes itself (KIP-1082), reporting as owned what it was
// last assigned, as a consumer that applies each assignment at once.

type cgMember struct {
	*rawClient
	group, id string
	epoch     int32
	owned     spec.Assignment
	ids       map[[16]byte]string // topic names by id, from Metadata
}

func newCGMember(t testing.TB, s *Server, group, id string) *cgMember {
	t.Helper()
	m := &cgMember{rawClient: dial(t, s, id), group: group, id: id, owned: spec.Assignment{}, ids: map[[16]byte]string{}}
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 12
	for _, tp := range m.must(md).(*kmsg.MetadataResponse).Topics {
		m.ids[tp.TopicID] = *tp.Topic
	}
	return m
}

// owning is a heartbeat's owned partitions: the member's, by topic id.
func (m *cgMember) owning(a spec.Assignment) []kmsg.ConsumerGroupHeartbeatRequestTopic {
	out := []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	for _, t := range spec.SortedKeys(a) {
		out = append(out, kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: topicID(t), Partitions: a[t]})
	}
	return out
}

// request is the member's next heartbeat: a join (all fields) at epoch 0,
// else only the epoch and what it owns.
func (m *cgMember) request() *kmsg.ConsumerGroupHeartbeatRequest {
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version = 1
	req.Group, req.MemberID, req.MemberEpoch = m.group, m.id, m.epoch
	req.Topics = m.owning(m.owned)
	if m.epoch == 0 {
		req.RebalanceTimeoutMillis, req.SubscribedTopicNames = 5000, []string{"t"}
	}
	return req
}

// send sends a heartbeat and returns its answer, changing nothing.
func (m *cgMember) send(req *kmsg.ConsumerGroupHeartbeatRequest) *kmsg.ConsumerGroupHeartbeatResponse {
	m.t.Helper()
	return m.must(req).(*kmsg.ConsumerGroupHeartbeatResponse)
}

// beat heartbeats and applies the answer: the epoch, and the assignment
// if one came (nil when it did not).
func (m *cgMember) beat() spec.Assignment {
	m.t.Helper()
	resp := m.send(m.request())
	if resp.ErrorCode != 0 {
		m.t.Fatalf("%s: heartbeat at epoch %d: error %d %s", m.id, m.epoch, resp.ErrorCode, str(resp.ErrorMessage))
	}
	if resp.MemberID == nil || *resp.MemberID != m.id {
		m.t.Fatalf("%s: answered for member %v", m.id, resp.MemberID)
	}
	m.epoch = resp.MemberEpoch
	if resp.Assignment == nil {
		return nil
	}
	a := spec.Assignment{}
	for _, t := range resp.Assignment.Topics {
		name, ok := m.ids[t.TopicID]
		if !ok {
			m.t.Fatalf("%s: assigned topic id %x, which Metadata did not give", m.id, t.TopicID)
		}
		a[name] = append(a[name], t.Partitions...)
	}
	a.Normalize()
	m.owned = a
	return a
}

func (m *cgMember) leave() *kmsg.ConsumerGroupHeartbeatResponse {
	m.t.Helper()
	req := m.request()
	req.MemberEpoch, req.Topics = spec.LeaveEpoch, nil
	return m.send(req)
}

// commit commits offset o of t-p at member epoch epoch (OffsetCommit at
// version v); it returns the code.
func (m *cgMember) commit(v int16, epoch, p int32, o int64) int16 {
	m.t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version = v
	req.Group, req.Generation, req.MemberID = m.group, epoch, m.id
	req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: p, Offset: o}}}}
	return m.must(req).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
}

// fetchOffset fetches t-p's committed offset as the member at epoch
// (OffsetFetch v9); it returns the group's code and the offset.
func (m *cgMember) fetchOffset(epoch, p int32) (int16, int64) {
	m.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 9
	req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: m.group, MemberID: kmsg.StringPtr(m.id), MemberEpoch: epoch,
		Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{p}}}}}
	g := m.must(req).(*kmsg.OffsetFetchResponse).Groups[0]
	if g.ErrorCode != 0 {
		return g.ErrorCode, -1
	}
	return 0, g.Topics[0].Partitions[0].Offset
}

func cgView(t testing.TB, s *Server, group string) spec.ConsumerGroupView {
	t.Helper()
	var v spec.ConsumerGroupView
	must(t, s.onOwner(func(o *owner) { v, _ = o.co.DescribeConsumerGroup(group) }))
	return v
}

// TestMetadataTopicIDs: Metadata v10+ gives each topic the id derived
// from its name, and a topic asked for by id is found.
func TestMetadataTopicIDs(t *testing.T) {
	s := start(t, testConfig())
	c := dial(t, s, "md")
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	resp := c.must(req).(*kmsg.MetadataResponse)
	if len(resp.Topics) != 1 || resp.Topics[0].TopicID != topicID("t") || resp.Topics[0].TopicID == [16]byte{} {
		t.Fatalf("topics %+v, want t with id %x", resp.Topics, topicID("t"))
	}
	req.Topics = []kmsg.MetadataRequestTopic{{TopicID: topicID("t")}}
	if got := c.must(req).(*kmsg.MetadataResponse).Topics; len(got) != 1 || str(got[0].Topic) != "t" || len(got[0].Partitions) != 4 {
		t.Fatalf("by id: %+v", got)
	}
}

// TestConsumerGroupTwoMembers: two KIP-848 members join, the second waits
// for partitions the first must give up and gets them only after the
// first reported it released them (Kafka's CurrentAssignmentBuilder:
// UNREVOKED_PARTITIONS, then UNRELEASED_PARTITIONS); commits and fetches
// are fenced by the member epoch; the first leaves and the second gets
// everything. Every rule held and was checked.
func TestConsumerGroupTwoMembers(t *testing.T) {
	s := start(t, testConfig())
	m1, m2 := newCGMember(t, s, "g", "m1"), newCGMember(t, s, "g", "m2")
	all := spec.Assignment{"t": {0, 1, 2, 3}}
	if a := m1.beat(); !a.Equal(all) || m1.epoch != 1 {
		t.Fatalf("m1 joined at epoch %d with %v, want epoch 1 with everything", m1.epoch, a)
	}
	if a := m2.beat(); a == nil || a.Len() != 0 || m2.epoch != 2 {
		t.Fatalf("m2 joined at epoch %d with %v, want epoch 2 with nothing yet", m2.epoch, a)
	}
	kept := m1.beat() // told to revoke: keeps its share, at its old epoch
	if kept == nil || kept.Len() != 2 || m1.epoch != 1 {
		t.Fatalf("m1 after m2 joined: epoch %d with %v, want epoch 1 with two partitions", m1.epoch, kept)
	}
	v := cgView(t, s, "g")
	if mv, _ := v.Member("m1"); mv.State != spec.MemberUnrevokedPartitions || mv.PendingRevocation.Len() != 2 {
		t.Fatalf("m1 in the view: %+v", mv)
	}
	if mv, _ := v.Member("m2"); mv.State != spec.MemberUnreleasedPartition || mv.Target.Len() != 2 || mv.Assigned.Len() != 0 {
		t.Fatalf("m2 in the view: %+v", mv)
	}
	// m2 heartbeats before m1 said it released them: still nothing.
	if a := m2.beat(); a != nil {
		t.Fatalf("m2 got %v before m1 released it", a)
	}
	// m1's heartbeat at epoch 1 still reporting all four: still revoking.
	req := m1.request()
	req.Topics = m1.owning(all)
	if resp := m1.send(req); resp.ErrorCode != 0 || resp.MemberEpoch != 1 {
		t.Fatalf("m1 still owning everything: %+v", resp)
	}
	if a := m2.beat(); a != nil {
		t.Fatalf("m2 got %v while m1 still owns it", a)
	}
	m1.beat() // reports only its share: released, at epoch 2
	if m1.epoch != 2 {
		t.Fatalf("m1 after releasing: epoch %d, want 2", m1.epoch)
	}
	got := m2.beat()
	if got == nil || got.Len() != 2 || m2.epoch != 2 {
		t.Fatalf("m2 after m1 released: epoch %d with %v", m2.epoch, got)
	}
	for _, tp := range got.Partitions() {
		if slices.Contains(kept[tp.Topic], tp.Partition) {
			t.Fatalf("m2 got %s, which m1 kept", tp)
		}
	}

	// Commits and fetches are fenced by the member epoch.
	p := got["t"][0]
	if code := m2.commit(9, 2, p, 10); code != 0 {
		t.Fatalf("commit at m2's epoch: %d", code)
	}
	if code := m2.commit(9, 1, p, 11); code != int16(spec.StaleMemberEpoch) {
		t.Fatalf("commit at an old epoch: %d, want STALE_MEMBER_EPOCH", code)
	}
	if code := m2.commit(8, 2, p, 12); code != int16(spec.UnsupportedVersion) {
		t.Fatalf("commit v8 from a KIP-848 member: %d, want UNSUPPORTED_VERSION", code)
	}
	if code, o := m2.fetchOffset(2, p); code != 0 || o != 10 {
		t.Fatalf("fetch at m2's epoch: code %d offset %d, want 10", code, o)
	}
	if code, _ := m2.fetchOffset(1, p); code != int16(spec.StaleMemberEpoch) {
		t.Fatalf("fetch at an old epoch: %d, want STALE_MEMBER_EPOCH", code)
	}

	// m1 leaves: m2 gets everything at the next group epoch.
	if resp := m1.leave(); resp.ErrorCode != 0 || resp.MemberEpoch != spec.LeaveEpoch {
		t.Fatalf("leave: %+v", resp)
	}
	if a := m2.beat(); !a.Equal(all) || m2.epoch != 3 {
		t.Fatalf("m2 alone: epoch %d with %v, want epoch 3 with everything", m2.epoch, a)
	}
	waitEvent(t, s, func(e Event) bool { return e.Kind == "leave" && e.Member == "m1" })
	waitEvent(t, s, func(e Event) bool { return e.Kind == "assign" && e.Member == "m2" && e.Generation == 3 })
	noViolations(t, s)
	made, _, err := s.Checks()
	must(t, err)
	for _, r := range []string{ruleCGOwnership, ruleCGEpochs, ruleFencing, ruleRebuild, ruleOffsets} {
		if made[r] == 0 {
			t.Errorf("no %s check was made: %v", r, made)
		}
	}
}

// TestConsumerGroupBadInput: requests Kafka refuses are answered with
// Kafka's error codes, none panics, and the server goes on serving.
func TestConsumerGroupBadInput(t *testing.T) {
	s := start(t, testConfig())
	c := dial(t, s, "bad")
	hb := func(version int16, edit func(*kmsg.ConsumerGroupHeartbeatRequest)) *kmsg.ConsumerGroupHeartbeatResponse {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Version = version
		req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = "g", "x1", 0, 5000
		req.SubscribedTopicNames, req.Topics = []string{"t"}, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		edit(req)
		resp, err := c.doV(req) // v0 as v0
		must(t, err)
		return resp.(*kmsg.ConsumerGroupHeartbeatResponse)
	}
	for _, tc := range []struct {
		name    string
		version int16
		edit    func(*kmsg.ConsumerGroupHeartbeatRequest)
		code    spec.ErrorCode
		message string
	}{
		{"empty group id", 1, func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.Group = "" }, spec.InvalidRequest, "GroupId can't be empty."},
		{"no member id on v1 (KIP-1082)", 1, func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberID = " " }, spec.InvalidRequest, "MemberId can't be empty."},
		{"epoch -3", 1, func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberEpoch = -3 }, spec.InvalidRequest, "MemberEpoch is invalid."},
		{"join owning partitions", 1, func(r *kmsg.ConsumerGroupHeartbeatRequest) {
			r.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{{TopicID: topicID("t"), Partitions: []int32{0}}}
		}, spec.InvalidRequest, "TopicPartitions must be empty"},
		{"join with no rebalance timeout", 1, func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.RebalanceTimeoutMillis = -1 }, spec.InvalidRequest, "RebalanceTimeoutMs"},
		{"unknown assignor", 1, func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.ServerAssignor = kmsg.StringPtr("nope") }, spec.UnsupportedAssignor, "nope"},
		{"epoch 5 of a group that does not exist", 1, func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.MemberEpoch = 5 }, spec.GroupIDNotFound, ""},
	} {
		resp := hb(tc.version, tc.edit)
		if resp.ErrorCode != int16(tc.code) || !strings.Contains(str(resp.ErrorMessage), tc.message) || resp.Assignment != nil {
			t.Errorf("%s: error %d %q, want %d %q", tc.name, resp.ErrorCode, str(resp.ErrorMessage), tc.code, tc.message)
		}
	}
	// v0: the coordinator makes the id of a member that sent none.
	if resp := hb(0, func(r *kmsg.ConsumerGroupHeartbeatRequest) { r.Group, r.MemberID = "g0", "" }); resp.ErrorCode != 0 || str(resp.MemberID) == "" {
		t.Fatalf("v0 join without a member id: %+v", resp)
	}

	// A member at epoch 3 with previous epoch 1 (m2 joined and left).
	m1 := newCGMember(t, s, "g", "m1")
	m1.beat()
	m2 := newCGMember(t, s, "g", "m2")
	m2.beat()
	m2.leave()
	m1.beat()
	if m1.epoch != 3 {
		t.Fatalf("m1 at epoch %d, want 3", m1.epoch)
	}
	for _, tc := range []struct {
		name  string
		epoch int32
		owned []kmsg.ConsumerGroupHeartbeatRequestTopic
		code  spec.ErrorCode
	}{
		{"an epoch ahead", 4, m1.owning(m1.owned), spec.FencedMemberEpoch},
		{"an epoch behind, not the previous", 2, m1.owning(m1.owned), spec.FencedMemberEpoch},
		// The previous epoch owning no more than assigned: a lost answer, accepted.
		{"the previous epoch", 1, m1.owning(m1.owned), spec.None},
		// Owning a partition of a topic id nobody knows: not a subset of the
		// assignment, so fenced (Kafka's isSubset on topic ids).
		{"the previous epoch owning an unknown topic id", 1, append(m1.owning(m1.owned),
			kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: [16]byte{9, 9}, Partitions: []int32{0}}), spec.FencedMemberEpoch},
		// At the current epoch an unknown topic id changes nothing.
		{"the current epoch owning an unknown topic id", 3, append(m1.owning(m1.owned),
			kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: [16]byte{9, 9}, Partitions: []int32{0}}), spec.None},
	} {
		req := m1.request()
		req.MemberEpoch, req.Topics = tc.epoch, tc.owned
		if resp := m1.send(req); resp.ErrorCode != int16(tc.code) {
			t.Errorf("%s: error %d %q, want %d", tc.name, resp.ErrorCode, str(resp.ErrorMessage), tc.code)
		}
	}
	unknown := m1.request()
	unknown.MemberID, unknown.MemberEpoch = "nobody", 3
	if resp := m1.send(unknown); resp.ErrorCode != int16(spec.UnknownMemberID) {
		t.Errorf("an unknown member: error %d, want UNKNOWN_MEMBER_ID", resp.ErrorCode)
	}
	if code := m1.commit(9, 3, 0, 1); code != 0 {
		t.Fatalf("commit at the member's epoch: %d", code)
	}
	if code := m1.commit(9, 7, 0, 2); code != int16(spec.StaleMemberEpoch) {
		t.Fatalf("commit at a future epoch: %d, want STALE_MEMBER_EPOCH", code)
	}
	stillServes(t, s)
}

// TestCommitToMissingGroupBeforeV9: a commit at generation 0 or more to a
// group that does not exist is ILLEGAL_GENERATION before OffsetCommit v9,
// GROUP_ID_NOT_FOUND from v9 (OffsetMetadataManager.validateOffsetCommit).
func TestCommitToMissingGroupBeforeV9(t *testing.T) {
	s := start(t, testConfig())
	m := &cgMember{rawClient: dial(t, s, "c"), group: "nobody", id: "x"}
	if code := m.commit(8, 1, 0, 1); code != int16(spec.IllegalGeneration) {
		t.Errorf("v8: %d, want ILLEGAL_GENERATION", code)
	}
	if code := m.commit(9, 1, 0, 1); code != int16(spec.GroupIDNotFound) {
		t.Errorf("v9: %d, want GROUP_ID_NOT_FOUND", code)
	}
	noViolations(t, s)
}
