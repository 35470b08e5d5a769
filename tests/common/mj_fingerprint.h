/* Physics fingerprints of a MuJoCo model, for the env tests that guard the
 * bundled models against physical change when only their look is edited
 * (materials, textures, lights, cameras, skybox, <visual>).
 *
 * mj_fp_physics hashes the compiled arrays that decide the dynamics (sizes,
 * options, masses and inertias, geom shapes and contact parameters, joints,
 * dofs, tendons, equalities, actuators); mj_fp_trajectory hashes qpos, qvel
 * and act along `steps` mj_step calls from a fixed perturbed state under a
 * fixed control pattern.  Values are hashed as text with 9 (model) or 6
 * (trajectory) significant digits, so last-bit differences between libm
 * builds do not flip the hash.  Header-only: every test program that
 * includes it gets its own static copies. */
#ifndef PREFRL_MJ_FINGERPRINT_H
#define PREFRL_MJ_FINGERPRINT_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <mujoco/mujoco.h>

/** FNV-1a over the bytes of `p`. */
static inline uint64_t mj_fp_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/** Hash n doubles as text with `digits` significant digits (-0 as 0). */
static inline uint64_t mj_fp_reals(uint64_t h, const double *x, size_t n, int digits)
{
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        double v = x[i] == 0 ? 0 : x[i];
        int len = snprintf(buf, sizeof buf, "%.*e;", digits - 1, v);
        h = mj_fp_bytes(h, buf, (size_t)len);
    }
    return h;
}

static inline uint64_t mj_fp_ints(uint64_t h, const int *x, size_t n)
{
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, "%d;", x[i]);
        h = mj_fp_bytes(h, buf, (size_t)len);
    }
    return h;
}

#define MJ_FP_SEED UINT64_C(14695981039346656037)

/** Hash of the physics-relevant parts of a compiled model. */
static inline uint64_t mj_fp_physics(const mjModel *m)
{
    uint64_t h = MJ_FP_SEED;
    const int sizes[] = {m->nq,      m->nv,   m->nu,      m->na,     m->nbody, m->njnt,
                         m->ngeom,   m->nsite, m->nmocap, m->ntendon, m->neq,  m->nsensor,
                         m->nconmax, m->njmax, m->nexclude};
    h = mj_fp_ints(h, sizes, sizeof sizes / sizeof *sizes);
    const mjOption *o = &m->opt;
    const double opt_reals[] = {o->timestep, o->apirate,       o->impratio,  o->tolerance,
                                o->noslip_tolerance, o->mpr_tolerance, o->gravity[0],
                                o->gravity[1], o->gravity[2],  o->wind[0],   o->wind[1],
                                o->wind[2],    o->magnetic[0], o->magnetic[1], o->magnetic[2],
                                o->density,    o->viscosity,   o->o_margin};
    h = mj_fp_reals(h, opt_reals, sizeof opt_reals / sizeof *opt_reals, 9);
    const int opt_ints[] = {o->integrator, o->collision,   o->cone,        o->jacobian,
                            o->solver,     o->iterations,  o->noslip_iterations,
                            o->mpr_iterations, o->disableflags, o->enableflags};
    h = mj_fp_ints(h, opt_ints, sizeof opt_ints / sizeof *opt_ints);
    h = mj_fp_reals(h, m->qpos0, (size_t)m->nq, 9);
    h = mj_fp_reals(h, m->qpos_spring, (size_t)m->nq, 9);
    /* bodies */
    h = mj_fp_ints(h, m->body_parentid, (size_t)m->nbody);
    h = mj_fp_ints(h, m->body_mocapid, (size_t)m->nbody);
    h = mj_fp_reals(h, m->body_pos, 3 * (size_t)m->nbody, 9);
    h = mj_fp_reals(h, m->body_quat, 4 * (size_t)m->nbody, 9);
    h = mj_fp_reals(h, m->body_ipos, 3 * (size_t)m->nbody, 9);
    h = mj_fp_reals(h, m->body_iquat, 4 * (size_t)m->nbody, 9);
    h = mj_fp_reals(h, m->body_mass, (size_t)m->nbody, 9);
    h = mj_fp_reals(h, m->body_inertia, 3 * (size_t)m->nbody, 9);
    /* joints and dofs */
    h = mj_fp_ints(h, m->jnt_type, (size_t)m->njnt);
    h = mj_fp_ints(h, m->jnt_bodyid, (size_t)m->njnt);
    h = mj_fp_bytes(h, m->jnt_limited, (size_t)m->njnt);
    h = mj_fp_reals(h, m->jnt_pos, 3 * (size_t)m->njnt, 9);
    h = mj_fp_reals(h, m->jnt_axis, 3 * (size_t)m->njnt, 9);
    h = mj_fp_reals(h, m->jnt_range, 2 * (size_t)m->njnt, 9);
    h = mj_fp_reals(h, m->jnt_stiffness, (size_t)m->njnt, 9);
    h = mj_fp_reals(h, m->jnt_solref, mjNREF * (size_t)m->njnt, 9);
    h = mj_fp_reals(h, m->jnt_solimp, mjNIMP * (size_t)m->njnt, 9);
    h = mj_fp_reals(h, m->jnt_margin, (size_t)m->njnt, 9);
    h = mj_fp_reals(h, m->dof_damping, (size_t)m->nv, 9);
    h = mj_fp_reals(h, m->dof_armature, (size_t)m->nv, 9);
    h = mj_fp_reals(h, m->dof_frictionloss, (size_t)m->nv, 9);
    /* geoms: shape, placement and contact parameters */
    h = mj_fp_ints(h, m->geom_type, (size_t)m->ngeom);
    h = mj_fp_ints(h, m->geom_bodyid, (size_t)m->ngeom);
    h = mj_fp_ints(h, m->geom_contype, (size_t)m->ngeom);
    h = mj_fp_ints(h, m->geom_conaffinity, (size_t)m->ngeom);
    h = mj_fp_ints(h, m->geom_condim, (size_t)m->ngeom);
    h = mj_fp_ints(h, m->geom_priority, (size_t)m->ngeom);
    h = mj_fp_reals(h, m->geom_size, 3 * (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_pos, 3 * (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_quat, 4 * (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_friction, 3 * (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_solmix, (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_solref, mjNREF * (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_solimp, mjNIMP * (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_margin, (size_t)m->ngeom, 9);
    h = mj_fp_reals(h, m->geom_gap, (size_t)m->ngeom, 9);
    /* sites (sensors and task code read their frames) */
    h = mj_fp_ints(h, m->site_bodyid, (size_t)m->nsite);
    h = mj_fp_reals(h, m->site_pos, 3 * (size_t)m->nsite, 9);
    h = mj_fp_reals(h, m->site_quat, 4 * (size_t)m->nsite, 9);
    /* tendons, equalities, contact exclusions */
    h = mj_fp_reals(h, m->tendon_stiffness, (size_t)m->ntendon, 9);
    h = mj_fp_reals(h, m->tendon_damping, (size_t)m->ntendon, 9);
    h = mj_fp_reals(h, m->wrap_prm, (size_t)m->nwrap, 9);
    h = mj_fp_ints(h, m->eq_type, (size_t)m->neq);
    h = mj_fp_ints(h, m->eq_obj1id, (size_t)m->neq);
    h = mj_fp_ints(h, m->eq_obj2id, (size_t)m->neq);
    h = mj_fp_reals(h, m->eq_solref, mjNREF * (size_t)m->neq, 9);
    h = mj_fp_reals(h, m->eq_solimp, mjNIMP * (size_t)m->neq, 9);
    h = mj_fp_reals(h, m->eq_data, mjNEQDATA * (size_t)m->neq, 9);
    h = mj_fp_ints(h, m->exclude_signature, (size_t)m->nexclude);
    /* actuators */
    h = mj_fp_ints(h, m->actuator_trntype, (size_t)m->nu);
    h = mj_fp_ints(h, m->actuator_dyntype, (size_t)m->nu);
    h = mj_fp_ints(h, m->actuator_gaintype, (size_t)m->nu);
    h = mj_fp_ints(h, m->actuator_biastype, (size_t)m->nu);
    h = mj_fp_ints(h, m->actuator_trnid, 2 * (size_t)m->nu);
    h = mj_fp_reals(h, m->actuator_dynprm, mjNDYN * (size_t)m->nu, 9);
    h = mj_fp_reals(h, m->actuator_gainprm, mjNGAIN * (size_t)m->nu, 9);
    h = mj_fp_reals(h, m->actuator_biasprm, mjNBIAS * (size_t)m->nu, 9);
    h = mj_fp_reals(h, m->actuator_ctrlrange, 2 * (size_t)m->nu, 9);
    h = mj_fp_reals(h, m->actuator_gear, 6 * (size_t)m->nu, 9);
    return h;
}

/** Hash of qpos, qvel and act along `steps` steps from qpos0 with a fixed
 *  velocity kick, under a fixed control pattern inside each ctrlrange. */
static inline uint64_t mj_fp_trajectory(const mjModel *m, int steps)
{
    mjData *d = mj_makeData(m);
    if (!d)
        return 0;
    for (int i = 0; i < m->nv; i++)
        d->qvel[i] = 0.2 * sin(1.3 * i + 0.5);
    uint64_t h = MJ_FP_SEED;
    for (int t = 0; t < steps; t++) {
        for (int i = 0; i < m->nu; i++) {
            double lo = -1, hi = 1;
            if (m->actuator_ctrllimited[i]) {
                lo = m->actuator_ctrlrange[2 * i];
                hi = m->actuator_ctrlrange[2 * i + 1];
            }
            d->ctrl[i] = 0.5 * (lo + hi) + 0.4 * (hi - lo) * sin(0.7 * t + 1.1 * i);
        }
        mj_step(m, d);
        h = mj_fp_reals(h, d->qpos, (size_t)m->nq, 6);
        h = mj_fp_reals(h, d->qvel, (size_t)m->nv, 6);
        h = mj_fp_reals(h, d->act, (size_t)m->na, 6);
    }
    mj_deleteData(d);
    return h;
}

#endif
