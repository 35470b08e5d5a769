/* Reading `prefrl report`'s results back in the report and sweep tests:
 * a run's final value and normalised area from its eval.csv, computed here
 * independently of the report; summary.csv's row of a group; the two-seed
 * mean and standard deviation the report must print.  Header-only. */
#ifndef PREFRL_REPORT_TEST_H
#define PREFRL_REPORT_TEST_H

#include <math.h>
#include <string.h>
#include <check.h>
#include <glib.h>

#include "files_test.h"

/** The last value of `column` in run/eval.csv, and the trapezoidal area of
 *  its curve over `step` divided by the step span. */
static inline void report_test_eval_stats(const char *run, const char *column, double *final,
                                          double *auc)
{
    char *text = test_slurp(run, "eval.csv");
    char **lines = g_strsplit(text, "\n", -1);
    char **head = g_strsplit(lines[0], ",", -1);
    int col = -1, step = -1;
    for (int j = 0; head[j]; j++) {
        if (!strcmp(head[j], column))
            col = j;
        if (!strcmp(head[j], "step"))
            step = j;
    }
    ck_assert_msg(col >= 0 && step >= 0, "%s: no %s column", run, column);
    double area = 0, x0 = 0, px = 0, py = 0;
    int n = 0;
    for (int i = 1; lines[i] && lines[i][0]; i++, n++) {
        char **f = g_strsplit(lines[i], ",", -1);
        double x = g_ascii_strtod(f[step], NULL), y = g_ascii_strtod(f[col], NULL);
        if (n == 0)
            x0 = x;
        else
            area += (x - px) * (y + py) / 2;
        px = x;
        py = y;
        g_strfreev(f);
    }
    ck_assert_int_gt(n, 1);
    *final = py;
    *auc = area / (px - x0);
    g_strfreev(head);
    g_strfreev(lines);
    g_free(text);
}

/** The one row of summary.csv whose method (second field) is `method`, as
 *  fields split on commas (the tests' labels need no quoting). */
static inline char **report_test_row(const char *csv, const char *method)
{
    char **lines = g_strsplit(csv, "\n", -1);
    char **row = NULL;
    int found = 0;
    for (int i = 1; lines[i] && lines[i][0]; i++) {
        char **f = g_strsplit(lines[i], ",", -1);
        if (f[0] && f[1] && !strcmp(f[1], method) && !found++)
            row = f;
        else
            g_strfreev(f);
    }
    g_strfreev(lines);
    ck_assert_msg(found == 1, "%d rows for '%s' in\n%s", found, method, csv);
    return row;
}

/** got is want to a relative 1e-6 (the report prints 9 digits). */
static inline void report_test_assert_close(double got, double want, const char *what)
{
    ck_assert_msg(fabs(got - want) <= 1e-6 * MAX(1.0, fabs(want)), "%s: report %.9g, runs %.9g",
                  what, got, want);
}

/** row[col] and row[col + 1] are the mean and sample standard deviation of
 *  the two seeds' values a and b. */
static inline void report_test_assert_two_seeds(char **row, int col, double a, double b,
                                                const char *what)
{
    char *m = g_strdup_printf("%s mean", what), *s = g_strdup_printf("%s std", what);
    report_test_assert_close(g_ascii_strtod(row[col], NULL), (a + b) / 2, m);
    report_test_assert_close(g_ascii_strtod(row[col + 1], NULL), fabs(a - b) / sqrt(2.0), s);
    g_free(m);
    g_free(s);
}

#endif
