/* MuJoCo helpers shared by every MuJoCo-based env plugin (DMC, Meta-world).
 *
 * MuJoCo 2.2.2 (Debian 12) reports fatal errors through the global callback
 * `mju_user_error`, which must not return; it has no log handler.  prefrl
 * installs handlers once per process: an error long-jumps to the innermost
 * active PrefrlMjGuard of the calling thread (and is turned into a GError with
 * code PREFRL_ERROR_MUJOCO), a warning goes to g_warning.  Every call into
 * MuJoCo that can fail must therefore run inside a guard; the guarded
 * wrappers below (load, make data, reset, forward, step) do that for you.
 *
 * Also here: the version check, model-path resolution for bundled models,
 * name lookups that report every missing name at once, the [-1, 1] -> ctrlrange
 * action map, the physics snapshot and its checkpoint, and the reward-shaping functions of the
 * DeepMind Control Suite (`tolerance` with all its sigmoids) and Meta-world
 * (the same `tolerance`, plus the Hamacher product). */
#ifndef PREFRL_MJENV_H
#define PREFRL_MJENV_H

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <glib.h>
#include <mujoco/mujoco.h>

#include <prefrl/ckpt.h>
#include <prefrl/error.h>
#include <prefrl/export.h>

G_BEGIN_DECLS

/** Size of MuJoCo's error buffers (mj_loadXML's and the guard's message). */
#define PREFRL_MJ_ERROR_SIZE 1000

/* ---- error guard -------------------------------------------------------- */

/** A guard around MuJoCo calls.  Caller-allocated (on the stack), used as:
 *
 *     PrefrlMjGuard g;
 *     prefrl_mj_guard_push(&g);
 *     if (setjmp(g.jmp) != 0) {
 *         // MuJoCo raised an error; the guard is already popped
 *         return prefrl_mj_guard_fail(&g, error, "stepping");
 *     }
 *     mj_step(m, d);                      // any MuJoCo calls
 *     prefrl_mj_guard_pop(&g);
 *
 * setjmp must be called in the function that stays active during the guarded
 * calls (hence the macro-free pattern).  Locals modified between setjmp and
 * the error and read afterwards must be `volatile`.  After an error inside
 * mj_step/mj_forward the mjData is in an undefined state (its stack mark is
 * not restored): call mj_resetData (prefrl_mj_reset) before using it again.
 * Guards nest per thread. */
typedef struct PrefrlMjGuard {
    jmp_buf jmp;
    struct PrefrlMjGuard *prev;              /* enclosing guard of this thread */
    char message[PREFRL_MJ_ERROR_SIZE];      /* MuJoCo's error text */
} PrefrlMjGuard;

/** Install the process-wide MuJoCo error/warning handlers (idempotent,
 *  thread-safe).  Called by every function of this header that talks to
 *  MuJoCo; call it yourself only before raw MuJoCo calls in your own guard. */
PREFRL_API void prefrl_mj_install_handlers(void);

/** Make `guard` the innermost guard of this thread (installs the handlers). */
PREFRL_API void prefrl_mj_guard_push(PrefrlMjGuard *guard);

/** Remove `guard`, which must be the innermost guard, after the guarded calls
 *  returned normally. */
PREFRL_API void prefrl_mj_guard_pop(PrefrlMjGuard *guard);

/** After a long jump to `guard`: set *error (PREFRL_ERROR_MUJOCO) to
 *  "MuJoCo error while WHAT: MESSAGE" and return FALSE. */
PREFRL_API gboolean prefrl_mj_guard_fail(const PrefrlMjGuard *guard, GError **error,
                                         const char *what);

/* ---- models ------------------------------------------------------------- */

/** Check that the MuJoCo library's mj_version() equals the header the code
 *  was built with (mjVERSION_HEADER); PREFRL_ERROR_MUJOCO otherwise. */
PREFRL_API gboolean prefrl_mj_check_version(GError **error);

/** Find a bundled model file: `file` in each directory of
 *  $PREFRL_MODEL_PATH (':'-separated), then in the install directory
 *  ($(pkgdatadir)/models, where `make install` puts the bundled models; the
 *  build tree's ./prefrl and the tests point PREFRL_MODEL_PATH at the source
 *  tree's plugins/<kind>/<name>/models folders).  `file` may contain a
 *  subdirectory.  Returns a newly allocated path (transfer full, g_free) or
 *  NULL with PREFRL_ERROR_IO naming every place looked at. */
PREFRL_API char *prefrl_mj_find_model(const char *file, GError **error);

/** Resolve the model of an env: `user_path` when non-NULL and non-empty (must
 *  exist; PREFRL_ERROR_IO otherwise), else the bundled `file` as found by
 *  prefrl_mj_find_model.  (transfer full, g_free) */
PREFRL_API char *prefrl_mj_resolve_model(const char *user_path, const char *file, GError **error);

/** Load and compile an MJCF (or MJB, by extension ".mjb") file after checking
 *  the library version.  Errors (PREFRL_ERROR_MUJOCO) carry the path and
 *  MuJoCo's message.  (transfer full: mj_deleteModel) */
PREFRL_API mjModel *prefrl_mj_load_model(const char *path, GError **error);

/** mj_makeData under a guard.  (transfer full: mj_deleteData) */
PREFRL_API mjData *prefrl_mj_make_data(const mjModel *m, GError **error);

/* ---- names -------------------------------------------------------------- */

/** One name a task needs from its model; `*id` receives its index. */
typedef struct PrefrlMjName {
    int type;           /* mjtObj: mjOBJ_BODY, mjOBJ_JOINT, mjOBJ_SITE, ... */
    const char *name;
    int *id;            /* out: index in the model, -1 when missing */
} PrefrlMjName;

/** Resolve every entry of names[0..n).  When some are missing, fail with one
 *  PREFRL_ERROR_MUJOCO error listing ALL of them:
 *  "model walker.xml lacks joint 'rootz', site 'torso'".  `model_label` names
 *  the model in that message (e.g. the file's basename). */
PREFRL_API gboolean prefrl_mj_lookup(const mjModel *m, const char *model_label,
                                     const PrefrlMjName *names, size_t n, GError **error);

/** Lowercase word for an mjtObj ("body", "joint", "geom", "site", "sensor",
 *  "actuator", "tendon", ...); "object" for unknown types.  (transfer none) */
PREFRL_API const char *prefrl_mj_type_name(int type);

/* ---- stepping ----------------------------------------------------------- */

/** Map an action in [-1, 1]^nu to d->ctrl: each entry clipped to [-1, 1],
 *  then mapped affinely onto the actuator's ctrlrange when it is ctrllimited
 *  (low + (a + 1)/2 (high - low)), copied as is otherwise.  A non-finite entry
 *  fails with PREFRL_ERROR_NUMERIC naming its index; ctrl is then untouched. */
PREFRL_API gboolean prefrl_mj_set_action(const mjModel *m, mjData *d, const float *action,
                                         GError **error);

/** mj_resetData under a guard. */
PREFRL_API gboolean prefrl_mj_reset(const mjModel *m, mjData *d, GError **error);

/** mj_forward under a guard; with `no_actuation` actuation is disabled for
 *  this call (mjDSBL_ACTUATION, as DMC does after a reset): the model's
 *  disableflags are changed during the call and restored before returning,
 *  so `m` must not be in use by another thread meanwhile. */
PREFRL_API gboolean prefrl_mj_forward(mjModel *m, mjData *d, gboolean no_actuation, GError **error);

/** Control (or original env) steps the next env step holds when `t` of the
 *  episode's `limit` were taken, at `repeat` per step
 *  (PrefrlEnvOps.lift_time_limit's contract): `repeat`, fewer for the last
 *  step before the limit, none past it unless the limit was lifted
 *  (`unlimited`), then whole repeats again. */
PREFRL_API int prefrl_mj_step_repeats(int t, int limit, int repeat, gboolean unlimited);

/** `nstep` calls of mj_step under one guard, then, when `step1` is set, one
 *  mj_step1 so position/velocity quantities (xpos, xmat, sensors) describe
 *  the final state (DMC's "legacy step").  Fails with PREFRL_ERROR_MUJOCO on
 *  a MuJoCo error and on divergence (MuJoCo's bad qpos/qvel/qacc warnings:
 *  MuJoCo then auto-resets the data, so the episode is lost either way).
 *  After a failure the data must be reset before further use. */
PREFRL_API gboolean prefrl_mj_step(const mjModel *m, mjData *d, int nstep, gboolean step1,
                                   GError **error);

/** FALSE with PREFRL_ERROR_MUJOCO when MuJoCo flagged bad qpos/qvel/qacc in
 *  `d` since its last reset (prefrl_mj_step calls this). */
PREFRL_API gboolean prefrl_mj_check_divergence(const mjModel *m, const mjData *d, GError **error);

/** Write the simulation state of d that determines its future to a
 *  checkpoint stream: m's sizes (nq, nv, na, nu, nmocap), then time, qpos,
 *  qvel, act, ctrl, qacc_warmstart (the solver's warm start), mocap_pos and
 *  mocap_quat.  Model arrays an environment edits (fixture positions, geom
 *  sizes) are the environment's to write. */
PREFRL_API void prefrl_mj_write_state(PrefrlCkpt *out, const mjModel *m, const mjData *d);

/** Read a state written by prefrl_mj_write_state.  Sizes that differ from
 *  m's are the stream's format error naming both, and leave d untouched;
 *  otherwise d is reset (prefrl_mj_reset) and the state read into it.
 *  FALSE with the stream's error or MuJoCo's; after a failure past the
 *  sizes d must be reset before use.  Call prefrl_mj_forward afterwards
 *  (once any model arrays are read too) so that every quantity derived
 *  from the state is recomputed. */
PREFRL_API gboolean prefrl_mj_read_state(PrefrlCkpt *in, const mjModel *m, mjData *d,
                                         GError **error);

/** Copy the physics state: nq qpos, nv qvel and the simulation time (s).
 *  Any output pointer may be NULL. */
PREFRL_API void prefrl_mj_snapshot(const mjModel *m, const mjData *d, double *qpos, double *qvel,
                                   double *time);

/* ---- physics description for tools -------------------------------------- */

/** Record that env instance `self` simulates the model file `model_path`
 *  with `substeps` physics steps (mj_step) per env step (one step() call,
 *  including any action repeat), so tools such as `prefrl bench env` can
 *  time raw mj_step loops doing the same physics work on the same model.
 *  Call at create (the path is copied); call prefrl_mj_forget_instance in
 *  destroy.  Thread-safe. */
PREFRL_API void prefrl_mj_describe_instance(const void *self, const char *model_path, int substeps);

/** Drop what prefrl_mj_describe_instance recorded for `self` (no-op if none). */
PREFRL_API void prefrl_mj_forget_instance(const void *self);

/** What was recorded for `self`: TRUE and the model path (transfer full,
 *  g_free) and substeps, or FALSE when the instance described nothing (e.g.
 *  not a MuJoCo env). */
PREFRL_API gboolean prefrl_mj_instance_physics(const void *self, char **model_path, int *substeps);

/* ---- offscreen rendering (docs/rendering.md) ----------------------------- */

/** Largest width or height prefrl_mj_render accepts (pixels). */
#define PREFRL_MJ_RENDER_MAX 4096

/** The camera used when none is named: the first of `cameras` (names of
 *  model cameras, NULL-terminated, may be NULL) that the model has, else a
 *  free camera looking at body `body` (its position in the rendered state,
 *  plus `lookat_offset`) from `distance` metres at `azimuth` and `elevation`
 *  degrees (MuJoCo's mjvCamera convention). */
typedef struct PrefrlMjView {
    const char *const *cameras;
    int body;
    double lookat_offset[3];
    double distance;
    double azimuth;
    double elevation;
} PrefrlMjView;

/** An offscreen renderer of one model (OSMesa context + mjvScene +
 *  mjrContext).  Creating it is cheap: the GL context is made on the first
 *  render and grown to the largest size asked for; freed with the renderer.
 *  It owns a scratch mjData, so rendering never touches the simulation's.
 *  Not thread-safe: use one renderer from one thread at a time. */
typedef struct PrefrlMjRenderer PrefrlMjRenderer;

/** A renderer of model `m` (which must outlive it) with default view
 *  `view` (copied; `view->cameras` must outlive it, e.g. a static array).
 *  (transfer full: prefrl_mj_renderer_free) */
PREFRL_API PrefrlMjRenderer *prefrl_mj_renderer_new(const mjModel *m, const PrefrlMjView *view);

/** Free a renderer and its GL resources (NULL is a no-op). */
PREFRL_API void prefrl_mj_renderer_free(PrefrlMjRenderer *r);

/** The camera names the renderer accepts: the model's named cameras, then
 *  "free" (the default view's free camera), NULL-terminated (transfer none). */
PREFRL_API const char *const *prefrl_mj_renderer_cameras(const PrefrlMjRenderer *r);

/** Render a state of the renderer's model into rgb (width * height * 3 bytes,
 *  rows top-down): the state of `d` when qpos is NULL, else qpos (nq), qvel
 *  (nv) and time, with d's mocap poses.  Only the renderer's scratch data is
 *  written (positions recomputed by mj_fwdPosition); `m` is used read-only
 *  apart from its offscreen size, set and restored around a context resize.
 *  camera: a name of prefrl_mj_renderer_cameras or NULL for the default view.
 *  FALSE with a one-line error: PREFRL_ERROR_CONFIG for a size outside
 *  1..PREFRL_MJ_RENDER_MAX or an unknown camera, PREFRL_ERROR_MUJOCO when
 *  OSMesa or MuJoCo's renderer fails. */
PREFRL_API gboolean prefrl_mj_render(PrefrlMjRenderer *r, mjModel *m, const mjData *d,
                                     const double *qpos, const double *qvel, double time,
                                     const char *camera, int width, int height, guint8 *rgb,
                                     GError **error);

/* ---- reward shaping (dm_control rewards.py / Meta-world reward_utils) ---- */

/** The sigmoids of `tolerance`. */
typedef enum {
    PREFRL_SIGMOID_GAUSSIAN = 0,  /* v^(d^2) (the default) */
    PREFRL_SIGMOID_HYPERBOLIC,    /* 1/cosh(d acosh(1/v)) */
    PREFRL_SIGMOID_LONG_TAIL,     /* 1/(d^2 (1/v - 1) + 1) */
    PREFRL_SIGMOID_RECIPROCAL,    /* 1/(d (1/v - 1) + 1) */
    PREFRL_SIGMOID_COSINE,        /* (1 + cos(pi d c))/2, c = acos(2v - 1)/pi, 0 past d c >= 1 */
    PREFRL_SIGMOID_LINEAR,        /* 1 - d (1 - v), 0 past d (1 - v) >= 1 */
    PREFRL_SIGMOID_QUADRATIC,     /* 1 - d^2 (1 - v), 0 past d sqrt(1 - v) >= 1 */
    PREFRL_SIGMOID_TANH_SQUARED   /* 1 - tanh^2(d atanh(sqrt(1 - v))) */
} PrefrlSigmoid;

/** Sigmoid `s` at distance d >= 0 (in margins) with value v at d = 1.
 *  v must lie in (0, 1) — [0, 1) for cosine, linear and quadratic; NaN
 *  (and a g_critical) for a v out of range. */
PREFRL_API double prefrl_sigmoid(double d, PrefrlSigmoid s, double value_at_margin);

/** dm_control's tolerance: 1 when lo <= x <= hi; otherwise 0 when margin == 0,
 *  else sigmoid(distance to the nearest bound / margin).  lo, hi may be
 *  +-INFINITY; lo <= hi and margin >= 0 are required (NaN otherwise). */
PREFRL_API double prefrl_tolerance(double x, double lo, double hi, double margin, PrefrlSigmoid s,
                                   double value_at_margin);

/** Meta-world's Hamacher product a b / (a + b - a b) (0 when the denominator
 *  is 0), a "soft and" of a, b in [0, 1]. */
PREFRL_API double prefrl_hamacher_product(double a, double b);

G_END_DECLS

#endif
