// Package fuzz holds kgroup's fuzz targets over its state machines and the
// boundaries where input arrives from outside:
//
//   - FuzzCluster: bytes as the choices of the random model
//     (internal/randmodel) — a bounded run of Actions on a cluster of
//     eager, cooperative and static consumers with delays, drops, crashes,
//     restarts, failovers and partitions added, every rule checked after
//     every step, then healed and required to converge. A failure prints
//     the transcript `kgroup replay` reproduces.
//   - FuzzTranscript and FuzzScenario: any text into the transcript
//     language and the simulator's: a clear error or a run within a step
//     budget, never a panic, an internal invariant broken, or a rule broken
//     without a planted bug.
//   - FuzzRecords: any JSON lines as the coordinator's record log: Load
//     gives an error, or a coordinator that serves and expires its members
//     within the rules, and loads the same from the log compacted.
//   - FuzzEvents: any bytes as the JSON of a message, an event or an action,
//     and any text as a transcript action: what parses writes back to the
//     same value.
//
// FuzzAssignJSON and FuzzMemberMetadata live beside the code they test
// (package assignors), since they use its oracle. The corpora are under
// testdata/fuzz (go test replays them); the tests named *Corpus keep the
// seeds in step with their sources (golden transcripts, simulator
// examples, seeded model runs). fuzz/run.sh runs long campaigns.
package fuzz
