#!/bin/sh
# rec-ffmpeg.sh - the recorder's loudness against an independent meter:
# test_recorder --ffmpeg-take records a 30 s programme with dynamics (noise,
# a sweep, level steps and bursts) through the ring, the disk thread and
# libsndfile into a 24-bit WAV and prints the take's values as written to
# bext; ffmpeg's ebur128 filter (its own BS.1770 code, not libebur128)
# measures the file.  Integrated loudness must agree within 0.1 LU and true
# peak within 0.2 dB (ffmpeg prints one decimal: +0.05 for its rounding);
# the loudness range within EBU Tech 3342's 1 LU.
. "${srcdir:-.}/jack-env.sh"
jmx_require ffmpeg
jmx_setup

out=$("${top_builddir:-..}/tests/test_recorder" --ffmpeg-take "$JMX_TMP" 2>"$JMX_TMP/take.log") ||
	{ jmx_show "take" "$JMX_TMP/take.log"; jmx_fail "test_recorder --ffmpeg-take failed"; }
jmx_note "daemon: $out"
file=$(printf '%s\n' "$out" | sed -n 's/^file=\([^ ]*\) .*/\1/p')
[ -f "$file" ] || jmx_fail "no take file in '$out'"
ours_i=$(printf '%s\n' "$out" | sed -n 's/.* i=\([-0-9.]*\).*/\1/p')
ours_tp=$(printf '%s\n' "$out" | sed -n 's/.* tp=\([-0-9.]*\).*/\1/p')
ours_lra=$(printf '%s\n' "$out" | sed -n 's/.* lra=\([-0-9.]*\).*/\1/p')

ffmpeg -nostdin -hide_banner -nostats -i "$file" -af ebur128=peak=true -f null - >"$JMX_TMP/ff.log" 2>&1 ||
	{ jmx_show "ffmpeg" "$JMX_TMP/ff.log"; jmx_fail "ffmpeg failed"; }
# the summary comes last; take the last match of each line
ff_i=$(sed -n 's/^ *I: *\([-0-9.]*\) LUFS.*/\1/p' "$JMX_TMP/ff.log" | tail -n 1)
ff_lra=$(sed -n 's/^ *LRA: *\([-0-9.]*\) LU$/\1/p' "$JMX_TMP/ff.log" | tail -n 1)
ff_tp=$(sed -n 's/^ *Peak: *\([-0-9.]*\) dBFS.*/\1/p' "$JMX_TMP/ff.log" | tail -n 1)
[ -n "$ff_i" ] && [ -n "$ff_tp" ] && [ -n "$ff_lra" ] ||
	{ jmx_show "ffmpeg" "$JMX_TMP/ff.log" 30; jmx_fail "cannot read ffmpeg's summary"; }
jmx_note "ffmpeg: i=$ff_i tp=$ff_tp lra=$ff_lra"

fail=0
check() { # what ours theirs tolerance
	if awk -v a="$2" -v b="$3" -v t="$4" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
		jmx_note "ok: $1: daemon $2, ffmpeg $3 (tolerance $4)"
	else
		jmx_note "FAIL: $1: daemon $2, ffmpeg $3 differ by more than $4"
		fail=1
	fi
}
check "integrated loudness (LUFS)" "$ours_i" "$ff_i" 0.15
check "true peak (dBTP)" "$ours_tp" "$ff_tp" 0.25
check "loudness range (LU)" "$ours_lra" "$ff_lra" 1.0
# the programme is not trivial: loud enough to gate in, with a real range
awk -v i="$ours_i" 'BEGIN { exit !(i > -38 && i < -20) }' || { jmx_note "FAIL: the programme is at $ours_i LUFS, not near -30"; fail=1; }
exit $fail
