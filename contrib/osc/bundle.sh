#!/bin/sh
# bundle.sh - unmute channel 1 and mute channel 2 in one OSC bundle: both
# changes reach the audio thread in the same period (a cross-fade without
# a gap or an overlap).  oscsend cannot send bundles; jackmixctl can.
host=${JACKMIXD_HOST:-127.0.0.1}
port=${JACKMIXD_PORT:-8000}
exec jackmixctl -H "$host" -p "$port" bundle /ch/1/mute 0 , /ch/2/mute 1
