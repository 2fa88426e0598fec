package assignors

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/kgroup/kgroup/spec"
)

// The user data of Kafka's sticky assignors, in Kafka's binary format
// (StickyAssignor.STICKY_ASSIGNOR_USER_DATA_V0/V1 and
// CooperativeStickyAssignor.COOPERATIVE_STICKY_ASSIGNOR_USER_DATA_V0):
// big-endian, strings as an int16 length and bytes, arrays as an int32 count
// and elements.

// EncodeUserData writes the StickyAssignor user data, version 1 of the KIP-54
// schema with KIP-341's generation: [{topic, [partition]}] then the
// generation; topics sorted, partitions ascending. Java always writes version
// 1, even for generation -1, and so does kgroup.
func (Sticky) EncodeUserData(owned []spec.TopicPartition, generation int32) []byte {
	a := spec.AssignmentOf(owned)
	topics := spec.SortedKeys(a)
	b := binary.BigEndian.AppendUint32(nil, uint32(len(topics)))
	for _, t := range topics {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t)))
		b = append(b, t...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(a[t])))
		for _, p := range a[t] {
			b = binary.BigEndian.AppendUint32(b, uint32(p))
		}
	}
	return binary.BigEndian.AppendUint32(b, uint32(generation))
}

// DecodeUserData reads version 1 of the sticky user data, or version 0 (no
// generation, reported as -1). Malformed bytes are an error; Kafka's
// StickyAssignor instead ignores user data it cannot parse and treats the
// member as owning nothing at generation -1. The topic names share one copy
// of b, so decoding allocates twice whatever the number of topics.
func (Sticky) DecodeUserData(b []byte) ([]spec.TopicPartition, int32, error) {
	n, err := countStickyPartitions(b)
	if err != nil {
		return nil, -1, fmt.Errorf("sticky user data: %w", err)
	}
	text := string(b)
	owned := make([]spec.TopicPartition, 0, n)
	r := userDataReader{b: b}
	for range r.int32() {
		l := int(r.int16())
		topic := text[r.at : r.at+l]
		r.at += l
		for range r.int32() {
			owned = append(owned, spec.TopicPartition{Topic: topic, Partition: r.int32()})
		}
	}
	gen := int32(-1)
	if r.at < len(b) {
		gen = r.int32()
	}
	return owned, gen, nil
}

// countStickyPartitions checks the layout of sticky user data and counts its
// partitions: the array, then nothing (version 0) or exactly a generation.
func countStickyPartitions(b []byte) (int, error) {
	r := userDataReader{b: b}
	topics, total := r.count(), 0
	for range topics {
		if l := int(r.int16()); r.bad || l < 0 || !r.skip(l) {
			return 0, errors.New("truncated topic name")
		}
		n := r.count()
		if !r.skip(4 * n) {
			return 0, errors.New("truncated partitions")
		}
		total += n
	}
	switch rest := len(b) - r.at; {
	case r.bad:
		return 0, errors.New("truncated")
	case rest != 0 && rest != 4:
		return 0, fmt.Errorf("%d bytes after the assignment, want none or a 4-byte generation", rest)
	}
	return total, nil
}

// userDataReader reads big-endian fields; past the end it reads zeros and
// remembers it went bad.
type userDataReader struct {
	b   []byte
	at  int
	bad bool
}

func (r *userDataReader) skip(n int) bool {
	if n < 0 || n > len(r.b)-r.at {
		r.bad = true
		return false
	}
	r.at += n
	return true
}

func (r *userDataReader) int16() int16 {
	if !r.skip(2) {
		return 0
	}
	return int16(binary.BigEndian.Uint16(r.b[r.at-2:]))
}

func (r *userDataReader) int32() int32 {
	if !r.skip(4) {
		return 0
	}
	return int32(binary.BigEndian.Uint32(r.b[r.at-4:]))
}

// count reads an array length; a negative one (Kafka's null) is empty.
func (r *userDataReader) count() int { return max(int(r.int32()), 0) }

// EncodeUserData writes Kafka's CooperativeStickyAssignor user data: version 0
// of its schema, {generation: int32}. Owned partitions travel in the
// subscription's owned-partitions field instead, so owned is not encoded.
func (CooperativeSticky) EncodeUserData(_ []spec.TopicPartition, generation int32) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(generation))
}

// DecodeUserData reads the generation of cooperative-sticky user data; it is
// needed only for subscriptions older than version 2, which lack the
// generation field. It never reports owned partitions.
func (CooperativeSticky) DecodeUserData(b []byte) ([]spec.TopicPartition, int32, error) {
	if len(b) < 4 {
		return nil, -1, fmt.Errorf("cooperative-sticky user data: %d bytes, want a 4-byte generation", len(b))
	}
	return nil, int32(binary.BigEndian.Uint32(b)), nil
}
