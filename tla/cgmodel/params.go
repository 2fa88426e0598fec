package cgmodel

import (
	"github.com/kgroup/kgroup/tla/internal/tlacfg"

	"fmt"
	"io"
	"os"
	"strconv"
)

// Bug is a planted bug (TestPlantedBugsAreCaught).
type Bug uint

const (
	// BugAssignUnreleased: reconciliation adds partitions another member
	// still holds (mutant.CGAssignUnreleased).
	BugAssignUnreleased Bug = 1 << iota
	// BugSkipEpochCheck: any epoch is accepted (mutant.CGSkipEpochCheck).
	BugSkipEpochCheck
	// BugEpochGoesBack: a member leaving UNRELEASED_PARTITIONS goes back an
	// epoch (mutant.CGEpochGoesBack).
	BugEpochGoesBack
	// BugRevokeUnacked: a member in UNREVOKED_PARTITIONS moves on before
	// its consumer reported the revocation done.
	BugRevokeUnacked
	// BugKeepOnFence: a fenced consumer keeps its partitions.
	BugKeepOnFence
)

// Bugs is a set of planted bugs.
type Bugs uint

// Has reports whether b is planted.
func (s Bugs) Has(b Bug) bool { return uint(s)&uint(b) != 0 }

// Params are the constants of ConsumerGroup.tla, and the planted bugs.
type Params struct {
	NumConsumers, NumPartitions int
	Perturbations               int
	AllowCrash, AllowClose      bool
	Drops, Expiries, MaxEpoch   int
	Bugs                        Bugs
}

// Validate rejects bounds the twin cannot represent.
func (p *Params) Validate() error {
	switch {
	case p.NumConsumers < 1 || p.NumConsumers > 8:
		return fmt.Errorf("cgmodel: NumConsumers = %d: want 1 to 8", p.NumConsumers)
	case p.NumPartitions < 1 || p.NumPartitions > 16:
		return fmt.Errorf("cgmodel: NumPartitions = %d: want 1 to 16", p.NumPartitions)
	case p.Drops > 100 || p.Perturbations > 100 || p.Expiries > 100:
		return fmt.Errorf("cgmodel: budgets over 100")
	}
	return nil
}

var constNames = []string{"NumConsumers", "NumPartitions", "Perturbations", "AllowCrash", "AllowClose",
	"Drops", "Expiries", "MaxEpoch"}

// ReadConfig reads a TLC configuration of ConsumerGroup.tla.
func ReadConfig(path string) (*Params, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ParseConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParseConfig reads the CONSTANTS section of a configuration: every
// constant exactly once, numbers and booleans.
func ParseConfig(r io.Reader) (*Params, error) {
	vals, err := tlacfg.Constants(r, constNames)
	if err != nil {
		return nil, err
	}
	var bad error
	num := func(name string) int {
		v, ok := vals[name]
		n, err := strconv.Atoi(v)
		if (!ok || err != nil || n < 0 || n > 1000) && bad == nil {
			bad = fmt.Errorf("constant %s = %q: want a number in [0, 1000]", name, v)
		}
		return n
	}
	boolean := func(name string) bool {
		switch v := vals[name]; v {
		case "TRUE":
			return true
		case "FALSE":
			return false
		default:
			if bad == nil {
				bad = fmt.Errorf("constant %s = %q: want TRUE or FALSE", name, v)
			}
		}
		return false
	}
	p := &Params{NumConsumers: num("NumConsumers"), NumPartitions: num("NumPartitions"),
		Perturbations: num("Perturbations"), AllowCrash: boolean("AllowCrash"), AllowClose: boolean("AllowClose"),
		Drops: num("Drops"), Expiries: num("Expiries"), MaxEpoch: num("MaxEpoch")}
	if bad != nil {
		return nil, bad
	}
	return p, p.Validate()
}
