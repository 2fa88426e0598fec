package assignors

import (
	"cmp"
	"fmt"
)

// certifyOptimal checks, without enumerating, that plan is optimal for the
// sticky objective, so that inputs too large for the oracle are checked too.
// The objective is a separable convex cost flow: giving a member its k-th
// partition costs (k, 0), and moving a partition costs (0, +1) when it leaves
// its valid owner and (0, -1) when it returns to it, pairs compared
// lexicographically (minimising the sum of k over loads is minimising the
// sum of squares, which on these sets is the same as lexicographically
// minimising the sorted load vector). A flow is optimal exactly when its
// residual graph has no negative cycle; Bellman-Ford looks for one over the
// members plus a node standing for "the pool" that takes a partition from one
// member and gives it to another.
func certifyOptimal(topics map[string]int32, members []Member, plan Plan) error {
	if err := checkPlanValid(topics, members, plan, false); err != nil {
		return err
	}
	owners := oracleOwners(topics, members)
	n := len(members)
	pool := n
	type arc struct {
		from, to int
		c        pairCost
	}
	var arcs []arc
	best := map[[2]int]int{} // cheapest move between two members, by index into arcs
	for u, mu := range members {
		for _, tp := range plan[mu.ID].Partitions() {
			for v, mv := range members {
				if v == u || !subscribes(mv, tp.Topic) {
					continue
				}
				moves := 0
				if owners[tp] == mu.ID {
					moves++
				}
				if owners[tp] == mv.ID {
					moves--
				}
				c := pairCost{0, moves}
				if i, ok := best[[2]int{u, v}]; !ok {
					best[[2]int{u, v}] = len(arcs)
					arcs = append(arcs, arc{u, v, c})
				} else if c.less(arcs[i].c) {
					arcs[i].c = c
				}
			}
		}
		load := plan[mu.ID].Len()
		arcs = append(arcs, arc{u, pool, pairCost{load + 1, 0}})
		if load > 0 {
			arcs = append(arcs, arc{pool, u, pairCost{-load, 0}})
		}
	}
	dist := make([]pairCost, n+1)
	for range n + 1 {
		changed := false
		for _, a := range arcs {
			if d := dist[a.from].plus(a.c); d.less(dist[a.to]) {
				dist[a.to], changed = d, true
			}
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("not optimal: an exchange of partitions improves balance or stickiness\nplan: %v", plan)
}

type pairCost struct{ balance, moves int }

func (a pairCost) plus(b pairCost) pairCost {
	return pairCost{a.balance + b.balance, a.moves + b.moves}
}
func (a pairCost) less(b pairCost) bool {
	return cmp.Or(cmp.Compare(a.balance, b.balance), cmp.Compare(a.moves, b.moves)) < 0
}
