/* Tests of the numerics backends' choice and of the onednn-bf16 path against
 * onednn-fp32 (include/prefrl/nn.h, core/nn/backend_onednn.c).  The float32
 * oneDNN path has its own finite-difference tests (check_nn_onednn, the
 * check_nn tests on that backend).  SKIPs (77) in a build without oneDNN.
 *
 * The bf16 tolerance.  bfloat16 keeps 8 significant bits, so rounding a
 * float to it (round to nearest even) has relative error at most 2^-9, and a
 * product of two rounded inputs at most 2^-8 (about 2 * 2^-9).  A layer's
 * pre-activation z_i = sum_k a_k b_k then has error sum_k a_k b_k e_k with
 * |e_k| <= 2^-8: bounded by 2^-8 sum_k |a_k b_k|, which is about sqrt(fan-in)
 * times |z_i| for zero-mean terms, but since the e_k have random signs the
 * error grows like 2^-8 sqrt(sum_k (a_k b_k)^2) ~ 2^-8 |z_i|: in the 2-norm
 * over a whole layer the relative error is about 2^-8 whatever the fan-in.
 * ReLU/LeakyReLU/tanh are 1-Lipschitz and the initialised layers keep norms
 * near 1, so over L products in a chain the normwise error is at most about
 * L * 2^-8.  The tests allow 4 L 2^-8 (a factor 4 for the rounding of the
 * output's own scale and for non-orthogonal default-init layers), with L the
 * products on the longest chain: n_layers for a forward, 2 n_layers for the
 * gradients (the backward chain runs through every layer again) and the
 * JVP.  They also require the error to exceed 2^-14: a "bf16" path that
 * secretly ran float32 (errors ~1e-7) fails too.  Measured on this seed:
 * identity layers 2^-8.2 (forward) to 2^-7.9 (gradients, JVP), as derived;
 * tanh 2^-12 (forward) to 2^-8; ReLU and LeakyReLU 2^-9 forward but up to
 * 2^-4 for the gradients, because a unit whose pre-activation lies within
 * bf16's rounding of 0 flips its derivative between 1 and 0 (or the
 * slope): a discrete change the smooth bound does not cover, which the
 * factor 4 (4 x 6 x 2^-8 = 2^-3.4 for gradients) absorbs. */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include <prefrl/nn.h>
#include "nn/bf16.h"
#include "check_run.h"

static void fill_uniform(PrefrlRng *rng, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)prefrl_rng_range(rng, lo, hi);
}

/* ||a - b|| / ||b|| */
static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return sqrt(d) / sqrt(s);
}

static void assert_bf16_close(const float *got, const float *want, size_t n, int chain,
                              const char *what)
{
    double e = rel_err(got, want, n), tol = 4.0 * chain * ldexp(1.0, -8);
    ck_assert_msg(e <= tol, "%s: bf16 vs fp32 relative error %.3g > %.3g (4 x %d x 2^-8)", what,
                  e, tol, chain);
    ck_assert_msg(e > ldexp(1.0, -14),
                  "%s: bf16 vs fp32 relative error %.3g is float32-sized: not rounded to bf16",
                  what, e);
}

static PrefrlMlp *net_with(PrefrlNumerics n, int n_layers, const int *dims, PrefrlActivation h,
                           PrefrlActivation o, int B)
{
    prefrl_nn_set_numerics(n);
    GError *err = NULL;
    PrefrlMlp *m = prefrl_mlp_new(n_layers, dims, h, o, 0.01f, B, &err);
    prefrl_nn_set_numerics(PREFRL_NUMERICS_OPENBLAS);
    ck_assert_msg(m != NULL, "%s", err ? err->message : "");
    ck_assert_int_eq(prefrl_mlp_numerics(m), n);
    return m;
}

START_TEST(test_names)
{
    PrefrlNumerics n;
    for (int i = PREFRL_NUMERICS_OPENBLAS; i <= PREFRL_NUMERICS_ONEDNN_BF16; i++) {
        ck_assert(prefrl_numerics_from_name(prefrl_numerics_name(i), &n, NULL));
        ck_assert_int_eq(n, i);
    }
    GError *err = NULL;
    ck_assert(!prefrl_numerics_from_name("bf16", &n, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "openblas, onednn-fp32 or onednn-bf16"));
    g_error_free(err);
    ck_assert(prefrl_numerics_check(PREFRL_NUMERICS_OPENBLAS, FALSE, NULL));
    ck_assert_int_eq(prefrl_nn_get_numerics(), PREFRL_NUMERICS_OPENBLAS);
    char *d = prefrl_numerics_describe(PREFRL_NUMERICS_ONEDNN_FP32);
    ck_assert_msg(strstr(d, "oneDNN 2.") && strstr(d, "ISA avx"), "%s", d);
    g_free(d);
}
END_TEST

/* the rounding itself: round to nearest, ties to even, on the 7 fraction bits */
START_TEST(test_rounding)
{
    /* 20 rows: the conversion's 16-wide vector part and its scalar tail */
    int dims[] = {1, 1};
    PrefrlMlp *m = net_with(PREFRL_NUMERICS_ONEDNN_BF16, 1, dims, PREFRL_ACT_IDENTITY,
                            PREFRL_ACT_IDENTITY, 20);
    prefrl_mlp_weight(m, 0)[0] = 1.0f;
    prefrl_mlp_bias(m, 0)[0] = 0.0f;
    const float in[4] = {1.0f + ldexpf(3, -9), 1.0f + ldexpf(1, -8), 1.0f + ldexpf(3, -8),
                         -(1.0f + ldexpf(1, -10))};
    const float out[4] = {1.0f + ldexpf(1, -7), 1.0f, 1.0f + ldexpf(1, -6), -1.0f};
    float x[20], want[20];
    for (int i = 0; i < 20; i++) {
        x[i] = in[i % 4] * ldexpf(1, i % 5 - 2); /* powers of two keep the pattern */
        want[i] = out[i % 4] * ldexpf(1, i % 5 - 2);
    }
    const float *y = prefrl_mlp_forward(m, x, 20);
    for (int i = 0; i < 20; i++)
        ck_assert_msg(y[i] == want[i], "x[%d] %.9g: got %.9g, expected %.9g", i, x[i], y[i],
                      want[i]);
    prefrl_mlp_free(m);
}
END_TEST

/* forward, parameter and input gradients and the JVP of critic-like nets
 * (fan-in 256 and 48) against the same nets on onednn-fp32 */
START_TEST(test_bf16_vs_fp32)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 11, "bf16");
    const int B = 64;
    const PrefrlActivation acts[][2] = {{PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY},
                                        {PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH},
                                        {PREFRL_ACT_TANH, PREFRL_ACT_SIGMOID}};
    /* narrow products (fewer than 64 columns) run transposed
     * (backend_onednn.c): a single output, and 48-wide hidden layers */
    const gsize n_acts = G_N_ELEMENTS(acts);
    for (gsize a = 0; a < 3 * n_acts; a++) {
        const int O = a < n_acts ? 4 : 1, W = a < 2 * n_acts ? 256 : 48;
        int dims[] = {30, W, W, O};
        const PrefrlActivation *act = acts[a % n_acts];
        PrefrlMlp *f = net_with(PREFRL_NUMERICS_ONEDNN_FP32, 3, dims, act[0], act[1], B);
        PrefrlMlp *h = net_with(PREFRL_NUMERICS_ONEDNN_BF16, 3, dims, act[0], act[1], B);
        prefrl_mlp_init_default(f, &rng);
        prefrl_mlp_copy_params(h, f);
        size_t P = prefrl_mlp_n_params(f);
        float *x = g_new(float, (size_t)B * 30), *c = g_new(float, (size_t)B * O);
        float *dxf = g_new(float, (size_t)B * 30), *dxh = g_new(float, (size_t)B * 30);
        float *dir = g_new(float, P);
        fill_uniform(&rng, x, (size_t)B * 30, -1, 1);
        fill_uniform(&rng, c, (size_t)B * O, -1, 1);
        fill_uniform(&rng, dir, P, -0.05, 0.05);

        const char *name = prefrl_activation_name(act[0]);
        assert_bf16_close(prefrl_mlp_forward(h, x, B), prefrl_mlp_forward(f, x, B),
                          (size_t)B * O, 3, name);
        prefrl_mlp_zero_grad(f);
        prefrl_mlp_zero_grad(h);
        prefrl_mlp_backward(f, c, dxf, TRUE);
        prefrl_mlp_backward(h, c, dxh, TRUE);
        assert_bf16_close(prefrl_mlp_grads(h), prefrl_mlp_grads(f), P, 6, "dparams");
        assert_bf16_close(dxh, dxf, (size_t)B * 30, 6, "dx");
        float *tf = g_memdup2(prefrl_mlp_jvp(f, x, B, dir), sizeof(float) * B * O);
        assert_bf16_close(prefrl_mlp_jvp(h, x, B, dir), tf, (size_t)B * O, 6, "jvp");
        g_free(tf);

        /* new weights (an optimiser step) are re-cast at the next forward */
        prefrl_mlp_init_default(f, &rng);
        prefrl_mlp_copy_params(h, f);
        assert_bf16_close(prefrl_mlp_forward(h, x, B), prefrl_mlp_forward(f, x, B),
                          (size_t)B * O, 3, "after new weights");
        g_free(x);
        g_free(c);
        g_free(dxf);
        g_free(dxh);
        g_free(dir);
        prefrl_mlp_free(f);
        prefrl_mlp_free(h);
    }
}
END_TEST


/* the backward pass through a ReLU kept in bf16 (the vectorised loop and
 * its tail) does what the float32 pass does with the widened outputs, bit
 * for bit: mask (NaN, -0, +inf, denormal-sized included), column sums, cast */
START_TEST(test_relu_grad_row)
{
    enum { N = 16 * 3 + 5 };
    const uint16_t special[] = {0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x8001, 0x3f80};
    PrefrlRng rng;
    prefrl_rng_init(&rng, 14, "relu-row");
    for (int leaky = 0; leaky < 2; leaky++) {
        const float s = leaky ? 0.01f : 0.0f;
        uint16_t y16[N], d16[N], want16[N];
        float d[N], want[N], db[N], want_db[N], y[N];
        for (int j = 0; j < N; j++) {
            float v = (float)prefrl_rng_range(&rng, -1, 1);
            prefrl_bf16_cast(&y16[j], &v, 1);
            if (j % 7 == 0)
                y16[j] = special[(j / 7) % G_N_ELEMENTS(special)];
            d[j] = want[j] = (float)prefrl_rng_range(&rng, -2, 2);
            db[j] = want_db[j] = (float)j;
        }
        prefrl_bf16_expand(y, y16, N);
        for (int j = 0; j < N; j++) {
            want[j] *= y[j] > 0.0f ? 1.0f : s;
            want_db[j] += want[j];
        }
        prefrl_bf16_cast(want16, want, N);
        prefrl_bf16_relu_grad_row(d, y16, N, s, db, d16);
        ck_assert_msg(memcmp(d, want, sizeof d) == 0, "deltas differ (slope %g)", s);
        ck_assert_msg(memcmp(db, want_db, sizeof db) == 0, "column sums differ (slope %g)", s);
        ck_assert_msg(memcmp(d16, want16, sizeof d16) == 0, "bf16 deltas differ (slope %g)", s);
    }
}
END_TEST

/* an ensemble made under onednn-bf16 runs every member in bf16 */
START_TEST(test_ensemble_bf16)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 12, "ens");
    int dims[] = {30, 128, 128, 1};
    prefrl_nn_set_numerics(PREFRL_NUMERICS_ONEDNN_BF16);
    PrefrlEnsemble *h = prefrl_ensemble_new(3, 3, dims, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH,
                                            0.01f, 100, NULL);
    prefrl_nn_set_numerics(PREFRL_NUMERICS_ONEDNN_FP32);
    PrefrlEnsemble *f = prefrl_ensemble_new(3, 3, dims, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH,
                                            0.01f, 100, NULL);
    prefrl_nn_set_numerics(PREFRL_NUMERICS_OPENBLAS);
    ck_assert(h && f);
    ck_assert_int_eq(prefrl_mlp_numerics(prefrl_ensemble_member(h, 2)),
                     PREFRL_NUMERICS_ONEDNN_BF16);
    prefrl_ensemble_init_default(f, &rng);
    memcpy(prefrl_ensemble_params(h), prefrl_ensemble_params(f),
           sizeof(float) * prefrl_ensemble_n_params(f));
    float x[100 * 30];
    fill_uniform(&rng, x, G_N_ELEMENTS(x), -1, 1);
    float *yf = g_memdup2(prefrl_ensemble_forward(f, x, 100), sizeof(float) * 300);
    assert_bf16_close(prefrl_ensemble_forward(h, x, 100), yf, 300, 3, "ensemble");
    g_free(yf);
    prefrl_ensemble_free(f);
    prefrl_ensemble_free(h);
}
END_TEST

/* a CPU without native BF16 (oneDNN capped at avx512_core by DNNL_MAX_CPU_ISA
 * in a child process) refuses onednn-bf16 unless emulation is allowed */
START_TEST(test_refuse_without_native_bf16)
{
    char *argv[] = {(char *)"/proc/self/exe", (char *)"--refusal-child", NULL};
    char **envp = g_environ_setenv(g_get_environ(), "DNNL_MAX_CPU_ISA", "AVX512_CORE", TRUE);
    char *out = NULL;
    int status = 0;
    GError *err = NULL;
    ck_assert_msg(g_spawn_sync(NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                               &err),
                  "%s", err ? err->message : "");
    g_strfreev(envp);
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "child: %s", out);
    ck_assert_msg(strstr(out, "numerics 'onednn-bf16': this CPU's ISA (avx512_core") &&
                      strstr(out, "numerics_emulated_bf16: true"),
                  "%s", out);
    ck_assert_msg(strstr(out, "allowed: onednn-bf16: oneDNN") && strstr(out, "emulated"), "%s",
                  out);
    g_free(out);
}
END_TEST

static int refusal_child(void)
{
    GError *err = NULL;
    if (prefrl_numerics_check(PREFRL_NUMERICS_ONEDNN_BF16, FALSE, &err))
        return 1;
    printf("%s\n", err->message);
    g_error_free(err);
    if (!prefrl_numerics_check(PREFRL_NUMERICS_ONEDNN_BF16, TRUE, NULL) ||
        !prefrl_numerics_check(PREFRL_NUMERICS_ONEDNN_FP32, FALSE, NULL))
        return 2;
    char *d = prefrl_numerics_describe(PREFRL_NUMERICS_ONEDNN_BF16);
    printf("allowed: %s\n", d);
    g_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--refusal-child") == 0)
        return refusal_child();
    prefrl_nn_set_threads(1);
    GError *err = NULL;
    if (!prefrl_numerics_check(PREFRL_NUMERICS_ONEDNN_FP32, FALSE, &err)) {
        printf("SKIP: %s\n", err->message);
        g_error_free(err);
        return 77;
    }
    Suite *s = suite_create("nn_bf16");
    TCase *tc = tcase_create("numerics");
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_refuse_without_native_bf16);
    tcase_add_test(tc, test_relu_grad_row);
    suite_add_tcase(s, tc);
    tc = tcase_create("bf16");
    /* on a CPU without native BF16 the comparison runs emulated (slowly) */
    if (prefrl_numerics_check(PREFRL_NUMERICS_ONEDNN_BF16, TRUE, NULL)) {
        tcase_add_test(tc, test_rounding);
        tcase_add_test(tc, test_bf16_vs_fp32);
        tcase_add_test(tc, test_ensemble_bf16);
    }
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    int failed = check_run(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
