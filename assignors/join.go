package assignors

import (
	"bytes"
	"fmt"
	"slices"
)

// JoinMember is one member of a JoinGroup response as the group leader gets
// it: its ids and its metadata for the protocol the coordinator chose, the
// bytes of a ConsumerProtocolSubscription.
type JoinMember struct {
	MemberID   string
	InstanceID string // "" for a dynamic member
	Metadata   []byte
}

// Group is a JoinGroup response's members decoded for one assignor: the
// first half of a group leader's work, DecodeGroup, then Assign once the
// leader knows the partition counts of Topics. It is what a client library's
// balancer plugs in (adapters/kgo, adapters/sarama).
//
// For Sticky and CooperativeSticky the metadata is read straight into the
// assignors' interned form: each topic name is copied once per group, a
// subscription equal byte for byte to the previous member's is resolved
// once, and owned partitions stay in the bytes until Assign turns them into
// partition numbers, so nothing is allocated per partition. Other assignors
// decode every member with DecodeSubscription and MemberFromSubscription.
// Either way the plan is the one Assign on those decoded members gives, and
// so is an error.
//
// A Group keeps references to the members' metadata and ids: do not modify
// them while it is in use. Assign does not modify the Group.
type Group struct {
	assignor    Assignor
	cooperative bool // for the sticky pair: which one
	wire        bool // members/names hold the group; decoded otherwise
	members     []groupMember
	names       []string         // every subscribed topic, in order of first appearance
	index       map[string]int32 // position of each name in names
	decoded     []Member
}

// groupMember is one member of a wire Group.
type groupMember struct {
	id, instanceID string
	meta           []byte  // its metadata, for decoding it the readable way (errors)
	topics         []int32 // its subscription as listed, by position in names
	owned          []byte  // its owned partitions, {topic, [partition]} entries
	numOwned       int     // partitions listed in owned
	generation     int32
}

// DecodeGroup decodes the JoinGroup members' metadata for the assignor a.
// Malformed metadata is an error that names the member. Sticky user data
// that does not parse means, as in Kafka (and MemberFromSubscription), that
// the member owns nothing.
func DecodeGroup(a Assignor, members []JoinMember) (*Group, error) {
	g := &Group{assignor: a, index: map[string]int32{}}
	switch a.(type) {
	case Sticky:
		g.wire = true
	case CooperativeSticky:
		g.wire, g.cooperative = true, true
	default:
		return g, g.decodeAll(members)
	}
	g.members = make([]groupMember, len(members))
	var last, backing []int32 // the last interned subscription; every interned subscription
	var lastBytes []byte
	for i, jm := range members {
		v, err := parseSubscription(jm.Metadata)
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", jm.MemberID, err)
		}
		if i == 0 || !bytes.Equal(v.topics, lastBytes) {
			from := len(backing)
			backing = g.intern(backing, v.topics)
			last, lastBytes = backing[from:len(backing):len(backing)], v.topics
		}
		gm := &g.members[i]
		gm.id, gm.instanceID, gm.meta, gm.topics = jm.MemberID, jm.InstanceID, jm.Metadata, last
		g.readOwnership(gm, v)
	}
	return g, nil
}

// intern appends to ids the positions in names of the topics in a checked
// topic array, adding the names not seen before.
func (g *Group) intern(ids []int32, topics []byte) []int32 {
	for at := 0; at < len(topics); {
		var name []byte
		name, at = nextString(topics, at)
		id, ok := g.index[string(name)]
		if !ok {
			id = int32(len(g.names))
			g.names = append(g.names, string(name))
			g.index[g.names[id]] = id
		}
		ids = append(ids, id)
	}
	return ids
}

// readOwnership sets what gm claims, as MemberFromSubscription reads it: the
// eager assignor from its user data alone (nothing, at generation -1, when
// there is none or it does not parse); the cooperative one from the
// subscription's fields, its generation from the user data when the fields
// have none.
func (g *Group) readOwnership(gm *groupMember, v subscriptionView) {
	if g.cooperative {
		gm.owned, gm.numOwned, gm.generation = v.owned, v.ownedPartitions, v.generation
		if gm.generation < 0 {
			if _, gen, err := (CooperativeSticky{}).DecodeUserData(v.userData); err == nil {
				gm.generation = gen
			}
		}
		return
	}
	gm.generation = -1
	if len(v.userData) == 0 {
		return
	}
	if entries, n, gen, err := parseStickyUserData(v.userData); err == nil {
		gm.owned, gm.numOwned, gm.generation = entries, n, gen
	}
}

// decodeAll is DecodeGroup for assignors without a wire path.
func (g *Group) decodeAll(members []JoinMember) error {
	g.decoded = make([]Member, 0, len(members))
	for _, jm := range members {
		sub, err := DecodeSubscription(jm.Metadata)
		if err != nil {
			return fmt.Errorf("member %q: %w", jm.MemberID, err)
		}
		for _, t := range sub.Topics {
			if _, ok := g.index[t]; !ok {
				g.index[t] = int32(len(g.names))
				g.names = append(g.names, t)
			}
		}
		g.decoded = append(g.decoded, MemberFromSubscription(g.assignor, jm.MemberID, jm.InstanceID, sub))
	}
	return nil
}

// Members decodes the group's members the readable way, as Assign sees them.
func (g *Group) Members() []Member {
	if !g.wire {
		return slices.Clone(g.decoded)
	}
	out := make([]Member, len(g.members))
	for i, gm := range g.members {
		sub, err := DecodeSubscription(gm.meta)
		stickyAssert(err == nil, "DecodeSubscription rejected metadata parseSubscription accepted: %v", err)
		out[i] = MemberFromSubscription(g.assignor, gm.id, gm.instanceID, sub)
	}
	return out
}

// Topics lists, sorted, every topic some member subscribes to: the topics
// whose partition counts Assign needs.
func (g *Group) Topics() []string {
	return slices.Sorted(slices.Values(g.names))
}

// Assign computes the plan for the decoded members, given the partition
// count of every existing topic (subscriptions to other topics are ignored),
// exactly as g's assignor's Assign would on Members.
func (g *Group) Assign(topics map[string]int32) (*CompactPlan, error) {
	if !g.wire {
		plan, err := g.assignor.Assign(topics, g.decoded)
		if err != nil {
			return nil, err
		}
		return compactOf(plan, g.decoded), nil
	}
	r, err := solveWire(g, topics)
	if err != nil {
		return nil, err
	}
	return r.compact(g.cooperative), nil
}
