package model

import (
	"github.com/kgroup/kgroup/tla/internal/tlacfg"

	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ReadConfig reads a TLC configuration file of ClassicGroup.tla (its
// CONSTANTS section: numbers, booleans, strings and sets of strings) into
// the Params the twin explores with the same bounds.
func ReadConfig(path string) (*Params, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ParseConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// constNames are the constants ClassicGroup.tla declares; a configuration
// must give each exactly once.
var constNames = []string{"Consumers", "Topics", "InitTopics", "InitPartitions", "CoopConsumers", "EagerAssignor",
	"StaticConsumers", "AutoCommitConsumers", "CommitOnRevokeConsumers", "MaxSize", "Perturbations", "Drops",
	"Timeouts", "Consumes", "Commits", "Heartbeats", "AddPartitionsUpTo", "AllowRestart", "AllowFreeze",
	"AllowStall", "AllowFailover", "AllowRemoveStatic", "SlowBackoff", "MaxGeneration", "MaxMemberIds"}

// ParseConfig reads a configuration from r (see ReadConfig).
func ParseConfig(r io.Reader) (*Params, error) {
	vals, err := tlacfg.Constants(r, constNames)
	if err != nil {
		return nil, err
	}
	c := constants{vals: vals}
	p := c.params()
	if c.err != nil {
		return nil, c.err
	}
	return p, p.Validate()
}

type constants struct {
	vals map[string]string
	err  error
}

func (c *constants) fail(name, want string) {
	if c.err == nil {
		c.err = fmt.Errorf("constant %s = %s: want %s", name, c.vals[name], want)
	}
}

func (c *constants) num(name string) int {
	n, err := strconv.Atoi(c.vals[name])
	if err != nil || n < 0 || n > 1000 {
		c.fail(name, "a number in [0, 1000]")
	}
	return n
}

func (c *constants) boolean(name string) bool {
	switch c.vals[name] {
	case "TRUE":
		return true
	case "FALSE":
		return false
	}
	c.fail(name, "TRUE or FALSE")
	return false
}

func (c *constants) str(name string) string {
	s, err := strconv.Unquote(c.vals[name])
	if err != nil {
		c.fail(name, "a string")
	}
	return s
}

// set reads {"a", "b"}, sorted.
func (c *constants) set(name string) []string {
	v := c.vals[name]
	if !strings.HasPrefix(v, "{") || !strings.HasSuffix(v, "}") {
		c.fail(name, "a set of strings")
		return nil
	}
	var out []string
	for _, e := range strings.Split(v[1:len(v)-1], ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		s, err := strconv.Unquote(e)
		if err != nil {
			c.fail(name, "a set of strings")
			return nil
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (c *constants) subset(name string, of []string) []string {
	s := c.set(name)
	for _, e := range s {
		if !slices.Contains(of, e) {
			c.fail(name, "a subset of "+strings.Join(of, ", "))
		}
	}
	return s
}

func (c *constants) params() *Params {
	consumers := c.set("Consumers")
	topics := c.set("Topics")
	p := &Params{TopicNames: topics, Consumers: consumers, MaxSize: c.num("MaxSize"),
		Perturbations: c.num("Perturbations"), Drops: c.num("Drops"), Timeouts: c.num("Timeouts"),
		Consumes: c.num("Consumes"), Commits: c.num("Commits"), Heartbeats: c.num("Heartbeats"),
		AddPartitionsUpTo: c.num("AddPartitionsUpTo"), Restart: c.boolean("AllowRestart"),
		Freeze: c.boolean("AllowFreeze"), Stall: c.boolean("AllowStall"), Failover: c.boolean("AllowFailover"),
		RemoveStatic: c.boolean("AllowRemoveStatic"), Slow: c.boolean("SlowBackoff"),
		MaxGeneration: c.num("MaxGeneration"), MaxMemberIds: c.num("MaxMemberIds")}
	initial := c.subset("InitTopics", topics)
	n := c.num("InitPartitions")
	for t := range p.Init {
		p.Init[t] = -1
		if t < len(topics) && slices.Contains(initial, topics[t]) {
			p.Init[t] = int16(n)
		}
	}
	coop := c.subset("CoopConsumers", consumers)
	static := c.subset("StaticConsumers", consumers)
	auto := c.subset("AutoCommitConsumers", consumers)
	onRevoke := c.subset("CommitOnRevokeConsumers", consumers)
	eager := AssignorByName(c.str("EagerAssignor"))
	if eager == 0 {
		c.fail("EagerAssignor", "an assignor name")
	}
	var all Topics
	for t := range topics {
		all |= 1 << t
	}
	for _, name := range static {
		p.Instances = append(p.Instances, "i-"+name)
	}
	for _, name := range consumers {
		cfg := Config{Topics: all, Assignors: []uint8{eager}, AutoCommit: slices.Contains(auto, name),
			CommitOnRevoke: slices.Contains(onRevoke, name), SessionOK: true}
		if slices.Contains(coop, name) {
			cfg.Assignors, cfg.Coop = []uint8{CoopSticky}, true
		}
		if i := slices.Index(p.Instances, "i-"+name); i >= 0 {
			cfg.Inst = uint8(i + 1)
		}
		p.Allowed = append(p.Allowed, []uint8{p.Intern(cfg)})
	}
	p.SetPrefixes()
	return p
}
