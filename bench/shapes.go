// Package bench compares kgroup's sticky and cooperative-sticky assignors with
// franz-go's and sarama's on the input shapes that Kafka and franz-go publish
// benchmarks for. It is its own module, so that franz-go and sarama never
// enter kgroup's go.mod.
package bench

import (
	"fmt"
	"math/rand"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// Shape is one benchmark input: the topics and the group's members, with
// their prior ownership (Owned at Generation) when the shape is "existing".
type Shape struct {
	Name    string
	Topics  map[string]int32
	Members []assignors.Member
}

// javaShape is Kafka's AbstractStickyAssignorTest large-group layout (also
// franz-go's BenchmarkJava): topicCount topics of partitionCount partitions,
// consumerCount members subscribed to all of them, names padded as Kafka's
// getTopicName / getConsumerName pad them. nonEqual adds one more member
// subscribed only to the first topic (franz-go's "imbalance" variant).
func javaShape(name string, topicCount, partitionCount, consumerCount int, nonEqual bool) Shape {
	s := Shape{Name: name, Topics: map[string]int32{}}
	topics := make([]string, topicCount)
	for i := range topics {
		topics[i] = padded("t", i, topicCount)
		s.Topics[topics[i]] = int32(partitionCount)
	}
	for i := range consumerCount {
		s.Members = append(s.Members, assignors.Member{ID: padded("c", i, consumerCount), Topics: topics, Generation: -1})
	}
	if nonEqual {
		s.Members = append(s.Members, assignors.Member{ID: padded("c", consumerCount, consumerCount), Topics: topics[:1], Generation: -1})
	}
	return s
}

func padded(prefix string, i, max int) string {
	return fmt.Sprintf("%s%0*d", prefix, len(fmt.Sprint(max)), i)
}

// franzLargeShape is franz-go's BenchmarkLarge input (sticky_test.go,
// makeLargeBalance): 100 topics with rand.Intn(500) partitions each from
// math/rand seeded with 0, and 100 members subscribed to all of them.
func franzLargeShape() Shape {
	rng := rand.New(rand.NewSource(0))
	s := Shape{Name: "franz-large", Topics: map[string]int32{}}
	var topics []string
	for i := range 100 {
		t := fmt.Sprintf("topic%d", i)
		s.Topics[t] = int32(rng.Intn(500))
		topics = append(topics, t)
	}
	for i := range 100 {
		s.Members = append(s.Members, assignors.Member{ID: fmt.Sprintf("consumer%d", i), Topics: topics, Generation: -1})
	}
	return s
}

// existing turns a fresh shape into the rebalance after it: every member owns
// what kgroup's sticky assignor gave it, at generation 1, and the first member
// is gone (as in franz-go's BenchmarkLarge "existing"; Kafka's large tests
// keep that member but drop its ownership).
func existing(fresh Shape, name string) Shape {
	plan, err := assignors.Sticky{}.Assign(fresh.Topics, fresh.Members)
	if err != nil {
		panic(err)
	}
	s := Shape{Name: name, Topics: fresh.Topics}
	for _, m := range fresh.Members[1:] {
		m.Owned, m.Generation = plan[m.ID].Partitions(), 1
		s.Members = append(s.Members, m)
	}
	return s
}

// layouts are the benchmark layouts, built on demand (the large ones hold a
// million partitions).
var layouts = []struct {
	name  string
	build func() Shape
}{
	{"kafka-large", func() Shape { return javaShape("kafka-large", 500, 2000, 2000, false) }},
	{"kafka-large-nonequal", func() Shape { return javaShape("kafka-large-nonequal", 500, 2000, 2000, true) }},
	{"medium", func() Shape { return javaShape("medium", 50, 1000, 1000, false) }},
	{"small", func() Shape { return javaShape("small", 50, 800, 800, false) }},
	{"franz-large", franzLargeShape},
}

// ShapeNames lists every benchmark input: each layout fresh and existing.
func ShapeNames() []string {
	var out []string
	for _, l := range layouts {
		out = append(out, l.name+"/fresh", l.name+"/existing")
	}
	return out
}

// ShapeByName builds one benchmark input.
func ShapeByName(name string) Shape {
	for _, l := range layouts {
		switch name {
		case l.name + "/fresh":
			s := l.build()
			s.Name = name
			return s
		case l.name + "/existing":
			return existing(l.build(), name)
		}
	}
	panic("unknown shape " + name)
}

// TinyShapes are small inputs of the same layouts, for the smoke test.
func TinyShapes() []Shape {
	var out []Shape
	for _, fresh := range []Shape{
		javaShape("tiny-uniform", 5, 20, 20, false),
		javaShape("tiny-nonequal", 5, 20, 20, true),
		javaShape("tiny-uneven", 7, 3, 4, false),
	} {
		out = append(out, fresh, existing(fresh, fresh.Name+"/existing"))
	}
	return out
}

// Subscriptions maps each member id to its topics, for spec.CheckAssignment.
func (s Shape) Subscriptions() map[string][]string {
	subs := make(map[string][]string, len(s.Members))
	for _, m := range s.Members {
		subs[m.ID] = m.Topics
	}
	return subs
}

// Quality is what a plan achieves on a shape: the spread between the largest
// and smallest load, and how many partitions left their prior owner.
type Quality struct {
	Spread, Moves int
}

// Measure computes a plan's quality. Every prior owner in the bench shapes is
// valid (one claim per partition, all subscribed), so a move is a partition
// no longer held by the member that owned it.
func (s Shape) Measure(plan map[string]spec.Assignment) Quality {
	minL, maxL, moves := -1, 0, 0
	for _, m := range s.Members {
		a := plan[m.ID]
		n := a.Len()
		if minL < 0 || n < minL {
			minL = n
		}
		maxL = max(maxL, n)
		held := map[string]map[int32]bool{}
		for t, ps := range a {
			held[t] = map[int32]bool{}
			for _, p := range ps {
				held[t][p] = true
			}
		}
		for _, tp := range m.Owned {
			if !held[tp.Topic][tp.Partition] {
				moves++
			}
		}
	}
	return Quality{Spread: maxL - minL, Moves: moves}
}
