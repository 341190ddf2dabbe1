/* SPDX-License-Identifier: MIT */
/* builtin.c: the built-in models (see builtin.h): the table of shapes, the seeded weight
 * generator, the GGUF bytes written with the GGUF writer, and the load from memory. */
#include "config.h"

#include "cli/builtin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gguf_writer.h"

/* Model 0 is the default. "medium" is the seed profiler's shape that sm-run's issue names: big
 * enough that a token costs real matmuls (3.3M parameters, 13 MB of F32), small enough to
 * build in milliseconds. Add shapes here; names must stay unique. */
static const sm_cli_builtin_spec builtin_specs[] = {
    {.name = "medium",
     .n_vocab = 512,
     .n_ctx = 128,
     .n_embd = 256,
     .n_layer = 4,
     .n_head = 8,
     .n_ff = 1024,
     .seed = 0x5EED0001},
    {.name = "small",
     .n_vocab = 256,
     .n_ctx = 64,
     .n_embd = 128,
     .n_layer = 2,
     .n_head = 4,
     .n_ff = 512,
     .seed = 0x5EED0002},
};

enum { N_SPECS = sizeof builtin_specs / sizeof builtin_specs[0], GGUF_F32 = 0 };

size_t sm_cli_builtin_count(void)
{
    return N_SPECS;
}

const sm_cli_builtin_spec *sm_cli_builtin_at(size_t i)
{
    return i < N_SPECS ? &builtin_specs[i] : NULL;
}

const sm_cli_builtin_spec *sm_cli_builtin_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_SPECS; i++)
        if (strcmp(builtin_specs[i].name, name) == 0)
            return &builtin_specs[i];
    return NULL;
}

size_t sm_cli_builtin_names(char *buf, size_t buf_len)
{
    size_t n = 0;
    if (buf_len > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < N_SPECS; i++) {
        const char *sep = i > 0 ? ", " : "";
        size_t add = strlen(sep) + strlen(builtin_specs[i].name);
        if (n < buf_len)
            snprintf(buf + n, buf_len - n, "%s%s", sep, builtin_specs[i].name);
        n += add;
    }
    return n;
}

/* ---- the weights: one splitmix64 stream per tensor -------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* An approximately normal value (mean 0, variance 1): the sum of four uniforms, centred and
 * scaled (Irwin-Hall), the uniforms being the four 16-bit quarters of one draw. Only exactly
 * rounded arithmetic, no libm (Box-Muller needs log and cos, whose last bits differ between
 * libms), so a built-in model has the same bits, hence the same logits, on every machine. The
 * tails stop at +-3.46 and the values lie on a grid of 2^-16, which synthetic weights do not
 * miss; one draw per value instead of four cut writing "medium" from 36 to 26 ms (median of 21,
 * one core of a shared Xeon). */
static double std_normal(uint64_t *state)
{
    uint64_t r = splitmix64(state);
    double sum = (double)(r & 0xFFFF) + (double)(r >> 16 & 0xFFFF) + (double)(r >> 32 & 0xFFFF) +
                 (double)(r >> 48);
    /* each quarter is uniform on [0, 65535]: mean 4 * 32767.5, variance 4 * (65536^2 - 1) / 12 */
    return (sum - 131070.0) * (1.7320508075688772 / 65536.0);
}

/* How a tensor's values are drawn. */
typedef struct wfill {
    double std;   /* > 0: N(0, std) values */
    float offset; /* added to each value: 1 for LayerNorm weights, 0 otherwise */
} wfill;

/* Weights' standard deviation: min(0.1, 1/sqrt(n_in)) keeps each matmul's outputs O(1)
 * whatever the width, so activations stay O(1) through the layers. (sqrt is exactly rounded by
 * IEEE 754, so this keeps the bits machine-independent.) The embedding's 0.1, rather than
 * GPT-2's init of 0.02, sets the tied output's logits apart: their spread is about
 * 0.1 sqrt(n_embd), measured 1.6 on "medium" (0.3 with 0.02: a nearly uniform next byte). */
static double matrix_std(int n_in)
{
    double s = 1.0 / sqrt((double)n_in);
    return s < 0.1 ? s : 0.1;
}

static const wfill FILL_NORM_WEIGHT = {.std = 0, .offset = 1.0f};
static const wfill FILL_NORM_BIAS = {.std = 0, .offset = 0.0f};
static const wfill FILL_BIAS = {.std = 0.02, .offset = 0.0f};
static const wfill FILL_EMBD = {.std = 0.1, .offset = 0.0f};
static const wfill FILL_POS = {.std = 0.05, .offset = 0.0f};

/* The writer state while a model's tensors are added: one scratch buffer for every tensor. */
typedef struct gen {
    sm_gw *w;
    uint64_t seed;
    uint64_t index; /* the next tensor's stream */
    float *scratch; /* the largest tensor's elements */
} gen;

/* Adds tensor @p name, ne = {ne0, ne1} (ne1 = 0: a vector), its values drawn per @p fill from
 * the stream of its position in the file. */
static void add_tensor(gen *g, const char *name, int64_t ne0, int64_t ne1, wfill fill)
{
    uint64_t state = g->seed ^ (0xD1B54A32D192ED03u * ++g->index);
    size_t n = (size_t)ne0 * (size_t)(ne1 > 0 ? ne1 : 1);
    for (size_t i = 0; i < n; i++)
        g->scratch[i] = (float)(fill.std > 0 ? fill.std * std_normal(&state) : 0.0) + fill.offset;
    int64_t ne[2] = {ne0, ne1};
    sm_gw_tensor(g->w, name, GGUF_F32, ne1 > 0 ? 2 : 1, ne, g->scratch, n * sizeof(float));
}

static void add_layer(gen *g, const sm_cli_builtin_spec *s, int l)
{
    const int64_t e = s->n_embd, f = s->n_ff;
    const wfill w_e = {.std = matrix_std(s->n_embd)}, w_f = {.std = matrix_std(s->n_ff)};
    const struct {
        const char *suffix;
        int64_t ne0, ne1;
        wfill fill;
    } t[] = {
        {"attn_norm.weight", e, 0, FILL_NORM_WEIGHT},
        {"attn_norm.bias", e, 0, FILL_NORM_BIAS},
        {"attn_qkv.weight", e, 3 * e, w_e},
        {"attn_qkv.bias", 3 * e, 0, FILL_BIAS},
        {"attn_output.weight", e, e, w_e},
        {"attn_output.bias", e, 0, FILL_BIAS},
        {"ffn_norm.weight", e, 0, FILL_NORM_WEIGHT},
        {"ffn_norm.bias", e, 0, FILL_NORM_BIAS},
        {"ffn_up.weight", e, f, w_e},
        {"ffn_up.bias", f, 0, FILL_BIAS},
        {"ffn_down.weight", f, e, w_f},
        {"ffn_down.bias", e, 0, FILL_BIAS},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%d.%s", l, t[i].suffix);
        add_tensor(g, name, t[i].ne0, t[i].ne1, t[i].fill);
    }
}

/* ---- the vocabulary ------------------------------------------------------------------------ */

/* GPT-2's bytes_to_unicode: the printable bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for
 * themselves; the other 68 take U+0100, U+0101, ... in byte order. A GPT-2 tokenizer reads the
 * token texts through this map, so byte b's token must be spelled this way. */
static unsigned byte_codepoint(unsigned b)
{
    unsigned skipped = 0; /* non-printable bytes below b */
    for (unsigned c = 0; c <= b; c++) {
        int printable = (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE;
        if (c == b)
            return printable ? b : 0x100 + skipped;
        skipped += !printable;
    }
    return 0; /* not reached: the loop returns at c == b */
}

/* The UTF-8 of a code point below U+0800 (every byte_codepoint), NUL-terminated. */
static void utf8_2(unsigned cp, char out[3])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        out[1] = '\0';
    } else {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        out[2] = '\0';
    }
}

/* Tokens past the 256 bytes are two-character merges, so that a vocabulary can have the seed
 * profiler's 512 entries and still tokenize any text: a space or one of 16 frequent English
 * letters, then one of those letters (' ' + letter first, as GPT-2's pre-tokenizer keeps a word's
 * leading space). Merge k (rank k) makes token 256 + k. Only merges of two bytes exist, so a
 * text's tokens are its byte pairs merged greedily by rank: easy to predict in tests. */
static const char merge_first[] = " etaoinsrhldcumfp";
static const char merge_second[] = "etaoinsrhldcumfp";
enum { N_MERGES_MAX = (sizeof merge_first - 1) * (sizeof merge_second - 1) };

int sm_cli_builtin_max_vocab(void)
{
    return 256 + N_MERGES_MAX;
}

/* tokenizer.ggml.*: token i < 256 is byte i, tokens from 256 on are the merges above, all
 * normal, and no BOS or EOS, so generation runs until its token budget or a stop string. */
static int add_vocab(sm_gw *w, int n_vocab)
{
    size_t n_merges = (size_t)n_vocab - 256;
    char(*text)[8] = calloc((size_t)n_vocab, sizeof *text);
    char(*merge)[8] = calloc(n_merges + 1, sizeof *merge);
    const char **tokens = calloc((size_t)n_vocab, sizeof *tokens);
    const char **merges = calloc(n_merges + 1, sizeof *merges);
    int32_t *types = calloc((size_t)n_vocab, sizeof *types);
    int ok = text && merge && tokens && merges && types;
    for (int b = 0; ok && b < n_vocab; b++) {
        if (b < 256) {
            utf8_2(byte_codepoint((unsigned)b), text[b]);
        } else {
            size_t k = (size_t)b - 256, ns = sizeof merge_second - 1;
            char l[3], r[3];
            utf8_2(byte_codepoint((unsigned char)merge_first[k / ns]), l);
            utf8_2(byte_codepoint((unsigned char)merge_second[k % ns]), r);
            snprintf(text[b], sizeof text[b], "%s%s", l, r);
            snprintf(merge[k], sizeof merge[k], "%s %s", l, r);
            merges[k] = merge[k];
        }
        tokens[b] = text[b];
        types[b] = 1; /* llama.cpp's LLAMA_TOKEN_TYPE_NORMAL */
    }
    if (ok) {
        sm_gw_kv_str(w, "tokenizer.ggml.model", "gpt2");
        sm_gw_kv_str(w, "tokenizer.ggml.pre", "gpt-2");
        sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", tokens, (size_t)n_vocab);
        sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", types, (size_t)n_vocab);
        sm_gw_kv_arr_str(w, "tokenizer.ggml.merges", n_merges ? merges : NULL, n_merges);
    }
    free(text);
    free(merge);
    free(tokens);
    free(merges);
    free(types);
    return ok ? 0 : -1;
}

/* ---- the file ----------------------------------------------------------------------------- */

static int add_keys(sm_gw *w, const sm_cli_builtin_spec *s)
{
    char text[256];
    sm_gw_kv_str(w, "general.architecture", "gpt2");
    snprintf(text, sizeof text, "smallmind-builtin-%s", s->name);
    sm_gw_kv_str(w, "general.name", text);
    snprintf(text, sizeof text,
             "synthetic: seeded random weights (seed %llu), not a trained model; its text is "
             "noise. For testing and benchmarking SmallMind without a model file.",
             (unsigned long long)s->seed);
    sm_gw_kv_str(w, "general.description", text);
    sm_gw_kv_u32(w, "general.file_type", 0); /* llama.cpp's LLAMA_FTYPE_ALL_F32 */
    sm_gw_kv_u32(w, "gpt2.context_length", (uint32_t)s->n_ctx);
    sm_gw_kv_u32(w, "gpt2.embedding_length", (uint32_t)s->n_embd);
    sm_gw_kv_u32(w, "gpt2.feed_forward_length", (uint32_t)s->n_ff);
    sm_gw_kv_u32(w, "gpt2.block_count", (uint32_t)s->n_layer);
    sm_gw_kv_u32(w, "gpt2.attention.head_count", (uint32_t)s->n_head);
    sm_gw_kv_f32(w, "gpt2.attention.layer_norm_epsilon", 1e-5f);
    if (add_vocab(w, s->n_vocab) != 0)
        return -1;
    if (s->has_eos)
        sm_gw_kv_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)s->eos_id);
    return 0;
}

static int spec_ok(const sm_cli_builtin_spec *s)
{
    return s->n_vocab >= 256 && s->n_vocab <= 256 + N_MERGES_MAX && s->n_ctx > 0 && s->n_embd > 0 &&
           s->n_layer > 0 && s->n_head > 0 && s->n_embd % s->n_head == 0 && s->n_ff > 0 &&
           (!s->has_eos || (s->eos_id >= 0 && s->eos_id < s->n_vocab));
}

static size_t max2(size_t a, size_t b)
{
    return a > b ? a : b;
}

sm_status sm_cli_builtin_gguf(const sm_cli_builtin_spec *spec, uint8_t **out, size_t *size,
                              char *err, size_t err_len)
{
    if (spec == NULL || out == NULL || size == NULL) {
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "sm_cli_builtin_gguf: NULL argument");
        return SM_E_INVAL;
    }
    if (!spec_ok(spec)) {
        if (err != NULL && err_len > 0)
            snprintf(
                err, err_len,
                "built-in model '%s': n_vocab %d (must be 256 to %d), n_embd %d, n_head %d (must "
                "divide n_embd), n_ctx %d, n_layer %d, n_ff %d (positive)",
                spec->name, spec->n_vocab, 256 + N_MERGES_MAX, spec->n_embd, spec->n_head,
                spec->n_ctx, spec->n_layer, spec->n_ff);
        return SM_E_INVAL;
    }
    size_t e = (size_t)spec->n_embd;
    size_t largest = max2(max2(e * (size_t)spec->n_vocab, e * (size_t)spec->n_ctx),
                          max2(3 * e * e, e * (size_t)spec->n_ff));
    gen g = {.w = sm_gw_create(3), .seed = spec->seed, .scratch = malloc(largest * sizeof(float))};
    int rc = -1;
    if (g.w != NULL && g.scratch != NULL && add_keys(g.w, spec) == 0) {
        add_tensor(&g, "token_embd.weight", spec->n_embd, spec->n_vocab, FILL_EMBD);
        add_tensor(&g, "position_embd.weight", spec->n_embd, spec->n_ctx, FILL_POS);
        for (int l = 0; l < spec->n_layer; l++)
            add_layer(&g, spec, l);
        add_tensor(&g, "output_norm.weight", spec->n_embd, 0, FILL_NORM_WEIGHT);
        add_tensor(&g, "output_norm.bias", spec->n_embd, 0, FILL_NORM_BIAS);
        rc = sm_gw_bytes(g.w, out, size); /* GPT-2 ties the output to token_embd */
    }
    free(g.scratch);
    sm_gw_free(g.w);
    if (rc != 0) {
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "built-in model '%s': out of memory writing its GGUF bytes",
                     spec->name);
        return SM_E_NOMEM;
    }
    return SM_OK;
}

sm_status sm_cli_builtin_load(const char *name, const sm_model_params *params, sm_model **out,
                              char *err, size_t err_len)
{
    if (err != NULL && err_len > 0)
        err[0] = '\0';
    if (name == NULL || out == NULL) {
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "sm_cli_builtin_load: %s is NULL", name ? "out" : "name");
        return SM_E_INVAL;
    }
    const sm_cli_builtin_spec *spec = sm_cli_builtin_find(name);
    if (spec == NULL) {
        char names[256];
        sm_cli_builtin_names(names, sizeof names);
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "no built-in model '%s' (built-in models: %s)", name, names);
        return SM_E_NOT_FOUND;
    }
    uint8_t *bytes = NULL;
    size_t size = 0;
    sm_status st = sm_cli_builtin_gguf(spec, &bytes, &size, err, err_len);
    if (st != SM_OK)
        return st;
    sm_model_params mp;
    if (params != NULL)
        mp = *params;
    else
        sm_model_params_init(&mp);
    char why[512] = "";
    if (err != NULL) {
        mp.errbuf = why;
        mp.errbuf_len = sizeof why;
    }
    st = sm_model_load_buffer(bytes, size, &mp, out);
    free(bytes);
    if (st != SM_OK && err != NULL && err_len > 0)
        snprintf(err, err_len, "built-in model '%s': %s", name, why);
    return st;
}
