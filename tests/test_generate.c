/* SPDX-License-Identifier: MIT */
/* test_generate.c: sm_generate against a loop written with sm_eval and an argmax, stop
 * sequences that span tokens, every stop reason, cancellation, errors, thread-count
 * independence, and no heap allocation per generated token. On the built-in "small" model:
 * one token per byte, so every piece is one byte and stops span tokens by construction. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/builtin.h"
#include "sm_test.h"
#include "smallmind.h"
#include "tiny_model.h"

#define MAX_TEXT 4096

typedef struct sink {
    char text[MAX_TEXT];
    size_t len;
    int calls;
    int cancel_at;    /* on_piece returns nonzero on this call (0: never) */
    int polls;        /* should_stop calls */
    int stop_at_poll; /* should_stop returns nonzero from this call on (0: never) */
} sink;

/* Writes into a fixed buffer: the allocation test counts every byte the callbacks allocate. */
static int on_piece(void *ud, const char *text, size_t len)
{
    sink *s = ud;
    if (s->len + len <= MAX_TEXT) {
        memcpy(s->text + s->len, text, len);
        s->len += len;
    }
    s->calls++;
    return s->cancel_at && s->calls >= s->cancel_at;
}

static int should_stop(void *ud)
{
    sink *s = ud;
    s->polls++;
    return s->stop_at_poll && s->polls >= s->stop_at_poll;
}

static sm_model *small_model(void)
{
    char err[256];
    sm_model *m = NULL;
    sm_status st = sm_cli_builtin_load("small", NULL, &m, err, sizeof err);
    ck_assert_msg(st == SM_OK, "builtin small: %s", err);
    return m;
}

static sm_context *make_ctx(sm_model *m, int n_threads, int n_ctx)
{
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = n_threads;
    cp.n_ctx = n_ctx;
    sm_context *c = NULL;
    ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_OK);
    return c;
}

static sm_sampler *make_sampler(const sm_model *m, float temp, uint64_t seed)
{
    sm_sampler_params sp;
    sm_sampler_params_init(&sp);
    sp.temperature = temp;
    sp.seed = seed;
    sm_sampler *s = NULL;
    ck_assert_int_eq(sm_sampler_create(&sp, sm_model_n_vocab(m), &s), SM_OK);
    return s;
}

/* A model, a context and a sampler, the set every test below works with. */
typedef struct env {
    sm_model *m;
    sm_context *c;
    sm_sampler *smp;
} env;

static env env_open(int n_threads, int n_ctx, float temp, uint64_t seed)
{
    env e;
    e.m = small_model();
    e.c = make_ctx(e.m, n_threads, n_ctx);
    e.smp = make_sampler(e.m, temp, seed);
    return e;
}

static void env_close(env *e)
{
    sm_sampler_free(e->smp);
    sm_context_free(e->c);
    sm_model_free(e->m);
}

static int tokenize(const sm_model *m, const char *text, int32_t *toks, size_t cap)
{
    size_t n = 0;
    ck_assert_int_eq(sm_tokenize(m, text, strlen(text), 0, toks, cap, &n), SM_OK);
    return (int)n;
}

/* Runs sm_generate on an empty context and returns the status; the text is in *s. */
static sm_status generate(sm_context *c, sm_sampler *smp, const int32_t *p, int n, int n_predict,
                          const char *const *stop, int n_stop, sink *s, sm_generate_result *r)
{
    sm_context_reset(c);
    sm_generate_params gp;
    sm_generate_params_init(&gp);
    gp.n_predict = n_predict;
    gp.stop = stop;
    gp.n_stop = n_stop;
    gp.on_piece = on_piece;
    gp.should_stop = should_stop;
    gp.user_data = s;
    return sm_generate(c, smp, p, n, &gp, r);
}

static int32_t argmax(const float *l, int n)
{
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (l[i] > l[best])
            best = i;
    return best;
}

/* Greedy generation equals a loop of sm_eval and an argmax, token by token, byte for byte. */
START_TEST(test_greedy_equals_manual_loop)
{
    env e = env_open(1, 0, 0, 1);
    int32_t p[64];
    int n = tokenize(e.m, "Once upon", p, 64);
    sink s = {0};
    sm_generate_result r;
    ck_assert_int_eq(generate(e.c, e.smp, p, n, 20, NULL, 0, &s, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_LIMIT);
    ck_assert_int_eq(r.n_prompt, n);
    ck_assert_int_eq(r.n_generated, 20);
    ck_assert_uint_eq(r.n_bytes, s.len);

    char want[64];
    size_t want_len = 0;
    sm_context_reset(e.c);
    ck_assert_int_eq(sm_eval(e.c, p, n), SM_OK);
    for (int i = 0; i < 20; i++) {
        int32_t t = argmax(sm_get_logits(e.c, -1), sm_model_n_vocab(e.m));
        size_t nb = 0;
        ck_assert_int_eq(sm_token_to_piece(e.m, t, want + want_len, sizeof want - want_len, &nb),
                         SM_OK);
        want_len += nb;
        if (i < 19)
            ck_assert_int_eq(sm_eval(e.c, &t, 1), SM_OK);
    }
    ck_assert_uint_eq(s.len, want_len);
    ck_assert_mem_eq(s.text, want, want_len);
    /* the last token was not evaluated: nobody needs its logits */
    ck_assert_int_eq(sm_context_n_past(e.c), n + 19);
    env_close(&e);
}
END_TEST

/* A stop sequence taken from the middle of the unconstrained text (three one-byte tokens):
 * the output is the text before its first occurrence, and nothing of it. */
START_TEST(test_stop_sequence_spanning_tokens)
{
    env e = env_open(1, 0, 0, 1);
    int32_t p[64];
    int n = tokenize(e.m, "abc", p, 64);
    sink full = {0};
    sm_generate_result r;
    ck_assert_int_eq(generate(e.c, e.smp, p, n, 40, NULL, 0, &full, &r), SM_OK);
    ck_assert_uint_eq(full.len, 40);
    char stop[4];
    memcpy(stop, full.text + 20, 3);
    stop[3] = '\0';
    /* a NUL byte would end the stop string early; the model is seeded, so this is fixed */
    ck_assert_uint_eq(strlen(stop), 3);
    size_t first = 0;
    while (memcmp(full.text + first, stop, 3) != 0)
        first++;
    const char *const stops[] = {"\x01\x02\x03\x04 never", stop};
    sink s = {0};
    ck_assert_int_eq(generate(e.c, e.smp, p, n, 40, stops, 2, &s, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_SEQUENCE);
    ck_assert_uint_eq(s.len, first);
    ck_assert_mem_eq(s.text, full.text, first);
    ck_assert_int_eq(r.n_generated, (int)first + 3);
    ck_assert_uint_eq(r.n_bytes, first);

    /* a stop that never comes: everything, held-back bytes included */
    sink all = {0};
    ck_assert_int_eq(generate(e.c, e.smp, p, n, 40, stops, 1, &all, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_LIMIT);
    ck_assert_uint_eq(all.len, full.len);
    ck_assert_mem_eq(all.text, full.text, full.len);
    env_close(&e);
}
END_TEST

/* A full context ends generation cleanly: the last position's token is sampled and emitted,
 * but cannot be evaluated. */
START_TEST(test_context_full)
{
    env e = env_open(1, 16, 0.8f, 3);
    int32_t p[8];
    int n = tokenize(e.m, "Hi!!", p, 8);
    sink s = {0};
    sm_generate_result r;
    ck_assert_int_eq(generate(e.c, e.smp, p, n, -1, NULL, 0, &s, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_CTX_FULL);
    ck_assert_int_eq(r.n_generated, 16 - n + 1);
    ck_assert_int_eq(sm_context_n_past(e.c), 16);
    ck_assert_uint_eq(s.len, (size_t)r.n_generated);
    /* a prompt that fills the context exactly still yields one token */
    int32_t full[16];
    for (int i = 0; i < 16; i++)
        full[i] = 'a' + i;
    sink one = {0};
    ck_assert_int_eq(generate(e.c, e.smp, full, 16, -1, NULL, 0, &one, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_CTX_FULL);
    ck_assert_int_eq(r.n_generated, 1);
    env_close(&e);
}
END_TEST

START_TEST(test_limits_and_cancel)
{
    env e = env_open(1, 0, 0.8f, 5);
    int32_t p[8];
    int n = tokenize(e.m, "xyz", p, 8);
    sm_generate_result r;
    sink none = {0};
    ck_assert_int_eq(generate(e.c, e.smp, p, n, 0, NULL, 0, &none, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_LIMIT);
    ck_assert_int_eq(r.n_generated, 0);
    ck_assert_int_eq(none.calls, 0);
    ck_assert_int_eq(sm_context_n_past(e.c), n);

    /* on_piece asks to stop on its 5th call: no 6th call, and the reason says so */
    sink s = {.cancel_at = 5};
    ck_assert_int_eq(generate(e.c, e.smp, p, n, 30, NULL, 0, &s, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_CANCELLED);
    ck_assert_int_eq(s.calls, 5);
    ck_assert_int_ge(r.n_generated, 5);
    ck_assert_int_lt(r.n_generated, 30);
    ck_assert_uint_eq(r.n_bytes, s.len);

    /* should_stop polled during the prompt: nothing generated */
    sink q = {.stop_at_poll = 1};
    ck_assert_int_eq(generate(e.c, e.smp, p, n, 30, NULL, 0, &q, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_CANCELLED);
    ck_assert_int_eq(r.n_generated, 0);
    ck_assert_int_eq(r.n_prompt, 0);
    ck_assert_int_eq(q.calls, 0);
    env_close(&e);
}
END_TEST

START_TEST(test_errors)
{
    env e = env_open(1, 16, 0.8f, 5);
    int32_t p[20];
    for (int i = 0; i < 20; i++)
        p[i] = 'a' + i;
    sink s = {0};
    sm_generate_result r;
    ck_assert_int_eq(generate(e.c, e.smp, p, 17, 5, NULL, 0, &s, &r), SM_E_RANGE);
    ck_assert_ptr_nonnull(strstr(sm_context_errmsg(e.c), "17 tokens"));
    ck_assert_ptr_nonnull(strstr(sm_context_errmsg(e.c), "16"));
    ck_assert_int_eq(sm_context_n_past(e.c), 0);
    ck_assert_int_eq(s.calls, 0);
    ck_assert_int_eq(generate(e.c, e.smp, p, 0, 5, NULL, 0, &s, &r), SM_E_INVAL);
    ck_assert_int_eq(generate(e.c, NULL, p, 3, 5, NULL, 0, &s, &r), SM_E_INVAL);
    ck_assert_int_eq(sm_generate(NULL, e.smp, p, 3, NULL, NULL), SM_E_INVAL);
    static const char *const empty[] = {""};
    ck_assert_int_eq(generate(e.c, e.smp, p, 3, 5, empty, 1, &s, &r), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(sm_context_errmsg(e.c), "empty"));
    /* a sampler for another vocabulary */
    sm_sampler_params sp;
    sm_sampler_params_init(&sp);
    sm_sampler *other = NULL;
    ck_assert_int_eq(sm_sampler_create(&sp, 1000, &other), SM_OK);
    ck_assert_int_eq(generate(e.c, other, p, 3, 5, NULL, 0, &s, &r), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(sm_context_errmsg(e.c), "vocabulary"));
    /* a token outside the vocabulary in the prompt */
    int32_t bad[2] = {1, 256};
    ck_assert_int_eq(generate(e.c, e.smp, bad, 2, 5, NULL, 0, &s, &r), SM_E_RANGE);
    sm_sampler_free(other);
    env_close(&e);
}
END_TEST

/* The same seed gives the same text on 1 and 2 threads (bit-identical logits), and a
 * different seed another text. */
START_TEST(test_seed_and_threads)
{
    sm_model *m = small_model();
    int32_t p[8];
    int n = tokenize(m, "seed", p, 8);
    static sink t[3];
    memset(t, 0, sizeof t);
    sm_generate_result r;
    for (int i = 0; i < 3; i++) {
        sm_context *c = make_ctx(m, i == 1 ? 2 : 1, 0);
        sm_sampler *smp = make_sampler(m, 1.0f, i == 2 ? 43 : 42);
        ck_assert_int_eq(generate(c, smp, p, n, 40, NULL, 0, &t[i], &r), SM_OK);
        sm_sampler_free(smp);
        sm_context_free(c);
    }
    ck_assert_uint_eq(t[0].len, t[1].len);
    ck_assert_mem_eq(t[0].text, t[1].text, t[0].len);
    ck_assert_msg(t[0].len != t[2].len || memcmp(t[0].text, t[2].text, t[0].len) != 0,
                  "seeds 42 and 43 gave the same 40 tokens");
    sm_model_free(m);
}
END_TEST

/* Decoding allocates nothing: after a warm-up generation has sized the workers' scratch for
 * decoding, the heap bytes of every worker from the first generated token of the next
 * generation to its end are 0, on 1 and 2 threads. */
START_TEST(test_decode_allocates_nothing)
{
    sm_model *m = small_model();
    int32_t p[8];
    int n = tokenize(m, "alloc", p, 8);
    for (int threads = 1; threads <= 2; threads++) {
        sm_context *c = make_ctx(m, threads, 0);
        sm_sampler *smp = make_sampler(m, 0.8f, 9);
        sink s = {0};
        sm_generate_result r8, r40;
        sm_status st8 = generate(c, smp, p, n, 8, NULL, 0, &s, &r8);
        sm_status st40 = generate(c, smp, p, n, 40, NULL, 0, &s, &r40);
        ck_assert_int_eq(st8, SM_OK);
        ck_assert_int_eq(st40, SM_OK);
        ck_assert_int_eq(r40.n_generated, 40);
        if (!r40.decode_heap_counted) {
            sm_sampler_free(smp);
            sm_context_free(c);
            continue; /* malloc arena backend: nothing to count with */
        }
        ck_assert_msg(r40.decode_heap_bytes == 0,
                      "%d threads: %llu heap bytes while decoding 40 tokens (warm-up: %llu)",
                      threads, (unsigned long long)r40.decode_heap_bytes,
                      (unsigned long long)r8.decode_heap_bytes);
        sm_sampler_free(smp);
        sm_context_free(c);
    }
    sm_model_free(m);
}
END_TEST

/* The model's EOS token ends generation and is not emitted: the "small" model again, with EOS
 * set to the 6th token greedy decoding produced without one (a token not seen before it). */
START_TEST(test_eos_ends_generation)
{
    sm_model *m = small_model();
    sm_context *c = make_ctx(m, 1, 0);
    sm_sampler *smp = make_sampler(m, 0, 1);
    int32_t p[8];
    int n = tokenize(m, "eos?", p, 8);
    sink full = {0};
    sm_generate_result r;
    ck_assert_int_eq(generate(c, smp, p, n, 30, NULL, 0, &full, &r), SM_OK);
    sm_sampler_free(smp);
    sm_context_free(c);
    sm_model_free(m);
    size_t k = 5;
    while (k < full.len && memchr(full.text, full.text[k], k))
        k++;
    ck_assert_uint_lt(k, full.len);

    sm_cli_builtin_spec spec = *sm_cli_builtin_find("small");
    spec.has_eos = 1;
    spec.eos_id = (unsigned char)full.text[k];
    uint8_t *bytes = NULL;
    size_t size = 0;
    char err[256];
    ck_assert_int_eq(sm_cli_builtin_gguf(&spec, &bytes, &size, err, sizeof err), SM_OK);
    ck_assert_int_eq(sm_model_load_buffer(bytes, size, NULL, &m), SM_OK);
    free(bytes);
    ck_assert_int_eq(sm_model_token_eos(m), spec.eos_id);
    c = make_ctx(m, 1, 0);
    smp = make_sampler(m, 0, 1);
    sink s = {0};
    ck_assert_int_eq(generate(c, smp, p, n, 30, NULL, 0, &s, &r), SM_OK);
    ck_assert_int_eq(r.stop_reason, SM_STOP_EOS);
    ck_assert_int_eq(r.n_generated, (int)k);
    ck_assert_uint_eq(s.len, k);
    ck_assert_mem_eq(s.text, full.text, k);
    sm_sampler_free(smp);
    sm_context_free(c);
    sm_model_free(m);
}
END_TEST

/* A tokenizer shorter than the embedding (padding rows, which the loader accepts): a sampled
 * padding id has no text and generation goes on. It failed with "cannot read a token's text"
 * (found while setting up CI's valgrind stage on a gen_model --tokenizer model). The text is
 * held to a loop of sm_eval and a twin sampler, which must draw a padding id at least once. */
START_TEST(test_padding_ids_have_no_text)
{
    sm_tm_spec spec;
    sm_tm_spec_default(&spec, SM_REF_LLAMA);
    spec.tokenizer = 1; /* 309 tokens over 512 embedding rows */
    sm_tm_model *tm = NULL;
    char err[256];
    ck_assert_msg(sm_tm_build(&spec, &tm, err, sizeof err) == 0, "%s", err);
    uint8_t *bytes = NULL;
    size_t size = 0;
    ck_assert_int_eq(sm_tm_gguf_bytes(tm, &bytes, &size), 0);
    sm_tm_free(tm);
    sm_model *m = NULL;
    ck_assert_int_eq(sm_model_load_buffer(bytes, size, NULL, &m), SM_OK);
    free(bytes);
    const int32_t n_tokens = (int32_t)sm_tm_vocab_size(SM_REF_LLAMA), eos = sm_model_token_eos(m);
    ck_assert_int_lt(n_tokens, sm_model_n_vocab(m));

    sm_context *c = make_ctx(m, 1, 0);
    sm_sampler *smp = make_sampler(m, 1.0f, 7), *twin = make_sampler(m, 1.0f, 7);
    int32_t p[64];
    int n = tokenize(m, "the end", p, 64);
    sink s = {0};
    sm_generate_result r;
    ck_assert_int_eq(generate(c, smp, p, n, 24, NULL, 0, &s, &r), SM_OK);

    char want[MAX_TEXT];
    size_t want_len = 0;
    int n_gen = 0, n_padding = 0;
    sm_context_reset(c);
    ck_assert_int_eq(sm_eval(c, p, n), SM_OK);
    for (int i = 0; i < n; i++)
        sm_sampler_accept(twin, p[i]);
    for (; n_gen < 24; n_gen++) {
        int32_t t;
        ck_assert_int_eq(sm_sample(twin, sm_get_logits(c, -1), sm_model_n_vocab(m), &t), SM_OK);
        sm_sampler_accept(twin, t);
        if (t == eos)
            break;
        size_t nb = 0;
        if (t >= n_tokens) {
            n_padding++;
        } else {
            ck_assert_int_eq(sm_token_to_piece(m, t, want + want_len, sizeof want - want_len, &nb),
                             SM_OK);
            want_len += nb;
        }
        ck_assert_int_eq(sm_eval(c, &t, 1), SM_OK);
    }
    ck_assert_int_gt(n_padding, 0);
    ck_assert_int_eq(r.n_generated, n_gen);
    ck_assert_uint_eq(s.len, want_len);
    ck_assert_mem_eq(s.text, want, want_len);
    sm_sampler_free(twin);
    sm_sampler_free(smp);
    sm_context_free(c);
    sm_model_free(m);
}
END_TEST

static Suite *generate_suite(void)
{
    Suite *s = suite_create("generate");
    TCase *tc = tcase_create("generate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_greedy_equals_manual_loop);
    tcase_add_test(tc, test_stop_sequence_spanning_tokens);
    tcase_add_test(tc, test_context_full);
    tcase_add_test(tc, test_limits_and_cancel);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_seed_and_threads);
    tcase_add_test(tc, test_decode_allocates_nothing);
    tcase_add_test(tc, test_eos_ends_generation);
    tcase_add_test(tc, test_padding_ids_have_no_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(generate_suite());
}
