package spec

import "strconv"

// APIKey is a Kafka request type: the api_key of the request header, with
// Kafka's numbers (org.apache.kafka.common.protocol.ApiKeys). A response
// carries the key of the request it answers.
type APIKey int16

// The API keys kgroup knows. KeyNone marks a message body that is no Kafka
// request or response (a state machine's local input).
const (
	KeyNone                   APIKey = -1
	KeyProduce                APIKey = 0
	KeyFetch                  APIKey = 1
	KeyListOffsets            APIKey = 2
	KeyMetadata               APIKey = 3
	KeyOffsetCommit           APIKey = 8
	KeyOffsetFetch            APIKey = 9
	KeyFindCoordinator        APIKey = 10
	KeyJoinGroup              APIKey = 11
	KeyHeartbeat              APIKey = 12
	KeyLeaveGroup             APIKey = 13
	KeySyncGroup              APIKey = 14
	KeyAPIVersions            APIKey = 18
	KeyConsumerGroupHeartbeat APIKey = 68
)

var apiKeyNames = map[APIKey]string{
	KeyProduce: "Produce", KeyFetch: "Fetch", KeyListOffsets: "ListOffsets", KeyMetadata: "Metadata",
	KeyOffsetCommit: "OffsetCommit", KeyOffsetFetch: "OffsetFetch", KeyFindCoordinator: "FindCoordinator",
	KeyJoinGroup: "JoinGroup", KeyHeartbeat: "Heartbeat", KeyLeaveGroup: "LeaveGroup", KeySyncGroup: "SyncGroup",
	KeyAPIVersions: "ApiVersions", KeyConsumerGroupHeartbeat: "ConsumerGroupHeartbeat",
}

// String is Kafka's name for the API, e.g. "JoinGroup"; "APIKey(n)" for a
// key kgroup does not know.
func (k APIKey) String() string {
	if n, ok := apiKeyNames[k]; ok {
		return n
	}
	return "APIKey(" + strconv.Itoa(int(k)) + ")"
}
