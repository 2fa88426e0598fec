// Package linearizability checks histories of a consumer group's committed
// offsets with porcupine: kgroup's, recorded from its cluster, and any other
// implementation's, written in the history format below.
//
// A history is a list of operations clients made against the group
// coordinator, each with the time it was called and the time its answer
// arrived (none if it never did):
//
//   - commit: an OffsetCommit of some partitions at a generation, and the
//     error code per partition;
//   - fetch: an OffsetFetch of some partitions, and the offsets returned;
//   - sync: a SyncGroup at a generation, and its error code.
//
// # What the model promises
//
// Per partition of a group, the committed offset is a register: every
// accepted commit (error NONE) sets it at some instant between its call and
// its return, a rejected one changes nothing, and every successful fetch
// returns the value it holds at some instant between its call and return —
// the latest accepted commit, or -1 if there was none. So a fetch that
// returns an offset older than a commit acknowledged before the fetch was
// called is illegal (a stale cache, a commit lost across a failover), and so
// is any order of one client's acknowledged commits that the register
// cannot explain.
//
// The group's generation, as far as it survives a coordinator failover,
// never goes back: a successful SyncGroup at generation g, and an accepted
// commit at generation g, show the group at generation g at some instant
// between call and return. So a commit at a generation older than one
// already shown, accepted after it, is illegal. Only SyncGroup answers and
// accepted commits count: Kafka persists a generation only with the
// leader's assignment, so a JoinGroup or Heartbeat answer may show a
// generation that a failover then loses, and a commit at the older,
// persisted generation is legitimately accepted afterwards (kgroup's golden
// transcript error_illegal_generation shows it). Commits at a negative
// generation (a consumer that assigns itself partitions) show nothing.
//
// An operation whose answer never came may or may not have taken effect;
// the checker considers both.
//
// # What it cannot see
//
// Anything not in the history: commits made by clients that were not
// recorded, offsets of partitions never fetched, a commit's metadata
// (checked only for presence of an error), whether the right member
// committed (that is fencing, rule 2, a state property — spec.CheckFencing),
// explicit seeks (a lower commit is legal; the register has no order), and
// fetches that failed (no constraint). Partitions are checked independently
// of each other, joined only through the generations their groups showed.
//
// # The history format (version 1)
//
// JSON lines, one operation each:
//
//	{"v":1,"client":"c1","call":12,"return":15,"op":"commit",
//	 "input":{"group":"g","generation":2,"member":"c1-1","offsets":[{"topic":"t","partition":0,"offset":42}]},
//	 "output":{"partitions":[{"topic":"t","partition":0,"error":"NONE"}]}}
//	{"v":1,"client":"c2","call":16,"return":19,"op":"fetch",
//	 "input":{"group":"g","partitions":[{"topic":"t","partition":0}]},
//	 "output":{"error":"NONE","partitions":[{"topic":"t","partition":0,"offset":42}]}}
//	{"v":1,"client":"c2","call":20,"op":"sync","input":{"group":"g","generation":3,"member":"c2-2"}}
//
// call and return are integers in any unit, non-negative, with return at
// least call; an operation without "return" (and without "output") never
// got its answer. Error codes are Kafka's names (spec.ErrorCode). Unknown
// fields, other ops, and malformed values are errors naming the line.
package linearizability
