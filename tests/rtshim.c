/*
 * rtshim.c - LD_PRELOAD library that catches forbidden calls on the real-time
 * thread: allocation, locks, condition and semaphore waits, thread creation
 * and joins, stdio, file and socket I/O, sleeps, poll/select, syslog, mmap.
 *
 * How the RT thread is recognised: jack_set_process_callback is interposed
 * and the client's callback is wrapped so that a thread-local flag is set
 * for exactly the duration of each callback (JACK's own work around the
 * callback does not count).  Clients that run their own loop with
 * jack_set_process_thread are covered too: the flag goes up when
 * jack_cycle_wait returns and down when jack_cycle_signal is called.  Tests
 * mark any thread with jmx_rtshim_mark(1/0), looked up with
 * dlsym(RTLD_DEFAULT, ...).
 *
 * A forbidden call on a marked thread is recorded with atomics only (a
 * counter per function, and once: the first offender's name, caller and
 * backtrace) and then forwarded to the real function, so the program
 * behaves as it would without the shim.  A call made from inside another
 * interposed call (fopen calling malloc) is not counted again: the outermost
 * offence is the one the program made.  At exit a destructor writes a
 * report to stderr and, when JMX_RTSHIM_REPORT=path is set, to that file:
 *   rtshim: 0 forbidden calls, 1234 rt cycles observed
 *   rtshim: 5 forbidden calls, 1234 rt cycles observed: malloc=3 free=2
 * the second form followed by lines naming the first offence.  With
 * JMX_RTSHIM_ABORT=1 the first offence aborts instead (for a debugger).
 * The exit status of the program is never changed.
 *
 * Threads: every wrapper may run on any thread.  On a marked thread the
 * shim itself uses only thread-local variables and lock-free atomics
 * (plus one backtrace() at the very first offence).  Constructor and
 * destructor run on the main thread.
 *
 * Invariants: every real function is resolved in the constructor, so no
 * marked thread ever calls dlsym.  Calls that come earlier (from another
 * library's constructor) resolve on demand; while dlsym itself allocates,
 * allocations come from a static bump arena whose blocks are never freed.
 * Allowed on RT and deliberately not interposed: sem_post and sem_trywait
 * (waking or polling another thread without blocking), mem and string
 * functions, libm, clock_gettime (vDSO).
 */
#undef _FORTIFY_SOURCE   /* its inline wrappers would clash with ours */
#undef _FILE_OFFSET_BITS /* define open and open64 both, neither redirected */
#ifndef __NO_INLINE__
#define __NO_INLINE__ 1 /* no extern-inline putchar etc. from the headers */
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <jack/jack.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SHIM_API __attribute__((visibility("default")))
#define CALLER   __builtin_return_address(0)

/* Entry points for tests (no header: they are found with dlsym). */
SHIM_API void jmx_rtshim_mark(int on);
SHIM_API unsigned long jmx_rtshim_count(const char *name);
SHIM_API unsigned long jmx_rtshim_total(void);
SHIM_API unsigned long jmx_rtshim_cycles(void);

/* Fortified entry points, declared by the headers only under
 * _FORTIFY_SOURCE, which is off here. */
int __printf_chk(int flag, const char *fmt, ...);
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
int __vprintf_chk(int flag, const char *fmt, va_list ap);
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
int __dprintf_chk(int fd, int flag, const char *fmt, ...);
int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap);
size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *f);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);

/* clang-format off */
/* Counted classes, by the name they are reported under.  The _chk, 64 and
 * fortified variants count under their plain name. */
#define SHIM_CLASSES(X)                                                             \
	X(malloc) X(calloc) X(realloc) X(reallocarray) X(free) X(posix_memalign)    \
	X(aligned_alloc) X(memalign) X(valloc) X(pvalloc)                           \
	X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_mutex_timedlock)   \
	X(pthread_mutex_clocklock) X(pthread_spin_lock) X(pthread_cond_wait)        \
	X(pthread_cond_timedwait) X(pthread_cond_clockwait)                         \
	X(pthread_rwlock_rdlock) X(pthread_rwlock_wrlock)                           \
	X(pthread_rwlock_tryrdlock) X(pthread_rwlock_trywrlock)                     \
	X(pthread_rwlock_timedrdlock) X(pthread_rwlock_timedwrlock)                 \
	X(pthread_rwlock_clockrdlock) X(pthread_rwlock_clockwrlock)                 \
	X(pthread_join) X(pthread_create)                                           \
	X(sem_wait) X(sem_timedwait) X(sem_clockwait)                               \
	X(printf) X(fprintf) X(vprintf) X(vfprintf) X(dprintf) X(vdprintf)          \
	X(puts) X(fputs) X(fwrite) X(fputc) X(putc) X(putchar) X(fflush)            \
	X(fopen) X(fread) X(fclose) X(perror)                                       \
	X(write) X(read) X(pread) X(pwrite) X(readv) X(writev) X(open) X(openat)    \
	X(close) X(fsync) X(fdatasync)                                              \
	X(send) X(sendto) X(sendmsg) X(recv) X(recvfrom) X(recvmsg)                 \
	X(sleep) X(usleep) X(nanosleep) X(clock_nanosleep)                          \
	X(poll) X(ppoll) X(select) X(pselect) X(epoll_wait) X(epoll_pwait)          \
	X(syslog) X(vsyslog) X(mmap) X(munmap)

enum shim_class {
#define X(n) C_##n,
	SHIM_CLASSES(X)
#undef X
	C_COUNT
};

static const char *const class_name[C_COUNT] = {
#define X(n) #n,
	SHIM_CLASSES(X)
#undef X
};

/* Every interposed libc symbol; each has a real_<name> pointer. */
#define SHIM_SYMBOLS(X)                                                              \
	X(malloc) X(calloc) X(realloc) X(reallocarray) X(free) X(posix_memalign)     \
	X(aligned_alloc) X(memalign) X(valloc) X(pvalloc)                            \
	X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_mutex_timedlock)    \
	X(pthread_mutex_clocklock) X(pthread_spin_lock)                              \
	X(pthread_rwlock_rdlock) X(pthread_rwlock_wrlock)                            \
	X(pthread_rwlock_tryrdlock) X(pthread_rwlock_trywrlock)                      \
	X(pthread_rwlock_timedrdlock) X(pthread_rwlock_timedwrlock)                  \
	X(pthread_rwlock_clockrdlock) X(pthread_rwlock_clockwrlock)                  \
	X(pthread_join) X(pthread_create)                                            \
	X(sem_wait) X(sem_timedwait) X(sem_clockwait)                                \
	X(vprintf) X(vfprintf) X(vdprintf) X(puts) X(fputs) X(fwrite) X(fputc)       \
	X(putc) X(putchar) X(fflush) X(fopen) X(fopen64) X(fread) X(fclose)          \
	X(perror) X(__vprintf_chk) X(__vfprintf_chk) X(__vdprintf_chk)               \
	X(__fread_chk)                                                               \
	X(write) X(read) X(__read_chk) X(pread) X(pread64) X(pwrite) X(pwrite64)     \
	X(readv) X(writev) X(open) X(open64) X(__open_2) X(__open64_2) X(openat)     \
	X(openat64) X(__openat_2) X(__openat64_2) X(close) X(fsync) X(fdatasync)     \
	X(send) X(sendto) X(sendmsg) X(recv) X(recvfrom) X(recvmsg)                  \
	X(sleep) X(usleep) X(nanosleep) X(clock_nanosleep)                           \
	X(poll) X(ppoll) X(select) X(pselect) X(epoll_wait) X(epoll_pwait)           \
	X(vsyslog) X(__vsyslog_chk) X(mmap) X(mmap64) X(munmap)

#define X(n) static __typeof__(n) *real_##n;
SHIM_SYMBOLS(X)
#undef X
/* Condition variables have two symbol versions in glibc (x86): resolved
 * separately, asking for the current one by name. */
static __typeof__(pthread_cond_wait) *real_pthread_cond_wait;
static __typeof__(pthread_cond_timedwait) *real_pthread_cond_timedwait;
static __typeof__(pthread_cond_clockwait) *real_pthread_cond_clockwait;

/* clang-format on */

/* initial-exec TLS: a preloaded library's TLS lives in the static block,
 * and access never goes through __tls_get_addr (which may allocate). */
#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))
static SHIM_TLS int in_rt;     /* this thread is inside an RT cycle */
static SHIM_TLS int depth;     /* nesting of interposed calls */
static SHIM_TLS int resolving; /* this thread is inside dlsym */

static atomic_ulong hits[C_COUNT];
static atomic_ulong rt_cycles;
static atomic_int first_class = -1;
static atomic_int first_done;
static void *first_caller;
#define SHIM_BT_MAX 24
static void *first_bt[SHIM_BT_MAX];
static int first_bt_n;
static int bt_ready;     /* backtrace() warmed up: libgcc_s already loaded */
static int abort_on_hit; /* JMX_RTSHIM_ABORT=1 */
static pid_t owner_pid;  /* a forked child does not overwrite the report */
static atomic_uint unwrapped;
static int resolved;

static void shim_say(const char *s)
{
	/* Raw syscall: usable even before anything is resolved. */
	long r = syscall(SYS_write, 2, s, strlen(s));
	(void)r;
}

/* ---- bootstrap ------------------------------------------------------ */

/* Blocks for dlsym's own allocations before the real allocator is known.
 * Each block carries its size so that realloc can copy it. */
static _Alignas(16) unsigned char bump_arena[64 * 1024];
static atomic_size_t bump_used;

static void *bump_alloc(size_t n)
{
	size_t need = ((n + 15) & ~(size_t)15) + 16;
	size_t off = atomic_fetch_add(&bump_used, need);
	if (need < n || off + need > sizeof(bump_arena)) {
		shim_say("rtshim: bootstrap arena exhausted\n");
		abort();
	}
	*(size_t *)(void *)(bump_arena + off) = n;
	return bump_arena + off + 16;
}

static int is_bump(const void *p)
{
	const unsigned char *c = p;
	return c >= bump_arena && c < bump_arena + sizeof(bump_arena);
}

static size_t bump_size(const void *p)
{
	return *(const size_t *)(const void *)((const unsigned char *)p - 16);
}

static void *next_sym(const char *name)
{
	resolving++;
	void *p = dlsym(RTLD_NEXT, name);
	resolving--;
	return p;
}

static void *next_cond_sym(const char *name)
{
	resolving++;
	void *p = dlvsym(RTLD_NEXT, name, "GLIBC_2.3.2");
	resolving--;
	return p ? p : next_sym(name);
}

static void resolve_all(void)
{
	if (resolved)
		return;
	resolving++;
#define X(n) real_##n = (__typeof__(n) *)next_sym(#n);
	SHIM_SYMBOLS(X)
#undef X
	real_pthread_cond_wait = (__typeof__(pthread_cond_wait) *)next_cond_sym("pthread_cond_wait");
	real_pthread_cond_timedwait =
	    (__typeof__(pthread_cond_timedwait) *)next_cond_sym("pthread_cond_timedwait");
	real_pthread_cond_clockwait =
	    (__typeof__(pthread_cond_clockwait) *)next_cond_sym("pthread_cond_clockwait");
	resolving--;
	resolved = 1;
	if (!real_malloc || !real_free || !real_calloc || !real_realloc) {
		shim_say("rtshim: cannot find the real allocator\n");
		abort();
	}
}

static void missing(const char *name)
{
	shim_say("rtshim: no real ");
	shim_say(name);
	shim_say(" to forward to\n");
	abort();
}

#define ENSURE(n)                                                                                            \
	do {                                                                                                 \
		if (!real_##n)                                                                               \
			resolve_all();                                                                       \
		if (!real_##n)                                                                               \
			missing(#n);                                                                         \
	} while (0)

/* ---- recording ------------------------------------------------------ */

static void record(enum shim_class c, void *caller)
{
	atomic_fetch_add_explicit(&hits[c], 1, memory_order_relaxed);
	int none = -1;
	if (atomic_compare_exchange_strong(&first_class, &none, (int)c)) {
		int saved = errno;
		first_caller = caller;
		if (bt_ready)
			first_bt_n = backtrace(first_bt, SHIM_BT_MAX);
		atomic_store_explicit(&first_done, 1, memory_order_release);
		errno = saved;
	}
	if (abort_on_hit) {
		shim_say("rtshim: forbidden call on the RT thread: ");
		shim_say(class_name[c]);
		shim_say("\n");
		abort();
	}
}

static inline void enter(enum shim_class c, void *caller)
{
	if (depth++ == 0 && in_rt)
		record(c, caller);
}

static inline void leave(void)
{
	depth--;
}

/* A plain forwarder: count, call the real function, return its value. */
#define FORWARD(ret, name, cls, params, args)                                                                \
	SHIM_API ret name params                                                                             \
	{                                                                                                    \
		ENSURE(name);                                                                                \
		enter(C_##cls, CALLER);                                                                      \
		ret r_ = real_##name args;                                                                   \
		leave();                                                                                     \
		return r_;                                                                                   \
	}

/* ---- allocation ----------------------------------------------------- */

SHIM_API void *malloc(size_t n)
{
	if (__builtin_expect(!real_malloc, 0)) {
		if (resolving)
			return bump_alloc(n);
		resolve_all();
	}
	enter(C_malloc, CALLER);
	void *p = real_malloc(n);
	leave();
	return p;
}

SHIM_API void *calloc(size_t k, size_t n)
{
	if (__builtin_expect(!real_calloc, 0)) {
		if (resolving) {
			if (n && k > SIZE_MAX / n)
				return NULL;
			return bump_alloc(k * n); /* the arena is zeroed, never reused */
		}
		resolve_all();
	}
	enter(C_calloc, CALLER);
	void *p = real_calloc(k, n);
	leave();
	return p;
}

SHIM_API void *realloc(void *old, size_t n)
{
	if (__builtin_expect(!real_realloc || is_bump(old), 0)) {
		if (!real_realloc && !resolving)
			resolve_all();
		if (old && is_bump(old)) {
			void *p = real_malloc && !resolving ? real_malloc(n) : bump_alloc(n);
			size_t o = bump_size(old);
			if (p)
				memcpy(p, old, o < n ? o : n);
			return p;
		}
		if (!real_realloc)
			return bump_alloc(n);
	}
	enter(C_realloc, CALLER);
	void *p = real_realloc(old, n);
	leave();
	return p;
}

SHIM_API void free(void *p)
{
	if (__builtin_expect(is_bump(p), 0))
		return;
	if (__builtin_expect(!real_free, 0)) {
		if (resolving)
			return; /* cannot happen: nothing was allocated for real yet */
		resolve_all();
	}
	enter(C_free, CALLER);
	real_free(p);
	leave();
}

FORWARD(void *, reallocarray, reallocarray, (void *p, size_t k, size_t n), (p, k, n))
FORWARD(int, posix_memalign, posix_memalign, (void **p, size_t a, size_t n), (p, a, n))
FORWARD(void *, aligned_alloc, aligned_alloc, (size_t a, size_t n), (a, n))
FORWARD(void *, memalign, memalign, (size_t a, size_t n), (a, n))
FORWARD(void *, valloc, valloc, (size_t n), (n))
FORWARD(void *, pvalloc, pvalloc, (size_t n), (n))

/* ---- locks, waits, threads ------------------------------------------ */

FORWARD(int, pthread_mutex_lock, pthread_mutex_lock, (pthread_mutex_t * m), (m))
FORWARD(int, pthread_mutex_trylock, pthread_mutex_trylock, (pthread_mutex_t * m), (m))
FORWARD(int, pthread_mutex_timedlock, pthread_mutex_timedlock,
        (pthread_mutex_t *restrict m, const struct timespec *restrict t), (m, t))
FORWARD(int, pthread_mutex_clocklock, pthread_mutex_clocklock,
        (pthread_mutex_t *restrict m, clockid_t c, const struct timespec *restrict t), (m, c, t))
FORWARD(int, pthread_spin_lock, pthread_spin_lock, (pthread_spinlock_t * s), (s))
FORWARD(int, pthread_cond_wait, pthread_cond_wait, (pthread_cond_t *restrict c, pthread_mutex_t *restrict m),
        (c, m))
FORWARD(int, pthread_cond_timedwait, pthread_cond_timedwait,
        (pthread_cond_t *restrict c, pthread_mutex_t *restrict m, const struct timespec *restrict t),
        (c, m, t))
FORWARD(int, pthread_cond_clockwait, pthread_cond_clockwait,
        (pthread_cond_t *restrict c, pthread_mutex_t *restrict m, clockid_t k,
         const struct timespec *restrict t),
        (c, m, k, t))
FORWARD(int, pthread_rwlock_rdlock, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l))
FORWARD(int, pthread_rwlock_wrlock, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l))
FORWARD(int, pthread_rwlock_tryrdlock, pthread_rwlock_tryrdlock, (pthread_rwlock_t * l), (l))
FORWARD(int, pthread_rwlock_trywrlock, pthread_rwlock_trywrlock, (pthread_rwlock_t * l), (l))
FORWARD(int, pthread_rwlock_timedrdlock, pthread_rwlock_timedrdlock,
        (pthread_rwlock_t *restrict l, const struct timespec *restrict t), (l, t))
FORWARD(int, pthread_rwlock_timedwrlock, pthread_rwlock_timedwrlock,
        (pthread_rwlock_t *restrict l, const struct timespec *restrict t), (l, t))
FORWARD(int, pthread_rwlock_clockrdlock, pthread_rwlock_clockrdlock,
        (pthread_rwlock_t *restrict l, clockid_t c, const struct timespec *restrict t), (l, c, t))
FORWARD(int, pthread_rwlock_clockwrlock, pthread_rwlock_clockwrlock,
        (pthread_rwlock_t *restrict l, clockid_t c, const struct timespec *restrict t), (l, c, t))
FORWARD(int, pthread_join, pthread_join, (pthread_t t, void **ret), (t, ret))
FORWARD(int, pthread_create, pthread_create,
        (pthread_t *restrict t, const pthread_attr_t *restrict a, void *(*fn)(void *), void *restrict arg),
        (t, a, fn, arg))
FORWARD(int, sem_wait, sem_wait, (sem_t * s), (s))
FORWARD(int, sem_timedwait, sem_timedwait, (sem_t *restrict s, const struct timespec *restrict t), (s, t))
FORWARD(int, sem_clockwait, sem_clockwait,
        (sem_t *restrict s, clockid_t c, const struct timespec *restrict t), (s, c, t))

/* ---- stdio ---------------------------------------------------------- */

SHIM_API int printf(const char *restrict fmt, ...)
{
	ENSURE(vprintf);
	va_list ap;
	va_start(ap, fmt);
	enter(C_printf, CALLER);
	int r = real_vprintf(fmt, ap);
	leave();
	va_end(ap);
	return r;
}

SHIM_API int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	ENSURE(vfprintf);
	va_list ap;
	va_start(ap, fmt);
	enter(C_fprintf, CALLER);
	int r = real_vfprintf(f, fmt, ap);
	leave();
	va_end(ap);
	return r;
}

SHIM_API int dprintf(int fd, const char *restrict fmt, ...)
{
	ENSURE(vdprintf);
	va_list ap;
	va_start(ap, fmt);
	enter(C_dprintf, CALLER);
	int r = real_vdprintf(fd, fmt, ap);
	leave();
	va_end(ap);
	return r;
}

SHIM_API int __printf_chk(int flag, const char *fmt, ...)
{
	ENSURE(__vprintf_chk);
	va_list ap;
	va_start(ap, fmt);
	enter(C_printf, CALLER);
	int r = real___vprintf_chk(flag, fmt, ap);
	leave();
	va_end(ap);
	return r;
}

SHIM_API int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	ENSURE(__vfprintf_chk);
	va_list ap;
	va_start(ap, fmt);
	enter(C_fprintf, CALLER);
	int r = real___vfprintf_chk(f, flag, fmt, ap);
	leave();
	va_end(ap);
	return r;
}

SHIM_API int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	ENSURE(__vdprintf_chk);
	va_list ap;
	va_start(ap, fmt);
	enter(C_dprintf, CALLER);
	int r = real___vdprintf_chk(fd, flag, fmt, ap);
	leave();
	va_end(ap);
	return r;
}

FORWARD(int, vprintf, vprintf, (const char *restrict fmt, va_list ap), (fmt, ap))
FORWARD(int, vfprintf, vfprintf, (FILE *restrict f, const char *restrict fmt, va_list ap), (f, fmt, ap))
FORWARD(int, vdprintf, vdprintf, (int fd, const char *restrict fmt, va_list ap), (fd, fmt, ap))
FORWARD(int, __vprintf_chk, vprintf, (int flag, const char *fmt, va_list ap), (flag, fmt, ap))
FORWARD(int, __vfprintf_chk, vfprintf, (FILE * f, int flag, const char *fmt, va_list ap), (f, flag, fmt, ap))
FORWARD(int, __vdprintf_chk, vdprintf, (int fd, int flag, const char *fmt, va_list ap), (fd, flag, fmt, ap))
FORWARD(int, puts, puts, (const char *s), (s))
FORWARD(int, fputs, fputs, (const char *restrict s, FILE *restrict f), (s, f))
FORWARD(size_t, fwrite, fwrite, (const void *restrict p, size_t size, size_t n, FILE *restrict f),
        (p, size, n, f))
FORWARD(int, fputc, fputc, (int c, FILE *f), (c, f))
FORWARD(int, putc, putc, (int c, FILE *f), (c, f))
FORWARD(int, putchar, putchar, (int c), (c))
FORWARD(int, fflush, fflush, (FILE * f), (f))
FORWARD(FILE *, fopen, fopen, (const char *restrict path, const char *restrict mode), (path, mode))
FORWARD(FILE *, fopen64, fopen, (const char *restrict path, const char *restrict mode), (path, mode))
FORWARD(size_t, fread, fread, (void *restrict p, size_t size, size_t n, FILE *restrict f), (p, size, n, f))
FORWARD(size_t, __fread_chk, fread, (void *p, size_t len, size_t size, size_t n, FILE *f),
        (p, len, size, n, f))
FORWARD(int, fclose, fclose, (FILE * f), (f))

SHIM_API void perror(const char *s)
{
	ENSURE(perror);
	enter(C_perror, CALLER);
	real_perror(s);
	leave();
}

/* ---- file descriptors and sockets ----------------------------------- */

FORWARD(ssize_t, write, write, (int fd, const void *p, size_t n), (fd, p, n))
FORWARD(ssize_t, read, read, (int fd, void *p, size_t n), (fd, p, n))
FORWARD(ssize_t, __read_chk, read, (int fd, void *p, size_t n, size_t len), (fd, p, n, len))
FORWARD(ssize_t, pread, pread, (int fd, void *p, size_t n, off_t o), (fd, p, n, o))
FORWARD(ssize_t, pread64, pread, (int fd, void *p, size_t n, off64_t o), (fd, p, n, o))
FORWARD(ssize_t, pwrite, pwrite, (int fd, const void *p, size_t n, off_t o), (fd, p, n, o))
FORWARD(ssize_t, pwrite64, pwrite, (int fd, const void *p, size_t n, off64_t o), (fd, p, n, o))
FORWARD(ssize_t, readv, readv, (int fd, const struct iovec *v, int n), (fd, v, n))
FORWARD(ssize_t, writev, writev, (int fd, const struct iovec *v, int n), (fd, v, n))
FORWARD(int, __open_2, open, (const char *path, int flags), (path, flags))
FORWARD(int, __open64_2, open, (const char *path, int flags), (path, flags))
FORWARD(int, __openat_2, openat, (int dirfd, const char *path, int flags), (dirfd, path, flags))
FORWARD(int, __openat64_2, openat, (int dirfd, const char *path, int flags), (dirfd, path, flags))
FORWARD(int, close, close, (int fd), (fd))
FORWARD(int, fsync, fsync, (int fd), (fd))
FORWARD(int, fdatasync, fdatasync, (int fd), (fd))
FORWARD(ssize_t, send, send, (int fd, const void *p, size_t n, int fl), (fd, p, n, fl))
FORWARD(ssize_t, sendto, sendto,
        (int fd, const void *p, size_t n, int fl, const struct sockaddr *a, socklen_t al),
        (fd, p, n, fl, a, al))
FORWARD(ssize_t, sendmsg, sendmsg, (int fd, const struct msghdr *m, int fl), (fd, m, fl))
FORWARD(ssize_t, recv, recv, (int fd, void *p, size_t n, int fl), (fd, p, n, fl))
FORWARD(ssize_t, recvfrom, recvfrom,
        (int fd, void *restrict p, size_t n, int fl, struct sockaddr *restrict a, socklen_t *restrict al),
        (fd, p, n, fl, a, al))
FORWARD(ssize_t, recvmsg, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl))

/* open and openat take a mode only when they may create a file. */
static int needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define OPEN_MODE(last, flags, mode)                                                                         \
	do {                                                                                                 \
		if (needs_mode(flags)) {                                                                     \
			va_list ap;                                                                          \
			va_start(ap, last);                                                                  \
			mode = va_arg(ap, mode_t);                                                           \
			va_end(ap);                                                                          \
		}                                                                                            \
	} while (0)

SHIM_API int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, flags, mode);
	ENSURE(open);
	enter(C_open, CALLER);
	int r = real_open(path, flags, mode);
	leave();
	return r;
}

SHIM_API int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, flags, mode);
	ENSURE(open64);
	enter(C_open, CALLER);
	int r = real_open64(path, flags, mode);
	leave();
	return r;
}

SHIM_API int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, flags, mode);
	ENSURE(openat);
	enter(C_openat, CALLER);
	int r = real_openat(dirfd, path, flags, mode);
	leave();
	return r;
}

SHIM_API int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, flags, mode);
	ENSURE(openat64);
	enter(C_openat, CALLER);
	int r = real_openat64(dirfd, path, flags, mode);
	leave();
	return r;
}

/* ---- sleeping and waiting for descriptors --------------------------- */

FORWARD(unsigned int, sleep, sleep, (unsigned int s), (s))
FORWARD(int, usleep, usleep, (useconds_t us), (us))
FORWARD(int, nanosleep, nanosleep, (const struct timespec *t, struct timespec *rem), (t, rem))
FORWARD(int, clock_nanosleep, clock_nanosleep,
        (clockid_t c, int fl, const struct timespec *t, struct timespec *rem), (c, fl, t, rem))
FORWARD(int, poll, poll, (struct pollfd * p, nfds_t n, int ms), (p, n, ms))
FORWARD(int, ppoll, ppoll, (struct pollfd * p, nfds_t n, const struct timespec *t, const sigset_t *m),
        (p, n, t, m))
FORWARD(int, select, select,
        (int n, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e, struct timeval *restrict t),
        (n, r, w, e, t))
FORWARD(int, pselect, pselect,
        (int n, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e, const struct timespec *restrict t,
         const sigset_t *restrict m),
        (n, r, w, e, t, m))
FORWARD(int, epoll_wait, epoll_wait, (int fd, struct epoll_event *ev, int n, int ms), (fd, ev, n, ms))
FORWARD(int, epoll_pwait, epoll_pwait, (int fd, struct epoll_event *ev, int n, int ms, const sigset_t *m),
        (fd, ev, n, ms, m))

/* ---- syslog and memory mapping -------------------------------------- */

SHIM_API void syslog(int pri, const char *fmt, ...)
{
	ENSURE(vsyslog);
	va_list ap;
	va_start(ap, fmt);
	enter(C_syslog, CALLER);
	real_vsyslog(pri, fmt, ap);
	leave();
	va_end(ap);
}

SHIM_API void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	ENSURE(__vsyslog_chk);
	va_list ap;
	va_start(ap, fmt);
	enter(C_syslog, CALLER);
	real___vsyslog_chk(pri, flag, fmt, ap);
	leave();
	va_end(ap);
}

SHIM_API void vsyslog(int pri, const char *fmt, va_list ap)
{
	ENSURE(vsyslog);
	enter(C_vsyslog, CALLER);
	real_vsyslog(pri, fmt, ap);
	leave();
}

SHIM_API void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	ENSURE(__vsyslog_chk);
	enter(C_vsyslog, CALLER);
	real___vsyslog_chk(pri, flag, fmt, ap);
	leave();
}

FORWARD(void *, mmap, mmap, (void *a, size_t n, int prot, int fl, int fd, off_t o), (a, n, prot, fl, fd, o))
FORWARD(void *, mmap64, mmap, (void *a, size_t n, int prot, int fl, int fd, off64_t o),
        (a, n, prot, fl, fd, o))
FORWARD(int, munmap, munmap, (void *a, size_t n), (a, n))

/* ---- recognising the JACK process thread ---------------------------- */

struct cb_slot {
	JackProcessCallback cb;
	void *arg;
};

#define SHIM_SLOTS 16
static struct cb_slot slots[SHIM_SLOTS];
static atomic_uint nslots;

static int rt_process(jack_nframes_t nframes, void *arg)
{
	const struct cb_slot *s = arg;
	int saved_rt = in_rt, saved_depth = depth;
	in_rt = 1;
	depth = 0; /* whatever JACK was doing, the callback's calls count */
	atomic_fetch_add_explicit(&rt_cycles, 1, memory_order_relaxed);
	int r = s->cb(nframes, s->arg);
	in_rt = saved_rt;
	depth = saved_depth;
	return r;
}

SHIM_API int jack_set_process_callback(jack_client_t *client, JackProcessCallback cb, void *arg)
{
	static __typeof__(jack_set_process_callback) *real;
	if (!real)
		real = (__typeof__(jack_set_process_callback) *)next_sym("jack_set_process_callback");
	if (!real)
		missing("jack_set_process_callback");
	if (!cb)
		return real(client, cb, arg);
	unsigned i = atomic_fetch_add(&nslots, 1);
	if (i >= SHIM_SLOTS) {
		atomic_fetch_add(&unwrapped, 1);
		return real(client, cb, arg);
	}
	slots[i].cb = cb;
	slots[i].arg = arg;
	return real(client, rt_process, &slots[i]);
}

SHIM_API jack_nframes_t jack_cycle_wait(jack_client_t *client)
{
	static __typeof__(jack_cycle_wait) *real;
	if (!real)
		real = (__typeof__(jack_cycle_wait) *)next_sym("jack_cycle_wait");
	if (!real)
		missing("jack_cycle_wait");
	in_rt = 0;
	jack_nframes_t n = real(client);
	in_rt = 1;
	atomic_fetch_add_explicit(&rt_cycles, 1, memory_order_relaxed);
	return n;
}

SHIM_API void jack_cycle_signal(jack_client_t *client, int status)
{
	static __typeof__(jack_cycle_signal) *real;
	in_rt = 0;
	if (!real)
		real = (__typeof__(jack_cycle_signal) *)next_sym("jack_cycle_signal");
	if (!real)
		missing("jack_cycle_signal");
	real(client, status);
}

/* ---- test interface ------------------------------------------------- */

SHIM_API void jmx_rtshim_mark(int on)
{
	in_rt = on != 0;
	if (on)
		atomic_fetch_add_explicit(&rt_cycles, 1, memory_order_relaxed);
}

SHIM_API unsigned long jmx_rtshim_count(const char *name)
{
	for (int i = 0; i < C_COUNT; i++)
		if (strcmp(name, class_name[i]) == 0)
			return atomic_load(&hits[i]);
	return ULONG_MAX;
}

SHIM_API unsigned long jmx_rtshim_total(void)
{
	unsigned long t = 0;
	for (int i = 0; i < C_COUNT; i++)
		t += atomic_load(&hits[i]);
	return t;
}

SHIM_API unsigned long jmx_rtshim_cycles(void)
{
	return atomic_load(&rt_cycles);
}

/* ---- start and report ----------------------------------------------- */

__attribute__((constructor)) static void shim_init(void)
{
	resolve_all();
	owner_pid = getpid();
	const char *e = getenv("JMX_RTSHIM_ABORT");
	abort_on_hit = e && e[0] == '1';
	/* The first backtrace() loads libgcc_s (dlopen, malloc): do it now,
	 * on the main thread, so that the RT thread's one never does. */
	void *warm[4];
	if (backtrace(warm, 4) > 0)
		bt_ready = 1;
}

static size_t append(char *buf, size_t len, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t len, size_t cap, const char *fmt, ...)
{
	if (len >= cap)
		return len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return len;
	return len + (size_t)n < cap ? len + (size_t)n : cap - 1;
}

static void put_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = real_write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

__attribute__((destructor)) static void shim_fini(void)
{
	static char buf[8192];
	size_t len = 0;
	int saved = errno;

	if (getpid() != owner_pid || !real_write)
		return;
	in_rt = 0; /* the report itself is not an offence */
	depth++;
	unsigned long total = jmx_rtshim_total();
	len = append(buf, len, sizeof(buf), "rtshim: %lu forbidden calls, %lu rt cycles observed", total,
	             jmx_rtshim_cycles());
	if (total) {
		const char *sep = ": ";
		for (int i = 0; i < C_COUNT; i++) {
			unsigned long h = atomic_load(&hits[i]);
			if (h) {
				len = append(buf, len, sizeof(buf), "%s%s=%lu", sep, class_name[i], h);
				sep = " ";
			}
		}
	}
	len = append(buf, len, sizeof(buf), "\n");
	if (atomic_load(&unwrapped))
		len = append(buf, len, sizeof(buf), "rtshim: warning: %u process callbacks not watched\n",
		             atomic_load(&unwrapped));
	int have_first = atomic_load_explicit(&first_done, memory_order_acquire);
	if (have_first) {
		Dl_info di;
		int c = atomic_load(&first_class);
		if (dladdr(first_caller, &di) && di.dli_fname)
			len = append(buf, len, sizeof(buf), "rtshim: first: %s called from %s+0x%lx (%s)\n",
			             class_name[c], di.dli_fname,
			             (unsigned long)((char *)first_caller - (char *)di.dli_fbase),
			             di.dli_sname ? di.dli_sname : "static function");
		else
			len = append(buf, len, sizeof(buf), "rtshim: first: %s called from %p\n",
			             class_name[c], first_caller);
		len = append(buf, len, sizeof(buf), "rtshim: backtrace of the first offence:\n");
	}

	int fds[2] = {2, -1};
	const char *path = getenv("JMX_RTSHIM_REPORT");
	if (path && *path && real_open)
		fds[1] = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (int k = 0; k < 2; k++) {
		if (fds[k] < 0)
			continue;
		put_all(fds[k], buf, len);
		if (have_first && first_bt_n > 0)
			backtrace_symbols_fd(first_bt, first_bt_n, fds[k]);
	}
	if (fds[1] >= 0 && real_close)
		real_close(fds[1]);
	depth--;
	errno = saved;
}
