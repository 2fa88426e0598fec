package asyncconsumer

import (
	"maps"
	"slices"

	"github.com/kgroup/kgroup/internal/canon"
	"github.com/kgroup/kgroup/spec"
)

// AppendState appends a canonical encoding of the consumer to b (see
// spec.StateFrame): two consumers with equal encodings act alike on every
// future sequence of inputs. Deadlines are written relative to f.Now, every
// one already passed as 0; correlation ids of requests in flight as
// f.CorrOf renumbers them. A stopped consumer takes no more inputs, so only
// its name and that it stopped are written.
func (c *Consumer) AppendState(b []byte, f spec.StateFrame) []byte {
	b = canon.Str(b, c.cfg.Name)
	if b = canon.Bool(b, c.Alive()); !c.Alive() {
		return b
	}
	b = AppendConfig(b, c.cfg)
	b = canon.Str(b, c.memberID)
	b = canon.Ints(b, int64(c.state), int64(c.epoch), c.hb.intervalMs, int64(c.hb.attempts))
	for _, v := range []bool{c.stalled, c.pollExpired, c.coordinatorUnknown, c.hb.inFlight, c.hb.refenced} {
		b = canon.Bool(b, v)
	}
	b = c.appendDeadlines(b, f)
	b = spec.AppendPartitions(b, c.owned)
	b = canon.Offsets(b, c.positions)
	b = appendLocal(appendLocal(b, c.current), c.target)
	s := c.sent
	for _, v := range []bool{s.rebalanceTimeout, s.topics, s.assignor, s.rack, s.assignmentSent} {
		b = canon.Bool(b, v)
	}
	b = appendLocal(b, s.assignment)
	b = c.appendWork(b, f)
	b = canon.Int(b, int64(len(c.inflight)))
	for _, r := range c.inflight {
		b = canon.Ints(b, f.CorrOf(c.cfg.Address, r.corr), int64(r.key), int64(r.role))
		b = canon.Deadline(b, f, r.deadline)
	}
	return b
}

// appendDeadlines writes the timers, each only where it can still matter.
func (c *Consumer) appendDeadlines(b []byte, f spec.StateFrame) []byte {
	for _, d := range []struct {
		at   int64
		live bool
	}{{c.pollDeadline, c.stalled}, {c.hb.timerAt, true}, {c.hb.backoffAt, true},
		{c.nextAutoCommitAt, c.cfg.AutoCommit}, {c.coordinatorAt, c.coordinatorUnknown},
		{c.fetchRetryAt, c.fetchRetryAt > f.Now}} {
		if d.live {
			b = canon.Deadline(b, f, d.at)
		}
	}
	return b
}

// appendWork writes the reconciliation, lost callback and close in progress.
func (c *Consumer) appendWork(b []byte, f spec.StateFrame) []byte {
	if b = canon.Bool(b, c.rec != nil); c.rec != nil {
		r := c.rec
		b = appendLocal(b, r.target)
		b = spec.AppendPartitions(spec.AppendPartitions(b, r.revoked), r.added)
		b = canon.Ints(b, f.CorrOf(c.cfg.Address, r.commit))
		b = canon.Deadline(canon.Deadline(b, f, r.retryAt), f, r.deadline)
		b = canon.Bool(canon.Bool(b, r.committed), r.auto)
	}
	b = canon.Bool(b, c.lost != nil)
	if b = canon.Bool(b, c.leaving != nil); c.leaving != nil {
		w := c.leaving
		b = canon.Int(b, f.CorrOf(c.cfg.Address, w.commit))
		b = canon.Bool(canon.Deadline(b, f, w.deadline), w.done)
	}
	return b
}

func appendLocal(b []byte, a localAssignment) []byte {
	return spec.AppendPartitions(canon.Int(b, a.epoch), a.parts)
}

// AppendConfig writes every setting of cfg that behaviour depends on.
func AppendConfig(b []byte, cfg Config) []byte {
	b = canon.Strs(b, cfg.Address, cfg.GroupID, cfg.InstanceID, cfg.Rack, cfg.ServerAssignor, cfg.TopicRegex)
	b = canon.Int(b, int64(len(cfg.Topics)))
	b = canon.Strs(b, cfg.Topics...)
	b = canon.Ints(b, int64(cfg.RebalanceTimeoutMs), cfg.MaxPollIntervalMs, cfg.HeartbeatIntervalMs,
		cfg.RequestTimeoutMs, cfg.RetryBackoffMs, cfg.RetryBackoffMaxMs, cfg.DefaultAPITimeoutMs, int64(cfg.Bugs))
	if b = canon.Bool(b, cfg.AutoCommit); cfg.AutoCommit {
		b = canon.Int(b, cfg.AutoCommitIntervalMs)
	}
	return canon.Bool(b, cfg.CommitOnRevoke)
}

// Clone returns a deep copy that evolves independently of c. Partition
// lists the consumer replaces but never modifies in place are shared.
func (c *Consumer) Clone() *Consumer {
	n := *c
	n.out = Output{}
	n.owned = slices.Clone(c.owned)
	n.positions = maps.Clone(c.positions)
	n.inflight = slices.Clone(c.inflight)
	if c.rec != nil {
		r := *c.rec
		n.rec = &r
	}
	if c.lost != nil {
		n.lost = &lostWork{}
	}
	if c.leaving != nil {
		w := *c.leaving
		n.leaving = &w
	}
	return &n
}
