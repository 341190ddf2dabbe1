#!/bin/sh
# SPDX-License-Identifier: MIT
# test_no_exit.sh: the library never exits, aborts or prints by itself (smallmind.h's contract,
# GGUF-HARDENING.md): libsmallmind.so imports none of the C library's process-ending or
# stdout/stderr-writing functions, except those on the allow-list below, each with its reason.
# A symbol the library does not import cannot be called on any input, bad or good.
. "$SM_TOP_SRCDIR/tests/tap.sh"

so="$SM_TOP_BUILDDIR/.libs/libsmallmind.so"
test -f "$so" || tap_skip_all "no shared library at $so (configured with --disable-shared?)"
command -v nm >/dev/null 2>&1 || tap_skip_all "nm not found (apt-get install binutils)"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Functions that end the process, or write to a stream or descriptor the caller did not give:
# exit and its relatives, abort and assert's handler, the stdio printers (the fortified
# __*_chk forms too), perror, err(3)/error(3), syslog, and raw writes.
cat >"$tmp/forbidden" <<'EOF'
exit
_exit
_Exit
quick_exit
abort
__assert_fail
__assert_perror_fail
__assert
err
errx
verr
verrx
warn
warnx
vwarn
vwarnx
error
error_at_line
printf
vprintf
fprintf
vfprintf
dprintf
vdprintf
__printf_chk
__vprintf_chk
__fprintf_chk
__vfprintf_chk
__dprintf_chk
__vdprintf_chk
puts
fputs
fputc
putc
putchar
putchar_unlocked
fputc_unlocked
fputs_unlocked
putc_unlocked
fwrite
fwrite_unlocked
perror
psignal
psiginfo
syslog
vsyslog
__syslog_chk
__vsyslog_chk
write
writev
EOF

# The allow-list: "name  reason". Empty today: the log goes through the user's sm_set_log
# callback (silent by default, src/log.c), errors are sm_status codes with messages in the
# caller's buffer, and the library has no assert() (checks return SM_E_*). A name added here
# must say why it can never run on bad input.
cat >"$tmp/allowed" <<'EOF'
EOF

# Undefined dynamic symbols, without version suffixes (name@GLIBC_2.2.5).
nm -D --undefined-only "$so" | awk '{ sub(/@.*/, "", $NF); print $NF }' | LC_ALL=C sort -u \
    >"$tmp/imports"
if test -s "$tmp/imports" && grep -qx 'malloc' "$tmp/imports"; then
    tap_ok "libsmallmind.so imports $(wc -l <"$tmp/imports") symbols (malloc among them)"
else
    tap_fail "libsmallmind.so imports symbols" "nm -D --undefined-only found no malloc in $so"
fi

awk '{ print $1 }' "$tmp/allowed" | sed '/^$/d' | LC_ALL=C sort -u >"$tmp/allowed_names"
LC_ALL=C sort -u "$tmp/forbidden" >"$tmp/forbidden_sorted"
LC_ALL=C comm -12 "$tmp/imports" "$tmp/forbidden_sorted" >"$tmp/found"
LC_ALL=C comm -23 "$tmp/found" "$tmp/allowed_names" >"$tmp/bad"

if test -s "$tmp/bad"; then
    # Name the objects that import each one, to point at the source file.
    detail=""
    core="$SM_TOP_BUILDDIR/.libs/libsm_core.a"
    for sym in $(cat "$tmp/bad"); do
        where=""
        if test -f "$core"; then
            where=$(nm -A --undefined-only "$core" 2>/dev/null |
                awk -v s="$sym" '$NF == s { split($1, p, ":"); print p[2] }' | tr '\n' ' ')
        fi
        detail="$detail$sym (imported by: ${where:-?})
"
    done
    tap_fail "libsmallmind.so imports no exit, abort or printing function" "$detail"
else
    tap_ok "libsmallmind.so imports no exit, abort or printing function ($(wc -l <"$tmp/forbidden_sorted") checked)"
fi

# Allowed names still imported are reported, so a stale entry is noticed and removed.
LC_ALL=C comm -12 "$tmp/found" "$tmp/allowed_names" >"$tmp/used_allowed"
LC_ALL=C comm -13 "$tmp/found" "$tmp/allowed_names" >"$tmp/stale"
if test -s "$tmp/stale"; then
    tap_fail "every allow-list entry is still imported" "stale: $(tr '\n' ' ' <"$tmp/stale")"
else
    tap_ok "every allow-list entry is still imported ($(wc -l <"$tmp/used_allowed") allowed)"
fi

# The check must be able to fail: the same scan over a program that prints finds printing.
sm_run="$SM_TOP_BUILDDIR/.libs/sm-run"
test -f "$sm_run" || sm_run="$SM_TOP_BUILDDIR/sm-run"
if test -f "$sm_run" && nm -D --undefined-only "$sm_run" >/dev/null 2>&1; then
    nm -D --undefined-only "$sm_run" | awk '{ sub(/@.*/, "", $NF); print $NF }' |
        LC_ALL=C sort -u >"$tmp/run_imports"
    if LC_ALL=C comm -12 "$tmp/run_imports" "$tmp/forbidden_sorted" | grep -q .; then
        tap_ok "the scan finds the printing functions sm-run imports (control)"
    else
        tap_fail "the scan finds the printing functions sm-run imports (control)" \
            "no forbidden symbol found in $sm_run: is the scan broken?"
    fi
else
    tap_ok "the scan's control # SKIP no dynamically linked sm-run at $sm_run"
fi

tap_done
