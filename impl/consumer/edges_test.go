package consumer_test

// Timing and commit paths at their edges (issue 9): generation 0, a close
// in the middle of a join, nothing to commit with the coordinator unknown,
// a retriable auto-commit failure that keeps the coordinator, and OffsetFetch
// answers whose entries are skipped in any position; then the cases the
// mutation run (gremlins) found untested: timers restarted by a join or
// delayed by a reset, closes and rejoins without a generation or at 0, a
// consume of one partition, an empty commitSync, a follower's snapshot, and
// the planted bugs of the commit path.

import (
	"bytes"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/internal/mutant"
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

// A JoinGroup answered after the generation was reset while it was in flight
// (a commit of that generation failed ILLEGAL_GENERATION) is not taken
// (UnjoinedGroupException, retriable): the consumer joins again once
// retry.backoff.ms has passed, not before.
func TestJoinAnswerAfterResetWaitsBackoff(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke, cfg.RetryBackoffMs = false, 300
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.consume(5)
	h.runTo(3000)
	if refused := h.commit(); refused != "" {
		t.Fatalf("commit refused: %s", refused)
	}
	c := h.expect(spec.KeyOffsetCommit)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.wantEvents("revoked t[0]")
	j := h.expect(spec.KeyJoinGroup)
	h.reply(c, commitResp(c, spec.IllegalGeneration))
	h.wantView("m", -1, spec.ClientUnjoined)
	h.reply(j, joinOK(2, "m", "leader", h.protocol()))
	h.wantView("m", -1, spec.ClientUnjoined)
	h.none(spec.KeyJoinGroup)
	h.none(spec.KeySyncGroup)
	h.at(3299)
	h.none(spec.KeyJoinGroup)
	h.at(3300)
	h.expect(spec.KeyJoinGroup)
}

// Completing a join restarts the auto-commit timer: a cooperative member
// that keeps a positioned partition across the rebalance commits it a whole
// auto.commit.interval.ms after the join, not at once
// (ConsumerCoordinator.onJoinComplete: nextAutoCommitTimer.updateAndReset).
func TestAutoCommitTimerRestartsOnJoin(t *testing.T) {
	cfg := baseConfig()
	cfg.AutoCommit, cfg.AutoCommitIntervalMs = true, 5000
	cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.consume(5)
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.joinAs(2, "m")
	h.syncWith(tp("t", 0))
	h.wantView("m", 2, spec.ClientStable)
	h.none(spec.KeyOffsetCommit)
	h.answerHeartbeats()
	h.runTo(7999)
	h.none(spec.KeyOffsetCommit)
	h.runTo(8000)
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 2, "m", 5)
}

// A SkipAssignment flag in a follower's JoinGroup answer (Kafka sets it only
// for a returning static leader) changes nothing: the follower neither
// skips nor watches the group's topics, and encodes as one told nothing.
func TestFollowerIgnoresSkipAssignment(t *testing.T) {
	enc := func(skip bool) []byte {
		h := start(t, baseConfig())
		j := h.expect(spec.KeyJoinGroup)
		r := joinOK(1, "m", "leader", h.protocol(), member("m", []string{"t"}))
		r.SkipAssignment = skip
		h.reply(j, r)
		if h.c.SkippedAssignment() {
			t.Errorf("skip=%v: a follower skipped the assignment", skip)
		}
		h.syncWith(tp("t", 0))
		h.fetchAt(nil)
		h.metadata(map[string]int32{"t": 4})
		h.none(spec.KeyJoinGroup)
		return h.c.AppendState(nil, spec.StateFrame{Now: h.now})
	}
	if !bytes.Equal(enc(true), enc(false)) {
		t.Error("a follower told to skip the assignment encodes as another state")
	}
}

// Close loses, not revokes, when the consumer holds no generation or no
// member id, even in STABLE (onLeavePrepare: NO_GENERATION or an empty
// member id means lost). Only a coordinator that grants generation -1 or an
// empty member id gets a consumer there.
func TestCloseStableWithoutGenerationOrMemberLoses(t *testing.T) {
	for _, c := range []struct {
		gen int32
		id  string
	}{{-1, "m"}, {1, ""}} {
		h := start(t, baseConfig())
		h.stable(c.gen, c.id, tp("t", 0))
		h.consume(5)
		h.close()
		h.wantEvents("lost t[0]")
		h.none(spec.KeyOffsetCommit)
	}
}

// Consume of one partition processes that partition alone, wherever it
// stands among the owned ones, and each batch reports [position,
// position+n).
func TestConsumeOnePartitionAnywhere(t *testing.T) {
	for _, target := range []spec.TopicPartition{tp("t", 0), tp("t", 1), tp("t", 2)} {
		h := startWith(t, baseConfig(), map[string]int32{"t": 3})
		h.stable(1, "m", tp("t", 0), tp("t", 1), tp("t", 2))
		h.input(&spec.Consume{Records: 4, Partition: &target})
		h.input(&spec.Consume{Records: 3, Partition: &target})
		want := map[spec.TopicPartition]int64{tp("t", 0): 0, tp("t", 1): 0, tp("t", 2): 0}
		want[target] = 7
		if got := h.c.Positions(); len(got) != 3 || got[tp("t", 0)] != want[tp("t", 0)] ||
			got[tp("t", 1)] != want[tp("t", 1)] || got[tp("t", 2)] != want[tp("t", 2)] {
			t.Errorf("consume of %s: positions %v, want %v", target, got, want)
		}
		b := spec.FormatPartitions([]spec.TopicPartition{target})
		h.wantEvents("@0 c1 processed "+b+" [0,4)", "@0 c1 processed "+b+" [4,7)")
	}
}

// commitSync with no position known sends nothing (commitOffsetsSync returns
// at once for no offsets) and is no refusal.
func TestCommitSyncNothingKnown(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	h.syncWith(tp("t", 0))
	h.expect(spec.KeyOffsetFetch) // unanswered: the position stays unknown
	if refused := h.commit(); refused != "" {
		t.Fatalf("commit refused: %s", refused)
	}
	h.none(spec.KeyOffsetCommit)
}

// A leader whose round fails at SyncGroup and that then joins as a follower
// no longer watches the group's topics: a change of them rebalances nothing
// (ConsumerCoordinator.onJoinComplete drops a follower's assignmentSnapshot).
func TestFollowerAfterFailedLeadDoesNotWatchTopics(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	j := h.expect(spec.KeyJoinGroup)
	h.reply(j, joinOK(1, "m", "m", "range", member("m", []string{"t"})))
	h.reply(h.expect(spec.KeySyncGroup), syncErr(spec.RebalanceInProgress))
	h.joinAs(2, "m")
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantView("m", 2, spec.ClientStable)
	h.metadata(map[string]int32{"t": 4})
	h.none(spec.KeyJoinGroup)
	// The leader of that round does watch them; it did not skip assigning.
	h = start(t, cfg)
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(1, "m", "m", "range", member("m", []string{"t"})))
	if h.c.SkippedAssignment() {
		t.Error("a leader not told to skip reports a skipped assignment")
	}
	h.syncWith(tp("t", 0), tp("t", 1))
	h.fetchAt(nil)
	h.metadata(map[string]int32{"t": 4})
	h.expect(spec.KeyJoinGroup)
}

// The planted bugs of the commit path do what internal/mutant says, and
// only then: SkipAhead starts one past the committed offset; CommitZero
// commits offset 0 for every partition just positioned, and nothing when an
// answer positions none.
func TestPlantedCommitBugs(t *testing.T) {
	cfg := baseConfig()
	cfg.Bugs = mutant.Of(mutant.SkipAhead)
	h := start(t, cfg)
	h.joinAs(1, "m")
	h.syncWith(tp("t", 0))
	h.fetchAt(map[spec.TopicPartition]int64{tp("t", 0): 5})
	if pos := h.c.Positions(); pos[tp("t", 0)] != 6 {
		t.Errorf("SkipAhead: positions %v, want t-0 at 6", pos)
	}
	cfg.Bugs = mutant.Of(mutant.CommitZero)
	h = start(t, cfg)
	h.joinAs(1, "m")
	h.syncWith(tp("t", 0), tp("t", 1))
	f := h.expect(spec.KeyOffsetFetch)
	h.reply(f, &spec.OffsetFetchResponse{Partitions: []spec.OffsetFetchPartition{
		{TopicPartition: tp("t", 0), Offset: 5, ErrorCode: spec.UnstableOffsetCommit}}})
	h.none(spec.KeyOffsetCommit) // positioned nothing
	h.fetchAt(map[spec.TopicPartition]int64{tp("t", 0): 5, tp("t", 1): 7})
	c := body[*spec.OffsetCommitRequest](h, h.expect(spec.KeyOffsetCommit))
	if len(c.Offsets) != 2 || c.Offsets[0].Offset != 0 || c.Offsets[1].Offset != 0 {
		t.Errorf("CommitZero: committed %s, want t-0=0 t-1=0", spec.FormatBody(c))
	}
}

// Generation 0 is a generation at a rejoin too: the eager member commits
// under it and revokes, it does not lose.
func TestRejoinAtGenerationZeroRevokes(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(0, "m", tp("t", 0))
	h.consume(5)
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	c := h.expect(spec.KeyOffsetCommit)
	wantCommit(h, c, 0, "m", 5)
	h.none(spec.KeyJoinGroup)
	h.reply(c, commitResp(c, spec.None))
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyJoinGroup)
}

// A cooperative member whose listener does not commit revokes what moved
// and takes what it was newly given in the same step.
func TestCooperativeRevokeWithoutCommitFinishesAssignment(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
	h := startWith(t, cfg, map[string]int32{"t": 3})
	h.stable(1, "m", tp("t", 0), tp("t", 1))
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.joinAs(2, "m")
	h.syncWith(tp("t", 0), tp("t", 2))
	h.wantEvents("revoked t[1]", "assigned t[2]")
	h.wantOwned(tp("t", 0), tp("t", 2))
	f := body[*spec.OffsetFetchRequest](h, h.expect(spec.KeyOffsetFetch))
	if len(f.Partitions) != 1 || f.Partitions[0] != tp("t", 2) {
		t.Fatalf("fetched %v, want t-2", f.Partitions)
	}
	h.expect(spec.KeyJoinGroup) // the follow-up round
}

// A JoinGroup answer choosing a protocol the consumer did not offer is fatal
// (onJoinComplete: "Coordinator selected invalid assignment protocol").
func TestJoinChoosingUnknownProtocolFails(t *testing.T) {
	h := start(t, baseConfig())
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(1, "m", "leader", "nope"))
	h.wantFailed("INCONSISTENT_GROUP_PROTOCOL: the group chose nope")
}
