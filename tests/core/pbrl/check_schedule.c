/* Query rounds sized as the reference (BPref's train_PEBBLE.py):
 * int(reward_batch · frac) queries, frac from trainer.reward_schedule at the
 * round's step, never capped at reward_batch; only a round after the first
 * is cut to what is left of the budget.  So `increase` asks more per round
 * than `constant`, and a first round larger than the budget (pre-training
 * ending late) fits the preference buffer.  Read back from labels.csv. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <check.h>

#include "host/recipe.h"
#include "pbrl/trainer.h"
#include "pbrl_test.h"
#include "check_run.h"

static const char *const SAC[] = {"agent.name=sac", "agent.hidden_dim=16", "agent.hidden_depth=2",
                                  "agent.batch_size=16", NULL};
static const char *const PEBBLE[] = {"reward.name=pebble", "reward.hidden_dim=16",
                                     "reward.reward_update=5", NULL};

enum { MAX_ROUNDS = 64 };

/* the rounds of labels.csv: steps and queries per round */
typedef struct {
    int n;
    long step[MAX_ROUNDS];
    int size[MAX_ROUNDS];
} Rounds;

/* train the short problem (1200 steps, reward_batch 10, budget 40) with
 * `extra` in a fresh directory and read its rounds */
static Rounds run_rounds(const char *name, const char *const *extra)
{
    char *dir = pbrl_test_run_dir(name);
    PrefrlNode *root = pbrl_test_short_recipe(SAC, PEBBLE, extra);
    pbrl_test_train(root, dir);
    prefrl_node_free(root);
    char *csv = test_slurp(dir, "labels.csv");
    char **rows = g_strsplit(csv, "\n", -1);
    ck_assert_str_eq(rows[0], "round,step,pair,label,true_return1,true_return2");
    Rounds r = {0};
    for (char **row = rows + 1; *row && **row; row++) {
        int round, pair;
        long step;
        ck_assert(sscanf(*row, "%d,%ld,%d,", &round, &step, &pair) == 3);
        ck_assert_int_ge(round, 1);
        ck_assert_int_le(round, MAX_ROUNDS);
        if (round > r.n) {
            ck_assert_int_eq(round, r.n + 1);
            r.n = round;
            r.step[round - 1] = step;
        }
        ck_assert_int_eq(step, r.step[round - 1]);
        ck_assert_int_eq(pair, r.size[round - 1]); /* pairs numbered from 0 */
        r.size[round - 1]++;
    }
    g_strfreev(rows);
    g_free(csv);
    g_free(dir);
    return r;
}

/* the reference's round sizes for the rounds' steps: frac by the schedule
 * (T = 1200), int(10 · frac), later rounds cut to the budget of 40 */
static void assert_reference_sizes(const Rounds *r, const char *schedule)
{
    const double T = 1200;
    long total = 0;
    for (int i = 0; i < r->n; i++) {
        double s = (double)r->step[i], frac = 1;
        if (!strcmp(schedule, "increase"))
            frac = T / (T - s + 1);
        else if (!strcmp(schedule, "decay"))
            frac = (T - s) / T;
        long want = (long)floor(10 * frac);
        if (i > 0 && want + total > 40)
            want = 40 - total;
        ck_assert_msg(r->size[i] == want, "%s: round %d at step %ld asked %d, want %ld",
                      schedule, i + 1, r->step[i], r->size[i], want);
        total += want;
    }
}

START_TEST(test_increase_differs_from_constant)
{
    const char *const constant[] = {"trainer.reward_schedule=constant", NULL};
    const char *const increase[] = {"trainer.reward_schedule=increase", NULL};
    const char *const decay[] = {"trainer.reward_schedule=decay", NULL};
    Rounds c = run_rounds("schedule-constant", constant);
    Rounds i = run_rounds("schedule-increase", increase);
    Rounds d = run_rounds("schedule-decay", decay);
    ck_assert_int_eq(c.n, 4);
    assert_reference_sizes(&c, "constant");
    assert_reference_sizes(&i, "increase");
    assert_reference_sizes(&d, "decay");
    /* increase: 11 at step 200, then more than reward_batch until the budget
     * is spent in fewer rounds than constant's four of 10 */
    ck_assert_int_eq(i.step[0], 200);
    ck_assert_int_eq(i.size[0], 11);
    ck_assert_int_gt(i.size[1], 10);
    ck_assert_int_lt(i.n, c.n);
    ck_assert_int_eq(d.size[0], 8); /* int(10 · 1000/1200) */
}
END_TEST

/* pre-training ends at step 1000 of 1200: the increasing schedule's first
 * round asks int(10 · 1200/201) = 59 queries, more than the budget of 40 and
 * the reward_batch the buffers used to be sized for; all are asked and kept */
START_TEST(test_large_first_round_fits)
{
    const char *const late[] = {"trainer.reward_schedule=increase", "trainer.num_unsup_steps=900",
                                NULL};
    Rounds r = run_rounds("schedule-late", late);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.step[0], 1000);
    ck_assert_int_eq(r.size[0], 59);
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_increase_differs_from_constant);
    tcase_add_test(tc, test_large_first_round_fits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(schedule_suite());
    return failed ? 1 : 0;
}
