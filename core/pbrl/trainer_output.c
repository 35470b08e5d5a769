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

#include "pbrl/trainer_private.h"

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

void trainer_progress_line(PrefrlTrainer *t, double elapsed)
{
    const TrainerState *s = &t->state;
    double rate = (s->step - MAX(t->resumed_at, 0)) / MAX(elapsed, 1e-9);
    double eta = (t->cfg.num_train_steps - s->step) / MAX(rate, 1e-9);
    fprintf(stderr,
            "\rstep %lld/%lld  %.0f steps/s  ETA %02d:%02d:%02d  eval %.1f  labels %lld/%lld  ",
            (long long)s->step, (long long)t->cfg.num_train_steps, rate, (int)(eta / 3600),
            (int)fmod(eta / 60, 60), (int)fmod(eta, 60), s->last_eval,
            (long long)s->labeled_feedback, (long long)t->cfg.max_feedback);
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

/* the rows written after the checkpoint are written again, exactly once */
gboolean trainer_restore_outputs(PrefrlTrainer *t, GError **error)
{
    for (int i = 0; i < PREFRL_RUN_N_OUTPUTS; i++) {
        FILE *f = t->out[i];
        int64_t len = t->state.out_len[i];
        if (!f)
            continue;
        if (len < 0 || ftruncate(fileno(f), (off_t)len) != 0 || fseeko(f, 0, SEEK_END) != 0 ||
            ftello(f) != len) {
            char *path = prefrl_rundir_path(t->run_dir, i);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "%s: cannot restore it to its %lld bytes at the checkpoint", path,
                        (long long)len);
            g_free(path);
            return FALSE;
        }
    }
    return TRUE;
}
