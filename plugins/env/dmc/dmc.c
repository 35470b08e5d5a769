/* DeepMind Control Suite tasks on the MuJoCo 2.2.2 C API (docs/tasks.md).
 *
 * One plugin, one env component per task: walker_{stand,walk,run},
 * cheetah_run, quadruped_{walk,run}, and the small tasks cartpole_{swingup,
 * balance} and reacher_{easy,hard}.  Models, observation layouts, rewards,
 * timesteps and initial-state distributions follow dm_control's suite as
 * restated in docs/tasks.md, and wrapped the way
 * B-Pref's dmc2gym does: actions in [-1, 1]^A mapped
 * affinely to the actuator ctrlrange, observations concatenated in the
 * suite's order, 1000 control steps per episode, time limit only.
 *
 * The task code reaches the model only through names (bodies, joints, geoms,
 * sensors), so it runs on any MJCF file that keeps them (parameter `model`).
 * The physics step reproduces dm_control's "legacy step": n mj_step calls
 * and a trailing mj_step1, so positions, orientations and position/velocity
 * sensors describe the final state of the control step. */
#include <math.h>
#include <string.h>

#include <prefrl/mjenv.h>
#include <prefrl/plugin.h>

#include "dmc.h"

/* ---- shared pieces ------------------------------------------------------ */

/* sensordata address of a sensor of `dim` values, or fail naming the sensor */
static gboolean sensor_addr(DmcEnv *e, const char *name, int dim, int *adr, GError **error)
{
    int id = mj_name2id(e->m, mjOBJ_SENSOR, name);
    g_assert(id >= 0); /* looked up beforehand */
    if (e->m->sensor_dim[id] != dim) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                    "model %s: sensor '%s' has %d values, the task needs %d", e->label, name,
                    e->m->sensor_dim[id], dim);
        return FALSE;
    }
    *adr = e->m->sensor_adr[id];
    return TRUE;
}

/* fail unless joint `id` has type `type` */
static gboolean joint_type(DmcEnv *e, int id, int type, const char *what, GError **error)
{
    if (e->m->jnt_type[id] != type) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO, "model %s: joint '%s' must be %s",
                    e->label, mj_id2name(e->m, mjOBJ_JOINT, id), what);
        return FALSE;
    }
    return TRUE;
}

/* unit quaternion (w, x, y, z) from 4 standard normals: uniform over rotations */
static void random_quaternion(PrefrlRng *rng, mjtNum *q)
{
    double n2 = 0.0;
    do {
        n2 = 0.0;
        for (int i = 0; i < 4; i++) {
            q[i] = prefrl_rng_normal(rng);
            n2 += q[i] * q[i];
        }
    } while (n2 < 1e-12);
    double n = sqrt(n2);
    for (int i = 0; i < 4; i++)
        q[i] /= n;
}

/* dm_control's randomize_limited_and_rotational_joints: limited hinges and
 * slides uniform in their range, unlimited hinges uniform in [-pi, pi],
 * unlimited balls a uniform rotation, limited balls a random axis turned by
 * up to their limit, free joints' orientation from 4 uniform [0, 1) numbers
 * normalised (dm_control keeps that quirk for benchmark stability); unlimited
 * slides and free joints' positions stay at qpos0 */
static void randomize_joints(DmcEnv *e)
{
    const mjModel *m = e->m;
    for (int j = 0; j < m->njnt; j++) {
        mjtNum *q = e->d->qpos + m->jnt_qposadr[j];
        const mjtNum *range = m->jnt_range + 2 * j;
        switch (m->jnt_type[j]) {
        case mjJNT_HINGE:
        case mjJNT_SLIDE:
            if (m->jnt_limited[j])
                q[0] = prefrl_rng_range(&e->rng, range[0], range[1]);
            else if (m->jnt_type[j] == mjJNT_HINGE)
                q[0] = prefrl_rng_range(&e->rng, -G_PI, G_PI);
            break;
        case mjJNT_BALL:
            if (m->jnt_limited[j]) {
                mjtNum axis[3];
                double n2 = 0.0;
                do {
                    n2 = 0.0;
                    for (int i = 0; i < 3; i++) {
                        axis[i] = prefrl_rng_normal(&e->rng);
                        n2 += axis[i] * axis[i];
                    }
                } while (n2 < 1e-12);
                for (int i = 0; i < 3; i++)
                    axis[i] /= sqrt(n2);
                mju_axisAngle2Quat(q, axis, prefrl_rng_uniform(&e->rng) * range[1]);
            } else {
                random_quaternion(&e->rng, q);
            }
            break;
        case mjJNT_FREE: {
            double n2 = 0.0;
            do {
                n2 = 0.0;
                for (int i = 0; i < 4; i++) {
                    q[3 + i] = prefrl_rng_uniform(&e->rng);
                    n2 += q[3 + i] * q[3 + i];
                }
            } while (n2 < 1e-12);
            for (int i = 0; i < 4; i++)
                q[3 + i] /= sqrt(n2);
            break;
        }
        default:
            break;
        }
    }
}

/* ---- walker ------------------------------------------------------------- */

static const char *const walker_bodies[] = {"torso",     "right_thigh", "right_leg", "right_foot",
                                            "left_thigh", "left_leg",    "left_foot"};

static gboolean walker_bind(DmcEnv *e, GError **error)
{
    PrefrlMjName names[G_N_ELEMENTS(walker_bodies) + 1];
    int sensor = -1;
    e->n_body = G_N_ELEMENTS(walker_bodies);
    for (int i = 0; i < e->n_body; i++)
        names[i] = (PrefrlMjName){mjOBJ_BODY, walker_bodies[i], &e->body[i]};
    names[e->n_body] = (PrefrlMjName){mjOBJ_SENSOR, "torso_subtreelinvel", &sensor};
    if (!prefrl_mj_lookup(e->m, e->label, names, G_N_ELEMENTS(names), error))
        return FALSE;
    if (!sensor_addr(e, "torso_subtreelinvel", 3, &e->sens[0], error))
        return FALSE;
    e->torso = e->body[0];
    /* orientations (2 per body), height, velocity */
    e->obs_dim = 2 * e->n_body + 1 + e->m->nv;
    return TRUE;
}

static gboolean walker_init(DmcEnv *e, GError **error)
{
    randomize_joints(e);
    return TRUE;
}

void walker_observe(const DmcEnv *e, float *obs)
{
    const mjData *d = e->d;
    int k = 0;
    for (int i = 0; i < e->n_body; i++) {
        obs[k++] = (float)d->xmat[9 * e->body[i] + 0];
        obs[k++] = (float)d->xmat[9 * e->body[i] + 2];
    }
    obs[k++] = (float)d->xpos[3 * e->torso + 2];
    for (int i = 0; i < e->m->nv; i++)
        obs[k++] = (float)d->qvel[i];
}

static double walker_reward(const DmcEnv *e)
{
    const mjData *d = e->d;
    double height = d->xpos[3 * e->torso + 2];
    double standing = prefrl_tolerance(height, 1.2, INFINITY, 0.6, PREFRL_SIGMOID_GAUSSIAN, 0.1);
    double upright = 0.5 * (1.0 + d->xmat[9 * e->torso + 8]);
    double stand = (3.0 * standing + upright) / 4.0;
    double speed = e->task->constant;
    if (speed == 0.0)
        return stand;
    double move = prefrl_tolerance(d->sensordata[e->sens[0]], speed, INFINITY, speed / 2.0,
                                   PREFRL_SIGMOID_LINEAR, 0.5);
    return stand * (5.0 * move + 1.0) / 6.0;
}

/* ---- cheetah ------------------------------------------------------------ */

static gboolean cheetah_bind(DmcEnv *e, GError **error)
{
    int rootx = -1, sensor = -1;
    PrefrlMjName names[] = {
        {mjOBJ_JOINT, "rootx", &rootx},
        {mjOBJ_SENSOR, "torso_subtreelinvel", &sensor},
    };
    if (!prefrl_mj_lookup(e->m, e->label, names, G_N_ELEMENTS(names), error))
        return FALSE;
    if (!joint_type(e, rootx, mjJNT_SLIDE, "a slide", error) ||
        !sensor_addr(e, "torso_subtreelinvel", 3, &e->sens[0], error))
        return FALSE;
    e->skip_qpos = e->m->jnt_qposadr[rootx];
    /* position without the forward coordinate, velocity */
    e->obs_dim = e->m->nq - 1 + e->m->nv;
    return TRUE;
}

static gboolean cheetah_init(DmcEnv *e, GError **error)
{
    const mjModel *m = e->m;
    for (int j = 0; j < m->njnt; j++) {
        int type = m->jnt_type[j];
        if (m->jnt_limited[j] && (type == mjJNT_HINGE || type == mjJNT_SLIDE))
            e->d->qpos[m->jnt_qposadr[j]] =
                prefrl_rng_range(&e->rng, m->jnt_range[2 * j], m->jnt_range[2 * j + 1]);
    }
    /* let it settle for 200 physics steps with zero control, then restart the clock */
    if (!prefrl_mj_step(m, e->d, 200, FALSE, error))
        return FALSE;
    e->d->time = 0.0;
    return TRUE;
}

void cheetah_observe(const DmcEnv *e, float *obs)
{
    int k = 0;
    for (int i = 0; i < e->m->nq; i++)
        if (i != e->skip_qpos)
            obs[k++] = (float)e->d->qpos[i];
    for (int i = 0; i < e->m->nv; i++)
        obs[k++] = (float)e->d->qvel[i];
}

static double cheetah_reward(const DmcEnv *e)
{
    double speed = e->task->constant;
    return prefrl_tolerance(e->d->sensordata[e->sens[0]], speed, INFINITY, speed,
                            PREFRL_SIGMOID_LINEAR, 0.0);
}

/* ---- quadruped ---------------------------------------------------------- */

static const char *const quadruped_legs[] = {"front_left", "front_right", "back_right",
                                             "back_left"};

/* sens[] layout: 0 accelerometer, 1 gyro, 2 velocimeter, 3..6 forces, 7..10 torques */
static gboolean quadruped_bind(DmcEnv *e, GError **error)
{
    const mjModel *m = e->m;
    int root = -1, ids[11];
    char *sensor_names[11];
    sensor_names[0] = g_strdup("imu_accel");
    sensor_names[1] = g_strdup("imu_gyro");
    sensor_names[2] = g_strdup("velocimeter");
    for (int l = 0; l < 4; l++) {
        sensor_names[3 + l] = g_strdup_printf("force_toe_%s", quadruped_legs[l]);
        sensor_names[7 + l] = g_strdup_printf("torque_toe_%s", quadruped_legs[l]);
    }
    PrefrlMjName names[13];
    names[0] = (PrefrlMjName){mjOBJ_BODY, "torso", &e->torso};
    names[1] = (PrefrlMjName){mjOBJ_JOINT, "root", &root};
    for (int i = 0; i < 11; i++)
        names[2 + i] = (PrefrlMjName){mjOBJ_SENSOR, sensor_names[i], &ids[i]};
    gboolean ok = prefrl_mj_lookup(m, e->label, names, G_N_ELEMENTS(names), error) &&
                  joint_type(e, root, mjJNT_FREE, "a free joint", error);
    for (int i = 0; ok && i < 11; i++)
        ok = sensor_addr(e, sensor_names[i], 3, &e->sens[i], error);
    for (int i = 0; i < 11; i++)
        g_free(sensor_names[i]);
    if (!ok)
        return FALSE;
    e->root_q = m->jnt_qposadr[root];

    /* the egocentric state covers every hinge, in model order (as dm_control) */
    e->n_hinge = 0;
    for (int j = 0; j < m->njnt; j++) {
        if (m->jnt_type[j] != mjJNT_HINGE)
            continue;
        if (e->n_hinge == DMC_MAX_ITEMS) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                        "model %s has more than %d hinge joints", e->label, DMC_MAX_ITEMS);
            return FALSE;
        }
        e->hinge_q[e->n_hinge] = m->jnt_qposadr[j];
        e->hinge_v[e->n_hinge] = m->jnt_dofadr[j];
        e->n_hinge++;
    }
    /* egocentric state, torso velocity, upright, imu, force/torque */
    e->obs_dim = 2 * e->n_hinge + m->na + 3 + 1 + 6 + 24;
    return TRUE;
}

static gboolean quadruped_init(DmcEnv *e, GError **error)
{
    mjtNum quat[4];
    random_quaternion(&e->rng, quat);
    /* start embedded in the floor and rise in 1 cm steps until nothing touches */
    for (int i = 0; i < 1000; i++) {
        if (i > 0 && !prefrl_mj_reset(e->m, e->d, error))
            return FALSE;
        mjtNum *q = e->d->qpos + e->root_q;
        q[0] = 0.0;
        q[1] = 0.0;
        q[2] = 0.01 * i;
        for (int k = 0; k < 4; k++)
            q[3 + k] = quat[k];
        if (!prefrl_mj_forward(e->m, e->d, TRUE, error))
            return FALSE;
        if (e->d->ncon == 0)
            return TRUE;
    }
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                "model %s: no contact-free start height found below 10 m", e->label);
    return FALSE;
}

void quadruped_observe(const DmcEnv *e, float *obs)
{
    const mjData *d = e->d;
    const mjtNum *s = d->sensordata;
    int k = 0;
    for (int i = 0; i < e->n_hinge; i++)
        obs[k++] = (float)d->qpos[e->hinge_q[i]];
    for (int i = 0; i < e->n_hinge; i++)
        obs[k++] = (float)d->qvel[e->hinge_v[i]];
    for (int i = 0; i < e->m->na; i++)
        obs[k++] = (float)d->act[i];
    for (int i = 0; i < 3; i++)
        obs[k++] = (float)s[e->sens[2] + i];
    obs[k++] = (float)d->xmat[9 * e->torso + 8];
    for (int i = 0; i < 3; i++)
        obs[k++] = (float)s[e->sens[0] + i];
    for (int i = 0; i < 3; i++)
        obs[k++] = (float)s[e->sens[1] + i];
    for (int j = 3; j < 11; j++)
        for (int i = 0; i < 3; i++)
            obs[k++] = (float)asinh(s[e->sens[j] + i]);
}

static double quadruped_reward(const DmcEnv *e)
{
    double speed = e->task->constant;
    double upright = prefrl_tolerance(e->d->xmat[9 * e->torso + 8], 1.0, INFINITY, 2.0,
                                      PREFRL_SIGMOID_LINEAR, 0.0);
    double move = prefrl_tolerance(e->d->sensordata[e->sens[2]], speed, INFINITY, speed,
                                   PREFRL_SIGMOID_LINEAR, 0.5);
    return upright * move;
}

/* ---- cartpole (dm_control suite cartpole.py, smooth reward) ------------- */

static gboolean cartpole_bind(DmcEnv *e, GError **error)
{
    int slider = -1, hinge = -1;
    PrefrlMjName names[] = {
        {mjOBJ_JOINT, "slider", &slider},
        {mjOBJ_JOINT, "hinge_1", &hinge},
        {mjOBJ_BODY, "pole_1", &e->pole},
        {mjOBJ_ACTUATOR, "slide", &e->actuator},
    };
    if (!prefrl_mj_lookup(e->m, e->label, names, G_N_ELEMENTS(names), error))
        return FALSE;
    if (!joint_type(e, slider, mjJNT_SLIDE, "a slide", error) ||
        !joint_type(e, hinge, mjJNT_HINGE, "a hinge", error))
        return FALSE;
    e->slider_q = e->m->jnt_qposadr[slider];
    e->hinge_q[0] = e->m->jnt_qposadr[hinge];
    e->pole_v = e->m->jnt_dofadr[hinge];
    /* cart position, pole (cos, sin), velocity */
    e->obs_dim = 3 + e->m->nv;
    return TRUE;
}

static gboolean cartpole_init(DmcEnv *e, GError **error)
{
    mjData *d = e->d;
    if (e->task->constant > 0.0) {
        /* swing-up: cart centred, pole hanging down */
        d->qpos[e->slider_q] = 0.01 * prefrl_rng_normal(&e->rng);
        d->qpos[e->hinge_q[0]] = G_PI + 0.01 * prefrl_rng_normal(&e->rng);
    } else {
        /* balance: near the upright target */
        d->qpos[e->slider_q] = prefrl_rng_range(&e->rng, -0.1, 0.1);
        d->qpos[e->hinge_q[0]] = prefrl_rng_range(&e->rng, -0.034, 0.034);
    }
    for (int i = 0; i < e->m->nv; i++)
        d->qvel[i] = 0.01 * prefrl_rng_normal(&e->rng);
    return TRUE;
}

void cartpole_observe(const DmcEnv *e, float *obs)
{
    const mjData *d = e->d;
    int k = 0;
    obs[k++] = (float)d->qpos[e->slider_q];
    obs[k++] = (float)d->xmat[9 * e->pole + 8];
    obs[k++] = (float)d->xmat[9 * e->pole + 2];
    for (int i = 0; i < e->m->nv; i++)
        obs[k++] = (float)d->qvel[i];
}

static double cartpole_reward(const DmcEnv *e)
{
    const mjData *d = e->d;
    double upright = 0.5 * (d->xmat[9 * e->pole + 8] + 1.0);
    double centered = prefrl_tolerance(d->qpos[e->slider_q], 0.0, 0.0, 2.0,
                                       PREFRL_SIGMOID_GAUSSIAN, 0.1);
    centered = 0.5 * (1.0 + centered);
    double small_control = prefrl_tolerance(d->ctrl[e->actuator], 0.0, 0.0, 1.0,
                                            PREFRL_SIGMOID_QUADRATIC, 0.0);
    small_control = (4.0 + small_control) / 5.0;
    double small_velocity = prefrl_tolerance(d->qvel[e->pole_v], 0.0, 0.0, 5.0,
                                             PREFRL_SIGMOID_GAUSSIAN, 0.1);
    small_velocity = 0.5 * (1.0 + small_velocity);
    return upright * small_control * small_velocity * centered;
}

/* ---- reacher (dm_control suite reacher.py) ------------------------------ */

static gboolean reacher_bind(DmcEnv *e, GError **error)
{
    PrefrlMjName names[] = {
        {mjOBJ_GEOM, "target", &e->target},
        {mjOBJ_GEOM, "finger", &e->finger},
    };
    if (!prefrl_mj_lookup(e->m, e->label, names, G_N_ELEMENTS(names), error))
        return FALSE;
    /* position, finger-to-target (x, y), velocity */
    e->obs_dim = e->m->nq + 2 + e->m->nv;
    return TRUE;
}

static gboolean reacher_init(DmcEnv *e, GError **error)
{
    mjModel *m = e->m;
    m->geom_size[3 * e->target] = e->task->constant;
    randomize_joints(e);
    /* target uniformly in angle, 5-20 cm from the shoulder */
    double angle = prefrl_rng_range(&e->rng, 0.0, 2.0 * G_PI);
    double radius = prefrl_rng_range(&e->rng, 0.05, 0.20);
    m->geom_pos[3 * e->target + 0] = radius * sin(angle);
    m->geom_pos[3 * e->target + 1] = radius * cos(angle);
    return TRUE;
}

void reacher_observe(const DmcEnv *e, float *obs)
{
    const mjData *d = e->d;
    int k = 0;
    for (int i = 0; i < e->m->nq; i++)
        obs[k++] = (float)d->qpos[i];
    for (int i = 0; i < 2; i++)
        obs[k++] = (float)(d->geom_xpos[3 * e->target + i] - d->geom_xpos[3 * e->finger + i]);
    for (int i = 0; i < e->m->nv; i++)
        obs[k++] = (float)d->qvel[i];
}

static double reacher_reward(const DmcEnv *e)
{
    const mjtNum *t = e->d->geom_xpos + 3 * e->target, *f = e->d->geom_xpos + 3 * e->finger;
    double dx = t[0] - f[0], dy = t[1] - f[1], dz = t[2] - f[2];
    double radii = e->m->geom_size[3 * e->target] + e->m->geom_size[3 * e->finger];
    return prefrl_tolerance(sqrt(dx * dx + dy * dy + dz * dz), 0.0, radii, 0.0,
                            PREFRL_SIGMOID_GAUSSIAN, 0.1);
}

/* ---- the task table ----------------------------------------------------- */

#define WALKER(n, speed) {n, "walker.xml", 0.025, speed, walker_bind, walker_init, \
                          walker_observe, walker_reward}
#define QUADRUPED(n, speed) {n, "quadruped.xml", 0.02, speed, quadruped_bind, quadruped_init, \
                             quadruped_observe, quadruped_reward}
#define CARTPOLE(n, swing) {n, "cartpole.xml", 0.0, swing, cartpole_bind, cartpole_init, \
                            cartpole_observe, cartpole_reward}
#define REACHER(n, size) {n, "reacher.xml", 0.0, size, reacher_bind, reacher_init, \
                          reacher_observe, reacher_reward}

static const DmcTask task_walker_stand = WALKER("walker_stand", 0.0);
static const DmcTask task_walker_walk = WALKER("walker_walk", 1.0);
static const DmcTask task_walker_run = WALKER("walker_run", 8.0);
static const DmcTask task_cheetah_run = {"cheetah_run", "cheetah.xml", 0.0, 10.0, cheetah_bind,
                                         cheetah_init, cheetah_observe, cheetah_reward};
static const DmcTask task_quadruped_walk = QUADRUPED("quadruped_walk", 0.5);
static const DmcTask task_quadruped_run = QUADRUPED("quadruped_run", 5.0);
static const DmcTask task_cartpole_swingup = CARTPOLE("cartpole_swingup", 1.0);
static const DmcTask task_cartpole_balance = CARTPOLE("cartpole_balance", 0.0);
static const DmcTask task_reacher_easy = REACHER("reacher_easy", 0.05);
static const DmcTask task_reacher_hard = REACHER("reacher_hard", 0.015);

/* ---- the env component -------------------------------------------------- */

static void dmc_destroy(void *self)
{
    DmcEnv *e = self;
    if (e == NULL)
        return;
    prefrl_mj_forget_instance(e);
    prefrl_mj_renderer_free(e->renderer);
    if (e->d != NULL)
        mj_deleteData(e->d);
    if (e->m != NULL)
        mj_deleteModel(e->m);
    g_free(e->path);
    g_free(e->label);
    g_free(e);
}

static const PrefrlMjView *default_view(const DmcEnv *e);

static void *dmc_create(const DmcTask *task, const PrefrlNode *params, const PrefrlContext *ctx,
                        GError **error)
{
    DmcEnv *e = g_new0(DmcEnv, 1);
    e->task = task;
    e->rng = ctx->rng;
    e->episode_length = (int)prefrl_param_int(params, "episode_length");
    e->action_repeat = (int)prefrl_param_int(params, "action_repeat");
    e->path = prefrl_mj_resolve_model(prefrl_param_string(params, "model"), task->model_file,
                                      error);
    if (e->path == NULL)
        goto fail;
    e->label = g_path_get_basename(e->path);
    e->m = prefrl_mj_load_model(e->path, error);
    if (e->m == NULL)
        goto fail;
    e->d = prefrl_mj_make_data(e->m, error);
    if (e->d == NULL || !task->bind(e, error))
        goto fail;
    if (e->m->nu == 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO, "model %s has no actuators",
                    e->label);
        goto fail;
    }

    /* physics steps per control step, from the task's control timestep */
    double dt = e->m->opt.timestep;
    e->n_sub = 1;
    if (task->control_dt > 0.0) {
        double ratio = task->control_dt / dt;
        e->n_sub = (int)lround(ratio);
        if (e->n_sub < 1 || fabs(ratio - e->n_sub) > 1e-6 * ratio) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                        "model %s: timestep %g s does not divide the task's control timestep "
                        "%g s", e->label, dt, task->control_dt);
            goto fail;
        }
    }
    e->fast_step = e->m->opt.integrator != mjINT_RK4;
    e->renderer = prefrl_mj_renderer_new(e->m, default_view(e));
    prefrl_mj_describe_instance(e, e->path, e->n_sub * e->action_repeat);
    return e;

fail:
    dmc_destroy(e);
    return NULL;
}

static void dmc_info(void *self, PrefrlEnvInfo *info)
{
    const DmcEnv *e = self;
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    info->obs_dim = e->obs_dim;
    info->act_dim = e->m->nu;
    /* env steps per episode; the last one may hold fewer control steps */
    info->episode_length = (e->episode_length + e->action_repeat - 1) / e->action_repeat;
    info->has_success = 0;
    info->nq = e->m->nq;
    info->nv = e->m->nv;
}

static gboolean dmc_reset(void *self, float *obs, GError **error)
{
    DmcEnv *e = self;
    e->ready = 0;
    if (!prefrl_mj_reset(e->m, e->d, error) || !e->task->init_episode(e, error) ||
        !prefrl_mj_forward(e->m, e->d, TRUE, error))
        return FALSE;
    e->t = 0;
    e->ready = 1;
    e->unlimited = 0;
    e->task->observe(e, obs);
    return TRUE;
}

static void dmc_lift_time_limit(void *self)
{
    ((DmcEnv *)self)->unlimited = 1;
}

/* one control step: dm_control's legacy step, i.e. n_sub mj_step then one
 * mj_step1.  With Euler or implicit integration the data is up to date at the
 * position/velocity stage here (after the reset's mj_forward or the previous
 * step's mj_step1), so, as dm_control does, mj_step2 finishes the first
 * physics step without recomputing that stage: one stage cheaper, the same
 * numbers except that free-joint quaternions are re-normalised once less
 * (rounding-level differences).  RK4 has no mj_step2: plain mj_step. */
static gboolean physics_step(DmcEnv *e, GError **error)
{
    if (!e->fast_step)
        return prefrl_mj_step(e->m, e->d, e->n_sub, TRUE, error);
    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0)
        return prefrl_mj_guard_fail(&g, error, "stepping the simulation");
    mj_step2(e->m, e->d);
    for (int i = 1; i < e->n_sub; i++)
        mj_step(e->m, e->d);
    mj_step1(e->m, e->d);
    prefrl_mj_guard_pop(&g);
    return prefrl_mj_check_divergence(e->m, e->d, error);
}

static gboolean dmc_step(void *self, const float *action, float *obs, PrefrlEnvStep *out,
                         GError **error)
{
    DmcEnv *e = self;
    if (!e->ready) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: step without a running episode (call reset first; an episode ends "
                    "at its time limit or after a simulation error)", e->task->name);
        return FALSE;
    }
    if (!prefrl_mj_set_action(e->m, e->d, action, error))
        return FALSE;
    int reps = prefrl_mj_step_repeats(e->t, e->episode_length, e->action_repeat, e->unlimited);
    double reward = 0.0;
    for (int i = 0; i < reps; i++) {
        if (!physics_step(e, error)) {
            e->ready = 0;
            return FALSE;
        }
        reward += e->task->reward(e);
        e->t++;
    }
    e->task->observe(e, obs);
    out->reward = (float)reward;
    out->terminal = 0;
    out->truncated = e->t >= e->episode_length;
    out->success = 0;
    if (out->truncated && !e->unlimited)
        e->ready = 0;
    return TRUE;
}

static void dmc_snapshot(void *self, double *qpos, double *qvel, double *time)
{
    const DmcEnv *e = self;
    prefrl_mj_snapshot(e->m, e->d, qpos, qvel, time);
}

/* ---- rendering ---------------------------------------------------------- */

/* the default view: dm_control's camera 0 of each model when the model has it
 * (walker and cheetah "side", quadruped "x", cartpole and reacher "fixed"),
 * else a free camera beside the root body looking along +y (the reacher's
 * from above) */
static const char *const side_cameras[] = {"side", NULL};
static const char *const quadruped_cameras[] = {"x", NULL};
static const char *const fixed_cameras[] = {"fixed", NULL};

#define FREE_SIDE .body = 1, .distance = 3.0, .azimuth = 90, .elevation = -15
static const PrefrlMjView side_view = {.cameras = side_cameras, FREE_SIDE};
static const PrefrlMjView quadruped_view = {.cameras = quadruped_cameras, FREE_SIDE};
static const PrefrlMjView cartpole_view = {.cameras = fixed_cameras, .body = 1, .distance = 4.0,
                                           .azimuth = 90, .elevation = -10};
static const PrefrlMjView reacher_view = {.cameras = fixed_cameras, .body = 0, .distance = 0.8,
                                          .azimuth = 90, .elevation = -75};

static const PrefrlMjView *default_view(const DmcEnv *e)
{
    const char *f = e->task->model_file;
    if (strcmp(f, "quadruped.xml") == 0)
        return &quadruped_view;
    if (strcmp(f, "cartpole.xml") == 0)
        return &cartpole_view;
    if (strcmp(f, "reacher.xml") == 0)
        return &reacher_view;
    return &side_view;
}

static gboolean dmc_render(void *self, const double *qpos, const double *qvel, double time,
                           const char *camera, int width, int height, uint8_t *rgb,
                           GError **error)
{
    DmcEnv *e = self;
    if (!prefrl_mj_render(e->renderer, e->m, e->d, qpos, qvel, time, camera, width, height, rgb,
                          error)) {
        g_prefix_error(error, "%s: ", e->task->name);
        return FALSE;
    }
    return TRUE;
}

static const char *const *dmc_cameras(void *self)
{
    const DmcEnv *e = self;
    return prefrl_mj_renderer_cameras(e->renderer);
}

/* ---- checkpoints -------------------------------------------------------- */

/* the checkpoint's tag and format version */
#define DMC_TAG "env/dmc"
#define DMC_FORMAT 2

/* the state that determines the future: the task, the episode clock, the
 * rng, the physics state (with the solver's warm start, filter activations
 * and controls), and the geoms a task moves (the reacher's target) */
static gboolean dmc_save(void *self, PrefrlCkpt *out, GError **error)
{
    const DmcEnv *e = self;
    const mjModel *m = e->m;
    prefrl_ckpt_put_tag(out, DMC_TAG, DMC_FORMAT);
    prefrl_ckpt_put_str(out, e->task->name);
    prefrl_ckpt_put_i64(out, m->ngeom);
    prefrl_ckpt_put_i64(out, e->t);
    prefrl_ckpt_put_i64(out, e->ready);
    prefrl_rng_save(&e->rng, DMC_TAG " rng", out);
    prefrl_mj_write_state(out, m, e->d);
    prefrl_ckpt_put_doubles(out, m->geom_pos, 3 * (size_t)m->ngeom);
    prefrl_ckpt_put_doubles(out, m->geom_size, 3 * (size_t)m->ngeom);
    return prefrl_ckpt_check(out, error);
}

static gboolean dmc_load(void *self, PrefrlCkpt *in, GError **error)
{
    DmcEnv *e = self;
    mjModel *m = e->m;
    mjData *d = e->d;
    prefrl_ckpt_expect_tag(in, DMC_TAG, DMC_FORMAT);
    char *task = prefrl_ckpt_get_str(in);
    if (prefrl_ckpt_ok(in) && g_strcmp0(task, e->task->name) != 0)
        prefrl_ckpt_fail(in, "env/dmc: the state of task %s does not fit task %s",
                         task ? task : "(none)", e->task->name);
    g_free(task);
    prefrl_ckpt_get_count(in, m->ngeom, m->ngeom, "env/dmc: the number of geoms");
    int t = (int)prefrl_ckpt_get_count(in, 0, G_MAXINT, "env/dmc: the episode step");
    int ready = (int)prefrl_ckpt_get_count(in, 0, 1, "env/dmc: the ready flag");
    PrefrlRng rng = e->rng;
    prefrl_rng_load(&rng, DMC_TAG " rng", in);
    if (!prefrl_ckpt_check(in, error))
        return FALSE;
    /* the physics is overwritten from here on: a failure leaves the env
     * needing a reset */
    e->ready = 0;
    if (!prefrl_mj_read_state(in, m, d, error))
        return FALSE;
    prefrl_ckpt_get_doubles(in, m->geom_pos, 3 * (size_t)m->ngeom, "env/dmc: the geom count");
    prefrl_ckpt_get_doubles(in, m->geom_size, 3 * (size_t)m->ngeom, "env/dmc: the geom count");
    /* recompute everything derived from the state (step1-current data);
     * mj_forward also overwrites qacc_warmstart with this state's
     * acceleration, which the next step's constraint solver starts from:
     * the saved one is put back, so a resumed run steps as the original */
    if (!prefrl_ckpt_check(in, error))
        return FALSE;
    double *warm = g_memdup2(d->qacc_warmstart, sizeof(double) * (size_t)m->nv);
    gboolean ok = prefrl_mj_forward(m, d, FALSE, error);
    memcpy(d->qacc_warmstart, warm, sizeof(double) * (size_t)m->nv);
    g_free(warm);
    if (!ok)
        return FALSE;
    e->rng = rng;
    e->t = t;
    e->ready = ready;
    return TRUE;
}

/* ---- descriptors -------------------------------------------------------- */

static const PrefrlParamSpec dmc_params[] = {
    {"model", PREFRL_PARAM_STRING, "", 0, 0, NULL,
     "MJCF file to simulate instead of the bundled model; it must keep the task's body, "
     "joint, geom, sensor and actuator names"},
    {"episode_length", PREFRL_PARAM_INT, "1000", 1, 1e9, NULL,
     "control steps per episode (the time limit; DMC: 1000)"},
    {"action_repeat", PREFRL_PARAM_INT, "1", 1, 1000, NULL,
     "control steps per env step, holding the action and summing the rewards (dmc2gym's "
     "frame_skip); an episode has ceil(episode_length / action_repeat) env steps"},
    {NULL, 0, NULL, 0, 0, NULL, NULL}};

static const PrefrlEnvOps dmc_ops = {
    .struct_size = sizeof(PrefrlEnvOps),
    .info = dmc_info,
    .reset = dmc_reset,
    .step = dmc_step,
    .snapshot = dmc_snapshot,
    .render = dmc_render,
    .cameras = dmc_cameras,
    .lift_time_limit = dmc_lift_time_limit,
};

#define DMC_COMPONENT(id, summary_text)                                                          \
    static void *create_##id(const PrefrlNode *params, const PrefrlContext *ctx, GError **error) \
    {                                                                                            \
        return dmc_create(&task_##id, params, ctx, error);                                       \
    }                                                                                            \
    static const PrefrlComponent component_##id = {                                              \
        .struct_size = sizeof(PrefrlComponent),                                                  \
        .kind = PREFRL_KIND_ENV,                                                                 \
        .name = #id,                                                                             \
        .summary = summary_text,                                                                 \
        .params = dmc_params,                                                                    \
        .flags = 0,                                                                              \
        .create = create_##id,                                                                   \
        .destroy = dmc_destroy,                                                                  \
        .save = dmc_save,                                                                        \
        .load = dmc_load,                                                                        \
        .ops = &dmc_ops,                                                                         \
    };

DMC_COMPONENT(walker_stand, "DMC planar walker: stand upright, torso above 1.2 m (obs 24, act 6)")
DMC_COMPONENT(walker_walk, "DMC planar walker: walk forward at 1 m/s (obs 24, act 6)")
DMC_COMPONENT(walker_run, "DMC planar walker: run forward at 8 m/s (obs 24, act 6)")
DMC_COMPONENT(cheetah_run, "DMC half-cheetah: run forward at 10 m/s (obs 17, act 6)")
DMC_COMPONENT(quadruped_walk, "DMC quadruped: walk forward at 0.5 m/s upright (obs 78, act 12)")
DMC_COMPONENT(quadruped_run, "DMC quadruped: run forward at 5 m/s upright (obs 78, act 12)")
DMC_COMPONENT(cartpole_swingup, "DMC cart-pole: swing the pole up and balance it (obs 5, act 1)")
DMC_COMPONENT(cartpole_balance, "DMC cart-pole: keep a near-upright pole balanced (obs 5, act 1)")
DMC_COMPONENT(reacher_easy, "DMC two-link reacher: touch a 5 cm target (obs 6, act 2)")
DMC_COMPONENT(reacher_hard, "DMC two-link reacher: touch a 1.5 cm target (obs 6, act 2)")

PREFRL_PLUGIN_DEFINE("dmc", PREFRL_VERSION, &component_walker_stand, &component_walker_walk,
                     &component_walker_run, &component_cheetah_run, &component_quadruped_walk,
                     &component_quadruped_run, &component_cartpole_swingup,
                     &component_cartpole_balance, &component_reacher_easy, &component_reacher_hard);
