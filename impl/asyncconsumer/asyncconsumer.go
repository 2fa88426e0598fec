// Package asyncconsumer is the group membership logic of one KIP-848 Kafka
// consumer (group.protocol=consumer: AsyncKafkaConsumer's
// ConsumerMembershipManager, AbstractMembershipManager,
// ConsumerHeartbeatRequestManager and the commits of CommitRequestManager)
// as a deterministic state machine: the ConsumerGroupHeartbeat loop, the
// reconciliation of the assignment the coordinator sends (revoke first, then
// assign, then acknowledge), fencing, the poll timeout, leaving, positions
// and commits.
//
// It has the outward shape of package consumer (the classic protocol), so a
// composed run can hold either: New, Step with a spec.Message, NextDeadline,
// View, AppendState, Clone, and consumer.Output as the output.
//
// Kafka runs the membership on a background thread and the rebalance
// listener on the application thread, inside poll(). Here the background
// half (heartbeats, their timers, auto-commit) runs on every input; the
// application half (the listener's revoked/assigned/lost callbacks, and so
// every step of a reconciliation) runs only while the application is not
// stalled, at the end of every input, as poll() would. A listener is always
// registered.
//
// It is not a classic consumer: there is no JoinGroup, SyncGroup or
// client-side assignor; the coordinator computes the assignment.
//
// One divergence is forced by the zero-latency network kgroup's runs may
// have: a fenced member rejoins at epoch 0 with its member id at once, as
// Kafka's does, but if that rejoin is fenced too (the coordinator still
// holds the member at a later epoch, and fences epoch 0 until the member's
// session expires: the "unverified edge" of kafka-facts §3), the next
// attempt waits retry.backoff.ms, growing to retry.backoff.max.ms. Kafka
// retries at once and each attempt costs a round trip; without the backoff
// no time would pass between attempts.
package asyncconsumer

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/internal/positions"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// GroupProtocol is group.protocol for this consumer, as spec.ConsumerView
// names it.
const GroupProtocol = "consumer"

// Config is one KIP-848 consumer's configuration, with Kafka's setting
// names. Start from DefaultConfig.
type Config struct {
	// Name is the process's name and its client.id.
	Name string
	// Address is the network endpoint it sends from; Name when empty.
	Address string
	GroupID string
	// Topics is the subscription (topic names): subscribe(Collection).
	Topics []string
	// TopicRegex is a subscription to a regular expression the coordinator
	// resolves (RE2/J syntax): subscribe(SubscriptionPattern). A consumer
	// subscribes to names or to a regex, not both, as Kafka's client does.
	TopicRegex string
	// InstanceID is group.instance.id; "" for a dynamic member.
	InstanceID string
	// Rack is client.rack, sent when joining; "" for none.
	Rack string
	// RebalanceTimeoutMs is sent in the first heartbeat; Kafka sends
	// max.poll.interval.ms.
	RebalanceTimeoutMs int32
	// MaxPollIntervalMs is max.poll.interval.ms: an application stalled
	// longer leaves the group (the member goes STALE).
	MaxPollIntervalMs int64
	// HeartbeatIntervalMs is heartbeat.interval.ms, used until the
	// coordinator's first answer gives its own interval.
	HeartbeatIntervalMs int64
	// ServerAssignor is group.remote.assignor; "" lets the coordinator choose.
	ServerAssignor    string
	RequestTimeoutMs  int64 // request.timeout.ms
	RetryBackoffMs    int64 // retry.backoff.ms
	RetryBackoffMaxMs int64 // retry.backoff.max.ms
	// DefaultAPITimeoutMs is default.api.timeout.ms, how long the
	// listener's commitSync retries.
	DefaultAPITimeoutMs int64
	// AutoCommit is enable.auto.commit: commit positions every
	// AutoCommitIntervalMs, and before each reconciliation and close.
	AutoCommit           bool
	AutoCommitIntervalMs int64
	// CommitOnRevoke makes the rebalance listener commit the positions of
	// the partitions it gives up in onPartitionsRevoked.
	CommitOnRevoke bool
	// Bugs are planted defects; none in the zero value.
	Bugs mutant.Set
}

// DefaultConfig returns Kafka's client defaults for a consumer named name
// in group groupID subscribed to topics, with kgroup's choices of package
// consumer where Kafka's default does not fit a simulation: the listener
// commits on revoke, and a partition with no committed offset starts at 0.
func DefaultConfig(name, groupID string, topics ...string) Config {
	return Config{
		Name: name, GroupID: groupID, Topics: topics,
		RebalanceTimeoutMs: 300000, MaxPollIntervalMs: 300000, HeartbeatIntervalMs: 3000,
		RequestTimeoutMs: 30000, RetryBackoffMs: 100, RetryBackoffMaxMs: 1000, DefaultAPITimeoutMs: 60000,
		AutoCommit: true, AutoCommitIntervalMs: 5000, CommitOnRevoke: true,
	}
}

// Validate checks a configuration as New does.
func Validate(c Config) error { return c.validate() }

func (c Config) validate() error {
	switch {
	case c.Name == "":
		return errors.New("async consumer config: a name is required")
	case c.GroupID == "":
		return fmt.Errorf("async consumer %s: a group id is required", c.Name)
	case c.TopicRegex != "" && len(c.Topics) > 0:
		return fmt.Errorf("async consumer %s: subscribe to topic names or to a regex, not both", c.Name)
	case c.TopicRegex == "" && (len(c.Topics) == 0 || slices.Contains(c.Topics, "")):
		return fmt.Errorf("async consumer %s: the subscription must name at least one topic, none empty, or be a regex", c.Name)
	case c.RebalanceTimeoutMs <= 0 || c.MaxPollIntervalMs <= 0 || c.HeartbeatIntervalMs <= 0:
		return fmt.Errorf("async consumer %s: rebalance timeout, max.poll.interval.ms and heartbeat.interval.ms must be positive", c.Name)
	case c.RequestTimeoutMs <= 0 || c.RetryBackoffMs <= 0 || c.RetryBackoffMaxMs < c.RetryBackoffMs || c.DefaultAPITimeoutMs <= 0:
		return fmt.Errorf("async consumer %s: timeouts and backoffs must be positive (retry.backoff.max.ms at least retry.backoff.ms)", c.Name)
	case c.AutoCommit && c.AutoCommitIntervalMs <= 0:
		return fmt.Errorf("async consumer %s: auto.commit.interval.ms must be positive", c.Name)
	}
	return nil
}

// Output is what one input made the consumer do: package consumer's.
type Output = consumer.Output

// Consumer is one KIP-848 consumer process.
type Consumer struct {
	cfg Config
	now int64
	out Output

	state    spec.AsyncState
	memberID string
	epoch    int32
	stalled  bool
	// pollDeadline is when max.poll.interval.ms passes, armed while stalled;
	// pollExpired is Kafka's isPollTimerExpired (the leave was for it).
	pollDeadline int64
	pollExpired  bool
	closed       bool // the close finished: the process is gone

	owned     []spec.TopicPartition // handed to the listener, sorted
	positions positions.Table       // next offset to process; absent until fetched
	// current is the reconciled assignment, target the latest received.
	current, target localAssignment
	rec             *reconciliation // the reconciliation in progress
	lost            *lostWork       // an onPartitionsLost waiting for the application
	leaving         *closeWork      // a close waiting for its commit

	hb                 heartbeatState
	sent               sentFields
	coordinatorUnknown bool
	coordinatorAt      int64 // when FindCoordinator answers, while unknown
	nextAutoCommitAt   int64
	fetchRetryAt       int64 // a failed position fetch is not sent again before

	corr     int32
	inflight []request
}

// request is an in-flight request awaiting its response.
type request struct {
	corr     int32
	key      spec.APIKey
	deadline int64
	role     role
}

// role says why a request was sent.
type role uint8

const (
	roleHeartbeat role = iota
	roleFetch
	roleAppCommit
	roleAutoCommit
	roleReconcileCommit
	roleCloseCommit
)

// New starts a consumer process at time now: it subscribes, and its first
// poll sends the joining heartbeat.
func New(cfg Config, now int64) (*Consumer, Output, error) {
	if err := cfg.validate(); err != nil {
		return nil, Output{}, err
	}
	c := &Consumer{cfg: cfg, now: now, positions: positions.Table{},
		current: noAssignment, target: noAssignment}
	c.cfg.Topics = slices.Compact(slices.Sorted(slices.Values(cfg.Topics)))
	if c.cfg.Address == "" {
		c.cfg.Address = cfg.Name
	}
	c.hb.intervalMs = cfg.HeartbeatIntervalMs
	c.nextAutoCommitAt = now + cfg.AutoCommitIntervalMs
	c.transitionToJoining() // onConsumerPoll after subscribe
	c.poll()
	return c, c.flush(), nil
}

// Name is the process's name.
func (c *Consumer) Name() string { return c.cfg.Name }

// Config returns the consumer's configuration.
func (c *Consumer) Config() Config { return c.cfg }

// State is the membership state.
func (c *Consumer) State() spec.AsyncState { return c.state }

// MemberEpoch is the member epoch the consumer holds.
func (c *Consumer) MemberEpoch() int32 { return c.epoch }

// Alive reports whether the consumer still runs (not closed or failed).
func (c *Consumer) Alive() bool { return !c.closed && c.state != spec.AsyncFatal }

// Stalled reports whether the application has stopped polling.
func (c *Consumer) Stalled() bool { return c.stalled }

// View is the consumer's account of itself: Generation is the member epoch.
func (c *Consumer) View() spec.ConsumerView {
	return spec.ConsumerView{Name: c.cfg.Name, Alive: c.Alive(), MemberID: c.memberID, Generation: c.epoch,
		RejoinNeeded: c.state == spec.AsyncFenced || c.state == spec.AsyncStale,
		Owned:        slices.Clone(c.owned), Protocol: spec.Cooperative, GroupProtocol: GroupProtocol, AsyncState: c.state}
}

// Positions returns the next offset to process of every owned partition
// whose position is known.
func (c *Consumer) Positions() map[spec.TopicPartition]int64 {
	return c.positions.Copy()
}

// LastCorrelation is the correlation id of the last request sent (0 before
// the first).
func (c *Consumer) LastCorrelation() int32 { return c.corr }

// ErrTimeWentBack is returned when an input's time is before an earlier one's.
var ErrTimeWentBack = errors.New("async consumer: time went backwards")

// Step takes one input at time now: a response from the coordinator
// (answers to requests the consumer no longer waits for are ignored) or a
// local input. Every input ends with the background thread's pass and,
// unless stalled, what the application's poll() does. An input the consumer
// cannot take is an error and changes nothing; a stopped consumer ignores
// everything.
func (c *Consumer) Step(now int64, m spec.Message) (out Output, err error) {
	defer assert.Recover(&err)
	if now < c.now {
		return Output{}, fmt.Errorf("%w: %d after %d", ErrTimeWentBack, now, c.now)
	}
	if err := c.admit(m.Body); err != nil {
		return Output{}, err
	}
	c.now = now
	if !c.Alive() {
		return Output{}, nil
	}
	switch b := m.Body.(type) {
	case spec.Response:
		c.deliver(m.Correlation, b)
	case *spec.Tick:
		c.tick()
	case *spec.Stall:
		c.stall()
	case *spec.Unstall:
		c.unstall()
	case *spec.Close:
		c.close()
	case *spec.Consume:
		c.consume(b.Records, b.Partition)
	case *spec.Commit:
		c.commitSync(b.MetadataBytes)
	}
	c.poll()
	return c.flush(), nil
}

// Tick fires every timer due at or before now: Step with a spec.Tick.
func (c *Consumer) Tick(now int64) (Output, error) {
	return c.Step(now, spec.Message{Body: &spec.Tick{}})
}

// ErrStalled is returned for an application call (Consume, Commit) while
// the application is stalled.
var ErrStalled = consumer.ErrStalled

// Admit says why the consumer would refuse body as an input now, if it would.
func (c *Consumer) Admit(body any) error { return c.admit(body) }

func (c *Consumer) admit(body any) error {
	switch b := body.(type) {
	case spec.Response, *spec.Tick, *spec.Stall, *spec.Unstall, *spec.Close, *spec.MetadataUpdate:
		return nil
	case *spec.Consume:
		if err := c.positions.AdmitConsume(c.cfg.Name, b); err != nil {
			return err
		}
	case *spec.Commit:
		if err := positions.AdmitCommit(c.cfg.Name, b); err != nil {
			return err
		}
	default:
		return fmt.Errorf("async consumer %s: input %T is not a response or a consumer input", c.cfg.Name, body)
	}
	if c.stalled && c.Alive() {
		return fmt.Errorf("async consumer %s: %w", c.cfg.Name, ErrStalled)
	}
	return nil
}

// deliver hands a response to the request it answers, if still awaited.
func (c *Consumer) deliver(corr int32, resp spec.Response) {
	i := slices.IndexFunc(c.inflight, func(r request) bool { return r.corr == corr })
	if i < 0 {
		return
	}
	req := c.inflight[i]
	c.inflight = slices.Delete(c.inflight, i, i+1)
	if req.key != resp.Key() {
		return // not an answer to this request: as if lost
	}
	switch r := resp.(type) {
	case *spec.ConsumerGroupHeartbeatResponse:
		c.onHeartbeatResponse(r)
	case *spec.OffsetCommitResponse:
		c.onCommitResponse(req, r.Code())
	case *spec.OffsetFetchResponse:
		c.onFetchResponse(r)
	}
}

// poll is one pass of both threads: the application's poll() (callbacks,
// reconciliation, positions) unless stalled, then the background thread's
// request managers (auto-commit, heartbeat).
func (c *Consumer) poll() {
	if !c.Alive() {
		return
	}
	if !c.stalled {
		c.applicationPoll()
	}
	if !c.Alive() {
		return
	}
	c.maybeAutoCommit()
	c.heartbeatPoll()
}

// applicationPoll is what the application's poll() runs for membership.
func (c *Consumer) applicationPoll() {
	c.runLostCallback()
	if c.state == spec.AsyncStale && c.lost == nil {
		c.transitionToJoining() // maybeRejoinStaleMember, once the assignment is released
	}
	c.continueClose()
	c.reconcile()
	c.maybeFetchPositions()
}

// tick fires every timer due at or before now.
func (c *Consumer) tick() {
	c.expireRequests()
	if c.coordinatorUnknown && c.now >= c.coordinatorAt {
		c.coordinatorUnknown = false // FindCoordinator answered
	}
}

// stall makes the application stop polling; max.poll.interval.ms counts.
func (c *Consumer) stall() {
	if !c.stalled {
		c.stalled = true
		c.pollDeadline = c.now + c.cfg.MaxPollIntervalMs
	}
}

// unstall is the application's next poll (resetPollTimer): a member that
// left for the poll timeout rejoins once it released its assignment.
func (c *Consumer) unstall() {
	c.stalled = false
	c.pollExpired = false
}

// expireRequests fails every request that outlived request.timeout.ms.
func (c *Consumer) expireRequests() {
	var expired []request
	c.inflight = slices.DeleteFunc(c.inflight, func(r request) bool {
		if c.now >= r.deadline {
			expired = append(expired, r)
			return true
		}
		return false
	})
	for _, r := range expired {
		switch r.role {
		case roleHeartbeat:
			c.onHeartbeatFailure()
		case roleFetch:
		default:
			c.onCommitResponse(r, spec.CoordinatorNotAvailable) // a timeout is retriable, like it
		}
	}
}

// NextDeadline returns when the consumer next needs a Tick.
func (c *Consumer) NextDeadline() (int64, bool) {
	if !c.Alive() {
		return 0, false
	}
	var next int64
	ok := false
	at := func(t int64) {
		if !ok || t < next {
			next, ok = t, true
		}
	}
	for _, r := range c.inflight {
		at(r.deadline)
	}
	if c.coordinatorUnknown {
		at(c.coordinatorAt)
	} else {
		c.heartbeatDeadlines(at)
		if c.cfg.AutoCommit && c.leaving == nil {
			at(c.nextAutoCommitAt)
		}
	}
	if !c.stalled {
		c.applicationDeadlines(at)
	}
	return next, ok
}

func (c *Consumer) flush() Output {
	out := c.out
	c.out = Output{}
	return out
}

func (c *Consumer) emit(e spec.Event) {
	e.At, e.Node = c.now, c.cfg.Name
	c.out.Events = append(c.out.Events, e)
}

// send puts a request on the wire; tracked requests await a response.
func (c *Consumer) send(body spec.Request, r role, tracked bool) int32 {
	c.corr++
	if tracked {
		c.inflight = append(c.inflight, request{corr: c.corr, key: body.Key(), deadline: c.now + c.cfg.RequestTimeoutMs, role: r})
	}
	c.out.Messages = append(c.out.Messages, spec.Message{From: c.cfg.Address, To: spec.CoordinatorNode, Correlation: c.corr, Body: body})
	return c.corr
}

func (c *Consumer) inFlight(r role) bool {
	return slices.ContainsFunc(c.inflight, func(q request) bool { return q.role == r })
}

// markCoordinatorUnknown is CoordinatorRequestManager.markCoordinatorUnknown:
// FindCoordinator answers after the retry backoff. Requests in flight stay.
func (c *Consumer) markCoordinatorUnknown() {
	if !c.coordinatorUnknown {
		c.coordinatorUnknown = true
		c.coordinatorAt = c.now + c.cfg.RetryBackoffMs
	}
}

var has = positions.Has

// minus returns the partitions of a (sorted) not in b (sorted), sorted.
func minus(a, b []spec.TopicPartition) []spec.TopicPartition {
	var out []spec.TopicPartition
	for _, tp := range a {
		if !has(b, tp) {
			out = append(out, tp)
		}
	}
	return out
}

// FromConfig is the KIP-848 consumer a Kafka client configured with cfg
// and group.protocol=consumer runs: the same settings, the rebalance
// timeout being max.poll.interval.ms as the Java client sends it, and
// cfg.ServerAssignor as group.remote.assignor. Settings the consumer
// protocol does not use (the assignors, session.timeout.ms,
// metadata.max.age.ms) are dropped.
func FromConfig(cfg consumer.Config) Config {
	out := DefaultConfig(cfg.Name, cfg.GroupID, cfg.Topics...)
	out.TopicRegex = cfg.TopicRegex
	out.Address, out.InstanceID, out.Rack = cfg.Address, cfg.InstanceID, cfg.Rack
	out.RebalanceTimeoutMs, out.MaxPollIntervalMs = cfg.MaxPollIntervalMs, int64(cfg.MaxPollIntervalMs)
	out.HeartbeatIntervalMs, out.ServerAssignor = cfg.HeartbeatIntervalMs, cfg.ServerAssignor
	out.RequestTimeoutMs, out.RetryBackoffMs = cfg.RequestTimeoutMs, cfg.RetryBackoffMs
	out.RetryBackoffMaxMs = max(out.RetryBackoffMaxMs, cfg.RetryBackoffMs)
	out.AutoCommit, out.AutoCommitIntervalMs, out.CommitOnRevoke = cfg.AutoCommit, cfg.AutoCommitIntervalMs, cfg.CommitOnRevoke
	out.Bugs = cfg.Bugs
	return out
}
