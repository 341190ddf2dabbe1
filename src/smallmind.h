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
    X(SM_E_FORMAT, -4, "malformed model file")                                                     \
    X(SM_E_UNSUPPORTED, -5, "unsupported model architecture or tensor type")                       \
    X(SM_E_RANGE, -6, "value out of range (context full, bad token id or buffer too small)")       \
    X(SM_E_STATE, -7, "call not valid in the object's current state")                              \
    X(SM_E_SYS, -8, "operating system call failed (threads, affinity, mmap)")                      \
    X(SM_E_BUSY, -9, "resource busy")

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

#ifdef __cplusplus
}
#endif

#endif /* SMALLMIND_H */
