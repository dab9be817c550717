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
# wait_event PATTERN [COUNT] [TIMEOUT_S]: the events file has COUNT lines matching
wait_event() {
	n=$((${3:-5} * 10))
	while [ "$(grep -c -- "$1" "$T/events" 2>/dev/null)" -lt "${2:-1}" ]; do
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
