/* The plugin ABI.
 *
 * A plugin is a shared object exporting exactly one symbol,
 * `prefrl_plugin_entry`, returning a static PrefrlPlugin.  The plugin lists
 * one or more components (an environment task, an agent, a reward learner, a
 * query sampler, a teacher); each has a kind, a name, a parameter schema and
 * a table of functions for its kind.
 *
 * Write a plugin's descriptor and entry symbol with PREFRL_PLUGIN_DEFINE.
 *
 * Compatibility: the core refuses a plugin whose abi_version differs from
 * PREFRL_ABI_VERSION.  Structs carry their struct_size and only ever grow at
 * the end: the loader copies each component and ops table into a zeroed
 * table of the core's full size, so an older plugin's shorter table reads
 * with its missing tail as NULL (tested with a truncated fixture plugin). */
#ifndef PREFRL_PLUGIN_H
#define PREFRL_PLUGIN_H

#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include <prefrl/ckpt.h>
#include <prefrl/error.h>
#include <prefrl/export.h>
#include <prefrl/recipe.h>
#include <prefrl/rng.h>
#include <prefrl/schema.h>
#include <prefrl/version.h>

G_BEGIN_DECLS

/** Bumped on any incompatible change of the structs in this header or in
 *  pbrl.h.  2: save/load hooks write a PrefrlCkpt stream; reward ops
 *  receive the training step; PrefrlContext.total_steps. */
#define PREFRL_ABI_VERSION 2u

/** The name of the one symbol every plugin exports. */
#define PREFRL_PLUGIN_ENTRY_SYMBOL "prefrl_plugin_entry"

/** Marks the entry symbol visible in a plugin built with -fvisibility=hidden. */
#define PREFRL_PLUGIN_EXPORT __attribute__((visibility("default")))

/** Component kinds; the recipe has one section per kind. */
typedef enum {
    PREFRL_KIND_ENV = 1,
    PREFRL_KIND_AGENT,
    PREFRL_KIND_REWARD,
    PREFRL_KIND_SAMPLER,
    PREFRL_KIND_TEACHER
} PrefrlKind;
#define PREFRL_N_KINDS 5

/** Parameter types of a schema. */
typedef enum {
    PREFRL_PARAM_INT = 1, /* 64-bit integer; range [min, max] unless min == max */
    PREFRL_PARAM_FLOAT,   /* double; range [min, max] unless min == max; "inf" allowed */
    PREFRL_PARAM_BOOL,    /* true/false */
    PREFRL_PARAM_STRING,  /* free text (e.g. a file path) */
    PREFRL_PARAM_CHOICE   /* one of the '|'-separated words in `choices` */
} PrefrlParamType;

/** One entry of a parameter schema.  A schema is an array ending with an
 *  entry whose key is NULL. */
typedef struct PrefrlParamSpec {
    const char *key;      /* recipe key, e.g. "max_feedback" */
    PrefrlParamType type;
    const char *dflt;     /* default as recipe text, e.g. "0.99"; NULL = required */
    double min, max;      /* inclusive range for INT/FLOAT; ignored when min == max */
    const char *choices;  /* for CHOICE: "uniform|disagreement|entropy" */
    const char *doc;      /* one line for `prefrl describe` */
} PrefrlParamSpec;

/** What an environment reports about itself once created. */
typedef struct PrefrlEnvInfo {
    uint32_t struct_size;
    int obs_dim;          /* observation length */
    int act_dim;          /* action length; actions live in [-1, 1]^act_dim */
    int episode_length;   /* control steps before the time limit */
    int has_success;      /* 1 when step() reports a meaningful success flag */
    int nq, nv;           /* physics snapshot sizes (qpos, qvel); 0 if none */
} PrefrlEnvInfo;

/** Outcome of one control step. */
typedef struct PrefrlEnvStep {
    float reward;         /* true (task) reward of this control step */
    int terminal;         /* a true termination: do not bootstrap */
    int truncated;        /* the time limit ended the episode */
    int success;          /* task success at this step (0 when not reported) */
} PrefrlEnvStep;

/** Function table of an environment component (kind PREFRL_KIND_ENV).
 *  The environment draws initial states from the stream in its context. */
typedef struct PrefrlEnvOps {
    uint32_t struct_size;
    /** Fill *info (required). */
    void (*info)(void *self, PrefrlEnvInfo *info);
    /** Start an episode; write the first observation to obs (obs_dim floats). */
    gboolean (*reset)(void *self, float *obs, GError **error);
    /** Apply action (act_dim floats in [-1, 1], clipped), write next obs. */
    gboolean (*step)(void *self, const float *action, float *obs, PrefrlEnvStep *out,
                     GError **error);
    /** Physics state after the last reset/step: nq qpos, nv qvel, sim time.
     *  Optional (NULL when nq == nv == 0). */
    void (*snapshot)(void *self, double *qpos, double *qvel, double *time);
    /* Appended later: a plugin built before these fields existed
     * has a shorter table, which the loader copies into a zeroed full-size
     * one, so they read as NULL ("cannot render"). */
    /** Render one RGB frame (optional).  The state is the current one when
     *  qpos is NULL, else the physics state qpos (nq), qvel (nv), time as
     *  snapshot() gives it; the live simulation is left untouched either
     *  way.  camera: one of cameras()' names, NULL for the task's default
     *  view.  rgb receives width * height * 3 bytes, rows top-down.
     *  FALSE with a one-line error (unknown camera, size out of range,
     *  renderer failure). */
    gboolean (*render)(void *self, const double *qpos, const double *qvel, double time,
                       const char *camera, int width, int height, uint8_t *rgb, GError **error);
    /** The camera names render() accepts, NULL-terminated (transfer none,
     *  valid while the instance lives); optional, NULL when render is. */
    const char *const *(*cameras)(void *self);
    /** Let the episode just started run past its time limit (optional):
     *  until the next reset, step() goes on stepping the physics (whole
     *  action repeats after the limit) instead of refusing, and reports
     *  truncated = 1 from the limit on.  Steps up to the limit are the same
     *  as without it.  The trainer calls it on the evaluation episodes of
     *  the Q diagnostic to follow them beyond the limit (their true
     *  discounted return: the physics has no time limit).  NULL: episodes
     *  cannot go on (the diagnostic against the true value is then nan). */
    void (*lift_time_limit)(void *self);
} PrefrlEnvOps;

/** What the core hands to a component's create(). */
typedef struct PrefrlContext {
    uint32_t struct_size;
    uint64_t seed;               /* the run's master seed */
    PrefrlRng rng;               /* this component's own stream (copy it) */
    const PrefrlEnvInfo *env;    /* the run's environment; NULL when creating it */
    const char *run_dir;         /* run directory, NULL outside a run */
    const PrefrlNode *recipe;    /* the whole validated recipe (transfer none) */
    int64_t total_steps;         /* the run's trainer.num_train_steps; 0 outside a run */
} PrefrlContext;

/** Component flags. */
enum {
    PREFRL_FLAG_CRITIC_VIEW = 1u << 0,       /* agent: exposes a critic view (SAC) */
    PREFRL_FLAG_NEEDS_CRITIC_VIEW = 1u << 1, /* reward: requires an agent with one (MRN) */
    PREFRL_FLAG_ON_POLICY = 1u << 2          /* agent: learns from rollouts (PPO), see PrefrlAgentOps */
};

/** One component of a plugin. */
typedef struct PrefrlComponent {
    uint32_t struct_size;        /* sizeof(PrefrlComponent) when built */
    PrefrlKind kind;
    const char *name;            /* unique within its kind, e.g. "pebble" */
    const char *summary;         /* one line for `prefrl plugins` */
    const PrefrlParamSpec *params; /* schema, NULL-key terminated (may be NULL) */
    uint32_t flags;              /* PREFRL_FLAG_* */
    /** Create an instance from its validated parameter section (required). */
    void *(*create)(const PrefrlNode *params, const PrefrlContext *ctx, GError **error);
    /** Free an instance and everything it owns (required). */
    void (*destroy)(void *self);
    /** Write / read the instance state for checkpoints and resume
     *  (optional).  The core opens the stream and checks its checksum;
     *  load reads the fields in the order save wrote them. */
    gboolean (*save)(void *self, PrefrlCkpt *out, GError **error);
    gboolean (*load)(void *self, PrefrlCkpt *in, GError **error);
    /** Kind-specific function table: PrefrlEnvOps for PREFRL_KIND_ENV, ... */
    const void *ops;
    void *reserved[4];           /* must be NULL */
    /* Appended later: a plugin built before these fields existed has a
     * shorter descriptor, which the loader copies into a zeroed full-size
     * one, so they read as NULL. */
    /** Check the constraints between parameters of a validated section that
     *  per-key ranges cannot express, e.g. a lower bound below an upper one
     *  (optional).  Called by recipe resolution, so `prefrl check` refuses
     *  what create() would; ctx->recipe is the whole resolved recipe and
     *  ctx->env is NULL.  The message names the key but not the component:
     *  the core prefixes "kind/name: ". */
    gboolean (*validate)(const PrefrlNode *params, const PrefrlContext *ctx, GError **error);
    /** Bytes an instance created from params will allocate (networks,
     *  optimiser state, buffers, workspaces), or an upper estimate; G_MAXUINT64
     *  for "more than can be counted" (optional).  ctx->env is set.  `prefrl
     *  check` and `prefrl run` add it to the trainer's own buffers and refuse a
     *  recipe that does not fit before anything is allocated. */
    guint64 (*memory)(const PrefrlNode *params, const PrefrlContext *ctx);
} PrefrlComponent;

/** The descriptor returned by a plugin's entry symbol. */
typedef struct PrefrlPlugin {
    uint32_t abi_version;        /* PREFRL_ABI_VERSION when built */
    uint32_t struct_size;        /* sizeof(PrefrlPlugin) when built */
    const char *name;            /* plugin name, e.g. "dmc" */
    const char *version;         /* plugin version string */
    const PrefrlComponent *const *components; /* NULL-terminated */
    void *reserved[4];           /* must be NULL */
} PrefrlPlugin;

/** Signature of the entry symbol. */
typedef const PrefrlPlugin *(*PrefrlPluginEntryFunc)(void);

/** Write a plugin's descriptor and its exported entry symbol:
 *
 *      PREFRL_PLUGIN_DEFINE("rune", "1.0", &reward_rune);
 *
 *  name and version are string literals (in-tree plugins pass
 *  PREFRL_VERSION), then one or more `const PrefrlComponent *`. */
#define PREFRL_PLUGIN_DEFINE(plugin_name, plugin_version, ...)                                  \
    static const PrefrlComponent *const prefrl_plugin_components_[] = {__VA_ARGS__, NULL};   \
    static const PrefrlPlugin prefrl_plugin_descriptor_ = {                                   \
        .abi_version = PREFRL_ABI_VERSION,                                                    \
        .struct_size = sizeof(PrefrlPlugin),                                                  \
        .name = plugin_name,                                                                  \
        .version = plugin_version,                                                            \
        .components = prefrl_plugin_components_,                                             \
    };                                                                                        \
    PREFRL_PLUGIN_EXPORT const PrefrlPlugin *prefrl_plugin_entry(void);                       \
    const PrefrlPlugin *prefrl_plugin_entry(void)                                             \
    {                                                                                         \
        return &prefrl_plugin_descriptor_;                                                    \
    }

/** Name of a kind as used in recipes and on the command line ("env", ...). */
PREFRL_API const char *prefrl_kind_name(PrefrlKind kind);

/** Recipe key that selects the component of a kind: "task" for env, "name"
 *  otherwise. */
PREFRL_API const char *prefrl_kind_selector(PrefrlKind kind);

/** Kind from its recipe name ("env", "agent", ...); 0 if unknown. */
PREFRL_API PrefrlKind prefrl_kind_from_name(const char *name);

G_END_DECLS

#endif
