package serve

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TopicSpec is one topic the server holds: a name and a partition count.
type TopicSpec struct {
	Name       string
	Partitions int32
}

// ParseTopics reads "orders:6,payments:3".
func ParseTopics(s string) ([]TopicSpec, error) {
	var out []TopicSpec
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, count, ok := strings.Cut(part, ":")
		n, err := strconv.ParseInt(count, 10, 32)
		switch {
		case !ok || err != nil || n < 1 || n > maxPartitions:
			return nil, fmt.Errorf("topic %q: want NAME:PARTITIONS with 1 to %d partitions", part, maxPartitions)
		case !validTopic(name):
			return nil, fmt.Errorf("topic %q: a name is 1 to 249 of [a-zA-Z0-9._-] (Kafka's Topic.validate)", name)
		case seen[name]:
			return nil, fmt.Errorf("topic %q is listed twice", name)
		}
		seen[name] = true
		out = append(out, TopicSpec{name, int32(n)})
	}
	return out, nil
}

// maxPartitions bounds a topic's partitions on this in-memory server.
const maxPartitions = 10000

func validTopic(name string) bool {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// topicID is a topic's id (Kafka's Uuid): the first 16 bytes of the
// SHA-256 of "kgroup topic " and the name. It is fixed by the name, so a
// restarted server, a test and a client all see the same id, and kgroup
// serve needs no id registry: Metadata v10+ gives it (clients map ids to
// names with it, as KIP-848's ConsumerGroupHeartbeat and OffsetCommit
// v10+ name topics by id), and ConsumerGroupHeartbeat answers encode an
// assigned topic's id from its name. Kafka draws ids at random, never the
// zero id or 1 (its reserved ZERO_UUID and METADATA_TOPIC_ID); a hash
// prefix is one of them with probability 2^-127.
func topicID(name string) [16]byte {
	sum := sha256.Sum256([]byte("kgroup topic " + name))
	var id [16]byte
	copy(id[:], sum[:16])
	return id
}

// store holds the topics' records in memory, as record batches (magic 2)
// exactly as producers sent them, each rewritten only in its base offset,
// which no checksum covers. It is safe for concurrent use: connections
// produce and fetch directly, outside the coordinator's goroutine.
type store struct {
	mu     sync.Mutex
	topics map[string]*topic
	byID   map[[16]byte]string // topic names by id
	order  []string            // topic names as configured
	// grew is closed and replaced whenever records are appended, waking
	// fetches that wait for data.
	grew chan struct{}
}

type topic struct {
	id         [16]byte
	partitions []*partitionLog
}

type partitionLog struct {
	batches []storedBatch
	next    int64 // the high watermark: the offset the next record gets
	bytes   int64
}

type storedBatch struct {
	base, last int64 // offsets of the first and last record
	maxTS      int64
	raw        []byte
}

// maxLogBytes bounds what one partition holds in memory; a produce beyond
// it is answered RECORD_LIST_TOO_LARGE.
const maxLogBytes = 256 << 20

func newStore(specs []TopicSpec) *store {
	s := &store{topics: map[string]*topic{}, byID: map[[16]byte]string{}, grew: make(chan struct{})}
	for _, ts := range specs {
		t := &topic{id: topicID(ts.Name)}
		for range ts.Partitions {
			t.partitions = append(t.partitions, &partitionLog{})
		}
		s.topics[ts.Name] = t
		s.byID[t.id] = ts.Name
		s.order = append(s.order, ts.Name)
	}
	return s
}

// partitionCounts returns every topic's partition count.
func (s *store) partitionCounts() map[string]int32 {
	out := make(map[string]int32, len(s.topics))
	for name, t := range s.topics {
		out[name] = int32(len(t.partitions))
	}
	return out
}

// nameOf finds a topic by id. The topics are fixed at the start, so
// reading them needs no lock.
func (s *store) nameOf(id [16]byte) (string, bool) {
	name, ok := s.byID[id]
	return name, ok
}

func (s *store) log(name string, p int32) *partitionLog {
	t, ok := s.topics[name]
	if !ok || p < 0 || int(p) >= len(t.partitions) {
		return nil
	}
	return t.partitions[p]
}

// Kafka's error codes for the data path.
const (
	errOffsetOutOfRange    int16 = 1
	errCorruptMessage      int16 = 2
	errUnknownTopic        int16 = 3
	errMessageTooLarge     int16 = 10
	errRecordListTooLarge  int16 = 18
	errInvalidRecord       int16 = 87
	errUnsupportedForFmt   int16 = 43
	errFetchSessionMissing int16 = 70
)

// The v2 record batch layout (DefaultRecordBatch.java).
const (
	batchHeaderBytes   = 61
	offLength          = 8
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offMaxTimestamp    = 35
	attrTransactional  = 1 << 4
	attrControl        = 1 << 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// splitBatches checks a Produce's records, one or more v2 batches, and
// returns them: a checksum, a size or a magic byte that is wrong gets
// Kafka's error (CORRUPT_MESSAGE, UNSUPPORTED_FOR_MESSAGE_FORMAT).
func splitBatches(b []byte) ([][]byte, int16) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < batchHeaderBytes {
			return nil, errCorruptMessage
		}
		n := int64(int32(binary.BigEndian.Uint32(b[offLength:]))) + 12
		switch {
		case n < batchHeaderBytes || n > int64(len(b)):
			return nil, errCorruptMessage
		case b[offMagic] != 2:
			return nil, errUnsupportedForFmt
		case binary.BigEndian.Uint32(b[offCRC:]) != crc32.Checksum(b[offAttributes:n], castagnoli):
			return nil, errCorruptMessage
		case binary.BigEndian.Uint16(b[offAttributes:])&(attrTransactional|attrControl) != 0:
			return nil, errInvalidRecord // kgroup serve has no transactions
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	if len(out) == 0 {
		return nil, errCorruptMessage
	}
	return out, 0
}

// produce appends a Produce's batches to a partition and returns the base
// offset of the first, or Kafka's error code.
func (s *store) produce(name string, p int32, records []byte) (int64, int16) {
	batches, code := splitBatches(records)
	if code != 0 {
		return -1, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log(name, p)
	if l == nil {
		return -1, errUnknownTopic
	}
	if l.bytes+int64(len(records)) > maxLogBytes {
		return -1, errRecordListTooLarge
	}
	base := l.next
	for _, b := range batches {
		raw := slices.Clone(b)
		binary.BigEndian.PutUint64(raw, uint64(l.next))
		delta := int64(int32(binary.BigEndian.Uint32(raw[offLastOffsetDelta:])))
		if delta < 0 {
			delta = 0
		}
		sb := storedBatch{base: l.next, last: l.next + delta, maxTS: int64(binary.BigEndian.Uint64(raw[offMaxTimestamp:])), raw: raw}
		l.batches = append(l.batches, sb)
		l.next = sb.last + 1
		l.bytes += int64(len(raw))
	}
	close(s.grew)
	s.grew = make(chan struct{})
	return base, 0
}

// fetched is one partition's answer to a fetch.
type fetched struct {
	code          int16
	highWatermark int64
	records       []byte // never nil: segmentio/kafka-go rejects a null Records field
}

// fetch returns the batches of a partition from offset on, at most maxBytes
// of them but always at least one if any (KIP-74).
func (s *store) fetch(name string, p int32, offset int64, maxBytes int32) fetched {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log(name, p)
	if l == nil {
		return fetched{code: errUnknownTopic, highWatermark: -1, records: []byte{}}
	}
	out := fetched{highWatermark: l.next, records: []byte{}}
	if offset < 0 || offset > l.next {
		out.code = errOffsetOutOfRange
		return out
	}
	i, _ := slices.BinarySearchFunc(l.batches, offset, func(b storedBatch, o int64) int {
		if b.last < o {
			return -1
		}
		return 1
	})
	for ; i < len(l.batches); i++ {
		raw := l.batches[i].raw
		if len(out.records) > 0 && len(out.records)+len(raw) > int(maxBytes) {
			break
		}
		out.records = append(out.records, raw...)
	}
	return out
}

// offsetFor answers ListOffsets for one partition: -1 is the latest offset
// (the high watermark), -2 the earliest (0: nothing is ever deleted), -3
// the offset of the record with the largest timestamp (KIP-734), and a
// timestamp the first offset whose batch reaches it (by batch: this server
// does not decode records).
func (s *store) offsetFor(name string, p int32, ts int64) (int64, int16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log(name, p)
	if l == nil {
		return -1, errUnknownTopic
	}
	switch ts {
	case -1:
		return l.next, 0
	case -2:
		return 0, 0
	case -3:
		if len(l.batches) == 0 {
			return -1, 0
		}
		return l.batches[len(l.batches)-1].last, 0
	}
	for _, b := range l.batches {
		if b.maxTS >= ts {
			return b.base, 0
		}
	}
	return -1, 0
}

// highWatermark is a partition's next offset, -1 if it does not exist.
func (s *store) highWatermark(name string, p int32) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.log(name, p); l != nil {
		return l.next
	}
	return -1
}

// watch returns a channel closed at the next append: take it before
// looking at the data, then wait on it (waitGrow).
func (s *store) watch() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grew
}

// waitGrow waits until grew closes, d passes, or done closes.
func waitGrow(grew <-chan struct{}, d time.Duration, done <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-grew:
	case <-t.C:
	case <-done:
	}
}
