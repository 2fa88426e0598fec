package coordinator

import (
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// commit handles OffsetCommit for classic groups (OffsetMetadataManager.
// commitOffset and ClassicGroup.validateOffsetCommit). Kafka never checks that
// a committed offset is at least the previous one, and neither do we.
func (c *Coordinator) commit(r *spec.OffsetCommitRequest) *spec.OffsetCommitResponse {
	if r.GroupID == "" {
		// GroupCoordinatorService.commitOffsets: an offset record of no
		// group is one Load refuses.
		return commitError(r, spec.InvalidGroupID)
	}
	if cg, ok := c.cgroups[r.GroupID]; ok {
		if code := cg.validateCommit(r); code != spec.None && !c.cfg.Bugs.Has(mutant.AcceptStaleCommit) {
			return commitError(r, code)
		}
		return c.storeOffsets(r)
	}
	g, ok := c.groups[r.GroupID]
	if !ok {
		if r.GenerationID >= 0 {
			return commitError(r, spec.GroupIDNotFound) // OffsetCommit v9+
		}
		// A consumer that assigns its own partitions: the group springs into
		// being, Empty.
		g = newGroup(r.GroupID)
		c.groups[r.GroupID] = g
	}
	m, code := c.validateCommit(g, r)
	if code != spec.None {
		return commitError(r, code)
	}
	resp := c.storeOffsets(r)
	// A commit in Stable or PreparingRebalance also keeps the member alive.
	if m == nil {
		m = g.members[r.MemberID]
	}
	if m != nil && (g.state == spec.Stable || g.state == spec.PreparingRebalance) {
		c.timers.arm(&m.session, c.now+int64(m.sessionTimeoutMs))
	}
	return resp
}

// storeOffsets writes the accepted commit's offsets, partition by partition.
func (c *Coordinator) storeOffsets(r *spec.OffsetCommitRequest) *spec.OffsetCommitResponse {
	resp := newCommitResponse(len(r.Offsets))
	for _, o := range r.Offsets {
		code := spec.None
		switch {
		case o.Topic == "" || o.Partition < 0:
			// No such partition can exist (Kafka's request handler answers
			// UNKNOWN_TOPIC_OR_PARTITION for a partition the metadata lacks;
			// the coordinator checks only what no topic can be), and its
			// record is one Load refuses.
			code = spec.UnknownTopicOrPartition
		case metadataTooLarge(o.Metadata, c.cfg.OffsetMetadataMaxBytes):
			code = spec.OffsetMetadataTooLarge
		default:
			rec := c.newOffsetRecord()
			*rec = OffsetRecord{GroupID: r.GroupID, TopicPartition: o.TopicPartition, Offset: o.Offset, Metadata: o.Metadata}
			c.store(c.offsetStore(r.GroupID), r.MemberID, rec)
		}
		resp.Partitions = append(resp.Partitions, spec.OffsetCommitPartitionResponse{TopicPartition: o.TopicPartition, ErrorCode: code})
	}
	return resp
}

// validateCommit is ConsumerGroup.validateOffsetCommit for a
// non-transactional commit of OffsetCommit v9+: the epoch must be the
// member's current one exactly. Nothing checks that the member owns the
// partitions it commits, and the commit does not extend its session.
func (g *cgroup) validateCommit(r *spec.OffsetCommitRequest) spec.ErrorCode {
	if r.GenerationID < 0 && len(g.members) == 0 {
		return spec.None
	}
	m, ok := g.members[r.MemberID]
	switch {
	case !ok:
		return spec.UnknownMemberID
	case r.GenerationID != m.epoch:
		return spec.StaleMemberEpoch
	}
	return spec.None
}

// validateFetch is ConsumerGroup.validateOffsetFetch: only the admin
// path — no member id (Kafka's null) and a negative epoch — skips the
// member check; a member id "" with an epoch names no member.
func (g *cgroup) validateFetch(r *spec.OffsetFetchRequest) spec.ErrorCode {
	if r.MemberID == "" && r.MemberEpoch < 0 {
		return spec.None
	}
	m, ok := g.members[r.MemberID]
	switch {
	case !ok:
		return spec.UnknownMemberID
	case r.MemberEpoch != m.epoch:
		return spec.StaleMemberEpoch
	}
	return spec.None
}

// validateCommit is ClassicGroup.validateOffsetCommit for non-transactional
// commits. It returns the committing member when it looked it up.
func (c *Coordinator) validateCommit(g *group, r *spec.OffsetCommitRequest) (*member, spec.ErrorCode) {
	var m *member
	switch {
	case g.state == spec.Dead:
		return nil, spec.CoordinatorNotAvailable
	case c.cfg.Bugs.Has(mutant.AcceptStaleCommit):
		return nil, spec.None
	case r.GenerationID < 0 && g.state == spec.Empty:
		return nil, spec.None
	case r.GenerationID >= 0 || r.MemberID != "" || r.GroupInstanceID != "":
		var code spec.ErrorCode
		if m, code = g.member(r.MemberID, r.GroupInstanceID); code != spec.None {
			return nil, code
		}
		if r.GenerationID != g.generation {
			return nil, spec.IllegalGeneration
		}
	case g.state != spec.Empty:
		return nil, spec.UnknownMemberID
	}
	if g.state == spec.CompletingRebalance {
		return nil, spec.RebalanceInProgress
	}
	return m, spec.None
}

// offsetRecordSlab is how many offset records are allocated at once: records
// live as long as the log that holds them, so allocating them together costs
// no memory and saves a commit most of an allocation.
const offsetRecordSlab = 64

func (c *Coordinator) newOffsetRecord() *OffsetRecord {
	if len(c.offsetRecords) == 0 {
		c.offsetRecords = make([]OffsetRecord, offsetRecordSlab)
	}
	r := &c.offsetRecords[0]
	c.offsetRecords = c.offsetRecords[1:]
	return r
}

// newCommitResponse makes an empty answer with room for n partitions, in one
// allocation when n is 1 (the common commit of one partition).
func newCommitResponse(n int) *spec.OffsetCommitResponse {
	switch n {
	case 0:
		return &spec.OffsetCommitResponse{}
	case 1:
		a := &struct {
			resp spec.OffsetCommitResponse
			one  [1]spec.OffsetCommitPartitionResponse
		}{}
		a.resp.Partitions = a.one[:0]
		return &a.resp
	}
	return &spec.OffsetCommitResponse{Partitions: make([]spec.OffsetCommitPartitionResponse, 0, n)}
}

func commitError(r *spec.OffsetCommitRequest, code spec.ErrorCode) *spec.OffsetCommitResponse {
	resp := newCommitResponse(len(r.Offsets))
	for _, o := range r.Offsets {
		resp.Partitions = append(resp.Partitions, spec.OffsetCommitPartitionResponse{TopicPartition: o.TopicPartition, ErrorCode: code})
	}
	return resp
}

// fetch handles OffsetFetch: a partition never committed, or a group that
// does not exist, reads as offset -1 with no error. No partitions means all
// the group has committed.
func (c *Coordinator) fetch(r *spec.OffsetFetchRequest) *spec.OffsetFetchResponse {
	resp := &spec.OffsetFetchResponse{}
	found := false
	if g := c.groups[r.GroupID]; g != nil && g.state != spec.Dead {
		found = true
	}
	if g := c.cgroups[r.GroupID]; g != nil {
		if code := g.validateFetch(r); code != spec.None {
			return &spec.OffsetFetchResponse{ErrorCode: code}
		}
		found = true
	}
	store := c.offsets[r.GroupID]
	if !found {
		store = nil
	}
	tps := r.Partitions
	if tps == nil && store != nil {
		for tp := range store.offsets {
			tps = append(tps, tp)
		}
		spec.SortPartitions(tps)
	}
	for _, tp := range tps {
		p := spec.OffsetFetchPartition{TopicPartition: tp, Offset: -1}
		if store != nil {
			if o, found := c.committed(store, tp); found {
				p.Offset, p.Metadata = o.value, o.metadata
			}
		}
		resp.Partitions = append(resp.Partitions, p)
	}
	return resp
}

// metadataTooLarge is OffsetMetadataManager.isMetadataInvalid: Kafka compares
// the metadata's Java String.length() — UTF-16 code units, not bytes — with
// offset.metadata.max.bytes. A string of at most max bytes never has more
// units than bytes, so only longer ones are counted.
func metadataTooLarge(metadata string, max int) bool {
	if len(metadata) <= max {
		return false
	}
	units := 0
	for _, r := range metadata {
		units++
		if r > 0xFFFF { // outside the BMP: a surrogate pair
			units++
		}
	}
	return units > max
}
