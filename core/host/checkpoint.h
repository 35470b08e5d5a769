/* The checkpoint stream's implementation side (include/prefrl/ckpt.h is its
 * public face): the struct, for the core's own callers, the CRC-32, and the
 * bytes a reader has left, which bounds any size read from a file before it
 * is used for an allocation. */
#ifndef PREFRL_CORE_CHECKPOINT_H
#define PREFRL_CORE_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include <prefrl/ckpt.h>

struct PrefrlCkpt {
    FILE *f;
    char *path;           /* for messages (owned) */
    uint32_t crc;         /* writer: running checksum of the fields so far */
    int64_t size;         /* reader: bytes of fields (the file less its checksum) */
    int64_t pos;          /* reader: bytes of fields read so far */
    gboolean writing;
    gboolean owns_file;   /* opened by open_write/open_read: closed by close/abort */
    GError *error;        /* the first failure */
};

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320) continued from crc */
uint32_t prefrl_crc32(uint32_t crc, const void *data, size_t n);

/* bytes of fields a reader has not read yet (0 after an error) */
int64_t prefrl_ckpt_remaining(const PrefrlCkpt *c);

/* prefrl_ckpt_expect_tag for a section whose older versions stay loadable:
 * `tag` at any version in [oldest, newest], which is returned (newest after
 * an error); else the same format error, naming the range */
int prefrl_ckpt_expect_tag_range(PrefrlCkpt *c, const char *tag, int oldest, int newest);

#endif
