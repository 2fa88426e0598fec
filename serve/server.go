package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kgroup/kgroup/impl/coordinator"
	"github.com/kgroup/kgroup/linearizability"
	"github.com/kgroup/kgroup/spec"
)

// Config is a server's configuration. Start from DefaultConfig.
type Config struct {
	// Listen is the address to serve on; it must be a loopback address.
	Listen string
	// Topics are the in-memory topics.
	Topics []TopicSpec
	// Coordinator configures kgroup's coordinator (group.* settings,
	// planted bugs).
	Coordinator coordinator.Config
	// MaxFrameBytes bounds a request frame (DefaultMaxFrameBytes).
	MaxFrameBytes int32
	// MaxConns bounds the open connections; more are closed at once.
	MaxConns int
	// Control, if set, is the loopback address of the control endpoint.
	Control string
	// Faults are injected at the start.
	Faults []Fault
	// Events gets every event as a JSON line; Log gets violations, faults
	// and bad input as text (every event with Verbose). Either may be nil.
	Events  io.Writer
	Log     io.Writer
	Verbose bool
}

// DefaultConfig is a server on 127.0.0.1:9092 with Kafka's group defaults.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:9092", Coordinator: coordinator.DefaultConfig(), MaxFrameBytes: DefaultMaxFrameBytes, MaxConns: 256}
}

// Server is a running kgroup serve.
type Server struct {
	cfg         Config
	ln          net.Listener
	control     *controlServer
	store       *store
	events      *eventLog
	faults      answerFaults
	inbox       chan any
	done        chan struct{}
	ownerDone   chan struct{}
	owner       *owner
	producerIDs atomic.Int64
	usage       usage
	wg          sync.WaitGroup
	mu          sync.Mutex
	conns       map[*conn]bool
	nextConn    int
	closeOnce   sync.Once
}

// Start listens and serves until Close.
func Start(cfg Config) (*Server, error) {
	if err := loopbackOnly(cfg.Listen); err != nil {
		return nil, err
	}
	if cfg.Control != "" {
		if err := loopbackOnly(cfg.Control); err != nil {
			return nil, fmt.Errorf("control: %w", err)
		}
	}
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 256
	}
	s := &Server{cfg: cfg, store: newStore(cfg.Topics), events: newEventLog(cfg.Events, cfg.Log, cfg.Verbose),
		inbox: make(chan any, 256), done: make(chan struct{}), ownerDone: make(chan struct{}), conns: map[*conn]bool{}}
	o, err := newOwner(s, cfg.Coordinator)
	if err != nil {
		return nil, err
	}
	s.owner = o
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, err
	}
	if cfg.Control != "" {
		if s.control, err = startControl(s, cfg.Control); err != nil {
			s.ln.Close()
			return nil, err
		}
	}
	go o.run()
	for _, f := range cfg.Faults {
		if err := s.Inject(f); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.events.add(Event{Kind: "listen", Detail: fmt.Sprintf("kgroup serve on %s, topics %s", s.ln.Addr(), topicsText(cfg.Topics))})
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func topicsText(ts []TopicSpec) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ","
		}
		s += t.Name + ":" + strconv.Itoa(int(t.Partitions))
	}
	if s == "" {
		return "(none)"
	}
	return s
}

// loopbackOnly refuses any address but a loopback one: this server is for
// tests on one machine.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("listen address %q: kgroup serve listens on loopback addresses only (127.0.0.1, ::1, localhost)", addr)
	}
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// ControlAddr is the control endpoint's address, nil without one.
func (s *Server) ControlAddr() net.Addr {
	if s.control == nil {
		return nil
	}
	return s.control.ln.Addr()
}

// advertised is the host and port Metadata and FindCoordinator name.
func (s *Server) advertised() (string, int32) {
	a := s.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), int32(a.Port)
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := s.register(nc)
		if c == nil {
			nc.Close()
			s.events.add(Event{At: s.owner.clockNow(), Kind: "bad", Detail: fmt.Sprintf("connection from %s refused: %d open", nc.RemoteAddr(), s.cfg.MaxConns)})
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
		}()
	}
}

func (s *Server) register(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) >= s.cfg.MaxConns {
		return nil
	}
	s.nextConn++
	c := &conn{srv: s, nc: nc, name: "conn" + strconv.Itoa(s.nextConn), done: make(chan struct{})}
	s.conns[c] = true
	return c
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// cut closes the connections of a client id, or all of them.
func (s *Server) cut(target string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if target == "all" || c.clientID() == target {
			c.close()
			n++
		}
	}
	return n
}

// Inject applies a fault now.
func (s *Server) Inject(f Fault) error {
	var detail string
	var err error
	switch f.Kind {
	case "delay", "drop":
		s.faults.add(f)
	case "clear":
		s.faults.clear()
	case "cut":
		detail = fmt.Sprintf("%d connections closed", s.cut(f.Target))
	case "expire":
		var found error
		if err = s.onOwner(func(o *owner) { found = o.expire(f.Target) }); err == nil {
			err = found
		}
	case "move":
		err = s.onOwner(func(o *owner) { o.move(f.Delay) })
	default:
		err = fmt.Errorf("fault: unknown kind %q", f.Kind)
	}
	if err != nil {
		return err
	}
	s.events.add(Event{At: s.owner.clockNow(), Kind: "fault", Detail: trimSpace(f.String() + ": injected " + detail)})
	return nil
}

// errStopped is returned by what needs a server that is still running.
var errStopped = errors.New("kgroup serve: stopped")

// onOwner runs fn on the coordinator's goroutine and waits for it.
func (s *Server) onOwner(fn func(*owner)) error {
	q := query{fn: fn, done: make(chan struct{})}
	select {
	case s.inbox <- q:
	case <-s.done:
		return errStopped
	}
	select {
	case <-q.done:
		return nil
	case <-s.ownerDone:
		return errStopped
	}
}

// WaitFor waits for the first event since index from that satisfies ok,
// and returns it with its index; the next wait may start after it.
func (s *Server) WaitFor(ctx context.Context, from int, ok func(Event) bool) (Event, int, error) {
	return s.events.wait(ctx, from, ok)
}

// Events returns the events kept so far.
func (s *Server) Events() []Event {
	evs, _, _ := s.events.snapshot(0)
	return evs
}

// Violations returns the rules broken so far.
func (s *Server) Violations() []Event {
	var out []Event
	for _, e := range s.Events() {
		if e.Kind == "violation" {
			out = append(out, e)
		}
	}
	return out
}

// GroupState is a group as the coordinator holds it, with its committed
// offsets.
type GroupState struct {
	View      spec.GroupView
	Committed map[spec.TopicPartition]int64
}

// Group returns a group's state now.
func (s *Server) Group(id string) (GroupState, error) {
	var out GroupState
	err := s.onOwner(func(o *owner) { out = GroupState{o.co.Describe(id), o.co.Committed(id)} })
	return out, err
}

// Checks returns, per rule, how many checks were made and how many failed.
func (s *Server) Checks() (made, broken map[string]int64, err error) {
	err = s.onOwner(func(o *owner) {
		made, broken = maps2(o.checks.made), maps2(o.checks.broken)
	})
	return made, broken, err
}

func maps2(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// History returns the history of commits, fetches and syncs so far.
func (s *Server) History() ([]linearizability.Op, error) {
	var out []linearizability.Op
	err := s.onOwner(func(o *owner) { out = append(out, o.history...) })
	return out, err
}

// Close stops the server: no new connections, every connection closed, the
// coordinator's goroutine stopped after a summary of the checks.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var summary string
		if s.onOwner(func(o *owner) { summary = o.checks.summary() }) == nil {
			s.events.add(Event{At: s.owner.clockNow(), Kind: "check", Detail: summary})
		}
		close(s.done)
		s.ln.Close()
		if s.control != nil {
			s.control.close()
		}
		s.cut("all")
		<-s.ownerDone
	})
	s.wg.Wait()
	return nil
}

// clockNow is the coordinator's clock, for events from other goroutines.
func (o *owner) clockNow() int64 { return time.Since(o.start).Milliseconds() }
