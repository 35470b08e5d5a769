/* The B-Pref scripted teacher (plugins/teacher/scripted) on constructed
 * pairs: rationality, myopia, mistakes, Bradley-Terry noise, skip and equal
 * thresholds (and the reference's ε² after the first round), the judged
 * window, determinism, errors and the shipped presets. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "ckpt_test.h"
#include "check_run.h"

static PrefrlInstance *make(uint64_t seed, const char *const *overrides)
{
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_TEACHER,
                                               "scripted", overrides, seed, NULL, &err);
    ck_assert_msg(inst != NULL, "teacher: %s", err ? err->message : "?");
    return inst;
}

static gboolean label(PrefrlInstance *t, const PrefrlTeacherQuery *q, int *labels, GError **err)
{
    const PrefrlTeacherOps *ops = t->component->ops;
    return ops->label(t->self, q, labels, err);
}

static PrefrlTeacherQuery query(int n, int H, const float *r1, const float *r2, double margin,
                                gboolean first)
{
    PrefrlTeacherQuery q = {.struct_size = sizeof q, .n = n, .H = H, .r1 = r1, .r2 = r2,
                            .lo = 0, .hi = H, .margin = margin, .first = first};
    return q;
}

/* ---- rationality ---------------------------------------------------------- */

START_TEST(test_rational_prefers_higher_return)
{
    enum { N = 300, H = 8 };
    static const char *const betas[] = {"beta=inf", "beta=-1", "beta=0", NULL};
    float r1[N * H], r2[N * H];
    PrefrlRng rng;
    prefrl_rng_init(&rng, 5, "test");
    prefrl_rng_normal_fill(&rng, r1, N * H);
    prefrl_rng_normal_fill(&rng, r2, N * H);
    /* ties: the same rewards in another order (exactly equal sums) */
    for (int t = 0; t < H; t++)
        r2[0 * H + t] = r1[0 * H + (H - 1 - t)] = (float)t;
    for (int t = 0; t < H; t++)
        r1[1 * H + t] = r2[1 * H + t] = 0.25f;
    PrefrlTeacherQuery q = query(N, H, r1, r2, 1.0, TRUE);
    int labels[N];
    for (int b = 0; betas[b]; b++) {
        const char *const ov[] = {betas[b], NULL};
        PrefrlInstance *t = make(1, ov);
        for (int round = 0; round < 2; round++) {
            q.first = round == 0;
            GError *err = NULL;
            ck_assert_msg(label(t, &q, labels, &err), "%s", err ? err->message : "");
            ck_assert_int_eq(labels[0], PREFRL_LABEL_FIRST);
            ck_assert_int_eq(labels[1], PREFRL_LABEL_FIRST);
            for (int i = 2; i < N; i++) {
                double s1 = 0, s2 = 0;
                for (int k = 0; k < H; k++) {
                    s1 += r1[i * H + k];
                    s2 += r2[i * H + k];
                }
                ck_assert_int_eq(labels[i], s1 < s2 ? PREFRL_LABEL_SECOND : PREFRL_LABEL_FIRST);
            }
        }
        prefrl_instance_free(t);
    }
}
END_TEST

/* ---- myopia ---------------------------------------------------------------- */

START_TEST(test_myopia_weights_later_steps)
{
    /* pair 0: an early reward of 1 against a late reward of 0.9:
     *   γ = 1: 1 > 0.9 → FIRST;  γ = 0.9: 0.81 < 0.9 → SECOND.
     * pair 1, γ = 0.5: [4, 0, 0] weighs 4·0.25 = 1 against [0, 0, 1] → tie → FIRST
     * pair 2, γ = 0.5: [4, 0, 0] against [0, 0, 1.01] → SECOND
     * pair 3, γ = 0.5: [0, 2, 0] weighs 1 against [0, 0, 0.99] → FIRST */
    enum { N = 4, H = 3 };
    const float r1[N * H] = {1, 0, 0, 4, 0, 0, 4, 0, 0, 0, 2, 0};
    const float r2[N * H] = {0, 0, 0.9f, 0, 0, 1, 0, 0, 1.01f, 0, 0, 0.99f};
    PrefrlTeacherQuery q = query(N, H, r1, r2, 1.0, TRUE);
    int labels[N];
    PrefrlInstance *t = make(1, NULL);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_FIRST);
    prefrl_instance_free(t);

    const char *const ov9[] = {"gamma=0.9", NULL};
    t = make(1, ov9);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_SECOND);
    prefrl_instance_free(t);

    const char *const ov5[] = {"gamma=0.5", NULL};
    t = make(1, ov5);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[1], PREFRL_LABEL_FIRST);
    ck_assert_int_eq(labels[2], PREFRL_LABEL_SECOND);
    ck_assert_int_eq(labels[3], PREFRL_LABEL_FIRST);
    prefrl_instance_free(t);
}
END_TEST

/* ---- mistakes ---------------------------------------------------------------- */

START_TEST(test_mistake_rate)
{
    /* every pair prefers the second segment; flips are Binomial(N, ε) */
    enum { N = 20000, H = 2 };
    float *r1 = g_new0(float, N * H), *r2 = g_new(float, N * H);
    for (int i = 0; i < N * H; i++)
        r2[i] = 1;
    PrefrlTeacherQuery q = query(N, H, r1, r2, 1.0, TRUE);
    int *labels = g_new(int, N);
    static const double eps[] = {0.1, 0.3};
    for (int e = 0; e < 2; e++) {
        char buf[64];
        g_snprintf(buf, sizeof buf, "eps_mistake=%g", eps[e]);
        const char *const ov[] = {buf, NULL};
        PrefrlInstance *t = make(9, ov);
        ck_assert(label(t, &q, labels, NULL));
        int flips = 0;
        for (int i = 0; i < N; i++) {
            ck_assert(labels[i] == PREFRL_LABEL_FIRST || labels[i] == PREFRL_LABEL_SECOND);
            flips += labels[i] == PREFRL_LABEL_FIRST;
        }
        double sd = sqrt(N * eps[e] * (1 - eps[e]));
        ck_assert_msg(fabs(flips - N * eps[e]) < 5 * sd, "ε %g: %d flips of %d", eps[e], flips,
                      N);
        prefrl_instance_free(t);
    }
    /* ε = 0 never flips, ε = 1 always does */
    const char *const ov0[] = {"eps_mistake=0", NULL}, *const ov1[] = {"eps_mistake=1", NULL};
    PrefrlInstance *t = make(9, ov0);
    ck_assert(label(t, &q, labels, NULL));
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(labels[i], PREFRL_LABEL_SECOND);
    prefrl_instance_free(t);
    t = make(9, ov1);
    ck_assert(label(t, &q, labels, NULL));
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(labels[i], PREFRL_LABEL_FIRST);
    prefrl_instance_free(t);
    g_free(labels);
    g_free(r1);
    g_free(r2);
}
END_TEST

/* ---- Bradley-Terry ------------------------------------------------------- */

/* P(second) = σ(β (R2 − R1)): groups of pairs with return gap d */
static void check_bt(const char *beta_ov, double beta)
{
    enum { G = 5, PER = 8000, H = 4 };
    static const double gap[G] = {-2, -0.5, 0, 1, 3};
    float *r1 = g_new(float, G * PER * H), *r2 = g_new(float, G * PER * H);
    for (int g = 0; g < G; g++)
        for (int i = 0; i < PER; i++)
            for (int k = 0; k < H; k++) {
                size_t at = ((size_t)g * PER + i) * H + k;
                r1[at] = 0.1f * (float)k;
                r2[at] = r1[at] + (float)(gap[g] / H);
            }
    PrefrlTeacherQuery q = query(G * PER, H, r1, r2, 1.0, TRUE);
    int *labels = g_new(int, G * PER);
    const char *const ov[] = {beta_ov, NULL};
    PrefrlInstance *t = make(17, ov);
    ck_assert(label(t, &q, labels, NULL));
    for (int g = 0; g < G; g++) {
        int second = 0;
        for (int i = 0; i < PER; i++)
            second += labels[g * PER + i] == PREFRL_LABEL_SECOND;
        double p = 1 / (1 + exp(-beta * gap[g]));
        double sd = sqrt(PER * p * (1 - p));
        ck_assert_msg(fabs(second - PER * p) < 5 * sd + 1, "β %g gap %g: %d of %d, expected %g",
                      beta, gap[g], second, PER, PER * p);
    }
    prefrl_instance_free(t);
    g_free(labels);
    g_free(r1);
    g_free(r2);
}

START_TEST(test_bradley_terry)
{
    check_bt("beta=1", 1.0);
    check_bt("beta=2.5", 2.5);
}
END_TEST

START_TEST(test_seeded_stream)
{
    enum { N = 500, H = 3 };
    float r1[N * H], r2[N * H];
    for (int i = 0; i < N * H; i++) {
        r1[i] = 0;
        r2[i] = 0.1f;
    }
    PrefrlTeacherQuery q = query(N, H, r1, r2, 1.0, TRUE);
    int a[N], b[N], c[N];
    const char *const ov[] = {"beta=1", "eps_mistake=0.2", NULL};
    PrefrlInstance *t1 = make(4, ov), *t2 = make(4, ov), *t3 = make(5, ov);
    ck_assert(label(t1, &q, a, NULL));
    ck_assert(label(t2, &q, b, NULL));
    ck_assert(label(t3, &q, c, NULL));
    ck_assert(!memcmp(a, b, sizeof a));
    ck_assert(memcmp(a, c, sizeof a));
    /* save, label, load, label again: the same draws */
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "teacher.bin", NULL);
    char *bad = g_build_filename(dir, "bad.bin", NULL);
    GError *err = NULL;
    ck_assert(ckpt_test_save(t1->component, t1->self, path, NULL));
    ck_assert(label(t1, &q, a, NULL));
    ck_assert_msg(ckpt_test_load(t1->component, t1->self, path, &err), "%s",
                  err ? err->message : "");
    ck_assert(label(t1, &q, b, NULL));
    ck_assert(!memcmp(a, b, sizeof a));
    /* a damaged or truncated state, or another component's, is refused
     * naming the file, and the stream goes on as it was */
    gsize size;
    char *bytes = ckpt_test_read(path, &size);
    ckpt_test_write(bad, bytes, size - 4);
    ck_assert(!ckpt_test_load(t1->component, t1->self, bad, &err));
    ckpt_test_refused(&err, bad, "truncated");
    bytes[size - 10] ^= 0x20;
    ckpt_test_write(bad, bytes, size);
    ck_assert(!ckpt_test_load(t1->component, t1->self, bad, &err));
    ckpt_test_refused(&err, bad, "checksum mismatch");
    PrefrlCkpt *k = prefrl_ckpt_open_write(bad, NULL);
    prefrl_ckpt_put_tag(k, "sampler/uniform", 2);
    ck_assert(prefrl_ckpt_close(k, NULL));
    ck_assert(!ckpt_test_load(t1->component, t1->self, bad, &err));
    ckpt_test_refused(&err, bad, "holds sampler/uniform version 2 where teacher/scripted");
    ck_assert(label(t1, &q, c, NULL));
    ck_assert(label(t2, &q, b, NULL));
    ck_assert(label(t2, &q, b, NULL));
    ck_assert(!memcmp(c, b, sizeof c));
    g_free(bytes);
    g_free(bad);
    g_free(path);
    ckpt_test_rmdir(dir);
    prefrl_instance_free(t1);
    prefrl_instance_free(t2);
    prefrl_instance_free(t3);
}
END_TEST

/* ---- skip ---------------------------------------------------------------- */

START_TEST(test_skip_threshold)
{
    /* margin 10, ε_skip 0.5: first round threshold 5; later rounds 10·0.25 = 2.5
     * (the reference's ε²) or 5 again with square_eps_after_first = false.
     * Better returns of the pairs: 3, 5, 5.01, 8, 2 (pair 4 prefers the first) */
    enum { N = 5, H = 2 };
    const float r1[N * H] = {0, 1, 0, 0, 2, 0, 0, 0, 1, 1};
    const float r2[N * H] = {1, 2, 2.5f, 2.5f, 2.51f, 2.5f, 4, 4, 0, 0};
    int labels[N];
    PrefrlTeacherQuery q = query(N, H, r1, r2, 10.0, TRUE);
    const char *const ov[] = {"eps_skip=0.5", NULL};
    PrefrlInstance *t = make(1, ov);
    ck_assert(label(t, &q, labels, NULL));
    static const int first_round[N] = {PREFRL_LABEL_SKIP, PREFRL_LABEL_SKIP, PREFRL_LABEL_SECOND,
                                       PREFRL_LABEL_SECOND, PREFRL_LABEL_SKIP};
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(labels[i], first_round[i]);
    q.first = FALSE;
    ck_assert(label(t, &q, labels, NULL));
    static const int later[N] = {PREFRL_LABEL_SECOND, PREFRL_LABEL_SECOND, PREFRL_LABEL_SECOND,
                                 PREFRL_LABEL_SECOND, PREFRL_LABEL_SKIP};
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(labels[i], later[i]);
    prefrl_instance_free(t);

    const char *const ov_lin[] = {"eps_skip=0.5", "square_eps_after_first=false", NULL};
    t = make(1, ov_lin);
    ck_assert(label(t, &q, labels, NULL));
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(labels[i], first_round[i]);
    /* all below the threshold: every pair skipped, still a success */
    q.margin = 100;
    ck_assert(label(t, &q, labels, NULL));
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(labels[i], PREFRL_LABEL_SKIP);
    /* a threshold ≤ 0 (negative margin) skips nothing, even negative returns */
    q.margin = -10;
    ck_assert(label(t, &q, labels, NULL));
    for (int i = 0; i < N; i++)
        ck_assert_int_ne(labels[i], PREFRL_LABEL_SKIP);
    prefrl_instance_free(t);
}
END_TEST

/* ---- equal ---------------------------------------------------------------- */

START_TEST(test_equal_threshold)
{
    /* margin 10, ε_equal 0.2: threshold 2 (strict), later 0.4.
     * Undiscounted gaps: 1.9, 2.0, 2.5, 0.3, and pair 4 whose sums are equal
     * but whose myopic returns (γ = 0.5) differ: [2, 0] vs [0, 2] */
    enum { N = 5, H = 2 };
    const float r1[N * H] = {0, 0, 0, 0, 0, 0, 1, 0, 2, 0};
    const float r2[N * H] = {1, 0.9f, 1, 1, 2, 0.5f, 1, 0.3f, 0, 2};
    int labels[N];
    PrefrlTeacherQuery q = query(N, H, r1, r2, 10.0, TRUE);
    /* the mistake rate 1 flips every label first; equal is applied after */
    const char *const ov[] = {"eps_equal=0.2", "gamma=0.5", "eps_mistake=1", NULL};
    PrefrlInstance *t = make(1, ov);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_EQUAL);
    ck_assert_int_eq(labels[1], PREFRL_LABEL_FIRST); /* gap exactly 2: not equal; flipped */
    ck_assert_int_eq(labels[2], PREFRL_LABEL_FIRST);
    ck_assert_int_eq(labels[3], PREFRL_LABEL_EQUAL);
    ck_assert_int_eq(labels[4], PREFRL_LABEL_EQUAL);
    q.first = FALSE;
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_FIRST);
    ck_assert_int_eq(labels[3], PREFRL_LABEL_EQUAL);
    ck_assert_int_eq(labels[4], PREFRL_LABEL_EQUAL);
    prefrl_instance_free(t);

    const char *const ov_lin[] = {"eps_equal=0.2", "square_eps_after_first=false", NULL};
    t = make(1, ov_lin);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_EQUAL);
    ck_assert_int_eq(labels[2], PREFRL_LABEL_SECOND);
    /* ε_equal = 0 marks nothing, not even identical returns */
    prefrl_instance_free(t);
    t = make(1, NULL);
    const float same[H] = {1, 1};
    PrefrlTeacherQuery q1 = query(1, H, same, same, 10.0, TRUE);
    ck_assert(label(t, &q1, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_FIRST);
    prefrl_instance_free(t);
}
END_TEST

/* skip is decided before equal: a skipped pair stays SKIP */
START_TEST(test_skip_before_equal)
{
    enum { N = 2, H = 1 };
    const float r1[N * H] = {1, 9}, r2[N * H] = {1.1f, 9.1f};
    int labels[N];
    PrefrlTeacherQuery q = query(N, H, r1, r2, 10.0, TRUE);
    const char *const ov[] = {"eps_skip=0.5", "eps_equal=0.5", NULL};
    PrefrlInstance *t = make(1, ov);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_SKIP);
    ck_assert_int_eq(labels[1], PREFRL_LABEL_EQUAL);
    prefrl_instance_free(t);
}
END_TEST

/* ---- the judged window ---------------------------------------------------- */

START_TEST(test_window)
{
    /* H = 6, judged [2, 4): outside the window the first segment is far better;
     * inside, the second is, but only once γ = 0.5 weighs step 3 by 1 and step
     * 2 by 0.5:  r1 = [.., 2, 0, ..] → 1;  r2 = [.., 0, 1.5, ..] → 1.5 */
    enum { H = 6 };
    const float r1[H] = {100, 100, 2, 0, 100, 100};
    const float r2[H] = {-100, -100, 0, 1.5f, -100, -100};
    int labels[1];
    PrefrlTeacherQuery q = query(1, H, r1, r2, 10.0, TRUE);
    PrefrlInstance *t = make(1, NULL);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_FIRST);
    q.lo = 2;
    q.hi = 4;
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_FIRST); /* undiscounted 2 > 1.5 */
    prefrl_instance_free(t);
    const char *const ov[] = {"gamma=0.5", NULL};
    t = make(1, ov);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_SECOND);
    prefrl_instance_free(t);
    /* the equal and skip sums use the window too: |2 − 1.5| < 10·0.06 */
    const char *const ove[] = {"eps_equal=0.06", "eps_skip=0.19", NULL};
    t = make(1, ove);
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_EQUAL);
    q.margin = 11; /* skip threshold 2.09 > 2 */
    ck_assert(label(t, &q, labels, NULL));
    ck_assert_int_eq(labels[0], PREFRL_LABEL_SKIP);
    prefrl_instance_free(t);
}
END_TEST

START_TEST(test_errors)
{
    enum { H = 3 };
    float r1[H] = {0, 1, 2}, r2[H] = {1, 1, 1};
    int labels[1];
    GError *err = NULL;
    PrefrlInstance *t = make(1, NULL);
    PrefrlTeacherQuery q = query(1, H, r1, r2, 1.0, TRUE);
    q.hi = 4;
    ck_assert(!label(t, &q, labels, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    ck_assert_ptr_nonnull(strstr(err->message, "[0, 4)"));
    g_clear_error(&err);
    q.hi = 2;
    q.lo = 2;
    ck_assert(!label(t, &q, labels, &err));
    g_clear_error(&err);
    q.lo = 0;
    r1[1] = NAN;
    ck_assert(!label(t, &q, labels, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_NUMERIC));
    g_clear_error(&err);
    r1[1] = 1;
    /* a NaN margin matters only when a threshold uses it */
    q.margin = NAN;
    ck_assert(label(t, &q, labels, NULL));
    prefrl_instance_free(t);
    const char *const ov[] = {"eps_skip=0.1", NULL};
    t = make(1, ov);
    ck_assert(!label(t, &q, labels, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_NUMERIC));
    g_clear_error(&err);
    prefrl_instance_free(t);
    /* schema: ε outside [0, 1] and γ > 1 are refused */
    const char *const bad1[] = {"eps_mistake=1.5", NULL}, *const bad2[] = {"gamma=1.1", NULL};
    ck_assert_ptr_null(prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_TEACHER,
                                           "scripted", bad1, 1, NULL, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    g_clear_error(&err);
    ck_assert_ptr_null(prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_TEACHER,
                                           "scripted", bad2, 1, NULL, &err));
    g_clear_error(&err);
}
END_TEST

/* ---- presets -------------------------------------------------------------- */

START_TEST(test_presets)
{
    /* name, β (0: rational), γ, ε_mistake, ε_skip, ε_equal: the B-Pref table */
    static const struct {
        const char *name;
        double beta, gamma, mistake, skip, equal;
    } table[] = {{"oracle", 0, 1, 0, 0, 0},   {"mistake", 0, 1, 0.1, 0, 0},
                 {"noisy", 1, 1, 0, 0, 0},    {"skip", 0, 1, 0, 0.1, 0},
                 {"myopic", 0, 0.9, 0, 0, 0}, {"equal", 0, 1, 0, 0, 0.1}};
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        char *path = g_strdup_printf("%s/../configs/teachers/%s.yaml", TEST_SRCDIR, table[i].name);
        GError *err = NULL;
        PrefrlNode *root = prefrl_recipe_load(path, &err);
        ck_assert_msg(root != NULL, "%s: %s", path, err ? err->message : "");
        ck_assert_msg(prefrl_recipe_resolve(root, prefrl_registry_default(), &prefrl_run_keys,
                                            1u << PREFRL_KIND_TEACHER, &err),
                      "%s: %s", path, err ? err->message : "");
        const PrefrlNode *sec = prefrl_node_get(root, "teacher");
        ck_assert_ptr_nonnull(sec);
        ck_assert_str_eq(prefrl_node_text(prefrl_node_get(sec, "name")), "scripted");
        double beta = prefrl_param_float(sec, "beta");
        if (table[i].beta == 0)
            ck_assert_msg(beta <= 0 || isinf(beta), "%s: β %g", table[i].name, beta);
        else
            ck_assert(beta == table[i].beta);
        ck_assert(prefrl_param_float(sec, "gamma") == table[i].gamma);
        ck_assert(prefrl_param_float(sec, "eps_mistake") == table[i].mistake);
        ck_assert(prefrl_param_float(sec, "eps_skip") == table[i].skip);
        ck_assert(prefrl_param_float(sec, "eps_equal") == table[i].equal);
        ck_assert(prefrl_param_bool(sec, "square_eps_after_first"));
        prefrl_node_free(root);
        g_free(path);
    }
}
END_TEST

static Suite *teacher_suite(void)
{
    Suite *s = suite_create("teacher");
    TCase *tc = tcase_create("scripted");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_rational_prefers_higher_return);
    tcase_add_test(tc, test_myopia_weights_later_steps);
    tcase_add_test(tc, test_mistake_rate);
    tcase_add_test(tc, test_bradley_terry);
    tcase_add_test(tc, test_seeded_stream);
    tcase_add_test(tc, test_skip_threshold);
    tcase_add_test(tc, test_equal_threshold);
    tcase_add_test(tc, test_skip_before_equal);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_presets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(teacher_suite());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
