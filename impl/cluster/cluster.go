// Package cluster composes one group coordinator, any number of consumer
// processes and the network between them into one deterministic system, and
// checks kgroup's rules (package spec) after every step.
//
// The network is explicit: a message sent waits in flight until the driver
// delivers or drops it. Messages between two endpoints stay in order (one TCP
// connection); across endpoints the driver picks any order. With AutoDeliver
// the cluster delivers everything at once (a zero-latency network) except on
// held links. Time moves only when the driver advances it; timers of the
// coordinator and of every consumer fire in deadline order.
//
// Transcripts (package transcript), the rapid state machines, the simulator
// and the explorer all drive a Cluster.
package cluster

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
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
}

// Cluster is the composed system.
type Cluster struct {
	cfg       Config
	now       int64
	coord     *coordinator.Coordinator
	records   []coordinator.Record
	nodes     map[string]*node
	topics    map[string]int32
	net       network
	checker   checker
	events    []spec.Event
	listeners []func(spec.Event)
	adminCorr int32
}

// node is one consumer process name; restarts replace its consumer.
type node struct {
	name        string
	cfg         consumer.Config
	c           *consumer.Consumer
	incarnation int
	crashed     bool
	frozen      bool
}

// address is where the node's current process sends from and receives at:
// its name, with "@n" for the n-th restart.
func (n *node) address() string {
	if n.incarnation == 0 {
		return n.name
	}
	return n.name + "@" + strconv.Itoa(n.incarnation+1)
}

func (n *node) running() bool { return !n.crashed && n.c.Alive() }

// New builds a cluster with no consumers at time 0.
func New(cfg Config) (*Cluster, error) {
	if cfg.GroupID == "" {
		return nil, fmt.Errorf("cluster: group id is required")
	}
	coord, err := coordinator.New(cfg.Coordinator)
	if err != nil {
		return nil, err
	}
	topics := map[string]int32{}
	for t, n := range cfg.Topics {
		if n < 0 {
			return nil, fmt.Errorf("cluster: topic %s has a negative partition count", t)
		}
		topics[t] = n
	}
	cl := &Cluster{cfg: cfg, coord: coord, nodes: map[string]*node{}, topics: topics}
	cl.net.held = map[string]bool{}
	cl.checker.init(cl)
	return cl, nil
}

// Now is the current logical time in milliseconds.
func (cl *Cluster) Now() int64 { return cl.now }

// GroupID is the group's id.
func (cl *Cluster) GroupID() string { return cl.cfg.GroupID }

// Topics returns the current topic metadata.
func (cl *Cluster) Topics() map[string]int32 { return maps.Clone(cl.topics) }

// Names lists every consumer name ever started, sorted.
func (cl *Cluster) Names() []string { return spec.SortedKeys(cl.nodes) }

// Consumer returns the named consumer's current process, if running.
func (cl *Cluster) Consumer(name string) (*consumer.Consumer, bool) {
	n, ok := cl.nodes[name]
	if !ok || !n.running() {
		return nil, false
	}
	return n.c, true
}

// Records is the coordinator's log so far.
func (cl *Cluster) Records() []coordinator.Record { return slices.Clone(cl.records) }

// Coordinator is the coordinator currently serving the group.
func (cl *Cluster) Coordinator() *coordinator.Coordinator { return cl.coord }

// TakeEvents returns what happened since the last call.
func (cl *Cluster) TakeEvents() []spec.Event {
	out := cl.events
	cl.events = nil
	return out
}

// Violation returns the first broken rule seen, if any.
func (cl *Cluster) Violation() error { return cl.checker.err }

// Ledger is the at-least-once bookkeeping of every record processed.
func (cl *Cluster) Ledger() *spec.Ledger { return &cl.checker.ledger }

func (cl *Cluster) log(e spec.Event) {
	e.At = cl.now
	cl.record(e)
}

func (cl *Cluster) record(e spec.Event) {
	cl.events = append(cl.events, e)
	cl.checker.event(e)
	for _, f := range cl.listeners {
		f(e)
	}
}

// Snapshot is the system at this instant, as spec's rules see it.
func (cl *Cluster) Snapshot() spec.Snapshot {
	s := spec.Snapshot{At: cl.now, Topics: cl.Topics(), Group: cl.coord.Describe(cl.cfg.GroupID),
		Committed: cl.coord.Committed(cl.cfg.GroupID)}
	for _, name := range cl.Names() {
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

// OnEvent registers f to see every event as it happens (in addition to
// TakeEvents).
func (cl *Cluster) OnEvent(f func(spec.Event)) { cl.listeners = append(cl.listeners, f) }
