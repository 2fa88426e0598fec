package model

import "encoding/binary"

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
