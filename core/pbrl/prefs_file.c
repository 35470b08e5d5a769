/* Reading prefs.bin for trainer.seed_prefs (prefs_file.h): the whole file
 * is checked before any pair reaches a run, each failure one line naming
 * the file and, for a pair's fault, its index (0-based). */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <prefrl/error.h>
#include <prefrl/pbrl.h>

#include "pbrl/prefs_file.h"

void prefrl_prefs_file_free(PrefrlPrefsFile *f)
{
    if (!f)
        return;
    g_free(f->seg1);
    g_free(f->seg2);
    g_free(f->labels);
    g_free(f);
}

static PrefrlPrefsFile *fail(PrefrlPrefsFile *f, char *contents)
{
    prefrl_prefs_file_free(f);
    g_free(contents);
    return NULL;
}

PrefrlPrefsFile *prefrl_prefs_file_read(const char *path, int H, int obs_dim, int act_dim,
                                        GError **error)
{
    char *data = NULL;
    gsize size = 0;
    GError *err = NULL;
    if (!g_file_get_contents(path, &data, &size, &err)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "trainer.seed_prefs: %s",
                    err->message);
        g_error_free(err);
        return NULL;
    }
    if (size == 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: holds no preference pairs (empty file)", path);
        return fail(NULL, data);
    }
    if (size < PREFRL_PREFS_HEADER || memcmp(data, PREFRL_PREFS_MAGIC, 8) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: not a preference file (%s)", path,
                    size < 8 || memcmp(data, PREFRL_PREFS_MAGIC, 8) != 0
                        ? "it does not start with " PREFRL_PREFS_MAGIC
                        : "its 32-byte header is truncated");
        return fail(NULL, data);
    }
    uint32_t head[4];
    memcpy(head, data + 8, sizeof head);
    if (head[0] != PREFRL_PREFS_VERSION) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: version %u; this prefrl reads version %d", path, head[0],
                    PREFRL_PREFS_VERSION);
        return fail(NULL, data);
    }
    if (head[1] != (uint32_t)H || head[2] != (uint32_t)obs_dim ||
        head[3] != (uint32_t)act_dim) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: segments of %u steps of %u observations and %u actions, but this run "
                    "queries %d steps of %d and %d (trainer.segment, its reward's window, the "
                    "environment)",
                    path, head[1], head[2], head[3], H, obs_dim, act_dim);
        return fail(NULL, data);
    }
    gsize row = (gsize)H * (obs_dim + act_dim);
    gsize pair = sizeof(int32_t) + 2 * row * sizeof(float);
    gsize body = size - PREFRL_PREFS_HEADER;
    if (body == 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s: holds no preference pairs",
                    path);
        return fail(NULL, data);
    }
    if (body % pair != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: pair %" G_GSIZE_FORMAT " is truncated (%" G_GSIZE_FORMAT " of its %"
                    G_GSIZE_FORMAT " bytes)",
                    path, body / pair, body % pair, pair);
        return fail(NULL, data);
    }
    if (body / pair > G_MAXINT / 2) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s: too many pairs", path);
        return fail(NULL, data);
    }
    PrefrlPrefsFile *f = g_new0(PrefrlPrefsFile, 1);
    f->n = (int)(body / pair);
    f->H = H;
    f->obs_dim = obs_dim;
    f->act_dim = act_dim;
    f->seg1 = g_try_new(float, (gsize)f->n * row);
    f->seg2 = g_try_new(float, (gsize)f->n * row);
    f->labels = g_try_new(int, f->n);
    if (!f->seg1 || !f->seg2 || !f->labels) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: cannot allocate %d pairs", path,
                    f->n);
        return fail(f, data);
    }
    const char *p = data + PREFRL_PREFS_HEADER;
    for (int i = 0; i < f->n; i++, p += pair) {
        int32_t label;
        memcpy(&label, p, sizeof label);
        if (label != PREFRL_LABEL_FIRST && label != PREFRL_LABEL_SECOND &&
            label != PREFRL_LABEL_EQUAL) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s: pair %d has label %d (valid: 0 the first segment preferred, 1 the "
                        "second, -1 equal)",
                        path, i, (int)label);
            return fail(f, data);
        }
        f->labels[i] = label;
        float *s1 = f->seg1 + (gsize)i * row, *s2 = f->seg2 + (gsize)i * row;
        memcpy(s1, p + sizeof label, row * sizeof(float));
        memcpy(s2, p + sizeof label + row * sizeof(float), row * sizeof(float));
        for (gsize j = 0; j < row; j++)
            if (!isfinite(s1[j]) || !isfinite(s2[j])) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                            "%s: pair %d holds a non-finite value", path, i);
                return fail(f, data);
            }
    }
    g_free(data);
    return f;
}
