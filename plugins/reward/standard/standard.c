/* prefrl-reward-standard.so: the reward learners of the paper and its
 * baselines, sharing one ensemble reward model (reward_model.c). */
#include "standard.h"

static const PrefrlComponent *const components[] = {&reward_pebble, &reward_true, &reward_mrn,
                                                  &reward_surf, NULL};

static const PrefrlPlugin plugin = {
    .abi_version = PREFRL_ABI_VERSION,
    .struct_size = sizeof(PrefrlPlugin),
    .name = "reward-standard",
    .version = PACKAGE_VERSION,
    .components = components,
};

PREFRL_PLUGIN_EXPORT const PrefrlPlugin *prefrl_plugin_entry(void);
const PrefrlPlugin *prefrl_plugin_entry(void)
{
    return &plugin;
}
