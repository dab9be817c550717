#!/bin/sh
# render-cli.sh - jackmixd-render's command line and its refusals, on
# small generated WAV files (python3's wave module, 16-bit): each case
# must exit 1 (a file) or 2 (an option), name the file or the option and
# the reason, and leave no output behind:
#   a missing input, a missing state file, inputs at two sample rates
#   (it does not resample), a stereo file on a mono channel, a stems file
#   whose channels are not the console's lanes, a file cut shorter than
#   its header says, a file not named as a take's stems without N=,
#   a bad --bits, no -c.
# Then a good run (a mono and a stereo file, quiet) writes the mix with
# as many frames as the longest input, and says nothing on a non-terminal.
# Skips (77) only when python3 is missing.
set -u
top_builddir=${top_builddir:-..}
me=render-cli.sh
R=$top_builddir/src/jackmixd-render
command -v python3 >/dev/null 2>&1 || { echo "$me: SKIP: python3 not found"; exit 77; }
[ -x "$R" ] || { echo "$me: FAIL: build $R first"; exit 1; }
d=render-cli.$$
rm -rf "$d" && mkdir -p "$d" || exit 1
trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "$me: FAIL: $*"; fail=1; }

# wav FILE RATE CHANNELS FRAMES: a quiet sine
wav() {
	python3 - "$@" <<'PY' || exit 1
import math, struct, sys, wave
path, rate, ch, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
w = wave.open(path, "wb")
w.setnchannels(ch); w.setsampwidth(2); w.setframerate(rate)
w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate))) * ch
                       for i in range(n)))
w.close()
PY
}
wav "$d/mono.wav" 48000 1 24000
wav "$d/stereo.wav" 48000 2 36000
wav "$d/cd.wav" 44100 1 24000
wav "$d/take.stems.wav" 48000 3 24000
cp "$d/mono.wav" "$d/cut.wav"
truncate -s -2000 "$d/cut.wav"

# refuse CODE PATTERN ARGS...: exit CODE, PATTERN on stderr, no output
refuse() {
	code=$1 pat=$2
	shift 2
	rm -f "$d/out.wav"
	"$R" "$@" -o "$d/out.wav" >"$d/log" 2>&1
	rc=$?
	[ "$rc" -eq "$code" ] || bad "$* exits $rc, not $code: $(cat "$d/log")"
	grep -q -- "$pat" "$d/log" || bad "$*: no '$pat' in: $(cat "$d/log")"
	[ ! -e "$d/out.wav" ] || bad "$*: left $d/out.wav"
	[ -z "$(ls -A "$d" | grep render-)" ] || bad "$*: left a temporary: $(ls -A "$d")"
}
refuse 1 "nothere.wav: No such file" -c 2 -i "1=$d/nothere.wav"
refuse 1 "nothere.state: No such file" -c 2 -s "$d/nothere.state" -i "1=$d/mono.wav"
refuse 1 "44100 Hz, but .* 48000 Hz: jackmixd-render does not resample" -c 2 -i "1=$d/mono.wav" -i "2=$d/cd.wav"
refuse 1 "2 channels, but channel 1 is mono" -c 2 -i "1=$d/stereo.wav"
refuse 1 "3 channels, but the console has 2 input lanes" -c 2 -i "$d/take.stems.wav"
refuse 1 "cut.wav: truncated" -c 2 -i "1=$d/cut.wav"
refuse 1 "not a take's stems" -c 2 -i "$d/mono.wav"
refuse 1 "no channel 3" -c 2 -i "3=$d/mono.wav"
refuse 2 "bad value" -c 2 --bits 12 -i "1=$d/mono.wav"
refuse 2 "CHANNELS is needed" -i "1=$d/mono.wav"

# a good run: channel 1 mono, channel 2 stereo; the longest input sets
# the length; quiet on a non-terminal without -q too (no progress bar)
"$R" -c 2 --stereo-channels 1 -b 0 -i "1=$d/mono.wav" -i "2=$d/stereo.wav" -o "$d/mix.wav" --bits 16 -q >"$d/log" 2>&1 ||
	bad "a good run failed: $(cat "$d/log")"
[ ! -s "$d/log" ] || bad "-q printed: $(cat "$d/log")"
python3 - "$d/mix.wav" <<'PY' || bad "mix.wav is not 2 x 36000 frames at 48000 Hz"
import struct, sys
b = open(sys.argv[1], "rb").read()
i, fmt, frames = 12, None, None
while i + 8 <= len(b):  # RIFF chunks (WAVE_FORMAT_EXTENSIBLE: wave.py cannot)
    cid, size = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
    if cid == b"fmt ":
        fmt = struct.unpack("<HHIIH", b[i + 8:i + 22])
    if cid == b"data":
        frames = size // fmt[4]
    i += 8 + size + (size & 1)
sys.exit(0 if fmt and (fmt[1], fmt[2], frames) == (2, 48000, 36000) else 1)
PY
"$R" -c 2 --stereo-channels 1 -b 0 -i "1=$d/mono.wav" -o "$d/mix2.wav" >"$d/log" 2>&1 </dev/null ||
	bad "a second run failed: $(cat "$d/log")"
grep -q '%' "$d/log" && bad "a progress bar on a non-terminal: $(cat "$d/log")"
[ "$fail" -eq 0 ] && echo "$me: PASS"
exit "$fail"
