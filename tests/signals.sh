#!/bin/sh
# signals.sh - what the daemon does on each signal (jackmixd(1), SIGNALS):
#
#  1. SIGTERM and SIGINT while recording, 0.5 s after a parameter change
#     (so before the 2 s autosave): exit 0 within 2 s, the take is finished
#     (strict header check, bext written at close), the change is in the
#     state file, no temporary file is left beside it;
#  2. SIGTERM while the JACK server is away: exit 0 within 2 s;
#  3. a disk that hangs (stallshim.so sleeps a write of the take for 60 s)
#     makes the shutdown wait for the recorder: a second SIGINT ends the
#     process at once (status 130, within 0.5 s), and with one signal only
#     the shutdown watchdog ends it after 10 s (status 1), the state file
#     saved either way;
#  4. SIGHUP reloads the state file: an edit by hand is applied; a file
#     that does not parse, or no file, changes nothing;
#  5. SIGPIPE is ignored: kill -PIPE, and a closed stderr pipe while
#     logging, leave the daemon answering /ping; it still exits 0.
# Skips (77) only when jackd or jack_lsp is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp awk
daemon=$top_builddir/src/jackmixd
osc=./jmx_osc
inspect=./rec_inspect
stall=$PWD/.libs/stallshim.so
jmx_built "$daemon" "$osc" "$inspect" "$stall"

jmx_setup
T=$JMX_TMP
dpid=
dlog=
preload=

JMX_DIAG='[ -n "$dlog" ] && jmx_show "daemon log" "$dlog" 40'

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# start NAME [options]: the daemon with a state file and a record
# directory of its own (in $T/NAME), under LD_PRELOAD=$preload if set;
# sets dpid, port, dlog, dir
start() {
	nm=$1
	shift
	dir=$T/$nm
	mkdir -p "$dir/rec"
	port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
	dlog=$dir/daemon.log
	# the shim for the daemon only (set in preload)
	jmx_daemon_start "$dlog" ${preload:+LD_PRELOAD="$preload"} -S "$JMX_SERVER" -n "jmx-sig-$nm-$$" -c 2 -b 0 \
		-p "$port" --feedback-port 0 -s "$dir/state" --record-dir "$dir/rec" "$@"
	dpid=$JMX_DAEMON_PID
	jmx_wait_ports "jmx-sig-$nm-$$" 6 10 || jmx_die "$nm: the daemon did not register its ports"
	"$osc" -u /pong "$port" /ping >/dev/null || jmx_die "$nm: no /pong"
}

# stop_with SIG: send SIG once, wait for the exit; sets rc and ms (time
# from the signal to the exit)
stop_with() {
	t0=$(now_ms)
	kill -"$1" $dpid
	jmx_wait_gone $dpid 15 || { kill -KILL $dpid; jmx_die "still running 15 s after SIG$1"; }
	ms=$(($(now_ms) - t0))
	wait $dpid 2>/dev/null
	rc=$?
	jmx_untrack $dpid
}

# state_has PATH VALUE: the state file holds "PATH VALUE"
state_has() {
	grep -qx "$1 $2" "$dir/state"
}

take_ok() {
	f=$(ls "$dir/rec"/*.wav 2>/dev/null | head -n 1)
	[ -n "$f" ] || jmx_die "$1: no take in $dir/rec"
	info=$("$inspect" info "$f") || jmx_die "$1: rec_inspect failed on $f"
	case $info in
	*strict=ok*bext=1*) ;;
	*) jmx_die "$1: the take is not finished properly: $info" ;;
	esac
}

jmx_jack_start || jmx_fail "the private JACK server did not start"

# ---- 1. orderly shutdown --------------------------------------------------
for sig in TERM INT; do
	start "$sig"
	"$osc" "$port" /record/start >/dev/null || jmx_die "SIG$sig: /record/start"
	sleep 1.5
	"$osc" -t 0 "$port" /ch/2/fader/db f -7.5
	sleep 0.5
	stop_with $sig
	[ $rc -eq 0 ] || jmx_die "SIG$sig: exit status $rc, want 0"
	[ $ms -le 2000 ] || jmx_die "SIG$sig: took $ms ms to exit, want <= 2000"
	take_ok "SIG$sig"
	state_has /ch/2/fader/db -7.5 || jmx_die "SIG$sig: the last change is not in the state file"
	left=$(ls -A "$dir" | grep -v -e '^state$' -e '^rec$' -e '^daemon.log$')
	[ -z "$left" ] || jmx_die "SIG$sig: left beside the state file: $left"
	jmx_note "SIG$sig while recording: exit 0 after $ms ms, take and state file complete"
done

# ---- 2. SIGTERM with the server away ----------------------------------------
start away
jmx_jack_stop
n=0
until grep -q "JACK server went away" "$dlog"; do
	n=$((n + 1))
	[ $n -lt 50 ] || jmx_die "away: the daemon did not notice the server going"
	sleep 0.1
done
stop_with TERM
[ $rc -eq 0 ] || jmx_die "away: exit status $rc, want 0"
[ $ms -le 2000 ] || jmx_die "away: took $ms ms to exit, want <= 2000"
jmx_note "SIGTERM with no JACK server: exit 0 after $ms ms"
jmx_jack_start || jmx_fail "the private JACK server did not restart"

# ---- 3. a hung disk: second signal, watchdog --------------------------------
export JMX_STALL_AFTER_MS=300 JMX_STALL_MS=60000
for mode in second watchdog; do
	preload=$stall
	start "$mode"
	preload=
	"$osc" "$port" /record/start >/dev/null || jmx_die "$mode: /record/start"
	"$osc" -t 0 "$port" /ch/1/fader/db f -4.5
	sleep 1.5 # the disk thread is asleep in write() by now
	if [ $mode = second ]; then
		kill -INT $dpid
		sleep 1
		jmx_alive $dpid || jmx_die "second: the daemon did not wait for the hung recorder (test broken?)"
		stop_with INT
		[ $rc -eq 130 ] || jmx_die "second SIGINT: exit status $rc, want 130"
		[ $ms -le 500 ] || jmx_die "second SIGINT: took $ms ms, want <= 500"
		grep -q "second stop signal" "$dlog" || jmx_die "second SIGINT: no line saying why"
	else
		stop_with TERM
		[ $rc -eq 1 ] || jmx_die "watchdog: exit status $rc, want 1"
		[ $ms -ge 9500 ] && [ $ms -le 12500 ] || jmx_die "watchdog: exit after $ms ms, want 10 s"
		grep -q "shutdown took too long" "$dlog" || jmx_die "watchdog: no line saying why"
	fi
	state_has /ch/1/fader/db -4.5 || jmx_die "$mode: the state was not saved before the recorder hung"
	jmx_note "hung disk, $mode: exit $rc after $ms ms, state saved"
done
unset JMX_STALL_AFTER_MS JMX_STALL_MS

# ---- 4. SIGHUP: reload the state file ---------------------------------------
start hup
"$osc" -t 0 "$port" /ch/1/fader/db f -3
n=0
until [ -f "$dir/state" ] && state_has /ch/1/fader/db -3; do
	n=$((n + 1))
	[ $n -lt 60 ] || jmx_die "SIGHUP: no autosave to start from"
	sleep 0.1
done
sed 's|^/ch/1/fader/db .*|/ch/1/fader/db -12|; s|^/ch/2/mute .*|/ch/2/mute 1|; s|^end crc32 .*|end|' "$dir/state" >"$dir/edit"
mv "$dir/edit" "$dir/state"
kill -HUP $dpid
sleep 0.5
got=$("$osc" "$port" /ch/1/fader/db | awk '{ print $2 }')
[ "$got" = -12 ] || jmx_die "SIGHUP: /ch/1/fader/db is '$got' after the reload, want -12"
got=$("$osc" "$port" /ch/2/mute | awk '{ print $2 }')
[ "$got" = 1 ] || jmx_die "SIGHUP: /ch/2/mute is '$got' after the reload, want 1"
printf 'jackmixd-state 1\n/ch/1/fader/db banana\n' >"$dir/state"
kill -HUP $dpid
sleep 0.5
got=$("$osc" "$port" /ch/1/fader/db | awk '{ print $2 }')
[ "$got" = -12 ] || jmx_die "SIGHUP: a bad file changed /ch/1/fader/db to '$got'"
grep -q "not reloaded" "$dlog" || jmx_die "SIGHUP: a bad file was not reported"
rm -f "$dir/state"
kill -HUP $dpid
sleep 0.5
got=$("$osc" "$port" /ch/1/fader/db | awk '{ print $2 }')
[ "$got" = -12 ] || jmx_die "SIGHUP: a missing file changed /ch/1/fader/db to '$got'"
jmx_alive $dpid || jmx_die "SIGHUP: the daemon died"
stop_with TERM
[ $rc -eq 0 ] || jmx_die "SIGHUP: exit status $rc afterwards, want 0"
jmx_note "SIGHUP: edit applied, bad and missing files ignored"

# ---- 5. SIGPIPE ------------------------------------------------------------
dir=$T/pipe
mkdir -p "$dir"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
dlog=
# stderr into a pipe whose reader is gone after the first line
sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$dir/pid" "$daemon" -S "$JMX_SERVER" -n "jmx-sig-pipe-$$" \
	-c 1 -b 0 -p "$port" --feedback-port 0 -v 2>&1 | head -n 1 >/dev/null &
n=0
until [ -s "$dir/pid" ]; do
	n=$((n + 1))
	[ $n -lt 50 ] || jmx_die "SIGPIPE: no daemon"
	sleep 0.1
done
dpid=$(cat "$dir/pid")
jmx_track $dpid
jmx_wait_ports "jmx-sig-pipe-$$" 3 10 || jmx_die "SIGPIPE: the daemon did not register its ports"
kill -PIPE $dpid
for k in 1 2 3 4 5; do
	"$osc" -t 0 "$port" /ch/1/fader/db f -$k # logged at -v: writes into the closed pipe
done
"$osc" "$port" /nowhere >/dev/null # an error: logged
sleep 0.3
jmx_alive $dpid || jmx_die "SIGPIPE: the daemon died"
"$osc" -u /pong "$port" /ping | grep -q /pong || jmx_die "SIGPIPE: no /pong"
kill -TERM $dpid
jmx_wait_gone $dpid 5 || jmx_die "SIGPIPE: did not exit on SIGTERM"
jmx_untrack $dpid
jmx_note "SIGPIPE: ignored (signal and closed stderr)"
echo "signals.sh: PASS"
exit 0
