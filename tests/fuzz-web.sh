#!/bin/sh
# fuzz-web.sh - build tests/fuzz_web.c with clang and libFuzzer
# (-fsanitize=fuzzer,address,undefined) against the web surface's control
# side (web_osc, webq, web_path) and the OSC core's sources, and run it
# for FUZZ_SECONDS (default 20) from the seed corpus in tests/fuzz-corpus/web
# (made by fuzz-corpus/web-seeds.py).  New inputs go to a scratch directory, not into
# the tree, unless FUZZ_MERGE=1 (then the ones that reach new code are
# merged into the committed corpus; FUZZ_MERGE_FROM names more directories
# of inputs to merge).  Skips (77) only when clang-22 or its libFuzzer
# runtime is not installed.  A crash leaves crash-* files in the build's
# tests directory.
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
CLANG=${FUZZ_CC:-clang-22}
command -v "$CLANG" >/dev/null 2>&1 || { echo "fuzz-web: SKIP: $CLANG not found"; exit 77; }
work=fuzz-web.$$
mkdir -p "$work/corpus" || exit 1
trap 'rm -rf "$work"' EXIT

# is libFuzzer there at all?
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$work/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
	echo "fuzz-web: SKIP: $CLANG cannot link -fsanitize=fuzzer (libclang-rt-22-dev missing?)"
	exit 77
fi

. "$top_srcdir/tests/src-env.sh"
srcs=$(for m in web_osc webq web_path web web_keys osc osc_wire osc_route osc_feed osc_dump osc_net \
	curve_osc response model params params_path log control statefile; do jmx_src_file $m || exit 1; done) || exit 1
# shellcheck disable=SC2046,SC2086 # word lists
"$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	$jmx_src_inc -I"$top_builddir" $(pkg-config --cflags liblo libwebsockets) \
	"$top_srcdir/tests/fuzz_web.c" $srcs \
	$(pkg-config --libs liblo libwebsockets) -lm -lpthread -o "$work/fuzz_web" || { echo "fuzz-web: FAIL: cannot build the target"; exit 1; }

"$work/fuzz_web" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	-print_final_stats=1 "$work/corpus" "$top_srcdir/tests/fuzz-corpus/web" 2>"$work/log"
rc=$?
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log"
if [ $rc -ne 0 ]; then
	tail -n 60 "$work/log"
	echo "fuzz-web: FAIL: the fuzzer found a problem (exit $rc)"
	exit 1
fi
# FUZZ_MERGE=1: the corpus grows by what this run found that reaches new
# code (libFuzzer's -merge keeps only those); commit the new files
if [ -n "${FUZZ_MERGE:-}" ]; then
	before=$(ls "$top_srcdir/tests/fuzz-corpus/web" | wc -l)
	"$work/fuzz_web" -merge=1 "$top_srcdir/tests/fuzz-corpus/web" "$work/corpus" ${FUZZ_MERGE_FROM:-} \
		2>"$work/merge.log" || { tail -n 20 "$work/merge.log"; echo "fuzz-web: FAIL: merge"; exit 1; }
	echo "fuzz-web: corpus $before -> $(ls "$top_srcdir/tests/fuzz-corpus/web" | wc -l) inputs"
fi
exit 0
