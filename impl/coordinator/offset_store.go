package coordinator

import (
	"maps"

	"github.com/kgroup/kgroup/internal/canon"
	"github.com/kgroup/kgroup/spec"
)

// offsetStore is one group's committed offsets, kept apart from the group's
// membership as Kafka's OffsetMetadataManager keeps them, so that classic and
// consumer groups share them and a group replaced by one of the other type
// keeps its offsets.
type offsetStore struct {
	offsets map[spec.TopicPartition]offset
	writes  uint64        // offsets applied, ever: a statistic, not state
	planted *plantedState // what planted bugs keep; nil without them
}

type offset struct {
	value    int64
	metadata string
}

// offsetStore returns the offsets of group id, made empty if it has none.
func (c *Coordinator) offsetStore(id string) *offsetStore {
	s, ok := c.offsets[id]
	if !ok {
		s = &offsetStore{offsets: map[spec.TopicPartition]offset{}}
		c.offsets[id] = s
	}
	return s
}

// exists reports whether a group of either type has this id.
func (c *Coordinator) exists(id string) bool {
	_, classic := c.groups[id]
	_, consumer := c.cgroups[id]
	return classic || consumer
}

// apply sets a committed offset, as replaying its record does.
func (s *offsetStore) apply(r *OffsetRecord) {
	s.offsets[r.TopicPartition] = offset{value: r.Offset, metadata: r.Metadata}
	s.writes++
}

func (s *offsetStore) clone() *offsetStore {
	return &offsetStore{offsets: maps.Clone(s.offsets), writes: s.writes, planted: s.planted.clone()}
}

// appendState writes the offsets canonically (the write count is a
// statistic and is left out).
func (s *offsetStore) appendState(b []byte) []byte {
	values := make(map[spec.TopicPartition]int64, len(s.offsets))
	for tp, o := range s.offsets {
		values[tp] = o.value
	}
	b = canon.Offsets(b, values)
	for _, tp := range sortedPartitions(s.offsets) {
		b = canon.Str(b, s.offsets[tp].metadata)
	}
	return s.planted.appendState(b)
}
