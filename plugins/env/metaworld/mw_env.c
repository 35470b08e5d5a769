/* Meta-world v2 common machinery: model loading, the mocap-driven gripper,
 * the reset procedure, the 39-D observation and the step loop
 * (docs/tasks.md, Meta-world). */
#include <math.h>
#include <string.h>

#include <prefrl/error.h>
#include <prefrl/mjenv.h>

#include "mw_env.h"

/* the mocap quaternion Meta-world writes every step: (1, 0, 1, 0) normalised,
 * +90 degrees about world y (hand +x = world -z, fingers down) */
static const double mocap_quat[4] = {M_SQRT1_2, 0.0, M_SQRT1_2, 0.0};
/* mocap position box, the same for all six tasks */
static const double mocap_low[3] = {-0.5, 0.40, 0.05};
static const double mocap_high[3] = {0.5, 1.0, 0.5};

double mw_lt(double x, double lo, double hi, double margin)
{
    return prefrl_tolerance(x, lo, hi, margin > 0.0 ? margin : 0.0, PREFRL_SIGMOID_LONG_TAIL,
                            0.1);
}

double mw_hamacher(double a, double b)
{
    return prefrl_hamacher_product(a, b);
}

void mw_tcp_center(const MwEnv *env, double tcp[3])
{
    const double *r = env->d->site_xpos + 3 * env->site_r;
    const double *l = env->d->site_xpos + 3 * env->site_l;
    for (int k = 0; k < 3; k++)
        tcp[k] = 0.5 * (r[k] + l[k]);
}

/* the actuator that drives joint `joint` (the original scenes' gripper
 * actuators are unnamed position actuators on the joints r_close/l_close),
 * -1 when none or more than one does */
static int actuator_on_joint(const mjModel *m, int joint)
{
    int found = -1;
    for (int i = 0; i < m->nu; i++)
        if ((m->actuator_trntype[i] == mjTRN_JOINT ||
             m->actuator_trntype[i] == mjTRN_JOINTINPARENT) &&
            m->actuator_trnid[2 * i] == joint) {
            if (found >= 0)
                return -1;
            found = i;
        }
    return found;
}

/* the original scenes' gripper actuators, by the joint each drives */
static gboolean bind_gripper_by_joint(MwEnv *env, const char *label, GError **error)
{
    const mjModel *m = env->m;
    int jr = -1, jl = -1;
    const PrefrlMjName joints[] = {
        {mjOBJ_JOINT, "r_close", &jr},
        {mjOBJ_JOINT, "l_close", &jl},
    };
    if (!prefrl_mj_lookup(m, label, joints, G_N_ELEMENTS(joints), error))
        return FALSE;
    env->act_r = actuator_on_joint(m, jr);
    env->act_l = actuator_on_joint(m, jl);
    if (env->act_r < 0 || env->act_l < 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                    "model %s needs exactly one actuator on joint%s%s%s", label,
                    env->act_r < 0 ? " 'r_close'" : "",
                    env->act_r < 0 && env->act_l < 0 ? " and joint" : "",
                    env->act_l < 0 ? " 'l_close'" : "");
        return FALSE;
    }
    return TRUE;
}

/* what the original does once after loading: every weld holds body2 at
 * body1's pose (zero offset, identity rotation), whatever relative pose the
 * compiler worked out from qpos0.  MuJoCo 2.2's weld data is the anchor (3),
 * the relative position (3) and quaternion (4), then the torque scale. */
static void reset_mocap_welds(mjModel *m)
{
    if (m->nmocap == 0)
        return;
    for (int i = 0; i < m->neq; i++) {
        if (m->eq_type[i] != mjEQ_WELD)
            continue;
        mjtNum *data = m->eq_data + (size_t)mjNEQDATA * i;
        for (int k = 0; k < 10; k++)
            data[k] = 0.0;
        data[6] = 1.0;
    }
}

static gboolean bind_common(MwEnv *env, const char *label, GError **error)
{
    mjModel *m = env->m;
    int mocap_body = -1;
    const PrefrlMjName names[] = {
        {mjOBJ_BODY, "hand", &env->hand_body},
        {mjOBJ_BODY, "mocap", &mocap_body},
        {mjOBJ_SITE, "rightEndEffector", &env->site_r},
        {mjOBJ_SITE, "leftEndEffector", &env->site_l},
        {mjOBJ_BODY, "rightpad", &env->pad_r},
        {mjOBJ_BODY, "leftpad", &env->pad_l},
        {mjOBJ_ACTUATOR, "r_close", &env->act_r},
        {mjOBJ_ACTUATOR, "l_close", &env->act_l},
    };
    /* the original scenes name no actuator: the last two entries are then
     * resolved by joint below */
    size_t n = env->original ? G_N_ELEMENTS(names) - 2 : G_N_ELEMENTS(names);
    if (!prefrl_mj_lookup(m, label, names, n, error))
        return FALSE;
    if (env->original) {
        if (!bind_gripper_by_joint(env, label, error))
            return FALSE;
        reset_mocap_welds(m);
    }
    env->mocap_id = m->body_mocapid[mocap_body];
    if (env->mocap_id < 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                    "model %s: body 'mocap' must be a mocap body (mocap=\"true\")", label);
        return FALSE;
    }
    /* a free-floating hand starts at hand_init so the reset never sweeps it
     * through last episode's fixtures; an arm-driven hand has no free joint */
    env->hand_qadr = -1;
    int j = m->body_jntadr[env->hand_body];
    if (m->body_jntnum[env->hand_body] == 1 && m->jnt_type[j] == mjJNT_FREE) {
        env->hand_qadr = m->jnt_qposadr[j];
        for (int k = 0; k < 3; k++)
            m->qpos0[env->hand_qadr + k] = env->task->hand_init[k];
        for (int k = 0; k < 4; k++)
            m->qpos0[env->hand_qadr + 3 + k] = mocap_quat[k];
    }
    for (int k = 0; k < 3; k++)
        m->body_pos[3 * mocap_body + k] = env->task->hand_init[k];
    for (int k = 0; k < 4; k++)
        m->body_quat[4 * mocap_body + k] = mocap_quat[k];
    return TRUE;
}

/* the default view: Meta-world's offscreen default "corner2" (then "corner")
 * when the model has it, else a free camera on the workspace in front of the
 * hand, seen from the table's far right corner */
static const char *const mw_cameras[] = {"corner2", "corner", NULL};
static const PrefrlMjView mw_view = {.cameras = mw_cameras, .body = 0,
                                     .lookat_offset = {0.0, 0.7, 0.1}, .distance = 1.9,
                                     .azimuth = -125, .elevation = -40};

/* the task's v2 scene under the assets directory (the option, else
 * $PREFRL_METAWORLD_ASSETS) */
static char *original_model_path(const MwTask *task, const char *assets, GError **error)
{
    const char *dir = assets;
    const char *from = "env.assets";
    if (dir == NULL || dir[0] == '\0') {
        dir = g_getenv(MW_ASSETS_ENV);
        from = "$" MW_ASSETS_ENV;
    }
    if (dir == NULL || dir[0] == '\0') {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: scene 'original' needs Meta-world's v2 scene directory (the one "
                    "holding sawyer_xyz/ and objects/): set env.assets or %s", task->name,
                    MW_ASSETS_ENV);
        return NULL;
    }
    char *path = g_build_filename(dir, task->original_file, NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "%s: scene 'original': %s not found (%s is '%s'; it must be Meta-world's "
                    "v2 scene directory, the one holding sawyer_xyz/ and objects/)",
                    task->name, path, from, dir);
        g_free(path);
        return NULL;
    }
    return path;
}

MwEnv *mw_env_new(const MwTask *task, const MwOptions *opt, const PrefrlRng *rng,
                  GError **error)
{
    g_return_val_if_fail(task != NULL && opt != NULL && rng != NULL, NULL);
    if (opt->episode_length < 1 || opt->action_repeat < 1 || opt->frame_skip < 1) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: episode_length, action_repeat and frame_skip must be positive "
                    "(got %d, %d, %d)", task->name, opt->episode_length, opt->action_repeat,
                    opt->frame_skip);
        return NULL;
    }
    MwEnv *env = g_new0(MwEnv, 1);
    env->task = task;
    env->rng = *rng;
    env->opt = *opt;
    env->opt.model = env->opt.assets = NULL;
    env->need_reset = TRUE;
    env->obj_body = env->obj_site = env->static_body = env->goal_site = env->obj_geom = -1;
    env->obj2_body = env->joint_qadr = env->free_qadr = env->free_dadr = -1;

    env->original = opt->scene == MW_SCENE_ORIGINAL;
    env->model_path = env->original && (opt->model == NULL || opt->model[0] == '\0')
                          ? original_model_path(task, opt->assets, error)
                          : prefrl_mj_resolve_model(opt->model, task->model_file, error);
    if (env->model_path == NULL)
        goto fail;
    env->m = prefrl_mj_load_model(env->model_path, error);
    if (env->m == NULL)
        goto fail;
    char *label = g_path_get_basename(env->model_path);
    gboolean ok = bind_common(env, label, error) && task->bind(env, error);
    if (!ok)
        g_prefix_error(error, "%s: ", task->name);
    g_free(label);
    if (!ok)
        goto fail;
    if (env->m->nu != 2) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                    "%s: model %s has %d actuators; expected the two gripper actuators",
                    task->name, env->model_path, env->m->nu);
        goto fail;
    }
    env->d = prefrl_mj_make_data(env->m, error);
    if (env->d == NULL)
        goto fail;
    /* the original scenes' cameras were placed for mujoco_py, whose frames
     * come out bottom row first: read top row first, as prefrl renders, they
     * show the scene upside down.  Their default view is the free camera
     * (they stay available by name) */
    PrefrlMjView view = mw_view;
    if (env->original)
        view.cameras = NULL;
    env->renderer = prefrl_mj_renderer_new(env->m, &view);
    return env;

fail:
    mw_env_free(env);
    return NULL;
}

void mw_env_free(MwEnv *env)
{
    if (env == NULL)
        return;
    prefrl_mj_renderer_free(env->renderer);
    if (env->d != NULL)
        mj_deleteData(env->d);
    if (env->m != NULL)
        mj_deleteModel(env->m);
    g_free(env->model_path);
    g_free(env);
}

void mw_env_info(const MwEnv *env, PrefrlEnvInfo *info)
{
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    info->obs_dim = MW_OBS_DIM;
    info->act_dim = MW_ACT_DIM;
    /* env steps per episode; the last one may hold fewer original steps */
    info->episode_length =
        (env->opt.episode_length + env->opt.action_repeat - 1) / env->opt.action_repeat;
    info->has_success = 1;
    info->nq = env->m->nq;
    info->nv = env->m->nv;
}

gboolean mw_env_render(MwEnv *env, const double *qpos, const double *qvel, double time,
                       const char *camera, int width, int height, guint8 *rgb, GError **error)
{
    if (!prefrl_mj_render(env->renderer, env->m, env->d, qpos, qvel, time, camera, width,
                          height, rgb, error)) {
        g_prefix_error(error, "%s: ", env->task->name);
        return FALSE;
    }
    return TRUE;
}

void mw_env_lift_time_limit(MwEnv *env)
{
    env->unlimited = TRUE;
}

void mw_env_snapshot(const MwEnv *env, double *qpos, double *qvel, double *time)
{
    prefrl_mj_snapshot(env->m, env->d, qpos, qvel, time);
}

/* obs[0:18): hand, opening, task objects (the current half) */
static void observe_current(const MwEnv *env, double *obs)
{
    const mjData *d = env->d;
    for (int k = 0; k < 3; k++)
        obs[k] = d->xpos[3 * env->hand_body + k];
    const double *r = d->site_xpos + 3 * env->site_r;
    const double *l = d->site_xpos + 3 * env->site_l;
    double dx = r[0] - l[0], dy = r[1] - l[1], dz = r[2] - l[2];
    double open = sqrt(dx * dx + dy * dy + dz * dz) / 0.1;
    obs[3] = open < 0.0 ? 0.0 : (open > 1.0 ? 1.0 : open);
    memset(obs + 4, 0, (MW_HALF_OBS - 4) * sizeof *obs);
    env->task->observe(env, obs);
}

static void write_goal(const MwEnv *env, double *obs)
{
    for (int k = 0; k < 3; k++)
        obs[36 + k] = env->opt.observe_goal ? env->target[k] : 0.0;
}

static void copy_obs(const MwEnv *env, float *obs)
{
    for (int i = 0; i < MW_OBS_DIM; i++)
        obs[i] = (float)env->obs[i];
}

/* refresh positions (xpos, site_xpos, xquat) from qpos after stepping, so the
 * observation describes the final state rather than the last substep's start */
static gboolean refresh_kinematics(MwEnv *env, GError **error)
{
    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0)
        return prefrl_mj_guard_fail(&g, error, "computing kinematics");
    mj_kinematics(env->m, env->d);
    prefrl_mj_guard_pop(&g);
    return TRUE;
}

static void set_mocap(MwEnv *env, const double pos[3])
{
    double *mp = env->d->mocap_pos + 3 * env->mocap_id;
    double *mq = env->d->mocap_quat + 4 * env->mocap_id;
    for (int k = 0; k < 3; k++)
        mp[k] = pos[k];
    for (int k = 0; k < 4; k++)
        mq[k] = mocap_quat[k];
}

gboolean mw_env_reset(MwEnv *env, float *obs, GError **error)
{
    mjModel *m = env->m;
    mjData *d = env->d;
    env->need_reset = TRUE;
    if (!prefrl_mj_reset(m, d, error))
        goto fail;
    if (env->task->place_static != NULL)
        env->task->place_static(env);
    /* hand reset: hold the mocap at hand_init with the gripper open */
    for (int rep = 0; rep < MW_HAND_RESET_REPS; rep++) {
        set_mocap(env, env->task->hand_init);
        d->ctrl[env->act_r] = -1.0;
        d->ctrl[env->act_l] = 1.0;
        if (!prefrl_mj_step(m, d, MW_HAND_RESET_SKIP, FALSE, error))
            goto fail;
    }
    if (!prefrl_mj_forward(m, d, FALSE, error))
        goto fail;
    mw_tcp_center(env, env->init_tcp);
    if (env->task->place_free != NULL) {
        env->task->place_free(env);
        if (!prefrl_mj_forward(m, d, FALSE, error))
            goto fail;
    }
    if (env->task->init_episode != NULL)
        env->task->init_episode(env);
    observe_current(env, env->obs);
    /* the stacked half starts as a copy of the current one (the original
     * carries over the previous episode's last observation) */
    memcpy(env->obs + MW_HALF_OBS, env->obs, MW_HALF_OBS * sizeof *env->obs);
    write_goal(env, env->obs);
    copy_obs(env, obs);
    env->t = 0;
    env->need_reset = FALSE;
    env->unlimited = FALSE;
    return TRUE;

fail:
    g_prefix_error(error, "%s: reset: ", env->task->name);
    return FALSE;
}

gboolean mw_env_step(MwEnv *env, const float *action, float *obs, PrefrlEnvStep *out,
                     GError **error)
{
    mjData *d = env->d;
    memset(out, 0, sizeof *out);
    if (env->need_reset) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: step without a running episode (call reset first%s)",
                    env->task->name, env->t >= env->opt.episode_length ?
                    "; the time limit ended the last one" : "");
        return FALSE;
    }
    double a[MW_ACT_DIM];
    for (int i = 0; i < MW_ACT_DIM; i++) {
        if (!isfinite(action[i])) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "%s: action[%d] is not finite (%g)", env->task->name, i,
                        (double)action[i]);
            return FALSE;
        }
        a[i] = action[i] < -1.0f ? -1.0 : (action[i] > 1.0f ? 1.0 : (double)action[i]);
    }
    int reps = prefrl_mj_step_repeats(env->t, env->opt.episode_length, env->opt.action_repeat,
                                      env->unlimited);
    double reward = 0.0;
    int success = 0;
    for (int rep = 0; rep < reps; rep++) {
        /* the displacement moves the mocap (not the hand), within its box */
        double *mp = d->mocap_pos + 3 * env->mocap_id;
        double pos[3];
        for (int k = 0; k < 3; k++) {
            double p = mp[k] + MW_ACTION_SCALE * a[k];
            pos[k] = p < mocap_low[k] ? mocap_low[k] : (p > mocap_high[k] ? mocap_high[k] : p);
        }
        set_mocap(env, pos);
        d->ctrl[env->act_r] = a[3];
        d->ctrl[env->act_l] = -a[3];
        /* the original reads positions as mj_step leaves them (computed
         * before the last substep's integration); the bundled scenes are
         * observed at the final state */
        if (!prefrl_mj_step(env->m, d, env->opt.frame_skip, FALSE, error) ||
            (!env->original && !refresh_kinematics(env, error))) {
            env->need_reset = TRUE;
            g_prefix_error(error, "%s: step %d: ", env->task->name, env->t + 1);
            return FALSE;
        }
        memcpy(env->obs + MW_HALF_OBS, env->obs, MW_HALF_OBS * sizeof *env->obs);
        observe_current(env, env->obs);
        MwEval ev;
        env->task->evaluate(env, env->obs, a[3], &ev);
        reward += ev.reward;
        success |= ev.success;
        env->t++;
    }
    write_goal(env, env->obs);
    copy_obs(env, obs);
    out->reward = (float)reward;
    out->success = success;
    out->terminal = 0;
    out->truncated = env->t >= env->opt.episode_length;
    if (out->truncated && !env->unlimited)
        env->need_reset = TRUE;
    return TRUE;
}

gboolean mw_env_evaluate(MwEnv *env, double grip, MwEval *ev, GError **error)
{
    if (!prefrl_mj_forward(env->m, env->d, FALSE, error))
        return FALSE;
    observe_current(env, env->obs);
    env->task->evaluate(env, env->obs, grip, ev);
    return TRUE;
}

/* ---- checkpoints -------------------------------------------------------- */

/* the checkpoint's tag and format version */
#define MW_TAG "env/metaworld"
#define MW_FORMAT 2

/* the model arrays that carry episode state (fixtures are placed by editing
 * body and site positions in the model) and the env's own episode state */
#define MW_STATE_ARRAYS(X)                                                    \
    X(m->body_pos, 3 * (size_t)m->nbody, "the body_pos length")               \
    X(m->site_pos, 3 * (size_t)m->nsite, "the site_pos length")               \
    X(env->init_tcp, G_N_ELEMENTS(env->init_tcp), "the initial tcp")          \
    X(env->obj_init, G_N_ELEMENTS(env->obj_init), "the initial object")       \
    X(env->target, G_N_ELEMENTS(env->target), "the target")                   \
    X(env->margin, G_N_ELEMENTS(env->margin), "the margins")                  \
    X(env->obs, G_N_ELEMENTS(env->obs), "the observation")

gboolean mw_env_save(const MwEnv *env, PrefrlCkpt *out, GError **error)
{
    const mjModel *m = env->m;
    prefrl_ckpt_put_tag(out, MW_TAG, MW_FORMAT);
    prefrl_ckpt_put_str(out, env->task->name);
    prefrl_ckpt_put_i64(out, m->nbody);
    prefrl_ckpt_put_i64(out, m->nsite);
    prefrl_ckpt_put_i64(out, env->t);
    prefrl_ckpt_put_i64(out, env->need_reset);
    prefrl_rng_save(&env->rng, MW_TAG " rng", out);
    prefrl_mj_write_state(out, m, env->d);
#define MW_WRITE(p, n, what) prefrl_ckpt_put_doubles(out, (p), (n));
    MW_STATE_ARRAYS(MW_WRITE)
#undef MW_WRITE
    return prefrl_ckpt_check(out, error);
}

gboolean mw_env_load(MwEnv *env, PrefrlCkpt *in, GError **error)
{
    mjModel *m = env->m;
    prefrl_ckpt_expect_tag(in, MW_TAG, MW_FORMAT);
    char *task = prefrl_ckpt_get_str(in);
    if (prefrl_ckpt_ok(in) && g_strcmp0(task, env->task->name) != 0)
        prefrl_ckpt_fail(in, "env/metaworld: the state of task %s does not fit task %s",
                         task ? task : "(none)", env->task->name);
    g_free(task);
    prefrl_ckpt_get_count(in, m->nbody, m->nbody, "env/metaworld: the number of bodies");
    prefrl_ckpt_get_count(in, m->nsite, m->nsite, "env/metaworld: the number of sites");
    int t = (int)prefrl_ckpt_get_count(in, 0, G_MAXINT, "env/metaworld: the episode step");
    gboolean need_reset = prefrl_ckpt_get_count(in, 0, 1, "env/metaworld: the reset flag") != 0;
    PrefrlRng rng = env->rng;
    prefrl_rng_load(&rng, MW_TAG " rng", in);
    if (!prefrl_ckpt_check(in, error))
        return FALSE;
    /* the physics is overwritten from here on: a failure leaves the env
     * needing a reset */
    env->need_reset = TRUE;
    if (!prefrl_mj_read_state(in, m, env->d, error))
        return FALSE;
#define MW_READ(p, n, what) prefrl_ckpt_get_doubles(in, (p), (n), "env/metaworld: " what);
    MW_STATE_ARRAYS(MW_READ)
#undef MW_READ
    if (!prefrl_ckpt_check(in, error))
        return FALSE;
    /* mj_forward overwrites qacc_warmstart, which the next step's
     * constraint solver starts from, and renormalises the free joints'
     * quaternions in qpos (not exactly idempotent): the saved ones are put
     * back, so a resumed run steps as the original */
    double *warm = g_memdup2(env->d->qacc_warmstart, sizeof(double) * (size_t)m->nv);
    double *qpos = g_memdup2(env->d->qpos, sizeof(double) * (size_t)m->nq);
    gboolean ok = prefrl_mj_forward(m, env->d, FALSE, error);
    memcpy(env->d->qacc_warmstart, warm, sizeof(double) * (size_t)m->nv);
    memcpy(env->d->qpos, qpos, sizeof(double) * (size_t)m->nq);
    g_free(warm);
    g_free(qpos);
    if (!ok)
        return FALSE;
    env->rng = rng;
    env->t = t;
    env->need_reset = need_reset;
    return TRUE;
}
