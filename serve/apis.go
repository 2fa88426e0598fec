package serve

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kgroup/kgroup/spec"
)

// versionRange is an API's supported versions, as ApiVersions lists them.
type versionRange struct{ min, max int16 }

// apis are the APIs kgroup serve answers and their versions: the set that
// the six clients measured in ../shared/wire-facts.md all accepted, and
// KIP-848's ConsumerGroupHeartbeat v0-1 (every version kmsg knows; v1 is
// KIP-1082's, where the client makes its member id). Fetch starts at v4
// (v2 record batches); Fetch stops at v12 and Metadata at v12, the last
// versions that name topics rather than topic ids (Metadata v10+ also
// gives each topic's id, see topicID); OffsetCommit and OffsetFetch stop
// at v9, the versions of KIP-848's member epochs, before v10 names topics
// by id. InitProducerId lets an idempotent producer (franz-go's default)
// produce.
var apis = map[int16]versionRange{
	kmsg.Produce.Int16():         {3, 8},
	kmsg.Fetch.Int16():           {4, 12},
	kmsg.ListOffsets.Int16():     {0, 7},
	kmsg.Metadata.Int16():        {0, 12},
	kmsg.OffsetCommit.Int16():    {0, 9},
	kmsg.OffsetFetch.Int16():     {0, 9},
	kmsg.FindCoordinator.Int16(): {0, 4},
	kmsg.JoinGroup.Int16():       {0, 9},
	kmsg.Heartbeat.Int16():       {0, 4},
	kmsg.LeaveGroup.Int16():      {0, 5},
	kmsg.SyncGroup.Int16():       {0, 5},
	kmsg.ApiVersions.Int16():     {0, 3},
	kmsg.InitProducerID.Int16():  {0, 4},

	kmsg.ConsumerGroupHeartbeat.Int16(): {0, 1},
}

// supported reports whether kgroup serve answers key at version.
func supported(key, version int16) bool {
	r, ok := apis[key]
	return ok && version >= r.min && version <= r.max
}

// apiVersions answers ApiVersions. A version above 3 gets the v0-format
// UNSUPPORTED_VERSION reply listing the ranges, so that the client retries
// at a version it shares (KIP-511; Kafka's ApiVersionsRequest.getErrorResponse
// and SocketServer answer a too-new ApiVersions this way).
func apiVersions(version int16) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	if !supported(kmsg.ApiVersions.Int16(), version) {
		resp.Version = 0
		resp.ErrorCode = 35 // UNSUPPORTED_VERSION
	} else {
		resp.Version = version
	}
	for _, key := range spec.SortedKeys(apis) {
		r := apis[key]
		resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: key, MinVersion: r.min, MaxVersion: r.max})
	}
	return resp
}
