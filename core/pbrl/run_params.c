/* The recipe keys of a run: the top-level scalars and the trainer's
 * settings, with their defaults, ranges and documentation (what `prefrl
 * describe recipe` prints). */
#include "config.h"
#include <math.h>
#include <limits.h>

#include <prefrl/nn.h>

#include "pbrl/run_params.h"
#include "pbrl/rundir.h"

/* Every INT key's range fits the C type the trainer stores it in: int64_t
 * keys (steps, frequencies, the budget, the seed) go up to 2^53, beyond which
 * integers lose precision as doubles; int keys up to INT_MAX or their real
 * limit (tests/core/host/check_schema_sizes.c walks every schema). */
#define INT_MAXF 9007199254740992.0 /* 2^53 */
#define INT_MAXI ((double)INT_MAX)

const PrefrlParamSpec prefrl_run_params[] = {
    {"seed", PREFRL_PARAM_INT, "1", 0, INT_MAXF, NULL,
     "master seed; every component draws from its own stream derived from it"},
    {"name", PREFRL_PARAM_STRING, "", 0, 0, NULL,
     "run name: the run directory's name under out_dir, one path component of letters, digits "
     "and . _ + = , - (not starting with '.'); empty = <task>-<reward>-s<seed>"},
    {"out_dir", PREFRL_PARAM_STRING, "runs", 0, 0, NULL,
     "directory that holds run directories (not empty; '.' for the current one)"},
    {"threads", PREFRL_PARAM_INT, "1", 1, 64, NULL,
     "threads of the networks' matrix products (OpenBLAS's, and oneDNN's OpenMP threads); "
     "the trainer sets them for its whole process when it is built"},
    {"numerics", PREFRL_PARAM_CHOICE, "openblas", 0, 0, "openblas|onednn-fp32|onednn-bf16",
     "backend of every network's matrix products: openblas (float32, the reference), "
     "onednn-fp32, or onednn-bf16 (mixed precision: bf16 inputs, float32 accumulation, "
     "weights, gradients and optimiser state; about 2x openblas's speed for the DMC "
     "preset's networks); the oneDNN ones need a build with oneDNN, onednn-bf16 a CPU with "
     "native BF16 (docs/nn-core.md)"},
    {"numerics_emulated_bf16", PREFRL_PARAM_BOOL, "false", 0, 0, NULL,
     "allow numerics onednn-bf16 on a CPU without native BF16, where oneDNN emulates it "
     "(slower than float32)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const PrefrlParamSpec prefrl_trainer_params[] = {
    {"num_train_steps", PREFRL_PARAM_INT, "1000000", 1, INT_MAXF, NULL,
     "environment steps of training"},
    {"num_seed_steps", PREFRL_PARAM_INT, "1000", 0, INT_MAXF, NULL,
     "initial steps with uniformly random actions"},
    {"num_unsup_steps", PREFRL_PARAM_INT, "9000", 0, INT_MAXF, NULL,
     "steps of unsupervised pre-training with the state-entropy intrinsic reward"},
    {"eval_frequency", PREFRL_PARAM_INT, "10000", 1, INT_MAXF, NULL,
     "evaluate every this many environment steps"},
    {"num_eval_episodes", PREFRL_PARAM_INT, "10", 1, 100000, NULL,
     "deterministic episodes per evaluation"},
    {"checkpoint_frequency", PREFRL_PARAM_INT, "10000", 0, INT_MAXF, NULL,
     "write a resumable checkpoint every this many environment steps (0: only when the "
     "run stops); `prefrl resume` continues from the latest"},
    {"progress_interval", PREFRL_PARAM_FLOAT, "60", 0, 1e9, NULL,
     "seconds between progress lines (step, steps/s, ETA, last evaluation, labels) in log.txt, "
     "and on stderr when it is not a terminal (a batch job's output); 0: none (a terminal "
     "still shows its rewritten line)"},
    {"max_feedback", PREFRL_PARAM_INT, "1400", 0, INT_MAXF, NULL,
     "total preference queries allowed (the label budget)"},
    {"reward_batch", PREFRL_PARAM_INT, "128", 1, 1000000, NULL,
     "queries per feedback session"},
    {"num_interact", PREFRL_PARAM_INT, "5000", 1, INT_MAXI, NULL,
     "environment steps between feedback sessions"},
    {"reward_schedule", PREFRL_PARAM_CHOICE, "constant", 0, 0, "constant|decay|increase",
     "queries per session: int(reward_batch x frac), frac constant 1, decaying (T-t)/T, or "
     "increasing T/(T-t+1) (not capped at reward_batch; later sessions within the budget)"},
    {"topK", PREFRL_PARAM_INT, "5", 1, 1000, NULL,
     "k of the k-nearest-neighbour state-entropy estimate"},
    {"reset_update", PREFRL_PARAM_INT, "100", 0, INT_MAXI, NULL,
     "agent updates right after the critic reset that ends pre-training"},
    {"segment", PREFRL_PARAM_INT, "50", 1, 100000, NULL,
     "length H of the queried segments (steps)"},
    {"divergence_threshold", PREFRL_PARAM_FLOAT, "1e12", 0, INFINITY, NULL,
     "divergence guard: a logged loss or SAC's alpha above this in magnitude stops the run "
     "as failed, naming the value, component and step, without checkpointing the diverged "
     "state (non-finite values always stop it; inf: only those)"},
    {"save_video", PREFRL_PARAM_BOOL, "false", 0, 0, NULL,
     "write the first episode of every evaluation as a video, <run>/videos/eval-<step>.webm "
     "(or .mp4), rendered from the episode's physics states; the environment must render "
     "(refused when the run starts otherwise); eval.csv is the same either way"},
    {"video_format", PREFRL_PARAM_CHOICE, "webm", 0, 0, "webm|mp4",
     "format of the evaluation videos: webm (VP9) or mp4 (H.264)"},
    {"video_camera", PREFRL_PARAM_STRING, "", 0, 0, NULL,
     "camera of the evaluation videos (an unknown name's error lists the task's); empty = the "
     "task's default view"},
    {"video_width", PREFRL_PARAM_INT, "320", 2, 4096, NULL,
     "width in pixels of the evaluation videos"},
    {"video_height", PREFRL_PARAM_INT, "240", 2, 4096, NULL,
     "height in pixels of the evaluation videos"},
    {"video_fps", PREFRL_PARAM_INT, "30", 1, 240, NULL,
     "frames per second of the evaluation videos (one frame per control step)"},
    {"seed_prefs", PREFRL_PARAM_STRING, "", 0, 0, NULL,
     "a preference file (the prefs.bin of an earlier run of the same task, segment and "
     "reward window) whose pairs fill the preference buffer at set-up, outside "
     "max_feedback; the reward learner trains on them before the run starts (a reward.csv "
     "row at step 0).  A relative path is taken from the current directory and stored "
     "absolute in config.yaml; empty = none (docs/preference-data.md)"},
    {"max_memory", PREFRL_PARAM_INT, "0", 0, INT_MAXF, NULL,
     "MiB the run may allocate; `check` and `run` refuse a recipe that needs more (0: the "
     "machine's physical memory)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static const PrefrlRecipeSection run_sections[] = {
    {"trainer", prefrl_trainer_params},
    {NULL, NULL},
};

/* the run keys' own checks, then the run's (segment, budget, memory) */
static gboolean validate_run(const PrefrlNode *root, PrefrlRegistry *reg, GError **error)
{
    return prefrl_run_params_check(root, error) && prefrl_run_validate(root, reg, error);
}

const PrefrlRecipeKeys prefrl_run_keys = {prefrl_run_params, run_sections, validate_run};

gboolean prefrl_run_params_check(const PrefrlNode *root, GError **error)
{
    const PrefrlNode *name = prefrl_node_get(root, "name");
    const PrefrlNode *out = prefrl_node_get(root, "out_dir");
    const char *text = prefrl_node_text(name);
    if (text && *text && !prefrl_rundir_name_ok(text)) {
        char *where = prefrl_node_where(name, FALSE), *shown = g_strescape(text, NULL);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%sname: '%s' is not a run name; it must be one path component of letters, "
                    "digits and . _ + = , - that does not start with '.'",
                    where, shown);
        g_free(shown);
        g_free(where);
        return FALSE;
    }
    /* a backend this build or CPU cannot run is refused before anything starts */
    PrefrlNumerics numerics;
    const PrefrlNode *num = prefrl_node_get(root, "numerics");
    const PrefrlNode *emu = prefrl_node_get(root, "numerics_emulated_bf16");
    GError *num_err = NULL;
    if (num && prefrl_numerics_from_name(prefrl_node_text(num), &numerics, NULL) &&
        !prefrl_numerics_check(numerics, emu && prefrl_param_bool(root, "numerics_emulated_bf16"),
                               &num_err)) {
        char *where = prefrl_node_where(num, FALSE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s%s", where, num_err->message);
        g_free(where);
        g_error_free(num_err);
        return FALSE;
    }
    text = prefrl_node_text(out);
    if (out && (!text || !*text)) {
        char *where = prefrl_node_where(out, FALSE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%sout_dir: must not be empty (write '.' for the current directory)", where);
        g_free(where);
        return FALSE;
    }
    return TRUE;
}
