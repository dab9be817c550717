/*
 * preset.h - strip presets: a channel's or a bus's processing (filters,
 * gate, EQ, dynamics, effect settings), not its routing, fader, mute or
 * name, saved as a small text file NAME.preset beside the scenes and
 * loaded onto any channel (or bus).  Which parameters a preset holds
 * comes from the parameter table (preset_holds), so a processing stage
 * added to the table is in presets without a second list.
 *
 * File format (plain text, diffable):
 *   jackmixd-preset 1
 *   kind ch                      (or bus)
 *   hpf/on 1                     one "path value" a parameter, the path
 *   eq/2/hz 2500                 relative to /ch/<n>/ (or /bus/<a>/)
 *   end
 *
 * Threads: control thread only.
 *
 * Invariants: names pass snapshot_name_valid (1-64 of A-Z a-z 0-9 . _ -,
 * not starting with '.') before they become a file name, so a name from
 * the network never leaves the directory; files are replaced atomically
 * (statefile_write_atomic, a non-regular entry refused) and read with
 * O_NOFOLLOW.  A file is parsed and checked whole before anything
 * changes: a bad line, a kind that does not match, changes nothing.
 */
#ifndef JMX_PRESET_H
#define JMX_PRESET_H

#include <stddef.h>

#include "model.h"

#define PRESET_SUFFIX ".preset"

enum preset_kind { PRESET_CH, PRESET_BUS };

/* Does a preset of kind hold parameter id? */
int preset_holds(enum preset_kind kind, enum param_id id);

/* Save channel or bus idx's processing as preset name in dirfd.  0, or
 * -1 with a message in err. */
int preset_save(int dirfd, const struct model *m, enum preset_kind kind, unsigned idx, const char *name,
                char *err, size_t errlen);
/* Load preset name onto channel or bus idx (model_set: linked pairs
 * follow).  Returns the number of values changed, or -1 with a message in
 * err and nothing changed.  The caller commits. */
int preset_load(int dirfd, struct model *m, enum preset_kind kind, unsigned idx, const char *name,
                const void *origin, char *err, size_t errlen);
int preset_delete(int dirfd, const char *name, char *err, size_t errlen);
/* Sorted names of the presets in dirfd: one malloc'd block of *n
 * pointers and strings (free() it).  0 or -errno. */
int preset_list(int dirfd, char ***names, unsigned *n);

#endif
