package cluster

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// What the cluster does for a KIP-848 consumer group: the coordinator is
// told the topic metadata (it assigns partitions itself); snapshots carry
// the consumer group's own view, and responses are checked against it; and
// the record discipline holds after every step: a replica coordinator that
// has only replayed the records written so far describes the consumer
// group exactly as the live one does (Kafka's coordinator changes such a
// group only by replaying its records).

// tellCoordinatorTopics gives the coordinator the current metadata image.
func (cl *Cluster) tellCoordinatorTopics() {
	cl.coordinatorInput(&spec.MetadataUpdate{})
	ready, err := cl.coord.Step(cl.now, spec.Message{Body: &spec.MetadataUpdate{Topics: cl.Topics()}})
	cl.must(err)
	cl.applyCoordinator(ready)
}

// consumerGroup is the consumer group's view, if the group is one. A
// consumer group changes only by replaying records, so the view is
// described again only after records were written or the coordinator
// changed (cgViewOK); until then the same view, the same pointer, stands.
func (cl *Cluster) consumerGroup() (spec.ConsumerGroupView, bool) {
	v := cl.consumerGroupView()
	if v == nil {
		return spec.ConsumerGroupView{GroupID: cl.cfg.GroupID}, false
	}
	return *v, true
}

func (cl *Cluster) consumerGroupView() *spec.ConsumerGroupView {
	if !cl.cgViewOK {
		cl.cgView, cl.cgViewOK = nil, true
		if v, ok := cl.coord.DescribeConsumerGroup(cl.cfg.GroupID); ok {
			cl.cgView = &v
		}
	}
	return cl.cgView
}

// withConsumerGroup adds the consumer group's view to s, if the group is
// one: the previous snapshot's pointer while the group has not changed,
// which tells the Checker so (spec.Snapshot.ConsumerGroup).
func (cl *Cluster) withConsumerGroup(s spec.Snapshot) spec.Snapshot {
	s.ConsumerGroup = cl.consumerGroupView()
	return s
}

// logConsumerGroup logs the consumer group's state and epoch when they
// changed: a consumer group has no transitions, its state follows from its
// epochs and members.
func (cl *Cluster) logConsumerGroup() {
	v, ok := cl.consumerGroup()
	if !ok {
		return
	}
	now := cgState{v.State, v.Epoch, v.AssignmentEpoch}
	if now == cl.cgLogged {
		return
	}
	cl.cgLogged = now
	cl.log(spec.Event{Kind: spec.EvGroupState, Node: spec.CoordinatorNode,
		Detail: fmt.Sprintf("%s target-epoch=%d", v.State, v.AssignmentEpoch), Generation: v.Epoch})
}

// cgState is what logConsumerGroup last logged.
type cgState struct {
	state         spec.ConsumerGroupState
	epoch, target int32
}

// replicate replays newly written records on the replica and compares it
// with the live coordinator's consumer group: the group's epochs, its
// member count, and the members the records name (the others the records
// did not touch, in either coordinator).
func (cl *Cluster) replicate(recs []coordinator.Record) error {
	if cl.replica == nil {
		return nil
	}
	if err := cl.replica.Replay(recs); err != nil {
		return fmt.Errorf("records: the log does not replay: %w", err)
	}
	ids := touchedMembers(recs)
	live, isCG := cl.coord.DescribeConsumerMembers(cl.cfg.GroupID, ids)
	got, replicaCG := cl.replica.DescribeConsumerMembers(cl.cfg.GroupID, ids)
	if !isCG && !replicaCG {
		return nil
	}
	if a, b := cl.coord.ConsumerGroupSize(cl.cfg.GroupID), cl.replica.ConsumerGroupSize(cl.cfg.GroupID); a != b {
		return fmt.Errorf("records: replaying the log gives the consumer group %d members, but it has %d", b, a)
	}
	got.State, live.State = 0, 0 // a replica never unloads; Dead is no record's doing
	if !reflect.DeepEqual(got, live) {
		return fmt.Errorf("records: replaying the log gives the consumer group %+v, but it is %+v", got, live)
	}
	return nil
}

// touchedMembers lists, sorted and once each, the members the records name.
func touchedMembers(recs []coordinator.Record) []string {
	var ids []string
	for _, r := range recs {
		if k, _, ok := cgRecordKey(r); ok && k.member != "" {
			ids = append(ids, k.member)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// cgKey is what a consumer group record is about: a later record with the
// same key replaces it (Kafka compacts __consumer_offsets by key).
type cgKey struct {
	kind          byte
	group, member string
}

// cgRecordKey is the key of a consumer group record (ok false for others),
// and whether it is a tombstone.
func cgRecordKey(r coordinator.Record) (k cgKey, tombstone, ok bool) {
	switch {
	case r.CGMetadata != nil:
		return cgKey{'e', r.CGMetadata.GroupID, ""}, r.CGMetadata.Tombstone, true
	case r.CGSubscription != nil:
		return cgKey{'s', r.CGSubscription.GroupID, ""}, r.CGSubscription.Tombstone, true
	case r.CGTargetEpoch != nil:
		return cgKey{'a', r.CGTargetEpoch.GroupID, ""}, r.CGTargetEpoch.Tombstone, true
	case r.CGMember != nil:
		return cgKey{'m', r.CGMember.GroupID, r.CGMember.MemberID}, r.CGMember.Tombstone, true
	case r.CGTarget != nil:
		return cgKey{'t', r.CGTarget.GroupID, r.CGTarget.MemberID}, r.CGTarget.Tombstone, true
	case r.CGCurrent != nil:
		return cgKey{'c', r.CGCurrent.GroupID, r.CGCurrent.MemberID}, r.CGCurrent.Tombstone, true
	case r.CGRegex != nil: // the key is the group and the regex
		return cgKey{'r', r.CGRegex.GroupID, r.CGRegex.Regex}, r.CGRegex.Tombstone, true
	}
	return cgKey{}, false, false
}

// keepConsumerGroupRecords marks, in a log being compacted, the consumer
// group records a loading coordinator needs: the last record of each key
// unless it is a tombstone — and, per group, the member tombstone of the
// highest member id gone, so that Load never hands that id out again.
func keepConsumerGroupRecords(recs []coordinator.Record, keep []bool) {
	last := map[cgKey]int{}
	for i, r := range recs {
		if k, _, ok := cgRecordKey(r); ok {
			last[k] = i
		}
	}
	maxGone := map[string]int{}
	for k, i := range last {
		_, tomb, _ := cgRecordKey(recs[i])
		switch {
		case !tomb:
			keep[i] = true
		case k.kind == 'm':
			j, seen := maxGone[k.group]
			if !seen || coordinator.IDSequence(k.member) > coordinator.IDSequence(recs[j].CGMember.MemberID) {
				maxGone[k.group] = i
			}
		}
	}
	for _, i := range maxGone {
		keep[i] = true
	}
}
