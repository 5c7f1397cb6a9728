/*
 * Signing: every official vector of REFERENCE.md (Binance A.4.1 vectors 1-4,
 * Kraken B.2), byte for byte; the percent-encoding rule; bad inputs; and the
 * Kraken nonce source (monotonic across clock steps and restarts).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/nonce.h"
#include "adapters/sign.h"

#define BN_SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

struct bn_vec {
    const char *name, *query, *body, *sig;
};

static const struct bn_vec bn_vecs[] = {
    {"1: all in query",
     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
     "timestamp=1499827319559",
     "", "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"},
    {"2: non-ASCII symbol, encoded",
     "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
     "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
     "", "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"},
    {"3: query + body, no separator", "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
     "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
     "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"},
    {"4: WebSocket sorted params",
     "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&"
     "quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp="
     "1645423376532&type=LIMIT",
     "", "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"},
    /* Vector 3's payload passed as one string must give the same bytes. */
    {"3 as one part",
     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&"
     "timestamp=1499827319559",
     "", "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"},
};

START_TEST(binance_vectors)
{
    const struct bn_vec *v = &bn_vecs[_i];
    char sig[FB_SIGN_BINANCE_HEX_LEN + 1];
    memset(sig, 'x', sizeof sig);
    ck_assert_int_eq(
        fb_sign_binance(BN_SECRET, v->query, strlen(v->query), v->body, strlen(v->body), sig),
        FB_OK);
    ck_assert_msg(strcmp(sig, v->sig) == 0, "vector %s: got %s want %s", v->name, sig, v->sig);
}
END_TEST

/* Vector 2's symbol, encoded by our encoder, must produce the doc's payload. */
START_TEST(binance_vector2_from_raw_symbol)
{
    const char *raw = "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96";
    char enc[128], payload[512], sig[FB_SIGN_BINANCE_HEX_LEN + 1];
    size_t n = 0;
    ck_assert_int_eq(fb_pct_encode(raw, strlen(raw), enc, sizeof enc, &n), FB_OK);
    ck_assert_uint_eq(n, strlen(enc));
    snprintf(payload, sizeof payload,
             "symbol=%s&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
             "recvWindow=5000&timestamp=1499827319559",
             enc);
    ck_assert_str_eq(payload, bn_vecs[1].query);
    ck_assert_int_eq(fb_sign_binance(BN_SECRET, payload, strlen(payload), NULL, 0, sig), FB_OK);
    ck_assert_str_eq(sig, bn_vecs[1].sig);
}
END_TEST

struct pct_vec {
    const char *in, *out;
};

static const struct pct_vec pct_vecs[] = {
    {"", ""},
    {"AZaz09-_.~", "AZaz09-_.~"},
    {"a b+c", "a%20b%2Bc"},
    {"[\"BTCUSDT\",\"BNBBTC\"]", "%5B%22BTCUSDT%22%2C%22BNBBTC%22%5D"},
    {"=&%/", "%3D%26%25%2F"},
    {"\xff\x80", "%FF%80"},
};

START_TEST(pct_table)
{
    char out[128];
    ck_assert_int_eq(fb_pct_encode(pct_vecs[_i].in, strlen(pct_vecs[_i].in), out, sizeof out, NULL),
                     FB_OK);
    ck_assert_str_eq(out, pct_vecs[_i].out);
}
END_TEST

START_TEST(pct_too_large)
{
    char out[4];
    /* "abc" needs 4 bytes with its NUL: fits; "a b" needs 6: does not. */
    ck_assert_int_eq(fb_pct_encode("abc", 3, out, sizeof out, NULL), FB_OK);
    ck_assert_int_eq(fb_pct_encode("a b", 3, out, sizeof out, NULL), FB_ERR_TOO_LARGE);
    ck_assert_str_eq(out, "");
}
END_TEST

/* One prepared key signs every vector in turn, twice over: each signature
 * starts from the key alone, nothing of the previous payload carries over. */
START_TEST(binance_key_reused)
{
    struct fb_sign_key *k = NULL;
    char sig[FB_SIGN_BINANCE_HEX_LEN + 1];
    ck_assert_int_eq(fb_sign_key_new(BN_SECRET, &k), FB_OK);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof bn_vecs / sizeof bn_vecs[0]; i++) {
            const struct bn_vec *v = &bn_vecs[i];
            ck_assert_int_eq(fb_sign_binance_key(k, v->query, strlen(v->query), v->body,
                                                 strlen(v->body), sig),
                             FB_OK);
            ck_assert_msg(strcmp(sig, v->sig) == 0, "vector %s, round %d: got %s want %s",
                          v->name, round, sig, v->sig);
        }
    }
    fb_sign_key_free(k);
}
END_TEST

START_TEST(binance_bad_args)
{
    char sig[FB_SIGN_BINANCE_HEX_LEN + 1];
    ck_assert_int_eq(fb_sign_binance("", "a", 1, "", 0, sig), FB_ERR_INVALID);
    ck_assert_int_eq(fb_sign_binance(NULL, "a", 1, "", 0, sig), FB_ERR_INVALID);
    ck_assert_int_eq(fb_sign_binance(BN_SECRET, NULL, 3, "", 0, sig), FB_ERR_INVALID);
    struct fb_sign_key *k = (struct fb_sign_key *)1;
    ck_assert_int_eq(fb_sign_key_new("", &k), FB_ERR_INVALID);
    ck_assert_ptr_null(k);
    ck_assert_int_eq(fb_sign_key_new(NULL, &k), FB_ERR_INVALID);
    ck_assert_int_eq(fb_sign_key_new(BN_SECRET, NULL), FB_ERR_INVALID);
    ck_assert_int_eq(fb_sign_binance_key(NULL, "a", 1, "", 0, sig), FB_ERR_INVALID);
    fb_sign_key_free(NULL);
}
END_TEST

#define KR_SECRET                                                                                  \
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="

START_TEST(kraken_vector)
{
    const char *post = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&"
                       "volume=1.25";
    char sig[FB_SIGN_KRAKEN_B64_LEN + 1];
    ck_assert_int_eq(
        fb_sign_kraken(KR_SECRET, "/0/private/AddOrder", "1616492376594", post, strlen(post), sig),
        FB_OK);
    ck_assert_str_eq(sig, "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32"
                          "bAb0nmbRn6H8ndwLUQ==");
}
END_TEST

static const char *bad_secrets[] = {
    "",         /* empty */
    "abc",      /* not a multiple of 4 */
    "ab=c",     /* padding in the middle */
    "a*cd",     /* not base64 */
    "abc=abcd", /* data after padding */
    "a===",     /* too much padding */
};

START_TEST(kraken_bad_secret)
{
    char sig[FB_SIGN_KRAKEN_B64_LEN + 1];
    ck_assert_int_eq(fb_sign_kraken(bad_secrets[_i], "/0/private/AddOrder", "1", "nonce=1", 7, sig),
                     FB_ERR_INVALID);
}
END_TEST

/* ---- nonce ---- */

static char tmpdir[64];

static void mk_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fb_nonce_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/kr.nonce", tmpdir);
    unlink(p);
    rmdir(tmpdir);
}

#define S 1000000000LL

START_TEST(nonce_monotonic_and_restart)
{
    struct fb_nonce n;
    uint64_t a, b, c, d;
    mk_tmpdir();
    ck_assert_int_eq(fb_nonce_open(&n, tmpdir, "kr"), FB_OK);
    ck_assert_int_eq(fb_nonce_next(&n, 1000 * S, &a), FB_OK);
    ck_assert_uint_eq(a, 1000000000ULL); /* µs of now */
    /* Same instant, then the clock steps back an hour: still increasing. */
    ck_assert_int_eq(fb_nonce_next(&n, 1000 * S, &b), FB_OK);
    ck_assert_uint_eq(b, a + 1);
    ck_assert_int_eq(fb_nonce_next(&n, (1000 - 3600) * S, &c), FB_OK);
    ck_assert_uint_eq(c, b + 1);
    /* Restart with the clock still behind: the lease keeps us above c. */
    ck_assert_int_eq(fb_nonce_open(&n, tmpdir, "kr"), FB_OK);
    ck_assert_int_eq(fb_nonce_next(&n, 900 * S, &d), FB_OK);
    ck_assert_uint_gt(d, c);
    /* A clock far ahead is followed. */
    ck_assert_int_eq(fb_nonce_next(&n, 5000 * S, &d), FB_OK);
    ck_assert_uint_eq(d, 5000000000ULL);
    /* Crossing the lease rewrites it: a restart now stays above d. */
    ck_assert_int_eq(fb_nonce_open(&n, tmpdir, "kr"), FB_OK);
    ck_assert_int_eq(fb_nonce_next(&n, 1 * S, &a), FB_OK);
    ck_assert_uint_gt(a, d);
    rm_tmpdir();
}
END_TEST

START_TEST(nonce_rejects_bad_name_and_corrupt_file)
{
    struct fb_nonce n;
    char p[128];
    FILE *f;
    mk_tmpdir();
    ck_assert_int_eq(fb_nonce_open(&n, tmpdir, "../x"), FB_ERR_INVALID);
    ck_assert_int_eq(fb_nonce_open(&n, tmpdir, ".."), FB_ERR_INVALID);
    ck_assert_int_eq(fb_nonce_open(&n, tmpdir, ""), FB_ERR_INVALID);
    snprintf(p, sizeof p, "%s/kr.nonce", tmpdir);
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs("12x\n", f);
    fclose(f);
    ck_assert_int_eq(fb_nonce_open(&n, tmpdir, "kr"), FB_ERR_PARSE);
    rm_tmpdir();
}
END_TEST

START_TEST(nonce_unwritable_dir_issues_nothing)
{
    struct fb_nonce n;
    uint64_t v = 7;
    ck_assert_int_eq(fb_nonce_open(&n, "/nonexistent-dir-fb", "kr"), FB_OK);
    ck_assert_int_eq(fb_nonce_next(&n, 1000 * S, &v), FB_ERR_IO);
    ck_assert_uint_eq(v, 7);
}
END_TEST

static Suite *sign_suite(void)
{
    Suite *s = suite_create("sign");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, binance_vectors, 0, (int)(sizeof bn_vecs / sizeof bn_vecs[0]));
    tcase_add_test(tc, binance_vector2_from_raw_symbol);
    tcase_add_loop_test(tc, pct_table, 0, (int)(sizeof pct_vecs / sizeof pct_vecs[0]));
    tcase_add_test(tc, pct_too_large);
    tcase_add_test(tc, binance_key_reused);
    tcase_add_test(tc, binance_bad_args);
    tcase_add_test(tc, kraken_vector);
    tcase_add_loop_test(tc, kraken_bad_secret, 0,
                        (int)(sizeof bad_secrets / sizeof bad_secrets[0]));
    tcase_add_test(tc, nonce_monotonic_and_restart);
    tcase_add_test(tc, nonce_rejects_bad_name_and_corrupt_file);
    tcase_add_test(tc, nonce_unwritable_dir_issues_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sign_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
