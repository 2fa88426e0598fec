// Package canon holds the primitives of kgroup's canonical state encodings
// (AppendState; see spec.StateFrame): varints, length-prefixed strings and
// booleans, each appended to a byte slice. The encodings of message bodies,
// partitions and assignments are spec's.
package canon

import (
	"encoding/binary"

	"github.com/kgroup/kgroup/spec"
)

// Int appends v as a varint.
func Int(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// Ints appends each of vs.
func Ints(b []byte, vs ...int64) []byte {
	for _, v := range vs {
		b = binary.AppendVarint(b, v)
	}
	return b
}

// Str appends s with its length.
func Str(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Strs appends each of ss.
func Strs(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = Str(b, s)
	}
	return b
}

// Bool appends v as one byte.
func Bool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// Deadline appends a deadline relative to f.Now, with no more precision
// than behaviour has: a deadline that has passed (or was never set, kept as
// 0 or less) acts the same whenever it passed, so every such one is written
// as 0. Use it only for deadlines that are compared with the current time
// and never fire at their own time.
func Deadline(b []byte, f spec.StateFrame, at int64) []byte {
	return Int(b, max(f.Rel(at), 0))
}

// Offsets appends a partition-to-offset map, sorted.
func Offsets(b []byte, m map[spec.TopicPartition]int64) []byte {
	tps := make([]spec.TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	spec.SortPartitions(tps)
	b = binary.AppendUvarint(b, uint64(len(tps)))
	for _, tp := range tps {
		b = Ints(Str(b, tp.Topic), int64(tp.Partition), m[tp])
	}
	return b
}

// Counts appends a string-to-count map, sorted.
func Counts[V int32 | int64 | int](b []byte, m map[string]V) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range spec.SortedKeys(m) {
		b = Int(Str(b, k), int64(m[k]))
	}
	return b
}
