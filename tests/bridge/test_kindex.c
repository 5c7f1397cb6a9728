/*
 * Tests for bridge/kindex: a keyless hash index checked against a plain
 * array model through growth, replacement and backward-shift deletion,
 * with a deliberately bad hash so that runs wrap and collide.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bridge/kindex.h"

#define N 3000

struct item {
    char key[2][24]; /* an item may be found by two keys */
    int live[2];
};

static struct item items[N];

static int has(const void *item, const char *key, void *ctx)
{
    const struct item *it = item;
    (void)ctx;
    return (it->live[0] && !strcmp(it->key[0], key)) || (it->live[1] && !strcmp(it->key[1], key));
}

/* few distinct values: long runs, wrap-around, equal hashes of different
 * keys, all of which has() must sort out */
static uint64_t bad_hash(const char *key)
{
    return (fb_kidx_hash(key) % 61) + 1;
}

static struct item *model_get(const char *key)
{
    for (size_t i = 0; i < N; i++)
        if (has(&items[i], key, NULL))
            return &items[i];
    return NULL;
}

static void check_all(const struct fb_kidx *x, uint64_t (*hash)(const char *))
{
    char key[24];
    for (size_t i = 0; i < N; i++) {
        for (int k = 0; k < 2; k++) {
            snprintf(key, sizeof key, "k%zu.%d", i, k);
            ck_assert_ptr_eq(fb_kidx_get(x, hash(key), key, has, NULL), model_get(key));
        }
    }
}

static void run(uint64_t (*hash)(const char *))
{
    struct fb_kidx x;
    size_t live = 0;
    memset(items, 0, sizeof items);
    fb_kidx_init(&x);
    ck_assert_ptr_null(fb_kidx_get(&x, hash("a"), "a", has, NULL));
    fb_kidx_del(&x, hash("a"), items); /* empty: nothing happens */
    for (size_t i = 0; i < N; i++) {
        for (int k = 0; k < 2; k++) {
            snprintf(items[i].key[k], sizeof items[i].key[k], "k%zu.%d", i, k);
            if (k == 1 && i % 3)
                continue;
            items[i].live[k] = 1;
            ck_assert_int_eq(fb_kidx_put(&x, hash(items[i].key[k]), items[i].key[k], &items[i],
                                         has, NULL),
                             FB_OK);
            live++;
        }
    }
    /* an item's two keys may share a hash (bad_hash) and then one slot */
    ck_assert_uint_le(x.n, live);
    if (hash == fb_kidx_hash)
        ck_assert_uint_eq(x.n, live);
    ck_assert_uint_le(x.n * 4, x.cap * 3);
    check_all(&x, hash);
    /* putting a key again replaces, it does not add */
    size_t n = x.n;
    ck_assert_int_eq(fb_kidx_put(&x, hash("k7.0"), "k7.0", &items[7], has, NULL), FB_OK);
    ck_assert_uint_eq(x.n, n);
    /* remove every other item, all its keys, as the engine does */
    for (size_t i = 0; i < N; i += 2) {
        for (int k = 0; k < 2; k++) {
            if (items[i].live[k])
                fb_kidx_del(&x, hash(items[i].key[k]), &items[i]);
        }
        live -= (size_t)items[i].live[0] + (size_t)items[i].live[1];
        items[i].live[0] = items[i].live[1] = 0;
    }
    ck_assert_uint_le(x.n, live);
    if (hash == fb_kidx_hash)
        ck_assert_uint_eq(x.n, live);
    check_all(&x, hash);
    /* deleting under the wrong item does nothing */
    n = x.n;
    fb_kidx_del(&x, hash("k1.0"), &items[2]);
    ck_assert_uint_eq(x.n, n);
    ck_assert_ptr_eq(fb_kidx_get(&x, hash("k1.0"), "k1.0", has, NULL), &items[1]);
    fb_kidx_free(&x);
    ck_assert_uint_eq(x.cap, 0);
}

START_TEST(kindex_good_hash)
{
    run(fb_kidx_hash);
}
END_TEST

START_TEST(kindex_colliding_hash)
{
    run(bad_hash);
}
END_TEST

START_TEST(kindex_reserve)
{
    struct fb_kidx x;
    fb_kidx_init(&x);
    ck_assert_int_eq(fb_kidx_reserve(&x, 1000), FB_OK);
    size_t cap = x.cap;
    ck_assert_uint_ge(cap * 3, 1000 * 4);
    for (size_t i = 0; i < 1000; i++) {
        snprintf(items[i].key[0], sizeof items[i].key[0], "r%zu", i);
        items[i].live[0] = 1;
        ck_assert_int_eq(fb_kidx_put(&x, fb_kidx_hash(items[i].key[0]), items[i].key[0],
                                     &items[i], has, NULL),
                         FB_OK);
    }
    ck_assert_uint_eq(x.cap, cap); /* reserved: no growth */
    ck_assert_uint_ne(fb_kidx_hash(""), 0);
    fb_kidx_free(&x);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kindex");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, kindex_good_hash);
    tcase_add_test(tc, kindex_colliding_hash);
    tcase_add_test(tc, kindex_reserve);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
