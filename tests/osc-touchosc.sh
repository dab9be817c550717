#!/bin/sh
# osc-touchosc.sh - the TouchOSC layout in contrib/touchosc: index.xml is
# what gen-layout.sh writes, jackmixd.touchosc holds that index.xml, the
# XML is well formed, every OSC address in it exists in `jackmixd
# --dump-osc` with indices inside the default console (8 channels, 2
# buses, 4 bands), the layout follows Mk1's landscape convention (see
# below), its meters only display (LED ladders: nothing that sends is on
# a meter or text address), and it has what the issue asks for.  Each
# check is shown to reject what it must.
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

# The layout as the tablet shows it.  Mk1 stores a landscape layout
# rotated: orientation="vertical" and x/y/w/h in the 768 x 1024 portrait
# frame (iPad, mode 1) with x counting up the screen, so on-screen
# vertical faders are "faderh" (long along x), labels that read left to
# right "labelv", upright knobs "rotaryh"; the tab bar takes the top 40
# points of the screen, the stored frame's x from 728 to 768.  A layout
# in the portrait frame declared "vertical" (as this one was) shows
# rotated: faderv, labelh and rotaryv are refused, and so is anything
# outside the frame.
# controls FILE: "type x y w h scalef scalet address" per control
controls() {
	awk '/<control / {
		t = x = y = w = h = sf = st = a = "-"
		n = split($0, f, "\"")
		for (i = 1; i < n; i += 2) {
			k = f[i]; sub(/.*[ <]/, "", k); sub(/=$/, "", k)
			v = f[i + 1]
			if (k == "type") t = v; else if (k == "x") x = v; else if (k == "y") y = v
			else if (k == "w") w = v; else if (k == "h") h = v
			else if (k == "scalef") sf = v; else if (k == "scalet") st = v
			else if (k == "osc_cs") a = v
		}
		print t, x, y, w, h, sf, st, a
	}' "$1" | while read -r t x y w h sf st a; do
		[ "$a" = - ] || a=$(printf '%s\n' "$a" | base64 -d)
		echo "$t $x $y $w $h $sf $st $a"
	done
}
# geometry XML TABLE: print what breaks the convention (nothing when right)
geometry() {
	grep -q '<layout [^>]*mode="1"[^>]*orientation="vertical"' "$1" ||
		echo "layout is not an iPad landscape layout (mode=\"1\" orientation=\"vertical\")"
	awk '
	{ c = $1 " " $8 " at " $2 "," $3 }
	$2 < 0 || $3 < 0 || $2 + $4 > 728 || $3 + $5 > 1024 { print c ": outside 768x1024 less the tab bar" }
	$1 == "faderv" || $1 == "labelh" || $1 == "rotaryv" { print c ": a portrait type in a landscape layout (shows rotated)" }
	$1 == "faderh" && $4 <= $5 { print c ": not a vertical fader on screen (w <= h)" }' "$2"
}
# meters TABLE: print controls that send to a meter or a read-only text
# address (the daemon answers /error read-only), and meters that are not
# a ladder of LEDs tiling the range from its start
meters() {
	awk -F '\t' '!/^#/ && $3 == "meter" { print $1; if ($2 ~ /^\//) print $2 }' "$tmp.dump" |
		sed 's/<[nab]>/#/g' >"$tmp.meters"
	awk -v M="$tmp.meters" '
	BEGIN { while ((getline l <M) > 0) meter[l] = 1 }
	{
		k = $8; gsub(/\/[0-9]+/, "/#", k)
		ro = (k in meter) || k ~ /\/text$/
		if (ro && $1 != "led" && $1 != "labelv" && $1 != "labelh")
			print $1 " " $8 ": touching it sends to a read-only address"
		if ((k in meter) && $1 == "led") {
			s = sprintf("%.4f", $6)
			if (!(($8, s) in from)) nled[$8]++ # a meter may show on two pages
			from[$8, s] = sprintf("%.4f", $7)
			if (!($8 in lo) || $6 + 0 < lo[$8]) lo[$8] = $6 + 0
		}
	}
	END {
		for (a in nled) {
			if (nled[a] < 8) { print a ": only " nled[a] " LEDs"; continue }
			if (lo[a] != 0) { print a ": the ladder starts at " lo[a] }
			# walk the slices: each LED starts where the one below ends
			v = sprintf("%.4f", 0); steps = 0
			while ((a, v) in from && steps <= nled[a]) { v = from[a, v]; steps++ }
			if (steps != nled[a]) print a ": LED slices do not tile the range (" steps " of " nled[a] " chained)"
		}
	}' "$1"
}
controls "$dir/index.xml" >"$tmp.ctl"
bad=$(geometry "$dir/index.xml" "$tmp.ctl")
[ -z "$bad" ] || no "orientation and coordinates: $(echo "$bad" | head -5 | tr '\n' ';') ($(echo "$bad" | wc -l) in all)"
bad=$(meters "$tmp.ctl")
[ -z "$bad" ] || no "display-only meters: $(echo "$bad" | head -5 | tr '\n' ';') ($(echo "$bad" | wc -l) in all)"
for m in /ch/1/meter/norm /ch/8/meter/norm /bus/2/meter/norm /master/meter/norm /master/limiter/gr /master/comp/gr; do
	grep -q "^led .* $m\$" "$tmp.ctl" || no "no LED meter on $m"
done
# the checks themselves reject what they must: a portrait control, one
# outside the frame, a meter fader, a ladder with a gap
{
	echo '<layout version="17" mode="1" orientation="vertical">'
	echo '<control x="8" y="8" w="52" h="700" osc_cs="L2NoLzEvZmFkZXI=" type="faderv"></control>'
	echo '<control x="700" y="8" w="100" h="20" osc_cs="L2NoLzEvZmFkZXI=" type="faderh"></control>'
	echo '<control x="8" y="8" w="400" h="20" osc_cs="L2NoLzEvbWV0ZXIvbm9ybQ==" type="faderh"></control>'
	k=0
	while [ $k -lt 10 ]; do
		[ $k -eq 4 ] || echo "<control x=\"$((k * 40))\" y=\"30\" w=\"36\" h=\"20\" osc_cs=\"L2NoLzIvbWV0ZXIvbm9ybQ==\" type=\"led\" scalef=\"0.$k\" scalet=\"$(((k + 1) / 10)).$(((k + 1) % 10))\"></control>"
		k=$((k + 1))
	done
} >"$tmp.neg.xml"
controls "$tmp.neg.xml" >"$tmp.negctl"
[ "$(geometry "$tmp.neg.xml" "$tmp.negctl" | wc -l)" -eq 2 ] ||
	no "the geometry check misses a portrait or outside control: $(geometry "$tmp.neg.xml" "$tmp.negctl" | tr '\n' ';')"
meters "$tmp.negctl" >"$tmp.negm"
grep -q '^faderh /ch/1/meter/norm' "$tmp.negm" && grep -q '^/ch/2/meter/norm: LED slices' "$tmp.negm" ||
	no "the meter check misses a touchable meter or a gap in a ladder: $(tr '\n' ';' <"$tmp.negm")"

# what the issue asks for: 8 faders with mute, solo, pan; sends; master with limiter and meters
for a in /ch/1/fader /ch/8/fader /ch/8/mute /ch/8/solo /ch/8/pan /ch/8/fader/text /ch/8/name \
	/ch/1/send/1/level /ch/8/send/2/level /bus/2/fader /master/fader /master/mute \
	/master/limiter/on /master/limiter/ceiling /master/limiter/gr /master/meter/norm /ch/8/meter/norm /meters; do
	grep -qx "$a" "$tmp.addrs" || no "layout lacks $a"
done
[ $fail -eq 0 ] && echo "osc-touchosc: $n addresses, all in the namespace"
exit $fail
