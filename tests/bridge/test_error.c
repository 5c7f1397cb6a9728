#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/error.h"
#include "bridge/log.h"

START_TEST(every_code_has_text)
{
    for (int e = FB_OK; e < FB_ERR_LAST; e++) {
        const char *s = fb_strerror((enum fb_err)e);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_ne(s, "unknown error");
    }
    ck_assert_str_eq(fb_strerror(FB_ERR_LAST), "unknown error");
}
END_TEST

START_TEST(log_sample_is_bounded_and_printable)
{
    char out[16];
    fb_log_sample("8=FIX.4.4\x01" "9=5\x01", 14, out, sizeof out);
    ck_assert_str_eq(out, "8=FIX.4.4|9=5|");
    fb_log_sample("abcdefghijklmnopqrstuvwxyz", 26, out, sizeof out);
    ck_assert_uint_lt(strlen(out), sizeof out);
    ck_assert_ptr_nonnull(strstr(out, "..."));
    ck_assert_int_eq(out[0], 'a');
    ck_assert_int_eq(out[strlen(out) - 1], 'z');
    fb_log_sample("\x02\x7f", 2, out, sizeof out);
    ck_assert_str_eq(out, "..");
}
END_TEST

static Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_code_has_text);
    tcase_add_test(tc, log_sample_is_bounded_and_printable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(error_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
