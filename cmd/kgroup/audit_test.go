package main

import (
	"strings"
	"testing"
)

// TestAuditFindings replays, as a user would, each bad input an outside
// audit found to panic, hang or run silently wrong: each now gets a clear
// error that states the bound it passed, and changes nothing.
func TestAuditFindings(t *testing.T) {
	for _, c := range []struct {
		line, want string
	}{
		{"delete-topic", "delete-topic: wrong number of arguments (0)"},
		{"remove-static", "remove-static: wrong number of arguments (0)"},
		{"failover now", "failover: wrong number of arguments (1)"},
		{"commit c1 metadata=-1", "want an integer from 0 to 1048576"},
		{"commit c1 metadata=10000000000", "want an integer from 0 to 1048576"},
		{"start coord", `may not be named "coord"`},
		{"start admin", `may not be named "admin"`},
		{"start c1@2", "may not contain"},
		{"advance 1000000000000", "(a day); advance in steps"},
		{"advance-to 9223372036854775807", "(a day) ahead"},
		{"stabilize max=999999999999", "want an integer from 0 to 86400000"},
		{"start c9 session=4294977296", "want an integer from 1 to 2147483647"},
		{"consume c1 999999999999999999", "neither a record count from 1 to 1099511627776"},
		{"create-topic u 100000000", "partition count \"100000000\" is not an integer from 1 to 1048576"},
		{"start c1..c100000", "at most 10000 names"},
	} {
		t.Run(c.line, func(t *testing.T) {
			in := "cluster topics=t:2\nstart c1\nadvance 5000\n" + c.line + "\nstate\n"
			code, out, _ := runCLI(t, in, "replay", "-")
			if code != 1 || !strings.Contains(out, "error: ") || !strings.Contains(out, c.want) {
				t.Fatalf("code %d, want 1 and an error saying %q:\n%s", code, c.want, out)
			}
			if !strings.Contains(out, "group g Stable gen=1") || strings.Contains(out, "loaded by the new coordinator") {
				t.Fatalf("the bad line changed the group:\n%s", out)
			}
		})
	}
	if code, out, _ := runCLI(t, "cluster topics=t:100000000\n", "replay", "-"); code != 1 || !strings.Contains(out, "with at most 1048576 partitions") {
		t.Errorf("a huge topic: code %d\n%s", code, out)
	}
}

// TestSimInputs: kgroup sim reads a scenario from stdin with -, and a
// transcript handed to it by mistake is refused at its first command the
// simulator lacks, not at the transcript's printed output.
func TestSimInputs(t *testing.T) {
	scenario := "cluster topics=t:4\nstart c1..c2\nrun 1m\n"
	if code, out, errs := runCLI(t, scenario, "sim", "-", "-q"); code != 0 || !strings.Contains(out, "rebalances") {
		t.Fatalf("sim - : code %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "cluster topics=t:1\nkill c9\nrun 1s\n", "sim", "-", "-q"); code != 2 || !strings.Contains(errs, "no consumer c9") {
		t.Fatalf("a scenario that kills nobody: code %d, stderr %q", code, errs)
	}
	if code, _, errs := runCLI(t, "cluster topics=t:4 plant=double-assign\nstart c1 c2\nrun 10s\nstart c3\nrun 30s\n", "sim", "-", "-q"); code != 1 || !strings.Contains(errs, "exclusive ownership") {
		t.Fatalf("a planted bug: code %d, stderr %q", code, errs)
	}
	transcript := "cluster topics=t:2\nstart c1\n----\nat 0: c1 sends JoinGroup\n\nadvance 10\n"
	code, _, errs := runCLI(t, transcript, "sim", "-", "-q")
	if code != 2 || !strings.Contains(errs, `-:6: unknown command "advance"`) {
		t.Fatalf("sim of a transcript: code %d, stderr %q", code, errs)
	}
}
