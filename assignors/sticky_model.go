package assignors

import (
	"cmp"
	"slices"
)

// stickyModel is the input of a sticky assignment interned to dense integers,
// so that the work after it touches slices only (DESIGN §8):
//
//   - members by rank in SortMembers order (instance id, then member id);
//   - topics that exist and that some member subscribes to, by name; the
//     partitions of topic t are numbered topicStart[t] .. topicStart[t+1]-1,
//     so partition ids ascend by topic, then partition;
//   - classes: topics grouped by their exact set of subscribers. Partitions of
//     one class are interchangeable for balance; a cell is one (class, member
//     of the class) pair, and cells are numbered class by class in member order.
//
// Every ordering here comes from names, never from map iteration or from the
// order of the input, which is what makes the result deterministic.
type stickyModel struct {
	ids        []string  // member ids by rank
	members    []*Member // the input's members by rank, not copied; nil when built from JoinGroup bytes
	topicNames []string
	topicIndex map[string]int32 // nil when built from JoinGroup bytes
	topicData  identityIndex    // topicIndex by the names' bytes in memory; empty when built from JoinGroup bytes
	topicStart []int32

	memberTopics [][]int32 // each member's subscribed topics, ascending, unique
	sameTopics   bool      // every member resolved to the one shared list

	topicClass      []int32 // class of each topic; -1 for a topic without partitions
	classTopicStart []int32 // topics of class c: classTopics[classTopicStart[c]:classTopicStart[c+1]]
	classTopics     []int32
	cellStart       []int32 // cells of class c: cellStart[c] .. cellStart[c+1]-1
	cellMember      []int32
	cellClass       []int32
	memberCellStart []int32 // cells of member v: memberCells[memberCellStart[v]:memberCellStart[v+1]]
	memberCells     []int32

	cellAt []int32 // cell of (class c, member v) at c*len(members)+v, -1 if none; nil for huge groups

	owner     []int32 // outcome of the ownership claims per partition (sticky_claims.go)
	claimers  []int32 // who claims each partition, when owner cannot tell (sticky_claims.go)
	cellOwned []int32 // valid owned partitions per cell (sticky_claims.go)
}

func newStickyModel(topics map[string]int32, members []Member, cooperative bool) (*stickyModel, error) {
	m := &stickyModel{members: make([]*Member, len(members)), ids: make([]string, len(members))}
	for i := range members {
		m.members[i] = &members[i]
	}
	slices.SortFunc(m.members, func(a, b *Member) int { return compareMembers(*a, *b) })
	for v, mem := range m.members {
		m.ids[v] = mem.ID
	}
	if !distinctIDs(m.ids, len(members) > 0 && m.members[0].InstanceID != "") {
		return nil, errInvalid
	}
	m.indexTopics(topics)
	m.resolveSubscriptions()
	if err := m.layout(topics, memberOwnership{m, topics}, cooperative); err != nil {
		return nil, err
	}
	return m, nil
}

// layout is the part of building the model that does not depend on where
// the members come from, once ids, topicNames and memberTopics are set: it
// numbers the partitions, groups the topics into classes and resolves the
// ownership claims.
func (m *stickyModel) layout(topics map[string]int32, own ownership, cooperative bool) error {
	total := int64(0)
	m.topicStart = make([]int32, len(m.topicNames)+1)
	for t, name := range m.topicNames {
		total += int64(topics[name])
		if total > maxStickyPartitions {
			return errTooManyPartitions(total)
		}
		m.topicStart[t+1] = int32(total)
	}
	m.buildClasses()
	m.buildCellTable()
	if !m.resolveClaims(own, cooperative) {
		return errInvalid
	}
	return nil
}

func (m *stickyModel) numMembers() int      { return len(m.ids) }
func (m *stickyModel) numPartitions() int32 { return m.topicStart[len(m.topicNames)] }
func (m *stickyModel) numClasses() int      { return len(m.cellStart) - 1 }

// sameList reports whether two subscription lists are equal element by
// element; members built from one slice, or decoded from identical JSON, share
// their resolution this way.
func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// indexTopics numbers, by name, the existing topics some member subscribes to.
func (m *stickyModel) indexTopics(topics map[string]int32) {
	seen := map[string]int32{}
	for i, mem := range m.members {
		if i > 0 && sameList(mem.Topics, m.members[i-1].Topics) {
			continue
		}
		for _, t := range mem.Topics {
			if _, ok := topics[t]; ok {
				seen[t] = 0
			}
		}
	}
	m.topicNames = make([]string, 0, len(seen))
	for t := range seen {
		m.topicNames = append(m.topicNames, t)
	}
	slices.Sort(m.topicNames)
	for i, t := range m.topicNames {
		seen[t] = int32(i)
	}
	m.topicIndex = seen
	m.topicData = newIdentityIndex(m.topicNames)
}

// resolveSubscriptions turns each subscription into ascending, unique topic
// indices, dropping topics that do not exist.
func (m *stickyModel) resolveSubscriptions() {
	m.memberTopics = make([][]int32, m.numMembers())
	m.sameTopics = true
	for i, mem := range m.members {
		if i > 0 && sameList(mem.Topics, m.members[i-1].Topics) {
			m.memberTopics[i] = m.memberTopics[i-1]
			continue
		}
		list := make([]int32, 0, len(mem.Topics))
		for _, t := range mem.Topics {
			if ti, ok := m.topicIndex[t]; ok {
				list = append(list, ti)
			}
		}
		m.setMemberTopics(i, list)
	}
}

// setMemberTopics sets member i's topic indices to list, sorted and without
// repeats, and notes whether it differs from the previous member's.
func (m *stickyModel) setMemberTopics(i int, list []int32) {
	if !slices.IsSorted(list) {
		slices.Sort(list)
	}
	m.memberTopics[i] = slices.Compact(list)
	if i > 0 && !slices.Equal(m.memberTopics[i], m.memberTopics[i-1]) {
		m.sameTopics = false
	}
}

// buildClasses groups topics by their subscribers and lays out the cells.
func (m *stickyModel) buildClasses() {
	T := len(m.topicNames)
	m.topicClass = make([]int32, T)
	var groups [][]int32 // topics of each class, classes ordered by first topic
	var members [][]int32
	if m.sameTopics {
		groups, members = m.oneClass()
	} else {
		groups, members = m.groupTopics()
	}
	for t := range m.topicClass {
		m.topicClass[t] = -1
	}
	m.classTopicStart = make([]int32, 1, len(groups)+1)
	m.cellStart = make([]int32, 1, len(groups)+1)
	for c, g := range groups {
		for _, t := range g {
			m.topicClass[t] = int32(c)
		}
		m.classTopics = append(m.classTopics, g...)
		m.classTopicStart = append(m.classTopicStart, int32(len(m.classTopics)))
		m.cellMember = append(m.cellMember, members[c]...)
		m.cellStart = append(m.cellStart, int32(len(m.cellMember)))
		for range members[c] {
			m.cellClass = append(m.cellClass, int32(c))
		}
	}
	m.transposeCells()
}

// oneClass is buildClasses when every member subscribes to the same topics.
func (m *stickyModel) oneClass() (groups, members [][]int32) {
	var g []int32
	if m.numMembers() > 0 {
		for _, t := range m.memberTopics[0] {
			if m.topicStart[t+1] > m.topicStart[t] {
				g = append(g, t)
			}
		}
	}
	if len(g) == 0 {
		return nil, nil
	}
	all := make([]int32, m.numMembers())
	for i := range all {
		all[i] = int32(i)
	}
	return [][]int32{g}, [][]int32{all}
}

// groupTopics finds, for every topic with partitions, its subscribers, and
// groups topics with identical subscriber lists into classes.
func (m *stickyModel) groupTopics() (groups, members [][]int32) {
	T := len(m.topicNames)
	start := make([]int32, T+1)
	for _, list := range m.memberTopics {
		for _, t := range list {
			start[t+1]++
		}
	}
	for t := range T {
		start[t+1] += start[t]
	}
	subs := make([]int32, start[T])
	fill := slices.Clone(start[:T])
	for v, list := range m.memberTopics {
		for _, t := range list {
			subs[fill[t]] = int32(v)
			fill[t]++
		}
	}
	subsOf := func(t int32) []int32 { return subs[start[t]:start[t+1]] }
	hashes := make([]uint64, T)
	order := make([]int32, 0, T)
	for t := range T {
		if m.topicStart[t+1] > m.topicStart[t] && start[t+1] > start[t] {
			hashes[t] = hashRanks(subsOf(int32(t)))
			order = append(order, int32(t))
		}
	}
	// Group equal subscriber lists: by hash, then, within a run of one hash,
	// by comparing each list with the first list of every group of the run
	// (one group, but for a collision), so that no sort compares two long
	// equal lists. The hash only decides how groups sit next to each other
	// here; classes are then ordered by their first topic, and the topics of
	// a group stay ascending.
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(hashes[a], hashes[b]), cmp.Compare(a, b))
	})
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && hashes[order[j]] == hashes[order[i]] {
			j++
		}
		first := len(groups)
		for _, t := range order[i:j] {
			k := first
			for k < len(groups) && !slices.Equal(members[k], subsOf(t)) {
				k++
			}
			if k == len(groups) {
				groups, members = append(groups, nil), append(members, subsOf(t))
			}
			groups[k] = append(groups[k], t)
		}
		i = j
	}
	idx := make([]int, len(groups))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(groups[a][0], groups[b][0]) })
	sortedG, sortedM := make([][]int32, len(idx)), make([][]int32, len(idx))
	for i, k := range idx {
		sortedG[i], sortedM[i] = groups[k], members[k]
	}
	return sortedG, sortedM
}

// hashRanks is FNV-1a over a list of member ranks: a fixed function, so no
// seed, random or otherwise, enters the assignor.
func hashRanks(xs []int32) uint64 {
	h := uint64(14695981039346656037)
	for _, x := range xs {
		for _, b := range [4]byte{byte(x), byte(x >> 8), byte(x >> 16), byte(x >> 24)} {
			h = (h ^ uint64(b)) * 1099511628211
		}
	}
	return h
}

// transposeCells lists, for every member, its cells in class order.
func (m *stickyModel) transposeCells() {
	m.memberCellStart, m.memberCells = groupIndices(m.numMembers(), m.cellMember)
}

// groupIndices groups the indices of keys by key (a counting sort): the
// indices i with keys[i] == k are order[start[k]:start[k+1]], ascending.
func groupIndices(n int, keys []int32) (start, order []int32) {
	start = make([]int32, n+1)
	for _, k := range keys {
		start[k+1]++
	}
	for k := range n {
		start[k+1] += start[k]
	}
	order = make([]int32, len(keys))
	fill := slices.Clone(start[:n])
	for i, k := range keys {
		order[fill[k]] = int32(i)
		fill[k]++
	}
	return start, order
}
