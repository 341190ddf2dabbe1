/* SPDX-License-Identifier: MIT */
/* gen_seeds.c: writes the fuzzers' seed corpora, so that no model file is committed:
 *   gen_seeds OUTDIR SEEDDIR
 * OUTDIR/fuzz_model_load/   the built-in "small" model and tiny LLaMA and GPT-2 models of each
 *                           weight type, with and without a vocabulary (fuzz_models.h);
 * OUTDIR/fuzz_tokenizer/    texts to encode and token ids to decode, for each model slot, in
 *                           fuzz_tokenizer.c's input format;
 * OUTDIR/fuzz_cli_args/     SEEDDIR/cli_args/NAME.txt with one argument per line, written with
 *                           the arguments NUL-separated as the harness splits them. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/builtin.h"
#include "fuzz_models.h"
#include "ref_quant.h"

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_seeds: cannot create '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_file(const char *dir, const char *name, const void *a, size_t na, const void *b,
                      size_t nb)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(a, 1, na, f) == na && (nb == 0 || fwrite(b, 1, nb, f) == nb);
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "gen_seeds: cannot write '%s': %s\n", path, strerror(errno));
    return ok ? 0 : -1;
}

static int model_seeds(const char *dir)
{
    char err[512] = "";
    uint8_t *b = NULL;
    size_t n = 0;
    if (sm_cli_builtin_gguf(sm_cli_builtin_find("small"), &b, &n, err, sizeof err) != SM_OK) {
        fprintf(stderr, "gen_seeds: the built-in model: %s\n", err);
        return -1;
    }
    int rc = write_file(dir, "builtin-small.gguf", b, n, NULL, 0);
    free(b);
    const struct {
        const char *name;
        sm_ref_arch arch;
        uint32_t wtype;
        int vocab, tied;
    } models[] = {
        {"llama-f32.gguf", SM_REF_LLAMA, SM_RQ_F32, 1, 0},
        {"llama-f16.gguf", SM_REF_LLAMA, SM_RQ_F16, 1, 0},
        {"llama-q8_0.gguf", SM_REF_LLAMA, SM_RQ_Q8_0, 1, 0},
        {"llama-q4_0.gguf", SM_REF_LLAMA, SM_RQ_Q4_0, 1, 0},
        {"llama-q4_K.gguf", SM_REF_LLAMA, SM_RQ_Q4_K, 0, 0},
        {"llama-q6_K.gguf", SM_REF_LLAMA, SM_RQ_Q6_K, 0, 1},
        {"llama-f32-tied-novocab.gguf", SM_REF_LLAMA, SM_RQ_F32, 0, 1},
        {"gpt2-f32.gguf", SM_REF_GPT2, SM_RQ_F32, 1, 1},
        {"gpt2-f16.gguf", SM_REF_GPT2, SM_RQ_F16, 1, 1},
        {"gpt2-q8_0-novocab.gguf", SM_REF_GPT2, SM_RQ_Q8_0, 0, 1},
        {"gpt2-q4_0.gguf", SM_REF_GPT2, SM_RQ_Q4_0, 1, 1},
    };
    for (size_t i = 0; rc == 0 && i < sizeof models / sizeof models[0]; i++) {
        if (sm_fuzz_model_gguf(models[i].arch, models[i].wtype, models[i].vocab, models[i].tied, &b,
                               &n, err, sizeof err) != 0) {
            fprintf(stderr, "gen_seeds: %s: %s\n", models[i].name, err);
            return -1;
        }
        rc = write_file(dir, models[i].name, b, n, NULL, 0);
        free(b);
    }
    return rc;
}

/* Texts for the tokenizers: prose, repeated spaces and newlines, multi-byte characters, the
 * space mark U+2581, invalid UTF-8, a NUL, special-token spellings. */
static const struct {
    const char *text;
    size_t len;
} texts[] = {
#define T(s)                                                                                       \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    T("Hello, world"),
    T("the quick brown fox and the lazy dog of the night, singing"),
    T("  leading spaces\n\nnewlines\ttabs   trailing  "),
    T("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80"),
    T("\xE2\x96\x81 the \xE2\x96\x81\xE2\x96\x81 mark"),
    T("\xFF\xFE\xC3(\xE2\x82 \xED\xA0\x80 \xC0\xAF"),
    T("a\0b\0\0c"),
    T("<0x41><s></s><|endoftext|><unk><|user|>"),
#undef T
};

static int tokenizer_seeds(const char *dir)
{
    sm_model *slots[SM_FUZZ_TOK_SLOTS];
    char err[1024] = "";
    if (sm_fuzz_tok_models(slots, err, sizeof err) != 0) {
        fprintf(stderr, "gen_seeds: the tokenizer models: %s\n", err);
        return -1;
    }
    int rc = 0;
    for (int s = 0; rc == 0 && s < SM_FUZZ_TOK_SLOTS; s++) {
        for (size_t t = 0; rc == 0 && t < sizeof texts / sizeof texts[0]; t++) {
            char name[64];
            /* encode, with BOS on every other text */
            uint8_t head[2] = {(uint8_t)s, (uint8_t)(t % 2 ? 2 : 0)};
            snprintf(name, sizeof name, "slot%d-encode-%zu", s, t);
            rc = write_file(dir, name, head, 2, texts[t].text, texts[t].len);
            /* decode: the ids the text gives, little-endian */
            int32_t ids[256];
            size_t n_ids = 0;
            if (rc == 0 &&
                sm_tokenize(slots[s], texts[t].text, texts[t].len, 1, ids, 256, &n_ids) == SM_OK) {
                uint8_t le[4 * 256];
                for (size_t i = 0; i < n_ids; i++)
                    for (int k = 0; k < 4; k++)
                        le[4 * i + (size_t)k] = (uint8_t)((uint32_t)ids[i] >> (8 * k));
                head[1] = 1;
                snprintf(name, sizeof name, "slot%d-decode-%zu", s, t);
                rc = write_file(dir, name, head, 2, le, 4 * n_ids);
            }
        }
    }
    sm_fuzz_tok_models_free(slots);
    return rc;
}

/* SEEDDIR/cli_args/NAME.txt, one argument per line, to OUTDIR/fuzz_cli_args/NAME with the
 * arguments NUL-separated (no trailing separator). */
static int cli_seeds(const char *out, const char *seeds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cli_args", seeds);
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "gen_seeds: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0, n_files = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char in_path[4096], text[8192];
        snprintf(in_path, sizeof in_path, "%s/%s", path, e->d_name);
        FILE *f = fopen(in_path, "rb");
        size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f == NULL || ferror(f) || !feof(f)) {
            fprintf(stderr, "gen_seeds: cannot read '%s' (or it is over 8 KiB)\n", in_path);
            rc = -1;
        }
        if (f != NULL)
            fclose(f);
        while (n > 0 && text[n - 1] == '\n')
            n--;
        for (size_t i = 0; i < n; i++)
            if (text[i] == '\n')
                text[i] = '\0';
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), e->d_name);
        if (rc == 0)
            rc = write_file(out, name, text, n, NULL, 0);
        n_files++;
    }
    closedir(d);
    if (rc == 0 && n_files == 0) {
        fprintf(stderr, "gen_seeds: no .txt seeds in '%s'\n", path);
        rc = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_seeds OUTDIR SEEDDIR\n");
        return 2;
    }
    char dir[3][4096];
    const char *sub[3] = {"fuzz_model_load", "fuzz_tokenizer", "fuzz_cli_args"};
    if (make_dir(argv[1]) != 0)
        return 1;
    for (int i = 0; i < 3; i++) {
        snprintf(dir[i], sizeof dir[i], "%s/%s", argv[1], sub[i]);
        if (make_dir(dir[i]) != 0)
            return 1;
    }
    if (model_seeds(dir[0]) != 0 || tokenizer_seeds(dir[1]) != 0 || cli_seeds(dir[2], argv[2]) != 0)
        return 1;
    return 0;
}
