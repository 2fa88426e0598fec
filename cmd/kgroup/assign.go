package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// maxAssignInput and maxPartitions bound what `kgroup assign` accepts, so a
// hostile or mistaken request gets an error instead of exhausting memory.
const (
	maxAssignInput = 256 << 20
	maxPartitions  = 50_000_000
)

type assignRequest struct {
	Assignor   string           `json:"assignor"`
	Partitions map[string]int64 `json:"partitions"`
	Members    []assignMember   `json:"members"`
}

type assignMember struct {
	MemberID   string             `json:"member_id"`
	InstanceID string             `json:"instance_id"`
	Rack       string             `json:"rack"`
	Topics     []string           `json:"topics"`
	Owned      map[string][]int64 `json:"owned"`
	Generation *int64             `json:"generation"`
}

const assignHelp = `usage: kgroup assign < request.json

Reads one assignment request (JSON) on stdin and writes the plan on stdout:
every member present, partitions ascending, keys sorted, so that any
implementation can compare its assignor with kgroup's byte for byte.

The request:
  {"assignor":   "range" | "roundrobin" | "sticky" | "cooperative-sticky",
   "partitions": {"TOPIC": COUNT, ...},
   "members":   [{"member_id":   "ID",            required, unique
                  "instance_id": "ID",            optional: group.instance.id (static members sort first)
                  "rack":        "RACK",          optional
                  "topics":      ["TOPIC", ...],  the subscription
                  "owned":       {"TOPIC": [P, ...]},  optional: what it owns now (sticky)
                  "generation":  N}, ...]}        optional: the generation it owns them at (-1: unknown)
The plan: {"assignment": {"ID": {"TOPIC": [P, ...]}, ...}}.

Unknown fields, a duplicate key, trailing data, counts and partitions out
of range are errors: one line on stderr, exit 2, nothing on stdout. At
most 256 MiB of input and 50,000,000 partitions in all.
`

type assignResponse struct {
	Assignment map[string]spec.Assignment `json:"assignment"`
}

// runAssign is `kgroup assign`: one request on stdin, the plan on stdout.
// Any problem is one line on stderr and exit code 2, with nothing on stdout.
func runAssign(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, assignHelp)
		return 0
	}
	if len(args) > 0 {
		fmt.Fprintln(stderr, "kgroup assign: takes no arguments; it reads the request from stdin")
		return 2
	}
	out, warnings, err := assign(stdin)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "kgroup assign: warning: "+w)
	}
	if err != nil {
		fmt.Fprintln(stderr, "kgroup assign: "+strings.ReplaceAll(err.Error(), "\n", " "))
		return 2
	}
	stdout.Write(out)
	return 0
}

// assign decodes, validates, assigns and encodes.
func assign(r io.Reader) (out []byte, warnings []string, err error) {
	data, err := io.ReadAll(io.LimitReader(r, maxAssignInput+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(data) > maxAssignInput {
		return nil, nil, fmt.Errorf("request larger than %d bytes", maxAssignInput)
	}
	var req assignRequest
	if err := spec.UnmarshalStrict(data, &req); err != nil {
		return nil, nil, fmt.Errorf("bad JSON: %w", err)
	}
	a, err := assignors.ByName(req.Assignor)
	if err != nil {
		return nil, nil, err
	}
	topics, members, err := req.toInput()
	if err != nil {
		return nil, nil, err
	}
	for _, t := range assignors.UnknownTopics(topics, members) {
		warnings = append(warnings, fmt.Sprintf("topic %q is subscribed but absent from partitions; ignored", t))
	}
	plan, err := a.Assign(topics, members)
	if err != nil {
		return nil, warnings, err
	}
	resp := assignResponse{Assignment: map[string]spec.Assignment{}}
	for id, as := range plan {
		as.Normalize()
		resp.Assignment[id] = as
	}
	out, err = json.Marshal(resp)
	if err != nil {
		return nil, warnings, err
	}
	return append(out, '\n'), warnings, nil
}

// toInput checks the request and turns it into assignor input.
func (req assignRequest) toInput() (map[string]int32, []assignors.Member, error) {
	topics := make(map[string]int32, len(req.Partitions))
	var total int64
	for _, t := range spec.SortedKeys(req.Partitions) {
		n := req.Partitions[t]
		switch {
		case t == "":
			return nil, nil, errors.New(`partitions: empty topic name`)
		case n < 0:
			return nil, nil, fmt.Errorf("partitions: topic %q has a negative count %d", t, n)
		case n > maxPartitions:
			return nil, nil, fmt.Errorf("partitions: topic %q has %d partitions, more than %d", t, n, maxPartitions)
		}
		total += n
		if total > maxPartitions {
			return nil, nil, fmt.Errorf("partitions: more than %d in all", maxPartitions)
		}
		topics[t] = int32(n)
	}
	members := make([]assignors.Member, 0, len(req.Members))
	for i, m := range req.Members {
		member, err := m.toMember(topics)
		if err != nil {
			return nil, nil, fmt.Errorf("members[%d]: %w", i, err)
		}
		members = append(members, member)
	}
	return topics, members, assignors.Validate(topics, members)
}

func (m assignMember) toMember(topics map[string]int32) (assignors.Member, error) {
	out := assignors.Member{ID: m.MemberID, InstanceID: m.InstanceID, Rack: m.Rack, Topics: m.Topics, Generation: -1}
	if m.Generation != nil {
		if *m.Generation < -1 || *m.Generation > 1<<31-1 {
			return out, fmt.Errorf("member %q: generation %d out of range", m.MemberID, *m.Generation)
		}
		out.Generation = int32(*m.Generation)
	}
	seen := map[spec.TopicPartition]bool{}
	for _, t := range spec.SortedKeys(m.Owned) {
		n, exists := topics[t]
		for _, p := range m.Owned[t] {
			if p < 0 || (exists && p >= int64(n)) || p > 1<<31-1 {
				return out, fmt.Errorf("member %q owns %s-%d, out of range (topic has %d partitions)", m.MemberID, t, p, n)
			}
			tp := spec.TopicPartition{Topic: t, Partition: int32(p)}
			if seen[tp] {
				return out, fmt.Errorf("member %q lists %s twice in owned", m.MemberID, tp)
			}
			seen[tp] = true
			out.Owned = append(out.Owned, tp)
		}
	}
	return out, nil
}
