#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli.sh: sm-run's contract: --help and --version on stdout with exit 0, usage errors on
# stderr with exit 2 and nothing on stdout, write errors with exit 1, and a man page that lists
# exactly the options --help lists and renders without warnings.
. "$SM_TOP_SRCDIR/tests/tap.sh"

run="$SM_TOP_BUILDDIR/sm-run"
man1="$SM_TOP_SRCDIR/man/sm-run.1"
man3="$SM_TOP_SRCDIR/man/libsmallmind.3"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$SM_TOP_BUILDDIR/config.h")
test -x "$run" || tap_skip_all "sm-run not built at $run"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# expect_run DESC STATUS ARGS...: runs sm-run, checks the exit status; output in $tmp/out, err.
expect_run() {
    desc=$1
    want=$2
    shift 2
    "$run" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if test "$got" -eq "$want"; then
        tap_ok "$desc: exit $want"
    else
        tap_fail "$desc: exit $want" "got exit $got" "stderr: $(cat "$tmp/err")"
    fi
}

expect_run "--help" 0 --help
if grep -q '^Usage: sm-run ' "$tmp/out" && ! test -s "$tmp/err"; then
    tap_ok "--help: usage on stdout, nothing on stderr"
else
    tap_fail "--help: usage on stdout, nothing on stderr" "stdout: $(head -3 "$tmp/out")"
fi
cp "$tmp/out" "$tmp/help"

expect_run "-h" 0 -h
tap_check "-h prints the same text as --help" cmp -s "$tmp/out" "$tmp/help"

expect_run "--version" 0 --version
first=$(head -1 "$tmp/out")
if test -n "$version" && test "$first" = "sm-run (SmallMind) $version"; then
    tap_ok "--version names sm-run and configure's version ($version)"
else
    tap_fail "--version names sm-run and configure's version" "got '$first', want version '$version'"
fi
if grep -qx "libsmallmind $version" "$tmp/out"; then
    tap_ok "--version reports the loaded library's version"
else
    tap_fail "--version reports the loaded library's version" "$(cat "$tmp/out")"
fi

# Usage errors: exit 2, the offending argument named on stderr, stdout untouched.
for args in "--no-such-flag" "-Z" "--help=yes" "stray-argument" "-- stray" "-hh"; do
    # shellcheck disable=SC2086 # word splitting of $args is intended
    expect_run "usage error '$args'" 2 $args
    first_word=${args%% *}
    test "$args" = "-- stray" && first_word=stray
    if test ! -s "$tmp/out" && grep -qF -- "$first_word" "$tmp/err" &&
        grep -qF "Try 'sm-run --help'" "$tmp/err"; then
        tap_ok "usage error '$args': names '$first_word' on stderr, stdout empty"
    else
        tap_fail "usage error '$args': names '$first_word' on stderr, stdout empty" \
            "stdout: $(cat "$tmp/out")" "stderr: $(cat "$tmp/err")"
    fi
done

expect_run "no arguments" 2
tap_check "no arguments: says why on stderr" test -s "$tmp/err"

for args in "--threads abc" "-t -1" "-t 4097" "--placement diagonal" "--threads" \
    "--topology-synthetic x --topology-xml y"; do
    # shellcheck disable=SC2086 # word splitting of $args is intended
    expect_run "usage error '$args'" 2 $args
    if test ! -s "$tmp/out" && grep -q "^sm-run: .*option" "$tmp/err"; then
        tap_ok "usage error '$args': the option is named on stderr"
    else
        tap_fail "usage error '$args': the option is named on stderr" "$(cat "$tmp/err")"
    fi
done

# --topology on this machine: one worker per core, counted independently by hwloc-calc.
expect_run "--topology" 0 --topology
workers=$(grep -cE '^ +[0-9]+ +[0-9]+ ' "$tmp/out")
if command -v hwloc-calc >/dev/null 2>&1; then
    cores=$(hwloc-calc --number-of core all)
    if test "$workers" -eq "$cores" && grep -q "^workers:  $cores," "$tmp/out"; then
        tap_ok "--topology: one worker per core ($cores)"
    else
        tap_fail "--topology: one worker per core" "hwloc-calc: $cores cores" "$(cat "$tmp/out")"
    fi
else
    tap_ok "--topology: one worker per core # SKIP hwloc-calc missing (apt-get install hwloc)"
fi

# plan_column ARGS...: prints the node column (5th) of the worker rows of --topology
plan_nodes() {
    "$run" --topology "$@" 2>"$tmp/err" | awk '/^ +[0-9]+ +[0-9]+ / { printf "%s ", $5 }'
}
two_sockets="pack:2 [numa] l3:1 core:4 pu:2"
got=$(plan_nodes --topology-synthetic "$two_sockets" -t 4)
if test "$got" = "0 0 0 0 "; then
    tap_ok "--topology compact on 2 sockets fills node 0 first"
else
    tap_fail "--topology compact on 2 sockets fills node 0 first" "nodes: $got" "$(cat "$tmp/err")"
fi
got=$(plan_nodes --topology-synthetic "$two_sockets" --threads=4 --placement spread)
if test "$got" = "0 1 0 1 "; then
    tap_ok "--topology spread on 2 sockets alternates nodes"
else
    tap_fail "--topology spread on 2 sockets alternates nodes" "nodes: $got"
fi
# No threads given: one per core of the described machine, SMT siblings left out.
got=$(plan_nodes --topology-synthetic "$two_sockets")
if test "$got" = "0 0 0 0 1 1 1 1 "; then
    tap_ok "--topology synthetic: one worker per core of the described machine"
else
    tap_fail "--topology synthetic: one worker per core of the described machine" "nodes: $got"
fi

if command -v lstopo-no-graphics >/dev/null 2>&1; then
    lstopo-no-graphics -i "pack:2 [numa] core:3 pu:1" "$tmp/machine.xml"
    got=$(plan_nodes --topology-xml "$tmp/machine.xml")
    if test "$got" = "0 0 0 1 1 1 "; then
        tap_ok "--topology-xml reads an lstopo XML file"
    else
        tap_fail "--topology-xml reads an lstopo XML file" "nodes: $got" "$(cat "$tmp/err")"
    fi
else
    tap_ok "--topology-xml # SKIP lstopo-no-graphics missing (apt-get install hwloc)"
fi

expect_run "--topology with a bad synthetic description" 1 --topology --topology-synthetic \
    "pack:two"
if grep -qF '"pack:two"' "$tmp/err" && ! test -s "$tmp/out"; then
    tap_ok "bad synthetic description: named on stderr"
else
    tap_fail "bad synthetic description: named on stderr" "$(cat "$tmp/err")"
fi
expect_run "--topology with a missing XML file" 1 --topology --topology-xml "$tmp/none.xml"
tap_check "missing XML file: named on stderr" grep -qF "$tmp/none.xml" "$tmp/err"

if test -w /dev/full; then
    "$run" --help >/dev/full 2>"$tmp/err"
    got=$?
    if test "$got" -eq 1 && test -s "$tmp/err"; then
        tap_ok "--help into a full device: exit 1 with a message"
    else
        tap_fail "--help into a full device: exit 1 with a message" "got exit $got"
    fi
else
    tap_ok "--help into a full device # SKIP no /dev/full"
fi

# --perplexity on a fixture model: the result line on stdout with four decimals, the same
# digits for 1 and 2 workers (bit-identical logits), and clean failures on bad input.
model="${SM_FIXTURES:+$SM_FIXTURES/models/llama-tiny-q8_0.gguf}"
if test -n "$model" && test -f "$model"; then
    text="$SM_TOP_SRCDIR/README.md"
    expect_run "--perplexity, 1 thread" 0 -m "$model" --perplexity -f "$text" -c 64 -t 1
    cp "$tmp/out" "$tmp/ppl1"
    if grep -Eq '^perplexity: [0-9]+\.[0-9]{4} \+/- [0-9]+\.[0-9]{4} \([0-9]+ tokens scored in [0-9]+ windows of 64\)$' "$tmp/ppl1" &&
        test "$(wc -l <"$tmp/ppl1")" -eq 1; then
        tap_ok "--perplexity prints one result line with four decimals"
    else
        tap_fail "--perplexity prints one result line with four decimals" "$(cat "$tmp/ppl1")"
    fi
    expect_run "--perplexity, 2 threads" 0 -m "$model" --perplexity -f "$text" -c 64 -t 2
    tap_check "--perplexity gives the same digits on 1 and 2 threads" cmp -s "$tmp/out" "$tmp/ppl1"
    expect_run "--perplexity with an f16 KV cache" 0 -m "$model" --perplexity -f "$text" -c 64 \
        --kv-type f16 --no-mmap
    expect_run "--perplexity, missing text file" 1 -m "$model" --perplexity -f "$tmp/none.txt"
    tap_check "missing text file: named on stderr" grep -q "none.txt" "$tmp/err"
    printf 'short' >"$tmp/short.txt"
    expect_run "--perplexity, text shorter than a window" 1 -m "$model" --perplexity \
        -f "$tmp/short.txt" -c 64
    tap_check "short text: the window size is named" grep -q "window of 64" "$tmp/err"
    expect_run "--perplexity, a directory as the text" 1 -m "$model" --perplexity -f "$tmp"
    tap_check "directory as the text: the reason is named" grep -q "Is a directory" "$tmp/err"
    expect_run "--perplexity, windows of 3 tokens" 1 -m "$model" --perplexity -f "$text" -c 3
    tap_check "windows of 3 tokens: the minimum is named" grep -q "at least 4 tokens" "$tmp/err"
    expect_run "--perplexity, context beyond the model's" 1 -m "$model" --perplexity -f "$text" \
        -c 100000
    expect_run "--perplexity, a text file as the model" 1 -m "$text" --perplexity -f "$text"
    tap_check "not a GGUF file: the magic is named" grep -q "magic" "$tmp/err"
else
    tap_ok "--perplexity checks # SKIP no fixture models (SM_FIXTURES unset)"
fi
expect_run "--perplexity without --file" 2 -m model.gguf --perplexity
expect_run "a model but nothing to do" 2 -m model.gguf
expect_run "--kv-type q4" 2 --kv-type q4

# The man page lists exactly the options --help lists (long names, OPTIONS section only).
sed -n '/^Options:/,/^$/p' "$tmp/help" | grep -o -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u \
    >"$tmp/help-opts"
sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$man1" | grep -o -- '\\-\\-[a-z][a-z0-9\\-]*' |
    sed 's/\\-/-/g' | LC_ALL=C sort -u >"$tmp/man-opts"
if test -s "$tmp/help-opts" && diff -u "$tmp/help-opts" "$tmp/man-opts" >"$tmp/diff"; then
    tap_ok "sm-run.1 OPTIONS lists exactly the options of --help ($(wc -l <"$tmp/help-opts"))"
else
    tap_fail "sm-run.1 OPTIONS lists exactly the options of --help" "$(cat "$tmp/diff")"
fi

# Both pages render with man(1) and groff reports no warnings.
for page in "$man1" "$man3"; do
    name=$(basename "$page")
    if command -v man >/dev/null 2>&1; then
        LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >"$tmp/page" 2>"$tmp/warn"
        got=$?
        if test "$got" -eq 0 && test -s "$tmp/page" && ! test -s "$tmp/warn"; then
            tap_ok "man -l $name renders without warnings"
        else
            tap_fail "man -l $name renders without warnings" "exit $got" "$(cat "$tmp/warn")"
        fi
    else
        tap_ok "man -l $name renders # SKIP man not installed (apt-get install man-db)"
    fi
done

tap_done
