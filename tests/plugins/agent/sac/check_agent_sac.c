/* Tests of agent/sac (plugins/agent/sac/sac.c).
 *
 * The agent is created through the registry like any component; the
 * plugin's private header sac.h gives the layout of its state, so the test
 * can read the networks, targets, temperature and stream.  Gradients are
 * checked against central finite differences of an independent
 * double-precision evaluation of the losses of docs/agents.md (SAC, one
 * update), with the same policy noise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "host/registry.h"
#include "ckpt_test.h"
#include "pbrl_test.h"

#include "sac.h"
#include "check_run.h"

#define FD_H 1e-5

/* ------------------------------------------------------------------------ */
/* helpers */

static PrefrlInstance *new_agent(int D, int A, uint64_t seed, const char *const *extra)
{
    static const char *const base[] = {"hidden_dim=16", "hidden_depth=2", "batch_size=8", NULL};
    return pbrl_test_agent("sac", D, A, seed, base, extra);
}

static Sac *sac_of(PrefrlInstance *inst)
{
    return inst->self;
}

static const PrefrlAgentOps *ops_of(PrefrlInstance *inst)
{
    return inst->component->ops;
}

/* a batch of random transitions whose two done masks differ */
typedef struct TestBatch {
    PrefrlBatch b;
    float *obs, *action, *reward, *next_obs, *not_done, *not_done_no_max;
} TestBatch;

static void batch_init(TestBatch *t, PrefrlRng *rng, int B, int D, int A)
{
    t->obs = g_new(float, (size_t)B * D);
    t->next_obs = g_new(float, (size_t)B * D);
    t->action = g_new(float, (size_t)B * A);
    t->reward = g_new(float, B);
    t->not_done = g_new(float, B);
    t->not_done_no_max = g_new(float, B);
    for (int i = 0; i < B * D; i++) {
        t->obs[i] = (float)prefrl_rng_range(rng, -1, 1);
        t->next_obs[i] = (float)prefrl_rng_range(rng, -1, 1);
    }
    for (int i = 0; i < B * A; i++)
        t->action[i] = (float)prefrl_rng_range(rng, -0.99, 0.99);
    for (int i = 0; i < B; i++) {
        t->reward[i] = (float)prefrl_rng_normal(rng);
        /* row 1 is a time-out (bootstraps), row 2 a termination (does not) */
        t->not_done[i] = i == 1 || i == 2 ? 0.0f : 1.0f;
        t->not_done_no_max[i] = i == 2 ? 0.0f : 1.0f;
    }
    t->b = (PrefrlBatch){.size = B, .obs_dim = D, .act_dim = A, .obs = t->obs,
                         .action = t->action, .reward = t->reward, .next_obs = t->next_obs,
                         .not_done = t->not_done, .not_done_no_max = t->not_done_no_max};
}

static void batch_clear(TestBatch *t)
{
    g_free(t->obs);
    g_free(t->next_obs);
    g_free(t->action);
    g_free(t->reward);
    g_free(t->not_done);
    g_free(t->not_done_no_max);
}

static double *to_double(const float *x, size_t n)
{
    double *d = g_new(double, n);
    for (size_t i = 0; i < n; i++)
        d[i] = x[i];
    return d;
}

static gboolean update(PrefrlInstance *inst, const PrefrlBatch *b, int64_t step)
{
    GError *err = NULL;
    gboolean ok = ops_of(inst)->update(inst->self, b, step, NULL, &err);
    ck_assert_msg(ok, "update failed: %s", err ? err->message : "?");
    return ok;
}

/* ------------------------------------------------------------------------ */
/* double-precision reference of the SAC losses */

/* forward of one row x through an MLP of m's shape with parameters p */
static void ref_mlp(const PrefrlMlp *m, const double *p, const double *x, double *y)
{
    int n = prefrl_mlp_n_layers(m);
    double a[256], b[256];
    memcpy(a, x, sizeof(double) * prefrl_mlp_in_dim(m));
    size_t off = 0;
    for (int l = 0; l < n; l++) {
        int in = prefrl_mlp_dim(m, l), out = prefrl_mlp_dim(m, l + 1);
        ck_assert_int_le(out, 256);
        const double *W = p + off, *bias = p + off + (size_t)in * out;
        for (int o = 0; o < out; o++) {
            double s = bias[o];
            for (int i = 0; i < in; i++)
                s += W[(size_t)o * in + i] * a[i];
            b[o] = l < n - 1 && s < 0 ? 0 : s; /* ReLU hidden, identity output */
        }
        off += (size_t)in * out + out;
        memcpy(a, b, sizeof(double) * out);
    }
    memcpy(y, a, sizeof(double) * prefrl_mlp_out_dim(m));
}

/* a = tanh(mu + sigma eps) and log pi(a) from actor outputs (2A) */
static double ref_policy(const Sac *s, const double *out, const float *eps, double *a)
{
    const int A = s->A;
    double lp = 0;
    for (int i = 0; i < A; i++) {
        double log_std =
            s->log_std_min + 0.5 * (s->log_std_max - s->log_std_min) * (tanh(out[A + i]) + 1);
        double u = out[i] + exp(log_std) * eps[i];
        double sp = -2 * u > 0 ? -2 * u + log1p(exp(2 * u)) : log1p(exp(-2 * u));
        lp += -0.5 * (double)eps[i] * eps[i] - log_std - 0.5 * log(2 * G_PI) -
              2 * (G_LN2 - u - sp);
        a[i] = tanh(u);
    }
    return lp;
}

/* min over the two heads (params p, 2 * P) of Q(obs‖a) */
static double ref_min_q(const Sac *s, const double *p, const double *obs, const double *a,
                        double *q1, double *q2)
{
    PrefrlMlp *h = s->heads[0];
    size_t P = prefrl_mlp_n_params(h);
    double x[256], y1, y2;
    memcpy(x, obs, sizeof(double) * s->D);
    memcpy(x + s->D, a, sizeof(double) * s->A);
    ref_mlp(h, p, x, &y1);
    ref_mlp(h, p + P, x, &y2);
    if (q1)
        *q1 = y1;
    if (q2)
        *q2 = y2;
    return fmin(y1, y2);
}

/* V̄(s') per row with actor params pa, target params pt, noise eps (B, A) */
static void ref_target_value(const Sac *s, const double *pa, const double *pt, double alpha,
                             const float *next_obs, int B, const float *eps, double *v)
{
    double x[256], out[256], a[64];
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < s->D; i++)
            x[i] = next_obs[(size_t)b * s->D + i];
        ref_mlp(s->nets.actor, pa, x, out);
        double lp = ref_policy(s, out, eps + (size_t)b * s->A, a);
        v[b] = ref_min_q(s, pt, x, a, NULL, NULL) - alpha * lp;
    }
}

/* J_Q at critic params pc for targets y */
static double ref_critic_loss(const Sac *s, const double *pc, const TestBatch *t, const double *y)
{
    const int B = t->b.size;
    double x[256], loss = 0;
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < s->D; i++)
            x[i] = t->obs[(size_t)b * s->D + i];
        double a[64], q1, q2;
        for (int i = 0; i < s->A; i++)
            a[i] = t->action[(size_t)b * s->A + i];
        ref_min_q(s, pc, x, a, &q1, &q2);
        loss += (q1 - y[b]) * (q1 - y[b]) + (q2 - y[b]) * (q2 - y[b]);
    }
    return loss / B;
}

/* J_π at actor params pa, critic params pc, noise eps */
static double ref_actor_loss(const Sac *s, const double *pa, const double *pc, double alpha,
                             const float *obs, int B, const float *eps)
{
    double x[256], out[256], a[64], loss = 0;
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < s->D; i++)
            x[i] = obs[(size_t)b * s->D + i];
        ref_mlp(s->nets.actor, pa, x, out);
        double lp = ref_policy(s, out, eps + (size_t)b * s->A, a);
        loss += alpha * lp - ref_min_q(s, pc, x, a, NULL, NULL);
    }
    return loss / B;
}

/* compare analytic gradient g with central differences of f over indices */
typedef double (*LossFn)(const double *p, void *ctx);

static void check_grad(const char *what, double *p, size_t n, const float *g, LossFn f,
                       void *ctx)
{
    int checked = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i += 1 + n / 97) {
        double keep = p[i];
        p[i] = keep + FD_H;
        double lp = f(p, ctx);
        p[i] = keep - FD_H;
        double lm = f(p, ctx);
        p[i] = keep;
        double fd = (lp - lm) / (2 * FD_H);
        double err = fabs(fd - g[i]) / (1e-3 + fabs(fd));
        worst = fmax(worst, err);
        ck_assert_msg(fabs(fd - g[i]) <= 2e-3 * fabs(fd) + 2e-5,
                      "%s gradient %zu: analytic %.8g, finite difference %.8g", what, i, g[i],
                      fd);
        checked++;
    }
    ck_assert_int_ge(checked, 80);
}

typedef struct CriticCtx {
    const Sac *s;
    const TestBatch *t;
    const double *y;
} CriticCtx;

static double critic_fn(const double *p, void *ctx)
{
    CriticCtx *c = ctx;
    return ref_critic_loss(c->s, p, c->t, c->y);
}

typedef struct ActorCtx {
    const Sac *s;
    const double *pc;
    double alpha;
    const TestBatch *t;
    const float *eps;
} ActorCtx;

static double actor_fn(const double *p, void *ctx)
{
    ActorCtx *c = ctx;
    return ref_actor_loss(c->s, p, c->pc, c->alpha, c->t->obs, c->t->b.size, c->eps);
}

/* ------------------------------------------------------------------------ */
/* gradients */

/* the critic step's gradient is that of J_Q with y = r + not_done_no_max γ V̄,
 * V̄ from the target critics and a fresh policy sample */
START_TEST(test_critic_gradient)
{
    const char *ov[] = {"actor_update_frequency=1000", "critic_target_update_frequency=1000",
                        "discount=0.9", NULL};
    PrefrlInstance *inst = new_agent(5, 3, 11, ov);
    Sac *s = sac_of(inst);
    PrefrlRng data;
    prefrl_rng_init(&data, 1, "data");
    TestBatch t;
    batch_init(&t, &data, 8, 5, 3);
    /* targets differ from the critics, so a mix-up would show */
    PrefrlRng other;
    prefrl_rng_init(&other, 2, "other");
    prefrl_ensemble_init_orthogonal(s->nets.target, &other, 1.0f, 1.0f);

    size_t nc = prefrl_ensemble_n_params(s->nets.critic);
    double *pc = to_double(prefrl_ensemble_params(s->nets.critic), nc);
    double *pt = to_double(prefrl_ensemble_params(s->nets.target), nc);
    double *pa = to_double(prefrl_mlp_params(s->nets.actor), prefrl_mlp_n_params(s->nets.actor));
    double alpha = exp((double)s->log_alpha);
    PrefrlRng rng0 = s->rng;
    update(inst, &t.b, 1);

    /* the same noise the update drew for a' */
    float eps[8 * 3];
    prefrl_rng_normal_fill(&rng0, eps, G_N_ELEMENTS(eps));
    double v[8], y[8];
    ref_target_value(s, pa, pt, alpha, t.next_obs, 8, eps, v);
    for (int b = 0; b < 8; b++)
        y[b] = t.reward[b] + t.not_done_no_max[b] * 0.9 * v[b];
    CriticCtx ctx = {s, &t, y};
    check_grad("critic", pc, nc, prefrl_ensemble_grads(s->nets.critic), critic_fn, &ctx);

    /* the critic moved, the actor and log alpha did not (actor step skipped) */
    ck_assert_float_ne(prefrl_ensemble_params(s->nets.critic)[0], (float)pc[0]);
    ck_assert_float_eq(prefrl_mlp_params(s->nets.actor)[0], (float)pa[0]);
    ck_assert_float_eq(s->log_alpha, (float)log(0.1));
    g_free(pc);
    g_free(pt);
    g_free(pa);
    batch_clear(&t);
    prefrl_instance_free(inst);
}
END_TEST

/* the actor step's gradient is that of mean(α log π − min(Q1, Q2)) with the
 * critic after this update's critic step and α before this update */
START_TEST(test_actor_gradient)
{
    PrefrlInstance *inst = new_agent(4, 2, 12, NULL);
    Sac *s = sac_of(inst);
    PrefrlRng data;
    prefrl_rng_init(&data, 3, "data");
    TestBatch t;
    batch_init(&t, &data, 8, 4, 2);
    /* a spread-out policy, so log π and the squashing matter */
    float *bias = prefrl_mlp_bias(s->nets.actor, 2);
    for (int i = 0; i < 4; i++)
        bias[i] = i < 2 ? 0.3f : 0.8f;

    size_t na = prefrl_mlp_n_params(s->nets.actor);
    double *pa = to_double(prefrl_mlp_params(s->nets.actor), na);
    double alpha = exp((double)s->log_alpha);
    PrefrlRng rng0 = s->rng;
    update(inst, &t.b, 1);
    double *pc = to_double(prefrl_ensemble_params(s->nets.critic),
                           prefrl_ensemble_n_params(s->nets.critic));

    float eps[2][8 * 2];
    prefrl_rng_normal_fill(&rng0, eps[0], 16); /* a' of the critic step */
    prefrl_rng_normal_fill(&rng0, eps[1], 16); /* a of the actor step */
    ActorCtx ctx = {s, pc, alpha, &t, eps[1]};
    check_grad("actor", pa, na, prefrl_mlp_grads(s->nets.actor), actor_fn, &ctx);
    ck_assert_float_ne(prefrl_mlp_params(s->nets.actor)[0], (float)pa[0]);
    g_free(pa);
    g_free(pc);
    batch_clear(&t);
    prefrl_instance_free(inst);
}
END_TEST

/* log α follows −sign(H − H̄): the first Adam step moves it by alpha_lr */
START_TEST(test_temperature)
{
    /* case 0: wide policy, entropy above −|A| → α falls;
     * case 1: log σ in [−10, −8], entropy far below −|A| → α rises;
     * case 2: learnable_temperature false → α fixed */
    const char *wide[] = {"alpha_lr=0.01", NULL};
    const char *narrow[] = {"alpha_lr=0.01", "log_std_min=-10", "log_std_max=-8", NULL};
    const char *fixed[] = {"alpha_lr=0.01", "learnable_temperature=false", NULL};
    const char *const *cases[] = {wide, narrow, fixed};
    const double expect[] = {-0.01, 0.01, 0.0};
    for (int c = 0; c < 3; c++) {
        PrefrlInstance *inst = new_agent(4, 2, 13, cases[c]);
        Sac *s = sac_of(inst);
        PrefrlRng data;
        prefrl_rng_init(&data, 4, "data");
        TestBatch t;
        batch_init(&t, &data, 8, 4, 2);
        float before = s->log_alpha;
        update(inst, &t.b, 1);
        double entropy = prefrl_tanh_gaussian_entropy(s->dist);
        if (c == 0)
            ck_assert_double_gt(entropy, -2.0);
        if (c == 1)
            ck_assert_double_lt(entropy, -2.0);
        ck_assert_msg(fabs((s->log_alpha - before) - expect[c]) < 1e-5,
                      "case %d: log alpha moved by %g, expected %g (entropy %g)", c,
                      s->log_alpha - before, expect[c], entropy);
        batch_clear(&t);
        prefrl_instance_free(inst);
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* targets, determinism, reset */

START_TEST(test_target_polyak)
{
    const char *ov[] = {"critic_target_update_frequency=3", "critic_tau=0.25", NULL};
    PrefrlInstance *inst = new_agent(4, 2, 14, ov);
    Sac *s = sac_of(inst);
    PrefrlRng data;
    prefrl_rng_init(&data, 5, "data");
    TestBatch t;
    batch_init(&t, &data, 8, 4, 2);
    size_t n = prefrl_ensemble_n_params(s->nets.critic);
    float *old = g_new(float, n);
    const float *target = prefrl_ensemble_params(s->nets.target);
    const float *critic = prefrl_ensemble_params(s->nets.critic);
    /* at creation the targets equal the critics */
    ck_assert_int_eq(memcmp(target, critic, sizeof(float) * n), 0);
    for (int64_t step = 1; step <= 7; step++) {
        memcpy(old, target, sizeof(float) * n);
        update(inst, &t.b, step);
        ck_assert_int_ne(memcmp(critic, old, sizeof(float) * n), 0);
        if (step % 3 != 0) {
            ck_assert_int_eq(memcmp(target, old, sizeof(float) * n), 0);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            float expect = 0.25f * critic[i] + 0.75f * old[i];
            ck_assert_msg(fabsf(target[i] - expect) <= 1e-6f * (1 + fabsf(expect)),
                          "step %d target %zu: %g, expected %g", (int)step, i, target[i],
                          expect);
        }
    }
    g_free(old);
    batch_clear(&t);
    prefrl_instance_free(inst);
}
END_TEST

/* every learnable float and the stream, compared bit for bit */
static void assert_same_state(Sac *a, Sac *b, gboolean same)
{
    gboolean eq =
        memcmp(prefrl_mlp_params(a->nets.actor), prefrl_mlp_params(b->nets.actor),
               sizeof(float) * prefrl_mlp_n_params(a->nets.actor)) == 0 &&
        memcmp(prefrl_ensemble_params(a->nets.critic), prefrl_ensemble_params(b->nets.critic),
               sizeof(float) * prefrl_ensemble_n_params(a->nets.critic)) == 0 &&
        memcmp(prefrl_ensemble_params(a->nets.target), prefrl_ensemble_params(b->nets.target),
               sizeof(float) * prefrl_ensemble_n_params(a->nets.target)) == 0 &&
        memcmp(prefrl_adam_v(a->nets.critic_opt), prefrl_adam_v(b->nets.critic_opt),
               sizeof(float) * prefrl_adam_size(a->nets.critic_opt)) == 0 &&
        memcmp(prefrl_adam_m(a->nets.actor_opt), prefrl_adam_m(b->nets.actor_opt),
               sizeof(float) * prefrl_adam_size(a->nets.actor_opt)) == 0 &&
        a->log_alpha == b->log_alpha && memcmp(a->rng.s, b->rng.s, sizeof a->rng.s) == 0;
    ck_assert_msg(eq == same, same ? "states differ" : "states are identical");
}

START_TEST(test_determinism)
{
    PrefrlInstance *a = new_agent(4, 2, 15, NULL), *b = new_agent(4, 2, 15, NULL),
                   *c = new_agent(4, 2, 16, NULL);
    assert_same_state(sac_of(a), sac_of(b), TRUE);
    assert_same_state(sac_of(a), sac_of(c), FALSE);
    PrefrlRng data;
    prefrl_rng_init(&data, 6, "data");
    for (int64_t step = 1; step <= 20; step++) {
        TestBatch t;
        batch_init(&t, &data, 8, 4, 2);
        update(a, &t.b, step);
        update(b, &t.b, step);
        update(c, &t.b, step);
        batch_clear(&t);
    }
    assert_same_state(sac_of(a), sac_of(b), TRUE);
    assert_same_state(sac_of(a), sac_of(c), FALSE);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
    prefrl_instance_free(c);
}
END_TEST

/* a batch carrying V̄(s') (MRN's shared value) uses it instead of drawing a':
 * drawing it through the view first, then updating with it, is the same as
 * the update drawing it itself; a different V̄ gives a different critic */
START_TEST(test_shared_next_value)
{
    PrefrlInstance *a = new_agent(4, 2, 15, NULL), *b = new_agent(4, 2, 15, NULL),
                   *c = new_agent(4, 2, 15, NULL);
    PrefrlRng data;
    prefrl_rng_init(&data, 6, "data");
    TestBatch t;
    batch_init(&t, &data, 8, 4, 2);
    float v[8];
    const PrefrlCriticView *cv = ops_of(a)->critic_view(a->self);
    cv->target_value(cv->agent, t.next_obs, 8, v);
    PrefrlBatch shared = t.b;
    shared.next_value = v;
    update(a, &shared, 1);
    update(b, &t.b, 1);
    assert_same_state(sac_of(a), sac_of(b), TRUE);
    /* c: the same stream position, but another V̄ */
    const PrefrlCriticView *cc = ops_of(c)->critic_view(c->self);
    float w[8];
    cc->target_value(cc->agent, t.next_obs, 8, w);
    for (int i = 0; i < 8; i++)
        w[i] += 1.0f;
    shared.next_value = w;
    update(c, &shared, 1);
    assert_same_state(sac_of(a), sac_of(c), FALSE);
    batch_clear(&t);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
    prefrl_instance_free(c);
}
END_TEST

START_TEST(test_reset_critic)
{
    PrefrlInstance *inst = new_agent(4, 2, 17, NULL);
    Sac *s = sac_of(inst);
    PrefrlRng data;
    prefrl_rng_init(&data, 7, "data");
    for (int64_t step = 1; step <= 5; step++) {
        TestBatch t;
        batch_init(&t, &data, 8, 4, 2);
        update(inst, &t.b, step);
        batch_clear(&t);
    }
    size_t na = prefrl_mlp_n_params(s->nets.actor), nc = prefrl_ensemble_n_params(s->nets.critic);
    float *actor = g_memdup2(prefrl_mlp_params(s->nets.actor), sizeof(float) * na);
    float *actor_m = g_memdup2(prefrl_adam_m(s->nets.actor_opt), sizeof(float) * na);
    float *critic = g_memdup2(prefrl_ensemble_params(s->nets.critic), sizeof(float) * nc);
    float log_alpha = s->log_alpha;
    int64_t actor_steps = prefrl_adam_steps(s->nets.actor_opt);
    int64_t alpha_steps = prefrl_adam_steps(s->nets.alpha_opt);
    ck_assert_int_eq(prefrl_adam_steps(s->nets.critic_opt), 5);

    ops_of(inst)->reset_critic(s);
    const float *now = prefrl_ensemble_params(s->nets.critic);
    size_t changed = 0;
    for (size_t i = 0; i < nc; i++)
        changed += now[i] != critic[i];
    ck_assert_msg(changed > nc / 2, "only %zu of %zu critic parameters changed", changed, nc);
    ck_assert_int_eq(memcmp(prefrl_ensemble_params(s->nets.target), now, sizeof(float) * nc), 0);
    ck_assert_int_eq(prefrl_adam_steps(s->nets.critic_opt), 0);
    ck_assert_float_eq(prefrl_adam_v(s->nets.critic_opt)[0], 0.0f);
    /* biases zero, as a fresh orthogonal init */
    ck_assert_float_eq(prefrl_mlp_bias(s->heads[1], 0)[3], 0.0f);
    ck_assert_int_eq(memcmp(prefrl_mlp_params(s->nets.actor), actor, sizeof(float) * na), 0);
    ck_assert_int_eq(memcmp(prefrl_adam_m(s->nets.actor_opt), actor_m, sizeof(float) * na), 0);
    ck_assert_int_eq(prefrl_adam_steps(s->nets.actor_opt), actor_steps);
    ck_assert_int_eq(prefrl_adam_steps(s->nets.alpha_opt), alpha_steps);
    ck_assert_float_eq(s->log_alpha, log_alpha);
    /* the view follows the critic */
    const PrefrlCriticView *view = ops_of(inst)->critic_view(s);
    ck_assert_ptr_eq(prefrl_mlp_params(view->heads[0]), now);
    g_free(actor);
    g_free(actor_m);
    g_free(critic);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* critic view */

START_TEST(test_critic_view)
{
    const char *ov[] = {"critic_lr=3e-4", "discount=0.97", NULL};
    PrefrlInstance *inst = new_agent(4, 2, 18, ov);
    Sac *s = sac_of(inst);
    ck_assert(inst->component->flags & PREFRL_FLAG_CRITIC_VIEW);
    PrefrlRng data;
    prefrl_rng_init(&data, 8, "data");
    for (int64_t step = 1; step <= 4; step++) {
        TestBatch t;
        batch_init(&t, &data, 8, 4, 2);
        update(inst, &t.b, step);
        batch_clear(&t);
    }
    const PrefrlCriticView *view = ops_of(inst)->critic_view(s);
    ck_assert_uint_eq(view->struct_size, sizeof(PrefrlCriticView));
    ck_assert_int_eq(view->n_heads, 2);
    ck_assert_float_eq(view->lr, 3e-4f);
    ck_assert_float_eq(view->discount, 0.97f);
    ck_assert_ptr_eq(view->agent, s);
    ck_assert_int_eq(prefrl_mlp_in_dim(view->heads[1]), 6);
    ck_assert_int_eq(prefrl_mlp_out_dim(view->heads[1]), 1);

    /* 20 rows: more than one batch, so chunking shows */
    enum { N = 20 };
    float next_obs[N * 4], v[N], eps[N * 2];
    for (int i = 0; i < N * 4; i++)
        next_obs[i] = (float)prefrl_rng_range(&data, -1, 1);
    size_t na = prefrl_mlp_n_params(s->nets.actor), nc = prefrl_ensemble_n_params(s->nets.critic);
    float *actor = g_memdup2(prefrl_mlp_params(s->nets.actor), sizeof(float) * na);
    float *critic = g_memdup2(prefrl_ensemble_params(s->nets.critic), sizeof(float) * nc);
    float *target = g_memdup2(prefrl_ensemble_params(s->nets.target), sizeof(float) * nc);
    float log_alpha = s->log_alpha;
    PrefrlRng rng0 = s->rng;
    view->target_value(view->agent, next_obs, N, v);

    ck_assert_int_eq(memcmp(prefrl_mlp_params(s->nets.actor), actor, sizeof(float) * na), 0);
    ck_assert_int_eq(memcmp(prefrl_ensemble_params(s->nets.critic), critic, sizeof(float) * nc),
                     0);
    ck_assert_int_eq(memcmp(prefrl_ensemble_params(s->nets.target), target, sizeof(float) * nc),
                     0);
    ck_assert_float_eq(s->log_alpha, log_alpha);

    /* V̄ = min of the *target* heads − α log π, with a' from the agent's stream */
    prefrl_rng_normal_fill(&rng0, eps, N * 2);
    ck_assert_int_eq(memcmp(rng0.s, s->rng.s, sizeof rng0.s), 0);
    double *pa = to_double(actor, na), *pt = to_double(target, nc), ref[N];
    ref_target_value(s, pa, pt, exp((double)log_alpha), next_obs, N, eps, ref);
    for (int b = 0; b < N; b++)
        ck_assert_msg(fabs(v[b] - ref[b]) <= 1e-4 * (1 + fabs(ref[b])), "row %d: %g vs %g", b,
                      v[b], ref[b]);
    g_free(pa);
    g_free(pt);
    g_free(actor);
    g_free(critic);
    g_free(target);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* act, save / load */

START_TEST(test_act)
{
    PrefrlInstance *inst = new_agent(4, 3, 19, NULL);
    Sac *s = sac_of(inst);
    const PrefrlAgentOps *ops = ops_of(inst);
    float obs[4] = {0.3f, -0.2f, 0.9f, 0.1f}, a[3], b[3], out[6];
    ops->act(s, obs, TRUE, a);
    ops->act(s, obs, TRUE, b);
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    /* the mode is tanh(μ) */
    memcpy(out, prefrl_mlp_forward(s->nets.actor, obs, 1), sizeof out);
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq_tol(a[i], tanhf(out[i]), 1e-6f);
    /* samples differ from each other and stay in [-1, 1] */
    PrefrlRng before = s->rng;
    ops->act(s, obs, FALSE, a);
    ck_assert_int_ne(memcmp(before.s, s->rng.s, sizeof before.s), 0);
    ops->act(s, obs, FALSE, b);
    ck_assert_int_ne(memcmp(a, b, sizeof a), 0);
    for (int i = 0; i < 3; i++)
        ck_assert(a[i] >= -1.0f && a[i] <= 1.0f);
    ck_assert_int_eq(ops->batch_size(s), 8);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_save_load)
{
    PrefrlInstance *a = new_agent(4, 2, 20, NULL), *b = new_agent(4, 2, 21, NULL);
    const PrefrlComponent *c = a->component;
    const PrefrlAgentOps *ops = ops_of(a);
    PrefrlRng data;
    prefrl_rng_init(&data, 9, "data");
    TestBatch t;
    for (int64_t step = 1; step <= 3; step++) {
        batch_init(&t, &data, 8, 4, 2);
        update(a, &t.b, step);
        batch_clear(&t);
    }
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "agent.bin", NULL);
    char *bad = g_build_filename(dir, "bad.bin", NULL);
    GError *err = NULL;
    ck_assert_msg(ckpt_test_save(c, a->self, path, &err), "save: %s", err ? err->message : "?");
    ck_assert_msg(ckpt_test_load(c, b->self, path, &err), "load: %s", err ? err->message : "?");
    assert_same_state(sac_of(a), sac_of(b), TRUE);

    /* identical actions (the sample too: the stream is restored) */
    float obs[4] = {0.1f, 0.2f, -0.3f, 0.4f}, xa[2], xb[2];
    for (int det = 0; det < 2; det++) {
        ops->act(a->self, obs, det, xa);
        ops->act(b->self, obs, det, xb);
        ck_assert_int_eq(memcmp(xa, xb, sizeof xa), 0);
    }
    /* and an identical next update (Adam moments and step counts restored) */
    batch_init(&t, &data, 8, 4, 2);
    update(a, &t.b, 4);
    update(b, &t.b, 4);
    batch_clear(&t);
    assert_same_state(sac_of(a), sac_of(b), TRUE);
    ck_assert_int_eq(prefrl_adam_steps(sac_of(b)->nets.critic_opt), 4);
    ck_assert_ptr_eq(prefrl_mlp_params(sac_of(b)->heads[0]),
                     prefrl_ensemble_params(sac_of(b)->nets.critic));

    /* a truncated or damaged checkpoint is refused, naming the file, and
     * leaves the agent as it was */
    gsize size;
    char *bytes = ckpt_test_read(path, &size);
    PrefrlInstance *d = new_agent(4, 2, 22, NULL), *e = new_agent(4, 2, 22, NULL);
    ckpt_test_write(bad, bytes, size - 100);
    ck_assert(!ckpt_test_load(c, d->self, bad, &err));
    ckpt_test_refused(&err, bad, "truncated");
    assert_same_state(sac_of(d), sac_of(e), TRUE);
    bytes[40] ^= 0x10;
    ckpt_test_write(bad, bytes, size);
    bytes[40] ^= 0x10;
    ck_assert(!ckpt_test_load(c, d->self, bad, &err));
    ckpt_test_refused(&err, bad, "checksum mismatch");
    assert_same_state(sac_of(d), sac_of(e), TRUE);

    /* another component's checkpoint is refused by name */
    PrefrlCkpt *k = prefrl_ckpt_open_write(bad, NULL);
    prefrl_ckpt_put_tag(k, "agent/ppo", 2);
    ck_assert(prefrl_ckpt_close(k, NULL));
    ck_assert(!ckpt_test_load(c, d->self, bad, &err));
    ckpt_test_refused(&err, bad, "holds agent/ppo version 2 where agent/sac version 2");
    assert_same_state(sac_of(d), sac_of(e), TRUE);

    /* another network size is refused with both shapes named */
    const char *wide[] = {"hidden_dim=24", NULL};
    PrefrlInstance *w = new_agent(4, 2, 23, wide);
    ck_assert(!ckpt_test_load(w->component, w->self, path, &err));
    ckpt_test_refused(&err, path, "hidden 16 x 2");
    ck_assert(!ckpt_test_load(w->component, w->self, path, &err));
    ckpt_test_refused(&err, path, "hidden 24 x 2");
    g_free(bytes);
    g_free(bad);
    g_free(path);
    ckpt_test_rmdir(dir);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
    prefrl_instance_free(d);
    prefrl_instance_free(e);
    prefrl_instance_free(w);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* errors */

START_TEST(test_errors)
{
    GError *err = NULL;
    PrefrlEnvInfo env = {.struct_size = sizeof env, .obs_dim = 4, .act_dim = 2};
    const char *bad_std[] = {"log_std_min=1", "log_std_max=0", NULL};
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_AGENT, "sac",
                                               bad_std, 1, &env, &err);
    ck_assert_ptr_null(inst);
    ck_assert_msg(strstr(err->message, "log_std_min"), "%s", err->message);
    g_clear_error(&err);
    inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_AGENT, "sac", NULL, 1, NULL,
                               &err);
    ck_assert_ptr_null(inst);
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    g_clear_error(&err);

    /* a batch from another environment is refused */
    inst = new_agent(4, 2, 1, NULL);
    PrefrlRng data;
    prefrl_rng_init(&data, 10, "data");
    TestBatch t;
    batch_init(&t, &data, 8, 4, 2);
    t.b.obs_dim = 5;
    ck_assert(!ops_of(inst)->update(inst->self, &t.b, 1, NULL, &err));
    ck_assert_msg(strstr(err->message, "obs 5"), "%s", err->message);
    g_clear_error(&err);
    /* a non-finite reward stops the update before any step */
    t.b.obs_dim = 4;
    t.reward[3] = NAN;
    Sac *s = sac_of(inst);
    float c0 = prefrl_ensemble_params(s->nets.critic)[0];
    ck_assert(!ops_of(inst)->update(inst->self, &t.b, 1, NULL, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_NUMERIC));
    ck_assert_msg(strstr(err->message, "critic loss is nan") &&
                      strstr(err->message, "no parameter was changed"),
                  "%s", err->message);
    ck_assert_float_eq(prefrl_ensemble_params(s->nets.critic)[0], c0);
    g_clear_error(&err);
    batch_clear(&t);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* learning */

/* a contextual bandit: reward −‖a − f(s)‖², every step terminal; SAC's
 * deterministic action must beat random actions by a wide margin */
enum { BD = 3, BA = 2, BB = 128 };

static void bandit_target(const float *s, float *f)
{
    static const float M[BA][BD] = {{1.2f, -0.7f, 0.4f}, {-0.3f, 0.9f, 1.1f}};
    for (int i = 0; i < BA; i++) {
        float z = 0;
        for (int j = 0; j < BD; j++)
            z += M[i][j] * s[j];
        f[i] = 0.7f * tanhf(z);
    }
}

static float bandit_reward(const float *s, const float *a)
{
    float f[BA], r = 0;
    bandit_target(s, f);
    for (int i = 0; i < BA; i++)
        r -= (a[i] - f[i]) * (a[i] - f[i]);
    return r;
}

START_TEST(test_learns_bandit)
{
    const char *ov[] = {"hidden_dim=64", "batch_size=128", "actor_lr=1e-3", "critic_lr=1e-3",
                        "alpha_lr=1e-3", NULL};
    PrefrlEnvInfo env = {.struct_size = sizeof env, .obs_dim = BD, .act_dim = BA};
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_AGENT, "sac",
                                               ov, 5, &env, &err);
    ck_assert_msg(inst != NULL, "%s", err ? err->message : "?");
    const PrefrlAgentOps *ops = ops_of(inst);
    PrefrlRng data;
    prefrl_rng_init(&data, 11, "bandit");
    float obs[BB * BD], act[BB * BA], rew[BB], next[BB * BD], zero[BB];
    memset(zero, 0, sizeof zero);
    PrefrlBatch b = {.size = BB, .obs_dim = BD, .act_dim = BA, .obs = obs, .action = act,
                     .reward = rew, .next_obs = next, .not_done = zero, .not_done_no_max = zero};
    for (int64_t step = 1; step <= 400; step++) {
        /* off-policy data: uniform states and actions */
        for (int i = 0; i < BB * BD; i++) {
            obs[i] = (float)prefrl_rng_range(&data, -1, 1);
            next[i] = (float)prefrl_rng_range(&data, -1, 1);
        }
        for (int i = 0; i < BB * BA; i++)
            act[i] = (float)prefrl_rng_range(&data, -1, 1);
        for (int i = 0; i < BB; i++)
            rew[i] = bandit_reward(obs + i * BD, act + i * BA);
        ck_assert_msg(ops->update(inst->self, &b, step, NULL, &err), "%s",
                      err ? err->message : "?");
    }
    double learned = 0, random = 0;
    for (int i = 0; i < 500; i++) {
        float s[BD], a[BA], u[BA];
        for (int j = 0; j < BD; j++)
            s[j] = (float)prefrl_rng_range(&data, -1, 1);
        for (int j = 0; j < BA; j++)
            u[j] = (float)prefrl_rng_range(&data, -1, 1);
        ops->act(inst->self, s, TRUE, a);
        learned += bandit_reward(s, a) / 500;
        random += bandit_reward(s, u) / 500;
    }
    ck_assert_msg(learned > -0.1 && learned > random + 0.5,
                  "mean reward: SAC %.4f, random %.4f", learned, random);
    prefrl_instance_free(inst);
}
END_TEST

static Suite *sac_suite(void)
{
    Suite *s = suite_create("agent_sac");
    TCase *tc = tcase_create("gradients");
    tcase_add_test(tc, test_critic_gradient);
    tcase_add_test(tc, test_actor_gradient);
    tcase_add_test(tc, test_temperature);
    suite_add_tcase(s, tc);
    tc = tcase_create("core");
    tcase_add_test(tc, test_target_polyak);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_shared_next_value);
    tcase_add_test(tc, test_reset_critic);
    tcase_add_test(tc, test_critic_view);
    tcase_add_test(tc, test_act);
    tcase_add_test(tc, test_save_load);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("learning");
    tcase_add_test(tc, test_learns_bandit);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(sac_suite());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
