// Package consumer is the group membership logic of one Kafka consumer (the
// classic protocol of Kafka's ClassicKafkaConsumer: AbstractCoordinator and
// ConsumerCoordinator) as a deterministic state machine: joining, syncing,
// heartbeats, the session and poll timeouts, the rebalance listener's
// revoked/assigned/lost callbacks, positions and commits.
//
// The application is modelled as polling continuously unless stalled: every
// input ends with what a poll() would do. Kafka's two threads (application and
// heartbeat) are one state machine here; Stall stops the application half
// (max.poll.interval.ms keeps counting) while heartbeats go on.
//
// Before a rebalance (eager), and for what a cooperative assignment takes
// away, Kafka may send two commits: the async auto-commit of onJoinPrepare
// and the listener's commitSync in onPartitionsRevoked. One model commit
// stands for both; the consumer waits for it, retries it on retriable errors
// (until the rebalance timeout, or default.api.timeout.ms inside
// onJoinComplete), and only then revokes.
//
// Nothing inside reads a clock or the network. Every input is a spec.Message
// given to Step with the logical time: a response from the coordinator, or a
// local input (spec.Tick at NextDeadline, spec.Stall, spec.Unstall,
// spec.Close, spec.MetadataUpdate, spec.Consume, spec.Commit). Each returns
// an Output with the requests to send and the callbacks that ran.
// AppendState encodes the state canonically and Clone copies it.
package consumer

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/internal/positions"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// Config is one consumer's configuration, with Kafka's setting names.
// Start from DefaultConfig.
type Config struct {
	// Name is the process's name and its client.id.
	Name string
	// Address is the network endpoint it sends from; Name when empty. A
	// restarted process gets a new one, as it gets a new connection.
	Address string
	GroupID string
	// Topics is the subscription.
	Topics []string
	// TopicRegex, with group.protocol=consumer and no Topics, subscribes to
	// a regular expression the coordinator resolves (KIP-848's
	// subscribe(SubscriptionPattern)); impl/asyncconsumer sends it.
	TopicRegex string
	// Assignors is partition.assignment.strategy, in order of preference.
	Assignors []assignors.Assignor
	// InstanceID is group.instance.id; "" for a dynamic member.
	InstanceID          string
	Rack                string
	SessionTimeoutMs    int32 // session.timeout.ms
	HeartbeatIntervalMs int64 // heartbeat.interval.ms
	// MaxPollIntervalMs is max.poll.interval.ms, also sent as the rebalance timeout.
	MaxPollIntervalMs int32
	RequestTimeoutMs  int64 // request.timeout.ms
	RetryBackoffMs    int64 // retry.backoff.ms
	// AutoCommit is enable.auto.commit: commit positions every
	// AutoCommitIntervalMs while polling, and before rejoining.
	AutoCommit           bool
	AutoCommitIntervalMs int64
	// CommitOnRevoke makes the rebalance listener commit the positions of the
	// partitions it gives up in onPartitionsRevoked, as a careful application does.
	CommitOnRevoke   bool
	MetadataMaxAgeMs int64 // metadata.max.age.ms
	// GroupProtocol is group.protocol: "classic" (or "") for this package's
	// consumer, "consumer" for KIP-848's, which impl/asyncconsumer is: a
	// driver that holds either builds it from this Config (AsyncConfig).
	// With "consumer", Assignors and SessionTimeoutMs are not used (the
	// coordinator assigns and times sessions) and ServerAssignor is
	// group.remote.assignor ("" lets the coordinator choose).
	GroupProtocol  string
	ServerAssignor string
	// Bugs are planted defects, for showing that checkers catch them; none
	// in the zero value.
	Bugs mutant.Set
}

// DefaultConfig returns Kafka's client defaults for a consumer named name in
// group groupID subscribed to topics, with the range assignor. kgroup's own
// choices where Kafka's default does not fit a simulation: the listener
// commits on revoke, and a partition with no committed offset starts at 0
// (auto.offset.reset=earliest; Kafka's default is latest).
func DefaultConfig(name, groupID string, topics ...string) Config {
	return Config{
		Name: name, GroupID: groupID, Topics: topics, Assignors: []assignors.Assignor{assignors.Range{}},
		SessionTimeoutMs: 45000, HeartbeatIntervalMs: 3000, MaxPollIntervalMs: 300000,
		RequestTimeoutMs: 30000, RetryBackoffMs: 100, AutoCommit: true, AutoCommitIntervalMs: 5000,
		CommitOnRevoke: true, MetadataMaxAgeMs: 300000,
	}
}

// Validate checks a configuration as New does.
func Validate(c Config) error { return c.validate() }

func (c Config) validate() error {
	switch {
	case c.Name == "":
		return errors.New("consumer config: a name is required")
	case c.GroupID == "":
		return fmt.Errorf("consumer %s: a group id is required", c.Name)
	case len(c.Assignors) == 0:
		return fmt.Errorf("consumer %s: no assignor configured", c.Name)
	case c.HeartbeatIntervalMs <= 0 || c.HeartbeatIntervalMs >= int64(c.SessionTimeoutMs):
		return fmt.Errorf("consumer %s: heartbeat.interval.ms %d must be positive and below session.timeout.ms %d",
			c.Name, c.HeartbeatIntervalMs, c.SessionTimeoutMs)
	case c.MaxPollIntervalMs <= 0 || c.RequestTimeoutMs <= 0 || c.RetryBackoffMs <= 0 || c.MetadataMaxAgeMs <= 0:
		return fmt.Errorf("consumer %s: timeouts must be positive", c.Name)
	case c.AutoCommit && c.AutoCommitIntervalMs <= 0:
		return fmt.Errorf("consumer %s: auto.commit.interval.ms must be positive", c.Name)
	}
	if _, err := rebalanceProtocol(c.Assignors); err != nil {
		return fmt.Errorf("consumer %s: %w", c.Name, err)
	}
	switch c.GroupProtocol {
	case "", GroupProtocolClassic:
		if c.ServerAssignor != "" {
			return fmt.Errorf("consumer %s: group.remote.assignor needs group.protocol=consumer", c.Name)
		}
		if c.TopicRegex != "" {
			return fmt.Errorf("consumer %s: a regex subscription needs group.protocol=consumer", c.Name)
		}
	case GroupProtocolConsumer:
		if c.TopicRegex != "" && len(c.Topics) > 0 {
			return fmt.Errorf("consumer %s: subscribe to topic names or to a regex, not both", c.Name)
		}
		if c.ServerAssignor != "" {
			if _, err := assignors.ServerByName(c.ServerAssignor); err != nil {
				return fmt.Errorf("consumer %s: group.remote.assignor: %w", c.Name, err)
			}
		}
	default:
		return fmt.Errorf("consumer %s: group.protocol %q is neither classic nor consumer", c.Name, c.GroupProtocol)
	}
	return nil
}

// The values of group.protocol.
const (
	GroupProtocolClassic  = "classic"
	GroupProtocolConsumer = "consumer"
)

// IsConsumerProtocol reports whether the configuration asks for KIP-848's
// consumer protocol.
func (c Config) IsConsumerProtocol() bool { return c.GroupProtocol == GroupProtocolConsumer }

// rebalanceProtocol is the highest protocol every assignor supports
// (ConsumerCoordinator's constructor).
func rebalanceProtocol(as []assignors.Assignor) (spec.RebalanceProtocol, error) {
	common := slices.Clone(as[0].Protocols())
	for _, a := range as[1:] {
		common = slices.DeleteFunc(common, func(p spec.RebalanceProtocol) bool { return !slices.Contains(a.Protocols(), p) })
	}
	if len(common) == 0 {
		return 0, errors.New("the assignors share no rebalance protocol")
	}
	return slices.Max(common), nil
}

// Output is what one input made the consumer do.
type Output struct {
	// Messages are requests to the coordinator, in the order sent.
	Messages []spec.Message
	// Events are the callbacks that ran and the records processed, in order.
	Events []spec.Event
	// NeedMetadata asks the caller for fresh topic metadata (a
	// spec.MetadataUpdate).
	NeedMetadata bool
	// Refused is set when the application's commitSync (spec.Commit) was
	// refused locally, without a request, as Kafka's client refuses it: the
	// exception's name (RebalanceInProgressException, CommitFailedException).
	Refused string
}

// Consumer is one consumer process.
type Consumer struct {
	cfg      Config
	protocol spec.RebalanceProtocol
	now      int64
	out      Output

	state        spec.ClientState
	memberID     string
	generation   int32
	protocolName string // the assignor the group selected
	leader       bool
	skipped      bool // leader told to skip the assignment (KIP-814) in its last join
	rejoinNeeded bool
	// needsJoinPrepare: the revoke (or lost) step must run before the next JoinGroup.
	needsJoinPrepare bool
	failed, closed   bool
	stalled          bool

	owned     []spec.TopicPartition // sorted
	positions positions.Table       // next offset to process; absent until fetched
	lastPlan  []spec.TopicPartition // the last assignment received, for sticky user data
	lastGen   int32                 // its generation
	topics    map[string]int32      // the last metadata seen
	snapshot  map[string]int32      // leader: metadata of the group's topics when it assigned
	revoking  *revocation           // a listener commit the consumer waits for
	corr      int32
	inflight  []request
	// Timers; 0 or less means not armed unless stated otherwise.
	nextHeartbeatAt    int64
	sessionDeadline    int64
	pollDeadline       int64 // armed while stalled
	nextAutoCommitAt   int64
	retryAt            int64 // backoff after a coordinator error
	metadataRefreshAt  int64
	coordinatorUnknown bool
}

// request is an in-flight request awaiting its response.
type request struct {
	corr     int32
	key      spec.APIKey
	deadline int64
	gen      int32  // the generation when sent
	member   string // the member id when sent
	role     commitRole
}

// sameGeneration is CoordinatorResponseHandler.generationUnchanged: the
// consumer is still in the generation (and member id) it sent req under.
func (c *Consumer) sameGeneration(req request) bool {
	return req.gen == c.generation && req.member == c.memberID
}

// commitRole says why a commit was sent.
type commitRole uint8

const (
	commitByApp commitRole = iota
	commitAuto
	commitOnRevoke
)

// revocation is a revoke callback waiting for its commitSync.
type revocation struct {
	parts []spec.TopicPartition
	corr  int32
	// then is what follows: rejoin (eager, and cooperative pre-join) or
	// finishing the assignment that caused the revocation (cooperative).
	then    afterRevoke
	pending []spec.TopicPartition // the assignment to finish, for finishAssignment
	// deadline ends the wait: a commit failing with retriable errors is
	// retried until then (corr 0 while a retry is due), then given up.
	deadline int64
}

type afterRevoke uint8

const (
	thenJoin afterRevoke = iota
	thenFinishAssignment
)

// New starts a consumer process at time now. It joins the group at once.
func New(cfg Config, now int64) (*Consumer, Output, error) {
	if err := cfg.validate(); err != nil {
		return nil, Output{}, err
	}
	p, _ := rebalanceProtocol(cfg.Assignors)
	c := &Consumer{cfg: cfg, protocol: p, now: now, generation: -1, lastGen: -1, rejoinNeeded: true,
		needsJoinPrepare: true, positions: positions.Table{}}
	c.cfg.Topics = slices.Sorted(slices.Values(cfg.Topics))
	if c.cfg.Address == "" {
		c.cfg.Address = cfg.Name
	}
	c.out.NeedMetadata = true
	c.metadataRefreshAt = now + cfg.MetadataMaxAgeMs
	c.poll()
	return c, c.flush(), nil
}

// Name is the process's name.
func (c *Consumer) Name() string { return c.cfg.Name }

// Config returns the consumer's configuration.
func (c *Consumer) Config() Config { return c.cfg }

// Protocol is the rebalance protocol this consumer runs.
func (c *Consumer) Protocol() spec.RebalanceProtocol { return c.protocol }

// Alive reports whether the consumer still runs (not closed or failed).
func (c *Consumer) Alive() bool { return !c.closed && !c.failed }

// SkippedAssignment reports whether the consumer leads the group but was
// told, in its last JoinGroup answer, not to assign (a static leader that
// returned, KIP-814): it still holds the metadata of its previous round.
func (c *Consumer) SkippedAssignment() bool { return c.leader && c.skipped }

// Stalled reports whether the application has stopped polling.
func (c *Consumer) Stalled() bool { return c.stalled }

// View is the consumer's account of itself.
func (c *Consumer) View() spec.ConsumerView {
	return spec.ConsumerView{Name: c.cfg.Name, Alive: c.Alive(), MemberID: c.memberID, Generation: c.generation,
		State: c.state, RejoinNeeded: c.rejoinNeeded, Owned: slices.Clone(c.owned), Protocol: c.protocol}
}

// Positions returns the next offset to process of every owned partition whose
// position is known.
func (c *Consumer) Positions() map[spec.TopicPartition]int64 {
	return c.positions.Copy()
}

// ErrTimeWentBack is returned when an input's time is before an earlier one's.
var ErrTimeWentBack = errors.New("consumer: time went backwards")

// ErrStalled is returned for an application call (Consume, Commit) while the
// application is stalled: a stalled application makes no calls.
var ErrStalled = errors.New("the application is stalled")

// Step takes one input at time now: a response from the coordinator
// (responses to requests the consumer no longer waits for, after a timeout
// or a disconnect, are ignored) or a local input. Unless the consumer has
// stopped, every input ends with what the application's poll() does. An
// input the consumer cannot take now is an error and changes nothing; a
// stopped consumer ignores everything.
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
		c.stalled = true
		c.pollDeadline = now + int64(c.cfg.MaxPollIntervalMs)
	case *spec.Unstall:
		c.stalled = false
	case *spec.Close:
		c.close()
		return c.flush(), nil // a closed consumer does not poll
	case *spec.MetadataUpdate:
		c.topics = maps.Clone(b.Topics) // the poll below compares it with the leader's snapshot
	case *spec.Consume:
		c.consume(b.Records, b.Partition)
	case *spec.Commit:
		c.commitSync(b.MetadataBytes)
	}
	c.poll()
	return c.flush(), nil
}

// Tick fires every timer due at or before now: Step with a spec.Tick.
func (c *Consumer) Tick(now int64) (Output, error) { return c.Step(now, tickInput) }

var tickInput = spec.Message{Body: &spec.Tick{}}

// Admit says why the consumer would refuse body as an input now, if it
// would: a driver asks before it steps, so that a refused input is bad input
// and not a surprise.
func (c *Consumer) Admit(body any) error { return c.admit(body) }

// admit checks that body is an input the consumer can take now.
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
		return fmt.Errorf("consumer %s: input %T is not a response or a consumer input", c.cfg.Name, body)
	}
	if c.stalled && c.Alive() {
		return fmt.Errorf("consumer %s: %w", c.cfg.Name, ErrStalled)
	}
	return nil
}

// MaxOffset bounds a partition's offsets in the model.
const MaxOffset = positions.MaxOffset

// MaxCommitMetadataBytes bounds the metadata an application attaches to a
// commit (positions.MaxCommitMetadataBytes).
const MaxCommitMetadataBytes = positions.MaxCommitMetadataBytes

// deliver hands a response to the request it answers, if still awaited.
func (c *Consumer) deliver(corr int32, resp spec.Response) {
	i := slices.IndexFunc(c.inflight, func(r request) bool { return r.corr == corr })
	if i < 0 {
		return
	}
	req := c.inflight[i]
	c.inflight = slices.Delete(c.inflight, i, i+1)
	c.handle(req, resp)
}

func (c *Consumer) metadataChanged() bool {
	for t, n := range c.snapshot {
		if cur, ok := c.topics[t]; (ok && cur != n) || (!ok && n >= 0) {
			return true
		}
	}
	return false
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

// send puts a request on the wire and tracks it until its response or timeout.
func (c *Consumer) send(body spec.Request, timeoutMs int64, role commitRole) int32 {
	c.corr++
	c.inflight = append(c.inflight, request{corr: c.corr, key: body.Key(), deadline: c.now + timeoutMs,
		gen: c.generation, member: c.memberID, role: role})
	c.out.Messages = append(c.out.Messages, spec.Message{From: c.cfg.Address, To: spec.CoordinatorNode, Correlation: c.corr, Body: body})
	return c.corr
}

func (c *Consumer) inFlight(key spec.APIKey) bool {
	return slices.ContainsFunc(c.inflight, func(r request) bool { return r.key == key })
}

// fail stops the consumer on a fatal error, as the Java client throws from poll().
func (c *Consumer) fail(why string) {
	c.failed = true
	c.emit(spec.Event{Kind: spec.EvFailed, Detail: why})
	c.inflight = nil
}

// has reports whether sorted (by topic, then partition) holds tp: a binary
// search, so that a consumer of many partitions costs no quadratic scans.
func has(sorted []spec.TopicPartition, tp spec.TopicPartition) bool { return positions.Has(sorted, tp) }

// subscribes reports whether the subscription (kept sorted) has topic.
func (c *Consumer) subscribes(topic string) bool {
	_, ok := slices.BinarySearch(c.cfg.Topics, topic)
	return ok
}
