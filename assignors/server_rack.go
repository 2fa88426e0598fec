package assignors

import (
	"slices"
)

// Rack-aware uniform assignment (KIP-881): the objective of Uniform with rack
// matches as the second criterion, between balance and stickiness.
//
// It reuses the structure of the exact sticky path (sticky_general.go): the
// balanced assignments are exactly those in which every member of level L
// holds β_L-1 or β_L partitions and every class goes to the members of its
// level. Over that set, one min-cost flow maximises rack matches, then kept
// partitions. Partitions of a class are no longer interchangeable once racks
// count, so the flow's sources are kinds: the partitions of one class with the
// same rack set and the same current owner, which are interchangeable for all
// three criteria.

// rackSets interns the rack list of every partition of the model.
type rackSets struct {
	of   []int32    // rack set of each partition, by model partition id
	sets [][]string // sorted, without repeats
}

func internRacks(m *stickyModel, topics map[string]TopicMetadata) rackSets {
	rs := rackSets{of: make([]int32, m.numPartitions())}
	index := map[string]int32{}
	for t, name := range m.topicNames {
		md := topics[name]
		for p := m.topicStart[t]; p < m.topicStart[t+1]; p++ {
			racks := partitionRacks(md, p-m.topicStart[t])
			key := rackKey(racks)
			id, ok := index[key]
			if !ok {
				id = int32(len(rs.sets))
				index[key] = id
				rs.sets = append(rs.sets, racks)
			}
			rs.of[p] = id
		}
	}
	return rs
}

// memberRacks lists each member's rack by rank ("" for none).
func (m *stickyModel) memberRacks() []string {
	out := make([]string, m.numMembers())
	for v, mem := range m.members {
		out[v] = mem.Rack
	}
	return out
}

// rackRealize computes the rack-aware optimum and places it.
func (m *stickyModel) rackRealize(rs rackSets, racks []string) *stickyResult {
	P := m.numPartitions()
	cellFlow, load := m.balancedLoads()
	lv := m.levels(cellFlow, load)

	// Kinds, numbered in order of their first partition.
	type kindKey struct{ class, set, owner int32 }
	var kinds []kindKey
	kindOf := make([]int32, P)
	index := map[kindKey]int32{}
	for t, c := range m.topicClass {
		for p := m.topicStart[t]; p < m.topicStart[t+1]; p++ {
			key := kindKey{c, rs.of[p], m.validOwner(p)}
			k, ok := index[key]
			if !ok {
				k = int32(len(kinds))
				index[key] = k
				kinds = append(kinds, key)
			}
			kindOf[p] = k
		}
	}
	kindStart, kindParts := groupIndices(len(kinds), kindOf)

	// Costs: a kept partition is worth 1, a rack match w > every possible
	// number of kept partitions, and a member's missing unit below β-1 costs
	// big > every possible total of matches and kept partitions.
	K, N := int32(len(kinds)), int32(m.numMembers())
	w := int64(P) + 1
	big := int64(P)*(w+1) + 1
	kindNode := func(k int32) int32 { return 2 + k }
	memberNode := func(v int32) int32 { return 2 + K + v }
	g := newNetwork(int(2+K+N), int(K)*4+2*int(N))
	type arc struct{ kind, member, id int32 }
	var arcs []arc
	for k, key := range kinds {
		g.addArc(source, kindNode(int32(k)), int64(kindStart[k+1]-kindStart[k]), 0)
		for j := m.cellStart[key.class]; j < m.cellStart[key.class+1]; j++ {
			v := m.cellMember[j]
			if lv.member[v] != lv.class[key.class] {
				continue
			}
			gain := int64(0)
			if r := racks[v]; r != "" {
				if _, ok := slices.BinarySearch(rs.sets[key.set], r); ok {
					gain += w
				}
			}
			if v == key.owner {
				gain++
			}
			arcs = append(arcs, arc{int32(k), v, g.addArc(kindNode(int32(k)), memberNode(v), infCap, -gain)})
		}
	}
	for v := range N {
		if L := lv.member[v]; L >= 0 {
			if lo := lv.beta[L] - 1; lo > 0 {
				g.addArc(memberNode(v), sink, lo, -big)
			}
			g.addArc(memberNode(v), sink, 1, 0)
		}
	}
	g.finish()
	order := []int32{source}
	for k := range K {
		order = append(order, kindNode(k))
	}
	for v := range N {
		order = append(order, memberNode(v))
	}
	initPotentialsDAG(g, order)
	sent := g.minCostFlow(source, sink, int64(P))
	stickyAssert(sent == int64(P), "rack-aware: placed %d of %d partitions", sent, P)

	// Placement: in each kind the current owner keeps its share first (the
	// lowest partitions), then the other members, in member order, take
	// theirs in ascending order.
	share := make([][]int32, K) // per kind: (member, count) pairs, owner first
	for _, a := range arcs {
		if f := int32(g.flow(a.id)); f > 0 {
			if a.member == kinds[a.kind].owner {
				share[a.kind] = append([]int32{a.member, f}, share[a.kind]...)
			} else {
				share[a.kind] = append(share[a.kind], a.member, f)
			}
		}
	}
	assign := make([]int32, P)
	loads := make([]int32, N)
	for k := range K {
		parts := kindParts[kindStart[k]:kindStart[k+1]]
		i := 0
		for s := 0; s < len(share[k]); s += 2 {
			v, f := share[k][s], share[k][s+1]
			for range f {
				assign[parts[i]] = v
				i++
			}
			loads[v] += f
		}
		stickyAssert(i == len(parts), "rack-aware: kind %d placed %d of %d", k, i, len(parts))
	}
	return &stickyResult{m: m, assign: assign, load: loads}
}
