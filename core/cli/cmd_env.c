/* `prefrl env` and `prefrl bench env`: quick checks of any env component.
 *
 *   prefrl env TASK [--episodes N] [--seed S] [key=value ...]
 *       rolls out a uniformly random policy; prints the observation and
 *       action dimensions, mean and std of the episode return, and env
 *       steps per second.
 *   prefrl env TASK --frame FILE.png [--camera C] [--size WxH] [--steps N]
 *       writes one rendered frame (after N random steps from a reset)
 *       instead, so a person can see the task (docs/rendering.md).
 *   prefrl env TASK --video FILE.mp4|.webm [--episodes N] [--camera C]
 *              [--size WxH] [--fps F]
 *       writes N random-policy episodes (default 1) as a video instead.
 *   prefrl bench env [TASK ...] [--steps N] [--repeats R] [--seed S]
 *       env steps per second through the plugin against raw mj_step loops
 *       doing the same physics work on the same model, i.e. the cost of the
 *       observation, reward and bookkeeping code (MuJoCo envs only; other
 *       envs report their own speed).  Medians of R interleaved repeats. */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prefrl/mjenv.h>

#include "bench.h"
#include "cli.h"
#include "host/registry.h"
#include "lab/plot.h"
#include "lab/video.h"

static void random_action(PrefrlRng *rng, float *a, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = (float)prefrl_rng_range(rng, -1.0, 1.0);
}

/* ---- prefrl env --------------------------------------------------------- */

static const PrefrlCliUsage env_usage = {
    "env", "TASK [key=value ...]",
    "Roll out a uniformly random policy on an env component: a quick check of a task.",
    "Prints the observation and action sizes, the mean and std of the episode return and\n"
    "env steps/s.  key=value (or env.key=value) sets the env's parameters (see 'prefrl\n"
    "describe env/TASK').\n"
    "With --frame FILE.png, writes one rendered frame instead: the state after --steps\n"
    "random steps from a reset (default 0), from --camera (default: the task's view).\n"
    "With --video FILE (.mp4: H.264, .webm: VP9), writes --episodes random-policy\n"
    "episodes (default 1) as a video at --fps frames/s (default 30) instead, each\n"
    "episode from its reset state to its last step, --size default 320x240."};

/* reset, `steps` random steps (fewer if the episode ends), one frame to png */
static gboolean write_frame(PrefrlInstance *inst, uint64_t seed, gint64 steps,
                            const char *camera, int width, int height, const char *png,
                            GError **error)
{
    const PrefrlEnvOps *ops = inst->component->ops;
    if (ops->render == NULL) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "env %s cannot render",
                    inst->component->name);
        return FALSE;
    }
    PrefrlEnvInfo info = {0};
    ops->info(inst->self, &info);
    float *obs = g_new(float, info.obs_dim);
    float *act = g_new(float, info.act_dim);
    guint8 *rgb = NULL;
    PrefrlRng policy;
    prefrl_rng_init(&policy, seed, "random-policy");
    gboolean ok = ops->reset(inst->self, obs, error);
    for (gint64 i = 0; ok && i < steps; i++) {
        random_action(&policy, act, info.act_dim);
        PrefrlEnvStep out = {0};
        ok = ops->step(inst->self, act, obs, &out, error);
        if (out.terminal || out.truncated)
            break;
    }
    if (ok) {
        rgb = g_try_malloc((size_t)MAX(width, 1) * (size_t)MAX(height, 1) * 3);
        ok = rgb != NULL || (g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                                         "frame size %dx%d is too large", width, height),
                             FALSE);
    }
    ok = ok && ops->render(inst->self, NULL, NULL, 0.0, camera, width, height, rgb, error) &&
         prefrl_rgb_save_png(rgb, width, height, png, error);
    g_free(rgb);
    g_free(obs);
    g_free(act);
    return ok;
}

/* the uniformly random policy of `prefrl env` (ctx: its stream) */
static void random_policy(void *ctx, const float *obs, float *act, int act_dim)
{
    (void)obs;
    random_action(ctx, act, act_dim);
}

gboolean prefrl_cli_play(PrefrlInstance *inst, PrefrlCliPolicy policy, void *ctx,
                         gint64 episodes, const char *camera, int width, int height,
                         const PrefrlCliFrameSink *sink, GError **error)
{
    const PrefrlEnvOps *ops = inst->component->ops;
    if (ops->render == NULL) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "env %s cannot render",
                    inst->component->name);
        return FALSE;
    }
    PrefrlEnvInfo info = {0};
    ops->info(inst->self, &info);
    guint8 *rgb = g_try_malloc((size_t)MAX(width, 1) * (size_t)MAX(height, 1) * 3);
    if (rgb == NULL) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "frame size %dx%d is too large",
                    width, height);
        return FALSE;
    }
    float *obs = g_new(float, info.obs_dim);
    float *act = g_new(float, info.act_dim);
    gboolean ok = TRUE;
    for (gint64 ep = 0; ok && ep < episodes; ep++) {
        ok = ops->reset(inst->self, obs, error);
        gboolean done = FALSE;
        for (gint64 index = 0; ok; index++) {
            if (sink->want == NULL || sink->want(sink->ctx, ep, index, done))
                ok = ops->render(inst->self, NULL, NULL, 0.0, camera, width, height, rgb,
                                 error) &&
                     sink->frame(sink->ctx, rgb, error);
            if (!ok || done)
                break;
            policy(ctx, obs, act, info.act_dim);
            PrefrlEnvStep out = {0};
            ok = ops->step(inst->self, act, obs, &out, error);
            done = out.terminal || out.truncated;
        }
    }
    g_free(rgb);
    g_free(obs);
    g_free(act);
    return ok;
}

static gboolean video_frame(void *ctx, const guint8 *rgb, GError **error)
{
    return prefrl_video_add_frame(ctx, rgb, error);
}

gboolean prefrl_cli_write_video(PrefrlInstance *inst, PrefrlCliPolicy policy, void *ctx,
                                gint64 episodes, const char *camera, int width, int height,
                                int fps, const char *path, gint64 *n_frames, GError **error)
{
    const PrefrlEnvOps *ops = inst->component->ops;
    if (ops->render == NULL) { /* before a file is started */
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "env %s cannot render",
                    inst->component->name);
        return FALSE;
    }
    PrefrlVideo *video = prefrl_video_open(path, width, height, fps, error);
    if (video == NULL)
        return FALSE;
    const PrefrlCliFrameSink sink = {NULL, video_frame, video};
    gboolean ok = prefrl_cli_play(inst, policy, ctx, episodes, camera, width, height, &sink,
                                  error);
    *n_frames = prefrl_video_n_frames(video);
    if (ok)
        ok = prefrl_video_close(video, error);
    else
        prefrl_video_free(video);
    return ok;
}

/* "WxH" -> width, height (positive), FALSE otherwise */
gboolean prefrl_cli_parse_size(const char *text, int *width, int *height)
{
    char *end;
    gint64 w = g_ascii_strtoll(text, &end, 10);
    if (end == text || (*end != 'x' && *end != 'X'))
        return FALSE;
    const char *h_text = end + 1;
    gint64 h = g_ascii_strtoll(h_text, &end, 10);
    if (end == h_text || *end != '\0' || w < 1 || h < 1 || w > G_MAXINT || h > G_MAXINT)
        return FALSE;
    *width = (int)w;
    *height = (int)h;
    return TRUE;
}

int prefrl_cmd_env(int argc, char **argv)
{
    GError *err = NULL;
    const char *task = NULL;
    gint64 episodes = G_MININT64, seed = 1, frame_steps = 0, fps = 30;
    char *frame = NULL, *video = NULL, *camera = NULL, *size = NULL;
    int width = 480, height = 360;
    const GOptionEntry entries[] = {
        {"frame", 0, 0, G_OPTION_ARG_FILENAME, &frame, "write one rendered frame (PNG) instead",
         "FILE"},
        {"video", 0, 0, G_OPTION_ARG_FILENAME, &video,
         "write random-policy episodes as a video (.mp4 or .webm) instead", "FILE"},
        {"camera", 0, 0, G_OPTION_ARG_STRING, &camera,
         "camera of --frame or --video (default: the task's)", "C"},
        {"size", 0, 0, G_OPTION_ARG_STRING, &size,
         "frame size (default 480x360, --video 320x240)", "WxH"},
        {"fps", 0, 0, G_OPTION_ARG_INT64, &fps, "frames per second of --video (default 30)", "F"},
        {"steps", 0, 0, G_OPTION_ARG_INT64, &frame_steps,
         "random steps before the frame (default 0)", "N"},
        {"episodes", 0, 0, G_OPTION_ARG_INT64, &episodes,
         "episodes to roll out (default 5, --video 1)", "N"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed of the env and the policy (default 1)",
         "S"},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&env_usage, entries, argc, argv, &args);
    if (rc >= 0) {
        g_free(frame);
        g_free(video);
        g_free(camera);
        g_free(size);
        return rc;
    }
    GPtrArray *overrides = g_ptr_array_new();
    rc = 0;
    if (video != NULL) {
        width = 320;
        height = 240;
    }
    if (episodes == G_MININT64)
        episodes = video != NULL ? 1 : 5;
    if (size != NULL && !prefrl_cli_parse_size(size, &width, &height)) {
        rc = prefrl_cli_usage_error(&env_usage, "--size takes WIDTHxHEIGHT, e.g. 480x360 (got "
                                    "'%s')", size);
        goto usage;
    }
    if (frame != NULL && video != NULL) {
        rc = prefrl_cli_usage_error(&env_usage, "--frame or --video, not both");
        goto usage;
    }
    if ((camera != NULL || size != NULL) && frame == NULL && video == NULL) {
        rc = prefrl_cli_usage_error(&env_usage, "--camera and --size go with --frame or --video");
        goto usage;
    }
    if (frame_steps != 0 && frame == NULL) {
        rc = prefrl_cli_usage_error(&env_usage, "--steps goes with --frame");
        goto usage;
    }
    if (fps != 30 && video == NULL) {
        rc = prefrl_cli_usage_error(&env_usage, "--fps goes with --video");
        goto usage;
    }
    if (fps < 1 || fps > 240) {
        rc = prefrl_cli_usage_error(&env_usage, "--fps needs an integer in 1..240 (got %"
                                    G_GINT64_FORMAT ")", fps);
        goto usage;
    }
    if (frame_steps < 0) {
        rc = prefrl_cli_usage_error(&env_usage, "--steps needs an integer >= 0 (got %"
                                    G_GINT64_FORMAT ")", frame_steps);
        goto usage;
    }
    if (episodes < 1 || seed < 0) {
        rc = prefrl_cli_usage_error(&env_usage, "%s needs an integer >= %d (got %" G_GINT64_FORMAT
                                    ")", episodes < 1 ? "--episodes" : "--seed",
                                    episodes < 1 ? 1 : 0, episodes < 1 ? episodes : seed);
        goto usage;
    }
    for (char **a = args; *a; a++) {
        if (strchr(*a, '=') != NULL) {
            /* KEY=VALUE of the env section; "env.KEY=VALUE", as a recipe
             * override spells it, is the same key */
            g_ptr_array_add(overrides, g_str_has_prefix(*a, "env.") ? *a + 4 : *a);
        } else if (task == NULL) {
            task = *a;
        } else {
            rc = prefrl_cli_usage_error(&env_usage, "one task at a time (got '%s' and '%s')",
                                        task, *a);
            goto usage;
        }
    }
    if (task == NULL) {
        rc = prefrl_cli_usage_error(&env_usage, "env needs a TASK (see 'prefrl plugins')");
        goto usage;
    }
    g_ptr_array_add(overrides, NULL);

    PrefrlRegistry *reg = prefrl_registry_default();
    PrefrlInstance *inst =
        prefrl_instance_new(reg, PREFRL_KIND_ENV, task, (const char *const *)overrides->pdata,
                            (uint64_t)seed, NULL, &err);
    if (inst == NULL)
        goto fail;
    if (frame != NULL) {
        gboolean ok = write_frame(inst, (uint64_t)seed, frame_steps, camera, width, height, frame,
                                  &err);
        prefrl_instance_free(inst);
        if (!ok)
            goto fail;
        printf("wrote %s (%dx%d)\n", frame, width, height);
        goto usage;
    }
    if (video != NULL) {
        gint64 n_frames = 0;
        PrefrlRng policy;
        prefrl_rng_init(&policy, (uint64_t)seed, "random-policy");
        gboolean ok = prefrl_cli_write_video(inst, random_policy, &policy, episodes, camera, width,
                                             height, (int)fps, video, &n_frames, &err);
        prefrl_instance_free(inst);
        if (!ok)
            goto fail;
        printf("wrote %s (%" G_GINT64_FORMAT " episodes, %" G_GINT64_FORMAT " frames, %dx%d, "
               "%" G_GINT64_FORMAT " fps)\n", video, episodes, n_frames, width, height, fps);
        goto usage;
    }
    const PrefrlEnvOps *ops = inst->component->ops;
    PrefrlEnvInfo info = {0};
    ops->info(inst->self, &info);

    float *obs = g_new(float, info.obs_dim);
    float *act = g_new(float, info.act_dim);
    double *returns = g_new(double, episodes);
    PrefrlRng policy;
    prefrl_rng_init(&policy, (uint64_t)seed, "random-policy");
    gint64 steps = 0, nonfinite = 0, successes = 0;
    double step_seconds = 0.0;
    double rmin = INFINITY, rmax = -INFINITY;

    for (gint64 ep = 0; ep < episodes && rc == 0; ep++) {
        if (!ops->reset(inst->self, obs, &err)) {
            rc = 1;
            break;
        }
        double ret = 0.0;
        int success = 0;
        for (;;) {
            random_action(&policy, act, info.act_dim);
            PrefrlEnvStep out = {0};
            gint64 t0 = g_get_monotonic_time();
            gboolean ok = ops->step(inst->self, act, obs, &out, &err);
            step_seconds += (g_get_monotonic_time() - t0) * 1e-6;
            if (!ok) {
                rc = 1;
                break;
            }
            steps++;
            ret += out.reward;
            success |= out.success;
            for (int i = 0; i < info.obs_dim; i++)
                nonfinite += !isfinite(obs[i]);
            if (!isfinite(out.reward))
                nonfinite++;
            if (out.terminal || out.truncated)
                break;
        }
        returns[ep] = ret;
        successes += success;
        rmin = MIN(rmin, ret);
        rmax = MAX(rmax, ret);
    }

    if (rc == 0) {
        double mean = 0.0, var = 0.0;
        for (gint64 i = 0; i < episodes; i++)
            mean += returns[i] / episodes;
        for (gint64 i = 0; i < episodes; i++)
            var += (returns[i] - mean) * (returns[i] - mean);
        double sd = episodes > 1 ? sqrt(var / (episodes - 1)) : 0.0;
        printf("task            %s (%s)\n", inst->component->name,
               prefrl_registry_component_path(reg, inst->component));
        printf("observation     %d floats\n", info.obs_dim);
        printf("action          %d floats in [-1, 1]\n", info.act_dim);
        printf("episode length  %d env steps\n", info.episode_length);
        if (info.nq > 0 || info.nv > 0)
            printf("physics state   nq %d, nv %d\n", info.nq, info.nv);
        printf("random policy   %" G_GINT64_FORMAT " episodes, seed %" G_GINT64_FORMAT "\n",
               episodes, seed);
        printf("return          mean %.2f, std %.2f (min %.2f, max %.2f)\n", mean, sd, rmin,
               rmax);
        if (info.has_success)
            printf("success rate    %.2f\n", (double)successes / episodes);
        printf("speed           %.0f env steps/s (%" G_GINT64_FORMAT " steps, resets excluded)\n",
               step_seconds > 0 ? steps / step_seconds : 0.0, steps);
        if (nonfinite > 0) {
            g_set_error(&err, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "%s produced %" G_GINT64_FORMAT " non-finite observation or reward "
                        "values", task, nonfinite);
            rc = 1;
        }
    }
    g_free(obs);
    g_free(act);
    g_free(returns);
    prefrl_instance_free(inst);
    g_ptr_array_unref(overrides);
    g_strfreev(args);
    g_free(frame);
    g_free(video);
    g_free(camera);
    g_free(size);
    if (rc != 0)
        prefrl_cli_fail(err);
    g_clear_error(&err);
    return rc;

fail:
    rc = prefrl_cli_fail(err);
    g_clear_error(&err);
usage:
    g_ptr_array_unref(overrides);
    g_strfreev(args);
    g_free(frame);
    g_free(video);
    g_free(camera);
    g_free(size);
    return rc;
}

/* ---- prefrl bench env --------------------------------------------------- */

/* raw physics baseline: the same model, the env's reset state, uniform
 * random controls over the ctrlrange, `substeps` plain mj_step calls per
 * env step; no observation, reward or bookkeeping */
typedef struct {
    mjModel *m;
    mjData *d;
    double *qpos0, *qvel0; /* the env's state after a reset */
    int substeps;
} RawSim;

static void raw_clear(RawSim *r)
{
    if (r->d)
        mj_deleteData(r->d);
    if (r->m)
        mj_deleteModel(r->m);
    g_free(r->qpos0);
    g_free(r->qvel0);
    memset(r, 0, sizeof *r);
}

/* seconds for `steps` env steps of raw physics in episodes of `episode` steps */
static double raw_run(RawSim *r, PrefrlRng *rng, gint64 steps, int episode, GError **error)
{
    mjModel *m = r->m;
    mjData *d = r->d;
    PrefrlMjGuard g;
    gint64 t0 = g_get_monotonic_time();
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0) {
        prefrl_mj_guard_fail(&g, error, "running the raw mj_step loop");
        return -1.0;
    }
    for (gint64 s = 0; s < steps; s++) {
        if (s % episode == 0) {
            mj_resetData(m, d);
            memcpy(d->qpos, r->qpos0, sizeof(double) * m->nq);
            memcpy(d->qvel, r->qvel0, sizeof(double) * m->nv);
        }
        for (int i = 0; i < m->nu; i++) {
            double lo = -1.0, hi = 1.0;
            if (m->actuator_ctrllimited[i]) {
                lo = m->actuator_ctrlrange[2 * i];
                hi = m->actuator_ctrlrange[2 * i + 1];
            }
            d->ctrl[i] = prefrl_rng_range(rng, lo, hi);
        }
        for (int k = 0; k < r->substeps; k++)
            mj_step(m, d);
    }
    prefrl_mj_guard_pop(&g);
    double sec = (g_get_monotonic_time() - t0) * 1e-6;
    return prefrl_mj_check_divergence(m, d, error) ? sec : -1.0;
}

/* seconds spent in step() for `steps` env steps: the whole loop is timed
 * and the resets are subtracted, so no clock is read per step */
static double env_run(PrefrlInstance *inst, const PrefrlEnvInfo *info, PrefrlRng *rng,
                      float *obs, float *act, gint64 steps, GError **error)
{
    const PrefrlEnvOps *ops = inst->component->ops;
    gint64 reset_us = 0;
    gboolean need_reset = TRUE;
    gint64 t0 = g_get_monotonic_time();
    for (gint64 s = 0; s < steps; s++) {
        if (need_reset) {
            gint64 r0 = g_get_monotonic_time();
            if (!ops->reset(inst->self, obs, error))
                return -1.0;
            reset_us += g_get_monotonic_time() - r0;
        }
        random_action(rng, act, info->act_dim);
        PrefrlEnvStep out = {0};
        if (!ops->step(inst->self, act, obs, &out, error))
            return -1.0;
        need_reset = out.terminal || out.truncated;
    }
    return (g_get_monotonic_time() - t0 - reset_us) * 1e-6;
}

static gboolean bench_one(PrefrlRegistry *reg, const char *task, gint64 steps, gint64 repeats,
                          uint64_t seed, PrefrlBenchTable *table, GError **error)
{
    PrefrlInstance *inst = prefrl_instance_new(reg, PREFRL_KIND_ENV, task, NULL, seed, NULL,
                                               error);
    if (inst == NULL)
        return FALSE;
    const PrefrlEnvOps *ops = inst->component->ops;
    PrefrlEnvInfo info = {0};
    ops->info(inst->self, &info);
    float *obs = g_new(float, info.obs_dim);
    float *act = g_new(float, info.act_dim);
    double *env_rate = g_new(double, repeats), *raw_rate = g_new(double, repeats);
    RawSim raw = {0};
    char *path = NULL;
    gboolean ok = FALSE, have_raw = FALSE;
    PrefrlRng rng;
    prefrl_rng_init(&rng, seed, "bench-env");

    if (prefrl_mj_instance_physics(inst->self, &path, &raw.substeps) && ops->snapshot) {
        raw.m = prefrl_mj_load_model(path, error);
        if (raw.m == NULL || (raw.d = prefrl_mj_make_data(raw.m, error)) == NULL)
            goto out;
        if (raw.m->nq != info.nq || raw.m->nv != info.nv) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                        "%s: env reports nq %d, nv %d but its model %s has %d, %d", task,
                        info.nq, info.nv, path, raw.m->nq, raw.m->nv);
            goto out;
        }
        raw.qpos0 = g_new(double, info.nq);
        raw.qvel0 = g_new(double, info.nv);
        if (!ops->reset(inst->self, obs, error))
            goto out;
        ops->snapshot(inst->self, raw.qpos0, raw.qvel0, NULL);
        have_raw = TRUE;
    }

    /* one untimed warm-up each, then interleaved timed repeats */
    if (env_run(inst, &info, &rng, obs, act, MIN(steps, 200), error) < 0 ||
        (have_raw && raw_run(&raw, &rng, MIN(steps, 200), info.episode_length, error) < 0))
        goto out;
    for (gint64 r = 0; r < repeats; r++) {
        double se = env_run(inst, &info, &rng, obs, act, steps, error);
        if (se < 0)
            goto out;
        env_rate[r] = steps / se;
        if (have_raw) {
            double sr = raw_run(&raw, &rng, steps, info.episode_length, error);
            if (sr < 0)
                goto out;
            raw_rate[r] = steps / sr;
        }
    }
    double env_med = prefrl_bench_median(env_rate, (int)repeats);
    prefrl_bench_cell(table, "%s", task);
    if (have_raw) {
        double raw_med = prefrl_bench_median(raw_rate, (int)repeats);
        prefrl_bench_cell(table, "%d", raw.substeps);
        prefrl_bench_cell(table, "%.0f", env_med);
        prefrl_bench_cell(table, "%.0f", raw_med);
        prefrl_bench_cell(table, "%.1f%%", 100.0 * (raw_med / env_med - 1.0));
    } else {
        prefrl_bench_cell(table, "-");
        prefrl_bench_cell(table, "%.0f", env_med);
        prefrl_bench_cell(table, "n/a");
        prefrl_bench_cell(table, "n/a");
    }
    prefrl_bench_row_end(table);
    ok = TRUE;
out:
    raw_clear(&raw);
    g_free(path);
    g_free(obs);
    g_free(act);
    g_free(env_rate);
    g_free(raw_rate);
    prefrl_instance_free(inst);
    return ok;
}

static const PrefrlCliUsage bench_env_usage = {
    "bench env", "[TASK ...]",
    "Env steps/s through the plugin against raw mj_step loops on the same model.",
    "The raw loop does the same physics work (the env's reset state, random controls, its\n"
    "substeps of plain mj_step) without the observation, reward and bookkeeping code, so\n"
    "the overhead column is what the plugin adds.  Envs without MuJoCo physics report their\n"
    "own speed only.  Default: every env component; medians of interleaved repeats."};

int prefrl_cmd_bench_env(int argc, char **argv)
{
    GError *err = NULL;
    gint64 steps = 5000, repeats = 5, seed = 1;
    const GOptionEntry entries[] = {
        {"steps", 0, 0, G_OPTION_ARG_INT64, &steps, "env steps per repeat (default 5000)", "N"},
        {"repeats", 0, 0, G_OPTION_ARG_INT64, &repeats, "timed repeats (default 5)", "R"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed of the envs and actions (default 1)", "S"},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&bench_env_usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (steps < 1 || repeats < 1 || repeats > 100000 || seed < 0) {
        g_strfreev(args);
        return prefrl_cli_usage_error(&bench_env_usage, "--steps and --repeats take counts >= 1 "
                                      "(repeats at most 100000), --seed an integer >= 0");
    }
    GPtrArray *tasks = g_ptr_array_new();
    for (char **a = args; *a; a++)
        g_ptr_array_add(tasks, *a);
    rc = 0;

    PrefrlRegistry *reg = prefrl_registry_default();
    if (tasks->len == 0) {
        /* every env once: aliases share their target's create function */
        GPtrArray *all = prefrl_registry_list(reg, PREFRL_KIND_ENV);
        GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (guint i = 0; i < all->len; i++) {
            const PrefrlComponent *c = all->pdata[i];
            if (g_hash_table_add(seen, (gpointer)c->create))
                g_ptr_array_add(tasks, (gpointer)c->name);
        }
        g_hash_table_unref(seen);
        g_ptr_array_unref(all);
        if (tasks->len == 0) {
            g_set_error_literal(&err, PREFRL_ERROR, PREFRL_ERROR_PLUGIN,
                                "no env components installed");
            goto fail;
        }
    }
    printf("# prefrl bench env: %" G_GINT64_FORMAT " env steps x %" G_GINT64_FORMAT
           " repeats, uniform random actions, medians; raw = same model, plain mj_step\n",
           steps, repeats);
    static const PrefrlBenchColumn cols[] = {
        {"task", -18}, {"substeps", 8}, {"env steps/s", 14}, {"raw steps/s", 14},
        {"overhead", 10}, {NULL, 0},
    };
    PrefrlBenchTable table;
    prefrl_bench_table_begin(&table, cols);
    for (guint i = 0; i < tasks->len; i++) {
        if (!bench_one(reg, tasks->pdata[i], steps, repeats, (uint64_t)seed, &table, &err)) {
            rc = prefrl_cli_fail(err);
            g_clear_error(&err);
        }
    }
    prefrl_bench_table_end(&table);
    g_ptr_array_unref(tasks);
    g_strfreev(args);
    return rc;

fail:
    g_ptr_array_unref(tasks);
    g_strfreev(args);
    rc = prefrl_cli_fail(err);
    g_clear_error(&err);
    return rc;
}
