/* `prefrl bench nn`: speed of the neural-network core at the reference sizes.
 *
 *   prefrl bench nn [--repeats R] [--threads T[,T...]] [--net NAME]
 *
 * For each network (the DMC critic 30-1024-1024-1 at batch 1024, the
 * Meta-world critic 43-256-256-256-1 at batch 512, a reward-ensemble member
 * 30-256-256-256-1 LeakyReLU/tanh at batch 128 x 50 = 6400) it prints the
 * median milliseconds of one forward, one forward+backward (parameter
 * gradients, no input gradient: a critic update) and one JVP, the GFLOP/s
 * this reaches (2 m n k per sgemm, bias and activation passes not counted),
 * and the GFLOP/s of the same sequence of bare cblas_sgemm calls on the same
 * shapes: the roofline the bias/activation passes and bookkeeping are
 * measured against.  Then the K = 3 reward ensemble on one batch, run member
 * by member (the library) and with the members' first layers fused into one
 * sgemm, and an Adam step over each network's slab.  Repeats of the
 * different variants are interleaved so machine noise hits them alike. */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include <prefrl/nn.h>

#include "bench.h"

typedef struct {
    const char *name;
    int n_layers;
    int dims[6];
    PrefrlActivation hidden, output;
    float slope;
    int batch;
} NetSpec;

static const NetSpec nets[] = {
    {"dmc-critic", 3, {30, 1024, 1024, 1}, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0.0f, 1024},
    {"mw-critic", 4, {43, 256, 256, 256, 1}, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0.0f, 512},
    {"reward-member", 4, {30, 256, 256, 256, 1}, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH, 0.01f,
     6400},
};

/* one sgemm of a pass: C (M, N) = op(A) op(B) (+ C) */
typedef struct {
    gboolean ta, tb;
    int M, N, K;
    float beta;
} Gemm;

#define MAX_GEMMS 24

typedef struct {
    Gemm g[MAX_GEMMS];
    int n;
    double flops;
} Pass;

static void pass_add(Pass *p, gboolean ta, gboolean tb, int M, int N, int K, float beta)
{
    g_assert(p->n < MAX_GEMMS);
    p->g[p->n++] = (Gemm){ta, tb, M, N, K, beta};
    p->flops += 2.0 * M * N * K;
}

/* the sgemms prefrl_mlp_forward / backward / jvp issue for a shape */
static void build_passes(const NetSpec *s, Pass *fwd, Pass *fb, Pass *jvp)
{
    memset(fwd, 0, sizeof *fwd);
    memset(fb, 0, sizeof *fb);
    memset(jvp, 0, sizeof *jvp);
    const int B = s->batch;
    for (int l = 0; l < s->n_layers; l++) {
        int in = s->dims[l], out = s->dims[l + 1];
        pass_add(fwd, FALSE, TRUE, B, out, in, 0.0f);
        pass_add(fb, FALSE, TRUE, B, out, in, 0.0f);
        pass_add(jvp, FALSE, TRUE, B, out, in, 0.0f);
        pass_add(jvp, FALSE, TRUE, B, out, in, 0.0f);
        if (l > 0)
            pass_add(jvp, FALSE, TRUE, B, out, in, 1.0f);
    }
    for (int l = s->n_layers - 1; l >= 0; l--) {
        int in = s->dims[l], out = s->dims[l + 1];
        pass_add(fb, TRUE, FALSE, out, in, B, 1.0f);
        if (l > 0)
            pass_add(fb, FALSE, FALSE, B, in, out, 0.0f);
    }
}

/* run a pass's sgemms on scratch buffers big enough for any of them */
static void run_pass(const Pass *p, const float *a, const float *b, float *c)
{
    for (int i = 0; i < p->n; i++) {
        const Gemm *g = &p->g[i];
        int lda = g->ta ? g->M : g->K, ldb = g->tb ? g->K : g->N;
        cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                    g->tb ? CblasTrans : CblasNoTrans, g->M, g->N, g->K, 1.0f, a, lda, b, ldb,
                    g->beta, c, g->N);
    }
}

static double now_ms(void)
{
    return prefrl_bench_seconds() * 1e3;
}

/* one row of the table: ms, and with a roofline the GFLOP/s, the sgemm
 * GFLOP/s and their ratio */
static void row(PrefrlBenchTable *t, const char *net, int batch, const char *what, double ms,
                double flops, double roof_ms)
{
    prefrl_bench_cell(t, "%s", net);
    prefrl_bench_cell(t, "%d", batch);
    prefrl_bench_cell(t, "%s", what);
    prefrl_bench_cell(t, "%.3f", ms);
    if (roof_ms > 0) {
        double gf = prefrl_bench_gflops(flops, ms / 1e3);
        double rf = prefrl_bench_gflops(flops, roof_ms / 1e3);
        prefrl_bench_cell(t, "%.1f", gf);
        prefrl_bench_cell(t, "%.1f", rf);
        prefrl_bench_cell(t, "%.0f%%", 100.0 * gf / rf);
    }
    prefrl_bench_row_end(t);
}

/* forward, forward+backward, JVP and their bare-sgemm rooflines for one net */
static gboolean bench_net(const NetSpec *s, int repeats, PrefrlBenchTable *table,
                          GError **error)
{
    PrefrlMlp *m = prefrl_mlp_new(s->n_layers, s->dims, s->hidden, s->output, s->slope, s->batch,
                                  error);
    if (!m)
        return FALSE;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 1, s->name);
    prefrl_mlp_init_default(m, &rng);
    const int B = s->batch, in = s->dims[0], out = s->dims[s->n_layers];
    size_t P = prefrl_mlp_n_params(m);
    float *x = g_new(float, (size_t)B * in), *dout = g_new(float, (size_t)B * out);
    float *dir = g_new(float, P);
    prefrl_rng_normal_fill(&rng, x, (size_t)B * in);
    prefrl_rng_normal_fill(&rng, dout, (size_t)B * out);
    prefrl_rng_normal_fill(&rng, dir, P);
    PrefrlAdam *adam = prefrl_adam_new(P, 3e-4f, 0.9, 0.999, 1e-8);

    Pass fwd, fb, jvp;
    build_passes(s, &fwd, &fb, &jvp);
    /* bare-sgemm scratch big enough for every operand of every call */
    size_t big = 0;
    for (int l = 0; l < s->n_layers; l++)
        big = MAX(big, (size_t)MAX(B, s->dims[l + 1]) * MAX(s->dims[l], MAX(B, s->dims[l + 1])));
    float *ga = g_new(float, big), *gb = g_new(float, big), *gc = g_new(float, big);
    prefrl_rng_normal_fill(&rng, ga, big);
    prefrl_rng_normal_fill(&rng, gb, big);
    memset(gc, 0, sizeof(float) * big);

    enum { T_FWD, T_FB, T_JVP, T_RF, T_RFB, T_RJVP, T_ADAM, N_T };
    double *t[N_T];
    for (int k = 0; k < N_T; k++)
        t[k] = g_new(double, repeats);
    /* warm up the caches and OpenBLAS's buffers */
    for (int w = 0; w < 2; w++) {
        prefrl_mlp_forward(m, x, B);
        prefrl_mlp_backward(m, dout, NULL, TRUE);
        prefrl_mlp_jvp(m, x, B, dir);
        run_pass(&fb, ga, gb, gc);
    }
    for (int r = 0; r < repeats; r++) {
        double t0 = now_ms();
        prefrl_mlp_forward(m, x, B);
        double t1 = now_ms();
        prefrl_mlp_zero_grad(m);
        double t2 = now_ms();
        prefrl_mlp_forward(m, x, B);
        prefrl_mlp_backward(m, dout, NULL, TRUE);
        double t3 = now_ms();
        prefrl_mlp_jvp(m, x, B, dir);
        double t4 = now_ms();
        run_pass(&fwd, ga, gb, gc);
        double t5 = now_ms();
        run_pass(&fb, ga, gb, gc);
        double t6 = now_ms();
        run_pass(&jvp, ga, gb, gc);
        double t7 = now_ms();
        prefrl_adam_step(adam, prefrl_mlp_params(m), prefrl_mlp_grads(m));
        double t8 = now_ms();
        t[T_FWD][r] = t1 - t0;
        t[T_FB][r] = t3 - t2;
        t[T_JVP][r] = t4 - t3;
        t[T_RF][r] = t5 - t4;
        t[T_RFB][r] = t6 - t5;
        t[T_RJVP][r] = t7 - t6;
        t[T_ADAM][r] = t8 - t7;
    }
    double med[N_T];
    for (int k = 0; k < N_T; k++)
        med[k] = prefrl_bench_median(t[k], repeats);
    row(table, s->name, B, "forward", med[T_FWD], fwd.flops, med[T_RF]);
    row(table, s->name, B, "forward+backward", med[T_FB], fb.flops, med[T_RFB]);
    row(table, s->name, B, "jvp", med[T_JVP], jvp.flops, med[T_RJVP]);
    char what[32];
    g_snprintf(what, sizeof what, "adam (%zu p)", P);
    row(table, s->name, B, what, med[T_ADAM], 0, 0);

    for (int k = 0; k < N_T; k++)
        g_free(t[k]);
    g_free(ga);
    g_free(gb);
    g_free(gc);
    g_free(x);
    g_free(dout);
    g_free(dir);
    prefrl_adam_free(adam);
    prefrl_mlp_free(m);
    return TRUE;
}

#define MAX_NUM 3

/* --numerics: forward, forward+backward and JVP of one net on each backend,
 * alternating within each repeat, beside each backend's own bare matmul of
 * the net's widest hidden layer, (B, H) x (H, H)^T */
static gboolean bench_net_numerics(const NetSpec *s, const PrefrlNumerics *num, int nn,
                                   int repeats, PrefrlBenchTable *table, GError **error)
{
    PrefrlMlp *m[MAX_NUM] = {NULL};
    PrefrlBenchSgemm gemm[MAX_NUM] = {{0}};
    int H = 0;
    for (int l = 1; l < s->n_layers; l++)
        H = MAX(H, s->dims[l]);
    gboolean ok = TRUE;
    for (int k = 0; ok && k < nn; k++) {
        prefrl_nn_set_numerics(num[k]);
        ok = (m[k] = prefrl_mlp_new(s->n_layers, s->dims, s->hidden, s->output, s->slope,
                                    s->batch, error)) != NULL &&
             prefrl_bench_sgemm_init_numerics(&gemm[k], num[k], s->batch, H, 0.02, error);
        prefrl_nn_set_numerics(PREFRL_NUMERICS_OPENBLAS);
    }
    PrefrlRng rng;
    prefrl_rng_init(&rng, 1, s->name);
    const int B = s->batch, in = s->dims[0], out = s->dims[s->n_layers];
    size_t P = ok ? prefrl_mlp_n_params(m[0]) : 0;
    float *x = g_new(float, (size_t)B * in), *dout = g_new(float, (size_t)B * out);
    float *dir = g_new(float, MAX(P, 1));
    prefrl_rng_normal_fill(&rng, x, (size_t)B * in);
    prefrl_rng_normal_fill(&rng, dout, (size_t)B * out);
    prefrl_rng_normal_fill(&rng, dir, P);
    if (ok) {
        prefrl_mlp_init_default(m[0], &rng);
        for (int k = 1; k < nn; k++)
            prefrl_mlp_copy_params(m[k], m[0]);
    }
    Pass fwd, fb, jvp;
    build_passes(s, &fwd, &fb, &jvp);
    enum { T_FWD, T_FB, T_JVP, T_ROOF, N_T };
    double *t[MAX_NUM][N_T];
    for (int k = 0; k < nn; k++)
        for (int j = 0; j < N_T; j++)
            t[k][j] = g_new0(double, repeats);
    for (int r = -2; ok && r < repeats; r++) { /* two warm-ups */
        for (int k = 0; k < nn; k++) {
            double roof = prefrl_bench_sgemm_rate(&gemm[k]);
            double t0 = now_ms();
            prefrl_mlp_forward(m[k], x, B);
            double t1 = now_ms();
            prefrl_mlp_zero_grad(m[k]);
            double t2 = now_ms();
            prefrl_mlp_forward(m[k], x, B);
            prefrl_mlp_backward(m[k], dout, NULL, TRUE);
            double t3 = now_ms();
            prefrl_mlp_jvp(m[k], x, B, dir);
            double t4 = now_ms();
            if (r >= 0) {
                t[k][T_FWD][r] = t1 - t0;
                t[k][T_FB][r] = t3 - t2;
                t[k][T_JVP][r] = t4 - t3;
                t[k][T_ROOF][r] = roof;
            }
        }
    }
    const char *passes[] = {"forward", "forward+backward", "jvp"};
    const double flops[] = {fwd.flops, fb.flops, jvp.flops};
    double base[3] = {0};
    for (int k = 0; ok && k < nn; k++) {
        double roof = prefrl_bench_median(t[k][T_ROOF], repeats);
        for (int p = 0; p < 3; p++) {
            double ms = prefrl_bench_median(t[k][p], repeats);
            if (k == 0)
                base[p] = ms;
            double gf = prefrl_bench_gflops(flops[p], ms / 1e3);
            prefrl_bench_cell(table, "%s", s->name);
            prefrl_bench_cell(table, "%d", B);
            prefrl_bench_cell(table, "%s", prefrl_numerics_name(num[k]));
            prefrl_bench_cell(table, "%s", passes[p]);
            prefrl_bench_cell(table, "%.3f", ms);
            prefrl_bench_cell(table, "%.1f", gf);
            prefrl_bench_cell(table, "%.1f", roof);
            prefrl_bench_cell(table, "%.0f%%", 100.0 * gf / roof);
            prefrl_bench_cell(table, "%.2fx", base[p] / ms);
            prefrl_bench_row_end(table);
        }
    }
    for (int k = 0; k < nn; k++) {
        for (int j = 0; j < N_T; j++)
            g_free(t[k][j]);
        prefrl_bench_sgemm_clear(&gemm[k]);
        prefrl_mlp_free(m[k]);
    }
    g_free(x);
    g_free(dout);
    g_free(dir);
    return ok;
}

/* bias + activation over (B, n) with row stride ld, written like the
 * library's pass (8-wide inner loops that GCC vectorises, LeakyReLU as a
 * multiply by a selected slope) so the comparison is of the sgemms */
static void bias_act_strided(float *z, int ld, const float *b, int B, int n,
                             PrefrlActivation act, float slope)
{
    const float s = act == PREFRL_ACT_LEAKY_RELU ? slope : 0.0f;
    for (int i = 0; i < B; i++) {
        float *restrict r = z + (size_t)i * ld;
        if (act == PREFRL_ACT_TANH) {
            for (int j = 0; j < n; j++)
                r[j] = tanhf(r[j] + b[j]);
            continue;
        }
        if (act == PREFRL_ACT_IDENTITY) {
            for (int j = 0; j < n; j++)
                r[j] += b[j];
            continue;
        }
        int j = 0;
        for (; j + 8 <= n; j += 8) {
            float v[8], m[8];
            for (int k = 0; k < 8; k++)
                v[k] = r[j + k] + b[j + k];
            for (int k = 0; k < 8; k++)
                m[k] = v[k] > 0.0f ? 1.0f : s;
            for (int k = 0; k < 8; k++)
                r[j + k] = v[k] * m[k];
        }
        for (; j < n; j++) {
            float v = r[j] + b[j];
            r[j] = v * (v > 0.0f ? 1.0f : s);
        }
    }
}

/* reward ensemble on one batch: member by member vs a fused first layer */
static gboolean bench_ensemble(const NetSpec *s, int K, int repeats, PrefrlBenchTable *table,
                               GError **error)
{
    PrefrlEnsemble *e = prefrl_ensemble_new(K, s->n_layers, s->dims, s->hidden, s->output,
                                            s->slope, s->batch, error);
    if (!e)
        return FALSE;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 2, "ensemble");
    prefrl_ensemble_init_default(e, &rng);
    const int B = s->batch, in = s->dims[0], H = s->dims[1], L = s->n_layers;
    float *x = g_new(float, (size_t)B * in);
    prefrl_rng_normal_fill(&rng, x, (size_t)B * in);

    /* fused variant: W_0 of all members stacked (K H, in), one (B, K H) sgemm,
     * then each member's later layers read its column block with lda = K H */
    float *w0 = g_new(float, (size_t)K * H * in), *b0 = g_new(float, (size_t)K * H);
    for (int k = 0; k < K; k++) {
        PrefrlMlp *m = prefrl_ensemble_member(e, k);
        memcpy(w0 + (size_t)k * H * in, prefrl_mlp_weight(m, 0), sizeof(float) * H * in);
        memcpy(b0 + (size_t)k * H, prefrl_mlp_bias(m, 0), sizeof(float) * H);
    }
    int maxw = 0;
    for (int l = 1; l <= L; l++)
        maxw = MAX(maxw, s->dims[l]);
    float *h0 = g_new(float, (size_t)B * K * H);
    float *ha = g_new(float, (size_t)B * maxw), *hb = g_new(float, (size_t)B * maxw);
    float *fused_out = g_new(float, (size_t)K * B * s->dims[L]);

    double *tl = g_new(double, repeats), *tf = g_new(double, repeats);
    for (int r = -2; r < repeats; r++) {
        double t0 = now_ms();
        const float *ref = prefrl_ensemble_forward(e, x, B);
        double t1 = now_ms();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K * H, in, 1.0f, x, in, w0, in,
                    0.0f, h0, K * H);
        bias_act_strided(h0, K * H, b0, B, K * H, s->hidden, s->slope);
        for (int k = 0; k < K; k++) {
            PrefrlMlp *m = prefrl_ensemble_member(e, k);
            const float *src = h0 + (size_t)k * H;
            int lds = K * H;
            for (int l = 1; l < L; l++) {
                int li = s->dims[l], lo = s->dims[l + 1];
                float *dst = l == L - 1 ? fused_out + (size_t)k * B * lo : (l & 1 ? ha : hb);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, lo, li, 1.0f, src, lds,
                            prefrl_mlp_weight(m, l), li, 0.0f, dst, lo);
                bias_act_strided(dst, lo, prefrl_mlp_bias(m, l), B, lo,
                                 l == L - 1 ? s->output : s->hidden, s->slope);
                src = dst;
                lds = lo;
            }
        }
        double t2 = now_ms();
        if (r == -2) {
            /* both variants compute the same numbers */
            double worst = 0;
            for (size_t i = 0; i < (size_t)K * B * s->dims[L]; i++)
                worst = MAX(worst, fabs((double)ref[i] - fused_out[i]));
            if (worst > 1e-4) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                            "fused ensemble forward differs from the library's by %g", worst);
                break;
            }
        }
        if (r >= 0) {
            tl[r] = t1 - t0;
            tf[r] = t2 - t1;
        }
    }
    gboolean ok = error == NULL || *error == NULL;
    if (ok) {
        double flops = 0;
        for (int l = 0; l < L; l++)
            flops += 2.0 * B * s->dims[l] * s->dims[l + 1] * K;
        char what[40];
        g_snprintf(what, sizeof what, "ensemble K=%d", K);
        double ml = prefrl_bench_median(tl, repeats), mf = prefrl_bench_median(tf, repeats);
        const char *names[] = {"member by member", "fused 1st layer"};
        const double ms[] = {ml, mf};
        for (int v = 0; v < 2; v++) {
            prefrl_bench_cell(table, "%s", what);
            prefrl_bench_cell(table, "%d", B);
            prefrl_bench_cell(table, "%s", names[v]);
            prefrl_bench_cell(table, "%.3f", ms[v]);
            prefrl_bench_cell(table, "%.1f", prefrl_bench_gflops(flops, ms[v] / 1e3));
            prefrl_bench_row_end(table);
        }
    }
    g_free(tl);
    g_free(tf);
    g_free(w0);
    g_free(b0);
    g_free(h0);
    g_free(ha);
    g_free(hb);
    g_free(fused_out);
    g_free(x);
    prefrl_ensemble_free(e);
    return ok;
}

static const PrefrlCliUsage usage = {
    "bench nn", NULL, "Speed of the neural-network core at the reference sizes.",
    "Networks: dmc-critic 30-1024-1024-1 at batch 1024, mw-critic 43-256-256-256-1 at\n"
    "batch 512, reward-member 30-256-256-256-1 (LeakyReLU, tanh) at batch 6400.  For each:\n"
    "median ms of a forward, a forward+backward and a JVP, their GFLOP/s (2mnk per sgemm),\n"
    "the GFLOP/s of the same sgemm calls alone (roofline) and the ratio; an Adam step; then\n"
    "the 3-member reward ensemble member by member and with a fused first layer.\n"
    "--numerics A,B,... instead runs the three nets on each backend alternately: ms,\n"
    "GFLOP/s, the backend's own bare (batch, hidden) x (hidden, hidden) matmul (matmul;\n"
    "bf16 inputs for onednn-bf16), achieved / matmul, and the speed-up over the first."};

/* "1,2" → thread counts, each in [1, 256] */
static gboolean parse_threads(const char *text, int *threads, int *n, GError **error)
{
    gchar **parts = g_strsplit(text ? text : "", ",", -1);
    *n = 0;
    gboolean ok = TRUE;
    for (int k = 0; ok && parts[k]; k++) {
        char *end = NULL;
        gint64 v = g_ascii_strtoll(parts[k], &end, 10);
        ok = *n < 16 && *parts[k] && !*end && v >= 1 && v <= 256;
        if (ok)
            threads[(*n)++] = (int)v;
    }
    if (!ok || *n == 0)
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "--threads takes up to 16 comma-separated counts from 1 to 256 (got '%s')",
                    text ? text : "");
    g_strfreev(parts);
    return ok && *n > 0;
}

int prefrl_cmd_bench_nn(int argc, char **argv)
{
    GError *err = NULL;
    int repeats = 21;
    int threads[16] = {1, 2}, n_threads = 2;
    char *thread_list = NULL, *only = NULL, *numerics = NULL;
    PrefrlNumerics num[MAX_NUM];
    int n_num = 0;
    const GOptionEntry entries[] = {
        {"repeats", 0, 0, G_OPTION_ARG_INT, &repeats,
         "timed repetitions per figure, medians reported (default 21)", "R"},
        {"threads", 0, 0, G_OPTION_ARG_STRING, &thread_list,
         "comma-separated OpenBLAS thread counts to run (default 1,2)", "T[,T...]"},
        {"net", 0, 0, G_OPTION_ARG_STRING, &only,
         "only dmc-critic, mw-critic or reward-member", "NAME"},
        {"numerics", 0, 0, G_OPTION_ARG_STRING, &numerics,
         "comma-separated backends to compare: openblas, onednn-fp32, onednn-bf16", "A[,B...]"},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    gboolean known = only == NULL;
    for (size_t k = 0; k < G_N_ELEMENTS(nets) && !known; k++)
        known = !strcmp(only, nets[k].name);
    if (args[0])
        rc = prefrl_cli_usage_error(&usage, "unexpected argument '%s'", args[0]);
    else if (repeats < 1 || repeats > 100000)
        rc = prefrl_cli_usage_error(&usage, "--repeats takes 1 to 100000, not %d", repeats);
    else if (!known)
        rc = prefrl_cli_usage_error(&usage,
                                    "unknown net '%s' (dmc-critic, mw-critic, reward-member)",
                                    only);
    else if (thread_list && !parse_threads(thread_list, threads, &n_threads, &err)) {
        rc = prefrl_cli_usage_error(&usage, "%s", err->message);
        g_clear_error(&err);
    } else if (numerics && !prefrl_bench_parse_numerics(numerics, num, MAX_NUM, &n_num, &err)) {
        rc = prefrl_cli_usage_error(&usage, "%s", err->message);
        g_clear_error(&err);
    }
    g_strfreev(args);
    g_free(thread_list);
    g_free(numerics);
    if (rc >= 0) {
        g_free(only);
        return rc;
    }

    static const PrefrlBenchColumn cols[] = {
        {"net", -14}, {"batch", 6}, {"pass", -17}, {"ms", 9}, {"GFLOP/s", 9},
        {"sgemm", 9}, {"%", 8},     {NULL, 0},
    };
    rc = 0;
    static const PrefrlBenchColumn ncols[] = {
        {"net", -14}, {"batch", 6}, {"numerics", -11}, {"pass", -17}, {"ms", 9},
        {"GFLOP/s", 9}, {"matmul", 9}, {"%", 6}, {"speed-up", 8}, {NULL, 0},
    };
    for (int ti = 0; n_num > 0 && ti < n_threads; ti++) {
        prefrl_nn_set_threads(threads[ti]);
        printf("# prefrl bench nn --numerics: %d thread(s), median of %d repeats, backends "
               "alternating;\n# matmul = the backend's bare (batch, hidden) x (hidden, hidden) "
               "GFLOP/s; %% = achieved / matmul; speed-up over the first\n",
               threads[ti], repeats);
        prefrl_bench_print_numerics("# ", num, n_num);
        PrefrlBenchTable table;
        prefrl_bench_table_begin(&table, ncols);
        for (size_t k = 0; k < G_N_ELEMENTS(nets); k++) {
            if (only && strcmp(only, nets[k].name))
                continue;
            if (!bench_net_numerics(&nets[k], num, n_num, repeats, &table, &err)) {
                rc = prefrl_cli_fail(err);
                g_clear_error(&err);
            }
        }
        prefrl_bench_table_end(&table);
        if (ti + 1 < n_threads)
            printf("\n");
    }
    for (int ti = 0; n_num == 0 && ti < n_threads; ti++) {
        prefrl_nn_set_threads(threads[ti]);
        printf("# prefrl bench nn: OpenBLAS threads %d, median of %d repeats; GFLOP/s counts "
               "2mnk per sgemm;\n# sgemm = the same sgemm calls alone (roofline); %% = "
               "achieved / sgemm\n",
               prefrl_nn_get_threads(), repeats);
        PrefrlBenchTable table;
        prefrl_bench_table_begin(&table, cols);
        for (size_t k = 0; k < G_N_ELEMENTS(nets); k++) {
            if (only && strcmp(only, nets[k].name))
                continue;
            if (!bench_net(&nets[k], repeats, &table, &err)) {
                rc = prefrl_cli_fail(err);
                g_clear_error(&err);
            }
        }
        if (!only || !strcmp(only, "reward-member")) {
            if (!bench_ensemble(&nets[2], 3, repeats, &table, &err)) {
                rc = prefrl_cli_fail(err);
                g_clear_error(&err);
            }
        }
        prefrl_bench_table_end(&table);
        if (ti + 1 < n_threads)
            printf("\n");
    }
    g_free(only);
    return rc;
}
