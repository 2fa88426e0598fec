package coordinator

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// benchGroup is a Stable group of n members built through the protocol:
// every member joins (KIP-394: twice), the join completes, the leader syncs a
// plan splitting one topic of `partitions` partitions, everyone syncs.
type benchGroup struct {
	c     *Coordinator
	now   int64
	ids   []string
	plan  []spec.SyncGroupAssignment
	corr  int32
	metas []spec.Protocol
}

func newBenchGroup(tb testing.TB, n, partitions int) *benchGroup {
	cfg := DefaultConfig()
	cfg.InitialRebalanceDelayMs = 0
	c, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	g := &benchGroup{c: c, now: 1, metas: []spec.Protocol{{Name: "range",
		Metadata: spec.Subscription{Topics: []string{"t"}, GenerationID: -1}}}}
	for i := range n {
		resp := g.step(tb, g.join(fmt.Sprintf("c%d", i), "")).Responses[0].Body.(*spec.JoinGroupResponse)
		g.ids = append(g.ids, resp.MemberID)
	}
	for i, id := range g.ids {
		g.step(tb, g.join(fmt.Sprintf("c%d", i), id))
	}
	if _, err := c.Tick(g.now); err != nil { // the initial delay of 0 ms
		tb.Fatal(err)
	}
	for i, id := range g.ids {
		lo, hi := i*partitions/n, (i+1)*partitions/n
		ps := make([]int32, 0, hi-lo)
		for p := lo; p < hi; p++ {
			ps = append(ps, int32(p))
		}
		g.plan = append(g.plan, spec.SyncGroupAssignment{MemberID: id,
			Assignment: spec.MemberAssignment{Partitions: spec.Assignment{"t": ps}}})
	}
	g.syncAll(tb, 1)
	if v := c.Describe("g"); v.State != spec.Stable || len(v.Members) != n {
		tb.Fatalf("group is %s with %d members", v.State, len(v.Members))
	}
	return g
}

func (g *benchGroup) join(client, id string) spec.Message {
	g.corr++
	return spec.Message{From: client, To: spec.CoordinatorNode, Correlation: g.corr, Body: &spec.JoinGroupRequest{
		GroupID: "g", SessionTimeoutMs: 45000, RebalanceTimeoutMs: 300000, MemberID: id,
		ProtocolType: spec.ProtocolTypeConsumer, Protocols: g.metas, ClientID: client}}
}

func (g *benchGroup) step(tb testing.TB, m spec.Message) Ready {
	rd, err := g.c.Step(g.now, m)
	if err != nil {
		tb.Fatal(err)
	}
	return rd
}

// syncAll sends the leader's SyncGroup (with the plan), then everyone else's.
func (g *benchGroup) syncAll(tb testing.TB, gen int32) {
	leader := g.c.Describe("g").Leader
	for _, id := range append([]string{leader}, g.ids...) {
		req := &spec.SyncGroupRequest{GroupID: "g", GenerationID: gen, MemberID: id}
		if id == leader {
			req.Assignments = g.plan
		} else if id == g.ids[0] && leader != g.ids[0] {
			continue
		}
		g.corr++
		g.step(tb, spec.Message{From: id, To: spec.CoordinatorNode, Correlation: g.corr, Body: req})
	}
}

// BenchmarkHeartbeat is one member's heartbeat in a Stable group of 100
// (DESIGN §8: O(1) and allocation-free). Members take turns, and time moves
// on a millisecond per heartbeat, as it would.
func BenchmarkHeartbeat(b *testing.B) {
	g := newBenchGroup(b, 100, 1000)
	reqs := make([]spec.Message, len(g.ids))
	for i, id := range g.ids {
		reqs[i] = spec.Message{From: id, To: spec.CoordinatorNode, Correlation: 1,
			Body: &spec.HeartbeatRequest{GroupID: "g", GenerationID: 1, MemberID: id}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		g.now++
		rd, err := g.c.Step(g.now, reqs[i%len(reqs)])
		if err != nil || rd.Responses[0].Body.(spec.Response).Code() != spec.None {
			b.Fatal(err, rd)
		}
	}
}

// BenchmarkCommit is a one-partition OffsetCommit by a member of a Stable
// group of 100: the answer and the record are its two allocations.
func BenchmarkCommit(b *testing.B) {
	g := newBenchGroup(b, 100, 1000)
	reqs := make([]spec.Message, len(g.ids))
	for i, id := range g.ids {
		reqs[i] = spec.Message{From: id, To: spec.CoordinatorNode, Correlation: 1, Body: &spec.OffsetCommitRequest{
			GroupID: "g", GenerationID: 1, MemberID: id,
			Offsets: []spec.OffsetCommitPartition{{TopicPartition: spec.TopicPartition{Topic: "t", Partition: int32(i * 10)}, Offset: 42}}}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		g.now++
		rd, err := g.c.Step(g.now, reqs[i%len(reqs)])
		if err != nil || len(rd.Records) != 1 {
			b.Fatal(err, rd)
		}
	}
}

// BenchmarkRebalance is one whole rebalance of a Stable group on 10,000
// partitions, as the coordinator sees it: the leader rejoins, so does every
// other member, the join completes, the leader's plan arrives and everyone
// syncs. Its cost must grow linearly with the members (ns/op ÷ members
// about constant).
func BenchmarkRebalance(b *testing.B) {
	for _, n := range []int{250, 500, 1000, 2000} {
		b.Run("members="+strconv.Itoa(n), func(b *testing.B) {
			g := newBenchGroup(b, n, 10000)
			leader := g.c.Describe("g").Leader
			order := append([]string{leader}, g.ids...)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				for j, id := range order {
					if j == 0 || id != leader { // the leader first, once
						g.step(b, g.join(id, id))
					}
				}
				g.syncAll(b, int32(i+2))
			}
			b.StopTimer()
			if v := g.c.Describe("g"); v.State != spec.Stable || v.Generation != int32(b.N+1) {
				b.Fatalf("group %s at generation %d after %d rebalances", v.State, v.Generation, b.N)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/member")
		})
	}
}
