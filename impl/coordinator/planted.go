package coordinator

import (
	"maps"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/internal/canon"
	"github.com/kgroup/kgroup/internal/mutant"
	"github.com/kgroup/kgroup/spec"
)

// The committed-offset paths, with the planted bugs that corrupt them
// (internal/mutant) kept apart from the real behaviour.

// plantedState is what the planted offset bugs remember about a group.
type plantedState struct {
	fetchCache map[spec.TopicPartition]offset // StaleFetchCache
	held       map[heldKey]*OffsetRecord      // ReorderedCommits
}

type heldKey struct {
	member string
	tp     spec.TopicPartition
}

// store persists and applies one accepted offset: its record, then what
// replaying the record does.
func (c *Coordinator) store(g *offsetStore, member string, rec *OffsetRecord) {
	switch {
	case c.cfg.Bugs.Has(mutant.UnpersistedCommit):
		g.apply(rec) // acknowledged, applied, never written
		return
	case c.cfg.Bugs.Has(mutant.ReorderedCommits):
		p := g.plantedState()
		k := heldKey{member, rec.TopicPartition}
		held, ok := p.held[k]
		if !ok {
			p.held[k] = rec // acknowledged, applied only after the next one
			return
		}
		delete(p.held, k)
		c.record(Record{Offset: rec})
		g.apply(rec)
		rec = held
	}
	c.record(Record{Offset: rec})
	g.apply(rec)
}

// committed is the group's committed offset of tp, as a fetch reads it.
func (c *Coordinator) committed(g *offsetStore, tp spec.TopicPartition) (offset, bool) {
	if !c.cfg.Bugs.Has(mutant.StaleFetchCache) {
		o, ok := g.offsets[tp]
		return o, ok
	}
	p := g.plantedState()
	if o, ok := p.fetchCache[tp]; ok {
		return o, true
	}
	o, ok := g.offsets[tp]
	if ok {
		p.fetchCache[tp] = o // and never updated by a commit
	}
	return o, ok
}

func (g *offsetStore) plantedState() *plantedState {
	if g.planted == nil {
		g.planted = &plantedState{fetchCache: map[spec.TopicPartition]offset{}, held: map[heldKey]*OffsetRecord{}}
	}
	return g.planted
}

func (p *plantedState) clone() *plantedState {
	if p == nil {
		return nil
	}
	return &plantedState{fetchCache: maps.Clone(p.fetchCache), held: maps.Clone(p.held)}
}

// appendState writes what the planted bugs remember.
func (p *plantedState) appendState(b []byte) []byte {
	if b = canon.Bool(b, p != nil); p == nil {
		return b
	}
	b = canon.Int(b, int64(len(p.fetchCache)))
	for _, tp := range sortedPartitions(p.fetchCache) {
		b = canon.Str(canon.Int(spec.AppendPartitions(b, []spec.TopicPartition{tp}), p.fetchCache[tp].value), p.fetchCache[tp].metadata)
	}
	keys := make([]heldKey, 0, len(p.held))
	for k := range p.held {
		keys = append(keys, k)
	}
	sortHeld(keys)
	b = canon.Int(b, int64(len(keys)))
	for _, k := range keys {
		r := p.held[k]
		b = canon.Int(canon.Str(spec.AppendPartitions(b, []spec.TopicPartition{k.tp}), k.member), r.Offset)
	}
	return b
}

func sortHeld(keys []heldKey) {
	slices.SortFunc(keys, func(a, b heldKey) int {
		if a.member != b.member {
			return strings.Compare(a.member, b.member)
		}
		return a.tp.Compare(b.tp)
	})
}
