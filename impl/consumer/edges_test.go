package consumer_test

// Timing and commit paths at their edges (issue 9): generation 0, a close
// in the middle of a join, nothing to commit with the coordinator unknown,
// a retriable auto-commit failure that keeps the coordinator, and OffsetFetch
// answers whose entries are skipped in any position.

import (
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// Generation 0 is a generation (Kafka's NO_GENERATION is -1): a member of
// it that closes commits and revokes, as any settled member does.
func TestCloseAtGenerationZero(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(0, "m", tp("t", 0))
	h.consume(5)
	h.close()
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 0, "m", 5)
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyLeaveGroup)
}

// Closing while the SyncGroup is in flight (generation and member id known,
// not STABLE) is closing mid-rebalance: lose, commit nothing
// (ConsumerCoordinator.onLeavePrepare).
func TestCloseWhileSyncing(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(1, "m", tp("t", 0))
	h.consume(5)
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	c := h.expect(spec.KeyOffsetCommit) // the eager pre-join commit
	h.reply(c, commitResp(c, spec.None))
	h.wantEvents("revoked t[0]")
	h.joinAs(2, "m")
	h.wantView("m", 2, spec.ClientCompletingRebalance)
	h.close()
	h.none(spec.KeyOffsetCommit)
	h.wantEvents()
	h.expect(spec.KeyLeaveGroup)
}

// With nothing to commit, close does not look the coordinator up
// (commitOffsetsSync returns at once for no offsets), so no LeaveGroup can
// go either.
func TestCloseNothingToCommitCoordinatorUnknown(t *testing.T) {
	for _, owns := range [][]spec.TopicPartition{nil, {tp("t", 0)}} {
		cfg := baseConfig()
		cfg.AutoCommit = true
		h := start(t, cfg)
		h.joinAs(1, "m")
		h.syncWith(owns...)
		h.drop(spec.KeyOffsetFetch) // positions stay unknown
		h.at(3000)
		h.reply(h.expect(spec.KeyHeartbeat), hb(spec.NotCoordinator))
		h.close()
		h.none(spec.KeyOffsetCommit)
		h.none(spec.KeyLeaveGroup)
	}
}

// An auto-commit failing with a retriable error that keeps the coordinator
// (COORDINATOR_LOAD_IN_PROGRESS) is retried after retry.backoff.ms exactly
// (autoCommitOffsetsAsync: nextAutoCommitTimer.updateAndReset(retryBackoffMs)).
func TestAutoCommitRetriableKeepsCoordinator(t *testing.T) {
	cfg := baseConfig()
	cfg.AutoCommit, cfg.RetryBackoffMs = true, 300
	h := start(t, cfg)
	h.answerHeartbeats()
	h.stable(1, "m", tp("t", 0))
	h.consume(5)
	h.runTo(5000)
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(c, commitResp(c, spec.CoordinatorLoadInProgress))
	h.runTo(5299)
	h.none(spec.KeyOffsetCommit)
	h.at(5300)
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "m", 5)
}

// An OffsetFetch answer's entries for partitions already positioned, not
// owned, or failed are skipped wherever they stand; the rest are used. A
// failed one is fetched again.
func TestFetchAnswerSkipsEntries(t *testing.T) {
	skipped := []spec.OffsetFetchPartition{
		{TopicPartition: tp("t", 9), Offset: 50},                                       // not owned
		{TopicPartition: tp("t", 1), Offset: 60, ErrorCode: spec.UnstableOffsetCommit}, // failed
	}
	used := spec.OffsetFetchPartition{TopicPartition: tp("t", 0), Offset: 7}
	for _, p := range placed(skipped, used) {
		t.Run(p.name, func(t *testing.T) {
			h := startWith(t, baseConfig(), map[string]int32{"t": 10})
			h.joinAs(1, "m")
			h.syncWith(tp("t", 0), tp("t", 1))
			f := h.expect(spec.KeyOffsetFetch)
			h.reply(f, &spec.OffsetFetchResponse{Partitions: p.in})
			pos := h.c.Positions()
			if len(pos) != 1 || pos[tp("t", 0)] != 7 {
				t.Fatalf("positions %v, want t-0 at 7 only", pos)
			}
			again := body[*spec.OffsetFetchRequest](h, h.expect(spec.KeyOffsetFetch))
			if len(again.Partitions) != 1 || again.Partitions[0] != tp("t", 1) {
				t.Fatalf("refetched %v, want t-1", again.Partitions)
			}
			// A second answer for t-0 does not move its position.
			h.reply(spec.Message{From: "c1", Correlation: h.c.LastCorrelation()}, &spec.OffsetFetchResponse{Partitions: []spec.OffsetFetchPartition{
				{TopicPartition: tp("t", 0), Offset: 99}, {TopicPartition: tp("t", 1), Offset: 3}}})
			if pos := h.c.Positions(); pos[tp("t", 0)] != 7 || pos[tp("t", 1)] != 3 {
				t.Fatalf("positions %v after the second answer", pos)
			}
		})
	}
}

// placed returns rest with x put first, in the middle and last.
func placed[T any](rest []T, x T) []struct {
	name string
	in   []T
} {
	mid := len(rest) / 2
	cat := func(parts ...[]T) []T {
		var out []T
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	return []struct {
		name string
		in   []T
	}{{"first", cat([]T{x}, rest)}, {"middle", cat(rest[:mid], []T{x}, rest[mid:])}, {"last", cat(rest, []T{x})}}
}
