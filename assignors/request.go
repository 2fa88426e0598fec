package assignors

import (
	"errors"
	"fmt"

	"github.com/kgroup/kgroup/spec"
)

// MaxRequestPartitions bounds the partitions of one Request, in all.
const MaxRequestPartitions = 50_000_000

// Request is one assignment request in JSON, the input of `kgroup assign`:
// an assignor's name, the topics with their partition counts (and, for the
// rack-aware server-side assignor, the racks of each partition's replicas),
// and the members with their subscriptions and what they own.
type Request struct {
	Assignor       string                `json:"assignor"`
	Partitions     map[string]int64      `json:"partitions"`
	PartitionRacks map[string][][]string `json:"partition_racks,omitempty"`
	Members        []RequestMember       `json:"members"`
}

// requestServerAssignors are the server-side (KIP-848) assignors a Request
// may name; "server-range" because "range" is the client-side one.
var requestServerAssignors = map[string]ServerAssignor{"uniform": Uniform{}, "server-range": ServerRange{}}

// RequestMember is one member of a Request. Generation is the generation
// at which it owns Owned (absent or -1: unknown).
type RequestMember struct {
	MemberID   string             `json:"member_id"`
	InstanceID string             `json:"instance_id"`
	Rack       string             `json:"rack"`
	Topics     []string           `json:"topics"`
	Owned      map[string][]int64 `json:"owned"`
	Generation *int64             `json:"generation"`
}

// Input is a decoded Request: what Assign takes, and the warnings for what
// it will ignore (subscriptions to absent topics, owned partitions that no
// longer exist).
//
// For a server-side assignor Server is set instead of Assignor, Metadata
// carries the partition counts with the partition racks, and the members'
// Owned is their current target assignment.
type Input struct {
	Assignor Assignor
	Server   ServerAssignor
	Topics   map[string]int32
	Metadata map[string]TopicMetadata
	Members  []Member
	Warnings []string
}

// Assign runs the request's assignor on it.
func (in Input) Assign() (Plan, error) {
	if in.Server != nil {
		return in.Server.Assign(in.Metadata, in.Members)
	}
	return in.Assignor.Assign(in.Topics, in.Members)
}

// ParseRequest decodes a Request strictly (unknown fields, duplicate keys
// and trailing data are errors) and checks it: counts from 0 to
// MaxRequestPartitions in all, partitions from 0 to 2^31-1, member ids
// present and unique, no partition owned twice by one member.
func ParseRequest(data []byte) (Input, error) {
	var req Request
	if err := spec.UnmarshalStrict(data, &req); err != nil {
		return Input{}, fmt.Errorf("bad JSON: %w", err)
	}
	server, isServer := requestServerAssignors[req.Assignor]
	var a Assignor
	if !isServer {
		var err error
		if a, err = ByName(req.Assignor); err != nil {
			return Input{}, fmt.Errorf("%w; server-side: uniform, server-range", err)
		}
	}
	topics, err := req.topics()
	if err != nil {
		return Input{}, err
	}
	metadata, err := req.metadata(topics)
	if err != nil {
		return Input{}, err
	}
	members := make([]Member, 0, len(req.Members))
	for i, m := range req.Members {
		member, err := m.member()
		if err != nil {
			return Input{}, fmt.Errorf("members[%d]: %w", i, err)
		}
		members = append(members, member)
	}
	if err := Validate(topics, members); err != nil {
		return Input{}, err
	}
	in := Input{Assignor: a, Topics: topics, Members: members}
	if isServer {
		in.Server, in.Metadata = server, metadata
	} else if len(req.PartitionRacks) > 0 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("assignor %q does not read partition_racks; ignored", req.Assignor))
	}
	for _, t := range UnknownTopics(topics, members) {
		in.Warnings = append(in.Warnings, fmt.Sprintf("topic %q is subscribed but absent from partitions; ignored", t))
	}
	in.Warnings = append(in.Warnings, vanished(topics, members)...)
	return in, nil
}

func (req Request) topics() (map[string]int32, error) {
	topics := make(map[string]int32, len(req.Partitions))
	var total int64
	for _, t := range spec.SortedKeys(req.Partitions) {
		n := req.Partitions[t]
		switch {
		case t == "":
			return nil, errors.New(`partitions: empty topic name`)
		case n < 0:
			return nil, fmt.Errorf("partitions: topic %q has a negative count %d", t, n)
		case n > MaxRequestPartitions:
			return nil, fmt.Errorf("partitions: topic %q has %d partitions, more than %d", t, n, MaxRequestPartitions)
		}
		total += n
		if total > MaxRequestPartitions {
			return nil, fmt.Errorf("partitions: more than %d in all", MaxRequestPartitions)
		}
		topics[t] = int32(n)
	}
	return topics, nil
}

// metadata checks partition_racks (a topic of partitions, one rack list per
// partition) and joins it to the counts.
func (req Request) metadata(topics map[string]int32) (map[string]TopicMetadata, error) {
	out := make(map[string]TopicMetadata, len(topics))
	for t, n := range topics {
		out[t] = TopicMetadata{Partitions: n}
	}
	for _, t := range spec.SortedKeys(req.PartitionRacks) {
		md, ok := out[t]
		racks := req.PartitionRacks[t]
		switch {
		case !ok:
			return nil, fmt.Errorf("partition_racks: topic %q is absent from partitions", t)
		case len(racks) != int(md.Partitions):
			return nil, fmt.Errorf("partition_racks: topic %q has %d partitions but %d rack lists", t, md.Partitions, len(racks))
		}
		md.Racks = racks
		out[t] = md
	}
	return out, nil
}

func (m RequestMember) member() (Member, error) {
	out := Member{ID: m.MemberID, InstanceID: m.InstanceID, Rack: m.Rack, Topics: m.Topics, Generation: -1}
	if m.Generation != nil {
		if *m.Generation < -1 || *m.Generation > 1<<31-1 {
			return out, fmt.Errorf("member %q: generation %d out of range", m.MemberID, *m.Generation)
		}
		out.Generation = int32(*m.Generation)
	}
	seen := map[spec.TopicPartition]bool{}
	for _, t := range spec.SortedKeys(m.Owned) {
		for _, p := range m.Owned[t] {
			if p < 0 || p > 1<<31-1 {
				return out, fmt.Errorf("member %q owns %s-%d: a partition is from 0 to 2147483647", m.MemberID, t, p)
			}
			tp := spec.TopicPartition{Topic: t, Partition: int32(p)}
			if seen[tp] {
				return out, fmt.Errorf("member %q lists %s twice in owned", m.MemberID, tp)
			}
			seen[tp] = true
			out.Owned = append(out.Owned, tp)
		}
	}
	return out, nil
}

// vanished are the warnings for owned partitions of topics that exist but
// have fewer partitions now (a topic deleted and re-created): the assignors
// drop them, as Kafka's do.
func vanished(topics map[string]int32, members []Member) []string {
	var out []string
	for _, m := range members {
		for _, tp := range m.Owned {
			if n, ok := topics[tp.Topic]; ok && tp.Partition >= n {
				out = append(out, fmt.Sprintf("member %q owns %s, which does not exist (topic %s has %d partitions); dropped", m.ID, tp, tp.Topic, n))
			}
		}
	}
	return out
}
