/*
 * Kraken's pure half: request bytes and API-Sign (expected values computed
 * independently with Python's uuid, hmac and hashlib; the first is Kraken's
 * own worked example, REFERENCE.md B.2), answer classification of every
 * error family in B.6, and strict parsing of the REFERENCE.md sample bodies,
 * garbage, truncation, JSON numbers where decimal strings belong and
 * unknown status values.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/kraken_proto.h"

#define SECRET                                                                                     \
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
#define NONCE 1616492376594ULL
#define NOW_S 1700000000LL
#define KID1 "e9d9e7de-c959-557d-b998-5303a4b47c23" /* uuid5(FB_KR_UUID_NS, "fb12-1") */

static struct fb_dec D(const char *s)
{
    struct fb_dec d = fb_dec_zero();
    if (s)
        ck_assert_msg(fb_dec_parse_str(s, &d) == FB_OK, "bad decimal %s", s);
    return d;
}

static const char *fmt(struct fb_dec d)
{
    static char b[FB_DEC_STRMAX];
    fb_dec_format(d, b);
    return b;
}

/* ---- ids and signing ---- */

static const struct {
    const char *in, *out;
    enum fb_err want;
} ids[] = {
    {"fb12-1", KID1, FB_OK},
    {"fb12-2", "5ac9b34e-85b4-5a51-852b-7d33d3a18516", FB_OK},
    {"c1", "adb50f13-3bb8-5686-8d8a-60cf238b6b80", FB_OK},
    {"fb123456789012345678901234567890-99", "974f02bc-39c9-5f2d-928e-c96b9bec004e", FB_OK},
    {"", "", FB_ERR_INVALID},
    {"a b", "", FB_ERR_INVALID},
};

START_TEST(cl_ord_id_is_uuid5)
{
    char out[FB_KR_KID_LEN + 1];
    ck_assert_int_eq(fb_kr_cl_ord_id(ids[_i].in, out), ids[_i].want);
    ck_assert_str_eq(out, ids[_i].out);
}
END_TEST

START_TEST(sign_matches_kraken_example)
{
    struct fb_kr_form f;
    char body[FB_KR_BODY_MAX + 1], sig[FB_SIGN_KRAKEN_B64_LEN + 1];
    size_t n = 0;
    fb_kr_f_init(&f);
    fb_kr_f_add(&f, "ordertype", "limit");
    fb_kr_f_add(&f, "pair", "XBTUSD");
    fb_kr_f_add_dec(&f, "price", D("37500"));
    fb_kr_f_add(&f, "type", "buy");
    fb_kr_f_add_dec(&f, "volume", D("1.25"));
    ck_assert_int_eq(fb_kr_sign(&f, SECRET, "/0/private/AddOrder", NONCE, body, &n, sig), FB_OK);
    ck_assert_str_eq(body,
                     "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&"
                     "volume=1.25");
    ck_assert_uint_eq(n, strlen(body));
    ck_assert_str_eq(sig, "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmb"
                          "Rn6H8ndwLUQ==");
    /* A bad secret is an error, not a signature. */
    ck_assert_int_ne(fb_kr_sign(&f, "not base64!", "/0/private/AddOrder", NONCE, body, &n, sig),
                     FB_OK);
}
END_TEST

/* ---- AddOrder bodies ---- */

struct build_case {
    const char *coid;
    enum fb_venue_side side;
    enum fb_venue_ord_type type;
    enum fb_venue_tif tif;
    int64_t expire_s;
    const char *qty, *price, *stop, *display, *quote;
    int post_only;
    enum fb_err want;
    const char *params; /* unsigned, without nonce; NULL unless FB_OK */
};

static const struct build_case builds[] = {
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, 0, "1.25", "37500", NULL, NULL, NULL, 0,
     FB_OK,
     "cl_ord_id=" KID1 "&ordertype=limit&pair=XBTUSD&price=37500&timeinforce=GTC&type=buy&"
     "volume=1.25"},
    {"fb12-1", FB_VENUE_SELL, FB_VENUE_MARKET, FB_VENUE_IOC, 0, "0.5", NULL, NULL, NULL, NULL, 0,
     FB_OK, "cl_ord_id=" KID1 "&ordertype=market&pair=XBTUSD&type=sell&volume=0.5"},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_MARKET, FB_VENUE_GTC, 0, NULL, NULL, NULL, NULL, "100", 0,
     FB_OK, "cl_ord_id=" KID1 "&oflags=viqc&ordertype=market&pair=XBTUSD&type=buy&volume=100"},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, 0, "2", "100.5", NULL, NULL, NULL, 1,
     FB_OK,
     "cl_ord_id=" KID1 "&oflags=post&ordertype=limit&pair=XBTUSD&price=100.5&timeinforce=GTC&"
     "type=buy&volume=2"},
    {"fb12-1", FB_VENUE_SELL, FB_VENUE_STOP, FB_VENUE_GTC, 0, "3", NULL, "90", NULL, NULL, 0, FB_OK,
     "cl_ord_id=" KID1 "&ordertype=stop-loss&pair=XBTUSD&price=90&timeinforce=GTC&type=sell&"
     "volume=3"},
    {"fb12-1", FB_VENUE_SELL, FB_VENUE_STOP_LIMIT, FB_VENUE_IOC, 0, "3", "89.5", "90", NULL, NULL,
     0, FB_OK,
     "cl_ord_id=" KID1 "&ordertype=stop-loss-limit&pair=XBTUSD&price=90&price2=89.5&"
     "timeinforce=IOC&type=sell&volume=3"},
    /* take-profit(-limit): the trigger in price, the limit in price2 (B.5.1). */
    {"fb12-1", FB_VENUE_SELL, FB_VENUE_TAKE_PROFIT, FB_VENUE_GTC, 0, "3", NULL, "110", NULL, NULL, 0,
     FB_OK,
     "cl_ord_id=" KID1 "&ordertype=take-profit&pair=XBTUSD&price=110&timeinforce=GTC&type=sell&"
     "volume=3"},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_TAKE_PROFIT_LIMIT, FB_VENUE_GTC, 0, "3", "89.5", "90", NULL,
     NULL, 0, FB_OK,
     "cl_ord_id=" KID1 "&ordertype=take-profit-limit&pair=XBTUSD&price=90&price2=89.5&"
     "timeinforce=GTC&type=buy&volume=3"},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, 0, "15", "100", NULL, "1", NULL, 0,
     FB_OK,
     "cl_ord_id=" KID1 "&displayvol=1&ordertype=iceberg&pair=XBTUSD&price=100&timeinforce=GTC&"
     "type=buy&volume=15"},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTD, NOW_S + 3600, "1", "100", NULL, NULL,
     NULL, 0, FB_OK,
     "cl_ord_id=" KID1 "&expiretm=1700003600&ordertype=limit&pair=XBTUSD&price=100&"
     "timeinforce=GTD&type=buy&volume=1"},
    /* Day: GTD to the end of the UTC day (1700000000 is 2023-11-14 22:13:20). */
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_DAY, 0, "1", "100", NULL, NULL, NULL, 0,
     FB_OK,
     "cl_ord_id=" KID1 "&expiretm=1700006400&ordertype=limit&pair=XBTUSD&price=100&"
     "timeinforce=GTD&type=buy&volume=1"},
    /* A market order with Day (FIX's default when 59 is absent) never
     * rests: no timeinforce and no expiretm. */
    {"fb12-1", FB_VENUE_SELL, FB_VENUE_MARKET, FB_VENUE_DAY, 0, "0.5", NULL, NULL, NULL, NULL, 0,
     FB_OK, "cl_ord_id=" KID1 "&ordertype=market&pair=XBTUSD&type=sell&volume=0.5"},
    /* Refusals. */
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_FOK, 0, "1", "100", NULL, NULL, NULL, 0,
     FB_ERR_UNSUPPORTED, NULL},
    {"fb12-1", FB_VENUE_SELL, FB_VENUE_MARKET, FB_VENUE_GTC, 0, NULL, NULL, NULL, NULL, "100", 0,
     FB_ERR_UNSUPPORTED, NULL},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_STOP, FB_VENUE_GTC, 0, "1", NULL, "90", NULL, NULL, 1,
     FB_ERR_UNSUPPORTED, NULL},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, 0, "16", "100", NULL, "1", NULL, 0,
     FB_ERR_UNSUPPORTED, NULL}, /* display < qty/15 */
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTD, NOW_S - 1, "1", "100", NULL, NULL, NULL,
     0, FB_ERR_UNSUPPORTED, NULL},
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, 0, "1", NULL, NULL, NULL, NULL, 0,
     FB_ERR_INVALID, NULL}, /* limit without a price */
    {"fb12-1", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, 0, "1", "100", NULL, NULL, "5", 0,
     FB_ERR_INVALID, NULL}, /* both quantities */
    {"bad id!", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, 0, "1", "100", NULL, NULL, NULL, 0,
     FB_ERR_INVALID, NULL},
};

START_TEST(build_order_bodies)
{
    const struct build_case *b = &builds[_i];
    struct fb_venue_order o;
    struct fb_kr_form f;
    char why[128];
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "%s", b->coid);
    snprintf(o.symbol, sizeof o.symbol, "XBTUSD");
    o.side = b->side;
    o.type = b->type;
    o.tif = b->tif;
    o.expire_ns = b->expire_s * 1000000000LL + 999999999LL; /* rounded down to the second */
    o.qty = D(b->qty);
    o.price = D(b->price);
    o.stop_price = D(b->stop);
    o.display_qty = D(b->display);
    o.quote_qty = D(b->quote);
    o.post_only = b->post_only != 0;
    ck_assert_int_eq(fb_kr_build_order(&o, NOW_S, &f, why, sizeof why), b->want);
    if (b->want == FB_OK)
        ck_assert_str_eq(f.buf, b->params);
    if (b->want == FB_ERR_UNSUPPORTED)
        ck_assert_msg(why[0], "a refusal says why");
}
END_TEST

START_TEST(signed_order_and_amend)
{
    struct fb_venue_order o;
    struct fb_venue_replace r;
    struct fb_kr_form f;
    char why[64], body[FB_KR_BODY_MAX + 1], sig[FB_SIGN_KRAKEN_B64_LEN + 1];
    size_t n;
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "fb12-1");
    snprintf(o.symbol, sizeof o.symbol, "XBTUSD");
    o.type = FB_VENUE_LIMIT;
    o.tif = FB_VENUE_GTC;
    o.qty = D("1.25");
    o.price = D("37500");
    ck_assert_int_eq(fb_kr_build_order(&o, NOW_S, &f, why, sizeof why), FB_OK);
    ck_assert_int_eq(fb_kr_sign(&f, SECRET, "/0/private/AddOrder", NONCE, body, &n, sig), FB_OK);
    ck_assert_str_eq(body, "nonce=1616492376594&cl_ord_id=" KID1 "&ordertype=limit&pair=XBTUSD&"
                           "price=37500&timeinforce=GTC&type=buy&volume=1.25");
    ck_assert_str_eq(sig, "KmbPpvfpXx/GFiky7dlxRLUcHx1+uFCL65D2n4qxPsXp0PaJBswVmaSFK7chWkNCXLn0kqsiHd"
                          "h0kvUO5EYpqw==");

    memset(&r, 0, sizeof r);
    r.qty = D("2");
    r.price = D("37600");
    ck_assert_int_eq(fb_kr_build_amend(KID1, &r, FB_VENUE_LIMIT, &f), FB_OK);
    ck_assert_int_eq(fb_kr_sign(&f, SECRET, "/0/private/AmendOrder", NONCE + 1, body, &n, sig),
                     FB_OK);
    ck_assert_str_eq(body, "nonce=1616492376595&cl_ord_id=" KID1 "&limit_price=37600&order_qty=2");
    ck_assert_str_eq(sig, "yeewhYVmTWTLVIZetlKdwy/Q2MypUnvrtApwJqZ1Z9S0bQUgZNv1y9gU+5MEiuEahBv2R6fKfd"
                          "l+gmg+YEZpRQ==");
    /* Stop-limit: the limit is limit_price, the stop trigger_price. */
    r.stop_price = D("37000");
    ck_assert_int_eq(fb_kr_build_amend(KID1, &r, FB_VENUE_STOP_LIMIT, &f), FB_OK);
    ck_assert_str_eq(f.buf, "cl_ord_id=" KID1 "&limit_price=37600&order_qty=2&trigger_price=37000");
    /* A limit order has no trigger to amend. */
    ck_assert_int_eq(fb_kr_build_amend(KID1, &r, FB_VENUE_LIMIT, &f), FB_ERR_INVALID);
    /* Take-profit-limit: as stop-limit. */
    ck_assert_int_eq(fb_kr_build_amend(KID1, &r, FB_VENUE_TAKE_PROFIT_LIMIT, &f), FB_OK);
    ck_assert_str_eq(f.buf, "cl_ord_id=" KID1 "&limit_price=37600&order_qty=2&trigger_price=37000");
    /* A take-profit (market) has a trigger but no limit to amend. */
    ck_assert_int_eq(fb_kr_build_amend(KID1, &r, FB_VENUE_TAKE_PROFIT, &f), FB_ERR_INVALID);
    r.price = fb_dec_zero();
    ck_assert_int_eq(fb_kr_build_amend(KID1, &r, FB_VENUE_TAKE_PROFIT, &f), FB_OK);
    ck_assert_str_eq(f.buf, "cl_ord_id=" KID1 "&order_qty=2&trigger_price=37000");
}
END_TEST

/* ---- classification ---- */

struct class_case {
    enum fb_http_outcome outcome;
    long status;
    const char *body;
    int writes;
    enum fb_kr_class want;
    enum fb_venue_reject_reason reason;
    const char *msg; /* NULL: not checked */
};

static const struct class_case classes[] = {
    {FB_HTTP_RESPONSE, 200,
     "{\"error\":[],\"result\":{\"descr\":{\"order\":\"buy 1.45 XBTUSD @ limit "
     "27500.0\"},\"txid\":[\"OU22CG-KLAF2-FWUDD7\"]}}",
     1, FB_KR_OK, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"WGeneral:Something\"],\"result\":{\"count\":1}}", 1,
     FB_KR_OK, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EOrder:Insufficient funds\"]}", 1, FB_KR_REJECT,
     FB_VRR_FUNDS, "EOrder:Insufficient funds"},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EOrder:Order minimum not met\"]}", 1, FB_KR_REJECT,
     FB_VRR_FILTER, "EOrder:Order minimum not met"},
    {FB_HTTP_RESPONSE, 200,
     "{\"error\":[\"EOrder:Invalid price:XXBTZUSD price can only be specified up to 1 "
     "decimals.\"]}",
     1, FB_KR_REJECT, FB_VRR_FILTER,
     "EOrder:Invalid price:XXBTZUSD price can only be specified up to 1 decimals."},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EGeneral:Invalid arguments:volume\"]}", 1, FB_KR_REJECT,
     FB_VRR_FILTER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EOrder:Post only order\"]}", 1, FB_KR_REJECT,
     FB_VRR_POST_ONLY, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EOrder:Unknown order\"]}", 1, FB_KR_REJECT,
     FB_VRR_UNKNOWN_ORDER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EQuery:Unknown asset pair\"]}", 1, FB_KR_REJECT,
     FB_VRR_UNKNOWN_SYMBOL, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EGeneral:Permission denied\"]}", 1, FB_KR_REJECT,
     FB_VRR_OTHER, "EGeneral:Permission denied"},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EAPI:Rate limit exceeded\"]}", 1, FB_KR_RETRY,
     FB_VRR_RATE_LIMIT, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EOrder:Rate limit exceeded\"]}", 1, FB_KR_RETRY,
     FB_VRR_RATE_LIMIT, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EService: Throttled: 1700000000\"]}", 0, FB_KR_RETRY,
     FB_VRR_RATE_LIMIT, NULL},
    /* Invalid nonce: a read simply retries; a write may be a processed copy. */
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EAPI:Invalid nonce\"]}", 0, FB_KR_RETRY, FB_VRR_OTHER,
     NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EAPI:Invalid nonce\"]}", 1, FB_KR_UNKNOWN, FB_VRR_OTHER,
     NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EService:Unavailable\"]}", 1, FB_KR_UNKNOWN,
     FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EService:Busy\"]}", 1, FB_KR_UNKNOWN, FB_VRR_OTHER,
     NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EService:Unavailable\"]}", 0, FB_KR_RETRY, FB_VRR_OTHER,
     NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EGeneral:Internal error:123\"]}", 1, FB_KR_UNKNOWN,
     FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[\"EService:Market in cancel_only mode\"]}", 1,
     FB_KR_REJECT, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 502, "<html>Bad Gateway</html>", 1, FB_KR_UNKNOWN, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 520, "{\"error\":[],\"result\":{}}", 1, FB_KR_UNKNOWN, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[],\"result\":{\"txid\":[\"OU22", 1, FB_KR_UNKNOWN,
     FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[]}", 1, FB_KR_UNKNOWN, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":\"EOrder:Insufficient funds\"}", 1, FB_KR_UNKNOWN,
     FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[42]}", 1, FB_KR_UNKNOWN, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "{\"error\":[],\"result\":{},\"error\":[]}", 1, FB_KR_UNKNOWN,
     FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "[]", 1, FB_KR_UNKNOWN, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 200, "", 0, FB_KR_RETRY, FB_VRR_OTHER, NULL},
    {FB_HTTP_RESPONSE, 429, "", 1, FB_KR_RETRY, FB_VRR_RATE_LIMIT, NULL},
    {FB_HTTP_NOT_SENT, 0, "", 1, FB_KR_RETRY, FB_VRR_OTHER, NULL},
    {FB_HTTP_UNKNOWN, 0, "", 1, FB_KR_UNKNOWN, FB_VRR_OTHER, NULL},
    {FB_HTTP_UNKNOWN, 0, "", 0, FB_KR_RETRY, FB_VRR_OTHER, NULL},
    {FB_HTTP_TOO_LARGE, 0, "", 1, FB_KR_UNKNOWN, FB_VRR_OTHER, NULL},
};

START_TEST(classify_answers)
{
    const struct class_case *c = &classes[_i];
    struct fb_http_response r;
    struct fb_kr_answer a;
    json_t *res = NULL;
    memset(&r, 0, sizeof r);
    r.outcome = c->outcome;
    r.status = c->status;
    r.body = c->body;
    r.body_len = strlen(c->body);
    r.headers = "";
    r.error = c->outcome == FB_HTTP_RESPONSE ? "" : "timeout";
    ck_assert_int_eq(fb_kr_classify(&r, c->writes, &a, &res), c->want);
    ck_assert_int_eq(a.cls, c->want);
    ck_assert_int_eq(a.reason, c->reason);
    if (c->msg)
        ck_assert_str_eq(a.msg, c->msg);
    ck_assert(c->want == FB_KR_OK ? json_is_object(res) : res == NULL);
    if (c->want == FB_KR_REJECT && strstr(c->body, "Market in"))
        ck_assert_int_eq(a.rej_cls, FB_VREJ_RETRYABLE);
    else if (c->want == FB_KR_REJECT)
        ck_assert_int_eq(a.rej_cls, FB_VREJ_FINAL);
    json_decref(res);
}
END_TEST

/* ---- parsers ---- */

#define QUERY_SAMPLE                                                                               \
    "{\"refid\":null,\"userref\":0,\"status\":\"closed\",\"reason\":null,"                         \
    "\"opentm\":1688665496.7808,\"closetm\":1688665499.1922,\"starttm\":0,\"expiretm\":0,"         \
    "\"descr\":{\"pair\":\"XBTUSD\",\"type\":\"buy\",\"ordertype\":\"stop-loss-limit\","           \
    "\"price\":\"27500.0\",\"price2\":\"0\",\"leverage\":\"none\",\"order\":\"buy 1.25000000 "     \
    "XBTUSD @ limit 27500.0\",\"close\":\"\"},\"vol\":\"1.25000000\",\"vol_exec\":"                \
    "\"1.25000000\",\"cost\":\"27526.2\",\"fee\":\"26.2\",\"price\":\"27500.0\",\"stopprice\":"    \
    "\"0.00000\",\"limitprice\":\"0.00000\",\"misc\":\"\",\"oflags\":\"fciq\",\"trigger\":"       \
    "\"index\",\"trades\":[\"TZX2WP-XSEOP-FP7WYR\"]}"

START_TEST(parse_reference_order)
{
    struct fb_kr_order o;
    json_t *j = fb_kr_json_load(QUERY_SAMPLE, strlen(QUERY_SAMPLE));
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(fb_kr_parse_order("OBCMZD-JIEE7-77TH3F", j, &o), FB_OK);
    ck_assert_str_eq(o.txid, "OBCMZD-JIEE7-77TH3F");
    ck_assert_int_eq(o.status, FB_KR_ST_CLOSED);
    ck_assert_str_eq(o.cl_ord_id, "");
    ck_assert_str_eq(o.pair, "XBTUSD");
    ck_assert_str_eq(o.ordertype, "stop-loss-limit");
    ck_assert_str_eq(fmt(o.vol), "1.25");
    ck_assert_str_eq(fmt(o.vol_exec), "1.25");
    ck_assert_str_eq(fmt(o.avg_price), "27500");
    ck_assert_str_eq(fmt(o.fee), "26.2");
    ck_assert_int_eq(o.fee_in_base, 0);
    ck_assert_int_eq(o.amended, 0);
    ck_assert_uint_eq(o.n_trades, 1);
    ck_assert_str_eq(o.trades[0], "TZX2WP-XSEOP-FP7WYR");
    ck_assert_int_eq(o.ts_ns / 1000, 1688665499192200LL);
    json_decref(j);
}
END_TEST

/* Mutations of the sample: each must fail to parse (never guessed). */
static const struct {
    const char *from, *to;
} bad_orders[] = {
    {"\"vol\":\"1.25000000\"", "\"vol\":1.25"},                 /* a JSON real */
    {"\"vol_exec\":\"1.25000000\"", "\"vol_exec\":1"},          /* a JSON integer */
    {"\"status\":\"closed\"", "\"status\":\"partially\""},     /* unknown status */
    {"\"status\":\"closed\"", "\"status\":null"},
    {"\"vol\":\"1.25000000\",", ""},                            /* missing vol */
    {"\"descr\":{", "\"descr\":[],\"x\":{"},                    /* descr not an object */
    {"\"type\":\"buy\"", "\"type\":\"hold\""},                  /* unknown side */
    {"\"trades\":[\"TZX2WP-XSEOP-FP7WYR\"]", "\"trades\":[7]"}, /* trade id not a string */
    {"\"vol_exec\":\"1.25000000\"", "\"vol_exec\":\"-1\""},
    {"\"fee\":\"26.2\"", "\"fee\":\"1e3\""},
    {"\"opentm\":1688665496.7808", "\"opentm\":\"yesterday\""},
};

START_TEST(parse_order_refuses_mutations)
{
    char buf[2048];
    const char *s = QUERY_SAMPLE, *at = strstr(s, bad_orders[_i].from);
    struct fb_kr_order o;
    json_t *j;
    ck_assert_ptr_nonnull(at);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - s), s, bad_orders[_i].to,
             at + strlen(bad_orders[_i].from));
    j = fb_kr_json_load(buf, strlen(buf));
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(fb_kr_parse_order("OBCMZD-JIEE7-77TH3F", j, &o), FB_ERR_PARSE);
    json_decref(j);
}
END_TEST

START_TEST(parse_garbage_and_truncation)
{
    struct fb_kr_order o;
    /* Every prefix of the sample: never a crash; parse only when complete. */
    size_t n = strlen(QUERY_SAMPLE);
    for (size_t i = 0; i < n; i++) {
        json_t *j = fb_kr_json_load(QUERY_SAMPLE, i);
        ck_assert_ptr_null(j);
    }
    ck_assert_ptr_null(fb_kr_json_load("\x01\xff garbage", 10));
    ck_assert_ptr_null(fb_kr_json_load("42", 2));
    ck_assert_int_eq(fb_kr_parse_order("OX", NULL, &o), FB_ERR_PARSE);
    json_t *empty = json_object();
    ck_assert_int_eq(fb_kr_parse_order(NULL, empty, &o), FB_ERR_PARSE);
    ck_assert_int_eq(fb_kr_parse_order("OX", empty, &o), FB_ERR_PARSE);
    json_decref(empty);
}
END_TEST

#define PAIRS_SAMPLE                                                                               \
    "{\"altname\":\"XBTUSD\",\"wsname\":\"XBT/USD\",\"aclass_base\":\"currency\",\"base\":"        \
    "\"XXBT\",\"aclass_quote\":\"currency\",\"quote\":\"ZUSD\",\"lot\":\"unit\","                  \
    "\"cost_decimals\":5,\"pair_decimals\":1,\"lot_decimals\":8,\"lot_multiplier\":1,"             \
    "\"leverage_buy\":[2,3,4,5],\"leverage_sell\":[2,3,4,5],\"fees\":[[0,0.26],[50000,0.24]],"     \
    "\"fees_maker\":[[0,0.16]],\"fee_volume_currency\":\"ZUSD\",\"margin_call\":80,"               \
    "\"margin_stop\":40,\"ordermin\":\"0.0001\",\"costmin\":\"0.5\",\"tick_size\":\"0.1\","        \
    "\"status\":\"online\",\"long_position_limit\":250,\"short_position_limit\":200}"

START_TEST(parse_reference_pair)
{
    struct fb_kr_pair p;
    json_t *j = fb_kr_json_load(PAIRS_SAMPLE, strlen(PAIRS_SAMPLE));
    ck_assert_int_eq(fb_kr_parse_pair("XXBTZUSD", j, &p), FB_OK);
    ck_assert_str_eq(p.m.symbol, "XXBTZUSD");
    ck_assert_str_eq(p.id, "XXBTZUSD");
    ck_assert_str_eq(p.altname, "XBTUSD");
    ck_assert_str_eq(p.wsname, "XBT/USD");
    ck_assert_str_eq(p.m.base, "XXBT");
    ck_assert_str_eq(p.m.quote, "ZUSD");
    ck_assert_str_eq(fmt(p.m.tick_size), "0.1");
    ck_assert_str_eq(fmt(p.m.step_size), "0.00000001");
    ck_assert_str_eq(fmt(p.m.min_qty), "0.0001");
    ck_assert_str_eq(fmt(p.m.min_notional), "0.5");
    /* Without tick_size, pair_decimals gives it. */
    json_object_del(j, "tick_size");
    ck_assert_int_eq(fb_kr_parse_pair("XXBTZUSD", j, &p), FB_OK);
    ck_assert_str_eq(fmt(p.m.tick_size), "0.1");
    /* A JSON number where a decimal string belongs is refused. */
    json_object_set_new(j, "ordermin", json_real(0.0001));
    ck_assert_int_eq(fb_kr_parse_pair("XXBTZUSD", j, &p), FB_ERR_PARSE);
    json_object_set_new(j, "ordermin", json_string("0.0001"));
    json_object_set_new(j, "lot_decimals", json_string("8"));
    ck_assert_int_eq(fb_kr_parse_pair("XXBTZUSD", j, &p), FB_ERR_PARSE);
    json_decref(j);
}
END_TEST

/* REFERENCE.md B.4's Ticker example: bid = b[0], ask = a[0]; decimals as
 * strings only. */
START_TEST(parse_reference_ticker)
{
    static const char sample[] =
        "{\"a\":[\"3537.50000\",\"1\",\"1.000\"],\"b\":[\"3537.40000\",\"16\",\"16.000\"],"
        "\"c\":[\"3537.50000\",\"0.25000000\"],\"o\":\"3530.60000\"}";
    struct fb_dec bid, ask;
    json_t *j = fb_kr_json_load(sample, strlen(sample));
    ck_assert_int_eq(fb_kr_parse_ticker(j, &bid, &ask), FB_OK);
    ck_assert_str_eq(fmt(bid), "3537.4");
    ck_assert_str_eq(fmt(ask), "3537.5");
    json_object_set_new(j, "a", json_pack("[f,s,s]", 3537.5, "1", "1.000"));
    ck_assert_int_eq(fb_kr_parse_ticker(j, &bid, &ask), FB_ERR_PARSE);
    json_object_set_new(j, "a", json_pack("[s]", "0"));
    ck_assert_int_eq(fb_kr_parse_ticker(j, &bid, &ask), FB_ERR_PARSE);
    json_object_del(j, "b");
    ck_assert_int_eq(fb_kr_parse_ticker(j, &bid, &ask), FB_ERR_PARSE);
    ck_assert_int_eq(fb_kr_parse_ticker(NULL, &bid, &ask), FB_ERR_PARSE);
    json_decref(j);
}
END_TEST

START_TEST(parse_small_results)
{
    char txid[FB_KR_TXID_MAX + 1];
    int64_t count;
    int pending;
    json_t *j = json_loads("{\"descr\":{\"order\":\"buy 1.45 XBTUSD @ limit 27500.0\"},"
                           "\"txid\":[\"OU22CG-KLAF2-FWUDD7\"]}",
                           0, NULL);
    ck_assert_int_eq(fb_kr_parse_add(j, txid), FB_OK);
    ck_assert_str_eq(txid, "OU22CG-KLAF2-FWUDD7");
    json_decref(j);
    j = json_loads("{\"descr\":{\"order\":\"x\"}}", 0, NULL); /* validate=true: no txid */
    ck_assert_int_eq(fb_kr_parse_add(j, txid), FB_ERR_PARSE);
    json_decref(j);
    j = json_loads("{\"count\":1,\"pending\":true}", 0, NULL);
    ck_assert_int_eq(fb_kr_parse_cancel(j, &count, &pending), FB_OK);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(pending, 1);
    json_decref(j);
    j = json_loads("{\"count\":\"1\"}", 0, NULL);
    ck_assert_int_eq(fb_kr_parse_cancel(j, &count, &pending), FB_ERR_PARSE);
    json_decref(j);
    j = json_loads("{\"amend_id\":\"TEZA4R-DSDGT-IJBOJK\"}", 0, NULL);
    ck_assert_int_eq(fb_kr_parse_amend(j), FB_OK);
    json_decref(j);
    j = json_loads("{\"amend_id\":null}", 0, NULL);
    ck_assert_int_eq(fb_kr_parse_amend(j), FB_ERR_PARSE);
    json_decref(j);
}
END_TEST

START_TEST(parse_trade)
{
    struct fb_kr_trade t;
    json_t *j = json_loads("{\"ordertxid\":\"OU22CG-KLAF2-FWUDD7\",\"pair\":\"XXBTZUSD\","
                           "\"time\":1688667796.8802,\"type\":\"buy\",\"ordertype\":\"limit\","
                           "\"price\":\"30010.0\",\"cost\":\"600.2\",\"fee\":\"0.96\","
                           "\"vol\":\"0.02000000\",\"margin\":\"0.0\",\"misc\":\"\","
                           "\"maker\":true}",
                           0, NULL);
    ck_assert_int_eq(fb_kr_parse_trade("TCCCTY-WE2O6-P3NB37", j, &t), FB_OK);
    ck_assert_str_eq(t.id, "TCCCTY-WE2O6-P3NB37");
    ck_assert_str_eq(t.ordertxid, "OU22CG-KLAF2-FWUDD7");
    ck_assert_str_eq(fmt(t.vol), "0.02");
    ck_assert_str_eq(fmt(t.price), "30010");
    ck_assert_int_eq(t.maker, 1);
    json_object_del(j, "maker");
    ck_assert_int_eq(fb_kr_parse_trade("TCCCTY-WE2O6-P3NB37", j, &t), FB_OK);
    ck_assert_int_eq(t.maker, -1);
    json_object_set_new(j, "vol", json_real(0.02));
    ck_assert_int_eq(fb_kr_parse_trade("TCCCTY-WE2O6-P3NB37", j, &t), FB_ERR_PARSE);
    json_decref(j);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kraken_proto");
    TCase *tc = tcase_create("pure");
    tcase_add_loop_test(tc, cl_ord_id_is_uuid5, 0, (int)(sizeof ids / sizeof ids[0]));
    tcase_add_test(tc, sign_matches_kraken_example);
    tcase_add_loop_test(tc, build_order_bodies, 0, (int)(sizeof builds / sizeof builds[0]));
    tcase_add_test(tc, signed_order_and_amend);
    tcase_add_loop_test(tc, classify_answers, 0, (int)(sizeof classes / sizeof classes[0]));
    tcase_add_test(tc, parse_reference_order);
    tcase_add_loop_test(tc, parse_order_refuses_mutations, 0,
                        (int)(sizeof bad_orders / sizeof bad_orders[0]));
    tcase_add_test(tc, parse_garbage_and_truncation);
    tcase_add_test(tc, parse_reference_pair);
    tcase_add_test(tc, parse_reference_ticker);
    tcase_add_test(tc, parse_small_results);
    tcase_add_test(tc, parse_trade);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
