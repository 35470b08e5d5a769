/* Symbol visibility of libprefrl.  libprefrl is built with
 * -fvisibility=hidden, so a function is exported only when a public header
 * declares it with PREFRL_API: the headers in include/prefrl/ are the
 * library's whole exported surface (tests/core/check_exports checks it). */
#ifndef PREFRL_EXPORT_H
#define PREFRL_EXPORT_H

#define PREFRL_API __attribute__((visibility("default")))

#endif
