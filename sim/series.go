package sim

import "math"

// Series are the run's curves at a fixed resolution: total lag (the highest
// value in each step, and the value at its end), records produced and
// processed by the end of each step, and the most partitions not
// progressing at once within it. The sums behind them are linear between
// events, so each value is exact, not sampled.
type Series struct {
	StepMs    int64     `json:"step_ms"`
	At        []int64   `json:"at_ms"` // the end of each step
	LagMax    []float64 `json:"lag_max"`
	Lag       []float64 `json:"lag"`
	Produced  []float64 `json:"produced"`
	Processed []float64 `json:"processed"`
	NotProg   []int     `json:"partitions_not_progressing"`
}

// seriesSteps is the number of steps of a run's curves.
const seriesSteps = 720

type series struct {
	Series
	next    int64 // the end of the current step
	curMax  float64
	curNot  int
	lagPeak float64
	peakAt  int64
}

func newSeries(endMs int64) *series {
	step := max(1, (endMs+seriesSteps-1)/seriesSteps)
	return &series{Series: Series{StepMs: step}, next: step}
}

// peak notes a lag value reached at t.
func (s *series) peak(t int64, v float64) {
	s.curMax = math.Max(s.curMax, v)
	if v > s.lagPeak {
		s.lagPeak, s.peakAt = v, t
	}
}

// sample is called before time moves to t: it closes every step that ends
// by then, and checks whether rebalances' lag has come back.
func (s *series) sample(e *engine, t int64) {
	w := e.w
	now := e.now()
	cur := w.lag(now)
	s.peak(now, cur)
	s.curNot = max(s.curNot, w.notProg)
	s.recovered(e, now, cur)
	for s.next <= t {
		b := s.next
		v := w.lag(b)
		s.peak(b, v)
		s.At = append(s.At, b)
		s.LagMax = append(s.LagMax, s.curMax)
		s.Lag = append(s.Lag, v)
		s.Produced = append(s.Produced, w.all.at(b))
		s.Processed = append(s.Processed, w.processed(b))
		s.NotProg = append(s.NotProg, s.curNot)
		s.curMax, s.curNot = v, w.notProg
		s.next += s.StepMs
	}
}

// recovered marks each completed rebalance whose lag is back within 100 ms
// of production (plus one record) of where it was when it began.
func (s *series) recovered(e *engine, now int64, lag float64) {
	tol := 1 + e.w.all.rate*100
	for _, r := range e.ob.rbs {
		if r.RecoveredAt < 0 && r.Stable >= 0 && now >= r.Stable && lag <= r.LagBefore+tol {
			r.RecoveredAt = now
		}
	}
}
