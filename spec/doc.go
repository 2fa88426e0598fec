// Package spec is kgroup's vocabulary and its rules.
//
// It defines what every other package talks about — topic-partitions,
// assignments, group states, Kafka error codes, the requests and responses of
// the classic group protocol and the events of a run — and states the rules of
// consumer-group rebalancing as exported predicates over observations of a run
// (see Snapshot and the Check functions). The predicates are written to be
// applied by other implementations to their own states: fill a Snapshot from
// your coordinator and clients, call the checks, read the error.
//
// spec imports nothing of kgroup's. It is not an implementation: nothing here
// decides what a coordinator does, only whether what it did is allowed.
package spec
