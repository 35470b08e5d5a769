/* The `prefrl` program's sub-commands.  Each returns the process exit code
 * and prints its own errors as "prefrl: error: ...". */
#ifndef PREFRL_CLI_H
#define PREFRL_CLI_H

#include <glib.h>

/** Print "prefrl: error: MESSAGE" to stderr and return 1. */
int prefrl_cli_fail(const GError *error);

/** `prefrl env TASK [--episodes N] [--seed S] [key=value ...]` */
int prefrl_cmd_env(int argc, char **argv);
/** `prefrl bench env [...]` */
int prefrl_cmd_bench_env(int argc, char **argv);
/** `prefrl bench nn [...]` */
int prefrl_cmd_bench_nn(int argc, char **argv);
/** `prefrl bench sac [--preset dmc|metaworld] [--reps N] [--updates N] [--threads N]` */
int prefrl_cmd_bench_sac(int argc, char **argv);
/** `prefrl bench mrn [--reps N] [--steps N] [--threads N]` */
int prefrl_cmd_bench_mrn(int argc, char **argv);
/** `prefrl sweep GRID.yaml [-j N] [--dry-run] [--dir DIR]` (core/cli/cmd_sweep.c) */
int prefrl_cmd_sweep(int argc, char **argv);
/** `prefrl report DIR... [-o OUT] [--all]` (core/cli/cmd_report.c) */
int prefrl_cmd_report(int argc, char **argv);

/** `prefrl bench trainer [RECIPE] [k=v ...]` */
int prefrl_cmd_bench_trainer(int argc, char **argv);

#endif
