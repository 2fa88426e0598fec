package consumer_test

// Every timing and commit option at values other than Kafka's defaults, at
// the millisecond it takes effect and the one before (issue 9), and the
// commit options in every combination a user can set.

import (
	"fmt"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

// joinedAt makes the consumer member m of generation 1 owning t-0 at
// position 100, at time at.
func joinedAt(h *harness, at int64) {
	h.t.Helper()
	h.at(at)
	h.stable(1, "m", tp("t", 0))
	h.consume(100)
}

func TestOptionHeartbeatInterval(t *testing.T) {
	for _, interval := range []int64{1, 700, 9999} {
		cfg := baseConfig()
		cfg.HeartbeatIntervalMs, cfg.SessionTimeoutMs = interval, 10000
		h := start(t, cfg)
		joinedAt(h, 50)
		for beat := int64(1); beat <= 3; beat++ {
			h.runTo(50 + beat*interval - 1)
			h.none(spec.KeyHeartbeat)
			h.at(50 + beat*interval)
			h.reply(h.expect(spec.KeyHeartbeat), hb(spec.None))
		}
	}
}

func TestOptionSessionTimeout(t *testing.T) {
	for _, session := range []int32{6001, 10000, 100000} {
		// A commit sent just before the session would expire is answered
		// UNKNOWN_MEMBER_ID at the expiry or one millisecond before: only
		// a request still awaited is handled, and the expiry (no heartbeat
		// answered for a whole session) disconnects, failing it.
		for _, early := range []bool{true, false} {
			cfg := baseConfig()
			cfg.SessionTimeoutMs, cfg.HeartbeatIntervalMs, cfg.RequestTimeoutMs = session, 3000, 1<<40
			h := start(t, cfg)
			if j := body[*spec.JoinGroupRequest](h, h.sent[0]); j.SessionTimeoutMs != session {
				t.Fatalf("JoinGroup session timeout %d, want %d", j.SessionTimeoutMs, session)
			}
			joinedAt(h, 0)
			h.at(3000) // the answered heartbeat at 3000 restarts the session there
			h.reply(h.expect(spec.KeyHeartbeat), hb(spec.None))
			expiry := 3000 + int64(session)
			h.runTo(expiry - 1)
			h.drop(spec.KeyHeartbeat)
			h.commit()
			c := h.expect(spec.KeyOffsetCommit)
			if !early {
				h.at(expiry)
			}
			h.reply(c, commitResp(c, spec.UnknownMemberID))
			if v := h.c.View(); (v.Generation == -1) != early {
				t.Fatalf("session %d, answered at %d: generation %d", session, h.now, v.Generation)
			}
		}
	}
}

func TestOptionMaxPollInterval(t *testing.T) {
	for _, maxPoll := range []int32{1, 20000, 400000} {
		cfg := baseConfig()
		cfg.MaxPollIntervalMs = maxPoll
		h := start(t, cfg)
		j := body[*spec.JoinGroupRequest](h, h.sent[0])
		if j.RebalanceTimeoutMs != maxPoll {
			t.Fatalf("rebalance timeout %d, want %d", j.RebalanceTimeoutMs, maxPoll)
		}
		h.answerHeartbeats()
		joinedAt(h, 10)
		h.stall()
		h.runTo(10 + int64(maxPoll) - 1)
		h.none(spec.KeyLeaveGroup)
		h.at(10 + int64(maxPoll))
		h.expect(spec.KeyLeaveGroup)
	}
	// A JoinGroup may wait the rebalance timeout plus five seconds, or the
	// request timeout if that is longer (JOIN_GROUP_TIMEOUT_LAPSE).
	for _, c := range []struct {
		maxPoll int32
		request int64
		waits   int64
	}{{40000, 30000, 45000}, {20000, 30000, 30000}, {25000, 30000, 30000}, {25001, 30000, 30001}} {
		cfg := baseConfig()
		cfg.MaxPollIntervalMs, cfg.RequestTimeoutMs = c.maxPoll, c.request
		h := start(t, cfg)
		h.runTo(c.waits - 1)
		h.wantView("", -1, spec.ClientPreparingRebalance)
		h.at(c.waits)
		h.wantView("", -1, spec.ClientUnjoined)
	}
}

func TestOptionRequestTimeout(t *testing.T) {
	for _, timeout := range []int64{1, 5000, 40000} {
		cfg := baseConfig()
		cfg.RequestTimeoutMs, cfg.SessionTimeoutMs = timeout, 100000
		h := start(t, cfg)
		joinedAt(h, 0)
		h.at(3000)
		h.expect(spec.KeyHeartbeat) // never answered
		h.commit()
		c := h.expect(spec.KeyOffsetCommit)
		h.at(3000 + timeout - 1)
		h.reply(c, commitResp(c, spec.None)) // still awaited: handled
		h.commit()
		c = h.expect(spec.KeyOffsetCommit)
		h.at(3000 + timeout) // the heartbeat expires: disconnect, the commit fails with it
		h.reply(c, commitResp(c, spec.UnknownMemberID))
		h.wantView("m", 1, spec.ClientStable)
		h.wantEvents()
	}
}

func TestOptionRetryBackoff(t *testing.T) {
	for _, backoff := range []int64{1, 250, 5000} {
		cfg := baseConfig()
		cfg.RetryBackoffMs = backoff
		h := start(t, cfg)
		// JoinGroup: COORDINATOR_LOAD_IN_PROGRESS is retried after the backoff.
		h.reply(h.expect(spec.KeyJoinGroup), joinErr(spec.CoordinatorLoadInProgress, ""))
		h.at(backoff - 1)
		h.none(spec.KeyJoinGroup)
		h.at(backoff)
		h.expect(spec.KeyJoinGroup)
		// The coordinator lost: found again after the backoff, when the
		// heartbeats (due every millisecond here) resume.
		cfg.HeartbeatIntervalMs = 1
		h2 := start(t, cfg)
		joinedAt(h2, 0)
		h2.runTo(3000)
		last := h2.sent[len(h2.sent)-1]
		h2.drop(spec.KeyHeartbeat)
		h2.reply(last, hb(spec.NotCoordinator))
		h2.runTo(3000 + backoff - 1)
		h2.none(spec.KeyHeartbeat)
		h2.at(3000 + backoff)
		h2.expect(spec.KeyHeartbeat)
	}
}

func TestOptionMetadataMaxAge(t *testing.T) {
	for _, age := range []int64{1, 1000, 600000} {
		cfg := baseConfig()
		cfg.MetadataMaxAgeMs = age
		c, out, err := consumer.New(cfg, 0)
		if err != nil || !out.NeedMetadata {
			t.Fatalf("a new consumer does not ask for metadata: %v", err)
		}
		for n := int64(1); n <= 2; n++ {
			if out, _ := c.Tick(n*age - 1); out.NeedMetadata {
				t.Fatalf("age %d: metadata asked for at %d", age, n*age-1)
			}
			if out, _ := c.Tick(n * age); !out.NeedMetadata {
				t.Fatalf("age %d: metadata not asked for at %d", age, n*age)
			}
		}
	}
}

func TestOptionAutoCommitInterval(t *testing.T) {
	for _, interval := range []int64{1, 700, 60000} {
		cfg := baseConfig()
		cfg.AutoCommit, cfg.AutoCommitIntervalMs = true, interval
		h := start(t, cfg)
		h.answerHeartbeats()
		joinedAt(h, 10)
		for n := int64(1); n <= 2; n++ {
			h.runTo(10 + n*interval - 1)
			h.none(spec.KeyOffsetCommit)
			h.at(10 + n*interval)
			c := h.expect(spec.KeyOffsetCommit)
			wantCommit(h, c, 1, "m", 100)
			h.reply(c, commitResp(c, spec.None))
		}
	}
}

// TestCommitOptionCombinations: with auto-commit, the listener's commit, both
// or neither, whether positions are committed periodically, before an eager
// rejoin, for what a cooperative assignment takes away, and on close.
func TestCommitOptionCombinations(t *testing.T) {
	for _, auto := range []bool{false, true} {
		for _, onRevoke := range []bool{false, true} {
			for _, static := range []bool{false, true} {
				name := fmt.Sprintf("auto=%v/onRevoke=%v/static=%v", auto, onRevoke, static)
				commits := auto || onRevoke
				cfg := baseConfig()
				cfg.AutoCommit, cfg.CommitOnRevoke = auto, onRevoke
				if static {
					cfg.InstanceID = "i1"
				}
				t.Run(name+"/periodic", func(t *testing.T) {
					h := start(t, cfg)
					h.answerHeartbeats()
					joinedAt(h, 0)
					h.runTo(5000)
					if auto {
						wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "m", 100)
					}
					h.none(spec.KeyOffsetCommit)
				})
				t.Run(name+"/eager rejoin", func(t *testing.T) {
					h := start(t, cfg)
					joinedAt(h, 0)
					h.at(3000)
					h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
					if commits {
						c := h.expect(spec.KeyOffsetCommit)
						wantCommit(h, c, 1, "m", 100)
						h.none(spec.KeyJoinGroup)
						h.reply(c, commitResp(c, spec.None))
					}
					h.none(spec.KeyOffsetCommit)
					h.wantEvents("revoked t[0]")
					h.expect(spec.KeyJoinGroup)
				})
				t.Run(name+"/cooperative revoke", func(t *testing.T) {
					ccfg := cfg
					ccfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
					h := start(t, ccfg)
					h.stable(1, "m", tp("t", 0), tp("t", 1))
					h.consume(100)
					h.at(3000)
					h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
					h.none(spec.KeyOffsetCommit) // nothing leaves before the join
					h.joinAs(2, "m")
					h.syncWith(tp("t", 0))
					if commits {
						c := h.expect(spec.KeyOffsetCommit)
						if o := body[*spec.OffsetCommitRequest](h, c).Offsets; len(o) != 1 || o[0].TopicPartition != tp("t", 1) || o[0].Offset != 100 {
							t.Fatalf("revoke commit %v", o)
						}
						h.wantEvents()
						h.reply(c, commitResp(c, spec.None))
					}
					h.wantEvents("revoked t[1]")
					h.expect(spec.KeyJoinGroup)
				})
				t.Run(name+"/close", func(t *testing.T) {
					h := start(t, cfg)
					joinedAt(h, 0)
					h.close()
					if commits {
						wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "m", 100)
					}
					h.none(spec.KeyOffsetCommit)
					if static {
						h.none(spec.KeyLeaveGroup)
					} else {
						h.expect(spec.KeyLeaveGroup)
					}
					h.wantEvents("revoked t[0]")
				})
			}
		}
	}
}

// The wait for the listener's commit is bounded by the rebalance timeout
// before a rejoin and by default.api.timeout.ms (60 s) inside
// onJoinComplete, whatever the other timeouts are.
func TestOptionRevocationWait(t *testing.T) {
	for _, maxPoll := range []int32{7000, 90000} {
		cfg := baseConfig()
		cfg.MaxPollIntervalMs, cfg.RequestTimeoutMs, cfg.SessionTimeoutMs = maxPoll, 1<<40, 1<<30
		h := start(t, cfg)
		joinedAt(h, 0)
		h.at(3000)
		h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
		h.answerHeartbeats()
		h.expect(spec.KeyOffsetCommit) // never answered
		h.runTo(3000 + int64(maxPoll) - 1)
		h.none(spec.KeyJoinGroup)
		h.at(3000 + int64(maxPoll))
		h.wantEvents("revoked t[0]")
		h.expect(spec.KeyJoinGroup)
	}
	for _, maxPoll := range []int32{7000, 90000} {
		cfg := baseConfig()
		cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
		cfg.MaxPollIntervalMs, cfg.RequestTimeoutMs, cfg.SessionTimeoutMs = maxPoll, 1<<40, 1<<30
		h := start(t, cfg)
		h.stable(1, "m", tp("t", 0), tp("t", 1))
		h.consume(100)
		h.at(3000)
		h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
		h.answerHeartbeats()
		h.joinAs(2, "m")
		h.syncWith(tp("t", 0))
		h.expect(spec.KeyOffsetCommit) // never answered
		h.runTo(3000 + 60000 - 1)
		h.wantEvents()
		h.at(3000 + 60000)
		h.wantEvents("revoked t[1]")
	}
}
