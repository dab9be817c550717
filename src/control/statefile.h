/*
 * statefile.h - crash-safe files in our own directories (state files,
 * scenes, the MIDI map): a file is replaced whole or not at all, a crash
 * leaves at most a temporary file that the next start sweeps, a file that
 * does not parse is set aside, never overwritten.
 *
 * Threads: control thread only.
 *
 * Invariants: no write ever replaces a file with a partial one: temporary
 * file in the same directory, fsync, rename, fsync of the directory; on
 * failure the previous file is intact and the temporary file removed.
 * Names are relative to a directory descriptor and never followed out of
 * it by the callers' checks (snapshot_name_valid, O_NOFOLLOW).
 */
#ifndef JMX_STATEFILE_H
#define JMX_STATEFILE_H

#include <stddef.h>

/* Atomically and durably replace name (relative to dirfd) by buf.  A
 * temporary ".name.tmp.PID.N" is written, fsync'd, renamed over name, and
 * the directory fsync'd.  With regular_only, an existing name that is not
 * a regular file (a planted symlink, a directory) is refused.  Returns 0
 * or -errno with a message in err; on failure name is untouched. */
int statefile_write_atomic(int dirfd, const char *name, const void *buf, size_t len, int regular_only,
                           char *err, size_t errlen);

/* Remove temporary files left by a crash: ".<target>.tmp.PID.N" entries of
 * dirfd whose PID is not a live process other than us (target NULL: any
 * target).  Returns how many were removed. */
unsigned statefile_sweep(int dirfd, const char *target);

/* Rename a file that failed to parse aside (name.corrupt-YYYYmmdd-HHMMSS,
 * never overwriting anything).  Returns 0 with the new name in newname. */
int statefile_set_aside(int dirfd, const char *name, char *newname, size_t newlen);

/* Open (creating with parents, mode 0700, when missing) a directory;
 * returns an O_DIRECTORY fd or -errno. */
int statefile_dir_open(const char *path);

#endif
