/* Save/load of MLPs, ensembles and Adam state on the checkpoint stream
 * (prefrl/ckpt.h; record fields in nn.h).
 *
 * A record is a tag naming its kind and format version, the object's shape,
 * then its floats.  Loading compares the recorded shape with the object
 * loaded into and names both when they differ.  The floats go to a temporary
 * buffer and reach the object only while the stream is still ok; since the
 * stream verified the file's checksum when it was opened, a failed load
 * leaves the object as it was. */
#include <string.h>

#include "host/checkpoint.h"
#include "nn/nn_internal.h"

#define TAG_MLP "nn-mlp"
#define TAG_ENSEMBLE "nn-ensemble"
#define TAG_ADAM "nn-adam"

/* bounds on shapes read back (far above any network prefrl builds) */
#define MAX_LAYERS 1024
#define MAX_WIDTH (1 << 24)
#define MAX_MEMBERS 4096

/* an MLP's shape as recorded */
typedef struct {
    int n_layers;
    int dims[MAX_LAYERS + 1];
    int hidden_act, output_act;
    float slope;
} MlpShape;

static void shape_of(const PrefrlMlp *m, MlpShape *s)
{
    s->n_layers = m->n_layers;
    memcpy(s->dims, m->dims, sizeof(int) * (m->n_layers + 1));
    s->hidden_act = (int)m->hidden_act;
    s->output_act = (int)m->output_act;
    s->slope = m->slope;
}

static gboolean same_shape(const MlpShape *a, const MlpShape *b)
{
    return a->n_layers == b->n_layers &&
           memcmp(a->dims, b->dims, sizeof(int) * (a->n_layers + 1)) == 0 &&
           a->hidden_act == b->hidden_act && a->output_act == b->output_act &&
           memcmp(&a->slope, &b->slope, sizeof a->slope) == 0;
}

/* "30-1024-1024-1 relu/identity slope 0.01" */
static char *describe(const MlpShape *s)
{
    GString *g = g_string_new(NULL);
    for (int i = 0; i <= s->n_layers; i++)
        g_string_append_printf(g, i ? "-%d" : "%d", s->dims[i]);
    g_string_append_printf(g, " %s/%s slope %g", prefrl_activation_name(s->hidden_act),
                           prefrl_activation_name(s->output_act), s->slope);
    return g_string_free(g, FALSE);
}

static void put_shape(PrefrlCkpt *c, const PrefrlMlp *m)
{
    prefrl_ckpt_put_i64(c, m->n_layers);
    for (int i = 0; i <= m->n_layers; i++)
        prefrl_ckpt_put_i64(c, m->dims[i]);
    prefrl_ckpt_put_i64(c, m->hidden_act);
    prefrl_ckpt_put_i64(c, m->output_act);
    prefrl_ckpt_put_f64(c, m->slope);
}

static void get_shape(PrefrlCkpt *c, MlpShape *s)
{
    s->n_layers = (int)prefrl_ckpt_get_count(c, 1, MAX_LAYERS, "the number of MLP layers");
    for (int i = 0; i <= s->n_layers; i++)
        s->dims[i] = (int)prefrl_ckpt_get_count(c, 1, MAX_WIDTH, "an MLP width");
    s->hidden_act = (int)prefrl_ckpt_get_count(c, PREFRL_ACT_IDENTITY, PREFRL_ACT_SIGMOID,
                                               "an activation");
    s->output_act = (int)prefrl_ckpt_get_count(c, PREFRL_ACT_IDENTITY, PREFRL_ACT_SIGMOID,
                                               "an activation");
    s->slope = (float)prefrl_ckpt_get_f64(c);
}

/* read a shape and require the one of `want`; a format error names both */
static void expect_shape(PrefrlCkpt *c, const PrefrlMlp *want, const char *what)
{
    MlpShape *got = g_new(MlpShape, 1), *exp = g_new(MlpShape, 1);
    get_shape(c, got);
    shape_of(want, exp);
    if (prefrl_ckpt_ok(c) && !same_shape(got, exp)) {
        char *a = describe(got), *b = describe(exp);
        prefrl_ckpt_fail(c, "%s shape mismatch: file has %s, expected %s", what, a, b);
        g_free(a);
        g_free(b);
    }
    g_free(got);
    g_free(exp);
}

/* n floats into a new buffer, NULL after any error (the file must still
 * hold them: a size read from it is checked before the allocation) */
static float *get_payload(PrefrlCkpt *c, size_t n, const char *what)
{
    if (!prefrl_ckpt_ok(c))
        return NULL;
    if ((uint64_t)prefrl_ckpt_remaining(c) / sizeof(float) < n) {
        prefrl_ckpt_fail(c, "truncated checkpoint (%s of %zu floats does not fit)", what, n);
        return NULL;
    }
    float *buf = g_new(float, MAX(n, 1));
    prefrl_ckpt_get_floats(c, buf, n, what);
    if (!prefrl_ckpt_ok(c)) {
        g_free(buf);
        return NULL;
    }
    return buf;
}

/* ------------------------------------------------------------------------ */
/* MLP */

void prefrl_mlp_save(const PrefrlMlp *m, PrefrlCkpt *out)
{
    prefrl_ckpt_put_tag(out, TAG_MLP, PREFRL_NN_FORMAT_VERSION);
    put_shape(out, m);
    prefrl_ckpt_put_floats(out, m->params, m->n_params);
}

void prefrl_mlp_load(PrefrlMlp *m, PrefrlCkpt *in)
{
    prefrl_ckpt_expect_tag(in, TAG_MLP, PREFRL_NN_FORMAT_VERSION);
    expect_shape(in, m, "MLP");
    float *buf = get_payload(in, m->n_params, "the MLP parameters");
    if (buf)
        memcpy(m->params, buf, sizeof(float) * m->n_params);
    g_free(buf);
}

PrefrlMlp *prefrl_mlp_read(PrefrlCkpt *in, int max_batch)
{
    MlpShape *s = g_new(MlpShape, 1);
    PrefrlMlp *m = NULL;
    prefrl_ckpt_expect_tag(in, TAG_MLP, PREFRL_NN_FORMAT_VERSION);
    get_shape(in, s);
    size_t P = prefrl_ckpt_ok(in) ? prefrl_nn_count_params(s->n_layers, s->dims) : 0;
    if (prefrl_ckpt_ok(in) && P == 0)
        prefrl_ckpt_fail(in, "MLP record of an impossible size");
    float *buf = get_payload(in, P, "the MLP parameters");
    if (buf) {
        GError *err = NULL;
        m = prefrl_mlp_new(s->n_layers, s->dims, (PrefrlActivation)s->hidden_act,
                           (PrefrlActivation)s->output_act, s->slope, max_batch, &err);
        if (m) {
            memcpy(m->params, buf, sizeof(float) * P);
        } else {
            prefrl_ckpt_fail(in, "invalid MLP record: %s", err->message);
            g_error_free(err);
        }
    }
    g_free(buf);
    g_free(s);
    return m;
}

/* ------------------------------------------------------------------------ */
/* ensemble */

void prefrl_ensemble_save(const PrefrlEnsemble *e, PrefrlCkpt *out)
{
    prefrl_ckpt_put_tag(out, TAG_ENSEMBLE, PREFRL_NN_FORMAT_VERSION);
    prefrl_ckpt_put_i64(out, e->K);
    put_shape(out, e->members[0]);
    prefrl_ckpt_put_floats(out, e->params, (size_t)e->K * e->member_params);
}

void prefrl_ensemble_load(PrefrlEnsemble *e, PrefrlCkpt *in)
{
    prefrl_ckpt_expect_tag(in, TAG_ENSEMBLE, PREFRL_NN_FORMAT_VERSION);
    int64_t K = prefrl_ckpt_get_count(in, 1, MAX_MEMBERS, "the number of ensemble members");
    if (prefrl_ckpt_ok(in) && K != e->K)
        prefrl_ckpt_fail(in, "ensemble shape mismatch: file has %" G_GINT64_FORMAT
                             " members, expected %d", K, e->K);
    expect_shape(in, e->members[0], "ensemble member");
    size_t total = (size_t)e->K * e->member_params;
    float *buf = get_payload(in, total, "the ensemble parameters");
    if (buf)
        memcpy(e->params, buf, sizeof(float) * total);
    g_free(buf);
}

/* ------------------------------------------------------------------------ */
/* Adam */

void prefrl_adam_save(const PrefrlAdam *a, PrefrlCkpt *out)
{
    prefrl_ckpt_put_tag(out, TAG_ADAM, PREFRL_NN_FORMAT_VERSION);
    prefrl_ckpt_put_i64(out, (int64_t)a->n);
    prefrl_ckpt_put_i64(out, a->t);
    prefrl_ckpt_put_f64(out, a->lr);
    prefrl_ckpt_put_f64(out, a->beta1);
    prefrl_ckpt_put_f64(out, a->beta2);
    prefrl_ckpt_put_f64(out, a->eps);
    prefrl_ckpt_put_floats(out, a->m, a->n);
    prefrl_ckpt_put_floats(out, a->v, a->n);
}

void prefrl_adam_load(PrefrlAdam *a, PrefrlCkpt *in)
{
    prefrl_ckpt_expect_tag(in, TAG_ADAM, PREFRL_NN_FORMAT_VERSION);
    int64_t n = prefrl_ckpt_get_i64(in);
    if (prefrl_ckpt_ok(in) && n != (int64_t)a->n)
        prefrl_ckpt_fail(in, "Adam shape mismatch: file has %" G_GINT64_FORMAT
                             " parameters, expected %zu", n, a->n);
    int64_t t = prefrl_ckpt_get_count(in, 0, G_MAXINT64, "the Adam step count");
    double lr = prefrl_ckpt_get_f64(in), beta1 = prefrl_ckpt_get_f64(in),
           beta2 = prefrl_ckpt_get_f64(in), eps = prefrl_ckpt_get_f64(in);
    float *m = get_payload(in, a->n, "the Adam first moments");
    float *v = get_payload(in, a->n, "the Adam second moments");
    if (m && v) {
        a->t = t;
        a->lr = (float)lr;
        a->beta1 = beta1;
        a->beta2 = beta2;
        a->eps = eps;
        memcpy(a->m, m, sizeof(float) * a->n);
        memcpy(a->v, v, sizeof(float) * a->n);
    }
    g_free(m);
    g_free(v);
}
