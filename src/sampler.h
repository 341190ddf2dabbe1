/* SPDX-License-Identifier: MIT */
/* sampler.h: the sampler's candidate filter (steps 1-5 of sm_sample), exposed for its tests. */
#ifndef SM_SAMPLER_H
#define SM_SAMPLER_H

#include "smallmind.h"

/* One candidate: a token and its logit after the repetition penalty. */
typedef struct sm_sampler_cand {
    float logit;
    int32_t id;
} sm_sampler_cand;

/* Runs the repetition penalty, greedy choice, top-k, top-p and min-p of sm_sample on @p logits
 * and points *cands at the *n_cands candidates left (one when greedy), in the sampler's scratch:
 * valid until the next call on the sampler. The order is by descending logit (lower id first)
 * when top-k or top-p had to sort, else by id. Draws nothing from the generator. Returns what
 * sm_sample would (SM_E_INVAL, SM_E_RANGE) before its draw. */
sm_status sm_sampler_filter(sm_sampler *s, const float *logits, int n_vocab,
                            const sm_sampler_cand **cands, int *n_cands);

#endif /* SM_SAMPLER_H */
