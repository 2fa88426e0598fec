package kfake

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/spec"
)

const (
	topic      = "orders"
	partitions = 6
	group      = "histories"
)

// recorder collects a history from several goroutines; its clock is a
// counter, so that every call and return is ordered.
type recorder struct {
	clock atomic.Int64
	mu    sync.Mutex
	ops   []linearizability.Op
}

func (r *recorder) now() int64 { return r.clock.Add(1) }

func (r *recorder) add(op linearizability.Op) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// code is a Kafka error code as the history writes it; codes kgroup has no
// name for become UNKNOWN_SERVER_ERROR (a failure, which constrains nothing).
func code(c int16) spec.ErrorCode {
	if e := spec.ErrorCode(c); e.Known() {
		return e
	}
	return spec.UnknownServerError
}

// member is one kgo consumer of the group, with the partitions it holds.
type member struct {
	name string
	cl   *kgo.Client
	rec  *recorder
	mu   sync.Mutex
	held map[int32]bool
	next int64 // the next offset it commits: its own counter, rising
}

func newMember(t *testing.T, c *kfake.Cluster, name string, rec *recorder) *member {
	m := &member{name: name, rec: rec, held: map[int32]bool{}}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ClientID(name), kgo.Balancers(kgo.CooperativeStickyBalancer()), kgo.DisableAutoCommit(),
		kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.OnPartitionsAssigned(m.assigned), kgo.OnPartitionsRevoked(m.revoked), kgo.OnPartitionsLost(m.revoked))
	if err != nil {
		t.Fatal(err)
	}
	m.cl = cl
	return m
}

// assigned records the generation the group showed: the callback runs
// after SyncGroup was answered, so the group was at that generation (and
// has not gone below it since) at this instant.
func (m *member) assigned(_ context.Context, cl *kgo.Client, ps map[string][]int32) {
	m.mu.Lock()
	for _, p := range ps[topic] {
		m.held[p] = true
	}
	m.mu.Unlock()
	id, gen := cl.GroupMetadata()
	at := m.rec.now()
	m.rec.add(linearizability.Op{V: linearizability.Version, Client: m.name, Call: at, Return: &at, Op: linearizability.OpSync,
		Input: linearizability.Input{Group: group, Generation: gen, Member: id}, Output: &linearizability.Output{}})
}

func (m *member) revoked(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
	m.mu.Lock()
	for _, p := range ps[topic] {
		delete(m.held, p)
	}
	m.mu.Unlock()
}

// commit commits a new offset of every partition the member holds, through
// the client, and records the request kgo sent and its answer.
func (m *member) commit(ctx context.Context) {
	m.mu.Lock()
	offsets := map[int32]kgo.EpochOffset{}
	for p := range m.held {
		m.next++
		offsets[p] = kgo.EpochOffset{Epoch: -1, Offset: m.next}
	}
	m.mu.Unlock()
	if len(offsets) == 0 {
		return
	}
	call := m.rec.now()
	m.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{topic: offsets},
		func(_ *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if req == nil {
				return // nothing was sent
			}
			op := linearizability.Op{V: linearizability.Version, Client: m.name, Call: call, Op: linearizability.OpCommit,
				Input: linearizability.Input{Group: group, Generation: req.Generation, Member: req.MemberID}}
			for _, t := range req.Topics {
				for _, p := range t.Partitions {
					op.Input.Offsets = append(op.Input.Offsets, linearizability.PartitionOffset{
						TopicPartition: spec.TopicPartition{Topic: t.Topic, Partition: p.Partition}, Offset: p.Offset})
				}
			}
			if err == nil && resp != nil {
				ret := m.rec.now()
				op.Return, op.Output = &ret, &linearizability.Output{}
				for i, t := range resp.Topics {
					name := t.Topic
					if name == "" && i < len(req.Topics) {
						name = req.Topics[i].Topic // OffsetCommit v10+ answers by topic id, in the request's order
					}
					for _, p := range t.Partitions {
						op.Output.Partitions = append(op.Output.Partitions, linearizability.PartitionResult{
							TopicPartition: spec.TopicPartition{Topic: name, Partition: p.Partition}, Error: code(p.ErrorCode)})
					}
				}
			}
			m.rec.add(op)
		})
}

// fetch reads the committed offset of every partition with an
// OffsetFetch through the client.
func (m *member) fetch(ctx context.Context) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	for p := range int32(partitions) {
		rt.Partitions = append(rt.Partitions, p)
	}
	req.Topics = append(req.Topics, rt)
	op := linearizability.Op{V: linearizability.Version, Client: m.name, Call: m.rec.now(), Op: linearizability.OpFetch,
		Input: linearizability.Input{Group: group}}
	for p := range int32(partitions) {
		op.Input.Partitions = append(op.Input.Partitions, spec.TopicPartition{Topic: topic, Partition: p})
	}
	resp, err := req.RequestWith(ctx, m.cl)
	if err == nil {
		ret := m.rec.now()
		op.Return, op.Output = &ret, &linearizability.Output{Error: code(resp.ErrorCode)}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				op.Output.Partitions = append(op.Output.Partitions, linearizability.PartitionResult{
					TopicPartition: spec.TopicPartition{Topic: t.Topic, Partition: p.Partition}, Offset: p.Offset, Error: code(p.ErrorCode)})
			}
		}
	}
	m.rec.add(op)
}

// run polls (which keeps the member in the group), commits and fetches
// until ctx ends.
func (m *member) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		m.cl.PollFetches(pctx)
		cancel()
		m.commit(ctx)
		m.fetch(ctx)
	}
}

// TestKfakeHistoriesAreLinearizable runs three kgo consumers in a group on
// kfake, one joining late and one leaving early, each committing rising
// offsets of what it holds and fetching every partition's, and checks the
// history. It is written to kfake-history.jsonl if KGROUP_HISTORY_OUT is set.
func TestKfakeHistoriesAreLinearizable(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	start := func(name string, d time.Duration) *member {
		m := newMember(t, c, name, rec)
		mctx, mcancel := context.WithTimeout(ctx, d)
		wg.Add(1)
		go func() { defer mcancel(); m.run(mctx, &wg) }()
		return m
	}
	a := start("a", 8*time.Second)
	b := start("b", 4*time.Second) // leaves halfway: a rebalance
	time.Sleep(2 * time.Second)
	late := start("c", 6*time.Second) // joins late: another
	wg.Wait()
	for _, m := range []*member{a, b, late} {
		m.cl.Close()
	}
	ops := rec.ops
	if path := os.Getenv("KGROUP_HISTORY_OUT"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			linearizability.Write(f, ops)
			f.Close()
		}
	}
	counts := map[string]int{}
	for _, op := range ops {
		counts[op.Op]++
	}
	res := linearizability.Check(ops, linearizability.Options{Timeout: time.Minute})
	t.Logf("%d operations (%v), %d partitions: %s", res.Ops, counts, res.Registers, res.Verdict)
	if counts[linearizability.OpCommit] < 10 || counts[linearizability.OpFetch] < 10 || counts[linearizability.OpSync] < 3 {
		t.Fatalf("too little happened to check: %v", counts)
	}
	if res.Verdict != linearizability.Ok {
		t.Fatalf("kfake's history is %s at %s", res.Verdict, res.Register)
	}
	// Not vacuous: the same history with one fetch answered one commit
	// behind is illegal.
	if !staleOne(ops) {
		t.Fatal("no fetch saw a commit that a later fetch could contradict")
	}
	if res := linearizability.Check(ops, linearizability.Options{Timeout: time.Minute}); res.Verdict != linearizability.Illegal {
		t.Fatalf("a stale answer planted in kfake's history went unnoticed: %s", res.Verdict)
	}
}

// staleOne makes the last successful fetch of a committed partition answer
// an offset below the one it read, in place.
func staleOne(ops []linearizability.Op) bool {
	for i := len(ops) - 1; i >= 0; i-- {
		op := ops[i]
		if op.Op != linearizability.OpFetch || op.Output == nil || op.Output.Error != spec.None {
			continue
		}
		for j, p := range op.Output.Partitions {
			if p.Error == spec.None && p.Offset > 1 {
				out := *op.Output
				out.Partitions = append([]linearizability.PartitionResult(nil), out.Partitions...)
				out.Partitions[j].Offset = -5
				ops[i].Output = &out
				return true
			}
		}
	}
	return false
}
