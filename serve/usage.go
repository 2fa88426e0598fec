package serve

import (
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// usage records which API versions each client id used, as a record of
// what real clients send (kgroup serve's client matrix reports it).
type usage struct {
	mu   sync.Mutex
	used map[string]map[int16]map[int16]bool
}

func (u *usage) note(client string, key, version int16) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.used == nil {
		u.used = map[string]map[int16]map[int16]bool{}
	}
	if u.used[client] == nil {
		u.used[client] = map[int16]map[int16]bool{}
	}
	if u.used[client][key] == nil {
		u.used[client][key] = map[int16]bool{}
	}
	u.used[client][key][version] = true
}

// VersionsUsed returns, per client id, the versions of each API (by
// Kafka's name) its requests used so far.
func (s *Server) VersionsUsed() map[string]map[string][]int16 {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	out := map[string]map[string][]int16{}
	for client, keys := range s.usage.used {
		out[client] = map[string][]int16{}
		for key, versions := range keys {
			var vs []int16
			for v := range versions {
				vs = append(vs, v)
			}
			slices.Sort(vs)
			out[client][kmsg.NameForKey(key)] = vs
		}
	}
	return out
}
