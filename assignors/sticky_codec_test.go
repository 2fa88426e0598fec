package assignors

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/spec"
)

// kafkaStickyUserData builds StickyAssignor user data by hand from Kafka's
// schema (StickyAssignor.STICKY_ASSIGNOR_USER_DATA_V0/V1): an int32-counted
// array of {int16-length topic, int32-counted int32 partitions}, then the
// int32 generation in version 1.
func kafkaStickyUserData(assignment []spec.TopicPartition, generation *int32) []byte {
	a := spec.AssignmentOf(assignment)
	b := binary.BigEndian.AppendUint32(nil, uint32(len(a)))
	for _, t := range spec.SortedKeys(a) {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t)))
		b = append(b, t...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(a[t])))
		for _, p := range a[t] {
			b = binary.BigEndian.AppendUint32(b, uint32(p))
		}
	}
	if generation != nil {
		b = binary.BigEndian.AppendUint32(b, uint32(*generation))
	}
	return b
}

func gen(g int32) *int32 { return &g }

// StickyAssignorTest.testSchemaBackwardCompatibility and testMemberData: both
// schema versions decode, and kgroup writes exactly Java's version 1 bytes.
func TestStickyUserDataKafkaFormat(t *testing.T) {
	owned := []spec.TopicPartition{tp("topic2", 1), tp("topic1", 0), tp("topic1", 2)}
	sorted := spec.AssignmentOf(owned).Partitions()
	for _, g := range []int32{-1, 0, 7} {
		want := kafkaStickyUserData(owned, gen(g))
		if got := (Sticky{}).EncodeUserData(owned, g); !cmp.Equal(got, want) {
			t.Errorf("generation %d: encoded %x, Java writes %x", g, got, want)
		}
		gotOwned, gotGen, err := Sticky{}.DecodeUserData(want)
		if err != nil || gotGen != g || !cmp.Equal(gotOwned, sorted) {
			t.Errorf("version 1, generation %d: decoded %v at %d (%v)", g, gotOwned, gotGen, err)
		}
	}
	gotOwned, gotGen, err := Sticky{}.DecodeUserData(kafkaStickyUserData(owned, nil))
	if err != nil || gotGen != -1 || !cmp.Equal(gotOwned, sorted) {
		t.Errorf("version 0: decoded %v at %d (%v), want %v at -1", gotOwned, gotGen, err, sorted)
	}
	for _, bad := range [][]byte{{0, 0}, {0, 0, 0, 1, 0, 5, 't'}, {0, 0, 0, 0, 0, 0}} {
		if _, _, err := (Sticky{}).DecodeUserData(bad); err == nil {
			t.Errorf("decoded malformed user data %x", bad)
		}
	}
}

// CooperativeStickyAssignorTest.testEncodeAndDecodeGeneration: the user data
// is just the generation.
func TestCooperativeUserData(t *testing.T) {
	for _, g := range []int32{-1, 10} {
		b := CooperativeSticky{}.EncodeUserData([]spec.TopicPartition{tp("t", 0)}, g)
		if want := binary.BigEndian.AppendUint32(nil, uint32(g)); !cmp.Equal(b, want) {
			t.Errorf("encoded %x, want %x", b, want)
		}
		owned, got, err := CooperativeSticky{}.DecodeUserData(b)
		if err != nil || got != g || owned != nil {
			t.Errorf("decoded %v at %d (%v), want nothing at %d", owned, got, err, g)
		}
	}
	if _, _, err := (CooperativeSticky{}).DecodeUserData([]byte{1, 2}); err == nil {
		t.Error("decoded a 2-byte generation")
	}
}

// MemberFromSubscription with the sticky codecs, after Kafka's memberData tests.
func TestStickyMemberFromSubscription(t *testing.T) {
	owned := []spec.TopicPartition{tp("topic1", 0), tp("topic2", 1)}
	for name, c := range map[string]struct {
		a         Assignor
		sub       spec.Subscription
		wantOwned []spec.TopicPartition
		wantGen   int32
	}{
		// StickyAssignorTest.testMemberData (eager members send no owned partitions)
		"sticky reads user data": {Sticky{}, spec.Subscription{Topics: []string{"topic"},
			UserData: Sticky{}.EncodeUserData(owned, 1), GenerationID: -1}, owned, 1},
		// CooperativeStickyAssignorTest.testMemberDataWithInconsistentData
		"cooperative: owned from the subscription, generation from user data": {CooperativeSticky{},
			spec.Subscription{Topics: []string{"topic"}, OwnedPartitions: []spec.TopicPartition{tp("topic", 0)},
				UserData: CooperativeSticky{}.EncodeUserData(nil, 1), GenerationID: -1},
			[]spec.TopicPartition{tp("topic", 0)}, 1},
		// CooperativeStickyAssignorTest.testMemberDataWithEmptyPartitionsAndHigherGeneration
		"cooperative: the subscription's generation wins": {CooperativeSticky{}, spec.Subscription{Topics: []string{"topic"},
			UserData: CooperativeSticky{}.EncodeUserData(owned, 0), GenerationID: 1}, nil, 1},
		// CooperativeStickyAssignorTest.testDecodeGeneration
		"cooperative: no user data": {CooperativeSticky{}, spec.Subscription{Topics: []string{"topic"}, GenerationID: -1}, nil, -1},
		// StickyAssignorTest.testMemberDataWillHonorUserData: the eager sticky
		// assignor ignores the subscription's fields.
		"sticky ignores the fields": {Sticky{}, spec.Subscription{Topics: []string{"topic"}, OwnedPartitions: []spec.TopicPartition{tp("topic", 0)},
			UserData: Sticky{}.EncodeUserData(owned, 2), GenerationID: 5}, owned, 2},
		"sticky without user data owns nothing": {Sticky{}, spec.Subscription{Topics: []string{"topic"},
			OwnedPartitions: []spec.TopicPartition{tp("topic", 0)}, GenerationID: 5}, nil, -1},
		// StickyAssignor.deserializeTopicPartitionAssignment: unparsable user
		// data is ignored.
		"sticky with junk user data owns nothing": {Sticky{}, spec.Subscription{Topics: []string{"topic"},
			UserData: []byte{0, 0, 0, 9}, GenerationID: -1}, nil, -1},
		"cooperative with junk user data": {CooperativeSticky{}, spec.Subscription{Topics: []string{"topic"},
			OwnedPartitions: []spec.TopicPartition{tp("topic", 0)}, UserData: []byte{7}, GenerationID: -1},
			[]spec.TopicPartition{tp("topic", 0)}, -1},
	} {
		m := MemberFromSubscription(c.a, "m", "", c.sub)
		if !cmp.Equal(m.Owned, c.wantOwned) || m.Generation != c.wantGen {
			t.Errorf("%s: owned %v at %d, want %v at %d", name, m.Owned, m.Generation, c.wantOwned, c.wantGen)
		}
	}
}

// Round trips, and arbitrary bytes decode or fail without panicking.
func TestStickyUserDataProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		owned := rapid.SliceOf(rapid.Custom(func(t *rapid.T) spec.TopicPartition {
			return tp(rapid.StringMatching(`[a-z.-]{0,6}`).Draw(t, "topic"), rapid.Int32Range(0, 1<<20).Draw(t, "partition"))
		})).Draw(t, "owned")
		g := rapid.Int32().Draw(t, "generation")
		got, gotGen, err := Sticky{}.DecodeUserData(Sticky{}.EncodeUserData(owned, g))
		if want := spec.AssignmentOf(owned).Partitions(); err != nil || gotGen != g || !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
			t.Fatalf("round trip: %v at %d (%v), want %v at %d", got, gotGen, err, want, g)
		}
		junk := rapid.SliceOf(rapid.Byte()).Draw(t, "junk")
		_, _, _ = Sticky{}.DecodeUserData(junk)
		_, _, _ = CooperativeSticky{}.DecodeUserData(junk)
	})
}
