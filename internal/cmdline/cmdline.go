// Package cmdline reads kgroup's text lines: a command word, positional
// words and key=value options, every option accounted for. Transcripts,
// scenario files and the cluster's actions share it.
package cmdline

import (
	"fmt"
	"strconv"
	"strings"
)

// Args is one text line: a command word, positional words and key=value
// options. Every option must be consumed; one that is not is an error
// naming the first such option in the line, so typos fail loudly and always
// the same way.
type Args struct {
	Name string
	Pos  []string
	keys []string // option names in the order given
	opts map[string]string
	used map[string]bool
}

// Parse splits a line into its command word, positional words and options.
func Parse(line string) (*Args, error) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	a := &Args{Name: words[0], opts: map[string]string{}, used: map[string]bool{}}
	for _, w := range words[1:] {
		k, v, ok := strings.Cut(w, "=")
		switch {
		case !ok:
			a.Pos = append(a.Pos, w)
		case k == "":
			return nil, fmt.Errorf("%q: option with no name", w)
		default:
			if _, dup := a.opts[k]; dup {
				return nil, fmt.Errorf("option %s given twice", k)
			}
			a.opts[k] = v
			a.keys = append(a.keys, k)
		}
	}
	return a, nil
}

// Has reports whether the option was given.
func (a *Args) Has(key string) bool { _, ok := a.opts[key]; return ok }

// Keys lists the options given, in order.
func (a *Args) Keys() []string { return a.keys }

// Str reads an option, def when absent.
func (a *Args) Str(key, def string) string {
	a.used[key] = true
	if v, ok := a.opts[key]; ok {
		return v
	}
	return def
}

// Int64 reads an integer option in [lo, hi], def when absent.
func (a *Args) Int64(key string, def, lo, hi int64) (int64, error) {
	v, ok := a.opts[key]
	a.used[key] = true
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("option %s=%q: want an integer from %d to %d", key, v, lo, hi)
	}
	return n, nil
}

// List reads a comma-separated option.
func (a *Args) List(key string) []string {
	v := a.Str(key, "")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// OnOff reads on/off.
func (a *Args) OnOff(key string, def bool) (bool, error) {
	switch v := a.Str(key, ""); v {
	case "":
		return def, nil
	case "on", "true":
		return true, nil
	case "off", "false":
		return false, nil
	default:
		return false, fmt.Errorf("option %s=%q: want on or off", key, v)
	}
}

// Count fails if the number of positional words is outside [min, max]
// (max < 0: no limit). Call it before reading any of them.
func (a *Args) Count(min, max int) error {
	if len(a.Pos) < min || (max >= 0 && len(a.Pos) > max) {
		return fmt.Errorf("%s: wrong number of arguments (%d)", a.Name, len(a.Pos))
	}
	return nil
}

// Done fails if an option was given that the command did not read.
func (a *Args) Done() error {
	for _, k := range a.keys {
		if !a.used[k] {
			return fmt.Errorf("%s: unknown option %s", a.Name, k)
		}
	}
	return nil
}

// Int reads an integer in [lo, hi].
func Int(s string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not an integer from %d to %d", s, lo, hi)
	}
	return n, nil
}
