/* DMC env plugin and the shared MuJoCo helpers.
 *
 * Black-box through the registry: every task loads with its documented
 * dimensions, is deterministic for a seed and differs across seeds, keeps
 * per-step rewards in [0, 1], has random-policy returns of the suite's
 * magnitude, honours the time limit and action repeat, and saves/loads its
 * state.  White-box (dmc.h, the plugin's private header, with dmc.c compiled
 * into this program, so tests can construct physics states): rewards and
 * observations at constructed states, the legacy step against a raw mj_step
 * loop, errors for models with missing names, unloadable files, MuJoCo
 * runtime errors and divergence. */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <check.h>

#include "host/registry.h"
#include "ckpt_test.h"
#include "mj_fingerprint.h"
#include "dmc.h"
#include "../render_checks.h"
#include "check_run.h"

#define DATA TEST_SRCDIR "/plugins/env/dmc/data/"
#define MODELS TEST_SRCDIR "/../plugins/env/dmc/models/"

typedef struct {
    const char *name;
    int obs_dim, act_dim, nq, nv;
    double lo, hi; /* band of the mean random-policy return (5 episodes, seed 1) */
} TaskSpec;

/* dims from docs/tasks.md and dm_control's suite; return bands are
 * what uniform random actions give on the suite (a regression alarm for the
 * reward code, wide enough for engine versions) */
static const TaskSpec tasks[] = {
    {"walker_stand", 24, 6, 9, 9, 60, 300},
    {"walker_walk", 24, 6, 9, 9, 15, 80},
    {"walker_run", 24, 6, 9, 9, 8, 50},
    {"cheetah_run", 17, 6, 9, 9, 0.5, 40},
    {"quadruped_walk", 78, 12, 23, 22, 1, 300},
    {"quadruped_run", 78, 12, 23, 22, 1, 300},
    {"cartpole_swingup", 5, 1, 2, 2, 5, 120},
    {"cartpole_balance", 5, 1, 2, 2, 150, 700},
    {"reacher_easy", 6, 2, 2, 2, 2, 300},
    {"reacher_hard", 6, 2, 2, 2, 0, 100},
};

/* error of creating `task` with `overrides`; the caller frees it */
static GError *make_env_error(const char *task, const char *const *overrides)
{
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_ENV, task,
                                               overrides, 1, NULL, &err);
    ck_assert_msg(inst == NULL, "%s unexpectedly created", task);
    ck_assert_ptr_nonnull(err);
    return err;
}

static PrefrlEnvInfo info_of(PrefrlInstance *inst)
{
    PrefrlEnvInfo info;
    env_test_ops(inst)->info(inst->self, &info);
    return info;
}

/* env_test_step's outcome as a value */
static PrefrlEnvStep step_ok(PrefrlInstance *inst, const float *act, float *obs)
{
    PrefrlEnvStep out;
    env_test_step(inst, act, obs, &out);
    return out;
}

static void random_action(PrefrlRng *rng, float *a, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = (float)prefrl_rng_range(rng, -1.0, 1.0);
}

/* set qpos/qvel (NULL: keep qpos0 / zero) and recompute the derived quantities */
static void set_state(DmcEnv *e, const double *qpos, const double *qvel)
{
    mj_resetData(e->m, e->d);
    if (qpos)
        memcpy(e->d->qpos, qpos, sizeof(double) * e->m->nq);
    if (qvel)
        memcpy(e->d->qvel, qvel, sizeof(double) * e->m->nv);
    mj_forward(e->m, e->d);
}

/* a copy of a bundled model with `from` replaced by `to`, in a temp dir */
static char *patched_model(const char *file, const char *from, const char *to, char **dir)
{
    char *src = g_build_filename(MODELS, file, NULL), *text = NULL;
    ck_assert(g_file_get_contents(src, &text, NULL, NULL));
    ck_assert_ptr_nonnull(strstr(text, from));
    char **parts = g_strsplit(text, from, 2);
    char *patched = g_strjoin(to, parts[0], parts[1], NULL);
    *dir = g_dir_make_tmp("prefrl-dmc-XXXXXX", NULL);
    ck_assert_ptr_nonnull(*dir);
    char *path = g_build_filename(*dir, file, NULL);
    ck_assert(g_file_set_contents(path, patched, -1, NULL));
    g_strfreev(parts);
    g_free(patched);
    g_free(text);
    g_free(src);
    return path;
}

static void remove_patched(char *path, char *dir)
{
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* ---- dimensions, determinism, reward range ------------------------------ */

START_TEST(test_dims)
{
    const TaskSpec *t = &tasks[_i];
    PrefrlInstance *inst = env_test_make(t->name, 1, NULL);
    PrefrlEnvInfo info = info_of(inst);
    ck_assert_int_eq(info.obs_dim, t->obs_dim);
    ck_assert_int_eq(info.act_dim, t->act_dim);
    ck_assert_int_eq(info.nq, t->nq);
    ck_assert_int_eq(info.nv, t->nv);
    ck_assert_int_eq(info.episode_length, 1000);
    ck_assert_int_eq(info.has_success, 0);
    ck_assert_ptr_nonnull(env_test_ops(inst)->snapshot);
    float obs[128];
    env_test_reset(inst, obs);
    for (int i = 0; i < info.obs_dim; i++)
        ck_assert(isfinite(obs[i]));
    prefrl_instance_free(inst);
}
END_TEST

/* obs and rewards of `steps` steps from a reset, actions from stream `act_seed` */
static void rollout(PrefrlInstance *inst, int steps, uint64_t act_seed, float *obs, float *rew)
{
    PrefrlEnvInfo info = info_of(inst);
    PrefrlRng rng;
    prefrl_rng_init(&rng, act_seed, "actions");
    float act[16];
    env_test_reset(inst, obs);
    for (int s = 0; s < steps; s++) {
        random_action(&rng, act, info.act_dim);
        PrefrlEnvStep out = step_ok(inst, act, obs + (size_t)(s + 1) * info.obs_dim);
        rew[s] = out.reward;
        ck_assert(!out.terminal);
    }
}

START_TEST(test_determinism)
{
    const TaskSpec *t = &tasks[_i];
    enum { STEPS = 60 };
    size_t n = (size_t)(STEPS + 1) * t->obs_dim;
    float *a = g_new(float, n), *b = g_new(float, n), *c = g_new(float, n);
    float ra[STEPS], rb[STEPS], rc[STEPS];
    PrefrlInstance *x = env_test_make(t->name, 7, NULL), *y = env_test_make(t->name, 7, NULL);
    PrefrlInstance *z = env_test_make(t->name, 8, NULL);
    rollout(x, STEPS, 3, a, ra);
    rollout(y, STEPS, 3, b, rb);
    rollout(z, STEPS, 3, c, rc);
    /* same seed: bit-identical; another seed: another initial state */
    ck_assert_int_eq(memcmp(a, b, n * sizeof *a), 0);
    ck_assert_int_eq(memcmp(ra, rb, sizeof ra), 0);
    ck_assert_int_ne(memcmp(a, c, t->obs_dim * sizeof *a), 0);
    /* the next episode of the same env starts elsewhere */
    rollout(x, 1, 3, c, rc);
    ck_assert_int_ne(memcmp(a, c, t->obs_dim * sizeof *a), 0);
    prefrl_instance_free(x);
    prefrl_instance_free(y);
    prefrl_instance_free(z);
    g_free(a);
    g_free(b);
    g_free(c);
}
END_TEST

START_TEST(test_random_returns)
{
    const TaskSpec *t = &tasks[_i];
    PrefrlInstance *inst = env_test_make(t->name, 1, NULL);
    DmcEnv *e = inst->self;
    PrefrlEnvInfo info = info_of(inst);
    PrefrlRng rng;
    prefrl_rng_init(&rng, 1, "random-policy");
    float obs[128], act[16];
    double total = 0.0;
    const int episodes = 5;
    for (int ep = 0; ep < episodes; ep++) {
        env_test_reset(inst, obs);
        for (int s = 0;; s++) {
            random_action(&rng, act, info.act_dim);
            PrefrlEnvStep out = step_ok(inst, act, obs);
            /* per-step reward in [0, 1], and it is the reward of the new state */
            ck_assert_msg(out.reward >= 0.0f && out.reward <= 1.0f, "%s reward %g", t->name,
                          out.reward);
            ck_assert_float_eq(out.reward, (float)e->task->reward(e));
            for (int i = 0; i < info.obs_dim; i++)
                ck_assert(isfinite(obs[i]));
            total += out.reward;
            ck_assert_int_eq(out.truncated, s == info.episode_length - 1);
            if (out.truncated)
                break;
        }
    }
    double mean = total / episodes;
    ck_assert_msg(mean >= t->lo && mean <= t->hi, "%s: random-policy mean return %.2f outside "
                  "[%g, %g]", t->name, mean, t->lo, t->hi);
    prefrl_instance_free(inst);
}
END_TEST

/* ---- rewards and observations at constructed states --------------------- */

static double reward_at(DmcEnv *e, const double *qpos, const double *qvel)
{
    set_state(e, qpos, qvel);
    return e->task->reward(e);
}

START_TEST(test_walker_rewards)
{
    PrefrlInstance *walk = env_test_make("walker_walk", 1, NULL),
                   *run = env_test_make("walker_run", 1, NULL);
    PrefrlInstance *stand = env_test_make("walker_stand", 1, NULL);
    DmcEnv *w = walk->self, *r = run->self, *s = stand->self;
    /* qpos: rootz, rootx, rooty, legs; all zero = upright, torso at 1.3 m */
    double q[9] = {0}, v[9] = {0};

    /* upright at stand height, whole body moving at the target speed: 1 */
    v[1] = 1.0;
    ck_assert_double_eq_tol(reward_at(w, q, v), 1.0, 1e-12);
    ck_assert_double_eq_tol(w->d->sensordata[w->sens[0]], 1.0, 1e-12);
    v[1] = 8.0;
    ck_assert_double_eq_tol(reward_at(r, q, v), 1.0, 1e-12);
    /* half the walking speed: move 0.5, reward (5 * 0.5 + 1) / 6 */
    v[1] = 0.5;
    ck_assert_double_eq_tol(reward_at(w, q, v), 3.5 / 6.0, 1e-12);
    /* standing still: 1/6 for walking, 1 for standing */
    v[1] = 0.0;
    ck_assert_double_eq_tol(reward_at(w, q, v), 1.0 / 6.0, 1e-12);
    ck_assert_double_eq_tol(reward_at(s, q, v), 1.0, 1e-12);
    /* moving backwards earns nothing for moving */
    v[1] = -2.0;
    ck_assert_double_eq_tol(reward_at(w, q, v), 1.0 / 6.0, 1e-12);

    /* torso 0.9 m lower (0.4 m): standing = 0.1^((0.8/0.6)^2) */
    q[0] = -0.9;
    double standing = pow(0.1, (0.8 / 0.6) * (0.8 / 0.6));
    ck_assert_double_eq_tol(reward_at(s, q, NULL), (3.0 * standing + 1.0) / 4.0, 1e-12);
    /* pitched 90 degrees at full height: upright 0.5 */
    q[0] = 0.0;
    q[2] = G_PI / 2;
    ck_assert_double_eq_tol(reward_at(s, q, NULL), (3.0 + 0.5) / 4.0, 1e-12);

    /* observation: (xx, xz) per body = (cos, sin) of the pitch, height, qvel */
    float obs[24];
    v[1] = 0.25;
    v[4] = -3.0;
    set_state(s, q, v);
    walker_observe(s, obs);
    ck_assert_float_eq_tol(obs[0], 0.0f, 1e-6f);
    ck_assert_float_eq_tol(obs[1], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(obs[14], 1.3f, 1e-6f);
    ck_assert_float_eq(obs[15 + 1], 0.25f);
    ck_assert_float_eq(obs[15 + 4], -3.0f);
    prefrl_instance_free(walk);
    prefrl_instance_free(run);
    prefrl_instance_free(stand);
}
END_TEST

START_TEST(test_cheetah_rewards)
{
    PrefrlInstance *inst = env_test_make("cheetah_run", 1, NULL);
    DmcEnv *e = inst->self;
    /* qpos: rootx, rootz, rooty, legs */
    double q[9] = {0}, v[9] = {0};
    v[0] = 10.0;
    ck_assert_double_eq_tol(reward_at(e, q, v), 1.0, 1e-12);
    v[0] = 12.0;
    ck_assert_double_eq_tol(reward_at(e, q, v), 1.0, 1e-12);
    v[0] = 5.0;
    ck_assert_double_eq_tol(reward_at(e, q, v), 0.5, 1e-12);
    v[0] = -3.0;
    ck_assert_double_eq_tol(reward_at(e, q, v), 0.0, 1e-12);

    /* observation drops rootx: rootz, rooty, six legs, then nine velocities */
    float obs[17];
    q[0] = 7.0;
    q[1] = 0.125;
    q[3] = 0.5;
    v[0] = 2.0;
    set_state(e, q, v);
    cheetah_observe(e, obs);
    ck_assert_float_eq(obs[0], 0.125f);
    ck_assert_float_eq(obs[2], 0.5f);
    ck_assert_float_eq(obs[8], 2.0f);
    for (int i = 0; i < 8; i++)
        ck_assert_float_ne(obs[i], 7.0f);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_quadruped_rewards)
{
    PrefrlInstance *walk = env_test_make("quadruped_walk", 1, NULL);
    PrefrlInstance *run = env_test_make("quadruped_run", 1, NULL);
    DmcEnv *w = walk->self, *r = run->self;
    /* free joint (x, y, z, qw, qx, qy, qz), then 16 hinges */
    double q[23] = {0, 0, 1.0, 1, 0, 0, 0}, v[22] = {0};
    v[0] = 0.5;
    ck_assert_double_eq_tol(reward_at(w, q, v), 1.0, 1e-9);
    ck_assert_double_eq_tol(reward_at(r, q, v), 0.55, 1e-9); /* (0.5 + 5) / 10 */
    v[0] = 0.0;
    ck_assert_double_eq_tol(reward_at(w, q, v), 0.5, 1e-9);
    v[0] = -0.5;
    ck_assert_double_eq_tol(reward_at(w, q, v), 0.0, 1e-9);
    /* rolled 90 degrees about x: upright 0.5; upside down: 0 */
    v[0] = 0.5;
    q[3] = cos(G_PI / 4);
    q[4] = sin(G_PI / 4);
    ck_assert_double_eq_tol(reward_at(w, q, v), 0.5, 1e-9);
    q[3] = 0.0;
    q[4] = 1.0;
    ck_assert_double_eq_tol(reward_at(w, q, v), 0.0, 1e-9);

    /* observation layout: 16 hinge qpos, 16 hinge qvel, 12 act, torso
     * velocity (3), upright, imu (6), asinh of force/torque (24) */
    float obs[78];
    q[3] = 1.0;
    q[4] = 0.0;
    q[7 + 1] = 0.3;  /* pitch_front_left */
    v[6 + 2] = -0.7; /* knee_front_left */
    set_state(w, q, v);
    w->d->act[5] = 0.25;
    quadruped_observe(w, obs);
    ck_assert_float_eq(obs[1], 0.3f);
    ck_assert_float_eq(obs[16 + 2], -0.7f);
    ck_assert_float_eq(obs[32 + 5], 0.25f);
    ck_assert_float_eq_tol(obs[44], 0.5f, 1e-6f);
    ck_assert_float_eq_tol(obs[47], 1.0f, 1e-6f);
    for (int i = 0; i < 24; i++)
        ck_assert_float_eq(obs[54 + i], (float)asinh(w->d->sensordata[w->sens[3] + i]));
    prefrl_instance_free(walk);
    prefrl_instance_free(run);
}
END_TEST

START_TEST(test_cartpole_rewards)
{
    PrefrlInstance *inst = env_test_make("cartpole_swingup", 1, NULL);
    DmcEnv *e = inst->self;
    double q[2] = {0, 0}, v[2] = {0, 0};
    /* upright, centred, still, no control: every factor 1 */
    ck_assert_double_eq_tol(reward_at(e, q, v), 1.0, 1e-12);
    /* cart 2 m off centre: centred = (1 + 0.1) / 2 */
    q[0] = 2.0;
    ck_assert_double_eq_tol(reward_at(e, q, v), 0.55, 1e-12);
    /* pole swinging at 5 rad/s: small_velocity = (1 + 0.1) / 2 */
    q[0] = 0.0;
    v[1] = 5.0;
    ck_assert_double_eq_tol(reward_at(e, q, v), 0.55, 1e-12);
    /* full control: small_control = 4 / 5 */
    v[1] = 0.0;
    set_state(e, q, v);
    e->d->ctrl[0] = 1.0;
    ck_assert_double_eq_tol(e->task->reward(e), 0.8, 1e-12);
    /* hanging down: upright 0 */
    q[1] = G_PI;
    ck_assert_double_eq_tol(reward_at(e, q, v), 0.0, 1e-12);

    /* observation: cart position, (cos, sin) of the pole angle, velocities */
    float obs[5];
    q[0] = 0.5;
    q[1] = G_PI / 2;
    v[0] = 0.1;
    set_state(e, q, v);
    cartpole_observe(e, obs);
    ck_assert_float_eq(obs[0], 0.5f);
    ck_assert_float_eq_tol(obs[1], 0.0f, 1e-6f);
    ck_assert_float_eq_tol(obs[2], 1.0f, 1e-6f);
    ck_assert_float_eq(obs[3], 0.1f);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_reacher_rewards)
{
    PrefrlInstance *inst = env_test_make("reacher_easy", 1, NULL);
    DmcEnv *e = inst->self;
    float obs[6];
    env_test_reset(inst, obs);
    /* the reset put the 5 cm target within 5-20 cm of the shoulder */
    double tx = e->m->geom_pos[3 * e->target], ty = e->m->geom_pos[3 * e->target + 1];
    double rad = hypot(tx, ty);
    ck_assert(rad >= 0.05 && rad <= 0.20);
    ck_assert_double_eq(e->m->geom_size[3 * e->target], 0.05);
    /* arm straight along x: finger at (0.24, 0); reward is 1 within 6 cm */
    double q[2] = {0, 0};
    e->m->geom_pos[3 * e->target] = 0.24 + 0.059;
    e->m->geom_pos[3 * e->target + 1] = 0.0;
    ck_assert_double_eq(reward_at(e, q, NULL), 1.0);
    e->m->geom_pos[3 * e->target] = 0.24 + 0.061;
    ck_assert_double_eq(reward_at(e, q, NULL), 0.0);
    reacher_observe(e, obs);
    ck_assert_float_eq_tol(obs[2], 0.061f, 1e-6f);
    ck_assert_float_eq_tol(obs[3], 0.0f, 1e-6f);
    prefrl_instance_free(inst);

    inst = env_test_make("reacher_hard", 1, NULL);
    e = inst->self;
    env_test_reset(inst, obs);
    ck_assert_double_eq(e->m->geom_size[3 * e->target], 0.015);
    e->m->geom_pos[3 * e->target] = 0.24 + 0.024;
    e->m->geom_pos[3 * e->target + 1] = 0.0;
    ck_assert_double_eq(reward_at(e, q, NULL), 1.0);
    e->m->geom_pos[3 * e->target] = 0.24 + 0.026;
    ck_assert_double_eq(reward_at(e, q, NULL), 0.0);
    prefrl_instance_free(inst);
}
END_TEST

/* ---- stepping semantics ------------------------------------------------- */

static double max_abs_diff(const double *a, const double *b, int n)
{
    double m = 0.0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* the env's control step is n mj_step + mj_step1 on a second mjData (the
 * reference's formula).  Euler tasks enter through mj_step2 as dm_control
 * does; that skips one recomputation of the position stage, which only
 * re-normalises free-joint quaternions, so models without one match bit for
 * bit and the quadruped to rounding */
START_TEST(test_legacy_step)
{
    static const char *const names[] = {"walker_walk", "cheetah_run", "quadruped_walk",
                                        "cartpole_swingup", "reacher_easy"};
    const char *task = names[_i];
    PrefrlInstance *inst = env_test_make(task, 3, NULL);
    DmcEnv *e = inst->self;
    const mjModel *m = e->m;
    PrefrlEnvInfo info = info_of(inst);
    gboolean exact = strcmp(task, "quadruped_walk") != 0;
    float obs[128], act[16];
    env_test_reset(inst, obs);
    mjData *raw = mj_makeData(m);
    memcpy(raw->qpos, e->d->qpos, sizeof(double) * m->nq);
    memcpy(raw->qvel, e->d->qvel, sizeof(double) * m->nv);
    memcpy(raw->act, e->d->act, sizeof(double) * m->na);
    memcpy(raw->qacc_warmstart, e->d->qacc_warmstart, sizeof(double) * m->nv);
    raw->time = e->d->time;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 4, "actions");
    for (int s = 0; s < 40; s++) {
        random_action(&rng, act, info.act_dim);
        step_ok(inst, act, obs);
        ck_assert(prefrl_mj_set_action(m, raw, act, NULL));
        for (int k = 0; k < e->n_sub; k++)
            mj_step(m, raw);
        mj_step1(m, raw);
        if (exact) {
            ck_assert_int_eq(memcmp(raw->qpos, e->d->qpos, sizeof(double) * m->nq), 0);
            ck_assert_int_eq(memcmp(raw->qvel, e->d->qvel, sizeof(double) * m->nv), 0);
            ck_assert_int_eq(memcmp(raw->xmat, e->d->xmat, sizeof(double) * 9 * m->nbody), 0);
            ck_assert_int_eq(memcmp(raw->sensordata, e->d->sensordata,
                                    sizeof(double) * m->nsensordata), 0);
        } else {
            ck_assert_double_le(max_abs_diff(raw->qpos, e->d->qpos, m->nq), 1e-9);
            ck_assert_double_le(max_abs_diff(raw->qvel, e->d->qvel, m->nv), 1e-7);
            ck_assert_double_le(max_abs_diff(raw->act, e->d->act, m->na), 1e-9);
        }
        ck_assert_double_eq(raw->time, e->d->time);
    }
    mj_deleteData(raw);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_time_limit_and_repeat)
{
    const char *ov1[] = {"episode_length=10", NULL};
    const char *ov3[] = {"episode_length=10", "action_repeat=3", NULL};
    PrefrlInstance *one = env_test_make("walker_walk", 5, ov1),
                   *three = env_test_make("walker_walk", 5, ov3);
    ck_assert_int_eq(info_of(one).episode_length, 10);
    ck_assert_int_eq(info_of(three).episode_length, 4); /* 3 + 3 + 3 + 1 control steps */
    float obs1[24], obs3[24], act[6];
    env_test_reset(one, obs1);
    env_test_reset(three, obs3);
    ck_assert_int_eq(memcmp(obs1, obs3, sizeof obs1), 0);
    PrefrlRng rng;
    prefrl_rng_init(&rng, 9, "actions");
    int done1 = 0;
    for (int s = 0; s < 4; s++) {
        random_action(&rng, act, 6);
        PrefrlEnvStep o3 = step_ok(three, act, obs3);
        double sum = 0.0;
        for (int k = 0; k < 3 && !done1; k++) {
            PrefrlEnvStep o1 = step_ok(one, act, obs1);
            sum += o1.reward;
            done1 = o1.truncated;
        }
        ck_assert_double_eq_tol(o3.reward, sum, 1e-5);
        ck_assert_int_eq(memcmp(obs1, obs3, sizeof obs1), 0);
        ck_assert_int_eq(o3.truncated, s == 3);
        ck_assert_int_eq(o3.terminal, 0);
    }
    ck_assert(done1);
    /* the clock: 10 control steps of 25 ms */
    double qpos[9], qvel[9], time = 0.0;
    env_test_ops(three)->snapshot(three->self, qpos, qvel, &time);
    ck_assert_double_eq_tol(time, 0.25, 1e-12);
    for (int i = 0; i < 9; i++)
        ck_assert_float_eq(obs3[15 + i], (float)qvel[i]);
    /* stepping past the time limit is an error until the next reset */
    GError *err = NULL;
    PrefrlEnvStep out;
    ck_assert(!env_test_ops(three)->step(three->self, act, obs3, &out, &err));
    ck_assert_int_eq(err->code, PREFRL_ERROR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err->message, "call reset first"));
    g_clear_error(&err);
    env_test_reset(three, obs3);
    step_ok(three, act, obs3);
    prefrl_instance_free(one);
    prefrl_instance_free(three);

    /* with the limit lifted (the Q diagnostic's continuation) the episode
     * goes on: the same 4 steps as without (the last of 1 control step),
     * then whole repeats, truncated from the limit on; a reset restores it */
    PrefrlInstance *lifted = env_test_make("walker_walk", 5, ov3);
    PrefrlInstance *plain = env_test_make("walker_walk", 5, ov3);
    float ol[24], op[24];
    env_test_reset(lifted, ol);
    env_test_reset(plain, op);
    env_test_ops(lifted)->lift_time_limit(lifted->self);
    prefrl_rng_init(&rng, 10, "actions");
    for (int s = 0; s < 6; s++) {
        random_action(&rng, act, 6);
        PrefrlEnvStep sl = step_ok(lifted, act, ol);
        ck_assert_int_eq(sl.truncated, s >= 3);
        if (s < 4) {
            PrefrlEnvStep sp = step_ok(plain, act, op);
            ck_assert_int_eq(memcmp(ol, op, sizeof ol), 0);
            ck_assert_float_eq(sl.reward, sp.reward);
        }
    }
    env_test_ops(lifted)->snapshot(lifted->self, qpos, qvel, &time);
    ck_assert_double_eq_tol(time, (10 + 2 * 3) * 0.025, 1e-12);
    env_test_reset(lifted, ol);
    for (int s = 0; s < 4; s++)
        step_ok(lifted, act, ol);
    ck_assert(!env_test_ops(lifted)->step(lifted->self, act, ol, &out, &err));
    g_clear_error(&err);
    prefrl_instance_free(lifted);
    prefrl_instance_free(plain);
}
END_TEST

START_TEST(test_action_mapping)
{
    GError *err = NULL;
    mjModel *m = prefrl_mj_load_model(MODELS "quadruped.xml", &err);
    ck_assert_msg(m != NULL, "%s", err ? err->message : "");
    mjData *d = prefrl_mj_make_data(m, &err);
    float a[12];
    /* actuators per leg: yaw [-1, 1], lift [-1, 1.1], extend [-0.8, 0.8] */
    for (int i = 0; i < 12; i++)
        a[i] = 1.0f;
    ck_assert(prefrl_mj_set_action(m, d, a, &err));
    ck_assert_double_eq_tol(d->ctrl[0], 1.0, 1e-12);
    ck_assert_double_eq_tol(d->ctrl[1], 1.1, 1e-12);
    ck_assert_double_eq_tol(d->ctrl[2], 0.8, 1e-12);
    for (int i = 0; i < 12; i++)
        a[i] = (i % 3 == 1) ? 0.0f : -7.0f; /* lift at 0, the rest clipped to -1 */
    ck_assert(prefrl_mj_set_action(m, d, a, &err));
    ck_assert_double_eq_tol(d->ctrl[0], -1.0, 1e-12);
    ck_assert_double_eq_tol(d->ctrl[1], 0.05, 1e-12);
    ck_assert_double_eq_tol(d->ctrl[2], -0.8, 1e-12);
    /* a non-finite action is refused and ctrl left alone */
    a[4] = NAN;
    ck_assert(!prefrl_mj_set_action(m, d, a, &err));
    ck_assert_int_eq(err->code, PREFRL_ERROR_NUMERIC);
    ck_assert_str_eq(err->message, "action[4] is not finite (nan)");
    g_clear_error(&err);
    ck_assert_double_eq_tol(d->ctrl[0], -1.0, 1e-12);
    mj_deleteData(d);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_save_load)
{
    static const char *const names[] = {"quadruped_walk", "reacher_easy", "cheetah_run"};
    const char *task = names[_i];
    PrefrlInstance *a = env_test_make(task, 11, NULL), *b = env_test_make(task, 12, NULL);
    PrefrlEnvInfo info = info_of(a);
    float oa[128], ob[128], act[16];
    PrefrlRng rng;
    prefrl_rng_init(&rng, 2, "actions");
    env_test_reset(a, oa);
    for (int s = 0; s < 30; s++) {
        random_action(&rng, act, info.act_dim);
        step_ok(a, act, oa);
    }
    GError *err = NULL;
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "env.bin", NULL);
    char *bad = g_build_filename(dir, "bad.bin", NULL);
    ck_assert_msg(ckpt_test_save(a->component, a->self, path, &err), "%s",
                  err ? err->message : "");
    ck_assert_msg(ckpt_test_load(b->component, b->self, path, &err), "%s",
                  err ? err->message : "");
    /* loading then saving gives the same bytes (the warm start included) */
    ckpt_test_same_after_load(b->component, b->self, dir, path, task);
    PrefrlRng rng_b = rng;
    for (int s = 0; s < 30; s++) {
        random_action(&rng, act, info.act_dim);
        PrefrlEnvStep sa = step_ok(a, act, oa);
        random_action(&rng_b, act, info.act_dim);
        PrefrlEnvStep sb = step_ok(b, act, ob);
        ck_assert_int_eq(memcmp(oa, ob, sizeof(float) * info.obs_dim), 0);
        ck_assert_float_eq(sa.reward, sb.reward);
    }
    /* the initial-state stream came along: the next episodes match too */
    env_test_reset(a, oa);
    env_test_reset(b, ob);
    ck_assert_int_eq(memcmp(oa, ob, sizeof(float) * info.obs_dim), 0);

    /* a state of another task, another component's, a truncated or damaged
     * one, and garbage are refused naming the file, and leave b as it was */
    PrefrlInstance *other =
        env_test_make(strcmp(task, "cheetah_run") ? "cheetah_run" : "walker_walk", 1, NULL);
    ck_assert(ckpt_test_save(other->component, other->self, bad, &err));
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, task);
    PrefrlCkpt *k = prefrl_ckpt_open_write(bad, NULL);
    prefrl_ckpt_put_tag(k, "env/metaworld", 2);
    ck_assert(prefrl_ckpt_close(k, NULL));
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, "holds env/metaworld version 2 where env/dmc version 2");
    gsize size;
    char *bytes = ckpt_test_read(path, &size);
    ckpt_test_write(bad, bytes, size - 8);
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, "truncated");
    bytes[size / 2] ^= 0x04;
    ckpt_test_write(bad, bytes, size);
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, "checksum mismatch");
    ckpt_test_write(bad, "not a state", 11);
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, NULL);
    for (int s = 0; s < 5; s++) {
        random_action(&rng, act, info.act_dim);
        step_ok(a, act, oa);
        random_action(&rng_b, act, info.act_dim);
        step_ok(b, act, ob);
        ck_assert_int_eq(memcmp(oa, ob, sizeof(float) * info.obs_dim), 0);
    }
    g_free(bytes);
    g_free(bad);
    g_free(path);
    ckpt_test_rmdir(dir);
    prefrl_instance_free(other);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
}
END_TEST

/* ---- models and errors -------------------------------------------------- */

START_TEST(test_missing_names)
{
    const char *ov[] = {"model=" DATA "dmc_missing_names.xml", NULL};
    GError *err = make_env_error("walker_walk", ov);
    ck_assert_int_eq(err->code, PREFRL_ERROR_MUJOCO);
    ck_assert_str_eq(err->message,
                     "model dmc_missing_names.xml lacks body 'torso', body 'right_thigh', "
                     "body 'right_leg', body 'right_foot', body 'left_thigh', body 'left_leg', "
                     "body 'left_foot', sensor 'torso_subtreelinvel'");
    g_clear_error(&err);
    err = make_env_error("cheetah_run", ov);
    ck_assert_str_eq(err->message, "model dmc_missing_names.xml lacks joint 'rootx', "
                                   "sensor 'torso_subtreelinvel'");
    g_clear_error(&err);
    err = make_env_error("quadruped_run", ov);
    ck_assert_ptr_nonnull(strstr(err->message, "lacks body 'torso', joint 'root', sensor "
                                               "'imu_accel'"));
    ck_assert_ptr_nonnull(strstr(err->message, "sensor 'torque_toe_back_left'"));
    g_clear_error(&err);
    err = make_env_error("cartpole_swingup", ov);
    ck_assert_str_eq(err->message, "model dmc_missing_names.xml lacks joint 'slider', "
                                   "joint 'hinge_1', body 'pole_1', actuator 'slide'");
    g_clear_error(&err);
    err = make_env_error("reacher_easy", ov);
    ck_assert_str_eq(err->message,
                     "model dmc_missing_names.xml lacks geom 'target', geom 'finger'");
    g_clear_error(&err);
}
END_TEST

START_TEST(test_model_files)
{
    /* the bundled file by path behaves like the default */
    const char *ov[] = {"model=" MODELS "walker.xml", NULL};
    PrefrlInstance *a = env_test_make("walker_walk", 4, ov),
                   *b = env_test_make("walker_walk", 4, NULL);
    float oa[24], ob[24];
    env_test_reset(a, oa);
    env_test_reset(b, ob);
    ck_assert_int_eq(memcmp(oa, ob, sizeof oa), 0);
    prefrl_instance_free(a);
    prefrl_instance_free(b);

    const char *missing[] = {"model=/nonexistent/walker.xml", NULL};
    GError *err = make_env_error("walker_walk", missing);
    ck_assert_int_eq(err->code, PREFRL_ERROR_IO);
    ck_assert_str_eq(err->message, "model file '/nonexistent/walker.xml' not found");
    g_clear_error(&err);

    const char *bad[] = {"model=" DATA "dmc_malformed.xml", NULL};
    err = make_env_error("walker_walk", bad);
    ck_assert_int_eq(err->code, PREFRL_ERROR_MUJOCO);
    ck_assert_msg(g_str_has_prefix(err->message, "cannot load model '" DATA "dmc_malformed.xml': "
                                                 "XML parse error"), "%s", err->message);
    g_clear_error(&err);

    /* a timestep that does not divide the control timestep (25 ms) */
    char *dir = NULL;
    char *path = patched_model("walker.xml", "timestep=\"0.0025\"", "timestep=\"0.003\"", &dir);
    char *arg = g_strconcat("model=", path, NULL);
    const char *odd[] = {arg, NULL};
    err = make_env_error("walker_walk", odd);
    ck_assert_str_eq(err->message, "model walker.xml: timestep 0.003 s does not divide the "
                                   "task's control timestep 0.025 s");
    g_clear_error(&err);
    g_free(arg);
    remove_patched(path, dir);

    /* bundled models are found in the source tree (PREFRL_MODEL_PATH) */
    char *found = prefrl_mj_find_model("cheetah.xml", &err);
    ck_assert_ptr_nonnull(found);
    ck_assert(g_str_has_suffix(found, "/plugins/env/dmc/models/cheetah.xml"));
    g_free(found);
    ck_assert_ptr_null(prefrl_mj_find_model("nothing.xml", &err));
    ck_assert_int_eq(err->code, PREFRL_ERROR_IO);
    ck_assert(g_str_has_prefix(err->message, "bundled model 'nothing.xml' not found (looked in:"));
    g_clear_error(&err);
    ck_assert(prefrl_mj_check_version(&err));
}
END_TEST

START_TEST(test_mujoco_runtime_error)
{
    /* enough stack to compile the walker, not to simulate its contacts:
     * MuJoCo's mju_error becomes a GError instead of exit() */
    char *dir = NULL;
    char *path = patched_model("walker.xml", "<option ", "<size nstack=\"250\"/>\n  <option ",
                               &dir);
    char *arg = g_strconcat("model=", path, NULL);
    const char *ov[] = {arg, NULL};
    PrefrlInstance *inst = env_test_make("walker_walk", 1, ov);
    float obs[24], act[6] = {0};
    GError *err = NULL;
    PrefrlEnvStep out;
    gboolean failed = FALSE;
    for (int ep = 0; ep < 3 && !failed; ep++) {
        if (!env_test_ops(inst)->reset(inst->self, obs, &err))
            break;
        for (int s = 0; s < 1000 && !failed; s++)
            failed = !env_test_ops(inst)->step(inst->self, act, obs, &out, &err);
    }
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, PREFRL_ERROR_MUJOCO);
    ck_assert_msg(g_str_has_prefix(err->message, "MuJoCo error while ") &&
                      strstr(err->message, "Stack overflow"), "%s", err->message);
    g_clear_error(&err);
    if (failed) {
        /* the episode is over; a reset is needed */
        ck_assert(!env_test_ops(inst)->step(inst->self, act, obs, &out, &err));
        ck_assert_int_eq(err->code, PREFRL_ERROR_CONFIG);
        g_clear_error(&err);
    }
    prefrl_instance_free(inst);
    g_free(arg);
    remove_patched(path, dir);
}
END_TEST

START_TEST(test_divergence)
{
    const char *ov[] = {"model=" DATA "dmc_unstable_cartpole.xml", NULL};
    PrefrlInstance *inst = env_test_make("cartpole_swingup", 1, ov);
    float obs[5], act[1] = {1.0f};
    GError *err = NULL;
    PrefrlEnvStep out;
    env_test_reset(inst, obs);
    int s = 0;
    while (s < 100 && env_test_ops(inst)->step(inst->self, act, obs, &out, &err))
        s++;
    ck_assert_int_lt(s, 100);
    ck_assert_int_eq(err->code, PREFRL_ERROR_MUJOCO);
    ck_assert_ptr_nonnull(strstr(err->message, "simulation diverged"));
    g_clear_error(&err);
    ck_assert(!env_test_ops(inst)->step(inst->self, act, obs, &out, &err));
    g_clear_error(&err);
    prefrl_instance_free(inst);
}
END_TEST

static GString *captured;

static void capture_log(const char *domain, GLogLevelFlags level, const char *message,
                        gpointer data)
{
    g_string_append(captured, message);
}

START_TEST(test_guard)
{
    GError *err = NULL;
    mjModel *m = prefrl_mj_load_model(MODELS "cartpole.xml", &err);
    mjData *d = prefrl_mj_make_data(m, &err);
    ck_assert_ptr_nonnull(d);

    /* nested guards: the inner one catches, the outer stays in place */
    PrefrlMjGuard outer, inner;
    volatile int reached = 0;
    prefrl_mj_guard_push(&outer);
    if (setjmp(outer.jmp) != 0)
        ck_abort_msg("outer guard caught: %s", outer.message);
    prefrl_mj_guard_push(&inner);
    if (setjmp(inner.jmp) == 0) {
        mj_stackAlloc(d, 1 << 30); /* more than the stack: mju_error */
        reached = 1;
    }
    ck_assert_int_eq(reached, 0);
    ck_assert_msg(strlen(inner.message) > 0, "no message");
    ck_assert(!prefrl_mj_guard_fail(&inner, &err, "testing"));
    ck_assert_int_eq(err->code, PREFRL_ERROR_MUJOCO);
    ck_assert(g_str_has_prefix(err->message, "MuJoCo error while testing: "));
    g_clear_error(&err);
    prefrl_mj_guard_push(&inner);
    if (setjmp(inner.jmp) == 0)
        mju_error("boom");
    ck_assert_str_eq(inner.message, "boom");
    prefrl_mj_guard_pop(&outer);

    /* the data is usable after a reset */
    ck_assert(prefrl_mj_reset(m, d, &err));
    ck_assert(prefrl_mj_step(m, d, 5, TRUE, &err));
    ck_assert_double_eq_tol(d->time, 0.05, 1e-12);

    /* warnings go to GLib's log */
    captured = g_string_new(NULL);
    GLogFunc old = g_log_set_default_handler(capture_log, NULL);
    mju_warning("careful");
    g_log_set_default_handler(old, NULL);
    ck_assert_str_eq(captured->str, "MuJoCo: careful");
    g_string_free(captured, TRUE);

    mj_deleteData(d);
    mj_deleteModel(m);
}
END_TEST

START_TEST(test_lookup)
{
    GError *err = NULL;
    mjModel *m = prefrl_mj_load_model(MODELS "walker.xml", &err);
    int a = 99, b = 99, c = 99;
    PrefrlMjName ok[] = {{mjOBJ_JOINT, "rootz", &a}, {mjOBJ_ACTUATOR, "left_knee", &b}};
    ck_assert(prefrl_mj_lookup(m, "walker.xml", ok, 2, &err));
    ck_assert_int_eq(a, 0);
    ck_assert_int_eq(b, 4);
    PrefrlMjName bad[] = {{mjOBJ_JOINT, "rootz", &a}, {mjOBJ_SITE, "torso", &b},
                          {mjOBJ_TENDON, "spring", &c}};
    ck_assert(!prefrl_mj_lookup(m, "walker.xml", bad, 3, &err));
    ck_assert_str_eq(err->message, "model walker.xml lacks site 'torso', tendon 'spring'");
    ck_assert_int_eq(b, -1);
    g_clear_error(&err);
    mj_deleteModel(m);

    /* what the env told the benchmark about its physics */
    PrefrlInstance *inst = env_test_make("quadruped_walk", 1, NULL);
    char *path = NULL;
    int sub = 0;
    ck_assert(prefrl_mj_instance_physics(inst->self, &path, &sub));
    ck_assert(g_str_has_suffix(path, "quadruped.xml"));
    ck_assert_int_eq(sub, 4);
    g_free(path);
    void *self = inst->self;
    prefrl_instance_free(inst);
    ck_assert(!prefrl_mj_instance_physics(self, NULL, NULL));
}
END_TEST

START_TEST(test_tolerance)
{
    static const PrefrlSigmoid all[] = {
        PREFRL_SIGMOID_GAUSSIAN, PREFRL_SIGMOID_HYPERBOLIC, PREFRL_SIGMOID_LONG_TAIL,
        PREFRL_SIGMOID_RECIPROCAL, PREFRL_SIGMOID_COSINE, PREFRL_SIGMOID_LINEAR,
        PREFRL_SIGMOID_QUADRATIC, PREFRL_SIGMOID_TANH_SQUARED};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        /* 1 at the bound, value_at_margin one margin away, decreasing */
        ck_assert_double_eq_tol(prefrl_sigmoid(0.0, all[i], 0.1), 1.0, 1e-12);
        ck_assert_double_eq_tol(prefrl_sigmoid(1.0, all[i], 0.1), 0.1, 1e-12);
        ck_assert_double_eq_tol(prefrl_tolerance(2.5, 0, 1, 1.5, all[i], 0.1), 0.1, 1e-12);
        ck_assert_double_eq_tol(prefrl_tolerance(-1.5, 0, 1, 1.5, all[i], 0.1), 0.1, 1e-12);
        double prev = 1.0;
        for (double d = 0.1; d < 3.0; d += 0.1) {
            double v = prefrl_sigmoid(d, all[i], 0.1);
            ck_assert(v <= prev && v >= 0.0);
            prev = v;
        }
    }
    /* closed forms (docs/tasks.md, shared reward helpers) */
    ck_assert_double_eq_tol(prefrl_sigmoid(2.0, PREFRL_SIGMOID_GAUSSIAN, 0.1), 1e-4, 1e-15);
    ck_assert_double_eq_tol(prefrl_sigmoid(2.0, PREFRL_SIGMOID_LONG_TAIL, 0.1), 1.0 / 37.0, 1e-15);
    ck_assert_double_eq_tol(prefrl_sigmoid(0.5, PREFRL_SIGMOID_LINEAR, 0.0), 0.5, 1e-15);
    ck_assert_double_eq(prefrl_sigmoid(1.0, PREFRL_SIGMOID_LINEAR, 0.0), 0.0);
    ck_assert_double_eq(prefrl_sigmoid(5.0, PREFRL_SIGMOID_LINEAR, 0.5), 0.0);
    ck_assert_double_eq_tol(prefrl_sigmoid(0.5, PREFRL_SIGMOID_QUADRATIC, 0.0), 0.75, 1e-15);
    ck_assert_double_eq_tol(prefrl_sigmoid(0.5, PREFRL_SIGMOID_COSINE, 0.0), 0.5, 1e-15);
    ck_assert_double_eq(prefrl_sigmoid(1.5, PREFRL_SIGMOID_COSINE, 0.0), 0.0);
    ck_assert_double_eq_tol(prefrl_sigmoid(3.0, PREFRL_SIGMOID_RECIPROCAL, 0.5), 0.25, 1e-15);
    /* bounds, infinite bounds, zero margin */
    ck_assert_double_eq(prefrl_tolerance(3.0, 1.2, INFINITY, 0.6, PREFRL_SIGMOID_GAUSSIAN, 0.1),
                        1.0);
    ck_assert_double_eq(prefrl_tolerance(-1e9, -INFINITY, 0, 1, PREFRL_SIGMOID_LINEAR, 0), 1.0);
    ck_assert_double_eq(prefrl_tolerance(0.2, 0, 0.1, 0, PREFRL_SIGMOID_GAUSSIAN, 0.1), 0.0);
    ck_assert_double_eq(prefrl_tolerance(0.1, 0, 0.1, 0, PREFRL_SIGMOID_GAUSSIAN, 0.1), 1.0);
    /* walker move: clip(v / V, 0, 1) */
    for (double v = -2.0; v < 12.0; v += 0.37)
        ck_assert_double_eq_tol(prefrl_tolerance(v, 8, INFINITY, 4, PREFRL_SIGMOID_LINEAR, 0.5),
                                CLAMP(v / 8.0, 0.0, 1.0), 1e-12);
    /* Hamacher product */
    ck_assert_double_eq(prefrl_hamacher_product(0.3, 1.0), 0.3);
    ck_assert_double_eq(prefrl_hamacher_product(0.3, 0.0), 0.0);
    ck_assert_double_eq(prefrl_hamacher_product(0.0, 0.0), 0.0);
    ck_assert_double_eq_tol(prefrl_hamacher_product(0.5, 0.5), 1.0 / 3.0, 1e-15);
}
END_TEST

/* ---- the models' look is visual only ------------------------------------ */

/* Physics fingerprints of the bundled models (tests/common/mj_fingerprint.h),
 * recorded from the models before their look (materials, textures, lights,
 * cameras, skybox, <visual>) was added and unchanged since: a visual edit
 * must leave both.  A deliberate physical change updates the numbers (the
 * failure message prints the new ones), and the runs' outputs change too. */
static const struct {
    const char *file;
    uint64_t physics, trajectory;
    const char *cameras;
} looks[] = {
    {"walker.xml", UINT64_C(0x62ba32f007310160), UINT64_C(0x63f8d36ec9dcdd6f), "side back"},
    {"cheetah.xml", UINT64_C(0x4cc07000d384f924), UINT64_C(0xbdc9634e1f8e2eb8), "side back"},
    {"quadruped.xml", UINT64_C(0x9ef5741f251d17d8), UINT64_C(0xe188ce8164807235),
     "global x y egocentric"},
    {"cartpole.xml", UINT64_C(0x7208f207f421f077), UINT64_C(0x75b1e93215b54637),
     "fixed lookatcart"},
    {"reacher.xml", UINT64_C(0x9b18b52c00bbde76), UINT64_C(0xad1ed754290b8167), "fixed"},
};

START_TEST(test_visual_only)
{
    char *path;
    mjModel *m = rc_load_visual_model(looks[_i].file, looks[_i].physics, looks[_i].trajectory,
                                      &path);
    /* the suite's look: skybox, checker floor material, the task's cameras */
    ck_assert_int_ge(mj_name2id(m, mjOBJ_TEXTURE, "skybox"), 0);
    ck_assert_int_ge(mj_name2id(m, mjOBJ_MATERIAL, "grid"), 0);
    ck_assert_int_ge(mj_name2id(m, mjOBJ_MATERIAL, "self"), 0);
    char **cams = g_strsplit(looks[_i].cameras, " ", -1);
    for (char **c = cams; *c; c++)
        ck_assert_msg(mj_name2id(m, mjOBJ_CAMERA, *c) >= 0, "%s: no camera %s", path, *c);
    g_strfreev(cams);
    mj_deleteModel(m);
    g_free(path);
}
END_TEST

/* rendering (tests/plugins/env/render_checks.h) */
START_TEST(test_render)
{
    rc_check_task(tasks[_i].name, NULL);
}
END_TEST

static Suite *env_dmc_suite(void)
{
    Suite *s = suite_create("env_dmc");
    TCase *tc = tcase_create("tasks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_dims, 0, G_N_ELEMENTS(tasks));
    tcase_add_loop_test(tc, test_determinism, 0, G_N_ELEMENTS(tasks));
    tcase_add_loop_test(tc, test_random_returns, 0, G_N_ELEMENTS(tasks));
    suite_add_tcase(s, tc);

    tc = tcase_create("rewards");
    tcase_add_test(tc, test_walker_rewards);
    tcase_add_test(tc, test_cheetah_rewards);
    tcase_add_test(tc, test_quadruped_rewards);
    tcase_add_test(tc, test_cartpole_rewards);
    tcase_add_test(tc, test_reacher_rewards);
    tcase_add_test(tc, test_tolerance);
    suite_add_tcase(s, tc);

    tc = tcase_create("stepping");
    tcase_add_loop_test(tc, test_legacy_step, 0, 5);
    tcase_add_test(tc, test_time_limit_and_repeat);
    tcase_add_test(tc, test_action_mapping);
    tcase_add_loop_test(tc, test_save_load, 0, 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_missing_names);
    tcase_add_test(tc, test_model_files);
    tcase_add_test(tc, test_mujoco_runtime_error);
    tcase_add_test(tc, test_divergence);
    tcase_add_test(tc, test_guard);
    tcase_add_test(tc, test_lookup);
    suite_add_tcase(s, tc);

    tc = tcase_create("look");
    tcase_add_loop_test(tc, test_visual_only, 0, G_N_ELEMENTS(looks));
    suite_add_tcase(s, tc);
    tc = tcase_create("render");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_render, 0, G_N_ELEMENTS(tasks));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(env_dmc_suite());
    return failed ? 1 : 0;
}
