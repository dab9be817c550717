#!/bin/sh
# start-script.sh - contrib/jackmixd-start on a private server name:
#
#  1. no server answers: the script starts jackd (a child of its own),
#     writes jackd's output to a private file of its own (mktemp: in
#     TMPDIR, mode 0600, named on stderr), starts the daemon on that
#     server; when the daemon exits (SIGTERM to the daemon), the script
#     stops that jackd, by PID: it is gone, the server no longer answers,
#     the script exits with the daemon's status (0) and removes the log;
#  2. the same when the script itself gets SIGTERM: it passes it on to
#     the daemon, then stops its jackd;
#  3. a server is already running (ours, started here): the script starts
#     no jackd and writes no log, the daemon runs on that server, and when
#     the daemon exits that server is still there and answering.
# Processes are found by PID through /proc (parent and name), never by
# name alone.  Skips (77) only when jackd or jack_lsp is missing.

srcdir=${srcdir:-.}
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp
script=$top_srcdir/contrib/jackmixd-start
daemon=$top_builddir/src/jackmixd
jmx_built "$daemon" "$top_builddir/src/jackmixctl"
[ -f "$script" ] || jmx_fail "$script missing"

jmx_setup
T=$JMX_TMP
fail=0
spid=
JMX_DIAG='jmx_show "script stderr" "$T/err" 30'

# the server name the script is to start: a private one, as jmx_jack_start's
JMX_SERVER=jmx-test-$$
JACK_DEFAULT_SERVER=$JMX_SERVER
JACK_NO_START_SERVER=1
export JACK_DEFAULT_SERVER JACK_NO_START_SERVER
jmx_jack_reclaim
jack_lsp -s "$JMX_SERVER" >/dev/null 2>&1 && jmx_fail "a server $JMX_SERVER already answers"

# child_of PPID NAME: the PID of PPID's child process called NAME
child_of() {
	for f in /proc/[0-9]*/stat; do
		sed -n "s/^\([0-9]*\) (\(.*\)) . \([0-9]*\) .*/\1 \2 \3/p" "$f" 2>/dev/null
	done | awk -v p="$1" -v n="$2" '$3 == p && $2 == n { print $1; exit }'
}
# wait_child PPID NAME: child_of, for up to 10 s
wait_child() {
	n=100
	until c=$(child_of "$1" "$2") && [ -n "$c" ]; do
		[ $n -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.1
	done
	echo "$c"
}

# run_script NAME: the script in the background with TMPDIR=$T/NAME (empty),
# the daemon on its own port; sets spid, port, dir
run_script() {
	dir=$T/$1
	mkdir -p "$dir"
	port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
	TMPDIR=$dir JACKMIXD=$daemon sh "$script" -n "jmx-start-$$" -c 2 -b 0 -p "$port" \
		--feedback-port 0 >"$T/out" 2>"$T/err" &
	spid=$!
	jmx_track "$spid"
}

# started NAME HOW: cases 1 and 2; HOW is daemon or script (what gets SIGTERM)
started() {
	run_script "$1"
	jpid=$(wait_child "$spid" jackd) || jmx_die "$1: the script started no jackd"
	jmx_track "$jpid"
	# the daemon: a child of the script, or the script itself after exec
	n=100
	until dpid=$(child_of "$spid" jackmixd) && [ -n "$dpid" ]; do
		[ "$(cat "/proc/$spid/comm" 2>/dev/null)" = jackmixd ] && dpid=$spid && break
		[ $n -gt 0 ] || jmx_die "$1: the script started no jackmixd"
		n=$((n - 1))
		sleep 0.1
	done
	jmx_track "$dpid"
	jmx_daemon_wait "$port" "$dpid" || jmx_die "$1: the daemon does not answer"
	jack_lsp -s "$JMX_SERVER" 2>/dev/null | grep -q "^jmx-start-$$:" ||
		jmx_bad "$1: the daemon is not a client of $JMX_SERVER"
	# the log: the file named on stderr, private, in TMPDIR
	log=$(sed -n 's/.*(pid [0-9]*, log \(.*\))$/\1/p' "$T/err")
	jmx_check "$1: stderr names jackd's pid $jpid" grep -q "(pid $jpid, log" "$T/err"
	case $log in
	"$dir"/jackmixd-start-jackd.*) ;;
	*) jmx_bad "$1: jackd's log '$log' is not a private file in TMPDIR ($dir)" ;;
	esac
	jmx_check "$1: the log $log is there" [ -f "$log" ]
	jmx_check "$1: the log is private (mode 600): $(stat -c %a "$log" 2>/dev/null)" \
		[ "$(stat -c %a "$log" 2>/dev/null)" = 600 ]
	jmx_check "$1: jackd writes to it" [ "$(readlink "/proc/$jpid/fd/1")" = "$log" ]

	case $2 in
	daemon) kill -TERM "$dpid" ;;
	script) kill -TERM "$spid" ;;
	esac
	jmx_wait_gone "$spid" 15 || jmx_die "$1: the script did not exit 15 s after SIGTERM to the $2"
	wait "$spid"
	st=$?
	jmx_untrack "$spid"
	jmx_check "$1: the daemon is gone" eval '! jmx_alive "$dpid"'
	jmx_check "$1: the script exits with the daemon's status 0 (got $st)" [ "$st" -eq 0 ]
	jmx_check "$1: the jackd it started (pid $jpid) is gone" eval '! jmx_alive "$jpid"'
	jmx_check "$1: no server $JMX_SERVER answers" eval '! jack_lsp -s "$JMX_SERVER" >/dev/null 2>&1'
	jmx_check "$1: the log is removed after a clean stop" [ ! -e "$log" ]
	# forget them only when gone: the cleanup stops what is left, by PID
	jmx_alive "$jpid" || jmx_untrack "$jpid"
	jmx_alive "$dpid" || jmx_untrack "$dpid"
}

started daemon-exits daemon
started script-stopped script

# 3. a server that the script did not start
jmx_jack_start || jmx_die "no private jackd"
run_script running
dpid=$spid # the script becomes the daemon
jmx_daemon_wait "$port" "$dpid" || jmx_die "running: the daemon does not answer"
jmx_check "running: the script started no jackd" [ -z "$(child_of "$spid" jackd)" ]
jmx_check "running: the script wrote no log" [ -z "$(ls "$dir")" ]
jack_lsp -s "$JMX_SERVER" 2>/dev/null | grep -q "^jmx-start-$$:" ||
	jmx_bad "running: the daemon is not a client of $JMX_SERVER"
kill -TERM "$dpid"
jmx_wait_gone "$dpid" 15 || jmx_die "running: the daemon did not exit"
wait "$dpid"
jmx_untrack "$dpid"
sleep 0.5
jmx_check "running: our jackd (pid $JMX_JACKD_PID) is left running" jmx_alive "$JMX_JACKD_PID"
jmx_check "running: and answers" jack_lsp -s "$JMX_SERVER" >/dev/null 2>&1

[ $fail -eq 0 ] && echo "start-script: jackd started and stopped by PID twice, a running one left alone"
exit $fail
