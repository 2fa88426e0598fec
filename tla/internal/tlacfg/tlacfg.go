// Package tlacfg reads the CONSTANTS section of a TLC configuration file,
// for the Go twins of kgroup's TLA+ specifications (tla/model,
// tla/cgmodel): every constant of a known list exactly once, its value as
// written; what the twin makes of the values is its own.
package tlacfg

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Constants reads the constants of r, each name of names exactly once; a
// constant outside the list, outside CONSTANTS, or given twice is an error.
func Constants(r io.Reader, names []string) (map[string]string, error) {
	vals := map[string]string{}
	sc := bufio.NewScanner(r)
	inConst := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, `\*`); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case line == "CONSTANTS" || line == "CONSTANT":
			inConst = true
			continue
		case !strings.Contains(line, "="):
			inConst = false
			continue
		case !inConst:
			return nil, fmt.Errorf("line %d: %q outside CONSTANTS", n, line)
		}
		name, v, _ := strings.Cut(line, "=")
		name, v = strings.TrimSpace(name), strings.TrimSpace(v)
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("line %d: unknown constant %q", n, name)
		}
		if _, dup := vals[name]; dup {
			return nil, fmt.Errorf("line %d: %s given twice", n, name)
		}
		vals[name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, ok := vals[name]; !ok {
			return nil, fmt.Errorf("constant %s is not given", name)
		}
	}
	return vals, nil
}
