package transcript

import (
	"fmt"
	"strings"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// Help describes every command, for `kgroup replay -h`.
const Help = `Commands (one per line; times in milliseconds; NAME is a consumer):
  cluster topics=T:N,... [group=G] [initial-delay=MS] [max-size=N] [manual]
                         start a new cluster; manual: messages wait for deliver/drop
  start NAME... [topics=T,...] [assignor=A,...] [instance=ID] [session=MS]
        [heartbeat=MS] [poll=MS] [auto-commit=on|off|MS] [commit-on-revoke=on|off]
        [metadata-age=MS] [request-timeout=MS]
  advance MS | advance-to T          move time, firing timers (and delivering, unless manual)
  stabilize [max=MS]                 advance until the group converges (default max 600000)
  crash NAME | close NAME | stall NAME | unstall NAME | freeze NAME | thaw NAME
  restart NAME [start's options]     a new process for a stopped consumer, with changed options if given
  (start takes ranges: start c1..c50)
  consume NAME [COUNT] [TOPIC-P]     process COUNT (default 1) records of each owned partition
  commit NAME [metadata=BYTES]       commitSync of the current positions
  create-topic T N | add-partitions T N | delete-topic T | refresh-metadata
  inflight | deliver [ID|all] | drop ID | settle | hold NAME | release NAME
  failover                           move the group to a new coordinator that loads the log
  remove-static INSTANCE-ID          an administrator removes a static member (LeaveGroup)
  state | ledger | records | check
  stats                              rebalances and partitions paused since the last stats
  trace [heartbeats=on|off] [messages=on|off]
                                     show successful heartbeats (default off); messages=off
                                     prints only callbacks and group states`

// Session is one transcript's state: the cluster the commands drive.
type Session struct {
	cl         *cluster.Cluster
	heartbeats bool
	quiet      bool // trace messages=off: callbacks and group states only
	reported   bool // the first violation has been printed
	stats      stats
}

// NewSession starts a session with no cluster.
func NewSession() *Session { return &Session{} }

// Cluster is the session's cluster (nil before the cluster command).
func (s *Session) Cluster() *cluster.Cluster { return s.cl }

// Exec executes one command line and returns its output lines: the events it
// caused, and "error: ..." if it failed.
func (s *Session) Exec(line string) []string {
	a, err := parseArgs(line)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	out, err := s.dispatch(a)
	if err != nil {
		return append(out, "error: "+err.Error())
	}
	if s.cl != nil {
		out = append(out, s.events()...)
		if v := s.cl.Violation(); v != nil && !s.reported {
			s.reported = true
			out = append(out, "VIOLATION: "+v.Error())
		}
	}
	if len(out) == 0 {
		out = []string{"ok"}
	}
	return out
}

func (s *Session) dispatch(a *args) ([]string, error) {
	if a.name == "cluster" {
		return nil, s.newCluster(a)
	}
	if a.name == "trace" {
		hb, err1 := a.onOff("heartbeats", s.heartbeats)
		msgs, err2 := a.onOff("messages", !s.quiet)
		s.heartbeats, s.quiet = hb, !msgs
		return nil, firstErr(err1, err2, a.done(0, 0))
	}
	if s.cl == nil {
		return nil, fmt.Errorf("%s: no cluster yet (start with: cluster topics=t:6)", a.name)
	}
	if f, ok := consumerCommands[a.name]; ok {
		if err := a.done(1, 1); err != nil {
			return nil, err
		}
		return nil, f(s.cl, a.pos[0])
	}
	switch a.name {
	case "start":
		return nil, s.start(a)
	case "restart":
		return nil, s.restart(a)
	case "advance", "advance-to":
		return nil, s.advance(a)
	case "stabilize":
		return s.stabilize(a)
	case "consume":
		return nil, s.consume(a)
	case "commit":
		return s.commit(a)
	case "create-topic", "add-partitions", "delete-topic", "refresh-metadata":
		return nil, s.topic(a)
	case "inflight", "deliver", "drop", "settle", "hold", "release":
		return s.network(a)
	case "failover":
		return nil, firstErr(a.done(0, 0), s.cl.Failover())
	case "remove-static":
		return nil, firstErr(a.done(1, 1), s.cl.RemoveStatic(a.pos[0]))
	case "stats":
		return s.stats.report(), a.done(0, 0)
	case "state", "ledger", "records", "check":
		return s.show(a)
	}
	return nil, fmt.Errorf("unknown command %q", a.name)
}

var consumerCommands = map[string]func(*cluster.Cluster, string) error{
	"crash": (*cluster.Cluster).Crash, "close": (*cluster.Cluster).Close,
	"stall": (*cluster.Cluster).Stall, "unstall": (*cluster.Cluster).Unstall,
	"freeze": (*cluster.Cluster).Freeze, "thaw": (*cluster.Cluster).Thaw,
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) newCluster(a *args) error {
	cfg := cluster.Config{GroupID: a.str("group", "g"), Coordinator: coordinator.DefaultConfig(), Topics: map[string]int32{}}
	for _, t := range a.list("topics") {
		name, n, ok := strings.Cut(t, ":")
		count, err := parseInt(n)
		if !ok || err != nil || count < 0 || count > 1<<20 {
			return fmt.Errorf("topics: %q is not TOPIC:PARTITIONS", t)
		}
		cfg.Topics[name] = int32(count)
	}
	var err error
	cfg.Coordinator.InitialRebalanceDelayMs, err = a.int64("initial-delay", cfg.Coordinator.InitialRebalanceDelayMs)
	if err != nil {
		return err
	}
	maxSize, err := a.int64("max-size", 0)
	if err != nil {
		return err
	}
	cfg.Coordinator.GroupMaxSize = int(maxSize)
	if err := a.done(0, 1); err != nil {
		return err
	}
	switch {
	case len(a.pos) == 0:
		cfg.AutoDeliver = true
	case a.pos[0] != "manual":
		return fmt.Errorf("cluster: unknown word %q (did you mean manual?)", a.pos[0])
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		return err
	}
	s.cl, s.reported, s.stats = cl, false, stats{}
	cl.OnEvent(func(e spec.Event) { s.stats.observe(cl, e) })
	return nil
}

// start launches consumers. Transcripts default to no auto-commit so every
// commit in them is one the transcript asked for.
func (s *Session) start(a *args) error {
	if len(a.pos) == 0 {
		return fmt.Errorf("start: name at least one consumer")
	}
	topics := a.list("topics")
	if topics == nil {
		topics = spec.SortedKeys(s.cl.Topics())
	}
	base := consumer.DefaultConfig("x", s.cl.GroupID(), topics...)
	base.AutoCommit = false
	if err := s.consumerOptions(a, &base); err != nil {
		return err
	}
	if err := a.done(1, -1); err != nil {
		return err
	}
	names, err := expandNames(a.pos)
	if err != nil {
		return err
	}
	for _, name := range names {
		cfg := base
		cfg.Name = name
		if err := s.cl.Start(cfg); err != nil {
			return err
		}
	}
	return nil
}

// restart brings a stopped consumer back, with changed options if given (a
// redeploy, as in a rolling upgrade).
func (s *Session) restart(a *args) error {
	if len(a.pos) != 1 {
		return fmt.Errorf("restart: name one consumer")
	}
	cfg, err := s.cl.ConfigOf(a.pos[0])
	if err != nil {
		return err
	}
	if err := s.consumerOptions(a, &cfg); err != nil {
		return err
	}
	if err := a.done(1, 1); err != nil {
		return err
	}
	return s.cl.Redeploy(cfg)
}

// expandNames turns "c1..c50" into c1, c2, ..., c50; other names stay.
func expandNames(words []string) ([]string, error) {
	var out []string
	for _, w := range words {
		from, to, ok := strings.Cut(w, "..")
		if !ok {
			out = append(out, w)
			continue
		}
		prefix := strings.TrimRight(from, "0123456789")
		lo, err1 := parseInt(from[len(prefix):])
		hi, err2 := parseInt(strings.TrimPrefix(to, prefix))
		if err1 != nil || err2 != nil || lo > hi || hi-lo > 10000 {
			return nil, fmt.Errorf("%q: want a range like c1..c50", w)
		}
		for i := lo; i <= hi; i++ {
			out = append(out, fmt.Sprintf("%s%d", prefix, i))
		}
	}
	return out, nil
}

// consumerOptions applies start's options to cfg; an option not given keeps
// cfg's value (auto-commit defaults to off in transcripts, set by start).
func (s *Session) consumerOptions(a *args, cfg *consumer.Config) error {
	if names := a.list("assignor"); names != nil {
		cfg.Assignors = nil
		for _, name := range names {
			as, err := assignors.ByName(name)
			if err != nil {
				return err
			}
			cfg.Assignors = append(cfg.Assignors, as)
		}
	}
	cfg.InstanceID = a.str("instance", cfg.InstanceID)
	ints := []struct {
		key string
		dst *int64
	}{{"heartbeat", &cfg.HeartbeatIntervalMs}, {"request-timeout", &cfg.RequestTimeoutMs}, {"metadata-age", &cfg.MetadataMaxAgeMs}}
	for _, o := range ints {
		v, err := a.int64(o.key, *o.dst)
		if err != nil {
			return err
		}
		*o.dst = v
	}
	session, err := a.int64("session", int64(cfg.SessionTimeoutMs))
	if err != nil {
		return err
	}
	poll, err := a.int64("poll", int64(cfg.MaxPollIntervalMs))
	if err != nil {
		return err
	}
	cfg.SessionTimeoutMs, cfg.MaxPollIntervalMs = int32(session), int32(poll)
	switch v := a.str("auto-commit", ""); v {
	case "":
	case "off":
		cfg.AutoCommit = false
	case "on":
		cfg.AutoCommit = true
	default:
		ms, err := parseInt(v)
		if err != nil {
			return fmt.Errorf("auto-commit=%q: want on, off or an interval", v)
		}
		cfg.AutoCommit, cfg.AutoCommitIntervalMs = true, ms
	}
	cfg.CommitOnRevoke, err = a.onOff("commit-on-revoke", cfg.CommitOnRevoke)
	return err
}

func (s *Session) advance(a *args) error {
	if err := a.done(1, 1); err != nil {
		return err
	}
	n, err := parseInt(a.pos[0])
	if err != nil {
		return err
	}
	if a.name == "advance" {
		return s.cl.Advance(n)
	}
	return s.cl.AdvanceTo(n)
}

// stabilize advances time deadline by deadline until the group converges.
func (s *Session) stabilize(a *args) ([]string, error) {
	limit, err := a.int64("max", 600000)
	if err != nil {
		return nil, err
	}
	if err := a.done(0, 0); err != nil {
		return nil, err
	}
	at, err := cluster.Stabilize(s.cl, limit)
	if err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("converged at %d", at)}, nil
}

func (s *Session) consume(a *args) error {
	if err := a.done(1, 3); err != nil {
		return err
	}
	count := int64(1)
	var tp *spec.TopicPartition
	for _, p := range a.pos[1:] {
		if n, err := parseInt(p); err == nil {
			count = n
			continue
		}
		parsed, err := spec.ParseTopicPartition(p)
		if err != nil {
			return err
		}
		tp = &parsed
	}
	return s.cl.Consume(a.pos[0], count, tp)
}

func (s *Session) commit(a *args) ([]string, error) {
	meta, err := a.int64("metadata", 0)
	if err != nil {
		return nil, err
	}
	if err := a.done(1, 1); err != nil {
		return nil, err
	}
	refused, err := s.cl.Commit(a.pos[0], int(meta))
	if refused != "" {
		return []string{a.pos[0] + ": commit refused locally: " + refused}, err
	}
	return nil, err
}

func (s *Session) topic(a *args) error {
	if a.name == "refresh-metadata" {
		return firstErr(a.done(0, 0), s.cl.RefreshMetadata())
	}
	if a.name == "delete-topic" {
		return firstErr(a.done(1, 1), s.cl.DeleteTopic(a.pos[0]))
	}
	if err := a.done(2, 2); err != nil {
		return err
	}
	n, err := parseInt(a.pos[1])
	if err != nil || n <= 0 || n > 1<<20 {
		return fmt.Errorf("%s: partition count %q", a.name, a.pos[1])
	}
	if a.name == "create-topic" {
		return s.cl.CreateTopic(a.pos[0], int32(n))
	}
	return s.cl.AddPartitions(a.pos[0], int32(n))
}

func (s *Session) network(a *args) ([]string, error) {
	if err := a.done(0, 1); err != nil {
		return nil, err
	}
	arg := ""
	if len(a.pos) == 1 {
		arg = a.pos[0]
	}
	switch a.name {
	case "inflight":
		var out []string
		for _, f := range s.cl.InFlight() {
			out = append(out, fmt.Sprintf("%d: %s", f.ID, f.Msg))
		}
		if out == nil {
			out = []string{"nothing in flight"}
		}
		return out, nil
	case "settle":
		return nil, s.cl.Settle()
	case "hold":
		return nil, s.cl.Hold(arg)
	case "release":
		return nil, s.cl.Release(arg)
	}
	if arg == "" || arg == "all" {
		if a.name == "drop" {
			return nil, fmt.Errorf("drop: name a message id (see inflight)")
		}
		return nil, s.cl.Settle()
	}
	id, err := parseInt(arg)
	if err != nil {
		return nil, err
	}
	if a.name == "drop" {
		return nil, s.cl.Drop(id)
	}
	return nil, s.cl.Deliver(id)
}

func (s *Session) show(a *args) ([]string, error) {
	if err := a.done(0, 0); err != nil {
		return nil, err
	}
	switch a.name {
	case "ledger":
		l := s.cl.Ledger()
		return []string{fmt.Sprintf("processed=%d duplicates=%d", l.Processed, l.Duplicates)}, nil
	case "records":
		var out []string
		for _, r := range s.cl.Records() {
			out = append(out, r.String())
		}
		return out, nil
	case "check":
		if err := s.cl.CheckConverged(); err != nil {
			return []string{"not converged: " + err.Error()}, nil
		}
		return []string{"converged"}, nil
	}
	return formatState(s.cl), nil
}

// formatState prints the group, the consumers and the committed offsets.
func formatState(cl *cluster.Cluster) []string {
	snap := cl.Snapshot()
	g := snap.Group
	out := []string{fmt.Sprintf("group %s %s gen=%d protocol=%s leader=%s", g.GroupID, g.State, g.Generation,
		dash(g.Protocol), dash(g.Leader))}
	for _, m := range g.Members {
		out = append(out, fmt.Sprintf("  member %s %s", m.MemberID, m.Assignment))
	}
	for _, c := range snap.Consumers {
		if !c.Alive {
			out = append(out, fmt.Sprintf("  %s: down", c.Name))
			continue
		}
		cons, _ := cl.Consumer(c.Name)
		line := fmt.Sprintf("  %s: %s member=%s gen=%d owns %s", c.Name, c.State, dash(c.MemberID), c.Generation, spec.FormatPartitions(c.Owned))
		if pos := cons.Positions(); len(pos) > 0 {
			line += " at " + formatOffsets(pos)
		}
		out = append(out, line)
	}
	if len(snap.Committed) > 0 {
		out = append(out, "  committed "+formatOffsets(snap.Committed))
	}
	return out
}

func formatOffsets(m map[spec.TopicPartition]int64) string {
	tps := make([]spec.TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	spec.SortPartitions(tps)
	parts := make([]string, len(tps))
	for i, tp := range tps {
		parts[i] = fmt.Sprintf("%s=%d", tp, m[tp])
	}
	return strings.Join(parts, " ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// events formats what happened since the last command.
func (s *Session) events() []string {
	var out []string
	for _, e := range s.cl.TakeEvents() {
		if line, ok := s.formatEvent(e); ok {
			out = append(out, line)
		}
	}
	return out
}

func (s *Session) formatEvent(e spec.Event) (string, bool) {
	at := fmt.Sprintf("@%d ", e.At)
	switch e.Kind {
	case spec.EvDeliver:
		if s.quiet || (!s.heartbeats && quietHeartbeat(*e.Msg)) {
			return "", false
		}
		return at + e.Msg.String(), true
	case spec.EvDrop:
		if s.quiet || (!s.heartbeats && quietHeartbeat(*e.Msg)) {
			return "", false
		}
		why := ""
		if e.Detail != "" {
			why = " (" + e.Detail + ")"
		}
		return at + "DROP " + e.Msg.String() + why, true
	case spec.EvGroupState:
		return fmt.Sprintf("%scoord: group %s gen=%d", at, e.Detail, e.Generation), true
	case spec.EvAssigned:
		return fmt.Sprintf("%s%s: assigned %s gen=%d", at, e.Node, spec.FormatPartitions(e.Partitions), e.Generation), true
	case spec.EvRevoked, spec.EvLost:
		return fmt.Sprintf("%s%s: %s %s", at, e.Node, e.Kind, spec.FormatPartitions(e.Partitions)), true
	case spec.EvProcessed:
		return fmt.Sprintf("%s%s: processed %s [%d,%d)", at, e.Node, e.Partitions[0], e.Offset, e.End), true
	case spec.EvFailed:
		return fmt.Sprintf("%s%s: FAILED %s", at, e.Node, e.Detail), true
	case spec.EvRestart:
		return fmt.Sprintf("%s%s: restarted as %s", at, e.Node, e.Detail), true
	}
	return "", false
}

// quietHeartbeat: a heartbeat request, or a successful heartbeat answer.
func quietHeartbeat(m spec.Message) bool {
	switch b := m.Body.(type) {
	case *spec.HeartbeatRequest:
		return true
	case *spec.HeartbeatResponse:
		return b.ErrorCode == spec.None
	}
	return false
}
