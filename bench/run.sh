#!/bin/sh
# Regenerates results.txt (raw `go test -bench` output) and tables.md (the
# tables of README.md) on this machine. Takes about half an hour; needs
# about 4 GiB of memory.
set -e
cd "$(dirname "$0")"
{
	go version
	go test -run '^$' -bench 'Assign/.*/.*/(kgroup|franz)' -benchmem -benchtime 2s -count 5 -timeout 4h
	go test -run '^$' -bench 'PlanFloor' -benchmem -benchtime 2s -count 5 -timeout 4h
	go test -run '^$' -bench 'FranzDecode' -benchmem -benchtime 2s -count 5 -timeout 4h
	go test -run '^$' -bench 'Assign/.*/.*/sarama' -benchmem -benchtime 1x -count 1 -timeout 4h
} | tee results.txt
go run ./report < results.txt > tables.md
