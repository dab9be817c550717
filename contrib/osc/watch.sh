#!/bin/sh
# watch.sh [PREFIX [values|meters|all]] - print the daemon's feedback under
# PREFIX with oscdump: subscribe oscdump's port and renew the 10 s lease
# every 5 s with oscsend until interrupted.
host=${JACKMIXD_HOST:-127.0.0.1}
port=${JACKMIXD_PORT:-8000}
listen=${WATCH_PORT:-9123}
what=${2:-values}${1:+,$1}
oscdump -L "$listen" &
dump=$!
trap 'oscsend "$host" "$port" /unsubscribe i "$listen"; kill "$dump"; exit 0' INT TERM
while :; do
	oscsend "$host" "$port" /subscribe iis "$listen" 10 "$what" || exit 1
	sleep 5
done
