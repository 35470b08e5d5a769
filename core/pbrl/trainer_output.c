/* What the trainer writes besides its metrics: the output files of the run
 * directory (opened, measured for a checkpoint, cut back when resuming),
 * log.txt and the progress line on stderr; every write checked, the first
 * failure naming its file.  Also the divergence guard's verdict on the
 * metrics the logs watched (it stops either loop like a failed write). */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "host/checkpoint.h"
#include "pbrl/trainer_private.h"

#define OUTPUTS_TAG "outputs"
#define OUTPUTS_VERSION 1

/* the outputs a run writes: all of them with a learned reward, without the
 * preference files with reward/true */
static gboolean writes(const PrefrlTrainer *t, PrefrlRunFile f)
{
    return !t->cfg.true_reward ||
           (f != PREFRL_RUN_REWARD_CSV && f != PREFRL_RUN_LABELS_CSV && f != PREFRL_RUN_PREFS_BIN);
}

gboolean trainer_open_outputs(PrefrlTrainer *t, gboolean resume, GError **error)
{
    /* in this order, so a failure names the first file that cannot be made */
    static const PrefrlRunFile order[] = {PREFRL_RUN_TRAIN_CSV,  PREFRL_RUN_EVAL_CSV,
                                          PREFRL_RUN_LOG_TXT,    PREFRL_RUN_REWARD_CSV,
                                          PREFRL_RUN_LABELS_CSV, PREFRL_RUN_PREFS_BIN};
    for (gsize i = 0; i < G_N_ELEMENTS(order); i++)
        if (writes(t, order[i]) &&
            !(t->out[order[i]] = prefrl_rundir_open(t->run_dir, order[i], resume, error)))
            return FALSE;
    return TRUE;
}

void trainer_close_outputs(PrefrlTrainer *t)
{
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++)
        if (t->out[i])
            fclose(t->out[i]);
    memset(t->out, 0, sizeof t->out);
}

void trainer_say(PrefrlTrainer *t, const char *fmt, ...)
{
    FILE *f = t->out[PREFRL_RUN_LOG_TXT];
    if (!f || t->write_error)
        return; /* after a failed write nothing more: the loop stops at its next check */
    va_list ap;
    va_start(ap, fmt);
    GDateTime *now = g_date_time_new_now_local();
    char *stamp = g_date_time_format(now, "%F %T");
    errno = 0;
    fprintf(f, "%s step %lld: ", stamp, (long long)t->state.step);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    if (fflush(f) != 0 || ferror(f)) {
        char *path = prefrl_rundir_path(t->run_dir, PREFRL_RUN_LOG_TXT);
        t->write_error = g_error_new(PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path,
                                     g_strerror(errno ? errno : EIO));
        /* log.txt cannot say it: stderr does, once */
        fprintf(stderr, "prefrl: %s\n", t->write_error->message);
        g_free(path);
    }
    g_free(stamp);
    g_date_time_unref(now);
    va_end(ap);
}

gboolean trainer_outputs_ok(PrefrlTrainer *t, GError **error)
{
    if (!t->write_error)
        return TRUE;
    t->keep_checkpoint = TRUE;
    g_propagate_error(error, g_error_copy(t->write_error));
    return FALSE;
}

gboolean trainer_check_divergence(PrefrlTrainer *t, const PrefrlInstance *who, GError **error)
{
    const char *col;
    double v;
    if (!prefrl_log_diverged(t->state.log, &col, &v) &&
        !prefrl_log_diverged(t->state.reward_log, &col, &v))
        return TRUE;
    /* the diverged state is never checkpointed (trainer_finish) */
    const char *kept = !t->run_dir ? ""
                       : prefrl_rundir_has_checkpoint(t->run_dir)
                           ? "; the last checkpoint before it is kept"
                           : "; no checkpoint was written before it";
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                "%s/%s diverged at step %lld: %s = %g (trainer.divergence_threshold %g)%s",
                prefrl_kind_name(who->component->kind), who->component->name,
                (long long)t->state.step, col, v, t->cfg.divergence_threshold, kept);
    t->keep_checkpoint = TRUE;
    return FALSE;
}

gboolean trainer_end_outputs(PrefrlTrainer *t, gboolean ok, GError **error)
{
    for (int i = 0; ok && i < PREFRL_RUN_N_OUTPUTS; i++) {
        FILE *f = t->out[i];
        errno = 0;
        if (f && (fflush(f) != 0 || ferror(f))) {
            char *path = prefrl_rundir_path(t->run_dir, i);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path,
                        g_strerror(errno ? errno : EIO));
            g_free(path);
            t->keep_checkpoint = TRUE;
            ok = FALSE;
        }
    }
    ok = ok && trainer_outputs_ok(t, error);
    if (!ok && error && *error && !g_error_matches(*error, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED))
        trainer_say(t, "failed: %s", (*error)->message);
    return ok;
}

/* ---- progress ---------------------------------------------------------------- */

/* the rate is measured over the last RATE_WINDOW seconds or more (the last
 * periodic line's interval when longer), never over less than RATE_MIN */
#define RATE_WINDOW 10.0
#define RATE_MIN 1.0
/* an estimate beyond this many seconds (a stalled run) is not one */
#define ETA_MAX (1000.0 * 86400.0)

void trainer_progress_start(PrefrlTrainer *t, PrefrlProgress mode)
{
    t->progress = (TrainerProgress){.mode = mode, .last_frame = -INFINITY, .last_line = 0,
                                    .ref_time = 0, .ref_step = t->state.step,
                                    .start_step = t->state.step};
}

/* "1:02:03" or "3d 01:02:03" */
static void format_duration(double sec, char *buf, size_t n)
{
    long long s = (long long)ceil(sec), d = s / 86400;
    int h = (int)(s % 86400 / 3600), m = (int)(s % 3600 / 60), r = (int)(s % 60);
    if (d > 0)
        snprintf(buf, n, "%lldd %02d:%02d:%02d", d, h, m, r);
    else
        snprintf(buf, n, "%d:%02d:%02d", h, m, r);
}

/* "step 1200/8000  35 steps/s  ETA 0:03:14  eval 12.3  labels 40/100": the
 * rate over the window since the reference point, "--" for what cannot be
 * estimated yet (a window shorter than rate_min seconds, no evaluation) */
static void progress_text(PrefrlTrainer *t, double now, double rate_min, char *buf, size_t n)
{
    const TrainerState *s = &t->state;
    TrainerProgress *p = &t->progress;
    const int64_t T = t->cfg.num_train_steps;
    double span = now - p->ref_time;
    double rate = span >= rate_min && s->step > p->ref_step ? (s->step - p->ref_step) / span
                                                                 : NAN;
    char rate_s[32] = "--", eta_s[32] = "--", eval_s[32] = "--", labels_s[64] = "";
    if (!isnan(rate)) {
        snprintf(rate_s, sizeof rate_s, "%.*f", rate < 10 ? 1 : 0, rate);
        double eta = (double)(T - s->step) / rate;
        if (eta <= ETA_MAX)
            format_duration(eta, eta_s, sizeof eta_s);
    } else if (s->step >= T) {
        snprintf(eta_s, sizeof eta_s, "0:00:00");
    }
    if (isfinite(s->last_eval))
        snprintf(eval_s, sizeof eval_s, "%.1f", s->last_eval);
    if (!t->cfg.true_reward)
        snprintf(labels_s, sizeof labels_s, "  labels %lld/%lld", (long long)s->labeled_feedback,
                 (long long)t->cfg.max_feedback);
    snprintf(buf, n, "step %lld/%lld  %s steps/s  ETA %s  eval %s%s", (long long)s->step,
             (long long)T, rate_s, eta_s, eval_s, labels_s);
    /* the next window starts here once this one is long enough */
    if (span >= RATE_WINDOW) {
        p->ref_time = now;
        p->ref_step = s->step;
    }
}

/* the periodic line: log.txt, and stderr when it is not a terminal (on a
 * terminal the rewritten line is enough) */
static void progress_line(PrefrlTrainer *t, const char *text)
{
    if (t->progress.mode == PREFRL_PROGRESS_LINES) {
        fprintf(stderr, "%s\n", text);
        fflush(stderr);
    }
    trainer_say(t, "progress: %s", text);
}

void trainer_progress_tick(PrefrlTrainer *t, double elapsed)
{
    TrainerProgress *p = &t->progress;
    if (p->mode == PREFRL_PROGRESS_NONE)
        return;
    gboolean frame = p->mode == PREFRL_PROGRESS_TERMINAL && elapsed - p->last_frame >= 1.0;
    gboolean line = t->cfg.progress_interval > 0 &&
                    elapsed - p->last_line >= t->cfg.progress_interval;
    if (!frame && !line)
        return;
    char text[256];
    progress_text(t, elapsed, RATE_MIN, text, sizeof text);
    if (frame) {
        fprintf(stderr, "\r%s  ", text);
        fflush(stderr);
        p->last_frame = elapsed;
    }
    if (line) {
        progress_line(t, text);
        p->last_line = elapsed;
    }
}

void trainer_progress_end(PrefrlTrainer *t, double elapsed, gboolean failed)
{
    TrainerProgress *p = &t->progress;
    if (p->mode == PREFRL_PROGRESS_NONE)
        return;
    /* the last line's rate is the whole loop's, however short */
    p->ref_time = 0;
    p->ref_step = p->start_step;
    char text[256];
    progress_text(t, elapsed, 1e-9, text, sizeof text);
    if (p->mode == PREFRL_PROGRESS_TERMINAL)
        fprintf(stderr, "\r%s  \n", text);
    else if (t->cfg.progress_interval > 0 && !failed)
        progress_line(t, text);
    fflush(stderr);
}

gboolean trainer_measure_outputs(PrefrlTrainer *t, GError **error)
{
    /* the checkpoint claims these bytes: they are on disk before it is */
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++) {
        FILE *f = t->out[i];
        t->state.out_len[i] = -1;
        if (!f)
            continue;
        errno = 0;
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0 ||
            (t->state.out_len[i] = (int64_t)ftello(f)) < 0) {
            char *path = prefrl_rundir_path(t->run_dir, i);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path,
                        g_strerror(errno ? errno : EIO));
            g_free(path);
            t->keep_checkpoint = TRUE;
            return FALSE;
        }
    }
    return TRUE;
}

/* the CRC-32 of the first `len` bytes of `path`; FALSE (errno set) when it
 * cannot be read or is shorter */
static gboolean prefix_crc(const char *path, int64_t len, uint32_t *crc)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return FALSE;
    char buf[65536];
    uint32_t c = 0;
    int64_t left = len;
    while (left > 0) {
        size_t n = fread(buf, 1, (size_t)MIN(left, (int64_t)sizeof buf), f);
        if (n == 0) {
            if (!ferror(f))
                errno = 0; /* shorter than len */
            fclose(f);
            return FALSE;
        }
        c = prefrl_crc32(c, buf, n);
        left -= (int64_t)n;
    }
    fclose(f);
    *crc = c;
    return TRUE;
}

gboolean trainer_write_outputs_state(void *self, PrefrlCkpt *out, GError **error)
{
    PrefrlTrainer *t = self;
    prefrl_ckpt_put_tag(out, OUTPUTS_TAG, OUTPUTS_VERSION);
    prefrl_ckpt_put_i64(out, PREFRL_RUN_N_OUTPUTS);
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++) {
        int64_t len = t->state.out_len[i];
        uint32_t crc = 0;
        if (len >= 0) {
            char *path = prefrl_rundir_path(t->run_dir, i);
            if (!prefix_crc(path, len, &crc)) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                            "cannot read %s back for the checkpoint: %s", path,
                            errno ? g_strerror(errno) : "shorter than written");
                g_free(path);
                return FALSE;
            }
            g_free(path);
        }
        prefrl_ckpt_put_i64(out, len);
        prefrl_ckpt_put_i64(out, crc);
    }
    return prefrl_ckpt_check(out, error);
}

gboolean trainer_verify_outputs(const char *run_dir, int64_t len[PREFRL_RUN_N_OUTPUTS],
                                gboolean *have, GError **error)
{
    *have = FALSE;
    char *ckdir = prefrl_rundir_checkpoint_latest(run_dir);
    char *rec = prefrl_rundir_checkpoint_part(ckdir, PREFRL_RUN_OUTPUTS_STATE);
    g_free(ckdir);
    if (!g_file_test(rec, G_FILE_TEST_EXISTS)) {
        g_free(rec);
        return TRUE;
    }
    uint32_t crc[PREFRL_RUN_N_OUTPUTS];
    PrefrlCkpt *c = prefrl_ckpt_open_read(rec, error);
    if (!c) {
        g_free(rec);
        return FALSE;
    }
    prefrl_ckpt_expect_tag(c, OUTPUTS_TAG, OUTPUTS_VERSION);
    prefrl_ckpt_get_count(c, PREFRL_RUN_N_OUTPUTS, PREFRL_RUN_N_OUTPUTS, "the output count");
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++) {
        len[i] = prefrl_ckpt_get_count(c, -1, G_MAXINT64, "an output length");
        crc[i] = (uint32_t)prefrl_ckpt_get_count(c, 0, G_MAXUINT32, "an output checksum");
    }
    GError *err = NULL;
    gboolean read_ok = prefrl_ckpt_check(c, &err);
    if (read_ok)
        read_ok = prefrl_ckpt_close(c, &err); /* closes in any case */
    else
        prefrl_ckpt_abort(c);
    if (!read_ok) {
        if (!g_str_has_prefix(err->message, rec))
            g_prefix_error(&err, "%s: ", rec);
        g_propagate_error(error, err);
        g_free(rec);
        return FALSE;
    }
    g_free(rec);
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++) {
        if (len[i] < 0)
            continue;
        char *path = prefrl_rundir_path(run_dir, i);
        struct stat st;
        uint32_t now = 0;
        gboolean ok = FALSE;
        if (g_stat(path, &st) != 0)
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "cannot resume: %s is missing (%s); the checkpoint recorded %lld bytes",
                        path, g_strerror(errno), (long long)len[i]);
        else if ((int64_t)st.st_size < len[i])
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "cannot resume: %s has %lld bytes, fewer than the %lld recorded at the "
                        "checkpoint (it was cut or replaced)",
                        path, (long long)st.st_size, (long long)len[i]);
        else if (!prefix_crc(path, len[i], &now))
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot resume: cannot read %s: %s",
                        path, errno ? g_strerror(errno) : "shorter than its size");
        else if (now != crc[i])
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "cannot resume: the first %lld bytes of %s differ from those at the "
                        "checkpoint (CRC-32 %08x, recorded %08x)",
                        (long long)len[i], path, now, crc[i]);
        else
            ok = TRUE;
        g_free(path);
        if (!ok)
            return FALSE;
    }
    *have = TRUE;
    return TRUE;
}

/* the rows written after the checkpoint are written again, exactly once;
 * every length is checked before any file is cut, and a file is only ever
 * cut (ftruncate never pads it).  log.txt is the exception: it is the run's
 * history, so the interrupted process's last lines (after the checkpoint)
 * stay and the resumed run appends after them */
gboolean trainer_restore_outputs(PrefrlTrainer *t, GError **error)
{
    int64_t len[PREFRL_RUN_N_OUTPUTS];
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++) {
        FILE *f = t->out[i];
        len[i] = t->have_verified_len ? t->verified_len[i] : t->state.out_len[i];
        if (!f)
            continue;
        char *path = prefrl_rundir_path(t->run_dir, i);
        struct stat st;
        gboolean ok = FALSE;
        if (len[i] < 0)
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "cannot resume: the checkpoint records no length for %s", path);
        else if (fstat(fileno(f), &st) != 0)
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot resume: %s: %s", path,
                        g_strerror(errno));
        else if ((int64_t)st.st_size < len[i])
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "cannot resume: %s has %lld bytes, fewer than the %lld recorded at the "
                        "checkpoint (it was cut or replaced)",
                        path, (long long)st.st_size, (long long)len[i]);
        else
            ok = TRUE;
        g_free(path);
        if (!ok)
            return FALSE;
    }
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++) {
        FILE *f = t->out[i];
        if (!f)
            continue;
        struct stat st;
        gboolean whole = i == PREFRL_RUN_LOG_TXT;
        off_t end = -1;
        errno = 0;
        if (fstat(fileno(f), &st) != 0 ||
            (!whole && (int64_t)st.st_size > len[i] && ftruncate(fileno(f), (off_t)len[i]) != 0) ||
            fseeko(f, 0, SEEK_END) != 0 || (end = ftello(f)) < 0 ||
            (whole ? (int64_t)end < len[i] : (int64_t)end != len[i])) {
            char *path = prefrl_rundir_path(t->run_dir, i);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "%s: cannot restore it to its %lld bytes at the checkpoint: %s", path,
                        (long long)len[i], errno ? g_strerror(errno) : "it was cut meanwhile");
            g_free(path);
            return FALSE;
        }
        t->state.out_len[i] = (int64_t)end;
    }
    return TRUE;
}
