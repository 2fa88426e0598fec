package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Assertions: `assert LHS OP RHS`, each side a sum of products of numbers
// (with units: 2s = 2000, 200k, 5% = 0.05) and metrics, [VARIANT.]METRIC
// [.STAT]; OP is < <= > >= == != or ~ (approximately: within 10%, or the
// tolerance after +-, as in `a ~ b +-20%`). A metric without a variant
// applies to each variant in turn.

// Assert is one parsed assertion.
type Assert struct {
	text   string
	lhs    expr
	op     string
	rhs    expr
	tol    float64
	hasTol bool
}

// AssertResult is an assertion's verdict, per variant where it has none.
type AssertResult struct {
	Text    string `json:"assert"`
	Variant string `json:"variant,omitempty"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail"`
}

// expr is a node: a number, a metric reference, or an operation.
type expr struct {
	num     float64
	variant string
	metric  string
	op      byte // 0 for a leaf; + - * /
	l, r    *expr
}

func parseAssert(s string) (Assert, error) {
	a := Assert{text: s, tol: 0.10}
	body := s
	if i := strings.Index(body, "+-"); i >= 0 {
		t, err := parsePercent(strings.TrimSpace(body[i+2:]))
		if err != nil {
			return a, fmt.Errorf("tolerance: %w", err)
		}
		a.tol, a.hasTol, body = t, true, body[:i]
	}
	toks := tokenize(body)
	opAt := -1
	for i, t := range toks {
		if isCompare(t) {
			if opAt >= 0 {
				return a, fmt.Errorf("one comparison per assert")
			}
			opAt = i
		}
	}
	if opAt < 0 {
		return a, fmt.Errorf("no comparison (< <= > >= == != ~)")
	}
	a.op = toks[opAt]
	if a.hasTol && a.op != "~" {
		return a, fmt.Errorf("a tolerance goes with ~ only")
	}
	var err error
	if a.lhs, err = parseExpr(toks[:opAt]); err != nil {
		return a, err
	}
	a.rhs, err = parseExpr(toks[opAt+1:])
	return a, err
}

func isCompare(t string) bool {
	switch t {
	case "<", "<=", ">", ">=", "==", "!=", "~":
		return true
	}
	return false
}

// tokenize splits on spaces and around ( ) * / + and comparisons; a - is
// an operator only with spaces around it (metric names contain dashes).
func tokenize(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		cur := ""
		flush := func() {
			if cur != "" {
				out = append(out, cur)
				cur = ""
			}
		}
		for i := 0; i < len(w); i++ {
			c := w[i]
			switch {
			case c == '(' || c == ')' || c == '*' || c == '/' || c == '+':
				flush()
				out = append(out, string(c))
			case c == '<' || c == '>' || c == '=' || c == '!' || c == '~':
				flush()
				if i+1 < len(w) && w[i+1] == '=' {
					out = append(out, w[i:i+2])
					i++
				} else {
					out = append(out, string(c))
				}
			default:
				cur += string(c)
			}
		}
		flush()
	}
	return out
}

// parseExpr is a recursive descent over + - then * / then leaves.
func parseExpr(toks []string) (expr, error) {
	p := &exprParser{toks: toks}
	e, err := p.sum()
	if err == nil && p.i < len(toks) {
		err = fmt.Errorf("unexpected %q", toks[p.i])
	}
	if err == nil && len(toks) == 0 {
		err = fmt.Errorf("a side of the comparison is empty")
	}
	return e, err
}

type exprParser struct {
	toks  []string
	i     int
	depth int
}

func (p *exprParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *exprParser) sum() (expr, error) { return p.binary("+-", p.product) }

func (p *exprParser) product() (expr, error) { return p.binary("*/", p.leaf) }

// binary reads operands joined by the operators in ops, left to right.
func (p *exprParser) binary(ops string, operand func() (expr, error)) (expr, error) {
	l, err := operand()
	for err == nil && len(p.peek()) == 1 && strings.Contains(ops, p.peek()) {
		op := p.toks[p.i][0]
		p.i++
		var r expr
		if r, err = operand(); err == nil {
			left := l
			l = expr{op: op, l: &left, r: &r}
		}
	}
	return l, err
}

func (p *exprParser) leaf() (expr, error) {
	t := p.peek()
	switch {
	case t == "":
		return expr{}, fmt.Errorf("expression ends too soon")
	case t == "(":
		p.i++
		if p.depth++; p.depth > 32 {
			return expr{}, fmt.Errorf("too deeply nested")
		}
		e, err := p.sum()
		if err == nil && p.peek() != ")" {
			err = fmt.Errorf("missing )")
		}
		p.i++
		p.depth--
		return e, err
	}
	p.i++
	if v, ok := parseNumber(t); ok {
		return expr{num: v}, nil
	}
	return parseRef(t)
}

// parseNumber reads 12, 2.5s, 200k, 1.5M, 5%, 300ms, 2m, 1h.
func parseNumber(t string) (float64, bool) {
	num, unit := splitUnit(t)
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, false
	}
	mult, ok := map[string]float64{"": 1, "ms": 1, "s": 1000, "m": 60000, "h": 3600000, "k": 1e3, "M": 1e6, "%": 0.01}[unit]
	return v * mult, ok
}

func parseRef(t string) (expr, error) {
	if t == "inf" || t == "Inf" {
		return expr{num: math.Inf(1)}, nil
	}
	name := t
	variant := ""
	if i := strings.Index(t, "."); i > 0 && !knownMetric(t) {
		variant, name = t[:i], t[i+1:]
	}
	if !knownMetric(name) {
		return expr{}, fmt.Errorf("unknown metric %q (kgroup sim -h lists them)", name)
	}
	return expr{variant: variant, metric: name}, nil
}

// knownMetric accepts METRIC and METRIC.STAT.
func knownMetric(name string) bool {
	base := name
	for _, s := range []string{".p50", ".p95", ".p99", ".min", ".max", ".mean"} {
		if strings.HasSuffix(name, s) {
			base = strings.TrimSuffix(name, s)
		}
	}
	for _, d := range metricDocs {
		if d[0] == base {
			return true
		}
	}
	if strings.HasPrefix(base, "rb") {
		n, field, ok := strings.Cut(base[2:], ".")
		_, err := strconv.Atoi(n)
		return ok && err == nil && strings.Contains(" total moved paused nonprogress revoked rounds ", " "+field+" ")
	}
	return false
}

// checkNames checks that the variants an assertion names exist.
func (a Assert) checkNames(sc *Scenario) error {
	var err error
	a.walk(func(e *expr) {
		if e.variant != "" && err == nil && !hasVariant(sc, e.variant) {
			err = fmt.Errorf("no variant %q", e.variant)
		}
	})
	return err
}

func hasVariant(sc *Scenario, name string) bool {
	for _, v := range sc.Variants {
		if v.Name == name {
			return true
		}
	}
	return false
}

func (a Assert) walk(f func(*expr)) {
	var rec func(e *expr)
	rec = func(e *expr) {
		if e == nil {
			return
		}
		f(e)
		rec(e.l)
		rec(e.r)
	}
	rec(&a.lhs)
	rec(&a.rhs)
}

// bound reports whether the assertion names a variant everywhere.
func (a Assert) bound() bool {
	ok := true
	a.walk(func(e *expr) {
		if e.op == 0 && e.metric != "" && e.variant == "" {
			ok = false
		}
	})
	return ok
}

func (e *expr) eval(out *Outcome, variant string) (float64, string, error) {
	switch e.op {
	case 0:
		if e.metric == "" {
			return e.num, trimNum(e.num), nil
		}
		v := e.variant
		if v == "" {
			v = variant
		}
		for _, vr := range out.Variants {
			if vr.Name == v {
				val, ok := vr.Stats[e.metric]
				if !ok {
					val = 0 // a rebalance that did not happen
				}
				return val, fmt.Sprintf("%s=%s", e.ref(v, out), trimNum(val)), nil
			}
		}
		return 0, "", fmt.Errorf("no variant %q", v)
	}
	l, ls, err := e.l.eval(out, variant)
	if err != nil {
		return 0, "", err
	}
	r, rs, err := e.r.eval(out, variant)
	if err != nil {
		return 0, "", err
	}
	s := ls + " " + string(e.op) + " " + rs
	switch e.op {
	case '+':
		return l + r, s, nil
	case '-':
		return l - r, s, nil
	case '*':
		return l * r, s, nil
	}
	return l / r, s, nil
}

func (e *expr) ref(v string, out *Outcome) string {
	if len(out.Variants) == 1 && e.variant == "" {
		return e.metric
	}
	return v + "." + e.metric
}

func trimNum(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// evalAsserts checks every assertion.
func evalAsserts(sc *Scenario, out *Outcome) []AssertResult {
	var res []AssertResult
	for _, a := range sc.Asserts {
		variants := []string{""}
		if !a.bound() {
			variants = nil
			for _, v := range out.Variants {
				variants = append(variants, v.Name)
			}
		}
		for _, v := range variants {
			res = append(res, a.check(out, v))
		}
	}
	return res
}

func (a Assert) check(out *Outcome, variant string) AssertResult {
	r := AssertResult{Text: a.text, Variant: variant}
	if len(out.Variants) == 1 {
		r.Variant = ""
	}
	l, ls, err1 := a.lhs.eval(out, variant)
	rv, rs, err2 := a.rhs.eval(out, variant)
	if err1 != nil || err2 != nil {
		r.Detail = fmt.Sprint(err1, err2)
		return r
	}
	switch a.op {
	case "<":
		r.OK = l < rv
	case "<=":
		r.OK = l <= rv
	case ">":
		r.OK = l > rv
	case ">=":
		r.OK = l >= rv
	case "==":
		r.OK = l == rv
	case "!=":
		r.OK = l != rv
	case "~":
		r.OK = math.Abs(l-rv) <= a.tol*math.Abs(rv)
	}
	r.Detail = fmt.Sprintf("%s (%s) %s %s (%s)", ls, trimNum(l), a.op, rs, trimNum(rv))
	if a.op == "~" {
		r.Detail += fmt.Sprintf(" within %s%%", trimNum(a.tol*100))
	}
	return r
}
