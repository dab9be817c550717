#!/bin/sh
# tsan.sh - ThreadSanitizer on the lock-free handoffs: test_tsan_queues.c
# (rtqueue.h with the control->RT state records, recring.c from RT to
# disk, and autoplay.c's lane-set swap: control publishes, the RT thread
# takes and plays a set through a real mixer, control reclaims and frees;
# two threads each, JMX_TSAN_RECORDS records, default 5 000 000, and one
# lane set per 100) and test_midiring.c (midiring.c's raw MIDI rings both
# ways between an RT and a control thread) built with clang-22
# -fsanitize=thread, the RT library sources they link instrumented too, and
# run: no report, every check passes.  A set freed or scribbled on while the RT thread can still read
# it is a reported race, as is any publish/take/retire/reclaim without
# its acquire/release.  Negative control first: the same test with a
# deliberate data race (-DJMX_TSAN_NEGATIVE) must be reported, so a clean
# run means the sanitizer was watching.  Skips (77) only when clang-22 is
# not installed or cannot link -fsanitize=thread.
set -u
top_srcdir=${top_srcdir:-..}
CLANG=${TSAN_CC:-clang-22}
command -v "$CLANG" >/dev/null 2>&1 || { echo "tsan: SKIP: $CLANG not found"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/jmx-tsan.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

printf 'int main(void) { return 0; }\n' >"$work/probe.c"
if ! "$CLANG" -fsanitize=thread "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
	echo "tsan: SKIP: $CLANG cannot link -fsanitize=thread (libclang-rt-22-dev missing?)"
	exit 77
fi
. "$top_srcdir/tests/src-env.sh"
cflags="-std=gnu11 -g -O1 -fsanitize=thread"
# what the test links of the RT library (libjmxdsp in src/Makefile.am),
# instrumented too, compiled once for both builds
mkdir "$work/lib" || exit 1
for f in $(jmx_rt_modules); do
	"$CLANG" $cflags $jmx_src_inc -c "$(jmx_src_file $f)" -o "$work/lib/$f.o" || { echo "tsan.sh: FAIL: cannot build $f.c"; exit 1; }
done
build() { # OUTPUT [extra flags]
	out=$1
	shift
	"$CLANG" $cflags "$@" $jmx_src_inc "$top_srcdir/tests/test_tsan_queues.c" "$work"/lib/*.o -lpthread -lm \
		-o "$out"
}
build "$work/neg" -DJMX_TSAN_NEGATIVE || { echo "tsan.sh: FAIL: cannot build the negative control"; exit 1; }
build "$work/tsan" || { echo "tsan.sh: FAIL: cannot build test_tsan_queues"; exit 1; }
"$CLANG" $cflags $jmx_src_inc "$top_srcdir/tests/test_midiring.c" "$work"/lib/*.o -lpthread -lm -o "$work/midiring" ||
	{ echo "tsan.sh: FAIL: cannot build test_midiring"; exit 1; }

# setarch -R: TSan's shadow mapping wants no ASLR surprises on some kernels
run() {
	if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then
		setarch "$(uname -m)" -R "$@"
	else
		"$@"
	fi
}

JMX_TSAN_RECORDS=200000 TSAN_OPTIONS="halt_on_error=0 exitcode=66" run "$work/neg" >"$work/neg.out" 2>&1
rc=$?
if [ $rc -ne 66 ] || ! grep -q "WARNING: ThreadSanitizer: data race" "$work/neg.out"; then
	tail -n 20 "$work/neg.out"
	echo "tsan.sh: FAIL: the deliberate race was not reported (exit $rc): is TSan working?"
	exit 1
fi
echo "tsan: negative control reported as a data race"

JMX_TSAN_RECORDS=${JMX_TSAN_RECORDS:-5000000} TSAN_OPTIONS="halt_on_error=1 exitcode=66" run "$work/tsan" \
	>"$work/out" 2>&1
rc=$?
cat "$work/out" | grep -v '^$' | head -n 40
if [ $rc -ne 0 ] || grep -q "ThreadSanitizer" "$work/out"; then
	echo "tsan.sh: FAIL: exit $rc (66 = a ThreadSanitizer report)"
	exit 1
fi
TSAN_OPTIONS="halt_on_error=1 exitcode=66" run "$work/midiring" >"$work/midi.out" 2>&1
rc=$?
grep -v '^$' "$work/midi.out" | head -n 40
if [ $rc -ne 0 ] || grep -q "ThreadSanitizer" "$work/midi.out"; then
	echo "tsan.sh: FAIL: test_midiring exit $rc (66 = a ThreadSanitizer report)"
	exit 1
fi
echo "tsan.sh: PASS"
exit 0
