package cgmodel

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
	"ConsumerGroup_tiny.cfg":   {174, 18, true},
	"ConsumerGroup_small.cfg":  {1390, 22, true},
	"ConsumerGroup_drops.cfg":  {4143, 29, true},
	"ConsumerGroup_expiry.cfg": {1864, 25, true},
	"ConsumerGroup_three.cfg":  {16837, 33, true},
	"ConsumerGroup_drops2.cfg": {53582, 36, true},
	"ConsumerGroup_faults.cfg": {186997, 34, true},
	"ConsumerGroup_three1.cfg": {220298, 37, true},
	"ConsumerGroup_drops3.cfg": {526312, 42, false},
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
				var v *Violation
				if errors.As(err, &v) {
					for i, s := range v.Trace {
						t.Logf("State %d: %s\n%s", i+1, s.Act.Format(), Format(&s.S))
					}
				}
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

// TestEncodingRoundTrips: every state of the drops model decodes from its
// encoding to a state that encodes alike (the explorer queues encodings).
func TestEncodingRoundTrips(t *testing.T) {
	p, err := ReadConfig("../ConsumerGroup_drops.cfg")
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	_, err = Explore(p, Options{Visit: func(s *State) {
		b := s.AppendState(nil)
		d, err := DecodeState(b, p.NumConsumers)
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
