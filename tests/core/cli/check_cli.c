/* The prefrl program: exit statuses and the "prefrl: error: FILE:LINE:COL:"
 * format, describe/plugins output; every command's and benchmark's --help
 * (usage, status 0) and its one-line answer to an unknown option (status
 * 2); option values, "--" and negative numbers; the benchmark recipes. */
#include "config.h"
#include <string.h>
#include <glib/gstdio.h>
#include "check_suites.h"
#include "cli_test.h"

/* run prefrl with args, PREFRL_PLUGIN_PATH the fixture plugins' directory;
 * stdout/stderr owned by caller; returns exit status */
static int prefrl(const char *const *args, char **out, char **err)
{
    char **env = g_environ_setenv(g_get_environ(), "PREFRL_PLUGIN_PATH",
                                  TEST_BUILDDIR "/common/fixtures/.libs", TRUE);
    CliTestResult r = cli_test_prefrlv(NULL, (const char *const *)env, args);
    g_strfreev(env);
    *out = r.out;
    *err = r.err;
    return r.status;
}

START_TEST(test_error_format)
{
    char *out, *err;
    const char *a[] = {"check", RECIPES "unknown_key.yaml", NULL};
    ck_assert_int_eq(prefrl(a, &out, &err), 1);
    /* one line: the broken fixture plugins on the path are not mentioned,
     * since the recipe's components were all found */
    ck_assert_str_eq(err, "prefrl: error: " RECIPES "unknown_key.yaml:4:3: unknown key 'gian' in "
                          "env/fixture_line; did you mean 'gain'?\n");
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

/* the recipe's numerics backend is checked with the run's keys: a CPU
 * without native BF16 (oneDNN capped at AVX512_CORE) refuses onednn-bf16
 * unless emulation is allowed; a build without oneDNN refuses both oneDNN
 * backends */
START_TEST(test_numerics_keys)
{
    g_setenv("DNNL_MAX_CPU_ISA", "AVX512_CORE", TRUE); /* this forked test's child only */
    char *out, *err;
    const char *bf16[] = {"check", RECIPES "good.yaml", "agent.name=fixture_probe",
                          "reward.name=true", "numerics=onednn-bf16", NULL};
    ck_assert_int_eq(prefrl(bf16, &out, &err), 1);
#ifdef HAVE_ONEDNN
    ck_assert_msg(strstr(err, "numerics 'onednn-bf16': this CPU's ISA (avx512_core") &&
                      strstr(err, "numerics_emulated_bf16: true"),
                  "%s", err);
    g_free(out);
    g_free(err);
    const char *emulated[] = {"check", RECIPES "good.yaml", "agent.name=fixture_probe",
                              "reward.name=true", "numerics=onednn-bf16",
                              "numerics_emulated_bf16=true", NULL};
    ck_assert_msg(prefrl(emulated, &out, &err) == 0, "%s", err);
    g_free(out);
    g_free(err);
    const char *fp32[] = {"check", RECIPES "good.yaml", "agent.name=fixture_probe",
                          "reward.name=true", "numerics=onednn-fp32", NULL};
    ck_assert_msg(prefrl(fp32, &out, &err) == 0, "%s", err);
#else
    ck_assert_msg(strstr(err, "needs oneDNN, and this prefrl was built without it"), "%s", err);
#endif
    g_free(out);
    g_free(err);
    const char *bogus[] = {"check", RECIPES "good.yaml", "agent.name=fixture_probe",
                           "reward.name=true", "numerics=fp16", NULL};
    ck_assert_int_eq(prefrl(bogus, &out, &err), 1);
    ck_assert_msg(strstr(err, "openblas, onednn-fp32, onednn-bf16"), "%s", err);
    g_free(out);
    g_free(err);
}
END_TEST

/* every command and benchmark target, as typed after "prefrl" */
static const char *const commands[] = {
    "plugins", "describe", "check", "run", "resume", "evaluate", "env", "sweep", "report",
    "bench", "bench env", "bench nn", "bench agent", "bench meta", "bench trainer",
};

/* prefrl WORDS... EXTRA...: the words of a command, then more arguments */
static int prefrl_cmd(const char *words, const char *const *extra, char **out, char **err)
{
    char **argv = g_strsplit(words, " ", -1);
    GPtrArray *a = g_ptr_array_new();
    for (char **w = argv; *w; w++)
        g_ptr_array_add(a, *w);
    for (const char *const *e = extra; *e; e++)
        g_ptr_array_add(a, (gpointer)*e);
    g_ptr_array_add(a, NULL);
    int status = prefrl((const char *const *)a->pdata, out, err);
    g_ptr_array_unref(a);
    g_strfreev(argv);
    return status;
}

/* the number of lines of text */
static int lines(const char *text)
{
    int n = 0;
    for (const char *c = text; *c; c++)
        n += *c == '\n';
    return n;
}

START_TEST(test_help)
{
    const char *cmd = commands[_i];
    char *out, *err;
    char *usage = g_strdup_printf("Usage:\n  prefrl %s [OPTION", cmd);
    const char *flags[] = {"--help", "-h"};
    for (guint f = 0; f < G_N_ELEMENTS(flags); f++) {
        const char *extra[] = {flags[f], NULL};
        ck_assert_msg(prefrl_cmd(cmd, extra, &out, &err) == 0, "%s %s: %s", cmd, flags[f], err);
        ck_assert_msg(g_str_has_prefix(out, usage), "%s %s printed:\n%s", cmd, flags[f], out);
        ck_assert_ptr_nonnull(strstr(out, "-h, --help"));
        ck_assert_str_eq(err, "");
        g_free(out);
        g_free(err);
    }
    /* prefrl help WORDS... is the same help */
    char *words = g_strconcat("help ", cmd, NULL);
    const char *none[] = {NULL};
    ck_assert_int_eq(prefrl_cmd(words, none, &out, &err), 0);
    ck_assert_msg(g_str_has_prefix(out, usage), "help %s printed:\n%s", cmd, out);
    g_free(out);
    g_free(err);
    g_free(words);
    g_free(usage);
}
END_TEST

START_TEST(test_unknown_option)
{
    const char *cmd = commands[_i];
    char *out, *err;
    const char *extra[] = {"--frobnicate", NULL};
    ck_assert_int_eq(prefrl_cmd(cmd, extra, &out, &err), 2);
    ck_assert_msg(g_str_has_prefix(err, "prefrl: error: unknown option --frobnicate (usage: "),
                  "%s: %s", cmd, err);
    char *hint = g_strdup_printf("see 'prefrl %s --help')\n", cmd);
    ck_assert_msg(g_str_has_suffix(err, hint), "%s: %s", cmd, err);
    ck_assert_msg(lines(err) == 1, "%s: not one line: %s", cmd, err);
    ck_assert_str_eq(out, "");
    g_free(hint);
    g_free(out);
    g_free(err);
}
END_TEST

START_TEST(test_usage_errors)
{
    char *out, *err;
    /* missing positional argument, too many, out of range: status 2, one line */
    const char *const cases[][5] = {
        {"run", NULL},
        {"resume", "a", "b", NULL},
        {"describe", NULL},
        {"evaluate", "--episodes", "0", NULL},
        {"sweep", "-j0", "grid.yaml", NULL},
        {"bench", NULL},
        {"bench", "frobnicate", NULL},
        {"bench", "agent", "--reps", "0", NULL},
        {"env", "fixture_line", "--camera", "side", NULL},
        {"env", "fixture_line", "--size", "0x10", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        ck_assert_msg(prefrl(cases[i], &out, &err) == 2, "case %u: %s", i, err);
        ck_assert_msg(g_str_has_prefix(err, "prefrl: error: ") && lines(err) == 1, "case %u: %s",
                      i, err);
        g_free(out);
        g_free(err);
    }
    /* an env without render: a one-line error, no file */
    const char *frame[] = {"env", "fixture_line", "--frame", "/nonexistent/f.png", NULL};
    ck_assert_int_eq(prefrl(frame, &out, &err), 1);
    ck_assert_msg(g_str_has_suffix(err, "prefrl: error: env fixture_line cannot render\n"), "%s",
                  err);
    g_free(out);
    g_free(err);
    /* a negative option value is the value, not an option */
    const char *neg[] = {"evaluate", "--episodes", "-3", "run", NULL};
    ck_assert_int_eq(prefrl(neg, &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--episodes takes a count from 1 to 100000, not -3"));
    g_free(out);
    g_free(err);
    /* an attached short option value: -j4 is -j 4 (the grid is what is missing) */
    const char *attached[] = {"sweep", "-j4", NULL};
    ck_assert_int_eq(prefrl(attached, &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "sweep needs a GRID.yaml"));
    g_free(out);
    g_free(err);
    /* after "--" an argument that starts with '-' is positional: a recipe file */
    const char *dashes[] = {"check", "--", "-no-such.yaml", NULL};
    ck_assert_int_eq(prefrl(dashes, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "-no-such.yaml"));
    ck_assert_ptr_null(strstr(err, "unknown option"));
    g_free(out);
    g_free(err);
    /* an override with a negative value is positional and reaches the
     * schema; options may follow it */
    const char *ov[] = {"check", RECIPES "good.yaml", "env.gain=-0.5", "--print", NULL};
    ck_assert_int_eq(prefrl(ov, &out, &err), 1);
    ck_assert_msg(g_str_has_suffix(err, "env/fixture_line.gain: -0.5 is out of range; allowed "
                                        "values are [0, 10]\n"),
                  "%s", err);
    g_free(out);
    g_free(err);
    /* prefrl env takes the env's keys bare or as a recipe spells them */
    for (int i = 0; i < 2; i++) {
        const char *envov[] = {"env", "fixture_line", i ? "env.gain=-0.5" : "gain=-0.5", NULL};
        ck_assert_int_eq(prefrl(envov, &out, &err), 1);
        ck_assert_msg(strstr(err, "gain: -0.5 is out of range"), "%s", err);
        g_free(out);
        g_free(err);
    }
}
END_TEST

/* the benchmark recipes resolve and drive their components through the
 * registry (tiny networks: seconds, not minutes) */
START_TEST(test_bench_recipes)
{
    char *out, *err;
    const char *agent[] = {"bench", "agent", "agent-metaworld", "--reps", "1", "--updates", "1",
                           "--threads", "1", "agent.hidden_dim=16", "agent.batch_size=8", NULL};
    ck_assert_msg(prefrl(agent, &out, &err) == 0, "%s", err);
    ck_assert_msg(strstr(out, "\nagent-metaworld  sac    openblas     39   4     16 x 3     8 ") !=
                      NULL,
                  "%s", out);
    g_free(out);
    g_free(err);
    const char *meta[] = {"bench", "meta", "--reps", "1", "--steps", "1", "--threads", "1",
                          "agent.hidden_dim=16", "agent.batch_size=8", "reward.hidden_dim=8",
                          NULL};
    ck_assert_msg(prefrl(meta, &out, &err) == 0, "%s", err);
    ck_assert_msg(strstr(out, "meta-dmc: env walker_walk (obs 24, act 6); agent/sac (critic 16x2, "
                              "batch 8); reward/mrn (3 members); 10 pairs of 50 steps") != NULL,
                  "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "  meta step "));
    ck_assert_ptr_nonnull(strstr(out, "  ratio "));
    g_free(out);
    g_free(err);
    /* a recipe without the needed section is refused with its name */
    const char *no_reward[] = {"bench", "meta", "agent-dmc", NULL};
    ck_assert_int_eq(prefrl(no_reward, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "reward"));
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
    tcase_add_test(tc, test_numerics_keys);
    suite_add_tcase(s, tc);
    TCase *opts = tcase_create("options");
    tcase_add_loop_test(opts, test_help, 0, G_N_ELEMENTS(commands));
    tcase_add_loop_test(opts, test_unknown_option, 0, G_N_ELEMENTS(commands));
    tcase_add_test(opts, test_usage_errors);
    suite_add_tcase(s, opts);
    TCase *bench = tcase_create("bench");
    tcase_add_test(bench, test_bench_recipes);
    suite_add_tcase(s, bench);
    return s;
}
