package cluster

import (
	"errors"
	"testing"

	"github.com/kgroup/kgroup/internal/assert"
	"github.com/kgroup/kgroup/spec"
)

// bogus is a request type no coordinator serves.
type bogus struct{}

func (bogus) Key() spec.APIKey { return spec.KeyConsumerGroupHeartbeat }
func (bogus) Group() string    { return "g" }

// TestBrokenInvariantIsAnError: when a state machine refuses an input the
// cluster itself built — here a message smuggled onto the wire — the cluster
// reports the broken invariant as an *assert.Failure from Apply, not a
// panic, and takes no more actions.
func TestBrokenInvariantIsAnError(t *testing.T) {
	cfg, err := ParseConfig("cluster topics=t:1 manual")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl.send(spec.Message{From: "c1", To: spec.CoordinatorNode, Correlation: 1, Body: bogus{}})
	err = cl.Apply(Action{Kind: ActDeliver, Link: "c1->coord"})
	var f *assert.Failure
	if !errors.As(err, &f) {
		t.Fatalf("Apply returned %v, want an *assert.Failure", err)
	}
	if cl.Broken() == nil || cl.Apply(Action{Kind: ActAdvance, Ms: 1}) != cl.Broken() {
		t.Fatal("the cluster goes on after a broken invariant")
	}
}
