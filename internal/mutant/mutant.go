// Package mutant names the known bugs kgroup can plant in its own state
// machines, so that tests, the explorer and fuzzers can show each checker
// catching a real broken implementation, not just a hand-made bad state.
//
// A planted bug is configuration of one instance: coordinator.Config.Bugs,
// consumer.Config.Bugs and cluster.Config.Bugs hold a Set, and the state
// machines consult it at a few marked places. Nothing is planted in a zero
// Set, and instances with different Sets run side by side (t.Parallel, one
// explorer worker per core).
package mutant

import (
	"fmt"
	"strings"
)

// Bug is one deliberate defect.
type Bug uint8

// The defects kgroup can plant, and the rule each one breaks.
const (
	// SkipGenerationBump: completing a join does not bump the generation
	// (rule 5, monotonic generations).
	SkipGenerationBump Bug = iota + 1
	// DoubleAssign: the coordinator hands the first partition of the leader's
	// plan to every member (rule 1, exclusive ownership and valid assignment).
	DoubleAssign
	// AcceptStaleCommit: OffsetCommit skips the member and generation checks,
	// or a consumer group's member and epoch checks (rule 2, zombie fencing).
	AcceptStaleCommit
	// NoExpiry: member sessions never expire, so a crashed member stays in
	// the group forever (rule 6, convergence).
	NoExpiry
	// KeepOnRejoin: an eager consumer keeps its partitions when it rejoins
	// instead of revoking them (rule 1, exclusive ownership).
	KeepOnRejoin
	// SkipAhead: a consumer starts a newly assigned partition one record past
	// its committed offset (rule 3, no loss).
	SkipAhead
	// CommitZero: a consumer commits offset 0 for a partition it was just
	// assigned (rule 3, offsets never regress).
	CommitZero
	// CooperativeRevokesAll: a cooperative consumer gives up everything it
	// owns after each assignment, not just what moved (rule 4).
	CooperativeRevokesAll
	// ForgetGroupRecord: the coordinator installs the leader's assignment
	// without persisting it (DESIGN §3, the log rebuilds the state).
	ForgetGroupRecord
	// StaleFetchCache: the coordinator answers OffsetFetch from a cache
	// that commits do not update (linearizability: a fetch returns an
	// offset older than an acknowledged commit).
	StaleFetchCache
	// UnpersistedCommit: the coordinator acknowledges and applies a commit
	// without writing its record, so a failover loses it (linearizability,
	// and rule 3 across the failover).
	UnpersistedCommit
	// ReorderedCommits: the coordinator acknowledges a member's commit but
	// applies it only after that member's next one (linearizability: two
	// commits of one client applied out of order).
	ReorderedCommits
	// CGAssignUnreleased: a consumer group's reconciliation hands a member a
	// partition another member still holds, ignoring partition epochs
	// (KIP-848's exclusive ownership: replaying the member's record fails
	// the coordinator's own check, so the Step fails).
	CGAssignUnreleased
	// CGSkipEpochCheck: ConsumerGroupHeartbeat accepts any member epoch,
	// ahead of or behind the member's (KIP-848's fencing: a zombie keeps
	// heartbeating instead of being told FENCED_MEMBER_EPOCH).
	CGSkipEpochCheck
	// CGEpochGoesBack: a member whose unreleased partitions arrive is given
	// the epoch before the one it had (KIP-848: member epochs never
	// decrease).
	CGEpochGoesBack
	// CGRevokeUnacked: reconciliation takes a member's report as owning
	// nothing, so partitions to revoke are released at once, before the
	// member gave them up (KIP-848's handoff: CheckConsumerReleases).
	CGRevokeUnacked
	numBugs
)

var names = [numBugs]string{"", "skip-generation-bump", "double-assign", "accept-stale-commit", "no-expiry",
	"keep-on-rejoin", "skip-ahead", "commit-zero", "cooperative-revokes-all", "forget-group-record",
	"stale-fetch-cache", "unpersisted-commit", "reordered-commits", "cg-assign-unreleased", "cg-skip-epoch-check",
	"cg-epoch-goes-back", "cg-revoke-unacked"}

// HistoryOnly lists the bugs that break no rule a single state shows: only
// a history of the clients' commits and fetches (package linearizability)
// reveals them.
func HistoryOnly() []Bug { return []Bug{StaleFetchCache, ReorderedCommits} }

// ConsumerGroupOnly lists the bugs planted in consumer groups (KIP-848),
// which the classic-protocol runs of the explorer, the fuzzers and the
// refinement check never reach: the coordinator's conformance tests show
// them (impl/coordinator's TestPlantedConsumerGroupBugs).
func ConsumerGroupOnly() []Bug {
	return []Bug{CGAssignUnreleased, CGSkipEpochCheck, CGEpochGoesBack, CGRevokeUnacked}
}

// All lists every bug, in order.
func All() []Bug {
	out := make([]Bug, 0, numBugs-1)
	for b := Bug(1); b < numBugs; b++ {
		out = append(out, b)
	}
	return out
}

// String is the bug's name, e.g. "double-assign".
func (b Bug) String() string {
	if b > 0 && b < numBugs {
		return names[b]
	}
	return fmt.Sprintf("Bug(%d)", uint8(b))
}

// Parse reads a bug's name.
func Parse(name string) (Bug, error) {
	for b := Bug(1); b < numBugs; b++ {
		if names[b] == name {
			return b, nil
		}
	}
	return 0, fmt.Errorf("unknown planted bug %q (known: %s)", name, strings.Join(names[1:], ", "))
}

// Set is a set of planted bugs; the zero Set plants none.
type Set uint32

// Of returns the set of bs.
func Of(bs ...Bug) Set {
	var s Set
	for _, b := range bs {
		s |= 1 << b
	}
	return s
}

// Has reports whether b is planted.
func (s Set) Has(b Bug) bool { return s&(1<<b) != 0 }

// String lists the planted bugs' names, comma-separated, in order.
func (s Set) String() string {
	var parts []string
	for _, b := range All() {
		if s.Has(b) {
			parts = append(parts, b.String())
		}
	}
	return strings.Join(parts, ",")
}

// ParseSet reads what String writes.
func ParseSet(list string) (Set, error) {
	var s Set
	if list == "" {
		return 0, nil
	}
	for _, name := range strings.Split(list, ",") {
		b, err := Parse(name)
		if err != nil {
			return 0, err
		}
		s |= Of(b)
	}
	return s, nil
}
