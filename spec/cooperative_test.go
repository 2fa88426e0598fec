package spec

import "testing"

func TestCheckCooperativePlan(t *testing.T) {
	owned := map[string][]TopicPartition{"a": tps("t-0", "t-1"), "b": tps("t-2")}
	// a keeps t-0, gives up t-1 (withheld: assigned to nobody this round), b gains t-3.
	wantOK(t, CheckCooperativePlan(owned, map[string]Assignment{"a": {"t": {0}}, "b": {"t": {2, 3}}}))
	// Planted: t-1 goes straight from a to b.
	wantErr(t, CheckCooperativePlan(owned, map[string]Assignment{"a": {"t": {0}}, "b": {"t": {1, 2}}}), "t-1 moves from a to b")
	// Two claims of t-0 (a zombie's stale one): keeping it with one claimant
	// is not a move, even though the other must give it up.
	double := map[string][]TopicPartition{"a": tps("t-0"), "b": tps("t-0")}
	wantOK(t, CheckCooperativePlan(double, map[string]Assignment{"a": {"t": {0}}, "b": {}}))
	// A member missing from the plan revokes everything it claimed.
	wantErr(t, CheckCooperativePlan(owned, map[string]Assignment{"b": {"t": {0, 2}}}), "t-0 moves from a to b")
}

func TestCheckCooperativeRevoke(t *testing.T) {
	wantOK(t, CheckCooperativeRevoke(tps("t-0", "t-1", "t-2"), tps("t-0", "t-3"), tps("t-2", "t-1")))
	wantOK(t, CheckCooperativeRevoke(tps("t-0"), tps("t-0"), nil))
	// Planted: revoking everything, as eager would.
	wantErr(t, CheckCooperativeRevoke(tps("t-0", "t-1"), tps("t-0"), tps("t-0", "t-1")), "must revoke t[1]")
	// Planted: keeping a partition that moved.
	wantErr(t, CheckCooperativeRevoke(tps("t-0", "t-1"), tps("t-0"), nil), "revoked -")
}
