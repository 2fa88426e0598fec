package model

import (
	"fmt"
	"slices"
)

// The assignors, numbered in the order of their names, so that the protocol
// vote's tie (the name that sorts first) is the smallest number.
const (
	CoopSticky uint8 = iota + 1 // cooperative-sticky
	RangeA                      // range
	RoundRobin                  // roundrobin
	StickyA                     // sticky
)

// AssignorNames are the assignors' names, by number.
var AssignorNames = []string{"", "cooperative-sticky", "range", "roundrobin", "sticky"}

// AssignorByName returns an assignor's number, 0 if unknown.
func AssignorByName(name string) uint8 {
	return uint8(max(0, slices.Index(AssignorNames, name)))
}

// hasUserData: the assignor puts state in its metadata's user data, which
// the model does not carry (Sticky: the last plan and generation;
// CooperativeSticky: the generation).
func hasUserData(a uint8) bool { return a == StickyA || a == CoopSticky }

// Config is one consumer configuration: what of consumer.Config the
// protocol depends on.
type Config struct {
	Topics    Topics
	Assignors []uint8
	// Coop: every assignor supports the cooperative protocol (KIP-429).
	Coop           bool
	Inst           uint8 // instance id (index+1 into Params.Instances); 0 for a dynamic member
	AutoCommit     bool
	CommitOnRevoke bool
	// SessionOK: session.timeout.ms is within the broker's bounds.
	SessionOK bool
}

func (c Config) equal(o Config) bool {
	return c.Topics == o.Topics && slices.Equal(c.Assignors, o.Assignors) && c.Coop == o.Coop && c.Inst == o.Inst &&
		c.AutoCommit == o.AutoCommit && c.CommitOnRevoke == o.CommitOnRevoke && c.SessionOK == o.SessionOK
}

// Params are the constants of ClassicGroup.tla: the world (topics,
// consumers and their configurations) and, for model checking, the bounds.
type Params struct {
	// TopicNames name the topics by index (at most MaxTopics).
	TopicNames []string
	// Init are the partition counts at the start (-1: absent).
	Init Counts
	// Consumers name the consumers by index; Instances the instance ids.
	Consumers []string
	Instances []string
	// Prefixes are the prefixes of member ids (client ids of dynamic
	// members, instance ids of static ones), numbered from 1;
	// ConsumerPrefix and InstancePrefix give each consumer's and
	// instance's. SetPrefixes fills them for a fixed world.
	Prefixes                       []string
	ConsumerPrefix, InstancePrefix []uint16
	// Configs are every configuration in use; Allowed[c] the indices of
	// those consumer c may start with.
	Configs []Config
	Allowed [][]uint8
	// MaxSize is group.max.size (0: no limit).
	MaxSize int

	// Unbounded: no budgets, no limits — the protocol itself, as the
	// refinement check needs it. The bounds below apply otherwise.
	Unbounded bool
	// Perturbations bounds crashes, closes, restarts, freezes, stalls,
	// partitions added, failovers and removals of static members in all.
	Perturbations                                         int
	Restart, Freeze, Stall, Failover, RemoveStatic, Close bool
	// AddPartitionsUpTo lets a topic grow one partition at a time to this
	// many (0: never).
	AddPartitionsUpTo int
	Drops             int
	// Timeouts bounds the timer firings that are not forced by a fault
	// (see next.go: free timeouts).
	Timeouts int
	// Consumes and Commits bound the application's calls.
	Consumes, Commits int
	// Heartbeats bounds the heartbeats a consumer has in flight (0: no bound).
	Heartbeats int
	// Slow: a retry backoff may outlast a step (always so when Unbounded).
	Slow bool
	// MaxGeneration: the explorer keeps no state past this generation (0:
	// no bound); ClassicGroup.tla's StateConstraint.
	MaxGeneration int
	// MaxMemberIds: nor past this many member ids handed out (0: no
	// bound): a static member that rejoins without its id gets a new one
	// and no generation bump, so generations alone do not bound the
	// states.
	MaxMemberIds int

	// Hints, in refinement checks only, supply the choices the environment
	// and the assignor made that are not from a small finite set.
	Hints *Hints
}

// Hints are choices a refinement check reads off the implementation's step.
type Hints struct {
	Plans     [][]PlanEntry // leaders' plans sent in the step
	Consume   []ConsumeHint
	NewCounts []Counts // the topics after the step
	Big       bool     // an application commit carried oversized metadata
}

// ConsumeHint is one application batch: n records of every owned
// partition, or of one.
type ConsumeHint struct {
	N    int64
	Part TP
	One  bool
}

// Prefix is the prefix of the member ids the coordinator makes for
// consumer c joining with instance inst.
func (p *Params) Prefix(c int, inst uint8) uint16 {
	if inst != 0 {
		return p.InstancePrefix[inst-1]
	}
	return p.ConsumerPrefix[c]
}

// PrefixName is the text of an id prefix.
func (p *Params) PrefixName(pre uint16) string {
	if pre == 0 || int(pre) > len(p.Prefixes) {
		return ""
	}
	return p.Prefixes[pre-1]
}

// SetPrefixes numbers the consumers' names, then the instance ids.
func (p *Params) SetPrefixes() {
	p.Prefixes, p.ConsumerPrefix, p.InstancePrefix = nil, nil, nil
	for _, c := range p.Consumers {
		p.ConsumerPrefix = append(p.ConsumerPrefix, p.InternPrefix(c))
	}
	for _, i := range p.Instances {
		p.InstancePrefix = append(p.InstancePrefix, p.InternPrefix(i))
	}
}

// InternPrefix returns the number of an id prefix, adding it if new.
func (p *Params) InternPrefix(s string) uint16 {
	if i := slices.Index(p.Prefixes, s); i >= 0 {
		return uint16(i + 1)
	}
	p.Prefixes = append(p.Prefixes, s)
	return uint16(len(p.Prefixes))
}

// Validate reports parameters no model can use.
func (p *Params) Validate() error {
	switch {
	case len(p.TopicNames) == 0 || len(p.TopicNames) > MaxTopics:
		return fmt.Errorf("model: %d topics; a model has 1 to %d", len(p.TopicNames), MaxTopics)
	case len(p.Consumers) == 0 || len(p.Consumers) > 64:
		return fmt.Errorf("model: %d consumers; a model has 1 to 64", len(p.Consumers))
	case len(p.ConsumerPrefix) != len(p.Consumers) || len(p.InstancePrefix) != len(p.Instances):
		return fmt.Errorf("model: id prefixes are not set (SetPrefixes)")
	case len(p.Allowed) != len(p.Consumers):
		return fmt.Errorf("model: configurations for %d consumers, but %d consumers", len(p.Allowed), len(p.Consumers))
	}
	for c, ks := range p.Allowed {
		for _, k := range ks {
			if int(k) >= len(p.Configs) {
				return fmt.Errorf("model: consumer %s allowed configuration %d of %d", p.Consumers[c], k, len(p.Configs))
			}
		}
	}
	for i, cfg := range p.Configs {
		if len(cfg.Assignors) == 0 {
			return fmt.Errorf("model: configuration %d has no assignor", i)
		}
		for _, a := range cfg.Assignors {
			if a == 0 || int(a) >= len(AssignorNames) {
				return fmt.Errorf("model: configuration %d names assignor %d", i, a)
			}
		}
		if int(cfg.Inst) > len(p.Instances) {
			return fmt.Errorf("model: configuration %d names instance %d of %d", i, cfg.Inst, len(p.Instances))
		}
	}
	return nil
}

// Intern returns cfg's index in p.Configs, adding it if new.
func (p *Params) Intern(cfg Config) uint8 {
	for i, c := range p.Configs {
		if c.equal(cfg) {
			return uint8(i)
		}
	}
	p.Configs = append(p.Configs, cfg)
	return uint8(len(p.Configs) - 1)
}
