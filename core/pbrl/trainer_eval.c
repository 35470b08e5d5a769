/* Evaluation: deterministic episodes of the agent scored with the true
 * reward (mean return, success rate), and for agents with a critic view the
 * Q-accuracy diagnostic of the PEBBLE paper's Table 1 (how well the critic's
 * Q predicts the discounted true return).  Evaluation uses its own
 * observation buffer, so it never disturbs the episode in progress.
 *
 * The diagnostic has two targets.  G, the discounted return to the
 * episode's end, is truncated at the time limit, while SAC bootstraps
 * through time limits: a good critic is charged for the missing tail in
 * each episode's last ~1/(1−γ) steps.  The true value continues the
 * episode past the limit with the evaluated policy (the env's
 * lift_time_limit; the physics has none) for K = ceil(log(1e-4) / log γ)
 * steps, so every state's sum runs over at least K steps past it and the
 * terms cut off weigh γ^K < 1e-4 (a true termination ends the sum).  The
 * continuation draws from no random stream (deterministic actions; the
 * envs draw only at reset) and the episode's own steps are unchanged, so
 * every other number of the evaluation, and the training after it, are as
 * without it. */
#include "config.h"
#include <math.h>
#include <string.h>

#include "pbrl/trainer_private.h"

/* γ^K below this ends the true value's continuation */
#define Q_TRUE_CUT 1e-4

int prefrl_q_true_steps(double discount)
{
    if (!(discount > 0))
        return 0;
    if (!(discount < 1))
        return -1;
    return (int)ceil(log(Q_TRUE_CUT) / log(discount));
}

/* one recorded episode of T steps: q = min over the critic heads of
 * Q(s_t, a_t) (what SAC's targets and actor use), g = the discounted true
 * return from t to the episode's end, g_true = g plus the continuation's
 * discounted return `tail` (from step T on) discounted to t */
static void q_and_return(PrefrlTrainer *t, int T, double tail, float *q, float *g, float *g_true)
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
    double G = 0, to_end = 1;
    for (int i = T - 1; i >= 0; i--) {
        G = w->ep_r[i] + cv->discount * G;
        to_end *= cv->discount; /* γ^(T−i) */
        g[i] = (float)G;
        g_true[i] = (float)(G + to_end * tail);
    }
}

/* follow an evaluation episode past its end for `K` steps with the
 * evaluated policy: its discounted true return from the episode's end
 * (*tail); FALSE with *error when the env fails */
static gboolean continue_episode(PrefrlTrainer *t, float *obs, int K, double *tail,
                                 GError **error)
{
    const PrefrlCriticView *cv = t->aops->critic_view(t->agent->self);
    TrainerWork *w = &t->work;
    double sum = 0, disc = 1;
    for (int k = 0; k < K; k++) {
        PrefrlEnvStep st = {0};
        t->aops->act(t->agent->self, obs, TRUE, w->act);
        if (!t->eops->step(t->env->self, w->act, w->next_obs, &st, error))
            return FALSE;
        sum += disc * st.reward;
        disc *= cv->discount;
        memcpy(obs, w->next_obs, sizeof(float) * t->info.obs_dim);
        if (st.terminal)
            break;
    }
    *tail = sum;
    return TRUE;
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
    if (ok)
        trainer_say(t, "evaluation video written to %s", v->path);
    g_free(v->rgb);
    g_free(v->path);
    *v = (EvalVideo){0};
    return ok;
}

/* n evaluation episodes; the first recorded into `video` when not NULL */
static gboolean evaluate(PrefrlTrainer *t, int n, EvalVideo *video, PrefrlEvalResult *res,
                         GError **error)
{
    int ds = t->info.obs_dim, da = t->info.act_dim, L = t->info.episode_length;
    TrainerWork *w = &t->work;
    float *obs = w->eval_obs;
    double total = 0;
    int successes = 0;
    int64_t q_steps = 0;
    /* the true value's continuation: K steps (none without a critic view) */
    const PrefrlCriticView *cv = w->ep_sa ? t->aops->critic_view(t->agent->self) : NULL;
    const int K = cv ? prefrl_q_true_steps(cv->discount) : 0;
    const char *no_true = !cv ? NULL
                          : K < 0 ? "the discount is 1 (no finite horizon)"
                          : !t->eops->lift_time_limit ? "its episodes cannot go past the time limit"
                                                      : NULL;
    for (int e = 0; e < n; e++) {
        if (!t->eops->reset(t->env->self, obs, error))
            return FALSE;
        EvalVideo *v = e == 0 ? video : NULL;
        if (v && !video_frame(t, v, error))
            return FALSE;
        double ret = 0, tail = 0;
        gboolean success = FALSE, terminal = FALSE;
        gboolean record = w->ep_sa && e < Q_EPISODES;
        if (record && !no_true && K > 0)
            t->eops->lift_time_limit(t->env->self);
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
            terminal = st.terminal != 0;
            memcpy(obs, w->next_obs, sizeof(float) * ds);
            if (st.terminal || st.truncated || T >= L)
                break;
        }
        if (record && !no_true && !terminal && K > 0) {
            GError *cont = NULL;
            if (!continue_episode(t, obs, K, &tail, &cont)) {
                /* the episode's own numbers stand; only the true value is lost */
                trainer_say(t, "Q diagnostic: following evaluation episode %d past its time "
                               "limit failed (%s); q_mse_true and q_nmse_true are nan",
                            e + 1, cont->message);
                g_error_free(cont);
                no_true = "the continuation failed";
            }
        }
        if (record) {
            q_and_return(t, T, tail, w->ep_q + q_steps, w->ep_g + q_steps, w->ep_gt + q_steps);
            q_steps += T;
        }
        total += ret;
        successes += success;
    }
    if (no_true && cv && !t->said_no_q_true) {
        trainer_say(t, "Q diagnostic: no true value for env/%s: %s; q_mse_true and q_nmse_true "
                       "are nan",
                    t->env->component->name, no_true);
        t->said_no_q_true = TRUE;
    }
    res->mean_return = total / n;
    res->success_rate = 100.0 * successes / n;
    prefrl_q_errors(w->ep_q, w->ep_g, q_steps, &res->q_mse, &res->q_nmse);
    if (no_true)
        res->q_mse_true = res->q_nmse_true = NAN;
    else
        prefrl_q_errors(w->ep_q, w->ep_gt, q_steps, &res->q_mse_true, &res->q_nmse_true);
    return TRUE;
}

gboolean prefrl_trainer_evaluate_all(PrefrlTrainer *t, int n, PrefrlEvalResult *res,
                                     GError **error)
{
    return evaluate(t, n, NULL, res, error);
}

gboolean prefrl_trainer_evaluate(PrefrlTrainer *t, int n, double *mean_return,
                                 double *success_rate, double *q_mse, double *q_nmse,
                                 GError **error)
{
    PrefrlEvalResult r;
    if (!prefrl_trainer_evaluate_all(t, n, &r, error))
        return FALSE;
    *mean_return = r.mean_return;
    if (success_rate)
        *success_rate = r.success_rate;
    if (q_mse)
        *q_mse = r.q_mse;
    if (q_nmse)
        *q_nmse = r.q_nmse;
    return TRUE;
}

gboolean trainer_evaluate_and_log(PrefrlTrainer *t, GError **error)
{
    TrainerState *s = &t->state;
    PrefrlEvalResult r;
    EvalVideo video = {0};
    /* trainer_check_video refused, when the run started, a recording this
     * environment or program cannot make */
    gboolean recording = t->cfg.save_video && t->run_dir;
    gboolean ok = !recording || video_begin(t, &video, error);
    ok = ok && evaluate(t, t->cfg.num_eval_episodes, recording ? &video : NULL, &r, error);
    if (recording)
        ok = video_end(t, &video, ok, ok ? error : NULL);
    if (!ok) {
        /* an evaluation cut short has moved the environment on: the last
         * good checkpoint stays */
        t->keep_checkpoint = TRUE;
        return FALSE;
    }
    s->last_eval = r.mean_return;
    prefrl_log_scalar(s->log, "eval/episode", (double)s->episode);
    prefrl_log_scalar(s->log, "eval/episode_reward", r.mean_return);
    prefrl_log_scalar(s->log, "eval/true_episode_reward", r.mean_return);
    if (t->info.has_success) {
        prefrl_log_scalar(s->log, "eval/success_rate", r.success_rate);
        prefrl_log_scalar(s->log, "eval/true_episode_success", r.success_rate);
    }
    if (!isnan(r.q_mse)) {
        /* all four columns from the first row on (eval.csv's header is fixed
         * by it); a constant Q or return has no scale-free error: "nan" */
        prefrl_log_scalar(s->log, "eval/q_mse", r.q_mse);
        prefrl_log_scalar(s->log, "eval/q_nmse", r.q_nmse);
        prefrl_log_scalar(s->log, "eval/q_mse_true", r.q_mse_true);
        prefrl_log_scalar(s->log, "eval/q_nmse_true", r.q_nmse_true);
    }
    trainer_say(t, "evaluation: mean true return %.3f, success rate %.0f%%, Q mse %.4g, Q nmse "
                   "%.4g (against the true value: %.4g, %.4g)",
                r.mean_return, r.success_rate, r.q_mse, r.q_nmse, r.q_mse_true, r.q_nmse_true);
    return prefrl_log_dump_eval(s->log, s->step, error);
}
