// Package serve is kgroup serve: a Kafka-protocol server on loopback whose
// group coordinator is kgroup's own (impl/coordinator), so that real Kafka
// clients — franz-go, librdkafka (kcat, confluent-kafka-go), sarama,
// segmentio/kafka-go, KafkaJS — rebalance against it while every rule the
// coordinator's side can see is checked on their live traffic.
//
// # Shape
//
// The core stays pure: this package holds the goroutines, the wall clock
// and the sockets. One goroutine owns the coordinator (owner.go): it feeds
// it each request as it arrives, with the time since the server started as
// the coordinator's logical milliseconds, ticks it at NextDeadline, and
// routes each answer in the Ready to the connection waiting for it (a
// JoinGroup may wait for a whole join phase). Every connection is a
// goroutine that decodes frames with kmsg (github.com/twmb/franz-go/pkg/kmsg),
// translates group requests to spec's types and answers back (decode.go,
// encode.go), and reads the next request only once the previous one is
// answered, as a Kafka broker does. The data path (Metadata,
// FindCoordinator, ListOffsets, Fetch, Produce, InitProducerId) is
// answered by the connection from in-memory topics (topics.go), which keep
// producers' record batches as they came, with only the base offset
// rewritten.
//
// # APIs
//
// ApiVersions 0-3 (a newer version gets the v0-format UNSUPPORTED_VERSION
// answer listing the ranges, KIP-511), Metadata 0-12, FindCoordinator 0-4,
// JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4, LeaveGroup 0-5,
// OffsetCommit 0-9, OffsetFetch 0-9, ListOffsets 0-7, Fetch 4-12, Produce
// 3-8, InitProducerId 0-4: what ../shared/wire-facts.md measured six
// clients to accept; and ConsumerGroupHeartbeat 0-1 (KIP-848). Below
// JoinGroup v4 a client cannot take MEMBER_ID_REQUIRED; Kafka admits such
// a member at once, and serve does by repeating the join with the id the
// coordinator gave. Member metadata and assignments are decoded for the
// coordinator and their bytes kept, so that leaders and members get back
// exactly the bytes that were sent, as from Kafka (raw.go). Choices:
// classic groups of protocol type "consumer" only (others are answered
// INCONSISTENT_GROUP_PROTOCOL), no transactions, no fetch sessions
// (session id 0: clients send full fetches), no topic auto-creation, one
// broker.
//
// # KIP-848 consumer groups
//
// ConsumerGroupHeartbeat goes to the coordinator's consumer groups, whose
// server-side assignors (uniform, range) assign from the topics' partition
// counts: the coordinator gets them as a spec.MetadataUpdate at the start
// and after every failover (the metadata image is not in the record log;
// the topics are fixed at the start, so nothing else changes them). On the
// wire Kafka names topics by id where kgroup names them: a topic's id is
// the first 16 bytes of SHA-256("kgroup topic " + name) (topicID), fixed
// by the name, given by Metadata v10+ and used for every assigned topic in
// a heartbeat's answer. A member's owned partitions of an id no topic has
// are kept, under a name no topic can have, as Kafka's coordinator keeps
// ids it does not know (decode.go, unknownTopic): they are in no
// assignment, so they fence a member that comes back with its previous
// epoch owning them, and change nothing else. v1 is KIP-1082's: an empty
// member id is INVALID_REQUEST (on v0 the coordinator makes one).
// OffsetCommit v9 carries the member epoch as its generation and
// OffsetFetch v9 a member id and epoch, both fenced by the member's
// current epoch; a KIP-848 member committing below v9 gets
// UNSUPPORTED_VERSION, and a commit to a group that does not exist gets
// ILLEGAL_GENERATION below v9 and GROUP_ID_NOT_FOUND from v9, as from
// Kafka. kgroup's coordinator does not take classic members into a
// consumer group (Kafka's online upgrade) nor regex subscriptions.
//
// # Checks
//
// On every answer, state change and commit, with spec's predicates
// (checks.go): fencing (spec.CheckFencing on every answer), generations
// (spec.CheckTransition, and no group's generation going back), valid plans
// (spec.CheckAssignment once a group is Stable), rule 4 on a cooperative
// leader's plan (spec.CheckCooperativePlan), committed offsets never going
// back (spec.CheckOffsetsMonotonic, across a failover too) and the record
// discipline (the log loads into a coordinator that describes the group as
// the live one does, whenever it is Stable or Empty). A broken rule is an
// event of kind "violation", on stderr at once and in --events; the
// history of commits, fetches and syncs is written in the linearizability
// format for kgroup check. For consumer groups, on the coordinator's
// DescribeConsumerGroup view after every step that changed the group (a
// consumer group changes only through records): no partition held by two
// members, as assigned or pending revocation (cg-ownership); no member's
// epoch going back while it stays in the group (cg-epochs; a static member
// parked at epoch -2 has left for the time being); commits and fetches
// fenced by the member epoch and heartbeats answered with the epoch and
// assignment the coordinator holds (fencing); and the record discipline
// once the group is Stable or Empty (rebuild). Planted bugs
// (coordinator.Config.Bugs) are each caught (TestLiveChecksCatchPlantedBugs,
// TestLiveChecksCatchPlantedConsumerGroupBugs).
//
// # Faults and the control endpoint
//
// Fault (faults.go) delays or drops answers of an API, expires a member's
// session by holding its requests, cuts connections, or moves the
// coordinator (Unload, NOT_COORDINATOR, then Load from the record log);
// from Config.Faults, Server.Inject, or POST /fault on the control endpoint
// (control.go), each logged as a "fault" event.
//
// # Bad input
//
// A frame whose size is outside [8, MaxFrameBytes] (256 KiB for anything
// but Produce), a header or body kmsg cannot read, an unknown API or an
// unsupported version closes the connection with a "bad" event saying
// why, as Kafka closes it; nothing panics and nothing waits forever. What
// a decode may allocate is bounded by the frame (kmsg bounds every count
// by the bytes left). FuzzDecodeRequest fuzzes the decoding, from a seeded
// corpus in testdata/fuzz.
//
// Not here: ConsumerGroupDescribe and the other KIP-848 admin APIs,
// OffsetCommit and OffsetFetch v10 (topic ids), KIP-848 regex
// subscriptions; Kafka's quotas, ACLs, SASL, TLS.
package serve
