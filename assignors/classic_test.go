package assignors

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/spec"
)

func dyn(id string, topics ...string) Member { return Member{ID: id, Topics: topics, Generation: -1} }
func static(id, instance string, topics ...string) Member {
	return Member{ID: id, InstanceID: instance, Topics: topics, Generation: -1}
}

// Cases from Kafka's RangeAssignorTest and RoundRobinAssignorTest
// (clients/src/test/java/org/apache/kafka/clients/consumer/), by test name.
func TestKafkaScenarios(t *testing.T) {
	cases := []struct {
		kafkaTest string
		a         Assignor
		topics    map[string]int32
		members   []Member
		want      Plan
	}{
		{"RangeAssignorTest.testOneConsumerNoTopic", Range{}, map[string]int32{}, []Member{dyn("c")},
			Plan{"c": {}}},
		{"RangeAssignorTest.testOneConsumerNonexistentTopic", Range{}, map[string]int32{}, []Member{dyn("c", "topic")},
			Plan{"c": {}}},
		{"RangeAssignorTest.testOneConsumerOneTopic", Range{}, map[string]int32{"topic": 3}, []Member{dyn("c", "topic")},
			Plan{"c": {"topic": {0, 1, 2}}}},
		{"RangeAssignorTest.testOnlyAssignsPartitionsFromSubscribedTopics", Range{}, map[string]int32{"topic": 3, "other": 3},
			[]Member{dyn("c", "topic")}, Plan{"c": {"topic": {0, 1, 2}}}},
		{"RangeAssignorTest.testTwoConsumersOneTopicOnePartition", Range{}, map[string]int32{"topic": 1},
			[]Member{dyn("consumer1", "topic"), dyn("consumer2", "topic")}, Plan{"consumer1": {"topic": {0}}, "consumer2": {}}},
		{"RangeAssignorTest.testMultipleConsumersMixedTopics", Range{}, map[string]int32{"topic1": 3, "topic2": 2},
			[]Member{dyn("consumer1", "topic1"), dyn("consumer2", "topic1", "topic2"), dyn("consumer3", "topic1")},
			Plan{"consumer1": {"topic1": {0}}, "consumer2": {"topic1": {1}, "topic2": {0, 1}}, "consumer3": {"topic1": {2}}}},
		{"RangeAssignorTest.testTwoConsumersTwoTopicsSixPartitions", Range{}, map[string]int32{"topic1": 3, "topic2": 3},
			[]Member{dyn("consumer1", "topic1", "topic2"), dyn("consumer2", "topic1", "topic2")},
			Plan{"consumer1": {"topic1": {0, 1}, "topic2": {0, 1}}, "consumer2": {"topic1": {2}, "topic2": {2}}}},
		// Static members sort by instance id, ahead of dynamic ones, whatever their member ids.
		{"RangeAssignorTest.testTwoStaticConsumersTwoTopicsSixPartitions", Range{}, map[string]int32{"topic1": 3, "topic2": 3},
			[]Member{static("consumer1", "instance2", "topic1", "topic2"), static("consumer2", "instance1", "topic1", "topic2")},
			Plan{"consumer2": {"topic1": {0, 1}, "topic2": {0, 1}}, "consumer1": {"topic1": {2}, "topic2": {2}}}},
		{"RangeAssignorTest.testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions", Range{},
			map[string]int32{"topic1": 3, "topic2": 3},
			[]Member{dyn("consumer1", "topic1", "topic2"), static("consumer2", "instance2", "topic1", "topic2")},
			Plan{"consumer2": {"topic1": {0, 1}, "topic2": {0, 1}}, "consumer1": {"topic1": {2}, "topic2": {2}}}},
		{"RoundRobinAssignorTest.testOneConsumerMultipleTopics", RoundRobin{}, map[string]int32{"topic1": 1, "topic2": 2},
			[]Member{dyn("c", "topic1", "topic2")}, Plan{"c": {"topic1": {0}, "topic2": {0, 1}}}},
		{"RoundRobinAssignorTest.testMultipleConsumersMixedTopics", RoundRobin{}, map[string]int32{"topic1": 3, "topic2": 2},
			[]Member{dyn("consumer1", "topic1"), dyn("consumer2", "topic1", "topic2"), dyn("consumer3", "topic1")},
			Plan{"consumer1": {"topic1": {0}}, "consumer2": {"topic1": {1}, "topic2": {0, 1}}, "consumer3": {"topic1": {2}}}},
		{"RoundRobinAssignorTest.testTwoDynamicConsumersTwoTopicsSixPartitions", RoundRobin{}, map[string]int32{"topic1": 3, "topic2": 3},
			[]Member{dyn("consumer1", "topic1", "topic2"), dyn("consumer2", "topic1", "topic2")},
			Plan{"consumer1": {"topic1": {0, 2}, "topic2": {1}}, "consumer2": {"topic1": {1}, "topic2": {0, 2}}}},
		{"RoundRobinAssignorTest.testTwoStaticConsumersTwoTopicsSixPartitions", RoundRobin{}, map[string]int32{"topic1": 3, "topic2": 3},
			[]Member{static("consumer1", "instance1", "topic1", "topic2"), static("consumer2", "instance2", "topic1", "topic2")},
			Plan{"consumer1": {"topic1": {0, 2}, "topic2": {1}}, "consumer2": {"topic1": {1}, "topic2": {0, 2}}}},
	}
	for _, c := range cases {
		t.Run(c.kafkaTest, func(t *testing.T) {
			got, err := c.a.Assign(c.topics, c.members)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Fatalf("(-kafka +kgroup):\n%s", d)
			}
		})
	}
}

// The scenario: 2 consumers on 4 partitions, then a third joins.
func TestThirdConsumerJoins(t *testing.T) {
	topics := map[string]int32{"t": 4}
	two := []Member{dyn("c1", "t"), dyn("c2", "t")}
	three := append(slices.Clone(two), dyn("c3", "t"))
	for _, c := range []struct {
		a         Assignor
		two, with Plan
	}{
		{Range{}, Plan{"c1": {"t": {0, 1}}, "c2": {"t": {2, 3}}},
			Plan{"c1": {"t": {0, 1}}, "c2": {"t": {2}}, "c3": {"t": {3}}}},
		{RoundRobin{}, Plan{"c1": {"t": {0, 2}}, "c2": {"t": {1, 3}}},
			Plan{"c1": {"t": {0, 3}}, "c2": {"t": {1}}, "c3": {"t": {2}}}},
	} {
		for _, step := range []struct {
			members []Member
			want    Plan
		}{{two, c.two}, {three, c.with}} {
			got, err := c.a.Assign(topics, step.members)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(step.want, got); d != "" {
				t.Errorf("%s with %d members (-want +got):\n%s", c.a.Name(), len(step.members), d)
			}
		}
	}
}

func TestValidateRejectsBadInput(t *testing.T) {
	topics := map[string]int32{"t": 2}
	for name, c := range map[string]struct {
		topics  map[string]int32
		members []Member
	}{
		"duplicate id":   {topics, []Member{dyn("a", "t"), dyn("a", "t")}},
		"empty id":       {topics, []Member{dyn("", "t")}},
		"negative count": {map[string]int32{"t": -1}, []Member{dyn("a", "t")}},
	} {
		for _, a := range All() {
			if _, err := a.Assign(c.topics, c.members); err == nil {
				t.Errorf("%s accepted %s", a.Name(), name)
			}
		}
	}
}

// TestOwnedPartitionsThatNoLongerExist: a topic deleted and created again
// with fewer partitions leaves members claiming partitions that are gone;
// every assignor drops those claims and assigns the topic as it is now (as
// Kafka's AbstractStickyAssignor does), instead of failing the leader.
func TestOwnedPartitionsThatNoLongerExist(t *testing.T) {
	topics := map[string]int32{"t": 2}
	members := []Member{
		{ID: "a", Topics: []string{"t"}, Generation: 3, Owned: []spec.TopicPartition{{Topic: "t", Partition: 0}, {Topic: "t", Partition: 2}}},
		{ID: "b", Topics: []string{"t"}, Generation: 3, Owned: []spec.TopicPartition{{Topic: "t", Partition: 1}, {Topic: "t", Partition: 3}}},
	}
	for _, a := range All() {
		plan, err := a.Assign(topics, members)
		if err != nil {
			t.Fatalf("%s: %v", a.Name(), err)
		}
		subs := map[string][]string{"a": {"t"}, "b": {"t"}}
		if err := spec.CheckAssignment(topics, subs, plan, false); err != nil {
			t.Errorf("%s: %v", a.Name(), err)
		}
		if a.Name() == "sticky" || a.Name() == "cooperative-sticky" {
			if !plan["a"].Has(spec.TopicPartition{Topic: "t", Partition: 0}) || !plan["b"].Has(spec.TopicPartition{Topic: "t", Partition: 1}) {
				t.Errorf("%s moved what still exists: %v", a.Name(), plan)
			}
		}
	}
}

// genInput draws topics and members with mixed subscriptions, some static.
func genInput(t *rapid.T) (map[string]int32, []Member) {
	nTopics := rapid.IntRange(0, 4).Draw(t, "topics")
	topics := map[string]int32{}
	names := []string{}
	for i := range nTopics {
		name := fmt.Sprintf("t%d", i)
		topics[name] = int32(rapid.IntRange(0, 12).Draw(t, name))
		names = append(names, name)
	}
	names = append(names, "missing") // a subscription to a topic with no metadata
	n := rapid.IntRange(1, 7).Draw(t, "members")
	members := make([]Member, n)
	for i := range members {
		members[i] = Member{ID: fmt.Sprintf("m%d", i), Generation: -1,
			Topics: rapid.SliceOfDistinct(rapid.SampledFrom(names), rapid.ID[string]).Draw(t, "subs")}
		if rapid.Bool().Draw(t, "static") {
			members[i].InstanceID = fmt.Sprintf("i%d", rapid.IntRange(0, 99).Draw(t, "instance"))
		}
	}
	return topics, members
}

// Both assignors: valid, balanced as Kafka promises, and independent of the
// order of the member list.
func TestClassicAssignorProperties(t *testing.T) {
	for _, a := range []Assignor{Range{}, RoundRobin{}} {
		t.Run(a.Name(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				topics, members := genInput(t)
				plan, err := a.Assign(topics, members)
				if err != nil {
					t.Fatal(err)
				}
				checkPlan(t, a, topics, members, plan)
				shuffled := slices.Clone(members)
				rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0)).Shuffle(len(shuffled), func(i, j int) {
					shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
				})
				again, err := a.Assign(topics, shuffled)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(plan, again); d != "" {
					t.Fatalf("member order changed the plan:\n%s", d)
				}
			})
		})
	}
}

func checkPlan(t interface{ Fatalf(string, ...any) }, a Assignor, topics map[string]int32, members []Member, plan Plan) {
	subs := map[string][]string{}
	for _, m := range members {
		subs[m.ID] = m.Topics
		if _, ok := plan[m.ID]; !ok {
			t.Fatalf("member %s missing from the plan", m.ID)
		}
	}
	asMap := map[string]spec.Assignment(plan)
	if err := spec.CheckAssignment(topics, subs, asMap, false); err != nil {
		t.Fatalf("%s: %v", a.Name(), err)
	}
	balance := spec.CheckBalance
	if a.Name() == "range" {
		balance = spec.CheckBalancePerTopic
	}
	if err := balance(subs, asMap); err != nil {
		t.Fatalf("%s: %v", a.Name(), err)
	}
}

// A planted bug: an assignor that gives every partition to the first member
// is caught by the same checks the property test applies.
func TestCheckPlanCatchesPlantedBug(t *testing.T) {
	topics := map[string]int32{"t": 4}
	members := []Member{dyn("a", "t"), dyn("b", "t")}
	greedy := Plan{"a": {"t": {0, 1, 2, 3}}, "b": {}}
	var caught string
	checkPlan(fatalRecorder{&caught}, RoundRobin{}, topics, members, greedy)
	if caught == "" {
		t.Fatal("a plan giving everything to one member passed the balance check")
	}
	doubled := Plan{"a": {"t": {0, 1, 2}}, "b": {"t": {2, 3}}}
	caught = ""
	checkPlan(fatalRecorder{&caught}, Range{}, topics, members, doubled)
	if caught == "" {
		t.Fatal("a plan giving t-2 to two members passed the validity check")
	}
}

type fatalRecorder struct{ msg *string }

func (f fatalRecorder) Fatalf(format string, args ...any) {
	if *f.msg == "" {
		*f.msg = fmt.Sprintf(format, args...)
	}
}
