package assignors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/kgroup/kgroup/spec"
)

// Kafka's consumer protocol, the bytes a consumer puts in JoinGroup and a
// leader in SyncGroup (ConsumerProtocol.java): ConsumerProtocolSubscription
// versions 0-3 and ConsumerProtocolAssignment. The encoding is Kafka's
// classic one: big-endian integers, STRING as an int16 length and bytes,
// BYTES as an int32 length (-1: null) and bytes, ARRAY as an int32 count and
// elements.
//
//	Subscription v0: version int16, topics [STRING], user_data nullable BYTES
//	             v1: + owned_partitions [{topic STRING, partitions [int32]}]
//	             v2: + generation_id int32 (-1 when absent)
//	             v3: + rack_id nullable STRING
//	Assignment (every version): version int16,
//	             assigned_partitions [{topic STRING, partitions [int32]}], user_data nullable BYTES
//
// Reading follows Kafka: a negative version is an error, a version above 3 is
// read as version 3 and bytes after the last field are ignored (newer versions
// only append fields); a negative count for an array, or a negative length
// for a string, that may not be null is an error (Java: "non-nullable field
// ... was serialized as null"); every count and length is checked against the
// bytes that are left before anything is read or allocated.

// maxWireString is the longest STRING Kafka's encoding can carry (an int16
// length); Kafka's own topic names are at most 249 characters.
const maxWireString = math.MaxInt16

// SubscriptionVersion and AssignmentVersion are the versions kgroup writes,
// Kafka's highest (ConsumerProtocol.serializeSubscription and
// serializeAssignment write ConsumerProtocolSubscription/Assignment's
// HIGHEST_SUPPORTED_VERSION).
const (
	SubscriptionVersion int16 = 3
	AssignmentVersion   int16 = 3
)

// wireReader reads the classic encoding. The first failure is kept in err;
// after it every read returns zero.
type wireReader struct {
	b    []byte
	at   int
	what string // the message being read, for errors
	err  error
}

func (r *wireReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: at byte %d: %s", r.what, r.at, fmt.Sprintf(format, args...))
	}
	r.at = len(r.b)
}

func (r *wireReader) left() int { return len(r.b) - r.at }

// take returns the next n bytes, or nil after failing with what it was
// reading: field and part name it (two arguments, so that no name is built
// unless it goes into an error).
func (r *wireReader) take(n int, field, part string) []byte {
	if uint(n) > uint(len(r.b)-r.at) {
		r.short(n, field, part)
		return nil
	}
	r.at += n
	return r.b[r.at-n : r.at]
}

func (r *wireReader) short(n int, field, part string) {
	r.fail("%s%s needs %d bytes, %d left", field, part, n, r.left())
}

func (r *wireReader) int16(field, part string) int16 {
	if b := r.take(2, field, part); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *wireReader) int32(field, part string) int32 {
	if b := r.take(4, field, part); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

// str reads a STRING that may not be null.
func (r *wireReader) str(field string) []byte {
	n := r.int16(field, " length")
	if n < 0 {
		r.fail("%s has length %d", field, n)
		return nil
	}
	return r.take(int(n), field, "")
}

// nullableStr reads a nullable STRING; ok is false for null.
func (r *wireReader) nullableStr(field string) (s []byte, ok bool) {
	n := r.int16(field, " length")
	if n < 0 {
		return nil, false
	}
	return r.take(int(n), field, ""), r.err == nil
}

// nullableBytes reads nullable BYTES; nil for null.
func (r *wireReader) nullableBytes(field string) []byte {
	n := r.int32(field, " length")
	if n < 0 {
		return nil
	}
	return r.take(int(n), field, "")
}

// count reads the count of an ARRAY that may not be null, whose elements
// take at least minSize bytes each.
func (r *wireReader) count(field string, minSize int) int {
	n := r.int32(field, " count")
	switch {
	case r.err != nil:
		return 0
	case n < 0:
		r.fail("%s count is %d", field, n)
		return 0
	case int64(n)*int64(minSize) > int64(r.left()):
		r.fail("%s count %d needs at least %d bytes, %d left", field, n, int64(n)*int64(minSize), r.left())
		return 0
	}
	return int(n)
}

// skipStrings checks an ARRAY of n STRINGs and returns its elements' bytes.
func (r *wireReader) skipStrings(n int, field string) []byte {
	from := r.at
	if end, ok := scanStrings(r.b, r.at, n); ok {
		r.at = end
		return r.b[from:end]
	}
	for range n { // the slow way, for the error
		if r.str(field); r.err != nil {
			return nil
		}
	}
	return r.b[from:r.at]
}

// entryFields names an ARRAY of {topic STRING, partitions [int32]} and its
// parts, for errors.
type entryFields struct{ array, topic, partitions string }

var (
	ownedFields    = entryFields{"owned partitions", "owned partitions topic", "owned partitions partitions"}
	assignedFields = entryFields{"assigned partitions", "assigned partitions topic", "assigned partitions partitions"}
	userDataFields = entryFields{"assignment", "assignment topic", "assignment partitions"}
)

// topicPartitions checks an ARRAY of {topic STRING, partitions [int32]}
// and returns its elements' bytes, their number of topics and partitions.
func (r *wireReader) topicPartitions(f entryFields) (entries []byte, topics, partitions int) {
	topics = r.count(f.array, 6)
	from := r.at
	if end, n, ok := scanEntries(r.b, r.at, topics); ok {
		r.at = end
		return r.b[from:end], topics, n
	}
	for range topics { // the slow way, for the error
		r.str(f.topic)
		n := r.count(f.partitions, 4)
		r.take(4*n, f.partitions, "")
		if r.err != nil {
			return nil, 0, 0
		}
	}
	panic("unreachable: scanEntries rejected what the reader accepts")
}

// scanStrings is the fast path of skipStrings: where n STRINGs from at end,
// or false if they do not fit in b.
func scanStrings(b []byte, at, n int) (int, bool) {
	for range n {
		if len(b)-at < 2 {
			return 0, false
		}
		l := int(int16(binary.BigEndian.Uint16(b[at:])))
		if l < 0 || l > len(b)-at-2 {
			return 0, false
		}
		at += 2 + l
	}
	return at, true
}

// scanEntries is the fast path of topicPartitions: where n entries from at
// end and how many partitions they list, or false if they do not fit in b.
func scanEntries(b []byte, at, n int) (end, partitions int, ok bool) {
	for range n {
		if at, ok = scanStrings(b, at, 1); !ok || len(b)-at < 4 {
			return 0, 0, false
		}
		k := int(int32(binary.BigEndian.Uint32(b[at:])))
		if k < 0 || k > (len(b)-at-4)/4 {
			return 0, 0, false
		}
		at += 4 + 4*k
		partitions += k
	}
	return at, partitions, true
}

// nextString reads one element of an ARRAY of STRINGs that skipStrings or
// topicPartitions checked.
func nextString(b []byte, at int) (s []byte, next int) {
	n := int(binary.BigEndian.Uint16(b[at:]))
	return b[at+2 : at+2+n], at + 2 + n
}

// nextEntry reads one {topic, partitions} element that topicPartitions
// checked: the topic's bytes and its partitions' (4 bytes each).
func nextEntry(b []byte, at int) (topic, partitions []byte, next int) {
	topic, at = nextString(b, at)
	n := int(binary.BigEndian.Uint32(b[at:]))
	return topic, b[at+4 : at+4+4*n], at + 4 + 4*n
}

func partitionAt(partitions []byte, i int) int32 {
	return int32(binary.BigEndian.Uint32(partitions[4*i:]))
}

// subscriptionView is a checked ConsumerProtocolSubscription whose arrays
// are still bytes: topics holds the topic array's elements, owned the owned
// partitions'.
type subscriptionView struct {
	version         int16
	topics          []byte
	numTopics       int
	userData        []byte
	owned           []byte
	ownedPartitions int
	generation      int32
	rack            []byte
}

// parseSubscription checks b's layout without copying anything.
func parseSubscription(b []byte) (subscriptionView, error) {
	r := wireReader{b: b, what: "consumer protocol subscription"}
	s := subscriptionView{generation: -1}
	if s.version = r.int16("version", ""); s.version < 0 && r.err == nil {
		r.fail("version %d", s.version)
	}
	s.numTopics = r.count("topics", 2)
	s.topics = r.skipStrings(s.numTopics, "topic")
	s.userData = r.nullableBytes("user data")
	if s.version >= 1 {
		s.owned, _, s.ownedPartitions = r.topicPartitions(ownedFields)
	}
	if s.version >= 2 {
		s.generation = r.int32("generation", "")
	}
	if s.version >= 3 {
		s.rack, _ = r.nullableStr("rack")
	}
	return s, r.err
}

// DecodeSubscription reads a ConsumerProtocolSubscription: the JoinGroup
// metadata of a member of a "consumer" group for one assignor. Malformed
// bytes are an error that says what and where. Owned partitions come out in
// the order they were written; the result shares no memory with b.
func DecodeSubscription(b []byte) (spec.Subscription, error) {
	v, err := parseSubscription(b)
	if err != nil {
		return spec.Subscription{}, err
	}
	str := sharedStrings(b)
	sub := spec.Subscription{GenerationID: v.generation, RackID: str(v.rack), UserData: slices.Clone(v.userData)}
	sub.Topics = make([]string, 0, v.numTopics)
	for at := 0; at < len(v.topics); {
		var t []byte
		t, at = nextString(v.topics, at)
		sub.Topics = append(sub.Topics, str(t))
	}
	if v.ownedPartitions > 0 {
		sub.OwnedPartitions = make([]spec.TopicPartition, 0, v.ownedPartitions)
	}
	for at := 0; at < len(v.owned); {
		var t, ps []byte
		t, ps, at = nextEntry(v.owned, at)
		for i := range len(ps) / 4 {
			sub.OwnedPartitions = append(sub.OwnedPartitions, spec.TopicPartition{Topic: str(t), Partition: partitionAt(ps, i)})
		}
	}
	return sub, nil
}

// sharedStrings returns a function that turns a slice of b into a string,
// all of them slices of one copy of b: decoding allocates once for every
// name. (A slice s of b starts cap(b)-cap(s) bytes into it.)
func sharedStrings(b []byte) func(s []byte) string {
	text := string(b)
	return func(s []byte) string {
		if len(s) == 0 {
			return ""
		}
		off := cap(b) - cap(s)
		return text[off : off+len(s)]
	}
}

// EncodeSubscription writes s as a ConsumerProtocolSubscription of the given
// version (0-3; SubscriptionVersion is what Kafka writes). Owned partitions
// are written in their order, consecutive ones of one topic as one entry, so
// DecodeSubscription gives s back; a nil UserData is written as null, an
// empty RackID as null. The fields the version lacks are left out. A topic
// name longer than 32767 bytes cannot be written and is an error.
func EncodeSubscription(version int16, s spec.Subscription) ([]byte, error) {
	if version < 0 || version > SubscriptionVersion {
		return nil, fmt.Errorf("consumer protocol subscription: cannot write version %d (0 to %d)", version, SubscriptionVersion)
	}
	w := wireWriter{what: "consumer protocol subscription"}
	w.int16(version)
	w.int32(int32(len(s.Topics)))
	for _, t := range s.Topics {
		w.str(t, "topic")
	}
	w.nullableBytes(s.UserData)
	if version >= 1 {
		w.topicPartitions(s.OwnedPartitions)
	}
	if version >= 2 {
		w.int32(s.GenerationID)
	}
	if version >= 3 {
		w.nullableStr(s.RackID, "rack")
	}
	return w.b, w.err
}

// DecodeAssignment reads a ConsumerProtocolAssignment, the SyncGroup
// assignment of one member: its partitions by topic (a topic listed twice
// keeps both lists, in order) and the assignor's user data (nil for null).
func DecodeAssignment(b []byte) (spec.Assignment, []byte, error) {
	r := wireReader{b: b, what: "consumer protocol assignment"}
	if v := r.int16("version", ""); v < 0 && r.err == nil {
		r.fail("version %d", v)
	}
	entries, topics, _ := r.topicPartitions(assignedFields)
	userData := r.nullableBytes("user data")
	if r.err != nil {
		return nil, nil, r.err
	}
	a := make(spec.Assignment, topics)
	for at := 0; at < len(entries); {
		var t, ps []byte
		t, ps, at = nextEntry(entries, at)
		list := a[string(t)]
		for i := range len(ps) / 4 {
			list = append(list, partitionAt(ps, i))
		}
		a[string(t)] = list
	}
	if userData != nil {
		userData = append([]byte{}, userData...)
	}
	return a, userData, nil
}

// EncodeAssignment writes a member's assignment as a
// ConsumerProtocolAssignment of AssignmentVersion: topics sorted, each
// topic's partitions in their order, topics without partitions left out,
// userData nil for null. A topic name longer than 32767 bytes is an error.
func EncodeAssignment(a spec.Assignment, userData []byte) ([]byte, error) {
	w := wireWriter{what: "consumer protocol assignment"}
	w.int16(AssignmentVersion)
	topics := spec.SortedKeys(a)
	topics = slices.DeleteFunc(topics, func(t string) bool { return len(a[t]) == 0 })
	w.int32(int32(len(topics)))
	for _, t := range topics {
		w.str(t, "topic")
		w.int32s(a[t])
	}
	w.nullableBytes(userData)
	return w.b, w.err
}

// wireWriter appends the classic encoding to b; the first string too long
// to encode is kept in err.
type wireWriter struct {
	b    []byte
	what string
	err  error
}

func (w *wireWriter) int16(v int16) { w.b = binary.BigEndian.AppendUint16(w.b, uint16(v)) }
func (w *wireWriter) int32(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }

func (w *wireWriter) str(s, field string) {
	if len(s) > maxWireString && w.err == nil {
		w.err = fmt.Errorf("%s: %s %.20q... is %d bytes; Kafka's strings hold at most %d", w.what, field, s, len(s), maxWireString)
	}
	w.int16(int16(min(len(s), maxWireString)))
	w.b = append(w.b, s[:min(len(s), maxWireString)]...)
}

func (w *wireWriter) nullableStr(s, field string) {
	if s == "" {
		w.int16(-1)
		return
	}
	w.str(s, field)
}

func (w *wireWriter) nullableBytes(b []byte) {
	if b == nil {
		w.int32(-1)
		return
	}
	w.int32(int32(len(b)))
	w.b = append(w.b, b...)
}

func (w *wireWriter) int32s(ps []int32) {
	w.int32(int32(len(ps)))
	for _, p := range ps {
		w.int32(p)
	}
}

// topicPartitions writes tps as [{topic, [partition]}], one entry per run
// of consecutive partitions of one topic.
func (w *wireWriter) topicPartitions(tps []spec.TopicPartition) {
	runs := 0
	for i := range tps {
		if i == 0 || tps[i].Topic != tps[i-1].Topic {
			runs++
		}
	}
	w.int32(int32(runs))
	for i := 0; i < len(tps); {
		j := i + 1
		for j < len(tps) && tps[j].Topic == tps[i].Topic {
			j++
		}
		w.str(tps[i].Topic, "topic")
		w.int32(int32(j - i))
		for _, tp := range tps[i:j] {
			w.int32(tp.Partition)
		}
		i = j
	}
}
