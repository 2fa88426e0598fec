package cgmodel

import (
	"encoding/binary"
	"errors"
)

// AppendState appends the state's canonical encoding to b: two states
// encode alike exactly when the spec's values are equal.
func (s *State) AppendState(b []byte) []byte {
	i16 := func(v int16) { b = binary.LittleEndian.AppendUint16(b, uint16(v)) }
	u16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	id := func(v ID) { b = append(b, v.C, v.N) }
	bl := func(v bool) {
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	i16(s.G.Epoch)
	i16(s.G.AEpoch)
	b = append(b, byte(len(s.G.Members)))
	for _, m := range s.G.Members {
		id(m.ID)
		b = append(b, byte(m.St))
		i16(m.Ep)
		i16(m.Prev)
		u16(uint16(m.Asg))
		u16(uint16(m.Rev))
		u16(uint16(m.Tgt))
	}
	b = append(b, s.G.NextID...)
	for _, x := range s.C {
		b = append(b, byte(x.St))
		id(x.Mid)
		i16(x.Ep)
		u16(uint16(x.Owned))
		b = append(b, byte(x.Sent))
		bl(x.Inflight)
	}
	for _, l := range s.Up {
		b = append(b, byte(len(l)))
		for _, r := range l {
			i16(r.Ep)
			id(r.Mid)
			u16(uint16(r.Owned))
			bl(r.HasOwned)
			bl(r.Full)
		}
	}
	for _, l := range s.Down {
		b = append(b, byte(len(l)))
		for _, a := range l {
			b = append(b, byte(a.Code))
			id(a.Mid)
			i16(a.Ep)
			u16(uint16(a.Asg))
			bl(a.HasAsg)
		}
	}
	return append(b, s.Spent.Drops, s.Spent.Perturb, s.Spent.Expiries)
}

var errShort = errors.New("cgmodel: truncated state encoding")

// DecodeState reads an encoding of a state with n consumers.
func DecodeState(b []byte, n int) (s State, err error) {
	defer func() {
		if recover() != nil {
			err = errShort
		}
	}()
	i16 := func() int16 { v := int16(binary.LittleEndian.Uint16(b)); b = b[2:]; return v }
	u16 := func() PSet { v := PSet(binary.LittleEndian.Uint16(b)); b = b[2:]; return v }
	u8 := func() uint8 { v := b[0]; b = b[1:]; return v }
	id := func() ID { return ID{u8(), u8()} }
	bl := func() bool { return u8() != 0 }
	s.G.Epoch, s.G.AEpoch = i16(), i16()
	for k := int(u8()); k > 0; k-- {
		s.G.Members = append(s.G.Members, Member{ID: id(), St: MState(u8()), Ep: i16(), Prev: i16(), Asg: u16(), Rev: u16(), Tgt: u16()})
	}
	s.G.NextID = make([]uint8, n)
	for c := range n {
		s.G.NextID[c] = u8()
	}
	s.C = make([]Consumer, n)
	for c := range n {
		s.C[c] = Consumer{St: CState(u8()), Mid: id(), Ep: i16(), Owned: u16(), Sent: Sent(u8()), Inflight: bl()}
	}
	s.Up, s.Down = make([][]Request, n), make([][]Answer, n)
	for c := range n {
		for k := int(u8()); k > 0; k-- {
			s.Up[c] = append(s.Up[c], Request{Ep: i16(), Mid: id(), Owned: u16(), HasOwned: bl(), Full: bl()})
		}
	}
	for c := range n {
		for k := int(u8()); k > 0; k-- {
			s.Down[c] = append(s.Down[c], Answer{Code: Code(u8()), Mid: id(), Ep: i16(), Asg: u16(), HasAsg: bl()})
		}
	}
	s.Spent = Spent{u8(), u8(), u8()}
	if len(b) != 0 {
		return State{}, errors.New("cgmodel: trailing bytes in a state encoding")
	}
	return s, nil
}
