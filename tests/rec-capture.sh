#!/bin/sh
# rec-capture.sh - the daemon's recording of the master against an
# independent recorder: jack_capture records master_L/R while the daemon
# records a 10 s take (32-bit float); after alignment the two files are
# sample-identical.  Also: /record/status reaches a feedback client at the
# start, about once a second while recording, and at the end; the final
# status's loudness equals the file's bext fields; ffmpeg's ebur128 filter
# on the take agrees with the reported integrated loudness and true peak.
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/rec-env.sh"
# a long period: fewer xruns on a loaded machine (see the comparison)
rec_setup 1024 jack_capture oscsend oscdump
rec_start_daemon --record-bits 32f
rec_start_tone 1000.3 -20
rec_listen
fail=0

jack_capture --daemon -d 14 -p "$name:master_L" -p "$name:master_R" "$JMX_TMP/jc.wav" \
	>"$JMX_TMP/jc.log" 2>&1 &
jc=$!
jmx_track $jc
sleep 1.5
f0=$(rec_frames)
out=$(rec_ctl get /record/start) || { jmx_show daemon "$dlog"; jmx_fail "/record/start: $out"; }
jmx_note "start: $out"
rec_wait_line "$fblog" '/record/status .* 1 "master-' 5 || { jmx_show feedback "$fblog"; jmx_fail "no status push at start"; }
sleep 10
out=$(rec_ctl get /record/stop) || jmx_fail "/record/stop: $out"
f1=$(rec_frames)
rec_wait_line "$fblog" '/record/status .* 0 "master-' 10 || { jmx_show feedback "$fblog"; jmx_fail "no final status"; }
jmx_wait_gone $jc 20 || jmx_fail "jack_capture did not finish"
final=$(grep '/record/status .* 0 "master-' "$fblog" | tail -n 1)
jmx_note "final: $final"
take=$JMX_TMP/takes/$(rec_status_field "$final" 4)
[ -f "$take" ] || jmx_fail "no take file $take"

pushes=$(grep -c '/record/status .* 1 "master-' "$fblog")
[ "$pushes" -ge 8 ] || { jmx_note "FAIL: $pushes status pushes during a 10 s take (want about 10)"; fail=1; }

# bit-exact against jack_capture: every frame of the take is in
# jack_capture's file, equal, in order.  When JACK reported an xrun one
# of the two clients may have missed a period the other recorded: the
# comparison then finds its place again, and up to 1 % may be unmatched.
cmp=$(./rec_inspect compare "$take" "$JMX_TMP/jc.wav") || jmx_fail "rec_inspect compare"
jmx_note "compare: $cmp"
off=$(printf '%s\n' "$cmp" | sed 's/offset=\([-0-9]*\).*/\1/')
matched=$(printf '%s\n' "$cmp" | sed 's/.* matched=\([0-9]*\).*/\1/')
unmatched=$(printf '%s\n' "$cmp" | sed 's/.*unmatched=\([0-9]*\).*/\1/')
resyncs=$(printf '%s\n' "$cmp" | sed 's/.*resyncs=\([0-9]*\).*/\1/')
xruns=$(sed -n '/info: recording/,$p' "$dlog" | grep -c 'xrun')
[ "$off" -ge 0 ] || { jmx_note "FAIL: the take's first frames are nowhere in jack_capture's file"; fail=1; }
if [ "$xruns" -eq 0 ]; then
	[ "$unmatched" -eq 0 ] && [ "$resyncs" -eq 0 ] ||
		{ jmx_note "FAIL: no xrun, yet $unmatched frames differ ($resyncs resyncs)"; fail=1; }
else
	jmx_note "JACK reported xruns during the take ($xruns log lines): tolerating missed periods"
	[ $((unmatched * 100)) -le "$matched" ] || { jmx_note "FAIL: $unmatched frames unmatched"; fail=1; }
fi
frames=$(rec_status_field "$final" 6)
info=$(./rec_inspect info "$take")
jmx_note "take: $info"
case $info in *"frames=$frames "*"strict=ok"*) ;; *) jmx_note "FAIL: file vs reported $frames frames"; fail=1 ;; esac
# the take runs from the start command to the stop command.  It holds at
# least the 10 s slept between the start's reply (the daemon answers after
# it has taken the start position) and sending the stop, less the one
# period the positions are rounded to; and at most what the graph ran
# between f0 (before the start was sent) and f1 (after the stop's reply),
# plus that period and the meter file's 100 ms.  How long jackmixctl takes
# to start on a loaded machine moves neither bound.
per=${JMX_PERIOD:-1024}
rate=${JMX_RATE:-48000}
lo=$((10 * rate - per))
hi=$((f1 - f0 + per + rate / 10))
[ "$frames" -ge "$lo" ] && [ "$frames" -le "$hi" ] ||
	{ jmx_note "FAIL: $frames frames, want $lo..$hi (10 s slept, the graph ran $((f1 - f0)))"; fail=1; }
dropped=$(rec_status_field "$final" 7)
[ "$dropped" = 0 ] || { jmx_note "FAIL: $dropped dropped frames"; fail=1; }

# the loudness reported over OSC is what bext holds
i=$(rec_status_field "$final" 10)
lra=$(rec_status_field "$final" 11)
tp=$(rec_status_field "$final" 12)
mm=$(rec_status_field "$final" 13)
ms=$(rec_status_field "$final" 14)
for f in "i:$i" "lra:$lra" "tp:$tp" "max_m:$mm" "max_s:$ms"; do
	k=${f%%:*}
	v=${f#*:}
	b=$(printf '%s\n' "$info" | sed -n "s/.* $k=\([-0-9.]*\).*/\1/p")
	rec_near "$v" "${b:-999}" 0.005 || { jmx_note "FAIL: bext $k=$b, OSC reported $v"; fail=1; }
done
# a -20 dBFS sine, centre-panned (-3 dB a side): -23 LUFS, -23 dBTP
rec_near "$i" -23.0 0.2 || { jmx_note "FAIL: I $i for a -23 dBFS-per-side sine"; fail=1; }

if command -v ffmpeg >/dev/null 2>&1; then
	ffmpeg -nostdin -hide_banner -nostats -i "$take" -af ebur128=peak=true -f null - >"$JMX_TMP/ff.log" 2>&1
	ff_i=$(sed -n 's/^ *I: *\([-0-9.]*\) LUFS.*/\1/p' "$JMX_TMP/ff.log" | tail -n 1)
	ff_tp=$(sed -n 's/^ *Peak: *\([-0-9.]*\) dBFS.*/\1/p' "$JMX_TMP/ff.log" | tail -n 1)
	jmx_note "ffmpeg: I=$ff_i TP=$ff_tp"
	rec_near "$i" "${ff_i:-999}" 0.15 || { jmx_note "FAIL: ffmpeg I $ff_i vs $i"; fail=1; }
	rec_near "$tp" "${ff_tp:-999}" 0.25 || { jmx_note "FAIL: ffmpeg TP $ff_tp vs $tp"; fail=1; }
else
	jmx_note "ffmpeg not installed: its cross-check runs in rec-ffmpeg.sh when it is"
fi

# the live meter over OSC
out=$(rec_ctl get /master/loudness/m) || fail=1
jmx_note "$out"
m=${out##* }
rec_near "$m" -23.0 0.3 || { jmx_note "FAIL: /master/loudness/m $m"; fail=1; }

jmx_stop_pid $daemon 5 || { jmx_note "FAIL: daemon exit status on SIGTERM"; fail=1; }
[ $fail -eq 0 ] || jmx_show daemon "$dlog"
exit $fail
