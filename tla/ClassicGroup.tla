---------------------------- MODULE ClassicGroup ----------------------------
(***************************************************************************)
(* Kafka's classic consumer-group protocol as kgroup implements it         *)
(* (impl/coordinator, impl/consumer, impl/cluster; Kafka 4.0's             *)
(* GroupMetadataManager and ConsumerCoordinator): one group coordinator,   *)
(* consumers (eager and cooperative, dynamic and static), committed        *)
(* offsets fenced by generation, and per-link FIFO channels that may lose  *)
(* messages.                                                               *)
(*                                                                         *)
(* Abstraction. Time is not modelled: every timer (session, rebalance,     *)
(* sync, poll, request, heartbeat, auto-commit, metadata age, retry        *)
(* backoff) is a nondeterministic choice, available whenever the           *)
(* implementation could fire it. Within one step time stands still, so     *)
(* each kind of timer is chosen once per step (the record Choice below).   *)
(* Correlation ids become descriptors: a request or answer carries the     *)
(* descriptor of the request its sender still awaits, or NoDesc if nobody  *)
(* awaits it; answers nobody awaits are not kept. The assignor is any      *)
(* valid plan (ValidPlan). Assignor user data, racks, metadata strings and *)
(* timeout values are not modelled. Crashes, closes, restarts, freezes,    *)
(* stalls, partitions added, failovers and removals of static members are  *)
(* perturbations bounded by Perturbations; drops by Drops; timers that     *)
(* fire without a fault forcing them (a healthy member's session, a        *)
(* request still answerable) by Timeouts.                                  *)
(*                                                                         *)
(* With every bound infinite and SlowBackoff TRUE this is the protocol     *)
(* itself; its Go twin (tla/model) computes the same next-state relation,  *)
(* and tla/refine checks that every step of the real implementation is a   *)
(* step of it. Each operator names the Go function it mirrors; the twin's  *)
(* functions carry the same names.                                         *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Consumers,               \* consumer names (each is its client.id)
    Topics,                  \* topic names
    InitTopics,              \* the topics that exist at the start ...
    InitPartitions,          \* ... each with this many partitions
    CoopConsumers,           \* consumers whose only assignor is cooperative-sticky (KIP-429)
    EagerAssignor,           \* the assignor of the others: "range", "roundrobin", "sticky", ...
    StaticConsumers,         \* consumers with group.instance.id "i-<name>" (KIP-345)
    AutoCommitConsumers,     \* enable.auto.commit
    CommitOnRevokeConsumers, \* the rebalance listener commits what it gives up
    MaxSize,                 \* group.max.size (0: no limit)
    Perturbations, Drops, Timeouts, Consumes, Commits,
    Heartbeats,              \* heartbeats a consumer may have in flight (0: no bound)
    AddPartitionsUpTo,       \* a topic may grow one partition at a time to this many
    AllowRestart, AllowFreeze, AllowStall, AllowFailover, AllowRemoveStatic,
    SlowBackoff,             \* a retry backoff may outlast a step
    MaxGeneration,           \* StateConstraint: explore no state past this generation (0: no bound)
    MaxMemberIds             \* StateConstraint: nor one where more member ids were handed out (0: no bound)

VARIABLES
    topics,  \* [Topics -> Int]: partition counts, -1 for a topic that does not exist
    grp,     \* the coordinator's group
    cons,    \* [Consumers -> consumer record]
    up,      \* [Consumers -> Seq(Seq(request))]: links to the coordinator, oldest process first
    down,    \* [Consumers -> Seq(answer)]: awaited answers to each consumer's current process
    admin,   \* Seq(instance id): administrators' LeaveGroups in flight
    ghost    \* history for the rules, and the budgets spent

vars == <<topics, grp, cons, up, down, admin, ghost>>

-----------------------------------------------------------------------------
(* Values *)

Assignors == <<"cooperative-sticky", "range", "roundrobin", "sticky">>  \* in the order of their names
Rank(a) == CHOOSE i \in 1..Len(Assignors) : Assignors[i] = a
HasUserData(names) == \E i \in 1..Len(names) : names[i] \in {"sticky", "cooperative-sticky"}

InSeq(s, x) == \E i \in 1..Len(s) : s[i] = x
RemoveAt(s, i) == SubSeq(s, 1, i - 1) \o SubSeq(s, i + 1, Len(s))
Max(a, b) == IF a >= b THEN a ELSE b
Restrict(f, S) == [p \in DOMAIN f \cap S |-> f[p]]

NoId == <<"", 0>>                                   \* member ids are <<prefix, n>>
NoDesc == [k |-> "none", g |-> 0, m |-> NoId, r |-> FALSE]
NoPark == [k |-> "none", to |-> "", d |-> NoDesc]
DeadPark == [k |-> "dead", to |-> "", d |-> NoDesc]
EmptyMeta == [topics |-> {}, owned |-> {}, gen |-> 0]
NoRev == [on |-> FALSE, parts |-> {}, inflight |-> FALSE, thenJoin |-> FALSE, pending |-> {}]
ZeroCounts == [t \in Topics |-> 0]
NoRec == [has |-> FALSE, gen |-> 0, proto |-> "", leader |-> NoId, members |-> <<>>]
Req0 == [k |-> "none", d |-> NoDesc, from |-> "", member |-> NoId, inst |-> "", gen |-> 0,
         names |-> <<>>, meta |-> EmptyMeta, sessOK |-> FALSE, proto |-> "", plan |-> <<>>,
         offs |-> <<>>, big |-> FALSE, parts |-> {}]
Resp0 == [k |-> "none", d |-> NoDesc, code |-> "NONE", member |-> NoId, gen |-> 0, proto |-> "",
          leader |-> NoId, skip |-> FALSE, members |-> <<>>, assign |-> {}, offs |-> <<>>]
Err(code) == [Resp0 EXCEPT !.code = code]
ConsRec(st) == [st |-> st, cur |-> FALSE, member |-> NoId, gen |-> 0, proto |-> "", leader |-> FALSE,
                rejoin |-> FALSE, prepare |-> FALSE, stalled |-> FALSE, frozen |-> FALSE,
                unknown |-> FALSE, owned |-> {}, pos |-> <<>>, meta |-> ZeroCounts,
                hasSnap |-> FALSE, snap |-> ZeroCounts, rev |-> NoRev, inflight |-> <<>>]
Running == {"unjoined", "joining", "syncing", "stable"}

\* One consumer's configuration (consumer.Config).
Cfg(c) == [topics |-> Topics,
           assignors |-> IF c \in CoopConsumers THEN <<"cooperative-sticky">> ELSE <<EagerAssignor>>,
           coop |-> c \in CoopConsumers,
           inst |-> IF c \in StaticConsumers THEN "i-" \o c ELSE "",
           autoCommit |-> c \in AutoCommitConsumers,
           commitOnRevoke |-> c \in CommitOnRevokeConsumers,
           sessionOK |-> TRUE]

\* Bags (the in-flight requests): functions from descriptors to counts.
BagAdd(b, d) == IF d \in DOMAIN b THEN [b EXCEPT ![d] = @ + 1] ELSE (d :> 1) @@ b
BagRemove(b, d) == IF b[d] = 1 THEN [x \in DOMAIN b \ {d} |-> b[x]] ELSE [b EXCEPT ![d] = @ - 1]
RECURSIVE SumOver(_, _)
SumOver(b, S) == IF S = {} THEN 0 ELSE LET d == CHOOSE x \in S : TRUE IN b[d] + SumOver(b, S \ {d})

(* A step is computed on a world: the variables, plus what the step has   *)
(* done so far (bo: the consumer set a retry backoff; failed: it hit a     *)
(* fatal error; acDone: its auto-commit timer restarted; revNew: it began  *)
(* a revocation; grants: the coordinator's successful answers; ok: no      *)
(* budget was overspent).                                                  *)
World == [topics |-> topics, grp |-> grp, cons |-> cons, up |-> up, down |-> down, admin |-> admin,
          ghost |-> ghost, bo |-> FALSE, failed |-> FALSE, acDone |-> FALSE, revNew |-> FALSE,
          grants |-> <<>>, ok |-> TRUE]

Become(w) == /\ w.ok
             /\ topics' = w.topics /\ grp' = w.grp /\ cons' = w.cons /\ up' = w.up
             /\ down' = w.down /\ admin' = w.admin /\ ghost' = w.ghost

\* Budgets (world.spend): free if a fault forces it, else spent.
Spend(w, field, budget, free) ==
    IF free THEN w
    ELSE [w EXCEPT !.ghost.spent[field] = @ + 1, !.ok = @ /\ w.ghost.spent[field] < budget]
SpendTimeout(w, free) == Spend(w, "timeouts", Timeouts, free)

-----------------------------------------------------------------------------
(* The network (cluster's network, per-link FIFO) *)

\* world.pushUp: onto the current process's link, opened if it has none.
PushUp(w, c, r) ==
    IF w.cons[c].cur /\ Len(w.up[c]) > 0
    THEN [w EXCEPT !.up[c][Len(w.up[c])] = Append(@, r)]
    ELSE [w EXCEPT !.up[c] = Append(@, <<r>>), !.cons[c].cur = TRUE]

\* world.popUp: the oldest request of link i; an emptied link is forgotten.
PopUp(w, c, i) ==
    IF Len(w.up[c][i]) = 1
    THEN [w EXCEPT !.up[c] = RemoveAt(@, i), !.cons[c].cur = IF i = Len(w.up[c]) THEN FALSE ELSE @]
    ELSE [w EXCEPT !.up[c][i] = Tail(@)]

\* Model.Answer: what a consumer reads of an answer; the rest at defaults.
Answer(d, r) ==
    LET base == [Resp0 EXCEPT !.k = d.k, !.d = d, !.code = r.code] IN
    CASE d.k = "join" /\ r.code = "NONE" ->
            [base EXCEPT !.member = r.member, !.gen = r.gen, !.proto = r.proto, !.leader = r.leader,
                         !.skip = r.skip, !.members = r.members]
      [] d.k = "join" /\ r.code = "MEMBER_ID_REQUIRED" -> [base EXCEPT !.member = r.member]
      [] d.k = "sync" /\ r.code = "NONE" -> [base EXCEPT !.assign = r.assign, !.proto = r.proto]
      [] d.k = "fetch" -> [base EXCEPT !.offs = r.offs]
      [] OTHER -> base

ReplyOf(r) == [live |-> r.d.k # "none", to |-> r.from, d |-> r.d]
ReplyOfPark(p) == [live |-> p.k = "live", to |-> p.to, d |-> p.d]
Park(rp) == IF rp.live THEN [k |-> "live", to |-> rp.to, d |-> rp.d] ELSE DeadPark

\* Coordinator.respond: an answer nobody awaits is lost.
Respond(w, rp, r) == IF rp.live THEN [w EXCEPT !.down[rp.to] = Append(@, Answer(rp.d, r))] ELSE w

Grant(w, k, member, inst, gen, assign) ==
    [w EXCEPT !.grants = Append(@, [k |-> k, member |-> member, inst |-> inst, gen |-> gen, assign |-> assign])]

-----------------------------------------------------------------------------
(* The group (impl/coordinator group.go) *)

InitGroup == [exists |-> FALSE, st |-> "Empty", fromEmpty |-> FALSE, gen |-> 0, proto |-> "",
              leader |-> NoId, members |-> <<>>, pending |-> {}, pendingSync |-> {},
              committed |-> <<>>, rec |-> NoRec, maxRecId |-> 0, nextId |-> 0]

MemberIndex(g, id) == IF \E i \in 1..Len(g.members) : g.members[i].id = id
                      THEN CHOOSE i \in 1..Len(g.members) : g.members[i].id = id ELSE 0
IsMember(g, id) == MemberIndex(g, id) # 0
Joined(m) == m.join.k # "none"
NumAwaitingJoin(g) == Cardinality({i \in 1..Len(g.members) : Joined(g.members[i])})
\* group.hasAllMembersJoined
AllJoined(g) == NumAwaitingJoin(g) = Len(g.members) /\ g.pending = {}
\* group.supportedByAll / supportsProtocols
SupportedByAll(g, a) == \A i \in 1..Len(g.members) : InSeq(g.members[i].names, a)
SupportsProtocols(g, names) ==
    IF g.st = "Empty" THEN Len(names) > 0 ELSE \E i \in 1..Len(names) : SupportedByAll(g, names[i])
\* group.selectProtocol: each member votes for its first protocol all support; ties to the first name.
HasVote(g, m) == \E i \in 1..Len(m.names) : SupportedByAll(g, m.names[i])
Vote(g, m) == m.names[CHOOSE i \in 1..Len(m.names) :
                  SupportedByAll(g, m.names[i]) /\ \A j \in 1..(i - 1) : ~SupportedByAll(g, m.names[j])]
Votes(g, a) == Cardinality({i \in 1..Len(g.members) : HasVote(g, g.members[i]) /\ Vote(g, g.members[i]) = a})
SelectProtocol(g) ==
    LET cands == {a \in {Assignors[i] : i \in 1..Len(Assignors)} : Votes(g, a) > 0} IN
    IF cands = {} THEN ""
    ELSE CHOOSE a \in cands : \A b \in cands : Votes(g, b) < Votes(g, a) \/ (Votes(g, b) = Votes(g, a) /\ Rank(a) <= Rank(b))
\* group.static
StaticHolder(g, inst) == IF inst # "" /\ \E i \in 1..Len(g.members) : g.members[i].inst = inst
                         THEN CHOOSE i \in 1..Len(g.members) : g.members[i].inst = inst ELSE 0
\* group.validateMember
ValidateMember(g, id, inst) ==
    IF inst # "" /\ StaticHolder(g, inst) = 0 THEN [i |-> 0, code |-> "UNKNOWN_MEMBER_ID"]
    ELSE IF inst # "" /\ g.members[StaticHolder(g, inst)].id # id THEN [i |-> 0, code |-> "FENCED_INSTANCE_ID"]
    ELSE IF ~IsMember(g, id) THEN [i |-> 0, code |-> "UNKNOWN_MEMBER_ID"]
    ELSE [i |-> MemberIndex(g, id), code |-> "NONE"]
\* member.metadataFor
MetadataFor(m, a) == IF InSeq(m.names, a) THEN m.meta ELSE EmptyMeta
\* group.memberList
MemberList(g) == [i \in 1..Len(g.members) |->
                     [id |-> g.members[i].id, inst |-> g.members[i].inst, meta |-> MetadataFor(g.members[i], g.proto)]]
\* Coordinator.joinResponse: only the leader gets the members.
JoinResponse(g, i) ==
    [Resp0 EXCEPT !.gen = g.gen, !.proto = g.proto, !.leader = g.leader, !.member = g.members[i].id,
                  !.members = IF g.members[i].id = g.leader THEN MemberList(g) ELSE <<>>]

\* Coordinator.respondJoin: a successful JoinGroup answer (a grant).
RespondJoin(w, rp, i) ==
    LET m == w.grp.members[i] IN
    Grant(Respond(w, rp, JoinResponse(w.grp, i)), "join", m.id, m.inst, w.grp.gen, {})

\* groupRecord / record: the last group record, and Load's id counter.
Record(w) ==
    LET g == w.grp IN
    [w EXCEPT !.grp.rec = [has |-> TRUE, gen |-> g.gen, proto |-> g.proto, leader |-> g.leader,
                           members |-> [i \in 1..Len(g.members) |->
                               [id |-> g.members[i].id, inst |-> g.members[i].inst,
                                meta |-> MetadataFor(g.members[i], g.proto), assign |-> g.members[i].assign]]],
              !.grp.maxRecId = Max(@, IF g.members = <<>> THEN 0
                                      ELSE CHOOSE n \in {g.members[i].id[2] : i \in 1..Len(g.members)} :
                                               \A j \in 1..Len(g.members) : g.members[j].id[2] <= n)]

\* Coordinator.removeMember
RemoveMember(w, i) ==
    LET m == w.grp.members[i]
        w1 == IF Joined(m) THEN Respond(w, ReplyOfPark(m.join), Err("UNKNOWN_MEMBER_ID")) ELSE w
        rest == RemoveAt(w.grp.members, i)
    IN [w1 EXCEPT !.grp.members = rest, !.grp.pendingSync = @ \ {m.id},
                  !.grp.leader = IF @ = m.id THEN (IF rest = <<>> THEN NoId ELSE rest[1].id) ELSE @]

\* Removes, in admission order, every member whose id is in ids.
RECURSIVE RemoveIds(_, _)
RemoveIds(w, ids) ==
    IF \E i \in 1..Len(w.grp.members) : w.grp.members[i].id \in ids
    THEN RemoveIds(RemoveMember(w, CHOOSE i \in 1..Len(w.grp.members) :
                                    w.grp.members[i].id \in ids /\ \A j \in 1..(i - 1) : w.grp.members[j].id \notin ids), ids)
    ELSE w

RemovePending(w, id) == [w EXCEPT !.grp.pending = @ \ {id}]

\* Coordinator.resetAndPropagateAssignmentWithError
RECURSIVE ResetSyncs(_, _, _)
ResetSyncs(w, code, i) ==
    IF i > Len(w.grp.members) THEN w
    ELSE LET m == w.grp.members[i]
             w1 == IF m.sync.k # "none" THEN Respond(w, ReplyOfPark(m.sync), Err(code)) ELSE w
         IN ResetSyncs([w1 EXCEPT !.grp.members[i].assign = {}, !.grp.members[i].sync = NoPark], code, i + 1)

\* Coordinator.initNextGeneration
InitNextGeneration(w) ==
    [w EXCEPT !.grp.gen = @ + 1, !.grp.pendingSync = {}, !.grp.fromEmpty = FALSE,
              !.grp.proto = IF w.grp.members = <<>> THEN "" ELSE SelectProtocol(w.grp),
              !.grp.st = IF w.grp.members = <<>> THEN "Empty" ELSE "CompletingRebalance"]

\* Answers every parked JoinGroup of the new generation (completeJoin's loop).
RECURSIVE AnswerJoins(_, _)
AnswerJoins(w, i) ==
    IF i > Len(w.grp.members) THEN w
    ELSE LET m == w.grp.members[i]
             w1 == IF Joined(m) THEN RespondJoin(w, ReplyOfPark(m.join), i) ELSE w
         IN AnswerJoins([w1 EXCEPT !.grp.members[i].join = NoPark, !.grp.members[i].new = FALSE,
                                   !.grp.pendingSync = @ \cup {m.id}], i + 1)

\* Coordinator.electJoinedLeader
ElectJoinedLeader(g) ==
    LET l == MemberIndex(g, g.leader) IN
    IF l = 0 THEN [ok |-> FALSE, leader |-> g.leader]
    ELSE IF Joined(g.members[l]) THEN [ok |-> TRUE, leader |-> g.leader]
    ELSE IF \E i \in 1..Len(g.members) : Joined(g.members[i])
    THEN [ok |-> TRUE, leader |-> g.members[CHOOSE i \in 1..Len(g.members) :
                                    Joined(g.members[i]) /\ \A j \in 1..(i - 1) : ~Joined(g.members[j])].id]
    ELSE [ok |-> FALSE, leader |-> g.leader]

\* Coordinator.completeJoin: drop dynamic members that did not rejoin, make
\* sure a joined member leads, start the next generation.
CompleteJoin(w) ==
    IF w.grp.st # "PreparingRebalance" THEN w
    ELSE LET gone == {w.grp.members[i].id : i \in {i \in 1..Len(w.grp.members) :
                                                     ~Joined(w.grp.members[i]) /\ w.grp.members[i].inst = ""}}
             w1 == RemoveIds(w, gone)
             el == ElectJoinedLeader(w1.grp)
             w2 == [w1 EXCEPT !.grp.leader = el.leader]
         IN IF ~el.ok /\ w2.grp.members # <<>> THEN w2    \* wait for the static members
            ELSE LET w3 == InitNextGeneration(w2) IN
                 IF w3.grp.st = "Empty" THEN Record(w3) ELSE AnswerJoins(w3, 1)

\* Coordinator.prepareRebalance
PrepareRebalance(w) ==
    LET w1 == IF w.grp.st = "CompletingRebalance" THEN ResetSyncs(w, "REBALANCE_IN_PROGRESS", 1) ELSE w
        initial == w.grp.st = "Empty"
        w2 == [w1 EXCEPT !.grp.st = "PreparingRebalance", !.grp.fromEmpty = initial]
    IN IF initial THEN w2 ELSE IF AllJoined(w2.grp) THEN CompleteJoin(w2) ELSE w2

\* Coordinator.maybeCompleteJoinPhase
MaybeCompleteJoinPhase(w) ==
    IF w.grp.st = "PreparingRebalance" /\ AllJoined(w.grp) /\ ~w.grp.fromEmpty THEN CompleteJoin(w) ELSE w

MaybePrepareRebalanceOrCompleteJoin(w) ==
    IF w.grp.st \in {"Stable", "CompletingRebalance", "Empty"} THEN PrepareRebalance(w) ELSE MaybeCompleteJoinPhase(w)

-----------------------------------------------------------------------------
(* The coordinator's handlers (impl/coordinator join.go, sync.go,          *)
(* members.go, static.go, offsets.go)                                      *)

\* Coordinator.addMember
AddMember(w, rp, r, id) ==
    LET m == [id |-> id, inst |-> r.inst, names |-> r.names, meta |-> r.meta, assign |-> {},
              join |-> Park(rp), sync |-> NoPark, new |-> TRUE]
    IN MaybePrepareRebalanceOrCompleteJoin(
           [w EXCEPT !.grp.members = Append(@, m), !.grp.leader = IF @ = NoId THEN id ELSE @])

\* Coordinator.updateMember
UpdateMember(w, rp, i, r) ==
    MaybePrepareRebalanceOrCompleteJoin(
        [w EXCEPT !.grp.members[i].names = r.names, !.grp.members[i].meta = r.meta, !.grp.members[i].join = Park(rp)])

\* spec.ProtocolsEqual; user data is not modelled, so with an assignor that
\* keeps some it may differ (eq).
ProtocolsEqual(m, r, eq) == m.names = r.names /\ m.meta = r.meta /\ (HasUserData(m.names) => eq)

\* Coordinator.replaceStaticMember (KIP-345): the new member takes the old
\* one's place, assignment and leadership; the old one is fenced.
ReplaceStaticMember(w, rp, r, h) ==
    LET n == w.grp.nextId + 1
        id == <<r.inst, n>>
        old == w.grp.members[h]
        w1 == IF Joined(old) THEN Respond(w, ReplyOfPark(old.join), Err("FENCED_INSTANCE_ID")) ELSE w
        w2 == IF old.sync.k # "none" THEN Respond(w1, ReplyOfPark(old.sync), Err("FENCED_INSTANCE_ID")) ELSE w1
        nm == [id |-> id, inst |-> old.inst, names |-> r.names, meta |-> r.meta, assign |-> old.assign,
               join |-> NoPark, sync |-> NoPark, new |-> FALSE]
        w3 == [w2 EXCEPT !.grp.nextId = n, !.grp.members[h] = nm,
                         !.grp.leader = IF @ = old.id THEN id ELSE @]
        w4 == [w3 EXCEPT !.grp.members[h].join = Park(rp)]
    IN CASE w3.grp.st = "Stable" ->
              IF SelectProtocol(w3.grp) # w3.grp.proto THEN PrepareRebalance(w4)
              ELSE LET w5 == Record(w3) IN
                   Grant(Respond(w5, rp, [JoinResponse(w5.grp, h) EXCEPT !.skip = (id = w5.grp.leader)]),
                         "join", id, old.inst, w5.grp.gen, {})
         [] w3.grp.st = "CompletingRebalance" -> PrepareRebalance(w4)
         [] OTHER -> MaybeCompleteJoinPhase(w4)

\* Coordinator.joinNewMember
JoinNewMember(w, rp, r) ==
    IF r.inst # "" THEN
        IF StaticHolder(w.grp, r.inst) # 0 THEN ReplaceStaticMember(w, rp, r, StaticHolder(w.grp, r.inst))
        ELSE LET n == w.grp.nextId + 1 IN AddMember([w EXCEPT !.grp.nextId = n], rp, r, <<r.inst, n>>)
    ELSE LET n == w.grp.nextId + 1
             id == <<r.from, n>>
         IN Respond([w EXCEPT !.grp.nextId = n, !.grp.pending = @ \cup {id}], rp,
                    [Resp0 EXCEPT !.code = "MEMBER_ID_REQUIRED", !.member = id])

\* Coordinator.joinKnownMember
JoinKnownMember(w, rp, r, eq) ==
    IF r.member \in w.grp.pending THEN
        IF r.inst # "" THEN Respond(w, rp, Err("UNKNOWN_SERVER_ERROR"))
        ELSE AddMember(RemovePending(w, r.member), rp, r, r.member)
    ELSE LET v == ValidateMember(w.grp, r.member, r.inst) IN
         IF v.code # "NONE" THEN Respond(w, rp, Err(v.code))
         ELSE LET m == w.grp.members[v.i]
                  same == ProtocolsEqual(m, r, eq)
              IN CASE w.grp.st = "PreparingRebalance" -> UpdateMember(w, rp, v.i, r)
                   [] w.grp.st = "CompletingRebalance" ->
                          IF same THEN RespondJoin(w, rp, v.i) ELSE UpdateMember(w, rp, v.i, r)
                   [] w.grp.st = "Stable" ->
                          IF m.id = w.grp.leader \/ ~same THEN UpdateMember(w, rp, v.i, r) ELSE RespondJoin(w, rp, v.i)
                   [] OTHER -> Respond(w, rp, Err("UNKNOWN_MEMBER_ID"))

\* Coordinator.acceptJoiningMember (group.max.size)
AcceptJoiningMember(g, id) ==
    LET i == MemberIndex(g, id) IN
    \/ MaxSize = 0
    \/ g.st = "Empty"
    \/ g.st = "PreparingRebalance" /\ ((i # 0 /\ Joined(g.members[i])) \/ NumAwaitingJoin(g) < MaxSize)
    \/ g.st \notin {"Empty", "PreparingRebalance"} /\ (i # 0 \/ Len(g.members) < MaxSize)

JoinBody(w, rp, r, eq) ==
    IF ~AcceptJoiningMember(w.grp, r.member) THEN
        LET w1 == IF IsMember(w.grp, r.member) THEN RemoveMember(w, MemberIndex(w.grp, r.member)) ELSE w
        IN Respond(RemovePending(w1, r.member), rp, Err("GROUP_MAX_SIZE_REACHED"))
    ELSE IF ~SupportsProtocols(w.grp, r.names) THEN Respond(w, rp, Err("INCONSISTENT_GROUP_PROTOCOL"))
    ELSE IF r.member = NoId THEN JoinNewMember(w, rp, r)
    ELSE JoinKnownMember(w, rp, r, eq)

\* Coordinator.join (GroupMetadataManager.classicGroupJoin)
Join(w, r, eq) ==
    LET rp == ReplyOf(r) IN
    IF ~r.sessOK THEN Respond(w, rp, Err("INVALID_SESSION_TIMEOUT"))
    ELSE IF ~w.grp.exists /\ r.member # NoId THEN Respond(w, rp, Err("UNKNOWN_MEMBER_ID"))
    ELSE LET created == ~w.grp.exists
             w1 == IF created THEN [w EXCEPT !.grp.exists = TRUE, !.grp.st = "Empty"] ELSE w
             w2 == JoinBody(w1, rp, r, eq)
         IN IF created /\ ~w2.grp.rec.has THEN [w2 EXCEPT !.grp.rec = [NoRec EXCEPT !.has = TRUE]] ELSE w2

\* Coordinator.installPlan (with propagate): store the leader's plan,
\* persist the group, answer every parked SyncGroup, become Stable.
RECURSIVE Propagate(_, _)
Propagate(w, i) ==
    IF i > Len(w.grp.members) THEN w
    ELSE LET m == w.grp.members[i]
             w1 == IF m.sync.k # "none"
                   THEN Grant(Respond(w, ReplyOfPark(m.sync), [Resp0 EXCEPT !.assign = m.assign, !.proto = w.grp.proto]),
                              "sync", m.id, m.inst, w.grp.gen, m.assign)
                   ELSE w
         IN Propagate([w1 EXCEPT !.grp.members[i].sync = NoPark], i + 1)
InstallPlan(w, plan) ==
    LET ms == w.grp.members
        w1 == [w EXCEPT !.grp.members = [i \in 1..Len(ms) |->
                  [ms[i] EXCEPT !.assign = IF ms[i].id \in DOMAIN plan THEN plan[ms[i].id] ELSE {}]]]
    IN [Propagate(Record(w1), 1) EXCEPT !.grp.st = "Stable"]

\* Coordinator.syncGroup
SyncGroup(w, r) ==
    LET rp == ReplyOf(r)
        g == w.grp
        v == ValidateMember(g, r.member, r.inst)
    IN IF ~g.exists \/ g.st = "Empty" THEN Respond(w, rp, Err("UNKNOWN_MEMBER_ID"))
       ELSE IF v.code # "NONE" THEN Respond(w, rp, Err(v.code))
       ELSE IF r.gen # g.gen THEN Respond(w, rp, Err("ILLEGAL_GENERATION"))
       ELSE IF r.proto # "" /\ g.proto # "" /\ r.proto # g.proto THEN Respond(w, rp, Err("INCONSISTENT_GROUP_PROTOCOL"))
       ELSE LET m == g.members[v.i] IN
            CASE g.st = "PreparingRebalance" -> Respond(w, rp, Err("REBALANCE_IN_PROGRESS"))
              [] g.st = "Stable" ->
                     Grant(Respond([w EXCEPT !.grp.pendingSync = @ \ {m.id}], rp,
                                   [Resp0 EXCEPT !.assign = m.assign, !.proto = g.proto]),
                           "sync", r.member, r.inst, r.gen, m.assign)
              [] OTHER ->
                     LET w1 == [w EXCEPT !.grp.members[v.i].sync = Park(rp), !.grp.pendingSync = @ \ {m.id}] IN
                     IF m.id = g.leader THEN InstallPlan(w1, r.plan) ELSE w1

\* Coordinator.heartbeat
HeartbeatCode(g, r) ==
    LET v == ValidateMember(g, r.member, r.inst) IN
    IF ~g.exists THEN "UNKNOWN_MEMBER_ID"
    ELSE IF v.code # "NONE" THEN v.code
    ELSE IF r.gen # g.gen THEN "ILLEGAL_GENERATION"
    ELSE IF g.st = "Empty" THEN "UNKNOWN_MEMBER_ID"
    ELSE IF g.st = "PreparingRebalance" THEN "REBALANCE_IN_PROGRESS"
    ELSE "NONE"
Heartbeat(w, r) ==
    LET code == HeartbeatCode(w.grp, r)
        w1 == Respond(w, ReplyOf(r), Err(code))
    IN IF code = "NONE" THEN Grant(w1, "heartbeat", r.member, r.inst, r.gen, {}) ELSE w1

\* Coordinator.leaveOne
LeaveOne(w, id, inst) ==
    IF id = NoId THEN
        IF StaticHolder(w.grp, inst) = 0 THEN [w |-> w, ok |-> FALSE]
        ELSE [w |-> RemoveMember(w, StaticHolder(w.grp, inst)), ok |-> TRUE]
    ELSE IF id \in w.grp.pending THEN [w |-> RemovePending(w, id), ok |-> TRUE]
    ELSE LET v == ValidateMember(w.grp, id, inst) IN
         IF v.code # "NONE" THEN [w |-> w, ok |-> FALSE] ELSE [w |-> RemoveMember(w, v.i), ok |-> TRUE]
\* Coordinator.leave, for one member (a consumer's own, or an administrator's removal of a static member)
Leave(w, id, inst) ==
    IF ~w.grp.exists THEN w
    ELSE LET l == LeaveOne(w, id, inst) IN
         IF ~l.ok THEN w
         ELSE CASE l.w.grp.st \in {"Stable", "CompletingRebalance"} -> MaybePrepareRebalanceOrCompleteJoin(l.w)
                [] l.w.grp.st = "PreparingRebalance" -> MaybeCompleteJoinPhase(l.w)
                [] OTHER -> l.w

\* Coordinator.commit with validateCommit. Kafka never checks that a commit
\* is at least the previous one.
CommitCode(g, r) ==
    LET named == r.gen >= 0 \/ r.member # NoId \/ r.inst # ""
        v == ValidateMember(g, r.member, r.inst)
        first == IF r.gen < 0 /\ g.st = "Empty" THEN "NONE"
                 ELSE IF named THEN (IF v.code # "NONE" THEN v.code ELSE IF r.gen # g.gen THEN "ILLEGAL_GENERATION" ELSE "NONE")
                 ELSE IF g.st # "Empty" THEN "UNKNOWN_MEMBER_ID" ELSE "NONE"
    IN IF first # "NONE" THEN first
       ELSE IF g.st = "CompletingRebalance" THEN "REBALANCE_IN_PROGRESS"
       ELSE IF r.big /\ DOMAIN r.offs # {} THEN "OFFSET_METADATA_TOO_LARGE"
       ELSE "NONE"
Commit(w, r) ==
    IF ~w.grp.exists /\ r.gen >= 0 THEN Respond(w, ReplyOf(r), Err("GROUP_ID_NOT_FOUND"))
    ELSE LET w0 == IF ~w.grp.exists THEN [w EXCEPT !.grp.exists = TRUE, !.grp.st = "Empty"] ELSE w
             code == CommitCode(w0.grp, r)
             c == w0.grp.committed
             w1 == IF code = "NONE"
                   THEN [w0 EXCEPT !.grp.committed = [p \in DOMAIN c \cup DOMAIN r.offs |->
                                                          IF p \in DOMAIN r.offs THEN r.offs[p] ELSE c[p]]]
                   ELSE w0
             w2 == IF code = "NONE" /\ DOMAIN r.offs # {} THEN Grant(w1, "commit", r.member, r.inst, r.gen, {}) ELSE w1
         IN Respond(w2, ReplyOf(r), Err(code))

\* Coordinator.fetch: the committed offset of each partition, -1 if none.
Fetch(w, r) ==
    Respond(w, ReplyOf(r), [Resp0 EXCEPT !.offs = [p \in r.parts |->
                               IF p \in DOMAIN w.grp.committed THEN w.grp.committed[p] ELSE -1]])

\* Coordinator.handle
Handle(w, r, eq) ==
    CASE r.k = "join" -> Join(w, r, eq)
      [] r.k = "sync" -> SyncGroup(w, r)
      [] r.k = "heartbeat" -> Heartbeat(w, r)
      [] r.k = "leave" -> Respond(Leave(w, r.member, ""), ReplyOf(r), Err("NONE"))
      [] r.k = "commit" -> Commit(w, r)
      [] r.k = "fetch" -> Fetch(w, r)

\* Coordinator.expireSession (after hasSatisfiedHeartbeat) and afterRemoval
ExpireSession(w, i) ==
    LET w1 == RemoveMember(w, i) IN
    CASE w1.grp.st \in {"Stable", "CompletingRebalance"} -> MaybePrepareRebalanceOrCompleteJoin(w1)
      [] w1.grp.st = "PreparingRebalance" /\ AllJoined(w1.grp) -> CompleteJoin(w1)
      [] OTHER -> w1

\* Coordinator.expirePending
ExpirePending(w, id) ==
    LET w1 == RemovePending(w, id) IN
    IF w1.grp.st = "PreparingRebalance" /\ AllJoined(w1.grp) THEN CompleteJoin(w1) ELSE w1

\* Coordinator.expirePendingSync
ExpirePendingSync(w) == PrepareRebalance(RemoveIds(w, w.grp.pendingSync))

\* Cluster.failover: the old coordinator unloads (parked requests get
\* NOT_COORDINATOR); a new one loads the log (coordinator.Load).
RECURSIVE Unload(_, _)
Unload(w, i) ==
    IF i > Len(w.grp.members) THEN w
    ELSE LET m == w.grp.members[i]
             w1 == IF Joined(m) THEN Respond(w, ReplyOfPark(m.join), Err("NOT_COORDINATOR")) ELSE w
             w2 == IF m.sync.k # "none" THEN Respond(w1, ReplyOfPark(m.sync), Err("NOT_COORDINATOR")) ELSE w1
         IN Unload(w2, i + 1)
Failover(w) ==
    LET w1 == Unload(w, 1)
        g == w1.grp
        rec == g.rec
        ng == [exists |-> rec.has \/ DOMAIN g.committed # {},
               st |-> IF rec.members = <<>> THEN "Empty" ELSE "Stable", fromEmpty |-> FALSE,
               gen |-> rec.gen, proto |-> rec.proto, leader |-> rec.leader,
               members |-> [i \in 1..Len(rec.members) |->
                               [id |-> rec.members[i].id, inst |-> rec.members[i].inst, names |-> <<rec.proto>>,
                                meta |-> rec.members[i].meta, assign |-> rec.members[i].assign,
                                join |-> NoPark, sync |-> NoPark, new |-> FALSE]],
               pending |-> {}, pendingSync |-> {}, committed |-> g.committed, rec |-> rec,
               maxRecId |-> g.maxRecId, nextId |-> g.maxRecId]
        w2 == [w1 EXCEPT !.grp = ng, !.ghost.failedOver = TRUE]
    IN IF MaxSize > 0 /\ Len(ng.members) > MaxSize THEN PrepareRebalance(w2) ELSE w2

-----------------------------------------------------------------------------
(* One consumer (impl/consumer). A consumer step is a function of the     *)
(* world and this step's Choice:                                           *)
(*   bo      a retry backoff set before this step is still running         *)
(*   ac      auto.commit.interval.ms has passed                            *)
(*   rev     the waiting revocation's deadline has passed                  *)
(*   exp     a request in flight timed out (request.timeout.ms)            *)
(*   hb      the heartbeat thread's branch due: 0 none, 1 session timeout, *)
(*           2 max.poll.interval.ms while stalled, 3 heartbeat interval    *)
(*   refresh metadata.max.age.ms has passed                                *)
(*   plan    the assignor's plan, if the step has the leader assign        *)

Alive(w, c) == w.cons[c].st \in Running /\ ~w.failed
InFlight(x, k) == \E d \in DOMAIN x.inflight : d.k = k
SameGeneration(x, d) == d.g = x.gen /\ d.m = x.member
BackoffPending(w, ch) == w.bo \/ (SlowBackoff /\ ch.bo)
KnownOffs(x, parts) == Restrict(x.pos, parts)

\* Consumer.send: the request goes out and is awaited.
Send(w, c, r, rev) ==
    LET x == w.cons[c]
        d == [k |-> r.k, g |-> x.gen, m |-> x.member, r |-> rev]
    IN PushUp([w EXCEPT !.cons[c].inflight = BagAdd(@, d)], c, [r EXCEPT !.d = d, !.from = c])

\* Consumer.fail
Fail(w, c) == [w EXCEPT !.failed = TRUE, !.cons[c].inflight = <<>>]

\* Nothing consumer c sent is awaited any more.
MapUp(links, F(_)) == [l \in DOMAIN links |-> [j \in DOMAIN links[l] |-> F(links[l][j])]]
Orphan(p, c) == IF p.k = "live" /\ p.to = c THEN DeadPark ELSE p
OrphanAll(w, c) ==
    LET ms == w.grp.members IN
    [w EXCEPT !.up[c] = MapUp(@, LAMBDA r : [r EXCEPT !.d = NoDesc]),
              !.grp.members = [i \in DOMAIN ms |-> [ms[i] EXCEPT !.join = Orphan(ms[i].join, c), !.sync = Orphan(ms[i].sync, c)]],
              !.down[c] = <<>>]

\* Consumer.markCoordinatorUnknown: every request in flight fails.
MarkCoordinatorUnknown(w, c) ==
    LET x == w.cons[c]
        joinSync == \E d \in DOMAIN x.inflight : d.k \in {"join", "sync"}
        revCommit == \E d \in DOMAIN x.inflight : d.k = "commit" /\ d.r
    IN OrphanAll([w EXCEPT !.bo = TRUE, !.cons[c].unknown = TRUE,
                           !.cons[c].st = IF joinSync THEN "unjoined" ELSE @,
                           !.cons[c].rejoin = @ \/ joinSync,
                           !.cons[c].rev.inflight = IF revCommit THEN FALSE ELSE @,
                           !.cons[c].inflight = <<>>], c)

\* The revocation's commit, if still in flight, is no longer its (world.unrev).
Unrev(w, c) ==
    LET b == w.cons[c].inflight
        Plain(d) == [d EXCEPT !.r = FALSE]
        ds == {Plain(d) : d \in DOMAIN b}
    IN [w EXCEPT !.cons[c].inflight = [d \in ds |-> SumOver(b, {e \in DOMAIN b : Plain(e) = d})],
                 !.up[c] = MapUp(@, LAMBDA r : [r EXCEPT !.d.r = FALSE]),
                 !.down[c] = [j \in DOMAIN w.down[c] |-> [w.down[c][j] EXCEPT !.d.r = FALSE]]]

\* The process stops (crash, close, fatal error).
Down(w, c) == [OrphanAll(w, c) EXCEPT !.cons[c] = ConsRec("down")]

\* Consumer.release
Release(w, c, parts) ==
    IF parts = {} THEN w
    ELSE [w EXCEPT !.cons[c].owned = @ \ parts, !.cons[c].pos = Restrict(@, DOMAIN @ \ parts)]
\* Consumer.lose
Lose(w, c) == Release(w, c, w.cons[c].owned)

\* Consumer.commitPositions
CommitPositions(w, c, parts, rev, big) ==
    LET x == w.cons[c]
        offs == KnownOffs(x, parts)
    IN IF DOMAIN offs = {} THEN w
       ELSE Send(w, c, [Req0 EXCEPT !.k = "commit", !.member = x.member, !.inst = Cfg(c).inst, !.gen = x.gen,
                                    !.offs = offs, !.big = big], rev)

\* Consumer.maybeFetchPositions: a fetch of an older generation is abandoned.
MaybeFetchPositions(w, c) ==
    LET x == w.cons[c]
        Stale(d) == d.k = "fetch" /\ (d.g # x.gen \/ d.m # x.member)
        stale == {d \in DOMAIN x.inflight : Stale(d)}
        w1 == IF stale = {} THEN w
              ELSE [w EXCEPT !.cons[c].inflight = Restrict(@, DOMAIN @ \ stale),
                             !.up[c] = MapUp(@, LAMBDA r : IF r.d.k # "none" /\ Stale(r.d) THEN [r EXCEPT !.d = NoDesc] ELSE r),
                             !.down[c] = SelectSeq(@, LAMBDA a : ~Stale(a.d))]
        missing == x.owned \ DOMAIN x.pos
    IN IF x.unknown \/ InFlight(w1.cons[c], "fetch") \/ missing = {} THEN w1
       ELSE Send(w1, c, [Req0 EXCEPT !.k = "fetch", !.parts = missing], FALSE)

\* Consumer.finishAssignment
FinishAssignment(w, c, assigned) == MaybeFetchPositions([w EXCEPT !.cons[c].owned = @ \cup assigned], c)

\* Consumer.revoke: the listener's commit, if any, is waited for.
Revoke(w, c, parts, thenJoin, pending) ==
    LET x == w.cons[c] IN
    IF (Cfg(c).commitOnRevoke \/ Cfg(c).autoCommit) /\ x.gen >= 0 /\ DOMAIN KnownOffs(x, parts) # {} THEN
        [w |-> [CommitPositions(w, c, parts, TRUE, FALSE) EXCEPT
                    !.cons[c].rev = [on |-> TRUE, parts |-> parts, inflight |-> TRUE, thenJoin |-> thenJoin, pending |-> pending],
                    !.revNew = TRUE],
         wait |-> TRUE]
    ELSE LET w1 == Release(w, c, parts) IN
         [w |-> IF thenJoin THEN w1 ELSE FinishAssignment(w1, c, pending), wait |-> FALSE]

\* Consumer.sendJoin
SendJoin(w, c) ==
    LET x == w.cons[c] IN
    Send([w EXCEPT !.cons[c].st = "joining"], c,
         [Req0 EXCEPT !.k = "join", !.member = x.member, !.inst = Cfg(c).inst, !.names = Cfg(c).assignors,
                      !.meta = [topics |-> Cfg(c).topics, owned |-> x.owned, gen |-> x.gen],
                      !.sessOK = Cfg(c).sessionOK], FALSE)

\* Consumer.onJoinPrepare: eager revokes all, cooperative what it no longer subscribes to.
OnJoinPrepare(w, c) ==
    LET x == w.cons[c]
        w1 == [w EXCEPT !.cons[c].leader = FALSE, !.cons[c].hasSnap = FALSE, !.cons[c].snap = ZeroCounts]
    IN IF x.gen < 0 \/ x.member = NoId THEN [w |-> Lose(w1, c), wait |-> FALSE]
       ELSE Revoke(w1, c, IF Cfg(c).coop THEN {p \in x.owned : p[1] \notin Cfg(c).topics} ELSE x.owned, TRUE, {})

\* Consumer.ensureActiveGroup
EnsureActiveGroup(w, c, ch) ==
    LET x == w.cons[c] IN
    IF InFlight(x, "join") \/ InFlight(x, "sync") \/ x.rev.on \/ BackoffPending(w, ch) THEN w
    ELSE IF x.prepare THEN
        LET p == OnJoinPrepare(w, c) IN
        IF p.wait THEN p.w ELSE SendJoin([p.w EXCEPT !.cons[c].prepare = FALSE], c)
    ELSE SendJoin(w, c)

\* Consumer.revokeDone
RevokeDone(w, c, ch) ==
    LET r == w.cons[c].rev
        w1 == Release(Unrev([w EXCEPT !.cons[c].rev = NoRev], c), c, r.parts)
    IN IF r.thenJoin THEN EnsureActiveGroup([w1 EXCEPT !.cons[c].prepare = FALSE], c, ch)
       ELSE FinishAssignment(w1, c, r.pending)

\* Consumer.continueRevocation
ContinueRevocation(w, c, ch) ==
    LET x == w.cons[c] IN
    IF ~x.rev.on THEN w
    ELSE IF ~w.revNew /\ ch.rev THEN RevokeDone(SpendTimeout(w, FALSE), c, ch)
    ELSE IF ~x.rev.inflight /\ ~BackoffPending(w, ch) THEN
        IF x.st = "stable" /\ DOMAIN KnownOffs(x, x.rev.parts) # {}
        THEN [CommitPositions(w, c, x.rev.parts, TRUE, FALSE) EXCEPT !.cons[c].rev.inflight = TRUE]
        ELSE RevokeDone(w, c, ch)
    ELSE w

\* Consumer.metadataChanged: the leader's snapshot is out of date.
MetadataChanged(x) ==
    \E t \in Topics : x.snap[t] # -2 /\ ((x.meta[t] >= 0 /\ x.meta[t] # x.snap[t]) \/ (x.meta[t] < 0 /\ x.snap[t] >= 0))

\* Consumer.poll: what the application's poll() does for membership.
Poll(w, c, ch) ==
    IF ~Alive(w, c) \/ w.cons[c].stalled \/ w.cons[c].unknown THEN w
    ELSE LET w1 == ContinueRevocation(w, c, ch)
             x1 == w1.cons[c]
             ac == Cfg(c).autoCommit /\ x1.st = "stable" /\ ~x1.rev.on /\ ~w1.acDone /\ ch.ac
             w2 == IF ~ac THEN w1
                   ELSE IF InFlight(x1, "commit") THEN [w1 EXCEPT !.acDone = TRUE]
                   ELSE CommitPositions([w1 EXCEPT !.acDone = TRUE], c, x1.owned, FALSE, FALSE)
             w3 == MaybeFetchPositions(w2, c)
             x3 == w3.cons[c]
             w4 == IF x3.leader /\ x3.hasSnap /\ MetadataChanged(x3) THEN [w3 EXCEPT !.cons[c].rejoin = TRUE] ELSE w3
         IN IF w4.cons[c].rejoin THEN EnsureActiveGroup(w4, c, ch) ELSE w4

\* Step with a spec.MetadataUpdate.
MetadataUpdate(w, c, ch) == IF ~Alive(w, c) THEN w ELSE Poll([w EXCEPT !.cons[c].meta = w.topics], c, ch)

\* consumer.New, at a (re)start: it joins at once, then reads the metadata.
Start(w, c, ch) ==
    MetadataUpdate(Poll([w EXCEPT !.cons[c] = [ConsRec("unjoined") EXCEPT !.gen = -1, !.rejoin = TRUE, !.prepare = TRUE]],
                        c, ch), c, ch)

\* Consumer.resetGeneration
ResetGeneration(w, c, memberToo) ==
    [w EXCEPT !.cons[c].gen = -1, !.cons[c].member = IF memberToo THEN NoId ELSE @,
              !.cons[c].st = "unjoined", !.cons[c].rejoin = TRUE, !.cons[c].prepare = TRUE,
              !.cons[c].leader = FALSE, !.cons[c].hasSnap = FALSE, !.cons[c].snap = ZeroCounts]

\* Consumer.sendLeave: only a dynamic member that knows its coordinator leaves.
SendLeave(w, c) ==
    LET x == w.cons[c] IN
    IF Cfg(c).inst = "" /\ x.member # NoId /\ x.st # "unjoined" /\ ~x.unknown
    THEN Send(w, c, [Req0 EXCEPT !.k = "leave", !.member = x.member], FALSE)
    ELSE w

\* Consumer.pollTimeoutExpired
PollTimeoutExpired(w, c) == ResetGeneration(SendLeave(w, c), c, TRUE)

Heartbeating(w, c) == Alive(w, c) /\ ~w.cons[c].unknown /\ w.cons[c].st \in {"syncing", "stable"}
HeartbeatsInFlight(x) == SumOver(x.inflight, {d \in DOMAIN x.inflight : d.k = "heartbeat"})

\* Consumer.heartbeatThread: one branch, or none, is due.
HeartbeatThread(w, c, ch) ==
    LET x == w.cons[c] IN
    IF ~Heartbeating(w, c) THEN w
    ELSE CASE ch.hb = 1 -> MarkCoordinatorUnknown(SpendTimeout(w, FALSE), c)
           [] ch.hb = 2 -> IF x.stalled THEN PollTimeoutExpired(w, c) ELSE [w EXCEPT !.ok = FALSE]
           [] ch.hb = 3 -> IF Heartbeats = 0 \/ HeartbeatsInFlight(x) < Heartbeats
                           THEN Send(w, c, [Req0 EXCEPT !.k = "heartbeat", !.member = x.member, !.inst = Cfg(c).inst,
                                                        !.gen = x.gen], FALSE)
                           ELSE [w EXCEPT !.ok = FALSE]
           [] OTHER -> w

\* Some request consumer c awaits can no longer be answered (the network
\* lost it or its answer): its request timeout is forced.
LiveCount(w, c, d) ==
    Cardinality(UNION {{<<l, j>> : j \in {j \in DOMAIN w.up[c][l] : w.up[c][l][j].d = d}} : l \in DOMAIN w.up[c]})
    + Cardinality({i \in 1..Len(w.grp.members) : w.grp.members[i].join = [k |-> "live", to |-> c, d |-> d]})
    + Cardinality({i \in 1..Len(w.grp.members) : w.grp.members[i].sync = [k |-> "live", to |-> c, d |-> d]})
    + Cardinality({j \in DOMAIN w.down[c] : w.down[c][j].d = d})
Orphaned(w, c) == \E d \in DOMAIN w.cons[c].inflight : w.cons[c].inflight[d] > LiveCount(w, c, d)

\* Consumer.tick, then poll, then the metadata update a refresh asks for.
Tick(w, c, ch) ==
    LET w1 == IF DOMAIN w.cons[c].inflight # {} /\ ch.exp
              THEN MarkCoordinatorUnknown(SpendTimeout(w, Orphaned(w, c)), c) ELSE w
        w2 == IF w1.cons[c].unknown /\ ~BackoffPending(w1, ch) THEN [w1 EXCEPT !.cons[c].unknown = FALSE] ELSE w1
        w4 == Poll(HeartbeatThread(w2, c, ch), c, ch)
    IN IF ch.refresh THEN MetadataUpdate(w4, c, ch) ELSE w4

\* Consumer.close: commit and revoke if settled (else lose), leave if dynamic.
Close(w, c) ==
    LET x == w.cons[c]
        settled == x.gen >= 0 /\ x.member # NoId /\ x.st = "stable"
        w1 == IF settled /\ (Cfg(c).autoCommit \/ Cfg(c).commitOnRevoke) /\ DOMAIN KnownOffs(x, x.owned) # {}
              THEN CommitPositions([w EXCEPT !.cons[c].unknown = FALSE], c, x.owned, FALSE, FALSE) ELSE w
    IN Down(SendLeave(Lose(w1, c), c), c)

\* Consumer.consume: one record of every owned partition whose position is known.
Consume(w, c) ==
    LET x == w.cons[c]
        P == x.owned \cap DOMAIN x.pos
        pr == w.ghost.processed
        End(p) == IF p \in DOMAIN pr THEN pr[p] ELSE 0
        grow == {p \in P : x.pos[p] + 1 > End(p)}
    IN [w EXCEPT !.cons[c].pos = [p \in DOMAIN x.pos |-> IF p \in P THEN x.pos[p] + 1 ELSE x.pos[p]],
                 !.ghost.processed = [p \in DOMAIN pr \cup grow |-> IF p \in grow THEN x.pos[p] + 1 ELSE pr[p]],
                 !.ghost.badNoLoss = @ \/ \E p \in P : x.pos[p] > End(p)]

\* Consumer.commitSync: refused outside a stable generation.
CommitSync(w, c) == IF w.cons[c].st = "stable" THEN CommitPositions(w, c, w.cons[c].owned, FALSE, FALSE) ELSE w

(* The answers *)

\* Consumer.takeSnapshot
TakeSnapshot(w, c, members) ==
    [w EXCEPT !.cons[c].hasSnap = TRUE,
              !.cons[c].snap = [t \in Topics |-> IF \E i \in 1..Len(members) : t \in members[i].meta.topics
                                                 THEN w.cons[c].meta[t] ELSE -2]]

\* Consumer.sendSync: the leader computes the plan first.
SendSync(w, c, r, ch) ==
    LET x == w.cons[c]
        req == [Req0 EXCEPT !.k = "sync", !.gen = x.gen, !.member = x.member, !.inst = Cfg(c).inst, !.proto = x.proto]
    IN IF ~x.leader THEN Send(w, c, req, FALSE)
       ELSE LET w1 == TakeSnapshot(w, c, r.members) IN
            Send(w1, c, IF r.skip THEN req ELSE [req EXCEPT !.plan = ch.plan], FALSE)

\* Consumer.joined
JoinedOK(w, c, r, ch) ==
    IF w.cons[c].st # "joining" THEN [w EXCEPT !.cons[c].rejoin = TRUE, !.bo = TRUE]
    ELSE IF ~InSeq(Cfg(c).assignors, r.proto) THEN Fail(w, c)
    ELSE SendSync([w EXCEPT !.cons[c].member = r.member, !.cons[c].gen = r.gen, !.cons[c].proto = r.proto,
                            !.cons[c].leader = (r.leader = r.member), !.cons[c].st = "syncing"], c, r, ch)

\* Consumer.onJoinResponse
OnJoinResponse(w, c, r, ch) ==
    CASE r.code = "NONE" -> JoinedOK(w, c, r, ch)
      [] r.code = "MEMBER_ID_REQUIRED" ->
             [w EXCEPT !.cons[c].member = r.member, !.cons[c].gen = -1, !.cons[c].st = "unjoined"]
      [] r.code = "UNKNOWN_MEMBER_ID" ->
             LET w1 == IF SameGeneration(w.cons[c], r.d) THEN ResetGeneration(w, c, TRUE) ELSE w IN
             [w1 EXCEPT !.cons[c].st = "unjoined", !.cons[c].rejoin = TRUE]
      [] r.code = "REBALANCE_IN_PROGRESS" -> [w EXCEPT !.cons[c].st = "unjoined"]
      [] r.code = "NOT_COORDINATOR" -> MarkCoordinatorUnknown([w EXCEPT !.cons[c].st = "unjoined"], c)
      [] OTHER -> Fail(w, c)

\* Consumer.onJoinComplete: cooperative consumers revoke what they own and
\* were not given (rule 4), then rejoin.
OnJoinComplete(w, c, assigned) ==
    LET x == w.cons[c] IN
    IF \E p \in assigned : p[1] \notin Cfg(c).topics THEN [w EXCEPT !.cons[c].rejoin = TRUE]
    ELSE LET w1 == [w EXCEPT !.acDone = TRUE] IN
         IF Cfg(c).coop /\ x.owned \ assigned # {}
         THEN Revoke([w1 EXCEPT !.cons[c].rejoin = TRUE], c, x.owned \ assigned, FALSE, assigned).w
         ELSE FinishAssignment(w1, c, assigned)

\* Consumer.onSyncResponse
OnSyncResponse(w, c, r) ==
    LET x == w.cons[c] IN
    CASE r.code = "NONE" ->
             IF x.st # "syncing" THEN [w EXCEPT !.cons[c].rejoin = TRUE]
             ELSE IF r.proto # "" /\ r.proto # x.proto THEN Fail(w, c)
             ELSE OnJoinComplete([w EXCEPT !.cons[c].st = "stable", !.cons[c].rejoin = FALSE, !.cons[c].prepare = TRUE],
                                 c, r.assign)
      [] r.code = "REBALANCE_IN_PROGRESS" -> [w EXCEPT !.cons[c].st = "unjoined"]
      [] r.code \in {"UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"} ->
             LET w1 == IF SameGeneration(x, r.d) THEN ResetGeneration(w, c, r.code = "UNKNOWN_MEMBER_ID") ELSE w IN
             [w1 EXCEPT !.cons[c].st = "unjoined", !.cons[c].rejoin = TRUE]
      [] r.code = "NOT_COORDINATOR" -> MarkCoordinatorUnknown([w EXCEPT !.cons[c].st = "unjoined"], c)
      [] OTHER -> Fail(w, c)

\* Consumer.onHeartbeatResponse: errors about a generation left behind are ignored.
OnHeartbeatResponse(w, c, r) ==
    LET x == w.cons[c] IN
    IF ~SameGeneration(x, r.d) /\ r.code \in {"ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID"} THEN w
    ELSE CASE r.code = "REBALANCE_IN_PROGRESS" ->
                  IF x.st = "stable" THEN [w EXCEPT !.cons[c].rejoin = TRUE] ELSE w
           [] r.code = "ILLEGAL_GENERATION" -> ResetGeneration(w, c, FALSE)
           [] r.code = "UNKNOWN_MEMBER_ID" -> ResetGeneration(w, c, TRUE)
           [] r.code = "FENCED_INSTANCE_ID" -> Fail(w, c)
           [] OTHER -> w

\* Consumer.onCommitResponse (commits are answered at once, never NOT_COORDINATOR)
OnCommitResponse(w, c, r, ch) ==
    LET x == w.cons[c]
        w1 == CASE r.code \in {"ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"} ->
                      IF ~SameGeneration(x, r.d) /\ x.st = "joining" THEN w
                      ELSE ResetGeneration(w, c, r.code = "UNKNOWN_MEMBER_ID")
                [] r.code = "REBALANCE_IN_PROGRESS" -> [w EXCEPT !.cons[c].rejoin = TRUE]
                [] r.code = "FENCED_INSTANCE_ID" -> IF SameGeneration(x, r.d) THEN Fail(w, c) ELSE w
                [] OTHER -> w
    IN IF x.rev.on /\ r.d.r THEN RevokeDone(w1, c, ch) ELSE w1

\* Consumer.onFetchResponse: positions start at the committed offset, or 0.
OnFetchResponse(w, c, r) ==
    LET x == w.cons[c]
        new == {p \in DOMAIN r.offs : p \notin DOMAIN x.pos /\ p \in x.owned}
    IN IF ~SameGeneration(x, r.d) THEN w
       ELSE [w EXCEPT !.cons[c].pos = [p \in DOMAIN x.pos \cup new |->
                                          IF p \in new THEN Max(r.offs[p], 0) ELSE x.pos[p]]]

\* Consumer.deliver: the oldest awaited answer, then poll.
DeliverDownW(w, c, ch) ==
    LET r == Head(w.down[c])
        w1 == [w EXCEPT !.down[c] = Tail(@), !.cons[c].inflight = BagRemove(@, r.d)]
        w2 == CASE r.k = "join" -> OnJoinResponse(w1, c, r, ch)
                [] r.k = "sync" -> OnSyncResponse(w1, c, r)
                [] r.k = "heartbeat" -> OnHeartbeatResponse(w1, c, r)
                [] r.k = "commit" -> OnCommitResponse(w1, c, r, ch)
                [] r.k = "fetch" -> OnFetchResponse(w1, c, r)
                [] OTHER -> w1
    IN Poll(w2, c, ch)

-----------------------------------------------------------------------------
(* The assignor: what ClassicGroup assumes of every one (model.ValidPlan). *)
(* Each partition of a topic some member subscribes to (as far as the     *)
(* leader's metadata knows it) goes to exactly one member that subscribes *)
(* to its topic — or, under cooperative-sticky, stays unassigned while    *)
(* some member claims it; and under cooperative-sticky nothing is revoked *)
(* from one member and given to another in one generation                 *)
(* (spec.CheckCooperativePlan).                                           *)

Scope(meta, members) ==
    UNION {{<<t, n>> : n \in 0..(meta[t] - 1)} : t \in {t \in Topics : \E i \in 1..Len(members) : t \in members[i].meta.topics}}
Claimed(p, members) == \E i \in 1..Len(members) : p \in members[i].meta.owned
CooperativePlanOK(members, plan) ==
    LET A(m) == IF m.id \in DOMAIN plan THEN plan[m.id] ELSE {}
        added == UNION {A(members[i]) \ members[i].meta.owned : i \in 1..Len(members)}
        revoked == UNION {members[i].meta.owned \ A(members[i]) : i \in 1..Len(members)}
    IN added \cap revoked = {}
\* Every valid plan: a function from member ids to non-empty sets of partitions.
ValidPlans(meta, proto, members) ==
    LET sc == Scope(meta, members)
        ids == {members[i].id : i \in 1..Len(members)}
        Subscribes(id, p) == \E i \in 1..Len(members) : members[i].id = id /\ p[1] \in members[i].meta.topics
        Options(p) == {id \in ids : Subscribes(id, p)} \cup (IF proto = "cooperative-sticky" /\ Claimed(p, members) THEN {NoId} ELSE {})
        Choices == {f \in [sc -> ids \cup {NoId}] : \A p \in sc : f[p] \in Options(p)}
        PlanOf(f) == [id \in {f[p] : p \in sc} \ {NoId} |-> {p \in sc : f[p] = id}]
    IN {PlanOf(f) : f \in {f \in Choices : proto # "cooperative-sticky" \/ CooperativePlanOK(members, PlanOf(f))}}

-----------------------------------------------------------------------------
(* Steps *)

\* The end of a step: a consumer that failed is down (coordinator steps:
\* rule 2 on the grants).
FencingOK(g, gr) ==
    LET i == MemberIndex(g, gr.member)
        current == i # 0 /\ gr.gen = g.gen /\ (gr.inst = "" \/ g.members[i].inst = gr.inst)
    IN CASE gr.k = "commit" -> (g.st = "Empty" /\ gr.gen < 0) \/ (g.st \in {"Stable", "PreparingRebalance"} /\ current)
         [] gr.k = "sync" -> g.st = "Stable" /\ current /\ g.members[i].assign = gr.assign
         [] gr.k = "heartbeat" -> g.st \in {"Stable", "CompletingRebalance"} /\ current
         [] OTHER -> current
FinishG(w) == [w EXCEPT !.ghost.badFencing = @ \/ \E j \in DOMAIN w.grants : ~FencingOK(w.grp, w.grants[j])]
FinishC(w, c) == IF w.failed THEN Down(w, c) ELSE w

\* The choices a step of consumer c can make. Values that could only lead to
\* a budget overspent, or to the same successor as another value, are left
\* out (the set of successors is the same).
TimeoutsLeft == ghost.spent.timeouts < Timeouts
Choice(c, tick) ==
    LET x == cons[c] IN
    [bo : IF SlowBackoff THEN BOOLEAN ELSE {FALSE},
     ac : IF Cfg(c).autoCommit THEN BOOLEAN ELSE {FALSE},
     rev : IF x.rev.on /\ TimeoutsLeft THEN BOOLEAN ELSE {FALSE},
     exp : IF tick /\ DOMAIN x.inflight # {} /\ (TimeoutsLeft \/ Orphaned(World, c)) THEN BOOLEAN ELSE {FALSE},
     hb : IF tick /\ x.st \in {"syncing", "stable"}
          THEN {0} \cup (IF TimeoutsLeft THEN {1} ELSE {}) \cup (IF x.stalled THEN {2} ELSE {})
                   \cup (IF Heartbeats = 0 \/ HeartbeatsInFlight(x) < Heartbeats THEN {3} ELSE {})
          ELSE {0},
     refresh : IF tick /\ x.meta # topics THEN BOOLEAN ELSE {FALSE},
     plan : {<<>>}]

ConsumerStep(c, tick, F(_)) == \E ch \in Choice(c, tick) : Become(FinishC(F(ch), c))

IsRunning(c) == cons[c].st \in Running

\* Abandoned: no running, unfrozen consumer holds the member id or has it on
\* its way, so nothing will keep its session alive: its timers are forced.
Abandoned(id) ==
    ~\E c \in Consumers : IsRunning(c) /\ ~cons[c].frozen
                          /\ (cons[c].member = id \/ \E j \in DOMAIN down[c] : down[c][j].member = id)

Perturb(w, allowed) == [Spend(w, "perturb", Perturbations, FALSE) EXCEPT !.ok = @ /\ allowed]

\* Network: a request reaches the coordinator (Cluster.handOver).
DeliverUp(c, i) ==
    LET r == Head(up[c][i]) IN
    \E eq \in (IF r.k = "join" THEN BOOLEAN ELSE {FALSE}) : Become(FinishG(Handle(PopUp(World, c, i), r, eq)))
DeliverAdmin == admin # <<>> /\ Become(FinishG(Leave([World EXCEPT !.admin = Tail(@)], NoId, Head(admin))))
\* Network: an awaited answer reaches its consumer (Consumer.deliver).
DeliverDown(c) ==
    /\ down[c] # <<>> /\ IsRunning(c) /\ ~cons[c].frozen
    /\ LET r == Head(down[c])
           assigns == r.k = "join" /\ r.code = "NONE" /\ r.leader = r.member /\ ~r.skip
       IN \E ch \in Choice(c, FALSE) :
          \E plan \in (IF assigns THEN ValidPlans(cons[c].meta, r.proto, r.members) ELSE {<<>>}) :
             Become(FinishC(DeliverDownW(World, c, [ch EXCEPT !.plan = plan]), c))
\* Network: a message is lost.
DropUp(c, i) == Become(PopUp(Spend(World, "drops", Drops, FALSE), c, i))
DropAdmin == admin # <<>> /\ Become([Spend(World, "drops", Drops, FALSE) EXCEPT !.admin = Tail(@)])
DropDown(c) == /\ down[c] # <<>> /\ IsRunning(c) /\ ~cons[c].frozen
               /\ Become([Spend(World, "drops", Drops, FALSE) EXCEPT !.down[c] = Tail(@)])

\* The coordinator's timers (Coordinator.fire).
SessionExpire(i) ==
    LET m == grp.members[i] IN
    /\ ~(~m.new /\ (Joined(m) \/ m.sync.k # "none"))   \* hasSatisfiedHeartbeat: no effect
    /\ Become(FinishG(ExpireSession(SpendTimeout(World, Abandoned(m.id)), i)))
PendingExpire(id) == Become(FinishG(ExpirePending(SpendTimeout(World, Abandoned(id)), id)))
JoinTimeoutForced ==
    \/ grp.fromEmpty
    \/ \E i \in 1..Len(grp.members) : ~Joined(grp.members[i]) /\ Abandoned(grp.members[i].id)
    \/ \E id \in grp.pending : Abandoned(id)
JoinTimeout == grp.st = "PreparingRebalance" /\ Become(FinishG(CompleteJoin(SpendTimeout(World, JoinTimeoutForced))))
SyncTimeout ==
    /\ grp.st \in {"CompletingRebalance", "Stable"} /\ grp.pendingSync # {}
    /\ LET forced == \E id \in grp.pendingSync : ~IsMember(grp, id) \/ Abandoned(id) IN
       Become(FinishG(ExpirePendingSync(SpendTimeout(World, forced))))

\* A consumer's timers: one pass of them, then poll (Cluster.fireConsumer).
ConsumerTick(c) == IsRunning(c) /\ ~cons[c].frozen /\ ConsumerStep(c, TRUE, LAMBDA ch : Tick(World, c, ch))

\* The environment (Cluster's actions).
StartConsumer(c) == cons[c].st = "notstarted" /\ ConsumerStep(c, FALSE, LAMBDA ch : Start(World, c, ch))
Restart(c) == cons[c].st = "down" /\ ConsumerStep(c, FALSE, LAMBDA ch : Start(Perturb(World, AllowRestart), c, ch))
Crash(c) == IsRunning(c) /\ Become(Down(Perturb(World, TRUE), c))
Thaw(c) == IsRunning(c) /\ cons[c].frozen /\ ConsumerStep(c, TRUE, LAMBDA ch : Tick([World EXCEPT !.cons[c].frozen = FALSE], c, ch))
CloseConsumer(c) == IsRunning(c) /\ ~cons[c].frozen /\ Become(Close(Perturb(World, TRUE), c))
Freeze(c) == IsRunning(c) /\ ~cons[c].frozen /\ Become([Perturb(World, AllowFreeze) EXCEPT !.cons[c].frozen = TRUE])
Unstall(c) == IsRunning(c) /\ ~cons[c].frozen /\ cons[c].stalled
              /\ ConsumerStep(c, FALSE, LAMBDA ch : Poll([World EXCEPT !.cons[c].stalled = FALSE], c, ch))
Stall(c) == IsRunning(c) /\ ~cons[c].frozen /\ ~cons[c].stalled
            /\ Become([Perturb(World, AllowStall) EXCEPT !.cons[c].stalled = TRUE])
ConsumeRecords(c) == IsRunning(c) /\ ~cons[c].frozen /\ ~cons[c].stalled
                     /\ ConsumerStep(c, FALSE, LAMBDA ch : Poll(Consume(Spend(World, "consumes", Consumes, FALSE), c), c, ch))
CommitOffsets(c) == IsRunning(c) /\ ~cons[c].frozen /\ ~cons[c].stalled
                    /\ ConsumerStep(c, FALSE, LAMBDA ch : Poll(CommitSync(Spend(World, "commits", Commits, FALSE), c), c, ch))
AddPartitions(t) == topics[t] >= 0 /\ topics[t] < AddPartitionsUpTo
                    /\ Become([Perturb(World, TRUE) EXCEPT !.topics[t] = @ + 1])
CoordinatorFailover == Become(FinishG(Failover(Perturb(World, AllowFailover))))
RemoveStatic(c) == cons[c].st # "notstarted" /\ Cfg(c).inst # ""
                   /\ Become([Perturb(World, AllowRemoveStatic) EXCEPT !.admin = Append(@, Cfg(c).inst)])

Init ==
    /\ topics = [t \in Topics |-> IF t \in InitTopics THEN InitPartitions ELSE -1]
    /\ grp = InitGroup
    /\ cons = [c \in Consumers |-> ConsRec("notstarted")]
    /\ up = [c \in Consumers |-> <<>>]
    /\ down = [c \in Consumers |-> <<>>]
    /\ admin = <<>>
    /\ ghost = [processed |-> <<>>, badFencing |-> FALSE, badNoLoss |-> FALSE, failedOver |-> FALSE,
                spent |-> [perturb |-> 0, drops |-> 0, timeouts |-> 0, consumes |-> 0, commits |-> 0]]

Next ==
    \/ \E c \in Consumers : \E i \in 1..Len(up[c]) : DeliverUp(c, i) \/ DropUp(c, i)
    \/ DeliverAdmin \/ DropAdmin
    \/ \E c \in Consumers : DeliverDown(c) \/ DropDown(c)
    \/ \E i \in 1..Len(grp.members) : SessionExpire(i)
    \/ \E id \in grp.pending : PendingExpire(id)
    \/ JoinTimeout \/ SyncTimeout
    \/ \E c \in Consumers : \/ ConsumerTick(c) \/ StartConsumer(c) \/ Restart(c) \/ Crash(c) \/ Thaw(c)
                            \/ CloseConsumer(c) \/ Freeze(c) \/ Unstall(c) \/ Stall(c)
                            \/ ConsumeRecords(c) \/ CommitOffsets(c) \/ RemoveStatic(c)
    \/ \E t \in Topics : AddPartitions(t)
    \/ CoordinatorFailover

Spec == Init /\ [][Next]_vars

\* For model checking only (TLC's CONSTRAINT): under the cooperative
\* protocol an assignor that keeps moving partitions makes every round
\* start another, and generations grow without bound.
StateConstraint == /\ MaxGeneration = 0 \/ grp.gen <= MaxGeneration
                   /\ MaxMemberIds = 0 \/ grp.nextId <= MaxMemberIds

-----------------------------------------------------------------------------
(* The rules (DESIGN.md §5), named after their spec predicates. *)

Counted(c) == IsRunning(c) /\ cons[c].gen = grp.gen /\ IsMember(grp, cons[c].member)

\* Rule 1: no partition is owned by two members of the current generation.
CheckExclusiveOwnership ==
    \A c1, c2 \in Consumers : c1 # c2 /\ Counted(c1) /\ Counted(c2) => cons[c1].owned \cap cons[c2].owned = {}

\* Rule 1: the group never holds a partition for two members.
CheckAssignment ==
    \A i, j \in 1..Len(grp.members) : i # j => grp.members[i].assign \cap grp.members[j].assign = {}

\* Rule 2: only current members of the current generation are granted
\* anything (checked on every successful answer, kept in the ghost).
CheckFencing == ~ghost.badFencing

\* Rule 3: nothing committed, and no position, beyond what was processed;
\* no batch starts beyond it (no loss).
ProcessedEnd(p) == IF p \in DOMAIN ghost.processed THEN ghost.processed[p] ELSE 0
CheckCommittedProcessed ==
    /\ ~ghost.badNoLoss
    /\ \A p \in DOMAIN grp.committed : grp.committed[p] <= ProcessedEnd(p)
    /\ \A c \in Consumers : \A p \in DOMAIN cons[c].pos : cons[c].pos[p] <= ProcessedEnd(p)

\* Rule 3: a committed offset never goes back or disappears.
CheckOffsetsMonotonic ==
    [][\A p \in DOMAIN grp.committed : p \in DOMAIN grp'.committed /\ grp'.committed[p] >= grp.committed[p]]_vars

\* Rule 4: a cooperative consumer gives up exactly what it owns and was not
\* assigned. (The other half, spec.CheckCooperativePlan, is part of what the
\* assignor is assumed to do: ValidPlans.)
CheckCooperativeRevoke ==
    \A c \in Consumers : cons[c].rev.on /\ ~cons[c].rev.thenJoin => cons[c].rev.parts = cons[c].owned \ cons[c].rev.pending

\* Rule 5: generations never go back (except when a failover reloads an
\* older group record: Kafka persists a generation only with its
\* assignment), and no consumer is ahead of the group.
CheckGenerations ==
    [][/\ grp'.gen >= grp.gen \/ ghost'.failedOver
       /\ ghost'.failedOver \/ \A c \in Consumers : cons'[c].st \in Running => cons'[c].gen <= grp'.gen]_vars

\* Rule 5: in a Stable group every dynamic member that thinks itself stable
\* is at the group's generation.
CheckStableGeneration ==
    grp.st = "Stable" =>
        \A c \in Consumers : LET i == MemberIndex(grp, cons[c].member) IN
            IsRunning(c) /\ i # 0 /\ grp.members[i].inst = "" /\ cons[c].st = "stable" => cons[c].gen = grp.gen

\* Rule 6: the group has converged (spec.CheckConverged): every running
\* consumer is a stable member at the group's generation consuming what it
\* is assigned, and every partition of a subscribed topic is assigned.
Converged ==
    LET live == {c \in Consumers : IsRunning(c)}
        assigned == UNION {grp.members[i].assign : i \in 1..Len(grp.members)}
        subscribed == UNION {grp.members[i].meta.topics : i \in 1..Len(grp.members)}
    IN IF live = {} THEN grp.st = "Empty" /\ grp.members = <<>>
       ELSE /\ grp.st = "Stable" /\ Len(grp.members) = Cardinality(live)
            /\ \A c \in live : LET i == MemberIndex(grp, cons[c].member) IN
                   i # 0 /\ cons[c].st = "stable" /\ ~cons[c].rejoin /\ cons[c].gen = grp.gen
                   /\ cons[c].owned = grp.members[i].assign
            /\ \A t \in subscribed : \A n \in 0..(topics[t] - 1) : <<t, n>> \in assigned

(* Rule 6 as liveness: once the budgets are spent, only forced timers and  *)
(* the protocol's own steps remain; with weak fairness on each of those,   *)
(* the group converges and stays converged. (Not when a static leader      *)
(* rejoins by replacement after a metadata change, KIP-814: transcript     *)
(* static_leader_misses_metadata_change.)                                  *)
TickWhere(c, P(_)) ==
    IsRunning(c) /\ ~cons[c].frozen /\ \E ch \in Choice(c, TRUE) : P(ch) /\ Become(FinishC(Tick(World, c, ch), c))
HeartbeatDue(c) == TickWhere(c, LAMBDA ch : ch.hb = 3)
MetadataDue(c) == TickWhere(c, LAMBDA ch : ch.refresh)
RequestLost(c) == TickWhere(c, LAMBDA ch : ch.exp /\ Orphaned(World, c))
PollDue(c) == TickWhere(c, LAMBDA ch : ~ch.exp /\ ch.hb = 0 /\ ~ch.refresh /\ ~ch.rev)
Fairness ==
    /\ \A c \in Consumers :
          /\ WF_vars(DeliverDown(c)) /\ WF_vars(HeartbeatDue(c)) /\ WF_vars(MetadataDue(c))
          /\ WF_vars(RequestLost(c)) /\ WF_vars(PollDue(c)) /\ WF_vars(Thaw(c)) /\ WF_vars(Unstall(c))
          /\ WF_vars(StartConsumer(c))
          /\ \A i \in 1..4 : WF_vars(i <= Len(up[c]) /\ DeliverUp(c, i))
    /\ WF_vars(DeliverAdmin) /\ WF_vars(JoinTimeout) /\ WF_vars(SyncTimeout)
    /\ \A i \in 1..Cardinality(Consumers) + 2 : WF_vars(i <= Len(grp.members) /\ SessionExpire(i))
    /\ WF_vars(\E id \in grp.pending : PendingExpire(id))
LiveSpec == Spec /\ Fairness
Convergence == <>[]Converged
=============================================================================
