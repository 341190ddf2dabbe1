#!/bin/sh
# SPDX-License-Identifier: MIT
# test_exports.sh: libsmallmind.so exports exactly the pinned list (tests/exports.txt), every
# name starts with sm_, and the list equals the SM_API functions declared in smallmind.h.
# An accidental export (a missing `static`, a lost -fvisibility=hidden) or a lost one fails here.
. "$SM_TOP_SRCDIR/tests/tap.sh"

so="$SM_TOP_BUILDDIR/.libs/libsmallmind.so"
test -f "$so" || tap_skip_all "no shared library at $so (configured with --disable-shared?)"
command -v nm >/dev/null 2>&1 || tap_skip_all "nm not found (apt-get install binutils)"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, without version suffixes (name@@VER).
nm -D --defined-only "$so" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | LC_ALL=C sort -u \
    >"$tmp/exported"
grep -v '^#' "$SM_TOP_SRCDIR/tests/exports.txt" | sed '/^$/d' | LC_ALL=C sort -u >"$tmp/pinned"
# Function names in declarations that start with SM_API.
sed -n 's/^SM_API[^(]*[ *]\(sm_[a-z0-9_]*\)(.*/\1/p' "$SM_TOP_SRCDIR/src/smallmind.h" |
    LC_ALL=C sort -u >"$tmp/declared"

if test -s "$tmp/exported"; then
    tap_ok "libsmallmind.so exports $(wc -l <"$tmp/exported") symbols"
else
    tap_fail "libsmallmind.so exports symbols" "nm -D found none in $so"
fi

bad=$(grep -v '^sm_' "$tmp/exported")
if test -z "$bad"; then
    tap_ok "every exported symbol starts with sm_"
else
    tap_fail "every exported symbol starts with sm_" "not sm_: $bad"
fi

if diff -u "$tmp/pinned" "$tmp/exported" >"$tmp/diff1"; then
    tap_ok "exported symbols equal tests/exports.txt"
else
    tap_fail "exported symbols equal tests/exports.txt" "$(cat "$tmp/diff1")"
fi

if diff -u "$tmp/declared" "$tmp/exported" >"$tmp/diff2"; then
    tap_ok "exported symbols equal the SM_API declarations in smallmind.h"
else
    tap_fail "exported symbols equal the SM_API declarations in smallmind.h" "$(cat "$tmp/diff2")"
fi

# An internal function with external linkage must stay hidden; sm_log is one.
if grep -qx 'sm_log' "$tmp/exported"; then
    tap_fail "internal sm_log is not exported"
else
    tap_ok "internal sm_log is not exported"
fi

tap_done
