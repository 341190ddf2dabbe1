#!/bin/sh
# SPDX-License-Identifier: MIT
# test_cli.sh: sm-run's contract: --help and --version on stdout with exit 0, usage errors on
# stderr with exit 2 and nothing on stdout, write errors with exit 4, model load failures with exit 3, and a man page that lists
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
    tap_run_status "$desc" "$want" "$run" "$@"
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


# A control character in an argument is shown as '?', so the reason stays one line: the
# newline in "--stop<newline>###" made a two-line message (fuzz/fuzz_cli_args).
expect_run "usage error '--stop<newline>###'" 2 "--stop
###"
tap_check "usage error '--stop<newline>###': one line naming it with '?'" \
    grep -qxF "sm-run: unknown option '--stop?###'" "$tmp/err"

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

expect_run "--topology with a bad synthetic description" 4 --topology --topology-synthetic \
    "pack:two"
if grep -qF '"pack:two"' "$tmp/err" && ! test -s "$tmp/out"; then
    tap_ok "bad synthetic description: named on stderr"
else
    tap_fail "bad synthetic description: named on stderr" "$(cat "$tmp/err")"
fi
expect_run "--topology with a missing XML file" 4 --topology --topology-xml "$tmp/none.xml"
tap_check "missing XML file: named on stderr" grep -qF "$tmp/none.xml" "$tmp/err"

if test -w /dev/full; then
    "$run" --help >/dev/full 2>"$tmp/err"
    got=$?
    if test "$got" -eq 4 && test -s "$tmp/err"; then
        tap_ok "--help into a full device: exit 4 with a message"
    else
        tap_fail "--help into a full device: exit 4 with a message" "got exit $got"
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
    expect_run "--perplexity, missing text file" 4 -m "$model" --perplexity -f "$tmp/none.txt"
    tap_check "missing text file: named on stderr" grep -q "none.txt" "$tmp/err"
    printf 'short' >"$tmp/short.txt"
    expect_run "--perplexity, text shorter than a window" 4 -m "$model" --perplexity \
        -f "$tmp/short.txt" -c 64
    tap_check "short text: the window size is named" grep -q "window of 64" "$tmp/err"
    expect_run "--perplexity, a directory as the text" 4 -m "$model" --perplexity -f "$tmp"
    tap_check "directory as the text: the reason is named" grep -q "Is a directory" "$tmp/err"
    expect_run "--perplexity, windows of 3 tokens" 4 -m "$model" --perplexity -f "$text" -c 3
    tap_check "windows of 3 tokens: the minimum is named" grep -q "at least 4 tokens" "$tmp/err"
    expect_run "--perplexity, context beyond the model's" 2 -m "$model" --perplexity -f "$text" \
        -c 100000
    expect_run "--perplexity, a text file as the model" 3 -m "$text" --perplexity -f "$text"
    tap_check "not a GGUF file: the magic is named" grep -q "magic" "$tmp/err"
else
    tap_ok "--perplexity checks # SKIP no fixture models (SM_FIXTURES unset)"
fi
# --- Text generation ---------------------------------------------------------------------
api="$SM_TOP_BUILDDIR/tests/api_generate"

# No arguments: the built-in model runs, says its weights are synthetic, writes text.
expect_run "no arguments (the built-in model)" 0 -n 12 -s 5
# Its tokens are one byte or two (a merge), so 12 tokens are 12 to 24 bytes.
nb=$(wc -c <"$tmp/out")
if grep -q "synthetic" "$tmp/err" && test "$nb" -ge 12 && test "$nb" -le 24; then
    tap_ok "the built-in model: says its weights are synthetic, 12 tokens of one or two bytes"
else
    tap_fail "the built-in model: says its weights are synthetic, 12 tokens" \
        "stdout bytes: $(wc -c <"$tmp/out")" "$(cat "$tmp/err")"
fi
expect_run "--threads 4 on a fresh build" 0 --threads 4 -n 8 -s 1
tap_check "--threads 4: 4 workers in the banner" grep -q "4 threads" "$tmp/err"

# stdout holds the text alone and equals a loop over the low-level API with the same seed.
for seed in 7 12345; do
    expect_run "-s $seed -n 40" 0 -p "Once upon a time" -s "$seed" -n 40 -t 2
    "$api" builtin:medium "Once upon a time" "$seed" 40 >"$tmp/api" 2>"$tmp/api-err"
    if cmp -s "$tmp/out" "$tmp/api"; then
        tap_ok "seed $seed: sm-run's stdout equals the API loop's text ($(wc -c <"$tmp/api") bytes)"
    else
        tap_fail "seed $seed: sm-run's stdout equals the API loop's text" \
            "sm-run: $(od -c "$tmp/out" | head -3)" "api: $(od -c "$tmp/api" | head -3)" \
            "$(cat "$tmp/api-err")"
    fi
done
cp "$tmp/out" "$tmp/seed12345"
expect_run "the same seed on 1 thread" 0 -p "Once upon a time" -s 12345 -n 40 -t 1
tap_check "the same seed gives the same text on 1 and 2 threads" cmp -s "$tmp/out" "$tmp/seed12345"
tap_check "the seed is printed on stderr" grep -q "sampler seed 12345" "$tmp/err"
# The same on the fixture models (LLaMA with BOS first and SentencePiece, GPT-2 BPE).
for name in llama-tiny-q8_0 gpt2-tiny-f32; do
    fixture="${SM_FIXTURES:+$SM_FIXTURES/models/$name.gguf}"
    if test -n "$fixture" && test -f "$fixture"; then
        expect_run "$name -s 5 -n 30" 0 -m "$fixture" -p "Once upon a time" -s 5 -n 30
        "$api" "$fixture" "Once upon a time" 5 30 >"$tmp/api" 2>"$tmp/api-err"
        if test -s "$tmp/out" && cmp -s "$tmp/out" "$tmp/api"; then
            tap_ok "$name: sm-run's stdout equals the API loop's text"
        else
            tap_fail "$name: sm-run's stdout equals the API loop's text" \
                "sm-run: $(od -c "$tmp/out" | head -3)" "api: $(od -c "$tmp/api" | head -3)"
        fi
    else
        tap_ok "$name: sm-run equals the API loop # SKIP no fixture models (SM_FIXTURES unset)"
    fi
done

# Escapes in -p: "\x62" is b and "\t" a tab, so these prompts give the same tokens and text;
# --no-escape keeps the backslashes (other tokens, so other text). The last prompt has no pair the
# built-in vocabulary merges, so its bytes are its tokens.
expect_run "-p with escapes" 0 -p 'a\x62c\td' -s 3 -n 20
cp "$tmp/out" "$tmp/escaped"
expect_run "-p with the bytes themselves" 0 -p "$(printf 'abc\td')" -s 3 -n 20
tap_check "-p escapes: \\x62 and \\t give the bytes they name" cmp -s "$tmp/out" "$tmp/escaped"
expect_run "--no-escape" 0 -p 'x\x62z\tq' -s 3 -n 20 --no-escape
grep -q "prompt 9 tokens" "$tmp/err" && tap_ok "--no-escape: the 9 bytes are 9 tokens" ||
    tap_fail "--no-escape: the 9 bytes are 9 tokens" "$(cat "$tmp/err")"

# -s -1 (the default): a random seed, printed, that repeats the run when given back.
expect_run "a random seed" 0 -p "abc" -n 30
seed=$(sed -n 's/^sm-run: sampler seed \([0-9]*\),.*/\1/p' "$tmp/err")
cp "$tmp/out" "$tmp/random"
if test -n "$seed"; then
    expect_run "the printed seed given back" 0 -p "abc" -n 30 -s "$seed"
    tap_check "the printed seed repeats the run" cmp -s "$tmp/out" "$tmp/random"
else
    tap_fail "a random seed is printed" "$(cat "$tmp/err")"
fi

# --stop: generation ends before the stop text, which spans several one-byte tokens. The stop
# is three printable bytes of the greedy text (od/awk work on bytes, whatever they are).
expect_run "greedy, 60 tokens" 0 -p "abc" --temp 0 -n 60
cp "$tmp/out" "$tmp/greedy"
LC_ALL=C awk 'BEGIN { RS = "^$" } {
    for (i = 1; i + 2 <= length($0); i++) {
        s = substr($0, i, 3)
        if (s ~ /^[A-Za-z0-9]+$/) { print s; exit }
    } }' "$tmp/greedy" >"$tmp/stop"
stop=$(cat "$tmp/stop")
if test "${#stop}" -eq 3; then
    expect_run "--stop spanning tokens" 0 -p "abc" --temp 0 -n 60 --no-escape --stop "$stop"
    first=$(LC_ALL=C awk -v s="$stop" 'BEGIN { RS = "^$" } { print index($0, s) - 1 }' \
        "$tmp/greedy")
    head -c "$first" "$tmp/greedy" >"$tmp/want"
    if cmp -s "$tmp/out" "$tmp/want"; then
        tap_ok "--stop '$stop': the text before its first occurrence ($first bytes)"
    else
        tap_fail "--stop: the text before its first occurrence" "got: $(od -c "$tmp/out")" \
            "want: $(od -c "$tmp/want")"
    fi
    tap_check "--stop: the reason is on stderr" grep -q "stopped on stop" "$tmp/err"
else
    tap_ok "--stop spanning tokens # SKIP no three alphanumeric bytes in a row in the greedy text"
fi
# --stop '\n' is a newline: the output is the greedy text up to its first newline (all of it
# when it has none).
expect_run "--stop with an escape" 0 -p "abc" --temp 0 -n 60 --stop '\n'
LC_ALL=C awk 'BEGIN { RS = "^$"; ORS = "" } { n = index($0, "\n"); print n ? substr($0, 1, n - 1) : $0 }' \
    "$tmp/greedy" >"$tmp/want"
if cmp -s "$tmp/out" "$tmp/want"; then
    tap_ok "--stop '\\n' is a newline: the greedy text up to its first one ($(wc -c <"$tmp/want") bytes)"
else
    tap_fail "--stop '\\n' is a newline" "got: $(od -c "$tmp/out" | head -3)" \
        "want: $(od -c "$tmp/want" | head -3)"
fi

# -f: the prompt from a file equals the same prompt from -p.
printf 'Once upon a time' >"$tmp/prompt.txt"
expect_run "-f FILE" 0 -f "$tmp/prompt.txt" -s 7 -n 40 -t 2
"$api" builtin:medium "Once upon a time" 7 40 >"$tmp/api" 2>/dev/null
tap_check "-f FILE gives the text -p gives" cmp -s "$tmp/out" "$tmp/api"

# A full context ends generation cleanly; a prompt longer than the context is refused. Neither
# prompt holds a pair the built-in vocabulary merges, so each byte is a token; the generated
# tokens are one or two bytes each, so they are counted in the timings.
expect_run "-n -1 until the context is full" 0 -p "wxyz" -c 16 -s 3
if grep -q "^sm-run: eval time *=.*/ *13 tokens" "$tmp/err" && grep -q "stopped on context full" "$tmp/err"; then
    tap_ok "-c 16 with a 4-token prompt: 13 tokens, then a clean stop on a full context"
else
    tap_fail "-c 16: 13 tokens then a full context" "$(wc -c <"$tmp/out") bytes" "$(cat "$tmp/err")"
fi
expect_run "a prompt longer than the context" 4 -p "0123456789XYZ!?;[]+" -c 16
if grep -q "prompt is 19 tokens, longer than the context of 16" "$tmp/err" &&
    ! test -s "$tmp/out"; then
    tap_ok "a prompt longer than the context: both sizes named, nothing on stdout"
else
    tap_fail "a prompt longer than the context: both sizes named" "$(cat "$tmp/err")"
fi

# --timings-json: a file, and "-" (stdout, on its own line after the text).
expect_run "--timings-json FILE" 0 -p "abc" -n 10 -s 9 -t 1 -c 64 --timings-json "$tmp/t.json"
cp "$tmp/out" "$tmp/seed9"
if command -v jq >/dev/null 2>&1; then
    if jq -e '.n_generated == 10 and .n_prompt == 3 and .seed == 9 and .n_threads == 1 and
        .n_ctx == 64 and .stop_reason == "limit" and .arch == "gpt2" and
        .model == "builtin:medium" and (.generate_tok_s > 0) and (.peak_rss_bytes > 0) and
        (.isa | test("^(ref|avx2|avx512)$"))' "$tmp/t.json" >/dev/null; then
        tap_ok "--timings-json FILE: the counts, seed, threads and rates"
    else
        tap_fail "--timings-json FILE: the counts, seed, threads and rates" "$(cat "$tmp/t.json")"
    fi
    expect_run "--timings-json -" 0 -p "abc" -n 10 -s 9 -t 1 -c 64 --timings-json -
    head -c "$(wc -c <"$tmp/seed9")" "$tmp/out" >"$tmp/text10"
    if tail -n 1 "$tmp/out" | jq -e '.n_generated == 10' >/dev/null &&
        cmp -s "$tmp/text10" "$tmp/seed9"; then
        tap_ok "--timings-json -: the text, then the JSON on the last line of stdout"
    else
        tap_fail "--timings-json -: the text, then the JSON on the last line" "$(cat "$tmp/out")"
    fi
else
    tap_ok "--timings-json checks # SKIP jq missing (apt-get install jq)"
fi
expect_run "--timings-json into a missing directory" 4 -p "abc" -n 2 --timings-json \
    "$tmp/no/such/dir.json"
tap_check "--timings-json failure names the file" grep -q "no/such/dir.json" "$tmp/err"

# The timings on stderr: load, prompt and generation rates, first token, RSS, heap per token.
expect_run "timings" 0 -p "abc" -n 20 -s 1
for what in "load time" "prompt eval time" "time to first token" "eval time" "peak RSS" \
    "heap bytes per generated token"; do
    tap_check "timings on stderr: $what" grep -q "$what" "$tmp/err"
done
tap_check "the banner names the kernels" grep -Eq "kernels (ref|avx2|avx512)" "$tmp/err"

# -v: the library's information lines and the placement plan.
expect_run "-v" 0 -p "abc" -n 2 -v
tap_check "-v prints the placement plan" grep -q "^worker    pu  core" "$tmp/err"

# Model files that cannot be loaded: exit 3 and one line naming the file.
: >"$tmp/empty.gguf"
printf 'GGUF\003\000\000\000garbage' >"$tmp/bad.gguf"
for case in "missing:$tmp/none.gguf" "directory:$tmp" "empty:$tmp/empty.gguf" \
    "malformed:$tmp/bad.gguf"; do
    what=${case%%:*}
    file=${case#*:}
    expect_run "a $what model file" 3 -m "$file" -p "abc" -n 2
    if test "$(wc -l <"$tmp/err")" -eq 1 && grep -qF "$file" "$tmp/err" && ! test -s "$tmp/out"; then
        tap_ok "a $what model file: one line naming it"
    else
        tap_fail "a $what model file: one line naming it" "$(cat "$tmp/err")"
    fi
done

# Ctrl-C: the prompt comes from a FIFO, so SIGINT arrives at a known point (after the banner,
# before the first token); generation stops, the timings are printed, the exit status is 130.
if mkfifo "$tmp/fifo" 2>/dev/null; then
    "$run" -f "$tmp/fifo" -n 50 -s 1 >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    tries=0
    while ! grep -q "kernels" "$tmp/err" 2>/dev/null && test "$tries" -lt 600; do
        sleep 0.1
        tries=$((tries + 1))
    done
    kill -INT "$pid"
    printf 'abc' >"$tmp/fifo"
    wait "$pid"
    got=$?
    if test "$got" -eq 130 && grep -q "stopped on cancelled (interrupted)" "$tmp/err" &&
        grep -q "eval time" "$tmp/err"; then
        tap_ok "Ctrl-C: generation stops, the timings are printed, exit 130"
    else
        tap_fail "Ctrl-C: exit 130 with the timings" "got exit $got" "$(cat "$tmp/err")"
    fi
else
    tap_ok "Ctrl-C # SKIP mkfifo failed"
fi

# Every generation flag with a bad value: exit 2, the flag named, nothing on stdout.
while IFS='|' read -r flag value; do
    expect_run "bad value: $flag '$value'" 2 "$flag" "$value"
    name=${flag#--}
    if ! test -s "$tmp/out" && grep -q -- "$name" "$tmp/err"; then
        tap_ok "bad value: $flag '$value': named on stderr"
    else
        tap_fail "bad value: $flag '$value': named on stderr" "$(cat "$tmp/err")"
    fi
done <<'EOF'
--n-predict|-3
--n-predict|ten
--temp|-0.5
--temp|warm
--temp|nan
--top-k|-1
--top-p|0
--top-p|1e-50
--top-p|1.5
--min-p|-0.1
--min-p|2
--repeat-penalty|0
--repeat-penalty|1e-46
--repeat-penalty|inf
--repeat-last-n|-2
--seed|-2
--seed|x
--stop|
--timings-json|
--ctx-size|-1
--batch-size|big
--numa|everywhere
--kv-type|q4
--placement|diagonal
EOF
expect_run "17 --stop options" 2 --stop a --stop b --stop c --stop d --stop e --stop f --stop g \
    --stop h --stop i --stop j --stop k --stop l --stop m --stop n --stop o --stop p --stop q
tap_check "17 --stop options: the limit is named" grep -q "more than 16" "$tmp/err"
expect_run "-p and -f together" 2 -p a -f "$tmp/prompt.txt"
expect_run "--perplexity and -p together" 2 -m x --perplexity -f y -p a

# Every generation flag with a good value is taken.
expect_run "every sampling flag" 0 -p "abc" -n 5 --temp 0.7 --top-k 10 --top-p 0.9 --min-p 0.1 \
    --repeat-penalty 1.1 --repeat-last-n 16 -s 4 -c 32 -b 8 --kv-type f16 --no-mmap --mlock \
    --numa interleave --placement spread -t 2
tap_check "every sampling flag: the values in the sampler line" grep -q \
    "temp 0.700, top_k 10, top_p 0.900, min_p 0.100, repeat_penalty 1.100, repeat_last_n 16" \
    "$tmp/err"

expect_run "--perplexity without --file" 2 -m model.gguf --perplexity
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
