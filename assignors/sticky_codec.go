package assignors

import (
	"encoding/binary"
	"fmt"
	"slices"

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
// 1, even for generation -1, and so does kgroup. A topic whose name is longer
// than Kafka's encoding can hold (32767 bytes; Kafka's own names are at most
// 249 characters) is left out, so that the rest of the ownership still
// reaches the leader; AppendUserData reports it as an error instead.
func (Sticky) EncodeUserData(owned []spec.TopicPartition, generation int32) []byte {
	b, _ := appendStickyUserData(nil, owned, generation, true)
	return b
}

// AppendUserData appends EncodeUserData's bytes to dst, or fails when a
// topic name is longer than 32767 bytes: Kafka's STRING has an int16 length.
func (Sticky) AppendUserData(dst []byte, owned []spec.TopicPartition, generation int32) ([]byte, error) {
	return appendStickyUserData(dst, owned, generation, false)
}

func appendStickyUserData(dst []byte, owned []spec.TopicPartition, generation int32, skipLong bool) ([]byte, error) {
	a := spec.AssignmentOf(owned)
	topics := spec.SortedKeys(a)
	if skipLong {
		topics = slices.DeleteFunc(topics, func(t string) bool { return len(t) > maxWireString })
	}
	w := wireWriter{b: dst, what: "sticky user data"}
	w.int32(int32(len(topics)))
	for _, t := range topics {
		w.str(t, "topic")
		w.int32s(a[t])
	}
	w.int32(generation)
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

// DecodeUserData reads version 1 of the sticky user data, or version 0 (no
// generation, reported as -1). Malformed bytes are an error, a negative
// count or name length among them (Kafka's schema rejects them too);
// Kafka's StickyAssignor then ignores the user data and treats the member as
// owning nothing at generation -1, which MemberFromSubscription does. The
// topic names share one copy of b, so decoding allocates twice whatever the
// number of topics.
func (Sticky) DecodeUserData(b []byte) ([]spec.TopicPartition, int32, error) {
	entries, n, gen, err := parseStickyUserData(b)
	if err != nil {
		return nil, -1, err
	}
	str := sharedStrings(b)
	owned := make([]spec.TopicPartition, 0, n)
	for at := 0; at < len(entries); {
		var t, ps []byte
		t, ps, at = nextEntry(entries, at)
		for i := range len(ps) / 4 {
			owned = append(owned, spec.TopicPartition{Topic: str(t), Partition: partitionAt(ps, i)})
		}
	}
	return owned, gen, nil
}

// parseStickyUserData checks the layout of sticky user data: the array, then
// nothing (version 0) or exactly a generation. It returns the array's
// elements, their number of partitions and the generation.
func parseStickyUserData(b []byte) (entries []byte, partitions int, generation int32, err error) {
	r := wireReader{b: b, what: "sticky user data"}
	entries, _, partitions = r.topicPartitions(userDataFields)
	generation = -1
	switch rest := r.left(); {
	case r.err != nil:
		return nil, 0, -1, r.err
	case rest == 4:
		generation = r.int32("generation", "")
	case rest != 0:
		return nil, 0, -1, fmt.Errorf("sticky user data: %d bytes after the assignment, want none or a 4-byte generation", rest)
	}
	return entries, partitions, generation, nil
}

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
