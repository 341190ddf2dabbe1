/* SPDX-License-Identifier: MIT */
/* test_core.c: the API core: status codes (values are ABI), messages, names, versions. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sm_test.h"
#include "smallmind.h"

/* The expected codes, written out independently of SM_STATUS_MAP: a renumbered or renamed
 * code breaks every program compiled against an earlier header, so this test must fail then. */
static const struct {
    int value;
    const char *name;
} expected_codes[] = {
    {0, "SM_OK"},        {-1, "SM_E_INVAL"},       {-2, "SM_E_NOMEM"},      {-3, "SM_E_IO"},
    {-4, "SM_E_FORMAT"}, {-5, "SM_E_UNSUPPORTED"}, {-6, "SM_E_RANGE"},      {-7, "SM_E_STATE"},
    {-8, "SM_E_SYS"},    {-9, "SM_E_BUSY"},        {-10, "SM_E_NOT_FOUND"},
};
#define N_EXPECTED ((int)(sizeof expected_codes / sizeof expected_codes[0]))

START_TEST(test_core_enum_values_are_pinned)
{
    ck_assert_int_eq(SM_OK, 0);
    ck_assert_int_eq(SM_E_INVAL, -1);
    ck_assert_int_eq(SM_E_NOMEM, -2);
    ck_assert_int_eq(SM_E_IO, -3);
    ck_assert_int_eq(SM_E_FORMAT, -4);
    ck_assert_int_eq(SM_E_UNSUPPORTED, -5);
    ck_assert_int_eq(SM_E_RANGE, -6);
    ck_assert_int_eq(SM_E_STATE, -7);
    ck_assert_int_eq(SM_E_SYS, -8);
    ck_assert_int_eq(SM_E_BUSY, -9);
    ck_assert_int_eq(SM_E_NOT_FOUND, -10);
}
END_TEST

/* Counts the map's entries: every code in the map must be one this test expects. */
#define COUNT_ENTRY(name, value, message) +1
static const int n_map_entries = 0 SM_STATUS_MAP(COUNT_ENTRY);
#undef COUNT_ENTRY

START_TEST(test_core_map_has_exactly_the_expected_codes)
{
    ck_assert_int_eq(n_map_entries, N_EXPECTED);
}
END_TEST

START_TEST(test_core_status_name_matches)
{
    int i = _i;
    ck_assert_str_eq(sm_status_name(expected_codes[i].value), expected_codes[i].name);
}
END_TEST

START_TEST(test_core_strerror_is_specific)
{
    int i = _i;
    const char *msg = sm_strerror(expected_codes[i].value);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_gt((int)strlen(msg), 0);
    ck_assert_str_ne(msg, "unknown status");
    /* A message shared by two codes would make error reports ambiguous. */
    for (int j = 0; j < N_EXPECTED; j++) {
        if (j != i)
            ck_assert_str_ne(msg, sm_strerror(expected_codes[j].value));
    }
    /* Static strings: the same pointer every call, so callers may keep it. */
    ck_assert_ptr_eq(msg, sm_strerror(expected_codes[i].value));
}
END_TEST

static const int unknown_codes[] = {1, 2, -11, -100, 42, INT_MIN, INT_MAX};

START_TEST(test_core_unknown_codes_are_reported_as_unknown)
{
    int code = unknown_codes[_i];
    ck_assert_str_eq(sm_strerror(code), "unknown status");
    ck_assert_str_eq(sm_status_name(code), "unknown status");
}
END_TEST

START_TEST(test_core_error_codes_are_negative)
{
    for (int i = 1; i < N_EXPECTED; i++)
        ck_assert_int_lt(expected_codes[i].value, 0);
}
END_TEST

START_TEST(test_core_version_matches_configure)
{
    /* PACKAGE_VERSION comes from AC_INIT through config.h: a source independent of both
     * sm_version.h and version.c. */
    ck_assert_str_eq(sm_version_string(), PACKAGE_VERSION);
    ck_assert_str_eq(SM_VERSION_STRING, PACKAGE_VERSION);

    unsigned major, minor, patch;
    char tail;
    ck_assert_int_eq(sscanf(PACKAGE_VERSION, "%u.%u.%u%c", &major, &minor, &patch, &tail), 3);
    ck_assert_uint_eq(major, SM_VERSION_MAJOR);
    ck_assert_uint_eq(minor, SM_VERSION_MINOR);
    ck_assert_uint_eq(patch, SM_VERSION_PATCH);
    ck_assert_uint_eq(sm_version(), (major << 16) | (minor << 8) | patch);
    ck_assert_uint_eq(sm_version(), (unsigned)SM_VERSION_HEX);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *status = tcase_create("status");
    tcase_add_test(status, test_core_enum_values_are_pinned);
    tcase_add_test(status, test_core_map_has_exactly_the_expected_codes);
    tcase_add_loop_test(status, test_core_status_name_matches, 0, N_EXPECTED);
    tcase_add_loop_test(status, test_core_strerror_is_specific, 0, N_EXPECTED);
    tcase_add_loop_test(status, test_core_unknown_codes_are_reported_as_unknown, 0,
                        (int)(sizeof unknown_codes / sizeof unknown_codes[0]));
    tcase_add_test(status, test_core_error_codes_are_negative);
    suite_add_tcase(s, status);

    TCase *version = tcase_create("version");
    tcase_add_test(version, test_core_version_matches_configure);
    suite_add_tcase(s, version);
    return s;
}

int main(void)
{
    return sm_test_run(core_suite());
}
