package kgroupkgo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Real franz-go consumers in one group against kfake (an in-process Kafka
// on 127.0.0.1), some balancing with kgroup, some with franz-go's own
// balancer for the same protocol: whoever leads, the other side must read
// its metadata and assignments, every partition must end up owned exactly
// once, balanced, and no partition may be held by two members at once.

const (
	testTopic  = "orders"
	partitions = 12
)

func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, testTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// ledger records who holds which partition, from the members' rebalance
// callbacks, and every moment two members held one.
type ledger struct {
	mu      sync.Mutex
	owner   map[int32]string
	overlap []string
}

func (l *ledger) assigned(member string, ps map[string][]int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps[testTopic] {
		if o, held := l.owner[p]; held && o != member {
			l.overlap = append(l.overlap, fmt.Sprintf("%s got partition %d while %s held it", member, p, o))
		}
		l.owner[p] = member
	}
}

func (l *ledger) released(member string, ps map[string][]int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps[testTopic] {
		if l.owner[p] == member {
			delete(l.owner, p)
		}
	}
}

// holdings is each member's partitions, sorted.
func (l *ledger) holdings() map[string][]int32 {
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

// leading counts the times a balancer led the group (MemberBalancer).
type leading struct {
	kgo.GroupBalancer
	n atomic.Int32
}

func (l *leading) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	l.n.Add(1)
	return l.GroupBalancer.MemberBalancer(members)
}

// errorLog fails the test on every error franz-go logs (a balance or a
// parse that failed).
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

type member struct {
	name   string
	cl     *kgo.Client
	closed atomic.Bool
}

func join(t *testing.T, c *kfake.Cluster, l *ledger, group, name string, b kgo.GroupBalancer) *member {
	t.Helper()
	m := &member{name: name}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(testTopic),
		kgo.Balancers(b),
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.SessionTimeout(6*time.Second),
		kgo.RebalanceTimeout(10*time.Second),
		kgo.WithLogger(errorLog{t, name, &m.closed}),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { l.assigned(name, ps) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { l.released(name, ps) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { l.released(name, ps) }),
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
	t.Cleanup(m.close)
	return m
}

func (m *member) close() {
	if !m.closed.Swap(true) {
		m.cl.Close()
	}
}

// settle waits until the members hold every partition between them, each
// within one of the others; it returns the holdings.
func settle(t *testing.T, l *ledger, members ...*member) map[string][]int32 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := l.holdings()
		total, lo, hi := 0, partitions, 0
		for _, m := range members {
			total += len(h[m.name])
			lo, hi = min(lo, len(h[m.name])), max(hi, len(h[m.name]))
		}
		if total == partitions && len(h) == len(members) && hi-lo <= 1 {
			time.Sleep(300 * time.Millisecond) // and nothing moves any more
			if again := l.holdings(); maps.EqualFunc(h, again, slices.Equal) {
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

// sticky checks that every member still in the group, whose name has one of
// the prefixes, took no partition from another while its share shrank or
// stayed.
func sticky(t *testing.T, before, after map[string][]int32, prefixes ...string) {
	t.Helper()
	for m, ps := range after {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(m, p) }) {
			continue
		}
		if old, ok := before[m]; ok {
			for _, p := range ps {
				if !slices.Contains(old, p) && len(ps) <= len(old) {
					t.Errorf("%s took partition %d from another member while shrinking (before %v, after %v)", m, p, old, ps)
				}
			}
		}
	}
}

type side struct {
	name     string
	balancer func() kgo.GroupBalancer
}

// TestMixedGroups runs, for each protocol, a group whose first member (the
// leader) balances with one side and whose second with the other; a third
// joins, then the leader leaves, so the leadership moves. Both orders run,
// so kgroup leads franz-go members and franz-go leads kgroup members.
func TestMixedGroups(t *testing.T) {
	for _, proto := range []struct {
		name          string
		kgroup, franz side
		sticky        []string // whose partitions must stay with them
	}{
		{"cooperative-sticky", side{"kgroup", CooperativeStickyBalancer}, side{"franz", kgo.CooperativeStickyBalancer}, []string{"kgroup", "franz"}},
		// An eager franz-go consumer reports no prior assignment (it forgets
		// it when it revokes), so only kgroup's members can stay sticky.
		{"sticky", side{"kgroup", StickyBalancer}, side{"franz", kgo.StickyBalancer}, []string{"kgroup"}},
	} {
		for _, order := range [][2]side{{proto.kgroup, proto.franz}, {proto.franz, proto.kgroup}} {
			name := proto.name + "/" + order[0].name + "-leads"
			t.Run(name, func(t *testing.T) {
				runMixed(t, newCluster(t), strings.ReplaceAll(name, "/", "-"), order, proto.sticky)
			})
		}
	}
}

func runMixed(t *testing.T, c *kfake.Cluster, group string, order [2]side, stickyNames []string) {
	l := &ledger{owner: map[int32]string{}}
	sides := []side{order[0], order[1], order[0]}
	leads := make([]*leading, len(sides))
	var members []*member
	var before map[string][]int32
	for i, s := range sides {
		leads[i] = &leading{GroupBalancer: s.balancer()}
		members = append(members, join(t, c, l, group, fmt.Sprintf("%s-%d", s.name, i), leads[i]))
		after := settle(t, l, members...)
		sticky(t, before, after, stickyNames...)
		before = after
	}
	if leads[0].n.Load() == 0 {
		t.Fatalf("the first member (%s) never led", sides[0].name)
	}
	members[0].close()
	after := settle(t, l, members[1:]...)
	sticky(t, before, after, stickyNames...)
	if leads[1].n.Load()+leads[2].n.Load() == 0 {
		t.Error("nobody led after the leader left")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.overlap) > 0 {
		t.Errorf("partitions held twice: %v", l.overlap)
	}
	t.Logf("leaderships %d %d %d; final %v", leads[0].n.Load(), leads[1].n.Load(), leads[2].n.Load(), sortedKeys(after))
}

func sortedKeys(m map[string][]int32) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s:%v", k, v))
	}
	sort.Strings(out)
	return out
}
