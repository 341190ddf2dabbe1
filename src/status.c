/* SPDX-License-Identifier: MIT */
/* status.c: sm_strerror and sm_status_name, both expanded from SM_STATUS_MAP. */
#include "config.h"

#include "smallmind.h"

static const char sm_unknown_status[] = "unknown status";

const char *sm_strerror(int status)
{
#define SM_STATUS_MESSAGE_CASE(name, value, message)                                               \
    case (value):                                                                                  \
        return (message);
    switch (status) {
        SM_STATUS_MAP(SM_STATUS_MESSAGE_CASE)
    default:
        return sm_unknown_status;
    }
#undef SM_STATUS_MESSAGE_CASE
}

const char *sm_status_name(int status)
{
#define SM_STATUS_NAME_CASE(name, value, message)                                                  \
    case (value):                                                                                  \
        return #name;
    switch (status) {
        SM_STATUS_MAP(SM_STATUS_NAME_CASE)
    default:
        return sm_unknown_status;
    }
#undef SM_STATUS_NAME_CASE
}
