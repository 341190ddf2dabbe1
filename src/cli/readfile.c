/* SPDX-License-Identifier: MIT */
/* readfile.c: a whole file into memory, with the reason for a failure named. */
#include "config.h"

#include "cli/readfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sm_cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sm-run: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    errno = 0;
    while (buf) {
        /* one byte kept for the terminator */
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    /* errno right after the failing read: EISDIR for a directory, EIO for a bad disk. */
    int bad = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "sm-run: %s: %s\n", path, !buf ? "out of memory" : strerror(bad));
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
