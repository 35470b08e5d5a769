/* Orthogonal initialisation (torch.nn.init.orthogonal_), as SAC and PPO use it.
 *
 * torch draws a (rows, cols) standard normal matrix, transposes it when
 * rows < cols so that it is tall, takes its QR factorisation, multiplies the
 * columns of Q by sign(diag R) and transposes back.  The sign fix makes the
 * result the unique thin Q whose R has a positive diagonal, so any correct
 * QR gives the same matrix.  This one is Householder QR in double precision,
 * unblocked inside 32-column panels and a compact-WY update of the rest by
 * dgemm (1024 x 1024: 0.17 s instead of 1 s unblocked).  OpenBLAS splits a
 * dgemm over output blocks, each summed in the same order whatever the
 * thread count, so a seed fixes the weights bit for bit with 1 or 2 threads
 * (tests/core/nn/check_nn.c checks it). */
#include <math.h>
#include <string.h>
#include <cblas.h>

#include "nn/nn_internal.h"

#define NB 32 /* panel width of the blocked update */

/* dot product with four fixed partial sums */
static double dot(const double *restrict a, const double *restrict b, int n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static void axpy(double *restrict y, const double *restrict x, double a, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* apply H = I - tau v v^T (v[0] = 1 implied, v[1..n) stored) to y[0..n) */
static void reflect(double *restrict y, const double *restrict v, double tau, int n)
{
    if (tau == 0.0)
        return;
    double w = y[0] + dot(v + 1, y + 1, n - 1);
    y[0] -= tau * w;
    axpy(y + 1, v + 1, -tau * w, n - 1);
}

/* the panel's reflectors as explicit rows: vt (nb, len), row p = reflector
 * j0+p restricted to rows j0.. of the matrix (zeros above its diagonal) */
static void panel_vectors(const double *at, int m, int j0, int nb, double *vt)
{
    int len = m - j0;
    for (int p = 0; p < nb; p++) {
        double *row = vt + (size_t)p * len;
        memset(row, 0, sizeof(double) * p);
        row[p] = 1.0;
        memcpy(row + p + 1, at + (size_t)(j0 + p) * m + j0 + p + 1,
               sizeof(double) * (len - p - 1));
    }
}

/* T (nb, nb) upper triangular with H_0 ... H_{nb-1} = I - V T V^T (LAPACK dlarft,
 * forward, columnwise) */
static void panel_t(const double *vt, int len, int nb, const double *tau, double *t)
{
    memset(t, 0, sizeof(double) * nb * nb);
    for (int i = 0; i < nb; i++) {
        t[i * nb + i] = tau[i];
        /* t[0..i, i] = -tau_i T[0..i,0..i] V[:,0..i]^T v_i */
        double tmp[NB];
        for (int p = 0; p < i; p++)
            tmp[p] = -tau[i] * dot(vt + (size_t)p * len + i, vt + (size_t)i * len + i, len - i);
        for (int r = 0; r < i; r++) {
            double s = 0;
            for (int p = r; p < i; p++)
                s += t[r * nb + p] * tmp[p];
            t[r * nb + i] = s;
        }
    }
}

/* rows y_c (c < count, stride ld, each the column of the matrix from row j0)
 * <- (I - V T' V^T) y_c with T' = T^T (apply_q FALSE: apply H_{nb-1}..H_0,
 * i.e. Q^T) or T' = T (apply_q TRUE: Q = H_0..H_{nb-1}); three dgemms with
 * workspaces w, u of (count, nb) */
static void panel_apply(double *y, size_t ld, int count, const double *vt, int len, int nb,
                        const double *t, gboolean apply_q, double *w, double *u)
{
    /* W = Y V, U = W T' ^T, Y -= U V^T (rows are the vectors) */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, count, nb, len, 1.0, y, (int)ld, vt, len,
                0.0, w, nb);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, apply_q ? CblasTrans : CblasNoTrans, count, nb, nb,
                1.0, w, nb, t, nb, 0.0, u, nb);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, count, len, nb, -1.0, u, nb, vt, len,
                1.0, y, (int)ld);
}

void prefrl_nn_orthogonal(float *w, int rows, int cols, float gain, PrefrlRng *rng)
{
    const int m = MAX(rows, cols), k = MIN(rows, cols);
    /* at: the tall (m, k) matrix A stored by columns, at[j*m + i] = A[i][j] */
    double *at = g_new(double, (size_t)k * m);
    double *qt = g_new0(double, (size_t)k * m);
    double *tau = g_new(double, k);
    double *rdiag = g_new(double, k);
    double *vt = g_new(double, (size_t)NB * m);
    double *wk = g_new(double, (size_t)2 * NB * k);
    double t[NB * NB];

    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            double g = prefrl_rng_normal(rng);
            if (rows >= cols)
                at[(size_t)c * m + r] = g;
            else
                at[(size_t)r * m + c] = g;
        }
    }

    /* factor panel by panel: unblocked inside, compact-WY on the rest */
    for (int j0 = 0; j0 < k; j0 += NB) {
        int nb = MIN(NB, k - j0);
        for (int j = j0; j < j0 + nb; j++) {
            double *x = at + (size_t)j * m + j;
            int len = m - j;
            double alpha = x[0];
            double xnorm = sqrt(dot(x + 1, x + 1, len - 1));
            if (xnorm == 0.0) {
                tau[j] = 0.0;
                rdiag[j] = alpha;
            } else {
                double beta = -copysign(hypot(alpha, xnorm), alpha);
                tau[j] = (beta - alpha) / beta;
                double s = 1.0 / (alpha - beta);
                for (int i = 1; i < len; i++)
                    x[i] *= s;
                x[0] = beta;
                rdiag[j] = beta;
            }
            for (int c = j + 1; c < j0 + nb; c++)
                reflect(at + (size_t)c * m + j, x, tau[j], len);
        }
        if (j0 + nb < k) {
            int len = m - j0;
            panel_vectors(at, m, j0, nb, vt);
            panel_t(vt, len, nb, tau + j0, t);
            panel_apply(at + (size_t)(j0 + nb) * m + j0, m, k - j0 - nb, vt, len, nb, t, FALSE, wk,
                        wk + (size_t)NB * k);
        }
    }

    /* Q = H_0 ... H_{k-1} [I; 0], accumulated backwards panel by panel */
    for (int j = 0; j < k; j++)
        qt[(size_t)j * m + j] = 1.0;
    int last = (k - 1) / NB * NB;
    for (int j0 = last; j0 >= 0; j0 -= NB) {
        int nb = MIN(NB, k - j0);
        int len = m - j0;
        panel_vectors(at, m, j0, nb, vt);
        panel_t(vt, len, nb, tau + j0, t);
        /* columns before j0 are still unit vectors with zeros from row j0 on */
        panel_apply(qt + (size_t)j0 * m + j0, m, k - j0, vt, len, nb, t, TRUE, wk, wk + (size_t)NB * k);
    }

    /* sign fix and gain; W = Q (rows >= cols) or Q^T */
    for (int j = 0; j < k; j++) {
        double s = rdiag[j] < 0.0 ? -gain : gain;
        const double *q = qt + (size_t)j * m;
        for (int i = 0; i < m; i++) {
            float v = (float)(s * q[i]);
            if (rows >= cols)
                w[(size_t)i * cols + j] = v;
            else
                w[(size_t)j * cols + i] = v;
        }
    }
    g_free(at);
    g_free(qt);
    g_free(tau);
    g_free(rdiag);
    g_free(vt);
    g_free(wk);
}
