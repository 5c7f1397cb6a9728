/*
 * Tests for bridge/done_file: records read back whether written or still
 * in the buffer, offsets aligned, the file emptied at open and at a new
 * day, other days' files removed.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge/done_file.h"

#define DAY (86400LL * 1000000000LL)

static char dir[64];

static void mkrec(char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(seed * 31 + i);
}

START_TEST(done_file_append_read)
{
    struct fb_done_file f;
    char err[256], rec[300], got[300];
    uint64_t off[2000];
    snprintf(dir, sizeof dir, "/tmp/fb-done-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(fb_done_file_open(&f, dir, ".fbd", 20 * DAY, err, sizeof err), FB_OK);
    for (unsigned i = 0; i < 2000; i++) {
        size_t len = 100 + i % 150;
        mkrec(rec, len, i);
        ck_assert_int_eq(fb_done_file_append(&f, rec, len, &off[i]), FB_OK);
        ck_assert_uint_eq(off[i] % FB_DONE_ALIGN, 0);
        if (i % 300 == 0)
            ck_assert_int_eq(fb_done_file_flush(&f), FB_OK);
    }
    /* some in the file, some in the buffer */
    ck_assert_uint_gt(f.written, 0);
    ck_assert_uint_gt(f.len, 0);
    for (unsigned i = 0; i < 2000; i++) {
        size_t len = 100 + i % 150;
        mkrec(rec, len, i);
        ck_assert_int_eq(fb_done_file_read(&f, off[i], got, len), FB_OK);
        ck_assert_int_eq(memcmp(rec, got, len), 0);
    }
    ck_assert_int_ne(fb_done_file_read(&f, fb_done_file_end(&f), got, 1), FB_OK);
    ck_assert_int_eq(fb_done_file_flush(&f), FB_OK);
    ck_assert_uint_eq(f.len, 0);
    mkrec(rec, 100, 7);
    ck_assert_int_eq(fb_done_file_read(&f, off[7], got, 100), FB_OK);
    ck_assert_int_eq(memcmp(rec, got, 100), 0);

    /* a new day: empty, and the old day's file gone */
    char old[sizeof f.path];
    memcpy(old, f.path, sizeof old);
    ck_assert_int_eq(fb_done_file_rotate(&f, 21 * DAY), FB_OK);
    ck_assert_uint_eq(fb_done_file_end(&f), 0);
    ck_assert_int_ne(access(old, F_OK), 0);
    ck_assert_int_eq(access(f.path, F_OK), 0);
    ck_assert_int_eq(fb_done_file_append(&f, rec, 100, &off[0]), FB_OK);
    ck_assert_uint_eq(off[0], 0);
    ck_assert_int_eq(fb_done_file_flush(&f), FB_OK);
    fb_done_file_close(&f);

    /* a restart: the cache starts empty whatever day it is */
    ck_assert_int_eq(fb_done_file_open(&f, dir, ".fbd", 21 * DAY, err, sizeof err), FB_OK);
    ck_assert_uint_eq(fb_done_file_end(&f), 0);
    struct stat st;
    ck_assert_int_eq(stat(f.path, &st), 0);
    ck_assert_int_eq((int)st.st_size, 0);
    unlink(f.path);
    fb_done_file_close(&f);
    char sub[96];
    snprintf(sub, sizeof sub, "%s/done", dir);
    rmdir(sub);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("done_file");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, done_file_append_read);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
