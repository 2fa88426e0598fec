// Package transcript runs kgroup's transcript language: a small command
// language that drives a cluster (coordinator, consumers, network) and prints
// what happened under each command, in the style of etcd-io/raft's
// interaction tests. Golden transcripts under impl/testdata are kgroup's
// readable specification of Kafka's behaviour and the vectors other
// implementations can replay.
//
// A transcript is a sequence of blocks:
//
//	# comments are kept as they are
//	command arg key=value ...
//	----
//	output lines (replaced on every run)
//
// A command with no "----" section gets one. A command is either one of the
// queries in commands.go or an action on the cluster (cluster.ParseActions);
// `kgroup replay -h` lists them all.
package transcript

import (
	"bufio"

	"fmt"
	"io"
	"strings"

	"github.com/kgroup/kgroup/impl/cluster"
)

// Bounds on what a transcript file may hold: a command line, and any line
// (outputs, which a run prints and a later run drops, may be long: a leader's
// JoinGroup answer lists every member).
const (
	MaxCommandBytes = 1 << 20
	MaxLineBytes    = 64 << 20
)

// Run executes a transcript and returns it with every command's output
// filled in. It fails only on a malformed file; a command that fails prints
// "error: ..." as the last line of its output.
func Run(r io.Reader) (string, error) {
	res, err := Replay(r, nil)
	return res.Output, err
}

// Result is a transcript's run.
type Result struct {
	Output string
	// Failed lists the lines of the commands that failed.
	Failed []int
	// Violation is the first rule broken, if any.
	Violation error
}

// Replay runs a transcript as Run does, calling onCluster (if not nil) on
// every cluster the transcript creates before any command acts on it (to
// attach a recorder, say), and says which commands failed and which rule
// broke.
func Replay(r io.Reader, onCluster func(*cluster.Cluster)) (Result, error) {
	blocks, err := parse(r)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var out strings.Builder
	s := NewSession()
	s.onCluster = onCluster
	for _, b := range blocks {
		if b.comment {
			out.WriteString(b.text + "\n")
			continue
		}
		out.WriteString(b.text + "\n----\n")
		lines, err := s.Exec(b.text)
		if err != nil {
			lines = append(lines, "error: "+err.Error())
			res.Failed = append(res.Failed, b.line)
		}
		for _, line := range lines {
			out.WriteString(line + "\n")
		}
		out.WriteString("\n")
		if res.Violation == nil && s.cl != nil {
			res.Violation = s.cl.Violation()
		}
	}
	res.Output = out.String()
	return res, nil
}

type block struct {
	text    string // the command, or a comment or blank line kept verbatim
	line    int
	comment bool
}

// parse splits a transcript into commands and kept lines; old outputs are
// dropped.
func parse(r io.Reader) ([]block, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	var blocks []block
	inOutput := false
	pendingBlank := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case inOutput:
			if trimmed == "" {
				inOutput = false
			}
		case trimmed == "----":
			if len(blocks) == 0 || blocks[len(blocks)-1].comment {
				return nil, fmt.Errorf("line %d: ---- without a command before it", n)
			}
			inOutput = true
		case len(trimmed) > MaxCommandBytes:
			return nil, fmt.Errorf("line %d: a command of %d bytes, more than %d", n, len(trimmed), MaxCommandBytes)
		case trimmed == "":
			pendingBlank = true
		case strings.HasPrefix(trimmed, "#"):
			blocks = appendBlank(blocks, &pendingBlank)
			blocks = append(blocks, block{text: trimmed, line: n, comment: true})
		default:
			blocks = appendBlank(blocks, &pendingBlank)
			blocks = append(blocks, block{text: trimmed, line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading transcript: %w (a line may hold at most %d bytes)", err, MaxLineBytes)
	}
	return blocks, nil
}

// appendBlank keeps one blank line between comments, where the author put one.
func appendBlank(blocks []block, pending *bool) []block {
	if *pending && len(blocks) > 0 && blocks[len(blocks)-1].comment {
		blocks = append(blocks, block{text: "", comment: true})
	}
	*pending = false
	return blocks
}
