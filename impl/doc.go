// Package impl holds kgroup's state machines, one idea per subpackage:
//
//   - coordinator: the group coordinator (classic protocol), stepped with
//     requests and local inputs (timers, unload), producing responses and
//     records;
//   - consumer: one consumer's membership logic, stepped with responses and
//     local inputs (timers, the application's calls), producing requests and
//     rebalance callbacks;
//   - cluster: coordinator + consumers + an explicit network, driven by
//     Actions, checking kgroup's rules (spec.Checker) after every step;
//   - transcript: the command language over a cluster.
//
// All of them are pure: no clock, randomness, I/O or goroutines (a test of
// this package holds them to it), so the same inputs give the same bytes.
// The golden transcripts in testdata are checked by this package's tests;
// run `go test ./impl -rewrite` to regenerate them after a deliberate change.
package impl
