/* SPDX-License-Identifier: MIT */
/* topo.h: loading an hwloc topology (this machine, a synthetic description or an XML file),
 * the process's allowed CPUs, and binding threads. The only sched/ code that asks the OS. */
#ifndef SM_SCHED_TOPO_H
#define SM_SCHED_TOPO_H

#include <hwloc.h>

#include "smallmind.h"

/**
 * Loads a topology. For SM_TOPOLOGY_SYSTEM, @p desc is ignored and the topology is restricted
 * to what the process may use (cgroup cpuset); for SYNTHETIC, @p desc is an hwloc synthetic
 * string; for XML, a file path.
 * @return SM_OK; SM_E_INVAL (NULL desc where one is needed); SM_E_IO (XML file unreadable);
 *         SM_E_FORMAT (hwloc rejected the description or XML); SM_E_SYS (hwloc failed).
 *         A reason naming the source and value goes to @p err.
 */
sm_status sm_topo_load(sm_topology_source source, const char *desc, hwloc_topology_t *out,
                       char *err, size_t err_len);

/**
 * The CPUs this process may run on, as a new bitmap the caller frees with hwloc_bitmap_free:
 * for the system topology, the process's affinity mask intersected with the topology's allowed
 * cpuset (cgroup); for a synthetic or XML topology, that topology's whole allowed cpuset (it
 * describes another machine, whose masks we cannot know). NULL on allocation failure.
 */
hwloc_bitmap_t sm_topo_allowed_cpuset(hwloc_topology_t topo, sm_topology_source source);

/* The number of CPUs the calling process may run on in reality (sched_getaffinity), whatever
 * topology the plan was computed from: the measure of oversubscription. At least 1. */
int sm_topo_online_cpus(void);

/**
 * Binds the calling thread to the PU with OS index @p pu_os. For a synthetic or XML topology
 * hwloc reports success without binding.
 * @return 0, or the errno of the refusal (EPERM in some containers, ENOSYS, EXDEV, EINVAL).
 */
int sm_topo_bind_thread(hwloc_topology_t topo, int pu_os);

/* Saves and restores the calling thread's binding (worker 0 is the caller's thread). The
 * saved bitmap is NULL when the binding could not be read; restore then does nothing.
 * Restore consumes the bitmap: it frees it, whether or not the OS accepted the binding. */
hwloc_bitmap_t sm_topo_save_binding(hwloc_topology_t topo);
void sm_topo_restore_binding(hwloc_topology_t topo, hwloc_bitmap_t saved);

#endif /* SM_SCHED_TOPO_H */
