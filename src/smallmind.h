/* SPDX-License-Identifier: MIT */
/**
 * @file smallmind.h
 * The public C API of libsmallmind, and its only installed header (with sm_version.h).
 *
 * Conventions that hold for every call declared here (libsmallmind(3) has the long form):
 * - Every fallible call returns an sm_status: SM_OK (0) on success, a negative SM_E_* on failure.
 * - Out-parameters are written only on success.
 * - The library never prints, exits or aborts on bad input; details go to the log callback.
 * - Strings returned as `const char *` without a documented owner are static: valid for the
 *   life of the process, never to be freed.
 */
#ifndef SMALLMIND_H
#define SMALLMIND_H

#include <stddef.h>
#include <stdint.h>

#include "sm_version.h"

/* SM_API marks the exported ABI. The library is compiled with -fvisibility=hidden, so anything
 * without it stays internal even when it has external linkage; tests/exports.txt pins the list. */
#if defined(SM_API)
#error "SM_API must not be predefined: smallmind.h defines it"
#elif defined(__GNUC__) || defined(__clang__)
#define SM_API __attribute__((visibility("default")))
#else
#define SM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------------------------ */

/**
 * The single list of status codes: X(name, value, message).
 *
 * It generates the sm_status enum here and sm_strerror() and sm_status_name() in status.c, so
 * the three cannot drift apart. Values are ABI: codes are only ever appended, never renumbered.
 * Names are written out in full (no token pasting), so grep finds every use.
 */
#define SM_STATUS_MAP(X)                                                                           \
    X(SM_OK, 0, "success")                                                                         \
    X(SM_E_INVAL, -1, "invalid argument")                                                          \
    X(SM_E_NOMEM, -2, "out of memory")                                                             \
    X(SM_E_IO, -3, "input/output error")                                                           \
    X(SM_E_FORMAT, -4, "malformed input (model file or topology description)")                     \
    X(SM_E_UNSUPPORTED, -5, "unsupported model architecture or tensor type")                       \
    X(SM_E_RANGE, -6, "value out of range (context full, bad token id or buffer too small)")       \
    X(SM_E_STATE, -7, "call not valid in the object's current state")                              \
    X(SM_E_SYS, -8, "operating system call failed (threads, affinity, mmap)")                      \
    X(SM_E_BUSY, -9, "resource busy")                                                              \
    X(SM_E_NOT_FOUND, -10, "no such key, tensor or name")

#define SM_STATUS_ENUM_ENTRY(name, value, message) name = (value),
/** A status code: 0 is success, every error is negative. See SM_STATUS_MAP. */
typedef enum sm_status { SM_STATUS_MAP(SM_STATUS_ENUM_ENTRY) } sm_status;
#undef SM_STATUS_ENUM_ENTRY

/**
 * A one-line English description of a status code ("malformed model file").
 *
 * @param status any int; codes outside SM_STATUS_MAP give "unknown status".
 * @return a static string, never NULL.
 * Thread-safe. Since 0.1.0.
 */
SM_API const char *sm_strerror(int status);

/**
 * The symbolic name of a status code ("SM_E_FORMAT").
 *
 * @param status any int; codes outside SM_STATUS_MAP give "unknown status".
 * @return a static string, never NULL.
 * Thread-safe. Since 0.1.0.
 */
SM_API const char *sm_status_name(int status);

/* ---------------------------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------------------------ */

/**
 * The version of the library actually loaded, as SM_VERSION_HEX encodes it:
 * (major << 16) | (minor << 8) | patch. Compare it with SM_VERSION_HEX from the header the
 * program was compiled against to detect a mismatched shared library.
 * Thread-safe. Since 0.1.0.
 */
SM_API unsigned sm_version(void);

/**
 * The version of the library actually loaded, as "MAJOR.MINOR.PATCH".
 * @return a static string, never NULL. Thread-safe. Since 0.1.0.
 */
SM_API const char *sm_version_string(void);

/**
 * The kernel set evaluation uses: "avx512", "avx2" or "ref" (scalar), the best the CPU and OS
 * support unless SM_KERNELS=ref|avx2|avx512 chose another. Probed once, on first use. Static
 * string. Since 0.1.0.
 */
SM_API const char *sm_kernels_isa(void);

/* ---------------------------------------------------------------------------------------------
 * Logging
 * ------------------------------------------------------------------------------------------ */

/** Severity of a log message; lower is more severe. */
typedef enum sm_log_level {
    SM_LOG_ERROR = 0, /**< an operation failed; the call returns an error status */
    SM_LOG_WARN = 1,  /**< the library degraded and went on (e.g. thread pinning refused) */
    SM_LOG_INFO = 2,  /**< one-off facts worth showing with -v (placement plan, kernel ISA) */
    SM_LOG_DEBUG = 3  /**< detail for developers */
} sm_log_level;

/**
 * A log sink.
 *
 * @param user_data the pointer given to sm_set_log.
 * @param level     the message's severity.
 * @param message   one line without a trailing newline, borrowed for the duration of the call
 *                  only. Messages longer than 1023 bytes are cut and end in "...".
 *
 * Called from whichever thread logs, possibly several at once: the sink must be thread-safe.
 * It must not call sm_set_log.
 */
typedef void (*sm_log_fn)(void *user_data, sm_log_level level, const char *message);

/**
 * Route the library's log messages to @p fn, or silence them with NULL (the default: the
 * library never writes to stdout or stderr by itself).
 *
 * @param fn        the sink, or NULL for silence.
 * @param user_data passed to every call of @p fn; borrowed until the next sm_set_log.
 *
 * Thread-safe: the pair (fn, user_data) is replaced atomically. A message being delivered on
 * another thread at the moment of the call may still reach the previous sink. Since 0.1.0.
 */
SM_API void sm_set_log(sm_log_fn fn, void *user_data);

/* ---------------------------------------------------------------------------------------------
 * Scheduler
 * ------------------------------------------------------------------------------------------ */

/**
 * A pool of worker threads, one per core, that runs the library's parallel regions by work
 * stealing (one Chase-Lev deque per worker, NUMA-local victims first).
 *
 * Threading contract: a sched may serve several contexts; their parallel regions are
 * serialized. The thread that calls sm_sched_create becomes worker 0: it is bound to worker 0's
 * PU until sm_sched_free, which restores its previous binding, and it runs its share of every
 * region it starts. Regions started from other threads are correct but run unpinned.
 */
typedef struct sm_sched sm_sched;

/** How workers are laid over NUMA nodes when fewer workers than cores are asked for. */
typedef enum sm_placement {
    SM_PLACEMENT_COMPACT = 0, /**< fill a node's cores, then the next node's */
    SM_PLACEMENT_SPREAD = 1   /**< round-robin over nodes: more memory bandwidth, more remote */
} sm_placement;

/** Whether each worker is bound to its PU. */
typedef enum sm_pinning {
    SM_PINNING_OFF = 0,   /**< let the OS place threads */
    SM_PINNING_ON = 1,    /**< bind; if the OS refuses, log one warning and run unpinned */
    SM_PINNING_STRICT = 2 /**< bind; if the OS refuses, sm_sched_create fails with SM_E_SYS */
} sm_pinning;

/** Where the topology that the placement plan is computed from comes from. */
typedef enum sm_topology_source {
    SM_TOPOLOGY_SYSTEM = 0,    /**< this machine, restricted to the process's allowed CPUs */
    SM_TOPOLOGY_SYNTHETIC = 1, /**< an hwloc synthetic description, e.g. "pack:2 [numa] core:8" */
    SM_TOPOLOGY_XML = 2        /**< an hwloc XML file (from `lstopo machine.xml`) */
} sm_topology_source;

/**
 * Parameters of sm_sched_create. Fill with sm_sched_params_init, then change fields; new fields
 * are only ever appended.
 */
typedef struct sm_sched_params {
    int n_threads;                      /**< workers; 0 = one per physical core allowed */
    sm_placement placement;             /**< default SM_PLACEMENT_COMPACT */
    sm_pinning pinning;                 /**< default SM_PINNING_ON */
    int spin_us;                        /**< idle spin before sleeping, in us; < 0 = default */
    sm_topology_source topology_source; /**< default SM_TOPOLOGY_SYSTEM */
    const char *topology;               /**< description or XML path; borrowed during create */
    int use_smt;                        /**< nonzero: SMT siblings may host workers too */
    size_t scratch_bytes; /**< capacity of each worker's scratch arena; 0 = default (since 0.1.0) */
} sm_sched_params;

/** The default idle spin, in microseconds: longer than the serial gaps between the regions
 * of one decoded token (sampling, bookkeeping), short enough that an idle pool stops using
 * CPU within a few milliseconds. */
#define SM_SCHED_DEFAULT_SPIN_US 3000

/** The default capacity of each worker's scratch arena: 64 MiB. It is a ceiling, not an
 * up-front allocation: each worker takes SM_SCHED_SCRATCH_FIRST_BYTES at start-up and more,
 * doubling, only when an evaluation needs it. */
#define SM_SCHED_DEFAULT_SCRATCH_BYTES ((size_t)64 << 20)

/** What each worker's scratch arena takes at start-up (or the capacity, if smaller): 256 KiB. */
#define SM_SCHED_SCRATCH_FIRST_BYTES ((size_t)256 << 10)

/**
 * Sets @p params to the defaults: one worker per core, compact, pinned, default spin, this
 * machine's topology. Since 0.1.0.
 */
SM_API void sm_sched_params_init(sm_sched_params *params);

/**
 * Creates a scheduler: loads the topology, computes the placement plan, starts the workers
 * and (unless pinning is off) binds each to its PU.
 *
 * @param params NULL for the defaults.
 * @param out    receives the scheduler on success.
 * @return SM_OK; SM_E_INVAL for a bad field (the log names it); SM_E_IO for an unreadable
 *         XML file; SM_E_FORMAT for a synthetic description or XML hwloc rejects;
 *         SM_E_SYS when threads cannot be started or, with SM_PINNING_STRICT, bound, or
 *         when the allocator refuses a per-node arena; SM_E_NOMEM (also when a worker's
 *         first scratch slab cannot be had).
 * Since 0.1.0.
 */
SM_API sm_status sm_sched_create(const sm_sched_params *params, sm_sched **out);

/** Stops and joins the workers and frees @p sched. NULL is a no-op. Must not be called from
 * inside a parallel region. Since 0.1.0. */
SM_API void sm_sched_free(sm_sched *sched);

/** The number of workers, the calling thread (worker 0) included. Since 0.1.0. */
SM_API int sm_sched_n_workers(const sm_sched *sched);

/** Where one worker runs and whom it steals from first. */
typedef struct sm_worker_info {
    int pu;              /**< OS index of the PU it is bound to (P# in lstopo) */
    int core;            /**< logical index of its core (L# in lstopo) */
    int l3;              /**< logical index of its L3 cache, -1 if the topology has none */
    int node;            /**< logical index of its NUMA node */
    int n_victims;       /**< length of its full victim order (all other workers) */
    int n_local_victims; /**< how many of them share its NUMA node; they come first */
    int victims[8];      /**< the first min(8, n_victims) workers of its victim order */
} sm_worker_info;

/**
 * The placement of worker @p worker (0 <= worker < sm_sched_n_workers).
 * @return SM_OK, or SM_E_RANGE for a bad index. Since 0.1.0.
 */
SM_API sm_status sm_sched_worker_info(const sm_sched *sched, int worker, sm_worker_info *out);

/**
 * A one-line summary of the topology the plan was made for, e.g.
 * "1 package, 1 NUMA node, 1 L3, 2 cores, 2 PUs (system, 2 allowed)".
 * @return a string owned by @p sched, valid until sm_sched_free. Since 0.1.0.
 */
SM_API const char *sm_sched_topology_string(const sm_sched *sched);

/** Per-worker counters, cumulative since sm_sched_create. */
typedef struct sm_worker_stats {
    uint64_t tasks_run;     /**< tasks and range chunks this worker executed */
    uint64_t steals_local;  /**< successful steals from a worker on its own NUMA node */
    uint64_t steals_remote; /**< successful steals from another node */
    uint64_t steals_failed; /**< steal attempts that found the victim empty or lost a race */
    uint64_t sleeps;        /**< times it gave up spinning and slept */
    uint64_t busy_ns;       /**< time spent running tasks; 0 unless built --enable-stats */
} sm_worker_stats;

/**
 * Reads worker @p worker's counters. The values are read while workers may run, so each is
 * exact but they may be from slightly different instants.
 * @return SM_OK, or SM_E_RANGE for a bad index. Since 0.1.0.
 */
SM_API sm_status sm_sched_stats(const sm_sched *sched, int worker, sm_worker_stats *out);

/** Memory use of one worker: its scratch arena, and its thread's heap traffic. */
typedef struct sm_alloc_stats {
    uint64_t scratch_used_bytes;       /**< bytes of scratch in use now (0 between regions) */
    uint64_t scratch_high_water_bytes; /**< the most scratch in use at once, since create */
    uint64_t scratch_capacity_bytes;   /**< the scratch arena's ceiling (scratch_bytes) */
    uint64_t scratch_slab_bytes;       /**< bytes the scratch arena holds (taken, never shrunk) */
    uint64_t scratch_grows;            /**< slabs it took after start-up: heap allocations */
    uint64_t heap_allocated_bytes;     /**< cumulative bytes allocated by the worker's thread */
    uint64_t heap_deallocated_bytes;   /**< cumulative bytes it freed */
    int heap_counted; /**< 1 when heap_* are measured (jemalloc's per-thread counters); 0 in a
                           build with --with-arena-backend=malloc, where they stay 0 */
} sm_alloc_stats;

/**
 * Reads worker @p worker's memory use. The heap counters cover every allocation the worker's
 * thread makes (the library's and, through the process-wide malloc, anyone's), so the
 * difference across a region is what that region allocated on that worker: 0 once scratch
 * has grown to size. Worker 0's thread is the one that called sm_sched_create, which must
 * still be running. Call between parallel regions: values read during one may be stale.
 * @return SM_OK, SM_E_INVAL (NULL argument) or SM_E_RANGE (bad index). Since 0.1.0.
 */
SM_API sm_status sm_sched_alloc_stats(const sm_sched *sched, int worker, sm_alloc_stats *out);

/* ---------------------------------------------------------------------------------------------
 * Models
 * ------------------------------------------------------------------------------------------ */

/**
 * A loaded model: hyper-parameters, weights (views into the file's read-only map, or a copy
 * with use_mmap = 0) and metadata. Immutable after load: any number of contexts and threads may
 * use one model at once. A context holds a reference, so sm_model_free may come before the
 * last sm_context_free: the memory goes when the last user is gone.
 */
typedef struct sm_model sm_model;

/** Parameters of sm_model_load. Fill with sm_model_params_init; fields are only appended. */
typedef struct sm_model_params {
    int use_mmap;  /**< 1 (default): map the file read-only; 0: read it into memory */
    int use_mlock; /**< 1: lock the weights in RAM (a refusal is a warning); default 0 */
    char *errbuf;  /**< when not NULL, receives the reason a load failed (file, key or tensor,
                        bad value), NUL-terminated and cut to errbuf_len bytes */
    size_t errbuf_len;
} sm_model_params;

/** Sets @p params to the defaults: mmap on, mlock off, no error buffer. Since 0.1.0. */
SM_API void sm_model_params_init(sm_model_params *params);

/**
 * Loads a GGUF model (version 2 or 3) of architecture "llama" or "gpt2".
 *
 * Everything in the file is validated before the call returns: the container (counts,
 * lengths, types, alignment, offsets), the hyper-parameters, and every tensor's type and shape
 * against them. Nothing read from the file is trusted later. In particular every tensor must
 * lie inside the file's size at load: a file truncated before the load is SM_E_FORMAT, naming
 * the tensor whose bytes are missing. A file truncated (or rewritten) while a model mapped
 * from it (use_mmap = 1) is in use is outside that check: reading a page past the new end
 * raises SIGBUS, as with any mmap. Load with use_mmap = 0 (sm-run --no-mmap) when the file may
 * change: the bytes are then copied at load.
 *
 * @param path   the file.
 * @param params NULL for the defaults.
 * @param out    receives the model on success.
 * @return SM_OK; SM_E_IO (cannot open or read the file); SM_E_FORMAT (a malformed file: the
 *         message names the key or tensor and the bad value); SM_E_UNSUPPORTED (an
 *         architecture, tensor type or feature this version cannot run); SM_E_NOMEM;
 *         SM_E_SYS (mmap refused); SM_E_INVAL (NULL path or out).
 * Since 0.1.0.
 */
SM_API sm_status sm_model_load(const char *path, const sm_model_params *params, sm_model **out);

/**
 * Loads a GGUF model from @p size bytes in memory, with the checks of sm_model_load. The bytes
 * are copied (to 64-byte aligned memory owned by the model), so the caller may free them as
 * soon as the call returns; use_mmap is ignored, use_mlock locks the copy. Messages name the
 * model "<memory>".
 * @return as sm_model_load, with SM_E_INVAL for NULL data or out, and SM_E_IO for size 0.
 * Since 0.1.0.
 */
SM_API sm_status sm_model_load_buffer(const void *data, size_t size, const sm_model_params *params,
                                      sm_model **out);

/** Releases the caller's reference; the model is freed with the last context using it. NULL
 * is a no-op. Since 0.1.0. */
SM_API void sm_model_free(sm_model *model);

/** The architecture, "llama" or "gpt2" (owned by the model). Since 0.1.0. */
SM_API const char *sm_model_arch(const sm_model *model);
/** The number of tokens in the vocabulary (rows of the embedding). Since 0.1.0. */
SM_API int sm_model_n_vocab(const sm_model *model);
/** The context length the model was trained with. Since 0.1.0. */
SM_API int sm_model_n_ctx_train(const sm_model *model);
/** The embedding width. Since 0.1.0. */
SM_API int sm_model_n_embd(const sm_model *model);
/** The number of transformer blocks. Since 0.1.0. */
SM_API int sm_model_n_layer(const sm_model *model);
/** The number of query heads. Since 0.1.0. */
SM_API int sm_model_n_head(const sm_model *model);
/** The number of key/value heads (< n_head for grouped-query attention). Since 0.1.0. */
SM_API int sm_model_n_head_kv(const sm_model *model);
/** The number of parameters (elements of every tensor). Since 0.1.0. */
SM_API uint64_t sm_model_n_params(const sm_model *model);
/** The bytes the tensors take in the file. Since 0.1.0. */
SM_API uint64_t sm_model_size_bytes(const sm_model *model);
/** The name of the type most weight-matrix elements are stored in ("F32", "F16", "Q8_0",
 * "Q4_0", "Q4_K", "Q6_K"; owned by the library). Since 0.1.0. */
SM_API const char *sm_model_weight_type(const sm_model *model);

/**
 * A metadata value as text: strings as they are, numbers in decimal, booleans as "true" or
 * "false", arrays as "[N TYPE]" (e.g. "[32000 string]").
 *
 * @param buf  receives the text, NUL-terminated, cut to @p buf_len bytes (may be NULL when
 *             buf_len is 0, to learn the length).
 * @return the full length of the text (as snprintf: a result >= buf_len means it was cut), or
 *         SM_E_NOT_FOUND when the key is absent, SM_E_INVAL for a NULL model or key.
 * Since 0.1.0.
 */
SM_API int sm_model_meta_str(const sm_model *model, const char *key, char *buf, size_t buf_len);

/* ---------------------------------------------------------------------------------------------
 * Tokenizer (the model's own, from its GGUF file)
 * ------------------------------------------------------------------------------------------ */

/**
 * Turns text into token ids with the model's tokenizer (GPT-2 byte-level BPE or LLaMA
 * SentencePiece, as tokenizer.ggml.model says).
 *
 * @param text     @p text_len bytes, any content (invalid UTF-8 included; NULs are text).
 * @param add_bos  nonzero: put the BOS token first (see sm_model_add_bos).
 * @param tokens   receives up to @p n_max ids; may be NULL when n_max is 0.
 * @param n_tokens receives the number of ids the text needs, also on SM_E_RANGE.
 * @return SM_OK; SM_E_RANGE when n_max is too small (call again with *n_tokens);
 *         SM_E_UNSUPPORTED when the file has no tokenizer; SM_E_INVAL for NULL arguments.
 * Thread-safe (the model is immutable). Since 0.1.0.
 */
SM_API sm_status sm_tokenize(const sm_model *model, const char *text, size_t text_len, int add_bos,
                             int32_t *tokens, size_t n_max, size_t *n_tokens);

/**
 * The text of one token (bytes, not necessarily valid UTF-8 on its own, not NUL-terminated).
 * @param n_bytes receives the text's length, also on SM_E_RANGE.
 * @return SM_OK; SM_E_RANGE when @p token is outside the vocabulary or the text does not fit in
 *         @p buf_len bytes (nothing past buf_len is written); SM_E_UNSUPPORTED without a
 *         tokenizer. Since 0.1.0.
 */
SM_API sm_status sm_token_to_piece(const sm_model *model, int32_t token, char *buf, size_t buf_len,
                                   size_t *n_bytes);

/** The beginning-of-sequence token, or -1 when the tokenizer has none. Since 0.1.0. */
SM_API int32_t sm_model_token_bos(const sm_model *model);
/** The end-of-sequence token, or -1 when the tokenizer has none. Since 0.1.0. */
SM_API int32_t sm_model_token_eos(const sm_model *model);
/** Whether the tokenizer wants BOS first (tokenizer.ggml.add_bos_token; LLaMA's default 1,
 * GPT-2's 0). Since 0.1.0. */
SM_API int sm_model_add_bos(const sm_model *model);

/* ---------------------------------------------------------------------------------------------
 * Contexts: evaluation state (KV cache, activations, logits) for one sequence
 * ------------------------------------------------------------------------------------------ */

/**
 * One sequence being evaluated over a model: its KV cache, activation buffers and logits.
 * Threading contract: a context is used by one thread at a time. Several contexts may share
 * one model and one sched.
 */
typedef struct sm_context sm_context;

/** The element type of the KV cache. */
typedef enum sm_kv_type {
    SM_KV_F32 = 0, /**< exact; the default */
    SM_KV_F16 = 1  /**< half the memory; keys and values rounded to fp16 */
} sm_kv_type;

/** Where the weights live on a machine with several NUMA nodes (see libsmallmind(3)). With
 * workers on one node every policy is a no-op. */
typedef enum sm_numa_policy {
    SM_NUMA_NONE = 0,       /**< the mapping as it is, pages where they were first read */
    SM_NUMA_INTERLEAVE = 1, /**< the mapping's pages spread over the nodes hosting workers */
    SM_NUMA_REPLICATE = 2   /**< one copy per node hosting workers; each reads its own */
} sm_numa_policy;

/** Parameters of sm_context_create. Fill with sm_context_params_init; fields only appended. */
typedef struct sm_context_params {
    int n_ctx;           /**< positions; 0 = the model's n_ctx_train; at most n_ctx_train */
    int n_batch;         /**< most tokens evaluated per step; longer sm_eval calls are cut into
                              steps. 0 = min(512, n_ctx) */
    sm_kv_type kv_type;  /**< default SM_KV_F32 */
    int logits_all;      /**< 1: keep the logits of every position of a call (which must then be
                              at most n_batch tokens); 0 (default): of the last position only */
    sm_sched *sched;     /**< workers to run on, borrowed (must outlive the context); NULL: the
                              context creates its own with n_threads workers */
    int n_threads;       /**< when sched is NULL: 0 = one per core */
    sm_numa_policy numa; /**< weight placement; default SM_NUMA_NONE. Replicate copies the
                              weights per context (refused with SM_E_NOMEM when a node lacks
                              the free memory) */
    int profile;         /**< 1: count calls, time, bytes and flops per op and layer (see
                              sm_context_profile); 0 (default): no counters, no clock reads.
                              Since 0.1.0 */
} sm_context_params;

/** Sets @p params to the defaults. Since 0.1.0. */
SM_API void sm_context_params_init(sm_context_params *params);

/**
 * Creates a context over @p model, sized once: the KV cache for n_ctx positions and the
 * activations for n_batch tokens come from an arena on worker 0's NUMA node, so evaluation
 * allocates nothing after the first call. Before anything is allocated, the bytes they need
 * (overflow-checked) are compared with the machine's physical memory (sysconf
 * _SC_PHYS_PAGES): a context that cannot fit is refused with SM_E_NOMEM, the log naming the
 * KV cache's size and its factors (layers, positions, KV dims, element size).
 * @return SM_OK; SM_E_INVAL (a bad field: the log names it); SM_E_NOMEM (also a context larger
 *         than physical memory); errors of sm_sched_create when it makes its own sched.
 * Since 0.1.0.
 */
SM_API sm_status sm_context_create(sm_model *model, const sm_context_params *params,
                                   sm_context **out);

/** Frees the context (and its own sched, if it made one) and drops its model reference. NULL
 * is a no-op. Since 0.1.0. */
SM_API void sm_context_free(sm_context *ctx);

/** Empties the KV cache: the next sm_eval starts at position 0. Since 0.1.0. */
SM_API void sm_context_reset(sm_context *ctx);

/** Positions the context holds (n_ctx). Since 0.1.0. */
SM_API int sm_context_n_ctx(const sm_context *ctx);

/** Positions already evaluated (the next token goes to this position). Since 0.1.0. */
SM_API int sm_context_n_past(const sm_context *ctx);

/**
 * Evaluates @p n_tokens tokens at positions n_past .. n_past + n_tokens - 1, appending their
 * keys and values to the cache, and computes logits (of the last token, or of every token
 * with logits_all). The result is bit-identical for any number of threads.
 * @return SM_OK; SM_E_INVAL (NULL tokens, n_tokens < 1); SM_E_RANGE (a token id outside
 *         [0, n_vocab), the context would overflow, or logits_all with more than n_batch
 *         tokens). On error nothing was evaluated and n_past is unchanged; the reason is in
 *         sm_context_errmsg.
 * Since 0.1.0.
 */
SM_API sm_status sm_eval(sm_context *ctx, const int32_t *tokens, int n_tokens);

/**
 * The logits (n_vocab floats) of token @p i of the last sm_eval call: -1 means the last token;
 * other values need logits_all and 0 <= i < that call's n_tokens.
 * @return a pointer owned by the context, valid until the next sm_eval, sm_context_reset or
 *         sm_context_free; NULL when there are no such logits (sm_context_errmsg says why).
 * Since 0.1.0.
 */
SM_API const float *sm_get_logits(sm_context *ctx, int i);

/** The message of the context's last error ("" when the last call succeeded), owned by the
 * context and valid until its next call. Since 0.1.0. */
SM_API const char *sm_context_errmsg(const sm_context *ctx);

/** Memory a context holds: its arenas (the KV cache, activations and logits, sized at create,
 * and the scratch of ops small enough to run on the calling thread). */
typedef struct sm_context_mem {
    uint64_t arena_capacity_bytes;   /**< slab bytes the arenas hold (taken at create) */
    uint64_t arena_used_bytes;       /**< bytes handed out of them now */
    uint64_t arena_high_water_bytes; /**< the most in use at once, since create */
    uint64_t kv_bytes;               /**< of which the KV cache */
    uint64_t weight_copy_bytes;      /**< weight copies made for SM_NUMA_REPLICATE, else 0 */
} sm_context_mem;

/** Reads the context's memory figures. @return SM_OK or SM_E_INVAL (NULL). Since 0.1.0. */
SM_API sm_status sm_context_mem_stats(const sm_context *ctx, sm_context_mem *out);

/**
 * One line of a context's profile: what one kind of op cost in one layer, summed over every
 * evaluation since the context was created or sm_context_profile_reset.
 *
 * The op kinds (@p op, a static string), each what the forward pass runs:
 * - "matmul f32", "matmul f16", "matmul q8_0", "matmul q4_0", "matmul q4_K", "matmul q6_K":
 *   matrix products by weight type, epilogues included (bias, residual add, SwiGLU, GELU run
 *   inside the matmul tiles, while the output is in cache). One call per parallel region and
 *   weight type in it: Q, K and V are one region, as are gate and up; a region mixing weight
 *   types splits its time between them in proportion to their flops. bytes: the weights
 *   (n_out times the row's bytes, per matrix and call; prefill re-reads them from cache per
 *   block of 64 tokens, which is not counted again); flops: 2 n_in n_out per token.
 * - "attention": softmax(Q K^T / sqrt(head_dim)) V over the cache. bytes: the layer's keys and
 *   values up to the last position; flops: 4 head_dim per head, query and position attended.
 * - "norm": RMSNorm (LLaMA) or LayerNorm (GPT-2). bytes: the rows read and written.
 * - "rope": in a block, RoPE on the queries and keys (LLaMA), with an f16 KV cache also the
 *   keys' and values' store into it; outside the blocks, the step's cos/sin table.
 * - "kv store": keys and values rounded into an f16 cache (GPT-2 with SM_KV_F16).
 * - "activation": SwiGLU on its own, only when gate and up weights take different input types
 *   (otherwise it is part of the matmul).
 * - "quantize": a matmul input converted to Q8_0 or Q8_K rows for quantized weights, once per
 *   region and input type.
 * - "embed": the token (and GPT-2 position) embedding rows.
 * - "sched wait": for every op run as a parallel region, the time an average worker spent
 *   not running it: with T the region's wall time on the calling thread, B the time summed
 *   over every worker's ranges and n the workers, the op is given B / n and "sched wait"
 *   T - B / n (the fork, the join and imbalance). Ops small enough to run on the calling
 *   thread add nothing to it. bytes and flops are 0.
 *
 * Times are on the calling thread's monotonic clock, and each moment of an op is counted
 * once (an op's own time plus its wait is its wall time), so the entries sum to at most the
 * wall time of the evaluations; the rest is sm_eval's own bookkeeping.
 */
typedef struct sm_profile_entry {
    const char *op; /**< the op kind, above; static */
    int layer;      /**< block index, or -1 outside the blocks (embedding, final norm, logits) */
    uint64_t calls; /**< calls over every evaluation step */
    uint64_t ns;    /**< time, nanoseconds (see above) */
    uint64_t bytes; /**< bytes the op reads and writes that bound it: bytes / ns = GB/s */
    uint64_t flops; /**< operations, 2 per multiply-add: flops / ns = GFLOP/s; 0 for every op
                         but the matmuls and attention */
} sm_profile_entry;

/**
 * Reads the profile of a context created with @p profile = 1: copies min(cap, total) of its
 * non-empty entries (calls > 0) into @p out, outside the blocks first, then block 0, 1, ...,
 * and within a layer in the order of the list above.
 * @param out may be NULL when @p cap is 0 (to learn the count).
 * @return the number of non-empty entries (at most 14 (n_layer + 1)); 0 when profiling is off
 *         or @p ctx is NULL.
 * The counters are only written by sm_eval, on the thread that calls it. Since 0.1.0.
 */
SM_API size_t sm_context_profile(const sm_context *ctx, sm_profile_entry *out, size_t cap);

/** Zeroes a context's profile (sm_context_reset leaves it). A no-op when profiling is off or
 * @p ctx is NULL. Since 0.1.0. */
SM_API void sm_context_profile_reset(sm_context *ctx);

/* ---------------------------------------------------------------------------------------------
 * Samplers: logits in, one token id out
 * ------------------------------------------------------------------------------------------ */

/**
 * Picks the next token from a row of logits. The steps, in this order (llama.cpp's default
 * order, so its users get the same candidates for the same flags):
 *   1. repetition penalty over the last repeat_last_n accepted tokens: each distinct one has its
 *      logit divided by repeat_penalty when positive, multiplied when negative;
 *   2. temperature <= 0: the highest logit wins (the lowest id among equals), steps 3-6 skipped;
 *   3. top-k: keep the k highest logits (0 = off);
 *   4. top-p: keep the smallest set of the highest probabilities (softmax of what is left) whose
 *      sum reaches top_p (1 = off);
 *   5. min-p: keep the tokens whose probability is at least min_p times the highest (0 = off);
 *   6. temperature: softmax of logit / temperature over the candidates left, then one draw from
 *      the sampler's own seeded generator.
 * Ties are broken by the lower token id, so the result depends only on the logits, the
 * history, the parameters and the seed: the same for any number of threads.
 * Threading contract: a sampler is used by one thread at a time.
 */
typedef struct sm_sampler sm_sampler;

/** Parameters of sm_sampler_create. Fill with sm_sampler_params_init; fields only appended. */
typedef struct sm_sampler_params {
    uint64_t seed;        /**< the generator's seed (default 0); the same seed repeats a run */
    float temperature;    /**< default 0.8; <= 0 is greedy */
    int top_k;            /**< default 40; 0 = off */
    float top_p;          /**< default 0.95; 1 = off; in (0, 1] */
    float min_p;          /**< default 0.05; 0 = off; in [0, 1] */
    float repeat_penalty; /**< default 1.0 (off); > 0 */
    int repeat_last_n;    /**< tokens of history the penalty looks at; default 64; 0 = off;
                               at most 16777216 */
} sm_sampler_params;

/** Sets @p params to the defaults above. Since 0.1.0. */
SM_API void sm_sampler_params_init(sm_sampler_params *params);

/**
 * Creates a sampler for a vocabulary of @p n_vocab tokens. All its memory is taken here:
 * sampling allocates nothing.
 * @return SM_OK; SM_E_INVAL (NULL out, n_vocab outside [1, 16777216], or a parameter out of its
 *         range: the log names it and the value); SM_E_NOMEM. Since 0.1.0.
 */
SM_API sm_status sm_sampler_create(const sm_sampler_params *params, int n_vocab, sm_sampler **out);

/** Frees the sampler. NULL is a no-op. Since 0.1.0. */
SM_API void sm_sampler_free(sm_sampler *sampler);

/**
 * Samples one token from @p logits (n_vocab floats, read only: the sampler works on its own
 * copy). The token is not added to the history: call sm_sampler_accept for that.
 * @return SM_OK with *token set; SM_E_INVAL (NULL argument, or n_vocab not the sampler's);
 *         SM_E_RANGE when no logit is a number (all NaN). Since 0.1.0.
 */
SM_API sm_status sm_sample(sm_sampler *sampler, const float *logits, int n_vocab, int32_t *token);

/** Appends @p token to the history the repetition penalty looks at (prompt tokens too; ids
 * outside the vocabulary are ignored). Since 0.1.0. */
SM_API void sm_sampler_accept(sm_sampler *sampler, int32_t token);

/** Empties the history and restarts the generator from @p seed. Since 0.1.0. */
SM_API void sm_sampler_reset(sm_sampler *sampler, uint64_t seed);

/* ---------------------------------------------------------------------------------------------
 * Generation: prompt tokens in, text out through a callback
 * ------------------------------------------------------------------------------------------ */

/** Why sm_generate stopped. */
typedef enum sm_stop_reason {
    SM_STOP_LIMIT = 0,    /**< n_predict tokens were generated */
    SM_STOP_EOS = 1,      /**< the model produced its end-of-sequence token (not emitted) */
    SM_STOP_SEQUENCE = 2, /**< a stop sequence appeared (not emitted, nor anything after it) */
    SM_STOP_CTX_FULL = 3, /**< every position of the context is used */
    SM_STOP_CANCELLED = 4 /**< on_piece or should_stop returned nonzero */
} sm_stop_reason;

/**
 * Receives generated text: @p len bytes (not NUL-terminated), whole UTF-8 characters except
 * where the model produced invalid bytes, which are passed through unchanged. The text is
 * valid during the call only. Return 0 to go on, nonzero to stop (SM_STOP_CANCELLED).
 */
typedef int (*sm_piece_fn)(void *user_data, const char *text, size_t len);

/** Parameters of sm_generate. Fill with sm_generate_params_init; fields only appended. */
typedef struct sm_generate_params {
    int n_predict;           /**< most tokens to generate; -1 (default, or any negative
                                  value) = until EOS, a stop sequence or a full context */
    const char *const *stop; /**< n_stop stop sequences (NUL-terminated, non-empty); borrowed */
    int n_stop;              /**< default 0 */
    sm_piece_fn on_piece;    /**< receives the text; may be NULL */
    int (*should_stop)(void *user_data); /**< polled between evaluation steps (also during the
                                   prompt); nonzero cancels. May be NULL */
    void *user_data;                     /**< passed to both callbacks */
} sm_generate_params;

/** Sets @p params to the defaults above. Since 0.1.0. */
SM_API void sm_generate_params_init(sm_generate_params *params);

/** What sm_generate did, with its timings (CLOCK_MONOTONIC, milliseconds). */
typedef struct sm_generate_result {
    int n_prompt;    /**< prompt tokens evaluated */
    int n_generated; /**< tokens sampled (including one that ended a stop sequence;
                          not an EOS token) */
    sm_stop_reason stop_reason;
    double prompt_ms;           /**< evaluating the prompt */
    double first_token_ms;      /**< from the call to the first token sampled */
    double generate_ms;         /**< from the end of the prompt to the end of generation */
    uint64_t n_bytes;           /**< bytes passed to on_piece */
    uint64_t decode_heap_bytes; /**< heap bytes the workers' threads allocated from the first
                                   token sampled to the end (evaluating tokens 2..n_generated,
                                   the callbacks included): 0 when decoding allocates nothing */
    int decode_heap_counted;    /**< 1 when decode_heap_bytes was measured (jemalloc's counters);
                                     0 in a --with-arena-backend=malloc build */
} sm_generate_result;

/**
 * Evaluates @p n_prompt tokens after what the context already holds, then samples and
 * evaluates one token at a time, passing the text of each to on_piece. Text that could be the
 * start of a stop sequence is held back until it is known not to be one, so a stop sequence is
 * found even when it spans several tokens; what is held back at the end is emitted unless it
 * completed a stop sequence. Every prompt token and generated token is given to
 * sm_sampler_accept.
 * @param out  receives the counts and timings; may be NULL. Written also on SM_OK stops
 *             (every stop reason is SM_OK).
 * @return SM_OK; SM_E_INVAL (NULL ctx or sampler, n_prompt < 1, an empty stop sequence, a
 *         sampler for another vocabulary); SM_E_RANGE (the prompt does not fit in the
 *         positions left: nothing is evaluated, sm_context_errmsg gives both numbers); errors of
 *         sm_eval. The reason is in sm_context_errmsg.
 * Since 0.1.0.
 */
SM_API sm_status sm_generate(sm_context *ctx, sm_sampler *sampler, const int32_t *prompt,
                             int n_prompt, const sm_generate_params *params,
                             sm_generate_result *out);

#ifdef __cplusplus
}
#endif

#endif /* SMALLMIND_H */
