// Package assert is kgroup's one way to report a broken internal invariant:
// a state that the code's own logic says cannot happen, as opposed to bad
// input (which gets an error) or a protocol outcome (a Kafka error code).
//
// Fail panics with a *Failure; the entry points of the state machines and of
// the cluster recover it with Recover and return it as an error, so that the
// explorer, fuzzers and rapid turn it into a counterexample instead of a
// crashed process. A machine that returned a Failure must be discarded.
package assert

import "fmt"

// Failure is a broken internal invariant: a bug in kgroup.
type Failure struct{ Msg string }

func (f *Failure) Error() string { return "internal invariant broken: " + f.Msg }

// Fail reports a broken invariant. It does not return.
func Fail(format string, args ...any) {
	panic(&Failure{Msg: fmt.Sprintf(format, args...)})
}

// Recover, deferred, turns a Failure panic into *err. Any other panic goes on.
func Recover(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(*Failure); ok {
		*err = f
		return
	}
	panic(r)
}
