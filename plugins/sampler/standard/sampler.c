/* The query samplers of PEBBLE / B-Pref (docs/samplers-and-teachers.md): uniform,
 * disagreement, entropy, kcenter, kcenter_disagreement, kcenter_entropy.
 *
 * The trainer draws candidate pairs uniformly (n_candidates of them), fills in
 * each ensemble member's P_k(seg2 ≻ seg1) and calls select(); a sampler only
 * ranks and picks.  Scoring (population std / mean binary entropy over the
 * members) and the greedy k-center are written once and shared by the six
 * components, which differ only in the mode they are created with. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

typedef enum {
    MODE_UNIFORM,
    MODE_DISAGREEMENT,
    MODE_ENTROPY,
    MODE_KCENTER,
    MODE_KCENTER_DISAGREEMENT,
    MODE_KCENTER_ENTROPY
} SamplerMode;

/* centres are turned into features this many at a time (bounds the scratch) */
#define CENTRE_BLOCK 256

struct Ranked {
    double score;
    int idx;
};

typedef struct {
    SamplerMode mode;
    int large_batch;   /* L: candidates per query (all but uniform) */
    PrefrlRng rng;     /* uniform's subset draws */
    /* scratch, grown on demand and kept across rounds */
    size_t n_cap;      /* entries of score/rank/perm/mind/sel/norm */
    double *score;     /* (n) per-candidate score */
    int *rank;         /* (n) candidate indices, best score first */
    int *perm;         /* (n) uniform's partial shuffle */
    double *mind;      /* (n) squared distance to the nearest centre */
    unsigned char *sel;/* (n) 1 once k-center took the candidate */
    double *norm;      /* (n) squared feature norms of the candidates */
    struct Ranked *ranked; /* (n) sort scratch */
    size_t feat_cap;   /* floats of feat */
    float *feat;       /* (m, D) candidate features */
    size_t cfeat_cap;  /* floats of cfeat */
    float *cfeat;      /* (CENTRE_BLOCK, D) centre features */
    double *cnorm;     /* (CENTRE_BLOCK) squared centre norms */
    float *dot;        /* (m, CENTRE_BLOCK) candidate · centre */
    size_t dot_cap;
} Sampler;

/* ---- scratch ------------------------------------------------------------ */

/* grow a float buffer to hold `need` floats */
static float *grow_floats(float *p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return p;
    *cap = need;
    return g_renew(float, p, need);
}

static void ensure_n(Sampler *s, size_t n)
{
    if (n <= s->n_cap)
        return;
    s->score = g_renew(double, s->score, n);
    s->rank = g_renew(int, s->rank, n);
    s->perm = g_renew(int, s->perm, n);
    s->mind = g_renew(double, s->mind, n);
    s->sel = g_renew(unsigned char, s->sel, n);
    s->norm = g_renew(double, s->norm, n);
    s->ranked = g_renew(struct Ranked, s->ranked, n);
    s->n_cap = n;
}

/* ---- scores ------------------------------------------------------------- */

/* population std over the K members of P_k (B-Pref's np.std): the same for
 * P(seg1 ≻ seg2) = 1 − P(seg2 ≻ seg1) */
static void score_disagreement(const float *probs, int K, int n, double *score)
{
    for (int j = 0; j < n; j++) {
        double mean = 0;
        for (int k = 0; k < K; k++)
            mean += probs[(size_t)k * n + j];
        mean /= K;
        double var = 0;
        for (int k = 0; k < K; k++) {
            double d = probs[(size_t)k * n + j] - mean;
            var += d * d;
        }
        score[j] = sqrt(var / K);
    }
}

/* binary entropy in nats, 0·log 0 = 0 */
static double bin_entropy(double p)
{
    double h = 0;
    if (p > 0 && p < 1)
        h = -(p * log(p) + (1 - p) * log1p(-p));
    return h;
}

/* mean over the members of the entropy of each member's 2-way softmax */
static void score_entropy(const float *probs, int K, int n, double *score)
{
    for (int j = 0; j < n; j++) {
        double h = 0;
        for (int k = 0; k < K; k++)
            h += bin_entropy(probs[(size_t)k * n + j]);
        score[j] = h / K;
    }
}

typedef struct Ranked Ranked;

/* best score first; equal scores keep the draw order (deterministic) */
static int ranked_cmp(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* rank all n candidates by score into s->rank */
static void rank_by_score(Sampler *s, int n)
{
    Ranked *r = s->ranked;
    for (int j = 0; j < n; j++) {
        r[j].score = s->score[j];
        r[j].idx = j;
    }
    qsort(r, n, sizeof *r, ranked_cmp);
    for (int j = 0; j < n; j++)
        s->rank[j] = r[j].idx;
}

static gboolean score_candidates(Sampler *s, const PrefrlCandidates *c, gboolean entropy,
                                 GError **error)
{
    if (c->K < 1 || !c->probs) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "sampler: %s scoring needs a reward model with ensemble members "
                    "(got %d members)",
                    entropy ? "entropy" : "disagreement", c->K);
        return FALSE;
    }
    for (size_t i = 0; i < (size_t)c->K * c->n; i++)
        if (!isfinite(c->probs[i])) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "sampler: member %d gave a non-finite probability for candidate %d",
                        (int)(i / c->n), (int)(i % c->n));
            return FALSE;
        }
    if (entropy)
        score_entropy(c->probs, c->K, c->n, s->score);
    else
        score_disagreement(c->probs, c->K, c->n, s->score);
    rank_by_score(s, c->n);
    return TRUE;
}

/* ---- k-center ----------------------------------------------------------- */

/* feature of a pair: the obs-only part of each step of seg1 flattened over
 * time, then that of seg2 (2·H·obs_dim floats) */
static void pair_feature(const float *seg1, const float *seg2, int H, int obs_dim, int row,
                         float *f)
{
    for (int t = 0; t < H; t++)
        memcpy(f + (size_t)t * obs_dim, seg1 + (size_t)t * row, sizeof(float) * obs_dim);
    f += (size_t)H * obs_dim;
    for (int t = 0; t < H; t++)
        memcpy(f + (size_t)t * obs_dim, seg2 + (size_t)t * row, sizeof(float) * obs_dim);
}

static double sqnorm(const float *x, size_t D)
{
    double a = 0;
    for (size_t i = 0; i < D; i++)
        a += (double)x[i] * x[i];
    return a;
}

static double sqdist(const float *x, const float *y, size_t D)
{
    double a = 0;
    for (size_t i = 0; i < D; i++) {
        double d = (double)x[i] - y[i];
        a += d * d;
    }
    return a;
}

/* Greedy k-center over the m candidates sub[0..m): the labelled pairs are the
 * initial centres; mb times take the candidate farthest (Euclidean) from the
 * centres ∪ those already taken (ties: earliest in sub).  With no labelled
 * pair the first pick is sub[0]; the reference requires a non-empty buffer. */
static gboolean kcenter(Sampler *s, const PrefrlCandidates *c, const int *sub, int m, int mb,
                        int *chosen, GError **error)
{
    const PrefrlPrefs *L = c->labelled;
    int n_centres = L ? L->count : 0;
    const int H = c->H, ds = c->obs_dim, row = c->obs_dim + c->act_dim;
    const size_t D = (size_t)2 * H * ds;
    if (n_centres > 0 && (L->H != H || L->obs_dim != ds || L->act_dim != c->act_dim)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "sampler: labelled pairs have H %d, obs %d, act %d but the candidates "
                    "have H %d, obs %d, act %d; k-center cannot compare them",
                    L->H, L->obs_dim, L->act_dim, H, ds, c->act_dim);
        return FALSE;
    }
    if (D == 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "sampler: k-center needs segments with observations (H %d, obs %d)", H, ds);
        return FALSE;
    }

    s->feat = grow_floats(s->feat, &s->feat_cap, (size_t)m * D);
    for (int i = 0; i < m; i++) {
        size_t off = (size_t)sub[i] * H * row;
        float *f = s->feat + (size_t)i * D;
        pair_feature(c->seg1 + off, c->seg2 + off, H, ds, row, f);
        for (size_t d = 0; d < D; d++)
            if (!isfinite(f[d])) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                            "sampler: candidate %d has a non-finite observation", sub[i]);
                return FALSE;
            }
        s->norm[i] = sqnorm(f, D);
        s->mind[i] = INFINITY;
        s->sel[i] = 0;
    }

    /* min squared distance to the labelled centres, a block at a time:
     * ‖x − y‖² = ‖x‖² + ‖y‖² − 2 x·y with the dot products from one sgemm */
    if (n_centres > 0) {
        s->cfeat = grow_floats(s->cfeat, &s->cfeat_cap, (size_t)CENTRE_BLOCK * D);
        s->dot = grow_floats(s->dot, &s->dot_cap, (size_t)m * CENTRE_BLOCK);
        if (!s->cnorm)
            s->cnorm = g_new(double, CENTRE_BLOCK);
    }
    for (int b0 = 0; b0 < n_centres; b0 += CENTRE_BLOCK) {
        int nb = MIN(CENTRE_BLOCK, n_centres - b0);
        for (int j = 0; j < nb; j++) {
            size_t off = (size_t)(b0 + j) * H * row;
            float *f = s->cfeat + (size_t)j * D;
            pair_feature(L->seg1 + off, L->seg2 + off, H, ds, row, f);
            s->cnorm[j] = sqnorm(f, D);
            if (!isfinite(s->cnorm[j])) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                            "sampler: labelled pair %d has a non-finite observation", b0 + j);
                return FALSE;
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nb, (int)D, 1.0f, s->feat,
                    (int)D, s->cfeat, (int)D, 0.0f, s->dot, nb);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < nb; j++) {
                double d2 = s->norm[i] + s->cnorm[j] - 2.0 * s->dot[(size_t)i * nb + j];
                if (d2 < 0)
                    d2 = 0;
                if (d2 < s->mind[i])
                    s->mind[i] = d2;
            }
    }

    for (int t = 0; t < mb; t++) {
        int best = -1;
        for (int i = 0; i < m; i++)
            if (!s->sel[i] && (best < 0 || s->mind[i] > s->mind[best]))
                best = i;
        s->sel[best] = 1;
        chosen[t] = sub[best];
        const float *fb = s->feat + (size_t)best * D;
        for (int i = 0; i < m; i++) {
            if (s->sel[i])
                continue;
            double d2 = sqdist(s->feat + (size_t)i * D, fb, D);
            if (d2 < s->mind[i])
                s->mind[i] = d2;
        }
    }
    return TRUE;
}

/* ---- uniform ------------------------------------------------------------ */

/* mb distinct candidates uniformly at random, in draw (index) order: all of
 * them when n == mb, as the trainer already drew them uniformly */
static void select_uniform(Sampler *s, int n, int mb, int *chosen)
{
    if (n == mb) {
        for (int i = 0; i < mb; i++)
            chosen[i] = i;
        return;
    }
    for (int i = 0; i < n; i++)
        s->perm[i] = i;
    for (int i = 0; i < mb; i++) {
        int j = i + (int)prefrl_rng_below(&s->rng, (uint64_t)(n - i));
        int tmp = s->perm[i];
        s->perm[i] = s->perm[j];
        s->perm[j] = tmp;
    }
    /* sort the subset ascending: keep the trainer's draw order */
    memset(s->sel, 0, (size_t)n);
    for (int i = 0; i < mb; i++)
        s->sel[s->perm[i]] = 1;
    for (int i = 0, k = 0; i < n; i++)
        if (s->sel[i])
            chosen[k++] = i;
}

/* ---- the ops ------------------------------------------------------------ */

static int sampler_n_candidates(void *self, int mb)
{
    const Sampler *s = self;
    if (s->mode == MODE_UNIFORM || mb <= 0)
        return MAX(mb, 0);
    gint64 n = (gint64)mb * s->large_batch;
    return n > G_MAXINT ? G_MAXINT : (int)n;
}

static gboolean sampler_select(void *self, const PrefrlCandidates *c, int mb, int *chosen,
                               GError **error)
{
    Sampler *s = self;
    if (mb < 0 || c->n < mb) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "sampler: cannot choose %d distinct pairs from %d candidates", mb, c->n);
        return FALSE;
    }
    if (mb == 0)
        return TRUE;
    ensure_n(s, (size_t)c->n);
    switch (s->mode) {
    case MODE_UNIFORM:
        select_uniform(s, c->n, mb, chosen);
        return TRUE;
    case MODE_DISAGREEMENT:
    case MODE_ENTROPY:
        if (!score_candidates(s, c, s->mode == MODE_ENTROPY, error))
            return FALSE;
        memcpy(chosen, s->rank, sizeof(int) * mb);
        return TRUE;
    case MODE_KCENTER:
        for (int i = 0; i < c->n; i++)
            s->rank[i] = i;
        return kcenter(s, c, s->rank, c->n, mb, chosen, error);
    case MODE_KCENTER_DISAGREEMENT:
    case MODE_KCENTER_ENTROPY: {
        if (!score_candidates(s, c, s->mode == MODE_KCENTER_ENTROPY, error))
            return FALSE;
        /* keep the best half by score (int(0.5·mb·L)), then k-center on those;
         * never fewer than mb */
        int half = MAX(c->n / 2, mb);
        return kcenter(s, c, s->rank, half, mb, chosen, error);
    }
    }
    return FALSE;
}

static const PrefrlSamplerOps sampler_ops = {
    .struct_size = sizeof(PrefrlSamplerOps),
    .n_candidates = sampler_n_candidates,
    .select = sampler_select,
};

/* ---- lifecycle and checkpoints ------------------------------------------ */

static void *sampler_create(SamplerMode mode, const PrefrlNode *params, const PrefrlContext *ctx)
{
    Sampler *s = g_new0(Sampler, 1);
    s->mode = mode;
    s->large_batch = mode == MODE_UNIFORM ? 1 : (int)prefrl_param_int(params, "large_batch");
    s->rng = ctx->rng;
    return s;
}

static void sampler_destroy(void *self)
{
    Sampler *s = self;
    if (!s)
        return;
    g_free(s->score);
    g_free(s->rank);
    g_free(s->perm);
    g_free(s->mind);
    g_free(s->sel);
    g_free(s->norm);
    g_free(s->ranked);
    g_free(s->feat);
    g_free(s->cfeat);
    g_free(s->cnorm);
    g_free(s->dot);
    g_free(s);
}

/* the state worth keeping is the random stream (uniform's draws), under a
 * tag naming the component, so another sampler's state is refused */
#define SAMPLER_FORMAT 2

static const char *sampler_tag(const Sampler *s)
{
    static const char *const tags[] = {
        [MODE_UNIFORM] = "sampler/uniform",
        [MODE_DISAGREEMENT] = "sampler/disagreement",
        [MODE_ENTROPY] = "sampler/entropy",
        [MODE_KCENTER] = "sampler/kcenter",
        [MODE_KCENTER_DISAGREEMENT] = "sampler/kcenter_disagreement",
        [MODE_KCENTER_ENTROPY] = "sampler/kcenter_entropy",
    };
    return tags[s->mode];
}

static gboolean sampler_save(void *self, PrefrlCkpt *out, GError **error)
{
    const Sampler *s = self;
    prefrl_ckpt_put_tag(out, sampler_tag(s), SAMPLER_FORMAT);
    prefrl_rng_save(&s->rng, "sampler rng", out);
    return prefrl_ckpt_check(out, error);
}

static gboolean sampler_load(void *self, PrefrlCkpt *in, GError **error)
{
    Sampler *s = self;
    prefrl_ckpt_expect_tag(in, sampler_tag(s), SAMPLER_FORMAT);
    prefrl_rng_load(&s->rng, "sampler rng", in);
    return prefrl_ckpt_check(in, error);
}

/* ---- descriptors -------------------------------------------------------- */

static const PrefrlParamSpec uniform_params[] = {{NULL, 0, NULL, 0, 0, NULL, NULL}};

static const PrefrlParamSpec scored_params[] = {
    {"large_batch", PREFRL_PARAM_INT, "10", 1, 1000, NULL,
     "L: draw mb·L candidate pairs per query round and keep the mb that score best "
     "(reference: 10)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL}};

static const PrefrlParamSpec kcenter_params[] = {
    {"large_batch", PREFRL_PARAM_INT, "10", 1, 1000, NULL,
     "L: draw mb·L candidate pairs per query round; greedy k-center picks mb of them "
     "(reference: 10)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL}};

static const PrefrlParamSpec combined_params[] = {
    {"large_batch", PREFRL_PARAM_INT, "10", 2, 1000, NULL,
     "L: draw mb·L candidate pairs per query round, keep the best ½·mb·L by score, then "
     "greedy k-center picks mb of them (reference: 10)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL}};

#define SAMPLER_COMPONENT(id, mode, schema, summary_text)                                        \
    static void *create_##id(const PrefrlNode *params, const PrefrlContext *ctx, GError **error) \
    {                                                                                            \
        (void)error;                                                                             \
        return sampler_create(mode, params, ctx);                                                \
    }                                                                                            \
    static const PrefrlComponent component_##id = {                                              \
        .struct_size = sizeof(PrefrlComponent),                                                  \
        .kind = PREFRL_KIND_SAMPLER,                                                             \
        .name = #id,                                                                             \
        .summary = summary_text,                                                                 \
        .params = schema,                                                                        \
        .flags = 0,                                                                              \
        .create = create_##id,                                                                   \
        .destroy = sampler_destroy,                                                              \
        .save = sampler_save,                                                                    \
        .load = sampler_load,                                                                    \
        .ops = &sampler_ops,                                                                     \
    };

SAMPLER_COMPONENT(uniform, MODE_UNIFORM, uniform_params,
                  "query mb pairs drawn uniformly from the stored episodes (feed_type 0)")
SAMPLER_COMPONENT(disagreement, MODE_DISAGREEMENT, scored_params,
                  "of mb·L uniform pairs, query the mb with the largest std of P across the "
                  "reward ensemble (feed_type 1)")
SAMPLER_COMPONENT(entropy, MODE_ENTROPY, scored_params,
                  "of mb·L uniform pairs, query the mb with the largest mean entropy of P over "
                  "the reward ensemble (feed_type 2)")
SAMPLER_COMPONENT(kcenter, MODE_KCENTER, kcenter_params,
                  "of mb·L uniform pairs, query mb chosen by greedy k-center on observations "
                  "around the labelled pairs (feed_type 3)")
SAMPLER_COMPONENT(kcenter_disagreement, MODE_KCENTER_DISAGREEMENT, combined_params,
                  "of mb·L uniform pairs, keep the half with the largest ensemble std, then "
                  "k-center picks mb (feed_type 4)")
SAMPLER_COMPONENT(kcenter_entropy, MODE_KCENTER_ENTROPY, combined_params,
                  "of mb·L uniform pairs, keep the half with the largest mean entropy, then "
                  "k-center picks mb (feed_type 5)")

PREFRL_PLUGIN_DEFINE("sampler-standard", PREFRL_VERSION, &component_uniform,
                     &component_disagreement, &component_entropy, &component_kcenter,
                     &component_kcenter_disagreement, &component_kcenter_entropy);
