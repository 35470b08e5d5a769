/* Evaluation: deterministic episodes of the agent scored with the true
 * reward (mean return, success rate), and for agents with a critic view the
 * Q-accuracy diagnostic of the PEBBLE paper's Table 1 (how well the critic's
 * Q predicts the discounted true return).  Evaluation uses its own
 * observation buffer, so it never disturbs the episode in progress. */
#include "config.h"
#include <math.h>
#include <string.h>

#include "pbrl/trainer_private.h"

/* one recorded episode of T steps: q = min over the critic heads of
 * Q(s_t, a_t) (what SAC's targets and actor use), g = the discounted true
 * return from t to the episode's end */
static void q_and_return(PrefrlTrainer *t, int T, float *q, float *g)
{
    const PrefrlCriticView *cv = t->aops->critic_view(t->agent->self);
    const TrainerWork *w = &t->work;
    for (int i = 0; i < T; i++)
        q[i] = INFINITY;
    for (int h = 0; h < cv->n_heads; h++) {
        int chunk = prefrl_mlp_max_batch(cv->heads[h]);
        for (int i0 = 0; i0 < T; i0 += chunk) {
            int n = MIN(chunk, T - i0);
            const float *out = prefrl_mlp_forward(
                cv->heads[h], w->ep_sa + (gsize)i0 * (t->info.obs_dim + t->info.act_dim), n);
            for (int i = 0; i < n; i++)
                q[i0 + i] = fminf(q[i0 + i], out[i]);
        }
    }
    double G = 0;
    for (int i = T - 1; i >= 0; i--) {
        G = w->ep_r[i] + cv->discount * G;
        g[i] = (float)G;
    }
}

void prefrl_q_errors(const float *q, const float *g, int64_t n, double *mse, double *nmse)
{
    double sq = 0, mq = 0, mg = 0;
    for (int64_t i = 0; i < n; i++) {
        sq += ((double)q[i] - g[i]) * ((double)q[i] - g[i]);
        mq += q[i];
        mg += g[i];
    }
    mq /= MAX(n, 1);
    mg /= MAX(n, 1);
    double vq = 0, vg = 0, cov = 0;
    for (int64_t i = 0; i < n; i++) {
        vq += (q[i] - mq) * (q[i] - mq);
        vg += (g[i] - mg) * (g[i] - mg);
        cov += (q[i] - mq) * (g[i] - mg);
    }
    *mse = n ? sq / n : NAN;
    *nmse = n && vq > 0 && vg > 0 ? 2.0 * (1.0 - cov / sqrt(vq * vg)) : NAN;
}

gboolean trainer_check_video(PrefrlTrainer *t, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    if (!c->save_video || !t->run_dir)
        return TRUE;
    const char *env = t->env->component->name;
    if (!t->eops->render || !t->eops->snapshot || t->info.nq + t->info.nv <= 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "trainer.save_video: env/%s cannot render its states; set "
                    "trainer.save_video=false",
                    env);
        return FALSE;
    }
    if (!t->video) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "trainer.save_video: this program has no video encoder (prefrl run has); "
                    "set trainer.save_video=false");
        return FALSE;
    }
    if (c->video_camera) {
        const char *const *names = t->eops->cameras ? t->eops->cameras(t->env->self) : NULL;
        for (int i = 0; names && names[i]; i++)
            if (!strcmp(names[i], c->video_camera))
                return TRUE;
        char *list = names ? g_strjoinv(", ", (char **)names) : g_strdup("none");
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "trainer.video_camera: env/%s has no camera '%s' (cameras: %s)", env,
                    c->video_camera, list);
        g_free(list);
        return FALSE;
    }
    return TRUE;
}

/* the evaluation video being written: the sink's video and a frame buffer */
typedef struct {
    void *video;
    guint8 *rgb;
    char *path;
} EvalVideo;

/* start <run>/videos/eval-<step>.<ext>; FALSE with an error naming it */
static gboolean video_begin(PrefrlTrainer *t, EvalVideo *v, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    char *dir = g_build_filename(t->run_dir, "videos", NULL);
    char *name = g_strdup_printf("eval-%lld.%s", (long long)t->state.step, c->video_ext);
    v->path = g_build_filename(dir, name, NULL);
    g_free(name);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", dir,
                    g_strerror(errno));
        g_free(dir);
        return FALSE;
    }
    g_free(dir);
    v->rgb = g_try_malloc((gsize)c->video_width * c->video_height * 3);
    if (!v->rgb) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: no memory for "
                    "%dx%d frames", v->path, c->video_width, c->video_height);
        return FALSE;
    }
    v->video = t->video->open(v->path, c->video_width, c->video_height, c->video_fps, error);
    return v->video != NULL;
}

/* the current state of the evaluation environment as the next frame */
static gboolean video_frame(PrefrlTrainer *t, EvalVideo *v, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    double *st = t->work.state;
    trainer_snapshot(t, t->eops, t->env->self, st);
    return t->eops->render(t->env->self, st, st + t->info.nq, st[t->info.nq + t->info.nv],
                           c->video_camera, c->video_width, c->video_height, v->rgb, error) &&
           t->video->add_frame(v->video, v->rgb, error);
}

/* finish the video (ok) or abandon it; the outcome */
static gboolean video_end(PrefrlTrainer *t, EvalVideo *v, gboolean ok, GError **error)
{
    if (v->video) {
        if (ok)
            ok = t->video->close(v->video, error);
        else
            t->video->abandon(v->video);
    }
    g_free(v->rgb);
    g_free(v->path);
    *v = (EvalVideo){0};
    return ok;
}

/* n evaluation episodes; the first recorded into `video` when not NULL */
static gboolean evaluate(PrefrlTrainer *t, int n, EvalVideo *video, double *mean_return,
                         double *success_rate, double *q_mse, double *q_nmse, GError **error)
{
    int ds = t->info.obs_dim, da = t->info.act_dim, L = t->info.episode_length;
    TrainerWork *w = &t->work;
    float *obs = w->eval_obs;
    double total = 0;
    int successes = 0;
    int64_t q_steps = 0;
    for (int e = 0; e < n; e++) {
        if (!t->eops->reset(t->env->self, obs, error))
            return FALSE;
        EvalVideo *v = e == 0 ? video : NULL;
        if (v && !video_frame(t, v, error))
            return FALSE;
        double ret = 0;
        gboolean success = FALSE;
        gboolean record = w->ep_sa && e < Q_EPISODES;
        int T = 0;
        for (;;) {
            PrefrlEnvStep st = {0};
            t->aops->act(t->agent->self, obs, TRUE, w->act);
            if (record && T < L)
                trainer_concat_sa(obs, w->act, ds, da, w->ep_sa + (gsize)T * (ds + da));
            if (!t->eops->step(t->env->self, w->act, w->next_obs, &st, error))
                return FALSE;
            if (record && T < L)
                w->ep_r[T] = st.reward;
            if (v && !video_frame(t, v, error))
                return FALSE;
            T++;
            ret += st.reward;
            success |= st.success != 0;
            memcpy(obs, w->next_obs, sizeof(float) * ds);
            if (st.terminal || st.truncated || T >= L)
                break;
        }
        if (record) {
            q_and_return(t, T, w->ep_q + q_steps, w->ep_g + q_steps);
            q_steps += T;
        }
        total += ret;
        successes += success;
    }
    *mean_return = total / n;
    if (success_rate)
        *success_rate = 100.0 * successes / n;
    double mse, nmse;
    prefrl_q_errors(w->ep_q, w->ep_g, q_steps, &mse, &nmse);
    if (q_mse)
        *q_mse = mse;
    if (q_nmse)
        *q_nmse = nmse;
    return TRUE;
}

gboolean prefrl_trainer_evaluate(PrefrlTrainer *t, int n, double *mean_return,
                                 double *success_rate, double *q_mse, double *q_nmse,
                                 GError **error)
{
    return evaluate(t, n, NULL, mean_return, success_rate, q_mse, q_nmse, error);
}

gboolean trainer_evaluate_and_log(PrefrlTrainer *t, GError **error)
{
    TrainerState *s = &t->state;
    double ret, success, q_mse, q_nmse;
    EvalVideo video = {0};
    gboolean recording = t->cfg.save_video && t->run_dir && t->video && t->eops->render &&
                         t->work.state; /* trainer_check_video refused the rest */
    gboolean ok = !recording || video_begin(t, &video, error);
    ok = ok && evaluate(t, t->cfg.num_eval_episodes, recording ? &video : NULL, &ret, &success,
                        &q_mse, &q_nmse, error);
    char *shown = recording ? g_strdup(video.path) : NULL;
    if (recording)
        ok = video_end(t, &video, ok, ok ? error : NULL);
    if (!ok) {
        /* an evaluation cut short has moved the environment on: the last
         * good checkpoint stays */
        t->keep_checkpoint = TRUE;
        g_free(shown);
        return FALSE;
    }
    if (shown)
        trainer_say(t, "evaluation video written to %s", shown);
    g_free(shown);
    s->last_eval = ret;
    prefrl_log_scalar(s->log, "eval/episode", (double)s->episode);
    prefrl_log_scalar(s->log, "eval/episode_reward", ret);
    prefrl_log_scalar(s->log, "eval/true_episode_reward", ret);
    if (t->info.has_success) {
        prefrl_log_scalar(s->log, "eval/success_rate", success);
        prefrl_log_scalar(s->log, "eval/true_episode_success", success);
    }
    if (!isnan(q_mse)) {
        /* both columns from the first row on (eval.csv's header is fixed by it);
         * a constant Q or return has no scale-free error: "nan" */
        prefrl_log_scalar(s->log, "eval/q_mse", q_mse);
        prefrl_log_scalar(s->log, "eval/q_nmse", q_nmse);
    }
    trainer_say(t, "evaluation: mean true return %.3f, success rate %.0f%%, Q mse %.4g, Q nmse "
                   "%.4g",
                ret, success, q_mse, q_nmse);
    return prefrl_log_dump_eval(s->log, s->step, error);
}
