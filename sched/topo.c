/* SPDX-License-Identifier: MIT */
/* topo.c: loading hwloc topologies, the process's allowed CPUs, and binding threads to PUs. */
#include "config.h"

#include "errbuf.h"
#include "topo.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* strerror only on error paths of a load: glibc (>= 2.32) returns static strings for every
 * known code, so concurrent loads do not race on a shared buffer. */
static const char *errno_text(int e)
{
    return strerror(e);
}

/* hwloc reports an unreadable XML file and a malformed one the same way; opening the file
 * first lets the caller tell "fix the path" (SM_E_IO) from "fix the file" (SM_E_FORMAT). */
static sm_status check_readable(const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return sm_errbuf_set(err, err_len, SM_E_IO, "topology XML %s: %s", path, errno_text(e));
    }
    struct stat st;
    int rc = fstat(fd, &st);
    int e = errno;
    close(fd);
    if (rc < 0)
        return sm_errbuf_set(err, err_len, SM_E_IO, "topology XML %s: %s", path, errno_text(e));
    if (!S_ISREG(st.st_mode))
        return sm_errbuf_set(err, err_len, SM_E_IO, "topology XML %s: not a regular file", path);
    return SM_OK;
}

static sm_status check_source(sm_topology_source source, const char *desc, hwloc_topology_t *out,
                              char *err, size_t err_len)
{
    if (out == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "sm_topo_load: out is NULL");
    switch (source) {
    case SM_TOPOLOGY_SYSTEM:
        return SM_OK;
    case SM_TOPOLOGY_SYNTHETIC:
        if (desc == NULL)
            return sm_errbuf_set(err, err_len, SM_E_INVAL, "synthetic topology: no description");
        return SM_OK;
    case SM_TOPOLOGY_XML:
        if (desc == NULL)
            return sm_errbuf_set(err, err_len, SM_E_INVAL, "topology XML: no file path");
        return check_readable(desc, err, err_len);
    }
    return sm_errbuf_set(err, err_len, SM_E_INVAL, "topology source %d: unknown", (int)source);
}

sm_status sm_topo_load(sm_topology_source source, const char *desc, hwloc_topology_t *out,
                       char *err, size_t err_len)
{
    if (err != NULL && err_len > 0)
        err[0] = '\0';
    sm_status st = check_source(source, desc, out, err, err_len);
    if (st != SM_OK)
        return st;

    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) < 0) {
        int e = errno;
        return sm_errbuf_set(err, err_len, SM_E_SYS, "hwloc_topology_init: %s", errno_text(e));
    }
    /* SYSTEM keeps hwloc's default flags: without HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED the
     * topology holds only the PUs and nodes of our cgroup, so no plan can name another. */
    if (source == SM_TOPOLOGY_SYNTHETIC && hwloc_topology_set_synthetic(topo, desc) < 0) {
        int e = errno;
        st =
            sm_errbuf_set(err, err_len, SM_E_FORMAT,
                          "synthetic topology \"%s\": rejected by hwloc (%s)", desc, errno_text(e));
        goto fail;
    }
    if (source == SM_TOPOLOGY_XML && hwloc_topology_set_xml(topo, desc) < 0) {
        int e = errno;
        st = sm_errbuf_set(err, err_len, SM_E_FORMAT, "topology XML %s: rejected by hwloc (%s)",
                           desc, errno_text(e));
        goto fail;
    }
    if (hwloc_topology_load(topo) < 0) {
        int e = errno;
        if (source == SM_TOPOLOGY_SYSTEM)
            st = sm_errbuf_set(err, err_len, SM_E_SYS, "system topology: hwloc_topology_load: %s",
                               errno_text(e));
        else
            st = sm_errbuf_set(err, err_len, SM_E_FORMAT, "%s %s: hwloc could not load it (%s)",
                               source == SM_TOPOLOGY_XML ? "topology XML" : "synthetic topology",
                               desc, errno_text(e));
        goto fail;
    }
    *out = topo;
    return SM_OK;
fail:
    hwloc_topology_destroy(topo);
    return st;
}

hwloc_bitmap_t sm_topo_allowed_cpuset(hwloc_topology_t topo, sm_topology_source source)
{
    hwloc_bitmap_t set = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topo));
    if (set == NULL || source != SM_TOPOLOGY_SYSTEM)
        return set;
    hwloc_bitmap_t bound = hwloc_bitmap_alloc();
    if (bound == NULL) {
        hwloc_bitmap_free(set);
        return NULL;
    }
    /* The process's mask (taskset, numactl, a launcher's binding). If hwloc cannot read it,
     * the cgroup's set is still a correct, if less precise, answer. */
    if (hwloc_get_cpubind(topo, bound, HWLOC_CPUBIND_PROCESS) == 0 &&
        hwloc_bitmap_and(set, set, bound) < 0) {
        hwloc_bitmap_free(bound);
        hwloc_bitmap_free(set);
        return NULL;
    }
    hwloc_bitmap_free(bound);
    return set;
}

int sm_topo_online_cpus(void)
{
    /* A fixed cpu_set_t holds 1024 CPUs; larger machines need a bigger mask, or
     * sched_getaffinity fails with EINVAL. */
    for (int n_cpus = 1024; n_cpus <= (1 << 20); n_cpus *= 2) {
        cpu_set_t *set = CPU_ALLOC(n_cpus);
        if (set == NULL)
            break;
        size_t size = CPU_ALLOC_SIZE(n_cpus);
        int rc = sched_getaffinity(0, size, set);
        int e = errno;
        int count = rc == 0 ? CPU_COUNT_S(size, set) : 0;
        CPU_FREE(set);
        if (rc == 0)
            return count > 0 ? count : 1;
        if (e != EINVAL)
            break;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < (1 << 20) ? (int)n : 1;
}

int sm_topo_bind_thread(hwloc_topology_t topo, int pu_os)
{
    if (pu_os < 0)
        return EINVAL;
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topo, (unsigned)pu_os);
    if (pu == NULL || pu->cpuset == NULL)
        return EINVAL;
    hwloc_bitmap_t set = hwloc_bitmap_dup(pu->cpuset);
    if (set == NULL)
        return ENOMEM;
    /* A PU's cpuset is one bit already; singlify keeps the binding to one CPU should a
     * topology ever give a PU more (hwloc-hello does the same). */
    if (hwloc_bitmap_singlify(set) < 0) {
        hwloc_bitmap_free(set);
        return ENOMEM;
    }
    int rc = hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD);
    int e = rc < 0 ? errno : 0;
    hwloc_bitmap_free(set);
    if (rc < 0)
        return e != 0 ? e : EINVAL;
    return 0;
}

hwloc_bitmap_t sm_topo_save_binding(hwloc_topology_t topo)
{
    hwloc_bitmap_t saved = hwloc_bitmap_alloc();
    if (saved == NULL)
        return NULL;
    if (hwloc_get_cpubind(topo, saved, HWLOC_CPUBIND_THREAD) < 0) {
        hwloc_bitmap_free(saved);
        return NULL;
    }
    return saved;
}

void sm_topo_restore_binding(hwloc_topology_t topo, hwloc_bitmap_t saved)
{
    if (saved == NULL)
        return;
    /* Best effort: the binding was readable, so it was ours to set; if the OS now refuses,
     * the thread merely stays on worker 0's PU and the caller has nobody to report it to. */
    (void)hwloc_set_cpubind(topo, saved, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(saved);
}
