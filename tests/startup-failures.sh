#!/bin/sh
# startup-failures.sh - a daemon that cannot start says why in one line
# (an "error:" line naming the cause and, where there is one, the option)
# and exits with status 1; nothing else on stderr but its own log lines
# (libjack's messages are caught).  Cases: JACK client name taken, no such
# server, the server refusing port registration (jackd -p 8: fewer ports
# than the console needs), the OSC port in use.  Memory that cannot be
# locked (RLIMIT_MEMLOCK 64 KiB without CAP_IPC_LOCK) is only a warning:
# the daemon runs and exits 0.  A usage error exits 2.
# Skips (77) only when jackd, jack_lsp, prlimit or setpriv is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp prlimit setpriv
daemon=$top_builddir/src/jackmixd
osc=./jmx_osc
jmx_built "$daemon" "$osc"

jmx_setup
T=$JMX_TMP
fail=0

# expect_fail CASE WANT_RC REGEX daemon-args...: run the daemon (10 s at
# most), want exit WANT_RC, exactly one error line matching REGEX, every
# stderr line our own
expect_fail() {
	case_=$1 want=$2 re=$3
	shift 3
	timeout 10 "$daemon" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	errs=$(grep -c ' error: ' "$T/err")
	foreign=$(grep -v -c -e '^jackmixd [0-9:.]* [a-z]*: ' -e '^jackmixd: ' "$T/err")
	if [ $rc -ne "$want" ]; then
		jmx_bad "$case_: exit status $rc, want $want"
	elif [ "$want" -eq 1 ] && [ "$errs" -ne 1 ]; then
		jmx_bad "$case_: $errs error lines, want exactly one"
	elif ! grep -Eq "$re" "$T/err"; then
		jmx_bad "$case_: no line matching '$re'"
	elif [ "$foreign" -ne 0 ]; then
		jmx_bad "$case_: $foreign lines on stderr that are not the daemon's own"
	else
		jmx_note "$case_: exit $rc: $(grep -E "$re" "$T/err" | head -n 1 | sed 's/^jackmixd [0-9:.]* //')"
		return 0
	fi
	jmx_show "$case_ stderr" "$T/err" 20
	return 1
}

jmx_jack_start || jmx_fail "the private JACK server did not start"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
jmx_daemon_start -w "$T/first.log" -S "$JMX_SERVER" -n jmx-taken-$$ -c 1 -b 0 -p "$port" --feedback-port 0 ||
	jmx_fail "the first daemon does not answer OSC"
first=$JMX_DAEMON_PID
jmx_wait_ports jmx-taken-$$ 5 10 || { jmx_show "first daemon" "$T/first.log"; jmx_fail "no first daemon"; }

expect_fail "name taken" 1 "error: JACK client name 'jmx-taken-$$' is already in use.*--name" \
	-S "$JMX_SERVER" -n jmx-taken-$$ -c 1 -b 0 -p 0 --feedback-port 0
expect_fail "no server" 1 "error: cannot connect to JACK server 'jmx-nowhere-$$'.*--server" \
	-S jmx-nowhere-$$ -n jmx-x-$$ -c 1 -b 0 -p 0 --feedback-port 0
expect_fail "OSC port in use" 1 "error: OSC: cannot listen on 127.0.0.1 port $port .*--osc-port.*in use" \
	-S "$JMX_SERVER" -n jmx-osc-$$ -c 1 -b 0 -p "$port" --feedback-port 0
expect_fail "usage" 2 "jackmixd: --channels: 'many' is not a whole number" -c many
# the failed starts left nothing behind on the server
left=$(jack_lsp -s "$JMX_SERVER" | grep -c -e "^jmx-osc-$$:" -e "^jmx-taken-$$-")
[ "$left" -eq 0 ] || jmx_bad "$left ports of failed daemons are still registered"
jmx_alive $first || jmx_bad "the first daemon died"
jmx_stop_pid $first 5 || jmx_bad "the first daemon did not exit 0"

# memory lock refused: a warning, then business as usual
mport=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
prlimit --memlock=65536:65536 setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
	"$daemon" -S "$JMX_SERVER" -n jmx-mlock-$$ -c 1 -b 0 -p "$mport" --feedback-port 0 >"$T/mlock.log" 2>&1 &
ml=$!
jmx_track $ml
if jmx_wait_ports jmx-mlock-$$ 5 10 && "$osc" -u /pong "$mport" /ping >/dev/null; then
	if grep -q 'AddressSanitizer build: memory is not locked' "$T/mlock.log"; then
		jmx_note "memory lock: an AddressSanitizer build locks nothing, not checked"
	else
		grep -q ' warning: cannot lock memory' "$T/mlock.log" || jmx_bad "memory lock: no warning (was it refused?)"
	fi
	grep -q ' error: ' "$T/mlock.log" && jmx_bad "memory lock: an error line"
	jmx_stop_pid $ml 5 || jmx_bad "memory lock: exit status $? on SIGTERM, want 0"
	jmx_note "memory lock refused: $(grep -o 'warning: cannot lock memory.*' "$T/mlock.log")"
else
	jmx_bad "memory lock refused: the daemon did not come up"
	jmx_show "daemon log" "$T/mlock.log"
fi

# port registration refused: a server with room for 8 ports (4 are its own)
jmx_jack_stop
JMX_JACKD_OPTS="-p 8" jmx_jack_start || jmx_fail "the private JACK server did not restart with -p 8"
expect_fail "ports refused" 1 "error: JACK refused to register port jmx-many-$$:" \
	-S "$JMX_SERVER" -n jmx-many-$$ -c 8 -b 0 -p 0 --feedback-port 0
[ $fail -eq 0 ] && echo "startup-failures.sh: PASS"
exit $fail
