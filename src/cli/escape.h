/* SPDX-License-Identifier: MIT */
/* escape.h: the backslash escapes sm-run processes in --prompt and --stop, as llama.cpp's
 * --escape does by default, so that "--stop '\n'" means a newline. */
#ifndef SM_CLI_ESCAPE_H
#define SM_CLI_ESCAPE_H

#include <stddef.h>

/* Rewrites @p s in place: \n \t \r \a \b \f \v \\ \' \" \? and \xHH (one or two hex digits)
 * become the bytes they name; any other backslash sequence is kept as it is. Returns the new
 * length (the text may now hold NUL bytes, from \x00); s[length] is NUL. */
size_t sm_cli_unescape(char *s);

#endif /* SM_CLI_ESCAPE_H */
