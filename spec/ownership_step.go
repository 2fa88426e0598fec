package spec

import (
	"errors"
	"slices"
)

// Rule 1, incrementally: what Checker.StepChanged checks of exclusive
// ownership. Between two snapshots of one generation and one member list,
// only the consumers whose views changed can make a partition owned twice,
// so the owner of each partition is kept from the previous snapshot and
// only their partitions are looked at. Anything else (another generation,
// another member list, a consumer gone, a partition that may be owned
// twice) is checked afresh by CheckExclusiveOwnership, whose verdict and
// message are thus the rule's.

// ownership is the owner of each partition at the previous snapshot, which
// passed the rule, if ok.
type ownership struct {
	ok      bool
	gen     int32
	members []MemberView
	owner   map[TopicPartition]string
}

// checkSnapshot is CheckSnapshot for StepChanged; valid: s is well formed.
func (ck *Checker) checkSnapshot(s Snapshot, valid bool) error {
	if !valid {
		ck.own.ok = false
		return CheckSnapshot(s)
	}
	return errors.Join(ck.exclusiveOwnership(s), stableGeneration(s))
}

// exclusiveOwnership is CheckExclusiveOwnership(s), s following ck.prev and
// well formed.
func (ck *Checker) exclusiveOwnership(s Snapshot) error {
	o := &ck.own
	if !o.ok || !ck.havePrev || s.Group.Generation != o.gen || !sameMemberIDs(s.Group.Members, o.members) {
		return ck.ownershipAfresh(s)
	}
	before := consumersByName(ck.prev.Consumers)
	var changed []ConsumerView
	matched := 0
	for i, c := range s.Consumers {
		p, had := before(i, c.Name)
		if had {
			matched++
			if sameOwnership(p, c) {
				continue
			}
			if counts(s.Group, p) {
				for _, tp := range p.Owned {
					delete(o.owner, tp)
				}
			}
		}
		changed = append(changed, c)
	}
	if matched != len(ck.prev.Consumers) {
		return ck.ownershipAfresh(s)
	}
	for _, c := range changed {
		if !counts(s.Group, c) {
			continue
		}
		for _, tp := range c.Owned {
			if _, dup := o.owner[tp]; dup {
				return ck.ownershipAfresh(s)
			}
			o.owner[tp] = c.Name
		}
	}
	return nil
}

// ownershipAfresh checks s in full and keeps its owners if it passes.
func (ck *Checker) ownershipAfresh(s Snapshot) error {
	owner, err := owners(s)
	ck.own = ownership{ok: err == nil, gen: s.Group.Generation, members: s.Group.Members, owner: owner}
	return err
}

// sameMemberIDs: two member lists name the same members in the same order.
func sameMemberIDs(a, b []MemberView) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.EqualFunc(a, b, func(x, y MemberView) bool { return x.MemberID == y.MemberID })
}

// sameOwnership: two views of a consumer own alike for rule 1.
func sameOwnership(a, b ConsumerView) bool {
	if a.Alive != b.Alive || a.MemberID != b.MemberID || a.Generation != b.Generation || len(a.Owned) != len(b.Owned) {
		return false
	}
	return len(a.Owned) == 0 || &a.Owned[0] == &b.Owned[0] || slices.Equal(a.Owned, b.Owned)
}
