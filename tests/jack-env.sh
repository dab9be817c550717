# jack-env.sh - shared helpers for the integration tests: a private JACK
# server (dummy driver) per test, waits with timeouts, process bookkeeping.
# Sourced (POSIX sh), never run.  Typical use:
#
#   . "${srcdir:-.}/jack-env.sh"
#   jmx_require jackd jack_lsp            # exit 77 if a tool is missing
#   jmx_setup                             # temp dir $JMX_TMP, EXIT trap
#   jmx_jack_start || jmx_fail "no JACK"  # sets JMX_SERVER, exports
#   some_client & jmx_track $!            # stopped at exit if still there
#   jmx_wait_ports CLIENT 4 10 || jmx_fail "no ports"
#   jmx_stop_pid $pid 10; status=$?       # SIGTERM, wait, exit status
#   jmx_daemon_start -w LOG -n NAME -p "$port" || jmx_fail "no daemon"
#   jmx_check "what" [ "$a" = "$b" ]      # on failure jmx_bad: fail=1
#   jmx_die "why"                         # runs $JMX_DIAG, exit 1
#
# Invariants: only PIDs registered with jmx_track are ever signalled, by
# PID (never by name); every wait has a timeout; the server name contains
# the test's PID so parallel tests never share a server.

JMX_PIDS=
JMX_TMP=
JMX_SERVER=
JMX_JACKD_PID=

jmx_note() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

jmx_fail() {
	jmx_note "FAIL: $*"
	exit 1
}

# jmx_bad MSG: a failed check that lets the test go on: note it and set
# fail=1 (the script ends with exit $fail or so).
jmx_bad() {
	jmx_note "FAIL: $*"
	fail=1
}

# jmx_die MSG: a failure the test cannot go on from: note it, run the
# script's diagnostics (JMX_DIAG, a command line evaluated now, e.g.
# JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 30'), exit 1.
jmx_die() {
	jmx_note "FAIL: $*"
	[ -n "${JMX_DIAG:-}" ] && eval "$JMX_DIAG"
	exit 1
}

# jmx_check DESCRIPTION COMMAND...: run COMMAND; if it fails, jmx_bad
# DESCRIPTION (and return 1).
jmx_check() {
	jmx_what=$1
	shift
	"$@" && return 0
	jmx_bad "$jmx_what"
	return 1
}

# jmx_built FILE...: each of our own programs (executable) and preload
# libraries (*.so) is there; fail the test if one is not
jmx_built() {
	for jmx_f in "$@"; do
		case $jmx_f in
		*.so) [ -f "$jmx_f" ] ;;
		*) [ -x "$jmx_f" ] ;;
		esac || jmx_fail "$jmx_f not built (make check builds it)"
	done
}

# Skip (exit 77) when a required external tool is genuinely missing.
# jmx_have TOOL: an executable of that name on PATH (not a function:
# the JACK tools below are wrapped in functions of the same name)
jmx_have() {
	jmx_ifs=$IFS
	IFS=:
	for jmx_d in $PATH; do
		if [ -x "${jmx_d:-.}/$1" ]; then
			IFS=$jmx_ifs
			return 0
		fi
	done
	IFS=$jmx_ifs
	return 1
}

jmx_require() {
	for jmx_t in "$@"; do
		jmx_have "$jmx_t" || {
			jmx_note "SKIP: '$jmx_t' not found"
			exit 77
		}
	done
}

# The JACK command-line tools have no timeout of their own, and a client
# of a server that is stuck (or of a JACK2 race between two clients of
# the same name opening and closing) can wait on a semaphore forever: in
# every test they run under timeout(1), so that a stuck one is a failed
# call that the caller's loop retries or reports, never a hung test.
JMX_TOOL_TIMEOUT=${JMX_TOOL_TIMEOUT:-20}
jack_lsp() { timeout -k 5 "$JMX_TOOL_TIMEOUT" jack_lsp "$@"; }
jack_connect() { timeout -k 5 "$JMX_TOOL_TIMEOUT" jack_connect "$@"; }
jack_disconnect() { timeout -k 5 "$JMX_TOOL_TIMEOUT" jack_disconnect "$@"; }
jack_bufsize() { timeout -k 5 "$JMX_TOOL_TIMEOUT" jack_bufsize "$@"; }
jack_freewheel() { timeout -k 5 "$JMX_TOOL_TIMEOUT" jack_freewheel "$@"; }

# Print a log file to stderr, indented, with a title (at most $3 lines).
jmx_show() {
	[ -f "$2" ] || { jmx_note "$1: (no file $2)"; return 0; }
	jmx_note "---- $1 ($2) ----"
	tail -n "${3:-60}" "$2" | sed 's/^/    /' >&2
}

jmx_track() {
	JMX_PIDS="$1 $JMX_PIDS"
}

jmx_untrack() {
	jmx_keep=
	for jmx_p in $JMX_PIDS; do
		[ "$jmx_p" = "$1" ] || jmx_keep="$jmx_keep $jmx_p"
	done
	JMX_PIDS=$jmx_keep
}

# jmx_rss_kb PID, jmx_fds PID, jmx_threads PID: resident memory (kB),
# open file descriptors and threads of a process
jmx_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
jmx_fds() { ls "/proc/$1/fd" | wc -l; }
jmx_threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

# jmx_resources_kept PID RSS0 FDS0 THREADS0 [NOTE]: note the process's
# RSS, descriptors and threads then and now (and NOTE), and jmx_bad
# unless RSS grew by less than JMX_RSS_SLACK_KB (8 MiB) and the
# descriptors and threads are as many as before
jmx_resources_kept() {
	jmx_r=$(jmx_rss_kb "$1") jmx_fd=$(jmx_fds "$1") jmx_th=$(jmx_threads "$1")
	jmx_note "daemon: RSS $2 -> $jmx_r kB, fds $3 -> $jmx_fd, threads $4 -> $jmx_th${5:+; $5}"
	[ $((jmx_r - $2)) -lt "${JMX_RSS_SLACK_KB:-8192}" ] || jmx_bad "RSS grew by $((jmx_r - $2)) kB"
	[ "$jmx_fd" -eq "$3" ] || jmx_bad "file descriptors: $3 before, $jmx_fd after"
	[ "$jmx_th" -eq "$4" ] || jmx_bad "threads: $4 before, $jmx_th after"
}

# True while the process exists and is not a zombie.
jmx_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) in
	Z | X | "") return 1 ;;
	esac
	return 0
}

# jmx_wait_gone PID TIMEOUT_S: wait for a process to end; 1 on timeout.
jmx_wait_gone() {
	jmx_n=$(($2 * 10))
	while jmx_alive "$1"; do
		[ "$jmx_n" -gt 0 ] || return 1
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
	return 0
}

# jmx_stop_pid PID [TIMEOUT_S]: SIGTERM, wait, SIGKILL after the timeout.
# Returns the exit status of the process (137 or so if it had to be
# killed; 124 is printed as a note).
jmx_stop_pid() {
	kill -TERM "$1" 2>/dev/null
	if ! jmx_wait_gone "$1" "${2:-5}"; then
		jmx_note "pid $1 ignored SIGTERM for ${2:-5} s: SIGKILL"
		kill -KILL "$1" 2>/dev/null
		jmx_wait_gone "$1" 5
	fi
	wait "$1" 2>/dev/null
	jmx_rc=$?
	jmx_untrack "$1"
	return $jmx_rc
}

jmx_cleanup() {
	# clients first, the server last: a server killed while clients hang
	# on it keeps its slot in JACK's registry (8 servers a machine)
	for jmx_p in $JMX_PIDS; do
		[ "$jmx_p" = "$JMX_JACKD_PID" ] && continue
		jmx_alive "$jmx_p" && jmx_stop_pid "$jmx_p" 3 >/dev/null 2>&1
	done
	if [ -n "$JMX_JACKD_PID" ] && jmx_alive "$JMX_JACKD_PID"; then
		jmx_stop_pid "$JMX_JACKD_PID" 5 >/dev/null 2>&1
	fi
	JMX_PIDS=
	if [ -n "$JMX_TMP" ] && [ -d "$JMX_TMP" ] && [ -z "${JMX_KEEP_TMP:-}" ]; then
		rm -rf "$JMX_TMP"
	fi
}

# Temp dir and traps.  JMX_KEEP_TMP=1 keeps the dir for a post-mortem.
jmx_setup() {
	JMX_TMP=$(mktemp -d "${TMPDIR:-/tmp}/jmx-test.XXXXXX") || jmx_fail "mktemp"
	trap 'jmx_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	trap 'exit 141' PIPE
}

# jmx_jack_reclaim: give back the registry slots of our own dead servers.
# JACK2 has 8 server slots a machine (/dev/shm/jack-shm-registry) and
# frees a slot only when its server exits cleanly or when a server of the
# same name starts again; a jackd killed with SIGKILL (jack-restart.sh
# does that on purpose; a hung one gets it from jmx_stop_pid) under a
# name nobody uses again keeps its slot until reboot, and after eight of
# those no jackd starts at all.  So: for every jmx-test-PID slot whose
# test PID is gone and whose server does not answer, start a server of
# that name (it takes the slot over) and stop it cleanly (it frees it).
# One test at a time (a lock directory); our own tests' names only.
jmx_jack_reclaim() {
	jmx_reg=/dev/shm/jack-shm-registry
	[ -r "$jmx_reg" ] || return 0
	jmx_lock=${TMPDIR:-/tmp}/jmx-jack-reclaim.lock
	# a lock left by a test killed meanwhile does not count after a minute
	[ -n "$(find "$jmx_lock" -maxdepth 0 -mmin +1 2>/dev/null)" ] && rmdir "$jmx_lock" 2>/dev/null
	mkdir "$jmx_lock" 2>/dev/null || return 0
	for jmx_name in $(tr -c 'a-zA-Z0-9:_-' '\n' <"$jmx_reg" |
		sed -n "s/^jack-$(id -u):\(jmx-test-[0-9][0-9]*\):\$/\1/p" | sort -u); do
		jmx_owner=${jmx_name#jmx-test-}
		[ "$jmx_owner" = "$$" ] && continue
		kill -0 "$jmx_owner" 2>/dev/null && continue # its test still runs
		jack_lsp -s "$jmx_name" >/dev/null 2>&1 && continue
		jmx_note "reclaiming JACK's registry slot of the dead server $jmx_name"
		jackd -n "$jmx_name" -d dummy -p 1024 >/dev/null 2>&1 &
		jmx_rp=$!
		jmx_track $jmx_rp
		jmx_n=50
		while [ $jmx_n -gt 0 ] && jmx_alive $jmx_rp &&
			! jack_lsp -s "$jmx_name" >/dev/null 2>&1; do
			jmx_n=$((jmx_n - 1))
			sleep 0.1
		done
		kill -TERM $jmx_rp 2>/dev/null
		jmx_wait_gone $jmx_rp 5 || kill -KILL $jmx_rp 2>/dev/null
		wait $jmx_rp 2>/dev/null
		jmx_untrack $jmx_rp
	done
	rmdir "$jmx_lock"
}

# jmx_jack_start: private jackd with the dummy driver (48 kHz, 128 frames,
# or JMX_RATE / JMX_PERIOD); extra jackd options in JMX_JACKD_OPTS.  Sets
# and exports JMX_SERVER and JACK_DEFAULT_SERVER; returns 1 (after printing
# the server log) if it is not answering within 10 s.
jmx_jack_start() {
	JMX_SERVER="jmx-test-$$"
	JACK_DEFAULT_SERVER=$JMX_SERVER
	JACK_NO_AUDIO_RESERVATION=1
	JACK_NO_START_SERVER=1
	export JMX_SERVER JACK_DEFAULT_SERVER JACK_NO_AUDIO_RESERVATION JACK_NO_START_SERVER
	jmx_jack_reclaim
	# shellcheck disable=SC2086 # JMX_JACKD_OPTS is a word list
	jackd ${JMX_JACKD_OPTS:-} -n "$JMX_SERVER" -d dummy -r "${JMX_RATE:-48000}" \
		-p "${JMX_PERIOD:-128}" >"$JMX_TMP/jackd.log" 2>&1 &
	JMX_JACKD_PID=$!
	jmx_track "$JMX_JACKD_PID"
	jmx_n=100
	while [ "$jmx_n" -gt 0 ]; do
		if ! jmx_alive "$JMX_JACKD_PID"; then
			jmx_note "jackd exited during start-up"
			jmx_show "jackd log" "$JMX_TMP/jackd.log"
			return 1
		fi
		jack_lsp -s "$JMX_SERVER" >/dev/null 2>&1 && return 0
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
	jmx_note "jackd not answering after 10 s"
	jmx_show "jackd log" "$JMX_TMP/jackd.log"
	return 1
}

# jmx_jack_kill [SIG]: the private server goes away (SIGTERM, or SIG:
# KILL for a server that dies): signal, wait up to 10 s, forget it; 1 if
# it is still there then
jmx_jack_kill() {
	kill -"${1:-TERM}" "$JMX_JACKD_PID"
	jmx_wait_gone "$JMX_JACKD_PID" 10 || return 1
	wait "$JMX_JACKD_PID" 2>/dev/null
	jmx_untrack "$JMX_JACKD_PID"
	JMX_JACKD_PID=
	return 0
}

jmx_jack_stop() {
	[ -n "$JMX_JACKD_PID" ] || return 0
	jmx_stop_pid "$JMX_JACKD_PID" 5
	jmx_rc=$?
	JMX_JACKD_PID=
	return $jmx_rc
}

# Number of ports of CLIENT on our server.
jmx_count_ports() {
	jack_lsp -s "$JMX_SERVER" 2>/dev/null | grep -c "^$1:"
}

# jmx_wait_ports CLIENT COUNT TIMEOUT_S: until CLIENT has >= COUNT ports.
jmx_wait_ports() {
	jmx_n=$(($3 * 10))
	while [ "$(jmx_count_ports "$1")" -lt "$2" ]; do
		[ "$jmx_n" -gt 0 ] || return 1
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
	return 0
}

# jmx_free_port udp|tcp: a port nobody listens on now (20000-59999), chosen
# at random so parallel tests rarely collide; the caller should still check
# that its server came up.
jmx_free_port() {
	case $1 in
	tcp) jmx_ss=-Hltn jmx_ns=-ltn ;;
	*) jmx_ss=-Hlun jmx_ns=-lun ;;
	esac
	jmx_used=$( (ss $jmx_ss 2>/dev/null || netstat $jmx_ns 2>/dev/null) |
		awk '{ n = split($4, a, ":"); print a[n] }')
	jmx_n=0
	while [ "$jmx_n" -lt 200 ]; do
		jmx_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		jmx_port=$((20000 + jmx_r % 40000))
		if ! printf '%s\n' "$jmx_used" | grep -qx "$jmx_port"; then
			echo "$jmx_port"
			return 0
		fi
		jmx_n=$((jmx_n + 1))
	done
	return 1
}
jmx_free_udp_port() { jmx_free_port udp; }
jmx_free_tcp_port() { jmx_free_port tcp; }

# jmx_shim_report FILE: "FORBIDDEN CYCLES" from an RT shim report, or
# nothing if the file has no report line.
jmx_shim_report() {
	sed -n 's/^rtshim: \([0-9][0-9]*\) forbidden calls, \([0-9][0-9]*\) rt cycles observed.*/\1 \2/p' \
		"$1" 2>/dev/null | head -n 1
}

# jmx_shim_count FILE NAME: how many NAME calls the report lists (0 if none).
jmx_shim_count() {
	jmx_c=$(sed -n '1s/.*[: ]'"$2"'=\([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null)
	echo "${jmx_c:-0}"
}

# jmx_connect SRC DST [TIMEOUT_S]: jack_connect, retried while the other
# client is still between registering its ports and activating.
jmx_connect() {
	jmx_n=$((${3:-5} * 10))
	until jack_connect "$1" "$2" >/dev/null 2>&1; do
		[ "$jmx_n" -gt 0 ] || { jack_connect "$1" "$2"; return 1; }
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
	return 0
}

# jmx_connect_missing SRC DST: connect SRC to DST unless they are already
# (a client that remembers its peers reconnects them itself after a server
# restart), until jack_lsp lists them connected, for up to 5 s; 1 if not
jmx_connect_missing() {
	jmx_n=50
	until jack_lsp -s "$JMX_SERVER" -c "$2" 2>/dev/null | grep -q "^ *$1\$"; do
		[ "$jmx_n" -gt 0 ] || return 1
		jack_connect "$1" "$2" >/dev/null 2>&1
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
	return 0
}

# jmx_connected PORT PEER [TIMEOUT_S]: PORT is connected to PEER (a full
# port name), asked again every 0.1 s for up to TIMEOUT_S (default 3):
# under load jack_lsp itself may fail to open its client (JACK2 status
# 0x21), and a connection made by a client's refresh may be a moment late
jmx_connected() {
	jmx_n=$((${3:-3} * 10))
	until jack_lsp -c "$1" 2>/dev/null | grep -q "^ *$2\$"; do
		[ "$jmx_n" -gt 0 ] || return 1
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
	return 0
}

# jmx_is_assignment WORD: WORD is NAME=VALUE (NAME a shell variable name)
jmx_is_assignment() {
	case $1 in
	[A-Za-z_]*=*) ;;
	*) return 1 ;;
	esac
	case ${1%%=*} in
	*[!A-Za-z0-9_]*) return 1 ;;
	esac
	return 0
}

# jmx_daemon_start [-w] LOG [NAME=VALUE...] [jackmixd options]: start the
# daemon (JMX_DAEMON, by default $top_builddir/src/jackmixd) in the
# background, stdout and stderr to LOG, with the NAME=VALUE given first
# added to its environment only (LD_PRELOAD=..., say); track it, so the
# cleanup stops it; set JMX_DAEMON_PID and JMX_DAEMON_LOG.  With -w, then
# jmx_daemon_wait on the port of its -p/--osc-port option (default 8000):
# 1, after showing LOG, if it does not answer.
jmx_daemon_start() {
	jmx_dwait=
	[ "$1" = -w ] && { jmx_dwait=1; shift; }
	JMX_DAEMON_LOG=$1
	shift
	# env NAME=VALUE... DAEMON OPTION...: the arguments are rotated once,
	# in order, the daemon put in after the leading assignments
	jmx_d=${JMX_DAEMON:-${top_builddir:-..}/src/jackmixd}
	jmx_k=$#
	jmx_dport=8000
	jmx_prev=
	while [ "$jmx_k" -gt 0 ]; do
		jmx_a=$1
		shift
		if [ -n "$jmx_d" ] && ! jmx_is_assignment "$jmx_a"; then
			set -- "$@" "$jmx_d"
			jmx_d=
		fi
		case $jmx_prev in -p | --osc-port) jmx_dport=$jmx_a ;; esac
		case $jmx_a in --osc-port=*) jmx_dport=${jmx_a#*=} ;; esac
		jmx_prev=$jmx_a
		set -- "$@" "$jmx_a"
		jmx_k=$((jmx_k - 1))
	done
	[ -z "$jmx_d" ] || set -- "$@" "$jmx_d"
	env "$@" >"$JMX_DAEMON_LOG" 2>&1 &
	JMX_DAEMON_PID=$!
	jmx_track "$JMX_DAEMON_PID"
	[ -z "$jmx_dwait" ] || jmx_daemon_wait "$jmx_dport" || {
		jmx_show "daemon log" "$JMX_DAEMON_LOG"
		return 1
	}
	return 0
}

# jmx_daemon_wait PORT [PID]: until the daemon (PID, by default
# JMX_DAEMON_PID) answers /ping on PORT; 1 (with a note) if it exits
# first or does not answer within JMX_DAEMON_WAIT_S (15) s.
jmx_daemon_wait() {
	jmx_n=$((${JMX_DAEMON_WAIT_S:-15} * 10))
	until "${top_builddir:-..}/src/jackmixctl" -p "$1" -t 0.2 ping >/dev/null 2>&1; do
		if ! jmx_alive "${2:-$JMX_DAEMON_PID}"; then
			jmx_note "jackmixd exited during start-up"
			return 1
		fi
		if [ "$jmx_n" -le 0 ]; then
			jmx_note "jackmixd not answering /ping on port $1 after ${JMX_DAEMON_WAIT_S:-15} s"
			return 1
		fi
		jmx_n=$((jmx_n - 4)) # the ping's 0.2 s and the sleep
		sleep 0.2
	done
	return 0
}
