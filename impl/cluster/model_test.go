package cluster_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// chooser is a source of choices: rapid (which shrinks failures) or a seeded
// math/rand source (for the planted-bug tests, which must find a failure).
type chooser interface {
	intn(label string, n int) int
}

type rapidChooser struct{ t *rapid.T }

func (r rapidChooser) intn(label string, n int) int { return rapid.IntRange(0, n-1).Draw(r.t, label) }

type seededChooser struct{ r *rand.Rand }

func (s seededChooser) intn(_ string, n int) int { return s.r.IntN(n) }

// model drives one random run. Its shape: a safety phase of random actions —
// membership changes, crashes, stalls, freezes past the session timeout,
// partition changes, commits, message delays (choosing what to deliver) and
// drops — with every rule checked after every step; then a liveness phase
// that heals everything and demands convergence.
type model struct {
	cl    *cluster.Cluster
	ch    chooser
	names []string
	trace []string
	// Options: which kinds of fault the run may use.
	opts modelOptions
	// skipped: consumer addresses whose latest JoinGroup answer made them
	// leader with skipAssignment (a returning static leader, KIP-814).
	skipped map[string]bool
	// staticLeaderGap: the run ended in Kafka's static-leader metadata gap
	// (transcript static_leader_misses_metadata_change).
	staticLeaderGap bool
	family          int // index into assignorFamilies
}

type modelOptions struct {
	consumers int  // how many consumer names exist
	steps     int  // safety-phase length (at most)
	failover  bool // may move the group to a new coordinator
	static    bool // some consumers are static members (KIP-345)
}

var defaultOptions = modelOptions{consumers: 4, steps: 200, failover: true, static: true}

func newModel(ch chooser, opts modelOptions) (*model, error) {
	cfg := cluster.Config{GroupID: "g", Coordinator: coordinator.DefaultConfig(),
		Topics: map[string]int32{"a": int32(1 + ch.intn("partitions-a", 6)), "b": int32(ch.intn("partitions-b", 4))}}
	cfg.Coordinator.InitialRebalanceDelayMs = int64(ch.intn("initial-delay", 3)) * 1000
	cl, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	m := &model{cl: cl, ch: ch, opts: opts, skipped: map[string]bool{}, family: ch.intn("family", len(assignorFamilies))}
	cl.OnEvent(m.watchSkips)
	// A quarter of the runs may fail the coordinator over.
	m.opts.failover = opts.failover && ch.intn("failover", 4) == 0
	for i := range opts.consumers {
		m.names = append(m.names, fmt.Sprintf("c%d", i+1))
	}
	return m, nil
}

// assignorFamilies: each run draws one family, and its consumers draw
// assignor lists from it, so groups form. In the cooperative family a
// consumer whose only assignor is cooperative-sticky runs the cooperative
// protocol (KIP-429) and one that also lists range runs eager, as in Kafka's
// two-bounce upgrade; eager and cooperative members share a group. Each
// family has a misfit that meets INCONSISTENT_GROUP_PROTOCOL.
var assignorFamilies = [][][]assignors.Assignor{
	{ // classic
		{assignors.Range{}}, {assignors.Range{}, assignors.RoundRobin{}}, {assignors.RoundRobin{}, assignors.Range{}},
		{assignors.RoundRobin{}, assignors.Range{}}, {assignors.Range{}, assignors.RoundRobin{}}, {assignors.RoundRobin{}},
	},
	{ // cooperative, with eager members mid-upgrade
		{assignors.CooperativeSticky{}}, {assignors.CooperativeSticky{}}, {assignors.CooperativeSticky{}},
		{assignors.CooperativeSticky{}, assignors.Range{}}, {assignors.Range{}, assignors.CooperativeSticky{}}, {assignors.Range{}},
	},
	{ // eager sticky
		{assignors.Sticky{}}, {assignors.Sticky{}, assignors.Range{}}, {assignors.Range{}, assignors.Sticky{}},
		{assignors.Sticky{}}, {assignors.RoundRobin{}},
	},
}

// consumerConfig draws a consumer's settings: short timeouts so that runs
// reach session and poll expiry in few steps.
func (m *model) consumerConfig(name string) consumer.Config {
	topics := [][]string{{"a"}, {"a", "b"}, {"b"}}[m.ch.intn("topics", 3)]
	cfg := consumer.DefaultConfig(name, "g", topics...)
	family := assignorFamilies[m.family]
	cfg.Assignors = family[m.ch.intn("assignors", len(family))]
	cfg.SessionTimeoutMs = int32(6000 + 2000*m.ch.intn("session", 4))
	cfg.HeartbeatIntervalMs = int64(1000 + 1000*m.ch.intn("heartbeat", 2))
	cfg.MaxPollIntervalMs = int32(8000 + 4000*m.ch.intn("poll", 4))
	cfg.RequestTimeoutMs = 5000
	cfg.AutoCommit = m.ch.intn("auto-commit", 2) == 0
	cfg.AutoCommitIntervalMs = 2000
	cfg.CommitOnRevoke = m.ch.intn("commit-on-revoke", 3) > 0
	cfg.MetadataMaxAgeMs = 10000
	if m.opts.static && m.ch.intn("static", 4) == 0 {
		cfg.InstanceID = "i-" + name // KIP-345: restarts keep the instance id
	}
	return cfg
}

func (m *model) log(format string, args ...any) {
	m.trace = append(m.trace, fmt.Sprintf("@%d ", m.cl.Now())+fmt.Sprintf(format, args...))
}

// run plays the safety phase, then the liveness phase. It returns the first
// rule broken.
func (m *model) run() error {
	steps := m.opts.steps/2 + m.ch.intn("steps", m.opts.steps/2+1)
	for range steps {
		if err := m.step(); err != nil {
			return err
		}
		if err := m.cl.Violation(); err != nil {
			return err
		}
	}
	return m.heal()
}

func (m *model) pick(label string) string { return m.names[m.ch.intn(label, len(m.names))] }

// step performs one random action. Actions that do not apply to the chosen
// consumer's state are skipped (they cost a step, nothing else).
func (m *model) step() error {
	cl := m.cl
	switch m.ch.intn("action", 22) {
	case 21:
		if m.opts.failover {
			m.log("failover")
			return cl.Failover()
		}
	case 18, 19, 20:
		// A calm moment: everything in flight arrives.
		m.log("settle")
		return cl.Settle()
	case 16, 17:
		return m.onRunning("consume", func(n string) error { return ignoreStalled(cl.Consume(n, int64(1+m.ch.intn("count", 20)), nil)) })
	case 0, 1:
		name := m.pick("start")
		if _, ok := cl.Consumer(name); !ok && !m.exists(name) {
			m.log("start %s", name)
			return cl.Start(m.consumerConfig(name))
		}
	case 2:
		return m.onRunning("crash", cl.Crash)
	case 3:
		name := m.pick("restart")
		if m.exists(name) {
			if _, ok := cl.Consumer(name); !ok {
				m.log("restart %s", name)
				return cl.Restart(name)
			}
		}
	case 4:
		return m.onRunning("close", cl.Close)
	case 5:
		return m.toggle("stall", func(c *consumer.Consumer) bool { return c.Stalled() }, cl.Stall, cl.Unstall)
	case 6:
		return m.freezeOrThaw()
	case 7:
		return m.onRunning("consume", func(n string) error { return ignoreStalled(cl.Consume(n, int64(1+m.ch.intn("count", 20)), nil)) })
	case 8:
		return m.onRunning("commit", func(n string) error { _, err := cl.Commit(n, 0); return ignoreStalled(err) })
	case 9:
		return m.topicChange()
	case 10, 11, 12:
		return m.deliverOne(false)
	case 13:
		return m.deliverOne(true)
	case 14:
		d := int64([]int{0, 100, 1000, 3000, 7000, 15000}[m.ch.intn("advance", 6)])
		m.log("advance %d", d)
		return cl.Advance(d)
	case 15:
		if next, ok := cl.NextDeadline(); ok {
			m.log("advance-to %d", next)
			return cl.AdvanceTo(next)
		}
	}
	return nil
}

// ignoreStalled: a stalled application cannot consume or commit; the driver
// asked anyway, which is not a protocol event.
func ignoreStalled(err error) error {
	if err != nil && strings.Contains(err.Error(), "stalled") {
		return nil
	}
	return err
}

func (m *model) exists(name string) bool {
	for _, n := range m.cl.Names() {
		if n == name {
			return true
		}
	}
	return false
}

func (m *model) onRunning(what string, f func(string) error) error {
	name := m.pick(what)
	if c, ok := m.cl.Consumer(name); ok && !m.cl.Frozen(name) && c != nil {
		m.log("%s %s", what, name)
		return f(name)
	}
	return nil
}

func (m *model) toggle(what string, on func(*consumer.Consumer) bool, set, unset func(string) error) error {
	name := m.pick(what)
	c, ok := m.cl.Consumer(name)
	if !ok || m.cl.Frozen(name) {
		return nil
	}
	if on(c) {
		m.log("un%s %s", what, name)
		return unset(name)
	}
	m.log("%s %s", what, name)
	return set(name)
}

func (m *model) freezeOrThaw() error {
	name := m.pick("freeze")
	if _, ok := m.cl.Consumer(name); !ok {
		return nil
	}
	if m.cl.Frozen(name) {
		m.log("thaw %s", name)
		return m.cl.Thaw(name)
	}
	m.log("freeze %s", name)
	return m.cl.Freeze(name)
}

func (m *model) topicChange() error {
	topics := m.cl.Topics()
	switch m.ch.intn("topic-change", 4) {
	case 0:
		if n, ok := topics["a"]; ok && n < 12 {
			m.log("add-partitions a %d", n+1)
			return m.cl.AddPartitions("a", n+1)
		}
	case 1:
		if n, ok := topics["b"]; ok && n < 8 {
			m.log("add-partitions b %d", n+2)
			return m.cl.AddPartitions("b", n+2)
		}
		if _, ok := topics["b"]; !ok {
			m.log("create-topic b 2")
			return m.cl.CreateTopic("b", 2)
		}
	case 2:
		m.log("refresh-metadata")
		return m.cl.RefreshMetadata()
	case 3:
		if m.opts.static {
			name := m.pick("remove-static")
			m.log("remove-static i-%s", name)
			return m.cl.RemoveStatic("i-" + name)
		}
	}
	return nil
}

// deliverOne delivers (or drops) one of the deliverable messages: the
// network delays every message by choosing what arrives next.
func (m *model) deliverOne(drop bool) error {
	fs := m.cl.Deliverable()
	if len(fs) == 0 {
		return nil
	}
	f := fs[m.ch.intn("message", len(fs))]
	if drop {
		m.log("drop %s", f.Msg)
		return m.cl.Drop(f.ID)
	}
	m.log("deliver %s", f.Msg)
	return m.cl.Deliver(f.ID)
}

// heal ends every fault and demands convergence (rule 6) within ten minutes
// of logical time.
func (m *model) heal() error {
	for _, name := range m.cl.Names() {
		if m.cl.Frozen(name) {
			if err := m.cl.Thaw(name); err != nil {
				return err
			}
		}
		if c, ok := m.cl.Consumer(name); ok && c.Stalled() {
			if err := m.cl.Unstall(name); err != nil {
				return err
			}
		}
		_ = m.cl.Release(name)
	}
	m.log("heal and stabilize")
	_, err := cluster.Stabilize(m.cl, 600000)
	if v := m.cl.Violation(); v != nil {
		return v
	}
	if err != nil && m.inStaticLeaderGap() {
		m.staticLeaderGap = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("liveness: %w", err)
	}
	return nil
}

func (m *model) watchSkips(e spec.Event) {
	if e.Kind != spec.EvDeliver {
		return
	}
	if r, ok := e.Msg.Body.(*spec.JoinGroupResponse); ok && r.ErrorCode == spec.None {
		m.skipped[e.Msg.To] = r.SkipAssignment && r.Leader == r.MemberID
	}
}

// inStaticLeaderGap recognises the one way kgroup knows Kafka's classic
// protocol fails to converge: everything is settled and valid but some
// partitions are unassigned, and the leader's latest join was a static
// return told to skip the assignment, so its metadata snapshot postdates the
// change it should have noticed (ConsumerCoordinator.onLeaderElected).
func (m *model) inStaticLeaderGap() bool {
	snap := m.cl.Snapshot()
	if spec.CheckSettled(snap) != nil {
		return false
	}
	for _, c := range snap.Consumers {
		if cons, ok := m.cl.Consumer(c.Name); ok && c.MemberID == snap.Group.Leader {
			return m.skipped[cons.Config().Address]
		}
	}
	return false
}

// describe is the run's history, for a failure message.
func (m *model) describe() string {
	var b strings.Builder
	for _, line := range m.trace {
		b.WriteString(line + "\n")
	}
	snap := m.cl.Snapshot()
	fmt.Fprintf(&b, "final group: %s gen=%d members=%d\n", snap.Group.State, snap.Group.Generation, len(snap.Group.Members))
	for _, c := range snap.Consumers {
		fmt.Fprintf(&b, "  %s alive=%v %s member=%s gen=%d owns %s\n", c.Name, c.Alive, c.State, c.MemberID, c.Generation, spec.FormatPartitions(c.Owned))
	}
	return b.String()
}
