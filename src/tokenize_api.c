/* SPDX-License-Identifier: MIT */
/* tokenize_api.c: the public tokenizer calls, over the model's vocabulary (tokenizer.c). */
#include "src/model.h"
#include "src/tokenizer.h"

sm_status sm_tokenize(const sm_model *model, const char *text, size_t text_len, int add_bos,
                      int32_t *tokens, size_t n_max, size_t *n_tokens)
{
    if (!model || (!text && text_len) || (!tokens && n_max) || !n_tokens)
        return SM_E_INVAL;
    if (!model->vocab)
        return SM_E_UNSUPPORTED;
    return sm_vocab_tokenize(model->vocab, text ? text : "", text_len, add_bos, tokens, n_max,
                             n_tokens);
}

sm_status sm_token_to_piece(const sm_model *model, int32_t token, char *buf, size_t buf_len,
                            size_t *n_bytes)
{
    if (!model || (!buf && buf_len) || !n_bytes)
        return SM_E_INVAL;
    if (!model->vocab)
        return SM_E_UNSUPPORTED;
    return sm_vocab_token_to_piece(model->vocab, token, buf, buf_len, n_bytes);
}

int32_t sm_model_token_bos(const sm_model *model)
{
    return model->vocab ? sm_vocab_bos(model->vocab) : -1;
}

int32_t sm_model_token_eos(const sm_model *model)
{
    return model->vocab ? sm_vocab_eos(model->vocab) : -1;
}

int sm_model_add_bos(const sm_model *model)
{
    return model->vocab ? sm_vocab_wants_bos(model->vocab) : 0;
}
