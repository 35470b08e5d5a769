/* The PbRL trainer: PEBBLE's loop (algorithms.md §2, §4, §6; paper §3-5).
 *
 *   seed steps (uniform random actions)
 *   → unsupervised pre-training: agent updates on the state-entropy reward
 *   → end of pre-training: first query round (uniform), reward learning,
 *     replay relabelled, critic reset, `reset_update` agent updates
 *   → every num_interact steps while the budget lasts: query round (sampler,
 *     teacher), reward learning, relabel; every step one agent update (or the
 *     reward learner's meta step every meta_period steps, MRN)
 *   evaluation every eval_frequency steps with the true reward.
 *
 * The true reward is stored in the replay's hidden column and in the episode
 * store; it reaches the teacher (query rounds) and the evaluator only. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pbrl/log.h"
#include "pbrl/replay.h"
#include "host/schema.h"
#include "pbrl/trainer_private.h"

guint prefrl_trainer_required_kinds(void)
{
    return (1u << PREFRL_KIND_ENV) | (1u << PREFRL_KIND_AGENT) | (1u << PREFRL_KIND_REWARD);
}

void trainer_say(PrefrlTrainer *t, const char *fmt, ...)
{
    if (!t->log_txt)
        return;
    va_list ap;
    va_start(ap, fmt);
    GDateTime *now = g_date_time_new_now_local();
    char *stamp = g_date_time_format(now, "%F %T");
    fprintf(t->log_txt, "%s step %lld: ", stamp, (long long)t->step);
    vfprintf(t->log_txt, fmt, ap);
    fputc('\n', t->log_txt);
    fflush(t->log_txt);
    g_free(stamp);
    g_date_time_unref(now);
    va_end(ap);
}

/* ---- set-up ------------------------------------------------------------------ */

PrefrlInstance *trainer_make_component(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                       PrefrlKind kind, const PrefrlEnvInfo *env,
                                       const char *run_dir, GError **error)
{
    return trainer_make_component_stream(recipe, reg, kind, prefrl_kind_name(kind), env, run_dir,
                                         error);
}

PrefrlInstance *trainer_make_component_stream(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                              PrefrlKind kind, const char *stream,
                                              const PrefrlEnvInfo *env, const char *run_dir,
                                              GError **error)
{
    const PrefrlComponent *c = prefrl_recipe_component(recipe, reg, kind);
    g_return_val_if_fail(c != NULL, NULL);
    PrefrlContext ctx = {.struct_size = sizeof ctx,
                         .seed = (uint64_t)prefrl_param_int(recipe, "seed"),
                         .env = env,
                         .run_dir = run_dir,
                         .recipe = recipe,
                         .total_steps = prefrl_param_int(prefrl_node_get(recipe, "trainer"),
                                                         "num_train_steps")};
    prefrl_rng_init(&ctx.rng, ctx.seed, stream);
    PrefrlNode *params = prefrl_node_dup(prefrl_node_get(recipe, prefrl_kind_name(kind)));
    PrefrlInstance *inst = prefrl_instance_new_from_params(c, params, &ctx, error);
    if (!inst)
        g_prefix_error(error, "%s/%s: ", prefrl_kind_name(kind), c->name);
    return inst;
}

static gboolean need_section(const PrefrlNode *recipe, PrefrlRegistry *reg, PrefrlKind kind,
                             const char *why, GError **error)
{
    if (prefrl_recipe_component(recipe, reg, kind))
        return TRUE;
    GPtrArray *all = prefrl_registry_list(reg, kind);
    GString *names = g_string_new(NULL);
    for (guint i = 0; i < all->len; i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "",
                               ((const PrefrlComponent *)all->pdata[i])->name);
    const char *file;
    prefrl_node_location(recipe, &file, NULL, NULL);
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                "%s: %s needs a '%s:' section with name: one of %s", file, why,
                prefrl_kind_name(kind), names->len ? names->str : "(none installed)");
    g_string_free(names, TRUE);
    g_ptr_array_unref(all);
    return FALSE;
}

/* an output file of the run: created empty, or (resuming) opened for appending
 * after the checkpoint's length is restored */
static FILE *open_output(const char *dir, const char *name, gboolean resume, GError **error)
{
    char *path = g_build_filename(dir, name, NULL);
    FILE *f = fopen(path, resume ? "a" : "w");
    if (!f)
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", path,
                    g_strerror(errno));
    g_free(path);
    return f;
}

static PrefrlTrainer *trainer_create(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                     const char *run_dir, gboolean resume, GError **error)
{
    PrefrlTrainer *t = g_new0(PrefrlTrainer, 1);
    t->run_dir = g_strdup(run_dir);
    t->last_eval = NAN;
    t->done = TRUE;
    t->resumed_at = -1;
    const PrefrlNode *tp = prefrl_node_get(recipe, "trainer");
    t->num_train_steps = prefrl_param_int(tp, "num_train_steps");
    t->num_seed_steps = prefrl_param_int(tp, "num_seed_steps");
    t->num_unsup_steps = prefrl_param_int(tp, "num_unsup_steps");
    t->eval_frequency = prefrl_param_int(tp, "eval_frequency");
    t->num_eval_episodes = (int)prefrl_param_int(tp, "num_eval_episodes");
    t->checkpoint_frequency = prefrl_param_int(tp, "checkpoint_frequency");
    t->max_feedback = prefrl_param_int(tp, "max_feedback");
    t->reward_batch = (int)prefrl_param_int(tp, "reward_batch");
    t->num_interact = (int)prefrl_param_int(tp, "num_interact");
    t->schedule = prefrl_param_string(tp, "reward_schedule");
    t->top_k = (int)prefrl_param_int(tp, "topK");
    t->reset_update = (int)prefrl_param_int(tp, "reset_update");
    t->H = (int)prefrl_param_int(tp, "segment");

    uint64_t seed = (uint64_t)prefrl_param_int(recipe, "seed");
    prefrl_rng_init(&t->rng, seed, "trainer");
    prefrl_rng_init(&t->query_rng, seed, "queries");

    const PrefrlComponent *rc = prefrl_recipe_component(recipe, reg, PREFRL_KIND_REWARD);
    t->true_reward = rc && (rc->flags & PREFRL_FLAG_TRUE_REWARD);
    if (!t->true_reward &&
        (!need_section(recipe, reg, PREFRL_KIND_SAMPLER, "a reward learned from preferences",
                       error) ||
         !need_section(recipe, reg, PREFRL_KIND_TEACHER, "a reward learned from preferences",
                       error)))
        goto fail;

    if (run_dir) {
        if (!(t->train_csv = open_output(run_dir, "train.csv", resume, error)) ||
            !(t->eval_csv = open_output(run_dir, "eval.csv", resume, error)) ||
            !(t->log_txt = open_output(run_dir, "log.txt", resume, error)))
            goto fail;
        if (!t->true_reward && (!(t->reward_csv = open_output(run_dir, "reward.csv", resume, error)) ||
                                !(t->labels_csv = open_output(run_dir, "labels.csv", resume, error)) ||
                                !(t->prefs_bin = open_output(run_dir, "prefs.bin", resume, error))))
            goto fail;
    }
    t->log = prefrl_log_new(t->train_csv, t->eval_csv);
    t->reward_log = prefrl_log_new(t->reward_csv, NULL);

    if (!(t->env = trainer_make_component(recipe, reg, PREFRL_KIND_ENV, NULL, run_dir, error)))
        goto fail;
    t->eops = t->env->component->ops;
    memset(&t->info, 0, sizeof t->info);
    t->eops->info(t->env->self, &t->info);
    if (!(t->agent = trainer_make_component(recipe, reg, PREFRL_KIND_AGENT, &t->info, run_dir, error)) ||
        !(t->reward = trainer_make_component(recipe, reg, PREFRL_KIND_REWARD, &t->info, run_dir, error)))
        goto fail;
    t->aops = t->agent->component->ops;
    t->rops = t->reward->component->ops;
    if (!t->true_reward) {
        if (!(t->sampler = trainer_make_component(recipe, reg, PREFRL_KIND_SAMPLER, &t->info, run_dir,
                                          error)) ||
            !(t->teacher = trainer_make_component(recipe, reg, PREFRL_KIND_TEACHER, &t->info, run_dir,
                                          error)))
            goto fail;
        t->sops = t->sampler->component->ops;
        t->tops = t->teacher->component->ops;
        t->meta_period = t->rops->meta_period ? t->rops->meta_period(t->reward->self) : 0;
        if (t->meta_period > 0 && !(t->aops->critic_view &&
                                    t->aops->critic_view(t->agent->self))) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "reward/%s needs the agent's critic view, which agent/%s does not give",
                        t->reward->component->name, t->agent->component->name);
            goto fail;
        }
    }

    int ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    /* an on-policy agent (PPO) keeps its own rollout: no replay */
    const gboolean on_policy = (t->agent->component->flags & PREFRL_FLAG_ON_POLICY) != 0;
    int B = on_policy ? 1 : t->aops->batch_size(t->agent->self);
    t->Lq = t->rops->query_length ? t->rops->query_length(t->reward->self, t->H) : t->H;
    t->lo = (t->Lq - t->H) / 2;
    if (!on_policy && !(t->replay = prefrl_replay_new(ds, da, t->num_train_steps +
                                                      t->reset_update + 1, B, error)))
        goto fail;
    t->episodes = prefrl_episodes_new(ds, da, EPISODE_STORE);
    if (!on_policy)
        t->entropy = prefrl_state_entropy_new(t->top_k, B);
    if (!t->true_reward) {
        /* labels never exceed the budget plus the uncapped first round */
        int cap = (int)MIN(t->max_feedback + t->reward_batch, 500000);
        if (!(t->prefs = prefrl_prefs_new(MAX(cap, 1), t->Lq, ds, da, error)))
            goto fail;
        int large = t->sops->n_candidates(t->sampler->self, t->reward_batch);
        t->max_query = MAX(large, t->reward_batch);
        gsize seg = (gsize)t->max_query * t->Lq * d;
        t->q_seg1 = g_new(float, seg);
        t->q_seg2 = g_new(float, seg);
        t->q_r1 = g_new(float, (gsize)t->max_query * t->Lq);
        t->q_r2 = g_new(float, (gsize)t->max_query * t->Lq);
        int K = t->rops->n_members ? t->rops->n_members(t->reward->self) : 0;
        t->q_probs = g_new(float, (gsize)MAX(K, 1) * t->max_query);
        t->q_chosen = g_new(int, t->max_query);
        t->q_labels = g_new(int, t->max_query);
        gsize tseg = (gsize)t->reward_batch * t->Lq * d;
        t->t_seg1 = g_new(float, tseg);
        t->t_seg2 = g_new(float, tseg);
        t->t_r1 = g_new(float, (gsize)t->reward_batch * t->Lq);
        t->t_r2 = g_new(float, (gsize)t->reward_batch * t->Lq);
    }
    t->obs = g_new(float, ds);
    t->next_obs = g_new(float, ds);
    t->act = g_new(float, da);
    t->sa = g_new(float, d);
    t->chunk_sa = g_new(float, (gsize)RELABEL_CHUNK * d);
    t->chunk_r = g_new(float, RELABEL_CHUNK);
    t->intrinsic_raw = g_new(float, B);
    t->intrinsic = g_new(float, B);
    t->batch_reward = g_new(float, B);
    t->batch_value = g_new(float, B);
    t->batch_sa = g_new(float, (gsize)B * d);
    if (t->aops->critic_view && t->aops->critic_view(t->agent->self)) {
        t->ep_sa = g_new(float, (gsize)t->info.episode_length * d);
        t->ep_r = g_new(float, t->info.episode_length);
        t->ep_q = g_new(float, (gsize)Q_EPISODES * t->info.episode_length);
        t->ep_g = g_new(float, (gsize)Q_EPISODES * t->info.episode_length);
    }
    if (on_policy && !trainer_onpolicy_setup(t, recipe, reg, error))
        goto fail;
    return t;
fail:
    prefrl_trainer_free(t);
    return NULL;
}

PrefrlTrainer *prefrl_trainer_new(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                  const char *run_dir, GError **error)
{
    return trainer_create(recipe, reg, run_dir, FALSE, error);
}

void prefrl_trainer_free(PrefrlTrainer *t)
{
    if (!t)
        return;
    trainer_onpolicy_free(t);
    prefrl_instance_free(t->teacher);
    prefrl_instance_free(t->sampler);
    prefrl_instance_free(t->reward);
    prefrl_instance_free(t->agent);
    prefrl_instance_free(t->env);
    prefrl_replay_free(t->replay);
    prefrl_episodes_free(t->episodes);
    prefrl_prefs_free(t->prefs);
    prefrl_state_entropy_free(t->entropy);
    prefrl_log_free(t->log);
    prefrl_log_free(t->reward_log);
    FILE *files[] = {t->train_csv, t->eval_csv, t->reward_csv, t->labels_csv, t->log_txt,
                     t->prefs_bin};
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++)
        if (files[i])
            fclose(files[i]);
    float *bufs[] = {t->obs, t->next_obs, t->act, t->sa, t->chunk_sa, t->chunk_r,
                     t->intrinsic_raw, t->intrinsic, t->batch_reward, t->batch_value,
                     t->batch_sa, t->q_seg1,
                     t->q_seg2, t->q_r1, t->q_r2, t->q_probs, t->t_seg1, t->t_seg2, t->t_r1,
                     t->t_r2, t->ep_sa, t->ep_r, t->ep_q, t->ep_g};
    for (gsize i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    g_free(t->q_chosen);
    g_free(t->q_labels);
    g_free(t->run_dir);
    g_free(t);
}

/* ---- reward plumbing --------------------------------------------------------- */

void trainer_concat_sa(const float *obs, const float *act, int ds, int da, float *sa)
{
    memcpy(sa, obs, sizeof(float) * ds);
    memcpy(sa + ds, act, sizeof(float) * da);
}

/* rewrite the learned reward of every stored transition (reference: relabel) */
static void relabel(PrefrlTrainer *t)
{
    int ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    PrefrlReplay *r = t->replay;
    if (!r)
        return; /* on-policy: rewards are predicted as the rollout is collected */
    for (int64_t i0 = 0; i0 < r->size; i0 += RELABEL_CHUNK) {
        int n = (int)MIN((int64_t)RELABEL_CHUNK, r->size - i0);
        for (int i = 0; i < n; i++)
            trainer_concat_sa(r->obs + (i0 + i) * ds, r->act + (i0 + i) * da, ds, da,
                      t->chunk_sa + (gsize)i * d);
        t->rops->predict(t->reward->self, t->step, t->chunk_sa, n, r->reward + i0);
    }
}

static gboolean draw_unlabelled(void *ctx, int n, float *seg1, float *seg2)
{
    PrefrlTrainer *t = ctx;
    return prefrl_episodes_draw(t->episodes, &t->query_rng, n, t->Lq, seg1, seg2, NULL, NULL);
}

static int schedule_size(PrefrlTrainer *t)
{
    double T = (double)t->num_train_steps, s = (double)t->step, frac = 1.0;
    if (!strcmp(t->schedule, "decay")) {
        frac = (T - s) / T;
        if (frac == 0)
            frac = 0.01;
    } else if (!strcmp(t->schedule, "increase")) {
        frac = T / (T - s + 1);
    }
    return (int)(t->reward_batch * frac);
}

static double teacher_margin(PrefrlTrainer *t)
{
    if (t->n_recent == 0)
        return 0.0;
    double sum = 0;
    int n = MIN(t->n_recent, RECENT_RETURNS);
    for (int i = 0; i < n; i++)
        sum += t->recent[i];
    return sum / n * ((double)t->H / t->info.episode_length);
}

/* prefs.bin: the labelled pairs, re-usable.  A 32-byte header
 *   "PRFLPREF" (8 bytes), uint32 version 1, uint32 H, uint32 obs_dim, uint32 act_dim,
 *   8 reserved bytes,
 * then per pair: int32 label, float32 seg1[H][obs_dim+act_dim], float32 seg2[...]
 * (native byte order). */
static void write_pair(PrefrlTrainer *t, const float *seg1, const float *seg2, int label)
{
    if (!t->prefs_bin)
        return;
    gsize row = (gsize)t->Lq * (t->info.obs_dim + t->info.act_dim);
    if (ftell(t->prefs_bin) == 0) {
        uint32_t head[6] = {1, (uint32_t)t->Lq, (uint32_t)t->info.obs_dim,
                            (uint32_t)t->info.act_dim, 0, 0};
        fwrite("PRFLPREF", 1, 8, t->prefs_bin);
        fwrite(head, sizeof head, 1, t->prefs_bin);
    }
    int32_t l = label;
    fwrite(&l, sizeof l, 1, t->prefs_bin);
    fwrite(seg1, sizeof(float), row, t->prefs_bin);
    fwrite(seg2, sizeof(float), row, t->prefs_bin);
}

static void write_labels(PrefrlTrainer *t, int n, const int *labels)
{
    if (!t->labels_csv)
        return;
    if (t->rounds == 1 && ftell(t->labels_csv) == 0)
        fprintf(t->labels_csv, "round,step,pair,label,true_return1,true_return2\n");
    for (int i = 0; i < n; i++) {
        double s1 = 0, s2 = 0;
        for (int h = t->lo; h < t->lo + t->H; h++) {
            s1 += t->t_r1[(gsize)i * t->Lq + h];
            s2 += t->t_r2[(gsize)i * t->Lq + h];
        }
        fprintf(t->labels_csv, "%lld,%lld,%d,%d,%.9g,%.9g\n", (long long)t->rounds,
                (long long)t->step, i, labels[i], s1, s2);
    }
    fflush(t->labels_csv);
}

/* one query round: candidates, sampler, teacher, preference buffer, learning */
gboolean trainer_query_round(PrefrlTrainer *t, gboolean first, GError **error)
{
    int mb = schedule_size(t);
    if (!first && mb + t->total_feedback > t->max_feedback)
        mb = (int)(t->max_feedback - t->total_feedback);
    mb = MIN(mb, t->reward_batch);
    if (mb <= 0)
        return TRUE;
    if (prefrl_episodes_usable(t->episodes, t->Lq) == 0) {
        trainer_say(t, "query round skipped: no complete episode longer than %d steps yet", t->Lq);
        return TRUE;
    }
    int d = t->info.obs_dim + t->info.act_dim;
    gsize row = (gsize)t->Lq * d;
    /* the first round is always uniform (reference) */
    int n_cand = first ? mb : MIN(t->sops->n_candidates(t->sampler->self, mb), t->max_query);
    prefrl_episodes_draw(t->episodes, &t->query_rng, n_cand, t->Lq, t->q_seg1, t->q_seg2,
                         t->q_r1, t->q_r2);
    if (first || n_cand == mb) {
        for (int i = 0; i < mb; i++)
            t->q_chosen[i] = i;
    } else {
        int K = t->rops->n_members ? t->rops->n_members(t->reward->self) : 0;
        if (K > 0)
            t->rops->member_probs(t->reward->self, t->step, t->q_seg1, t->q_seg2, n_cand, t->Lq,
                                  t->q_probs);
        PrefrlCandidates c = {.n = n_cand, .H = t->Lq, .obs_dim = t->info.obs_dim,
                              .act_dim = t->info.act_dim, .seg1 = t->q_seg1, .seg2 = t->q_seg2,
                              .K = K, .probs = K > 0 ? t->q_probs : NULL,
                              .labelled = &t->prefs->view};
        if (!t->sops->select(t->sampler->self, &c, mb, t->q_chosen, error))
            return FALSE;
    }
    for (int i = 0; i < mb; i++) {
        int j = t->q_chosen[i];
        g_return_val_if_fail(j >= 0 && j < n_cand, FALSE);
        memcpy(t->t_seg1 + i * row, t->q_seg1 + j * row, sizeof(float) * row);
        memcpy(t->t_seg2 + i * row, t->q_seg2 + j * row, sizeof(float) * row);
        memcpy(t->t_r1 + (gsize)i * t->Lq, t->q_r1 + (gsize)j * t->Lq, sizeof(float) * t->Lq);
        memcpy(t->t_r2 + (gsize)i * t->Lq, t->q_r2 + (gsize)j * t->Lq, sizeof(float) * t->Lq);
    }
    PrefrlTeacherQuery q = {.struct_size = sizeof q, .n = mb, .H = t->Lq, .r1 = t->t_r1,
                            .r2 = t->t_r2, .lo = t->lo, .hi = t->lo + t->H,
                            .margin = teacher_margin(t), .first = first,
                            .obs_dim = t->info.obs_dim, .act_dim = t->info.act_dim,
                            .seg1 = t->t_seg1, .seg2 = t->t_seg2};
    if (!t->tops->label(t->teacher->self, &q, t->q_labels, error))
        return FALSE;
    int stored = 0;
    for (int i = 0; i < mb; i++) {
        if (t->q_labels[i] == PREFRL_LABEL_SKIP)
            continue;
        prefrl_prefs_add(t->prefs, t->t_seg1 + i * row, t->t_seg2 + i * row, t->q_labels[i]);
        write_pair(t, t->t_seg1 + i * row, t->t_seg2 + i * row, t->q_labels[i]);
        stored++;
    }
    t->rounds++;
    t->total_feedback += mb;
    t->labeled_feedback += stored;
    write_labels(t, mb, t->q_labels);
    if (t->prefs_bin)
        fflush(t->prefs_bin);
    trainer_say(t, "query round %lld: %d queries, %d labels (total %lld/%lld)", (long long)t->rounds, mb,
        stored, (long long)t->labeled_feedback, (long long)t->max_feedback);
    if (t->labeled_feedback > 0) {
        PrefrlRewardData data = {.struct_size = sizeof data, .step = t->step, .prefs = &t->prefs->view,
                                 .n_new = stored, .queries = mb,
                                 .draw_pairs = draw_unlabelled, .draw_ctx = t};
        prefrl_log_scalar(t->reward_log, "round", (double)t->rounds);
        prefrl_log_scalar(t->reward_log, "total_feedback", (double)t->total_feedback);
        prefrl_log_scalar(t->reward_log, "labeled_feedback", (double)t->labeled_feedback);
        if (!t->rops->train(t->reward->self, &data, t->reward_log, error))
            return FALSE;
        if (!prefrl_log_dump_train(t->reward_log, t->step, error))
            return FALSE;
        relabel(t);
    }
    return TRUE;
}

/* ---- agent updates ------------------------------------------------------------ */

/* an agent batch from the replay; batch_reward logs the stored (learned)
 * reward, also during pre-training when the agent is given another one */
static void sample_batch(PrefrlTrainer *t, PrefrlBatch *b)
{
    prefrl_replay_sample(t->replay, &t->rng, t->aops->batch_size(t->agent->self), b);
    double sum = 0;
    for (int i = 0; i < b->size; i++)
        sum += b->reward[i];
    prefrl_log_scalar(t->log, "train/batch_reward", sum / b->size);
}

static gboolean normal_update(PrefrlTrainer *t, int64_t step, GError **error)
{
    PrefrlBatch b;
    sample_batch(t, &b);
    /* the reward learner's update-time transform (RUNE's bonus) on a copy;
     * it gets the trainer's step even in the reset updates, whose `step` is
     * the update index for the agent's update frequencies */
    if (t->rops && t->rops->batch_reward) {
        memcpy(t->batch_reward, b.reward, (gsize)b.size * sizeof *t->batch_reward);
        b.reward = t->batch_reward;
        if (!t->rops->batch_reward(t->reward->self, t->step, &b, t->batch_reward, t->log, error))
            return FALSE;
    }
    return t->aops->update(t->agent->self, &b, step, t->log, error);
}

static gboolean unsup_update(PrefrlTrainer *t, GError **error)
{
    PrefrlBatch b;
    sample_batch(t, &b);
    prefrl_state_entropy_compute(t->entropy, t->replay, b.obs, b.size, t->intrinsic_raw,
                                 t->intrinsic);
    float mn = INFINITY, mx = -INFINITY, nmn = INFINITY, nmx = -INFINITY;
    double m = 0, nm = 0;
    for (int i = 0; i < b.size; i++) {
        m += t->intrinsic_raw[i];
        nm += t->intrinsic[i];
        mn = fminf(mn, t->intrinsic_raw[i]);
        mx = fmaxf(mx, t->intrinsic_raw[i]);
        nmn = fminf(nmn, t->intrinsic[i]);
        nmx = fmaxf(nmx, t->intrinsic[i]);
    }
    prefrl_log_scalar(t->log, "train_critic/entropy", m / b.size);
    prefrl_log_scalar(t->log, "train_critic/entropy_max", mx);
    prefrl_log_scalar(t->log, "train_critic/entropy_min", mn);
    prefrl_log_scalar(t->log, "train_critic/norm_entropy", nm / b.size);
    prefrl_log_scalar(t->log, "train_critic/norm_entropy_max", nmx);
    prefrl_log_scalar(t->log, "train_critic/norm_entropy_min", nmn);
    b.reward = t->intrinsic;
    return t->aops->update(t->agent->self, &b, t->step, t->log, error);
}

/* MRN: the reward learner's bi-level step, then the agent's update on the same
 * batch with the updated reward and time-outs treated as terminal (§7) */
static gboolean meta_update(PrefrlTrainer *t, GError **error)
{
    PrefrlBatch b;
    sample_batch(t, &b);
    /* one V̄(s') for the meta step and the critic update after it (§7 step 9) */
    const PrefrlCriticView *cv = t->aops->critic_view(t->agent->self);
    cv->target_value(cv->agent, b.next_obs, b.size, t->batch_value);
    PrefrlMetaData md = {.struct_size = sizeof md,
                         .critic = cv,
                         .batch = &b,
                         .prefs = &t->prefs->view,
                         .reward_batch = t->reward_batch,
                         .step = t->step,
                         .next_value = t->batch_value};
    if (!t->rops->meta_step(t->reward->self, &md, t->log, error))
        return FALSE;
    relabel(t);
    int ds = b.obs_dim, da = b.act_dim;
    for (int i = 0; i < b.size; i++)
        trainer_concat_sa(b.obs + (gsize)i * ds, b.action + (gsize)i * da, ds, da,
                  t->batch_sa + (gsize)i * (ds + da));
    t->rops->predict(t->reward->self, t->step, t->batch_sa, b.size, t->batch_reward);
    b.reward = t->batch_reward;
    b.not_done_no_max = b.not_done;
    b.next_value = t->batch_value;
    return t->aops->update(t->agent->self, &b, t->step, t->log, error);
}

/* ---- evaluation ------------------------------------------------------------------ */

/* Table 1's diagnostic, one recorded episode of T steps: q = min over the
 * critic heads of Q(s_t, a_t) (what SAC's targets and actor use), g = the
 * discounted true return from t to the episode's end */
static void q_and_return(PrefrlTrainer *t, int T, float *q, float *g)
{
    const PrefrlCriticView *cv = t->aops->critic_view(t->agent->self);
    for (int i = 0; i < T; i++)
        q[i] = INFINITY;
    for (int h = 0; h < cv->n_heads; h++) {
        int chunk = prefrl_mlp_max_batch(cv->heads[h]);
        for (int i0 = 0; i0 < T; i0 += chunk) {
            int n = MIN(chunk, T - i0);
            const float *out = prefrl_mlp_forward(
                cv->heads[h], t->ep_sa + (gsize)i0 * (t->info.obs_dim + t->info.act_dim), n);
            for (int i = 0; i < n; i++)
                q[i0 + i] = fminf(q[i0 + i], out[i]);
        }
    }
    double G = 0;
    for (int i = T - 1; i >= 0; i--) {
        G = t->ep_r[i] + cv->discount * G;
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

gboolean prefrl_trainer_evaluate(PrefrlTrainer *t, int n, double *mean_return,
                                 double *success_rate, double *q_mse, double *q_nmse,
                                 GError **error)
{
    int ds = t->info.obs_dim, da = t->info.act_dim;
    double total = 0;
    int successes = 0;
    int64_t q_steps = 0;
    for (int e = 0; e < n; e++) {
        if (!t->eops->reset(t->env->self, t->obs, error))
            return FALSE;
        double ret = 0;
        gboolean success = FALSE;
        gboolean record = t->ep_sa && e < Q_EPISODES;
        int T = 0;
        for (;;) {
            PrefrlEnvStep st = {0};
            t->aops->act(t->agent->self, t->obs, TRUE, t->act);
            if (record && T < t->info.episode_length)
                trainer_concat_sa(t->obs, t->act, ds, da, t->ep_sa + (gsize)T * (ds + da));
            if (!t->eops->step(t->env->self, t->act, t->next_obs, &st, error))
                return FALSE;
            if (record && T < t->info.episode_length)
                t->ep_r[T] = st.reward;
            T++;
            ret += st.reward;
            success |= st.success != 0;
            memcpy(t->obs, t->next_obs, sizeof(float) * ds);
            if (st.terminal || st.truncated || T >= t->info.episode_length)
                break;
        }
        if (record) {
            q_and_return(t, T, t->ep_q + q_steps, t->ep_g + q_steps);
            q_steps += T;
        }
        total += ret;
        successes += success;
    }
    *mean_return = total / n;
    if (success_rate)
        *success_rate = 100.0 * successes / n;
    double mse, nmse;
    prefrl_q_errors(t->ep_q, t->ep_g, q_steps, &mse, &nmse);
    if (q_mse)
        *q_mse = mse;
    if (q_nmse)
        *q_nmse = nmse;
    return TRUE;
}

gboolean trainer_evaluate_and_log(PrefrlTrainer *t, GError **error)
{
    double ret, success, q_mse, q_nmse;
    if (!prefrl_trainer_evaluate(t, t->num_eval_episodes, &ret, &success, &q_mse, &q_nmse,
                                 error))
        return FALSE;
    t->last_eval = ret;
    prefrl_log_scalar(t->log, "eval/episode", (double)t->episode);
    prefrl_log_scalar(t->log, "eval/episode_reward", ret);
    prefrl_log_scalar(t->log, "eval/true_episode_reward", ret);
    if (t->info.has_success) {
        prefrl_log_scalar(t->log, "eval/success_rate", success);
        prefrl_log_scalar(t->log, "eval/true_episode_success", success);
    }
    if (!isnan(q_mse)) {
        /* both columns from the first row on (eval.csv's header is fixed by it);
         * a constant Q or return has no scale-free error: "nan" */
        prefrl_log_scalar(t->log, "eval/q_mse", q_mse);
        prefrl_log_scalar(t->log, "eval/q_nmse", q_nmse);
    }
    trainer_say(t, "evaluation: mean true return %.3f, success rate %.0f%%, Q mse %.4g, Q nmse "
                   "%.4g",
                ret, success, q_mse, q_nmse);
    return prefrl_log_dump_eval(t->log, t->step, error);
}

/* ---- checkpoints -------------------------------------------------------------------
 * run_dir/checkpoint/ holds one file per component (<kind>.bin, its save hook)
 * and trainer.bin (the trainer's counters, streams, episode in progress,
 * buffers, pending metrics and the lengths of its output files).  A new
 * checkpoint is written to checkpoint.new/ and swapped in by renames, so a
 * crash at any moment leaves a complete checkpoint, or checkpoint.old/. */

#define TRAINER_MAGIC "PRFTRN01"

/* the output files, in a fixed order (NULL ones are absent) */
static void output_files(PrefrlTrainer *t, FILE **files)
{
    FILE *f[] = {t->train_csv, t->eval_csv, t->reward_csv, t->labels_csv, t->log_txt,
                 t->prefs_bin};
    memcpy(files, f, sizeof f);
}
#define N_OUTPUTS 6

static void trainer_state_save(PrefrlTrainer *t, PrefrlCkpt *c)
{
    prefrl_ckpt_put(c, TRAINER_MAGIC, 8);
    int64_t ints[] = {t->step, t->episode, t->total_feedback, t->labeled_feedback,
                      t->interact_count, t->rounds, t->n_recent, t->done, t->ep_step,
                      t->info.obs_dim, t->info.act_dim};
    prefrl_ckpt_put(c, ints, sizeof ints);
    double reals[] = {t->last_eval, t->ep_reward, t->ep_true, t->ep_success};
    prefrl_ckpt_put(c, reals, sizeof reals);
    prefrl_ckpt_put(c, t->recent, sizeof t->recent);
    prefrl_ckpt_put(c, &t->rng, sizeof t->rng);
    prefrl_ckpt_put(c, &t->query_rng, sizeof t->query_rng);
    prefrl_ckpt_put(c, t->obs, sizeof(float) * t->info.obs_dim);
    FILE *files[N_OUTPUTS];
    output_files(t, files);
    for (int i = 0; i < N_OUTPUTS; i++) {
        if (files[i])
            fflush(files[i]);
        prefrl_ckpt_put_i64(c, files[i] ? (int64_t)ftello(files[i]) : -1);
    }
    prefrl_log_save(t->log, c);
    prefrl_log_save(t->reward_log, c);
    prefrl_ckpt_put_i64(c, t->replay != NULL);
    if (t->replay)
        prefrl_replay_save(t->replay, c);
    prefrl_episodes_save(t->episodes, c);
    prefrl_ckpt_put_i64(c, t->prefs != NULL);
    if (t->prefs)
        prefrl_prefs_save(t->prefs, c);
    prefrl_state_entropy_save(t->entropy, c);
}

/* the inverse of trainer_state_save, into a trainer made from the same recipe;
 * lengths (N_OUTPUTS) receives the output files' lengths at the checkpoint */
static void trainer_state_load(PrefrlTrainer *t, PrefrlCkpt *c, int64_t *lengths)
{
    char magic[8];
    prefrl_ckpt_get(c, magic, sizeof magic);
    if (!c->error && memcmp(magic, TRAINER_MAGIC, sizeof magic) != 0) {
        prefrl_ckpt_fail(c, "not a prefrl trainer checkpoint (or another format version)");
        return;
    }
    int64_t ints[11];
    prefrl_ckpt_get(c, ints, sizeof ints);
    if (!c->error && (ints[9] != t->info.obs_dim || ints[10] != t->info.act_dim)) {
        prefrl_ckpt_fail(c, "written for observations of %lld and actions of %lld, but this "
                            "recipe's environment has %d and %d",
                         (long long)ints[9], (long long)ints[10], t->info.obs_dim,
                         t->info.act_dim);
        return;
    }
    if (!c->error && (ints[0] < 0 || ints[0] > t->num_train_steps))
        prefrl_ckpt_fail(c, "step %lld is outside this recipe's %lld training steps",
                         (long long)ints[0], (long long)t->num_train_steps);
    double reals[4];
    prefrl_ckpt_get(c, reals, sizeof reals);
    prefrl_ckpt_get(c, t->recent, sizeof t->recent);
    prefrl_ckpt_get(c, &t->rng, sizeof t->rng);
    prefrl_ckpt_get(c, &t->query_rng, sizeof t->query_rng);
    prefrl_ckpt_get(c, t->obs, sizeof(float) * t->info.obs_dim);
    for (int i = 0; i < N_OUTPUTS; i++)
        lengths[i] = prefrl_ckpt_get_i64(c);
    prefrl_log_load(t->log, c);
    prefrl_log_load(t->reward_log, c);
    if (prefrl_ckpt_get_count(c, t->replay != NULL, t->replay != NULL, "the replay flag"))
        prefrl_replay_load(t->replay, c);
    prefrl_episodes_load(t->episodes, c);
    if (prefrl_ckpt_get_count(c, t->prefs != NULL, t->prefs != NULL, "the preference flag"))
        prefrl_prefs_load(t->prefs, c);
    prefrl_state_entropy_load(t->entropy, c);
    if (c->error)
        return;
    t->step = ints[0];
    t->episode = ints[1];
    t->total_feedback = ints[2];
    t->labeled_feedback = ints[3];
    t->interact_count = ints[4];
    t->rounds = ints[5];
    t->n_recent = (int)ints[6];
    t->done = ints[7] != 0;
    t->ep_step = (int)ints[8];
    t->last_eval = reals[0];
    t->ep_reward = reals[1];
    t->ep_true = reals[2];
    t->ep_success = reals[3];
}

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

static gboolean write_trainer_state(void *self, PrefrlCkpt *out, GError **error)
{
    trainer_state_save(self, out);
    return prefrl_ckpt_check(out, error);
}

gboolean trainer_save_checkpoint(PrefrlTrainer *t, GError **error)
{
    if (!t->run_dir)
        return TRUE;
    char *dir = g_build_filename(t->run_dir, "checkpoint", NULL);
    char *fresh = g_strconcat(dir, ".new", NULL), *old = g_strconcat(dir, ".old", NULL);
    prefrl_remove_tree(fresh);
    gboolean ok = g_mkdir_with_parents(fresh, 0755) == 0;
    if (!ok)
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", fresh,
                    g_strerror(errno));
    PrefrlInstance *parts[] = {t->env, t->agent, t->reward, t->sampler, t->teacher};
    for (gsize i = 0; ok && i < G_N_ELEMENTS(parts); i++) {
        if (!parts[i] || !parts[i]->component->save)
            continue;
        char *name = g_strdup_printf("%s.bin", prefrl_kind_name(parts[i]->component->kind));
        char *path = g_build_filename(fresh, name, NULL);
        ok = write_state(path, parts[i]->component->save, parts[i]->self, error);
        g_free(path);
        g_free(name);
    }
    if (ok && !t->on_policy) { /* on-policy runs cannot resume yet: no trainer state */
        char *path = g_build_filename(fresh, "trainer.bin", NULL);
        ok = write_state(path, write_trainer_state, t, error);
        g_free(path);
    }
    /* swap: checkpoint → checkpoint.old, checkpoint.new → checkpoint */
    prefrl_remove_tree(old);
    if (ok && g_file_test(dir, G_FILE_TEST_EXISTS) && rename(dir, old) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot rename %s: %s", dir,
                    g_strerror(errno));
        ok = FALSE;
    }
    if (ok && rename(fresh, dir) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot rename %s: %s", fresh,
                    g_strerror(errno));
        ok = FALSE;
    }
    if (ok) {
        prefrl_remove_tree(old);
        trainer_say(t, "checkpoint written to %s", dir);
    } else {
        prefrl_remove_tree(fresh);
    }
    g_free(old);
    g_free(fresh);
    g_free(dir);
    return ok;
}

/* read the checkpoint stream `path` through a component's load hook (or the
 * trainer's state); every error names the file */
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

typedef struct {
    PrefrlTrainer *t;
    int64_t lengths[N_OUTPUTS];
} TrainerLoad;

gboolean prefrl_trainer_load_agent(PrefrlTrainer *t, const char *path, GError **error)
{
    if (!t->agent->component->load) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "agent/%s cannot load checkpoints",
                    t->agent->component->name);
        return FALSE;
    }
    return read_state(path, t->agent->component->load, t->agent->self, error);
}

static gboolean read_trainer_state(void *self, PrefrlCkpt *in, GError **error)
{
    TrainerLoad *tl = self;
    trainer_state_load(tl->t, in, tl->lengths);
    return prefrl_ckpt_check(in, error);
}

/* cut the output files back to their lengths at the checkpoint, so the rows
 * written after it are written again exactly once */
static gboolean restore_outputs(PrefrlTrainer *t, const int64_t *lengths, GError **error)
{
    FILE *files[N_OUTPUTS];
    output_files(t, files);
    for (int i = 0; i < N_OUTPUTS; i++) {
        if (!files[i])
            continue;
        if (lengths[i] < 0 || ftruncate(fileno(files[i]), (off_t)lengths[i]) != 0 ||
            fseeko(files[i], 0, SEEK_END) != 0 || ftello(files[i]) != lengths[i]) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "%s: cannot restore an output file to its %lld bytes at the checkpoint",
                        t->run_dir, (long long)lengths[i]);
            return FALSE;
        }
    }
    return TRUE;
}

PrefrlTrainer *prefrl_trainer_resume(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                     const char *run_dir, GError **error)
{
    g_return_val_if_fail(run_dir != NULL, NULL);
    /* a crash between the two renames leaves only checkpoint.old */
    char *dir = g_build_filename(run_dir, "checkpoint", NULL);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        char *old = g_strconcat(dir, ".old", NULL);
        if (g_file_test(old, G_FILE_TEST_IS_DIR) && rename(old, dir) != 0)
            g_warning("cannot rename %s: %s", old, g_strerror(errno));
        g_free(old);
    }
    char *state = g_build_filename(dir, "trainer.bin", NULL);
    PrefrlTrainer *t = NULL;
    if (!g_file_test(state, G_FILE_TEST_EXISTS)) {
        const PrefrlComponent *agent = prefrl_recipe_component(recipe, reg, PREFRL_KIND_AGENT);
        if (agent && (agent->flags & PREFRL_FLAG_ON_POLICY))
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "agent/%s learns on-policy; resuming such runs is not supported yet",
                        agent->name);
        else
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "%s has no checkpoint to resume from (%s is missing)", run_dir, state);
        goto out;
    }
    if (!(t = trainer_create(recipe, reg, run_dir, TRUE, error)))
        goto out;
    TrainerLoad tl = {.t = t};
    if (!read_state(state, read_trainer_state, &tl, error))
        goto fail;
    PrefrlInstance *parts[] = {t->env, t->agent, t->reward, t->sampler, t->teacher};
    for (gsize i = 0; i < G_N_ELEMENTS(parts); i++) {
        if (!parts[i] || !parts[i]->component->load)
            continue;
        char *name = g_strdup_printf("%s.bin", prefrl_kind_name(parts[i]->component->kind));
        char *path = g_build_filename(dir, name, NULL);
        gboolean ok = read_state(path, parts[i]->component->load, parts[i]->self, error);
        g_free(path);
        g_free(name);
        if (!ok)
            goto fail;
    }
    if (!restore_outputs(t, tl.lengths, error))
        goto fail;
    t->resumed_at = t->step;
    trainer_say(t, "resumed from %s at step %lld", dir, (long long)t->step);
    goto out;
fail:
    prefrl_trainer_free(t);
    t = NULL;
out:
    g_free(state);
    g_free(dir);
    return t;
}

/* ---- the loop ---------------------------------------------------------------------- */

gboolean trainer_finish(PrefrlTrainer *t, gboolean ok, gboolean progress, GTimer *timer,
                        GError **error)
{
    if (ok)
        trainer_say(t, "finished after %.1f s", g_timer_elapsed(timer, NULL));
    /* the state so far, also when interrupted or failed */
    GError *ckpt_error = NULL;
    if (!trainer_save_checkpoint(t, ok ? error : &ckpt_error)) {
        ok = FALSE;
        if (ckpt_error) {
            trainer_say(t, "checkpoint failed: %s", ckpt_error->message);
            g_error_free(ckpt_error);
        }
    }
    if (progress) {
        trainer_progress_line(t, g_timer_elapsed(timer, NULL));
        fputc('\n', stderr);
    }
    return ok;
}

void trainer_progress_line(PrefrlTrainer *t, double elapsed)
{
    double rate = (t->step - MAX(t->resumed_at, 0)) / MAX(elapsed, 1e-9);
    double eta = (t->num_train_steps - t->step) / MAX(rate, 1e-9);
    fprintf(stderr, "\rstep %lld/%lld  %.0f steps/s  ETA %02d:%02d:%02d  eval %.1f  labels %lld/%lld  ",
            (long long)t->step, (long long)t->num_train_steps, rate, (int)(eta / 3600),
            (int)fmod(eta / 60, 60), (int)fmod(eta, 60), t->last_eval,
            (long long)t->labeled_feedback, (long long)t->max_feedback);
    fflush(stderr);
}

gboolean prefrl_trainer_run(PrefrlTrainer *t, volatile sig_atomic_t *stop, gboolean progress,
                            GError **error)
{
    if (t->on_policy)
        return trainer_run_on_policy(t, stop, progress, error);
    int ds = t->info.obs_dim, da = t->info.act_dim;
    const int64_t pretrain_end = t->num_seed_steps + t->num_unsup_steps;
    gboolean has_success = t->info.has_success;
    GTimer *timer = g_timer_new(), *ep_timer = g_timer_new();
    double last_progress = -1;
    gboolean ok = TRUE;
    trainer_say(t, "training: env/%s agent/%s reward/%s, %lld steps", t->env->component->name,
        t->agent->component->name, t->reward->component->name, (long long)t->num_train_steps);

    for (; ok && t->step < t->num_train_steps; t->step++) {
        if (t->checkpoint_frequency > 0 && t->step > 0 &&
            t->step % t->checkpoint_frequency == 0 && t->step != t->resumed_at &&
            !(ok = trainer_save_checkpoint(t, error)))
            break;
        if (stop && *stop) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED,
                        "interrupted at step %lld", (long long)t->step);
            trainer_say(t, "interrupted");
            ok = FALSE;
            break;
        }
        if (t->done) {
            if (t->step > 0) {
                prefrl_log_scalar(t->log, "train/duration", g_timer_elapsed(ep_timer, NULL));
                if (t->step > t->num_seed_steps)
                    ok = prefrl_log_dump_train(t->log, t->step, error);
                else
                    prefrl_log_discard_train(t->log);
                if (ok && t->step % t->eval_frequency == 0)
                    ok = trainer_evaluate_and_log(t, error);
                if (!ok)
                    break;
                /* episode statistics land in the next row (B-Pref's lag) */
                prefrl_log_scalar(t->log, "train/episode_reward", t->ep_reward);
                prefrl_log_scalar(t->log, "train/true_episode_reward", t->ep_true);
                prefrl_log_scalar(t->log, "train/total_feedback", (double)t->total_feedback);
                prefrl_log_scalar(t->log, "train/labeled_feedback", (double)t->labeled_feedback);
                if (has_success) {
                    prefrl_log_scalar(t->log, "train/episode_success", t->ep_success);
                    prefrl_log_scalar(t->log, "train/true_episode_success", t->ep_success);
                }
                t->recent[t->n_recent++ % RECENT_RETURNS] = t->ep_true;
            }
            prefrl_log_scalar(t->log, "train/episode", (double)t->episode + 1);
            if (!(ok = t->eops->reset(t->env->self, t->obs, error)))
                break;
            t->done = FALSE;
            t->ep_reward = t->ep_true = t->ep_success = 0;
            t->ep_step = 0;
            t->episode++;
            g_timer_start(ep_timer);
        }

        /* act */
        if (t->step < t->num_seed_steps) {
            for (int j = 0; j < da; j++)
                t->act[j] = (float)prefrl_rng_range(&t->rng, -1.0, 1.0);
        } else {
            t->aops->act(t->agent->self, t->obs, FALSE, t->act);
        }

        /* learn */
        if (t->step == pretrain_end) {
            if (!t->true_reward) {
                t->interact_count = 0;
                ok = trainer_query_round(t, TRUE, error);
            }
            if (ok && t->aops->reset_critic)
                t->aops->reset_critic(t->agent->self);
            for (int i = 0; ok && i < t->reset_update; i++)
                ok = normal_update(t, i, error);
        } else if (t->step > pretrain_end) {
            if (!t->true_reward && t->total_feedback < t->max_feedback &&
                t->interact_count == t->num_interact) {
                ok = trainer_query_round(t, FALSE, error);
                t->interact_count = 0;
            }
            if (ok) {
                if (t->meta_period > 0 && t->step % t->meta_period == 0 &&
                    t->total_feedback < t->max_feedback && t->prefs->view.count > 0)
                    ok = meta_update(t, error);
                else
                    ok = normal_update(t, t->step, error);
            }
        } else if (t->step > t->num_seed_steps) {
            ok = unsup_update(t, error);
        }
        if (!ok)
            break;

        /* step the environment */
        PrefrlEnvStep st = {0};
        if (!(ok = t->eops->step(t->env->self, t->act, t->next_obs, &st, error)))
            break;
        if (!isfinite(st.reward)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "env/%s returned a non-finite reward at step %lld",
                        t->env->component->name, (long long)t->step);
            ok = FALSE;
            break;
        }
        float r_hat;
        if (t->true_reward) {
            r_hat = st.reward;
        } else {
            trainer_concat_sa(t->obs, t->act, ds, da, t->sa);
            t->rops->predict(t->reward->self, t->step, t->sa, 1, &r_hat);
        }
        t->ep_step++;
        t->done = st.terminal || st.truncated || t->ep_step >= t->info.episode_length;
        prefrl_replay_add(t->replay, t->obs, t->act, r_hat, st.reward, t->next_obs, t->done,
                          st.terminal);
        prefrl_episodes_add(t->episodes, t->obs, t->act, st.reward, t->done);
        t->ep_reward += r_hat;
        t->ep_true += st.reward;
        t->ep_success = MAX(t->ep_success, st.success ? 1.0 : 0.0);
        memcpy(t->obs, t->next_obs, sizeof(float) * ds);
        t->interact_count++;

        if (progress) {
            double now = g_timer_elapsed(timer, NULL);
            if (now - last_progress >= 1.0) {
                trainer_progress_line(t, now);
                last_progress = now;
            }
        }
    }
    /* the final evaluation (the loop only evaluates at episode starts) */
    if (ok && t->step % t->eval_frequency == 0 && t->done && t->step != t->resumed_at)
        ok = trainer_evaluate_and_log(t, error);
    ok = trainer_finish(t, ok, progress, timer, error);
    g_timer_destroy(timer);
    g_timer_destroy(ep_timer);
    return ok;
}

double prefrl_trainer_last_eval(const PrefrlTrainer *t)
{
    return t->last_eval;
}

int64_t prefrl_trainer_total_feedback(const PrefrlTrainer *t)
{
    return t->total_feedback;
}

int64_t prefrl_trainer_labeled_feedback(const PrefrlTrainer *t)
{
    return t->labeled_feedback;
}
