package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kgroup/kgroup/internal/cmdline"
)

// Scenario is a parsed scenario file: the commands to run, in order, and
// what varies between runs and what must hold after them.
type Scenario struct {
	Name     string
	Seed     uint64
	Repeat   int       // runs per variant, seeds Seed, Seed+1, ...
	Variants []Variant // at least one
	Asserts  []Assert
	lines    []line
	// endMs is when the last run command ends: the simulated length.
	endMs int64
}

// Variant is one configuration of a scenario: settings that override the
// scenario's own (see overrideKeys).
type Variant struct {
	Name string
	Set  map[string]string
	keys []string // Set's keys in the order given
}

type line struct {
	n    int
	text string
	args *cmdline.Args
}

// Limits on what one scenario may ask for.
const (
	maxLines    = 100000
	maxRepeat   = 1000
	maxVariants = 64
	maxLineLen  = 1 << 16
)

// overrideKeys are the settings a variant (variant, vary, sweep) may set;
// each replaces the scenario's value everywhere it appears.
var overrideKeys = []string{
	// consumers (start's options)
	"assignor", "static", "session", "heartbeat", "poll", "auto-commit", "commit-on-revoke",
	"request-timeout", "retry-backoff", "metadata-age", "protocol", "remote-assignor",
	// the application (app's options)
	"record", "batch", "max-poll-records", "revoke", "assign", "startup", "shutdown", "fetch-wait",
	// the network (net's options)
	"rtt", "loss",
	// the coordinator (cluster's options)
	"initial-delay", "consumer-session", "consumer-heartbeat",
	// the workload: every produce rate is multiplied by this
	"rate-scale",
}

// Parse reads a scenario. Errors name the line.
func Parse(name string, r io.Reader) (*Scenario, error) {
	sc := &Scenario{Name: name, Seed: 1, Repeat: 1}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), maxLineLen)
	var varies []vary
	inOutput := false // a transcript's output section, "----" to a blank line: skipped
	for n := 1; s.Scan(); n++ {
		text := strings.TrimSpace(s.Text())
		switch {
		case inOutput:
			inOutput = text != ""
			continue
		case text == "----":
			inOutput = true
			continue
		}
		if i := strings.Index(text, " #"); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if n > maxLines {
			return nil, fmt.Errorf("%s: more than %d lines", name, maxLines)
		}
		if w, rest, _ := strings.Cut(text, " "); w == "assert" {
			as, err := parseAssert(strings.TrimSpace(rest))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %s: %w", name, n, text, err)
			}
			sc.Asserts = append(sc.Asserts, as)
			continue
		}
		a, err := cmdline.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		v, err := sc.meta(a)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", name, n, text, err)
		}
		if v != nil {
			varies = append(varies, *v)
			continue
		}
		if !isMeta(a.Name) {
			sc.lines = append(sc.lines, line{n: n, text: text, args: a})
		}
	}
	if err := s.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("%s: a line longer than %d bytes", name, maxLineLen)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sc, sc.finish(varies)
}

func isMeta(word string) bool {
	return slices.Contains([]string{"seed", "repeat", "variant", "vary", "sweep", "assert"}, word)
}

// vary is one vary or sweep line: a setting and its values.
type vary struct {
	key    string
	values []string
}

// meta reads the lines that are about runs rather than in them.
func (sc *Scenario) meta(a *cmdline.Args) (*vary, error) {
	switch a.Name {
	case "seed":
		if err := a.Count(1, 1); err != nil {
			return nil, err
		}
		n, err := strconv.ParseUint(a.Pos[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seed: %q is not a non-negative integer", a.Pos[0])
		}
		sc.Seed = n
	case "repeat":
		if err := a.Count(1, 1); err != nil {
			return nil, err
		}
		n, err := cmdline.Int(a.Pos[0], 1, maxRepeat)
		if err != nil {
			return nil, fmt.Errorf("repeat: %w", err)
		}
		sc.Repeat = int(n)
	case "variant":
		return nil, sc.variant(a)
	case "vary", "sweep":
		keys := a.Keys()
		if len(a.Pos) != 0 || len(keys) != 1 {
			return nil, fmt.Errorf("%s: want one KEY=V1,V2,...", a.Name)
		}
		k := keys[0]
		vals := a.List(k)
		if err := checkOverride(k); err != nil {
			return nil, err
		}
		if len(vals) < 1 || len(vals) > maxVariants {
			return nil, fmt.Errorf("%s: want 1 to %d values", a.Name, maxVariants)
		}
		return &vary{key: k, values: vals}, nil
	}
	return nil, nil
}

func (sc *Scenario) variant(a *cmdline.Args) error {
	if err := a.Count(1, 1); err != nil {
		return fmt.Errorf("variant: want a NAME and KEY=VALUE settings")
	}
	v := Variant{Name: a.Pos[0], Set: map[string]string{}}
	if err := checkVariantName(v.Name); err != nil {
		return err
	}
	for _, k := range a.Keys() {
		if err := checkOverride(k); err != nil {
			return err
		}
		v.Set[k] = a.Str(k, "")
		v.keys = append(v.keys, k)
	}
	for _, o := range sc.Variants {
		if o.Name == v.Name {
			return fmt.Errorf("variant %s defined twice", v.Name)
		}
	}
	sc.Variants = append(sc.Variants, v)
	return nil
}

func checkVariantName(s string) error {
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("variant name %q: use letters, digits, - and _", s)
		}
	}
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return fmt.Errorf("variant name %q must start with a letter", s)
	}
	return nil
}

func checkOverride(k string) error {
	if !slices.Contains(overrideKeys, k) {
		return fmt.Errorf("%q cannot vary; these can: %s", k, strings.Join(overrideKeys, ", "))
	}
	return nil
}

// finish builds the variants (vary and sweep lines multiply) and checks
// the commands' shape, so that a bad scenario fails before anything runs.
func (sc *Scenario) finish(varies []vary) error {
	if len(varies) > 0 && len(sc.Variants) > 0 {
		return fmt.Errorf("%s: use variant lines or vary/sweep lines, not both", sc.Name)
	}
	if len(varies) > 0 {
		sc.Variants = []Variant{{Set: map[string]string{}}}
		for _, v := range varies {
			var next []Variant
			for _, base := range sc.Variants {
				for _, val := range v.values {
					n := Variant{Name: joinName(base.Name, v.key+"-"+val), Set: map[string]string{}, keys: append(slices.Clone(base.keys), v.key)}
					for k, x := range base.Set {
						n.Set[k] = x
					}
					n.Set[v.key] = val
					next = append(next, n)
				}
			}
			if len(next) > maxVariants {
				return fmt.Errorf("%s: the vary and sweep lines make %d variants, more than %d", sc.Name, len(next), maxVariants)
			}
			sc.Variants = next
		}
	}
	if len(sc.Variants) == 0 {
		sc.Variants = []Variant{{Name: "run", Set: map[string]string{}}}
	}
	return sc.checkLines()
}

func joinName(a, b string) string {
	if a == "" {
		return b
	}
	return a + "_" + b
}

// checkLines checks that the scenario starts with a cluster line, that every
// command is known and that run lines add up to a bounded length.
func (sc *Scenario) checkLines() error {
	if len(sc.lines) == 0 || sc.lines[0].args.Name != "cluster" {
		return fmt.Errorf("%s: the first command must be a cluster line (cluster topics=T:N)", sc.Name)
	}
	for _, l := range sc.lines {
		c, ok := commands[l.args.Name]
		switch {
		case !ok:
			return fmt.Errorf("%s:%d: unknown command %q (kgroup sim -h lists them)", sc.Name, l.n, l.args.Name)
		case l.args.Name == "cluster" && l.n != sc.lines[0].n:
			return fmt.Errorf("%s:%d: only one cluster line", sc.Name, l.n)
		case c.check != nil:
			if err := c.check(l.args); err != nil {
				return fmt.Errorf("%s:%d: %s: %w", sc.Name, l.n, l.text, err)
			}
		}
		if l.args.Name == "run" {
			d, _ := parseMs(l.args.Pos[0])
			sc.endMs += d
			if sc.endMs > maxDurationMs {
				return fmt.Errorf("%s:%d: the runs add up to more than a simulated week", sc.Name, l.n)
			}
		}
	}
	for _, a := range sc.Asserts {
		if err := a.checkNames(sc); err != nil {
			return fmt.Errorf("%s: assert %s: %w", sc.Name, a.text, err)
		}
	}
	return nil
}

// DurationMs is the simulated length of one run.
func (sc *Scenario) DurationMs() int64 { return sc.endMs }
