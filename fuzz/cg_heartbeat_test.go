package fuzz

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/internal/randmodel"
	"github.com/kgroup/kgroup/spec"
)

// maxHeartbeatSteps bounds a FuzzConsumerGroupHeartbeat run.
const maxHeartbeatSteps = 80

// cgGroupIDs are the groups the heartbeat driver talks to.
var cgGroupIDs = []string{"g", "h"}

// FuzzConsumerGroupHeartbeat: bytes as the choices of a driver that gives
// a coordinator a metadata image, then a sequence of inputs —
// ConsumerGroupHeartbeats with any field values (nullable fields null or
// not, member ids from a small set and those the coordinator made, epochs
// 0, -1, -2, the member's own, the one before, one ahead, wrong ones),
// time advances and timer firings, OffsetCommit and OffsetFetch with member
// epochs, new metadata images, classic JoinGroups on the same group ids, and
// failovers (Unload, then Load of every record written so far). Never an
// internal invariant broken; after every step every consumer group
// satisfies spec.CheckConsumerGroup, and, within one coordinator's life,
// spec.CheckConsumerGroupStep from its previous view; every response to a
// request about a consumer group satisfies spec.CheckConsumerFencing; every
// record written reads back from its JSON; and a coordinator loaded from
// every record written so far describes each consumer group as the live
// one does, state aside.
func FuzzConsumerGroupHeartbeat(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := newHBDriver(randmodel.Bytes(b), true, 0)
		if err == nil {
			err = d.run(maxHeartbeatSteps)
		}
		if err != nil {
			t.Fatalf("%v\nchoices %x\nsteps:\n%s", err, b, d.transcript())
		}
	})
}

// hbDriver drives one coordinator, and its successors after failovers.
type hbDriver struct {
	ch  randmodel.Chooser
	cfg coordinator.Config
	c   *coordinator.Coordinator
	now int64
	// log is every record written, by every coordinator of the run.
	log []coordinator.Record
	// topics is the last metadata image given.
	topics map[string]int32
	// prev is each consumer group's view after the last step, within the
	// coordinator's life (a failover clears it).
	prev map[string]spec.ConsumerGroupView
	// ids are the member ids the driver picks from: a fixed few and those
	// the coordinator made.
	ids []string
	// lastAssignment is each member's last assignment answered.
	lastAssignment map[string]spec.Assignment
	corr           int32
	// strict: the coordinator holds only what its own handlers wrote, so
	// the consumer-group rules hold (a log of arbitrary records may load a
	// group that breaks them; then only the absence of internal failures,
	// and replay, are judged).
	strict bool
	steps  []string
}

func newHBDriver(ch randmodel.Chooser, strict bool, bugs mutant.Set) (*hbDriver, error) {
	cfg := coordinator.DefaultConfig()
	cfg.Bugs = bugs
	cfg.ConsumerSessionTimeoutMs = []int32{3000, 10000, 45000}[ch.Intn("cg-session", 3)]
	cfg.ConsumerHeartbeatIntervalMs = 1000
	cfg.ConsumerGroupMaxSize = []int{0, 0, 2}[ch.Intn("cg-max-size", 3)]
	cfg.ConsumerAssignors = [][]string{nil, {"range"}, {"uniform"}, {"range", "uniform"}}[ch.Intn("cg-assignors", 4)]
	cfg.InitialRebalanceDelayMs = 0
	c, err := coordinator.New(cfg)
	if err != nil {
		return nil, err
	}
	d := newHBDriverOn(ch, cfg, c, nil, loadAt, strict)
	return d, d.metadata()
}

func newHBDriverOn(ch randmodel.Chooser, cfg coordinator.Config, c *coordinator.Coordinator, log []coordinator.Record, now int64, strict bool) *hbDriver {
	return &hbDriver{ch: ch, cfg: cfg, c: c, now: now, log: slices.Clone(log), prev: map[string]spec.ConsumerGroupView{},
		ids: []string{"m1", "m2", "m3", ""}, lastAssignment: map[string]spec.Assignment{}, strict: strict, topics: map[string]int32{}}
}

func (d *hbDriver) transcript() string { return strings.Join(d.steps, "\n") }

func (d *hbDriver) logf(format string, args ...any) {
	d.steps = append(d.steps, fmt.Sprintf("@%d ", d.now)+fmt.Sprintf(format, args...))
}

func (d *hbDriver) pick(label string, xs ...string) string { return xs[d.ch.Intn(label, len(xs))] }

func (d *hbDriver) run(steps int) error {
	for range d.ch.Intn("steps", steps) + 1 {
		if err := d.step(); err != nil {
			return err
		}
	}
	return nil
}

// step performs one input, then checks.
func (d *hbDriver) step() error {
	switch a := d.ch.Intn("action", 16); {
	case a < 7:
		return d.heartbeat()
	case a == 7:
		ms := []int64{0, 100, 1000, 3000, 10000, 45000}[d.ch.Intn("advance", 6)]
		d.now += ms
		d.logf("tick +%d", ms)
		return d.input(spec.Message{Body: &spec.Tick{}}, nil)
	case a == 8:
		at, ok := d.c.NextDeadline()
		if !ok {
			return nil
		}
		d.now = max(d.now, at)
		d.logf("fire one timer")
		return d.input(spec.Message{Body: &spec.FireTimer{}}, nil)
	case a == 9:
		return d.commit()
	case a == 10:
		return d.fetch()
	case a == 11:
		return d.metadata()
	case a == 12:
		return d.failover()
	case a == 13:
		return d.classicJoin()
	default:
		return d.heartbeat()
	}
}

// group picks a group id, now and then an invalid one.
func (d *hbDriver) group() string {
	if d.ch.Intn("odd-group", 32) == 0 {
		return d.pick("bad-group", "", " ")
	}
	return cgGroupIDs[d.ch.Intn("group", len(cgGroupIDs))]
}

func (d *hbDriver) memberID() string { return d.ids[d.ch.Intn("member", len(d.ids))] }

// member is the member's view in group, if it is one.
func (d *hbDriver) member(group, id string) (spec.ConsumerMemberView, bool) {
	v, ok := d.c.DescribeConsumerGroup(group)
	if !ok {
		return spec.ConsumerMemberView{}, false
	}
	return v.Member(id)
}

// rare is true one time in eight: the odd, mostly invalid, value.
func (d *hbDriver) rare(label string) bool { return d.ch.Intn(label, 8) == 0 }

// epoch picks a member epoch: mostly the member's own (0 for one that is
// not a member), else the special ones, its previous one, one ahead, one
// behind and fixed wrong ones.
func (d *hbDriver) epoch(m spec.ConsumerMemberView, known bool) int32 {
	cur, prev := int32(0), int32(0)
	if known {
		cur, prev = m.Epoch, m.PreviousEpoch
	}
	if !d.rare("odd-epoch") {
		return cur
	}
	return []int32{0, -1, -2, prev, cur + 1, cur - 1, 1, 7, -3, 1 << 30}[d.ch.Intn("epoch", 10)]
}

func (d *hbDriver) optStr(label string, xs ...string) *string {
	i := d.ch.Intn(label, len(xs)+1)
	if i == len(xs) {
		return nil
	}
	return spec.Str(xs[i])
}

// owned picks what the member reports it owns: mostly what it is
// assigned (it revoked what it had to), or that with what it must still
// revoke, or its last assignment answered, or odd ones.
func (d *hbDriver) owned(m spec.ConsumerMemberView, known bool) spec.Assignment {
	held := m.Assigned.Clone()
	for t, ps := range m.PendingRevocation {
		held[t] = append(held[t], ps...)
	}
	held.Normalize()
	switch d.ch.Intn("owned", 8) {
	case 0:
		return nil
	case 1:
		return spec.Assignment{}
	case 2, 3:
		if known {
			return m.Assigned.Clone()
		}
		return spec.Assignment{}
	case 4:
		if known {
			return held
		}
		return spec.Assignment{}
	case 5:
		return d.lastAssignment[m.MemberID].Clone()
	case 6:
		// one partition fewer than assigned
		out := m.Assigned.Clone()
		for _, t := range spec.SortedKeys(out) {
			if len(out[t]) > 0 {
				out[t] = out[t][1:]
				break
			}
		}
		return out
	}
	return []spec.Assignment{{"a": {0}}, {"a": {0, 1}, "b": {0}}, {"b": {}}, {"c": {0}}}[d.ch.Intn("owned-fixed", 4)]
}

func (d *hbDriver) heartbeat() error {
	g := d.group()
	r := &spec.ConsumerGroupHeartbeatRequest{GroupID: g, MemberID: d.memberID(), ClientID: "c"}
	if d.rare("odd-client") {
		r.ClientID = d.pick("client", "", "x")
	}
	m, known := d.member(g, r.MemberID)
	r.MemberEpoch = d.epoch(m, known)
	r.RebalanceTimeoutMs = -1
	switch {
	case known && m.InstanceID != "" && !d.rare("other-instance"):
		r.InstanceID = spec.Str(m.InstanceID)
	case known && m.InstanceID != "":
		r.InstanceID = d.optStr("instance", "i1", "i2", "")
	case d.ch.Intn("static", 4) == 0:
		r.InstanceID = d.optStr("instance", "i1", "i2", "i1", "i2", "")
	}
	// A plain heartbeat (every optional field null) half the time, a full
	// one otherwise (always when joining), each field drawn.
	if d.ch.Intn("full", 2) == 0 || r.MemberEpoch == 0 {
		r.RebalanceTimeoutMs = []int32{1000, 30000}[d.ch.Intn("rebalance", 2)]
		if d.rare("odd-rebalance") {
			r.RebalanceTimeoutMs = []int32{-1, 0, -5}[d.ch.Intn("rebalance", 3)]
		}
		r.SubscribedTopicNames = [][]string{{"a"}, {"a", "b"}, {"b"}, {"a"}, {"a", "b"}, {"c", "a"}}[d.ch.Intn("topics", 6)]
		if d.rare("odd-topics") {
			r.SubscribedTopicNames = [][]string{{"c"}, {"a", "a"}, {}, nil}[d.ch.Intn("topics", 4)]
		}
		r.TopicPartitions = d.owned(m, known)
		if r.MemberEpoch == 0 && !d.rare("join-owning") {
			r.TopicPartitions = spec.Assignment{}
		}
		if d.ch.Intn("assignor?", 3) == 0 {
			r.ServerAssignor = d.optStr("assignor", "uniform", "range", "uniform", "range", "bogus")
		}
		if d.ch.Intn("rack?", 3) == 0 {
			r.RackID = d.optStr("rack", "r1", "r2", "r1", "r2", " ")
		}
	} else if d.ch.Intn("partial", 3) == 0 {
		r.TopicPartitions = d.owned(m, known)
	}
	if d.ch.Intn("regex", 64) == 0 {
		r.SubscribedTopicRegex = spec.Str("a.*")
	}
	d.logf("heartbeat %s %s", g, spec.FormatBody(r))
	return d.input(spec.Message{From: "client", Body: r}, r)
}

func (d *hbDriver) commit() error {
	g := d.group()
	id := d.memberID()
	m, known := d.member(g, id)
	r := &spec.OffsetCommitRequest{GroupID: g, MemberID: id, GenerationID: d.epoch(m, known),
		Offsets: []spec.OffsetCommitPartition{{TopicPartition: spec.TopicPartition{Topic: d.pick("topic", "a", "b"), Partition: int32(d.ch.Intn("partition", 3))},
			Offset: int64(d.ch.Intn("offset", 100))}}}
	if d.ch.Intn("commit-empty", 8) == 0 {
		r.Offsets = nil
	}
	d.logf("commit %s", spec.FormatBody(r))
	return d.input(spec.Message{From: "client", Body: r}, r)
}

func (d *hbDriver) fetch() error {
	g := d.group()
	id := d.memberID()
	m, known := d.member(g, id)
	r := &spec.OffsetFetchRequest{GroupID: g, MemberID: id, MemberEpoch: d.epoch(m, known)}
	if d.ch.Intn("fetch-some", 2) == 0 {
		r.Partitions = []spec.TopicPartition{{Topic: "a", Partition: 0}}
	}
	d.logf("fetch %s", spec.FormatBody(r))
	return d.input(spec.Message{From: "client", Body: r}, r)
}

func (d *hbDriver) metadata() error {
	topics := map[string]int32{}
	if n := d.ch.Intn("partitions-a", 5); n > 0 || d.ch.Intn("a-empty", 2) == 0 {
		topics["a"] = int32(n)
	}
	if n := d.ch.Intn("partitions-b", 4); n > 0 {
		topics["b"] = int32(n)
	}
	d.topics = topics
	d.logf("metadata %v", topics)
	return d.input(spec.Message{Body: &spec.MetadataUpdate{Topics: topics}}, nil)
}

// classicJoin sends a classic JoinGroup: it deletes an Empty consumer group
// of the id, and is refused by a non-empty one.
func (d *hbDriver) classicJoin() error {
	r := &spec.JoinGroupRequest{GroupID: cgGroupIDs[d.ch.Intn("group", len(cgGroupIDs))], SessionTimeoutMs: 6000,
		RebalanceTimeoutMs: 6000, ProtocolType: "consumer", ClientID: "classic",
		Protocols: []spec.Protocol{{Name: "range", Metadata: spec.Subscription{Topics: []string{"a"}, GenerationID: -1}}}}
	d.logf("join %s", spec.FormatBody(r))
	return d.input(spec.Message{From: "classic", Body: r}, r)
}

// failover unloads the coordinator and loads a new one from the log; it
// is told the metadata again, or (now and then) not.
func (d *hbDriver) failover() error {
	d.logf("failover")
	if err := d.input(spec.Message{Body: &spec.Unload{}}, nil); err != nil {
		return err
	}
	c, rd, err := coordinator.Load(d.cfg, d.now, d.log)
	if err != nil {
		return fmt.Errorf("the log written so far does not load: %w", err)
	}
	d.c = c
	d.prev = map[string]spec.ConsumerGroupView{}
	if err := d.absorb(rd, nil); err != nil {
		return err
	}
	if d.ch.Intn("metadata-after-failover", 4) > 0 {
		d.logf("metadata %v", d.topics)
		return d.input(spec.Message{Body: &spec.MetadataUpdate{Topics: d.topics}}, nil)
	}
	return nil
}

// input steps the coordinator with m (req is m's request, if any) and
// checks what it did.
func (d *hbDriver) input(m spec.Message, req spec.Request) error {
	d.corr++
	m.Correlation = d.corr
	rd, err := d.c.Step(d.now, m)
	if err != nil {
		var f *assert.Failure
		if errors.As(err, &f) || !errors.Is(err, coordinator.ErrGenerationLimit) {
			return fmt.Errorf("step: %w", err)
		}
		return nil
	}
	return d.absorb(rd, req)
}

// absorb takes what a step produced and checks the coordinator after it.
func (d *hbDriver) absorb(rd coordinator.Ready, req spec.Request) error {
	for _, r := range rd.Records {
		if err := jsonRoundTrip(r); err != nil {
			return err
		}
	}
	d.log = append(d.log, rd.Records...)
	reports := map[string]spec.Assignment{} // owned partitions reported in answered heartbeats
	for _, resp := range rd.Responses {
		if hr, ok := resp.Body.(*spec.ConsumerGroupHeartbeatResponse); ok {
			d.logf("  -> %s", spec.FormatBody(hr))
			if hr.ErrorCode == spec.None && hr.MemberID != "" {
				if !slices.Contains(d.ids, hr.MemberID) {
					d.ids = append(d.ids, hr.MemberID)
				}
				if hr.Assignment != nil {
					d.lastAssignment[hr.MemberID] = hr.Assignment.Clone()
				}
			}
		}
		if req == nil || resp.Correlation != d.corr {
			continue
		}
		if err := d.checkFencing(req, resp.Body); err != nil {
			return err
		}
		if hb, ok := req.(*spec.ConsumerGroupHeartbeatRequest); ok && hb.TopicPartitions != nil &&
			resp.Body.(spec.Response).Code() == spec.None {
			reports[hb.MemberID] = hb.TopicPartitions
		}
	}
	if err := d.checkGroups(reports); err != nil {
		return err
	}
	if len(rd.Records) > 0 {
		return d.checkReplay()
	}
	return nil
}

// checkFencing is rule 2 on the answer to req, when req is about a
// consumer group (a heartbeat always is).
func (d *hbDriver) checkFencing(req spec.Request, body any) error {
	resp, ok := body.(spec.Response)
	if !ok {
		return fmt.Errorf("the answer to %s is %T, not a response", spec.FormatBody(req), body)
	}
	after, isCG := d.c.DescribeConsumerGroup(req.Group())
	if _, hb := req.(*spec.ConsumerGroupHeartbeatRequest); !isCG && !hb {
		return nil
	}
	if !d.strict && !isCG {
		return nil
	}
	return spec.CheckConsumerFencing(after, req, resp)
}

// checkGroups is rules 1, 4 and 5 on every consumer group; reports are the
// owned partitions the step's answered heartbeats reported.
func (d *hbDriver) checkGroups(reports map[string]spec.Assignment) error {
	if !d.strict {
		return nil
	}
	for _, id := range cgGroupIDs {
		v, ok := d.c.DescribeConsumerGroup(id)
		if !ok {
			delete(d.prev, id)
			continue
		}
		if err := spec.CheckConsumerGroup(v); err != nil {
			return fmt.Errorf("%w\nview: %+v", err, v)
		}
		if p, ok := d.prev[id]; ok {
			if err := errors.Join(spec.CheckConsumerGroupStep(p, v), spec.CheckConsumerReleases(p, v, reports)); err != nil {
				return fmt.Errorf("%w\nbefore: %+v\nafter:  %+v", err, p, v)
			}
		}
		d.prev[id] = v
	}
	return nil
}

// checkReplay: a coordinator loaded from every record written so far
// describes each consumer group as the live one does, state aside (the
// live one may be unloaded, Dead).
func (d *hbDriver) checkReplay() error {
	loaded, _, err := coordinator.Load(d.cfg, d.now, d.log)
	if err != nil {
		return fmt.Errorf("the log written so far does not load: %w", err)
	}
	for _, id := range cgGroupIDs {
		live, liveOK := d.c.DescribeConsumerGroup(id)
		back, backOK := loaded.DescribeConsumerGroup(id)
		live.State, back.State = 0, 0
		if liveOK != backOK || !cmp.Equal(live, back) {
			return fmt.Errorf("the log rebuilds consumer group %s (exists %v) differently from the live one (exists %v) (-live +loaded):\n%s",
				id, backOK, liveOK, cmp.Diff(live, back))
		}
	}
	return nil
}

// TestConsumerGroupHeartbeatCorpus keeps FuzzConsumerGroupHeartbeat's
// seeds committed: the recorded choices of seeded runs of the driver, each
// checked to pass.
func TestConsumerGroupHeartbeatCorpus(t *testing.T) {
	var seeds [][]byte
	for seed := uint64(1); seed <= 24; seed++ {
		rec := &randmodel.Recorder{Chooser: randmodel.Seeded(seed)}
		d, err := newHBDriver(rec, true, 0)
		if err == nil {
			err = d.run(maxHeartbeatSteps)
		}
		if err != nil {
			t.Fatalf("seed %d: %v\nsteps:\n%s", seed, err, d.transcript())
		}
		seeds = append(seeds, rec.Out)
	}
	fuzzcorpus.Seeds(t, "FuzzConsumerGroupHeartbeat", seeds)
}

// TestConsumerGroupHeartbeatFindsPlantedBugs shows FuzzConsumerGroupHeartbeat's
// checks are not vacuous: with each consumer-group bug planted in the
// coordinator, seeded runs of its driver break a rule within a few hundred.
// cg-skip-epoch-check is not among them: a heartbeat at a wrong epoch
// answered with the member's own breaks none of the spec's rules (only the
// conformance tests of impl/coordinator, which want FENCED_MEMBER_EPOCH,
// see it).
func TestConsumerGroupHeartbeatFindsPlantedBugs(t *testing.T) {
	const runs = 400
	for _, bug := range mutant.ConsumerGroupOnly() {
		if bug == mutant.CGSkipEpochCheck {
			continue
		}
		t.Run(bug.String(), func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= runs; seed++ {
				d, err := newHBDriver(randmodel.Seeded(seed), true, mutant.Of(bug))
				if err == nil {
					err = d.run(maxHeartbeatSteps)
				}
				if err != nil {
					t.Logf("caught by seed %d: %s", seed, firstLine(err.Error()))
					return
				}
			}
			t.Fatalf("%s planted, but %d runs broke no rule", bug, runs)
		})
	}
}
