/* prefrl render RUN_DIR: evaluation episodes of a run's saved agent as a
 * video.  The run's resolved recipe (config.yaml) creates its env and agent
 * as the run did; the agent's state comes from checkpoint/agent.bin; each
 * episode is played with the policy's mode (deterministic, as evaluations
 * are) and every state from the reset on is rendered (docs/rendering.md).
 * Opening a run's agent and its policy are shared with `prefrl report
 * --frames` (cmd_report.c). */
#include "config.h"
#include <stdio.h>

#include <prefrl/pbrl.h>

#include "bench.h"
#include "cli.h"
#include "pbrl/rundir.h"
#include "pbrl/trainer.h"

static const PrefrlCliUsage render_usage = {
    "render", "RUN_DIR",
    "Write evaluation episodes of a run's saved agent as a video (.mp4 or .webm).",
    "Loads the run's config.yaml and its saved agent (checkpoint/agent.bin), plays\n"
    "--episodes episodes with the agent's deterministic policy and renders every state\n"
    "from the task's camera (or --camera) into -o FILE (default RUN_DIR/render.mp4)."};

void prefrl_cli_agent_policy(void *ctx, const float *obs, float *act, int act_dim)
{
    (void)act_dim;
    PrefrlInstance *agent = ctx;
    const PrefrlAgentOps *ops = prefrl_instance_ops(agent);
    ops->act(prefrl_instance_self(agent), obs, TRUE, act);
}

gboolean prefrl_cli_open_run_agent(const char *dir, PrefrlNode **root_out,
                                   PrefrlInstance **env_out, PrefrlInstance **agent_out,
                                   GError **error)
{
    if (!prefrl_rundir_is_run(dir)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s is not a run directory (no %s)",
                    dir, prefrl_rundir_name(PREFRL_RUN_CONFIG));
        return FALSE;
    }
    char *cfg = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
    char *saved = prefrl_rundir_checkpoint_file(dir, prefrl_kind_name(PREFRL_KIND_AGENT));
    PrefrlNode *root = NULL;
    PrefrlInstance *env = NULL, *agent = NULL;
    PrefrlEnvInfo info = {.struct_size = sizeof info};
    gboolean ok = (root = prefrl_cli_load_recipe(cfg, NULL, prefrl_trainer_required_kinds(),
                                                 error)) &&
                  (env = prefrl_bench_component(root, PREFRL_KIND_ENV, NULL, error));
    if (ok) {
        ((const PrefrlEnvOps *)prefrl_instance_ops(env))->info(prefrl_instance_self(env), &info);
        ok = (agent = prefrl_bench_component(root, PREFRL_KIND_AGENT, &info, error)) != NULL;
    }
    if (ok && ((const PrefrlAgentOps *)prefrl_instance_ops(agent))->act == NULL) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "agent/%s cannot act",
                    prefrl_instance_component(agent)->name);
        ok = FALSE;
    }
    ok = ok && prefrl_instance_load(agent, saved, error);
    g_free(saved);
    g_free(cfg);
    if (!ok) {
        prefrl_instance_free(agent);
        prefrl_instance_free(env);
        prefrl_node_free(root);
        return FALSE;
    }
    *root_out = root;
    *env_out = env;
    *agent_out = agent;
    return TRUE;
}

int prefrl_cmd_render(int argc, char **argv)
{
    gint64 episodes = 1, fps = 30;
    char *camera = NULL, *size = NULL, *output = NULL;
    const GOptionEntry entries[] = {
        {"episodes", 0, 0, G_OPTION_ARG_INT64, &episodes, "episodes, 1 to 1000 (default 1)", "N"},
        {"camera", 0, 0, G_OPTION_ARG_STRING, &camera, "camera (default: the task's)", "C"},
        {"size", 0, 0, G_OPTION_ARG_STRING, &size, "frame size (default 320x240)", "WxH"},
        {"fps", 0, 0, G_OPTION_ARG_INT64, &fps, "frames per second (default 30)", "F"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
         "the video (.mp4: H.264, .webm: VP9; default RUN_DIR/render.mp4)", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&render_usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    int width = 320, height = 240;
    GError *err = NULL;
    PrefrlNode *root = NULL;
    PrefrlInstance *env = NULL, *agent = NULL;
    char *path = NULL;
    if (!args[0] || args[1]) {
        rc = prefrl_cli_usage_error(&render_usage, "render takes one RUN_DIR");
        goto out;
    }
    if (episodes < 1 || episodes > 1000 || fps < 1 || fps > 240) {
        rc = prefrl_cli_usage_error(&render_usage, "--episodes takes 1 to 1000, --fps 1 to 240");
        goto out;
    }
    if (size != NULL && !prefrl_cli_parse_size(size, &width, &height)) {
        rc = prefrl_cli_usage_error(&render_usage, "--size takes WxH, e.g. 320x240");
        goto out;
    }
    const char *dir = args[0];
    path = output ? g_strdup(output) : g_build_filename(dir, "render.mp4", NULL);
    if (!prefrl_cli_open_run_agent(dir, &root, &env, &agent, &err))
        goto fail;
    gint64 n_frames = 0;
    if (!prefrl_cli_write_video(env, prefrl_cli_agent_policy, agent, episodes, camera, width,
                                height, (int)fps, path, &n_frames, &err))
        goto fail;
    printf("wrote %s (%" G_GINT64_FORMAT " episodes, %" G_GINT64_FORMAT " frames, %dx%d, "
           "%" G_GINT64_FORMAT " fps)\n",
           path, episodes, n_frames, width, height, fps);
    rc = 0;
    goto out;
fail:
    rc = prefrl_cli_fail(err);
    g_clear_error(&err);
out:
    prefrl_instance_free(agent);
    prefrl_instance_free(env);
    prefrl_node_free(root);
    g_free(path);
    g_free(camera);
    g_free(size);
    g_free(output);
    g_strfreev(args);
    return rc;
}
