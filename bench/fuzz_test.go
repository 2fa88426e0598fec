package bench

import (
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/spec"
)

// kmsgLenient matches kgroup's errors for bytes franz-go's kmsg reads but
// Kafka refuses: a negative version (Kafka: "unsupported version"), and a
// negative length or count where the schema allows no null (Kafka:
// "non-nullable field ... was serialized as null"); kmsg reads those as
// version < 1, empty strings and empty arrays.
var kmsgLenient = regexp.MustCompile(`: (version -\d+|\w[\w ]* has length -\d+|\w[\w ]* count is -\d+)$`)

// FuzzSubscriptionVsKmsg: any bytes as a ConsumerProtocolSubscription, read
// by kgroup and by franz-go's kmsg (ConsumerMemberMetadata). What kgroup
// accepts kmsg accepts with every field equal; what only kmsg accepts is
// one of kmsgLenient's cases.
func FuzzSubscriptionVsKmsg(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		sub, err := assignors.DecodeSubscription(b)
		var km kmsg.ConsumerMemberMetadata
		kerr := km.ReadFrom(b)
		switch {
		case err != nil && kerr != nil:
		case err != nil:
			if !kmsgLenient.MatchString(err.Error()) {
				t.Fatalf("kgroup refuses %x (%v); kmsg reads %+v", b, err, km)
			}
		case kerr != nil:
			t.Fatalf("kgroup reads %x as %+v; kmsg refuses it: %v", b, sub, kerr)
		default:
			if d := cmp.Diff(fromKmsg(km), sub); d != "" {
				t.Fatalf("%x read differently (-kmsg +kgroup):\n%s", b, d)
			}
		}
	})
}

// fromKmsg is km in kgroup's terms: owned partitions in their order, null
// and empty rack both "", the user data's null kept.
func fromKmsg(km kmsg.ConsumerMemberMetadata) spec.Subscription {
	s := spec.Subscription{Topics: km.Topics, UserData: km.UserData, GenerationID: km.Generation}
	if km.Version < 2 {
		s.GenerationID = -1
	}
	if km.Rack != nil {
		s.RackID = *km.Rack
	}
	if s.Topics == nil {
		s.Topics = []string{}
	}
	for _, o := range km.OwnedPartitions {
		for _, p := range o.Partitions {
			s.OwnedPartitions = append(s.OwnedPartitions, spec.TopicPartition{Topic: o.Topic, Partition: p})
		}
	}
	return s
}

// TestSubscriptionVsKmsgCorpus keeps FuzzSubscriptionVsKmsg's seeds
// committed: subscriptions at every version, written by kgroup and by kmsg.
func TestSubscriptionVsKmsgCorpus(t *testing.T) {
	rack := "r1"
	var seeds [][]byte
	for v := range assignors.SubscriptionVersion + 1 {
		sub := spec.Subscription{Topics: []string{"a", "b"}, UserData: []byte{0, 0, 0, 0, 0, 0, 0, 1},
			OwnedPartitions: []spec.TopicPartition{{Topic: "a", Partition: 0}, {Topic: "b", Partition: 2}}, GenerationID: 3, RackID: rack}
		b, err := assignors.EncodeSubscription(v, sub)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
		km := kmsg.NewConsumerMemberMetadata()
		km.Version, km.Topics, km.Generation, km.Rack = v, []string{"t"}, 7, &rack
		km.OwnedPartitions = []kmsg.ConsumerMemberMetadataOwnedPartition{{Topic: "t", Partitions: []int32{1, 0}}}
		seeds = append(seeds, km.AppendTo(nil))
	}
	seeds = append(seeds, slices.Concat(seeds[0], []byte{9, 9}), []byte{0xff, 0xff, 0, 0, 0, 0})
	fuzzcorpus.Seeds(t, "FuzzSubscriptionVsKmsg", seeds)
}
