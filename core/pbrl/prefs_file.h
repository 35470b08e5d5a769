/* prefs.bin, the labelled pairs of a run (docs/preference-data.md): the
 * format's constants, shared by the writer (trainer_query.c, one pair per
 * label as the run goes) and the reader of trainer.seed_prefs, which
 * validates a whole file before a run uses it.
 *
 * Layout (native byte order, little-endian on every supported machine):
 *   a 32-byte header: "PRFLPREF" (8 bytes), uint32 version (1), uint32 H,
 *   uint32 obs_dim, uint32 act_dim, 8 reserved bytes (0);
 *   then per pair: int32 label (0: the first segment preferred, 1: the
 *   second, -1: equal), float32 seg1[H][obs_dim + act_dim], float32
 *   seg2[H][obs_dim + act_dim]. */
#ifndef PREFRL_CORE_PREFS_FILE_H
#define PREFRL_CORE_PREFS_FILE_H

#include <glib.h>

#define PREFRL_PREFS_MAGIC "PRFLPREF"
#define PREFRL_PREFS_VERSION 1
#define PREFRL_PREFS_HEADER 32

/** The pairs of a preference file, read and validated whole. */
typedef struct {
    int n;                 /* pairs */
    int H, obs_dim, act_dim;
    float *seg1, *seg2;    /* (n, H, obs_dim + act_dim) */
    int *labels;           /* (n) PREFRL_LABEL_FIRST/SECOND/EQUAL */
} PrefrlPrefsFile;

/** Read the preference file at `path` for a run that queries H-step
 *  segments of obs_dim + act_dim: NULL with a one-line error naming the file
 *  (and the pair) for an unreadable or empty file, another magic or version,
 *  other sizes, a truncated pair, a label that is not 0, 1 or -1, or a
 *  non-finite value.  (transfer full: prefrl_prefs_file_free) */
PrefrlPrefsFile *prefrl_prefs_file_read(const char *path, int H, int obs_dim, int act_dim,
                                        GError **error);

void prefrl_prefs_file_free(PrefrlPrefsFile *f);

#endif
