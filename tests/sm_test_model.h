/* SPDX-License-Identifier: MIT */
/* sm_test_model.h: loading a model in a test, failing the test with the status and the
 * loader's reason when it does not load. Include config.h first (see sm_test_tmp.h). */
#ifndef SM_TEST_MODEL_H
#define SM_TEST_MODEL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "sm_test_tmp.h"
#include "smallmind.h"

/* Loads the GGUF file @p path with the default parameters. */
static inline sm_model *sm_test_load_model(const char *path)
{
    char err[512] = "";
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    sm_model *m = NULL;
    sm_status st = sm_model_load(path, &mp, &m);
    ck_assert_msg(st == SM_OK, "%s: %s (%s)", path, sm_status_name(st), err);
    return m;
}

/* Writes @p size bytes of GGUF to a temporary file "<prefix>XXXXXX", loads it through the
 * file path (the mmap the runtime uses) and removes the file. */
static inline sm_model *sm_test_load_bytes(const uint8_t *bytes, size_t size, const char *prefix)
{
    char path[512];
    sm_test_make_temp(path, sizeof path, prefix);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
    sm_model *m = sm_test_load_model(path);
    unlink(path);
    return m;
}

#endif /* SM_TEST_MODEL_H */
