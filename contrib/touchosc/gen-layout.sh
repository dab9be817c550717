#!/bin/sh
# gen-layout.sh - writes the TouchOSC layout for jackmixd with its default
# console (8 channels, 2 aux buses) to stdout as index.xml, in the Mk1
# layout format (TouchOSC Mk2 opens it too).  A .touchosc file is that
# XML zipped:
#
#   contrib/touchosc/gen-layout.sh >contrib/touchosc/index.xml
#   (cd contrib/touchosc && rm -f jackmixd.touchosc && zip -X -q jackmixd.touchosc index.xml)
#
# The layout is for an iPad held in landscape (1024 x 768, the tab bar
# the top 40 points).  Everything below is designed in those screen
# coordinates (X right, Y down) and placed through one function, place(),
# because Mk1 stores a landscape layout rotated: orientation="vertical",
# x/y/w/h in the 768 x 1024 portrait frame with x counting up the screen
# (x = 768 - Y - H, y = X, w = H, h = W), so what runs vertically on the
# screen is the stored frame's horizontal.  Hence a fader that moves up
# and down on screen is a "faderh", a label that reads left to right is a
# "labelv" and an upright knob a "rotaryh" (the convention of public Mk1
# layouts and generators: see the ChangeLog of 2026-12-06).
#
# Meters are LED ladders: a column of "led" controls on the meter's
# address, each lit over its own slice of the range (scalef..scalet), so
# together they draw a bar.  An LED only shows what it receives; a fader
# would send the tablet's touch to the read-only meter and get an error.
#
# In the format, names, texts and OSC addresses are base64.  Faders send
# normalised 0..1 on the daemon's normalised addresses, so the defaults of
# both sides work together: the surface sends to port 8000, and the daemon
# auto-registers it and sends feedback to its port 9000.
set -eu
CH=8
BUS=2
SH=768 # screen height in landscape = the stored frame's width
SEGS=11 # LEDs per meter ladder
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
n=0 # control counter for unique names (not in a subshell: $(...) would lose it)

# place X Y W H: the stored x, y, w and h attributes of a screen rectangle
place() { printf 'x="%s" y="%s" w="%s" h="%s"' $((SH - $2 - $4)) "$1" "$4" "$3"; }

# control TYPE X Y W H COLOR OSC [EXTRA]
control() {
	n=$((n + 1))
	printf '<control name="%s" %s color="%s" osc_cs="%s" type="%s" %s></control>\n' \
		"$(b64 "$1$n")" "$(place "$2" "$3" "$4" "$5")" "$6" "$(b64 "$7")" "$1" "${8:-}"
}
fader() { control faderh "$1" "$2" "$3" "$4" "$5" "$6" 'scalef="0.0" scalet="1.0" response="absolute" inverted="false" centered="false"'; }
rotary() { control rotaryh "$1" "$2" "$3" "$4" "$5" "$6" "scalef=\"0.0\" scalet=\"1.0\" response=\"absolute\" inverted=\"false\" centered=\"${7:-false}\" norollover=\"true\""; }
toggle() { control toggle "$1" "$2" "$3" "$4" "$5" "$6" 'scalef="0.0" scalet="1.0" local_off="false"'; }
led() { control led "$1" "$2" "$3" "$4" "$5" "$6" "scalef=\"$7\" scalet=\"$8\""; }
# meter X Y W H COLOR OSC [FROM TO [down]]: an LED ladder over FROM..TO
# (default 0..1), lit from the bottom up, or from the top down (gain
# reduction) with "down".  LED k of SEGS covers FROM + k/SEGS .. FROM +
# (k+1)/SEGS of the range: below its slice it is dark, above it full.
meter() {
	from=${7:-0} to=${8:-1} k=0
	seg=$(($4 / SEGS))
	while [ $k -lt $SEGS ]; do
		if [ "${9:-up}" = down ]; then
			y=$(($2 + k * seg))
		else
			y=$(($2 + $4 - (k + 1) * seg))
		fi
		lo=$(awk -v f="$from" -v t="$to" -v k=$k -v s=$SEGS 'BEGIN { printf "%.4f", f + (t - f) * k / s }')
		hi=$(awk -v f="$from" -v t="$to" -v k=$k -v s=$SEGS 'BEGIN { printf "%.4f", f + (t - f) * (k + 1) / s }')
		led "$1" $((y + 2)) "$3" $((seg - 4)) "$5" "$6" "$lo" "$hi"
		k=$((k + 1))
	done
}
# label X Y W H COLOR OSC|- TEXT SIZE
label() {
	n=$((n + 1))
	osc=
	[ "$6" = - ] || osc=" osc_cs=\"$(b64 "$6")\""
	printf '<control name="%s" %s color="%s"%s type="labelv" text="%s" size="%s" background="true" outline="false"></control>\n' \
		"$(b64 "label$n")" "$(place "$1" "$2" "$3" "$4")" "$5" "$osc" "$(b64 "$7")" "${8:-12}"
}
page() { printf '<tabpage name="%s" scalef="0.0" scalet="1.0" li_t="" li_c="gray" li_s="14" li_o="false" li_b="false" la_t="%s" la_c="gray" la_s="14" la_o="false" la_b="false">\n' "$(b64 "$1")" "$(b64 "$1")"; }
endpage() { printf '</tabpage>\n'; }

# iPad landscape (mode 1), stored rotated
printf '<?xml version="1.0" encoding="UTF-8"?>\n'
printf '<layout version="17" mode="1" orientation="vertical">\n'

# Page 1: channel strips (name, pan, solo, mute, fader, meter, value);
# master strip and the METERS button on the right
page Mix
i=1
while [ $i -le $CH ]; do
	x=$((8 + (i - 1) * 100))
	label $x 48 92 28 gray "/ch/$i/name" "Ch $i" 12
	rotary $((x + 18)) 82 56 56 yellow "/ch/$i/pan" true
	toggle $x 144 92 40 orange "/ch/$i/solo"
	label $x 144 92 16 gray - "SOLO" 10
	toggle $x 190 92 40 red "/ch/$i/mute"
	label $x 190 92 16 gray - "MUTE" 10
	fader $x 238 62 440 green "/ch/$i/fader"
	meter $((x + 68)) 238 22 440 blue "/ch/$i/meter/norm"
	label $x 686 92 28 gray "/ch/$i/fader/text" "-" 11
	i=$((i + 1))
done
label 812 48 204 28 gray - "Master" 12
toggle 812 190 204 40 red "/master/mute"
label 812 190 204 16 gray - "MUTE" 10
fader 812 238 120 440 red "/master/fader"
meter 944 238 40 440 blue "/master/meter/norm"
label 812 686 204 28 gray "/master/fader/text" "-" 11
toggle 812 722 204 40 purple "/meters"
label 812 722 204 16 gray - "METERS" 10
endpage

# Page 2: sends (knob, value and pre/post per channel and bus); bus
# masters on the right
page Sends
a=1
while [ $a -le $BUS ]; do
	y=$((48 + (a - 1) * 200))
	i=1
	while [ $i -le $CH ]; do
		x=$((8 + (i - 1) * 100))
		label $x $y 92 20 gray - "$i>$a" 10
		rotary $((x + 14)) $((y + 24)) 64 64 yellow "/ch/$i/send/$a/level"
		label $x $((y + 92)) 92 22 gray "/ch/$i/send/$a/level/text" "-" 10
		toggle $x $((y + 120)) 92 36 orange "/ch/$i/send/$a/pre"
		label $x $((y + 120)) 92 14 gray - "PRE" 9
		i=$((i + 1))
	done
	a=$((a + 1))
done
a=1
while [ $a -le $BUS ]; do
	x=$((812 + (a - 1) * 104))
	label $x 48 100 28 gray "/bus/$a/name" "Bus $a" 12
	toggle $x 82 100 40 red "/bus/$a/mute"
	label $x 82 100 16 gray - "MUTE" 10
	fader $x 130 64 550 green "/bus/$a/fader"
	meter $((x + 70)) 130 26 550 blue "/bus/$a/meter/norm"
	label $x 686 100 28 gray "/bus/$a/fader/text" "-" 11
	a=$((a + 1))
done
endpage

# Page 3: master chain: limiter, glue compressor, width, monitor, master
page Master
label 8 48 360 28 gray - "Limiter" 14
toggle 8 84 110 50 green "/master/limiter/on"
label 8 84 110 16 gray - "ON" 10
rotary 130 84 100 100 yellow "/master/limiter/ceiling"
label 130 188 100 20 gray - "Ceiling" 10
rotary 250 84 100 100 yellow "/master/limiter/release"
label 250 188 100 20 gray - "Release" 10
meter 380 84 40 440 orange "/master/limiter/gr" 0 20 down
label 370 530 60 20 gray - "GR" 10
label 8 240 340 28 gray - "Glue compressor" 14
toggle 8 276 110 50 green "/master/comp/on"
label 8 276 110 16 gray - "ON" 10
rotary 130 276 100 100 yellow "/master/comp/thr"
label 130 380 100 20 gray - "Threshold" 10
rotary 250 276 100 100 yellow "/master/comp/ratio/norm"
label 250 380 100 20 gray - "Ratio" 10
meter 440 84 40 440 orange "/master/comp/gr" 0 20 down
label 430 530 60 20 gray - "Comp" 10
rotary 130 424 100 100 purple "/master/width/norm" true
label 130 528 100 20 gray - "Width" 10
label 520 48 220 28 gray - "Monitor" 14
fader 520 84 80 440 gray "/mon/fader"
label 520 530 80 28 gray "/mon/fader/text" "-" 11
toggle 620 84 110 50 orange "/mon/afl"
label 620 84 110 16 gray - "AFL" 10
label 790 48 226 28 gray - "Master" 14
fader 790 84 120 560 red "/master/fader"
meter 930 84 40 560 blue "/master/meter/norm"
label 790 650 180 28 gray "/master/fader/text" "-" 12
toggle 790 690 180 50 red "/master/mute"
label 790 690 180 16 gray - "MUTE" 10
endpage
printf '</layout>\n'
