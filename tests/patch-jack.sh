#!/bin/sh
# patch-jack.sh - remote patching over OSC on a private jackd (issue 13,
# item 7):
#   - a connection another program made is remembered (listed "other",
#     saved) while its peer is there: a player that connects itself
#     (jmx_tone -C, as sndfile-jackplay does) is saved while it runs and
#     forgotten when it exits, so the next start logs no "player:out_1 is
#     not there (yet)"; a jack_connect by hand to a long-lived client is
#     saved and made again at the next start; a self-connecting client
#     kept with /jack/keep stays (pending, saved) when it exits and is
#     connected again when it returns;
#   - /jack/ports lists every port jack_lsp lists, with direction, type
#     and whether it is ours; a pattern narrows it;
#   - /jack/connect and /jack/disconnect of our port and a peer: jack_lsp -c
#     shows the change, /jack/connections says "wanted", the state file
#     holds it (and no longer after the disconnect);
#   - a bad name, two foreign ports, two of ours, a wrong direction, a
#     MIDI port to an audio port: /error, and jack_lsp -c shows nothing
#     changed;
#   - /jack/keep makes a connection made with jack_connect "wanted";
#   - with the server away every command answers "JACK is not running".
# Skips (77) only when jackd, jack_lsp or jack_connect is missing.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp jack_connect
jmx_setup
jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-patch-$$"
state=$T/console.state
osc() { ./jmx_osc -t 3000 "$port" "$@"; }
list() { ./jmx_osc -t 3000 -u "$1/done" "$port" "$@"; }
graph() { jack_lsp -c 2>/dev/null; }
fail=0

start_daemon() { # start_daemon LOG [extra options]
	jmx_daemon_start "$1" -n "$name" -c 2 -b 1 -p "$port" --feedback-port 0 -s "$state" \
		--snapshot-dir "$T/scenes"
	daemon=$JMX_DAEMON_PID
	jmx_wait_ports "$name" 8 10 || { jmx_show daemon "$1"; jmx_fail "daemon ports missing"; }
	jmx_daemon_wait "$port" || { jmx_show daemon "$1"; jmx_fail "daemon does not answer OSC"; }
}

./jmx_tone -n tone -c 2 >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports tone 4 10 || jmx_fail "tone client missing"
start_daemon "$T/d1.log"

# ---- 1: what is remembered of connections made outside jackmixd ----
# a player that connects itself: remembered while it is there, forgotten
# when it exits (the server staying)
./jmx_tone -n player -c 1 -C "^$name:in_2\$" >"$T/player.log" 2>&1 &
player=$!
jmx_track $player
jmx_check "the player connected itself" jmx_connected "$name:in_2" player:out_1 5
sleep 0.3 # a look at the graph (every 100 ms)
out=$(list /jack/connections s in_2)
jmx_check "the player's own connection is 'other'" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/connections player:out_1 $name:in_2 other"'
osc /state/save >/dev/null || jmx_fail "/state/save"
jmx_check "saved while the player is there" grep -qx '/jack/connect "in_2" "player:out_1"' "$state"
jmx_stop_pid $player 5
sleep 0.5 # two looks: the disconnection, then the ports gone
osc /state/save >/dev/null
jmx_check "forgotten when the player exits" eval '! grep -q "player:" "$state"'
out=$(list /jack/connections s in_2)
jmx_check "nor listed as pending" eval '! printf "%s\n" "$out" | grep -q player:'
# a patchbay connection to a long-lived client (jack_connect by hand):
# saved without being asked to
jack_connect tone:out_1 "$name:in_1" || jmx_fail "jack_connect"
sleep 0.3
out=$(list /jack/connections s in_1)
jmx_check "a hand-made connection is 'other'" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/connections tone:out_1 $name:in_1 other"'
osc /state/save >/dev/null
jmx_check "a hand-made connection is saved" grep -qx '/jack/connect "in_1" "tone:out_1"' "$state"
# a client that connects itself, kept with /jack/keep: kept when it exits
./jmx_tone -n keeper -c 1 -C "^$name:in_2\$" >"$T/keeper.log" 2>&1 &
keeper=$!
jmx_track $keeper
jmx_check "the keeper connected itself" jmx_connected "$name:in_2" keeper:out_1 5
r=$(osc /jack/keep s in_2)
jmx_check "/jack/keep in_2 keeps one ($r)" [ "$r" = "/jack/keep 1" ]
jmx_stop_pid $keeper 5
sleep 0.5
osc /state/save >/dev/null
jmx_check "a kept connection stays when its client exits" \
	grep -qx '/jack/connect "in_2" "keeper:out_1"' "$state"
out=$(list /jack/connections s in_2)
jmx_check "... listed as pending" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/connections keeper:out_1 $name:in_2 pending"'
jmx_stop_pid $daemon 5
jmx_check "the player is not saved at shutdown either" eval '! grep -q "player:" "$state"'
start_daemon "$T/d2.log"
jmx_check "no 'player:out_1 is not there (yet)' at the next start" \
	eval '! grep -q "player:out_1 is not there" "$T/d2.log"'
jmx_check "but 'keeper:out_1 is not there (yet)' (kept)" grep -q "keeper:out_1 is not there (yet)" "$T/d2.log"
jmx_check "the hand-made connection is made again at the next start" \
	jmx_connected "$name:in_1" tone:out_1
./jmx_tone -n keeper -c 1 >"$T/keeper.log" 2>&1 &
keeper=$!
jmx_track $keeper
jmx_check "the kept connection is made again when its client returns" \
	jmx_connected "$name:in_2" keeper:out_1 5
jmx_stop_pid $keeper 5
# back to no connections for what follows
r=$(osc /jack/disconnect ss keeper:out_1 in_2)
jmx_check "/jack/disconnect forgets a pending one ($r)" [ "$r" = "/jack/disconnect keeper:out_1 in_2" ]
osc /jack/disconnect ss tone:out_1 in_1 >/dev/null
sleep 0.3
osc /state/save >/dev/null
jmx_check "no connection saved" eval '! grep -q "^/jack/connect " "$state"'

# ---- 2: /jack/ports ----
out=$(list /jack/ports) || jmx_fail "/jack/ports: $out"
n_lsp=$(jack_lsp 2>/dev/null | wc -l)
n_osc=$(printf '%s\n' "$out" | grep -c '^/jack/ports ')
jmx_check "/jack/ports lists every port jack_lsp does ($n_osc vs $n_lsp)" [ "$n_osc" -eq "$n_lsp" ]
jmx_check "our in_1: an audio input of ours" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/ports $name:in_1 in audio 1"'
jmx_check "tone:out_1: a foreign audio output" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/ports tone:out_1 out audio 0"'
jmx_check "our midi_in: a MIDI input" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/ports $name:midi_in in midi 1"'
out=$(list /jack/ports s 'tone:*') || jmx_fail "/jack/ports tone:*"
jmx_check "a pattern: tone's 4 ports" [ "$(printf '%s\n' "$out" | grep -c '^/jack/ports tone:')" -eq 4 ]
jmx_check "a pattern: nothing else" [ "$(printf '%s\n' "$out" | grep -c '^/jack/ports ')" -eq 4 ]

# ---- 3: connect and disconnect ----
before=$(graph)
r=$(osc /jack/connect ss tone:out_1 in_1)
jmx_check "/jack/connect replies ($r)" [ "$r" = "/jack/connect tone:out_1 in_1" ]
jmx_check "jack_lsp -c shows tone:out_1 -> in_1" jmx_connected "$name:in_1" tone:out_1
r=$(osc /jack/connect ss "$name:master_L" tone:in_L)
jmx_check "/jack/connect of an output of ours ($r)" [ "$r" = "/jack/connect $name:master_L tone:in_L" ]
jmx_check "jack_lsp -c shows master_L -> tone:in_L" jmx_connected "$name:master_L" tone:in_L
out=$(list /jack/connections s in_1)
jmx_check "/jack/connections in_1: wanted" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/connections tone:out_1 $name:in_1 wanted"'
jmx_check "/jack/connections in_1: one" eval 'printf "%s\n" "$out" | grep -qx "/jack/connections/done 1"'
osc /state/save >/dev/null
jmx_check "saved: in_1 <- tone:out_1" grep -qx '/jack/connect "in_1" "tone:out_1"' "$state"
jmx_check "saved: master_L -> tone:in_L" grep -qx '/jack/connect "master_L" "tone:in_L"' "$state"

# ---- 4: bad requests change nothing ----
during=$(graph)
bad() { # bad WHAT FROM TO
	r=$(osc /jack/connect ss "$2" "$3")
	case $r in /error*) ;; *) jmx_bad "$1: no /error ($r)" ;; esac
	jmx_note "$1: $r"
}
bad "a port that does not exist" nosuch:port in_1
bad "our port that does not exist" tone:out_1 in_9
bad "two foreign ports" tone:out_2 tone:in_R
bad "two ports of ours" master_R in_2
bad "an input as from" in_2 tone:out_2
bad "an output as to" tone:out_2 master_R
bad "MIDI to audio" midi_out tone:in_R
r=$(osc /jack/connect s in_1)
case $r in /error*) ;; *) jmx_bad "one argument: no /error ($r)" ;; esac
r=$(osc /jack/disconnect ss tone:out_2 in_2)
case $r in /error*) ;; *) jmx_bad "disconnecting what is not connected: no /error ($r)" ;; esac
sleep 0.3
jmx_check "the bad requests changed no connection" [ "$(graph)" = "$during" ]
osc /state/save >/dev/null
jmx_check "nor the state file" [ "$(grep -c '^/jack/connect ' "$state")" -eq 2 ]

r=$(osc /jack/disconnect ss tone:out_1 in_1)
jmx_check "/jack/disconnect replies ($r)" [ "$r" = "/jack/disconnect tone:out_1 in_1" ]
jmx_check "jack_lsp -c: in_1 no longer connected" eval '! jmx_connected "$name:in_1" tone:out_1 1'
osc /state/save >/dev/null
jmx_check "the disconnected pair is forgotten" eval '! grep -q "\"in_1\" \"tone:out_1\"" "$state"'
osc /jack/disconnect ss "$name:master_L" tone:in_L >/dev/null
sleep 0.3
jmx_check "back to the graph before" [ "$(graph)" = "$before" ]

# ---- 5: /jack/keep makes a connection made by hand wanted ----
jack_connect tone:out_2 "$name:in_2" || jmx_fail "jack_connect"
out=$(list /jack/connections s in_2)
jmx_check "a hand-made connection is 'other'" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/connections tone:out_2 $name:in_2 other"'
r=$(osc /jack/keep s in_2)
jmx_check "/jack/keep in_2 keeps one ($r)" [ "$r" = "/jack/keep 1" ]
out=$(list /jack/connections s in_2)
jmx_check "kept: 'wanted'" \
	eval 'printf "%s\n" "$out" | grep -qx "/jack/connections tone:out_2 $name:in_2 wanted"'
r=$(osc /jack/keep s in_2)
jmx_check "/jack/keep again keeps none ($r)" [ "$r" = "/jack/keep 0" ]
osc /state/save >/dev/null
jmx_check "kept: saved" grep -qx '/jack/connect "in_2" "tone:out_2"' "$state"

# ---- 6: the server away ----
jmx_jack_kill || jmx_fail "jackd does not stop"
sleep 0.5
for p in /jack/ports /jack/connections; do
	r=$(osc $p)
	jmx_check "$p without JACK ($r)" [ "$r" = "/error $p JACK is not running" ]
done
r=$(osc /jack/connect ss tone:out_1 in_1)
jmx_check "/jack/connect without JACK ($r)" [ "$r" = "/error /jack/connect JACK is not running" ]
jmx_stop_pid $daemon 5
if [ $fail -ne 0 ]; then
	for f in "$T"/d*.log; do jmx_show daemon "$f" 30; done
	exit 1
fi
exit 0
