/* The names of the plugin kinds (prefrl/plugin.h), as recipes, the command
 * line and messages spell them. */
#include "config.h"
#include <prefrl/plugin.h>

static const char *const kind_names[] = {NULL, "env", "agent", "reward", "sampler", "teacher"};

const char *prefrl_kind_name(PrefrlKind kind)
{
    return kind >= 1 && kind <= PREFRL_N_KINDS ? kind_names[kind] : "?";
}

const char *prefrl_kind_selector(PrefrlKind kind)
{
    return kind == PREFRL_KIND_ENV ? "task" : "name";
}

PrefrlKind prefrl_kind_from_name(const char *name)
{
    for (int k = 1; k <= PREFRL_N_KINDS; k++)
        if (!g_strcmp0(name, kind_names[k]))
            return k;
    return 0;
}
