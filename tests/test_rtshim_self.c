/*
 * test_rtshim_self.c - proves that the RT shim (rtshim.c) catches every
 * class of forbidden call on a marked thread, counts each exactly once
 * (not the calls libc makes inside it), ignores unmarked threads and
 * unmarked periods, and lets the allowed calls (sem_post, sem_trywait,
 * unlock, mem/string functions, libm, clock_gettime) through uncounted.
 *
 * Run under LD_PRELOAD=rtshim.so by test_rtshim_self.sh, which also checks
 * the report the shim writes at exit.  Modes:
 *   (none)  the full check; prints "rtshim-self: total=N cycles=M"
 *   clean   five marked cycles of allowed calls only, exit 0
 *   exit7   one marked malloc, then exit(7): the shim must not alter it
 *
 * Threads: main, plus short-lived helpers for the cross-thread cases.
 * Built with -fno-builtin: the compiler must not delete or rewrite the
 * calls under test (free(malloc(n)), printf("x\n") -> puts).  glibc's
 * extern-inline stdio (putchar as putc, vprintf as vfprintf) is turned
 * off too, so that every wrapper of the shim is reached under its name.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef __NO_INLINE__
#define __NO_INLINE__ 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

static void (*shim_mark)(int);
static unsigned long (*shim_count)(const char *);
static unsigned long (*shim_total)(void);
static unsigned long (*shim_cycles)(void);

/* Resources the probes use, prepared outside the marked periods. */
static void *volatile g_ptr;
static FILE *f_null_w, *f_zero_r, *f_tmp;
static int fd_null, fd_zero, fd_ep, sk[2];
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cnd = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rwl = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static pthread_t thr;
static sem_t sem;
static char buf[256];
static const struct timespec ts_zero = {0, 0};
static const struct timespec ts_one_ns = {0, 1};

static void *noop_thread(void *arg)
{
	return arg;
}

static struct timespec in_future(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	t.tv_sec += 5;
	return t;
}

static struct timespec in_past(void)
{
	struct timespec t = {1, 0}; /* 1970: already expired */
	return t;
}

static int call_vprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vprintf(fmt, ap);
	va_end(ap);
	return r;
}

static int call_vfprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

static int call_vdprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vdprintf(fd, fmt, ap);
	va_end(ap);
	return r;
}

static void call_vsyslog(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsyslog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* ---- probes: one forbidden call each, in fn; pre and post unmarked ---- */

static void p_malloc(void)
{
	g_ptr = malloc(32);
}
static void p_calloc(void)
{
	g_ptr = calloc(4, 8);
}
static void p_realloc(void)
{
	g_ptr = realloc(g_ptr, 64);
}
static void p_reallocarray(void)
{
	g_ptr = reallocarray(g_ptr, 8, 16);
}
static void p_free(void)
{
	free(g_ptr);
	g_ptr = NULL;
}
static void p_posix_memalign(void)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, 64) == 0)
		g_ptr = p;
}
static void p_aligned_alloc(void)
{
	g_ptr = aligned_alloc(64, 128);
}
static void p_memalign(void)
{
	g_ptr = memalign(64, 64);
}
static void p_valloc(void)
{
	g_ptr = valloc(64);
}
static void p_pvalloc(void)
{
	g_ptr = pvalloc(64);
}
static void post_free(void)
{
	free(g_ptr);
	g_ptr = NULL;
}
static void pre_malloc(void)
{
	g_ptr = malloc(16);
}

static void p_mutex_lock(void)
{
	pthread_mutex_lock(&mtx);
	pthread_mutex_unlock(&mtx);
}
static void p_mutex_trylock(void)
{
	if (pthread_mutex_trylock(&mtx) == 0)
		pthread_mutex_unlock(&mtx);
}
static void p_mutex_timedlock(void)
{
	struct timespec t = in_future(CLOCK_REALTIME);
	if (pthread_mutex_timedlock(&mtx, &t) == 0)
		pthread_mutex_unlock(&mtx);
}
static void p_mutex_clocklock(void)
{
	struct timespec t = in_future(CLOCK_MONOTONIC);
	if (pthread_mutex_clocklock(&mtx, CLOCK_MONOTONIC, &t) == 0)
		pthread_mutex_unlock(&mtx);
}
static void p_spin_lock(void)
{
	pthread_spin_lock(&spin);
	pthread_spin_unlock(&spin);
}
static void pre_lock(void)
{
	pthread_mutex_lock(&mtx);
}
static void post_unlock(void)
{
	pthread_mutex_unlock(&mtx);
}
static void p_cond_timedwait(void)
{
	struct timespec t = in_past();
	pthread_cond_timedwait(&cnd, &mtx, &t);
}
static void p_cond_clockwait(void)
{
	struct timespec t = in_past();
	pthread_cond_clockwait(&cnd, &mtx, CLOCK_MONOTONIC, &t);
}
static void p_rdlock(void)
{
	pthread_rwlock_rdlock(&rwl);
	pthread_rwlock_unlock(&rwl);
}
static void p_wrlock(void)
{
	pthread_rwlock_wrlock(&rwl);
	pthread_rwlock_unlock(&rwl);
}
static void p_tryrdlock(void)
{
	if (pthread_rwlock_tryrdlock(&rwl) == 0)
		pthread_rwlock_unlock(&rwl);
}
static void p_trywrlock(void)
{
	if (pthread_rwlock_trywrlock(&rwl) == 0)
		pthread_rwlock_unlock(&rwl);
}
static void p_timedrdlock(void)
{
	struct timespec t = in_future(CLOCK_REALTIME);
	if (pthread_rwlock_timedrdlock(&rwl, &t) == 0)
		pthread_rwlock_unlock(&rwl);
}
static void p_timedwrlock(void)
{
	struct timespec t = in_future(CLOCK_REALTIME);
	if (pthread_rwlock_timedwrlock(&rwl, &t) == 0)
		pthread_rwlock_unlock(&rwl);
}
static void p_clockrdlock(void)
{
	struct timespec t = in_future(CLOCK_MONOTONIC);
	if (pthread_rwlock_clockrdlock(&rwl, CLOCK_MONOTONIC, &t) == 0)
		pthread_rwlock_unlock(&rwl);
}
static void p_clockwrlock(void)
{
	struct timespec t = in_future(CLOCK_MONOTONIC);
	if (pthread_rwlock_clockwrlock(&rwl, CLOCK_MONOTONIC, &t) == 0)
		pthread_rwlock_unlock(&rwl);
}
static void pre_thread(void)
{
	pthread_create(&thr, NULL, noop_thread, NULL);
}
static void p_join(void)
{
	pthread_join(thr, NULL);
}
static void p_create(void)
{
	pthread_create(&thr, NULL, noop_thread, NULL);
}
static void post_join(void)
{
	pthread_join(thr, NULL);
}
static void p_sem_wait(void)
{
	sem_wait(&sem);
}
static void p_sem_timedwait(void)
{
	struct timespec t = in_future(CLOCK_REALTIME);
	sem_timedwait(&sem, &t);
}
static void p_sem_clockwait(void)
{
	struct timespec t = in_future(CLOCK_MONOTONIC);
	sem_clockwait(&sem, CLOCK_MONOTONIC, &t);
}

static void p_printf(void)
{
	printf("rtshim-self: printf probe %d\n", 1);
}
static void p_fprintf(void)
{
	fprintf(f_null_w, "x%d", 1);
}
static void p_vprintf(void)
{
	call_vprintf("rtshim-self: vprintf probe %d\n", 1);
}
static void p_vfprintf(void)
{
	call_vfprintf(f_null_w, "x%d", 1);
}
static void p_dprintf(void)
{
	dprintf(fd_null, "x%d", 1);
}
static void p_vdprintf(void)
{
	call_vdprintf(fd_null, "x%d", 1);
}
static void p_puts(void)
{
	puts("rtshim-self: puts probe");
}
static void p_fputs(void)
{
	fputs("x", f_null_w);
}
static void p_fwrite(void)
{
	fwrite("xy", 1, 2, f_null_w);
}
static void p_fputc(void)
{
	fputc('x', f_null_w);
}
static void p_putc(void)
{
	putc('x', f_null_w);
}
static void p_putchar(void)
{
	putchar('\n');
}
static void p_fflush(void)
{
	fflush(f_null_w);
}
static void p_fopen(void)
{
	f_tmp = fopen("/dev/null", "r");
}
static void post_fclose(void)
{
	if (f_tmp)
		fclose(f_tmp);
	f_tmp = NULL;
}
static void pre_fopen(void)
{
	f_tmp = fopen("/dev/null", "r");
}
static void p_fclose(void)
{
	fclose(f_tmp);
	f_tmp = NULL;
}
static void p_fread(void)
{
	if (fread(buf, 1, 16, f_zero_r) != 16)
		buf[0] = 1;
}
static void p_perror(void)
{
	errno = 0;
	perror("rtshim-self: perror probe");
}

static void p_write(void)
{
	if (write(fd_null, "x", 1) != 1)
		buf[0] = 1;
}
static void p_read(void)
{
	if (read(fd_zero, buf, 8) != 8)
		buf[0] = 1;
}
static void p_pread(void)
{
	if (pread(fd_zero, buf, 8, 0) != 8)
		buf[0] = 1;
}
static void p_pwrite(void)
{
	if (pwrite(fd_null, "x", 1, 0) != 1)
		buf[0] = 1;
}
static void p_readv(void)
{
	struct iovec v = {buf, 8};
	if (readv(fd_zero, &v, 1) != 8)
		buf[0] = 1;
}
static void p_writev(void)
{
	struct iovec v = {buf, 8};
	if (writev(fd_null, &v, 1) != 8)
		buf[0] = 1;
}
static int fd_tmp = -1;
static void p_open(void)
{
	fd_tmp = open("/dev/null", O_RDONLY);
}
static void p_openat(void)
{
	fd_tmp = openat(AT_FDCWD, "/dev/null", O_RDONLY);
}
static void post_close(void)
{
	if (fd_tmp >= 0)
		close(fd_tmp);
	fd_tmp = -1;
}
static void pre_open(void)
{
	fd_tmp = open("/dev/null", O_RDONLY);
}
static void p_close(void)
{
	close(fd_tmp);
	fd_tmp = -1;
}
static void p_fsync(void)
{
	fsync(fd_null);
}
static void p_fdatasync(void)
{
	fdatasync(fd_null);
}
static void p_send(void)
{
	send(sk[0], "a", 1, MSG_DONTWAIT);
}
static void p_sendto(void)
{
	sendto(sk[0], "b", 1, MSG_DONTWAIT, NULL, 0);
}
static void p_sendmsg(void)
{
	struct iovec v = {(void *)"c", 1};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	sendmsg(sk[0], &m, MSG_DONTWAIT);
}
static void p_recv(void)
{
	recv(sk[1], buf, sizeof(buf), MSG_DONTWAIT);
}
static void p_recvfrom(void)
{
	recvfrom(sk[1], buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
}
static void p_recvmsg(void)
{
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	recvmsg(sk[1], &m, MSG_DONTWAIT);
}

static void p_sleep(void)
{
	sleep(0);
}
static void p_usleep(void)
{
	usleep(1);
}
static void p_nanosleep(void)
{
	nanosleep(&ts_one_ns, NULL);
}
static void p_clock_nanosleep(void)
{
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts_one_ns, NULL);
}
static void p_poll(void)
{
	poll(NULL, 0, 0);
}
static void p_ppoll(void)
{
	ppoll(NULL, 0, &ts_zero, NULL);
}
static void p_select(void)
{
	struct timeval tv = {0, 0};
	select(0, NULL, NULL, NULL, &tv);
}
static void p_pselect(void)
{
	pselect(0, NULL, NULL, NULL, &ts_zero, NULL);
}
static void p_epoll_wait(void)
{
	struct epoll_event ev;
	epoll_wait(fd_ep, &ev, 1, 0);
}
static void p_epoll_pwait(void)
{
	struct epoll_event ev;
	epoll_pwait(fd_ep, &ev, 1, 0, NULL);
}
static void p_syslog(void)
{
	syslog(LOG_DEBUG, "rtshim-self %d", 1);
}
static void p_vsyslog(void)
{
	call_vsyslog("rtshim-self %d", 1);
}
static void *g_map;
static void p_mmap(void)
{
	g_map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static void post_munmap(void)
{
	if (g_map != MAP_FAILED)
		munmap(g_map, 4096);
}
static void pre_mmap(void)
{
	g_map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static void p_munmap(void)
{
	munmap(g_map, 4096);
}

/* Everything a process callback may do: must not be counted. */
static atomic_int shared_flag;
static void p_allowed(void)
{
	struct timespec t;
	sem_post(&sem);
	if (sem_trywait(&sem) != 0)
		buf[0] = 1;
	memset(buf, 1, 64);
	memcpy(buf + 64, buf, 64);
	memmove(buf + 1, buf, 32);
	buf[200] = (char)strlen("abc");
	buf[201] = (char)(sinf((float)buf[0]) * 10.0f + powf(2.0f, 0.5f) + expf(0.1f) + log10f(3.0f));
	clock_gettime(CLOCK_MONOTONIC, &t);
	atomic_fetch_add(&shared_flag, 1);
	pthread_mutex_unlock(&mtx); /* the caller's pre_lock took it */
	(void)pthread_self();
}

struct probe {
	const char *cls; /* class the shim reports it under; NULL: allowed */
	void (*fn)(void);
	void (*pre)(void), (*post)(void);
};

#define P(c, f)                                                                                              \
	{                                                                                                    \
#c, f, NULL, NULL                                                                            \
	}
#define PP(c, f, pre, post)                                                                                  \
	{                                                                                                    \
#c, f, pre, post                                                                             \
	}

static const struct probe probes[] = {
    P(malloc, p_malloc),
    PP(realloc, p_realloc, NULL, NULL),
    PP(reallocarray, p_reallocarray, NULL, NULL),
    P(free, p_free),
    PP(calloc, p_calloc, NULL, post_free),
    PP(posix_memalign, p_posix_memalign, NULL, post_free),
    PP(aligned_alloc, p_aligned_alloc, NULL, post_free),
    PP(memalign, p_memalign, NULL, post_free),
    PP(valloc, p_valloc, NULL, post_free),
    PP(pvalloc, p_pvalloc, NULL, post_free),
    PP(free, p_free, pre_malloc, NULL),
    P(pthread_mutex_lock, p_mutex_lock),
    P(pthread_mutex_trylock, p_mutex_trylock),
    P(pthread_mutex_timedlock, p_mutex_timedlock),
    P(pthread_mutex_clocklock, p_mutex_clocklock),
    P(pthread_spin_lock, p_spin_lock),
    PP(pthread_cond_timedwait, p_cond_timedwait, pre_lock, post_unlock),
    PP(pthread_cond_clockwait, p_cond_clockwait, pre_lock, post_unlock),
    P(pthread_rwlock_rdlock, p_rdlock),
    P(pthread_rwlock_wrlock, p_wrlock),
    P(pthread_rwlock_tryrdlock, p_tryrdlock),
    P(pthread_rwlock_trywrlock, p_trywrlock),
    P(pthread_rwlock_timedrdlock, p_timedrdlock),
    P(pthread_rwlock_timedwrlock, p_timedwrlock),
    P(pthread_rwlock_clockrdlock, p_clockrdlock),
    P(pthread_rwlock_clockwrlock, p_clockwrlock),
    PP(pthread_join, p_join, pre_thread, NULL),
    PP(pthread_create, p_create, NULL, post_join),
    P(sem_wait, p_sem_wait),
    P(sem_timedwait, p_sem_timedwait),
    P(sem_clockwait, p_sem_clockwait),
    P(printf, p_printf),
    P(fprintf, p_fprintf),
    P(vprintf, p_vprintf),
    P(vfprintf, p_vfprintf),
    P(dprintf, p_dprintf),
    P(vdprintf, p_vdprintf),
    P(puts, p_puts),
    P(fputs, p_fputs),
    P(fwrite, p_fwrite),
    P(fputc, p_fputc),
    P(putc, p_putc),
    P(putchar, p_putchar),
    P(fflush, p_fflush),
    PP(fopen, p_fopen, NULL, post_fclose),
    P(fread, p_fread),
    PP(fclose, p_fclose, pre_fopen, NULL),
    P(perror, p_perror),
    P(write, p_write),
    P(read, p_read),
    P(pread, p_pread),
    P(pwrite, p_pwrite),
    P(readv, p_readv),
    P(writev, p_writev),
    PP(open, p_open, NULL, post_close),
    PP(openat, p_openat, NULL, post_close),
    PP(close, p_close, pre_open, NULL),
    P(fsync, p_fsync),
    P(fdatasync, p_fdatasync),
    P(send, p_send),
    P(sendto, p_sendto),
    P(sendmsg, p_sendmsg),
    P(recv, p_recv),
    P(recvfrom, p_recvfrom),
    P(recvmsg, p_recvmsg),
    P(sleep, p_sleep),
    P(usleep, p_usleep),
    P(nanosleep, p_nanosleep),
    P(clock_nanosleep, p_clock_nanosleep),
    P(poll, p_poll),
    P(ppoll, p_ppoll),
    P(select, p_select),
    P(pselect, p_pselect),
    P(epoll_wait, p_epoll_wait),
    P(epoll_pwait, p_epoll_pwait),
    P(syslog, p_syslog),
    P(vsyslog, p_vsyslog),
    PP(mmap, p_mmap, NULL, post_munmap),
    PP(munmap, p_munmap, pre_mmap, NULL),
    {NULL, p_allowed, pre_lock, NULL},
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

static void run_probe(const struct probe *p, int marked)
{
	if (p->pre)
		p->pre();
	if (marked)
		shim_mark(1);
	p->fn();
	if (marked)
		shim_mark(0);
	if (p->post)
		p->post();
}

/* pthread_cond_wait needs a second thread to wake the marked waiter. */
static pthread_mutex_t cw_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cw_c = PTHREAD_COND_INITIALIZER;
static int cw_flag;
static atomic_int cw_done;

static void *cond_waiter(void *arg)
{
	pthread_mutex_lock(&cw_m);
	shim_mark(1);
	do
		pthread_cond_wait(&cw_c, &cw_m);
	while (!cw_flag);
	shim_mark(0);
	pthread_mutex_unlock(&cw_m);
	atomic_store(&cw_done, 1);
	return arg;
}

static void check_cond_wait(void)
{
	unsigned long before = shim_count("pthread_cond_wait"), tb = shim_total();
	pthread_t t;
	CHECK(pthread_create(&t, NULL, cond_waiter, NULL) == 0, "pthread_create");
	for (int i = 0; i < 5000 && !atomic_load(&cw_done); i++) {
		pthread_mutex_lock(&cw_m);
		cw_flag = 1;
		pthread_cond_broadcast(&cw_c);
		pthread_mutex_unlock(&cw_m);
		usleep(1000);
	}
	CHECK(atomic_load(&cw_done), "the marked waiter was never woken");
	pthread_join(t, NULL);
	unsigned long d = shim_count("pthread_cond_wait") - before;
	CHECK(d >= 1, "pthread_cond_wait counted %lu times, want >= 1", d);
	CHECK(shim_total() - tb == d, "waiting counted %lu other calls", shim_total() - tb - d);
}

/* A marked thread's flag is its own: another thread's calls at the same
 * time are not counted. */
static atomic_int xt_go, xt_done;

static void *unmarked_worker(void *arg)
{
	while (!atomic_load(&xt_go))
		;
	void *volatile p = malloc(100);
	free(p);
	fprintf(f_null_w, "unmarked %d", 2);
	pthread_mutex_lock(&mtx);
	pthread_mutex_unlock(&mtx);
	atomic_store(&xt_done, 1);
	return arg;
}

static void check_other_thread(void)
{
	pthread_t t;
	CHECK(pthread_create(&t, NULL, unmarked_worker, NULL) == 0, "pthread_create");
	unsigned long tb = shim_total();
	shim_mark(1);
	atomic_store(&xt_go, 1);
	while (!atomic_load(&xt_done))
		;
	shim_mark(0);
	unsigned long d = shim_total() - tb;
	pthread_join(t, NULL);
	CHECK(d == 0, "%lu calls of an unmarked thread were counted", d);
}

static int setup(void)
{
	shim_mark = (void (*)(int))dlsym(RTLD_DEFAULT, "jmx_rtshim_mark");
	shim_count = (unsigned long (*)(const char *))dlsym(RTLD_DEFAULT, "jmx_rtshim_count");
	shim_total = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "jmx_rtshim_total");
	shim_cycles = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "jmx_rtshim_cycles");
	if (!shim_mark || !shim_count || !shim_total || !shim_cycles) {
		fprintf(stderr, "%s:%d: the RT shim is not loaded (run with LD_PRELOAD=rtshim.so)\n",
		        __FILE__, __LINE__);
		return -1;
	}
	f_null_w = fopen("/dev/null", "w");
	f_zero_r = fopen("/dev/zero", "r");
	fd_null = open("/dev/null", O_WRONLY);
	fd_zero = open("/dev/zero", O_RDONLY);
	fd_ep = epoll_create1(0);
	if (!f_null_w || !f_zero_r || fd_null < 0 || fd_zero < 0 || fd_ep < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, sk) != 0 || sem_init(&sem, 0, 1000) != 0 ||
	    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) != 0) {
		fprintf(stderr, "%s:%d: setup: %s\n", __FILE__, __LINE__, strerror(errno));
		return -1;
	}
	setlogmask(LOG_UPTO(LOG_EMERG)); /* the syslog probes send nothing */
	return 0;
}

static int mode_clean(void)
{
	for (int i = 0; i < 5; i++) {
		shim_mark(1);
		p_allowed();
		shim_mark(0);
		pthread_mutex_lock(&mtx); /* unmarked: p_allowed unlocks it */
	}
	pthread_mutex_unlock(&mtx);
	return 0;
}

int main(int argc, char **argv)
{
	if (setup() != 0)
		return 2;
	if (argc > 1 && strcmp(argv[1], "clean") == 0) {
		pthread_mutex_lock(&mtx);
		return mode_clean();
	}
	if (argc > 1 && strcmp(argv[1], "exit7") == 0) {
		shim_mark(1);
		g_ptr = malloc(10);
		shim_mark(0);
		exit(7);
	}

	/* Unmarked: the same calls are never counted. */
	for (size_t i = 0; i < NPROBES; i++)
		run_probe(&probes[i], 0);
	CHECK(shim_total() == 0, "%lu unmarked calls were counted", shim_total());
	CHECK(shim_count("no_such_function") == (unsigned long)-1, "unknown class name");

	/* Marked: each probe is counted once, under its own class, and the
	 * calls libc makes inside it (fopen -> malloc) are not. */
	unsigned long cyc0 = shim_cycles();
	for (size_t i = 0; i < NPROBES; i++) {
		const struct probe *p = &probes[i];
		unsigned long before = p->cls ? shim_count(p->cls) : 0, tb = shim_total();
		run_probe(p, 1);
		unsigned long d = p->cls ? shim_count(p->cls) - before : 0, dt = shim_total() - tb;
		if (p->cls) {
			CHECK(d == 1, "%s: counted %lu times, want 1", p->cls, d);
			CHECK(dt == 1, "%s: %lu calls counted in all, want 1", p->cls, dt);
		} else {
			CHECK(dt == 0, "allowed calls: %lu counted, want 0", dt);
		}
	}
	CHECK(shim_cycles() - cyc0 == NPROBES, "cycles: %lu marks, %lu counted", (unsigned long)NPROBES,
	      shim_cycles() - cyc0);

	check_cond_wait();
	check_other_thread();
	CHECK(shim_count("pthread_cond_wait") >= 1, "cond_wait");

	/* Every class the shim reports was exercised by a probe above. */
	static const char *const all[] = {
	    "malloc",
	    "calloc",
	    "realloc",
	    "reallocarray",
	    "free",
	    "posix_memalign",
	    "aligned_alloc",
	    "memalign",
	    "valloc",
	    "pvalloc",
	    "pthread_mutex_lock",
	    "pthread_mutex_trylock",
	    "pthread_mutex_timedlock",
	    "pthread_mutex_clocklock",
	    "pthread_spin_lock",
	    "pthread_cond_wait",
	    "pthread_cond_timedwait",
	    "pthread_cond_clockwait",
	    "pthread_rwlock_rdlock",
	    "pthread_rwlock_wrlock",
	    "pthread_rwlock_tryrdlock",
	    "pthread_rwlock_trywrlock",
	    "pthread_rwlock_timedrdlock",
	    "pthread_rwlock_timedwrlock",
	    "pthread_rwlock_clockrdlock",
	    "pthread_rwlock_clockwrlock",
	    "pthread_join",
	    "pthread_create",
	    "sem_wait",
	    "sem_timedwait",
	    "sem_clockwait",
	    "printf",
	    "fprintf",
	    "vprintf",
	    "vfprintf",
	    "dprintf",
	    "vdprintf",
	    "puts",
	    "fputs",
	    "fwrite",
	    "fputc",
	    "putc",
	    "putchar",
	    "fflush",
	    "fopen",
	    "fread",
	    "fclose",
	    "perror",
	    "write",
	    "read",
	    "pread",
	    "pwrite",
	    "readv",
	    "writev",
	    "open",
	    "openat",
	    "close",
	    "fsync",
	    "fdatasync",
	    "send",
	    "sendto",
	    "sendmsg",
	    "recv",
	    "recvfrom",
	    "recvmsg",
	    "sleep",
	    "usleep",
	    "nanosleep",
	    "clock_nanosleep",
	    "poll",
	    "ppoll",
	    "select",
	    "pselect",
	    "epoll_wait",
	    "epoll_pwait",
	    "syslog",
	    "vsyslog",
	    "mmap",
	    "munmap",
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		CHECK(shim_count(all[i]) >= 1 && shim_count(all[i]) != (unsigned long)-1,
		      "class %s never counted", all[i]);

	printf("rtshim-self: total=%lu cycles=%lu\n", shim_total(), shim_cycles());
	return test_exit("test_rtshim_self");
}
