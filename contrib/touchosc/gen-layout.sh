#!/bin/sh
# gen-layout.sh - writes the TouchOSC (Mk1 layout format, also opened by
# TouchOSC Mk2) layout for jackmixd with its default console (8 channels,
# 2 aux buses) to stdout as index.xml.  A .touchosc file is that XML
# zipped:
#
#   contrib/touchosc/gen-layout.sh >contrib/touchosc/index.xml
#   (cd contrib/touchosc && rm -f jackmixd.touchosc && zip -X -q jackmixd.touchosc index.xml)
#
# In the format, names, texts and OSC addresses are base64.  Faders send
# normalised 0..1 on the daemon's normalised addresses, so the defaults of
# both sides work together: the surface sends to port 8000, and the daemon
# auto-registers it and sends feedback to its port 9000.
set -eu
CH=8
BUS=2
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
n=0 # control counter for unique names (not in a subshell: $(...) would lose it)

# control TYPE X Y W H COLOR OSC [EXTRA]
control() {
	n=$((n + 1))
	printf '<control name="%s" x="%s" y="%s" w="%s" h="%s" color="%s" osc_cs="%s" type="%s" %s></control>\n' \
		"$(b64 "$1$n")" "$2" "$3" "$4" "$5" "$6" "$(b64 "$7")" "$1" "${8:-}"
}
fader() { control faderv "$1" "$2" "$3" "$4" "$5" "$6" 'scalef="0.0" scalet="1.0" response="absolute" inverted="false" centered="false"'; }
meter() { control faderv "$1" "$2" "$3" "$4" "$5" "$6" "scalef=\"${7:-0.0}\" scalet=\"${8:-1.0}\" response=\"absolute\" inverted=\"${9:-false}\" centered=\"false\""; }
rotary() { control rotaryv "$1" "$2" "$3" "$4" "$5" "$6" "scalef=\"0.0\" scalet=\"1.0\" response=\"absolute\" inverted=\"false\" centered=\"${7:-false}\" norollover=\"true\""; }
toggle() { control toggle "$1" "$2" "$3" "$4" "$5" "$6" 'scalef="0.0" scalet="1.0" local_off="false"'; }
# label X Y W H COLOR OSC|- TEXT SIZE
label() {
	n=$((n + 1))
	osc=
	[ "$6" = - ] || osc=" osc_cs=\"$(b64 "$6")\""
	printf '<control name="%s" x="%s" y="%s" w="%s" h="%s" color="%s"%s type="labelh" text="%s" size="%s" background="true" outline="false"></control>\n' \
		"$(b64 "label$n")" "$1" "$2" "$3" "$4" "$5" "$osc" "$(b64 "$7")" "${8:-12}"
}
page() { printf '<tabpage name="%s" scalef="0.0" scalet="1.0" li_t="" li_c="gray" li_s="14" li_o="false" li_b="false" la_t="%s" la_c="gray" la_s="14" la_o="false" la_b="false">\n' "$(b64 "$1")" "$(b64 "$1")"; }
endpage() { printf '</tabpage>\n'; }

# iPad portrait, 768 x 1024
printf '<?xml version="1.0" encoding="UTF-8"?>\n'
printf '<layout version="17" mode="1" orientation="vertical">\n'

# Page 1: channel faders, mute, solo, pan, meters; master strip
page Mix
i=1
while [ $i -le $CH ]; do
	x=$((8 + (i - 1) * 80))
	label $x 8 72 28 gray "/ch/$i/name" "Ch $i" 12
	rotary $((x + 8)) 44 56 56 yellow "/ch/$i/pan" true
	toggle $x 110 72 44 orange "/ch/$i/solo"
	label $x 110 72 16 gray - "SOLO" 10
	toggle $x 160 72 44 red "/ch/$i/mute"
	label $x 160 72 16 gray - "MUTE" 10
	fader $x 212 52 700 green "/ch/$i/fader"
	meter $((x + 56)) 212 14 700 blue "/ch/$i/meter/norm"
	label $x 920 72 28 gray "/ch/$i/fader/text" "-" 11
	i=$((i + 1))
done
label 648 8 112 28 gray - "Master" 12
toggle 648 160 112 44 red "/master/mute"
label 648 160 112 16 gray - "MUTE" 10
fader 648 212 80 700 red "/master/fader"
meter 732 212 26 700 blue "/master/meter/norm"
label 648 920 112 28 gray "/master/fader/text" "-" 11
toggle 648 970 112 44 purple "/meters"
label 648 970 112 16 gray - "METERS" 10
endpage

# Page 2: sends (knobs per channel and bus), bus masters
page Sends
a=1
while [ $a -le $BUS ]; do
	y=$((8 + (a - 1) * 240))
	i=1
	while [ $i -le $CH ]; do
		x=$((8 + (i - 1) * 80))
		label $x $y 72 20 gray - "$i>$a" 10
		rotary $((x + 4)) $((y + 24)) 64 64 yellow "/ch/$i/send/$a/level"
		label $x $((y + 92)) 72 22 gray "/ch/$i/send/$a/level/text" "-" 10
		toggle $x $((y + 120)) 72 36 orange "/ch/$i/send/$a/pre"
		label $x $((y + 120)) 72 14 gray - "PRE" 9
		i=$((i + 1))
	done
	a=$((a + 1))
done
a=1
while [ $a -le $BUS ]; do
	x=$((8 + (a - 1) * 190))
	label $x 500 150 28 gray "/bus/$a/name" "Bus $a" 12
	toggle $x 534 150 44 red "/bus/$a/mute"
	label $x 534 150 16 gray - "MUTE" 10
	fader $x 584 120 380 green "/bus/$a/fader"
	meter $((x + 126)) 584 24 380 blue "/bus/$a/meter/norm"
	label $x 970 150 28 gray "/bus/$a/fader/text" "-" 11
	a=$((a + 1))
done
endpage

# Page 3: master chain: limiter, glue compressor, width, monitor
page Master
label 8 8 360 28 gray - "Limiter" 14
toggle 8 44 110 50 green "/master/limiter/on"
label 8 44 110 16 gray - "ON" 10
rotary 130 44 100 100 yellow "/master/limiter/ceiling"
label 130 148 100 20 gray - "Ceiling" 10
rotary 250 44 100 100 yellow "/master/limiter/release"
label 250 148 100 20 gray - "Release" 10
meter 370 44 40 400 orange "/master/limiter/gr" 0.0 20.0 true
label 360 450 60 20 gray - "GR" 10
label 8 200 340 28 gray - "Glue compressor" 14
toggle 8 236 110 50 green "/master/comp/on"
label 8 236 110 16 gray - "ON" 10
rotary 130 236 100 100 yellow "/master/comp/thr"
label 130 340 100 20 gray - "Threshold" 10
rotary 250 236 100 100 yellow "/master/comp/ratio/norm"
label 250 340 100 20 gray - "Ratio" 10
meter 430 44 40 400 orange "/master/comp/gr" 0.0 20.0 true
label 420 450 60 20 gray - "Comp" 10
rotary 130 380 100 100 purple "/master/width/norm" true
label 130 484 100 20 gray - "Width" 10
label 500 8 260 28 gray - "Master" 14
fader 500 44 120 700 red "/master/fader"
meter 630 44 40 700 blue "/master/meter/norm"
label 500 750 170 28 gray "/master/fader/text" "-" 12
toggle 500 790 170 50 red "/master/mute"
label 500 790 170 16 gray - "MUTE" 10
label 8 560 340 28 gray - "Monitor" 14
fader 8 600 100 360 gray "/mon/fader"
label 8 966 100 28 gray "/mon/fader/text" "-" 11
toggle 130 600 110 50 orange "/mon/afl"
label 130 600 110 16 gray - "AFL" 10
endpage
printf '</layout>\n'
