/* Tests of the neural-network core (include/prefrl/nn.h).
 *
 * Gradients are checked against central finite differences of an
 * independent double-precision evaluation written here, so a float kernel
 * is compared with exact-enough arithmetic rather than with itself.
 *
 * The same file is built twice: check_nn on the default OpenBLAS numerics
 * and check_nn_onednn with -DCHECK_NN_NUMERICS=PREFRL_NUMERICS_ONEDNN_FP32,
 * which runs every test (finite-difference gradients, the JVP, ensembles,
 * save/load) on the oneDNN float32 path and SKIPs (77) in a build without
 * oneDNN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include <prefrl/nn.h>
#include "ckpt_test.h"
#include "check_run.h"

#define FD_H 1e-6

/* ------------------------------------------------------------------------ */
/* helpers */

static void fill_uniform(PrefrlRng *rng, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)prefrl_rng_range(rng, lo, hi);
}

static double act_d(PrefrlActivation act, double z, double slope)
{
    switch (act) {
    case PREFRL_ACT_IDENTITY:
        return z;
    case PREFRL_ACT_RELU:
        return z > 0 ? z : 0;
    case PREFRL_ACT_LEAKY_RELU:
        return z > 0 ? z : slope * z;
    case PREFRL_ACT_TANH:
        return tanh(z);
    case PREFRL_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    }
    return NAN;
}

/* double-precision forward of m's shape with parameters p (layout of nn.h) */
static void ref_forward(const PrefrlMlp *m, const double *p, const double *x, int B, double *y)
{
    int n = prefrl_mlp_n_layers(m);
    int maxw = 0;
    for (int i = 0; i <= n; i++)
        maxw = MAX(maxw, prefrl_mlp_dim(m, i));
    double *a = g_new(double, (size_t)B * maxw), *b = g_new(double, (size_t)B * maxw);
    memcpy(a, x, sizeof(double) * B * prefrl_mlp_dim(m, 0));
    size_t off = 0;
    for (int l = 0; l < n; l++) {
        int in = prefrl_mlp_dim(m, l), out = prefrl_mlp_dim(m, l + 1);
        const double *W = p + off, *bias = p + off + (size_t)in * out;
        PrefrlActivation act = l == n - 1 ? prefrl_mlp_output_act(m) : prefrl_mlp_hidden_act(m);
        for (int r = 0; r < B; r++)
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int i = 0; i < in; i++)
                    s += W[(size_t)o * in + i] * a[(size_t)r * in + i];
                b[(size_t)r * out + o] = act_d(act, s, prefrl_mlp_leaky_slope(m));
            }
        off += (size_t)in * out + out;
        double *t = a;
        a = b;
        b = t;
    }
    memcpy(y, a, sizeof(double) * B * prefrl_mlp_out_dim(m));
    g_free(a);
    g_free(b);
}

/* L = sum c .* f(x; p) in double */
static double ref_loss(const PrefrlMlp *m, const double *p, const double *x, int B,
                       const float *c)
{
    int out = prefrl_mlp_out_dim(m);
    double *y = g_new(double, (size_t)B * out);
    ref_forward(m, p, x, B, y);
    double L = 0;
    for (int i = 0; i < B * out; i++)
        L += c[i] * y[i];
    g_free(y);
    return L;
}

static double *to_double(const float *x, size_t n)
{
    double *d = g_new(double, n);
    for (size_t i = 0; i < n; i++)
        d[i] = x[i];
    return d;
}

static void assert_close(double got, double want, double atol, double rtol, const char *what,
                         size_t i)
{
    ck_assert_msg(fabs(got - want) <= atol + rtol * fabs(want),
                  "%s[%zu]: got %.9g, expected %.9g", what, i, got, want);
}

static PrefrlMlp *small_mlp(PrefrlActivation hidden, PrefrlActivation output, int B,
                            PrefrlRng *rng)
{
    int dims[] = {3, 5, 4, 2};
    GError *err = NULL;
    PrefrlMlp *m = prefrl_mlp_new(3, dims, hidden, output, 0.1f, B, &err);
    ck_assert_msg(m != NULL, "%s", err ? err->message : "");
    prefrl_mlp_init_default(m, rng);
    /* larger weights push pre-activations through the non-linear ranges */
    prefrl_slab_scale(prefrl_mlp_params(m), prefrl_mlp_n_params(m), 2.0f);
    return m;
}

/* backward of L = sum c .* f against finite differences of the double model,
 * on every `stride`-th parameter and every input */
static void check_gradients(PrefrlMlp *m, int B, int stride, PrefrlRng *rng)
{
    int in = prefrl_mlp_in_dim(m), out = prefrl_mlp_out_dim(m);
    size_t P = prefrl_mlp_n_params(m);
    float *x = g_new(float, (size_t)B * in), *c = g_new(float, (size_t)B * out);
    float *dx = g_new(float, (size_t)B * in);
    fill_uniform(rng, x, (size_t)B * in, -1.5, 1.5);
    fill_uniform(rng, c, (size_t)B * out, -1, 1);
    prefrl_mlp_zero_grad(m);
    prefrl_mlp_forward(m, x, B);
    prefrl_mlp_backward(m, c, dx, TRUE);

    double *p = to_double(prefrl_mlp_params(m), P), *xd = to_double(x, (size_t)B * in);
    for (size_t i = 0; i < P; i += stride) {
        double keep = p[i];
        p[i] = keep + FD_H;
        double lp = ref_loss(m, p, xd, B, c);
        p[i] = keep - FD_H;
        double lm = ref_loss(m, p, xd, B, c);
        p[i] = keep;
        assert_close(prefrl_mlp_grads(m)[i], (lp - lm) / (2 * FD_H), 2e-4, 2e-3, "dparam", i);
    }
    for (int i = 0; i < B * in; i++) {
        double keep = xd[i];
        xd[i] = keep + FD_H;
        double lp = ref_loss(m, p, xd, B, c);
        xd[i] = keep - FD_H;
        double lm = ref_loss(m, p, xd, B, c);
        xd[i] = keep;
        assert_close(dx[i], (lp - lm) / (2 * FD_H), 2e-4, 2e-3, "dx", (size_t)i);
    }
    g_free(p);
    g_free(xd);
    g_free(x);
    g_free(c);
    g_free(dx);
}

/* ------------------------------------------------------------------------ */
/* MLP */

START_TEST(test_forward_matches_double)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 1, "fwd");
    for (int act = PREFRL_ACT_IDENTITY; act <= PREFRL_ACT_SIGMOID; act++) {
        PrefrlMlp *m = small_mlp(act, act, 6, &rng);
        float x[18];
        double y[12];
        fill_uniform(&rng, x, 18, -2, 2);
        const float *yf = prefrl_mlp_forward(m, x, 6);
        double *p = to_double(prefrl_mlp_params(m), prefrl_mlp_n_params(m));
        double *xd = to_double(x, 18);
        ref_forward(m, p, xd, 6, y);
        for (int i = 0; i < 12; i++)
            assert_close(yf[i], y[i], 1e-5, 1e-5, prefrl_activation_name(act), (size_t)i);
        ck_assert_ptr_eq(yf, prefrl_mlp_output(m));
        ck_assert_int_eq(prefrl_mlp_batch(m), 6);
        g_free(p);
        g_free(xd);
        prefrl_mlp_free(m);
    }
}
END_TEST

START_TEST(test_gradients_every_activation)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 2, "grad");
    for (int h = PREFRL_ACT_IDENTITY; h <= PREFRL_ACT_SIGMOID; h++) {
        for (int o = PREFRL_ACT_IDENTITY; o <= PREFRL_ACT_SIGMOID; o++) {
            PrefrlMlp *m = small_mlp(h, o, 4, &rng);
            check_gradients(m, 4, 1, &rng);
            prefrl_mlp_free(m);
        }
    }
}
END_TEST

START_TEST(test_gradients_single_layer_and_wide)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 3, "grad2");
    int d1[] = {7, 3};
    PrefrlMlp *m = prefrl_mlp_new(1, d1, PREFRL_ACT_RELU, PREFRL_ACT_TANH, 0, 5, NULL);
    prefrl_mlp_init_default(m, &rng);
    check_gradients(m, 5, 1, &rng);
    prefrl_mlp_free(m);
    /* reward-member-like: LeakyReLU 0.01 hidden, tanh output, batch > 1 block */
    int d2[] = {9, 40, 40, 1};
    m = prefrl_mlp_new(3, d2, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH, 0.01f, 33, NULL);
    prefrl_mlp_init_default(m, &rng);
    check_gradients(m, 33, 7, &rng);
    prefrl_mlp_free(m);
}
END_TEST

START_TEST(test_backward_accumulates)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 4, "acc");
    PrefrlMlp *m = small_mlp(PREFRL_ACT_TANH, PREFRL_ACT_IDENTITY, 3, &rng);
    size_t P = prefrl_mlp_n_params(m);
    float x[9], c[6], dx[9];
    fill_uniform(&rng, x, 9, -1, 1);
    fill_uniform(&rng, c, 6, -1, 1);
    prefrl_mlp_zero_grad(m);
    prefrl_mlp_forward(m, x, 3);
    prefrl_mlp_backward(m, c, NULL, TRUE);
    float *once = g_memdup2(prefrl_mlp_grads(m), sizeof(float) * P);
    /* accumulate_param_grads = FALSE leaves the slab alone but gives dx */
    prefrl_mlp_backward(m, c, dx, FALSE);
    ck_assert_int_eq(memcmp(once, prefrl_mlp_grads(m), sizeof(float) * P), 0);
    prefrl_mlp_backward(m, c, NULL, TRUE);
    for (size_t i = 0; i < P; i++)
        assert_close(prefrl_mlp_grads(m)[i], 2.0 * once[i], 1e-6, 1e-6, "2x grad", i);
    prefrl_mlp_zero_grad(m);
    ck_assert(prefrl_mlp_grad_norm(m) == 0.0);
    /* dout may be the network's own output buffer */
    const float *y = prefrl_mlp_forward(m, x, 3);
    float ycopy[6];
    memcpy(ycopy, y, sizeof ycopy);
    float dx2[9];
    prefrl_mlp_backward(m, y, dx2, FALSE);
    prefrl_mlp_forward(m, x, 3);
    prefrl_mlp_backward(m, ycopy, dx, FALSE);
    ck_assert_int_eq(memcmp(dx, dx2, sizeof dx), 0);
    /* and so may the JVP's tangent */
    float *dir = g_new(float, P);
    fill_uniform(&rng, dir, P, -1, 1);
    const float *t = prefrl_mlp_jvp(m, x, 3, dir);
    float tcopy[6];
    memcpy(tcopy, t, sizeof tcopy);
    prefrl_mlp_backward(m, t, dx2, FALSE);
    prefrl_mlp_backward(m, tcopy, dx, FALSE);
    ck_assert_int_eq(memcmp(dx, dx2, sizeof dx), 0);
    g_free(dir);
    g_free(once);
    prefrl_mlp_free(m);
}
END_TEST

START_TEST(test_jvp)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 5, "jvp");
    for (int h = PREFRL_ACT_IDENTITY; h <= PREFRL_ACT_SIGMOID; h++) {
        PrefrlActivation o = h == PREFRL_ACT_RELU ? PREFRL_ACT_TANH : PREFRL_ACT_IDENTITY;
        PrefrlMlp *m = small_mlp(h, o, 5, &rng);
        size_t P = prefrl_mlp_n_params(m);
        float x[15], *dir = g_new(float, P);
        fill_uniform(&rng, x, 15, -1.5, 1.5);
        fill_uniform(&rng, dir, P, -1, 1);
        float y_fwd[10];
        memcpy(y_fwd, prefrl_mlp_forward(m, x, 5), sizeof y_fwd);
        const float *t = prefrl_mlp_jvp(m, x, 5, dir);
        float tv[10];
        memcpy(tv, t, sizeof tv);
        /* the JVP leaves the primal output and cache of a forward */
        for (int i = 0; i < 10; i++)
            assert_close(prefrl_mlp_output(m)[i], y_fwd[i], 0, 0, "jvp primal", (size_t)i);

        double *p = to_double(prefrl_mlp_params(m), P), *xd = to_double(x, 15);
        double *pp = g_new(double, P), *pm = g_new(double, P), yp[10], ym[10];
        for (size_t i = 0; i < P; i++) {
            pp[i] = p[i] + FD_H * dir[i];
            pm[i] = p[i] - FD_H * dir[i];
        }
        ref_forward(m, pp, xd, 5, yp);
        ref_forward(m, pm, xd, 5, ym);
        for (int i = 0; i < 10; i++)
            assert_close(tv[i], (yp[i] - ym[i]) / (2 * FD_H), 2e-4, 2e-3, "jvp", (size_t)i);

        /* and it equals <dir, grad_params f_b> from backward, row by row */
        for (int r = 0; r < 5; r++) {
            float c[10] = {0};
            c[r * 2] = 1.0f;
            prefrl_mlp_forward(m, x, 5);
            prefrl_mlp_zero_grad(m);
            prefrl_mlp_backward(m, c, NULL, TRUE);
            double s = 0;
            for (size_t i = 0; i < P; i++)
                s += (double)dir[i] * prefrl_mlp_grads(m)[i];
            assert_close(tv[r * 2], s, 1e-4, 1e-4, "jvp vs backward", (size_t)r);
        }
        g_free(p);
        g_free(xd);
        g_free(pp);
        g_free(pm);
        g_free(dir);
        prefrl_mlp_free(m);
    }
}
END_TEST

START_TEST(test_slab_ops)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 6, "slab");
    PrefrlMlp *a = small_mlp(PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 2, &rng);
    PrefrlMlp *b = small_mlp(PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 2, &rng);
    size_t P = prefrl_mlp_n_params(a);
    ck_assert(prefrl_mlp_same_shape(a, b));
    float *pa = g_memdup2(prefrl_mlp_params(a), sizeof(float) * P);
    float *pb = g_memdup2(prefrl_mlp_params(b), sizeof(float) * P);
    prefrl_mlp_polyak(b, a, 0.25f);
    for (size_t i = 0; i < P; i++)
        assert_close(prefrl_mlp_params(b)[i], 0.25 * pa[i] + 0.75 * pb[i], 1e-6, 1e-6, "polyak",
                     i);
    prefrl_mlp_copy_params(b, a);
    ck_assert_int_eq(memcmp(prefrl_mlp_params(b), pa, sizeof(float) * P), 0);
    double n2 = 0;
    for (size_t i = 0; i < P; i++)
        n2 += (double)pa[i] * pa[i];
    assert_close(prefrl_mlp_param_norm(a), sqrt(n2), 1e-9, 1e-9, "norm", 0);
    /* clipping: 3-4-5 triangle */
    float g[2] = {3, 4};
    ck_assert(fabs(prefrl_slab_clip_norm(g, 2, 1.0) - 5.0) < 1e-12);
    assert_close(g[0], 3.0 / (5.0 + 1e-6), 1e-7, 0, "clip", 0);
    assert_close(g[1], 4.0 / (5.0 + 1e-6), 1e-7, 0, "clip", 1);
    float h[2] = {0.3f, 0.4f};
    prefrl_slab_clip_norm(h, 2, 1.0);
    ck_assert(h[0] == 0.3f && h[1] == 0.4f);
    /* sgd */
    for (size_t i = 0; i < P; i++)
        prefrl_mlp_grads(a)[i] = (float)i;
    prefrl_mlp_sgd_step(a, 0.5f);
    for (size_t i = 0; i < P; i++)
        ck_assert(prefrl_mlp_params(a)[i] == pa[i] - 0.5f * (float)i);
    /* layout accessors */
    ck_assert_uint_eq(prefrl_mlp_weight_offset(a, 0), 0);
    ck_assert_uint_eq(prefrl_mlp_bias_offset(a, 0), 15);
    ck_assert_uint_eq(prefrl_mlp_weight_offset(a, 1), 20);
    ck_assert_uint_eq(P, 15 + 5 + 20 + 4 + 8 + 2);
    ck_assert_ptr_eq(prefrl_mlp_bias(a, 2), prefrl_mlp_params(a) + 52);
    g_free(pa);
    g_free(pb);
    prefrl_mlp_free(a);
    prefrl_mlp_free(b);
}
END_TEST

START_TEST(test_bad_shapes)
{
    GError *err = NULL;
    int dims[] = {3, 0, 2};
    ck_assert_ptr_null(prefrl_mlp_new(2, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 4, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    ck_assert_msg(strstr(err->message, "width 0") != NULL, "%s", err->message);
    g_clear_error(&err);
    int ok[] = {3, 2};
    ck_assert_ptr_null(prefrl_mlp_new(1, ok, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 0, &err));
    g_clear_error(&err);
    ck_assert_ptr_null(
        prefrl_mlp_new(1, ok, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_IDENTITY, -0.1f, 4, &err));
    g_clear_error(&err);
    PrefrlActivation act;
    ck_assert(prefrl_activation_from_name("leaky_relu", &act, NULL));
    ck_assert_int_eq(act, PREFRL_ACT_LEAKY_RELU);
    ck_assert(!prefrl_activation_from_name("gelu", &act, &err));
    ck_assert_msg(strstr(err->message, "gelu") != NULL, "%s", err->message);
    g_clear_error(&err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* initialisation */

static gboolean same_floats(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, sizeof(float) * n) == 0;
}

START_TEST(test_init_default)
{
    int dims[] = {30, 64, 1};
    PrefrlMlp *a = prefrl_mlp_new(2, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 1, NULL);
    PrefrlMlp *b = prefrl_mlp_new(2, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 1, NULL);
    PrefrlRng r1, r2;
    prefrl_rng_init(&r1, 42, "init");
    prefrl_rng_init(&r2, 42, "init");
    prefrl_mlp_init_default(a, &r1);
    prefrl_mlp_init_default(b, &r2);
    size_t P = prefrl_mlp_n_params(a);
    ck_assert(same_floats(prefrl_mlp_params(a), prefrl_mlp_params(b), P));
    /* bounds 1/sqrt(fan_in) per layer, and the range is used */
    for (int l = 0; l < 2; l++) {
        double bound = 1.0 / sqrt(dims[l]);
        float *w = prefrl_mlp_weight(a, l);
        size_t n = (size_t)dims[l] * dims[l + 1] + dims[l + 1]; /* W then b */
        double mx = 0;
        for (size_t i = 0; i < n; i++) {
            ck_assert(fabs(w[i]) <= bound);
            mx = MAX(mx, fabs(w[i]));
        }
        ck_assert(mx > 0.9 * bound);
    }
    prefrl_rng_init(&r2, 43, "init");
    prefrl_mlp_init_default(b, &r2);
    ck_assert(!same_floats(prefrl_mlp_params(a), prefrl_mlp_params(b), P));
    prefrl_mlp_free(a);
    prefrl_mlp_free(b);
}
END_TEST

/* Q of the tall matrix from modified Gram-Schmidt in double: the positive-R
 * QR computed another way */
static void ref_orthogonal(double *w, int rows, int cols, double gain, PrefrlRng *rng)
{
    int m = MAX(rows, cols), k = MIN(rows, cols);
    double *a = g_new(double, (size_t)m * k); /* column j at a + j*m */
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double g = prefrl_rng_normal(rng);
            if (rows >= cols)
                a[(size_t)c * m + r] = g;
            else
                a[(size_t)r * m + c] = g;
        }
    for (int j = 0; j < k; j++) {
        double *q = a + (size_t)j * m;
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < j; i++) {
                double *qi = a + (size_t)i * m, d = 0;
                for (int t = 0; t < m; t++)
                    d += qi[t] * q[t];
                for (int t = 0; t < m; t++)
                    q[t] -= d * qi[t];
            }
        double nrm = 0;
        for (int t = 0; t < m; t++)
            nrm += q[t] * q[t];
        nrm = sqrt(nrm);
        for (int t = 0; t < m; t++)
            q[t] /= nrm;
    }
    for (int j = 0; j < k; j++)
        for (int i = 0; i < m; i++) {
            double v = gain * a[(size_t)j * m + i];
            if (rows >= cols)
                w[(size_t)i * cols + j] = v;
            else
                w[(size_t)j * cols + i] = v;
        }
    g_free(a);
}

START_TEST(test_init_orthogonal)
{
    /* shapes below, at and above the 32-column panel of the blocked QR */
    const int shapes[][2] = {{5, 3}, {3, 5}, {64, 64}, {100, 70}, {70, 100}, {33, 97}, {1, 8}};
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        int dims[] = {cols, rows};
        PrefrlMlp *m = prefrl_mlp_new(1, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 1, NULL);
        PrefrlRng r1, r2;
        prefrl_rng_init(&r1, 7, "orth");
        prefrl_rng_init(&r2, 7, "orth");
        prefrl_mlp_init_orthogonal(m, &r1, 1.0f, 1.5f);
        double *ref = g_new(double, (size_t)rows * cols);
        ref_orthogonal(ref, rows, cols, 1.5, &r2);
        const float *w = prefrl_mlp_weight(m, 0);
        for (int i = 0; i < rows * cols; i++)
            assert_close(w[i], ref[i], 2e-6, 0, "orthogonal", (size_t)i);
        /* gain^2 I on the short side */
        int k = MIN(rows, cols);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                double d = 0;
                if (rows >= cols)
                    for (int t = 0; t < rows; t++)
                        d += (double)w[t * cols + i] * w[t * cols + j];
                else
                    for (int t = 0; t < cols; t++)
                        d += (double)w[i * cols + t] * w[j * cols + t];
                assert_close(d, i == j ? 2.25 : 0.0, 1e-5, 0, "W^T W", (size_t)(i * k + j));
            }
        for (int i = 0; i < rows; i++)
            ck_assert(prefrl_mlp_bias(m, 0)[i] == 0.0f);
        g_free(ref);
        prefrl_mlp_free(m);
    }
    /* same seed, bit-identical; gains per layer */
    int dims[] = {30, 256, 256, 12};
    PrefrlMlp *a = prefrl_mlp_new(3, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 1, NULL);
    PrefrlMlp *b = prefrl_mlp_new(3, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 1, NULL);
    PrefrlRng r1, r2;
    prefrl_rng_init(&r1, 9, "actor");
    prefrl_rng_init(&r2, 9, "actor");
    prefrl_mlp_init_orthogonal(a, &r1, (float)G_SQRT2, 0.01f);
    prefrl_mlp_init_orthogonal(b, &r2, (float)G_SQRT2, 0.01f);
    ck_assert(same_floats(prefrl_mlp_params(a), prefrl_mlp_params(b), prefrl_mlp_n_params(a)));
    double n_out = prefrl_slab_l2_norm(prefrl_mlp_weight(a, 2), 12 * 256);
    assert_close(n_out, 0.01 * sqrt(12.0), 1e-6, 1e-4, "output gain", 0);
    double n_hid = prefrl_slab_l2_norm(prefrl_mlp_weight(a, 1), 256 * 256);
    assert_close(n_hid, G_SQRT2 * 16.0, 1e-6, 1e-4, "hidden gain", 0);
    /* the thread count does not change the weights (the QR uses dgemm) */
    prefrl_rng_init(&r1, 9, "actor");
    prefrl_rng_init(&r2, 9, "actor");
    prefrl_nn_set_threads(2);
    prefrl_mlp_init_orthogonal(a, &r1, (float)G_SQRT2, 0.01f);
    prefrl_nn_set_threads(1);
    ck_assert(same_floats(prefrl_mlp_params(a), prefrl_mlp_params(b), prefrl_mlp_n_params(a)));
    prefrl_mlp_free(a);
    prefrl_mlp_free(b);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* ensembles */

START_TEST(test_ensemble)
{
    int dims[] = {11, 32, 32, 1};
    GError *err = NULL;
    PrefrlEnsemble *e = prefrl_ensemble_new(3, 3, dims, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH,
                                            0.01f, 20, &err);
    ck_assert_msg(e != NULL, "%s", err ? err->message : "");
    PrefrlRng rng, r2;
    prefrl_rng_init(&rng, 10, "ens");
    prefrl_rng_init(&r2, 10, "ens");
    prefrl_ensemble_init_default(e, &rng);
    PrefrlMlp *m0 = prefrl_ensemble_member(e, 0);
    size_t P = prefrl_mlp_n_params(m0);
    ck_assert_uint_eq(prefrl_ensemble_n_params(e), 3 * P);
    ck_assert_int_eq(prefrl_ensemble_size(e), 3);
    /* members are consecutive views, drawn member 0 first */
    for (int k = 0; k < 3; k++) {
        ck_assert_ptr_eq(prefrl_mlp_params(prefrl_ensemble_member(e, k)),
                         prefrl_ensemble_params(e) + k * P);
        ck_assert_ptr_eq(prefrl_mlp_grads(prefrl_ensemble_member(e, k)),
                         prefrl_ensemble_grads(e) + k * P);
    }
    PrefrlMlp *solo = prefrl_mlp_new(3, dims, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH, 0.01f, 20,
                                     NULL);
    for (int k = 0; k < 3; k++) {
        prefrl_mlp_init_default(solo, &r2);
        ck_assert(same_floats(prefrl_mlp_params(solo),
                              prefrl_mlp_params(prefrl_ensemble_member(e, k)), P));
    }
    float x[20 * 11], mean[20];
    fill_uniform(&rng, x, 20 * 11, -1, 1);
    const float *all = prefrl_ensemble_forward(e, x, 20);
    float *copy = g_memdup2(all, sizeof(float) * 60);
    for (int k = 0; k < 3; k++) {
        prefrl_mlp_copy_params(solo, prefrl_ensemble_member(e, k));
        const float *y = prefrl_mlp_forward(solo, x, 20);
        ck_assert(same_floats(y, copy + k * 20, 20));
        /* each member's cache is that of its own forward */
        ck_assert(same_floats(prefrl_mlp_output(prefrl_ensemble_member(e, k)), y, 20));
    }
    prefrl_ensemble_forward_mean(e, x, 20, mean);
    for (int i = 0; i < 20; i++)
        assert_close(mean[i], (copy[i] + copy[20 + i] + copy[40 + i]) / 3.0, 1e-6, 1e-6, "mean",
                     (size_t)i);
    /* backward through the mean touches every member's part of the slab */
    prefrl_ensemble_zero_grad(e);
    float dmean[20];
    for (int i = 0; i < 20; i++)
        dmean[i] = 1.0f / 3.0f;
    for (int k = 0; k < 3; k++)
        prefrl_mlp_backward(prefrl_ensemble_member(e, k), dmean, NULL, TRUE);
    for (int k = 0; k < 3; k++)
        ck_assert(prefrl_slab_l2_norm(prefrl_ensemble_grads(e) + k * P, P) > 0);
    g_free(copy);
    prefrl_mlp_free(solo);
    prefrl_ensemble_free(e);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* optimisers */

START_TEST(test_adam_hand_steps)
{
    /* torch.optim.Adam(lr=0.1), default betas/eps; values from the update
     * rule in double precision; 1 - beta is formed in double as in torch */
    PrefrlAdam *a = prefrl_adam_new(2, 0.1f, 0.9, 0.999, 1e-8);
    float p[2] = {1.0f, -2.0f};
    float g1[2] = {0.5f, 3.0f}, g2[2] = {-0.2f, 0.0f};
    prefrl_adam_step(a, p, g1);
    assert_close(p[0], 0.900000002, 1e-6, 0, "adam step 1", 0);
    assert_close(p[1], -2.0999999996666667, 1e-6, 0, "adam step 1", 1);
    assert_close(prefrl_adam_m(a)[1], 0.3, 1e-7, 0, "m", 1);
    assert_close(prefrl_adam_v(a)[1], 0.009, 2e-9, 0, "v", 1);
    prefrl_adam_step(a, p, g2);
    assert_close(p[0], 0.8654394181165108, 2e-6, 0, "adam step 2", 0);
    assert_close(p[1], -2.167005824764373, 2e-6, 0, "adam step 2", 1);
    ck_assert_int_eq(prefrl_adam_steps(a), 2);
    prefrl_adam_reset(a);
    ck_assert_int_eq(prefrl_adam_steps(a), 0);
    ck_assert(prefrl_adam_m(a)[1] == 0.0f && prefrl_adam_v(a)[0] == 0.0f);
    prefrl_adam_set_lr(a, 0.5f);
    ck_assert(prefrl_adam_get_lr(a) == 0.5f);
    /* the first step of Adam moves every coordinate by ~lr * sign(g) */
    float q[2] = {0, 0}, g[2] = {1e-3f, -7.0f};
    prefrl_adam_step(a, q, g);
    assert_close(q[0], -0.5, 1e-5, 0, "sign step", 0);
    assert_close(q[1], 0.5, 1e-5, 0, "sign step", 1);
    prefrl_adam_free(a);
}
END_TEST

/* the vectorised step (16 lanes on AVX-512, and its scalar tail) rounds
 * every element as the plain float loop does: bit for bit, over steps that
 * exercise the bias corrections, mixed signs and zero gradients */
START_TEST(test_adam_lanes_bit_exact)
{
    enum { N = 16 * 37 + 13 };
    const float lr = 3e-4f;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 5, "adam-lanes");
    float *p = g_new(float, N), *q = g_new(float, N), *g = g_new(float, N);
    float *m = g_new0(float, N), *v = g_new0(float, N);
    for (int i = 0; i < N; i++)
        p[i] = q[i] = (float)prefrl_rng_range(&rng, -2, 2);
    PrefrlAdam *a = prefrl_adam_new(N, lr, b1, b2, eps);
    for (int t = 1; t <= 5; t++) {
        for (int i = 0; i < N; i++)
            g[i] = i % 11 == 0 ? 0.0f : (float)prefrl_rng_range(&rng, -1, 1) * (float)t;
        prefrl_adam_step(a, p, g);
        const float step = (float)(lr / (1.0 - pow(b1, t)));
        const float sb = (float)sqrt(1.0 - pow(b2, t));
        for (int i = 0; i < N; i++) {
            m[i] = (float)b1 * m[i] + (float)(1.0 - b1) * g[i];
            v[i] = (float)b2 * v[i] + (float)(1.0 - b2) * g[i] * g[i];
            q[i] -= step * m[i] / (sqrtf(v[i]) / sb + (float)eps);
        }
        ck_assert_msg(memcmp(p, q, sizeof(float) * N) == 0, "params differ at step %d", t);
        ck_assert_msg(memcmp(prefrl_adam_m(a), m, sizeof(float) * N) == 0 &&
                          memcmp(prefrl_adam_v(a), v, sizeof(float) * N) == 0,
                      "moments differ at step %d", t);
    }
    prefrl_adam_free(a);
    g_free(p);
    g_free(q);
    g_free(g);
    g_free(m);
    g_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* squashed Gaussian */

/* L = sum ca .* a + sum cl .* logpi in double from outputs o (B, 2A) */
static double ref_policy_loss(const double *o, const float *eps, int B, int A, double lo,
                              double hi, const float *ca, const float *cl, double *logp)
{
    double L = 0;
    for (int b = 0; b < B; b++) {
        double lp = 0;
        for (int i = 0; i < A; i++) {
            double mu = o[b * 2 * A + i], raw = o[b * 2 * A + A + i];
            double ls = lo + 0.5 * (hi - lo) * (tanh(raw) + 1);
            double s = exp(ls), e = eps[b * A + i];
            double u = mu + s * e, a = tanh(u);
            /* Gaussian density of u and the change of variables, written
             * directly rather than in the kernel's stable form */
            lp += -0.5 * ((u - mu) / s) * ((u - mu) / s) - ls - 0.5 * log(2 * G_PI) -
                  log(1 - a * a);
            L += ca[b * A + i] * a;
        }
        L += cl[b] * lp;
        if (logp)
            logp[b] = lp;
    }
    return L;
}

START_TEST(test_tanh_gaussian)
{
    const int B = 4, A = 3;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 11, "pi");
    GError *err = NULL;
    PrefrlTanhGaussian *g = prefrl_tanh_gaussian_new(A, B, -5, 2, &err);
    ck_assert_msg(g != NULL, "%s", err ? err->message : "");
    float out[24], eps[12], ca[12], cl[4], act[12], logp[4], d_out[24];
    fill_uniform(&rng, out, 24, -1.0, 1.0);
    prefrl_rng_normal_fill(&rng, eps, 12);
    fill_uniform(&rng, ca, 12, -1, 1);
    fill_uniform(&rng, cl, 4, -1, 1);
    prefrl_tanh_gaussian_sample(g, out, eps, B, act, logp);
    double *od = to_double(out, 24), ref_lp[4];
    ref_policy_loss(od, eps, B, A, -5, 2, ca, cl, ref_lp);
    for (int b = 0; b < B; b++) {
        assert_close(logp[b], ref_lp[b], 1e-4, 1e-5, "log pi", (size_t)b);
        ck_assert(prefrl_tanh_gaussian_log_prob(g)[b] == logp[b]);
    }
    double ent = 0;
    for (int b = 0; b < B; b++)
        ent -= ref_lp[b] / B;
    assert_close(prefrl_tanh_gaussian_entropy(g), ent, 1e-4, 1e-5, "entropy", 0);
    for (int i = 0; i < 12; i++) {
        double ls = -5 + 3.5 * (tanh(out[(i / A) * 2 * A + A + i % A]) + 1);
        assert_close(prefrl_tanh_gaussian_std(g)[i], exp(ls), 1e-6, 1e-5, "std", (size_t)i);
        assert_close(act[i], tanh(out[(i / A) * 2 * A + i % A] + exp(ls) * eps[i]), 1e-6, 1e-5,
                     "action", (size_t)i);
    }
    prefrl_tanh_gaussian_backward(g, ca, cl, d_out);
    for (int i = 0; i < 24; i++) {
        double keep = od[i];
        od[i] = keep + FD_H;
        double lp = ref_policy_loss(od, eps, B, A, -5, 2, ca, cl, NULL);
        od[i] = keep - FD_H;
        double lm = ref_policy_loss(od, eps, B, A, -5, 2, ca, cl, NULL);
        od[i] = keep;
        assert_close(d_out[i], (lp - lm) / (2 * FD_H), 1e-4, 1e-3, "dL/dout", (size_t)i);
    }
    /* NULL gradients are zero: only the action term */
    float d_a_only[24];
    prefrl_tanh_gaussian_backward(g, ca, NULL, d_a_only);
    float zero[4] = {0};
    for (int i = 0; i < 24; i++) {
        double keep = od[i];
        od[i] = keep + FD_H;
        double lp = ref_policy_loss(od, eps, B, A, -5, 2, ca, zero, NULL);
        od[i] = keep - FD_H;
        double lm = ref_policy_loss(od, eps, B, A, -5, 2, ca, zero, NULL);
        od[i] = keep;
        assert_close(d_a_only[i], (lp - lm) / (2 * FD_H), 1e-4, 1e-3, "dL/dout (a)", (size_t)i);
    }
    /* deterministic action tanh(mu) */
    float mode[12];
    prefrl_tanh_gaussian_mode(g, out, B, mode);
    for (int i = 0; i < 12; i++)
        assert_close(mode[i], tanh(out[(i / A) * 2 * A + i % A]), 1e-7, 1e-6, "mode", (size_t)i);
    /* saturated u: the stable correction stays finite where log(1 - a^2) is -inf in float */
    float big[6] = {30, -30, 12, 2, 2, 2}, e0[3] = {0, 0, 0}, lp1;
    prefrl_tanh_gaussian_sample(g, big, e0, 1, NULL, &lp1);
    ck_assert_msg(isfinite(lp1), "log pi %g", lp1);
    /* exact: u = mu, log sigma = 2 for raw = 2 up to tanh(2) */
    double want = 0;
    for (int i = 0; i < 3; i++) {
        double u = big[i], ls = -5 + 3.5 * (tanh(2.0) + 1);
        want += -ls - 0.5 * log(2 * G_PI) - 2 * (G_LN2 - u - log1p(exp(-2 * u)));
    }
    assert_close(lp1, want, 1e-4, 1e-5, "saturated log pi", 0);
    g_free(od);
    prefrl_tanh_gaussian_free(g);
    ck_assert_ptr_null(prefrl_tanh_gaussian_new(2, 4, 2, -5, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    g_clear_error(&err);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* losses */

START_TEST(test_mse)
{
    float pred[5] = {0.5f, -1, 2, 0, 3}, target[5] = {1, -1, 0, 0.25f, -3}, d[5];
    double L = prefrl_loss_mse(pred, target, 5, d);
    double want = (0.25 + 0 + 4 + 0.0625 + 36) / 5;
    assert_close(L, want, 1e-12, 1e-12, "mse", 0);
    for (int i = 0; i < 5; i++) {
        /* the loss is quadratic: a central difference over the float
         * steps actually taken is exact up to rounding */
        float keep = pred[i], up = keep + 1e-3f, down = keep - 1e-3f;
        pred[i] = up;
        double lp = prefrl_loss_mse(pred, target, 5, NULL);
        pred[i] = down;
        double lm = prefrl_loss_mse(pred, target, 5, NULL);
        pred[i] = keep;
        assert_close(d[i], (lp - lm) / ((double)up - down), 1e-5, 1e-5, "dmse", (size_t)i);
    }
}
END_TEST

/* double reference of the soft cross-entropy */
static double ref_bt(const double *z1, const double *z2, const int *lab, int n, double margin)
{
    double L = 0;
    for (int i = 0; i < n; i++) {
        double t2 = lab[i] < 0 ? 0.5 : lab[i] == 1 ? 1 - margin : margin;
        double p2 = 1.0 / (1.0 + exp(z1[i] - z2[i]));
        L -= (1 - t2) * log(1 - p2) + t2 * log(p2);
    }
    return L / n;
}

START_TEST(test_bt_loss)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, 12, "bt");
    const int n = 8;
    float z1[8], z2[8], d1[8], d2[8];
    fill_uniform(&rng, z1, n, -3, 3);
    fill_uniform(&rng, z2, n, -3, 3);
    const int hard[8] = {0, 1, 1, 0, 0, 1, 0, 1};
    const int mixed[8] = {0, 1, -1, 0, -1, 1, 0, -1};
    const struct {
        const int *lab;
        float margin;
    } cases[] = {{hard, 0.0f}, {hard, 0.1f}, {mixed, 0.0f}, {mixed, 0.05f}};
    double *z1d = to_double(z1, n), *z2d = to_double(z2, n);
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        double L = prefrl_loss_bt(z1, z2, cases[c].lab, n, cases[c].margin, d1, d2);
        assert_close(L, ref_bt(z1d, z2d, cases[c].lab, n, cases[c].margin), 1e-9, 1e-9, "bt", c);
        for (int i = 0; i < n; i++) {
            for (int side = 0; side < 2; side++) {
                double *z = side ? z2d : z1d, keep = z[i];
                z[i] = keep + FD_H;
                double lp = ref_bt(z1d, z2d, cases[c].lab, n, cases[c].margin);
                z[i] = keep - FD_H;
                double lm = ref_bt(z1d, z2d, cases[c].lab, n, cases[c].margin);
                z[i] = keep;
                assert_close(side ? d2[i] : d1[i], (lp - lm) / (2 * FD_H), 1e-6, 1e-4, "dbt",
                             (size_t)i);
            }
        }
    }
    /* hand values: equal logits -> ln 2 whatever the label */
    float zero[3] = {0, 0, 0};
    const int l3[3] = {0, 1, -1};
    assert_close(prefrl_loss_bt(zero, zero, l3, 3, 0, NULL, NULL), G_LN2, 1e-12, 0, "ln2", 0);
    /* stability: a gap of 1e4 gives loss = gap for the wrong label, 0 for the right one */
    float a[2] = {1e4f, 0}, b[2] = {0, 1e4f};
    const int first[2] = {0, 0};
    double L = prefrl_loss_bt(a, b, first, 2, 0, d1, d2);
    assert_close(L, 0.5 * 1e4, 1e-6, 1e-9, "stable", 0);
    ck_assert(isfinite(d1[0]) && isfinite(d1[1]) && isfinite(d2[0]) && isfinite(d2[1]));
    assert_close(d1[1], -0.5, 1e-9, 0, "saturated grad", 1);
    assert_close(d2[1], 0.5, 1e-9, 0, "saturated grad", 1);
    /* equal label pulls toward 0.5/0.5 */
    const int eq[1] = {-1};
    float p1 = 2, p2 = 0;
    prefrl_loss_bt(&p1, &p2, eq, 1, 0, d1, d2);
    ck_assert(d1[0] > 0 && d2[0] < 0);
    assert_close(d1[0], 1.0 / (1.0 + exp(-2.0)) - 0.5, 1e-7, 0, "equal grad", 0);
    g_free(z1d);
    g_free(z2d);
}
END_TEST

START_TEST(test_bt_accuracy)
{
    float z1[5] = {1, 0, 2, 3, 1}, z2[5] = {0, 1, 1, 3, 5};
    const int lab[5] = {0, 1, 0, 1, -1};
    /* pair 3 is a tie: predicted 0, label 1 -> wrong; -1 never matches */
    assert_close(prefrl_bt_accuracy(z1, z2, lab, 5), 3.0 / 5.0, 1e-12, 0, "accuracy", 0);
    ck_assert(prefrl_bt_accuracy(z1, z2, lab, 0) == 0.0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* save / load */

typedef struct {
    PrefrlMlp *mlp;
    PrefrlEnsemble *ens;
    PrefrlAdam *adam;
} Objects;

static void make_objects(Objects *o, uint64_t seed)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, seed, "io");
    int d[] = {6, 16, 16, 2};
    o->mlp = prefrl_mlp_new(3, d, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 4, NULL);
    prefrl_mlp_init_orthogonal(o->mlp, &rng, 1, 1);
    int e[] = {5, 8, 1};
    o->ens = prefrl_ensemble_new(3, 2, e, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH, 0.01f, 4, NULL);
    prefrl_ensemble_init_default(o->ens, &rng);
    size_t n = prefrl_ensemble_n_params(o->ens);
    o->adam = prefrl_adam_new(n, 3e-4f, 0.9, 0.999, 1e-8);
    float *g = g_new(float, n);
    for (int s = 0; s < 3; s++) {
        fill_uniform(&rng, g, n, -1, 1);
        prefrl_adam_step(o->adam, prefrl_ensemble_params(o->ens), g);
    }
    g_free(g);
}

static void free_objects(Objects *o)
{
    prefrl_mlp_free(o->mlp);
    prefrl_ensemble_free(o->ens);
    prefrl_adam_free(o->adam);
}

/* the three records of `o` in a new checkpoint `path` */
static void save_objects(const Objects *o, const char *path)
{
    GError *err = NULL;
    PrefrlCkpt *c = prefrl_ckpt_open_write(path, &err);
    ck_assert_msg(c != NULL, "%s", err ? err->message : "");
    prefrl_mlp_save(o->mlp, c);
    prefrl_ensemble_save(o->ens, c);
    prefrl_adam_save(o->adam, c);
    ck_assert_msg(prefrl_ckpt_close(c, &err), "%s", err ? err->message : "");
}

/* load the three records of checkpoint `path` into o; FALSE + error on the
 * first failure (the stream's, or its close) */
static gboolean load_objects(Objects *o, const char *path, GError **error)
{
    PrefrlCkpt *c = prefrl_ckpt_open_read(path, error);
    ck_assert_ptr_nonnull(c);
    prefrl_mlp_load(o->mlp, c);
    prefrl_ensemble_load(o->ens, c);
    prefrl_adam_load(o->adam, c);
    if (!prefrl_ckpt_check(c, error)) {
        prefrl_ckpt_abort(c);
        return FALSE;
    }
    return prefrl_ckpt_close(c, error);
}

static gboolean objects_equal(Objects *a, Objects *b)
{
    PrefrlAdam *x = a->adam, *y = b->adam;
    size_t n = prefrl_adam_size(x);
    return same_floats(prefrl_mlp_params(a->mlp), prefrl_mlp_params(b->mlp),
                       prefrl_mlp_n_params(a->mlp)) &&
           same_floats(prefrl_ensemble_params(a->ens), prefrl_ensemble_params(b->ens),
                       prefrl_ensemble_n_params(a->ens)) &&
           n == prefrl_adam_size(y) && same_floats(prefrl_adam_m(x), prefrl_adam_m(y), n) &&
           same_floats(prefrl_adam_v(x), prefrl_adam_v(y), n) &&
           prefrl_adam_steps(x) == prefrl_adam_steps(y) &&
           prefrl_adam_get_lr(x) == prefrl_adam_get_lr(y);
}

START_TEST(test_save_load_roundtrip)
{
    Objects a, b;
    make_objects(&a, 1);
    make_objects(&b, 2);
    prefrl_adam_set_lr(b.adam, 1.0f);
    ck_assert(!objects_equal(&a, &b));
    char *dir = ckpt_test_tmpdir(), *path = g_build_filename(dir, "nn.bin", NULL);
    save_objects(&a, path);
    GError *err = NULL;
    ck_assert_msg(load_objects(&b, path, &err), "%s", err ? err->message : "");
    ck_assert(objects_equal(&a, &b));
    /* a loaded Adam continues exactly as the saved one */
    size_t n = prefrl_adam_size(a.adam);
    float *g = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        g[i] = (float)sin((double)i);
    prefrl_adam_step(a.adam, prefrl_ensemble_params(a.ens), g);
    prefrl_adam_step(b.adam, prefrl_ensemble_params(b.ens), g);
    ck_assert(objects_equal(&a, &b));
    /* read into a new network (the rest of the file left unread) */
    PrefrlCkpt *c = prefrl_ckpt_open_read(path, &err);
    ck_assert_ptr_nonnull(c);
    PrefrlMlp *m = prefrl_mlp_read(c, 7);
    ck_assert_msg(m != NULL, "%s", prefrl_ckpt_check(c, &err) ? "" : err->message);
    prefrl_ckpt_abort(c);
    ck_assert(prefrl_mlp_same_shape(m, a.mlp));
    ck_assert_int_eq(prefrl_mlp_max_batch(m), 7);
    ck_assert(same_floats(prefrl_mlp_params(m), prefrl_mlp_params(a.mlp), prefrl_mlp_n_params(m)));
    prefrl_mlp_free(m);
    g_free(g);
    g_free(path);
    ckpt_test_rmdir(dir);
    free_objects(&a);
    free_objects(&b);
}
END_TEST

/* loading `path` into o fails with a format error naming the file and
 * containing `needle`, and changes nothing */
static void expect_format_error(Objects *o, const char *path, const char *needle)
{
    Objects before;
    make_objects(&before, 2);
    ck_assert(objects_equal(o, &before));
    GError *err = NULL;
    ck_assert(!load_objects(o, path, &err));
    ckpt_test_refused(&err, path, needle);
    ck_assert(objects_equal(o, &before));
    free_objects(&before);
}

/* a checkpoint `path` holding what `write` writes */
static void write_stream(const char *path, void (*write)(PrefrlCkpt *c, const void *arg),
                         const void *arg)
{
    PrefrlCkpt *c = prefrl_ckpt_open_write(path, NULL);
    ck_assert_ptr_nonnull(c);
    write(c, arg);
    ck_assert(prefrl_ckpt_close(c, NULL));
}

static void write_mlp(PrefrlCkpt *c, const void *m)
{
    prefrl_mlp_save(m, c);
}

static void write_ensemble(PrefrlCkpt *c, const void *e)
{
    prefrl_ensemble_save(e, c);
}

static void write_future_mlp(PrefrlCkpt *c, const void *m)
{
    prefrl_ckpt_put_tag(c, "nn-mlp", 9);
    (void)m;
}

static void write_with_tail(PrefrlCkpt *c, const void *o)
{
    const Objects *x = o;
    prefrl_mlp_save(x->mlp, c);
    prefrl_ensemble_save(x->ens, c);
    prefrl_adam_save(x->adam, c);
    prefrl_ckpt_put_i64(c, 42);
}

START_TEST(test_load_errors)
{
    Objects a, b;
    make_objects(&a, 1);
    make_objects(&b, 2);
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "nn.bin", NULL);
    char *bad = g_build_filename(dir, "bad.bin", NULL);
    save_objects(&a, path);
    gsize len;
    char *buf = ckpt_test_read(path, &len);

    /* truncated anywhere, the last record included: refused before any
     * record is read */
    const size_t cuts[] = {0, 3, 5, 30, 60, len / 2, len - 5, len - 1};
    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        ckpt_test_write(bad, buf, cuts[i]);
        expect_format_error(&b, bad, "truncated");
    }
    /* one flipped bit in a payload, in a shape field, in the checksum */
    const size_t flips[] = {len / 2, 20, len - 2};
    for (size_t i = 0; i < G_N_ELEMENTS(flips); i++) {
        buf[flips[i]] ^= 0x10;
        ckpt_test_write(bad, buf, len);
        buf[flips[i]] ^= 0x10;
        expect_format_error(&b, bad, "checksum mismatch");
    }
    /* a record of another kind, another format version */
    write_stream(bad, write_ensemble, a.ens);
    expect_format_error(&b, bad, "holds nn-ensemble version 2 where nn-mlp version 2 was expected");
    write_stream(bad, write_future_mlp, a.mlp);
    expect_format_error(&b, bad, "holds nn-mlp version 9");
    /* fields nobody reads: found at the close, after the records loaded */
    {
        Objects c;
        make_objects(&c, 2);
        write_stream(bad, write_with_tail, &a);
        GError *err = NULL;
        ck_assert(!load_objects(&c, bad, &err));
        ckpt_test_refused(&err, bad, "8 bytes follow the last field read");
        free_objects(&c);
    }
    /* mismatched shapes */
    {
        int d[] = {6, 16, 17, 2};
        PrefrlMlp *other = prefrl_mlp_new(3, d, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0, 1, NULL);
        write_stream(bad, write_mlp, other);
        expect_format_error(&b, bad, "MLP shape mismatch: file has 6-16-17-2 relu/identity "
                                     "slope 0, expected 6-16-16-2 relu/identity slope 0");
        prefrl_mlp_free(other);

        int e[] = {5, 8, 1};
        PrefrlEnsemble *e2 = prefrl_ensemble_new(2, 2, e, PREFRL_ACT_LEAKY_RELU, PREFRL_ACT_TANH,
                                                 0.01f, 1, NULL);
        write_stream(bad, write_ensemble, e2);
        GError *err = NULL;
        PrefrlCkpt *c = prefrl_ckpt_open_read(bad, &err);
        prefrl_ensemble_load(b.ens, c);
        ck_assert(!prefrl_ckpt_close(c, &err));
        ckpt_test_refused(&err, bad, "ensemble shape mismatch: file has 2 members, expected 3");
        prefrl_ensemble_free(e2);

        PrefrlAdam *small = prefrl_adam_new(10, 1e-3f, 0.9, 0.999, 1e-8);
        c = prefrl_ckpt_open_write(bad, NULL);
        prefrl_adam_save(small, c);
        ck_assert(prefrl_ckpt_close(c, NULL));
        c = prefrl_ckpt_open_read(bad, NULL);
        prefrl_adam_load(b.adam, c);
        ck_assert(!prefrl_ckpt_close(c, &err));
        ckpt_test_refused(&err, bad, "Adam shape mismatch: file has 10 parameters");
        prefrl_adam_free(small);
    }
    /* nothing above touched b */
    {
        Objects before;
        make_objects(&before, 2);
        ck_assert(objects_equal(&b, &before));
        free_objects(&before);
    }
    /* a write error is an IO error */
    if (g_file_test("/dev/full", G_FILE_TEST_EXISTS)) {
        GError *err = NULL;
        PrefrlCkpt *c = prefrl_ckpt_open_write("/dev/full", &err);
        ck_assert_ptr_nonnull(c);
        prefrl_mlp_save(a.mlp, c);
        ck_assert(!prefrl_ckpt_close(c, &err));
        ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_IO));
        g_clear_error(&err);
    }
    g_free(buf);
    g_free(bad);
    g_free(path);
    ckpt_test_rmdir(dir);
    free_objects(&a);
    free_objects(&b);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *nn_suite(void)
{
    Suite *s = suite_create("nn");
    TCase *tc = tcase_create("mlp");
    tcase_add_test(tc, test_forward_matches_double);
    tcase_add_test(tc, test_gradients_every_activation);
    tcase_add_test(tc, test_gradients_single_layer_and_wide);
    tcase_add_test(tc, test_backward_accumulates);
    tcase_add_test(tc, test_jvp);
    tcase_add_test(tc, test_slab_ops);
    tcase_add_test(tc, test_bad_shapes);
    suite_add_tcase(s, tc);
    tc = tcase_create("init");
    tcase_add_test(tc, test_init_default);
    tcase_add_test(tc, test_init_orthogonal);
    tcase_add_test(tc, test_ensemble);
    suite_add_tcase(s, tc);
    tc = tcase_create("optim");
    tcase_add_test(tc, test_adam_hand_steps);
    tcase_add_test(tc, test_adam_lanes_bit_exact);
    suite_add_tcase(s, tc);
    tc = tcase_create("policy_loss");
    tcase_add_test(tc, test_tanh_gaussian);
    tcase_add_test(tc, test_mse);
    tcase_add_test(tc, test_bt_loss);
    tcase_add_test(tc, test_bt_accuracy);
    suite_add_tcase(s, tc);
    tc = tcase_create("io");
    tcase_add_test(tc, test_save_load_roundtrip);
    tcase_add_test(tc, test_load_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* one BLAS thread keeps the suite quiet on a shared machine */
    prefrl_nn_set_threads(1);
#ifdef CHECK_NN_NUMERICS
    GError *err = NULL;
    if (!prefrl_numerics_check(CHECK_NN_NUMERICS, TRUE, &err)) {
        printf("SKIP: %s\n", err->message);
        g_error_free(err);
        return 77;
    }
    /* every network the tests create (on this thread) uses the backend */
    prefrl_nn_set_numerics(CHECK_NN_NUMERICS);
    char *what = prefrl_numerics_describe(CHECK_NN_NUMERICS);
    printf("numerics %s\n", what);
    g_free(what);
#endif
    int failed = check_run(nn_suite());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
