#!/bin/sh
# master.sh - jackmixd-master against an independent judge: ffmpeg's
# ebur128 filter (peak=true) measures every result.  Music-like signals
# with a wide crest factor come from master_gen (seeded: decaying tones,
# a bass line, noise-burst drums).  Checks:
#   quiet (-32 LUFS) and loud (-8 LUFS, true peak +8.5 dBTP) inputs reach
#   -14 LUFS within 0.2 LU with the true peak at most 0.1 dB over -1 dBTP,
#   as WAV and as FLAC (the output's name picks the container);
#   --preset broadcast reaches -23; --ceiling -3 holds -3;
#   album mode keeps the tracks' difference (ffmpeg's I of each, in and
#   out) within 0.2 LU and puts the album (ffmpeg on the two concatenated)
#   on target; --per-track puts each on target;
#   a peaky signal (sparse hits 12 dB hot) at -9 LUFS is refused with
#   exit 3 and no output, and --force goes ahead;
#   --json parses and agrees with ffmpeg within 0.2 LU, --plot is an SVG
#   with its target line; the report states a speed above 10x real time;
#   bad options and files exit non-zero naming the option or the file,
#   and leave nothing behind.
# Skips (77) only when ffmpeg or python3 is missing.
# shellcheck disable=SC2046,SC2015 # judge prints "I TP", split on purpose
set -u
top_builddir=${top_builddir:-..}
me=master.sh
M=$top_builddir/src/jackmixd-master
G=./master_gen
command -v ffmpeg >/dev/null 2>&1 || { echo "$me: SKIP: ffmpeg not found"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "$me: SKIP: python3 not found"; exit 77; }
[ -x "$M" ] && [ -x "$G" ] || { echo "$me: FAIL: build $M and $G first"; exit 1; }
d=master.$$
rm -rf "$d" && mkdir -p "$d/album" "$d/pt" || exit 1
trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "$me: FAIL: $*"; fail=1; }

# judge FILE...: "I TP" of the files (concatenated when several) by ffmpeg
# (framelog=verbose only keeps the per-frame lines out of the log)
judge() {
	if [ $# -eq 1 ]; then
		ffmpeg -nostats -i "$1" -filter_complex ebur128=peak=true:framelog=verbose -f null - 2>&1
	else
		ffmpeg -nostats -i "$1" -i "$2" -filter_complex "[0:a][1:a]concat=n=2:v=0:a=1,ebur128=peak=true:framelog=verbose" -f null - 2>&1
	fi | awk '/Summary:/ { s = 1 } s && $1 == "I:" { i = $2 } s && $1 == "Peak:" { p = $2 } END { print i, p }'
}
# near A B TOL: |A - B| <= TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t + 1e-9) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b + 1e-9) }'; }

# check OUT TARGET CEILING WHAT
check() {
	set -- "$1" "$2" "$3" "$4" $(judge "$1")
	[ $# -eq 6 ] || { bad "$4: ffmpeg could not measure $1"; return; }
	echo "$me: $4: I $5 LUFS (target $2), TP $6 dBTP (ceiling $3)"
	near "$5" "$2" 0.2 || bad "$4: I $5 LUFS, not within 0.2 LU of $2"
	le "$6" "$(awk -v c="$3" 'BEGIN { print c + 0.1 }')" || bad "$4: TP $6 dBTP over $3 + 0.1"
}

$G "$d/quiet.wav" 30 -10 1 && $G "$d/loud.wav" 30 14 2 && $G "$d/peaky.wav" 30 0 3 peaky &&
	$G "$d/a.wav" 20 -4 4 && $G "$d/b.wav" 20 -10 5 || { bad "master_gen"; exit 1; }

"$M" "$d/quiet.wav" -o "$d/quiet.out.wav" >"$d/quiet.txt" || bad "quiet: exit $?"
check "$d/quiet.out.wav" -14 -1 quiet
"$M" "$d/loud.wav" -o "$d/loud.out.wav" --json --plot "$d/loud.svg" >"$d/loud.json" || bad "loud: exit $?"
check "$d/loud.out.wav" -14 -1 loud
"$M" "$d/quiet.wav" -o "$d/bc.wav" --preset broadcast -q || bad "broadcast: exit $?"
check "$d/bc.wav" -23 -1 "--preset broadcast"
"$M" "$d/quiet.wav" -o "$d/quiet.flac" -q || bad "FLAC: exit $?"
[ "$(head -c 4 "$d/quiet.flac")" = fLaC ] || bad "FLAC: $d/quiet.flac is not a FLAC file"
check "$d/quiet.flac" -14 -1 "FLAC output (24-bit from a float input)"
"$M" "$d/loud.wav" -o "$d/c3.wav" -c -3 -t -16 -q || bad "ceiling -3: exit $?"
check "$d/c3.wav" -16 -3 "--ceiling -3 --target -16"

# the report: JSON agrees with the judge; the plot is SVG with the target
python3 - "$d/loud.json" "$(judge "$d/loud.out.wav")" <<'PY' || bad "loud: --json report"
import json, sys
r = json.load(open(sys.argv[1]))
i, tp = map(float, sys.argv[2].split())
o = r["tracks"][0]["output"]
assert abs(o["i"] - i) <= 0.2, (o["i"], i)
assert r["target"] == -14 and r["ceiling"] == -1
assert r["tracks"][0]["input"]["i"] > -9 and o["max_limiter_gr"] > 0
for k in ("lra", "tp", "correlation", "mono_loss"):
    assert isinstance(o[k], float), k
print("master.sh: --json: output I %.2f, speed %.0fx real time (%.2f s of processor for %.0f s of audio)"
      % (o["i"], r["speed"], r["cpu_seconds"], r["audio_seconds"]))
assert r["audio_seconds"] / r["cpu_seconds"] > 10, "slower than 10x real time"
PY
python3 - "$d/loud.svg" <<'PY' || bad "--plot: not the expected SVG"
import sys, xml.dom.minidom as m
doc = m.parse(sys.argv[1])
assert doc.documentElement.tagName == "svg"
assert len(doc.getElementsByTagName("polyline")) >= 3
assert any("target -14.0 LUFS" in t.firstChild.data for t in doc.getElementsByTagName("text"))
PY

# album: one gain, relative level kept, the album on target.  At -20 LUFS
# the limiter barely works: one gain then keeps the difference exactly
# (heavier limiting of the louder track would narrow it, as it should).
"$M" "$d/a.wav" "$d/b.wav" -o "$d/album" -t -20 --json >"$d/album.json" || bad "album: exit $?"
python3 -c 'import json,sys; t = json.load(open(sys.argv[1]))["tracks"]; assert t[0]["gain_db"] == t[1]["gain_db"], t' \
	"$d/album.json" || bad "album: the tracks got different gains"
set -- $(judge "$d/a.wav") $(judge "$d/b.wav") $(judge "$d/album/a.wav") $(judge "$d/album/b.wav")
[ $# -eq 8 ] || { bad "album: ffmpeg could not measure the files"; set -- 0 0 0 0 99 99 99 99; }
din=$(awk -v a="$1" -v b="$3" 'BEGIN { print a - b }')
dout=$(awk -v a="$5" -v b="$7" 'BEGIN { print a - b }')
echo "$me: album: A - B was $din LU, is $dout LU"
near "$din" "$dout" 0.2 || bad "album: the difference between the tracks moved from $din to $dout LU"
near "$din" 0 1 && bad "album: the test tracks should differ in loudness ($din LU)"
set -- $(judge "$d/album/a.wav" "$d/album/b.wav")
[ $# -eq 2 ] || { bad "album: ffmpeg could not measure the album"; set -- 99 99; }
echo "$me: album: I $1 LUFS, TP $2 dBTP"
near "$1" -20 0.2 || bad "album: I $1 LUFS, not within 0.2 LU of -20"
le "$2" -0.9 || bad "album: TP $2 over -0.9"
"$M" "$d/a.wav" "$d/b.wav" -o "$d/pt" --per-track -q || bad "per-track: exit $?"
check "$d/pt/a.wav" -14 -1 "per-track A"
check "$d/pt/b.wav" -14 -1 "per-track B"

# too much limiting: refused, nothing written; --force goes ahead
"$M" "$d/peaky.wav" -o "$d/peaky.out.wav" -t -9 -q 2>"$d/err"
st=$?
[ $st -eq 3 ] || bad "--max-limiting: exit $st, want 3"
grep -q -- "--max-limiting" "$d/err" || bad "--max-limiting: no reason given: $(cat "$d/err")"
[ -e "$d/peaky.out.wav" ] && bad "--max-limiting: a refused run left $d/peaky.out.wav"
for f in "$d"/*tmp*; do
	[ -e "$f" ] && bad "a temporary file was left behind: $f"
done
"$M" "$d/peaky.wav" -o "$d/peaky.out.wav" -t -9 --force -q || bad "--force: exit $?"
check "$d/peaky.out.wav" -9 -1 "--force"

# bad options and files: non-zero, the option or the file named
# expect STATUS WORD ARGS...: the exit status, and WORD in the message
expect() {
	want=$1 word=$2
	shift 2
	"$M" "$@" >/dev/null 2>"$d/err"
	st=$?
	[ $st -eq "$want" ] || bad "$*: exit $st, want $want ($(cat "$d/err"))"
	grep -q -- "$word" "$d/err" || bad "$*: the message does not name '$word': $(cat "$d/err")"
}
expect 1 nosuch.wav "$d/nosuch.wav" -o "$d/x.wav"
printf 'not audio\n' >"$d/text.wav"
expect 1 text.wav "$d/text.wav" -o "$d/x.wav"
expect 2 --target "$d/quiet.wav" -o "$d/x.wav" --target loud
expect 2 --target "$d/quiet.wav" -o "$d/x.wav" --target -3
expect 2 --ceiling "$d/quiet.wav" -o "$d/x.wav" --ceiling 1
expect 2 --preset "$d/quiet.wav" -o "$d/x.wav" --preset vinyl
expect 2 --output "$d/quiet.wav"
expect 2 --output "$d/a.wav" "$d/b.wav" -o "$d/x.wav"
expect 2 --param "$d/quiet.wav" -o "$d/x.wav" -p /ch/1/fader/db=0
expect 2 --param "$d/quiet.wav" -o "$d/x.wav" -p /master/comp/ratio=100
expect 2 --max-limiting "$d/quiet.wav" -o "$d/x.wav" --max-limiting -1
expect 2 "input itself" "$d/quiet.wav" -o "$d/quiet.wav"
printf 'jackmixd-state 1\n/master/comp/ratio 2x\nend\n' >"$d/bad.state"
expect 1 "bad.state:2" "$d/quiet.wav" -o "$d/x.wav" -s "$d/bad.state"
[ -e "$d/x.wav" ] && bad "a failed run left $d/x.wav"

# the chain from a state file is the one that runs: width 0 makes mono
printf 'jackmixd-state 1\n/master/width 0\nend\n' >"$d/mono.state"
"$M" "$d/quiet.wav" -o "$d/mono.wav" -s "$d/mono.state" --json >"$d/mono.json" || bad "state file: exit $?"
python3 -c 'import json,sys; o = json.load(open(sys.argv[1]))["tracks"][0]["output"]; assert o["correlation"] > 0.999 and o["mono_loss"] < 0.01, o' "$d/mono.json" ||
	bad "-s with /master/width 0: the output is not mono"

[ $fail -eq 0 ] && echo "$me: all checks passed"
exit $fail
