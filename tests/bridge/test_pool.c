/*
 * Tests for bridge/pool: objects zeroed and distinct, given back ones
 * reused first (last in, first out), chunks added as needed, odd sizes
 * rounded so every object stays 16-aligned.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "bridge/pool.h"

START_TEST(get_put_reuse)
{
    struct fb_pool p;
    enum { N = 2500 };
    static unsigned char *objs[N];
    fb_pool_init(&p, 100, 64);
    ck_assert_uint_eq(p.size, 112);
    for (int i = 0; i < N; i++) {
        objs[i] = fb_pool_get(&p);
        ck_assert_ptr_nonnull(objs[i]);
        ck_assert_uint_eq((uintptr_t)objs[i] % 16, 0);
        for (int k = 0; k < 100; k++)
            ck_assert_uint_eq(objs[i][k], 0);
        memset(objs[i], 0xA5, 100); /* dirty, for the reuse check */
    }
    ck_assert_uint_eq(p.nchunks, (N + 63) / 64);
    for (int i = 0; i < N; i++) {
        for (int j = i + 1; j < N && j < i + 70; j++)
            ck_assert_ptr_ne(objs[i], objs[j]);
    }
    fb_pool_put(&p, objs[10]);
    fb_pool_put(&p, objs[20]);
    fb_pool_put(&p, NULL);
    unsigned char *a = fb_pool_get(&p), *b = fb_pool_get(&p);
    ck_assert_ptr_eq(a, objs[20]);
    ck_assert_ptr_eq(b, objs[10]);
    for (int k = 0; k < 100; k++)
        ck_assert_uint_eq(a[k] | b[k], 0); /* zeroed again */
    size_t chunks = p.nchunks;
    for (int i = 0; i < N; i++)
        fb_pool_put(&p, objs[i]);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(fb_pool_get(&p));
    ck_assert_uint_eq(p.nchunks, chunks); /* all from the free list */
    fb_pool_free(&p);
    ck_assert_uint_eq(p.nchunks, 0);
    ck_assert_ptr_nonnull(fb_pool_get(&p)); /* usable again */
    fb_pool_free(&p);
}
END_TEST

START_TEST(tiny_objects)
{
    struct fb_pool p;
    fb_pool_init(&p, 1, 3);
    ck_assert_uint_eq(p.size, 16);
    void *x = fb_pool_get(&p), *y = fb_pool_get(&p);
    ck_assert_ptr_ne(x, y);
    fb_pool_put(&p, x);
    ck_assert_ptr_eq(fb_pool_get(&p), x);
    fb_pool_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, get_put_reuse);
    tcase_add_test(tc, tiny_objects);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
