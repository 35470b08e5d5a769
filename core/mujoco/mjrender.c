/* Offscreen rendering of MuJoCo models through OSMesa (docs/rendering.md):
 * an OSMesa context made on the first render, MuJoCo's mjvScene and
 * mjrContext on it, an offscreen framebuffer grown to the largest size asked
 * for, and a scratch mjData, so the simulation's data is never written. */
#include "config.h"
#include <string.h>

#include <GL/osmesa.h>

#include <prefrl/mjenv.h>

struct PrefrlMjRenderer {
    const mjModel *m;
    PrefrlMjView view;
    mjData *scratch;            /* the rendered state (lazy) */
    char **cameras;             /* model camera names + "free", NULL-terminated */
    OSMesaContext gl;           /* NULL until the first render */
    guint8 *glbuf;              /* OSMesa's colour buffer (RGBA, width x height) */
    int width, height;          /* current offscreen size */
    guint8 *flip;               /* bottom-up pixels from mjr_readPixels */
    mjvScene scene;
    mjrContext con;
    int have_scene, have_con;
};

PrefrlMjRenderer *prefrl_mj_renderer_new(const mjModel *m, const PrefrlMjView *view)
{
    g_return_val_if_fail(m != NULL && view != NULL, NULL);
    PrefrlMjRenderer *r = g_new0(PrefrlMjRenderer, 1);
    r->m = m;
    r->view = *view;
    GPtrArray *names = g_ptr_array_new();
    for (int i = 0; i < m->ncam; i++) {
        const char *n = mj_id2name(m, mjOBJ_CAMERA, i);
        if (n != NULL && n[0] != '\0')
            g_ptr_array_add(names, g_strdup(n));
    }
    g_ptr_array_add(names, g_strdup("free"));
    g_ptr_array_add(names, NULL);
    r->cameras = (char **)g_ptr_array_free(names, FALSE);
    return r;
}

static void release_gl(PrefrlMjRenderer *r)
{
    if (r->gl != NULL)
        OSMesaMakeCurrent(r->gl, r->glbuf, GL_UNSIGNED_BYTE, r->width, r->height);
    if (r->have_con)
        mjr_freeContext(&r->con);
    if (r->have_scene)
        mjv_freeScene(&r->scene);
    r->have_con = r->have_scene = 0;
    if (r->gl != NULL) {
        /* released first: a context destroyed while current keeps its
         * framebuffer objects alive (LeakSanitizer sees them) */
        OSMesaMakeCurrent(NULL, NULL, GL_UNSIGNED_BYTE, 0, 0);
        OSMesaDestroyContext(r->gl);
    }
    r->gl = NULL;
    g_free(r->glbuf);
    g_free(r->flip);
    r->glbuf = r->flip = NULL;
    r->width = r->height = 0;
}

void prefrl_mj_renderer_free(PrefrlMjRenderer *r)
{
    if (r == NULL)
        return;
    release_gl(r);
    if (r->scratch != NULL)
        mj_deleteData(r->scratch);
    g_strfreev(r->cameras);
    g_free(r);
}

const char *const *prefrl_mj_renderer_cameras(const PrefrlMjRenderer *r)
{
    return (const char *const *)r->cameras;
}

/* make the GL context current with an offscreen buffer of at least w x h
 * (called inside the caller's guard) */
static gboolean ensure_gl(PrefrlMjRenderer *r, mjModel *m, int w, int h, GError **error)
{
    if (r->gl == NULL) {
        r->gl = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 0, NULL);
        if (r->gl == NULL) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                        "rendering: OSMesa could not create a context");
            return FALSE;
        }
    }
    int nw = MAX(w, r->width), nh = MAX(h, r->height);
    gboolean grow = nw != r->width || nh != r->height;
    if (grow) {
        g_free(r->glbuf);
        g_free(r->flip);
        r->glbuf = g_malloc((size_t)nw * (size_t)nh * 4);
        r->flip = g_malloc((size_t)nw * (size_t)nh * 3);
        r->width = nw;
        r->height = nh;
    }
    if (!OSMesaMakeCurrent(r->gl, r->glbuf, GL_UNSIGNED_BYTE, r->width, r->height)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                    "rendering: OSMesa could not make its context current at %dx%d", r->width,
                    r->height);
        return FALSE;
    }
    if (!r->have_scene) {
        mjv_defaultScene(&r->scene);
        mjv_makeScene(m, &r->scene, m->ngeom + 1000);
        r->have_scene = 1;
    }
    if (grow || !r->have_con) {
        if (r->have_con)
            mjr_freeContext(&r->con);
        r->have_con = 0;
        int ow = m->vis.global.offwidth, oh = m->vis.global.offheight;
        m->vis.global.offwidth = r->width;
        m->vis.global.offheight = r->height;
        mjr_defaultContext(&r->con);
        mjr_makeContext(m, &r->con, mjFONTSCALE_100);
        m->vis.global.offwidth = ow;
        m->vis.global.offheight = oh;
        r->have_con = 1;
        mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
        if (r->con.currentBuffer != mjFB_OFFSCREEN) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_MUJOCO,
                        "rendering: the GL context has no offscreen framebuffer");
            return FALSE;
        }
    }
    return TRUE;
}

gboolean prefrl_mj_render(PrefrlMjRenderer *r, mjModel *m, const mjData *d, const double *qpos,
                          const double *qvel, double time, const char *camera, int width,
                          int height, guint8 *rgb, GError **error)
{
    g_return_val_if_fail(r != NULL && m == r->m && d != NULL && rgb != NULL, FALSE);
    if (width < 1 || height < 1 || width > PREFRL_MJ_RENDER_MAX ||
        height > PREFRL_MJ_RENDER_MAX) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "rendering: frame size %dx%d is out of range (1 to %d pixels each way)",
                    width, height, PREFRL_MJ_RENDER_MAX);
        return FALSE;
    }
    mjvCamera cam;
    mjv_defaultCamera(&cam);
    int fixed = -1;
    if (camera == NULL) {
        for (const char *const *c = r->view.cameras; c != NULL && *c != NULL && fixed < 0; c++)
            fixed = mj_name2id(m, mjOBJ_CAMERA, *c);
    } else if (strcmp(camera, "free") != 0) {
        fixed = mj_name2id(m, mjOBJ_CAMERA, camera);
        if (fixed < 0) {
            char *list = g_strjoinv(", ", r->cameras);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "rendering: unknown camera '%s' (this model has: %s)", camera, list);
            g_free(list);
            return FALSE;
        }
    }

    PrefrlMjGuard g;
    prefrl_mj_guard_push(&g);
    if (setjmp(g.jmp) != 0)
        return prefrl_mj_guard_fail(&g, error, "rendering");
    if (r->scratch == NULL)
        r->scratch = mj_makeData(m);
    mjData *s = r->scratch;
    mju_copy(s->qpos, qpos ? qpos : d->qpos, m->nq);
    mju_copy(s->qvel, qvel ? qvel : d->qvel, m->nv);
    s->time = qpos ? time : d->time;
    mju_copy(s->mocap_pos, d->mocap_pos, 3 * m->nmocap);
    mju_copy(s->mocap_quat, d->mocap_quat, 4 * m->nmocap);
    mju_copy(s->act, d->act, m->na);
    mj_fwdPosition(m, s);
    if (!ensure_gl(r, m, width, height, error)) {
        prefrl_mj_guard_pop(&g);
        return FALSE;
    }
    if (fixed >= 0) {
        cam.type = mjCAMERA_FIXED;
        cam.fixedcamid = fixed;
    } else {
        cam.type = mjCAMERA_FREE;
        int b = r->view.body >= 0 && r->view.body < m->nbody ? r->view.body : 0;
        for (int i = 0; i < 3; i++)
            cam.lookat[i] = s->xpos[3 * b + i] + r->view.lookat_offset[i];
        cam.distance = r->view.distance > 0 ? r->view.distance : 2.0 * m->stat.extent;
        cam.azimuth = r->view.azimuth;
        cam.elevation = r->view.elevation;
    }
    mjvOption opt;
    mjv_defaultOption(&opt);
    mjv_updateScene(m, s, &opt, NULL, &cam, mjCAT_ALL, &r->scene);
    mjrRect vp = {0, 0, width, height};
    mjr_render(vp, &r->scene, &r->con);
    mjr_readPixels(r->flip, NULL, vp, &r->con);
    prefrl_mj_guard_pop(&g);
    size_t row = (size_t)width * 3;
    for (int y = 0; y < height; y++)
        memcpy(rgb + (size_t)y * row, r->flip + (size_t)(height - 1 - y) * row, row);
    return TRUE;
}
