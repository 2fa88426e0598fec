package cluster

import (
	"fmt"

	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

// Start launches a consumer process named cfg.Name; it joins at once.
func (cl *Cluster) Start(cfg consumer.Config) error {
	if _, ok := cl.nodes[cfg.Name]; ok {
		return fmt.Errorf("a consumer named %q already exists", cfg.Name)
	}
	if cfg.GroupID == "" {
		cfg.GroupID = cl.cfg.GroupID
	}
	if cfg.GroupID != cl.cfg.GroupID {
		return fmt.Errorf("consumer %s: group %q, but the cluster runs group %q", cfg.Name, cfg.GroupID, cl.cfg.GroupID)
	}
	n := &node{name: cfg.Name, cfg: cfg}
	cfg.Address = n.address()
	c, out, err := consumer.New(cfg, cl.now)
	if err != nil {
		return err
	}
	n.c = c
	cl.nodes[cfg.Name] = n
	cl.log(spec.Event{Kind: spec.EvStart, Node: cfg.Name})
	cl.applyConsumer(n, out)
	cl.after()
	return nil
}

// Restart brings a crashed, closed or failed consumer back as a new process
// with the same configuration: a new connection and, unless static, a new
// member.
func (cl *Cluster) Restart(name string) error {
	n, err := cl.node(name)
	if err != nil {
		return err
	}
	return cl.Redeploy(n.cfg)
}

// ConfigOf returns the configuration the named consumer last started with.
func (cl *Cluster) ConfigOf(name string) (consumer.Config, error) {
	n, err := cl.node(name)
	if err != nil {
		return consumer.Config{}, err
	}
	return n.cfg, nil
}

// Redeploy restarts a stopped consumer (cfg.Name) with a new configuration,
// as a rolling upgrade does.
func (cl *Cluster) Redeploy(cfg consumer.Config) error {
	n, err := cl.node(cfg.Name)
	if err != nil {
		return err
	}
	if n.running() {
		return fmt.Errorf("consumer %s is still running", cfg.Name)
	}
	if cfg.GroupID != cl.cfg.GroupID {
		return fmt.Errorf("consumer %s: group %q, but the cluster runs group %q", cfg.Name, cfg.GroupID, cl.cfg.GroupID)
	}
	name := cfg.Name
	n.cfg = cfg
	n.incarnation++
	n.crashed, n.frozen = false, false
	cfg.Address = n.address()
	c, out, err := consumer.New(cfg, cl.now)
	if err != nil {
		return err
	}
	n.c = c
	cl.log(spec.Event{Kind: spec.EvRestart, Node: name, Detail: n.address()})
	cl.applyConsumer(n, out)
	cl.after()
	return nil
}

// Crash stops a consumer dead: no callbacks, no goodbye. What it already sent
// is still on the wire; what is sent to it is lost.
func (cl *Cluster) Crash(name string) error {
	n, err := cl.node(name)
	if err != nil {
		return err
	}
	if !n.running() {
		return fmt.Errorf("consumer %s is not running", name)
	}
	n.crashed = true
	cl.log(spec.Event{Kind: spec.EvCrash, Node: name})
	cl.after()
	return nil
}

// Close shuts a consumer down cleanly.
func (cl *Cluster) Close(name string) error {
	return cl.consumerDo(name, spec.EvClose, func(c *consumer.Consumer) (consumer.Output, error) { return c.Close(cl.now) })
}

// Stall stops a consumer's application from polling; heartbeats go on.
func (cl *Cluster) Stall(name string) error {
	return cl.consumerDo(name, spec.EvStall, func(c *consumer.Consumer) (consumer.Output, error) { return c.Stall(cl.now) })
}

// Unstall resumes polling.
func (cl *Cluster) Unstall(name string) error {
	return cl.consumerDo(name, spec.EvUnstall, func(c *consumer.Consumer) (consumer.Output, error) { return c.Unstall(cl.now) })
}

// Freeze pauses a whole consumer process (a GC pause, a stopped VM): no
// timers fire and nothing is delivered to it until Thaw.
func (cl *Cluster) Freeze(name string) error {
	n, err := cl.runningNode(name)
	if err != nil {
		return err
	}
	n.frozen = true
	cl.log(spec.Event{Kind: spec.EvFreeze, Node: name})
	cl.after()
	return nil
}

// Thaw resumes a frozen process; its overdue timers fire at once.
func (cl *Cluster) Thaw(name string) error {
	n, err := cl.node(name)
	if err != nil {
		return err
	}
	if !n.frozen || !n.running() {
		return fmt.Errorf("consumer %s is not frozen", name)
	}
	n.frozen = false
	cl.log(spec.Event{Kind: spec.EvThaw, Node: name})
	out, err := n.c.Tick(cl.now)
	cl.must(err)
	cl.applyConsumer(n, out)
	cl.after()
	return nil
}

// Consume makes a consumer process n records of each partition it can read
// (or of tp only).
func (cl *Cluster) Consume(name string, count int64, tp *spec.TopicPartition) error {
	return cl.consumerDo(name, spec.EvConsume, func(c *consumer.Consumer) (consumer.Output, error) {
		return c.Consume(cl.now, count, tp)
	})
}

// ConsumeEach makes every running, polling, unfrozen consumer process count
// records of each partition it can read, as one step (the simulator's
// workload: the batches are independent, so the rules are checked once).
func (cl *Cluster) ConsumeEach(count int64) error {
	for _, name := range cl.Names() {
		n := cl.nodes[name]
		if !n.running() || n.frozen || n.c.Stalled() {
			continue
		}
		out, err := n.c.Consume(cl.now, count, nil)
		if err != nil {
			return err
		}
		cl.applyConsumer(n, out)
	}
	cl.after()
	return nil
}

// Commit makes a consumer commit its positions (commitSync). A commit the
// client refuses locally is returned as the refusal's Kafka exception name.
func (cl *Cluster) Commit(name string, metadataBytes int) (refused string, err error) {
	err = cl.consumerDo(name, spec.EvCommit, func(c *consumer.Consumer) (consumer.Output, error) {
		out, r, err := c.Commit(cl.now, metadataBytes)
		refused = r
		return out, err
	})
	return refused, err
}

func (cl *Cluster) consumerDo(name string, kind spec.EventKind, f func(*consumer.Consumer) (consumer.Output, error)) error {
	n, err := cl.runningNode(name)
	if err != nil {
		return err
	}
	cl.log(spec.Event{Kind: kind, Node: name})
	out, err := f(n.c)
	if err != nil {
		return err
	}
	cl.applyConsumer(n, out)
	cl.after()
	return nil
}

// after finishes a driver action: deliver if automatic, check the rules.
func (cl *Cluster) after() {
	cl.settleIfAuto()
	cl.checker.afterStep()
}

// CreateTopic makes a topic with n partitions.
func (cl *Cluster) CreateTopic(topic string, n int32) error {
	if _, ok := cl.topics[topic]; ok {
		return fmt.Errorf("topic %s already exists", topic)
	}
	if n <= 0 {
		return fmt.Errorf("topic %s: partition count %d must be positive", topic, n)
	}
	cl.topics[topic] = n
	cl.log(spec.Event{Kind: spec.EvCreateTopic, Topic: topic, Count: n})
	cl.after()
	return nil
}

// AddPartitions grows a topic to n partitions (Kafka never shrinks one).
func (cl *Cluster) AddPartitions(topic string, n int32) error {
	cur, ok := cl.topics[topic]
	if !ok {
		return fmt.Errorf("topic %s does not exist", topic)
	}
	if n <= cur {
		return fmt.Errorf("topic %s has %d partitions; it can only grow", topic, cur)
	}
	cl.topics[topic] = n
	cl.log(spec.Event{Kind: spec.EvAddPartitions, Topic: topic, Count: n})
	cl.after()
	return nil
}

// DeleteTopic removes a topic.
func (cl *Cluster) DeleteTopic(topic string) error {
	if _, ok := cl.topics[topic]; !ok {
		return fmt.Errorf("topic %s does not exist", topic)
	}
	delete(cl.topics, topic)
	cl.log(spec.Event{Kind: spec.EvDeleteTopic, Topic: topic})
	cl.after()
	return nil
}

// RefreshMetadata gives every running consumer the current metadata now, as
// if each metadata.max.age.ms had just expired.
func (cl *Cluster) RefreshMetadata() error {
	for _, name := range cl.Names() {
		n := cl.nodes[name]
		if !n.running() || n.frozen {
			continue
		}
		out, err := n.c.Metadata(cl.now, cl.Topics())
		cl.must(err)
		cl.applyConsumer(n, out)
	}
	cl.after()
	return nil
}

// Frozen reports whether the named consumer's process is frozen.
func (cl *Cluster) Frozen(name string) bool {
	n, ok := cl.nodes[name]
	return ok && n.frozen
}

// AdminNode is the network name of an administrator's client (kafka-consumer-groups.sh).
const AdminNode = "admin"

// RemoveStatic is the administrator removing a static member by its instance
// id (LeaveGroup with an empty member id, KIP-345). Static members never leave
// on their own; this, or their session expiring, is how they go.
func (cl *Cluster) RemoveStatic(instanceID string) error {
	cl.adminCorr++
	cl.net.send(spec.Message{From: AdminNode, To: spec.CoordinatorNode, Correlation: cl.adminCorr,
		Body: &spec.LeaveGroupRequest{GroupID: cl.cfg.GroupID, Members: []spec.LeaveGroupMember{{GroupInstanceID: instanceID,
			Reason: "removed by an administrator"}}}})
	cl.after()
	return nil
}
