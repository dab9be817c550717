#!/bin/sh
# osc-touchosc.sh - the TouchOSC layout in contrib/touchosc: index.xml is
# what gen-layout.sh writes, jackmixd.touchosc holds that index.xml, the
# XML is well formed, every OSC address in it exists in `jackmixd
# --dump-osc` with indices inside the default console (8 channels, 2
# buses, 4 bands), and the layout has what the issue asks for.  The
# address check is shown to reject a bad address.
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
dir=$top_srcdir/contrib/touchosc
daemon=$top_builddir/src/jackmixd
tmp=touchosc.$$
trap 'rm -f "$tmp".*' EXIT
fail=0
no() {
	echo "osc-touchosc.sh: FAIL: $*"
	fail=1
}

[ -x "$daemon" ] || { no "$daemon not built"; exit 1; }
sh "$dir/gen-layout.sh" >"$tmp.xml" || no "gen-layout.sh failed"
cmp -s "$tmp.xml" "$dir/index.xml" || no "contrib/touchosc/index.xml is not what gen-layout.sh writes"
if command -v unzip >/dev/null 2>&1; then
	unzip -p "$dir/jackmixd.touchosc" index.xml >"$tmp.zipped" 2>/dev/null || no "jackmixd.touchosc has no index.xml"
	cmp -s "$tmp.zipped" "$dir/index.xml" || no "jackmixd.touchosc is out of date"
fi
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$dir/index.xml" || no "index.xml is not well formed"
fi

# every address, decoded
sed -n 's/.*osc_cs="\([^"]*\)".*/\1/p' "$dir/index.xml" | while read -r b; do
	printf '%s\n' "$b" | base64 -d
	echo
done | sort -u >"$tmp.addrs"
"$daemon" --dump-osc >"$tmp.dump" || no "--dump-osc"

# check FILE: print addresses of FILE not in the namespace
check() {
	awk -F '\t' -v CH=8 -v BUS=2 '
	FNR == NR {
		if ($0 ~ /^#/) next
		t[$1] = 1
		if ($2 ~ /^\//) t[$2] = 1
		next
	}
	{
		a = $0
		ok = 0
		for (p in t) {
			re = p
			gsub(/<[nab]>/, "([0-9]+)", re)
			if (a !~ ("^" re "$")) continue
			# indices in range, in template order
			n = split(p, ps, "/"); split(a, as, "/")
			good = 1
			for (i = 1; i <= n; i++) {
				if (ps[i] == "<n>" && (as[i] < 1 || as[i] > CH)) good = 0
				if (ps[i] == "<a>" && (as[i] < 1 || as[i] > BUS)) good = 0
				if (ps[i] == "<b>" && (as[i] < 1 || as[i] > 4)) good = 0
			}
			if (good) { ok = 1; break }
		}
		if (!ok) print a
	}' "$tmp.dump" "$1"
}
bad=$(check "$tmp.addrs")
[ -z "$bad" ] || no "addresses not in --dump-osc: $(echo $bad)"
n=$(wc -l <"$tmp.addrs")
[ "$n" -ge 100 ] || no "only $n addresses in the layout"

# the checker itself rejects what it must
printf '/ch/1/fadr\n/ch/9/fader\n/bus/3/mute\n/ch/1/send/3/level\n/master/limiter/ceiling/dB\n' >"$tmp.neg"
[ "$(check "$tmp.neg" | wc -l)" -eq 5 ] || no "the address check accepts bad addresses: $(check "$tmp.neg" | tr '\n' ' ')"

# what the issue asks for: 8 faders with mute, solo, pan; sends; master with limiter and meters
for a in /ch/1/fader /ch/8/fader /ch/8/mute /ch/8/solo /ch/8/pan /ch/8/fader/text /ch/8/name \
	/ch/1/send/1/level /ch/8/send/2/level /bus/2/fader /master/fader /master/mute \
	/master/limiter/on /master/limiter/ceiling /master/limiter/gr /master/meter/norm /ch/8/meter/norm /meters; do
	grep -qx "$a" "$tmp.addrs" || no "layout lacks $a"
done
[ $fail -eq 0 ] && echo "osc-touchosc: $n addresses, all in the namespace"
exit $fail
