package model

// The state of ClassicGroup.tla, one Go type per TLA+ record. Every slice
// in a State is immutable once the State is built: successors share what
// they do not change and replace what they do (the TLA+ EXCEPT), so that a
// State is a value.

// ID is a member id: Kafka's "<prefix>-<n>", with the prefix (a consumer's
// client id or a static member's instance id) numbered by Params.Prefix.
// The zero ID is "no id".
type ID struct{ P, N uint16 }

// None reports whether id is "no id".
func (id ID) None() bool { return id == ID{} }

// TP is a partition: topic index << 16 | partition number.
type TP uint32

// Part makes the partition n of topic t.
func Part(t, n int) TP { return TP(t<<16 | n) }

// Topic is the partition's topic index.
func (p TP) Topic() int { return int(p >> 16) }

// Num is the partition's number within its topic.
func (p TP) Num() int { return int(p & 0xffff) }

// MaxTopics bounds the topics a model has (topic sets are bit masks).
const MaxTopics = 4

// Topics is a set of topic indices.
type Topics uint8

// Has reports whether t is in the set.
func (ts Topics) Has(t int) bool { return ts&(1<<t) != 0 }

// Counts are the partition counts of every topic; -1 for a topic that does
// not exist.
type Counts [MaxTopics]int16

// The group's states (Kafka's ClassicGroupState; Dead is never observed:
// a failover replaces the unloaded coordinator at once).
const (
	Empty uint8 = iota
	PreparingRebalance
	CompletingRebalance
	Stable
)

// The consumer's states: spec.ClientState plus not yet started and down
// (crashed, closed or failed).
const (
	NotStarted uint8 = iota
	Down
	Unjoined
	Joining // PREPARING_REBALANCE: waiting for the JoinGroup answer
	Syncing // COMPLETING_REBALANCE: waiting for the SyncGroup answer
	Settled // STABLE
)

// The request kinds (API keys).
const (
	KJoin uint8 = iota + 1
	KSync
	KHeartbeat
	KLeave
	KCommit
	KFetch
)

// Desc describes a request a consumer awaits the answer to: what the
// consumer's in-flight list holds, and what every request and response of
// it carries. K == 0 marks a request nobody awaits the answer to (its
// sender has moved on: crashed, restarted, or lost its connection).
type Desc struct {
	K uint8
	G int32 // the consumer's generation when it sent the request
	M ID    // its member id then
	R bool  // a commit the pending revocation waits for
}

// Live reports whether the answer is awaited.
func (d Desc) Live() bool { return d.K != 0 }

// Parked is a JoinGroup or SyncGroup the coordinator holds.
type Parked struct {
	K  uint8 // ParkNone, ParkDead, ParkLive
	To uint8 // the consumer awaiting the answer (ParkLive)
	D  Desc
}

// Parked kinds.
const (
	ParkNone uint8 = iota
	ParkDead       // parked, but its answer goes to nobody
	ParkLive
)

// Parked reports whether a request is parked.
func (p Parked) Parked() bool { return p.K != ParkNone }

// Meta is a subscription's metadata, as a JoinGroup carries it: the
// topics, the partitions the member owns and the generation it owns them
// in. Assignor user data is not modelled (see ProtocolsEqual).
type Meta struct {
	Topics Topics
	Owned  PSet
	Gen    int32
}

// Member is one member of the group (ClassicGroupMember).
type Member struct {
	ID         ID
	Inst       uint8   // instance id (index+1 into Params.Instances), 0 for a dynamic member
	Names      []uint8 // the assignors it supports, in preference order
	Meta       Meta
	Assign     PSet
	Join, Sync Parked
	New        bool // joined in this join phase
}

// Record is the group as its last group record persisted it.
type Record struct {
	Has     bool
	Gen     int32
	Proto   uint8
	Leader  ID
	Members []RecMember
}

// RecMember is one member of a Record.
type RecMember struct {
	ID     ID
	Inst   uint8
	Meta   Meta
	Assign PSet
}

// Group is the coordinator's group.
type Group struct {
	Exists      bool
	St          uint8
	FromEmpty   bool // PreparingRebalance entered from Empty: the initial delay runs
	Gen         int32
	Proto       uint8 // the selected assignor, 0 before one is
	Leader      ID
	Members     []Member // in admission order
	Pending     []ID     // KIP-394 pending members, sorted
	PendingSync []ID     // members that have not synced since the join completed, sorted
	Committed   Offs
	Rec         Record // the last group record in the log
	MaxRecID    uint16 // the highest id number in any group record (Load's counter)
	NextID      uint16 // the coordinator's id counter
}

// PlanEntry is one member's part of a leader's plan.
type PlanEntry struct {
	M ID
	A PSet
}

// Req is a request on its way to the coordinator.
type Req struct {
	K      uint8
	D      Desc  // who awaits the answer (D.K == 0: nobody)
	From   uint8 // the sending consumer (its name is the client id)
	Member ID
	Inst   uint8
	Gen    int32
	// JoinGroup
	Names  []uint8
	Meta   Meta
	SessOK bool // the session timeout is within the broker's bounds
	// SyncGroup (Plan only from the leader)
	Proto uint8
	Plan  []PlanEntry
	// OffsetCommit
	Offs Offs
	Big  bool // metadata over offset.metadata.max.bytes
	// OffsetFetch
	Parts PSet
}

// JMember is one member of a leader's JoinGroup answer.
type JMember struct {
	ID   ID
	Inst uint8
	Meta Meta
}

// Resp is an awaited answer on its way to a consumer.
type Resp struct {
	K    uint8
	D    Desc
	Code uint8
	// JoinGroup
	Member  ID
	Gen     int32
	Proto   uint8
	Leader  ID
	Skip    bool
	Members []JMember
	// SyncGroup
	Assign PSet
	// OffsetFetch: the committed offset of each partition asked for, -1 if none
	Offs Offs
}

// Revoking is a revocation waiting for its commit.
type Revoking struct {
	On       bool
	Parts    PSet
	InFlight bool // its commit is in flight (false: a retry is due)
	ThenJoin bool // a rejoin follows; else finishing Pending
	Pending  PSet
}

// DC is one entry of an in-flight bag: a descriptor and how many requests
// it describes.
type DC struct {
	D Desc
	N uint8
}

// Consumer is one consumer process (a running one, or the marker of one
// that is down or not started).
type Consumer struct {
	St  uint8
	Cur bool // the last of Up's links is this process's own
	Cfg uint8
	// Membership (AbstractCoordinator)
	Member  ID
	Gen     int32
	Proto   uint8
	Leader  bool
	Rejoin  bool // rejoinNeeded
	Prepare bool // needsJoinPrepare
	Stalled bool
	Frozen  bool
	Unknown bool // coordinatorUnknown
	Owned   PSet
	Pos     Offs
	Meta    Counts
	HasSnap bool
	Snap    Counts // -2 for topics outside the snapshot
	Rev     Revoking
	// Inflight is the bag of requests awaiting an answer, sorted.
	Inflight []DC
}

// Running reports whether the process runs (frozen or not).
func (c *Consumer) Running() bool { return c.St >= Unjoined }

// The ghost flags of rules checked inside steps.
const (
	BadFencing uint8 = 1 << iota
	BadCoopPlan
	BadCoopRevoke
	BadNoLoss
)

// Ghost is what the model checker needs besides the protocol's state:
// history for the rules and the budgets spent. The refinement check ignores
// it.
type Ghost struct {
	Processed  Offs  // every offset below is processed (spec.Ledger's end)
	Bad        uint8 // rules broken inside a step
	FailedOver bool
	Spent      Spent
}

// Spent counts what the budgets of Params have been used for.
type Spent struct {
	Perturb, Drops, Timeouts, Consumes, Commits uint8
}

// State is one state of the specification.
type State struct {
	Topics Counts
	G      Group
	C      []Consumer
	// Up holds, per consumer, its links to the coordinator that carry
	// requests, oldest process first; Down the awaited answers to its
	// current process.
	Up    [][][]Req
	Down  [][]Resp
	Admin []uint8 // administrators' LeaveGroups (instance ids) in flight
	Ghost Ghost
}
