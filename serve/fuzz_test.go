package serve

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/spec"
)

var rewriteCorpus = flag.Bool("rewrite-corpus", false, "rewrite testdata/fuzz/FuzzDecodeRequest/seed-*")

// FuzzDecodeRequest: any bytes as a request frame (without its size)
// decode to a request or an error, never a panic; a decoded group request
// translates to kgroup's form or is refused, and its answer encodes.
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range seedFrames(f) {
		f.Add(seed.frame[4:])
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, req, err := decodeRequest(frame)
		if err != nil || req == nil {
			return
		}
		translate(h, req)
	})
}

// translate runs a decoded request through the group path's translation
// both ways, with answers made up from the request.
func translate(h header, req kmsg.Request) {
	switch r := req.(type) {
	case *kmsg.JoinGroupRequest:
		if jr, err := joinRequest(r, h.clientID); err == nil && len(jr.Protocols) > 0 {
			p := jr.Protocols[0]
			ms := []spec.JoinGroupMember{{MemberID: "m", Metadata: p.Metadata}}
			rc := newRawCache()
			rc.joined(r.Group, "m", r.Protocols)
			resp := &spec.JoinGroupResponse{MemberID: "m", Leader: "m", ProtocolName: p.Name, Members: ms}
			joinResponse(r, resp, rc.metadata(r.Group, p.Name, ms)).AppendTo(nil)
		}
	case *kmsg.SyncGroupRequest:
		if sr, err := syncRequest(r); err == nil {
			rc := newRawCache()
			rc.synced(r.Group, r.GroupAssignment)
			for _, a := range sr.Assignments {
				syncResponse(r, &spec.SyncGroupResponse{Assignment: a.Assignment}, rc.assignment(r.Group, a.MemberID, a.Assignment)).AppendTo(nil)
			}
		}
	case *kmsg.OffsetCommitRequest:
		cr := commitRequest(r)
		resp := &spec.OffsetCommitResponse{}
		for _, o := range cr.Offsets {
			resp.Partitions = append(resp.Partitions, spec.OffsetCommitPartitionResponse{TopicPartition: o.TopicPartition})
		}
		commitResponse(r, resp).AppendTo(nil)
	case *kmsg.OffsetFetchRequest:
		var rs []*spec.OffsetFetchResponse
		for _, fr := range fetchRequests(r) {
			resp := &spec.OffsetFetchResponse{}
			for _, tp := range fr.Partitions {
				resp.Partitions = append(resp.Partitions, spec.OffsetFetchPartition{TopicPartition: tp, Offset: -1})
			}
			rs = append(rs, resp)
		}
		fetchResponse(r, rs).AppendTo(nil)
	case *kmsg.LeaveGroupRequest:
		lr := leaveRequest(r)
		resp := &spec.LeaveGroupResponse{}
		for _, m := range lr.Members {
			resp.Members = append(resp.Members, spec.LeaveGroupMemberResponse{MemberID: m.MemberID})
		}
		leaveResponse(r, resp).AppendTo(nil)
	case *kmsg.ConsumerGroupHeartbeatRequest:
		memberIDMissing(r)
		names := newStore([]TopicSpec{{"t", 4}})
		hr := cgHeartbeatRequest(r, h.clientID, names.nameOf)
		resp := &spec.ConsumerGroupHeartbeatResponse{MemberID: hr.MemberID, MemberEpoch: hr.MemberEpoch, Assignment: hr.TopicPartitions}
		cgHeartbeatResponse(r, resp).AppendTo(nil)
	case *kmsg.ProduceRequest:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				splitBatches(p.Records)
			}
		}
	}
}

type seed struct {
	name  string
	frame []byte
}

// seedFrames are frames of every API served, at its lowest and highest
// version, plus the malformed frames of TestBadFramesCloseTheConnection.
func seedFrames(t testing.TB) []seed {
	var out []seed
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("seed"))
	for _, key := range spec.SortedKeys(apis) {
		for _, v := range []int16{apis[key].min, apis[key].max} {
			req := exampleRequest(t, key)
			req.SetVersion(v)
			out = append(out, seed{fmt.Sprintf("%s-v%d", kmsg.NameForKey(key), v), f.AppendRequest(nil, req, 1)})
		}
	}
	return append(out, seed{"unknown-key", frameOf(1000, 0, nil)}, seed{"truncated-join", frameOf(kmsg.JoinGroup.Int16(), 5, []byte{0, 1, 'g'})},
		seed{"bad-tags", frameOf(kmsg.Heartbeat.Int16(), 4, []byte{5, 1})}, seed{"huge-count", frameOf(kmsg.Metadata.Int16(), 1, []byte{0x40, 0, 0, 0})})
}

// exampleRequest is a request of key with typical contents.
func exampleRequest(t testing.TB, key int16) kmsg.Request {
	req := kmsg.RequestForKey(key)
	tp := []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: subscription(t, []spec.TopicPartition{{Topic: "t", Partition: 1}}, "t")}}
	switch r := req.(type) {
	case *kmsg.JoinGroupRequest:
		r.Group, r.SessionTimeoutMillis, r.ProtocolType, r.Protocols, r.MemberID = "g", 6000, "consumer", tp, "m-1"
	case *kmsg.SyncGroupRequest:
		r.Group, r.MemberID = "g", "m-1"
		r.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: "m-1", MemberAssignment: assignment(t, spec.Assignment{"t": {0, 1}})}}
	case *kmsg.OffsetCommitRequest:
		r.Group, r.MemberID, r.Generation = "g", "m-1", 1
		r.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 5}}}}
	case *kmsg.OffsetFetchRequest:
		r.Group = "g"
		r.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "t", Partitions: []int32{0, 1}}}
		r.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "g", MemberID: kmsg.StringPtr("m-1"), MemberEpoch: 3,
			Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0}}}}}
	case *kmsg.LeaveGroupRequest:
		r.Group, r.MemberID = "g", "m-1"
		r.Members = []kmsg.LeaveGroupRequestMember{{MemberID: "m-1"}}
	case *kmsg.HeartbeatRequest:
		r.Group, r.MemberID, r.Generation = "g", "m-1", 1
	case *kmsg.ConsumerGroupHeartbeatRequest:
		r.Group, r.MemberID, r.MemberEpoch, r.RebalanceTimeoutMillis = "g", "m-1", 3, 30000
		r.SubscribedTopicNames, r.ServerAssignor = []string{"t"}, kmsg.StringPtr("uniform")
		r.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{{TopicID: topicID("t"), Partitions: []int32{0, 1}},
			{TopicID: [16]byte{1}, Partitions: []int32{2}}} // one id no topic has
	case *kmsg.ProduceRequest:
		r.Acks = -1
		r.Topics = []kmsg.ProduceRequestTopic{{Topic: "t", Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: recordBatch(2)}}}}
	case *kmsg.FetchRequest:
		r.MaxWaitMillis, r.MaxBytes = 1, 1<<20
		r.Topics = []kmsg.FetchRequestTopic{{Topic: "t", Partitions: []kmsg.FetchRequestTopicPartition{{Partition: 0, PartitionMaxBytes: 1 << 20}}}}
	case *kmsg.ListOffsetsRequest:
		r.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: "t", Partitions: []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, Timestamp: -1}}}}
	case *kmsg.MetadataRequest:
		r.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("t")}}
	case *kmsg.FindCoordinatorRequest:
		r.CoordinatorKey, r.CoordinatorKeys = "g", []string{"g"}
	}
	return req
}

// TestFuzzCorpus: the seeded corpus is the seeds (rewrite it with
// -rewrite-corpus), and every file of it, sent to a live server, is
// answered or closed, never left hanging.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeRequest")
	seeds := seedFrames(t)
	if *rewriteCorpus {
		must(t, os.MkdirAll(dir, 0o755))
		for _, sd := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", sd.frame[4:])
			must(t, os.WriteFile(filepath.Join(dir, "seed-"+sd.name), []byte(body), 0o644))
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	must(t, err)
	if len(files) < len(seeds) {
		t.Fatalf("%d corpus files, want at least the %d seeds (go test ./serve -run TestFuzzCorpus -rewrite-corpus)", len(files), len(seeds))
	}
	s := start(t, testConfig())
	for _, sd := range seeds {
		c := dial(t, s, "corpus")
		c.nc.Write(sd.frame)
		c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.ReadFull(c.nc, make([]byte, 4))
		if err != nil && err != io.EOF && !isReset(err) {
			t.Fatalf("%s: neither answered nor closed: %v", sd.name, err)
		}
	}
	noViolations(t, s)
}
