package linearizability

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kgroup/kgroup/spec"
)

// Version is the history format's version.
const Version = 1

// The operations of a history.
const (
	OpCommit = "commit"
	OpFetch  = "fetch"
	OpSync   = "sync"
)

// Op is one operation of a history, as one JSON line holds it.
type Op struct {
	V      int     `json:"v"`
	Client string  `json:"client"`
	Call   int64   `json:"call"`
	Return *int64  `json:"return,omitempty"` // nil: the answer never came
	Op     string  `json:"op"`
	Input  Input   `json:"input"`
	Output *Output `json:"output,omitempty"` // nil exactly when Return is
}

// Input is what the client asked.
type Input struct {
	Group      string `json:"group"`
	Generation int32  `json:"generation,omitempty"` // commit, sync
	Member     string `json:"member,omitempty"`     // commit, sync
	// Offsets are a commit's; Partitions a fetch's.
	Offsets    []PartitionOffset     `json:"offsets,omitempty"`
	Partitions []spec.TopicPartition `json:"partitions,omitempty"`
}

// Output is what the coordinator answered.
type Output struct {
	// Error is the top-level code of a fetch or a sync.
	Error spec.ErrorCode `json:"error"`
	// Partitions: a commit's code per partition, a fetch's offset (and code)
	// per partition.
	Partitions []PartitionResult `json:"partitions,omitempty"`
}

// PartitionOffset is one partition's offset.
type PartitionOffset struct {
	spec.TopicPartition
	Offset int64 `json:"offset"`
}

// PartitionResult is one partition's outcome.
type PartitionResult struct {
	spec.TopicPartition
	Offset int64          `json:"offset,omitempty"` // fetch
	Error  spec.ErrorCode `json:"error"`
}

// Bounds on what a history file may hold.
const (
	MaxLineBytes   = 1 << 20
	MaxOps         = 10_000_000
	MaxPartitions  = 100_000 // per operation
	maxClientBytes = 1024
)

// Read reads a history, strictly: a line that is not one valid operation
// is an error naming it. Blank lines are skipped.
func Read(r io.Reader) ([]Op, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	var ops []Op
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if len(ops) == MaxOps {
			return nil, fmt.Errorf("history: more than %d operations", MaxOps)
		}
		var op Op
		if err := spec.UnmarshalStrict([]byte(line), &op); err != nil {
			return nil, fmt.Errorf("history line %d: %w", n, err)
		}
		if err := op.validate(); err != nil {
			return nil, fmt.Errorf("history line %d: %w", n, err)
		}
		ops = append(ops, op)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: %w (a line may hold at most %d bytes)", err, MaxLineBytes)
	}
	return ops, nil
}

// Write writes a history, one operation per line.
func Write(w io.Writer, ops []Op) error {
	bw := bufio.NewWriter(w)
	for _, op := range ops {
		b, err := json.Marshal(op)
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func (op Op) validate() error {
	switch {
	case op.V != Version:
		return fmt.Errorf("version %d: want %d", op.V, Version)
	case op.Client == "" || len(op.Client) > maxClientBytes:
		return fmt.Errorf("client must be 1 to %d bytes", maxClientBytes)
	case op.Call < 0:
		return fmt.Errorf("call time %d is negative", op.Call)
	case op.Return != nil && *op.Return < op.Call:
		return fmt.Errorf("returned at %d, before its call at %d", *op.Return, op.Call)
	case (op.Return == nil) != (op.Output == nil):
		return fmt.Errorf("an output comes with a return time, and only then")
	case op.Input.Group == "":
		return fmt.Errorf("input.group is required")
	case len(op.Input.Offsets) > MaxPartitions || len(op.Input.Partitions) > MaxPartitions ||
		(op.Output != nil && len(op.Output.Partitions) > MaxPartitions):
		return fmt.Errorf("more than %d partitions", MaxPartitions)
	}
	switch op.Op {
	case OpCommit:
		if len(op.Input.Offsets) == 0 || len(op.Input.Partitions) > 0 {
			return fmt.Errorf("a commit has input.offsets and no input.partitions")
		}
	case OpFetch:
		if len(op.Input.Offsets) > 0 || op.Input.Generation != 0 || op.Input.Member != "" {
			return fmt.Errorf("a fetch has only input.group and input.partitions")
		}
	case OpSync:
		if len(op.Input.Offsets) > 0 || len(op.Input.Partitions) > 0 || (op.Output != nil && len(op.Output.Partitions) > 0) {
			return fmt.Errorf("a sync has no partitions")
		}
	default:
		return fmt.Errorf("op %q: want commit, fetch or sync", op.Op)
	}
	for _, tp := range op.partitions() {
		if tp.Topic == "" || tp.Partition < 0 {
			return fmt.Errorf("partition %s is malformed", tp)
		}
	}
	return nil
}

// partitions lists every partition the operation names.
func (op Op) partitions() []spec.TopicPartition {
	out := append([]spec.TopicPartition(nil), op.Input.Partitions...)
	for _, o := range op.Input.Offsets {
		out = append(out, o.TopicPartition)
	}
	if op.Output != nil {
		for _, p := range op.Output.Partitions {
			out = append(out, p.TopicPartition)
		}
	}
	return out
}
