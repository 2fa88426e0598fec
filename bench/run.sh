#!/bin/sh
# Regenerates results.txt (raw `go test -bench` output) and tables.md (the
# tables of README.md) on this machine: kgroup against franz-go from the same
# JoinGroup bytes to SyncGroup bytes (BenchmarkWire), on decoded input
# (BenchmarkAssign) and the decoded API's output floor (BenchmarkPlanFloor).
#
# PASSES interleaved passes (default 5), each running every benchmark once
# (-count 1) at -benchtime BENCHTIME (default 1s): the i-th sample of kgroup
# and of franz-go on a shape are measured minutes apart at most, so noise
# from other work on the machine hits both sides alike. About 20 minutes on
# 2 cores; needs about 4 GiB of memory. sarama's rows are not re-run (over
# half an hour): results-sarama.txt keeps them from an earlier full run.
set -e
cd "$(dirname "$0")"
passes=${PASSES:-5}
benchtime=${BENCHTIME:-1s}
{
	go version
	for pass in $(seq "$passes"); do
		echo "# pass $pass of $passes"
		go test -run '^$' -bench '(Wire|Assign|PlanFloor)/.*/.*/(kgroup|franz)' \
			-benchmem -benchtime "$benchtime" -count 1 -timeout 2h
	done
} | tee results.txt
go run ./report results.txt results-sarama.txt > tables.md
