/* The checkpoint stream: how every component saves and restores its state.
 *
 * A checkpoint file is a sequence of raw little-endian fields followed by a
 * CRC-32 of everything before it, so a truncated or damaged file is refused
 * instead of resumed from garbage.  Components write their state in their
 * save hook and read it back in the same order in their load hook; the core
 * opens the file, writes or checks the checksum and closes it.
 *
 * Errors stick: after the first failed write, short read or format error
 * (prefrl_ckpt_fail, a wrong tag, a count out of range) every later call
 * does nothing (reads return zeros), and the error is reported once, by
 * prefrl_ckpt_close or by the core after a hook returns.  A hook can
 * therefore write or read its fields without checking each call. */
#ifndef PREFRL_CKPT_H
#define PREFRL_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include <prefrl/export.h>

G_BEGIN_DECLS

/** A checkpoint stream (opaque), open for writing or for reading. */
typedef struct PrefrlCkpt PrefrlCkpt;

/** Create or replace `path` and open it for writing.  NULL and
 *  PREFRL_ERROR_IO when it cannot be created. */
PREFRL_API PrefrlCkpt *prefrl_ckpt_open_write(const char *path, GError **error);

/** Open `path` for reading.  NULL and PREFRL_ERROR_IO when it cannot be
 *  opened. */
PREFRL_API PrefrlCkpt *prefrl_ckpt_open_read(const char *path, GError **error);

/** Finish and free the stream: a writer appends the checksum, flushes and
 *  closes the file (each step checked); a reader checks the checksum and
 *  that nothing follows it.  FALSE with the stream's first error (naming the
 *  file) or the closing one. */
PREFRL_API gboolean prefrl_ckpt_close(PrefrlCkpt *c, GError **error);

/** Free the stream without finishing it (on an error path). */
PREFRL_API void prefrl_ckpt_abort(PrefrlCkpt *c);

/** TRUE while no error has occurred. */
PREFRL_API gboolean prefrl_ckpt_ok(const PrefrlCkpt *c);

/** The file name, for messages (transfer none). */
PREFRL_API const char *prefrl_ckpt_path(const PrefrlCkpt *c);

/** Record a format error ("FILE: message"); no-op after the first error. */
PREFRL_API void prefrl_ckpt_fail(PrefrlCkpt *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/** Move the stream's error, if any, into *error (FALSE then); TRUE when
 *  there was none.  For a hook that wants to stop at the first error. */
PREFRL_API gboolean prefrl_ckpt_check(PrefrlCkpt *c, GError **error);

/* writing */

/** n raw bytes. */
PREFRL_API void prefrl_ckpt_put(PrefrlCkpt *c, const void *p, size_t n);
/** One 64-bit integer / double. */
PREFRL_API void prefrl_ckpt_put_i64(PrefrlCkpt *c, int64_t v);
PREFRL_API void prefrl_ckpt_put_f64(PrefrlCkpt *c, double v);
/** A length-prefixed string (NULL is written as length −1). */
PREFRL_API void prefrl_ckpt_put_str(PrefrlCkpt *c, const char *s);
/** n floats / doubles, preceded by n (checked on reading). */
PREFRL_API void prefrl_ckpt_put_floats(PrefrlCkpt *c, const float *p, size_t n);
PREFRL_API void prefrl_ckpt_put_doubles(PrefrlCkpt *c, const double *p, size_t n);
/** A section tag (a short name and a format version), read back with
 *  prefrl_ckpt_expect_tag: it tells which component and format wrote what
 *  follows, so a file of another component or version is refused by name. */
PREFRL_API void prefrl_ckpt_put_tag(PrefrlCkpt *c, const char *tag, int version);

/* reading (same order as written) */

PREFRL_API void prefrl_ckpt_get(PrefrlCkpt *c, void *p, size_t n);
PREFRL_API int64_t prefrl_ckpt_get_i64(PrefrlCkpt *c);
PREFRL_API double prefrl_ckpt_get_f64(PrefrlCkpt *c);
/** An integer that must lie in [lo, hi]; else a format error naming `what`
 *  and lo is returned. */
PREFRL_API int64_t prefrl_ckpt_get_count(PrefrlCkpt *c, int64_t lo, int64_t hi,
                                         const char *what);
/** A string (transfer full); NULL for a written NULL or after an error. */
PREFRL_API char *prefrl_ckpt_get_str(PrefrlCkpt *c);
/** Exactly n floats / doubles written by put_floats / put_doubles; a
 *  different count is a format error naming `what`. */
PREFRL_API void prefrl_ckpt_get_floats(PrefrlCkpt *c, float *p, size_t n, const char *what);
PREFRL_API void prefrl_ckpt_get_doubles(PrefrlCkpt *c, double *p, size_t n, const char *what);
/** Read a tag and require `tag` at `version`; else a format error ("holds
 *  X version V, expected ..."). */
PREFRL_API void prefrl_ckpt_expect_tag(PrefrlCkpt *c, const char *tag, int version);

G_END_DECLS

#endif
