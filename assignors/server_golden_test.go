package assignors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kgroup/kgroup/spec"
)

// The server golden digests pin the exact output (the JSON of every plan, or
// the error text) of Uniform and ServerRange on seeded inputs, recorded
// before the server-side path was optimised: any change of output, however
// small, changes a digest. Regenerate them only for an intended change of
// behaviour, with
//
//	go test ./assignors -run TestServerGoldenOutputs -golden.print
type serverGoldenFamily struct {
	name  string
	cases int
	draw  func(r *rand.Rand) serverInput
}

const serverGoldenBucket = 250

func serverGoldenFamilies() []serverGoldenFamily {
	return []serverGoldenFamily{
		{"small", 2000, drawServerSmall},
		{"homogeneous", 2000, drawServerHomogeneous},
		{"mixed", 1000, drawServerMixed},
		{"invalid", 1000, drawServerInvalid},
	}
}

func TestServerGoldenOutputs(t *testing.T) {
	got := map[string]string{}
	var keys []string
	for _, f := range serverGoldenFamilies() {
		var h hash.Hash
		for i := range f.cases {
			if i%serverGoldenBucket == 0 {
				h = sha256.New()
			}
			in := f.draw(rand.New(rand.NewPCG(uint64(i), 848+uint64(len(f.name)))))
			for _, a := range ServerAll() {
				fmt.Fprintf(h, "%d %s\n%s\n", i, a.Name(), serverGoldenOutput(a, in))
			}
			if i%serverGoldenBucket == serverGoldenBucket-1 || i == f.cases-1 {
				key := fmt.Sprintf("%s/%d", f.name, i/serverGoldenBucket)
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
		if serverGoldenDigests[k] != got[k] {
			t.Errorf("%s: output digest %s, recorded %s", k, got[k], serverGoldenDigests[k])
		}
	}
	if len(keys) != len(serverGoldenDigests) {
		t.Errorf("%d digests computed, %d recorded", len(keys), len(serverGoldenDigests))
	}
}

func serverGoldenOutput(a ServerAssignor, in serverInput) string {
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

var goldenRacks = []string{"r0", "r1", "r2", "r3"}

// drawRacks gives a topic's partitions racks: none, all the same set, or
// random sets of 0 to 3 racks (repeats and empty names included).
func drawRacks(r *rand.Rand, n int32) [][]string {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		same := sample(r, goldenRacks, 1+r.IntN(3))
		out := make([][]string, n)
		for p := range out {
			out[p] = slices.Clone(same)
			r.Shuffle(len(out[p]), func(i, j int) { out[p][i], out[p][j] = out[p][j], out[p][i] })
		}
		return out
	}
	out := make([][]string, n)
	for p := range out {
		out[p] = sample(r, goldenRacks, r.IntN(4))
		if r.IntN(10) == 0 {
			out[p] = append(out[p], "")
		}
		if r.IntN(10) == 0 && len(out[p]) > 0 {
			out[p] = append(out[p], out[p][0])
		}
	}
	return out
}

// drawServerSmall is genServerInput's distribution from a seed: up to 6
// members and 10 partitions, mixed subscriptions, racks.
func drawServerSmall(r *rand.Rand) serverInput {
	topics := map[string]TopicMetadata{}
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
		topics[name] = TopicMetadata{Partitions: n, Racks: drawRacks(r, n)}
		names = append(names, name)
	}
	subsFrom := append(slices.Clone(names), "missing")
	members := make([]Member, 1+r.IntN(6))
	for i := range members {
		m := Member{ID: fmt.Sprintf("m%d", i), Generation: int32(r.IntN(3)) - 1}
		if r.IntN(5) == 0 {
			m.InstanceID = fmt.Sprintf("i%d", r.IntN(10))
		}
		if r.IntN(4) > 0 {
			m.Rack = goldenRacks[r.IntN(len(goldenRacks))]
		}
		if r.IntN(3) == 0 {
			m.Topics = slices.Clone(names)
		} else {
			m.Topics = sample(r, subsFrom, r.IntN(len(subsFrom)+1))
		}
		members[i] = m
	}
	all := goldenServerPartitions(topics, names)
	all = append(all, spec.TopicPartition{Topic: "deleted", Partition: 0})
	for _, tp := range all {
		if o := r.IntN(len(members)+1) - 1; o >= 0 {
			members[o].Owned = append(members[o].Owned, tp)
		}
	}
	return serverInput{topics, members}
}

// drawServerHomogeneous is one shared subscription (one slice, or equal
// copies, or with repeats and missing topics), up to 60 members, topics of 0
// to 50 partitions, prior owners from an earlier assignment or at random
// (some members over their quota, some partitions out of range or on deleted
// topics), member racks with or without partition racks.
func drawServerHomogeneous(r *rand.Rand) serverInput {
	topics := map[string]TopicMetadata{}
	var names []string
	for i := range 1 + r.IntN(8) {
		name := fmt.Sprintf("topic-%d", i)
		n := int32(r.IntN(51))
		if r.IntN(5) == 0 {
			n = 0
		}
		md := TopicMetadata{Partitions: n}
		if r.IntN(4) == 0 {
			md.Racks = drawRacks(r, n)
		}
		topics[name], names = md, append(names, name)
	}
	sub := slices.Clone(names)
	r.Shuffle(len(sub), func(i, j int) { sub[i], sub[j] = sub[j], sub[i] })
	if r.IntN(4) == 0 {
		sub = append(sub, "missing")
	}
	if r.IntN(6) == 0 {
		sub = append(sub, sub[0])
	}
	members := make([]Member, 1+r.IntN(60))
	racked := r.IntN(3) == 0
	for i := range members {
		m := Member{ID: fmt.Sprintf("member%d", i), Topics: sub, Generation: -1}
		if r.IntN(3) == 0 {
			m.Topics = slices.Clone(sub)
		}
		if r.IntN(10) == 0 {
			m.InstanceID = fmt.Sprintf("inst%d", r.IntN(100))
		}
		if racked {
			m.Rack = goldenRacks[i%3]
		}
		members[i] = m
	}
	all := goldenServerPartitions(topics, names)
	switch r.IntN(3) {
	case 0: // fresh
	case 1: // random owners, some members holding much more than their share
		heavy := r.IntN(len(members))
		for _, tp := range all {
			switch o := r.IntN(len(members) + 2); {
			case o == len(members):
			case o == len(members)+1:
				members[heavy].Owned = append(members[heavy].Owned, tp)
			default:
				members[o].Owned = append(members[o].Owned, tp)
			}
		}
	default: // the previous assignment, then churn
		plan, err := Uniform{}.Assign(topics, members)
		if err != nil {
			panic(err)
		}
		for i := range members {
			members[i].Owned = plan[members[i].ID].Partitions()
		}
		switch r.IntN(4) {
		case 0: // members left
			k := r.IntN(len(members))
			members = slices.Delete(members, k, k+1+r.IntN(len(members)-k))
		case 1: // members joined
			for j := range 1 + r.IntN(5) {
				members = append(members, Member{ID: fmt.Sprintf("new%d", j), Topics: sub, Generation: -1})
			}
		case 2: // a topic grew or shrank
			t := names[r.IntN(len(names))]
			md := topics[t]
			md.Partitions = max(0, md.Partitions+int32(r.IntN(11))-5)
			md.Racks = nil
			topics[t] = md
		}
		if r.IntN(3) == 0 && len(members) > 0 {
			m := &members[r.IntN(len(members))]
			m.Owned = append(m.Owned, spec.TopicPartition{Topic: "deleted", Partition: 3},
				spec.TopicPartition{Topic: names[0], Partition: 999})
			r.Shuffle(len(m.Owned), func(i, j int) { m.Owned[i], m.Owned[j] = m.Owned[j], m.Owned[i] })
		}
	}
	if len(members) == 0 {
		members = []Member{{ID: "only", Topics: sub}}
	}
	r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return serverInput{topics, members}
}

// drawServerMixed is a bucketed heterogeneous group (as the JMH benchmark
// builds) or overlapping subscriptions, up to 40 members, with prior owners
// and racks.
func drawServerMixed(r *rand.Rand) serverInput {
	topics := map[string]TopicMetadata{}
	var names []string
	for i := range 2 + r.IntN(10) {
		name := fmt.Sprintf("topic-%d", i)
		n := int32(r.IntN(30))
		md := TopicMetadata{Partitions: n}
		if r.IntN(3) == 0 {
			md.Racks = drawRacks(r, n)
		}
		topics[name], names = md, append(names, name)
	}
	members := make([]Member, 1+r.IntN(40))
	buckets := 1 + r.IntN(5)
	for i := range members {
		m := Member{ID: fmt.Sprintf("member%d", i), Generation: -1}
		if r.IntN(2) == 0 {
			m.Rack = goldenRacks[r.IntN(3)]
		}
		if r.IntN(2) == 0 {
			b := i % buckets
			per := (len(names) + buckets - 1) / buckets
			m.Topics = names[min(b*per, len(names)):min((b+1)*per, len(names))]
		} else {
			m.Topics = sample(r, names, r.IntN(len(names)+1))
		}
		members[i] = m
	}
	if r.IntN(2) == 0 {
		plan, err := Uniform{}.Assign(topics, members)
		if err != nil {
			panic(err)
		}
		for i := range members {
			members[i].Owned = plan[members[i].ID].Partitions()
			if r.IntN(5) == 0 {
				members[i].Topics = sample(r, names, r.IntN(len(names)+1))
			}
		}
		members = append(members, Member{ID: "newMember", Topics: names[:1+r.IntN(len(names))]})
	}
	return serverInput{topics, members}
}

// drawServerInvalid plants defects: two owners of a partition, rack lists
// of the wrong length, negative partition counts, empty or repeated member
// ids, owned partitions out of range.
func drawServerInvalid(r *rand.Rand) serverInput {
	in := drawServerSmall(r)
	for range 1 + r.IntN(3) {
		m := &in.members[r.IntN(len(in.members))]
		switch r.IntN(8) {
		case 0:
			o := in.members[r.IntN(len(in.members))]
			if len(o.Owned) > 0 {
				m.Owned = append(m.Owned, o.Owned[r.IntN(len(o.Owned))])
			}
		case 1:
			t := fmt.Sprintf("t%d", r.IntN(4))
			md := in.topics[t]
			md.Racks = make([][]string, max(0, int(md.Partitions)+1-2*r.IntN(2)))
			in.topics[t] = md
		case 2:
			in.topics[fmt.Sprintf("t%d", r.IntN(5))] = TopicMetadata{Partitions: -1 - int32(r.IntN(2))}
		case 3:
			m.ID = ""
		case 4:
			m.ID = in.members[r.IntN(len(in.members))].ID
		case 5:
			m.Owned = append(m.Owned, spec.TopicPartition{Topic: fmt.Sprintf("t%d", r.IntN(4)), Partition: int32(r.IntN(14)) - 2})
		case 6: // the same partition twice in one list
			if len(m.Owned) > 0 {
				m.Owned = append(m.Owned, m.Owned[0])
			}
		default:
			slices.Reverse(m.Owned)
		}
	}
	return in
}

func goldenServerPartitions(topics map[string]TopicMetadata, names []string) []spec.TopicPartition {
	var all []spec.TopicPartition
	for _, name := range names {
		for p := range topics[name].Partitions {
			all = append(all, spec.TopicPartition{Topic: name, Partition: p})
		}
	}
	return all
}

// serverGoldenDigests were recorded with the implementation of commit 7e7bcfb.
var serverGoldenDigests = map[string]string{
	"small/0":       "34c84b00e91bf5701398764e4584c0c9",
	"small/1":       "8c49f37838a809a236ddd44d859997c6",
	"small/2":       "c1ca4dd7b01037f41d7eb216a93c03a5",
	"small/3":       "20feb73bc368acd6a53f67b82831d0db",
	"small/4":       "d22089ece274117040207851fc42f178",
	"small/5":       "85fff554f369ea61088e121f7f0bb7af",
	"small/6":       "750068182a8bc8300fafcf028bb3ad2a",
	"small/7":       "a5c483345b3ff23eec69b2947764fe14",
	"homogeneous/0": "0bd8c0d6e144aa3c1a0d2c9ac480e105",
	"homogeneous/1": "c2f5388e421fdc394c29880f9d1956cc",
	"homogeneous/2": "9801546f2946a291328b953af904741f",
	"homogeneous/3": "6dcfc937b17ef914c896a28c2701a2d1",
	"homogeneous/4": "bb8307bfede4d923b540a0728c370032",
	"homogeneous/5": "87a16036da7de7ea8e17155f2fbe9488",
	"homogeneous/6": "581dd313ed047fe505f0050901a7c9d5",
	"homogeneous/7": "16029c2a49e333a1624f814538a1c558",
	"mixed/0":       "957be5276ff7faec42b4770660dff57d",
	"mixed/1":       "546f7b7530e9d5c7148d9fd4f41e786e",
	"mixed/2":       "b9b03e9a822d42d63fc855608af73d91",
	"mixed/3":       "00956284da4fce9945abb78945deaf32",
	"invalid/0":     "803b0121363b1ed363f5bb2a18fb5c0f",
	"invalid/1":     "ac8d4534dba40d441fdf0d6f495cbf5d",
	"invalid/2":     "c81ce00686dc766c90922afbc9508e40",
	"invalid/3":     "494492ba5d5268a2cb6a867277a07cc2",
}
