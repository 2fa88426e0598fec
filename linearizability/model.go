package linearizability

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/kgroup/kgroup/spec"
)

// key names one register: a partition of a group.
type key struct {
	group string
	tp    spec.TopicPartition
}

func (k key) String() string { return k.group + "/" + k.tp.String() }

// state is one register's value and the lowest generation its group may be
// at.
type state struct {
	offset int64 // -1: never committed
	gen    int32
}

type opKind uint8

const (
	kindCommit opKind = iota
	kindFetch
	kindSync
)

// input and output are one operation restricted to one register.
type input struct {
	kind   opKind
	gen    int32
	offset int64 // commit
}

type output struct {
	unknown bool // the answer never came
	code    spec.ErrorCode
	offset  int64 // fetch
}

// model is the register with its group's generation; its states are values.
var model = (&porcupine.NondeterministicModel{
	Init: func() []interface{} { return []interface{}{state{offset: -1}} },
	Step: func(st, in, out interface{}) []interface{} {
		return step(st.(state), in.(input), out.(output))
	},
	Hash: func(st interface{}) uint64 {
		s := st.(state)
		return uint64(s.offset)*0x9e3779b97f4a7c15 ^ uint64(uint32(s.gen))
	},
	DescribeOperation: describe,
	DescribeState: func(st interface{}) string {
		s := st.(state)
		return fmt.Sprintf("offset %d, generation ≥ %d", s.offset, s.gen)
	},
}).ToModel()

func step(s state, in input, out output) []interface{} {
	same := []interface{}{s}
	switch in.kind {
	case kindSync:
		if out.unknown || out.code != spec.None {
			return same
		}
		return []interface{}{state{offset: s.offset, gen: max(s.gen, in.gen)}}
	case kindCommit:
		canApply := in.gen < 0 || in.gen >= s.gen
		applied := state{offset: in.offset, gen: s.gen}
		if in.gen >= 0 {
			applied.gen = max(s.gen, in.gen)
		}
		switch {
		case out.unknown && canApply:
			return []interface{}{s, applied}
		case out.unknown || out.code != spec.None:
			return same
		case canApply:
			return []interface{}{applied}
		}
		return nil // accepted at a generation older than one the group showed
	case kindFetch:
		if out.unknown || out.code != spec.None || out.offset == s.offset {
			return same
		}
		return nil
	}
	return nil
}

func describe(in, out interface{}) string {
	i, o := in.(input), out.(output)
	res := "?"
	if !o.unknown {
		res = o.code.String()
	}
	switch i.kind {
	case kindSync:
		return fmt.Sprintf("sync gen %d -> %s", i.gen, res)
	case kindCommit:
		return fmt.Sprintf("commit %d at gen %d -> %s", i.offset, i.gen, res)
	}
	if !o.unknown && o.code == spec.None {
		res = fmt.Sprint(o.offset)
	}
	return "fetch -> " + res
}

// registers splits a history into one porcupine history per register, in
// order of their keys, each with the sync operations of its group. Client
// ids are numbered in order of appearance.
func registers(ops []Op) ([]key, [][]porcupine.Operation) {
	clients := map[string]int{}
	byKey := map[key][]porcupine.Operation{}
	var syncs = map[string][]porcupine.Operation{}
	for _, op := range ops {
		id, ok := clients[op.Client]
		if !ok {
			id = len(clients)
			clients[op.Client] = id
		}
		base := porcupine.Operation{ClientId: id, Call: op.Call, Return: math.MaxInt64}
		if op.Return != nil {
			base.Return = *op.Return
		}
		for _, reg := range split(op) {
			o := base
			o.Input, o.Output = reg.in, reg.out
			if op.Op == OpSync {
				syncs[op.Input.Group] = append(syncs[op.Input.Group], o)
			} else {
				k := key{op.Input.Group, reg.tp}
				byKey[k] = append(byKey[k], o)
			}
		}
	}
	keys := make([]key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.group != b.group {
			return strings.Compare(a.group, b.group)
		}
		return a.tp.Compare(b.tp)
	})
	hist := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		hist[i] = append(byKey[k], relevantSyncs(byKey[k], syncs[k.group])...)
	}
	return keys, hist
}

// relevantSyncs keeps the syncs that can constrain a register's commits: a
// sync at generation g bounds only a commit at a generation below g that
// may take effect after the sync does, that is one that had not returned
// when the sync was called. The others change nothing the register's
// history can show, and leaving them out keeps each register's history
// short when a group has many syncs.
func relevantSyncs(ops, syncs []porcupine.Operation) []porcupine.Operation {
	type commit struct {
		gen int32
		ret int64
	}
	var cs []commit
	for _, o := range ops {
		if in := o.Input.(input); in.kind == kindCommit && in.gen >= 0 {
			cs = append(cs, commit{in.gen, o.Return})
		}
	}
	slices.SortFunc(cs, func(a, b commit) int { return int(a.gen) - int(b.gen) })
	latest := make([]int64, len(cs)) // latest[i]: the latest return among cs[:i+1]
	for i, c := range cs {
		latest[i] = c.ret
		if i > 0 {
			latest[i] = max(latest[i], latest[i-1])
		}
	}
	var out []porcupine.Operation
	for _, o := range syncs {
		g := o.Input.(input).gen
		below, _ := slices.BinarySearchFunc(cs, g, func(c commit, g int32) int { return int(c.gen) - int(g) })
		if below > 0 && latest[below-1] >= o.Call {
			out = append(out, o)
		}
	}
	return out
}

type registerOp struct {
	tp  spec.TopicPartition
	in  input
	out output
}

// split is one operation as it touches each register.
func split(op Op) []registerOp {
	unknown := op.Output == nil
	switch op.Op {
	case OpSync:
		o := output{unknown: unknown}
		if !unknown {
			o.code = op.Output.Error
		}
		return []registerOp{{in: input{kind: kindSync, gen: op.Input.Generation}, out: o}}
	case OpCommit:
		var out []registerOp
		for _, c := range op.Input.Offsets {
			o := output{unknown: unknown}
			if !unknown {
				o.code = resultOf(op.Output, c.TopicPartition, spec.UnknownServerError).Error
			}
			out = append(out, registerOp{tp: c.TopicPartition, in: input{kind: kindCommit, gen: op.Input.Generation, offset: c.Offset}, out: o})
		}
		return out
	}
	var out []registerOp
	for _, tp := range op.Input.Partitions {
		o := output{unknown: unknown}
		if !unknown {
			r := resultOf(op.Output, tp, spec.UnknownServerError)
			o.code, o.offset = r.Error, r.Offset
			if op.Output.Error != spec.None {
				o.code = op.Output.Error
			}
		}
		out = append(out, registerOp{tp: tp, in: input{kind: kindFetch}, out: o})
	}
	return out
}

// resultOf finds the partition's result; a partition the answer leaves out
// counts as failed with code missing (no constraint).
func resultOf(o *Output, tp spec.TopicPartition, missing spec.ErrorCode) PartitionResult {
	for _, r := range o.Partitions {
		if r.TopicPartition == tp {
			return r
		}
	}
	return PartitionResult{TopicPartition: tp, Error: missing}
}
