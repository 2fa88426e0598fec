package bench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	kgroupkgo "github.com/kgroup/kgroup/adapters/kgo"
	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// Impl is one assignor under benchmark. Prepare turns a shape into the
// assignor's own input outside the timer; Run is what the benchmark times;
// Plan converts Run's output for checking, outside the timer.
type Impl struct {
	Name    string
	Prepare func(Shape) any
	Run     func(in any) (any, error)
	Plan    func(out any) map[string]spec.Assignment
}

// Impls lists kgroup's assignors on decoded members and their peers,
// cooperative after eager.
func Impls() []Impl {
	return []Impl{
		kgroupImpl("kgroup-sticky", assignors.Sticky{}),
		franzImpl("franz-sticky", franzBalancer("franz-sticky")),
		saramaImpl("sarama-sticky", false),
		kgroupImpl("kgroup-coop", assignors.CooperativeSticky{}),
		franzImpl("franz-coop", franzBalancer("franz-coop")),
		saramaImpl("sarama-coop", true),
	}
}

func franzBalancer(name string) kgo.GroupBalancer {
	if name == "franz-coop" {
		return kgo.CooperativeStickyBalancer()
	}
	return kgo.StickyBalancer()
}

type kgroupInput struct {
	topics  map[string]int32
	members []assignors.Member
}

func kgroupImpl(name string, a assignors.Assignor) Impl {
	return Impl{
		Name:    name,
		Prepare: func(s Shape) any { return kgroupInput{s.Topics, s.Members} },
		Run: func(in any) (any, error) {
			k := in.(kgroupInput)
			return a.Assign(k.topics, k.members)
		},
		Plan: func(out any) map[string]spec.Assignment { return out.(assignors.Plan) },
	}
}

// WireImpls lists the bytes-to-bytes comparison: JoinGroup member metadata
// in, SyncGroup assignments out, through the kgo.GroupBalancer interface a
// franz-go group leader calls (MemberBalancer, BalanceOrError,
// IntoSyncAssignment), with kgroup's balancer (adapters/kgo) and franz-go's
// own on the very same bytes, which franz-go's JoinGroupMetadata writes.
func WireImpls() []Impl {
	return []Impl{
		franzWireImpl("kgroup-sticky", kgroupkgo.StickyBalancer(), franzBalancer("franz-sticky")),
		franzWireImpl("franz-sticky", franzBalancer("franz-sticky"), franzBalancer("franz-sticky")),
		franzWireImpl("kgroup-coop", kgroupkgo.CooperativeStickyBalancer(), franzBalancer("franz-coop")),
		franzWireImpl("franz-coop", franzBalancer("franz-coop"), franzBalancer("franz-coop")),
	}
}

// franzWireImpl runs b as a leader does, on the JoinGroup bytes writer
// writes.
func franzWireImpl(name string, b, writer kgo.GroupBalancer) Impl {
	return Impl{
		Name:    name,
		Prepare: franzImpl(name, writer).Prepare,
		Run: func(in any) (any, error) {
			f := in.(franzInput)
			mb, _, err := b.MemberBalancer(f.members)
			if err != nil {
				return nil, err
			}
			into, err := mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(f.topics)
			if err != nil {
				return nil, err
			}
			return into.IntoSyncAssignment(), nil
		},
		Plan: func(out any) map[string]spec.Assignment {
			plan := map[string]spec.Assignment{}
			for _, a := range out.([]kmsg.SyncGroupRequestGroupAssignment) {
				m, err := kgo.ParseConsumerSyncAssignment(a.MemberAssignment)
				if err != nil {
					panic(fmt.Sprintf("%s: member %s: %v", name, a.MemberID, err))
				}
				plan[a.MemberID] = spec.Assignment(m)
				plan[a.MemberID].Normalize()
			}
			return plan
		},
	}
}

type franzInput struct {
	topics  map[string]int32
	members []kmsg.JoinGroupResponseMember
}

// franzImpl calls franz-go's balancer through its public API, as a group
// leader does: MemberBalancer on the JoinGroup members (which decodes their
// metadata), then BalanceOrError.
func franzImpl(name string, b kgo.GroupBalancer) Impl {
	return Impl{
		Name: name,
		Prepare: func(s Shape) any {
			in := franzInput{topics: s.Topics}
			members := slices.Clone(s.Members)
			assignors.SortMembers(members)
			for _, m := range members {
				in.members = append(in.members, kmsg.JoinGroupResponseMember{MemberID: m.ID,
					ProtocolMetadata: b.JoinGroupMetadata(m.Topics, spec.AssignmentOf(m.Owned), m.Generation)})
			}
			return in
		},
		Run: func(in any) (any, error) {
			f := in.(franzInput)
			mb, _, err := b.MemberBalancer(f.members)
			if err != nil {
				return nil, err
			}
			return mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(f.topics)
		},
		Plan: func(out any) map[string]spec.Assignment {
			return toAssignments(out.(*kgo.BalancePlan).AsMemberIDMap())
		},
	}
}

type saramaInput struct {
	topics  map[string][]int32
	members map[string]sarama.ConsumerGroupMemberMetadata
}

// saramaImpl calls sarama's sticky strategy (or its cooperative variant)
// through BalanceStrategy.Plan. Sticky reads prior ownership from the KIP-54
// user data, cooperative from the subscription's owned partitions.
func saramaImpl(name string, cooperative bool) Impl {
	return Impl{
		Name: name,
		Prepare: func(s Shape) any {
			in := saramaInput{topics: map[string][]int32{}, members: map[string]sarama.ConsumerGroupMemberMetadata{}}
			for t, n := range s.Topics {
				ps := make([]int32, n)
				for i := range ps {
					ps[i] = int32(i)
				}
				in.topics[t] = ps
			}
			for _, m := range s.Members {
				meta := sarama.ConsumerGroupMemberMetadata{Version: 3, Topics: m.Topics, GenerationID: m.Generation}
				if cooperative {
					a := spec.AssignmentOf(m.Owned)
					for _, t := range spec.SortedKeys(a) {
						meta.OwnedPartitions = append(meta.OwnedPartitions, &sarama.OwnedPartition{Topic: t, Partitions: a[t]})
					}
				} else if len(m.Owned) > 0 {
					meta.UserData = assignors.Sticky{}.EncodeUserData(m.Owned, m.Generation)
				}
				in.members[m.ID] = meta
			}
			return in
		},
		Run: func(in any) (any, error) {
			s := in.(saramaInput)
			strategy := sarama.NewBalanceStrategySticky()
			if cooperative {
				strategy = sarama.NewBalanceStrategyCooperativeSticky()
			}
			return strategy.Plan(s.members, s.topics)
		},
		Plan: func(out any) map[string]spec.Assignment {
			return toAssignments(out.(sarama.BalanceStrategyPlan))
		},
	}
}

func toAssignments(p map[string]map[string][]int32) map[string]spec.Assignment {
	out := make(map[string]spec.Assignment, len(p))
	for id, a := range p {
		out[id] = spec.Assignment(a).Clone()
		out[id].Normalize()
	}
	return out
}

// Check runs impl once on s and checks its plan with spec.CheckAssignment
// (partitions a cooperative assignor withholds are allowed to be missing).
func Check(impl Impl, s Shape) (map[string]spec.Assignment, error) {
	out, err := impl.Run(impl.Prepare(s))
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", impl.Name, s.Name, err)
	}
	plan := impl.Plan(out)
	for _, m := range s.Members {
		if _, ok := plan[m.ID]; !ok {
			plan[m.ID] = spec.Assignment{}
		}
	}
	cooperative := strings.HasSuffix(impl.Name, "-coop")
	if err := spec.CheckAssignment(s.Topics, s.Subscriptions(), plan, cooperative); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", impl.Name, s.Name, err)
	}
	return plan, nil
}
