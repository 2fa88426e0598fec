package assignors

import (
	"slices"
	"strings"
)

// The sticky assignors' model built from JoinGroup bytes (a wire Group)
// rather than from decoded members. It differs from newStickyModel only in
// where names and claims come from; layout, the claim rules and everything
// after are shared, so the two give the same model for the same group.

// solveWire is solveSticky on a wire Group. On bad input it reports the
// error the decoded members get, so both paths fail alike.
func solveWire(g *Group, topics map[string]int32) (*stickyResult, error) {
	ok := validCounts(topics)
	for _, gm := range g.members {
		ok = ok && gm.id != ""
	}
	build := func() (*stickyModel, error) { return newWireModel(g, topics) }
	return solveModel(topics, ok, build, g.Members, pathAuto)
}

func newWireModel(g *Group, topics map[string]int32) (*stickyModel, error) {
	N := len(g.members)
	order := make([]*groupMember, N)
	for i := range g.members {
		order[i] = &g.members[i]
	}
	slices.SortFunc(order, func(a, b *groupMember) int { return compareIdentity(a.instanceID, a.id, b.instanceID, b.id) })
	m := &stickyModel{ids: make([]string, N)}
	for v, gm := range order {
		m.ids[v] = gm.id
	}
	if !distinctIDs(m.ids, N > 0 && order[0].instanceID != "") {
		return nil, errInvalid
	}
	topicOf := m.indexNames(g.names, topics)
	m.memberTopics = make([][]int32, N)
	m.sameTopics = true
	for v, gm := range order {
		if v > 0 && sameInts(gm.topics, order[v-1].topics) {
			m.memberTopics[v] = m.memberTopics[v-1]
			continue
		}
		list := make([]int32, 0, len(gm.topics))
		for _, id := range gm.topics {
			if t := topicOf[id]; t >= 0 {
				list = append(list, t)
			}
		}
		m.setMemberTopics(v, list)
	}
	own := wireOwnership{m: m, order: order, index: g.index, topicOf: topicOf, topics: topics}
	if err := m.layout(topics, own, g.cooperative); err != nil {
		return nil, err
	}
	return m, nil
}

// indexNames sets topicNames to the subscribed names that exist, sorted, and
// returns the topic index of every name (-1 for one that does not exist).
func (m *stickyModel) indexNames(names []string, topics map[string]int32) []int32 {
	topicOf := make([]int32, len(names))
	byName := make([]int32, 0, len(names))
	for id, name := range names {
		topicOf[id] = -1
		if _, ok := topics[name]; ok {
			byName = append(byName, int32(id))
		}
	}
	slices.SortFunc(byName, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
	m.topicNames = make([]string, len(byName))
	for t, id := range byName {
		m.topicNames[t], topicOf[id] = names[id], int32(t)
	}
	return topicOf
}

// sameInts reports whether a and b are the same slice (one subscription
// shared by consecutive members), hence equal; false says nothing.
func sameInts(a, b []int32) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// wireOwnership reads the claims of a wire Group's members, by rank.
type wireOwnership struct {
	m       *stickyModel
	order   []*groupMember
	index   map[string]int32
	topicOf []int32
	topics  map[string]int32
}

func (o wireOwnership) claims(v int) (int, int32) {
	return o.order[v].numOwned, o.order[v].generation
}

// resolve is resolveOwned on {topic, [partition]} entries: it writes to ps
// the partition ids of the claims on subscribed topics and to cs their
// classes, dropping claims on partitions that do not exist (resolveOwned).
func (o wireOwnership) resolve(v int, ps, cs []int32) ([]int32, []int32, bool) {
	m, owned := o.m, o.order[v].owned
	ps, cs = ps[:o.order[v].numOwned], cs[:o.order[v].numOwned]
	j, prev := 0, int32(-1)
	for at := 0; at < len(owned); {
		var name, parts []byte
		name, parts, at = nextEntry(owned, at)
		if len(parts) == 0 {
			continue
		}
		t, n, exists := o.topic(name, prev)
		if !exists {
			continue
		}
		base, c := int32(0), int32(0)
		if t >= 0 {
			prev, base, c = t, m.topicStart[t], m.topicClass[t]
		}
		for i := range len(parts) / 4 {
			p := partitionAt(parts, i)
			if uint32(p) >= uint32(n) {
				continue // a partition that no longer exists: dropped (resolveOwned)
			}
			if t >= 0 {
				ps[j], cs[j] = base+p, c
				j++
			}
		}
	}
	return ps[:j], cs[:j], true
}

// topic resolves an owned entry's topic: its index (-1 when no member
// subscribes to it), its partition count and whether it exists. It tries
// first the few topics after prev: a list sorted by topic skips only the
// topics the member holds nothing of.
func (o wireOwnership) topic(name []byte, prev int32) (t, n int32, exists bool) {
	names, start := o.m.topicNames, o.m.topicStart
	for t := prev + 1; t < int32(len(names)) && t <= prev+8; t++ {
		if string(name) == names[t] {
			return t, start[t+1] - start[t], true
		}
	}
	if id, ok := o.index[string(name)]; ok {
		if t := o.topicOf[id]; t >= 0 {
			return t, start[t+1] - start[t], true
		}
		return -1, 0, false
	}
	n, exists = o.topics[string(name)]
	return -1, n, exists
}
