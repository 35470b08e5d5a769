/* The run directory: file names, the status protocol, config.yaml and the
 * checkpoint swap (see rundir.h for the layout). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "host/schema.h"
#include "pbrl/rundir.h"

static const char *const file_names[PREFRL_RUN_N_FILES] = {
    [PREFRL_RUN_TRAIN_CSV] = "train.csv",
    [PREFRL_RUN_EVAL_CSV] = "eval.csv",
    [PREFRL_RUN_REWARD_CSV] = "reward.csv",
    [PREFRL_RUN_LABELS_CSV] = "labels.csv",
    [PREFRL_RUN_LOG_TXT] = "log.txt",
    [PREFRL_RUN_PREFS_BIN] = "prefs.bin",
    [PREFRL_RUN_CONFIG] = "config.yaml",
    [PREFRL_RUN_STATUS] = "status",
    [PREFRL_RUN_STDERR] = "stderr.txt",
    [PREFRL_RUN_CHECKPOINT] = "checkpoint",
    [PREFRL_RUN_CHECKPOINT_NEW] = "checkpoint.new",
    [PREFRL_RUN_CHECKPOINT_OLD] = "checkpoint.old",
};

static const char *const status_names[] = {
    [PREFRL_STATUS_NONE] = "",
    [PREFRL_STATUS_RUNNING] = "running",
    [PREFRL_STATUS_DONE] = "done",
    [PREFRL_STATUS_INTERRUPTED] = "interrupted",
    [PREFRL_STATUS_FAILED] = "failed",
    [PREFRL_STATUS_UNKNOWN] = "",
};

const char *prefrl_rundir_name(PrefrlRunFile f)
{
    g_return_val_if_fail(f >= 0 && f < PREFRL_RUN_N_FILES, NULL);
    return file_names[f];
}

char *prefrl_rundir_path(const char *dir, PrefrlRunFile f)
{
    return g_build_filename(dir, prefrl_rundir_name(f), NULL);
}

FILE *prefrl_rundir_open(const char *dir, PrefrlRunFile f, gboolean append, GError **error)
{
    char *path = prefrl_rundir_path(dir, f);
    FILE *file = fopen(path, append ? "a" : "w");
    if (!file)
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", path,
                    g_strerror(errno));
    g_free(path);
    return file;
}

/* ---- config.yaml ---------------------------------------------------------------- */

gboolean prefrl_rundir_is_run(const char *dir)
{
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
    gboolean is_run = g_file_test(path, G_FILE_TEST_IS_REGULAR);
    g_free(path);
    return is_run;
}

char *prefrl_rundir_config_text(const PrefrlNode *root, PrefrlRegistry *reg)
{
    GString *s =
        g_string_new("# resolved by prefrl " PACKAGE_VERSION "; every default written out\n");
    for (int k = 1; k <= PREFRL_N_KINDS; k++) {
        const PrefrlComponent *c = prefrl_recipe_component(root, reg, k);
        if (c)
            g_string_append_printf(s, "# %s/%s from %s\n", prefrl_kind_name(k), c->name,
                                   prefrl_registry_component_path(reg, c));
    }
    char *yaml = prefrl_recipe_to_yaml(root);
    g_string_append(s, yaml);
    g_free(yaml);
    return g_string_free(s, FALSE);
}

gboolean prefrl_rundir_write_config(const char *dir, const PrefrlNode *root, PrefrlRegistry *reg,
                                    GError **error)
{
    char *text = prefrl_rundir_config_text(root, reg);
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
    gboolean ok = prefrl_write_file_atomic(path, text, strlen(text), error);
    g_free(path);
    g_free(text);
    return ok;
}

PrefrlNode *prefrl_rundir_read_config(const char *dir, GError **error)
{
    if (!prefrl_rundir_is_run(dir)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "%s is not a run directory (no %s)", dir, file_names[PREFRL_RUN_CONFIG]);
        return NULL;
    }
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
    PrefrlNode *root = prefrl_recipe_parse_file(path, error);
    g_free(path);
    return root;
}

/* ---- status ----------------------------------------------------------------------- */

const char *prefrl_run_status_name(PrefrlRunStatus s)
{
    g_return_val_if_fail(s >= 0 && s < (int)G_N_ELEMENTS(status_names), "");
    return status_names[s];
}

gboolean prefrl_rundir_set_status(const char *dir, PrefrlRunStatus s, GError **error)
{
    g_return_val_if_fail(*prefrl_run_status_name(s), FALSE);
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_STATUS);
    char *text = g_strconcat(prefrl_run_status_name(s), "\n", NULL);
    gboolean ok = prefrl_write_file_atomic(path, text, strlen(text), error);
    g_free(text);
    g_free(path);
    return ok;
}

gboolean prefrl_rundir_set_failed(const char *dir, const char *reason, GError **error)
{
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_STATUS);
    char *line = g_strdup(reason ? reason : "");
    g_strdelimit(line, "\r\n", ' '); /* the reason is one line */
    char *text = g_strconcat(status_names[PREFRL_STATUS_FAILED], "\n", line, "\n", NULL);
    gboolean ok = prefrl_write_file_atomic(path, text, strlen(text), error);
    g_free(text);
    g_free(line);
    g_free(path);
    return ok;
}

PrefrlRunStatus prefrl_rundir_status(const char *dir, char **text)
{
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_STATUS), *word = NULL;
    PrefrlRunStatus s = PREFRL_STATUS_NONE;
    if (g_file_get_contents(path, &word, NULL, NULL)) {
        g_strstrip(word);
        char *nl = strchr(word, '\n');
        if (nl)
            *nl = '\0', g_strchomp(word); /* the word; a failed run's reason follows */
        s = PREFRL_STATUS_UNKNOWN;
        for (int i = PREFRL_STATUS_RUNNING; i <= PREFRL_STATUS_FAILED; i++)
            if (!strcmp(word, status_names[i]))
                s = i;
    }
    g_free(path);
    if (text)
        *text = word;
    else
        g_free(word);
    return s;
}

/* ---- checkpoints ------------------------------------------------------------------ */

char *prefrl_rundir_checkpoint_part(const char *ckdir, const char *part)
{
    char *name = g_strconcat(part, ".bin", NULL);
    char *path = g_build_filename(ckdir, name, NULL);
    g_free(name);
    return path;
}

char *prefrl_rundir_checkpoint_file(const char *dir, const char *part)
{
    char *ckdir = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT);
    char *path = prefrl_rundir_checkpoint_part(ckdir, part);
    g_free(ckdir);
    return path;
}

char *prefrl_rundir_checkpoint_begin(const char *dir, GError **error)
{
    char *fresh = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT_NEW);
    prefrl_remove_tree(fresh);
    if (g_mkdir_with_parents(fresh, 0755) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", fresh,
                    g_strerror(errno));
        g_free(fresh);
        return NULL;
    }
    return fresh;
}

static gboolean rename_dir(const char *from, const char *to, GError **error)
{
    if (rename(from, to) == 0)
        return TRUE;
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot rename %s: %s", from,
                g_strerror(errno));
    return FALSE;
}

gboolean prefrl_rundir_checkpoint_commit(const char *dir, GError **error)
{
    char *cur = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT);
    char *fresh = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT_NEW);
    char *old = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT_OLD);
    prefrl_remove_tree(old);
    gboolean ok = (!g_file_test(cur, G_FILE_TEST_EXISTS) || rename_dir(cur, old, error)) &&
                  rename_dir(fresh, cur, error);
    prefrl_remove_tree(ok ? old : fresh);
    g_free(old);
    g_free(fresh);
    g_free(cur);
    return ok;
}

void prefrl_rundir_checkpoint_discard(const char *dir)
{
    char *fresh = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT_NEW);
    prefrl_remove_tree(fresh);
    g_free(fresh);
}

char *prefrl_rundir_checkpoint_latest(const char *dir)
{
    char *cur = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT);
    if (!g_file_test(cur, G_FILE_TEST_IS_DIR)) {
        char *old = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT_OLD);
        if (g_file_test(old, G_FILE_TEST_IS_DIR) && rename(old, cur) != 0)
            g_warning("cannot rename %s: %s", old, g_strerror(errno));
        g_free(old);
    }
    return cur;
}

gboolean prefrl_rundir_has_checkpoint(const char *dir)
{
    gboolean found = FALSE;
    const PrefrlRunFile where[] = {PREFRL_RUN_CHECKPOINT, PREFRL_RUN_CHECKPOINT_OLD};
    for (gsize i = 0; i < G_N_ELEMENTS(where) && !found; i++) {
        char *ckdir = prefrl_rundir_path(dir, where[i]);
        char *state = prefrl_rundir_checkpoint_part(ckdir, PREFRL_RUN_TRAINER_STATE);
        found = g_file_test(state, G_FILE_TEST_EXISTS);
        g_free(state);
        g_free(ckdir);
    }
    return found;
}
