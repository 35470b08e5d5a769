/* An environment plugin under test, driven as a run drives it: created
 * through the default registry from the built plugin, reset and stepped
 * through its PrefrlEnvOps, each call failing the test with the plugin's
 * message; and the variance that tells a rendered frame from a blank one.
 * Shared by the env plugins' tests (dmc, metaworld and the rendering
 * checks).  Header-only: each program that includes it gets its own static
 * copies. */
#ifndef PREFRL_ENV_TEST_H
#define PREFRL_ENV_TEST_H

#include <math.h>
#include <check.h>
#include <glib.h>

#include <prefrl/plugin.h>
#include <prefrl/rng.h>

#include "host/registry.h"

/** env/`name` from the default registry with `overrides` (NULL-terminated,
 *  may be NULL) and `seed`; fails the test when it cannot be created. */
static inline PrefrlInstance *env_test_make(const char *name, uint64_t seed,
                                            const char *const *overrides)
{
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_ENV, name,
                                               overrides, seed, NULL, &err);
    ck_assert_msg(inst != NULL, "creating %s: %s", name, err ? err->message : "?");
    return inst;
}

/** The env's operations. */
static inline const PrefrlEnvOps *env_test_ops(const PrefrlInstance *inst)
{
    return inst->component->ops;
}

/** Reset the env, its first observation in `obs`; fails the test on an error. */
static inline void env_test_reset(PrefrlInstance *inst, float *obs)
{
    GError *err = NULL;
    gboolean ok = env_test_ops(inst)->reset(inst->self, obs, &err);
    ck_assert_msg(ok, "reset: %s", err ? err->message : "?");
}

/** One step with `act`: the observation in `obs`, the step's outcome in
 *  `st`; fails the test on an error. */
static inline void env_test_step(PrefrlInstance *inst, const float *act, float *obs,
                                 PrefrlEnvStep *st)
{
    GError *err = NULL;
    gboolean ok = env_test_ops(inst)->step(inst->self, act, obs, st, &err);
    ck_assert_msg(ok, "step: %s", err ? err->message : "?");
}

/** `steps` steps from the current state with actions drawn uniformly in
 *  [-amax, amax] from rng (act_dim of them); every observation entry
 *  (obs_dim) must be finite and every reward in [rmin, rmax]; the rewards'
 *  range is added to *lo and *hi.  obs and act are the caller's buffers. */
static inline void env_test_random_steps(PrefrlInstance *inst, PrefrlRng *rng, int steps,
                                         double amax, float *act, int act_dim, float *obs,
                                         int obs_dim, double rmin, double rmax, double *lo,
                                         double *hi)
{
    PrefrlEnvStep st;
    for (int t = 0; t < steps; t++) {
        for (int i = 0; i < act_dim; i++)
            act[i] = (float)prefrl_rng_range(rng, -amax, amax);
        env_test_step(inst, act, obs, &st);
        ck_assert_msg(st.reward >= rmin && st.reward <= rmax, "step %d: reward %g outside [%g, %g]",
                      t, (double)st.reward, rmin, rmax);
        for (int i = 0; i < obs_dim; i++)
            ck_assert_msg(isfinite(obs[i]), "step %d: observation %d is %g", t, i, (double)obs[i]);
        *lo = MIN(*lo, st.reward);
        *hi = MAX(*hi, st.reward);
    }
}

/** Variance of all channel values of an RGB frame of n bytes (a blank frame
 *  has none). */
static inline double env_test_variance(const guint8 *rgb, size_t n)
{
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += rgb[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (rgb[i] - mean) * (rgb[i] - mean);
    return var / (double)n;
}

#endif
