package coordinator

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"

	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/spec"
)

// Regular expression subscriptions (KIP-848, Kafka 4.0): a member may
// subscribe with SubscribedTopicRegex, in RE2/J syntax, which Go's regexp
// (RE2) shares. The group resolves each regular expression its members use
// against the metadata image — the topics it matches in full, as Java's
// Pattern.matcher(topic).matches() does — and persists the resolution as a
// ConsumerGroupRegularExpression record (key: group and regex; value: the
// topics, the image's version and the time). A member subscribes to its
// topic names and to the topics its regex resolved to.
//
// Kafka resolves asynchronously (GroupMetadataManager.
// maybeUpdateRegularExpressions schedules refreshRegularExpressions;
// handleRegularExpressionsResult writes the records and bumps the epoch),
// at most every group.consumer.regex.refresh.interval.ms (10 s), when a
// member brings a regex the group has not resolved or the image has new
// topics. kgroup has no background thread: it resolves synchronously, on
// the heartbeat that brings a new regex and on every heartbeat after the
// metadata image changed (the group's refresh flag). The outcome is the
// one Kafka reaches; only the timing differs — kgroup's member gets the
// topics of a new regex in the answer to the heartbeat that brings it,
// and a topic created later at the next heartbeat instead of within 10 s.
// (Kafka also bumps the epoch only when a new regex resolved to some
// topics; kgroup bumps on any change of a member's subscription, regex
// included, as it does for names.)

// resolvedRegex is ResolvedRegularExpression: the topics, sorted, and the
// version of the metadata image and the time of the resolution.
type resolvedRegex struct {
	topics             []string
	version, timestamp int64
}

// regexFail is throwIfRegularExpressionIsInvalid: nil for a valid regex,
// else INVALID_REGULAR_EXPRESSION with Kafka's message, whose description
// is RE2/J's (the same words as Go's syntax error codes: RE2/J is a port of
// Go's parser).
func regexFail(re string) *cgFail {
	if err := checkRegex(re); err != nil {
		return failf(spec.InvalidRegularExpression, "SubscribedTopicRegex `%s` is not a valid regular expression: %s.", re, err)
	}
	return nil
}

// checkRegex parses re as RE2/J's Pattern.compile does, returning the
// error's description.
func checkRegex(re string) error {
	if _, err := syntax.Parse(re, syntax.Perl); err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return errors.New(se.Code.String())
		}
		return err
	}
	return nil
}

// fullMatch compiles re anchored at both ends: Java's matches() is a full
// match, Go's MatchString a search.
func fullMatch(re string) *regexp.Regexp {
	x, err := regexp.Compile(`^(?:` + re + `)$`)
	if err != nil {
		assert.Fail("coordinator: regex %q was validated but does not compile: %v", re, err)
	}
	return x
}

// resolveRegex is refreshRegularExpressions for one regex: the topics of
// the metadata image it matches, sorted.
func (c *Coordinator) resolveRegex(re string) []string {
	x := fullMatch(re)
	out := []string{}
	for _, t := range spec.SortedKeys(c.topics) {
		if x.MatchString(t) {
			out = append(out, t)
		}
	}
	return out
}

// subscription is the topics the member subscribes to: its names and what
// its regex resolved to, sorted and distinct.
func (m *cmember) subscription(regexes map[string]resolvedRegex) []string {
	if m.regex == "" {
		return m.topics
	}
	r, ok := regexes[m.regex]
	if !ok || len(r.topics) == 0 {
		return m.topics
	}
	return sortedSet(append(slices.Clone(m.topics), r.topics...))
}

// updateRegexes brings the group's resolutions in line with the regexes
// the members ms use: a regex no member uses any more is tombstoned
// (Kafka's tombstone when the last member subscribed to it moves off it,
// or leaves); one not resolved yet is resolved; with refresh (the metadata
// image changed) every other one is resolved again. A record goes out for
// each new resolution and each that changed. It returns the resolutions
// after the records, the records, and whether a resolution the group
// already had changed its topics.
func (c *Coordinator) updateRegexes(g *cgroup, ms []*cmember, refresh bool) (map[string]resolvedRegex, []Record, bool) {
	used := map[string]bool{}
	for _, m := range ms {
		if m.regex != "" {
			used[m.regex] = true
		}
	}
	var recs []Record
	for _, re := range spec.SortedKeys(g.regexes) {
		if !used[re] {
			recs = append(recs, cgRegexTombstone(g.id, re))
		}
	}
	if len(used) == 0 && len(recs) == 0 {
		return g.regexes, nil, false
	}
	out := make(map[string]resolvedRegex, len(used))
	changed := false
	for _, re := range spec.SortedKeys(used) {
		old, ok := g.regexes[re]
		if ok && !refresh {
			out[re] = old
			continue
		}
		topics := c.resolveRegex(re)
		if ok && slices.Equal(old.topics, topics) {
			out[re] = old
			continue
		}
		changed = changed || ok
		r := resolvedRegex{topics: topics, version: c.metadataVersion, timestamp: c.now}
		out[re] = r
		recs = append(recs, cgRegexRecord(g.id, re, r))
	}
	return out, recs, changed
}

// regexTombstones are the tombstones of the regexes only m uses, for when
// m leaves (Kafka's maybeDeleteResolvedRegularExpressions on fencing).
func regexTombstones(g *cgroup, m *cmember) []Record {
	if m.regex == "" {
		return nil
	}
	for _, o := range g.members {
		if o != m && o.regex == m.regex {
			return nil
		}
	}
	if _, ok := g.regexes[m.regex]; !ok {
		return nil
	}
	return []Record{cgRegexTombstone(g.id, m.regex)}
}

// CGRegexRecord is ConsumerGroupRegularExpressionKey/Value: how the group
// resolved one regex.
type CGRegexRecord struct {
	GroupID   string   `json:"group_id"`
	Regex     string   `json:"regex"`
	Topics    []string `json:"topics"`
	Version   int64    `json:"version"`
	Timestamp int64    `json:"timestamp"`
	Tombstone bool     `json:"tombstone,omitempty"`
}

func cgRegexRecord(g, re string, r resolvedRegex) Record {
	return Record{CGRegex: &CGRegexRecord{GroupID: g, Regex: re, Topics: slices.Clone(r.topics),
		Version: r.version, Timestamp: r.timestamp}}
}

func cgRegexTombstone(g, re string) Record {
	return Record{CGRegex: &CGRegexRecord{GroupID: g, Regex: re, Tombstone: true}}
}

// validateRegexRecord rejects a regex record no coordinator writes.
func validateRegexRecord(x *CGRegexRecord) error {
	if x.Regex == "" {
		return fmt.Errorf("consumer group %q: a regular expression record with no regex", x.GroupID)
	}
	if err := checkRegex(x.Regex); err != nil {
		return fmt.Errorf("consumer group %q: regex %q: %w", x.GroupID, x.Regex, err)
	}
	for i, t := range x.Topics {
		if t == "" || (i > 0 && x.Topics[i-1] >= t) {
			return fmt.Errorf("consumer group %q: regex %q resolved to %v: want distinct topic names, sorted", x.GroupID, x.Regex, x.Topics)
		}
	}
	return nil
}

// replayCGRegex is GroupMetadataManager.replay of a
// ConsumerGroupRegularExpression record.
func (c *Coordinator) replayCGRegex(x *CGRegexRecord) error {
	g, err := c.persistedCGroup(x.GroupID, !x.Tombstone)
	switch {
	case g == nil:
	case x.Tombstone:
		delete(g.regexes, x.Regex)
	default:
		g.regexes[x.Regex] = resolvedRegex{topics: sortedSet(x.Topics), version: x.Version, timestamp: x.Timestamp}
	}
	return err
}
