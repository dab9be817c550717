#!/bin/sh
# man-lint.sh - the four man pages pass `mandoc -Tlint -W warning`: no
# warning, error or unsupported construct (style notes, such as the long
# lines of the generated namespace table, are below that level and
# allowed).  A `.TH` date mandoc cannot parse ("2025") is a warning: the
# check is shown to catch one.  Skips (77) only when mandoc is missing.
set -u
top_srcdir=${top_srcdir:-..}
command -v mandoc >/dev/null 2>&1 || { echo "man-lint.sh: SKIP: mandoc not found"; exit 77; }
tmp=man-lint.$$
trap 'rm -f "$tmp".*' EXIT
fail=0
# lint PAGE: mandoc's complaints (nothing when clean); status 1 if any
lint() {
	out=$(mandoc -Tlint -W warning "$1" 2>&1)
	st=$?
	[ $st -eq 0 ] && [ -z "$out" ] && return 0
	printf '%s\n' "${out:-mandoc exited $st}"
	return 1
}
for p in jackmixd.1 jackmixctl.1 jackmixd-osc.7 jackmixd-master.1 jackmixd-render.1; do
	lint "$top_srcdir/man/$p" || {
		echo "man-lint.sh: FAIL: $p has lint warnings (above)"
		fail=1
	}
done
# the check catches an unparsable date
sed '1s/"[^"]*"/"2025"/' "$top_srcdir/man/jackmixctl.1" >"$tmp.1"
head -n 1 "$tmp.1" | grep -q '"2025"' || { echo "man-lint.sh: FAIL: could not make the bad page"; fail=1; }
lint "$tmp.1" >/dev/null && { echo "man-lint.sh: FAIL: a .TH date of \"2025\" passes the lint"; fail=1; }
[ $fail -eq 0 ] && echo "man-lint: 4 pages, no mandoc warnings"
exit $fail
