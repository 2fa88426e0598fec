package assignors

import "slices"

// Ownership claims, cleaned up as Kafka's AbstractStickyAssignor does
// (allSubscriptionsEqual and GeneralAssignmentBuilder.assignOwnedPartitions):
//
//  1. a claim on a topic that does not exist, or that no member subscribes to,
//     is dropped;
//  2. among the remaining claims on a partition the highest generation wins;
//     when two or more members claim it at that highest generation, nobody
//     keeps it (Kafka: "claiming the same TopicPartition in the same
//     generation");
//  3. the winner keeps the partition only if it still subscribes to its topic.
//
// Kafka resolves the conflict before it drops the unsubscribed claim, so a
// current member that stopped subscribing still beats a stale claimant; kgroup
// keeps that order. A member that lists a partition twice claims it once
// (Kafka would count the duplicate as a same-generation conflict with itself).
// The outcome does not depend on the order of members or of owned lists.
//
// owner[p] records the outcome for partition p:
//
//	 0       nobody claims p
//	 v+1     member v is p's valid prior owner
//	-1       a tie at the highest generation: no owner
//	-2-v     member v won the claim but does not subscribe: no owner
//
// owner is nil when no member claims anything.
const (
	noClaim   = 0
	tiedClaim = -1
)

// resolveClaims applies rules 1 and 2. When the claimants do not all share one
// generation and the assignor is cooperative, claimers also records who claims
// each partition at all (1 + the only claimant, or tiedClaim for several),
// which the cooperative assignor needs to know what to withhold; with one
// generation owner already tells it.
func (m *stickyModel) resolveClaims(cooperative bool) {
	claiming, sameGen, g0 := false, true, int32(0)
	for _, mem := range m.members {
		if len(mem.Owned) == 0 {
			continue
		}
		if !claiming {
			claiming, g0 = true, mem.Generation
		} else if mem.Generation != g0 {
			sameGen = false
		}
	}
	if !claiming {
		return
	}
	P := m.numPartitions()
	m.owner = make([]int32, P)
	var gen []int32
	if !sameGen {
		gen = make([]int32, P)
		if cooperative {
			m.claimers = make([]int32, P)
		}
	}
	for v, mem := range m.members {
		m.claim(int32(v)+1, mem, gen)
	}
}

// claim records member id's claims (id is 1 + its rank).
func (m *stickyModel) claim(id int32, mem Member, gen []int32) {
	g := mem.Generation
	last, ti := "", int32(-1)
	for _, tp := range mem.Owned {
		if ti < 0 || tp.Topic != last {
			var ok bool
			if ti, ok = m.lookupTopic(tp.Topic, ti); !ok {
				ti = -1
				continue
			}
			last = tp.Topic
		}
		p := m.topicStart[ti] + tp.Partition
		if m.claimers != nil {
			if c := m.claimers[p]; c == noClaim {
				m.claimers[p] = id
			} else if c != id {
				m.claimers[p] = tiedClaim
			}
		}
		switch o := m.owner[p]; {
		case o == noClaim:
			m.owner[p] = id
			if gen != nil {
				gen[p] = g
			}
		case o == id: // the same member listing it again
		case gen == nil || g == gen[p]:
			m.owner[p] = tiedClaim
		case g > gen[p]:
			m.owner[p], gen[p] = id, g
		}
	}
}

// lookupTopic finds a topic's index, trying first the topic after prev:
// owned lists usually come sorted by topic.
func (m *stickyModel) lookupTopic(name string, prev int32) (int32, bool) {
	if next := prev + 1; next < int32(len(m.topicNames)) && m.topicNames[next] == name {
		return next, true
	}
	ti, ok := m.topicIndex[name]
	return ti, ok
}

// validateClaims applies rule 3 and counts the valid owned partitions of each
// cell.
func (m *stickyModel) validateClaims() {
	m.cellOwned = make([]int32, len(m.cellMember))
	if m.owner == nil {
		return
	}
	for t, c := range m.topicClass {
		for p := m.topicStart[t]; p < m.topicStart[t+1]; p++ {
			o := m.owner[p]
			if o <= 0 {
				continue
			}
			if k := m.cellIndex(o-1, c); k >= 0 {
				m.cellOwned[k]++
			} else {
				m.owner[p] = -1 - o
			}
		}
	}
}

// validOwner returns the valid prior owner of p, or -1.
func (m *stickyModel) validOwner(p int32) int32 {
	if m.owner == nil || m.owner[p] <= 0 {
		return -1
	}
	return m.owner[p] - 1
}

// claimedByOther reports whether a member other than v claims p.
func (m *stickyModel) claimedByOther(p, v int32) bool {
	if m.owner == nil {
		return false
	}
	if m.claimers != nil {
		c := m.claimers[p]
		return c != noClaim && c != v+1
	}
	switch o := m.owner[p]; {
	case o == noClaim:
		return false
	case o > 0:
		return o != v+1
	case o == tiedClaim:
		return true
	default:
		return -2-o != v
	}
}

// cellIndex returns member v's cell in class c, or -1 if v is not in c.
func (m *stickyModel) cellIndex(v, c int32) int32 {
	if c < 0 {
		return -1
	}
	if m.cellAt != nil {
		return m.cellAt[int(c)*len(m.members)+int(v)]
	}
	cells := m.cellMember[m.cellStart[c]:m.cellStart[c+1]]
	if i, ok := slices.BinarySearch(cells, v); ok {
		return m.cellStart[c] + int32(i)
	}
	return -1
}

// maxCellTable bounds the dense (class, member) -> cell table; larger groups
// with many classes search the class's members instead.
const maxCellTable = 1 << 22

func (m *stickyModel) buildCellTable() {
	N := len(m.members)
	if m.numClasses()*N > maxCellTable {
		return
	}
	m.cellAt = make([]int32, m.numClasses()*N)
	for i := range m.cellAt {
		m.cellAt[i] = -1
	}
	for k, v := range m.cellMember {
		m.cellAt[int(m.cellClass[k])*N+int(v)] = int32(k)
	}
}
