package sim

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/spec"
)

// The application's poll loop. A consumer that processes a batch is the
// consumer's stall input (its application does not call poll()); the end of
// the batch is unstall, a poll() boundary, where Kafka's client rejoins,
// revokes and auto-commits. A batch is min(max.poll.records, records
// available) records, split fairly among the partitions that have some,
// taking the batch's overhead plus its size times a per-record time
// sampled once per batch (a slow downstream slows a whole batch), so a
// batch longer than max.poll.interval.ms makes the member leave by itself.
//
// A consumer that keeps up is not stepped batch by batch: once a poll finds
// so little that the batch would take at most liveWindowMs, and the
// consumer can process faster than its partitions fill, it consumes
// records as they arrive ("live"), and the records processed since are
// handed to its state machine (consume actions) just before anything that
// may commit them: its own timers, and every answer but a successful
// heartbeat, commit or offset fetch.

// liveWindowMs: a poll whose batch would take at most this long means the
// consumer keeps up.
const liveWindowMs = 10

type appConfig struct {
	record    Dist  // per record, sampled per batch
	batch     Dist  // per batch (a flush, a database round trip)
	maxPoll   int64 // max.poll.records
	revoke    Dist  // onPartitionsRevoked's own work (draining in-flight records), before its commit
	assign    Dist  // onPartitionsAssigned's own work (restoring state)
	startup   Dist  // process start until the consumer joins
	shutdown  Dist  // close until the process has exited
	fetchWait int64 // fetch.max.wait.ms
}

// Kafka's defaults (max.poll.records 500, fetch.max.wait.ms 500) and an
// application that processes a record in 100µs.
func defaultApp() appConfig {
	return appConfig{record: Fixed(0.1), maxPoll: 500, fetchWait: 500}
}

type cbKind uint8

const (
	cbNone      cbKind = iota
	cbRevoking         // in onPartitionsRevoked, before its commit
	cbAssigning        // in onPartitionsAssigned
)

type procState uint8

const (
	procDown procState = iota
	procBooting
	procUp
)

// proc is one consumer process and its application.
type proc struct {
	name    string
	idx     int
	app     appConfig
	opts    string // start's consumer options
	rng     *rand.Rand
	state   procState
	joined  bool   // it has started once: the next start is a restart
	gen     uint64 // bumped when the process stops: its scheduled events lapse
	stalled bool   // its state machine is stalled (a batch, a callback)
	inBatch bool
	batch   []chunk
	batchAt int64
	batchO  float64 // the batch's overhead, ms
	batchR  float64 // the batch's time per record, ms
	live    bool
	cb      cbKind
	cbAt    int64
	drained bool // the revoke callback's drain is done for the coming poll
	frozen  bool
	cut     bool
	stop    bool // close at the next poll boundary
	owned   []*own
	// waiting links to it while frozen
	parkedLinks []*link
	trouble     string // why it last lost its membership, for causes
	lastDrain   int64  // the last revoke callback's own work, ms
	nextCommit  int64  // no auto-commit before this (see mayCommit)
	onClosed    func() // a deploy waits for the close
}

// own is one partition a consumer owns, as its application sees it.
type own struct {
	p       *part
	pos     int64 // the next record it will be given; -1 until the offset fetch answers
	startAt int64 // when its first fetch answers
	paused  bool
	live    bool
	// revoking: a cooperative assignment took it away; it is given up once
	// onPartitionsRevoked's commit is answered, and not fetched meanwhile
	revoking bool
}

type chunk struct {
	o        *own
	from, to int64
}

func (x *proc) own(i int32) *own {
	j, ok := slices.BinarySearchFunc(x.owned, i, func(o *own, i int32) int { return int(o.p.idx - i) })
	if !ok {
		return nil
	}
	return x.owned[j]
}

func (x *proc) add(p *part) *own {
	if o := x.own(p.idx); o != nil {
		return o
	}
	o := &own{p: p, pos: -1, startAt: math.MaxInt64}
	j, _ := slices.BinarySearchFunc(x.owned, p.idx, func(o *own, i int32) int { return int(o.p.idx - i) })
	x.owned = slices.Insert(x.owned, j, o)
	return o
}

func (x *proc) remove(p *part) *own {
	j, ok := slices.BinarySearchFunc(x.owned, p.idx, func(o *own, i int32) int { return int(o.p.idx - i) })
	if !ok {
		return nil
	}
	o := x.owned[j]
	x.owned = slices.Delete(x.owned, j, j+1)
	return o
}

func (x *proc) consumable(o *own, now int64) bool {
	return o.pos >= 0 && now >= o.startAt && !o.paused && !x.cut && !o.revoking
}

// handOver hands records to x's state machine: counts[i] records of
// x.owned's i-th partition, in one action when every partition whose
// position it knows takes the same number.
func (e *engine) handOver(x *proc, counts []int64) {
	same, n := true, int64(-1)
	for i, o := range x.owned {
		if o.pos < 0 {
			continue
		}
		if n < 0 {
			n = counts[i]
		}
		same = same && counts[i] == n
	}
	if same && n > 0 {
		e.apply(cluster.Action{Kind: cluster.ActConsume, Node: x.name, Records: n})
		return
	}
	for i, o := range x.owned {
		if counts[i] > 0 {
			tp := o.p.tp
			e.apply(cluster.Action{Kind: cluster.ActConsume, Node: x.name, Records: counts[i], Partition: &tp})
		}
	}
}

// consume hands over records the application has processed already.
func (e *engine) consume(x *proc, counts []int64) {
	e.handOver(x, counts)
	for i, o := range x.owned {
		if counts[i] > 0 {
			e.done(x, o.p, o.pos, o.pos+counts[i])
			o.pos += counts[i]
		}
	}
}

// materialize hands a live consumer's records processed so far to its
// state machine.
func (e *engine) materialize(x *proc) {
	if !x.live || x.frozen {
		return
	}
	counts := make([]int64, len(x.owned))
	any := false
	for i, o := range x.owned {
		if o.live {
			counts[i] = o.p.producedAt(e.now()) - o.pos
			any = any || counts[i] > 0
		}
	}
	if any {
		e.consume(x, counts)
	}
}

func (e *engine) goLive(x *proc) {
	x.live = true
	for _, o := range x.owned {
		if x.consumable(o, e.now()) && !o.live {
			o.live = true
			e.w.setLive(o.p, +1, e.now())
		}
	}
}

func (e *engine) leaveLive(x *proc) {
	if !x.live {
		return
	}
	e.materialize(x)
	x.live = false
	for _, o := range x.owned {
		if o.live {
			o.live = false
			e.w.setLive(o.p, -1, e.now())
		}
	}
}

// canPoll: the application is at a poll() boundary it can act on.
func (x *proc) canPoll() bool {
	return x.state == procUp && !x.inBatch && x.cb == cbNone && !x.frozen
}

// wake makes an idle or live application look again (a partition became
// fetchable, was resumed, a rate changed).
func (e *engine) wake(x *proc) {
	if x == nil || !x.canPoll() {
		return
	}
	e.leaveLive(x)
	e.poll(x)
}

// poll is one poll() boundary of x's application.
func (e *engine) poll(x *proc) {
	if !x.canPoll() || e.err != nil {
		return
	}
	if x.stop {
		e.closeNow(x)
		return
	}
	if x.stalled {
		if !x.drained && !x.app.revoke.IsZero() && e.willRevokeEager(x) {
			e.callback(x, cbRevoking, x.app.revoke.Sample(x.rng), func() { x.drained = true })
			return
		}
		x.drained = false
		x.stalled = false
		if e.apply(cluster.Action{Kind: cluster.ActUnstall, Node: x.name}) != nil || !x.canPoll() {
			return
		}
	}
	e.fetch(x)
}

// fetch is what the poll returns: a batch, nothing, or (keeping up) live
// consumption. An eager consumer that must rejoin gets nothing: its poll()
// revokes everything and joins (onJoinPrepare) before it fetches again.
func (e *engine) fetch(x *proc) {
	now := e.now()
	if c, ok := e.cl.Consumer(x.name); ok && c.View().Protocol == spec.Eager && c.View().RejoinNeeded {
		return
	}
	avail := make([]int64, len(x.owned))
	var total int64
	var rate float64
	pending, _ := e.cl.Consumer(x.name)
	paused, _ := pending.(interface {
		Revoking(spec.TopicPartition) bool
	}) // KIP-848: fetching a partition to revoke is paused
	for i, o := range x.owned {
		if x.consumable(o, now) && (paused == nil || !paused.Revoking(o.p.tp)) {
			avail[i] = max(0, o.p.producedAt(now)-o.pos)
			total += avail[i]
			rate += o.p.rate
		}
	}
	rec, over := x.app.record.Mean(), x.app.batch.Mean()
	if rate*rec < 1 && over+float64(total)*rec <= liveWindowMs {
		if total > 0 {
			e.consume(x, avail)
		}
		e.goLive(x)
		return
	}
	if total == 0 {
		// Overloaded or slow per batch, and nothing yet: the fetch returns
		// when a record arrives, or after fetch.max.wait.ms.
		wait := int64(x.app.fetchWait)
		if rate > 0 {
			wait = min(wait, int64(math.Ceil(1/rate)))
		}
		e.later(x, max(1, wait), func() { e.wake(x) })
		return
	}
	e.startBatch(x, avail, min(total, x.app.maxPoll))
}

// startBatch hands n records to the application, fairly split.
func (e *engine) startBatch(x *proc, avail []int64, n int64) {
	take := fairShare(avail, n)
	x.batch = x.batch[:0]
	for i, o := range x.owned {
		if take[i] > 0 {
			x.batch = append(x.batch, chunk{o: o, from: o.pos, to: o.pos + take[i]})
		}
	}
	e.consumeBatch(x, take)
	x.inBatch, x.batchAt = true, e.now()
	x.batchR, x.batchO = x.app.record.Sample(x.rng), x.app.batch.Sample(x.rng)
	d := x.batchO + float64(n)*x.batchR
	if !x.stalled {
		x.stalled = true
		if e.apply(cluster.Action{Kind: cluster.ActStall, Node: x.name}) != nil {
			return
		}
	}
	e.later(x, max(1, int64(math.Round(d))), func() { e.batchEnd(x) })
}

// consumeBatch hands a batch's records to the state machine (positions move
// at poll() time, as Kafka's fetch position does); they count as processed
// when the batch ends.
func (e *engine) consumeBatch(x *proc, take []int64) {
	e.handOver(x, take)
	for i, o := range x.owned {
		o.pos += take[i]
	}
}

func (e *engine) batchEnd(x *proc) {
	x.inBatch = false
	for _, c := range x.batch {
		e.done(x, c.o.p, c.from, c.to)
	}
	x.batch = x.batch[:0]
	e.poll(x)
}

// done records that x processed [from, to) of p, and why any of it was
// processed before.
func (e *engine) done(x *proc, p *part, from, to int64) {
	if d := e.w.done(p, from, to, e.now()); d > 0 {
		e.ob.duplicates(x, p, d)
	}
}

// partial counts the records of an interrupted batch processed by now.
func (e *engine) partial(x *proc) {
	if !x.inBatch {
		return
	}
	k := int64(math.MaxInt64)
	if x.batchR > 0 {
		k = int64(math.Max(0, (float64(e.now()-x.batchAt)-x.batchO)/x.batchR))
	}
	for _, c := range x.batch {
		to := min(c.to, c.from+k)
		e.done(x, c.o.p, c.from, to)
		k -= to - c.from
	}
	x.inBatch = false
	x.batch = x.batch[:0]
}

// fairShare splits n among the counts, each getting at most its own, as
// evenly as possible (water-filling; the remainder goes to the first).
func fairShare(avail []int64, n int64) []int64 {
	take := make([]int64, len(avail))
	for n > 0 {
		open := 0
		for i := range avail {
			if take[i] < avail[i] {
				open++
			}
		}
		if open == 0 {
			break
		}
		each := max(1, n/int64(open))
		for i := range avail {
			if n == 0 {
				break
			}
			if d := min(each, avail[i]-take[i], n); d > 0 {
				take[i] += d
				n -= d
			}
		}
	}
	return take
}

// later schedules fn for x, unless x's process has stopped by then.
func (e *engine) later(x *proc, d int64, fn func()) {
	gen := x.gen
	e.at(e.now()+d, func() {
		if x.gen == gen {
			fn()
		}
	})
}

// callback runs a rebalance listener callback's own work for d ms: the
// application is blocked (stalled), then polls again.
func (e *engine) callback(x *proc, kind cbKind, d float64, then func()) {
	e.leaveLive(x)
	if !x.stalled {
		x.stalled = true
		if e.apply(cluster.Action{Kind: cluster.ActStall, Node: x.name}) != nil {
			return
		}
	}
	x.cb, x.cbAt = kind, e.now()
	e.reclassAll(x)
	e.later(x, max(1, int64(math.Round(d))), func() {
		x.cb = cbNone
		e.ob.callbackDone(x, kind, e.now()-x.cbAt)
		e.reclassAll(x)
		if then != nil {
			then()
		}
		e.poll(x)
	})
}

func (e *engine) reclassAll(x *proc) {
	for _, o := range x.owned {
		e.w.reclass(o.p, e.now())
	}
}

// willRevokeEager: x's next poll revokes everything (eager, rejoin due).
func (e *engine) willRevokeEager(x *proc) bool {
	c, ok := e.cl.Consumer(x.name)
	if !ok {
		return false
	}
	v := c.View()
	return v.Protocol == spec.Eager && v.State == spec.ClientStable && v.RejoinNeeded && v.Generation >= 0 && len(v.Owned) > 0
}

// beforeDelivery prepares x for a message about to reach it: a live
// consumer's records are handed over first unless the message is a plain
// success; a revoke callback's drain starts; a cooperative member's
// SyncGroup answer that revokes waits for the drain (the callback runs
// before its commit). It returns how long to hold the message back.
func (e *engine) beforeDelivery(x *proc, m spec.Message) int64 {
	if !quiet(m) {
		e.materialize(x)
	}
	e.markRevoking(x, m)
	if x.app.revoke.IsZero() || x.cb != cbNone || x.state != procUp || x.frozen {
		return 0
	}
	c, ok := e.cl.Consumer(x.name)
	if !ok {
		return 0
	}
	v := c.View()
	switch r := m.Body.(type) {
	case *spec.HeartbeatResponse:
		if r.ErrorCode == spec.RebalanceInProgress && v.Protocol == spec.Eager && v.State == spec.ClientStable && len(v.Owned) > 0 && !x.inBatch {
			e.callback(x, cbRevoking, x.app.revoke.Sample(x.rng), func() { x.drained = true })
		}
	case *spec.SyncGroupResponse:
		kept := r.Assignment.Partitions.Partitions()
		if r.ErrorCode == spec.None && v.Protocol == spec.Cooperative &&
			slices.ContainsFunc(v.Owned, func(tp spec.TopicPartition) bool { return !slices.Contains(kept, tp) }) {
			d := x.app.revoke.Sample(x.rng)
			e.callback(x, cbRevoking, d, nil)
			return max(1, int64(math.Round(d)))
		}
	}
	return 0
}

// markRevoking: a cooperative member's new assignment takes partitions
// away; it stops fetching them (they are revoked once its commit is
// answered).
func (e *engine) markRevoking(x *proc, m spec.Message) {
	r, ok := m.Body.(*spec.SyncGroupResponse)
	c, running := e.cl.Consumer(x.name)
	if !ok || r.ErrorCode != spec.None || !running || c.View().Protocol != spec.Cooperative {
		return
	}
	kept := r.Assignment.Partitions.Partitions()
	any := false
	for _, o := range x.owned {
		if !slices.Contains(kept, o.p.tp) {
			o.revoking, any = true, true
		}
	}
	if any && x.live {
		e.leaveLive(x)
		e.at(e.now(), func() { e.wake(x) })
	}
}

// quiet: a successful heartbeat, commit or offset fetch answer, after which
// the consumer's poll cannot commit or revoke anything new.
func quiet(m spec.Message) bool {
	switch b := m.Body.(type) {
	case *spec.HeartbeatResponse:
		return b.ErrorCode == spec.None
	case *spec.OffsetCommitResponse:
		return b.Code() == spec.None
	case *spec.OffsetFetchResponse:
		return b.ErrorCode == spec.None
	}
	return false
}

// sendDelay is the time a message waits in its sender before the wire: the
// leader's SyncGroup waits for its assignment to be computed; a heartbeat
// of a consumer in a batch waits for the heartbeat thread's next wake-up
// (it sleeps retry.backoff.ms between checks; a polling application wakes
// it when one is due).
func (e *engine) sendDelay(m spec.Message) float64 {
	switch b := m.Body.(type) {
	case *spec.SyncGroupRequest:
		if len(b.Assignments) > 0 {
			return assignCostMs(b.ProtocolName, len(b.Assignments), e.w.countExisting())
		}
	case *spec.HeartbeatRequest:
		if x := e.procAt(m.From); x != nil && x.inBatch {
			if cfg, err := e.cl.ConfigOf(x.name); err == nil {
				return float64(cfg.RetryBackoffMs) * x.rng.Float64()
			}
		}
	}
	return 0
}
