/* Trainer-side data: replay buffer, episode store, preference buffer and the
 * state-entropy intrinsic reward (PEBBLE; docs/training-loop.md). */
#include "config.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "pbrl/replay.h"

/* ---- replay --------------------------------------------------------------- */

PrefrlReplay *prefrl_replay_new(int obs_dim, int act_dim, int64_t capacity, int max_batch,
                                GError **error)
{
    PrefrlReplay *r = g_new0(PrefrlReplay, 1);
    r->obs_dim = obs_dim;
    r->act_dim = act_dim;
    r->capacity = capacity;
    r->max_batch = max_batch;
    gsize n = (gsize)capacity;
    r->obs = g_try_new(float, n * (gsize)obs_dim);
    r->next_obs = g_try_new(float, n * (gsize)obs_dim);
    r->act = g_try_new(float, n * (gsize)act_dim);
    r->reward = g_try_new(float, n);
    r->true_reward = g_try_new(float, n);
    r->not_done = g_try_new(float, n);
    r->not_done_no_max = g_try_new(float, n);
    if (!r->obs || !r->next_obs || !r->act || !r->reward || !r->true_reward || !r->not_done ||
        !r->not_done_no_max) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot allocate a replay buffer of %lld transitions", (long long)capacity);
        prefrl_replay_free(r);
        return NULL;
    }
    r->b_obs = g_new(float, (gsize)max_batch * obs_dim);
    r->b_next = g_new(float, (gsize)max_batch * obs_dim);
    r->b_act = g_new(float, (gsize)max_batch * act_dim);
    r->b_reward = g_new(float, max_batch);
    r->b_nd = g_new(float, max_batch);
    r->b_ndnm = g_new(float, max_batch);
    r->b_idx = g_new(int64_t, max_batch);
    return r;
}

void prefrl_replay_free(PrefrlReplay *r)
{
    if (!r)
        return;
    g_free(r->obs);
    g_free(r->next_obs);
    g_free(r->act);
    g_free(r->reward);
    g_free(r->true_reward);
    g_free(r->not_done);
    g_free(r->not_done_no_max);
    g_free(r->b_obs);
    g_free(r->b_next);
    g_free(r->b_act);
    g_free(r->b_reward);
    g_free(r->b_nd);
    g_free(r->b_ndnm);
    g_free(r->b_idx);
    g_free(r);
}

void prefrl_replay_add(PrefrlReplay *r, const float *obs, const float *act, float reward,
                       float true_reward, const float *next_obs, int done, int done_no_max)
{
    g_return_if_fail(r->size < r->capacity);
    int64_t i = r->size++;
    memcpy(r->obs + i * r->obs_dim, obs, sizeof(float) * r->obs_dim);
    memcpy(r->next_obs + i * r->obs_dim, next_obs, sizeof(float) * r->obs_dim);
    memcpy(r->act + i * r->act_dim, act, sizeof(float) * r->act_dim);
    r->reward[i] = reward;
    r->true_reward[i] = true_reward;
    r->not_done[i] = done ? 0.0f : 1.0f;
    r->not_done_no_max[i] = done_no_max ? 0.0f : 1.0f;
}

void prefrl_replay_sample(PrefrlReplay *r, PrefrlRng *rng, int B, PrefrlBatch *batch)
{
    g_return_if_fail(B <= r->max_batch && r->size > 0);
    for (int b = 0; b < B; b++) {
        int64_t i = (int64_t)prefrl_rng_below(rng, (uint64_t)r->size);
        r->b_idx[b] = i;
        memcpy(r->b_obs + (gsize)b * r->obs_dim, r->obs + i * r->obs_dim,
               sizeof(float) * r->obs_dim);
        memcpy(r->b_next + (gsize)b * r->obs_dim, r->next_obs + i * r->obs_dim,
               sizeof(float) * r->obs_dim);
        memcpy(r->b_act + (gsize)b * r->act_dim, r->act + i * r->act_dim,
               sizeof(float) * r->act_dim);
        r->b_reward[b] = r->reward[i];
        r->b_nd[b] = r->not_done[i];
        r->b_ndnm[b] = r->not_done_no_max[i];
    }
    *batch = (PrefrlBatch){
        .size = B,
        .obs_dim = r->obs_dim,
        .act_dim = r->act_dim,
        .obs = r->b_obs,
        .action = r->b_act,
        .reward = r->b_reward,
        .next_obs = r->b_next,
        .not_done = r->b_nd,
        .not_done_no_max = r->b_ndnm,
    };
}

/* ---- episode store -------------------------------------------------------- */

typedef struct Episode {
    int len, cap;
    float *sa;       /* (len, obs_dim + act_dim) */
    float *r;        /* (len) */
    double *state;   /* (len, nq + nv + 1) physics states, or unused when !has_state */
    gboolean has_state;
} Episode;

static void episode_free(Episode *ep)
{
    if (!ep)
        return;
    g_free(ep->sa);
    g_free(ep->r);
    g_free(ep->state);
    g_free(ep);
}

PrefrlEpisodes *prefrl_episodes_new(int obs_dim, int act_dim, int nq, int nv, int max_episodes)
{
    PrefrlEpisodes *e = g_new0(PrefrlEpisodes, 1);
    e->obs_dim = obs_dim;
    e->act_dim = act_dim;
    e->nq = nq;
    e->nv = nv;
    e->max_episodes = max_episodes;
    e->episodes = g_ptr_array_new_with_free_func((GDestroyNotify)episode_free);
    return e;
}

void prefrl_episodes_free(PrefrlEpisodes *e)
{
    if (!e)
        return;
    g_ptr_array_unref(e->episodes);
    episode_free(e->open);
    g_free(e);
}

void prefrl_episodes_add(PrefrlEpisodes *e, const float *obs, const float *act, float true_r,
                         const double *state, gboolean last)
{
    int d = e->obs_dim + e->act_dim, P = PREFRL_EPISODES_STATE_LEN(e);
    if (!e->open) {
        /* reuse the oldest episode's memory once the store is full */
        if ((int)e->episodes->len >= e->max_episodes) {
            e->open = g_ptr_array_steal_index(e->episodes, 0);
            e->open->len = 0;
        } else {
            e->open = g_new0(Episode, 1);
        }
        e->open->has_state = PREFRL_EPISODES_KEEP_STATES(e);
    }
    Episode *ep = e->open;
    if (ep->len == ep->cap) {
        ep->cap = ep->cap ? ep->cap * 2 : 1024;
        ep->sa = g_renew(float, ep->sa, (gsize)ep->cap * d);
        ep->r = g_renew(float, ep->r, ep->cap);
        if (PREFRL_EPISODES_KEEP_STATES(e))
            ep->state = g_renew(double, ep->state, (gsize)ep->cap * P);
    }
    memcpy(ep->sa + (gsize)ep->len * d, obs, sizeof(float) * e->obs_dim);
    memcpy(ep->sa + (gsize)ep->len * d + e->obs_dim, act, sizeof(float) * e->act_dim);
    if (!state)
        ep->has_state = FALSE; /* one missing step and the episode cannot be rendered */
    else if (ep->has_state)
        memcpy(ep->state + (gsize)ep->len * P, state, sizeof(double) * P);
    ep->r[ep->len++] = true_r;
    if (last) {
        g_ptr_array_add(e->episodes, ep);
        e->open = NULL;
    }
}

int prefrl_episodes_usable(const PrefrlEpisodes *e, int H)
{
    int n = 0;
    for (guint i = 0; i < e->episodes->len; i++)
        n += ((Episode *)e->episodes->pdata[i])->len > H;
    return n;
}

/* a uniformly drawn episode long enough for an H-step segment: its index */
static int draw_episode(const PrefrlEpisodes *e, PrefrlRng *rng, int H)
{
    for (;;) {
        int k = (int)prefrl_rng_below(rng, e->episodes->len);
        if (((const Episode *)e->episodes->pdata[k])->len > H)
            return k;
    }
}

/* for each of the n drawn episodes eps[i], a uniform start and its H-step
 * segment into seg (and r, src when not NULL) */
static void copy_segments(const PrefrlEpisodes *e, PrefrlRng *rng, int n, int H, const int *eps,
                          float *seg, float *r, PrefrlSegmentSource *src)
{
    int d = e->obs_dim + e->act_dim;
    for (int i = 0; i < n; i++) {
        const Episode *ep = e->episodes->pdata[eps[i]];
        int start = (int)prefrl_rng_below(rng, (uint64_t)(ep->len - H));
        memcpy(seg + (gsize)i * H * d, ep->sa + (gsize)start * d, sizeof(float) * (gsize)H * d);
        if (r)
            memcpy(r + (gsize)i * H, ep->r + start, sizeof(float) * H);
        if (src)
            src[i] = (PrefrlSegmentSource){.episode = eps[i], .start = start};
    }
}

gboolean prefrl_episodes_draw(const PrefrlEpisodes *e, PrefrlRng *rng, int n, int H,
                              float *seg1, float *seg2, float *r1, float *r2,
                              PrefrlSegmentSource *src1, PrefrlSegmentSource *src2)
{
    if (prefrl_episodes_usable(e, H) == 0)
        return FALSE;
    int *ep1 = g_new(int, n), *ep2 = g_new(int, n);
    /* the reference draws the second segment's episodes first, then the
     * first's, and the starts in the same order */
    for (int i = 0; i < n; i++)
        ep2[i] = draw_episode(e, rng, H);
    for (int i = 0; i < n; i++)
        ep1[i] = draw_episode(e, rng, H);
    copy_segments(e, rng, n, H, ep2, seg2, r2, src2);
    copy_segments(e, rng, n, H, ep1, seg1, r1, src1);
    g_free(ep1);
    g_free(ep2);
    return TRUE;
}

/* the episode of `src` and the index of its step `step`, or NULL out of range */
static const Episode *source_step(const PrefrlEpisodes *e, PrefrlSegmentSource src, int step,
                                  int *at)
{
    if (src.episode < 0 || src.episode >= (int)e->episodes->len || src.start < 0 || step < 0)
        return NULL;
    const Episode *ep = e->episodes->pdata[src.episode];
    *at = src.start + step;
    return *at < ep->len ? ep : NULL;
}

const double *prefrl_episodes_state(const PrefrlEpisodes *e, PrefrlSegmentSource src, int step)
{
    int at;
    const Episode *ep = source_step(e, src, step, &at);
    return ep && ep->has_state ? ep->state + (gsize)at * PREFRL_EPISODES_STATE_LEN(e) : NULL;
}

const float *prefrl_episodes_step(const PrefrlEpisodes *e, PrefrlSegmentSource src, int step)
{
    int at;
    const Episode *ep = source_step(e, src, step, &at);
    return ep ? ep->sa + (gsize)at * (e->obs_dim + e->act_dim) : NULL;
}

/* ---- preference buffer ------------------------------------------------------ */

PrefrlPrefBuffer *prefrl_prefs_new(int capacity, int H, int obs_dim, int act_dim, GError **error)
{
    gsize row = (gsize)H * (obs_dim + act_dim);
    PrefrlPrefBuffer *p = g_new0(PrefrlPrefBuffer, 1);
    p->seg1 = g_try_new(float, (gsize)capacity * row);
    p->seg2 = g_try_new(float, (gsize)capacity * row);
    p->labels = g_try_new(int, capacity);
    if (!p->seg1 || !p->seg2 || !p->labels) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot allocate a preference buffer of %d pairs", capacity);
        prefrl_prefs_free(p);
        return NULL;
    }
    p->view = (PrefrlPrefs){.capacity = capacity, .H = H, .obs_dim = obs_dim, .act_dim = act_dim,
                            .seg1 = p->seg1, .seg2 = p->seg2, .labels = p->labels};
    return p;
}

void prefrl_prefs_free(PrefrlPrefBuffer *p)
{
    if (!p)
        return;
    g_free(p->seg1);
    g_free(p->seg2);
    g_free(p->labels);
    g_free(p);
}

void prefrl_prefs_add(PrefrlPrefBuffer *p, const float *seg1, const float *seg2, int label)
{
    PrefrlPrefs *v = &p->view;
    gsize row = (gsize)v->H * (v->obs_dim + v->act_dim);
    memcpy(p->seg1 + (gsize)v->next * row, seg1, sizeof(float) * row);
    memcpy(p->seg2 + (gsize)v->next * row, seg2, sizeof(float) * row);
    p->labels[v->next] = label;
    v->next = (v->next + 1) % v->capacity;
    v->total++;
    v->count = (int)MIN(v->total, (int64_t)v->capacity);
}

/* ---- state entropy ------------------------------------------------------------ */

#define ENTROPY_CHUNK 512

PrefrlStateEntropy *prefrl_state_entropy_new(int k, int max_batch)
{
    PrefrlStateEntropy *s = g_new0(PrefrlStateEntropy, 1);
    s->k = k;
    s->mean = 0.0;
    s->var = 1.0;
    s->count = 1e-4;
    s->max_batch = max_batch;
    s->chunk = ENTROPY_CHUNK;
    s->dist = g_new(float, (gsize)max_batch * ENTROPY_CHUNK);
    s->best = g_new(float, (gsize)max_batch * (k + 1));
    s->sq = g_new(float, ENTROPY_CHUNK + max_batch);
    return s;
}

void prefrl_state_entropy_free(PrefrlStateEntropy *s)
{
    if (!s)
        return;
    g_free(s->dist);
    g_free(s->best);
    g_free(s->sq);
    g_free(s);
}

/* insert d into the sorted list best[0..m) keeping the m smallest */
static inline void keep_smallest(float *best, int m, float d)
{
    if (d >= best[m - 1])
        return;
    int j = m - 1;
    while (j > 0 && best[j - 1] > d) {
        best[j] = best[j - 1];
        j--;
    }
    best[j] = d;
}

void prefrl_state_entropy_compute(PrefrlStateEntropy *s, const PrefrlReplay *r, const float *obs,
                                  int B, float *raw, float *normalised)
{
    int D = r->obs_dim, m = s->k + 1;
    float *bsq = s->sq + s->chunk;
    for (int b = 0; b < B; b++) {
        double q = 0;
        for (int j = 0; j < D; j++)
            q += (double)obs[b * D + j] * obs[b * D + j];
        bsq[b] = (float)q;
        for (int j = 0; j < m; j++)
            s->best[b * m + j] = INFINITY;
    }
    /* squared distances ‖x‖² + ‖y‖² − 2 x·y, one sgemm per chunk of the buffer */
    for (int64_t c0 = 0; c0 < r->size; c0 += s->chunk) {
        int nc = (int)MIN((int64_t)s->chunk, r->size - c0);
        const float *Y = r->obs + c0 * D;
        for (int j = 0; j < nc; j++) {
            double q = 0;
            for (int t = 0; t < D; t++)
                q += (double)Y[j * D + t] * Y[j * D + t];
            s->sq[j] = (float)q;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nc, D, -2.0f, obs, D, Y, D, 0.0f,
                    s->dist, nc);
        for (int b = 0; b < B; b++) {
            float *row = s->dist + (gsize)b * nc;
            for (int j = 0; j < nc; j++)
                keep_smallest(s->best + b * m, m, fmaxf(row[j] + bsq[b] + s->sq[j], 0.0f));
        }
    }
    /* the k-th neighbour is the (k+1)-th smallest: each observation is in the buffer */
    for (int b = 0; b < B; b++) {
        float d2 = s->best[b * m + MIN(m, (int)r->size) - 1];
        raw[b] = isinf(d2) ? 0.0f : sqrtf(d2);
    }
    /* running std (utils.TorchRunningMeanStd), mean update as in the reference */
    double bm = 0, bv = 0;
    for (int b = 0; b < B; b++)
        bm += raw[b];
    bm /= B;
    for (int b = 0; b < B; b++)
        bv += (raw[b] - bm) * (raw[b] - bm);
    bv = B > 1 ? bv / (B - 1) : 0.0;
    double delta = bm - s->mean, tot = s->count + B;
    s->mean = s->mean + delta + B / tot; /* sic: the reference adds n/tot instead of δ·n/tot */
    s->var = (s->var * s->count + bv * B + delta * delta * s->count * B / tot) / tot;
    s->count = tot;
    float sd = (float)sqrt(s->var);
    for (int b = 0; b < B; b++)
        normalised[b] = raw[b] / sd;
}

/* ---- checkpoints ----------------------------------------------------------------- */

/* the replay's columns and their floats per transition, for save and load */
#define REPLAY_COLUMNS 7
static void replay_columns(const PrefrlReplay *r, float **col, int *width)
{
    float *c[REPLAY_COLUMNS] = {r->obs, r->act, r->next_obs, r->reward, r->true_reward,
                                r->not_done, r->not_done_no_max};
    int w[REPLAY_COLUMNS] = {r->obs_dim, r->act_dim, r->obs_dim, 1, 1, 1, 1};
    memcpy(col, c, sizeof c);
    memcpy(width, w, sizeof w);
}

void prefrl_replay_save(const PrefrlReplay *r, PrefrlCkpt *c)
{
    float *col[REPLAY_COLUMNS];
    int width[REPLAY_COLUMNS];
    replay_columns(r, col, width);
    prefrl_ckpt_put_i64(c, r->size);
    for (int k = 0; k < REPLAY_COLUMNS; k++)
        prefrl_ckpt_put(c, col[k], sizeof(float) * (gsize)r->size * width[k]);
}

void prefrl_replay_load(PrefrlReplay *r, PrefrlCkpt *c)
{
    float *col[REPLAY_COLUMNS];
    int width[REPLAY_COLUMNS];
    replay_columns(r, col, width);
    r->size = prefrl_ckpt_get_count(c, 0, r->capacity, "the replay size");
    for (int k = 0; k < REPLAY_COLUMNS; k++)
        prefrl_ckpt_get(c, col[k], sizeof(float) * (gsize)r->size * width[k]);
    if (c->error)
        r->size = 0;
}

#define EPISODES_TAG "episodes"

static void episode_save(const PrefrlEpisodes *e, const Episode *ep, PrefrlCkpt *c)
{
    int d = e->obs_dim + e->act_dim;
    prefrl_ckpt_put_i64(c, ep->len);
    prefrl_ckpt_put(c, ep->sa, sizeof(float) * (gsize)ep->len * d);
    prefrl_ckpt_put(c, ep->r, sizeof(float) * (gsize)ep->len);
    gboolean has = PREFRL_EPISODES_KEEP_STATES(e) && ep->has_state;
    prefrl_ckpt_put_i64(c, has);
    if (has)
        prefrl_ckpt_put(c, ep->state,
                        sizeof(double) * (gsize)ep->len * PREFRL_EPISODES_STATE_LEN(e));
}

/* an episode of a section of `version` (1: no states) */
static Episode *episode_load(const PrefrlEpisodes *e, int version, PrefrlCkpt *c)
{
    int d = e->obs_dim + e->act_dim, P = PREFRL_EPISODES_STATE_LEN(e);
    Episode *ep = g_new0(Episode, 1);
    /* bounded by what the file still holds before anything is allocated */
    int64_t most = MIN((int64_t)1 << 24, prefrl_ckpt_remaining(c) / ((gsize)d * sizeof(float)));
    ep->len = (int)prefrl_ckpt_get_count(c, 0, MAX(most, 0), "an episode length");
    ep->cap = MAX(ep->len, 1);
    ep->sa = g_new(float, (gsize)ep->cap * d);
    ep->r = g_new(float, ep->cap);
    prefrl_ckpt_get(c, ep->sa, sizeof(float) * (gsize)ep->len * d);
    prefrl_ckpt_get(c, ep->r, sizeof(float) * (gsize)ep->len);
    if (version >= 2 && prefrl_ckpt_get_count(c, 0, PREFRL_EPISODES_KEEP_STATES(e),
                                              "an episode's state flag")) {
        ep->state = g_new(double, (gsize)ep->cap * P);
        prefrl_ckpt_get(c, ep->state, sizeof(double) * (gsize)ep->len * P);
        ep->has_state = !c->error;
    } else if (PREFRL_EPISODES_KEEP_STATES(e)) {
        /* an open episode goes on growing: room for states it will not get */
        ep->state = g_new(double, (gsize)ep->cap * P);
    }
    return ep;
}

void prefrl_episodes_save(const PrefrlEpisodes *e, PrefrlCkpt *c)
{
    prefrl_ckpt_put_tag(c, EPISODES_TAG, PREFRL_EPISODES_CKPT_VERSION);
    prefrl_ckpt_put_i64(c, e->nq);
    prefrl_ckpt_put_i64(c, e->nv);
    prefrl_ckpt_put_i64(c, e->episodes->len);
    for (guint i = 0; i < e->episodes->len; i++)
        episode_save(e, g_ptr_array_index(e->episodes, i), c);
    prefrl_ckpt_put_i64(c, e->open != NULL);
    if (e->open)
        episode_save(e, e->open, c);
}

void prefrl_episodes_load(PrefrlEpisodes *e, PrefrlCkpt *c, int version)
{
    g_ptr_array_set_size(e->episodes, 0);
    g_clear_pointer(&e->open, episode_free);
    if (version >= 2) {
        prefrl_ckpt_expect_tag(c, EPISODES_TAG, PREFRL_EPISODES_CKPT_VERSION);
        int64_t nq = prefrl_ckpt_get_i64(c), nv = prefrl_ckpt_get_i64(c);
        if (prefrl_ckpt_ok(c) && (nq != e->nq || nv != e->nv)) {
            prefrl_ckpt_fail(c, "episodes with physics states of %lld + %lld, but this "
                                "recipe's environment has %d + %d",
                             (long long)nq, (long long)nv, e->nq, e->nv);
            return;
        }
    }
    int64_t n = prefrl_ckpt_get_count(c, 0, e->max_episodes, "the number of stored episodes");
    for (int64_t i = 0; i < n && !c->error; i++)
        g_ptr_array_add(e->episodes, episode_load(e, version, c));
    if (prefrl_ckpt_get_count(c, 0, 1, "the open-episode flag") && !c->error) {
        e->open = episode_load(e, version, c);
        /* an open episode restored without states stays without them */
    }
}

void prefrl_prefs_save(const PrefrlPrefBuffer *p, PrefrlCkpt *c)
{
    const PrefrlPrefs *v = &p->view;
    gsize row = (gsize)v->H * (v->obs_dim + v->act_dim);
    prefrl_ckpt_put_i64(c, v->H);
    prefrl_ckpt_put_i64(c, v->count);
    prefrl_ckpt_put_i64(c, v->next);
    prefrl_ckpt_put_i64(c, v->total);
    prefrl_ckpt_put(c, p->seg1, sizeof(float) * row * v->count);
    prefrl_ckpt_put(c, p->seg2, sizeof(float) * row * v->count);
    prefrl_ckpt_put(c, p->labels, sizeof(int) * v->count);
}

void prefrl_prefs_load(PrefrlPrefBuffer *p, PrefrlCkpt *c)
{
    PrefrlPrefs *v = &p->view;
    gsize row = (gsize)v->H * (v->obs_dim + v->act_dim);
    prefrl_ckpt_get_count(c, v->H, v->H, "the segment length");
    int count = (int)prefrl_ckpt_get_count(c, 0, v->capacity, "the number of labelled pairs");
    int next = (int)prefrl_ckpt_get_count(c, 0, v->capacity - 1, "the preference ring index");
    int64_t total = prefrl_ckpt_get_count(c, count, G_MAXINT64, "the pairs ever labelled");
    prefrl_ckpt_get(c, p->seg1, sizeof(float) * row * count);
    prefrl_ckpt_get(c, p->seg2, sizeof(float) * row * count);
    prefrl_ckpt_get(c, p->labels, sizeof(int) * count);
    if (!c->error) {
        v->count = count;
        v->next = next;
        v->total = total;
    }
}

void prefrl_state_entropy_save(const PrefrlStateEntropy *s, PrefrlCkpt *c)
{
    prefrl_ckpt_put_f64(c, s->mean);
    prefrl_ckpt_put_f64(c, s->var);
    prefrl_ckpt_put_f64(c, s->count);
}

void prefrl_state_entropy_load(PrefrlStateEntropy *s, PrefrlCkpt *c)
{
    double mean = prefrl_ckpt_get_f64(c), var = prefrl_ckpt_get_f64(c),
           count = prefrl_ckpt_get_f64(c);
    if (!c->error) {
        s->mean = mean;
        s->var = var;
        s->count = count;
    }
}
