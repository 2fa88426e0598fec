// Package spec is kgroup's vocabulary and its rules.
//
// It defines what every other package talks about — topic-partitions,
// assignments, group states, Kafka error codes and API keys, the requests
// and responses of the classic group protocol and of KIP-848's
// ConsumerGroupHeartbeat (consumer_group.go), the local inputs of kgroup's
// state machines (Tick, Stall, Commit, ...), and the events of a run — and
// states the rules of consumer-group rebalancing (DESIGN.md §5) as exported
// predicates, one file per rule: ownership.go (rule 1), fencing.go (2),
// offsets.go (3), cooperative.go (4), generations.go (5), convergence.go (6),
// balance.go (7); for KIP-848 consumer groups, cg_rules.go (rules 1, 4 and 5
// on the coordinator's ConsumerGroupView) and cg_fencing.go (2), which the
// Checker applies to a Snapshot carrying a ConsumerGroup (cg_checker.go).
// The predicates take plain data, so that any implementation
// can build their arguments from its own state; malformed arguments get an
// error, never a panic.
//
// Checker applies every rule to a run as it happens. kgroup's cluster drives
// one; another coordinator or client feeds its own run and gets the same
// verdicts. Here a coordinator under test accepted a zombie's commit:
//
//	ck := spec.NewChecker("g")
//	tp := spec.TopicPartition{Topic: "t", Partition: 0}
//	view := spec.GroupView{GroupID: "g", State: spec.Stable, Generation: 2,
//		Members: []spec.MemberView{{MemberID: "c1-1", Topics: []string{"t"}, Assignment: spec.Assignment{"t": {0}}}}}
//	req := &spec.OffsetCommitRequest{GroupID: "g", GenerationID: 1, MemberID: "c2-2",
//		Offsets: []spec.OffsetCommitPartition{{TopicPartition: tp, Offset: 42}}}
//	resp := &spec.OffsetCommitResponse{Partitions: []spec.OffsetCommitPartitionResponse{{TopicPartition: tp}}}
//	ck.Request(6000, spec.Message{From: "c2", To: spec.CoordinatorNode, Correlation: 7, Body: req})
//	ck.Response(6000, view, spec.Message{From: spec.CoordinatorNode, To: "c2", Correlation: 7, Body: resp})
//	ck.Step(spec.Snapshot{At: 6000, Group: view, Committed: map[spec.TopicPartition]int64{tp: 42}})
//	fmt.Println(ck.Err())
//	// at 6000: fencing: OffsetCommit member=c2-2 gen=1 t-0=42 answered with success
//	// although "c2-2" is not a member (group Stable at generation 2)
//
// Feed Transition every group state change, Delivered every response before
// a consumer handles it, and Event every callback and batch processed, and
// call Step after every step of the run (ExampleChecker runs this example).
//
// StateFrame and the Append functions are the canonical binary encodings
// that the state machines' AppendState methods share.
//
// spec imports nothing of kgroup's. It is not an implementation: nothing here
// decides what a coordinator does, only whether what it did is allowed.
package spec
