// Package sim answers "what happens to my group if…": it runs a scenario
// against kgroup's state machines with a steady workload and reports a
// timeline, who owned which partition when, and what the rebalances cost
// (pauses, records processed twice).
//
// A scenario is a transcript (package transcript) with two more commands:
//
//	rate N    every consumer processes N records per second of each partition it owns
//	run MS    let MS milliseconds pass under that workload
//
// Every rule of package spec is checked throughout; a broken one fails the run.
package sim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/transcript"
	"github.com/kgroup/kgroup/spec"
)

// Demo is the built-in scenario of `kgroup sim`: three consumers share six
// partitions and one crashes; the survivors pick up its partitions after its
// session times out and replay what it processed but had not committed.
const Demo = `# kgroup's built-in demo: three consumers share six partitions of "orders";
# each processes 100 records per second per partition and auto-commits every
# 5 s. At 20 s c2 crashes.
cluster topics=orders:6
start c1 c2 c3 session=10000 auto-commit=5000
rate 100
run 20000
crash c2
run 40000
`

// stepMs is the workload's granularity: consumers process a batch this often.
const stepMs = 100

// Sim is one scenario run.
type Sim struct {
	session  *transcript.Session
	rate     int64 // records per second per owned partition
	budget   int64 // milliseconds × records not yet processed, carried between steps
	timeline []string
	samples  []sample
	hooked   *cluster.Cluster
	// resumed marks (consumer, partition) whose first batch after an
	// assignment has been reported.
	resumed map[string]bool
}

// sample is who owned each partition at one instant.
type sample struct {
	at     int64
	owners map[spec.TopicPartition]string
}

// Run executes a scenario and writes the report to w. It returns an error for
// a malformed scenario, a command that fails, or a broken rule.
func Run(r io.Reader, w io.Writer) error {
	s := &Sim{session: transcript.NewSession(), resumed: map[string]bool{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := s.exec(line); err != nil {
			s.report(w)
			return fmt.Errorf("line %d: %s: %w", n, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	s.report(w)
	if cl := s.session.Cluster(); cl != nil && cl.Violation() != nil {
		return fmt.Errorf("a rule was broken: %w", cl.Violation())
	}
	return nil
}

func (s *Sim) exec(line string) error {
	words := strings.Fields(line)
	switch words[0] {
	case "rate", "run":
		if len(words) != 2 {
			return fmt.Errorf("%s takes one number", words[0])
		}
		n, err := strconv.ParseInt(words[1], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%s: %q is not a non-negative integer", words[0], words[1])
		}
		if words[0] == "rate" {
			s.rate = n
			return nil
		}
		return s.run(n)
	}
	_, err := s.session.Exec(line)
	s.hook()
	return err
}

// hook starts listening to a cluster the session just created.
func (s *Sim) hook() {
	cl := s.session.Cluster()
	if cl == nil || cl == s.hooked {
		return
	}
	s.hooked = cl
	s.samples = nil
	cl.OnEvent(s.onEvent)
	cl.DiscardEvents() // the timeline listens; nobody reads them later
	s.sample()
}

// run lets d milliseconds pass, processing records at the rate.
func (s *Sim) run(d int64) error {
	cl := s.session.Cluster()
	if cl == nil {
		return fmt.Errorf("no cluster yet")
	}
	for end := cl.Now() + d; cl.Now() < end; {
		step := min(stepMs, end-cl.Now())
		if err := cl.Apply(cluster.Action{Kind: cluster.ActAdvance, Ms: step}); err != nil {
			return err
		}
		s.budget += s.rate * step
		batch := s.budget / 1000
		s.budget %= 1000
		if batch > 0 {
			if err := cl.Apply(cluster.Action{Kind: cluster.ActConsumeAll, Records: batch}); err != nil {
				return err
			}
		}
		s.sample()
		if err := cl.Violation(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sim) sample() {
	cl := s.session.Cluster()
	owners := map[spec.TopicPartition]string{}
	for _, c := range cl.Snapshot().Consumers {
		if !c.Alive {
			continue
		}
		for _, tp := range c.Owned {
			owners[tp] = c.Name
		}
	}
	s.samples = append(s.samples, sample{at: cl.Now(), owners: owners})
}
