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

/* Entries the tables hold for live keys: the new table's, and the old
 * one's not yet moved. A key indexed twice (a copy left behind by a move)
 * shows here even when has() can no longer see it. */
static size_t entries(const struct fb_kidx *x)
{
    size_t c = 0;
    for (size_t i = 0; i < x->cap; i++)
        c += x->slots[i].h != 0;
    for (size_t j = x->moved; x->old && j < x->old_cap; j++)
        c += x->old[j].h != 0 && x->old[j].item != NULL;
    return c;
}

/* Puts, replacements and deletions while tables are being moved: every
 * answer must match the model at every point of a move, and a doubling
 * must leave most of its work to later calls. */
static void run_growing(uint64_t (*hash)(const char *))
{
    struct fb_kidx x;
    size_t seen_moving = 0;
    uint64_t rnd = 88172645463325252ULL;
    memset(items, 0, sizeof items);
    fb_kidx_init(&x);
    for (size_t i = 0; i < N; i++) {
        snprintf(items[i].key[0], sizeof items[i].key[0], "g%zu", i);
        size_t cap = x.cap;
        items[i].live[0] = 1;
        ck_assert_int_eq(fb_kidx_put(&x, hash(items[i].key[0]), items[i].key[0], &items[i], has,
                                     NULL),
                         FB_OK);
        if (x.cap != cap && cap >= 1024) {
            /* a doubling of a big table moved at most one step's slots */
            ck_assert_ptr_nonnull(x.old);
            ck_assert_uint_le(x.moved, 8);
        }
        seen_moving += x.old != NULL;
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        size_t j = (size_t)(rnd % (i + 1));
        if (i % 3 == 0 && items[j].live[0]) { /* let one go */
            fb_kidx_del(&x, hash(items[j].key[0]), &items[j]);
            items[j].live[0] = 0;
        } else if (i % 5 == 0 && items[j].live[0]) { /* put again: may move it */
            ck_assert_int_eq(fb_kidx_put(&x, hash(items[j].key[0]), items[j].key[0], &items[j],
                                         has, NULL),
                             FB_OK);
        }
        if (i % 41 == 0 || x.old) {
            for (size_t k = 0; k <= i; k += 1 + i / 200)
                ck_assert_ptr_eq(fb_kidx_get(&x, hash(items[k].key[0]), items[k].key[0], has, NULL),
                                 items[k].live[0] ? &items[k] : NULL);
        }
        ck_assert_uint_le(x.n * 4, x.cap * 3);
        ck_assert_uint_eq(entries(&x), x.n);
    }
    ck_assert_uint_gt(seen_moving, 100);
    size_t live = 0;
    for (size_t i = 0; i < N; i++) {
        live += (size_t)items[i].live[0];
        ck_assert_ptr_eq(fb_kidx_get(&x, hash(items[i].key[0]), items[i].key[0], has, NULL),
                         items[i].live[0] ? &items[i] : NULL);
    }
    if (hash == fb_kidx_hash)
        ck_assert_uint_eq(x.n, live);
    /* deleting everything empties it, moves or not */
    for (size_t i = 0; i < N; i++) {
        if (items[i].live[0])
            fb_kidx_del(&x, hash(items[i].key[0]), &items[i]);
        items[i].live[0] = 0;
    }
    ck_assert_uint_eq(x.n, 0);
    ck_assert_uint_eq(entries(&x), 0);
    fb_kidx_free(&x);
    ck_assert_ptr_null(x.old);
}

START_TEST(kindex_changes_while_growing)
{
    run_growing(fb_kidx_hash);
    run_growing(bad_hash);
}
END_TEST

/* Tables big enough to be mapped rather than calloc'd (256 KiB up). */
#define BIG 60000
static char big_keys[BIG][12];

static int big_has(const void *item, const char *key, void *ctx)
{
    (void)ctx;
    return !strcmp(item, key);
}

START_TEST(kindex_big_tables)
{
    struct fb_kidx x;
    fb_kidx_init(&x);
    for (size_t i = 0; i < BIG; i++) {
        snprintf(big_keys[i], sizeof big_keys[i], "b%zu", i);
        ck_assert_int_eq(fb_kidx_put(&x, fb_kidx_hash(big_keys[i]), big_keys[i], big_keys[i],
                                     big_has, NULL),
                         FB_OK);
        if (i % 7 == 3) /* a deletion of an older key, moved or not */
            fb_kidx_del(&x, fb_kidx_hash(big_keys[i / 2]), big_keys[i / 2]);
    }
    ck_assert_uint_ge(x.cap * sizeof(struct fb_kidx_slot), 256u * 1024u);
    size_t live = 0;
    for (size_t i = 0; i < BIG; i++) {
        /* deleted when put number 2i or 2i+1 was one of the 7k+3 */
        int gone = (2 * i < BIG && 2 * i % 7 == 3) || (2 * i + 1 < BIG && (2 * i + 1) % 7 == 3);
        live += !gone;
        ck_assert_ptr_eq(fb_kidx_get(&x, fb_kidx_hash(big_keys[i]), big_keys[i], big_has, NULL),
                         gone ? NULL : big_keys[i]);
    }
    ck_assert_uint_eq(x.n, live);
    ck_assert_uint_eq(entries(&x), live);
    fb_kidx_free(&x);
}
END_TEST

/* A reserve far beyond one doubling, made while a move is under way. */
START_TEST(kindex_reserve_while_moving)
{
    struct fb_kidx x;
    fb_kidx_init(&x);
    memset(items, 0, sizeof items);
    size_t i = 0;
    for (; i < N && !(x.old && x.cap >= 2048); i++) {
        snprintf(items[i].key[0], sizeof items[i].key[0], "m%zu", i);
        items[i].live[0] = 1;
        ck_assert_int_eq(fb_kidx_put(&x, fb_kidx_hash(items[i].key[0]), items[i].key[0],
                                     &items[i], has, NULL),
                         FB_OK);
    }
    ck_assert_ptr_nonnull(x.old);
    ck_assert_int_eq(fb_kidx_reserve(&x, 100000), FB_OK);
    ck_assert_uint_ge(x.cap * 3, (x.n + 100000) * 4 - 4);
    for (size_t k = 0; k < i; k++)
        ck_assert_ptr_eq(fb_kidx_get(&x, fb_kidx_hash(items[k].key[0]), items[k].key[0], has,
                                     NULL),
                         &items[k]);
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
    tcase_add_test(tc, kindex_changes_while_growing);
    tcase_add_test(tc, kindex_reserve_while_moving);
    tcase_add_test(tc, kindex_big_tables);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
