// Package fuzz holds kgroup's fuzz targets over its state machines and the
// boundaries where input arrives from outside:
//
//   - FuzzCluster: bytes as the choices of the random model
//     (internal/randmodel) — a bounded run of Actions on a cluster of
//     eager, cooperative and static consumers with delays, drops, crashes,
//     restarts, failovers and partitions added, every rule checked after
//     every step, then healed and required to converge. A failure prints
//     the transcript `kgroup replay` reproduces.
//   - FuzzClusterConsumerGroups: FuzzCluster with every run a KIP-848
//     consumer group (impl/asyncconsumer against the coordinator's
//     ConsumerGroupHeartbeat handler), the consumer-group rules checked.
//   - FuzzConsumerGroupHeartbeat: bytes as the choices of a driver of one
//     coordinator — ConsumerGroupHeartbeats with any field values, epochs
//     and member ids from small sets, ticks, commits and fetches with
//     member epochs, metadata images, classic joins, failovers — every
//     consumer group within spec.CheckConsumerGroup after every step and
//     spec.CheckConsumerGroupStep between steps of one coordinator's life,
//     every answer within spec.CheckConsumerFencing, and the log written
//     rebuilding every consumer group.
//   - FuzzTranscript and FuzzScenario: any text into the transcript
//     language and the simulator's: a clear error or a run within a step
//     budget, never a panic, an internal invariant broken, or a rule broken
//     without a planted bug.
//   - FuzzRecords: any JSON lines as the coordinator's record log: Load
//     gives an error, or a coordinator that serves and expires its members
//     within the rules, and loads the same from the log compacted.
//   - FuzzConsumerGroupRecords: any JSON lines (or drawn records) with the
//     consumer group records and their tombstones, in any order, among
//     classic group and offset records: Load gives an error or a
//     coordinator, Replay agrees with it, a second Load has the same
//     AppendState, and the coordinator answers every member's heartbeats
//     and a driven run of inputs with no internal invariant broken.
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
