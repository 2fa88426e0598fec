package cluster

import (
	"maps"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/internal/canon"
	"github.com/kgroup/kgroup/spec"
)

// AppendState appends a canonical encoding of the whole system to b: two
// clusters with equal encodings act alike on every future sequence of
// actions, and the checker gives them the same verdicts. It is relative to
// the current time, so a run shifted in time encodes alike; each process's
// correlation ids are written as distances from the last one it sent;
// consumers are sorted by name and messages in flight kept in sending order
// (which is the order settle delivers them in) without their ids; the
// coordinator's log is written compacted, as a coordinator that loads it
// sees it. Listeners, pending events, the action log and the checker's
// counters are not state.
func (cl *Cluster) AppendState(b []byte) []byte {
	f := spec.StateFrame{Now: cl.now, Corr: cl.renumber}
	b = canon.Strs(b, cl.cfg.GroupID)
	b = canon.Int(canon.Bool(b, cl.cfg.AutoDeliver), int64(cl.cfg.Bugs))
	b = canon.Counts(b, cl.topics)
	s := cl.spent
	b = canon.Ints(b, int64(s.perturbations), int64(s.drops), int64(s.consumes), int64(s.commits))
	b = canon.Int(b, int64(len(cl.nodes)))
	for _, name := range cl.sortedNames() {
		n := cl.nodes[name]
		b = canon.Int(canon.Str(b, name), int64(n.incarnation))
		b = canon.Bool(canon.Bool(canon.Bool(b, n.crashed), n.frozen), cl.net.held[name])
		b = consumer.AppendConfig(b, n.cfg)
		if b = canon.Bool(b, !n.crashed); !n.crashed {
			b = n.c.AppendState(b, f)
		}
	}
	b = cl.coord.AppendState(b, f)
	b = appendLog(b, cl.records)
	b = cl.net.appendState(b, f)
	return cl.checker.AppendState(b, f)
}

// appendState writes the messages in flight in sending order (the order
// settle delivers them in), without their ids; which links are held is
// written with the consumers.
func (nw *network) appendState(b []byte, f spec.StateFrame) []byte {
	b = canon.Int(b, int64(len(nw.flight)-nw.holes))
	for _, fl := range nw.flight {
		if !fl.gone {
			b = spec.AppendMessage(b, fl.Msg, f)
		}
	}
	return b
}

// renumber writes a correlation id as its distance from the last one its
// process sent: the current process of a consumer, an earlier incarnation
// (as it was when it stopped), or the administrator.
func (cl *Cluster) renumber(addr string, corr int32) int64 {
	if addr == AdminNode {
		return int64(cl.adminCorr - corr)
	}
	n := cl.nodeAt(addr)
	switch {
	case n == nil:
		return int64(corr)
	case n.address() == addr:
		return int64(n.c.LastCorrelation() - corr)
	}
	if last, ok := n.retired[addr]; ok {
		return int64(last - corr)
	}
	return int64(corr)
}

// appendLog writes the coordinator's log as Load sees it: per group, its
// last group record and the last offset committed per partition, plus the
// highest member id number in any group record (Load's id counter). Earlier
// records change nothing a loaded coordinator does.
func appendLog(b []byte, records []coordinator.Record) []byte {
	type offset struct {
		value    int64
		metadata string
	}
	groups := map[string]*coordinator.GroupRecord{}
	offsets := map[string]map[spec.TopicPartition]offset{}
	maxID := uint64(0)
	for _, r := range records {
		switch {
		case r.Group != nil:
			groups[r.Group.GroupID] = r.Group
			if offsets[r.Group.GroupID] == nil {
				offsets[r.Group.GroupID] = map[spec.TopicPartition]offset{}
			}
			for _, m := range r.Group.Members {
				maxID = max(maxID, coordinator.IDSequence(m.MemberID))
			}
		case r.Offset != nil:
			o := r.Offset
			if offsets[o.GroupID] == nil {
				offsets[o.GroupID] = map[spec.TopicPartition]offset{}
			}
			offsets[o.GroupID][o.TopicPartition] = offset{o.Offset, o.Metadata}
		}
	}
	b = canon.Ints(b, int64(maxID), int64(len(offsets)))
	for _, id := range spec.SortedKeys(offsets) {
		b = canon.Str(b, id)
		g := groups[id]
		if b = canon.Bool(b, g != nil); g != nil {
			b = appendGroupRecord(b, g)
		}
		tps := slices.SortedFunc(maps.Keys(offsets[id]), spec.TopicPartition.Compare)
		b = canon.Int(b, int64(len(tps)))
		for _, tp := range tps {
			o := offsets[id][tp]
			b = canon.Str(canon.Int(spec.AppendPartitions(b, []spec.TopicPartition{tp}), o.value), o.metadata)
		}
	}
	return b
}

func appendGroupRecord(b []byte, g *coordinator.GroupRecord) []byte {
	b = canon.Strs(b, g.ProtocolType, g.Protocol, g.Leader)
	b = canon.Ints(b, int64(g.Generation), int64(len(g.Members)))
	for _, m := range g.Members {
		b = canon.Strs(b, m.MemberID, m.InstanceID, m.ClientID)
		b = canon.Ints(b, int64(m.RebalanceTimeoutMs), int64(m.SessionTimeoutMs))
		b = spec.AppendMemberAssignment(spec.AppendSubscription(b, m.Subscription), m.Assignment)
	}
	return b
}

// Clone returns a deep copy of the system that evolves independently of cl:
// the same state, action log and verdicts so far. The copy has no listeners
// and no pending events (listeners and step hooks are not copied).
func (cl *Cluster) Clone() *Cluster {
	n := *cl
	n.coord = cl.coord.Clone()
	n.records = slices.Clip(cl.records) // records are never modified, only appended
	n.actions = slices.Clip(cl.actions)
	n.nodes = make(map[string]*node, len(cl.nodes))
	for name, nd := range cl.nodes {
		c := *nd
		c.c = cloneProcess(nd.c)
		c.retired = maps.Clone(nd.retired)
		n.nodes[name] = &c
	}
	// topics and held links are copied when written, so they are shared.
	n.net.flight, n.net.holes, n.net.links = cl.net.live(), 0, nil
	for _, f := range n.net.flight {
		n.net.onLink(f.Msg, f.ID)
	}
	n.replica = cl.replica.Clone()
	n.checker = cl.checker.Clone()
	n.checker.Rebuild = n.rebuild
	n.events, n.listeners, n.stepHooks = nil, nil, nil
	cl.cloneLean(&n)
	return &n
}

// String is a one-line summary, for debugging.
func (cl *Cluster) String() string {
	var b strings.Builder
	b.WriteString(cl.cfg.String())
	for _, name := range cl.sortedNames() {
		b.WriteString(" " + name)
	}
	return b.String()
}
