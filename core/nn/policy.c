/* The SAC policy distribution (docs/agents.md, SAC): a diagonal Gaussian over
 * pre-squash actions u, squashed by tanh.
 *   actor output (B, 2A) = mu || raw,  log sigma = lo + (hi - lo)/2 (tanh(raw) + 1)
 *   u = mu + sigma * eps,  a = tanh(u)
 *   log pi(a) = sum_i [ -eps_i^2/2 - log sigma_i - ln(2 pi)/2 - 2 (ln 2 - u_i - softplus(-2 u_i)) ]
 * The last bracket is log(1 - tanh(u)^2) in a form that does not cancel for
 * large |u|.  Its derivative is d/du = -2 tanh(u), so dlogpi/du = 2a, and
 * (reparameterised, eps fixed) dlogpi/dlog sigma = -1 + (dlogpi/du) sigma eps. */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

struct PrefrlTanhGaussian {
    int A, max_batch, batch;
    float lo, hi;
    float *action;   /* (B, A) tanh(u) of the last sample */
    float *sigma;    /* (B, A) */
    float *eps;      /* (B, A) copy of the noise */
    float *tanh_raw; /* (B, A) tanh of the raw log-std output */
    float *log_prob; /* (B) */
    float *block;
};

PrefrlTanhGaussian *prefrl_tanh_gaussian_new(int A, int max_batch, float log_std_lo,
                                             float log_std_hi, GError **error)
{
    if (A < 1 || max_batch < 1 || !(log_std_lo < log_std_hi) || !isfinite(log_std_lo) ||
        !isfinite(log_std_hi) || (size_t)max_batch > SIZE_MAX / 32 / (size_t)A) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "squashed Gaussian needs A >= 1, max batch >= 1 and finite log-std bounds "
                    "lo < hi (got A %d, batch %d, [%g, %g])",
                    A, max_batch, log_std_lo, log_std_hi);
        return NULL;
    }
    PrefrlTanhGaussian *g = g_new0(PrefrlTanhGaussian, 1);
    g->A = A;
    g->max_batch = max_batch;
    g->lo = log_std_lo;
    g->hi = log_std_hi;
    size_t ba = (size_t)max_batch * A;
    g->block = g_new0(float, 4 * ba + max_batch);
    g->action = g->block;
    g->sigma = g->action + ba;
    g->eps = g->sigma + ba;
    g->tanh_raw = g->eps + ba;
    g->log_prob = g->tanh_raw + ba;
    return g;
}

void prefrl_tanh_gaussian_free(PrefrlTanhGaussian *g)
{
    if (!g)
        return;
    g_free(g->block);
    g_free(g);
}

/* softplus(x) = log(1 + e^x) without overflow */
static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

void prefrl_tanh_gaussian_sample(PrefrlTanhGaussian *g, const float *out, const float *eps, int B,
                                 float *action, float *log_prob)
{
    g_return_if_fail(B >= 1 && B <= g->max_batch);
    const int A = g->A;
    const double half_range = 0.5 * ((double)g->hi - g->lo);
    const double half_log_2pi = 0.5 * log(2.0 * G_PI);
    for (int b = 0; b < B; b++) {
        const float *mu = out + (size_t)b * 2 * A;
        const float *raw = mu + A;
        double lp = 0.0;
        for (int i = 0; i < A; i++) {
            size_t k = (size_t)b * A + i;
            float tr = tanhf(raw[i]);
            float log_std = (float)(g->lo + half_range * ((double)tr + 1.0));
            float sigma = expf(log_std);
            float e = eps[k];
            float u = mu[i] + sigma * e;
            float a = tanhf(u);
            lp += -0.5 * (double)e * e - log_std - half_log_2pi -
                  2.0 * (G_LN2 - (double)u - softplus(-2.0 * (double)u));
            g->tanh_raw[k] = tr;
            g->sigma[k] = sigma;
            g->eps[k] = e;
            g->action[k] = a;
        }
        g->log_prob[b] = (float)lp;
    }
    g->batch = B;
    if (action)
        memcpy(action, g->action, sizeof(float) * (size_t)B * A);
    if (log_prob)
        memcpy(log_prob, g->log_prob, sizeof(float) * B);
}

void prefrl_tanh_gaussian_backward(PrefrlTanhGaussian *g, const float *d_action,
                                   const float *d_log_prob, float *d_out)
{
    const int A = g->A, B = g->batch;
    g_return_if_fail(B >= 1);
    const float half_range = 0.5f * (g->hi - g->lo);
    for (int b = 0; b < B; b++) {
        float dlp = d_log_prob ? d_log_prob[b] : 0.0f;
        float *d_mu = d_out + (size_t)b * 2 * A;
        float *d_raw = d_mu + A;
        for (int i = 0; i < A; i++) {
            size_t k = (size_t)b * A + i;
            float a = g->action[k];
            float da = d_action ? d_action[k] : 0.0f;
            float du = da * (1.0f - a * a) + dlp * 2.0f * a;
            float dlog_std = du * g->sigma[k] * g->eps[k] - dlp;
            float tr = g->tanh_raw[k];
            d_mu[i] = du;
            d_raw[i] = dlog_std * half_range * (1.0f - tr * tr);
        }
    }
}

void prefrl_tanh_gaussian_mode(const PrefrlTanhGaussian *g, const float *out, int B,
                               float *action)
{
    const int A = g->A;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < A; i++)
            action[(size_t)b * A + i] = tanhf(out[(size_t)b * 2 * A + i]);
}

double prefrl_tanh_gaussian_entropy(const PrefrlTanhGaussian *g)
{
    if (g->batch < 1)
        return 0.0;
    double s = 0.0;
    for (int b = 0; b < g->batch; b++)
        s += g->log_prob[b];
    return -s / g->batch;
}

const float *prefrl_tanh_gaussian_std(const PrefrlTanhGaussian *g) { return g->sigma; }

const float *prefrl_tanh_gaussian_log_prob(const PrefrlTanhGaussian *g) { return g->log_prob; }

int prefrl_tanh_gaussian_dim(const PrefrlTanhGaussian *g) { return g->A; }
