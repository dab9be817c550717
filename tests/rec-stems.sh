#!/bin/sh
# rec-stems.sh - --record-stems on a private jackd: a console of 2 mono and
# 1 stereo channels (4 input lanes) is fed a different frequency on every
# lane (rec_stemsrc: 750, 1500, 2250, 3000 Hz at -30 dBFS peak, plus a
# click of 0.5 on lane 1 every 12000 frames, inside periods); each channel
# has its own trim, channel 1 its polarity inverted, and faders, an EQ
# boost and a high-pass make the master differ from the stems.  A take of
# about 3 s is recorded with multi stems (32-bit float WAV, 1 s pre-roll)
# and one with split stems (24-bit FLAC); then the server is restarted at
# 44.1 kHz under the split daemon (a new mixer with its tap, a new
# recorder with its stem plane) and one more split take is checked the
# same way at that rate (and its own latency).  Checks:
#   - `--record-stems bogus` and multi stems of 9 lanes in FLAC: exit 2
#     with an error naming the option; no daemon is left running;
#   - the take makes exactly the master plus NAME.stems.wav (4 channels) or
#     NAME.ch01/ch02 (mono) and NAME.ch03 (stereo) .flac, nothing else;
#   - every stem file has exactly the master file's frame count, and
#     /record/status names the stems with 0 dropped frames;
#   - each stem's level is the input level + the channel's trim: the
#     stems are post-trim, before EQ and fader.  Tolerance 0.01 dB: the
#     input is a float sine (relative error 2^-24), the trim gain is exact
#     once smoothed (the strip snaps to its target), a least-squares fit
#     over > 10000 frames averages 24-bit TPDF dither (+-1.5 LSB, 1e-7 of
#     full scale) down to ~1e-6 dB, and the click frames are left out of
#     the fit; 0.01 dB is a decade above all of that and hundreds of
#     times below any gain the console could wrongly apply here (trims
#     -6, +4.5, -9.5 dB, faders, EQ);
#   - each stem holds only its own frequency: the three others > 60 dB
#     below it (they are absent, only numerical noise remains);
#   - the master differs: 1500 Hz in master_L is not at stem level - 3 dB
#     (pan) within 1 dB (fader -8, EQ +6 at 1500 Hz, master -1: 3 dB lower);
#   - alignment: every click on lane 1 at stem frame k is the largest
#     sample of master_L within 512 frames of k + L, exactly there, where
#     L is the limiter latency the daemon reports (log line "master
#     latency N frames", the figure it gives JACK as port latency); the
#     click is negative in both (polarity inverted before the tap).
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/rec-env.sh"
rec_setup 256
rate=48000
fail=0
bad() {
	jmx_note "FAIL: $*"
	fail=1
}

# ---- bad command lines: named errors, exit 2, no JACK needed -------------
# (pointed at a server that does not exist: an option checked only after
# connecting would fail with 1, not 2)
for args in "--record-stems bogus" "-c 9 --record-stems multi --record-format flac"; do
	# shellcheck disable=SC2086 # args is a word list
	JACK_DEFAULT_SERVER=jmx-none-$$ ../src/jackmixd -n "jmx-bad-$$" $args >"$JMX_TMP/bad.out" \
		2>"$JMX_TMP/bad.err" &
	b=$!
	jmx_track $b
	jmx_wait_gone $b 5 || bad "jackmixd $args: still running after 5 s"
	wait $b
	rc=$?
	jmx_untrack $b
	[ $rc -eq 2 ] || bad "jackmixd $args: exit status $rc, want 2"
	grep -q -- '--record-stems' "$JMX_TMP/bad.err" || bad "jackmixd $args: no error naming --record-stems"
	jmx_note "$args: exit $rc: $(head -n 1 "$JMX_TMP/bad.err")"
done

# level of the stems' input: -30 dBFS peak; trims per channel
in_db=-30
trim1=-6
trim2=4.5
trim3=-9.5

# daemon MODE OPTIONS...: a daemon with stems MODE, fed by the source,
# with the channel settings; sets port, name, dir, dlog, daemon, lat
daemon() {
	mode=$1
	shift
	port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
	name="jmx-stems-$mode-$$"
	dir=$JMX_TMP/takes-$mode
	dlog=$JMX_TMP/daemon-$mode.log
	../src/jackmixd -n "$name" -c 2 --stereo-channels 1 -b 0 -p "$port" --feedback-port 0 \
		--record-dir "$dir" --record-stems "$mode" "$@" >"$dlog" 2>&1 &
	daemon=$!
	jmx_track $daemon
	jmx_wait_ports "$name" 8 10 || { jmx_show daemon "$dlog"; jmx_fail "$mode: daemon ports missing"; }
	feed
	for s in "/ch/1/trim/db $trim1" "/ch/2/trim/db $trim2" "/ch/3/trim/db $trim3" "/ch/1/polarity 1" \
		"/ch/1/fader/db -3" "/ch/2/fader/db -8" "/ch/2/eq/on 1" "/ch/2/eq/2/hz 1500" "/ch/2/eq/2/db 6" \
		"/ch/3/fader/db -2" "/ch/3/hpf/on 1" "/ch/3/hpf/hz 200" "/master/fader/db -1"; do
		# shellcheck disable=SC2086 # path and value
		rec_ctl set $s >/dev/null || jmx_fail "$mode: set $s"
	done
	lat=$(sed -n 's/.*master latency \([0-9]*\) frames.*/\1/p' "$dlog" | tail -n 1)
	[ -n "$lat" ] || { jmx_show daemon "$dlog"; jmx_fail "$mode: no master latency in the log"; }
	jmx_note "$mode: master latency $lat frames"
}

# start_source: rec_stemsrc on the server (again after a restart)
start_source() {
	src=jmx-src-$$
	./rec_stemsrc "$src" 4 750 -30 12000 0.5 >"$JMX_TMP/src.log" 2>&1 &
	srcpid=$!
	jmx_track $srcpid
	jmx_wait_ports "$src" 4 10 || { jmx_show src "$JMX_TMP/src.log"; jmx_fail "rec_stemsrc ports missing"; }
}

# feed: source outputs to the daemon's lanes, one frequency each
feed() {
	for c in "1 in_1" "2 in_2" "3 in_3_L" "4 in_3_R"; do
		set -- $c
		jmx_connect "$src:out_$1" "$name:$2" || jmx_fail "jack_connect out_$1 $2"
	done
}

# take NAME EXT: record about 3 s (after 1.5 s for smoothing and the
# pre-roll); sets master (the file) and status (the final /record/status)
take() {
	sleep 1.5
	rec_ctl bundle /record/start "s:$1" >/dev/null || jmx_fail "$mode: /record/start"
	rec_wait_line "$dlog" "recording .*/$1\\." 5 || { jmx_show daemon "$dlog"; jmx_fail "$mode: take $1 not started"; }
	sleep 3
	rec_ctl get /record/stop >/dev/null || jmx_fail "$mode: /record/stop"
	rec_wait_line "$dlog" "recorded .*/$1\\." 10 || { jmx_show daemon "$dlog"; jmx_fail "$mode: take $1 not finished"; }
	status=$(rec_ctl get /record/status) || jmx_fail "$mode: /record/status"
	jmx_note "$mode: status: $status"
	master=$dir/$1.$2
	[ -f "$master" ] || jmx_fail "$mode: no master file $master"
}

# level FILE CH HZ: dBFS of HZ in channel CH (clicks left out)
level() {
	./rec_inspect fit "$1" "$2" "$rate" 0.2 750 1500 2250 3000 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# stem FILE CH HZ TRIM: own level, isolation from the other three
check_stem() {
	fit=$(./rec_inspect fit "$1" "$2" "$rate" 0.2 750 1500 2250 3000) || { bad "rec_inspect fit $1"; return; }
	own=$(printf '%s\n' "$fit" | tr ' ' '\n' | sed -n "s/^$3=//p")
	want=$(awk -v a="$in_db" -v t="$4" 'BEGIN { print a + t }')
	jmx_note "$(basename "$1") ch $2: $fit (want $3 Hz at $want)"
	rec_near "$own" "$want" 0.01 || bad "$(basename "$1") ch $2: $3 Hz at $own dBFS, want $want (input + trim)"
	for f in 750 1500 2250 3000; do
		[ "$f" = "$3" ] && continue
		other=$(printf '%s\n' "$fit" | tr ' ' '\n' | sed -n "s/^$f=//p")
		awk -v o="$other" -v w="$own" 'BEGIN { exit !(o < w - 60) }' ||
			bad "$(basename "$1") ch $2: $f Hz at $other dBFS, not 60 dB below its own $own"
	done
}

# finfo FILE: sets nfr (frames) and chans (channels)
finfo() {
	info=$(./rec_inspect info "$1") || { bad "rec_inspect info $1"; nfr=0 chans=0; return; }
	chans=$(printf '%s\n' "$info" | sed 's/.* channels=\([0-9]*\).*/\1/')
	nfr=$(printf '%s\n' "$info" | sed 's/^frames=\([0-9]*\).*/\1/')
}

# align STEM SCH: the clicks against master_L
check_align() {
	out=$(./rec_inspect align "$1" "$2" "$master" 1 "$lat" 0.2) || { bad "rec_inspect align"; return; }
	jmx_note "$(basename "$1"): $out"
	n=$(printf '%s\n' "$out" | sed 's/.* clicks=\([0-9]*\).*/\1/')
	a=$(printf '%s\n' "$out" | sed 's/.* aligned=\([0-9]*\).*/\1/')
	[ "$n" -ge 4 ] || bad "$(basename "$1"): only $n clicks found (want >= 4)"
	[ "$a" = "$n" ] || bad "$(basename "$1"): $a of $n clicks at the same frame in stem and master (+ $lat)"
	case $out in *"stem_sign=- master_sign=-"*) ;; *) bad "$(basename "$1"): click polarity, want - in both" ;; esac
}

start_source

# ---- multi: one 4-channel float WAV, 1 s pre-roll --------------------------
daemon multi --record-bits 32f --preroll 1
take mix wav
jmx_stop_pid $daemon 5 || bad "multi: daemon exit status on SIGTERM"
ls "$dir" >"$JMX_TMP/ls"
[ "$(cat "$JMX_TMP/ls" | tr '\n' ' ')" = "mix.stems.wav mix.wav " ] || bad "multi: files $(cat "$JMX_TMP/ls" | tr '\n' ' ')"
stems=$dir/mix.stems.wav
finfo "$master"
mf=$nfr
finfo "$stems"
sf=$nfr
[ "$chans" = 4 ] || bad "multi: $chans channels in mix.stems.wav, want 4 (one per input lane)"
[ "$sf" = "$mf" ] && [ "$mf" -gt 48000 ] || bad "multi: stems $sf frames, master $mf (want equal, > 1 s)"
case $status in *' multi mix.stems.wav 1 0') ;; *) bad "multi: /record/status does not report the stems: $status" ;; esac
check_stem "$stems" 1 750 $trim1
check_stem "$stems" 2 1500 $trim2
check_stem "$stems" 3 2250 $trim3
check_stem "$stems" 4 3000 $trim3
check_align "$stems" 1
ml=$(level "$master" 1 1500)
jmx_note "master_L: 1500 Hz at $ml dBFS"
rec_near "$ml" "$(awk -v a=$in_db -v t=$trim2 'BEGIN { print a + t - 3 }')" 1 &&
	bad "multi: the master carries channel 2 as the stem does: fader and EQ missing?"

# ---- split: a FLAC per channel, 24-bit -------------------------------------
# check_split NAME: the files of split take NAME at $rate
check_split() {
	ls "$dir" | grep "^$1[.]" >"$JMX_TMP/ls"
	[ "$(tr '\n' ' ' <"$JMX_TMP/ls")" = "$1.ch01.flac $1.ch02.flac $1.ch03.flac $1.flac " ] ||
		bad "split: files $(tr '\n' ' ' <"$JMX_TMP/ls")"
	finfo "$master"
	mf=$nfr
	case $info in *" rate=$rate "*) ;; *) bad "split: $1.flac is not at $rate Hz: $info" ;; esac
	for c in "1 1" "2 1" "3 2"; do
		set -- "$1" $c
		f=$dir/$1.ch0$2.flac
		finfo "$f"
		[ "$chans" = "$3" ] || bad "split: $chans channels in $1.ch0$2.flac, want $3"
		[ "$nfr" = "$mf" ] && [ "$mf" -gt "$rate" ] || bad "split: $1.ch0$2.flac $nfr frames, master $mf"
		case $info in *" rate=$rate "*) ;; *) bad "split: $1.ch0$2.flac is not at $rate Hz: $info" ;; esac
	done
	case $status in *" split $1.ch01.flac 3 0") ;; *) bad "split: /record/status does not report the stems: $status" ;; esac
	check_stem "$dir/$1.ch01.flac" 1 750 $trim1
	check_stem "$dir/$1.ch02.flac" 1 1500 $trim2
	check_stem "$dir/$1.ch03.flac" 1 2250 $trim3
	check_stem "$dir/$1.ch03.flac" 2 3000 $trim3
	check_align "$dir/$1.ch01.flac" 1
}
daemon split --record-format flac --record-bits 24
take cut flac
check_split cut

# ---- the same daemon after the server came back at 44.1 kHz: a new mixer
# (with its tap) and a new recorder (with its stem plane) at that rate ---
# The server goes away under both clients, as when it crashes or is
# restarted: the daemon keeps the connections it had to restore them.
# (Stopping the source first would tell the daemon its peer left on its
# own, and a connection that was the peer's is rightly forgotten: which
# of the two the daemon saw first was a race this test used to lose.)
jmx_jack_stop || bad "jackd exit status"
jmx_stop_pid $srcpid 5
JMX_RATE=44100
rate=44100
jmx_jack_start || jmx_fail "cannot restart jackd at 44.1 kHz"
jmx_wait_ports "$name" 8 10 || { jmx_show daemon "$dlog"; jmx_fail "split: daemon not back on the server"; }
rec_wait_line "$dlog" "mixer rebuilt, master latency" 5 || { jmx_show daemon "$dlog"; jmx_fail "no mixer rebuilt"; }
lat=$(sed -n 's/.*mixer rebuilt, master latency \([0-9]*\) frames.*/\1/p' "$dlog" | tail -n 1)
jmx_note "44.1 kHz: master latency $lat frames"
start_source
# the daemon makes its saved connections again when the peer returns
for c in "1 in_1" "2 in_2" "3 in_3_L" "4 in_3_R"; do
	set -- $c
	n=50
	until jack_lsp -s "$JMX_SERVER" -c "$name:$2" 2>/dev/null | grep -q "^ *$src:out_$1\$"; do
		[ $n -gt 0 ] || { jmx_show daemon "$dlog" 40; jmx_fail "44.1 kHz: $src:out_$1 -> $name:$2 not restored"; }
		n=$((n - 1))
		sleep 0.1
	done
done
take cut44 flac
check_split cut44
jmx_stop_pid $daemon 5 || bad "split: daemon exit status on SIGTERM"

[ $fail -eq 0 ] && echo "rec-stems.sh: PASS"
exit $fail
