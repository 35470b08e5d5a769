/* Losses with their gradients: mean-squared error (SAC critics) and the
 * Bradley-Terry cross-entropy over two logits per segment pair (paper eq.
 * 1-2; B-Pref's train_reward / train_soft_reward), computed with
 * log-sum-exp in double so large logit gaps neither overflow nor lose the
 * gradient. */
#include <math.h>

#include "nn/nn_internal.h"

double prefrl_loss_mse(const float *pred, const float *target, size_t n, float *dpred)
{
    g_return_val_if_fail(n > 0, 0.0);
    double s = 0.0;
    const double scale = 2.0 / (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i];
        s += d * d;
        if (dpred)
            dpred[i] = (float)(scale * d);
    }
    return s / (double)n;
}

double prefrl_loss_bt(const float *z1, const float *z2, const int *labels, size_t n, float margin,
                      float *dz1, float *dz2)
{
    g_return_val_if_fail(n > 0, 0.0);
    for (size_t i = 0; i < n; i++)
        g_return_val_if_fail(labels[i] >= -1 && labels[i] <= 1, NAN);
    double total = 0.0;
    const double inv_n = 1.0 / (double)n;
    for (size_t i = 0; i < n; i++) {
        double t1, t2;
        if (labels[i] < 0) {
            t1 = t2 = 0.5;
        } else {
            t2 = labels[i] == 1 ? 1.0 - margin : (double)margin;
            t1 = 1.0 - t2;
        }
        double a = z1[i], b = z2[i];
        double mx = a > b ? a : b;
        double lse = mx + log(exp(a - mx) + exp(b - mx));
        double lp1 = a - lse, lp2 = b - lse;
        total -= t1 * lp1 + t2 * lp2;
        if (dz1)
            dz1[i] = (float)((exp(lp1) - t1) * inv_n);
        if (dz2)
            dz2[i] = (float)((exp(lp2) - t2) * inv_n);
    }
    return total * inv_n;
}

double prefrl_bt_accuracy(const float *z1, const float *z2, const int *labels, size_t n)
{
    if (n == 0)
        return 0.0;
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) {
        int pred = z2[i] > z1[i] ? 1 : 0;
        hit += pred == labels[i];
    }
    return (double)hit / (double)n;
}
