/* SPDX-License-Identifier: MIT */
/* textout.h: the text stream of a generation. Pieces go in as tokens are sampled; text comes
 * out once it can no longer be part of a stop sequence or of a UTF-8 character still being
 * spelled, so callers see stop sequences that span tokens and whole characters. */
#ifndef SM_TEXTOUT_H
#define SM_TEXTOUT_H

#include <stddef.h>

#include "smallmind.h"

typedef struct sm_textout {
    const char *const *stop; /* borrowed */
    size_t *stop_len;        /* [n_stop] */
    int n_stop;
    char *buf; /* text not yet emitted */
    size_t len;
    size_t cap;
    sm_piece_fn emit;
    void *user_data;
    unsigned long long n_emitted; /* bytes passed to emit */
    int cancelled;                /* emit returned nonzero; nothing more is emitted */
} sm_textout;

/* Prepares @p t for the @p n_stop stop sequences (borrowed until sm_textout_fini). Takes the
 * memory it needs for the longest one now.
 * @return SM_OK, SM_E_INVAL (a NULL or empty stop sequence, or n_stop < 0; @p err says which),
 *         SM_E_NOMEM. */
sm_status sm_textout_init(sm_textout *t, const char *const *stop, int n_stop, sm_piece_fn emit,
                          void *user_data, char *err, size_t err_len);

void sm_textout_fini(sm_textout *t);

/* Adds @p len bytes. Emits what is now safe to emit.
 * @return 1 when a stop sequence is complete (the text before it was emitted; it and anything
 *         after it are dropped), 0 otherwise, or SM_E_NOMEM. t->cancelled tells whether the
 *         callback asked to stop. */
int sm_textout_push(sm_textout *t, const char *piece, size_t len);

/* Emits everything held back (at the end of a generation that did not end on a stop). */
void sm_textout_flush(sm_textout *t);

#endif /* SM_TEXTOUT_H */
