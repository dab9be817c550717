#!/bin/sh
# playback-jack.sh - virtual soundcheck on a private jackd (dummy, 48 kHz,
# 256 frames): a take with multi stems (32-bit float) is recorded live
# from a tone on channel 1 (trim -3 dB); then, with other settings (fader,
# EQ, master compressor) and both channels on playback while the tone
# keeps playing into in_1, the take is played back and recorded again
# (take b).  Checks:
#   - layout and names: a take of another console shape (a 3-lane stems
#     file), a missing take and a name with a slash get /error (exit 1 of
#     jackmixctl) and leave take a loaded;
#   - /playback/status ends with playing 0 and 0 underrun frames;
#   - take b's stems are take a's, to the bit, from the frame playback
#     started (the ring delivered every frame, none twice), and exactly 0
#     before it (the live tone never leaks in);
#   - jackmixd-render of b's stems with the scene saved before b (the
#     other settings) equals b's recorded master, aligned by the reported
#     latency, within -120 dBFS.  The bound: the same float DSP on the
#     same samples gives the same result; the only other difference is the
#     state of filters and compressors at b's first frame, which follow
#     3 s of silence after the 10 ms crossfade (the live tone at -20 dBFS
#     for 50 ms at most), i.e. at least 10 release time constants of the
#     slowest detector (the master compressor, 250 ms): e^-12, -104 dB
#     relative to a -20 dBFS tone, under -120 dBFS.
# Skips (77) only when jackd, jack_lsp, jack_connect or python3 is missing.
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/rec-env.sh"
rec_setup 256 python3
R=../src/jackmixd-render
jmx_built "$R"
snaps=$JMX_TMP/snaps
mkdir -p "$snaps"
rec_start_daemon --record-stems multi --record-bits 32f --snapshot-dir "$snaps"
lat=$(sed -n 's/.*master latency \([0-9]*\) frames.*/\1/p' "$dlog" | tail -n 1)
[ -n "$lat" ] || jmx_die "no master latency in the log"
rec_start_tone 440 -20
fail=0
bad() {
	jmx_note "FAIL: $*"
	fail=1
}

# take NAME: record about SECONDS s, wait for the file
take() {
	out=$(rec_ctl send /record/start "s:$1") || jmx_die "/record/start $1: $out"
	rec_wait_line "$dlog" "recording .*/$1\\.wav" 5 || jmx_die "take $1 not started"
	[ -z "${2:-}" ] || $2
	sleep "$3"
	out=$(rec_ctl send /record/stop) || jmx_die "/record/stop: $out"
	rec_wait_line "$dlog" "recorded .*/$1\\.wav" 10 || jmx_die "take $1 not finished"
}

rec_ctl set /ch/1/trim/db -3 >/dev/null || jmx_die "set trim"
sleep 1
take a "" 2
T=$JMX_TMP/takes

# other settings, both channels on playback; the live tone keeps playing
for s in "/ch/1/fader/db -5" "/ch/1/eq/on 1" "/ch/1/eq/2/db 6" "/ch/1/eq/2/hz 440" "/master/comp/on 1" \
	"/master/comp/thr/db -30" "/ch/1/source playback" "/ch/2/source playback"; do
	# shellcheck disable=SC2086 # path and value
	rec_ctl set $s >/dev/null || jmx_die "set $s"
done
out=$(rec_ctl send /playback/load s:a) || jmx_die "/playback/load a: $out"
python3 - "$T/bad3.stems.wav" <<'PY' || jmx_die "cannot write a 3-lane stems file"
import struct, sys
n, ch = 4800, 3
data = b"\0" * (n * ch * 4)
fmt = struct.pack("<HHIIHH", 3, ch, 48000, 48000 * ch * 4, ch * 4, 32)
body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
open(sys.argv[1], "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
PY
for t in bad3 nothere ../a a/b; do
	if out=$(rec_ctl send /playback/load "s:$t" 2>&1); then
		bad "/playback/load $t accepted: $out"
	else
		jmx_note "/playback/load $t: $(echo "$out" | head -n 1)"
	fi
done
st=$(rec_ctl send /playback/status) || jmx_die "/playback/status: $st"
echo "$st" | grep -q '^/playback/status "*a"* ' || bad "after the refusals the take is not a: $st"

sleep 3 # the crossfade's leak of the tone dies away (see above)
out=$(rec_ctl send /snapshot/save s:b) || jmx_die "/snapshot/save: $out"
start_playback() {
	out=$(rec_ctl send /playback/start) || jmx_die "/playback/start: $out"
}
take b start_playback 3.5
st=$(rec_ctl send /playback/status) || jmx_die "/playback/status: $st"
jmx_note "after the take: $st"
# /playback/status "a" playing position length underruns buffered
set -- $(echo "$st" | tr -d '",' | awk '{ for (i = 1; i <= NF; i++) if ($i == "a") { print $(i + 1), $(i + 4); exit } }')
[ "${1:-x}" = 0 ] && [ "${2:-x}" = 0 ] || bad "playing ${1:-?}, ${2:-?} underrun frames: $st"

"$R" -c 2 -b 0 -s "$snaps/b.scene" -i "$T/b.stems.wav" -o "$JMX_TMP/mix.wav" --bits 32f -q ||
	jmx_die "jackmixd-render failed"
python3 - "$T/a.stems.wav" "$T/b.stems.wav" "$T/b.wav" "$JMX_TMP/mix.wav" "$lat" <<'PY' || fail=1
import array, math, struct, sys
def wav(path):  # float32 WAV/RF64 (WAVE_FORMAT_IEEE_FLOAT or EXTENSIBLE)
    b = open(path, "rb").read()
    i, ch, data = 12, None, None
    while i + 8 <= len(b):
        cid, size = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
        if cid == b"fmt ":
            ch = struct.unpack("<H", b[i + 10:i + 12])[0]
        elif cid == b"data":
            data = array.array("f", b[i + 8:i + 8 + size])
        i += 8 + size + (size & 1)
    return ch, data
ca, a = wav(sys.argv[1]); cb, bs = wav(sys.argv[2]); _, m = wav(sys.argv[3]); _, r = wav(sys.argv[4])
lat = int(sys.argv[5]); ok = True
na, nb = len(a) // ca, len(bs) // cb
d0 = next((k for k in range(nb) if bs[k * cb] != 0.0), None)
if d0 is None:
    print("take b's stems are silent"); sys.exit(1)
n = min(na, nb - d0)
same = all(bs[(d0 + k) * cb + c] == a[k * ca + c] for k in range(n) for c in range(cb))
print(f"playback started at frame {d0} of take b; {n} frames of its stems {'equal' if same else 'DIFFER from'} take a's")
ok &= same and n == na or n >= 48000 * 2
ok &= same
nm = len(m) // 2
worst = max(abs(r[2 * k + c] - m[2 * (k + lat) + c]) for k in range(nm - lat) for c in range(2))
peak = max(abs(x) for x in m)
db = 20 * math.log10(worst) if worst > 0 else -600
print(f"render vs recorded master: {db:.1f} dBFS apart over {nm - lat} frames (peak {20 * math.log10(peak):.1f} dBFS)")
ok &= peak > 0.01 and db <= -120
sys.exit(0 if ok else 1)
PY
[ $fail -eq 0 ] || jmx_die "see above"
jmx_note "PASS"
