package serve

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/spec"
)

// The coordinator's goroutine: the only one that touches the coordinator.
// It turns the wall clock into the coordinator's logical milliseconds
// (time since the server started), feeds it each request as it comes,
// ticks it at NextDeadline, and routes every answer to the connection
// waiting for it; it checks the rules on what goes in and out, keeps the
// record log, and writes the history.

// call is one request for the coordinator, from a connection.
type call struct {
	req    spec.Request
	conn   string // the connection's name: the history's client
	client string // the request header's client id
	raw    []kmsg.JoinGroupRequestProtocol
	plan   []kmsg.SyncGroupRequestGroupAssignment
	// version is an OffsetCommit's version (KIP-848 members must use v9+).
	version int16
	reply   chan reply // buffered: the coordinator's goroutine never waits on a connection
	corr    int32
	op      int // index of its history operation, -1 if none
}

// reply is the coordinator's answer, with the bytes to send for a
// leader's member list or a member's assignment.
type reply struct {
	resp   spec.Response
	meta   [][]byte
	assign []byte
}

// query runs fn on the coordinator's goroutine (the control endpoint, tests).
type query struct {
	fn   func(*owner)
	done chan struct{}
}

type owner struct {
	srv     *Server
	cfg     coordinator.Config
	co      *coordinator.Coordinator
	start   time.Time
	now     int64
	log     []coordinator.Record
	pending map[int32]*call
	corr    int32
	raw     rawCache
	checks  *checks
	history []linearizability.Op
	clock   int64 // orders history operations exactly
	clients map[memberKey]string
	// reloadAt is when an unloaded coordinator (fault "move") loads the
	// log again; 0 when none is unloaded.
	reloadAt int64
	holds    []*hold
}

func newOwner(srv *Server, cfg coordinator.Config) (*owner, error) {
	co, err := coordinator.New(cfg)
	if err != nil {
		return nil, err
	}
	o := &owner{srv: srv, cfg: cfg, co: co, start: time.Now(), pending: map[int32]*call{}, raw: newRawCache(),
		clients: map[memberKey]string{}}
	o.checks = newChecks(srv.store.partitionCounts(), srv.events.add)
	if err := o.feedMetadata(); err != nil {
		return nil, err
	}
	return o, nil
}

// feedMetadata gives the coordinator the topics' partition counts, which
// it assigns consumer groups from (Kafka's coordinator gets the metadata
// image from the controller, GroupCoordinator.onMetadataUpdate): at the
// start and to every coordinator a failover loads, since the image is not
// in the record log. The topics are fixed at the start (no auto-creation,
// no CreateTopics or CreatePartitions), so no other change needs one;
// whatever would add topics or partitions must call it too.
func (o *owner) feedMetadata() error {
	rd, err := o.co.Step(o.now, spec.Message{Body: &spec.MetadataUpdate{Topics: o.srv.store.partitionCounts()}})
	if err != nil {
		return fmt.Errorf("kgroup serve: the coordinator refused the topic metadata: %w", err)
	}
	o.ready(rd)
	return nil
}

// elapsed is the coordinator's clock: milliseconds since the start, never
// going back.
func (o *owner) elapsed() int64 {
	o.now = max(o.now, time.Since(o.start).Milliseconds())
	return o.now
}

func (o *owner) run() {
	defer close(o.srv.ownerDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		o.arm(timer)
		select {
		case <-o.srv.done:
			return
		case in := <-o.srv.inbox:
			o.elapsed()
			o.due()
			o.take(in)
		case <-timer.C:
			o.elapsed()
			o.due()
		}
	}
}

// arm sets the timer for the next thing due: a coordinator timer, a
// reload, a hold's bound.
func (o *owner) arm(t *time.Timer) {
	next, ok := o.co.NextDeadline()
	if !ok {
		next = o.now + 3_600_000
	}
	if o.reloadAt > 0 {
		next = min(next, o.reloadAt)
	}
	for _, h := range o.holds {
		next = min(next, h.until)
	}
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(time.Duration(max(next-time.Since(o.start).Milliseconds(), 0)+1) * time.Millisecond)
}

// due fires what is due at now: timers, a reload, holds released.
func (o *owner) due() {
	if next, ok := o.co.NextDeadline(); ok && next <= o.now {
		o.step(spec.Message{Body: &spec.Tick{}}, nil)
	}
	if o.reloadAt > 0 && o.reloadAt <= o.now {
		o.reload()
	}
	o.releaseHolds()
}

func (o *owner) take(in any) {
	switch v := in.(type) {
	case *call:
		if o.held(v) {
			return
		}
		o.send(v)
	case query:
		v.fn(o)
		close(v.done)
	}
}

// send steps the coordinator with one request.
func (o *owner) send(c *call) {
	if resp := o.refuseOldCommit(c); resp != nil {
		c.reply <- reply{resp: resp}
		return
	}
	o.corr++
	c.corr = o.corr
	o.pending[c.corr] = c
	c.op = -1
	o.clock++
	if op, ok := linearizability.Call(c.conn, o.clock, c.req); ok {
		c.op = len(o.history)
		o.history = append(o.history, op)
	}
	if r, ok := c.req.(*spec.SyncGroupRequest); ok {
		o.checks.plan(o.now, r)
		o.raw.synced(r.GroupID, c.plan)
	}
	o.step(spec.Message{From: c.conn, To: spec.CoordinatorNode, Correlation: c.corr, Body: c.req}, c)
}

// step runs one input and handles what came out.
func (o *owner) step(m spec.Message, c *call) {
	rd, err := o.co.Step(o.now, m)
	if err != nil {
		o.srv.events.add(Event{At: o.now, Kind: "bad", Detail: fmt.Sprintf("coordinator refused %s: %v", spec.FormatBody(m.Body), err)})
		if c != nil {
			delete(o.pending, c.corr)
			close(c.reply)
		}
		return
	}
	o.ready(rd)
}

// ready handles a Ready: records into the log, transitions and answers
// through the checks, answers to their connections.
func (o *owner) ready(rd coordinator.Ready) {
	settled := map[string]bool{}
	offsets := map[string]bool{}
	consumer := map[string]bool{} // consumer groups this step changed
	for _, r := range rd.Records {
		o.log = append(o.log, r)
		if r.Offset != nil {
			offsets[r.Offset.GroupID] = true
		}
		if g, ok := consumerGroupOf(r); ok {
			consumer[g] = true
		}
	}
	for _, t := range rd.Transitions {
		o.checks.transition(o.now, t)
		o.srv.events.add(transitionEvent(o.now, t))
		if t.To == spec.Stable || t.To == spec.Empty {
			settled[t.Group] = true
		}
	}
	views := map[string]spec.GroupView{}
	view := func(g string) spec.GroupView {
		v, ok := views[g]
		if !ok {
			v = o.co.Describe(g)
			views[g] = v
		}
		return v
	}
	for _, m := range rd.Responses {
		if r, ok := m.Body.(*spec.OffsetCommitResponse); ok && r.Code() == spec.None {
			if c, ok := o.pending[m.Correlation]; ok {
				offsets[c.req.Group()] = true // checked even if no record was written
			}
		}
		o.answer(m, view)
	}
	for _, g := range spec.SortedKeys(offsets) {
		o.checks.offsets(o.now, g, o.co.Committed(g))
	}
	for _, g := range spec.SortedKeys(consumer) {
		v, ok := o.co.DescribeConsumerGroup(g)
		o.checks.consumerGroup(o.now, g, v, ok)
		if ok && (v.State == spec.CGStable || v.State == spec.CGEmpty) {
			o.checks.rebuildCG(o.now, v, o.load)
		}
	}
	for _, g := range spec.SortedKeys(settled) {
		v := view(g)
		o.checks.installed(o.now, v)
		o.checks.rebuild(o.now, o.co, o.load, g)
		o.raw.forget(v)
	}
}

// refuseOldCommit is the one check of a commit that needs its version,
// which kgroup's requests do not carry: a KIP-848 member committing below
// OffsetCommit v9 gets UNSUPPORTED_VERSION (ConsumerGroup.validateOffsetCommit:
// after the epoch < 0 with no members case and the member lookup, a
// non-transactional commit of a member not using the classic protocol
// below v9). nil lets the commit through to the coordinator.
func (o *owner) refuseOldCommit(c *call) spec.Response {
	r, ok := c.req.(*spec.OffsetCommitRequest)
	if !ok || c.version >= 9 {
		return nil
	}
	g, ok := o.co.DescribeConsumerGroup(r.GroupID)
	if !ok || (r.GenerationID < 0 && len(g.Members) == 0) {
		return nil
	}
	if _, ok := g.Member(r.MemberID); !ok {
		return nil // UNKNOWN_MEMBER_ID, from the coordinator
	}
	resp := &spec.OffsetCommitResponse{}
	for _, p := range r.Offsets {
		resp.Partitions = append(resp.Partitions, spec.OffsetCommitPartitionResponse{TopicPartition: p.TopicPartition, ErrorCode: spec.UnsupportedVersion})
	}
	o.srv.events.add(Event{At: o.now, Kind: "bad", Group: r.GroupID, Member: r.MemberID, Client: c.client,
		Detail: fmt.Sprintf("OffsetCommit v%d from a KIP-848 member; answered UNSUPPORTED_VERSION (v9+ needed)", c.version)})
	return resp
}

func (o *owner) load() (*coordinator.Coordinator, error) {
	c, _, err := coordinator.Load(o.cfg, o.now, o.log)
	return c, err
}

// answer routes one response to its connection, after the checks.
func (o *owner) answer(m spec.Message, view func(string) spec.GroupView) {
	c, ok := o.pending[m.Correlation]
	resp, isResp := m.Body.(spec.Response)
	if !ok || !isResp {
		o.srv.events.add(Event{At: o.now, Kind: "violation", Rule: ruleFencing, Detail: fmt.Sprintf("the coordinator answered %s, which nobody asked", m)})
		return
	}
	delete(o.pending, m.Correlation)
	group := c.req.Group()
	if cg, ok := o.co.DescribeConsumerGroup(group); ok {
		o.checks.answeredCG(o.now, cg, c.req, resp)
	} else {
		o.checks.answered(o.now, view(group), c.req, resp)
	}
	o.clock++
	if c.op >= 0 {
		o.history[c.op].Returned(o.clock, resp)
	}
	rep := reply{resp: resp}
	switch r := resp.(type) {
	case *spec.JoinGroupResponse:
		o.raw.joined(group, r.MemberID, c.raw)
		if r.MemberID != "" {
			o.clients[memberKey{group, r.MemberID}] = c.client
		}
		rep.meta = o.raw.metadata(group, r.ProtocolName, r.Members)
		if r.ErrorCode == spec.None {
			o.srv.events.add(Event{At: o.now, Kind: "join", Group: group, Member: r.MemberID, Client: c.client, Generation: r.GenerationID,
				Leader: r.Leader, Protocol: r.ProtocolName})
		}
	case *spec.SyncGroupResponse:
		req := c.req.(*spec.SyncGroupRequest)
		rep.assign = o.raw.assignment(group, req.MemberID, r.Assignment)
		if r.ErrorCode == spec.None {
			o.srv.events.add(Event{At: o.now, Kind: "sync", Group: group, Member: req.MemberID, Client: c.client, Generation: req.GenerationID,
				Protocol: r.ProtocolName, Assignment: r.Assignment.Partitions.String()})
		}
	case *spec.OffsetCommitResponse:
		o.commitEvent(c, r)
	case *spec.ConsumerGroupHeartbeatResponse:
		o.cgEvent(c, r)
	case *spec.LeaveGroupResponse:
		for _, lm := range r.Members {
			o.srv.events.add(Event{At: o.now, Kind: "leave", Group: group, Member: lm.MemberID, Client: c.client, Error: errName(lm.ErrorCode)})
		}
	}
	c.reply <- rep
}

func (o *owner) commitEvent(c *call, r *spec.OffsetCommitResponse) {
	req := c.req.(*spec.OffsetCommitRequest)
	asked := make(map[spec.TopicPartition]int64, len(req.Offsets))
	for _, p := range req.Offsets {
		asked[p.TopicPartition] = p.Offset
	}
	detail, code := "", spec.None
	for _, p := range r.Partitions {
		if p.ErrorCode != spec.None {
			code = p.ErrorCode
			continue
		}
		detail += fmt.Sprintf(" %s=%d", p.TopicPartition, asked[p.TopicPartition])
	}
	o.srv.events.add(Event{At: o.now, Kind: "commit", Group: req.GroupID, Member: req.MemberID, Client: c.client,
		Generation: req.GenerationID, Error: errName(code), Detail: trimSpace(detail)})
}

func errName(code spec.ErrorCode) string {
	if code == spec.None {
		return ""
	}
	return code.String()
}

func trimSpace(s string) string {
	if len(s) > 0 && s[0] == ' ' {
		return s[1:]
	}
	return s
}

// consumerGroupOf is the consumer group a record belongs to, if it is one
// of a consumer group's records (a consumer group changes only through
// them).
func consumerGroupOf(r coordinator.Record) (string, bool) {
	switch {
	case r.CGMetadata != nil:
		return r.CGMetadata.GroupID, true
	case r.CGSubscription != nil:
		return r.CGSubscription.GroupID, true
	case r.CGMember != nil:
		return r.CGMember.GroupID, true
	case r.CGTarget != nil:
		return r.CGTarget.GroupID, true
	case r.CGTargetEpoch != nil:
		return r.CGTargetEpoch.GroupID, true
	case r.CGCurrent != nil:
		return r.CGCurrent.GroupID, true
	}
	return "", false
}

// cgEvent notes a KIP-848 heartbeat's answer: "leave" for a member leaving
// (epoch -1, or -2 for a static member), "assign" when it carries an
// assignment (a full request's, or a changed one), with the member epoch
// as the generation.
func (o *owner) cgEvent(c *call, r *spec.ConsumerGroupHeartbeatResponse) {
	req := c.req.(*spec.ConsumerGroupHeartbeatRequest)
	if r.ErrorCode != spec.None {
		return
	}
	o.clients[memberKey{req.GroupID, r.MemberID}] = c.client
	switch {
	case req.MemberEpoch == spec.LeaveEpoch || req.MemberEpoch == spec.StaticLeaveEpoch:
		o.srv.events.add(Event{At: o.now, Kind: "leave", Group: req.GroupID, Member: r.MemberID, Client: c.client, Generation: r.MemberEpoch})
	case r.Assignment != nil:
		o.srv.events.add(Event{At: o.now, Kind: "assign", Group: req.GroupID, Member: r.MemberID, Client: c.client,
			Generation: r.MemberEpoch, Assignment: r.Assignment.String()})
	}
}
