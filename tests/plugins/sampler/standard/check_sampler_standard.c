/* The query samplers (plugins/sampler/standard) on constructed cases whose
 * answer is known: uniform subsets, disagreement = population std of the
 * members' P, entropy = mean of the members' binary entropies, greedy
 * k-center from the labelled centres, and the combined samplers' ½·mb·L
 * pre-filter. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>
#include "host/registry.h"
#include "ckpt_test.h"
#include "check_run.h"

static PrefrlInstance *make(const char *name, uint64_t seed, const char *const *overrides)
{
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_SAMPLER,
                                               name, overrides, seed, NULL, &err);
    ck_assert_msg(inst != NULL, "sampler %s: %s", name, err ? err->message : "?");
    return inst;
}

static const PrefrlSamplerOps *ops_of(const PrefrlInstance *inst)
{
    return inst->component->ops;
}

static gboolean run_select(PrefrlInstance *inst, const PrefrlCandidates *c, int mb, int *chosen,
                           GError **err)
{
    return ops_of(inst)->select(inst->self, c, mb, chosen, err);
}

/* candidates with no segments, only member probabilities (K, n) */
static PrefrlCandidates probs_only(int n, int K, const float *probs)
{
    PrefrlCandidates c = {.n = n, .H = 1, .obs_dim = 1, .act_dim = 0, .K = K, .probs = probs};
    return c;
}

/* ---- n_candidates -------------------------------------------------------- */

START_TEST(test_n_candidates)
{
    static const char *const names[] = {"disagreement", "entropy", "kcenter",
                                        "kcenter_disagreement", "kcenter_entropy"};
    PrefrlInstance *u = make("uniform", 1, NULL);
    ck_assert_int_eq(ops_of(u)->n_candidates(u->self, 10), 10);
    ck_assert_int_eq(ops_of(u)->n_candidates(u->self, 3), 3);
    prefrl_instance_free(u);
    for (int i = 0; i < 5; i++) {
        PrefrlInstance *s = make(names[i], 1, NULL);
        ck_assert_int_eq(ops_of(s)->n_candidates(s->self, 10), 100);
        ck_assert_int_eq(ops_of(s)->n_candidates(s->self, 7), 70);
        prefrl_instance_free(s);
        const char *const ov[] = {"large_batch=4", NULL};
        s = make(names[i], 1, ov);
        ck_assert_int_eq(ops_of(s)->n_candidates(s->self, 5), 20);
        prefrl_instance_free(s);
    }
}
END_TEST

/* ---- uniform ------------------------------------------------------------- */

START_TEST(test_uniform_distinct_deterministic)
{
    PrefrlCandidates c = probs_only(50, 0, NULL);
    int a[7], b[7], d[7];
    PrefrlInstance *s1 = make("uniform", 42, NULL), *s2 = make("uniform", 42, NULL),
                   *s3 = make("uniform", 43, NULL);
    GError *err = NULL;
    gboolean differs = FALSE;
    for (int round = 0; round < 20; round++) {
        ck_assert(run_select(s1, &c, 7, a, &err));
        ck_assert(run_select(s2, &c, 7, b, &err));
        ck_assert(run_select(s3, &c, 7, d, &err));
        for (int i = 0; i < 7; i++) {
            ck_assert_int_ge(a[i], 0);
            ck_assert_int_lt(a[i], 50);
            for (int j = 0; j < i; j++)
                ck_assert_int_ne(a[i], a[j]);
            ck_assert_int_eq(a[i], b[i]);
            differs |= a[i] != d[i];
        }
    }
    ck_assert_msg(differs, "another seed must give other subsets");
    /* mb == n: every candidate, in the trainer's draw order */
    c.n = 7;
    ck_assert(run_select(s1, &c, 7, a, &err));
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(a[i], i);
    prefrl_instance_free(s1);
    prefrl_instance_free(s2);
    prefrl_instance_free(s3);
}
END_TEST

/* every candidate equally likely: 5 of 20 over 4000 rounds, each index
 * expected 1000 times (sd ≈ 27) */
START_TEST(test_uniform_is_uniform)
{
    PrefrlCandidates c = probs_only(20, 0, NULL);
    PrefrlInstance *s = make("uniform", 7, NULL);
    int count[20] = {0}, chosen[5];
    for (int round = 0; round < 4000; round++) {
        ck_assert(run_select(s, &c, 5, chosen, NULL));
        for (int i = 0; i < 5; i++)
            count[chosen[i]]++;
    }
    for (int i = 0; i < 20; i++)
        ck_assert_msg(abs(count[i] - 1000) < 140, "index %d chosen %d times", i, count[i]);
    prefrl_instance_free(s);
}
END_TEST

START_TEST(test_uniform_save_load)
{
    PrefrlCandidates c = probs_only(30, 0, NULL);
    PrefrlInstance *s = make("uniform", 3, NULL);
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "sampler.bin", NULL);
    char *bad = g_build_filename(dir, "bad.bin", NULL);
    GError *err = NULL;
    ck_assert(ckpt_test_save(s->component, s->self, path, NULL));
    int a[4], b[4];
    ck_assert(run_select(s, &c, 4, a, NULL));
    ck_assert_msg(ckpt_test_load(s->component, s->self, path, &err), "%s",
                  err ? err->message : "");
    ck_assert(run_select(s, &c, 4, b, NULL));
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(a[i], b[i]);
    /* garbage, a damaged or truncated state and another sampler's are
     * refused naming the file, and leave the stream as it was */
    ck_assert(ckpt_test_load(s->component, s->self, path, NULL));
    ckpt_test_write(bad, "garbage!garbage!", 16);
    ck_assert(!ckpt_test_load(s->component, s->self, bad, &err));
    ckpt_test_refused(&err, bad, "checksum mismatch");
    gsize size;
    char *bytes = ckpt_test_read(path, &size);
    ckpt_test_write(bad, bytes, size - 1);
    ck_assert(!ckpt_test_load(s->component, s->self, bad, &err));
    ckpt_test_refused(&err, bad, "truncated");
    PrefrlInstance *e = make("entropy", 3, NULL);
    ck_assert(ckpt_test_save(e->component, e->self, bad, NULL));
    ck_assert(!ckpt_test_load(s->component, s->self, bad, &err));
    ckpt_test_refused(&err, bad, "holds sampler/entropy version 2 where sampler/uniform");
    ck_assert(run_select(s, &c, 4, b, NULL));
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(a[i], b[i]);
    prefrl_instance_free(e);
    g_free(bytes);
    g_free(bad);
    g_free(path);
    ckpt_test_rmdir(dir);
    prefrl_instance_free(s);
}
END_TEST

/* ---- disagreement and entropy --------------------------------------------- */

/* 3 members, 8 candidates: candidate j's members are 0.5 − d_j, 0.5, 0.5 + d_j
 * (population std d_j·√(2/3)), plus a certain pair and a split pair */
START_TEST(test_disagreement_picks_largest_std)
{
    enum { K = 3, N = 8 };
    static const double d[N] = {0.05, 0.30, 0.00, 0.45, 0.10, 0.20, 0.40, 0.15};
    float probs[K * N];
    for (int j = 0; j < N; j++) {
        probs[0 * N + j] = (float)(0.5 - d[j]);
        probs[1 * N + j] = 0.5f;
        probs[2 * N + j] = (float)(0.5 + d[j]);
    }
    PrefrlCandidates c = probs_only(N, K, probs);
    PrefrlInstance *s = make("disagreement", 1, NULL);
    int chosen[3];
    GError *err = NULL;
    ck_assert_msg(run_select(s, &c, 3, chosen, &err), "%s", err ? err->message : "");
    /* largest std first: 0.45 (3), 0.40 (6), 0.30 (1) */
    ck_assert_int_eq(chosen[0], 3);
    ck_assert_int_eq(chosen[1], 6);
    ck_assert_int_eq(chosen[2], 1);

    /* unanimous uncertainty (all 0.5) has no disagreement; a split ensemble has */
    float p2[2 * 2] = {0.5f, 0.02f, /* member 0: candidates 0, 1 */
                       0.5f, 0.98f};
    PrefrlCandidates c2 = probs_only(2, 2, p2);
    ck_assert(run_select(s, &c2, 1, chosen, NULL));
    ck_assert_int_eq(chosen[0], 1);

    /* it is the std, not the spread: {0, 0.5, 1} has std 0.408 (range 1),
     * {0.05, 0.95, 0.95} has std 0.424 (range 0.9) */
    float p3[3 * 2] = {0.0f, 0.05f, 0.5f, 0.95f, 1.0f, 0.95f};
    PrefrlCandidates c3 = probs_only(2, 3, p3);
    ck_assert(run_select(s, &c3, 1, chosen, NULL));
    ck_assert_int_eq(chosen[0], 1);
    prefrl_instance_free(s);
}
END_TEST

START_TEST(test_entropy_picks_largest_mean_entropy)
{
    /* members' P for 4 candidates (K = 2):
     *   0: 0.01, 0.99 → mean entropy H(0.01) = 0.056 (entropy of the mean: ln 2)
     *   1: 0.30, 0.30 → 0.611
     *   2: 0.50, 0.45 → (0.693 + 0.688)/2 = 0.690
     *   3: 0.90, 0.95 → (0.325 + 0.199)/2 = 0.262 */
    float probs[2 * 4] = {0.01f, 0.30f, 0.50f, 0.90f, 0.99f, 0.30f, 0.45f, 0.95f};
    PrefrlCandidates c = probs_only(4, 2, probs);
    PrefrlInstance *s = make("entropy", 1, NULL);
    int chosen[3];
    GError *err = NULL;
    ck_assert_msg(run_select(s, &c, 3, chosen, &err), "%s", err ? err->message : "");
    ck_assert_int_eq(chosen[0], 2);
    ck_assert_int_eq(chosen[1], 1);
    ck_assert_int_eq(chosen[2], 3);
    prefrl_instance_free(s);

    /* the same split pair is what disagreement wants most */
    s = make("disagreement", 1, NULL);
    ck_assert(run_select(s, &c, 1, chosen, NULL));
    ck_assert_int_eq(chosen[0], 0);
    prefrl_instance_free(s);
}
END_TEST

START_TEST(test_scored_errors)
{
    PrefrlInstance *s = make("entropy", 1, NULL);
    int chosen[4];
    GError *err = NULL;
    /* no ensemble members */
    PrefrlCandidates c = probs_only(4, 0, NULL);
    ck_assert(!run_select(s, &c, 2, chosen, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    ck_assert_ptr_nonnull(strstr(err->message, "ensemble"));
    g_clear_error(&err);
    /* more queries than candidates */
    float probs[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    c = probs_only(4, 1, probs);
    ck_assert(!run_select(s, &c, 5, chosen, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    g_clear_error(&err);
    /* a NaN probability */
    probs[2] = NAN;
    ck_assert(!run_select(s, &c, 2, chosen, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_NUMERIC));
    g_clear_error(&err);
    prefrl_instance_free(s);
}
END_TEST

/* ---- k-center ------------------------------------------------------------ */

/* segments of H steps, obs_dim 1, act_dim 1: seg1's observation is x at every
 * step, seg2's is y; the action is junk that must not count */
enum { LH = 2, LROW = 2 };

static void fill_pair(float *seg1, float *seg2, int i, double x, double y, float junk)
{
    for (int t = 0; t < LH; t++) {
        seg1[((size_t)i * LH + t) * LROW + 0] = (float)x;
        seg1[((size_t)i * LH + t) * LROW + 1] = junk * (float)(i + 1);
        seg2[((size_t)i * LH + t) * LROW + 0] = (float)y;
        seg2[((size_t)i * LH + t) * LROW + 1] = -junk * (float)(t + 3);
    }
}

START_TEST(test_kcenter_on_a_line)
{
    /* labelled centres at 0 and 10 (ring capacity 4, 2 valid rows; the
     * invalid rows hold a point at 1000 that must be ignored) */
    float l1[4 * LH * LROW], l2[4 * LH * LROW];
    int lab[4] = {0, 1, 0, 0};
    fill_pair(l1, l2, 0, 0, 0, 0);
    fill_pair(l1, l2, 1, 10, 0, 0);
    fill_pair(l1, l2, 2, 1000, 0, 0);
    fill_pair(l1, l2, 3, 1000, 0, 0);
    PrefrlPrefs prefs = {.count = 2, .capacity = 4, .next = 2, .total = 2, .H = LH,
                         .obs_dim = 1, .act_dim = 1, .seg1 = l1, .seg2 = l2, .labels = lab};
    /* candidates at 1, 4, 5.5, 9, 13.5, 20, −3: distance to {0, 10} is
     * 1, 4, 4.5, 1, 3.5, 10, 3 → 20 first; then 5.5 (4.5); then 13.5 (3.5,
     * from 10); then −3 (3); then 4 (1.5, from 5.5) */
    static const double x[7] = {1, 4, 5.5, 9, 13.5, 20, -3};
    float s1[7 * LH * LROW], s2[7 * LH * LROW];
    for (int i = 0; i < 7; i++)
        fill_pair(s1, s2, i, x[i], 0, 100.0f);
    PrefrlCandidates c = {.n = 7, .H = LH, .obs_dim = 1, .act_dim = 1, .seg1 = s1, .seg2 = s2,
                          .K = 0, .probs = NULL, .labelled = &prefs};
    PrefrlInstance *s = make("kcenter", 1, NULL);
    int chosen[5];
    GError *err = NULL;
    ck_assert_msg(run_select(s, &c, 5, chosen, &err), "%s", err ? err->message : "");
    static const int want[5] = {5, 2, 4, 6, 1};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(chosen[i], want[i]);

    /* seg2's observations count as much as seg1's: move the pairs along y */
    for (int i = 0; i < 7; i++)
        fill_pair(s1, s2, i, 0, x[i], -50.0f);
    fill_pair(l1, l2, 1, 0, 10, 0);
    ck_assert(run_select(s, &c, 5, chosen, NULL));
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(chosen[i], want[i]);

    /* no labelled pair yet: start from the first candidate, then the farthest */
    prefs.count = 0;
    ck_assert(run_select(s, &c, 3, chosen, NULL));
    ck_assert_int_eq(chosen[0], 0); /* at 1 */
    ck_assert_int_eq(chosen[1], 5); /* 20: 19 away */
    ck_assert_int_eq(chosen[2], 3); /* 9: 8 from 1 and 11 from 20 */

    /* segments of another shape cannot be compared */
    prefs.count = 2;
    prefs.H = 3;
    ck_assert(!run_select(s, &c, 2, chosen, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    g_clear_error(&err);
    prefrl_instance_free(s);
}
END_TEST

/* more centres than one block and random features: each pick must be the
 * remaining candidate farthest from centres ∪ picks (computed directly) */
START_TEST(test_kcenter_matches_direct_greedy)
{
    enum { H = 5, DS = 7, DA = 2, ROW = DS + DA, N = 60, MB = 8, CAP = 700, CNT = 613 };
    const size_t seg = (size_t)H * ROW, D = (size_t)2 * H * DS;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 11, "test");
    float *l1 = g_new(float, CAP * seg), *l2 = g_new(float, CAP * seg);
    float *s1 = g_new(float, N * seg), *s2 = g_new(float, N * seg);
    prefrl_rng_normal_fill(&rng, l1, CAP * seg);
    prefrl_rng_normal_fill(&rng, l2, CAP * seg);
    prefrl_rng_normal_fill(&rng, s1, N * seg);
    prefrl_rng_normal_fill(&rng, s2, N * seg);
    for (size_t i = 0; i < N * seg; i++) { /* spread the candidates wider than the centres */
        s1[i] *= 1.5f;
        s2[i] += 0.5f;
    }
    int *lab = g_new0(int, CAP);
    PrefrlPrefs prefs = {.count = CNT, .capacity = CAP, .next = CNT, .total = CNT, .H = H,
                         .obs_dim = DS, .act_dim = DA, .seg1 = l1, .seg2 = l2, .labels = lab};
    PrefrlCandidates c = {.n = N, .H = H, .obs_dim = DS, .act_dim = DA, .seg1 = s1, .seg2 = s2,
                          .labelled = &prefs};
    PrefrlInstance *s = make("kcenter", 1, NULL);
    int chosen[MB];
    GError *err = NULL;
    ck_assert_msg(run_select(s, &c, MB, chosen, &err), "%s", err ? err->message : "");

    /* direct features and distances in double */
    double *fc = g_new(double, N * D), *fl = g_new(double, CNT * D);
    for (int i = 0; i < N + CNT; i++) {
        const float *a = i < N ? s1 + i * seg : l1 + (i - N) * seg;
        const float *b = i < N ? s2 + i * seg : l2 + (i - N) * seg;
        double *f = i < N ? fc + i * D : fl + (size_t)(i - N) * D;
        for (int t = 0; t < H; t++)
            for (int k = 0; k < DS; k++) {
                f[t * DS + k] = a[t * ROW + k];
                f[H * DS + t * DS + k] = b[t * ROW + k];
            }
    }
    double mind[N];
    gboolean taken[N] = {0};
    for (int i = 0; i < N; i++) {
        mind[i] = INFINITY;
        for (int j = 0; j < CNT; j++) {
            double d2 = 0;
            for (size_t k = 0; k < D; k++)
                d2 += (fc[i * D + k] - fl[j * D + k]) * (fc[i * D + k] - fl[j * D + k]);
            mind[i] = MIN(mind[i], d2);
        }
    }
    for (int t = 0; t < MB; t++) {
        double best = -1;
        for (int i = 0; i < N; i++)
            if (!taken[i])
                best = MAX(best, mind[i]);
        int p = chosen[t];
        ck_assert(!taken[p]);
        ck_assert_msg(mind[p] >= best * (1 - 1e-5), "pick %d: candidate %d at %g, best %g", t,
                      p, mind[p], best);
        taken[p] = TRUE;
        for (int i = 0; i < N; i++) {
            double d2 = 0;
            for (size_t k = 0; k < D; k++)
                d2 += (fc[i * D + k] - fc[p * D + k]) * (fc[i * D + k] - fc[p * D + k]);
            mind[i] = MIN(mind[i], d2);
        }
    }
    g_free(fc);
    g_free(fl);
    g_free(l1);
    g_free(l2);
    g_free(s1);
    g_free(s2);
    g_free(lab);
    prefrl_instance_free(s);
}
END_TEST

/* mb = 2, L = 4: 8 candidates, the best 4 by score survive, k-center picks 2.
 * The farthest candidate (at 100) scores low and must not be picked; among the
 * survivors k-center's order differs from the score order. */
static void check_combined(const char *name, const float *probs, int K)
{
    float l1[1 * LH * LROW], l2[1 * LH * LROW];
    int lab[1] = {1};
    fill_pair(l1, l2, 0, 0, 0, 0);
    PrefrlPrefs prefs = {.count = 1, .capacity = 1, .next = 0, .total = 1, .H = LH,
                         .obs_dim = 1, .act_dim = 1, .seg1 = l1, .seg2 = l2, .labels = lab};
    /* positions; scores (descending) rank candidates 3, 0, 6, 1 | 2, 4, 5, 7 */
    static const double x[8] = {2, 9, 100, 1, -50, 60, 5, 80};
    float s1[8 * LH * LROW], s2[8 * LH * LROW];
    for (int i = 0; i < 8; i++)
        fill_pair(s1, s2, i, x[i], 0, 1.0f);
    PrefrlCandidates c = {.n = 8, .H = LH, .obs_dim = 1, .act_dim = 1, .seg1 = s1, .seg2 = s2,
                          .K = K, .probs = probs, .labelled = &prefs};
    const char *const ov[] = {"large_batch=4", NULL};
    PrefrlInstance *s = make(name, 1, ov);
    ck_assert_int_eq(ops_of(s)->n_candidates(s->self, 2), 8);
    int chosen[2];
    GError *err = NULL;
    ck_assert_msg(run_select(s, &c, 2, chosen, &err), "%s: %s", name, err ? err->message : "");
    /* survivors at 1, 2, 5, 9 around the centre 0: 9 (candidate 1) first; then
     * the distances to {0, 9} are 1, 2, 4 → 5 (candidate 6) */
    ck_assert_int_eq(chosen[0], 1);
    ck_assert_int_eq(chosen[1], 6);
    prefrl_instance_free(s);
}

START_TEST(test_kcenter_disagreement)
{
    /* K = 2; std of {0.5 − a, 0.5 + a} is a: a = .40 .30 .05 .45 .02 .01 .35 .03 */
    static const double a[8] = {0.40, 0.30, 0.05, 0.45, 0.02, 0.01, 0.35, 0.03};
    float probs[2 * 8];
    for (int j = 0; j < 8; j++) {
        probs[j] = (float)(0.5 - a[j]);
        probs[8 + j] = (float)(0.5 + a[j]);
    }
    check_combined("kcenter_disagreement", probs, 2);
}
END_TEST

START_TEST(test_kcenter_entropy)
{
    /* K = 1; entropy grows as P nears 0.5: survivors 3, 0, 6, 1 */
    static const float p[8] = {0.45f, 0.35f, 0.02f, 0.5f, 0.05f, 0.01f, 0.40f, 0.03f};
    check_combined("kcenter_entropy", p, 1);
}
END_TEST

static Suite *sampler_suite(void)
{
    Suite *s = suite_create("samplers");
    TCase *tc = tcase_create("standard");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_n_candidates);
    tcase_add_test(tc, test_uniform_distinct_deterministic);
    tcase_add_test(tc, test_uniform_is_uniform);
    tcase_add_test(tc, test_uniform_save_load);
    tcase_add_test(tc, test_disagreement_picks_largest_std);
    tcase_add_test(tc, test_entropy_picks_largest_mean_entropy);
    tcase_add_test(tc, test_scored_errors);
    tcase_add_test(tc, test_kcenter_on_a_line);
    tcase_add_test(tc, test_kcenter_matches_direct_greedy);
    tcase_add_test(tc, test_kcenter_disagreement);
    tcase_add_test(tc, test_kcenter_entropy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(sampler_suite());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
