package main

import (
	"fmt"
	"strings"

	"github.com/kgroup/kgroup/serve"
	"github.com/kgroup/kgroup/spec"
)

// report prints one round: the group as it settled (or not), a table of
// the clients, and what the server refused or saw broken.
func report(srv *serve.Server, group string, order []string, reps map[string]*reporter, full, after settled) {
	fmt.Printf("group with all %d: %s; after one stopped: %s\n\n", len(order), describe(full), describe(after))
	used := srv.VersionsUsed()
	members := map[string]string{} // member id -> client id
	for _, e := range srv.Events() {
		if e.Kind == "join" {
			members[e.Member] = e.Client
		}
	}
	fmt.Println("| client | member (leader *) | partitions | records | API versions used | errors it reported |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, name := range order {
		r := reps[name]
		var id, parts string
		for _, m := range full.view.Members {
			if members[m.MemberID] == name {
				id, parts = m.MemberID, m.Assignment.String()
				if m.MemberID == full.view.Leader {
					id += " *"
				}
			}
		}
		r.mu.Lock()
		fmt.Printf("| %s | %s | %s | %d | %s | %s |\n", name, or(id, "not a member"), or(parts, "-"), r.records,
			versions(used[name]), or(strings.Join(r.errs, "; "), "none"))
		r.mu.Unlock()
	}
	for _, e := range srv.Events() {
		if e.Kind == "violation" || e.Kind == "bad" {
			fmt.Printf("\n- server %s: %s", e.Kind, e)
		}
	}
	fmt.Println()
}

func describe(s settled) string {
	v := s.view
	state := fmt.Sprintf("%s gen %d protocol %s, %d members", v.State, v.Generation, or(v.Protocol, "-"), len(v.Members))
	if !s.ok {
		return "NOT SETTLED (" + state + ")"
	}
	return state
}

func versions(m map[string][]int16) string {
	var parts []string
	for _, name := range spec.SortedKeys(m) {
		var vs []string
		for _, v := range m[name] {
			vs = append(vs, fmt.Sprint(v))
		}
		parts = append(parts, name+" "+strings.Join(vs, "/"))
	}
	return strings.Join(parts, ", ")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
