package transcript

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/internal/cmdline"
	"github.com/kgroup/kgroup/spec"
)

// query is a command that is not an action on the cluster: it sets up the
// session or shows something.
type query struct {
	usage, help string
	run         func(*Session, *cmdline.Args) ([]string, error)
}

// queries are the transcript's own commands; every other line is an action
// (cluster.ParseActions). Help is generated from this table and the
// cluster's.
var queries = []query{
	{"state", "the group, every consumer and the committed offsets", (*Session).state},
	{"inflight", "every message on the wire, with its id", (*Session).inflight},
	{"ledger", "records processed, and processed more than once", (*Session).ledger},
	{"records", "the coordinator's log", (*Session).records},
	{"check", "whether the group has converged (rule 6)", (*Session).check},
	{"stats", "rebalances and partitions paused since the last stats", (*Session).statsReport},
	{"trace [heartbeats=on|off] [messages=on|off]", "show successful heartbeats (default off);\nmessages=off prints only callbacks and group states", (*Session).trace},
}

func findQuery(name string) (query, bool) {
	for _, q := range queries {
		if w, _, _ := strings.Cut(q.usage, " "); w == name {
			return q, true
		}
	}
	return query{}, false
}

// Help describes every command, for `kgroup replay -h`.
var Help = func() string {
	var b strings.Builder
	b.WriteString("Commands (one per line; times in milliseconds; NAME is a consumer):\n  " + cluster.ConfigHelp + "\n")
	line := func(usage, help string) {
		lines := strings.Split(help, "\n")
		if len(usage) > 34 {
			fmt.Fprintf(&b, "  %s\n", usage)
			usage = ""
		}
		for i, l := range lines {
			if i > 0 {
				usage = ""
			}
			fmt.Fprintf(&b, "  %-34s %s\n", usage, l)
		}
	}
	for _, h := range cluster.ActionHelp() {
		line(h.Usage, h.Help)
	}
	for _, q := range queries {
		line(q.usage, q.help)
	}
	return strings.TrimRight(b.String(), "\n")
}()

// Session is one transcript's state: the cluster the commands drive.
type Session struct {
	cl         *cluster.Cluster
	heartbeats bool
	quiet      bool // trace messages=off: callbacks and group states only
	reported   bool // the first violation has been printed
	stats      stats
	onCluster  func(*cluster.Cluster)
}

// NewSession starts a session with no cluster.
func NewSession() *Session { return &Session{} }

// Cluster is the session's cluster (nil before the cluster command).
func (s *Session) Cluster() *cluster.Cluster { return s.cl }

// Exec executes one command line. It returns the output lines — what the
// command showed, then the events it caused and the first rule broken — and
// the reason the command failed, if it did.
func (s *Session) Exec(line string) ([]string, error) {
	a, err := cmdline.Parse(line)
	if err != nil {
		return nil, err
	}
	var out []string
	if a.Name == "cluster" {
		err = s.newCluster(line)
	} else if q, ok := findQuery(a.Name); ok {
		out, err = q.run(s, a)
	} else {
		out, err = s.act(line)
	}
	if s.cl != nil {
		out = append(out, s.events()...)
		if v := s.cl.Violation(); v != nil && !s.reported {
			s.reported = true
			out = append(out, "VIOLATION: "+v.Error())
		}
	}
	if len(out) == 0 && err == nil {
		out = []string{"ok"}
	}
	return out, err
}

// act parses a line as the actions it stands for and applies them.
func (s *Session) act(line string) ([]string, error) {
	word, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	switch {
	case !cluster.IsAction(word):
		return nil, fmt.Errorf("unknown command %q", word)
	case s.cl == nil:
		return nil, fmt.Errorf("%s: no cluster yet (start with: cluster topics=t:6)", word)
	}
	acts, err := cluster.ParseActions(line, s.cl)
	if err != nil {
		return nil, err
	}
	for _, act := range acts {
		if err := s.cl.Apply(act); err != nil {
			return nil, err
		}
		if act.Kind == cluster.ActStabilize {
			return []string{fmt.Sprintf("converged at %d", s.cl.Now())}, nil
		}
	}
	return nil, nil
}

func (s *Session) newCluster(line string) error {
	cfg, err := cluster.ParseConfig(line)
	if err != nil {
		return err
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		return err
	}
	s.cl, s.reported, s.stats = cl, false, stats{}
	if s.onCluster != nil {
		s.onCluster(cl)
	}
	cl.OnEvent(func(e spec.Event) { s.stats.observe(cl, e) })
	return nil
}

// needCluster checks a query's arguments and that there is a cluster.
func (s *Session) needCluster(a *cmdline.Args) error {
	if err := a.Count(0, 0); err != nil {
		return err
	}
	if err := a.Done(); err != nil {
		return err
	}
	if s.cl == nil {
		return fmt.Errorf("%s: no cluster yet (start with: cluster topics=t:6)", a.Name)
	}
	return nil
}

func (s *Session) trace(a *cmdline.Args) ([]string, error) {
	hb, err1 := a.OnOff("heartbeats", s.heartbeats)
	msgs, err2 := a.OnOff("messages", !s.quiet)
	if err := errors.Join(err1, err2, a.Count(0, 0), a.Done()); err != nil {
		return nil, err
	}
	s.heartbeats, s.quiet = hb, !msgs
	return nil, nil
}

func (s *Session) statsReport(a *cmdline.Args) ([]string, error) {
	if err := s.needCluster(a); err != nil {
		return nil, err
	}
	return s.stats.report(), nil
}

func (s *Session) inflight(a *cmdline.Args) ([]string, error) {
	if err := s.needCluster(a); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range s.cl.InFlight() {
		out = append(out, fmt.Sprintf("%d: %s", f.ID, f.Msg))
	}
	if out == nil {
		out = []string{"nothing in flight"}
	}
	return out, nil
}

func (s *Session) ledger(a *cmdline.Args) ([]string, error) {
	if err := s.needCluster(a); err != nil {
		return nil, err
	}
	l := s.cl.Ledger()
	return []string{fmt.Sprintf("processed=%d duplicates=%d", l.Processed, l.Duplicates)}, nil
}

func (s *Session) records(a *cmdline.Args) ([]string, error) {
	if err := s.needCluster(a); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range s.cl.Records() {
		out = append(out, r.String())
	}
	return out, nil
}

func (s *Session) check(a *cmdline.Args) ([]string, error) {
	if err := s.needCluster(a); err != nil {
		return nil, err
	}
	if err := s.cl.CheckConverged(); err != nil {
		return []string{"not converged: " + err.Error()}, nil
	}
	return []string{"converged"}, nil
}

func (s *Session) state(a *cmdline.Args) ([]string, error) {
	if err := s.needCluster(a); err != nil {
		return nil, err
	}
	return formatState(s.cl), nil
}
