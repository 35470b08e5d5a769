/* The run directory: file names, the status protocol, config.yaml and the
 * checkpoint swap (see rundir.h for the layout). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <glib/gstdio.h>

#include "host/recipe.h"
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
    [PREFRL_RUN_MARKER] = ".prefrl-run",
    [PREFRL_RUN_LOCK] = ".prefrl-lock",
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

/* ---- one writer per run directory ------------------------------------------------- */

gboolean prefrl_rundir_name_ok(const char *name)
{
    gsize n = strlen(name);
    if (n == 0 || n > 255 || name[0] == '.')
        return FALSE;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._+=,-", *p))
            return FALSE;
    return TRUE;
}

/* the pid written in the lock file at `fd` (0 when unreadable) */
static long read_pid(int fd)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *end;
    long pid = strtol(buf, &end, 10);
    return pid > 0 && (*end == '\n' || *end == 0) ? pid : 0;
}

int prefrl_rundir_lock(const char *dir, GError **error)
{
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_LOCK);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot open %s: %s", path,
                    g_strerror(errno));
        g_free(path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            long pid = read_pid(fd);
            if (pid > 0)
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                            "%s is in use by prefrl process %ld (it holds %s)", dir, pid, path);
            else
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                            "%s is in use by another prefrl process (it holds %s)", dir, path);
        } else {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot lock %s: %s", path,
                        g_strerror(e));
        }
        close(fd);
        g_free(path);
        return -1;
    }
    /* the holder's pid, for the refusal above and for `status` readers */
    char pid[32];
    int len = g_snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path,
                    g_strerror(errno));
        close(fd);
        g_free(path);
        return -1;
    }
    g_free(path);
    return fd;
}

long prefrl_rundir_lock_holder(const char *dir)
{
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_LOCK);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    g_free(path);
    if (fd < 0)
        return 0;
    long holder = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
    } else if (errno == EWOULDBLOCK) {
        holder = read_pid(fd);
        if (holder <= 0)
            holder = -1;
    }
    close(fd);
    return holder;
}

gboolean prefrl_rundir_mark(const char *dir, GError **error)
{
    static const char text[] = "a run directory created by prefrl; `prefrl run --force` may "
                               "replace it\n";
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_MARKER);
    gboolean ok = prefrl_write_file_atomic(path, text, sizeof text - 1, error);
    g_free(path);
    return ok;
}

gboolean prefrl_rundir_is_marked(const char *dir)
{
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_MARKER);
    gboolean marked = g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
                      !g_file_test(path, G_FILE_TEST_IS_SYMLINK);
    g_free(path);
    return marked;
}

gboolean prefrl_rundir_clear(const char *dir, GError **error)
{
    if (g_file_test(dir, G_FILE_TEST_IS_SYMLINK) || !prefrl_rundir_is_marked(dir)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "%s was not created by prefrl as a run directory (no %s marker); not "
                    "removing it: choose another name=..., or remove it yourself",
                    dir, file_names[PREFRL_RUN_MARKER]);
        return FALSE;
    }
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    if (!d) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read %s: %s", dir,
                    err->message);
        g_error_free(err);
        return FALSE;
    }
    gboolean ok = TRUE;
    const char *n;
    /* the marker last, so an interrupted clear can be repeated */
    while (ok && (n = g_dir_read_name(d))) {
        if (!strcmp(n, file_names[PREFRL_RUN_LOCK]) || !strcmp(n, file_names[PREFRL_RUN_MARKER]))
            continue;
        char *p = g_build_filename(dir, n, NULL);
        if (!prefrl_remove_tree(p)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot remove %s: %s", p,
                        g_strerror(errno));
            ok = FALSE;
        }
        g_free(p);
    }
    g_dir_close(d);
    return ok;
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
        /* a writer that was killed could not say so: no lock holder, not running */
        if (s == PREFRL_STATUS_RUNNING && prefrl_rundir_lock_holder(dir) == 0) {
            s = PREFRL_STATUS_INTERRUPTED;
            g_free(word);
            word = g_strdup(status_names[s]);
        }
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
                  rename_dir(fresh, cur, error) && prefrl_sync_dir(dir, error);
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
