package cgmodel

import (
	"fmt"
	"strings"
)

func (id ID) String() string {
	return fmt.Sprintf("<<%d, %d>>", id.C, id.N)
}

func tla(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// Format writes the state in TLA+ syntax, as TLC prints it.
func Format(s *State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "/\\ grp = [epoch |-> %d, aEpoch |-> %d, members |-> (", s.G.Epoch, s.G.AEpoch)
	for i, m := range s.G.Members {
		if i > 0 {
			b.WriteString(" @@ ")
		}
		fmt.Fprintf(&b, "%v :> [st |-> %q, ep |-> %d, prev |-> %d, asg |-> %v, rev |-> %v, tgt |-> %v]",
			m.ID, m.St.String(), m.Ep, m.Prev, m.Asg, m.Rev, m.Tgt)
	}
	fmt.Fprintf(&b, "), nextId |-> %v]\n", s.G.NextID)
	b.WriteString("/\\ cons = <<")
	for c, x := range s.C {
		if c > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[st |-> %q, mid |-> %v, ep |-> %d, owned |-> %v, sent |-> %q, inflight |-> %s]",
			x.St.String(), x.Mid, x.Ep, x.Owned, x.Sent.String(), tla(x.Inflight))
	}
	b.WriteString(">>\n/\\ up = <<")
	for c, l := range s.Up {
		if c > 0 {
			b.WriteString(", ")
		}
		b.WriteString("<<")
		for i, r := range l {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "[ep |-> %d, mid |-> %v, owned |-> %v, hasOwned |-> %s, full |-> %s]",
				r.Ep, r.Mid, r.Owned, tla(r.HasOwned), tla(r.Full))
		}
		b.WriteString(">>")
	}
	b.WriteString(">>\n/\\ down = <<")
	for c, l := range s.Down {
		if c > 0 {
			b.WriteString(", ")
		}
		b.WriteString("<<")
		for i, a := range l {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "[code |-> %q, mid |-> %v, ep |-> %d, asg |-> %v, hasAsg |-> %s]",
				a.Code.String(), a.Mid, a.Ep, a.Asg, tla(a.HasAsg))
		}
		b.WriteString(">>")
	}
	fmt.Fprintf(&b, ">>\n/\\ spent = [drops |-> %d, perturb |-> %d, expiries |-> %d]\n",
		s.Spent.Drops, s.Spent.Perturb, s.Spent.Expiries)
	return b.String()
}
