package sim

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// The observer watches the cluster's events and keeps what the report
// says: each rebalance (its cause, rounds, join and sync time, partitions
// moved, members that revoked), the consumers' own view of rebalances as
// Kafka's client metrics measure it, session expiries and poll timeouts,
// duplicates by cause, and a timeline of notable events.

// Rebalance is one rebalance of the group: from the first PreparingRebalance
// to the Stable that no follow-up round (cooperative) came after.
type Rebalance struct {
	N      int    `json:"n"`
	Cause  string `json:"cause"`
	Start  int64  `json:"start_ms"`
	Stable int64  `json:"stable_ms"` // -1 if it never completed
	JoinMs int64  `json:"join_ms"`
	SyncMs int64  `json:"sync_ms"`
	Rounds int    `json:"rounds"`
	// Moved counts partitions whose owner after differs from the one before.
	Moved int `json:"moved"`
	// Revoked and Lost count the members that gave partitions up.
	Revoked int `json:"members_revoked"`
	Lost    int `json:"members_lost"`
	Members int `json:"members"`
	// Paused counts the partitions that stopped progressing during it, and
	// NonProgressMs their partition-milliseconds.
	Paused        int     `json:"partitions_paused"`
	NonProgressMs int64   `json:"nonprogress_ms"`
	LagBefore     float64 `json:"lag_before"`
	RecoveredAt   int64   `json:"lag_recovered_ms"` // -1 if the lag never came back
	revokers      map[string]bool
	losers        map[string]bool
	before        []int32
	phaseAt       int64
	npStart       int64
	noteAt        int
	closed        bool
}

// TotalMs is start to Stable.
func (r *Rebalance) TotalMs() int64 {
	if r.Stable < 0 {
		return -1
	}
	return r.Stable - r.Start
}

// stat is a running count, sum and maximum.
type stat struct {
	n        int64
	sum, max float64
}

func (s *stat) add(v float64) { s.n++; s.sum += v; s.max = math.Max(s.max, v) }
func (s stat) avg() float64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / float64(s.n)
}

type observer struct {
	e            *engine
	rbs          []*Rebalance
	open         *Rebalance
	revokedSince map[string]bool
	memberOf     map[string]string // member id -> process name
	members      map[string]bool   // member ids at the last look
	state        string
	metaChanged  bool
	cgEpoch      int32 // a consumer group's epoch as last seen
	lost         int64 // messages lost
	dupCause     map[string]int64
	expiries     int
	falseExp     int
	pollTimeouts int
	// client side (Kafka's consumer metrics), per process
	joinSent, syncSent, rbStart map[string]int64
	lastCommit                  map[string]int64
	okRebalances, failed        map[string]int
	join, sync, rbLat           stat
	revokeLat, assignLat        stat
	lostCount                   int
	timeline                    []string
	timelineDropped             int
}

func newObserver(e *engine) *observer {
	return &observer{e: e, revokedSince: map[string]bool{}, memberOf: map[string]string{}, members: map[string]bool{},
		dupCause: map[string]int64{}, joinSent: map[string]int64{}, syncSent: map[string]int64{}, rbStart: map[string]int64{},
		lastCommit: map[string]int64{}, okRebalances: map[string]int{}, failed: map[string]int{}}
}

const maxTimeline = 2000

func (ob *observer) note(at int64, format string, args ...any) {
	if len(ob.timeline) >= maxTimeline {
		ob.timelineDropped++
		return
	}
	ob.timeline = append(ob.timeline, fmt.Sprintf("%9s  ", formatClock(at))+fmt.Sprintf(format, args...))
}

// autoCommitMs is x's auto.commit.interval.ms (0 when off: nothing is
// skipped then).
func (ob *observer) autoCommitMs(x *proc) int64 {
	cfg, err := ob.e.cl.ConfigOf(x.name)
	if err != nil || !cfg.AutoCommit {
		return 0
	}
	return cfg.AutoCommitIntervalMs
}

// formatClock writes a time of the run: 12.345s, 61m02.5s.
func formatClock(ms int64) string {
	if ms < 600000 {
		return fmt.Sprintf("%d.%03ds", ms/1000, ms%1000)
	}
	return fmt.Sprintf("%dm%04.1fs", ms/60000, float64(ms%60000)/1000)
}

func (ob *observer) event(ev spec.Event, ctx stepCtx) {
	switch ev.Kind {
	case spec.EvGroupState:
		ob.groupState(ev, ctx)
	case spec.EvRevoked:
		if ob.open != nil {
			ob.open.revokers[ev.Node] = true
		}
		ob.revokedSince[ev.Node] = true
	case spec.EvLost:
		if ob.open != nil {
			ob.open.losers[ev.Node] = true
		}
	case spec.EvSend:
		ob.sent(ev)
	case spec.EvDeliver:
		ob.delivered(ev)
	case spec.EvCreateTopic, spec.EvAddPartitions, spec.EvDeleteTopic:
		ob.metaChanged = true
	case spec.EvFailed:
		ob.note(ev.At, "%s stops on a fatal error: %s", ev.Node, ev.Detail)
	}
}

func (ob *observer) sent(ev spec.Event) {
	m := ev.Msg
	x := ob.e.procAt(m.From)
	if x == nil {
		return
	}
	switch m.Body.(type) {
	case *spec.JoinGroupRequest:
		ob.joinSent[x.name] = ev.At
		if _, ok := ob.rbStart[x.name]; !ok {
			ob.rbStart[x.name] = ev.At
		}
	case *spec.SyncGroupRequest:
		ob.syncSent[x.name] = ev.At
	case *spec.ConsumerGroupHeartbeatRequest:
		// KIP-848's client metrics (ConsumerRebalanceMetricsManager): a
		// rebalance ends when the member acknowledges its reconciliation.
		if s, ok := ob.rbStart[x.name]; ok && m.Body.(*spec.ConsumerGroupHeartbeatRequest).TopicPartitions != nil {
			ob.rbLat.add(float64(ev.At - s))
			delete(ob.rbStart, x.name)
			ob.okRebalances[x.name]++
		}
	case *spec.OffsetCommitRequest:
		ob.lastCommit[x.name] = ev.At
		x.nextCommit = ev.At + ob.autoCommitMs(x) - 1
	case *spec.LeaveGroupRequest:
		if x.inBatch && !x.stop {
			ob.pollTimeouts++
			x.trouble = "poll timeout"
			ob.note(ev.At, "%s: its batch outlasts max.poll.interval.ms; it leaves the group", x.name)
		}
	}
}

// ownsExactly reports whether the named consumer owns exactly a.
func (ob *observer) ownsExactly(name string, a spec.Assignment) bool {
	c, ok := ob.e.cl.Consumer(name)
	return ok && slices.Equal(c.View().Owned, a.Partitions())
}

func (ob *observer) delivered(ev spec.Event) {
	m := ev.Msg
	x := ob.e.procAt(m.To)
	if x == nil {
		return
	}
	switch r := m.Body.(type) {
	case *spec.JoinGroupResponse:
		switch r.ErrorCode {
		case spec.None:
			ob.join.add(float64(ev.At - ob.joinSent[x.name]))
			ob.memberOf[r.MemberID] = x.name
		case spec.MemberIDRequired:
		default:
			ob.failed[x.name]++
		}
	case *spec.ConsumerGroupHeartbeatResponse:
		// ... and starts when a new assignment arrives.
		if r.ErrorCode == spec.None && r.Assignment != nil && !ob.ownsExactly(x.name, r.Assignment) {
			if _, ok := ob.rbStart[x.name]; !ok {
				ob.rbStart[x.name] = ev.At
			}
		}
		if r.ErrorCode != spec.None {
			ob.failed[x.name]++
		}
	case *spec.SyncGroupResponse:
		if r.ErrorCode != spec.None {
			ob.failed[x.name]++
			return
		}
		ob.sync.add(float64(ev.At - ob.syncSent[x.name]))
		if s, ok := ob.rbStart[x.name]; ok {
			ob.rbLat.add(float64(ev.At - s))
			delete(ob.rbStart, x.name)
		}
		ob.okRebalances[x.name]++
	}
	if r, ok := m.Body.(spec.Response); ok {
		if r.Code() != spec.None {
			x.nextCommit = 0 // a failed request: commits may be retried at any time
		}
		if _, sync := r.(*spec.SyncGroupResponse); sync {
			x.nextCommit = min(x.nextCommit, ev.At+ob.autoCommitMs(x)-1)
		}
		switch r.Code() {
		case spec.UnknownMemberID:
			x.trouble = "expelled: its session expired"
		case spec.IllegalGeneration:
			x.trouble = "it missed a rebalance"
		case spec.FencedInstanceID:
			x.trouble = "fenced by a new instance"
		}
	}
}

func (ob *observer) groupState(ev spec.Event, ctx stepCtx) {
	if state, _, cg := strings.Cut(ev.Detail, " target-epoch="); cg {
		ob.consumerGroupState(ev, state, ctx)
		return
	}
	now, prev := ev.At, ob.state
	ob.state = ev.Detail
	switch ev.Detail {
	case spec.PreparingRebalance.String():
		cause := ob.cause(ctx, prev)
		if r := ob.open; r != nil && prev == spec.Stable.String() && cause == "cooperative follow-up" {
			r.Rounds++
			r.phaseAt = now
			return
		}
		ob.closeOpen(now)
		ob.openRebalance(now, cause)
	case spec.CompletingRebalance.String():
		if r := ob.open; r != nil {
			r.JoinMs += now - r.phaseAt
			r.phaseAt = now
		}
	case spec.Stable.String():
		if r := ob.open; r != nil {
			r.SyncMs += now - r.phaseAt
			r.Stable, r.phaseAt = now, now
			ob.note(now, "rebalance %d: Stable at generation %d, %s after it began", r.N, ev.Generation, formatMs(float64(now-r.Start)))
		}
		clear(ob.revokedSince)
		ob.metaChanged = false
		ob.refreshMembers()
	case spec.Empty.String(), spec.Dead.String():
		ob.closeOpen(now)
	}
}

// consumerGroupState follows a KIP-848 consumer group. There is no join
// phase nor sync: a rebalance runs from the group leaving Stable (a new
// group epoch: Assigning, or at once Reconciling) to Stable again, and
// each epoch bump while it runs is one more round. Join time stays 0; the
// reconciliation counts as sync time.
func (ob *observer) consumerGroupState(ev spec.Event, state string, ctx stepCtx) {
	now, prev := ev.At, ob.state
	ob.state = state
	switch state {
	case "Assigning", "Reconciling":
		if r := ob.open; r != nil && r.Stable < 0 {
			if ev.Generation > ob.cgEpoch {
				r.Rounds++
			}
			ob.cgEpoch = ev.Generation
			return
		}
		ob.cgEpoch = ev.Generation
		ob.closeOpen(now)
		ob.openRebalance(now, ob.cause(ctx, prev))
	case "Stable":
		if r := ob.open; r != nil && r.Stable < 0 {
			r.SyncMs += now - r.phaseAt
			r.Stable, r.phaseAt = now, now
			ob.note(now, "rebalance %d: Stable at epoch %d, %s after it began", r.N, ev.Generation, formatMs(float64(now-r.Start)))
		}
		clear(ob.revokedSince)
		ob.metaChanged = false
		ob.refreshMembers()
	case "Empty", "Dead":
		ob.closeOpen(now)
	}
}

func (ob *observer) openRebalance(now int64, cause string) {
	w := ob.e.w
	w.area(now)
	r := &Rebalance{N: len(ob.rbs) + 1, Cause: cause, Start: now, Stable: -1, Rounds: 1, phaseAt: now,
		revokers: map[string]bool{}, losers: map[string]bool{}, npStart: w.npArea, LagBefore: w.lag(now), RecoveredAt: -1}
	r.before = make([]int32, len(w.parts))
	for i, p := range w.parts {
		r.before[i] = ownerIdx(p.last)
		if p.counting && p.state != stProgress {
			r.Paused++
			p.lastRb = r.N
		}
	}
	ob.rbs = append(ob.rbs, r)
	ob.open = r
	w.curRb = r
	r.noteAt = len(ob.timeline)
	ob.note(now, "rebalance %d begins: %s", r.N, cause)
}

// closeOpen ends the open rebalance (at its last Stable, if it had one).
func (ob *observer) closeOpen(now int64) {
	r := ob.open
	if r == nil {
		return
	}
	ob.open = nil
	ob.e.w.curRb = nil
	ob.finishRebalance(r)
}

func (ob *observer) finishRebalance(r *Rebalance) {
	w := ob.e.w
	w.area(ob.e.now())
	r.NonProgressMs = w.npArea - r.npStart
	for i, p := range w.parts {
		was := int32(-1)
		if i < len(r.before) {
			was = r.before[i]
		}
		if now := ownerIdx(p.holder); p.holder != nil && now != was {
			r.Moved++
		}
	}
	r.Revoked, r.Lost = len(r.revokers), len(r.losers)
	r.Members = len(ob.e.cl.Coordinator().Describe(ob.e.cl.GroupID()).Members)
	r.closed = true
}

// cause names why the group left Stable (or Empty) for PreparingRebalance.
func (ob *observer) cause(ctx stepCtx, prev string) string {
	if prev == spec.Empty.String() || prev == "" {
		return "the group forms"
	}
	if ctx.fire == spec.CoordinatorNode {
		return "coordinator timer"
	}
	m := ctx.deliver
	if m == nil || m.To != spec.CoordinatorNode {
		return "unknown"
	}
	x := ob.e.procAt(m.From)
	name := m.From
	if x != nil {
		name = x.name
	}
	switch r := m.Body.(type) {
	case *spec.JoinGroupRequest:
		switch {
		case ob.revokedSince[name]:
			return "cooperative follow-up"
		case r.MemberID != "" && ob.members[r.MemberID]:
			if ob.metaChanged {
				return "metadata change"
			}
			return "rejoin " + name
		case x != nil && x.trouble != "":
			return fmt.Sprintf("rejoin %s (%s)", name, x.trouble)
		case slices.Contains(slices.Collect(maps.Values(ob.memberOf)), name):
			return "rejoin " + name
		}
		return "join " + name
	case *spec.ConsumerGroupHeartbeatRequest:
		switch {
		case r.MemberEpoch == spec.LeaveEpoch || r.MemberEpoch == spec.StaticLeaveEpoch:
			if x != nil && x.trouble == "poll timeout" {
				return "poll timeout " + name
			}
			return "leave " + name
		case r.MemberEpoch > 0 && ob.metaChanged:
			return "metadata change"
		case r.MemberEpoch > 0:
			return "subscription or metadata change"
		case x != nil && x.trouble != "":
			return fmt.Sprintf("rejoin %s (%s)", name, x.trouble)
		}
		return "join " + name
	case *spec.LeaveGroupRequest:
		if name == "admin" {
			return "an administrator removes a static member"
		}
		if x != nil && x.trouble == "poll timeout" && x.inBatch {
			return "poll timeout " + name
		}
		return "leave " + name
	}
	return "unknown"
}

// coordinatorFired looks for members the coordinator expelled: their
// session expired.
func (ob *observer) coordinatorFired() {
	g := ob.e.cl.Coordinator().Describe(ob.e.cl.GroupID())
	now := map[string]bool{}
	for _, m := range g.Members {
		now[m.MemberID] = true
	}
	var gone []string
	for _, id := range spec.SortedKeys(ob.members) {
		if now[id] {
			continue
		}
		name := ob.memberOf[id]
		gone = append(gone, name)
		ob.expiries++
		x := ob.e.procs[name]
		alive := false
		if x != nil {
			_, alive = ob.e.cl.Consumer(name)
			alive = alive && x.state == procUp
			x.trouble = "expelled: its session expired"
		}
		if alive {
			ob.falseExp++
		}
		ob.note(ob.e.now(), "coordinator: %s's session expires (%s)", name, map[bool]string{true: "the process is alive", false: "the process is gone"}[alive])
	}
	ob.members = now
	if r := ob.open; r != nil && r.Cause == "coordinator timer" && r.Start == ob.e.now() && len(gone) > 0 {
		r.Cause = "session expiry " + strings.Join(gone, ",")
		if r.noteAt < len(ob.timeline) {
			ob.timeline[r.noteAt] = fmt.Sprintf("%9s  rebalance %d begins: %s", formatClock(r.Start), r.N, r.Cause)
		}
	}
}

// stable refreshes the members known, after the group settled.
func (ob *observer) refreshMembers() {
	g := ob.e.cl.Coordinator().Describe(ob.e.cl.GroupID())
	clear(ob.members)
	for _, m := range g.Members {
		ob.members[m.MemberID] = true
	}
}

func (ob *observer) started(x *proc) { ob.note(ob.e.now(), "%s starts", x.name) }
func (ob *observer) revoked(x *proc) {
	ob.revokeLatency(x, x.lastDrain)
	x.lastDrain = 0
}
func (ob *observer) lostBy(x *proc) { ob.lostCount++ }

func (ob *observer) gone(x *proc, kind spec.EventKind) {
	ob.note(ob.e.now(), "%s", map[spec.EventKind]string{spec.EvCrash: x.name + " crashes", spec.EvClose: x.name + " shuts down",
		spec.EvFailed: x.name + " fails"}[kind])
	delete(ob.rbStart, x.name)
}

// callbackDone records a rebalance callback's own work.
func (ob *observer) callbackDone(x *proc, kind cbKind, ms int64) {
	if kind == cbAssigning {
		ob.assignLat.add(float64(ms))
	} else {
		x.lastDrain = ms
	}
}

// revokeLatency records onPartitionsRevoked's time in x: its drain and
// the commit it waits for.
func (ob *observer) revokeLatency(x *proc, drainMs int64) {
	ms := float64(drainMs)
	if c, ok := ob.lastCommit[x.name]; ok && ob.e.now()-c < 60000 {
		ms += float64(ob.e.now() - c)
	}
	ob.revokeLat.add(ms)
}

// releaseWhy says why x gave a partition up, for duplicates later.
func (ob *observer) releaseWhy(x *proc, kind spec.EventKind) string {
	if kind == spec.EvRevoked {
		return "revoked from " + x.name
	}
	if x.trouble != "" {
		return fmt.Sprintf("%s lost it (%s)", x.name, x.trouble)
	}
	return x.name + " lost it"
}

// goneWhy says why x's partitions were left.
func (ob *observer) goneWhy(x *proc, kind spec.EventKind) string {
	switch {
	case kind == spec.EvFailed:
		return x.name + " failed"
	case x.stop:
		return x.name + " shut down"
	}
	return "crash of " + x.name
}

// duplicates: x processed d records of p that someone had processed.
func (ob *observer) duplicates(x *proc, p *part, d int64) {
	why := p.cause
	if p.holder != x {
		why = "zombie " + x.name + " (no longer its owner)"
	} else if why == "" {
		why = "reprocessed"
	}
	ob.dupCause[why] += d
}
