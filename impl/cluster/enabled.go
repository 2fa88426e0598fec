package cluster

import (
	"strconv"

	"github.com/kgroup/kgroup/impl/consumer"
	"github.com/kgroup/kgroup/spec"
)

// Bounds limit the actions Enabled offers, so that exploring every sequence
// of them is finite. The zero value offers deliveries and timer firings only.
type Bounds struct {
	// Consumers may each be started once, with these configurations.
	Consumers []consumer.Config
	// Perturbations bounds, in all: crashes, cold restarts, closes, freezes,
	// stalls, partitions added, failovers and removals of static members.
	// (Thaw and unstall undo a perturbation and are free.)
	Perturbations int
	// Restart, Freeze, Stall, Failover and RemoveStatic allow those
	// perturbations; crash and close are always allowed within Perturbations.
	Restart, Freeze, Stall, Failover, RemoveStatic bool
	// AddPartitionsUpTo lets a topic grow by one partition at a time up to
	// this many (0: never).
	AddPartitionsUpTo int32
	// Drops bounds the messages the network may lose.
	Drops int
	// Consumes and Commits bound the application's calls "consume NAME 1"
	// and "commit NAME".
	Consumes, Commits int
	// Advances are durations time may also move by, firing what is due on
	// the way; without them time moves only by firing the next timer.
	Advances []int64
}

// spent is what the actions applied so far used of the bounds.
type spent struct {
	perturbations, drops, consumes, commits int
}

func (s *spent) count(a Action) {
	switch a.Kind {
	case ActCrash, ActClose, ActFreeze, ActStall, ActAddPartitions, ActFailover, ActRemoveStatic, ActRestart,
		ActCreateTopic, ActDeleteTopic:
		s.perturbations++
	case ActDrop:
		s.drops++
	case ActConsume, ActConsumeAll:
		s.consumes++
	case ActCommit:
		s.commits++
	}
}

// Enabled lists the actions that may be applied now within b (Apply accepts
// each of them, if b's configurations are valid), in a fixed order: deliveries and drops by link in
// sending order, timer firings (the coordinator, then consumers by name),
// starts, the application's calls, perturbations and their undoing,
// partitions added, failover, then advances.
func (cl *Cluster) Enabled(b Bounds) []Action {
	var out []Action
	for _, f := range cl.Deliverable() {
		out = append(out, Action{Kind: ActDeliver, Link: f.Link()})
	}
	if cl.spent.drops < b.Drops {
		for _, f := range cl.Deliverable() {
			out = append(out, Action{Kind: ActDrop, Link: f.Link()})
		}
	}
	for _, name := range cl.dueNodes() {
		out = append(out, Action{Kind: ActFire, Node: name})
	}
	for i := range b.Consumers {
		if cfg := b.Consumers[i]; cl.nodes[cfg.Name] == nil {
			out = append(out, Action{Kind: ActStart, Node: cfg.Name, Config: &b.Consumers[i]})
		}
	}
	out = cl.appendNodeActions(out, b)
	perturb := cl.spent.perturbations < b.Perturbations
	if perturb && b.AddPartitionsUpTo > 0 {
		for _, t := range spec.SortedKeys(cl.topics) {
			if n := cl.topics[t]; n < b.AddPartitionsUpTo {
				out = append(out, Action{Kind: ActAddPartitions, Topic: t, Partitions: n + 1})
			}
		}
	}
	if perturb && b.Failover {
		out = append(out, Action{Kind: ActFailover})
	}
	if perturb && b.RemoveStatic {
		out = cl.appendRemoveStatic(out)
	}
	for _, d := range b.Advances {
		out = append(out, Action{Kind: ActAdvance, Ms: d})
	}
	return out
}

// appendNodeActions adds, for each consumer by name, what may be done to it.
func (cl *Cluster) appendNodeActions(out []Action, b Bounds) []Action {
	perturb := cl.spent.perturbations < b.Perturbations
	for _, name := range cl.sortedNames() {
		n := cl.nodes[name]
		act := func(k ActionKind) { out = append(out, Action{Kind: k, Node: name}) }
		switch {
		case !n.running():
			if perturb && b.Restart {
				act(ActRestart)
			}
			continue
		case n.frozen:
			act(ActThaw)
			continue
		}
		polling := !n.c.Stalled()
		if polling && cl.spent.consumes < b.Consumes {
			out = append(out, Action{Kind: ActConsume, Node: name, Records: 1})
		}
		if polling && cl.spent.commits < b.Commits {
			act(ActCommit)
		}
		if !polling {
			act(ActUnstall)
		}
		if perturb {
			act(ActCrash)
			act(ActClose)
			if b.Freeze {
				act(ActFreeze)
			}
			if b.Stall && polling {
				act(ActStall)
			}
		}
	}
	return out
}

// appendRemoveStatic offers the removal of each static member's instance id
// that some consumer was configured with.
func (cl *Cluster) appendRemoveStatic(out []Action) []Action {
	seen := map[string]bool{}
	for _, name := range cl.sortedNames() {
		if id := cl.nodes[name].cfg.InstanceID; id != "" && !seen[id] {
			seen[id] = true
			out = append(out, Action{Kind: ActRemoveStatic, Instance: id})
		}
	}
	return out
}

// String names a bound set briefly, for reports.
func (b Bounds) String() string {
	return "consumers=" + strconv.Itoa(len(b.Consumers)) + " perturbations=" + strconv.Itoa(b.Perturbations) +
		" drops=" + strconv.Itoa(b.Drops)
}
