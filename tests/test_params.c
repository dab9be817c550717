/*
 * test_params.c - integrity of THE parameter table and its tapers: unique
 * well-formed paths, defaults inside ranges, the X32 fader law at its
 * anchors, and normalised <-> engineering round trips.
 */
#include <string.h>

#include "dsp.h"
#include "params.h"
#include "test_util.h"

int main(void)
{
	/* paths: unique, absolute, no spaces */
	for (unsigned i = 0; i < P_COUNT; i++) {
		const struct param_info *p = &param_table[i];
		CHECK(p->path && p->path[0] == '/', "%s: path must start with /", p->name);
		CHECK(strchr(p->path, ' ') == NULL, "%s: no spaces in paths", p->name);
		CHECK(p->doc && p->doc[0], "%s: needs a doc string", p->name);
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(p->path, param_table[j].path) != 0, "duplicate path %s", p->path);
		if (p->type == PT_FLOAT || p->type == PT_BOOL || p->type == PT_ENUM)
			for (unsigned b = 0; b < 4; b++)
				CHECK(p->def[b] >= p->min && p->def[b] <= p->max,
				      "%s: default %g outside %g..%g", p->name, p->def[b], p->min, p->max);
		if (p->type == PT_ENUM) {
			unsigned words = 1;
			for (const char *c = p->enums; *c; c++)
				words += *c == ' ';
			CHECK(p->enums && words == (unsigned)p->max + 1, "%s: %u enum names for max %g",
			      p->name, words, p->max);
		}
		if (p->taper == TP_LOG)
			CHECK(p->min > 0, "%s: log taper needs min > 0", p->name);
	}

	/* X32 fader law anchors: norm -> dB -> norm */
	static const struct {
		float f, db;
	} anchor[] = {{0.0f, JMX_DB_OFF}, {0.0625f, -60}, {0.25f, -30},  {0.5f, -10},
	              {0.75f, 0},         {1.0f, 10},     {0.125f, -50}, {0.375f, -20}};
	for (unsigned i = 0; i < sizeof anchor / sizeof anchor[0]; i++) {
		CHECK_NEAR(dsp_fader_to_db(anchor[i].f), anchor[i].db, 1e-4, "fader law norm->dB");
		CHECK_NEAR(dsp_db_to_fader(anchor[i].db), anchor[i].f, 1e-6, "fader law dB->norm");
	}
	/* continuity at the segment joints and monotonicity */
	float prev = -1000;
	for (int i = 1; i <= 10000; i++) {
		float db = dsp_fader_to_db(i / 10000.0f);
		CHECK(db >= prev, "fader law must be monotonic at %d", i);
		prev = db;
	}

	/* round trips along every taper */
	for (unsigned i = 0; i < P_COUNT; i++) {
		const struct param_info *p = &param_table[i];
		if (p->type != PT_FLOAT || p->taper == TP_NONE)
			continue;
		for (int k = 0; k <= 20; k++) {
			float n = k / 20.0f;
			float v = param_from_norm((enum param_id)i, n);
			CHECK(v >= p->min - 1e-3f * fabsf(p->min) && v <= p->max + 1e-3f * fabsf(p->max),
			      "%s: from_norm(%g) = %g outside range", p->name, n, v);
			CHECK_NEAR(param_to_norm((enum param_id)i, v), n, 1e-4, p->name);
		}
	}
	/* log taper is geometric: the middle of 20..20000 Hz is 632.5 Hz */
	CHECK_NEAR(param_from_norm(P_CH_EQ_HZ, 0.5f), sqrt(20.0 * 20000.0), 0.5, "log taper midpoint");
	/* clamping */
	CHECK_NEAR(param_clamp(P_CH_TRIM, 99), 20, 0, "clamp above");
	CHECK_NEAR(param_clamp(P_CH_TRIM, -99), -20, 0, "clamp below");
	CHECK_NEAR(param_clamp(P_CH_MUTE, 0.7f), 1, 0, "bool rounds");

	/* flat layout: instances in table order, no overlap */
	struct param_shape shape = {5, 3};
	unsigned expect = 0;
	for (unsigned i = 0; i < P_COUNT; i++) {
		CHECK(param_offset((enum param_id)i, &shape) == expect, "%s offset", param_table[i].name);
		expect += param_instances((enum param_id)i, &shape);
	}
	CHECK(param_offset(P_COUNT, &shape) == expect, "total");
	CHECK(param_flat(P_CH_SEND_LEVEL, 4, 2, &shape) == param_offset(P_CH_SEND_LEVEL, &shape) + 4 * 3 + 2,
	      "send flat index");
	CHECK(param_instances(P_CH_EQ_HZ, &shape) == 5 * JMX_BANDS, "band instances");
	return test_exit("test_params");
}
