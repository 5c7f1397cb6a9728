/*
 * Binance's pure half: request bytes (with signatures computed independently
 * in Python's hmac), answer classification, and strict parsing of the
 * REFERENCE.md sample bodies, garbage, truncation, JSON numbers where
 * decimal strings belong, unknown fields and unknown status values.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/binance_proto.h"
#include "adapters/sign.h"

#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

/* fb_bn_sign_query with a key made from SECRET for the one call. */
static enum fb_err sign_query(struct fb_bn_query *q, uint32_t recv_window_ms, int64_t ts)
{
    struct fb_sign_key *k = NULL;
    enum fb_err e = fb_sign_key_new(SECRET, &k);
    if (e == FB_OK)
        e = fb_bn_sign_query(q, k, recv_window_ms, ts);
    fb_sign_key_free(k);
    return e;
}
#define TS 1499827319559LL

static struct fb_dec D(const char *s) {
    struct fb_dec d = fb_dec_zero();
    if (s)
        ck_assert_msg(fb_dec_parse_str(s, &d) == FB_OK, "bad decimal %s", s);
    return d;
}

/* ---- request builders ---- */

struct build_case {
    const char *coid, *symbol;
    enum fb_venue_side side;
    enum fb_venue_ord_type type;
    enum fb_venue_tif tif;
    const char *qty, *price, *stop, *display, *quote;
    int post_only;
    enum fb_err want;
    const char *body; /* unsigned; NULL unless FB_OK */
    const char *sig;
};

static const struct build_case builds[] = {
    {"c1", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, "0.01", "52000.5", NULL, NULL,
     NULL, 0, FB_OK,
     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=52000.5&"
     "newClientOrderId=c1&newOrderRespType=FULL",
     "2c10691ff4f23c5e1dbbcc72a4e2e9b461ab17de6cea681bad0109fd644f8efa"},
    {"c2", "BTCUSDT", FB_VENUE_SELL, FB_VENUE_MARKET, FB_VENUE_IOC, "1.5", NULL, NULL, NULL, NULL,
     0, FB_OK,
     "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=1.5&newClientOrderId=c2&"
     "newOrderRespType=FULL",
     "4e4f93333b7228b8d2524fff1c6319ca1e4245aca78c87ed9787fe46550655ff"},
    {"c3", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_MARKET, FB_VENUE_GTC, NULL, NULL, NULL, NULL, "100", 0,
     FB_OK,
     "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100&newClientOrderId=c3&"
     "newOrderRespType=FULL",
     "653d5f3ab50183d2d139919b7035bab74444f41941512fee484f72a8485bb794"},
    {"c4", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, "2", "100", NULL, NULL, NULL, 1,
     FB_OK,
     "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=2&price=100&newClientOrderId=c4&"
     "newOrderRespType=FULL",
     "dba46509c46383a0be63f50bee4cc94877033ae20915d914655e9212920ca18a"},
    {"c5", "BTCUSDT", FB_VENUE_SELL, FB_VENUE_STOP, FB_VENUE_GTC, "3", NULL, "90", NULL, NULL, 0,
     FB_OK,
     "symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=3&stopPrice=90&newClientOrderId=c5&"
     "newOrderRespType=FULL",
     "494b939cb3768fc35b92f0be13b57d3ae5a66a04d929a5dd7b22a09a0c1695ff"},
    {"c6", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_STOP_LIMIT, FB_VENUE_IOC, "1", "111", "110", NULL,
     NULL, 0, FB_OK,
     "symbol=BTCUSDT&side=BUY&type=STOP_LOSS_LIMIT&timeInForce=IOC&quantity=1&price=111&"
     "stopPrice=110&newClientOrderId=c6&newOrderRespType=FULL",
     "d6f47b1912147b0dddebf7dbfc34bb4d9cad5a9d4f3c35e4518b6f98e60fb8bc"},
    /* TAKE_PROFIT(_LIMIT): the parameters of STOP_LOSS(_LIMIT) (A.8.6). */
    {"tp1", "BTCUSDT", FB_VENUE_SELL, FB_VENUE_TAKE_PROFIT, FB_VENUE_GTC, "3", NULL, "110", NULL,
     NULL, 0, FB_OK,
     "symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT&quantity=3&stopPrice=110&newClientOrderId=tp1&"
     "newOrderRespType=FULL",
     "ec459c41f35f5f2982521b0880e1e46a88aef0e9f402d7bd8e05e3c5c0551af5"},
    {"tp2", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_TAKE_PROFIT_LIMIT, FB_VENUE_GTC, "1", "89.5", "90",
     "0.5", NULL, 0, FB_OK,
     "symbol=BTCUSDT&side=BUY&type=TAKE_PROFIT_LIMIT&timeInForce=GTC&quantity=1&price=89.5&"
     "stopPrice=90&icebergQty=0.5&newClientOrderId=tp2&newOrderRespType=FULL",
     "5044e4403e46239e18b690ecacd39f2f36209dcbc0037641011b8f38c8f31e8d"},
    {"c7", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, "10", "1", NULL, "2", NULL, 0,
     FB_OK,
     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=10&price=1&icebergQty=2&"
     "newClientOrderId=c7&newOrderRespType=FULL",
     "58946cbe5545703486c1a3fca5f06b4d035ec9c5b18f90662dd25b887096fccb"},
    {"c8-x_Y", "BTCUSDT", FB_VENUE_SELL, FB_VENUE_LIMIT, FB_VENUE_FOK, "1", "2", NULL, NULL, NULL,
     0, FB_OK,
     "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=FOK&quantity=1&price=2&"
     "newClientOrderId=c8-x_Y&newOrderRespType=FULL",
     "4433538493eeca4cb1b66bb71e54664b7e98e14859cbfea58d800fcef3d66f9b"},
    {"c9", "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96", FB_VENUE_BUY,
     FB_VENUE_LIMIT, FB_VENUE_GTC, "1", "0.1", NULL, NULL, NULL, 0, FB_OK,
     "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
     "timeInForce=GTC&quantity=1&price=0.1&newClientOrderId=c9&newOrderRespType=FULL",
     "ccc836654d88b00c3c7f0b15b4d5e250ee66290ddb8a449822968561049f3d5a"},
    /* Market with Day (FIX's default): no timeInForce, as for IOC. */
    {"m1", "BTCUSDT", FB_VENUE_SELL, FB_VENUE_MARKET, FB_VENUE_DAY, "1.5", NULL, NULL, NULL, NULL,
     0, FB_OK,
     "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=1.5&newClientOrderId=m1&"
     "newOrderRespType=FULL",
     "758a6b7c4dd4bc884f3fbc2b8ef921f549b36bce10d1600071ff9b7caa4acf73"},
    {"m2", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_MARKET, FB_VENUE_DAY, NULL, NULL, NULL, NULL, "100", 0,
     FB_OK,
     "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100&newClientOrderId=m2&"
     "newOrderRespType=FULL",
     "c15a161c15d3dba6fa0e551c55ba7178282e6216a166f9cf04d397aff65e8ff6"},
    /* Refused: what Binance cannot do. */
    {"u8", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_MARKET, FB_VENUE_GTD, "1", NULL, NULL, NULL, NULL, 0,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    {"u1", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_DAY, "1", "1", NULL, NULL, NULL, 0,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    {"u2", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTD, "1", "1", NULL, NULL, NULL, 0,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    {"u3", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_MARKET, FB_VENUE_FOK, "1", NULL, NULL, NULL, NULL, 0,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    {"u4", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_IOC, "1", "1", NULL, NULL, NULL, 1,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    {"u5", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_IOC, "10", "1", NULL, "2", NULL, 0,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    {"u6", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_STOP, FB_VENUE_IOC, "1", NULL, "1", NULL, NULL, 0,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    {"u7", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, NULL, "1", NULL, NULL, "5", 0,
     FB_ERR_UNSUPPORTED, NULL, NULL},
    /* A take-profit market order is GTC only, as a stop-market is. */
    {"u8", "BTCUSDT", FB_VENUE_SELL, FB_VENUE_TAKE_PROFIT, FB_VENUE_IOC, "1", NULL, "1", NULL, NULL,
     0, FB_ERR_UNSUPPORTED, NULL, NULL},
    /* Post-only is for plain limits. */
    {"u9", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_TAKE_PROFIT_LIMIT, FB_VENUE_GTC, "1", "1", "1", NULL,
     NULL, 1, FB_ERR_UNSUPPORTED, NULL, NULL},
    /* Malformed: a take-profit-limit without its limit price. */
    {"m9", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_TAKE_PROFIT_LIMIT, FB_VENUE_GTC, "1", NULL, "1", NULL,
     NULL, 0, FB_ERR_INVALID, NULL, NULL},
    /* Malformed. */
    {"has.dot", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, "1", "1", NULL, NULL, NULL,
     0, FB_ERR_INVALID, NULL, NULL},
    {"i2", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_MARKET, FB_VENUE_IOC, "1", NULL, NULL, NULL, "5", 0,
     FB_ERR_INVALID, NULL, NULL},
    {"i3", "BTCUSDT", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, "1", NULL, NULL, NULL, NULL, 0,
     FB_ERR_INVALID, NULL, NULL},
    {"i4", "", FB_VENUE_BUY, FB_VENUE_LIMIT, FB_VENUE_GTC, "1", "1", NULL, NULL, NULL, 0,
     FB_ERR_INVALID, NULL, NULL},
};

START_TEST(build_table)
{
    const struct build_case *bc = &builds[_i];
    struct fb_venue_order o;
    struct fb_bn_query q;
    char why[128], want[FB_BN_QUERY_MAX + 1];
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "%s", bc->coid);
    snprintf(o.symbol, sizeof o.symbol, "%s", bc->symbol);
    o.side = bc->side;
    o.type = bc->type;
    o.tif = bc->tif;
    o.qty = D(bc->qty);
    o.price = D(bc->price);
    o.stop_price = D(bc->stop);
    o.display_qty = D(bc->display);
    o.quote_qty = D(bc->quote);
    o.post_only = bc->post_only != 0;
    enum fb_err e = fb_bn_build_order(&o, &q, why, sizeof why);
    ck_assert_msg(e == bc->want, "case %s: err %d want %d", bc->coid, e, bc->want);
    if (e == FB_ERR_UNSUPPORTED)
        ck_assert_msg(why[0] != '\0', "case %s: no reason", bc->coid);
    if (e != FB_OK)
        return;
    ck_assert_str_eq(q.buf, bc->body);
    ck_assert_int_eq(sign_query(&q, 5000, TS), FB_OK);
    snprintf(want, sizeof want, "%s&recvWindow=5000&timestamp=%lld&signature=%s", bc->body,
             (long long)TS, bc->sig);
    ck_assert_str_eq(q.buf, want);
}
END_TEST

/* REFERENCE.md A.4.1 vector 1 through the query builder and signer. */
START_TEST(sign_query_vector1)
{
    struct fb_bn_query q;
    fb_bn_q_init(&q);
    fb_bn_q_add(&q, "symbol", "LTCBTC");
    fb_bn_q_add(&q, "side", "BUY");
    fb_bn_q_add(&q, "type", "LIMIT");
    fb_bn_q_add(&q, "timeInForce", "GTC");
    fb_bn_q_add_dec(&q, "quantity", D("1"));
    fb_bn_q_add_dec(&q, "price", D("0.1"));
    ck_assert_int_eq(sign_query(&q, 5000, TS), FB_OK);
    ck_assert_str_eq(q.buf,
                     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
                     "recvWindow=5000&timestamp=1499827319559&signature="
                     "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}
END_TEST

START_TEST(query_overflow_sticks)
{
    struct fb_bn_query q;
    char big[FB_BN_QUERY_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fb_bn_q_init(&q);
    fb_bn_q_add(&q, "x", big);
    fb_bn_q_add(&q, "y", "1");
    ck_assert_int_eq(q.err, FB_ERR_TOO_LARGE);
    ck_assert_int_eq(sign_query(&q, 0, TS), FB_ERR_TOO_LARGE);
    fb_bn_q_init(&q);
    fb_bn_q_add_dec(&q, "price", D("-1")); /* no sign on Binance decimals */
    ck_assert_int_eq(q.err, FB_ERR_INVALID);
}
END_TEST

/* ---- classification ---- */

struct cls_case {
    const char *name;
    enum fb_http_outcome outcome;
    long status;
    const char *body;
    const char *headers;
    int writes;
    enum fb_bn_class want;
    long long code;
    enum fb_venue_reject_reason reason;
    long long retry_after_ms;
    int resync;
};

static const struct cls_case classes[] = {
    {"200 object", FB_HTTP_RESPONSE, 200, "{\"orderId\":1}", "", 1, FB_BN_OK, 0, FB_VRR_OTHER, 0,
     0},
    {"200 garbage, write", FB_HTTP_RESPONSE, 200, "<html>", "", 1, FB_BN_UNKNOWN, 0, FB_VRR_OTHER,
     0, 0},
    {"200 truncated, write", FB_HTTP_RESPONSE, 200, "{\"orderId\":1,\"sta", "", 1, FB_BN_UNKNOWN, 0,
     FB_VRR_OTHER, 0, 0},
    {"200 garbage, read", FB_HTTP_RESPONSE, 200, "nope", "", 0, FB_BN_RETRY, 0, FB_VRR_OTHER, 0, 0},
    {"200 duplicate keys", FB_HTTP_RESPONSE, 200, "{\"a\":1,\"a\":2}", "", 1, FB_BN_UNKNOWN, 0,
     FB_VRR_OTHER, 0, 0},
    {"200 bare string", FB_HTTP_RESPONSE, 200, "\"x\"", "", 1, FB_BN_UNKNOWN, 0, FB_VRR_OTHER, 0,
     0},
    {"-2010 duplicate", FB_HTTP_RESPONSE, 400, "{\"code\":-2010,\"msg\":\"Duplicate order sent.\"}",
     "", 1, FB_BN_REJECT, -2010, FB_VRR_DUPLICATE_ID, 0, 0},
    {"-2010 post-only", FB_HTTP_RESPONSE, 400,
     "{\"code\":-2010,\"msg\":\"Order would immediately match and take.\"}", "", 1, FB_BN_REJECT,
     -2010, FB_VRR_POST_ONLY, 0, 0},
    {"-2010 trigger", FB_HTTP_RESPONSE, 400,
     "{\"code\":-2010,\"msg\":\"Order would trigger immediately.\"}", "", 1, FB_BN_REJECT, -2010,
     FB_VRR_WOULD_TRIGGER, 0, 0},
    {"-2010 funds", FB_HTTP_RESPONSE, 400,
     "{\"code\":-2010,\"msg\":\"Account has insufficient balance for requested action.\"}", "", 1,
     FB_BN_REJECT, -2010, FB_VRR_FUNDS, 0, 0},
    {"-1013 filter", FB_HTTP_RESPONSE, 400, "{\"code\":-1013,\"msg\":\"Filter failure: LOT_SIZE\"}",
     "", 1, FB_BN_REJECT, -1013, FB_VRR_FILTER, 0, 0},
    {"-1121 symbol", FB_HTTP_RESPONSE, 400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}", "", 1,
     FB_BN_REJECT, -1121, FB_VRR_UNKNOWN_SYMBOL, 0, 0},
    {"-2011 unknown", FB_HTTP_RESPONSE, 400, "{\"code\":-2011,\"msg\":\"Unknown order sent.\"}", "",
     1, FB_BN_REJECT, -2011, FB_VRR_UNKNOWN_ORDER, 0, 0},
    {"-2013", FB_HTTP_RESPONSE, 400, "{\"code\":-2013,\"msg\":\"Order does not exist.\"}", "", 0,
     FB_BN_REJECT, -2013, FB_VRR_UNKNOWN_ORDER, 0, 0},
    {"-2015 401", FB_HTTP_RESPONSE, 401,
     "{\"code\":-2015,\"msg\":\"Invalid API-key, IP, or permissions for action.\"}", "", 1,
     FB_BN_REJECT, -2015, FB_VRR_OTHER, 0, 0},
    {"-1021 clock", FB_HTTP_RESPONSE, 400,
     "{\"code\":-1021,\"msg\":\"Timestamp for this request is outside of the recvWindow.\"}", "", 1,
     FB_BN_RETRY, -1021, FB_VRR_OTHER, 0, 1},
    {"-1007 timeout", FB_HTTP_RESPONSE, 400,
     "{\"code\":-1007,\"msg\":\"Timeout waiting for response from backend server.\"}", "", 1,
     FB_BN_UNKNOWN, -1007, FB_VRR_OTHER, 0, 0},
    {"503 -1008", FB_HTTP_RESPONSE, 503,
     "{\"code\":-1008,\"msg\":\"Server is currently overloaded\"}", "", 1, FB_BN_UNKNOWN, -1008,
     FB_VRR_OTHER, 0, 0},
    {"504 bare", FB_HTTP_RESPONSE, 504, "<html>Gateway Timeout</html>", "", 1, FB_BN_UNKNOWN, 0,
     FB_VRR_OTHER, 0, 0},
    {"400 no code", FB_HTTP_RESPONSE, 400, "{\"error\":\"x\"}", "", 1, FB_BN_UNKNOWN, 0,
     FB_VRR_OTHER, 0, 0},
    {"code as string", FB_HTTP_RESPONSE, 400, "{\"code\":\"-2010\",\"msg\":\"x\"}", "", 1,
     FB_BN_UNKNOWN, 0, FB_VRR_OTHER, 0, 0},
    {"429 retry-after", FB_HTTP_RESPONSE, 429,
     "{\"code\":-1003,\"msg\":\"Too much request weight\"}",
     "HTTP/1.1 429 Too Many\r\nretry-after: 7\r\n\r\n", 1, FB_BN_RETRY, -1003, FB_VRR_RATE_LIMIT,
     7000, 0},
    {"418 ban", FB_HTTP_RESPONSE, 418, "{\"code\":-1003,\"msg\":\"Way too much\"}",
     "HTTP/1.1 418 x\r\nRetry-After: 120\r\n\r\n", 1, FB_BN_RETRY, -1003, FB_VRR_RATE_LIMIT, 120000,
     0},
    {"429 no header", FB_HTTP_RESPONSE, 429, "", "", 1, FB_BN_RETRY, 0, FB_VRR_RATE_LIMIT, 1000, 0},
    {"403 WAF html", FB_HTTP_RESPONSE, 403, "<html>blocked</html>", "", 1, FB_BN_RETRY, 0,
     FB_VRR_OTHER, 1000, 0},
    {"not sent", FB_HTTP_NOT_SENT, 0, "", "", 1, FB_BN_RETRY, 0, FB_VRR_OTHER, 0, 0},
    {"timeout after send, write", FB_HTTP_UNKNOWN, 0, "", "", 1, FB_BN_UNKNOWN, 0, FB_VRR_OTHER, 0,
     0},
    {"timeout after send, read", FB_HTTP_UNKNOWN, 0, "", "", 0, FB_BN_RETRY, 0, FB_VRR_OTHER, 0, 0},
    {"too large, write", FB_HTTP_TOO_LARGE, 0, "", "", 1, FB_BN_UNKNOWN, 0, FB_VRR_OTHER, 0, 0},
    {"409 cancelReplace partial", FB_HTTP_RESPONSE, 409,
     "{\"code\":-2021,\"msg\":\"Order cancel-replace partially failed.\",\"data\":{}}", "", 1,
     FB_BN_OK, -2021, FB_VRR_OTHER, 0, 0},
};

START_TEST(classify_table)
{
    const struct cls_case *cc = &classes[_i];
    struct fb_http_response r;
    struct fb_bn_answer a;
    json_t *j = NULL;
    memset(&r, 0, sizeof r);
    r.outcome = cc->outcome;
    r.status = cc->status;
    r.body = cc->body;
    r.body_len = strlen(cc->body);
    r.headers = cc->headers;
    r.headers_len = strlen(cc->headers);
    r.error = "boom";
    enum fb_bn_class got = fb_bn_classify(&r, cc->writes, &a, &j);
    ck_assert_msg(got == cc->want && a.cls == got, "%s: class %d want %d", cc->name, got, cc->want);
    ck_assert_msg(a.code == cc->code, "%s: code %lld", cc->name, (long long)a.code);
    ck_assert_msg(a.reason == cc->reason, "%s: reason %d", cc->name, a.reason);
    ck_assert_msg(a.retry_after_ms == cc->retry_after_ms, "%s: retry_after %lld", cc->name,
                  (long long)a.retry_after_ms);
    ck_assert_int_eq(a.resync_clock, cc->resync);
    if (got == FB_BN_OK)
        ck_assert_ptr_nonnull(j);
    if (got == FB_BN_REJECT) {
        ck_assert_str_ne(a.msg, "");
        ck_assert_str_ne(a.code_text, "");
    }
    json_decref(j);
}
END_TEST

/* ---- parsing ---- */

/* REFERENCE.md A.8.6, FULL, plus a field we do not know. */
static const char *full_body =
    "{ \"symbol\": \"BTCUSDT\", \"orderId\": 28, \"orderListId\": -1,"
    "  \"clientOrderId\": \"6gCrw2kRUAF9CvJDGP16IP\", \"transactTime\": 1507725176595,"
    "  \"price\": \"0.00000000\", \"origQty\": \"10.00000000\", \"executedQty\": \"10.00000000\","
    "  \"origQuoteOrderQty\": \"0.000000\", \"cummulativeQuoteQty\": \"10.00000000\","
    "  \"status\": \"FILLED\", \"timeInForce\": \"GTC\", \"type\": \"MARKET\", \"side\": \"SELL\","
    "  \"workingTime\": 1507725176595, \"selfTradePreventionMode\": \"NONE\", \"brandNew\": [1],"
    "  \"fills\": ["
    "    {\"price\":\"4000.00000000\",\"qty\":\"1.00000000\",\"commission\":\"4.00000000\","
    "\"commissionAsset\":\"USDT\",\"tradeId\":56},"
    "    {\"price\":\"3999.00000000\",\"qty\":\"5.00000000\",\"commission\":\"19.99500000\","
    "\"commissionAsset\":\"USDT\",\"tradeId\":57},"
    "    {\"price\":\"3998.00000000\",\"qty\":\"2.00000000\",\"commission\":\"7.99600000\","
    "\"commissionAsset\":\"USDT\",\"tradeId\":58},"
    "    {\"price\":\"3997.00000000\",\"qty\":\"1.00000000\",\"commission\":\"3.99700000\","
    "\"commissionAsset\":\"USDT\",\"tradeId\":59},"
    "    {\"price\":\"3995.00000000\",\"qty\":\"1.00000000\",\"commission\":\"3.99500000\","
    "\"commissionAsset\":\"USDT\",\"tradeId\":60}"
    "  ] }";

START_TEST(parse_full_response)
{
    static const char *px[] = {"4000", "3999", "3998", "3997", "3995"};
    static const char *qty[] = {"1", "5", "2", "1", "1"};
    static const char *fee[] = {"4", "19.995", "7.996", "3.997", "3.995"};
    struct fb_bn_order o;
    json_t *j = fb_bn_json_load(full_body, strlen(full_body));
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(fb_bn_parse_order(j, &o), FB_OK);
    ck_assert_str_eq(o.symbol, "BTCUSDT");
    ck_assert_str_eq(o.client_order_id, "6gCrw2kRUAF9CvJDGP16IP");
    ck_assert_int_eq(o.order_id, 28);
    ck_assert_int_eq(o.time_ms, 1507725176595LL);
    ck_assert_int_eq(o.status, FB_BN_ST_FILLED);
    ck_assert_int_eq(fb_dec_cmp(o.executed_qty, D("10")), 0);
    ck_assert_uint_eq(o.n_fills, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(o.fills[i].trade_id, 56 + i);
        ck_assert_int_eq(fb_dec_cmp(o.fills[i].price, D(px[i])), 0);
        ck_assert_int_eq(fb_dec_cmp(o.fills[i].qty, D(qty[i])), 0);
        ck_assert_int_eq(fb_dec_cmp(o.fills[i].commission, D(fee[i])), 0);
        ck_assert_str_eq(o.fills[i].commission_asset, "USDT");
        ck_assert_int_eq(o.fills[i].is_maker, -1);
    }
    ck_assert_int_eq(fb_bn_state(o.status), FB_VOS_FILLED);
    json_decref(j);
}
END_TEST

/* Each is the FULL body with one substitution that must be refused. */
struct bad_order {
    const char *name, *from, *to;
};

static const struct bad_order bad_orders[] = {
    {"unknown status", "\"FILLED\"", "\"HALF_DONE\""},
    {"decimal as JSON real", "\"executedQty\": \"10.00000000\"", "\"executedQty\": 10.0"},
    {"decimal as JSON integer", "\"origQty\": \"10.00000000\"", "\"origQty\": 10"},
    {"fill price as real", "\"price\":\"4000.00000000\"", "\"price\":4000.5"},
    {"orderId as string", "\"orderId\": 28", "\"orderId\": \"28\""},
    {"missing status", "\"status\": \"FILLED\",", ""},
    {"missing tradeId", ",\"tradeId\":56", ""},
    {"exponent decimal", "\"executedQty\": \"10.00000000\"", "\"executedQty\": \"1e1\""},
    {"negative fill qty", "\"qty\":\"5.00000000\"", "\"qty\":\"-5\""},
    {"fills not an array", "\"fills\": [", "\"fills\": {\"a\":[ "},
    {"clientOrderId too long", "6gCrw2kRUAF9CvJDGP16IP",
     "6gCrw2kRUAF9CvJDGP16IP6gCrw2kRUAF9CvJDGP16IP"},
};

START_TEST(parse_bad_orders)
{
    const struct bad_order *b = &bad_orders[_i];
    char body[4096];
    const char *at = strstr(full_body, b->from);
    struct fb_bn_order o;
    json_t *j;
    ck_assert_ptr_nonnull(at);
    snprintf(body, sizeof body, "%.*s%s%s", (int)(at - full_body), full_body, b->to,
             at + strlen(b->from));
    j = fb_bn_json_load(body, strlen(body));
    if (j)
        ck_assert_msg(fb_bn_parse_order(j, &o) == FB_ERR_PARSE, "%s: accepted", b->name);
    json_decref(j);
}
END_TEST

START_TEST(parse_garbage_and_truncation)
{
    struct fb_bn_order o;
    /* Every prefix of the FULL body: never a crash, never a half order. */
    for (size_t n = 0; n < strlen(full_body) - 1; n++) {
        json_t *j = fb_bn_json_load(full_body, n);
        if (j)
            ck_assert_int_eq(fb_bn_parse_order(j, &o), FB_ERR_PARSE);
        json_decref(j);
    }
    ck_assert_ptr_null(fb_bn_json_load("\x01\xff garbage", 10));
    ck_assert_ptr_null(fb_bn_json_load("123", 3)); /* not an object or array */
    json_t *arr = fb_bn_json_load("[]", 2);
    ck_assert_int_eq(fb_bn_parse_order(arr, &o), FB_ERR_PARSE);
    json_decref(arr);
}
END_TEST

START_TEST(parse_query_and_cancel_answers)
{
    /* A.8.12 and A.8.8 samples. */
    const char *q = "{ \"symbol\": \"LTCBTC\", \"orderId\": 1, \"orderListId\": -1, "
                    "\"clientOrderId\": \"myOrder1\", \"price\": \"0.1\", \"origQty\": \"1.0\", "
                    "\"executedQty\": \"0.0\", \"cummulativeQuoteQty\": \"0.0\", \"status\": "
                    "\"NEW\", \"timeInForce\": \"GTC\", \"type\": \"LIMIT\", \"side\": \"BUY\", "
                    "\"stopPrice\": \"0.0\", \"icebergQty\": \"0.0\", \"time\": 1499827319559, "
                    "\"updateTime\": 1499827319559, \"isWorking\": true, \"workingTime\": "
                    "1499827319559, \"origQuoteOrderQty\": \"0.000000\", "
                    "\"selfTradePreventionMode\": \"NONE\" }";
    const char *c = "{ \"symbol\": \"LTCBTC\", \"origClientOrderId\": \"myOrder1\", \"orderId\": "
                    "4, \"orderListId\": -1, \"clientOrderId\": \"cancelMyOrder1\", "
                    "\"transactTime\": 1684804350068, \"price\": \"2.00000000\", \"origQty\": "
                    "\"1.00000000\", \"executedQty\": \"0.00000000\", \"origQuoteOrderQty\": "
                    "\"0.000000\", \"cummulativeQuoteQty\": \"0.00000000\", \"status\": "
                    "\"CANCELED\", \"timeInForce\": \"GTC\", \"type\": \"LIMIT\", \"side\": "
                    "\"BUY\", \"selfTradePreventionMode\": \"NONE\" }";
    struct fb_bn_order o;
    json_t *j = fb_bn_json_load(q, strlen(q));
    ck_assert_int_eq(fb_bn_parse_order(j, &o), FB_OK);
    ck_assert_int_eq(o.status, FB_BN_ST_NEW);
    ck_assert_int_eq(o.time_ms, 1499827319559LL); /* updateTime when no transactTime */
    ck_assert_int_eq(fb_dec_cmp(o.price, D("0.1")), 0);
    ck_assert_uint_eq(o.n_fills, 0);
    json_decref(j);
    j = fb_bn_json_load(c, strlen(c));
    ck_assert_int_eq(fb_bn_parse_order(j, &o), FB_OK);
    ck_assert_int_eq(o.status, FB_BN_ST_CANCELED);
    ck_assert_str_eq(o.orig_client_order_id, "myOrder1");
    ck_assert_str_eq(o.client_order_id, "cancelMyOrder1");
    ck_assert_int_eq(fb_bn_state(o.status), FB_VOS_CANCELED);
    json_decref(j);
}
END_TEST

START_TEST(parse_trades)
{
    const char *t = "[{ \"symbol\": \"BNBBTC\", \"id\": 28457, \"orderId\": 100234, "
                    "\"orderListId\": -1, \"price\": \"4.00000100\", \"qty\": \"12.00000000\", "
                    "\"quoteQty\": \"48.000012\", \"commission\": \"10.10000000\", "
                    "\"commissionAsset\": \"BNB\", \"time\": 1499865549590, \"isBuyer\": true, "
                    "\"isMaker\": false, \"isBestMatch\": true }]";
    struct fb_bn_trade tr;
    json_t *j = fb_bn_json_load(t, strlen(t));
    ck_assert_int_eq(fb_bn_parse_trade(json_array_get(j, 0), &tr), FB_OK);
    ck_assert_int_eq(tr.id, 28457);
    ck_assert_int_eq(tr.order_id, 100234);
    ck_assert_int_eq(fb_dec_cmp(tr.price, D("4.000001")), 0);
    ck_assert_int_eq(fb_dec_cmp(tr.commission, D("10.1")), 0);
    ck_assert_str_eq(tr.commission_asset, "BNB");
    ck_assert_int_eq(tr.is_maker, 0);
    json_object_set_new(json_array_get(j, 0), "isMaker", json_string("false"));
    ck_assert_int_eq(fb_bn_parse_trade(json_array_get(j, 0), &tr), FB_ERR_PARSE);
    json_decref(j);
}
END_TEST

START_TEST(parse_exchange_info)
{
    const char *s =
        "{\"timezone\":\"UTC\",\"serverTime\":1565246363776,\"symbols\":[{\"symbol\":\"ETHBTC\","
        "\"status\":\"TRADING\",\"baseAsset\":\"ETH\",\"quoteAsset\":\"BTC\",\"filters\":["
        "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.00000100\",\"maxPrice\":"
        "\"100000.00000000\",\"tickSize\":\"0.00000100\"},"
        "{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.00100000\",\"maxQty\":\"100000.00000000\","
        "\"stepSize\":\"0.00100000\"},"
        "{\"filterType\":\"ICEBERG_PARTS\",\"limit\":10},"
        "{\"filterType\":\"NOTIONAL\",\"minNotional\":\"10.00000000\",\"applyMinToMarket\":false,"
        "\"maxNotional\":\"10000.00000000\",\"applyMaxToMarket\":false,\"avgPriceMins\":5},"
        "{\"filterType\":\"SOMETHING_NEW\",\"x\":1}]}]}";
    struct fb_venue_market m;
    int64_t t;
    json_t *j = fb_bn_json_load(s, strlen(s));
    ck_assert_int_eq(fb_bn_parse_market(json_array_get(json_object_get(j, "symbols"), 0), &m),
                     FB_OK);
    ck_assert_str_eq(m.symbol, "ETHBTC");
    ck_assert_str_eq(m.base, "ETH");
    ck_assert_str_eq(m.quote, "BTC");
    ck_assert_int_eq(fb_dec_cmp(m.tick_size, D("0.000001")), 0);
    ck_assert_int_eq(fb_dec_cmp(m.step_size, D("0.001")), 0);
    ck_assert_int_eq(fb_dec_cmp(m.min_qty, D("0.001")), 0);
    ck_assert_int_eq(fb_dec_cmp(m.max_qty, D("100000")), 0);
    ck_assert_int_eq(fb_dec_cmp(m.min_notional, D("10")), 0);
    ck_assert_int_eq(fb_bn_parse_time(j, &t), FB_OK);
    ck_assert_int_eq(t, 1565246363776LL);
    json_decref(j);
}
END_TEST

/* ---- bookTicker (A.8.5) ---- */

struct ticker_case {
    const char *body;
    enum fb_err want;
    size_t n;                       /* entries on FB_OK */
    const char *symbol, *bid, *ask; /* the first entry on FB_OK */
};

#define TK(sym, bid, ask)                                                                          \
    "{\"symbol\":\"" sym "\",\"bidPrice\":" bid ",\"bidQty\":\"431.00000000\",\"askPrice\":" ask   \
    ",\"askQty\":\"9.00000000\"}"

static const struct ticker_case tickers[] = {
    /* the REFERENCE.md sample, one symbol: an object */
    {TK("LTCBTC", "\"4.00000000\"", "\"4.00000200\""), FB_OK, 1, "LTCBTC", "4", "4.000002"},
    /* symbols= / no symbol: an array */
    {"[" TK("BTCUSDT", "\"59999.99\"", "\"60000.01\"") "," TK("ETHBTC", "\"0.05\"",
                                                              "\"0.0501\"") "]",
     FB_OK, 2, "BTCUSDT", "59999.99", "60000.01"},
    {"[]", FB_OK, 0, NULL, NULL, NULL},
    /* an empty side is "0.00000000" */
    {TK("BTCUSDT", "\"0.00000000\"", "\"60000\""), FB_OK, 1, "BTCUSDT", "0", "60000"},
    /* unknown extra fields are fine; quantities are optional */
    {"{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"1\",\"askPrice\":\"2\",\"new\":[1]}", FB_OK, 1,
     "BTCUSDT", "1", "2"},
    /* JSON numbers where decimal strings belong: refused, never via a double */
    {TK("BTCUSDT", "59999.99", "\"60000.01\""), FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {TK("BTCUSDT", "\"59999.99\"", "60000"), FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {"{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"1\",\"bidQty\":2.5,\"askPrice\":\"2\"}", FB_ERR_PARSE,
     0, NULL, NULL, NULL},
    /* missing, null, garbage, negative, exponent, crossed */
    {"{\"symbol\":\"BTCUSDT\",\"askPrice\":\"2\"}", FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {"{\"bidPrice\":\"1\",\"askPrice\":\"2\"}", FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {TK("BTCUSDT", "null", "\"2\""), FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {TK("BTCUSDT", "\"abc\"", "\"2\""), FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {TK("BTCUSDT", "\"-1\"", "\"2\""), FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {TK("BTCUSDT", "\"1e3\"", "\"2000\""), FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {TK("BTCUSDT", "\"3\"", "\"2\""), FB_ERR_PARSE, 0, NULL, NULL, NULL},
    {"{\"symbol\":\"\",\"bidPrice\":\"1\",\"askPrice\":\"2\"}", FB_ERR_PARSE, 0, NULL, NULL, NULL},
    /* all or nothing: one bad entry spoils the array */
    {"[" TK("BTCUSDT", "\"1\"", "\"2\"") "," TK("ETHBTC", "0.05", "\"0.06\"") "]", FB_ERR_PARSE, 0,
     NULL, NULL, NULL},
    {"[1]", FB_ERR_PARSE, 0, NULL, NULL, NULL},
    /* more entries than asked room for */
    {"[" TK("A", "\"1\"", "\"2\"") "," TK("B", "\"1\"", "\"2\"") "," TK("C", "\"1\"", "\"2\"") "]",
     FB_ERR_PARSE, 0, NULL, NULL, NULL},
};

START_TEST(parse_ticker_table)
{
    const struct ticker_case *c = &tickers[_i];
    struct fb_bn_ticker t[2];
    size_t n = 99;
    json_t *j = fb_bn_json_load(c->body, strlen(c->body));
    ck_assert_msg(j != NULL, "case %d: not JSON", _i);
    ck_assert_int_eq(fb_bn_parse_tickers(j, t, 2, &n), c->want);
    ck_assert_int_eq(n, c->n);
    if (c->want == FB_OK && c->n > 0) {
        ck_assert_str_eq(t[0].symbol, c->symbol);
        ck_assert_int_eq(fb_dec_cmp(t[0].bid, D(c->bid)), 0);
        ck_assert_int_eq(fb_dec_cmp(t[0].ask, D(c->ask)), 0);
    }
    json_decref(j);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("binance_proto");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, build_table, 0, (int)(sizeof builds / sizeof builds[0]));
    tcase_add_test(tc, sign_query_vector1);
    tcase_add_test(tc, query_overflow_sticks);
    tcase_add_loop_test(tc, classify_table, 0, (int)(sizeof classes / sizeof classes[0]));
    tcase_add_test(tc, parse_full_response);
    tcase_add_loop_test(tc, parse_bad_orders, 0, (int)(sizeof bad_orders / sizeof bad_orders[0]));
    tcase_add_test(tc, parse_garbage_and_truncation);
    tcase_add_test(tc, parse_query_and_cancel_answers);
    tcase_add_test(tc, parse_trades);
    tcase_add_test(tc, parse_exchange_info);
    tcase_add_loop_test(tc, parse_ticker_table, 0, (int)(sizeof tickers / sizeof tickers[0]));
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
