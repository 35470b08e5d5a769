/* Rendering checks shared by the MuJoCo env plugin tests (included by
 * check_env_dmc.c, check_env_metaworld.c and check_env_metaworld_original.c;
 * static functions only).  Black
 * box through the registry: PrefrlEnvOps.render and .cameras. */
#ifndef PREFRL_TEST_RENDER_CHECKS_H
#define PREFRL_TEST_RENDER_CHECKS_H

#include <inttypes.h>
#include <string.h>
#include <check.h>
#include <glib.h>

#include "env_test.h"
#include "mj_fingerprint.h"
#include <prefrl/mjenv.h>

/* Load bundled model `file` (its path into *path, freed by the caller) and
 * check that its visual assets left the physics as fingerprinted
 * (mj_fingerprint.h): the compiled physics and a 100-step trajectory.
 * Inline: check_env_metaworld_original does not use it. */
static inline mjModel *rc_load_visual_model(const char *file, uint64_t physics,
                                            uint64_t trajectory, char **path)
{
    GError *err = NULL;
    *path = prefrl_mj_find_model(file, &err);
    ck_assert_msg(*path != NULL, "%s", err ? err->message : "");
    char msg[1000];
    mjModel *m = mj_loadXML(*path, NULL, msg, sizeof msg);
    ck_assert_msg(m != NULL, "%s: %s", *path, msg);
    uint64_t phys = mj_fp_physics(m), traj = mj_fp_trajectory(m, 100);
    ck_assert_msg(phys == physics && traj == trajectory,
                  "%s: physics 0x%016" PRIx64 " trajectory 0x%016" PRIx64, file, phys, traj);
    return m;
}

#define RC_W 96
#define RC_H 72
#define RC_BYTES ((size_t)RC_W * RC_H * 3)

static void rc_render(PrefrlInstance *inst, const double *qpos, const double *qvel, double time,
                      const char *camera, guint8 *rgb)
{
    GError *err = NULL;
    gboolean ok =
        env_test_ops(inst)->render(inst->self, qpos, qvel, time, camera, RC_W, RC_H, rgb, &err);
    ck_assert_msg(ok, "%s: render: %s", inst->component->name, err ? err->message : "");
}

static void rc_action(PrefrlRng *rng, float *a, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = (float)prefrl_rng_range(rng, -1.0, 1.0);
}

/* `steps` random steps from a reset of `task` with `overrides` (may be
 * NULL); when `render_every` a frame is rendered (current state, every
 * camera in turn) before each step; the observations go to obs_out
 * (steps * obs_dim) */
static void rc_sequence(const char *task, const char *const *overrides, int steps,
                        gboolean render_every, float *obs_out)
{
    PrefrlInstance *inst = env_test_make(task, 7, overrides);
    const PrefrlEnvOps *ops = env_test_ops(inst);
    PrefrlEnvInfo info = {0};
    ops->info(inst->self, &info);
    float *act = g_new(float, info.act_dim);
    guint8 *rgb = g_malloc(RC_BYTES);
    double *qpos = g_new(double, info.nq), *qvel = g_new(double, info.nv);
    const char *const *cams = ops->cameras(inst->self);
    PrefrlRng rng;
    prefrl_rng_init(&rng, 3, "render-test");
    GError *err = NULL;
    ck_assert(ops->reset(inst->self, obs_out, &err));
    for (int t = 1; t < steps; t++) {
        if (render_every) {
            int nc = (int)g_strv_length((char **)cams);
            rc_render(inst, NULL, NULL, 0.0, t % (nc + 1) == nc ? NULL : cams[t % (nc + 1)],
                      rgb);
            /* and a stored state: the reset's, which the live data never sees */
            ops->snapshot(inst->self, qpos, qvel, NULL);
            for (int i = 0; i < info.nq; i++)
                qpos[i] += 0.1;
            rc_render(inst, qpos, qvel, 0.5, NULL, rgb);
        }
        rc_action(&rng, act, info.act_dim);
        PrefrlEnvStep st = {0};
        ck_assert_msg(ops->step(inst->self, act, obs_out + (size_t)t * info.obs_dim, &st, &err),
                      "%s", err ? err->message : "");
    }
    g_free(qpos);
    g_free(qvel);
    g_free(rgb);
    g_free(act);
    prefrl_instance_free(inst);
}

/* every check for one task, created with `overrides` (may be NULL) */
static void rc_check_task(const char *task, const char *const *overrides)
{
    PrefrlInstance *inst = env_test_make(task, 1, overrides);
    const PrefrlEnvOps *ops = env_test_ops(inst);
    ck_assert_msg(ops->render != NULL && ops->cameras != NULL, "%s cannot render", task);
    PrefrlEnvInfo info = {0};
    ops->info(inst->self, &info);
    float *obs = g_new(float, info.obs_dim);
    float *act = g_new(float, info.act_dim);
    guint8 *a = g_malloc(RC_BYTES), *b = g_malloc(RC_BYTES), *c = g_malloc(RC_BYTES);
    double *qpos = g_new(double, info.nq), *qvel = g_new(double, info.nv);
    double time = 0.0;
    GError *err = NULL;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 5, "render-test");

    /* cameras: the model's named ones, then "free" */
    const char *const *cams = ops->cameras(inst->self);
    ck_assert(cams != NULL && cams[0] != NULL);
    guint nc = g_strv_length((char **)cams);
    ck_assert_str_eq(cams[nc - 1], "free");

    ck_assert(ops->reset(inst->self, obs, &err));
    for (int t = 0; t < 10; t++) {
        rc_action(&rng, act, info.act_dim);
        PrefrlEnvStep st = {0};
        ck_assert(ops->step(inst->self, act, obs, &st, &err));
    }
    /* non-blank and deterministic, for the default view and every camera */
    for (int k = -1; k < (int)nc; k++) {
        const char *cam = k < 0 ? NULL : cams[k];
        memset(a, 0, RC_BYTES);
        memset(b, 255, RC_BYTES);
        rc_render(inst, NULL, NULL, 0.0, cam, a);
        rc_render(inst, NULL, NULL, 0.0, cam, b);
        double v = env_test_variance(a, RC_BYTES);
        ck_assert_msg(v > 100.0, "%s camera %s: frame variance %.1f (blank?)", task,
                      cam ? cam : "(default)", v);
        ck_assert_msg(memcmp(a, b, RC_BYTES) == 0, "%s camera %s: two renders differ", task,
                      cam ? cam : "(default)");
    }

    /* a stored state renders as the live state did when it was current */
    rc_render(inst, NULL, NULL, 0.0, NULL, a);
    ops->snapshot(inst->self, qpos, qvel, &time);
    for (int t = 0; t < 15; t++) {
        rc_action(&rng, act, info.act_dim);
        PrefrlEnvStep st = {0};
        ck_assert(ops->step(inst->self, act, obs, &st, &err));
    }
    rc_render(inst, NULL, NULL, 0.0, NULL, c);
    rc_render(inst, qpos, qvel, time, NULL, b);
    ck_assert_msg(memcmp(a, b, RC_BYTES) == 0, "%s: the stored state renders differently", task);
    ck_assert_msg(memcmp(a, c, RC_BYTES) != 0, "%s: 15 steps later the frame is the same", task);

    /* damaged requests: one-line errors, no frame written */
    static const int bad[][2] = {{0, 10}, {10, 0}, {-5, 10}, {100000, 10}, {10, 1 << 30}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert(!ops->render(inst->self, NULL, NULL, 0.0, NULL, bad[i][0], bad[i][1], a, &err));
        ck_assert_msg(err != NULL && strchr(err->message, '\n') == NULL &&
                          strstr(err->message, "out of range") != NULL,
                      "%s: %s", task, err ? err->message : "(no error)");
        g_clear_error(&err);
    }
    ck_assert(!ops->render(inst->self, NULL, NULL, 0.0, "no-such-camera", RC_W, RC_H, a, &err));
    ck_assert(err != NULL && strstr(err->message, "no-such-camera") != NULL &&
              strchr(err->message, '\n') == NULL);
    g_clear_error(&err);

    g_free(qpos);
    g_free(qvel);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(obs);
    g_free(act);
    prefrl_instance_free(inst);

    /* rendering leaves physics unchanged: the same steps with and without
     * rendering in between give identical observations */
    int steps = 40;
    PrefrlInstance *probe = env_test_make(task, 7, overrides);
    env_test_ops(probe)->info(probe->self, &info);
    prefrl_instance_free(probe);
    size_t n = (size_t)steps * info.obs_dim;
    float *plain = g_new0(float, n), *rendered = g_new0(float, n);
    rc_sequence(task, overrides, steps, FALSE, plain);
    rc_sequence(task, overrides, steps, TRUE, rendered);
    ck_assert_msg(memcmp(plain, rendered, n * sizeof(float)) == 0,
                  "%s: rendering changed the observations", task);
    g_free(plain);
    g_free(rendered);
}

#endif
