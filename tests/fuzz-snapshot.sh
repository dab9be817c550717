#!/bin/sh
# fuzz-snapshot.sh - build tests/fuzz_snapshot.c with clang and libFuzzer
# (-fsanitize=fuzzer,address,undefined) against the state-file parser and
# run it for FUZZ_SECONDS (default 20) from the seed corpus in
# tests/fuzz-corpus/snapshot.  New inputs go to a scratch directory, not
# into the tree, unless FUZZ_MERGE=1 (then the ones that reach new code are
# merged into the committed corpus; FUZZ_MERGE_FROM names more directories
# of inputs to merge).  Skips (77) only when clang-22 or its libFuzzer
# runtime is not installed.  A crash leaves crash-* files in the build's
# tests directory.
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
CLANG=${FUZZ_CC:-clang-22}
command -v "$CLANG" >/dev/null 2>&1 || { echo "fuzz-snapshot: SKIP: $CLANG not found"; exit 77; }
work=fuzz-snapshot.$$
mkdir -p "$work/corpus" || exit 1
trap 'rm -rf "$work"' EXIT

printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$work/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
	echo "fuzz-snapshot: SKIP: $CLANG cannot link -fsanitize=fuzzer (libclang-rt-22-dev missing?)"
	exit 77
fi

. "$top_srcdir/tests/src-env.sh"
srcs=$(for m in snapshot statefile model params params_path lanes; do jmx_src_file $m || exit 1; done) || exit 1
# shellcheck disable=SC2086 # word lists
"$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	$jmx_src_inc -I"$top_builddir" \
	"$top_srcdir/tests/fuzz_snapshot.c" $srcs \
	-lm -o "$work/fuzz_snapshot" || { echo "fuzz-snapshot: FAIL: cannot build the target"; exit 1; }

# -dict: the format's words make the fuzzer reach deep lines quickly
dict=$work/dict
for w in jackmixd-state end crc32 /jack/connect /ch/ /bus/ /master/ /mon/ /fader/db /eq/ /hz /type \
	/name /send/ /level/db lshelf hshelf peak /auto /auto/point /automation/rate read write touch latch; do
	printf '"%s"\n' "$w"
done >"$dict"
"$work/fuzz_snapshot" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
	-dict="$dict" -print_final_stats=1 "$work/corpus" "$top_srcdir/tests/fuzz-corpus/snapshot" 2>"$work/log"
rc=$?
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log"
if [ $rc -ne 0 ]; then
	tail -n 60 "$work/log"
	echo "fuzz-snapshot: FAIL: the fuzzer found a problem (exit $rc)"
	exit 1
fi
# FUZZ_MERGE=1: the corpus grows by what this run found that reaches new
# code (libFuzzer's -merge keeps only those); commit the new files
if [ -n "${FUZZ_MERGE:-}" ]; then
	before=$(ls "$top_srcdir/tests/fuzz-corpus/snapshot" | wc -l)
	"$work/fuzz_snapshot" -merge=1 -dict="$dict" "$top_srcdir/tests/fuzz-corpus/snapshot" "$work/corpus" ${FUZZ_MERGE_FROM:-} \
		2>"$work/merge.log" || { tail -n 20 "$work/merge.log"; echo "fuzz-snapshot: FAIL: merge"; exit 1; }
	echo "fuzz-snapshot: corpus $before -> $(ls "$top_srcdir/tests/fuzz-corpus/snapshot" | wc -l) inputs"
fi
exit 0
