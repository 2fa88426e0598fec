package serve

import (
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The data path: Metadata, FindCoordinator, ListOffsets, Fetch, Produce and
// InitProducerId, answered by the connection's goroutine from the in-memory
// store. One broker (node 0, the server's own address) leads every
// partition and coordinates every group.

const nodeID = 0

// maxFetchWait caps how long a fetch with no data waits for records.
const maxFetchWait = 5 * time.Second

func (c *conn) metadata(req *kmsg.MetadataRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	host, port := c.srv.advertised()
	resp.Brokers = []kmsg.MetadataResponseBroker{{NodeID: nodeID, Host: host, Port: port}}
	resp.ClusterID = kmsg.StringPtr("kgroup")
	resp.ControllerID = nodeID
	st := c.srv.store
	names := st.order
	if req.Topics != nil && (req.Version > 0 || len(req.Topics) > 0) { // v0: empty means all; v1+: null means all
		names = nil
		for _, t := range req.Topics {
			name := ""
			if t.Topic != nil {
				name = *t.Topic
			} else if n, ok := st.nameOf(t.TopicID); ok {
				name = n
			}
			names = append(names, name)
		}
	}
	for _, name := range names {
		resp.Topics = append(resp.Topics, metadataTopic(st, name))
	}
	return resp
}

func metadataTopic(st *store, name string) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = kmsg.StringPtr(name)
	t, ok := st.topics[name]
	if !ok {
		mt.ErrorCode = errUnknownTopic // no auto-creation: the topics are fixed at start
		return mt
	}
	mt.TopicID = t.id
	for p := range t.partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition, mp.Leader, mp.LeaderEpoch = int32(p), nodeID, 0
		mp.Replicas, mp.ISR = []int32{nodeID}, []int32{nodeID}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

// findCoordinator names this server for every key, group or transaction.
func (c *conn) findCoordinator(req *kmsg.FindCoordinatorRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	host, port := c.srv.advertised()
	if req.Version < 4 {
		resp.NodeID, resp.Host, resp.Port = nodeID, host, port
		return resp
	}
	for _, key := range req.CoordinatorKeys {
		resp.Coordinators = append(resp.Coordinators, kmsg.FindCoordinatorResponseCoordinator{Key: key, NodeID: nodeID, Host: host, Port: port})
	}
	return resp
}

func (c *conn) listOffsets(req *kmsg.ListOffsetsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, t := range req.Topics {
		rt := kmsg.ListOffsetsResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			rp := kmsg.NewListOffsetsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.Offset, rp.ErrorCode = c.srv.store.offsetFor(t.Topic, p.Partition, p.Timestamp)
			rp.Timestamp, rp.LeaderEpoch = -1, 0
			if req.Version == 0 && rp.ErrorCode == 0 {
				rp.OldStyleOffsets = []int64{rp.Offset}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// fetch answers a Fetch; with no records anywhere it waits up to the
// request's MaxWaitMillis (capped) for some to be produced. Fetch sessions
// (KIP-227) are not kept: every answer has session id 0, which tells the
// client to send full fetches, and a request naming a session gets
// FETCH_SESSION_ID_NOT_FOUND.
func (c *conn) fetch(req *kmsg.FetchRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	if req.SessionID != 0 {
		resp.ErrorCode = errFetchSessionMissing
		return resp
	}
	deadline := time.Now().Add(min(time.Duration(max(req.MaxWaitMillis, 0))*time.Millisecond, maxFetchWait))
	for {
		grew := c.srv.store.watch()
		resp.Topics = resp.Topics[:0]
		bytes := c.fetchOnce(req, resp)
		wait := time.Until(deadline)
		if bytes > 0 || bytes >= int(req.MinBytes) || wait <= 0 {
			return resp
		}
		waitGrow(grew, wait, c.done)
		select {
		case <-c.done:
			return resp
		default:
		}
	}
}

func (c *conn) fetchOnce(req *kmsg.FetchRequest, resp *kmsg.FetchResponse) (bytes int) {
	budget := req.MaxBytes
	if req.Version < 3 || budget <= 0 {
		budget = 1 << 30
	}
	for _, t := range req.Topics {
		rt := kmsg.FetchResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			f := c.srv.store.fetch(t.Topic, p.Partition, p.FetchOffset, min(p.PartitionMaxBytes, budget))
			if bytes > 0 && len(f.records) > int(budget) { // only the first partition may exceed the budget (KIP-74)
				f.records = []byte{}
			}
			budget -= int32(min(len(f.records), int(budget)))
			bytes += len(f.records)
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.HighWatermark = p.Partition, f.code, f.highWatermark
			rp.LastStableOffset, rp.LogStartOffset, rp.RecordBatches = f.highWatermark, 0, f.records
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return bytes
}

// produce appends records; acks 0 gets no answer at all, as from Kafka.
func (c *conn) produce(req *kmsg.ProduceRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, t := range req.Topics {
		rt := kmsg.ProduceResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			if req.TransactionID != nil {
				rp.BaseOffset, rp.ErrorCode = -1, errInvalidRecord
			} else {
				rp.BaseOffset, rp.ErrorCode = c.srv.store.produce(t.Topic, p.Partition, p.Records)
			}
			rp.LogAppendTime, rp.LogStartOffset = -1, 0
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if req.Acks == 0 {
		return nil
	}
	return resp
}

// initProducerID gives an idempotent producer an id (epoch 0). Nothing is
// deduplicated: the log keeps every batch it is sent.
func (c *conn) initProducerID(req *kmsg.InitProducerIDRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	if req.TransactionalID != nil {
		resp.ErrorCode, resp.ProducerID, resp.ProducerEpoch = 15, -1, -1 // COORDINATOR_NOT_AVAILABLE: no transactions here
		return resp
	}
	resp.ProducerID = c.srv.producerIDs.Add(1)
	return resp
}
