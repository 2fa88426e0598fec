package refine848

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/impl/asyncconsumer"
	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
	"github.com/kgroup/kgroup/tla/cgmodel"
)

// The abstraction function: a real cluster's state as a state of
// ConsumerGroup.tla (cgmodel.State). What it drops: time and every
// deadline, correlation ids (an answer is kept if the consumer's heartbeat
// in flight awaits it), heartbeat intervals, rebalance timeouts, positions,
// offset fetches and their answers (the spec has no offsets), the answers
// nobody awaits, and the coordinator's records.
//
// Member ids ("consumer-N", the coordinator's N-th) are named as the spec
// names them, <<C, K>>: the K-th id minted for consumer C. An id is
// attributed to the consumer that holds it, sends it, or is answered with
// it, or, if the step that mints it is a delivery of C's request, to C. The
// names are fixed once given (the abstraction lives as long as its
// checker); one the state cannot attribute (its member lingers after its
// consumer went) takes the consumer of the id before it in the
// coordinator's order, so that the spec's byID order is the coordinator's.

type abstraction struct {
	names   []string // the consumers, sorted: slot i is consumer i+1
	slots   map[string]int
	groupID string
	topic   string
	p       *cgmodel.Params
	ids     map[string]cgmodel.ID
	next    []uint8 // ids named per consumer
	// minter is the slot whose request the current step delivers (-1: none).
	minter int
	err    error
}

func newAbstraction(cl *cluster.Cluster, names []string) *abstraction {
	a := &abstraction{names: slices.Sorted(slices.Values(names)), slots: map[string]int{}, groupID: cl.GroupID(),
		ids: map[string]cgmodel.ID{}, next: make([]uint8, len(names)), minter: -1}
	for i, n := range a.names {
		a.slots[n] = i
	}
	cfg := cl.Config()
	if len(cfg.Topics) != 1 {
		a.fail("the cluster has %d topics: the model has one", len(cfg.Topics))
		return a
	}
	for t, n := range cfg.Topics {
		a.topic = t
		a.p = &cgmodel.Params{NumConsumers: len(names), NumPartitions: int(n), Perturbations: 1 << 20,
			AllowCrash: true, AllowClose: true, Drops: 1 << 20, Expiries: 1 << 20}
	}
	if cfg.Coordinator.ConsumerGroupMaxSize > 0 && cfg.Coordinator.ConsumerGroupMaxSize < len(names) {
		a.fail("group.consumer.max.size %d: the model has no limit", cfg.Coordinator.ConsumerGroupMaxSize)
	}
	p := *a.p
	p.Perturbations, p.Drops, p.Expiries = 0, 0, 0
	if err := p.Validate(); err != nil {
		a.fail("%v", err)
	}
	return a
}

func (a *abstraction) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("refine848: abstraction: "+format, args...)
	}
}

// scope refuses a consumer configuration outside the model.
func (a *abstraction) scope(cfg consumer.Config) {
	switch {
	case !cfg.IsConsumerProtocol():
		a.fail("consumer %s: group.protocol=%q: the model has KIP-848 consumers only", cfg.Name, cfg.GroupProtocol)
	case cfg.AutoCommit || cfg.CommitOnRevoke:
		a.fail("consumer %s commits (auto-commit %v, commit on revoke %v): the model has no offsets", cfg.Name, cfg.AutoCommit, cfg.CommitOnRevoke)
	case cfg.InstanceID != "":
		a.fail("consumer %s is static: the model has no static members", cfg.Name)
	case cfg.ServerAssignor != "range":
		a.fail("consumer %s: remote-assignor=%q: the model has the server-side range assignor (remote-assignor=range)", cfg.Name, cfg.ServerAssignor)
	case cfg.TopicRegex != "" || !slices.Equal(cfg.Topics, []string{a.topic}):
		a.fail("consumer %s subscribes to %v %q: the model's consumers subscribe to the one topic %s", cfg.Name, cfg.Topics, cfg.TopicRegex, a.topic)
	}
}

// refuseAction refuses the perturbations outside the model.
func (a *abstraction) refuseAction(k cluster.ActionKind) {
	switch k {
	case cluster.ActRestart, cluster.ActStall, cluster.ActUnstall, cluster.ActFreeze, cluster.ActThaw, cluster.ActFailover,
		cluster.ActRemoveStatic, cluster.ActAddPartitions, cluster.ActCreateTopic, cluster.ActDeleteTopic,
		cluster.ActRefreshMetadata, cluster.ActConsume, cluster.ActConsumeAll, cluster.ActCommit:
		a.fail("action %s is outside the model (no restarts, stalls, freezes, failover, metadata changes or application calls)", k)
	}
}

func (a *abstraction) pset(tps []spec.TopicPartition) cgmodel.PSet {
	var s cgmodel.PSet
	for _, tp := range tps {
		if tp.Topic != a.topic || tp.Partition < 0 || int(tp.Partition) >= a.p.NumPartitions {
			a.fail("partition %s outside the model", tp)
			continue
		}
		s |= 1 << tp.Partition
	}
	return s
}

func (a *abstraction) slotOf(addr string) int {
	if i, ok := a.slots[addr]; ok {
		return i
	}
	return -1
}

// idNum is the coordinator's counter in a member id "<prefix>-<n>".
func idNum(s string) int {
	i := strings.LastIndexByte(s, '-')
	n, err := strconv.Atoi(s[i+1:])
	if i < 0 || err != nil {
		return -1
	}
	return n
}

// name gives a member id its spec name, attributed to slot c (-1: none).
func (a *abstraction) name(s string, c int) {
	if s == "" {
		return
	}
	if _, ok := a.ids[s]; ok || c < 0 {
		return
	}
	a.next[c]++
	a.ids[s] = cgmodel.ID{C: uint8(c + 1), N: a.next[c]}
}

func (a *abstraction) id(s string) cgmodel.ID {
	if s == "" {
		return cgmodel.NoID
	}
	id, ok := a.ids[s]
	if !ok {
		a.fail("member id %q has no name", s)
	}
	return id
}

// consumerView is one consumer's process, if running.
type consumerView struct {
	in   asyncconsumer.Inspection
	live bool
}

// state is the abstraction of cl's current state.
func (a *abstraction) state(cl *cluster.Cluster) cgmodel.State {
	s := cgmodel.Init(a.p)
	if a.err != nil {
		return s
	}
	for _, n := range cl.Names() {
		if _, ok := a.slots[n]; !ok {
			a.fail("consumer %s is not one of %v", n, a.names)
			return s
		}
	}
	if ts := cl.Topics(); len(ts) != 1 || int(ts[a.topic]) != a.p.NumPartitions {
		a.fail("the topics changed to %v", ts)
		return s
	}
	views := make([]consumerView, len(a.names))
	for c, name := range a.names {
		cfg, err := cl.ConfigOf(name)
		if err != nil {
			continue // not started
		}
		a.scope(cfg)
		s.C[c] = cgmodel.ConsRec(cgmodel.Down)
		p, ok := cl.Consumer(name)
		if !ok {
			continue
		}
		ac, ok := p.(*asyncconsumer.Consumer)
		if !ok {
			a.fail("consumer %s is not a KIP-848 consumer", name)
			continue
		}
		views[c] = consumerView{in: ac.Inspect(), live: true}
		a.name(views[c].in.MemberID, c)
	}
	flights := cl.InFlight()
	// Name the ids the network shows, then the coordinator's.
	for _, f := range flights {
		m := f.Msg
		if m.To == spec.CoordinatorNode {
			if r, ok := m.Body.(*spec.ConsumerGroupHeartbeatRequest); ok {
				a.name(r.MemberID, a.slotOf(m.From))
			}
		} else if r, ok := m.Body.(*spec.ConsumerGroupHeartbeatResponse); ok {
			a.name(r.MemberID, a.slotOf(m.To))
		}
	}
	gv, exists := cl.Coordinator().DescribeConsumerGroup(a.groupID)
	if exists {
		members := slices.Clone(gv.Members)
		slices.SortFunc(members, func(x, y spec.ConsumerMemberView) int { return idNum(x.MemberID) - idNum(y.MemberID) })
		prev := a.minter
		for _, m := range members {
			if id, ok := a.ids[m.MemberID]; ok {
				prev = int(id.C) - 1
				continue
			}
			if prev < 0 {
				prev = 0
			}
			a.name(m.MemberID, prev)
		}
	}
	for c := range views {
		if views[c].live {
			s.C[c] = a.consumer(views[c].in, cl.ConfigOf)
		}
	}
	if exists {
		s.G = a.group(gv)
	}
	s.G.NextID = slices.Clone(a.next)
	a.network(flights, views, &s)
	return s
}

var cstates = map[spec.AsyncState]cgmodel.CState{spec.AsyncJoining: cgmodel.Joining,
	spec.AsyncAcknowledging: cgmodel.Acknowledging, spec.AsyncStable: cgmodel.Stable}

func (a *abstraction) consumer(in asyncconsumer.Inspection, _ func(string) (consumer.Config, error)) cgmodel.Consumer {
	st, ok := cstates[in.State]
	switch {
	case !ok:
		a.fail("a running consumer in state %s between steps: the model has JOINING, ACKNOWLEDGING and STABLE", in.State)
	case in.Stalled || in.Reconciling || in.Lost || in.Leaving:
		a.fail("a consumer with application work pending between steps (stalled %v, reconciling %v, lost %v, leaving %v)",
			in.Stalled, in.Reconciling, in.Lost, in.Leaving)
	case in.CoordinatorUnknown:
		a.fail("a consumer looking for its coordinator: the model has no failover")
	case !slices.Equal(in.Owned, in.Current) && !(in.CurrentNone && len(in.Owned) == 0):
		a.fail("a consumer owns %v but reports %v", in.Owned, in.Current)
	}
	x := cgmodel.Consumer{St: st, Mid: a.id(in.MemberID), Ep: int16(in.Epoch), Owned: a.pset(in.Owned), Inflight: in.HeartbeatInFlight}
	fields := in.SentRebalanceTimeout
	switch {
	case fields != in.SentTopics || fields != in.SentAssignor:
		a.fail("sent fields rebalance timeout %v, topics %v, assignor %v: the model sends them together",
			in.SentRebalanceTimeout, in.SentTopics, in.SentAssignor)
	case !fields && !in.SentAssignment:
		x.Sent = cgmodel.SentNone
	case fields && in.SentAssignmentCurrent:
		x.Sent = cgmodel.SentAll
	case fields:
		x.Sent = cgmodel.SentFields
	default:
		a.fail("the assignment sent without the other fields")
	}
	if in.HeartbeatInFlight != (in.HeartbeatCorrelation != 0) {
		a.fail("a heartbeat in flight with no request awaiting its answer (or the converse)")
	}
	return x
}

var mstates = map[spec.MemberState]cgmodel.MState{spec.MemberStable: cgmodel.MStable,
	spec.MemberUnrevokedPartitions: cgmodel.MUnrevoked, spec.MemberUnreleasedPartition: cgmodel.MUnreleased}

func (a *abstraction) group(gv spec.ConsumerGroupView) cgmodel.Group {
	g := cgmodel.Group{Epoch: int16(gv.Epoch), AEpoch: int16(gv.AssignmentEpoch)}
	for _, m := range gv.Members {
		st, ok := mstates[m.State]
		if !ok {
			a.fail("member %s in state %v", m.MemberID, m.State)
		}
		g.Members = append(g.Members, cgmodel.Member{ID: a.id(m.MemberID), St: st, Ep: int16(m.Epoch), Prev: int16(m.PreviousEpoch),
			Asg: a.pset(m.Assigned.Partitions()), Rev: a.pset(m.PendingRevocation.Partitions()), Tgt: a.pset(m.Target.Partitions())})
	}
	slices.SortFunc(g.Members, func(x, y cgmodel.Member) int {
		switch {
		case x.ID.Less(y.ID):
			return -1
		case y.ID.Less(x.ID):
			return 1
		}
		return 0
	})
	return g
}

func (a *abstraction) network(flights []cluster.Flight, views []consumerView, s *cgmodel.State) {
	for _, f := range flights {
		m := f.Msg
		if m.To == spec.CoordinatorNode {
			c := a.slotOf(m.From)
			if c < 0 {
				a.fail("a request from %s", m.From)
				continue
			}
			switch b := m.Body.(type) {
			case *spec.OffsetFetchRequest:
				// positions: not modelled
			case *spec.ConsumerGroupHeartbeatRequest:
				s.Up[c] = append(s.Up[c], a.request(b))
			default:
				a.fail("a request outside the model: %s", m)
			}
			continue
		}
		c := a.slotOf(m.To)
		b, ok := m.Body.(*spec.ConsumerGroupHeartbeatResponse)
		if c < 0 || !ok || !views[c].live || views[c].in.HeartbeatCorrelation != m.Correlation || m.Correlation == 0 {
			continue // nobody awaits it
		}
		s.Down[c] = append(s.Down[c], a.answer(b))
	}
}

func (a *abstraction) request(r *spec.ConsumerGroupHeartbeatRequest) cgmodel.Request {
	q := cgmodel.Request{Ep: int16(r.MemberEpoch), Mid: a.id(r.MemberID)}
	if r.MemberEpoch == spec.LeaveEpoch {
		return q // LeaveGroup reads the member id only
	}
	full := r.RebalanceTimeoutMs != -1
	if full != (r.SubscribedTopicNames != nil) || full != (r.ServerAssignor != nil) || r.InstanceID != nil ||
		r.RackID != nil || r.SubscribedTopicRegex != nil {
		a.fail("a heartbeat of a form outside the model: %+v", r)
	}
	q.Full, q.HasOwned = full, r.TopicPartitions != nil
	if q.HasOwned {
		q.Owned = a.pset(r.TopicPartitions.Partitions())
	}
	return q
}

func (a *abstraction) answer(r *spec.ConsumerGroupHeartbeatResponse) cgmodel.Answer {
	switch r.ErrorCode {
	case spec.None:
		return cgmodel.Answer{Mid: a.id(r.MemberID), Ep: int16(r.MemberEpoch), Asg: a.pset(r.Assignment.Partitions()), HasAsg: r.Assignment != nil}
	case spec.UnknownMemberID:
		return cgmodel.Err(cgmodel.UnknownMemberID)
	case spec.FencedMemberEpoch:
		return cgmodel.Err(cgmodel.FencedMemberEpoch)
	}
	a.fail("an answer with error %s: outside the model", r.ErrorCode)
	return cgmodel.Answer{}
}
