package coordinator

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// The records of a consumer group, one type per Kafka record
// (group-coordinator's ConsumerGroup*Key/Value messages). A tombstone is
// the record with Tombstone set and only its key fields.

// CGMetadataRecord is ConsumerGroupMetadataValue: the group epoch.
type CGMetadataRecord struct {
	GroupID   string `json:"group_id"`
	Epoch     int32  `json:"epoch"`
	Tombstone bool   `json:"tombstone,omitempty"`
}

// CGSubscriptionRecord is ConsumerGroupPartitionMetadataValue: the
// subscribed topics the metadata knows, with their partition counts.
type CGSubscriptionRecord struct {
	GroupID   string           `json:"group_id"`
	Topics    map[string]int32 `json:"topics"`
	Tombstone bool             `json:"tombstone,omitempty"`
}

// CGMemberRecord is ConsumerGroupMemberMetadataValue: a member's
// subscription and settings.
type CGMemberRecord struct {
	GroupID            string   `json:"group_id"`
	MemberID           string   `json:"member_id"`
	InstanceID         string   `json:"instance_id,omitempty"`
	RackID             string   `json:"rack_id,omitempty"`
	ClientID           string   `json:"client_id,omitempty"`
	RebalanceTimeoutMs int32    `json:"rebalance_timeout_ms"`
	Topics             []string `json:"topics"`
	Regex              string   `json:"regex,omitempty"`
	ServerAssignor     string   `json:"server_assignor,omitempty"`
	Tombstone          bool     `json:"tombstone,omitempty"`
}

// CGTargetRecord is ConsumerGroupTargetAssignmentMemberValue: a member's
// share of the target assignment.
type CGTargetRecord struct {
	GroupID    string          `json:"group_id"`
	MemberID   string          `json:"member_id"`
	Partitions spec.Assignment `json:"partitions"`
	Tombstone  bool            `json:"tombstone,omitempty"`
}

// CGTargetEpochRecord is ConsumerGroupTargetAssignmentMetadataValue: the
// epoch of the target assignment.
type CGTargetEpochRecord struct {
	GroupID   string `json:"group_id"`
	Epoch     int32  `json:"epoch"`
	Tombstone bool   `json:"tombstone,omitempty"`
}

// CGCurrentRecord is ConsumerGroupCurrentMemberAssignmentValue: where a
// member's reconciliation stands.
type CGCurrentRecord struct {
	GroupID           string           `json:"group_id"`
	MemberID          string           `json:"member_id"`
	State             spec.MemberState `json:"state"`
	Epoch             int32            `json:"epoch"`
	PreviousEpoch     int32            `json:"previous_epoch"`
	Assigned          spec.Assignment  `json:"assigned"`
	PendingRevocation spec.Assignment  `json:"pending_revocation"`
	Tombstone         bool             `json:"tombstone,omitempty"`
}

// GroupTombstone is the tombstone of a classic group's GroupMetadataValue,
// written when an Empty classic group is replaced by a consumer group.
type GroupTombstone struct {
	GroupID string `json:"group_id"`
}

// recordCount is how many fields of r are set; a valid record has one.
func (r Record) recordCount() int {
	n := 0
	for _, set := range []bool{r.Group != nil, r.Offset != nil, r.GroupTombstone != nil, r.CGMetadata != nil,
		r.CGSubscription != nil, r.CGMember != nil, r.CGTarget != nil, r.CGTargetEpoch != nil, r.CGCurrent != nil, r.CGRegex != nil} {
		if set {
			n++
		}
	}
	return n
}

// cgString is the one-line text form of a consumer group record, "" for
// another kind.
func (r Record) cgString() string {
	tomb := func(t bool) string {
		if t {
			return " tombstone"
		}
		return ""
	}
	switch {
	case r.GroupTombstone != nil:
		return "group " + r.GroupTombstone.GroupID + " tombstone"
	case r.CGMetadata != nil:
		x := r.CGMetadata
		return fmt.Sprintf("cg-epoch %s epoch=%d%s", x.GroupID, x.Epoch, tomb(x.Tombstone))
	case r.CGSubscription != nil:
		x := r.CGSubscription
		parts := []string{"cg-subscription " + x.GroupID}
		for _, t := range spec.SortedKeys(x.Topics) {
			parts = append(parts, fmt.Sprintf("%s=%d", t, x.Topics[t]))
		}
		return strings.Join(parts, " ") + tomb(x.Tombstone)
	case r.CGMember != nil:
		x := r.CGMember
		if x.Tombstone {
			return "cg-member " + x.GroupID + " " + x.MemberID + " tombstone"
		}
		if x.Regex != "" {
			return fmt.Sprintf("cg-member %s %s topics=[%s] regex=%s", x.GroupID, x.MemberID, strings.Join(x.Topics, " "), x.Regex)
		}
		return fmt.Sprintf("cg-member %s %s topics=[%s]", x.GroupID, x.MemberID, strings.Join(x.Topics, " "))
	case r.CGTarget != nil:
		x := r.CGTarget
		if x.Tombstone {
			return "cg-target " + x.GroupID + " " + x.MemberID + " tombstone"
		}
		return fmt.Sprintf("cg-target %s %s=%s", x.GroupID, x.MemberID, x.Partitions)
	case r.CGTargetEpoch != nil:
		x := r.CGTargetEpoch
		return fmt.Sprintf("cg-target-epoch %s epoch=%d%s", x.GroupID, x.Epoch, tomb(x.Tombstone))
	case r.CGCurrent != nil:
		x := r.CGCurrent
		if x.Tombstone {
			return "cg-current " + x.GroupID + " " + x.MemberID + " tombstone"
		}
		return fmt.Sprintf("cg-current %s %s %s epoch=%d prev=%d assigned=%s revoking=%s", x.GroupID, x.MemberID,
			x.State, x.Epoch, x.PreviousEpoch, x.Assigned, x.PendingRevocation)
	case r.CGRegex != nil:
		x := r.CGRegex
		if x.Tombstone {
			return fmt.Sprintf("cg-regex %s %q tombstone", x.GroupID, x.Regex)
		}
		return fmt.Sprintf("cg-regex %s %q topics=[%s] version=%d time=%d", x.GroupID, x.Regex,
			strings.Join(x.Topics, " "), x.Version, x.Timestamp)
	}
	return ""
}

// validateCG rejects a consumer group record no coordinator writes.
func (r Record) validateCG() error {
	id, member := "", "-"
	switch {
	case r.GroupTombstone != nil:
		id = r.GroupTombstone.GroupID
	case r.CGMetadata != nil:
		id = r.CGMetadata.GroupID
		if r.CGMetadata.Epoch < 0 || r.CGMetadata.Epoch > MaxGeneration {
			return fmt.Errorf("consumer group %q: epoch %d; want one from 0 to %d", id, r.CGMetadata.Epoch, MaxGeneration)
		}
	case r.CGSubscription != nil:
		id = r.CGSubscription.GroupID
		for t, n := range r.CGSubscription.Topics {
			if t == "" || n < 0 {
				return fmt.Errorf("consumer group %q: subscribed topic %q with %d partitions", id, t, n)
			}
		}
	case r.CGMember != nil:
		id, member = r.CGMember.GroupID, r.CGMember.MemberID
		if !r.CGMember.Tombstone && r.CGMember.RebalanceTimeoutMs <= 0 {
			return fmt.Errorf("consumer group %q: member %s has rebalance timeout %d ms; want it positive", id, member, r.CGMember.RebalanceTimeoutMs)
		}
		if err := checkRegex(r.CGMember.Regex); r.CGMember.Regex != "" && err != nil {
			return fmt.Errorf("consumer group %q: member %s subscribes to regex %q: %w", id, member, r.CGMember.Regex, err)
		}
	case r.CGRegex != nil:
		id = r.CGRegex.GroupID
		if err := validateRegexRecord(r.CGRegex); err != nil {
			return err
		}
	case r.CGTarget != nil:
		id, member = r.CGTarget.GroupID, r.CGTarget.MemberID
		if err := validAssignment(r.CGTarget.Partitions); err != nil {
			return fmt.Errorf("consumer group %q: member %s target: %w", id, member, err)
		}
	case r.CGTargetEpoch != nil:
		id = r.CGTargetEpoch.GroupID
		if r.CGTargetEpoch.Epoch < 0 || r.CGTargetEpoch.Epoch > MaxGeneration {
			return fmt.Errorf("consumer group %q: assignment epoch %d; want one from 0 to %d", id, r.CGTargetEpoch.Epoch, MaxGeneration)
		}
	case r.CGCurrent != nil:
		x := r.CGCurrent
		id, member = x.GroupID, x.MemberID
		if err := validAssignment(x.Assigned); err != nil {
			return fmt.Errorf("consumer group %q: member %s assigned: %w", id, member, err)
		}
		if err := validAssignment(x.PendingRevocation); err != nil {
			return fmt.Errorf("consumer group %q: member %s pending revocation: %w", id, member, err)
		}
		if x.Epoch < spec.StaticLeaveEpoch || x.Epoch > MaxGeneration {
			return fmt.Errorf("consumer group %q: member %s epoch %d", id, member, x.Epoch)
		}
		switch x.State {
		case spec.MemberStable, spec.MemberUnrevokedPartitions, spec.MemberUnreleasedPartition, spec.MemberUnknown:
		default: // Kafka's MemberState.fromValue throws
			return fmt.Errorf("consumer group %q: member %s in state %s", id, member, x.State)
		}
	}
	if id == "" || member == "" {
		return errors.New("consumer group record with an empty group or member id")
	}
	return nil
}

func validAssignment(a spec.Assignment) error {
	for t, ps := range a {
		if t == "" {
			return errors.New("an empty topic name")
		}
		for i, p := range ps {
			if p < 0 || (i > 0 && ps[i-1] >= p) {
				return fmt.Errorf("topic %s partitions %v are not distinct, ascending and from 0", t, ps)
			}
		}
	}
	return nil
}

// The records the handlers write.

func cgEpochRecord(g string, epoch int32) Record {
	return Record{CGMetadata: &CGMetadataRecord{GroupID: g, Epoch: epoch}}
}

func cgSubscriptionRecord(g string, topics map[string]int32) Record {
	return Record{CGSubscription: &CGSubscriptionRecord{GroupID: g, Topics: topics}}
}

func cgMemberRecord(g string, m *cmember) Record {
	return Record{CGMember: &CGMemberRecord{GroupID: g, MemberID: m.id, InstanceID: m.instanceID, RackID: m.rackID,
		ClientID: m.clientID, RebalanceTimeoutMs: m.rebalanceTimeoutMs, Topics: slices.Clone(m.topics),
		Regex: m.regex, ServerAssignor: m.serverAssignor}}
}

func cgTargetRecord(g, member string, a spec.Assignment) Record {
	return Record{CGTarget: &CGTargetRecord{GroupID: g, MemberID: member, Partitions: a.Clone()}}
}

func cgTargetEpochRecord(g string, epoch int32) Record {
	return Record{CGTargetEpoch: &CGTargetEpochRecord{GroupID: g, Epoch: epoch}}
}

func cgCurrentRecord(g string, m *cmember) Record {
	return Record{CGCurrent: &CGCurrentRecord{GroupID: g, MemberID: m.id, State: m.state, Epoch: m.epoch,
		PreviousEpoch: m.prevEpoch, Assigned: m.assigned.Clone(), PendingRevocation: m.pendingRevocation.Clone()}}
}

// cgRemoveMemberRecords are GroupMetadataManager.removeMember's tombstones,
// in Kafka's order.
func cgRemoveMemberRecords(g, member string) []Record {
	return []Record{
		{CGCurrent: &CGCurrentRecord{GroupID: g, MemberID: member, Tombstone: true}},
		{CGTarget: &CGTargetRecord{GroupID: g, MemberID: member, Tombstone: true}},
		{CGMember: &CGMemberRecord{GroupID: g, MemberID: member, Tombstone: true}},
	}
}

// cgDeleteGroupRecords are ConsumerGroup.createGroupTombstoneRecords for an
// Empty group, and the tombstones of its regular expressions. Kafka
// tombstones the targets of the members, which an Empty group has none of;
// kgroup tombstones every target first, so that a group loaded from a log
// holding a target of no member (which no coordinator writes, but Load
// takes in, as Kafka's replay does) is deleted instead of failing its own
// target epoch tombstone.
func cgDeleteGroupRecords(g *cgroup) []Record {
	recs := make([]Record, 0, len(g.target)+len(g.regexes)+3)
	for _, re := range spec.SortedKeys(g.regexes) {
		recs = append(recs, cgRegexTombstone(g.id, re))
	}
	for _, id := range spec.SortedKeys(g.target) {
		recs = append(recs, Record{CGTarget: &CGTargetRecord{GroupID: g.id, MemberID: id, Tombstone: true}})
	}
	return append(recs,
		Record{CGTargetEpoch: &CGTargetEpochRecord{GroupID: g.id, Tombstone: true}},
		Record{CGSubscription: &CGSubscriptionRecord{GroupID: g.id, Tombstone: true}},
		Record{CGMetadata: &CGMetadataRecord{GroupID: g.id, Tombstone: true}})
}
