/* SPDX-License-Identifier: MIT */
/* mapfile.c: a model file's bytes in memory, mapped or read (see mapfile.h). */
#include "config.h"

#include "mapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "log.h"

/* Alignment of the heap copy: a cache line, like the arenas, so tensors aligned in the file
 * (32 bytes by default) stay aligned in memory. */
enum { COPY_ALIGN = 64 };

/* Reads the whole file with pread, resuming after EINTR and short reads. */
static sm_status read_all(int fd, const char *path, size_t size, void **out, char *err,
                          size_t err_len)
{
    void *buf = NULL;
    int rc = posix_memalign(&buf, COPY_ALIGN, size);
    if (rc != 0)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "cannot allocate %zu bytes to read '%s': %s",
                             size, path, strerror(rc));
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, (char *)buf + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            free(buf);
            if (e == 0)
                return sm_errbuf_set(err, err_len, SM_E_IO,
                                     "cannot read '%s': it ended at byte %zu of %zu (changed while "
                                     "reading?)",
                                     path, done, size);
            return sm_errbuf_set(err, err_len, SM_E_IO, "cannot read '%s' at byte %zu: %s", path,
                                 done, strerror(e));
        }
        done += (size_t)n;
    }
    *out = buf;
    return SM_OK;
}

static sm_status map_all(int fd, const char *path, size_t size, void **out, char *err,
                         size_t err_len)
{
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        return sm_errbuf_set(err, err_len, e == ENOMEM ? SM_E_NOMEM : SM_E_SYS,
                             "cannot map '%s' (%zu bytes): %s", path, size, strerror(e));
    }
    /* A hint only: loading touches every page soon, so start reading ahead now. */
    (void)madvise(p, size, MADV_WILLNEED);
    *out = p;
    return SM_OK;
}

/* Locks @p size bytes at @p data in RAM; returns 1 on success. A refusal is only a warning:
 * the bytes stay usable, and most users never raised RLIMIT_MEMLOCK. */
static int lock_bytes(const void *data, size_t size, const char *name)
{
    if (mlock(data, size) == 0)
        return 1;
    sm_log(SM_LOG_WARN,
           "cannot lock '%s' (%zu bytes) in RAM: %s; going on unlocked (raise RLIMIT_MEMLOCK, "
           "e.g. ulimit -l)",
           name, size, strerror(errno));
    return 0;
}

/* Opens and checks that @p path is a non-empty regular file; *size gets its length. */
static sm_status open_regular(const char *path, int *fd_out, size_t *size, char *err,
                              size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sm_errbuf_set(err, err_len, SM_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    sm_status s = SM_OK;
    if (fstat(fd, &st) != 0)
        s = sm_errbuf_set(err, err_len, SM_E_IO, "cannot stat '%s': %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = sm_errbuf_set(err, err_len, SM_E_IO, "'%s' is not a regular file%s", path,
                          S_ISDIR(st.st_mode) ? " (a directory)" : "");
    else if (st.st_size == 0)
        s = sm_errbuf_set(err, err_len, SM_E_IO, "'%s' is empty (0 bytes)", path);
    else if ((uint64_t)st.st_size > SIZE_MAX)
        s = sm_errbuf_set(err, err_len, SM_E_NOMEM, "'%s' (%lld bytes) exceeds the address space",
                          path, (long long)st.st_size);
    if (s != SM_OK) {
        close(fd);
        return s;
    }
    *fd_out = fd;
    *size = (size_t)st.st_size;
    return SM_OK;
}

sm_status sm_mapfile_open(const char *path, int use_mmap, int use_mlock, sm_mapfile *out, char *err,
                          size_t err_len)
{
    if (path == NULL || out == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "sm_mapfile_open: NULL %s",
                             path == NULL ? "path" : "out");
    int fd = -1;
    size_t size = 0;
    sm_status s = open_regular(path, &fd, &size, err, err_len);
    if (s != SM_OK)
        return s;
    void *data = NULL;
    s = use_mmap ? map_all(fd, path, size, &data, err, err_len)
                 : read_all(fd, path, size, &data, err, err_len);
    close(fd); /* a mapping outlives its descriptor */
    if (s != SM_OK)
        return s;
    out->data = data;
    out->size = size;
    out->mapped = use_mmap != 0;
    out->locked = use_mlock ? lock_bytes(data, size, path) : 0;
    return SM_OK;
}

sm_status sm_mapfile_from_buffer(const void *data, size_t size, int use_mlock, const char *name,
                                 sm_mapfile *out, char *err, size_t err_len)
{
    if (data == NULL || out == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "sm_mapfile_from_buffer: NULL %s",
                             data == NULL ? "data" : "out");
    if (size == 0)
        return sm_errbuf_set(err, err_len, SM_E_IO, "%s is empty (0 bytes)", name);
    void *copy = NULL;
    int rc = posix_memalign(&copy, COPY_ALIGN, size);
    if (rc != 0)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "cannot allocate %zu bytes to copy %s: %s",
                             size, name, strerror(rc));
    memcpy(copy, data, size);
    out->data = copy;
    out->size = size;
    out->mapped = 0;
    out->locked = use_mlock ? lock_bytes(copy, size, name) : 0;
    return SM_OK;
}

void sm_mapfile_close(sm_mapfile *m)
{
    if (m == NULL || m->data == NULL) {
        if (m != NULL)
            memset(m, 0, sizeof *m);
        return;
    }
    void *p = (void *)(uintptr_t)m->data; /* ours: allocated or mapped by sm_mapfile_* */
    if (m->locked)
        (void)munlock(p, m->size);
    if (m->mapped)
        (void)munmap(p, m->size);
    else
        free(p);
    memset(m, 0, sizeof *m);
}
