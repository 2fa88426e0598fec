package spec

import (
	"fmt"
	"strconv"
)

// ErrorCode is a Kafka protocol error code: the numeric code on the wire and
// Kafka's name for it (org.apache.kafka.common.protocol.Errors). Protocol
// outcomes are values of this type, never Go errors.
type ErrorCode int16

// The error codes the group protocols use, with Kafka's numbers.
const (
	UnknownServerError        ErrorCode = -1
	None                      ErrorCode = 0
	UnknownTopicOrPartition   ErrorCode = 3
	OffsetMetadataTooLarge    ErrorCode = 12
	CoordinatorLoadInProgress ErrorCode = 14
	CoordinatorNotAvailable   ErrorCode = 15
	NotCoordinator            ErrorCode = 16
	IllegalGeneration         ErrorCode = 22
	InconsistentGroupProtocol ErrorCode = 23
	InvalidGroupID            ErrorCode = 24
	UnknownMemberID           ErrorCode = 25
	InvalidSessionTimeout     ErrorCode = 26
	RebalanceInProgress       ErrorCode = 27
	UnsupportedVersion        ErrorCode = 35
	InvalidRequest            ErrorCode = 42
	NonEmptyGroup             ErrorCode = 68
	GroupIDNotFound           ErrorCode = 69
	MemberIDRequired          ErrorCode = 79
	GroupMaxSizeReached       ErrorCode = 81
	FencedInstanceID          ErrorCode = 82
	UnstableOffsetCommit      ErrorCode = 88
	FencedMemberEpoch         ErrorCode = 110
	UnreleasedInstanceID      ErrorCode = 111
	UnsupportedAssignor       ErrorCode = 112
	StaleMemberEpoch          ErrorCode = 113
	InvalidRegularExpression  ErrorCode = 128
)

var errorNames = map[ErrorCode]string{
	UnknownServerError:        "UNKNOWN_SERVER_ERROR",
	None:                      "NONE",
	OffsetMetadataTooLarge:    "OFFSET_METADATA_TOO_LARGE",
	CoordinatorLoadInProgress: "COORDINATOR_LOAD_IN_PROGRESS",
	CoordinatorNotAvailable:   "COORDINATOR_NOT_AVAILABLE",
	NotCoordinator:            "NOT_COORDINATOR",
	IllegalGeneration:         "ILLEGAL_GENERATION",
	InconsistentGroupProtocol: "INCONSISTENT_GROUP_PROTOCOL",
	InvalidGroupID:            "INVALID_GROUP_ID",
	UnknownMemberID:           "UNKNOWN_MEMBER_ID",
	InvalidSessionTimeout:     "INVALID_SESSION_TIMEOUT",
	RebalanceInProgress:       "REBALANCE_IN_PROGRESS",
	UnsupportedVersion:        "UNSUPPORTED_VERSION",
	InvalidRequest:            "INVALID_REQUEST",
	UnknownTopicOrPartition:   "UNKNOWN_TOPIC_OR_PARTITION",
	NonEmptyGroup:             "NON_EMPTY_GROUP",
	GroupIDNotFound:           "GROUP_ID_NOT_FOUND",
	MemberIDRequired:          "MEMBER_ID_REQUIRED",
	GroupMaxSizeReached:       "GROUP_MAX_SIZE_REACHED",
	FencedInstanceID:          "FENCED_INSTANCE_ID",
	UnstableOffsetCommit:      "UNSTABLE_OFFSET_COMMIT",
	FencedMemberEpoch:         "FENCED_MEMBER_EPOCH",
	UnreleasedInstanceID:      "UNRELEASED_INSTANCE_ID",
	UnsupportedAssignor:       "UNSUPPORTED_ASSIGNOR",
	StaleMemberEpoch:          "STALE_MEMBER_EPOCH",
	InvalidRegularExpression:  "INVALID_REGULAR_EXPRESSION",
}

var errorsByName = func() map[string]ErrorCode {
	m := make(map[string]ErrorCode, len(errorNames))
	for c, n := range errorNames {
		m[n] = c
	}
	return m
}()

// String returns Kafka's name, or "ERROR(n)" for a code kgroup does not know.
func (e ErrorCode) String() string {
	if n, ok := errorNames[e]; ok {
		return n
	}
	return "ERROR(" + strconv.Itoa(int(e)) + ")"
}

// Known reports whether e is one of the codes above.
func (e ErrorCode) Known() bool {
	_, ok := errorNames[e]
	return ok
}

// ParseErrorCode takes Kafka's name ("ILLEGAL_GENERATION") or the number ("22").
func ParseErrorCode(s string) (ErrorCode, error) {
	if c, ok := errorsByName[s]; ok {
		return c, nil
	}
	if n, err := strconv.ParseInt(s, 10, 16); err == nil {
		if c := ErrorCode(n); c.Known() {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown Kafka error code %q", s)
}

// MarshalText writes Kafka's name, so JSON carries "ILLEGAL_GENERATION".
func (e ErrorCode) MarshalText() ([]byte, error) {
	if !e.Known() {
		return nil, fmt.Errorf("unknown Kafka error code %d", int16(e))
	}
	return []byte(e.String()), nil
}

// UnmarshalText accepts what ParseErrorCode accepts.
func (e *ErrorCode) UnmarshalText(b []byte) error {
	c, err := ParseErrorCode(string(b))
	if err != nil {
		return err
	}
	*e = c
	return nil
}
