/* The core test program: RNG, recipes, plugin loader, components outside a
 * run, CLI. */
#include <stdlib.h>
#include "check_suites.h"

int main(void)
{
    SRunner *sr = srunner_create(rng_suite());
    srunner_add_suite(sr, recipe_suite());
    srunner_add_suite(sr, registry_suite());
    srunner_add_suite(sr, component_suite());
    srunner_add_suite(sr, sizes_suite());
    srunner_add_suite(sr, cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
