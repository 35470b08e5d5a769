/* A query round (PEBBLE, Lee et al., ICML 2021, Algorithm 1): draw
 * candidate segment pairs from recent episodes, let the sampler choose the
 * round's queries, let the teacher label them, store the labels, train the
 * reward learner and relabel the replay with the new reward.  Every round
 * also writes its queries to labels.csv and the labelled pairs to prefs.bin.
 *
 * The segments the learner sees are Lq steps long (>= H: SURF's temporal
 * crops need room); the teacher judges the H steps at offset lo in them.
 *
 * Teachers that show the queries to a person get clips: the round keeps
 * where each chosen segment came from in the episode store, whose physics
 * states the environment renders, encoded by the program's video sink. */
#include "config.h"
#include <errno.h>
#include <string.h>

#include "pbrl/prefs_file.h"
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

gboolean trainer_snapshot(const PrefrlTrainer *t, const PrefrlEnvOps *ops, void *self,
                          double *state)
{
    if (!ops->snapshot || t->info.nq + t->info.nv <= 0)
        return FALSE;
    ops->snapshot(self, state, state + t->info.nq, state + t->info.nq + t->info.nv);
    return TRUE;
}

gboolean trainer_write_segment_video(PrefrlTrainer *t, PrefrlSegmentSource src, int lo, int hi,
                                     const char *path, const char *camera, int width, int height,
                                     int fps, GError **error)
{
    const PrefrlEpisodes *e = t->state.episodes;
    const char *env = t->env->component->name;
    if (!t->video || !t->eops->render) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "cannot write %s: %s", path,
                    !t->video ? "this program installed no video encoder"
                              : "the environment cannot render");
        return FALSE;
    }
    if (width <= 0 || height <= 0 || fps <= 0 || lo < 0 || hi <= lo) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "cannot write %s: %dx%d frames at %d fps of steps [%d, %d) (sizes and fps "
                    "must be positive, the steps not empty)",
                    path, width, height, fps, lo, hi);
        return FALSE;
    }
    for (int h = lo; h < hi; h++)
        if (!prefrl_episodes_state(e, src, h)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "cannot write %s: env/%s kept no physics state for that segment (no "
                        "snapshot, or an episode restored from an older checkpoint)",
                        path, env);
            return FALSE;
        }
    guint8 *rgb = g_try_malloc((gsize)width * height * 3);
    if (!rgb) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot write %s: no memory for %dx%d frames", path, width, height);
        return FALSE;
    }
    void *video = t->video->open(path, width, height, fps, error);
    gboolean ok = video != NULL;
    for (int h = lo; ok && h < hi; h++) {
        const double *st = prefrl_episodes_state(e, src, h);
        ok = t->eops->render(t->env->self, st, st + e->nq, st[e->nq + e->nv], camera, width,
                             height, rgb, error) &&
             t->video->add_frame(video, rgb, error);
    }
    if (video) {
        if (ok)
            ok = t->video->close(video, error);
        else
            t->video->abandon(video);
    }
    g_free(rgb);
    return ok;
}

/* PrefrlTeacherQuery.write_clip: pair i's segment `which` of this round */
static gboolean write_clip(void *ctx, int i, int which, const char *path, const char *camera,
                           int width, int height, int fps, GError **error)
{
    PrefrlTrainer *t = ctx;
    if (!path || which < 0 || which > 1 || i < 0 || i >= t->work.clip_pairs) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "write_clip: pair %d, segment %d is not one of this round's %d pairs x 2 "
                    "(or no path)",
                    i, which, t->work.clip_pairs);
        return FALSE;
    }
    PrefrlSegmentSource src = which ? t->work.t_src2[i] : t->work.t_src1[i];
    return trainer_write_segment_video(t, src, t->cfg.lo, t->cfg.lo + t->cfg.H, path, camera,
                                       width, height, fps, error);
}

/* PrefrlTeacherQuery.say: the terminal and log.txt */
static void say_line(void *ctx, const char *line)
{
    PrefrlTrainer *t = ctx;
    /* over the terminal's progress line rather than after it */
    fprintf(stderr, "%s%s\n", t->progress.mode == PREFRL_PROGRESS_TERMINAL ? "\r\033[K" : "",
            line);
    trainer_say(t, "%s", line);
}

/* unlabelled pairs for learners that train on them too (SURF) */
static gboolean draw_unlabelled(void *ctx, int n, float *seg1, float *seg2)
{
    PrefrlTrainer *t = ctx;
    return prefrl_episodes_draw(t->state.episodes, &t->state.query_rng, n, t->cfg.Lq, seg1, seg2,
                                NULL, NULL, NULL, NULL);
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

/* prefs.bin: the labelled pairs, re-usable (trainer.seed_prefs); the format
 * is prefs_file.h's */
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
        uint32_t head[6] = {PREFRL_PREFS_VERSION, (uint32_t)t->cfg.Lq,
                            (uint32_t)t->info.obs_dim, (uint32_t)t->info.act_dim, 0, 0};
        ok = fwrite(PREFRL_PREFS_MAGIC, 1, 8, f) == 8 && fwrite(head, sizeof head, 1, f) == 1;
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

gboolean trainer_learn_seed_prefs(PrefrlTrainer *t, GError **error)
{
    TrainerState *s = &t->state;
    if (t->seed_pairs == 0 || t->resumed_at >= 0 || s->step != 0)
        return TRUE;
    PrefrlRewardData data = {.struct_size = sizeof data, .step = s->step,
                             .prefs = &s->prefs->view, .n_new = t->seed_pairs, .queries = 0,
                             .draw_pairs = draw_unlabelled, .draw_ctx = t};
    prefrl_log_scalar(s->reward_log, "round", 0.0);
    prefrl_log_scalar(s->reward_log, "total_feedback", (double)s->total_feedback);
    prefrl_log_scalar(s->reward_log, "labeled_feedback", (double)s->labeled_feedback);
    if (!t->rops->train(t->reward->self, &data, s->reward_log, error) ||
        !trainer_check_divergence(t, t->reward, error) ||
        !prefrl_log_dump_train(s->reward_log, s->step, error))
        return FALSE;
    trainer_relabel(t);
    trainer_say(t, "reward/%s trained on %d preference pairs of %s", t->reward->component->name,
                t->seed_pairs, t->cfg.seed_prefs);
    return TRUE;
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
                         w->q_r1, w->q_r2, w->q_src1, w->q_src2);
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
        w->t_src1[i] = w->q_src1[j];
        w->t_src2[i] = w->q_src2[j];
    }
    w->clip_pairs = mb;

    /* labels */
    PrefrlTeacherQuery q = {.struct_size = sizeof q, .n = mb, .H = c->Lq, .r1 = w->t_r1,
                            .r2 = w->t_r2, .lo = c->lo, .hi = c->lo + c->H,
                            .margin = teacher_margin(t), .first = first,
                            .obs_dim = t->info.obs_dim, .act_dim = t->info.act_dim,
                            .seg1 = w->t_seg1, .seg2 = w->t_seg2,
                            .round = s->rounds + 1, .step = s->step,
                            .budget_left = MAX(c->max_feedback - s->total_feedback - mb, 0),
                            .stop = t->stop,
                            /* clips need an encoder, a renderer and stored states */
                            .write_clip = t->video && t->eops->render &&
                                                  s->episodes->nq + s->episodes->nv > 0
                                              ? write_clip
                                              : NULL,
                            .clip_ctx = t, .say = say_line, .say_ctx = t};
    GError *err = NULL;
    gboolean labelled = t->tops->label(t->teacher->self, &q, w->q_labels, &err);
    w->clip_pairs = 0;
    if (!labelled) {
        /* a person left the round unanswered, or an interactive teacher
         * failed (a bad answers file, a timeout): the checkpoint written
         * before the round (interactive teachers; the last rollout boundary
         * on-policy) stays, so `prefrl resume` asks this round again */
        gboolean interrupted = g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED);
        if (interrupted || t->interactive) {
            t->keep_checkpoint = TRUE;
            trainer_say(t, "query round %lld %s; `prefrl resume` asks it again",
                        (long long)s->rounds + 1, interrupted ? "interrupted" : "failed");
        }
        if (err)
            g_propagate_error(error, err);
        return FALSE;
    }
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

    /* reward learning on every label so far (and the seed pairs) */
    if (s->prefs->view.count > 0) {
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
