package fuzz

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/internal/randmodel"
	"github.com/kgroup/kgroup/spec"
)

// maxRecords bounds the fuzzed record logs.
const maxRecords = 64

// loadAt is the time the fuzzed logs are loaded at.
const loadAt = 1_000_000

// FuzzRecords: any bytes as a record log into the coordinator's Load: one
// JSON record per line when the bytes start with '{', else records drawn
// from the bytes as choices (drawRecords), which reach Load's corners far
// more often than mutated JSON does. Load gives an error, or a coordinator that
//   - loads the same groups and offsets from the log compacted as Kafka
//     compacts __consumer_offsets (the last record of each key);
//   - writes records that load back to what it holds (rule 7's check);
//   - makes only Kafka's transitions while it serves a new member's join
//     and lets every session expire, ending with every group Empty;
//
// and every record it reads writes back to the same JSON.
func FuzzRecords(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, ok := drawRecords(data), true
		if len(data) > 0 && data[0] == '{' {
			recs, ok = parseRecords(data)
		}
		if !ok || len(recs) == 0 {
			return
		}
		cfg := coordinator.DefaultConfig()
		c, ready, err := coordinator.Load(cfg, loadAt, recs)
		if err != nil {
			return
		}
		for _, r := range recs {
			if err := jsonRoundTrip(r); err != nil {
				t.Fatalf("%v\nlog:\n%s", err, recordLines(t, recs))
			}
		}
		log := append(slices.Clone(recs), ready.Records...)
		if err := sameAsCompacted(cfg, recs); err != nil {
			t.Fatalf("%v\nlog:\n%s", err, recordLines(t, recs))
		}
		if err := serveAndExpire(c, cfg, log, groupIDs(recs)); err != nil && !errors.Is(err, coordinator.ErrGenerationLimit) {
			t.Fatalf("%v\nlog:\n%s", err, recordLines(t, recs))
		}
	})
}

// drawRecords builds a log from b read as choices: groups g and h, member
// and instance ids from small sets (so that they repeat), timeouts,
// generations and offsets at and around their bounds.
func drawRecords(b []byte) []coordinator.Record {
	ch := randmodel.Bytes(b)
	pick := func(label string, xs ...string) string { return xs[ch.Intn(label, len(xs))] }
	num := func(label string, xs ...int64) int64 { return xs[ch.Intn(label, len(xs))] }
	var recs []coordinator.Record
	for range 1 + ch.Intn("records", maxRecords) {
		group := pick("group", "g", "h", "")
		if ch.Intn("kind", 3) == 0 {
			tp := spec.TopicPartition{Topic: pick("topic", "a", "b", ""), Partition: int32(num("partition", 0, 1, 2, -1))}
			recs = append(recs, coordinator.Record{Offset: &coordinator.OffsetRecord{GroupID: group, TopicPartition: tp,
				Offset: num("offset", 0, 1, 7, -1, 1<<62, 1<<63-1), Metadata: pick("metadata", "", "m")}})
			continue
		}
		rec := &coordinator.GroupRecord{GroupID: group, ProtocolType: pick("protocol-type", "consumer", "", "connect"),
			Generation: int32(num("generation", 0, 1, 2, 3, -1, 1<<30, 1<<31-1)), Protocol: pick("protocol", "range", "", "sticky"),
			Leader: pick("leader", "m-1", "m-2", "", "x"), Members: []coordinator.GroupRecordMember{}}
		for range ch.Intn("members", 4) {
			m := coordinator.GroupRecordMember{MemberID: pick("member", "m-1", "m-2", "m-3", ""), InstanceID: pick("instance", "", "", "i1", "i2"),
				ClientID: "c", RebalanceTimeoutMs: int32(num("rebalance", 10_000, -1, 0, -5, 1<<31-1)),
				SessionTimeoutMs: int32(num("session", 10_000, 6000, 0, -1, 1<<31-1)),
				Subscription:     spec.Subscription{Topics: []string{pick("sub", "a", "b")}, GenerationID: -1}}
			if n := ch.Intn("assigned", 3); n > 0 {
				m.Assignment.Partitions = spec.Assignment{pick("assigned-topic", "a", "b"): []int32{0, 1, 2}[:n]}
			}
			rec.Members = append(rec.Members, m)
		}
		recs = append(recs, coordinator.Record{Group: rec})
	}
	return recs
}

// parseRecords reads one strict JSON record per line.
func parseRecords(data []byte) ([]coordinator.Record, bool) {
	var recs []coordinator.Record
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		if len(recs) == maxRecords {
			return nil, false
		}
		var r coordinator.Record
		if spec.UnmarshalStrict(s.Bytes(), &r) != nil {
			return nil, false
		}
		recs = append(recs, r)
	}
	return recs, s.Err() == nil
}

func jsonRoundTrip(r coordinator.Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("record %v does not write as JSON: %w", r, err)
	}
	var back coordinator.Record
	if err := spec.UnmarshalStrict(b, &back); err != nil {
		return fmt.Errorf("record %s does not read back: %w", b, err)
	}
	if d := cmp.Diff(r, back); d != "" {
		return fmt.Errorf("record %s reads back different:\n%s", b, d)
	}
	return nil
}

func groupIDs(recs []coordinator.Record) []string {
	set := map[string]bool{}
	for _, r := range recs {
		if r.Group != nil {
			set[r.Group.GroupID] = true
		} else {
			set[r.Offset.GroupID] = true
		}
	}
	return spec.SortedKeys(set)
}

// compact keeps the last record of each key, in the order of those last
// records: a group's key is its id, an offset's its group and partition.
func compact(recs []coordinator.Record) []coordinator.Record {
	last := map[string]int{}
	key := func(r coordinator.Record) string {
		if r.Group != nil {
			return "g\x00" + r.Group.GroupID
		}
		return fmt.Sprintf("o\x00%s\x00%s", r.Offset.GroupID, r.Offset.TopicPartition)
	}
	for i, r := range recs {
		last[key(r)] = i
	}
	var out []coordinator.Record
	for i, r := range recs {
		if last[key(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// describeAll is every group's view and committed offsets.
func describeAll(c *coordinator.Coordinator, ids []string) string {
	var b bytes.Buffer
	for _, id := range ids {
		fmt.Fprintf(&b, "%+v\n%v\n", c.Describe(id), c.Committed(id))
	}
	return b.String()
}

func sameAsCompacted(cfg coordinator.Config, recs []coordinator.Record) error {
	ids := groupIDs(recs)
	full, _, err := coordinator.Load(cfg, loadAt, recs)
	if err != nil {
		return err
	}
	small, _, err := coordinator.Load(cfg, loadAt, compact(recs))
	if err != nil {
		return fmt.Errorf("the log loads, but compacted it does not: %w", err)
	}
	if d := cmp.Diff(describeAll(full, ids), describeAll(small, ids)); d != "" {
		return fmt.Errorf("the log compacted loads another state (-full +compacted):\n%s", d)
	}
	return nil
}

// firingLimit bounds the timer firings until every session of the log has
// ended: 10,000, plus what a group waiting for a static member that never
// rejoins takes (Kafka re-arms the rebalance timeout until the member's
// session ends: GroupMetadataManager.completeClassicGroupJoin), its longest
// session over the shortest rebalance timeout, up to maxFirings. A timer
// that fires forever (a livelock) still exceeds it; a log whose sessions
// outlast maxFirings is not judged on expiry.
func firingLimit(log []coordinator.Record) int {
	session, rebalance := int64(10_000), int64(10_000) // the fuzz member's
	for _, r := range log {
		if r.Group == nil {
			continue
		}
		for _, m := range r.Group.Members {
			session = max(session, int64(m.SessionTimeoutMs))
			if m.RebalanceTimeoutMs > 0 {
				rebalance = min(rebalance, int64(m.RebalanceTimeoutMs))
			}
		}
	}
	return int(min(10_000+session/rebalance, maxFirings))
}

const maxFirings = 1_000_000

// serveAndExpire has a new member join the first group, then fires every
// timer until none is left; every transition must be Kafka's, every record
// written must rebuild the group, and at the end every group is Empty. A
// group loaded at MaxGeneration that must rebalance ends the run with
// ErrGenerationLimit: the coordinator's one documented halt.
func serveAndExpire(c *coordinator.Coordinator, cfg coordinator.Config, log []coordinator.Record, ids []string) error {
	now := int64(loadAt)
	step := func(m spec.Message) error {
		rd, err := c.Step(now, m)
		var f *assert.Failure
		if errors.As(err, &f) || errors.Is(err, coordinator.ErrGenerationLimit) {
			return err
		}
		for _, tr := range rd.Transitions {
			if err := spec.CheckTransition(tr.From, tr.FromGeneration, tr.To, tr.ToGeneration); err != nil {
				return err
			}
		}
		if len(rd.Records) == 0 && len(rd.Transitions) == 0 {
			return nil // nothing written, nothing to rebuild
		}
		log = append(log, rd.Records...)
		rebuilt, _, err := coordinator.Load(cfg, now, log)
		if err != nil {
			return fmt.Errorf("the log written so far does not load: %w", err)
		}
		for _, id := range ids {
			live, back := c.Describe(id), rebuilt.Describe(id)
			if live.State == spec.Stable && !cmp.Equal(live, back) {
				return fmt.Errorf("the log rebuilds group %q as %+v, but it is %+v", id, back, live)
			}
		}
		return nil
	}
	join := &spec.JoinGroupRequest{GroupID: ids[0], SessionTimeoutMs: 10_000, RebalanceTimeoutMs: 10_000,
		ProtocolType: "consumer", ClientID: "fuzz", Protocols: []spec.Protocol{{Name: "range"}}}
	if err := step(spec.Message{From: "fuzz", Correlation: 1, Body: join}); err != nil {
		return err
	}
	limit := firingLimit(log)
	for range limit {
		at, ok := c.NextDeadline()
		if !ok {
			break
		}
		now = max(now, at)
		if err := step(spec.Message{Body: &spec.FireTimer{}}); err != nil {
			return err
		}
	}
	if _, ok := c.NextDeadline(); ok {
		if limit == maxFirings {
			return nil // sessions longer than the fuzzer can wait for
		}
		return fmt.Errorf("timers still armed after %d firings", limit)
	}
	for _, id := range ids {
		if g := c.Describe(id); g.State != spec.Empty || len(g.Members) > 0 {
			return fmt.Errorf("every session expired, but group %q is %s with %d members", id, g.State, len(g.Members))
		}
	}
	return nil
}

// TestRecordsCorpus keeps FuzzRecords' seeds committed: the record logs of
// seeded runs of the random model (failovers among them), cut to at most
// maxRecords records.
func TestRecordsCorpus(t *testing.T) {
	var seeds [][]byte
	for seed := uint64(1); seed <= 40 && len(seeds) < 24; seed++ {
		m, err := randmodel.New(randmodel.Seeded(seed), clusterOptions)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(); err != nil && !errors.Is(err, cluster.ErrNotConverged) {
			t.Fatal(err)
		}
		recs := m.Cl.Records()
		if len(recs) == 0 {
			continue
		}
		seeds = append(seeds, recordLines(t, recs[max(0, len(recs)-maxRecords):]))
	}
	fuzzcorpus.Seeds(t, "FuzzRecords", seeds)
}

func recordLines(t *testing.T, recs []coordinator.Record) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
