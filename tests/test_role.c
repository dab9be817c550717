/*
 * test_role.c - the thread contract's run-time check (src/rt/role.h).  In
 * a debug build (--enable-debug; asan.sh builds one) a module entry point
 * called from a thread its contract does not name aborts: an RT-only
 * function (mixer_process) from the control thread, a control-only one
 * (model_new) from the RT thread, a disk-only one (loudness_reset) from
 * the control thread; each is tried in a child process that must die of
 * SIGABRT, and the same calls from the right thread, or from a thread
 * with no role (a test's own), must not.  In a normal build the checks
 * cost nothing and catch nothing: the same wrong calls must return.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loudness.h"
#include "mixer.h"
#include "model.h"
#include "role.h"
#include "test_util.h"

#ifdef JMX_DEBUG
#define EXPECT_ABORT 1
#else
#define EXPECT_ABORT 0
#endif

enum call { CALL_MIXER_PROCESS, CALL_MODEL_NEW, CALL_LOUDNESS_RESET };

/* Build what the call needs on the control thread, then make the one
 * call under test as role r. */
static void do_call(enum call c, unsigned r)
{
	static const struct param_shape shape = {2, 1};
	switch (c) {
	case CALL_MIXER_PROCESS: {
		struct mixer_config cfg = {0};
		cfg.mono = 2, cfg.buses = 1, cfg.rate = 48000;
		struct mixer *m = mixer_new(&cfg);
		float in[2][64] = {{0}}, outb[16][64];
		const float *ip[2] = {in[0], in[1]};
		float *op[16];
		for (unsigned k = 0; k < 16; k++)
			op[k] = outb[k];
		ROLE_SET(r);
		if (m)
			mixer_process(m, ip, op, 64);
		break;
	}
	case CALL_MODEL_NEW:
		ROLE_SET(r);
		model_free(model_new(&shape, NULL));
		break;
	case CALL_LOUDNESS_RESET: {
		struct loudness *l = loudness_new(48000, 2);
		ROLE_SET(r);
		if (l)
			loudness_reset(l);
		break;
	}
	}
}

/* Run call c in a child whose thread has role r (0: none); 1 if the child
 * died of SIGABRT, 0 if it returned normally, -1 otherwise. */
static int aborts(enum call c, unsigned r)
{
	pid_t pid = fork();
	if (pid == 0) {
		/* no core files and no assert text in the test log */
		freopen("/dev/null", "w", stderr);
		ROLE_SET(ROLE_CONTROL);
		do_call(c, r);
		_exit(0);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(void)
{
	static const struct {
		enum call c;
		unsigned wrong, right;
		const char *what;
	} cases[] = {
	    {CALL_MIXER_PROCESS, ROLE_CONTROL, ROLE_RT, "mixer_process (RT only)"},
	    {CALL_MODEL_NEW, ROLE_RT, ROLE_CONTROL, "model_new (control only)"},
	    {CALL_LOUDNESS_RESET, ROLE_CONTROL, ROLE_DISK, "loudness_reset (disk only)"},
	};
	for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int w = aborts(cases[k].c, cases[k].wrong);
		CHECK(w == EXPECT_ABORT, "%s from the wrong thread: %s", cases[k].what,
		      w == 1   ? "aborted"
		      : w == 0 ? "returned"
		               : "failed otherwise");
		CHECK(aborts(cases[k].c, cases[k].right) == 0, "%s from its own thread must return",
		      cases[k].what);
		CHECK(aborts(cases[k].c, 0) == 0, "%s from a thread with no role must return", cases[k].what);
	}
	printf("role checks %s in this build\n", EXPECT_ABORT ? "on" : "off");
	return test_exit("test_role");
}
