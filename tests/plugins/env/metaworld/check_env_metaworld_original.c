/* Tests of the Meta-world env plugin on Meta-world's own v2 scenes
 * (env.scene: original; docs/metaworld-original.md).
 *
 * The scenes are not part of prefrl: they are read from the directory named
 * by $PREFRL_METAWORLD_ASSETS (Meta-world's envs/assets_v2).  Without it the
 * program reports SKIP (exit 77) naming the variable.  With it: every task
 * loads, the observation has the original's layout and reads what the
 * original reads, Meta-world's own scripted policies (restated) succeed on
 * every task within the episode, a reset is reproducible from the seed, and
 * the scenes render.  Environments come from the built plugin through the
 * registry; layout checks use the plugin's internal interface (mw_env.h,
 * compiled in) to compare with the model's state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include <prefrl/mjenv.h>
#include <prefrl/plugin.h>

#include "host/registry.h"
#include "ckpt_test.h"
#include "env_test.h"
#include "mw_env.h"
#include "../render_checks.h"
#include "check_run.h"

static const char *const task_names[] = {"door-open",  "button-press", "drawer-open",
                                         "window-open", "sweep-into",  "hammer"};
#define N_TASKS 6

/* env/name on the original scene with one more override `extra` (may be NULL) */
static PrefrlInstance *make_env(const char *name, uint64_t seed, const char *extra)
{
    const char *const overrides[] = {"scene=original", extra, NULL};
    return env_test_make(name, seed, overrides);
}

/* an internal env on the original scene, reset */
static MwEnv *make_internal(const char *name, uint64_t seed, float *obs)
{
    MwOptions opt = {.model = NULL, .scene = MW_SCENE_ORIGINAL, .assets = NULL,
                     .episode_length = 500, .action_repeat = 1, .frame_skip = 5,
                     .observe_goal = FALSE};
    PrefrlRng rng;
    prefrl_rng_init(&rng, seed, "env");
    GError *err = NULL;
    MwEnv *env = mw_env_new(mw_task_find(name), &opt, &rng, &err);
    ck_assert_msg(env != NULL, "%s: %s", name, err ? err->message : "?");
    ck_assert_msg(mw_env_reset(env, obs, &err), "%s: %s", name, err ? err->message : "?");
    return env;
}

static int id_of(const MwEnv *env, int type, const char *name)
{
    int id = mj_name2id(env->m, type, name);
    ck_assert_msg(id >= 0, "%s lacks %s", env->model_path, name);
    return id;
}

static void assert_near3(const float *got, const double *want, double tol, const char *what)
{
    for (int k = 0; k < 3; k++)
        ck_assert_msg(fabs(got[k] - want[k]) <= tol, "%s[%d]: %g, expected %g", what, k,
                      (double)got[k], want[k]);
}

/* ------------------------------------------------------------------------ */

START_TEST(test_loads)
{
    const char *name = task_names[_i];
    const MwTask *task = mw_task_find(name);
    PrefrlInstance *inst = make_env(name, 1, NULL);
    PrefrlEnvInfo info = {0};
    env_test_ops(inst)->info(inst->self, &info);
    ck_assert_int_eq(info.obs_dim, 39);
    ck_assert_int_eq(info.act_dim, 4);
    ck_assert_int_eq(info.episode_length, 500);
    ck_assert_int_eq(info.has_success, 1);
    const MwEnv *env = inst->self;
    ck_assert(env->original);
    ck_assert_msg(g_str_has_suffix(env->model_path, task->original_file), "%s: model %s", name,
                  env->model_path);
    /* the Sawyer arm's seven joints and the two fingers come first, as the
     * original's qpos[9:...] indexing assumes */
    ck_assert_int_eq(env->m->jnt_qposadr[id_of(env, mjOBJ_JOINT, "r_close")], 7);
    ck_assert_int_eq(env->m->jnt_qposadr[id_of(env, mjOBJ_JOINT, "l_close")], 8);
    /* the gripper actuators were found by the joints they drive */
    ck_assert_int_eq(env->m->actuator_trnid[2 * env->act_r], id_of(env, mjOBJ_JOINT, "r_close"));
    ck_assert_int_eq(env->m->actuator_trnid[2 * env->act_l], id_of(env, mjOBJ_JOINT, "l_close"));
    /* the hand hangs on the arm: no free joint of its own */
    ck_assert_int_eq(env->hand_qadr, -1);
    ck_assert_int_eq(env->m->nu, 2);
    if (!strcmp(name, "hammer") || !strcmp(name, "sweep-into"))
        ck_assert_int_eq(env->free_qadr, 9);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_obs_layout)
{
    const char *name = task_names[_i];
    float obs[39];
    MwEnv *env = make_internal(name, 5, obs);
    const mjData *d = env->d;
    /* the hand reaches hand_init through the mocap weld; gripper open */
    assert_near3(obs, env->task->hand_init, 0.02, "hand");
    ck_assert_float_eq_tol(obs[0], (float)d->xpos[3 * env->hand_body], 1e-6f);
    ck_assert_msg(obs[3] > 0.5f && obs[3] <= 1.0f, "%s: gripper opening %g", name, obs[3]);
    for (int i = 0; i < 18; i++)
        ck_assert_float_eq(obs[18 + i], obs[i]);
    for (int i = 36; i < 39; i++)
        ck_assert_float_eq(obs[i], 0.0f);

    /* the object block reads what the original reads */
    double want[3], q[4];
    if (!strcmp(name, "door-open")) {
        int g = id_of(env, mjOBJ_GEOM, "handle");
        memcpy(want, d->geom_xpos + 3 * g, sizeof want);
        /* placement: the door body in [0, 0.1] x [0.85, 0.95] x {0.15} */
        const double *door = env->m->body_pos + 3 * id_of(env, mjOBJ_BODY, "door");
        ck_assert(door[0] >= 0.0 && door[0] <= 0.1 && door[1] >= 0.85 && door[1] <= 0.95);
        ck_assert_float_eq_tol(env->target[0], door[0] - 0.3, 1e-12);
    } else if (!strcmp(name, "button-press")) {
        int b = id_of(env, mjOBJ_BODY, "button");
        /* the body's frame (the original's get_body_com reads xpos), not
         * its centre of mass, which lies 19 cm in front of it */
        memcpy(want, d->xpos + 3 * b, sizeof want);
        want[1] -= 0.193;
        ck_assert(fabs(d->xipos[3 * b + 1] - d->xpos[3 * b + 1]) > 0.1);
        ck_assert_float_eq_tol(env->target[1],
                               d->site_xpos[3 * id_of(env, mjOBJ_SITE, "hole") + 1], 1e-12);
    } else if (!strcmp(name, "drawer-open")) {
        int b = id_of(env, mjOBJ_BODY, "drawer_link");
        memcpy(want, d->xpos + 3 * b, sizeof want);
        want[1] -= 0.16;
    } else if (!strcmp(name, "window-open")) {
        memcpy(want, d->site_xpos + 3 * id_of(env, mjOBJ_SITE, "handleOpenStart"), sizeof want);
        for (int i = 7; i < 11; i++)
            ck_assert_float_eq(obs[i], 0.0f);
    } else if (!strcmp(name, "sweep-into")) {
        memcpy(want, d->xpos + 3 * id_of(env, mjOBJ_BODY, "obj"), sizeof want);
        /* at least 15 cm from the pocket, within the original's box */
        ck_assert(hypot(want[0], want[1] - 0.84) >= 0.15);
        ck_assert(want[0] >= -0.1 && want[0] <= 0.1 && want[1] >= 0.6 && want[1] <= 0.7);
    } else {
        int h = id_of(env, mjOBJ_BODY, "hammer"), n = id_of(env, mjOBJ_BODY, "nail_link");
        memcpy(want, d->xpos + 3 * h, sizeof want);
        double nail[3];
        memcpy(nail, d->xpos + 3 * n, sizeof nail);
        assert_near3(obs + 11, nail, 1e-6, "nail");
        for (int k = 0; k < 4; k++)
            ck_assert_float_eq_tol(obs[14 + k], (float)d->xquat[4 * n + k], 1e-6f);
        /* the hammer's free joint is its parent's: placed in the original's box */
        ck_assert(d->qpos[9] >= -0.1 && d->qpos[9] <= 0.1 && d->qpos[10] >= 0.4 &&
                  d->qpos[10] <= 0.5);
    }
    assert_near3(obs + 4, want, 1e-6, name);
    if (strcmp(name, "window-open") != 0) {
        double qn = 0.0;
        for (int i = 7; i < 11; i++)
            qn += (double)obs[i] * obs[i];
        ck_assert_msg(fabs(qn - 1.0) < 1e-5, "%s: object quaternion not unit", name);
    }
    if (strcmp(name, "hammer") != 0)
        for (int i = 11; i < 18; i++)
            ck_assert_float_eq(obs[i], 0.0f);
    /* door and sweep: (x, y, z, w) of the geom frame, the component scipy
     * picks kept positive: the same rotation as MuJoCo's quaternion */
    if (!strcmp(name, "door-open") || !strcmp(name, "sweep-into")) {
        int g = id_of(env, mjOBJ_GEOM, !strcmp(name, "door-open") ? "handle" : "objGeom");
        mju_mat2Quat(q, d->geom_xmat + 9 * g);
        double dot = q[0] * obs[10] + q[1] * obs[7] + q[2] * obs[8] + q[3] * obs[9];
        ck_assert_msg(fabs(fabs(dot) - 1.0) < 1e-5, "%s: quaternion of another rotation", name);
    }
    mw_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Meta-world's own scripted policies (metaworld/policies/sawyer_*_v2_policy.py
 * at v2.0.0), restated: a proportional move of the hand toward a waypoint
 * that depends on the observation, and a fixed or gated grip effort */

static double clip1(double x)
{
    return x < -1.0 ? -1.0 : (x > 1.0 ? 1.0 : x);
}

static double dxy(const float *a, const double *b)
{
    return hypot(a[0] - b[0], a[1] - b[1]);
}

static void policy_action(const char *task, const float *obs, float *act)
{
    const float *hand = obs, *obj = obs + 4, *goal = obs + 36;
    double to[3], p = 25.0, grip = 0.0;
    if (!strcmp(task, "door-open")) {
        /* above the handle's side, down, then into the handle */
        double h[3] = {obj[0] - 0.05, obj[1], obj[2]};
        memcpy(to, h, sizeof to);
        if (dxy(hand, h) > 0.12)
            to[0] += 0.06, to[1] += 0.02, to[2] += 0.2;
        else if (fabs(hand[2] - h[2]) > 0.04)
            to[0] += 0.06, to[1] += 0.02;
        grip = 1.0;
    } else if (!strcmp(task, "button-press")) {
        /* line up in x and z below the cap, then push past it */
        double b[3] = {obj[0], obj[1], obj[2] - 0.07};
        memcpy(to, b, sizeof to);
        if (fabs(hand[0] - b[0]) > 0.02 || fabs(hand[2] - b[2]) > 0.02)
            to[1] = hand[1] - 0.1;
        else
            to[1] += 0.02;
    } else if (!strcmp(task, "drawer-open")) {
        double h[3] = {obj[0], obj[1], obj[2] - 0.02};
        memcpy(to, h, sizeof to);
        p = 4.0;
        if (dxy(hand, h) > 0.06)
            to[2] += 0.3;
        else if (fabs(hand[2] - h[2]) <= 0.04)
            to[1] -= 0.06, p = 50.0;
        grip = -1.0;
    } else if (!strcmp(task, "window-open")) {
        double w[3] = {obj[0] - 0.03, obj[1] - 0.03, obj[2] - 0.08};
        memcpy(to, w, sizeof to);
        if (dxy(hand, w) > 0.04)
            to[2] += 0.3;
        else if (fabs(hand[2] - w[2]) <= 0.02)
            to[0] += 0.1;
        grip = 1.0;
    } else if (!strcmp(task, "sweep-into")) {
        double c[3] = {obj[0] - 0.005, obj[1], obj[2] + 0.01};
        double cube[3] = {obj[0], obj[1], obj[2]};
        memcpy(to, c, sizeof to);
        if (dxy(hand, c) > 0.04)
            to[2] += 0.3;
        else if (fabs(hand[2] - c[2]) <= 0.04)
            to[0] = goal[0], to[1] = goal[1], to[2] = goal[2];
        /* Meta-world's policy closes within 15 cm of the block's height: on
         * this scene the block rests on the raised table (z 0.07), so a
         * block that starts under the hand had the fingers shut before they
         * were down (1 episode in 10 failed); closing within 4 cm, once the
         * hand is down, does not */
        grip = dxy(hand, cube) > 0.04 || fabs(hand[2] - c[2]) > 0.04 ? -1.0 : 0.7;
    } else {
        /* hammer: grasp the handle, lift to the nail's height, drive it */
        double g[3] = {obj[0] - 0.04, obj[1], obj[2] - 0.01};
        double aim[3] = {0.24 - 0.19, 0.71, 0.11 + 0.05};
        p = 10.0;
        if (dxy(hand, g) > 0.04)
            to[0] = g[0], to[1] = g[1], to[2] = g[2] + 0.1;
        else if (fabs(hand[2] - g[2]) > 0.05 && g[2] < 0.03)
            to[0] = g[0], to[1] = g[1], to[2] = g[2] + 0.03;
        else if (hypot(hand[0] - aim[0], hand[2] - aim[2]) > 0.02)
            to[0] = aim[0], to[1] = hand[1], to[2] = aim[2];
        else
            memcpy(to, aim, sizeof to);
        grip = dxy(hand, g) > 0.04 || fabs(hand[2] - g[2]) > 0.1 ? 0.0 : 0.8;
    }
    for (int k = 0; k < 3; k++)
        act[k] = (float)clip1(p * (to[k] - hand[k]));
    act[3] = (float)grip;
}

/* the three episodes of seed 31 all succeed; PREFRL_MW_EPISODES=N runs N
 * (for the docs' table) and allows one failure in ten: Meta-world's
 * policies are not perfect (door-open: the hand can meet the handle's side
 * when the door starts at the near end of its range) */
START_TEST(test_scripted_success)
{
    const char *name = task_names[_i];
    const char *n_env = g_getenv("PREFRL_MW_EPISODES");
    int episodes = n_env ? atoi(n_env) : 3;
    PrefrlInstance *inst = make_env(name, 31, "observe_goal=true");
    float obs[39], act[4];
    PrefrlEnvStep st;
    GString *report = g_string_new(NULL);
    int failures = 0;
    for (int e = 0; e < episodes; e++) {
        env_test_reset(inst, obs);
        int first = -1;
        double ret = 0.0;
        for (int t = 0; t < 500 && first < 0; t++) {
            policy_action(name, obs, act);
            env_test_step(inst, act, obs, &st);
            ck_assert(st.reward >= 0.0f && st.reward <= 10.0f);
            ret += st.reward;
            if (st.success)
                first = t + 1;
        }
        ck_assert(ret > 0.0);
        if (first < 0) {
            failures++;
            g_string_append(report, " -");
        } else {
            g_string_append_printf(report, " %d", first);
        }
    }
    printf("original scene, scripted %s: %d/%d succeeded, first success at step%s\n", name,
           episodes - failures, episodes, report->str);
    ck_assert_msg(failures * 10 <= (episodes <= 3 ? 0 : episodes), "%s: %d of %d episodes "
                  "without success:%s", name, failures, episodes, report->str);
    g_string_free(report, TRUE);
    prefrl_instance_free(inst);
}
END_TEST

/* a random policy never succeeds by accident in a short rollout, and the
 * rewards stay in the v2 range */
START_TEST(test_random_policy)
{
    const char *name = task_names[_i];
    PrefrlInstance *inst = make_env(name, 3, NULL);
    PrefrlRng rng;
    prefrl_rng_init(&rng, 9, "actions");
    float obs[39], act[4];
    double lo = INFINITY, hi = -INFINITY;
    env_test_reset(inst, obs);
    env_test_random_steps(inst, &rng, 100, 1.0, act, 4, obs, 39, 0.0, 10.0, &lo, &hi);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */

/* the same seed gives the same episodes bit for bit; another seed another
 * placement */
START_TEST(test_reset_reproducible)
{
    const char *name = task_names[_i];
    float a[2][3][39], o[39], act[4] = {0.4f, 0.3f, -0.5f, 1.0f};
    PrefrlEnvStep st;
    for (int r = 0; r < 2; r++) {
        PrefrlInstance *inst = make_env(name, 17, NULL);
        for (int e = 0; e < 2; e++) {
            env_test_reset(inst, a[r][e]);
            for (int t = 0; t < 20; t++)
                env_test_step(inst, act, o, &st);
        }
        memcpy(a[r][2], o, sizeof o);
        prefrl_instance_free(inst);
    }
    ck_assert(memcmp(a[0], a[1], sizeof a[0]) == 0);
    /* consecutive episodes are placed anew (door, button, drawer, window,
     * sweep, hammer all randomise the object or fixture) */
    ck_assert(memcmp(a[0][0] + 4, a[0][1] + 4, 3 * sizeof(float)) != 0);
    PrefrlInstance *other = make_env(name, 18, NULL);
    env_test_reset(other, o);
    ck_assert(memcmp(o + 4, a[0][0] + 4, 3 * sizeof(float)) != 0);
    prefrl_instance_free(other);
}
END_TEST

/* a saved state continues bit for bit (the observation is read before the
 * last substep's integration, which loading must not disturb); a bundled
 * env of the same task refuses it */
START_TEST(test_save_load)
{
    const char *name = task_names[_i];
    PrefrlInstance *a = make_env(name, 71, NULL), *b = make_env(name, 72, NULL);
    float oa[39], ob[39], act[4] = {0.5f, 0.4f, -0.6f, 0.8f};
    PrefrlEnvStep sa, sb;
    env_test_reset(a, oa);
    env_test_reset(b, ob);
    for (int t = 0; t < 25; t++)
        env_test_step(a, act, oa, &sa);
    GError *err = NULL;
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "env.bin", NULL);
    ck_assert_msg(ckpt_test_save(a->component, a->self, path, &err), "%s",
                  err ? err->message : "?");
    ck_assert_msg(ckpt_test_load(b->component, b->self, path, &err), "%s",
                  err ? err->message : "?");
    for (int t = 0; t < 60; t++) {
        act[0] = -act[0];
        env_test_step(a, act, oa, &sa);
        env_test_step(b, act, ob, &sb);
        ck_assert_msg(memcmp(oa, ob, sizeof oa) == 0, "%s: diverged at step %d", name, t);
        ck_assert(sa.reward == sb.reward && sa.success == sb.success);
    }
    PrefrlInstance *bundled = env_test_make(name, 1, NULL);
    ck_assert(!ckpt_test_load(bundled->component, bundled->self, path, &err));
    ckpt_test_refused(&err, path, "bodies");
    prefrl_instance_free(bundled);
    g_free(path);
    ckpt_test_rmdir(dir);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
}
END_TEST

/* ------------------------------------------------------------------------ */

/* the original scenes pass the bundled ones' rendering checks
 * (render_checks.h: non-blank, deterministic, state-following frames from
 * the default view and every camera, physics untouched); by default the
 * free camera (Meta-world's own cameras, still available by name, show
 * them upside down) */
START_TEST(test_render)
{
    const char *name = task_names[_i];
    const char *const overrides[] = {"scene=original", NULL};
    rc_check_task(name, overrides);
    PrefrlInstance *inst = make_env(name, 1, NULL);
    const char *const *cams = env_test_ops(inst)->cameras(inst->self);
    ck_assert(cams != NULL && g_strv_contains(cams, "corner2"));
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */

static void assert_create_fails(const char *const *overrides, const char *want)
{
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_ENV,
                                               "door-open", overrides, 1, NULL, &err);
    ck_assert(inst == NULL && err != NULL);
    ck_assert_msg(strstr(err->message, want) != NULL, "error '%s' lacks '%s'", err->message, want);
    ck_assert(strchr(err->message, '\n') == NULL);
    g_error_free(err);
}

/* without a directory the error names the key and the variable; a wrong
 * directory names the file it looked for */
START_TEST(test_errors)
{
    const char *const wrong[] = {"scene=original", "assets=/nonexistent/mw", NULL};
    assert_create_fails(wrong, "/nonexistent/mw/sawyer_xyz/sawyer_door_pull.xml");
    const char *const bad_scene[] = {"scene=v3", NULL};
    assert_create_fails(bad_scene, "bundled");
    /* put back afterwards: without forking (CK_FORK=no) the next tests
     * share this process's environment */
    char *saved = g_strdup(g_getenv(MW_ASSETS_ENV));
    g_unsetenv(MW_ASSETS_ENV);
    const char *const none[] = {"scene=original", NULL};
    assert_create_fails(none, MW_ASSETS_ENV);
    assert_create_fails(none, "env.assets");
    g_setenv(MW_ASSETS_ENV, saved, TRUE);
    g_free(saved);
}
END_TEST

static Suite *original_suite(void)
{
    Suite *s = suite_create("env-metaworld-original");
    TCase *tc = tcase_create("scene");
    tcase_add_loop_test(tc, test_loads, 0, N_TASKS);
    tcase_add_loop_test(tc, test_obs_layout, 0, N_TASKS);
    tcase_add_loop_test(tc, test_random_policy, 0, N_TASKS);
    tcase_add_loop_test(tc, test_reset_reproducible, 0, N_TASKS);
    tcase_add_loop_test(tc, test_save_load, 0, N_TASKS);
    tcase_add_loop_test(tc, test_scripted_success, 0, N_TASKS);
    tcase_add_test(tc, test_errors);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    TCase *tv = tcase_create("render");
    tcase_add_loop_test(tv, test_render, 0, N_TASKS);
    tcase_set_timeout(tv, 120);
    suite_add_tcase(s, tv);
    return s;
}

int main(void)
{
    const char *dir = g_getenv(MW_ASSETS_ENV);
    if (dir == NULL || dir[0] == '\0') {
        printf("SKIP: %s is not set: these tests need Meta-world's v2 scenes "
               "(metaworld/envs/assets_v2); set it to that directory to run them\n",
               MW_ASSETS_ENV);
        return 77;
    }
    /* scan the plugins once; forked tests inherit the registry */
    prefrl_registry_default();
    int failed = check_run(original_suite());
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
