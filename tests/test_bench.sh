#!/bin/sh
# SPDX-License-Identifier: MIT
# test_bench.sh: sm-bench's contract: --help and --version, usage errors (exit 2, the option
# named, nothing on stdout), a missing model (exit 3), a failed write (exit 4); its markdown,
# CSV and JSON carry one row per model, configuration and test with every documented field;
# the man page lists exactly the options of --help and renders without warnings. Timings are
# never asserted, only that they are there and positive.
. "$SM_TOP_SRCDIR/tests/tap.sh"

bench="$SM_TOP_BUILDDIR/sm-bench"
man1="$SM_TOP_SRCDIR/man/sm-bench.1"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$SM_TOP_BUILDDIR/config.h")
test -x "$bench" || tap_skip_all "sm-bench not built at $bench"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# expect_run DESC STATUS ARGS...: runs sm-bench, checks the exit status; output in $tmp/out, err.
expect_run() {
    desc=$1
    want=$2
    shift 2
    tap_run_status "$desc" "$want" "$bench" "$@"
}

expect_run "--help" 0 --help
if grep -q '^Usage: sm-bench ' "$tmp/out" && ! test -s "$tmp/err"; then
    tap_ok "--help: usage on stdout, nothing on stderr"
else
    tap_fail "--help: usage on stdout, nothing on stderr" "$(head -3 "$tmp/out")"
fi
cp "$tmp/out" "$tmp/help"
expect_run "-h" 0 -h
tap_check "-h prints the same text as --help" cmp -s "$tmp/out" "$tmp/help"
expect_run "--version" 0 --version
if test "$(head -1 "$tmp/out")" = "sm-bench (SmallMind) $version" &&
    grep -qx "libsmallmind $version" "$tmp/out"; then
    tap_ok "--version names sm-bench, configure's version ($version) and the library's"
else
    tap_fail "--version names sm-bench and the versions" "$(cat "$tmp/out")"
fi

# Usage errors: exit 2, the offending option or value on stderr, nothing on stdout.
usage() { # usage DESC NEEDLE ARGS...
    desc=$1
    needle=$2
    shift 2
    expect_run "$desc" 2 "$@"
    if grep -qF -- "$needle" "$tmp/err" && ! test -s "$tmp/out"; then
        tap_ok "usage error: $desc: '$needle' named, stdout empty"
    else
        tap_fail "usage error: $desc: '$needle' named, stdout empty" "stderr: $(cat "$tmp/err")" \
            "stdout: $(head -3 "$tmp/out")"
    fi
}
usage "unknown option" "--frobnicate" --frobnicate
usage "stray argument" "stray" stray
usage "-t with a letter" "'x'" -t 1,x
usage "-t range backwards" "'8-1'" -t 8-1
usage "-t range factor 1" "factor" -t "1-8*1"
usage "-r 0" "--repetitions" -r 0
usage "-o xml" "xml" -o xml
usage "--placement diagonal" "diagonal" --placement diagonal
usage "--placement twice" "twice" --placement compact,compact
usage "--pin maybe" "maybe" --pin maybe
usage "--numa sideways" "sideways" --numa sideways
usage "-pg without N" "-pg" -pg 10
usage "-m without a value" "-m" -m
usage "--quick without --kernels" "--kernels" --quick
usage "--fail-on-regression without --compare" "--compare" --fail-on-regression 5
usage "--fail-on-regression 200" "200" --compare a b --fail-on-regression 200
usage "--compare with one file" "two files" --compare a
usage "--kernels with -m" "--kernels" --kernels -m builtin:small
# A newline in a value is shown as '?', so the reason stays one line (fuzz/fuzz_cli_args).
usage "-t with a newline" "'1?2'" -t "1
2"
tap_check "-t with a newline: the reason is one line" test "$(grep -c . "$tmp/err")" -eq 1
usage "-p 0 -n 0 and no -pg" "no test" -p 0 -n 0

# A test longer than the model's context: refused, naming both, before any row is printed.
expect_run "pp100 on builtin:small (context 64)" 2 -m builtin:small -p 100 -n 0 -r 1
tap_check "pp100: the test and the context are named" \
    grep -q "test pp100 needs 100 positions, more than the model's context of 64" "$tmp/err"

# A missing model: exit 3, the file named.
expect_run "a missing model file" 3 -m "$tmp/none.gguf" -r 1
tap_check "a missing model: the file is named" grep -q "$tmp/none.gguf" "$tmp/err"
expect_run "an unknown built-in" 3 -m builtin:huge -r 1
tap_check "an unknown built-in: the known ones are listed" grep -q "medium, small" "$tmp/err"

# Markdown: a header and one row per (model, threads, test); defaults on built-ins are the seed
# profiler's pp10, tg25 and pp10+tg25.
expect_run "default run, -t 1,2 -r 2" 0 -t 1,2 -r 2 --no-progress
rows=$(grep -c '^| builtin:' "$tmp/out")
if test "$rows" -eq 12 && grep -q '| builtin:medium | .* | F32 | 2 | pp10+tg25 | [0-9.]* ± [0-9.]* |' "$tmp/out" &&
    grep -q '| builtin:small | .* | 1 | tg25 |' "$tmp/out"; then
    tap_ok "md: 12 rows (2 models x 2 thread counts x pp10, tg25, pp10+tg25)"
else
    tap_fail "md: 12 rows" "$(cat "$tmp/out")"
fi
if ! test -s "$tmp/err"; then
    tap_ok "no progress line when stderr is not a terminal"
else
    tap_fail "no progress line when stderr is not a terminal" "$(cat "$tmp/err")"
fi

# JSON: one array, one object per (model, threads, test), with every documented field.
fields='model_filename model_type model_size model_n_params n_threads n_prompt n_gen avg_ts
stddev_ts samples_ts samples_ns avg_ns stddev_ns test placement numa pinning isa topology version
heap_bytes_per_token steals_local steals_remote n_batch type_kv use_mmap test_time context_bytes
peak_rss_bytes'
if command -v jq >/dev/null 2>&1; then
    expect_run "-o json" 0 -m builtin:small -p 8,16 -n 4 -pg 4,4 -t 1,2 -r 3 -o json
    cp "$tmp/out" "$tmp/run.json"
    if jq -e 'type == "array" and length == 8' "$tmp/run.json" >/dev/null; then
        tap_ok "json: an array of 8 objects (1 model x 2 thread counts x 4 tests)"
    else
        tap_fail "json: an array of 8 objects" "$(head -c 600 "$tmp/run.json")"
    fi
    missing=""
    for f in $fields; do
        jq -e --arg f "$f" 'all(.[]; has($f))' "$tmp/run.json" >/dev/null || missing="$missing $f"
    done
    if test -z "$missing"; then
        tap_ok "json: every object has every field ($(echo $fields | wc -w))"
    else
        tap_fail "json: every object has every field" "missing:$missing"
    fi
    if jq -e 'all(.[]; (.samples_ts | length) == 3 and all(.samples_ts[]; . > 0) and
            .avg_ts > 0 and .n_prompt + .n_gen > 0 and
            (.avg_ts - (.samples_ts | add / length) | fabs) <= 1e-6 * .avg_ts and
            (.isa | test("^(ref|avx2|avx512)$")) and .model_n_params == 437760 and
            .model_size == 4 * .model_n_params and .model_type == "gpt2 438K F32")' \
        "$tmp/run.json" >/dev/null; then
        tap_ok "json: 3 positive samples per test, avg_ts their mean, the model's figures"
    else
        tap_fail "json: samples, means and model figures" "$(head -c 1200 "$tmp/run.json")"
    fi
    # tok/s is tokens over seconds: n_prompt + n_gen over samples_ns.
    if jq -e 'all(.[]; . as $o | [range(0; 3)] | all(. as $i |
            (($o.n_prompt + $o.n_gen) / ($o.samples_ns[$i] * 1e-9) - $o.samples_ts[$i] | fabs)
            <= 1e-6 * $o.samples_ts[$i]))' "$tmp/run.json" >/dev/null; then
        tap_ok "json: each sample's tok/s is its tokens over its seconds"
    else
        tap_fail "json: each sample's tok/s is its tokens over its seconds"
    fi
    tests=$(jq -r '[.[] | select(.n_threads == 1) | .test] | join(",")' "$tmp/run.json")
    if test "$tests" = "pp8,pp16,tg4,pp4+tg4"; then
        tap_ok "json: the tests in order, named as llama-bench names them ($tests)"
    else
        tap_fail "json: the tests in order" "got $tests"
    fi
    if jq -e '[.[].n_threads] | unique == [1, 2]' "$tmp/run.json" >/dev/null; then
        tap_ok "json: n_threads 1 and 2"
    else
        tap_fail "json: n_threads 1 and 2" "$(jq -c '[.[].n_threads]' "$tmp/run.json")"
    fi
    # The library allocates nothing per token after the first evaluation: 0 heap bytes per
    # token wherever the build can count them (null where it cannot).
    if jq -e 'all(.[]; .heap_bytes_per_token == 0 or .heap_bytes_per_token == null)' \
        "$tmp/run.json" >/dev/null; then
        tap_ok "json: heap_bytes_per_token is 0 (or null: not counted in this build)"
    else
        tap_fail "json: heap_bytes_per_token" "$(jq -c '[.[].heap_bytes_per_token]' "$tmp/run.json")"
    fi
    # Lists of placements and pinning run every combination.
    expect_run "--placement and --pin lists" 0 -m builtin:small -n 2 -p 0 -t 1 -r 1 \
        --placement compact,spread --pin on,off -o json
    if jq -e 'length == 4 and ([.[] | .placement + "/" + .pinning] | sort ==
            ["compact/off", "compact/on", "spread/off", "spread/on"])' "$tmp/out" >/dev/null; then
        tap_ok "json: --placement compact,spread x --pin on,off: 4 configurations"
    else
        tap_fail "json: 4 configurations" "$(jq -c '[.[] | [.placement, .pinning]]' "$tmp/out")"
    fi
else
    tap_ok "json checks # SKIP jq not installed (apt-get install jq)"
fi

# CSV: the header and one line per test, the samples in one quoted field.
expect_run "-o csv" 0 -m builtin:small -p 8 -n 4 -t 1 -r 2 -o csv
if head -1 "$tmp/out" | grep -q '^model_filename,model_type,model_size,model_n_params,n_threads,' &&
    test "$(wc -l <"$tmp/out")" -eq 3 &&
    sed -n 2p "$tmp/out" | grep -q '^builtin:small,gpt2 438K F32,1751040,437760,1,compact,none,on,'; then
    tap_ok "csv: header and 2 lines"
else
    tap_fail "csv: header and 2 lines" "$(cat "$tmp/out")"
fi

# --compare: a run against itself is within noise everywhere; a run made slower on purpose (the
# scalar reference kernels, several times slower than SIMD ones on generation) is flagged, and
# --fail-on-regression turns that into exit 1. Unreadable or malformed files are exit 4.
# Samples of 64 tokens, 9 of them: a VM stall of ~5 ms in one sample of 16 tokens (0.5 ms)
# made it 10 times slower, and such outliers in both runs raised the noise floor past the
# 10-fold ratio (seen in CI with make check -j2 beside it; the floor is meant to widen for
# wild samples, see perf/bench_compare.c).
if command -v jq >/dev/null 2>&1; then
    "$bench" -m builtin:small -p 0 -n 64 -t 1 -r 9 -o json >"$tmp/base.json" 2>"$tmp/err"
    SM_KERNELS=ref "$bench" -m builtin:small -p 0 -n 64 -t 1 -r 9 -o json >"$tmp/ref.json" \
        2>>"$tmp/err"
    expect_run "--compare a run with itself" 0 --compare "$tmp/base.json" "$tmp/base.json" \
        --fail-on-regression 5
    if grep -q '| builtin:small | 1 | tg64 | .* | 1.000 | within noise |' "$tmp/out"; then
        tap_ok "--compare a run with itself: ratio 1.000, within noise"
    else
        tap_fail "--compare a run with itself: within noise" "$(cat "$tmp/out")"
    fi
    if test "$(jq -r '.[0].isa' "$tmp/ref.json")" = ref; then
        expect_run "--compare default kernels with SM_KERNELS=ref" 1 --compare "$tmp/base.json" \
            "$tmp/ref.json" --fail-on-regression 10
        if grep -q '| builtin:small | 1 | tg64 | .* | slower |' "$tmp/out" &&
            grep -q "fail-on-regression 10: builtin:small" "$tmp/err"; then
            tap_ok "--compare: the reference kernels' run is slower, and named on stderr"
        else
            tap_fail "--compare: the reference kernels' run is slower" "$(cat "$tmp/out")" \
                "$(cat "$tmp/err")"
        fi
        expect_run "--compare -o json" 1 --compare "$tmp/base.json" "$tmp/ref.json" \
            --fail-on-regression 10 -o json
        if jq -e 'length == 1 and .[0].verdict == "slower" and .[0].ratio < 0.8' "$tmp/out" \
            >/dev/null; then
            tap_ok "--compare -o json: one pair, slower, ratio below 0.8"
        else
            tap_fail "--compare -o json" "$(cat "$tmp/out")"
        fi
    else
        tap_ok "--compare SM_KERNELS=ref # SKIP the build dispatches to ref already"
    fi
    printf '[{"model_filename": "m", "test": "tg1",}]' >"$tmp/bad.json"
    expect_run "--compare a malformed file" 4 --compare "$tmp/bad.json" "$tmp/base.json"
    tap_check "--compare a malformed file: the file and line:column named" \
        grep -q "bad.json:1:" "$tmp/err"
    expect_run "--compare a missing file" 4 --compare "$tmp/none.json" "$tmp/base.json"
    tap_check "--compare a missing file: named" grep -q "none.json" "$tmp/err"
else
    tap_ok "--compare checks # SKIP jq not installed (apt-get install jq)"
fi

# --profile: with md the report follows the table on stdout; with json it goes to stderr and
# stdout stays one JSON array. Generation tests report the sampler's cost apart.
expect_run "--profile (md)" 0 -m builtin:small -p 8 -n 4 -t 1 -r 2 --profile
if test "$(grep -c '^| builtin:small ' "$tmp/out")" -eq 2 &&
    grep -q '^## Profile: builtin:small, pp8, 1 thread' "$tmp/out" &&
    grep -q '^## Profile: builtin:small, tg4, 1 thread' "$tmp/out" &&
    grep -q '^| matmul f32 | ' "$tmp/out" && grep -q '^| sampling | 8 | ' "$tmp/out" &&
    test "$(sed -n '1,4p' "$tmp/out" | grep -c '^| builtin:small ')" -eq 2; then
    tap_ok "--profile md: the table first, then a profile per test (8 tokens sampled for tg4 x 2)"
else
    tap_fail "--profile md" "$(head -40 "$tmp/out")"
fi
if command -v jq >/dev/null 2>&1; then
    expect_run "--profile -o json" 0 -m builtin:small -p 8 -n 0 -t 1 -r 2 --profile -o json
    if jq -e 'length == 1' "$tmp/out" >/dev/null && grep -q '^## Profile: builtin:small, pp8' "$tmp/err"; then
        tap_ok "--profile -o json: stdout parses, the profile is on stderr"
    else
        tap_fail "--profile -o json" "$(cat "$tmp/out")" "$(head -5 "$tmp/err")"
    fi
fi

# --kernels: the quick tables as JSON, one object per row and thread count, with the issue's
# fields; rows measured beside a reference name it and carry its figure; every check passed.
if command -v jq >/dev/null 2>&1; then
    expect_run "--kernels --quick -t 1,2 -o json" 0 --kernels --quick -t 1,2 -r 2 -o json
    if jq -e 'length > 0 and all(.[]; has("kernel") and has("type") and has("m") and has("n") and
            has("k") and has("n_threads") and has("median_us") and has("gflops") and
            has("gbps") and .median_us > 0) and
            ([.[].n_threads] | unique == [1, 2]) and
            ([.[].kernel] | index("sgemm") != null and index("gemv") != null) and
            all(.[] | select(.kernel == "sgemm"); .gflops > 0) and
            all(.[] | select(.kernel == "gemv"); .gbps > 0 and .ref_name == "memread" and
                .ref_gbps > 0) and
            all(.[] | select(.ref_name == "openblas"); .ref_gflops > 0) and
            all(.[]; .check != "FAIL")' "$tmp/out" >/dev/null; then
        tap_ok "--kernels -o json: every row has the fields; sgemm GFLOP/s, gemv GB/s beside memread"
    else
        tap_fail "--kernels -o json" "$(head -c 1500 "$tmp/out")"
    fi
else
    tap_ok "--kernels json checks # SKIP jq not installed (apt-get install jq)"
fi
expect_run "--kernels --type q9_9" 2 --kernels --type q9_9
tap_check "--kernels --type q9_9: the value and the accepted ones named" \
    grep -q "q9_9.*q4_K" "$tmp/err"

# A failed write is exit 4 with a message.
if test -w /dev/full; then
    "$bench" -m builtin:small -p 4 -n 0 -r 1 >/dev/full 2>"$tmp/err"
    got=$?
    if test "$got" -eq 4 && grep -q "cannot write" "$tmp/err"; then
        tap_ok "writing to a full disk: exit 4, said on stderr"
    else
        tap_fail "writing to a full disk: exit 4" "got $got" "$(cat "$tmp/err")"
    fi
else
    tap_ok "writing to a full disk # SKIP no /dev/full"
fi

# The man page lists exactly the options --help lists (long names, OPTIONS section only).
sed -n '/^Options:/,/^$/p' "$tmp/help" | grep -o -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u \
    >"$tmp/help-opts"
awk '/^\.SH /{p = ($2 == "OPTIONS")} p' "$man1" | grep -o -- '\\-\\-[a-z][a-z0-9\\-]*' |
    sed 's/\\-/-/g' | LC_ALL=C sort -u >"$tmp/man-opts"
if test -s "$tmp/help-opts" && diff -u "$tmp/help-opts" "$tmp/man-opts" >"$tmp/diff"; then
    tap_ok "sm-bench.1 OPTIONS lists exactly the options of --help ($(wc -l <"$tmp/help-opts"))"
else
    tap_fail "sm-bench.1 OPTIONS lists exactly the options of --help" "$(cat "$tmp/diff")"
fi
if command -v man >/dev/null 2>&1; then
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man1" >"$tmp/page" 2>"$tmp/warn"
    got=$?
    if test "$got" -eq 0 && test -s "$tmp/page" && ! test -s "$tmp/warn"; then
        tap_ok "man -l sm-bench.1 renders without warnings"
    else
        tap_fail "man -l sm-bench.1 renders without warnings" "exit $got" "$(cat "$tmp/warn")"
    fi
else
    tap_ok "man -l sm-bench.1 renders # SKIP man not installed (apt-get install man-db)"
fi

tap_done
