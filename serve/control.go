package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// The control endpoint, on a loopback address only:
//
//	POST /fault        body: a fault's text form (see Fault); 200 and the fault, or 400 and why
//	GET  /groups?id=G  the group's state and committed offsets, as JSON
//	GET  /checks       checks made and broken, per rule, as JSON
//	GET  /events?from=N  the events from index N on, as JSON lines
//	GET  /versions     the API versions each client id used, as JSON
//
// For example: curl -d 'expire c2' 127.0.0.1:9093/fault
type controlServer struct {
	ln  net.Listener
	srv *http.Server
}

func startControl(s *Server, addr string) (*controlServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /fault", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
		var f Fault
		if err == nil {
			f, err = ParseFault(string(body))
		}
		if err == nil {
			err = s.Inject(f)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "injected: %s\n", f)
	})
	mux.HandleFunc("GET /groups", func(w http.ResponseWriter, r *http.Request) {
		g, err := s.Group(r.URL.Query().Get("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		committed := map[string]int64{}
		for tp, o := range g.Committed {
			committed[tp.String()] = o
		}
		writeJSON(w, map[string]any{"group": g.View, "committed": committed})
	})
	mux.HandleFunc("GET /checks", func(w http.ResponseWriter, r *http.Request) {
		made, broken, err := s.Checks()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{"made": made, "broken": broken})
	})
	mux.HandleFunc("GET /versions", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.VersionsUsed()) })
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		evs, _, _ := s.events.snapshot(from)
		enc := json.NewEncoder(w)
		for _, e := range evs {
			enc.Encode(e)
		}
	})
	cs := &controlServer{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go cs.srv.Serve(ln)
	return cs, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (cs *controlServer) close() { cs.srv.Close() }
