# SPDX-License-Identifier: MIT
# tap.sh: a few TAP helpers for the shell tests (sourced). One "ok"/"not ok" line per check,
# the plan at the end, and a nonzero exit when anything failed.
tap_n=0
tap_failed=0

tap_ok() { # tap_ok DESCRIPTION: records a pass
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $1"
}

tap_fail() { # tap_fail DESCRIPTION [DETAIL...]: records a failure, details as TAP comments
    tap_n=$((tap_n + 1))
    tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $1"
    shift
    for line in "$@"; do
        printf '%s\n' "$line" | sed 's/^/# /'
    done
}

tap_check() { # tap_check DESCRIPTION COMMAND...: passes iff COMMAND exits 0
    desc=$1
    shift
    if "$@"; then tap_ok "$desc"; else tap_fail "$desc" "command failed: $*"; fi
}

tap_skip_all() { # tap_skip_all REASON: the whole script does not apply here
    echo "1..0 # SKIP $1"
    exit 0
}

# tap_run_status DESC STATUS PROGRAM ARGS...: runs PROGRAM ARGS with stdout in $tmp/out and
# stderr in $tmp/err (the caller makes $tmp) and passes iff it exits with STATUS.
tap_run_status() {
    desc=$1
    want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if test "$got" -eq "$want"; then
        tap_ok "$desc: exit $want"
    else
        tap_fail "$desc: exit $want" "got exit $got" "stderr: $(cat "$tmp/err")"
    fi
}

tap_done() {
    echo "1..$tap_n"
    test "$tap_failed" -eq 0
}
