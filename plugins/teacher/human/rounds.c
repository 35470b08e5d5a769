/* The query-round files of the interactive teachers (rounds.h): writing a
 * round directory, resuming or moving aside an old one, and reading,
 * validating and appending answers.txt.  The format is documented in
 * docs/human-feedback.md; round.json is written by this module alone and
 * read back only for its fingerprint. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rounds.h"

gboolean rounds_config_init(RoundsConfig *cfg, const char *who, const PrefrlNode *params,
                            const PrefrlContext *ctx, GError **error)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->who = who;
    const char *dir = prefrl_param_string(params, "dir");
    if (dir && *dir) {
        cfg->root = g_strdup(dir);
        cfg->shown_root = g_strdup(dir);
    } else if (ctx && ctx->run_dir) {
        cfg->root = g_build_filename(ctx->run_dir, "queries", NULL);
        cfg->shown_root = g_strdup("queries");
    } else {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: no run directory to write the queries in: set dir", who);
        return FALSE;
    }
    const PrefrlNode *env = ctx && ctx->recipe ? prefrl_node_get(ctx->recipe, "env") : NULL;
    const PrefrlNode *task = env ? prefrl_node_get(env, "task") : NULL;
    const char *task_name = task ? prefrl_node_text(task) : NULL;
    cfg->env_name = task_name ? g_strdup_printf("env/%s", task_name) : g_strdup("the environment");
    cfg->width = (int)prefrl_param_int(params, "width");
    cfg->height = (int)prefrl_param_int(params, "height");
    cfg->fps = (int)prefrl_param_int(params, "fps");
    const char *camera = prefrl_param_string(params, "camera");
    cfg->camera = camera && *camera ? g_strdup(camera) : NULL;
    cfg->ext = strcmp(prefrl_param_string(params, "format"), "mp4") == 0 ? "mp4" : "webm";
    cfg->clips_key = prefrl_node_get(params, "clips") != NULL;
    cfg->clips = cfg->clips_key ? prefrl_param_bool(params, "clips") : TRUE;
    cfg->poll_interval = prefrl_param_float(params, "poll_interval");
    cfg->timeout = prefrl_param_float(params, "timeout");
    return TRUE;
}

void rounds_config_clear(RoundsConfig *cfg)
{
    g_free(cfg->root);
    g_free(cfg->shown_root);
    g_free(cfg->env_name);
    g_free(cfg->camera);
    memset(cfg, 0, sizeof *cfg);
}

gboolean rounds_check_query(const RoundsConfig *cfg, const PrefrlTeacherQuery *q,
                            GError **error)
{
    /* the interactive fields were appended to the struct: an older trainer's
     * query is shorter */
    if (q->struct_size < offsetof(PrefrlTeacherQuery, say_ctx) + sizeof q->say_ctx) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: this trainer passes no query rounds to interactive teachers", cfg->who);
        return FALSE;
    }
    if (q->n < 0 || q->H < 1 || q->lo < 0 || q->hi > q->H || q->lo >= q->hi || q->round < 1) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: round %" PRId64 ": judged window [%d, %d) does not fit %d-step "
                    "segments (n %d)", cfg->who, q->round, q->lo, q->hi, q->H, q->n);
        return FALSE;
    }
    if (cfg->clips && !q->write_clip) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: %s cannot render clips%s", cfg->who, cfg->env_name,
                    cfg->clips_key ? " (clips: false labels without them)" : "");
        return FALSE;
    }
    return TRUE;
}

static void say(const PrefrlTeacherQuery *q, const char *line)
{
    if (q->say)
        q->say(q->say_ctx, line);
}

/* SHA-256 of what makes the round's queries: sizes, window, segments and
 * their true rewards (a resumed run draws the same bytes again) */
static char *fingerprint(const PrefrlTeacherQuery *q)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    const int32_t sizes[] = {q->n, q->H, q->lo, q->hi, q->obs_dim, q->act_dim};
    g_checksum_update(sum, (const guchar *)sizes, sizeof sizes);
    const size_t seg = (size_t)q->n * q->H * (size_t)(q->obs_dim + q->act_dim) * sizeof(float);
    const size_t rew = (size_t)q->n * q->H * sizeof(float);
    if (q->seg1 && q->seg2 && seg > 0) {
        g_checksum_update(sum, (const guchar *)q->seg1, seg);
        g_checksum_update(sum, (const guchar *)q->seg2, seg);
    }
    if (q->r1 && q->r2 && rew > 0) {
        g_checksum_update(sum, (const guchar *)q->r1, rew);
        g_checksum_update(sum, (const guchar *)q->r2, rew);
    }
    char *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return hex;
}

/* the fingerprint written in an existing round.json, or NULL */
static char *stored_fingerprint(const char *dir)
{
    char *path = g_build_filename(dir, "round.json", NULL), *text = NULL, *fp = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        static const char key[] = "\"fingerprint\":\"";
        const char *at = strstr(text, key);
        if (at) {
            at += sizeof key - 1;
            const char *end = strchr(at, '"');
            if (end)
                fp = g_strndup(at, (gsize)(end - at));
        }
    }
    g_free(text);
    g_free(path);
    return fp;
}

/* rename an old round directory to the first free DIR.old-K */
static gboolean move_aside(const RoundsConfig *cfg, const PrefrlTeacherQuery *q, const char *dir,
                           const char *shown, GError **error)
{
    for (int k = 1; k < 10000; k++) {
        char *to = g_strdup_printf("%s.old-%d", dir, k);
        if (g_file_test(to, G_FILE_TEST_EXISTS)) {
            g_free(to);
            continue;
        }
        if (g_rename(dir, to) != 0) {
            int e = errno;
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: cannot move %s to %s: %s",
                        cfg->who, dir, to, g_strerror(e));
            g_free(to);
            return FALSE;
        }
        char *line = g_strdup_printf("%s: %s held other queries (another run or recipe): "
                                     "moved to %s.old-%d", cfg->who, shown, shown, k);
        say(q, line);
        g_free(line);
        g_free(to);
        return TRUE;
    }
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: too many old copies of %s", cfg->who,
                dir);
    return FALSE;
}

/* write one clip under a temporary name, then rename it into place, so a
 * clip present in the directory is a whole one */
static gboolean write_clip(const RoundsConfig *cfg, const PrefrlTeacherQuery *q, const Round *r,
                           int i, int which, GError **error)
{
    const char *name = r->clip_names[2 * i + which];
    char *path = g_build_filename(r->dir, name, NULL);
    gboolean ok = TRUE;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        char *tmp_name = g_strdup_printf(".part-%s", name);
        char *tmp = g_build_filename(r->dir, tmp_name, NULL);
        ok = q->write_clip(q->clip_ctx, i, which, tmp, cfg->camera, cfg->width, cfg->height,
                           cfg->fps, error);
        if (ok && g_rename(tmp, path) != 0) {
            int e = errno;
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: cannot rename %s to %s: %s",
                        cfg->who, tmp, path, g_strerror(e));
            ok = FALSE;
        }
        if (!ok)
            g_unlink(tmp);
        g_free(tmp);
        g_free(tmp_name);
    }
    g_free(path);
    return ok;
}

Round *rounds_open(const RoundsConfig *cfg, const PrefrlTeacherQuery *q, GError **error)
{
    Round *r = g_new0(Round, 1);
    r->number = q->round;
    r->n = q->n;
    char *name = g_strdup_printf("round-%04" PRId64, q->round);
    r->dir = g_build_filename(cfg->root, name, NULL);
    r->shown_dir = g_build_filename(cfg->shown_root, name, NULL);
    r->answers = g_build_filename(r->dir, "answers.txt", NULL);
    g_free(name);
    r->labels = g_new(int, MAX(r->n, 1));
    for (int i = 0; i < r->n; i++)
        r->labels[i] = ROUNDS_UNANSWERED;
    char *fp = fingerprint(q);
    char *json_path = g_build_filename(r->dir, "round.json", NULL);
    GString *js = NULL;

    if (g_file_test(r->dir, G_FILE_TEST_EXISTS)) {
        char *old = stored_fingerprint(r->dir);
        gboolean same = old && strcmp(old, fp) == 0;
        g_free(old);
        if (!same && !move_aside(cfg, q, r->dir, r->shown_dir, error))
            goto fail;
    }
    if (g_mkdir_with_parents(r->dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: cannot create %s: %s", cfg->who,
                    r->dir, g_strerror(e));
        goto fail;
    }
    if (cfg->clips) {
        r->clip_names = g_new0(char *, 2 * (size_t)r->n + 1);
        for (int i = 0; i < r->n; i++) {
            r->clip_names[2 * i] = g_strdup_printf("q%04d-left.%s", i, cfg->ext);
            r->clip_names[2 * i + 1] = g_strdup_printf("q%04d-right.%s", i, cfg->ext);
        }
        for (int i = 0; i < r->n; i++)
            for (int which = 0; which < 2; which++)
                if (!write_clip(cfg, q, r, i, which, error))
                    goto fail;
    }

    /* answers before round.json: a tool that waits for round.json cannot
     * have answered this round's queries yet, so what is read here is what
     * an earlier attempt at the round left */
    if (!rounds_read_answers(r, error))
        goto fail;

    /* round.json last: its presence says the clips are complete */
    js = g_string_new(NULL);
    g_string_append_printf(js,
                           "{\"format\":\"prefrl-queries\",\"version\":1,\"round\":%" PRId64
                           ",\"step\":%" PRId64 ",\"budget_left\":%" PRId64
                           ",\"fingerprint\":\"%s\",\"fps\":%d,\"width\":%d,\"height\":%d,"
                           "\"steps\":%d,\"queries\":[",
                           q->round, q->step, q->budget_left, fp, cfg->fps, cfg->width,
                           cfg->height, q->hi - q->lo);
    for (int i = 0; i < r->n; i++) {
        if (r->clip_names)
            g_string_append_printf(js, "%s{\"index\":%d,\"left\":\"%s\",\"right\":\"%s\"}",
                                   i ? "," : "", i, r->clip_names[2 * i],
                                   r->clip_names[2 * i + 1]);
        else
            g_string_append_printf(js, "%s{\"index\":%d,\"left\":null,\"right\":null}",
                                   i ? "," : "", i);
    }
    g_string_append(js, "]}");
    if (!g_file_set_contents_full(json_path, js->str, (gssize)js->len,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
        goto fail;
    r->json = g_string_free(g_steal_pointer(&js), FALSE);
    g_free(json_path);
    g_free(fp);
    return r;

fail:
    if (js)
        g_string_free(js, TRUE);
    g_free(json_path);
    g_free(fp);
    rounds_free(r);
    return NULL;
}

int rounds_label_from_word(const char *word)
{
    if (strcmp(word, "left") == 0)
        return PREFRL_LABEL_FIRST;
    if (strcmp(word, "right") == 0)
        return PREFRL_LABEL_SECOND;
    if (strcmp(word, "equal") == 0)
        return PREFRL_LABEL_EQUAL;
    if (strcmp(word, "skip") == 0)
        return PREFRL_LABEL_SKIP;
    return ROUNDS_UNANSWERED;
}

const char *rounds_label_word(int label)
{
    switch (label) {
    case PREFRL_LABEL_FIRST:
        return "left";
    case PREFRL_LABEL_SECOND:
        return "right";
    case PREFRL_LABEL_EQUAL:
        return "equal";
    case PREFRL_LABEL_SKIP:
        return "skip";
    default:
        return "?";
    }
}

/* a line as an error message shows it: at most 40 bytes, escaped */
static char *shown_text(const char *s, size_t len)
{
    char *cut = g_strndup(s, MIN(len, 40));
    char *esc = g_strescape(cut, NULL);
    char *out = g_strdup_printf("'%s'%s", esc, len > 40 ? "..." : "");
    g_free(esc);
    g_free(cut);
    return out;
}

/* parse one complete line (without its '\n'): an answer into *index and
 * *label, or *index = -1 for a blank or comment line */
static gboolean parse_line(const Round *r, const char *line, size_t len, int lineno, int *index,
                           int *label, GError **error)
{
    *index = -1;
    char *copy = g_strndup(line, len);
    char *s = g_strstrip(copy);
    gboolean ok = TRUE;
    if (*s == '\0' || *s == '#')
        goto out;
    char **tok = g_strsplit_set(s, " \t", -1);
    /* the fields, with runs of blanks between them */
    const char *field[3] = {NULL, NULL, NULL};
    int nf = 0;
    for (int k = 0; tok[k]; k++)
        if (*tok[k]) {
            if (nf < 3)
                field[nf] = tok[k];
            nf++;
        }
    /* an index: decimal digits only (no sign or blank), below 10^9 */
    guint64 index_value;
    if (nf != 2 ||
        !g_ascii_string_to_unsigned(field[0], 10, 0, 999999999, &index_value, NULL)) {
        char *t = shown_text(line, len);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s/answers.txt:%d: expected 'INDEX LABEL' (e.g. '0 left'), got %s",
                    r->shown_dir, lineno, t);
        g_free(t);
        ok = FALSE;
    } else {
        int i = (int)index_value;
        int l = rounds_label_from_word(field[1]);
        if (l == ROUNDS_UNANSWERED) {
            char *t = shown_text(field[1], strlen(field[1]));
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s/answers.txt:%d: unknown label %s (left, right, equal, skip)",
                        r->shown_dir, lineno, t);
            g_free(t);
            ok = FALSE;
        } else if (i >= r->n) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s/answers.txt:%d: index %d out of range (round %" PRId64
                        " has %d queries: 0 to %d)", r->shown_dir, lineno, i, r->number, r->n,
                        r->n - 1);
            ok = FALSE;
        } else {
            *index = i;
            *label = l;
        }
    }
    g_strfreev(tok);
out:
    g_free(copy);
    return ok;
}

/* answers.txt is read whole at every poll: a file far larger than any
 * round's answers is refused rather than read */
#define ANSWERS_MAX_BYTES (4 << 20)

gboolean rounds_read_answers(Round *r, GError **error)
{
    char *text = NULL;
    gsize len = 0;
    GError *err = NULL;
    GStatBuf st;
    if (g_stat(r->answers, &st) == 0 && st.st_size > ANSWERS_MAX_BYTES) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s/answers.txt: %lld bytes, more than the %d MiB an answers file may have",
                    r->shown_dir, (long long)st.st_size, ANSWERS_MAX_BYTES >> 20);
        return FALSE;
    }
    if (!g_file_get_contents(r->answers, &text, &len, &err)) {
        if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_error_free(err);
            return TRUE; /* nothing answered yet */
        }
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s/answers.txt: %s", r->shown_dir,
                    err->message);
        g_error_free(err);
        return FALSE;
    }
    int *labels = g_new(int, MAX(r->n, 1));
    int *first_line = g_new0(int, MAX(r->n, 1));
    for (int i = 0; i < r->n; i++)
        labels[i] = ROUNDS_UNANSWERED;
    gboolean ok = TRUE;
    int answered = 0, lineno = 0;
    const char *p = text, *end = text + len;
    /* complete lines only: a last line without '\n' is still being written */
    for (const char *nl; ok && p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
        lineno++;
        int index, label;
        if (!parse_line(r, p, (size_t)(nl - p), lineno, &index, &label, error)) {
            ok = FALSE;
        } else if (index >= 0 && labels[index] == ROUNDS_UNANSWERED) {
            labels[index] = label;
            first_line[index] = lineno;
            answered++;
        } else if (index >= 0 && labels[index] != label) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s/answers.txt:%d: index %d answered '%s' here and '%s' on line %d",
                        r->shown_dir, lineno, index, rounds_label_word(label),
                        rounds_label_word(labels[index]), first_line[index]);
            ok = FALSE;
        }
    }
    if (ok) {
        memcpy(r->labels, labels, sizeof(int) * (size_t)r->n);
        r->answered = answered;
    }
    g_free(first_line);
    g_free(labels);
    g_free(text);
    return ok;
}

/* write all of buf to fd */
static gboolean write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return FALSE;
        buf += w;
        len -= (size_t)w;
    }
    return TRUE;
}

gboolean rounds_append_answer(Round *r, int index, int label, GError **error)
{
    if (index < 0 || index >= r->n) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "index %d out of range (round %" PRId64 " has %d queries: 0 to %d)", index,
                    r->number, r->n, r->n - 1);
        return FALSE;
    }
    if (rounds_label_word(label)[0] == '?') {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "unknown label %d", label);
        return FALSE;
    }
    if (r->labels[index] == label)
        return TRUE;
    if (r->labels[index] != ROUNDS_UNANSWERED) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "query %d is already answered '%s'", index,
                    rounds_label_word(r->labels[index]));
        return FALSE;
    }
    /* read-write: pread sees the last byte; O_APPEND places every write */
    int fd = open(r->answers, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s/answers.txt: %s", r->shown_dir,
                    g_strerror(e));
        return FALSE;
    }
    /* a line someone left without its '\n' would swallow ours */
    struct stat st;
    char last = '\n';
    if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
        last = '\n';
    const gboolean newline = last != '\n';
    char *line = g_strdup_printf("%s%d %s\n", newline ? "\n" : "", index,
                                 rounds_label_word(label));
    gboolean ok = write_all(fd, line, strlen(line)) && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    g_free(line);
    if (!ok) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s/answers.txt: cannot write: %s",
                    r->shown_dir, g_strerror(e ? e : errno));
        return FALSE;
    }
    r->labels[index] = label;
    r->answered++;
    return TRUE;
}

gboolean rounds_wait(const RoundsConfig *cfg, Round *r, const PrefrlTeacherQuery *q,
                     GMutex *lock, int *labels, GError **error)
{
    const gint64 start = g_get_monotonic_time();
    for (;;) {
        if (lock)
            g_mutex_lock(lock);
        gboolean ok = rounds_read_answers(r, error);
        int answered = r->answered;
        if (lock)
            g_mutex_unlock(lock);
        if (!ok)
            return FALSE;
        if (answered == r->n) {
            /* complete: no answer can change it any more */
            for (int i = 0; i < r->n; i++)
                labels[i] = r->labels[i];
            return TRUE;
        }
        if (q->stop && *q->stop) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED,
                        "%s: interrupted while round %" PRId64 " waited (%d of %d queries "
                        "answered, kept in %s/answers.txt)", cfg->who, r->number, answered, r->n,
                        r->shown_dir);
            return FALSE;
        }
        double waited = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
        if (cfg->timeout > 0 && waited >= cfg->timeout) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "%s: round %" PRId64 " not answered within %g s (timeout; %d of %d "
                        "queries answered, kept in %s/answers.txt for `prefrl resume`)",
                        cfg->who, r->number, cfg->timeout, answered, r->n, r->shown_dir);
            return FALSE;
        }
        /* sleep in short slices so a stop request is seen at once */
        double left = cfg->poll_interval;
        if (cfg->timeout > 0)
            left = MIN(left, cfg->timeout - waited);
        while (left > 0 && !(q->stop && *q->stop)) {
            double slice = MIN(left, 0.05);
            g_usleep((gulong)(slice * G_USEC_PER_SEC));
            left -= slice;
        }
    }
}

void rounds_free(Round *r)
{
    if (!r)
        return;
    g_free(r->dir);
    g_free(r->shown_dir);
    g_free(r->answers);
    g_free(r->json);
    g_strfreev(r->clip_names);
    g_free(r->labels);
    g_free(r);
}
