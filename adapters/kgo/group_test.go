package kgroupkgo

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kgroup/kgroup/adapters/kgo/grouptest"
)

// Real franz-go consumers in one group against kfake, some balancing with
// kgroup, some with franz-go's own balancer for the same protocol: whoever
// leads, the other side must read its metadata and assignments, every
// partition must end up owned exactly once, balanced, sticky, and no
// partition may be held by two members at once.

type side struct {
	name     string
	balancer func() kgo.GroupBalancer
}

// TestMixedGroups runs, for each protocol, a group whose first member (the
// leader) balances with one side and whose second with the other; a third
// joins, then the leader leaves, so the leadership moves. Both orders run,
// so kgroup leads franz-go members and franz-go leads kgroup members.
func TestMixedGroups(t *testing.T) {
	for _, proto := range []struct {
		name          string
		kgroup, franz side
		sticky        []string // whose partitions must stay with them
	}{
		{"cooperative-sticky", side{"kgroup", CooperativeStickyBalancer}, side{"franz", kgo.CooperativeStickyBalancer}, []string{"kgroup", "franz"}},
		// An eager franz-go consumer reports no prior assignment (it forgets
		// it when it revokes), so only kgroup's members can stay sticky.
		{"sticky", side{"kgroup", StickyBalancer}, side{"franz", kgo.StickyBalancer}, []string{"kgroup"}},
	} {
		for _, order := range [][2]side{{proto.kgroup, proto.franz}, {proto.franz, proto.kgroup}} {
			name := proto.name + "/" + order[0].name + "-leads"
			t.Run(name, func(t *testing.T) {
				runMixed(t, grouptest.NewCluster(t), strings.ReplaceAll(name, "/", "-"), order, proto.sticky)
			})
		}
	}
}

func runMixed(t *testing.T, c *kfake.Cluster, group string, order [2]side, sticky []string) {
	l := grouptest.NewLedger()
	sides := []side{order[0], order[1], order[0]}
	leads := make([]*grouptest.Leading, len(sides))
	var steps []grouptest.Step
	for i, s := range sides {
		leads[i] = &grouptest.Leading{GroupBalancer: s.balancer()}
		steps = append(steps, grouptest.Step{Name: fmt.Sprintf("%s-%d", s.name, i), Start: func(name string) grouptest.Member {
			return grouptest.JoinKgo(t, c, l, group, name, leads[i])
		}})
	}
	final := grouptest.Rotate(t, l, steps, sticky...)
	if leads[0].Count() == 0 || leads[1].Count()+leads[2].Count() == 0 {
		t.Errorf("leaderships %d, %d, %d: the first member must lead, then another", leads[0].Count(), leads[1].Count(), leads[2].Count())
	}
	t.Logf("leaderships %d %d %d; final %v", leads[0].Count(), leads[1].Count(), leads[2].Count(), final)
}
