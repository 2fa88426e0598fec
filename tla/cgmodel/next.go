package cgmodel

import "slices"

// The coordinator (impl/coordinator cg_*.go). Each function is the spec
// operator of its name, on a copy of the state it may modify.

// Held is currentPartitionEpoch(p) # -1 over the group as stored.
func Held(ms []Member, p int) bool {
	for i := range ms {
		if ms[i].HeldBy().Has(p) {
			return true
		}
	}
	return false
}

// RangeShare is assignors.ServerRange's share of the k-th of n members.
func RangeShare(p *Params, n, k int) PSet {
	q, r := p.NumPartitions/n, p.NumPartitions%n
	start := k*q + min(k, r)
	l := q
	if k < r {
		l++
	}
	var s PSet
	for x := start; x < start+l; x++ {
		s |= 1 << x
	}
	return s
}

// OwnsAny: not reporting what it owns counts as owning them.
func OwnsAny(r *Request, s PSet) bool { return !r.HasOwned || r.Owned&s != 0 }

// NextAssignment is CurrentAssignmentBuilder.computeNextAssignment.
func NextAssignment(p *Params, m Member, e, tEpoch int16, ms []Member, r *Request) Member {
	keep := m.Asg & m.Tgt
	revoke := m.Asg.Minus(m.Tgt)
	var unreleased PSet
	for x := 0; x < p.NumPartitions; x++ {
		if m.Tgt.Minus(keep).Has(x) && Held(ms, x) && !p.Bugs.Has(BugAssignUnreleased) {
			unreleased |= 1 << x
		}
	}
	add := m.Tgt.Minus(keep).Minus(unreleased)
	n := m
	n.Prev, n.Rev = m.Ep, 0
	switch {
	case revoke != 0 && OwnsAny(r, revoke):
		n.St, n.Ep, n.Asg, n.Rev = MUnrevoked, e, keep, revoke
	case add != 0:
		n.St, n.Ep, n.Asg = MStable, tEpoch, keep|add
		if unreleased != 0 {
			n.St = MUnreleased
		}
	case unreleased != 0:
		n.St, n.Ep, n.Asg = MUnreleased, tEpoch, keep
	default:
		n.St, n.Ep, n.Asg = MStable, tEpoch, keep
	}
	if p.Bugs.Has(BugEpochGoesBack) && m.St == MUnreleased && n.St == MStable && n.Ep > 1 {
		n.Ep-- // planted, as mutant.CGEpochGoesBack
	}
	return n
}

// Reconcile is CurrentAssignmentBuilder.build.
func Reconcile(p *Params, m Member, tEpoch int16, ms []Member, r *Request) Member {
	switch m.St {
	case MStable:
		if m.Ep == tEpoch {
			return m
		}
		return NextAssignment(p, m, m.Ep, tEpoch, ms, r)
	case MUnrevoked:
		if OwnsAny(r, m.Rev) && !p.Bugs.Has(BugRevokeUnacked) {
			return m
		}
		return NextAssignment(p, m, m.Ep+1, tEpoch, ms, r)
	default:
		return NextAssignment(p, m, m.Ep, tEpoch, ms, r)
	}
}

// EpochFenced is checkEpoch.
func EpochFenced(p *Params, m *Member, r *Request) bool {
	if p.Bugs.Has(BugSkipEpochCheck) {
		return false
	}
	return r.Ep > m.Ep || (r.Ep < m.Ep && (r.Ep != m.Prev || !r.HasOwned || !r.Owned.SubsetOf(m.Asg)))
}

// Respond: the answer goes to a consumer still running.
func Respond(s *State, c int, a Answer) {
	if s.C[c].St != Down {
		s.Down[c] = append(s.Down[c], a)
	}
}

// JoinOrBeat is cgJoinOrBeat.
func JoinOrBeat(p *Params, s *State, c int, r *Request) {
	g := &s.G
	stored := slices.Clone(g.Members)
	id := r.Mid
	if id == NoID {
		g.NextID[c]++
		id = ID{uint8(c + 1), g.NextID[c]}
	}
	m := g.Member(id)
	switch {
	case m == nil && r.Ep != 0:
		Respond(s, c, Err(UnknownMemberID))
		return
	case m != nil && EpochFenced(p, m, r):
		Respond(s, c, Err(FencedMemberEpoch))
		return
	}
	if m == nil {
		g.Epoch++ // a new subscription bumps the epoch
		i, _ := slices.BinarySearchFunc(g.Members, id, func(a Member, b ID) int {
			switch {
			case a.ID.Less(b):
				return -1
			case b.Less(a.ID):
				return 1
			}
			return 0
		})
		g.Members = slices.Insert(g.Members, i, Member{ID: id})
		m = &g.Members[i]
	}
	old := *m
	tEpoch := g.AEpoch
	if g.Epoch > g.AEpoch {
		tEpoch = g.Epoch
		for k := range g.Members {
			g.Members[k].Tgt = RangeShare(p, len(g.Members), k) // ComputeTarget
		}
	}
	g.AEpoch = tEpoch
	m1 := *m
	m2 := m1
	if !(m1.St == MStable && m1.Ep == tEpoch) {
		m2 = Reconcile(p, m1, tEpoch, stored, r)
	}
	*m = m2
	Respond(s, c, Answer{Code: None, Mid: id, Ep: m2.Ep, Asg: m2.Asg, HasAsg: r.Full || old.Asg != m2.Asg})
}

// Fence is fenceRecords: the member is gone, the group epoch bumps.
func Fence(g *Group, id ID) {
	g.Members = slices.DeleteFunc(g.Members, func(m Member) bool { return m.ID == id })
	g.Epoch++
}

// LeaveGroup is cgLeave (epoch -1).
func LeaveGroup(s *State, r *Request) {
	if s.G.Member(r.Mid) != nil {
		Fence(&s.G, r.Mid)
	}
}

// Handle is cgHeartbeat.
func Handle(p *Params, s *State, c int, r *Request) {
	if r.Ep == -1 {
		LeaveGroup(s, r)
	} else {
		JoinOrBeat(p, s, c, r)
	}
}

// The consumer (impl/asyncconsumer).

// Beating is the spec's Beating.
func (x *Consumer) Beating() bool {
	return x.St == Joining || x.St == Acknowledging || x.St == Stable
}

// SendHeartbeat is sendHeartbeat with heartbeatRequest.
func SendHeartbeat(s *State, c int) {
	x := &s.C[c]
	all := x.St == Joining
	r := Request{Ep: x.Ep, Mid: x.Mid, HasOwned: all || x.Sent != SentAll, Full: all || x.Sent == SentNone}
	if r.HasOwned {
		r.Owned = x.Owned
	}
	s.Up[c] = append(s.Up[c], r)
	x.Inflight, x.Sent = true, SentAll
	if x.St == Acknowledging {
		x.St = Stable
	}
}

// HeartbeatPoll is heartbeatPoll.
func HeartbeatPoll(s *State, c int, due bool) {
	x := &s.C[c]
	if x.Beating() && !x.Inflight && (due || x.St == Joining || x.St == Acknowledging) {
		SendHeartbeat(s, c)
	}
}

// AssignmentReceived is assignmentReceived with the reconciliation.
func AssignmentReceived(s *State, c int, parts PSet) {
	x := &s.C[c]
	if x.St == Joining || parts != x.Owned {
		x.Owned, x.St = parts, Acknowledging
		if x.Sent == SentAll {
			x.Sent = SentFields
		}
		return
	}
	x.St = Stable
}

// OnHeartbeatResponse is onHeartbeatResponse.
func OnHeartbeatResponse(p *Params, s *State, c int, a Answer) {
	x := &s.C[c]
	if a.Code == None {
		x.Mid, x.Ep = a.Mid, a.Ep
		if a.HasAsg {
			AssignmentReceived(s, c, a.Asg)
		}
		return
	}
	x.Sent, x.St, x.Ep = SentNone, Joining, 0
	if !p.Bugs.Has(BugKeepOnFence) {
		x.Owned = 0
	}
}

// Deliver is Consumer.deliver then poll.
func Deliver(p *Params, s *State, c int) {
	a := s.Down[c][0]
	s.Down[c] = s.Down[c][1:]
	s.C[c].Inflight = false
	OnHeartbeatResponse(p, s, c, a)
	HeartbeatPoll(s, c, false)
}

// Orphaned: the heartbeat in flight can no longer be answered.
func Orphaned(s *State, c int) bool {
	if !s.C[c].Inflight || len(s.Down[c]) > 0 {
		return false
	}
	for _, r := range s.Up[c] {
		if r.Ep >= 0 {
			return false
		}
	}
	return true
}

// ExpireRequest is expireRequests: onHeartbeatFailure, then poll.
func ExpireRequest(s *State, c int) {
	s.C[c].Inflight, s.C[c].Sent = false, SentNone
	HeartbeatPoll(s, c, false)
}

// CloseW is close: revoke everything, send the leave, stop.
func CloseW(s *State, c int) {
	s.Up[c] = append(s.Up[c], Request{Ep: -1, Mid: s.C[c].Mid})
	s.C[c] = ConsRec(Down)
	s.Down[c] = nil
}

// StartW is New: transitionToJoining, then poll.
func StartW(s *State, c int) {
	s.C[c] = ConsRec(Joining)
	HeartbeatPoll(s, c, false)
}

// Healthy: a running consumer holds the member id at an epoch > 0, or has
// a successful answer naming it on its way.
func Healthy(s *State, id ID) bool {
	for c := range s.C {
		x := &s.C[c]
		if !x.Live() {
			continue
		}
		if x.Mid == id && x.Ep > 0 {
			return true
		}
		for _, a := range s.Down[c] {
			if a.Mid == id && a.Code == None {
				return true
			}
		}
	}
	return false
}

// Forced is the spec's Forced.
func Forced(s *State, id ID) bool { return !Healthy(s, id) }
