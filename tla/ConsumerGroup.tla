---------------------------- MODULE ConsumerGroup ----------------------------
(***************************************************************************)
(* KIP-848 consumer groups (the ConsumerGroupHeartbeat protocol) as kgroup *)
(* implements it: the coordinator of impl/coordinator/cg_*.go (Kafka 4.0's *)
(* GroupMetadataManager, ConsumerGroup, CurrentAssignmentBuilder) and the  *)
(* consumer of impl/asyncconsumer (Kafka's AsyncKafkaConsumer with its     *)
(* ConsumerMembershipManager and heartbeat manager), over per-link FIFO    *)
(* channels that may lose messages.                                        *)
(*                                                                         *)
(* Abstraction. One group, one topic of NumPartitions partitions, every    *)
(* consumer subscribed to it, all dynamic (no group.instance.id: static    *)
(* membership, epoch -2, is left out). Time is not modelled: the heartbeat *)
(* interval, the request timeout, the session and rebalance timers are     *)
(* nondeterministic steps. The request timeout fires only for a heartbeat  *)
(* that can no longer be answered (it or its answer was lost). A session   *)
(* or rebalance timeout fences a member (both write consumerGroupFence-    *)
(* Member's records): free when nothing keeps the member alive (Forced),   *)
(* else spent from Expiries. The server assignor is Kafka's server-side    *)
(* range (assignors.ServerRange): members sorted by member id, each a      *)
(* contiguous range, the first P mod n one partition more; a fixed         *)
(* function of the sorted member set. Member ids are <<consumer, n>>: the  *)
(* coordinator's n-th id for that consumer (kgroup's "<client.id>-<k>";    *)
(* the order is the same). Offsets, commits and position fetches are left  *)
(* out: with no positions a reconciliation's commit has nothing to send,   *)
(* so the consumer revokes and assigns in the step that brings the new     *)
(* target, as asyncconsumer does then. FindCoordinator, NOT_COORDINATOR,   *)
(* coordinator failover, metadata changes, stalls (the poll timeout,       *)
(* STALE) and fatal errors are left out. A crashed or closed consumer does *)
(* not restart. Perturbations bounds crashes and closes, Drops the         *)
(* messages lost.                                                          *)
(*                                                                         *)
(* Every operator names the Go function it mirrors; the Go twin            *)
(* (tla/cgmodel) has functions of the same names.                          *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    NumConsumers,   \* consumers 1..NumConsumers
    NumPartitions,  \* partitions 0..NumPartitions-1 of the one topic
    Perturbations,  \* crashes and closes, in all
    AllowCrash,     \* a consumer's process may stop (no leave sent)
    AllowClose,     \* a consumer may close (leave with epoch -1)
    Drops,          \* messages the network may lose
    Expiries,       \* session timeouts of members something still keeps alive
    MaxEpoch        \* StateConstraint: no state past this group epoch (0: no bound)

VARIABLES
    grp,    \* the coordinator's consumer group
    cons,   \* [Consumers -> consumer record]
    up,     \* [Consumers -> Seq(request)]: each consumer's link to the coordinator
    down,   \* [Consumers -> Seq(answer)]: the coordinator's link to each consumer
    spent   \* the budgets spent

vars == <<grp, cons, up, down, spent>>

Consumers == 1..NumConsumers
Parts == 0..(NumPartitions - 1)
Min(a, b) == IF a <= b THEN a ELSE b

-----------------------------------------------------------------------------
(* Values *)

NoId == <<0, 0>>
\* memberAssignment with its target (cmember and cgroup.target)
NewMember == [st |-> "STABLE", ep |-> 0, prev |-> 0, asg |-> {}, rev |-> {}, tgt |-> {}]
\* An asyncconsumer.Consumer. st: UNSUBSCRIBED (not started), JOINING,
\* ACKNOWLEDGING, STABLE, DOWN (crashed or closed). RECONCILING, FENCED and
\* LEAVING last only within a step here (no stalls, no commits to wait for).
\* sent: HeartbeatState.SentFields: "none" after a failure, "all" once sent;
\* "fields" (the assignment changed since) only within a step.
ConsRec(st) == [st |-> st, mid |-> NoId, ep |-> 0, owned |-> {}, sent |-> "none", inflight |-> FALSE]
\* A ConsumerGroupHeartbeatRequest: epoch, member id, owned partitions
\* (hasOwned: TopicPartitions is not null) and whether it is full.
LeaveReq(mid) == [ep |-> -1, mid |-> mid, owned |-> {}, hasOwned |-> FALSE, full |-> FALSE]
Err(code) == [code |-> code, mid |-> NoId, ep |-> 0, asg |-> {}, hasAsg |-> FALSE]

Live(c) == cons[c].st \notin {"UNSUBSCRIBED", "DOWN"}
LiveIn(cs, c) == cs[c].st \notin {"UNSUBSCRIBED", "DOWN"}

-----------------------------------------------------------------------------
(* The coordinator (impl/coordinator cg_*.go) *)

\* What a member holds: assigned and pending revocation (the partitions
\* cgroup.partitionEpoch maps to its epoch).
HeldBy(ms, id) == ms[id].asg \cup ms[id].rev
\* currentPartitionEpoch(p) # -1
Held(ms, p) == \E id \in DOMAIN ms : p \in HeldBy(ms, id)
PartitionEpoch(ms, p) == IF Held(ms, p) THEN ms[CHOOSE id \in DOMAIN ms : p \in HeldBy(ms, id)].ep ELSE -1

\* Member ids in byID order.
Less(a, b) == a[1] < b[1] \/ (a[1] = b[1] /\ a[2] < b[2])
Rank(ids, id) == Cardinality({j \in ids : Less(j, id)})
\* assignors.ServerRange on one topic: the k-th member of n takes a contiguous range.
RangeShare(n, k) ==
    LET q == NumPartitions \div n
        r == NumPartitions % n
        start == k * q + Min(k, r)
        len == q + (IF k < r THEN 1 ELSE 0)
    IN {p \in Parts : start <= p /\ p < start + len}
\* computeTarget: the new target of every member.
ComputeTarget(ids) == [id \in ids |-> RangeShare(Cardinality(ids), Rank(ids, id))]

\* ownsAny: not reporting what it owns counts as owning them.
OwnsAny(r, S) == ~r.hasOwned \/ r.owned \cap S # {}

\* nextAssignment (CurrentAssignmentBuilder.computeNextAssignment): keep
\* what the target keeps, revoke the rest, add what no other member holds.
NextAssignment(m, e, tEpoch, ms, r) ==
    LET keep == m.asg \cap m.tgt
        revoke == m.asg \ m.tgt
        unreleased == {p \in m.tgt \ keep : Held(ms, p)}
        add == (m.tgt \ keep) \ unreleased
    IN CASE revoke # {} /\ OwnsAny(r, revoke) ->
                [m EXCEPT !.st = "UNREVOKED_PARTITIONS", !.ep = e, !.prev = m.ep, !.asg = keep, !.rev = revoke]
         [] add # {} ->
                [m EXCEPT !.st = IF unreleased # {} THEN "UNRELEASED_PARTITIONS" ELSE "STABLE",
                          !.ep = tEpoch, !.prev = m.ep, !.asg = keep \cup add, !.rev = {}]
         [] unreleased # {} ->
                [m EXCEPT !.st = "UNRELEASED_PARTITIONS", !.ep = tEpoch, !.prev = m.ep, !.asg = keep, !.rev = {}]
         [] OTHER ->
                [m EXCEPT !.st = "STABLE", !.ep = tEpoch, !.prev = m.ep, !.asg = keep, !.rev = {}]

\* reconcile (CurrentAssignmentBuilder.build); ms is the group as stored.
Reconcile(m, tEpoch, ms, r) ==
    CASE m.st = "STABLE" -> IF m.ep = tEpoch THEN m ELSE NextAssignment(m, m.ep, tEpoch, ms, r)
      [] m.st = "UNREVOKED_PARTITIONS" -> IF OwnsAny(r, m.rev) THEN m ELSE NextAssignment(m, m.ep + 1, tEpoch, ms, r)
      [] m.st = "UNRELEASED_PARTITIONS" -> NextAssignment(m, m.ep, tEpoch, ms, r)

\* checkEpoch: ahead is fenced; behind only if it is the previous epoch and
\* the member owns no more than it is assigned (its last answer was lost).
EpochFenced(m, r) ==
    \/ r.ep > m.ep
    \/ r.ep < m.ep /\ (r.ep # m.prev \/ ~r.hasOwned \/ ~(r.owned \subseteq m.asg))

\* Coordinator.respond: the answer goes to a consumer still running.
Respond(w, c, a) == IF w.cons[c].st = "DOWN" THEN w ELSE [w EXCEPT !.down[c] = Append(@, a)]

\* cgJoinOrBeat: a heartbeat of epoch 0 or more from consumer c.
JoinOrBeat(w, c, r) ==
    LET g == w.grp
        id == IF r.mid = NoId THEN <<c, g.nextId[c] + 1>> ELSE r.mid   \* newMemberID
        g0 == IF r.mid = NoId THEN [g EXCEPT !.nextId[c] = @ + 1] ELSE g
        known == id \in DOMAIN g.members
    IN IF ~known /\ r.ep # 0 THEN Respond([w EXCEPT !.grp = g0], c, Err("UNKNOWN_MEMBER_ID"))
       ELSE IF known /\ EpochFenced(g.members[id], r) THEN Respond([w EXCEPT !.grp = g0], c, Err("FENCED_MEMBER_EPOCH"))
       ELSE LET old == IF known THEN g.members[id] ELSE NewMember
                epoch == IF known THEN g.epoch ELSE g.epoch + 1   \* a new subscription bumps the epoch
                ids == DOMAIN g.members \cup {id}
                ms0 == [x \in ids |-> IF x = id THEN old ELSE g.members[x]]
                fresh == epoch > g.aEpoch
                tEpoch == IF fresh THEN epoch ELSE g.aEpoch
                ms1 == IF fresh THEN [x \in ids |-> [ms0[x] EXCEPT !.tgt = ComputeTarget(ids)[x]]] ELSE ms0
                m1 == ms1[id]
                m2 == IF m1.st = "STABLE" /\ m1.ep = tEpoch THEN m1 ELSE Reconcile(m1, tEpoch, g.members, r)
            IN Respond([w EXCEPT !.grp = [g0 EXCEPT !.epoch = epoch, !.aEpoch = tEpoch, !.members = [ms1 EXCEPT ![id] = m2]]],
                       c, [code |-> "NONE", mid |-> id, ep |-> m2.ep, asg |-> m2.asg, hasAsg |-> r.full \/ old.asg # m2.asg])

\* fenceRecords: the member is gone, the group epoch bumps.
Fence(g, id) == [g EXCEPT !.members = [x \in DOMAIN g.members \ {id} |-> g.members[x]], !.epoch = @ + 1]

\* cgLeave (epoch -1): an unknown member, or no member id (INVALID_REQUEST), changes nothing.
LeaveGroup(w, r) == IF r.mid \in DOMAIN w.grp.members THEN [w EXCEPT !.grp = Fence(@, r.mid)] ELSE w

\* cgHeartbeat
Handle(w, c, r) == IF r.ep = -1 THEN LeaveGroup(w, r) ELSE JoinOrBeat(w, c, r)

-----------------------------------------------------------------------------
(* The consumer (impl/asyncconsumer) *)

Beating(x) == x.st \in {"JOINING", "ACKNOWLEDGING", "STABLE"}

\* sendHeartbeat with heartbeatRequest: all fields when joining or after a
\* failure; the owned partitions also when they changed since last sent.
SendHeartbeat(w, c) ==
    LET x == w.cons[c]
        all == x.st = "JOINING"
        r == [ep |-> x.ep, mid |-> x.mid, owned |-> IF all \/ x.sent # "all" THEN x.owned ELSE {},
              hasOwned |-> all \/ x.sent # "all", full |-> all \/ x.sent = "none"]
    IN [w EXCEPT !.up[c] = Append(@, r), !.cons[c].inflight = TRUE, !.cons[c].sent = "all",
                 !.cons[c].st = IF x.st = "ACKNOWLEDGING" THEN "STABLE" ELSE @]   \* onHeartbeatRequestGenerated

\* heartbeatPoll: joining and acknowledging do not wait for the interval.
HeartbeatPoll(w, c, due) ==
    LET x == w.cons[c] IN
    IF Beating(x) /\ ~x.inflight /\ (due \/ x.st \in {"JOINING", "ACKNOWLEDGING"}) THEN SendHeartbeat(w, c) ELSE w

\* assignmentReceived, then reconcile and finishReconciliation in the same
\* poll: a new target (always when joining: its target is none) is
\* reconciled at once: revoke owned \ target, add target \ owned, ACKNOWLEDGING.
AssignmentReceived(w, c, parts) ==
    LET x == w.cons[c] IN
    IF x.st = "JOINING" \/ parts # x.owned
    THEN [w EXCEPT !.cons[c].owned = parts, !.cons[c].st = "ACKNOWLEDGING",
                   !.cons[c].sent = IF @ = "all" THEN "fields" ELSE @]
    ELSE [w EXCEPT !.cons[c].st = "STABLE"]

\* onHeartbeatResponse: success takes member id, epoch and assignment;
\* FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID fence the member
\* (transitionToFenced): its partitions are lost (runLostCallback) and it
\* rejoins at epoch 0 with the same member id (transitionToJoining).
OnHeartbeatResponse(w, c, a) ==
    IF a.code = "NONE" THEN
        LET w1 == [w EXCEPT !.cons[c].mid = a.mid, !.cons[c].ep = a.ep] IN
        IF a.hasAsg THEN AssignmentReceived(w1, c, a.asg) ELSE w1
    ELSE [w EXCEPT !.cons[c].sent = "none", !.cons[c].st = "JOINING", !.cons[c].ep = 0, !.cons[c].owned = {}]

\* Consumer.deliver then poll.
Deliver(w, c) ==
    LET a == Head(w.down[c])
        w1 == [w EXCEPT !.down[c] = Tail(@), !.cons[c].inflight = FALSE]
    IN HeartbeatPoll(OnHeartbeatResponse(w1, c, a), c, FALSE)

\* A heartbeat that can no longer be answered: neither it nor its answer is
\* on the links (at most one is in flight: heartbeatState.inFlight).
Orphaned(c) == cons[c].inflight /\ down[c] = <<>> /\ ~\E j \in DOMAIN up[c] : up[c][j].ep >= 0

\* expireRequests: onHeartbeatFailure (all fields next time), then poll.
ExpireRequest(w, c) == HeartbeatPoll([w EXCEPT !.cons[c].inflight = FALSE, !.cons[c].sent = "none"], c, FALSE)

\* close: revoke everything, send the leave (epoch -1), and stop.
CloseW(w, c) ==
    LET x == w.cons[c] IN
    [w EXCEPT !.up[c] = Append(@, LeaveReq(x.mid)), !.cons[c] = ConsRec("DOWN"), !.down[c] = <<>>]

\* New: transitionToJoining, then poll.
StartW(w, c) == HeartbeatPoll([w EXCEPT !.cons[c] = ConsRec("JOINING")], c, FALSE)

-----------------------------------------------------------------------------
(* Steps *)

World == [grp |-> grp, cons |-> cons, up |-> up, down |-> down, spent |-> spent]
Become(w) == grp' = w.grp /\ cons' = w.cons /\ up' = w.up /\ down' = w.down /\ spent' = w.spent

\* Healthy: a running consumer holds the member id at an epoch > 0, or has a
\* successful answer naming it on its way. Otherwise no heartbeat will keep
\* the member's session alive: its timer is forced.
Healthy(id) ==
    \E c \in Consumers : Live(c) /\ \/ cons[c].mid = id /\ cons[c].ep > 0
                                    \/ \E j \in DOMAIN down[c] : down[c][j].mid = id /\ down[c][j].code = "NONE"
Forced(id) == ~Healthy(id)

Start(c) == cons[c].st = "UNSUBSCRIBED" /\ Become(StartW(World, c))
\* The coordinator takes the oldest request of c's link.
DeliverUp(c) == up[c] # <<>> /\ Become(Handle([World EXCEPT !.up[c] = Tail(@)], c, Head(up[c])))
\* The consumer takes the oldest answer.
DeliverDown(c) == down[c] # <<>> /\ Live(c) /\ Become(Deliver(World, c))
\* The heartbeat interval passed.
HeartbeatDue(c) == Live(c) /\ Beating(cons[c]) /\ ~cons[c].inflight /\ Become(SendHeartbeat(World, c))
\* request.timeout.ms passed for a heartbeat that was lost.
RequestTimeout(c) == Live(c) /\ Orphaned(c) /\ Become(ExpireRequest(World, c))
\* The network loses the oldest message of a link.
DropUp(c) == up[c] # <<>> /\ spent.drops < Drops
             /\ Become([World EXCEPT !.up[c] = Tail(@), !.spent.drops = @ + 1])
DropDown(c) == down[c] # <<>> /\ spent.drops < Drops
               /\ Become([World EXCEPT !.down[c] = Tail(@), !.spent.drops = @ + 1])
Crash(c) == Live(c) /\ AllowCrash /\ spent.perturb < Perturbations
            /\ Become([World EXCEPT !.cons[c] = ConsRec("DOWN"), !.down[c] = <<>>, !.spent.perturb = @ + 1])
Close(c) == Live(c) /\ AllowClose /\ spent.perturb < Perturbations
            /\ Become([CloseW(World, c) EXCEPT !.spent.perturb = @ + 1])
\* expireCGSession / expireCGRebalance
SessionExpire(id) ==
    /\ id \in DOMAIN grp.members
    /\ Forced(id) \/ spent.expiries < Expiries
    /\ Become([World EXCEPT !.grp = Fence(@, id), !.spent.expiries = IF Forced(id) THEN @ ELSE @ + 1])

Init ==
    /\ grp = [epoch |-> 0, aEpoch |-> 0, members |-> [x \in {} |-> NewMember], nextId |-> [c \in Consumers |-> 0]]
    /\ cons = [c \in Consumers |-> ConsRec("UNSUBSCRIBED")]
    /\ up = [c \in Consumers |-> <<>>]
    /\ down = [c \in Consumers |-> <<>>]
    /\ spent = [drops |-> 0, perturb |-> 0, expiries |-> 0]

Next ==
    \/ \E c \in Consumers : \/ Start(c) \/ DeliverUp(c) \/ DeliverDown(c) \/ HeartbeatDue(c) \/ RequestTimeout(c)
                            \/ DropUp(c) \/ DropDown(c) \/ Crash(c) \/ Close(c)
    \/ \E id \in DOMAIN grp.members : SessionExpire(id)

Spec == Init /\ [][Next]_vars

StateConstraint == MaxEpoch = 0 \/ grp.epoch <= MaxEpoch

-----------------------------------------------------------------------------
(* The rules, named after spec's predicates (spec/cg_rules.go). *)

Ms == grp.members

\* spec.CheckConsumerGroup, ownership: no partition held by two members,
\* nor in two members' targets; none both assigned and pending revocation.
CheckConsumerGroupOwnership ==
    /\ \A a, b \in DOMAIN Ms : a # b => HeldBy(Ms, a) \cap HeldBy(Ms, b) = {} /\ Ms[a].tgt \cap Ms[b].tgt = {}
    /\ \A a \in DOMAIN Ms : Ms[a].asg \cap Ms[a].rev = {}

\* spec.CheckConsumerGroup, epochs: member epoch <= target epoch <= group epoch.
CheckConsumerGroupEpochs ==
    /\ grp.aEpoch <= grp.epoch
    /\ \A a \in DOMAIN Ms : Ms[a].ep <= grp.aEpoch

\* spec.CheckExclusiveOwnership on the consumers: no partition is owned by
\* two running consumers whose member ids the coordinator counts.
Counted(c) == Live(c) /\ cons[c].mid \in DOMAIN Ms
CheckExclusiveOwnership ==
    \A a, b \in Consumers : a # b /\ Counted(a) /\ Counted(b) => cons[a].owned \cap cons[b].owned = {}

\* spec.CheckConsumerGroupStep, epochs: the group's, the target's and each
\* member's epoch (while it keeps its id) never go back.
CheckEpochsMonotonic ==
    [][/\ grp'.epoch >= grp.epoch /\ grp'.aEpoch >= grp.aEpoch
       /\ \A a \in DOMAIN Ms \cap DOMAIN grp'.members : grp'.members[a].ep >= Ms[a].ep]_vars

\* spec.CheckConsumerGroupStep, handoff (checkHandoff): a partition reaches
\* a member only from its target and only when no other member holds it; a
\* member is asked to revoke only what it held and its target no longer has.
CheckHandoff ==
    [][LET N == grp'.members IN
       \A a \in DOMAIN N :
          LET was == a \in DOMAIN Ms IN
          /\ \A p \in HeldBy(N, a) :
                \/ was /\ p \in HeldBy(Ms, a)
                \/ /\ p \in N[a].tgt
                   /\ ~\E o \in DOMAIN Ms : o # a /\ p \in HeldBy(Ms, o) /\ o \in DOMAIN N /\ p \in HeldBy(N, o)
          /\ \A p \in N[a].rev : (was /\ p \in Ms[a].rev) \/ (was /\ p \in Ms[a].asg /\ p \notin N[a].tgt)]_vars

\* spec.CheckConsumerReleases: the coordinator takes a partition from a
\* member that stays only once no running consumer with its id owns it.
CheckConsumerReleases ==
    [][\A a \in DOMAIN Ms \cap DOMAIN grp'.members :
          \A p \in HeldBy(Ms, a) \ HeldBy(grp'.members, a) :
             ~\E c \in Consumers : LiveIn(cons', c) /\ cons'[c].mid = a /\ p \in cons'[c].owned]_vars

\* Converged (spec.CheckConverged): every consumer that runs is STABLE at
\* the group epoch owning what its member is assigned; the members are
\* theirs, each STABLE at the group epoch; the target is current and every
\* partition assigned (no member at all once every consumer stopped).
Converged ==
    LET live == {c \in Consumers : Live(c)} IN
    /\ \A c \in Consumers : cons[c].st # "UNSUBSCRIBED"
    /\ \A c \in live : /\ cons[c].st = "STABLE" /\ cons[c].mid \in DOMAIN Ms
                       /\ cons[c].ep = grp.epoch /\ cons[c].owned = Ms[cons[c].mid].asg
    /\ DOMAIN Ms = {cons[c].mid : c \in live}
    /\ grp.aEpoch = grp.epoch
    /\ \A a \in DOMAIN Ms : Ms[a].st = "STABLE" /\ Ms[a].ep = grp.epoch
    /\ live # {} => UNION {Ms[a].asg : a \in DOMAIN Ms} = Parts

\* Weak fairness on the protocol's own steps and the forced timers.
Fairness ==
    /\ \A c \in Consumers : /\ WF_vars(Start(c)) /\ WF_vars(DeliverUp(c)) /\ WF_vars(DeliverDown(c))
                            /\ WF_vars(HeartbeatDue(c)) /\ WF_vars(RequestTimeout(c))
    /\ WF_vars(\E id \in DOMAIN grp.members : Forced(id) /\ SessionExpire(id))
LiveSpec == Spec /\ Fairness
Convergence == <>[]Converged
=============================================================================
