/*
 * mixer_groups.h - DCA and mute groups folded into the members' targets
 * (mixer_groups.c).  Private to the mixer.
 *
 * Threads: the RT thread, and the control thread in mixer_new.
 */
#ifndef JMX_MIXER_GROUPS_H
#define JMX_MIXER_GROUPS_H

#include "mixer_core.h"

/* Channel c's strip lanes take its effective fader and mute; jump: a
 * ramp's or a lane's point, gone straight to. */
void mixer_groups_channel(struct mixer *m, unsigned c, int jump);
/* Bus a takes its effective fader and mute. */
void mixer_groups_bus(struct mixer *m, unsigned a, int by_mute, int jump);
/* Every member of DCA or mute group k (membership rows id_ch / id_bus, n
 * groups of the kind per member). */
void mixer_groups_members(struct mixer *m, enum param_id id_ch, enum param_id id_bus, unsigned n, unsigned k,
                          int by_mute, int jump);

#endif
