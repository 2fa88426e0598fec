package cluster

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

// ActionKind names what a driver does to the cluster; it is the action's
// command word in a transcript.
type ActionKind string

// The actions. Node is a consumer's name unless stated otherwise.
const (
	ActStart           ActionKind = "start"            // a consumer process starts with Config and joins
	ActRestart         ActionKind = "restart"          // a stopped consumer comes back as a new process, with Config if set
	ActCrash           ActionKind = "crash"            // the process stops dead: no callbacks, no goodbye
	ActClose           ActionKind = "close"            // the consumer shuts down cleanly and leaves
	ActStall           ActionKind = "stall"            // the application stops calling poll; heartbeats go on
	ActUnstall         ActionKind = "unstall"          // ... and polls again
	ActFreeze          ActionKind = "freeze"           // the whole process pauses (a GC pause, a stopped VM)
	ActThaw            ActionKind = "thaw"             // ... and resumes; overdue timers fire at once
	ActConsume         ActionKind = "consume"          // the application processes Records records of each partition (or of Partition)
	ActConsumeAll      ActionKind = "consume-all"      // every polling consumer processes Records records of each partition
	ActCommit          ActionKind = "commit"           // commitSync of the positions, with MetadataBytes of metadata each
	ActDeliver         ActionKind = "deliver"          // the oldest message of Link (or message ID) arrives
	ActDrop            ActionKind = "drop"             // the oldest message of Link (or message ID) is lost
	ActSettle          ActionKind = "settle"           // everything in flight outside held links arrives, oldest first
	ActHold            ActionKind = "hold"             // Node's links leave automatic delivery
	ActRelease         ActionKind = "release"          // ... and rejoin it
	ActFire            ActionKind = "fire"             // Node's (or the coordinator's) earliest timer fires, time moving to it
	ActAdvance         ActionKind = "advance"          // time moves Ms forward, firing every timer due on the way
	ActAdvanceTo       ActionKind = "advance-to"       // time moves to Ms, likewise
	ActStabilize       ActionKind = "stabilize"        // time runs until the group converges, at most Ms
	ActCreateTopic     ActionKind = "create-topic"     // Topic appears with Partitions partitions
	ActAddPartitions   ActionKind = "add-partitions"   // Topic grows to Partitions partitions
	ActDeleteTopic     ActionKind = "delete-topic"     // Topic disappears
	ActRefreshMetadata ActionKind = "refresh-metadata" // every consumer gets fresh metadata now
	ActFailover        ActionKind = "failover"         // a new coordinator loads the log; the old one answers NOT_COORDINATOR
	ActRemoveStatic    ActionKind = "remove-static"    // an administrator removes the static member holding Instance
)

// DefaultStabilizeMs is how long stabilize waits when no limit is given.
const DefaultStabilizeMs = 600000

// Action is one thing a driver does to the cluster. Only the fields its Kind
// uses are set. Its text form (String, ParseActions) is a transcript line;
// its JSON form has the same fields.
type Action struct {
	Kind ActionKind `json:"kind"`
	// Node is the consumer acted on; for fire, a consumer or "coord".
	Node string `json:"node,omitempty"`
	// Config is a start's whole configuration, and a restart's new one (nil
	// keeps the last). Its GroupID and Bugs are the cluster's.
	Config *consumer.Config `json:"-"`
	// Link ("FROM->TO") or ID (as inflight lists messages) names what
	// deliver and drop act on.
	Link string `json:"link,omitempty"`
	ID   int64  `json:"id,omitempty"`
	// Ms: advance's duration, advance-to's time, stabilize's limit.
	Ms      int64 `json:"ms,omitempty"`
	Records int64 `json:"records,omitempty"`
	// Partition limits consume to one partition.
	Partition     *spec.TopicPartition `json:"partition,omitempty"`
	MetadataBytes int                  `json:"metadata_bytes,omitempty"`
	Topic         string               `json:"topic,omitempty"`
	Partitions    int32                `json:"partitions,omitempty"`
	Instance      string               `json:"instance,omitempty"`
}

// String is the action's transcript line. A start writes its topics and
// every setting that differs from a transcript's defaults; a restart with a
// new configuration writes every setting.
func (a Action) String() string {
	w := []string{string(a.Kind)}
	switch a.Kind {
	case ActStart:
		w = append(w, a.Node)
		if a.Config != nil {
			w = append(w, consumerOptions(*a.Config, true)...)
		}
	case ActRestart:
		w = append(w, a.Node)
		if a.Config != nil {
			w = append(w, consumerOptions(*a.Config, false)...)
		}
	case ActCrash, ActClose, ActStall, ActUnstall, ActFreeze, ActThaw, ActHold, ActRelease, ActFire:
		w = append(w, a.Node)
	case ActConsume:
		w = append(w, a.Node, strconv.FormatInt(a.Records, 10))
		if a.Partition != nil {
			w = append(w, a.Partition.String())
		}
	case ActConsumeAll:
		w = append(w, strconv.FormatInt(a.Records, 10))
	case ActCommit:
		w = append(w, a.Node)
		if a.MetadataBytes != 0 {
			w = append(w, "metadata="+strconv.Itoa(a.MetadataBytes))
		}
	case ActDeliver, ActDrop:
		if a.Link != "" {
			w = append(w, a.Link)
		} else {
			w = append(w, strconv.FormatInt(a.ID, 10))
		}
	case ActAdvance, ActAdvanceTo:
		w = append(w, strconv.FormatInt(a.Ms, 10))
	case ActStabilize:
		if a.Ms != DefaultStabilizeMs {
			w = append(w, "max="+strconv.FormatInt(a.Ms, 10))
		}
	case ActCreateTopic, ActAddPartitions:
		w = append(w, a.Topic, strconv.Itoa(int(a.Partitions)))
	case ActDeleteTopic:
		w = append(w, a.Topic)
	case ActRemoveStatic:
		w = append(w, a.Instance)
	}
	return strings.Join(w, " ")
}

// transcriptDefaults is a consumer as a transcript starts it: Kafka's client
// defaults with the range assignor, except that auto-commit is off, so that
// every commit in a transcript is one it asked for.
func transcriptDefaults(name, group string, topics []string) consumer.Config {
	cfg := consumer.DefaultConfig(name, group, topics...)
	cfg.AutoCommit = false
	return cfg
}

// consumerOptions writes cfg's settings as start's options: topics always,
// then, with diffOnly, only those that differ from transcriptDefaults.
func consumerOptions(cfg consumer.Config, diffOnly bool) []string {
	base := transcriptDefaults(cfg.Name, cfg.GroupID, cfg.Topics)
	var out []string
	put := func(key, v, def string) {
		if !diffOnly || v != def {
			out = append(out, key+"="+v)
		}
	}
	if cfg.TopicRegex != "" {
		out = append(out, "pattern="+cfg.TopicRegex)
	} else {
		out = append(out, "topics="+strings.Join(cfg.Topics, ","))
	}
	put("assignor", assignorNames(cfg), assignorNames(base))
	put("instance", cfg.InstanceID, base.InstanceID)
	put("rack", cfg.Rack, base.Rack)
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	put("session", i(int64(cfg.SessionTimeoutMs)), i(int64(base.SessionTimeoutMs)))
	put("heartbeat", i(cfg.HeartbeatIntervalMs), i(base.HeartbeatIntervalMs))
	put("poll", i(int64(cfg.MaxPollIntervalMs)), i(int64(base.MaxPollIntervalMs)))
	put("request-timeout", i(cfg.RequestTimeoutMs), i(base.RequestTimeoutMs))
	put("retry-backoff", i(cfg.RetryBackoffMs), i(base.RetryBackoffMs))
	put("metadata-age", i(cfg.MetadataMaxAgeMs), i(base.MetadataMaxAgeMs))
	autoCommit := "off"
	if cfg.AutoCommit {
		autoCommit = i(cfg.AutoCommitIntervalMs)
	}
	put("auto-commit", autoCommit, "off")
	put("commit-on-revoke", onOff(cfg.CommitOnRevoke), onOff(base.CommitOnRevoke))
	if cfg.IsConsumerProtocol() {
		out = append(out, "protocol="+consumer.GroupProtocolConsumer)
	}
	put("remote-assignor", cfg.ServerAssignor, "")
	return out
}

func assignorNames(cfg consumer.Config) string { return strings.Join(assignorList(cfg), ",") }

func assignorList(cfg consumer.Config) []string {
	names := make([]string, len(cfg.Assignors))
	for i, a := range cfg.Assignors {
		names[i] = a.Name()
	}
	return names
}

func onOff(v bool) string {
	if v {
		return "on"
	}
	return "off"
}

// actionJSON is Action's JSON form.
type actionJSON struct {
	actionFields
	Config *configJSON `json:"config,omitempty"`
}

type actionFields Action

// configJSON is a consumer's configuration in an action's JSON form, with
// Kafka's setting names; a field left out keeps a transcript's default.
type configJSON struct {
	Name                 string   `json:"name"`
	Topics               []string `json:"topics"`
	TopicRegex           string   `json:"pattern,omitempty"`
	Assignors            []string `json:"partition.assignment.strategy"`
	InstanceID           string   `json:"group.instance.id,omitempty"`
	Rack                 string   `json:"client.rack,omitempty"`
	SessionTimeoutMs     int32    `json:"session.timeout.ms"`
	HeartbeatIntervalMs  int64    `json:"heartbeat.interval.ms"`
	MaxPollIntervalMs    int32    `json:"max.poll.interval.ms"`
	RequestTimeoutMs     int64    `json:"request.timeout.ms"`
	RetryBackoffMs       int64    `json:"retry.backoff.ms"`
	MetadataMaxAgeMs     int64    `json:"metadata.max.age.ms"`
	AutoCommit           bool     `json:"enable.auto.commit"`
	AutoCommitIntervalMs int64    `json:"auto.commit.interval.ms"`
	CommitOnRevoke       bool     `json:"commit_on_revoke"`
	GroupProtocol        string   `json:"group.protocol,omitempty"`
	ServerAssignor       string   `json:"group.remote.assignor,omitempty"`
}

func toConfigJSON(c consumer.Config) *configJSON {
	return &configJSON{Name: c.Name, Topics: append([]string{}, c.Topics...), TopicRegex: c.TopicRegex, Assignors: assignorList(c),
		InstanceID: c.InstanceID, Rack: c.Rack, SessionTimeoutMs: c.SessionTimeoutMs,
		HeartbeatIntervalMs: c.HeartbeatIntervalMs, MaxPollIntervalMs: c.MaxPollIntervalMs,
		RequestTimeoutMs: c.RequestTimeoutMs, RetryBackoffMs: c.RetryBackoffMs, MetadataMaxAgeMs: c.MetadataMaxAgeMs,
		AutoCommit: c.AutoCommit, AutoCommitIntervalMs: c.AutoCommitIntervalMs, CommitOnRevoke: c.CommitOnRevoke,
		GroupProtocol: c.GroupProtocol, ServerAssignor: c.ServerAssignor}
}

func (j *configJSON) config() (consumer.Config, error) {
	c := consumer.Config{Name: j.Name, Topics: j.Topics, TopicRegex: j.TopicRegex, InstanceID: j.InstanceID, Rack: j.Rack,
		SessionTimeoutMs: j.SessionTimeoutMs, HeartbeatIntervalMs: j.HeartbeatIntervalMs,
		MaxPollIntervalMs: j.MaxPollIntervalMs, RequestTimeoutMs: j.RequestTimeoutMs, RetryBackoffMs: j.RetryBackoffMs,
		MetadataMaxAgeMs: j.MetadataMaxAgeMs, AutoCommit: j.AutoCommit, AutoCommitIntervalMs: j.AutoCommitIntervalMs,
		CommitOnRevoke: j.CommitOnRevoke, GroupProtocol: j.GroupProtocol, ServerAssignor: j.ServerAssignor}
	for _, name := range j.Assignors {
		a, err := assignors.ByName(name)
		if err != nil {
			return c, err
		}
		c.Assignors = append(c.Assignors, a)
	}
	return c, nil
}

// MarshalJSON writes the action's fields, with a configuration as an object
// of Kafka's setting names.
func (a Action) MarshalJSON() ([]byte, error) {
	out := actionJSON{actionFields: actionFields(a)}
	if a.Config != nil {
		out.Config = toConfigJSON(*a.Config)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, strictly: unknown fields, an
// unknown kind, an unknown assignor and trailing data are errors. Settings
// left out of a configuration keep a transcript's defaults.
func (a *Action) UnmarshalJSON(b []byte) error {
	var in struct {
		actionFields
		Config json.RawMessage `json:"config,omitempty"`
	}
	if err := spec.UnmarshalStrict(b, &in); err != nil {
		return fmt.Errorf("action: %w", err)
	}
	out := Action(in.actionFields)
	if !knownKind(out.Kind) {
		return fmt.Errorf("action: unknown kind %q", out.Kind)
	}
	if in.Config != nil {
		cj := toConfigJSON(transcriptDefaults("", "", nil))
		if err := spec.UnmarshalStrict(in.Config, cj); err != nil {
			return fmt.Errorf("action: config: %w", err)
		}
		cfg, err := cj.config()
		if err != nil {
			return fmt.Errorf("action: config: %w", err)
		}
		out.Config = &cfg
	}
	*a = out
	return nil
}
