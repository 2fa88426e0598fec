package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kgroup/kgroup/serve"
	"github.com/kgroup/kgroup/spec"
)

// KIP-848 with franz-go's kgo (v1.22.2 here): kgo.ServerSideBalancer()
// with RangeBalancer or a sticky balancer makes it a KIP-848 consumer once
// the broker advertises ConsumerGroupHeartbeat v1 (kgo's should848 and
// supportsKIP848v1); it asks for the server assignor "range" or
// "uniform", makes its member id itself (KIP-1082), maps the assigned
// topic ids through Metadata, and commits with OffsetCommit v9 at its
// member epoch.

// kip848Backend is kgroup serve with KIP-848 timings short enough for a
// test: kgo heartbeats at the interval the coordinator gives it.
func kip848Backend(t *testing.T) *backend {
	cfg := serve.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Topics = []serve.TopicSpec{{Name: topic, Partitions: partitions}}
	cfg.Coordinator.ConsumerHeartbeatIntervalMs = 200
	cfg.Coordinator.ConsumerSessionTimeoutMs = 3000
	s, err := serve.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &backend{name: "kgroup", addr: s.Addr().String(), srv: s}
}

// start848 starts a kgo KIP-848 member with this client id.
func (w *world) start848(name string) *consumer {
	w.t.Helper()
	w.mu.Lock()
	w.lives[name]++
	c := &consumer{w: w, name: name, life: fmt.Sprintf("%s#%d", name, w.lives[name]), gen: -1, syncedGen: -2,
		owned: map[int32]bool{}, synced: map[int32]bool{}, done: make(chan struct{})}
	w.first[c.life] = map[int32]int64{}
	w.members[name] = c
	w.mu.Unlock()
	cl, err := kgo.NewClient(kgo.SeedBrokers(w.b.addr), kgo.ConsumerGroup(w.group), kgo.ConsumeTopics(topic), kgo.ClientID(name),
		kgo.Balancers(w.balancer()), kgo.ServerSideBalancer(), kgo.DisableAutoCommit(), kgo.FetchMaxWait(300*time.Millisecond),
		kgo.RebalanceTimeout(10*time.Second), kgo.Dialer(c.dial),
		kgo.OnPartitionsAssigned(c.assigned), kgo.OnPartitionsRevoked(c.revoked), kgo.OnPartitionsLost(c.revoked))
	if err != nil {
		w.t.Fatal(err)
	}
	c.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go c.loop(ctx)
	return c
}

// settled848: the coordinator holds the group Stable (every member
// reconciled) with the live members, and the members own every partition
// exactly once between them, as kgo's callbacks told them.
func (w *world) settled848() map[string][]int32 {
	w.t.Helper()
	var owned map[string][]int32
	w.waitUntil(fmt.Sprintf("a reconciled consumer group of %d", len(w.members)), func() bool {
		g, err := w.b.srv.Group(w.group)
		if err != nil || g.View.State != spec.Stable || len(g.View.Members) != len(w.members) {
			return false
		}
		owned = map[string][]int32{}
		seen := map[int32]bool{}
		for name, c := range w.members {
			for p := range c.owned {
				if seen[p] {
					return false
				}
				seen[p] = true
			}
			owned[name] = slices.Sorted(maps.Keys(c.owned))
		}
		return len(seen) == partitions
	})
	return owned
}

// TestKIP848Kgo: two kgo KIP-848 members share the topic through kgroup's
// coordinator with each server assignor; every record is processed and
// committed; one leaves and the other takes everything; the coordinator's
// side saw no rule broken, and its consumer-group rules ran.
func TestKIP848Kgo(t *testing.T) {
	for _, tc := range []struct {
		assignor string
		balancer func() kgo.GroupBalancer
	}{
		{"uniform", kgo.CooperativeStickyBalancer},
		{"range", kgo.RangeBalancer},
	} {
		t.Run(tc.assignor, func(t *testing.T) {
			b := kip848Backend(t)
			w := newWorld(t, b, "g-848-"+tc.assignor, tc.balancer, false)
			w.produce(20)
			c1 := w.start848("c1")
			if got := w.settled848(); len(got["c1"]) != partitions {
				t.Fatalf("c1 alone owns %v", got)
			}
			c2 := w.start848("c2")
			if got := w.settled848(); len(got["c1"]) != partitions/2 || len(got["c2"]) != partitions/2 {
				t.Fatalf("two members own %v, want 3 each", got)
			}
			w.allDone()
			w.produce(20)
			w.mu.Lock()
			delete(w.members, "c1")
			w.mu.Unlock()
			c1.close() // a KIP-848 leave: epoch -1
			if got := w.settled848(); len(got["c2"]) != partitions {
				t.Fatalf("c2 alone owns %v", got)
			}
			w.allDone()
			c2.close()

			s := b.srv
			if v := s.Violations(); len(v) > 0 {
				t.Fatalf("rules broken: %v", v)
			}
			made, _, err := s.Checks()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []string{"cg-ownership", "cg-epochs", "fencing", "offsets", "rebuild"} {
				if made[r] == 0 {
					t.Errorf("no %s check was made: %v", r, made)
				}
			}
			used := s.VersionsUsed()
			t.Logf("checks %v; versions used %v", made, used)
		})
	}
}
