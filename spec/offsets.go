package spec

import (
	"fmt"
)

// Rule 3 of DESIGN.md §5: no offset regression, no loss, and the count of
// what is processed twice.

// CheckOffsetsMonotonic is rule 3: without an explicit seek, a committed offset
// never decreases and never disappears. Partitions in seeked are exempt (a
// legitimate owner may move its position back and commit it).
func CheckOffsetsMonotonic(prev, next map[TopicPartition]int64, seeked map[TopicPartition]bool) error {
	// Checked in map order, fast; only a violation pays for sorting, so that
	// the one reported is always the same.
	for tp, p := range prev {
		if n, ok := next[tp]; !seeked[tp] && (!ok || n < p) {
			return offsetsRegressed(prev, next, seeked)
		}
	}
	return nil
}

func offsetsRegressed(prev, next map[TopicPartition]int64, seeked map[TopicPartition]bool) error {
	for _, tp := range sortedPartitions(prev) {
		if seeked[tp] {
			continue
		}
		n, ok := next[tp]
		switch {
		case !ok:
			return fmt.Errorf("offsets: the committed offset of %s (%d) disappeared", tp, prev[tp])
		case n < prev[tp]:
			return fmt.Errorf("offsets: the committed offset of %s went back from %d to %d", tp, prev[tp], n)
		}
	}
	return nil
}

func sortedPartitions[V any](m map[TopicPartition]V) []TopicPartition {
	tps := make([]TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	SortPartitions(tps)
	return tps
}

// Ledger is the at-least-once half of rule 3: it is fed every batch of records
// any consumer processes and the committed offsets, and checks that nothing is
// skipped (no loss) while it counts what is processed more than once.
// The zero value is ready; every partition's log starts at offset 0.
type Ledger struct {
	end  map[TopicPartition]int64 // every offset below end was processed at least once
	dups map[TopicPartition]int64
	// Duplicates counts records processed more than once.
	Duplicates int64
	// Processed counts records processed, duplicates included.
	Processed int64
}

// Process records that [from, to) of tp was processed. Starting beyond the
// first never-processed offset skips records: that is loss, and an error.
func (l *Ledger) Process(tp TopicPartition, from, to int64) error {
	if l == nil {
		return fmt.Errorf("ledger: malformed input: no ledger")
	}
	if l.end == nil {
		l.end, l.dups = map[TopicPartition]int64{}, map[TopicPartition]int64{}
	}
	if to < from || from < 0 {
		return fmt.Errorf("ledger: bad batch [%d,%d) of %s", from, to, tp)
	}
	end := l.end[tp]
	if from > end {
		return fmt.Errorf("no loss: %s processed from %d, but offsets %d..%d were never processed", tp, from, end, from-1)
	}
	l.Processed += to - from
	l.Duplicates += min(to, end) - from
	if min(to, end) > from {
		l.dups[tp] += min(to, end) - from
	}
	l.end[tp] = max(end, to)
	return nil
}

// DuplicatesOf counts the records of tp processed more than once.
func (l *Ledger) DuplicatesOf(tp TopicPartition) int64 {
	if l == nil {
		return 0
	}
	return l.dups[tp]
}

// End returns the first offset of tp not yet processed by anyone.
func (l *Ledger) End(tp TopicPartition) int64 {
	if l == nil {
		return 0
	}
	return l.end[tp]
}

// CheckCommittedProcessed is the other half of no-loss: a committed offset
// never lies beyond what was processed, since a consumer that resumes there
// would skip the records in between.
func CheckCommittedProcessed(committed map[TopicPartition]int64, l *Ledger) error {
	for tp, c := range committed {
		if c > l.End(tp) {
			return committedBeyondProcessed(committed, l)
		}
	}
	return nil
}

func committedBeyondProcessed(committed map[TopicPartition]int64, l *Ledger) error {
	for _, tp := range sortedPartitions(committed) {
		if committed[tp] > l.End(tp) {
			return fmt.Errorf("no loss: %s committed at %d but only processed up to %d", tp, committed[tp], l.End(tp))
		}
	}
	return nil
}
