#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/route.h"

static const struct fb_route routes[] = {
    {"BTC/USDT", NULL, 2, "BTCUSDT"},  {"BTC/USDT", "KRAKEN", 1, "XBT/USDT"},
    {"ETH/USDT", NULL, 0, "ETHUSDT"},  {"SOL/USDT", "SIM", 0, "SOLUSDT"},
    {"BTC/USDT", "SIM", 0, "BTC-SIM"}, {"AAA/USDT", NULL, 0, "AAAUSDT"},
};

struct lookup_case {
    const char *symbol;
    const char *dest;
    enum fb_route_status status;
    size_t route_index;
    size_t venue_index;
    const char *venue_symbol;
};

static const struct lookup_case lookups[] = {
    {"BTC/USDT", NULL, FB_ROUTE_FOUND, 0, 2, "BTCUSDT"},
    {"BTC/USDT", "", FB_ROUTE_FOUND, 0, 2, "BTCUSDT"}, /* empty 100 = none given */
    {"BTC/USDT", "KRAKEN", FB_ROUTE_FOUND, 1, 1, "XBT/USDT"},
    {"BTC/USDT", "SIM", FB_ROUTE_FOUND, 4, 0, "BTC-SIM"},
    {"BTC/USDT", "XNYS", FB_ROUTE_NO_DESTINATION, 0, 0, NULL},
    {"BTC/USDT", "kraken", FB_ROUTE_NO_DESTINATION, 0, 0, NULL}, /* exact match only */
    {"ETH/USDT", NULL, FB_ROUTE_FOUND, 2, 0, "ETHUSDT"},
    {"ETH/USDT", "SIM", FB_ROUTE_NO_DESTINATION, 0, 0, NULL}, /* never falls back */
    {"SOL/USDT", NULL, FB_ROUTE_NO_DEFAULT, 0, 0, NULL},
    {"SOL/USDT", "SIM", FB_ROUTE_FOUND, 3, 0, "SOLUSDT"},
    {"DOGE/USDT", NULL, FB_ROUTE_UNKNOWN_SYMBOL, 0, 0, NULL},
    {"DOGE/USDT", "SIM", FB_ROUTE_UNKNOWN_SYMBOL, 0, 0, NULL},
    {"AAA/USDT", NULL, FB_ROUTE_FOUND, 5, 0, "AAAUSDT"},     /* first in sort order */
    {"AA/USDT", NULL, FB_ROUTE_UNKNOWN_SYMBOL, 0, 0, NULL},  /* before the first */
    {"ZZZ/USDT", NULL, FB_ROUTE_UNKNOWN_SYMBOL, 0, 0, NULL}, /* after the last */
    {"BTC/USD", NULL, FB_ROUTE_UNKNOWN_SYMBOL, 0, 0, NULL},  /* a prefix is not a match */
};

START_TEST(lookup)
{
    const struct lookup_case *c = &lookups[_i];
    struct fb_route_table *t = NULL;
    struct fb_route_hit hit;
    char err[128];

    ck_assert_int_eq(fb_route_table_new(routes, 6, 3, &t, err, sizeof err), FB_OK);
    ck_assert_uint_eq(fb_route_table_size(t), 6);
    memset(&hit, 0xab, sizeof hit);
    ck_assert_int_eq(fb_route_lookup(t, c->symbol, c->dest, &hit), c->status);
    if (c->status == FB_ROUTE_FOUND) {
        ck_assert_uint_eq(hit.route_index, c->route_index);
        ck_assert_uint_eq(hit.venue_index, c->venue_index);
        ck_assert_str_eq(hit.venue_symbol, c->venue_symbol);
    }
    ck_assert_int_eq(fb_route_lookup(t, c->symbol, c->dest, NULL), c->status);
    fb_route_table_free(t);
}
END_TEST

struct build_case {
    struct fb_route r[2];
    size_t n;
    const char *err;
};

static const struct build_case builds[] = {
    {{{"BTC/USDT", NULL, 0, "A"}, {"BTC/USDT", NULL, 1, "B"}},
     2,
     "routes[1]: duplicates routes[0] (second default route for BTC/USDT)"},
    {{{"BTC/USDT", "X", 0, "A"}, {"BTC/USDT", "X", 1, "B"}},
     2,
     "routes[1]: duplicates routes[0] (symbol BTC/USDT, ex_destination X)"},
    {{{"", NULL, 0, "A"}}, 1, "routes[0]: symbol is empty"},
    {{{NULL, NULL, 0, "A"}}, 1, "routes[0]: symbol is missing"},
    {{{"BTC/USDT", "", 0, "A"}}, 1, "routes[0]: ex_destination is empty"},
    {{{"BTC/USDT", NULL, 0, NULL}}, 1, "routes[0]: venue_symbol is missing"},
    {{{"BTC/USDT", NULL, 0, "A"}, {"ETH/USDT", NULL, 3, "B"}},
     2,
     "routes[1]: venue index 3 is out of range (3 venues)"},
    {{{"BTC/USDT", NULL, 0, "123456789012345678901234567890123"}},
     1,
     "routes[0]: venue_symbol '123456789012345678901234567890123...' is longer than 32 "
     "characters"},
};

START_TEST(build_errors)
{
    const struct build_case *c = &builds[_i];
    struct fb_route_table *t = (struct fb_route_table *)(void *)&t; /* must be reset */
    char err[160];

    ck_assert_int_eq(fb_route_table_new(c->r, c->n, 3, &t, err, sizeof err), FB_ERR_CONFIG);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(err, c->err);
}
END_TEST

START_TEST(limits)
{
    struct fb_route_table *t = NULL;
    char err[64];
    struct fb_route r = {"12345678901234567890123456789012", NULL, 0,
                         "12345678901234567890123456789012"};

    /* Empty table: legal, every lookup misses. */
    ck_assert_int_eq(fb_route_table_new(NULL, 0, 0, &t, err, sizeof err), FB_OK);
    ck_assert_int_eq(fb_route_lookup(t, "BTC/USDT", NULL, NULL), FB_ROUTE_UNKNOWN_SYMBOL);
    fb_route_table_free(t);
    t = NULL;
    /* Exactly FB_ROUTE_NAME_MAX characters fit. */
    ck_assert_int_eq(fb_route_table_new(&r, 1, 1, &t, err, sizeof err), FB_OK);
    ck_assert_int_eq(fb_route_lookup(t, r.symbol, NULL, NULL), FB_ROUTE_FOUND);
    fb_route_table_free(t);
    /* NULLs. */
    ck_assert_int_eq(fb_route_lookup(NULL, "BTC/USDT", NULL, NULL), FB_ROUTE_UNKNOWN_SYMBOL);
    ck_assert_int_eq(fb_route_table_new(NULL, 1, 1, &t, err, sizeof err), FB_ERR_INVALID);
    fb_route_table_free(NULL);
}
END_TEST

START_TEST(many_routes_sorted_lookup)
{
    /* Enough routes that a wrong binary search would miss some. */
    enum { N = 500 };
    static char names[N][16];
    static struct fb_route rs[N];
    struct fb_route_table *t = NULL;
    struct fb_route_hit hit;
    char err[64];

    for (size_t i = 0; i < N; i++) {
        /* Reverse order on input, so the table really sorts. */
        snprintf(names[i], sizeof names[i], "S%04zu/USD", (size_t)(N - 1 - i));
        rs[i].symbol = names[i];
        rs[i].ex_destination = (i % 3 == 0) ? "X" : NULL;
        rs[i].venue_index = i % 4;
        rs[i].venue_symbol = names[i];
    }
    ck_assert_int_eq(fb_route_table_new(rs, N, 4, &t, err, sizeof err), FB_OK);
    for (size_t i = 0; i < N; i++) {
        ck_assert_int_eq(fb_route_lookup(t, names[i], rs[i].ex_destination, &hit), FB_ROUTE_FOUND);
        ck_assert_uint_eq(hit.route_index, i);
        ck_assert_uint_eq(hit.venue_index, i % 4);
        ck_assert_int_eq(fb_route_lookup(t, names[i], rs[i].ex_destination ? NULL : "X", NULL),
                         rs[i].ex_destination ? FB_ROUTE_NO_DEFAULT : FB_ROUTE_NO_DESTINATION);
    }
    fb_route_table_free(t);
}
END_TEST

static Suite *route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *core = tcase_create("core");
    TCase *lim = tcase_create("limits");

    tcase_add_loop_test(core, lookup, 0, (int)(sizeof lookups / sizeof lookups[0]));
    tcase_add_loop_test(core, build_errors, 0, (int)(sizeof builds / sizeof builds[0]));
    tcase_add_test(lim, limits);
    tcase_add_test(lim, many_routes_sorted_lookup);
    suite_add_tcase(s, core);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(route_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
