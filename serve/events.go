package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/kgroup/kgroup/spec"
)

// Event is one thing the server saw or did, as a JSON line of --events:
//
//	{"at":1520,"kind":"transition","group":"g","from":"PreparingRebalance","to":"CompletingRebalance","generation":1}
//	{"at":1523,"kind":"join","group":"g","member":"c1-1","client":"c1","generation":1,"leader":"c1-1","protocol":"range"}
//	{"at":1530,"kind":"sync","group":"g","member":"c1-1","generation":1,"assignment":"orders[0 1 2]"}
//	{"at":2001,"kind":"commit","group":"g","member":"c1-1","generation":1,"detail":"orders-0=12 orders-1=7"}
//	{"at":2400,"kind":"violation","group":"g","rule":"fencing","detail":"..."}
//	{"at":3000,"kind":"fault","detail":"drop Heartbeat count=1: dropped the answer to c2 (member c2-3)"}
//
// At is milliseconds since the server started, the coordinator's clock.
// Kinds: listen, conn, close (a connection ended, with why), transition,
// join, sync, leave (also a KIP-848 member's, generation its epoch -1 or
// -2), assign (a KIP-848 heartbeat's answer carrying an assignment,
// generation the member epoch), commit (accepted), violation (a rule broken), check
// (a summary of the checks made, at shutdown), fault (one injected),
// failover (the coordinator reloaded from its log), bad (bad input, with
// what was done about it).
type Event struct {
	At         int64  `json:"at"`
	Kind       string `json:"kind"`
	Group      string `json:"group,omitempty"`
	Member     string `json:"member,omitempty"`
	Client     string `json:"client,omitempty"`
	Conn       string `json:"conn,omitempty"`
	From       string `json:"from,omitempty"`
	To         string `json:"to,omitempty"`
	Generation int32  `json:"generation,omitempty"`
	Leader     string `json:"leader,omitempty"`
	Protocol   string `json:"protocol,omitempty"`
	Assignment string `json:"assignment,omitempty"`
	Rule       string `json:"rule,omitempty"`
	Error      string `json:"error,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// String is the event's one-line text form, as stderr shows it.
func (e Event) String() string {
	s := fmt.Sprintf("%8d %-10s", e.At, e.Kind)
	add := func(k, v string) {
		if v != "" {
			s += " " + k + "=" + v
		}
	}
	add("group", e.Group)
	add("member", e.Member)
	add("client", e.Client)
	add("conn", e.Conn)
	if e.From != "" || e.To != "" {
		s += " " + e.From + "->" + e.To
	}
	if e.Generation != 0 {
		s += fmt.Sprintf(" gen=%d", e.Generation)
	}
	add("leader", e.Leader)
	add("protocol", e.Protocol)
	add("assignment", e.Assignment)
	add("rule", e.Rule)
	add("error", e.Error)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// eventLog keeps every event, writes them out, and wakes waiters. Safe for
// concurrent use (connections report bad input; the coordinator's goroutine
// everything else).
type eventLog struct {
	mu      sync.Mutex
	events  []Event
	base    int // index of events[0]: older ones were dropped
	changed chan struct{}
	jsonl   io.Writer // --events, may be nil
	text    io.Writer // stderr, may be nil
	verbose bool      // text gets every event, not only violations, faults and bad input
	werr    error
}

// maxKeptEvents bounds the events kept in memory for waiters and the
// control endpoint; older ones are dropped (they were written out).
const maxKeptEvents = 200_000

func newEventLog(jsonl, text io.Writer, verbose bool) *eventLog {
	return &eventLog{changed: make(chan struct{}), jsonl: jsonl, text: text, verbose: verbose}
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) == maxKeptEvents {
		l.events = append(l.events[:0], l.events[maxKeptEvents/2:]...)
		l.base += maxKeptEvents / 2
	}
	l.events = append(l.events, e)
	if l.jsonl != nil && l.werr == nil {
		b, _ := json.Marshal(e)
		_, l.werr = l.jsonl.Write(append(b, '\n'))
	}
	if l.text != nil && (l.verbose || loud(e.Kind)) {
		fmt.Fprintln(l.text, e)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// loud kinds always reach stderr.
func loud(kind string) bool {
	return kind == "violation" || kind == "fault" || kind == "failover" || kind == "bad" || kind == "listen" || kind == "check"
}

// snapshot returns the events kept from index from on, the index of the
// first of them, and a channel closed at the next event.
func (l *eventLog) snapshot(from int) ([]Event, int, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := min(max(from-l.base, 0), len(l.events))
	return append([]Event(nil), l.events[i:]...), l.base + i, l.changed
}

// wait returns the first event from index from on that satisfies ok, and
// its index, or ctx's error.
func (l *eventLog) wait(ctx context.Context, from int, ok func(Event) bool) (Event, int, error) {
	for {
		evs, first, changed := l.snapshot(from)
		from = first
		for i, e := range evs {
			if ok(e) {
				return e, from + i, nil
			}
		}
		from += len(evs)
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, from, fmt.Errorf("waiting for an event: %w", ctx.Err())
		}
	}
}

// violationEvent is a broken rule as an event.
func violationEvent(at int64, group, rule string, err error) Event {
	return Event{At: at, Kind: "violation", Group: group, Rule: rule, Detail: err.Error()}
}

func transitionEvent(at int64, t spec.Transition) Event {
	return Event{At: at, Kind: "transition", Group: t.Group, From: t.From.String(), To: t.To.String(), Generation: t.ToGeneration}
}
