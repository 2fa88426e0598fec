package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Durations and distributions of the scenario language. Every time is in
// milliseconds, a float64 inside the model and an int64 on the cluster's
// clock.

// maxDurationMs bounds every duration read: a simulated week.
const maxDurationMs = 7 * 24 * 3600 * 1000

// parseDuration reads "250", "250ms", "1.5s", "2m", "1h", "300us".
func parseDuration(s string) (float64, error) {
	num, unit := splitUnit(s)
	v, err := strconv.ParseFloat(num, 64)
	mult, ok := map[string]float64{"": 1, "ms": 1, "us": 0.001, "s": 1000, "m": 60000, "min": 60000, "h": 3600000}[unit]
	if err != nil || !ok || math.IsNaN(v) || v < 0 || v*mult > maxDurationMs {
		return 0, fmt.Errorf("%q is not a duration (like 250ms, 1.5s, 2m, 1h; at most a week)", s)
	}
	return v * mult, nil
}

// parseMs is parseDuration rounded to whole milliseconds.
func parseMs(s string) (int64, error) {
	v, err := parseDuration(s)
	return int64(math.Round(v)), err
}

func splitUnit(s string) (num, unit string) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' && r != 'e' })
	if i < 0 {
		return s, ""
	}
	// an exponent "e" directly followed by a unit letter is a unit ("1e3ms" is not supported)
	return s[:i], s[i:]
}

// formatMs writes a duration for people: 850ms, 2.5s, 3m20s, 1h02m.
func formatMs(ms float64) string {
	switch {
	case ms < 0:
		return "-" + formatMs(-ms)
	case ms < 1000:
		return strconv.FormatFloat(math.Round(ms), 'f', -1, 64) + "ms"
	case ms < 60000:
		return strconv.FormatFloat(math.Round(ms/10)/100, 'f', -1, 64) + "s"
	case ms < 3600000:
		m := int(ms / 60000)
		return fmt.Sprintf("%dm%02ds", m, int(ms/1000)-60*m)
	}
	h := int(ms / 3600000)
	return fmt.Sprintf("%dh%02dm", h, int(ms/60000)-60*h)
}

// distKind names a distribution's shape.
type distKind uint8

const (
	distFixed distKind = iota
	distUniform
	distNormal
	distLognormal
	distExp
)

// Dist is a distribution of durations (ms): fixed(V) (or just V),
// uniform(LO,HI), normal(MEAN,SD) truncated at 0, lognormal(MEDIAN,SIGMA)
// with SIGMA the standard deviation of the logarithm, exp(MEAN).
type Dist struct {
	kind distKind
	a, b float64
}

// Fixed is the distribution that always gives v.
func Fixed(v float64) Dist { return Dist{kind: distFixed, a: v} }

// parseDist reads a distribution; a bare duration is fixed.
func parseDist(s string) (Dist, error) {
	name, args, ok := strings.Cut(s, "(")
	if !ok {
		v, err := parseDuration(s)
		return Fixed(v), err
	}
	if !strings.HasSuffix(args, ")") {
		return Dist{}, fmt.Errorf("%q: missing )", s)
	}
	parts := strings.Split(strings.TrimSuffix(args, ")"), ",")
	kind, n := map[string]distKind{"fixed": distFixed, "uniform": distUniform, "normal": distNormal,
		"lognormal": distLognormal, "exp": distExp}[name], map[string]int{"fixed": 1, "uniform": 2, "normal": 2, "lognormal": 2, "exp": 1}[name]
	if n == 0 || len(parts) != n {
		return Dist{}, fmt.Errorf("%q: want fixed(V), uniform(LO,HI), normal(MEAN,SD), lognormal(MEDIAN,SIGMA) or exp(MEAN)", s)
	}
	d := Dist{kind: kind}
	var err error
	if d.a, err = parseDuration(parts[0]); err != nil {
		return Dist{}, err
	}
	if n == 2 {
		if kind == distLognormal {
			d.b, err = strconv.ParseFloat(parts[1], 64)
			if err != nil || d.b < 0 || d.b > 5 {
				return Dist{}, fmt.Errorf("%q: sigma %q is not a number from 0 to 5", s, parts[1])
			}
		} else if d.b, err = parseDuration(parts[1]); err != nil {
			return Dist{}, err
		}
	}
	if kind == distUniform && d.b < d.a {
		return Dist{}, fmt.Errorf("%q: the upper bound is below the lower", s)
	}
	return d, nil
}

// Sample draws one value, never negative.
func (d Dist) Sample(r *rand.Rand) float64 {
	switch d.kind {
	case distUniform:
		return d.a + (d.b-d.a)*r.Float64()
	case distNormal:
		return max(0, d.a+d.b*r.NormFloat64())
	case distLognormal:
		return d.a * math.Exp(d.b*r.NormFloat64())
	case distExp:
		return d.a * r.ExpFloat64()
	}
	return d.a
}

// Mean is the distribution's mean (of the untruncated normal).
func (d Dist) Mean() float64 {
	switch d.kind {
	case distUniform:
		return (d.a + d.b) / 2
	case distLognormal:
		return d.a * math.Exp(d.b*d.b/2)
	}
	return d.a
}

// IsZero reports whether the distribution always gives 0.
func (d Dist) IsZero() bool { return d.kind == distFixed && d.a == 0 }

func (d Dist) String() string {
	f := func(v float64) string { return formatMs(v) }
	switch d.kind {
	case distUniform:
		return "uniform(" + f(d.a) + "," + f(d.b) + ")"
	case distNormal:
		return "normal(" + f(d.a) + "," + f(d.b) + ")"
	case distLognormal:
		return "lognormal(" + f(d.a) + "," + strconv.FormatFloat(d.b, 'f', -1, 64) + ")"
	case distExp:
		return "exp(" + f(d.a) + ")"
	}
	if d.a > 0 && d.a < 1 {
		return strconv.FormatFloat(d.a*1000, 'f', -1, 64) + "us"
	}
	return f(d.a)
}

// stream returns the seeded source for one purpose ("net c1->coord",
// "app c3"): every random choice of a run comes from the scenario's seed,
// and each purpose has its own stream, so that a variant that draws more
// for one consumer does not shift what another draws (common random
// numbers make variants comparable).
func stream(seed uint64, purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
