#!/bin/sh
# ctl-commands.sh - every jackmixctl subcommand against a running daemon
# (8 channels, 2 buses) on a private `jackd -d dummy`, with a 1 kHz sine
# at -12 dBFS (jmx_tone) on channel 1:
#   send:    /record/start and /record/stop with zero arguments (the take
#            is on disk), a set without a reply, /ping, a bad path's
#            /error on stderr with exit status 1; `set PATH' without a
#            value points to send (exit status 2)
#   status:  a row per channel (as many as /info says), the fader dB,
#            name, mute and solo set here, channel 1's peak at -12 dBFS
#            and the master's at -15 (constant-power pan, -3.01 dB) with
#            their bars' cells worked out from the width; no line wider
#            than COLUMNS
#   dump:    --changed lists exactly what this test changed; --units has
#            one line per parameter instance (counted from --dump-osc's
#            templates), each path once
#   meters:  into a pipe, the line stream; on a terminal (script(1), 90
#            columns), frames redrawn in place: cursor up by the frame's
#            lines, the cursor given back at the end
#   get, set, bundle, watch, ping, info, stats: their one-line answers.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp jack_connect
jmx_built ../src/jackmixd ../src/jackmixctl ./jmx_tone
jmx_setup
LC_ALL=C
export LC_ALL
jmx_jack_start || jmx_fail "cannot start jackd"
T=$JMX_TMP
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-ctl-$$"
JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 30'
jmx_daemon_start -w "$T/daemon.log" -n "$name" -c 8 -b 2 -p "$port" --feedback-port 0 \
	--record-dir "$T/rec" || jmx_die "the daemon did not start"
./jmx_tone -n "tone-$$" -c 1 -f 1000 -a -12 >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports "tone-$$" 3 10 || jmx_die "jmx_tone did not register its ports"
jmx_connect "tone-$$:out_1" "$name:in_1" || jmx_die "cannot connect the tone"
ctl="../src/jackmixctl -p $port -t 3"
fail=0

# ---- send ----
out=$($ctl send /record/start s:ctltake 2>"$T/err")
rc=$?
jmx_check "send /record/start: rc $rc, '$out' $(cat "$T/err")" [ $rc -eq 0 ] &&
	jmx_check "send /record/start printed '$out'" eval 'printf "%s\n" "$out" | grep -q "^/record/start 1 "'
sleep 0.5
out=$($ctl send /record/stop 2>"$T/err")
rc=$?
jmx_check "send /record/stop (no argument): rc $rc, $(cat "$T/err")" [ $rc -eq 0 ]
jmx_check "send /record/stop printed '$out'" eval 'printf "%s\n" "$out" | grep -q "^/record/stop [01] ctltake.wav "'
n=50
until $ctl send /record/status | grep -q '^/record/status 0 '; do
	[ $n -gt 0 ] || { jmx_bad "the take did not stop"; break; }
	n=$((n - 1))
	sleep 0.1
done
jmx_check "the take is on disk" [ -s "$T/rec/ctltake.wav" ]
out=$($ctl send /no/such/path 2>"$T/err")
rc=$?
jmx_check "send to a bad path: rc $rc" [ $rc -eq 1 ]
jmx_check "send to a bad path: stderr '$(cat "$T/err")'" [ "$(cat "$T/err")" = "/error /no/such/path unknown address" ]
jmx_check "send to a bad path: stdout '$out'" [ -z "$out" ]
out=$($ctl send /ch/7/mute 1)
jmx_check "send a set: rc $?, '$out'" [ $? -eq 0 ] && [ -z "$out" ]
out=$($ctl get /ch/7/mute)
jmx_check "the set sent took: '$out'" [ "$out" = "/ch/7/mute 1" ]
$ctl send /ch/7/mute 0 >/dev/null
out=$($ctl send /ping)
jmx_check "send /ping: '$out'" [ "$out" = "/pong" ]
err=$($ctl set /record/stop 2>&1 >/dev/null)
rc=$?
jmx_check "set without a value: rc $rc, '$err'" [ $rc -eq 2 ] && jmx_check "set without a value: '$err'" eval 'printf "%s\n" "$err" | grep -q "send /record/stop"'

# ---- get, set, bundle, ping, info, stats, watch ----
out=$($ctl set /ch/3/fader/db -6)
jmx_check "set: '$out'" [ "$out" = "/ch/3/fader/db -6" ]
out=$($ctl set /ch/2/name "s:Lead vocal")
jmx_check "set name: '$out'" [ "$out" = "/ch/2/name Lead vocal" ]
out=$($ctl bundle /ch/4/mute 1 , /ch/5/solo 1)
jmx_check "bundle: '$out'" [ "$out" = "2 messages applied together" ]
out=$($ctl get /ch/3/fader/db)
jmx_check "get: '$out'" [ "$out" = "/ch/3/fader/db -6" ]
out=$($ctl ping)
jmx_check "ping: '$out'" [ "$out" = "/pong" ]
out=$($ctl info)
jmx_check "info: '$out'" eval 'printf "%s\n" "$out" | grep -q "^/info $name [0-9.]* 8 2 48000 128 $port$"'
out=$($ctl stats)
jmx_check "stats: '$out'" eval 'printf "%s\n" "$out" | grep -q "^/stats [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]*$"'
out=$($ctl -n 1 watch /ch/4/mute)
jmx_check "watch: '$out'" [ "$(printf '%s\n' "$out" | head -n 1)" = "/ch/4/mute 1" ]

# ---- status ----
sleep 0.3
COLUMNS=100 $ctl status >"$T/status" 2>"$T/err"
rc=$?
jmx_check "status: rc $rc, $(cat "$T/err")" [ $rc -eq 0 ]
sed 's/^/    /' "$T/status" >&2
rows=$(grep -c '^ *[0-9][0-9]* .*|.*|' "$T/status")
# 8 channels + 2 buses (the numbered rows)
jmx_check "status: $rows numbered rows, want 10" [ "$rows" -eq 10 ]
row() { grep "^ *$1 " "$T/status" | sed -n "${2:-1}p"; }
jmx_check "status: channel 3's fader: '$(row 3)'" eval 'row 3 | grep -q "^  3  *-6\.0 - - |"'
jmx_check "status: channel 2's name: '$(row 2)'" eval 'row 2 | grep -q "^  2 Lead vocal  *0\.0 - - |"'
jmx_check "status: channel 4 muted: '$(row 4)'" eval 'row 4 | grep -q " 0\.0 M - |"'
jmx_check "status: channel 5 soloed: '$(row 5)'" eval 'row 5 | grep -q " 0\.0 - S |"'
jmx_check "status: recorder: '$(grep ^recorder "$T/status")'" grep -q '^recorder  stopped  next take wav/24  last ctltake.wav$' "$T/status"
jmx_check "status: loudness line" grep -q '^loudness  M -*[0-9.]*  S .* LUFS  LRA .* LU  TP .* dBTP$' "$T/status"
# peaks: the tone's -12 dBFS on channel 1, -12 - 3.01 on the master; the
# bar over 100 - 49 = 51 cells holds round((peak + 60) / 60 * 51)
bar_check() { # bar_check WHAT LINE WANT_DB
	echo "$2" | awk -v want="$3" -v what="$1" -F'|' '{
		n = split($3, f, " "); peak = f[1] + 0
		cells = length($2); fill = gsub(/#/, "", $2)
		expect = int((peak + 60) / 60 * cells + 0.5)
		if (cells != 51 || fill != expect || peak < want - 0.15 || peak > want + 0.15) {
			printf "%s: peak %s (want %.2f), bar %d of %d cells (want %d)\n", what, f[1], want, fill, cells, expect
			exit 1
		}
	}'
}
jmx_check "status: channel 1's meter" bar_check "channel 1" "$(row 1)" -12
jmx_check "status: the master's meter" bar_check master "$(grep '^ *master ' "$T/status")" -15.01
jmx_check "status: channel 2 silent: '$(row 2)'" eval 'row 2 | grep -q "|-*|   -inf "'
COLUMNS=60 $ctl status >"$T/status60"
w=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/status60")
jmx_check "status at 60 columns: a line of $w" [ "$w" -le 60 ] && [ "$w" -ge 50 ]

# ---- dump ----
$ctl dump --changed --units | sort >"$T/changed"
printf '%s\n' "/ch/2/name Lead vocal" "/ch/3/fader/db -6" "/ch/4/mute 1" "/ch/5/solo 1" | sort >"$T/want"
jmx_check "dump --changed --units: $(tr '\n' ';' <"$T/changed")" cmp -s "$T/changed" "$T/want"
$ctl dump --changed /ch/3 | sort >"$T/changed3"
# without --units, every form of the changed instance (-6 dB is 0.6 on
# the X32 fader law)
printf '%s\n' "/ch/3/fader 0.6" "/ch/3/fader/db -6" "/ch/3/fader/text -6.0 dB" | sort >"$T/want3"
jmx_check "dump --changed /ch/3: $(tr '\n' ';' <"$T/changed3")" cmp -s "$T/changed3" "$T/want3"
../src/jackmixd --dump-osc >"$T/osc.txt" || jmx_die "--dump-osc"
# instances of each parameter: <n> 8 channels, <a> 2 buses, <b> 4 bands,
# <d> 8 DCA groups, <g> 6 mute groups; meters are not dumped, except the
# effective faders, which are values (sent as feedback when they change)
want=$(awk -F'\t' '/^# helper/ { exit } /^#/ { next } $3 != "meter" || $1 ~ /effective/ {
	n = 1; if ($1 ~ /<n>/) n *= 8; if ($1 ~ /<a>/) n *= 2; if ($1 ~ /<b>/) n *= 4
	if ($1 ~ /<d>/) n *= 8; if ($1 ~ /<g>/) n *= 6; t += n } END { print t }' "$T/osc.txt")
$ctl dump --units >"$T/units"
got=$(wc -l <"$T/units")
uniq=$(cut -d' ' -f1 "$T/units" | sort -u | wc -l)
jmx_check "dump --units: $got lines, $uniq paths, $want instances" [ "$got" -eq "$want" ] && [ "$uniq" -eq "$want" ]
jmx_check "dump --units: a normalised or text form" eval '! grep -Eq "^(/ch/[0-9]+/fader|[^ ]*/text|[^ ]*/norm) " "$T/units"'
all=$($ctl dump | wc -l)
jmx_check "dump: $all lines, more than --units' $got" [ "$all" -gt "$got" ]
$ctl dump --bogus >/dev/null 2>&1
jmx_check "dump --bogus: rc $?" [ $? -eq 2 ]

# ---- meters ----
$ctl -n 6 meters /master/meter >"$T/meters"
jmx_check "meters into a pipe: lines" [ "$(grep -c '^/master/meter' "$T/meters")" -ge 6 ]
jmx_check "meters into a pipe: no escape sequence" eval '! grep -q "$(printf "\033")" "$T/meters"'
if jmx_have script; then
	script -qc "stty cols 90 rows 40; $ctl -n 4 meters" /dev/null >"$T/tty" 2>&1 </dev/null
	# title, ch header, 8 rows, bus header, 2 rows, master header and
	# row, loudness, recorder: 17 lines a frame, 3 redraws over them
	ups=$(grep -ao "$(printf '\033')\[[0-9]*A" "$T/tty" | tr -d '\033[A' | tr '\n' ' ')
	jmx_check "meters on a terminal: cursor up by '$ups'" [ "$ups" = "17 17 17 " ]
	jmx_check "meters on a terminal: frames" [ "$(grep -ac "^ *master " "$T/tty")" -eq 4 ]
	jmx_check "meters on a terminal: channel 1 row" grep -aq "^  1  *0\.0 - - |###" "$T/tty"
	jmx_check "meters on a terminal: cursor given back" grep -aq "$(printf '\033')\[?25h" "$T/tty"
else
	jmx_note "script(1) missing: the terminal table is not checked here (test_ctl_view renders it)"
fi

jmx_stop_pid "$JMX_DAEMON_PID" 5
[ $fail -eq 0 ] || jmx_die "see above"
exit 0
