package model

// The consumer's half of the next-state relation. Each function names the
// Go function of impl/consumer it transcribes; ClassicGroup.tla has the
// same operators under the same names. Timers are nondeterministic choices
// (world.pick); a deadline is never state.

// cx returns consumer c, to modify in place.
func (w *world) cx(c int) *Consumer {
	if !w.cCopied {
		w.s.C = append([]Consumer(nil), w.s.C...)
		w.cCopied = true
	}
	return &w.s.C[c]
}

func (w *world) cfg(c int) Config { return w.p.Configs[w.s.C[c].Cfg] }

func (w *world) alive(c int) bool { return w.s.C[c].Running() && w.failed&bit(c) == 0 }

// send is Consumer.send: the request goes out and is awaited.
func (w *world) send(c int, r Req, rev bool) {
	x := w.cx(c)
	r.D = Desc{K: r.K, G: x.Gen, M: x.Member, R: rev}
	r.From = uint8(c)
	x.Inflight = bagAdd(x.Inflight, r.D)
	w.pushUp(c, r)
}

func (w *world) inFlight(c int, k uint8) bool {
	for _, e := range w.s.C[c].Inflight {
		if e.D.K == k {
			return true
		}
	}
	return false
}

// sameGeneration is Consumer.sameGeneration for a request described by d.
func (w *world) sameGeneration(c int, d Desc) bool {
	x := &w.s.C[c]
	return d.G == x.Gen && d.M == x.Member
}

// backoffPending: retry.backoff.ms has not passed. Set in this step it has
// not; set before, it may or may not have (when backoffs are slow).
func (w *world) backoffPending(c int) bool {
	if w.backoff&bit(c) != 0 {
		return true
	}
	return w.p.SlowBackoff() && w.choice(chBackoff, 2) == 1
}

// SlowBackoff: a backoff set in one step may still be running in a later
// one. Unbounded models have it; bounded ones may assume backoffs end
// before the consumer's next step.
func (p *Params) SlowBackoff() bool { return p.Unbounded || p.Slow }

// fail is Consumer.fail: a fatal error stops the consumer.
func (w *world) fail(c int) {
	w.failed |= bit(c)
	w.cx(c).Inflight = nil
}

// markCoordinatorUnknown is Consumer.markCoordinatorUnknown: every
// request in flight fails, and nothing it sent is awaited any more.
func (w *world) markCoordinatorUnknown(c int) {
	x := w.cx(c)
	x.Unknown = true
	w.backoff |= bit(c)
	for _, e := range x.Inflight {
		switch e.D.K {
		case KJoin, KSync:
			x.St = Unjoined
			x.Rejoin = true
		case KCommit:
			if e.D.R { // commitFailedRetriably
				x.Rev.InFlight = false
			}
		}
	}
	x.Inflight = nil
	w.orphanAll(c)
}

// orphanAll: no answer to anything consumer c sent is awaited any more.
func (w *world) orphanAll(c int) {
	w.mapUp(c, func(r Req) Req {
		r.D = Desc{}
		return r
	})
	w.mapParked(func(p Parked) Parked {
		if p.K == ParkLive && int(p.To) == c {
			return Parked{K: ParkDead}
		}
		return p
	})
	if len(w.s.Down[c]) > 0 {
		w.setDown(c, nil)
	}
}

// orphanWhere: no answer to consumer c's requests described by a matching d
// is awaited any more (they left its in-flight list).
func (w *world) orphanWhere(c int, match func(Desc) bool) {
	w.mapUp(c, func(r Req) Req {
		if r.D.Live() && match(r.D) {
			r.D = Desc{}
		}
		return r
	})
	var keep []Resp
	drop := false
	for _, r := range w.s.Down[c] {
		if match(r.D) {
			drop = true
			continue
		}
		keep = append(keep, r)
	}
	if drop {
		w.setDown(c, keep)
	}
}

// unrev: the revocation's commit, if still in flight, is no longer its.
func (w *world) unrev(c int) {
	x := w.cx(c)
	var bag []DC
	for _, e := range x.Inflight {
		d := e.D
		d.R = false
		for range e.N {
			bag = bagAdd(bag, d)
		}
	}
	x.Inflight = bag
	w.mapUp(c, func(r Req) Req {
		r.D.R = false
		return r
	})
	var down []Resp
	changed := false
	for _, r := range w.s.Down[c] {
		if r.D.R {
			r.D.R = false
			changed = true
		}
		down = append(down, r)
	}
	if changed {
		w.setDown(c, down)
	}
}

// down: the process stopped (crash, close, fatal error).
func (w *world) down(c int) {
	w.orphanAll(c)
	*w.cx(c) = Consumer{St: Down}
}

// start is consumer.New at a (re)start: it joins at once, then reads the
// metadata the cluster gives it.
func (w *world) start(c int, cfg uint8) {
	*w.cx(c) = Consumer{St: Unjoined, Cfg: cfg, Gen: -1, Rejoin: true, Prepare: true}
	w.poll(c)
	w.metadataUpdate(c)
}

// metadataUpdate is Step with a spec.MetadataUpdate.
func (w *world) metadataUpdate(c int) {
	if !w.alive(c) {
		return
	}
	w.cx(c).Meta = w.s.Topics
	w.poll(c)
}

// poll is Consumer.poll.
func (w *world) poll(c int) {
	x := &w.s.C[c]
	if !w.alive(c) || x.Stalled || x.Unknown {
		return
	}
	w.continueRevocation(c)
	x = &w.s.C[c]
	if w.cfg(c).AutoCommit && x.St == Settled && !x.Rev.On && !w.acDone && w.choice(chAutoCommit, 2) == 1 {
		w.acDone = true // the timer restarts whether or not a commit goes out
		if !w.inFlight(c, KCommit) {
			w.commitPositions(c, x.Owned, false, false)
		}
	}
	w.maybeFetchPositions(c)
	x = &w.s.C[c]
	if x.Leader && x.HasSnap && metadataChanged(x) {
		w.cx(c).Rejoin = true
	}
	if w.s.C[c].Rejoin {
		w.ensureActiveGroup(c)
	}
}

// metadataChanged is Consumer.metadataChanged.
func metadataChanged(x *Consumer) bool {
	for t, n := range x.Snap {
		if n == -2 {
			continue
		}
		if cur := x.Meta[t]; (cur >= 0 && cur != n) || (cur < 0 && n >= 0) {
			return true
		}
	}
	return false
}

// ensureActiveGroup is Consumer.ensureActiveGroup.
func (w *world) ensureActiveGroup(c int) {
	x := &w.s.C[c]
	if w.inFlight(c, KJoin) || w.inFlight(c, KSync) || x.Rev.On || w.backoffPending(c) {
		return
	}
	if x.Prepare {
		if w.onJoinPrepare(c) {
			return
		}
		w.cx(c).Prepare = false
	}
	w.sendJoin(c)
}

// sendJoin is Consumer.sendJoin.
func (w *world) sendJoin(c int) {
	cfg := w.cfg(c)
	x := w.cx(c)
	r := Req{K: KJoin, Member: x.Member, Inst: cfg.Inst, Names: cfg.Assignors,
		Meta: Meta{Topics: cfg.Topics, Owned: x.Owned, Gen: x.Gen}, SessOK: cfg.SessionOK}
	x.St = Joining
	w.send(c, r, false)
}

// onJoinPrepare is Consumer.onJoinPrepare: it reports whether it waits for
// a commit.
func (w *world) onJoinPrepare(c int) bool {
	x := w.cx(c)
	x.Leader, x.HasSnap, x.Snap = false, false, Counts{}
	if x.Gen < 0 || x.Member.None() {
		w.lose(c)
		return false
	}
	revoke := x.Owned
	if cfg := w.cfg(c); cfg.Coop {
		revoke = x.Owned.Filter(func(p TP) bool { return !cfg.Topics.Has(p.Topic()) })
	}
	return w.revoke(c, revoke, true, nil)
}

// revoke is Consumer.revoke.
func (w *world) revoke(c int, parts PSet, thenJoin bool, pending PSet) bool {
	cfg := w.cfg(c)
	x := w.cx(c)
	if (cfg.CommitOnRevoke || cfg.AutoCommit) && x.Gen >= 0 && len(knownPositions(x, parts)) > 0 {
		w.commitPositions(c, parts, true, false)
		w.cx(c).Rev = Revoking{On: true, Parts: parts, InFlight: true, ThenJoin: thenJoin, Pending: pending}
		w.revNew = true
		return true
	}
	w.release(c, parts)
	if !thenJoin {
		w.finishAssignment(c, pending)
	}
	return false
}

// continueRevocation is Consumer.continueRevocation.
func (w *world) continueRevocation(c int) {
	r := w.s.C[c].Rev
	switch {
	case !r.On:
	case !w.revNew && w.timeout(chRevDeadline, false): // its deadline passed
		w.revokeDone(c)
	case !r.InFlight && !w.backoffPending(c):
		sent := false
		if w.s.C[c].St == Settled {
			sent = w.commitPositions(c, r.Parts, true, false)
			w.cx(c).Rev.InFlight = sent
		}
		if !sent {
			w.revokeDone(c)
		}
	}
}

// timeout is a deadline of kind k: whether it has passed. One that passes
// without a fault forcing it spends the Timeouts budget.
func (w *world) timeout(k int, free bool) bool {
	if w.choice(k, 2) == 0 {
		return false
	}
	w.spendTimeout(free)
	return true
}

// revokeDone is Consumer.revokeDone.
func (w *world) revokeDone(c int) {
	r := w.s.C[c].Rev
	w.cx(c).Rev = Revoking{}
	w.unrev(c)
	w.release(c, r.Parts)
	if r.ThenJoin {
		w.cx(c).Prepare = false
		w.ensureActiveGroup(c)
		return
	}
	w.finishAssignment(c, r.Pending)
}

// lose is Consumer.lose.
func (w *world) lose(c int) { w.release(c, w.s.C[c].Owned) }

// release is Consumer.release.
func (w *world) release(c int, parts PSet) {
	if len(parts) == 0 {
		return
	}
	x := w.cx(c)
	x.Owned = x.Owned.Minus(parts)
	x.Pos = x.Pos.Without(parts)
}

func knownPositions(x *Consumer, parts PSet) Offs {
	var out Offs
	for _, p := range parts {
		if o, ok := x.Pos.Get(p); ok {
			out = append(out, Off{p, o})
		}
	}
	return out
}

// commitPositions is Consumer.commitPositions: it reports whether a commit
// went out.
func (w *world) commitPositions(c int, parts PSet, rev, big bool) bool {
	x := &w.s.C[c]
	offs := knownPositions(x, parts)
	if len(offs) == 0 {
		return false
	}
	w.send(c, Req{K: KCommit, Member: x.Member, Inst: w.cfg(c).Inst, Gen: x.Gen, Offs: offs, Big: big}, rev)
	return true
}

// maybeFetchPositions is Consumer.maybeFetchPositions.
func (w *world) maybeFetchPositions(c int) {
	x := w.cx(c)
	stale := func(d Desc) bool { return d.K == KFetch && (d.G != x.Gen || d.M != x.Member) }
	var bag []DC
	dropped := false
	for _, e := range x.Inflight {
		if stale(e.D) {
			dropped = true
			continue
		}
		bag = append(bag, e)
	}
	if dropped {
		x.Inflight = bag
		w.orphanWhere(c, stale)
	}
	if x.Unknown || w.inFlight(c, KFetch) {
		return
	}
	missing := x.Owned.Filter(func(p TP) bool { _, ok := x.Pos.Get(p); return !ok })
	if len(missing) > 0 {
		w.send(c, Req{K: KFetch, Parts: missing}, false)
	}
}

// heartbeating is Consumer.heartbeating.
func (w *world) heartbeating(c int) bool {
	x := &w.s.C[c]
	return w.alive(c) && !x.Unknown && (x.St == Syncing || x.St == Settled)
}

// tick is Consumer.tick followed by poll, and by the metadata update a
// refresh asks for.
func (w *world) tick(c int) {
	if len(w.s.C[c].Inflight) > 0 && w.timeout(chExpire, w.orphaned(c)) { // expireRequests
		w.markCoordinatorUnknown(c)
	}
	if w.s.C[c].Unknown && !w.backoffPending(c) {
		w.cx(c).Unknown = false // FindCoordinator answered
	}
	w.heartbeatThread(c)
	// metadata.max.age.ms passed (a refresh that changes nothing is a second
	// poll, which changes nothing either)
	refresh := w.s.C[c].Meta != w.s.Topics && w.choice(chRefresh, 2) == 1
	w.poll(c)
	if refresh {
		w.metadataUpdate(c)
	}
}

// heartbeatThread is Consumer.heartbeatThread: one of its branches, or
// none, is due.
func (w *world) heartbeatThread(c int) {
	if !w.heartbeating(c) {
		return
	}
	x := &w.s.C[c]
	switch w.choice(chHeartbeat, 4) {
	case 1: // no heartbeat answered for a session
		w.spendTimeout(false)
		w.markCoordinatorUnknown(c)
	case 2: // max.poll.interval.ms passed while stalled
		w.guard(x.Stalled)
		w.pollTimeoutExpired(c)
	case 3:
		w.guard(w.p.Unbounded || w.p.Heartbeats == 0 || w.heartbeatsInFlight(c) < w.p.Heartbeats)
		w.send(c, Req{K: KHeartbeat, Member: x.Member, Inst: w.cfg(c).Inst, Gen: x.Gen}, false)
	}
}

func (w *world) heartbeatsInFlight(c int) int {
	n := 0
	for _, e := range w.s.C[c].Inflight {
		if e.D.K == KHeartbeat {
			n += int(e.N)
		}
	}
	return n
}

// pollTimeoutExpired is Consumer.pollTimeoutExpired.
func (w *world) pollTimeoutExpired(c int) {
	w.sendLeave(c)
	w.resetGeneration(c, true)
}

// sendLeave is Consumer.sendLeave.
func (w *world) sendLeave(c int) {
	x := &w.s.C[c]
	if w.cfg(c).Inst == 0 && !x.Member.None() && x.St != Unjoined && !x.Unknown {
		w.send(c, Req{K: KLeave, Member: x.Member}, false)
	}
}

// resetGeneration is Consumer.resetGeneration.
func (w *world) resetGeneration(c int, memberToo bool) {
	x := w.cx(c)
	x.Gen = -1
	if memberToo {
		x.Member = ID{}
	}
	x.St, x.Rejoin, x.Prepare = Unjoined, true, true
	x.Leader, x.HasSnap, x.Snap = false, false, Counts{}
}

// close is Consumer.close.
func (w *world) close(c int) {
	cfg := w.cfg(c)
	x := w.cx(c)
	settled := x.Gen >= 0 && !x.Member.None() && x.St == Settled
	if settled && (cfg.AutoCommit || cfg.CommitOnRevoke) && len(knownPositions(x, x.Owned)) > 0 {
		x.Unknown = false
		w.commitPositions(c, x.Owned, false, false)
	}
	if settled {
		w.release(c, w.s.C[c].Owned)
	} else {
		w.lose(c)
	}
	w.sendLeave(c)
	w.down(c)
}

// consume is Consumer.consume: n records of every owned partition whose
// position is known (or of one).
func (w *world) consume(c int, h ConsumeHint) {
	x := w.cx(c)
	for _, p := range x.Owned {
		pos, ok := x.Pos.Get(p)
		if !ok || (h.One && p != h.Part) {
			continue
		}
		x.Pos = x.Pos.Set(p, pos+h.N)
		end, _ := w.s.Ghost.Processed.Get(p)
		if pos > end {
			w.s.Ghost.Bad |= BadNoLoss
		}
		if pos+h.N > end {
			w.s.Ghost.Processed = w.s.Ghost.Processed.Set(p, pos+h.N)
		}
	}
}

// commitSync is Consumer.commitSync: refused outside a stable generation.
func (w *world) commitSync(c int, big bool) {
	if x := &w.s.C[c]; x.St == Settled {
		w.commitPositions(c, x.Owned, false, big)
	}
}

// The answers.

// deliverDown hands consumer c its oldest awaited answer (Consumer.deliver),
// then polls.
func (w *world) deliverDown(c int) {
	r := w.s.Down[c][0]
	w.setDown(c, w.s.Down[c][1:])
	x := w.cx(c)
	bag, ok := bagRemove(x.Inflight, r.D)
	if !ok {
		panic("model: an awaited answer without its request in flight")
	}
	x.Inflight = bag
	switch r.K {
	case KJoin:
		w.onJoinResponse(c, r)
	case KSync:
		w.onSyncResponse(c, r)
	case KHeartbeat:
		w.onHeartbeatResponse(c, r)
	case KCommit:
		w.onCommitResponse(c, r)
	case KFetch:
		w.onFetchResponse(c, r)
	}
	w.poll(c)
}

// onJoinResponse is Consumer.onJoinResponse.
func (w *world) onJoinResponse(c int, r Resp) {
	x := w.cx(c)
	switch r.Code {
	case None:
		w.joined(c, r)
	case MemberIDRequired:
		x.Member, x.Gen, x.St = r.Member, -1, Unjoined
	case UnknownMemberID:
		if w.sameGeneration(c, r.D) {
			w.resetGeneration(c, true)
		}
		x.St, x.Rejoin = Unjoined, true
	case RebalanceInProgress:
		x.St = Unjoined
	case NotCoordinator:
		x.St = Unjoined
		w.markCoordinatorUnknown(c)
	default:
		w.fail(c)
	}
}

// joined is Consumer.joined.
func (w *world) joined(c int, r Resp) {
	x := w.cx(c)
	if x.St != Joining {
		x.Rejoin = true
		w.backoff |= bit(c)
		return
	}
	cfg := w.cfg(c)
	if !containsU8(cfg.Assignors, r.Proto) {
		w.fail(c)
		return
	}
	x.Member, x.Gen, x.Proto = r.Member, r.Gen, r.Proto
	x.Leader = r.Leader == r.Member
	x.St = Syncing
	w.sendSync(c, r)
}

// sendSync is Consumer.sendSync: the leader computes the plan first.
func (w *world) sendSync(c int, r Resp) {
	x := w.cx(c)
	req := Req{K: KSync, Gen: x.Gen, Member: x.Member, Inst: w.cfg(c).Inst, Proto: x.Proto}
	if x.Leader {
		w.takeSnapshot(c, r.Members)
		if !r.Skip {
			req.Plan = w.choosePlan(c, r.Members)
		}
	}
	w.send(c, req, false)
}

// takeSnapshot is Consumer.takeSnapshot.
func (w *world) takeSnapshot(c int, members []JMember) {
	x := w.cx(c)
	x.HasSnap = true
	for t := range x.Snap {
		x.Snap[t] = -2
	}
	for _, m := range members {
		for t := range MaxTopics {
			if m.Meta.Topics.Has(t) {
				x.Snap[t] = x.Meta[t] // -1 when absent
			}
		}
	}
}

// onSyncResponse is Consumer.onSyncResponse.
func (w *world) onSyncResponse(c int, r Resp) {
	x := w.cx(c)
	switch r.Code {
	case None:
		if x.St != Syncing {
			x.Rejoin = true
			return
		}
		if r.Proto != 0 && r.Proto != x.Proto {
			w.fail(c)
			return
		}
		x.St, x.Rejoin, x.Prepare = Settled, false, true
		w.onJoinComplete(c, r.Assign)
	case RebalanceInProgress:
		x.St = Unjoined
	case UnknownMemberID, IllegalGeneration:
		if w.sameGeneration(c, r.D) {
			w.resetGeneration(c, r.Code == UnknownMemberID)
		}
		x.St, x.Rejoin = Unjoined, true
	case NotCoordinator:
		x.St = Unjoined
		w.markCoordinatorUnknown(c)
	default:
		w.fail(c)
	}
}

// onJoinComplete is Consumer.onJoinComplete: cooperative consumers revoke
// what they own and were not given (rule 4), then rejoin.
func (w *world) onJoinComplete(c int, assigned PSet) {
	cfg := w.cfg(c)
	x := w.cx(c)
	for _, p := range assigned {
		if !cfg.Topics.Has(p.Topic()) {
			x.Rejoin = true
			return
		}
	}
	w.acDone = true // the auto-commit timer restarts
	if cfg.Coop {
		if revoked := x.Owned.Minus(assigned); len(revoked) > 0 {
			x.Rejoin = true
			w.revoke(c, revoked, false, assigned)
			return
		}
	}
	w.finishAssignment(c, assigned)
}

// finishAssignment is Consumer.finishAssignment.
func (w *world) finishAssignment(c int, assigned PSet) {
	x := w.cx(c)
	x.Owned = x.Owned.Union(assigned)
	w.maybeFetchPositions(c)
}

// onHeartbeatResponse is Consumer.onHeartbeatResponse.
func (w *world) onHeartbeatResponse(c int, r Resp) {
	stale := !w.sameGeneration(c, r.D)
	if stale && (r.Code == IllegalGeneration || r.Code == UnknownMemberID || r.Code == FencedInstanceID) {
		return
	}
	switch r.Code {
	case RebalanceInProgress:
		if x := w.cx(c); x.St == Settled {
			x.Rejoin = true
		}
	case IllegalGeneration:
		w.resetGeneration(c, false)
	case UnknownMemberID:
		w.resetGeneration(c, true)
	case FencedInstanceID:
		w.fail(c)
	}
}

// onCommitResponse is Consumer.onCommitResponse (the coordinator answers
// commits at once, so never NOT_COORDINATOR).
func (w *world) onCommitResponse(c int, r Resp) {
	done := w.s.C[c].Rev.On && r.D.R
	switch r.Code {
	case IllegalGeneration, UnknownMemberID:
		if !w.sameGeneration(c, r.D) && w.s.C[c].St == Joining {
			break // the rejoin already under way settles it
		}
		w.resetGeneration(c, r.Code == UnknownMemberID)
	case RebalanceInProgress:
		w.cx(c).Rejoin = true
	case FencedInstanceID:
		if w.sameGeneration(c, r.D) {
			w.fail(c)
		}
	}
	if done {
		w.revokeDone(c)
	}
}

// onFetchResponse is Consumer.onFetchResponse: positions start at the
// committed offset, or 0.
func (w *world) onFetchResponse(c int, r Resp) {
	if !w.sameGeneration(c, r.D) {
		return
	}
	x := w.cx(c)
	for _, o := range r.Offs {
		if _, known := x.Pos.Get(o.P); known || !x.Owned.Has(o.P) {
			continue
		}
		x.Pos = x.Pos.Set(o.P, max(o.O, 0))
	}
}

// orphaned: some request consumer c awaits will never be answered (the
// network lost it or its answer), so its request timeout is forced.
func (w *world) orphaned(c int) bool {
	for _, e := range w.s.C[c].Inflight {
		n := 0
		for _, l := range w.s.Up[c] {
			for _, r := range l {
				if r.D == e.D {
					n++
				}
			}
		}
		for _, m := range w.s.G.Members {
			for _, p := range []Parked{m.Join, m.Sync} {
				if p.K == ParkLive && int(p.To) == c && p.D == e.D {
					n++
				}
			}
		}
		for _, r := range w.s.Down[c] {
			if r.D == e.D {
				n++
			}
		}
		if n < int(e.N) {
			return true
		}
	}
	return false
}

func containsU8(s []uint8, v uint8) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
