/*
 * Tests for bridge/done_index: every key put is found again (newest record
 * first, whether its entry is written or still buffered), a key never put
 * almost always costs no read, buckets shared by many keys, a new day and
 * a reopen forget everything, an unreadable entry is an error, not "none".
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/done_index.h"

#define DAY (86400LL * 1000000000LL)

static char dir[64];

static uint64_t key_hash(uint64_t i)
{
    uint64_t h = i * 0xd6e8feb86659fd93ULL + 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h ? h : 1;
}

/* The candidates of h, newest first, into recs; their count, or -1. */
static int candidates(struct fb_done_index *x, uint64_t h, uint64_t *recs, int max)
{
    struct fb_done_cursor c;
    uint64_t off;
    int n = 0, r;
    fb_done_index_seek(x, h, &c);
    while ((r = fb_done_index_next(x, &c, &off)) > 0) {
        if (n < max)
            recs[n] = off;
        n++;
    }
    return r < 0 ? -1 : n;
}

static void open_index(struct fb_done_index *x, int64_t now)
{
    char err[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fb-dix-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    ck_assert_int_eq(fb_done_index_open(x, dir, now, err, sizeof err), FB_OK);
}

static void remove_dir(void)
{
    char sub[96], p[400];
    snprintf(sub, sizeof sub, "%s/done", dir);
    DIR *d = opendir(sub);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", sub, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(sub);
    rmdir(dir);
    dir[0] = 0;
}

START_TEST(every_key_found_few_false_maybes)
{
    struct fb_done_index x;
    enum { N = 300000 };
    uint64_t recs[8];
    open_index(&x, 20 * DAY);
    for (uint64_t i = 0; i < N; i++) {
        ck_assert_int_eq(fb_done_index_reserve(&x, 1), FB_OK);
        ck_assert_int_eq(fb_done_index_put(&x, key_hash(i), i * 256), FB_OK);
        if (i % 1000 == 999 && i < N - 10)
            ck_assert_int_eq(fb_done_index_flush(&x), FB_OK);
    }
    /* the last entries are still in the buffer: found all the same */
    ck_assert_uint_gt(x.entries.len, 0);
    for (uint64_t i = 0; i < N; i++) {
        int n = candidates(&x, key_hash(i), recs, 8);
        ck_assert_int_ge(n, 1);
        int hit = 0;
        for (int k = 0; k < n && k < 8; k++)
            hit |= recs[k] == i * 256;
        ck_assert_msg(hit, "key %llu not found", (unsigned long long)i);
    }
    /* keys never put: no candidate (a 64-bit hash collision aside), and
     * the filter keeps nearly all of them from reading anything */
    unsigned reads = 0;
    for (uint64_t i = N; i < 2 * N; i++) {
        struct fb_done_cursor c;
        uint64_t off;
        fb_done_index_seek(&x, key_hash(i), &c);
        reads += c.next != 0;
        ck_assert_int_eq(fb_done_index_next(&x, &c, &off), 0);
    }
    ck_assert_uint_lt(reads, N / 1000); /* 300,000 keys in 16 MiB: ~0.001% */
    fb_done_index_close(&x);
    remove_dir();
}
END_TEST

START_TEST(one_bucket_many_keys_newest_first)
{
    struct fb_done_index x;
    uint64_t recs[64];
    open_index(&x, 20 * DAY);
    /* 40 hashes of one bucket, each put once, one of them three times */
    for (uint64_t i = 0; i < 40; i++) {
        uint64_t h = (i + 1) << 32 | 77; /* same low bits: one bucket */
        ck_assert_int_eq(fb_done_index_reserve(&x, 1), FB_OK);
        ck_assert_int_eq(fb_done_index_put(&x, h, i * 8), FB_OK);
        if (i == 10)
            ck_assert_int_eq(fb_done_index_flush(&x), FB_OK);
    }
    uint64_t h5 = (uint64_t)6 << 32 | 77;
    ck_assert_int_eq(fb_done_index_reserve(&x, 2), FB_OK);
    ck_assert_int_eq(fb_done_index_put(&x, h5, 4096), FB_OK);
    ck_assert_int_eq(fb_done_index_flush(&x), FB_OK);
    ck_assert_int_eq(fb_done_index_put(&x, h5, 8192), FB_OK);
    ck_assert_int_eq(candidates(&x, h5, recs, 64), 3);
    ck_assert_uint_eq(recs[0], 8192);
    ck_assert_uint_eq(recs[1], 4096);
    ck_assert_uint_eq(recs[2], 5 * 8);
    for (uint64_t i = 0; i < 40; i++) {
        uint64_t h = (i + 1) << 32 | 77;
        int n = candidates(&x, h, recs, 64);
        ck_assert_int_eq(n, i == 5 ? 3 : 1);
        ck_assert_uint_eq(recs[n - 1], i * 8);
    }
    /* same bucket, never put: every entry read, none matches */
    ck_assert_int_eq(candidates(&x, (uint64_t)999 << 32 | 77, recs, 64), 0);
    fb_done_index_close(&x);
    remove_dir();
}
END_TEST

START_TEST(new_day_and_reopen_forget)
{
    struct fb_done_index x;
    uint64_t recs[4];
    open_index(&x, 20 * DAY);
    ck_assert_int_eq(fb_done_index_reserve(&x, 100), FB_OK);
    for (uint64_t i = 0; i < 100; i++)
        ck_assert_int_eq(fb_done_index_put(&x, key_hash(i), i * 8), FB_OK);
    ck_assert_int_eq(fb_done_index_flush(&x), FB_OK);
    ck_assert_int_eq(fb_done_index_rotate(&x, 21 * DAY), FB_OK);
    for (uint64_t i = 0; i < 100; i++)
        ck_assert_int_eq(candidates(&x, key_hash(i), recs, 4), 0);
    ck_assert_int_eq(fb_done_index_reserve(&x, 1), FB_OK);
    ck_assert_int_eq(fb_done_index_put(&x, key_hash(7), 64), FB_OK);
    ck_assert_int_eq(candidates(&x, key_hash(7), recs, 4), 1);
    ck_assert_uint_eq(recs[0], 64);
    ck_assert_int_eq(fb_done_index_flush(&x), FB_OK);
    fb_done_index_close(&x);
    /* a restart: the replay puts them again, nothing is kept */
    open_index(&x, 21 * DAY);
    ck_assert_int_eq(candidates(&x, key_hash(7), recs, 4), 0);
    fb_done_index_close(&x);
    remove_dir();
}
END_TEST

START_TEST(unreadable_entry_is_an_error)
{
    struct fb_done_index x;
    uint64_t recs[4];
    open_index(&x, 20 * DAY);
    ck_assert_int_eq(fb_done_index_reserve(&x, 1), FB_OK);
    ck_assert_int_eq(fb_done_index_put(&x, key_hash(1), 8), FB_OK);
    ck_assert_int_eq(fb_done_index_flush(&x), FB_OK);
    /* the file shrinks under the index (a full disk, an operator) */
    ck_assert_int_eq(ftruncate(x.entries.fd, 0), 0);
    ck_assert_int_eq(candidates(&x, key_hash(1), recs, 4), -1);
    fb_done_index_close(&x);
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("done_index");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_key_found_few_false_maybes);
    tcase_add_test(tc, one_bucket_many_keys_newest_first);
    tcase_add_test(tc, new_day_and_reopen_forget);
    tcase_add_test(tc, unreadable_entry_is_an_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
