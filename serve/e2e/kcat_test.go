package e2e

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kgroup/kgroup/spec"
)

// kcat (librdkafka, from Debian) members. .ci/serve-e2e installs kcat and
// sets KGROUP_E2E_KCAT=required, so that CI fails rather than skips
// without it.

func needKcat(t *testing.T) string {
	path, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("KGROUP_E2E_KCAT") == "required" {
			t.Fatal("kcat is required (apt-get install -y kcat)")
		}
		t.Skip("kcat not installed")
	}
	return path
}

// kcatMember is one kcat -G process.
type kcatMember struct {
	name, life string
	cmd        *exec.Cmd
	done       chan struct{}
}

// startKcat starts kcat -G as a member with this client id, printing
// "partition offset" for every record it consumes; librdkafka auto-commits
// what it has handed over every commitMs.
func (w *world) startKcat(kcat, name, strategy string, commitMs int) *kcatMember {
	w.t.Helper()
	w.mu.Lock()
	w.lives[name]++
	m := &kcatMember{name: name, life: fmt.Sprintf("%s#%d", name, w.lives[name]), done: make(chan struct{})}
	w.mu.Unlock()
	args := []string{"-b", w.b.addr, "-G", w.group, "-u", "-q", "-f", "%p %o\\n",
		"-X", "client.id=" + name, "-X", "partition.assignment.strategy=" + strategy,
		"-X", fmt.Sprintf("session.timeout.ms=%d", sessionMs), "-X", "heartbeat.interval.ms=200",
		"-X", fmt.Sprintf("auto.commit.interval.ms=%d", commitMs), "-X", "auto.offset.reset=earliest", "-X", "fetch.wait.max.ms=100"}
	m.cmd = exec.Command(kcat, append(args, topic)...)
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	var stderr strings.Builder
	m.cmd.Stderr = &stderr
	if err := m.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		m.cmd.Process.Kill()
		<-m.done
		if w.t.Failed() {
			w.t.Logf("%s stderr:\n%s", m.life, stderr.String())
		}
	})
	go func() {
		defer close(m.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			p, err1 := strconv.ParseInt(f[0], 10, 32)
			o, err2 := strconv.ParseInt(f[1], 10, 64)
			if err1 == nil && err2 == nil {
				w.processed(m.life, int32(p), o)
			}
		}
		m.cmd.Wait()
	}()
	return m
}

// kill is SIGKILL: no LeaveGroup, offsets handed over since the last
// auto-commit are never committed.
func (m *kcatMember) kill() {
	m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
}

// stop is SIGTERM: kcat closes its consumer (commits, leaves).
func (m *kcatMember) stop() {
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		m.kill()
	}
}

// settledOnServer waits until kgroup serve holds the group Stable with n
// members and every partition assigned once; it returns the group.
func (w *world) settledOnServer(n int) spec.GroupView {
	w.t.Helper()
	var g spec.GroupView
	w.waitUntil(fmt.Sprintf("group Stable with %d members on the server", n), func() bool {
		st, err := w.b.srv.Group(w.group)
		if err != nil {
			return false
		}
		g = st.View
		assigned := 0
		for _, m := range g.Members {
			assigned += m.Assignment.Len()
		}
		return g.State == spec.Stable && len(g.Members) == n && assigned == partitions
	})
	return g
}

// killUncommitted kills m once every record is processed, m's since its
// start never committed (its auto-commit interval is an hour); it returns
// how many records m processed, all of which someone must process again.
func (w *world) killUncommitted(m *kcatMember) int64 {
	w.t.Helper()
	w.allProcessed()
	m.kill()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count[m.life]
}

// replays checks that what a killed member never committed was processed
// again, counted by the ledger; it returns a summary.
func (w *world) replays(held int64) string {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lossErr != nil {
		w.t.Fatal(w.lossErr)
	}
	if held == 0 || w.ledger.Duplicates < held {
		w.t.Fatalf("the killed member processed %d records it never committed, but only %d were processed twice", held, w.ledger.Duplicates)
	}
	return fmt.Sprintf("%d records processed, %d twice (the killed member never committed %d)", w.ledger.Processed, w.ledger.Duplicates, held)
}

// resumed checks that incarnation life began every partition it processed
// at the offset in at.
func (w *world) resumed(life string, at map[int32]int64) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for p, first := range w.first[life] {
		if first != at[p] {
			w.t.Errorf("%s began partition %d at %d, not at the committed %d", life, p, first, at[p])
		}
	}
}

const hourMs = 3_600_000

// TestKcat: three kcat (librdkafka) members with range and with
// cooperative-sticky: the second, which never commits, is killed; the
// others rebalance and process its records again; it restarts and
// resumes at the committed offsets; every rule held on kgroup serve.
func TestKcat(t *testing.T) {
	kcat := needKcat(t)
	for _, strategy := range []string{"range", "cooperative-sticky"} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			b := kgroupBackend(t)
			w := newWorld(t, b, "kcat-"+strategy, nil, false)
			k := map[string]*kcatMember{}
			for i, name := range []string{"k1", "k2", "k3"} {
				k[name] = w.startKcat(kcat, name, strategy, map[bool]int{true: hourMs, false: 100}[name == "k2"])
				w.settledOnServer(i + 1)
			}
			w.produce(20)
			held := w.killUncommitted(k["k2"])
			w.settledOnServer(2)
			w.produce(20)
			w.allDone()
			k["k2"] = w.startKcat(kcat, "k2", strategy, 100)
			g := w.settledOnServer(3)
			resumeAt := maps.Clone(w.produced)
			w.produce(20)
			w.allDone()
			w.resumed("k2#2", resumeAt)
			t.Logf("kcat (%s), last generation %d: %s; versions used: %v", g.Protocol, g.Generation, w.replays(held), b.srv.VersionsUsed()["k1"])
			for _, m := range k {
				m.stop()
			}
			checkServer(t, b, strategy == "cooperative-sticky")
		})
	}
}

// TestMixedKgoAndKcat: two independent client implementations in one
// group with range: kgo members c1 and c3 and kcat member k2, which never
// commits, is killed, and restarts.
func TestMixedKgoAndKcat(t *testing.T) {
	kcat := needKcat(t)
	b := kgroupBackend(t)
	w := newWorld(t, b, "mixed", kgo.RangeBalancer, false)
	c1 := w.start("c1")
	w.settledOnServer(1)
	k2 := w.startKcat(kcat, "k2", "range", hourMs)
	w.settledOnServer(2)
	c3 := w.start("c3")
	g := w.settledOnServer(3)
	w.produce(20)
	held := w.killUncommitted(k2)
	w.settledOnServer(2)
	w.produce(20)
	w.allDone()
	k2 = w.startKcat(kcat, "k2", "range", 100)
	w.settledOnServer(3)
	resumeAt := maps.Clone(w.produced)
	w.produce(20)
	w.allDone()
	w.resumed("k2#2", resumeAt)
	k2.stop()
	c1.close()
	c3.close()
	t.Logf("kgo and kcat in one group (leader %s, %s): %s", g.Leader, g.Protocol, w.replays(held))
	checkServer(t, b, false)
}
