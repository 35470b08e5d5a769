/* Meta-world v2 manipulation tasks on MuJoCo: internal interface of the
 * metaworld env plugin (shared by the plugin glue, the task table and the
 * test suite, which compiles these sources in to inspect and set the state).
 *
 * Conventions follow docs/tasks.md (Meta-world
 * commit a0009ed as used by B-Pref): a mocap-driven gripper, 4-D actions,
 * 39-D observations, 5 physics steps per env step, v2 rewards in [0, 10]. */
#ifndef PREFRL_MW_ENV_H
#define PREFRL_MW_ENV_H

#include <stdio.h>
#include <glib.h>
#include <mujoco/mujoco.h>

#include <prefrl/plugin.h>
#include <prefrl/rng.h>

G_BEGIN_DECLS

#define MW_OBS_DIM 39          /* observation length */
#define MW_ACT_DIM 4           /* dx, dy, dz (mocap displacement), gripper effort */
#define MW_HALF_OBS 18         /* hand, opening, two object blocks; stacked twice */
#define MW_ACTION_SCALE 0.01   /* metres of mocap travel per unit action per step */
#define MW_HAND_RESET_REPS 50  /* hand-reset repetitions of 5 physics steps each */
#define MW_HAND_RESET_SKIP 5

typedef struct MwTask MwTask;
typedef struct MwEnv MwEnv;

/** Which models a task runs on: the bundled primitive-geom approximations or
 *  Meta-world's own v2 scenes (the Sawyer arm, meshes), read the way the
 *  original environment code reads them. */
typedef enum MwScene {
    MW_SCENE_BUNDLED,
    MW_SCENE_ORIGINAL,
} MwScene;

/** The environment variable naming the original scenes' directory (the
 *  default of the assets option). */
#define MW_ASSETS_ENV "PREFRL_METAWORLD_ASSETS"

/** Creation options of one environment (the plugin's parameters). */
typedef struct MwOptions {
    const char *model;      /* MJCF path; NULL or "" = the scene's file of the task */
    MwScene scene;          /* the model layout (and default file) */
    const char *assets;     /* original scenes' directory; NULL or "" = $PREFRL_METAWORLD_ASSETS */
    int episode_length;     /* original env steps per episode (the time limit), > 0 */
    int action_repeat;      /* original env steps per step() (rewards summed), > 0 */
    int frame_skip;         /* physics steps per original env step, > 0 (5) */
    gboolean observe_goal;  /* write the goal into obs[36:39] (B-Pref: zeros) */
} MwOptions;

/** The reward terms of one evaluation (names after Meta-world's info dict). */
typedef struct MwEval {
    double reward;          /* shaped v2 reward, in [0, 10] */
    int success;            /* the task's success criterion */
    double near_object;     /* task-specific, see the reference */
    double grasp_reward;
    double in_place_reward;
    double obj_to_target;
} MwEval;

/** The per-task part: ids, placement, object observation and reward. */
struct MwTask {
    const char *name;        /* Meta-world name without version, e.g. "door-open" */
    const char *alias;       /* versioned name, e.g. "door-open-v2" */
    const char *model_file;  /* bundled MJCF file name */
    const char *original_file; /* the v2 scene, relative to the assets directory */
    double hand_init[3];     /* hand target during the reset */
    /** Resolve the task's names in env->m (all missing names in one error). */
    gboolean (*bind)(MwEnv *env, GError **error);
    /** Before the hand reset: draw the episode's random placement and move
     *  static bodies / sites in the model (may be NULL). */
    void (*place_static)(MwEnv *env);
    /** After the hand reset: write free-object poses into qpos (may be NULL). */
    void (*place_free)(MwEnv *env);
    /** After placement and mj_forward: per-episode constants (target,
     *  margins) (may be NULL). */
    void (*init_episode)(MwEnv *env);
    /** Write obs[4:18) (object positions and orientations). */
    void (*observe)(const MwEnv *env, double *obs);
    /** Reward and success of the current state; obs is the current full
     *  observation, grip the clipped gripper action a3. */
    void (*evaluate)(const MwEnv *env, const double *obs, double grip, MwEval *ev);
};

/** The environment.  Fields are internal to the plugin and its tests. */
struct MwEnv {
    const MwTask *task;
    mjModel *m;
    mjData *d;
    char *model_path;        /* resolved model file (owned) */
    PrefrlRng rng;           /* placement stream, copied from the context */
    MwOptions opt;           /* opt.model and opt.assets are NULL after creation */
    gboolean original;       /* the original scene: read what the original code reads */
    int t;                   /* original env steps since the last reset */
    gboolean need_reset;     /* no episode running (before reset, after an error) */
    gboolean unlimited;      /* this episode runs past the time limit */

    /* common ids */
    int hand_body, mocap_id, site_r, site_l, pad_r, pad_l, act_r, act_l;
    int hand_qadr;           /* qpos address of the hand's free joint, -1 if none */

    /* task ids (their meaning is per task; -1 when unused) */
    int obj_body, obj_site, static_body, goal_site, obj2_body, joint_qadr;
    int obj_geom;            /* original scenes: the geom the original reads (door, sweep) */
    int free_qadr, free_dadr;  /* a free object's qpos / qvel address */

    /* per-episode constants */
    double init_tcp[3];      /* tcp centre after the hand reset */
    double obj_init[3];      /* object (or fixture) position at reset */
    double target[3];        /* goal position */
    double margin[2];        /* task-specific reward margins */

    double obs[MW_OBS_DIM];  /* last observation (double precision) */
    PrefrlMjRenderer *renderer; /* offscreen renderer (GL context made on first use) */
};

/** Task by Meta-world name or -v2 alias, NULL if unknown. */
const MwTask *mw_task_find(const char *name);

/** The task table, NULL-terminated (transfer none). */
const MwTask *const *mw_tasks(void);

/** Create an environment of `task` (model loaded, names bound, not reset).
 *  `rng` is copied.  (transfer full: mw_env_free) */
MwEnv *mw_env_new(const MwTask *task, const MwOptions *opt, const PrefrlRng *rng,
                  GError **error);
void mw_env_free(MwEnv *env);

/** Fill the env description (obs 39, act 4, has_success 1, nq, nv). */
void mw_env_info(const MwEnv *env, PrefrlEnvInfo *info);

/** Start an episode: reset, hand reset, random placement; first observation
 *  (39 floats) to obs. */
gboolean mw_env_reset(MwEnv *env, float *obs, GError **error);

/** One env step with action (4 floats, clipped to [-1, 1]); next observation
 *  to obs.  Fails on a non-finite action, a step without a running episode,
 *  and a MuJoCo error (then the episode is over: reset before stepping). */
gboolean mw_env_step(MwEnv *env, const float *action, float *obs, PrefrlEnvStep *out,
                     GError **error);

/** Let the episode just reset go on past its time limit until the next
 *  reset (PrefrlEnvOps.lift_time_limit). */
void mw_env_lift_time_limit(MwEnv *env);

/** qpos (nq), qvel (nv) and time after the last reset/step; NULL outputs skipped. */
void mw_env_snapshot(const MwEnv *env, double *qpos, double *qvel, double *time);

/** Render a frame (PrefrlEnvOps.render): the current state when qpos is
 *  NULL, else the given one; camera NULL = the bundled scenes' "corner2"
 *  view when the model has it (then "corner"), else (and always on the
 *  original scenes) a free camera on the workspace. */
gboolean mw_env_render(MwEnv *env, const double *qpos, const double *qvel, double time,
                       const char *camera, int width, int height, guint8 *rgb, GError **error);

/** Write the state that determines the future (physics, fixture placement,
 *  rng, episode constants, frame stack) to a checkpoint stream. */
gboolean mw_env_save(const MwEnv *env, PrefrlCkpt *out, GError **error);

/** Restore a state written by mw_env_save for the same task and model.  A
 *  state of another task, model or component is the stream's format error
 *  and leaves the env as it was; a failure while reading the physics
 *  leaves it needing a reset. */
gboolean mw_env_load(MwEnv *env, PrefrlCkpt *in, GError **error);

/** Recompute kinematics, the current half observation and the reward terms
 *  of the present state, without stepping (for tests after editing qpos).
 *  The frame-stack half of env->obs is left as is. */
gboolean mw_env_evaluate(MwEnv *env, double grip, MwEval *ev, GError **error);

/* helpers shared by the task table */

/** tcp centre: midpoint of the two fingertip sites. */
void mw_tcp_center(const MwEnv *env, double tcp[3]);

/** Meta-world's long-tail tolerance (value 0.1 at the margin); a negative
 *  margin is treated as 0. */
double mw_lt(double x, double lo, double hi, double margin);

/** Meta-world's Hamacher product. */
double mw_hamacher(double a, double b);

G_END_DECLS

#endif
