/* The `prefrl` program's commands and what they share.  Each command takes
 * (argc, argv) with argv[0] its own name, returns the process exit status,
 * answers -h/--help with its usage (status 0), reports usage errors in one
 * line (status 2) and other errors as "prefrl: error: ..." (status 1). */
#ifndef PREFRL_CLI_H
#define PREFRL_CLI_H

#include <glib.h>
#include <prefrl/component.h>
#include <prefrl/recipe.h>

#include "pbrl/trainer.h"

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

/** `episodes` episodes of the env `inst` driven by `policy`, every state
 *  from each reset on, rendered from `camera` (NULL: the task's view) at
 *  width x height into the video `path` (.mp4 or .webm) at `fps`; the
 *  physics is as without rendering.  *n_frames: the frames written.
 *  (cmd_env.c) */
gboolean prefrl_cli_write_video(PrefrlInstance *inst, PrefrlCliPolicy policy, void *ctx,
                                gint64 episodes, const char *camera, int width, int height,
                                int fps, const char *path, gint64 *n_frames, GError **error);

/** The FFmpeg writer (lab/video.h) as a trainer's video sink, for every
 *  trainer the program creates: query clips and evaluation videos
 *  (transfer none, static).  (cmd_env.c) */
const PrefrlVideoSink *prefrl_cli_video_sink(void);

/** "WxH" into width, height (each 1 to G_MAXINT); FALSE otherwise (cmd_env.c) */
gboolean prefrl_cli_parse_size(const char *text, int *width, int *height);

/** `prefrl render RUN_DIR [--episodes N] [--camera C] [-o FILE]` (cmd_render.c) */
int prefrl_cmd_render(int argc, char **argv);

/** `prefrl env TASK [--episodes N] [--seed S] [key=value ...]` (cmd_env.c) */
int prefrl_cmd_env(int argc, char **argv);
/** `prefrl sweep GRID.yaml [-j N] [--dry-run] [--dir DIR]` (cmd_sweep.c) */
int prefrl_cmd_sweep(int argc, char **argv);
/** `prefrl report DIR... [-o OUT] [--all]` (cmd_report.c) */
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
