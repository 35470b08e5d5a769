/* Recipe loading (core-internal): YAML → PrefrlNode tree with locations,
 * composition through `defaults:`/`include:`, command-line overrides, and
 * YAML output of a resolved tree. */
#ifndef PREFRL_CORE_RECIPE_H
#define PREFRL_CORE_RECIPE_H

#include <prefrl/recipe.h>
#include <prefrl/error.h>

/** Limits that keep hostile input from exhausting memory or time. */
#define PREFRL_RECIPE_MAX_BYTES (4u << 20)   /* 4 MiB per file */
#define PREFRL_RECIPE_MAX_DEPTH 32           /* nesting of maps/lists */
#define PREFRL_RECIPE_MAX_NODES 100000       /* nodes per file */
#define PREFRL_RECIPE_MAX_INCLUDES 64        /* files in one composition */

struct PrefrlNode {
    PrefrlNodeKind kind;
    char *text;           /* scalar text (owned); NULL for maps and lists */
    gboolean quoted;      /* scalar was quoted in the source: always a string */
    GPtrArray *items;     /* children of a map or list (owned, PrefrlNode*) */
    char *key;            /* key when this node is a map value (owned) */
    const char *file;     /* interned file name */
    int line, col;        /* 1-based position of the value */
    int key_line, key_col;/* 1-based position of the key (map values) */
};

/** Parse one YAML file (no composition).  An empty document is an error. */
PrefrlNode *prefrl_recipe_parse_file(const char *path, GError **error);

/** Parse YAML text; `name` is used in locations. */
PrefrlNode *prefrl_recipe_parse_string(const char *text, gsize len, const char *name,
                                       GError **error);

/** Load a recipe and everything it includes through `defaults:` / `include:`
 *  (a file name or a list of them, relative to the including file).  Included
 *  files are merged first, in order; the including file's own keys override
 *  them (maps merge key by key, scalars and lists replace). */
PrefrlNode *prefrl_recipe_load(const char *path, GError **error);

/** Apply "a.b.c=value" (creating maps as needed). */
gboolean prefrl_recipe_override(PrefrlNode *root, const char *assignment, GError **error);

/** New nodes. */
PrefrlNode *prefrl_node_new_map(const char *file, int line, int col);
PrefrlNode *prefrl_node_new_scalar(const char *text, const char *file, int line, int col);

/** Set map[key] = value (value taken; replaces an existing entry in place). */
void prefrl_node_set(PrefrlNode *map, const char *key, PrefrlNode *value);

/** Remove map[key] if present. */
void prefrl_node_remove(PrefrlNode *map, const char *key);

/** Mutable child lookup. */
PrefrlNode *prefrl_node_lookup(PrefrlNode *map, const char *key);

/** Deep copy / free. */
PrefrlNode *prefrl_node_dup(const PrefrlNode *node);
void prefrl_node_free(PrefrlNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PrefrlNode, prefrl_node_free)

/** `s` with its control characters written as escapes (a newline as \n, a
 *  tab as \t, other ASCII ones as \xHH, the C1 controls and the Unicode
 *  line and paragraph separators as \uHHHH), so that a value quoted in a
 *  message keeps the message on one line (newly allocated; NULL reads as ""). */
char *prefrl_text_escape(const char *s);

/** Prefix "FILE:LINE:COL: " for messages about `node` (its key when it has one). */
char *prefrl_node_where(const PrefrlNode *node, gboolean at_key);

/** YAML text of a tree, block style, keys in stored order. */
char *prefrl_recipe_to_yaml(const PrefrlNode *root);

/** fsync a folder, so the renames and creations in it survive a crash;
 *  PREFRL_ERROR_IO naming it. */
gboolean prefrl_sync_dir(const char *dir, GError **error);

/** Write `text` to `path` atomically (temp file, fsync, rename). */
gboolean prefrl_write_file_atomic(const char *path, const char *text, gsize len, GError **error);

/** Remove a file or a directory tree (symbolic links are removed, not
 *  followed).  TRUE when `path` is gone afterwards. */
gboolean prefrl_remove_tree(const char *path);

#endif
