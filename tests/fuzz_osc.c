/*
 * fuzz_osc.c - libFuzzer target: arbitrary datagrams through osc_net_dispatch,
 * the function the daemon's socket feeds, with no socket and no JACK (the
 * model publishes into a plain queue nobody drains; replies go to a hook).
 *
 * Invariants checked after every input: every value in the model is
 * finite and inside its range, every datagram the daemon would send is a
 * valid OSC message (liblo can parse it), and sanitizers see no error.
 * The first byte chooses the sender (loopback or not, port) and the time
 * step, so leases, coalescing, bursts and the allow-list are reached too.
 *
 * The curve commands (curve_osc.c) are bound, as in the daemon.
 *
 * Build: tests/fuzz-osc.sh (clang -fsanitize=fuzzer,address,undefined).
 * Threads: one.
 */
#include <arpa/inet.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curve_osc.h"
#include "log.h"
#include "model.h"
#include "osc.h"
#include "osc_net.h"
#include "params.h"
#include "rtqueue.h"

static struct osc *osc;
static struct osc_net *net;
static struct model *model;
static struct rtq q;
static uint64_t now = 1000;
static unsigned char buf[65536];

static void hook(void *ctx, const void *data, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	int res = 0;
	(void)ctx;
	(void)to;
	(void)tolen;
	lo_message m = lo_message_deserialise((void *)data, len, &res);
	if (!m) {
		fprintf(stderr, "fuzz_osc: the daemon would send an invalid OSC message (%d)\n", res);
		abort();
	}
	lo_message_free(m);
}

static int meter_take(void *ctx, enum param_id id, unsigned idx, float out[2])
{
	(void)ctx;
	(void)idx;
	out[0] = -20.0f;
	out[1] = -23.0f;
	return id == P_CH_METER || id == P_BUS_METER || id == P_MASTER_METER ? 2 : 1;
}

static unsigned rate(void *ctx)
{
	(void)ctx;
	return 48000;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERR);
	struct param_shape shape = {4, 2};
	if (rtq_init(&q, 1024, sizeof(struct rt_msg)) < 0)
		abort();
	model = model_new(&shape, &q);
	struct osc_net_config cfg;
	osc_net_config_init(&cfg);
	cfg.no_socket = 1;
	cfg.allow[cfg.n_allow++] = "10.1.0.0/16";
	cfg.feedback[cfg.n_feedback++] = "127.0.0.9:9999";
	struct osc_host host = {"fuzz", "0", NULL, NULL, NULL, meter_take, NULL};
	osc = model ? osc_new(&host, model, NULL) : NULL;
	net = osc ? osc_net_new(osc, &cfg, NULL) : NULL;
	if (!net)
		abort();
	osc_net_set_send_hook(net, hook, NULL);
	/* the curve commands parse a channel out of the address themselves */
	if (!curve_osc_new(model, osc, rate, NULL))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > sizeof buf)
		return 0;
	uint8_t sel = data[0];
	memcpy(buf, data + 1, size - 1);
	struct sockaddr_in from;
	memset(&from, 0, sizeof from);
	from.sin_family = AF_INET;
	from.sin_port = htons((uint16_t)(5000 + (sel & 7)));
	static const char *const ips[4] = {"127.0.0.1", "127.0.0.2", "10.1.2.3", "192.0.2.1"};
	inet_pton(AF_INET, ips[(sel >> 3) & 3], &from.sin_addr);
	osc_net_dispatch(net, buf, size - 1, (struct sockaddr *)&from, sizeof from, now);
	now += (uint64_t)(sel >> 5) * 700u; /* 0 .. 4.9 s */
	osc_tick(osc, now);
	if (sel & 0x80)
		osc_meter_tick(osc, now);

	const struct param_shape *sh = model_shape(model);
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		if (p->type == PT_STRING || p->type == PT_METER)
			continue;
		unsigned n = param_instances((enum param_id)id, sh), n1, n2;
		model_dims(model, (enum param_id)id, &n1, &n2);
		for (unsigned k = 0; k < n; k++) {
			float v = model_get(model, (enum param_id)id, k / n2, k % n2);
			if (!isfinite(v) || v < p->min || v > p->max) {
				fprintf(stderr, "fuzz_osc: %s[%u] = %g outside %g..%g\n", p->name, k,
				        (double)v, (double)p->min, (double)p->max);
				abort();
			}
		}
	}
	/* let the queue drain sometimes, as the audio thread would */
	if (sel & 0x40) {
		struct rt_msg m;
		while (rtq_pop(&q, &m) == 0) {
			if (m.id >= P_COUNT || !isfinite(m.value))
				abort();
		}
	}
	return 0;
}
