/* What the `prefrl bench` targets share: medians of repeated timings, the
 * clock, a bare-sgemm reference rate, aligned tables, and the benchmark
 * recipes (configs/bench/) turned into components through the registry, so
 * no benchmark names a component in code. */
#ifndef PREFRL_CLI_BENCH_H
#define PREFRL_CLI_BENCH_H

#include <glib.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

#include "cli.h"
#include "host/registry.h"

/* ---- statistics, clock, rates -------------------------------------------- */

/** Median, smallest and largest of repeated measurements. */
typedef struct PrefrlBenchStats {
    double median, min, max;
} PrefrlBenchStats;

/** The statistics of v (n >= 1 values); sorts v in place. */
PrefrlBenchStats prefrl_bench_stats(double *v, int n);

/** The median of v (n >= 1 values); sorts v in place. */
double prefrl_bench_median(double *v, int n);

/** A monotonic clock in seconds (for differences only). */
double prefrl_bench_seconds(void);

/** GFLOP/s of `flops` done in `seconds`. */
double prefrl_bench_gflops(double flops, double seconds);

/* ---- a bare sgemm, the reference rate ---------------------------------- */

/** A row-major (B, H) x (H, H)^T sgemm, the shape of a hidden layer's
 *  forward pass at batch B, repeated often enough to take a while. */
typedef struct PrefrlBenchSgemm {
    int B, H, iters;
    float *a, *w, *c;
    struct PrefrlDnnMatmul *mm; /* the product on a oneDNN backend (else NULL) */
} PrefrlBenchSgemm;

/** Allocate the operands; `seconds` sizes one timing at ~30 GFLOP/s. */
void prefrl_bench_sgemm_init(PrefrlBenchSgemm *g, int B, int H, double seconds);

/** The same product on numerics backend n (a bare oneDNN matmul in its input
 *  type for the oneDNN ones: that backend's roofline); FALSE with the reason
 *  when n is unavailable. */
gboolean prefrl_bench_sgemm_init_numerics(PrefrlBenchSgemm *g, PrefrlNumerics n, int B, int H,
                                          double seconds, GError **error);

/** Parse a comma-separated list of numerics names (--numerics) into up to
 *  `max` backends, each available here; FALSE with a one-line reason. */
gboolean prefrl_bench_parse_numerics(const char *text, PrefrlNumerics *out, int max, int *n,
                                     GError **error);

/** Print "<prefix>numerics <description>" for each backend, and when one
 *  is onednn-bf16 on an x86 CPU with AVX512_BF16, one core's peak rates of
 *  the bf16 dot-product and float32 FMA instructions (the ceiling of the
 *  bf16 speed-up on this CPU). */
void prefrl_bench_print_numerics(const char *prefix, const PrefrlNumerics *n, int count);

/** Run the products once and return their GFLOP/s. */
double prefrl_bench_sgemm_rate(PrefrlBenchSgemm *g);

/** Free the operands. */
void prefrl_bench_sgemm_clear(PrefrlBenchSgemm *g);

/* ---- tables ----------------------------------------------------------------- */

/** A column: its title and width; a negative width aligns left. */
typedef struct PrefrlBenchColumn {
    const char *title;
    int width;
} PrefrlBenchColumn;

/** A table being printed to stdout, one row at a time. */
typedef struct PrefrlBenchTable {
    const PrefrlBenchColumn *cols; /* NULL-title terminated (transfer none) */
    int next;                      /* the column of the next cell */
    GString *line;
} PrefrlBenchTable;

/** Print the header line of `cols` (terminated by a NULL title) and start
 *  the first row. */
void prefrl_bench_table_begin(PrefrlBenchTable *t, const PrefrlBenchColumn *cols);

/** Append the next cell, formatted, padded to its column's width. */
void prefrl_bench_cell(PrefrlBenchTable *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/** Print the row (missing cells are left blank) and flush stdout. */
void prefrl_bench_row_end(PrefrlBenchTable *t);

/** Free the table's buffer. */
void prefrl_bench_table_end(PrefrlBenchTable *t);

/* ---- recipes and components ------------------------------------------------- */

/** `relative` in the recipes folder: $PREFRL_CONFIG_DIR (the build tree's
 *  wrapper sets it to the source tree's configs/), else the installed
 *  recipes.  (transfer full) */
char *prefrl_bench_config_path(const char *relative);

/** The recipe file of a RECIPE argument: the argument when it names a file,
 *  else NAME.yaml in the benchmark recipes folder (configs/bench).
 *  (transfer full) */
char *prefrl_bench_recipe_path(const char *recipe);

/** What every recipe-driven target (bench agent, bench meta) takes:
 *  --reps, its own count option and --threads. */
typedef struct PrefrlBenchOptions {
    int reps;      /* timed repetitions, medians reported */
    int count;     /* calls per repetition (0: the target chooses) */
    int threads;   /* OpenBLAS threads (0: OpenBLAS's own) */
    PrefrlNumerics numerics[3]; /* --numerics: the backends, run alternately */
    int n_numerics;             /* >= 1 (default: openblas alone) */
} PrefrlBenchOptions;

/** A recipe-driven target: its usage, recipe prefix in configs/bench/, count
 *  option, and the functions the driver calls (ctx is the target's). */
typedef struct PrefrlBenchTarget {
    const PrefrlCliUsage *usage;
    const char *prefix;           /* configs/bench/PREFIX-*.yaml are the defaults */
    const char *count_name;       /* e.g. "updates" */
    const char *count_help;
    int count_default, count_min;
    /** Before the first recipe (a header line, a table). */
    void (*begin)(const PrefrlBenchOptions *o, void *ctx);
    /** One recipe with the command line's overrides. */
    gboolean (*recipe)(const char *recipe, const char *const *overrides,
                       const PrefrlBenchOptions *o, void *ctx, GError **error);
    /** After the last recipe (may be NULL). */
    void (*end)(void *ctx);
} PrefrlBenchTarget;

/** Parse the target's options, set the threads, run every recipe given (or
 *  the target's defaults) and report each failure; the exit status. */
int prefrl_bench_run_target(const PrefrlBenchTarget *t, int argc, char **argv, void *ctx);

/** The RECIPE and section.key=value arguments of a recipe-driven target:
 *  returns the recipes to run (the arguments without '=', or when there are
 *  none the target's defaults, configs/bench/PREFIX-*.yaml sorted by name;
 *  transfer full) and sets *overrides to the others, NULL-terminated
 *  (strings borrowed from args; free the array).  NULL and an error when no
 *  default recipe exists. */
GPtrArray *prefrl_bench_recipes(char **args, const char *prefix, GPtrArray **overrides,
                                GError **error);

/** The recipe named by a RECIPE argument, loaded with its includes, then
 *  `overrides` ("section.key=value", NULL-terminated, may be NULL) applied,
 *  then validated against the installed components; `required` is a bit
 *  mask of (1 << kind) for the sections that must be present. */
PrefrlNode *prefrl_bench_recipe_load(const char *recipe, const char *const *overrides,
                                     guint required, GError **error);

/** The component the resolved recipe names for `kind`, created as a run
 *  creates it (the recipe's seed and the kind's stream, the recipe in its
 *  context); `env` is the env's description (NULL when creating the env). */
PrefrlInstance *prefrl_bench_component(const PrefrlNode *root, PrefrlKind kind,
                                       const PrefrlEnvInfo *env, GError **error);

/** The description of the recipe's env (the env is created and freed). */
gboolean prefrl_bench_env_info(const PrefrlNode *root, PrefrlEnvInfo *info, GError **error);

/** A fixed batch of plausible transitions (normal observations, uniform
 *  actions and rewards, no episode end); the arrays are owned. */
typedef struct PrefrlBenchBatch {
    PrefrlBatch batch;
    float *obs, *next_obs, *action, *reward, *not_done;
} PrefrlBenchBatch;

/** Fill a batch of B transitions from `rng`. */
void prefrl_bench_batch_init(PrefrlBenchBatch *b, int B, int obs_dim, int act_dim,
                             PrefrlRng *rng);

/** Free a batch's arrays. */
void prefrl_bench_batch_clear(PrefrlBenchBatch *b);

#endif
