/* env/dmc's private interface: the layout of an environment's state and the
 * tasks' observation functions (dmc.c).
 *
 * Not part of the plugin SDK and not installed.  The plugin exports only its
 * entry symbol (everything is built with hidden visibility); the tests
 * compile dmc.c into their program to construct physics states on an
 * environment created through the registry and read its rewards and
 * observations. */
#ifndef PREFRL_ENV_DMC_H
#define PREFRL_ENV_DMC_H

#include <prefrl/mjenv.h>
#include <prefrl/plugin.h>

/** Capacity of the id tables of DmcEnv (bodies, sensors, hinges). */
#define DMC_MAX_ITEMS 32

typedef struct DmcEnv DmcEnv;

/** One task: its model, control timestep, task constant and callbacks. */
typedef struct DmcTask {
    const char *name;
    const char *model_file;   /* bundled model (prefrl_mj_find_model) */
    double control_dt;        /* seconds per control step; 0 = one physics step */
    double constant;          /* target speed (m/s) or target size (m) */
    /* resolve names and set obs_dim */
    gboolean (*bind)(DmcEnv *e, GError **error);
    /* set the initial state after mj_resetData (may step or re-reset) */
    gboolean (*init_episode)(DmcEnv *e, GError **error);
    void (*observe)(const DmcEnv *e, float *obs);
    double (*reward)(const DmcEnv *e);
} DmcTask;

/** One env/dmc instance: the component's `self` (dmc_create), its task,
 * MuJoCo model and data, episode clock and the ids its task resolved. */
struct DmcEnv {
    const DmcTask *task;
    mjModel *m;
    mjData *d;
    PrefrlRng rng;            /* initial-state stream, copied from the context */
    char *path;               /* resolved model path */
    char *label;              /* basename of path, for messages */
    int obs_dim;
    int n_sub;                /* physics steps per control step */
    int fast_step;            /* Euler/implicit: mj_step2 + ... + mj_step1 (see physics_step) */
    int episode_length;       /* control steps per episode (the time limit) */
    int action_repeat;        /* control steps per env step */
    int t;                    /* control steps taken in this episode */
    int ready;                /* reset done, no failure since, time limit not reached */
    int unlimited;            /* this episode runs past the time limit (lift_time_limit) */
    PrefrlMjRenderer *renderer; /* offscreen renderer (GL context made on first use) */

    /* ids resolved by bind */
    int body[DMC_MAX_ITEMS];  /* walker: orientation bodies */
    int n_body;
    int torso;                /* body */
    int skip_qpos;            /* cheetah: qpos address left out of the observation */
    int sens[DMC_MAX_ITEMS];  /* sensordata addresses */
    int hinge_q[DMC_MAX_ITEMS], hinge_v[DMC_MAX_ITEMS];
    int n_hinge;
    int root_q;               /* quadruped: qpos address of the free joint */
    int slider_q, pole_v;     /* cartpole: qpos of the slider, qvel of the hinge */
    int pole;                 /* cartpole: pole body */
    int actuator;             /* cartpole: the motor */
    int target, finger;       /* reacher: geoms */
};

/** The observation of each task family at the current state of e, in the
 * suite's order (obs holds e->obs_dim floats). */
void walker_observe(const DmcEnv *e, float *obs);
void cheetah_observe(const DmcEnv *e, float *obs);
void quadruped_observe(const DmcEnv *e, float *obs);
void cartpole_observe(const DmcEnv *e, float *obs);
void reacher_observe(const DmcEnv *e, float *obs);

#endif
