package transcript

import (
	"fmt"
	"strconv"
	"strings"
)

// args is one command line: positional words and key=value options. Every
// option must be consumed; one that is not is an error, so typos fail loudly.
type args struct {
	name string
	pos  []string
	opts map[string]string
	used map[string]bool
}

func parseArgs(line string) (*args, error) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	a := &args{name: words[0], opts: map[string]string{}, used: map[string]bool{}}
	for _, w := range words[1:] {
		k, v, ok := strings.Cut(w, "=")
		switch {
		case !ok:
			a.pos = append(a.pos, w)
		case k == "":
			return nil, fmt.Errorf("%q: option with no name", w)
		default:
			if _, dup := a.opts[k]; dup {
				return nil, fmt.Errorf("option %s given twice", k)
			}
			a.opts[k] = v
		}
	}
	return a, nil
}

func (a *args) str(key, def string) string {
	a.used[key] = true
	if v, ok := a.opts[key]; ok {
		return v
	}
	return def
}

func (a *args) int64(key string, def int64) (int64, error) {
	v := a.str(key, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("option %s=%q: want an integer", key, v)
	}
	return n, nil
}

// list reads a comma-separated option.
func (a *args) list(key string) []string {
	v := a.str(key, "")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// onOff reads on/off (or a number, which means on).
func (a *args) onOff(key string, def bool) (bool, error) {
	switch v := a.str(key, ""); v {
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

// done fails if an option was given that the command does not know, or the
// positional count is outside [min, max] (max < 0: no limit).
func (a *args) done(min, max int) error {
	for k := range a.opts {
		if !a.used[k] {
			return fmt.Errorf("%s: unknown option %s", a.name, k)
		}
	}
	if len(a.pos) < min || (max >= 0 && len(a.pos) > max) {
		return fmt.Errorf("%s: wrong number of arguments (%d)", a.name, len(a.pos))
	}
	return nil
}

func parseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}
