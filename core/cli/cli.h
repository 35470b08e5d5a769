/* The `prefrl` program's commands and what they share.  Each command takes
 * (argc, argv) with argv[0] its own name, returns the process exit status,
 * answers -h/--help with its usage (status 0), reports usage errors in one
 * line (status 2) and other errors as "prefrl: error: ..." (status 1). */
#ifndef PREFRL_CLI_H
#define PREFRL_CLI_H

#include <glib.h>
#include <prefrl/component.h>
#include <prefrl/recipe.h>

/** What a command's --help shows. */
typedef struct PrefrlCliUsage {
    const char *name;        /* the words after "prefrl": "run", "bench agent" */
    const char *parameters;  /* its positional arguments, e.g. "RECIPE [k=v ...]"; may be NULL */
    const char *summary;     /* one sentence */
    const char *description; /* shown after the options; may be NULL */
} PrefrlCliUsage;

/** Print "prefrl: error: MESSAGE" to stderr and return 1. */
int prefrl_cli_fail(const GError *error);

/** Print a one-line usage error (the message, the usage line and a pointer
 *  to --help) to stderr and return 2. */
int prefrl_cli_usage_error(const PrefrlCliUsage *usage, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/** Parse a command's arguments (argv[0] is the command's name) with one
 *  GOptionContext: the options of `entries` (NULL-terminated, may be NULL)
 *  anywhere on the line, "--" ending them, every other argument kept in
 *  order in *args.  A short option's value may be attached ("-j4").  String
 *  options are set to newly allocated strings (g_free them).
 *  Returns -1 to go on, with *args set (transfer full: g_strfreev); else the
 *  exit status with *args NULL: 0 after printing the help for -h/--help,
 *  2 after a usage error (printed). */
int prefrl_cli_parse(const PrefrlCliUsage *usage, const GOptionEntry *entries, int argc,
                     char **argv, char ***args);

/** Print the plugin files that failed to load as "prefrl: warning: ...". */
void prefrl_cli_print_failures(void);

/** Load the recipe at `path` with its includes, apply `overrides`
 *  ("section.key=value", NULL-terminated, may be NULL) in order, and
 *  validate it against the installed components; `required` is a bit mask
 *  of (1 << kind) for the sections that must be present.  (transfer full) */
PrefrlNode *prefrl_cli_load_recipe(const char *path, const char *const *overrides,
                                   guint required, GError **error);

/** A policy for a recorded rollout: act (act_dim) for obs. */
typedef void (*PrefrlCliPolicy)(void *ctx, const float *obs, float *act, int act_dim);

/** Which states a played rollout renders, and where the frames go. */
typedef struct PrefrlCliFrameSink {
    /** Whether to render state `index` (0: the reset state) of episode
     *  `episode` (from 0); `last`: the episode's final state.  NULL: every
     *  state. */
    gboolean (*want)(void *ctx, gint64 episode, gint64 index, gboolean last);
    /** Take one rendered frame: height rows of width RGB pixels, top row first. */
    gboolean (*frame)(void *ctx, const guint8 *rgb, GError **error);
    void *ctx;
} PrefrlCliFrameSink;

/** Play `episodes` episodes of the env `inst` with `policy`, rendering the
 *  states `sink` wants from `camera` (NULL: the task's view) at width x
 *  height; the physics is as without rendering.  Fails at once when the env
 *  cannot render. (cmd_env.c) */
gboolean prefrl_cli_play(PrefrlInstance *inst, PrefrlCliPolicy policy, void *ctx,
                         gint64 episodes, const char *camera, int width, int height,
                         const PrefrlCliFrameSink *sink, GError **error);

/** `episodes` episodes of the env `inst` driven by `policy`, every state
 *  from each reset on, rendered from `camera` (NULL: the task's view) at
 *  width x height into the video `path` (.mp4 or .webm) at `fps`; the
 *  physics is as without rendering.  *n_frames: the frames written.
 *  (cmd_env.c) */
gboolean prefrl_cli_write_video(PrefrlInstance *inst, PrefrlCliPolicy policy, void *ctx,
                                gint64 episodes, const char *camera, int width, int height,
                                int fps, const char *path, gint64 *n_frames, GError **error);

/** "WxH" into width, height (each 1 to G_MAXINT); FALSE otherwise (cmd_env.c) */
gboolean prefrl_cli_parse_size(const char *text, int *width, int *height);

/** A run's saved agent, ready to act: the run's config.yaml (*root), its
 *  env (*env) and its agent (*agent) restored from checkpoint/agent.bin;
 *  each freed by the caller (prefrl_node_free, prefrl_instance_free) on
 *  success, nothing left on failure.  (cmd_render.c) */
gboolean prefrl_cli_open_run_agent(const char *dir, PrefrlNode **root, PrefrlInstance **env,
                                   PrefrlInstance **agent, GError **error);

/** The agent's deterministic action (ctx: the agent of
 *  prefrl_cli_open_run_agent), as evaluations act.  (cmd_render.c) */
void prefrl_cli_agent_policy(void *ctx, const float *obs, float *act, int act_dim);

/** `prefrl render RUN_DIR [--episodes N] [--camera C] [-o FILE]` (cmd_render.c) */
int prefrl_cmd_render(int argc, char **argv);

/** `prefrl env TASK [--episodes N] [--seed S] [key=value ...]` (cmd_env.c) */
int prefrl_cmd_env(int argc, char **argv);
/** `prefrl sweep GRID.yaml [-j N] [--dry-run] [--dir DIR]` (cmd_sweep.c) */
int prefrl_cmd_sweep(int argc, char **argv);
/** `prefrl report DIR... [-o OUT] [--all] [--frames] [--x labels] [--band ci]` (cmd_report.c) */
int prefrl_cmd_report(int argc, char **argv);
/** `prefrl bench WHAT [...]`: runs one benchmark target (bench.c) */
int prefrl_cmd_bench(int argc, char **argv);

/** `prefrl bench env [TASK ...] [--steps N] [--repeats R] [--seed S]` (cmd_env.c) */
int prefrl_cmd_bench_env(int argc, char **argv);
/** `prefrl bench nn [--repeats R] [--threads T,...] [--net NAME]` (bench_nn.c) */
int prefrl_cmd_bench_nn(int argc, char **argv);
/** `prefrl bench agent [RECIPE ...] [k=v ...]`: agent updates/s (bench_agent.c) */
int prefrl_cmd_bench_agent(int argc, char **argv);
/** `prefrl bench meta [RECIPE ...] [k=v ...]`: a reward's meta step (bench_meta.c) */
int prefrl_cmd_bench_meta(int argc, char **argv);
/** `prefrl bench trainer [RECIPE] [k=v ...]`: env steps/s in the trainer (bench_trainer.c) */
int prefrl_cmd_bench_trainer(int argc, char **argv);

#endif
