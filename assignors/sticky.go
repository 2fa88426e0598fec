package assignors

import (
	"errors"
	"fmt"
	"math"

	"github.com/kgroup/kgroup/spec"
)

// Sticky is Kafka's eager StickyAssignor (KIP-54, with the generations of
// KIP-341), computed exactly instead of heuristically. Among all valid
// assignments it returns one that is
//
//  1. balanced: the member loads (partitions per member), sorted from largest
//     to smallest, form the lexicographically smallest vector the
//     subscriptions allow (identical subscriptions: max - min <= 1);
//  2. sticky: among those, the fewest partitions leave their valid prior
//     owner;
//  3. deterministic: byte-identical whatever the order of the members, of the
//     topics in a subscription or of an owned list.
//
// Prior ownership is Member.Owned at Member.Generation (-1 when unknown). The
// consumer keeps them in the KIP-54 user data (EncodeUserData), since an eager
// member revokes everything before it rejoins. Claims are cleaned up as
// Kafka's AbstractStickyAssignor does: claims on topics that no longer exist
// are dropped; among the claims on one partition the highest generation wins,
// and two claims at that same highest generation invalidate the partition for
// every claimant; finally a winner that no longer subscribes to the topic loses
// its claim. A member listing a partition twice claims it once.
//
// Racks are ignored: Assign is not given partition replicas, so KIP-881 rack
// matching has nothing to match against.
type Sticky struct{}

// CooperativeSticky is Kafka's CooperativeStickyAssignor (KIP-429). It computes
// the same target as Sticky, from the owned partitions and generation of the
// subscription, then withholds (assigns to nobody this round) every partition
// whose new owner is not its valid prior owner while another member still
// claims it: the partition changes hands only after its claimants have revoked
// it, in the follow-up rebalance their revocation triggers. A stale claim (a
// lower generation than the valid owner's) withholds nothing from the valid
// owner that keeps the partition.
type CooperativeSticky struct{}

func (Sticky) Name() string { return "sticky" }

func (Sticky) Protocols() []spec.RebalanceProtocol { return []spec.RebalanceProtocol{spec.Eager} }

func (CooperativeSticky) Name() string { return "cooperative-sticky" }

// Protocols lists EAGER and COOPERATIVE (Kafka lists them the other way round
// in CooperativeStickyAssignor.supportedProtocols; kgroup keeps ascending order).
func (CooperativeSticky) Protocols() []spec.RebalanceProtocol {
	return []spec.RebalanceProtocol{spec.Eager, spec.Cooperative}
}

// Assign implements Assignor.
func (Sticky) Assign(topics map[string]int32, members []Member) (Plan, error) {
	r, err := solveSticky(topics, members, pathAuto, false)
	if err != nil {
		return nil, err
	}
	return r.plan(false), nil
}

// Assign implements Assignor.
func (CooperativeSticky) Assign(topics map[string]int32, members []Member) (Plan, error) {
	r, err := solveSticky(topics, members, pathAuto, true)
	if err != nil {
		return nil, err
	}
	return r.plan(true), nil
}

// maxStickyPartitions bounds the partitions one sticky assignment may cover.
// The assignors keep a few words per partition; sixteen million partitions is
// far beyond any Kafka cluster and still fits in memory.
const maxStickyPartitions = 1 << 24

// solvePath selects how the per-class quotas are computed; tests force the
// general path on inputs the fast path would take, to compare the two.
type solvePath int

const (
	pathAuto solvePath = iota
	pathGeneral
)

// solveSticky validates the input and computes the optimal target assignment.
//
// It accepts exactly the input Validate accepts, and rejects the rest with
// Validate's own error, without paying Validate's set of member ids and map
// lookup per owned partition: it checks the partition counts and that member
// ids are not empty, newStickyModel checks that they are
// distinct once it has sorted the members, and the claim pass checks each
// owned partition against its topic's range on the way (newStickyModel
// returns errInvalid). On any failure, and before errTooManyPartitions,
// Validate itself runs and supplies the error, so its messages and their
// precedence are unchanged.
func solveSticky(topics map[string]int32, members []Member, path solvePath, cooperative bool) (*stickyResult, error) {
	ok := validCounts(topics)
	for _, m := range members {
		ok = ok && m.ID != ""
	}
	build := func() (*stickyModel, error) { return newStickyModel(topics, members, cooperative) }
	return solveModel(topics, ok, build, func() []Member { return members }, path)
}

// solveModel builds the model and computes the target; header says whether
// the partition counts are not negative and the member ids not empty. On
// any failure Validate, on the members, supplies the error.
func solveModel(topics map[string]int32, header bool, build func() (*stickyModel, error), members func() []Member, path solvePath) (*stickyResult, error) {
	if !header {
		err := Validate(topics, members())
		stickyAssert(err != nil, "the header check rejected what Validate accepts")
		return nil, err
	}
	m, err := build()
	if err != nil {
		if verr := Validate(topics, members()); verr != nil {
			return nil, verr
		}
		stickyAssert(err != errInvalid, "building the model rejected what Validate accepts")
		return nil, err
	}
	if m.numClasses() == 1 && path == pathAuto {
		return m.realize(m.uniformQuotas()), nil
	}
	return m.realize(m.optimalQuotas(), math.MaxInt32, nil), nil
}

// validCounts reports whether no partition count is negative.
func validCounts(topics map[string]int32) bool {
	for _, n := range topics {
		if n < 0 {
			return false
		}
	}
	return true
}

// distinctIDs reports whether the member ids, in SortMembers order, are
// distinct. That order puts the members with an instance id first and sorts
// the others by id, so without instance ids (instanceFirst false: the first
// member has none) a repeated id is a neighbour.
func distinctIDs(sorted []string, instanceFirst bool) bool {
	if instanceFirst {
		seen := make(map[string]struct{}, len(sorted))
		for _, id := range sorted {
			if _, dup := seen[id]; dup {
				return false
			}
			seen[id] = struct{}{}
		}
		return true
	}
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return false
		}
	}
	return true
}

// errInvalid reports input that Validate rejects: a repeated member id, or
// an owned partition of an existing topic out of its range; solveSticky
// replaces it with Validate's error.
var errInvalid = errors.New("invalid input")

func errTooManyPartitions(n int64) error {
	return fmt.Errorf("the subscribed topics have %d partitions; sticky assignors handle at most %d", n, maxStickyPartitions)
}
