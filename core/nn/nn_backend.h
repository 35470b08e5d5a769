/* The oneDNN backend's bare matmul, for the benchmarks' rooflines (`prefrl
 * bench nn|agent|meta --numerics`): a product of the backend's own kernels
 * on operands already in its input type, without the library's casts and
 * element-wise passes.  Part of the core, not installed. */
#ifndef PREFRL_NN_BACKEND_H
#define PREFRL_NN_BACKEND_H

#include <prefrl/nn.h>

/** A prepared C (M, N) = A (M, K) W (N, K)^T on a oneDNN backend. (opaque) */
typedef struct PrefrlDnnMatmul PrefrlDnnMatmul;

/** Prepare it for numerics n (not openblas): operands filled with fixed
 *  values, the primitive created.  NULL with the reason when n is
 *  unavailable (always in a build without oneDNN).  (transfer full) */
PrefrlDnnMatmul *prefrl_dnn_matmul_new(PrefrlNumerics n, int M, int N, int K, GError **error);

/** Run the product once; FALSE if oneDNN fails. */
gboolean prefrl_dnn_matmul_run(PrefrlDnnMatmul *mm);

/** Free (NULL is ignored). */
void prefrl_dnn_matmul_free(PrefrlDnnMatmul *mm);

#endif
