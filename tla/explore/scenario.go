package explore

import (
	"fmt"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/mutant"
)

// Scenario is a bounded system described by a few numbers: what `kgroup
// explore` takes as flags.
type Scenario struct {
	Consumers  int   // consumers c1..cN, subscribed to topic t
	Partitions int32 // partitions of t at the start
	// Cooperative runs the cooperative-sticky assignor (KIP-429); otherwise
	// range, eager.
	Cooperative bool
	// ConsumerProtocol runs KIP-848 consumers (group.protocol=consumer) in
	// a consumer group, the coordinator's session 6 s and heartbeat 2 s.
	ConsumerProtocol bool
	Static           int // the first Static consumers are static members (KIP-345)
	// What the actions may use (cluster.Bounds).
	Perturbations, Drops, Consumes, Commits int
	Restart, Freeze, Stall, Failover        bool
	AddPartitionsUpTo                       int32
	// Plant plants known bugs (internal/mutant) everywhere.
	Plant mutant.Set
	// Network is how messages travel: "fifo" (each waits on its link until
	// a deliver, however long: every order and every delay), "lockstep"
	// (every order, no delay: time waits for the network) or "instant"
	// (delivered when sent, oldest first: only timers and faults vary).
	Network string
	// Stable starts every consumer and lets the group converge before the
	// search, which then explores every behaviour from a Stable group.
	Stable bool
}

// MaxScenarioConsumers bounds Scenario.Consumers.
const MaxScenarioConsumers = 9

// Config is the exploration of the scenario: a manual cluster with no
// initial rebalance delay, and consumers with short timeouts (session 6 s,
// heartbeat 2 s, poll 8 s) so that every timer matters within few steps.
func (s Scenario) Config() (Config, error) {
	switch {
	case s.Consumers < 1 || s.Consumers > MaxScenarioConsumers:
		return Config{}, fmt.Errorf("explore: %d consumers: want 1 to %d", s.Consumers, MaxScenarioConsumers)
	case s.Partitions < 0 || s.Partitions > 64 || s.AddPartitionsUpTo > 64:
		return Config{}, fmt.Errorf("explore: partitions must be 0 to 64")
	case s.Static < 0 || s.Static > s.Consumers:
		return Config{}, fmt.Errorf("explore: %d static members of %d consumers", s.Static, s.Consumers)
	case s.Perturbations < 0 || s.Drops < 0 || s.Consumes < 0 || s.Commits < 0:
		return Config{}, fmt.Errorf("explore: bounds must not be negative")
	case s.Network != "fifo" && s.Network != "lockstep" && s.Network != "instant":
		return Config{}, fmt.Errorf("explore: network %q: want fifo, lockstep or instant", s.Network)
	}
	cc := coordinator.DefaultConfig()
	cc.InitialRebalanceDelayMs = 0
	if s.ConsumerProtocol {
		cc.ConsumerSessionTimeoutMs, cc.ConsumerHeartbeatIntervalMs = 6000, 2000
	}
	cfg := Config{Cluster: cluster.Config{GroupID: "g", Coordinator: cc, Topics: map[string]int32{"t": s.Partitions},
		Bugs: s.Plant, AutoDeliver: s.Network == "instant"},
		Bounds: cluster.Bounds{Perturbations: s.Perturbations, Drops: s.Drops, Consumes: s.Consumes, Commits: s.Commits,
			Restart: s.Restart, Freeze: s.Freeze, Stall: s.Stall, Failover: s.Failover, RemoveStatic: s.Static > 0,
			AddPartitionsUpTo: s.AddPartitionsUpTo}}
	for i := range s.Consumers {
		name := fmt.Sprintf("c%d", i+1)
		c := consumer.DefaultConfig(name, "g", "t")
		c.SessionTimeoutMs, c.HeartbeatIntervalMs, c.MaxPollIntervalMs = 6000, 2000, 8000
		c.RequestTimeoutMs, c.MetadataMaxAgeMs = 5000, 60000
		c.AutoCommit = false
		if s.Cooperative {
			c.Assignors = []assignors.Assignor{assignors.CooperativeSticky{}}
		}
		if s.ConsumerProtocol {
			c.GroupProtocol = consumer.GroupProtocolConsumer
		}
		if i < s.Static {
			c.InstanceID = "i-" + name
		}
		cfg.Bounds.Consumers = append(cfg.Bounds.Consumers, c)
		if s.Stable {
			cfg.Setup = append(cfg.Setup, cluster.Action{Kind: cluster.ActStart, Node: name, Config: &c}.String())
		}
	}
	if s.Stable {
		cfg.Setup = append(cfg.Setup, "stabilize")
	}
	cfg.Lockstep = s.Network == "lockstep"
	return cfg, nil
}
