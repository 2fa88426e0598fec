#!/usr/bin/env bash
# The long client matrix, outside CI: kgo, sarama, kafka-go,
# confluent-kafka-go (cgo, librdkafka 2.11 bundled) and KafkaJS (npm) in
# one group on kgroup serve, each leading once, with round-robin and with
# range. Needs a C compiler and node; takes a few minutes (the cgo build
# about a minute cold). Writes the report to stdout.
set -euo pipefail
cd "$(dirname "$0")"
js=$(mktemp -d)
trap 'rm -rf "$js"' EXIT
(cd "$js" && npm install --silent --no-audit --no-fund kafkajs@2.2.4 >/dev/null)
go build -o "$js/matrix" .
status=0
for protocol in roundrobin range; do
  clients=kgo,sarama,kafka-go,confluent,kafkajs
  [ "$protocol" = range ] && clients=kgo,sarama,kafka-go,confluent  # KafkaJS ships no range assignor
  "$js/matrix" -node-modules "$js/node_modules" -protocol "$protocol" -clients "$clients" || status=1
done
exit $status
