// Package coordinator is the group coordinator of Kafka's classic group
// protocol as a deterministic state machine: JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, OffsetCommit and OffsetFetch, with Kafka's states, timers and
// error codes (the Java GroupMetadataManager of Kafka 4.0 for classic groups).
//
// Nothing inside reads a clock, a random source or the network. Every input
// is a spec.Message given to Step with the current logical time
// (milliseconds): a request from a client, or a local input — spec.Tick
// fires the timers due (call it at NextDeadline), spec.FireTimer only the
// earliest of them, spec.Unload is a failover. Each Step returns a Ready: the
// responses to deliver (a parked JoinGroup is answered in a later Ready), the
// records to persist, and the group state changes made. Group metadata and
// committed offsets change only through records, so Load on the record log
// rebuilds them as a new coordinator would after a failover.
//
// AppendState encodes the state canonically and Clone copies it, for
// explorers that compare and branch states.
package coordinator

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// Config is the coordinator's configuration, with Kafka's broker setting
// names. Start from DefaultConfig.
type Config struct {
	// GroupMaxSize is group.max.size; 0 means no limit (Kafka's default is
	// Integer.MAX_VALUE).
	GroupMaxSize int
	// InitialRebalanceDelayMs is group.initial.rebalance.delay.ms.
	InitialRebalanceDelayMs int64
	// MinSessionTimeoutMs and MaxSessionTimeoutMs are
	// group.min.session.timeout.ms and group.max.session.timeout.ms.
	MinSessionTimeoutMs, MaxSessionTimeoutMs int32
	// NewMemberJoinTimeoutMs is Kafka's hard-coded 5-minute timeout for a
	// member that joined during a rebalance and is waiting for it to complete.
	NewMemberJoinTimeoutMs int64
	// OffsetMetadataMaxBytes is offset.metadata.max.bytes, which Kafka
	// compares with the metadata's length in UTF-16 code units.
	OffsetMetadataMaxBytes int
	// The consumer groups' settings (KIP-848): group.consumer.session.timeout.ms,
	// group.consumer.heartbeat.interval.ms, group.consumer.max.size (0: no
	// limit) and group.consumer.assignors (nil: uniform, then range).
	ConsumerSessionTimeoutMs    int32
	ConsumerHeartbeatIntervalMs int32
	ConsumerGroupMaxSize        int
	ConsumerAssignors           []string
	// mockAssignor, set by tests, computes every target assignment, as
	// Kafka's tests use a MockPartitionAssignor.
	mockAssignor assignors.ServerAssignor
	// Bugs are planted defects, for showing that checkers catch them; none
	// in the zero value.
	Bugs mutant.Set
}

// consumerAssignors is group.consumer.assignors.
func (c Config) consumerAssignors() []string {
	if len(c.ConsumerAssignors) == 0 {
		return defaultConsumerAssignors
	}
	return c.ConsumerAssignors
}

var defaultConsumerAssignors = []string{"uniform", "range"}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		InitialRebalanceDelayMs: 3000,
		MinSessionTimeoutMs:     6000,
		MaxSessionTimeoutMs:     1800000,
		NewMemberJoinTimeoutMs:  300000,
		OffsetMetadataMaxBytes:  4096,

		ConsumerSessionTimeoutMs:    45000,
		ConsumerHeartbeatIntervalMs: 5000,
	}
}

func (c Config) validate() error {
	switch {
	case c.GroupMaxSize < 0:
		return fmt.Errorf("coordinator config: group.max.size %d is negative", c.GroupMaxSize)
	case c.InitialRebalanceDelayMs < 0:
		return fmt.Errorf("coordinator config: group.initial.rebalance.delay.ms %d is negative", c.InitialRebalanceDelayMs)
	case c.MinSessionTimeoutMs < 0 || c.MaxSessionTimeoutMs < c.MinSessionTimeoutMs:
		return fmt.Errorf("coordinator config: session timeout bounds [%d, %d] are not a range", c.MinSessionTimeoutMs, c.MaxSessionTimeoutMs)
	case c.NewMemberJoinTimeoutMs <= 0:
		return fmt.Errorf("coordinator config: new member join timeout %d must be positive", c.NewMemberJoinTimeoutMs)
	case c.OffsetMetadataMaxBytes < 0:
		return fmt.Errorf("coordinator config: offset.metadata.max.bytes %d is negative", c.OffsetMetadataMaxBytes)
	case c.ConsumerHeartbeatIntervalMs <= 0 || c.ConsumerSessionTimeoutMs <= c.ConsumerHeartbeatIntervalMs:
		return fmt.Errorf("coordinator config: group.consumer.heartbeat.interval.ms %d must be positive and below group.consumer.session.timeout.ms %d",
			c.ConsumerHeartbeatIntervalMs, c.ConsumerSessionTimeoutMs)
	case c.ConsumerGroupMaxSize < 0:
		return fmt.Errorf("coordinator config: group.consumer.max.size %d is negative", c.ConsumerGroupMaxSize)
	}
	for _, n := range c.ConsumerAssignors {
		if _, err := assignors.ServerByName(n); err != nil {
			return fmt.Errorf("coordinator config: group.consumer.assignors: %w", err)
		}
	}
	return nil
}

// Ready is what one input produced. Its slices belong to the coordinator
// and are reused by the next Step: copy what you keep.
type Ready struct {
	// Responses to deliver, in order; each answers a request of an earlier or
	// the current input, matched by (To, Correlation).
	Responses []spec.Message
	// Records to persist, in order.
	Records []Record
	// Transitions made, in order.
	Transitions []spec.Transition
}

// Coordinator is the group coordinator for any number of classic groups.
type Coordinator struct {
	cfg    Config
	groups map[string]*group
	// offsets are every group's committed offsets, by group id, whatever
	// the group's type (Kafka's OffsetMetadataManager).
	offsets map[string]*offsetStore
	// cgroups are the consumer groups (KIP-848); a group id names a group
	// of one type at most.
	cgroups map[string]*cgroup
	// topics is the metadata image: every topic's partition count.
	topics map[string]int32
	// metadataVersion counts the metadata images: the version a regex
	// resolution records (Kafka's image offset).
	metadataVersion int64
	timers          timerQueue
	now             int64
	nextID          uint64 // numbers new member ids
	nextSeq         uint64 // numbers admissions
	active          bool   // false once unloaded: every request gets NOT_COORDINATOR
	out             Ready
	// offsetRecords are allocated, not yet used offset records.
	offsetRecords []OffsetRecord
	// halted is ErrGenerationLimit once a group passed MaxGeneration: every
	// later Step returns it.
	halted error
}

// New returns a coordinator with no groups.
func New(cfg Config) (*Coordinator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Coordinator{cfg: cfg, groups: map[string]*group{}, offsets: map[string]*offsetStore{},
		cgroups: map[string]*cgroup{}, topics: map[string]int32{}, active: true}, nil
}

// ErrTimeWentBack is returned when an input's time is before an earlier one's.
var ErrTimeWentBack = errors.New("coordinator: time went backwards")

// ErrGenerationLimit is returned by the Step in which a group at
// MaxGeneration had to start another generation, and by every Step after:
// the coordinator halts rather than write a generation Load would refuse
// (see MaxGeneration). What that Step produced is discarded.
var ErrGenerationLimit = errors.New("coordinator: generation limit reached")

// Step takes one input at time now: a request (m.Body a spec.Request, m.From
// where the answer goes, m.Correlation echoed in it) or a local input
// (*spec.Tick, *spec.FireTimer, *spec.Unload). A request does not fire the
// timers due at or before now; Tick first. An input of another kind, or a
// time before the last one's, is an error and changes nothing.
func (c *Coordinator) Step(now int64, m spec.Message) (rd Ready, err error) {
	defer assert.Recover(&err)
	if c.halted != nil {
		return Ready{}, c.halted
	}
	if now < c.now {
		return Ready{}, fmt.Errorf("%w: %d after %d", ErrTimeWentBack, now, c.now)
	}
	switch body := m.Body.(type) {
	case spec.Request:
		if !served(body) {
			return Ready{}, fmt.Errorf("coordinator: unsupported request %T", body)
		}
		c.now = now
		c.handle(parked{to: m.From, corr: m.Correlation}, body)
	case *spec.Tick:
		c.tick(now, false)
	case *spec.FireTimer:
		c.tick(now, true)
	case *spec.Unload:
		c.now = now
		c.unload()
	case *spec.MetadataUpdate:
		c.now = now
		c.updateMetadata(body.Topics)
	default:
		return Ready{}, fmt.Errorf("coordinator: input %T is not a request, Tick, FireTimer, Unload or MetadataUpdate", m.Body)
	}
	if c.halted != nil {
		return Ready{}, c.halted
	}
	return c.flush(), nil
}

// Tick fires, in deadline order, every timer due at or before now: Step with
// a spec.Tick.
func (c *Coordinator) Tick(now int64) (Ready, error) { return c.Step(now, tickInput) }

var tickInput = spec.Message{Body: &spec.Tick{}}

func (c *Coordinator) handle(p parked, req spec.Request) {
	if !c.active {
		c.respond(p, notCoordinator(req))
		return
	}
	if c.classicToConsumerGroup(p, req) {
		return
	}
	switch r := req.(type) {
	case *spec.JoinGroupRequest:
		c.join(p, r)
	case *spec.SyncGroupRequest:
		c.syncGroup(p, r)
	case *spec.HeartbeatRequest:
		c.respond(p, heartbeatAnswer(c.heartbeat(r)))
	case *spec.LeaveGroupRequest:
		c.respond(p, c.leave(r))
	case *spec.OffsetCommitRequest:
		c.respond(p, c.commit(r))
	case *spec.OffsetFetchRequest:
		c.respond(p, c.fetch(r))
	case *spec.ConsumerGroupHeartbeatRequest:
		c.respond(p, c.cgHeartbeat(r))
	default:
		c.respond(p, unsupported(req))
	}
}

// NextDeadline returns the earliest time a timer is due, if any is armed.
func (c *Coordinator) NextDeadline() (int64, bool) { return c.timers.next() }

// tick fires, in deadline order, every timer due at or before now (only the
// first of them if one is set). Each timer acts at its own deadline.
func (c *Coordinator) tick(now int64, one bool) {
	for {
		t, at := c.timers.popDue(now)
		if t == nil {
			break
		}
		c.now = at
		c.fire(t)
		if one {
			break
		}
	}
	c.now = now
}

func (c *Coordinator) fire(t *timer) {
	switch t.kind {
	case timerSession:
		c.expireSession(t.group, t.member)
	case timerPendingSession:
		c.expirePending(t.group, t.pendID)
	case timerJoin:
		if t.group.initialDelayRunning {
			c.tryCompleteInitialRebalance(t.group)
		} else {
			c.completeJoin(t.group)
		}
	case timerSync:
		c.expirePendingSync(t.group, t.gen)
	case timerCGSession:
		c.expireCGSession(t.cgroup, t.cmember)
	case timerCGRebalance:
		c.expireCGRebalance(t.cgroup, t.cmember)
	}
}

// Describe returns the group's view; a group that does not exist is an Empty
// group at generation 0 with no members.
//
// A consumer group is described in the classic view's terms (see
// cgroup.groupView); DescribeConsumerGroup has its own view.
func (c *Coordinator) Describe(groupID string) spec.GroupView {
	if g, ok := c.cgroups[groupID]; ok {
		return g.groupView()
	}
	g, ok := c.groups[groupID]
	if !ok {
		return spec.GroupView{GroupID: groupID, State: spec.Empty}
	}
	return g.view(false)
}

// DescribeShared is Describe for a caller that only reads the view, many
// times a second: the view shares each member's topics and assignment with
// the coordinator, which never modifies them in place (a new join or plan
// replaces them), so they stay as they were described. The caller must not
// modify them.
func (c *Coordinator) DescribeShared(groupID string) spec.GroupView {
	if g, ok := c.cgroups[groupID]; ok {
		return g.groupView()
	}
	g, ok := c.groups[groupID]
	if !ok {
		return spec.GroupView{GroupID: groupID, State: spec.Empty}
	}
	return g.view(true)
}

// Committed returns the group's committed offsets.
func (c *Coordinator) Committed(groupID string) map[spec.TopicPartition]int64 {
	out := map[spec.TopicPartition]int64{}
	if s, ok := c.offsets[groupID]; ok {
		for tp, o := range s.offsets {
			out[tp] = o.value
		}
	}
	return out
}

// CommittedOffset returns the group's committed offset of tp, if any.
func (c *Coordinator) CommittedOffset(groupID string, tp spec.TopicPartition) (int64, bool) {
	if s, ok := c.offsets[groupID]; ok {
		o, ok := s.offsets[tp]
		return o.value, ok
	}
	return 0, false
}

// OffsetWrites counts the offsets the group has applied, ever (each accepted
// commit of a partition, each replayed): a driver that mirrors Committed
// knows from an unchanged count that its mirror is still exact.
func (c *Coordinator) OffsetWrites(groupID string) uint64 {
	if s, ok := c.offsets[groupID]; ok {
		return s.writes
	}
	return 0
}

// unload is a coordinator losing its partition of __consumer_offsets (a
// failover): every group goes Dead, parked requests get NOT_COORDINATOR, and
// from now on every request does. Load the records on a new coordinator.
func (c *Coordinator) unload() {
	for _, id := range spec.SortedKeys(c.groups) {
		g := c.groups[id]
		for _, m := range g.byAdmission() {
			if m.join != nil { // GroupMetadataManager.onUnloaded names the member
				c.respond(*m.join, &spec.JoinGroupResponse{ErrorCode: spec.NotCoordinator, GenerationID: -1, MemberID: m.id})
			}
			if m.sync != nil {
				c.respond(*m.sync, &spec.SyncGroupResponse{ErrorCode: spec.NotCoordinator})
			}
			g.setJoin(m, nil)
			m.sync = nil
			c.timers.disarm(&m.session)
		}
		for _, p := range g.pending {
			c.timers.disarm(&p.session)
		}
		c.timers.disarm(&g.joinTimer)
		c.timers.disarm(&g.syncTimer)
		c.transition(g, spec.Dead)
	}
	c.unloadCG()
	c.active = false
}

func notCoordinator(req spec.Request) spec.Response {
	switch r := req.(type) {
	case *spec.JoinGroupRequest:
		return &spec.JoinGroupResponse{ErrorCode: spec.NotCoordinator, GenerationID: -1}
	case *spec.SyncGroupRequest:
		return &spec.SyncGroupResponse{ErrorCode: spec.NotCoordinator}
	case *spec.HeartbeatRequest:
		return &spec.HeartbeatResponse{ErrorCode: spec.NotCoordinator}
	case *spec.LeaveGroupRequest:
		return &spec.LeaveGroupResponse{ErrorCode: spec.NotCoordinator}
	case *spec.OffsetCommitRequest:
		return commitError(r, spec.NotCoordinator)
	case *spec.OffsetFetchRequest:
		return &spec.OffsetFetchResponse{ErrorCode: spec.NotCoordinator}
	case *spec.ConsumerGroupHeartbeatRequest:
		return &spec.ConsumerGroupHeartbeatResponse{ErrorCode: spec.NotCoordinator}
	}
	return unsupported(req)
}

// served reports whether the coordinator handles requests of req's type.
func served(req spec.Request) bool {
	switch req.(type) {
	case *spec.JoinGroupRequest, *spec.SyncGroupRequest, *spec.HeartbeatRequest, *spec.LeaveGroupRequest,
		*spec.OffsetCommitRequest, *spec.OffsetFetchRequest, *spec.ConsumerGroupHeartbeatRequest:
		return true
	}
	return false
}

// heartbeatAnswers are shared answers, one per error code below 128, so that
// a heartbeat allocates nothing. Like every response, they are never modified.
var heartbeatAnswers = func() (a [128]spec.HeartbeatResponse) {
	for i := range a {
		a[i].ErrorCode = spec.ErrorCode(i)
	}
	return a
}()

func heartbeatAnswer(code spec.ErrorCode) *spec.HeartbeatResponse {
	if code >= 0 && int(code) < len(heartbeatAnswers) {
		return &heartbeatAnswers[code]
	}
	return &spec.HeartbeatResponse{ErrorCode: code}
}

// unsupported answers a request of an API the coordinator does not serve.
// Every spec.Request type is served, so reaching it is a bug.
func unsupported(req spec.Request) spec.Response {
	assert.Fail("coordinator: no handler for %T (%s)", req, req.Key())
	return nil
}

func (c *Coordinator) respond(p parked, body spec.Response) {
	c.out.Responses = append(c.out.Responses, spec.Message{From: spec.CoordinatorNode, To: p.to, Correlation: p.corr, Body: body})
}

func (c *Coordinator) record(r Record) {
	c.out.Records = append(c.out.Records, r)
}

// flush hands out what the input produced; the buffers are reused by the
// next input, so that a heartbeat allocates nothing.
func (c *Coordinator) flush() Ready {
	out := c.out
	c.out = Ready{Responses: out.Responses[:0], Records: out.Records[:0], Transitions: out.Transitions[:0]}
	return out
}

// transition moves g to state `to`, which must be allowed from its current
// state: anything else is a bug in this package.
func (c *Coordinator) transition(g *group, to spec.GroupState) {
	if !spec.CanTransition(g.state, to) {
		assert.Fail("coordinator: group %s cannot move from %s to %s", g.id, g.state, to)
	}
	c.out.Transitions = append(c.out.Transitions, spec.Transition{Group: g.id, From: g.state, To: to,
		FromGeneration: g.transitionGen, ToGeneration: g.generation})
	g.prevState, g.state, g.transitionGen = g.state, to, g.generation
}

// newMemberID is Kafka's "<client id or instance id>-<UUID>", with a
// coordinator-wide sequence number standing in for the UUID.
func (c *Coordinator) newMemberID(prefix string) string {
	c.nextID++
	return prefix + "-" + strconv.FormatUint(c.nextID, 10)
}
