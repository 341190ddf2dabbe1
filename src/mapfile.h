/* SPDX-License-Identifier: MIT */
/* mapfile.h: a model file's bytes in memory, read-only: a private mmap by default, or a copy
 * read into 64-byte aligned memory (--no-mmap) or copied from a caller's buffer, optionally
 * locked in RAM (--mlock). */
#ifndef SM_MAPFILE_H
#define SM_MAPFILE_H

#include <stddef.h>

#include "smallmind.h"

typedef struct sm_mapfile {
    const void *data; /* size bytes; never written through */
    size_t size;
    int mapped; /* 1: an mmap (MAP_PRIVATE, PROT_READ); 0: a heap copy */
    int locked; /* 1: mlock succeeded on the whole span */
} sm_mapfile;

/**
 * Opens @p path and makes its bytes available at out->data.
 * @param use_mmap nonzero: map it (MAP_PRIVATE, PROT_READ), so the page cache is shared and
 *                 loading costs no copy; zero: read it whole into aligned heap memory.
 * @param use_mlock nonzero: lock the bytes in RAM; a refusal (RLIMIT_MEMLOCK) is logged as a
 *                  warning and the file stays usable, unlocked (out->locked = 0).
 * @return SM_OK; SM_E_IO (cannot open, stat or read; not a regular file; empty), SM_E_NOMEM,
 *         SM_E_SYS (mmap refused). The reason names the path and the errno text.
 */
sm_status sm_mapfile_open(const char *path, int use_mmap, int use_mlock, sm_mapfile *out, char *err,
                          size_t err_len);

/**
 * Copies @p size bytes at @p data into 64-byte aligned heap memory owned by @p out, so the
 * caller's buffer may be freed at once (out->mapped = 0).
 * @param use_mlock as for sm_mapfile_open.
 * @param name      what messages call the bytes (e.g. "<memory>").
 * @return SM_OK; SM_E_INVAL (NULL data or out), SM_E_IO (size 0, as an empty file),
 *         SM_E_NOMEM.
 */
sm_status sm_mapfile_from_buffer(const void *data, size_t size, int use_mlock, const char *name,
                                 sm_mapfile *out, char *err, size_t err_len);

/* Unmaps or frees; zeroes *m. Safe on a zeroed struct. */
void sm_mapfile_close(sm_mapfile *m);

#endif /* SM_MAPFILE_H */
