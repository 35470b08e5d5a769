/* The checkpoint stream (include/prefrl/ckpt.h): raw little-endian fields
 * with a running CRC-32, closed by the checksum; the first error sticks.
 *
 * A reader verifies the checksum of the whole file when it opens it, before
 * any field reaches a load hook: a damaged or truncated file then fails every
 * read (zeros), so a hook that commits its state only while the stream is
 * still ok leaves the component as it was, and no size read from a damaged
 * file is ever used.  Reading past the last field, or closing with fields
 * left unread, means the file was written by another component or format. */
#include "config.h"
#include <errno.h>
#include <unistd.h>
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

/* the checksum of the first c->size bytes of a reader's file against the
 * stored one; the first error sticks */
static void verify_file(PrefrlCkpt *c)
{
    if (fseeko(c->f, 0, SEEK_END) != 0 || (c->size = ftello(c->f)) < 0 ||
        fseeko(c->f, 0, SEEK_SET) != 0) {
        c->size = 0;
        c->error = g_error_new(PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read %s: %s", c->path,
                               g_strerror(errno));
        return;
    }
    if (c->size < (int64_t)sizeof(uint32_t)) {
        prefrl_ckpt_fail(c, "truncated checkpoint (%" G_GINT64_FORMAT " bytes, shorter than "
                            "its checksum)", c->size);
        c->size = 0;
        return;
    }
    c->size -= sizeof(uint32_t);
    enum { CHUNK = 1 << 16 };
    unsigned char *buf = g_malloc(CHUNK);
    uint32_t crc = 0, stored = 0;
    gboolean read_ok = TRUE;
    for (int64_t left = c->size; read_ok && left > 0;) {
        size_t n = (size_t)MIN(left, (int64_t)CHUNK);
        read_ok = fread(buf, 1, n, c->f) == n;
        crc = prefrl_crc32(crc, buf, n);
        left -= (int64_t)n;
    }
    read_ok = read_ok && fread(&stored, 1, sizeof stored, c->f) == sizeof stored &&
              fseeko(c->f, 0, SEEK_SET) == 0;
    g_free(buf);
    if (!read_ok)
        c->error = g_error_new(PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read %s: %s", c->path,
                               ferror(c->f) ? g_strerror(errno) : "the file changed while read");
    else if (GUINT32_FROM_LE(stored) != crc)
        prefrl_ckpt_fail(c, "checksum mismatch (the file is damaged or truncated)");
    if (c->error)
        c->size = 0;
}

static PrefrlCkpt *ckpt_open(const char *path, gboolean writing, GError **error)
{
    FILE *f = fopen(path, writing ? "wb" : "rb");
    if (!f) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot %s %s: %s",
                    writing ? "create" : "open", path, g_strerror(errno));
        return NULL;
    }
    PrefrlCkpt *c = g_new0(PrefrlCkpt, 1);
    c->f = f;
    c->path = g_strdup(path);
    c->writing = writing;
    c->owns_file = TRUE;
    if (!writing)
        verify_file(c);
    return c;
}

PrefrlCkpt *prefrl_ckpt_open_write(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    return ckpt_open(path, TRUE, error);
}

PrefrlCkpt *prefrl_ckpt_open_read(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    return ckpt_open(path, FALSE, error);
}

void prefrl_ckpt_abort(PrefrlCkpt *c)
{
    if (!c)
        return;
    if (c->owns_file && c->f)
        fclose(c->f);
    g_clear_error(&c->error);
    g_free(c->path);
    g_free(c);
}

gboolean prefrl_ckpt_ok(const PrefrlCkpt *c)
{
    return c->error == NULL;
}

const char *prefrl_ckpt_path(const PrefrlCkpt *c)
{
    return c->path;
}

gboolean prefrl_ckpt_check(PrefrlCkpt *c, GError **error)
{
    if (!c->error)
        return TRUE;
    g_propagate_error(error, c->error);
    c->error = NULL;
    /* keep the stream failed: a later close must not succeed */
    c->error = g_error_new_literal(PREFRL_ERROR, PREFRL_ERROR_FORMAT, "already reported");
    return FALSE;
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
    if ((uint64_t)n > (uint64_t)(c->size - c->pos)) {
        memset(p, 0, n);
        prefrl_ckpt_fail(c, "truncated checkpoint (it ends before the fields read from it: "
                            "written by another component or format version?)");
        return;
    }
    if (n && fread(p, 1, n, c->f) != n) {
        memset(p, 0, n);
        c->error = g_error_new(PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read %s: %s", c->path,
                               ferror(c->f) ? g_strerror(errno) : "the file changed while read");
        return;
    }
    c->pos += (int64_t)n;
}

int64_t prefrl_ckpt_remaining(const PrefrlCkpt *c)
{
    return c->error || c->writing ? 0 : c->size - c->pos;
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

void prefrl_ckpt_put_floats(PrefrlCkpt *c, const float *p, size_t n)
{
    prefrl_ckpt_put_i64(c, (int64_t)n);
    prefrl_ckpt_put(c, p, n * sizeof *p);
}

void prefrl_ckpt_put_doubles(PrefrlCkpt *c, const double *p, size_t n)
{
    prefrl_ckpt_put_i64(c, (int64_t)n);
    prefrl_ckpt_put(c, p, n * sizeof *p);
}

void prefrl_ckpt_get_floats(PrefrlCkpt *c, float *p, size_t n, const char *what)
{
    prefrl_ckpt_get_count(c, (int64_t)n, (int64_t)n, what);
    prefrl_ckpt_get(c, p, c->error ? 0 : n * sizeof *p);
    if (c->error)
        memset(p, 0, n * sizeof *p);
}

void prefrl_ckpt_get_doubles(PrefrlCkpt *c, double *p, size_t n, const char *what)
{
    prefrl_ckpt_get_count(c, (int64_t)n, (int64_t)n, what);
    prefrl_ckpt_get(c, p, c->error ? 0 : n * sizeof *p);
    if (c->error)
        memset(p, 0, n * sizeof *p);
}

void prefrl_ckpt_put_tag(PrefrlCkpt *c, const char *tag, int version)
{
    prefrl_ckpt_put_str(c, tag);
    prefrl_ckpt_put_i64(c, version);
}

int prefrl_ckpt_expect_tag_range(PrefrlCkpt *c, const char *tag, int oldest, int newest)
{
    char *got = prefrl_ckpt_get_str(c);
    int64_t v = prefrl_ckpt_get_i64(c);
    if (!c->error && (!got || strcmp(got, tag) != 0 || v < oldest || v > newest)) {
        char *want = oldest == newest ? g_strdup_printf("%d", newest)
                                      : g_strdup_printf("%d to %d", oldest, newest);
        prefrl_ckpt_fail(c, "holds %s version %lld where %s version %s was expected (another "
                            "component's or version's checkpoint)",
                         got ? got : "(nothing)", (long long)v, tag, want);
        g_free(want);
    }
    g_free(got);
    return c->error ? newest : (int)v;
}

void prefrl_ckpt_expect_tag(PrefrlCkpt *c, const char *tag, int version)
{
    prefrl_ckpt_expect_tag_range(c, tag, version, version);
}

/* append the checksum; FALSE with the first error */
static gboolean finish_write(PrefrlCkpt *c, GError **error)
{
    uint32_t crc = GUINT32_TO_LE(c->crc);
    prefrl_ckpt_put(c, &crc, sizeof crc);
    if (!c->error && (fflush(c->f) != 0 || fsync(fileno(c->f)) != 0))
        c->error = g_error_new(PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", c->path,
                               g_strerror(errno));
    if (c->error) {
        g_propagate_error(error, c->error);
        c->error = NULL;
        return FALSE;
    }
    return TRUE;
}

/* the checksum was verified at opening: require every field to be read;
 * FALSE with the first error */
static gboolean finish_read(PrefrlCkpt *c, GError **error)
{
    if (!c->error && c->pos != c->size)
        prefrl_ckpt_fail(c, "%" G_GINT64_FORMAT " bytes follow the last field read (written by "
                            "another component or format version?)", c->size - c->pos);
    if (c->error) {
        g_propagate_error(error, c->error);
        c->error = NULL;
        return FALSE;
    }
    return TRUE;
}

gboolean prefrl_ckpt_close(PrefrlCkpt *c, GError **error)
{
    g_return_val_if_fail(c != NULL, FALSE);
    gboolean ok = c->writing ? finish_write(c, error) : finish_read(c, error);
    if (c->owns_file) {
        if (fclose(c->f) != 0 && ok) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot close %s: %s", c->path,
                        g_strerror(errno));
            ok = FALSE;
        }
        c->f = NULL;
    }
    prefrl_ckpt_abort(c);
    return ok;
}
