package assignors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// The golden digests pin the exact output (the JSON of every plan, or the
// error text) of every assignor on several thousand seeded inputs, recorded
// before the sticky assignors' existing-ownership path was optimised: any
// change of output, however small, changes a digest. Every input to the
// sticky pair also goes through the wire path (the members as JoinGroup
// bytes, DecodeGroup, Group.Assign), which must give the very same output.
// Regenerate the digests only for an intended change of behaviour, with
//
//	go test ./assignors -run TestGoldenOutputs -golden.print
var goldenPrint = flag.Bool("golden.print", false, "print the golden digests instead of checking them")

// goldenFamily draws one seeded input; buckets of goldenBucket consecutive
// seeds share a digest.
type goldenFamily struct {
	name      string
	cases     int
	draw      func(r *rand.Rand) stickyInput
	assignors []Assignor // nil: all of them
}

func (f goldenFamily) assignorsOrAll() []Assignor {
	if f.assignors == nil {
		return All()
	}
	return f.assignors
}

const goldenBucket = 1000

func goldenFamilies() []goldenFamily {
	return []goldenFamily{
		{"small", 20000, drawSmall, nil},
		{"uniform", 5000, drawUniform, nil},
		{"invalid", 10000, drawInvalid, nil},
		{"layout", 2000, drawLayout, nil},
		{"no-cell-table", 3, drawNoCellTable, nil},
		{"huge", 40, drawHuge, []Assignor{Sticky{}, CooperativeSticky{}}},
	}
}

func TestGoldenOutputs(t *testing.T) {
	got := map[string]string{}
	var keys []string
	for _, f := range goldenFamilies() {
		var h hash.Hash
		for i := range f.cases {
			if i%goldenBucket == 0 {
				h = sha256.New()
			}
			in := f.draw(rand.New(rand.NewPCG(uint64(i), uint64(len(f.name)))))
			for _, a := range f.assignorsOrAll() {
				out := goldenOutput(a, in)
				fmt.Fprintf(h, "%d %s\n%s\n", i, a.Name(), out)
				if a.Name() != (Sticky{}).Name() && a.Name() != (CooperativeSticky{}).Name() {
					continue // the others' wire path is MemberFromSubscription (TestWireMatchesDecoded)
				}
				if w := wireOutput(t, a, in); w != out {
					t.Fatalf("%s case %d, %s: from JoinGroup bytes\n%s\ndecoded\n%s", f.name, i, a.Name(), w, out)
				}
			}
			if i%goldenBucket == goldenBucket-1 || i == f.cases-1 {
				key := fmt.Sprintf("%s/%d", f.name, i/goldenBucket)
				got[key] = hex.EncodeToString(h.Sum(nil))[:32]
				keys = append(keys, key)
			}
		}
	}
	if *goldenPrint {
		for _, k := range keys {
			fmt.Printf("\t%q: %q,\n", k, got[k])
		}
		return
	}
	for _, k := range keys {
		if goldenDigests[k] != got[k] {
			t.Errorf("%s: output digest %s, recorded %s", k, got[k], goldenDigests[k])
		}
	}
	if len(keys) != len(goldenDigests) {
		t.Errorf("%d digests computed, %d recorded", len(keys), len(goldenDigests))
	}
}

// goldenOutput is the JSON of a's plan, or its error.
func goldenOutput(a Assignor, in stickyInput) string {
	plan, err := a.Assign(in.topics, in.members)
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(plan)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// drawSmall is genStickyInput's distribution from a seed: up to 6 members and
// 10 partitions, mixed subscriptions, conflicting claims at mixed
// generations, claims on deleted topics, static members.
func drawSmall(r *rand.Rand) stickyInput {
	topics := map[string]int32{}
	budget := int32(r.IntN(11))
	var names []string
	nTopics := 1 + r.IntN(4)
	for i := range nTopics {
		name := fmt.Sprintf("t%d", i)
		n := budget
		if i < nTopics-1 {
			n = int32(r.IntN(int(budget) + 1))
		}
		budget -= n
		topics[name], names = n, append(names, name)
	}
	all := allPartitions(topics, names)
	all = append(all, spec.TopicPartition{Topic: "deleted", Partition: 0})
	subsFrom := append(slices.Clone(names), "missing")
	members := make([]Member, 1+r.IntN(6))
	for i := range members {
		m := Member{ID: fmt.Sprintf("c%d", i), Generation: []int32{-1, 1, 2, 3}[r.IntN(4)]}
		if r.IntN(5) == 0 {
			m.InstanceID = fmt.Sprintf("i%d", r.IntN(10))
		}
		if r.IntN(3) == 0 {
			m.Topics = slices.Clone(names)
		} else {
			m.Topics = sample(r, subsFrom, r.IntN(len(subsFrom)+1))
		}
		for range r.IntN(6) {
			m.Owned = append(m.Owned, all[r.IntN(len(all))])
		}
		members[i] = m
	}
	return stickyInput{topics, members}
}

// drawUniform is genUniformInput's distribution: up to 30 members with one
// shared subscription, random prior owners at mixed generations.
func drawUniform(r *rand.Rand) stickyInput {
	topics := map[string]int32{}
	var names []string
	for i := range 1 + r.IntN(5) {
		name := fmt.Sprintf("t%d", i)
		topics[name], names = int32(r.IntN(41)), append(names, name)
	}
	members := make([]Member, 1+r.IntN(30))
	for i := range members {
		members[i] = Member{ID: fmt.Sprintf("c%02d", i), Topics: names, Generation: int32(r.IntN(5)) - 1}
	}
	for _, p := range allPartitions(topics, names) {
		if owner := r.IntN(len(members)+1) - 1; owner >= 0 {
			members[owner].Owned = append(members[owner].Owned, p)
		}
	}
	return stickyInput{topics, members}
}

// drawInvalid plants defects in small inputs: a negative partition count, an
// empty or repeated member id, owned partitions out of range on subscribed,
// unsubscribed or deleted topics (the last is not an error).
func drawInvalid(r *rand.Rand) stickyInput {
	in := drawSmall(r)
	in.topics["other"] = int32(r.IntN(3))
	for range 1 + r.IntN(3) {
		m := &in.members[r.IntN(len(in.members))]
		switch r.IntN(7) {
		case 0:
			in.topics[fmt.Sprintf("t%d", r.IntN(5))] = -1 - int32(r.IntN(2))
		case 1:
			m.ID = ""
		case 2:
			m.ID = in.members[r.IntN(len(in.members))].ID
		case 3:
			m.Owned = append(m.Owned, spec.TopicPartition{Topic: fmt.Sprintf("t%d", r.IntN(4)), Partition: int32(r.IntN(14)) - 2})
		case 4:
			m.Owned = append(m.Owned, spec.TopicPartition{Topic: "other", Partition: int32(r.IntN(5)) - 1})
		case 5:
			m.Owned = append(m.Owned, spec.TopicPartition{Topic: "gone", Partition: int32(r.IntN(5)) - 1})
		default:
			slices.Reverse(m.Owned)
		}
	}
	return in
}

// drawLayout builds the bench layouts at a small scale (Kafka's large test,
// its non-equal variant, franz-go's random partition counts), fresh or after a
// rebalance with churn: members leave and join, resubscribe, claim at stale
// or newer generations, list a partition twice or out of order.
func drawLayout(r *rand.Rand) stickyInput {
	nTopics, nMembers := 1+r.IntN(20), 1+r.IntN(120)
	topics := map[string]int32{}
	names := make([]string, nTopics)
	for i := range names {
		names[i] = fmt.Sprintf("topic%03d", i)
		if r.IntN(2) == 0 {
			topics[names[i]] = int32(r.IntN(60))
		} else {
			topics[names[i]] = 10
		}
	}
	members := make([]Member, nMembers)
	for i := range members {
		members[i] = Member{ID: fmt.Sprintf("m%03d", i), Topics: names, Generation: -1}
	}
	if r.IntN(3) == 0 {
		members = append(members, Member{ID: "zz", Topics: names[:1+r.IntN(nTopics)], Generation: -1})
	}
	in := stickyInput{topics, members}
	if r.IntN(4) == 0 {
		return in
	}
	return churn(r, in)
}

// churn turns a fresh input into the next rebalance after Sticky assigned it.
func churn(r *rand.Rand, fresh stickyInput) stickyInput {
	plan, err := Sticky{}.Assign(fresh.topics, fresh.members)
	if err != nil {
		panic(err)
	}
	var members []Member
	for i, m := range fresh.members {
		m.Owned, m.Generation = plan[m.ID].Partitions(), 1
		switch r.IntN(12) {
		case 0:
			continue // left
		case 1:
			m.Generation = 0 // stale claim
		case 2:
			m.Generation = 2
		case 3:
			m.Topics = sample(r, m.Topics, r.IntN(len(m.Topics)+1))
		case 4:
			if len(m.Owned) > 0 {
				m.Owned = append(m.Owned, m.Owned[r.IntN(len(m.Owned))])
			}
			r.Shuffle(len(m.Owned), func(i, j int) { m.Owned[i], m.Owned[j] = m.Owned[j], m.Owned[i] })
		case 5:
			if i > 0 { // a double claim at the same generation
				m.Owned = append(m.Owned, plan[fresh.members[i-1].ID].Partitions()...)
			}
		}
		members = append(members, m)
	}
	for i := range r.IntN(3) {
		members = append(members, Member{ID: fmt.Sprintf("new%d", i), Topics: fresh.members[0].Topics, Generation: -1})
	}
	if len(members) == 0 {
		members = fresh.members[:1]
	}
	if r.IntN(3) == 0 { // a topic grew
		for _, t := range spec.SortedKeys(fresh.topics) {
			fresh.topics[t] += int32(r.IntN(3))
		}
	}
	return stickyInput{fresh.topics, members}
}

// drawNoCellTable builds a group whose (class, member) table would exceed
// maxCellTable: many members, many classes, one partition per topic, and
// prior owners for half of them.
func drawNoCellTable(r *rand.Rand) stickyInput {
	const nMembers, nTopics = 2100, 2100
	topics := map[string]int32{}
	subs := make([][]string, nMembers)
	for t := range nTopics {
		name := fmt.Sprintf("t%04d", t)
		topics[name] = 1
		for _, v := range []int{t, (t*7 + 1) % nMembers, r.IntN(nMembers)} {
			subs[v] = append(subs[v], name)
		}
	}
	members := make([]Member, nMembers)
	for v := range members {
		members[v] = Member{ID: fmt.Sprintf("m%04d", v), Topics: subs[v], Generation: 1}
		for _, t := range subs[v] {
			if r.IntN(4) == 0 {
				members[v].Owned = append(members[v].Owned, spec.TopicPartition{Topic: t})
			}
		}
		if r.IntN(4) == 0 { // a claim on a topic the member does not subscribe to
			members[v].Owned = append(members[v].Owned, spec.TopicPartition{Topic: fmt.Sprintf("t%04d", r.IntN(nTopics))})
		}
	}
	return stickyInput{topics, members}
}

// drawHuge exceeds maxStickyPartitions, sometimes with an invalid input too:
// the validation error must come first.
func drawHuge(r *rand.Rand) stickyInput {
	in := drawInvalid(r)
	in.topics["huge"], in.topics["huge2"] = maxStickyPartitions/2+1, maxStickyPartitions/2
	for i := range in.members {
		in.members[i].Topics = append(slices.Clone(in.members[i].Topics), "huge", "huge2")
	}
	return in
}

func allPartitions(topics map[string]int32, names []string) []spec.TopicPartition {
	var all []spec.TopicPartition
	for _, name := range names {
		for p := range topics[name] {
			all = append(all, spec.TopicPartition{Topic: name, Partition: p})
		}
	}
	return all
}

// sample returns n distinct elements of xs in random order.
func sample(r *rand.Rand, xs []string, n int) []string {
	out := slices.Clone(xs)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:n]
}

// goldenDigests were recorded with the implementation of commit fb47d88.
var goldenDigests = map[string]string{
	"small/0":         "c90dfa2e06fc9e91f40f0a3c9a94135c",
	"small/1":         "ffc6eb7d90fb7aa80410dce1698a085a",
	"small/2":         "8861e5b2aae755d8ec23fab5d3b4ab2f",
	"small/3":         "9dcd3b0fdca5e5053c934be07c41e046",
	"small/4":         "e3df23758f46c07337f910519007f869",
	"small/5":         "aea31bbccb04725087aff43a19b0cc89",
	"small/6":         "2b6d6a7e724d42d9198861b3fea2aa0b",
	"small/7":         "e112376940355e6b1d119bc11317a2bf",
	"small/8":         "683767d5cbd21dc0b117dc104ca84629",
	"small/9":         "f0c1901208bc63afdaa200bc52af8bd5",
	"small/10":        "386d5a4b09bdf71a57099b5ec9130471",
	"small/11":        "df8ced7f4968319f780e98204e3bb7c8",
	"small/12":        "67129f569c3faea89d0c4e4f3bfae00f",
	"small/13":        "9f722c7f9f9c8ed622c984ec13aca1cb",
	"small/14":        "89bf94eb06ba2bffb12cb87c6049d45d",
	"small/15":        "fbc45976fafca7ca722a4ef76f7ee5d0",
	"small/16":        "1f8dfdc5e200c6df86d1d692298f0ec5",
	"small/17":        "75af516cc2f66eec2fc865e2c0a47f43",
	"small/18":        "8e3c649600afffcec1b5953d3684c1a7",
	"small/19":        "c7a6ad5341affbc2722de8556304505c",
	"uniform/0":       "477cc998d2e98e4f6db8e4b2b7505d5c",
	"uniform/1":       "bce7de701ccff7332db96031ab9d5ad0",
	"uniform/2":       "00c62081ab2476177622566e6617b8dc",
	"uniform/3":       "0d7aab0fae20af0ccf679f2c81b589ec",
	"uniform/4":       "a806c29e50f1b33356a8d21832aa4691",
	"invalid/0":       "bdcdf800d2e60a6694275edd38a63ba7",
	"invalid/1":       "d823c54ac1d929a562156a91007ce98b",
	"invalid/2":       "d9019cc53999bc568cd3ec736d53d545",
	"invalid/3":       "f6ebd9972f076d173010b5a52483b267",
	"invalid/4":       "fddf0b1b8f7789e8da900c432ddd2eab",
	"invalid/5":       "80ae30e118c34bf95f51d20decf9273d",
	"invalid/6":       "c2814f8171c2414947243a801897c9d9",
	"invalid/7":       "70941755a2f061e788550f02bd0d14e7",
	"invalid/8":       "5069e9a3ba7235d24b099adfbbffc819",
	"invalid/9":       "f29fc885c86583ecd7ba7bafcc8e87cd",
	"layout/0":        "79d88a31bf6066e42537550f468e50d7",
	"layout/1":        "5a281b7191e619a701abe29ddc79dd62",
	"no-cell-table/0": "f15e4eecb806a7d1c12824c1cdcab84f",
	"huge/0":          "acbef228dd588dd8bc9c1883468ee455",
}

// The sticky assignors validate their input on the way instead of calling
// Validate first (solveSticky); they must accept exactly what Validate
// accepts and reject the rest with Validate's very error.
func TestStickyValidatesLikeValidate(t *testing.T) {
	rejected := 0
	for i := range 20000 {
		r := rand.New(rand.NewPCG(uint64(i), 99))
		var in stickyInput
		switch {
		case i%50 == 0:
			in = drawHuge(r)
		case i%3 == 0:
			in = drawSmall(r)
		default:
			in = drawInvalid(r)
		}
		want := Validate(in.topics, in.members)
		if want != nil {
			rejected++
		}
		for _, a := range []Assignor{Sticky{}, CooperativeSticky{}} {
			_, err := a.Assign(in.topics, in.members)
			switch {
			case want != nil && (err == nil || err.Error() != want.Error()):
				t.Fatalf("case %d, %s: error %v, Validate says %v", i, a.Name(), err, want)
			case want == nil && err != nil && !strings.HasSuffix(err.Error(), fmt.Sprintf("handle at most %d", maxStickyPartitions)):
				t.Fatalf("case %d, %s: error %v on input Validate accepts", i, a.Name(), err)
			}
		}
	}
	if rejected < 2000 || rejected > 18000 {
		t.Errorf("Validate rejected %d of 20000 inputs; the generator should draw both kinds", rejected)
	}
}
