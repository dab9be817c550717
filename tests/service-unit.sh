#!/bin/sh
# service-unit.sh - the systemd user unit (contrib/systemd/jackmixd.service,
# made from jackmixd.service.in with the paths filled in) passes
# `systemd-analyze --user verify` with nothing to say: no unknown key, no
# value it cannot parse, an ExecStart that exists (the unit pointed at this
# build's jackmixd).  The check is shown to catch a misspelt value, an
# unknown key and a missing program.  Skips (77) only when systemd-analyze
# is missing.
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
command -v systemd-analyze >/dev/null 2>&1 || { echo "service-unit.sh: SKIP: systemd-analyze not found"; exit 77; }
in=$top_srcdir/contrib/systemd/jackmixd.service.in
[ -f "$in" ] || { echo "service-unit.sh: FAIL: $in missing"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jmx-unit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/run" "$tmp/ok" "$tmp/bad"
bindir=$(cd "$top_builddir/src" && pwd)
fail=0
# verify UNIT: what systemd-analyze says (nothing when clean); 1 if anything.
# A user manager of its own (XDG_RUNTIME_DIR), man pages not looked up
# (they are not installed in a build tree).
verify() {
	out=$(cd "$(dirname "$1")" && XDG_RUNTIME_DIR=$tmp/run systemd-analyze --user verify --man=no "$(basename "$1")" 2>&1)
	st=$?
	[ $st -eq 0 ] && [ -z "$out" ] && return 0
	printf '%s\n' "${out:-systemd-analyze exited $st}"
	return 1
}
sed -e "s|@bindir@|$bindir|g" -e "s|@docdir@|/usr/share/doc/jackmixd|g" "$in" >"$tmp/ok/jackmixd.service"
grep -q '@[a-z]*@' "$tmp/ok/jackmixd.service" && { echo "service-unit.sh: FAIL: a placeholder is left"; fail=1; }
verify "$tmp/ok/jackmixd.service" || { echo "service-unit.sh: FAIL: the unit does not verify (above)"; fail=1; }
# what it must catch
sed 's/^Type=simple/Type=simpel/' "$tmp/ok/jackmixd.service" >"$tmp/bad/a.service"
sed 's/^RestartSec=5/RestartSec=5\nRestartSecs=5/' "$tmp/ok/jackmixd.service" >"$tmp/bad/b.service"
sed "s|^ExecStart=[^ ]*|ExecStart=$tmp/none/jackmixd|" "$tmp/ok/jackmixd.service" >"$tmp/bad/c.service"
for u in a b c; do
	verify "$tmp/bad/$u.service" >/dev/null && { echo "service-unit.sh: FAIL: bad unit $u.service verifies"; fail=1; }
done
[ $fail -eq 0 ] && echo "service-unit: jackmixd.service verifies clean"
exit $fail
