package consumer

import (
	"maps"
	"slices"

	"github.com/kgroup/kgroup/internal/canon"
	"github.com/kgroup/kgroup/spec"
)

// AppendState appends a canonical encoding of the consumer to b (see
// spec.StateFrame): two consumers with equal encodings act alike on every
// future sequence of inputs. Deadlines are written relative to f.Now, and
// every one already passed as 0 (the consumer only ever asks whether a
// deadline has passed); correlation ids of requests in flight are written as
// their distance from the last one sent. A stopped consumer takes no more
// inputs, so only its name and that it stopped are written.
func (c *Consumer) AppendState(b []byte, f spec.StateFrame) []byte {
	b = canon.Str(b, c.cfg.Name)
	if b = canon.Bool(b, c.Alive()); !c.Alive() {
		return b
	}
	b = AppendConfig(b, c.cfg)
	b = canon.Strs(b, c.memberID, c.protocolName)
	b = canon.Ints(b, int64(c.state), int64(c.generation), int64(c.lastGen))
	for _, v := range []bool{c.leader, c.skipped, c.rejoinNeeded, c.needsJoinPrepare, c.stalled, c.coordinatorUnknown} {
		b = canon.Bool(b, v)
	}
	// A deadline is written only where it can still matter: the heartbeat
	// thread's while joined (it is armed afresh on joining), the poll
	// timeout while stalled (armed by the stall), auto-commit when on.
	joined := c.state == spec.ClientCompletingRebalance || c.state == spec.ClientStable
	for _, d := range []struct {
		at   int64
		live bool
	}{{c.nextHeartbeatAt, joined}, {c.sessionDeadline, joined}, {c.pollDeadline, c.stalled},
		{c.nextAutoCommitAt, c.cfg.AutoCommit}, {c.retryAt, true}, {c.metadataRefreshAt, true}} {
		if d.live {
			b = canon.Deadline(b, f, d.at)
		}
	}
	b = spec.AppendPartitions(b, c.owned)
	b = canon.Offsets(b, c.positions)
	b = spec.AppendPartitions(b, c.lastPlan)
	b = canon.Counts(canon.Bool(b, c.topics != nil), c.topics)
	b = canon.Counts(canon.Bool(b, c.snapshot != nil), c.snapshot)
	if b = canon.Bool(b, c.revoking != nil); c.revoking != nil {
		r := c.revoking
		if b = canon.Bool(b, r.corr != 0); r.corr != 0 {
			b = canon.Int(b, int64(c.corr-r.corr))
		}
		b = canon.Int(b, int64(r.then))
		b = canon.Deadline(b, f, r.deadline)
		b = spec.AppendPartitions(spec.AppendPartitions(b, r.parts), r.pending)
	}
	b = canon.Int(b, int64(len(c.inflight)))
	for _, r := range c.inflight {
		b = canon.Ints(b, int64(c.corr-r.corr), int64(r.key), int64(r.gen), int64(r.role))
		b = canon.Str(canon.Deadline(b, f, r.deadline), r.member)
	}
	return b
}

// AppendConfig writes every setting of cfg that behaviour depends on, for
// canonical encodings.
func AppendConfig(b []byte, cfg Config) []byte {
	b = canon.Strs(b, cfg.Address, cfg.GroupID, cfg.InstanceID, cfg.Rack)
	b = canon.Int(b, int64(len(cfg.Topics)))
	b = canon.Strs(b, cfg.Topics...)
	b = canon.Int(b, int64(len(cfg.Assignors)))
	for _, a := range cfg.Assignors {
		b = canon.Str(b, a.Name())
	}
	b = canon.Ints(b, int64(cfg.SessionTimeoutMs), cfg.HeartbeatIntervalMs, int64(cfg.MaxPollIntervalMs),
		cfg.RequestTimeoutMs, cfg.RetryBackoffMs, cfg.MetadataMaxAgeMs, int64(cfg.Bugs))
	if b = canon.Bool(b, cfg.AutoCommit); cfg.AutoCommit { // the interval matters only then
		b = canon.Int(b, cfg.AutoCommitIntervalMs)
	}
	b = canon.Strs(b, cfg.GroupProtocol, cfg.ServerAssignor, cfg.TopicRegex)
	return canon.Bool(b, cfg.CommitOnRevoke)
}

// LastCorrelation is the correlation id of the last request the consumer
// sent (0 before the first): what its requests' ids are relative to in
// AppendState, and what a driver renumbers their responses by.
func (c *Consumer) LastCorrelation() int32 { return c.corr }

// Clone returns a deep copy that evolves independently of c. Assignors and
// values the consumer replaces but never modifies in place are shared.
func (c *Consumer) Clone() *Consumer {
	n := *c
	n.out = Output{}
	n.owned = slices.Clone(c.owned)
	n.positions = maps.Clone(c.positions)
	// lastPlan, topics and snapshot are replaced, never modified: shared.
	n.inflight = slices.Clone(c.inflight)
	if c.revoking != nil {
		r := *c.revoking
		n.revoking = &r
	}
	return &n
}
