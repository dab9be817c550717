/*
 * model.h - the control thread's copy of every parameter value: the
 * single source of truth for queries, feedback and snapshots.  Changes are
 * validated and clamped here, staged for the RT thread as rt_msg records
 * and published in one batch by model_commit (an OSC bundle = one batch =
 * one audio period).
 *
 * Threads: control thread only.
 *
 * Invariants: values are stored in engineering units, always finite and
 * inside the table's range.  A value that could not be queued (RT queue
 * full) stays marked dirty and is sent on the next commit, so RT always
 * converges to the model.
 */
#ifndef JMX_MODEL_H
#define JMX_MODEL_H

#include "mixer.h"
#include "params.h"
#include "rtqueue.h"

#define MODEL_NAME_MAX 64

struct model;

/* Called after every accepted change; origin is whatever the caller of
 * model_set passed (e.g. the OSC client that sent it), clamped tells
 * whether the stored value differs from the requested one. */
typedef void (*model_listener)(void *ctx, enum param_id id, unsigned i1, unsigned i2, const void *origin,
                               int clamped);

struct model *model_new(const struct param_shape *shape, struct rtq *to_rt);
void model_free(struct model *m);

const struct param_shape *model_shape(const struct model *m);

/* Number of instances of each index of a parameter: n1 (channels/buses or
 * 1), n2 (bands/buses or 1). */
void model_dims(const struct model *m, enum param_id id, unsigned *n1, unsigned *n2);

enum model_result { MODEL_OK = 0, MODEL_CLAMPED = 1, MODEL_EINVAL = -1, MODEL_ERANGE = -2 };

/* Set a numeric parameter (engineering units).  Non-finite values and
 * bad indices or ids (strings, meters) return an error and change
 * nothing; finite out-of-range values are clamped (MODEL_CLAMPED). */
enum model_result model_set(struct model *m, enum param_id id, unsigned i1, unsigned i2, float value,
                            const void *origin);
/* Like model_set, but the RT thread moves there over ms milliseconds
 * (RT_RAMP).  The model holds the target at once. */
enum model_result model_ramp(struct model *m, enum param_id id, unsigned i1, unsigned i2, float value,
                             float ms, const void *origin);
float model_get(const struct model *m, enum param_id id, unsigned i1, unsigned i2);

/* Names: printable UTF-8 without control characters, < MODEL_NAME_MAX
 * bytes.  Returns MODEL_OK or MODEL_EINVAL. */
enum model_result model_set_string(struct model *m, enum param_id id, unsigned i1, const char *s,
                                   const void *origin);
const char *model_get_string(const struct model *m, enum param_id id, unsigned i1);

/* Linked pairs (/ch/<n>/link): while on (the default), a change to one
 * channel of a linked pair is made to the other too (pan mirrored), and
 * linking copies the odd channel to the even one.  Off while a scene or
 * state whose pairs are already consistent is applied value by value. */
void model_set_follow(struct model *m, int on);

/* The effective fader of channel (P_CH_FADER_EFF) or bus (P_BUS_FADER_EFF)
 * i1 from the model's values: own fader + its DCAs' in dB, limited to
 * -90..+10, -90 when muted by itself, a DCA or a mute group (the target
 * the RT thread folds, mixer.c).  NAN for another id or a bad index. */
float model_effective_db(const struct model *m, enum param_id id, unsigned i1);

/* Publish every staged change to the RT thread at once. */
void model_commit(struct model *m);

/* Stage every numeric value again, as a plain set (no ramp), for an RT
 * side that starts from scratch (a mixer rebuilt at a new sample rate);
 * model_commit then publishes them, in queue-sized pieces if need be.
 * Not a change: no listener is told, the generation stays. */
void model_resend_all(struct model *m);

/* Changes since the model was created or last marked clean (autosave). */
/* Changes set but not yet in the queue (a full queue held them back). */
unsigned model_pending(const struct model *m);
unsigned long model_generation(const struct model *m);

int model_add_listener(struct model *m, model_listener fn, void *ctx);
/* A listener that goes away before the model (never from inside a
 * listener call). */
void model_remove_listener(struct model *m, model_listener fn, void *ctx);

#endif
