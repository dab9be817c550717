#!/bin/sh
# state-faults.sh - a failing disk never costs a saved state: with
# faultshim.so (LD_PRELOAD) making create, write, fsync, close or rename
# of the daemon's temporary files fail (EIO, ENOSPC, EROFS), /state/save
# and /snapshot/save reply /error naming the failed step, the previous
# state file and scene stay byte-identical, no temporary file is left, the
# daemon keeps running, and autosave retries until the disk works again.
# When fiu-run (libfiu) is installed, an fsync failure injected by libfiu's
# own POSIX preload is checked the same way.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
jmx_setup
jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-fault-$$"
state=$T/console.state
snaps=$T/scenes
shim=$(pwd)/faultshim.so
[ -f "$shim" ] || shim=$(pwd)/.libs/faultshim.so
[ -f "$shim" ] || jmx_fail "faultshim.so not built"
osc() { ./jmx_osc -t 3000 "$port" "$@"; }
set_() { ./jmx_osc -t 0 "$port" "$@"; }
fail=0
is_error() { case "$1" in "/error $2 "*) return 0 ;; esac; return 1; }
no_temps() { [ -z "$(ls -A "$T" "$snaps" 2>/dev/null | grep '\.tmp\.')" ]; }

echo none >"$T/fault"
jmx_daemon_start -w "$T/daemon.log" JMX_FAULT_CTL="$T/fault" JMX_FAULT_MATCH=.tmp. JMX_FAULT_LOG="$T/hits" \
	LD_PRELOAD="$shim" -n "$name" -c 2 -b 1 -p "$port" --feedback-port 0 -s "$state" --snapshot-dir "$snaps" ||
	jmx_fail "daemon does not answer OSC"
daemon=$JMX_DAEMON_PID

set_ /ch/1/fader/db f -5
out=$(osc /state/save)
jmx_check "first save: '$out'" [ "$out" = "/state/save $state" ]
out=$(osc /snapshot/save s keep)
jmx_check "first scene: '$out'" [ "$out" = "/snapshot/save keep" ]
cp "$state" "$T/state.good"
cp "$snaps/keep.scene" "$T/scene.good"

v=-6
for f in "open EROFS:create" "open ENOSPC:create" "write ENOSPC:write" "write EIO:write" "fsync EIO:fsync" \
	"close EIO:close" "rename EIO:rename" "rename EROFS:rename"; do
	fault=${f%%:*}
	step=${f##*:}
	echo "$fault" >"$T/fault"
	: >"$T/hits"
	set_ /ch/1/fader/db f $v
	v=$((v - 1))
	out=$(osc /state/save)
	jmx_check "$fault: /state/save -> '$out'" is_error "$out" /state/save
	jmx_check "$fault: the reason names the step ($step)" eval 'case "$out" in *"$step"*) true ;; *) false ;; esac'
	out=$(osc /snapshot/save s keep)
	jmx_check "$fault: /snapshot/save -> '$out'" is_error "$out" /snapshot/save
	jmx_check "$fault: the fault was hit" [ -s "$T/hits" ]
	jmx_check "$fault: previous state file intact" cmp -s "$state" "$T/state.good"
	jmx_check "$fault: previous scene intact" cmp -s "$snaps/keep.scene" "$T/scene.good"
	jmx_check "$fault: no temporary file left" no_temps
	jmx_check "$fault: logged" grep -q "error: .*$step" "$T/daemon.log"
	jmx_alive $daemon || { jmx_show daemon "$T/daemon.log"; jmx_fail "daemon died under $fault"; }
done

# autosave: fails while the disk fails, retries, succeeds once it works
echo "write ENOSPC" >"$T/fault"
: >"$T/hits"
set_ /ch/2/fader/db f -20
sleep 2.6
jmx_check "autosave tried and failed" [ -s "$T/hits" ]
jmx_check "failed autosave left the file intact" cmp -s "$state" "$T/state.good"
echo none >"$T/fault"
n=40
while grep -qx '/ch/2/fader/db 0' "$state" && [ $n -gt 0 ]; do
	n=$((n - 1))
	sleep 0.1
done
jmx_check "autosave retried after the disk recovered" grep -qx '/ch/2/fader/db -20' "$state"
jmx_check "and the result parses" ./jmx_statecheck -c 2 -b 1 "$state"
out=$(osc /snapshot/save s keep)
jmx_check "scene save works again: '$out'" [ "$out" = "/snapshot/save keep" ]
jmx_check "no temporary file left" no_temps
jmx_stop_pid $daemon 5
jmx_check "exit 0 after all that" [ $? -eq 0 ]

# libfiu's own preload, when installed: fsync of any file fails
if command -v fiu-run >/dev/null 2>&1; then
	cp "$state" "$T/state.good"
	fiu-run -x -c 'enable name=posix/io/sync/fsync' \
		../src/jackmixd -n "$name" -c 2 -b 1 -p "$port" --feedback-port 0 -s "$state" --snapshot-dir "$snaps" \
		>"$T/fiu.log" 2>&1 &
	d2=$!
	jmx_track $d2
	if jmx_daemon_wait "$port" $d2; then
		set_ /ch/1/fader/db f -42
		out=$(osc /state/save)
		jmx_check "fiu fsync: /state/save -> '$out'" is_error "$out" /state/save
		jmx_check "fiu fsync: previous state intact" cmp -s "$state" "$T/state.good"
		jmx_check "fiu fsync: no temporary file left" no_temps
		jmx_stop_pid $d2 5
	else
		jmx_show "fiu-run daemon" "$T/fiu.log"
		jmx_bad "the daemon runs under fiu-run"
	fi
else
	jmx_note "fiu-run not installed: libfiu cross-check not run"
fi

if [ $fail -ne 0 ]; then
	jmx_show daemon "$T/daemon.log" 80
	exit 1
fi
exit 0
