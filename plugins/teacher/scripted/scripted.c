/* The B-Pref scripted teacher (docs/samplers-and-teachers.md): labels segment pairs from
 * their true rewards, with rationality β, myopia γ, a mistake rate and the
 * skip / equal thresholds, drawing from its own seeded stream.
 *
 * Order of operations for one query round, over the judged steps [lo, hi):
 *  1. skip: when thres_skip > 0 keep only pairs with max(Σr1, Σr2) > thres_skip;
 *     if none remains, every pair is SKIP;
 *  2. equal mask: |Σr1 − Σr2| < thres_equal (undiscounted sums), applied last;
 *  3. myopia: R_j = Σ_t γ^(hi−1−t) r_j[t] (the last judged step weighs 1);
 *  4. label: rational (β ≤ 0 or β = ∞): SECOND iff R1 < R2, ties FIRST;
 *     else SECOND with probability exp(βR2) / (exp(βR1) + exp(βR2));
 *  5. mistake: flip each kept label when u ≤ ε_mistake, u ~ U[0, 1);
 *  6. equal: EQUAL where the mask of step 2 holds.
 * Thresholds are margin·ε for the first round; later rounds use margin·ε², as
 * the reference's SAC trainers do (its setter multiplies by ε twice), unless
 * square_eps_after_first is false. */
#include <math.h>
#include <string.h>

#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

typedef struct {
    double beta;           /* ≤ 0 or +inf: perfectly rational */
    double gamma;          /* myopia discount */
    double eps_mistake, eps_skip, eps_equal;
    gboolean square_eps;   /* reproduce the reference's ε² after the first round */
    PrefrlRng rng;
    /* scratch, grown on demand: per-pair undiscounted sums and kept flags */
    int cap;
    double *s1, *s2;
} Teacher;

static void *teacher_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    (void)error;
    Teacher *t = g_new0(Teacher, 1);
    t->beta = prefrl_param_float(params, "beta");
    t->gamma = prefrl_param_float(params, "gamma");
    t->eps_mistake = prefrl_param_float(params, "eps_mistake");
    t->eps_skip = prefrl_param_float(params, "eps_skip");
    t->eps_equal = prefrl_param_float(params, "eps_equal");
    t->square_eps = prefrl_param_bool(params, "square_eps_after_first");
    t->rng = ctx->rng;
    return t;
}

static void teacher_destroy(void *self)
{
    Teacher *t = self;
    if (!t)
        return;
    g_free(t->s1);
    g_free(t->s2);
    g_free(t);
}

/* the threshold of this round for rate eps (0 when eps is 0, whatever margin) */
static double threshold(const Teacher *t, const PrefrlTeacherQuery *q, double eps)
{
    if (eps == 0)
        return 0;
    return q->margin * (q->first || !t->square_eps ? eps : eps * eps);
}

/* P(second) = σ(β (R2 − R1)) without overflow */
static double bt_second(double beta, double R1, double R2)
{
    double x = beta * (R2 - R1);
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static gboolean teacher_label(void *self, const PrefrlTeacherQuery *q, int *labels,
                              GError **error)
{
    Teacher *t = self;
    const int n = q->n, H = q->H, lo = q->lo, hi = q->hi;
    if (n < 0 || H < 1 || lo < 0 || hi > H || lo >= hi) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "teacher: judged window [%d, %d) does not fit %d-step segments (n %d)", lo,
                    hi, H, n);
        return FALSE;
    }
    if (n == 0)
        return TRUE;
    if ((t->eps_skip > 0 || t->eps_equal > 0) && !isfinite(q->margin)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                    "teacher: the skip/equal margin is %g (no training episode finished yet?)",
                    q->margin);
        return FALSE;
    }
    const double thr_skip = threshold(t, q, t->eps_skip);
    const double thr_equal = threshold(t, q, t->eps_equal);
    if (n > t->cap) {
        t->s1 = g_renew(double, t->s1, n);
        t->s2 = g_renew(double, t->s2, n);
        t->cap = n;
    }

    /* undiscounted sums over the window; 1. skip */
    int kept = 0;
    for (int i = 0; i < n; i++) {
        const float *a = q->r1 + (size_t)i * H, *b = q->r2 + (size_t)i * H;
        double s1 = 0, s2 = 0;
        for (int k = lo; k < hi; k++) {
            s1 += a[k];
            s2 += b[k];
        }
        if (!isfinite(s1) || !isfinite(s2)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "teacher: pair %d has a non-finite true reward", i);
            return FALSE;
        }
        t->s1[i] = s1;
        t->s2[i] = s2;
        gboolean keep = !(thr_skip > 0) || MAX(s1, s2) > thr_skip;
        labels[i] = keep ? PREFRL_LABEL_FIRST : PREFRL_LABEL_SKIP;
        kept += keep;
    }
    if (kept == 0)
        return TRUE;

    /* 3. myopic returns and 4. the label */
    const gboolean rational = t->beta <= 0 || isinf(t->beta);
    for (int i = 0; i < n; i++) {
        if (labels[i] == PREFRL_LABEL_SKIP)
            continue;
        const float *a = q->r1 + (size_t)i * H, *b = q->r2 + (size_t)i * H;
        double R1 = 0, R2 = 0, w = 1;
        for (int k = hi - 1; k >= lo; k--) {
            R1 += w * a[k];
            R2 += w * b[k];
            w *= t->gamma;
        }
        if (rational)
            labels[i] = R1 < R2 ? PREFRL_LABEL_SECOND : PREFRL_LABEL_FIRST;
        else
            labels[i] = prefrl_rng_uniform(&t->rng) < bt_second(t->beta, R1, R2)
                            ? PREFRL_LABEL_SECOND
                            : PREFRL_LABEL_FIRST;
    }

    /* 5. mistakes (no draws when ε = 0: u ≤ 0 would flip only at u = 0 exactly) */
    if (t->eps_mistake > 0)
        for (int i = 0; i < n; i++)
            if (labels[i] != PREFRL_LABEL_SKIP && prefrl_rng_uniform(&t->rng) <= t->eps_mistake)
                labels[i] = 1 - labels[i];

    /* 6. equal, on the undiscounted sums */
    for (int i = 0; i < n; i++)
        if (labels[i] != PREFRL_LABEL_SKIP && fabs(t->s1[i] - t->s2[i]) < thr_equal)
            labels[i] = PREFRL_LABEL_EQUAL;
    return TRUE;
}

/* the state worth keeping is the random stream */
#define TEACHER_TAG "teacher/scripted"
#define TEACHER_FORMAT 2

static gboolean teacher_save(void *self, PrefrlCkpt *out, GError **error)
{
    prefrl_ckpt_put_tag(out, TEACHER_TAG, TEACHER_FORMAT);
    prefrl_rng_save(&((const Teacher *)self)->rng, TEACHER_TAG " rng", out);
    return prefrl_ckpt_check(out, error);
}

static gboolean teacher_load(void *self, PrefrlCkpt *in, GError **error)
{
    prefrl_ckpt_expect_tag(in, TEACHER_TAG, TEACHER_FORMAT);
    prefrl_rng_load(&((Teacher *)self)->rng, TEACHER_TAG " rng", in);
    return prefrl_ckpt_check(in, error);
}

static const PrefrlTeacherOps teacher_ops = {
    .struct_size = sizeof(PrefrlTeacherOps),
    .label = teacher_label,
};

static const PrefrlParamSpec teacher_params[] = {
    {"beta", PREFRL_PARAM_FLOAT, "inf", 0, 0, NULL,
     "rationality β: for finite β > 0 the second segment is preferred with probability "
     "exp(βR2)/(exp(βR1)+exp(βR2)); inf or any value ≤ 0 (the reference's -1) = perfectly "
     "rational, the higher return wins and ties go to the first"},
    {"gamma", PREFRL_PARAM_FLOAT, "1", 0, 1, NULL,
     "myopia γ: returns weigh step t of a W-step judged window by γ^(W-1-t), the last step "
     "by 1 (1 = not myopic)"},
    {"eps_mistake", PREFRL_PARAM_FLOAT, "0", 0, 1, NULL,
     "probability that each label (first/second) is flipped after it is chosen"},
    {"eps_skip", PREFRL_PARAM_FLOAT, "0", 0, INFINITY, NULL,
     "skip a pair (SKIP, not stored) when both undiscounted returns are <= margin·eps_skip "
     "(margin·eps_skip² after the first round, see square_eps_after_first); margin = mean "
     "true return of a segment over the last 10 episodes; 0 = never skip"},
    {"eps_equal", PREFRL_PARAM_FLOAT, "0", 0, INFINITY, NULL,
     "label a pair EQUAL when its undiscounted returns differ by less than margin·eps_equal "
     "(margin·eps_equal² after the first round, see square_eps_after_first); 0 = never"},
    {"square_eps_after_first", PREFRL_PARAM_BOOL, "true", 0, 0, NULL,
     "true: after the first query round the thresholds are margin·eps² (the reference's SAC "
     "trainers apply eps twice); false: margin·eps every round (the evident intent)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL}};

static const PrefrlComponent teacher_component = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_TEACHER,
    .name = "scripted",
    .summary = "B-Pref scripted teacher: labels from true returns with rationality β, myopia γ, "
               "mistakes, skip and equal thresholds",
    .params = teacher_params,
    .flags = 0,
    .create = teacher_create,
    .destroy = teacher_destroy,
    .save = teacher_save,
    .load = teacher_load,
    .ops = &teacher_ops,
};

PREFRL_PLUGIN_DEFINE("teacher-scripted", PREFRL_VERSION, &teacher_component);
