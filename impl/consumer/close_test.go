package consumer_test

// close() (ConsumerCoordinator.close, onLeavePrepare,
// AbstractCoordinator.maybeLeaveGroup) and configuration checks.

import (
	"strings"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

// wantClosed checks the consumer stopped and ignores later inputs.
func wantClosed(h *harness) {
	h.t.Helper()
	if h.c.Alive() {
		h.t.Fatal("consumer still alive after close")
	}
	h.runTo(h.now + 100000)
	if len(h.sent) != 0 || len(h.events) != 0 {
		h.t.Fatalf("closed consumer still acts: %v %v", h.sent, h.events)
	}
}

// ConsumerCoordinatorTest.testCloseDynamicAssignment: close commits the
// positions (auto-commit), revokes, and leaves the group.
func TestKafka_testCloseDynamicAssignment(t *testing.T) {
	cfg := baseConfig()
	cfg.AutoCommit = true
	h := start(t, cfg)
	h.stable(1, "consumer", tp("t", 0))
	h.consume(100)
	h.close()
	wantCommit(h, h.expect(spec.KeyOffsetCommit), 1, "consumer", 100)
	h.wantEvents("revoked t[0]")
	if l := body[*spec.LeaveGroupRequest](h, h.expect(spec.KeyLeaveGroup)); l.Members[0].MemberID != "consumer" {
		t.Fatalf("LeaveGroup %+v", l)
	}
	wantClosed(h)
}

// ConsumerCoordinatorTest.testLeaveGroupOnClose: without commits, close
// revokes and sends LeaveGroup with the member id.
func TestKafka_testLeaveGroupOnClose(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.stable(1, "consumer", tp("t", 0))
	h.close()
	h.none(spec.KeyOffsetCommit)
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyLeaveGroup)
	wantClosed(h)
}

// AbstractCoordinatorTest.testLeaveGroupSentWithGroupInstanceIdUnSet: a
// static member never sends LeaveGroup (KIP-345), a dynamic one does.
func TestKafka_testLeaveGroupSentWithGroupInstanceIdUnSet(t *testing.T) {
	for _, instance := range []string{"", "groupInstanceId"} {
		cfg := baseConfig()
		cfg.InstanceID = instance
		h := start(t, cfg)
		h.stable(1, "m", tp("t", 0))
		h.close()
		h.expect(spec.KeyOffsetCommit)
		h.wantEvents("revoked t[0]")
		if instance == "" {
			h.expect(spec.KeyLeaveGroup)
		} else {
			h.none(spec.KeyLeaveGroup)
		}
	}
}

// ConsumerCoordinatorTest.testPendingMemberShouldLeaveGroup: a member that
// got its id from MEMBER_ID_REQUIRED but has no generation yet still leaves.
func TestKafka_testPendingMemberShouldLeaveGroup(t *testing.T) {
	h := start(t, baseConfig())
	h.reply(h.expect(spec.KeyJoinGroup), joinErr(spec.MemberIDRequired, "consumer-id"))
	h.close()
	if l := body[*spec.LeaveGroupRequest](h, h.expect(spec.KeyLeaveGroup)); l.Members[0].MemberID != "consumer-id" {
		t.Fatalf("LeaveGroup %+v", l)
	}
	h.wantEvents()
}

// ConsumerCoordinatorTest.testUnsubscribeWithInvalidGeneration: after the
// generation was reset, onLeavePrepare loses the partitions (no commit), and
// an UNJOINED member sends no LeaveGroup.
func TestKafka_testUnsubscribeWithInvalidGeneration(t *testing.T) {
	cfg := baseConfig()
	cfg.AutoCommit = true
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.stall()
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.UnknownMemberID))
	h.close()
	h.wantEvents("lost t[0]")
	h.none(spec.KeyOffsetCommit)
	h.none(spec.KeyLeaveGroup)
}

// ConsumerCoordinator.onLeavePrepare: closing during a rebalance loses what
// a cooperative member still owns; a member with an id still leaves.
func TestKafka_onLeavePrepare_rebalanceInProgressLoses(t *testing.T) {
	cfg := baseConfig()
	cfg.AutoCommit = true
	cfg.Assignors = []assignors.Assignor{cooperativeMock("coop")}
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	h.expect(spec.KeyJoinGroup)
	h.close()
	h.wantEvents("lost t[0]")
	h.none(spec.KeyOffsetCommit)
	h.expect(spec.KeyLeaveGroup)
}

// ConsumerCoordinatorTest.testCloseCoordinatorNotKnownNoCommits: with the
// coordinator unknown and nothing to commit, close does not wait for it and
// sends no LeaveGroup (maybeLeaveGroup needs a known coordinator).
func TestKafka_testCloseCoordinatorNotKnownNoCommits(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.NotCoordinator))
	h.close()
	h.wantEvents("revoked t[0]")
	h.none(spec.KeyLeaveGroup)
}

// ConsumerCoordinatorTest.testCloseCoordinatorNotKnownWithCommits: the
// closing commitSync first looks the coordinator up again (in Kafka's test
// none answers, so close waits out its timeout; in kgroup rediscovery always
// succeeds), then commits, and the member leaves.
func TestKafka_testCloseCoordinatorNotKnownWithCommits(t *testing.T) {
	cfg := baseConfig()
	cfg.AutoCommit = true
	h := start(t, cfg)
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.NotCoordinator))
	h.close()
	h.expect(spec.KeyOffsetCommit)
	h.wantEvents("revoked t[0]")
	h.expect(spec.KeyLeaveGroup)
}

// Configuration checks: Heartbeat's constructor ("Heartbeat must be set
// lower than the session timeout"), ConsumerCoordinator's (a protocol all
// assignors share), and kgroup's own boundary checks.
func TestKafka_Heartbeat_rejectsBadConfig(t *testing.T) {
	for name, mutate := range map[string]func(*consumer.Config){
		"heartbeat-equals-session": func(c *consumer.Config) { c.HeartbeatIntervalMs = int64(c.SessionTimeoutMs) },
		"heartbeat-above-session":  func(c *consumer.Config) { c.HeartbeatIntervalMs = int64(c.SessionTimeoutMs) + 1 },
		"heartbeat-zero":           func(c *consumer.Config) { c.HeartbeatIntervalMs = 0 },
		"no-name":                  func(c *consumer.Config) { c.Name = "" },
		"no-group":                 func(c *consumer.Config) { c.GroupID = "" },
		"no-assignor":              func(c *consumer.Config) { c.Assignors = nil },
		"max-poll-zero":            func(c *consumer.Config) { c.MaxPollIntervalMs = 0 },
		"request-timeout-zero":     func(c *consumer.Config) { c.RequestTimeoutMs = 0 },
		"retry-backoff-zero":       func(c *consumer.Config) { c.RetryBackoffMs = 0 },
		"metadata-max-age-zero":    func(c *consumer.Config) { c.MetadataMaxAgeMs = 0 },
		"auto-commit-interval-0":   func(c *consumer.Config) { c.AutoCommit, c.AutoCommitIntervalMs = true, 0 },
		"no-common-protocol": func(c *consumer.Config) {
			c.Assignors = []assignors.Assignor{assignors.Range{},
				&mockAssignor{name: "coop-only", protocols: []spec.RebalanceProtocol{spec.Cooperative}}}
		},
	} {
		cfg := baseConfig()
		mutate(&cfg)
		if _, _, err := consumer.New(cfg, 0); err == nil {
			t.Errorf("%s: config accepted", name)
		} else if cfg.Name != "" && !strings.Contains(err.Error(), cfg.Name) {
			t.Errorf("%s: error %q does not name the consumer", name, err)
		}
	}
	if _, _, err := consumer.New(baseConfig(), 0); err != nil {
		t.Fatalf("default config rejected: %v", err)
	}
}
