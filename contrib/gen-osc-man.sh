#!/bin/sh
# gen-osc-man.sh - the generated part of man/jackmixd-osc.7 (the namespace
# tables) from `jackmixd --dump-osc`, so the man page cannot drift from the
# parameter table.
#
#   contrib/gen-osc-man.sh JACKMIXD                print the generated roff
#   contrib/gen-osc-man.sh --update JACKMIXD PAGE  rewrite PAGE's generated part
#   contrib/gen-osc-man.sh --check JACKMIXD PAGE   diff; exit 1 when they differ
#
# The generated part sits between the lines
#   .\" BEGIN GENERATED ...    and    .\" END GENERATED
set -eu

mode=print
case ${1:-} in
--update | --check)
	mode=${1#--}
	shift
	;;
esac
[ $# -ge 1 ] || {
	echo "usage: $0 [--update|--check] JACKMIXD [PAGE]" >&2
	exit 2
}
daemon=$1
page=${2:-}
[ "$mode" = print ] || [ -n "$page" ] || {
	echo "$0: --$mode needs the man page" >&2
	exit 2
}

generate() {
	"$daemon" --dump-osc | awk -F '\t' '
	function esc(s) {
		gsub(/\\/, "\\e", s)
		gsub(/-/, "\\-", s)
		return s
	}
	function line(s) {
		if (s ~ /^[.'\'']/)
			s = "\\&" s
		print s
	}
	/^# path/ { section = "params"; print ".SS Parameters"; next }
	/^# helper/ { section = "helpers"; print ".SS Helper addresses"; next }
	/^# command/ { section = "commands"; print ".SS Commands"; next }
	/^#/ { next }
	section == "params" {
		path = $1; norm = $2; type = $3; unit = $4; range = $5; taper = $6; def = $7; doc = $8
		print ".TP"
		print ".B " esc(path)
		line(esc(doc))
		print ".br"
		if (type == "float") {
			s = "Float"
			if (unit != "-") s = s " in " unit
			s = s ", " range ", default " def "."
			line(esc(s))
			if (norm != "-") {
				print ".br"
				if (norm == path)
					line(esc("Already normalised (0..1, " taper ")."))
				else
					line(esc("Normalised 0..1 (" taper " taper): ") "\\fB" esc(norm) "\\fR.")
			}
		} else if (type == "bool") {
			line(esc("Boolean (i, f, T or F), default " def "."))
		} else if (type == "enum") {
			gsub(/\|/, ", ", unit)
			line(esc("Enumeration: " unit " (by name or number from 0), default " def "."))
		} else if (type == "string") {
			line(esc("String (printable, at most 63 bytes), default empty."))
		} else if (type == "meter") {
			s = "Read-only meter"
			if (unit != "-") s = s " in " unit
			line(esc(s ", " range "; query it, or subscribe to meters."))
			if (norm != "-") {
				print ".br"
				line(esc("Peak on the fader law (0.75 = 0 dBFS): ") "\\fB" esc(norm) "\\fR.")
			}
		}
		next
	}
	section == "helpers" {
		print ".TP"
		print ".B " esc($1)
		line(esc($3))
		next
	}
	section == "commands" {
		print ".TP"
		if ($2 == "-")
			print ".B " esc($1)
		else
			print ".BR " esc($1) " \" " esc($2) "\""
		line(esc($3))
		next
	}'
}

case $mode in
print)
	generate
	;;
check | update)
	tmp=$(mktemp)
	trap 'rm -f "$tmp" "$tmp.gen" "$tmp.old"' EXIT
	generate >"$tmp.gen"
	grep -q '^\.\\" BEGIN GENERATED' "$page" && grep -q '^\.\\" END GENERATED' "$page" || {
		echo "$0: $page has no BEGIN/END GENERATED markers" >&2
		exit 1
	}
	sed -n '/^\.\\" BEGIN GENERATED/,/^\.\\" END GENERATED/p' "$page" | sed '1d;$d' >"$tmp.old"
	if [ "$mode" = check ]; then
		if ! diff -u "$tmp.old" "$tmp.gen"; then
			echo "$0: $page differs from --dump-osc (run: $0 --update $daemon $page)" >&2
			exit 1
		fi
		exit 0
	fi
	awk -v gen="$tmp.gen" '
		/^\.\\" BEGIN GENERATED/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
		/^\.\\" END GENERATED/ { skip = 0 }
		!skip { print }' "$page" >"$tmp"
	cat "$tmp" >"$page"
	;;
esac
