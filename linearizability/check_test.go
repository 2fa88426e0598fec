package linearizability

import (
	"strings"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// parse reads history lines.
func parse(t *testing.T, lines ...string) []Op {
	t.Helper()
	ops, err := Read(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

const (
	commit5  = `{"v":1,"client":"a","call":1,"return":2,"op":"commit","input":{"group":"g","generation":1,"member":"a-1","offsets":[{"topic":"t","partition":0,"offset":5}]},"output":{"partitions":[{"topic":"t","partition":0,"error":"NONE"}]}}`
	commit7  = `{"v":1,"client":"a","call":3,"return":4,"op":"commit","input":{"group":"g","generation":1,"member":"a-1","offsets":[{"topic":"t","partition":0,"offset":7}]},"output":{"partitions":[{"topic":"t","partition":0,"error":"NONE"}]}}`
	fetch7   = `{"v":1,"client":"b","call":5,"return":6,"op":"fetch","input":{"group":"g","partitions":[{"topic":"t","partition":0}]},"output":{"error":"NONE","partitions":[{"topic":"t","partition":0,"offset":7}]}}`
	fetch5   = `{"v":1,"client":"b","call":5,"return":6,"op":"fetch","input":{"group":"g","partitions":[{"topic":"t","partition":0}]},"output":{"error":"NONE","partitions":[{"topic":"t","partition":0,"offset":5}]}}`
	sync2    = `{"v":1,"client":"b","call":5,"return":6,"op":"sync","input":{"group":"g","generation":2,"member":"b-2"},"output":{"error":"NONE"}}`
	lateGen1 = `{"v":1,"client":"a","call":7,"return":8,"op":"commit","input":{"group":"g","generation":1,"member":"a-1","offsets":[{"topic":"t","partition":0,"offset":9}]},"output":{"partitions":[{"topic":"t","partition":0,"error":"NONE"}]}}`
	unknown9 = `{"v":1,"client":"a","call":3,"op":"commit","input":{"group":"g","generation":1,"member":"a-1","offsets":[{"topic":"t","partition":0,"offset":9}]}}`
	fetch9   = `{"v":1,"client":"b","call":10,"return":11,"op":"fetch","input":{"group":"g","partitions":[{"topic":"t","partition":0}]},"output":{"error":"NONE","partitions":[{"topic":"t","partition":0,"offset":9}]}}`
)

func verdict(t *testing.T, lines ...string) Verdict {
	t.Helper()
	return Check(parse(t, lines...), Options{}).Verdict
}

func TestModel(t *testing.T) {
	for _, c := range []struct {
		name  string
		lines []string
		want  Verdict
	}{
		{"latest commit fetched", []string{commit5, commit7, fetch7}, Ok},
		{"stale fetch", []string{commit5, commit7, fetch5}, Illegal},
		{"older generation accepted after a sync showed a newer one", []string{commit5, sync2, lateGen1}, Illegal},
		{"older generation before the sync", []string{strings.Replace(lateGen1, `"call":7,"return":8`, `"call":1,"return":2`, 1), sync2}, Ok},
		{"older generation overlapping the sync", []string{strings.Replace(lateGen1, `"call":7,"return":8`, `"call":4,"return":8`, 1), sync2}, Ok},
		{"an unanswered commit may have taken effect", []string{commit5, unknown9, fetch9}, Ok},
		{"or not", []string{commit5, unknown9, strings.Replace(fetch5, `"call":5,"return":6`, `"call":10,"return":11`, 1)}, Ok},
		{"but not both", []string{commit5, unknown9, fetch9, strings.Replace(fetch5, `"call":5,"return":6`, `"call":12,"return":13`, 1)}, Illegal},
		{"nothing committed reads -1", []string{strings.Replace(fetch5, `"offset":5`, `"offset":-1`, 1)}, Ok},
		{"a rejected commit changes nothing", []string{commit5, strings.Replace(commit7, `"error":"NONE"`, `"error":"ILLEGAL_GENERATION"`, 1), fetch5}, Ok},
	} {
		if got := verdict(t, c.lines...); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestReadIsStrict(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`{"v":2,"client":"a","call":1,"op":"sync","input":{"group":"g"}}`, "version 2"},
		{`{"v":1,"client":"a","call":5,"return":4,"op":"sync","input":{"group":"g"},"output":{"error":"NONE"}}`, "before its call"},
		{`{"v":1,"client":"a","call":-1,"op":"sync","input":{"group":"g"}}`, "negative"},
		{`{"v":1,"client":"a","call":1,"op":"sync","input":{"group":"g"},"colour":"red"}`, "unknown field"},
		{`{"v":1,"client":"a","call":1,"op":"produce","input":{"group":"g"}}`, `op "produce"`},
		{`{"v":1,"client":"a","call":1,"return":2,"op":"sync","input":{"group":"g"}}`, "output comes with a return"},
		{`{"v":1,"client":"a","call":1,"op":"commit","input":{"group":"g"}}`, "input.offsets"},
		{`{"v":1,"client":"a","call":1,"op":"sync","input":{"group":""}}`, "input.group"},
		{`{"v":1,"client":"a","call":1,"return":2,"op":"sync","input":{"group":"g"},"output":{"error":"NOT_AN_ERROR"}}`, "unknown Kafka error code"},
		{`{"v":1,"client":"a","call":1,"op":"sync","input":{"group":"g"}} }`, "trailing data"},
	} {
		_, err := Read(strings.NewReader(commit5 + "\n\n" + c.line + "\n"))
		if err == nil || !strings.Contains(err.Error(), "history line 3") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want line 3 and %q", c.line, err, c.want)
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	ops := parse(t, commit5, unknown9, fetch7, sync2)
	var b strings.Builder
	if err := Write(&b, ops); err != nil {
		t.Fatal(err)
	}
	back, err := Read(strings.NewReader(b.String()))
	if err != nil || len(back) != len(ops) {
		t.Fatalf("%v: %d ops", err, len(back))
	}
	var again strings.Builder
	Write(&again, back)
	if again.String() != b.String() {
		t.Fatalf("written twice differently:\n%s\n%s", b.String(), again.String())
	}
	_ = spec.None
}
