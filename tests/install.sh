#!/bin/sh
# install.sh - `make install DESTDIR=...` puts everything where the
# installed README says it is.  README's "Installing" lists the paths
# under the default prefix /usr/local (read as the configured prefix
# here); every listed file is installed (a listed directory is there and
# not empty), jackmixd-start and the OSC example scripts are executable,
# the layout and README are the source's, the systemd unit starts the
# installed jackmixd with nothing left to fill in, and nothing is
# installed that README does not list (the programs and man pages aside).
# Installs src/, man/ and the top directory's own files (not tests/).
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jmx-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
D=$tmp/root
fail=0
no() {
	echo "install.sh: FAIL: $*"
	fail=1
}

prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
[ -n "$prefix" ] || { no "no prefix in $top_builddir/Makefile"; exit 1; }
for d in src man; do
	make -s -C "$top_builddir/$d" install DESTDIR="$D" >"$tmp/make.log" 2>&1 ||
		{ cat "$tmp/make.log"; no "make install in $d"; exit 1; }
done
make -s -C "$top_builddir" install-exec-am install-data-am DESTDIR="$D" >"$tmp/make.log" 2>&1 ||
	{ cat "$tmp/make.log"; no "make install (top directory)"; exit 1; }

# the paths README lists, with the configured prefix
readme=$D$prefix/share/doc/jackmixd/README
[ -f "$readme" ] || { no "no README at $prefix/share/doc/jackmixd"; exit 1; }
cmp -s "$readme" "$top_srcdir/README" || no "the installed README is not the source's"
awk '/^Installing$/ { on = 1; next }
	on && /^    \/usr\/local\// { print $1; seen = 1; next }
	seen { exit }' "$readme" |
	sed "s|^/usr/local|$prefix|" >"$tmp/listed"
[ "$(wc -l <"$tmp/listed")" -ge 7 ] || no "README's Installing lists $(wc -l <"$tmp/listed") paths, not the 7 expected"
while read -r p; do
	case $p in
	*/) [ -d "$D$p" ] && [ -n "$(ls -A "$D$p")" ] || no "README lists $p, not installed (or empty)" ;;
	*) [ -f "$D$p" ] || no "README lists $p, not installed" ;;
	esac
done <"$tmp/listed"

# what is installed, all of it listed
(cd "$D" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$tmp/installed"
while read -r f; do
	case $f in
	"$prefix"/bin/* | "$prefix"/share/man/*) continue ;;
	esac
	ok=
	while read -r p; do
		case $f in "$p" | "$p"*) [ "${p%/}" != "$p" ] || [ "$f" = "$p" ] && ok=1 ;; esac
	done <"$tmp/listed"
	[ -n "$ok" ] || no "$f is installed but README does not list it"
done <"$tmp/installed"

# contents
pd=$D$prefix/share/jackmixd
cmp -s "$pd/jackmixd.touchosc" "$top_srcdir/contrib/touchosc/jackmixd.touchosc" ||
	no "the installed layout is not contrib/touchosc/jackmixd.touchosc"
[ -x "$pd/jackmixd-start" ] || no "jackmixd-start is not executable"
for s in bundle.sh surface.sh watch.sh; do
	[ -x "$D$prefix/share/doc/jackmixd/examples/osc/$s" ] || no "examples/osc/$s is not executable"
done
unit=$D$prefix/lib/systemd/user/jackmixd.service
if [ -f "$unit" ]; then
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
	[ -x "$D$exe" ] || no "the unit starts $exe, which make install did not put there"
	grep -q '@[a-z]*@' "$unit" && no "the installed unit has a placeholder left"
fi
for m in man1/jackmixd.1 man1/jackmixctl.1 man7/jackmixd-osc.7; do
	[ -f "$D$prefix/share/man/$m" ] || no "man page $m not installed"
done
[ $fail -eq 0 ] && echo "install: $(wc -l <"$tmp/installed") files, each where README says"
exit $fail
