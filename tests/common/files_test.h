/* Files and directories the test programs read and set up: a file's whole
 * text, a file written from a string, and a fresh place under a test's work
 * directory (whatever an earlier run of the test left there removed).  Each
 * fails the test with the path when it cannot do its part.  Header-only, so
 * that every test program can use it without another source file in its
 * build rule: each program that includes it gets its own static copies. */
#ifndef PREFRL_FILES_TEST_H
#define PREFRL_FILES_TEST_H

#include <glib.h>
#include <glib/gstdio.h>
#include <check.h>

#include "host/recipe.h"

/** The text of dir/name; fails the test when it is missing.  (transfer full) */
/* never inlined: inlined, GCC 12 mistakes pointers into the text for
 * pointers to the local `text` (a false -Wdangling-pointer in the caller);
 * marked unused for the programs that include the header without it */
G_GNUC_NO_INLINE G_GNUC_UNUSED static char *test_slurp(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL), *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "missing %s", path);
    g_free(path);
    return text;
}

/** Write `text` to dir/name; fails the test with the error when it cannot. */
static inline void test_put(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *err = NULL;
    ck_assert_msg(g_file_set_contents(path, text, -1, &err), "%s", err ? err->message : "");
    g_free(path);
}

/** The path parent/name with nothing there (an earlier run's tree is
 *  removed) and `parent` existing: for a command whose creating the
 *  directory is under test.  (transfer full) */
static inline char *test_fresh_path(const char *parent, const char *name)
{
    char *path = g_build_filename(parent, name, NULL);
    ck_assert_msg(prefrl_remove_tree(path), "cannot remove %s", path);
    ck_assert_msg(g_mkdir_with_parents(parent, 0755) == 0, "cannot create %s", parent);
    return path;
}

/** An empty directory parent/name (what an earlier run left there is
 *  removed).  (transfer full) */
static inline char *test_fresh_dir(const char *parent, const char *name)
{
    char *dir = test_fresh_path(parent, name);
    ck_assert_msg(g_mkdir_with_parents(dir, 0755) == 0, "cannot create %s", dir);
    return dir;
}

#endif
