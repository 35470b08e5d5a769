/* Recipes: YAML files parsed with libyaml's event API into PrefrlNode trees
 * that keep file:line:col of every key and value, composed through
 * `defaults:` / `include:`, and overridden from the command line.
 *
 * Hostile input is bounded: file size, nesting depth and node count are
 * capped, anchors/aliases are refused (no alias bombs), and libyaml itself
 * rejects invalid UTF-8 and binary data. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include <glib/gstdio.h>

#include "host/recipe.h"

/* ---- nodes ------------------------------------------------------------ */

static PrefrlNode *node_new(PrefrlNodeKind kind, const char *file, int line, int col)
{
    PrefrlNode *n = g_new0(PrefrlNode, 1);
    n->kind = kind;
    n->file = g_intern_string(file ? file : "<unknown>");
    n->line = line;
    n->col = col;
    n->key_line = line;
    n->key_col = col;
    if (kind != PREFRL_NODE_SCALAR)
        n->items = g_ptr_array_new_with_free_func((GDestroyNotify)prefrl_node_free);
    return n;
}

PrefrlNode *prefrl_node_new_map(const char *file, int line, int col)
{
    return node_new(PREFRL_NODE_MAP, file, line, col);
}

PrefrlNode *prefrl_node_new_scalar(const char *text, const char *file, int line, int col)
{
    PrefrlNode *n = node_new(PREFRL_NODE_SCALAR, file, line, col);
    n->text = g_strdup(text);
    return n;
}

void prefrl_node_free(PrefrlNode *node)
{
    if (!node)
        return;
    if (node->items)
        g_ptr_array_unref(node->items);
    g_free(node->text);
    g_free(node->key);
    g_free(node);
}

PrefrlNode *prefrl_node_dup(const PrefrlNode *src)
{
    if (!src)
        return NULL;
    PrefrlNode *n = node_new(src->kind, src->file, src->line, src->col);
    n->text = g_strdup(src->text);
    n->quoted = src->quoted;
    n->key = g_strdup(src->key);
    n->key_line = src->key_line;
    n->key_col = src->key_col;
    if (src->items)
        for (guint i = 0; i < src->items->len; i++)
            g_ptr_array_add(n->items, prefrl_node_dup(g_ptr_array_index(src->items, i)));
    return n;
}

PrefrlNodeKind prefrl_node_kind(const PrefrlNode *node)
{
    g_return_val_if_fail(node != NULL, 0);
    return node->kind;
}

PrefrlNode *prefrl_node_lookup(PrefrlNode *map, const char *key)
{
    if (!map || map->kind != PREFRL_NODE_MAP)
        return NULL;
    for (guint i = 0; i < map->items->len; i++) {
        PrefrlNode *c = g_ptr_array_index(map->items, i);
        if (strcmp(c->key, key) == 0)
            return c;
    }
    return NULL;
}

const PrefrlNode *prefrl_node_get(const PrefrlNode *map, const char *key)
{
    return prefrl_node_lookup((PrefrlNode *)map, key);
}

guint prefrl_node_size(const PrefrlNode *node)
{
    return node && node->items ? node->items->len : 0;
}

const PrefrlNode *prefrl_node_at(const PrefrlNode *node, guint i, const char **key)
{
    if (!node || !node->items || i >= node->items->len)
        return NULL;
    const PrefrlNode *c = g_ptr_array_index(node->items, i);
    if (key)
        *key = c->key;
    return c;
}

const char *prefrl_node_text(const PrefrlNode *node)
{
    return node && node->kind == PREFRL_NODE_SCALAR ? node->text : NULL;
}

void prefrl_node_location(const PrefrlNode *node, const char **file, int *line, int *col)
{
    if (file)
        *file = node ? node->file : "<unknown>";
    if (line)
        *line = node ? node->line : 0;
    if (col)
        *col = node ? node->col : 0;
}

char *prefrl_node_where(const PrefrlNode *node, gboolean at_key)
{
    if (!node)
        return g_strdup("");
    int line = at_key && node->key ? node->key_line : node->line;
    int col = at_key && node->key ? node->key_col : node->col;
    if (line <= 0)
        return g_strdup_printf("%s: ", node->file);
    return g_strdup_printf("%s:%d:%d: ", node->file, line, col);
}

void prefrl_node_set(PrefrlNode *map, const char *key, PrefrlNode *value)
{
    g_return_if_fail(map && map->kind == PREFRL_NODE_MAP);
    if (value->key != key) {
        g_free(value->key);
        value->key = g_strdup(key);
    }
    for (guint i = 0; i < map->items->len; i++) {
        PrefrlNode *c = g_ptr_array_index(map->items, i);
        if (strcmp(c->key, key) == 0) {
            /* replace in place, keeping the order of keys */
            map->items->pdata[i] = value;
            prefrl_node_free(c);
            return;
        }
    }
    g_ptr_array_add(map->items, value);
}

void prefrl_node_remove(PrefrlNode *map, const char *key)
{
    if (!map || map->kind != PREFRL_NODE_MAP)
        return;
    for (guint i = 0; i < map->items->len; i++) {
        PrefrlNode *c = g_ptr_array_index(map->items, i);
        if (strcmp(c->key, key) == 0) {
            g_ptr_array_remove_index(map->items, i);
            return;
        }
    }
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct {
    yaml_parser_t parser;
    const char *name;
    int n_nodes;
    GError **error;
} Parser;

static gboolean parse_fail(Parser *p, int line, int col, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static gboolean parse_fail(Parser *p, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(p->error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s:%d:%d: %s", p->name, line, col,
                msg);
    g_free(msg);
    return FALSE;
}

static gboolean next_event(Parser *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&p->parser, ev)) {
        yaml_mark_t m = p->parser.problem_mark;
        const char *problem = p->parser.problem ? p->parser.problem : "malformed YAML";
        if (p->parser.error == YAML_READER_ERROR)
            return parse_fail(p, (int)m.line + 1, (int)m.column + 1,
                              "not a valid YAML text file: %s", problem);
        if (p->parser.context)
            return parse_fail(p, (int)m.line + 1, (int)m.column + 1, "YAML syntax error: %s %s",
                              p->parser.context, problem);
        return parse_fail(p, (int)m.line + 1, (int)m.column + 1, "YAML syntax error: %s",
                          problem);
    }
    return TRUE;
}

static PrefrlNode *parse_node(Parser *p, yaml_event_t *ev, int depth);

/* anchors and aliases could expand exponentially (alias bombs) */
static const char no_anchors[] = "YAML anchors and aliases (&name, *name) are not supported in "
                                 "recipes; use 'defaults:' to share settings";

char *prefrl_text_escape(const char *s)
{
    GString *out = g_string_new(NULL);
    for (const char *c = s ? s : ""; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == '\n')
            g_string_append(out, "\\n");
        else if (u == '\t')
            g_string_append(out, "\\t");
        else if (u == '\r')
            g_string_append(out, "\\r");
        else if (u < 0x20 || u == 0x7f)
            g_string_append_printf(out, "\\x%02x", u);
        else if (u == 0xc2 && (unsigned char)c[1] >= 0x80 && (unsigned char)c[1] <= 0x9f)
            g_string_append_printf(out, "\\u%04x", (unsigned char)*++c); /* C1 controls: NEL */
        else if (u == 0xe2 && (unsigned char)c[1] == 0x80 &&
                 ((unsigned char)c[2] == 0xa8 || (unsigned char)c[2] == 0xa9)) {
            g_string_append_printf(out, "\\u%04x", 0x2000 + (unsigned char)c[2] - 0x80);
            c += 2; /* the line and paragraph separators */
        } else
            g_string_append_c(out, *c);
    }
    return g_string_free(out, FALSE);
}

/* a character prefrl_text_escape escapes (a newline, tab, NEL, ...) in s */
static gboolean has_control(const char *s)
{
    char *e = prefrl_text_escape(s);
    gboolean differs = strcmp(e, s) != 0;
    g_free(e);
    return differs;
}

/* YAML's standard tags (!!int is tag:yaml.org,2002:int) */
#define YAML_STD_TAG "tag:yaml.org,2002:"

/* a tag as it was written, for messages (newly allocated) */
static char *tag_display(const char *tag)
{
    char *raw = g_str_has_prefix(tag, YAML_STD_TAG)
                    ? g_strconcat("!!", tag + strlen(YAML_STD_TAG), NULL)
                    : g_strdup(tag);
    char *esc = prefrl_text_escape(raw);
    g_free(raw);
    return esc;
}

static gboolean is_std_tag(const char *tag, const char *name)
{
    return g_str_has_prefix(tag, YAML_STD_TAG) && !strcmp(tag + strlen(YAML_STD_TAG), name);
}

static gboolean tag_refuse(Parser *p, int line, int col, const char *tag, const char *on)
{
    char *shown = tag_display(tag);
    parse_fail(p, line, col,
               "YAML tag '%s' is not supported%s; recipes accept only !!str, !!int, !!float, "
               "!!bool and !!null on values",
               shown, on);
    g_free(shown);
    return FALSE;
}

/* Honour the tag of scalar `n` (NULL: none): !!str (and the non-specific
 * '!') make it a string, !!int, !!float, !!bool and !!null require text of
 * that type in YAML's core schema and make it a plain value; any other tag is
 * refused, never ignored. */
static gboolean apply_scalar_tag(Parser *p, PrefrlNode *n, const char *tag)
{
    if (!tag)
        return TRUE;
    if (!strcmp(tag, "!") || is_std_tag(tag, "str")) {
        n->quoted = TRUE;
        return TRUE;
    }
    static const struct {
        const char *name, *pattern, *what;
    } typed[] = {
        {"int", "^[-+]?[0-9]+$", "a decimal integer"},
        {"float", "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$", "a decimal number"},
        {"bool", "^(true|True|TRUE|false|False|FALSE)$", "true or false"},
        {"null", "^(|~|null|Null|NULL)$", "null (~, null or nothing)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(typed); i++) {
        if (!is_std_tag(tag, typed[i].name))
            continue;
        if (!g_regex_match_simple(typed[i].pattern, n->text, 0, 0)) {
            char *shown = prefrl_text_escape(n->text);
            parse_fail(p, n->line, n->col, "'%s' is not %s, as its tag !!%s says", shown,
                       typed[i].what, typed[i].name);
            g_free(shown);
            return FALSE;
        }
        n->quoted = FALSE;
        if (!strcmp(typed[i].name, "null")) { /* the same as an empty value */
            g_free(n->text);
            n->text = g_strdup("");
        }
        return TRUE;
    }
    return tag_refuse(p, n->line, n->col, tag, "");
}

/* a map or list may carry only its own standard tag (or the non-specific '!') */
static gboolean check_collection_tag(Parser *p, int line, int col, const char *tag,
                                     gboolean is_map)
{
    if (!tag || !strcmp(tag, "!") || is_std_tag(tag, is_map ? "map" : "seq"))
        return TRUE;
    return tag_refuse(p, line, col, tag, is_map ? " on a map" : " on a list");
}

/* the children of a map or list, until its end event */
static gboolean parse_children(Parser *p, PrefrlNode *parent, int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (!next_event(p, &ev))
            return FALSE;
        if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return TRUE;
        }
        if (parent->kind == PREFRL_NODE_LIST) {
            PrefrlNode *c = parse_node(p, &ev, depth + 1);
            if (!c)
                return FALSE;
            g_ptr_array_add(parent->items, c);
            continue;
        }
        /* a map key: scalars only */
        int kline = (int)ev.start_mark.line + 1, kcol = (int)ev.start_mark.column + 1;
        if (ev.type != YAML_SCALAR_EVENT) {
            yaml_event_delete(&ev);
            return parse_fail(p, kline, kcol, "map keys must be plain words");
        }
        if (ev.data.scalar.anchor) {
            yaml_event_delete(&ev);
            return parse_fail(p, kline, kcol, "%s", no_anchors);
        }
        const char *ktag = (const char *)ev.data.scalar.tag;
        if (ktag && strcmp(ktag, "!") && !is_std_tag(ktag, "str")) {
            gboolean r = tag_refuse(p, kline, kcol, ktag, " on a map key");
            yaml_event_delete(&ev);
            return r;
        }
        char *key = g_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
        gboolean nul = strlen(key) != ev.data.scalar.length;
        yaml_event_delete(&ev);
        /* a key is echoed in messages, which stay on one line */
        if (nul || has_control(key)) {
            char *shown = prefrl_text_escape(key);
            parse_fail(p, kline, kcol, "map keys must be plain words, not '%s'", shown);
            g_free(shown);
            g_free(key);
            return FALSE;
        }
        if (prefrl_node_lookup(parent, key)) {
            PrefrlNode *first = prefrl_node_lookup(parent, key);
            parse_fail(p, kline, kcol, "duplicate key '%s' (first defined at line %d)", key,
                       first->key_line);
            g_free(key);
            return FALSE;
        }
        yaml_event_t vev;
        if (!next_event(p, &vev)) {
            g_free(key);
            return FALSE;
        }
        PrefrlNode *v = parse_node(p, &vev, depth + 1);
        if (!v) {
            g_free(key);
            return FALSE;
        }
        v->key = key;
        v->key_line = kline;
        v->key_col = kcol;
        g_ptr_array_add(parent->items, v);
    }
}

/* takes ownership of *ev */
static PrefrlNode *parse_node(Parser *p, yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    PrefrlNode *n = NULL;
    if (++p->n_nodes > PREFRL_RECIPE_MAX_NODES) {
        parse_fail(p, line, col, "recipe too large (more than %d nodes)", PREFRL_RECIPE_MAX_NODES);
        yaml_event_delete(ev);
        return NULL;
    }
    if (depth > PREFRL_RECIPE_MAX_DEPTH) {
        parse_fail(p, line, col, "recipe nested too deeply (more than %d levels)",
                   PREFRL_RECIPE_MAX_DEPTH);
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        parse_fail(p, line, col, "%s", no_anchors);
        break;
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor) {
            parse_fail(p, line, col, "%s", no_anchors);
            break;
        }
        n = node_new(PREFRL_NODE_SCALAR, p->name, line, col);
        n->text = g_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (strlen(n->text) != ev->data.scalar.length) {
            parse_fail(p, line, col, "NUL byte inside a value");
            prefrl_node_free(n);
            n = NULL;
        } else if (!apply_scalar_tag(p, n, (const char *)ev->data.scalar.tag)) {
            prefrl_node_free(n);
            n = NULL;
        }
        break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        const yaml_char_t *anchor = ev->type == YAML_MAPPING_START_EVENT
                                        ? ev->data.mapping_start.anchor
                                        : ev->data.sequence_start.anchor;
        const yaml_char_t *tag = ev->type == YAML_MAPPING_START_EVENT
                                     ? ev->data.mapping_start.tag
                                     : ev->data.sequence_start.tag;
        if (anchor) {
            parse_fail(p, line, col, "%s", no_anchors);
            break;
        }
        if (!check_collection_tag(p, line, col, (const char *)tag,
                                  ev->type == YAML_MAPPING_START_EVENT))
            break;
        n = node_new(ev->type == YAML_MAPPING_START_EVENT ? PREFRL_NODE_MAP : PREFRL_NODE_LIST,
                     p->name, line, col);
        yaml_event_delete(ev);
        if (!parse_children(p, n, depth)) {
            prefrl_node_free(n);
            return NULL;
        }
        return n;
    }
    default:
        parse_fail(p, line, col, "unexpected YAML content");
        break;
    }
    yaml_event_delete(ev);
    return n;
}

PrefrlNode *prefrl_recipe_parse_string(const char *text, gsize len, const char *name,
                                       GError **error)
{
    Parser p = {.name = g_intern_string(name), .error = error};
    if (len > PREFRL_RECIPE_MAX_BYTES) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: recipe too large (%" G_GSIZE_FORMAT " bytes, limit %u)", name, len,
                    PREFRL_RECIPE_MAX_BYTES);
        return NULL;
    }
    if (!yaml_parser_initialize(&p.parser)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s: out of memory", name);
        return NULL;
    }
    yaml_parser_set_input_string(&p.parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p.parser, YAML_UTF8_ENCODING);

    PrefrlNode *root = NULL;
    yaml_event_t ev;
    gboolean ok = next_event(&p, &ev); /* stream start */
    if (ok)
        yaml_event_delete(&ev);
    ok = ok && next_event(&p, &ev);
    if (ok && ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        parse_fail(&p, 1, 1, "empty recipe: expected a map of settings");
        ok = FALSE;
    } else if (ok) {
        yaml_event_delete(&ev); /* document start */
        ok = next_event(&p, &ev);
        if (ok)
            root = parse_node(&p, &ev, 0);
        ok = root != NULL;
    }
    if (ok) {
        yaml_event_t end;
        ok = next_event(&p, &end); /* document end */
        if (ok)
            yaml_event_delete(&end);
        ok = ok && next_event(&p, &end);
        if (ok) {
            if (end.type != YAML_STREAM_END_EVENT) {
                parse_fail(&p, (int)end.start_mark.line + 1, (int)end.start_mark.column + 1,
                           "a recipe holds one YAML document; found a second one");
                ok = FALSE;
            }
            yaml_event_delete(&end);
        }
    }
    if (ok && root->kind != PREFRL_NODE_MAP) {
        if (root->kind == PREFRL_NODE_SCALAR && root->text[0] == '\0' && !root->quoted)
            parse_fail(&p, 1, 1, "empty recipe: expected a map of settings");
        else
            parse_fail(&p, root->line, root->col,
                       "a recipe must be a map of settings (key: value), not a %s",
                       root->kind == PREFRL_NODE_LIST ? "list" : "single value");
        ok = FALSE;
    }
    yaml_parser_delete(&p.parser);
    if (!ok) {
        prefrl_node_free(root);
        return NULL;
    }
    return root;
}

/* Read a recipe file into a NUL-terminated buffer (owned), refusing
 * anything but a regular file and stopping at the size limit while reading:
 * stat's size says nothing about /dev/zero, a FIFO or a file that grows.  A
 * FIFO is opened non-blocking so open() returns at once (and is then
 * refused) instead of waiting for a writer. */
static char *read_recipe_file(const char *path, gsize *len, GError **error)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read recipe %s: %s", path,
                    g_strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read recipe %s: %s", path,
                    g_strerror(e));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: is a directory, not a recipe",
                        path);
        else
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "%s: is %s, not a regular file; a recipe must be a regular file", path,
                        S_ISFIFO(st.st_mode)                         ? "a FIFO"
                        : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                        : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                                     : "a special file");
        close(fd);
        return NULL;
    }
    /* a regular file never blocks; clear O_NONBLOCK all the same */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    /* one byte past the limit tells a file at the limit from a longer one */
    gsize cap = (gsize)PREFRL_RECIPE_MAX_BYTES + 1;
    gsize size = st.st_size > 0 && (guint64)st.st_size < cap ? (gsize)st.st_size + 1 : 4096;
    char *buf = g_malloc(size + 1);
    gsize n = 0;
    for (;;) {
        if (n == size) {
            if (size >= cap)
                break;
            size = MIN(size * 2, cap);
            buf = g_realloc(buf, size + 1);
        }
        ssize_t r = read(fd, buf + n, size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read recipe %s: %s", path,
                        g_strerror(e));
            g_free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        n += (gsize)r;
    }
    close(fd);
    if (n > PREFRL_RECIPE_MAX_BYTES) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: recipe too large (more than %u bytes)", path, PREFRL_RECIPE_MAX_BYTES);
        g_free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

PrefrlNode *prefrl_recipe_parse_file(const char *path, GError **error)
{
    gsize len = 0;
    char *text = read_recipe_file(path, &len, error);
    if (!text)
        return NULL;
    PrefrlNode *root = prefrl_recipe_parse_string(text, len, path, error);
    g_free(text);
    return root;
}

/* ---- composition ---------------------------------------------------------- */

/* dst ← dst merged with src: maps merge per key, everything else replaces */
static void merge_into(PrefrlNode *dst, const PrefrlNode *src)
{
    for (guint i = 0; i < src->items->len; i++) {
        const PrefrlNode *s = g_ptr_array_index(src->items, i);
        PrefrlNode *d = prefrl_node_lookup(dst, s->key);
        if (d && d->kind == PREFRL_NODE_MAP && s->kind == PREFRL_NODE_MAP)
            merge_into(d, s);
        else
            prefrl_node_set(dst, s->key, prefrl_node_dup(s));
    }
}

static PrefrlNode *load_composed(const char *path, GPtrArray *stack, int *n_files, GError **error);

/* merge each file named by node (a string or list of strings) into acc */
static gboolean load_includes(const PrefrlNode *names, const char *including, PrefrlNode *acc,
                              GPtrArray *stack, int *n_files, GError **error)
{
    GPtrArray *list = g_ptr_array_new();
    if (names->kind == PREFRL_NODE_SCALAR) {
        g_ptr_array_add(list, (gpointer)names);
    } else if (names->kind == PREFRL_NODE_LIST) {
        for (guint i = 0; i < names->items->len; i++)
            g_ptr_array_add(list, g_ptr_array_index(names->items, i));
    } else {
        char *w = prefrl_node_where(names, FALSE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s'%s' takes a file name or a list of file names", w, names->key);
        g_free(w);
        g_ptr_array_unref(list);
        return FALSE;
    }
    gboolean ok = TRUE;
    char *dir = g_path_get_dirname(including);
    for (guint i = 0; ok && i < list->len; i++) {
        const PrefrlNode *n = g_ptr_array_index(list, i);
        if (n->kind != PREFRL_NODE_SCALAR || !n->text[0] || has_control(n->text)) {
            char *w = prefrl_node_where(n, FALSE);
            char *shown = n->kind == PREFRL_NODE_SCALAR ? prefrl_text_escape(n->text) : NULL;
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%sexpected a recipe file name%s%s%s", w, shown ? ", not '" : "",
                        shown ? shown : "", shown ? "'" : "");
            g_free(shown);
            g_free(w);
            ok = FALSE;
            break;
        }
        char *p = g_path_is_absolute(n->text) ? g_strdup(n->text)
                                               : g_build_filename(dir, n->text, NULL);
        if (!g_file_test(p, G_FILE_TEST_EXISTS)) {
            char *w = prefrl_node_where(n, FALSE);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%sincluded recipe '%s' not found (looked for %s)", w, n->text, p);
            g_free(w);
            g_free(p);
            ok = FALSE;
            break;
        }
        GError *inner = NULL;
        PrefrlNode *sub = load_composed(p, stack, n_files, &inner);
        if (!sub) {
            if (g_error_matches(inner, PREFRL_ERROR, PREFRL_ERROR_CONFIG) &&
                strstr(inner->message, "include cycle") == inner->message) {
                char *w = prefrl_node_where(n, FALSE);
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s%s", w, inner->message);
                g_free(w);
                g_error_free(inner);
            } else {
                g_propagate_error(error, inner);
            }
            ok = FALSE;
        } else {
            merge_into(acc, sub);
            prefrl_node_free(sub);
        }
        g_free(p);
    }
    g_free(dir);
    g_ptr_array_unref(list);
    return ok;
}

static PrefrlNode *load_composed(const char *path, GPtrArray *stack, int *n_files, GError **error)
{
    char *canon = g_canonicalize_filename(path, NULL);
    for (guint i = 0; i < stack->len; i++) {
        if (strcmp(g_ptr_array_index(stack, i), canon) == 0) {
            GString *chain = g_string_new("include cycle: ");
            for (guint j = i; j < stack->len; j++)
                g_string_append_printf(chain, "%s -> ", (char *)g_ptr_array_index(stack, j));
            g_string_append(chain, canon);
            g_set_error_literal(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, chain->str);
            g_string_free(chain, TRUE);
            g_free(canon);
            return NULL;
        }
    }
    if (++*n_files > PREFRL_RECIPE_MAX_INCLUDES) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: more than %d recipe files in one composition", path,
                    PREFRL_RECIPE_MAX_INCLUDES);
        g_free(canon);
        return NULL;
    }
    PrefrlNode *own = prefrl_recipe_parse_file(path, error);
    if (!own) {
        g_free(canon);
        return NULL;
    }
    g_ptr_array_add(stack, canon);

    PrefrlNode *acc = prefrl_node_new_map(own->file, own->line, own->col);
    gboolean ok = TRUE;
    static const char *const include_keys[] = {"defaults", "include"};
    for (int k = 0; ok && k < 2; k++) {
        const PrefrlNode *names = prefrl_node_get(own, include_keys[k]);
        if (names)
            ok = load_includes(names, path, acc, stack, n_files, error);
        prefrl_node_remove(own, include_keys[k]);
    }
    if (ok)
        merge_into(acc, own);
    g_ptr_array_remove_index(stack, stack->len - 1); /* frees canon */
    prefrl_node_free(own);
    if (!ok) {
        prefrl_node_free(acc);
        return NULL;
    }
    return acc;
}

PrefrlNode *prefrl_recipe_load(const char *path, GError **error)
{
    GPtrArray *stack = g_ptr_array_new_with_free_func(g_free);
    int n_files = 0;
    PrefrlNode *root = load_composed(path, stack, &n_files, error);
    g_ptr_array_unref(stack);
    return root;
}

/* ---- overrides ------------------------------------------------------------ */

gboolean prefrl_recipe_override(PrefrlNode *root, const char *assignment, GError **error)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "<command line>: override '%s' is not of the form section.key=value",
                    assignment);
        return FALSE;
    }
    char *path = g_strndup(assignment, (gsize)(eq - assignment));
    char **parts = g_strsplit(path, ".", -1);
    gboolean ok = TRUE;
    PrefrlNode *map = root;
    int n = (int)g_strv_length(parts);
    for (int i = 0; ok && i < n; i++) {
        if (!parts[i][0]) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "<command line>: empty key in override '%s'", assignment);
            ok = FALSE;
            break;
        }
        if (i == n - 1) {
            PrefrlNode *v = prefrl_node_new_scalar(eq + 1, "<command line>", 0, 0);
            prefrl_node_set(map, parts[i], v);
            break;
        }
        PrefrlNode *next = prefrl_node_lookup(map, parts[i]);
        if (!next) {
            next = prefrl_node_new_map("<command line>", 0, 0);
            prefrl_node_set(map, parts[i], next);
        } else if (next->kind != PREFRL_NODE_MAP) {
            char *w = prefrl_node_where(next, TRUE);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "<command line>: override '%s': '%s' is a value, not a section "
                        "(defined at %s)",
                        assignment, parts[i], w);
            g_free(w);
            ok = FALSE;
            break;
        }
        map = next;
    }
    g_strfreev(parts);
    g_free(path);
    return ok;
}

/* ---- output ------------------------------------------------------------- */

/* a scalar that YAML would read back as the same plain text */
static gboolean plain_safe(const char *s)
{
    if (!*s)
        return FALSE;
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) && !(s[0] == '-' && g_ascii_isdigit(s[1])))
        return FALSE;
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == '#' || (*c == ':' && (c[1] == ' ' || !c[1])))
            return FALSE;
        if (*c == ' ' && (c[1] == '#' || !c[1]))
            return FALSE;
    }
    return TRUE;
}

static void emit_scalar(GString *out, const PrefrlNode *n)
{
    if (!n->quoted && plain_safe(n->text)) {
        g_string_append(out, n->text);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *c = n->text; *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_printf(out, "\\%c", *c);
        else if (*c == '\n')
            g_string_append(out, "\\n");
        else if ((unsigned char)*c < 0x20)
            g_string_append_printf(out, "\\x%02x", (unsigned char)*c);
        else
            g_string_append_c(out, *c);
    }
    g_string_append_c(out, '"');
}

static void emit(GString *out, const PrefrlNode *n, int indent)
{
    for (guint i = 0; i < n->items->len; i++) {
        const PrefrlNode *c = g_ptr_array_index(n->items, i);
        g_string_append_printf(out, "%*s", indent, "");
        if (n->kind == PREFRL_NODE_MAP)
            g_string_append_printf(out, "%s:", c->key);
        else
            g_string_append(out, "-");
        if (c->kind == PREFRL_NODE_SCALAR) {
            g_string_append_c(out, ' ');
            emit_scalar(out, c);
            g_string_append_c(out, '\n');
        } else if (c->items->len == 0) {
            g_string_append(out, c->kind == PREFRL_NODE_MAP ? " {}\n" : " []\n");
        } else {
            g_string_append_c(out, '\n');
            emit(out, c, indent + 2);
        }
    }
}

char *prefrl_recipe_to_yaml(const PrefrlNode *root)
{
    GString *out = g_string_new(NULL);
    emit(out, root, 0);
    return g_string_free(out, FALSE);
}

gboolean prefrl_sync_dir(const char *dir, GError **error)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot sync the folder %s: %s", dir,
                    g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return FALSE;
    }
    close(fd);
    return TRUE;
}

gboolean prefrl_write_file_atomic(const char *path, const char *text, gsize len, GError **error)
{
    char *tmp = g_strdup_printf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    gboolean ok = fd >= 0;
    gsize done = 0;
    while (ok && done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok)
            done += (gsize)w;
    }
    int saved = errno;
    if (fd >= 0) {
        if (ok && fsync(fd) != 0) {
            ok = FALSE;
            saved = errno;
        }
        if (close(fd) != 0 && ok) {
            ok = FALSE;
            saved = errno;
        }
    }
    if (ok && rename(tmp, path) != 0) {
        ok = FALSE;
        saved = errno;
    }
    /* the rename itself is durable once the folder is synced */
    if (ok) {
        char *dir = g_path_get_dirname(path);
        ok = prefrl_sync_dir(dir, error);
        g_free(dir);
        if (!ok) {
            g_free(tmp);
            return FALSE;
        }
    }
    if (!ok) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path,
                    g_strerror(saved));
        unlink(tmp);
    }
    g_free(tmp);
    return ok;
}

gboolean prefrl_remove_tree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *d = g_dir_open(path, 0, NULL);
        if (d) {
            const char *n;
            while ((n = g_dir_read_name(d))) {
                char *p = g_build_filename(path, n, NULL);
                prefrl_remove_tree(p);
                g_free(p);
            }
            g_dir_close(d);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
    return !g_file_test(path, G_FILE_TEST_EXISTS) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK);
}
