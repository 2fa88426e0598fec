package spec

import (
	"fmt"
	"slices"
	"testing"
)

// The rules at their edges (issue 9): each predicate fails on the smallest
// violation and passes the largest non-violation, whatever the order of its
// inputs. A violation is placed first, in the middle and last of input that
// is itself unsorted; for map-keyed inputs the position is the key's in
// sorted order, which is the order the predicates read them in.

// placement is one position of a violation in a list.
type placement[T any] struct {
	name string
	in   []T
}

// placed returns rest with x put first, in the middle and last.
func placed[T any](rest []T, x T) []placement[T] {
	mid := len(rest) / 2
	return []placement[T]{
		{"first", slices.Concat([]T{x}, rest)},
		{"middle", slices.Concat(rest[:mid], []T{x}, rest[mid:])},
		{"last", slices.Concat(rest, []T{x})},
	}
}

var clientStates = []ClientState{ClientUnjoined, ClientPreparingRebalance, ClientCompletingRebalance, ClientStable}

var groupStates = []GroupState{Empty, PreparingRebalance, CompletingRebalance, Stable, Dead}

func inState(c ConsumerView, s ClientState) ConsumerView { c.State = s; return c }

func TestEdgeExclusiveOwnership(t *testing.T) {
	// Members of generation 5, listed out of order, owning t-0..t-2 once each.
	g := group(Stable, 5, member("d", t1, "t-2"), member("b", t1, "t-0"), member("c", t1, "t-1"), member("a", t1))
	rest := []ConsumerView{consumer("c4", "d", 5, "t-2"), consumer("c2", "b", 5, "t-0"), consumer("c3", "c", 5, "t-1")}
	for _, gs := range groupStates {
		g.State = gs
		for _, cs := range clientStates {
			// The smallest violation: one partition owned twice, by a
			// current member in any state, wherever it is listed.
			dup := inState(consumer("c1", "a", 5, "t-3", "t-1"), cs)
			for _, p := range placed(rest, dup) {
				t.Run(fmt.Sprintf("%s/%s/%s", gs, cs, p.name), func(t *testing.T) {
					wantErr(t, CheckExclusiveOwnership(Snapshot{Group: g, Consumers: p.in}), "t-1 is owned by both", "c1", "c3")
				})
			}
		}
	}
	g.State = Stable
	// Consumers that are not counted, listed before the two owners, do not
	// end the search.
	dead := consumer("c0", "a", 5, "t-9")
	dead.Alive = false
	for _, skipped := range []ConsumerView{dead, consumer("c0", "x", 5, "t-9"), consumer("c0", "a", 4, "t-9")} {
		in := append([]ConsumerView{skipped}, rest...)
		wantErr(t, CheckExclusiveOwnership(Snapshot{Group: g, Consumers: append(in, consumer("c1", "a", 5, "t-0"))}), "t-0 is owned by both")
	}
	// The largest non-violation: the same claim by a consumer the
	// coordinator would fence, and a current member owning everything free.
	dead = consumer("c1", "a", 5, "t-1")
	dead.Alive = false
	for name, c := range map[string]ConsumerView{
		"dead": dead, "not a member": consumer("c1", "x", 5, "t-1"), "no member id": consumer("c1", "", 5, "t-1"),
		"one generation behind": consumer("c1", "a", 4, "t-1"), "one generation ahead": consumer("c1", "a", 6, "t-1"),
		"owns only free partitions": consumer("c1", "a", 5, "t-3", "t-4", "u-1"),
	} {
		for _, p := range placed(rest, c) {
			t.Run(name+"/"+p.name, func(t *testing.T) { wantOK(t, CheckExclusiveOwnership(Snapshot{Group: g, Consumers: p.in})) })
		}
	}
}

func TestEdgeCheckAssignment(t *testing.T) {
	topics := map[string]int32{"t": 3, "u": 1, "empty": 0}
	subs := map[string][]string{"a": {"t"}, "m": {"t", "u"}, "z": {"t", "empty", "gone"}}
	full := func() map[string]Assignment {
		return map[string]Assignment{"a": {"t": {0}}, "m": {"t": {1}, "u": {0}}, "z": {"t": {2}}}
	}
	// The largest valid plan: every partition once, the last partition of
	// each topic included; a subscribed topic with no partitions and one
	// missing from the metadata get nothing.
	wantOK(t, CheckAssignment(topics, subs, full(), false))
	for _, withheld := range []bool{false, true} {
		for _, id := range []string{"a", "m", "z"} {
			// The smallest violations, in the first, middle and last member.
			for _, c := range []struct {
				name string
				add  Assignment
				want []string
			}{
				{"one past the last partition", Assignment{"t": {3}}, []string{"t-3", "t has 3 partitions"}},
				{"a negative partition", Assignment{"t": {-1}}, []string{"t--1", "t has 3 partitions"}},
				{"a topic of no partitions", Assignment{"empty": {0}}, []string{"empty-0"}},
				{"a topic not in the metadata", Assignment{"x": {0}}, []string{"x-0", "does not exist"}},
				{"a topic not subscribed", Assignment{"u": {0}}, []string{"does not subscribe to u"}},
				{"the same partition twice", Assignment{"t": {0, 1, 2}}, []string{"given to both"}},
			} {
				if c.name == "a topic not subscribed" && id == "m" || c.name == "a topic of no partitions" && id != "z" {
					continue // m subscribes to u; only z to empty
				}
				plan := full()
				if c.name == "a topic not subscribed" {
					plan["m"] = Assignment{"t": {1}}
					plan[id] = Assignment{"t": plan[id]["t"], "u": {0}}
				} else {
					for tpc, ps := range c.add {
						plan[id][tpc] = append(plan[id][tpc], ps...)
					}
				}
				t.Run(fmt.Sprintf("%s/%s/withheld=%v", c.name, id, withheld), func(t *testing.T) {
					wantErr(t, CheckAssignment(topics, subs, plan, withheld), c.want...)
				})
			}
		}
	}
	// Coverage: the first or the last partition of a topic left out fails
	// unless withholding is allowed.
	for _, p := range []int32{0, 2} {
		plan := full()
		for _, m := range []string{"a", "m", "z"} {
			plan[m]["t"] = slices.DeleteFunc(plan[m]["t"], func(q int32) bool { return q == p })
		}
		wantOK(t, CheckAssignment(topics, subs, plan, true))
		wantErr(t, CheckAssignment(topics, subs, plan, false), fmt.Sprintf("t-%d is subscribed but assigned to nobody", p))
	}
	// A partition given twice within one member's assignment is given twice.
	twice := full()
	twice["a"]["t"] = []int32{0, 0}
	wantErr(t, CheckAssignment(topics, subs, twice, true), "t-0 given to both a and a")
	// A member absent from the plan still subscribes: its topics must be covered.
	lone := map[string]Assignment{"a": {"t": {0, 1}}}
	wantErr(t, CheckAssignment(topics, subs, lone, false), "t-2 is subscribed")
	// A plan entry for a member that is not one fails even when it is empty.
	notMember := full()
	notMember["b"] = Assignment{}
	wantErr(t, CheckAssignment(topics, subs, notMember, true), "b, which is not a member")
}

func TestEdgeCheckBalance(t *testing.T) {
	ids := []string{"a", "m", "z"}
	plan := func(loads map[string]int) map[string]Assignment {
		out := map[string]Assignment{}
		next := int32(0)
		for _, id := range ids {
			for range loads[id] {
				out[id] = Assignment{"t": append(out[id]["t"], next)}
				next++
			}
		}
		return out
	}
	same := map[string][]string{"a": {"t", "u"}, "m": {"u", "t"}, "z": {"t", "u"}} // identical as sets
	for _, id := range ids {
		// The largest imbalance allowed is one, in either direction, in
		// any member; the smallest violation is two.
		more := map[string]int{"a": 2, "m": 2, "z": 2}
		more[id] = 3
		less := map[string]int{"a": 2, "m": 2, "z": 2}
		less[id] = 1
		wantOK(t, CheckBalance(same, plan(more)))
		wantOK(t, CheckBalance(same, plan(less)))
		more[id], less[id] = 4, 0
		wantErr(t, CheckBalance(same, plan(more)), fmt.Sprintf("%s holds 4", id), "holds 2")
		wantErr(t, CheckBalance(same, plan(less)), "holds 2", fmt.Sprintf("%s holds 0", id))
	}
	// Ties: the first member by id with the most and with the fewest is named.
	wantErr(t, CheckBalance(same, plan(map[string]int{"a": 0, "m": 2, "z": 2})), "m holds 2 partitions and a holds 0")
	wantErr(t, CheckBalance(same, plan(map[string]int{"a": 2, "m": 0, "z": 0})), "a holds 2 partitions and m holds 0")
	// A member missing from the plan holds nothing.
	wantErr(t, CheckBalance(same, map[string]Assignment{"a": {"t": {0}}, "m": {"t": {1, 2}}}), "m holds 2", "z holds 0")
	// Subscriptions that differ in any one member are not judged.
	for _, id := range ids {
		mixed := map[string][]string{"a": {"t", "u"}, "m": {"t", "u"}, "z": {"t", "u"}}
		mixed[id] = []string{"t"}
		wantOK(t, CheckBalance(mixed, plan(map[string]int{"a": 0, "m": 5, "z": 0})))
	}
	wantOK(t, CheckBalance(map[string][]string{"a": t1}, plan(map[string]int{"a": 9})))
}

func TestEdgeCheckBalancePerTopic(t *testing.T) {
	subs := map[string][]string{"a": {"t", "u"}, "m": {"u", "t"}, "z": {"t"}, "n": {"v"}}
	for _, id := range []string{"a", "m", "z"} {
		for _, c := range []struct {
			load int
			ok   bool
		}{{0, false}, {1, true}, {2, true}, {3, true}, {4, false}} {
			plan := map[string]Assignment{"a": {"t": {0, 1}}, "m": {"t": {2, 3}}, "z": {"t": {4, 5}}, "n": {"v": {0, 1, 2, 3, 4, 5}}}
			plan[id] = Assignment{"t": []int32{10, 11, 12, 13}[:c.load]}
			err := CheckBalancePerTopic(subs, plan)
			switch {
			case c.ok:
				wantOK(t, err)
			case c.load == 0:
				wantErr(t, err, "topic t gives 2 partitions", "but 0 to "+id)
			default:
				wantErr(t, err, "topic t gives 4 partitions to "+id, "but 2 to")
			}
		}
	}
	// Only subscribers count: a member that does not subscribe to u holds
	// none of it, and one that holds partitions of a topic it does not
	// subscribe to is not judged on it here.
	wantOK(t, CheckBalancePerTopic(subs, map[string]Assignment{"a": {"u": {0}}, "m": {"u": {1, 2}}, "z": {"u": {3, 4, 5}}}))
	// Ties: the first subscriber by id with the most and with the fewest is named.
	wantErr(t, CheckBalancePerTopic(subs, map[string]Assignment{"a": {"t": {0, 1}}, "m": {"t": {2, 3}}}), "t gives 2 partitions to a but 0 to z")
	wantErr(t, CheckBalancePerTopic(subs, map[string]Assignment{"z": {"t": {0, 1}}}), "t gives 2 partitions to z but 0 to a")
	// Topics are judged one by one, in order: the first unbalanced is named.
	wantErr(t, CheckBalancePerTopic(map[string][]string{"a": {"u", "t"}, "b": {"t", "u"}},
		map[string]Assignment{"a": {"t": {0, 1}, "u": {0, 1}}}), "topic t")
}

func TestEdgeCooperativePlan(t *testing.T) {
	owned := func() map[string][]TopicPartition {
		return map[string][]TopicPartition{"a": tps("t-2", "t-0"), "m": tps("t-4", "t-3"), "z": tps("t-5")}
	}
	kept := map[string]Assignment{"a": {"t": {0, 2}}, "m": {"t": {3, 4}}, "z": {"t": {5}}}
	// The largest non-violation: everything revoked is withheld this round,
	// new members and unclaimed partitions are free to assign.
	wantOK(t, CheckCooperativePlan(owned(), map[string]Assignment{"a": {"t": {0, 6}}, "m": {}, "new": {"t": {7}}}))
	wantOK(t, CheckCooperativePlan(owned(), kept))
	// The smallest violation: one partition moves, from the first, middle
	// or last member to another.
	for _, c := range []struct{ from, to, tp string }{{"a", "z", "t-2"}, {"m", "a", "t-3"}, {"z", "m", "t-5"}, {"z", "new", "t-5"}} {
		plan := map[string]Assignment{}
		for m, a := range kept {
			plan[m] = a.Clone()
		}
		tp, _ := ParseTopicPartition(c.tp)
		plan[c.from][tp.Topic] = slices.DeleteFunc(plan[c.from][tp.Topic], func(p int32) bool { return p == tp.Partition })
		if plan[c.to] == nil {
			plan[c.to] = Assignment{}
		}
		plan[c.to][tp.Topic] = append(plan[c.to][tp.Topic], tp.Partition)
		wantErr(t, CheckCooperativePlan(owned(), plan), fmt.Sprintf("%s moves from %s to %s", c.tp, c.from, c.to))
	}
	// A member that is not in the plan revokes all it claimed.
	wantErr(t, CheckCooperativePlan(owned(), map[string]Assignment{"a": {"t": {0, 2, 5}}, "m": {"t": {3, 4}}}), "t-5 moves from z to a")
	// Two claimants: keeping it with either is not a move; giving it to a
	// third is.
	double := map[string][]TopicPartition{"a": tps("t-0"), "m": tps("t-0")}
	wantOK(t, CheckCooperativePlan(double, map[string]Assignment{"m": {"t": {0}}}))
	wantOK(t, CheckCooperativePlan(double, map[string]Assignment{"a": {"t": {0}}}))
	wantErr(t, CheckCooperativePlan(double, map[string]Assignment{"z": {"t": {0}}}), "t-0 moves from", "to z")
}

func TestEdgeCooperativeRevoke(t *testing.T) {
	owned := tps("t-3", "t-0", "u-1", "t-1")
	assigned := tps("u-1", "t-9", "t-0")
	exact := tps("t-3", "t-1")
	for _, p := range placed(tps("t-1"), TopicPartition{"t", 3}) {
		wantOK(t, CheckCooperativeRevoke(owned, assigned, p.in)) // any order
	}
	// One partition more or one fewer than owned \ assigned fails, wherever it is.
	for _, extra := range tps("t-0", "u-1", "t-9", "t-3") {
		for _, p := range placed(exact, extra) {
			wantErr(t, CheckCooperativeRevoke(owned, assigned, p.in), "must revoke t[1 3]")
		}
	}
	for i := range exact {
		wantErr(t, CheckCooperativeRevoke(owned, assigned, slices.Delete(slices.Clone(exact), i, i+1)), "must revoke t[1 3]")
	}
	wantOK(t, CheckCooperativeRevoke(owned, owned, nil))
	wantErr(t, CheckCooperativeRevoke(owned, owned, tps("t-0")), "must revoke -, but revoked t[0]")
	wantOK(t, CheckCooperativeRevoke(nil, assigned, nil))
}

func TestEdgeOffsetsMonotonic(t *testing.T) {
	prev := map[TopicPartition]int64{{"a", 0}: 0, {"m", 0}: 7, {"z", 0}: 1 << 62}
	grown := map[TopicPartition]int64{{"a", 0}: 1, {"m", 0}: 7, {"z", 0}: 1 << 62, {"new", 0}: 0}
	wantOK(t, CheckOffsetsMonotonic(prev, prev, nil)) // equal is the largest non-violation
	wantOK(t, CheckOffsetsMonotonic(prev, grown, nil))
	for tp, p := range prev {
		back := map[TopicPartition]int64{}
		for k, v := range prev {
			back[k] = v
		}
		back[tp] = p - 1 // the smallest regression
		wantErr(t, CheckOffsetsMonotonic(prev, back, nil), fmt.Sprintf("%s went back from %d to %d", tp, p, p-1))
		// Another partition's seek does not excuse it; its own does.
		wantErr(t, CheckOffsetsMonotonic(prev, back, map[TopicPartition]bool{{"other", 0}: true}), tp.String())
		wantOK(t, CheckOffsetsMonotonic(prev, back, map[TopicPartition]bool{tp: true}))
		delete(back, tp)
		wantErr(t, CheckOffsetsMonotonic(prev, back, nil), fmt.Sprintf("%s (%d) disappeared", tp, p))
		wantOK(t, CheckOffsetsMonotonic(prev, back, map[TopicPartition]bool{tp: true}))
		wantErr(t, CheckOffsetsMonotonic(prev, back, map[TopicPartition]bool{tp: false}), "disappeared")
	}
	// Several regressions: the first in sorted order is the one reported.
	wantErr(t, CheckOffsetsMonotonic(prev, map[TopicPartition]int64{{"m", 0}: 6}, map[TopicPartition]bool{{"a", 0}: true}), "m-0 went back")
	wantErr(t, CheckOffsetsMonotonic(prev, map[TopicPartition]int64{{"a", 0}: 0, {"m", 0}: 6}, nil), "m-0 went back")
}

func TestEdgeLedger(t *testing.T) {
	tp, other := TopicPartition{"t", 0}, TopicPartition{"t", 1}
	var l Ledger
	wantOK(t, l.Process(tp, 0, 0)) // an empty batch at the start
	for _, c := range []struct {
		from, to  int64
		err       string
		dups, end int64
	}{
		{-1, 5, "bad batch [-1,5)", 0, 0},
		{1, 5, "processed from 1, but offsets 0..0 were never processed", 0, 0}, // one past the end
		{0, 10, "", 0, 10},
		{5, 4, "bad batch [5,4)", 0, 10},
		{10, 10, "", 0, 10},               // an empty batch at the end
		{9, 12, "", 1, 12},                // one record again
		{3, 5, "", 3, 12},                 // wholly within what was processed
		{13, 14, "offsets 12..12", 3, 12}, // one past the end
		{12, 13, "", 3, 13},               // exactly at the end
		{0, 13, "", 16, 13},               // all again
	} {
		err := l.Process(tp, c.from, c.to)
		if c.err == "" {
			wantOK(t, err)
		} else {
			wantErr(t, err, c.err)
		}
		if l.DuplicatesOf(tp) != c.dups || l.Duplicates != c.dups || l.End(tp) != c.end {
			t.Fatalf("after [%d,%d): duplicates %d (%d), end %d; want %d, %d", c.from, c.to, l.DuplicatesOf(tp), l.Duplicates, l.End(tp), c.dups, c.end)
		}
	}
	if l.Processed != 10+3+2+1+13 || l.End(other) != 0 || l.DuplicatesOf(other) != 0 {
		t.Fatalf("processed %d, other partition end %d", l.Processed, l.End(other))
	}
	// Committed offsets: up to the end is the largest non-violation, one
	// past it the smallest violation, in any partition; the first in
	// sorted order is the one reported.
	committed := map[TopicPartition]int64{tp: 13, other: 0, {"a", 0}: 0}
	wantOK(t, CheckCommittedProcessed(committed, &l))
	for k, v := range committed {
		bad := map[TopicPartition]int64{tp: 13, other: 0, {"a", 0}: 0}
		bad[k] = v + 1
		wantErr(t, CheckCommittedProcessed(bad, &l), fmt.Sprintf("%s committed at %d but only processed up to %d", k, v+1, v))
	}
	wantErr(t, CheckCommittedProcessed(map[TopicPartition]int64{tp: 14, other: 1}, &l), "t-0 committed at 14")
	var nilLedger *Ledger
	if nilLedger.End(tp) != 0 || nilLedger.DuplicatesOf(tp) != 0 {
		t.Error("a nil ledger has processed something")
	}
	wantErr(t, nilLedger.Process(tp, 0, 1), "no ledger")
}

// An empty member id is a name like any other: it is not taken for "no
// member yet" while the loads are compared.
func TestEdgeBalanceEmptyMemberID(t *testing.T) {
	subs := map[string][]string{"": t1, "a": t1}
	heavy := map[string]Assignment{"": {"t": {0, 1, 2}}}
	wantErr(t, CheckBalance(subs, heavy), ` holds 3 partitions and a holds 0`)
	wantErr(t, CheckBalancePerTopic(subs, heavy), "topic t gives 3 partitions to  but 0 to a")
	wantErr(t, CheckBalance(subs, map[string]Assignment{"a": {"t": {0, 1, 2}}}), "a holds 3 partitions and  holds 0")
}
