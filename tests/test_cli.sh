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

# The man page lists exactly the options --help lists (long names, OPTIONS section only).
sed -n '/^Options:/,/^$/p' "$tmp/help" | grep -o -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u \
    >"$tmp/help-opts"
sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$man1" | grep -o -- '\\-\\-[a-z][a-z0-9-]*' |
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
