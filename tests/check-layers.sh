#!/bin/sh
# check-layers.sh - the house's structural rules, from the built objects:
#   1. no two source files of src/ call each other, directly or around a
#      loop (a file-level call graph from `nm`: file A -> file B when an
#      object of A uses a symbol an object of B defines; any cycle fails
#      and is printed);
#   2. no source file of src/ (.c or .h) is over 1,200 lines;
#   3. the RT library is built from the RT folders alone: every member of
#      src/libjmxdsp.a comes from src/dsp/, src/rt/ or src/params/params.c;
#   4. README's "Layout and threads" names every source file of src/ in
#      its folder, and nothing that is not there.
# --self-test first proves the cycle finder on a made-up graph.
set -u
: "${NM:=nm}"
NM=${NM%% *}
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
me=check-layers.sh
fail=0

# cycles FILE: "from to" lines on stdin -> prints each cycle found, exit 1
# if any (Tarjan's strongly connected components in awk)
cycles() {
	awk '
	{ if (!($1 in id)) { id[$1] = ++n; name[n] = $1 } if (!($2 in id)) { id[$2] = ++n; name[n] = $2 }
	  a = id[$1]; b = id[$2]; if (a != b && !((a, b) in e)) { e[a, b] = 1; adj[a] = adj[a] " " b } }
	function connect(v,    k, w, m, list, comp, sz) {
		idx[v] = low[v] = ++counter; stack[++sp] = v; on[v] = 1
		m = split(adj[v], list, " ")
		for (k = 1; k <= m; k++) {
			w = list[k]
			if (!(w in idx)) { connect(w); if (low[w] < low[v]) low[v] = low[w] }
			else if (on[w] && idx[w] < low[v]) low[v] = idx[w]
		}
		if (low[v] == idx[v]) {
			comp = ""; sz = 0
			do { w = stack[sp--]; on[w] = 0; comp = comp " " name[w]; sz++ } while (w != v)
			if (sz > 1) { print "cycle:" comp; bad = 1 }
		}
	}
	END { for (v = 1; v <= n; v++) if (!(v in idx)) connect(v); exit bad }'
}

if [ "${1:-}" = --self-test ] || [ $# -eq 0 ]; then
	out=$(printf 'a b\nb c\nc a\nc d\nd d\n' | cycles) && { echo "$me: FAIL: self-test missed a -> b -> c -> a"; exit 1; }
	printf '%s\n' "$out" | grep -q 'cycle:.* a' || { echo "$me: FAIL: self-test: '$out'"; exit 1; }
	printf 'a b\nb c\na c\nd d\n' | cycles >/dev/null || { echo "$me: FAIL: self-test: a DAG (and a self-call) reported as a cycle"; exit 1; }
	echo "$me: self-test passed"
	[ "${1:-}" = --self-test ] && exit 0
fi

src=$top_builddir/src
objs=$(find "$src" -name '*.o' ! -path '*/tools/*' | sort)
[ -n "$objs" ] || { echo "$me: FAIL: no objects under $src (build first)"; exit 1; }

# object -> source file: src/control/libjmxctl_a-model.o -> control/model.c
srcof() {
	f=${1#"$src"/}
	d=$(dirname "$f")
	b=$(basename "$f" .o)
	b=${b#*-}
	[ "$d" = . ] && echo "$b.c" || echo "$d/$b.c"
}

defs=$(mktemp) uses=$(mktemp)
trap 'rm -f "$defs" "$uses"' EXIT
for o in $objs; do
	s=$(srcof "$o")
	"$NM" --defined-only -g "$o" 2>/dev/null | awk -v s="$s" 'NF == 3 { print $3, s }' >>"$defs"
	"$NM" -u "$o" 2>/dev/null | awk -v s="$s" '{ print $NF, s }' >>"$uses"
done
edges=$(awk 'FNR == NR { def[$1] = $2; next } ($1 in def) && def[$1] != $2 { print $2, def[$1] }' "$defs" "$uses" | sort -u)
nfiles=$(awk '{ print $2 }' "$defs" | sort -u | wc -l)
nedges=$(printf '%s\n' "$edges" | grep -c .)
if ! out=$(printf '%s\n' "$edges" | cycles); then
	printf '%s\n' "$out" | sed "s/^/$me: FAIL: /"
	printf '%s\n' "$out" | while read -r _ files; do
		for a in $files; do
			for b in $files; do
				printf '%s\n' "$edges" | grep -qx "$a $b" && echo "$me:   $a calls $b"
			done
		done
	done
	fail=1
fi
echo "$me: $nfiles files, $nedges calls between files, no cycle unless said above"

for f in $(cd "$top_srcdir/src" && find . -name '*.[ch]' | sort); do
	n=$(wc -l <"$top_srcdir/src/$f")
	[ "$n" -le 1200 ] || { echo "$me: FAIL: src/${f#./} has $n lines (at most 1,200: split it along its concerns)"; fail=1; }
done

lib=$src/libjmxdsp.a
if [ -f "$lib" ]; then
	for m in $(ar t "$lib"); do
		case $m in
		libjmxdsp_a-params.o) ;;
		*) f=$(find "$src/dsp" "$src/rt" -name "$m" 2>/dev/null | head -n 1)
		   [ -n "$f" ] || { echo "$me: FAIL: $m in libjmxdsp.a is not from src/dsp or src/rt"; fail=1; } ;;
		esac
	done
fi
# README's layout list: "    src/dir/" opens a folder, "      name.[ch]"
# (or name.c, name.h) names its files
readme=$top_srcdir/README
listed=$(awk '/^Layout and threads/ { on = 1; next } on && /^Tests$/ { exit }
	on && /^    src\/[a-z]+\/( |$)/ { dir = $1; next }
	on && /^    src\/[a-z_]+\.c / { print $1; next }
	on && dir != "" && /^      [a-z_]+\.(\[ch\]|c|h) / {
		f = $1
		if (f ~ /\.\[ch\]$/) { sub(/\.\[ch\]$/, "", f); print dir f ".c"; print dir f ".h" }
		else print dir f
	}' "$readme" | sort -u)
actual=$(cd "$top_srcdir" && find src -name '*.[ch]' | sort)
missing=$(printf '%s\n' "$actual" | grep -vxF "$listed")
stale=$(printf '%s\n' "$listed" | grep -vxF "$actual")
for f in $missing; do echo "$me: FAIL: $f is not in README's layout list"; fail=1; done
for f in $stale; do echo "$me: FAIL: README's layout list names $f, which does not exist"; fail=1; done
echo "$me: README lists $(printf '%s\n' "$listed" | grep -c .) files of src/"

exit $fail
