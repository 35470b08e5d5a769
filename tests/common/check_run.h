/* The one way every test program runs its Check suite: all its tests, the
 * normal report, and the number that failed (for main's exit status). */
#ifndef PREFRL_TEST_CHECK_RUN_H
#define PREFRL_TEST_CHECK_RUN_H

#include <check.h>

/* run s (the runner takes it), print Check's normal report, return the
 * number of failed tests */
static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

#endif
