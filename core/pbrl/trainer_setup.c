/* Setting a trainer up from a resolved recipe: its configuration (the
 * trainer section, then what the components report), the components, the
 * buffers sized for the run, the workspaces and the output files.  Shared
 * by both loops; the on-policy parts are added by trainer_onpolicy.c. */
#include "config.h"
#include <math.h>
#include <string.h>

#include "host/schema.h"
#include "pbrl/trainer_private.h"

PrefrlInstance *trainer_make_component(const PrefrlNode *recipe, PrefrlRegistry *reg,
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
    c->meta_period = t->rops->meta_period ? t->rops->meta_period(t->reward->self) : 0;
    if (c->meta_period > 0 && !(t->aops->critic_view && t->aops->critic_view(t->agent->self))) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/%s needs the agent's critic view, which agent/%s does not give",
                    t->reward->component->name, t->agent->component->name);
        return FALSE;
    }
    int large = t->sops->n_candidates(t->sampler->self, c->reward_batch);
    c->max_query = MAX(large, c->reward_batch);
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
    s->episodes = prefrl_episodes_new(ds, da, EPISODE_STORE);
    if (!c->on_policy)
        s->entropy = prefrl_state_entropy_new(c->top_k, c->batch);
    if (!c->true_reward) {
        /* labels never exceed the budget plus the uncapped first round */
        int cap = (int)MIN(c->max_feedback + c->reward_batch, 500000);
        if (!(s->prefs = prefrl_prefs_new(MAX(cap, 1), c->Lq, ds, da, error)))
            return FALSE;
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

static void make_workspaces(PrefrlTrainer *t)
{
    const TrainerConfig *c = &t->cfg;
    TrainerWork *w = &t->work;
    int ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da, B = c->batch;
    if (!c->true_reward) {
        gsize seg = (gsize)c->max_query * c->Lq * d;
        w->q_seg1 = g_new(float, seg);
        w->q_seg2 = g_new(float, seg);
        w->q_r1 = g_new(float, (gsize)c->max_query * c->Lq);
        w->q_r2 = g_new(float, (gsize)c->max_query * c->Lq);
        int K = t->rops->n_members ? t->rops->n_members(t->reward->self) : 0;
        w->q_probs = g_new(float, (gsize)MAX(K, 1) * c->max_query);
        w->q_chosen = g_new(int, c->max_query);
        w->q_labels = g_new(int, c->max_query);
        gsize tseg = (gsize)c->reward_batch * c->Lq * d;
        w->t_seg1 = g_new(float, tseg);
        w->t_seg2 = g_new(float, tseg);
        w->t_r1 = g_new(float, (gsize)c->reward_batch * c->Lq);
        w->t_r2 = g_new(float, (gsize)c->reward_batch * c->Lq);
    }
    w->next_obs = g_new(float, ds);
    w->act = g_new(float, da);
    w->sa = g_new(float, d);
    w->chunk_sa = g_new(float, (gsize)RELABEL_CHUNK * d);
    w->intrinsic_raw = g_new(float, B);
    w->intrinsic = g_new(float, B);
    w->batch_reward = g_new(float, B);
    w->batch_value = g_new(float, B);
    w->batch_sa = g_new(float, (gsize)B * d);
    w->eval_obs = g_new(float, ds);
    if (t->aops->critic_view && t->aops->critic_view(t->agent->self)) {
        int L = t->info.episode_length;
        w->ep_sa = g_new(float, (gsize)L * d);
        w->ep_r = g_new(float, L);
        w->ep_q = g_new(float, (gsize)Q_EPISODES * L);
        w->ep_g = g_new(float, (gsize)Q_EPISODES * L);
    }
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
    }
    if (!read_components(&cfg, t, error))
        goto fail;
    memcpy((TrainerConfig *)&t->cfg, &cfg, sizeof cfg);

    if (!make_buffers(t, error))
        goto fail;
    make_workspaces(t);
    return t;
fail:
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
                     w->eval_obs, w->ep_sa, w->ep_r, w->ep_q, w->ep_g};
    for (gsize i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    g_free(w->q_chosen);
    g_free(w->q_labels);
    g_free(t->run_dir);
    g_free(t);
}

void trainer_concat_sa(const float *obs, const float *act, int ds, int da, float *sa)
{
    memcpy(sa, obs, sizeof(float) * ds);
    memcpy(sa + ds, act, sizeof(float) * da);
}
