/* The trainer's checkpoint stream: see checkpoint.h. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <prefrl/error.h>

#include "host/checkpoint.h"

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320) */
static uint32_t crc_table[256];

static gpointer crc_table_init(gpointer data)
{
    (void)data;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1u ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    return NULL;
}

uint32_t prefrl_crc32(uint32_t crc, const void *data, size_t n)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, crc_table_init, NULL);
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}


void prefrl_ckpt_init(PrefrlCkpt *c, FILE *f, const char *path)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    c->path = path;
}

void prefrl_ckpt_fail(PrefrlCkpt *c, const char *fmt, ...)
{
    if (c->error)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    c->error = g_error_new(PREFRL_ERROR, PREFRL_ERROR_FORMAT, "%s: %s", c->path, msg);
    g_free(msg);
}

void prefrl_ckpt_put(PrefrlCkpt *c, const void *p, size_t n)
{
    if (c->error || n == 0)
        return;
    if (fwrite(p, 1, n, c->f) != n) {
        c->error = g_error_new(PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", c->path,
                               g_strerror(errno));
        return;
    }
    c->crc = prefrl_crc32(c->crc, p, n);
}

void prefrl_ckpt_put_i64(PrefrlCkpt *c, int64_t v)
{
    prefrl_ckpt_put(c, &v, sizeof v);
}

void prefrl_ckpt_put_f64(PrefrlCkpt *c, double v)
{
    prefrl_ckpt_put(c, &v, sizeof v);
}

void prefrl_ckpt_put_str(PrefrlCkpt *c, const char *s)
{
    prefrl_ckpt_put_i64(c, s ? (int64_t)strlen(s) : -1);
    if (s)
        prefrl_ckpt_put(c, s, strlen(s));
}

void prefrl_ckpt_get(PrefrlCkpt *c, void *p, size_t n)
{
    if (c->error) {
        memset(p, 0, n);
        return;
    }
    if (n && fread(p, 1, n, c->f) != n) {
        memset(p, 0, n);
        prefrl_ckpt_fail(c, "truncated checkpoint");
        return;
    }
    c->crc = prefrl_crc32(c->crc, p, n);
}

int64_t prefrl_ckpt_get_i64(PrefrlCkpt *c)
{
    int64_t v;
    prefrl_ckpt_get(c, &v, sizeof v);
    return v;
}

double prefrl_ckpt_get_f64(PrefrlCkpt *c)
{
    double v;
    prefrl_ckpt_get(c, &v, sizeof v);
    return v;
}

int64_t prefrl_ckpt_get_count(PrefrlCkpt *c, int64_t lo, int64_t hi, const char *what)
{
    int64_t v = prefrl_ckpt_get_i64(c);
    if (c->error)
        return lo;
    if (v < lo || v > hi) {
        prefrl_ckpt_fail(c, "%s is %" G_GINT64_FORMAT ", outside [%" G_GINT64_FORMAT
                            ", %" G_GINT64_FORMAT "] for this recipe",
                         what, v, lo, hi);
        return lo;
    }
    return v;
}

char *prefrl_ckpt_get_str(PrefrlCkpt *c)
{
    int64_t n = prefrl_ckpt_get_count(c, -1, 1 << 20, "a string length");
    if (c->error || n < 0)
        return NULL;
    char *s = g_malloc((gsize)n + 1);
    prefrl_ckpt_get(c, s, (size_t)n);
    s[n] = '\0';
    return s;
}

gboolean prefrl_ckpt_finish_write(PrefrlCkpt *c, GError **error)
{
    uint32_t crc = c->crc;
    prefrl_ckpt_put(c, &crc, sizeof crc);
    if (c->error) {
        g_propagate_error(error, c->error);
        c->error = NULL;
        return FALSE;
    }
    return TRUE;
}

gboolean prefrl_ckpt_finish_read(PrefrlCkpt *c, GError **error)
{
    uint32_t want = c->crc, got = 0;
    prefrl_ckpt_get(c, &got, sizeof got);
    if (!c->error && got != want)
        prefrl_ckpt_fail(c, "checksum mismatch (the file is damaged)");
    if (!c->error && fgetc(c->f) != EOF)
        prefrl_ckpt_fail(c, "unexpected data after the checksum");
    if (c->error) {
        g_propagate_error(error, c->error);
        c->error = NULL;
        return FALSE;
    }
    return TRUE;
}
