/* prefrl-env-metaworld: the six Meta-world v2 manipulation tasks of the
 * Meta-Reward-Net paper as env components (door-open, button-press,
 * drawer-open, window-open, sweep-into, hammer, plus their -v2 aliases). */
#include <string.h>

#include <prefrl/mjenv.h>
#include <prefrl/plugin.h>

#include "mw_env.h"

static const PrefrlParamSpec mw_params[] = {
    {"scene", PREFRL_PARAM_CHOICE, "bundled", 0, 0, "bundled|original",
     "bundled: prefrl's fast primitive-geom models (a free-floating hand); original: "
     "Meta-world's own v2 scenes (the Sawyer arm, meshes) from the assets directory, read "
     "as the original environment code reads them (docs/metaworld-original.md)"},
    {"assets", PREFRL_PARAM_STRING, "", 0, 0, NULL,
     "scene original: Meta-world's v2 scene directory (metaworld/envs/assets_v2, holding "
     "sawyer_xyz/ and objects/); empty = $PREFRL_METAWORLD_ASSETS"},
    {"model", PREFRL_PARAM_STRING, "", 0, 0, NULL,
     "MJCF file to simulate instead of the scene's file of the task; it must keep the "
     "names that scene's layout needs (bundled: the task's body, joint, site and actuator "
     "names; original: the v2 scene's)"},
    {"episode_length", PREFRL_PARAM_INT, "500", 1, 1e9, NULL,
     "original env steps per episode (the time limit; Meta-world/B-Pref: 500)"},
    {"action_repeat", PREFRL_PARAM_INT, "1", 1, 1000, NULL,
     "original env steps per env step, holding the action, summing the rewards and "
     "reporting success if any of them succeeds; an episode has "
     "ceil(episode_length / action_repeat) env steps"},
    {"frame_skip", PREFRL_PARAM_INT, "5", 1, 1000, NULL,
     "physics steps (2.5 ms each) per original env step (Meta-world: 5)"},
    {"observe_goal", PREFRL_PARAM_BOOL, "false", 0, 0, NULL,
     "write the goal position into obs[36:39] (B-Pref leaves it zero: partially observable)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void *mw_create(const char *task_name, const PrefrlNode *params, const PrefrlContext *ctx,
                       GError **error)
{
    const MwTask *task = mw_task_find(task_name);
    g_return_val_if_fail(task != NULL, NULL);
    MwOptions opt = {
        .model = prefrl_param_string(params, "model"),
        .scene = g_strcmp0(prefrl_param_string(params, "scene"), "original") == 0
                     ? MW_SCENE_ORIGINAL : MW_SCENE_BUNDLED,
        .assets = prefrl_param_string(params, "assets"),
        .episode_length = (int)prefrl_param_int(params, "episode_length"),
        .action_repeat = (int)prefrl_param_int(params, "action_repeat"),
        .frame_skip = (int)prefrl_param_int(params, "frame_skip"),
        .observe_goal = prefrl_param_bool(params, "observe_goal"),
    };
    MwEnv *env = mw_env_new(task, &opt, &ctx->rng, error);
    if (env != NULL)
        prefrl_mj_describe_instance(env, env->model_path, opt.frame_skip * opt.action_repeat);
    return env;
}

static void mw_destroy(void *self)
{
    if (self == NULL)
        return;
    prefrl_mj_forget_instance(self);
    mw_env_free(self);
}

static void mw_info(void *self, PrefrlEnvInfo *info)
{
    mw_env_info(self, info);
}

static gboolean mw_reset(void *self, float *obs, GError **error)
{
    return mw_env_reset(self, obs, error);
}

static gboolean mw_step(void *self, const float *action, float *obs, PrefrlEnvStep *out,
                        GError **error)
{
    return mw_env_step(self, action, obs, out, error);
}

static void mw_lift_time_limit(void *self)
{
    mw_env_lift_time_limit(self);
}

static void mw_snapshot(void *self, double *qpos, double *qvel, double *time)
{
    mw_env_snapshot(self, qpos, qvel, time);
}

static gboolean mw_render(void *self, const double *qpos, const double *qvel, double time,
                          const char *camera, int width, int height, uint8_t *rgb,
                          GError **error)
{
    return mw_env_render(self, qpos, qvel, time, camera, width, height, rgb, error);
}

static const char *const *mw_cameras(void *self)
{
    const MwEnv *env = self;
    return prefrl_mj_renderer_cameras(env->renderer);
}

static gboolean mw_save(void *self, PrefrlCkpt *out, GError **error)
{
    return mw_env_save(self, out, error);
}

static gboolean mw_load(void *self, PrefrlCkpt *in, GError **error)
{
    return mw_env_load(self, in, error);
}

static const PrefrlEnvOps mw_ops = {
    .struct_size = sizeof(PrefrlEnvOps),
    .info = mw_info,
    .reset = mw_reset,
    .step = mw_step,
    .snapshot = mw_snapshot,
    .render = mw_render,
    .cameras = mw_cameras,
    .lift_time_limit = mw_lift_time_limit,
};

/* one create per task; the -v2 alias component shares it */
#define MW_COMPONENTS(id, name_text, summary_text)                                               \
    static void *create_##id(const PrefrlNode *params, const PrefrlContext *ctx, GError **error) \
    {                                                                                            \
        return mw_create(name_text, params, ctx, error);                                         \
    }                                                                                            \
    static const PrefrlComponent component_##id = {                                              \
        .struct_size = sizeof(PrefrlComponent),                                                  \
        .kind = PREFRL_KIND_ENV,                                                                 \
        .name = name_text,                                                                       \
        .summary = summary_text,                                                                 \
        .params = mw_params,                                                                     \
        .create = create_##id,                                                                   \
        .destroy = mw_destroy,                                                                   \
        .save = mw_save,                                                                         \
        .load = mw_load,                                                                         \
        .ops = &mw_ops,                                                                          \
    };                                                                                           \
    static const PrefrlComponent component_##id##_v2 = {                                         \
        .struct_size = sizeof(PrefrlComponent),                                                  \
        .kind = PREFRL_KIND_ENV,                                                                 \
        .name = name_text "-v2",                                                                 \
        .summary = "the same task as " name_text " (its Meta-world v2 name)",                    \
        .params = mw_params,                                                                     \
        .create = create_##id,                                                                   \
        .destroy = mw_destroy,                                                                   \
        .save = mw_save,                                                                         \
        .load = mw_load,                                                                         \
        .ops = &mw_ops,                                                                          \
    };

MW_COMPONENTS(door_open, "door-open",
              "Meta-world v2: swing a safe's door open by its handle (obs 39, act 4)")
MW_COMPONENTS(button_press, "button-press",
              "Meta-world v2: push a spring-loaded button in (obs 39, act 4)")
MW_COMPONENTS(drawer_open, "drawer-open",
              "Meta-world v2: pull a drawer open by its handle (obs 39, act 4)")
MW_COMPONENTS(window_open, "window-open",
              "Meta-world v2: slide a window sash open (obs 39, act 4)")
MW_COMPONENTS(sweep_into, "sweep-into",
              "Meta-world v2: move a block into a pocket in the table (obs 39, act 4)")
MW_COMPONENTS(hammer, "hammer",
              "Meta-world v2: grasp a hammer and drive a nail in (obs 39, act 4)")

PREFRL_PLUGIN_DEFINE("metaworld", PREFRL_VERSION, &component_door_open, &component_door_open_v2,
                     &component_button_press, &component_button_press_v2, &component_drawer_open,
                     &component_drawer_open_v2, &component_window_open, &component_window_open_v2,
                     &component_sweep_into, &component_sweep_into_v2, &component_hammer,
                     &component_hammer_v2);
