#!/bin/sh
# state-crash.sh - kill -9 at random moments while the daemon saves its
# state file and scenes as fast as it can (parameter changes, /state/save
# and /snapshot/save streaming in), JMX_CRASH_ROUNDS times (default 80, a
# few seconds on CI; raise it for a soak).  After every kill:
#   - every state and scene file on disk parses (jmx_statecheck);
#   - the restarted daemon finds no damage (nothing set aside) and leaves
#     no temporary file behind (stale ones are swept at start-up).
# It prints how many kills left a temporary file, i.e. hit a save in
# flight.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
jmx_setup
jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-crash-$$"
state=$T/console.state
snaps=$T/scenes
rounds=${JMX_CRASH_ROUNDS:-80}
temps() { ls -A "$T" "$snaps" 2>/dev/null | grep -c '\.tmp\.'; }
rand() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }

start_daemon() {
	jmx_daemon_start "$T/daemon.log" -n "$name" -c 2 -b 1 -p "$port" --feedback-port 0 -s "$state" \
		--snapshot-dir "$snaps"
	daemon=$JMX_DAEMON_PID
}

hits=0
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	retried=0
	start_daemon
	n=100
	until ./jmx_osc -t 200 "$port" /info >/dev/null 2>&1; do
		if ! jmx_alive $daemon && [ ! -s "$T/daemon.log" ] && [ $retried -eq 0 ]; then
			# died before its first log line, i.e. inside libjack's
			# jack_client_open: JACK2 can hand a client that reconnects
			# at once after a kill -9 a segment it is still cleaning up
			# (SIGBUS).  Not the state files' business: once more.
			wait $daemon 2>/dev/null
			jmx_note "round $i: the daemon died in JACK's client start-up (status $?): starting it again"
			jmx_untrack $daemon
			retried=1
			sleep 0.2
			start_daemon
			n=100
			continue
		fi
		if [ $n -le 0 ] || ! jmx_alive $daemon; then
			jmx_show daemon "$T/daemon.log"
			jmx_fail "round $i: the daemon did not come up"
		fi
		n=$((n - 1))
		sleep 0.05
	done
	left=$(temps)
	[ "$left" -eq 0 ] || jmx_fail "round $i: $left temporary file(s) after start-up"
	if grep -q -e "kept as" -e "does not parse" "$T/daemon.log"; then
		jmx_show daemon "$T/daemon.log"
		jmx_fail "round $i: the daemon found a damaged file"
	fi
	./jmx_osc -r 2000 -d 200 "$port" /ch/1/fader/db f -3 &
	l1=$!
	./jmx_osc -r 2000 -d 300 "$port" /state/save &
	l2=$!
	./jmx_osc -r 2000 -d 500 "$port" /snapshot/save s "s$((i % 3))" &
	l3=$!
	# 10..160 ms into the storm
	sleep "0.$(printf '%03d' $((10 + $(rand) % 150)))"
	kill -KILL $daemon 2>/dev/null
	wait $daemon 2>/dev/null
	jmx_untrack $daemon
	kill $l1 $l2 $l3 2>/dev/null
	wait $l1 $l2 $l3 2>/dev/null
	[ "$(temps)" -gt 0 ] && hits=$((hits + 1))
	files=$(ls "$state" "$snaps"/*.scene 2>/dev/null)
	if [ -n "$files" ]; then
		# shellcheck disable=SC2086 # a list of paths without spaces
		./jmx_statecheck -c 2 -b 1 $files || jmx_fail "round $i: a file on disk does not parse"
	fi
done

# one last clean start: sweeps and loads
start_daemon
jmx_wait_ports "$name" 6 10 || { jmx_show daemon "$T/daemon.log"; jmx_fail "final start"; }
sleep 0.3
[ "$(temps)" -eq 0 ] || jmx_fail "temporary files after the final start"
grep -q "loaded" "$T/daemon.log" || { jmx_show daemon "$T/daemon.log"; jmx_fail "the state file was not loaded"; }
jmx_stop_pid $daemon 5 || jmx_fail "final SIGTERM"
echo "state-crash.sh: $rounds kill -9 rounds, $hits of them with a save in flight; every file parsed"
exit 0
