package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// Result is one run: what happened and what it cost.
type Result struct {
	Scenario   string             `json:"scenario"`
	Variant    string             `json:"variant"`
	Seed       uint64             `json:"seed"`
	DurationMs int64              `json:"duration_ms"`
	Consumers  []string           `json:"consumers"`
	Partitions int                `json:"partitions"`
	Rebalances []*Rebalance       `json:"rebalances"`
	Metrics    map[string]float64 `json:"-"` // as "metrics" in JSON, sorted, Inf as null
	PerPart    []PartStat         `json:"partitions_detail"`
	Duplicates []DupCause         `json:"duplicates"`
	Series     Series             `json:"series"`
	Gantt      [][]seg            `json:"-"`
	Timeline   []string           `json:"timeline"`
	Dropped    int                `json:"timeline_dropped,omitempty"`
	Warnings   []string           `json:"warnings"`
	Checks     int64              `json:"whole_system_checks"`
}

// PartStat is one partition's cost over the run (partition-milliseconds).
type PartStat struct {
	Partition   string  `json:"partition"`
	UnownedMs   int64   `json:"unowned_ms"`
	RebalanceMs int64   `json:"rebalance_ms"`
	StalledMs   int64   `json:"stalled_ms"`
	LongestMs   int64   `json:"longest_pause_ms"`
	LagPeak     float64 `json:"lag_peak"`
	Duplicates  int64   `json:"duplicates"`
}

// NonProgressMs is the partition's time not progressing.
func (p PartStat) NonProgressMs() int64 { return p.UnownedMs + p.RebalanceMs + p.StalledMs }

// DupCause is how many records were processed again, and why.
type DupCause struct {
	Cause   string `json:"cause"`
	Records int64  `json:"records"`
}

// metricDocs names and explains every metric (times in ms, lag in records).
var metricDocs = [][2]string{
	{"rebalances", "rebalances after the group formed"},
	{"rebalance-rate-per-hour", "rebalances per simulated hour"},
	{"rebalance-time-max", "the longest rebalance, first PreparingRebalance to Stable"},
	{"rebalance-time-total", "all rebalances' time"},
	{"rebalance-latency-avg", "Kafka client metric: a member's first JoinGroup to its successful SyncGroup (KIP-848: a new assignment to its acknowledgement), average"},
	{"rebalance-latency-max", "... and maximum"},
	{"rebalance-total", "Kafka client metric: successful rebalances of the consumer that saw most"},
	{"failed-rebalance-total", "Kafka client metric: JoinGroup and SyncGroup answered with an error, all consumers"},
	{"join-time-avg", "Kafka client metric: JoinGroup request to answer"}, {"join-time-max", ""},
	{"sync-time-avg", "Kafka client metric: SyncGroup request to answer"}, {"sync-time-max", ""},
	{"partition-revoked-latency-avg", "Kafka client metric: onPartitionsRevoked (drain and commit)"},
	{"partition-revoked-latency-max", ""},
	{"partition-assigned-latency-avg", "Kafka client metric: onPartitionsAssigned (restore)"},
	{"partition-assigned-latency-max", ""},
	{"last-rebalance-seconds-ago", "Kafka client metric, at the end of the run"},
	{"records-lag-max", "Kafka client metric: the most records behind any partition was"},
	{"nonprogress", "partition-ms not progressing: unowned + inrebalance + stalled"},
	{"unowned", "partition-ms with no consumer and no rebalance under way (a dead owner)"},
	{"inrebalance", "partition-ms waiting for a rebalance: revoked, unassigned, assigned but not yet fetching"},
	{"stalled", "partition-ms held by an owner that does not consume it (paused, frozen, cut off)"},
	{"pause-max", "the longest single stretch of a partition not progressing"},
	{"paused-partitions", "partitions that stopped progressing at least once"},
	{"lag-peak", "the most records produced and not yet processed, all partitions together"},
	{"lag-area", "total lag integrated over time, record-seconds"},
	{"lag-end", "total lag at the end"},
	{"lag-recover-max", "the longest time from a rebalance's start until lag was back (within 100 ms of production); Inf: never"},
	{"produced", "records produced"}, {"processed", "records processed at least once"},
	{"duplicates", "records processed more than once"}, {"duplicates-per-hour", ""},
	{"expiries", "sessions the coordinator expired"},
	{"false-expiries", "... of processes that were running"}, {"false-expiries-per-hour", ""},
	{"poll-timeouts", "members that left because a batch outlasted max.poll.interval.ms"},
	{"moved", "partitions that changed owner, all rebalances"},
	{"messages-lost", "messages the network lost or a cut dropped"},
	{"consumers", "consumer processes"}, {"partitions", "partitions at the end"},
	{"last.total", "the last rebalance: start to Stable"}, {"last.moved", "... partitions moved"},
	{"last.paused", "... partitions that stopped progressing"}, {"last.nonprogress", "... their partition-ms"},
	{"last.revoked", "... members that revoked"}, {"last.rounds", "... rounds"},
}

func metricNames() []string {
	out := make([]string, len(metricDocs))
	for i, d := range metricDocs {
		out[i] = d[0]
	}
	return append(out, "rbN.total rbN.moved rbN.paused rbN.nonprogress rbN.revoked rbN.rounds (rebalance N)")
}

// result closes the books of a run.
func (e *engine) result() *Result {
	now := e.now()
	e.ob.closeOpen(now)
	w := e.w
	w.finish(now)
	r := &Result{Scenario: e.sc.Name, Variant: e.variant.Name, Seed: e.seed, DurationMs: now,
		Rebalances: e.ob.rbs, Series: w.series.Series, Timeline: e.ob.timeline, Dropped: e.ob.timelineDropped,
		Checks: e.cl.StepsChecked()}
	for _, x := range e.order {
		r.Consumers = append(r.Consumers, x.name)
	}
	for _, p := range w.parts {
		if !p.counting && !p.exists {
			continue
		}
		r.Partitions++
		r.PerPart = append(r.PerPart, PartStat{Partition: p.tp.String(), UnownedMs: p.acc[stUnowned], RebalanceMs: p.acc[stRebalance],
			StalledMs: p.acc[stStalled], LongestMs: p.longest, LagPeak: math.Round(p.lagPeak), Duplicates: p.dups})
		r.Gantt = append(r.Gantt, p.segs)
	}
	for _, c := range spec.SortedKeys(e.ob.dupCause) {
		r.Duplicates = append(r.Duplicates, DupCause{c, e.ob.dupCause[c]})
	}
	slices.SortStableFunc(r.Duplicates, func(a, b DupCause) int { return int(b.Records - a.Records) })
	r.Metrics = e.metrics(r)
	r.Warnings = e.warnings()
	return r
}

func (e *engine) metrics(r *Result) map[string]float64 {
	m := map[string]float64{}
	ob, w := e.ob, e.w
	hours := math.Max(float64(r.DurationMs)/3600000, 1e-9)
	var after []*Rebalance
	for _, rb := range r.Rebalances {
		if rb.Cause != "the group forms" {
			after = append(after, rb)
		}
	}
	m["rebalances"] = float64(len(after))
	m["rebalance-rate-per-hour"] = float64(len(after)) / hours
	recover := 0.0
	for i, rb := range r.Rebalances {
		t := float64(rb.TotalMs())
		if rb.Stable < 0 {
			t = math.Inf(1)
		}
		if rb.Cause != "the group forms" {
			m["rebalance-time-max"] = math.Max(m["rebalance-time-max"], t)
			m["rebalance-time-total"] += t
			m["moved"] += float64(rb.Moved)
			rec := math.Inf(1)
			if rb.RecoveredAt >= 0 {
				rec = float64(rb.RecoveredAt - rb.Start)
			}
			recover = math.Max(recover, rec)
		}
		for _, k := range []string{fmt.Sprintf("rb%d", i+1), "last"} {
			m[k+".total"], m[k+".moved"], m[k+".paused"] = t, float64(rb.Moved), float64(rb.Paused)
			m[k+".nonprogress"], m[k+".revoked"], m[k+".rounds"] = float64(rb.NonProgressMs), float64(rb.Revoked), float64(rb.Rounds)
		}
	}
	m["lag-recover-max"] = recover
	m["rebalance-latency-avg"], m["rebalance-latency-max"] = ob.rbLat.avg(), ob.rbLat.max
	m["join-time-avg"], m["join-time-max"] = ob.join.avg(), ob.join.max
	m["sync-time-avg"], m["sync-time-max"] = ob.sync.avg(), ob.sync.max
	m["partition-revoked-latency-avg"], m["partition-revoked-latency-max"] = ob.revokeLat.avg(), ob.revokeLat.max
	m["partition-assigned-latency-avg"], m["partition-assigned-latency-max"] = ob.assignLat.avg(), ob.assignLat.max
	for _, n := range ob.okRebalances {
		m["rebalance-total"] = math.Max(m["rebalance-total"], float64(n))
	}
	for _, n := range ob.failed {
		m["failed-rebalance-total"] += float64(n)
	}
	last := int64(-1)
	for _, rb := range r.Rebalances {
		last = max(last, rb.Stable)
	}
	m["last-rebalance-seconds-ago"] = math.Inf(1)
	if last >= 0 {
		m["last-rebalance-seconds-ago"] = float64(r.DurationMs-last) / 1000
	}
	for _, p := range r.PerPart {
		m["unowned"] += float64(p.UnownedMs)
		m["inrebalance"] += float64(p.RebalanceMs)
		m["stalled"] += float64(p.StalledMs)
		m["pause-max"] = math.Max(m["pause-max"], float64(p.LongestMs))
		m["records-lag-max"] = math.Max(m["records-lag-max"], p.LagPeak)
		if p.NonProgressMs() > 0 {
			m["paused-partitions"]++
		}
		m["duplicates"] += float64(p.Duplicates)
	}
	m["nonprogress"] = m["unowned"] + m["inrebalance"] + m["stalled"]
	m["lag-peak"] = math.Round(w.series.lagPeak)
	m["lag-end"] = math.Round(w.lag(r.DurationMs))
	area := 0.0
	for i, v := range w.series.Lag {
		prev := 0.0
		if i > 0 {
			prev = w.series.Lag[i-1]
		}
		area += (prev + v) / 2 * float64(w.series.StepMs) / 1000
	}
	m["lag-area"] = math.Round(area)
	m["produced"], m["processed"] = math.Floor(w.all.at(r.DurationMs)), math.Floor(w.processed(r.DurationMs))
	m["duplicates-per-hour"] = m["duplicates"] / hours
	m["expiries"], m["false-expiries"] = float64(ob.expiries), float64(ob.falseExp)
	m["false-expiries-per-hour"] = float64(ob.falseExp) / hours
	m["poll-timeouts"] = float64(ob.pollTimeouts)
	m["messages-lost"] = float64(ob.lost)
	m["consumers"], m["partitions"] = float64(len(r.Consumers)), float64(r.Partitions)
	return m
}

// warnings names settings users get wrong.
func (e *engine) warnings() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, x := range e.order {
		cfg, err := e.cl.ConfigOf(x.name)
		if err != nil {
			continue
		}
		if cfg.HeartbeatIntervalMs*3 > int64(cfg.SessionTimeoutMs) {
			add(fmt.Sprintf("heartbeat.interval.ms %d is more than a third of session.timeout.ms %d: one lost or late heartbeat can expire the session (Kafka's documentation: no higher than 1/3)",
				cfg.HeartbeatIntervalMs, cfg.SessionTimeoutMs))
		}
		batch := float64(x.app.maxPoll)*x.app.record.Mean() + x.app.batch.Mean()
		if batch > float64(cfg.MaxPollIntervalMs) {
			add(fmt.Sprintf("a full batch (max.poll.records %d × %s per record) takes about %s, more than max.poll.interval.ms %d: members will leave mid-batch (lower max.poll.records or raise max.poll.interval.ms)",
				x.app.maxPoll, formatMs(x.app.record.Mean()), formatMs(batch), cfg.MaxPollIntervalMs))
		}
		if !cfg.AutoCommit && !cfg.CommitOnRevoke {
			add("a consumer commits neither automatically nor on revoke: every rebalance replays from the last commit")
		}
		if cfg.SessionTimeoutMs < 6000 || cfg.SessionTimeoutMs > 1800000 {
			add(fmt.Sprintf("session.timeout.ms %d is outside the broker's [group.min.session.timeout.ms 6000, group.max.session.timeout.ms 1800000]: the join is refused", cfg.SessionTimeoutMs))
		}
	}
	return out
}

// describeSet writes a variant's settings.
func describeSet(set map[string]string) string {
	var parts []string
	for _, k := range spec.SortedKeys(set) {
		parts = append(parts, k+"="+set[k])
	}
	return strings.Join(parts, " ")
}
