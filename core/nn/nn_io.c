/* Binary save/load of MLPs, ensembles and Adam state (format in nn.h).
 *
 * A record carries two checksums: one over the header, checked before any
 * size taken from the file is used for an allocation, and one over the whole
 * record.  Loading reads the payload into a temporary buffer and copies it
 * into the object only after every check passed, so a failed load leaves
 * the object as it was. */
#include <errno.h>
#include <string.h>

#include "host/checkpoint.h"
#include "nn/nn_internal.h"

#define MAGIC "PREFRLNN"
#define MAX_SHAPE_WORDS 1024u

enum { KIND_MLP = 1, KIND_ENSEMBLE = 2, KIND_ADAM = 3 };

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case KIND_MLP:
        return "MLP";
    case KIND_ENSEMBLE:
        return "ensemble";
    case KIND_ADAM:
        return "Adam";
    default:
        return "unknown";
    }
}

/* ------------------------------------------------------------------------ */
/* CRC-32 */

/* ------------------------------------------------------------------------ */
/* little-endian output with a running checksum */

typedef struct {
    FILE *f;
    uint32_t crc;
    gboolean ok;
} Out;

static void out_bytes(Out *o, const void *p, size_t n)
{
    if (!o->ok)
        return;
    if (n && fwrite(p, 1, n, o->f) != n)
        o->ok = FALSE;
    o->crc = prefrl_crc32(o->crc, p, n);
}

static void out_u32(Out *o, uint32_t v)
{
    uint32_t le = GUINT32_TO_LE(v);
    out_bytes(o, &le, 4);
}

static void out_u64(Out *o, uint64_t v)
{
    uint64_t le = GUINT64_TO_LE(v);
    out_bytes(o, &le, 8);
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* a double as two shape words, low word first */
static void put_double(uint32_t *w, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    w[0] = (uint32_t)u;
    w[1] = (uint32_t)(u >> 32);
}

static double get_double(const uint32_t *w)
{
    uint64_t u = (uint64_t)w[0] | (uint64_t)w[1] << 32;
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void out_floats(Out *o, const float *x, size_t n)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    out_bytes(o, x, n * sizeof(float));
#else
    uint32_t buf[1024];
    for (size_t i = 0; i < n; i += 1024) {
        size_t c = MIN(1024, n - i);
        for (size_t j = 0; j < c; j++)
            buf[j] = GUINT32_TO_LE(float_bits(x[i + j]));
        out_bytes(o, buf, c * 4);
    }
#endif
}

/* header, header checksum, then the payload slabs and the record checksum */
static gboolean write_record(FILE *f, uint32_t kind, const uint32_t *shape, uint32_t n_shape,
                             const float *const *parts, const size_t *part_n, int n_parts,
                             GError **error)
{
    Out o = {f, 0, TRUE};
    uint64_t total = 0;
    for (int i = 0; i < n_parts; i++)
        total += part_n[i];
    out_bytes(&o, MAGIC, 8);
    out_u32(&o, PREFRL_NN_FORMAT_VERSION);
    out_u32(&o, kind);
    out_u32(&o, n_shape);
    for (uint32_t i = 0; i < n_shape; i++)
        out_u32(&o, shape[i]);
    out_u64(&o, total);
    out_u32(&o, o.crc);
    for (int i = 0; i < n_parts; i++)
        out_floats(&o, parts[i], part_n[i]);
    out_u32(&o, o.crc);
    if (!o.ok || ferror(f)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s record: %s",
                    kind_name(kind), g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* input */

typedef struct {
    FILE *f;
    uint32_t crc;
} In;

static gboolean in_bytes(In *in, void *p, size_t n, const char *what, GError **error)
{
    if (n && fread(p, 1, n, in->f) != n) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "truncated record: end of file while reading the %s", what);
        return FALSE;
    }
    in->crc = prefrl_crc32(in->crc, p, n);
    return TRUE;
}

static gboolean in_u32(In *in, uint32_t *v, const char *what, GError **error)
{
    uint32_t le;
    if (!in_bytes(in, &le, 4, what, error))
        return FALSE;
    *v = GUINT32_FROM_LE(le);
    return TRUE;
}

/* a record header, verified up to and including its checksum */
typedef struct {
    uint32_t kind;
    uint32_t n_shape;
    uint32_t shape[MAX_SHAPE_WORDS];
    uint64_t n_floats;
    In in;
} Header;

static gboolean read_header(FILE *f, uint32_t want_kind, Header *h, GError **error)
{
    h->in.f = f;
    h->in.crc = 0;
    char magic[8];
    uint32_t version, stored;
    uint64_t le64;
    if (!in_bytes(&h->in, magic, 8, "magic", error))
        return FALSE;
    if (memcmp(magic, MAGIC, 8) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "not a prefrl network record (bad magic)");
        return FALSE;
    }
    if (!in_u32(&h->in, &version, "version", error) || !in_u32(&h->in, &h->kind, "kind", error) ||
        !in_u32(&h->in, &h->n_shape, "shape count", error))
        return FALSE;
    if (version != PREFRL_NN_FORMAT_VERSION) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "network record has format version %u, this build reads version %u", version,
                    PREFRL_NN_FORMAT_VERSION);
        return FALSE;
    }
    if (h->n_shape > MAX_SHAPE_WORDS) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "corrupt record header (%u shape words)", h->n_shape);
        return FALSE;
    }
    for (uint32_t i = 0; i < h->n_shape; i++)
        if (!in_u32(&h->in, &h->shape[i], "shape", error))
            return FALSE;
    if (!in_bytes(&h->in, &le64, 8, "payload length", error))
        return FALSE;
    h->n_floats = GUINT64_FROM_LE(le64);
    uint32_t crc = h->in.crc;
    if (!in_u32(&h->in, &stored, "header checksum", error))
        return FALSE;
    if (stored != crc) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "corrupt record header (checksum mismatch)");
        return FALSE;
    }
    if (h->kind != want_kind) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "expected %s record, found %s record",
                    kind_name(want_kind), kind_name(h->kind));
        return FALSE;
    }
    return TRUE;
}

/* read the payload into a new buffer and check the record checksum */
static float *read_payload(Header *h, GError **error)
{
    if (h->n_floats == 0 || h->n_floats > SIZE_MAX / 8) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "corrupt record (payload of %" G_GUINT64_FORMAT " floats)",
                    h->n_floats);
        return NULL;
    }
    size_t n = (size_t)h->n_floats;
    float *buf = g_try_malloc(n * sizeof(float));
    if (!buf) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "record claims %zu floats, more than memory holds", n);
        return NULL;
    }
    if (!in_bytes(&h->in, buf, n * sizeof(float), "payload", error)) {
        g_free(buf);
        return NULL;
    }
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, buf + i, 4);
        buf[i] = bits_float(GUINT32_FROM_LE(u));
    }
#endif
    uint32_t crc = h->in.crc, stored;
    if (!in_u32(&h->in, &stored, "checksum", error)) {
        g_free(buf);
        return NULL;
    }
    if (stored != crc) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "corrupt %s record (checksum mismatch)", kind_name(h->kind));
        g_free(buf);
        return NULL;
    }
    return buf;
}

/* ------------------------------------------------------------------------ */
/* MLP shapes */

static uint32_t mlp_shape(const PrefrlMlp *m, uint32_t *w)
{
    uint32_t k = 0;
    w[k++] = (uint32_t)m->n_layers;
    for (int i = 0; i <= m->n_layers; i++)
        w[k++] = (uint32_t)m->dims[i];
    w[k++] = (uint32_t)m->hidden_act;
    w[k++] = (uint32_t)m->output_act;
    w[k++] = float_bits(m->slope);
    return k;
}

/* "30-1024-1024-1 relu/identity slope 0.01" from shape words */
static char *describe_mlp(const uint32_t *w, uint32_t n)
{
    if (n < 1 || w[0] + 5 != n)
        return g_strdup("malformed shape");
    GString *s = g_string_new(NULL);
    for (uint32_t i = 0; i <= w[0]; i++)
        g_string_append_printf(s, i ? "-%u" : "%u", w[1 + i]);
    g_string_append_printf(s, " %s/%s slope %g", prefrl_activation_name(w[w[0] + 2]),
                           prefrl_activation_name(w[w[0] + 3]), bits_float(w[w[0] + 4]));
    return g_string_free(s, FALSE);
}

static gboolean check_shape(const Header *h, const uint32_t *want, uint32_t n_want,
                            uint32_t skip, const char *what, GError **error)
{
    if (h->n_shape == n_want && memcmp(h->shape, want, sizeof(uint32_t) * n_want) == 0)
        return TRUE;
    char *found = h->n_shape > skip ? describe_mlp(h->shape + skip, h->n_shape - skip)
                                    : g_strdup("malformed shape");
    char *expected = describe_mlp(want + skip, n_want - skip);
    if (skip && h->n_shape > 0 && h->shape[0] != want[0])
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "%s shape mismatch: file has %u members, expected %u", what, h->shape[0],
                    want[0]);
    else
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "%s shape mismatch: file has %s, expected %s", what, found, expected);
    g_free(found);
    g_free(expected);
    return FALSE;
}

/* ------------------------------------------------------------------------ */
/* MLP */

gboolean prefrl_mlp_save(const PrefrlMlp *m, FILE *f, GError **error)
{
    uint32_t *w = g_new(uint32_t, m->n_layers + 5);
    uint32_t n = mlp_shape(m, w);
    const float *parts[1] = {m->params};
    size_t part_n[1] = {m->n_params};
    gboolean ok = write_record(f, KIND_MLP, w, n, parts, part_n, 1, error);
    g_free(w);
    return ok;
}

gboolean prefrl_mlp_load(PrefrlMlp *m, FILE *f, GError **error)
{
    Header *h = g_new(Header, 1);
    uint32_t *w = g_new(uint32_t, m->n_layers + 5);
    uint32_t n = mlp_shape(m, w);
    gboolean ok = FALSE;
    float *buf = NULL;
    if (!read_header(f, KIND_MLP, h, error) || !check_shape(h, w, n, 0, "MLP", error))
        goto out;
    if (h->n_floats != m->n_params) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "corrupt MLP record (%" G_GUINT64_FORMAT " parameters, shape needs %zu)",
                    h->n_floats, m->n_params);
        goto out;
    }
    if (!(buf = read_payload(h, error)))
        goto out;
    memcpy(m->params, buf, sizeof(float) * m->n_params);
    ok = TRUE;
out:
    g_free(buf);
    g_free(w);
    g_free(h);
    return ok;
}

PrefrlMlp *prefrl_mlp_read(FILE *f, int max_batch, GError **error)
{
    Header *h = g_new(Header, 1);
    PrefrlMlp *m = NULL;
    float *buf = NULL;
    if (!read_header(f, KIND_MLP, h, error))
        goto out;
    uint32_t *w = h->shape;
    if (h->n_shape < 6 || w[0] < 1 || w[0] + 5 != h->n_shape) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "corrupt MLP record (shape words)");
        goto out;
    }
    int n_layers = (int)w[0];
    int *dims = g_new(int, n_layers + 1);
    gboolean dims_ok = TRUE;
    for (int i = 0; i <= n_layers; i++) {
        dims_ok = dims_ok && w[1 + i] >= 1 && w[1 + i] <= (1u << 24);
        dims[i] = (int)MIN(w[1 + i], 1u << 24);
    }
    size_t P = dims_ok ? prefrl_nn_count_params(n_layers, dims) : 0;
    if (P == 0 || h->n_floats != P) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "corrupt MLP record (payload does not match the shape)");
        g_free(dims);
        goto out;
    }
    if (!(buf = read_payload(h, error))) {
        g_free(dims);
        goto out;
    }
    GError *err = NULL;
    m = prefrl_mlp_new(n_layers, dims, (PrefrlActivation)w[n_layers + 2],
                       (PrefrlActivation)w[n_layers + 3], bits_float(w[n_layers + 4]), max_batch,
                       &err);
    g_free(dims);
    if (!m) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "invalid MLP record: %s",
                    err->message);
        g_error_free(err);
        goto out;
    }
    memcpy(m->params, buf, sizeof(float) * P);
out:
    g_free(buf);
    g_free(h);
    return m;
}

/* ------------------------------------------------------------------------ */
/* ensemble */

gboolean prefrl_ensemble_save(const PrefrlEnsemble *e, FILE *f, GError **error)
{
    const PrefrlMlp *m0 = e->members[0];
    uint32_t *w = g_new(uint32_t, m0->n_layers + 6);
    w[0] = (uint32_t)e->K;
    uint32_t n = 1 + mlp_shape(m0, w + 1);
    const float *parts[1] = {e->params};
    size_t part_n[1] = {(size_t)e->K * e->member_params};
    gboolean ok = write_record(f, KIND_ENSEMBLE, w, n, parts, part_n, 1, error);
    g_free(w);
    return ok;
}

gboolean prefrl_ensemble_load(PrefrlEnsemble *e, FILE *f, GError **error)
{
    const PrefrlMlp *m0 = e->members[0];
    Header *h = g_new(Header, 1);
    uint32_t *w = g_new(uint32_t, m0->n_layers + 6);
    w[0] = (uint32_t)e->K;
    uint32_t n = 1 + mlp_shape(m0, w + 1);
    size_t total = (size_t)e->K * e->member_params;
    gboolean ok = FALSE;
    float *buf = NULL;
    if (!read_header(f, KIND_ENSEMBLE, h, error) ||
        !check_shape(h, w, n, 1, "ensemble", error))
        goto out;
    if (h->n_floats != total) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "corrupt ensemble record (%" G_GUINT64_FORMAT " parameters, shape needs %zu)",
                    h->n_floats, total);
        goto out;
    }
    if (!(buf = read_payload(h, error)))
        goto out;
    memcpy(e->params, buf, sizeof(float) * total);
    ok = TRUE;
out:
    g_free(buf);
    g_free(w);
    g_free(h);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Adam */

gboolean prefrl_adam_save(const PrefrlAdam *a, FILE *f, GError **error)
{
    uint64_t n = a->n, t = (uint64_t)a->t;
    uint32_t w[11] = {(uint32_t)n, (uint32_t)(n >> 32), (uint32_t)t, (uint32_t)(t >> 32),
                      float_bits(a->lr)};
    put_double(w + 5, a->beta1);
    put_double(w + 7, a->beta2);
    put_double(w + 9, a->eps);
    const float *parts[2] = {a->m, a->v};
    size_t part_n[2] = {a->n, a->n};
    return write_record(f, KIND_ADAM, w, 11, parts, part_n, 2, error);
}

gboolean prefrl_adam_load(PrefrlAdam *a, FILE *f, GError **error)
{
    Header *h = g_new(Header, 1);
    gboolean ok = FALSE;
    float *buf = NULL;
    if (!read_header(f, KIND_ADAM, h, error))
        goto out;
    if (h->n_shape != 11) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "corrupt Adam record (shape words)");
        goto out;
    }
    uint64_t n = (uint64_t)h->shape[0] | (uint64_t)h->shape[1] << 32;
    uint64_t t = (uint64_t)h->shape[2] | (uint64_t)h->shape[3] << 32;
    if (n != a->n) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "Adam shape mismatch: file has %" G_GUINT64_FORMAT
                    " parameters, expected %zu",
                    n, a->n);
        goto out;
    }
    if (h->n_floats != 2 * n || t > (uint64_t)G_MAXINT64) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "corrupt Adam record");
        goto out;
    }
    if (!(buf = read_payload(h, error)))
        goto out;
    a->t = (int64_t)t;
    a->lr = bits_float(h->shape[4]);
    a->beta1 = get_double(h->shape + 5);
    a->beta2 = get_double(h->shape + 7);
    a->eps = get_double(h->shape + 9);
    memcpy(a->m, buf, sizeof(float) * 2 * a->n);
    ok = TRUE;
out:
    g_free(buf);
    g_free(h);
    return ok;
}
