#!/bin/sh
# state-files.sh - the state file and scenes of the running daemon on a
# private jackd, over real OSC:
#   - round trip: every parameter kind (float in units and normalised, bool,
#     enum by name, name string) set to a non-default value, saved as a
#     scene, changed, recalled: /dump identical, and the same level at the
#     master outputs; restart with -s: /dump identical again;
#   - autosave: not before 2 s after the last change, then on its own; and
#     on SIGTERM;
#   - JACK connections: restored at restart (--connect-* ones saved too), a
#     peer that registers later is connected when it appears, one that goes
#     away and comes back is connected again;
#   - hostile scene names and a symlink planted in the scene directory:
#     /error, and no file outside the directory created or changed;
#   - a damaged state file at start-up is set aside, never overwritten.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp jack_connect
jmx_setup
JMX_RATE=48000 JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-state-$$"
state=$T/console.state
snaps=$T/scenes
osc() { ./jmx_osc -t 2000 "$port" "$@"; }
set_() { ./jmx_osc -t 0 "$port" "$@"; }
# every value, sorted; a dump that lost a datagram (jmx_osc exits 3: fewer
# messages than /dump/done counts) is asked for again
dump() {
	for dump_try in 1 2 3; do
		dump_out=$(./jmx_osc -t 5000 -u /dump/done "$port" /dump) && break
		jmx_note "dump $dump_try incomplete or late: again"
	done
	printf '%s\n' "$dump_out" | grep -v -e '^/dump/done' -e '/meter' -e '/gr ' | sort
}
fail=0

start_daemon() { # start_daemon LOG [extra options]
	dlog=$1
	shift
	jmx_daemon_start "$dlog" -n "$name" -c 3 --stereo-channels 1 -b 2 -p "$port" --feedback-port 0 -s "$state" \
		--snapshot-dir "$snaps" "$@"
	daemon=$JMX_DAEMON_PID
	jmx_wait_ports "$name" 13 10 || { jmx_show daemon "$dlog"; jmx_fail "daemon ports missing"; }
	jmx_daemon_wait "$port" || { jmx_show daemon "$dlog"; jmx_fail "daemon does not answer OSC"; }
}

# a tone into in_1 and a meter on master_L/R
./jmx_tone -n tone -c 1 -f 997 -a -12 -m "$T/meter" >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports tone 3 10 || jmx_fail "tone client missing"
meter() { # peak dBFS of a 100 ms window after 1.2 s of settling: the
	# median of three windows, so one xrun of a busy machine (a jump in
	# the tone, a transient through the EQ) does not decide the result
	sleep 1.2
	for m_i in 1 2 3; do
		sed -n 's/^peak_dbfs=\([-0-9.]*\).*/\1/p' "$T/meter"
		sleep 0.25
	done | sort -n | sed -n 2p
}

# ---- 1: start without a state file, connect, set every kind ----
start_daemon "$T/d1.log" -i 'tone:out_*' -o 'tone:in_*'
# (the connections made by -i/-o are a change, autosaved 2 s later: a
# start slowed by a loaded machine may already have saved them)
jmx_check "started from defaults" grep -q "console.state does not exist yet: starting from defaults" "$T/d1.log"
set_ /ch/1/fader/db f -6.5
set_ /ch/1/pan f 0.25
set_ /ch/1/eq/on i 1
set_ /ch/1/eq/2/db f 4.5
set_ /ch/1/eq/2/hz/norm f 0.5
set_ /ch/1/eq/1/type s peak
set_ /ch/1/dyn/on T
set_ /ch/1/dyn/ratio f 4
set_ /ch/1/send/2/level/db f -3
set_ /ch/1/send/2/pre i 1
set_ /ch/4/pan f 0.7
set_ /ch/2/name s 'Snare "top" \ü'
set_ /bus/2/name s 'Mon 2'
set_ /master/width f 1.5
set_ /master/eq/3/type s lshelf
set_ /master/limiter/ceiling/db f -3
set_ /mon/afl i 1
set_ /ch/3/solo i 1
sleep 0.3
level_a=$(meter)
dump >"$T/dump.a"
jmx_check "dump has every instance ($(wc -l <"$T/dump.a") lines)" [ "$(wc -l <"$T/dump.a")" -gt 300 ]
jmx_check "the name went in" grep -qx '/ch/2/name Snare "top" \\ü' "$T/dump.a"
out=$(osc /snapshot/save s scene-A)
jmx_check "scene saved: '$out'" [ "$out" = "/snapshot/save scene-A" ]

# ---- 2: change everything we set, recall, compare ----
set_ /ch/1/fader/db f -30
set_ /ch/1/pan f 0.9
set_ /ch/1/eq/on i 0
set_ /ch/1/eq/2/db f -8
set_ /ch/1/eq/1/type s hshelf
set_ /ch/2/name s 'other'
set_ /master/width f 0.2
set_ /mon/afl i 0
set_ /ch/3/solo i 0
sleep 0.3
level_b=$(meter)
jmx_check "the change is audible ($level_a vs $level_b dBFS)" \
	awk -v a="$level_a" -v b="$level_b" 'BEGIN { exit !(a - b > 10) }'
touch "$T/recall-mark"
out=$(osc /snapshot/load s scene-A)
jmx_check "scene recalled: '$out'" [ "$out" = "/snapshot/load scene-A" ]
dump >"$T/dump.b"
jmx_check "recalled state equals the saved one" cmp -s "$T/dump.a" "$T/dump.b"
level_c=$(meter)
jmx_check "same output level after recall ($level_a vs $level_c dBFS)" \
	awk -v a="$level_a" -v c="$level_c" 'BEGIN { d = a - c; exit !(d < 0.05 && d > -0.05) }'

# ---- 3: autosave debounce ----
# The recall above is itself a change: its autosave must be out of the
# way first, or it could land after the rm and look like an early save.
n=0
until [ -n "$(find "$state" -newer "$T/recall-mark" 2>/dev/null)" ]; do
	n=$((n + 1))
	[ $n -lt 100 ] || break
	sleep 0.1
done
jmx_check "the recall was autosaved" [ -n "$(find "$state" -newer "$T/recall-mark" 2>/dev/null)" ]
rm -f "$state"
t_set=$(date +%s%N)
set_ /ch/2/trim/db f 3
# poll for the file: the time it is seen is at or after the save, and the
# save comes SESSION_AUTOSAVE_MS (2000) after the daemon saw the change,
# which is after t_set; the daemon's clock is read in whole ms (-1 ms).
# A late save (a loaded machine) is fine up to 10 s.
n=0
until [ -e "$state" ] || [ $n -ge 200 ]; do
	n=$((n + 1))
	sleep 0.05
done
t_seen=$(date +%s%N)
save_ms=$(((t_seen - t_set) / 1000000))
jmx_note "autosave seen $save_ms ms after the change"
jmx_check "autosaved after the last change" [ -f "$state" ]
jmx_check "no autosave sooner than 2 s after a change (seen after $save_ms ms)" [ $save_ms -ge 1999 ]
jmx_check "autosaved file parses" ./jmx_statecheck -c 4 -b 2 "$state"
set_ /ch/2/trim/db f 0
dump >"$T/dump.a"
jmx_check "the --connect-* connections are saved" grep -q '^/jack/connect "in_1" "tone:out_1"$' "$state"
jmx_stop_pid $daemon 5
jmx_check "exit 0 on SIGTERM" [ $? -eq 0 ]
jmx_check "saved at shutdown" grep -qx '/ch/2/trim/db 0' "$state"
jmx_check "no temporary files" [ -z "$(ls -A "$T" "$snaps" | grep '\.tmp\.')" ]

# ---- 4: restart: values and connections come back ----
jack_disconnect tone:out_1 "$name:in_1" 2>/dev/null
start_daemon "$T/d2.log"
dump >"$T/dump.b"
jmx_check "restart restores every value" cmp -s "$T/dump.a" "$T/dump.b"
cmp -s "$T/dump.a" "$T/dump.b" || diff "$T/dump.a" "$T/dump.b" | head -n 20 >&2
jmx_check "restart restores in_1 <- tone:out_1" jmx_connected "$name:in_1" tone:out_1
jmx_check "restart restores master_L -> tone:in_L" jmx_connected "$name:master_L" tone:in_L
level_d=$(meter)
jmx_check "same output level after restart ($level_a vs $level_d dBFS)" \
	awk -v a="$level_a" -v d="$level_d" 'BEGIN { x = a - d; exit !(x < 0.05 && x > -0.05) }'

# ---- 5: peers that register late, go away and come back ----
jack_connect "$name:bus_1_L" tone:in_R || jmx_fail "jack_connect"
osc /state/save >/dev/null
jmx_check "a manual connection is saved" grep -q '^/jack/connect "bus_1_L" "tone:in_R"$' "$state"
jmx_stop_pid $daemon 5
# add two connections to a client that does not exist yet (hand-edited
# file: the checksum line becomes a bare "end")
sed -i -e '/^end crc32 /d' "$state"
printf '/jack/connect "in_2" "late:out_1"\n/jack/connect "mon_L" "late:in_L"\nend\n' >>"$state"
start_daemon "$T/d3.log"
jmx_check "pending peer logged" grep -q "late:out_1 is not there (yet)" "$T/d3.log"
./jmx_tone -n late -c 1 >"$T/late.log" 2>&1 &
late=$!
jmx_track $late
jmx_check "late peer connected when it appeared" jmx_connected "$name:in_2" late:out_1
jmx_check "late peer, other direction" jmx_connected "$name:mon_L" late:in_L
jmx_stop_pid $late 5
sleep 0.5
osc /state/save >/dev/null
jmx_check "a vanished peer stays in the state file" grep -q '^/jack/connect "in_2" "late:out_1"$' "$state"
./jmx_tone -n late -c 1 >"$T/late.log" 2>&1 &
late=$!
jmx_track $late
jmx_check "a returning peer is connected again" jmx_connected "$name:in_2" late:out_1
jack_disconnect late:out_1 "$name:in_2"
sleep 0.5
osc /state/save >/dev/null
jmx_check "a connection the user breaks is forgotten" eval '! grep -q "late:out_1" "$state"'
jmx_stop_pid $late 5

# ---- 6: hostile names, planted symlink ----
mkdir -p "$T/outside"
echo precious >"$T/outside/file"
ln -s "$T/outside/file" "$snaps/evil.scene"
ln -s "$T/outside" "$snaps/dir.scene"
# -A, not -a: the ".." of outside/ is $T, whose time changes whenever
# the autosave replaces console.state there, which it may do meanwhile;
# the two directories themselves are listed with -d
listing() {
	ls -ld --time-style=full-iso "$T/outside" "$snaps"
	ls -lAR --time-style=full-iso "$T/outside" "$snaps"
	cat "$T/outside/file"
}
before=$(listing)
for bad in "" "." ".." ".hidden" "../x" "../../outside/file" "/etc/passwd" "a/b" "a b" "$(printf 'a\001b')" \
	"$(printf 'a\nb')" "x*" "01234567890123456789012345678901234567890123456789012345678901234"; do
	for cmd in save load delete; do
		out=$(osc /snapshot/$cmd s "$bad")
		jmx_check "/snapshot/$cmd '$bad' rejected: '$out'" eval 'case "$out" in "/error /snapshot/$cmd "*) true ;; *) false ;; esac'
	done
done
for cmd in save load delete; do
	out=$(osc /snapshot/$cmd s evil)
	jmx_check "/snapshot/$cmd through a symlink rejected: '$out'" eval 'case "$out" in "/error "*) true ;; *) false ;; esac'
done
out=$(osc /snapshot/save s dir)
jmx_check "save over a directory symlink rejected: '$out'" eval 'case "$out" in "/error "*) true ;; *) false ;; esac'
after=$(listing)
jmx_check "nothing outside the scene directory changed" [ "$before" = "$after" ]
[ "$before" = "$after" ] || printf '%s\n---- now ----\n%s\n' "$before" "$after" >&2
out=$(osc /snapshot/list)
jmx_check "list shows regular files only: '$out'" [ "$out" = "/snapshot/list scene-A" ]
out=$(osc /snapshot/load sf scene-A nan)
jmx_check "NaN fade rejected: '$out'" eval 'case "$out" in "/error "*) true ;; *) false ;; esac'
out=$(osc /snapshot/delete s scene-A)
jmx_check "delete: '$out'" [ "$out" = "/snapshot/delete scene-A" ]
out=$(osc /snapshot/list)
jmx_check "list after delete: '$out'" [ "$out" = "/snapshot/list" ]
jmx_stop_pid $daemon 5

# ---- 7: damaged state file at start-up ----
printf 'jackmixd-state 1\n/ch/1/fader/db -12\n/ch/1/mute 7\nend\n' >"$state"
cp "$state" "$T/damaged.copy"
start_daemon "$T/d4.log"
jmx_check "the damage is logged with file:line" grep -q "console.state:3: " "$T/d4.log"
aside=$(ls "$T" | grep '^console.state.corrupt-')
jmx_check "the damaged file is kept aside ('$aside')" cmp -s "$T/damaged.copy" "$T/$aside"
out=$(osc /ch/1/fader/db)
jmx_check "started from defaults: '$out'" [ "$out" = "/ch/1/fader/db 0" ]
jmx_stop_pid $daemon 5
jmx_check "the kept file is untouched" cmp -s "$T/damaged.copy" "$T/$aside"

if [ $fail -ne 0 ]; then
	for f in "$T"/d*.log; do jmx_show daemon "$f" 30; done
	exit 1
fi
exit 0
