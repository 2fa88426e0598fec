package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// CoordinatorNode is the network name of the group coordinator.
const CoordinatorNode = "coord"

// Message is a request or response in flight between a consumer and the
// coordinator, or a local input to one state machine (see inputs.go).
// Correlation pairs a response with its request, per sender, as Kafka's
// request header does.
type Message struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Correlation int32  `json:"corr"`
	// Body is a Request (consumer to coordinator), a Response, or a local input.
	Body any `json:"-"`
}

// IsRequest reports whether the body is a request.
func (m Message) IsRequest() bool {
	_, ok := m.Body.(Request)
	return ok
}

// Key is the body's API key, or KeyNone for a local input.
func (m Message) Key() APIKey {
	switch b := m.Body.(type) {
	case Request:
		return b.Key()
	case Response:
		return b.Key()
	}
	return KeyNone
}

// bodyTypes maps a JSON type name to the body's Go type.
var bodyTypes = map[string]reflect.Type{}

func init() {
	for _, b := range []any{
		&JoinGroupRequest{}, &JoinGroupResponse{}, &SyncGroupRequest{}, &SyncGroupResponse{},
		&HeartbeatRequest{}, &HeartbeatResponse{}, &LeaveGroupRequest{}, &LeaveGroupResponse{},
		&OffsetCommitRequest{}, &OffsetCommitResponse{}, &OffsetFetchRequest{}, &OffsetFetchResponse{},
		&ConsumerGroupHeartbeatRequest{}, &ConsumerGroupHeartbeatResponse{},
		&Tick{}, &FireTimer{}, &Unload{}, &Stall{}, &Unstall{}, &Close{}, &MetadataUpdate{}, &Consume{}, &Commit{},
	} {
		bodyTypes[bodyTypeName(b)] = reflect.TypeOf(b).Elem()
	}
}

func bodyTypeName(b any) string {
	t := reflect.TypeOf(b)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

type messageJSON struct {
	From        string          `json:"from"`
	To          string          `json:"to"`
	Correlation int32           `json:"corr"`
	Type        string          `json:"type"`
	Body        json.RawMessage `json:"body"`
}

// MarshalJSON writes {"from","to","corr","type","body"}; type is the body's Go
// type name, e.g. "JoinGroupRequest".
func (m Message) MarshalJSON() ([]byte, error) {
	name := bodyTypeName(m.Body)
	if _, ok := bodyTypes[name]; !ok {
		return nil, fmt.Errorf("message body of type %T is not a group protocol message or a local input", m.Body)
	}
	body, err := json.Marshal(m.Body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(messageJSON{m.From, m.To, m.Correlation, name, body})
}

// UnmarshalJSON reads what MarshalJSON writes and rejects unknown fields.
func (m *Message) UnmarshalJSON(b []byte) error {
	var mj messageJSON
	if err := UnmarshalStrict(b, &mj); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	t, ok := bodyTypes[mj.Type]
	if !ok {
		return fmt.Errorf("message: unknown type %q", mj.Type)
	}
	body := reflect.New(t).Interface()
	if err := UnmarshalStrict(mj.Body, body); err != nil {
		return fmt.Errorf("message %s body: %w", mj.Type, err)
	}
	*m = Message{From: mj.From, To: mj.To, Correlation: mj.Correlation, Body: body}
	return nil
}

// UnmarshalStrict decodes one JSON value into v as every kgroup input is
// decoded: unknown fields, a key given twice in one object (encoding/json
// would keep the last silently), and anything but white space after the
// value, are errors.
func UnmarshalStrict(b []byte, v any) error {
	if err := duplicateKeys(b); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(b[d.InputOffset():]); len(rest) > 0 {
		return fmt.Errorf("trailing data after the JSON value: %.20q", rest)
	}
	return nil
}

// String is the one-line text form used in transcripts and timelines:
// "c1->coord#3 JoinGroup member=c1-1 ...".
func (m Message) String() string {
	return m.From + "->" + m.To + "#" + strconv.Itoa(int(m.Correlation)) + " " + FormatBody(m.Body)
}

// EventKind names what happened in a run.
type EventKind string

// The events of a run. Inputs are chosen by whoever drives the run (a
// transcript, rapid, the explorer, the simulator); observations are what the
// consumers and the coordinator did in answer.
const (
	// Inputs.
	EvInput         EventKind = "input"          // the driver applied an action; Detail is its text form
	EvStart         EventKind = "start"          // a consumer process starts (Node)
	EvCrash         EventKind = "crash"          // a consumer process stops dead
	EvRestart       EventKind = "restart"        // a crashed consumer comes back as a new process
	EvClose         EventKind = "close"          // a consumer shuts down cleanly
	EvStall         EventKind = "stall"          // the application stops calling poll
	EvUnstall       EventKind = "unstall"        // ... and resumes
	EvFreeze        EventKind = "freeze"         // the whole process pauses (no heartbeats)
	EvThaw          EventKind = "thaw"           // ... and resumes
	EvDeliver       EventKind = "deliver"        // Msg reaches its destination
	EvDrop          EventKind = "drop"           // Msg is lost
	EvCreateTopic   EventKind = "create-topic"   // Topic appears with Count partitions
	EvAddPartitions EventKind = "add-partitions" // Topic grows to Count partitions
	EvDeleteTopic   EventKind = "delete-topic"   // Topic disappears
	EvConsume       EventKind = "consume"        // Node processes Count records of each owned partition
	EvCommit        EventKind = "commit"         // Node commits its positions
	// Observations.
	EvSend       EventKind = "send"        // Msg was put on the wire (a request's call time)
	EvAssigned   EventKind = "assigned"    // onPartitionsAssigned(Partitions) at Generation
	EvRevoked    EventKind = "revoked"     // onPartitionsRevoked(Partitions)
	EvLost       EventKind = "lost"        // onPartitionsLost(Partitions)
	EvProcessed  EventKind = "processed"   // Node processed records [Offset, End) of Partitions[0]
	EvGroupState EventKind = "group-state" // the group moved to Detail at Generation
	EvFailed     EventKind = "failed"      // the consumer stopped on a fatal error (Detail)
	EvRefused    EventKind = "refused"     // the client refused an application call locally (Detail: the exception)
)

// Event is one step of a run, as recorded in a history. Only the fields the
// kind uses are set.
type Event struct {
	At         int64            `json:"at"`
	Kind       EventKind        `json:"kind"`
	Node       string           `json:"node,omitempty"`
	Msg        *Message         `json:"msg,omitempty"`
	Topic      string           `json:"topic,omitempty"`
	Count      int32            `json:"count,omitempty"`
	Partitions []TopicPartition `json:"partitions,omitempty"`
	Generation int32            `json:"generation,omitempty"`
	Offset     int64            `json:"offset,omitempty"`
	End        int64            `json:"end,omitempty"`
	Detail     string           `json:"detail,omitempty"`
}

// String is the event's one-line text form, e.g. "@3000 c1 assigned t[0 1] gen=2".
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "@%d", e.At)
	if e.Node != "" {
		b.WriteString(" " + e.Node)
	}
	b.WriteString(" " + string(e.Kind))
	switch e.Kind {
	case EvInput:
		b.WriteString(" " + e.Detail)
	case EvDeliver, EvDrop, EvSend:
		if e.Msg != nil {
			b.WriteString(" " + e.Msg.String())
		}
	case EvCreateTopic, EvAddPartitions:
		fmt.Fprintf(&b, " %s=%d", e.Topic, e.Count)
	case EvDeleteTopic:
		b.WriteString(" " + e.Topic)
	case EvConsume:
		fmt.Fprintf(&b, " %d", e.Count)
	case EvAssigned:
		fmt.Fprintf(&b, " %s gen=%d", FormatPartitions(e.Partitions), e.Generation)
	case EvRevoked, EvLost:
		b.WriteString(" " + FormatPartitions(e.Partitions))
	case EvProcessed:
		fmt.Fprintf(&b, " %s [%d,%d)", FormatPartitions(e.Partitions), e.Offset, e.End)
	case EvGroupState:
		fmt.Fprintf(&b, " %s gen=%d", e.Detail, e.Generation)
	case EvFailed, EvRefused:
		b.WriteString(" " + e.Detail)
	}
	return b.String()
}

// duplicateKeys finds a key that occurs twice in one JSON object. It reads
// the tokens once; malformed JSON is left to the decoder to report.
func duplicateKeys(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		keys   map[string]bool
		object bool
		isKey  bool // the next token of an object is a key
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err != nil {
			return nil // the end, or malformed: the decoder says which
		}
		top := len(stack) - 1
		if delim, ok := tok.(json.Delim); ok {
			switch delim {
			case '{', '[':
				if top >= 0 && stack[top].object {
					stack[top].isKey = true // the object or array was a value
				}
				stack = append(stack, frame{object: delim == '{', isKey: true, keys: map[string]bool{}})
			default:
				stack = stack[:top]
				if len(stack) == 0 {
					return nil
				}
			}
			continue
		}
		if top < 0 || !stack[top].object {
			continue
		}
		if stack[top].isKey {
			k := tok.(string)
			if stack[top].keys[k] {
				return fmt.Errorf("key %q given twice in one object", k)
			}
			stack[top].keys[k] = true
		}
		stack[top].isKey = !stack[top].isKey
	}
}
