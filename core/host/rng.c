/* Seeded random streams: xoshiro256** (Blackman & Vigna) seeded through
 * SplitMix64 from (master seed, FNV-1a hash of the stream name). */
#include "config.h"
#include <math.h>
#include <string.h>
#include <prefrl/plugin.h>
#include <prefrl/rng.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static void seed_state(PrefrlRng *rng, uint64_t key)
{
    memset(rng, 0, sizeof *rng);
    /* mix the key once more so nearby seeds start far apart */
    uint64_t x = key;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = 1; /* the all-zero state is a fixed point */
}

void prefrl_rng_init(PrefrlRng *rng, uint64_t seed, const char *name)
{
    uint64_t x = seed;
    uint64_t a = splitmix64(&x);
    seed_state(rng, a ^ fnv1a(name) * 0x2545f4914f6cdd1dull);
}

void prefrl_rng_derive(const PrefrlRng *parent, const char *name, PrefrlRng *child)
{
    uint64_t x = parent->s[0] ^ (parent->s[1] << 1) ^ (parent->s[2] >> 1) ^ parent->s[3];
    uint64_t a = splitmix64(&x);
    seed_state(child, a ^ fnv1a(name) * 0x2545f4914f6cdd1dull);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t prefrl_rng_u64(PrefrlRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double prefrl_rng_uniform(PrefrlRng *rng)
{
    return (double)(prefrl_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double prefrl_rng_range(PrefrlRng *rng, double lo, double hi)
{
    return lo + (hi - lo) * prefrl_rng_uniform(rng);
}

uint64_t prefrl_rng_below(PrefrlRng *rng, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* rejection sampling removes the modulo bias */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
        r = prefrl_rng_u64(rng);
    } while (r >= limit);
    return r % n;
}

double prefrl_rng_normal(PrefrlRng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * prefrl_rng_uniform(rng) - 1.0;
        v = 2.0 * prefrl_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    rng->spare = v * f;
    rng->has_spare = 1;
    return u * f;
}

void prefrl_rng_normal_fill(PrefrlRng *rng, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (float)prefrl_rng_normal(rng);
}

void prefrl_rng_permutation(PrefrlRng *rng, size_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)prefrl_rng_below(rng, i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

/* ---- checkpoint records: the owner's tag, then the state ---- */

void prefrl_rng_save(const PrefrlRng *rng, const char *tag, PrefrlCkpt *out)
{
    prefrl_ckpt_put_tag(out, tag, 1);
    prefrl_ckpt_put(out, rng, sizeof *rng);
}

void prefrl_rng_load(PrefrlRng *rng, const char *tag, PrefrlCkpt *in)
{
    PrefrlRng r;
    prefrl_ckpt_expect_tag(in, tag, 1);
    prefrl_ckpt_get(in, &r, sizeof r);
    if (prefrl_ckpt_ok(in))
        *rng = r;
}
