package kgroupsarama

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	kgroupkgo "github.com/kgroup/kgroup/adapters/kgo"
	"github.com/kgroup/kgroup/adapters/kgo/grouptest"
)

// Real sarama and franz-go consumers in one group against kfake: sarama
// members balancing with kgroup's strategy or sarama's own, and a franz-go
// member with kgroup's balancer. Each in turn leads (the first leaves), every
// partition must end up owned exactly once, balanced, sticky where the
// protocol lets it be, and never held by two members at once.
func TestSaramaAndKgoGroups(t *testing.T) {
	for _, c := range []struct {
		name   string
		own    func() sarama.BalanceStrategy
		kgroup func() sarama.BalanceStrategy
		kgo    func() *grouptest.Leading
		sticky []string
	}{
		{"cooperative-sticky", sarama.NewBalanceStrategyCooperativeSticky, NewBalanceStrategyCooperativeSticky,
			func() *grouptest.Leading {
				return &grouptest.Leading{GroupBalancer: kgroupkgo.CooperativeStickyBalancer()}
			}, []string{"sarama-kgroup", "sarama-own", "kgo-kgroup"}},
		// sarama's own eager members learn their history from the user data
		// the leader sends with their assignment, which a franz-go leader
		// does not send: only kgroup's members are sure to stay sticky.
		{"sticky", sarama.NewBalanceStrategySticky, NewBalanceStrategySticky,
			func() *grouptest.Leading { return &grouptest.Leading{GroupBalancer: kgroupkgo.StickyBalancer()} },
			[]string{"sarama-kgroup", "kgo-kgroup"}},
	} {
		for _, ownLeads := range []bool{false, true} {
			name := c.name + map[bool]string{false: "/kgroup-leads", true: "/sarama-leads"}[ownLeads]
			t.Run(name, func(t *testing.T) {
				cluster, l := grouptest.NewCluster(t), grouptest.NewLedger()
				group := strings.ReplaceAll(name, "/", "-")
				own, ours, kgo := &planCount{BalanceStrategy: c.own()}, &planCount{BalanceStrategy: c.kgroup()}, c.kgo()
				saramaStep := func(s *planCount) func(string) grouptest.Member {
					return func(name string) grouptest.Member { return joinSarama(t, cluster, l, group, name, s) }
				}
				steps := []grouptest.Step{
					{Name: "sarama-kgroup-0", Start: saramaStep(ours)},
					{Name: "kgo-kgroup-1", Start: func(name string) grouptest.Member {
						return grouptest.JoinKgo(t, cluster, l, group, name, kgo)
					}},
					{Name: "sarama-own-2", Start: saramaStep(own)},
				}
				first := ours
				if ownLeads {
					steps[0], steps[2] = grouptest.Step{Name: "sarama-own-0", Start: saramaStep(own)}, grouptest.Step{Name: "sarama-kgroup-2", Start: saramaStep(ours)}
					first = own
				}
				final := grouptest.Rotate(t, l, steps, c.sticky...)
				if first.n.Load() == 0 {
					t.Error("the first member never led")
				}
				t.Logf("plans: kgroup's sarama strategy %d, sarama's own %d, kgroup's kgo balancer %d; final %v",
					ours.n.Load(), own.n.Load(), kgo.Count(), final)
			})
		}
	}
}

// planCount counts the times a sarama strategy led its group, passing on the
// optional interfaces sarama looks for.
type planCount struct {
	sarama.BalanceStrategy
	n atomic.Int32
}

func (p *planCount) Plan(members map[string]sarama.ConsumerGroupMemberMetadata, topics map[string][]int32) (sarama.BalanceStrategyPlan, error) {
	p.n.Add(1)
	return p.BalanceStrategy.Plan(members, topics)
}

func (p *planCount) SupportedProtocols() []sarama.RebalanceProtocol {
	if s, ok := p.BalanceStrategy.(sarama.RebalanceProtocolBalanceStrategy); ok {
		return s.SupportedProtocols()
	}
	return []sarama.RebalanceProtocol{sarama.RebalanceProtocolEager}
}

func (p *planCount) SubscriptionUserData(topics []string) ([]byte, error) {
	if s, ok := p.BalanceStrategy.(sarama.SubscriptionUserDataBalanceStrategy); ok {
		return s.SubscriptionUserData(topics)
	}
	return nil, errNoHook
}

func (p *planCount) OnAssignment(a *sarama.ConsumerGroupMemberAssignment, generation int32) {
	if s, ok := p.BalanceStrategy.(sarama.OnAssignmentBalanceStrategy); ok {
		s.OnAssignment(a, generation)
	}
}

// errNoHook makes sarama fall back on its static user data, as it does for
// a strategy without the hook.
var errNoHook = errors.New("the wrapped strategy has no SubscriptionUserData")

// saramaMember is a sarama consumer group member reporting its claims.
type saramaMember struct {
	name   string
	cg     sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once
}

func (m *saramaMember) Name() string { return m.name }

func (m *saramaMember) Close() {
	m.once.Do(func() {
		m.closed.Store(true)
		m.cancel()
		m.cg.Close()
		<-m.done
	})
}

func joinSarama(t *testing.T, c *kfake.Cluster, l *grouptest.Ledger, group, name string, s sarama.BalanceStrategy) *saramaMember {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	cfg.ClientID = name
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{s}
	cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Return.Errors = true
	cg, err := sarama.NewConsumerGroup(c.ListenAddrs(), group, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &saramaMember{name: name, cg: cg, cancel: cancel, done: make(chan struct{})}
	go func() {
		for err := range cg.Errors() {
			if !m.closed.Load() {
				t.Errorf("%s: sarama reported %v", name, err)
			}
		}
	}()
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{grouptest.Topic}, claims{name, l}); err != nil && !m.closed.Load() {
				t.Errorf("%s: Consume: %v", name, err)
				return
			}
		}
	}()
	t.Cleanup(m.Close)
	return m
}

// claims reports each claim to the ledger while its handler runs: sarama
// starts a claim's handler once the member holds the partition and waits for
// it to return before it gives the partition up.
type claims struct {
	name string
	l    *grouptest.Ledger
}

func (claims) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (claims) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h claims) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	if claim.Topic() != grouptest.Topic {
		return fmt.Errorf("claim on %s", claim.Topic())
	}
	h.l.Assigned(h.name, claim.Partition())
	defer h.l.Released(h.name, claim.Partition())
	for {
		select {
		case _, ok := <-claim.Messages():
			if !ok {
				return nil
			}
		case <-sess.Context().Done():
			return nil
		}
	}
}
