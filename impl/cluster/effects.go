package cluster

import (
	"maps"

	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/spec"
)

// The effects of the actions on consumers and metadata; network.go and
// time.go hold the rest.

// start launches a consumer process; it joins at once.
func (cl *Cluster) start(cfg consumer.Config) {
	n := &node{name: cfg.Name}
	cl.nodes[cfg.Name] = n
	cl.names = nil
	out := cl.launch(n, cfg)
	cl.log(spec.Event{Kind: spec.EvStart, Node: cfg.Name})
	cl.applyConsumer(n, out)
}

// restart brings a stopped consumer back as a new process, with a new
// connection and, unless static, as a new member; with a.Config, configured
// anew (a redeploy, as in a rolling upgrade).
func (cl *Cluster) restart(a Action) {
	n := cl.nodes[a.Node]
	cfg := n.cfg
	if a.Config != nil {
		cfg = *a.Config
	}
	if n.retired == nil {
		n.retired = map[string]int32{}
	}
	n.retired[n.address()] = n.c.LastCorrelation()
	n.incarnation++
	n.crashed, n.frozen = false, false
	out := cl.launch(n, cfg)
	cl.log(spec.Event{Kind: spec.EvRestart, Node: n.name, Detail: n.address()})
	cl.applyConsumer(n, out)
}

// launch starts n's next process with cfg, which validate has checked.
func (cl *Cluster) launch(n *node, cfg consumer.Config) consumer.Output {
	cfg.GroupID = cl.cfg.GroupID
	n.cfg = cfg
	cfg.Address = n.address()
	cfg.Bugs = cl.cfg.Bugs
	var c Process
	var out consumer.Output
	var err error
	if cfg.IsConsumerProtocol() {
		c, out, err = asyncconsumer.New(asyncconsumer.FromConfig(cfg), cl.now)
	} else {
		c, out, err = consumer.New(cfg, cl.now)
	}
	if err != nil {
		assert.Fail("cluster: a consumer refused the configuration it was validated with: %v", err)
	}
	n.c, n.viewOK = c, false
	cl.touched(n)
	return out
}

// consumerStep logs what the driver did to a consumer and gives it body.
func (cl *Cluster) consumerStep(name string, kind spec.EventKind, body any) {
	n := cl.nodes[name]
	cl.log(spec.Event{Kind: kind, Node: name})
	cl.step(n, spec.Message{To: n.address(), Body: body})
}

// step gives n's consumer one input and puts its output into the world.
func (cl *Cluster) step(n *node, m spec.Message) {
	out, err := n.c.Step(cl.now, m)
	if err != nil {
		assert.Fail("cluster: consumer %s refused an input the cluster built: %v", n.name, err)
	}
	n.viewOK = false
	cl.touched(n)
	if out.Refused != "" {
		cl.log(spec.Event{Kind: spec.EvRefused, Node: n.name, Detail: out.Refused})
	}
	cl.applyConsumer(n, out)
}

// applyConsumer puts a consumer's output into the world.
func (cl *Cluster) applyConsumer(n *node, out consumer.Output) {
	for _, e := range out.Events {
		e.Node = n.name
		cl.record(e)
	}
	for _, m := range out.Messages {
		cl.send(m)
	}
	if out.NeedMetadata && n.running() {
		cl.step(n, spec.Message{Body: &spec.MetadataUpdate{Topics: cl.Topics()}})
	}
}

// consumeAll makes every running, polling, unfrozen consumer process count
// records of each partition it can read, as one step (the simulator's
// workload: the batches are independent, so the rules are checked once).
func (cl *Cluster) consumeAll(count int64) {
	for _, name := range cl.sortedNames() {
		n := cl.nodes[name]
		if n.running() && !n.frozen && !n.c.Stalled() {
			cl.step(n, spec.Message{Body: &spec.Consume{Records: count}})
			cl.stepped(ActConsume, name, nil)
		}
	}
	cl.after()
}

// changeTopics applies a metadata change. Consumers learn of it when their
// metadata next refreshes, except with refresh-metadata, which gives every
// running consumer the current metadata now.
func (cl *Cluster) changeTopics(a Action) {
	switch a.Kind {
	case ActCreateTopic, ActAddPartitions:
		cl.topics = maps.Clone(cl.topics) // clones share it: copy on write
		cl.topics[a.Topic] = a.Partitions
		cl.budget.partitions = totalPartitions(cl.topics)
		kind := spec.EvCreateTopic
		if a.Kind == ActAddPartitions {
			kind = spec.EvAddPartitions
		}
		cl.log(spec.Event{Kind: kind, Topic: a.Topic, Count: a.Partitions})
		cl.tellCoordinatorTopics()
		cl.stepped(a.Kind, "", nil)
	case ActDeleteTopic:
		cl.topics = maps.Clone(cl.topics)
		delete(cl.topics, a.Topic)
		cl.budget.partitions = totalPartitions(cl.topics)
		cl.log(spec.Event{Kind: spec.EvDeleteTopic, Topic: a.Topic})
		cl.tellCoordinatorTopics()
		cl.stepped(a.Kind, "", nil)
	case ActRefreshMetadata:
		for _, name := range cl.sortedNames() {
			if n := cl.nodes[name]; n.running() && !n.frozen {
				cl.step(n, spec.Message{Body: &spec.MetadataUpdate{Topics: cl.Topics()}})
				cl.stepped(a.Kind, name, nil)
			}
		}
	}
}

// AdminNode is the network name of an administrator's client (kafka-consumer-groups.sh).
const AdminNode = "admin"

// removeStatic is the administrator removing a static member by its
// instance id (LeaveGroup with an empty member id, KIP-345). Static members
// never leave on their own; this, or their session expiring, is how they go.
func (cl *Cluster) removeStatic(instanceID string) {
	cl.adminCorr++
	cl.send(spec.Message{From: AdminNode, To: spec.CoordinatorNode, Correlation: cl.adminCorr,
		Body: &spec.LeaveGroupRequest{GroupID: cl.cfg.GroupID, Members: []spec.LeaveGroupMember{{GroupInstanceID: instanceID,
			Reason: "removed by an administrator"}}}})
}
