package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

// maxAssignInput bounds what `kgroup assign` reads, so a hostile or
// mistaken request gets an error instead of exhausting memory (the
// request's own bounds are assignors.ParseRequest's).
const maxAssignInput = 256 << 20

const assignHelp = `usage: kgroup assign < request.json

Reads one assignment request (JSON) on stdin and writes the plan on stdout:
every member present, partitions ascending, keys sorted, so that any
implementation can compare its assignor with kgroup's byte for byte.

The request:
  {"assignor":   "range" | "roundrobin" | "sticky" | "cooperative-sticky"   client side
                 | "uniform" | "server-range",                              server side (KIP-848)
   "partitions": {"TOPIC": COUNT, ...},
   "partition_racks": {"TOPIC": [["RACK", ...], ...]},  optional: per partition, the racks of
                  its replicas (one list per partition); read by uniform only (KIP-881)
   "members":   [{"member_id":   "ID",            required, unique
                  "instance_id": "ID",            optional: group.instance.id (static members sort first)
                  "rack":        "RACK",          optional: uniform prefers partitions with a replica here
                  "topics":      ["TOPIC", ...],  the subscription
                  "owned":       {"TOPIC": [P, ...]},  optional: what it owns now (sticky); for the
                                                   server side, its current target assignment
                  "generation":  N}, ...]}        optional: the generation it owns them at (-1: unknown)
The plan: {"assignment": {"ID": {"TOPIC": [P, ...]}, ...}}.

uniform is Kafka's UniformAssignor computed exactly: the most balanced
loads, then (when members have racks and the partition racks differ, as
KIP-881 decides) the most partitions on a rack holding a replica, then the
fewest partitions moved off their current owner. server-range is Kafka's
server-side RangeAssignor (not sticky, not rack-aware). For both, a
partition in two members' "owned" is an error, and "generation" is ignored.

An owned partition past its topic's count (the topic was re-created
smaller) is dropped with a warning on stderr, as Kafka's assignors drop it.
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
	in, err := assignors.ParseRequest(data)
	if err != nil {
		return nil, nil, err
	}
	warnings = in.Warnings
	plan, err := in.Assign()
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
