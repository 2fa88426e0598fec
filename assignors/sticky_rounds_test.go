package assignors

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/kgroup/kgroup/internal/rapidtest"
	"github.com/kgroup/kgroup/spec"
)

// A group living through rebalances: each output becomes the next round's
// ownership while members join, leave, crash (and come back as zombies with a
// stale claim at their old generation), change subscriptions, and topics
// grow. Every round must be valid, balanced and sticky: checked against the
// oracle while the group fits it, and with the optimality certificate beyond.

type groupSim struct {
	topics  map[string]int32
	members []Member // subscriptions; Owned and Generation are set per round
	plan    Plan     // the assignment the group holds
	gen     int32    // the generation plan was assigned in
	crashed []Member // crashed members with what they held then
	zombie  map[string]bool
	next    int
	limits  simLimits
}

type simLimits struct {
	members, partitions, topics int32
	oracle                      bool
}

var (
	oracleSized = simLimits{members: 6, partitions: 10, topics: 3, oracle: true}
	largeSized  = simLimits{members: 24, partitions: 160, topics: 6}
)

func (g *groupSim) totalPartitions() int32 {
	n := int32(0)
	for _, c := range g.topics {
		n += c
	}
	return n
}

func (g *groupSim) drawSubs(t *rapid.T) []string {
	names := spec.SortedKeys(g.topics)
	if rapid.Bool().Draw(t, "all topics") {
		return names
	}
	return rapid.SliceOfNDistinct(rapid.SampledFrom(names), 1, len(names), rapid.ID[string]).Draw(t, "subs")
}

// step applies one random membership or metadata change.
func (g *groupSim) step(t *rapid.T) {
	i := func() int { return rapid.IntRange(0, len(g.members)-1).Draw(t, "member") }
	switch ev := rapid.SampledFrom([]string{"join", "leave", "crash", "zombie", "resubscribe", "grow", "idle"}).Draw(t, "event"); {
	case ev == "join" && int32(len(g.members)) < g.limits.members:
		g.members = append(g.members, Member{ID: fmt.Sprintf("m%d", g.next), Topics: g.drawSubs(t), Generation: -1})
		g.next++
	case ev == "leave" && len(g.members) > 1:
		k := i()
		g.members = slices.Delete(g.members, k, k+1)
	case ev == "crash" && len(g.members) > 1:
		k := i()
		c := g.members[k]
		c.Owned, c.Generation = g.plan[c.ID].Partitions(), g.gen
		g.crashed = append(g.crashed, c)
		g.members = slices.Delete(g.members, k, k+1)
	case ev == "zombie" && len(g.crashed) > 0 && int32(len(g.members)) < g.limits.members:
		k := rapid.IntRange(0, len(g.crashed)-1).Draw(t, "zombie")
		z := g.crashed[k]
		g.crashed = slices.Delete(g.crashed, k, k+1)
		if !slices.ContainsFunc(g.members, func(m Member) bool { return m.ID == z.ID }) {
			g.members = append(g.members, z)
			g.zombie[z.ID] = true
		}
	case ev == "resubscribe":
		g.members[i()].Topics = g.drawSubs(t)
	case ev == "grow" && g.totalPartitions() < g.limits.partitions:
		names := spec.SortedKeys(g.topics)
		name := rapid.SampledFrom(append(names, fmt.Sprintf("t%d", len(names)))).Draw(t, "topic")
		if _, ok := g.topics[name]; ok || int32(len(names)) < g.limits.topics {
			room := g.limits.partitions - g.totalPartitions()
			g.topics[name] += rapid.Int32Range(1, min(room, 4)).Draw(t, "added")
		}
	}
}

// input builds this round's members: what each held in the last plan at its
// generation, new members nothing at -1, zombies their stale claim.
func (g *groupSim) input() []Member {
	out := make([]Member, len(g.members))
	for i, m := range g.members {
		if !g.zombie[m.ID] {
			m.Owned, m.Generation = nil, -1
			if a, ok := g.plan[m.ID]; ok {
				m.Owned, m.Generation = a.Partitions(), g.gen
			}
		}
		out[i] = m
	}
	clear(g.zombie)
	return out
}

func newGroupSim(t *rapid.T, limits simLimits) *groupSim {
	g := &groupSim{topics: map[string]int32{}, plan: Plan{}, zombie: map[string]bool{}, limits: limits}
	for i := range rapid.Int32Range(1, limits.topics).Draw(t, "initial topics") {
		room := limits.partitions - g.totalPartitions()
		g.topics[fmt.Sprintf("t%d", i)] = rapid.Int32Range(0, room/(limits.topics-i)).Draw(t, "partitions")
	}
	for range rapid.Int32Range(1, limits.members).Draw(t, "initial members") {
		g.members = append(g.members, Member{ID: fmt.Sprintf("m%d", g.next), Topics: g.drawSubs(t), Generation: -1})
		g.next++
	}
	return g
}

func (g *groupSim) check(in []Member, plan Plan) error {
	if g.limits.oracle {
		return checkEagerOptimal(g.topics, in, plan)
	}
	return certifyOptimal(g.topics, in, plan)
}

// rebalance runs one eager round, or a cooperative round and its follow-up,
// checks them, and installs the result.
func (g *groupSim) rebalance(a Assignor) error {
	in := g.input()
	out, err := a.Assign(g.topics, in)
	if err != nil {
		return err
	}
	if a.Name() == "sticky" {
		g.plan, g.gen = out, g.gen+1
		return g.check(in, out)
	}
	if err := checkCooperativeSafe(g.topics, in, out); err != nil {
		return err
	}
	next := followUp(in, out)
	final, err := a.Assign(g.topics, next)
	if err != nil {
		return err
	}
	if err := checkPlanValid(g.topics, next, final, false); err != nil {
		return fmt.Errorf("the follow-up round still withholds: %w", err)
	}
	eager, err := Sticky{}.Assign(g.topics, in)
	if err != nil {
		return err
	}
	if got, want := measure(g.topics, in, final).loads, measure(g.topics, in, eager).loads; !slices.Equal(got, want) {
		return fmt.Errorf("two cooperative rounds reach loads %v, the eager assignor %v", got, want)
	}
	g.plan, g.gen = final, g.gen+2
	return g.check(in, final)
}

func runRounds(t *testing.T, a Assignor, limits simLimits, runs int) {
	rapidtest.Rounds(t, runs, func(t *rapid.T) {
		g := newGroupSim(t, limits)
		for round := range rapid.IntRange(1, 10).Draw(t, "rounds") {
			for range min(round, rapid.IntRange(1, 3).Draw(t, "events")) {
				g.step(t)
			}
			if err := g.rebalance(a); err != nil {
				t.Fatalf("round %d, members %v, topics %v: %v", round, g.members, g.topics, err)
			}
		}
	})
}

// How many times the multi-round properties run rapid.Check (each draws
// -rapid.checks sequences, 100 by default, of up to 10 rebalances).
const (
	oracleSequences    = 20
	certifiedSequences = 10
)

func TestStickyRoundsOracle(t *testing.T) {
	for _, a := range []Assignor{Sticky{}, CooperativeSticky{}} {
		t.Run(a.Name(), func(t *testing.T) { runRounds(t, a, oracleSized, oracleSequences) })
	}
}

func TestStickyRoundsCertified(t *testing.T) {
	for _, a := range []Assignor{Sticky{}, CooperativeSticky{}} {
		t.Run(a.Name(), func(t *testing.T) { runRounds(t, a, largeSized, certifiedSequences) })
	}
}
