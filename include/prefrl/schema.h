/* Parameters as a component reads them (implemented in core/host/schema.c).
 *
 * Plugins receive their section of a *validated* recipe: every key of their
 * parameter schema (the PrefrlParamSpec table of their component) is present,
 * defaults written out, and has the schema's type, so the typed getters below
 * cannot fail on a key the schema lists. */
#ifndef PREFRL_SCHEMA_H
#define PREFRL_SCHEMA_H

#include <glib.h>

#include <prefrl/export.h>
#include <prefrl/recipe.h>

G_BEGIN_DECLS

/** Typed getters for a validated parameter section.  Calling one for a key
 *  that is absent or of another type is a programming error (g_critical) and
 *  returns 0 / NULL. */
PREFRL_API gint64 prefrl_param_int(const PrefrlNode *params, const char *key);
/** The float parameter `key` (integers read as floats); see prefrl_param_int. */
PREFRL_API double prefrl_param_float(const PrefrlNode *params, const char *key);
/** The boolean parameter `key`; see prefrl_param_int. */
PREFRL_API gboolean prefrl_param_bool(const PrefrlNode *params, const char *key);
/** The string or choice parameter `key` (transfer none); see prefrl_param_int. */
PREFRL_API const char *prefrl_param_string(const PrefrlNode *params, const char *key);

G_END_DECLS

#endif
