package serve

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// From kmsg's wire types to kgroup's requests. Member metadata and
// assignments are decoded (kgroup's coordinator holds them decoded); their
// bytes travel beside the request (see raw.go) so that the leader and the
// members get back exactly what was sent, as from Kafka, which stores them
// as opaque bytes.

// errNotConsumer is a JoinGroup that kgroup's coordinator cannot hold: a
// protocol type other than "consumer", or metadata that is not Kafka's
// consumer protocol. It is answered INCONSISTENT_GROUP_PROTOCOL.
type errNotConsumer struct{ why string }

func (e errNotConsumer) Error() string { return e.why }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func joinRequest(r *kmsg.JoinGroupRequest, clientID string) (*spec.JoinGroupRequest, error) {
	out := &spec.JoinGroupRequest{GroupID: r.Group, SessionTimeoutMs: r.SessionTimeoutMillis,
		RebalanceTimeoutMs: r.RebalanceTimeoutMillis, MemberID: r.MemberID, GroupInstanceID: str(r.InstanceID),
		ProtocolType: r.ProtocolType, ClientID: clientID, Reason: str(r.Reason)}
	if r.Version == 0 { // v0 has no rebalance timeout: the session timeout is it (Kafka's JoinGroupRequest)
		out.RebalanceTimeoutMs = r.SessionTimeoutMillis
	}
	if r.ProtocolType != "consumer" {
		return nil, errNotConsumer{fmt.Sprintf("protocol type %q: kgroup's coordinator holds consumer groups only", r.ProtocolType)}
	}
	for _, p := range r.Protocols {
		sub, err := decodeSubscription(p.Metadata)
		if err != nil {
			return nil, errNotConsumer{fmt.Sprintf("protocol %q: %v", p.Name, err)}
		}
		out.Protocols = append(out.Protocols, spec.Protocol{Name: p.Name, Metadata: sub})
	}
	return out, nil
}

// decodeSubscription reads a member's metadata. segmentio/kafka-go writes
// version 1 without the owned partitions that version 1 adds
// (../shared/wire-facts.md); such bytes are read as the version 0 they are.
func decodeSubscription(b []byte) (spec.Subscription, error) {
	sub, err := assignors.DecodeSubscription(b)
	if err == nil || len(b) < 2 || b[0] != 0 || b[1] != 1 {
		return sub, err
	}
	v0 := append([]byte{0, 0}, b[2:]...)
	if sub, err0 := assignors.DecodeSubscription(v0); err0 == nil {
		return sub, nil
	}
	return sub, err
}

func syncRequest(r *kmsg.SyncGroupRequest) (*spec.SyncGroupRequest, error) {
	out := &spec.SyncGroupRequest{GroupID: r.Group, GenerationID: r.Generation, MemberID: r.MemberID,
		GroupInstanceID: str(r.InstanceID), ProtocolType: str(r.ProtocolType), ProtocolName: str(r.Protocol)}
	for _, a := range r.GroupAssignment {
		ma, err := decodeAssignment(a.MemberAssignment)
		if err != nil {
			return nil, errNotConsumer{fmt.Sprintf("assignment of %s: %v", a.MemberID, err)}
		}
		out.Assignments = append(out.Assignments, spec.SyncGroupAssignment{MemberID: a.MemberID, Assignment: ma})
	}
	return out, nil
}

// decodeAssignment reads a member's assignment; zero bytes are an empty
// one, which is what Kafka hands a member the leader left out.
func decodeAssignment(b []byte) (spec.MemberAssignment, error) {
	if len(b) == 0 {
		return spec.MemberAssignment{Partitions: spec.Assignment{}}, nil
	}
	a, userData, err := assignors.DecodeAssignment(b)
	if err != nil {
		return spec.MemberAssignment{}, err
	}
	a.Normalize()
	return spec.MemberAssignment{Partitions: a, UserData: userData}, nil
}

func heartbeatRequest(r *kmsg.HeartbeatRequest) *spec.HeartbeatRequest {
	return &spec.HeartbeatRequest{GroupID: r.Group, GenerationID: r.Generation, MemberID: r.MemberID, GroupInstanceID: str(r.InstanceID)}
}

// leaveRequest: before v3 a LeaveGroup names one member.
func leaveRequest(r *kmsg.LeaveGroupRequest) *spec.LeaveGroupRequest {
	out := &spec.LeaveGroupRequest{GroupID: r.Group}
	if r.Version < 3 {
		out.Members = []spec.LeaveGroupMember{{MemberID: r.MemberID}}
		return out
	}
	for _, m := range r.Members {
		out.Members = append(out.Members, spec.LeaveGroupMember{MemberID: m.MemberID, GroupInstanceID: str(m.InstanceID), Reason: str(m.Reason)})
	}
	return out
}

// commitRequest: v0 has no generation or member (an "unmanaged" commit:
// generation -1, as Kafka reads it).
func commitRequest(r *kmsg.OffsetCommitRequest) *spec.OffsetCommitRequest {
	out := &spec.OffsetCommitRequest{GroupID: r.Group, GenerationID: r.Generation, MemberID: r.MemberID, GroupInstanceID: str(r.InstanceID)}
	if r.Version == 0 {
		out.GenerationID, out.MemberID = -1, ""
	}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			out.Offsets = append(out.Offsets, spec.OffsetCommitPartition{TopicPartition: spec.TopicPartition{Topic: t.Topic, Partition: p.Partition},
				Offset: p.Offset, Metadata: str(p.Metadata)})
		}
	}
	return out
}

// fetchRequests: v8 batches groups; before it there is one. A null topic
// list (v2+) asks for every committed partition. v9 adds a member id and
// epoch per group (KIP-848), which the coordinator checks for consumer
// groups; a null member id is the admin path (Kafka's
// ConsumerGroup.validateOffsetFetch accepts a null id with epoch -1).
func fetchRequests(r *kmsg.OffsetFetchRequest) []*spec.OffsetFetchRequest {
	if r.Version < 8 {
		out := &spec.OffsetFetchRequest{GroupID: r.Group}
		if r.Topics != nil || r.Version < 2 {
			out.Partitions = []spec.TopicPartition{}
			for _, t := range r.Topics {
				out.Partitions = appendPartitions(out.Partitions, t.Topic, t.Partitions)
			}
		}
		return []*spec.OffsetFetchRequest{out}
	}
	var outs []*spec.OffsetFetchRequest
	for _, g := range r.Groups {
		out := &spec.OffsetFetchRequest{GroupID: g.Group}
		if r.Version >= 9 && g.MemberID != nil {
			out.MemberID, out.MemberEpoch = *g.MemberID, g.MemberEpoch
		}
		if g.Topics != nil {
			out.Partitions = []spec.TopicPartition{}
			for _, t := range g.Topics {
				out.Partitions = appendPartitions(out.Partitions, t.Topic, t.Partitions)
			}
		}
		outs = append(outs, out)
	}
	return outs
}

func appendPartitions(tps []spec.TopicPartition, topic string, ps []int32) []spec.TopicPartition {
	for _, p := range ps {
		tps = append(tps, spec.TopicPartition{Topic: topic, Partition: p})
	}
	return tps
}

// cgHeartbeatRequest reads a ConsumerGroupHeartbeat (KIP-848). Kafka's
// null fields stay nil; the owned partitions name topics by id, which
// nameOf turns into names (kgroup's coordinator holds topics by name).
func cgHeartbeatRequest(r *kmsg.ConsumerGroupHeartbeatRequest, clientID string, nameOf func([16]byte) (string, bool)) *spec.ConsumerGroupHeartbeatRequest {
	out := &spec.ConsumerGroupHeartbeatRequest{GroupID: r.Group, MemberID: r.MemberID, MemberEpoch: r.MemberEpoch,
		InstanceID: r.InstanceID, RackID: r.RackID, RebalanceTimeoutMs: r.RebalanceTimeoutMillis,
		SubscribedTopicNames: r.SubscribedTopicNames, SubscribedTopicRegex: r.SubscribedTopicRegex,
		ServerAssignor: r.ServerAssignor, ClientID: clientID}
	if r.Topics != nil {
		out.TopicPartitions = spec.Assignment{}
		for _, t := range r.Topics {
			name, ok := nameOf(t.TopicID)
			if !ok {
				name = unknownTopic(t.TopicID)
			}
			out.TopicPartitions[name] = append(out.TopicPartitions[name], t.Partitions...)
		}
		for t, ps := range out.TopicPartitions { // Kafka holds them as a Set
			slices.Sort(ps)
			out.TopicPartitions[t] = slices.Compact(ps)
		}
		out.TopicPartitions.Normalize()
	}
	return out
}

// unknownTopic is the name of a topic id no topic has, in a member's owned
// partitions. Kafka's coordinator holds assignments by topic id and never
// checks owned partitions against the metadata: consumerGroupHeartbeat
// hands them as sent to throwIfConsumerGroupMemberEpochIsInvalid (whose
// isSubset must find them in the member's assignment) and to
// CurrentAssignmentBuilder (which looks only for the partitions being
// revoked), so an unknown id is a partition nobody is assigned, neither
// dropped nor refused. kgroup's coordinator names topics; the id becomes
// a name no Kafka topic can have (':' and '?' are outside Topic.validate's
// [a-zA-Z0-9._-]), with the id in Kafka's Uuid text form (base64url, no
// padding). No assignment holds it, so the member is fenced when it comes
// back with its previous epoch owning it, as from Kafka, and it changes
// nothing else.
func unknownTopic(id [16]byte) string {
	return "?unknown-topic-id:" + base64.RawURLEncoding.EncodeToString(id[:])
}

// memberIDMissing is KIP-1082 on ConsumerGroupHeartbeat v1+: the client
// makes its member id, and one that is empty (after Java's String.trim,
// which strips every char up to ' ') is INVALID_REQUEST
// (GroupCoordinatorService.throwIfConsumerGroupHeartbeatRequestIsInvalid:
// apiVersion >= CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION). On v0 the
// coordinator makes the id of a joining member that sent none.
func memberIDMissing(r *kmsg.ConsumerGroupHeartbeatRequest) bool {
	return r.Version >= 1 && len(strings.TrimFunc(r.MemberID, func(c rune) bool { return c <= ' ' })) == 0
}
