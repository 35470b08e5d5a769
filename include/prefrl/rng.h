/* Seeded random streams (xoshiro256**).
 *
 * A run has one master seed.  Every component draws from its own stream,
 * derived from (seed, stream name) by SplitMix64 hashing, so adding a draw to
 * one component never shifts the numbers another component sees, and the same
 * seed reproduces a run bit for bit.  PrefrlRng is plain data so it can be
 * embedded, copied and saved. */
#ifndef PREFRL_RNG_H
#define PREFRL_RNG_H

#include <stdint.h>
#include <stddef.h>

#include <prefrl/ckpt.h>
#include <prefrl/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A xoshiro256** state plus a cached second normal deviate. */
typedef struct PrefrlRng {
    uint64_t s[4];
    double spare;   /* second Box-Muller deviate, valid when has_spare */
    int has_spare;
    int reserved;
} PrefrlRng;

/** Seed `rng` for the stream called `name` of master seed `seed`.
 *  Different names give statistically independent streams. */
PREFRL_API void prefrl_rng_init(PrefrlRng *rng, uint64_t seed, const char *name);

/** Derive a child stream `name` from a parent stream without advancing the parent. */
PREFRL_API void prefrl_rng_derive(const PrefrlRng *parent, const char *name, PrefrlRng *child);

/** Next 64 random bits. */
PREFRL_API uint64_t prefrl_rng_u64(PrefrlRng *rng);

/** Uniform double in [0, 1) with 53 random bits. */
PREFRL_API double prefrl_rng_uniform(PrefrlRng *rng);

/** Uniform double in [lo, hi). */
PREFRL_API double prefrl_rng_range(PrefrlRng *rng, double lo, double hi);

/** Uniform integer in [0, n), unbiased (n > 0). */
PREFRL_API uint64_t prefrl_rng_below(PrefrlRng *rng, uint64_t n);

/** Standard normal deviate (Box-Muller, polar form). */
PREFRL_API double prefrl_rng_normal(PrefrlRng *rng);

/** Fill `out[0..n)` with standard normal floats. */
PREFRL_API void prefrl_rng_normal_fill(PrefrlRng *rng, float *out, size_t n);

/** Random permutation of 0..n-1 into `perm` (Fisher-Yates). */
PREFRL_API void prefrl_rng_permutation(PrefrlRng *rng, size_t *perm, size_t n);

/** Append a random stream to a checkpoint under `tag` (the owner's name), for
 *  components' save hooks. */
PREFRL_API void prefrl_rng_save(const PrefrlRng *rng, const char *tag, PrefrlCkpt *out);

/** Read a stream written by prefrl_rng_save with the same tag; a different
 *  tag or a short read is the stream's format error and leaves *rng
 *  unchanged. */
PREFRL_API void prefrl_rng_load(PrefrlRng *rng, const char *tag, PrefrlCkpt *in);

#ifdef __cplusplus
}
#endif

#endif
