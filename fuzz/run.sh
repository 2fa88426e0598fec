#!/usr/bin/env bash
# fuzz/run.sh DURATION [TARGET...]   fuzz each target for DURATION (go's
#                                    -fuzztime: 10m, 30s, 5000x)
# fuzz/run.sh --planted LIMIT [BUG...]
#                                    time FuzzClusterPlanted, from an empty
#                                    corpus, to find each planted bug
#
# Prints one line per target: executions, executions per second, inputs
# that found new coverage, the corpus size after, and the verdict. A
# failing input stays in the target's testdata/fuzz directory, as go
# leaves it: commit it with its fix. Exit status 1 if any target failed.
# KGROUP_FUZZ_SLOW (default 5s) fails an input of FuzzTranscript or
# FuzzScenario that takes longer. KGROUP_FUZZ_MINIMIZE (default go's 60s)
# is -fuzzminimizetime: go minimizes every input that finds new coverage
# for that long, execs it does not count, which on the targets with large
# inputs (FuzzConsumerGroup*, FuzzCluster*) is most of a short campaign.
set -euo pipefail
cd "$(dirname "$0")/.."

# target -> the directory (module or package) it lives in
declare -A where=(
	[FuzzCluster]=./fuzz [FuzzTranscript]=./fuzz [FuzzScenario]=./fuzz
	[FuzzRecords]=./fuzz [FuzzEvents]=./fuzz [FuzzClusterPlanted]=./fuzz
	[FuzzClusterConsumerGroups]=./fuzz [FuzzConsumerGroupRecords]=./fuzz [FuzzConsumerGroupHeartbeat]=./fuzz
	[FuzzAssignJSON]=./assignors [FuzzMemberMetadata]=./assignors
	[FuzzSubscriptionVsKmsg]=bench
)
all=(FuzzCluster FuzzClusterConsumerGroups FuzzTranscript FuzzScenario FuzzRecords FuzzConsumerGroupRecords
	FuzzConsumerGroupHeartbeat FuzzEvents FuzzAssignJSON FuzzMemberMetadata FuzzSubscriptionVsKmsg)
export KGROUP_FUZZ_SLOW="${KGROUP_FUZZ_SLOW:-5s}"
minimize=()
[[ -n ${KGROUP_FUZZ_MINIMIZE:-} ]] && minimize=(-fuzzminimizetime "$KGROUP_FUZZ_MINIMIZE")

usage() { sed -n '2,16p' "$0" >&2; exit 2; }

# fuzz TARGET FUZZTIME [go test flags...]: runs one target, leaves its
# output in $log.
fuzz() {
	local target=$1 time=$2 dir=${where[$1]}
	shift 2
	log=$(mktemp)
	local status=0
	if [[ $dir == bench ]]; then
		(cd bench && go test . -run '^$' -fuzz "^$target\$" -fuzztime "$time" "$@") >"$log" 2>&1 || status=$?
	else
		go test "$dir" -run '^$' -fuzz "^$target\$" -fuzztime "$time" "$@" >"$log" 2>&1 || status=$?
	fi
	return $status
}

# deadline_race: the run in $log failed only by Go's own race at the end of
# -fuzztime (go.dev/issue/75804, fixed in Go 1.27): "context deadline
# exceeded" and no failing input written.
deadline_race() {
	grep -aq '^    context deadline exceeded$' "$log" && ! grep -aq 'Failing input written' "$log"
}

# summary TARGET STATUS: one line from the last progress line of $log.
summary() {
	local target=$1 status=$2 last verdict
	last=$(grep -a '^fuzz: elapsed' "$log" | tail -1 || true)
	verdict=ok
	[[ $status -eq 0 && -n ${race:-} ]] && verdict="ok (then Go's end-of-fuzztime race, go.dev/issue/75804: no failing input)"
	[[ $status -ne 0 ]] && verdict="FAILED (see below)"
	awk -v t="$target" -v v="$verdict" -v line="$last" 'BEGIN {
		n = split(line, f, /[ ,():]+/)
		for (i = 1; i <= n; i++) {
			if (f[i] == "elapsed") el = f[i+1]
			if (f[i] == "execs") ex = f[i+1]
			if (f[i] == "interesting") ni = f[i+1]
			if (f[i] == "total") tot = f[i+1]
		}
		secs = 0; s = el
		if (match(s, /[0-9.]+h/)) { secs += 3600 * substr(s, RSTART, RLENGTH-1); s = substr(s, RSTART+RLENGTH) }
		if (match(s, /[0-9.]+m/)) { secs += 60 * substr(s, RSTART, RLENGTH-1); s = substr(s, RSTART+RLENGTH) }
		if (match(s, /[0-9.]+s/)) { secs += substr(s, RSTART, RLENGTH-1) }
		rate = secs > 0 ? ex / secs : 0
		printf "%-24s %8s %12s execs %8.0f/s  new %4s  corpus %5s  %s\n", t, el, ex, rate, ni, tot, v
	}'
	if [[ $status -ne 0 ]]; then
		grep -av '^fuzz: elapsed' "$log" | head -60
	fi
}

planted() {
	local limit=$1
	shift
	local bugs=("$@")
	if [[ ${#bugs[@]} -eq 0 ]]; then
		bugs=(skip-generation-bump double-assign accept-stale-commit no-expiry keep-on-rejoin skip-ahead
			commit-zero cooperative-revokes-all forget-group-record unpersisted-commit)
	fi
	local cache
	cache="$(go env GOCACHE)/fuzz/github.com/kgroup/kgroup/fuzz/FuzzClusterPlanted"
	for bug in "${bugs[@]}"; do
		rm -rf "$cache" fuzz/testdata/fuzz/FuzzClusterPlanted
		local status=0 start end
		start=$(date +%s.%N)
		KGROUP_FUZZ_PLANT=$bug fuzz FuzzClusterPlanted "$limit" || status=$?
		end=$(date +%s.%N)
		local found
		found=$(grep -a -m1 -o -- '--- FAIL: FuzzClusterPlanted ([0-9.]*s)' "$log" | grep -Eo '[0-9.]+s' || true)
		if [[ $status -ne 0 && -n $found ]]; then
			printf '%-24s found in %8s of fuzzing (%.0f s with the build): %s\n' "$bug" "$found" \
				"$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(grep -a -m1 'cluster_test.go:' "$log" | sed 's/^ *cluster_test.go:[0-9]*: //' | cut -c1-110)"
		else
			printf '%-24s NOT found within %s\n' "$bug" "$limit"
		fi
		rm -rf fuzz/testdata/fuzz/FuzzClusterPlanted
	done
}

[[ $# -ge 1 ]] || usage
if [[ $1 == --planted ]]; then
	[[ $# -ge 2 ]] || usage
	shift
	planted "$@"
	exit 0
fi
time=$1
shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
failed=0
for t in "${targets[@]}"; do
	[[ -n ${where[$t]:-} ]] || { echo "unknown target $t (known: ${all[*]})" >&2; exit 2; }
	status=0 race=
	fuzz "$t" "$time" "${minimize[@]}" || status=$?
	if [[ $status -ne 0 ]] && deadline_race; then
		status=0 race=1
	fi
	summary "$t" "$status"
	[[ $status -eq 0 ]] || failed=1
	rm -f "$log"
done
exit $failed
