/* Checkpoint-stream helpers the component tests share: a scratch directory,
 * a component's save and load hooks run on a file the way the trainer runs
 * them (the stream's error checked after the hook, the checksum at close),
 * and file bytes to damage.  Header-only: every test program that includes
 * it gets its own static copies. */
#ifndef PREFRL_CKPT_TEST_H
#define PREFRL_CKPT_TEST_H

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <check.h>

#include <prefrl/ckpt.h>
#include <prefrl/plugin.h>

/** A new empty directory under the system's temporary folder.  (transfer
 *  full; remove it with ckpt_test_rmdir) */
static inline char *ckpt_test_tmpdir(void)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("prefrl-ckpt-XXXXXX", &err);
    ck_assert_msg(dir != NULL, "%s", err ? err->message : "");
    return dir;
}

/** Remove `dir` and the plain files in it, then free the name. */
static inline void ckpt_test_rmdir(char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(dir, name, NULL);
        g_remove(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
    g_free(dir);
}

/** Run component c's save hook on `self` into a new checkpoint `path`. */
static inline gboolean ckpt_test_save(const PrefrlComponent *c, void *self, const char *path,
                                      GError **error)
{
    PrefrlCkpt *k = prefrl_ckpt_open_write(path, error);
    if (!k)
        return FALSE;
    if (!c->save(self, k, error) || !prefrl_ckpt_check(k, error)) {
        prefrl_ckpt_abort(k);
        return FALSE;
    }
    return prefrl_ckpt_close(k, error);
}

/** Run component c's load hook on `self` from checkpoint `path`. */
static inline gboolean ckpt_test_load(const PrefrlComponent *c, void *self, const char *path,
                                      GError **error)
{
    PrefrlCkpt *k = prefrl_ckpt_open_read(path, error);
    if (!k)
        return FALSE;
    if (!c->load(self, k, error) || !prefrl_ckpt_check(k, error)) {
        prefrl_ckpt_abort(k);
        return FALSE;
    }
    return prefrl_ckpt_close(k, error);
}

/** The bytes of `path`; fails the test when it cannot be read.  (transfer
 *  full) */
static inline char *ckpt_test_read(const char *path, gsize *len)
{
    char *bytes = NULL;
    GError *err = NULL;
    ck_assert_msg(g_file_get_contents(path, &bytes, len, &err), "%s",
                  err ? err->message : "");
    return bytes;
}

/** Replace `path` with len bytes. */
static inline void ckpt_test_write(const char *path, const char *bytes, gsize len)
{
    GError *err = NULL;
    ck_assert_msg(g_file_set_contents(path, bytes, (gssize)len, &err), "%s",
                  err ? err->message : "");
}

/** Assert that err is a format error naming `path` and containing `needle`
 *  (NULL: any message), then clear it. */
static inline void ckpt_test_refused(GError **err, const char *path, const char *needle)
{
    ck_assert_msg(*err != NULL, "no error");
    ck_assert_msg(g_error_matches(*err, PREFRL_ERROR, PREFRL_ERROR_FORMAT), "code %d: %s",
                  (*err)->code, (*err)->message);
    ck_assert_msg(strstr((*err)->message, path) != NULL, "'%s' does not name %s",
                  (*err)->message, path);
    ck_assert_msg(needle == NULL || strstr((*err)->message, needle) != NULL,
                  "'%s' lacks '%s'", (*err)->message, needle);
    g_clear_error(err);
}

/* save->load->save of an instance state gives the same bytes: saving `b`
 * (just loaded from `path`) into DIR/again.bin reproduces `path`, so nothing
 * the next step uses is recomputed on loading; `what` names the case */
static inline void ckpt_test_same_after_load(const PrefrlComponent *c, void *b, const char *dir,
                                             const char *path, const char *what)
{
    GError *err = NULL;
    char *again = g_build_filename(dir, "again.bin", NULL);
    ck_assert_msg(ckpt_test_save(c, b, again, &err), "%s", err ? err->message : "");
    gsize nx, ny;
    char *x = ckpt_test_read(path, &nx), *y = ckpt_test_read(again, &ny);
    gsize first = 0;
    while (first < MIN(nx, ny) && x[first] == y[first])
        first++;
    ck_assert_msg(nx == ny && memcmp(x, y, nx) == 0,
                  "%s: load then save changed the state (byte %zu of %zu)", what, first, nx);
    g_free(x);
    g_free(y);
    g_unlink(again);
    g_free(again);
}

#endif
