/* Checkpoints: the run directory's checkpoint/ holds one file per component
 * (<kind>.bin, written by its save hook) and trainer.bin, the TrainerState
 * field by field.  Resuming sets a trainer up from the run's own recipe,
 * loads every file back and cuts the outputs back to their lengths at the
 * checkpoint, so the resumed run writes what the uninterrupted one would
 * have; outputs.bin records each output's length and the CRC-32 of those
 * bytes, so an output cut or changed since is refused, never padded.
 * The folder is written and swapped in by the run-directory module
 * (rundir.h), so a crash at any moment leaves a complete checkpoint.
 * On-policy runs (trainer_onpolicy.c) add the loop's state between
 * rollouts to trainer.bin and their rollout environments as env-<i>.bin. */
#include "config.h"
#include <string.h>

#include "pbrl/trainer_private.h"

#define STATE_TAG "trainer"
#define STATE_VERSION 3 /* 3: the episode store's section is versioned (physics states) */

/* ---- trainer.bin's on-policy section ------------------------------------------------ */

/* the on-policy loop's state between rollouts (trainer_onpolicy.c): the
 * observations the next rollout starts from, the episodes in progress, the
 * last episode columns, the unsupervised phase's observations; the rollout
 * environments themselves are files of their own (env-<i>.bin) */

#define ONPOLICY_TAG "trainer/on-policy"
#define ONPOLICY_VERSION 2 /* 2: the episodes in progress keep their physics states */

/* the checkpoint part name of rollout environment i (transfer full) */
static char *onpolicy_env_part(int i)
{
    return g_strdup_printf("env-%d", i + 1);
}

static void onpolicy_save(const PrefrlTrainer *t, PrefrlCkpt *c)
{
    const TrainerOnPolicy *op = t->op;
    const int n = op->n_envs, ds = t->info.obs_dim, d = ds + t->info.act_dim;
    const int L = t->info.episode_length, P = PREFRL_EPISODES_STATE_LEN(t->state.episodes);
    prefrl_ckpt_put_tag(c, ONPOLICY_TAG, ONPOLICY_VERSION);
    prefrl_ckpt_put_i64(c, n);
    prefrl_ckpt_put_i64(c, op->rollout_length);
    prefrl_ckpt_put_floats(c, op->obs, (gsize)n * ds);
    for (int i = 0; i < n; i++) {
        const int len = op->ep_len[i];
        prefrl_ckpt_put_i64(c, len);
        prefrl_ckpt_put_floats(c, op->ep_sa + (gsize)i * L * d, (gsize)len * d);
        prefrl_ckpt_put_floats(c, op->ep_r + (gsize)i * L, len);
        const gboolean has = op->ep_state && op->ep_has_state[i];
        prefrl_ckpt_put_i64(c, has);
        if (has)
            prefrl_ckpt_put_doubles(c, op->ep_state + (gsize)i * L * P, (gsize)len * P);
    }
    prefrl_ckpt_put_doubles(c, op->ep_reward, n);
    prefrl_ckpt_put_doubles(c, op->ep_true, n);
    prefrl_ckpt_put_doubles(c, op->ep_success, n);
    const double last[3] = {op->last.reward, op->last.true_reward, op->last.success};
    prefrl_ckpt_put_doubles(c, last, 3);
    prefrl_ckpt_put_i64(c, op->last.n);
    prefrl_ckpt_put_i64(c, op->unsup != NULL);
    if (op->unsup)
        prefrl_replay_save(op->unsup, c);
}

static void onpolicy_load(PrefrlTrainer *t, PrefrlCkpt *c)
{
    TrainerOnPolicy *op = t->op;
    const int n = op->n_envs, ds = t->info.obs_dim, d = ds + t->info.act_dim;
    const int L = t->info.episode_length, P = PREFRL_EPISODES_STATE_LEN(t->state.episodes);
    /* version 1 (before physics states): its episodes in progress get none */
    int version = prefrl_ckpt_expect_tag_range(c, ONPOLICY_TAG, 1, ONPOLICY_VERSION);
    int64_t got_n = prefrl_ckpt_get_i64(c), got_T = prefrl_ckpt_get_i64(c);
    if (prefrl_ckpt_ok(c) && (got_n != n || got_T != op->rollout_length)) {
        prefrl_ckpt_fail(c, "written for %lld environments and rollouts of %lld steps, but "
                            "this recipe's agent/%s has %d and %d",
                         (long long)got_n, (long long)got_T, t->agent->component->name, n,
                         op->rollout_length);
        return;
    }
    prefrl_ckpt_get_floats(c, op->obs, (gsize)n * ds, "the rollout observations");
    for (int i = 0; i < n; i++) {
        /* an episode in progress has not ended: shorter than the episode length */
        op->ep_len[i] = (int)prefrl_ckpt_get_count(c, 0, L - 1, "an episode's length");
        prefrl_ckpt_get_floats(c, op->ep_sa + (gsize)i * L * d, (gsize)op->ep_len[i] * d,
                               "an episode's steps");
        prefrl_ckpt_get_floats(c, op->ep_r + (gsize)i * L, op->ep_len[i],
                               "an episode's rewards");
        op->ep_has_state[i] = FALSE;
        if (version >= 2 &&
            prefrl_ckpt_get_count(c, 0, op->ep_state != NULL, "an episode's state flag")) {
            prefrl_ckpt_get_doubles(c, op->ep_state + (gsize)i * L * P, (gsize)op->ep_len[i] * P,
                                    "an episode's physics states");
            op->ep_has_state[i] = prefrl_ckpt_ok(c);
        }
    }
    prefrl_ckpt_get_doubles(c, op->ep_reward, n, "the episodes' rewards");
    prefrl_ckpt_get_doubles(c, op->ep_true, n, "the episodes' true rewards");
    prefrl_ckpt_get_doubles(c, op->ep_success, n, "the episodes' successes");
    double last[3];
    prefrl_ckpt_get_doubles(c, last, 3, "the last episode columns");
    op->last = (TrainerEpisodeStats){last[0], last[1], last[2], 0};
    op->last.n = (int)prefrl_ckpt_get_count(c, 0, G_MAXINT, "the last episode count");
    if (prefrl_ckpt_get_count(c, op->unsup != NULL, op->unsup != NULL, "the pre-training flag"))
        prefrl_replay_load(op->unsup, c);
    if (!prefrl_ckpt_ok(c))
        memset(op->ep_len, 0, sizeof(int) * n);
}

/* ---- trainer.bin ------------------------------------------------------------------ */

static void state_save(const PrefrlTrainer *t, PrefrlCkpt *c)
{
    const TrainerState *s = &t->state;
    prefrl_ckpt_put_tag(c, STATE_TAG, STATE_VERSION);
    /* the environment it fits */
    prefrl_ckpt_put_i64(c, t->info.obs_dim);
    prefrl_ckpt_put_i64(c, t->info.act_dim);
    /* counters */
    prefrl_ckpt_put_i64(c, s->step);
    prefrl_ckpt_put_i64(c, s->episode);
    prefrl_ckpt_put_i64(c, s->total_feedback);
    prefrl_ckpt_put_i64(c, s->labeled_feedback);
    prefrl_ckpt_put_i64(c, s->interact_count);
    prefrl_ckpt_put_i64(c, s->rounds);
    prefrl_ckpt_put_doubles(c, s->recent, RECENT_RETURNS);
    prefrl_ckpt_put_i64(c, s->n_recent);
    prefrl_ckpt_put_f64(c, s->last_eval);
    /* streams */
    prefrl_rng_save(&s->rng, "trainer", c);
    prefrl_rng_save(&s->query_rng, "queries", c);
    /* the episode in progress */
    prefrl_ckpt_put_i64(c, s->done);
    prefrl_ckpt_put_i64(c, s->ep_step);
    prefrl_ckpt_put_f64(c, s->ep_reward);
    prefrl_ckpt_put_f64(c, s->ep_true);
    prefrl_ckpt_put_f64(c, s->ep_success);
    prefrl_ckpt_put_floats(c, s->obs, t->info.obs_dim);
    /* buffers */
    prefrl_ckpt_put_i64(c, s->replay != NULL);
    if (s->replay)
        prefrl_replay_save(s->replay, c);
    prefrl_episodes_save(s->episodes, c);
    prefrl_ckpt_put_i64(c, s->prefs != NULL);
    if (s->prefs)
        prefrl_prefs_save(s->prefs, c);
    prefrl_state_entropy_save(s->entropy, c);
    if (t->op)
        onpolicy_save(t, c);
    /* metrics since the last rows */
    prefrl_log_save(s->log, c);
    prefrl_log_save(s->reward_log, c);
    /* output lengths */
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++)
        prefrl_ckpt_put_i64(c, s->out_len[i]);
}

/* the inverse of state_save, into the state of a trainer set up from the
 * same recipe (its buffers are sized for it: a size that does not fit is a
 * format error) */
static void state_load(PrefrlTrainer *t, PrefrlCkpt *c)
{
    TrainerState *s = &t->state;
    const TrainerConfig *cfg = &t->cfg;
    /* version 2 (before physics states) loads: its episodes have no states */
    int version = prefrl_ckpt_expect_tag_range(c, STATE_TAG, 2, STATE_VERSION);
    int64_t ds = prefrl_ckpt_get_i64(c), da = prefrl_ckpt_get_i64(c);
    if (prefrl_ckpt_ok(c) && (ds != t->info.obs_dim || da != t->info.act_dim)) {
        prefrl_ckpt_fail(c, "written for observations of %lld and actions of %lld, but this "
                            "recipe's environment has %d and %d",
                         (long long)ds, (long long)da, t->info.obs_dim, t->info.act_dim);
        return;
    }
    /* an on-policy run stops at the end of a rollout, past num_train_steps */
    int64_t last_step = cfg->num_train_steps;
    if (t->op)
        last_step += (int64_t)t->op->n_envs * t->op->rollout_length;
    s->step = prefrl_ckpt_get_count(c, 0, last_step, "the step");
    s->episode = prefrl_ckpt_get_count(c, 0, G_MAXINT64, "the episode count");
    s->total_feedback = prefrl_ckpt_get_count(c, 0, G_MAXINT64, "the queries asked");
    s->labeled_feedback = prefrl_ckpt_get_count(c, 0, s->total_feedback, "the labels stored");
    s->interact_count = prefrl_ckpt_get_count(c, 0, G_MAXINT64, "the steps since a query round");
    s->rounds = prefrl_ckpt_get_count(c, 0, G_MAXINT64, "the query rounds");
    prefrl_ckpt_get_doubles(c, s->recent, RECENT_RETURNS, "the recent returns");
    s->n_recent = (int)prefrl_ckpt_get_count(c, 0, G_MAXINT, "the recent episode count");
    s->last_eval = prefrl_ckpt_get_f64(c);
    prefrl_rng_load(&s->rng, "trainer", c);
    prefrl_rng_load(&s->query_rng, "queries", c);
    s->done = prefrl_ckpt_get_count(c, 0, 1, "the episode flag") != 0;
    s->ep_step = (int)prefrl_ckpt_get_count(c, 0, G_MAXINT, "the episode's step");
    s->ep_reward = prefrl_ckpt_get_f64(c);
    s->ep_true = prefrl_ckpt_get_f64(c);
    s->ep_success = prefrl_ckpt_get_f64(c);
    prefrl_ckpt_get_floats(c, s->obs, t->info.obs_dim, "the observation");
    if (prefrl_ckpt_get_count(c, s->replay != NULL, s->replay != NULL, "the replay flag"))
        prefrl_replay_load(s->replay, c);
    prefrl_episodes_load(s->episodes, c, version >= 3 ? PREFRL_EPISODES_CKPT_VERSION : 1);
    if (prefrl_ckpt_get_count(c, s->prefs != NULL, s->prefs != NULL, "the preference flag"))
        prefrl_prefs_load(s->prefs, c);
    prefrl_state_entropy_load(s->entropy, c);
    if (t->op)
        onpolicy_load(t, c);
    prefrl_log_load(s->log, c);
    prefrl_log_load(s->reward_log, c);
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++)
        s->out_len[i] = prefrl_ckpt_get_i64(c);
}

/* ---- the checkpoint folder ---------------------------------------------------------- */

/* write `path` as a checkpoint stream through `write` (a component's save
 * hook, or the trainer's state), checksummed and flushed to disk */
static gboolean write_state(const char *path,
                            gboolean (*write)(void *self, PrefrlCkpt *out, GError **error),
                            void *self, GError **error)
{
    PrefrlCkpt *c = prefrl_ckpt_open_write(path, error);
    if (!c)
        return FALSE;
    if (!write(self, c, error)) {
        prefrl_ckpt_abort(c);
        return FALSE;
    }
    return prefrl_ckpt_close(c, error);
}

/* read the checkpoint stream `path` through `read`; every error names the file */
static gboolean read_state(const char *path,
                           gboolean (*read)(void *self, PrefrlCkpt *in, GError **error),
                           void *self, GError **error)
{
    PrefrlCkpt *c = prefrl_ckpt_open_read(path, error);
    if (!c)
        return FALSE;
    GError *err = NULL;
    gboolean ok = read(self, c, &err) && prefrl_ckpt_check(c, &err);
    if (ok)
        return prefrl_ckpt_close(c, error);
    prefrl_ckpt_abort(c);
    if (!g_str_has_prefix(err->message, path))
        g_prefix_error(&err, "%s: ", path);
    g_propagate_error(error, err);
    return FALSE;
}

static gboolean write_trainer_state(void *self, PrefrlCkpt *out, GError **error)
{
    state_save(self, out);
    return prefrl_ckpt_check(out, error);
}

static gboolean read_trainer_state(void *self, PrefrlCkpt *in, GError **error)
{
    state_load(self, in);
    return prefrl_ckpt_check(in, error);
}

/* the components, in a fixed order (absent ones NULL) */
#define N_PARTS 5
static void components(const PrefrlTrainer *t, PrefrlInstance **parts)
{
    PrefrlInstance *p[N_PARTS] = {t->env, t->agent, t->reward, t->sampler, t->teacher};
    memcpy(parts, p, sizeof p);
}

/* the on-policy rollout environments' files env-<i>.bin: written, or read
 * back with `load` */
static gboolean rollout_envs(PrefrlTrainer *t, const char *ckdir, gboolean load, GError **error)
{
    gboolean ok = TRUE;
    for (int i = 0; ok && t->op && i < t->op->n_envs; i++) {
        const PrefrlInstance *env = t->op->envs[i];
        if (!(load ? env->component->load : env->component->save))
            continue;
        char *part = onpolicy_env_part(i);
        char *path = prefrl_rundir_checkpoint_part(ckdir, part);
        ok = load ? read_state(path, env->component->load, env->self, error)
                  : write_state(path, env->component->save, env->self, error);
        g_free(path);
        g_free(part);
    }
    return ok;
}

gboolean trainer_save_checkpoint(PrefrlTrainer *t, GError **error)
{
    if (!t->run_dir)
        return TRUE;
    if (t->op && !t->op->at_boundary) {
        /* inside a rollout (a failure there): the last checkpoint stays */
        trainer_say(t, "no checkpoint inside a rollout; the last one stays");
        return TRUE;
    }
    char *fresh = prefrl_rundir_checkpoint_begin(t->run_dir, error);
    gboolean ok = fresh != NULL;
    PrefrlInstance *parts[N_PARTS];
    components(t, parts);
    for (int i = 0; ok && i < N_PARTS; i++) {
        if (!parts[i] || !parts[i]->component->save)
            continue;
        char *path =
            prefrl_rundir_checkpoint_part(fresh, prefrl_kind_name(parts[i]->component->kind));
        ok = write_state(path, parts[i]->component->save, parts[i]->self, error);
        g_free(path);
    }
    if (ok)
        ok = rollout_envs(t, fresh, FALSE, error);
    if (ok)
        ok = trainer_measure_outputs(t, error);
    if (ok) {
        char *path = prefrl_rundir_checkpoint_part(fresh, PREFRL_RUN_TRAINER_STATE);
        ok = write_state(path, write_trainer_state, t, error);
        g_free(path);
    }
    if (ok) { /* the outputs' lengths and checksums, which resume checks */
        char *path = prefrl_rundir_checkpoint_part(fresh, PREFRL_RUN_OUTPUTS_STATE);
        ok = write_state(path, trainer_write_outputs_state, t, error);
        g_free(path);
    }
    if (ok)
        ok = prefrl_rundir_checkpoint_commit(t->run_dir, error);
    else if (fresh)
        prefrl_rundir_checkpoint_discard(t->run_dir);
    if (ok) {
        char *dir = prefrl_rundir_path(t->run_dir, PREFRL_RUN_CHECKPOINT);
        trainer_say(t, "checkpoint written to %s", dir);
        g_free(dir);
    }
    g_free(fresh);
    return ok;
}

gboolean trainer_load_checkpoint(PrefrlTrainer *t, GError **error)
{
    char *dir = prefrl_rundir_checkpoint_latest(t->run_dir);
    char *state = prefrl_rundir_checkpoint_part(dir, PREFRL_RUN_TRAINER_STATE);
    gboolean ok = read_state(state, read_trainer_state, t, error);
    PrefrlInstance *parts[N_PARTS];
    components(t, parts);
    for (int i = 0; ok && i < N_PARTS; i++) {
        if (!parts[i] || !parts[i]->component->load)
            continue;
        char *path =
            prefrl_rundir_checkpoint_part(dir, prefrl_kind_name(parts[i]->component->kind));
        ok = read_state(path, parts[i]->component->load, parts[i]->self, error);
        g_free(path);
    }
    ok = ok && rollout_envs(t, dir, TRUE, error);
    ok = ok && trainer_restore_outputs(t, error);
    if (ok) {
        t->resumed_at = t->state.step;
        /* log.txt was kept whole: this line tells the interrupted process's
         * last lines from the steps run again after it */
        trainer_say(t, "resumed from the checkpoint at step %lld (%s); the steps after it run "
                       "again",
                    (long long)t->state.step, dir);
    }
    g_free(state);
    g_free(dir);
    return ok;
}

gboolean prefrl_trainer_load_agent(PrefrlTrainer *t, const char *path, GError **error)
{
    if (!t->agent->component->load) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "agent/%s cannot load checkpoints",
                    t->agent->component->name);
        return FALSE;
    }
    return read_state(path, t->agent->component->load, t->agent->self, error);
}

/* ---- the end of a loop --------------------------------------------------------------- */

gboolean trainer_finish(PrefrlTrainer *t, gboolean ok, GTimer *timer, GError **error)
{
    if (ok)
        trainer_say(t, "finished after %.1f s", g_timer_elapsed(timer, NULL));
    /* the state so far, also when interrupted or failed; not a diverged state
     * or one whose outputs failed to write: the last good checkpoint stays */
    GError *ckpt_error = NULL;
    if (!t->keep_checkpoint && !trainer_save_checkpoint(t, ok ? error : &ckpt_error)) {
        ok = FALSE;
        if (ckpt_error) {
            trainer_say(t, "checkpoint failed: %s", ckpt_error->message);
            g_error_free(ckpt_error);
        }
    }
    gboolean stopped = error && *error &&
                       g_error_matches(*error, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED);
    trainer_progress_end(t, g_timer_elapsed(timer, NULL), !ok && !stopped);
    return ok;
}
