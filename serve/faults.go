package serve

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/spec"
)

// Fault is one fault to inject, in the text form --fault and the control
// endpoint take:
//
//	delay API MS [count=N|all] [client=ID]  hold the next N answers of API (default 1) for MS ms
//	drop API [count=N|all] [client=ID]      never send them, and close their connection: what a
//	                                        client sees of a lost answer once its request times out
//	expire MEMBER|CLIENT                    hold every request of that member (or client id)
//	                                        until the coordinator expires its session, then let them in
//	cut CLIENT|all                          close the connections of a client id, or all
//	move [pause=MS]                         move the coordinator: unload it (parked joins and syncs get
//	                                        NOT_COORDINATOR, and so does every request), then after MS
//	                                        (default 1000) load a new one from the record log
//	clear                                   remove every delay and drop still pending
//
// API is a Kafka API name, any case (Heartbeat, joingroup, OffsetCommit, Fetch, ...).
type Fault struct {
	Kind   string
	API    int16 // delay, drop
	Delay  time.Duration
	Count  int // delay, drop: how many answers; -1 for all
	Target string
}

// ParseFault reads a fault's text form.
func ParseFault(s string) (Fault, error) {
	words := strings.Fields(s)
	if len(words) == 0 {
		return Fault{}, fmt.Errorf("fault: empty")
	}
	f := Fault{Kind: words[0], Count: 1}
	args := words[1:]
	need := func(n int) error {
		if len(args) < n {
			return fmt.Errorf("fault %q: %s needs %d arguments", s, f.Kind, n)
		}
		return nil
	}
	var err error
	switch f.Kind {
	case "delay", "drop":
		if err = need(1); err == nil {
			f.API, err = parseAPI(args[0])
			args = args[1:]
		}
		if err == nil && f.Kind == "delay" {
			if err = need(1); err == nil {
				f.Delay, err = parseMs(args[0])
				args = args[1:]
			}
		}
		if err == nil {
			err = f.options(args)
		}
	case "expire", "cut":
		if err = need(1); err == nil && len(args) > 1 {
			err = fmt.Errorf("fault %q: %s takes one argument", s, f.Kind)
		}
		if err == nil {
			f.Target = args[0]
		}
	case "move":
		f.Delay = time.Second
		for _, a := range args {
			v, ok := strings.CutPrefix(a, "pause=")
			if !ok {
				return Fault{}, fmt.Errorf("fault %q: move takes pause=MS", s)
			}
			if f.Delay, err = parseMs(v); err != nil {
				break
			}
		}
	case "clear":
		if len(args) > 0 {
			err = fmt.Errorf("fault %q: clear takes nothing", s)
		}
	default:
		err = fmt.Errorf("fault %q: want delay, drop, expire, cut, move or clear", s)
	}
	if err != nil {
		return Fault{}, err
	}
	return f, nil
}

func (f *Fault) options(args []string) error {
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "count":
			if v == "all" {
				f.Count = -1
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("fault: count=%s: want a positive number or all", v)
			}
			f.Count = n
		case "client":
			if v == "" {
				return fmt.Errorf("fault: client= needs a client id")
			}
			f.Target = v
		default:
			return fmt.Errorf("fault: unknown option %q (count=, client=)", a)
		}
	}
	return nil
}

func parseMs(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSuffix(s, "ms"), 10, 64)
	if err != nil || n < 0 || n > 3_600_000 {
		return 0, fmt.Errorf("fault: %q is not a number of milliseconds (0 to 3600000)", s)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func parseAPI(name string) (int16, error) {
	for key := range apis {
		if strings.EqualFold(kmsg.NameForKey(key), name) {
			return key, nil
		}
	}
	return 0, fmt.Errorf("fault: %q is not an API kgroup serve answers", name)
}

// String is the fault's text form.
func (f Fault) String() string {
	switch f.Kind {
	case "delay", "drop":
		s := f.Kind + " " + kmsg.NameForKey(f.API)
		if f.Kind == "delay" {
			s += fmt.Sprintf(" %d", f.Delay.Milliseconds())
		}
		if f.Count < 0 {
			s += " count=all"
		} else if f.Count != 1 {
			s += fmt.Sprintf(" count=%d", f.Count)
		}
		if f.Target != "" {
			s += " client=" + f.Target
		}
		return s
	case "move":
		return fmt.Sprintf("move pause=%d", f.Delay.Milliseconds())
	case "clear":
		return "clear"
	}
	return f.Kind + " " + f.Target
}

// answerFaults are the delays and drops waiting for answers, consulted by
// every connection as it writes an answer.
type answerFaults struct {
	mu    sync.Mutex
	rules []*Fault
}

// take returns the fault that applies to the next answer of key to client
// and counts it used.
func (af *answerFaults) take(key int16, client string) (Fault, bool) {
	af.mu.Lock()
	defer af.mu.Unlock()
	for i, f := range af.rules {
		if f.API != key || (f.Target != "" && f.Target != client) {
			continue
		}
		out := *f
		if f.Count > 0 {
			if f.Count--; f.Count == 0 {
				af.rules = append(af.rules[:i], af.rules[i+1:]...)
			}
		}
		return out, true
	}
	return Fault{}, false
}

func (af *answerFaults) add(f Fault) {
	af.mu.Lock()
	defer af.mu.Unlock()
	af.rules = append(af.rules, &f)
}

func (af *answerFaults) clear() {
	af.mu.Lock()
	defer af.mu.Unlock()
	af.rules = nil
}

// hold keeps a member's requests from the coordinator until its session
// expires (fault "expire").
type hold struct {
	targets []memberKey
	calls   []*call
	until   int64 // a bound: released then, expired or not
}

// maxHoldMs bounds a hold (Kafka's group.max.session.timeout.ms is 30 min).
const maxHoldMs = 30 * 60 * 1000

// expire starts a hold on the members that target names (member id or
// client id).
func (o *owner) expire(target string) error {
	var targets []memberKey
	for k, client := range o.clients {
		if (k.member == target || client == target) && o.isMember(k) {
			targets = append(targets, k)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("expire %s: no member has that id or client id", target)
	}
	o.holds = append(o.holds, &hold{targets: targets, until: o.now + maxHoldMs})
	return nil
}

func (o *owner) isMember(k memberKey) bool {
	_, ok := o.co.Describe(k.group).Member(k.member)
	return ok
}

// held keeps c if a hold covers it.
func (o *owner) held(c *call) bool {
	for _, h := range o.holds {
		for _, k := range h.targets {
			if k.group == c.req.Group() && (memberOf(c.req) == k.member || o.clients[k] == c.client) {
				h.calls = append(h.calls, c)
				return true
			}
		}
	}
	return false
}

// memberOf is the member id a request names ("" for none or several).
func memberOf(req spec.Request) string {
	switch r := req.(type) {
	case *spec.JoinGroupRequest:
		return r.MemberID
	case *spec.SyncGroupRequest:
		return r.MemberID
	case *spec.HeartbeatRequest:
		return r.MemberID
	case *spec.OffsetCommitRequest:
		return r.MemberID
	case *spec.OffsetFetchRequest:
		return r.MemberID
	case *spec.ConsumerGroupHeartbeatRequest:
		return r.MemberID
	case *spec.LeaveGroupRequest:
		if len(r.Members) == 1 {
			return r.Members[0].MemberID
		}
	}
	return ""
}

// releaseHolds lets held requests in once every target is gone from its
// group, or the hold's bound passed.
func (o *owner) releaseHolds() {
	for i := 0; i < len(o.holds); i++ {
		h := o.holds[i]
		gone := true
		for _, k := range h.targets {
			gone = gone && !o.isMember(k)
		}
		if !gone && o.now < h.until {
			continue
		}
		o.holds = append(o.holds[:i], o.holds[i+1:]...)
		i--
		o.srv.events.add(Event{At: o.now, Kind: "fault", Detail: fmt.Sprintf("expire: %d held requests let in (session expired: %v)", len(h.calls), gone)})
		for _, c := range h.calls {
			o.send(c)
		}
	}
}

// move unloads the coordinator; reload loads a new one from the log.
func (o *owner) move(pause time.Duration) {
	if o.reloadAt > 0 {
		return
	}
	o.step(spec.Message{Body: &spec.Unload{}}, nil)
	o.reloadAt = o.now + max(pause.Milliseconds(), 1)
}

func (o *owner) reload() {
	co, rd, err := coordinator.Load(o.cfg, o.now, o.log)
	o.reloadAt = 0
	if err != nil {
		o.srv.events.add(violationEvent(o.now, "", ruleRebuild, fmt.Errorf("failover: the log does not load: %w", err)))
		return
	}
	o.co = co
	o.checks.failover(co)
	for _, g := range spec.SortedKeys(o.checks.committed) { // a commit lost across the failover shows here
		o.checks.offsets(o.now, g, co.Committed(g))
	}
	o.srv.events.add(Event{At: o.now, Kind: "failover", Detail: fmt.Sprintf("a new coordinator loaded %d records", len(o.log))})
	o.ready(rd)
	if err := o.feedMetadata(); err != nil {
		o.srv.events.add(Event{At: o.now, Kind: "bad", Detail: err.Error()})
	}
}
