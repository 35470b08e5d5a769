/* Suites of the core test program (tests/core/check_core). */
#ifndef PREFRL_CHECK_SUITES_H
#define PREFRL_CHECK_SUITES_H

#include <check.h>

Suite *rng_suite(void);
Suite *recipe_suite(void);
Suite *registry_suite(void);
Suite *component_suite(void);
Suite *cli_suite(void);
Suite *sizes_suite(void);

/* the fixture plugins built with the tests */
#define FIXTURE_GOOD TEST_BUILDDIR "/common/fixtures/.libs/prefrl-fixture-good.so"
#define FIXTURE_ABI TEST_BUILDDIR "/common/fixtures/.libs/prefrl-fixture-abi.so"
#define FIXTURE_NOSYM TEST_BUILDDIR "/common/fixtures/.libs/prefrl-fixture-nosym.so"
#define FIXTURE_OLD TEST_BUILDDIR "/common/fixtures/.libs/prefrl-fixture-old.so"
#define FIXTURE_NEWER TEST_BUILDDIR "/common/fixtures/.libs/prefrl-fixture-newer.so"
#define FIXTURE_PBRL TEST_BUILDDIR "/common/fixtures/.libs/prefrl-fixture-pbrl.so"
/* built-in plugins some core tests run with */
#define PLUGIN_SAMPLERS \
    TEST_BUILDDIR "/../plugins/sampler/standard/.libs/prefrl-sampler-standard.so"
#define PLUGIN_TEACHER \
    TEST_BUILDDIR "/../plugins/teacher/scripted/.libs/prefrl-teacher-scripted.so"
#define RECIPES TEST_SRCDIR "/common/recipes/"

#endif
