#!/bin/sh
# web-live.sh - the web app in headless chromium under Selenium against a
# real daemon (--http) on a private jackd, values read back over UDP OSC
# (tests/web/live_test.py: faders dragged by mouse and finger on the X32
# law, UDP -> page within 200 ms, patching from the patchbay seen by
# jack_lsp -c, meters with and without a test tone, a musician's page
# refused another bus even by forged messages, recovery after a daemon
# restart), then phone, tablet and desktop screenshots of the live page
# in the same browser (tests/web/shoot.py).  The screenshots and the logs
# are copied to web-live.out/ in the build's tests directory (the log says
# where), or to $WEB_SHOTS.  Skips (77) only when chromium, chromedriver, Debian's
# python3-selenium or JACK is missing.
. "${srcdir:-.}/jack-env.sh"
top_srcdir=${top_srcdir:-..}
jmx_require jackd jack_lsp jack_connect chromium chromedriver
# Debian's python: a python3 earlier on PATH (pyenv) may lack selenium;
# -B: no __pycache__ written into the source tree
py=${JMX_PYTHON:-/usr/bin/python3}
"$py" -c 'import selenium' 2>/dev/null || { jmx_note "SKIP: no selenium for $py (python3-selenium)"; exit 77; }
jmx_built ../src/jackmixd ../src/jackmixctl ./jmx_tone
jmx_setup
JMX_RATE=48000 JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
hport=$(jmx_free_tcp_port) || jmx_fail "no free TCP port"
T=$JMX_TMP
name=webe2e
keys=$T/web-keys
fail=0
out=${WEB_SHOTS:-$(pwd)/web-live.out}
JMX_DIAG='jmx_show "daemon log" "$JMX_DAEMON_LOG" 40'

# The browser starts while the daemon and the tone do: live_test.py waits
# for $T/ready, which holds bus 1's musician key.  It asks for the
# daemon's restart by creating restart.req: this shell stops it and starts
# a fresh one (same ports and keys, no state), then creates restart.done.
# At the end it asks for the screenshots' stage with shots.req (names,
# faders, a tone on channels 1 and 2: stage below); shots.go when it is
# set (shots.none when there is no daemon), and the same browser takes
# them ({key} in a page is bus 1's key).
mkdir -p "$T/shots"
start=$(date +%s)
JACKMIXCTL=../src/jackmixctl "$py" -B "$top_srcdir/tests/web/live_test.py" \
	"http://127.0.0.1:$hport" "$port" $name "$T" "$T/shots" \
	phone:390x844:#mixer tablet:1180x820:#mixer desktop:1440x900:#mixer wide:1920x1080:#mixer \
	desktop-channel:1440x900:#ch/1 \
	phone-patch:390x844:#patch "phone-musician:390x844:&key={key}&bus=1" >"$T/live-test.log" 2>&1 &
npid=$!
jmx_track $npid

# the daemon: 8 channels, 2 buses, keys in $keys
daemon() {
	jmx_daemon_start -w "$1" XDG_STATE_HOME="$T/state" -n $name -c 8 -b 2 -p "$port" \
		--feedback-port 0 --http "$hport" --web-keys "$keys"
}
daemon "$T/d1.log" || jmx_die "the daemon did not start"
grep -q "web: open http://127.0.0.1:$hport/" "$T/d1.log" || jmx_die "no web surface on port $hport"
mus1=$(awk '$1 == "bus1" { print $2 }' "$keys")
[ ${#mus1} -eq 32 ] || jmx_die "no bus1 key in $keys"
# a -12 dBFS 1 kHz tone, not connected: the page's patchbay connects it
./jmx_tone -n tone -c 1 -f 1000 -a -12 >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports tone 1 10 || jmx_die "no tone ports"
echo "$mus1" >"$T/ready.tmp" && mv "$T/ready.tmp" "$T/ready"

stage() {
	ctl() { ../src/jackmixctl -p "$port" "$@" >/dev/null; }
	i=1
	for n in Kick Snare Bass Gtr Keys Vox; do
		ctl set /ch/$i/name $n
		i=$((i + 1))
	done
	ctl set /bus/1/name "Mon Drums"
	ctl set /bus/2/name "IEM Vox"
	ctl set /ch/2/fader/db -6
	ctl set /ch/3/fader/db -12
	ctl set /ch/2/pan 0.3
	ctl set /ch/3/mute 1
	jmx_connect tone:out_1 $name:in_1
	jmx_connect tone:out_1 $name:in_2
}
restarted=
staged=
while jmx_alive $npid; do
	if [ -e "$T/restart.req" ] && [ -z "$restarted" ]; then
		restarted=1
		jmx_stop_pid "$JMX_DAEMON_PID" 5 || jmx_bad "daemon 1 exit status $?"
		daemon "$T/d2.log" || jmx_bad "the daemon did not start again"
		touch "$T/restart.done"
	fi
	if [ -e "$T/shots.req" ] && [ -z "$staged" ]; then
		staged=1
		if [ -n "$restarted" ] && jmx_alive "$JMX_DAEMON_PID"; then
			stage
			touch "$T/shots.go"
		else
			jmx_bad "no daemon for the screenshots"
			touch "$T/shots.none"
		fi
	fi
	sleep 0.1
done
wait $npid || fail=1
jmx_untrack $npid
cat "$T/live-test.log"
[ -n "$staged" ] || jmx_bad "no screenshots were asked for"
end=$(date +%s)

mkdir -p "$out"
cp "$T"/*.log "$out/" 2>/dev/null
cp "$T"/shots/*.png "$out/" 2>/dev/null
jmx_note "logs and screenshots in $out ($((end - start)) s in the browser)"
[ $fail -eq 0 ] || { jmx_show "daemon log (after the restart)" "$T/d2.log" 30; exit 1; }
echo "web-live.sh: passed"
