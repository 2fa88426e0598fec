package serve

import (
	"bytes"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// rawCache keeps the bytes members sent, so that what goes back out is
// exactly what came in, as from Kafka, which never decodes them: each
// member's JoinGroup metadata per protocol and the leader's assignment for
// it. Bytes are used only while they decode to what kgroup's coordinator
// holds; otherwise kgroup's own encoding stands in (after a failover, for
// a member replaced by a static one, ...). It lives on the coordinator's
// goroutine.
type rawCache struct {
	meta   map[memberKey][]kmsg.JoinGroupRequestProtocol
	assign map[memberKey][]byte
}

type memberKey struct{ group, member string }

func newRawCache() rawCache {
	return rawCache{meta: map[memberKey][]kmsg.JoinGroupRequestProtocol{}, assign: map[memberKey][]byte{}}
}

// joined notes the protocols a JoinGroup carried, once its answer names
// the member.
func (rc rawCache) joined(group, member string, protocols []kmsg.JoinGroupRequestProtocol) {
	if member == "" || protocols == nil {
		return
	}
	kept := make([]kmsg.JoinGroupRequestProtocol, len(protocols))
	for i, p := range protocols { // the connection reuses its frame buffer
		kept[i] = kmsg.JoinGroupRequestProtocol{Name: p.Name, Metadata: bytes.Clone(p.Metadata)}
	}
	rc.meta[memberKey{group, member}] = kept
}

// synced notes a leader's assignment bytes.
func (rc rawCache) synced(group string, plan []kmsg.SyncGroupRequestGroupAssignment) {
	for _, a := range plan {
		rc.assign[memberKey{group, a.MemberID}] = bytes.Clone(a.MemberAssignment)
	}
}

// metadata is the bytes of each member in a leader's JoinGroup answer.
func (rc rawCache) metadata(group, protocol string, members []spec.JoinGroupMember) [][]byte {
	out := make([][]byte, len(members))
	for i, m := range members {
		for _, p := range rc.meta[memberKey{group, m.MemberID}] {
			if p.Name != protocol {
				continue
			}
			if sub, err := decodeSubscription(p.Metadata); err == nil && sub.Equal(m.Metadata) {
				out[i] = p.Metadata
			}
		}
		if out[i] == nil {
			out[i], _ = assignors.EncodeSubscription(assignors.SubscriptionVersion, m.Metadata)
		}
	}
	return out
}

// assignment is the bytes of a member's SyncGroup answer: the leader's, or
// zero bytes for an empty assignment (what Kafka gives a member the leader
// left out), or kgroup's encoding.
func (rc rawCache) assignment(group, member string, a spec.MemberAssignment) []byte {
	if raw, ok := rc.assign[memberKey{group, member}]; ok {
		if got, err := decodeAssignment(raw); err == nil && got.Partitions.Equal(a.Partitions) && bytes.Equal(got.UserData, a.UserData) {
			return raw
		}
	}
	if a.Partitions.Len() == 0 && a.UserData == nil {
		return []byte{}
	}
	b, _ := assignors.EncodeAssignment(a.Partitions, a.UserData)
	return b
}

// forget drops what is kept for members no longer in the group.
func (rc rawCache) forget(g spec.GroupView) {
	for k := range rc.meta {
		if _, ok := g.Member(k.member); k.group == g.GroupID && !ok {
			delete(rc.meta, k)
		}
	}
	for k := range rc.assign {
		if _, ok := g.Member(k.member); k.group == g.GroupID && !ok {
			delete(rc.assign, k)
		}
	}
}
