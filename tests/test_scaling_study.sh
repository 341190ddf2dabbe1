#!/bin/sh
# SPDX-License-Identifier: MIT
# test_scaling_study.sh: perf/scaling-study on a --quick run: the raw JSON kept as sm-bench
# wrote it, one CSV row per test, placement, pinning and thread count with the speedup,
# efficiency and steals per token recomputed here from raw.json, the summary naming the
# machine, real PNG files; usage errors exit 2 and missing tools exit 1, each named.
. "$SM_TOP_SRCDIR/tests/tap.sh"

study="$SM_TOP_SRCDIR/perf/scaling-study"
bench="$SM_TOP_BUILDDIR/sm-bench"
test -x "$bench" || tap_skip_all "sm-bench not built at $bench"
command -v bash >/dev/null 2>&1 || tap_skip_all "bash missing (the script is a bash script)"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# run_study DESC STATUS ARGS...: runs the script, checks its exit status; output in $tmp/out, err
run_study() {
    desc=$1
    want=$2
    shift 2
    "$study" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if test "$got" -eq "$want"; then
        tap_ok "$desc: exit $want"
    else
        tap_fail "$desc: exit $want" "got exit $got" "stderr: $(cat "$tmp/err")"
    fi
}

# said TEXT: the last run's stderr contains TEXT and its stdout is empty
said() {
    test ! -s "$tmp/out" && grep -qF -- "$1" "$tmp/err"
}

run_study "--help" 0 --help
tap_check "--help: usage on stdout" grep -q '^Usage: perf/scaling-study ' "$tmp/out"

# Usage errors: exit 2 before anything runs, the offending value named.
for case in "--no-such-option|--no-such-option" "-r abc|abc" "-t 3-1|3-1" "-t 0|'0'" \
    "--placement diagonal|diagonal" "--pin sideways|sideways" "-o|'-o' needs a value" \
    "-t 2 --max-threads 2|not both"; do
    args=${case%%|*}
    word=${case#*|}
    # shellcheck disable=SC2086 # word splitting of $args is intended
    run_study "usage error '$args'" 2 -o "$tmp/never" --bench "$bench" $args
    if said "$word" && test ! -e "$tmp/never"; then
        tap_ok "usage error '$args': names $word, creates no output folder"
    else
        tap_fail "usage error '$args': names $word, creates no output folder" \
            "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
    fi
done

# Missing tools: exit 1 before anything runs, saying which and how to get it.
run_study "a missing sm-bench" 1 --quick -o "$tmp/never" --bench "$tmp/no-sm-bench"
tap_check "a missing sm-bench: named, with the path" said "sm-bench not found: '$tmp/no-sm-bench'"
JQ="$tmp/no-jq" run_study "a missing jq" 1 --quick -o "$tmp/never" --bench "$bench"
tap_check "a missing jq: named, with its package" said "jq not found ('$tmp/no-jq')"
GNUPLOT="$tmp/no-gnuplot" run_study "a missing gnuplot" 1 --quick -o "$tmp/never" --bench "$bench"
tap_check "a missing gnuplot: named, --no-plots suggested" said "run with --no-plots"
tap_check "no output folder after the failures" test ! -e "$tmp/never"

if ! command -v jq >/dev/null 2>&1; then
    tap_ok "the --quick run and its outputs # SKIP jq missing (apt-get install jq)"
    tap_done
    exit
fi
plots=yes
no_plots=
if ! command -v gnuplot >/dev/null 2>&1; then
    plots=
    no_plots=--no-plots
fi

# --- The --quick run: builtin:small, threads 1 and 2, compact and spread, pin on and off ------
q="$tmp/q"
# shellcheck disable=SC2086 # $no_plots is empty or one word
run_study "--quick" 0 --quick -o "$q" --bench "$bench" $no_plots
tap_check "--quick: progress on stderr, nothing on stdout" said "scaling-study: running sm-bench"
json_array() { # json_array FILE: FILE parses as a non-empty JSON array
    jq -e 'type == "array" and length > 0' "$1" >/dev/null
}
tap_check "raw.json parses as a non-empty array" json_array "$q/raw.json"

header=model,test,placement,pinning,numa,n_threads,avg_ts,stddev_ts,speedup,efficiency,steals_local_per_token,steals_remote_per_token
tap_check "results.csv: the header" test "$(head -1 "$q/results.csv")" = "$header"

# The tests sm-bench ran, and per result the fields the derived columns come from.
jq -r '[.[].test] | unique[]' "$q/raw.json" >"$tmp/tests"
jq -r '.[] | [.model_filename, .test, .placement, .pinning, .numa, .n_threads, .avg_ts,
    .steals_local, .steals_remote, .n_prompt + .n_gen] | @tsv' "$q/raw.json" >"$tmp/raw.tsv"

# Every combination of the options given, once.
: >"$tmp/want"
while read -r t; do
    for pl in compact spread; do
        for pin in on off; do
            printf 'builtin:small,%s,%s,%s,none,1\nbuiltin:small,%s,%s,%s,none,2\n' \
                "$t" "$pl" "$pin" "$t" "$pl" "$pin" >>"$tmp/want"
        done
    done
done <"$tmp/tests"
tail -n +2 "$q/results.csv" | cut -d, -f1-6 | sort >"$tmp/got"
sort "$tmp/want" >"$tmp/want.sorted"
n_tests=$(wc -l <"$tmp/tests")
if test "$n_tests" -ge 1 && cmp -s "$tmp/got" "$tmp/want.sorted"; then
    tap_ok "results.csv: one row per test ($n_tests), placement, pinning and thread count"
else
    tap_fail "results.csv: one row per test, placement, pinning and thread count" \
        "$(diff "$tmp/want.sorted" "$tmp/got")"
fi

# check_rows DESC AWK-CONDITION: the condition holds on every results.csv row; the awk program
# knows raw[key] (avg_ts), sl[key], sr[key] (steals), tok[key] (tokens per run), where key is
# model|test|placement|pinning|numa|threads, and base = the 1-thread avg_ts of the row's group.
check_rows() {
    bad=$(awk -F'\t' -v csv="$q/results.csv" '
        function near(a, b) { d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a);
                              return d <= 1e-9 * m + 1e-12 }
        { k = $1 "|" $2 "|" $3 "|" $4 "|" $5 "|" $6; raw[k] = $7; sl[k] = $8; sr[k] = $9;
          tok[k] = $10 }
        END {
            FS = ","
            while ((getline line < csv) > 0) {
                if (++n == 1) continue
                split(line, f, ",")
                g = f[1] "|" f[2] "|" f[3] "|" f[4] "|" f[5]; k = g "|" f[6]; base = raw[g "|1"]
                avg = f[7]; speedup = f[9]; eff = f[10]; slt = f[11]; srt = f[12]
                if (!(k in raw) || !('"$2"')) print "row " n ": " line
            }
        }' "$tmp/raw.tsv")
    if test -z "$bad"; then tap_ok "$1"; else tap_fail "$1" "$bad"; fi
}
check_rows "results.csv: avg_ts as in raw.json" 'near(avg, raw[k])'
check_rows "results.csv: speedup is exactly 1 at 1 thread" 'f[6] != 1 || speedup == 1'
check_rows "results.csv: speedup is avg_ts over the 1-thread avg_ts" 'near(speedup, avg / base)'
check_rows "results.csv: efficiency is speedup over threads" 'near(eff, speedup / f[6])'
check_rows "results.csv: steals per token are raw.json's steals over the tokens of a run" \
    'near(slt, sl[k] / tok[k]) && near(srt, sr[k] / tok[k])'

topology=$(jq -r '.[0].topology' "$q/raw.json")
isa=$(jq -r '.[0].isa' "$q/raw.json")
if grep -qF "| topology | $topology |" "$q/summary.md" && grep -qF "| $isa |" "$q/summary.md"; then
    tap_ok "summary.md names the topology ($topology) and the kernels ($isa)"
else
    tap_fail "summary.md names the topology and the kernels" "$(head -12 "$q/summary.md")"
fi
missing=
while read -r t; do
    grep -qxF "## builtin:small, $t" "$q/summary.md" || missing="$missing $t"
done <"$tmp/tests"
tap_check "summary.md: a section per test (missing:${missing:- none})" test -z "$missing"

# is_png FILE: starts with the 8-byte PNG signature
is_png() {
    test "$(od -An -tx1 -N8 "$1" 2>/dev/null | tr -d ' \n')" = 89504e470d0a1a0a
}
if test -n "$plots"; then
    tap_check "speedup.png is a PNG file" is_png "$q/speedup.png"
    tap_check "tokens.png is a PNG file" is_png "$q/tokens.png"
else
    tap_ok "speedup.png and tokens.png # SKIP gnuplot missing (apt-get install gnuplot-nox)"
fi

# --- Options passed through: one test, one configuration, threads without 1 --------------------
p="$tmp/p"
run_study "-t 2 -p 0 -n 3 --placement spread --pin on --no-plots" 0 --quick -t 2 -p 0 -n 3 \
    --placement spread --pin on --no-plots -o "$p" --bench "$bench"
got=$(tail -n +2 "$p/results.csv" | cut -d, -f1-6 | tr '\n' ' ')
if test "$got" = "builtin:small,tg3,spread,on,none,1 builtin:small,tg3,spread,on,none,2 "; then
    tap_ok "the passed-through options shape the run; 1 thread is added as the baseline"
else
    tap_fail "the passed-through options shape the run; 1 thread is added" "rows: $got"
fi
tap_check "adding 1 thread is said on stderr" grep -q "adding 1 thread" "$tmp/err"
tap_check "--no-plots: no PNG" test ! -e "$p/speedup.png" -a ! -e "$p/tokens.png"

tap_done
