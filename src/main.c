/*
 * main.c - command line, start-up in dependency order, shutdown in reverse.
 *
 * Threads: the main thread, which becomes the control thread once
 * start-up is done.  Only main() decides the exit status.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "engine.h"
#include "log.h"
#include "model.h"
#include "params.h"

#define MAX_PATTERNS 16

struct options {
	const char *name;
	const char *server;
	unsigned mono, stereo, buses;
	const char *connect_inputs[MAX_PATTERNS];
	unsigned n_connect_inputs;
	const char *connect_master[MAX_PATTERNS];
	unsigned n_connect_master;
	int verbosity;
	int dump_osc;
};

struct app {
	struct options opt;
	struct control *ctl;
	struct engine *engine;
	struct model *model;
	int exit_code;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: jackmixd [options]\n"
	        "A headless real-time mixing console for JACK.\n\n"
	        "  -n, --name NAME            JACK client name (default jackmixd)\n"
	        "  -S, --server NAME          JACK server (default $JACK_DEFAULT_SERVER or the default server)\n"
	        "  -c, --channels N           mono channels, 1..%u (default 8)\n"
	        "      --stereo-channels M    stereo channels after the mono ones (default 0)\n"
	        "  -b, --buses N              stereo aux buses, 0..%u (default 2)\n"
	        "  -i, --connect-inputs GLOB  connect channel inputs in order to JACK ports matching GLOB\n"
	        "  -o, --connect-master GLOB  connect master_L/R to JACK ports matching GLOB\n"
	        "      --dump-osc             print the parameter table (OSC namespace) and exit\n"
	        "  -v, --verbose              more log output (repeatable)\n"
	        "  -q, --quiet                errors only\n"
	        "  -h, --help                 this help\n"
	        "  -V, --version              print the version and exit\n",
	        JMX_MAX_CHANNELS, JMX_MAX_BUSES);
}

/* Strict unsigned parse: the whole argument, in range, else an error that
 * names the option. */
static int parse_uint(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, "jackmixd: %s: '%s' is not a whole number in %u..%u\n", opt, arg, min, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static void dump_osc(FILE *f)
{
	fprintf(f, "# path\ttype\tunit\tmin\tmax\tdefault\tdoc\n");
	for (unsigned id = 0; id < P_COUNT; id++) {
		const struct param_info *p = &param_table[id];
		static const char *const types[] = { "f", "i", "i", "s", "ro" };
		fprintf(f, "%s\t%s\t%s\t%g\t%g\t%g\t%s\n", p->path, types[p->type], p->unit[0] ? p->unit : "-",
		        p->min, p->max, p->def[0], p->doc);
	}
}

/* Returns 0 to run, 1 to exit successfully now, -1 on a usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_STEREO = 256, OPT_DUMP_OSC };
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "server", required_argument, NULL, 'S' },
		{ "channels", required_argument, NULL, 'c' },
		{ "stereo-channels", required_argument, NULL, OPT_STEREO },
		{ "buses", required_argument, NULL, 'b' },
		{ "connect-inputs", required_argument, NULL, 'i' },
		{ "connect-master", required_argument, NULL, 'o' },
		{ "dump-osc", no_argument, NULL, OPT_DUMP_OSC },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->name = "jackmixd";
	o->server = getenv("JACK_DEFAULT_SERVER");
	if (o->server && !*o->server)
		o->server = NULL;
	o->mono = 8;
	o->stereo = 0;
	o->buses = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:S:c:b:i:o:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!*optarg || strlen(optarg) > 63) {
				fprintf(stderr, "jackmixd: --name: must be 1..63 characters\n");
				return -1;
			}
			o->name = optarg;
			break;
		case 'S':
			o->server = optarg;
			break;
		case 'c':
			if (parse_uint("--channels", optarg, 1, JMX_MAX_CHANNELS, &o->mono) < 0)
				return -1;
			break;
		case OPT_STEREO:
			if (parse_uint("--stereo-channels", optarg, 0, JMX_MAX_CHANNELS, &o->stereo) < 0)
				return -1;
			break;
		case 'b':
			if (parse_uint("--buses", optarg, 0, JMX_MAX_BUSES, &o->buses) < 0)
				return -1;
			break;
		case 'i':
		case 'o': {
			unsigned *n = c == 'i' ? &o->n_connect_inputs : &o->n_connect_master;
			const char **list = c == 'i' ? o->connect_inputs : o->connect_master;
			if (*n >= MAX_PATTERNS) {
				fprintf(stderr, "jackmixd: %s: at most %d patterns\n",
				        c == 'i' ? "--connect-inputs" : "--connect-master", MAX_PATTERNS);
				return -1;
			}
			list[(*n)++] = optarg;
			break;
		}
		case OPT_DUMP_OSC:
			o->dump_osc = 1;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = -2;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("jackmixd %s\n", PACKAGE_VERSION);
			return 1;
		case ':':
			fprintf(stderr, "jackmixd: %s: needs a value\n", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				fprintf(stderr, "jackmixd: -%c: unknown option (see --help)\n", optopt);
			else
				fprintf(stderr, "jackmixd: %s: unknown option (see --help)\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jackmixd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	if (o->mono + o->stereo > JMX_MAX_CHANNELS) {
		fprintf(stderr, "jackmixd: --channels + --stereo-channels: at most %u channels in all\n",
		        JMX_MAX_CHANNELS);
		return -1;
	}
	return 0;
}

static void on_event(void *ctx, enum control_event ev)
{
	struct app *app = ctx;
	switch (ev) {
	case CTL_EV_SIGTERM:
		log_info("signal received, shutting down");
		control_stop(app->ctl);
		break;
	case CTL_EV_SIGHUP:
		log_info("SIGHUP: nothing to reload");
		break;
	case CTL_EV_SHUTDOWN:
		log_err("the JACK server went away");
		app->exit_code = 1;
		control_stop(app->ctl);
		break;
	default:
		break;
	}
}

static void on_housekeeping(void *ctx, uint64_t now)
{
	struct app *app = ctx;
	(void)now;
	model_commit(app->model); /* anything a full queue held back */
	engine_tick(app->engine);
}

int main(int argc, char **argv)
{
	struct app app;
	memset(&app, 0, sizeof app);

	int r = parse_options(argc, argv, &app.opt);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (app.opt.dump_osc) {
		dump_osc(stdout);
		return 0;
	}
	log_set_level(LOG_INFO + app.opt.verbosity);

	struct engine_config ec = { app.opt.name, app.opt.server, app.opt.mono, app.opt.stereo, app.opt.buses };
	struct param_shape shape = { app.opt.mono + app.opt.stereo, app.opt.buses };

	app.exit_code = 1;
	app.ctl = control_new();
	if (!app.ctl)
		goto out;
	if (control_install_signals(app.ctl) < 0) {
		log_err("cannot install signal handlers");
		goto out;
	}
	control_set_event_handler(app.ctl, on_event, &app);
	app.engine = engine_open(&ec, app.ctl);
	if (!app.engine)
		goto out;
	app.model = model_new(&shape, engine_queue(app.engine));
	if (!app.model) {
		log_err("out of memory");
		goto out;
	}
	if (control_add_timer(app.ctl, 10, on_housekeeping, &app) < 0)
		goto out;
	if (engine_start(app.engine) < 0)
		goto out;
	for (unsigned i = 0; i < app.opt.n_connect_inputs; i++)
		engine_connect_inputs(app.engine, app.opt.connect_inputs[i]);
	for (unsigned i = 0; i < app.opt.n_connect_master; i++)
		engine_connect_master(app.engine, app.opt.connect_master[i]);

	app.exit_code = 0;
	log_info("running");
	control_run(app.ctl);
out:
	engine_close(app.engine);
	model_free(app.model);
	control_free(app.ctl);
	return app.exit_code;
}
