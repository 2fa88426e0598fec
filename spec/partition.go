package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// TopicPartition names one partition of one topic. Its text form is Kafka's
// "topic-partition", e.g. "orders-3".
type TopicPartition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
}

// String returns Kafka's text form "topic-partition".
func (tp TopicPartition) String() string {
	return tp.Topic + "-" + strconv.FormatInt(int64(tp.Partition), 10)
}

// Compare orders by topic, then partition.
func (tp TopicPartition) Compare(o TopicPartition) int {
	if c := strings.Compare(tp.Topic, o.Topic); c != 0 {
		return c
	}
	return cmp.Compare(tp.Partition, o.Partition)
}

// ParseTopicPartition parses "topic-partition". The partition is the text after
// the last '-', so topic names may themselves contain '-'. It is written as
// String writes it, in decimal digits without a sign or leading zeros, so that
// each partition has one text and a parsed text prints back unchanged.
func ParseTopicPartition(s string) (TopicPartition, error) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || i == len(s)-1 {
		return TopicPartition{}, fmt.Errorf("topic-partition %q: want topic-N", s)
	}
	digits := s[i+1:]
	n, err := strconv.ParseInt(digits, 10, 32)
	if err != nil || strconv.FormatInt(n, 10) != digits { // digits holds no '-', so n >= 0
		return TopicPartition{}, fmt.Errorf("topic-partition %q: partition must be a non-negative integer without sign or leading zeros", s)
	}
	return TopicPartition{Topic: s[:i], Partition: int32(n)}, nil
}

// SortPartitions sorts tps by topic, then partition, in place.
func SortPartitions(tps []TopicPartition) {
	slices.SortFunc(tps, TopicPartition.Compare)
}

// Assignment maps a topic to the partitions of it that one member holds.
// The canonical form (Normalize) has partitions ascending and no empty topics.
type Assignment map[string][]int32

// AssignmentOf builds the canonical assignment holding exactly tps.
func AssignmentOf(tps []TopicPartition) Assignment {
	a := Assignment{}
	for _, tp := range tps {
		a[tp.Topic] = append(a[tp.Topic], tp.Partition)
	}
	a.Normalize()
	return a
}

// Normalize sorts every topic's partitions and drops topics with none.
func (a Assignment) Normalize() {
	for t, ps := range a {
		if len(ps) == 0 {
			delete(a, t)
			continue
		}
		slices.Sort(ps)
	}
}

// Len is the number of partitions held.
func (a Assignment) Len() int {
	n := 0
	for _, ps := range a {
		n += len(ps)
	}
	return n
}

// Partitions lists the held partitions sorted by topic, then partition.
func (a Assignment) Partitions() []TopicPartition {
	out := make([]TopicPartition, 0, a.Len())
	for t, ps := range a {
		for _, p := range ps {
			out = append(out, TopicPartition{t, p})
		}
	}
	SortPartitions(out)
	return out
}

// Has reports whether tp is held.
func (a Assignment) Has(tp TopicPartition) bool {
	return slices.Contains(a[tp.Topic], tp.Partition)
}

// Clone returns a deep copy.
func (a Assignment) Clone() Assignment {
	if a == nil {
		return nil
	}
	out := make(Assignment, len(a))
	for t, ps := range a {
		out[t] = slices.Clone(ps)
	}
	return out
}

// Equal reports whether a and b hold the same partitions, in any order.
func (a Assignment) Equal(b Assignment) bool {
	return slices.Equal(a.Partitions(), b.Partitions())
}

// String is the compact text form: "t1[0 1] t2[0]", topics sorted; "-" when empty.
func (a Assignment) String() string {
	return FormatPartitions(a.Partitions())
}

// FormatPartitions prints sorted partitions grouped by topic: "t1[0 1] t2[0]";
// "-" when there are none.
func FormatPartitions(tps []TopicPartition) string {
	if len(tps) == 0 {
		return "-"
	}
	var b strings.Builder
	for i, tp := range tps {
		switch {
		case i == 0:
			b.WriteString(tp.Topic + "[")
		case tp.Topic != tps[i-1].Topic:
			b.WriteString("] " + tp.Topic + "[")
		default:
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(int64(tp.Partition), 10))
	}
	b.WriteByte(']')
	return b.String()
}

// SortedKeys returns the keys of m in ascending order. Iterating a map through
// it is how kgroup keeps map order out of its outputs.
func SortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
