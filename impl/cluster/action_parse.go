package cluster

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/internal/cmdline"
	"github.com/kgroup/kgroup/spec"
)

// syntax is every action's command line: its usage, what it does, and its
// parser. ParseActions and the help texts both come from it.
var syntax = []struct {
	kind        ActionKind
	usage, help string
	parse       func(*cmdline.Args, *Cluster) ([]Action, error)
}{
	{ActStart, "start NAME... [OPTION=VALUE...]", "start consumers (c1..c50 for many); options, with transcript defaults:\n" +
		"topics=T,... (every topic) assignor=A,... (range) instance=ID rack=R\n" +
		"session=MS (45000) heartbeat=MS (3000) poll=MS (300000) request-timeout=MS (30000)\n" +
		"retry-backoff=MS (100) metadata-age=MS (300000) auto-commit=on|off|MS (off)\n" +
		"commit-on-revoke=on|off (on) protocol=classic|consumer (classic: group.protocol)\n" +
		"remote-assignor=uniform|range (none: the coordinator's choice; protocol=consumer only)\n" +
		"pattern=REGEX (a regex subscription instead of topics; protocol=consumer only)", parseStart},
	{ActRestart, "restart NAME [start's options]", "a new process for a stopped consumer, configured anew if options are given", parseRestart},
	{ActCrash, "crash NAME", "the process stops dead: no callbacks, no goodbye", parseNode},
	{ActClose, "close NAME", "the consumer shuts down cleanly and leaves (unless static)", parseNode},
	{ActStall, "stall NAME", "the application stops calling poll; heartbeats go on", parseNode},
	{ActUnstall, "unstall NAME", "the application polls again", parseNode},
	{ActFreeze, "freeze NAME", "the whole process pauses: no timers, nothing delivered", parseNode},
	{ActThaw, "thaw NAME", "the process resumes; overdue timers fire at once", parseNode},
	{ActConsume, "consume NAME [COUNT] [TOPIC-P]", "process COUNT (default 1) records of each owned partition, or of one", parseConsume},
	{ActConsumeAll, "consume-all COUNT", "every polling consumer processes COUNT records of each owned partition", parseConsumeAll},
	{ActCommit, "commit NAME [metadata=BYTES]", "commitSync of the current positions", parseCommit},
	{ActAdvance, "advance MS", "move time on, firing every timer due (and delivering, unless manual)", parseTime},
	{ActAdvanceTo, "advance-to T", "move time to T, likewise", parseTime},
	{ActFire, "fire NAME|coord", "fire that node's earliest timer if it is due next, moving time to it", parseNode},
	{ActStabilize, "stabilize [max=MS]", "advance until the group converges (default max 600000)", parseStabilize},
	{ActDeliver, "deliver FROM->TO|ID|all", "the oldest message of a link (or message ID) arrives; all: settle", parseMessage},
	{ActDrop, "drop FROM->TO|ID", "the oldest message of a link (or message ID) is lost", parseMessage},
	{ActSettle, "settle", "everything in flight outside held links arrives, oldest first", parseBare},
	{ActHold, "hold NAME", "take a consumer's links out of automatic delivery", parseNode},
	{ActRelease, "release NAME", "and back", parseNode},
	{ActCreateTopic, "create-topic T N", "a topic of N partitions appears", parseTopic},
	{ActAddPartitions, "add-partitions T N", "a topic grows to N partitions", parseTopic},
	{ActDeleteTopic, "delete-topic T", "a topic disappears", parseTopic},
	{ActRefreshMetadata, "refresh-metadata", "every consumer gets the current metadata now", parseBare},
	{ActFailover, "failover", "the group moves to a new coordinator that loads the log", parseBare},
	{ActRemoveStatic, "remove-static INSTANCE-ID", "an administrator removes a static member (LeaveGroup)", parseRemoveStatic},
}

// ActionHelp is the syntax of every action, one line each, for help texts.
func ActionHelp() []struct{ Usage, Help string } {
	out := make([]struct{ Usage, Help string }, len(syntax))
	for i, s := range syntax {
		out[i].Usage, out[i].Help = s.usage, s.help
	}
	return out
}

func parserOf(k ActionKind) func(*cmdline.Args, *Cluster) ([]Action, error) {
	for _, s := range syntax {
		if s.kind == k {
			return s.parse
		}
	}
	return nil
}

func knownKind(k ActionKind) bool { return parserOf(k) != nil }

// IsAction reports whether word is an action's command word.
func IsAction(word string) bool { return knownKind(ActionKind(word)) }

// ErrNotAnAction is returned by ParseActions for a line whose command word is
// no action (a query such as state, or a typo).
var ErrNotAnAction = errors.New("not an action")

// ParseActions reads one transcript line as the actions it stands for (one,
// or several for start with many names). Defaults that depend on the
// cluster — a start's topics, a restart's previous settings — are taken from
// cl, so the actions are complete: their String is a line that parses back
// to them in any state.
func ParseActions(line string, cl *Cluster) ([]Action, error) {
	a, err := cmdline.Parse(line)
	if err != nil {
		return nil, err
	}
	parse := parserOf(ActionKind(a.Name))
	if parse == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotAnAction, a.Name)
	}
	acts, err := parse(a, cl)
	if err != nil {
		return nil, err
	}
	return acts, a.Done()
}

// ParseAction reads a line that stands for exactly one action.
func ParseAction(line string, cl *Cluster) (Action, error) {
	acts, err := ParseActions(line, cl)
	if err != nil {
		return Action{}, err
	}
	if len(acts) != 1 {
		return Action{}, fmt.Errorf("%q stands for %d actions, not one", line, len(acts))
	}
	return acts[0], nil
}

func one(a Action) ([]Action, error) { return []Action{a}, nil }

func parseBare(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(0, 0); err != nil {
		return nil, err
	}
	return one(Action{Kind: ActionKind(a.Name)})
}

func parseNode(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(1, 1); err != nil {
		return nil, err
	}
	return one(Action{Kind: ActionKind(a.Name), Node: a.Pos[0]})
}

func parseStart(a *cmdline.Args, cl *Cluster) ([]Action, error) {
	if err := a.Count(1, -1); err != nil {
		return nil, fmt.Errorf("start: name at least one consumer")
	}
	names, err := expandNames(a.Pos)
	if err != nil {
		return nil, err
	}
	base := transcriptDefaults("", cl.GroupID(), spec.SortedKeys(cl.topics))
	if err := applyConsumerOptions(a, &base); err != nil {
		return nil, err
	}
	var out []Action
	for _, name := range names {
		cfg := base
		cfg.Name = name
		out = append(out, Action{Kind: ActStart, Node: name, Config: &cfg})
	}
	return out, nil
}

func parseRestart(a *cmdline.Args, cl *Cluster) ([]Action, error) {
	if err := a.Count(1, 1); err != nil {
		return nil, fmt.Errorf("restart: name one consumer")
	}
	act := Action{Kind: ActRestart, Node: a.Pos[0]}
	if len(a.Keys()) == 0 {
		return one(act)
	}
	cfg, err := cl.ConfigOf(act.Node)
	if err != nil {
		return nil, err
	}
	if err := applyConsumerOptions(a, &cfg); err != nil {
		return nil, err
	}
	act.Config = &cfg
	return one(act)
}

// maxDurationMs bounds every duration setting read from text: about 35
// years of milliseconds, far past any Kafka setting and safe to add to.
const maxDurationMs = 1 << 40

// MaxAdvanceMs bounds how far one action moves time (advance, advance-to,
// stabilize): a day. Every timer due on the way fires, so a year of
// heartbeats in one step would run for hours; advance in steps instead.
const MaxAdvanceMs = 24 * 60 * 60 * 1000

// applyConsumerOptions applies start's options to cfg; an option not given
// keeps cfg's value.
func applyConsumerOptions(a *cmdline.Args, cfg *consumer.Config) error {
	if a.Has("topics") && a.Has("pattern") {
		return errors.New("topics= and pattern= exclude each other: a consumer subscribes to names or to a regex")
	}
	if a.Has("topics") {
		cfg.Topics, cfg.TopicRegex = a.List("topics"), ""
	}
	if a.Has("pattern") {
		cfg.Topics, cfg.TopicRegex = nil, a.Str("pattern", "")
		if cfg.TopicRegex == "" {
			return errors.New("pattern=: want a regular expression")
		}
	}
	if names := a.List("assignor"); names != nil {
		cfg.Assignors = nil
		for _, name := range names {
			as, err := assignors.ByName(name)
			if err != nil {
				return err
			}
			cfg.Assignors = append(cfg.Assignors, as)
		}
	}
	cfg.InstanceID = a.Str("instance", cfg.InstanceID)
	cfg.Rack = a.Str("rack", cfg.Rack)
	var err error
	read := func(key string, dst *int64, hi int64) {
		if err == nil {
			*dst, err = a.Int64(key, *dst, 1, hi)
		}
	}
	session, poll := int64(cfg.SessionTimeoutMs), int64(cfg.MaxPollIntervalMs)
	read("session", &session, 1<<31-1)
	read("poll", &poll, 1<<31-1)
	read("heartbeat", &cfg.HeartbeatIntervalMs, maxDurationMs)
	read("request-timeout", &cfg.RequestTimeoutMs, maxDurationMs)
	read("retry-backoff", &cfg.RetryBackoffMs, maxDurationMs)
	read("metadata-age", &cfg.MetadataMaxAgeMs, maxDurationMs)
	if err != nil {
		return err
	}
	cfg.SessionTimeoutMs, cfg.MaxPollIntervalMs = int32(session), int32(poll)
	switch v := a.Str("auto-commit", ""); v {
	case "":
	case "off":
		cfg.AutoCommit = false
	case "on":
		cfg.AutoCommit = true
	default:
		ms, err := cmdline.Int(v, 1, maxDurationMs)
		if err != nil {
			return fmt.Errorf("auto-commit=%q: want on, off or an interval", v)
		}
		cfg.AutoCommit, cfg.AutoCommitIntervalMs = true, ms
	}
	if cfg.CommitOnRevoke, err = a.OnOff("commit-on-revoke", cfg.CommitOnRevoke); err != nil {
		return err
	}
	switch p := a.Str("protocol", cfg.GroupProtocol); p {
	case "", consumer.GroupProtocolClassic:
		cfg.GroupProtocol = ""
	case consumer.GroupProtocolConsumer:
		cfg.GroupProtocol = p
	default:
		return fmt.Errorf("protocol=%q: want classic or consumer", p)
	}
	cfg.ServerAssignor = a.Str("remote-assignor", cfg.ServerAssignor)
	return nil
}

// maxNamesPerLine bounds a start's range (c1..c10000).
const maxNamesPerLine = 10000

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
		lo, err1 := cmdline.Int(from[len(prefix):], 0, 1<<31)
		hi, err2 := cmdline.Int(strings.TrimPrefix(to, prefix), 0, 1<<31)
		if err1 != nil || err2 != nil || lo > hi || hi-lo >= maxNamesPerLine {
			return nil, fmt.Errorf("%q: want a range like c1..c50 of at most %d names", w, maxNamesPerLine)
		}
		for i := lo; i <= hi; i++ {
			out = append(out, fmt.Sprintf("%s%d", prefix, i))
		}
	}
	if len(out) > maxNamesPerLine {
		return nil, fmt.Errorf("start: %d names on one line, more than %d", len(out), maxNamesPerLine)
	}
	return out, nil
}

// maxRecords bounds the records one consume processes per partition.
const maxRecords = 1 << 40

func parseConsume(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(1, 3); err != nil {
		return nil, err
	}
	act := Action{Kind: ActConsume, Node: a.Pos[0], Records: 1}
	for _, p := range a.Pos[1:] {
		if n, err := cmdline.Int(p, 1, maxRecords); err == nil {
			act.Records = n
			continue
		}
		tp, err := spec.ParseTopicPartition(p)
		if err != nil {
			return nil, fmt.Errorf("consume: %q is neither a record count from 1 to %d nor a topic-partition", p, int64(maxRecords))
		}
		act.Partition = &tp
	}
	return one(act)
}

func parseConsumeAll(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(1, 1); err != nil {
		return nil, err
	}
	n, err := cmdline.Int(a.Pos[0], 1, maxRecords)
	if err != nil {
		return nil, fmt.Errorf("consume-all: %w", err)
	}
	return one(Action{Kind: ActConsumeAll, Records: n})
}

func parseCommit(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(1, 1); err != nil {
		return nil, err
	}
	meta, err := a.Int64("metadata", 0, 0, consumer.MaxCommitMetadataBytes)
	if err != nil {
		return nil, err
	}
	return one(Action{Kind: ActCommit, Node: a.Pos[0], MetadataBytes: int(meta)})
}

func parseMessage(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(0, 1); err != nil {
		return nil, err
	}
	kind := ActionKind(a.Name)
	if len(a.Pos) == 0 || a.Pos[0] == "all" {
		if kind == ActDrop {
			return nil, fmt.Errorf("drop: name a link (FROM->TO) or a message id (see inflight)")
		}
		return one(Action{Kind: ActSettle})
	}
	if strings.Contains(a.Pos[0], "->") {
		return one(Action{Kind: kind, Link: a.Pos[0]})
	}
	id, err := cmdline.Int(a.Pos[0], 1, 1<<62)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is neither a link FROM->TO nor a message id", a.Name, a.Pos[0])
	}
	return one(Action{Kind: kind, ID: id})
}

func parseTime(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(1, 1); err != nil {
		return nil, err
	}
	n, err := cmdline.Int(a.Pos[0], 0, math.MaxInt64)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name, err)
	}
	return one(Action{Kind: ActionKind(a.Name), Ms: n})
}

func parseStabilize(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(0, 0); err != nil {
		return nil, err
	}
	limit, err := a.Int64("max", DefaultStabilizeMs, 0, MaxAdvanceMs)
	if err != nil {
		return nil, err
	}
	return one(Action{Kind: ActStabilize, Ms: limit})
}

func parseTopic(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	kind := ActionKind(a.Name)
	if kind == ActDeleteTopic {
		if err := a.Count(1, 1); err != nil {
			return nil, err
		}
		return one(Action{Kind: kind, Topic: a.Pos[0]})
	}
	if err := a.Count(2, 2); err != nil {
		return nil, err
	}
	n, err := cmdline.Int(a.Pos[1], 1, MaxPartitions)
	if err != nil {
		return nil, fmt.Errorf("%s: partition count %w", a.Name, err)
	}
	return one(Action{Kind: kind, Topic: a.Pos[0], Partitions: int32(n)})
}

func parseRemoveStatic(a *cmdline.Args, _ *Cluster) ([]Action, error) {
	if err := a.Count(1, 1); err != nil {
		return nil, err
	}
	return one(Action{Kind: ActRemoveStatic, Instance: a.Pos[0]})
}
