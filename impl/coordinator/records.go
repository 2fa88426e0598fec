package coordinator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// Record is one entry of the coordinator's log (Kafka's __consumer_offsets
// partition). Exactly one field is set: a classic group's metadata or its
// tombstone, an offset, or one of a consumer group's records
// (cg_records.go).
type Record struct {
	Group          *GroupRecord          `json:"group,omitempty"`
	Offset         *OffsetRecord         `json:"offset,omitempty"`
	GroupTombstone *GroupTombstone       `json:"group_tombstone,omitempty"`
	CGMetadata     *CGMetadataRecord     `json:"cg_metadata,omitempty"`
	CGSubscription *CGSubscriptionRecord `json:"cg_subscription,omitempty"`
	CGMember       *CGMemberRecord       `json:"cg_member,omitempty"`
	CGTarget       *CGTargetRecord       `json:"cg_target,omitempty"`
	CGTargetEpoch  *CGTargetEpochRecord  `json:"cg_target_epoch,omitempty"`
	CGCurrent      *CGCurrentRecord      `json:"cg_current,omitempty"`
	CGRegex        *CGRegexRecord        `json:"cg_regex,omitempty"`
}

// GroupRecord is Kafka's GroupMetadataValue: a classic group as persisted
// when the leader's assignment is installed, when a static member is replaced
// without a rebalance, and when the group becomes Empty — and, with no members
// and generation 0, when a JoinGroup creates the group.
type GroupRecord struct {
	GroupID      string              `json:"group_id"`
	ProtocolType string              `json:"protocol_type"`
	Generation   int32               `json:"generation"`
	Protocol     string              `json:"protocol,omitempty"`
	Leader       string              `json:"leader,omitempty"`
	Members      []GroupRecordMember `json:"members"`
}

// GroupRecordMember is one member of a GroupRecord, with its metadata for the
// selected protocol only.
type GroupRecordMember struct {
	MemberID           string                `json:"member_id"`
	InstanceID         string                `json:"instance_id,omitempty"`
	ClientID           string                `json:"client_id"`
	RebalanceTimeoutMs int32                 `json:"rebalance_timeout_ms"`
	SessionTimeoutMs   int32                 `json:"session_timeout_ms"`
	Subscription       spec.Subscription     `json:"subscription"`
	Assignment         spec.MemberAssignment `json:"assignment"`
}

// OffsetRecord is Kafka's OffsetCommitValue for one partition.
type OffsetRecord struct {
	GroupID string `json:"group_id"`
	spec.TopicPartition
	Offset   int64  `json:"offset"`
	Metadata string `json:"metadata,omitempty"`
}

// String is the record's one-line text form.
func (r Record) String() string {
	switch {
	case r.Group != nil:
		g := r.Group
		var b strings.Builder
		fmt.Fprintf(&b, "group %s gen=%d protocol=%s leader=%s", g.GroupID, g.Generation, orDash(g.Protocol), orDash(g.Leader))
		for _, m := range g.Members {
			fmt.Fprintf(&b, " %s=%s", m.MemberID, m.Assignment.Partitions)
		}
		return b.String()
	case r.Offset != nil:
		return fmt.Sprintf("offset %s %s=%d", r.Offset.GroupID, r.Offset.TopicPartition, r.Offset.Offset)
	}
	if s := r.cgString(); s != "" {
		return s
	}
	return "empty record"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// groupRecord captures g as Kafka persists it.
func groupRecord(g *group) Record {
	rec := &GroupRecord{GroupID: g.id, ProtocolType: g.protocolType, Generation: g.generation,
		Protocol: g.protocolName, Leader: g.leader, Members: []GroupRecordMember{}}
	for _, m := range g.byAdmission() {
		a := m.assignment
		a.Partitions = a.Partitions.Clone()
		rec.Members = append(rec.Members, GroupRecordMember{MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID,
			RebalanceTimeoutMs: m.rebalanceTimeoutMs, SessionTimeoutMs: m.sessionTimeoutMs,
			Subscription: m.metadataFor(g.protocolName).Clone(), Assignment: a})
	}
	return Record{Group: rec}
}

// replay applies one record. Offsets change only here, on the live path as on
// Load; group records rebuild a group as Kafka loads it.
func (c *Coordinator) replay(r Record) error {
	switch {
	case r.Offset != nil:
		if !c.exists(r.Offset.GroupID) {
			c.group(r.Offset.GroupID)
		}
		c.offsetStore(r.Offset.GroupID).apply(r.Offset)
	case r.Group != nil:
		if _, ok := c.cgroups[r.Group.GroupID]; ok {
			return fmt.Errorf("classic group record for %s, a consumer group", r.Group.GroupID)
		}
		c.replayGroup(r.Group)
	default:
		return c.replayCG(r)
	}
	return nil
}

func (c *Coordinator) group(id string) *group {
	g, ok := c.groups[id]
	if !ok {
		g = newGroup(id)
		c.groups[id] = g
	}
	return g
}

// replayGroup is GroupMetadataManager.replay for GroupMetadataValue: the group
// comes back Stable if it has members, else Empty; offsets are kept.
func (c *Coordinator) replayGroup(rec *GroupRecord) {
	g := newGroup(rec.GroupID)
	g.generation, g.transitionGen = rec.Generation, rec.Generation
	g.protocolType, g.protocolName, g.leader = rec.ProtocolType, rec.Protocol, rec.Leader
	for _, rm := range rec.Members {
		c.nextID = max(c.nextID, IDSequence(rm.MemberID))
		c.nextSeq++
		rebalanceTimeoutMs := rm.RebalanceTimeoutMs
		if rebalanceTimeoutMs == -1 { // an old record without one: the session timeout stands in
			rebalanceTimeoutMs = rm.SessionTimeoutMs
		}
		m := &member{id: rm.MemberID, instanceID: rm.InstanceID, clientID: rm.ClientID,
			sessionTimeoutMs: rm.SessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs, protocolType: rec.ProtocolType,
			protocols:  []spec.Protocol{{Name: rec.Protocol, Metadata: rm.Subscription.Clone()}},
			assignment: rm.Assignment, seq: c.nextSeq}
		m.assignment.Partitions = m.assignment.Partitions.Clone()
		m.session = newTimer(timerSession, g, m)
		g.putMember(m)
		if m.instanceID != "" {
			g.static[m.instanceID] = m.id
		}
	}
	if len(g.members) > 0 {
		g.state = spec.Stable
	}
	c.groups[rec.GroupID] = g
}

// MaxGeneration is the highest generation a group reaches, and the highest
// Load admits. Kafka's coordinator increments an int32 with no check
// (ClassicGroup.initNextGeneration), so past 2^31-1 it would wrap negative,
// where -1 means "no generation" to clients. kgroup stops at 2^30 (34
// years of one rebalance a second): a group there that must start another
// generation halts the coordinator with ErrGenerationLimit instead, so that
// every log it writes loads again.
const MaxGeneration = 1 << 30

// validate rejects a record no coordinator writes, which loading would turn
// into a group that breaks the coordinator's own invariants: a group with
// members but no generation, protocol or leader among them; a member without
// an id, listed twice, sharing an instance id, or with a timeout that is not
// positive (a rebalance timeout of -1 is an old record's, and means the
// session timeout); an offset of no group or no partition.
func (r Record) validate() error {
	switch {
	case r.recordCount() != 1:
		return errors.New("must hold exactly one kind of record")
	case r.Group == nil && r.Offset == nil:
		return r.validateCG()
	case r.Offset != nil:
		o := r.Offset
		if o.GroupID == "" || o.Topic == "" || o.Partition < 0 {
			return fmt.Errorf("offset record of group %q for %q partition %d: want a group, a topic and a partition from 0", o.GroupID, o.Topic, o.Partition)
		}
		return nil
	}
	return r.Group.validate()
}

func (g *GroupRecord) validate() error {
	if g.GroupID == "" {
		return errors.New("group record with an empty group id")
	}
	if g.Generation < 0 || g.Generation > MaxGeneration {
		return fmt.Errorf("group %q: generation %d; want one from 0 to %d", g.GroupID, g.Generation, MaxGeneration)
	}
	if len(g.Members) == 0 {
		return nil
	}
	if g.Generation == 0 || g.Protocol == "" || g.ProtocolType == "" {
		return fmt.Errorf("group %q has members, so wants a generation from 1, a protocol type and a protocol (has %d, %q, %q)", g.GroupID, g.Generation, g.ProtocolType, g.Protocol)
	}
	ids, instances := map[string]bool{}, map[string]bool{}
	for _, m := range g.Members {
		switch {
		case m.MemberID == "" || ids[m.MemberID]:
			return fmt.Errorf("group %q: member id %q is empty or listed twice", g.GroupID, m.MemberID)
		case m.InstanceID != "" && instances[m.InstanceID]:
			return fmt.Errorf("group %q: instance id %q is listed twice", g.GroupID, m.InstanceID)
		case m.SessionTimeoutMs <= 0 || (m.RebalanceTimeoutMs <= 0 && m.RebalanceTimeoutMs != -1):
			return fmt.Errorf("group %q: member %s has session timeout %d ms and rebalance timeout %d ms; want them positive (or a rebalance timeout of -1)", g.GroupID, m.MemberID, m.SessionTimeoutMs, m.RebalanceTimeoutMs)
		}
		ids[m.MemberID], instances[m.InstanceID] = true, true
	}
	if !ids[g.Leader] {
		return fmt.Errorf("group %q: leader %q is not a member", g.GroupID, g.Leader)
	}
	return nil
}

// IDSequence reads the sequence number the coordinator put at the end of a
// member id it made, so that a loaded coordinator never hands out an id that
// is already taken; 0 for an id of another form.
func IDSequence(id string) uint64 {
	i := strings.LastIndexByte(id, '-')
	n, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Load builds a coordinator from a record log at time now, as Kafka loads a
// __consumer_offsets partition: groups come back Stable or Empty, every
// member's session starts afresh, and a group over group.max.size rebalances.
// The Ready holds what that rebalance did.
func Load(cfg Config, now int64, records []Record) (*Coordinator, Ready, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, Ready{}, err
	}
	c.now = now
	for i, r := range records {
		if err := r.validate(); err != nil {
			return nil, Ready{}, fmt.Errorf("coordinator: record %d: %w", i, err)
		}
		if err := c.replay(r); err != nil {
			return nil, Ready{}, fmt.Errorf("coordinator: record %d: %w", i, err)
		}
	}
	c.loadConsumerGroups(now)
	for _, id := range spec.SortedKeys(c.groups) {
		g := c.groups[id]
		for _, m := range g.byAdmission() {
			c.timers.arm(&m.session, now+int64(m.sessionTimeoutMs))
		}
		if c.cfg.GroupMaxSize > 0 && len(g.members) > c.cfg.GroupMaxSize {
			c.prepareRebalance(g)
		}
	}
	return c, c.flush(), nil
}

// Replay applies records to c as Load does, after c's own: for a replica
// that follows a coordinator's log record by record (timers are not armed;
// a replica answers no requests).
func (c *Coordinator) Replay(records []Record) error {
	for i, r := range records {
		if err := r.validate(); err != nil {
			return fmt.Errorf("coordinator: record %d: %w", i, err)
		}
		if err := c.replay(r); err != nil {
			return fmt.Errorf("coordinator: record %d (%s): %w", i, r, err)
		}
	}
	return nil
}
