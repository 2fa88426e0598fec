// Package positions is what the classic and the KIP-848 consumer share
// about an application's place in its partitions: the next offset to
// process of each owned partition, the records a Consume input processes,
// the offsets a commit carries, and the checks on those inputs. It knows
// nothing of group membership.
package positions

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// MaxOffset bounds a partition's offsets in the model: far past any real
// log, and far from overflowing.
const MaxOffset = 1 << 62

// MaxCommitMetadataBytes bounds the metadata an application attaches to a
// commit: Kafka's offset.metadata.max.bytes default is 4096, and the model
// allows well past it so that the coordinator's limit can be tested.
const MaxCommitMetadataBytes = 1 << 20

// Table maps each owned partition whose position is known to the next
// offset to process.
type Table map[spec.TopicPartition]int64

// Copy returns the positions as a new map.
func (t Table) Copy() map[spec.TopicPartition]int64 {
	return maps.Clone(map[spec.TopicPartition]int64(t))
}

// Known lists the parts whose position is known, with it, in the order given.
func (t Table) Known(parts []spec.TopicPartition) []spec.OffsetCommitPartition {
	out := make([]spec.OffsetCommitPartition, 0, len(parts))
	for _, tp := range parts {
		if p, ok := t[tp]; ok {
			out = append(out, spec.OffsetCommitPartition{TopicPartition: tp, Offset: p})
		}
	}
	return out
}

// WithMetadata attaches metadataBytes of metadata to each offset (one
// string, shared by every offset).
func WithMetadata(offsets []spec.OffsetCommitPartition, metadataBytes int) {
	meta := strings.Repeat("m", metadataBytes)
	for i := range offsets {
		offsets[i].Metadata = meta
	}
}

// Consume processes n records of each owned partition whose position is
// known (or of tp alone, if given) and that paused does not hold back,
// reporting each batch to emit as an EvProcessed event. The batches'
// one-partition lists share one array, each capped at its own element.
func (t Table) Consume(owned []spec.TopicPartition, n int64, tp *spec.TopicPartition,
	paused func(spec.TopicPartition) bool, emit func(spec.Event)) {
	var parts []spec.TopicPartition
	if tp == nil {
		parts = make([]spec.TopicPartition, 0, len(owned))
	}
	for _, o := range owned {
		pos, ok := t[o]
		if !ok || (tp != nil && *tp != o) || (paused != nil && paused(o)) {
			continue
		}
		t[o] = pos + n
		parts = append(parts, o)
		emit(spec.Event{Kind: spec.EvProcessed, Partitions: parts[len(parts)-1 : len(parts) : len(parts)], Offset: pos, End: pos + n})
	}
}

// AdmitConsume says why the consumer named name would refuse b.
func (t Table) AdmitConsume(name string, b *spec.Consume) error {
	if b.Records <= 0 {
		return fmt.Errorf("consumer %s: record count %d must be positive", name, b.Records)
	}
	for tp, pos := range t {
		if pos > MaxOffset-b.Records && (b.Partition == nil || *b.Partition == tp) {
			return fmt.Errorf("consumer %s: %s would pass offset %d, the largest a model log has", name, tp, int64(MaxOffset))
		}
	}
	return nil
}

// AdmitCommit says why the consumer named name would refuse b.
func AdmitCommit(name string, b *spec.Commit) error {
	if b.MetadataBytes < 0 || b.MetadataBytes > MaxCommitMetadataBytes {
		return fmt.Errorf("consumer %s: commit metadata of %d bytes is outside [0, %d]", name, b.MetadataBytes, MaxCommitMetadataBytes)
	}
	return nil
}

// Has reports whether sorted (by topic, then partition) holds tp: a binary
// search, so that a consumer of many partitions costs no quadratic scans.
func Has(sorted []spec.TopicPartition, tp spec.TopicPartition) bool {
	_, ok := slices.BinarySearchFunc(sorted, tp, spec.TopicPartition.Compare)
	return ok
}

// Seek takes the committed offsets of an OffsetFetch answer: every owned
// partition (sorted) without a position starts at its committed offset, or
// at 0 when nothing was committed (auto.offset.reset=earliest); skipAhead
// (a planted bug) starts one past it. It returns the partitions it placed.
func (t Table) Seek(owned []spec.TopicPartition, fetched []spec.OffsetFetchPartition, skipAhead bool) []spec.TopicPartition {
	var placed []spec.TopicPartition
	for _, p := range fetched {
		if _, known := t[p.TopicPartition]; known || !Has(owned, p.TopicPartition) || p.ErrorCode != spec.None {
			continue
		}
		pos := max(p.Offset, 0)
		if skipAhead {
			pos++
		}
		t[p.TopicPartition] = pos
		placed = append(placed, p.TopicPartition)
	}
	return placed
}
