package assignors

import (
	"slices"
	"unsafe"

	"github.com/kgroup/kgroup/spec"
)

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
// (That is the outcome; resolveClaims reaches it in one pass, see claimCell.)
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

// resolveClaims applies the three rules in one pass over the owned lists and
// counts the valid owned partitions of each cell (cellOwned). On the way it
// checks what Validate checks of ownership, that every owned partition of an
// existing topic is in its range, and reports whether that holds; the
// outcome is only meaningful when it does.
//
// When the claimants do not all share one generation and the assignor is
// cooperative, claimers also records who claims each partition at all (1 +
// the only claimant, or tiedClaim for several), which the cooperative
// assignor needs to know what to withhold; with one generation owner already
// tells it.
func (m *stickyModel) resolveClaims(own ownership, cooperative bool) bool {
	m.cellOwned = make([]int32, len(m.cellMember))
	claiming, sameGen, g0, longest := false, true, int32(0), 0
	for v := range m.numMembers() {
		n, g := own.claims(v)
		if n == 0 {
			continue
		}
		longest = max(longest, n)
		if !claiming {
			claiming, g0 = true, g
		} else if g != g0 {
			sameGen = false
		}
	}
	if !claiming {
		return true
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
	ps, cs := make([]int32, 0, longest), make([]int32, 0, longest)
	for v := range m.numMembers() {
		n, g := own.claims(v)
		if n == 0 {
			continue
		}
		var ok bool
		if ps, cs, ok = own.resolve(v, ps[:0], cs[:0]); !ok {
			return false
		}
		m.claim(int32(v), g, ps, cs, gen)
	}
	return true
}

// ownership is where the claim pass reads the members' prior ownership:
// decoded members (memberOwnership) or their JoinGroup bytes (wireOwnership).
type ownership interface {
	// claims returns how many partitions member v lists as owned (repeats
	// and unknown topics included) and the generation it owned them in.
	claims(v int) (n int, generation int32)
	// resolve is resolveOwned on member v's list; ps and cs have room for
	// claims(v) entries.
	resolve(v int, ps, cs []int32) ([]int32, []int32, bool)
}

// memberOwnership reads the ownership of decoded members.
type memberOwnership struct {
	m      *stickyModel
	topics map[string]int32
}

func (o memberOwnership) claims(v int) (int, int32) {
	mem := o.m.members[v]
	return len(mem.Owned), mem.Generation
}

func (o memberOwnership) resolve(v int, ps, cs []int32) ([]int32, []int32, bool) {
	return o.m.resolveOwned(o.m.members[v].Owned, o.topics, ps, cs)
}

// resolveOwned writes to ps the partition ids of an owned list, and to cs
// their classes, dropping the claims on topics no member subscribes to (rule
// 1) and on partitions that do not exist; ps and cs must have room for the
// whole list. It always succeeds (the boolean is for the interface).
//
// A topic name is resolved only where the list moves to another topic, and
// then the topics after the current one are tried first: owned lists usually
// come sorted by topic, holding one partition of each topic or runs of
// partitions of one. An inner loop that makes no call, so that Go keeps its
// state in registers, recognises names by identity: the same bytes as the
// next topic's name (the usual case when the members come from one decoded
// list, or from the assignor's own output) or as the previous entry's. The
// other entries take one step of the outer loop, which compares names and,
// failing that, looks them up.
func (m *stickyModel) resolveOwned(owned []spec.TopicPartition, topics map[string]int32, ps, cs []int32) ([]int32, []int32, bool) {
	ps, cs = ps[:len(owned)], cs[:len(owned)]
	names, starts, classes := m.topicNames, m.topicStart, m.topicClass
	// The current topic: its name, its index (-1 if absent from topicIndex),
	// its partitions base .. base+n-1 (n = 0 if it does not exist), its class.
	name, ti, base, n, c := "", int32(-1), int32(0), int32(0), int32(0)
	j := 0
	for i := 0; i < len(owned); {
		tp := owned[i]
		next := m.nextTopic(tp.Topic, ti)
		switch {
		case next >= 0:
		case ti+1 < int32(len(names)) && tp.Topic == names[ti+1]:
			next = ti + 1
		case i > 0 && tp.Topic == name: // the same topic, its name another copy
		default:
			ti, base, n, _, c = m.findTopic(tp.Topic, ti+1, topics)
		}
		if next >= 0 {
			ti, base, n, c = next, starts[next], starts[next+1]-starts[next], classes[next]
		}
		name = tp.Topic // the following entries of this topic likely share its bytes
		i++
		if uint32(tp.Partition) >= uint32(n) {
			// A topic that does not exist, or a partition that no longer does
			// (the topic was deleted and created again, smaller): dropped, as
			// Kafka's AbstractStickyAssignor drops claims on topics that no
			// longer exist, instead of failing the whole assignment.
			continue
		}
		if ti >= 0 {
			ps[j], cs[j] = base+tp.Partition, c
			j++
		}
		for ; i < len(owned); i++ {
			tp := owned[i]
			if !identical(tp.Topic, name) {
				next := ti + 1
				if next >= int32(len(names)) || !identical(tp.Topic, names[next]) {
					break
				}
				name, ti, base, n, c = names[next], next, starts[next], starts[next+1]-starts[next], classes[next]
			}
			if uint32(tp.Partition) >= uint32(n) {
				break
			}
			if ti >= 0 {
				ps[j], cs[j] = base+tp.Partition, c
				j++
			}
		}
	}
	return ps[:j], cs[:j], true
}

// nextTopic returns the index of the topic called name when it is one of the
// few topics after ti and shares its bytes with that topic's name (a list
// sorted by topic skips the topics the member holds nothing of), or -1.
//
// With the identity index (members decoded, not read from JoinGroup bytes)
// any topic sharing its bytes with name is found at once, wherever it is.
func (m *stickyModel) nextTopic(name string, ti int32) int32 {
	if len(m.topicData.data) > 0 {
		return m.topicData.find(name)
	}
	for next := ti + 1; next < int32(len(m.topicNames)) && next <= ti+8; next++ {
		if identical(name, m.topicNames[next]) {
			return next
		}
	}
	return -1
}

// identical reports whether a and b are the same bytes in memory, hence
// equal; false says nothing.
func identical(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// findTopic resolves a topic name, trying first the topic after prev: its
// index (-1 if absent from topicIndex), first partition and partition count
// (0 if it does not exist), whether it exists, and its class.
func (m *stickyModel) findTopic(name string, prev int32, topics map[string]int32) (ti, base, n int32, exists bool, c int32) {
	if ti, ok := m.lookupTopic(name, prev); ok {
		return ti, m.topicStart[ti], m.topicStart[ti+1] - m.topicStart[ti], true, m.topicClass[ti]
	}
	n, exists = topics[name]
	return -1, 0, n, exists, 0
}

// claim records member v's claims, at generation g, on the partitions ps of
// classes cs. First claims on partitions of the class of the previous entry,
// the common case, go through an inner loop that makes no call.
func (m *stickyModel) claim(v, g int32, ps, cs []int32, gen []int32) {
	owner, owned, contested := m.owner, m.cellOwned, m.claimers != nil
	c, k, mine := int32(noClass), int32(-1), int32(0)
	for i := 0; i < len(ps); {
		if cs[i] != c {
			c = cs[i]
			k, mine = m.claimCell(v, c)
		}
		m.contest(ps[i], v, g, c, k, mine, gen)
		for i++; i < len(ps); i++ {
			p := ps[i]
			if cs[i] != c || owner[p] != noClaim || contested {
				break
			}
			owner[p] = mine
			if k >= 0 {
				owned[k]++
			}
			if gen != nil {
				gen[p] = g
			}
		}
	}
}

// noClass is below every class index, -1 included (a topic without
// partitions).
const noClass = -2

// claimCell returns member v's cell in class c and the outcome its winning
// claims on the class's topics record. Rule 3 is applied as claims are
// recorded: whether v subscribes to a topic does not depend on the
// partition, so a winner that does not is recorded as such (-2-v) and not
// counted, which gives the outcome of resolving first and checking the final
// winner after.
func (m *stickyModel) claimCell(v, c int32) (k, mine int32) {
	if k = m.cellIndex(v, c); k < 0 {
		return k, -2 - v
	}
	return k, v + 1
}

// contest records member v's claim, at generation g, on partition p of
// class c (rule 2); k and mine are claimCell's.
func (m *stickyModel) contest(p, v, g, c, k, mine int32, gen []int32) {
	id := v + 1
	if m.claimers != nil {
		if cl := m.claimers[p]; cl == noClaim {
			m.claimers[p] = id
		} else if cl != id {
			m.claimers[p] = tiedClaim
		}
	}
	switch o := m.owner[p]; {
	case o == noClaim:
		m.owner[p] = mine
		m.count(k, 1)
		if gen != nil {
			gen[p] = g
		}
	case o == mine: // the same member listing it again
	case gen == nil || g == gen[p]:
		m.disown(o, c)
		m.owner[p] = tiedClaim
	case g > gen[p]:
		m.disown(o, c)
		m.owner[p], gen[p] = mine, g
		m.count(k, 1)
	}
}

// count adds d to cell k's valid owned partitions; k < 0 is no cell.
func (m *stickyModel) count(k, d int32) {
	if k >= 0 {
		m.cellOwned[k] += d
	}
}

// disown uncounts the partition of class c that the outcome o loses.
func (m *stickyModel) disown(o, c int32) {
	if o > 0 {
		m.count(m.cellIndex(o-1, c), -1)
	}
}

// lookupTopic finds a topic's index, trying first the topic after prev:
// owned lists usually come sorted by topic.
func (m *stickyModel) lookupTopic(name string, prev int32) (int32, bool) {
	if next := prev + 1; next < int32(len(m.topicNames)) && m.topicNames[next] == name {
		return next, true
	}
	if ti := m.topicData.find(name); ti >= 0 {
		return ti, true
	}
	ti, ok := m.topicIndex[name]
	return ti, ok
}

// identityIndex finds a string of a fixed list by the address of its bytes
// (open addressing on the address, which needs no hashing of the bytes): the
// owned lists of members decoded from one subscription list, or built from an
// assignor's own output, name their topics with the very strings of the
// subscription. A string that is not found may still be equal to one of the
// list.
type identityIndex struct {
	data  []unsafe.Pointer // nil: a free slot
	len   []int
	index []int32
	mask  uintptr
}

func newIdentityIndex(names []string) identityIndex {
	size := 8
	for size < 2*len(names) {
		size *= 2
	}
	ix := identityIndex{data: make([]unsafe.Pointer, size), len: make([]int, size), index: make([]int32, size), mask: uintptr(size - 1)}
	for i, s := range names {
		if len(s) == 0 {
			continue
		}
		h := ix.slot(s)
		for ix.data[h] != nil {
			h = (h + 1) & ix.mask
		}
		ix.data[h], ix.len[h], ix.index[h] = unsafe.Pointer(unsafe.StringData(s)), len(s), int32(i)
	}
	return ix
}

func (ix *identityIndex) slot(s string) uintptr {
	return (uintptr(unsafe.Pointer(unsafe.StringData(s))) * 0x9e3779b97f4a7c15 >> 17) & ix.mask
}

// find returns the index of the list's string whose bytes are s's, or -1.
func (ix *identityIndex) find(s string) int32 {
	if len(ix.data) == 0 || len(s) == 0 {
		return -1
	}
	p := unsafe.Pointer(unsafe.StringData(s))
	for h := ix.slot(s); ix.data[h] != nil; h = (h + 1) & ix.mask {
		if ix.data[h] == p && ix.len[h] == len(s) {
			return ix.index[h]
		}
	}
	return -1
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
	if m.cellAt != nil && c >= 0 {
		return m.cellAt[int(c)*m.numMembers()+int(v)]
	}
	return m.searchCell(v, c)
}

// cellRow returns the dense table's row of class c (member -> cell, -1 for a
// member not in c), or nil without a table.
func (m *stickyModel) cellRow(c int32) []int32 {
	if m.cellAt == nil || c < 0 {
		return nil
	}
	N := m.numMembers()
	return m.cellAt[int(c)*N : int(c+1)*N]
}

// searchCell is cellIndex without the dense table.
func (m *stickyModel) searchCell(v, c int32) int32 {
	if c < 0 {
		return -1
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
	N := m.numMembers()
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
