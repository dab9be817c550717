#!/bin/sh
# surface.sh - pretend to be a TouchOSC on this host: listen on the
# feedback port (9000, TouchOSC's incoming port) and send one message to
# the daemon, which auto-registers this host and sends its whole state,
# then every change.  Move a fader with oscsend or jackmixctl and watch.
host=${JACKMIXD_HOST:-127.0.0.1}
port=${JACKMIXD_PORT:-8000}
oscdump -L "${FEEDBACK_PORT:-9000}" &
dump=$!
trap 'kill "$dump"; exit 0' INT TERM
sleep 0.2
oscsend "$host" "$port" /ping
oscsend "$host" "$port" /meters i 1   # meters too, for this host's surface
wait "$dump"
