/* `prefrl bench WHAT`: picks a benchmark target (bench_*.c, cmd_env.c for
 * `bench env`) and runs it.  Kept apart from the shared helpers of bench.c,
 * which the targets call, so no two files of the CLI call each other. */
#include "config.h"
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} BenchTarget;

/* one line per benchmark target */
static const BenchTarget targets[] = {
    {"env", prefrl_cmd_bench_env, "env steps/s through the plugin vs raw mj_step on its model"},
    {"nn", prefrl_cmd_bench_nn, "MLP forward/backward/JVP ms and GFLOP/s vs bare sgemm"},
    {"agent", prefrl_cmd_bench_agent,
     "agent updates/s and GFLOP/s vs bare sgemm, from recipes (configs/bench/agent-*)"},
    {"meta", prefrl_cmd_bench_meta,
     "a reward learner's meta step beside an agent update (configs/bench/meta-*)"},
    {"trainer", prefrl_cmd_bench_trainer,
     "env steps/s inside the trainer, with and without learning"},
    {NULL, NULL, NULL},
};

int prefrl_cmd_bench(int argc, char **argv)
{
    if (argc >= 2) {
        for (const BenchTarget *t = targets; t->name; t++)
            if (!strcmp(t->name, argv[1]))
                return t->run(argc - 1, argv + 1);
    }
    GString *list = g_string_new("WHAT is one of:\n");
    for (const BenchTarget *t = targets; t->name; t++)
        g_string_append_printf(list, "  %-8s %s\n", t->name, t->summary);
    g_string_append(list, "Each target's options: prefrl bench WHAT --help.");
    const PrefrlCliUsage usage = {"bench", "WHAT [ARG...]",
                                  "Benchmarks of the env plugins, the NN core, agents, reward "
                                  "learners and the trainer.",
                                  list->str};
    char **args;
    int rc = prefrl_cli_parse(&usage, NULL, argc, argv, &args);
    if (rc < 0) {
        if (args[0])
            rc = prefrl_cli_usage_error(&usage, "unknown benchmark '%s'", args[0]);
        else
            rc = prefrl_cli_usage_error(&usage, "bench needs a target WHAT");
        g_strfreev(args);
    }
    g_string_free(list, TRUE);
    return rc;
}
