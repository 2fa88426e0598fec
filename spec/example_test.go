package spec_test

import (
	"fmt"

	"github.com/kgroup/kgroup/spec"
)

// A coordinator under test accepted a commit from a zombie of generation 1
// while the group was at generation 2; the checker says so. This is the
// example of the package documentation.
func ExampleChecker() {
	ck := spec.NewChecker("g")
	tp := spec.TopicPartition{Topic: "t", Partition: 0}
	view := spec.GroupView{GroupID: "g", State: spec.Stable, Generation: 2,
		Members: []spec.MemberView{{MemberID: "c1-1", Topics: []string{"t"}, Assignment: spec.Assignment{"t": {0}}}}}
	req := &spec.OffsetCommitRequest{GroupID: "g", GenerationID: 1, MemberID: "c2-2",
		Offsets: []spec.OffsetCommitPartition{{TopicPartition: tp, Offset: 42}}}
	resp := &spec.OffsetCommitResponse{Partitions: []spec.OffsetCommitPartitionResponse{{TopicPartition: tp}}}
	ck.Request(6000, spec.Message{From: "c2", To: spec.CoordinatorNode, Correlation: 7, Body: req})
	ck.Response(6000, view, spec.Message{From: spec.CoordinatorNode, To: "c2", Correlation: 7, Body: resp})
	ck.Step(spec.Snapshot{At: 6000, Group: view, Committed: map[spec.TopicPartition]int64{tp: 42}})
	fmt.Println(ck.Err())
	// Output:
	// at 6000: fencing: OffsetCommit member=c2-2 gen=1 t-0=42 answered with success although "c2-2" is not a member (group Stable at generation 2)
}
