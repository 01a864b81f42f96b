/* check_base.c - unit tests of the base layer (server/pres.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pres.h"

START_TEST(test_hex_roundtrip)
{
	uint8_t in[4] = { 0x00, 0x1f, 0xa0, 0xff }, out[4];
	char hex[9];
	pres_hex(in, 4, hex);
	ck_assert_str_eq(hex, "001fa0ff");
	ck_assert_int_eq(pres_unhex("001FA0ff", out, 4), PRES_OK);
	ck_assert_mem_eq(in, out, 4);
	ck_assert_int_eq(pres_unhex("001fa0f", out, 4), PRES_EINVAL);
	ck_assert_int_eq(pres_unhex("001fa0fg", out, 4), PRES_EINVAL);
}
END_TEST

START_TEST(test_parse_ll_bounds)
{
	long long v;
	ck_assert_int_eq(pres_parse_ll("42", 0, 100, &v), PRES_OK);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(pres_parse_ll("101", 0, 100, &v), PRES_EINVAL);
	ck_assert_int_eq(pres_parse_ll("-1", 0, 100, &v), PRES_EINVAL);
	ck_assert_int_eq(pres_parse_ll("4x", 0, 100, &v), PRES_EINVAL);
	ck_assert_int_eq(pres_parse_ll("", 0, 100, &v), PRES_EINVAL);
	ck_assert_int_eq(pres_parse_ll("99999999999999999999", 0, 100, &v), PRES_EINVAL);
}
END_TEST

START_TEST(test_ct_compare)
{
	ck_assert_int_eq(pres_ct_streq("abc", "abc"), 1);
	ck_assert_int_eq(pres_ct_streq("abc", "abd"), 0);
	ck_assert_int_eq(pres_ct_streq("abc", "abcd"), 0);
	ck_assert_int_eq(pres_ct_memcmp("xy", "xy", 2), 0);
	ck_assert_int_ne(pres_ct_memcmp("xy", "xz", 2), 0);
}
END_TEST

START_TEST(test_strlcpy_truncates)
{
	char b[4];
	ck_assert_int_eq(pres_strlcpy(b, "abc", sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "abc");
	ck_assert_int_eq(pres_strlcpy(b, "abcd", sizeof(b)), PRES_ETOOBIG);
	ck_assert_str_eq(b, "abc");
}
END_TEST

START_TEST(test_clock_hook)
{
	pres_clock_set(1000);
	ck_assert_int_eq(pres_now(), 1000);
	ck_assert_int_eq(pres_now_ms(), 1000000);
	pres_clock_set(0);
	ck_assert_int_gt(pres_now(), 1700000000);
}
END_TEST

START_TEST(test_log_levels)
{
	ck_assert_int_eq(log_level_from_name("debug"), LOG_LVL_DEBUG);
	ck_assert_int_eq(log_level_from_name("error"), LOG_LVL_ERR);
	ck_assert_int_eq(log_level_from_name("loud"), -1);
	ck_assert_str_eq(pres_strerror(PRES_EPRECOND), "precondition failed");
}
END_TEST

START_TEST(test_uri_normalize)
{
	char b[256];
	ck_assert_int_eq(pres_uri_normalize("SIP:Alice@IMS.Example.COM;user=phone", b, sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "sip:Alice@ims.example.com");
	ck_assert_int_eq(pres_uri_normalize("\"Al\" <sip:alice@ims.example.com>;tag=1", b, sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "sip:alice@ims.example.com");
	ck_assert_int_eq(pres_uri_normalize("tel:+1-555-0001", b, sizeof(b)), PRES_OK);
	ck_assert_str_eq(b, "tel:+15550001");
	ck_assert_int_eq(pres_uri_normalize("http://x", b, sizeof(b)), PRES_EINVAL);
	ck_assert_int_eq(pres_uri_normalize("sip:@x", b, sizeof(b)), PRES_EINVAL);
	ck_assert_int_eq(pres_uri_normalize("tel:+", b, sizeof(b)), PRES_EINVAL);
	ck_assert_int_eq(pres_uri_normalize("sip:a b@x", b, sizeof(b)), PRES_EINVAL);
	ck_assert_int_eq(pres_uri_equal("sip:bob@IMS.example.com", "<sip:bob@ims.example.com>"), 1);
	ck_assert_int_eq(pres_uri_equal("sip:Bob@ims.example.com", "sip:bob@ims.example.com"), 0);
}
END_TEST

START_TEST(test_addr_in)
{
	const char *const l[] = { "192.0.2.0/24", "2001:db8::/32", "127.0.0.2", "10.0.0.0/7" };
	ck_assert_int_eq(pres_addr_in("192.0.2.200", l, 4), 1);
	ck_assert_int_eq(pres_addr_in("192.0.3.1", l, 4), 0);
	ck_assert_int_eq(pres_addr_in("2001:db8:1::5", l, 4), 1);
	ck_assert_int_eq(pres_addr_in("2001:db9::5", l, 4), 0);
	ck_assert_int_eq(pres_addr_in("127.0.0.2", l, 4), 1);
	ck_assert_int_eq(pres_addr_in("127.0.0.3", l, 4), 0);
	ck_assert_int_eq(pres_addr_in("11.255.0.1", l, 4), 1);   /* /7 covers 10-11 */
	ck_assert_int_eq(pres_addr_in("12.0.0.1", l, 4), 0);
	ck_assert_int_eq(pres_addr_in("garbage", l, 4), 0);
	ck_assert_int_eq(pres_addr_in("192.0.2.1", l, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_hex_roundtrip);
	tcase_add_test(tc, test_parse_ll_bounds);
	tcase_add_test(tc, test_ct_compare);
	tcase_add_test(tc, test_strlcpy_truncates);
	tcase_add_test(tc, test_clock_hook);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_uri_normalize);
	tcase_add_test(tc, test_addr_in);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
