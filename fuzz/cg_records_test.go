package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/internal/randmodel"
	"github.com/kgroup/kgroup/spec"
)

// FuzzConsumerGroupRecords: any bytes as a record log holding the consumer
// group records (ConsumerGroup* and their tombstones, a classic group's
// tombstone) in any order, mixed with classic group and offset records:
// one JSON record per line when the bytes start with '{', else records
// drawn from the bytes as choices (drawCGRecords). Load gives an error or a
// coordinator, never a panic; Replay on an empty coordinator, whole or in
// two parts, fails or succeeds with it and rebuilds the same groups; every
// record reads back from its JSON; a second Load of the same records has
// the same AppendState; and the loaded coordinator answers a heartbeat of
// every member, a join and a leave of each group, then a byte-driven run
// of heartbeats, commits, ticks and failovers (FuzzConsumerGroupHeartbeat's
// driver, the rest of the bytes, or a seed hashed from the JSON), with no
// internal invariant broken and every log it writes rebuilding its consumer
// groups. (The consumer-group rules are not judged: a log of arbitrary
// records may load a group that breaks them.)
func FuzzConsumerGroupRecords(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var ch randmodel.Chooser
		var recs []coordinator.Record
		ok := true
		if len(data) > 0 && data[0] == '{' {
			if recs, ok = parseRecords(data); !ok {
				return
			}
			h := fnv.New64a()
			h.Write(data)
			ch = randmodel.Seeded(h.Sum64())
		} else {
			ch = randmodel.Bytes(data)
			recs = drawCGRecords(ch)
		}
		if err := checkCGLog(ch, recs); err != nil {
			t.Fatalf("%v\nlog:\n%s", err, recordLines(t, recs))
		}
	})
}

// cgFuzzConfig is the coordinator FuzzConsumerGroupRecords loads into.
func cgFuzzConfig() coordinator.Config {
	cfg := coordinator.DefaultConfig()
	cfg.ConsumerSessionTimeoutMs = 10_000
	cfg.ConsumerHeartbeatIntervalMs = 1000
	return cfg
}

func checkCGLog(ch randmodel.Chooser, recs []coordinator.Record) error {
	cfg := cgFuzzConfig()
	c, ready, err := coordinator.Load(cfg, loadAt, recs)
	if err := sameReplay(cfg, recs, err); err != nil {
		return err
	}
	if err != nil {
		return nil
	}
	for _, r := range recs {
		if err := jsonRoundTrip(r); err != nil {
			return err
		}
	}
	again, _, err := coordinator.Load(cfg, loadAt, recs)
	if err != nil {
		return fmt.Errorf("the log loads once, not twice: %w", err)
	}
	frame := spec.StateFrame{Now: loadAt}
	if a, b := c.AppendState(nil, frame), again.AppendState(nil, frame); !bytes.Equal(a, b) {
		return errors.New("two loads of the same records have different states")
	}
	d := newHBDriverOn(ch, cfg, c, append(recs, ready.Records...), loadAt, false)
	d.topics = map[string]int32{"a": 3, "b": 2}
	if err := d.input(spec.Message{Body: &spec.MetadataUpdate{Topics: d.topics}}, nil); err != nil {
		return err
	}
	if err := d.everyMember(); err != nil {
		return fmt.Errorf("%w\nsteps:\n%s", err, d.transcript())
	}
	if err := d.run(24); err != nil {
		return fmt.Errorf("%w\nsteps:\n%s", err, d.transcript())
	}
	return nil
}

// sameReplay: Replay on an empty coordinator, whole and in two parts,
// fails where Load did (loadErr) or rebuilds the groups Load built.
func sameReplay(cfg coordinator.Config, recs []coordinator.Record, loadErr error) error {
	loaded, _, _ := coordinator.Load(cfg, loadAt, recs)
	for _, cut := range []int{len(recs), len(recs) / 2} {
		c, err := coordinator.New(cfg)
		if err != nil {
			return err
		}
		err = c.Replay(recs[:cut])
		if err == nil {
			err = c.Replay(recs[cut:])
		}
		if (err == nil) != (loadErr == nil) {
			return fmt.Errorf("Load says %v, Replay (cut at %d) %v", loadErr, cut, err)
		}
		if err != nil {
			continue
		}
		if a, b := describeEvery(loaded, recs), describeEvery(c, recs); a != b {
			return fmt.Errorf("Replay (cut at %d) rebuilds other groups than Load (-load +replay):\n%s", cut, cmp.Diff(a, b))
		}
	}
	return nil
}

// describeEvery is every group the records name: its classic view, its
// consumer group view if it is one, and its offsets.
func describeEvery(c *coordinator.Coordinator, recs []coordinator.Record) string {
	var b bytes.Buffer
	for _, id := range recordGroups(recs) {
		v, ok := c.DescribeConsumerGroup(id)
		fmt.Fprintf(&b, "%+v\n%v %+v\n%v\n", c.Describe(id), ok, v, c.Committed(id))
	}
	return b.String()
}

func recordGroups(recs []coordinator.Record) []string {
	set := map[string]bool{}
	for _, r := range recs {
		switch {
		case r.Group != nil:
			set[r.Group.GroupID] = true
		case r.Offset != nil:
			set[r.Offset.GroupID] = true
		case r.GroupTombstone != nil:
			set[r.GroupTombstone.GroupID] = true
		case r.CGMetadata != nil:
			set[r.CGMetadata.GroupID] = true
		case r.CGSubscription != nil:
			set[r.CGSubscription.GroupID] = true
		case r.CGMember != nil:
			set[r.CGMember.GroupID] = true
		case r.CGTarget != nil:
			set[r.CGTarget.GroupID] = true
		case r.CGTargetEpoch != nil:
			set[r.CGTargetEpoch.GroupID] = true
		case r.CGCurrent != nil:
			set[r.CGCurrent.GroupID] = true
		}
	}
	return spec.SortedKeys(set)
}

// everyMember sends, to each consumer group the coordinator loaded, a
// plain heartbeat of every member at its epoch, a full one reporting what
// it is assigned, a join of a new member, and a leave of every member
// (static ones at -2, then -1), firing the timers due in between; then it
// lets every timer fire (at most a bounded number).
func (d *hbDriver) everyMember() error {
	for _, id := range cgGroupIDs {
		v, ok := d.c.DescribeConsumerGroup(id)
		if !ok {
			continue
		}
		var reqs []*spec.ConsumerGroupHeartbeatRequest
		for _, m := range v.Members {
			if !slices.Contains(d.ids, m.MemberID) {
				d.ids = append(d.ids, m.MemberID)
			}
			var inst *string
			if m.InstanceID != "" {
				inst = spec.Str(m.InstanceID)
			}
			reqs = append(reqs,
				&spec.ConsumerGroupHeartbeatRequest{GroupID: id, MemberID: m.MemberID, MemberEpoch: m.Epoch, InstanceID: inst, RebalanceTimeoutMs: -1},
				&spec.ConsumerGroupHeartbeatRequest{GroupID: id, MemberID: m.MemberID, MemberEpoch: m.Epoch, InstanceID: inst, RebalanceTimeoutMs: 30000,
					SubscribedTopicNames: append([]string{}, m.Topics...), TopicPartitions: m.Assigned.Clone()})
		}
		reqs = append(reqs, &spec.ConsumerGroupHeartbeatRequest{GroupID: id, MemberID: "fuzz-new", RebalanceTimeoutMs: 30000,
			SubscribedTopicNames: []string{"a", "b"}, TopicPartitions: spec.Assignment{}})
		for _, m := range v.Members {
			if m.InstanceID != "" {
				reqs = append(reqs, &spec.ConsumerGroupHeartbeatRequest{GroupID: id, MemberID: m.MemberID, MemberEpoch: spec.StaticLeaveEpoch,
					InstanceID: spec.Str(m.InstanceID), RebalanceTimeoutMs: -1})
			}
			reqs = append(reqs, &spec.ConsumerGroupHeartbeatRequest{GroupID: id, MemberID: m.MemberID, MemberEpoch: spec.LeaveEpoch, RebalanceTimeoutMs: -1})
		}
		for _, r := range reqs {
			d.logf("heartbeat %s %s", id, spec.FormatBody(r))
			if err := d.input(spec.Message{From: "client", Body: r}, r); err != nil {
				return err
			}
			d.now += 500
			d.logf("tick +500")
			if err := d.input(spec.Message{Body: &spec.Tick{}}, nil); err != nil {
				return err
			}
		}
	}
	for range 1000 {
		at, ok := d.c.NextDeadline()
		if !ok {
			break
		}
		d.now = max(d.now, at)
		if err := d.input(spec.Message{Body: &spec.FireTimer{}}, nil); err != nil {
			return err
		}
	}
	return nil
}

// drawCGRecords builds a log from choices: consumer group records of
// groups g and h (and the invalid ""), members from a small set, epochs,
// states and assignments at and around their bounds, tombstones a quarter
// of the time, mixed with classic group records, classic tombstones and
// offsets.
func drawCGRecords(ch randmodel.Chooser) []coordinator.Record {
	pick := func(label string, xs ...string) string { return xs[ch.Intn(label, len(xs))] }
	// rare is true one time in eight: an odd value, most of them invalid.
	rare := func(label string) bool { return ch.Intn(label, 8) == 0 }
	epoch := func(label string) int32 {
		if !rare(label + "-odd") {
			return int32(ch.Intn(label, 4))
		}
		return []int32{-1, -2, -3, coordinator.MaxGeneration, coordinator.MaxGeneration - 1, coordinator.MaxGeneration + 1}[ch.Intn(label, 6)]
	}
	assignment := func(label string) spec.Assignment {
		if !rare(label + "-odd") {
			return []spec.Assignment{{}, {"a": {0}}, {"a": {1}}, {"a": {0, 1}}, {"a": {2}, "b": {0}}, {"b": {1}}, {}, {}}[ch.Intn(label, 8)]
		}
		return []spec.Assignment{nil, {"a": {1, 0}}, {"a": {-1}}, {"": {0}}, {"c": {0}}, {"a": {}}}[ch.Intn(label, 6)]
	}
	tomb := func() bool { return ch.Intn("tombstone", 4) == 0 }
	var recs []coordinator.Record
	for range 1 + ch.Intn("records", maxRecords) {
		group, member := pick("group", "g", "h", "g"), pick("member", "m1", "m2", "m3", "consumer-7")
		if rare("odd-ids") {
			group, member = pick("group", "g", ""), pick("member", "m1", "")
		}
		var r coordinator.Record
		switch ch.Intn("kind", 10) {
		case 0:
			r.Offset = &coordinator.OffsetRecord{GroupID: group, TopicPartition: spec.TopicPartition{Topic: pick("topic", "a", "b"), Partition: int32(ch.Intn("partition", 3))},
				Offset: int64(ch.Intn("offset", 10))}
		case 1:
			g := &coordinator.GroupRecord{GroupID: group, ProtocolType: "consumer", Members: []coordinator.GroupRecordMember{}}
			if ch.Intn("classic-members", 2) == 0 {
				g.Generation, g.Protocol, g.Leader = 1, "range", member
				g.Members = append(g.Members, coordinator.GroupRecordMember{MemberID: member, ClientID: "c", RebalanceTimeoutMs: 10_000, SessionTimeoutMs: 10_000,
					Subscription: spec.Subscription{Topics: []string{"a"}, GenerationID: -1}})
			}
			r.Group = g
		case 2:
			r.GroupTombstone = &coordinator.GroupTombstone{GroupID: group}
		case 3:
			r.CGMetadata = &coordinator.CGMetadataRecord{GroupID: group, Epoch: epoch("epoch"), Tombstone: tomb()}
		case 4:
			r.CGSubscription = &coordinator.CGSubscriptionRecord{GroupID: group, Tombstone: tomb(),
				Topics: []map[string]int32{{"a": 3}, {"a": 3, "b": 2}, {}, nil, {"a": 1}, {"": 1}, {"a": -1}}[ch.Intn("subscribed", 7)]}
		case 5:
			r.CGMember = &coordinator.CGMemberRecord{GroupID: group, MemberID: member, Tombstone: tomb(),
				InstanceID: pick("instance", "", "", "i1", "i2"), RackID: pick("rack", "", "r1"), ClientID: "c",
				RebalanceTimeoutMs: []int32{30_000, 1000, 30_000, 1000, 30_000, 1000, 0, -1}[ch.Intn("rebalance", 8)],
				Topics:             [][]string{{"a"}, {"a", "b"}, {"b"}, {}, nil, {"b", "a", "a"}}[ch.Intn("topics", 6)],
				ServerAssignor:     pick("assignor", "", "uniform", "range", "bogus")}
		case 6:
			r.CGTarget = &coordinator.CGTargetRecord{GroupID: group, MemberID: member, Partitions: assignment("target"), Tombstone: tomb()}
		case 7:
			r.CGTargetEpoch = &coordinator.CGTargetEpochRecord{GroupID: group, Epoch: epoch("target-epoch"), Tombstone: tomb()}
		default:
			r.CGCurrent = &coordinator.CGCurrentRecord{GroupID: group, MemberID: member, Tombstone: tomb(),
				State:         []spec.MemberState{spec.MemberStable, spec.MemberStable, spec.MemberUnrevokedPartitions, spec.MemberUnreleasedPartition, spec.MemberUnknown, 5}[ch.Intn("state", 6)],
				Epoch:         epoch("member-epoch"),
				PreviousEpoch: epoch("previous-epoch"), Assigned: assignment("assigned"), PendingRevocation: assignment("pending")}
		}
		if t := r.CGMember; t != nil && t.Tombstone {
			*t = coordinator.CGMemberRecord{GroupID: t.GroupID, MemberID: t.MemberID, Tombstone: true}
		}
		if t := r.CGCurrent; t != nil && t.Tombstone {
			*t = coordinator.CGCurrentRecord{GroupID: t.GroupID, MemberID: t.MemberID, Tombstone: true}
		}
		if t := r.CGTarget; t != nil && t.Tombstone {
			*t = coordinator.CGTargetRecord{GroupID: t.GroupID, MemberID: t.MemberID, Tombstone: true}
		}
		recs = append(recs, r)
	}
	return recs
}

// TestConsumerGroupRecordsCorpus keeps FuzzConsumerGroupRecords' seeds
// committed: the record logs of seeded runs of the random model with KIP-848
// consumer groups (failovers among them), cut to at most maxRecords
// records from the start (a log's tail alone seldom loads), and a few of
// those after a classic run's log.
func TestConsumerGroupRecordsCorpus(t *testing.T) {
	opts := clusterOptions
	opts.AllConsumerGroups = true
	var seeds [][]byte
	var classic []coordinator.Record
	for seed := uint64(1); seed <= 40 && len(seeds) < 24; seed++ {
		m, err := randmodel.New(randmodel.Seeded(seed), opts)
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
		seeds = append(seeds, recordLines(t, recs[:min(len(recs), maxRecords)]))
		if classic == nil {
			cm, err := randmodel.New(randmodel.Seeded(seed), clusterOptions)
			if err != nil {
				t.Fatal(err)
			}
			if err := cm.Run(); err != nil && !errors.Is(err, cluster.ErrNotConverged) {
				t.Fatal(err)
			}
			classic = cm.Cl.Records()
		}
	}
	for i := range min(4, len(seeds)) {
		recs, _ := parseRecords(seeds[i])
		seeds = append(seeds, recordLines(t, append(slices.Clone(classic[:min(len(classic), 16)]), recs[:min(len(recs), maxRecords-16)]...)))
	}
	for _, s := range seeds {
		recs, ok := parseRecords(s)
		if !ok {
			t.Fatalf("a seed does not parse:\n%s", s)
		}
		if err := checkCGLog(randmodel.Seeded(1), recs); err != nil {
			t.Fatalf("%v\nlog:\n%s", err, s)
		}
	}
	fuzzcorpus.Seeds(t, "FuzzConsumerGroupRecords", seeds)
}
