package spec

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The vocabulary's parsers and comparisons at their edges (issue 9).

func TestEdgeParseTopicPartition(t *testing.T) {
	for _, c := range []struct {
		in   string
		want TopicPartition
	}{
		{"t-0", TopicPartition{"t", 0}},
		{"a-b-1", TopicPartition{"a-b", 1}},
		{"--0", TopicPartition{"-", 0}}, // the shortest topic is one character, even '-'
		{"t--0", TopicPartition{"t-", 0}},
		{"t-10", TopicPartition{"t", 10}},
		{"t-2147483647", TopicPartition{"t", math.MaxInt32}},
	} {
		got, err := ParseTopicPartition(c.in)
		if err != nil || got != c.want || got.String() != c.in {
			t.Errorf("ParseTopicPartition(%q) = %v, %v; want %v, printed back as %q", c.in, got, err, c.want, c.in)
		}
	}
	// A partition is the canonical decimal form of an int32 at least 0, so
	// that every text names one partition and each partition one text.
	// A text without a topic or without a partition is not of the form
	// topic-N; one whose partition is no such number says so.
	const notForm, notNumber = "want topic-N", "non-negative integer without sign or leading zeros"
	for _, c := range []struct{ in, want string }{
		{"", notForm}, {"-", notForm}, {"t", notForm}, {"t-", notForm}, {"a-b-", notForm}, {"-0", notForm},
		{"t-2147483648", notNumber}, {"t-+5", notNumber}, {"t-05", notNumber}, {"t-00", notNumber}, {"t- 5", notNumber},
		{"t-5 ", notNumber}, {"t-0x1", notNumber}, {"t-1e3", notNumber}, {"t-٣", notNumber},
	} {
		if tp, err := ParseTopicPartition(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseTopicPartition(%q) = %v, %v; want an error saying %q", c.in, tp, err, c.want)
		}
	}
}

func TestEdgeAssignmentShape(t *testing.T) {
	// Normalize drops every topic without partitions, however many, and
	// sorts every other one.
	a := Assignment{"a": {}, "b": nil, "c": {}, "d": {}, "e": {2, 0, 1}, "f": {}, "g": {1, 0}}
	a.Normalize()
	if want := (Assignment{"e": {0, 1, 2}, "g": {0, 1}}); !reflect.DeepEqual(a, want) {
		t.Errorf("normalized to %v, want %v", a, want)
	}
	empty := Assignment{"a": {}, "b": {}, "c": {}}
	empty.Normalize()
	if len(empty) != 0 {
		t.Errorf("normalized to %v, want no topics", empty)
	}
	// Len counts the partitions of every topic.
	for _, c := range []struct {
		a    Assignment
		want int
	}{{nil, 0}, {Assignment{"t": {}}, 0}, {Assignment{"t": {0, 1}}, 2}, {Assignment{"t": {0}, "u": {0, 1, 2}, "v": {4, 5}}, 6}} {
		if got := c.a.Len(); got != c.want {
			t.Errorf("%v.Len() = %d, want %d", c.a, got, c.want)
		}
	}
}

func TestEdgeParseErrorCode(t *testing.T) {
	for name, code := range errorsByName {
		if c, err := ParseErrorCode(name); err != nil || c != code {
			t.Errorf("ParseErrorCode(%q) = %v, %v", name, c, err)
		}
		if c, err := ParseErrorCode(strconv.Itoa(int(code))); err != nil || c != code {
			t.Errorf("ParseErrorCode(%d) = %v, %v", code, c, err)
		}
		if b, err := code.MarshalText(); err != nil || string(b) != name {
			t.Errorf("%d marshals as %q, %v", code, b, err)
		}
	}
	// The lowest and highest codes known, and their unknown neighbours.
	for _, c := range []struct {
		in    string
		known bool
	}{{"-1", true}, {"-2", false}, {"128", true}, {"129", false}, {"0", true}, {"1", false},
		{"32767", false}, {"32768", false}, {"-32769", false}, {"none", false}, {" NONE", false}, {"", false}} {
		_, err := ParseErrorCode(c.in)
		if (err == nil) != c.known {
			t.Errorf("ParseErrorCode(%q): error %v, want known=%v", c.in, err, c.known)
		}
	}
	if ErrorCode(-2).Known() || !ErrorCode(-1).Known() || ErrorCode(129).Known() {
		t.Error("Known is wrong at the ends of the table")
	}
	if _, err := ErrorCode(129).MarshalText(); err == nil {
		t.Error("an unknown code marshals")
	}
	var e ErrorCode = StaleMemberEpoch
	if err := e.UnmarshalText([]byte("NOPE")); err == nil || e != StaleMemberEpoch {
		t.Errorf("UnmarshalText of an unknown name: %v, left %v", err, e)
	}
}

func TestEdgeUnmarshalStrict(t *testing.T) {
	type inner struct {
		A int `json:"a"`
		B int `json:"b,omitempty"`
	}
	type outer struct {
		A  int     `json:"a"`
		In inner   `json:"in"`
		L  []inner `json:"l"`
		M  any     `json:"m"`
	}
	for _, ok := range []string{
		`{"a":1}`, ` {"a":1} `, "{\"a\":1}\n\t", `{}`,
		`{"a":1,"in":{"a":1},"l":[{"a":1},{"a":1}]}`, // one key in sibling and nested objects
		`{"m":{"a":{"a":{"a":1}}}}`, `{"m":[["a","a"],{"a":1}],"a":2}`, `{"m":"a","a":1}`, `{"m":{"in":1},"in":{"a":1}}`,
	} {
		var v outer
		if err := UnmarshalStrict([]byte(ok), &v); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{
		`{"a":1,"a":1}`, `{"a":1,"in":{},"a":2}`, `{"in":{"a":1,"a":2}}`, `{"l":[{"a":1},{"b":1,"b":2}]}`,
		`{"m":{"x":[1,{"y":1,"y":1}]}}`, `{"m":{"x":1,"x":[]}}`, `{"m":[],"m":{}}`, `{"a":{}}`,
		`{"a":1}x`, `{"a":1}{"a":1}`, `{"a":1} 1`, `{"z":1}`, `{"in":{"z":1}}`, ``, `{`, `{"a":1`,
	} {
		var v outer
		if err := UnmarshalStrict([]byte(bad), &v); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
	// Scalars and arrays at the top are values like any other.
	var n int
	var l []int
	if UnmarshalStrict([]byte(" 7 "), &n) != nil || n != 7 || UnmarshalStrict([]byte("[1,2]"), &l) != nil || len(l) != 2 {
		t.Errorf("top-level scalar or array refused: %d %v", n, l)
	}
	if UnmarshalStrict([]byte("7 8"), &n) == nil || UnmarshalStrict([]byte("[1] [2]"), &l) == nil {
		t.Error("trailing values accepted")
	}
}

func TestEdgeProtocolsEqual(t *testing.T) {
	base := func() []Protocol {
		return []Protocol{
			{Name: "range", Metadata: Subscription{Topics: []string{"t", "u"}, UserData: []byte{1}, OwnedPartitions: tps("t-0"), GenerationID: 3, RackID: "r"}},
			{Name: "roundrobin", Metadata: Subscription{Topics: []string{"t"}, GenerationID: -1}},
		}
	}
	if !ProtocolsEqual(base(), base()) || !ProtocolsEqual(nil, []Protocol{}) {
		t.Fatal("equal protocol lists differ")
	}
	// Every single difference, in the first or the last protocol, counts.
	for i := range base() {
		for name, change := range map[string]func(*Protocol){
			"name":      func(p *Protocol) { p.Name += "x" },
			"topics":    func(p *Protocol) { p.Metadata.Topics = append(p.Metadata.Topics, "v") },
			"topic":     func(p *Protocol) { p.Metadata.Topics[0] = "v" },
			"user data": func(p *Protocol) { p.Metadata.UserData = append(p.Metadata.UserData, 0) },
			"owned": func(p *Protocol) {
				p.Metadata.OwnedPartitions = append(p.Metadata.OwnedPartitions, TopicPartition{"t", 1})
			},
			"generation": func(p *Protocol) { p.Metadata.GenerationID++ },
			"rack":       func(p *Protocol) { p.Metadata.RackID += "x" },
		} {
			b := base()
			change(&b[i])
			if ProtocolsEqual(base(), b) || ProtocolsEqual(b, base()) || b[i].Metadata.Equal(base()[i].Metadata) && name != "name" {
				t.Errorf("a change of %s in protocol %d is not seen", name, i)
			}
		}
	}
	// Order and length matter (ClassicGroupMember.matches compares lists).
	b := base()
	b[0], b[1] = b[1], b[0]
	if ProtocolsEqual(base(), b) || ProtocolsEqual(base(), base()[:1]) || ProtocolsEqual(base()[:1], base()) {
		t.Error("reordered or shortened protocol lists are equal")
	}
	// Nil and empty metadata are the same metadata.
	if !(Subscription{UserData: []byte{}, Topics: []string{}}).Equal(Subscription{}) {
		t.Error("empty and nil metadata differ")
	}
	orig := base()[0].Metadata
	c := orig.Clone()
	if !c.Equal(orig) {
		t.Fatal("a clone differs")
	}
	c.Topics[0], c.UserData[0], c.OwnedPartitions[0].Partition = "x", 9, 9
	if !orig.Equal(base()[0].Metadata) {
		t.Error("Clone shares its slices")
	}
}

func TestEdgeStateNames(t *testing.T) {
	for _, s := range groupStates {
		b, _ := s.MarshalText()
		var back GroupState = -1
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v reads back as %v, %v", s, back, err)
		}
	}
	for _, s := range []GroupState{-1, 5} {
		if got := s.String(); got != "GroupState("+strconv.Itoa(int(s))+")" {
			t.Errorf("GroupState(%d) prints %q", s, got)
		}
	}
	var g GroupState
	if g.UnmarshalText([]byte("stable")) == nil || g.UnmarshalText([]byte("")) == nil {
		t.Error("a group state name is case-insensitive or empty")
	}
	for _, p := range []RebalanceProtocol{Eager, Cooperative} {
		b, _ := json.Marshal(p)
		var back RebalanceProtocol = 7
		if err := json.Unmarshal(b, &back); err != nil || back != p {
			t.Errorf("%v reads back as %v, %v", p, back, err)
		}
	}
	var p RebalanceProtocol
	if p.UnmarshalText([]byte("eager")) == nil {
		t.Error("rebalance protocol names are case-insensitive")
	}
	names := map[ClientState]string{ClientUnjoined: "UNJOINED", ClientPreparingRebalance: "PREPARING_REBALANCE",
		ClientCompletingRebalance: "COMPLETING_REBALANCE", ClientStable: "STABLE"}
	for s, n := range names {
		if s.String() != n {
			t.Errorf("ClientState(%d) prints %q", s, s.String())
		}
	}
}
