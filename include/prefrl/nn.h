/* The neural-network core: dense MLPs on OpenBLAS, ensembles, Adam/SGD, the
 * SAC tanh-squashed Gaussian, losses and save/load on the checkpoint stream.
 *
 * Conventions
 *  - float32, batch-major, row-major: a batch of B vectors of width n is a
 *    (B, n) array with row stride n.
 *  - A linear layer maps (B, in) to (B, out) as Z = X W^T + b with W stored
 *    (out, in) row-major, as PyTorch's nn.Linear does.
 *  - Parameters of a network live in ONE contiguous float slab, layer by
 *    layer: W_0, b_0, W_1, b_1, ...  Gradients live in a second slab with the
 *    same layout, so optimisers, Polyak averaging, norms and JVP directions
 *    are flat loops over `n_params` floats.
 *  - Every buffer (activation cache, backward/JVP scratch) is allocated when
 *    a network is created for a maximum batch size; forward, backward and
 *    JVP never allocate.
 *  - Pointers returned by forward/JVP are owned by the network and stay
 *    valid until the next forward, backward or JVP call on that network.
 *
 * MRN's meta-gradient (docs/reward-learners.md, MRN) is one forward-mode JVP of the
 * critic along a direction in parameter space: prefrl_mlp_jvp(). */
#ifndef PREFRL_NN_H
#define PREFRL_NN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include <prefrl/ckpt.h>
#include <prefrl/error.h>
#include <prefrl/export.h>
#include <prefrl/rng.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* activations and threads */

/** Element-wise activations. */
typedef enum {
    PREFRL_ACT_IDENTITY = 0,
    PREFRL_ACT_RELU,
    PREFRL_ACT_LEAKY_RELU, /* x if x > 0 else slope * x */
    PREFRL_ACT_TANH,
    PREFRL_ACT_SIGMOID
} PrefrlActivation;

/** Parse "identity", "relu", "leaky_relu", "tanh" or "sigmoid" into *act.
 *  Returns FALSE (PREFRL_ERROR_CONFIG) for any other name. */
PREFRL_API gboolean prefrl_activation_from_name(const char *name, PrefrlActivation *act,
                                                GError **error);

/** The lowercase name of `act` (static string). */
PREFRL_API const char *prefrl_activation_name(PrefrlActivation act);

/** Set the number of threads of every matrix product (n >= 1): OpenBLAS's
 *  and, in builds with oneDNN, the calling thread's OpenMP threads that
 *  oneDNN runs on. */
PREFRL_API void prefrl_nn_set_threads(int n);

/** The number of OpenBLAS threads currently in use. */
PREFRL_API int prefrl_nn_get_threads(void);

/* ------------------------------------------------------------------------ */
/* numerics backends
 *
 * Which library runs the matrix products of a network, fixed when the
 * network is created (docs/nn-core.md, "Numerics backends"):
 *  - openblas: float32 cblas_sgemm, the default and the reference;
 *  - onednn-fp32: float32 oneDNN matmul primitives (cached per shape), bias
 *    and activation fused into the forward product;
 *  - onednn-bf16: mixed precision: the products' inputs (weights and
 *    activations, deltas and tangents) are rounded to bfloat16, accumulation
 *    and outputs are float32; parameters, gradients, optimiser state, losses
 *    and log-probabilities stay float32 (weights are re-cast at every
 *    forward and JVP, so after every optimiser step).
 * The oneDNN backends exist only in builds configured with oneDNN. */

/** A numerics backend. */
typedef enum {
    PREFRL_NUMERICS_OPENBLAS = 0,
    PREFRL_NUMERICS_ONEDNN_FP32,
    PREFRL_NUMERICS_ONEDNN_BF16
} PrefrlNumerics;

/** Parse "openblas", "onednn-fp32" or "onednn-bf16" into *n.  Returns FALSE
 *  (PREFRL_ERROR_CONFIG, naming the valid choices) for any other name. */
PREFRL_API gboolean prefrl_numerics_from_name(const char *name, PrefrlNumerics *n,
                                              GError **error);

/** The name of `n` (static string). */
PREFRL_API const char *prefrl_numerics_name(PrefrlNumerics n);

/** Whether networks can use `n` here: FALSE (PREFRL_ERROR_CONFIG, one line)
 *  when the build has no oneDNN, or for onednn-bf16 on a CPU whose ISA (as
 *  oneDNN detects it) has no native BF16 dot products (avx512_core_bf16 or
 *  AMX) unless `allow_emulated_bf16`. */
PREFRL_API gboolean prefrl_numerics_check(PrefrlNumerics n, gboolean allow_emulated_bf16,
                                          GError **error);

/** One line saying what runs the products of `n`: the library version and,
 *  for oneDNN, the ISA it dispatches to (dnnl_get_effective_cpu_isa), e.g.
 *  "onednn-bf16: oneDNN 2.6.3, ISA avx512_core_bf16".  (transfer full) */
PREFRL_API char *prefrl_numerics_describe(PrefrlNumerics n);

/** The backend of networks (MLPs, ensembles) created from now on by the
 *  calling thread; the trainer sets it from the recipe's `numerics` while it
 *  creates a run's components.  Call prefrl_numerics_check() first: an
 *  unavailable backend is refused here (g_return_if_fail). */
PREFRL_API void prefrl_nn_set_numerics(PrefrlNumerics n);

/** The calling thread's backend for new networks (openblas unless set). */
PREFRL_API PrefrlNumerics prefrl_nn_get_numerics(void);

/** Matrix-product FLOPs (2·m·n·k per sgemm) that the MLP, ensemble and JVP
 *  functions have issued in this process so far, from every thread.  The
 *  difference of two readings is the work done in between, e.g. by one
 *  agent update (bias, activation and optimiser passes are not counted). */
PREFRL_API uint64_t prefrl_nn_flops(void);

/* ------------------------------------------------------------------------ */
/* flat slab helpers (parameters, gradients, directions) */

/** dst[i] = src[i] for i < n. */
PREFRL_API void prefrl_slab_copy(float *dst, const float *src, size_t n);

/** Polyak averaging: target[i] = tau * src[i] + (1 - tau) * target[i]. */
PREFRL_API void prefrl_slab_polyak(float *target, const float *src, size_t n, float tau);

/** Euclidean norm of x[0..n), accumulated in double. */
PREFRL_API double prefrl_slab_l2_norm(const float *x, size_t n);

/** x[i] *= s. */
PREFRL_API void prefrl_slab_scale(float *x, size_t n, float s);

/** Gradient-norm clipping as torch.nn.utils.clip_grad_norm_: if the norm of
 *  g exceeds max_norm, scale g by max_norm / (norm + 1e-6).  Returns the norm
 *  before clipping. */
PREFRL_API double prefrl_slab_clip_norm(float *g, size_t n, double max_norm);

/** Plain SGD step: p[i] -= lr * g[i]. */
PREFRL_API void prefrl_slab_sgd(float *p, const float *g, size_t n, float lr);

/* ------------------------------------------------------------------------ */
/* MLP */

/** A multi-layer perceptron with its parameter/gradient slabs and
 *  workspaces (opaque). */
typedef struct PrefrlMlp PrefrlMlp;

/** Create an MLP of `n_layers` linear layers with widths dims[0..n_layers]
 *  (dims[0] = input width, dims[n_layers] = output width).  Every hidden
 *  layer is followed by `hidden_act`, the last layer by `output_act`
 *  (PREFRL_ACT_IDENTITY for none); `leaky_slope` is the LeakyReLU negative
 *  slope (used by either activation when it is LEAKY_RELU).  Workspaces are
 *  sized for batches up to `max_batch` rows.  Parameters start at zero: call
 *  one of the prefrl_mlp_init_* functions.  Returns NULL with
 *  PREFRL_ERROR_CONFIG on a non-positive width, depth or batch, or sizes
 *  that overflow.  (transfer full: free with prefrl_mlp_free) */
PREFRL_API PrefrlMlp *prefrl_mlp_new(int n_layers, const int *dims, PrefrlActivation hidden_act,
                                     PrefrlActivation output_act, float leaky_slope, int max_batch,
                                     GError **error);

/** Free an MLP made by prefrl_mlp_new / prefrl_mlp_read (NULL is ignored).
 *  Ensemble members are owned by their ensemble and must not be freed. */
PREFRL_API void prefrl_mlp_free(PrefrlMlp *m);

/** Number of linear layers. */
PREFRL_API int prefrl_mlp_n_layers(const PrefrlMlp *m);
/** Width i of the network, 0 <= i <= n_layers (0 = input, n_layers = output). */
PREFRL_API int prefrl_mlp_dim(const PrefrlMlp *m, int i);
/** Input width dims[0]. */
PREFRL_API int prefrl_mlp_in_dim(const PrefrlMlp *m);
/** Output width dims[n_layers]. */
PREFRL_API int prefrl_mlp_out_dim(const PrefrlMlp *m);
/** Largest batch the workspaces hold. */
PREFRL_API int prefrl_mlp_max_batch(const PrefrlMlp *m);
/** Hidden activation. */
PREFRL_API PrefrlActivation prefrl_mlp_hidden_act(const PrefrlMlp *m);
/** Output activation. */
PREFRL_API PrefrlActivation prefrl_mlp_output_act(const PrefrlMlp *m);
/** LeakyReLU slope. */
PREFRL_API float prefrl_mlp_leaky_slope(const PrefrlMlp *m);
/** The numerics backend the network was created with. */
PREFRL_API PrefrlNumerics prefrl_mlp_numerics(const PrefrlMlp *m);
/** TRUE when a and b have the same layer widths and activations (their
 *  slabs are then interchangeable). */
PREFRL_API gboolean prefrl_mlp_same_shape(const PrefrlMlp *a, const PrefrlMlp *b);

/** Number of parameters (floats in the parameter slab). */
PREFRL_API size_t prefrl_mlp_n_params(const PrefrlMlp *m);
/** The parameter slab, n_params floats: W_0 (dims[1], dims[0]), b_0 (dims[1]),
 *  W_1, b_1, ... (transfer none) */
PREFRL_API float *prefrl_mlp_params(PrefrlMlp *m);
/** The gradient slab, same layout as the parameters. (transfer none) */
PREFRL_API float *prefrl_mlp_grads(PrefrlMlp *m);
/** Offset (in floats) of layer l's weight W_l inside the slabs. */
PREFRL_API size_t prefrl_mlp_weight_offset(const PrefrlMlp *m, int l);
/** Offset (in floats) of layer l's bias b_l inside the slabs. */
PREFRL_API size_t prefrl_mlp_bias_offset(const PrefrlMlp *m, int l);
/** View of W_l, (dims[l+1], dims[l]) row-major. (transfer none) */
PREFRL_API float *prefrl_mlp_weight(PrefrlMlp *m, int l);
/** View of b_l, (dims[l+1]). (transfer none) */
PREFRL_API float *prefrl_mlp_bias(PrefrlMlp *m, int l);

/** PyTorch's default nn.Linear init for every layer: W and b ~ U(-1/sqrt(fan_in),
 *  1/sqrt(fan_in)).  Draw order: layer by layer, W row-major then b. */
PREFRL_API void prefrl_mlp_init_default(PrefrlMlp *m, PrefrlRng *rng);

/** Orthogonal init as torch.nn.init.orthogonal_: each W_l is the Q factor
 *  (sign-fixed so R has a positive diagonal) of a standard normal matrix,
 *  times `hidden_gain` for layers 0..n-2 and `output_gain` for the last;
 *  biases 0.  SAC uses gains 1/1, PPO sqrt(2)/0.01 (policy) or sqrt(2)/1
 *  (value).  The QR runs in double precision; a seed fixes the weights bit
 *  for bit, whatever the OpenBLAS thread count. */
PREFRL_API void prefrl_mlp_init_orthogonal(PrefrlMlp *m, PrefrlRng *rng, float hidden_gain,
                                           float output_gain);

/** Default (PyTorch) init of layer l only. */
PREFRL_API void prefrl_mlp_init_layer_default(PrefrlMlp *m, int l, PrefrlRng *rng);

/** Orthogonal init of layer l only (gain `gain`, bias 0); e.g. PPO's
 *  re-initialised value head. */
PREFRL_API void prefrl_mlp_init_layer_orthogonal(PrefrlMlp *m, int l, PrefrlRng *rng, float gain);

/** Forward pass of x (B, in_dim), 1 <= B <= max_batch.  x is copied, so the
 *  caller may reuse its buffer.  Caches what backward needs.  Returns the
 *  output (B, out_dim), owned by m. */
PREFRL_API const float *prefrl_mlp_forward(PrefrlMlp *m, const float *x, int B);

/** Output (B, out_dim) of the last forward or JVP. (transfer none) */
PREFRL_API const float *prefrl_mlp_output(const PrefrlMlp *m);

/** Batch size of the last forward or JVP (0 before any). */
PREFRL_API int prefrl_mlp_batch(const PrefrlMlp *m);

/** Backward pass for the last forward (or JVP): given dL/dout (B, out_dim),
 *  ADD dL/dparams into the gradient slab when `accumulate_param_grads` is
 *  TRUE (when FALSE the gradient slab is not touched, e.g. to get dQ/da for
 *  the actor without disturbing the critic), and write dL/dx (B, in_dim)
 *  into `dx` (overwritten, not accumulated) unless it is NULL.  dout may be
 *  a buffer of m (prefrl_mlp_output() or the JVP's tangent); dx must not. */
PREFRL_API void prefrl_mlp_backward(PrefrlMlp *m, const float *dout, float *dx,
                                    gboolean accumulate_param_grads);

/** Set the gradient slab to zero. */
PREFRL_API void prefrl_mlp_zero_grad(PrefrlMlp *m);

/** Forward-mode Jacobian-vector product along a parameter direction:
 *  returns d/dt f(x; params + t*dir) at t = 0, (B, out_dim), for the whole
 *  batch in one pass (two sgemms per layer).  `dir` has n_params floats in
 *  the parameter layout (e.g. another same-shaped network's gradient slab).
 *  Also performs the forward pass: afterwards prefrl_mlp_output() holds
 *  f(x) and prefrl_mlp_backward() is valid as after prefrl_mlp_forward().
 *  The returned tangent is owned by m and overwritten by the next
 *  forward/backward/JVP. */
PREFRL_API const float *prefrl_mlp_jvp(PrefrlMlp *m, const float *x, int B, const float *dir);

/** Copy the parameters of src into dst (same shape). */
PREFRL_API void prefrl_mlp_copy_params(PrefrlMlp *dst, const PrefrlMlp *src);

/** Polyak averaging target <- tau * src + (1 - tau) * target (same shape). */
PREFRL_API void prefrl_mlp_polyak(PrefrlMlp *target, const PrefrlMlp *src, float tau);

/** Euclidean norm of the parameters. */
PREFRL_API double prefrl_mlp_param_norm(const PrefrlMlp *m);

/** Euclidean norm of the gradients. */
PREFRL_API double prefrl_mlp_grad_norm(const PrefrlMlp *m);

/** Clip the gradient norm to max_norm (see prefrl_slab_clip_norm); returns
 *  the norm before clipping. */
PREFRL_API double prefrl_mlp_clip_grad_norm(PrefrlMlp *m, double max_norm);

/** SGD step on the parameters: params -= lr * grads. */
PREFRL_API void prefrl_mlp_sgd_step(PrefrlMlp *m, float lr);

/* ------------------------------------------------------------------------ */
/* ensembles */

/** K same-shaped MLPs whose parameters (and gradients) are consecutive in one
 *  slab: member k occupies [k*P, (k+1)*P) with P = member n_params, so one
 *  optimiser covers the whole ensemble. (opaque) */
typedef struct PrefrlEnsemble PrefrlEnsemble;

/** Create K >= 1 members, each as prefrl_mlp_new(n_layers, dims, ...).
 *  (transfer full: free with prefrl_ensemble_free) */
PREFRL_API PrefrlEnsemble *prefrl_ensemble_new(int K, int n_layers, const int *dims,
                                               PrefrlActivation hidden_act,
                                               PrefrlActivation output_act, float leaky_slope,
                                               int max_batch, GError **error);

/** Free the ensemble and its members (NULL is ignored). */
PREFRL_API void prefrl_ensemble_free(PrefrlEnsemble *e);

/** Number of members K. */
PREFRL_API int prefrl_ensemble_size(const PrefrlEnsemble *e);

/** Member k as an MLP whose slabs are views into the ensemble's slabs; it
 *  has its own workspaces, so members can be run, back-propagated and
 *  trained independently.  (transfer none: never free it) */
PREFRL_API PrefrlMlp *prefrl_ensemble_member(PrefrlEnsemble *e, int k);

/** Total parameters K * P. */
PREFRL_API size_t prefrl_ensemble_n_params(const PrefrlEnsemble *e);
/** The parameter slab of all members. (transfer none) */
PREFRL_API float *prefrl_ensemble_params(PrefrlEnsemble *e);
/** The gradient slab of all members. (transfer none) */
PREFRL_API float *prefrl_ensemble_grads(PrefrlEnsemble *e);

/** Default (PyTorch) init of every member, member 0 first, from one stream. */
PREFRL_API void prefrl_ensemble_init_default(PrefrlEnsemble *e, PrefrlRng *rng);
/** Orthogonal init of every member, member 0 first, from one stream. */
PREFRL_API void prefrl_ensemble_init_orthogonal(PrefrlEnsemble *e, PrefrlRng *rng,
                                                float hidden_gain, float output_gain);

/** Forward every member on the same x (B, in_dim).  Returns (K, B, out_dim)
 *  owned by e (member k's rows at offset k*B*out_dim).  Each member's cache
 *  is left as after its own forward, so prefrl_mlp_backward() on any member
 *  is valid afterwards. */
PREFRL_API const float *prefrl_ensemble_forward(PrefrlEnsemble *e, const float *x, int B);

/** Forward every member on x (B, in_dim) and write the member mean (B, out_dim)
 *  into `mean` (caller-owned).  Member outputs stay available as after
 *  prefrl_ensemble_forward(). */
PREFRL_API void prefrl_ensemble_forward_mean(PrefrlEnsemble *e, const float *x, int B, float *mean);

/** Zero the gradients of all members. */
PREFRL_API void prefrl_ensemble_zero_grad(PrefrlEnsemble *e);

/* ------------------------------------------------------------------------ */
/* optimisers */

/** Adam over a slab of n floats (opaque). */
typedef struct PrefrlAdam PrefrlAdam;

/** Adam with PyTorch semantics (torch.optim.Adam, no weight decay, no
 *  amsgrad): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *  p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
 *  The betas are double because, as in PyTorch, 1 - beta is formed in double
 *  before it meets float32 tensors (1.0f - 0.999f differs by 1e-5 relative).
 *  Moments start at zero.  (transfer full: free with prefrl_adam_free) */
PREFRL_API PrefrlAdam *prefrl_adam_new(size_t n, float lr, double beta1, double beta2, double eps);

/** Free (NULL is ignored). */
PREFRL_API void prefrl_adam_free(PrefrlAdam *a);

/** One Adam step on params[0..n) with grads[0..n). */
PREFRL_API void prefrl_adam_step(PrefrlAdam *a, float *params, const float *grads);

/** Zero the moments and the step counter (a fresh optimiser). */
PREFRL_API void prefrl_adam_reset(PrefrlAdam *a);

/** Learning rate. */
PREFRL_API float prefrl_adam_get_lr(const PrefrlAdam *a);
/** Change the learning rate (takes effect at the next step). */
PREFRL_API void prefrl_adam_set_lr(PrefrlAdam *a, float lr);
/** Number of steps taken. */
PREFRL_API int64_t prefrl_adam_steps(const PrefrlAdam *a);
/** Slab size n. */
PREFRL_API size_t prefrl_adam_size(const PrefrlAdam *a);
/** First-moment slab (n floats). (transfer none) */
PREFRL_API const float *prefrl_adam_m(const PrefrlAdam *a);
/** Second-moment slab (n floats). (transfer none) */
PREFRL_API const float *prefrl_adam_v(const PrefrlAdam *a);

/* ------------------------------------------------------------------------ */
/* the SAC policy distribution: tanh-squashed diagonal Gaussian */

/** Workspace for a tanh-squashed diagonal Gaussian over A action dimensions
 *  driven by network outputs (B, 2A) = mu || raw log-std (opaque). */
typedef struct PrefrlTanhGaussian PrefrlTanhGaussian;

/** Create for A action dims and batches up to max_batch; log sigma =
 *  lo + (hi - lo)/2 * (tanh(raw) + 1), the SAC reference uses [-5, 2].
 *  Returns NULL (PREFRL_ERROR_CONFIG) for A or max_batch < 1 or lo >= hi.
 *  (transfer full: free with prefrl_tanh_gaussian_free) */
PREFRL_API PrefrlTanhGaussian *prefrl_tanh_gaussian_new(int A, int max_batch, float log_std_lo,
                                                        float log_std_hi, GError **error);

/** Free (NULL is ignored). */
PREFRL_API void prefrl_tanh_gaussian_free(PrefrlTanhGaussian *g);

/** Reparameterised sample from outputs `out` (B, 2A) with caller noise eps
 *  (B, A) (standard normal, e.g. prefrl_rng_normal_fill): u = mu + sigma*eps,
 *  action = tanh(u) into `action` (B, A), and
 *  log pi = sum_i [log N(u_i; mu_i, sigma_i) - 2(ln 2 - u_i - softplus(-2 u_i))]
 *  into `log_prob` (B) (either output may be NULL).  Caches what
 *  prefrl_tanh_gaussian_backward() needs. */
PREFRL_API void prefrl_tanh_gaussian_sample(PrefrlTanhGaussian *g, const float *out,
                                            const float *eps, int B, float *action,
                                            float *log_prob);

/** Gradient through the last sample: given dL/daction (B, A) and
 *  dL/dlog_prob (B) (either may be NULL = zero), write dL/dout (B, 2A) into
 *  d_out (overwritten, not accumulated). */
PREFRL_API void prefrl_tanh_gaussian_backward(PrefrlTanhGaussian *g, const float *d_action,
                                              const float *d_log_prob, float *d_out);

/** Deterministic action tanh(mu) (B, A) from outputs (B, 2A). Does not touch
 *  the sample cache. */
PREFRL_API void prefrl_tanh_gaussian_mode(const PrefrlTanhGaussian *g, const float *out, int B,
                                          float *action);

/** Entropy estimate -mean(log pi) of the last sample (SAC's actor_entropy). */
PREFRL_API double prefrl_tanh_gaussian_entropy(const PrefrlTanhGaussian *g);

/** sigma (B, A) of the last sample, for logging. (transfer none) */
PREFRL_API const float *prefrl_tanh_gaussian_std(const PrefrlTanhGaussian *g);

/** log pi (B) of the last sample. (transfer none) */
PREFRL_API const float *prefrl_tanh_gaussian_log_prob(const PrefrlTanhGaussian *g);

/** Action dimension A. */
PREFRL_API int prefrl_tanh_gaussian_dim(const PrefrlTanhGaussian *g);

/* ------------------------------------------------------------------------ */
/* losses */

/** Mean squared error mean_i (pred_i - target_i)^2 over n values; writes
 *  dL/dpred = 2 (pred - target) / n into dpred unless NULL. */
PREFRL_API double prefrl_loss_mse(const float *pred, const float *target, size_t n, float *dpred);

/** Bradley-Terry cross-entropy over n pairs of logits (z1_i, z2_i) (e.g. the
 *  summed segment rewards, paper eq. 1-2), P(second preferred) =
 *  softmax(z1, z2)[1].  labels[i]: 0 = first preferred, 1 = second
 *  preferred, -1 = equally preferable (target 0.5/0.5).  Targets for 0/1 are
 *  the one-hot vector * (1 - 2 margin) + margin (margin 0 = hard labels; the
 *  reference's train_soft_reward).  Returns the mean over pairs of
 *  -sum_j t_j log softmax(z)_j computed with log-sum-exp; writes dL/dz1,
 *  dL/dz2 (n each) unless NULL. */
PREFRL_API double prefrl_loss_bt(const float *z1, const float *z2, const int *labels, size_t n,
                                 float margin, float *dz1, float *dz2);

/** Fraction of pairs with argmax(z1, z2) == label (ties -> index 0, so a
 *  tie predicts "first preferred"; label -1 never matches), as the
 *  reference's accuracy. Returns 0 for n = 0. */
PREFRL_API double prefrl_bt_accuracy(const float *z1, const float *z2, const int *labels, size_t n);

/* ------------------------------------------------------------------------ */
/* save / load
 *
 * Each object is one record on a checkpoint stream (prefrl/ckpt.h), so a
 * component writes its networks and optimisers one after the other in its
 * save hook.  A record is a tag (prefrl_ckpt_put_tag: "nn-mlp", "nn-ensemble"
 * or "nn-adam" at PREFRL_NN_FORMAT_VERSION), the shape as 64-bit integers,
 * then the floats (prefrl_ckpt_put_floats):
 *   MLP:      n_layers, dims[0..n_layers], hidden_act, output_act, the
 *             leaky slope (f64); the parameter slab
 *   ensemble: K, then the MLP shape of a member; the parameter slab
 *   Adam:     n, step count, lr, beta1, beta2, eps (f64 each); m, then v
 * Loading checks the tag and the shape against the object loaded into (a
 * mismatch is the stream's format error naming both shapes) and copies
 * into the object only while the stream is ok: with the file's checksum
 * verified when the stream was opened, a failed load leaves the object as
 * it was.  Errors stick to the stream (prefrl_ckpt_ok, prefrl_ckpt_check).
 * Gradients and workspaces are not saved. */

/** Version written into records; readers refuse others. */
#define PREFRL_NN_FORMAT_VERSION 2

/** Write m's shape and parameters to the stream. */
PREFRL_API void prefrl_mlp_save(const PrefrlMlp *m, PrefrlCkpt *out);

/** Read one MLP record into m, which must have the recorded shape. */
PREFRL_API void prefrl_mlp_load(PrefrlMlp *m, PrefrlCkpt *in);

/** Read one MLP record into a new MLP with workspaces for max_batch; NULL
 *  after any error (the stream's).  (transfer full) */
PREFRL_API PrefrlMlp *prefrl_mlp_read(PrefrlCkpt *in, int max_batch);

/** Write the ensemble (all members) to the stream. */
PREFRL_API void prefrl_ensemble_save(const PrefrlEnsemble *e, PrefrlCkpt *out);

/** Read one ensemble record into e (same K and member shape). */
PREFRL_API void prefrl_ensemble_load(PrefrlEnsemble *e, PrefrlCkpt *in);

/** Write Adam's hyper-parameters, step count and moments to the stream. */
PREFRL_API void prefrl_adam_save(const PrefrlAdam *a, PrefrlCkpt *out);

/** Read an Adam record into a (same slab size n); restores lr, betas, eps,
 *  step count and moments. */
PREFRL_API void prefrl_adam_load(PrefrlAdam *a, PrefrlCkpt *in);

G_END_DECLS

#endif
