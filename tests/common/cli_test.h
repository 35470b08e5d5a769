/* Running a program from a test and keeping what it said: the prefrl
 * program of the build tree (its libtool wrapper ./prefrl) or any program on
 * PATH, its exit status and its whole stdout and stderr.  The program and
 * CLI tests (cli, lab) share it. */
#ifndef PREFRL_CLI_TEST_H
#define PREFRL_CLI_TEST_H

#include <glib.h>

/** The prefrl program of the build tree. */
#define CLI_TEST_PRG TEST_BUILDDIR "/../prefrl"

/** What a finished program left: its exit status (128 + the signal when a
 *  signal ended it) and its stdout and stderr (owned; cli_test_result_clear). */
typedef struct {
    int status;
    char *out, *err;
} CliTestResult;

/** Put the fixture plugins' directory before the test environment's
 *  PREFRL_PLUGIN_PATH (the build tree's plugins), for this process and the
 *  programs it runs. */
void cli_test_fixture_plugins_first(void);

/** Free the result's stdout and stderr. */
void cli_test_result_clear(CliTestResult *r);

/** Run argv (NULL-terminated; argv[0] searched on PATH when `search_path`)
 *  in `cwd` (NULL: this directory) with the environment `envp` (NULL: this
 *  one) and wait for it; fails the test when it cannot be started. */
CliTestResult cli_test_spawn(const char *cwd, const char *const *argv, const char *const *envp,
                             gboolean search_path);

/** The prefrl program with the NULL-terminated arguments `args`, in `cwd`
 *  (NULL: this directory) with the environment `envp` (NULL: this one). */
CliTestResult cli_test_prefrlv(const char *cwd, const char *const *envp, const char *const *args);

/** The prefrl program with a NULL-terminated list of arguments, here. */
CliTestResult cli_test_prefrl(const char *first, ...) G_GNUC_NULL_TERMINATED;

/** Program `prog` (searched on PATH) with a NULL-terminated list of
 *  arguments, in `cwd` (created when missing). */
CliTestResult cli_test_run_in(const char *cwd, const char *prog, ...) G_GNUC_NULL_TERMINATED;

#endif
