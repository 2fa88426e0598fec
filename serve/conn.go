package serve

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/spec"
)

// conn is one client connection, served by its own goroutine, which
// decodes requests, hands group requests to the coordinator's goroutine,
// answers the data path itself, and encodes answers. Like a Kafka broker,
// it reads the next request only once the previous one is answered, so
// answers go out in order.
type conn struct {
	srv       *Server
	nc        net.Conn
	name      string
	done      chan struct{} // closed by close: a cut, or the server stopping
	closeOnce sync.Once
	mu        sync.Mutex
	client    string
}

// smallFrameBytes bounds every request but Produce: group and metadata
// requests are small, and what a decode may allocate grows with the frame.
const smallFrameBytes = 256 << 10

func (c *conn) clientID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

func (c *conn) event(kind, detail string) {
	c.srv.events.add(Event{At: c.srv.owner.clockNow(), Kind: kind, Conn: c.name, Client: c.clientID(), Detail: detail})
}

func (c *conn) serve() {
	defer c.srv.unregister(c)
	defer c.close()
	c.event("conn", "from "+c.nc.RemoteAddr().String())
	var buf, out []byte
	for {
		frame, err := readFrame(c.nc, buf, c.srv.cfg.MaxFrameBytes)
		if err != nil {
			c.ended(err)
			return
		}
		buf = frame[:0]
		h, resp, err := c.handle(frame)
		if err != nil {
			what := "a frame"
			if h.key != 0 || h.version != 0 || h.corr != 0 {
				what = fmt.Sprintf("%s v%d (correlation %d)", kmsg.NameForKey(h.key), h.version, h.corr)
			}
			c.event("bad", fmt.Sprintf("%s: %v; connection closed", what, err))
			return
		}
		if resp == nil { // Produce with acks 0
			continue
		}
		if !c.injected(h) {
			return
		}
		out = appendResponse(out[:0], h.corr, resp)
		if _, err := c.nc.Write(out); err != nil {
			c.ended(err)
			return
		}
	}
}

// ended notes why the connection ended: the client closed it (EOF, also
// half-closed), the server closed it, or a broken frame.
func (c *conn) ended(err error) {
	switch {
	case errors.Is(err, io.EOF):
		c.event("close", "closed by the client")
	case errors.Is(err, net.ErrClosed):
		c.event("close", "closed by the server")
	case errors.Is(err, errFrame):
		c.event("bad", err.Error()+"; connection closed")
	default:
		c.event("close", err.Error())
	}
}

// injected applies a delay or drop fault to the answer about to go out;
// false means the answer is dropped and the connection closed.
func (c *conn) injected(h header) bool {
	f, ok := c.srv.faults.take(h.key, h.clientID)
	if !ok {
		return true
	}
	if f.Kind == "drop" {
		c.event("fault", fmt.Sprintf("%s: dropped the answer to correlation %d; connection closed", f, h.corr))
		return false
	}
	c.event("fault", fmt.Sprintf("%s: holding the answer to correlation %d", f, h.corr))
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}

// errUnsupported: Kafka closes the connection on a request of an API or
// version it does not support (other than ApiVersions).
var errUnsupported = errors.New("unsupported API or version")

// decodeRequest reads a request frame: its header and its body, for an
// API and version served. A nil request is an ApiVersions of a version too
// new to read, answered in v0's format.
func decodeRequest(frame []byte) (header, kmsg.Request, error) {
	h, body, err := parseHeader(frame)
	switch {
	case err != nil:
		return h, nil, err
	case h.key != kmsg.Produce.Int16() && len(frame) > smallFrameBytes:
		return h, nil, fmt.Errorf("%w: %d bytes (at most %d for any request but Produce)", errFrame, len(frame), smallFrameBytes)
	case h.key == kmsg.ApiVersions.Int16() && !supported(h.key, h.version):
		return h, nil, nil // the body may be of a version we cannot read
	case !supported(h.key, h.version):
		return h, nil, errUnsupported
	}
	req := kmsg.RequestForKey(h.key)
	req.SetVersion(h.version)
	if req.IsFlexible() { // request header v2: tagged fields
		if body, err = skipTags(body); err != nil {
			return h, nil, err
		}
	}
	if err := req.ReadFrom(body); err != nil {
		return h, nil, fmt.Errorf("malformed body: %w", err)
	}
	return h, req, nil
}

// handle decodes and answers one request. An error closes the connection.
func (c *conn) handle(frame []byte) (header, kmsg.Response, error) {
	h, req, err := decodeRequest(frame)
	if err == nil {
		c.srv.usage.note(h.clientID, h.key, h.version)
	}
	switch {
	case err != nil:
		return h, nil, err
	case req == nil:
		return h, apiVersions(h.version), nil
	}
	c.mu.Lock()
	c.client = h.clientID
	c.mu.Unlock()
	var resp kmsg.Response
	switch r := req.(type) {
	case *kmsg.ApiVersionsRequest:
		resp = apiVersions(h.version)
	case *kmsg.MetadataRequest:
		resp = c.metadata(r)
	case *kmsg.FindCoordinatorRequest:
		resp = c.findCoordinator(r)
	case *kmsg.ListOffsetsRequest:
		resp = c.listOffsets(r)
	case *kmsg.FetchRequest:
		resp = c.fetch(r)
	case *kmsg.ProduceRequest:
		resp = c.produce(r)
	case *kmsg.InitProducerIDRequest:
		resp = c.initProducerID(r)
	default:
		resp, err = c.group(h, req)
	}
	return h, resp, err
}

// group answers the group APIs through the coordinator.
func (c *conn) group(h header, req kmsg.Request) (kmsg.Response, error) {
	switch r := req.(type) {
	case *kmsg.JoinGroupRequest:
		return c.join(h, r)
	case *kmsg.SyncGroupRequest:
		sr, err := syncRequest(r)
		if err != nil {
			c.event("bad", err.Error()+"; answered INCONSISTENT_GROUP_PROTOCOL")
			return syncResponse(r, &spec.SyncGroupResponse{ErrorCode: spec.InconsistentGroupProtocol}, nil), nil
		}
		rep, err := c.call(&call{req: sr, plan: r.GroupAssignment})
		if err != nil {
			return nil, err
		}
		return syncResponse(r, rep.resp.(*spec.SyncGroupResponse), rep.assign), nil
	case *kmsg.HeartbeatRequest:
		return ask(c, heartbeatRequest(r), func(a *spec.HeartbeatResponse) kmsg.Response { return heartbeatResponse(r, a) })
	case *kmsg.LeaveGroupRequest:
		return ask(c, leaveRequest(r), func(a *spec.LeaveGroupResponse) kmsg.Response { return leaveResponse(r, a) })
	case *kmsg.OffsetCommitRequest:
		rep, err := c.call(&call{req: commitRequest(r), version: r.Version})
		if err != nil {
			return nil, err
		}
		return commitResponse(r, rep.resp.(*spec.OffsetCommitResponse)), nil
	case *kmsg.ConsumerGroupHeartbeatRequest:
		if memberIDMissing(r) {
			return cgHeartbeatResponse(r, &spec.ConsumerGroupHeartbeatResponse{ErrorCode: spec.InvalidRequest, ErrorMessage: "MemberId can't be empty."}), nil
		}
		hr := cgHeartbeatRequest(r, h.clientID, c.srv.store.nameOf)
		return ask(c, hr, func(a *spec.ConsumerGroupHeartbeatResponse) kmsg.Response { return cgHeartbeatResponse(r, a) })
	case *kmsg.OffsetFetchRequest:
		var rs []*spec.OffsetFetchResponse
		for _, fr := range fetchRequests(r) {
			rep, err := c.call(&call{req: fr})
			if err != nil {
				return nil, err
			}
			rs = append(rs, rep.resp.(*spec.OffsetFetchResponse))
		}
		return fetchResponse(r, rs), nil
	}
	return nil, errUnsupported
}

// ask hands req to the coordinator and encodes its answer.
func ask[A spec.Response](c *conn, req spec.Request, encode func(A) kmsg.Response) (kmsg.Response, error) {
	rep, err := c.call(&call{req: req})
	if err != nil {
		return nil, err
	}
	return encode(rep.resp.(A)), nil
}

// join answers a JoinGroup. Before v4 a client cannot take
// MEMBER_ID_REQUIRED: Kafka adds such a member at once (requireKnownMemberId
// is false below v4, GroupMetadataManager.classicGroupJoinNewMember), which
// kgroup's coordinator reaches by the same join again with the id it gave.
func (c *conn) join(h header, r *kmsg.JoinGroupRequest) (kmsg.Response, error) {
	jr, err := joinRequest(r, h.clientID)
	if err != nil {
		c.event("bad", err.Error()+"; answered INCONSISTENT_GROUP_PROTOCOL")
		return joinResponse(r, &spec.JoinGroupResponse{ErrorCode: spec.InconsistentGroupProtocol, GenerationID: -1, MemberID: r.MemberID}, nil), nil
	}
	rep, err := c.call(&call{req: jr, raw: r.Protocols})
	if err != nil {
		return nil, err
	}
	resp := rep.resp.(*spec.JoinGroupResponse)
	if r.Version < 4 && resp.ErrorCode == spec.MemberIDRequired {
		again := *jr
		again.MemberID = resp.MemberID
		if rep, err = c.call(&call{req: &again, raw: r.Protocols}); err != nil {
			return nil, err
		}
		resp = rep.resp.(*spec.JoinGroupResponse)
	}
	return joinResponse(r, resp, rep.meta), nil
}

// call hands a request to the coordinator's goroutine and waits for the
// answer (a JoinGroup may wait for the whole join phase).
func (c *conn) call(cl *call) (reply, error) {
	cl.conn, cl.client, cl.reply = c.name, c.clientID(), make(chan reply, 1)
	select {
	case c.srv.inbox <- cl:
	case <-c.done:
		return reply{}, net.ErrClosed
	case <-c.srv.done:
		return reply{}, errStopped
	}
	select {
	case rep, ok := <-cl.reply:
		if !ok {
			return reply{}, fmt.Errorf("the coordinator refused the request")
		}
		return rep, nil
	case <-c.done:
		return reply{}, net.ErrClosed
	case <-c.srv.done:
		return reply{}, errStopped
	}
}
