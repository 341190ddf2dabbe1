#!/bin/sh
# SPDX-License-Identifier: MIT
# test_man.sh: the manual against the code. Every page renders with groff without a warning;
# every file of man/ is installed (man/local.mk) and every .so link leads to a page; every
# SM_API function of src/smallmind.h is named in the NAME section and the SYNOPSIS of one
# section-3 page and has a file of its own name, so that `man FUNCTION` finds it, and those
# pages name nothing else; every sm_*(3) reference resolves; libsmallmind(3)'s example is
# examples/generate.c verbatim, and that program, built against the library, prints what
# sm-run prints for the same model, prompt and seed.
. "$SM_TOP_SRCDIR/tests/tap.sh"

man="$SM_TOP_SRCDIR/man"
header="$SM_TOP_SRCDIR/src/smallmind.h"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

is_link() { # is_link FILE: the page is a .so link
    head -n 1 "$1" | grep -q '^\.so '
}

# name_section FILE: the names a page's NAME section lists, one per line
name_section() {
    awk '/^\.SH /{p = ($2 == "NAME"); next} p' "$1" | tr '\n' ' ' | sed 's/\\-.*//' |
        tr ', ' '\n\n' | sed '/^$/d'
}

# section FILE NAME: the source lines of one .SH section
section() {
    awk -v want="$2" '/^\.SH /{p = (substr($0, 5) == want); next} p' "$1"
}

pages=$(cd "$man" && ls -- *.[1-9] | LC_ALL=C sort)
test -n "$pages" || tap_skip_all "no pages in $man"

# --- every page renders without a warning (the PostScript device, groff's default, is the
# strictest about characters; UTF-8 is what terminals use)
for p in $pages; do
    is_link "$man/$p" && continue
    if command -v groff >/dev/null 2>&1; then
        groff -man -ww -z "$man/$p" >"$tmp/warn" 2>&1 &&
            groff -man -ww -z -Tutf8 "$man/$p" >>"$tmp/warn" 2>&1
        got=$?
        if test "$got" -eq 0 && ! test -s "$tmp/warn"; then
            tap_ok "$p: groff -man -ww reports nothing"
        else
            tap_fail "$p: groff -man -ww reports nothing" "exit $got" "$(cat "$tmp/warn")"
        fi
    else
        tap_ok "$p: groff -man -ww # SKIP groff not installed (apt-get install groff-base)"
    fi
    # .TH's title is the file's name in capitals, its section the file's suffix.
    want=$(echo "$p" | sed 's/\.\([1-9]\)$/ \1/' | tr '[:lower:]' '[:upper:]')
    got=$(sed -n 's/^\.TH \([^ ]*\) \([1-9]\) .*/\1 \2/p' "$man/$p")
    if test "$got" = "$want"; then
        tap_ok "$p: .TH $want"
    else
        tap_fail "$p: .TH $want" "got '.TH $got'"
    fi
done

# --- .so links: one line naming a page (not another link) of the same section in man/
bad=
n_links=0
for p in $pages; do
    is_link "$man/$p" || continue
    n_links=$((n_links + 1))
    sec=${p##*.}
    target=$(sed -n "1s|^\\.so man$sec/\\([^/ ]*\\.$sec\\)\$|\\1|p" "$man/$p")
    if test "$(wc -l <"$man/$p")" -ne 1 || test -z "$target" || ! test -f "$man/$target" ||
        is_link "$man/$target"; then
        bad="$bad $p"
    fi
done
if test -z "$bad"; then
    tap_ok "$n_links .so links, each one line naming a page of man/"
else
    tap_fail ".so links each name a page of man/" "bad:$bad"
fi

# --- every file of man/ is installed, and every installed page exists
sed -n 's|.*%D%/\([^ \\]*\).*|\1|p' "$man/local.mk" | LC_ALL=C sort >"$tmp/listed"
echo "$pages" >"$tmp/present"
if diff -u "$tmp/present" "$tmp/listed" >"$tmp/diff"; then
    tap_ok "man/local.mk installs exactly the $(wc -l <"$tmp/present") files of man/"
else
    tap_fail "man/local.mk installs exactly the files of man/" "$(cat "$tmp/diff")"
fi

# --- the functions: each named in one page's NAME and SYNOPSIS, found under its own name
funcs=$(sed -n 's/^SM_API [^(]*[ *]\(sm_[a-z0-9_]*\)(.*/\1/p' "$header")
if test -z "$funcs"; then
    tap_fail "src/smallmind.h declares SM_API functions" "none found in $header"
fi
: >"$tmp/named"
for p in $pages; do
    case $p in *.3) ;; *) continue ;; esac
    is_link "$man/$p" && continue
    test "$p" = libsmallmind.3 && continue
    name_section "$man/$p" | sed "s|\$| $p|" >>"$tmp/named"
done
for f in $funcs; do
    owners=$(awk -v f="$f" '$1 == f {print $2}' "$tmp/named")
    if test "$(echo "$owners" | wc -w)" -ne 1; then
        tap_fail "$f: named in the NAME section of one page" "pages:${owners:- none}"
        continue
    fi
    why=
    # man FUNCTION: a page of that name, or a link to the page that names it
    found=$f.3
    test -f "$man/$found" && is_link "$man/$found" &&
        found=$(sed -n '1s|^\.so man3/||p' "$man/$found")
    test -f "$man/$f.3" || why="no man/$f.3 (page or .so link)"
    test -z "$why" && test "$found" != "$owners" &&
        why="man/$f.3 leads to $found, but $owners names it"
    section "$man/$owners" SYNOPSIS | grep -q "[ *]$f(" ||
        why="${why:+$why; }no prototype in the SYNOPSIS of $owners"
    if test -z "$why"; then
        tap_ok "$f: named in $owners, its SYNOPSIS, and man $f finds it"
    else
        tap_fail "$f: named in $owners, its SYNOPSIS, and man $f finds it" "$why"
    fi
done
# ...and the pages name nothing else
stale=
for n in $(awk '{print $1}' "$tmp/named"); do
    echo "$funcs" | grep -qx -- "$n" || stale="$stale $n"
done
if test -z "$stale"; then
    tap_ok "the section-3 pages name only SM_API functions ($(wc -l <"$tmp/named"))"
else
    tap_fail "the section-3 pages name only SM_API functions" "not in smallmind.h:$stale"
fi

# --- every reference to an sm_ page, as .BR name (N) or \fBname\fR(N), has a file in man/
missing=
for p in $pages; do
    is_link "$man/$p" && continue
    refs=$(sed -n -e 's/^\.BR \(sm[-_][a-z0-9_-]*\) (\([1-9]\)).*/\1.\2/p' \
        -e 's/^\.RB ( \(sm[-_][a-z0-9_-]*\) (\([1-9]\)).*/\1.\2/p' "$man/$p"
    grep -o '\\fB\(sm[-_][a-z0-9_-]*\)\\f[RP](\([1-9]\))' "$man/$p" |
        sed 's/\\fB\(.*\)\\f[RP](\([1-9]\))/\1.\2/')
    for r in $refs; do
        test -f "$man/$r" || missing="$missing $p->$r"
    done
done
if test -z "$missing"; then
    tap_ok "every sm-*(N) and sm_*(N) cross-reference has its page"
else
    tap_fail "every sm-*(N) and sm_*(N) cross-reference has its page" "missing:$missing"
fi

# --- libsmallmind(3) points to every section-3 page
missing=
for p in $pages; do
    case $p in libsmallmind.3 | *.[124-9]) continue ;; esac
    is_link "$man/$p" && continue
    section "$man/libsmallmind.3" "SEE ALSO" | grep -q "^\\.BR ${p%.3} (3)" ||
        missing="$missing ${p%.3}(3)"
done
if test -z "$missing"; then
    tap_ok "libsmallmind.3's SEE ALSO lists every section-3 page"
else
    tap_fail "libsmallmind.3's SEE ALSO lists every section-3 page" "missing:$missing"
fi

# --- the example of libsmallmind(3) is examples/generate.c (without its SPDX line)
example="$SM_TOP_SRCDIR/examples/generate.c"
section "$man/libsmallmind.3" EXAMPLES |
    awk '/^\.EX$/ && !done {inb = 1; next} inb && /^\.EE$/ {inb = 0; done = 1} inb' |
    sed -e 's/^\\&//' -e 's/\\-/-/g' -e 's/\\e/\\/g' >"$tmp/page-example"
tail -n +2 "$example" >"$tmp/file-example"
if test -s "$tmp/file-example" && diff -u "$tmp/file-example" "$tmp/page-example" >"$tmp/diff"
then
    tap_ok "libsmallmind.3's example is examples/generate.c ($(wc -l <"$tmp/file-example") lines)"
else
    tap_fail "libsmallmind.3's example is examples/generate.c" \
        "regenerate the .EX block with: tail -n +2 examples/generate.c |" \
        "  sed -e 's/\\\\/\\\\e/g' -e 's/-/\\\\-/g' -e \"s/^\\([.']\\)/\\\\\\\\\\&\\1/\"" \
        "$(cat "$tmp/diff")"
fi

# --- the example runs: what sm-run prints for the same model, prompt, length and seed
gen="$SM_TOP_BUILDDIR/examples/generate"
writer="$SM_TOP_BUILDDIR/tests/builtin_gguf"
run="$SM_TOP_BUILDDIR/sm-run"
if test -x "$gen" && test -x "$writer" && test -x "$run" &&
    "$writer" small "$tmp/model.gguf"; then
    "$gen" "$tmp/model.gguf" "Once upon a time" 16 7 >"$tmp/out" 2>"$tmp/err"
    got=$?
    "$run" -m "$tmp/model.gguf" -p "Once upon a time" -n 16 -s 7 >"$tmp/want" 2>"$tmp/run-err"
    if test "$got" -eq 0 && grep -q ', 16 generated in ' "$tmp/err" && test -s "$tmp/want" &&
        cmp -s "$tmp/out" "$tmp/want"; then
        tap_ok "examples/generate prints what sm-run prints ($(wc -c <"$tmp/out") bytes)"
    else
        tap_fail "examples/generate prints what sm-run prints" "exit $got" \
            "stderr: $(cat "$tmp/err")" "sm-run stderr: $(cat "$tmp/run-err")" \
            "stdout: $(od -c "$tmp/out" | head -3)" "sm-run: $(od -c "$tmp/want" | head -3)"
    fi
    "$gen" "$tmp/no-such.gguf" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if test "$got" -eq 1 && ! test -s "$tmp/out" &&
        grep -q "no-such.gguf: input/output error" "$tmp/err"; then
        tap_ok "examples/generate on a missing file: exit 1, sm_strerror's message"
    else
        tap_fail "examples/generate on a missing file: exit 1, sm_strerror's message" \
            "exit $got" "$(cat "$tmp/err")"
    fi
else
    tap_fail "examples/generate, tests/builtin_gguf and sm-run are built and write a model" \
        "looked for $gen, $writer, $run"
fi

tap_done
