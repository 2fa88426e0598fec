package linearizability

import "github.com/kgroup/kgroup/spec"

// Call is the operation that req starts when client sends it at time at,
// if it is one a history holds: a commit, a fetch of named partitions, or
// a sync. For drivers that see requests and answers one by one (kgroup
// serve) rather than a cluster's events.
func Call(client string, at int64, req spec.Request) (Op, bool) {
	return callOf(spec.Message{From: client, Body: req}, at)
}

// Returned completes op with its answer, at time at.
func (op *Op) Returned(at int64, resp spec.Response) {
	op.Return, op.Output = &at, outputOf(resp)
}
