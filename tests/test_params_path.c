/*
 * test_params_path.c - the path codec (params_path.c): every form of every
 * parameter instance of a console formats to a path that resolves back to
 * the same parameter, indices and form; numbers out of the shape, missing
 * or too long are refused with the reason the surfaces print; and the float
 * text reads back as the same float.
 *
 *   test_params_path [DUMP]   DUMP: the output of `jackmixd --dump-osc`;
 *                             every path and normalised path it lists must
 *                             expand and parse back too (osc-man.sh runs it)
 */
#include <stdio.h>
#include <string.h>

#include "params_path.h"
#include "test_util.h"

static const struct param_shape shape = {5, 3};

/* One concrete path must resolve to exactly (id, i1, i2) in form f. */
static void round_trip(enum param_id id, enum params_form f, unsigned i1, unsigned i2)
{
	char path[PARAMS_PATH_MAX], why[80];
	enum param_id rid;
	enum params_form rf;
	unsigned r1 = 99, r2 = 99;
	size_t n = params_path_format(id, f, i1, i2, path, sizeof path);
	CHECK(n > 0 && n == strlen(path), "%s form %d (%u,%u): formatted '%s'", param_table[id].name, f, i1,
	      i2, path);
	int rc =
	    params_path_resolve(path, n, PARAMS_FORM_BIT(f), &shape, &rid, &rf, &r1, &r2, why, sizeof why);
	CHECK(rc == 0 && rid == id && rf == f && r1 == i1 && r2 == i2,
	      "%s: rc %d id %s form %d (%u,%u), want %s (%u,%u)", path, rc, rc ? "-" : param_table[rid].name,
	      rf, r1, r2, param_table[id].name, i1, i2);
}

/* The templates of --dump-osc: each expands for the first and the last
 * instance and resolves to a parameter whose template it is. */
static void dump_paths(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	unsigned seen = 0;
	CHECK(f != NULL, "cannot open %s", file);
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t'), *tab2;
		if (line[0] != '/' || !tab)
			continue;
		tab2 = strchr(tab + 1, '\t');
		*tab = 0;
		if (tab2)
			*tab2 = 0;
		const char *forms[2] = {line, tab + 1};
		for (unsigned k = 0; k < 2; k++) {
			size_t tlen = strlen(forms[k]);
			unsigned num[PARAMS_SLOTS], count = 0;
			char key[PARAMS_PATH_MAX];
			if (forms[k][0] != '/')
				continue; /* "-": no normalised form */
			/* which parameter: the one whose template this is */
			int id = -1;
			for (unsigned p = 0; p < P_COUNT && id < 0; p++) {
				size_t pl;
				const char *t = params_path_template((enum param_id)p,
				                                     k ? PARAMS_NORM : PARAMS_UNIT, &pl);
				if (t && pl == tlen && !memcmp(t, forms[k], tlen))
					id = (int)p;
			}
			if (id < 0)
				continue; /* a command, not a parameter */
			params_path_key(forms[k], tlen, key, sizeof key);
			for (const char *c = key; *c; c++)
				count += *c == '#';
			(void)num;
			unsigned n1, n2;
			param_dims((enum param_id)id, &shape, &n1, &n2);
			round_trip((enum param_id)id, k ? PARAMS_NORM : PARAMS_UNIT, 0, 0);
			round_trip((enum param_id)id, k ? PARAMS_NORM : PARAMS_UNIT, n1 - 1, n2 - 1);
			seen++;
		}
	}
	fclose(f);
	CHECK(seen >= P_COUNT, "only %u parameter paths in %s", seen, file);
}

static void expect_refused(const char *path, int rc_want, const char *why_want)
{
	char why[80] = "";
	enum param_id id;
	unsigned i1, i2;
	int rc = params_path_resolve(path, strlen(path),
	                             PARAMS_FORM_BIT(PARAMS_UNIT) | PARAMS_FORM_BIT(PARAMS_NORM), &shape, &id,
	                             NULL, &i1, &i2, why, sizeof why);
	CHECK(rc == rc_want && strstr(why, why_want), "%s: rc %d why '%s', want %d '%s'", path, rc, why,
	      rc_want, why_want);
}

int main(int argc, char **argv)
{
	unsigned paths = 0;
	for (unsigned id = 0; id < P_COUNT; id++) {
		unsigned n1, n2;
		param_dims((enum param_id)id, &shape, &n1, &n2);
		for (unsigned f = PARAMS_UNIT; f <= PARAMS_BASE; f++) {
			size_t tlen;
			const char *t = params_path_template((enum param_id)id, (enum params_form)f, &tlen);
			if (!t)
				continue;
			/* a normalised path equal to the unit path resolves as the unit form */
			if (f == PARAMS_NORM && !strcmp(t, param_table[id].path))
				continue;
			/* automation bases: only automatable parameters have lanes */
			if (f == PARAMS_BASE && !param_automatable((enum param_id)id))
				continue;
			for (unsigned i1 = 0; i1 < n1; i1++)
				for (unsigned i2 = 0; i2 < n2; i2++) {
					round_trip((enum param_id)id, (enum params_form)f, i1, i2);
					paths++;
				}
		}
	}
	printf("%u paths round-tripped\n", paths);

	/* the shapes' bounds, and the reasons surfaces print */
	expect_refused("/ch/6/fader/db", PARAMS_PATH_RANGE, "channel 6 out of range (1..5)");
	expect_refused("/ch/0/fader/db", PARAMS_PATH_RANGE, "channel 0 out of range (1..5)");
	expect_refused("/ch/1/send/4/level/db", PARAMS_PATH_RANGE, "bus 4 out of range (1..3)");
	expect_refused("/bus/4/fader/db", PARAMS_PATH_RANGE, "bus 4 out of range (1..3)");
	expect_refused("/ch/1/eq/5/hz", PARAMS_PATH_RANGE, "band 5 out of range (1..4)");
	expect_refused("/ch/1234567890/fader/db", PARAMS_PATH_UNKNOWN, "unknown path");
	expect_refused("/ch//fader/db", PARAMS_PATH_UNKNOWN, "unknown path");
	expect_refused("/ch/x/fader/db", PARAMS_PATH_UNKNOWN, "unknown path");
	expect_refused("/ch/1/fader/db/", PARAMS_PATH_UNKNOWN, "unknown path");
	expect_refused("/ch/1/fader/d", PARAMS_PATH_UNKNOWN, "unknown path");
	/* leading zeros are the same number; a huge one saturates, still refused */
	{
		char why[80];
		enum param_id id;
		unsigned i1, i2;
		int rc = params_path_resolve("/ch/003/eq/02/hz", 16, PARAMS_FORM_BIT(PARAMS_UNIT), &shape,
		                             &id, NULL, &i1, &i2, why, sizeof why);
		CHECK(rc == 0 && id == P_CH_EQ_HZ && i1 == 2 && i2 == 1, "leading zeros: rc %d (%u,%u)", rc,
		      i1, i2);
		expect_refused("/ch/999999999/fader/db", PARAMS_PATH_RANGE, "channel 99999 out of range");
	}
	/* a length limit: only len bytes count */
	{
		char why[80];
		enum param_id id;
		unsigned i1, i2;
		CHECK(params_path_resolve("/ch/2/mute/extra", 10, PARAMS_FORM_BIT(PARAMS_UNIT), &shape, &id,
		                          NULL, &i1, &i2, why, sizeof why) == 0 &&
		          id == P_CH_MUTE && i1 == 1,
		      "resolve honours len");
	}
	/* ordered numbers -> slots follow the template: /ch/<n>/send/<a>/... */
	{
		unsigned ord[2] = {4, 2}, num[PARAMS_SLOTS];
		CHECK(params_path_slots(param_table[P_CH_SEND_LEVEL].path, ord, 2, num) == 0 &&
		          num[PARAMS_SLOT_N] == 4 && num[PARAMS_SLOT_A] == 2 && num[PARAMS_SLOT_B] == 0,
		      "slots of a send");
		CHECK(params_path_slots(param_table[P_CH_SEND_LEVEL].path, ord, 1, num) < 0,
		      "too few numbers");
	}
	/* a buffer too small formats nothing rather than a truncated path */
	{
		char small[6] = "x";
		CHECK(params_path_format(P_CH_FADER, PARAMS_UNIT, 0, 0, small, sizeof small) == 0 &&
		          small[0] == 0,
		      "too small: '%s'", small);
	}
	/* float text: shortest, plain where readable, exact */
	{
		static const struct {
			float v;
			const char *text;
		} fx[] = {{80.0f, "80"}, {-6.5f, "-6.5"}, {0.0f, "0"}, {0.7071f, "0.7071"}, {1e-9f, "1e-09"}};
		char buf[32];
		for (unsigned k = 0; k < sizeof fx / sizeof fx[0]; k++) {
			params_path_fmt_float(buf, sizeof buf, fx[k].v);
			CHECK(!strcmp(buf, fx[k].text), "fmt %g: '%s', want '%s'", fx[k].v, buf, fx[k].text);
		}
		unsigned x = 12345u;
		for (int k = 0; k < 100000; k++) {
			union {
				uint32_t u;
				float f;
			} u;
			x = x * 1664525u + 1013904223u;
			u.u = x;
			if (!isfinite(u.f))
				continue;
			params_path_fmt_float(buf, sizeof buf, u.f);
			CHECK(strtof(buf, NULL) == u.f, "fmt round trip of %a: '%s'", u.f, buf);
		}
	}
	if (argc > 1)
		dump_paths(argv[1]);
	return test_exit("test_params_path");
}
