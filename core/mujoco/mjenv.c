/* MuJoCo helpers shared by the env plugins: error guard, model loading and
 * lookup, guarded stepping, and the reward-shaping functions of the DeepMind
 * Control Suite (dm_control/utils/rewards.py) and Meta-world
 * (metaworld/envs/reward_utils.py), re-implemented from their maths
 * (docs/tasks.md, shared reward helpers). */
#include "config.h"
#include <math.h>
#include <string.h>

#include <prefrl/mjenv.h>

/* ---- error guard -------------------------------------------------------- */

/* innermost guard of this thread; MuJoCo's error callback jumps to it */
static _Thread_local PrefrlMjGuard *current_guard;

/* mju_user_error must not return: copy the message and long-jump out */
static void on_mujoco_error(const char *msg)
{
    PrefrlMjGuard *g = current_guard;
    if (g == NULL) {
        /* a MuJoCo call outside any guard is a programming error; returning
         * would let MuJoCo continue in a broken state */
        g_error("MuJoCo error outside a prefrl guard: %s", msg);
    }
    g_strlcpy(g->message, msg ? msg : "(no message)", sizeof g->message);
    current_guard = g->prev;
    longjmp(g->jmp, 1);
}

static void on_mujoco_warning(const char *msg)
{
    g_warning("MuJoCo: %s", msg);
}

void prefrl_mj_install_handlers(void)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        mju_user_error = on_mujoco_error;
        mju_user_warning = on_mujoco_warning;
        g_once_init_leave(&done, 1);
    }
}

void prefrl_mj_guard_push(PrefrlMjGuard *guard)
{
    prefrl_mj_install_handlers();
    guard->message[0] = '\0';
    guard->prev = current_guard;
    current_guard = guard;
}

void prefrl_mj_guard_pop(PrefrlMjGuard *guard)
{
    g_return_if_fail(current_guard == guard);
    current_guard = guard->prev;
}

gboolean prefrl_mj_guard_fail(const PrefrlMjGuard *guard, GError **error, const char *what)
{
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO, "MuJoCo error while %s: %s", what,
                guard->message);
    return FALSE;
}

/* ---- models ------------------------------------------------------------- */

gboolean prefrl_mj_check_version(GError **error)
{
    int lib = mj_version();
    if (lib != mjVERSION_HEADER) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                    "MuJoCo library version %d does not match the header prefrl was built "
                    "with (%d); rebuild prefrl against the installed libmujoco-dev",
                    lib, mjVERSION_HEADER);
        return FALSE;
    }
    return TRUE;
}

char *prefrl_mj_find_model(const char *file, GError **error)
{
    g_return_val_if_fail(file != NULL, NULL);
    /* $PREFRL_MODEL_PATH first (the build tree's wrapper points it at the
     * source tree's model folders), then the install directory */
    GPtrArray *tried = g_ptr_array_new_with_free_func(g_free);
    const char *env = g_getenv("PREFRL_MODEL_PATH");
    if (env && *env) {
        char **parts = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
        for (char **p = parts; *p; p++)
            if (**p)
                g_ptr_array_add(tried, g_build_filename(*p, file, NULL));
        g_strfreev(parts);
    }
    g_ptr_array_add(tried, g_build_filename(PREFRL_MODELDIR, file, NULL));
    for (guint i = 0; i < tried->len; i++) {
        const char *p = g_ptr_array_index(tried, i);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
            char *found = g_strdup(p);
            g_ptr_array_unref(tried);
            return found;
        }
    }
    GString *msg = g_string_new(NULL);
    g_string_printf(msg, "bundled model '%s' not found (looked in:", file);
    for (guint i = 0; i < tried->len; i++)
        g_string_append_printf(msg, " %s", (const char *)g_ptr_array_index(tried, i));
    g_string_append(msg, "); give its path with the env parameter 'model'");
    g_set_error_literal(error, PREFRL_ERROR, PREFRL_ERROR_IO, msg->str);
    g_string_free(msg, TRUE);
    g_ptr_array_unref(tried);
    return NULL;
}

char *prefrl_mj_resolve_model(const char *user_path, const char *file, GError **error)
{
    if (user_path != NULL && user_path[0] != '\0') {
        if (!g_file_test(user_path, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "model file '%s' not found",
                        user_path);
            return NULL;
        }
        return g_strdup(user_path);
    }
    return prefrl_mj_find_model(file, error);
}

mjModel *prefrl_mj_load_model(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    if (!prefrl_mj_check_version(error))
        return NULL;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "model file '%s' not found", path);
        return NULL;
    }
    char msg[PREFRL_MJ_ERROR_SIZE] = "";
    mjModel *volatile m = NULL;
    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0) {
        if (m != NULL)
            mj_deleteModel(m);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO, "cannot load model '%s': %s", path,
                    g.message);
        return NULL;
    }
    if (g_str_has_suffix(path, ".mjb"))
        m = mj_loadModel(path, NULL);
    else
        m = mj_loadXML(path, NULL, msg, sizeof msg);
    prefrl_mj_guard_pop(&g);
    if (m == NULL) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO, "cannot load model '%s': %s", path,
                    msg[0] ? msg : "MuJoCo gave no reason");
        return NULL;
    }
    /* on success the buffer holds the compiler's warnings, if any */
    if (msg[0] != '\0')
        g_warning("model '%s': %s", path, msg);
    return m;
}

mjData *prefrl_mj_make_data(const mjModel *m, GError **error)
{
    mjData *volatile d = NULL;
    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0) {
        prefrl_mj_guard_fail(&g, error, "allocating simulation data");
        return NULL;
    }
    d = mj_makeData(m);
    prefrl_mj_guard_pop(&g);
    if (d == NULL)
        g_set_error_literal(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                            "MuJoCo could not allocate simulation data");
    return d;
}

/* ---- names -------------------------------------------------------------- */

const char *prefrl_mj_type_name(int type)
{
    switch (type) {
    case mjOBJ_BODY: return "body";
    case mjOBJ_XBODY: return "body";
    case mjOBJ_JOINT: return "joint";
    case mjOBJ_DOF: return "dof";
    case mjOBJ_GEOM: return "geom";
    case mjOBJ_SITE: return "site";
    case mjOBJ_CAMERA: return "camera";
    case mjOBJ_LIGHT: return "light";
    case mjOBJ_MESH: return "mesh";
    case mjOBJ_SKIN: return "skin";
    case mjOBJ_HFIELD: return "hfield";
    case mjOBJ_TEXTURE: return "texture";
    case mjOBJ_MATERIAL: return "material";
    case mjOBJ_PAIR: return "pair";
    case mjOBJ_EXCLUDE: return "exclude";
    case mjOBJ_EQUALITY: return "equality";
    case mjOBJ_TENDON: return "tendon";
    case mjOBJ_ACTUATOR: return "actuator";
    case mjOBJ_SENSOR: return "sensor";
    case mjOBJ_NUMERIC: return "numeric";
    case mjOBJ_TEXT: return "text";
    case mjOBJ_TUPLE: return "tuple";
    case mjOBJ_KEY: return "key";
    default: return "object";
    }
}

gboolean prefrl_mj_lookup(const mjModel *m, const char *model_label, const PrefrlMjName *names,
                          size_t n, GError **error)
{
    GString *missing = NULL;
    for (size_t i = 0; i < n; i++) {
        int id = mj_name2id(m, names[i].type, names[i].name);
        if (names[i].id != NULL)
            *names[i].id = id;
        if (id < 0) {
            if (missing == NULL)
                missing = g_string_new(NULL);
            else
                g_string_append(missing, ", ");
            g_string_append_printf(missing, "%s '%s'", prefrl_mj_type_name(names[i].type),
                                   names[i].name);
        }
    }
    if (missing == NULL)
        return TRUE;
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO, "model %s lacks %s",
                model_label ? model_label : "(unnamed)", missing->str);
    g_string_free(missing, TRUE);
    return FALSE;
}

/* ---- stepping ----------------------------------------------------------- */

gboolean prefrl_mj_set_action(const mjModel *m, mjData *d, const float *action, GError **error)
{
    for (int i = 0; i < m->nu; i++) {
        if (!isfinite(action[i])) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "action[%d] is not finite (%g)", i, (double)action[i]);
            return FALSE;
        }
    }
    for (int i = 0; i < m->nu; i++) {
        double a = action[i];
        a = a < -1.0 ? -1.0 : (a > 1.0 ? 1.0 : a);
        if (m->actuator_ctrllimited[i]) {
            double lo = m->actuator_ctrlrange[2 * i], hi = m->actuator_ctrlrange[2 * i + 1];
            d->ctrl[i] = lo + 0.5 * (a + 1.0) * (hi - lo);
        } else {
            d->ctrl[i] = a;
        }
    }
    return TRUE;
}

gboolean prefrl_mj_reset(const mjModel *m, mjData *d, GError **error)
{
    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0)
        return prefrl_mj_guard_fail(&g, error, "resetting the simulation");
    mj_resetData(m, d);
    prefrl_mj_guard_pop(&g);
    return TRUE;
}

gboolean prefrl_mj_forward(mjModel *m, mjData *d, gboolean no_actuation, GError **error)
{
    const int saved = m->opt.disableflags;
    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0) {
        m->opt.disableflags = saved;
        return prefrl_mj_guard_fail(&g, error, "computing the forward dynamics");
    }
    if (no_actuation)
        m->opt.disableflags |= mjDSBL_ACTUATION;
    mj_forward(m, d);
    m->opt.disableflags = saved;
    prefrl_mj_guard_pop(&g);
    return prefrl_mj_check_divergence(m, d, error);
}

gboolean prefrl_mj_check_divergence(const mjModel *m, const mjData *d, GError **error)
{
    static const struct {
        int warning;
        const char *what;
    } bad[] = {
        {mjWARN_BADQPOS, "qpos"},
        {mjWARN_BADQVEL, "qvel"},
        {mjWARN_BADQACC, "qacc"},
    };
    (void)m;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (d->warning[bad[i].warning].number > 0) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                        "simulation diverged: bad %s at degree of freedom %d (MuJoCo reset "
                        "the state); try a smaller timestep or check the model",
                        bad[i].what, d->warning[bad[i].warning].lastinfo);
            return FALSE;
        }
    }
    return TRUE;
}

int prefrl_mj_step_repeats(int t, int limit, int repeat, gboolean unlimited)
{
    return t < limit ? MIN(repeat, limit - t) : (unlimited ? repeat : 0);
}

gboolean prefrl_mj_step(const mjModel *m, mjData *d, int nstep, gboolean step1, GError **error)
{
    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0)
        return prefrl_mj_guard_fail(&g, error, "stepping the simulation");
    for (int i = 0; i < nstep; i++)
        mj_step(m, d);
    if (step1)
        mj_step1(m, d);
    prefrl_mj_guard_pop(&g);
    return prefrl_mj_check_divergence(m, d, error);
}

void prefrl_mj_snapshot(const mjModel *m, const mjData *d, double *qpos, double *qvel,
                        double *time)
{
    if (qpos != NULL)
        for (int i = 0; i < m->nq; i++)
            qpos[i] = d->qpos[i];
    if (qvel != NULL)
        for (int i = 0; i < m->nv; i++)
            qvel[i] = d->qvel[i];
    if (time != NULL)
        *time = d->time;
}

/* ---- reward shaping ----------------------------------------------------- */

double prefrl_sigmoid(double d, PrefrlSigmoid s, double v)
{
    /* cosine, linear and quadratic reach 0 at finite distance, so v = 0 is allowed */
    gboolean zero_ok = s == PREFRL_SIGMOID_COSINE || s == PREFRL_SIGMOID_LINEAR ||
                       s == PREFRL_SIGMOID_QUADRATIC;
    if (!(v < 1.0 && (zero_ok ? v >= 0.0 : v > 0.0))) {
        g_critical("prefrl_sigmoid: value_at_margin %g out of range", v);
        return NAN;
    }
    switch (s) {
    case PREFRL_SIGMOID_GAUSSIAN:
        return pow(v, d * d);
    case PREFRL_SIGMOID_HYPERBOLIC:
        return 1.0 / cosh(d * acosh(1.0 / v));
    case PREFRL_SIGMOID_LONG_TAIL: {
        double x = d * sqrt(1.0 / v - 1.0);
        return 1.0 / (x * x + 1.0);
    }
    case PREFRL_SIGMOID_RECIPROCAL:
        return 1.0 / (fabs(d) * (1.0 / v - 1.0) + 1.0);
    case PREFRL_SIGMOID_COSINE: {
        double x = d * acos(2.0 * v - 1.0) / G_PI;
        return fabs(x) < 1.0 ? 0.5 * (1.0 + cos(G_PI * x)) : 0.0;
    }
    case PREFRL_SIGMOID_LINEAR: {
        double x = d * (1.0 - v);
        return fabs(x) < 1.0 ? 1.0 - x : 0.0;
    }
    case PREFRL_SIGMOID_QUADRATIC: {
        double x = d * sqrt(1.0 - v);
        return fabs(x) < 1.0 ? 1.0 - x * x : 0.0;
    }
    case PREFRL_SIGMOID_TANH_SQUARED: {
        double t = tanh(d * atanh(sqrt(1.0 - v)));
        return 1.0 - t * t;
    }
    }
    g_critical("prefrl_sigmoid: unknown sigmoid %d", (int)s);
    return NAN;
}

double prefrl_tolerance(double x, double lo, double hi, double margin, PrefrlSigmoid s,
                        double value_at_margin)
{
    if (!(lo <= hi) || !(margin >= 0.0)) {
        g_critical("prefrl_tolerance: need lo <= hi and margin >= 0 (got %g, %g, %g)", lo, hi,
                   margin);
        return NAN;
    }
    if (lo <= x && x <= hi)
        return 1.0;
    if (margin == 0.0)
        return 0.0;
    double d = (x < lo ? lo - x : x - hi) / margin;
    return prefrl_sigmoid(d, s, value_at_margin);
}

double prefrl_hamacher_product(double a, double b)
{
    double den = a + b - a * b;
    return den > 0.0 ? a * b / den : 0.0;
}

/* ---- physics description for tools -------------------------------------- */

typedef struct {
    char *path;
    int substeps;
} InstancePhysics;

static GMutex described_lock;
static GHashTable *described; /* instance pointer -> InstancePhysics */

static void instance_physics_free(gpointer p)
{
    InstancePhysics *ip = p;
    g_free(ip->path);
    g_free(ip);
}

void prefrl_mj_describe_instance(const void *self, const char *model_path, int substeps)
{
    InstancePhysics *ip = g_new(InstancePhysics, 1);
    ip->path = g_strdup(model_path);
    ip->substeps = substeps;
    g_mutex_lock(&described_lock);
    if (described == NULL)
        described = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                          instance_physics_free);
    g_hash_table_replace(described, (gpointer)self, ip);
    g_mutex_unlock(&described_lock);
}

void prefrl_mj_forget_instance(const void *self)
{
    g_mutex_lock(&described_lock);
    if (described != NULL)
        g_hash_table_remove(described, self);
    g_mutex_unlock(&described_lock);
}

gboolean prefrl_mj_instance_physics(const void *self, char **model_path, int *substeps)
{
    gboolean found = FALSE;
    g_mutex_lock(&described_lock);
    InstancePhysics *ip = described ? g_hash_table_lookup(described, self) : NULL;
    if (ip != NULL) {
        found = TRUE;
        if (model_path != NULL)
            *model_path = g_strdup(ip->path);
        if (substeps != NULL)
            *substeps = ip->substeps;
    }
    g_mutex_unlock(&described_lock);
    return found;
}

/* ---- physics-state checkpoints ------------------------------------------ */

G_STATIC_ASSERT(sizeof(mjtNum) == sizeof(double));

/* the sizes a state depends on */
static void state_sizes(const mjModel *m, int64_t *n)
{
    n[0] = m->nq;
    n[1] = m->nv;
    n[2] = m->na;
    n[3] = m->nu;
    n[4] = m->nmocap;
}
#define N_SIZES 5

void prefrl_mj_write_state(PrefrlCkpt *out, const mjModel *m, const mjData *d)
{
    int64_t n[N_SIZES];
    state_sizes(m, n);
    for (int i = 0; i < N_SIZES; i++)
        prefrl_ckpt_put_i64(out, n[i]);
    prefrl_ckpt_put_f64(out, d->time);
    prefrl_ckpt_put_doubles(out, d->qpos, (size_t)m->nq);
    prefrl_ckpt_put_doubles(out, d->qvel, (size_t)m->nv);
    prefrl_ckpt_put_doubles(out, d->act, (size_t)m->na);
    prefrl_ckpt_put_doubles(out, d->ctrl, (size_t)m->nu);
    prefrl_ckpt_put_doubles(out, d->qacc_warmstart, (size_t)m->nv);
    prefrl_ckpt_put_doubles(out, d->mocap_pos, 3 * (size_t)m->nmocap);
    prefrl_ckpt_put_doubles(out, d->mocap_quat, 4 * (size_t)m->nmocap);
}

gboolean prefrl_mj_read_state(PrefrlCkpt *in, const mjModel *m, mjData *d, GError **error)
{
    int64_t want[N_SIZES], got[N_SIZES];
    state_sizes(m, want);
    for (int i = 0; i < N_SIZES; i++)
        got[i] = prefrl_ckpt_get_i64(in);
    if (prefrl_ckpt_ok(in) && memcmp(got, want, sizeof got) != 0)
        prefrl_ckpt_fail(in, "a physics state of nq %" G_GINT64_FORMAT ", nv %" G_GINT64_FORMAT
                             ", na %" G_GINT64_FORMAT ", nu %" G_GINT64_FORMAT
                             ", nmocap %" G_GINT64_FORMAT " does not fit this model's nq %d, "
                             "nv %d, na %d, nu %d, nmocap %d",
                         got[0], got[1], got[2], got[3], got[4], m->nq, m->nv, m->na, m->nu,
                         m->nmocap);
    if (!prefrl_ckpt_check(in, error) || !prefrl_mj_reset(m, d, error))
        return FALSE;
    d->time = prefrl_ckpt_get_f64(in);
    prefrl_ckpt_get_doubles(in, d->qpos, (size_t)m->nq, "the qpos length");
    prefrl_ckpt_get_doubles(in, d->qvel, (size_t)m->nv, "the qvel length");
    prefrl_ckpt_get_doubles(in, d->act, (size_t)m->na, "the act length");
    prefrl_ckpt_get_doubles(in, d->ctrl, (size_t)m->nu, "the ctrl length");
    prefrl_ckpt_get_doubles(in, d->qacc_warmstart, (size_t)m->nv, "the qacc_warmstart length");
    prefrl_ckpt_get_doubles(in, d->mocap_pos, 3 * (size_t)m->nmocap, "the mocap_pos length");
    prefrl_ckpt_get_doubles(in, d->mocap_quat, 4 * (size_t)m->nmocap, "the mocap_quat length");
    return prefrl_ckpt_check(in, error);
}
