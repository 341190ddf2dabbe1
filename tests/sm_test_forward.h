/* SPDX-License-Identifier: MIT */
/* sm_test_forward.h: checks on a loaded model shared by the forward-pass tests: the logits of a
 * token sequence, and their bit-identity across thread counts, kernel tables and runs. */
#ifndef SM_TEST_FORWARD_H
#define SM_TEST_FORWARD_H

#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "sm_test_region.h"
#include "smallmind.h"
#include "src/context.h"

/* Evaluates tokens[0..n) from an empty cache in one call and copies every position's logits
 * into out[n][n_vocab]. */
static inline void sm_test_eval_all(sm_context *c, const int32_t *tokens, int n, size_t n_vocab,
                                    float *out)
{
    sm_context_reset(c);
    sm_status st = sm_eval(c, tokens, n);
    ck_assert_msg(st == SM_OK, "sm_eval: %s: %s", sm_status_name(st), sm_context_errmsg(c));
    for (int i = 0; i < n; i++) {
        const float *l = sm_get_logits(c, i);
        ck_assert_ptr_nonnull(l);
        memcpy(out + (size_t)i * n_vocab, l, n_vocab * sizeof *l);
    }
}

/* For every kernel table the host has: the logits on 2, 3, 4 and 8 workers (more than this
 * machine's cores: other steal patterns, the same tiles' arithmetic), with every op forced
 * through the scheduler, and a second run on each, are bit-identical to 1 worker's. */
static inline void sm_test_logits_identical_across_threads(sm_model *m, const int32_t *tokens,
                                                           int n, const char *what)
{
    static const int threads[] = {1, 2, 3, 4, 8};
    size_t n_vocab = (size_t)sm_model_n_vocab(m), nl = (size_t)n * n_vocab;
    float *base = malloc(nl * sizeof *base), *got = malloc(nl * sizeof *got);
    ck_assert_ptr_nonnull(base);
    ck_assert_ptr_nonnull(got);
    for (int isa = 0; isa < SM_ISA_COUNT; isa++) {
        const sm_kernels *kt = sm_kernels_table((sm_isa)isa);
        if (!kt)
            continue;
        for (size_t ti = 0; ti < sizeof threads / sizeof threads[0]; ti++) {
            sm_sched *s = sm_test_make_sched(threads[ti], SM_TOPOLOGY_SYSTEM, NULL, 0);
            sm_context_params cp;
            sm_context_params_init(&cp);
            cp.sched = s;
            cp.logits_all = 1;
            sm_context *c = NULL;
            ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_OK);
            sm_context_set_kernels(c, kt);
            sm_context_set_fork_min_work(c, 0);
            for (int run = 0; run < 2; run++) {
                int first = ti == 0 && run == 0;
                sm_test_eval_all(c, tokens, n, n_vocab, first ? base : got);
                if (!first)
                    ck_assert_msg(memcmp(base, got, nl * sizeof *got) == 0,
                                  "%s [%s]: %d threads (run %d) differ from 1 thread", what,
                                  kt->name, threads[ti], run);
            }
            sm_context_free(c);
            sm_sched_free(s);
        }
    }
    free(base);
    free(got);
}

#endif /* SM_TEST_FORWARD_H */
