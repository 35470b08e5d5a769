/* Suites of the core test program (tests/check_core). */
#ifndef PREFRL_CHECK_SUITES_H
#define PREFRL_CHECK_SUITES_H

#include <check.h>

Suite *rng_suite(void);
Suite *recipe_suite(void);
Suite *registry_suite(void);
Suite *component_suite(void);
Suite *cli_suite(void);

/* the fixture plugins built with the tests */
#define FIXTURE_GOOD TEST_BUILDDIR "/fixtures/.libs/prefrl-fixture-good.so"
#define FIXTURE_ABI TEST_BUILDDIR "/fixtures/.libs/prefrl-fixture-abi.so"
#define FIXTURE_NOSYM TEST_BUILDDIR "/fixtures/.libs/prefrl-fixture-nosym.so"
#define FIXTURE_OLD TEST_BUILDDIR "/fixtures/.libs/prefrl-fixture-old.so"
#define FIXTURE_NEWER TEST_BUILDDIR "/fixtures/.libs/prefrl-fixture-newer.so"
#define RECIPES TEST_SRCDIR "/recipes/"

#endif
