package assignors

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/spec"
)

// kafkaBytes builds the classic encoding by hand, field by field, from
// Kafka's schemas (ConsumerProtocolSubscription.json,
// ConsumerProtocolAssignment.json), independently of wireWriter.
type kafkaBytes []byte

func (k kafkaBytes) i16(v int16) kafkaBytes { return binary.BigEndian.AppendUint16(k, uint16(v)) }
func (k kafkaBytes) i32(v int32) kafkaBytes { return binary.BigEndian.AppendUint32(k, uint32(v)) }
func (k kafkaBytes) str(s string) kafkaBytes {
	return append(k.i16(int16(len(s))), s...)
}
func (k kafkaBytes) strs(ss ...string) kafkaBytes {
	k = k.i32(int32(len(ss)))
	for _, s := range ss {
		k = k.str(s)
	}
	return k
}
func (k kafkaBytes) data(b []byte) kafkaBytes { return append(k.i32(int32(len(b))), b...) }
func (k kafkaBytes) entry(topic string, ps ...int32) kafkaBytes {
	k = k.str(topic).i32(int32(len(ps)))
	for _, p := range ps {
		k = k.i32(p)
	}
	return k
}

// The layouts of every subscription version, as Java writes them.
func TestSubscriptionKafkaLayout(t *testing.T) {
	ud := []byte{1, 2, 3}
	owned := []spec.TopicPartition{tp("b", 2), tp("b", 0), tp("a", 1)}
	full := spec.Subscription{Topics: []string{"b", "a"}, UserData: ud, OwnedPartitions: owned, GenerationID: 7, RackID: "r1"}
	head := func(v int16) kafkaBytes { return kafkaBytes{}.i16(v).strs("b", "a").data(ud) }
	ownedBytes := func(k kafkaBytes) kafkaBytes { return k.i32(2).entry("b", 2, 0).entry("a", 1) }
	for _, c := range []struct {
		version int16
		bytes   kafkaBytes
		want    spec.Subscription
	}{
		{0, head(0), spec.Subscription{Topics: full.Topics, UserData: ud, GenerationID: -1}},
		{1, ownedBytes(head(1)), spec.Subscription{Topics: full.Topics, UserData: ud, OwnedPartitions: owned, GenerationID: -1}},
		{2, ownedBytes(head(2)).i32(7), spec.Subscription{Topics: full.Topics, UserData: ud, OwnedPartitions: owned, GenerationID: 7}},
		{3, ownedBytes(head(3)).i32(7).str("r1"), full},
	} {
		got, err := DecodeSubscription(c.bytes)
		if err != nil || !cmp.Equal(got, c.want) {
			t.Errorf("version %d: decoded %+v (%v), want %+v", c.version, got, err, c.want)
		}
		enc, err := EncodeSubscription(c.version, full)
		if err != nil || !bytes.Equal(enc, c.bytes) {
			t.Errorf("version %d: encoded %x (%v), Kafka's layout is %x", c.version, enc, err, []byte(c.bytes))
		}
	}
	// Null user data and rack, and Kafka's forward compatibility: a newer
	// version is read as version 3 and what follows is ignored.
	b := ownedBytes(kafkaBytes{}.i16(9).strs("t").i32(-1)).i32(2).i16(-1)
	b = append(b, "fields of a future version"...)
	want := spec.Subscription{Topics: []string{"t"}, OwnedPartitions: owned, GenerationID: 2}
	if got, err := DecodeSubscription(b); err != nil || !cmp.Equal(got, want) {
		t.Errorf("version 9: decoded %+v (%v), want %+v", got, err, want)
	}
	if _, err := EncodeSubscription(4, full); err == nil {
		t.Error("wrote subscription version 4, which does not exist")
	}
}

// Every way a subscription can be malformed is an error naming the field,
// and no count or length from the bytes is trusted before it is checked.
func TestSubscriptionRejectsMalformed(t *testing.T) {
	good := kafkaBytes{}.i16(3).strs("topic").i32(-1).i32(1).entry("topic", 0, 1).i32(4).i16(-1)
	for n := range len(good) {
		if _, err := DecodeSubscription(good[:n]); err == nil {
			t.Errorf("decoded the first %d of %d bytes", n, len(good))
		}
	}
	for name, c := range map[string]struct {
		b    kafkaBytes
		want string
	}{
		"negative version":          {kafkaBytes{}.i16(-1).strs().i32(-1), "version -1"},
		"null topics":               {kafkaBytes{}.i16(0).i32(-1).i32(-1), "topics count is -1"},
		"topics count past the end": {kafkaBytes{}.i16(0).i32(1 << 30).str("t"), "topics count 1073741824 needs at least"},
		"null topic name":           {kafkaBytes{}.i16(0).i32(1).i16(-1).i32(-1), "topic has length -1"},
		"name past the end":         {kafkaBytes{}.i16(0).i32(1).i16(9).i32(-1), "topic needs 9 bytes"},
		"user data past the end":    {kafkaBytes{}.i16(0).strs().i32(5).i16(0), "user data needs 5 bytes"},
		"null owned partitions":     {kafkaBytes{}.i16(1).strs().i32(-1).i32(-1), "owned partitions count is -1"},
		"partitions past the end":   {kafkaBytes{}.i16(1).strs().i32(-1).i32(1).str("t").i32(1 << 29), "owned partitions partitions count 536870912 needs at least"},
		"negative partition count":  {kafkaBytes{}.i16(1).strs().i32(-1).i32(1).str("t").i32(-3), "owned partitions partitions count is -3"},
	} {
		if _, err := DecodeSubscription(c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
}

// Encoding then decoding gives the subscription back, in every version (less
// the fields the version lacks), and arbitrary bytes decode or fail without
// panicking.
func TestSubscriptionRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.StringMatching(`[a-z.-]{0,5}`)
		sub := spec.Subscription{
			Topics:          rapid.SliceOf(name).Draw(t, "topics"),
			UserData:        rapid.OneOf(rapid.Just[[]byte](nil), rapid.SliceOf(rapid.Byte())).Draw(t, "user data"),
			OwnedPartitions: rapid.SliceOf(rapid.Custom(func(t *rapid.T) spec.TopicPartition { return tp(name.Draw(t, "topic"), rapid.Int32().Draw(t, "p")) })).Draw(t, "owned"),
			GenerationID:    rapid.Int32().Draw(t, "generation"),
			RackID:          name.Draw(t, "rack"),
		}
		version := rapid.Int16Range(0, SubscriptionVersion).Draw(t, "version")
		b, err := EncodeSubscription(version, sub)
		if err != nil {
			t.Fatal(err)
		}
		want := sub
		if version < 3 {
			want.RackID = ""
		}
		if version < 2 {
			want.GenerationID = -1
		}
		if version < 1 {
			want.OwnedPartitions = nil
		}
		got, err := DecodeSubscription(b)
		if err != nil || !cmp.Equal(got, want, cmpopts.EquateEmpty()) || (got.UserData == nil) != (want.UserData == nil) {
			t.Fatalf("version %d: %+v decoded as %+v (%v)", version, want, got, err)
		}
		_, _ = DecodeSubscription(rapid.SliceOf(rapid.Byte()).Draw(t, "junk"))
		_, _, _ = DecodeAssignment(rapid.SliceOf(rapid.Byte()).Draw(t, "junk assignment"))
	})
}

func TestAssignmentKafkaLayout(t *testing.T) {
	a := spec.Assignment{"b": {3, 1}, "a": {0}, "empty": {}}
	want := kafkaBytes{}.i16(3).i32(2).entry("a", 0).entry("b", 3, 1).data([]byte{9})
	got, err := EncodeAssignment(a, []byte{9})
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("encoded %x (%v), Kafka's layout is %x", got, err, []byte(want))
	}
	back, ud, err := DecodeAssignment(want)
	if err != nil || !cmp.Equal(back, spec.Assignment{"a": {0}, "b": {3, 1}}) || !bytes.Equal(ud, []byte{9}) {
		t.Errorf("decoded %v, user data %x (%v)", back, ud, err)
	}
	null := kafkaBytes{}.i16(0).i32(0).i32(-1)
	if back, ud, err := DecodeAssignment(null); err != nil || len(back) != 0 || ud != nil {
		t.Errorf("empty version-0 assignment decoded as %v, %x (%v)", back, ud, err)
	}
	for n := range len(want) {
		if _, _, err := DecodeAssignment(want[:n]); err == nil {
			t.Errorf("decoded the first %d of %d bytes", n, len(want))
		}
	}
}

// Kafka's STRING has an int16 length: a longer topic name cannot be written.
// Before the fix the sticky user data wrote its length as uint16 and read it
// as int16, so a name over 32767 bytes made every member's user data
// unreadable and silently dropped all their ownership.
func TestLongTopicNames(t *testing.T) {
	longest, tooLong := strings.Repeat("x", maxWireString), strings.Repeat("y", maxWireString+1)
	owned := []spec.TopicPartition{tp(longest, 0), tp(tooLong, 1), tp("t", 2)}
	if _, err := (Sticky{}).AppendUserData(nil, owned, 3); err == nil {
		t.Error("AppendUserData wrote a 32768-byte topic name")
	}
	b := Sticky{}.EncodeUserData(owned, 3)
	got, gen, err := Sticky{}.DecodeUserData(b)
	if want := []spec.TopicPartition{tp("t", 2), tp(longest, 0)}; err != nil || gen != 3 || !cmp.Equal(got, want) {
		t.Errorf("EncodeUserData kept %v at %d (%v), want the encodable %v", got, gen, err, want)
	}
	m := MemberFromSubscription(Sticky{}, "m", "", spec.Subscription{Topics: []string{"t"}, UserData: b})
	if len(m.Owned) != 2 {
		t.Errorf("the member's other ownership was dropped: %v", m.Owned)
	}
	// What the old encoder wrote: the length as uint16. Reading it back is an
	// error, not a silently different name.
	old := kafkaBytes{}.i32(1).i16(int16(len(tooLong) - 65536))
	old = append(old, tooLong...)
	old = old.i32(1).i32(1).i32(3)
	if _, _, err := (Sticky{}).DecodeUserData(old); err == nil || !strings.Contains(err.Error(), "length -32768") {
		t.Errorf("decoded a negative name length: %v", err)
	}
	for _, sub := range []spec.Subscription{{Topics: []string{tooLong}}, {OwnedPartitions: owned}, {RackID: tooLong}} {
		if _, err := EncodeSubscription(SubscriptionVersion, sub); err == nil {
			t.Errorf("EncodeSubscription wrote a 32768-byte string")
		}
	}
	if _, err := EncodeAssignment(spec.Assignment{tooLong: {0}}, nil); err == nil {
		t.Error("EncodeAssignment wrote a 32768-byte topic name")
	}
	if b, err := EncodeSubscription(SubscriptionVersion, spec.Subscription{Topics: []string{longest}}); err != nil {
		t.Error(err)
	} else if got, err := DecodeSubscription(b); err != nil || got.Topics[0] != longest {
		t.Errorf("a 32767-byte name did not round-trip: %v", err)
	}
}

func FuzzDecodeSubscription(f *testing.F) {
	f.Add([]byte(kafkaBytes{}.i16(3).strs("topic").i32(-1).i32(1).entry("topic", 0, 1).i32(4).i16(-1)))
	f.Add([]byte(kafkaBytes{}.i16(0).strs("a", "b").data(Sticky{}.EncodeUserData([]spec.TopicPartition{tp("a", 1)}, 2))))
	f.Fuzz(func(t *testing.T, b []byte) {
		sub, err := DecodeSubscription(b)
		if err != nil {
			return
		}
		v := binary.BigEndian.Uint16(b)
		again, err := EncodeSubscription(min(int16(v), SubscriptionVersion), sub)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := DecodeSubscription(again); err != nil || !back.Equal(sub) {
			t.Fatalf("re-encoding %+v gave %+v (%v)", sub, back, err)
		}
	})
}
