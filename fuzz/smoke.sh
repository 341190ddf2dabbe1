#!/bin/sh
# SPDX-License-Identifier: MIT
# smoke.sh: `make fuzz-smoke`'s runner. Runs each libFuzzer harness, one at a time, for SECONDS
# over its corpus DIR/corpus/NAME, then prints executions and corpus size per harness.
#   smoke.sh SECONDS MALLOC_LIMIT_MB DIR NAME...
# Fails when a harness fails: a crash, a sanitizer report, an input running over 10 s (a hang),
# an allocation over MALLOC_LIMIT_MB or RSS over 2 GiB (libFuzzer exits nonzero on each and
# saves the input as DIR/artifacts/NAME-*), or a run that executed nothing.
set -u

if [ $# -lt 4 ]; then
    echo "usage: smoke.sh SECONDS MALLOC_LIMIT_MB DIR NAME..." >&2
    exit 2
fi
secs=$1 mlimit=$2 dir=$3
shift 3
mkdir -p "$dir/artifacts"
# Reports name the source lines, and UBSan shows how it got there.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

failed=0
summary=""
for name in "$@"; do
    log="$dir/$name.fuzz.log"
    corpus="$dir/corpus/$name"
    echo "fuzz-smoke: $name for ${secs}s (log: $log)"
    "$dir/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb="$mlimit" -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$name-" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    # libFuzzer's last status line: "#N DONE cov: C ft: F corp: UNITS/SIZE ..."
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
    files=$(find "$corpus" -type f | wc -l)
    status=ok
    if [ "$rc" -ne 0 ] || [ -z "$execs" ] || [ "${execs:-0}" -eq 0 ] ||
        grep -q -e 'runtime error:' -e '^SUMMARY: ' "$log"; then
        status="FAILED (exit $rc)"
        failed=$((failed + 1))
        echo "fuzz-smoke: $name FAILED (exit $rc); the end of its log:" >&2
        tail -n 40 "$log" >&2
    fi
    summary="$summary$(printf '  %-16s %-18s %12s %9s %8s  %-14s %6s' \
        "$name" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}" "$files")
"
done

echo
echo "fuzz-smoke: ${secs}s per harness, -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=$mlimit"
printf '  %-16s %-18s %12s %9s %8s  %-14s %6s\n' harness result executions exec/s coverage \
    "corpus (units/size)" files
printf '%s' "$summary"
[ "$failed" -eq 0 ]
