/* The trainer's own checkpoint stream (core-internal): raw little-endian
 * fields with a running CRC-32, closed by the checksum, so a truncated or
 * damaged checkpoint/trainer.bin is refused instead of resuming from garbage.
 * The first error sticks: later reads and writes do nothing, and the finish
 * call reports it. */
#ifndef PREFRL_CORE_CHECKPOINT_H
#define PREFRL_CORE_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>
#include <glib.h>

typedef struct {
    FILE *f;
    const char *path;     /* for messages */
    uint32_t crc;
    GError *error;        /* the first failure */
} PrefrlCkpt;

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320) continued from crc */
uint32_t prefrl_crc32(uint32_t crc, const void *data, size_t n);

void prefrl_ckpt_init(PrefrlCkpt *c, FILE *f, const char *path);

void prefrl_ckpt_put(PrefrlCkpt *c, const void *p, size_t n);
void prefrl_ckpt_put_i64(PrefrlCkpt *c, int64_t v);
void prefrl_ckpt_put_f64(PrefrlCkpt *c, double v);
/* a length-prefixed string (NULL is written as length −1) */
void prefrl_ckpt_put_str(PrefrlCkpt *c, const char *s);

void prefrl_ckpt_get(PrefrlCkpt *c, void *p, size_t n);
int64_t prefrl_ckpt_get_i64(PrefrlCkpt *c);
double prefrl_ckpt_get_f64(PrefrlCkpt *c);
/* an integer that must lie in [lo, hi] (else a format error naming `what`) */
int64_t prefrl_ckpt_get_count(PrefrlCkpt *c, int64_t lo, int64_t hi, const char *what);
/* (transfer full) NULL for a written NULL or after an error */
char *prefrl_ckpt_get_str(PrefrlCkpt *c);

/* record a format error (no-op after the first error) */
void prefrl_ckpt_fail(PrefrlCkpt *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* append the checksum; FALSE with the first error */
gboolean prefrl_ckpt_finish_write(PrefrlCkpt *c, GError **error);
/* read and compare the checksum; FALSE with the first error */
gboolean prefrl_ckpt_finish_read(PrefrlCkpt *c, GError **error);

#endif
