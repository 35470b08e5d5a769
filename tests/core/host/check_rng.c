/* Seeded streams: reproducible, independent across names and seeds, and
 * distributed as documented. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <prefrl/rng.h>
#include "check_suites.h"

START_TEST(test_reproducible)
{
    PrefrlRng a, b;
    prefrl_rng_init(&a, 42, "agent");
    prefrl_rng_init(&b, 42, "agent");
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(prefrl_rng_u64(&a), prefrl_rng_u64(&b));
    /* a copy continues the same sequence (resume) */
    PrefrlRng c = a;
    for (int i = 0; i < 100; i++)
        ck_assert(prefrl_rng_normal(&a) == prefrl_rng_normal(&c));
}
END_TEST

/* fraction of equal bits between two streams: about 1/2 when independent */
static double bit_agreement(PrefrlRng *a, PrefrlRng *b, int n)
{
    long same = 0;
    for (int i = 0; i < n; i++)
        same += 64 - __builtin_popcountll(prefrl_rng_u64(a) ^ prefrl_rng_u64(b));
    return (double)same / (64.0 * n);
}

START_TEST(test_independent)
{
    PrefrlRng a, b, c, d;
    prefrl_rng_init(&a, 42, "agent");
    prefrl_rng_init(&b, 42, "reward");
    prefrl_rng_init(&c, 43, "agent");
    prefrl_rng_init(&d, 42, "agent");
    prefrl_rng_derive(&d, "child", &d);
    ck_assert(fabs(bit_agreement(&a, &b, 20000) - 0.5) < 0.01);
    prefrl_rng_init(&a, 42, "agent");
    ck_assert(fabs(bit_agreement(&a, &c, 20000) - 0.5) < 0.01);
    prefrl_rng_init(&a, 42, "agent");
    ck_assert(fabs(bit_agreement(&a, &d, 20000) - 0.5) < 0.01);
    /* correlation of uniforms across streams */
    prefrl_rng_init(&a, 1, "x");
    prefrl_rng_init(&b, 1, "y");
    double sab = 0;
    int n = 100000;
    for (int i = 0; i < n; i++)
        sab += (prefrl_rng_uniform(&a) - 0.5) * (prefrl_rng_uniform(&b) - 0.5);
    ck_assert(fabs(sab / n * 12.0) < 0.02);
}
END_TEST

START_TEST(test_distributions)
{
    PrefrlRng r;
    prefrl_rng_init(&r, 7, "dist");
    int n = 200000;
    double s = 0, s2 = 0, u = 0, umin = 1, umax = 0;
    for (int i = 0; i < n; i++) {
        double x = prefrl_rng_normal(&r);
        s += x;
        s2 += x * x;
        double v = prefrl_rng_uniform(&r);
        ck_assert(v >= 0.0 && v < 1.0);
        u += v;
        umin = fmin(umin, v);
        umax = fmax(umax, v);
    }
    ck_assert(fabs(s / n) < 0.01);
    ck_assert(fabs(s2 / n - 1.0) < 0.02);
    ck_assert(fabs(u / n - 0.5) < 0.005);
    ck_assert(umin < 0.001 && umax > 0.999);
    /* below(n) covers 0..n-1 evenly */
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++)
        counts[prefrl_rng_below(&r, 7)]++;
    for (int i = 0; i < 7; i++)
        ck_assert(abs(counts[i] - 10000) < 500);
    /* a permutation holds every index once */
    size_t perm[100];
    int seen[100] = {0};
    prefrl_rng_permutation(&r, perm, 100);
    for (int i = 0; i < 100; i++)
        seen[perm[i]]++;
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
}
END_TEST

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_reproducible);
    tcase_add_test(tc, test_independent);
    tcase_add_test(tc, test_distributions);
    suite_add_tcase(s, tc);
    return s;
}
