package e2e

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kgroup/kgroup/linearizability"
)

// result is what one scenario showed, for comparing servers.
type result struct {
	Phases     map[string]snapshot
	Committed  map[int32]int64
	Duplicates int64
	Held       int64 // records the killed member processed and never committed
	Trace      []string
}

// runScenario is the client scenario of issue 13 against one backend:
// three members join one after the other; the second processes records
// without committing them and is killed (a crash: no LeaveGroup); for
// dynamic members the others rebalance once its session expires, and it
// restarts later; a static member restarts within its session and takes
// its place back without a rebalance, and then the third is killed for
// good. Every record is processed (no loss: spec.Ledger), what the killed
// member never committed is processed again and counted, and a restarted
// member resumes from the committed offsets.
func runScenario(t *testing.T, b *backend, balancer func() kgo.GroupBalancer, static bool) result {
	w := newWorld(t, b, "g-"+t.Name(), balancer, static)
	res := result{Phases: map[string]snapshot{}}
	w.produce(20)
	c1 := w.start("c1")
	res.Phases["1 one member"] = w.settled()
	c2 := w.start("c2")
	res.Phases["2 two members"] = w.settled()
	c3 := w.start("c3")
	res.Phases["3 three members"] = w.settled()
	w.allDone()

	c2.hold.Store(true)
	w.mu.Lock()
	before := c2.processed
	w.mu.Unlock()
	w.produce(20)
	w.waitUntil("c2 processed records it does not commit", func() bool { return c2.processed > before })
	c2.kill()
	w.mu.Lock()
	res.Held = c2.processed - before
	w.mu.Unlock()
	owned2 := res.Phases["3 three members"].Owned["c2"]
	committedAtKill := b.committed(t, w.group)
	if static {
		c2 = w.start("c2") // within its session: Kafka replaces the static member, no rebalance
		res.Phases["4 c2 restarted within its session"] = w.settled()
		w.allDone()
		for _, p := range owned2 {
			checkResumed(t, w, "c2#2", p, committedAtKill[p])
		}
		c3.kill()
		res.Phases["5 c3 killed, session expired"] = w.settled()
		w.allDone()
	} else {
		res.Phases["4 c2 killed, session expired"] = w.settled()
		w.allDone()
		c2 = w.start("c2")
		res.Phases["5 c2 restarted"] = w.settled()
		resumeAt := maps.Clone(w.produced)
		w.produce(20)
		w.allDone()
		for p := range w.first["c2#2"] {
			checkResumed(t, w, "c2#2", p, resumeAt[p])
		}
		c3.close()
	}
	c1.close()
	c2.close()
	res.Committed = b.committed(t, w.group)
	w.mu.Lock()
	defer w.mu.Unlock()
	res.Duplicates = w.ledger.Duplicates
	res.Trace = w.trace
	if w.lossErr != nil {
		t.Fatalf("%s: records lost: %v", b.name, w.lossErr)
	}
	if res.Duplicates < res.Held {
		t.Fatalf("%s: c2 processed %d records it never committed, but only %d were processed twice", b.name, res.Held, res.Duplicates)
	}
	t.Logf("%s: %d records processed, %d twice (c2 never committed %d of them)", b.name, w.ledger.Processed, res.Duplicates, res.Held)
	return res
}

// checkResumed: the first record an incarnation processed of p is the
// committed offset it resumed from.
func checkResumed(t *testing.T, w *world, life string, p int32, committed int64) {
	t.Helper()
	w.mu.Lock()
	got, ok := w.first[life][p]
	w.mu.Unlock()
	if ok && got != committed {
		t.Fatalf("%s: %s began partition %d at offset %d, not at the committed %d", w.b.name, life, p, got, committed)
	}
}

// checkServer: on kgroup serve, every rule the server checks held, the
// checks ran, and the history of commits, fetches and syncs is
// linearizable.
func checkServer(t *testing.T, b *backend, cooperative bool) {
	t.Helper()
	if v := b.srv.Violations(); len(v) > 0 {
		t.Fatalf("rules broken on kgroup serve: %v", v)
	}
	made, _, err := b.srv.Checks()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fencing", "generations", "assignment", "offsets", "rebuild"}
	if cooperative {
		want = append(want, "cooperative")
	}
	for _, r := range want {
		if made[r] == 0 {
			t.Fatalf("no %s check ran: %v", r, made)
		}
	}
	ops, err := b.srv.History()
	if err != nil {
		t.Fatal(err)
	}
	if res := linearizability.Check(ops, linearizability.Options{}); res.Verdict != linearizability.Ok {
		t.Fatalf("history of %d operations: %v", len(ops), res.Verdict)
	}
	t.Logf("kgroup: checks made %v; history of %d operations linearizable", made, len(ops))
}

var balancers = map[string]func() kgo.GroupBalancer{
	"range":              kgo.RangeBalancer,
	"roundrobin":         kgo.RoundRobinBalancer,
	"cooperative-sticky": kgo.CooperativeStickyBalancer,
}

// TestKgo: kgo consumers in 3-member groups with range, round-robin,
// cooperative-sticky and static (range) members, on kgroup serve and on
// kfake; the two are compared on generations, leaders, protocols,
// assignments and commits.
func TestKgo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		balancer string
		static   bool
	}{{"range", "range", false}, {"roundrobin", "roundrobin", false}, {"cooperative-sticky", "cooperative-sticky", false}, {"static", "range", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kg := kgroupBackend(t)
			got := runScenario(t, kg, balancers[tc.balancer], tc.static)
			checkServer(t, kg, tc.balancer == "cooperative-sticky")
			fake := runScenario(t, kfakeBackend(t), balancers[tc.balancer], tc.static)
			for _, d := range compare(got, fake) {
				why, ok := classified(tc.name, d, got, fake)
				if !ok {
					t.Errorf("unclassified difference from kfake: %s\nkgroup trace:\n%s\nkfake trace:\n%s", d,
						strings.Join(got.Trace, "\n"), strings.Join(fake.Trace, "\n"))
					continue
				}
				t.Logf("difference from kfake (%s): %s", why, d)
				if strings.Contains(why, "traces below") {
					t.Logf("kgroup trace:\n%s\nkfake trace:\n%s", strings.Join(got.Trace, "\n"), strings.Join(fake.Trace, "\n"))
				}
			}
		})
	}
}

// difference is one way the two servers' results differ.
type difference struct {
	phase, field  string
	kgroup, kfake any
}

func (d difference) String() string {
	return fmt.Sprintf("%s: %s kgroup %v, kfake %v", d.phase, d.field, d.kgroup, d.kfake)
}

// compare lists where two servers' results differ: per phase, generation,
// leader, protocol and assignment (member ids mapped by client id); the
// final commits.
func compare(a, b result) []difference {
	var out []difference
	for _, ph := range sortedKeys(a.Phases) {
		x, y := a.Phases[ph], b.Phases[ph]
		if x.Generation != y.Generation {
			out = append(out, difference{ph, "generation", x.Generation, y.Generation})
		}
		if x.Leader != y.Leader || x.Protocol != y.Protocol {
			out = append(out, difference{ph, "leader/protocol", x.Leader + "/" + x.Protocol, y.Leader + "/" + y.Protocol})
		}
		if fmt.Sprint(x.Owned) != fmt.Sprint(y.Owned) {
			out = append(out, difference{ph, "assignment", x.Owned, y.Owned})
		}
	}
	if !maps.Equal(a.Committed, b.Committed) {
		out = append(out, difference{"end", "commits", a.Committed, b.Committed})
	}
	return out
}

// classified says why a difference is there, if it is a known one, each
// recognised by what it must look like; every other difference fails the
// test.
//
//   - Preempted rounds (timing, on either server): a member that joined a
//     generation but whose SyncGroup came after the leader had already
//     rejoined (a cooperative leader rejoins right after revoking) is
//     answered REBALANCE_IN_PROGRESS, as Kafka answers a SyncGroup in
//     PreparingRebalance, and one more generation follows. Generations are
//     equal once such rounds are discounted.
//   - kfake's static replacement (kfake's divergence from Kafka): a static
//     member that restarts within its session rejoins with member id "";
//     Kafka replaces it without a rebalance unless the group's selected
//     protocol changes (GroupMetadataManager.
//     updateStaticMemberThenRebalanceOrCompleteJoin), and kgroup does the
//     same; kfake rebalances unless the member's metadata bytes are equal
//     too (groupMember.sameJoin), and kgo's range metadata carries the
//     member's last generation (simpleMemberMetadata), -1 after a restart.
//     From then on kfake is one generation ahead.
//   - Cooperative round counts (timing, on either server): how many rounds a
//     cooperative rebalance takes depends on when each member's revoke and
//     rejoin land relative to the others' syncs; a difference not explained
//     by preempted rounds alone is accepted for cooperative-sticky only, and
//     only where leader, protocol and assignment agree (those are compared
//     separately and never excused). Seen once in CI under load; the traces
//     are logged.
func classified(scenario string, d difference, a, b result) (string, bool) {
	if d.field != "generation" {
		return "", false
	}
	x, y := a.Phases[d.phase], b.Phases[d.phase]
	if x.Generation-preempted(a.Trace, x.Generation) == y.Generation-preempted(b.Trace, y.Generation) {
		return fmt.Sprintf("timing: rounds preempted before generation %d: kgroup %d, kfake %d", x.Generation,
			preempted(a.Trace, x.Generation), preempted(b.Trace, y.Generation)), true
	}
	if scenario == "cooperative-sticky" && x.Leader == y.Leader && fmt.Sprint(x.Owned) == fmt.Sprint(y.Owned) {
		return "timing: cooperative rounds (traces below)", true
	}
	if scenario == "static" && d.phase >= "4" {
		before, kf := a.Phases["3 three members"], b.Phases["3 three members"]
		if a.Phases["4 c2 restarted within its session"].Generation == before.Generation &&
			b.Phases["4 c2 restarted within its session"].Generation == kf.Generation+1 && y.Generation == x.Generation+1 {
			return "kfake rebalances on a static member's restart (its metadata bytes changed); Kafka and kgroup do not", true
		}
	}
	return "", false
}

// preempted counts the generations up to gen that some member joined but
// never synced in, although it lived on to join a later one.
func preempted(trace []string, gen int32) int32 {
	joined, synced := map[string]map[int32]bool{}, map[string]map[int32]bool{}
	last := map[string]int32{}
	for _, line := range trace {
		var life, what string
		var g int32
		fmt.Sscanf(line, "%s %s gen=%d", &life, &what, &g)
		m := joined
		if what == "synced" {
			m = synced
		}
		if m[life] == nil {
			m[life] = map[int32]bool{}
		}
		m[life][g] = true
		last[life] = max(last[life], g)
	}
	rounds := map[int32]bool{}
	for life, gens := range joined {
		for g := range gens {
			if g <= gen && !synced[life][g] && last[life] > g {
				rounds[g] = true
			}
		}
	}
	return int32(len(rounds))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}
