#!/bin/sh
# Regenerates results-server.txt: kgroup's KIP-848 uniform assignor and
# kfake's on Kafka's ServerSideAssignorBenchmark grid (BenchmarkServerUniform).
#
# GRID (default: a representative subset, see README.md; "." for all 360
# points) selects the points, BENCHTIME (default 1x) and COUNT (default 1) are
# passed to go test. kfake runs where its full assignment stays within its
# default budget (kfakeBudget in server_test.go); KFAKE_HEADLINE=1 also runs
# it, with no budget, on m5000-r50-t1000/heterogeneous/full (minutes a run).
set -e
cd "$(dirname "$0")"
grid=${GRID:-'^m(100|1000|5000|10000)-r(5|50)-t(10|1000)/[a-z]+/[a-z]+/norack$|^m(5000|10000)-r50-t1000/.*/rack$'}
benchtime=${BENCHTIME:-1x}
count=${COUNT:-1}
{
	go version
	echo "# GRID=$grid"
	KGROUP_BENCH_SERVER="$grid" go test -run '^$' -bench 'ServerUniform' -benchmem -benchtime "$benchtime" -count "$count" -timeout 3h
	if [ "$KFAKE_HEADLINE" = 1 ]; then
		echo "# kfake without a budget on the heterogeneous headline point"
		KGROUP_BENCH_KFAKE_BUDGET=0 KGROUP_BENCH_SERVER='^m5000-r50-t1000/heterogeneous/full/norack$' \
			go test -run '^$' -bench 'ServerUniform/.*/.*/.*/.*/kfake' -benchmem -benchtime 1x -count 1 -timeout 3h
	fi
} | tee results-server.txt
