package cluster

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/spec"
)

// Apply performs one action. An action that does not apply in the current
// state (no such consumer, nothing to deliver on that link, ...) is an error
// and changes nothing. Otherwise the action is logged (an EvInput event and
// Actions) and carried out, and the rules are checked; a broken rule is
// reported by Violation, not here. Apply returns an error after carrying an
// action out only for stabilize that did not converge (ErrNotConverged) and
// for a broken internal invariant (an *assert.Failure) or a spent work
// budget (ErrBudget), after which the cluster takes no more actions.
func (cl *Cluster) Apply(a Action) (err error) {
	if cl.broken != nil {
		return cl.broken
	}
	if err := cl.validate(a); err != nil {
		return err
	}
	defer func() {
		switch r := recover().(type) {
		case nil:
			return
		case *assert.Failure:
			err = r
		case overBudget:
			err = r.err
		default:
			panic(r)
		}
		cl.broken = err
	}()
	if !cl.lean.on {
		cl.actions = append(cl.actions, a)
	}
	cl.log(spec.Event{Kind: spec.EvInput, Node: a.Node, Detail: a.String()})
	return cl.do(a)
}

// ErrNotConverged is what stabilize returns when the group did not converge
// in time.
var ErrNotConverged = errors.New("not converged")

// validate says why a cannot be applied now, if it cannot.
func (cl *Cluster) validate(a Action) error {
	switch a.Kind {
	case ActStart:
		return cl.validateStart(a)
	case ActRestart:
		return cl.validateRestart(a)
	case ActCrash, ActClose:
		n, err := cl.node(a.Node)
		if err == nil && !n.running() {
			err = fmt.Errorf("consumer %s is not running", a.Node)
		}
		if err == nil && a.Kind == ActClose && n.frozen {
			err = fmt.Errorf("consumer %s is frozen", a.Node)
		}
		return err
	case ActStall, ActUnstall, ActFreeze:
		_, err := cl.runningNode(a.Node)
		return err
	case ActThaw:
		if n, err := cl.node(a.Node); err != nil || !n.frozen || !n.running() {
			return fmt.Errorf("consumer %s is not frozen", a.Node)
		}
	case ActConsume, ActCommit:
		return cl.validateApplication(a)
	case ActConsumeAll:
		if a.Records <= 0 || a.Records > maxRecords {
			return fmt.Errorf("consume-all: record count %d is outside [1, %d]", a.Records, int64(maxRecords))
		}
		for _, name := range cl.sortedNames() {
			if n := cl.nodes[name]; n.running() && !n.frozen && !n.c.Stalled() {
				if err := n.c.Admit(&spec.Consume{Records: a.Records}); err != nil {
					return err
				}
			}
		}
	case ActDeliver, ActDrop:
		_, err := cl.deliverable(a)
		return err
	case ActHold, ActRelease:
		_, err := cl.node(a.Node)
		return err
	case ActFire:
		if !cl.isDue(a.Node) {
			return fmt.Errorf("fire %s: it has no timer due next", a.Node)
		}
	case ActAdvance, ActAdvanceTo:
		return cl.validateTime(a)
	case ActStabilize:
		if a.Ms < 0 || a.Ms > MaxAdvanceMs {
			return fmt.Errorf("stabilize: limit %d ms is outside [0, %d] (a day)", a.Ms, MaxAdvanceMs)
		}
	case ActCreateTopic, ActAddPartitions, ActDeleteTopic:
		return cl.validateTopic(a)
	case ActSettle, ActRefreshMetadata, ActFailover:
	case ActRemoveStatic:
		if a.Instance == "" {
			return fmt.Errorf("remove-static: an instance id is required")
		}
	default:
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	return nil
}

// reserved are names the network gives to others.
var reserved = []string{spec.CoordinatorNode, AdminNode}

func (cl *Cluster) validateStart(a Action) error {
	if a.Config == nil || a.Config.Name != a.Node {
		return fmt.Errorf("start %s: the action carries no configuration for it", a.Node)
	}
	if err := checkName("consumer name", a.Node); err != nil {
		return err
	}
	if slices.Contains(reserved, a.Node) {
		return fmt.Errorf("a consumer may not be named %q: the network uses that name", a.Node)
	}
	if _, ok := cl.nodes[a.Node]; ok {
		return fmt.Errorf("a consumer named %q already exists", a.Node)
	}
	if len(cl.nodes) >= MaxConsumers {
		return fmt.Errorf("start %s: the cluster has %d consumers, the most it takes", a.Node, MaxConsumers)
	}
	return cl.validConfig(*a.Config)
}

func (cl *Cluster) validateRestart(a Action) error {
	n, err := cl.node(a.Node)
	if err != nil {
		return err
	}
	if n.running() {
		return fmt.Errorf("consumer %s is still running", a.Node)
	}
	if a.Config == nil {
		return nil
	}
	if a.Config.Name != a.Node {
		return fmt.Errorf("restart %s: the configuration is for %q", a.Node, a.Config.Name)
	}
	return cl.validConfig(*a.Config)
}

// validConfig checks a consumer configuration as the consumer itself will,
// so that a start or restart that would fail changes nothing.
func (cl *Cluster) validConfig(cfg consumer.Config) error {
	if cfg.GroupID != "" && cfg.GroupID != cl.cfg.GroupID {
		return fmt.Errorf("consumer %s: group %q, but the cluster runs group %q", cfg.Name, cfg.GroupID, cl.cfg.GroupID)
	}
	for _, t := range cfg.Topics {
		if err := checkName("topic", t); err != nil {
			return fmt.Errorf("consumer %s: %w", cfg.Name, err)
		}
	}
	cfg.GroupID = cl.cfg.GroupID
	if err := consumer.Validate(cfg); err != nil {
		return err
	}
	if cfg.IsConsumerProtocol() {
		return asyncconsumer.Validate(asyncconsumer.FromConfig(cfg))
	}
	return nil
}

// validateApplication checks an application call: the consumer runs, is not
// frozen, and its application is not stalled.
func (cl *Cluster) validateApplication(a Action) error {
	n, err := cl.runningNode(a.Node)
	if err != nil {
		return err
	}
	if a.Kind == ActConsume && (a.Records <= 0 || a.Records > maxRecords) {
		return fmt.Errorf("consume: record count %d is outside [1, %d]", a.Records, int64(maxRecords))
	}
	var body any = &spec.Commit{MetadataBytes: a.MetadataBytes}
	if a.Kind == ActConsume {
		body = &spec.Consume{Records: a.Records, Partition: a.Partition}
	}
	return n.c.Admit(body)
}

func (cl *Cluster) validateTime(a Action) error {
	switch {
	case a.Kind == ActAdvance && (a.Ms < 0 || a.Ms > MaxAdvanceMs):
		return fmt.Errorf("advance: %d ms is outside [0, %d] (a day); advance in steps", a.Ms, MaxAdvanceMs)
	case a.Kind == ActAdvanceTo && a.Ms < cl.now:
		return fmt.Errorf("cluster: cannot go back in time from %d to %d", cl.now, a.Ms)
	case a.Kind == ActAdvanceTo && a.Ms-cl.now > MaxAdvanceMs:
		return fmt.Errorf("advance-to: %d is more than %d ms (a day) ahead of %d; advance in steps", a.Ms, MaxAdvanceMs, cl.now)
	}
	return nil
}

func (cl *Cluster) validateTopic(a Action) error {
	cur, exists := cl.topics[a.Topic]
	if grow := int64(a.Partitions) - int64(cur); a.Kind != ActDeleteTopic && grow > 0 &&
		totalPartitions(cl.topics)+grow > MaxTotalPartitions {
		return fmt.Errorf("%s %s: the cluster would have more than %d partitions in all", a.Kind, a.Topic, MaxTotalPartitions)
	}
	switch {
	case a.Kind == ActCreateTopic && exists:
		return fmt.Errorf("topic %s already exists", a.Topic)
	case a.Kind == ActCreateTopic:
		if a.Partitions <= 0 {
			return fmt.Errorf("topic %s: partition count %d must be positive", a.Topic, a.Partitions)
		}
		return checkTopic(a.Topic, a.Partitions)
	case !exists:
		return fmt.Errorf("topic %s does not exist", a.Topic)
	case a.Kind == ActAddPartitions && a.Partitions <= cur:
		return fmt.Errorf("topic %s has %d partitions; it can only grow", a.Topic, cur)
	case a.Kind == ActAddPartitions && a.Partitions > MaxPartitions:
		return fmt.Errorf("topic %s: %d partitions is more than %d", a.Topic, a.Partitions, MaxPartitions)
	}
	return nil
}

// do carries out a valid action.
func (cl *Cluster) do(a Action) error {
	cl.spent.count(a)
	switch a.Kind {
	case ActStart:
		cl.start(*a.Config)
	case ActRestart:
		cl.restart(a)
	case ActCrash:
		cl.nodes[a.Node].crashed = true
		cl.touched(cl.nodes[a.Node])
		cl.log(spec.Event{Kind: spec.EvCrash, Node: a.Node})
	case ActClose:
		cl.consumerStep(a.Node, spec.EvClose, &spec.Close{})
	case ActStall:
		cl.consumerStep(a.Node, spec.EvStall, &spec.Stall{})
	case ActUnstall:
		cl.consumerStep(a.Node, spec.EvUnstall, &spec.Unstall{})
	case ActFreeze:
		cl.nodes[a.Node].frozen = true
		cl.touched(cl.nodes[a.Node])
		cl.log(spec.Event{Kind: spec.EvFreeze, Node: a.Node})
	case ActThaw:
		n := cl.nodes[a.Node]
		n.frozen = false
		cl.touched(n)
		cl.log(spec.Event{Kind: spec.EvThaw, Node: a.Node})
		cl.step(n, spec.Message{Body: &spec.Tick{}})
	case ActConsume:
		cl.consumerStep(a.Node, spec.EvConsume, &spec.Consume{Records: a.Records, Partition: a.Partition})
	case ActConsumeAll:
		cl.consumeAll(a.Records)
		return nil
	case ActCommit:
		cl.consumerStep(a.Node, spec.EvCommit, &spec.Commit{MetadataBytes: a.MetadataBytes})
	default:
		return cl.doSystem(a)
	}
	cl.stepped(a.Kind, a.Node, nil)
	cl.after()
	return nil
}

// doSystem carries out the actions on the network, time and the coordinator.
func (cl *Cluster) doSystem(a Action) error {
	switch a.Kind {
	case ActDeliver, ActDrop:
		cl.deliverOrDrop(a)
	case ActSettle:
		return cl.settle()
	case ActHold:
		cl.net.held = maps.Clone(cl.net.held) // clones share it: copy on write
		cl.net.held[a.Node] = true
		cl.stepped(a.Kind, a.Node, nil)
		return nil
	case ActRelease:
		cl.net.held = maps.Clone(cl.net.held)
		delete(cl.net.held, a.Node)
		cl.stepped(a.Kind, a.Node, nil)
		cl.after()
	case ActFire:
		cl.fire(a.Node)
	case ActAdvance:
		cl.advanceTo(cl.now + a.Ms)
	case ActAdvanceTo:
		cl.advanceTo(a.Ms)
	case ActStabilize:
		return cl.stabilize(a.Ms)
	case ActCreateTopic, ActAddPartitions, ActDeleteTopic, ActRefreshMetadata:
		cl.changeTopics(a)
		cl.after()
	case ActFailover:
		cl.failover()
	case ActRemoveStatic:
		cl.removeStatic(a.Instance)
		cl.stepped(a.Kind, AdminNode, nil)
		cl.after()
	}
	return nil
}

// after finishes a driver action: deliver if automatic, check the rules.
func (cl *Cluster) after() {
	cl.settleIfAuto()
	cl.checkStep()
}
