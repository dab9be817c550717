# rec-env.sh - helpers shared by the recorder's integration scripts
# (rec-*.sh), on top of jack-env.sh: the daemon recording into
# $JMX_TMP/takes, a test tone into in_1, an OSC feedback listener.
# Sourced (POSIX sh), never run.
#
#   rec_setup PERIOD [TOOL...]            jmx_setup, then a private jackd
#                                         at 48 kHz with PERIOD frames
#                                         (jackd, jack_lsp, jack_connect and
#                                         the TOOLs required)
#   rec_start_daemon [jackmixd options]   sets port, name, daemon, dlog
#   rec_start_tone HZ DBFS                jmx_tone -> $name:in_1
#   rec_frames                            frames the JACK graph has run
#                                         (jmx_tone's cycle count x period,
#                                         to 100 ms): a clock that stops
#                                         when a loaded server skips cycles
#   rec_listen                            oscdump subscribed for 600 s: fblog
#   rec_ctl ARGS                          jackmixctl on the daemon's port
#   rec_wait_line FILE REGEX TIMEOUT_S    until a line of FILE matches
#   rec_status_field LINE N               field N of an oscdump
#                                         /record/status line (3 = active,
#                                         4 = file, 5 = seconds, 6 = frames,
#                                         7 = dropped, 10 = take I ...)
#   rec_near A B TOL                      |A - B| <= TOL
#   rec_xruns_since REGEX                 xrun lines in the daemon's log
#                                         after the first line matching REGEX
#   rec_calm                              until the daemon has logged no
#                                         xrun for 0.5 s (at most 10 s):
#                                         before a take is taken again, so
#                                         an xrun storm of a few seconds
#                                         does not spoil every retake

rec_setup() {
	JMX_PERIOD=$1
	shift
	jmx_require jackd jack_lsp jack_connect "$@"
	jmx_setup
	JMX_RATE=48000
	jmx_jack_start || jmx_fail "cannot start jackd"
}

rec_start_daemon() {
	port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
	name="jmx-rec-$$"
	dlog=$JMX_TMP/daemon.log
	mkdir -p "$JMX_TMP/takes"
	jmx_daemon_start "$dlog" ${REC_PRELOAD:+LD_PRELOAD="$REC_PRELOAD"} -n "$name" -c 2 -b 0 -p "$port" \
		--feedback-port 0 --record-dir "$JMX_TMP/takes" "$@"
	daemon=$JMX_DAEMON_PID
	# 2 inputs + master and monitor = 6 ports
	jmx_wait_ports "$name" 6 10 || { jmx_show daemon "$dlog"; jmx_fail "daemon ports missing"; }
}

rec_start_tone() {
	# a meter file left by an earlier tone would make rec_frames go back
	rm -f "$JMX_TMP/tone.meter"
	./jmx_tone -n "tone-$$" -c 1 -f "$1" -a "$2" -m "$JMX_TMP/tone.meter" >"$JMX_TMP/tone.log" 2>&1 &
	tone=$!
	jmx_track $tone
	jmx_wait_ports "tone-$$" 3 10 || { jmx_show tone "$JMX_TMP/tone.log"; jmx_fail "tone ports missing"; }
	jmx_connect "tone-$$:out_1" "$name:in_1" || jmx_fail "jack_connect tone"
	jmx_n=50
	until [ -s "$JMX_TMP/tone.meter" ]; do
		[ "$jmx_n" -gt 0 ] || jmx_fail "the tone client writes no meter file"
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
}

rec_frames() {
	jmx_c=$(sed -n 's/.*cycles=\([0-9]*\).*/\1/p' "$JMX_TMP/tone.meter" 2>/dev/null)
	echo $((${jmx_c:-0} * ${JMX_PERIOD:-128}))
}

rec_ctl() {
	../src/jackmixctl -p "$port" -t 3 "$@"
}

rec_listen() {
	fbport=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
	fblog=$JMX_TMP/feedback.log
	oscdump -L "$fbport" >"$fblog" 2>&1 &
	jmx_track $!
	sleep 0.3
	oscsend 127.0.0.1 "$port" /subscribe iis "$fbport" 600 values || jmx_fail "oscsend /subscribe"
}

rec_wait_line() {
	jmx_n=$(($3 * 10))
	while ! grep -Eq "$2" "$1" 2>/dev/null; do
		[ "$jmx_n" -gt 0 ] || return 1
		jmx_n=$((jmx_n - 1))
		sleep 0.1
	done
	return 0
}

# oscdump prints: TIMESTAMP /record/status TYPES active "file" seconds ...
rec_status_field() {
	printf '%s\n' "$1" | awk -v n="$2" '{ f = $(n + 1); gsub(/"/, "", f); print f }'
}

rec_near() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

rec_now() {
	date +%s.%N
}

rec_xruns_since() {
	sed -n "/$1/,\$p" "$dlog" | grep -c 'xrun'
}

rec_calm() {
	rc_n=$(grep -c 'xrun' "$dlog" 2>/dev/null)
	rc_still=0
	rc_left=100
	while [ $rc_still -lt 5 ] && [ $rc_left -gt 0 ]; do
		sleep 0.1
		rc_left=$((rc_left - 1))
		rc_m=$(grep -c 'xrun' "$dlog" 2>/dev/null)
		if [ "$rc_m" = "$rc_n" ]; then rc_still=$((rc_still + 1)); else rc_still=0; fi
		rc_n=$rc_m
	done
}
