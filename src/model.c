/* SPDX-License-Identifier: MIT */
/* model.c: sm_model_load(_buffer) and the getters: map the file (or copy the buffer), parse
 * it, pick the architecture and let its binder check every hyper-parameter and tensor, then
 * keep the result immutable. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/errbuf.h"
#include "src/log.h"
#include "src/model.h"
#include "src/repack.h"
#include "src/tokenizer.h"

/* Tensor types the matmul kernels take (kernels.h); every other type a weight may not have. */
static int matmul_type(uint32_t t)
{
    switch (t) {
    case SM_TYPE_F32:
    case SM_TYPE_F16:
    case SM_TYPE_Q8_0:
    case SM_TYPE_Q4_0:
    case SM_TYPE_Q4_K:
    case SM_TYPE_Q6_K:
        return 1;
    default:
        return 0;
    }
}

sm_status sm_load_hparam(const sm_load *ld, const char *suffix, int64_t min, int64_t max,
                         int64_t def, size_t *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", ld->arch_name, suffix);
    int64_t v = 0;
    char why[256];
    sm_status st = sm_gguf_get_int(ld->g, key, min, max, &v, why, sizeof why);
    if (st == SM_E_NOT_FOUND && def >= 0) {
        v = def;
    } else if (st == SM_E_NOT_FOUND) {
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT, "%s: required key '%s' is missing",
                             ld->path, key);
    } else if (st != SM_OK) {
        return sm_errbuf_set(ld->err, ld->err_len, st, "%s: %s", ld->path, why);
    }
    *out = (size_t)v;
    return SM_OK;
}

sm_status sm_load_hparam_f32(const sm_load *ld, const char *suffix, float def, float *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", ld->arch_name, suffix);
    float v = 0;
    char why[256];
    sm_status st = sm_gguf_get_f32(ld->g, key, &v, why, sizeof why);
    if (st == SM_E_NOT_FOUND && def > 0)
        v = def;
    else if (st == SM_E_NOT_FOUND)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT, "%s: required key '%s' is missing",
                             ld->path, key);
    else if (st != SM_OK)
        return sm_errbuf_set(ld->err, ld->err_len, st, "%s: %s", ld->path, why);
    if (!(v > 0.0f) || v > 1e30f)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: key '%s' is %g; it must be positive and finite", ld->path, key,
                             (double)v);
    *out = v;
    return SM_OK;
}

int sm_load_has(const sm_load *ld, const char *name)
{
    return sm_gguf_find_tensor(ld->g, name) != NULL;
}

static const sm_gguf_tensor *find_tensor(const sm_load *ld, const char *name, sm_status *st)
{
    const sm_gguf_tensor *t = sm_gguf_find_tensor(ld->g, name);
    if (!t)
        *st = sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT, "%s: tensor '%s' is missing",
                            ld->path, name);
    return t;
}

static const char *type_name(uint32_t t)
{
    const char *n = sm_gguf_type_name(t);
    return n ? n : "unknown";
}

sm_status sm_load_matrix(const sm_load *ld, const char *name, size_t n_in, size_t n_out,
                         sm_weight *out)
{
    sm_status st = SM_OK;
    const sm_gguf_tensor *t = find_tensor(ld, name, &st);
    if (!t)
        return st;
    if (t->n_dims != 2 || (uint64_t)t->ne[0] != n_in || (uint64_t)t->ne[1] != n_out)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: tensor '%s' has shape [%" PRId64 ", %" PRId64 ", %" PRId64
                             ", %" PRId64 "] (%u dims); the hyper-parameters require [%zu, %zu]",
                             ld->path, name, t->ne[0], t->ne[1], t->ne[2], t->ne[3], t->n_dims,
                             n_in, n_out);
    if (!matmul_type(t->type))
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_UNSUPPORTED,
                             "%s: tensor '%s' has type %s (%u); weights must be F32, F16, Q8_0, "
                             "Q4_0, Q4_K or Q6_K",
                             ld->path, name, type_name(t->type), t->type);
    sm_type ty = (sm_type)t->type;
    /* The parser checked ne[0] against the block size; the kernels read blocks as 2-byte and
     * floats as 4-byte values, which the alignment rule guarantees unless the file used an
     * alignment below 4. */
    size_t align = ty == SM_TYPE_F32 ? 4 : 2;
    if ((uintptr_t)t->data % align != 0)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_UNSUPPORTED,
                             "%s: tensor '%s' data is not %zu-byte aligned (general.alignment "
                             "below 4?)",
                             ld->path, name, align);
    out->data = t->data;
    out->type = ty;
    out->n_in = n_in;
    out->n_out = n_out;
    out->row_bytes = sm_type_row_bytes(ty, n_in);
    return SM_OK;
}

sm_status sm_load_vector(const sm_load *ld, const char *name, size_t n, const float **out)
{
    sm_status st = SM_OK;
    const sm_gguf_tensor *t = find_tensor(ld, name, &st);
    if (!t)
        return st;
    if (t->n_dims != 1 || (uint64_t)t->ne[0] != n)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: tensor '%s' has shape [%" PRId64 ", %" PRId64
                             "] (%u dims); the hyper-parameters require [%zu]",
                             ld->path, name, t->ne[0], t->ne[1], t->n_dims, n);
    if (t->type != SM_TYPE_F32)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_UNSUPPORTED,
                             "%s: tensor '%s' has type %s (%u); norm weights and biases must be "
                             "F32",
                             ld->path, name, type_name(t->type), t->type);
    if ((uintptr_t)t->data % 4 != 0)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_UNSUPPORTED,
                             "%s: tensor '%s' data is not 4-byte aligned", ld->path, name);
    *out = t->data;
    return SM_OK;
}

/* The type holding most matrix elements, for sm_model_weight_type. Only 2-D tensors count:
 * 1-D norms are F32 in every file. */
static sm_type dominant_type(const sm_gguf *g)
{
    uint64_t count[SM_TYPE_Q8_K + 1] = {0};
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const sm_gguf_tensor *t = &g->tensors[i];
        if (t->n_dims >= 2 && matmul_type(t->type))
            count[t->type] +=
                (uint64_t)t->ne[0] * (uint64_t)t->ne[1] * (uint64_t)t->ne[2] * (uint64_t)t->ne[3];
    }
    sm_type best = SM_TYPE_F32;
    for (int t = 0; t <= SM_TYPE_Q8_K; t++)
        if (count[t] > count[best])
            best = (sm_type)t;
    return best;
}

static void count_params(sm_model *m)
{
    for (uint64_t i = 0; i < m->gguf->n_tensors; i++) {
        const sm_gguf_tensor *t = &m->gguf->tensors[i];
        /* The parser checked this product fits in int64. */
        m->n_params +=
            (uint64_t)t->ne[0] * (uint64_t)t->ne[1] * (uint64_t)t->ne[2] * (uint64_t)t->ne[3];
        m->n_bytes += t->n_bytes;
    }
    m->weight_type = dominant_type(m->gguf);
}

void sm_model_params_init(sm_model_params *params)
{
    if (!params)
        return;
    memset(params, 0, sizeof *params);
    params->use_mmap = 1;
}

static sm_status bind_arch(sm_model *m, const char *path, char *err, size_t err_len)
{
    sm_gguf_str arch;
    char why[256];
    sm_status st = sm_gguf_get_str(m->gguf, "general.architecture", &arch, why, sizeof why);
    if (st == SM_E_NOT_FOUND)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "%s: required key 'general.architecture' is missing", path);
    if (st != SM_OK)
        return sm_errbuf_set(err, err_len, st, "%s: %s", path, why);
    sm_load ld = {.g = m->gguf, .path = path, .err = err, .err_len = err_len};
    if (sm_gguf_str_eq(arch, "llama")) {
        m->arch = SM_ARCH_LLAMA;
        ld.arch_name = "llama";
        return sm_arch_llama_load(&ld, m);
    }
    if (sm_gguf_str_eq(arch, "gpt2")) {
        m->arch = SM_ARCH_GPT2;
        ld.arch_name = "gpt2";
        return sm_arch_gpt2_load(&ld, m);
    }
    int shown = arch.n > 64 ? 64 : (int)arch.n;
    return sm_errbuf_set(err, err_len, SM_E_UNSUPPORTED,
                         "%s: key 'general.architecture' is '%.*s'%s; supported: llama, gpt2", path,
                         shown, arch.p, arch.n > 64 ? "..." : "");
}

/* The tokenizer, when the file has one. Its ids index the embedding, so it may not name more
 * tokens than the embedding has rows (row 16 of GGUF-HARDENING.md, from the model's side). */
static sm_status load_vocab(sm_model *m, const char *path, char *err, size_t err_len)
{
    if (!sm_gguf_find(m->gguf, "tokenizer.ggml.model"))
        return SM_OK;
    char why[512];
    sm_status st = sm_vocab_load(m->gguf, &m->vocab, why, sizeof why);
    /* A file naming a tokenizer without its tokens is malformed: SM_E_NOT_FOUND is not one of
     * sm_model_load's statuses (found by fuzz/fuzz_model_load). */
    if (st == SM_E_NOT_FOUND)
        st = SM_E_FORMAT;
    if (st != SM_OK)
        return sm_errbuf_set(err, err_len, st, "%s: %s", path, why);
    size_t n = (size_t)sm_vocab_n_tokens(m->vocab);
    if (n > m->hp.n_vocab)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "%s: key 'tokenizer.ggml.tokens' lists %zu tokens but tensor "
                             "'token_embd.weight' has %zu rows",
                             path, n, m->hp.n_vocab);
    return SM_OK;
}

static void model_destroy(sm_model *m)
{
    sm_model_repack_free(m);
    sm_vocab_free(m->vocab);
    free(m->layers);
    sm_gguf_free(m->gguf);
    sm_mapfile_close(&m->file);
    free(m);
}

/* Sets up the error buffer of a load: the caller's, else a local one so the log still gets
 * the message. */
static char *load_errbuf(const sm_model_params *params, char *local, size_t local_len,
                         size_t *err_len)
{
    char *err = params->errbuf ? params->errbuf : local;
    *err_len = params->errbuf ? params->errbuf_len : local_len;
    if (err && *err_len)
        err[0] = '\0';
    return err;
}

/* Logs the reason of a failed load and frees what it built. */
static sm_status load_failed(sm_model *m, sm_status st, const char *err)
{
    if (err && err[0])
        sm_log(SM_LOG_ERROR, "%s", err);
    model_destroy(m);
    return st;
}

/* Everything after the bytes are in memory, shared by both entry points: parse, bind the
 * architecture and the tokenizer. Takes ownership of @p m (and its file) on failure. */
static sm_status load_from_bytes(sm_model *m, const char *name, sm_model **out, char *err,
                                 size_t err_len)
{
    char why[512];
    sm_status st = sm_gguf_parse(m->file.data, m->file.size, &m->gguf, why, sizeof why);
    if (st != SM_OK) {
        sm_errbuf_set(err, err_len, st, "%s: %s", name, why);
        goto fail;
    }
    st = bind_arch(m, name, err, err_len);
    if (st != SM_OK)
        goto fail;
    st = load_vocab(m, name, err, err_len);
    if (st != SM_OK)
        goto fail;
    count_params(m);
    sm_model_repack(m);
    sm_log(SM_LOG_INFO,
           "%s: %s, %zu layers, n_embd %zu, %zu/%zu heads, n_ff %zu, vocab %zu, ctx %zu, "
           "%" PRIu64 " parameters, %s",
           name, m->arch == SM_ARCH_LLAMA ? "llama" : "gpt2", m->hp.n_layer, m->hp.n_embd,
           m->hp.n_head, m->hp.n_head_kv, m->hp.n_ff, m->hp.n_vocab, m->hp.n_ctx_train, m->n_params,
           type_name(m->weight_type));
    *out = m;
    return SM_OK;
fail:
    return load_failed(m, st, err);
}

static sm_model *model_new(void)
{
    sm_model *m = calloc(1, sizeof *m);
    if (m)
        atomic_init(&m->refs, 1);
    return m;
}

/* Where a model's bytes come from: a file (path) or the caller's memory (data, size). */
typedef struct load_src {
    const char *api; /* the entry point and its source argument, for argument errors */
    const char *arg;
    const char *path;
    const void *data;
    size_t size;
} load_src;

/* Both entry points: check the arguments, get the bytes into memory, then load_from_bytes. */
static sm_status load(const load_src *src, const sm_model_params *params, sm_model **out)
{
    sm_model_params defaults;
    if (!params) {
        sm_model_params_init(&defaults);
        params = &defaults;
    }
    char local_err[512];
    size_t err_len = 0;
    char *err = load_errbuf(params, local_err, sizeof local_err, &err_len);
    const char *name = src->path ? src->path : "<memory>";
    if (!(src->path || src->data) || !out)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "%s: %s is NULL", src->api,
                             !(src->path || src->data) ? src->arg : "out");
    sm_model *m = model_new();
    if (!m)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "%s: out of memory", name);
    /* For a buffer use_mmap is meaningless: the bytes are already in memory, and a copy is the
     * only way to let the caller free them. */
    sm_status st = src->path ? sm_mapfile_open(src->path, params->use_mmap, params->use_mlock,
                                               &m->file, err, err_len)
                             : sm_mapfile_from_buffer(src->data, src->size, params->use_mlock, name,
                                                      &m->file, err, err_len);
    if (st != SM_OK)
        return load_failed(m, st, err);
    return load_from_bytes(m, name, out, err, err_len);
}

sm_status sm_model_load(const char *path, const sm_model_params *params, sm_model **out)
{
    load_src src = {.api = "sm_model_load", .arg = "path", .path = path};
    return load(&src, params, out);
}

sm_status sm_model_load_buffer(const void *data, size_t size, const sm_model_params *params,
                               sm_model **out)
{
    load_src src = {.api = "sm_model_load_buffer", .arg = "data", .data = data, .size = size};
    return load(&src, params, out);
}

void sm_model_retain(sm_model *m)
{
    /* relaxed: a new reference is taken from one already held, which keeps the model alive */
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void sm_model_free(sm_model *m)
{
    if (!m)
        return;
    /* acq_rel pairs with the other holders' decrements: the last one sees all their uses */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        model_destroy(m);
}

const char *sm_model_arch(const sm_model *m)
{
    return m->arch == SM_ARCH_LLAMA ? "llama" : "gpt2";
}

int sm_model_n_vocab(const sm_model *m)
{
    return (int)m->hp.n_vocab;
}

int sm_model_n_ctx_train(const sm_model *m)
{
    return (int)m->hp.n_ctx_train;
}

int sm_model_n_embd(const sm_model *m)
{
    return (int)m->hp.n_embd;
}

int sm_model_n_layer(const sm_model *m)
{
    return (int)m->hp.n_layer;
}

int sm_model_n_head(const sm_model *m)
{
    return (int)m->hp.n_head;
}

int sm_model_n_head_kv(const sm_model *m)
{
    return (int)m->hp.n_head_kv;
}

uint64_t sm_model_n_params(const sm_model *m)
{
    return m->n_params;
}

uint64_t sm_model_size_bytes(const sm_model *m)
{
    return m->n_bytes;
}

const char *sm_model_weight_type(const sm_model *m)
{
    return type_name(m->weight_type);
}

/* Formats one scalar of type @p t at @p p. */
static int scalar_str(uint32_t t, const uint8_t *p, char *buf, size_t len)
{
    union {
        uint8_t u8;
        int8_t i8;
        uint16_t u16;
        int16_t i16;
        uint32_t u32;
        int32_t i32;
        float f32;
        uint64_t u64;
        int64_t i64;
        double f64;
    } v;
    size_t size = t == SM_GGUF_U8 || t == SM_GGUF_I8 || t == SM_GGUF_BOOL    ? 1
                  : t == SM_GGUF_U16 || t == SM_GGUF_I16                     ? 2
                  : t == SM_GGUF_U64 || t == SM_GGUF_I64 || t == SM_GGUF_F64 ? 8
                                                                             : 4;
    memcpy(&v, p, size);
    switch (t) {
    case SM_GGUF_U8:
        return snprintf(buf, len, "%u", v.u8);
    case SM_GGUF_I8:
        return snprintf(buf, len, "%d", v.i8);
    case SM_GGUF_U16:
        return snprintf(buf, len, "%u", v.u16);
    case SM_GGUF_I16:
        return snprintf(buf, len, "%d", v.i16);
    case SM_GGUF_U32:
        return snprintf(buf, len, "%" PRIu32, v.u32);
    case SM_GGUF_I32:
        return snprintf(buf, len, "%" PRId32, v.i32);
    case SM_GGUF_F32:
        return snprintf(buf, len, "%.9g", (double)v.f32);
    case SM_GGUF_BOOL:
        return snprintf(buf, len, "%s", v.u8 ? "true" : "false");
    case SM_GGUF_U64:
        return snprintf(buf, len, "%" PRIu64, v.u64);
    case SM_GGUF_I64:
        return snprintf(buf, len, "%" PRId64, v.i64);
    case SM_GGUF_F64:
        return snprintf(buf, len, "%.17g", v.f64);
    default:
        return snprintf(buf, len, "?");
    }
}

int sm_model_meta_str(const sm_model *m, const char *key, char *buf, size_t buf_len)
{
    if (!m || !key || (!buf && buf_len))
        return SM_E_INVAL;
    const sm_gguf_kv *kv = sm_gguf_find(m->gguf, key);
    if (!kv)
        return SM_E_NOT_FOUND;
    if (kv->type == SM_GGUF_STRING) {
        /* Metadata strings may hold NULs; the text stops at the first, as C strings do. */
        const char *nul = memchr(kv->str.p, '\0', kv->str.n);
        size_t n = nul ? (size_t)(nul - kv->str.p) : kv->str.n;
        if (buf_len) {
            size_t c = n < buf_len - 1 ? n : buf_len - 1;
            memcpy(buf, kv->str.p, c);
            buf[c] = '\0';
        }
        return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
    }
    if (kv->type == SM_GGUF_ARRAY)
        return snprintf(buf, buf_len, "[%" PRIu64 " %s]", kv->n, sm_gguf_vtype_name(kv->elem_type));
    return scalar_str(kv->type, kv->data, buf, buf_len);
}
