package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAssign(t *testing.T) {
	in := `{"assignor":"range","partitions":{"t1":3,"t2":2},"members":[
		{"member_id":"c1","instance_id":"","rack":"","topics":["t1","t2"],"owned":{"t1":[0]},"generation":1},
		{"member_id":"c2","topics":["t1"]},
		{"member_id":"c3","topics":["t2"]}]}`
	code, out, errs := runCLI(t, in, "assign")
	want := `{"assignment":{"c1":{"t1":[0,1],"t2":[0]},"c2":{"t1":[2]},"c3":{"t2":[1]}}}` + "\n"
	if code != 0 || out != want || errs != "" {
		t.Fatalf("code %d\nstdout %q\nwant   %q\nstderr %q", code, out, want, errs)
	}
	// Every member appears, even with nothing; member order does not matter.
	code, out, _ = runCLI(t, `{"assignor":"roundrobin","partitions":{"t":1},"members":[{"member_id":"b","topics":["t"]},{"member_id":"a","topics":["t"]}]}`, "assign")
	if code != 0 || out != `{"assignment":{"a":{"t":[0]},"b":{}}}`+"\n" {
		t.Fatalf("code %d stdout %q", code, out)
	}
}

// TestAssignServer: the server-side assignors, with racks (KIP-881): a
// match on the rack beats keeping a partition, balance beats both.
func TestAssignServer(t *testing.T) {
	racks := `"partition_racks":{"t":[["r0"],["r1"],["r0","r2"],["r1"]]},`
	members := `"members":[{"member_id":"a","rack":"r0","topics":["t"],"owned":{"t":[1]}},{"member_id":"b","rack":"r1","topics":["t"]}]}`
	for _, c := range []struct{ in, want string }{
		{`{"assignor":"uniform","partitions":{"t":4},` + racks + members, `{"assignment":{"a":{"t":[0,2]},"b":{"t":[1,3]}}}`},
		{`{"assignor":"uniform","partitions":{"t":4},` + members, `{"assignment":{"a":{"t":[0,1]},"b":{"t":[2,3]}}}`},
		{`{"assignor":"server-range","partitions":{"t":4},` + racks + members, `{"assignment":{"a":{"t":[0,1]},"b":{"t":[2,3]}}}`},
	} {
		code, out, errs := runCLI(t, c.in, "assign")
		if code != 0 || out != c.want+"\n" || errs != "" {
			t.Errorf("%s\ncode %d\nstdout %q\nwant   %q\nstderr %q", c.in, code, out, c.want, errs)
		}
	}
	_, _, errs := runCLI(t, `{"assignor":"range","partitions":{"t":1},"partition_racks":{"t":[["r"]]},"members":[]}`, "assign")
	if !strings.Contains(errs, `does not read partition_racks`) {
		t.Errorf("no warning for partition_racks on a client assignor: %q", errs)
	}
	for name, in := range map[string]string{
		"two owners":  `{"assignor":"uniform","partitions":{"t":1},"members":[{"member_id":"a","topics":["t"],"owned":{"t":[0]}},{"member_id":"b","topics":["t"],"owned":{"t":[0]}}]}`,
		"racks short": `{"assignor":"uniform","partitions":{"t":2},"partition_racks":{"t":[["r"]]},"members":[]}`,
		"racks topic": `{"assignor":"uniform","partitions":{"t":1},"partition_racks":{"u":[["r"]]},"members":[]}`,
	} {
		if code, out, errs := runCLI(t, in, "assign"); code != 2 || out != "" || errs == "" {
			t.Errorf("%s: code %d stdout %q stderr %q", name, code, out, errs)
		}
	}
	if _, out, _ := runCLI(t, "", "assign", "-h"); !strings.Contains(out, "partition_racks") || !strings.Contains(out, `"server-range"`) {
		t.Errorf("assign -h does not document the server side:\n%s", out)
	}
}

func TestAssignWarnsAboutUnknownTopics(t *testing.T) {
	code, out, errs := runCLI(t, `{"assignor":"range","partitions":{"t":1},"members":[{"member_id":"a","topics":["t","ghost"]}]}`, "assign")
	if code != 0 || out != `{"assignment":{"a":{"t":[0]}}}`+"\n" || !strings.Contains(errs, `warning: topic "ghost"`) {
		t.Fatalf("code %d stdout %q stderr %q", code, out, errs)
	}
}

func TestAssignRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"malformed":         `{"assignor":"range",`,
		"not an object":     `[1,2,3]`,
		"unknown field":     `{"assignor":"range","partitions":{},"members":[],"extra":1}`,
		"unknown member fd": `{"assignor":"range","partitions":{},"members":[{"member_id":"a","colour":"red"}]}`,
		"unknown assignor":  `{"assignor":"fastest","partitions":{},"members":[]}`,
		"missing assignor":  `{"partitions":{},"members":[]}`,
		"duplicate member":  `{"assignor":"range","partitions":{"t":1},"members":[{"member_id":"a"},{"member_id":"a"}]}`,
		"empty member id":   `{"assignor":"range","partitions":{"t":1},"members":[{"member_id":""}]}`,
		"negative count":    `{"assignor":"range","partitions":{"t":-1},"members":[]}`,
		"huge count":        `{"assignor":"range","partitions":{"t":99999999999},"members":[]}`,
		"owned past int32":  `{"assignor":"range","partitions":{"t":2},"members":[{"member_id":"a","topics":["t"],"owned":{"t":[2147483648]}}]}`,
		"owned negative":    `{"assignor":"range","partitions":{"t":2},"members":[{"member_id":"a","topics":["t"],"owned":{"t":[-1]}}]}`,
		"owned twice":       `{"assignor":"range","partitions":{"t":2},"members":[{"member_id":"a","topics":["t"],"owned":{"t":[1,1]}}]}`,
		"bad generation":    `{"assignor":"range","partitions":{"t":2},"members":[{"member_id":"a","generation":-5}]}`,
		"wrong type":        `{"assignor":"range","partitions":{"t":"six"},"members":[]}`,
		"two values":        `{"assignor":"range","partitions":{},"members":[]} {}`,
		"trailing brace":    `{"assignor":"range","partitions":{},"members":[]} }`,
		"trailing bracket":  `{"assignor":"range","partitions":{},"members":[]}]`,
		"empty":             ``,
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errs := runCLI(t, in, "assign")
			if code != 2 || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
				t.Fatalf("code %d, stdout %q, stderr %q: want exit 2, no output, one line on stderr", code, out, errs)
			}
		})
	}
}

// TestAssignDropsOwnedPartitionsThatNoLongerExist: a member that owns
// t-2 of a topic re-created with two partitions keeps what still exists, as
// Kafka's AbstractStickyAssignor does, and the request is not an error.
func TestAssignDropsOwnedPartitionsThatNoLongerExist(t *testing.T) {
	for _, a := range []string{"range", "sticky", "cooperative-sticky"} {
		in := `{"assignor":"` + a + `","partitions":{"t":2},"members":[{"member_id":"a","topics":["t"],"owned":{"t":[1,2]},"generation":3},{"member_id":"b","topics":["t"]}]}`
		code, out, errs := runCLI(t, in, "assign")
		if code != 0 || !strings.Contains(errs, `member "a" owns t-2, which does not exist`) || !strings.Contains(out, `"assignment"`) {
			t.Errorf("%s: code %d, stdout %q, stderr %q", a, code, out, errs)
		}
	}
}

func TestReplay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.txt")
	os.WriteFile(file, []byte("cluster topics=t:2\nstart c1\nadvance 4000\nstate\n"), 0o644)
	code, out, errs := runCLI(t, "", "replay", file)
	if code != 0 || errs != "" || !strings.Contains(out, "state\n----\ngroup g Stable gen=1") {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	// From stdin, with a command error: the whole run printed, the error as
	// the command's output, and exit 1 so that a CI job replaying a
	// transcript with a typo fails.
	code, out, errs = runCLI(t, "cluster topics=t:1\nstart\nstate\n", "replay", "-")
	if code != 1 || !strings.Contains(out, "error: start: name at least one consumer") || !strings.Contains(out, "state\n----\ngroup") ||
		!strings.Contains(errs, "1 commands failed") {
		t.Fatalf("code %d stderr %q\n%s", code, errs, out)
	}
	if code, _, _ := runCLI(t, "", "replay", "/no/such/file"); code != 2 {
		t.Fatalf("missing file: code %d", code)
	}
	if code, _, _ := runCLI(t, "", "replay"); code != 2 {
		t.Fatalf("no file: code %d", code)
	}
}

func TestSim(t *testing.T) {
	code, out, errs := runCLI(t, "", "sim", "-q")
	if code != 0 || errs != "" {
		t.Fatalf("code %d stderr %q", code, errs)
	}
	for _, want := range []string{"=== variant eager", "=== variant cooperative", "join c13", "rebalances (times in seconds",
		"not progressing", "Kafka client metrics", "ok   eager.last.paused == 48"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("cluster topics=t:1\nrun ten\n"), 0o644)
	if code, _, errs := runCLI(t, "", "sim", bad); code != 2 || !strings.Contains(errs, "bad.txt:2") {
		t.Fatalf("bad scenario: code %d stderr %q", code, errs)
	}
	failing := filepath.Join(dir, "failing.txt")
	os.WriteFile(failing, []byte("cluster topics=t:1\nstart c1\nrun 5s\nassert rebalances > 3\n"), 0o644)
	if code, out, errs := runCLI(t, "", "sim", "-q", failing); code != 1 || !strings.Contains(out, "FAIL rebalances > 3") || !strings.Contains(errs, "seed 1") {
		t.Fatalf("failing assertion: code %d stdout %q stderr %q", code, out, errs)
	}
	for _, args := range [][]string{{"sim", "--check=sometimes"}, {"sim", "a", "b"}, {"sim", "--compare", "a"}, {"sim", "/no/such/file"}, {"sim", "--repeat=5000"}} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: code %d, want 2", args, code)
		}
	}
}

func TestSimOutputs(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.txt")
	os.WriteFile(ok, []byte("cluster topics=t:2\nstart c1 c2\nrun 10s\nproduce t 10/s\nrun 10s\nkill c2\nrun 1m\nassert expiries == 1\n"), 0o644)
	j, c, h := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.csv"), filepath.Join(dir, "out.html")
	if code, _, errs := runCLI(t, "", "sim", "-q", ok, "--json", j, "--csv", c, "--html", h, "--check=full"); code != 0 {
		t.Fatalf("code %d stderr %q", code, errs)
	}
	for file, want := range map[string]string{j: `"rebalances"`, c: "variant,seed,at_ms,lag", h: "var DATA={"} {
		b, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q (%v)", file, want, err)
		}
	}
	if b, _ := os.ReadFile(h); strings.Contains(string(b), "http://") && !strings.Contains(string(b), "http://www.w3.org/2000/svg") {
		t.Error("the HTML page refers to the network")
	}
	if code, out, _ := runCLI(t, "", "sim", "-q", "--compare", ok, ok); code != 0 || !strings.Contains(out, " vs ") {
		t.Fatalf("compare: code %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	if code, _, _ := runCLI(t, ""); code != 2 {
		t.Fatal("no command should be a usage error")
	}
	if code, _, errs := runCLI(t, "", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("code %d %q", code, errs)
	}
}

func TestExplore(t *testing.T) {
	code, out, errs := runCLI(t, "", "explore", "-stable", "-perturbations", "0", "-quiet")
	if code != 0 || !strings.Contains(out, "every rule held") || errs != "" {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "explore", "-plant", "double-assign", "-quiet")
	if code != 1 || !strings.Contains(out, "VIOLATION: at 0: exclusive ownership") || !strings.Contains(out, "cluster topics=t:2 initial-delay=0 plant=double-assign manual") {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "explore", "-stable", "-perturbations", "0", "-refine", "-quiet")
	if code != 0 || !strings.Contains(out, "every rule held") {
		t.Fatalf("explore -refine: code %d\nstdout %s\nstderr %s", code, out, errs)
	}
	if code, out, _ = runCLI(t, "", "explore", "-max-states", "10", "-quiet"); code != 3 || !strings.Contains(out, "not exhaustive") {
		t.Fatalf("code %d stdout %s", code, out)
	}
	for _, bad := range [][]string{{"-consumers", "0"}, {"-consumers", "99"}, {"-plant", "nope"}, {"-network", "carrier-pigeon"},
		{"-partitions", "-1"}, {"-depth", "-2"}, {"-bogus"}, {"extra"}} {
		if code, _, errs := runCLI(t, "", append([]string{"explore"}, bad...)...); code != 2 || errs == "" {
			t.Errorf("explore %v: code %d, stderr %q", bad, code, errs)
		}
	}
}

func TestCheckHistory(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.jsonl")
	if code, _, errs := runCLI(t, "", "replay", "--history", hist, "../../impl/testdata/crash_three_consumers.txt"); code != 0 {
		t.Fatalf("replay: %d %s", code, errs)
	}
	html := filepath.Join(dir, "h.html")
	code, out, errs := runCLI(t, "", "check", hist, "--html", html, "--quiet")
	if b, err := os.ReadFile(html); code != 0 || !strings.HasPrefix(out, "ok: ") || errs != "" || err != nil || !strings.Contains(string(b), "<html") {
		t.Fatalf("code %d stdout %q stderr %q html %v", code, out, errs, err)
	}
	commit := `{"v":1,"client":"a","call":1,"return":2,"op":"commit","input":{"group":"g","generation":1,"member":"a-1","offsets":[{"topic":"t","partition":0,"offset":7}]},"output":{"partitions":[{"topic":"t","partition":0,"error":"NONE"}]}}`
	stale := `{"v":1,"client":"b","call":3,"return":4,"op":"fetch","input":{"group":"g","partitions":[{"topic":"t","partition":0}]},"output":{"error":"NONE","partitions":[{"topic":"t","partition":0,"offset":5}]}}`
	if code, out, _ := runCLI(t, commit+"\n"+stale+"\n", "check", "-", "--quiet"); code != 1 || !strings.Contains(out, "illegal: the operations on g/t-0") {
		t.Fatalf("stale fetch: code %d stdout %q", code, out)
	}
	if code, out, _ := runCLI(t, commit+"\n", "check", "--timeout", "1ns", "-", "--quiet"); code != 3 || !strings.HasPrefix(out, "unknown") {
		t.Fatalf("timeout: code %d stdout %q", code, out)
	}
	for _, bad := range [][]string{{"check"}, {"check", "a", "b"}, {"check", "--bogus", "-"}, {"check", "/no/such/file"}} {
		if code, out, _ := runCLI(t, "", bad...); code != 2 || out != "" {
			t.Errorf("%v: code %d stdout %q", bad, code, out)
		}
	}
	if code, out, errs := runCLI(t, `{"v":1}`+"\n", "check", "-"); code != 2 || out != "" || !strings.Contains(errs, "history line 1") {
		t.Errorf("malformed: code %d stdout %q stderr %q", code, out, errs)
	}
}

// TestSimHistory: the simulator's runs (the demo's two variants) give a
// history that checks out.
func TestSimHistory(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "sim.jsonl")
	if code, _, errs := runCLI(t, "", "sim", "-q", "--history", hist); code != 0 {
		t.Fatalf("sim: %d %s", code, errs)
	}
	if code, out, _ := runCLI(t, "", "check", "--quiet", hist); code != 0 || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("check: %d %s", code, out)
	}
}
