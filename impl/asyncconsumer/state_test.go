package asyncconsumer_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/spec"
)

// frame renumbers correlation ids as the cluster does: distance from the
// consumer's last one.
func frame(c *asyncconsumer.Consumer, now int64) spec.StateFrame {
	return spec.StateFrame{Now: now, Corr: func(_ string, corr int32) int64 {
		if corr == 0 {
			return -1
		}
		return int64(c.LastCorrelation() - corr)
	}}
}

func encode(c *asyncconsumer.Consumer, now int64) []byte { return c.AppendState(nil, frame(c, now)) }

// Two consumers in the same state at different times, with different
// correlation ids behind them, encode alike.
func TestAppendStateEqualForEqualFutures(t *testing.T) {
	a := launch(t, config())
	a.join(1, part("t", 0))
	b := launch(t, config())
	// b lost one joining heartbeat to a timeout first: more requests sent.
	b.at(30000) // it times out and a JOINING member sends again at once
	b.pending = b.pending[1:]
	b.join(1, part("t", 0))
	ea, eb := encode(a.c, a.now), encode(b.c, b.now)
	if !bytes.Equal(ea, eb) {
		t.Fatalf("equal states encode differently:\n%x\n%x", ea, eb)
	}
	a.step(&spec.Consume{Records: 1})
	if bytes.Equal(encode(a.c, a.now), eb) {
		t.Fatal("a position change does not show in the encoding")
	}
}

func TestCloneIsIndependent(t *testing.T) {
	s := launch(t, config())
	ack, _ := s.join(1, part("t", 0))
	s.answer(ack, beat("m", 1))
	before := encode(s.c, s.now)
	clone := s.c.Clone()
	s.step(&spec.Consume{Records: 4})
	s.at(5000)
	hb, _ := s.heartbeat()
	s.answer(hb, assigned("m", 2, part("t", 1)))
	if got := encode(clone, 0); !bytes.Equal(got, before) {
		t.Fatal("stepping the original changed its clone")
	}
	if clone.View().Owned[0] != part("t", 0) || clone.Positions()[part("t", 0)] != 0 {
		t.Fatalf("clone %+v %v", clone.View(), clone.Positions())
	}
}

func TestBadInputsAreErrors(t *testing.T) {
	if _, _, err := asyncconsumer.New(asyncconsumer.Config{Name: "c"}, 0); err == nil {
		t.Fatal("a config without a group is accepted")
	}
	cfg := config()
	cfg.Topics = nil
	if _, _, err := asyncconsumer.New(cfg, 0); err == nil {
		t.Fatal("an empty subscription is accepted")
	}
	s := launch(t, config())
	s.now = 10
	s.step(&spec.Tick{})
	for _, tc := range []struct {
		now  int64
		body any
	}{{5, &spec.Tick{}}, {10, &spec.Consume{}}, {10, "junk"}, {10, &spec.Commit{MetadataBytes: -1}}, {10, nil}} {
		if _, err := s.c.Step(tc.now, spec.Message{Body: tc.body}); err == nil {
			t.Fatalf("input %#v at %d accepted", tc.body, tc.now)
		}
	}
	s.step(&spec.Stall{})
	if _, err := s.c.Step(10, spec.Message{Body: &spec.Consume{Records: 1}}); !errors.Is(err, asyncconsumer.ErrStalled) {
		t.Fatalf("consume while stalled: %v", err)
	}
}

// Random inputs and responses, including malformed ones, never panic, and
// the deadline always moves on.
func TestRandomInputsNeverPanic(t *testing.T) {
	codes := []spec.ErrorCode{spec.None, spec.None, spec.None, spec.FencedMemberEpoch, spec.UnknownMemberID,
		spec.NotCoordinator, spec.CoordinatorLoadInProgress, spec.StaleMemberEpoch, spec.FencedInstanceID}
	for seed := uint64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		cfg := config()
		cfg.AutoCommit = seed%2 == 0
		if seed%3 == 0 {
			cfg.InstanceID = "i"
		}
		s := launch(t, cfg)
		for i := 0; i < 60 && s.c.Alive(); i++ {
			s.now += int64(rng.IntN(8000))
			var body any
			switch rng.IntN(9) {
			case 0:
				body = &spec.Stall{}
			case 1:
				body = &spec.Unstall{}
			case 2:
				body = &spec.Consume{Records: 1}
			case 3:
				body = &spec.Commit{}
			case 4:
				if rng.IntN(10) == 0 {
					body = &spec.Close{}
				}
			default:
				if len(s.pending) > 0 {
					j := rng.IntN(len(s.pending))
					m := s.pending[j]
					s.pending = append(s.pending[:j], s.pending[j+1:]...)
					s.randomAnswer(rng, m, codes[rng.IntN(len(codes))])
					continue
				}
			}
			if body == nil {
				body = &spec.Tick{}
			}
			if err := s.c.Admit(body); err != nil {
				continue
			}
			s.step(body)
		}
		if d, ok := s.c.NextDeadline(); ok && d < s.now {
			// a deadline in the past fires at the next tick and must move on
			s.at(s.now)
			if d2, ok := s.c.NextDeadline(); ok && d2 < s.now {
				t.Fatalf("seed %d: deadline %d stays before %d", seed, d2, s.now)
			}
		}
	}
}

func (s *script) randomAnswer(rng *rand.Rand, m spec.Message, code spec.ErrorCode) {
	s.t.Helper()
	switch b := m.Body.(type) {
	case *spec.ConsumerGroupHeartbeatRequest:
		if code != spec.None {
			s.answer(m, failed(code))
			return
		}
		epoch := max(b.MemberEpoch, 0) + int32(rng.IntN(2))
		var parts []spec.TopicPartition
		for p := int32(0); p < 3; p++ {
			if rng.IntN(2) == 0 {
				parts = append(parts, part("t", p))
			}
		}
		if rng.IntN(3) == 0 {
			s.answer(m, beat("m", epoch))
		} else {
			s.answer(m, assigned("m", epoch, parts...))
		}
	case *spec.OffsetCommitRequest:
		s.answer(m, committed(m, code))
	case *spec.OffsetFetchRequest:
		s.answer(m, fetched(m, int64(rng.IntN(5))))
	}
}
