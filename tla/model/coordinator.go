package model

import "slices"

// The coordinator's half of the next-state relation: how the group answers
// each request and what its timers do. Each function names the Go function
// of impl/coordinator it transcribes; ClassicGroup.tla has the same
// operators under the same names.

// Error codes the model uses (Kafka's numbers).
const (
	None                      uint8 = 0
	UnknownServerError        uint8 = 255 // -1
	OffsetMetadataTooLarge    uint8 = 12
	NotCoordinator            uint8 = 16
	IllegalGeneration         uint8 = 22
	InconsistentGroupProtocol uint8 = 23
	UnknownMemberID           uint8 = 25
	InvalidSessionTimeout     uint8 = 26
	RebalanceInProgress       uint8 = 27
	GroupIDNotFound           uint8 = 69
	MemberIDRequired          uint8 = 79
	GroupMaxSizeReached       uint8 = 81
	FencedInstanceID          uint8 = 82
)

// reply is where an answer goes: the consumer awaiting it, if any.
type reply struct {
	live bool
	to   uint8
	d    Desc
}

func replyOf(r Req) reply        { return reply{r.D.Live(), r.From, r.D} }
func replyOfPark(p Parked) reply { return reply{p.K == ParkLive, p.To, p.D} }

func (rp reply) park() Parked {
	if rp.live {
		return Parked{K: ParkLive, To: rp.to, D: rp.d}
	}
	return Parked{K: ParkDead}
}

// respond sends an answer (Coordinator.respond); one nobody awaits is lost.
func (w *world) respond(rp reply, r Resp) {
	if rp.live {
		w.pushDown(int(rp.to), Answer(rp.d, r))
	}
}

// Answer is the abstract answer: the fields the consumer reads, the rest
// at their zero values.
func Answer(d Desc, r Resp) Resp {
	out := Resp{K: d.K, D: d, Code: r.Code}
	switch {
	case d.K == KJoin && r.Code == None:
		out.Member, out.Gen, out.Proto, out.Leader, out.Skip, out.Members = r.Member, r.Gen, r.Proto, r.Leader, r.Skip, r.Members
	case d.K == KJoin && r.Code == MemberIDRequired:
		out.Member = r.Member
	case d.K == KSync && r.Code == None:
		out.Assign, out.Proto = r.Assign, r.Proto
	case d.K == KFetch:
		out.Offs = r.Offs
	}
	return out
}

// handle is Coordinator.handle for one request of consumer from.
func (w *world) handle(r Req) {
	switch r.K {
	case KJoin:
		w.join(r)
	case KSync:
		w.syncGroup(r)
	case KHeartbeat:
		w.respond(replyOf(r), Resp{Code: w.heartbeat(r)})
	case KLeave:
		w.leave(r.Member, 0)
		w.respond(replyOf(r), Resp{})
	case KCommit:
		w.respond(replyOf(r), Resp{Code: w.commit(r)})
	case KFetch:
		w.respond(replyOf(r), Resp{Offs: w.fetch(r.Parts)})
	}
}

// join is Coordinator.join (GroupMetadataManager.classicGroupJoin).
func (w *world) join(r Req) {
	rp := replyOf(r)
	fail := func(code uint8, member ID) { w.respond(rp, Resp{Code: code, Member: member, Gen: -1}) }
	if !r.SessOK {
		fail(InvalidSessionTimeout, r.Member)
		return
	}
	g := &w.s.G
	created := false
	if !g.Exists {
		if !r.Member.None() {
			fail(UnknownMemberID, r.Member)
			return
		}
		*g = Group{Exists: true, St: Empty, Committed: g.Committed, Rec: g.Rec, MaxRecID: g.MaxRecID, NextID: g.NextID}
		w.membersCopied = true
		created = true
	}
	defer func() {
		// recordNewGroup: a join that created the group writes the empty
		// group record (nothing else in such a join writes one).
		if created && !w.s.G.Rec.Has {
			w.s.G.Rec = Record{Has: true}
		}
	}()
	if !w.acceptJoiningMember(r.Member) {
		if i := w.memberIndex(r.Member); i >= 0 {
			w.removeMember(i)
		}
		w.removePending(r.Member)
		fail(GroupMaxSizeReached, ID{})
		return
	}
	switch {
	case !w.supportsProtocols(r.Names):
		fail(InconsistentGroupProtocol, r.Member)
	case r.Member.None():
		w.joinNewMember(rp, r)
	default:
		w.joinKnownMember(rp, r)
	}
}

// acceptJoiningMember is Coordinator.acceptJoiningMember (group.max.size).
func (w *world) acceptJoiningMember(id ID) bool {
	g := &w.s.G
	if w.p.MaxSize == 0 {
		return true
	}
	i := w.memberIndex(id)
	switch g.St {
	case Empty:
		return true
	case PreparingRebalance:
		return (i >= 0 && g.Members[i].Join.Parked()) || w.numAwaitingJoin() < w.p.MaxSize
	}
	return i >= 0 || len(g.Members) < w.p.MaxSize
}

func (w *world) numAwaitingJoin() int {
	n := 0
	for _, m := range w.s.G.Members {
		if m.Join.Parked() {
			n++
		}
	}
	return n
}

// supportsProtocols is group.supportsProtocols.
func (w *world) supportsProtocols(names []uint8) bool {
	if w.s.G.St == Empty {
		return len(names) > 0
	}
	return slices.ContainsFunc(names, w.supportedByAll)
}

func (w *world) supportedByAll(a uint8) bool {
	for _, m := range w.s.G.Members {
		if !slices.Contains(m.Names, a) {
			return false
		}
	}
	return true
}

// selectProtocol is group.selectProtocol: each member votes for its first
// protocol every member supports; most votes win, ties to the name that
// sorts first.
func (w *world) selectProtocol() uint8 {
	var votes [8]int
	for _, m := range w.s.G.Members {
		for _, a := range m.Names {
			if w.supportedByAll(a) {
				votes[a]++
				break
			}
		}
	}
	best := uint8(0)
	for a := uint8(1); int(a) < len(AssignorNames); a++ {
		if votes[a] > 0 && (best == 0 || votes[a] > votes[best]) {
			best = a
		}
	}
	return best
}

// staticHolder is the member holding an instance id (group.static).
func (w *world) staticHolder(inst uint8) int {
	if inst == 0 {
		return -1
	}
	return slices.IndexFunc(w.s.G.Members, func(m Member) bool { return m.Inst == inst })
}

// validateMember is group.validateMember.
func (w *world) validateMember(id ID, inst uint8) (int, uint8) {
	if inst != 0 {
		h := w.staticHolder(inst)
		switch {
		case h < 0:
			return -1, UnknownMemberID
		case w.s.G.Members[h].ID != id:
			return -1, FencedInstanceID
		}
	}
	i := w.memberIndex(id)
	if i < 0 {
		return -1, UnknownMemberID
	}
	return i, None
}

// newMemberID is Coordinator.newMemberID.
func (w *world) newMemberID(prefix uint16) ID {
	w.s.G.NextID++
	return ID{prefix, w.s.G.NextID}
}

// joinNewMember is Coordinator.joinNewMember.
func (w *world) joinNewMember(rp reply, r Req) {
	if r.Inst != 0 {
		if h := w.staticHolder(r.Inst); h >= 0 {
			w.replaceStaticMember(rp, r, h)
			return
		}
		w.addMember(rp, r, w.newMemberID(w.p.Prefix(int(r.From), r.Inst)))
		return
	}
	id := w.newMemberID(w.p.Prefix(int(r.From), 0))
	w.s.G.Pending = IDs(w.s.G.Pending).With(id)
	w.respond(rp, Resp{Code: MemberIDRequired, Member: id, Gen: -1})
}

// joinKnownMember is Coordinator.joinKnownMember.
func (w *world) joinKnownMember(rp reply, r Req) {
	g := &w.s.G
	if IDs(g.Pending).Has(r.Member) {
		if r.Inst != 0 {
			w.respond(rp, Resp{Code: UnknownServerError, Gen: -1})
			return
		}
		w.removePending(r.Member)
		w.addMember(rp, r, r.Member)
		return
	}
	i, code := w.validateMember(r.Member, r.Inst)
	if code != None {
		w.respond(rp, Resp{Code: code, Member: r.Member, Gen: -1})
		return
	}
	m := g.Members[i]
	switch g.St {
	case PreparingRebalance:
		w.updateMember(rp, i, r)
	case CompletingRebalance:
		if w.protocolsEqual(m, r) {
			w.respondJoin(rp, i)
			return
		}
		w.updateMember(rp, i, r)
	case Stable:
		if m.ID == g.Leader || !w.protocolsEqual(m, r) {
			w.updateMember(rp, i, r)
			return
		}
		w.respondJoin(rp, i)
	default:
		w.respond(rp, Resp{Code: UnknownMemberID, Member: r.Member, Gen: -1})
	}
}

// protocolsEqual is spec.ProtocolsEqual on the member's protocols and the
// request's. The model does not carry assignor user data, so when the rest
// is equal and an assignor keeps user data, either answer is possible.
func (w *world) protocolsEqual(m Member, r Req) bool {
	if !slices.Equal(m.Names, r.Names) || !metaEqual(m.Meta, r.Meta) {
		return false
	}
	if slices.ContainsFunc(m.Names, hasUserData) {
		return w.choice(chEqual, 2) == 1
	}
	return true
}

func metaEqual(a, b Meta) bool {
	return a.Topics == b.Topics && a.Gen == b.Gen && a.Owned.Equal(b.Owned)
}

// joinResponse is Coordinator.joinResponse: only the leader gets the members.
func (w *world) joinResponse(i int) Resp {
	g := &w.s.G
	m := g.Members[i]
	resp := Resp{Gen: g.Gen, Proto: g.Proto, Leader: g.Leader, Member: m.ID}
	if m.ID == g.Leader {
		resp.Members = w.memberList()
	}
	return resp
}

// respondJoin answers member i's JoinGroup with success (a grant, rule 2).
func (w *world) respondJoin(rp reply, i int) {
	g := &w.s.G
	w.respond(rp, w.joinResponse(i))
	w.grant(grant{k: KJoin, member: g.Members[i].ID, inst: g.Members[i].Inst, gen: g.Gen})
}

// metadataFor is member.metadataFor: its metadata for the named protocol.
func metadataFor(m Member, a uint8) Meta {
	if slices.Contains(m.Names, a) {
		return m.Meta
	}
	return Meta{}
}

// memberList is group.memberList.
func (w *world) memberList() []JMember {
	g := &w.s.G
	out := make([]JMember, len(g.Members))
	for i, m := range g.Members {
		out[i] = JMember{ID: m.ID, Inst: m.Inst, Meta: metadataFor(m, g.Proto)}
	}
	return out
}

// addMember is Coordinator.addMember.
func (w *world) addMember(rp reply, r Req, id ID) {
	g := &w.s.G
	m := Member{ID: id, Inst: r.Inst, Names: r.Names, Meta: r.Meta, Join: rp.park(), New: true}
	w.setMembers(append(slices.Clip(g.Members), m))
	if g.Leader.None() {
		g.Leader = id
	}
	w.maybePrepareRebalanceOrCompleteJoin()
}

// updateMember is Coordinator.updateMember.
func (w *world) updateMember(rp reply, i int, r Req) {
	ms := w.members()
	ms[i].Names, ms[i].Meta, ms[i].Join = r.Names, r.Meta, rp.park()
	w.maybePrepareRebalanceOrCompleteJoin()
}

func (w *world) maybePrepareRebalanceOrCompleteJoin() {
	if st := w.s.G.St; st == Stable || st == CompletingRebalance || st == Empty {
		w.prepareRebalance()
		return
	}
	w.maybeCompleteJoinPhase()
}

// maybeCompleteJoinPhase is Coordinator.maybeCompleteJoinPhase.
func (w *world) maybeCompleteJoinPhase() {
	g := &w.s.G
	if g.St == PreparingRebalance && w.hasAllMembersJoined() && !g.FromEmpty {
		w.completeJoin()
	}
}

// hasAllMembersJoined is group.hasAllMembersJoined.
func (w *world) hasAllMembersJoined() bool {
	return w.numAwaitingJoin() == len(w.s.G.Members) && len(w.s.G.Pending) == 0
}

// prepareRebalance is Coordinator.prepareRebalance.
func (w *world) prepareRebalance() {
	g := &w.s.G
	if g.St == CompletingRebalance {
		w.resetAndPropagateAssignmentWithError(RebalanceInProgress)
	}
	initial := g.St == Empty
	g.St, g.FromEmpty = PreparingRebalance, initial
	if initial {
		return
	}
	if w.hasAllMembersJoined() {
		w.completeJoin()
	}
}

// completeJoin is Coordinator.completeJoin (completeClassicGroupJoin).
func (w *world) completeJoin() {
	g := &w.s.G
	if g.St != PreparingRebalance {
		return
	}
	for i := 0; i < len(g.Members); {
		if m := g.Members[i]; !m.Join.Parked() && m.Inst == 0 {
			w.removeMember(i)
			continue
		}
		i++
	}
	if !w.electJoinedLeader() && len(g.Members) > 0 {
		return // wait another rebalance timeout for the static members
	}
	w.initNextGeneration()
	if g.St == Empty {
		w.record()
		return
	}
	ms := w.members()
	for i := range ms {
		if ms[i].Join.Parked() {
			w.respondJoin(replyOfPark(ms[i].Join), i)
			ms[i].Join = Parked{}
		}
		ms[i].New = false
		g.PendingSync = IDs(g.PendingSync).With(ms[i].ID)
	}
}

// electJoinedLeader is Coordinator.electJoinedLeader.
func (w *world) electJoinedLeader() bool {
	g := &w.s.G
	l := w.memberIndex(g.Leader)
	if l < 0 {
		return false
	}
	if g.Members[l].Join.Parked() {
		return true
	}
	for _, m := range g.Members {
		if m.Join.Parked() {
			g.Leader = m.ID
			return true
		}
	}
	return false
}

// initNextGeneration is Coordinator.initNextGeneration.
func (w *world) initNextGeneration() {
	g := &w.s.G
	g.Gen++
	g.PendingSync = nil
	g.FromEmpty = false
	if len(g.Members) == 0 {
		g.Proto, g.St = 0, Empty
		return
	}
	g.Proto, g.St = w.selectProtocol(), CompletingRebalance
}

// removeMember is Coordinator.removeMember.
func (w *world) removeMember(i int) {
	g := &w.s.G
	m := g.Members[i]
	if m.Join.Parked() {
		w.respond(replyOfPark(m.Join), Resp{Code: UnknownMemberID, Gen: -1})
	}
	w.setMembers(slices.Delete(slices.Clone(g.Members), i, i+1))
	g.PendingSync = IDs(g.PendingSync).Without(m.ID)
	if g.Leader == m.ID {
		g.Leader = ID{}
		if len(g.Members) > 0 {
			g.Leader = g.Members[0].ID
		}
	}
}

// removePending is Coordinator.removePending.
func (w *world) removePending(id ID) bool {
	g := &w.s.G
	if !IDs(g.Pending).Has(id) {
		return false
	}
	g.Pending = IDs(g.Pending).Without(id)
	return true
}

// record writes the group record (groupRecord): it replaces Rec, and Load's
// id counter remembers its highest id.
func (w *world) record() {
	g := &w.s.G
	rec := Record{Has: true, Gen: g.Gen, Proto: g.Proto, Leader: g.Leader}
	for _, m := range g.Members {
		rec.Members = append(rec.Members, RecMember{ID: m.ID, Inst: m.Inst, Meta: metadataFor(m, g.Proto), Assign: m.Assign})
		g.MaxRecID = max(g.MaxRecID, m.ID.N)
	}
	g.Rec = rec
}

// replaceStaticMember is Coordinator.replaceStaticMember (KIP-345).
func (w *world) replaceStaticMember(rp reply, r Req, h int) {
	g := &w.s.G
	id := w.newMemberID(w.p.Prefix(int(r.From), r.Inst))
	old := g.Members[h]
	// swapStaticMember
	if old.Join.Parked() {
		w.respond(replyOfPark(old.Join), Resp{Code: FencedInstanceID, Member: old.ID, Gen: -1})
	}
	if old.Sync.Parked() {
		w.respond(replyOfPark(old.Sync), Resp{Code: FencedInstanceID})
	}
	ms := w.members()
	ms[h] = Member{ID: id, Inst: old.Inst, Names: r.Names, Meta: r.Meta, Assign: old.Assign}
	if g.Leader == old.ID {
		g.Leader = id
	}
	switch g.St {
	case Stable:
		if w.selectProtocol() != g.Proto {
			ms[h].Join = rp.park()
			w.prepareRebalance()
			return
		}
		w.record()
		resp := w.joinResponse(h)
		resp.Skip = id == g.Leader
		w.respond(rp, resp)
		w.grant(grant{k: KJoin, member: id, inst: old.Inst, gen: g.Gen})
	case CompletingRebalance:
		ms[h].Join = rp.park()
		w.prepareRebalance()
	default:
		ms[h].Join = rp.park()
		w.maybeCompleteJoinPhase()
	}
}

// syncGroup is Coordinator.syncGroup.
func (w *world) syncGroup(r Req) {
	rp := replyOf(r)
	fail := func(code uint8) { w.respond(rp, Resp{Code: code}) }
	g := &w.s.G
	if !g.Exists || g.St == Empty {
		fail(UnknownMemberID)
		return
	}
	i, code := w.validateMember(r.Member, r.Inst)
	switch {
	case code != None:
		fail(code)
		return
	case r.Gen != g.Gen:
		fail(IllegalGeneration)
		return
	case r.Proto != 0 && g.Proto != 0 && r.Proto != g.Proto:
		fail(InconsistentGroupProtocol)
		return
	}
	switch g.St {
	case PreparingRebalance:
		fail(RebalanceInProgress)
	case Stable:
		w.synced(g.Members[i].ID)
		w.respond(rp, Resp{Assign: g.Members[i].Assign, Proto: g.Proto})
		w.grant(grant{k: KSync, member: r.Member, inst: r.Inst, gen: r.Gen, assign: g.Members[i].Assign})
	case CompletingRebalance:
		w.members()[i].Sync = rp.park()
		w.synced(g.Members[i].ID)
		if g.Members[i].ID == g.Leader {
			w.installPlan(r.Plan)
		}
	}
}

// synced is Coordinator.synced.
func (w *world) synced(id ID) { w.s.G.PendingSync = IDs(w.s.G.PendingSync).Without(id) }

// installPlan is Coordinator.installPlan: store the plan, persist the
// group, answer every parked SyncGroup (propagate), become Stable.
func (w *world) installPlan(plan []PlanEntry) {
	g := &w.s.G
	ms := w.members()
	for i := range ms {
		ms[i].Assign = nil
		for _, e := range plan {
			if e.M == ms[i].ID {
				ms[i].Assign = e.A
			}
		}
	}
	w.record()
	for i := range ms {
		if ms[i].Sync.Parked() {
			w.respond(replyOfPark(ms[i].Sync), Resp{Assign: ms[i].Assign, Proto: g.Proto})
			w.grant(grant{k: KSync, member: ms[i].ID, inst: ms[i].Inst, gen: g.Gen, assign: ms[i].Assign})
			ms[i].Sync = Parked{}
		}
	}
	g.St = Stable
}

// resetAndPropagateAssignmentWithError is
// Coordinator.resetAndPropagateAssignmentWithError.
func (w *world) resetAndPropagateAssignmentWithError(code uint8) {
	ms := w.members()
	for i := range ms {
		ms[i].Assign = nil
		if ms[i].Sync.Parked() {
			w.respond(replyOfPark(ms[i].Sync), Resp{Code: code})
			ms[i].Sync = Parked{}
		}
	}
}

// heartbeat is Coordinator.heartbeat.
func (w *world) heartbeat(r Req) uint8 {
	g := &w.s.G
	if !g.Exists {
		return UnknownMemberID
	}
	if _, code := w.validateMember(r.Member, r.Inst); code != None {
		return code
	}
	switch {
	case r.Gen != g.Gen:
		return IllegalGeneration
	case g.St == Empty:
		return UnknownMemberID
	case g.St == PreparingRebalance:
		return RebalanceInProgress
	}
	w.grant(grant{k: KHeartbeat, member: r.Member, inst: r.Inst, gen: r.Gen})
	return None
}

// expireSession is Coordinator.expireSession: a member parked in JoinGroup
// or SyncGroup is alive, unless it is new.
func (w *world) expireSession(i int) {
	m := w.s.G.Members[i]
	if !m.New && (m.Join.Parked() || m.Sync.Parked()) {
		return
	}
	w.removeMember(i)
	w.afterRemoval()
}

// afterRemoval is Coordinator.afterRemoval.
func (w *world) afterRemoval() {
	switch w.s.G.St {
	case Stable, CompletingRebalance:
		w.maybePrepareRebalanceOrCompleteJoin()
	case PreparingRebalance:
		if w.hasAllMembersJoined() {
			w.completeJoin()
		}
	}
}

// expirePending is Coordinator.expirePending.
func (w *world) expirePending(id ID) {
	w.removePending(id)
	if w.s.G.St == PreparingRebalance && w.hasAllMembersJoined() {
		w.completeJoin()
	}
}

// expirePendingSync is Coordinator.expirePendingSync: the members that
// did not sync are removed (in admission order; Kafka's order of removal
// changes nothing: none of them has a parked request), then the group
// rebalances.
func (w *world) expirePendingSync() {
	g := &w.s.G
	for i := 0; i < len(g.Members); {
		if IDs(g.PendingSync).Has(g.Members[i].ID) {
			w.removeMember(i)
			continue
		}
		i++
	}
	w.prepareRebalance()
}

// leave is Coordinator.leave for one member: a consumer's own (id), or an
// administrator's removal of a static member (inst).
func (w *world) leave(id ID, inst uint8) {
	g := &w.s.G
	if !g.Exists {
		return
	}
	if !w.leaveOne(id, inst) {
		return
	}
	switch g.St {
	case Stable, CompletingRebalance:
		w.maybePrepareRebalanceOrCompleteJoin()
	case PreparingRebalance:
		w.maybeCompleteJoinPhase()
	}
}

// leaveOne is Coordinator.leaveOne.
func (w *world) leaveOne(id ID, inst uint8) bool {
	if id.None() {
		h := w.staticHolder(inst)
		if h < 0 {
			return false
		}
		w.removeMember(h)
		return true
	}
	if w.removePending(id) {
		return true
	}
	i, code := w.validateMember(id, inst)
	if code != None {
		return false
	}
	w.removeMember(i)
	return true
}

// commit is Coordinator.commit with validateCommit.
func (w *world) commit(r Req) uint8 {
	g := &w.s.G
	if !g.Exists {
		if r.Gen >= 0 {
			return GroupIDNotFound
		}
		*g = Group{Exists: true, St: Empty, Committed: g.Committed, Rec: g.Rec, MaxRecID: g.MaxRecID, NextID: g.NextID}
	}
	switch {
	case r.Gen < 0 && g.St == Empty:
	case r.Gen >= 0 || !r.Member.None() || r.Inst != 0:
		if _, code := w.validateMember(r.Member, r.Inst); code != None {
			return code
		}
		if r.Gen != g.Gen {
			return IllegalGeneration
		}
	case g.St != Empty:
		return UnknownMemberID
	}
	if g.St == CompletingRebalance {
		return RebalanceInProgress
	}
	if r.Big && len(r.Offs) > 0 {
		return OffsetMetadataTooLarge
	}
	for _, o := range r.Offs {
		g.Committed = Offs(g.Committed).Set(o.P, o.O)
	}
	if len(r.Offs) > 0 {
		w.grant(grant{k: KCommit, member: r.Member, inst: r.Inst, gen: r.Gen})
	}
	return None
}

// fetch is Coordinator.fetch: the committed offset of each partition, -1 if
// none.
func (w *world) fetch(parts PSet) Offs {
	out := make(Offs, 0, len(parts))
	for _, p := range parts {
		o, ok := w.s.G.Committed.Get(p)
		if !ok {
			o = -1
		}
		out = append(out, Off{p, o})
	}
	return out
}

// failover is Cluster.failover: the coordinator unloads (parked requests
// get NOT_COORDINATOR) and a new one loads the log (coordinator.Load).
func (w *world) failover() {
	g := &w.s.G
	for _, m := range g.Members {
		if m.Join.Parked() {
			w.respond(replyOfPark(m.Join), Resp{Code: NotCoordinator, Member: m.ID, Gen: -1})
		}
		if m.Sync.Parked() {
			w.respond(replyOfPark(m.Sync), Resp{Code: NotCoordinator})
		}
	}
	rec := g.Rec
	ng := Group{Exists: rec.Has || len(g.Committed) > 0, St: Empty, Gen: rec.Gen, Proto: rec.Proto, Leader: rec.Leader,
		Committed: g.Committed, Rec: rec, MaxRecID: g.MaxRecID, NextID: g.MaxRecID}
	for _, rm := range rec.Members {
		ng.Members = append(ng.Members, Member{ID: rm.ID, Inst: rm.Inst, Names: []uint8{rec.Proto}, Meta: rm.Meta, Assign: rm.Assign})
	}
	if len(ng.Members) > 0 {
		ng.St = Stable
	}
	w.s.G = ng
	w.membersCopied = true
	if w.p.MaxSize > 0 && len(ng.Members) > w.p.MaxSize {
		w.prepareRebalance()
	}
}
