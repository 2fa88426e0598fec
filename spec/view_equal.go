package spec

import "reflect"

// SameGroup reports whether two views describe the same group, with empty
// and nil lists and assignments taken as equal and each member's
// partitions in any order: the comparison Checker's Rebuild makes, for
// drivers that check the record discipline themselves (kgroup serve).
func SameGroup(a, b GroupView) bool {
	return reflect.DeepEqual(normalizeView(a), normalizeView(b))
}
