// Package cluster composes one group coordinator, any number of consumer
// processes and the network between them into one deterministic system, and
// checks kgroup's rules (spec.Checker) after every step.
//
// Everything a driver can do is an Action — start a consumer, crash it,
// deliver or drop the oldest message of a link, fire one node's timer,
// advance time, fail the coordinator over — applied with Apply. An Action's
// text form is a transcript line (package transcript) and it has a JSON
// form; Enabled lists the actions possible now, within bounds, in a fixed
// order. Every applied action is logged (an EvInput event, and Transcript),
// so a run is reproducible from its Config and actions alone. Transcripts,
// the rapid model, the simulator and the explorer all drive a Cluster this
// way. AppendState encodes the whole system canonically and Clone copies it.
//
// The network is explicit: a message sent waits in flight until the driver
// delivers or drops it. Messages between two endpoints stay in order (one TCP
// connection); across endpoints the driver picks any order. With AutoDeliver
// the cluster delivers everything at once (a zero-latency network) except on
// held links. Time moves only when the driver advances it or fires a timer.
package cluster

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// Config sets up a cluster.
type Config struct {
	GroupID     string
	Coordinator coordinator.Config
	// Topics are the topics that exist at the start, with partition counts.
	Topics map[string]int32
	// AutoDeliver delivers every message as soon as it is sent.
	AutoDeliver bool
	// Bugs are planted in the coordinator and in every consumer.
	Bugs mutant.Set
}

// Cluster is the composed system.
type Cluster struct {
	cfg   Config
	now   int64
	coord *coordinator.Coordinator
	// replica has replayed every record written (consumer_group.go).
	replica  *coordinator.Coordinator
	cgLogged cgState // the consumer group as last logged
	// cgView is the consumer group's view (nil: the group is none), valid
	// while cgViewOK (consumer_group.go).
	cgView    *spec.ConsumerGroupView
	cgViewOK  bool
	records   []coordinator.Record
	nodes     map[string]*node
	topics    map[string]int32
	net       network
	checker   *spec.Checker
	events    []spec.Event
	listeners []func(spec.Event)
	adminCorr int32
	actions   []Action // every action applied, in order
	spent     spent    // what the actions used of Enabled's bounds
	broken    error    // an internal invariant broke: nothing more is applied
	discard   bool     // events are not kept for TakeEvents
	stepHooks []func(Step)
	budget    budget
	lean      lean     // long-run switches (lean.go)
	names     []string // sorted consumer names; nil: sort them again
}

// node is one consumer process name; restarts replace its consumer.
type node struct {
	name        string
	cfg         consumer.Config
	c           Process
	incarnation int
	crashed     bool
	frozen      bool
	// retired holds the last correlation id of each earlier incarnation,
	// by address, for renumbering its messages still in flight.
	retired map[string]int32
	// view is the consumer's view since it last stepped, if viewOK.
	view   spec.ConsumerView
	viewOK bool
}

// address is where the node's current process sends from and receives at:
// its name, with "@n" for the n-th restart.
func (n *node) address() string { return addressOf(n.name, n.incarnation) }

func addressOf(name string, incarnation int) string {
	if incarnation == 0 {
		return name
	}
	return name + "@" + strconv.Itoa(incarnation+1)
}

func (n *node) running() bool { return !n.crashed && n.c.Alive() }

// New builds a cluster with no consumers at time 0.
func New(cfg Config) (*Cluster, error) {
	if err := checkName("group id", cfg.GroupID); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	cfg.Coordinator.Bugs = cfg.Bugs
	coord, err := coordinator.New(cfg.Coordinator)
	if err != nil {
		return nil, err
	}
	topics := map[string]int32{}
	for _, t := range spec.SortedKeys(cfg.Topics) {
		if err := checkTopic(t, cfg.Topics[t]); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		topics[t] = cfg.Topics[t]
	}
	if total := totalPartitions(topics); total > MaxTotalPartitions {
		return nil, fmt.Errorf("cluster: %d partitions in all, more than %d", total, MaxTotalPartitions)
	}
	cfg.Topics = maps.Clone(topics)
	cl := &Cluster{cfg: cfg, coord: coord, nodes: map[string]*node{}, topics: topics}
	cl.budget.partitions = totalPartitions(topics)
	cl.net.held = map[string]bool{}
	cl.checker = spec.NewChecker(cfg.GroupID)
	cl.checker.Rebuild = cl.rebuild
	if cl.replica, _, err = coordinator.Load(cfg.Coordinator, 0, nil); err != nil {
		return nil, err
	}
	cl.tellCoordinatorTopics()
	return cl, nil
}

// MaxConsumers bounds the consumers a cluster runs (every one ever started).
const MaxConsumers = 20000

// MaxTotalPartitions bounds the partitions of all topics together.
const MaxTotalPartitions = 1 << 22

// MaxPartitions bounds a topic's partition count (Kafka has no hard limit;
// kgroup's model is meant for groups, not for millions of partitions).
const MaxPartitions = 1 << 20

func totalPartitions(topics map[string]int32) int64 {
	var n int64
	for _, c := range topics {
		n += int64(c)
	}
	return n
}

func checkTopic(t string, n int32) error {
	if err := checkName("topic", t); err != nil {
		return err
	}
	if n < 0 || n > MaxPartitions {
		return fmt.Errorf("topic %s: partition count %d is outside [0, %d]", t, n, MaxPartitions)
	}
	return nil
}

// checkName rejects names that the text forms could not carry: empty, with
// white space or one of , = -> @, or too long.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("a %s is required", what)
	case len(s) > 249: // Kafka's limit on topic names
		return fmt.Errorf("%s %.20q... is longer than 249 bytes", what, s)
	case strings.ContainsAny(s, " \t\r\n,=@") || strings.Contains(s, "->"):
		return fmt.Errorf("%s %q may not contain white space, ',', '=', '@' or '->'", what, s)
	}
	return nil
}

// Config returns the cluster's configuration.
func (cl *Cluster) Config() Config { c := cl.cfg; c.Topics = maps.Clone(c.Topics); return c }

// Now is the current logical time in milliseconds.
func (cl *Cluster) Now() int64 { return cl.now }

// GroupID is the group's id.
func (cl *Cluster) GroupID() string { return cl.cfg.GroupID }

// Topics returns the current topic metadata.
func (cl *Cluster) Topics() map[string]int32 { return maps.Clone(cl.topics) }

// Names lists every consumer name ever started, sorted.
func (cl *Cluster) Names() []string { return slices.Clone(cl.sortedNames()) }

// Process is one consumer process's membership logic, as its group.protocol
// chose: impl/consumer's classic consumer (*consumer.Consumer) or
// impl/asyncconsumer's KIP-848 consumer (*asyncconsumer.Consumer).
type Process interface {
	Step(now int64, m spec.Message) (consumer.Output, error)
	NextDeadline() (int64, bool)
	View() spec.ConsumerView
	Alive() bool
	Stalled() bool
	Admit(body any) error
	LastCorrelation() int32
	Positions() map[spec.TopicPartition]int64
	AppendState(b []byte, f spec.StateFrame) []byte
}

// cloneProcess copies a process of either kind.
func cloneProcess(p Process) Process {
	switch c := p.(type) {
	case *consumer.Consumer:
		return c.Clone()
	case *asyncconsumer.Consumer:
		return c.Clone()
	}
	assert.Fail("cluster: a process of type %T", p)
	return nil
}

// Consumer returns the named consumer's current process, if running.
func (cl *Cluster) Consumer(name string) (Process, bool) {
	n, ok := cl.nodes[name]
	if !ok || !n.running() {
		return nil, false
	}
	return n.c, true
}

// Classic returns the named consumer's current process if it runs the
// classic protocol.
func (cl *Cluster) Classic(name string) (*consumer.Consumer, bool) {
	p, ok := cl.Consumer(name)
	if !ok {
		return nil, false
	}
	c, ok := p.(*consumer.Consumer)
	return c, ok
}

// ConfigOf returns the configuration the named consumer last started with.
func (cl *Cluster) ConfigOf(name string) (consumer.Config, error) {
	n, err := cl.node(name)
	if err != nil {
		return consumer.Config{}, err
	}
	return n.cfg, nil
}

// Frozen reports whether the named consumer's process is frozen.
func (cl *Cluster) Frozen(name string) bool {
	n, ok := cl.nodes[name]
	return ok && n.frozen
}

// Held reports whether the named consumer's links are held.
func (cl *Cluster) Held(name string) bool { return cl.net.held[name] }

// Records is the coordinator's log so far.
func (cl *Cluster) Records() []coordinator.Record { return slices.Clone(cl.records) }

// Coordinator is the coordinator currently serving the group.
func (cl *Cluster) Coordinator() *coordinator.Coordinator { return cl.coord }

// Actions returns every action applied so far, in order.
func (cl *Cluster) Actions() []Action { return slices.Clone(cl.actions) }

// TakeEvents returns what happened since the last call.
func (cl *Cluster) TakeEvents() []spec.Event {
	out := cl.events
	cl.events = nil
	return out
}

// DiscardEvents stops keeping events for TakeEvents (listeners still see
// them): for drivers that never read them, such as the explorer.
func (cl *Cluster) DiscardEvents() { cl.events, cl.discard = nil, true }

// OnEvent registers f to see every event as it happens (in addition to
// TakeEvents).
func (cl *Cluster) OnEvent(f func(spec.Event)) { cl.listeners = append(cl.listeners, f) }

// Violation returns the first broken rule seen, if any.
func (cl *Cluster) Violation() error { return cl.violation() }

// Broken returns the internal invariant that broke, if one did.
func (cl *Cluster) Broken() error { return cl.broken }

// Ledger is the at-least-once bookkeeping of every record processed.
func (cl *Cluster) Ledger() *spec.Ledger { return cl.checker.Ledger() }

// StepsChecked is how many states the checker has examined.
func (cl *Cluster) StepsChecked() int64 { return cl.checker.Steps() }

// CheckConverged applies rule 6 to the current state.
func (cl *Cluster) CheckConverged() error {
	return errors.Join(cl.Violation(), spec.CheckConverged(cl.Snapshot()))
}

func (cl *Cluster) log(e spec.Event) {
	e.At = cl.now
	cl.record(e)
}

func (cl *Cluster) record(e spec.Event) {
	if !cl.discard {
		cl.events = append(cl.events, e)
	}
	cl.checker.Event(e)
	cl.noteEvent(e)
	for _, f := range cl.listeners {
		f(e)
	}
}

// Snapshot is the system at this instant, as spec's rules see it.
func (cl *Cluster) Snapshot() spec.Snapshot {
	s := cl.withConsumerGroup(spec.Snapshot{At: cl.now, Topics: cl.Topics(), Group: cl.coord.Describe(cl.cfg.GroupID),
		Committed: cl.coord.Committed(cl.cfg.GroupID)})
	for _, name := range cl.sortedNames() {
		n := cl.nodes[name]
		v := n.c.View()
		v.Alive = n.running()
		s.Consumers = append(s.Consumers, v)
	}
	return s
}

func (cl *Cluster) node(name string) (*node, error) {
	n, ok := cl.nodes[name]
	if !ok {
		return nil, fmt.Errorf("no consumer named %q", name)
	}
	return n, nil
}

func (cl *Cluster) runningNode(name string) (*node, error) {
	n, err := cl.node(name)
	if err != nil {
		return nil, err
	}
	if !n.running() {
		return nil, fmt.Errorf("consumer %s is not running", name)
	}
	if n.frozen {
		return nil, fmt.Errorf("consumer %s is frozen", name)
	}
	return n, nil
}

// rebuild is the group as a coordinator that loads the log describes it.
func (cl *Cluster) rebuild() (spec.GroupView, error) {
	loaded, _, err := coordinator.Load(cl.cfg.Coordinator, cl.now, cl.records)
	if err != nil {
		return spec.GroupView{}, err
	}
	return loaded.Describe(cl.cfg.GroupID), nil
}
