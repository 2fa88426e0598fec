// Package randmodel is kgroup's random model of a consumer group: one seeded
// (or rapid-driven) run of random actions on a cluster — membership changes,
// crashes, stalls, freezes past the session timeout, partition changes,
// commits, message delays, drops and timer firings — with every rule
// checked after every step, then a healing phase that demands convergence.
// Tests drive it: the cluster's rapid properties and planted-bug hunts, and
// the refinement check of tla/. It is not used outside tests.
package randmodel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/impl/transcript"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// Chooser is a source of choices: rapid (which shrinks failures) or a
// seeded math/rand source (for planted-bug hunts, which must find one).
type Chooser interface {
	Intn(label string, n int) int
}

// Rapid draws choices from a rapid property.
type Rapid struct{ T *rapid.T }

// Intn draws a number in [0, n).
func (r Rapid) Intn(label string, n int) int { return rapid.IntRange(0, n-1).Draw(r.T, label) }

type seededChooser struct{ r *rand.Rand }

func (s seededChooser) Intn(_ string, n int) int { return s.r.IntN(n) }

// Seeded draws choices from a PCG source with this seed.
func Seeded(seed uint64) Chooser { return seededChooser{rand.New(rand.NewPCG(seed, 0))} }

// Bytes draws choices from a fuzzer's bytes: a choice among at most 256
// takes one byte, a larger one two, and once the bytes run out every choice
// is 0. A byte string a Recorder wrote replays its run exactly.
func Bytes(b []byte) Chooser { return &byteChooser{b: b} }

type byteChooser struct{ b []byte }

func (c *byteChooser) Intn(_ string, n int) int {
	width := 1
	if n > 256 {
		width = 2
	}
	v := 0
	for range width {
		v <<= 8
		if len(c.b) > 0 {
			v, c.b = v|int(c.b[0]), c.b[1:]
		}
	}
	return v % n
}

// Recorder wraps a Chooser and writes each choice as Bytes reads it, so a
// seeded run becomes a fuzzer's corpus entry.
type Recorder struct {
	Chooser
	Out []byte
}

// Intn draws from the wrapped chooser and records the choice.
func (r *Recorder) Intn(label string, n int) int {
	v := r.Chooser.Intn(label, n)
	if n > 256 {
		r.Out = append(r.Out, byte(v>>8))
	}
	r.Out = append(r.Out, byte(v))
	return v
}

// Model drives one random run through cluster.Action. Its shape: a safety
// phase of random actions — membership changes, crashes, stalls, freezes past
// the session timeout, partition changes, commits, message delays (choosing
// what to deliver), drops and timer firings — with every rule checked after
// every step; then a liveness phase that heals everything and demands
// convergence. The cluster logs every action, so a failing run is a
// transcript (replay).
type Model struct {
	// Cl is the cluster the run drives; its Transcript is the run.
	Cl    *cluster.Cluster
	ch    Chooser
	names []string
	// Options: which kinds of fault the run may use.
	opts Options
	// StaticLeaderGap: the run ended in Kafka's static-leader metadata gap
	// (transcript static_leader_misses_metadata_change).
	StaticLeaderGap bool
	family          int // index into assignorFamilies
	// consumerGroup: every consumer runs the consumer protocol (KIP-848).
	consumerGroup bool
}

// Options say which kinds of fault a run may use.
type Options struct {
	Consumers int        // how many consumer names exist
	Steps     int        // safety-phase length (at most)
	Failover  bool       // may move the group to a new coordinator
	Static    bool       // some consumers are static members (KIP-345)
	Bugs      mutant.Set // planted in every state machine
	// ConsumerGroups: the run's consumers use KIP-848's consumer protocol
	// (group.protocol=consumer) in a third of the runs, with the
	// coordinator's consumer group timeouts drawn short.
	ConsumerGroups bool
	// AllConsumerGroups: every run is of a consumer group.
	AllConsumerGroups bool
	// KeepGoing runs on after a rule breaks, for checkers that look at the
	// whole run (the history checker of package linearizability).
	KeepGoing bool
}

// Defaults are the options kgroup's tests run with.
var Defaults = Options{Consumers: 4, Steps: 200, Failover: true, Static: true}

// New builds a run: its cluster, with choices drawn from ch.
func New(ch Chooser, opts Options) (*Model, error) {
	cfg := cluster.Config{GroupID: "g", Coordinator: coordinator.DefaultConfig(), Bugs: opts.Bugs,
		Topics: map[string]int32{"a": int32(1 + ch.Intn("partitions-a", 6)), "b": int32(ch.Intn("partitions-b", 4))}}
	cfg.Coordinator.InitialRebalanceDelayMs = int64(ch.Intn("initial-delay", 3)) * 1000
	consumerGroup := opts.AllConsumerGroups || (opts.ConsumerGroups && ch.Intn("protocol", 3) == 0)
	if consumerGroup {
		cfg.Coordinator.ConsumerSessionTimeoutMs = int32(6000 + 2000*ch.Intn("cg-session", 4))
		cfg.Coordinator.ConsumerHeartbeatIntervalMs = int32(1000 + 1000*ch.Intn("cg-heartbeat", 2))
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	m := &Model{Cl: cl, ch: ch, opts: opts, family: ch.Intn("family", len(assignorFamilies)), consumerGroup: consumerGroup}
	// A quarter of the runs may fail the coordinator over.
	m.opts.Failover = opts.Failover && ch.Intn("failover", 4) == 0
	for i := range opts.Consumers {
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
func (m *Model) consumerConfig(name string) consumer.Config {
	topics := [][]string{{"a"}, {"a", "b"}, {"b"}}[m.ch.Intn("topics", 3)]
	cfg := consumer.DefaultConfig(name, "g", topics...)
	family := assignorFamilies[m.family]
	cfg.Assignors = family[m.ch.Intn("assignors", len(family))]
	cfg.SessionTimeoutMs = int32(6000 + 2000*m.ch.Intn("session", 4))
	cfg.HeartbeatIntervalMs = int64(1000 + 1000*m.ch.Intn("heartbeat", 2))
	cfg.MaxPollIntervalMs = int32(8000 + 4000*m.ch.Intn("poll", 4))
	cfg.RequestTimeoutMs = 5000
	cfg.AutoCommit = m.ch.Intn("auto-commit", 2) == 0
	cfg.AutoCommitIntervalMs = 2000
	cfg.CommitOnRevoke = m.ch.Intn("commit-on-revoke", 3) > 0
	cfg.MetadataMaxAgeMs = 10000
	if m.opts.Static && m.ch.Intn("static", 4) == 0 {
		cfg.InstanceID = "i-" + name // KIP-345: restarts keep the instance id
	}
	if m.consumerGroup {
		cfg.GroupProtocol = consumer.GroupProtocolConsumer
		cfg.ServerAssignor = []string{"", "uniform", "range"}[m.ch.Intn("remote-assignor", 3)]
		// One in four subscribes to a regex the coordinator resolves
		// (KIP-848): "a|b" follows topic b when it is created.
		// "b" alone matches nothing until b is created.
		if m.ch.Intn("pattern", 4) == 0 {
			cfg.Topics, cfg.TopicRegex = nil, []string{"a|b", "b"}[m.ch.Intn("regex", 2)]
		}
	}
	return cfg
}

// Run plays the safety phase, then the liveness phase. It returns the first
// rule broken.
func (m *Model) Run() error {
	steps := m.opts.Steps/2 + m.ch.Intn("steps", m.opts.Steps/2+1)
	for range steps {
		if err := m.step(); err != nil {
			return err
		}
		if err := m.Cl.Violation(); err != nil && !m.opts.KeepGoing {
			return err
		}
	}
	return m.heal()
}

func (m *Model) pick(label string) string { return m.names[m.ch.Intn(label, len(m.names))] }

func (m *Model) apply(a cluster.Action) error { return m.Cl.Apply(a) }

// step performs one random action. Actions that do not apply to the chosen
// consumer's state are skipped (they cost a step, nothing else).
func (m *Model) step() error {
	cl := m.Cl
	switch m.ch.Intn("action", 22) {
	case 21:
		if m.opts.Failover {
			return m.apply(cluster.Action{Kind: cluster.ActFailover})
		}
	case 18, 19:
		// A calm moment: everything in flight arrives.
		return m.apply(cluster.Action{Kind: cluster.ActSettle})
	case 20:
		return m.fireOne()
	case 16, 17, 7:
		return m.onRunning("consume", func(n string) cluster.Action {
			return cluster.Action{Kind: cluster.ActConsume, Node: n, Records: int64(1 + m.ch.Intn("count", 20))}
		})
	case 0, 1:
		if name := m.pick("start"); !m.exists(name) {
			cfg := m.consumerConfig(name)
			return m.apply(cluster.Action{Kind: cluster.ActStart, Node: name, Config: &cfg})
		}
	case 2:
		return m.onRunning("crash", m.on(cluster.ActCrash))
	case 3:
		if name := m.pick("restart"); m.exists(name) {
			if _, ok := cl.Consumer(name); !ok {
				return m.apply(cluster.Action{Kind: cluster.ActRestart, Node: name})
			}
		}
	case 4:
		return m.onRunning("close", m.on(cluster.ActClose))
	case 5:
		return m.stallOrUnstall()
	case 6:
		return m.freezeOrThaw()
	case 8:
		return m.onRunning("commit", m.on(cluster.ActCommit))
	case 9:
		return m.topicChange()
	case 10, 11, 12:
		return m.deliverOne(cluster.ActDeliver)
	case 13:
		return m.deliverOne(cluster.ActDrop)
	case 14:
		d := int64([]int{0, 100, 1000, 3000, 7000, 15000}[m.ch.Intn("advance", 6)])
		return m.apply(cluster.Action{Kind: cluster.ActAdvance, Ms: d})
	case 15:
		if next, ok := cl.NextDeadline(); ok {
			return m.apply(cluster.Action{Kind: cluster.ActAdvanceTo, Ms: next})
		}
	}
	return nil
}

func (m *Model) on(kind cluster.ActionKind) func(string) cluster.Action {
	return func(n string) cluster.Action { return cluster.Action{Kind: kind, Node: n} }
}

func (m *Model) exists(name string) bool {
	_, err := m.Cl.ConfigOf(name)
	return err == nil
}

// onRunning applies the action to a consumer if it runs and is not frozen.
// A stalled application cannot consume or commit; the driver asked anyway,
// which is not a protocol event.
func (m *Model) onRunning(what string, act func(string) cluster.Action) error {
	name := m.pick(what)
	if _, ok := m.Cl.Consumer(name); !ok || m.Cl.Frozen(name) {
		return nil
	}
	if err := m.apply(act(name)); err != nil && !errors.Is(err, consumer.ErrStalled) && !errors.Is(err, asyncconsumer.ErrStalled) {
		return err
	}
	return nil
}

func (m *Model) stallOrUnstall() error {
	name := m.pick("stall")
	c, ok := m.Cl.Consumer(name)
	if !ok || m.Cl.Frozen(name) {
		return nil
	}
	kind := cluster.ActStall
	if c.Stalled() {
		kind = cluster.ActUnstall
	}
	return m.apply(cluster.Action{Kind: kind, Node: name})
}

func (m *Model) freezeOrThaw() error {
	name := m.pick("freeze")
	if _, ok := m.Cl.Consumer(name); !ok {
		return nil
	}
	kind := cluster.ActFreeze
	if m.Cl.Frozen(name) {
		kind = cluster.ActThaw
	}
	return m.apply(cluster.Action{Kind: kind, Node: name})
}

// fireOne fires the timer of one of the nodes due next, so that timers due
// at one instant fire in every order.
func (m *Model) fireOne() error {
	var fires []cluster.Action
	for _, a := range m.Cl.Enabled(cluster.Bounds{}) {
		if a.Kind == cluster.ActFire {
			fires = append(fires, a)
		}
	}
	if len(fires) == 0 {
		return nil
	}
	return m.apply(fires[m.ch.Intn("fire", len(fires))])
}

func (m *Model) topicChange() error {
	topics := m.Cl.Topics()
	switch m.ch.Intn("topic-change", 4) {
	case 0:
		if n, ok := topics["a"]; ok && n < 12 {
			return m.apply(cluster.Action{Kind: cluster.ActAddPartitions, Topic: "a", Partitions: n + 1})
		}
	case 1:
		if n, ok := topics["b"]; ok && n < 8 {
			return m.apply(cluster.Action{Kind: cluster.ActAddPartitions, Topic: "b", Partitions: n + 2})
		}
		if _, ok := topics["b"]; !ok {
			return m.apply(cluster.Action{Kind: cluster.ActCreateTopic, Topic: "b", Partitions: 2})
		}
	case 2:
		return m.apply(cluster.Action{Kind: cluster.ActRefreshMetadata})
	case 3:
		if m.opts.Static {
			return m.apply(cluster.Action{Kind: cluster.ActRemoveStatic, Instance: "i-" + m.pick("remove-static")})
		}
	}
	return nil
}

// deliverOne delivers (or drops) the oldest message of one link: the
// network delays every message by choosing what arrives next.
func (m *Model) deliverOne(kind cluster.ActionKind) error {
	fs := m.Cl.Deliverable()
	if len(fs) == 0 {
		return nil
	}
	f := fs[m.ch.Intn("message", len(fs))]
	return m.apply(cluster.Action{Kind: kind, Link: f.Link()})
}

// heal ends every fault and demands convergence (rule 6) within ten minutes
// of logical time.
func (m *Model) heal() error {
	for _, name := range m.Cl.Names() {
		var acts []cluster.Action
		if m.Cl.Frozen(name) {
			acts = append(acts, cluster.Action{Kind: cluster.ActThaw, Node: name})
		}
		if c, ok := m.Cl.Consumer(name); ok && c.Stalled() {
			acts = append(acts, cluster.Action{Kind: cluster.ActUnstall, Node: name})
		}
		if m.Cl.Held(name) {
			acts = append(acts, cluster.Action{Kind: cluster.ActRelease, Node: name})
		}
		for _, a := range acts {
			if err := m.apply(a); err != nil {
				return err
			}
		}
	}
	err := m.apply(cluster.Action{Kind: cluster.ActStabilize, Ms: cluster.DefaultStabilizeMs})
	if v := m.Cl.Violation(); v != nil {
		return v
	}
	if err != nil && m.inStaticLeaderGap() {
		m.StaticLeaderGap = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("liveness: %w", err)
	}
	return nil
}

// inStaticLeaderGap recognises the one way kgroup knows Kafka's classic
// protocol fails to converge: everything is settled and valid but some
// partitions are unassigned, and the leader's latest join was a static
// return told to skip the assignment, so its metadata snapshot postdates the
// change it should have noticed (ConsumerCoordinator.onLeaderElected).
func (m *Model) inStaticLeaderGap() bool {
	snap := m.Cl.Snapshot()
	if spec.CheckSettled(snap) != nil {
		return false
	}
	for _, c := range snap.Consumers {
		if cons, ok := m.Cl.Classic(c.Name); ok && c.MemberID == snap.Group.Leader {
			return cons.SkippedAssignment()
		}
	}
	return false
}

// Replay is the run as `kgroup replay` prints it: the transcript of every
// action applied, with what happened under each.
func (m *Model) Replay() string {
	out, err := transcript.Run(strings.NewReader(m.Cl.Transcript()))
	if err != nil {
		return "the run's transcript does not parse: " + err.Error() + "\n" + m.Cl.Transcript()
	}
	return out
}

// ConsumerGroup reports whether the run's consumers use the consumer
// protocol (KIP-848).
func (m *Model) ConsumerGroup() bool { return m.consumerGroup }
