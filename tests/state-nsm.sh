#!/bin/sh
# state-nsm.sh - the daemon as an NSM client, driven by fake_nsmd (a
# stand-in server written for this test) on a private jackd:
#   - announce: capabilities :switch:dirty:, API 1.x, our pid; no JACK
#     client exists before /nsm/client/open;
#   - open: JACK client named after the client ID, files under the
#     instance path; a change reports is_dirty; save writes the state file
#     there and reports is_clean; no autosave under NSM;
#   - switch: a second open with another ID and path renames the JACK
#     client and loads that session's state;
#   - a second instance in the same session, on the same default OSC
#     port: it takes a free port, keeps it in its instance directory
#     (osc-port) and gets it again when reopened while the first still
#     holds the default; the port is in the log, in /info and in the NSM
#     label; its MIDI mapping file is the one in its instance directory;
#   - SIGTERM quits promptly with status 0 without saving;
#   - a refused announce makes the daemon exit non-zero without JACK.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
jmx_setup
jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
osc() { ./jmx_osc -t 2000 "$port" "$@"; }
fail=0
# wait_event PATTERN [COUNT] [TIMEOUT_S] [FILE]: the events file (or FILE)
# has COUNT lines matching
wait_event() {
	n=$((${3:-5} * 10))
	while [ "$(grep -c -- "$1" "${4:-$T/events}" 2>/dev/null)" -lt "${2:-1}" ]; do
		[ "$n" -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.1
	done
	return 0
}

start_server() { # start_server [-r]
	rm -f "$T/url" "$T/events" "$T/cmd"
	mkfifo "$T/cmd" || jmx_fail "mkfifo"
	./fake_nsmd "$@" "$T/url" <"$T/cmd" >"$T/events" 2>&1 &
	server=$!
	jmx_track $server
	exec 3>"$T/cmd"
	n=50
	while [ ! -s "$T/url" ]; do
		[ $n -gt 0 ] || jmx_fail "fake_nsmd did not start"
		n=$((n - 1))
		sleep 0.1
	done
}

# ---- announce, open, dirty, save ----
start_server
jmx_daemon_start "$T/daemon.log" NSM_URL="$(cat "$T/url")" -c 2 -b 1 -p "$port" -s "$T/ignored.state"
daemon=$JMX_DAEMON_PID
wait_event "RECV /nsm/server/announce" || { jmx_show daemon "$T/daemon.log"; jmx_fail "no announce"; }
line=$(grep "RECV /nsm/server/announce" "$T/events")
set -- $line
jmx_check "announce '$line': app name" [ "$3" = jackmixd ]
has_caps() {
	case "$1" in *:switch:*) ;; *) return 1 ;; esac
	case "$1" in *:dirty:*) return 0 ;; esac
	return 1
}
jmx_check "announce capabilities '$4'" has_caps "$4"
jmx_check "announce API major '$6'" [ "$6" = 1 ]
jmx_check "announce pid '$8' = $daemon" [ "$8" = "$daemon" ]
sleep 0.5
jmx_check "no JACK client before open" [ "$(jack_lsp 2>/dev/null | grep -c -e '^jackmixd:' -e '^jmx\.')" = 0 ]
jmx_check "no state file outside the session" [ ! -e "$T/ignored.state" ]

echo "open $T/sess1/jmx.nA Console jmx.nA" >&3
wait_event "RECV /reply /nsm/client/open" || { jmx_show daemon "$T/daemon.log"; jmx_fail "no reply to open"; }
jmx_wait_ports jmx.nA 8 10 || { jmx_show daemon "$T/daemon.log"; jmx_fail "no JACK ports named after the client ID"; }
jmx_check "instance directory created" [ -d "$T/sess1/jmx.nA" ]

osc /ch/1/fader/db f -7 >/dev/null
wait_event "RECV /nsm/client/is_dirty" || jmx_bad "a change reports is_dirty"
echo save >&3
wait_event "RECV /reply /nsm/client/save" || { jmx_show daemon "$T/daemon.log"; jmx_fail "no reply to save"; }
st1=$T/sess1/jmx.nA/jackmixd.state
jmx_check "state file in the session" [ -f "$st1" ]
jmx_check "saved value" grep -qx "/ch/1/fader/db -7" "$st1"
jmx_check "the saved file parses" ./jmx_statecheck -c 2 -b 1 "$st1"
wait_event "RECV /nsm/client/is_clean" || jmx_bad "save reports is_clean"
osc /snapshot/save s scene1 >/dev/null
jmx_check "scenes live in the session" [ -f "$T/sess1/jmx.nA/snapshots/scene1.scene" ]

# ---- a second instance in the same session ----
jmx_check "the first instance keeps the default port" [ "$(cat "$T/sess1/jmx.nA/osc-port")" = "$port" ]
out=$(osc /info)
jmx_check "/info of the first: port $port ($out)" [ "${out##* }" = "$port" ]
mkdir -p "$T/sess1/jmx.nC"
printf 'cc 1 7 /ch/2/fader/db\n' >"$T/sess1/jmx.nC/midi.map"
second() { # second LOG: a fake server of its own, a daemon on the same -p, open jmx.nC
	rm -f "$T/url2" "$T/events2" "$T/cmd2"
	mkfifo "$T/cmd2" || jmx_fail "mkfifo"
	./fake_nsmd "$T/url2" <"$T/cmd2" >"$T/events2" 2>&1 &
	server2=$!
	jmx_track $server2
	exec 4>"$T/cmd2"
	n=50
	while [ ! -s "$T/url2" ]; do
		[ $n -gt 0 ] || jmx_fail "fake_nsmd 2 did not start"
		n=$((n - 1))
		sleep 0.1
	done
	jmx_daemon_start "$1" NSM_URL="$(cat "$T/url2")" -c 2 -b 1 -p "$port"
	d3=$JMX_DAEMON_PID
	wait_event "RECV /nsm/server/announce" 1 5 "$T/events2" || { jmx_show daemon "$1"; jmx_fail "no announce (2)"; }
	echo "open $T/sess1/jmx.nC Second jmx.nC" >&4
	wait_event "RECV /reply /nsm/client/open" 1 10 "$T/events2" || { jmx_show daemon "$1"; jmx_fail "the second instance did not open"; }
	jmx_alive $d3 || { jmx_show daemon "$1"; jmx_fail "the second instance exited"; }
	port2=$(sed -n 's/.*NSM: OSC port \([0-9]*\) .*/\1/p' "$1" | tail -n 1)
}
second "$T/daemon3.log"
jmx_check "second instance: a port of its own ('$port2' vs $port)" [ -n "$port2" ] && [ "$port2" != "$port" ]
jmx_check "second instance: the port is kept in the session" [ "$(cat "$T/sess1/jmx.nC/osc-port")" = "$port2" ]
out=$(./jmx_osc -t 2000 "$port2" /info)
jmx_check "second instance: /info says $port2 ($out)" [ "${out##* }" = "$port2" ]
jmx_check "second instance: /info is jmx.nC's" [ "$(echo "$out" | awk '{ print $2 }')" = jmx.nC ]
wait_event "RECV /nsm/client/label OSC port $port2" 1 5 "$T/events2" || jmx_bad "second instance: NSM label"
jmx_check "second instance: the session's MIDI map is loaded" grep -q "$T/sess1/jmx.nC/midi.map: 1 MIDI mapping" "$T/daemon3.log"
out=$(./jmx_osc -t 2000 "$port2" /midi/map)
jmx_check "second instance: /midi/map lists it ($out)" [ "$out" = "/midi/map cc 1 7 /ch/2/fader/db" ]
jmx_stop_pid $d3 5
echo quit >&4
exec 4>&-
jmx_wait_gone $server2 5
second "$T/daemon4.log"
jmx_check "reopened: the same port ($port2 again: '$(cat "$T/sess1/jmx.nC/osc-port")')" \
	[ "$(./jmx_osc -t 2000 "$port2" /info | awk '{ print $NF }')" = "$port2" ]
jmx_stop_pid $d3 5
echo quit >&4
exec 4>&-
jmx_wait_gone $server2 5

# no autosave under NSM: the session manager decides when to save
osc /ch/1/fader/db f -8 >/dev/null
wait_event "RECV /nsm/client/is_dirty" 2 || jmx_bad "second change reports is_dirty"
sleep 2.6
jmx_check "no autosave under NSM" grep -qx "/ch/1/fader/db -7" "$st1"

# ---- switch to another session ----
mkdir -p "$T/sess2/jmx.nB"
printf 'jackmixd-state 1\n/ch/1/fader/db -3\n/ch/2/name "from sess2"\nend\n' >"$T/sess2/jmx.nB/jackmixd.state"
echo "open $T/sess2/jmx.nB Other jmx.nB" >&3
wait_event "RECV /reply /nsm/client/open" 2 || { jmx_show daemon "$T/daemon.log"; jmx_fail "no reply to the switch"; }
jmx_wait_ports jmx.nB 8 10 || { jmx_show daemon "$T/daemon.log"; jmx_fail "JACK client not renamed"; }
jmx_check "old JACK name gone" [ "$(jmx_count_ports jmx.nA)" = 0 ]
out=$(osc /ch/1/fader/db)
jmx_check "switched state loaded: '$out'" [ "$out" = "/ch/1/fader/db -3" ]
out=$(osc /ch/2/name)
jmx_check "switched name loaded: '$out'" [ "$out" = "/ch/2/name from sess2" ]
jmx_alive $daemon || { jmx_show daemon "$T/daemon.log"; jmx_fail "daemon died"; }

# ---- SIGTERM: prompt, clean, no save ----
osc /ch/1/fader/db f -1 >/dev/null
t0=$(date +%s%N)
jmx_stop_pid $daemon 5
rc=$?
t1=$(date +%s%N)
jmx_check "exit status $rc after SIGTERM" [ $rc -eq 0 ]
jmx_check "quit within 2 s ($(((t1 - t0) / 1000000)) ms)" [ $(((t1 - t0) / 1000000)) -lt 2000 ]
jmx_check "nothing saved at quit" grep -qx "/ch/1/fader/db -3" "$T/sess2/jmx.nB/jackmixd.state"
echo quit >&3
exec 3>&-
jmx_wait_gone $server 5

# ---- a refused announce ----
start_server -r
jmx_daemon_start "$T/daemon2.log" NSM_URL="$(cat "$T/url")" -c 2 -b 1 -p "$port"
d2=$JMX_DAEMON_PID
if jmx_wait_gone $d2 5; then
	wait $d2
	rc=$?
	jmx_untrack $d2
	jmx_check "refused announce: exit status $rc is non-zero" [ $rc -ne 0 ]
else
	jmx_bad "refused announce: the daemon exits"
fi
jmx_check "refused announce: no JACK client" [ "$(jack_lsp 2>/dev/null | grep -c '^jackmixd:')" = 0 ]
echo quit >&3
exec 3>&-

if [ $fail -ne 0 ]; then
	jmx_show "fake_nsmd events" "$T/events"
	jmx_show daemon "$T/daemon.log"
	exit 1
fi
exit 0
