# auto-env.sh - shared by the automation integration tests (auto-*.sh):
# a private jackd and the daemon on it.  Sourced after jack-env.sh.
#
#   auto_daemon NAME PORT [OPTIONS...]   start jackmixd (2 mono channels,
#       1 bus, feedback of auto-registration to a port of our own), log in
#       $JMX_TMP/daemon.log, wait for its ports; sets auto_pid
#   auto_stop                            SIGTERM, wait, fail on a bad exit
#
# A variable AUTO_PRELOAD, when set, is put in front of the daemon's
# environment as LD_PRELOAD (the RT shim).

auto_fbport=

auto_daemon() {
	auto_name=$1
	auto_port=$2
	shift 2
	[ -n "$auto_fbport" ] || auto_fbport=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
	if [ -n "${AUTO_PRELOAD:-}" ]; then
		LD_PRELOAD=$AUTO_PRELOAD ../src/jackmixd -n "$auto_name" -c 2 -b 1 -p "$auto_port" \
			--feedback-port "$auto_fbport" "$@" >>"$JMX_TMP/daemon.log" 2>&1 &
	else
		../src/jackmixd -n "$auto_name" -c 2 -b 1 -p "$auto_port" --feedback-port "$auto_fbport" "$@" \
			>>"$JMX_TMP/daemon.log" 2>&1 &
	fi
	auto_pid=$!
	jmx_track $auto_pid
	# 2 inputs, master and monitor pairs, one bus pair
	jmx_wait_ports "$auto_name" 8 15 || {
		jmx_show daemon "$JMX_TMP/daemon.log"
		jmx_fail "the daemon's ports did not appear"
	}
}

auto_stop() {
	jmx_stop_pid "$auto_pid" 10
	auto_rc=$?
	[ $auto_rc -eq 0 ] || {
		jmx_show daemon "$JMX_TMP/daemon.log"
		jmx_fail "the daemon exited with $auto_rc on SIGTERM"
	}
}
