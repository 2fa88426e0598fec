package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/IBM/sarama"
	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A member of the mixed group: one client library, consuming topic and
// reporting every record it processes and every error it reports.
type member interface {
	// start joins group on the server at addr with the assignor protocol.
	start(addr, group, protocol string, r *reporter) error
	stop()
}

// reporter collects what one client did.
type reporter struct {
	name    string
	mu      sync.Mutex
	records int
	errs    []string
	onRec   func(p int32, o int64)
}

func (r *reporter) record(p int32, o int64) {
	r.mu.Lock()
	r.records++
	r.mu.Unlock()
	r.onRec(p, o)
}

func (r *reporter) err(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < 5 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
}

const (
	topic     = "orders"
	sessionMs = 6000
)

// kgoMember is franz-go's kgo.
type kgoMember struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
}

type kgoLogger struct{ r *reporter }

func (l kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelError }
func (l kgoLogger) Log(_ kgo.LogLevel, msg string, kv ...any) {
	l.r.err("%s %v", msg, kv)
}

func (m *kgoMember) start(addr, group, protocol string, r *reporter) error {
	b := kgo.RoundRobinBalancer()
	if protocol == "range" {
		b = kgo.RangeBalancer()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ClientID("kgo"),
		kgo.Balancers(b), kgo.SessionTimeout(sessionMs*time.Millisecond), kgo.WithLogger(kgoLogger{r}))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cl, m.cancel, m.done = cl, cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			if fs.IsClientClosed() {
				return
			}
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.Canceled) {
					r.err("fetch %s-%d: %v", t, p, err)
				}
			})
			fs.EachRecord(func(rec *kgo.Record) { r.record(rec.Partition, rec.Offset) })
		}
	}()
	return nil
}

func (m *kgoMember) stop() { m.cancel(); m.cl.Close(); <-m.done }

// saramaMember is IBM/sarama's ConsumerGroup.
type saramaMember struct {
	g      sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
}

type saramaHandler struct{ r *reporter }

func (saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		h.r.record(msg.Partition, msg.Offset)
		s.MarkMessage(msg, "")
	}
	return nil
}

func (m *saramaMember) start(addr, group, protocol string, r *reporter) error {
	cfg := sarama.NewConfig()
	cfg.ClientID = "sarama"
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Group.Session.Timeout = sessionMs * time.Millisecond
	cfg.Consumer.Group.Heartbeat.Interval = time.Second
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	if protocol == "range" {
		cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	}
	g, err := sarama.NewConsumerGroup([]string{addr}, group, cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.g, m.cancel, m.done = g, cancel, make(chan struct{})
	go func() {
		for err := range g.Errors() {
			r.err("%v", err)
		}
	}()
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, saramaHandler{r}); err != nil && ctx.Err() == nil {
				r.err("consume: %v", err)
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	return nil
}

func (m *saramaMember) stop() { m.cancel(); <-m.done; m.g.Close() }

// kafkaGoMember is segmentio/kafka-go's Reader.
type kafkaGoMember struct {
	rd     *kafka.Reader
	cancel context.CancelFunc
	done   chan struct{}
}

func (m *kafkaGoMember) start(addr, group, protocol string, r *reporter) error {
	var b kafka.GroupBalancer = kafka.RoundRobinGroupBalancer{}
	if protocol == "range" {
		b = kafka.RangeGroupBalancer{}
	}
	m.rd = kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: group, Topic: topic,
		GroupBalancers: []kafka.GroupBalancer{b}, StartOffset: kafka.FirstOffset, SessionTimeout: sessionMs * time.Millisecond,
		HeartbeatInterval: time.Second, CommitInterval: 200 * time.Millisecond, MaxWait: 500 * time.Millisecond,
		Dialer:      &kafka.Dialer{ClientID: "kafka-go", Timeout: 10 * time.Second},
		ErrorLogger: kafka.LoggerFunc(func(f string, a ...any) { r.err(f, a...) })})
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel, m.done = cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			msg, err := m.rd.ReadMessage(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.err("read: %v", err)
				}
				continue
			}
			r.record(int32(msg.Partition), msg.Offset)
		}
	}()
	return nil
}

func (m *kafkaGoMember) stop() { m.cancel(); <-m.done; m.rd.Close() }

// confluentMember is confluent-kafka-go with its bundled librdkafka.
type confluentMember struct {
	c    *ckafka.Consumer
	quit chan struct{}
	done chan struct{}
}

func (m *confluentMember) start(addr, group, protocol string, r *reporter) error {
	c, err := ckafka.NewConsumer(&ckafka.ConfigMap{"bootstrap.servers": addr, "group.id": group, "client.id": "confluent",
		"partition.assignment.strategy": protocol, "auto.offset.reset": "earliest", "session.timeout.ms": sessionMs,
		"heartbeat.interval.ms": 1000, "auto.commit.interval.ms": 200, "go.logs.channel.enable": true})
	if err != nil {
		return err
	}
	go func() {
		for l := range c.Logs() {
			if l.Level <= 4 { // syslog levels: errors and warnings
				r.err("%s %s", l.Tag, l.Message)
			}
		}
	}()
	if err := c.SubscribeTopics([]string{topic}, nil); err != nil {
		return err
	}
	m.c, m.quit, m.done = c, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.done)
		for {
			select {
			case <-m.quit:
				return
			default:
			}
			switch e := c.Poll(100).(type) {
			case *ckafka.Message:
				if e.TopicPartition.Error != nil {
					r.err("%v", e.TopicPartition.Error)
					continue
				}
				r.record(e.TopicPartition.Partition, int64(e.TopicPartition.Offset))
			case ckafka.Error:
				r.err("%v", e)
			}
		}
	}()
	return nil
}

func (m *confluentMember) stop() { close(m.quit); <-m.done; m.c.Close() }

// kafkaJSMember is KafkaJS from npm, run by node; its built-in round-robin
// assigner is registered under Kafka's protocol name "roundrobin"
// (KafkaJS calls it "RoundRobinAssigner", which no other client shares).
type kafkaJSMember struct {
	modules string // node_modules holding kafkajs
	cmd     *exec.Cmd
	done    chan struct{}
}

const kafkaJSScript = `
const { Kafka, logLevel, PartitionAssigners } = require('kafkajs')
const [addr, group, protocol] = process.argv.slice(2)
const kafka = new Kafka({ clientId: 'kafkajs', brokers: [addr], logLevel: logLevel.ERROR })
const named = ({ cluster }) => ({ ...PartitionAssigners.roundRobin({ cluster }), name: protocol })
const consumer = kafka.consumer({ groupId: group, sessionTimeout: %d, heartbeatInterval: 1000, partitionAssigners: [named] })
const run = async () => {
  await consumer.connect()
  await consumer.subscribe({ topic: '%s', fromBeginning: true })
  await consumer.run({ autoCommitInterval: 200, eachMessage: async ({ partition, message }) => {
    process.stdout.write(partition + ' ' + message.offset + '\n')
  } })
}
run().catch(e => { console.error('run: ' + e.message); process.exit(1) })
process.on('SIGTERM', async () => { await consumer.disconnect(); process.exit(0) })
`

func (m *kafkaJSMember) start(addr, group, protocol string, r *reporter) error {
	dir, err := os.MkdirTemp("", "kafkajs")
	if err != nil {
		return err
	}
	script := dir + "/consumer.js"
	if err := os.WriteFile(script, fmt.Appendf(nil, kafkaJSScript, sessionMs, topic), 0o644); err != nil {
		return err
	}
	m.cmd = exec.Command("node", script, addr, group, protocol)
	m.cmd.Env = append(os.Environ(), "NODE_PATH="+m.modules, "KAFKAJS_NO_PARTITIONER_WARNING=1")
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	errOut, err := m.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := m.cmd.Start(); err != nil {
		return err
	}
	m.done = make(chan struct{})
	go func() {
		sc := bufio.NewScanner(errOut)
		for sc.Scan() {
			r.err("%s", sc.Text())
		}
	}()
	go func() {
		defer close(m.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 2 {
				p, _ := strconv.ParseInt(f[0], 10, 32)
				o, _ := strconv.ParseInt(f[1], 10, 64)
				r.record(int32(p), o)
			}
		}
		m.cmd.Wait()
	}()
	return nil
}

func (m *kafkaJSMember) stop() {
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
}
