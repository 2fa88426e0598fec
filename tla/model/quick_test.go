package model

import (
	"testing"
)

func quickParams(n int) *Params {
	p := &Params{TopicNames: []string{"t"}, Init: Counts{2, 0, 0, 0}}
	for i := 0; i < n; i++ {
		p.Consumers = append(p.Consumers, []string{"c1", "c2", "c3"}[i])
		p.Allowed = append(p.Allowed, []uint8{0})
	}
	p.Configs = []Config{{Topics: 1, Assignors: []uint8{RangeA}, CommitOnRevoke: true, SessionOK: true}}
	p.Heartbeats = 1
	p.SetPrefixes()
	return p
}

func TestQuick(t *testing.T) {
	for n := 1; n <= 2; n++ {
		p := quickParams(n)
		st, err := Explore(p, Options{Check: true, MaxStates: 3000000})
		t.Logf("n=%d %+v err=%v", n, st, err)
		if v, ok := err.(*Violation); ok {
			for _, s := range v.Trace {
				t.Log(s.Act.Format(p))
			}
		}
	}
}
