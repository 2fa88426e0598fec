package model

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tlcCounts are the distinct states and depth TLC reported for each
// configuration (tla/README.md has the runs). The twin must find exactly
// as many: that equality is what lets CI, which has no TLC, stand in for it.
var tlcCounts = map[string]struct {
	distinct int64
	depth    int // TLC's depth: states on the longest shortest path
	ci       bool
}{
	"ClassicGroup_tiny.cfg":     {10356, 35, true},
	"ClassicGroup_coop.cfg":     {37876, 60, true},
	"ClassicGroup_small.cfg":    {111244, 42, true},
	"ClassicGroup_offsets.cfg":  {29849, 36, true},
	"ClassicGroup_failover.cfg": {160442, 47, false},
	"ClassicGroup_drops.cfg":    {79028, 40, false},
	"ClassicGroup_coop1.cfg":    {339364, 60, false},
}

func TestTwinMatchesTLC(t *testing.T) {
	for name, want := range tlcCounts {
		if !want.ci && os.Getenv("TLA_LONG") == "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			p, err := ReadConfig(filepath.Join("..", name))
			if err != nil {
				t.Fatal(err)
			}
			st, err := Explore(p, Options{Check: true})
			if err != nil {
				t.Fatal(err)
			}
			if st.Distinct != want.distinct || st.Depth+1 != want.depth {
				t.Fatalf("twin: %d distinct states, depth %d; TLC: %d, depth %d", st.Distinct, st.Depth+1, want.distinct, want.depth)
			}
		})
	}
}

// TestReadmeHasTLCCounts: the README's table states the counts this test
// holds the twin to.
func TestReadmeHasTLCCounts(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range tlcCounts {
		row := ""
		for _, line := range strings.Split(string(readme), "\n") {
			if strings.HasPrefix(line, "| `"+name+"`") {
				row = line
			}
		}
		if !strings.Contains(row, commas(want.distinct)) {
			t.Errorf("README: the row of %s does not state %s distinct states: %q", name, commas(want.distinct), row)
		}
	}
}

// commas writes n as the README does: 111,244.
func commas(n int64) string {
	d := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(d[i])
	}
	return b.String()
}

// TestEncodingRoundTrips: every state of the tiny model decodes from its
// encoding to a state that encodes alike (the explorer queues encodings).
func TestEncodingRoundTrips(t *testing.T) {
	p, err := ReadConfig("../ClassicGroup_tiny.cfg")
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	_, err = Explore(p, Options{Visit: func(s *State) {
		b := s.AppendState(nil)
		d, err := DecodeState(b, len(p.Consumers))
		if err != nil || !bytes.Equal(d.AppendState(nil), b) {
			bad++
		}
	}})
	if err != nil || bad > 0 {
		t.Fatalf("%d states do not round-trip (%v)", bad, err)
	}
	if _, err := DecodeState([]byte{1, 2, 3}, 2); err == nil {
		t.Fatal("garbage decoded")
	}
}

// TestSearchIsDeterministic: one worker and two find the same states in the
// same order.
func TestSearchIsDeterministic(t *testing.T) {
	p, err := ReadConfig("../ClassicGroup_tiny.cfg")
	if err != nil {
		t.Fatal(err)
	}
	order := func(workers int) []byte {
		var all []byte
		if _, err := Explore(p, Options{Workers: workers, Visit: func(s *State) { all = s.AppendState(all) }}); err != nil {
			t.Fatal(err)
		}
		return all
	}
	if !bytes.Equal(order(1), order(2)) {
		t.Fatal("the order of states depends on the number of workers")
	}
}

func TestReadConfigErrors(t *testing.T) {
	base, err := os.ReadFile("../ClassicGroup_tiny.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ edit, want string }{
		{"  Drops = 0\n", "constant Drops is not given"},
		{"  Drops = 0", "  Drops = 0\n  Drops = 1"},
		{"  Drops = 0", "  Bogus = 1"},
		{"  Drops = 0", "  Drops = x"},
		{"  SlowBackoff = FALSE", "  SlowBackoff = maybe"},
		{`  EagerAssignor = "range"`, `  EagerAssignor = "nope"`},
		{`  CoopConsumers = {}`, `  CoopConsumers = {"c9"}`},
	} {
		var text string
		if strings.HasPrefix(tc.want, "constant") {
			text = strings.Replace(string(base), tc.edit, "", 1)
		} else {
			text = strings.Replace(string(base), tc.edit, tc.want, 1)
		}
		if _, err := ParseConfig(strings.NewReader(text)); err == nil {
			t.Errorf("%q accepted", tc.want)
		}
	}
}

// TestInvariantsCanFail: each invariant rejects a state that breaks it,
// and the explorer reports the violation with its trace.
func TestInvariantsCanFail(t *testing.T) {
	p, err := ReadConfig("../ClassicGroup_tiny.cfg")
	if err != nil {
		t.Fatal(err)
	}
	s := Init(p)
	s.G.Members = []Member{{ID: ID{1, 1}, Assign: PSet{Part(0, 0)}}, {ID: ID{2, 2}, Assign: PSet{Part(0, 0)}}}
	if CheckAssignment(&s) {
		t.Error("CheckAssignment accepts a partition held for two members")
	}
	for c := range s.C {
		s.C[c] = Consumer{St: Settled, Member: s.G.Members[c].ID, Owned: PSet{Part(0, 0)}}
	}
	if CheckExclusiveOwnership(&s) {
		t.Error("CheckExclusiveOwnership accepts two owners")
	}
	s.G.St, s.C[0].Gen = Stable, -1
	if CheckStableGeneration(&s) {
		t.Error("CheckStableGeneration accepts a stable member behind the group")
	}
	s.G.Committed = Offs{{Part(0, 0), 3}}
	if CheckCommittedProcessed(&s) {
		t.Error("CheckCommittedProcessed accepts a commit beyond what was processed")
	}
	s.C[1].Rev = Revoking{On: true, Parts: nil, Pending: nil}
	if CheckCooperativeRevoke(&s) {
		t.Error("CheckCooperativeRevoke accepts a revocation of less than owned \\ assigned")
	}
	t2 := s
	t2.G.Committed = Offs{{Part(0, 0), 1}}
	if CheckOffsetsMonotonic(&s, &t2) {
		t.Error("CheckOffsetsMonotonic accepts a regression")
	}
	t2.G.Gen = s.G.Gen - 1
	if CheckGenerations(&s, &t2) {
		t.Error("CheckGenerations accepts a generation going back")
	}
	s.Ghost.Bad |= BadFencing
	if CheckFencing(&s) {
		t.Error("CheckFencing accepts a fenced grant")
	}
	// The explorer stops at the first broken invariant with a trace.
	_, err = Explore(p, Options{Check: true, Constraint: func(s *State) bool {
		if len(s.C[0].Owned) > 0 {
			s.G.Committed = Offs{{s.C[0].Owned[0], 99}}
		}
		return true
	}})
	var v *Violation
	if !errors.As(err, &v) || v.Rule != "CheckCommittedProcessed" || len(v.Trace) < 2 || v.Trace[0].Act.Name != "Init" {
		t.Fatalf("want a CheckCommittedProcessed violation with a trace, got %v", err)
	}
}
