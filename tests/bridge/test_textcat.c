/*
 * Tests for bridge/textcat.h against snprintf, which it replaces on the hot
 * path: same text, same cut when the buffer is short, always NUL-terminated.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bridge/textcat.h"

/* "fb%.24s-%u" both ways, into buffers of every size from 1 to 40. */
START_TEST(textcat_matches_snprintf)
{
    static const char *const ids[] = {"", "x", "mwv24o221", "abcdefghijklmnopqrstuvwxyz0123"};
    static const uint64_t nums[] = {0, 7, 10, 4294967295u, UINT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            for (size_t size = 1; size <= 40; size++) {
                char want[64], got[64];
                memset(got, 'Z', sizeof got);
                snprintf(want, size, "fb%.24s-%" PRIu64, ids[i], nums[k]);
                struct fb_cat c = fb_cat_init(got, size);
                fb_cat_str(&c, "fb");
                fb_cat_strn(&c, ids[i], 24);
                fb_cat_char(&c, '-');
                fb_cat_u64(&c, nums[k]);
                ck_assert_str_eq(got, want);
                ck_assert_uint_eq(c.len, strlen(want));
                ck_assert_int_eq(got[size], 'Z'); /* nothing past the buffer */
            }
        }
    }
}
END_TEST

/* "%lld" both ways, the extremes included. */
START_TEST(textcat_i64_matches_snprintf)
{
    static const int64_t vals[] = {0, -1, 7, -42, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char want[32], got[32];
        snprintf(want, sizeof want, "%" PRId64, vals[i]);
        struct fb_cat c = fb_cat_init(got, sizeof got);
        fb_cat_i64(&c, vals[i]);
        ck_assert_str_eq(got, want);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("textcat");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, textcat_matches_snprintf);
    tcase_add_test(tc, textcat_i64_matches_snprintf);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
