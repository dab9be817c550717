#!/bin/sh
# test_rtshim_self.sh - self-test of the RT shim (rtshim.c) without JACK:
#  1. test_rtshim_self under the shim: every forbidden class is counted
#     exactly once per call on a marked thread, never when unmarked or on
#     another thread, allowed calls never (the C program checks in-process);
#     then the report the shim writes at exit must agree with the totals
#     the program read, and list every class;
#  2. "clean" mode: five marked cycles of allowed calls give exactly
#     "rtshim: 0 forbidden calls, 5 rt cycles observed";
#  3. "exit7" mode: the shim does not alter the exit status, and the
#     report names the offence and where it came from;
#  4. without the shim the program refuses to run (it cannot pass blind).
# The JACK process-thread path is proved by rt-safety.sh (negative control).

srcdir=${srcdir:-.}
. "$srcdir/jack-env.sh"

shim=./.libs/rtshim.so
prog=./test_rtshim_self
jmx_built "$shim" "$prog"
jmx_setup
fail=0

# 1. the full check
LD_PRELOAD=$shim JMX_RTSHIM_REPORT=$JMX_TMP/full.report $prog >"$JMX_TMP/full.out" 2>"$JMX_TMP/full.err"
rc=$?
cat "$JMX_TMP/full.out"
grep "FAIL" "$JMX_TMP/full.err" >&2
[ "$rc" -eq 0 ] || jmx_bad "test_rtshim_self exited $rc"
want=$(sed -n 's/^rtshim-self: total=\([0-9]*\) cycles=\([0-9]*\)$/\1 \2/p' "$JMX_TMP/full.out")
got=$(jmx_shim_report "$JMX_TMP/full.report")
[ -n "$want" ] || jmx_bad "the program printed no totals"
[ -n "$got" ] || jmx_bad "no report in $JMX_TMP/full.report"
[ "$want" = "$got" ] || jmx_bad "report says '$got' (forbidden cycles), the program counted '$want'"
for c in malloc calloc realloc reallocarray free posix_memalign aligned_alloc memalign valloc \
	pvalloc pthread_mutex_lock pthread_mutex_trylock pthread_mutex_timedlock \
	pthread_mutex_clocklock pthread_spin_lock pthread_cond_wait pthread_cond_timedwait \
	pthread_cond_clockwait pthread_rwlock_rdlock pthread_rwlock_wrlock \
	pthread_rwlock_tryrdlock pthread_rwlock_trywrlock pthread_rwlock_timedrdlock \
	pthread_rwlock_timedwrlock pthread_rwlock_clockrdlock pthread_rwlock_clockwrlock \
	pthread_join pthread_create sem_wait sem_timedwait sem_clockwait printf fprintf vprintf \
	vfprintf dprintf vdprintf puts fputs fwrite fputc putc putchar fflush fopen fread fclose \
	perror write read pread pwrite readv writev open openat close fsync fdatasync send sendto \
	sendmsg recv recvfrom recvmsg sleep usleep nanosleep clock_nanosleep poll ppoll select \
	pselect epoll_wait epoll_pwait syslog vsyslog mmap munmap; do
	n=$(jmx_shim_count "$JMX_TMP/full.report" "$c")
	[ "$n" -ge 1 ] || jmx_bad "the report does not list $c"
done
# The per-class counts add up to the total.
sum=$(sed -n '1s/^[^:]*: [^:]*: //p' "$JMX_TMP/full.report" | tr ' ' '\n' |
	awk -F= '{ s += $2 } END { print s + 0 }')
[ "$sum" = "${got%% *}" ] || jmx_bad "per-class counts add up to $sum, total is ${got%% *}"
# sem_post is allowed: it must not appear even though the program called it.
grep -q 'sem_post=' "$JMX_TMP/full.report" && jmx_bad "sem_post was counted"

# 2. allowed calls only
LD_PRELOAD=$shim JMX_RTSHIM_REPORT=$JMX_TMP/clean.report $prog clean >/dev/null 2>&1
rc=$?
[ "$rc" -eq 0 ] || jmx_bad "clean mode exited $rc"
line=$(head -n 1 "$JMX_TMP/clean.report" 2>/dev/null)
[ "$line" = "rtshim: 0 forbidden calls, 5 rt cycles observed" ] ||
	jmx_bad "clean mode report: '$line'"

# 3. exit status passes through; the report names the first offence
LD_PRELOAD=$shim JMX_RTSHIM_REPORT=$JMX_TMP/exit7.report $prog exit7 >/dev/null 2>&1
rc=$?
[ "$rc" -eq 7 ] || jmx_bad "exit7 mode exited $rc, want 7"
line=$(head -n 1 "$JMX_TMP/exit7.report" 2>/dev/null)
[ "$line" = "rtshim: 1 forbidden calls, 1 rt cycles observed: malloc=1" ] ||
	jmx_bad "exit7 report: '$line'"
grep -q '^rtshim: first: malloc called from .*test_rtshim_self' "$JMX_TMP/exit7.report" ||
	jmx_bad "exit7 report does not say where the malloc came from"

# 4. no shim, no pass
$prog >/dev/null 2>&1 && jmx_bad "test_rtshim_self passed without the shim loaded"

if [ "$fail" -ne 0 ]; then
	jmx_show "full report" "$JMX_TMP/full.report" 20
	jmx_show "exit7 report" "$JMX_TMP/exit7.report" 20
	exit 1
fi
echo "test_rtshim_self.sh: all checks passed"
exit 0
