/* reward/surf: SURF (Park et al. 2022), semi-supervised reward learning
 * with data augmentation on PEBBLE's ensemble (the SDK's reward model).
 *
 * Segments are queried H + 2w long (query_length); the teacher judges the
 * central H.  After every query round mb · inv_label_ratio unlabelled pairs
 * are drawn uniformly into a pool, then ceil(reward_update · labelled / 128)
 * gradient steps run, with no accuracy early stop.  One step, for each
 * member k (own index permutations and crops), summed over members, one
 * Adam step:
 *   labelled   the next 128 pairs of member k's permutation of the N, each cut
 *              to a random length L ~ U{H−c..H+c} at independent offsets in
 *              both segments, CE of the cropped logits against the label (mean);
 *   unlabelled the next 128·mu of its permutation of the U pool pairs,
 *              pseudo-labelled by member k on the uncropped central window
 *              (argmax, kept iff max p ≥ τ), cropped the same way,
 *              λ · Σ_kept CE / (all of them).
 * As the reference, a permutation's last batch is the smaller remainder, and
 * once it is used every member's permutation is drawn anew (each stream, the
 * labelled and the unlabelled one, on its own). 
 * The label follows its pair through the crop: a crop only shortens both
 * segments, it never reorders them. */
#include <math.h>
#include <string.h>

#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>
#include <prefrl/reward_model.h>

typedef struct {
    PrefrlRewardModel *model;
    int d, K, train_batch;
    int H;                      /* central segment length the teacher judges */
    int window, crop;           /* w (segments are stored H + 2w long), c */
    int reward_update, mu, inv_label_ratio;
    float tau, lambda;
    int64_t pool_capacity;
    PrefrlRng rng;              /* crops and index permutations */

    /* the unlabelled pool: a ring of pairs of Lseg-step segments, grown on demand */
    float *u1, *u2;             /* (u_alloc, Lseg, d) */
    int u_count, u_next, u_alloc, Lseg;

    /* per-member index permutations, walked by one cursor per stream */
    size_t *perm_l, *perm_u;    /* (K, cap_l), (K, cap_u) */
    int cap_l, cap_u, cur_l, cur_u;

    /* minibatch workspaces (sized for max(train_batch, mu · train_batch) pairs) */
    int mb_cap;
    int *idx, *labels, *keep, *start1, *start2, *len, *kidx, *kstart1, *kstart2, *klen,
        *klabels;
} Surf;

/* append n unlabelled pairs (n, Lseg, d) to the pool (a ring that grows up
 * to pool_capacity) */
static void surf_pool_add(Surf *s, const float *seg1, const float *seg2, int n, int Lseg)
{
    const int d = s->d;
    if (s->Lseg == 0)
        s->Lseg = Lseg;
    g_return_if_fail(Lseg == s->Lseg);
    const gsize row = (gsize)Lseg * d;
    /* grow by doubling while the ring has not reached its capacity */
    int need = (int)MIN((int64_t)s->u_count + n, s->pool_capacity);
    if (need > s->u_alloc) {
        int alloc = (int)MIN(s->pool_capacity, MAX((int64_t)need, 2 * (int64_t)s->u_alloc));
        s->u1 = g_renew(float, s->u1, (gsize)alloc * row);
        s->u2 = g_renew(float, s->u2, (gsize)alloc * row);
        s->u_alloc = alloc;
    }
    for (int i = 0; i < n; i++) {
        memcpy(s->u1 + (gsize)s->u_next * row, seg1 + i * row, sizeof(float) * row);
        memcpy(s->u2 + (gsize)s->u_next * row, seg2 + i * row, sizeof(float) * row);
        s->u_next = (int)((s->u_next + 1) % s->pool_capacity);
        s->u_count = (int)MIN((int64_t)s->u_count + 1, s->pool_capacity);
    }
}

/* pairs per forward pass whose windows of up to maxlen rows fit the model's
 * workspaces and SURF's minibatch */
static int chunk_pairs(const Surf *s, int maxlen)
{
    return MIN(MAX(1, prefrl_reward_model_max_rows(s->model) / (2 * maxlen)), s->mb_cap);
}

/* the cropped Bradley-Terry loss of member k (SDK window loss, chunked for
 * crops up to H + c long) */
static double surf_crop_loss(Surf *s, int k, const float *seg1, const float *seg2, int Lseg,
                             const int *idx, const int *labels, int n, const int *start1,
                             const int *start2, const int *len, float margin, float scale,
                             double *correct)
{
    return prefrl_reward_model_window_loss(s->model, k, seg1, seg2, Lseg, idx, labels, n, start1,
                                           start2, len, chunk_pairs(s, s->H + s->crop), margin,
                                           scale, correct);
}

/* a new permutation of N items for every member */
static void reshuffle(Surf *s, size_t *perm, int cap, int N)
{
    for (int k = 0; k < s->K; k++)
        prefrl_rng_permutation(&s->rng, perm + (gsize)k * cap, (size_t)N);
}

/* one gradient step over all members; accumulates the round's statistics */
static void surf_step(Surf *s, const PrefrlPrefs *prefs, double *loss, double *correct,
                      double *kept, int *n_lab, int *n_unl)
{
    /* this step's batches: from the cursors on, the remainder at a
     * permutation's end */
    const int N = prefs->count, U = s->u_count;
    const int nl = MIN(s->train_batch, N - s->cur_l);
    const int nu = MIN(s->mu * s->train_batch, U - s->cur_u);
    const float margin = prefrl_reward_model_label_margin(s->model);
    PrefrlEnsemble *ens = prefrl_reward_model_ensemble(s->model);
    prefrl_ensemble_zero_grad(ens);
    for (int k = 0; k < s->K; k++) {
        const size_t *perm_l = s->perm_l + (gsize)k * s->cap_l + s->cur_l;
        for (int i = 0; i < nl; i++) {
            s->idx[i] = (int)perm_l[i];
            s->labels[i] = prefs->labels[s->idx[i]];
        }
        prefrl_reward_model_draw_crops(&s->rng, nl, prefs->H, s->H, s->crop, s->start1,
                                       s->start2, s->len);
        double right;
        double ce = surf_crop_loss(s, k, prefs->seg1, prefs->seg2, prefs->H, s->idx, s->labels,
                                   nl, s->start1, s->start2, s->len, margin, 1.0f / nl,
                                   &right);
        *loss += ce / nl;
        *correct += right;
        *n_lab += nl;
        if (nu == 0)
            continue;
        const size_t *perm_u = s->perm_u + (gsize)k * s->cap_u + s->cur_u;
        for (int i = 0; i < nu; i++)
            s->idx[i] = (int)perm_u[i];
        prefrl_reward_model_pseudo_labels(s->model, k, s->u1, s->u2, s->Lseg, s->idx, nu,
                                          s->window, s->H, chunk_pairs(s, s->H), s->tau,
                                          s->labels, s->keep);
        prefrl_reward_model_draw_crops(&s->rng, nu, s->Lseg, s->H, s->crop, s->start1,
                                       s->start2, s->len);
        /* only confident pairs carry a loss; the mean still divides by nu */
        int nk = 0;
        for (int i = 0; i < nu; i++)
            if (s->keep[i]) {
                s->kidx[nk] = s->idx[i];
                s->klabels[nk] = s->labels[i];
                s->kstart1[nk] = s->start1[i];
                s->kstart2[nk] = s->start2[i];
                s->klen[nk] = s->len[i];
                nk++;
            }
        double ceu = nk ? surf_crop_loss(s, k, s->u1, s->u2, s->Lseg, s->kidx, s->klabels, nk,
                                         s->kstart1, s->kstart2, s->klen, margin,
                                         s->lambda / nu, NULL)
                        : 0.0;
        *loss += s->lambda * ceu / nu;
        *kept += nk;
        *n_unl += nu;
    }
    prefrl_adam_step(prefrl_reward_model_adam(s->model), prefrl_ensemble_params(ens),
                     prefrl_ensemble_grads(ens));
    /* a permutation used up: every member's is drawn anew */
    if ((s->cur_l += nl) == N) {
        reshuffle(s, s->perm_l, s->cap_l, N);
        s->cur_l = 0;
    }
    if (U > 0 && (s->cur_u += nu) == U) {
        reshuffle(s, s->perm_u, s->cap_u, U);
        s->cur_u = 0;
    }
}

/* fresh per-member permutations for this round's N labelled and U unlabelled pairs */
static void start_streams(Surf *s, int N, int U)
{
    const int K = s->K;
    if (N > s->cap_l) {
        s->cap_l = N;
        s->perm_l = g_renew(size_t, s->perm_l, (gsize)K * N);
    }
    if (U > s->cap_u) {
        s->cap_u = U;
        s->perm_u = g_renew(size_t, s->perm_u, (gsize)K * U);
    }
    for (int k = 0; k < K; k++) {
        if (N > 0)
            prefrl_rng_permutation(&s->rng, s->perm_l + (gsize)k * s->cap_l, (size_t)N);
        if (U > 0)
            prefrl_rng_permutation(&s->rng, s->perm_u + (gsize)k * s->cap_u, (size_t)U);
    }
    s->cur_l = s->cur_u = 0;
}

/* gradient steps of one round: ceil(reward_update · labelled / train_batch) */
static int surf_num_iters(const Surf *s, int n_labelled)
{
    return (int)ceil((double)s->reward_update * n_labelled / s->train_batch);
}

static gboolean surf_train(void *self, const PrefrlRewardData *data, PrefrlLog *log,
                           GError **error)
{
    Surf *s = self;
    const PrefrlPrefs *prefs = data->prefs;
    /* the judged centre is what the trainer's segments hold beyond 2w */
    int H = prefs->H - 2 * s->window;
    if (H - s->crop < 1 || (s->Lseg && prefs->H != s->Lseg)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/surf: labelled segments of %d steps (earlier %d) leave no room for "
                    "a centre of H = %d steps cropped by ±%d around 2·%d window steps",
                    prefs->H, s->Lseg, H, s->crop, s->window);
        return FALSE;
    }
    s->H = H;
    /* the round's unlabelled pairs, drawn like queries but never labelled */
    int64_t n_pairs = (int64_t)data->queries * s->inv_label_ratio;
    if (n_pairs > G_MAXINT / 2) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/surf: %d queries x inv_label_ratio %d unlabelled pairs is too many; "
                    "lower inv_label_ratio",
                    data->queries, s->inv_label_ratio);
        return FALSE;
    }
    int n_new = (int)n_pairs;
    if (n_new > 0 && data->draw_pairs) {
        gsize row = (gsize)prefs->H * s->d;
        float *a = g_try_new(float, (gsize)n_new * row), *b = g_try_new(float, (gsize)n_new * row);
        if (!a || !b) {
            g_free(a);
            g_free(b);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "reward/surf: no memory for %d unlabelled pairs of %d steps; lower "
                        "inv_label_ratio",
                        n_new, prefs->H);
            return FALSE;
        }
        if (data->draw_pairs(data->draw_ctx, n_new, a, b))
            surf_pool_add(s, a, b, n_new, prefs->H);
        g_free(a);
        g_free(b);
    }
    int N = prefs->count, iters = surf_num_iters(s, N);
    start_streams(s, N, s->u_count);
    double loss = 0, correct = 0, kept = 0;
    int n_lab = 0, n_unl = 0;
    for (int it = 0; it < iters && N > 0; it++)
        surf_step(s, prefs, &loss, &correct, &kept, &n_lab, &n_unl);
    prefrl_log_scalar(log, "accuracy", n_lab ? correct / n_lab : 0.0);
    prefrl_log_scalar(log, "loss", iters ? loss / ((double)iters * s->K) : 0.0);
    prefrl_log_scalar(log, "iters", iters);
    prefrl_log_scalar(log, "pseudo_fraction", n_unl ? kept / n_unl : 0.0);
    prefrl_log_scalar(log, "unlabelled", s->u_count);
    return TRUE;
}

/* ---- the component ---------------------------------------------------------- */

static const PrefrlParamSpec surf_params[] = {
    PREFRL_REWARD_MODEL_PARAMS,
    {"reward_update", PREFRL_PARAM_INT, "200", 1, 1000000, NULL,
     "gradient steps per round = ceil(reward_update · labelled pairs / train_batch)"},
    {"threshold_u", PREFRL_PARAM_FLOAT, "0.99", 0.5, 1, NULL,
     "τ: confidence a pseudo-label needs (SURF repo default 0.95)"},
    {"lambda_u", PREFRL_PARAM_FLOAT, "1", 0, 1e6, NULL, "λ: weight of the unlabelled loss"},
    {"mu", PREFRL_PARAM_INT, "4", 1, 1000, NULL,
     "unlabelled minibatch = mu · train_batch pairs (SURF repo default 1)"},
    {"inv_label_ratio", PREFRL_PARAM_INT, "100", 0, 100000, NULL,
     "unlabelled pairs drawn per query round = queries · ratio (SURF repo default 10)"},
    {"dataaug_window", PREFRL_PARAM_INT, "5", 0, 100000, NULL,
     "w: segments are queried H + 2w long; the teacher judges the central H"},
    {"crop_range", PREFRL_PARAM_INT, "5", 0, 100000, NULL,
     "c: crop lengths are drawn from H − c … H + c (at most 2w)"},
    {"unlabelled_capacity", PREFRL_PARAM_INT, "500000", 1, 100000000, NULL,
     "most pairs the unlabelled pool keeps (a ring; memory grows as it fills)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void surf_destroy(void *self)
{
    Surf *s = self;
    if (!s)
        return;
    prefrl_reward_model_free(s->model);
    g_free(s->u1);
    g_free(s->u2);
    g_free(s->perm_l);
    g_free(s->perm_u);
    int *ibufs[] = {s->idx,  s->labels,  s->keep,    s->start1, s->start2, s->len,
                    s->kidx, s->kstart1, s->kstart2, s->klen,   s->klabels};
    for (gsize i = 0; i < G_N_ELEMENTS(ibufs); i++)
        g_free(ibufs[i]);
    g_free(s);
}

static void *surf_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    int H = prefrl_reward_model_segment(params, ctx);
    int w = (int)prefrl_param_int(params, "dataaug_window");
    int c = (int)prefrl_param_int(params, "crop_range");
    if (c > 2 * w || c >= H) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/surf: crop_range %d must be at most 2·dataaug_window (%d) and "
                    "below the segment length %d, so every crop fits its stored segment",
                    c, 2 * w, H);
        return NULL;
    }
    PrefrlRewardModel *m = prefrl_reward_model_new(params, ctx, H + 2 * w, error);
    if (!m)
        return NULL;
    Surf *s = g_new0(Surf, 1);
    s->model = m;
    s->d = prefrl_reward_model_input_dim(m);
    s->K = prefrl_reward_model_n_members(m);
    s->train_batch = prefrl_reward_model_train_batch(m);
    s->H = H;
    s->window = w;
    s->crop = c;
    s->reward_update = (int)prefrl_param_int(params, "reward_update");
    s->tau = (float)prefrl_param_float(params, "threshold_u");
    s->lambda = (float)prefrl_param_float(params, "lambda_u");
    s->mu = (int)prefrl_param_int(params, "mu");
    s->inv_label_ratio = (int)prefrl_param_int(params, "inv_label_ratio");
    s->pool_capacity = prefrl_param_int(params, "unlabelled_capacity");
    prefrl_rng_derive(&ctx->rng, "surf", &s->rng);
    s->mb_cap = MAX(s->train_batch, s->mu * s->train_batch);
    int **ibufs[] = {&s->idx,  &s->labels,  &s->keep,    &s->start1, &s->start2, &s->len,
                     &s->kidx, &s->kstart1, &s->kstart2, &s->klen,   &s->klabels};
    for (gsize i = 0; i < G_N_ELEMENTS(ibufs); i++)
        *ibufs[i] = g_new0(int, s->mb_cap);
    return s;
}

static int surf_query_length(void *self, int H)
{
    return H + 2 * ((Surf *)self)->window;
}

static void surf_predict(void *self, int64_t step, const float *x, int B, float *r)
{
    prefrl_reward_model_predict(((Surf *)self)->model, x, B, r);
}

static int surf_members(void *self)
{
    return ((Surf *)self)->K;
}

static void surf_probs(void *self, int64_t step, const float *s1, const float *s2, int n, int H,
                       float *p)
{
    prefrl_reward_model_member_probs(((Surf *)self)->model, s1, s2, n, H, p);
}

/* the model, SURF's own stream, and the unlabelled pool (it carries over
 * between query rounds) */
static gboolean surf_save(void *self, PrefrlCkpt *out, GError **error)
{
    Surf *s = self;
    prefrl_reward_model_save(s->model, out);
    prefrl_rng_save(&s->rng, "surf", out);
    prefrl_ckpt_put_tag(out, "surf_pool", 1);
    prefrl_ckpt_put_i64(out, s->Lseg);
    prefrl_ckpt_put_i64(out, s->u_count);
    prefrl_ckpt_put_i64(out, s->u_next);
    gsize n = (gsize)s->u_count * s->Lseg * s->d;
    prefrl_ckpt_put_floats(out, s->u1, n);
    prefrl_ckpt_put_floats(out, s->u2, n);
    return TRUE;
}

static gboolean surf_load(void *self, PrefrlCkpt *in, GError **error)
{
    Surf *s = self;
    prefrl_reward_model_load(s->model, in);
    prefrl_rng_load(&s->rng, "surf", in);
    prefrl_ckpt_expect_tag(in, "surf_pool", 1);
    int Lseg = (int)prefrl_ckpt_get_count(in, 0, 1000000, "reward/surf's pool segment length");
    int count = (int)prefrl_ckpt_get_count(in, 0, s->pool_capacity, "reward/surf's pool size");
    int next = (int)prefrl_ckpt_get_count(in, 0, MAX(s->pool_capacity, 1) - 1,
                                          "reward/surf's pool index");
    if (count > 0 && Lseg == 0)
        prefrl_ckpt_fail(in, "reward/surf: a pool of %d pairs without a segment length", count);
    if (!prefrl_ckpt_check(in, error))
        return FALSE;
    gsize n = (gsize)count * Lseg * s->d;
    float *u1 = g_try_new(float, MAX(n, 1)), *u2 = g_try_new(float, MAX(n, 1));
    if (!u1 || !u2) {
        g_free(u1);
        g_free(u2);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "reward/surf: no memory for the checkpoint's pool of %d pairs", count);
        return FALSE;
    }
    prefrl_ckpt_get_floats(in, u1, n, "reward/surf's pool (first segments)");
    prefrl_ckpt_get_floats(in, u2, n, "reward/surf's pool (second segments)");
    if (!prefrl_ckpt_ok(in)) {
        g_free(u1);
        g_free(u2);
        return TRUE; /* the stream reports its error */
    }
    g_free(s->u1);
    g_free(s->u2);
    s->u1 = u1;
    s->u2 = u2;
    s->u_alloc = count;
    s->Lseg = Lseg;
    s->u_count = count;
    s->u_next = next;
    return TRUE;
}

static const PrefrlRewardOps surf_ops = {
    .struct_size = sizeof(PrefrlRewardOps),
    .predict = surf_predict,
    .n_members = surf_members,
    .member_probs = surf_probs,
    .query_length = surf_query_length,
    .train = surf_train,
};

/* the model's memory, the unlabelled pool (grown by doubling up to its
 * capacity, at most the run's labels x inv_label_ratio pairs) and one
 * round's freshly drawn pairs, all of (H + 2w)-step segments */
static guint64 surf_memory(const PrefrlNode *params, const PrefrlContext *ctx)
{
    const PrefrlNode *tp = ctx->recipe ? prefrl_node_get(ctx->recipe, "trainer") : NULL;
    double budget = tp ? (double)prefrl_param_int(tp, "max_feedback") : 0;
    double batch = tp ? (double)prefrl_param_int(tp, "reward_batch") : 0;
    double ratio = (double)prefrl_param_int(params, "inv_label_ratio");
    double cap = (double)prefrl_param_int(params, "unlabelled_capacity");
    double row = (prefrl_reward_model_segment(params, ctx) +
                  2.0 * (double)prefrl_param_int(params, "dataaug_window")) *
                 (ctx->env->obs_dim + ctx->env->act_dim) * sizeof(float);
    double pool = MIN(cap, 2 * (budget + batch) * ratio);
    double bytes = (double)prefrl_reward_model_memory(params, ctx) + 2 * pool * row +
                   2 * batch * ratio * row;
    return bytes >= 1.8e19 ? G_MAXUINT64 : (guint64)bytes;
}

static const PrefrlComponent reward_surf = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_REWARD,
    .name = "surf",
    .summary = "SURF: PEBBLE's reward with pseudo-labels and temporal cropping",
    .params = surf_params,
    .create = surf_create,
    .destroy = surf_destroy,
    .save = surf_save,
    .load = surf_load,
    .ops = &surf_ops,
    .memory = surf_memory,
};

PREFRL_PLUGIN_DEFINE("surf", PREFRL_VERSION, &reward_surf)
