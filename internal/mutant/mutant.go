// Package mutant plants known bugs in kgroup's own state machines so that
// tests can show each invariant checker catches a real broken implementation,
// not just a hand-made bad state.
//
// The state machines consult On at a few marked places; nothing is planted
// unless a test calls Plant. The switch is process-wide, so tests that plant
// bugs must not run in parallel with other tests of the same binary.
package mutant

// Bug is one deliberate defect.
type Bug string

// The defects kgroup can plant, and the rule each one breaks.
const (
	// SkipGenerationBump: completing a join does not bump the generation
	// (rule 5, monotonic generations).
	SkipGenerationBump Bug = "skip-generation-bump"
	// DoubleAssign: the coordinator hands the first partition of the leader's
	// plan to every member (rule 1, exclusive ownership and valid assignment).
	DoubleAssign Bug = "double-assign"
	// AcceptStaleCommit: OffsetCommit skips the member and generation checks
	// (rule 2, zombie fencing).
	AcceptStaleCommit Bug = "accept-stale-commit"
	// NoExpiry: member sessions never expire, so a crashed member stays in
	// the group forever (rule 6, convergence).
	NoExpiry Bug = "no-expiry"
	// KeepOnRejoin: an eager consumer keeps its partitions when it rejoins
	// instead of revoking them (rule 1, exclusive ownership).
	KeepOnRejoin Bug = "keep-on-rejoin"
	// SkipAhead: a consumer starts a newly assigned partition one record past
	// its committed offset (rule 3, no loss).
	SkipAhead Bug = "skip-ahead"
	// CommitZero: a consumer commits offset 0 for a partition it was just
	// assigned (rule 3, offsets never regress).
	CommitZero Bug = "commit-zero"
	// CooperativeRevokesAll: a cooperative consumer gives up everything it
	// owns after each assignment, not just what moved (rule 4).
	CooperativeRevokesAll Bug = "cooperative-revokes-all"
	// ForgetGroupRecord: the coordinator installs the leader's assignment
	// without persisting it (DESIGN §3, the log rebuilds the state).
	ForgetGroupRecord Bug = "forget-group-record"
)

var planted Bug

// Plant activates b and returns a function that removes it.
func Plant(b Bug) (undo func()) {
	planted = b
	return func() { planted = "" }
}

// On reports whether b is planted.
func On(b Bug) bool { return planted != "" && planted == b }
