package coordinator

import (
	"fmt"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// newStableConsumerGroup is a Stable consumer group of n members on one
// topic of `partitions` partitions, reached through the protocol: every
// member joins, then heartbeats (reporting what it owns) until every
// member is reconciled.
func newStableConsumerGroup(tb testing.TB, n, partitions int) (*Coordinator, []*spec.ConsumerGroupHeartbeatRequest) {
	c, err := New(DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	step := func(r *spec.ConsumerGroupHeartbeatRequest) *spec.ConsumerGroupHeartbeatResponse {
		rd, err := c.Step(1, spec.Message{From: "client", Body: r})
		if err != nil {
			tb.Fatal(err)
		}
		resp := rd.Responses[0].Body.(*spec.ConsumerGroupHeartbeatResponse)
		if resp.ErrorCode != spec.None {
			tb.Fatalf("heartbeat %s: %s", spec.FormatBody(r), resp.ErrorCode)
		}
		return resp
	}
	if _, err := c.Step(1, spec.Message{Body: &spec.MetadataUpdate{Topics: map[string]int32{"t": int32(partitions)}}}); err != nil {
		tb.Fatal(err)
	}
	owned := make([]spec.Assignment, n)
	epochs := make([]int32, n)
	ids := make([]string, n)
	for i := range n {
		resp := step(&spec.ConsumerGroupHeartbeatRequest{GroupID: "g", MemberID: fmt.Sprintf("m%04d", i), RebalanceTimeoutMs: 300000,
			SubscribedTopicNames: []string{"t"}, TopicPartitions: spec.Assignment{}})
		ids[i], epochs[i], owned[i] = resp.MemberID, resp.MemberEpoch, resp.Assignment
	}
	for round := 0; ; round++ {
		if v, _ := c.DescribeConsumerGroup("g"); v.State == spec.CGStable {
			break
		}
		if round > 10 {
			tb.Fatal("the group does not settle")
		}
		for i := range n {
			resp := step(&spec.ConsumerGroupHeartbeatRequest{GroupID: "g", MemberID: ids[i], MemberEpoch: epochs[i],
				RebalanceTimeoutMs: -1, TopicPartitions: owned[i]})
			epochs[i] = resp.MemberEpoch
			if resp.Assignment != nil {
				owned[i] = resp.Assignment
			}
		}
	}
	beats := make([]*spec.ConsumerGroupHeartbeatRequest, n)
	for i := range n {
		beats[i] = &spec.ConsumerGroupHeartbeatRequest{GroupID: "g", MemberID: ids[i], MemberEpoch: epochs[i], RebalanceTimeoutMs: -1}
	}
	return c, beats
}

// BenchmarkConsumerGroupHeartbeatStable is a plain heartbeat (every
// optional field null) of a member of a Stable consumer group: the
// coordinator's steady state (issue target: ≤ 300 ns, 0 allocs).
func BenchmarkConsumerGroupHeartbeatStable(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			c, beats := newStableConsumerGroup(b, n, 2*n)
			now := int64(1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				now++
				rd, err := c.Step(now, spec.Message{From: "client", Correlation: int32(i), Body: beats[i%n]})
				if err != nil || len(rd.Records) != 0 {
					b.Fatalf("%v, %d records", err, len(rd.Records))
				}
			}
		})
	}
}

// TestStableConsumerHeartbeatAllocatesNothing pins the fast path: a plain
// heartbeat of a reconciled member writes nothing and allocates nothing.
func TestStableConsumerHeartbeatAllocatesNothing(t *testing.T) {
	c, beats := newStableConsumerGroup(t, 4, 8)
	now, i := int64(1), 0
	allocs := testing.AllocsPerRun(100, func() {
		now++
		i++
		rd, err := c.Step(now, spec.Message{From: "client", Correlation: int32(i), Body: beats[i%4]})
		if err != nil || len(rd.Records) != 0 || rd.Responses[0].Body.(*spec.ConsumerGroupHeartbeatResponse).ErrorCode != spec.None {
			t.Fatalf("%v, %v", err, rd)
		}
	})
	if allocs != 0 {
		t.Fatalf("a Stable member's heartbeat allocates %.1f times", allocs)
	}
}

// TestSteadyHeartbeatAfterNewMetadata: a new metadata image makes the next
// heartbeat refresh the group's subscription metadata; after it, plain
// heartbeats take the fast path again (the refresh is not redone on
// every heartbeat).
func TestSteadyHeartbeatAfterNewMetadata(t *testing.T) {
	c, beats := newStableConsumerGroup(t, 4, 8)
	now := int64(2)
	if _, err := c.Step(now, spec.Message{Body: &spec.MetadataUpdate{Topics: map[string]int32{"t": 8, "other": 3}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Step(now, spec.Message{From: "client", Body: beats[0]}); err != nil {
		t.Fatal(err)
	}
	if c.cgroups["g"].refresh {
		t.Fatal("the heartbeat that refreshed the subscription metadata left the refresh pending")
	}
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		now++
		i++
		if _, err := c.Step(now, spec.Message{From: "client", Correlation: int32(i), Body: beats[i%4]}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("after a new metadata image a Stable member's heartbeat allocates %.1f times", allocs)
	}
}

// TestSteadyHeartbeatIsTheFullPath: the fast path answers exactly as the
// full one and leaves the same state, on steady heartbeats and on ones
// that just miss it (a stale epoch, a new client id, a static member).
func TestSteadyHeartbeatIsTheFullPath(t *testing.T) {
	c, beats := newStableConsumerGroup(t, 3, 6)
	variants := []func(r spec.ConsumerGroupHeartbeatRequest) spec.ConsumerGroupHeartbeatRequest{
		func(r spec.ConsumerGroupHeartbeatRequest) spec.ConsumerGroupHeartbeatRequest { return r },
		func(r spec.ConsumerGroupHeartbeatRequest) spec.ConsumerGroupHeartbeatRequest {
			r.MemberEpoch--
			return r
		},
		func(r spec.ConsumerGroupHeartbeatRequest) spec.ConsumerGroupHeartbeatRequest {
			r.ClientID = "other"
			return r
		},
		func(r spec.ConsumerGroupHeartbeatRequest) spec.ConsumerGroupHeartbeatRequest {
			r.InstanceID = spec.Str("i")
			return r
		},
		func(r spec.ConsumerGroupHeartbeatRequest) spec.ConsumerGroupHeartbeatRequest {
			r.MemberEpoch += 5
			return r
		},
	}
	now := int64(10)
	for round := range 3 {
		for i, b := range beats {
			for v, variant := range variants {
				now += 7
				r := variant(*b)
				fast, full := c.Clone(), c.Clone()
				fastOut, err1 := fast.Step(now, spec.Message{From: "client", Correlation: 1, Body: &r})
				fullPathOnly = true
				fullOut, err2 := full.Step(now, spec.Message{From: "client", Correlation: 1, Body: &r})
				fullPathOnly = false
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				f := spec.StateFrame{Now: now}
				if a, b := spec.FormatBody(fastOut.Responses[0].Body), spec.FormatBody(fullOut.Responses[0].Body); a != b ||
					len(fastOut.Records) != len(fullOut.Records) || string(fast.AppendState(nil, f)) != string(full.AppendState(nil, f)) {
					t.Fatalf("round %d member %d variant %d: fast path %s (%d records), full path %s (%d records), or states differ",
						round, i, v, a, len(fastOut.Records), b, len(fullOut.Records))
				}
			}
			now += 3
			if _, err := c.Step(now, spec.Message{From: "client", Body: b}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
