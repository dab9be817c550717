#!/bin/sh
# midi-mcu.sh - `jackmixd --mcu` (12 channels, 2 buses) on a private jackd
# against the simulated Mackie Control surface tests/mcu_surface.c, which
# connects itself, plays the surface's side of the protocol and checks
# every reply byte by byte (see mcu_surface.c for the list).  The daemon
# must then exit 0 on SIGTERM.  A session in which the surface saw a
# failure while JACK reported an xrun (which loses that period's MIDI) is
# run again, up to four times, 2 s apart.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
jmx_setup
# Long periods: a process cycle that a busy machine runs late is an xrun,
# and the MIDI events of that period are lost; at 1024 frames (21 ms) that
# is rare (JMX_PERIOD overrides).
JMX_PERIOD=${JMX_PERIOD:-1024}
jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-mcu-$$"

# One session: a fresh daemon and the surface.  0, 3 (the surface failed
# while JACK reported an xrun: lost MIDI, run it again) or a failure.
session() {
	rm -rf "$T/scenes"
	jmx_daemon_start "$T/daemon.log" -n "$name" -c 12 -b 2 -p "$port" --feedback-port 0 --mcu \
		--snapshot-dir "$T/scenes"
	daemon=$JMX_DAEMON_PID
	# 12 inputs, master, monitor, 2 buses, then midi_in and midi_out
	jmx_wait_ports "$name" 22 10 || { jmx_show daemon "$T/daemon.log"; jmx_fail "daemon ports missing"; }
	./mcu_surface -n "jmx-surface-$$" -d "$name" -p "$port" -s "$T/scenes"
	rc=$?
	jmx_stop_pid $daemon 10 || { jmx_show daemon "$T/daemon.log"; jmx_fail "daemon did not exit 0 on SIGTERM"; }
	grep -q "MIDI: Mackie Control" "$T/daemon.log" || { jmx_show daemon "$T/daemon.log"; jmx_fail "no MCU mode in the log"; }
	[ $rc -eq 0 ] || [ $rc -eq 3 ] || { jmx_show daemon "$T/daemon.log"; jmx_fail "mcu_surface failed"; }
	return $rc
}
# up to four sessions, 2 s apart: an xrun storm of a loaded machine lasts
# seconds, and a session that runs straight into the same one proves nothing
for attempt in 1 2 3 4; do
	session && exit 0
	jmx_note "spoiled by an xrun (attempt $attempt), again"
	sleep 2
done
jmx_fail "four sessions spoiled by xruns"
