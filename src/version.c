/* SPDX-License-Identifier: MIT */
/* version.c: the version of the library actually loaded, for comparison with the headers'. */
#include "config.h"

#include "smallmind.h"

unsigned sm_version(void)
{
    return SM_VERSION_HEX;
}

const char *sm_version_string(void)
{
    return SM_VERSION_STRING;
}
