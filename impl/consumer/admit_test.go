package consumer_test

// The consumer's input bounds and identity at their edges (issue 9).

import (
	"bytes"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

func TestAdmitBounds(t *testing.T) {
	h := start(t, baseConfig())
	h.joinAs(1, "m")
	h.syncWith(tp("t", 0), tp("t", 1))
	h.fetchAt(map[spec.TopicPartition]int64{tp("t", 0): consumer.MaxOffset - 10})
	other := tp("t", 1)
	for _, c := range []struct {
		body any
		ok   bool
	}{
		{&spec.Consume{Records: 0}, false},
		{&spec.Consume{Records: -1}, false},
		{&spec.Consume{Records: 1, Partition: &other}, true},
		{&spec.Consume{Records: 10}, true},  // t-0 reaches MaxOffset exactly
		{&spec.Consume{Records: 11}, false}, // one past it
		{&spec.Consume{Records: 11, Partition: &other}, true},
		{&spec.Commit{MetadataBytes: -1}, false},
		{&spec.Commit{MetadataBytes: 0}, true},
		{&spec.Commit{MetadataBytes: consumer.MaxCommitMetadataBytes}, true},
		{&spec.Commit{MetadataBytes: consumer.MaxCommitMetadataBytes + 1}, false},
		{&spec.JoinGroupRequest{}, false},
	} {
		if err := h.c.Admit(c.body); (err == nil) != c.ok {
			t.Errorf("Admit(%s) = %v, want admitted=%v", spec.FormatBody(c.body), err, c.ok)
		}
		if _, err := h.c.Step(h.now, spec.Message{Body: c.body}); (err == nil) != c.ok {
			t.Errorf("Step(%s) = %v, want admitted=%v", spec.FormatBody(c.body), err, c.ok)
		}
		h.sent = nil
	}
}

func TestAddressDefaultsToName(t *testing.T) {
	h := start(t, baseConfig())
	if h.c.Config().Address != "c1" || h.sent[0].From != "c1" {
		t.Fatalf("address %q, sent from %q", h.c.Config().Address, h.sent[0].From)
	}
	cfg := baseConfig()
	cfg.Address = "c1#2"
	h = start(t, cfg)
	if h.c.Config().Address != "c1#2" || h.sent[0].From != "c1#2" {
		t.Fatalf("address %q, sent from %q", h.c.Config().Address, h.sent[0].From)
	}
}

// The sticky user data of a first join claims nothing of generation -1
// (Kafka's default); after a round it claims that round's assignment.
func TestStickyUserDataGenerations(t *testing.T) {
	cfg := baseConfig()
	cfg.Assignors = []assignors.Assignor{assignors.Sticky{}}
	h := start(t, cfg)
	userData := func() []byte { // of the JoinGroup waiting, left for the test to answer
		for _, m := range h.sent {
			if m.Key() == spec.KeyJoinGroup {
				return body[*spec.JoinGroupRequest](h, m).Protocols[0].Metadata.UserData
			}
		}
		h.t.Fatal("no JoinGroup")
		return nil
	}
	if got := userData(); !bytes.Equal(got, assignors.Sticky{}.EncodeUserData(nil, -1)) {
		t.Fatalf("first join user data %x", got)
	}
	h.stable(1, "m", tp("t", 0))
	h.at(3000)
	h.reply(h.expect(spec.KeyHeartbeat), hb(spec.RebalanceInProgress))
	c := h.expect(spec.KeyOffsetCommit) // the listener's, before the eager rejoin
	h.reply(c, commitResp(c, spec.None))
	if got := userData(); !bytes.Equal(got, assignors.Sticky{}.EncodeUserData([]spec.TopicPartition{tp("t", 0)}, 1)) {
		t.Fatalf("rejoin user data %x", got)
	}
}

// Correlation ids count up from 1, one per request, as Kafka's
// NetworkClient numbers them; LastCorrelation is the last one sent.
func TestCorrelationIDsCountUp(t *testing.T) {
	h := start(t, baseConfig())
	h.stable(1, "m", tp("t", 0))
	h.commit()
	h.at(3000)
	for i, m := range h.sent {
		if m.Correlation != int32(i+4) { // JoinGroup 1, SyncGroup 2, OffsetFetch 3
			t.Fatalf("request %d has correlation id %d: %v", i, m.Correlation, h.sent)
		}
	}
	if got := h.c.LastCorrelation(); got != 5 {
		t.Fatalf("LastCorrelation %d, want 5", got)
	}
}

// A leader that assigned a topic listed with no partitions sees its deletion
// as a change (MetadataSnapshot.matches: an empty partition list is not an
// absent topic).
func TestLeaderSeesEmptyTopicDeleted(t *testing.T) {
	cfg := baseConfig()
	cfg.CommitOnRevoke = false
	cfg.Topics = []string{"t", "u"}
	h := startWith(t, cfg, map[string]int32{"t": 1, "u": 0})
	h.reply(h.expect(spec.KeyJoinGroup), joinOK(1, "c1-1", "c1-1", "range", member("c1-1", []string{"t", "u"})))
	h.syncWith(tp("t", 0))
	h.fetchAt(nil)
	h.wantEvents("assigned t[0]")
	h.metadata(map[string]int32{"t": 1, "u": 0})
	h.none(spec.KeyJoinGroup)
	h.metadata(map[string]int32{"t": 1})
	h.expect(spec.KeyJoinGroup)
}
