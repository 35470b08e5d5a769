/* The six Meta-world v2 tasks of the Meta-Reward-Net paper: names, random
 * placement, object observations, v2 reward shaping and success criteria
 * (docs/tasks.md, Meta-world; the v2 reward code restated as maths). */
#include <math.h>
#include <string.h>

#include <prefrl/mjenv.h>

#include "mw_env.h"

/* ---- small vector helpers ---------------------------------------------- */

static double norm3(const double *a, const double *b)
{
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

/* distance ignoring y */
static double dist_xz(const double *a, const double *b)
{
    return hypot(a[0] - b[0], a[2] - b[2]);
}

static double clamp01(double x)
{
    return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

static gboolean lookup(MwEnv *env, const PrefrlMjName *names, size_t n, GError **error)
{
    char *label = g_path_get_basename(env->model_path);
    gboolean ok = prefrl_mj_lookup(env->m, label, names, n, error);
    g_free(label);
    return ok;
}

/* qpos address of a named joint (after lookup) */
static int qadr(const MwEnv *env, int joint)
{
    return env->m->jnt_qposadr[joint];
}

/* the free joint that moves a body: its own, or (the original hammer sits
 * in a jointless body inside a free "hammerbody") the nearest ancestor's
 * when no joint lies in between; otherwise an error */
static gboolean bind_free(MwEnv *env, int body, GError **error)
{
    const mjModel *m = env->m;
    int b = body;
    while (b > 0 && m->body_jntnum[b] == 0)
        b = m->body_parentid[b];
    /* b > 0 has a joint (the loop stopped on it); the world body none */
    int j = b > 0 ? m->body_jntadr[b] : -1;
    if (j < 0 || m->jnt_type[j] != mjJNT_FREE) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                    "model %s: body '%s' needs a free joint (its own or a jointless "
                    "parent's)", env->model_path, mj_id2name(m, mjOBJ_BODY, body));
        return FALSE;
    }
    env->free_qadr = m->jnt_qposadr[j];
    env->free_dadr = m->jnt_dofadr[j];
    return TRUE;
}

/* move a static body (a fixture) to pos; needs mj_forward afterwards */
static void move_body(MwEnv *env, int body, const double pos[3])
{
    for (int k = 0; k < 3; k++)
        env->m->body_pos[3 * body + k] = pos[k];
}

/* the visual goal marker, when the model has one attached to the world */
static void move_goal_site(MwEnv *env)
{
    if (env->goal_site >= 0 && env->m->site_bodyid[env->goal_site] == 0)
        for (int k = 0; k < 3; k++)
            env->m->site_pos[3 * env->goal_site + k] = env->target[k];
}

/* free object at pos with zero velocity, keeping its orientation */
static void place_free_object(MwEnv *env, const double pos[3])
{
    for (int k = 0; k < 3; k++)
        env->d->qpos[env->free_qadr + k] = pos[k];
    for (int k = 0; k < 6; k++)
        env->d->qvel[env->free_dadr + k] = 0.0;
}

static void draw_box(MwEnv *env, const double lo[3], const double hi[3], double out[3])
{
    for (int k = 0; k < 3; k++)
        out[k] = lo[k] == hi[k] ? lo[k] : prefrl_rng_range(&env->rng, lo[k], hi[k]);
}

/* a body's frame origin: what the original's get_body_com returns (its
 * MujocoEnv reads xpos, not the centre of mass) */
static void body_pos(const MwEnv *env, int body, double *out)
{
    memcpy(out, env->d->xpos + 3 * body, 3 * sizeof *out);
}

static void body_quat_wxyz(const MwEnv *env, int body, double *out)
{
    memcpy(out, env->d->xquat + 4 * body, 4 * sizeof *out);
}

/* scipy's as_quat order (x, y, z, w) */
static void wxyz_to_xyzw(const double *q, double *out)
{
    out[0] = q[1];
    out[1] = q[2];
    out[2] = q[3];
    out[3] = q[0];
}

/* a rotation matrix (row-major) as scipy's Rotation.from_matrix(...).as_quat()
 * gives it, (x, y, z, w): the component picked from the largest of the
 * diagonal and the trace (the first on ties) is made positive, which fixes
 * the sign where MuJoCo's mju_mat2Quat may choose the other one */
static void mat_to_xyzw_scipy(const double *m, double *q)
{
    double trace = m[0] + m[4] + m[8];
    double decision[4] = {m[0], m[4], m[8], trace};
    int choice = 0;
    for (int i = 1; i < 4; i++)
        if (decision[i] > decision[choice])
            choice = i;
    if (choice != 3) {
        int i = choice, j = (i + 1) % 3, k = (j + 1) % 3;
        q[i] = 1.0 - trace + 2.0 * m[3 * i + i];
        q[j] = m[3 * j + i] + m[3 * i + j];
        q[k] = m[3 * k + i] + m[3 * i + k];
        q[3] = m[3 * k + j] - m[3 * j + k];
    } else {
        q[0] = m[7] - m[5];
        q[1] = m[2] - m[6];
        q[2] = m[3] - m[1];
        q[3] = 1.0 + trace;
    }
    double n = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (int i = 0; i < 4; i++)
        q[i] /= n;
}

/* ---- door-open-v2 ------------------------------------------------------ */

static gboolean door_bind(MwEnv *env, GError **error)
{
    int joint = -1;
    /* the original reads the handle geom; the bundled model marks it by a site */
    const PrefrlMjName names[] = {
        {mjOBJ_BODY, "door", &env->static_body},
        {env->original ? mjOBJ_GEOM : mjOBJ_SITE, "handle",
         env->original ? &env->obj_geom : &env->obj_site},
        {mjOBJ_JOINT, "doorjoint", &joint},
        {mjOBJ_SITE, "goal", &env->goal_site},
    };
    if (!lookup(env, names, G_N_ELEMENTS(names), error))
        return FALSE;
    env->joint_qadr = qadr(env, joint);
    return TRUE;
}

static void door_place(MwEnv *env)
{
    static const double lo[3] = {0.0, 0.85, 0.15}, hi[3] = {0.1, 0.95, 0.15};
    draw_box(env, lo, hi, env->obj_init);
    move_body(env, env->static_body, env->obj_init);
    env->target[0] = env->obj_init[0] - 0.3;
    env->target[1] = env->obj_init[1] - 0.45;
    env->target[2] = env->obj_init[2];
    move_goal_site(env);
}

/* the handle mesh's centroid frame, orientation as (x, y, z, w) */
static void door_observe(const MwEnv *env, double *obs)
{
    if (env->original) {
        memcpy(obs + 4, env->d->geom_xpos + 3 * env->obj_geom, 3 * sizeof *obs);
        mat_to_xyzw_scipy(env->d->geom_xmat + 9 * env->obj_geom, obs + 7);
        return;
    }
    memcpy(obs + 4, env->d->site_xpos + 3 * env->obj_site, 3 * sizeof *obs);
    double q[4];
    mju_mat2Quat(q, env->d->site_xmat + 9 * env->obj_site);
    wxyz_to_xyzw(q, obs + 7);
}

static void door_evaluate(const MwEnv *env, const double *obs, double grip, MwEval *ev)
{
    const double *hand = obs, *obj = obs + 4;
    double theta = env->d->qpos[env->joint_qadr];
    double grab = (grip + 1.0) / 2.0;
    double aim[3] = {obj[0] - 0.05, obj[1], obj[2]};
    /* a funnel: far from the handle the hand should stay high */
    double r = hypot(hand[0] - aim[0], hand[1] - aim[1]);
    double floor = r <= 0.12 ? 0.0 : 0.04 * log(r - 0.12) + 0.4;
    double above = hand[2] >= floor ? 1.0 : mw_lt(floor - hand[2], 0.0, 0.01, floor / 2.0);
    double off[3] = {aim[0] + 0.05, aim[1] + 0.03, aim[2] - 0.01};
    double in_place = mw_lt(norm3(hand, off), 0.0, 0.06, 0.5);
    double ready = mw_hamacher(above, in_place);
    double opened = 0.2 * (theta < -M_PI / 90.0) +
                    0.8 * mw_lt(2.0 * M_PI / 3.0 + theta, 0.0, 0.5, M_PI / 3.0);
    ev->success = fabs(obj[0] - env->target[0]) <= 0.08;
    ev->reward = ev->success ? 10.0 : 2.0 * mw_hamacher(ready, grab) + 8.0 * opened;
    ev->near_object = ready;
    ev->grasp_reward = grab;
    ev->in_place_reward = opened;
    ev->obj_to_target = 0.0;
}

/* ---- button-press-v2 --------------------------------------------------- */

static gboolean button_bind(MwEnv *env, GError **error)
{
    int joint = -1;
    const PrefrlMjName names[] = {
        {mjOBJ_BODY, "box", &env->static_body},
        {mjOBJ_BODY, "button", &env->obj_body},
        {mjOBJ_JOINT, "btnbox_joint", &joint},
        {mjOBJ_SITE, "hole", &env->goal_site},
        {mjOBJ_SITE, "buttonStart", &env->obj_site},
    };
    if (!lookup(env, names, G_N_ELEMENTS(names), error))
        return FALSE;
    env->joint_qadr = qadr(env, joint);
    return TRUE;
}

static void button_place(MwEnv *env)
{
    static const double lo[3] = {-0.1, 0.85, 0.115}, hi[3] = {0.1, 0.9, 0.115};
    draw_box(env, lo, hi, env->obj_init);
    move_body(env, env->static_body, env->obj_init);
}

static void button_init(MwEnv *env)
{
    memcpy(env->target, env->d->site_xpos + 3 * env->goal_site, 3 * sizeof(double));
    /* obj_to_target at the start (0.0935 in the original) */
    env->margin[0] = fabs(env->target[1] - env->d->site_xpos[3 * env->obj_site + 1]);
}

static void button_observe(const MwEnv *env, double *obs)
{
    body_pos(env, env->obj_body, obs + 4);
    obs[5] -= 0.193;
    body_quat_wxyz(env, env->obj_body, obs + 7);
}

static void button_evaluate(const MwEnv *env, const double *obs, double grip, MwEval *ev)
{
    (void)grip;
    const double *obj = obs + 4;
    double tcp[3];
    mw_tcp_center(env, tcp);
    double tcp_to_obj = norm3(obj, tcp);
    double tcp_to_obj_init = norm3(obj, env->init_tcp); /* the current obj, as in the original */
    double obj_to_target = fabs(env->target[1] - obj[1]);
    double tcp_open = obs[3] > 0.0 ? obs[3] : 0.0; /* rewards an open gripper */
    double near = mw_lt(tcp_to_obj, 0.0, 0.05, tcp_to_obj_init);
    double pressed = mw_lt(obj_to_target, 0.0, 0.005, env->margin[0]);
    ev->reward = 2.0 * mw_hamacher(tcp_open, near) + (tcp_to_obj <= 0.05 ? 8.0 * pressed : 0.0);
    ev->success = obj_to_target <= 0.02;
    ev->near_object = tcp_to_obj <= 0.05;
    ev->grasp_reward = near;
    ev->in_place_reward = pressed;
    ev->obj_to_target = obj_to_target;
}

/* ---- drawer-open-v2 ---------------------------------------------------- */

static gboolean drawer_bind(MwEnv *env, GError **error)
{
    int joint = -1;
    const PrefrlMjName names[] = {
        {mjOBJ_BODY, "drawer", &env->static_body},
        {mjOBJ_BODY, "drawer_link", &env->obj_body},
        {mjOBJ_JOINT, "goal_slidey", &joint},
        {mjOBJ_SITE, "goal", &env->goal_site},
    };
    if (!lookup(env, names, G_N_ELEMENTS(names), error))
        return FALSE;
    env->joint_qadr = qadr(env, joint);
    return TRUE;
}

static void drawer_place(MwEnv *env)
{
    static const double lo[3] = {-0.1, 0.9, 0.0}, hi[3] = {0.1, 0.9, 0.0};
    draw_box(env, lo, hi, env->obj_init);
    move_body(env, env->static_body, env->obj_init);
    env->target[0] = env->obj_init[0];
    env->target[1] = env->obj_init[1] - 0.36;
    env->target[2] = env->obj_init[2] + 0.09;
    move_goal_site(env);
}

/* hand-to-handle error, y and x weighted 3x */
static double drawer_scaled(const double *a, const double *b)
{
    double ex = 3.0 * (a[0] - b[0]), ey = 3.0 * (a[1] - b[1]), ez = a[2] - b[2];
    return sqrt(ex * ex + ey * ey + ez * ez);
}

static void drawer_init(MwEnv *env)
{
    double handle_init[3] = {env->target[0], env->target[1] + 0.2, env->target[2]};
    env->margin[0] = drawer_scaled(handle_init, env->init_tcp);
}

static void drawer_observe(const MwEnv *env, double *obs)
{
    body_pos(env, env->obj_body, obs + 4);
    obs[5] -= 0.16;
    body_quat_wxyz(env, env->obj_body, obs + 7);
}

static void drawer_evaluate(const MwEnv *env, const double *obs, double grip, MwEval *ev)
{
    (void)grip;
    const double *hand = obs, *obj = obs + 4;
    double handle_error = norm3(obj, env->target);
    double opening = mw_lt(handle_error, 0.0, 0.02, 0.2);
    double caging = mw_lt(drawer_scaled(obj, hand), 0.0, 0.01, env->margin[0]);
    ev->reward = 5.0 * (caging + opening);
    ev->success = handle_error <= 0.03;
    ev->near_object = norm3(obj, hand) <= 0.03;
    ev->grasp_reward = caging;
    ev->in_place_reward = opening;
    ev->obj_to_target = handle_error;
}

/* ---- window-open-v2 ---------------------------------------------------- */

static gboolean window_bind(MwEnv *env, GError **error)
{
    int joint = -1;
    const PrefrlMjName names[] = {
        {mjOBJ_BODY, "window", &env->static_body},
        {mjOBJ_SITE, "handleOpenStart", &env->obj_site},
        {mjOBJ_JOINT, "window_slide", &joint},
        {mjOBJ_SITE, "goal", &env->goal_site},
    };
    if (!lookup(env, names, G_N_ELEMENTS(names), error))
        return FALSE;
    env->joint_qadr = qadr(env, joint);
    return TRUE;
}

static void window_place(MwEnv *env)
{
    static const double lo[3] = {-0.1, 0.7, 0.16}, hi[3] = {0.1, 0.9, 0.16};
    draw_box(env, lo, hi, env->obj_init);
    move_body(env, env->static_body, env->obj_init);
    env->target[0] = env->obj_init[0] + 0.2;
    env->target[1] = env->obj_init[1];
    env->target[2] = env->obj_init[2];
    move_goal_site(env);
}

static void window_init(MwEnv *env)
{
    /* the handle where this episode starts (the original reads it before
     * the window is moved, a quirk not reproduced) */
    const double *handle = env->d->site_xpos + 3 * env->obj_site;
    env->margin[0] = fabs(norm3(handle, env->init_tcp) - 0.02);
    env->margin[1] = fabs(fabs(env->obj_init[0] - env->target[0]) - 0.05);
}

/* the handle site; the original reports no orientation (zeros) */
static void window_observe(const MwEnv *env, double *obs)
{
    memcpy(obs + 4, env->d->site_xpos + 3 * env->obj_site, 3 * sizeof *obs);
}

static void window_evaluate(const MwEnv *env, const double *obs, double grip, MwEval *ev)
{
    (void)grip;
    const double *obj = obs + 4;
    double tcp[3];
    mw_tcp_center(env, tcp);
    double target_to_obj = fabs(obj[0] - env->target[0]);
    double in_place = mw_lt(target_to_obj, 0.0, 0.05, env->margin[1]);
    double tcp_to_obj = norm3(obj, tcp);
    double reach = mw_lt(tcp_to_obj, 0.0, 0.02, env->margin[0]);
    ev->reward = 10.0 * mw_hamacher(reach, in_place);
    ev->success = target_to_obj <= 0.05;
    ev->near_object = tcp_to_obj <= 0.05;
    ev->grasp_reward = reach;
    ev->in_place_reward = in_place;
    ev->obj_to_target = target_to_obj;
}

/* ---- sweep-into-v2 ----------------------------------------------------- */

static gboolean sweep_bind(MwEnv *env, GError **error)
{
    /* the original takes the block's orientation from its geom */
    const PrefrlMjName names[] = {
        {mjOBJ_BODY, "obj", &env->obj_body},
        {mjOBJ_SITE, "goal", &env->goal_site},
        {mjOBJ_GEOM, "objGeom", &env->obj_geom},
    };
    size_t n = env->original ? G_N_ELEMENTS(names) : G_N_ELEMENTS(names) - 1;
    return lookup(env, names, n, error) && bind_free(env, env->obj_body, error);
}

static void sweep_place_static(MwEnv *env)
{
    env->target[0] = 0.0;
    env->target[1] = 0.84;
    env->target[2] = 0.02;
    move_goal_site(env);
}

static void sweep_place(MwEnv *env)
{
    /* block xy at least 15 cm from the pocket centre; z as it settled */
    double pos[3];
    do {
        pos[0] = prefrl_rng_range(&env->rng, -0.1, 0.1);
        pos[1] = prefrl_rng_range(&env->rng, 0.6, 0.7);
    } while (hypot(pos[0] - env->target[0], pos[1] - env->target[1]) < 0.15);
    pos[2] = env->d->qpos[env->free_qadr + 2];
    place_free_object(env, pos);
    memcpy(env->obj_init, pos, sizeof pos);
}

static void sweep_observe(const MwEnv *env, double *obs)
{
    body_pos(env, env->obj_body, obs + 4);
    if (env->original)
        mat_to_xyzw_scipy(env->d->geom_xmat + 9 * env->obj_geom, obs + 7);
    else
        wxyz_to_xyzw(env->d->xquat + 4 * env->obj_body, obs + 7);
}

static void sweep_evaluate(const MwEnv *env, const double *obs, double grip, MwEval *ev)
{
    (void)grip;
    const double *obj = obs + 4;
    /* only the horizontal distance to the pocket centre counts */
    double target[3] = {env->target[0], env->target[1], obj[2]};
    double obj_to_target = norm3(obj, target);
    double in_place = mw_lt(obj_to_target, 0.0, 0.05, norm3(env->obj_init, target));

    /* sweep's own caging term; the margins use the current pads (the
     * original's "initial" pad positions are live references) */
    const double *lp = env->d->xpos + 3 * env->pad_l, *rp = env->d->xpos + 3 * env->pad_r;
    double dl = lp[1] - obj[1], dr = obj[1] - rp[1];
    double m_r = fabs(fabs(obj[1] - rp[1]) - 0.05), m_l = fabs(fabs(obj[1] - lp[1]) - 0.05);
    double y_caging = mw_hamacher(mw_lt(dr, 0.02, 0.05, m_r), mw_lt(dl, 0.02, 0.05, m_l));
    double y_gripping = mw_hamacher(mw_lt(dr, 0.02, 0.025, m_r), mw_lt(dl, 0.02, 0.025, m_l));
    double tcp[3];
    mw_tcp_center(env, tcp);
    double xz_margin = dist_xz(env->obj_init, env->init_tcp) - 0.01;
    double xz_caging = mw_lt(dist_xz(tcp, obj), 0.0, 0.01, xz_margin);
    double caging = mw_hamacher(y_caging, xz_caging);
    double gripping = caging > 0.95 ? y_gripping : 0.0;
    double og = (caging + gripping) / 2.0;

    ev->success = obj_to_target <= 0.05;
    ev->reward = obj_to_target < 0.05 ? 10.0 : 2.0 * og + 6.0 * mw_hamacher(og, in_place);
    ev->near_object = norm3(obj, tcp) <= 0.03;
    ev->grasp_reward = og;
    ev->in_place_reward = in_place;
    ev->obj_to_target = obj_to_target;
}

/* ---- hammer-v2 --------------------------------------------------------- */

static gboolean hammer_bind(MwEnv *env, GError **error)
{
    int joint = -1;
    const PrefrlMjName names[] = {
        {mjOBJ_BODY, "hammer", &env->obj_body},
        {mjOBJ_BODY, "nail_link", &env->obj2_body},
        {mjOBJ_JOINT, "NailSlideJoint", &joint},
        {mjOBJ_SITE, "goal", &env->goal_site},
    };
    if (!lookup(env, names, G_N_ELEMENTS(names), error) || !bind_free(env, env->obj_body, error))
        return FALSE;
    env->joint_qadr = qadr(env, joint);
    return TRUE;
}

static void hammer_place(MwEnv *env)
{
    /* z = 0 starts the hammer half in the table, as in the original; the
     * contacts lift it in the first steps */
    static const double lo[3] = {-0.1, 0.4, 0.0}, hi[3] = {0.1, 0.5, 0.0};
    draw_box(env, lo, hi, env->obj_init);
    place_free_object(env, env->obj_init);
}

static void hammer_init(MwEnv *env)
{
    memcpy(env->target, env->d->site_xpos + 3 * env->goal_site, 3 * sizeof(double));
}

static void hammer_observe(const MwEnv *env, double *obs)
{
    body_pos(env, env->obj_body, obs + 4);
    body_quat_wxyz(env, env->obj_body, obs + 7);
    body_pos(env, env->obj2_body, obs + 11);
    body_quat_wxyz(env, env->obj2_body, obs + 14);
}

/* Meta-world's base caging reward (high density variant) around obj */
static double caging_reward(const MwEnv *env, const double *obj, double grip, double obj_radius,
                            double pad_thresh, double xz_thresh)
{
    const double *lp = env->d->xpos + 3 * env->pad_l, *rp = env->d->xpos + 3 * env->pad_r;
    double cl = mw_lt(fabs(lp[1] - obj[1]), obj_radius, pad_thresh,
                      fabs(fabs(lp[1] - env->obj_init[1]) - pad_thresh));
    double cr = mw_lt(fabs(rp[1] - obj[1]), obj_radius, pad_thresh,
                      fabs(fabs(rp[1] - env->obj_init[1]) - pad_thresh));
    double caging_y = mw_hamacher(cl, cr);
    double tcp[3];
    mw_tcp_center(env, tcp);
    double xz_margin = dist_xz(env->obj_init, env->init_tcp) - xz_thresh;
    double caging_xz = mw_lt(dist_xz(tcp, obj), 0.0, xz_thresh, xz_margin);
    double caging = mw_hamacher(caging_y, caging_xz);
    double gripping = caging > 0.97 ? clamp01(grip) : 0.0;
    return (mw_hamacher(caging, gripping) + caging) / 2.0;
}

static void hammer_evaluate(const MwEnv *env, const double *obs, double grip, MwEval *ev)
{
    const double *hand = obs, *obj = obs + 4, *q = obs + 7;
    double dq = sqrt((q[0] - 1.0) * (q[0] - 1.0) + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    double reward_quat = fmax(1.0 - dq / 0.4, 0.0);
    double head[3] = {obj[0] + 0.16, obj[1] + 0.06, obj[2]};
    /* anywhere along the handle counts as a grasp point */
    double grasp_at[3] = {obj[0], obj[1], obj[2]};
    if (fabs(obj[0] - hand[0]) < 0.07)
        grasp_at[0] = hand[0];
    double grab = caging_reward(env, grasp_at, grip, 0.015, 0.02, 0.01);
    double in_place = 0.1 * (head[2] > 0.02) + 0.9 * mw_lt(norm3(env->target, head), 0.0, 0.02,
                                                           0.2);
    double reward = (2.0 * grab + 6.0 * in_place) * reward_quat;
    ev->success = env->d->qpos[env->joint_qadr] > 0.09;
    ev->reward = ev->success && reward > 5.0 ? 10.0 : reward;
    ev->near_object = reward_quat;
    ev->grasp_reward = grab;
    ev->in_place_reward = in_place;
    ev->obj_to_target = 0.0;
}

/* ---- the table ---------------------------------------------------------- */

static const MwTask door_open = {
    "door-open", "door-open-v2",
    "metaworld_door_open.xml", "sawyer_xyz/sawyer_door_pull.xml",
    {0.0, 0.6, 0.2},
    door_bind, door_place, NULL, NULL, door_observe, door_evaluate,
};

static const MwTask button_press = {
    "button-press", "button-press-v2",
    "metaworld_button_press.xml", "sawyer_xyz/sawyer_button_press.xml",
    {0.0, 0.4, 0.2},
    button_bind, button_place, NULL, button_init, button_observe, button_evaluate,
};

static const MwTask drawer_open = {
    "drawer-open", "drawer-open-v2",
    "metaworld_drawer_open.xml", "sawyer_xyz/sawyer_drawer.xml",
    {0.0, 0.6, 0.2},
    drawer_bind, drawer_place, NULL, drawer_init, drawer_observe, drawer_evaluate,
};

static const MwTask window_open = {
    "window-open", "window-open-v2",
    "metaworld_window_open.xml", "sawyer_xyz/sawyer_window_horizontal.xml",
    {0.0, 0.4, 0.2},
    window_bind, window_place, NULL, window_init, window_observe, window_evaluate,
};

static const MwTask sweep_into = {
    "sweep-into", "sweep-into-v2",
    "metaworld_sweep_into.xml", "sawyer_xyz/sawyer_table_with_hole.xml",
    {0.0, 0.6, 0.2},
    sweep_bind, sweep_place_static, sweep_place, NULL, sweep_observe, sweep_evaluate,
};

static const MwTask hammer = {
    "hammer", "hammer-v2",
    "metaworld_hammer.xml", "sawyer_xyz/sawyer_hammer.xml",
    {0.0, 0.4, 0.2},
    hammer_bind, NULL, hammer_place, hammer_init, hammer_observe, hammer_evaluate,
};

static const MwTask *const tasks[] = {
    &door_open, &button_press, &drawer_open, &window_open, &sweep_into, &hammer, NULL,
};

const MwTask *const *mw_tasks(void)
{
    return tasks;
}

const MwTask *mw_task_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; tasks[i] != NULL; i++)
        if (strcmp(name, tasks[i]->name) == 0 || strcmp(name, tasks[i]->alias) == 0)
            return tasks[i];
    return NULL;
}
