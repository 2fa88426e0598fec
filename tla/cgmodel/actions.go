package cgmodel

import (
	"fmt"

	"github.com/kgroup/kgroup/tla/internal/bfs"
)

// Action names a step: the spec's action and its argument (a consumer,
// 0-based, or a member id).
type Action struct {
	Name string
	C    int // -1 if none
	ID   ID
}

// Format writes the action as the spec names it (consumers 1-based).
func (a Action) Format() string {
	switch {
	case a.Name == "SessionExpire":
		return fmt.Sprintf("SessionExpire(<<%d, %d>>)", a.ID.C, a.ID.N)
	case a.C >= 0:
		return fmt.Sprintf("%s(%d)", a.Name, a.C+1)
	}
	return a.Name
}

// Succ is one successor with the action that reaches it.
type Succ = bfs.Succ[Action, State]

// Successors is Next: every successor of s, one per enabled action
// (duplicates included, as TLC generates them).
func Successors(p *Params, s State) []Succ {
	var out []Succ
	step := func(name string, c int, id ID, f func(*State)) {
		n := s.Clone()
		f(&n)
		out = append(out, Succ{Act: Action{name, c, id}, S: n})
	}
	for c := range s.C {
		x := &s.C[c]
		if x.St == Unsubscribed {
			step("Start", c, NoID, func(n *State) { StartW(n, c) })
		}
		if len(s.Up[c]) > 0 {
			step("DeliverUp", c, NoID, func(n *State) {
				r := n.Up[c][0]
				n.Up[c] = n.Up[c][1:]
				Handle(p, n, c, &r)
			})
		}
		if len(s.Down[c]) > 0 && x.Live() {
			step("DeliverDown", c, NoID, func(n *State) { Deliver(p, n, c) })
		}
		if x.Live() && x.Beating() && !x.Inflight {
			step("HeartbeatDue", c, NoID, func(n *State) { SendHeartbeat(n, c) })
		}
		if x.Live() && Orphaned(&s, c) {
			step("RequestTimeout", c, NoID, func(n *State) { ExpireRequest(n, c) })
		}
		if len(s.Up[c]) > 0 && int(s.Spent.Drops) < p.Drops {
			step("DropUp", c, NoID, func(n *State) { n.Up[c] = n.Up[c][1:]; n.Spent.Drops++ })
		}
		if len(s.Down[c]) > 0 && int(s.Spent.Drops) < p.Drops {
			step("DropDown", c, NoID, func(n *State) { n.Down[c] = n.Down[c][1:]; n.Spent.Drops++ })
		}
		if x.Live() && p.AllowCrash && int(s.Spent.Perturb) < p.Perturbations {
			step("Crash", c, NoID, func(n *State) { n.C[c] = ConsRec(Down); n.Down[c] = nil; n.Spent.Perturb++ })
		}
		if x.Live() && p.AllowClose && int(s.Spent.Perturb) < p.Perturbations {
			step("Close", c, NoID, func(n *State) { CloseW(n, c); n.Spent.Perturb++ })
		}
	}
	for _, m := range s.G.Members {
		id := m.ID
		forced := Forced(&s, id)
		if forced || int(s.Spent.Expiries) < p.Expiries {
			step("SessionExpire", -1, id, func(n *State) {
				Fence(&n.G, id)
				if !forced {
					n.Spent.Expiries++
				}
			})
		}
	}
	return out
}
