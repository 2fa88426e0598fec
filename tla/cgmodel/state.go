// Package cgmodel is the Go twin of ConsumerGroup.tla: the same state, the
// same next-state relation (each function is named after the operator it
// mirrors) and a breadth-first explorer over canonical encodings, reading
// the same TLC configuration files. TestTwinMatchesTLC holds it to TLC's
// distinct-state counts and depths, so that CI, which has no TLC, stands
// in for it.
package cgmodel

import (
	"fmt"
	"math/bits"
	"strings"
)

// PSet is a set of partitions of the one topic, bit p for partition p.
type PSet uint16

func (s PSet) Has(p int) bool       { return s&(1<<p) != 0 }
func (s PSet) Len() int             { return bits.OnesCount16(uint16(s)) }
func (s PSet) Minus(o PSet) PSet    { return s &^ o }
func (s PSet) SubsetOf(o PSet) bool { return s&^o == 0 }

func (s PSet) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for p := 0; p < 16; p++ {
		if s.Has(p) {
			if b.Len() > 1 {
				b.WriteString(", ")
			}
			fmt.Fprint(&b, p)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// ID is a member id <<C, N>>: the coordinator's N-th id for consumer C
// (1-based); the zero ID is NoId.
type ID struct{ C, N uint8 }

// NoID is NoId.
var NoID = ID{}

// Less is the spec's Less: byID order.
func (a ID) Less(b ID) bool { return a.C < b.C || (a.C == b.C && a.N < b.N) }

// MState is a member's state (spec.MemberState).
type MState uint8

const (
	MStable MState = iota
	MUnrevoked
	MUnreleased
)

var mstateNames = [...]string{"STABLE", "UNREVOKED_PARTITIONS", "UNRELEASED_PARTITIONS"}

func (s MState) String() string { return mstateNames[s] }

// Member is the coordinator's member record with its target.
type Member struct {
	ID            ID
	St            MState
	Ep, Prev      int16
	Asg, Rev, Tgt PSet
}

// HeldBy is what the member holds: assigned and pending revocation.
func (m *Member) HeldBy() PSet { return m.Asg | m.Rev }

// Group is grp.
type Group struct {
	Epoch, AEpoch int16
	Members       []Member // sorted by ID: a function's domain in order
	NextID        []uint8  // per consumer
}

// Member returns the member with id, or nil.
func (g *Group) Member(id ID) *Member {
	for i := range g.Members {
		if g.Members[i].ID == id {
			return &g.Members[i]
		}
	}
	return nil
}

// CState is a consumer's state (asyncconsumer's; Down is a stopped process).
type CState uint8

const (
	Unsubscribed CState = iota
	Joining
	Acknowledging
	Stable
	Down
)

var cstateNames = [...]string{"UNSUBSCRIBED", "JOINING", "ACKNOWLEDGING", "STABLE", "DOWN"}

func (s CState) String() string { return cstateNames[s] }

// Sent is HeartbeatState.SentFields as the spec keeps it.
type Sent uint8

const (
	SentNone Sent = iota
	SentFields
	SentAll
)

var sentNames = [...]string{"none", "fields", "all"}

func (s Sent) String() string { return sentNames[s] }

// Consumer is a consumer record (ConsRec).
type Consumer struct {
	St       CState
	Mid      ID
	Ep       int16
	Owned    PSet
	Sent     Sent
	Inflight bool
}

// ConsRec is the spec's ConsRec(st).
func ConsRec(st CState) Consumer { return Consumer{St: st} }

// Live is the spec's Live.
func (x *Consumer) Live() bool { return x.St != Unsubscribed && x.St != Down }

// Request is a ConsumerGroupHeartbeatRequest.
type Request struct {
	Ep             int16
	Mid            ID
	Owned          PSet
	HasOwned, Full bool
}

// Code is a heartbeat answer's error code.
type Code uint8

const (
	None Code = iota
	UnknownMemberID
	FencedMemberEpoch
)

var codeNames = [...]string{"NONE", "UNKNOWN_MEMBER_ID", "FENCED_MEMBER_EPOCH"}

func (c Code) String() string { return codeNames[c] }

// Answer is a ConsumerGroupHeartbeatResponse.
type Answer struct {
	Code   Code
	Mid    ID
	Ep     int16
	Asg    PSet
	HasAsg bool
}

// Err is the spec's Err(code).
func Err(code Code) Answer { return Answer{Code: code} }

// Spent are the budgets spent.
type Spent struct{ Drops, Perturb, Expiries uint8 }

// State is one state of the spec.
type State struct {
	G     Group
	C     []Consumer
	Up    [][]Request
	Down  [][]Answer
	Spent Spent
}

// Init is the spec's Init.
func Init(p *Params) State {
	n := p.NumConsumers
	s := State{G: Group{NextID: make([]uint8, n)}, C: make([]Consumer, n), Up: make([][]Request, n), Down: make([][]Answer, n)}
	return s
}

// Clone returns a deep copy.
func (s *State) Clone() State {
	n := State{G: s.G, Spent: s.Spent}
	n.G.Members = append([]Member(nil), s.G.Members...)
	n.G.NextID = append([]uint8(nil), s.G.NextID...)
	n.C = append([]Consumer(nil), s.C...)
	n.Up = make([][]Request, len(s.Up))
	for i, l := range s.Up {
		n.Up[i] = append([]Request(nil), l...)
	}
	n.Down = make([][]Answer, len(s.Down))
	for i, l := range s.Down {
		n.Down[i] = append([]Answer(nil), l...)
	}
	return n
}
