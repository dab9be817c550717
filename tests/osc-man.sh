#!/bin/sh
# osc-man.sh - man/jackmixd-osc.7 documents exactly the namespace that
# `jackmixd --dump-osc` prints (generated part compared line by line), the
# checker notices a tampered page, and the page renders without groff
# warnings; every parameter path of it parses back to the same parameter
# and indices (test_params_path).
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
daemon=$top_builddir/src/jackmixd
page=$top_srcdir/man/jackmixd-osc.7
gen=$top_srcdir/contrib/gen-osc-man.sh
fail=0

[ -x "$daemon" ] || { echo "osc-man: FAIL: $daemon not built"; exit 1; }
if ! sh "$gen" --check "$daemon" "$page"; then
	echo "osc-man.sh:$LINENO: FAIL: $page differs from --dump-osc"
	fail=1
fi

# every parameter, helper and command address is in the page
"$daemon" --dump-osc | awk -F '\t' '!/^#/ { print $1 } !/^#/ && $2 ~ /^\// { print $2 }' | sort -u >dump.addrs.$$
while read -r a; do
	esc=$(printf '%s' "$a" | sed 's/-/\\\\-/g')
	if ! grep -qF -- "$(printf '%s' "$a" | sed 's/-/\\-/g')" "$page"; then
		echo "osc-man.sh:$LINENO: FAIL: $a missing from $page"
		fail=1
	fi
done <dump.addrs.$$
n=$(wc -l <dump.addrs.$$)
[ "$n" -gt 80 ] || { echo "osc-man.sh:$LINENO: FAIL: only $n addresses in --dump-osc"; fail=1; }
rm -f dump.addrs.$$

# every parameter path of --dump-osc parses back to the same parameter and
# indices through the one path codec
"$daemon" --dump-osc >dump.full.$$
if ! "$top_builddir/tests/test_params_path" dump.full.$$ >/dev/null; then
	"$top_builddir/tests/test_params_path" dump.full.$$ 2>&1 | tail -n 20
	echo "osc-man.sh:$LINENO: FAIL: --dump-osc paths do not round-trip"
	fail=1
fi
rm -f dump.full.$$

# the checker can fail: drop one generated line from a copy
tmp=tampered.$$.7
awk '/BEGIN GENERATED/ { g = 1 } g && /^\.B \/ch\/<n>\/mute$/ { getline; next } { print }' "$page" >"$tmp"
if sh "$gen" --check "$daemon" "$tmp" >/dev/null 2>&1; then
	echo "osc-man.sh:$LINENO: FAIL: the check did not notice a missing entry"
	fail=1
fi
rm -f "$tmp"

if command -v groff >/dev/null 2>&1; then
	w=$(groff -man -ww -z "$page" 2>&1)
	if [ -n "$w" ]; then
		echo "osc-man.sh:$LINENO: FAIL: groff warnings:"
		echo "$w"
		fail=1
	fi
fi
[ "$fail" -eq 0 ] && echo "osc-man: $n addresses documented"
exit $fail
