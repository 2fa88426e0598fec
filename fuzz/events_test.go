package fuzz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kgroup/kgroup/impl/cluster"
	"github.com/kgroup/kgroup/internal/fuzzcorpus"
	"github.com/kgroup/kgroup/spec"
)

// FuzzEvents: any bytes as the JSON of a message, an event and an action,
// and as a transcript's action line. Whatever one of them accepts writes
// back to a form that reads as the same value (its text form unchanged), and
// writing that again gives the same bytes; what it refuses is an error that
// says something.
func FuzzEvents(f *testing.F) {
	cl := fuzzCluster(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, err := range []error{
			roundTrip[spec.Message](b, func(m spec.Message) string { return m.String() }),
			roundTrip[spec.Event](b, func(e spec.Event) string { return e.String() }),
			roundTrip[cluster.Action](b, func(a cluster.Action) string { return a.String() }),
			actionLine(cl, string(b)),
		} {
			if err != nil {
				t.Fatalf("%v\ninput %q", err, b)
			}
		}
	})
}

// fuzzCluster is the cluster action lines parse against: two consumers,
// one of them crashed (restart reads its configuration).
func fuzzCluster(tb testing.TB) *cluster.Cluster {
	cfg, err := cluster.ParseConfig("cluster topics=t:4,u:2 manual")
	if err != nil {
		tb.Fatal(err)
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range []string{"start c1 c2 instance=i-1", "crash c2"} {
		acts, err := cluster.ParseActions(line, cl)
		if err != nil {
			tb.Fatal(err)
		}
		for _, a := range acts {
			if err := cl.Apply(a); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return cl
}

func roundTrip[T any](b []byte, text func(T) string) error {
	var v T
	if err := spec.UnmarshalStrict(b, &v); err != nil {
		if err.Error() == "" {
			return fmt.Errorf("%T: an error that says nothing", v)
		}
		return nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%T %s: accepted, but does not write as JSON: %w", v, text(v), err)
	}
	var back T
	if err := spec.UnmarshalStrict(enc, &back); err != nil {
		return fmt.Errorf("%T: written as %s, which does not read back: %w", v, enc, err)
	}
	if text(back) != text(v) {
		return fmt.Errorf("%T: text %q read back as %q", v, text(v), text(back))
	}
	again, err := json.Marshal(back)
	if err != nil || !bytes.Equal(enc, again) {
		return fmt.Errorf("%T: written twice, %s then %s (%v)", v, enc, again, err)
	}
	return nil
}

// actionLine parses line as transcript actions; each one's text form must
// parse to an action with the same JSON.
func actionLine(cl *cluster.Cluster, line string) error {
	acts, err := cluster.ParseActions(line, cl)
	if err != nil {
		return nil
	}
	for _, a := range acts {
		back, err := cluster.ParseAction(a.String(), cl)
		if err != nil {
			return fmt.Errorf("%q printed as %q, which does not parse: %w", line, a.String(), err)
		}
		want, _ := json.Marshal(a)
		got, _ := json.Marshal(back)
		if d := cmp.Diff(string(want), string(got)); d != "" {
			return fmt.Errorf("%q printed as %q parses to another action:\n%s", line, a.String(), d)
		}
	}
	return nil
}

// TestEventsCorpus keeps FuzzEvents' seeds committed: the JSON of every
// event, message and action of a seeded run of the random model, and the
// text of its actions.
func TestEventsCorpus(t *testing.T) {
	m, err := runChoices(mustSeed(t, 3), 0)
	if err != nil {
		t.Fatal(err)
	}
	var seeds [][]byte
	seen := map[string]bool{}
	add := func(kind string, b []byte) {
		if !seen[kind] && len(seeds) < 400 {
			seen[kind] = true
			seeds = append(seeds, b)
		}
	}
	for _, e := range m.Cl.TakeEvents() {
		b, _ := json.Marshal(e)
		add("event "+string(e.Kind), b)
		if e.Msg != nil {
			mb, _ := json.Marshal(*e.Msg)
			add(fmt.Sprintf("message %T", e.Msg.Body), mb)
		}
	}
	for _, a := range m.Cl.Actions() {
		b, _ := json.Marshal(a)
		add("action "+string(a.Kind), b)
		add("line "+string(a.Kind), []byte(a.String()))
	}
	fuzzcorpus.Seeds(t, "FuzzEvents", seeds)
}
