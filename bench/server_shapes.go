package bench

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/bench/internal/kfakeuniform"
	"github.com/kgroup/kgroup/spec"
)

// ServerParams is one point of Kafka's JMH grid for server-side assignors
// (jmh-benchmarks ServerSideAssignorBenchmark): memberCount,
// partitionsToMemberRatio, topicCount, subscriptionType, assignmentType and
// isRackAware.
type ServerParams struct {
	Members, Ratio, Topics int
	Heterogeneous          bool
	Incremental            bool
	Rack                   bool
}

// Name is the benchmark name of the point:
// m<members>-r<ratio>-t<topics>/<homogeneous|heterogeneous>/<full|incremental>/<rack|norack>.
func (p ServerParams) Name() string {
	sub, typ, rack := "homogeneous", "full", "norack"
	if p.Heterogeneous {
		sub = "heterogeneous"
	}
	if p.Incremental {
		typ = "incremental"
	}
	if p.Rack {
		rack = "rack"
	}
	return fmt.Sprintf("m%d-r%d-t%d/%s/%s/%s", p.Members, p.Ratio, p.Topics, sub, typ, rack)
}

// ServerGrid is Kafka's grid, in its parameter order: memberCount 100, 500,
// 1000, 5000, 10000; partitionsToMemberRatio 5, 10, 50; topicCount 10, 100,
// 1000; HOMOGENEOUS, HETEROGENEOUS; FULL, INCREMENTAL; isRackAware false,
// true.
func ServerGrid() []ServerParams {
	var out []ServerParams
	for _, m := range []int{100, 500, 1000, 5000, 10000} {
		for _, r := range []int{5, 10, 50} {
			for _, t := range []int{10, 100, 1000} {
				for _, het := range []bool{false, true} {
					for _, inc := range []bool{false, true} {
						for _, rack := range []bool{false, true} {
							out = append(out, ServerParams{m, r, t, het, inc, rack})
						}
					}
				}
			}
		}
	}
	return out
}

// ServerShape is one input of the server-side assignors: the topics, the
// members (their current target assignment in Owned) and, for the kfake
// side, every topic's id.
type ServerShape struct {
	Params  ServerParams
	Topics  map[string]assignors.TopicMetadata
	IDs     map[string][16]byte
	Members []assignors.Member
}

const (
	// serverRacks is the JMH benchmark's NUMBER_OF_RACKS.
	serverRacks = 3
	// serverBuckets is its MAX_BUCKET_COUNT: the heterogeneous group is this
	// many homogeneous subgroups on disjoint topics.
	serverBuckets = 5
)

// BuildServerShape builds the input of one grid point as Kafka's JMH
// benchmark builds it (ServerSideAssignorBenchmark.setup and
// AssignorBenchmarkUtils):
//
//   - topics "topic-0" … "topic-<topicCount-1>", each of
//     memberCount*partitionsToMemberRatio/topicCount partitions (integer
//     division, so m100-r5-t1000 has topics of 0 partitions, as in Kafka);
//     no partition has racks: the benchmark's SubscribedTopicDescriberImpl
//     returns no racks for any partition (its mkMapOfPartitionRacks is
//     unused), so isRackAware only gives member i the rack "rack<i%3>";
//   - members "member<i>": homogeneous, all subscribed to every topic;
//     heterogeneous (createHeterogeneousBucketedMembers), members and topics
//     cut into min(5, members) buckets of ceil(n/buckets), bucket b's members
//     subscribed to bucket b's topics;
//   - FULL: memberCount members, nobody owns anything; INCREMENTAL
//     (simulateIncrementalRebalance): memberCount-1 members, each owning what
//     a full assignment of them gave it, plus "newMember", owning nothing, on
//     the rack of member memberCount-1, subscribed to every topic
//     (homogeneous) or to member memberCount-2's topics (heterogeneous).
//
// Deviation: Kafka computes the incremental case's existing assignment with
// the assignor under test; here kgroup's Uniform computes it, once, and both
// kgroup and kfake start from it, so that they get the same input. Topic ids
// are random in Kafka and seeded (math/rand, seed 1) here.
func BuildServerShape(p ServerParams) ServerShape {
	s := ServerShape{Params: p, Topics: map[string]assignors.TopicMetadata{}, IDs: map[string][16]byte{}}
	rng := rand.New(rand.NewSource(1))
	names := make([]string, p.Topics)
	perTopic := int32(p.Members * p.Ratio / p.Topics)
	for i := range names {
		names[i] = fmt.Sprintf("topic-%d", i)
		s.Topics[names[i]] = assignors.TopicMetadata{Partitions: perTopic}
		var id [16]byte
		rng.Read(id[:])
		s.IDs[names[i]] = id
	}
	rack := func(i int) string {
		if !p.Rack {
			return ""
		}
		return fmt.Sprintf("rack%d", i%serverRacks)
	}
	n := p.Members
	if p.Incremental {
		n--
	}
	if !p.Heterogeneous {
		for i := range n {
			s.Members = append(s.Members, assignors.Member{ID: fmt.Sprintf("member%d", i), Rack: rack(i), Topics: names})
		}
	} else {
		buckets := min(serverBuckets, n)
		if len(names) < buckets {
			panic(fmt.Sprintf("at least %d topics are needed for %d buckets", buckets, buckets))
		}
		topicsPer := (len(names) + buckets - 1) / buckets
		membersPer := (n + buckets - 1) / buckets
		for b := range buckets {
			ts := names[min(b*topicsPer, len(names)):min((b+1)*topicsPer, len(names))]
			for i := b * membersPer; i < min((b+1)*membersPer, n); i++ {
				s.Members = append(s.Members, assignors.Member{ID: fmt.Sprintf("member%d", i), Rack: rack(i), Topics: ts})
			}
		}
	}
	if p.Incremental {
		plan, err := assignors.Uniform{}.Assign(s.Topics, s.Members)
		if err != nil {
			panic(err)
		}
		for i := range s.Members {
			s.Members[i].Owned = plan[s.Members[i].ID].Partitions()
		}
		topics := names
		if p.Heterogeneous {
			topics = s.member(fmt.Sprintf("member%d", p.Members-2)).Topics
		}
		s.Members = append(s.Members, assignors.Member{ID: "newMember", Rack: rack(p.Members - 1), Topics: topics})
	}
	return s
}

func (s ServerShape) member(id string) assignors.Member {
	i := slices.IndexFunc(s.Members, func(m assignors.Member) bool { return m.ID == id })
	return s.Members[i]
}

// Partitions is the number of partitions of the shape.
func (s ServerShape) Partitions() int {
	n := 0
	for _, md := range s.Topics {
		n += int(md.Partitions)
	}
	return n
}

// ServerImpl is one server-side assignor under benchmark, with the same
// Prepare (untimed), Run (timed) and Plan (untimed) split as Impl. Reset, when
// set, runs untimed before every Run.
type ServerImpl struct {
	Name    string
	Prepare func(ServerShape) any
	Reset   func(in any)
	Run     func(in any) (any, error)
	Plan    func(in, out any) map[string]spec.Assignment
}

// ServerImpls lists kgroup's uniform assignor and kfake's.
func ServerImpls() []ServerImpl { return []ServerImpl{kgroupServerImpl(), kfakeServerImpl()} }

type kgroupServerInput struct {
	topics  map[string]assignors.TopicMetadata
	members []assignors.Member
}

func kgroupServerImpl() ServerImpl {
	return ServerImpl{
		Name:    "kgroup",
		Prepare: func(s ServerShape) any { return kgroupServerInput{s.Topics, s.Members} },
		Run: func(in any) (any, error) {
			k := in.(kgroupServerInput)
			return assignors.Uniform{}.Assign(k.topics, k.members)
		},
		Plan: func(_, out any) map[string]spec.Assignment { return out.(assignors.Plan) },
	}
}

type kfakeServerInput struct {
	g     *kfakeuniform.Group
	names map[[16]byte]string
}

// kfakeServerImpl runs kfake's uniform assignor: its coordinator's
// computeTargetAssignment (resolving the subscriptions against the topics,
// then assignUniform), copied verbatim into internal/kfakeuniform, on a group
// whose members' target assignments are the shape's Owned. Reset restores
// them before every run, since kfake updates them in place.
func kfakeServerImpl() ServerImpl {
	return ServerImpl{
		Name: "kfake",
		Prepare: func(s ServerShape) any {
			in := kfakeServerInput{names: map[[16]byte]string{}}
			var topics []kfakeuniform.Topic
			for _, t := range spec.SortedKeys(s.Topics) {
				topics = append(topics, kfakeuniform.Topic{Name: t, ID: s.IDs[t], Partitions: s.Topics[t].Partitions})
				in.names[s.IDs[t]] = t
			}
			var members []kfakeuniform.Member
			for _, m := range s.Members {
				target := map[[16]byte][]int32{}
				for _, tp := range m.Owned {
					id := s.IDs[tp.Topic]
					target[id] = append(target[id], tp.Partition)
				}
				members = append(members, kfakeuniform.Member{ID: m.ID, Topics: m.Topics, Target: target})
			}
			in.g = kfakeuniform.NewGroup("uniform", topics, members)
			return in
		},
		Reset: func(in any) { in.(kfakeServerInput).g.Reset() },
		Run: func(in any) (any, error) {
			in.(kfakeServerInput).g.Assign()
			return nil, nil
		},
		Plan: func(in, _ any) map[string]spec.Assignment {
			k := in.(kfakeServerInput)
			out := map[string]spec.Assignment{}
			for id, a := range k.g.Targets() {
				out[id] = spec.Assignment{}
				for t, ps := range a {
					if len(ps) > 0 {
						out[id][k.names[t]] = slices.Clone(ps)
					}
				}
				out[id].Normalize()
			}
			return out
		},
	}
}

// ServerQuality is what a plan achieves: Spread, the largest difference
// between two members' loads among members of the same subscription (the
// bucketed heterogeneous groups are disjoint homogeneous subgroups, so a
// balanced plan has Spread <= 1), and Moves, the partitions that left the
// member that owned them.
type ServerQuality struct {
	Spread, Moves int
}

// CheckServerPlan checks a plan against its shape: every member present,
// every partition of a subscribed topic given exactly once, to a member
// subscribed to its topic, and nothing else given. It returns the plan's
// quality.
func CheckServerPlan(s ServerShape, plan map[string]spec.Assignment) (ServerQuality, error) {
	owner := map[string][]int32{} // topic -> partition -> member index + 1
	for t, md := range s.Topics {
		owner[t] = make([]int32, md.Partitions)
	}
	if len(plan) != len(s.Members) {
		return ServerQuality{}, fmt.Errorf("the plan has %d members, the group %d", len(plan), len(s.Members))
	}
	loads := map[string][2]int{} // subscription -> min, max load
	subscribed := map[string]bool{}
	var q ServerQuality
	for i, m := range s.Members {
		a, ok := plan[m.ID]
		if !ok {
			return q, fmt.Errorf("member %s is missing from the plan", m.ID)
		}
		subs := map[string]bool{}
		for _, t := range m.Topics {
			subs[t] = true
			subscribed[t] = true
		}
		n := 0
		for t, ps := range a {
			if !subs[t] {
				return q, fmt.Errorf("%s is given %s, which it does not subscribe to", m.ID, t)
			}
			for _, p := range ps {
				if p < 0 || int(p) >= len(owner[t]) {
					return q, fmt.Errorf("%s is given %s-%d, which does not exist", m.ID, t, p)
				}
				if o := owner[t][p]; o != 0 {
					return q, fmt.Errorf("%s-%d is given to %s and %s", t, p, s.Members[o-1].ID, m.ID)
				}
				owner[t][p] = int32(i + 1)
			}
			n += len(ps)
		}
		key := strings.Join(m.Topics, ",")
		if l, ok := loads[key]; ok {
			loads[key] = [2]int{min(l[0], n), max(l[1], n)}
		} else {
			loads[key] = [2]int{n, n}
		}
	}
	for t := range subscribed {
		for p, o := range owner[t] {
			if o == 0 {
				return q, fmt.Errorf("%s-%d is subscribed but given to nobody", t, p)
			}
		}
	}
	for _, l := range loads {
		q.Spread = max(q.Spread, l[1]-l[0])
	}
	for i, m := range s.Members {
		for _, tp := range m.Owned {
			if owner[tp.Topic][tp.Partition] != int32(i+1) {
				q.Moves++
			}
		}
	}
	return q, nil
}
