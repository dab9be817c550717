/*
 * mixer_groups.c - DCA groups and mute groups folded into their members'
 * fader and mute targets (issue 16): a member's effective fader is its own
 * plus the sum in dB of its DCAs', and it is muted when its own mute, one
 * of its DCAs' or an engaged mute group holds it.  Folded only when one of
 * those inputs changes (and once a chunk while a DCA ramps or plays a
 * lane), never per sample: the strips' and buses' fader smoothing see a
 * plain target, so groups cost nothing per sample.
 *
 * Threads: the RT thread (called from mixer.c's parameter dispatch), and
 * the control thread through mixer_new's defaults before RT runs,
 * or a test standing in for it.
 */
#include "mixer_groups.h"
#include "role.h"

/* The effective fader of a member (a channel or a bus, whose own fader,
 * mute and memberships are at the flat indices given): its own fader plus
 * the sum in dB of its DCAs', limited to the fader's range, -90 (off) as
 * soon as one of them is off; *mute when its own mute, a DCA's mute or an
 * engaged mute group holds it.  Computed only when one of these changes
 * (and once a chunk while a DCA ramps or plays a lane), never per sample:
 * the strip's and bus's fader smoothing see a plain fader target. */
static float groups_eff(const struct mixer *m, unsigned fader, unsigned mute, unsigned dca, unsigned mg,
                        int *muted)
{
	const float *v = m->val;
	float db = v[fader];
	int mu = v[mute] >= 0.5f;
	for (unsigned d = 0; d < JMX_DCAS; d++) {
		if (v[dca + d] < 0.5f)
			continue;
		float g = v[m->flat_off[P_DCA_FADER] + d];
		db = g <= JMX_DB_OFF ? JMX_DB_OFF : db + g;
		mu |= v[m->flat_off[P_DCA_MUTE] + d] >= 0.5f;
	}
	for (unsigned g = 0; g < JMX_MUTEGROUPS; g++)
		mu |= v[mg + g] >= 0.5f && v[m->flat_off[P_MUTEGROUP_ON] + g] >= 0.5f;
	*muted = mu;
	return db <= JMX_DB_OFF || v[fader] <= JMX_DB_OFF ? JMX_DB_OFF : db > 10.0f ? 10.0f : db;
}

static void groups_publish(struct mixer *m, unsigned k, float db, int muted)
{
	float e = muted ? JMX_DB_OFF : db;
	uint32_t b;
	memcpy(&b, &e, sizeof b);
	atomic_store_explicit(&m->eff[k], b, memory_order_relaxed);
}

/* Channel c's strip lanes take its effective fader and mute.  by_mute: the
 * change is a mute's (the switch ramp of a mute); jump: a ramp's or a
 * lane's point, gone straight to. */
void mixer_groups_channel(struct mixer *m, unsigned c, int jump)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults, before RT runs */
	int muted;
	float db = groups_eff(m, m->flat_off[P_CH_FADER] + c, m->flat_off[P_CH_MUTE] + c,
	                      m->flat_off[P_CH_DCA] + c * JMX_DCAS,
	                      m->flat_off[P_CH_MUTEGROUP] + c * JMX_MUTEGROUPS, &muted);
	unsigned il = m->ch_lane[c], nl = c < m->cfg.mono ? 1 : 2;
	for (unsigned k = 0; k < nl; k++) {
		struct strip_group *g = &m->grp[(il + k) / JMX_LANES];
		unsigned l = (il + k) % JMX_LANES;
		/* mute first: a mute's change takes the mute's ramp, and the
		 * fader then moves inside it as a fader does during a mute */
		strip_lane_set(g, l, P_CH_MUTE, 0, (float)muted);
		strip_lane_set(g, l, P_CH_FADER, 0, db);
		if (jump)
			strip_lane_jump(g, l, P_CH_FADER, 0);
	}
	groups_publish(m, c, db, muted);
}

void mixer_groups_bus(struct mixer *m, unsigned a, int by_mute, int jump)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults, before RT runs */
	int muted;
	float db = groups_eff(m, m->flat_off[P_BUS_FADER] + a, m->flat_off[P_BUS_MUTE] + a,
	                      m->flat_off[P_BUS_DCA] + a * JMX_DCAS,
	                      m->flat_off[P_BUS_MUTEGROUP] + a * JMX_MUTEGROUPS, &muted);
	/* the bus's own fader x mute (bus.c) takes the effective values:
	 * the mute first, so that a mute's change takes the mute's ramp */
	bus_rack_set(m->rack, P_BUS_MUTE, a, 0, (float)muted, 0);
	bus_rack_set(m->rack, P_BUS_FADER, a, 0, db, jump);
	(void)by_mute;
	groups_publish(m, m->nch + a, db, muted);
}

/* Every member of DCA d (membership row id_ch / id_bus, n per member)
 * or of mute group g. */
void mixer_groups_members(struct mixer *m, enum param_id id_ch, enum param_id id_bus, unsigned n, unsigned k,
                          int by_mute, int jump)
{
	ASSERT_ROLE(ROLE_RT | ROLE_CONTROL); /* control: mixer_new's defaults, before RT runs */
	for (unsigned c = 0; c < m->nch; c++)
		if (m->val[m->flat_off[id_ch] + c * n + k] >= 0.5f)
			mixer_groups_channel(m, c, jump);
	for (unsigned a = 0; a < m->cfg.buses; a++)
		if (m->val[m->flat_off[id_bus] + a * n + k] >= 0.5f)
			mixer_groups_bus(m, a, by_mute, jump);
}
