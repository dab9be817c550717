#!/bin/sh
# asan.sh - the test suite again (by default its offline tests and core
# integration scenarios; JMX_ASAN_ALL=1 for all of them, JMX_ASAN_TESTS=
# "a.sh b" for those), with everything (daemon, tools, unit tests) built
# by clang-22 with AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer (-fno-sanitize-recover: any report fails),
# in a copy of the source tree configured in a scratch directory, with the
# thread-role assertions of --enable-debug on.
#
# Left out, because they cannot work under ASan: every script that uses
# the RT-safety shim (test_rtshim_self.sh, rt-safety*.sh, bufsize.sh ...:
# the shim interposes malloc, which ASan owns), check-rt-symbols.sh (the
# instrumented library calls the ASan runtime), and the scripts that
# build sanitizer binaries of their own (fuzz-*.sh, asan.sh, rtsan.sh,
# tsan.sh).  Load tests run shorter (JMX_FLOOD_SECONDS=5,
# JMX_FLOOD_MIN=10000: an instrumented sender is slower) and without the
# RSS bounds (ASan's quarantine keeps freed memory; LeakSanitizer checks
# every exit instead).  Every sanitizer report is written to a file; any
# file is a failure, also from a process whose exit status no test
# looked at.  Third-party leaks (libjack, liblo, libsndfile, libfiu's
# preload library) are suppressed, ours are not.
# Skips (77) only when clang-22 or its sanitizer runtime is missing.
set -u
top_srcdir=${top_srcdir:-..}
top_srcdir=$(cd "$top_srcdir" && pwd)
. "$top_srcdir/tests/san-env.sh"
san_nested_guard
san_clang
work=$(mktemp -d "${TMPDIR:-/tmp}/jmx-asan.XXXXXX") || exit 1
[ -n "${JMX_KEEP_TMP:-}" ] || trap 'rm -rf "$work"' EXIT

printf 'int main(void) { return 0; }\n' >"$work/probe.c"
if ! "$SAN_CC" -fsanitize=address,undefined "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
	echo "asan: SKIP: $SAN_CC cannot link -fsanitize=address,undefined (libclang-rt-22-dev missing?)"
	exit 77
fi
t0=$(date +%s)
san_tree "$work/tree" || { echo "asan.sh: FAIL: cannot copy the source tree"; exit 1; }
# -fno-sanitize=alignment: liblo hands its clients lo_arg pointers at
# 4-byte offsets into the message (the OSC layout), so every test client
# reading an int64 or double through them is "misaligned" by its API; the
# daemon itself copies arguments out with memcpy
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize=alignment"
flags="$flags -fno-sanitize-recover=undefined"
# --enable-debug: the thread-role assertions (src/rt/role.h) are on, so
# every scenario below also checks that each module is called only from
# the threads its contract names (test_role proves they fire)
SAN_CONFIGURE=--enable-debug san_build "$work/tree" "$work/build.log" "$flags" || { echo "asan.sh: FAIL: the ASan build failed"; exit 1; }
t1=$(date +%s)

printf 'print-tests:\n\t@echo $(TESTS)\n' >"$work/print.mk"
all=$(san_make -s -C "$work/tree/tests" -f Makefile -f "$work/print.mk" print-tests)
list=
for t in $all; do
	case $t in
	check-rt-symbols.sh | fuzz-*.sh | asan.sh | rtsan.sh | tsan.sh) continue ;;
	esac
	# any script that preloads the RT-safety shim (it interposes malloc)
	case $t in
	*.sh) grep -q 'rtshim' "$work/tree/tests/$t" && continue ;;
	esac
	list="$list $t"
done
# The whole list under ASan takes over 20 minutes on 2 cores, past CI's
# budget: by default run every offline test and the integration scenarios
# that exercise the most code without wall-clock timing checks (engine,
# OSC through hostile input, state files,
# recording, ramps, Mackie Control); JMX_ASAN_ALL=1 runs everything.
if [ -n "${JMX_ASAN_TESTS:-}" ]; then
	# to look into one failure; only tests that can run under ASan
	sub=
	for t in $JMX_ASAN_TESTS; do
		case " $list " in
		*" $t "*) sub="$sub $t" ;;
		*) echo "asan.sh: $t cannot run here (not in the suite, or left out above)" ;;
		esac
	done
	list=$sub
elif [ -z "${JMX_ASAN_ALL:-}" ]; then
	sub=
	for t in $list; do
		case $t in
		test_* | engine-integration.sh | osc-hostile.sh | state-files.sh | \
			rec-capture.sh | auto-lanes.sh | midi-mcu.sh) sub="$sub $t" ;;
		esac
	done
	list=$sub
fi
mkdir -p "$work/reports"
cat >"$work/lsan.supp" <<SUPP
leak:libjack.so
leak:liblo.so
leak:libsndfile.so
leak:libdbus
leak:fiu_run_preload.so
SUPP
ASAN_OPTIONS="detect_leaks=1:verify_asan_link_order=0:halt_on_error=1:log_path=$work/reports/asan"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$work/reports/ubsan"
LSAN_OPTIONS="suppressions=$work/lsan.supp:print_suppressions=0"
# RSS bounds are for the real build: ASan holds freed memory back in its
# quarantine (LeakSanitizer checks for leaks at every exit instead)
JMX_FLOOD_SECONDS=5 JMX_FLOOD_MIN=10000 JMX_RSS_SLACK_KB=1000000
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS JMX_FLOOD_SECONDS JMX_FLOOD_MIN JMX_RSS_SLACK_KB
# san_make: not the outer make's MAKEFLAGS, whose TEST_LOGS would run the
# whole outer list (this script too) in the copy
san_make -C "$work/tree/tests" -j2 check TESTS="$list" >"$work/check.log" 2>&1
status=$?
t2=$(date +%s)
grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' "$work/check.log"
fail=0
if [ $status -ne 0 ]; then
	for f in $(grep -l -E '^:test-result: (FAIL|ERROR)' "$work/tree/tests"/*.trs 2>/dev/null); do
		echo "===== ASan build: ${f##*/} ====="
		# the test's own lines first: a daemon log shown after them
		# would push them out of a plain tail
		grep -v '^    ' "${f%.trs}.log" | tail -n 40
		echo "----- its last lines -----"
		tail -n 40 "${f%.trs}.log"
	done
	echo "asan.sh: FAIL: tests failed in the sanitizer build"
	fail=1
fi
reports=$(ls "$work/reports" 2>/dev/null | wc -l)
if [ "$reports" -gt 0 ]; then
	for f in "$work/reports"/*; do
		echo "===== $f ====="
		head -n 40 "$f"
	done
	echo "asan.sh: FAIL: $reports sanitizer report(s)"
	fail=1
fi
n=$(printf '%s\n' $list | wc -l)
echo "asan: $n tests under ASan/LSan/UBSan; build $((t1 - t0)) s, run $((t2 - t1)) s"
[ $fail -eq 0 ] && echo "asan.sh: PASS"
exit $fail
