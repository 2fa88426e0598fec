package spec

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Checker applies the rules to a run as it happens, each where it can be
// seen: fencing (rule 2) on every response the coordinator sends, generations
// (rule 5) on every state change, rule 4 on every cooperative plan and revoke,
// no loss (rule 3) on every batch processed, and ownership, generations and
// committed offsets after every step. It keeps the first violation.
//
// The package documentation shows a whole use (ExampleChecker runs it).
//
// Set Rebuild to check the record discipline too (DESIGN §3): whenever the
// group has just become Stable or Empty, the group that Rebuild loads from
// the persisted log must be the live one.
type Checker struct {
	group    string
	err      error
	prev     Snapshot
	havePrev bool
	// ownsPrev: prev.Committed is the checker's own copy (StepChanged
	// updates it in place), not the caller's map.
	ownsPrev bool
	// own is what StepChanged keeps of exclusive ownership (rule 1).
	own ownership
	// validMembers is the member list of the last view fencing validated:
	// the same list is not validated again (views are values of an instant).
	validMembers []MemberView
	ledger       Ledger
	steps        int64
	// requests are those the coordinator has not answered yet.
	requests map[requestKey]Request
	// failedOver: a coordinator failover happened. Kafka persists a new
	// generation only when the leader's assignment arrives, so after a
	// failover mid-rebalance consumers may hold a generation the reloaded
	// group has not reached, and the group's generation may be lower than
	// its in-memory one was; those two comparisons are skipped from then on.
	failedOver bool
	// settled: the group reached Stable or Empty during the step, so its log
	// must now rebuild it.
	settled bool
	// joinMembers is the member list each leader (by address) got in its
	// last successful JoinGroup answer, if it led that round: the claims
	// its plan is checked against (rule 4).
	joinMembers map[string][]JoinGroupMember
	// revokes holds, per consumer name, what a cooperative consumer must
	// revoke after the assignment it was just given (rule 4).
	revokes map[string]expectedRevoke
	// cgReports are the owned partitions of the consumer group heartbeats
	// answered since the last Step, by member id (CheckConsumerReleases);
	// empty between steps.
	cgReports map[string]Assignment

	// Rebuild, if set, returns the group as a coordinator that loads the
	// persisted log would describe it.
	Rebuild func() (GroupView, error)
}

type expectedRevoke struct{ owned, assigned []TopicPartition }

type requestKey struct {
	from string
	corr int32
}

// NewChecker returns a checker for the group with this id.
func NewChecker(groupID string) *Checker {
	return &Checker{group: groupID, requests: map[requestKey]Request{},
		joinMembers: map[string][]JoinGroupMember{}, revokes: map[string]expectedRevoke{}}
}

// Err returns the first rule broken, if any, as "at TIME: rule: what".
func (ck *Checker) Err() error { return ck.err }

// Ledger is the at-least-once bookkeeping of every record processed.
func (ck *Checker) Ledger() *Ledger { return &ck.ledger }

// Steps counts the states checked (calls of Step).
func (ck *Checker) Steps() int64 { return ck.steps }

func (ck *Checker) fail(at int64, err error) {
	if err != nil && ck.err == nil {
		ck.err = fmt.Errorf("at %d: %w", at, err)
	}
}

// Request remembers a request that reached the coordinator (m.From is the
// sender) so that its answer can be checked against it. A leader's plan is
// checked against rule 4 here.
func (ck *Checker) Request(at int64, m Message) {
	req, ok := m.Body.(Request)
	if !ok {
		ck.fail(at, fmt.Errorf("checker: %s is not a request", m))
		return
	}
	ck.requests[requestKey{m.From, m.Correlation}] = req
	if r, ok := req.(*SyncGroupRequest); ok && len(r.Assignments) > 0 {
		ck.fail(at, checkPlan(ck.joinMembers[m.From], r.Assignments))
	}
}

// checkPlan is rule 4 on a leader's plan: nothing moves between members
// within one generation. Eager members claim nothing (they revoked all before
// joining), so the rule binds only cooperative ones.
func checkPlan(members []JoinGroupMember, plan []SyncGroupAssignment) error {
	owned := map[string][]TopicPartition{}
	for _, m := range members {
		owned[m.MemberID] = m.Metadata.OwnedPartitions
	}
	assigned := map[string]Assignment{}
	for _, a := range plan {
		assigned[a.MemberID] = a.Assignment.Partitions
	}
	return CheckCooperativePlan(owned, assigned)
}

// Response checks rule 2 for one response the coordinator sent (m.To is the
// requester), with after the group's view right after the coordinator
// produced it. A response to a request that never reached the coordinator,
// or that was answered already, is a violation.
func (ck *Checker) Response(at int64, after GroupView, m Message) {
	resp, ok := m.Body.(Response)
	k := requestKey{m.To, m.Correlation}
	req, asked := ck.requests[k]
	if !ok || !asked {
		ck.fail(at, fmt.Errorf("coordinator answered %s, which nobody asked", m))
		return
	}
	delete(ck.requests, k)
	if r, ok := resp.(*JoinGroupResponse); ok && r.ErrorCode == None {
		if len(r.Members) > 0 {
			ck.joinMembers[m.To] = r.Members
		} else { // a follower now: nothing it sends is a plan
			delete(ck.joinMembers, m.To)
		}
	}
	if req.Group() == ck.group {
		ck.fail(at, ck.fencing(after, req, resp))
	}
}

// fencing is CheckFencing, which validates the view only the first time it
// sees its member list: a view the checker is given must not change after.
func (ck *Checker) fencing(after GroupView, req Request, resp Response) error {
	n := len(after.Members)
	if n == 0 || len(ck.validMembers) != n || &ck.validMembers[0] != &after.Members[0] {
		if after.validate() != nil {
			return CheckFencing(after, req, resp)
		}
		ck.validMembers = after.Members
	}
	return checkFencing(after, req, resp, false)
}

// Transition checks rule 5 for one state change.
func (ck *Checker) Transition(at int64, t Transition) {
	ck.fail(at, CheckTransition(t.From, t.FromGeneration, t.To, t.ToGeneration))
	if t.Group == ck.group && (t.To == Stable || t.To == Empty) {
		ck.settled = true
	}
}

// Delivered notes, when a cooperative consumer (its view before it handles
// m) is about to receive a successful SyncGroup answer, what it must then
// revoke (rule 4).
func (ck *Checker) Delivered(at int64, to ConsumerView, m Message) {
	r, ok := m.Body.(*SyncGroupResponse)
	if !ok || r.ErrorCode != None || to.Protocol != Cooperative {
		return
	}
	ck.revokes[to.Name] = expectedRevoke{owned: to.Owned, assigned: r.Assignment.Partitions.Partitions()}
}

// Event sees what consumers do: processed batches feed the ledger (rule 3,
// no loss); revocations are held to what the last assignment requires
// (rule 4). Node is the consumer's name.
func (ck *Checker) Event(e Event) {
	switch e.Kind {
	case EvProcessed:
		if len(e.Partitions) != 1 {
			ck.fail(e.At, fmt.Errorf("checker: a processed event names %d partitions, not one", len(e.Partitions)))
			return
		}
		ck.fail(e.At, ck.ledger.Process(e.Partitions[0], e.Offset, e.End))
	case EvRevoked:
		if want, ok := ck.revokes[e.Node]; ok {
			delete(ck.revokes, e.Node)
			ck.fail(e.At, CheckCooperativeRevoke(want.owned, want.assigned, e.Partitions))
		}
	case EvLost, EvFailed, EvClose, EvCrash, EvRestart:
		delete(ck.revokes, e.Node)
	case EvAssigned:
		// Assigned after the revocation (or with nothing to revoke): the
		// round is over for this consumer.
		if want, ok := ck.revokes[e.Node]; ok {
			delete(ck.revokes, e.Node)
			ck.fail(e.At, CheckCooperativeRevoke(want.owned, want.assigned, nil))
		}
	}
}

// Failover starts comparing afresh against a coordinator that loaded the log.
func (ck *Checker) Failover() {
	ck.failedOver = true
	clear(ck.requests)
}

// Step checks the rules that hold at every instant and between consecutive
// instants, on s, the state after a step.
func (ck *Checker) Step(s Snapshot) {
	ck.stepStart(s)
	ck.fail(s.At, CheckSnapshot(s))
	ck.own.ok = false
	ck.fail(s.At, CheckCommittedProcessed(s.Committed, &ck.ledger))
	if ck.havePrev {
		ck.fail(s.At, CheckOffsetsMonotonic(ck.prev.Committed, s.Committed, nil))
	}
	ck.stepEnd(s, false)
	ck.ownsPrev = false
}

// StepChanged is Step for a caller that tracks the committed offsets: since
// the previous Step, s.Committed changed at most at the partitions in
// changed (a partition may be listed though unchanged, or twice). Rule 3 is
// then checked on those alone, with Step's verdict and message: an offset
// that did not change neither regresses nor disappears, and it does not lie
// beyond what was processed, since it did not at the previous Step (or the
// checker holds a violation already, and keeps only the first) and the
// ledger only grows. The checker keeps its own copy of the offsets, so
// s.Committed may be a map the caller goes on updating after the call. The
// first Step checks every offset. Exclusive ownership (rule 1) is checked
// on the consumers whose views changed (ownership_step.go), so the rest of
// s (member lists, owned partitions) must not change after the call.
func (ck *Checker) StepChanged(s Snapshot, changed []TopicPartition) {
	if !ck.havePrev {
		s.Committed = maps.Clone(s.Committed)
		ck.Step(s)
		ck.ownsPrev = true
		return
	}
	if !ck.ownsPrev {
		ck.prev.Committed, ck.ownsPrev = maps.Clone(ck.prev.Committed), true
	}
	ck.stepStart(s)
	valid := s.validate() == nil
	ck.fail(s.At, ck.checkSnapshot(s, valid))
	prev, next := ck.prev.Committed, s.Committed
	was, now := make(map[TopicPartition]int64, len(changed)), make(map[TopicPartition]int64, len(changed))
	for _, tp := range changed {
		if o, ok := prev[tp]; ok {
			was[tp] = o
		}
		if o, ok := next[tp]; ok {
			now[tp] = o
		}
	}
	ck.fail(s.At, CheckCommittedProcessed(now, &ck.ledger))
	ck.fail(s.At, CheckOffsetsMonotonic(was, now, nil))
	for _, tp := range changed {
		if o, ok := now[tp]; ok {
			prev[tp] = o
		} else {
			delete(prev, tp)
		}
	}
	ck.stepEnd(s, valid)
	ck.prev.Committed = prev
}

// stepStart is what Step checks first: the record discipline.
func (ck *Checker) stepStart(s Snapshot) {
	ck.steps++
	if ck.settled && ck.Rebuild != nil && (s.Group.State == Stable || s.Group.State == Empty) {
		ck.fail(s.At, ck.checkRebuild(s.Group))
	}
	ck.settled = false
}

// stepEnd is what Step checks after the committed offsets: the rules
// between consecutive instants. s becomes the previous snapshot. valid: s
// is well formed, and so was the previous snapshot (every step validates
// its snapshot, and a malformed one is a violation already, the first).
func (ck *Checker) stepEnd(s Snapshot, valid bool) {
	if s.ConsumerGroup != nil {
		ck.fail(s.At, ck.consumerGroupStep(s))
		ck.prev, ck.havePrev = s, true
		return
	}
	if ck.havePrev {
		check := CheckGenerations
		if valid {
			check = generations
		}
		if err := check(ck.prev, s); err != nil && !ck.failedOver {
			ck.fail(s.At, err)
		}
	}
	ck.prev, ck.havePrev = s, true
}

// checkRebuild is the record discipline: once a group is Stable or Empty, a
// coordinator that loads the log describes it exactly as the live one does.
func (ck *Checker) checkRebuild(live GroupView) error {
	got, err := ck.Rebuild()
	if err != nil {
		return fmt.Errorf("records: the log does not load: %w", err)
	}
	if !reflect.DeepEqual(normalizeView(got), normalizeView(live)) {
		return fmt.Errorf("records: the log rebuilds the group as %+v, but it is %+v", got, live)
	}
	return nil
}

// normalizeView makes empty and nil assignments and lists compare equal.
func normalizeView(g GroupView) GroupView {
	g.Members = append([]MemberView(nil), g.Members...)
	for i := range g.Members {
		m := &g.Members[i]
		m.Assignment = m.Assignment.Clone()
		m.Assignment.Normalize()
		if len(m.Assignment) == 0 {
			m.Assignment = nil
		}
		if len(m.Topics) == 0 {
			m.Topics = nil
		}
	}
	if len(g.Members) == 0 {
		g.Members = nil
	}
	return g
}

// AppendState appends a canonical encoding of what the checker's future
// verdicts depend on (see StateFrame): the first violation, the requests the
// coordinator has not answered, each leader's last member list, the
// revocations it expects, where the ledger has processed to, and whether a
// failover happened. Its counters (steps, records processed and processed
// twice) are statistics and are not written; neither is the previous
// snapshot, which is the state the caller encodes beside it.
func (ck *Checker) AppendState(b []byte, f StateFrame) []byte {
	if ck.err != nil {
		b = appendStr(append(b, 1), ck.err.Error())
	} else {
		b = append(b, 0)
	}
	b = appendInts(b, boolInt(ck.failedOver), boolInt(ck.havePrev), int64(len(ck.requests)))
	keys := make([]requestKey, 0, len(ck.requests))
	for k := range ck.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y requestKey) int {
		return cmp.Or(strings.Compare(x.from, y.from), cmp.Compare(f.CorrOf(x.from, x.corr), f.CorrOf(y.from, y.corr)))
	})
	for _, k := range keys {
		b = AppendBody(appendInts(appendStr(b, k.from), f.CorrOf(k.from, k.corr)), ck.requests[k])
	}
	b = appendInts(b, int64(len(ck.joinMembers)))
	for _, addr := range SortedKeys(ck.joinMembers) {
		ms := ck.joinMembers[addr]
		b = appendInts(appendStr(b, addr), int64(len(ms)))
		for _, m := range ms {
			b = AppendSubscription(appendStrs(b, m.MemberID, m.GroupInstanceID), m.Metadata)
		}
	}
	b = appendInts(b, int64(len(ck.revokes)))
	for _, name := range SortedKeys(ck.revokes) {
		r := ck.revokes[name]
		b = AppendPartitions(AppendPartitions(appendStr(b, name), r.owned), r.assigned)
	}
	ends := sortedPartitions(ck.ledger.end)
	b = appendInts(b, int64(len(ends)))
	for _, tp := range ends {
		b = appendInts(appendTP(b, tp), ck.ledger.end[tp])
	}
	return b
}

// Clone returns a copy that checks on independently of ck. Its Rebuild is
// nil: set it to rebuild the copy's own group.
func (ck *Checker) Clone() *Checker {
	n := *ck
	n.requests = maps.Clone(ck.requests)
	n.joinMembers = maps.Clone(ck.joinMembers)
	n.revokes = maps.Clone(ck.revokes)
	n.cgReports = maps.Clone(ck.cgReports)
	if ck.ownsPrev {
		n.prev.Committed = maps.Clone(ck.prev.Committed)
	}
	n.own.owner = maps.Clone(ck.own.owner)
	n.ledger.end, n.ledger.dups = maps.Clone(ck.ledger.end), maps.Clone(ck.ledger.dups)
	n.Rebuild = nil
	return &n
}
