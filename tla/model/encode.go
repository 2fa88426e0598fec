package model

import (
	"encoding/binary"
	"errors"
)

// The canonical encoding of a State: equal states, equal bytes, and
// different states, different bytes. The explorer hashes it; the
// refinement check compares it (without the ghost).

type enc struct{ b []byte }

func (e *enc) u(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) byte(v byte) { e.b = append(e.b, v) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) id(id ID) { e.u(uint64(id.P)); e.u(uint64(id.N)) }
func (e *enc) pset(s PSet) {
	e.u(uint64(len(s)))
	for _, p := range s {
		e.u(uint64(p))
	}
}
func (e *enc) offs(m Offs) {
	e.u(uint64(len(m)))
	for _, o := range m {
		e.u(uint64(o.P))
		e.i(o.O)
	}
}
func (e *enc) counts(c Counts) {
	for _, n := range c {
		e.i(int64(n))
	}
}
func (e *enc) bytes(v []uint8) {
	e.u(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *enc) desc(d Desc) { e.byte(d.K); e.i(int64(d.G)); e.id(d.M); e.bool(d.R) }
func (e *enc) meta(m Meta) { e.byte(byte(m.Topics)); e.pset(m.Owned); e.i(int64(m.Gen)) }
func (e *enc) parked(p Parked) {
	e.byte(p.K)
	e.byte(p.To)
	e.desc(p.D)
}
func (e *enc) ids(s []ID) {
	e.u(uint64(len(s)))
	for _, id := range s {
		e.id(id)
	}
}
func (e *enc) plan(pl []PlanEntry) {
	e.u(uint64(len(pl)))
	for _, en := range pl {
		e.id(en.M)
		e.pset(en.A)
	}
}

func (e *enc) group(g *Group) {
	e.bool(g.Exists)
	e.byte(g.St)
	e.bool(g.FromEmpty)
	e.i(int64(g.Gen))
	e.byte(g.Proto)
	e.id(g.Leader)
	e.u(uint64(len(g.Members)))
	for _, m := range g.Members {
		e.id(m.ID)
		e.byte(m.Inst)
		e.bytes(m.Names)
		e.meta(m.Meta)
		e.pset(m.Assign)
		e.parked(m.Join)
		e.parked(m.Sync)
		e.bool(m.New)
	}
	e.ids(g.Pending)
	e.ids(g.PendingSync)
	e.offs(g.Committed)
	r := &g.Rec
	e.bool(r.Has)
	e.i(int64(r.Gen))
	e.byte(r.Proto)
	e.id(r.Leader)
	e.u(uint64(len(r.Members)))
	for _, m := range r.Members {
		e.id(m.ID)
		e.byte(m.Inst)
		e.meta(m.Meta)
		e.pset(m.Assign)
	}
	e.u(uint64(g.MaxRecID))
	e.u(uint64(g.NextID))
}

func (e *enc) consumer(x *Consumer) {
	e.byte(x.St)
	e.bool(x.Cur)
	e.byte(x.Cfg)
	e.id(x.Member)
	e.i(int64(x.Gen))
	e.byte(x.Proto)
	var flags byte
	for i, f := range []bool{x.Leader, x.Rejoin, x.Prepare, x.Stalled, x.Frozen, x.Unknown, x.HasSnap} {
		if f {
			flags |= 1 << i
		}
	}
	e.byte(flags)
	e.pset(x.Owned)
	e.offs(x.Pos)
	e.counts(x.Meta)
	e.counts(x.Snap)
	r := &x.Rev
	e.bool(r.On)
	e.pset(r.Parts)
	e.bool(r.InFlight)
	e.bool(r.ThenJoin)
	e.pset(r.Pending)
	e.u(uint64(len(x.Inflight)))
	for _, d := range x.Inflight {
		e.desc(d.D)
		e.byte(d.N)
	}
}

// req and resp write every field: fields a kind does not use hold their
// zero values, as the TLA+ records hold their defaults.
func (e *enc) req(r *Req) {
	e.byte(r.K)
	e.desc(r.D)
	e.byte(r.From)
	e.id(r.Member)
	e.byte(r.Inst)
	e.i(int64(r.Gen))
	e.bytes(r.Names)
	e.meta(r.Meta)
	e.bool(r.SessOK)
	e.byte(r.Proto)
	e.plan(r.Plan)
	e.offs(r.Offs)
	e.bool(r.Big)
	e.pset(r.Parts)
}

func (e *enc) resp(r *Resp) {
	e.byte(r.K)
	e.desc(r.D)
	e.byte(r.Code)
	e.id(r.Member)
	e.i(int64(r.Gen))
	e.byte(r.Proto)
	e.id(r.Leader)
	e.bool(r.Skip)
	e.u(uint64(len(r.Members)))
	for _, m := range r.Members {
		e.id(m.ID)
		e.byte(m.Inst)
		e.meta(m.Meta)
	}
	e.pset(r.Assign)
	e.offs(r.Offs)
}

// AppendProtocol appends the encoding of s without its ghost: what the
// refinement check compares.
func (s *State) AppendProtocol(b []byte) []byte {
	e := enc{b}
	e.counts(s.Topics)
	e.group(&s.G)
	for c := range s.C {
		e.consumer(&s.C[c])
		e.u(uint64(len(s.Up[c])))
		for _, l := range s.Up[c] {
			e.u(uint64(len(l)))
			for i := range l {
				e.req(&l[i])
			}
		}
		e.u(uint64(len(s.Down[c])))
		for i := range s.Down[c] {
			e.resp(&s.Down[c][i])
		}
	}
	e.bytes(s.Admin)
	return e.b
}

// AppendState appends the whole state's encoding, ghost included: what the
// explorer tells states apart by.
func (s *State) AppendState(b []byte) []byte {
	b = s.AppendProtocol(b)
	e := enc{b}
	g := &s.Ghost
	e.offs(g.Processed)
	e.byte(g.Bad)
	e.bool(g.FailedOver)
	sp := g.Spent
	e.b = append(e.b, sp.Perturb, sp.Drops, sp.Timeouts, sp.Consumes, sp.Commits)
	return e.b
}

// dec reads what enc writes.
type dec struct {
	b   []byte
	bad bool
}

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}
func (d *dec) bool() bool { return d.byte() == 1 }
func (d *dec) id() ID     { return ID{uint16(d.u()), uint16(d.u())} }
func (d *dec) n() int {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.bad = true
		return 0
	}
	return int(n)
}
func (d *dec) pset() PSet {
	n := d.n()
	if n == 0 {
		return nil
	}
	s := make(PSet, n)
	for i := range s {
		s[i] = TP(d.u())
	}
	return s
}
func (d *dec) offs() Offs {
	n := d.n()
	if n == 0 {
		return nil
	}
	m := make(Offs, n)
	for i := range m {
		m[i] = Off{TP(d.u()), d.i()}
	}
	return m
}
func (d *dec) counts() (c Counts) {
	for i := range c {
		c[i] = int16(d.i())
	}
	return c
}
func (d *dec) bytes() []uint8 {
	n := d.n()
	if n == 0 {
		return nil
	}
	v := append([]uint8(nil), d.b[:n]...)
	d.b = d.b[n:]
	return v
}
func (d *dec) desc() Desc     { return Desc{K: d.byte(), G: int32(d.i()), M: d.id(), R: d.bool()} }
func (d *dec) meta() Meta     { return Meta{Topics: Topics(d.byte()), Owned: d.pset(), Gen: int32(d.i())} }
func (d *dec) parked() Parked { return Parked{K: d.byte(), To: d.byte(), D: d.desc()} }
func (d *dec) ids() IDs {
	n := d.n()
	if n == 0 {
		return nil
	}
	s := make(IDs, n)
	for i := range s {
		s[i] = d.id()
	}
	return s
}
func (d *dec) plan() []PlanEntry {
	n := d.n()
	if n == 0 {
		return nil
	}
	pl := make([]PlanEntry, n)
	for i := range pl {
		pl[i] = PlanEntry{M: d.id(), A: d.pset()}
	}
	return pl
}

func (d *dec) group(g *Group) {
	g.Exists, g.St, g.FromEmpty, g.Gen, g.Proto, g.Leader = d.bool(), d.byte(), d.bool(), int32(d.i()), d.byte(), d.id()
	if n := d.n(); n > 0 {
		g.Members = make([]Member, n)
		for i := range g.Members {
			m := &g.Members[i]
			m.ID, m.Inst, m.Names, m.Meta, m.Assign = d.id(), d.byte(), d.bytes(), d.meta(), d.pset()
			m.Join, m.Sync, m.New = d.parked(), d.parked(), d.bool()
		}
	}
	g.Pending, g.PendingSync, g.Committed = d.ids(), d.ids(), d.offs()
	r := &g.Rec
	r.Has, r.Gen, r.Proto, r.Leader = d.bool(), int32(d.i()), d.byte(), d.id()
	if n := d.n(); n > 0 {
		r.Members = make([]RecMember, n)
		for i := range r.Members {
			r.Members[i] = RecMember{ID: d.id(), Inst: d.byte(), Meta: d.meta(), Assign: d.pset()}
		}
	}
	g.MaxRecID, g.NextID = uint16(d.u()), uint16(d.u())
}

func (d *dec) consumer(x *Consumer) {
	x.St, x.Cur, x.Cfg, x.Member, x.Gen, x.Proto = d.byte(), d.bool(), d.byte(), d.id(), int32(d.i()), d.byte()
	flags := d.byte()
	for i, f := range []*bool{&x.Leader, &x.Rejoin, &x.Prepare, &x.Stalled, &x.Frozen, &x.Unknown, &x.HasSnap} {
		*f = flags&(1<<i) != 0
	}
	x.Owned, x.Pos, x.Meta, x.Snap = d.pset(), d.offs(), d.counts(), d.counts()
	x.Rev = Revoking{On: d.bool(), Parts: d.pset(), InFlight: d.bool(), ThenJoin: d.bool(), Pending: d.pset()}
	if n := d.n(); n > 0 {
		x.Inflight = make([]DC, n)
		for i := range x.Inflight {
			x.Inflight[i] = DC{D: d.desc(), N: d.byte()}
		}
	}
}

func (d *dec) req(r *Req) {
	r.K, r.D, r.From, r.Member, r.Inst, r.Gen = d.byte(), d.desc(), d.byte(), d.id(), d.byte(), int32(d.i())
	r.Names, r.Meta, r.SessOK, r.Proto, r.Plan = d.bytes(), d.meta(), d.bool(), d.byte(), d.plan()
	r.Offs, r.Big, r.Parts = d.offs(), d.bool(), d.pset()
}

func (d *dec) resp(r *Resp) {
	r.K, r.D, r.Code, r.Member, r.Gen, r.Proto, r.Leader, r.Skip = d.byte(), d.desc(), d.byte(), d.id(), int32(d.i()), d.byte(), d.id(), d.bool()
	if n := d.n(); n > 0 {
		r.Members = make([]JMember, n)
		for i := range r.Members {
			r.Members[i] = JMember{ID: d.id(), Inst: d.byte(), Meta: d.meta()}
		}
	}
	r.Assign, r.Offs = d.pset(), d.offs()
}

// DecodeState reads what AppendState wrote, for a model of n consumers.
func DecodeState(b []byte, n int) (State, error) {
	d := &dec{b: b}
	s := State{C: make([]Consumer, n), Up: make([][][]Req, n), Down: make([][]Resp, n)}
	s.Topics = d.counts()
	d.group(&s.G)
	for c := range n {
		d.consumer(&s.C[c])
		if k := d.n(); k > 0 {
			s.Up[c] = make([][]Req, k)
			for l := range s.Up[c] {
				s.Up[c][l] = make([]Req, d.n())
				for i := range s.Up[c][l] {
					d.req(&s.Up[c][l][i])
				}
			}
		}
		if k := d.n(); k > 0 {
			s.Down[c] = make([]Resp, k)
			for i := range s.Down[c] {
				d.resp(&s.Down[c][i])
			}
		}
	}
	s.Admin = d.bytes()
	g := &s.Ghost
	g.Processed, g.Bad, g.FailedOver = d.offs(), d.byte(), d.bool()
	g.Spent = Spent{d.byte(), d.byte(), d.byte(), d.byte(), d.byte()}
	if d.bad || len(d.b) != 0 {
		return State{}, errors.New("model: a state encoding does not decode")
	}
	return s, nil
}
