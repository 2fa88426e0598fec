// Package sim answers "what happens to my group if…": it runs a scenario
// against kgroup's real coordinator and consumer state machines (package
// cluster, driven only through its actions, in manual mode) inside a
// seeded timing model, and reports what the rebalances cost: partitions not
// progressing, lag, records processed twice, Kafka's client metrics.
//
// The model (one explicit seed; each purpose draws from its own PCG stream):
//
//   - Network: each message arrives after half a sampled round trip, in
//     order per link; loss drops it; a cut drops everything to and from a
//     process for a while (it also fetches nothing then).
//   - The application: a batch is the consumer's stall input (the
//     application does not poll), its end is unstall, a poll() boundary;
//     batches are min(max.poll.records, available) records at a per-record
//     time sampled once per batch, plus a per-batch time. A consumer that
//     keeps up consumes records as they arrive ("live") and is not stepped
//     batch by batch: what it processed is handed to its state machine just
//     before anything that may commit it.
//   - Callbacks: onPartitionsRevoked is its commit's round trip plus the
//     application's drain (revoke=); onPartitionsAssigned the application's
//     restore (assign=); a new partition is fetched after the offset fetch,
//     one round trip, and, when the consumer already fetches others, the
//     wait for that fetch to return (records arriving, or fetch.max.wait.ms).
//   - The leader's assignment time: assignCostMs, fitted to kgroup's
//     assignors.
//   - Processes: startup and shutdown times, graceful stop at the next
//     poll() boundary, kill, rolling deploys.
//   - Workload: a rate per partition, changed by produce lines; lag is
//     produced minus processed, exact between events (no sampling).
//
// What it leaves out: brokers other than the coordinator (one network
// distribution stands for fetches too), fetch sizes and bytes, per-record
// variation inside a batch, the producer side, KIP-848 groups. The
// heartbeat thread's phase is Kafka's: it restarts when the JoinGroup
// answer arrives (AbstractCoordinator.HeartbeatThread.enable), so members'
// heartbeats are nearly in phase after each rebalance, apart by the
// network's jitter and, for a member in a batch, the thread's wake-up
// (retry.backoff.ms); whether a rebalance starts just before or just after
// the members' heartbeats decides whether they learn of it at once or a
// heartbeat interval later.
//
// Every rule of package spec holds in every run, or the run fails with its
// variant and seed: whole-system checks after every protocol event
// (CheckEvents, cluster.CheckAtEvents), or after every step (CheckFull).
// The scenario language is Help's; sim/examples holds ten scenarios, each
// asserting its figure.
package sim
