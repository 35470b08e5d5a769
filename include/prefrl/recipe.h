/* Recipe trees: a YAML document parsed into nodes that remember where they
 * came from (file:line:col), so every error can point at the offending text.
 * A plugin reads its own section with the typed getters of prefrl/schema.h. */
#ifndef PREFRL_RECIPE_H
#define PREFRL_RECIPE_H

#include <glib.h>

#include <prefrl/export.h>

G_BEGIN_DECLS

/** A node of a recipe tree: a scalar, a mapping or a sequence (opaque). */
typedef struct PrefrlNode PrefrlNode;

typedef enum {
    PREFRL_NODE_SCALAR = 1,
    PREFRL_NODE_MAP,
    PREFRL_NODE_LIST
} PrefrlNodeKind;

/** Kind of `node`. */
PREFRL_API PrefrlNodeKind prefrl_node_kind(const PrefrlNode *node);

/** Child of mapping `map` under `key`, or NULL (transfer none). */
PREFRL_API const PrefrlNode *prefrl_node_get(const PrefrlNode *map, const char *key);

/** Number of entries of a mapping or sequence (0 for a scalar). */
PREFRL_API guint prefrl_node_size(const PrefrlNode *node);

/** i-th entry of a mapping or sequence (transfer none); for a mapping the key
 *  is returned in *key when key is not NULL. */
PREFRL_API const PrefrlNode *prefrl_node_at(const PrefrlNode *node, guint i, const char **key);

/** Text of a scalar node, NULL for other kinds (transfer none). */
PREFRL_API const char *prefrl_node_text(const PrefrlNode *node);

/** Where `node` was written: file name (transfer none), 1-based line and column.
 *  Values set from the command line report file "<command line>". */
PREFRL_API void prefrl_node_location(const PrefrlNode *node, const char **file, int *line,
                                     int *col);

G_END_DECLS

#endif
