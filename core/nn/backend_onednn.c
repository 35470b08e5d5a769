/* The oneDNN numerics backend of the NN core (recipe key `numerics`:
 * onednn-fp32, onednn-bf16), and the choice of backend itself.
 *
 * Each matrix product of a network is a oneDNN matmul primitive, created
 * once per shape (operands' sizes, strides and transposition, data type,
 * fused post-ops) and kept in the network's cache: creating a primitive
 * costs far more than running a small one.  The forward product fuses the
 * bias and the activation (matmul bias + eltwise post-op); the dW += and
 * JVP products with beta = 1 use a sum post-op.  A product oneDNN refuses
 * runs on OpenBLAS: here for backward and the JVP, in nn_mlp.c for the
 * forward.  Operands keep the OpenBLAS
 * path's row-major layouts (a transposed operand is a stride, not a copy),
 * so both backends share the network's slabs and workspaces.
 *
 * bf16 is mixed precision: each product's inputs are rounded to bfloat16
 * (round to nearest even) into the network's bf16 buffers: the weights at
 * every forward/JVP (so after every optimiser step; backward reuses them),
 * each layer's input activations at the forward (backward's dW reuses them),
 * deltas and tangents just before their product.  oneDNN accumulates in
 * float32 and writes float32 outputs; everything else (bias, activations'
 * derivatives, parameters, gradients, Adam, losses) stays float32.
 *
 * oneDNN (Debian's 2.6, OpenMP runtime) runs on the calling thread's OpenMP
 * threads: prefrl_nn_set_threads() sets them with OpenBLAS's. */
#include "config.h"
#include <stdatomic.h>
#include <string.h>
#include <cblas.h>

#include "nn/bf16.h"
#include "nn/nn_internal.h"

#ifdef HAVE_ONEDNN
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#endif

static const char *const numerics_names[] = {"openblas", "onednn-fp32", "onednn-bf16"};

/* the calling thread's backend for new networks */
static _Thread_local PrefrlNumerics default_numerics = PREFRL_NUMERICS_OPENBLAS;

gboolean prefrl_numerics_from_name(const char *name, PrefrlNumerics *n, GError **error)
{
    for (int i = 0; i < (int)G_N_ELEMENTS(numerics_names); i++) {
        if (name && strcmp(name, numerics_names[i]) == 0) {
            *n = (PrefrlNumerics)i;
            return TRUE;
        }
    }
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                "unknown numerics '%s' (expected openblas, onednn-fp32 or onednn-bf16)",
                name ? name : "(null)");
    return FALSE;
}

const char *prefrl_numerics_name(PrefrlNumerics n)
{
    if ((int)n < 0 || (int)n >= (int)G_N_ELEMENTS(numerics_names))
        return "invalid";
    return numerics_names[n];
}

void prefrl_nn_set_numerics(PrefrlNumerics n)
{
    g_return_if_fail(prefrl_numerics_check(n, TRUE, NULL));
    default_numerics = n;
}

PrefrlNumerics prefrl_nn_get_numerics(void)
{
    return default_numerics;
}

PrefrlNumerics prefrl_mlp_numerics(const PrefrlMlp *m)
{
    return m->numerics;
}

#ifndef HAVE_ONEDNN

gboolean prefrl_numerics_check(PrefrlNumerics n, gboolean allow_emulated_bf16, GError **error)
{
    (void)allow_emulated_bf16;
    if (n == PREFRL_NUMERICS_OPENBLAS)
        return TRUE;
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                "numerics '%s' needs oneDNN, and this prefrl was built without it (install "
                "libdnnl-dev and rebuild; valid here: openblas)",
                prefrl_numerics_name(n));
    return FALSE;
}

char *prefrl_numerics_describe(PrefrlNumerics n)
{
    return g_strdup_printf("%s: OpenBLAS float32 sgemm%s", prefrl_numerics_name(n),
                           n == PREFRL_NUMERICS_OPENBLAS ? "" : " (unavailable: no oneDNN)");
}

PrefrlDnn *prefrl_dnn_new(PrefrlMlp *m, PrefrlNumerics n, GError **error)
{
    (void)m;
    prefrl_numerics_check(n, TRUE, error);
    return NULL;
}

void prefrl_dnn_free(PrefrlDnn *d)
{
    (void)d;
}

void prefrl_dnn_set_threads(int n)
{
    (void)n;
}

uint64_t prefrl_dnn_flops(void)
{
    return 0;
}

PrefrlDnnMatmul *prefrl_dnn_matmul_new(PrefrlNumerics n, int M, int N, int K, GError **error)
{
    (void)M;
    (void)N;
    (void)K;
    prefrl_numerics_check(n, TRUE, error);
    return NULL;
}

gboolean prefrl_dnn_matmul_run(PrefrlDnnMatmul *mm)
{
    (void)mm;
    return FALSE;
}

void prefrl_dnn_matmul_free(PrefrlDnnMatmul *mm)
{
    (void)mm;
}

#else /* HAVE_ONEDNN */

/* ------------------------------------------------------------------------ */
/* the engine and the ISA */

static dnnl_engine_t engine;

static gpointer make_engine(gpointer unused)
{
    (void)unused;
    dnnl_engine_t e = NULL;
    if (dnnl_engine_create(&e, dnnl_cpu, 0) != dnnl_success)
        return NULL;
    engine = e;
    return e;
}

/* the process's CPU engine, NULL if oneDNN cannot make one */
static dnnl_engine_t get_engine(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, make_engine, NULL);
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

/* native BF16 dot products: AVX512_BF16 or AMX (the ISA values nest) */
static gboolean isa_has_bf16(dnnl_cpu_isa_t isa)
{
    return isa == dnnl_cpu_isa_avx512_core_bf16 || isa == dnnl_cpu_isa_avx512_core_amx;
}

gboolean prefrl_numerics_check(PrefrlNumerics n, gboolean allow_emulated_bf16, GError **error)
{
    if (n == PREFRL_NUMERICS_OPENBLAS)
        return TRUE;
    if ((int)n < 0 || (int)n >= (int)G_N_ELEMENTS(numerics_names)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "invalid numerics %d (expected openblas, onednn-fp32 or onednn-bf16)",
                    (int)n);
        return FALSE;
    }
    if (!get_engine()) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "numerics '%s': oneDNN cannot create a CPU engine (valid here: openblas)",
                    prefrl_numerics_name(n));
        return FALSE;
    }
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if (n == PREFRL_NUMERICS_ONEDNN_BF16 && !isa_has_bf16(isa) && !allow_emulated_bf16) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "numerics 'onednn-bf16': this CPU's ISA (%s, as oneDNN detects it) has no "
                    "native BF16 (avx512_core_bf16 or AMX), so bf16 would be emulated at a "
                    "fraction of the speed; use onednn-fp32 or openblas, or set "
                    "numerics_emulated_bf16: true to run it anyway",
                    isa_name(isa));
        return FALSE;
    }
    return TRUE;
}

char *prefrl_numerics_describe(PrefrlNumerics n)
{
    if (n == PREFRL_NUMERICS_OPENBLAS)
        return g_strdup_printf("%s: OpenBLAS float32 sgemm", prefrl_numerics_name(n));
    const dnnl_version_t *v = dnnl_version();
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return g_strdup_printf("%s: oneDNN %d.%d.%d, ISA %s%s", prefrl_numerics_name(n), v->major,
                           v->minor, v->patch, isa_name(isa),
                           n == PREFRL_NUMERICS_ONEDNN_BF16 && !isa_has_bf16(isa)
                               ? " (no native BF16: emulated)"
                               : "");
}

void prefrl_dnn_set_threads(int n)
{
    omp_set_num_threads(n);
}

/* the FLOPs of the products run here (prefrl_nn_flops() adds them) */
static atomic_uint_least64_t dnn_flops;

uint64_t prefrl_dnn_flops(void)
{
    return atomic_load_explicit(&dnn_flops, memory_order_relaxed);
}

static void add_flops(int M, int N, int K)
{
    atomic_fetch_add_explicit(&dnn_flops, 2u * (uint64_t)M * (uint64_t)N * (uint64_t)K,
                              memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* per-network state and the primitive cache */

/* what identifies a primitive: one matrix product's shape and fusions */
typedef struct {
    int fused;          /* bias + activation post-op (the forward product) */
    int ta, tb;         /* op(A) = A^T, op(B) = B^T (a stride, not a copy) */
    int M, N, K, lda, ldb, ldc;
    int accumulate;     /* C += (sum post-op) instead of C = */
    int act;            /* PrefrlActivation when fused */
    float slope;
    int dst16;          /* C is bfloat16 (a hidden layer's output) */
} Key;

typedef struct {
    dnnl_primitive_t prim; /* NULL: oneDNN refused the shape; OpenBLAS runs it */
    dnnl_memory_t src, wei, bias, dst;
} Entry;

struct PrefrlDnn {
    gboolean bf16;
    dnnl_stream_t stream;
    GHashTable *cache; /* Key -> Entry, both owned */
    /* bf16 only: hb[l] (max_batch, dims[l]) the layer inputs of the last
     * forward/JVP; wb the weights (parameter layout, biases unused); tb
     * (max_batch, max_width) a delta or tangent; db one layer of a JVP
     * direction's weights */
    uint16_t **hb;
    uint16_t *wb, *tb, *db;
    void *block;
    /* bf16 with ReLU, LeakyReLU or identity hidden layers: a hidden layer's
     * output is written once, in bfloat16, to hb[l + 1] (h[l + 1] is not
     * kept): exactly the values the next product reads, and all the
     * backward pass needs (the activation's sign) */
    gboolean hidden16;
    const float *tb_of; /* tb already holds this delta's bf16 copy */
    float *narrow;      /* a narrow product's transposed result (gemm_narrow) */
    size_t narrow_size;
};

static guint key_hash(gconstpointer p)
{
    const Key *k = p;
    guint h = 2166136261u;
    const int v[] = {k->fused, k->ta, k->tb, k->M, k->N, k->K, k->lda, k->ldb, k->ldc,
                     k->accumulate, k->act, k->dst16};
    for (gsize i = 0; i < G_N_ELEMENTS(v); i++)
        h = (h ^ (guint)v[i]) * 16777619u;
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    const Key *x = a, *y = b;
    return x->fused == y->fused && x->ta == y->ta && x->tb == y->tb && x->M == y->M &&
           x->N == y->N && x->K == y->K && x->lda == y->lda && x->ldb == y->ldb &&
           x->ldc == y->ldc && x->accumulate == y->accumulate && x->act == y->act &&
           x->slope == y->slope && x->dst16 == y->dst16;
}

static void entry_free(gpointer p)
{
    Entry *e = p;
    if (e->prim)
        dnnl_primitive_destroy(e->prim);
    dnnl_memory_t mems[] = {e->src, e->wei, e->bias, e->dst};
    for (gsize i = 0; i < G_N_ELEMENTS(mems); i++)
        if (mems[i])
            dnnl_memory_destroy(mems[i]);
    g_free(e);
}

#define ALIGN_HALVES 32 /* 64 bytes of uint16 */

static size_t align_halves(size_t n)
{
    return (n + ALIGN_HALVES - 1) / ALIGN_HALVES * ALIGN_HALVES;
}

/* the stream and the empty cache, without the bf16 buffers */
static PrefrlDnn *dnn_core_new(PrefrlNumerics n, GError **error)
{
    if (!prefrl_numerics_check(n, TRUE, error))
        return NULL;
    PrefrlDnn *d = g_new0(PrefrlDnn, 1);
    d->bf16 = n == PREFRL_NUMERICS_ONEDNN_BF16;
    if (dnnl_stream_create(&d->stream, get_engine(), dnnl_stream_default_flags) != dnnl_success) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "numerics '%s': oneDNN cannot create a stream", prefrl_numerics_name(n));
        g_free(d);
        return NULL;
    }
    d->cache = g_hash_table_new_full(key_hash, key_equal, g_free, entry_free);
    return d;
}

PrefrlDnn *prefrl_dnn_new(PrefrlMlp *m, PrefrlNumerics n, GError **error)
{
    PrefrlDnn *d = dnn_core_new(n, error);
    if (d && d->bf16) {
        size_t max_w = 0, total = 0;
        for (int l = 0; l < m->n_layers; l++) {
            total += align_halves((size_t)m->max_batch * m->dims[l]);
            max_w = MAX(max_w, (size_t)m->dims[l] * m->dims[l + 1]);
        }
        size_t wb = align_halves(m->n_params);
        size_t tb = align_halves((size_t)m->max_batch * m->max_width);
        total += wb + tb + align_halves(max_w);
        d->block = g_malloc0(sizeof(uint16_t) * total + 64);
        uint16_t *p = (uint16_t *)(((uintptr_t)d->block + 63u) & ~(uintptr_t)63u);
        d->hb = g_new(uint16_t *, m->n_layers);
        for (int l = 0; l < m->n_layers; l++) {
            d->hb[l] = p;
            p += align_halves((size_t)m->max_batch * m->dims[l]);
        }
        d->wb = p;
        d->tb = p + wb;
        d->db = d->tb + tb;
        d->hidden16 = m->n_layers > 1 && (m->hidden_act == PREFRL_ACT_RELU ||
                                          m->hidden_act == PREFRL_ACT_LEAKY_RELU ||
                                          m->hidden_act == PREFRL_ACT_IDENTITY);
    }
    return d;
}

void prefrl_dnn_free(PrefrlDnn *d)
{
    if (!d)
        return;
    g_hash_table_destroy(d->cache);
    if (d->stream)
        dnnl_stream_destroy(d->stream);
    g_free(d->hb);
    g_free(d->block);
    g_free(d->narrow);
    g_free(d);
}

/* ------------------------------------------------------------------------ */
/* primitives */

/* a 2-D memory descriptor: rows x cols, element (i, j) at i*rs + j*cs */
static gboolean md2(dnnl_memory_desc_t *md, int rows, int cols, dnnl_dim_t rs, dnnl_dim_t cs,
                    dnnl_data_type_t dt)
{
    dnnl_dims_t dims = {rows, cols}, strides = {rs, cs};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, dt, strides) == dnnl_success;
}

static gboolean post_ops_for(const Key *k, dnnl_primitive_attr_t attr)
{
    dnnl_post_ops_t po = NULL;
    if (dnnl_post_ops_create(&po) != dnnl_success)
        return FALSE;
    gboolean ok = TRUE;
    if (k->accumulate)
        ok = dnnl_post_ops_append_sum(po, 1.0f) == dnnl_success;
    if (ok && k->fused) {
        switch ((PrefrlActivation)k->act) {
        case PREFRL_ACT_IDENTITY:
            break;
        case PREFRL_ACT_RELU:
            ok = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) ==
                 dnnl_success;
            break;
        case PREFRL_ACT_LEAKY_RELU:
            ok = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, k->slope, 0.0f) ==
                 dnnl_success;
            break;
        case PREFRL_ACT_TANH:
            ok = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_tanh, 0.0f, 0.0f) ==
                 dnnl_success;
            break;
        case PREFRL_ACT_SIGMOID:
            ok = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_logistic, 0.0f, 0.0f) ==
                 dnnl_success;
            break;
        }
    }
    ok = ok && dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    dnnl_post_ops_destroy(po);
    return ok;
}

/* create the primitive and its memory objects (handles set at each run) */
static gboolean entry_init(Entry *e, const Key *k, dnnl_data_type_t in_dt)
{
    dnnl_memory_desc_t src, wei, bias, dst;
    /* src = op(A) (M, K), weights = op(B) (K, N), dst (M, N) */
    if (!md2(&src, k->M, k->K, k->ta ? 1 : k->lda, k->ta ? k->lda : 1, in_dt) ||
        !md2(&wei, k->K, k->N, k->tb ? 1 : k->ldb, k->tb ? k->ldb : 1, in_dt) ||
        !md2(&dst, k->M, k->N, k->ldc, 1, k->dst16 ? dnnl_bf16 : dnnl_f32) ||
        (k->fused && !md2(&bias, 1, k->N, k->N, 1, dnnl_f32)))
        return FALSE;
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &src, &wei, k->fused ? &bias : NULL, &dst) != dnnl_success)
        return FALSE;
    dnnl_primitive_attr_t attr = NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        return FALSE;
    dnnl_primitive_desc_t pd = NULL;
    gboolean ok = post_ops_for(k, attr) &&
                  dnnl_primitive_desc_create(&pd, &desc, attr, get_engine(), NULL) == dnnl_success;
    dnnl_primitive_attr_destroy(attr);
    if (!ok)
        return FALSE;
    ok = dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    if (!ok) {
        e->prim = NULL;
        return FALSE;
    }
    dnnl_engine_t eng = get_engine();
    return dnnl_memory_create(&e->src, &src, eng, DNNL_MEMORY_NONE) == dnnl_success &&
           dnnl_memory_create(&e->wei, &wei, eng, DNNL_MEMORY_NONE) == dnnl_success &&
           dnnl_memory_create(&e->dst, &dst, eng, DNNL_MEMORY_NONE) == dnnl_success &&
           (!k->fused ||
            dnnl_memory_create(&e->bias, &bias, eng, DNNL_MEMORY_NONE) == dnnl_success);
}

/* the cached primitive for k; NULL when oneDNN refuses it (said once per
 * process, then the shape runs on OpenBLAS) */
static Entry *lookup(PrefrlDnn *d, const Key *k)
{
    Entry *e = g_hash_table_lookup(d->cache, k);
    if (e)
        return e->prim ? e : NULL;
    e = g_new0(Entry, 1);
    if (!entry_init(e, k, d->bf16 ? dnnl_bf16 : dnnl_f32)) {
        static gsize warned = 0;
        if (g_once_init_enter(&warned)) {
            g_printerr("prefrl: oneDNN refused a %s matmul (%d x %d x %d); such products run "
                       "on OpenBLAS\n",
                       d->bf16 ? "bf16" : "fp32", k->M, k->N, k->K);
            g_once_init_leave(&warned, 1);
        }
        entry_free(e);
        e = g_new0(Entry, 1); /* a refusal is cached too */
    }
    g_hash_table_insert(d->cache, g_memdup2(k, sizeof *k), e);
    return e->prim ? e : NULL;
}

/* run e on the given buffers; FALSE if oneDNN fails */
static gboolean run(PrefrlDnn *d, Entry *e, const void *a, const void *b, const float *bias,
                    float *c)
{
    if (dnnl_memory_set_data_handle(e->src, (void *)a) != dnnl_success ||
        dnnl_memory_set_data_handle(e->wei, (void *)b) != dnnl_success ||
        dnnl_memory_set_data_handle(e->dst, c) != dnnl_success ||
        (e->bias && dnnl_memory_set_data_handle(e->bias, (void *)bias) != dnnl_success))
        return FALSE;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, e->src},
                               {DNNL_ARG_WEIGHTS, e->wei},
                               {DNNL_ARG_DST, e->dst},
                               {DNNL_ARG_BIAS, e->bias}};
    return dnnl_primitive_execute(e->prim, d->stream, e->bias ? 4 : 3, args) == dnnl_success &&
           dnnl_stream_wait(d->stream) == dnnl_success;
}

/* A product whose result has fewer columns than the kernels' 64-wide
 * blocks (a critic's single Q value, an actor's 12 outputs, the input
 * gradient of a 30-wide first layer), over many rows */
#define NARROW 64

static gboolean is_narrow(int M, int N)
{
    return N < NARROW && M >= NARROW;
}

/* C (M, N) (+)= op(A) op(B) for a narrow C, run as C^T = op(B)^T op(A)^T:
 * its wide side M is the one the kernels vectorise along, where C's
 * N < 64 would be padded to 64 (the 1024 x 30 x 1024 input gradient: 0.34
 * ms against 0.67).  The result goes to d->narrow and is transposed into C
 * (adding when accumulating), or straight into C when N == 1 (the same
 * memory).  FALSE if oneDNN refuses the product. */
static gboolean gemm_narrow(PrefrlDnn *d, gboolean ta, gboolean tb, int M, int N, int K,
                            const void *a, int lda, const void *b, int ldb, gboolean accumulate,
                            float *c, int ldc)
{
    const gboolean direct = N == 1 && ldc == 1;
    Key k = {FALSE, !tb, !ta, N, M, K, ldb, lda, M, accumulate && direct, 0, 0.0f, FALSE};
    Entry *e = lookup(d, &k);
    if (!e)
        return FALSE;
    float *t = c;
    if (!direct) {
        size_t need = (size_t)M * N;
        if (d->narrow_size < need) {
            g_free(d->narrow);
            d->narrow = g_new(float, need);
            d->narrow_size = need;
        }
        t = d->narrow;
    }
    if (!run(d, e, b, a, NULL, t))
        return FALSE;
    if (!direct)
        for (int i = 0; i < M; i++) {
            float *row = c + (size_t)i * ldc;
            for (int j = 0; j < N; j++)
                row[j] = accumulate ? row[j] + t[(size_t)j * M + i] : t[(size_t)j * M + i];
        }
    return TRUE;
}

/* C (M, N) (+)= op(A) op(B): oneDNN on af/bf (float32) or ah/bh (their bf16
 * copies in bf16 mode), else OpenBLAS on af/bf */
static void gemm(PrefrlDnn *d, gboolean ta, gboolean tb, int M, int N, int K, const float *af,
                 const uint16_t *ah, int lda, const float *bf, const uint16_t *bh, int ldb,
                 gboolean accumulate, float *c, int ldc)
{
    const void *a = d->bf16 ? (const void *)ah : af, *b = d->bf16 ? (const void *)bh : bf;
    Key k = {FALSE, ta, tb, M, N, K, lda, ldb, ldc, accumulate, 0, 0.0f, FALSE};
    Entry *e = NULL;
    gboolean ok = is_narrow(M, N) && gemm_narrow(d, ta, tb, M, N, K, a, lda, b, ldb, accumulate,
                                                 c, ldc);
    if (!ok)
        ok = (e = lookup(d, &k)) && run(d, e, a, b, NULL, c);
    if (!ok) {
        /* bf16: the rounded inputs, widened (a hidden activation may only
         * exist in bf16) */
        float *wa = NULL, *wb = NULL;
        if (d->bf16) {
            size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb;
            af = wa = g_new(float, na);
            bf = wb = g_new(float, nb);
            prefrl_bf16_expand(wa, ah, na);
            prefrl_bf16_expand(wb, bh, nb);
        }
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    M, N, K, 1.0f, af, lda, bf, ldb, accumulate ? 1.0f : 0.0f, c, ldc);
        g_free(wa);
        g_free(wb);
    }
    add_flops(M, N, K);
}

/* ------------------------------------------------------------------------ */
/* bare products (benchmark rooflines) */

struct PrefrlDnnMatmul {
    PrefrlDnn *d;
    Entry *e;
    int M, N, K;
    void *a, *w; /* in the backend's input type */
    float *c;
};

PrefrlDnnMatmul *prefrl_dnn_matmul_new(PrefrlNumerics n, int M, int N, int K, GError **error)
{
    g_return_val_if_fail(n != PREFRL_NUMERICS_OPENBLAS && M > 0 && N > 0 && K > 0, NULL);
    PrefrlDnn *d = dnn_core_new(n, error);
    if (!d)
        return NULL;
    Key k = {FALSE, FALSE, TRUE, M, N, K, K, K, N, FALSE, 0, 0.0f, FALSE};
    Entry *e = lookup(d, &k);
    if (!e) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "numerics '%s': oneDNN has no matmul for %d x %d x %d",
                    prefrl_numerics_name(n), M, N, K);
        prefrl_dnn_free(d);
        return NULL;
    }
    PrefrlDnnMatmul *mm = g_new0(PrefrlDnnMatmul, 1);
    mm->d = d;
    mm->e = e;
    mm->M = M;
    mm->N = N;
    mm->K = K;
    size_t esz = d->bf16 ? sizeof(uint16_t) : sizeof(float);
    float *fa = g_new(float, (size_t)M * K), *fw = g_new(float, (size_t)N * K);
    for (size_t i = 0; i < (size_t)M * K; i++)
        fa[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < (size_t)N * K; i++)
        fw[i] = (float)(i % 5) * 0.01f;
    if (d->bf16) {
        mm->a = g_malloc(esz * M * K);
        mm->w = g_malloc(esz * N * K);
        prefrl_bf16_cast(mm->a, fa, (size_t)M * K);
        prefrl_bf16_cast(mm->w, fw, (size_t)N * K);
        g_free(fa);
        g_free(fw);
    } else {
        mm->a = fa;
        mm->w = fw;
    }
    mm->c = g_new0(float, (size_t)M * N);
    return mm;
}

gboolean prefrl_dnn_matmul_run(PrefrlDnnMatmul *mm)
{
    return run(mm->d, mm->e, mm->a, mm->w, NULL, mm->c);
}

void prefrl_dnn_matmul_free(PrefrlDnnMatmul *mm)
{
    if (!mm)
        return;
    prefrl_dnn_free(mm->d);
    g_free(mm->a);
    g_free(mm->w);
    g_free(mm->c);
    g_free(mm);
}

/* ------------------------------------------------------------------------ */
/* layers */

static PrefrlActivation layer_act(const PrefrlMlp *m, int l)
{
    return l == m->n_layers - 1 ? m->output_act : m->hidden_act;
}

const uint16_t *prefrl_dnn_hidden_bf16(const PrefrlMlp *m, int l)
{
    const PrefrlDnn *d = m->dnn;
    return d && d->hidden16 && l >= 1 && l < m->n_layers ? d->hb[l] : NULL;
}

uint16_t *prefrl_dnn_delta_bf16(PrefrlMlp *m, const float *delta)
{
    PrefrlDnn *d = m->dnn;
    if (!d || !d->bf16)
        return NULL;
    d->tb_of = delta;
    return d->tb;
}

void prefrl_dnn_output_f32(PrefrlMlp *m, int l, int B)
{
    PrefrlDnn *d = m->dnn;
    if (d && d->hidden16 && l < m->n_layers - 1)
        prefrl_bf16_cast(d->hb[l + 1], m->h[l + 1], (size_t)B * m->dims[l + 1]);
}

gboolean prefrl_dnn_forward_layer(PrefrlMlp *m, int l, int B)
{
    PrefrlDnn *d = m->dnn;
    const int in = m->dims[l], out = m->dims[l + 1];
    const float *w = m->params + m->w_off[l], *b = m->params + m->b_off[l];
    PrefrlActivation act = layer_act(m, l);
    const gboolean in16 = d->hidden16 && l >= 1, out16 = d->hidden16 && l < m->n_layers - 1;
    Key k = {TRUE, FALSE, TRUE, B, out, in, in, in, out, FALSE, (int)act,
             act == PREFRL_ACT_LEAKY_RELU ? m->slope : 0.0f, out16};
    const void *x = m->h[l], *wx = w;
    void *y = out16 ? (void *)d->hb[l + 1] : (void *)m->h[l + 1];
    Entry *e;
    if (d->bf16) {
        if (!in16) /* else the previous layer wrote it */
            prefrl_bf16_cast(d->hb[l], m->h[l], (size_t)B * in);
        x = d->hb[l];
        /* at every forward: the weights may have changed since the last */
        prefrl_bf16_cast(d->wb + m->w_off[l], w, (size_t)out * in);
        wx = d->wb + m->w_off[l];
    }
    gboolean ok;
    if (is_narrow(B, out)) {
        /* a narrow output as the transposed product (gemm_narrow); oneDNN's
         * fast kernels take no per-row bias there, so bias and activation
         * are a pass over the B x out outputs here */
        ok = gemm_narrow(d, FALSE, TRUE, B, out, in, x, in, wx, in, FALSE, m->h[l + 1], out);
        if (ok) {
            prefrl_nn_bias_act(m->h[l + 1], b, B, out, act, m->slope);
            prefrl_dnn_output_f32(m, l, B);
        }
    } else {
        e = lookup(d, &k);
        ok = e && run(d, e, x, wx, b, y);
    }
    if (!ok) {
        /* OpenBLAS runs the layer on float32 input */
        if (in16)
            prefrl_bf16_expand(m->h[l], d->hb[l], (size_t)B * in);
        return FALSE;
    }
    add_flops(B, out, in);
    return TRUE;
}

void prefrl_dnn_backward_layer(PrefrlMlp *m, int l, const float *delta, float *dx,
                               gboolean grads)
{
    PrefrlDnn *d = m->dnn;
    const int B = m->batch, in = m->dims[l], out = m->dims[l + 1];
    const float *w = m->params + m->w_off[l];
    if (d->bf16 && d->tb_of != delta) /* else the activation pass cast it */
        prefrl_bf16_cast(d->tb, delta, (size_t)B * out);
    d->tb_of = NULL;
    /* dW (out, in) += delta^T (out, B) h_l (B, in) */
    if (grads)
        gemm(d, TRUE, FALSE, out, in, B, delta, d->tb, out, m->h[l], d->bf16 ? d->hb[l] : NULL,
             in, TRUE, m->grads + m->w_off[l], in);
    /* dx (B, in) = delta (B, out) W (out, in) */
    if (dx)
        gemm(d, FALSE, FALSE, B, in, out, delta, d->tb, out, w,
             d->bf16 ? d->wb + m->w_off[l] : NULL, in, FALSE, dx, in);
}

void prefrl_dnn_jvp_layer(PrefrlMlp *m, int l, int B, const float *t, float *tz,
                          const float *dir)
{
    PrefrlDnn *d = m->dnn;
    const int in = m->dims[l], out = m->dims[l + 1];
    const float *dw = dir + m->w_off[l];
    if (d->bf16)
        prefrl_bf16_cast(d->db, dw, (size_t)out * in);
    /* tz = h dW^T (+ dh W^T) */
    gemm(d, FALSE, TRUE, B, out, in, m->h[l], d->bf16 ? d->hb[l] : NULL, in, dw, d->db, in,
         FALSE, tz, out);
    if (t) {
        if (d->bf16)
            prefrl_bf16_cast(d->tb, t, (size_t)B * in);
        gemm(d, FALSE, TRUE, B, out, in, t, d->tb, in, m->params + m->w_off[l],
             d->bf16 ? d->wb + m->w_off[l] : NULL, in, TRUE, tz, out);
    }
}

#endif /* HAVE_ONEDNN */
