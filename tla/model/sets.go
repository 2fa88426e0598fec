package model

import "slices"

// PSet is a set of partitions, sorted; never modified in place.
type PSet []TP

// Has reports whether p is in s.
func (s PSet) Has(p TP) bool { _, ok := slices.BinarySearch(s, p); return ok }

// With returns s ∪ {p}.
func (s PSet) With(p TP) PSet {
	i, ok := slices.BinarySearch(s, p)
	if ok {
		return s
	}
	return slices.Insert(slices.Clip(s), i, p)
}

// Union returns s ∪ o.
func (s PSet) Union(o PSet) PSet {
	if len(o) == 0 {
		return s
	}
	if len(s) == 0 {
		return o
	}
	out := make(PSet, 0, len(s)+len(o))
	i, j := 0, 0
	for i < len(s) || j < len(o) {
		switch {
		case j == len(o) || (i < len(s) && s[i] < o[j]):
			out = append(out, s[i])
			i++
		case i == len(s) || o[j] < s[i]:
			out = append(out, o[j])
			j++
		default:
			out = append(out, s[i])
			i++
			j++
		}
	}
	return out
}

// Minus returns s \ o.
func (s PSet) Minus(o PSet) PSet {
	if len(o) == 0 || len(s) == 0 {
		return s
	}
	var out PSet
	for _, p := range s {
		if !o.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Inter returns s ∩ o.
func (s PSet) Inter(o PSet) PSet {
	var out PSet
	for _, p := range s {
		if o.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Filter returns the partitions of s for which keep holds.
func (s PSet) Filter(keep func(TP) bool) PSet {
	var out PSet
	for _, p := range s {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// SubsetOf reports whether s ⊆ o.
func (s PSet) SubsetOf(o PSet) bool {
	for _, p := range s {
		if !o.Has(p) {
			return false
		}
	}
	return true
}

// Equal reports whether s and o hold the same partitions.
func (s PSet) Equal(o PSet) bool { return slices.Equal(s, o) }

// Off is one partition's offset.
type Off struct {
	P TP
	O int64
}

// Offs maps partitions to offsets, sorted by partition; never modified in
// place.
type Offs []Off

func (m Offs) find(p TP) (int, bool) {
	return slices.BinarySearchFunc(m, p, func(o Off, p TP) int { return int(o.P) - int(p) })
}

// Get returns p's offset, if m has one.
func (m Offs) Get(p TP) (int64, bool) {
	if i, ok := m.find(p); ok {
		return m[i].O, true
	}
	return 0, false
}

// Set returns m with p at offset o.
func (m Offs) Set(p TP, o int64) Offs {
	i, ok := m.find(p)
	if ok {
		if m[i].O == o {
			return m
		}
		out := slices.Clone(m)
		out[i].O = o
		return out
	}
	return slices.Insert(slices.Clip(m), i, Off{p, o})
}

// Without returns m without the partitions of s.
func (m Offs) Without(s PSet) Offs {
	if len(s) == 0 {
		return m
	}
	var out Offs
	for _, o := range m {
		if !s.Has(o.P) {
			out = append(out, o)
		}
	}
	return out
}

// Keys returns m's partitions.
func (m Offs) Keys() PSet {
	out := make(PSet, len(m))
	for i, o := range m {
		out[i] = o.P
	}
	return out
}

// IDs is a sorted set of member ids; never modified in place.
type IDs []ID

// CompareID orders member ids.
func CompareID(a, b ID) int {
	if a.P != b.P {
		return int(a.P) - int(b.P)
	}
	return int(a.N) - int(b.N)
}

// Has reports whether id is in s.
func (s IDs) Has(id ID) bool { _, ok := slices.BinarySearchFunc(s, id, CompareID); return ok }

// With returns s ∪ {id}.
func (s IDs) With(id ID) IDs {
	i, ok := slices.BinarySearchFunc(s, id, CompareID)
	if ok {
		return s
	}
	return slices.Insert(slices.Clip(s), i, id)
}

// Without returns s \ {id}.
func (s IDs) Without(id ID) IDs {
	i, ok := slices.BinarySearchFunc(s, id, CompareID)
	if !ok {
		return s
	}
	return slices.Delete(slices.Clone(s), i, i+1)
}

// bagAdd returns the bag b with one more d.
func bagAdd(b []DC, d Desc) []DC {
	i, ok := slices.BinarySearchFunc(b, d, func(e DC, d Desc) int { return CompareDesc(e.D, d) })
	if ok {
		out := slices.Clone(b)
		out[i].N++
		return out
	}
	return slices.Insert(slices.Clip(b), i, DC{d, 1})
}

// bagRemove returns the bag b with one d fewer, and whether it held one.
func bagRemove(b []DC, d Desc) ([]DC, bool) {
	i, ok := slices.BinarySearchFunc(b, d, func(e DC, d Desc) int { return CompareDesc(e.D, d) })
	if !ok {
		return b, false
	}
	if b[i].N == 1 {
		return slices.Delete(slices.Clone(b), i, i+1), true
	}
	out := slices.Clone(b)
	out[i].N--
	return out, true
}

// CompareDesc orders descriptors (the in-flight bag is sorted by it).
func CompareDesc(a, b Desc) int {
	switch {
	case a.K != b.K:
		return int(a.K) - int(b.K)
	case a.G != b.G:
		return int(a.G) - int(b.G)
	case a.M != b.M:
		return CompareID(a.M, b.M)
	case a.R != b.R:
		if a.R {
			return 1
		}
		return -1
	}
	return 0
}
