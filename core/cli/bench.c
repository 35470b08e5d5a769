/* The helpers every `prefrl bench` target shares (bench.h): medians, the
 * clock, the bare-sgemm reference, aligned tables, and components built
 * from a benchmark recipe through the registry exactly as a run builds
 * them.  The command itself, which picks a target, is cmd_bench.c: the
 * targets use these helpers, so the dispatcher lives apart from them. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include "bench.h"
#include "nn/nn_backend.h"
#include "host/recipe.h"
#include "host/schema.h"

/* ---- the instructions' peak rates --------------------------------------------- */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define PEAK_ITERS 4000000L

/* Ten independent accumulators hide each instruction's latency; the empty
 * asm keeps the compiler from folding the loop.  Each function returns a
 * sum so the work is used. */
#define PEAK_LOOP(T, STEP)                                                                 \
    T a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z, a8 = z, a9 = z;        \
    for (long i = 0; i < PEAK_ITERS; i++) {                                                 \
        a0 = STEP(a0); a1 = STEP(a1); a2 = STEP(a2); a3 = STEP(a3); a4 = STEP(a4);          \
        a5 = STEP(a5); a6 = STEP(a6); a7 = STEP(a7); a8 = STEP(a8); a9 = STEP(a9);          \
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), \
                         "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9));                          \
    }

/* VDPBF16PS zmm: 32 bf16 products summed pairwise into 16 floats, 64 FLOP */
__attribute__((target("avx512f,avx512bf16"), noinline)) static float peak_bf16(void)
{
    const __m512 z = _mm512_setzero_ps();
    const __m512bh x = (__m512bh)_mm512_set1_epi16(0x3f80);
#define STEP_BF16(a) _mm512_dpbf16_ps(a, x, x)
    PEAK_LOOP(__m512, STEP_BF16)
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    return _mm512_reduce_add_ps(_mm512_add_ps(s, _mm512_add_ps(a8, a9)));
}

/* VFMADD231PS ymm: 8 fused multiply-adds, 16 FLOP (the width OpenBLAS's
 * Haswell kernels use; a zmm FMA gives the same rate on CPUs that split
 * 512-bit operations) */
__attribute__((target("avx2,fma"), noinline)) static float peak_fma(void)
{
    const __m256 z = _mm256_setzero_ps(), x = _mm256_set1_ps(1e-9f);
#define STEP_FMA(a) _mm256_fmadd_ps(x, x, a)
    PEAK_LOOP(__m256, STEP_FMA)
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(a8, a9));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

/* the best of three runs, in GFLOP/s */
static double peak_rate(float (*f)(void), double flop_per_step)
{
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t = prefrl_bench_seconds();
        volatile float sink = f();
        (void)sink;
        t = prefrl_bench_seconds() - t;
        best = MAX(best, 10.0 * PEAK_ITERS * flop_per_step / t / 1e9);
    }
    return best;
}
#endif

void prefrl_bench_print_numerics(const char *prefix, const PrefrlNumerics *n, int count)
{
    gboolean bf16 = FALSE;
    for (int k = 0; k < count; k++) {
        char *what = prefrl_numerics_describe(n[k]);
        printf("%snumerics %s\n", prefix, what);
        g_free(what);
        bf16 = bf16 || n[k] == PREFRL_NUMERICS_ONEDNN_BF16;
    }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    if (bf16 && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("fma")) {
        double b = peak_rate(peak_bf16, 64), f = peak_rate(peak_fma, 16);
        printf("%sone core's peak: bf16 dot product (VDPBF16PS) %.1f GFLOP/s, float32 FMA "
               "(VFMADD231PS) %.1f GFLOP/s: bf16 can be at most %.2fx float32 here\n",
               prefix, b, f, b / f);
    }
#else
    (void)bf16;
#endif
}

/* ---- statistics, clock, rates ---------------------------------------------- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

PrefrlBenchStats prefrl_bench_stats(double *v, int n)
{
    g_return_val_if_fail(n >= 1, (PrefrlBenchStats){0});
    qsort(v, (size_t)n, sizeof *v, compare_double);
    PrefrlBenchStats s = {.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]),
                          .min = v[0],
                          .max = v[n - 1]};
    return s;
}

double prefrl_bench_median(double *v, int n)
{
    return prefrl_bench_stats(v, n).median;
}

double prefrl_bench_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

double prefrl_bench_gflops(double flops, double seconds)
{
    return seconds > 0 ? flops / seconds / 1e9 : 0.0;
}

/* ---- bare sgemm ---------------------------------------------------------------- */

void prefrl_bench_sgemm_init(PrefrlBenchSgemm *g, int B, int H, double seconds)
{
    g->B = B;
    g->H = H;
    g->a = g_new0(float, (size_t)B * H);
    g->w = g_new0(float, (size_t)H * H);
    g->c = g_new0(float, (size_t)B * H);
    for (size_t i = 0; i < (size_t)B * H; i++)
        g->a[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < (size_t)H * H; i++)
        g->w[i] = (float)(i % 5) * 0.01f;
    g->iters = (int)MAX(3, seconds * 3e10 / (2.0 * B * H * H));
}

gboolean prefrl_bench_sgemm_init_numerics(PrefrlBenchSgemm *g, PrefrlNumerics n, int B, int H,
                                          double seconds, GError **error)
{
    prefrl_bench_sgemm_init(g, B, H, seconds);
    if (n == PREFRL_NUMERICS_OPENBLAS)
        return TRUE;
    if (!(g->mm = prefrl_dnn_matmul_new(n, B, H, H, error))) {
        prefrl_bench_sgemm_clear(g);
        return FALSE;
    }
    return TRUE;
}

gboolean prefrl_bench_parse_numerics(const char *text, PrefrlNumerics *out, int max, int *n,
                                     GError **error)
{
    gchar **parts = g_strsplit(text ? text : "", ",", -1);
    gboolean ok = TRUE;
    *n = 0;
    for (int k = 0; ok && parts[k]; k++) {
        if (*n >= max) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "--numerics takes at most %d backends", max);
            ok = FALSE;
        } else {
            ok = prefrl_numerics_from_name(g_strstrip(parts[k]), &out[*n], error) &&
                 prefrl_numerics_check(out[*n], TRUE, error);
            *n += ok;
        }
    }
    if (ok && *n == 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "--numerics takes a comma-separated list of openblas, onednn-fp32, "
                    "onednn-bf16");
        ok = FALSE;
    }
    g_strfreev(parts);
    return ok;
}

double prefrl_bench_sgemm_rate(PrefrlBenchSgemm *g)
{
    if (g->mm) {
        double t0 = prefrl_bench_seconds();
        for (int i = 0; i < g->iters; i++)
            if (!prefrl_dnn_matmul_run(g->mm))
                return 0.0;
        return prefrl_bench_gflops(2.0 * g->B * g->H * g->H * g->iters,
                                   prefrl_bench_seconds() - t0);
    }
    double t0 = prefrl_bench_seconds();
    for (int i = 0; i < g->iters; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->B, g->H, g->H, 1.0f, g->a, g->H,
                    g->w, g->H, 0.0f, g->c, g->H);
    return prefrl_bench_gflops(2.0 * g->B * g->H * g->H * g->iters, prefrl_bench_seconds() - t0);
}

void prefrl_bench_sgemm_clear(PrefrlBenchSgemm *g)
{
    prefrl_dnn_matmul_free(g->mm);
    g_free(g->a);
    g_free(g->w);
    g_free(g->c);
    memset(g, 0, sizeof *g);
}

/* ---- tables ------------------------------------------------------------------ */

void prefrl_bench_table_begin(PrefrlBenchTable *t, const PrefrlBenchColumn *cols)
{
    t->cols = cols;
    t->next = 0;
    t->line = g_string_new(NULL);
    for (const PrefrlBenchColumn *c = cols; c->title; c++)
        prefrl_bench_cell(t, "%s", c->title);
    prefrl_bench_row_end(t);
}

void prefrl_bench_cell(PrefrlBenchTable *t, const char *fmt, ...)
{
    const PrefrlBenchColumn *c = &t->cols[t->next];
    g_return_if_fail(c->title != NULL); /* more cells than columns */
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (t->next > 0)
        g_string_append_c(t->line, ' ');
    g_string_append_printf(t->line, "%*s", c->width, text);
    g_free(text);
    t->next++;
}

void prefrl_bench_row_end(PrefrlBenchTable *t)
{
    while (t->line->len && t->line->str[t->line->len - 1] == ' ') /* blank left-aligned tails */
        g_string_truncate(t->line, t->line->len - 1);
    printf("%s\n", t->line->str);
    fflush(stdout);
    g_string_truncate(t->line, 0);
    t->next = 0;
}

void prefrl_bench_table_end(PrefrlBenchTable *t)
{
    if (t->line)
        g_string_free(t->line, TRUE);
    t->line = NULL;
}

/* ---- recipes and components ---------------------------------------------------- */

char *prefrl_bench_config_path(const char *relative)
{
    const char *dir = g_getenv("PREFRL_CONFIG_DIR");
    return g_build_filename(dir && *dir ? dir : PREFRL_CONFIGDIR, relative, NULL);
}

/* the folder of the benchmark recipes */
static char *bench_dir(void)
{
    return prefrl_bench_config_path("bench");
}

char *prefrl_bench_recipe_path(const char *recipe)
{
    if (g_file_test(recipe, G_FILE_TEST_EXISTS) || strchr(recipe, G_DIR_SEPARATOR) ||
        g_str_has_suffix(recipe, ".yaml"))
        return g_strdup(recipe);
    char *dir = bench_dir();
    char *file = g_strconcat(recipe, ".yaml", NULL);
    char *path = g_build_filename(dir, file, NULL);
    g_free(file);
    g_free(dir);
    return path;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* configs/bench/PREFIX-*.yaml, sorted by name; NULL and an error when there
 * are none */
static GPtrArray *default_recipes(const char *prefix, GError **error)
{
    char *dir = bench_dir();
    GDir *d = g_dir_open(dir, 0, error);
    if (!d) {
        g_prefix_error(error, "benchmark recipes: ");
        g_free(dir);
        return NULL;
    }
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    char *start = g_strconcat(prefix, "-", NULL);
    for (const char *f; (f = g_dir_read_name(d));)
        if (g_str_has_prefix(f, start) && g_str_has_suffix(f, ".yaml"))
            g_ptr_array_add(paths, g_build_filename(dir, f, NULL));
    g_ptr_array_sort(paths, compare_strings);
    if (!paths->len) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "no benchmark recipes %s*.yaml in %s",
                    start, dir);
        g_ptr_array_unref(paths);
        paths = NULL;
    }
    g_free(start);
    g_dir_close(d);
    g_free(dir);
    return paths;
}

GPtrArray *prefrl_bench_recipes(char **args, const char *prefix, GPtrArray **overrides,
                                GError **error)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    *overrides = g_ptr_array_new();
    for (char **a = args; *a; a++) {
        if (strchr(*a, '='))
            g_ptr_array_add(*overrides, *a);
        else
            g_ptr_array_add(files, g_strdup(*a));
    }
    g_ptr_array_add(*overrides, NULL);
    if (!files->len) {
        g_ptr_array_unref(files);
        files = default_recipes(prefix, error);
    }
    if (!files) {
        g_ptr_array_unref(*overrides);
        *overrides = NULL;
    }
    return files;
}

PrefrlNode *prefrl_bench_recipe_load(const char *recipe, const char *const *overrides,
                                     guint required, GError **error)
{
    char *path = prefrl_bench_recipe_path(recipe);
    PrefrlNode *root = prefrl_cli_load_recipe(path, overrides, required, error);
    g_free(path);
    return root;
}

PrefrlInstance *prefrl_bench_component(const PrefrlNode *root, PrefrlKind kind,
                                       const PrefrlEnvInfo *env, GError **error)
{
    const PrefrlComponent *c = prefrl_recipe_component(root, prefrl_registry_default(), kind);
    if (!c) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "the recipe has no '%s:' section",
                    prefrl_kind_name(kind));
        return NULL;
    }
    PrefrlContext ctx = {.struct_size = sizeof ctx,
                         .seed = (uint64_t)prefrl_param_int(root, "seed"),
                         .env = env,
                         .recipe = root,
                         .total_steps = prefrl_param_int(prefrl_node_get(root, "trainer"),
                                                         "num_train_steps")};
    prefrl_rng_init(&ctx.rng, ctx.seed, prefrl_kind_name(kind));
    PrefrlNode *params = prefrl_node_dup(prefrl_node_get(root, prefrl_kind_name(kind)));
    PrefrlInstance *inst = prefrl_instance_new_from_params(c, params, &ctx, error);
    if (!inst)
        g_prefix_error(error, "%s/%s: ", prefrl_kind_name(kind), c->name);
    return inst;
}

gboolean prefrl_bench_env_info(const PrefrlNode *root, PrefrlEnvInfo *info, GError **error)
{
    PrefrlInstance *env = prefrl_bench_component(root, PREFRL_KIND_ENV, NULL, error);
    if (!env)
        return FALSE;
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    ((const PrefrlEnvOps *)env->component->ops)->info(env->self, info);
    prefrl_instance_free(env);
    return TRUE;
}

void prefrl_bench_batch_init(PrefrlBenchBatch *b, int B, int obs_dim, int act_dim,
                             PrefrlRng *rng)
{
    b->obs = g_new(float, (size_t)B * obs_dim);
    b->next_obs = g_new(float, (size_t)B * obs_dim);
    b->action = g_new(float, (size_t)B * act_dim);
    b->reward = g_new(float, B);
    b->not_done = g_new(float, B);
    prefrl_rng_normal_fill(rng, b->obs, (size_t)B * obs_dim);
    prefrl_rng_normal_fill(rng, b->next_obs, (size_t)B * obs_dim);
    for (size_t i = 0; i < (size_t)B * act_dim; i++)
        b->action[i] = (float)prefrl_rng_range(rng, -1, 1);
    for (int i = 0; i < B; i++) {
        b->reward[i] = (float)prefrl_rng_uniform(rng);
        b->not_done[i] = 1.0f;
    }
    b->batch = (PrefrlBatch){.size = B, .obs_dim = obs_dim, .act_dim = act_dim, .obs = b->obs,
                             .action = b->action, .reward = b->reward, .next_obs = b->next_obs,
                             .not_done = b->not_done, .not_done_no_max = b->not_done};
}

void prefrl_bench_batch_clear(PrefrlBenchBatch *b)
{
    g_free(b->obs);
    g_free(b->next_obs);
    g_free(b->action);
    g_free(b->reward);
    g_free(b->not_done);
    memset(b, 0, sizeof *b);
}

int prefrl_bench_run_target(const PrefrlBenchTarget *t, int argc, char **argv, void *ctx)
{
    PrefrlBenchOptions o = {.reps = 5, .count = t->count_default, .n_numerics = 1};
    char *numerics = NULL;
    const GOptionEntry entries[] = {
        {"numerics", 0, 0, G_OPTION_ARG_STRING, &numerics,
         "comma-separated backends run alternately, each beside its own bare-matmul roofline: "
         "openblas, onednn-fp32, onednn-bf16 (default openblas)",
         "A[,B...]"},
        {"reps", 0, 0, G_OPTION_ARG_INT, &o.reps, "timed repetitions, medians reported (default 5)",
         "N"},
        {t->count_name, 0, 0, G_OPTION_ARG_INT, &o.count, t->count_help, "N"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &o.threads,
         "OpenBLAS threads (default: OpenBLAS's own)", "N"},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(t->usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (o.reps < 1 || o.reps > 10000 || o.count < t->count_min || o.threads < 0 ||
        o.threads > 256) {
        g_strfreev(args);
        g_free(numerics);
        return prefrl_cli_usage_error(t->usage, "--reps takes 1 to 10000, --%s a count >= %d, "
                                                "--threads 0 to 256",
                                      t->count_name, t->count_min);
    }
    GError *err = NULL;
    if (numerics && !prefrl_bench_parse_numerics(numerics, o.numerics,
                                                 (int)G_N_ELEMENTS(o.numerics), &o.n_numerics,
                                                 &err)) {
        rc = prefrl_cli_usage_error(t->usage, "%s", err->message);
        g_clear_error(&err);
        g_free(numerics);
        g_strfreev(args);
        return rc;
    }
    g_free(numerics);
    GPtrArray *overrides = NULL;
    GPtrArray *list = prefrl_bench_recipes(args, t->prefix, &overrides, &err);
    if (!list) {
        rc = prefrl_cli_fail(err);
        g_clear_error(&err);
        g_strfreev(args);
        return rc;
    }
    if (o.threads > 0)
        prefrl_nn_set_threads(o.threads);
    t->begin(&o, ctx);
    rc = 0;
    for (guint i = 0; i < list->len; i++) {
        if (!t->recipe(list->pdata[i], (const char *const *)overrides->pdata, &o, ctx, &err)) {
            rc = prefrl_cli_fail(err);
            g_clear_error(&err);
        }
    }
    if (t->end)
        t->end(ctx);
    g_ptr_array_unref(list);
    g_ptr_array_unref(overrides);
    g_strfreev(args);
    return rc;
}
