/* Recipe trees: a YAML document parsed into nodes that remember where they
 * came from (file:line:col), so every error can point at the offending text.
 *
 * Plugins receive their section of a *validated* recipe: every key of their
 * parameter schema is present (defaults written out) and has the schema's
 * type, so the prefrl_param_* getters cannot fail on a key the schema lists. */
#ifndef PREFRL_RECIPE_H
#define PREFRL_RECIPE_H

#include <glib.h>

G_BEGIN_DECLS

/** A node of a recipe tree: a scalar, a mapping or a sequence (opaque). */
typedef struct PrefrlNode PrefrlNode;

typedef enum {
    PREFRL_NODE_SCALAR = 1,
    PREFRL_NODE_MAP,
    PREFRL_NODE_LIST
} PrefrlNodeKind;

/** Kind of `node`. */
PrefrlNodeKind prefrl_node_kind(const PrefrlNode *node);

/** Child of mapping `map` under `key`, or NULL (transfer none). */
const PrefrlNode *prefrl_node_get(const PrefrlNode *map, const char *key);

/** Number of entries of a mapping or sequence (0 for a scalar). */
guint prefrl_node_size(const PrefrlNode *node);

/** i-th entry of a mapping or sequence (transfer none); for a mapping the key
 *  is returned in *key when key is not NULL. */
const PrefrlNode *prefrl_node_at(const PrefrlNode *node, guint i, const char **key);

/** Text of a scalar node, NULL for other kinds (transfer none). */
const char *prefrl_node_text(const PrefrlNode *node);

/** Where `node` was written: file name (transfer none), 1-based line and column.
 *  Values set from the command line report file "<command line>". */
void prefrl_node_location(const PrefrlNode *node, const char **file, int *line, int *col);

/** Typed getters for a validated parameter section.  Calling one for a key
 *  that is absent or of another type is a programming error (g_critical) and
 *  returns 0 / NULL. */
gint64 prefrl_param_int(const PrefrlNode *params, const char *key);
double prefrl_param_float(const PrefrlNode *params, const char *key);
gboolean prefrl_param_bool(const PrefrlNode *params, const char *key);
const char *prefrl_param_string(const PrefrlNode *params, const char *key);

G_END_DECLS

#endif
