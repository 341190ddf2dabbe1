/* SPDX-License-Identifier: MIT */
/* readfile.h: a whole file into memory, for --file. */
#ifndef SM_CLI_READFILE_H
#define SM_CLI_READFILE_H

#include <stddef.h>

/* Reads all of @p path (any bytes) into a malloc'd buffer with a NUL after the last byte.
 * Returns it with *len set, or NULL after printing "sm-run: PATH: REASON" on stderr (the
 * errno text of the failing call: "No such file or directory", "Is a directory", ...). */
char *sm_cli_read_file(const char *path, size_t *len);

#endif /* SM_CLI_READFILE_H */
