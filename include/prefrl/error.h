/* prefrl error reporting: one GError domain for every fallible call.
 *
 * Rules (GLib's): a fallible function takes `GError **error` last, returns
 * FALSE/NULL on failure and sets *error; callers may pass NULL.  Recipe errors
 * carry their location at the start of the message, "FILE:LINE:COL: what". */
#ifndef PREFRL_ERROR_H
#define PREFRL_ERROR_H

#include <glib.h>

#include <prefrl/export.h>

G_BEGIN_DECLS

/** The error domain of every prefrl GError. */
#define PREFRL_ERROR (prefrl_error_quark())
PREFRL_API GQuark prefrl_error_quark(void);

/** Error codes of the PREFRL_ERROR domain. */
typedef enum {
    PREFRL_ERROR_CONFIG = 1, /* bad recipe, bad override, bad parameter value */
    PREFRL_ERROR_PLUGIN,     /* plugin not found, not loadable, malformed */
    PREFRL_ERROR_ABI,        /* plugin built against another ABI version */
    PREFRL_ERROR_IO,         /* files and directories */
    PREFRL_ERROR_MUJOCO,     /* model loading or simulation failure */
    PREFRL_ERROR_NUMERIC,    /* NaN/Inf where a finite number is required */
    PREFRL_ERROR_FORMAT,     /* corrupt, truncated or mismatched binary file */
    PREFRL_ERROR_INTERRUPTED /* stopped by a signal; outputs are flushed */
} PrefrlErrorCode;

G_END_DECLS

#endif
