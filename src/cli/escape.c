/* SPDX-License-Identifier: MIT */
/* escape.c: backslash escapes in command-line text (see escape.h). */
#include "config.h"

#include "cli/escape.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int simple_escape(char c)
{
    static const char from[] = "ntrabfv\\'\"?";
    static const char to[] = "\n\t\r\a\b\f\v\\'\"?";
    const char *p = c ? strchr(from, c) : NULL;
    return p ? (unsigned char)to[p - from] : -1;
}

size_t sm_cli_unescape(char *s)
{
    size_t r = 0, w = 0;
    while (s[r]) {
        if (s[r] != '\\' || !s[r + 1]) {
            s[w++] = s[r++];
            continue;
        }
        int v = simple_escape(s[r + 1]);
        if (v >= 0) {
            s[w++] = (char)v;
            r += 2;
        } else if (s[r + 1] == 'x' && hex_value(s[r + 2]) >= 0) {
            int x = hex_value(s[r + 2]);
            r += 3;
            if (hex_value(s[r]) >= 0)
                x = x * 16 + hex_value(s[r++]);
            s[w++] = (char)x;
        } else {
            s[w++] = s[r++]; /* unknown: the backslash stays, the next byte follows as text */
        }
    }
    s[w] = '\0';
    return w;
}
