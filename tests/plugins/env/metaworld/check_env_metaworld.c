/* Tests of the Meta-world env plugin (plugins/env/metaworld).
 *
 * Environments under test are created through the registry from the built
 * plugin, as a run would.  Tests that put an object or joint at a chosen
 * state use the plugin's internal interface (mw_env.h, compiled into this
 * program) on an environment of their own. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <glib/gstdio.h>

#include <prefrl/mjenv.h>
#include <prefrl/plugin.h>

#include "host/registry.h"
#include "ckpt_test.h"
#include "env_test.h"
#include "mj_fingerprint.h"
#include "mw_env.h"
#include "../render_checks.h"
#include "check_run.h"

static const char *const task_names[] = {"door-open",  "button-press", "drawer-open",
                                         "window-open", "sweep-into",  "hammer"};
#define N_TASKS 6

/* a deterministic action sequence in [-1.2, 1.2] (exercises clipping) */
static void pseudo_action(PrefrlRng *rng, float *act)
{
    for (int i = 0; i < 4; i++)
        act[i] = (float)prefrl_rng_range(rng, -1.2, 1.2);
}

/* an internal env with the plugin's defaults */
static MwEnv *make_internal(const char *name, uint64_t seed)
{
    MwOptions opt = {.model = NULL, .episode_length = 500, .action_repeat = 1,
                     .frame_skip = 5, .observe_goal = FALSE};
    PrefrlRng rng;
    prefrl_rng_init(&rng, seed, "env");
    GError *err = NULL;
    MwEnv *env = mw_env_new(mw_task_find(name), &opt, &rng, &err);
    ck_assert_msg(env != NULL, "%s: %s", name, err ? err->message : "?");
    float obs[MW_OBS_DIM];
    ck_assert(mw_env_reset(env, obs, &err));
    return env;
}

/* ------------------------------------------------------------------------ */
/* components and dimensions */

START_TEST(test_components)
{
    PrefrlRegistry *reg = prefrl_registry_default();
    for (int i = 0; i < N_TASKS; i++) {
        char *alias = g_strdup_printf("%s-v2", task_names[i]);
        const char *names[2] = {task_names[i], alias};
        for (int k = 0; k < 2; k++) {
            GError *err = NULL;
            const PrefrlComponent *c = prefrl_registry_find(reg, PREFRL_KIND_ENV, names[k], &err);
            ck_assert_msg(c != NULL, "%s: %s", names[k], err ? err->message : "?");
            ck_assert_ptr_nonnull(c->ops);
            /* the schema documents every key and leaves "task" to the core */
            for (const PrefrlParamSpec *s = c->params; s->key; s++) {
                ck_assert_str_ne(s->key, "task");
                ck_assert_ptr_nonnull(s->doc);
            }
            PrefrlInstance *inst = env_test_make(names[k], 1, NULL);
            PrefrlEnvInfo info;
            env_test_ops(inst)->info(inst->self, &info);
            ck_assert_int_eq(info.obs_dim, 39);
            ck_assert_int_eq(info.act_dim, 4);
            ck_assert_int_eq(info.episode_length, 500);
            ck_assert_int_eq(info.has_success, 1);
            ck_assert_int_gt(info.nq, 0);
            ck_assert_int_gt(info.nv, 0);
            ck_assert_ptr_nonnull(env_test_ops(inst)->snapshot);
            prefrl_instance_free(inst);
        }
        g_free(alias);
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* determinism and per-reset randomisation */

static void run_sequence(const char *name, uint64_t seed, int steps, float *obs_out,
                         float *rew_out)
{
    PrefrlInstance *inst = env_test_make(name, seed, NULL);
    PrefrlRng arng;
    prefrl_rng_init(&arng, 99, "actions");
    float obs[39], act[4];
    PrefrlEnvStep st;
    env_test_reset(inst, obs);
    memcpy(obs_out, obs, sizeof obs);
    for (int t = 0; t < steps; t++) {
        pseudo_action(&arng, act);
        env_test_step(inst, act, obs, &st);
        memcpy(obs_out + 39 * (t + 1), obs, sizeof obs);
        rew_out[t] = st.reward;
    }
    prefrl_instance_free(inst);
}

START_TEST(test_determinism)
{
    const char *name = task_names[_i];
    enum { STEPS = 40 };
    float a[39 * (STEPS + 1)], b[39 * (STEPS + 1)], c[39 * (STEPS + 1)];
    float ra[STEPS], rb[STEPS], rc[STEPS];
    run_sequence(name, 7, STEPS, a, ra);
    run_sequence(name, 7, STEPS, b, rb);
    run_sequence(name, 8, STEPS, c, rc);
    ck_assert_msg(memcmp(a, b, sizeof a) == 0, "%s: same seed, different observations", name);
    ck_assert_msg(memcmp(ra, rb, sizeof ra) == 0, "%s: same seed, different rewards", name);
    /* another seed places the object elsewhere */
    ck_assert_msg(memcmp(a + 4, c + 4, 3 * sizeof(float)) != 0,
                  "%s: seeds 7 and 8 place the object identically", name);
}
END_TEST

/* placement ranges of the original (docs/tasks.md), over many resets */
START_TEST(test_randomisation)
{
    static const struct {
        const char *name;
        double lo[3], hi[3];
    } ranges[] = {
        {"door-open", {0.0, 0.85, 0.15}, {0.1, 0.95, 0.15}},
        {"button-press", {-0.1, 0.85, 0.115}, {0.1, 0.9, 0.115}},
        {"drawer-open", {-0.1, 0.9, 0.0}, {0.1, 0.9, 0.0}},
        {"window-open", {-0.1, 0.7, 0.16}, {0.1, 0.9, 0.16}},
        {"sweep-into", {-0.1, 0.6, 0.0}, {0.1, 0.7, 0.1}},
        {"hammer", {-0.1, 0.4, 0.0}, {0.1, 0.5, 0.0}},
    };
    const int n = 12;
    for (size_t r = 0; r < G_N_ELEMENTS(ranges); r++) {
        MwEnv *env = make_internal(ranges[r].name, 3);
        double first[3], spread[3] = {0, 0, 0};
        memcpy(first, env->obj_init, sizeof first);
        for (int e = 0; e < n; e++) {
            float obs[39];
            GError *err = NULL;
            ck_assert(mw_env_reset(env, obs, &err));
            for (int k = 0; k < 3; k++) {
                ck_assert_msg(env->obj_init[k] >= ranges[r].lo[k] - 1e-12 &&
                              env->obj_init[k] <= ranges[r].hi[k] + 1e-12,
                              "%s: placement[%d] = %g outside [%g, %g]", ranges[r].name, k,
                              env->obj_init[k], ranges[r].lo[k], ranges[r].hi[k]);
                spread[k] = fmax(spread[k], fabs(env->obj_init[k] - first[k]));
            }
            if (!strcmp(ranges[r].name, "sweep-into"))
                ck_assert(hypot(env->obj_init[0], env->obj_init[1] - 0.84) >= 0.15);
        }
        /* every reset draws anew along the randomised axes */
        ck_assert_msg(spread[0] > 0.02, "%s: x never re-drawn", ranges[r].name);
        mw_env_free(env);
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* observation layout */

START_TEST(test_obs_layout)
{
    const char *name = task_names[_i];
    const char *const goal_on[] = {"observe_goal=true", NULL};
    PrefrlInstance *inst = env_test_make(name, 5, NULL);
    PrefrlInstance *ginst = env_test_make(name, 5, goal_on);
    float obs[39], prev[39], gobs[39], act[4] = {0.3f, -0.2f, 0.1f, 0.5f};
    PrefrlEnvStep st;
    env_test_reset(inst, obs);
    env_test_reset(ginst, gobs);
    /* stacked half = current half at reset; gripper open; goal hidden */
    for (int i = 0; i < 18; i++)
        ck_assert_float_eq(obs[18 + i], obs[i]);
    ck_assert_float_eq_tol(obs[3], 1.0f, 1e-3f);
    for (int i = 36; i < 39; i++)
        ck_assert_float_eq(obs[i], 0.0f);
    /* with observe_goal the same state shows the goal */
    ck_assert(memcmp(obs, gobs, 36 * sizeof(float)) == 0);
    ck_assert_float_ne(gobs[37], 0.0f);
    /* the hand starts near hand_init (x = 0, z = 0.2) */
    ck_assert_float_eq_tol(obs[0], 0.0f, 0.01f);
    ck_assert_float_eq_tol(obs[2], 0.2f, 0.01f);
    for (int t = 0; t < 3; t++) {
        memcpy(prev, obs, sizeof obs);
        env_test_step(inst, act, obs, &st);
        for (int i = 0; i < 18; i++)
            ck_assert_float_eq(obs[18 + i], prev[i]);
        for (int i = 0; i < 39; i++)
            ck_assert(isfinite(obs[i]));
    }
    /* per-task object blocks */
    if (!strcmp(name, "hammer")) {
        /* the nail: (0.24, 0.64, 0.11), identity orientation */
        ck_assert_float_eq_tol(obs[11], 0.24f, 1e-4f);
        ck_assert_float_eq_tol(obs[12], 0.64f, 1e-3f);
        ck_assert_float_eq_tol(obs[13], 0.11f, 1e-4f);
        ck_assert_float_eq_tol(obs[14], 1.0f, 1e-6f);
    } else {
        for (int i = 11; i < 18; i++)
            ck_assert_float_eq(obs[i], 0.0f);
    }
    if (!strcmp(name, "window-open"))
        for (int i = 7; i < 11; i++)
            ck_assert_float_eq(obs[i], 0.0f);
    else {
        double qn = 0;
        for (int i = 7; i < 11; i++)
            qn += (double)obs[i] * obs[i];
        ck_assert_msg(fabs(qn - 1.0) < 1e-4, "%s: object quaternion not unit", name);
    }
    /* the door handle reports (x, y, z, w) of the mesh-centroid frame */
    if (!strcmp(name, "door-open")) {
        ck_assert_float_eq_tol(obs[7], 0.6908f, 2e-3f);
        ck_assert_float_eq_tol(obs[10], 0.1512f, 2e-3f);
    }
    prefrl_instance_free(inst);
    prefrl_instance_free(ginst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* success criteria with states set by hand */

static MwEval eval_joint(MwEnv *env, double q)
{
    env->d->qpos[env->joint_qadr] = q;
    MwEval ev;
    GError *err = NULL;
    ck_assert(mw_env_evaluate(env, 0.0, &ev, &err));
    ck_assert(isfinite(ev.reward) && ev.reward >= 0.0 && ev.reward <= 10.0);
    return ev;
}

START_TEST(test_success_door)
{
    MwEnv *env = make_internal("door-open", 11);
    /* success window ~[-1.81, -1.39] rad: the handle x within 8 cm of target */
    ck_assert(!eval_joint(env, 0.0).success);
    ck_assert(!eval_joint(env, -1.2).success);
    MwEval ev = eval_joint(env, -1.6);
    ck_assert(ev.success);
    ck_assert_double_eq(ev.reward, 10.0);
    ck_assert(!eval_joint(env, -2.0).success);
    /* the opening term alone (hand far away): 0.8 full credit past 1.594 rad */
    ev = eval_joint(env, -1.0);
    ck_assert_double_eq_tol(ev.in_place_reward,
                            0.2 + 0.8 / (9.0 * pow((2 * M_PI / 3 - 1.0 - 0.5) / (M_PI / 3), 2) + 1),
                            1e-12);
    mw_env_free(env);
}
END_TEST

START_TEST(test_success_button)
{
    MwEnv *env = make_internal("button-press", 12);
    ck_assert(!eval_joint(env, 0.0).success);
    /* the nominal -0.06 stop is not enough: success needs q <= -0.073 */
    ck_assert(!eval_joint(env, -0.06).success);
    ck_assert(eval_joint(env, -0.08).success);
    ck_assert_double_eq_tol(eval_joint(env, -0.08).obj_to_target, 0.013, 1e-9);
    mw_env_free(env);
}
END_TEST

START_TEST(test_success_drawer)
{
    MwEnv *env = make_internal("drawer-open", 13);
    ck_assert(!eval_joint(env, 0.0).success);
    ck_assert(!eval_joint(env, -0.12).success);
    MwEval ev = eval_joint(env, -0.18);
    ck_assert(ev.success);
    ck_assert_double_eq_tol(ev.obj_to_target, 0.01, 1e-9);
    mw_env_free(env);
}
END_TEST

START_TEST(test_success_window)
{
    MwEnv *env = make_internal("window-open", 14);
    ck_assert(!eval_joint(env, 0.0).success);
    ck_assert(!eval_joint(env, 0.15).success);
    ck_assert(eval_joint(env, 0.2).success);
    mw_env_free(env);
}
END_TEST

START_TEST(test_success_sweep)
{
    MwEnv *env = make_internal("sweep-into", 15);
    MwEval ev;
    GError *err = NULL;
    ck_assert(mw_env_evaluate(env, 0.0, &ev, &err));
    ck_assert(!ev.success);
    ck_assert(ev.reward < 10.0);
    /* in the pocket, and hovering over it (only horizontal distance counts) */
    const double heights[2] = {0.02, 0.3};
    for (int i = 0; i < 2; i++) {
        double *q = env->d->qpos + env->free_qadr;
        q[0] = 0.03;
        q[1] = 0.84;
        q[2] = heights[i];
        ck_assert(mw_env_evaluate(env, 0.0, &ev, &err));
        ck_assert(ev.success);
        ck_assert_double_eq(ev.reward, 10.0);
    }
    env->d->qpos[env->free_qadr] = 0.06;
    ck_assert(mw_env_evaluate(env, 0.0, &ev, &err));
    ck_assert(!ev.success);
    mw_env_free(env);
}
END_TEST

START_TEST(test_success_hammer)
{
    MwEnv *env = make_internal("hammer", 16);
    ck_assert(!eval_joint(env, 0.0).success);
    ck_assert(!eval_joint(env, 0.09).success); /* strictly greater than 0.09 */
    ck_assert(eval_joint(env, 0.095).success);
    mw_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* rewards under random actions */

START_TEST(test_reward_range)
{
    const char *name = task_names[_i];
    PrefrlInstance *inst = env_test_make(name, 21, NULL);
    PrefrlRng arng;
    prefrl_rng_init(&arng, 21, "actions");
    float obs[39], act[4];
    double lo = INFINITY, hi = -INFINITY;
    for (int e = 0; e < 2; e++) {
        env_test_reset(inst, obs);
        /* [-1.2, 1.2] exercises the clipping */
        env_test_random_steps(inst, &arng, 150, 1.2, act, 4, obs, 39, 0.0, 10.0, &lo, &hi);
    }
    /* the shaping varies with the state */
    ck_assert_msg(hi > lo, "%s: constant reward %g", name, lo);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* scripted controllers on the observation (with observe_goal): move to the
 * handle or object, grasp or push, move to the goal */

typedef struct {
    int phase, count;
} Script;

static double clip1(double x)
{
    return x < -1.0 ? -1.0 : (x > 1.0 ? 1.0 : x);
}

static double dist_xy(const float *hand, const double *p)
{
    return hypot(hand[0] - p[0], hand[1] - p[1]);
}

static void script_action(const char *task, Script *s, const float *obs, float *act)
{
    const float *hand = obs, *obj = obs + 4, *goal = obs + 36;
    double to[3] = {hand[0], hand[1], hand[2]};
    double gain = 10.0, grip = 0.0;
    if (!strcmp(task, "door-open")) {
        /* hook the closed claws behind the grip bar, then pull along the arc
         * about the hinge (hinge = door + (-0.185, -0.1), door = goal + (0.3, 0.45)) */
        double hinge[2] = {goal[0] + 0.3 - 0.185, goal[1] + 0.45 - 0.1};
        double hook[3] = {obj[0] + 0.01, obj[1] + 0.02, obj[2]};
        grip = 1.0;
        if (s->phase == 0) {
            to[0] = hook[0], to[1] = hook[1], to[2] = hook[2] + 0.2;
            if (dist_xy(hand, hook) < 0.02)
                s->phase = 1;
        }
        if (s->phase == 1) {
            memcpy(to, hook, sizeof to);
            if (fabs(hand[2] - hook[2]) < 0.02)
                s->phase = 2;
        }
        if (s->phase == 2) {
            double rx = obj[0] - hinge[0], ry = obj[1] - hinge[1], n = hypot(rx, ry);
            to[0] = hook[0] + 0.08 * ry / n;
            to[1] = hook[1] - 0.08 * rx / n;
            to[2] = hook[2];
        }
    } else if (!strcmp(task, "button-press")) {
        /* line up in x and z (the gripper base meets the cap), then push +y */
        double z = fmax(obj[2] - 0.07, 0.05);
        to[0] = obj[0];
        to[2] = z;
        if (s->phase == 0 && hypot(hand[0] - obj[0], hand[2] - z) < 0.02)
            s->phase = 1;
        if (s->phase == 1)
            to[1] = obj[1] + 0.2;
    } else if (!strcmp(task, "drawer-open")) {
        /* drop the open claws astride the handle bar, pull toward the robot */
        double h[3] = {obj[0], obj[1], obj[2] - 0.02};
        grip = -1.0;
        if (s->phase == 0) {
            to[0] = h[0], to[1] = h[1], to[2] = h[2] + 0.3;
            if (dist_xy(hand, h) < 0.02)
                s->phase = 1;
        }
        if (s->phase == 1) {
            memcpy(to, h, sizeof to);
            if (fabs(hand[2] - h[2]) < 0.02)
                s->phase = 2;
        }
        if (s->phase == 2) {
            to[0] = h[0], to[1] = h[1] - 0.06, to[2] = h[2];
            gain = 50.0;
        }
    } else if (!strcmp(task, "window-open")) {
        /* gripper base beside the vertical grip, then push it along +x */
        double w[3] = {obj[0] - 0.03, obj[1] - 0.03, obj[2] - 0.08};
        grip = 1.0;
        if (s->phase == 0) {
            to[0] = w[0], to[1] = w[1], to[2] = w[2] + 0.25;
            if (dist_xy(hand, w) < 0.02)
                s->phase = 1;
        }
        if (s->phase == 1) {
            memcpy(to, w, sizeof to);
            if (fabs(hand[2] - w[2]) < 0.02)
                s->phase = 2;
        }
        if (s->phase == 2)
            to[0] = w[0] + 0.1, to[1] = w[1], to[2] = w[2];
    } else if (!strcmp(task, "sweep-into")) {
        /* grasp the block and carry it over the pocket */
        double c[3] = {obj[0], obj[1], obj[2] + 0.03};
        grip = -1.0;
        if (s->phase == 0) {
            to[0] = c[0], to[1] = c[1], to[2] = c[2] + 0.15;
            if (dist_xy(hand, c) < 0.01)
                s->phase = 1;
        }
        if (s->phase == 1) {
            memcpy(to, c, sizeof to);
            if (fabs(hand[2] - c[2]) < 0.01)
                s->phase = 2;
        }
        if (s->phase == 2) {
            grip = 1.0;
            if (++s->count < 12)
                memcpy(to, c, sizeof to);
            else
                to[0] = goal[0], to[1] = goal[1], to[2] = 0.12;
        }
    } else if (!strcmp(task, "hammer")) {
        /* grasp the handle 4 cm behind the hammer's origin, lift, bring the
         * head level with the nail, drive it to the goal */
        const float *nail = obs + 11;
        double g[3] = {obj[0] - 0.04, obj[1], obj[2] + 0.03};
        grip = -1.0;
        if (s->phase == 0) {
            to[0] = g[0], to[1] = g[1], to[2] = g[2] + 0.1;
            if (dist_xy(hand, g) < 0.01)
                s->phase = 1;
        }
        if (s->phase == 1) {
            memcpy(to, g, sizeof to);
            if (fabs(hand[2] - fmax(g[2], 0.05)) < 0.01)
                s->phase = 2;
        }
        if (s->phase == 2) {
            double hx = hand[0] + (nail[0] - (obj[0] + 0.16));
            double hz = hand[2] + (nail[2] - obj[2]);
            grip = 1.0;
            s->count++;
            if (s->count < 12)
                memcpy(to, g, sizeof to);
            else if (s->count < 27)
                to[2] = 0.2;
            else if (hypot(hand[0] - hx, hand[2] - hz) > 0.02 && obj[1] + 0.08 < nail[1])
                to[0] = hx, to[2] = hz;
            else
                to[0] = hx, to[1] = goal[1] - 0.03, to[2] = hz;
        }
    }
    for (int k = 0; k < 3; k++)
        act[k] = (float)clip1(gain * (to[k] - hand[k]));
    act[3] = (float)grip;
}

START_TEST(test_scripted_success)
{
    const char *name = task_names[_i];
    const char *const goal_on[] = {"observe_goal=true", NULL};
    /* PREFRL_MW_EPISODES=N runs more episodes (for the README's figures) */
    const char *n_env = g_getenv("PREFRL_MW_EPISODES");
    int episodes = n_env ? atoi(n_env) : 3;
    PrefrlInstance *inst = env_test_make(name, 31, goal_on);
    float obs[39], act[4];
    PrefrlEnvStep st;
    GString *report = g_string_new(NULL);
    for (int e = 0; e < episodes; e++) {
        env_test_reset(inst, obs);
        Script s = {0, 0};
        int first = -1;
        double ret = 0.0;
        for (int t = 0; t < 500 && first < 0; t++) {
            script_action(name, &s, obs, act);
            env_test_step(inst, act, obs, &st);
            ret += st.reward;
            if (st.success)
                first = t + 1;
        }
        ck_assert_msg(first > 0, "%s episode %d: no success in 500 steps (phase %d)", name, e,
                      s.phase);
        ck_assert(ret > 0.0);
        g_string_append_printf(report, " %d", first);
    }
    printf("scripted %s: first success at step%s\n", name, report->str);
    g_string_free(report, TRUE);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* step semantics */

START_TEST(test_action_repeat)
{
    /* one step with action_repeat 2 = two steps with 1 (rewards summed) */
    const char *const rep2[] = {"action_repeat=2", NULL};
    PrefrlInstance *a = env_test_make("drawer-open", 41, NULL),
                   *b = env_test_make("drawer-open", 41, rep2);
    PrefrlEnvInfo info;
    env_test_ops(b)->info(b->self, &info);
    ck_assert_int_eq(info.episode_length, 250);
    float oa[39], ob[39], act[4];
    PrefrlEnvStep sa1, sa2, sb;
    PrefrlRng arng;
    prefrl_rng_init(&arng, 41, "actions");
    env_test_reset(a, oa);
    env_test_reset(b, ob);
    for (int t = 0; t < 20; t++) {
        pseudo_action(&arng, act);
        env_test_step(a, act, oa, &sa1);
        env_test_step(a, act, oa, &sa2);
        env_test_step(b, act, ob, &sb);
        ck_assert(memcmp(oa, ob, sizeof oa) == 0);
        ck_assert_float_eq_tol(sb.reward, sa1.reward + sa2.reward, 1e-5f);
    }
    prefrl_instance_free(a);
    prefrl_instance_free(b);
}
END_TEST

START_TEST(test_time_limit_and_errors)
{
    const char *const short_ep[] = {"episode_length=3", NULL};
    PrefrlInstance *inst = env_test_make("button-press", 51, short_ep);
    float obs[39], act[4] = {0, 0, 0, 0};
    PrefrlEnvStep st;
    GError *err = NULL;
    /* no episode yet */
    ck_assert(!env_test_ops(inst)->step(inst->self, act, obs, &st, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    g_clear_error(&err);
    env_test_reset(inst, obs);
    for (int t = 0; t < 3; t++) {
        env_test_step(inst, act, obs, &st);
        ck_assert_int_eq(st.truncated, t == 2);
        ck_assert_int_eq(st.terminal, 0);
    }
    ck_assert(!env_test_ops(inst)->step(inst->self, act, obs, &st, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    ck_assert_ptr_nonnull(strstr(err->message, "time limit"));
    g_clear_error(&err);
    /* with the limit lifted (the Q diagnostic's continuation) the episode
     * goes on, truncated from the limit on, until the next reset */
    env_test_reset(inst, obs);
    env_test_ops(inst)->lift_time_limit(inst->self);
    for (int t = 0; t < 6; t++) {
        env_test_step(inst, act, obs, &st);
        ck_assert_int_eq(st.truncated, t >= 2);
    }
    env_test_reset(inst, obs);
    for (int t = 0; t < 3; t++)
        env_test_step(inst, act, obs, &st);
    ck_assert(!env_test_ops(inst)->step(inst->self, act, obs, &st, &err));
    g_clear_error(&err);
    /* a non-finite action is refused */
    env_test_reset(inst, obs);
    act[1] = NAN;
    ck_assert(!env_test_ops(inst)->step(inst->self, act, obs, &st, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_NUMERIC));
    ck_assert_ptr_nonnull(strstr(err->message, "action[1]"));
    g_clear_error(&err);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_clipping_and_mocap_box)
{
    /* actions beyond [-1, 1] act as +-1; the mocap stays in its box */
    PrefrlInstance *a = env_test_make("window-open", 61, NULL),
                   *b = env_test_make("window-open", 61, NULL);
    float oa[39], ob[39], act1[4] = {1, 1, 1, 1}, act5[4] = {5, 5, 5, 5};
    PrefrlEnvStep st;
    env_test_reset(a, oa);
    env_test_reset(b, ob);
    for (int t = 0; t < 80; t++) {
        env_test_step(a, act1, oa, &st);
        env_test_step(b, act5, ob, &st);
    }
    ck_assert(memcmp(oa, ob, sizeof oa) == 0);
    /* mocap box: x <= 0.5, y <= 1.0, z <= 0.5 (the hand hangs near it) */
    ck_assert_float_le(oa[0], 0.51f);
    ck_assert_float_le(oa[1], 1.0f);
    ck_assert_float_le(oa[2], 0.51f);
    ck_assert_float_ge(oa[2], 0.45f);
    /* 1 cm of mocap travel per step: from z 0.2 the top is reached in ~30 steps */
    prefrl_instance_free(a);
    prefrl_instance_free(b);
}
END_TEST

START_TEST(test_save_load)
{
    const char *name = task_names[_i];
    PrefrlInstance *a = env_test_make(name, 71, NULL), *b = env_test_make(name, 72, NULL);
    PrefrlRng arng;
    prefrl_rng_init(&arng, 71, "actions");
    float oa[39], ob[39], act[4];
    PrefrlEnvStep sa, sb;
    env_test_reset(a, oa);
    env_test_reset(b, ob);
    for (int t = 0; t < 25; t++) {
        pseudo_action(&arng, act);
        env_test_step(a, act, oa, &sa);
    }
    GError *err = NULL;
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "env.bin", NULL);
    char *bad = g_build_filename(dir, "bad.bin", NULL);
    ck_assert_msg(ckpt_test_save(a->component, a->self, path, &err), "%s",
                  err ? err->message : "?");
    ck_assert_msg(ckpt_test_load(b->component, b->self, path, &err), "%s",
                  err ? err->message : "?");
    /* loading then saving gives the same bytes (the warm start included) */
    ckpt_test_same_after_load(b->component, b->self, dir, path, name);
    /* both continue identically, across an episode boundary */
    for (int t = 0; t < 500; t++) {
        pseudo_action(&arng, act);
        env_test_step(a, act, oa, &sa);
        env_test_step(b, act, ob, &sb);
        ck_assert_msg(memcmp(oa, ob, sizeof oa) == 0, "%s: diverged at step %d", name, t);
        ck_assert(sa.reward == sb.reward && sa.success == sb.success);
        if (sa.truncated) {
            ck_assert(sb.truncated);
            env_test_reset(a, oa);
            env_test_reset(b, ob);
            ck_assert(memcmp(oa, ob, sizeof oa) == 0);
        }
    }
    /* a state of another task, another component's, a truncated or damaged
     * one are refused naming the file, and leave b as it was */
    PrefrlInstance *other = env_test_make(strcmp(name, "hammer") ? "hammer" : "door-open", 1, NULL);
    ck_assert(ckpt_test_save(other->component, other->self, bad, &err));
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, name);
    PrefrlCkpt *k = prefrl_ckpt_open_write(bad, NULL);
    prefrl_ckpt_put_tag(k, "env/dmc", 2);
    ck_assert(prefrl_ckpt_close(k, NULL));
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, "holds env/dmc version 2 where env/metaworld version 2");
    gsize size;
    char *bytes = ckpt_test_read(path, &size);
    ckpt_test_write(bad, bytes, size / 3);
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, "truncated");
    bytes[size - 40] ^= 0x01;
    ckpt_test_write(bad, bytes, size);
    ck_assert(!ckpt_test_load(b->component, b->self, bad, &err));
    ckpt_test_refused(&err, bad, "checksum mismatch");
    for (int t = 0; t < 5; t++) {
        pseudo_action(&arng, act);
        env_test_step(a, act, oa, &sa);
        env_test_step(b, act, ob, &sb);
        ck_assert(memcmp(oa, ob, sizeof oa) == 0);
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

START_TEST(test_snapshot)
{
    PrefrlInstance *inst = env_test_make("hammer", 81, NULL);
    PrefrlEnvInfo info;
    env_test_ops(inst)->info(inst->self, &info);
    double *qpos = g_new(double, info.nq), *qvel = g_new(double, info.nv), t0, t1;
    float obs[39], act[4] = {0, 0, 0, 0};
    PrefrlEnvStep st;
    env_test_reset(inst, obs);
    env_test_ops(inst)->snapshot(inst->self, qpos, qvel, &t0);
    env_test_step(inst, act, obs, &st);
    env_test_ops(inst)->snapshot(inst->self, qpos, qvel, &t1);
    /* frame skip 5 at 2.5 ms */
    ck_assert_double_eq_tol(t1 - t0, 5 * 0.0025, 1e-12);
    /* the hammer's free joint sits after the hand's (7) and the claws (2) */
    ck_assert_double_eq_tol(qpos[9], obs[4], 1e-6);
    ck_assert_double_eq_tol(qpos[10], obs[5], 1e-6);
    g_free(qpos);
    g_free(qvel);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* models and parameters */

START_TEST(test_model_errors)
{
    GError *err = NULL;
    const char *const missing[] = {"model=/nonexistent/metaworld.xml", NULL};
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_ENV,
                                               "door-open", missing, 1, NULL, &err);
    ck_assert_ptr_null(inst);
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_IO));
    g_clear_error(&err);
    /* another task's model lacks the door's names: all are listed */
    char *path = prefrl_mj_find_model("metaworld_drawer_open.xml", &err);
    ck_assert_ptr_nonnull(path);
    char *override = g_strdup_printf("model=%s", path);
    const char *const wrong[] = {override, NULL};
    inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_ENV, "door-open", wrong, 1,
                               NULL, &err);
    ck_assert_ptr_null(inst);
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_MUJOCO));
    ck_assert_ptr_nonnull(strstr(err->message, "body 'door'"));
    ck_assert_ptr_nonnull(strstr(err->message, "site 'handle'"));
    ck_assert_ptr_nonnull(strstr(err->message, "joint 'doorjoint'"));
    g_clear_error(&err);
    /* a bundled model given by path works like the default */
    char *door = prefrl_mj_find_model("metaworld_door_open.xml", &err);
    char *door_override = g_strdup_printf("model=%s", door);
    const char *const right[] = {door_override, NULL};
    inst = env_test_make("door-open", 1, right);
    prefrl_instance_free(inst);
    g_free(door_override);
    g_free(door);
    g_free(override);
    g_free(path);
}
END_TEST

START_TEST(test_model_physics)
{
    /* masses and scene options of the original (docs/tasks.md) */
    static const struct {
        const char *task, *body;
        double mass;
    } masses[] = {
        {"door-open", "door_link", 2.23},  {"button-press", "button", 0.01},
        {"drawer-open", "drawer_link", 0.38}, {"window-open", "windowb_a", 0.638},
        {"sweep-into", "obj", 0.01},       {"hammer", "hammer", 1.1},
        {"hammer", "nail_link", 0.0886},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(masses); i++) {
        MwEnv *env = make_internal(masses[i].task, 1);
        int b = mj_name2id(env->m, mjOBJ_BODY, masses[i].body);
        ck_assert_int_ge(b, 0);
        ck_assert_msg(fabs(env->m->body_mass[b] - masses[i].mass) < 0.005 * masses[i].mass + 1e-4,
                      "%s mass %g, reference %g", masses[i].body, env->m->body_mass[b],
                      masses[i].mass);
        /* options of every Meta-world scene */
        ck_assert_double_eq(env->m->opt.timestep, 0.0025);
        ck_assert_int_eq(env->m->opt.cone, mjCONE_ELLIPTIC);
        ck_assert_int_eq(env->m->opt.solver, mjSOL_NEWTON);
        mw_env_free(env);
    }
    /* the gripper closes on nothing to an opening of ~0.3 */
    PrefrlInstance *inst = env_test_make("door-open", 1, NULL);
    float obs[39], act[4] = {0, 0, 0, 1};
    PrefrlEnvStep st;
    env_test_reset(inst, obs);
    for (int t = 0; t < 30; t++)
        env_test_step(inst, act, obs, &st);
    ck_assert_float_eq_tol(obs[3], 0.3f, 0.01f);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_lt_helpers)
{
    /* long tail with value 0.1 at the margin: 1/(9 d^2 + 1) */
    ck_assert_double_eq(mw_lt(0.5, 0.0, 1.0, 0.2), 1.0);
    ck_assert_double_eq_tol(mw_lt(1.2, 0.0, 1.0, 0.2), 0.1, 1e-12);
    ck_assert_double_eq_tol(mw_lt(1.1, 0.0, 1.0, 0.2), 1.0 / (9 * 0.25 + 1), 1e-12);
    /* a negative margin acts as 0: a hard indicator */
    ck_assert_double_eq(mw_lt(1.1, 0.0, 1.0, -0.5), 0.0);
    ck_assert_double_eq(mw_hamacher(0.5, 1.0), 0.5);
    ck_assert_double_eq(mw_hamacher(0.0, 0.0), 0.0);
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
} looks[] = {
    {"metaworld_door_open.xml", UINT64_C(0xd568b3660701fcd4), UINT64_C(0x53f89c158dc4784f)},
    {"metaworld_button_press.xml", UINT64_C(0x65ad90633c6d7c73), UINT64_C(0xd3dc80a988cb9965)},
    {"metaworld_drawer_open.xml", UINT64_C(0xe37b8b1da11e38f7), UINT64_C(0x458519201a922eda)},
    {"metaworld_window_open.xml", UINT64_C(0x611b09447a75cd18), UINT64_C(0xcbedd93b0fbdf884)},
    {"metaworld_sweep_into.xml", UINT64_C(0x43ac10722a5f7578), UINT64_C(0x83cbe44065ebb29c)},
    {"metaworld_hammer.xml", UINT64_C(0xdcbda0086aa781a5), UINT64_C(0x09e7a29ce459598b)},
};

START_TEST(test_visual_only)
{
    char *path;
    mjModel *m = rc_load_visual_model(looks[_i].file, looks[_i].physics, looks[_i].trajectory,
                                      &path);
    /* Meta-world v2's camera names */
    static const char *const cams[] = {"topview", "corner", "corner2", "corner3",
                                       "behindGripper", "gripperPOV"};
    for (size_t c = 0; c < G_N_ELEMENTS(cams); c++)
        ck_assert_msg(mj_name2id(m, mjOBJ_CAMERA, cams[c]) >= 0, "%s: no camera %s", path,
                      cams[c]);
    ck_assert_int_ge(mj_name2id(m, mjOBJ_MATERIAL, "mw_table"), 0);
    mj_deleteModel(m);
    g_free(path);
}
END_TEST

/* rendering (tests/plugins/env/render_checks.h) */
START_TEST(test_render)
{
    rc_check_task(task_names[_i], NULL);
}
END_TEST

static Suite *metaworld_suite(void)
{
    Suite *s = suite_create("env-metaworld");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_components);
    tcase_add_loop_test(tc, test_determinism, 0, N_TASKS);
    tcase_add_test(tc, test_randomisation);
    tcase_add_loop_test(tc, test_obs_layout, 0, N_TASKS);
    tcase_add_test(tc, test_action_repeat);
    tcase_add_test(tc, test_time_limit_and_errors);
    tcase_add_test(tc, test_clipping_and_mocap_box);
    tcase_add_loop_test(tc, test_save_load, 0, N_TASKS);
    tcase_add_test(tc, test_snapshot);
    tcase_add_test(tc, test_model_errors);
    tcase_add_test(tc, test_model_physics);
    tcase_add_loop_test(tc, test_visual_only, 0, G_N_ELEMENTS(looks));
    tcase_add_test(tc, test_lt_helpers);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);

    TCase *tr = tcase_create("task");
    tcase_add_test(tr, test_success_door);
    tcase_add_test(tr, test_success_button);
    tcase_add_test(tr, test_success_drawer);
    tcase_add_test(tr, test_success_window);
    tcase_add_test(tr, test_success_sweep);
    tcase_add_test(tr, test_success_hammer);
    tcase_add_loop_test(tr, test_reward_range, 0, N_TASKS);
    tcase_add_loop_test(tr, test_scripted_success, 0, N_TASKS);
    tcase_set_timeout(tr, 300);
    suite_add_tcase(s, tr);

    TCase *tv = tcase_create("render");
    tcase_add_loop_test(tv, test_render, 0, N_TASKS);
    tcase_set_timeout(tv, 120);
    suite_add_tcase(s, tv);
    return s;
}

int main(void)
{
    /* scan the plugins once; forked tests inherit the registry */
    prefrl_registry_default();
    int failed = check_run(metaworld_suite());
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
