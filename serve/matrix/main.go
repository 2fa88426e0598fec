// Command matrix runs kgroup serve with one consumer group mixing five
// real client libraries — franz-go kgo, IBM/sarama, segmentio/kafka-go,
// confluent-kafka-go (librdkafka 2.11, bundled) and KafkaJS (npm, on
// node) — once with each of them joining first (so leading the group),
// and reports per client: whether it joined, got partitions, processed
// records, the API versions it used, the errors it reported, and every
// rule kgroup serve saw broken or input it refused. Outside CI (minutes,
// and cgo); run it with serve/matrix/run.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kgroup/kgroup/serve"
	"github.com/kgroup/kgroup/spec"
)

var clients = []string{"kgo", "sarama", "kafka-go", "confluent", "kafkajs"}

var compression string

func newMember(name, nodeModules string) member {
	switch name {
	case "kgo":
		return &kgoMember{}
	case "sarama":
		return &saramaMember{}
	case "kafka-go":
		return &kafkaGoMember{}
	case "confluent":
		return &confluentMember{}
	}
	return &kafkaJSMember{modules: nodeModules}
}

func main() {
	nodeModules := flag.String("node-modules", "", "node_modules holding kafkajs (no KafkaJS member without it)")
	flag.StringVar(&compression, "compression", "none", "the producer's compression: none or snappy (franz-go's default, which KafkaJS cannot read)")
	protocol := flag.String("protocol", "roundrobin", "the assignor protocol every member offers: roundrobin or range")
	only := flag.String("clients", strings.Join(clients, ","), "the clients to mix")
	wait := flag.Duration("wait", 60*time.Second, "how long to wait for the group to settle")
	flag.Parse()
	names := strings.Split(*only, ",")
	if *nodeModules == "" {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "kafkajs" })
	}
	failed := false
	for _, lead := range names {
		order := append([]string{lead}, slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == lead })...)
		if !round(order, *protocol, *nodeModules, *wait) {
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// round is one group: order[0] joins first and leads; the others join
// once it is Stable; then the second member stops and the rest rebalance.
func round(order []string, protocol, nodeModules string, wait time.Duration) bool {
	fmt.Printf("\n## %s leads (protocol %s), then %s\n\n", order[0], protocol, strings.Join(order[1:], ", "))
	cfg := serve.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Topics = []serve.TopicSpec{{Name: topic, Partitions: 6}}
	cfg.Coordinator.InitialRebalanceDelayMs = 500
	srv, err := serve.Start(cfg)
	if err != nil {
		fmt.Println("start:", err)
		return false
	}
	defer srv.Close()
	addr := srv.Addr().String()
	produce(addr, 30)
	group := "matrix-" + order[0]
	var mu sync.Mutex
	var ledger spec.Ledger
	reps := map[string]*reporter{}
	members := map[string]member{}
	for i, name := range order {
		r := &reporter{name: name, onRec: func(p int32, o int64) {
			mu.Lock()
			ledger.Process(spec.TopicPartition{Topic: topic, Partition: p}, o, o+1)
			mu.Unlock()
		}}
		reps[name] = r
		m := newMember(name, nodeModules)
		if err := m.start(addr, group, protocol, r); err != nil {
			r.err("start: %v", err)
			continue
		}
		members[name] = m
		if i == 0 {
			settle(srv, group, 1, wait)
		}
	}
	full := settle(srv, group, len(members), wait)
	processed := waitProcessed(&mu, &ledger, 6*30, wait)
	second := order[1]
	members[second].stop()
	delete(members, second)
	after := settle(srv, group, len(members), wait)
	produce(addr, 10)
	processedAfter := waitProcessed(&mu, &ledger, 6*40, wait)
	for _, m := range members {
		m.stop()
	}
	report(srv, group, order, reps, full, after)
	mu.Lock()
	fmt.Printf("\nrecords: the first 180 all processed: %v; the next 60, after %s stopped: %v; %d processed in all, %d of them twice\n",
		processed, second, processedAfter, ledger.Processed, ledger.Duplicates)
	mu.Unlock()
	return full.ok && after.ok && len(srv.Violations()) == 0
}

// produce writes n records to every partition with kgo.
func produce(addr string, n int) {
	codec := kgo.NoCompression()
	if compression == "snappy" {
		codec = kgo.SnappyCompression()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID("producer"), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(codec))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for p := range int32(6) {
		for i := range n {
			recs = append(recs, &kgo.Record{Partition: p, Value: fmt.Appendf(nil, "%d-%d", p, i)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		panic(err)
	}
}

// settled is the group as the server held it when a wait ended.
type settled struct {
	ok   bool
	view spec.GroupView
}

// settle waits until the group is Stable with n members and every
// partition assigned.
func settle(srv *serve.Server, group string, n int, wait time.Duration) settled {
	deadline := time.Now().Add(wait)
	for {
		g, err := srv.Group(group)
		if err != nil {
			return settled{}
		}
		assigned := 0
		for _, m := range g.View.Members {
			assigned += m.Assignment.Len()
		}
		if g.View.State == spec.Stable && len(g.View.Members) == n && assigned == 6 {
			return settled{true, g.View}
		}
		if time.Now().After(deadline) {
			return settled{false, g.View}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitProcessed(mu *sync.Mutex, l *spec.Ledger, n int64, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		mu.Lock()
		var done int64
		for p := range int32(6) {
			done += l.End(spec.TopicPartition{Topic: topic, Partition: p})
		}
		mu.Unlock()
		if done >= n {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
