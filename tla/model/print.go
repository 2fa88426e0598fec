package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// States as TLA+ values, in ClassicGroup.tla's representation: for reports
// (a refinement divergence, a counterexample) and for comparing the twin's
// states with TLC's (Value, ParseValue).

// Value is a TLA+ value: an atom (number, string, boolean), a record, a
// sequence, a set or a function.
type Value struct {
	Kind   byte // 'a' atom, 'r' record, 'q' sequence, 's' set, 'f' function
	Atom   string
	Fields []string // records: field names, in order
	Elems  []Value  // records: field values; sequences and sets: elements; functions: domain then range, interleaved
}

func atomI(n int64) Value    { return Value{Kind: 'a', Atom: strconv.FormatInt(n, 10)} }
func atomS(s string) Value   { return Value{Kind: 'a', Atom: strconv.Quote(s)} }
func atomB(b bool) Value     { return Value{Kind: 'a', Atom: strings.ToUpper(strconv.FormatBool(b))} }
func seqV(vs ...Value) Value { return Value{Kind: 'q', Elems: vs} }

func rec(kv ...any) Value {
	v := Value{Kind: 'r'}
	for i := 0; i < len(kv); i += 2 {
		v.Fields = append(v.Fields, kv[i].(string))
		v.Elems = append(v.Elems, kv[i+1].(Value))
	}
	return v
}

// setV is a set; its elements are put in the canonical order.
func setV(vs ...Value) Value {
	v := Value{Kind: 's', Elems: vs}
	v.normalize()
	return v
}

// funV is a function from domain[i] to rng[i]; the empty function is <<>>.
func funV(domain, rng []Value) Value {
	if len(domain) == 0 {
		return seqV()
	}
	v := Value{Kind: 'f'}
	for i := range domain {
		v.Elems = append(v.Elems, domain[i], rng[i])
	}
	v.normalize()
	return v
}

// normalize puts set elements and function pairs in the order of their
// text, and records' fields in the order of their names, recursively: two
// equal TLA+ values normalize to the same Value.
func (v *Value) normalize() {
	for i := range v.Elems {
		v.Elems[i].normalize()
	}
	switch v.Kind {
	case 's':
		slices.SortFunc(v.Elems, func(a, b Value) int { return strings.Compare(a.String(), b.String()) })
		v.Elems = slices.CompactFunc(v.Elems, func(a, b Value) bool { return a.String() == b.String() })
	case 'f':
		type pair struct{ k, v Value }
		ps := make([]pair, len(v.Elems)/2)
		for i := range ps {
			ps[i] = pair{v.Elems[2*i], v.Elems[2*i+1]}
		}
		slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(a.k.String(), b.k.String()) })
		for i, p := range ps {
			v.Elems[2*i], v.Elems[2*i+1] = p.k, p.v
		}
	case 'r':
		idx := make([]int, len(v.Fields))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(v.Fields[a], v.Fields[b]) })
		fs, es := make([]string, len(idx)), make([]Value, len(idx))
		for i, j := range idx {
			fs[i], es[i] = v.Fields[j], v.Elems[j]
		}
		v.Fields, v.Elems = fs, es
	}
}

// String is the value in TLA+ syntax.
func (v Value) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func (v Value) write(b *strings.Builder) {
	switch v.Kind {
	case 'a':
		b.WriteString(v.Atom)
	case 'r':
		b.WriteString("[")
		for i, f := range v.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f + " |-> ")
			v.Elems[i].write(b)
		}
		b.WriteString("]")
	case 'q':
		b.WriteString("<<")
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.write(b)
		}
		b.WriteString(">>")
	case 's':
		b.WriteString("{")
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.write(b)
		}
		b.WriteString("}")
	case 'f':
		b.WriteString("(")
		for i := 0; i < len(v.Elems); i += 2 {
			if i > 0 {
				b.WriteString(" @@ ")
			}
			v.Elems[i].write(b)
			b.WriteString(" :> ")
			v.Elems[i+1].write(b)
		}
		b.WriteString(")")
	}
}

// flatten lists the value's atoms with their paths, for diffs.
func (v Value) flatten(path string, out *[]string) {
	switch v.Kind {
	case 'a':
		*out = append(*out, path+" = "+v.Atom)
	case 'r':
		for i, f := range v.Fields {
			v.Elems[i].flatten(path+"."+f, out)
		}
	case 'q':
		if len(v.Elems) == 0 {
			*out = append(*out, path+" = <<>>")
		}
		for i, e := range v.Elems {
			e.flatten(fmt.Sprintf("%s[%d]", path, i+1), out)
		}
	case 's':
		*out = append(*out, path+" = "+v.String())
	case 'f':
		for i := 0; i < len(v.Elems); i += 2 {
			v.Elems[i+1].flatten(path+"["+v.Elems[i].String()+"]", out)
		}
	}
}

// The state's parts as TLA+ values.

var (
	kindNames  = []string{"none", "join", "sync", "heartbeat", "leave", "commit", "fetch"}
	groupNames = []string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable"}
	stNames    = []string{"notstarted", "down", "unjoined", "joining", "syncing", "stable"}
	parkNames  = []string{"none", "dead", "live"}
)

// CodeName is an error code's Kafka name.
func CodeName(c uint8) string {
	switch c {
	case None:
		return "NONE"
	case UnknownServerError:
		return "UNKNOWN_SERVER_ERROR"
	case OffsetMetadataTooLarge:
		return "OFFSET_METADATA_TOO_LARGE"
	case NotCoordinator:
		return "NOT_COORDINATOR"
	case IllegalGeneration:
		return "ILLEGAL_GENERATION"
	case InconsistentGroupProtocol:
		return "INCONSISTENT_GROUP_PROTOCOL"
	case UnknownMemberID:
		return "UNKNOWN_MEMBER_ID"
	case InvalidSessionTimeout:
		return "INVALID_SESSION_TIMEOUT"
	case RebalanceInProgress:
		return "REBALANCE_IN_PROGRESS"
	case GroupIDNotFound:
		return "GROUP_ID_NOT_FOUND"
	case MemberIDRequired:
		return "MEMBER_ID_REQUIRED"
	case GroupMaxSizeReached:
		return "GROUP_MAX_SIZE_REACHED"
	case FencedInstanceID:
		return "FENCED_INSTANCE_ID"
	}
	return fmt.Sprintf("CODE_%d", c)
}

type printer struct{ p *Params }

func (pr printer) id(id ID) Value { return seqV(atomS(pr.p.PrefixName(id.P)), atomI(int64(id.N))) }
func (pr printer) tp(p TP) Value {
	return seqV(atomS(pr.p.TopicNames[p.Topic()]), atomI(int64(p.Num())))
}
func (pr printer) pset(s PSet) Value {
	vs := make([]Value, len(s))
	for i, p := range s {
		vs[i] = pr.tp(p)
	}
	return setV(vs...)
}
func (pr printer) ids(s []ID) Value {
	vs := make([]Value, len(s))
	for i, id := range s {
		vs[i] = pr.id(id)
	}
	return setV(vs...)
}
func (pr printer) offs(m Offs) Value {
	var d, r []Value
	for _, o := range m {
		d, r = append(d, pr.tp(o.P)), append(r, atomI(o.O))
	}
	return funV(d, r)
}
func (pr printer) counts(c Counts) Value {
	v := Value{Kind: 'r'}
	for t, name := range pr.p.TopicNames {
		v.Fields, v.Elems = append(v.Fields, name), append(v.Elems, atomI(int64(c[t])))
	}
	v.normalize()
	return v
}
func (pr printer) topics(ts Topics) Value {
	var vs []Value
	for t, name := range pr.p.TopicNames {
		if ts.Has(t) {
			vs = append(vs, atomS(name))
		}
	}
	return setV(vs...)
}
func (pr printer) inst(i uint8) Value {
	if i == 0 {
		return atomS("")
	}
	return atomS(pr.p.Instances[i-1])
}
func (pr printer) proto(a uint8) Value { return atomS(AssignorNames[a]) }
func (pr printer) names(ns []uint8) Value {
	vs := make([]Value, len(ns))
	for i, a := range ns {
		vs[i] = pr.proto(a)
	}
	return seqV(vs...)
}
func (pr printer) consumer(c uint8) Value {
	if int(c) < len(pr.p.Consumers) {
		return atomS(pr.p.Consumers[c])
	}
	return atomS("")
}
func (pr printer) desc(d Desc) Value {
	return rec("k", atomS(kindNames[d.K]), "g", atomI(int64(d.G)), "m", pr.id(d.M), "r", atomB(d.R))
}
func (pr printer) meta(m Meta) Value {
	return rec("topics", pr.topics(m.Topics), "owned", pr.pset(m.Owned), "gen", atomI(int64(m.Gen)))
}
func (pr printer) parked(p Parked) Value {
	to := atomS("")
	if p.K == ParkLive {
		to = pr.consumer(p.To)
	}
	return rec("k", atomS(parkNames[p.K]), "to", to, "d", pr.desc(p.D))
}

func (pr printer) group(g *Group) Value {
	var ms []Value
	for _, m := range g.Members {
		ms = append(ms, rec("id", pr.id(m.ID), "inst", pr.inst(m.Inst), "names", pr.names(m.Names), "meta", pr.meta(m.Meta),
			"assign", pr.pset(m.Assign), "join", pr.parked(m.Join), "sync", pr.parked(m.Sync), "new", atomB(m.New)))
	}
	var rms []Value
	for _, m := range g.Rec.Members {
		rms = append(rms, rec("id", pr.id(m.ID), "inst", pr.inst(m.Inst), "meta", pr.meta(m.Meta), "assign", pr.pset(m.Assign)))
	}
	r := g.Rec
	return rec("exists", atomB(g.Exists), "st", atomS(groupNames[g.St]), "fromEmpty", atomB(g.FromEmpty),
		"gen", atomI(int64(g.Gen)), "proto", pr.proto(g.Proto), "leader", pr.id(g.Leader), "members", seqV(ms...),
		"pending", pr.ids(g.Pending), "pendingSync", pr.ids(g.PendingSync), "committed", pr.offs(g.Committed),
		"rec", rec("has", atomB(r.Has), "gen", atomI(int64(r.Gen)), "proto", pr.proto(r.Proto), "leader", pr.id(r.Leader),
			"members", seqV(rms...)),
		"maxRecId", atomI(int64(g.MaxRecID)), "nextId", atomI(int64(g.NextID)))
}

func (pr printer) cons(x *Consumer) Value {
	var d, r []Value
	for _, e := range x.Inflight {
		d, r = append(d, pr.desc(e.D)), append(r, atomI(int64(e.N)))
	}
	rv := x.Rev
	return rec("st", atomS(stNames[x.St]), "cur", atomB(x.Cur), "member", pr.id(x.Member), "gen", atomI(int64(x.Gen)),
		"proto", pr.proto(x.Proto), "leader", atomB(x.Leader), "rejoin", atomB(x.Rejoin), "prepare", atomB(x.Prepare),
		"stalled", atomB(x.Stalled), "frozen", atomB(x.Frozen), "unknown", atomB(x.Unknown), "owned", pr.pset(x.Owned),
		"pos", pr.offs(x.Pos), "meta", pr.counts(x.Meta), "hasSnap", atomB(x.HasSnap), "snap", pr.counts(x.Snap),
		"rev", rec("on", atomB(rv.On), "parts", pr.pset(rv.Parts), "inflight", atomB(rv.InFlight), "thenJoin", atomB(rv.ThenJoin),
			"pending", pr.pset(rv.Pending)),
		"inflight", funV(d, r))
}

func (pr printer) req(r *Req) Value {
	var d, rg []Value
	for _, e := range r.Plan {
		d, rg = append(d, pr.id(e.M)), append(rg, pr.pset(e.A))
	}
	return rec("k", atomS(kindNames[r.K]), "d", pr.desc(r.D), "from", pr.consumer(r.From), "member", pr.id(r.Member),
		"inst", pr.inst(r.Inst), "gen", atomI(int64(r.Gen)), "names", pr.names(r.Names), "meta", pr.meta(r.Meta),
		"sessOK", atomB(r.SessOK), "proto", pr.proto(r.Proto), "plan", funV(d, rg), "offs", pr.offs(r.Offs),
		"big", atomB(r.Big), "parts", pr.pset(r.Parts))
}

func (pr printer) resp(r *Resp) Value {
	var ms []Value
	for _, m := range r.Members {
		ms = append(ms, rec("id", pr.id(m.ID), "inst", pr.inst(m.Inst), "meta", pr.meta(m.Meta)))
	}
	return rec("k", atomS(kindNames[r.K]), "d", pr.desc(r.D), "code", atomS(CodeName(r.Code)), "member", pr.id(r.Member),
		"gen", atomI(int64(r.Gen)), "proto", pr.proto(r.Proto), "leader", pr.id(r.Leader), "skip", atomB(r.Skip),
		"members", seqV(ms...), "assign", pr.pset(r.Assign), "offs", pr.offs(r.Offs))
}

// Values returns the state's variables, by name, as TLA+ values.
func Values(p *Params, s *State) (names []string, vals []Value) {
	pr := printer{p}
	add := func(n string, v Value) { names, vals = append(names, n), append(vals, v) }
	add("topics", pr.counts(s.Topics))
	add("grp", pr.group(&s.G))
	var cs, ups, downs []Value
	var cn []Value
	for c := range s.C {
		cn = append(cn, atomS(p.Consumers[c]))
		cs = append(cs, pr.cons(&s.C[c]))
		var links []Value
		for _, l := range s.Up[c] {
			var rs []Value
			for i := range l {
				rs = append(rs, pr.req(&l[i]))
			}
			links = append(links, seqV(rs...))
		}
		ups = append(ups, seqV(links...))
		var rs []Value
		for i := range s.Down[c] {
			rs = append(rs, pr.resp(&s.Down[c][i]))
		}
		downs = append(downs, seqV(rs...))
	}
	asRecord := func(vs []Value) Value { // functions from consumer names are records in TLA+
		v := Value{Kind: 'r'}
		for i := range vs {
			v.Fields, v.Elems = append(v.Fields, strings.Trim(cn[i].Atom, `"`)), append(v.Elems, vs[i])
		}
		v.normalize()
		return v
	}
	add("cons", asRecord(cs))
	add("up", asRecord(ups))
	add("down", asRecord(downs))
	var adm []Value
	for _, i := range s.Admin {
		adm = append(adm, pr.inst(i))
	}
	add("admin", seqV(adm...))
	g := s.Ghost
	sp := g.Spent
	add("ghost", rec("processed", pr.offs(g.Processed), "badFencing", atomB(g.Bad&BadFencing != 0),
		"badNoLoss", atomB(g.Bad&BadNoLoss != 0), "failedOver", atomB(g.FailedOver),
		"spent", rec("perturb", atomI(int64(sp.Perturb)), "drops", atomI(int64(sp.Drops)), "timeouts", atomI(int64(sp.Timeouts)),
			"consumes", atomI(int64(sp.Consumes)), "commits", atomI(int64(sp.Commits)))))
	return names, vals
}

// Format writes the state as a TLA+ conjunction of its variables' values,
// one per line (TLC's form of a state).
func Format(p *Params, s *State) string {
	names, vals := Values(p, s)
	var b strings.Builder
	for i := range names {
		fmt.Fprintf(&b, "/\\ %s = %s\n", names[i], vals[i])
	}
	return b.String()
}

func flat(p *Params, s *State) []string {
	names, vals := Values(p, s)
	var out []string
	for i := range names {
		if names[i] != "ghost" {
			vals[i].flatten(names[i], &out)
		}
	}
	return out
}

// Diff lists what differs between two states (ghost aside), one line each.
func Diff(p *Params, a, b *State) string {
	fa, fb := flat(p, a), flat(p, b)
	var out strings.Builder
	for _, l := range fa {
		if !slices.Contains(fb, l) {
			out.WriteString("  - " + l + "\n")
		}
	}
	for _, l := range fb {
		if !slices.Contains(fa, l) {
			out.WriteString("  + " + l + "\n")
		}
	}
	return out.String()
}

// Distance counts the lines Diff would write.
func Distance(p *Params, a, b *State) int {
	return strings.Count(Diff(p, a, b), "\n")
}
