/* Setting a trainer up from a resolved recipe: its configuration (the
 * trainer section, then what the components report), the components, the
 * buffers sized for the run, the workspaces and the output files.  Shared
 * by both loops; the on-policy parts are added by trainer_onpolicy.c. */
#include "config.h"
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "host/schema.h"
#include "pbrl/prefs_file.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer_private.h"

/* what a component of the run is created (or asked about) with */
static PrefrlContext component_context(const PrefrlNode *recipe, const PrefrlEnvInfo *env,
                                       const char *run_dir, const char *stream)
{
    PrefrlContext ctx = {.struct_size = sizeof ctx,
                         .seed = (uint64_t)prefrl_param_int(recipe, "seed"),
                         .env = env,
                         .run_dir = run_dir,
                         .recipe = recipe,
                         .total_steps = prefrl_param_int(prefrl_node_get(recipe, "trainer"),
                                                         "num_train_steps")};
    prefrl_rng_init(&ctx.rng, ctx.seed, stream);
    return ctx;
}

PrefrlInstance *trainer_make_component(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                       PrefrlKind kind, const char *stream,
                                       const PrefrlEnvInfo *env, const char *run_dir,
                                       GError **error)
{
    const PrefrlComponent *c = prefrl_recipe_component(recipe, reg, kind);
    g_return_val_if_fail(c != NULL, NULL);
    PrefrlContext ctx = component_context(recipe, env, run_dir, stream);
    PrefrlNode *params = prefrl_node_dup(prefrl_node_get(recipe, prefrl_kind_name(kind)));
    PrefrlInstance *inst = prefrl_instance_new_from_params(c, params, &ctx, error);
    if (!inst)
        g_prefix_error(error, "%s/%s: ", prefrl_kind_name(kind), c->name);
    return inst;
}

static PrefrlInstance *make_component(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                      PrefrlKind kind, const PrefrlEnvInfo *env,
                                      const char *run_dir, GError **error)
{
    return trainer_make_component(recipe, reg, kind, prefrl_kind_name(kind), env, run_dir, error);
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

/* the recipe's part of the configuration: its trainer section */
static void read_trainer_section(TrainerConfig *c, const PrefrlNode *recipe)
{
    const PrefrlNode *tp = prefrl_node_get(recipe, "trainer");
    c->num_train_steps = prefrl_param_int(tp, "num_train_steps");
    c->num_seed_steps = prefrl_param_int(tp, "num_seed_steps");
    c->num_unsup_steps = prefrl_param_int(tp, "num_unsup_steps");
    c->eval_frequency = prefrl_param_int(tp, "eval_frequency");
    c->num_eval_episodes = (int)prefrl_param_int(tp, "num_eval_episodes");
    c->checkpoint_frequency = prefrl_param_int(tp, "checkpoint_frequency");
    c->max_feedback = prefrl_param_int(tp, "max_feedback");
    c->reward_batch = (int)prefrl_param_int(tp, "reward_batch");
    c->num_interact = (int)prefrl_param_int(tp, "num_interact");
    const char *schedule = prefrl_param_string(tp, "reward_schedule");
    c->schedule = !strcmp(schedule, "decay")      ? TRAINER_SCHEDULE_DECAY
                  : !strcmp(schedule, "increase") ? TRAINER_SCHEDULE_INCREASE
                                                  : TRAINER_SCHEDULE_CONSTANT;
    c->top_k = (int)prefrl_param_int(tp, "topK");
    c->reset_update = (int)prefrl_param_int(tp, "reset_update");
    c->H = (int)prefrl_param_int(tp, "segment");
    c->divergence_threshold = prefrl_param_float(tp, "divergence_threshold");
    c->progress_interval = prefrl_param_float(tp, "progress_interval");
}

/* the keys whose values the trainer keeps copies of (freed with it): the
 * evaluation videos' and the preference file's */
static void read_owned_keys(TrainerConfig *c, const PrefrlNode *recipe)
{
    const PrefrlNode *tp = prefrl_node_get(recipe, "trainer");
    const char *seed = prefrl_param_string(tp, "seed_prefs");
    c->seed_prefs = seed && *seed ? g_strdup(seed) : NULL;
    c->save_video = prefrl_param_bool(tp, "save_video");
    c->video_ext = !strcmp(prefrl_param_string(tp, "video_format"), "mp4") ? "mp4" : "webm";
    const char *camera = prefrl_param_string(tp, "video_camera");
    c->video_camera = camera && *camera ? g_strdup(camera) : NULL;
    c->video_width = (int)prefrl_param_int(tp, "video_width");
    c->video_height = (int)prefrl_param_int(tp, "video_height");
    c->video_fps = (int)prefrl_param_int(tp, "video_fps");
}

/* the components' part: what they report once created */
static gboolean read_components(TrainerConfig *c, const PrefrlTrainer *t, GError **error)
{
    c->on_policy = (t->agent->component->flags & PREFRL_FLAG_ON_POLICY) != 0;
    c->batch = c->on_policy ? 1 : t->aops->batch_size(t->agent->self);
    c->Lq = t->rops->query_length ? t->rops->query_length(t->reward->self, c->H) : c->H;
    c->lo = (c->Lq - c->H) / 2;
    if (c->true_reward)
        return TRUE;
    if (c->Lq >= t->info.episode_length) { /* prefrl_run_validate checked H alone */
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/%s queries %d-step segments (trainer.segment %d and its window), "
                    "which do not fit in the %d-step episodes of env/%s; lower trainer.segment",
                    t->reward->component->name, c->Lq, c->H, t->info.episode_length,
                    t->env->component->name);
        return FALSE;
    }
    c->meta_period = t->rops->meta_period ? t->rops->meta_period(t->reward->self) : 0;
    if (c->meta_period > 0 && !(t->aops->critic_view && t->aops->critic_view(t->agent->self))) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/%s needs the agent's critic view, which agent/%s does not give",
                    t->reward->component->name, t->agent->component->name);
        return FALSE;
    }
    /* the first round ends pre-training; on-policy, at the first rollout
     * boundary past it */
    int64_t first_step = c->num_seed_steps + c->num_unsup_steps;
    if (c->on_policy) {
        int64_t per = MAX((int64_t)t->aops->n_envs(t->agent->self) *
                              t->aops->rollout_length(t->agent->self), 1);
        first_step = (c->num_unsup_steps + per - 1) / per * per;
    }
    c->max_round = trainer_largest_round(c, first_step);
    int large = t->sops->n_candidates(t->sampler->self, c->max_round);
    c->max_query = MAX(large, c->max_round);
    return TRUE;
}

/* the buffers a checkpoint holds, sized for the run */
static gboolean make_buffers(PrefrlTrainer *t, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    TrainerState *s = &t->state;
    int ds = t->info.obs_dim, da = t->info.act_dim;
    s->obs = g_new0(float, ds);
    /* the replay never wraps: one row per step, the reset updates' included */
    if (!c->on_policy && !(s->replay = prefrl_replay_new(ds, da, c->num_train_steps +
                                                         c->reset_update + 1, c->batch, error)))
        return FALSE;
    /* physics states kept for clips when the environment can snapshot them */
    gboolean states = t->eops->snapshot && t->info.nq + t->info.nv > 0;
    s->episodes = prefrl_episodes_new(ds, da, states ? t->info.nq : 0, states ? t->info.nv : 0,
                                      EPISODE_STORE);
    if (!c->on_policy)
        s->entropy = prefrl_state_entropy_new(c->top_k, c->batch);
    if (c->seed_prefs && c->true_reward) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "trainer.seed_prefs: reward/%s learns no reward from preferences; remove "
                    "the key or choose a learned reward",
                    t->reward->component->name);
        return FALSE;
    }
    if (!c->true_reward) {
        /* the seed pairs, checked whole, go first (outside the label budget) */
        PrefrlPrefsFile *seed = NULL;
        if (c->seed_prefs && !(seed = prefrl_prefs_file_read(c->seed_prefs, c->Lq, ds, da,
                                                             error)))
            return FALSE;
        int n_seed = seed ? seed->n : 0;
        /* labels never exceed the budget plus the uncapped first round */
        int cap = MAX((int)MIN(c->max_feedback + c->max_round, 500000), 1);
        /* no overflow: the file holds at most G_MAXINT / 2 pairs */
        if (!(s->prefs = prefrl_prefs_new(cap + n_seed, c->Lq, ds, da, error))) {
            prefrl_prefs_file_free(seed);
            return FALSE;
        }
        gsize row = (gsize)c->Lq * (ds + da);
        for (int i = 0; i < n_seed; i++)
            prefrl_prefs_add(s->prefs, seed->seg1 + i * row, seed->seg2 + i * row,
                             seed->labels[i]);
        t->seed_pairs = n_seed;
        prefrl_prefs_file_free(seed);
    }
    s->log = prefrl_log_new(t->out[PREFRL_RUN_TRAIN_CSV], t->out[PREFRL_RUN_EVAL_CSV]);
    s->reward_log = prefrl_log_new(t->out[PREFRL_RUN_REWARD_CSV], NULL);
    prefrl_log_set_divergence(s->log, c->divergence_threshold);
    prefrl_log_set_divergence(s->reward_log, c->divergence_threshold);
    if (t->run_dir) {
        char *train = prefrl_rundir_path(t->run_dir, PREFRL_RUN_TRAIN_CSV);
        char *eval = prefrl_rundir_path(t->run_dir, PREFRL_RUN_EVAL_CSV);
        char *reward = prefrl_rundir_path(t->run_dir, PREFRL_RUN_REWARD_CSV);
        prefrl_log_set_paths(s->log, train, eval);
        prefrl_log_set_paths(s->reward_log, reward, NULL);
        g_free(train);
        g_free(eval);
        g_free(reward);
    }
    return TRUE;
}

/* Every workspace sized from the recipe is allocated with g_try_new, so a
 * size that slipped past the memory estimate fails the set-up with a
 * message instead of aborting the process. */
#define TRY_NEW(ptr, type, n) (ok = ok && ((ptr) = g_try_new(type, MAX((gsize)(n), 1))) != NULL)

static gboolean make_workspaces(PrefrlTrainer *t, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    TrainerWork *w = &t->work;
    gsize ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da, B = c->batch;
    gboolean ok = TRUE;
    if (!c->true_reward) {
        gsize mq = c->max_query, rb = c->max_round, Lq = c->Lq;
        TRY_NEW(w->q_seg1, float, mq * Lq * d);
        TRY_NEW(w->q_seg2, float, mq * Lq * d);
        TRY_NEW(w->q_r1, float, mq * Lq);
        TRY_NEW(w->q_r2, float, mq * Lq);
        int K = t->rops->n_members ? t->rops->n_members(t->reward->self) : 0;
        TRY_NEW(w->q_probs, float, (gsize)MAX(K, 1) * mq);
        TRY_NEW(w->q_chosen, int, mq);
        TRY_NEW(w->q_labels, int, mq);
        TRY_NEW(w->t_seg1, float, rb * Lq * d);
        TRY_NEW(w->t_seg2, float, rb * Lq * d);
        TRY_NEW(w->t_r1, float, rb * Lq);
        TRY_NEW(w->t_r2, float, rb * Lq);
        TRY_NEW(w->q_src1, PrefrlSegmentSource, mq);
        TRY_NEW(w->q_src2, PrefrlSegmentSource, mq);
        TRY_NEW(w->t_src1, PrefrlSegmentSource, rb);
        TRY_NEW(w->t_src2, PrefrlSegmentSource, rb);
    }
    if (PREFRL_EPISODES_KEEP_STATES(t->state.episodes))
        TRY_NEW(w->state, double, PREFRL_EPISODES_STATE_LEN(t->state.episodes));
    TRY_NEW(w->next_obs, float, ds);
    TRY_NEW(w->act, float, da);
    TRY_NEW(w->sa, float, d);
    TRY_NEW(w->chunk_sa, float, (gsize)RELABEL_CHUNK * d);
    TRY_NEW(w->intrinsic_raw, float, B);
    TRY_NEW(w->intrinsic, float, B);
    TRY_NEW(w->batch_reward, float, B);
    TRY_NEW(w->batch_value, float, B);
    TRY_NEW(w->batch_sa, float, B * d);
    TRY_NEW(w->eval_obs, float, ds);
    if (t->aops->critic_view && t->aops->critic_view(t->agent->self)) {
        gsize L = t->info.episode_length;
        TRY_NEW(w->ep_sa, float, L * d);
        TRY_NEW(w->ep_r, float, L);
        TRY_NEW(w->ep_q, float, (gsize)Q_EPISODES * L);
        TRY_NEW(w->ep_g, float, (gsize)Q_EPISODES * L);
        TRY_NEW(w->ep_gt, float, (gsize)Q_EPISODES * L);
    }
    if (!ok)
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot allocate the trainer's workspaces (%d queries of %d steps, %d-step "
                    "episodes); lower trainer.reward_batch or trainer.segment",
                    c->max_query, c->Lq, t->info.episode_length);
    return ok;
}

PrefrlTrainer *trainer_setup(const PrefrlNode *recipe, PrefrlRegistry *reg, const char *run_dir,
                             gboolean resume, GError **error)
{
    PrefrlTrainer *t = g_new0(PrefrlTrainer, 1);
    t->run_dir = g_strdup(run_dir);
    t->resumed_at = -1;
    TrainerState *s = &t->state;
    s->last_eval = NAN;
    s->done = TRUE;
    uint64_t seed = (uint64_t)prefrl_param_int(recipe, "seed");
    prefrl_rng_init(&s->rng, seed, "trainer");
    prefrl_rng_init(&s->query_rng, seed, "queries");

    /* the configuration is built here and then fixed */
    TrainerConfig cfg = {0};
    read_trainer_section(&cfg, recipe);
    read_owned_keys(&cfg, recipe);
    const PrefrlComponent *rc = prefrl_recipe_component(recipe, reg, PREFRL_KIND_REWARD);
    cfg.true_reward = rc && (rc->flags & PREFRL_FLAG_TRUE_REWARD);
    memcpy((TrainerConfig *)&t->cfg, &cfg, sizeof cfg);
    if (!cfg.true_reward &&
        (!need_section(recipe, reg, PREFRL_KIND_SAMPLER, "a reward learned from preferences",
                       error) ||
         !need_section(recipe, reg, PREFRL_KIND_TEACHER, "a reward learned from preferences",
                       error)))
        goto fail;
    if (run_dir && !trainer_open_outputs(t, resume, error))
        goto fail;

    /* the recipe's threads for every matrix product (a process-wide setting,
     * kept after setup: the loop's products are the ones that count), so a
     * trainer built by any program gets them, not OpenBLAS's one per core */
    prefrl_nn_set_threads((int)prefrl_param_int(recipe, "threads"));

    /* the recipe's numerics backend for every network the components create
     * here (the thread's default, restored below) */
    PrefrlNumerics numerics;
    if (!prefrl_numerics_from_name(prefrl_param_string(recipe, "numerics"), &numerics, error) ||
        !prefrl_numerics_check(numerics, prefrl_param_bool(recipe, "numerics_emulated_bf16"),
                               error))
        goto fail;
    if (numerics != PREFRL_NUMERICS_OPENBLAS) {
        char *what = prefrl_numerics_describe(numerics);
        fprintf(stderr, "prefrl: numerics %s\n", what);
        trainer_say(t, "numerics %s", what);
        g_free(what);
    }
    prefrl_nn_set_numerics(numerics);

    if (!(t->env = make_component(recipe, reg, PREFRL_KIND_ENV, NULL, run_dir, error)))
        goto fail;
    t->eops = t->env->component->ops;
    t->eops->info(t->env->self, &t->info);
    if (!(t->agent = make_component(recipe, reg, PREFRL_KIND_AGENT, &t->info, run_dir, error)) ||
        !(t->reward = make_component(recipe, reg, PREFRL_KIND_REWARD, &t->info, run_dir, error)))
        goto fail;
    t->aops = t->agent->component->ops;
    t->rops = t->reward->component->ops;
    if (!cfg.true_reward) {
        if (!(t->sampler = make_component(recipe, reg, PREFRL_KIND_SAMPLER, &t->info, run_dir,
                                          error)) ||
            !(t->teacher = make_component(recipe, reg, PREFRL_KIND_TEACHER, &t->info, run_dir,
                                          error)))
            goto fail;
        t->sops = t->sampler->component->ops;
        t->tops = t->teacher->component->ops;
        t->interactive = (t->teacher->component->flags & PREFRL_FLAG_INTERACTIVE) != 0;
    }
    if (!read_components(&cfg, t, error))
        goto fail;
    memcpy((TrainerConfig *)&t->cfg, &cfg, sizeof cfg);

    if (!make_buffers(t, error) || !make_workspaces(t, error))
        goto fail;
    prefrl_nn_set_numerics(PREFRL_NUMERICS_OPENBLAS);
    return t;
fail:
    prefrl_nn_set_numerics(PREFRL_NUMERICS_OPENBLAS);
    trainer_teardown(t);
    return NULL;
}

void trainer_teardown(PrefrlTrainer *t)
{
    if (!t)
        return;
    g_return_if_fail(t->op == NULL);
    prefrl_instance_free(t->teacher);
    prefrl_instance_free(t->sampler);
    prefrl_instance_free(t->reward);
    prefrl_instance_free(t->agent);
    prefrl_instance_free(t->env);

    TrainerState *s = &t->state;
    g_free(s->obs);
    prefrl_replay_free(s->replay);
    prefrl_episodes_free(s->episodes);
    prefrl_prefs_free(s->prefs);
    prefrl_state_entropy_free(s->entropy);
    prefrl_log_free(s->log);
    prefrl_log_free(s->reward_log);
    trainer_close_outputs(t);
    g_clear_error(&t->write_error);

    TrainerWork *w = &t->work;
    float *bufs[] = {w->next_obs, w->act, w->sa, w->chunk_sa, w->intrinsic_raw, w->intrinsic,
                     w->batch_reward, w->batch_value, w->batch_sa, w->q_seg1, w->q_seg2,
                     w->q_r1, w->q_r2, w->q_probs, w->t_seg1, w->t_seg2, w->t_r1, w->t_r2,
                     w->eval_obs, w->ep_sa, w->ep_r, w->ep_q, w->ep_g, w->ep_gt};
    for (gsize i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    g_free(w->q_chosen);
    g_free(w->q_labels);
    g_free(w->q_src1);
    g_free(w->q_src2);
    g_free(w->t_src1);
    g_free(w->t_src2);
    g_free(w->state);
    g_free(t->cfg.video_camera);
    g_free(t->cfg.seed_prefs);
    g_free(t->run_dir);
    g_free(t);
}

void trainer_concat_sa(const float *obs, const float *act, int ds, int da, float *sa)
{
    memcpy(sa, obs, sizeof(float) * ds);
    memcpy(sa + ds, act, sizeof(float) * da);
}

/* ---- the run's checks before anything is allocated ---------------------- */

/* bytes of physical memory, 0 when unknown */
static double machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (double)pages * (double)page : 0;
}

/* "1.5 GiB" (g_format_size puts a no-break space in the middle) */
static char *format_bytes(double bytes)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (!(bytes < 1.8e19))
        return g_strdup("more than 16 EiB");
    int u = 0;
    while (bytes >= 1024 && u < 6) {
        bytes /= 1024;
        u++;
    }
    return u ? g_strdup_printf("%.1f %s", bytes, units[u])
             : g_strdup_printf("%.0f %s", bytes, units[0]);
}

/* the memory a run needs, in parts; parts under 1 MiB are only counted */
typedef struct {
    double total;
    GString *parts;
} MemoryBill;

static void bill(MemoryBill *b, const char *what, double bytes)
{
    b->total += bytes;
    if (bytes < 1048576.0)
        return;
    char *size = format_bytes(bytes);
    g_string_append_printf(b->parts, "%s%s %s", b->parts->len ? ", " : "", what, size);
    g_free(size);
}

/* the trainer's own buffers (make_buffers, make_workspaces) for a segment
 * length H (the queried length of a windowed learner is a little longer) */
static void bill_trainer(MemoryBill *b, const TrainerConfig *c, const PrefrlEnvInfo *info,
                         gboolean on_policy, double max_query, double K, double batch)
{
    double ds = info->obs_dim, da = info->act_dim, d = ds + da, L = info->episode_length;
    double H = c->H, f = sizeof(float);
    if (!on_policy)
        bill(b, "replay", ((double)c->num_train_steps + c->reset_update + 1) *
                              (2 * ds + da + 4) * f);
    /* episode storage grows by doubling from 1024 rows */
    double cap = 1024;
    while (cap < L)
        cap *= 2;
    /* and each step's physics state (qpos, qvel, time) in doubles */
    bill(b, "episodes", (EPISODE_STORE + 1) * cap *
                            ((d + 1) * f + (info->nq + info->nv + 1) * sizeof(double)));
    if (!c->true_reward) {
        double pairs = MAX(MIN((double)c->max_feedback + c->max_round, 500000), 1);
        bill(b, "preferences", pairs * (2 * H * d + 1) * f);
        double rb = c->max_round;
        bill(b, "query workspaces", max_query * (2 * H * d + 2 * H + K + 2) * f +
                                        rb * (2 * H * d + 2 * H) * f);
    }
    bill(b, "workspaces", (RELABEL_CHUNK * d + batch * (2 * d + 4) + (3 + d) * L +
                           3 * Q_EPISODES * L + 3 * ds) * f);
}

/* a component's own estimate, when it gives one */
static void bill_component(MemoryBill *b, const PrefrlNode *recipe, PrefrlRegistry *reg,
                           PrefrlKind kind, const PrefrlEnvInfo *info)
{
    const PrefrlComponent *c = prefrl_recipe_component(recipe, reg, kind);
    if (!c || !c->memory)
        return;
    PrefrlContext ctx = component_context(recipe, info, NULL, prefrl_kind_name(kind));
    guint64 bytes = c->memory(prefrl_node_get(recipe, prefrl_kind_name(kind)), &ctx);
    char *what = g_strdup_printf("%s/%s", prefrl_kind_name(kind), c->name);
    bill(b, what, bytes == G_MAXUINT64 ? INFINITY : (double)bytes);
    g_free(what);
}

/* an integer of a component's section when it has that key, else dflt */
static double section_int(const PrefrlNode *recipe, PrefrlKind kind, const char *key, double dflt)
{
    const PrefrlNode *n = prefrl_node_get(prefrl_node_get(recipe, prefrl_kind_name(kind)), key);
    const char *t = prefrl_node_text(n);
    return t ? g_ascii_strtod(t, NULL) : dflt;
}

gboolean prefrl_run_validate(const PrefrlNode *root, PrefrlRegistry *reg, GError **error)
{
    const PrefrlComponent *ec = prefrl_recipe_component(root, reg, PREFRL_KIND_ENV);
    const PrefrlComponent *ac = prefrl_recipe_component(root, reg, PREFRL_KIND_AGENT);
    const PrefrlComponent *rc = prefrl_recipe_component(root, reg, PREFRL_KIND_REWARD);
    if (!ec || !ac || !rc)
        return TRUE; /* not a run's recipe: resolution checked what its caller required */
    TrainerConfig cfg = {0};
    read_trainer_section(&cfg, root);
    cfg.true_reward = (rc->flags & PREFRL_FLAG_TRUE_REWARD) != 0;
    const PrefrlComponent *sc = prefrl_recipe_component(root, reg, PREFRL_KIND_SAMPLER);
    if (!cfg.true_reward && (!sc || !prefrl_recipe_component(root, reg, PREFRL_KIND_TEACHER)))
        return TRUE; /* trainer_setup names the missing section */

    /* the environment is cheap to create and the only way to learn its sizes */
    PrefrlInstance *env = trainer_make_component(root, reg, PREFRL_KIND_ENV, "env", NULL, NULL,
                                                 error);
    if (!env)
        return FALSE;
    PrefrlEnvInfo info = {0};
    ((const PrefrlEnvOps *)env->component->ops)->info(env->self, &info);
    prefrl_instance_free(env);

    const char *file;
    prefrl_node_location(root, &file, NULL, NULL);
    if (!cfg.true_reward && cfg.H >= info.episode_length) {
        const PrefrlNode *at = prefrl_node_get(prefrl_node_get(root, "trainer"), "segment");
        char *where = prefrl_node_where(at, FALSE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%strainer.segment: %d steps do not fit in the %d-step episodes of env/%s, "
                    "so no query could ever be asked; use at most %d",
                    where, cfg.H, info.episode_length, ec->name, info.episode_length - 1);
        g_free(where);
        return FALSE;
    }

    /* a budget that can be delivered: at least one query round within the run */
    gboolean on_policy = (ac->flags & PREFRL_FLAG_ON_POLICY) != 0;
    int64_t pretrain = on_policy ? cfg.num_unsup_steps : cfg.num_seed_steps + cfg.num_unsup_steps;
    if (!cfg.true_reward && cfg.max_feedback > 0 && pretrain >= cfg.num_train_steps) {
        const PrefrlNode *at = prefrl_node_get(prefrl_node_get(root, "trainer"), "num_train_steps");
        char *where = prefrl_node_where(at, FALSE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%strainer.num_train_steps: the run stops at step %" G_GINT64_FORMAT
                    ", before its first query round at step %" G_GINT64_FORMAT " (the end of "
                    "%s), so none of the %" G_GINT64_FORMAT " labels of trainer.max_feedback "
                    "could be asked; train longer, pre-train less, or set "
                    "trainer.max_feedback=0",
                    where, cfg.num_train_steps, pretrain,
                    on_policy ? "num_unsup_steps" : "num_seed_steps + num_unsup_steps",
                    cfg.max_feedback);
        g_free(where);
        return FALSE;
    }

    /* the memory the run will allocate */
    /* the largest query round (an on-policy run's first one is a little
     * later: at its first rollout boundary) */
    cfg.max_round = trainer_largest_round(&cfg, pretrain);
    double max_query = cfg.max_round;
    if (!cfg.true_reward) {
        PrefrlInstance *smp = trainer_make_component(root, reg, PREFRL_KIND_SAMPLER, "sampler",
                                                     &info, NULL, error);
        if (!smp)
            return FALSE;
        const PrefrlSamplerOps *so = smp->component->ops;
        max_query = MAX(so->n_candidates(smp->self, cfg.max_round), cfg.max_round);
        prefrl_instance_free(smp);
    }
    MemoryBill b = {0, g_string_new(NULL)};
    bill_trainer(&b, &cfg, &info, on_policy, max_query,
                 section_int(root, PREFRL_KIND_REWARD, "ensemble_size", 1),
                 section_int(root, PREFRL_KIND_AGENT, "batch_size", 1));
    for (int k = 1; k <= PREFRL_N_KINDS; k++)
        bill_component(&b, root, reg, k, &info);
    double limit_mib = (double)prefrl_param_int(prefrl_node_get(root, "trainer"), "max_memory");
    double machine = machine_memory(), limit = limit_mib > 0 ? limit_mib * 1048576.0 : machine;
    gboolean ok = limit <= 0 || b.total <= limit;
    if (!ok) {
        char *need = format_bytes(b.total), *have = format_bytes(limit);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: the run needs about %s of memory (%s), more than the %s %s; lower "
                    "the sizes of its largest part%s",
                    file, need, b.parts->len ? b.parts->str : "many small parts", have,
                    limit_mib > 0 ? "trainer.max_memory allows" : "this machine has",
                    limit_mib > 0 ? " or raise trainer.max_memory" : "");
        g_free(need);
        g_free(have);
    }
    g_string_free(b.parts, TRUE);
    return ok;
}
