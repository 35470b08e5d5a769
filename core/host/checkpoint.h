/* The checkpoint stream's implementation side (include/prefrl/ckpt.h is its
 * public face): the struct, for the core's own callers, and the CRC-32 the
 * NN records share. */
#ifndef PREFRL_CORE_CHECKPOINT_H
#define PREFRL_CORE_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include <prefrl/ckpt.h>

struct PrefrlCkpt {
    FILE *f;
    char *path;           /* for messages (owned) */
    uint32_t crc;         /* running checksum of the fields so far */
    gboolean writing;
    gboolean owns_file;   /* opened by open_write/open_read: closed by close/abort */
    GError *error;        /* the first failure */
};

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320) continued from crc */
uint32_t prefrl_crc32(uint32_t crc, const void *data, size_t n);

#endif
