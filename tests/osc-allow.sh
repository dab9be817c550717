#!/bin/sh
# osc-allow.sh - access control from a real non-loopback source address
# (this machine's own address on a network interface):
#   --listen 0.0.0.0 alone: a sender at that address is ignored (no reply,
#   no change, counted and logged once) while loopback still works;
#   with --allow ADDR/32 the same sender is served;
#   by default (127.0.0.1) the daemon is not reachable at that address;
#   bad --allow/--listen/--feedback values are refused naming the option.
# Without such an address (or with OSC_ALLOW_NETNS=1) the whole test runs
# again in a private user and network namespace (unshare -rn) whose
# loopback interface also carries 192.0.2.77/32 (not in 127.0.0.0/8).
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
if [ -n "${JMX_IN_NETNS:-}" ]; then
	ip link set lo up && ip addr add 192.0.2.77/32 dev lo || jmx_fail "cannot set up the namespace"
fi
ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
[ -n "$ip" ] || ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | grep -v '^127\.' | head -n 1)
if [ -z "${JMX_IN_NETNS:-}" ] && { [ -z "$ip" ] || [ -n "${OSC_ALLOW_NETNS:-}" ]; }; then
	if command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 && unshare -rn true 2>/dev/null; then
		JMX_IN_NETNS=1
		export JMX_IN_NETNS
		exec unshare -rn "${SHELL:-/bin/sh}" "$0" "$@"
	fi
	jmx_note "SKIP: no non-loopback IPv4 address, and no unshare/ip to make one in a namespace"
	exit 77
fi
jmx_setup

fail=0
bad_opt() { # bad_opt OPTION VALUE
	msg=$(../src/jackmixd "$1" "$2" --dump-osc 2>&1 >/dev/null)
	rc=$?
	case $msg in
	*"$1"*) [ $rc -eq 2 ] || { echo "osc-allow.sh: FAIL: $1 $2: exit $rc"; fail=1; } ;;
	*) echo "osc-allow.sh: FAIL: $1 $2: message does not name the option: $msg"; fail=1 ;;
	esac
}
bad_opt --allow 10.0.0.0/33
bad_opt --allow 10.0.0.300
bad_opt --listen 300.1.2.3
bad_opt --feedback 192.0.2.1
bad_opt --feedback 192.0.2.1:0
bad_opt --osc-port 70000
bad_opt --feedback-port -1

jmx_note "sending from $ip${JMX_IN_NETNS:+ (in a network namespace)}"
JMX_RATE=48000 JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"

start() { # start NAME ARGS...
	n=$1
	shift
	jmx_daemon_start "$JMX_TMP/$n.log" -n "$n" -c 2 -b 1 -p "$port" --feedback-port 0 "$@"
	daemon=$JMX_DAEMON_PID
	jmx_wait_ports "$n" 8 10 || { jmx_show "$n" "$JMX_TMP/$n.log"; jmx_fail "daemon $n did not start"; }
}
stop() {
	jmx_stop_pid $daemon 5 || { echo "osc-allow.sh: FAIL: daemon exit status $?"; fail=1; }
}

start deny --listen 0.0.0.0
./itest_osc allow "$port" "$ip" deny || fail=1
grep -q "ignoring $ip" "$JMX_TMP/deny.log" || { echo "osc-allow.sh: FAIL: denied sender not logged"; fail=1; }
[ "$(grep -c "ignoring $ip" "$JMX_TMP/deny.log")" -eq 1 ] || { echo "osc-allow.sh: FAIL: logged more than once"; fail=1; }
stop

start allow --listen 0.0.0.0 --allow "$ip/32"
./itest_osc allow "$port" "$ip" allow || fail=1
stop

start local
../src/jackmixctl -H "$ip" -p "$port" -t 0.5 ping >/dev/null 2>&1
rc=$?
[ $rc -eq 3 ] || { echo "osc-allow.sh: FAIL: daemon on 127.0.0.1 answered at $ip (rc $rc)"; fail=1; }
out=$(../src/jackmixctl -p "$port" ping)
[ "$out" = "/pong" ] || { echo "osc-allow.sh: FAIL: no /pong on loopback: '$out'"; fail=1; }
stop

[ $fail -eq 0 ] || { for f in "$JMX_TMP"/*.log; do jmx_show "$f" "$f" 20; done; exit 1; }
exit 0
