/* SPDX-License-Identifier: MIT */
/* gen_model.c: writes a seeded random LLaMA or GPT-2 GGUF of any size and weight type (see
 * tiny_model.h), for benchmarks and manual runs: gen_model --arch llama --type q8_0 --embd 768
 * --layers 12 --ff 2048 --vocab 32000 -o model.gguf */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ref_quant.h"
#include "tiny_model.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gen_model [options] -o FILE\n"
            "  --arch llama|gpt2     architecture (llama)\n"
            "  --type T              weight matrices: f32 f16 q8_0 q4_0 q4_K q6_K (f32)\n"
            "  --embd-type T         token embedding type (f32)\n"
            "  --embd N  --layers N  --heads N  --kv-heads N  --ff N  --vocab N  --ctx N\n"
            "                        sizes (the test fixtures' 64, 2, 4, 2 (gpt2: 4), 192 (gpt2:\n"
            "                        256), 512, 128); --heads without --kv-heads: no grouping\n"
            "  --tied                llama: no output.weight (gpt2 is always tied)\n"
            "  --tokenizer           a tokenizer too (llama: SentencePiece, 309 tokens; gpt2:\n"
            "                        byte-level BPE, 283 tokens; see tiny_model.h)\n"
            "  --rope-base F  --eps F  --std F  --seed N\n");
}

static int parse_long(const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "gen_model: %s wants an integer in [%ld, %ld], got '%s'\n", opt, min, max,
                s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (errno || end == s || *end || !(v >= 0.0f)) {
        fprintf(stderr, "gen_model: %s wants a non-negative number, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_type(const char *opt, const char *s, uint32_t *out)
{
    int t = sm_rq_type_from_name(s);
    if (t < 0) {
        fprintf(stderr, "gen_model: %s: unknown type '%s' (f32 f16 q8_0 q4_0 q4_K q6_K)\n", opt, s);
        return -1;
    }
    *out = (uint32_t)t;
    return 0;
}

int main(int argc, char **argv)
{
    sm_tm_spec s;
    const char *out = NULL;
    /* Sizes given explicitly survive a later --arch (which resets the defaults). */
    int arch_gpt2 = 0, heads_given = 0, kv_given = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--arch") && i + 1 < argc)
            arch_gpt2 = !strcmp(argv[i + 1], "gpt2");
    sm_tm_spec_default(&s, arch_gpt2 ? SM_REF_GPT2 : SM_REF_LLAMA);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--tied")) {
            s.tied = 1;
            continue;
        }
        if (!strcmp(a, "--tokenizer")) {
            s.tokenizer = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gen_model: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        long n = 0;
        int rc = 0;
        if (!strcmp(a, "-o")) {
            out = v;
        } else if (!strcmp(a, "--arch")) {
            if (strcmp(v, "llama") && strcmp(v, "gpt2")) {
                fprintf(stderr, "gen_model: --arch is llama or gpt2, got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--type")) {
            rc = parse_type(a, v, &s.wtype);
        } else if (!strcmp(a, "--embd-type")) {
            rc = parse_type(a, v, &s.embd_type);
        } else if (!strcmp(a, "--rope-base")) {
            rc = parse_float(a, v, &s.rope_base);
        } else if (!strcmp(a, "--eps")) {
            rc = parse_float(a, v, &s.norm_eps);
        } else if (!strcmp(a, "--std")) {
            rc = parse_float(a, v, &s.w_std);
        } else if (!strcmp(a, "--seed")) {
            rc = parse_long(a, v, 0, LONG_MAX, &n);
            s.seed = (uint64_t)n;
        } else {
            static const char *const names[] = {"--embd", "--layers", "--heads", "--kv-heads",
                                                "--ff",   "--vocab",  "--ctx"};
            int *fields[] = {&s.n_embd, &s.n_layer, &s.n_head, &s.n_head_kv,
                             &s.n_ff,   &s.n_vocab, &s.n_ctx};
            size_t k = 0;
            while (k < sizeof names / sizeof names[0] && strcmp(a, names[k]))
                k++;
            if (k == sizeof names / sizeof names[0]) {
                fprintf(stderr, "gen_model: unknown option '%s'\n", a);
                usage(stderr);
                return 2;
            }
            rc = parse_long(a, v, k == 1 ? 0 : 1, 1L << 24, &n);
            *fields[k] = (int)n;
            heads_given |= k == 2;
            kv_given |= k == 3;
        }
        if (rc)
            return 2;
    }
    if (heads_given && !kv_given)
        s.n_head_kv = s.n_head; /* no grouping unless asked for */
    if (!out) {
        fprintf(stderr, "gen_model: no output file (-o FILE)\n");
        usage(stderr);
        return 2;
    }
    char err[256];
    if (sm_tm_spec_check(&s, err, sizeof err)) {
        fprintf(stderr, "gen_model: %s\n", err);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (sm_tm_write_file(&s, out, err, sizeof err)) {
        fprintf(stderr, "gen_model: %s\n", err);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "gen_model: wrote %s (%s, %llu parameters, %s weights, seed %llu) in %.2f s\n",
            out, arch_gpt2 ? "gpt2" : "llama", (unsigned long long)sm_tm_n_params(&s),
            sm_rq_type_name(s.wtype), (unsigned long long)s.seed,
            (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    return 0;
}
