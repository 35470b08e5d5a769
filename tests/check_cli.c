/* The prefrl program: exit statuses and the "prefrl: error: FILE:LINE:COL:"
 * format, describe/plugins output, and run refusing to overwrite. */
#include "config.h"
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include "check_suites.h"

#define PREFRL TEST_BUILDDIR "/../prefrl"

/* run prefrl with args; stdout/stderr owned by caller; returns exit status */
static int prefrl(const char *const *args, char **out, char **err)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)PREFRL);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    char **env = g_get_environ();
    env = g_environ_setenv(env, "PREFRL_PLUGIN_PATH", TEST_BUILDDIR "/fixtures/.libs", TRUE);
    int status = -1;
    GError *error = NULL;
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out,
                               err, &status, &error),
                  "%s", error ? error->message : "");
    g_strfreev(env);
    g_ptr_array_unref(argv);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_error_format)
{
    char *out, *err;
    const char *a[] = {"check", RECIPES "unknown_key.yaml", NULL};
    ck_assert_int_eq(prefrl(a, &out, &err), 1);
    /* the last line (warnings about the broken fixture plugins come first) */
    ck_assert_msg(g_str_has_suffix(err, "\nprefrl: error: " RECIPES "unknown_key.yaml:4:3: unknown "
                                        "key 'gian' in env/fixture_line; did you mean 'gain'?\n"),
                  "%s", err);
    g_free(out);
    g_free(err);
    const char *b[] = {"frobnicate", NULL};
    ck_assert_int_eq(prefrl(b, &out, &err), 2);
    ck_assert(g_str_has_prefix(err, "prefrl: error: unknown command 'frobnicate'"));
    g_free(out);
    g_free(err);
}
END_TEST

START_TEST(test_describe_and_plugins)
{
    char *out, *err;
    const char *a[] = {"describe", "env/fixture_line", NULL};
    ck_assert_int_eq(prefrl(a, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "mode                     fast|slow|exact"));
    ck_assert_ptr_nonnull(strstr(out, "how to integrate"));
    g_free(out);
    g_free(err);
    const char *b[] = {"describe", "env/fixture_lin", NULL};
    ck_assert_int_eq(prefrl(b, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "did you mean 'fixture_line'?"));
    g_free(out);
    g_free(err);
    const char *c[] = {"plugins", NULL};
    ck_assert_int_eq(prefrl(c, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "fixture_pick"));
    /* the broken fixtures are reported, not fatal */
    ck_assert_ptr_nonnull(strstr(err, "ABI version 99"));
    g_free(out);
    g_free(err);
    const char *d[] = {"--version", NULL};
    ck_assert_int_eq(prefrl(d, &out, &err), 0);
    ck_assert(g_str_has_prefix(out, "prefrl " PACKAGE_VERSION " (plugin ABI "));
    g_free(out);
    g_free(err);
}
END_TEST

START_TEST(test_check_print)
{
    char *out, *err;
    const char *a[] = {"check", RECIPES "good.yaml", "--print", "env.gain=0.5", NULL};
    ck_assert_int_eq(prefrl(a, &out, &err), 1); /* no agent section: not runnable */
    ck_assert_ptr_nonnull(strstr(err, "missing section 'agent:'"));
    g_free(out);
    g_free(err);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_error_format);
    tcase_add_test(tc, test_describe_and_plugins);
    tcase_add_test(tc, test_check_print);
    suite_add_tcase(s, tc);
    return s;
}
