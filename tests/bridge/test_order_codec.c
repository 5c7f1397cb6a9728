#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/order_codec.h"

static struct fb_dec D(const char *s)
{
    struct fb_dec d;
    ck_assert_int_eq(fb_dec_parse_str(s, &d), FB_OK);
    return d;
}

START_TEST(new_round_trip)
{
    struct fb_jrec_new r, back;
    char buf[FB_ORDER_CODEC_MAX];
    memset(&r, 0, sizeof r);
    strcpy(r.order_id, "mwuq1");
    strcpy(r.coid, "fbmwuq1-0");
    r.req.session = 1;
    strcpy(r.req.cl_ord_id, "o1");
    strcpy(r.req.symbol, "BTC/USDT");
    strcpy(r.req.venue_symbol, "BTCUSDT");
    r.req.venue = 2;
    r.req.side = FB_SIDE_SELL;
    r.req.terms.ord_type = FB_ORD_STOP_LIMIT;
    r.req.terms.tif = FB_TIF_GTD;
    r.req.terms.expire_time_ns = 1790000000123456789LL;
    r.req.terms.qty = D("123456789.12345678");
    r.req.terms.price = D("0.00000001");
    r.req.terms.stop_px = D("65000.5");
    r.req.terms.post_only = 1;
    strcpy(r.req.text, "line one\nline two");
    r.req.px_places = 2;
    size_t n = fb_jrec_new_encode(&r, buf, sizeof buf);
    ck_assert_uint_gt(n, 0);
    ck_assert_int_eq(fb_jrec_new_decode(buf, n, &back), FB_OK);
    /* a newline in free text is stored as a space, nothing else changes */
    strcpy(r.req.text, "line one line two");
    ck_assert_int_eq(memcmp(&r, &back, sizeof r), 0);
}
END_TEST

START_TEST(event_round_trips)
{
    struct fb_jrec_event r, back;
    char buf[FB_ORDER_CODEC_MAX];
    for (int t = 0; t < 4; t++) {
        memset(&r, 0, sizeof r);
        strcpy(r.order_id, "x9");
        snprintf(r.exec_id, sizeof r.exec_id, "mfq3-%d", t + 1);
        r.ev.time_ns = 42;
        switch (t) {
        case 0:
            r.ev.type = FB_OEV_FILL;
            strcpy(r.ev.u.fill.trade_id, "T-77");
            r.ev.u.fill.qty = D("0.1");
            r.ev.u.fill.px = D("0.2");
            r.ev.u.fill.has_commission = 1;
            r.ev.u.fill.commission = D("0.00002");
            strcpy(r.ev.u.fill.commission_ccy, "USDT");
            r.ev.u.fill.liquidity = FB_LIQ_MAKER;
            break;
        case 1:
            r.ev.type = FB_OEV_REPLACE_REQUEST;
            strcpy(r.ev.u.replace.cl_ord_id, "o2");
            strcpy(r.ev.u.replace.orig_cl_ord_id, "o1");
            r.ev.u.replace.terms.qty = D("7");
            r.ev.u.replace.terms.price = D("64000");
            r.ev.u.replace.terms.ord_type = FB_ORD_LIMIT;
            break;
        case 2:
            r.ev.type = FB_OEV_REPLACED;
            strcpy(r.coid, "fbx9-1");
            r.ev.u.replaced.qty = D("7");
            break;
        case 3:
            r.ev.type = FB_OEV_CANCELED;
            r.ev.u.cause = FB_CXL_IOC;
            strcpy(r.ev.text, "IOC remainder");
            break;
        }
        size_t n = fb_jrec_event_encode(&r, buf, sizeof buf);
        ck_assert_uint_gt(n, 0);
        ck_assert_int_eq(fb_jrec_event_decode(buf, n, &back), FB_OK);
        ck_assert_int_eq(memcmp(&r, &back, sizeof r), 0);
    }
}
END_TEST

START_TEST(sent_marker_round_trips)
{
    struct fb_jrec_sent r = {.upto = 9007199254740993LL}, back;
    char buf[64];
    size_t n = fb_jrec_sent_encode(&r, buf, sizeof buf);
    ck_assert_uint_gt(n, 0);
    ck_assert_int_eq(fb_jrec_sent_decode(buf, n, &back), FB_OK);
    ck_assert(back.upto == r.upto);
    /* a new journal's first marker covers nothing; a missing or negative
     * one is not a marker */
    const char *zero = "v=1\nupto=0\n", *none = "v=1\n", *neg = "v=1\nupto=-4\n";
    ck_assert_int_eq(fb_jrec_sent_decode(zero, strlen(zero), &back), FB_OK);
    ck_assert(back.upto == 0);
    ck_assert_int_eq(fb_jrec_sent_decode(none, strlen(none), &back), FB_OK);
    ck_assert(back.upto == 0);
    ck_assert_int_eq(fb_jrec_sent_decode(neg, strlen(neg), &back), FB_ERR_PARSE);
    ck_assert_uint_eq(fb_jrec_sent_encode(&r, buf, 8), 0);
}
END_TEST

START_TEST(unknown_keys_skipped_and_bad_input_refused)
{
    struct fb_jrec_event back;
    const char *newer = "v=1\norder_id=a\ntype=2\nfuture_key=whatever\n";
    ck_assert_int_eq(fb_jrec_event_decode(newer, strlen(newer), &back), FB_OK);
    ck_assert_str_eq(back.order_id, "a");
    ck_assert_int_eq(back.ev.type, FB_OEV_ACK);
    const char *v2 = "v=2\norder_id=a\n";
    ck_assert_int_eq(fb_jrec_event_decode(v2, strlen(v2), &back), FB_ERR_UNSUPPORTED);
    const char *nover = "order_id=a\n";
    ck_assert_int_eq(fb_jrec_event_decode(nover, strlen(nover), &back), FB_ERR_PARSE);
    const char *baddec = "v=1\nfill.qty=1e5\n";
    ck_assert_int_eq(fb_jrec_event_decode(baddec, strlen(baddec), &back), FB_ERR_PARSE);
    const char *noeq = "v=1\ngarbage\n";
    ck_assert_int_eq(fb_jrec_event_decode(noeq, strlen(noeq), &back), FB_ERR_PARSE);
    char tiny[8];
    struct fb_jrec_new r;
    memset(&r, 0, sizeof r);
    strcpy(r.order_id, "a-very-long-order-id");
    ck_assert_uint_eq(fb_jrec_new_encode(&r, tiny, sizeof tiny), 0);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("order_codec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, new_round_trip);
    tcase_add_test(tc, event_round_trips);
    tcase_add_test(tc, sent_marker_round_trips);
    TCase *lim = tcase_create("limits");
    tcase_add_test(lim, unknown_keys_skipped_and_bad_input_refused);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
