/* Running a program from a test and keeping its status and output
 * (cli_test.h): one spawn for the prefrl program and for the programs on
 * PATH check_slurm drives (scontrol, scancel). */
#include "config.h"
#include <stdarg.h>
#include <sys/wait.h>
#include <check.h>

#include "cli_test.h"

void cli_test_fixture_plugins_first(void)
{
    char *path = g_strjoin(G_SEARCHPATH_SEPARATOR_S, TEST_BUILDDIR "/common/fixtures/.libs",
                           g_getenv("PREFRL_PLUGIN_PATH"), NULL);
    g_setenv("PREFRL_PLUGIN_PATH", path, TRUE);
    g_free(path);
}

void cli_test_result_clear(CliTestResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

CliTestResult cli_test_spawn(const char *cwd, const char *const *argv, const char *const *envp,
                             gboolean search_path)
{
    CliTestResult r = {0};
    int wstatus = 0;
    GError *err = NULL;
    ck_assert_msg(g_spawn_sync(cwd, (char **)argv, (char **)envp,
                               search_path ? G_SPAWN_SEARCH_PATH : G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &wstatus, &err),
                  "%s: %s", argv[0], err ? err->message : "");
    r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return r;
}

CliTestResult cli_test_prefrlv(const char *cwd, const char *const *envp, const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, CLI_TEST_PRG);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    CliTestResult r = cli_test_spawn(cwd, (const char *const *)argv->pdata, envp, FALSE);
    g_ptr_array_unref(argv);
    return r;
}

/* the NULL-terminated rest of a variadic list after `first`, in a new array */
static GPtrArray *collect(const char *first, va_list ap)
{
    GPtrArray *args = g_ptr_array_new();
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(args, (char *)a);
    g_ptr_array_add(args, NULL);
    return args;
}

CliTestResult cli_test_prefrl(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    GPtrArray *args = collect(first, ap);
    va_end(ap);
    CliTestResult r = cli_test_prefrlv(NULL, NULL, (const char *const *)args->pdata);
    g_ptr_array_unref(args);
    return r;
}

CliTestResult cli_test_run_in(const char *cwd, const char *prog, ...)
{
    va_list ap;
    va_start(ap, prog);
    GPtrArray *argv = collect(prog, ap);
    va_end(ap);
    ck_assert_msg(g_mkdir_with_parents(cwd, 0755) == 0, "cannot create %s", cwd);
    CliTestResult r = cli_test_spawn(cwd, (const char *const *)argv->pdata, NULL, TRUE);
    g_ptr_array_unref(argv);
    return r;
}
