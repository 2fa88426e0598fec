package sim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/internal/cmdline"
	"github.com/kgroup/kgroup/spec"
)

// command is one scenario command: its usage, help, a check of its shape
// (run before anything runs) and what it does.
type command struct {
	usage, help string
	check       func(*cmdline.Args) error
	run         func(*engine, *cmdline.Args) error
}

var commands map[string]command

// commandOrder lists the commands for help, in this order.
var commandOrder = []string{"cluster", "net", "app", "produce", "start", "stop", "kill", "restart", "deploy",
	"pause", "resume", "freeze", "cut", "run", "add-partitions", "create-topic", "delete-topic", "failover",
	"remove-static", "refresh-metadata"}

func init() {
	commands = map[string]command{
		"cluster": {"cluster topics=T:N,... [initial-delay=MS] [max-size=N] [group=G]",
			"the group's topics and coordinator (Kafka's broker defaults: group.initial.rebalance.delay.ms 3000)", nil, runCluster},
		"net": {"net [rtt=DIST|same-zone|cross-zone|cross-region] [loss=P%]",
			"the network between consumers and the coordinator: round-trip time (default same-zone, lognormal(1ms,0.5)), loss", nil, runNet},
		"app": {"app [NAME...] [record=DIST] [batch=DIST] [max-poll-records=N] [revoke=DIST] [assign=DIST]\n     [startup=DIST] [shutdown=DIST] [fetch-wait=MS]",
			"the application: time per record (sampled per batch; default 100us) and per batch, max.poll.records (500),\n" +
				"onPartitionsRevoked's drain and onPartitionsAssigned's restore, process startup and shutdown,\n" +
				"fetch.max.wait.ms (500); for the consumers named, or for those started from now on", nil, runApp},
		"produce": {"produce TOPIC|TOPIC-P RATE [for=DURATION]", "records per second into each partition (100k/s, 500/s); with for=, a burst on top of the rate", checkProduce, runProduce},
		"start": {"start NAME... [consumer options] [app options] [static=on]",
			"consumer processes (c1..c50 for many) with Kafka's client defaults (auto-commit every 5 s); options as in\n" +
				"transcripts (assignor= session= heartbeat= poll= instance= auto-commit= commit-on-revoke=, durations with units)", checkNames, runStart},
		"stop":             {"stop NAME...", "graceful shutdown: finish the batch in hand, close (commit, revoke, leave unless static)", checkNames, runStop},
		"kill":             {"kill NAME...", "the process dies: no callback, no goodbye (also: crash)", checkNames, runKill},
		"restart":          {"restart NAME...", "stop, then start again (shutdown and startup times)", checkNames, runRestart},
		"deploy":           {"deploy NAME... [gap=DURATION] [down=DURATION]", "a rolling deploy: each pod stops, is down (default its shutdown + startup), starts; gap before the next", checkNames, runDeploy},
		"pause":            {"pause NAME TOPIC|TOPIC-P|all...", "the consumer pauses partitions (KafkaConsumer.pause: it still polls and heartbeats)", checkTargets, runPause},
		"resume":           {"resume NAME TOPIC|TOPIC-P|all...", "and resumes them", checkTargets, runPause},
		"freeze":           {"freeze NAME DURATION", "the whole process stops (a GC pause, a stopped VM): no heartbeats, no processing", checkNameDuration, runFreeze},
		"cut":              {"cut NAME DURATION", "the process is cut off from the cluster: nothing it sends or is sent arrives, it fetches nothing", checkNameDuration, runCut},
		"run":              {"run DURATION", "let time pass (250ms, 30s, 10m, 1h)", checkDuration, runRun},
		"add-partitions":   {"add-partitions TOPIC N", "the topic grows to N partitions (consumers see it at their next metadata refresh)", nil, runPassthrough},
		"create-topic":     {"create-topic TOPIC N", "a topic appears", nil, runPassthrough},
		"delete-topic":     {"delete-topic TOPIC", "a topic disappears", nil, runPassthrough},
		"failover":         {"failover", "the group moves to a new coordinator that loads the log", nil, runPassthrough},
		"remove-static":    {"remove-static INSTANCE-ID", "an administrator removes a static member", nil, runPassthrough},
		"refresh-metadata": {"refresh-metadata", "every consumer refreshes its metadata now", nil, runPassthrough},
	}
	commands["crash"] = commands["kill"]
}

// Help is the scenario language, for kgroup sim -h.
func Help() string {
	var b strings.Builder
	b.WriteString("Scenario commands (one per line; # comments; durations like 250ms, 3s, 10m, 1h; DIST is a duration or\n" +
		"fixed(D), uniform(LO,HI), normal(MEAN,SD), lognormal(MEDIAN,SIGMA), exp(MEAN)):\n")
	for _, name := range commandOrder {
		c := commands[name]
		fmt.Fprintf(&b, "  %s\n", c.usage)
		for _, l := range strings.Split(c.help, "\n") {
			fmt.Fprintf(&b, "        %s\n", l)
		}
	}
	b.WriteString(`About runs:
  seed N                      the seed of every random choice (default 1); the same seed gives the same bytes
  repeat N                    run each variant N times, seeds N, N+1, ...; metrics get .p50 .p95 .p99 .min .max .mean
  variant NAME KEY=VALUE...   a named configuration; several are run and compared side by side
  vary KEY=V1,V2,...          one variant per value (named KEY-V1, ...); several vary lines multiply
  sweep KEY=V1,V2,...         the same, for a series of numbers
  assert EXPR OP EXPR         must hold after the runs, else kgroup sim fails: OP is < <= > >= == != or ~ (within
                              10%, or ~ EXPR +-P%); terms are numbers (2s, 200k, 5%) and metrics, [VARIANT.]METRIC[.STAT]
  Keys that vary: ` + strings.Join(overrideKeys, " ") + `
  Metrics: ` + strings.Join(metricNames(), " ") + "\n")
	return b.String()
}

func runCluster(e *engine, a *cmdline.Args) error {
	line := "cluster"
	for _, k := range a.Keys() {
		v := a.Str(k, "")
		if slices.Contains(clusterDurationKeys, k) {
			ms, err := parseMs(e.setting(k, v))
			if err != nil {
				return err
			}
			v = strconv.FormatInt(ms, 10)
		}
		line += " " + k + "=" + v
	}
	for _, k := range clusterDurationKeys {
		if _, ok := e.variant.Set[k]; ok && !a.Has(k) {
			ms, err := parseMs(e.variant.Set[k])
			if err != nil {
				return err
			}
			line += " " + k + "=" + strconv.FormatInt(ms, 10)
		}
	}
	for _, p := range a.Pos {
		if p != "manual" {
			return fmt.Errorf("cluster: unknown word %q", p)
		}
	}
	cfg, err := cluster.ParseConfig(line + " manual")
	if err != nil {
		return err
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		return err
	}
	e.cl = cl
	cl.DiscardEvents()
	cl.SetLean()
	if e.opts.Check == CheckEvents {
		cl.SetCheckMode(cluster.CheckAtEvents)
	}
	cl.OnEvent(e.listen)
	if e.opts.OnCluster != nil {
		e.opts.OnCluster(cl)
	}
	for _, t := range spec.SortedKeys(cfg.Topics) {
		for i := range cfg.Topics[t] {
			e.w.ensure(spec.TopicPartition{Topic: t, Partition: i}, 0)
		}
	}
	return nil
}

func runNet(e *engine, a *cmdline.Args) error {
	if err := a.Count(0, 0); err != nil {
		return err
	}
	return e.net.configure(a, e)
}

// appOptions are the app settings start and app take.
var appOptions = []string{"record", "batch", "max-poll-records", "revoke", "assign", "startup", "shutdown", "fetch-wait"}

// readApp applies app options (and the variant's) to cfg.
func (e *engine) readApp(a *cmdline.Args, cfg *appConfig) error {
	dists := map[string]*Dist{"record": &cfg.record, "batch": &cfg.batch, "revoke": &cfg.revoke, "assign": &cfg.assign,
		"startup": &cfg.startup, "shutdown": &cfg.shutdown}
	for _, k := range appOptions {
		v := e.setting(k, a.Str(k, ""))
		if v == "" {
			continue
		}
		var err error
		switch k {
		case "max-poll-records":
			cfg.maxPoll, err = cmdline.Int(v, 1, 1<<20)
		case "fetch-wait":
			cfg.fetchWait, err = parseMs(v)
		default:
			*dists[k], err = parseDist(v)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func runApp(e *engine, a *cmdline.Args) error {
	if len(a.Pos) == 0 {
		return e.readApp(a, &e.appDef)
	}
	names, err := e.names(a.Pos)
	if err != nil {
		return err
	}
	var first error
	for _, n := range names {
		x := e.procs[n]
		if x == nil {
			return fmt.Errorf("app: no consumer %s yet", n)
		}
		sub, _ := cmdline.Parse("app " + strings.Join(optionWords(a, appOptions), " "))
		if err := e.readApp(sub, &x.app); err != nil && first == nil {
			first = err
		}
		e.wake(x)
	}
	for _, k := range appOptions {
		a.Str(k, "")
	}
	return first
}

func optionWords(a *cmdline.Args, keys []string) []string {
	var out []string
	for _, k := range a.Keys() {
		if slices.Contains(keys, k) {
			out = append(out, k+"="+a.Str(k, ""))
		}
	}
	return out
}

// parseRate reads "1000/s", "100k/s", "2.5M/s" or a bare number per second,
// as records per ms.
func parseRate(s string) (float64, error) {
	num := strings.TrimSuffix(s, "/s")
	mult := 1.0
	switch {
	case strings.HasSuffix(num, "k"):
		mult, num = 1e3, strings.TrimSuffix(num, "k")
	case strings.HasSuffix(num, "M"):
		mult, num = 1e6, strings.TrimSuffix(num, "M")
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || v*mult > 1e9 || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a rate (like 500/s, 100k/s; at most 1e9/s per partition)", s)
	}
	return v * mult / 1000, nil
}

func checkProduce(a *cmdline.Args) error {
	if err := a.Count(2, 2); err != nil {
		return fmt.Errorf("produce: want TOPIC (or TOPIC-P) and a RATE")
	}
	if _, err := parseRate(a.Pos[1]); err != nil {
		return err
	}
	if f := a.Str("for", ""); f != "" {
		if _, err := parseMs(f); err != nil {
			return err
		}
	}
	return a.Done()
}

func runProduce(e *engine, a *cmdline.Args) error {
	rate, _ := parseRate(a.Pos[1])
	if s := e.setting("rate-scale", ""); s != "" {
		k, err := strconv.ParseFloat(s, 64)
		if err != nil || k < 0 || k > 1e6 {
			return fmt.Errorf("rate-scale %q is not a factor", s)
		}
		rate *= k
	}
	var targets []*part
	topic := a.Pos[0]
	if tp, err := spec.ParseTopicPartition(topic); err == nil && e.w.has(tp) {
		targets = []*part{e.w.parts[e.w.index[tp]]}
	} else {
		for _, p := range e.w.parts {
			if p.tp.Topic == topic && p.exists {
				targets = append(targets, p)
			}
		}
		if len(targets) == 0 {
			return fmt.Errorf("produce: no topic or partition %q", topic)
		}
		if e.w.topicRate == nil {
			e.w.topicRate = map[string]float64{}
		}
		if a.Str("for", "") == "" {
			e.w.topicRate[topic] = rate
		}
	}
	now := e.now()
	if f := a.Str("for", ""); f != "" {
		d, _ := parseMs(f)
		for _, p := range targets {
			e.w.setRate(p, p.rate+rate, now)
		}
		e.at(now+d, func() {
			for _, p := range targets {
				e.w.setRate(p, math.Max(0, p.rate-rate), e.now())
			}
			e.wakeAll()
		})
	} else {
		for _, p := range targets {
			e.w.setRate(p, rate, now)
		}
	}
	e.wakeAll()
	return nil
}

// wakeAll lets every application look again (the rates changed).
func (e *engine) wakeAll() {
	for _, x := range e.order {
		if x.live {
			e.wake(x)
		}
	}
}

func checkNames(a *cmdline.Args) error {
	if len(a.Pos) == 0 {
		return fmt.Errorf("%s: name at least one consumer", a.Name)
	}
	return nil
}

// names expands c1..c50 as the cluster's start does.
func (e *engine) names(words []string) ([]string, error) {
	acts, err := cluster.ParseActions("start "+strings.Join(words, " ")+" topics=x", e.cl)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(acts))
	for i, act := range acts {
		out[i] = act.Node
	}
	return out, nil
}

// clusterDurationKeys are the cluster line's durations, which may carry
// units and which a variant may set.
var clusterDurationKeys = []string{"initial-delay", "consumer-session", "consumer-heartbeat"}

// consumerKeys are start's options that go to the consumer; those that
// are durations may carry units.
var consumerKeys = []string{"topics", "assignor", "instance", "rack", "session", "heartbeat", "poll", "request-timeout",
	"retry-backoff", "metadata-age", "auto-commit", "commit-on-revoke", "protocol", "remote-assignor"}

var durationKeys = []string{"session", "heartbeat", "poll", "request-timeout", "retry-backoff", "metadata-age", "auto-commit"}

// consumerOptions writes start's consumer options with Kafka's defaults
// where the line is silent (auto-commit every 5 s) and the variant's
// settings on top.
func (e *engine) consumerOptions(a *cmdline.Args) (string, bool, error) {
	vals := map[string]string{"auto-commit": "5000"}
	for _, k := range consumerKeys {
		if v := e.setting(k, a.Str(k, "")); v != "" {
			vals[k] = v
		}
	}
	static, err := cmdline.Parse("x static=" + e.setting("static", a.Str("static", "off")))
	if err != nil {
		return "", false, err
	}
	on, err := static.OnOff("static", false)
	if err != nil {
		return "", false, err
	}
	var w []string
	for _, k := range consumerKeys {
		v, ok := vals[k]
		if !ok {
			continue
		}
		if slices.Contains(durationKeys, k) && v != "on" && v != "off" {
			ms, err := parseMs(v)
			if err != nil {
				return "", false, fmt.Errorf("%s: %w", k, err)
			}
			v = strconv.FormatInt(ms, 10)
		}
		w = append(w, k+"="+v)
	}
	return strings.Join(w, " "), on, nil
}

func runStart(e *engine, a *cmdline.Args) error {
	opts, static, err := e.consumerOptions(a)
	if err != nil {
		return err
	}
	app := e.appDef
	if err := e.readApp(a, &app); err != nil {
		return err
	}
	names, err := e.names(a.Pos)
	if err != nil {
		return err
	}
	for _, n := range names {
		x := e.procs[n]
		if x == nil {
			x = &proc{name: n, idx: len(e.order), rng: stream(e.seed, "app "+n)}
			e.procs[n] = x
			e.order = append(e.order, x)
		} else if x.state != procDown {
			return fmt.Errorf("start: %s is already running", n)
		}
		x.app = app
		x.opts = opts
		if static && !strings.Contains(opts, "instance=") {
			x.opts += " instance=" + n
		}
		if _, err := cluster.ParseAction("start "+n+" "+x.opts, e.cl); err != nil {
			return err
		}
		e.boot(x, -1, nil)
	}
	return nil
}

func (e *engine) procsOf(a *cmdline.Args) ([]*proc, error) {
	names, err := e.names(a.Pos)
	if err != nil {
		return nil, err
	}
	out := make([]*proc, len(names))
	for i, n := range names {
		if out[i] = e.procs[n]; out[i] == nil {
			return nil, fmt.Errorf("no consumer %s", n)
		}
	}
	return out, nil
}

func runStop(e *engine, a *cmdline.Args) error {
	xs, err := e.procsOf(a)
	for _, x := range xs {
		if err == nil {
			err = e.stopProc(x, nil)
		}
	}
	return err
}

func runKill(e *engine, a *cmdline.Args) error {
	xs, err := e.procsOf(a)
	for _, x := range xs {
		if err == nil {
			err = e.kill(x)
		}
	}
	return err
}

func runRestart(e *engine, a *cmdline.Args) error {
	xs, err := e.procsOf(a)
	for _, x := range xs {
		if err == nil {
			err = e.replace(x, -1, nil)
		}
	}
	return err
}

// replace stops x and starts it again after down ms (-1: its shutdown and
// startup times); then runs once the new process has joined.
func (e *engine) replace(x *proc, down int64, then func()) error {
	return e.stopProc(x, func() {
		wait := down
		if wait < 0 {
			wait = int64(math.Round(x.app.shutdown.Sample(x.rng)))
		}
		e.later(x, wait, func() {
			startup := int64(-1)
			if down >= 0 {
				startup = 0 // down covers it
			}
			e.boot(x, startup, then)
		})
	})
}

func runDeploy(e *engine, a *cmdline.Args) error {
	xs, err := e.procsOf(a)
	if err != nil {
		return err
	}
	gap, err := parseMs(a.Str("gap", "0"))
	if err != nil {
		return fmt.Errorf("gap: %w", err)
	}
	down := int64(-1)
	if d := a.Str("down", ""); d != "" {
		if down, err = parseMs(d); err != nil {
			return fmt.Errorf("down: %w", err)
		}
	}
	var step func(i int)
	step = func(i int) {
		if i >= len(xs) {
			e.ob.note(e.now(), "deploy done")
			return
		}
		e.ob.note(e.now(), "deploy: %s goes down", xs[i].name)
		if err := e.replace(xs[i], down, func() { e.at(e.now()+gap, func() { step(i + 1) }) }); err != nil {
			e.fail(err)
		}
	}
	step(0)
	return e.err
}

func checkTargets(a *cmdline.Args) error {
	if len(a.Pos) < 2 {
		return fmt.Errorf("%s: want a consumer and what to %s (TOPIC, TOPIC-P or all)", a.Name, a.Name)
	}
	return nil
}

func runPause(e *engine, a *cmdline.Args) error {
	x := e.procs[a.Pos[0]]
	if x == nil || x.state != procUp {
		return fmt.Errorf("%s: %s is not running", a.Name, a.Pos[0])
	}
	pause := a.Name == "pause"
	e.leaveLive(x)
	for _, o := range x.owned {
		for _, t := range a.Pos[1:] {
			if t == "all" || t == o.p.tp.Topic || t == o.p.tp.String() {
				o.paused = pause
			}
		}
		e.w.reclass(o.p, e.now())
	}
	e.ob.note(e.now(), "%s %ss %s", x.name, a.Name, strings.Join(a.Pos[1:], " "))
	e.wake(x)
	return nil
}

func checkNameDuration(a *cmdline.Args) error {
	if err := a.Count(2, 2); err != nil {
		return fmt.Errorf("%s: want NAME DURATION", a.Name)
	}
	_, err := parseMs(a.Pos[1])
	return err
}

func runFreeze(e *engine, a *cmdline.Args) error {
	x := e.procs[a.Pos[0]]
	d, _ := parseMs(a.Pos[1])
	if x == nil || x.state != procUp || x.frozen {
		return fmt.Errorf("freeze: %s is not running", a.Pos[0])
	}
	e.leaveLive(x)
	if err := e.apply(cluster.Action{Kind: cluster.ActFreeze, Node: x.name}); err != nil {
		return err
	}
	x.frozen = true
	e.reclassAll(x)
	e.ob.note(e.now(), "%s freezes for %s", x.name, formatMs(float64(d)))
	e.later(x, d, func() {
		x.frozen = false
		if e.apply(cluster.Action{Kind: cluster.ActThaw, Node: x.name}) != nil {
			return
		}
		e.net.thawed(e, x)
		e.reclassAll(x)
		if x.inBatch && e.now() >= x.batchAt {
			return // its batch end is still to come
		}
		e.poll(x)
	})
	return nil
}

func runCut(e *engine, a *cmdline.Args) error {
	x := e.procs[a.Pos[0]]
	d, _ := parseMs(a.Pos[1])
	if x == nil {
		return fmt.Errorf("cut: no consumer %s", a.Pos[0])
	}
	e.leaveLive(x)
	e.net.cut[x.name] = e.now() + d
	x.cut = true
	e.reclassAll(x)
	e.ob.note(e.now(), "%s is cut off from the cluster for %s", x.name, formatMs(float64(d)))
	e.at(e.now()+d, func() {
		x.cut = false
		e.reclassAll(x)
		e.ob.note(e.now(), "%s's network is back", x.name)
		e.wake(x)
	})
	e.wake(x)
	return nil
}

func checkDuration(a *cmdline.Args) error {
	if err := a.Count(1, 1); err != nil {
		return err
	}
	_, err := parseMs(a.Pos[0])
	return err
}

func runRun(e *engine, a *cmdline.Args) error {
	d, _ := parseMs(a.Pos[0])
	return e.runFor(d)
}

// runPassthrough applies a cluster action (metadata, failover, admin).
func runPassthrough(e *engine, a *cmdline.Args) error {
	for _, k := range a.Keys() {
		a.Str(k, "")
	}
	line := a.Name + " " + strings.Join(a.Pos, " ")
	for _, k := range a.Keys() {
		line += " " + k + "=" + a.Str(k, "")
	}
	acts, err := cluster.ParseActions(strings.TrimSpace(line), e.cl)
	if err != nil {
		return err
	}
	for _, act := range acts {
		if err := e.apply(act); err != nil {
			return err
		}
	}
	e.w.syncTopics(e)
	return nil
}
