package linearizability

import (
	"fmt"
	"io"
	"time"

	"github.com/anishathalye/porcupine"
)

// Verdict is what a check found.
type Verdict string

// The verdicts, as porcupine gives them.
const (
	Ok      Verdict = "ok"      // every register's history is linearizable
	Illegal Verdict = "illegal" // some register's is not
	Unknown Verdict = "unknown" // the time ran out before a verdict
)

// Result is a check's outcome.
type Result struct {
	Verdict   Verdict
	Ops       int // operations in the history
	Registers int // partitions of groups, checked one by one
	// Register names the first register found illegal (group/topic-partition).
	Register string
	Elapsed  time.Duration
}

// Options tune a check.
type Options struct {
	// Timeout bounds the whole check; 0 means none.
	Timeout time.Duration
	// Progress, if set, is called after each register.
	Progress func(done, of int)
}

// Check checks a history register by register.
func Check(ops []Op, opt Options) Result {
	start := time.Now()
	keys, hist := registers(ops)
	res := Result{Verdict: Ok, Ops: len(ops), Registers: len(keys)}
	for i, h := range hist {
		left := time.Duration(0)
		if opt.Timeout > 0 {
			if left = opt.Timeout - time.Since(start); left <= 0 {
				res.Verdict = Unknown
				break
			}
		}
		switch porcupine.CheckOperationsTimeout(model, h, left) {
		case porcupine.Illegal:
			res.Verdict, res.Register = Illegal, keys[i].String()
		case porcupine.Unknown:
			res.Verdict = Unknown
		}
		if opt.Progress != nil {
			opt.Progress(i+1, len(keys))
		}
		if res.Verdict != Ok {
			break
		}
	}
	res.Elapsed = time.Since(start)
	return res
}

// Visualize writes porcupine's HTML visualization of the whole history: per
// register, the operations on a time line and the longest linearization
// found.
func Visualize(ops []Op, timeout time.Duration, w io.Writer) error {
	keys, hist := registers(ops)
	if len(keys) == 0 {
		return fmt.Errorf("linearizability: nothing to visualize: the history names no partition")
	}
	var all []porcupine.Operation
	for _, h := range hist {
		all = append(all, h...)
	}
	m := model
	m.Partition = func([]porcupine.Operation) [][]porcupine.Operation { return hist }
	_, info := porcupine.CheckOperationsVerbose(m, all, timeout)
	return porcupine.Visualize(m, info, w)
}
