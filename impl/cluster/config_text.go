package cluster

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/cmdline"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// ConfigHelp is the syntax of the cluster line, for help texts.
const ConfigHelp = `cluster topics=T:N,... [group=G] [initial-delay=MS] [max-size=N] [consumer-session=MS]
        [consumer-heartbeat=MS] [plant=BUG,...] [manual]
                                     a new cluster (Kafka's broker defaults); manual: messages wait
                                     for deliver and drop; plant: known bugs (checker demonstrations);
                                     consumer-*: group.consumer.session.timeout.ms and
                                     group.consumer.heartbeat.interval.ms (KIP-848 groups)`

// ParseConfig reads a cluster line: "cluster topics=t:6 manual". The
// coordinator runs Kafka's defaults except where the line says otherwise.
func ParseConfig(line string) (Config, error) {
	a, err := cmdline.Parse(line)
	if err != nil {
		return Config{}, err
	}
	if a.Name != "cluster" {
		return Config{}, fmt.Errorf("want a cluster line, not %q", a.Name)
	}
	if err := a.Count(0, 1); err != nil {
		return Config{}, err
	}
	cfg := Config{GroupID: a.Str("group", "g"), Coordinator: coordinator.DefaultConfig(), Topics: map[string]int32{}}
	for _, t := range a.List("topics") {
		name, n, ok := strings.Cut(t, ":")
		count, err := cmdline.Int(n, 0, MaxPartitions)
		if !ok || err != nil {
			return Config{}, fmt.Errorf("topics: %q is not TOPIC:PARTITIONS with at most %d partitions", t, MaxPartitions)
		}
		if _, dup := cfg.Topics[name]; dup {
			return Config{}, fmt.Errorf("topics: %s given twice", name)
		}
		cfg.Topics[name] = int32(count)
	}
	if cfg.Coordinator.InitialRebalanceDelayMs, err = a.Int64("initial-delay", cfg.Coordinator.InitialRebalanceDelayMs, 0, maxDurationMs); err != nil {
		return Config{}, err
	}
	maxSize, err := a.Int64("max-size", 0, 0, 1<<31-1)
	if err != nil {
		return Config{}, err
	}
	cfg.Coordinator.GroupMaxSize = int(maxSize)
	cgSession, err := a.Int64("consumer-session", int64(cfg.Coordinator.ConsumerSessionTimeoutMs), 1, 1<<31-1)
	if err != nil {
		return Config{}, err
	}
	cgHeartbeat, err := a.Int64("consumer-heartbeat", int64(cfg.Coordinator.ConsumerHeartbeatIntervalMs), 1, 1<<31-1)
	if err != nil {
		return Config{}, err
	}
	cfg.Coordinator.ConsumerSessionTimeoutMs, cfg.Coordinator.ConsumerHeartbeatIntervalMs = int32(cgSession), int32(cgHeartbeat)
	if cfg.Bugs, err = mutant.ParseSet(a.Str("plant", "")); err != nil {
		return Config{}, err
	}
	if err := a.Done(); err != nil {
		return Config{}, err
	}
	switch {
	case len(a.Pos) == 0:
		cfg.AutoDeliver = true
	case a.Pos[0] != "manual":
		return Config{}, fmt.Errorf("cluster: unknown word %q (did you mean manual?)", a.Pos[0])
	}
	return cfg, nil
}

// String is the cluster line that ParseConfig reads back to cfg: settings
// at their defaults are left out.
func (cfg Config) String() string {
	w := []string{"cluster"}
	var ts []string
	for _, t := range spec.SortedKeys(cfg.Topics) {
		ts = append(ts, t+":"+strconv.Itoa(int(cfg.Topics[t])))
	}
	w = append(w, "topics="+strings.Join(ts, ","))
	if cfg.GroupID != "g" {
		w = append(w, "group="+cfg.GroupID)
	}
	def := coordinator.DefaultConfig()
	if d := cfg.Coordinator.InitialRebalanceDelayMs; d != def.InitialRebalanceDelayMs {
		w = append(w, "initial-delay="+strconv.FormatInt(d, 10))
	}
	if n := cfg.Coordinator.GroupMaxSize; n != 0 {
		w = append(w, "max-size="+strconv.Itoa(n))
	}
	if n := cfg.Coordinator.ConsumerSessionTimeoutMs; n != def.ConsumerSessionTimeoutMs {
		w = append(w, "consumer-session="+strconv.Itoa(int(n)))
	}
	if n := cfg.Coordinator.ConsumerHeartbeatIntervalMs; n != def.ConsumerHeartbeatIntervalMs {
		w = append(w, "consumer-heartbeat="+strconv.Itoa(int(n)))
	}
	if cfg.Bugs != 0 {
		w = append(w, "plant="+cfg.Bugs.String())
	}
	if !cfg.AutoDeliver {
		w = append(w, "manual")
	}
	return strings.Join(w, " ")
}

// Transcript is the run so far as a transcript: the cluster line and every
// action applied, one per line. kgroup replay (transcript.Run) plays it
// again, step for step, with the same outputs.
func (cl *Cluster) Transcript() string {
	var b strings.Builder
	b.WriteString(cl.cfg.String() + "\n")
	for _, a := range cl.actions {
		b.WriteString(a.String() + "\n")
	}
	return b.String()
}
