/*
 * The Binance adapter end to end against a scripted fake Binance (libmicrohttpd
 * on 127.0.0.1, port from binding 0). The fake checks every signature and
 * the clock offset. Scenarios: start-up readiness; an order whose POST gets
 * a 5xx and was NOT placed (query first, then one resend with the SAME
 * client order id); one that WAS placed (query finds it, no resend; fills
 * from myTrades); a final -2010 reject; a resting order whose fills come
 * from polling, reported once each, then a requested cancel.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "adapters/binance.h"
#include "adapters/sign.h"
#include "adapters/venue.h"

#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define SKEW_MS 5000 /* the fake's clock runs ahead of ours */

enum post_mode {
    PM_FILL,
    PM_500_NOT_PLACED,
    PM_500_PLACED,
    PM_REJECT,
    PM_REST,
    PM_429,
    PM_503_NEVER /* every order POST: 503 -1008, nothing placed */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct MHD_Daemon *srv;
static unsigned short port;
static enum post_mode mode;
static int placed; /* the fake has the order */
static int polls;  /* GET /api/v3/order answered with the order */
static int n_get;  /* GET /api/v3/order, any answer */
static int query_fails; /* GET /api/v3/order answers 500 -1000 */
static int bad_sigs, bad_ts, n_post;
static const char *weight = "11";  /* x-mbx-used-weight-1m the fake reports */
static int64_t post_at[4];         /* arrival of the first POSTs */
static int replaced, replace_fail; /* cancelReplace: done / answer -2022 */
static char rep_qty[32], rep_orig[40], rep_price[32];
static char log_[64][96]; /* "METHOD path coid" in arrival order */
static int n_log;
static int tickers;             /* bookTicker requests (not in log_) */
static char ticker_q[128];      /* the last one's query */
static const char *ticker_body; /* NULL: a 404 */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct req {
    char uri[2048];
    char body[2048];
    size_t body_len;
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct req *r = calloc(1, sizeof *r);
    (void)cls;
    (void)c;
    snprintf(r->uri, sizeof r->uri, "%s", uri);
    return r;
}

static void completed(void *cls, struct MHD_Connection *c, void **ctx,
                      enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    free(*ctx);
    *ctx = NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                                             MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    MHD_add_response_header(r, "x-mbx-used-weight-1m", weight);
    MHD_add_response_header(r, "x-mbx-order-count-10s", "3");
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Checks payload (everything before &signature=) against its signature
 * and the timestamp against the fake's clock. */
static void check_signed(const char *payload)
{
    const char *s = strstr(payload, "&signature=");
    const char *t = strstr(payload, "timestamp=");
    char sig[FB_SIGN_BINANCE_HEX_LEN + 1];
    if (!s || fb_sign_binance(SECRET, payload, (size_t)(s - payload), NULL, 0, sig) != FB_OK ||
        strncmp(s + 11, sig, 64) != 0) {
        bad_sigs++;
        return;
    }
    long long ts = t ? atoll(t + 10) : 0;
    long long fake_now = now_ns() / 1000000 + SKEW_MS;
    if (ts < fake_now - 1500 || ts > fake_now + 1000)
        bad_ts++;
}

static void arg(const char *payload, const char *key, char *out, size_t cap)
{
    char k[64];
    const char *p;
    snprintf(k, sizeof k, "%s=", key);
    out[0] = '\0';
    for (p = payload; (p = strstr(p, k)); p++)
        if (p == payload || p[-1] == '&' || p[-1] == '?')
            break;
    if (!p)
        return;
    p += strlen(k);
    size_t n = strcspn(p, "&");
    snprintf(out, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), p);
}

static const char *order_json_id(int id, const char *coid, const char *status, const char *exec,
                                 const char *fills)
{
    static char b[2048];
    snprintf(b, sizeof b,
             "{\"symbol\":\"BTCUSDT\",\"orderId\":%d,\"orderListId\":-1,\"clientOrderId\":\"%s\","
             "\"transactTime\":1700000000000,\"price\":\"100.00\",\"origQty\":\"1.00000000\","
             "\"executedQty\":\"%s\",\"cummulativeQuoteQty\":\"0\",\"status\":\"%s\","
             "\"timeInForce\":\"GTC\",\"type\":\"LIMIT\",\"side\":\"BUY\"%s%s%s}",
             id, coid, exec, status, fills ? ",\"fills\":[" : "", fills ? fills : "",
             fills ? "]" : "");
    return b;
}

static const char *order_json(const char *coid, const char *status, const char *exec,
                              const char *fills)
{
    return order_json_id(77, coid, status, exec, fills);
}

#define FILLS                                                                                      \
    "{\"price\":\"100.00\",\"qty\":\"0.4\",\"commission\":\"0.04\",\"commissionAsset\":\"USDT\","  \
    "\"tradeId\":501},{\"price\":\"99.50\",\"qty\":\"0.6\",\"commission\":\"0.06\","               \
    "\"commissionAsset\":\"USDT\",\"tradeId\":502}"

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **ctx)
{
    struct req *r = *ctx;
    char coid[64], payload[4096];
    const char *q;
    enum MHD_Result ret;
    (void)cls;
    (void)version;
    if (*upload_size) {
        size_t n = *upload_size;
        if (r->body_len + n < sizeof r->body) {
            memcpy(r->body + r->body_len, upload, n);
            r->body_len += n;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") == 0 && r->body_len == 0 &&
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length") &&
        strcmp(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length"), "0") != 0)
        return MHD_YES; /* body still to come */
    q = strchr(r->uri, '?');
    snprintf(payload, sizeof payload, "%s", strcmp(method, "POST") == 0 ? r->body : q ? q + 1 : "");
    pthread_mutex_lock(&mu);
    if (strcmp(url, "/api/v3/ticker/bookTicker") == 0) {
        /* public: no key, no signature; kept out of log_ (it runs all the time) */
        tickers++;
        snprintf(ticker_q, sizeof ticker_q, "%s", q ? q + 1 : "");
        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-MBX-APIKEY") ||
            strstr(payload, "signature="))
            bad_sigs++;
        ret = ticker_body ? reply(c, 200, ticker_body)
                          : reply(c, 400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
        pthread_mutex_unlock(&mu);
        return ret;
    }
    arg(payload, strcmp(method, "POST") == 0 ? "newClientOrderId" : "origClientOrderId", coid,
        sizeof coid);
    if (n_log < 64)
        snprintf(log_[n_log++], sizeof log_[0], "%s %s %s", method, url, coid);
    if (strcmp(url, "/api/v3/time") == 0) {
        char b[64];
        snprintf(b, sizeof b, "{\"serverTime\":%lld}", (long long)(now_ns() / 1000000 + SKEW_MS));
        ret = reply(c, 200, b);
    } else if (strcmp(url, "/api/v3/exchangeInfo") == 0) {
        ret = reply(c, 200,
                    "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"baseAsset\":\"BTC\",\"quoteAsset\":"
                    "\"USDT\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"tickSize\":"
                    "\"0.01\"},{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.001\",\"maxQty\":"
                    "\"100\",\"stepSize\":\"0.001\"}]}]}");
    } else {
        const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-MBX-APIKEY");
        if (!key || strcmp(key, KEY) != 0)
            bad_sigs++;
        check_signed(payload);
        if (strcmp(method, "POST") == 0 && strcmp(url, "/api/v3/order") == 0) {
            if (n_post < 4)
                post_at[n_post] = now_ns();
            n_post++;
            if (mode == PM_429 && n_post == 1) {
                struct MHD_Response *rs = MHD_create_response_from_buffer(
                    strlen("{\"code\":-1003,\"msg\":\"Too much request weight used\"}"),
                    (void *)(uintptr_t) "{\"code\":-1003,\"msg\":\"Too much request weight used\"}",
                    MHD_RESPMEM_MUST_COPY);
                MHD_add_response_header(rs, "Retry-After", "1");
                ret = MHD_queue_response(c, 429, rs);
                MHD_destroy_response(rs);
            } else if (mode == PM_503_NEVER) {
                ret = reply(c, 503,
                            "{\"code\":-1008,\"msg\":\"Server is currently overloaded with "
                            "other requests. Please try again in a few minutes.\"}");
            } else if (mode == PM_500_NOT_PLACED && n_post == 1) {
                ret = reply(c, 500, "{\"code\":-1000,\"msg\":\"An unknown error occurred\"}");
            } else if (mode == PM_500_PLACED) {
                placed = 1;
                ret = reply(c, 502, "<html>Bad Gateway</html>");
            } else if (mode == PM_REJECT) {
                ret = reply(c, 400,
                            "{\"code\":-2010,\"msg\":\"Account has insufficient balance "
                            "for requested action.\"}");
            } else if (mode == PM_REST) {
                placed = 1;
                ret = reply(c, 200, order_json(coid, "NEW", "0", ""));
            } else {
                placed = 1;
                ret = reply(c, 200, order_json(coid, "FILLED", "1", FILLS));
            }
        } else if (strcmp(method, "POST") == 0 && strcmp(url, "/api/v3/order/cancelReplace") == 0) {
            arg(payload, "quantity", rep_qty, sizeof rep_qty);
            arg(payload, "price", rep_price, sizeof rep_price);
            arg(payload, "cancelOrigClientOrderId", rep_orig, sizeof rep_orig);
            if (replace_fail) {
                ret = reply(c, 400,
                            "{\"code\":-2022,\"msg\":\"Order cancel-replace failed.\",\"data\":{"
                            "\"cancelResult\":\"FAILURE\",\"newOrderResult\":\"NOT_ATTEMPTED\","
                            "\"cancelResponse\":{\"code\":-2011,\"msg\":\"Unknown order sent.\"},"
                            "\"newOrderResponse\":null}}");
            } else {
                char b[4096];
                replaced = 1;
                snprintf(b, sizeof b,
                         "{\"cancelResult\":\"SUCCESS\",\"newOrderResult\":\"SUCCESS\","
                         "\"cancelResponse\":%s,",
                         order_json("cxl", "CANCELED", "0.4", NULL));
                snprintf(b + strlen(b), sizeof b - strlen(b), "\"newOrderResponse\":%s}",
                         order_json_id(78, coid, "NEW", "0", ""));
                ret = reply(c, 200, b);
            }
        } else if (strcmp(method, "GET") == 0 && strcmp(url, "/api/v3/order") == 0) {
            n_get++;
            if (query_fails) {
                ret = reply(c, 500, "{\"code\":-1000,\"msg\":\"An unknown error occurred\"}");
            } else if (replaced) {
                ret = reply(c, 200, order_json_id(78, coid, "NEW", "0", NULL));
            } else if (!placed) {
                ret = reply(c, 400, "{\"code\":-2013,\"msg\":\"Order does not exist.\"}");
            } else if (mode == PM_REST) {
                polls++;
                ret = reply(c, 200,
                            order_json(coid, polls == 1 ? "NEW" : "PARTIALLY_FILLED",
                                       polls == 1 ? "0" : "0.4", NULL));
            } else {
                ret = reply(c, 200, order_json(coid, "FILLED", "1", NULL));
            }
        } else if (strcmp(method, "GET") == 0 && strcmp(url, "/api/v3/myTrades") == 0) {
            if (mode == PM_REST)
                ret =
                    reply(c, 200,
                          "[{\"symbol\":\"BTCUSDT\",\"id\":900,\"orderId\":77,\"price\":"
                          "\"100.00\",\"qty\":\"0.4\",\"commission\":\"0.01\","
                          "\"commissionAsset\":\"BNB\",\"time\":1700000000100,\"isMaker\":true}]");
            else
                ret =
                    reply(c, 200,
                          "[{\"symbol\":\"BTCUSDT\",\"id\":501,\"orderId\":77,\"price\":"
                          "\"100.00\",\"qty\":\"0.4\",\"commission\":\"0.04\",\"commissionAsset\":"
                          "\"USDT\",\"time\":1,\"isMaker\":false},{\"symbol\":\"BTCUSDT\",\"id\":"
                          "502,\"orderId\":77,\"price\":\"99.50\",\"qty\":\"0.6\",\"commission\":"
                          "\"0.06\",\"commissionAsset\":\"USDT\",\"time\":2,\"isMaker\":false}]");
        } else if (strcmp(method, "DELETE") == 0 && strcmp(url, "/api/v3/order") == 0) {
            ret = reply(c, 200, order_json("cx1", "CANCELED", "0.4", NULL));
        } else {
            ret = reply(c, 404, "{\"code\":-1,\"msg\":\"no route\"}");
        }
    }
    pthread_mutex_unlock(&mu);
    return ret;
}

static void srv_start(enum post_mode m)
{
    mode = m;
    placed = polls = bad_sigs = bad_ts = n_post = n_log = 0;
    n_get = query_fails = 0;
    replaced = replace_fail = 0;
    weight = "11";
    tickers = 0;
    ticker_q[0] = '\0';
    ticker_body = "{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"99.50000000\",\"bidQty\":\"1.0\","
                  "\"askPrice\":\"100.50000000\",\"askQty\":\"2.0\"}";
    srv = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                           MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
                           completed, NULL, MHD_OPTION_END);
    ck_assert_ptr_nonnull(srv);
    port = MHD_get_daemon_info(srv, MHD_DAEMON_INFO_BIND_PORT)->port;
}

/* ---- the adapter side ---- */

struct rec {
    struct fb_venue_event ev[32];
    int n;
    int n_written; /* sink on_written calls */
    int64_t written_origin, written_at;
};

static void on_event(void *user, const struct fb_venue_event *ev)
{
    struct rec *r = user;
    if (r->n < 32)
        r->ev[r->n++] = *ev;
}

static void on_written(void *user, int64_t origin_ns, int64_t written_ns)
{
    struct rec *r = user;
    r->n_written++;
    r->written_origin = origin_ns;
    r->written_at = written_ns;
}

static const struct fb_venue_ops *ops;
static void *st;
static struct rec rec;

static void adapter_start(void)
{
    char url[64], err[256] = "";
    const char *syms[] = {"BTCUSDT"};
    struct fb_binance_params p;
    struct fb_venue_sink sink = {&rec, on_event, on_written};
    struct fb_venue_market m;
    memset(&rec, 0, sizeof rec);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    memset(&p, 0, sizeof p);
    p.base_url = url;
    p.api_key = KEY;
    p.api_secret = SECRET;
    p.symbols = syms;
    p.n_symbols = 1;
    p.request_timeout_ms = 2000;
    p.poll_interval_ms = 30;
    p.retry_base_ms = 20;
    p.seed = 42;
    ops = fb_venue_find("binance");
    ck_assert_ptr_nonnull(ops);
    ck_assert_int_eq(ops->create(&p, &sink, &st, err, sizeof err), FB_OK);
    ck_assert_int_eq(ops->market(st, "BTCUSDT", &m), FB_ERR_STATE); /* not loaded yet */
    int64_t end = now_ns() + 3000000000LL;
    while (ops->market(st, "BTCUSDT", &m) == FB_ERR_STATE && now_ns() < end) {
        ck_assert_int_eq(ops->run(st, now_ns()), FB_OK);
        usleep(1000);
    }
    ck_assert_int_eq(ops->market(st, "BTCUSDT", &m), FB_OK);
    ck_assert_int_eq(ops->market(st, "ETHBTC", &m), FB_ERR_NOT_FOUND);
}

/* Runs until `n` events arrived or ms passed. */
static void run_until(int n, int ms)
{
    int64_t end = now_ns() + (int64_t)ms * 1000000;
    while (rec.n < n && now_ns() < end) {
        int64_t t = now_ns();
        ck_assert_int_eq(ops->run(st, t), FB_OK);
        ck_assert_msg(now_ns() - t < 100000000LL, "run() blocked");
        usleep(1000);
    }
}

static void stop_all(void)
{
    ops->destroy(st);
    st = NULL;
    MHD_stop_daemon(srv);
    ck_assert_int_eq(bad_sigs, 0);
    ck_assert_int_eq(bad_ts, 0);
}

static void submit_limit(const char *coid)
{
    struct fb_venue_order o;
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "%s", coid);
    snprintf(o.symbol, sizeof o.symbol, "BTCUSDT");
    o.side = FB_VENUE_BUY;
    o.type = FB_VENUE_LIMIT;
    o.tif = FB_VENUE_GTC;
    ck_assert_int_eq(fb_dec_parse_str("1", &o.qty), FB_OK);
    ck_assert_int_eq(fb_dec_parse_str("100", &o.price), FB_OK);
    o.origin_ns = now_ns() - 1000; /* "read off the FIX socket" a us ago */
    ck_assert_int_eq(ops->submit(st, &o, now_ns()), FB_OK);
}

static void expect(int i, enum fb_venue_event_kind k, const char *trade_id)
{
    ck_assert_msg(i < rec.n, "event %d missing (have %d)", i, rec.n);
    ck_assert_msg(rec.ev[i].kind == k, "event %d is %s, want %s", i,
                  fb_venue_event_kind_name(rec.ev[i].kind), fb_venue_event_kind_name(k));
    if (trade_id)
        ck_assert_str_eq(rec.ev[i].u.fill.trade_id, trade_id);
}

START_TEST(filled_at_once)
{
    srv_start(PM_FILL);
    adapter_start();
    int64_t before = now_ns();
    submit_limit("c1");
    run_until(3, 3000);
    /* the request's write was seen once, after its origin */
    ck_assert_int_eq(rec.n_written, 1);
    ck_assert_int_ge(rec.written_origin, before - 1000);
    ck_assert_int_gt(rec.written_at, rec.written_origin);
    ck_assert_int_le(rec.written_at, now_ns());
    expect(0, FB_VEV_ACK, NULL);
    ck_assert_str_eq(rec.ev[0].venue_order_id, "77");
    expect(1, FB_VEV_FILL, "501");
    expect(2, FB_VEV_FILL, "502");
    ck_assert_int_eq(fb_dec_is_zero(rec.ev[2].u.fill.leaves_qty), 1);
    ck_assert_str_eq(rec.ev[2].u.fill.fee_currency, "USDT");
    run_until(99, 100); /* nothing more: FILLED closes it */
    ck_assert_int_eq(rec.n, 3);
    ck_assert_int_eq(fb_binance_rate_usage(st, "used-weight-1m"), 11);
    ck_assert_int_eq(fb_binance_rate_usage(st, "order-count-10s"), 3);
    ck_assert_int_eq(fb_binance_rate_usage(st, "order-count-1d"), -1);
    /* Closed: a cancel is too late; ten minutes on, the order is forgotten. */
    struct fb_venue_cancel cx;
    memset(&cx, 0, sizeof cx);
    snprintf(cx.client_order_id, sizeof cx.client_order_id, "c1");
    snprintf(cx.request_id, sizeof cx.request_id, "x1");
    ck_assert_int_eq(ops->cancel(st, &cx, now_ns()), FB_OK);
    run_until(4, 500);
    expect(3, FB_VEV_CANCEL_REJECT, NULL);
    ck_assert_int_eq(rec.ev[3].u.rej.reason, FB_VRR_TOO_LATE);
    ck_assert_int_eq(ops->run(st, now_ns() + 601000000000LL), FB_OK);
    ck_assert_int_eq(ops->cancel(st, &cx, now_ns()), FB_OK);
    run_until(5, 500);
    expect(4, FB_VEV_CANCEL_REJECT, NULL);
    ck_assert_int_eq(rec.ev[4].u.rej.reason, FB_VRR_UNKNOWN_ORDER);
    stop_all();
}
END_TEST

START_TEST(unknown_outcome_not_placed_resends_same_id)
{
    srv_start(PM_500_NOT_PLACED);
    adapter_start();
    submit_limit("c2");
    run_until(3, 4000);
    expect(0, FB_VEV_ACK, NULL);
    expect(1, FB_VEV_FILL, "501");
    expect(2, FB_VEV_FILL, "502");
    ck_assert_int_eq(n_post, 2);
    /* POST, then the query, then the resend, all with the same id. */
    int i = 0;
    while (i < n_log && strncmp(log_[i], "POST /api/v3/order ", 19) != 0)
        i++;
    ck_assert_int_lt(i + 2, n_log);
    ck_assert_str_eq(log_[i], "POST /api/v3/order c2");
    ck_assert_str_eq(log_[i + 1], "GET /api/v3/order c2");
    ck_assert_str_eq(log_[i + 2], "POST /api/v3/order c2");
    ck_assert_int_eq(rec.n_written, 1); /* the first attempt only */
    stop_all();
}
END_TEST

START_TEST(unknown_outcome_placed_no_resend)
{
    srv_start(PM_500_PLACED);
    adapter_start();
    submit_limit("c3");
    run_until(3, 4000);
    expect(0, FB_VEV_ACK, NULL);
    expect(1, FB_VEV_FILL, "501"); /* from myTrades */
    expect(2, FB_VEV_FILL, "502");
    ck_assert_int_eq(rec.ev[1].u.fill.liquidity, FB_VLIQ_TAKER);
    run_until(99, 150);
    ck_assert_int_eq(rec.n, 3);
    ck_assert_int_eq(n_post, 1);
    stop_all();
}
END_TEST

START_TEST(final_reject_carries_code_and_text)
{
    srv_start(PM_REJECT);
    adapter_start();
    submit_limit("c4");
    run_until(1, 3000);
    expect(0, FB_VEV_REJECT, NULL);
    ck_assert_int_eq(rec.ev[0].u.rej.cls, FB_VREJ_FINAL);
    ck_assert_int_eq(rec.ev[0].u.rej.reason, FB_VRR_FUNDS);
    ck_assert_str_eq(rec.ev[0].u.rej.code, "-2010");
    ck_assert_str_eq(rec.ev[0].u.rej.text,
                     "Account has insufficient balance for requested action.");
    run_until(99, 100);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(n_post, 1);
    stop_all();
}
END_TEST

START_TEST(resting_fill_polled_once_then_cancel)
{
    struct fb_venue_cancel cx;
    srv_start(PM_REST);
    adapter_start();
    submit_limit("c5");
    run_until(2, 4000);
    expect(0, FB_VEV_ACK, NULL);
    expect(1, FB_VEV_FILL, "900");
    ck_assert_int_eq(rec.ev[1].u.fill.liquidity, FB_VLIQ_MAKER);
    ck_assert_str_eq(rec.ev[1].u.fill.fee_currency, "BNB");
    run_until(99, 200); /* several more polls: the same trade is not reported again */
    ck_assert_int_eq(rec.n, 2);
    ck_assert_int_ge(polls, 3);
    memset(&cx, 0, sizeof cx);
    snprintf(cx.client_order_id, sizeof cx.client_order_id, "c5");
    snprintf(cx.request_id, sizeof cx.request_id, "cx1");
    ck_assert_int_eq(ops->cancel(st, &cx, now_ns()), FB_OK);
    run_until(3, 3000);
    expect(2, FB_VEV_CANCELED, NULL);
    ck_assert_int_eq(rec.ev[2].u.canceled.reason, FB_VCXL_REQUESTED);
    ck_assert_str_eq(rec.ev[2].request_id, "cx1");
    stop_all();
}
END_TEST

/* FIX replace: new total qty 2 with 0.4 filled -> a Binance replacement of
 * 1.6; one REPLACED with the new order id; later polls use the new id. */
START_TEST(replace_maps_to_cancel_replace)
{
    struct fb_venue_replace rp;
    srv_start(PM_REST);
    adapter_start();
    submit_limit("c7");
    run_until(2, 4000);
    expect(1, FB_VEV_FILL, "900");
    memset(&rp, 0, sizeof rp);
    snprintf(rp.client_order_id, sizeof rp.client_order_id, "c7");
    snprintf(rp.new_client_order_id, sizeof rp.new_client_order_id, "c7r");
    ck_assert_int_eq(fb_dec_parse_str("2", &rp.qty), FB_OK);
    ck_assert_int_eq(fb_dec_parse_str("101", &rp.price), FB_OK);
    ck_assert_int_eq(ops->replace(st, &rp, now_ns()), FB_OK);
    run_until(3, 3000);
    expect(2, FB_VEV_REPLACED, NULL);
    ck_assert_str_eq(rec.ev[2].client_order_id, "c7");
    ck_assert_str_eq(rec.ev[2].request_id, "c7r");
    ck_assert_str_eq(rec.ev[2].venue_order_id, "78");
    char b[FB_DEC_STRMAX];
    fb_dec_format(rec.ev[2].u.replaced.leaves_qty, b);
    ck_assert_str_eq(b, "1.6");
    fb_dec_format(rec.ev[2].u.replaced.cum_qty, b);
    ck_assert_str_eq(b, "0.4");
    pthread_mutex_lock(&mu);
    ck_assert_str_eq(rep_qty, "1.6");
    ck_assert_str_eq(rep_price, "101");
    ck_assert_str_eq(rep_orig, "c7");
    pthread_mutex_unlock(&mu);
    run_until(99, 150);
    ck_assert_int_eq(rec.n, 3);
    pthread_mutex_lock(&mu);
    ck_assert_str_eq(log_[n_log - 1], "GET /api/v3/order c7r");
    pthread_mutex_unlock(&mu);
    stop_all();
}
END_TEST

START_TEST(replace_rejected_when_cancel_fails)
{
    struct fb_venue_replace rp;
    srv_start(PM_REST);
    replace_fail = 1;
    adapter_start();
    submit_limit("c8");
    run_until(1, 4000);
    expect(0, FB_VEV_ACK, NULL);
    memset(&rp, 0, sizeof rp);
    snprintf(rp.client_order_id, sizeof rp.client_order_id, "c8");
    snprintf(rp.new_client_order_id, sizeof rp.new_client_order_id, "c8r");
    ck_assert_int_eq(fb_dec_parse_str("0.5", &rp.qty), FB_OK);
    ck_assert_int_eq(ops->replace(st, &rp, now_ns()), FB_OK);
    int64_t end = now_ns() + 3000000000LL;
    int at = -1;
    while (at < 0 && now_ns() < end) {
        run_until(rec.n + 1, 50);
        for (int i = 0; i < rec.n; i++)
            if (rec.ev[i].kind == FB_VEV_REPLACE_REJECT)
                at = i;
    }
    ck_assert_int_ge(at, 0);
    ck_assert_str_eq(rec.ev[at].request_id, "c8r");
    ck_assert_int_eq(rec.ev[at].u.rej.reason, FB_VRR_TOO_LATE);
    ck_assert_str_eq(rec.ev[at].u.rej.code, "-2022");
    ck_assert_str_eq(rec.ev[at].u.rej.text, "Unknown order sent.");
    stop_all();
}
END_TEST

START_TEST(rate_limited_waits_for_retry_after)
{
    srv_start(PM_429);
    adapter_start();
    submit_limit("c9");
    run_until(3, 5000);
    expect(0, FB_VEV_ACK, NULL);
    ck_assert_int_eq(n_post, 2);
    ck_assert_msg(post_at[1] - post_at[0] >= 950000000LL, "resent after %lld ms",
                  (long long)((post_at[1] - post_at[0]) / 1000000));
    ck_assert_str_eq(log_[n_log - 1], "POST /api/v3/order c9");
    stop_all();
}
END_TEST

/* At 90% of the minute's weight (default limit 6000) polling pauses. */
START_TEST(polling_pauses_near_weight_limit)
{
    srv_start(PM_REST);
    weight = "5999";
    adapter_start();
    submit_limit("c10");
    run_until(1, 3000);
    expect(0, FB_VEV_ACK, NULL);
    pthread_mutex_lock(&mu);
    int t0 = tickers; /* the start-up one went out regardless */
    pthread_mutex_unlock(&mu);
    ck_assert_int_ge(t0, 1);
    run_until(99, 300);
    ck_assert_int_eq(polls, 0);
    ck_assert_int_eq(rec.n, 1);
    pthread_mutex_lock(&mu);
    ck_assert_int_eq(tickers, t0); /* the ticker poll yields too */
    pthread_mutex_unlock(&mu);
    stop_all();
}
END_TEST

/* An id this process never sent (a restart): Binance is asked, not guessed. */
START_TEST(query_of_order_sent_before_restart)
{
    srv_start(PM_FILL);
    adapter_start();
    ck_assert_int_eq(ops->query(st, "zz1", now_ns()), FB_OK);
    run_until(1, 3000);
    expect(0, FB_VEV_STATUS, NULL);
    ck_assert_int_eq(rec.ev[0].u.status.state, FB_VOS_UNKNOWN);
    pthread_mutex_lock(&mu);
    ck_assert_str_eq(log_[n_log - 1], "GET /api/v3/order zz1");
    placed = 1;
    pthread_mutex_unlock(&mu);
    ck_assert_int_eq(ops->query(st, "zz2", now_ns()), FB_OK);
    run_until(2, 3000);
    expect(1, FB_VEV_STATUS, NULL);
    ck_assert_str_eq(rec.ev[1].client_order_id, "zz2");
    ck_assert_int_eq(rec.ev[1].u.status.state, FB_VOS_FILLED);
    ck_assert_str_eq(rec.ev[1].venue_order_id, "77");
    stop_all();
}
END_TEST

START_TEST(refusals_before_sending)
{
    struct fb_venue_order o;
    srv_start(PM_FILL);
    adapter_start();
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "c.6"); /* '.' not on Binance */
    snprintf(o.symbol, sizeof o.symbol, "BTCUSDT");
    o.type = FB_VENUE_MARKET;
    o.tif = FB_VENUE_IOC;
    ck_assert_int_eq(fb_dec_parse_str("1", &o.qty), FB_OK);
    ck_assert_int_eq(ops->submit(st, &o, now_ns()), FB_ERR_INVALID);
    snprintf(o.client_order_id, sizeof o.client_order_id, "c6");
    o.tif = FB_VENUE_FOK; /* a MARKET remainder expires: no all-or-none */
    ck_assert_int_eq(ops->submit(st, &o, now_ns()), FB_OK);
    ck_assert_int_eq(rec.n, 0); /* events only from run() */
    run_until(1, 500);
    expect(0, FB_VEV_REJECT, NULL);
    ck_assert_int_eq(rec.ev[0].u.rej.reason, FB_VRR_UNSUPPORTED);
    ck_assert_str_eq(rec.ev[0].u.rej.text, "Binance market orders cannot be fill-or-kill");
    ck_assert_int_eq(n_post, 0);
    stop_all();
}
END_TEST

/* The touch from bookTicker: polled at start-up (before ready) and every
 * poll interval, as of when each answer arrived; a failed poll keeps the
 * old touch and its as-of. */
START_TEST(reference_price_from_book_ticker)
{
    struct fb_dec bid, ask;
    int64_t as_of = 0, before, first;
    char b[FB_DEC_STRMAX];
    srv_start(PM_FILL);
    before = now_ns();
    adapter_start(); /* ready: the ticker has answered */
    ck_assert_int_eq(ops->reference_price(st, "BTCUSDT", &bid, &ask, &as_of), FB_OK);
    fb_dec_format(bid, b);
    ck_assert_str_eq(b, "99.5");
    fb_dec_format(ask, b);
    ck_assert_str_eq(b, "100.5");
    ck_assert_int_ge(as_of, before);
    ck_assert_int_le(as_of, now_ns());
    ck_assert_int_eq(ops->reference_price(st, "ETHBTC", &bid, &ask, &as_of), FB_ERR_NOT_FOUND);
    pthread_mutex_lock(&mu);
    ck_assert_str_eq(ticker_q, "symbol=BTCUSDT");
    ticker_body = "{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"101\",\"askPrice\":\"102\"}";
    pthread_mutex_unlock(&mu);
    first = as_of;
    run_until(99, 200); /* several polls at 30 ms */
    ck_assert_int_eq(ops->reference_price(st, "BTCUSDT", &bid, &ask, &as_of), FB_OK);
    fb_dec_format(bid, b);
    ck_assert_str_eq(b, "101");
    ck_assert_int_gt(as_of, first);
    pthread_mutex_lock(&mu);
    ck_assert_int_ge(tickers, 3);
    /* a JSON number where a decimal string belongs: the answer is ignored */
    ticker_body = "{\"symbol\":\"BTCUSDT\",\"bidPrice\":103.5,\"askPrice\":\"104\"}";
    pthread_mutex_unlock(&mu);
    run_until(99, 100); /* answers already on their way arrive */
    ck_assert_int_eq(ops->reference_price(st, "BTCUSDT", &bid, &ask, &first), FB_OK);
    run_until(99, 200);
    ck_assert_int_eq(ops->reference_price(st, "BTCUSDT", &bid, &ask, &as_of), FB_OK);
    fb_dec_format(bid, b);
    ck_assert_str_eq(b, "101");
    ck_assert_int_eq(as_of, first); /* aging, not refreshed */
    stop_all();
}
END_TEST

/* No ticker (the endpoint fails): still ready, no reference price. */
START_TEST(ready_without_ticker_no_reference)
{
    struct fb_dec bid, ask;
    int64_t as_of;
    srv_start(PM_FILL);
    ticker_body = NULL;
    adapter_start();
    ck_assert_int_eq(ops->reference_price(st, "BTCUSDT", &bid, &ask, &as_of), FB_ERR_STATE);
    stop_all();
}
END_TEST

static int gets_so_far(void)
{
    pthread_mutex_lock(&mu);
    int n = n_get;
    pthread_mutex_unlock(&mu);
    return n;
}

/* Index of the first event of kind k at or after `from`, or -1. */
static int find_event(int from, enum fb_venue_event_kind k)
{
    for (int i = from; i < rec.n; i++)
        if (rec.ev[i].kind == k)
            return i;
    return -1;
}

/* Runs until an event of kind k arrived (its index) or ms passed (-1). */
static int run_for_event(enum fb_venue_event_kind k, int ms)
{
    int64_t end = now_ns() + (int64_t)ms * 1000000;
    int at;
    while ((at = find_event(0, k)) < 0 && now_ns() < end)
        run_until(rec.n + 1, 20);
    return at;
}

/* Regression: every POST is 503 and every query -2013, so the adapter gives
 * up (REJECT class UNKNOWN_OUTCOME) with the venue's last word being "no
 * such order". It must not poll that id afterwards; the engine's own query
 * is answered once (UNKNOWN) and does not restart polling either. */
START_TEST(gave_up_not_placed_stops_polling)
{
    srv_start(PM_503_NEVER);
    adapter_start();
    submit_limit("c11");
    int at = run_for_event(FB_VEV_REJECT, 8000);
    ck_assert_int_ge(at, 0);
    ck_assert_int_eq(rec.ev[at].u.rej.cls, FB_VREJ_UNKNOWN_OUTCOME);
    ck_assert_int_eq(n_post, 3); /* POST, GET, POST, GET, POST, GET */
    int g0 = gets_so_far();
    run_until(99, 400); /* ~10 poll intervals */
    ck_assert_msg(gets_so_far() == g0, "%d polls of an id the adapter gave up on",
                  gets_so_far() - g0);
    ck_assert_int_eq(ops->query(st, "c11", now_ns()), FB_OK); /* as the engine does */
    int q = run_for_event(FB_VEV_STATUS, 3000);
    ck_assert_int_ge(q, 0);
    ck_assert_int_eq(rec.ev[q].u.status.state, FB_VOS_UNKNOWN);
    run_until(99, 400);
    ck_assert_int_eq(gets_so_far(), g0 + 1);
    ck_assert_int_eq(n_post, 3);
    stop_all();
}
END_TEST

/* An acknowledged resting order the venue later says it does not have
 * (-2013): one STATUS UNKNOWN, then no more polls of it. */
START_TEST(order_venue_no_longer_has_stops_polling)
{
    srv_start(PM_REST);
    adapter_start();
    submit_limit("c12");
    run_until(1, 4000);
    expect(0, FB_VEV_ACK, NULL);
    pthread_mutex_lock(&mu);
    placed = 0;
    pthread_mutex_unlock(&mu);
    int at = run_for_event(FB_VEV_STATUS, 3000);
    ck_assert_int_ge(at, 0);
    ck_assert_int_eq(rec.ev[at].u.status.state, FB_VOS_UNKNOWN);
    ck_assert_str_eq(rec.ev[at].client_order_id, "c12");
    int g0 = gets_so_far();
    run_until(99, 400);
    ck_assert_msg(gets_so_far() == g0, "%d polls of an order the venue does not have",
                  gets_so_far() - g0);
    stop_all();
}
END_TEST

/* The POST was placed (502) but every query fails until the adapter gives
 * up; the venue then answers: a later poll finds it FILLED. Its fills
 * (myTrades by the order id the poll learned) reach the engine once and
 * polling ends with the order. */
START_TEST(gave_up_then_found_fills_then_stops_polling)
{
    srv_start(PM_500_PLACED);
    pthread_mutex_lock(&mu);
    query_fails = 1;
    pthread_mutex_unlock(&mu);
    adapter_start();
    submit_limit("c13");
    int at = run_for_event(FB_VEV_REJECT, 8000);
    ck_assert_int_ge(at, 0);
    ck_assert_int_eq(rec.ev[at].u.rej.cls, FB_VREJ_UNKNOWN_OUTCOME);
    pthread_mutex_lock(&mu);
    query_fails = 0;
    pthread_mutex_unlock(&mu);
    run_until(at + 3, 3000);
    expect(at + 1, FB_VEV_FILL, "501");
    expect(at + 2, FB_VEV_FILL, "502");
    ck_assert_int_eq(fb_dec_is_zero(rec.ev[at + 2].u.fill.leaves_qty), 1);
    run_until(99, 200); /* answers already on their way */
    int g0 = gets_so_far();
    run_until(99, 400);
    ck_assert_msg(gets_so_far() == g0, "%d polls of a filled order", gets_so_far() - g0);
    ck_assert_int_eq(rec.n, at + 3);
    ck_assert_int_eq(n_post, 1);
    stop_all();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("binance");
    TCase *tc = tcase_create("fake");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, filled_at_once);
    tcase_add_test(tc, unknown_outcome_not_placed_resends_same_id);
    tcase_add_test(tc, unknown_outcome_placed_no_resend);
    tcase_add_test(tc, final_reject_carries_code_and_text);
    tcase_add_test(tc, resting_fill_polled_once_then_cancel);
    tcase_add_test(tc, replace_maps_to_cancel_replace);
    tcase_add_test(tc, replace_rejected_when_cancel_fails);
    tcase_add_test(tc, rate_limited_waits_for_retry_after);
    tcase_add_test(tc, polling_pauses_near_weight_limit);
    tcase_add_test(tc, query_of_order_sent_before_restart);
    tcase_add_test(tc, refusals_before_sending);
    tcase_add_test(tc, reference_price_from_book_ticker);
    tcase_add_test(tc, ready_without_ticker_no_reference);
    tcase_add_test(tc, gave_up_not_placed_stops_polling);
    tcase_add_test(tc, order_venue_no_longer_has_stops_polling);
    tcase_add_test(tc, gave_up_then_found_fills_then_stops_polling);
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
