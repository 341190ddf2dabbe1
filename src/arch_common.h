/* SPDX-License-Identifier: MIT */
/* arch_common.h: what the architectures share at load: the core hyper-parameters, the token
 * embedding (which fixes n_vocab) and the output matrix (separate or tied). */
#ifndef SM_ARCH_COMMON_H
#define SM_ARCH_COMMON_H

#include <stddef.h>

#include "src/model.h"

/* Bounds on hyper-parameters read from a file. They are far above any small model and keep
 * every derived size (KV cache, activations) inside size_t and int, so a file cannot make a
 * later multiplication overflow (GGUF-HARDENING.md row 21). */
#define SM_ARCH_MAX_EMBD   65536
#define SM_ARCH_MAX_LAYERS 1024
#define SM_ARCH_MAX_HEADS  1024
#define SM_ARCH_MAX_FF     1048576
#define SM_ARCH_MAX_CTX    16777216
#define SM_ARCH_MAX_VOCAB  16777216

/* Reads context_length, embedding_length, block_count, feed_forward_length and
 * attention.head_count under the architecture's prefix, and checks n_embd % n_head == 0 and
 * that attention.key_length and attention.value_length, when present, equal n_embd / n_head. */
sm_status sm_arch_common_hparams(const sm_load *ld, sm_hparams *hp);

/* Binds token_embd.weight ([n_embd] x n_vocab) and sets hp->n_vocab from it. */
sm_status sm_arch_common_embeddings(const sm_load *ld, sm_model *m);

/* Binds output.weight ([n_embd] x n_vocab), or ties the output to the token embedding when the
 * file has none. */
sm_status sm_arch_common_output(const sm_load *ld, sm_model *m);

/* Writes "blk.<i>.<suffix>" into @p buf and returns it. */
const char *sm_arch_layer_name(char *buf, size_t len, size_t i, const char *suffix);

#endif /* SM_ARCH_COMMON_H */
