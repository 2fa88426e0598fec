package serve

import (
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/spec"
)

// TestApiVersions: every served version answers with the ranges; a newer
// one gets the v0-format UNSUPPORTED_VERSION reply listing them (KIP-511),
// after which the client may retry on the same connection.
func TestApiVersions(t *testing.T) {
	s := start(t, testConfig())
	c := dial(t, s, "av")
	for v := int16(0); v <= 5; v++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = v
		req.ClientSoftwareName, req.ClientSoftwareVersion = "test", "1"
		r, err := c.doV(req)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		resp := r.(*kmsg.ApiVersionsResponse)
		wantCode := int16(0)
		if v > 3 {
			wantCode = int16(spec.UnsupportedVersion)
		}
		if resp.ErrorCode != wantCode || len(resp.ApiKeys) != len(apis) {
			t.Fatalf("v%d: error %d with %d keys, want %d with %d", v, resp.ErrorCode, len(resp.ApiKeys), wantCode, len(apis))
		}
		for _, k := range resp.ApiKeys {
			if r := apis[k.ApiKey]; r.min != k.MinVersion || r.max != k.MaxVersion {
				t.Fatalf("v%d: key %d listed %d-%d, want %d-%d", v, k.ApiKey, k.MinVersion, k.MaxVersion, r.min, r.max)
			}
		}
	}
}

// TestGroupRoundTrip: one raw member joins (KIP-394's two rounds), syncs,
// heartbeats, commits, fetches and leaves; every check ran and held, and
// the history is linearizable.
func TestGroupRoundTrip(t *testing.T) {
	s := start(t, testConfig())
	m := stableGroup(t, s, "g")
	if code := m.heartbeat(); code != 0 {
		t.Fatalf("heartbeat: %d", code)
	}
	for o := int64(1); o <= 3; o++ {
		if code := m.commit(m.gen, 2, o*10); code != 0 {
			t.Fatalf("commit: %d", code)
		}
	}
	if got := m.fetchOffset(2); got != 30 {
		t.Fatalf("fetched %d, want 30", got)
	}
	if code := m.commit(m.gen+1, 2, 40); code != int16(spec.IllegalGeneration) {
		t.Fatalf("commit at a future generation: %d, want ILLEGAL_GENERATION", code)
	}
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group, leave.Members = "g", []kmsg.LeaveGroupRequestMember{{MemberID: m.id}}
	if resp := m.must(leave).(*kmsg.LeaveGroupResponse); resp.ErrorCode != 0 || resp.Members[0].ErrorCode != 0 {
		t.Fatalf("leave: %+v", resp)
	}
	waitEvent(t, s, func(e Event) bool { return e.Kind == "transition" && e.To == "Empty" })
	noViolations(t, s)
	made, _, err := s.Checks()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{ruleFencing, ruleGenerations, ruleAssignment, ruleOffsets, ruleRebuild} {
		if made[r] == 0 {
			t.Errorf("no %s check was made: %v", r, made)
		}
	}
	ops, err := s.History()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 6 { // sync, 3 commits, fetch, the rejected commit
		t.Fatalf("history has %d operations, want 6: %+v", len(ops), ops)
	}
	if res := linearizability.Check(ops, linearizability.Options{}); res.Verdict != linearizability.Ok {
		t.Fatalf("history: %+v", res)
	}
}

// TestOldJoinGroup: a JoinGroup below v4 never sees MEMBER_ID_REQUIRED
// (Kafka adds the member at once); its leader gets the member list.
func TestOldJoinGroup(t *testing.T) {
	s := start(t, testConfig())
	c := dial(t, s, "old")
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version = 1
	req.Group, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis, req.ProtocolType = "g", 1000, 1000, "consumer"
	meta := subscription(t, nil, "t")
	req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: meta}}
	resp := c.must(req).(*kmsg.JoinGroupResponse)
	if resp.ErrorCode != 0 || resp.MemberID == "" || resp.LeaderID != resp.MemberID || len(resp.Members) != 1 {
		t.Fatalf("join v1: %+v", resp)
	}
	if got := resp.Members[0].ProtocolMetadata; string(got) != string(meta) {
		t.Fatalf("the leader got metadata %x, want the bytes sent, %x", got, meta)
	}
	noViolations(t, s)
}

// recordBatch is a v2 batch of n records with values "v0".."v<n-1>".
func recordBatch(n int) []byte {
	b := kmsg.RecordBatch{PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(n - 1), ProducerID: -1, ProducerEpoch: -1,
		FirstSequence: -1, NumRecords: int32(n)}
	for i := range n {
		r := kmsg.Record{OffsetDelta: int32(i), Value: []byte{'v', byte('0' + i)}}
		b.Records = r.AppendTo(b.Records)
	}
	raw := b.AppendTo(nil)
	b.Length = int32(len(raw) - 12)
	raw = b.AppendTo(nil)
	crc := crc32.Checksum(raw[offAttributes:], castagnoli)
	b.CRC = int32(crc)
	return b.AppendTo(nil)
}

// TestProduceFetch: records produced are fetched back from any offset,
// with their offsets; ListOffsets knows the ends; a bad checksum is
// CORRUPT_MESSAGE.
func TestProduceFetch(t *testing.T) {
	s := start(t, testConfig())
	c := dial(t, s, "p")
	produce := func(records []byte) int16 {
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = -1, 1000
		req.Topics = []kmsg.ProduceRequestTopic{{Topic: "t", Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 1, Records: records}}}}
		return c.must(req).(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode
	}
	for range 2 {
		if code := produce(recordBatch(3)); code != 0 {
			t.Fatalf("produce: %d", code)
		}
	}
	bad := recordBatch(1)
	bad[len(bad)-1] ^= 1
	if code := produce(bad); code != errCorruptMessage {
		t.Fatalf("corrupt batch: %d, want CORRUPT_MESSAGE", code)
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	lo.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: "t", Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 1, Timestamp: -1}}}}
	if got := c.must(lo).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0].Offset; got != 6 {
		t.Fatalf("latest offset %d, want 6", got)
	}
	f := kmsg.NewPtrFetchRequest()
	f.MaxBytes, f.MaxWaitMillis = 1<<20, 10
	f.Topics = []kmsg.FetchRequestTopic{{Topic: "t", Partitions: []kmsg.FetchRequestTopicPartition{{Partition: 1, FetchOffset: 4, PartitionMaxBytes: 1 << 20}}}}
	fp := c.must(f).(*kmsg.FetchResponse).Topics[0].Partitions[0]
	var batch kmsg.RecordBatch
	if err := batch.ReadFrom(fp.RecordBatches); err != nil || fp.HighWatermark != 6 || batch.FirstOffset != 3 || batch.NumRecords != 3 {
		t.Fatalf("fetch from 4: hw %d, first batch at %d with %d records (%v)", fp.HighWatermark, batch.FirstOffset, batch.NumRecords, err)
	}
}
