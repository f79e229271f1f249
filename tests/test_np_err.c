/*
 * test_np_err.c - natprobe's error convention (probe/np_err.c): every own
 * code has a distinct negative value above NP_E__BASE, a name spelled from
 * the X-macro list and a text; -errno codes are named and described by the
 * C library; anything else is reported as unknown rather than crashing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "np_err.h"

/* Every own code with the name the X-macro list should give it. */
static const struct {
	int code;
	const char *name;
	const char *text;
} own[] = {
#define NP_ERR_ROW(name, text) { NP_E##name, "NP_E" #name, text },
	NP_ERR_MAP(NP_ERR_ROW)
#undef NP_ERR_ROW
};

#define NOWN (sizeof(own) / sizeof(own[0]))

static void test_every_own_code_is_negative_and_beyond_errno_range(void **state)
{
	assert_int_equal(NOWN, NP_ERR__COUNT);
	for (size_t i = 0; i < NOWN; i++) {
		assert_true(own[i].code < 0);
		assert_true(-own[i].code > NP_E__BASE);
	}
}

static void test_own_codes_are_distinct_and_consecutive(void **state)
{
	for (size_t i = 0; i < NOWN; i++) {
		assert_int_equal(own[i].code, -(NP_E__BASE + 1 + (int)i));
		for (size_t k = i + 1; k < NOWN; k++)
			assert_int_not_equal(own[i].code, own[k].code);
	}
}

static void test_errname_spells_every_own_code(void **state)
{
	for (size_t i = 0; i < NOWN; i++)
		assert_string_equal(np_errname(own[i].code), own[i].name);
	assert_string_equal(np_errname(NP_ESTUN_BADLEN), "NP_ESTUN_BADLEN");
	assert_string_equal(np_errname(NP_ENOMEM), "NP_ENOMEM");
	assert_string_equal(np_errname(NP_EINTERNAL), "NP_EINTERNAL");
}

static void test_strerror_gives_every_own_code_its_text(void **state)
{
	for (size_t i = 0; i < NOWN; i++) {
		assert_string_equal(np_strerror(own[i].code), own[i].text);
		assert_true(strlen(np_strerror(own[i].code)) > 0);
	}
	assert_string_equal(np_strerror(NP_EBADURI), "malformed server URI");
}

static void test_own_names_are_unique(void **state)
{
	for (size_t i = 0; i < NOWN; i++)
		for (size_t k = i + 1; k < NOWN; k++)
			assert_string_not_equal(np_errname(own[i].code),
						np_errname(own[k].code));
}

static void test_negative_errno_is_named_by_the_c_library(void **state)
{
	assert_string_equal(np_errname(-ECONNREFUSED), "ECONNREFUSED");
	assert_string_equal(np_errname(-EHOSTUNREACH), "EHOSTUNREACH");
	assert_string_equal(np_errname(-EINVAL), "EINVAL");
	assert_string_equal(np_errname(-EIO), "EIO");
}

static void test_negative_errno_text_is_strerror(void **state)
{
	assert_string_equal(np_strerror(-ECONNREFUSED), strerror(ECONNREFUSED));
	assert_string_equal(np_strerror(-ENOENT), strerror(ENOENT));
}

static void test_zero_is_success(void **state)
{
	assert_string_equal(np_errname(0), "OK");
	assert_string_equal(np_strerror(0), "success");
}

static void test_codes_outside_both_ranges_are_unknown(void **state)
{
	int past_last = -(NP_E__BASE + 1 + NP_ERR__COUNT);

	assert_string_equal(np_errname(past_last), "NP_E?");
	assert_string_equal(np_strerror(past_last), "unknown error");
	assert_string_equal(np_errname(-NP_E__BASE), "NP_E?");
	assert_string_equal(np_strerror(-NP_E__BASE), "unknown error");
	assert_string_equal(np_errname(5), "NP_E?");
	assert_string_equal(np_strerror(5), "unknown error");
	assert_string_equal(np_errname(-2000000000), "NP_E?");
}

static void test_unassigned_errno_value_has_a_placeholder_name(void **state)
{
	/* 9999 is below NP_E__BASE but no errno: a name, not NULL. */
	const char *n = np_errname(-9999);

	assert_non_null(n);
	assert_string_equal(n, "E?");
	assert_non_null(np_strerror(-9999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_own_code_is_negative_and_beyond_errno_range),
		cmocka_unit_test(test_own_codes_are_distinct_and_consecutive),
		cmocka_unit_test(test_errname_spells_every_own_code),
		cmocka_unit_test(test_strerror_gives_every_own_code_its_text),
		cmocka_unit_test(test_own_names_are_unique),
		cmocka_unit_test(test_negative_errno_is_named_by_the_c_library),
		cmocka_unit_test(test_negative_errno_text_is_strerror),
		cmocka_unit_test(test_zero_is_success),
		cmocka_unit_test(test_codes_outside_both_ranges_are_unknown),
		cmocka_unit_test(test_unassigned_errno_value_has_a_placeholder_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
