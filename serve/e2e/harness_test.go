package e2e

import (
	"context"
	"fmt"
	"maps"
	"net"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kgroup/kgroup/serve"
	"github.com/kgroup/kgroup/spec"
)

const (
	topic      = "orders"
	partitions = 6
	// sessionMs is every member's session timeout: short, so that a
	// killed member is expired in seconds.
	sessionMs = 2000
	// phaseTimeout bounds every wait.
	phaseTimeout = 45 * time.Second
)

// backend is the server under test: kgroup serve or kfake.
type backend struct {
	name string
	addr string
	srv  *serve.Server  // kgroup
	fake *kfake.Cluster // kfake
}

func kgroupBackend(t *testing.T) *backend {
	cfg := serve.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Topics = []serve.TopicSpec{{Name: topic, Partitions: partitions}}
	cfg.Coordinator.MinSessionTimeoutMs = 1000
	cfg.Coordinator.InitialRebalanceDelayMs = 100
	s, err := serve.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &backend{name: "kgroup", addr: s.Addr().String(), srv: s}
}

func kfakeBackend(t *testing.T) *backend {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &backend{name: "kfake", addr: c.ListenAddrs()[0], fake: c}
}

// committed is the group's committed offsets, as the server holds them.
func (b *backend) committed(t *testing.T, group string) map[int32]int64 {
	out := map[int32]int64{}
	if b.srv != nil {
		g, err := b.srv.Group(group)
		if err != nil {
			t.Fatal(err)
		}
		for tp, o := range g.Committed {
			out[tp.Partition] = o
		}
		return out
	}
	if info := b.fake.GroupInfo(group); info != nil {
		for p, c := range info.Commits[topic] {
			out[p] = c.Offset
		}
	}
	return out
}

// world is one scenario's clients against one backend, and what they saw.
type world struct {
	t        *testing.T
	b        *backend
	group    string
	balancer func() kgo.GroupBalancer
	static   bool

	mu       sync.Mutex
	changed  chan struct{}
	ledger   spec.Ledger
	lossErr  error
	produced map[int32]int64
	members  map[string]*consumer // live ones, by client id
	// first is, per incarnation ("c2#2"), the first offset it processed of
	// each partition.
	first map[string]map[int32]int64
	count map[string]int64 // records processed, per incarnation
	lives map[string]int
	// trace is what the members reported of the group, in order.
	trace []string
}

func newWorld(t *testing.T, b *backend, group string, balancer func() kgo.GroupBalancer, static bool) *world {
	return &world{t: t, b: b, group: group, balancer: balancer, static: static, changed: make(chan struct{}),
		produced: map[int32]int64{}, members: map[string]*consumer{}, first: map[string]map[int32]int64{}, count: map[string]int64{}, lives: map[string]int{}}
}

func (w *world) notify() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// waitUntil waits, bounded, until cond holds (checked under w.mu at every
// change the clients report, and every 100 ms for what the server holds).
func (w *world) waitUntil(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(phaseTimeout)
	for {
		w.mu.Lock()
		ok, ch := cond(), w.changed
		w.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s (%s): not reached within %v; members: %s", what, w.b.name, phaseTimeout, w.describe())
		}
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// produce appends n records to every partition.
func (w *world) produce(n int) {
	w.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(w.b.addr), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		w.t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for p := range int32(partitions) {
		for i := range n {
			recs = append(recs, &kgo.Record{Partition: p, Value: fmt.Appendf(nil, "p%d-%d", p, i)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), phaseTimeout)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		w.t.Fatalf("produce (%s): %v", w.b.name, err)
	}
	w.mu.Lock()
	for p := range int32(partitions) {
		w.produced[p] += int64(n)
	}
	w.mu.Unlock()
}

// processed feeds the ledger (rule 3: no loss; duplicates counted) with
// a record that the incarnation life processed.
func (w *world) processed(life string, p int32, offset int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.processedLocked(life, p, offset)
}

func (w *world) processedLocked(life string, p int32, offset int64) {
	tp := spec.TopicPartition{Topic: topic, Partition: p}
	if err := w.ledger.Process(tp, offset, offset+1); err != nil && w.lossErr == nil {
		w.lossErr = fmt.Errorf("%s: %w", life, err)
	}
	if w.first[life] == nil {
		w.first[life] = map[int32]int64{}
	}
	if _, ok := w.first[life][p]; !ok {
		w.first[life][p] = offset
	}
	w.count[life]++
	w.notify()
}

// allDone: every record produced was processed, and committed.
func (w *world) allDone() {
	w.t.Helper()
	w.allProcessed()
	w.waitUntil("every record committed", func() bool {
		return maps.Equal(w.b.committed(w.t, w.group), w.produced)
	})
}

// allProcessed: every record produced was processed.
func (w *world) allProcessed() {
	w.t.Helper()
	w.waitUntil("every record processed", func() bool {
		for p, n := range w.produced {
			if w.ledger.End(spec.TopicPartition{Topic: topic, Partition: p}) < n {
				return false
			}
		}
		return true
	})
}

// settled: the live members all joined one generation, synced in it, were
// given every partition exactly once between them, and own what they were
// given (a cooperative round that moves partitions is not settled: its
// plan withholds them).
func (w *world) settled() snapshot {
	w.t.Helper()
	var s snapshot
	w.waitUntil(fmt.Sprintf("a settled group of %d", len(w.members)), func() bool {
		var ok bool
		s, ok = w.snapshotLocked()
		return ok
	})
	return s
}

// snapshot is a settled group as the clients saw it.
type snapshot struct {
	Generation int32
	Leader     string // client id
	Protocol   string
	Owned      map[string][]int32 // by client id
}

func (s snapshot) String() string {
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(s.Owned)) {
		parts = append(parts, fmt.Sprintf("%s=%v", c, s.Owned[c]))
	}
	return fmt.Sprintf("gen=%d leader=%s protocol=%s %s", s.Generation, s.Leader, s.Protocol, strings.Join(parts, " "))
}

func (w *world) snapshotLocked() (snapshot, bool) {
	s := snapshot{Generation: -1, Owned: map[string][]int32{}}
	seen := map[int32]bool{}
	for name, c := range w.members {
		if c.gen < 0 || c.syncedGen != c.gen || (s.Generation >= 0 && c.gen != s.Generation) {
			return s, false
		}
		s.Generation = c.gen
		if c.leader {
			s.Leader, s.Protocol = name, c.protocol
		}
		if !maps.Equal(c.owned, c.synced) {
			return s, false
		}
		for p := range c.synced {
			if seen[p] {
				return s, false
			}
			seen[p] = true
			s.Owned[name] = append(s.Owned[name], p)
		}
		sort.Slice(s.Owned[name], func(i, j int) bool { return s.Owned[name][i] < s.Owned[name][j] })
	}
	return s, len(seen) == partitions && s.Leader != ""
}

func (w *world) describe() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(w.members)) {
		c := w.members[name]
		parts = append(parts, fmt.Sprintf("%s gen=%d synced=%d leader=%v owned=%v", name, c.gen, c.syncedGen, c.leader, slices.Sorted(maps.Keys(c.owned))))
	}
	return strings.Join(parts, "; ")
}

// consumer is one kgo group member, killable.
type consumer struct {
	w         *world
	name      string
	life      string
	cl        *kgo.Client
	dead      atomic.Bool
	connMu    sync.Mutex
	conns     []net.Conn
	hold      atomic.Bool // process but do not commit
	stop      context.CancelFunc
	done      chan struct{}
	processed int64
	// what kgo reported (under w.mu)
	gen, syncedGen int32
	leader         bool
	protocol       string
	owned          map[int32]bool // after the rebalance callbacks
	synced         map[int32]bool // the assignment of the last SyncGroup
}

// start starts a member with this client id (and instance id if static).
func (w *world) start(name string) *consumer {
	w.t.Helper()
	w.mu.Lock()
	w.lives[name]++
	c := &consumer{w: w, name: name, life: fmt.Sprintf("%s#%d", name, w.lives[name]), gen: -1, syncedGen: -2, owned: map[int32]bool{}, synced: map[int32]bool{}, done: make(chan struct{})}
	w.first[c.life] = map[int32]int64{}
	w.members[name] = c
	w.mu.Unlock()
	opts := []kgo.Opt{kgo.SeedBrokers(w.b.addr), kgo.ConsumerGroup(w.group), kgo.ConsumeTopics(topic), kgo.ClientID(name),
		kgo.Balancers(w.balancer()), kgo.DisableAutoCommit(), kgo.SessionTimeout(sessionMs * time.Millisecond),
		kgo.HeartbeatInterval(200 * time.Millisecond), kgo.RebalanceTimeout(10 * time.Second), kgo.FetchMaxWait(300 * time.Millisecond),
		kgo.Dialer(c.dial), kgo.WithLogger(observer{c}),
		kgo.OnPartitionsAssigned(c.assigned), kgo.OnPartitionsRevoked(c.revoked), kgo.OnPartitionsLost(c.revoked)}
	if w.static {
		opts = append(opts, kgo.InstanceID(name))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		w.t.Fatal(err)
	}
	c.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go c.loop(ctx)
	return c
}

func (c *consumer) loop(ctx context.Context) {
	defer close(c.done)
	for ctx.Err() == nil && !c.dead.Load() {
		fs := c.cl.PollFetches(ctx)
		if fs.IsClientClosed() || c.dead.Load() {
			return
		}
		fs.EachRecord(func(r *kgo.Record) {
			c.w.mu.Lock()
			c.w.processedLocked(c.life, r.Partition, r.Offset)
			c.processed++
			c.w.mu.Unlock()
		})
		if !c.hold.Load() {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			c.cl.CommitUncommittedOffsets(cctx)
			cancel()
		}
	}
}

// dial connects, unless the member was killed.
func (c *consumer) dial(ctx context.Context, network, host string) (net.Conn, error) {
	if c.dead.Load() {
		return nil, fmt.Errorf("%s was killed", c.life)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, host)
	if err == nil {
		c.connMu.Lock()
		c.conns = append(c.conns, nc)
		c.connMu.Unlock()
	}
	return nc, err
}

// kill is a crash: every connection cut at once, no LeaveGroup, nothing
// more processed or committed.
func (c *consumer) kill() {
	c.dead.Store(true)
	c.connMu.Lock()
	for _, nc := range c.conns {
		nc.Close()
	}
	c.connMu.Unlock()
	c.w.mu.Lock()
	delete(c.w.members, c.name)
	c.w.notify()
	c.w.mu.Unlock()
	c.stop()
	go c.cl.Close()
}

func (c *consumer) close() {
	c.stop()
	c.cl.Close()
	<-c.done
}

func (c *consumer) assigned(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	for _, p := range ps[topic] {
		c.owned[p] = true
	}
	c.w.notify()
}

func (c *consumer) revoked(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	for _, p := range ps[topic] {
		delete(c.owned, p)
	}
	c.w.notify()
}

// observer reads kgo's structured log for what it says of its group:
// "joined" (member id, generation, leader, protocol) and "synced".
type observer struct{ c *consumer }

func (o observer) Level() kgo.LogLevel { return kgo.LogLevelInfo }

func (o observer) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	kv := map[string]any{}
	for i := 0; i+1 < len(keyvals); i += 2 {
		if k, ok := keyvals[i].(string); ok {
			kv[k] = keyvals[i+1]
		}
	}
	c := o.c
	if c.dead.Load() {
		return
	}
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	switch {
	case strings.HasPrefix(msg, "joined"):
		c.gen, _ = kv["generation"].(int32)
		c.leader, _ = kv["leader"].(bool)
		c.protocol, _ = kv["balance_protocol"].(string)
		c.w.trace = append(c.w.trace, fmt.Sprintf("%s joined gen=%d leader=%v", c.life, c.gen, c.leader))
	case msg == "synced":
		c.syncedGen = c.gen
		c.synced = map[int32]bool{}
		if rv := reflect.ValueOf(kv["assigned"]); rv.Kind() == reflect.Map {
			if v := rv.MapIndex(reflect.ValueOf(topic)); v.IsValid() {
				ps, _ := v.Interface().([]int32)
				for _, p := range ps {
					c.synced[p] = true
				}
			}
		}
		c.w.trace = append(c.w.trace, fmt.Sprintf("%s synced gen=%d %v", c.life, c.gen, slices.Sorted(maps.Keys(c.synced))))
	}
	c.w.notify()
}
