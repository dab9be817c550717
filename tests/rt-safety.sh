#!/bin/sh
# rt-safety.sh - integration test of the thread contract: the daemon's JACK
# process thread makes no forbidden call (allocation, lock, wait, stdio,
# system call ...) while every DSP block is engaged and parameters keep
# changing over OSC.
#
#  1. private jackd (dummy driver, 48 kHz, 128 frames), see jack-env.sh;
#  2. negative control: jmx_tone --rt-malloc under the RT shim must be
#     reported with exactly one malloc and one free per process cycle, so
#     the shim provably watches a real JACK process thread, both with a
#     process callback and with jack_set_process_thread;
#  3. jackmixd -c 4 --stereo-channels 1 -b 2 --talkback under the shim, fed by
#     jmx_tone (a sine on every input, talk_in too; jmx_tone runs under the shim too and
#     must itself be clean), master_L/R metered by jmx_tone;
#  4. every DSP switch on, then JMX_RT_SECONDS (10) s of random values for
#     every settable parameter of src/params/params.h (paths, ranges and defaults
#     are read from the table itself, so this follows it), with oscsend,
#     while a take records the master and split stems (--record-stems:
#     the mixer's post-trim tap and the wide recorder ring on the RT
#     thread); then that take played back through every channel
#     (/playback/load, /ch/<n>/source playback, /playback/start, a
#     locate) under 2 s of random changes: the playback ring on the RT
#     thread;
#  5. proof that the OSC traffic reached the audio path: after resetting
#     every parameter to its default the master carries the tones; muting
#     the master silences it; unmuting brings them back;
#  6. SIGTERM: the daemon must exit 0 within 10 s, and its shim report must
#     show 0 forbidden calls and at least a quarter of the cycles the
#     elapsed time implies.
# Skips (77) only if jackd, jack_lsp, jack_connect or oscsend is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
top_srcdir=${top_srcdir:-$srcdir/..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp jack_connect oscsend awk od
shim=$PWD/.libs/rtshim.so
daemon=$top_builddir/src/jackmixd
tone=./jmx_tone
params=$top_srcdir/src/params/params.h
seconds=${JMX_RT_SECONDS:-10}
jmx_built "$shim" "$daemon" "$tone"
[ -f "$params" ] || jmx_fail "$params not found"

jmx_setup
T=$JMX_TMP
daemon_pid=

JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 80; jmx_show "daemon RT shim report" "$T/daemon.report" 40
	jmx_show "tone log" "$T/tone.log" 20; jmx_show "jackd log" "$T/jackd.log" 20'

jmx_jack_start || jmx_fail "the private JACK server did not start"

# ---- 2. negative control ---------------------------------------------------
# neg_control MODE-OPTION: jmx_tone --rt-malloc [MODE-OPTION] under the shim.
neg_control() {
	neg=jmx-neg-$$
	# shellcheck disable=SC2086 # $1 is an option or nothing
	LD_PRELOAD=$shim JMX_RTSHIM_REPORT=$T/neg.report $tone -n "$neg" -c 1 --rt-malloc $1 \
		>"$T/neg.log" 2>&1 &
	neg_pid=$!
	jmx_track $neg_pid
	jmx_wait_ports "$neg" 3 10 || {
		jmx_show "negative control log" "$T/neg.log"
		jmx_fail "jmx_tone --rt-malloc $1 never registered its ports"
	}
	sleep 1
	jmx_stop_pid $neg_pid 5 || {
		jmx_show "negative control log" "$T/neg.log"
		jmx_fail "jmx_tone --rt-malloc $1 did not exit cleanly"
	}
	# shellcheck disable=SC2046 # split "FORBIDDEN CYCLES" into $2 $3
	set -- "${1:-callback}" $(jmx_shim_report "$T/neg.report")
	[ $# -eq 3 ] || jmx_fail "negative control ($1): no shim report ($T/neg.report)"
	neg_malloc=$(jmx_shim_count "$T/neg.report" malloc)
	neg_free=$(jmx_shim_count "$T/neg.report" free)
	if [ "$3" -lt 50 ] || [ "$neg_malloc" -ne "$3" ] || [ "$neg_free" -ne "$3" ] ||
		[ "$2" -ne $((2 * $3)) ]; then
		jmx_show "negative control report" "$T/neg.report" 10
		jmx_fail "negative control ($1): want malloc = free = cycles >= 50 and nothing else," \
			"got $2 calls, malloc=$neg_malloc free=$neg_free in $3 cycles"
	fi
	jmx_note "negative control ($1): the shim saw malloc+free in each of $3 JACK cycles"
}
neg_control ""
neg_control --process-thread

# ---- 3. tone source and daemon under the shim ------------------------------
tname=jmx-tone-$$
dname=jmx-rt-$$
mono=4 stereo=1 buses=2
lanes=$((mono + 2 * stereo))
LD_PRELOAD=$shim JMX_RTSHIM_REPORT=$T/tone.report $tone -n "$tname" -c $lanes -a -20 -m "$T/meter" \
	>"$T/tone.log" 2>&1 &
tone_pid=$!
jmx_track $tone_pid
jmx_wait_ports "$tname" $((lanes + 2)) 10 || jmx_die "jmx_tone never registered its ports"

port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
# Feedback to auto-registered senders goes to a port of our own, not to the
# default one another test might be listening on.
fbport=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
[ "$fbport" != "$port" ] || fbport=$((port + 1))
start=$(date +%s)
jmx_daemon_start "$T/daemon.log" LD_PRELOAD="$shim" JMX_RTSHIM_REPORT="$T/daemon.report" -S "$JMX_SERVER" \
	-n "$dname" -c $mono --stereo-channels $stereo -b $buses -p "$port" --feedback-port "$fbport" \
	--record-dir "$T/takes" --record-stems split --talkback
daemon_pid=$JMX_DAEMON_PID
nports=$((lanes + 1 + 2 * buses + 4)) # the lanes, talk_in, the outputs
if ! jmx_wait_ports "$dname" $nports 15; then
	jmx_alive $daemon_pid || jmx_die "jackmixd exited during start-up"
	jmx_die "jackmixd did not register $nports ports within 15 s" \
		"(has $(jmx_count_ports "$dname"))"
fi
k=1
for p in $(jack_lsp -s "$JMX_SERVER" | grep "^$dname:in_"); do
	[ $k -le $lanes ] || break
	jmx_connect "$tname:out_$k" "$p" || jmx_die "jack_connect $tname:out_$k $p"
	k=$((k + 1))
done
[ $k -gt $lanes ] || jmx_die "jackmixd has only $((k - 1)) input ports, want $lanes"
jmx_connect "$tname:out_1" "$dname:talk_in" || jmx_die "cannot connect $dname:talk_in"
jmx_connect "$dname:master_L" "$tname:in_L" || jmx_die "cannot connect $dname:master_L"
jmx_connect "$dname:master_R" "$tname:in_R" || jmx_die "cannot connect $dname:master_R"

# ---- 4. parameters from the table, engaged and moving ----------------------
# One line per settable parameter: path type min max taper d1 d2 d3 d4
awk '
/^X\(/ {
	if (!match($0, /"[^"]*"/))
		next
	path = substr($0, RSTART + 1, RLENGTH - 2)
	if (!match($0, /PT_[A-Z]+/))
		next
	type = substr($0, RSTART, RLENGTH)
	if (type != "PT_FLOAT" && type != "PT_BOOL" && type != "PT_ENUM")
		next
	n = split(substr($0, RSTART + RLENGTH), f, ",")
	min = f[3] + 0
	max = f[4] + 0
	taper = f[5]
	gsub(/[ \t]/, "", taper)
	unit = f[2]
	gsub(/[ \t"]/, "", unit)
	if (unit == "")
		unit = "-"
	if (!match($0, /DEFB?\([^)]*\)/))
		next
	d = substr($0, RSTART, RLENGTH)
	sub(/^DEFB?\(/, "", d)
	sub(/\)$/, "", d)
	gsub(/[ \tf]/, "", d)
	nd = split(d, dv, ",")
	for (i = nd + 1; i <= 4; i++)
		dv[i] = dv[1]
	print path, type, min, max, taper, dv[1], dv[2], dv[3], dv[4], unit
}' "$params" >"$T/params"
[ "$(wc -l <"$T/params")" -ge 40 ] || jmx_die "could not read the parameter table from $params"
nchan=$((mono + stereo))

# expand MODE [SEED COUNT]: OSC messages "path tag value", one a line.
#   engage   every "/on" switch of every instance to 1, every bus routed
#            to master with an effect (reverb, delay, chorus in turn)
#   defaults every parameter of every instance to its table default
#   random   COUNT random settings (log-uniform on TP_LOG ranges, switches
#            mostly on, so the DSP stays engaged while toggling)
expand() {
	awk -v mode="$1" -v seed="${2:-1}" -v count="${3:-0}" -v nch=$nchan -v nbus=$buses '
	function tag(t) { return t == "PT_FLOAT" ? "f" : "i" }
	# b numbers the third index: an EQ band (1..4), a DCA (1..8) or a
	# mute group (1..6), whichever the path has
	function inst(p, c, a, b) {
		gsub(/<n>/, c, p)
		gsub(/<a>/, a, p)
		gsub(/<b>/, (b - 1) % 4 + 1, p)
		gsub(/<d>/, (b - 1) % 8 + 1, p)
		gsub(/<g>/, (b - 1) % 6 + 1, p)
		return p
	}
	function emit(k, c, a, b, v) {
		print inst(P[k], c, a, b), tag(TY[k]), v
	}
	function each(k, how,    c, a, b, cmax, amax, bmax) {
		cmax = index(P[k], "<n>") ? nch : 1
		amax = index(P[k], "<a>") ? nbus : 1
		bmax = index(P[k], "<b>") ? 4 : index(P[k], "<d>") ? 8 : index(P[k], "<g>") ? 6 : 1
		for (c = 1; c <= cmax; c++)
			for (a = 1; a <= amax; a++)
				for (b = 1; b <= bmax; b++)
					emit(k, c, a, b, how == "on" ? 1 : D[k, (b - 1) % 4 + 1])
	}
	function rnd(k,    v) {
		if (TY[k] == "PT_BOOL")
			return (P[k] ~ /\/on$/) ? (rand() < 0.85) : (rand() < 0.5)
		if (TY[k] == "PT_ENUM")
			return int(rand() * (MAX[k] - MIN[k] + 1) + MIN[k])
		if (U[k] == "ch") # a key: itself or any channel
			return int(rand() * (nch + 1))
		if (TA[k] == "TP_LOG" && MIN[k] > 0)
			v = MIN[k] * exp(rand() * log(MAX[k] / MIN[k]))
		else
			v = MIN[k] + rand() * (MAX[k] - MIN[k])
		return sprintf("%.4g", v)
	}
	{
		n++
		P[n] = $1; TY[n] = $2; MIN[n] = $3; MAX[n] = $4; TA[n] = $5
		D[n, 1] = $6; D[n, 2] = $7; D[n, 3] = $8; D[n, 4] = $9; U[n] = $10
	}
	END {
		srand(seed)
		if (mode == "engage") {
			for (k = 1; k <= n; k++) {
				if (TY[k] == "PT_BOOL" && (P[k] ~ /\/on$/ || P[k] == "/bus/<a>/master"))
					each(k, "on")
				if (P[k] == "/bus/<a>/fx")
					for (a = 1; a <= nbus; a++)
						emit(k, 1, a, 1, (a - 1) % 3 + 1)
			}
		} else if (mode == "defaults") {
			for (k = 1; k <= n; k++)
				each(k, "default")
		} else {
			for (i = 0; i < count; i++) {
				k = int(rand() * n) + 1
				emit(k, int(rand() * nch) + 1, int(rand() * nbus) + 1, int(rand() * 8) + 1, rnd(k))
			}
		}
	}' "$T/params"
}

osc_errors=0
send_all() { # send every line of a message file; stop at a deadline if given
	deadline=${2:-0}
	i=0
	while read -r path tag value; do
		oscsend 127.0.0.1 "$port" "$path" "$tag" "$value" 2>>"$T/oscsend.err" ||
			osc_errors=$((osc_errors + 1))
		i=$((i + 1))
		if [ "$deadline" -gt 0 ] && [ $((i % 20)) -eq 0 ] && [ "$(date +%s)" -ge "$deadline" ]; then
			break
		fi
	done <"$1"
	sent=$i
}

expand engage >"$T/engage.osc"
send_all "$T/engage.osc"
jmx_note "engaged $sent DSP switches"
seed=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
expand random "$seed" $((seconds * 2000)) >"$T/random.osc"
oscsend 127.0.0.1 "$port" /record/start s rt || jmx_die "oscsend /record/start"
send_all "$T/random.osc" $(($(date +%s) + seconds))
jmx_note "sent $sent random parameter changes in ${seconds} s (awk seed $seed)"
oscsend 127.0.0.1 "$port" /record/stop || jmx_die "oscsend /record/stop"
n=50
until grep -q 'info: recorded .*/rt\.wav' "$T/daemon.log"; do
	[ $n -gt 0 ] || jmx_die "the take with stems did not finish"
	n=$((n - 1))
	sleep 0.1
done
nstems=$(ls "$T/takes" | grep -c '^rt\.ch[0-9]*\.wav$')
[ "$nstems" -eq $nchan ] || jmx_die "$nstems stem files for $nchan channels: $(ls "$T/takes")"
jmx_note "recorded the master and $nstems stem files meanwhile"
# the take played back through every channel (virtual soundcheck): the
# playback ring read on the RT thread, locates (stale blocks dropped) and
# random changes meanwhile
oscsend 127.0.0.1 "$port" /playback/load s rt || jmx_die "oscsend /playback/load"
c=1
while [ $c -le $nchan ]; do
	oscsend 127.0.0.1 "$port" /ch/$c/source s playback || jmx_die "oscsend /ch/$c/source"
	c=$((c + 1))
done
oscsend 127.0.0.1 "$port" /playback/start || jmx_die "oscsend /playback/start"
expand random $((seed + 1)) 4000 | grep -v '/source ' >"$T/random2.osc"
send_all "$T/random2.osc" $(($(date +%s) + 2))
oscsend 127.0.0.1 "$port" /playback/locate f 0.5 || jmx_die "oscsend /playback/locate"
sleep 1
oscsend 127.0.0.1 "$port" /playback/stop || jmx_die "oscsend /playback/stop"
grep -q 'info: playback: take rt loaded' "$T/daemon.log" || jmx_die "the take was not loaded for playback"
jmx_note "played the take back through $nchan channels with $sent random changes and a locate"
[ "$osc_errors" -eq 0 ] || jmx_die "oscsend failed $osc_errors times: $(head -n 3 "$T/oscsend.err")"
jmx_alive $daemon_pid || jmx_die "jackmixd died while parameters were changing"

# ---- 5. the changes reach the audio path -----------------------------------
# A tone at -20 dBFS through a unity channel panned centre (-3 dB) is at
# -23 dBFS on each master side; a sum of such tones peaks no lower than
# pi/4 of its largest component (-2.1 dB).  -40 dBFS leaves 15 dB for
# anything the defaults might do (they are flat); muted must be silence
# (below -120 dBFS, 100 dB under the tones, once the gain ramp has ended).
# Each step waits for a change of state, so a stale meter value can only
# delay a pass, never fake one.

# wait_level above|below DBFS: poll the master meter (one value per 100 ms)
# for up to 5 s until it is above or below DBFS; prints the last value.
wait_level() {
	n=25
	while :; do
		sleep 0.2
		v=$(sed -n 's/^peak_dbfs=\([-0-9.]*\) .*/\1/p' "$T/meter" 2>/dev/null)
		n=$((n - 1))
		if [ -n "$v" ] && awk -v v="$v" -v t="$2" -v d="$1" 'BEGIN { exit !(d == "above" ? v > t : v < t) }'; then
			break
		fi
		[ $n -gt 0 ] || break
	done
	echo "${v:-none}"
}
expand defaults >"$T/defaults.osc"
send_all "$T/defaults.osc"
loud=$(wait_level above -40)
oscsend 127.0.0.1 "$port" /master/mute i 1
muted=$(wait_level below -120)
oscsend 127.0.0.1 "$port" /master/mute i 0
back=$(wait_level above -40)
jmx_note "master peak: defaults $loud dBFS, muted $muted dBFS, unmuted $back dBFS"
awk -v a="$loud" -v m="$muted" -v b="$back" 'BEGIN {
	exit !(a != "none" && m != "none" && b != "none" && a > -40 && b > -40 && m < -120)
}' || jmx_die "OSC changes do not reach the master: want > -40, < -120, > -40 dBFS," \
	"got $loud, $muted, $back"

# ---- 6. stop and read the reports -----------------------------------------
jmx_stop_pid $daemon_pid 10
rc=$?
elapsed=$(($(date +%s) - start))
[ $rc -eq 0 ] || jmx_die "jackmixd exited with status $rc on SIGTERM (want 0)"
jmx_stop_pid $tone_pid 5 || jmx_die "jmx_tone did not exit cleanly"

# shellcheck disable=SC2046 # split "FORBIDDEN CYCLES" into $1 $2
set -- $(jmx_shim_report "$T/tone.report")
if [ $# -ne 2 ] || [ "$1" -ne 0 ] || [ "$2" -le 0 ]; then
	jmx_die "jmx_tone itself is not clean or not watched: $(head -n 1 "$T/tone.report")"
fi

# shellcheck disable=SC2046
set -- $(jmx_shim_report "$T/daemon.report")
[ $# -eq 2 ] || jmx_die "jackmixd left no shim report (did it exit through exit()?)"
calls=$1 cycles=$2
want=$((elapsed * 48000 / 128 / 4))
jmx_note "jackmixd: $calls forbidden calls in $cycles RT cycles ($elapsed s)"
if [ "$calls" -ne 0 ]; then
	where=$(sed -n 's/^rtshim: first: [a-z_0-9]* called from \(.*\)+\(0x[0-9a-f]*\) .*/\1 \2/p' \
		"$T/daemon.report")
	[ -n "$where" ] && jmx_note "the first one: addr2line -f -i -C -e $where"
	jmx_die "forbidden calls on the RT thread: $(head -n 1 "$T/daemon.report")"
fi
[ "$cycles" -gt 0 ] || jmx_die "no RT cycles observed: the process callback never ran under the shim"
[ "$cycles" -ge "$want" ] || jmx_die "only $cycles RT cycles in $elapsed s, want >= $want"
echo "rt-safety.sh: PASS"
exit 0
