// Package impl holds kgroup's state machines, one idea per subpackage:
//
//   - coordinator: the group coordinator (classic protocol), driven by
//     requests and timers, producing responses and records;
//   - consumer: one consumer's membership logic, driven by responses and
//     timers, producing requests and rebalance callbacks;
//   - cluster: coordinator + consumers + an explicit network, checking
//     kgroup's rules after every step;
//   - transcript: the command language over a cluster.
//
// The golden transcripts in testdata are checked by this package's tests;
// run `go test ./impl -rewrite` to regenerate them after a deliberate change.
package impl
