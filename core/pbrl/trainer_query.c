/* A query round (PEBBLE, Lee et al., ICML 2021, Algorithm 1): draw
 * candidate segment pairs from recent episodes, let the sampler choose the
 * round's queries, let the teacher label them, store the labels, train the
 * reward learner and relabel the replay with the new reward.  Every round
 * also writes its queries to labels.csv and the labelled pairs to prefs.bin.
 *
 * The segments the learner sees are Lq steps long (>= H: SURF's temporal
 * crops need room); the teacher judges the H steps at offset lo in them. */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "pbrl/trainer_private.h"

void trainer_relabel(PrefrlTrainer *t)
{
    int ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    PrefrlReplay *r = t->state.replay;
    float *sa = t->work.chunk_sa;
    if (!r)
        return; /* on-policy: rewards are predicted as the rollout is collected */
    for (int64_t i0 = 0; i0 < r->size; i0 += RELABEL_CHUNK) {
        int n = (int)MIN((int64_t)RELABEL_CHUNK, r->size - i0);
        for (int i = 0; i < n; i++)
            trainer_concat_sa(r->obs + (i0 + i) * ds, r->act + (i0 + i) * da, ds, da,
                              sa + (gsize)i * d);
        t->rops->predict(t->reward->self, t->state.step, sa, n, r->reward + i0);
    }
}

/* unlabelled pairs for learners that train on them too (SURF) */
static gboolean draw_unlabelled(void *ctx, int n, float *seg1, float *seg2)
{
    PrefrlTrainer *t = ctx;
    return prefrl_episodes_draw(t->state.episodes, &t->state.query_rng, n, t->cfg.Lq, seg1, seg2,
                                NULL, NULL);
}

/* the mean true return of recent training episodes, scaled to a segment:
 * the teacher's "equally preferable" threshold */
static double teacher_margin(const PrefrlTrainer *t)
{
    const TrainerState *s = &t->state;
    if (s->n_recent == 0)
        return 0.0;
    double sum = 0;
    int n = MIN(s->n_recent, RECENT_RETURNS);
    for (int i = 0; i < n; i++)
        sum += s->recent[i];
    return sum / n * ((double)t->cfg.H / t->info.episode_length);
}

/* a failed write of output `f`: an error naming the file, and the run keeps
 * its last good checkpoint (the outputs no longer match the state) */
static gboolean write_failed(PrefrlTrainer *t, PrefrlRunFile f, GError **error)
{
    char *path = prefrl_rundir_path(t->run_dir, f);
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path,
                g_strerror(errno ? errno : EIO));
    g_free(path);
    t->keep_checkpoint = TRUE;
    return FALSE;
}

/* prefs.bin: the labelled pairs, re-usable.  A 32-byte header
 *   "PRFLPREF" (8 bytes), uint32 version 1, uint32 H, uint32 obs_dim, uint32 act_dim,
 *   8 reserved bytes,
 * then per pair: int32 label, float32 seg1[H][obs_dim+act_dim], float32 seg2[...]
 * (native byte order). */
static gboolean write_pair(PrefrlTrainer *t, const float *seg1, const float *seg2, int label,
                           GError **error)
{
    FILE *f = t->out[PREFRL_RUN_PREFS_BIN];
    if (!f)
        return TRUE;
    gsize row = (gsize)t->cfg.Lq * (t->info.obs_dim + t->info.act_dim);
    gboolean ok = TRUE;
    errno = 0;
    if (ftell(f) == 0) {
        uint32_t head[6] = {1, (uint32_t)t->cfg.Lq, (uint32_t)t->info.obs_dim,
                            (uint32_t)t->info.act_dim, 0, 0};
        ok = fwrite("PRFLPREF", 1, 8, f) == 8 && fwrite(head, sizeof head, 1, f) == 1;
    }
    int32_t l = label;
    ok = ok && fwrite(&l, sizeof l, 1, f) == 1 && fwrite(seg1, sizeof(float), row, f) == row &&
         fwrite(seg2, sizeof(float), row, f) == row;
    return ok || write_failed(t, PREFRL_RUN_PREFS_BIN, error);
}

/* labels.csv: a row per query with the true returns of its two segments */
static gboolean write_labels(PrefrlTrainer *t, int n, const int *labels, GError **error)
{
    FILE *f = t->out[PREFRL_RUN_LABELS_CSV];
    const TrainerConfig *c = &t->cfg;
    if (!f)
        return TRUE;
    errno = 0;
    if (t->state.rounds == 1 && ftell(f) == 0)
        fprintf(f, "round,step,pair,label,true_return1,true_return2\n");
    for (int i = 0; i < n; i++) {
        double s1 = 0, s2 = 0;
        for (int h = c->lo; h < c->lo + c->H; h++) {
            s1 += t->work.t_r1[(gsize)i * c->Lq + h];
            s2 += t->work.t_r2[(gsize)i * c->Lq + h];
        }
        fprintf(f, "%lld,%lld,%d,%d,%.9g,%.9g\n", (long long)t->state.rounds,
                (long long)t->state.step, i, labels[i], s1, s2);
    }
    return (fflush(f) == 0 && !ferror(f)) || write_failed(t, PREFRL_RUN_LABELS_CSV, error);
}

gboolean trainer_query_round(PrefrlTrainer *t, gboolean first, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    TrainerState *s = &t->state;
    TrainerWork *w = &t->work;
    /* int(reward_batch · frac), only a later round cut to what is left of
     * the budget (reference: no cap at reward_batch, so an increasing
     * schedule does ask more) */
    int mb = trainer_schedule_size(c, s->step);
    if (!first && mb + s->total_feedback > c->max_feedback)
        mb = (int)(c->max_feedback - s->total_feedback);
    if (mb <= 0)
        return TRUE;
    g_return_val_if_fail(mb <= c->max_round, FALSE); /* the buffers' size */
    if (prefrl_episodes_usable(s->episodes, c->Lq) == 0) {
        trainer_say(t, "query round skipped: no complete episode longer than %d steps yet", c->Lq);
        return TRUE;
    }
    int d = t->info.obs_dim + t->info.act_dim;
    gsize row = (gsize)c->Lq * d;

    /* candidates; the first round is always uniform (reference) */
    int n_cand = first ? mb : MIN(t->sops->n_candidates(t->sampler->self, mb), c->max_query);
    prefrl_episodes_draw(s->episodes, &s->query_rng, n_cand, c->Lq, w->q_seg1, w->q_seg2,
                         w->q_r1, w->q_r2);
    if (first || n_cand == mb) {
        for (int i = 0; i < mb; i++)
            w->q_chosen[i] = i;
    } else {
        int K = t->rops->n_members ? t->rops->n_members(t->reward->self) : 0;
        if (K > 0)
            t->rops->member_probs(t->reward->self, s->step, w->q_seg1, w->q_seg2, n_cand, c->Lq,
                                  w->q_probs);
        PrefrlCandidates cand = {.n = n_cand, .H = c->Lq, .obs_dim = t->info.obs_dim,
                                 .act_dim = t->info.act_dim, .seg1 = w->q_seg1,
                                 .seg2 = w->q_seg2, .K = K, .probs = K > 0 ? w->q_probs : NULL,
                                 .labelled = &s->prefs->view};
        if (!t->sops->select(t->sampler->self, &cand, mb, w->q_chosen, error))
            return FALSE;
    }
    for (int i = 0; i < mb; i++) {
        int j = w->q_chosen[i];
        g_return_val_if_fail(j >= 0 && j < n_cand, FALSE);
        memcpy(w->t_seg1 + i * row, w->q_seg1 + j * row, sizeof(float) * row);
        memcpy(w->t_seg2 + i * row, w->q_seg2 + j * row, sizeof(float) * row);
        memcpy(w->t_r1 + (gsize)i * c->Lq, w->q_r1 + (gsize)j * c->Lq, sizeof(float) * c->Lq);
        memcpy(w->t_r2 + (gsize)i * c->Lq, w->q_r2 + (gsize)j * c->Lq, sizeof(float) * c->Lq);
    }

    /* labels */
    PrefrlTeacherQuery q = {.struct_size = sizeof q, .n = mb, .H = c->Lq, .r1 = w->t_r1,
                            .r2 = w->t_r2, .lo = c->lo, .hi = c->lo + c->H,
                            .margin = teacher_margin(t), .first = first,
                            .obs_dim = t->info.obs_dim, .act_dim = t->info.act_dim,
                            .seg1 = w->t_seg1, .seg2 = w->t_seg2};
    if (!t->tops->label(t->teacher->self, &q, w->q_labels, error))
        return FALSE;
    int stored = 0;
    for (int i = 0; i < mb; i++) {
        if (w->q_labels[i] == PREFRL_LABEL_SKIP)
            continue;
        prefrl_prefs_add(s->prefs, w->t_seg1 + i * row, w->t_seg2 + i * row, w->q_labels[i]);
        if (!write_pair(t, w->t_seg1 + i * row, w->t_seg2 + i * row, w->q_labels[i], error))
            return FALSE;
        stored++;
    }
    s->rounds++;
    s->total_feedback += mb;
    s->labeled_feedback += stored;
    if (!write_labels(t, mb, w->q_labels, error))
        return FALSE;
    errno = 0;
    if (t->out[PREFRL_RUN_PREFS_BIN] &&
        (fflush(t->out[PREFRL_RUN_PREFS_BIN]) != 0 || ferror(t->out[PREFRL_RUN_PREFS_BIN])))
        return write_failed(t, PREFRL_RUN_PREFS_BIN, error);
    trainer_say(t, "query round %lld: %d queries, %d labels (total %lld/%lld)",
                (long long)s->rounds, mb, stored, (long long)s->labeled_feedback,
                (long long)c->max_feedback);

    /* reward learning on every label so far */
    if (s->labeled_feedback > 0) {
        PrefrlRewardData data = {.struct_size = sizeof data, .step = s->step,
                                 .prefs = &s->prefs->view, .n_new = stored, .queries = mb,
                                 .draw_pairs = draw_unlabelled, .draw_ctx = t};
        prefrl_log_scalar(s->reward_log, "round", (double)s->rounds);
        prefrl_log_scalar(s->reward_log, "total_feedback", (double)s->total_feedback);
        prefrl_log_scalar(s->reward_log, "labeled_feedback", (double)s->labeled_feedback);
        if (!t->rops->train(t->reward->self, &data, s->reward_log, error) ||
            !trainer_check_divergence(t, t->reward, error))
            return FALSE;
        if (!prefrl_log_dump_train(s->reward_log, s->step, error))
            return FALSE;
        trainer_relabel(t);
    }
    return TRUE;
}
