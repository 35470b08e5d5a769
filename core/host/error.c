/* The PREFRL_ERROR GError domain. */
#include "config.h"
#include <prefrl/error.h>

G_DEFINE_QUARK(prefrl-error-quark, prefrl_error)
