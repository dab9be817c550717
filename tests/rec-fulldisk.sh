#!/bin/sh
# rec-fulldisk.sh - the daemon records into a 1 MiB tmpfs until it fills
# (or, where mounting is not allowed, under a 1 MiB file size limit: the
# same write error): the take stops by itself, feedback clients get /error
# and a final /record/status, the file passes the strict header check and
# holds exactly the frames reported, and the console keeps running (it
# answers, meters loudness, and refuses or survives the next take).
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/rec-env.sh"
rec_setup 256 oscsend oscdump
mnt=$JMX_TMP/takes
mkdir -p "$mnt"
mounted=0
if [ -z "${JMX_TEST_NO_MOUNT:-}" ] && mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
	mounted=1
	trap 'umount "$mnt" 2>/dev/null; jmx_cleanup' EXIT
	jmx_note "recording into a 1 MiB tmpfs"
else
	jmx_note "cannot mount a tmpfs here: a 1 MiB file size limit fills the 'disk' instead"
fi
fail=0
if [ $mounted = 1 ]; then
	rec_start_daemon --record-bits 32f
else
	# soft limit only, so it can be lifted again for everything else
	ulimit -S -f 2048 || jmx_fail "cannot limit the file size either"
	rec_start_daemon --record-bits 32f
	ulimit -S -f unlimited
fi
rec_start_tone 1000.3 -20
rec_listen
rec_ctl bundle /record/start s:full >/dev/null || jmx_fail "/record/start"
# float stereo at 48 kHz: 1 MiB is 2.7 s
rec_wait_line "$fblog" '/error .*"/record/status"' 15 || { jmx_show feedback "$fblog"; jmx_fail "no /error"; }
rec_wait_line "$fblog" '/record/status .* 0 "full.wav"' 5 || jmx_fail "no final status"
jmx_note "$(grep '/error' "$fblog" | tail -n 1)"
final=$(grep '/record/status .* 0 "full.wav"' "$fblog" | tail -n 1)
frames=$(rec_status_field "$final" 6)
info=$(./rec_inspect info "$mnt/full.wav") || { jmx_note "FAIL: the file does not open"; fail=1; }
jmx_note "reported $frames frames; file: $info"
case $info in *"frames=$frames "*"strict=ok"*) ;; *) jmx_note "FAIL: file vs report or header"; fail=1 ;; esac
[ "${frames:-0}" -gt 24000 ] || { jmx_note "FAIL: only $frames frames kept"; fail=1; }
fit=$(./rec_inspect tone "$mnt/full.wav" 1000.3 48000)
case $fit in "silent=0 "*) ;; *) jmx_note "FAIL: silence in the take: $fit"; fail=1 ;; esac

# the console is still there
jmx_alive $daemon || jmx_fail "the daemon died"
rec_ctl ping >/dev/null || { jmx_note "FAIL: no /pong after the full disk"; fail=1; }
out=$(rec_ctl get /master/loudness/m)
rec_near "${out##* }" -23 0.5 || { jmx_note "FAIL: loudness meter: $out"; fail=1; }
if [ $mounted = 1 ]; then
	# the disk is still full: the next take is refused with a reason
	rec_ctl bundle /record/start s:again >/dev/null
	rec_wait_line "$fblog" '/error .*"/record/start"' 5 || { jmx_note "FAIL: no /error for a take on a full disk"; fail=1; }
fi
jmx_stop_pid $daemon 5 || { jmx_note "FAIL: daemon exit status"; fail=1; }
[ $mounted = 1 ] && umount "$mnt"
[ $fail -eq 0 ] || jmx_show daemon "$dlog"
exit $fail
