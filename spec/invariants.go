package spec

import (
	"errors"
	"fmt"
	"slices"
)

// The rules of DESIGN.md §5 for the classic eager protocol, as predicates.
// Each returns nil when the rule holds and otherwise an error that names the
// rule and the offending partition, member or value. They take plain data so
// that any implementation can build the arguments from its own state.

// CheckExclusiveOwnership is rule 1: at every instant, each partition is owned
// (being consumed) by at most one consumer whose commits the coordinator would
// still accept: a live consumer that the coordinator counts as a member, at
// the group's current generation.
//
// Zombies are excluded because rule 2 fences them: a consumer the coordinator
// has expelled but that has not yet noticed, and — the case that makes the
// generation part necessary — a static member (KIP-345) that missed a
// rebalance. Kafka keeps such a member in the group at the new generation and
// may hand its old partitions to others, while the member itself, until it
// hears of the new generation, still consumes them; its commits are rejected
// with ILLEGAL_GENERATION. (kgroup's first statement of this rule counted every
// member; transcript static_member_misses_rebalance shows Kafka breaking it.)
func CheckExclusiveOwnership(s Snapshot) error {
	owner := map[TopicPartition]string{}
	for _, c := range s.Consumers {
		if !c.Alive || c.Generation != s.Group.Generation {
			continue
		}
		if _, ok := s.Group.Member(c.MemberID); !ok {
			continue
		}
		for _, tp := range c.Owned {
			if prev, dup := owner[tp]; dup {
				return fmt.Errorf("exclusive ownership: %s is owned by both %s and %s, members of generation %d", tp, prev, c.Name, s.Group.Generation)
			}
			owner[tp] = c.Name
		}
	}
	return nil
}

// CheckAssignment is the validity half of rule 1, for any assignment a
// coordinator stores or an assignor emits: every assigned partition exists in
// topics, belongs to a topic its member subscribes to, and goes to one member
// only; every partition of a topic that some member subscribes to is assigned,
// unless withheldOK (a cooperative round may withhold partitions that are
// changing owner). subs and plan are keyed by member id; a member in plan must
// be in subs.
func CheckAssignment(topics map[string]int32, subs map[string][]string, plan map[string]Assignment, withheldOK bool) error {
	owner := map[TopicPartition]string{}
	for _, m := range SortedKeys(plan) {
		topicsOf, ok := subs[m]
		if !ok {
			return fmt.Errorf("assignment: partitions given to %s, which is not a member", m)
		}
		for _, tp := range plan[m].Partitions() {
			n, exists := topics[tp.Topic]
			switch {
			case !exists:
				return fmt.Errorf("assignment: %s given to %s, but topic %s does not exist", tp, m, tp.Topic)
			case tp.Partition < 0 || tp.Partition >= n:
				return fmt.Errorf("assignment: %s given to %s, but %s has %d partitions", tp, m, tp.Topic, n)
			case !slices.Contains(topicsOf, tp.Topic):
				return fmt.Errorf("assignment: %s given to %s, which does not subscribe to %s", tp, m, tp.Topic)
			}
			if prev, dup := owner[tp]; dup {
				return fmt.Errorf("assignment: %s given to both %s and %s", tp, prev, m)
			}
			owner[tp] = m
		}
	}
	if withheldOK {
		return nil
	}
	for _, t := range subscribedTopics(subs) {
		n, exists := topics[t]
		for p := int32(0); exists && p < n; p++ {
			if _, ok := owner[TopicPartition{t, p}]; !ok {
				return fmt.Errorf("assignment: %s-%d is subscribed but assigned to nobody", t, p)
			}
		}
	}
	return nil
}

func subscribedTopics(subs map[string][]string) []string {
	set := map[string]bool{}
	for _, ts := range subs {
		for _, t := range ts {
			set[t] = true
		}
	}
	return SortedKeys(set)
}

// CheckBalance is the balance half of rule 7 for assignors that balance over
// all topics (round-robin, sticky, uniform): when every member subscribes to
// the same topics, the member loads differ by at most one.
func CheckBalance(subs map[string][]string, plan map[string]Assignment) error {
	if !identical(subs) {
		return nil
	}
	minM, maxM := "", ""
	for _, m := range SortedKeys(subs) {
		if minM == "" || plan[m].Len() < plan[minM].Len() {
			minM = m
		}
		if maxM == "" || plan[m].Len() > plan[maxM].Len() {
			maxM = m
		}
	}
	if minM != "" && plan[maxM].Len()-plan[minM].Len() > 1 {
		return fmt.Errorf("balance: identical subscriptions, but %s holds %d partitions and %s holds %d",
			maxM, plan[maxM].Len(), minM, plan[minM].Len())
	}
	return nil
}

// CheckBalancePerTopic is rule 7 for the range assignor, which balances each
// topic on its own: for every topic, the partition counts of the members that
// subscribe to it differ by at most one.
func CheckBalancePerTopic(subs map[string][]string, plan map[string]Assignment) error {
	for _, t := range subscribedTopics(subs) {
		minN, maxN, minM, maxM := -1, -1, "", ""
		for _, m := range SortedKeys(subs) {
			if !slices.Contains(subs[m], t) {
				continue
			}
			n := len(plan[m][t])
			if minN < 0 || n < minN {
				minN, minM = n, m
			}
			if n > maxN {
				maxN, maxM = n, m
			}
		}
		if maxN-minN > 1 {
			return fmt.Errorf("balance: topic %s gives %d partitions to %s but %d to %s", t, maxN, maxM, minN, minM)
		}
	}
	return nil
}

func identical(subs map[string][]string) bool {
	var first []string
	for i, m := range SortedKeys(subs) {
		ts := slices.Sorted(slices.Values(subs[m]))
		if i == 0 {
			first = ts
		} else if !slices.Equal(first, ts) {
			return false
		}
	}
	return true
}

// CheckFencing is rule 2, applied to every response a coordinator sends, with
// after the group's view right after the coordinator produced it and req the
// request it answers. A successful answer is a grant, and only a current
// member of the current generation may be granted anything:
//
//   - OffsetCommit with any partition accepted: the member is in the group and
//     the request's generation is the group's, in Stable or PreparingRebalance;
//     or the group is Empty and the generation is negative (a consumer that
//     assigns itself partitions).
//   - SyncGroup NONE: the member is in the group, the generation is the
//     group's, the group is Stable, and the assignment returned is the one the
//     group holds for that member.
//   - Heartbeat NONE: the member is in the group at the group's generation, in
//     Stable or CompletingRebalance.
//   - JoinGroup NONE: the returned member is in the group and the returned
//     generation is the group's.
//
// In every case a request that names an instance id must come from the member
// that holds that instance id.
func CheckFencing(after GroupView, req Request, resp Response) error {
	if resp.Code() != None && resp.Kind() != "OffsetCommit" {
		return nil
	}
	fail := func(why string) error {
		return fmt.Errorf("fencing: %s answered with success although %s (group %s at generation %d)",
			FormatBody(req), why, after.State, after.Generation)
	}
	switch r := req.(type) {
	case *OffsetCommitRequest:
		if !anyAccepted(resp.(*OffsetCommitResponse)) {
			return nil
		}
		if after.State == Empty && r.GenerationID < 0 {
			return nil
		}
		if after.State != Stable && after.State != PreparingRebalance {
			return fail("commits are only accepted in Stable and PreparingRebalance")
		}
		return checkCurrent(after, r.MemberID, r.GroupInstanceID, r.GenerationID, fail)
	case *SyncGroupRequest:
		if after.State != Stable {
			return fail("the group is not Stable")
		}
		if err := checkCurrent(after, r.MemberID, r.GroupInstanceID, r.GenerationID, fail); err != nil {
			return err
		}
		m, _ := after.Member(r.MemberID)
		if got := resp.(*SyncGroupResponse).Assignment.Partitions; !got.Equal(m.Assignment) {
			return fail(fmt.Sprintf("it returned %s but the group holds %s for the member", got, m.Assignment))
		}
	case *HeartbeatRequest:
		if after.State != Stable && after.State != CompletingRebalance {
			return fail("heartbeats only succeed in Stable and CompletingRebalance")
		}
		return checkCurrent(after, r.MemberID, r.GroupInstanceID, r.GenerationID, fail)
	case *JoinGroupRequest:
		jr := resp.(*JoinGroupResponse)
		return checkCurrent(after, jr.MemberID, r.GroupInstanceID, jr.GenerationID, fail)
	}
	return nil
}

func checkCurrent(g GroupView, memberID, instanceID string, gen int32, fail func(string) error) error {
	m, ok := g.Member(memberID)
	switch {
	case !ok:
		return fail(fmt.Sprintf("%q is not a member", memberID))
	case gen != g.Generation:
		return fail(fmt.Sprintf("generation %d is not the group's", gen))
	case instanceID != "" && m.InstanceID != instanceID:
		return fail(fmt.Sprintf("instance %q is not held by %s", instanceID, memberID))
	}
	return nil
}

func anyAccepted(r *OffsetCommitResponse) bool {
	for _, p := range r.Partitions {
		if p.ErrorCode == None {
			return true
		}
	}
	return false
}

// CheckOffsetsMonotonic is rule 3: without an explicit seek, a committed offset
// never decreases and never disappears. Partitions in seeked are exempt (a
// legitimate owner may move its position back and commit it).
func CheckOffsetsMonotonic(prev, next map[TopicPartition]int64, seeked map[TopicPartition]bool) error {
	// Checked in map order, fast; only a violation pays for sorting, so that
	// the one reported is always the same.
	for tp, p := range prev {
		if n, ok := next[tp]; !seeked[tp] && (!ok || n < p) {
			return offsetsRegressed(prev, next, seeked)
		}
	}
	return nil
}

func offsetsRegressed(prev, next map[TopicPartition]int64, seeked map[TopicPartition]bool) error {
	for _, tp := range sortedPartitions(prev) {
		if seeked[tp] {
			continue
		}
		n, ok := next[tp]
		switch {
		case !ok:
			return fmt.Errorf("offsets: the committed offset of %s (%d) disappeared", tp, prev[tp])
		case n < prev[tp]:
			return fmt.Errorf("offsets: the committed offset of %s went back from %d to %d", tp, prev[tp], n)
		}
	}
	return nil
}

func sortedPartitions[V any](m map[TopicPartition]V) []TopicPartition {
	tps := make([]TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	SortPartitions(tps)
	return tps
}

// Ledger is the at-least-once half of rule 3: it is fed every batch of records
// any consumer processes and the committed offsets, and checks that nothing is
// skipped (no loss) while it counts what is processed more than once.
// The zero value is ready; every partition's log starts at offset 0.
type Ledger struct {
	end  map[TopicPartition]int64 // every offset below end was processed at least once
	dups map[TopicPartition]int64
	// Duplicates counts records processed more than once.
	Duplicates int64
	// Processed counts records processed, duplicates included.
	Processed int64
}

// Process records that [from, to) of tp was processed. Starting beyond the
// first never-processed offset skips records: that is loss, and an error.
func (l *Ledger) Process(tp TopicPartition, from, to int64) error {
	if l.end == nil {
		l.end, l.dups = map[TopicPartition]int64{}, map[TopicPartition]int64{}
	}
	if to < from || from < 0 {
		return fmt.Errorf("ledger: bad batch [%d,%d) of %s", from, to, tp)
	}
	end := l.end[tp]
	if from > end {
		return fmt.Errorf("no loss: %s processed from %d, but offsets %d..%d were never processed", tp, from, end, from-1)
	}
	l.Processed += to - from
	l.Duplicates += min(to, end) - from
	if min(to, end) > from {
		l.dups[tp] += min(to, end) - from
	}
	l.end[tp] = max(end, to)
	return nil
}

// DuplicatesOf counts the records of tp processed more than once.
func (l *Ledger) DuplicatesOf(tp TopicPartition) int64 { return l.dups[tp] }

// End returns the first offset of tp not yet processed by anyone.
func (l *Ledger) End(tp TopicPartition) int64 { return l.end[tp] }

// CheckCommittedProcessed is the other half of no-loss: a committed offset
// never lies beyond what was processed, since a consumer that resumes there
// would skip the records in between.
func CheckCommittedProcessed(committed map[TopicPartition]int64, l *Ledger) error {
	for tp, c := range committed {
		if c > l.End(tp) {
			return committedBeyondProcessed(committed, l)
		}
	}
	return nil
}

func committedBeyondProcessed(committed map[TopicPartition]int64, l *Ledger) error {
	for _, tp := range sortedPartitions(committed) {
		if committed[tp] > l.End(tp) {
			return fmt.Errorf("no loss: %s committed at %d but only processed up to %d", tp, committed[tp], l.End(tp))
		}
	}
	return nil
}

// CheckTransition is rule 5 for one state change of a group, as the
// coordinator makes it (a step may make several: a LeaveGroup of the last
// member goes Stable to PreparingRebalance to Empty). The change must be one
// Kafka allows (CanTransition), and the generation goes up by exactly one when
// a join phase completes (PreparingRebalance to CompletingRebalance or Empty)
// and stays put otherwise.
func CheckTransition(from GroupState, fromGen int32, to GroupState, toGen int32) error {
	if !CanTransition(from, to) {
		return fmt.Errorf("generations: the group moved from %s to %s, which Kafka never does", from, to)
	}
	joined := from == PreparingRebalance && (to == CompletingRebalance || to == Empty)
	if joined && toGen != fromGen+1 {
		return fmt.Errorf("generations: a join completed (%s to %s) but the generation went from %d to %d, not up by one",
			from, to, fromGen, toGen)
	}
	if !joined && toGen != fromGen {
		return fmt.Errorf("generations: the generation changed from %d to %d without a join completing (%s to %s)",
			fromGen, toGen, from, to)
	}
	return nil
}

// CheckGenerations is rule 5 across two consecutive snapshots: the group's
// generation never goes backwards; no consumer knows a generation the group
// has not reached; and a consumer that keeps its member id never goes back to
// an older generation.
func CheckGenerations(prev, next Snapshot) error {
	pg, ng := prev.Group, next.Group
	if ng.Generation < pg.Generation {
		return fmt.Errorf("generations: the group went back from generation %d to %d", pg.Generation, ng.Generation)
	}
	before := map[string]ConsumerView{}
	for _, c := range prev.Consumers {
		before[c.Name] = c
	}
	for _, c := range next.Consumers {
		if c.Generation > ng.Generation {
			return fmt.Errorf("generations: %s believes it is in generation %d, but the group is only at %d", c.Name, c.Generation, ng.Generation)
		}
		b, ok := before[c.Name]
		if ok && b.Alive && c.Alive && b.MemberID == c.MemberID && b.Generation >= 0 && c.Generation >= 0 && c.Generation < b.Generation {
			return fmt.Errorf("generations: %s (member %s) went back from generation %d to %d", c.Name, c.MemberID, b.Generation, c.Generation)
		}
	}
	return nil
}

// CheckStableGeneration is the second half of rule 5 within one snapshot: when
// the group is Stable, every live consumer that is a dynamic member and
// considers itself STABLE is at the group's generation. Static members are
// exempt: Kafka keeps a static member that missed a rebalance in the group,
// and it stays STABLE at its old generation until it hears otherwise (its
// requests are then answered ILLEGAL_GENERATION; rule 2 fences it meanwhile).
func CheckStableGeneration(s Snapshot) error {
	if s.Group.State != Stable {
		return nil
	}
	for _, c := range s.Consumers {
		m, ok := s.Group.Member(c.MemberID)
		if c.Alive && ok && m.InstanceID == "" && c.State == ClientStable && c.Generation != s.Group.Generation {
			return fmt.Errorf("generations: group Stable at generation %d but member %s (%s) is stable at %d",
				s.Group.Generation, c.MemberID, c.Name, c.Generation)
		}
	}
	return nil
}

// CheckConverged is rule 6, for the end of a run in which membership and
// metadata stopped changing and every message was delivered: the group is
// settled (CheckSettled) and its assignment covers every partition of every
// subscribed topic.
func CheckConverged(s Snapshot) error {
	if err := CheckSettled(s); err != nil {
		return err
	}
	if len(s.Group.Members) == 0 {
		return nil
	}
	return CheckAssignment(s.Topics, s.Group.Subscriptions(), s.Group.Assignments(), false)
}

// CheckSettled is rule 6 without the coverage half: the group is Stable (Empty
// if no consumer is alive); its members are exactly the live consumers; each
// is STABLE at the group's generation with no rejoin pending and consumes
// exactly what the coordinator holds for it; and that assignment is valid,
// though it may leave partitions unassigned.
func CheckSettled(s Snapshot) error {
	g := s.Group
	live := 0
	for _, c := range s.Consumers {
		if !c.Alive {
			continue
		}
		live++
		m, ok := g.Member(c.MemberID)
		switch {
		case !ok:
			return fmt.Errorf("convergence: %s is alive but not a member", c.Name)
		case c.State != ClientStable || c.RejoinNeeded:
			return fmt.Errorf("convergence: %s is %s (rejoin needed: %v), not settled", c.Name, c.State, c.RejoinNeeded)
		case c.Generation != g.Generation:
			return fmt.Errorf("convergence: %s is at generation %d, the group at %d", c.Name, c.Generation, g.Generation)
		case !slices.Equal(c.Owned, m.Assignment.Partitions()):
			return fmt.Errorf("convergence: %s consumes %s but is assigned %s", c.Name, FormatPartitions(c.Owned), m.Assignment)
		}
	}
	if live == 0 {
		if len(g.Members) != 0 || g.State != Empty {
			return fmt.Errorf("convergence: no consumer is alive but the group is %s with %d members", g.State, len(g.Members))
		}
		return nil
	}
	if g.State != Stable {
		return fmt.Errorf("convergence: the group is %s, not Stable", g.State)
	}
	if len(g.Members) != live {
		return fmt.Errorf("convergence: the group has %d members but %d consumers are alive", len(g.Members), live)
	}
	return CheckAssignment(s.Topics, g.Subscriptions(), g.Assignments(), true)
}

// CheckSnapshot applies every single-instant rule to s.
func CheckSnapshot(s Snapshot) error {
	return errors.Join(CheckExclusiveOwnership(s), CheckStableGeneration(s))
}
