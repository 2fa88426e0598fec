// Package grouptest runs real consumers in one group against kfake (franz-go's
// in-process fake Kafka, listening on 127.0.0.1 only) and checks what the
// group does: a Ledger records, from the members' rebalance callbacks, who
// holds which partition and every moment two members held one; Settle waits
// until the members hold every partition, balanced; Sticky checks that no
// member took a partition from another while its share did not grow. It is
// test support for kgroup's adapters (this module's tests and
// adapters/sarama's), not an API.
package grouptest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic and Partitions are the one topic every group here consumes.
const (
	Topic      = "orders"
	Partitions = 12
)

// NewCluster starts a one-broker kfake cluster with Topic, closed at the
// end of the test.
func NewCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(Partitions, Topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Ledger records who holds which partition of Topic.
type Ledger struct {
	mu      sync.Mutex
	owner   map[int32]string
	overlap []string
}

func NewLedger() *Ledger { return &Ledger{owner: map[int32]string{}} }

// Assigned records that member now holds ps, and any partition another
// member still held.
func (l *Ledger) Assigned(member string, ps ...int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps {
		if o, held := l.owner[p]; held && o != member {
			l.overlap = append(l.overlap, fmt.Sprintf("%s got partition %d while %s held it", member, p, o))
		}
		l.owner[p] = member
	}
}

// Released records that member gave up ps.
func (l *Ledger) Released(member string, ps ...int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps {
		if l.owner[p] == member {
			delete(l.owner, p)
		}
	}
}

// Holdings is each member's partitions, sorted.
func (l *Ledger) Holdings() map[string][]int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]int32{}
	for p, m := range l.owner {
		out[m] = append(out[m], p)
	}
	for _, ps := range out {
		slices.Sort(ps)
	}
	return out
}

// CheckNoOverlap fails the test if two members ever held a partition at once.
func (l *Ledger) CheckNoOverlap(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.overlap) > 0 {
		t.Errorf("partitions held twice: %v", l.overlap)
	}
}

// Settle waits until the named members hold every partition between them,
// each within one of the others, and nothing moves for a moment; it returns
// the holdings.
func (l *Ledger) Settle(t *testing.T, members ...string) map[string][]int32 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := l.Holdings()
		total, lo, hi := 0, Partitions, 0
		for _, m := range members {
			total += len(h[m])
			lo, hi = min(lo, len(h[m])), max(hi, len(h[m]))
		}
		if total == Partitions && len(h) == len(members) && hi-lo <= 1 {
			time.Sleep(300 * time.Millisecond)
			if again := l.Holdings(); maps.EqualFunc(h, again, slices.Equal) {
				return h
			}
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group did not settle: holdings %v", h)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Sticky fails the test if a member whose name has one of the prefixes, in
// the group before and after, took a partition from another while its share
// did not grow.
func Sticky(t *testing.T, before, after map[string][]int32, prefixes ...string) {
	t.Helper()
	for m, ps := range after {
		old, ok := before[m]
		if !ok || len(ps) > len(old) || !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(m, p) }) {
			continue
		}
		for _, p := range ps {
			if !slices.Contains(old, p) {
				t.Errorf("%s took partition %d from another member (before %v, after %v)", m, p, old, ps)
			}
		}
	}
}

// Leading counts the times a franz-go balancer led its group.
type Leading struct {
	kgo.GroupBalancer
	n atomic.Int32
}

// Count is how many times it led.
func (l *Leading) Count() int32 { return l.n.Load() }

func (l *Leading) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	l.n.Add(1)
	return l.GroupBalancer.MemberBalancer(members)
}

// Member is one consumer in a group.
type Member interface {
	Name() string
	Close()
}

// Kgo is a franz-go consumer.
type Kgo struct {
	name   string
	cl     *kgo.Client
	closed atomic.Bool
}

func (m *Kgo) Name() string { return m.name }

func (m *Kgo) Close() {
	if !m.closed.Swap(true) {
		m.cl.Close()
	}
}

// JoinKgo starts a franz-go consumer of Topic in group with balancer b,
// reporting to l, closed at the end of the test; franz-go logging an error
// (a balance or a parse that failed) fails the test.
func JoinKgo(t *testing.T, c *kfake.Cluster, l *Ledger, group, name string, b kgo.GroupBalancer) *Kgo {
	t.Helper()
	m := &Kgo{name: name}
	released := func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { l.Released(name, ps[Topic]...) }
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(Topic),
		kgo.Balancers(b),
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.SessionTimeout(6*time.Second),
		kgo.RebalanceTimeout(10*time.Second),
		kgo.WithLogger(errorLog{t, name, &m.closed}),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { l.Assigned(name, ps[Topic]...) }),
		kgo.OnPartitionsRevoked(released),
		kgo.OnPartitionsLost(released),
	)
	if err != nil {
		t.Fatal(err)
	}
	m.cl = cl
	go func() { // poll, so that the client joins and follows the group
		for !m.closed.Load() {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			cl.PollFetches(ctx)
			cancel()
		}
	}()
	t.Cleanup(m.Close)
	return m
}

type errorLog struct {
	t      *testing.T
	name   string
	closed *atomic.Bool
}

func (e errorLog) Level() kgo.LogLevel { return kgo.LogLevelError }

func (e errorLog) Log(level kgo.LogLevel, msg string, kv ...any) {
	if level == kgo.LogLevelError && !e.closed.Load() {
		e.t.Errorf("%s: franz-go logged an error: %s %v", e.name, msg, kv)
	}
}

// Step is one member to start: its name and how.
type Step struct {
	Name  string
	Start func(name string) Member
}

// Rotate starts the members one by one, waiting for the group to settle
// after each, then closes the first (the leader), so that the leadership
// moves; after every change only members named with a prefix in sticky
// must have kept their partitions. It returns the final holdings.
func Rotate(t *testing.T, l *Ledger, steps []Step, sticky ...string) map[string][]int32 {
	t.Helper()
	var members []Member
	var names []string
	var before map[string][]int32
	for _, s := range steps {
		members = append(members, s.Start(s.Name))
		names = append(names, s.Name)
		after := l.Settle(t, names...)
		Sticky(t, before, after, sticky...)
		before = after
	}
	members[0].Close()
	after := l.Settle(t, names[1:]...)
	Sticky(t, before, after, sticky...)
	l.CheckNoOverlap(t)
	return after
}
