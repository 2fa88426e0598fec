// Package kfake records histories of commits, fetches and syncs made by real
// franz-go consumers (kgo) in a group on franz-go's kfake cluster, with
// rebalances under way, and checks them with kgroup's linearizability
// checker. Its own module, so franz-go stays out of kgroup's go.mod; it has
// only tests.
package kfake
