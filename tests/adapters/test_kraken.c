/*
 * The Kraken adapter end to end against a scripted fake Kraken (libmicrohttpd
 * on 127.0.0.1, port from binding 0). The fake checks every API-Key,
 * API-Sign and that nonces strictly increase. Scenarios: start-up
 * readiness; a fill; a final reject with Kraken's text; an unknown outcome
 * (not placed: OpenOrders, ClosedOrders, then one resend with the SAME
 * cl_ord_id; placed: found by OpenOrders, never resent); a resting order
 * whose fill is polled and reported once, then a requested cancel; a
 * replace through AmendOrder.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "adapters/kraken.h"
#include "adapters/kraken_proto.h"
#include "adapters/sign.h"
#include "adapters/venue.h"

#define SECRET                                                                                     \
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
#define KEY "kraken-test-key"

enum add_mode { AM_FILL, AM_REJECT, AM_502_NOT_PLACED, AM_UNAVAILABLE_PLACED, AM_REST };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct MHD_Daemon *srv;
static unsigned short port;
static enum add_mode mode;
static int placed, n_add, n_orders_on_venue, polls, canceled, amended;
static int bad_sigs, bad_nonce, no_ua;
static unsigned long long last_nonce;
static char kid_seen[64], kid_first[64], amend_qty[32], amend_price[32];
static char log_[64][64]; /* "Method" in arrival order */
static int n_log;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct req {
    char body[4096];
    size_t body_len;
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)uri;
    (void)c;
    return calloc(1, sizeof(struct req));
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
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static void arg(const char *payload, const char *key, char *out, size_t cap)
{
    char k[64];
    const char *p;
    snprintf(k, sizeof k, "%s=", key);
    out[0] = '\0';
    for (p = payload; (p = strstr(p, k)); p++)
        if (p == payload || p[-1] == '&')
            break;
    if (!p)
        return;
    p += strlen(k);
    size_t n = strcspn(p, "&");
    snprintf(out, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), p);
}

/* The fake's one order, as QueryOrders/OpenOrders/ClosedOrders show it. */
static const char *order_obj(const char *status, const char *vol, const char *exec,
                             const char *trades)
{
    static char b[1024];
    snprintf(b, sizeof b,
             "{\"refid\":null,\"userref\":null,\"cl_ord_id\":\"%s\",\"status\":\"%s\","
             "\"reason\":null,\"opentm\":1700000000.5,\"closetm\":0,\"starttm\":0,\"expiretm\":0,"
             "\"descr\":{\"pair\":\"XBTUSD\",\"type\":\"buy\",\"ordertype\":\"limit\","
             "\"price\":\"100.0\",\"price2\":\"0\",\"leverage\":\"none\",\"order\":\"x\","
             "\"close\":\"\"},\"vol\":\"%s\",\"vol_exec\":\"%s\",\"cost\":\"0\",\"fee\":\"0\","
             "\"price\":\"100.0\",\"misc\":\"\",\"oflags\":\"fciq\",\"trades\":[%s]}",
             kid_seen, status, vol, exec, trades);
    return b;
}

static const char *fake_order(void)
{
    if (mode == AM_REST) {
        if (canceled)
            return order_obj("canceled", amended ? "2.00000000" : "1.00000000", "0.40000000",
                             "\"TREST1-AAAAA-BBBBBB\"");
        return order_obj("open", amended ? "2.00000000" : "1.00000000",
                         polls <= 1 ? "0.00000000" : "0.40000000",
                         polls <= 1 ? "" : "\"TREST1-AAAAA-BBBBBB\"");
    }
    return order_obj("closed", "1.00000000", "1.00000000",
                     "\"TFILL1-AAAAA-BBBBBB\",\"TFILL2-AAAAA-BBBBBB\"");
}

static enum MHD_Result private_call(struct MHD_Connection *c, const char *method,
                                    const char *body)
{
    char b[4096], kid[64];
    arg(body, "cl_ord_id", kid, sizeof kid);
    if (strcmp(method, "AddOrder") == 0) {
        n_add++;
        snprintf(kid_seen, sizeof kid_seen, "%s", kid);
        if (n_add == 1)
            snprintf(kid_first, sizeof kid_first, "%s", kid);
        if (mode == AM_REJECT)
            return reply(c, 200, "{\"error\":[\"EOrder:Insufficient funds\"]}");
        if (mode == AM_502_NOT_PLACED && n_add == 1)
            return reply(c, 502, "<html>Bad Gateway</html>");
        placed = 1;
        n_orders_on_venue++;
        if (mode == AM_UNAVAILABLE_PLACED)
            return reply(c, 200, "{\"error\":[\"EService:Unavailable\"]}");
        return reply(c, 200,
                     "{\"error\":[],\"result\":{\"descr\":{\"order\":\"buy 1 XBTUSD @ limit "
                     "100.0\"},\"txid\":[\"OU22CG-KLAF2-FWUDD7\"]}}");
    }
    if (strcmp(method, "OpenOrders") == 0 || strcmp(method, "ClosedOrders") == 0) {
        int open = strcmp(method, "OpenOrders") == 0;
        int show = placed && strcmp(kid, kid_seen) == 0 && (mode == AM_REST) == open;
        if (mode == AM_UNAVAILABLE_PLACED)
            show = placed && open;
        snprintf(b, sizeof b, "{\"error\":[],\"result\":{\"%s\":{%s%s%s}%s}}",
                 open ? "open" : "closed", show ? "\"OU22CG-KLAF2-FWUDD7\":" : "",
                 show ? (mode == AM_UNAVAILABLE_PLACED ? order_obj("open", "1.00000000",
                                                                   "0.00000000", "")
                                                       : fake_order())
                      : "",
                 "", open ? "" : ",\"count\":0");
        return reply(c, 200, b);
    }
    if (strcmp(method, "QueryOrders") == 0) {
        polls++;
        snprintf(b, sizeof b, "{\"error\":[],\"result\":{\"OU22CG-KLAF2-FWUDD7\":%s}}",
                 mode == AM_UNAVAILABLE_PLACED
                     ? order_obj("open", "1.00000000", "0.00000000", "")
                     : fake_order());
        return reply(c, 200, b);
    }
    if (strcmp(method, "QueryTrades") == 0) {
        if (mode == AM_REST)
            return reply(c, 200,
                         "{\"error\":[],\"result\":{\"TREST1-AAAAA-BBBBBB\":{\"ordertxid\":"
                         "\"OU22CG-KLAF2-FWUDD7\",\"pair\":\"XXBTZUSD\",\"time\":1700000001.25,"
                         "\"type\":\"buy\",\"ordertype\":\"limit\",\"price\":\"100.0\","
                         "\"cost\":\"40.0\",\"fee\":\"0.064\",\"vol\":\"0.40000000\","
                         "\"margin\":\"0\",\"misc\":\"\",\"maker\":true}}}");
        return reply(c, 200,
                     "{\"error\":[],\"result\":{\"TFILL1-AAAAA-BBBBBB\":{\"ordertxid\":"
                     "\"OU22CG-KLAF2-FWUDD7\",\"time\":1700000001,\"price\":\"100.0\","
                     "\"fee\":\"0.104\",\"vol\":\"0.40000000\",\"maker\":false},"
                     "\"TFILL2-AAAAA-BBBBBB\":{\"ordertxid\":\"OU22CG-KLAF2-FWUDD7\",\"time\":"
                     "1700000002,\"price\":\"99.5\",\"fee\":\"0.155\",\"vol\":\"0.60000000\","
                     "\"maker\":false}}}");
    }
    if (strcmp(method, "CancelOrder") == 0) {
        canceled = 1;
        return reply(c, 200, "{\"error\":[],\"result\":{\"count\":1}}");
    }
    if (strcmp(method, "AmendOrder") == 0) {
        amended = 1;
        arg(body, "order_qty", amend_qty, sizeof amend_qty);
        arg(body, "limit_price", amend_price, sizeof amend_price);
        return reply(c, 200, "{\"error\":[],\"result\":{\"amend_id\":\"TEZA4R-DSDGT-IJBOJK\"}}");
    }
    return reply(c, 200, "{\"error\":[\"EGeneral:Unknown method\"]}");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **ctx)
{
    struct req *r = *ctx;
    enum MHD_Result ret;
    const char *cl;
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
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (strcmp(method, "POST") == 0 && r->body_len == 0 && cl && strcmp(cl, "0") != 0)
        return MHD_YES; /* body still to come */
    pthread_mutex_lock(&mu);
    if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent"))
        no_ua++;
    if (strcmp(url, "/0/public/AssetPairs") == 0) {
        ret = reply(c, 200,
                    "{\"error\":[],\"result\":{\"XXBTZUSD\":{\"altname\":\"XBTUSD\",\"wsname\":"
                    "\"XBT/USD\",\"base\":\"XXBT\",\"quote\":\"ZUSD\",\"pair_decimals\":1,"
                    "\"lot_decimals\":8,\"ordermin\":\"0.0001\",\"costmin\":\"0.5\","
                    "\"tick_size\":\"0.1\",\"status\":\"online\"}}}");
    } else if (strncmp(url, "/0/private/", 11) == 0 && strcmp(method, "POST") == 0) {
        const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "API-Key");
        const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "API-Sign");
        char nonce[32], want[FB_SIGN_KRAKEN_B64_LEN + 1];
        arg(r->body, "nonce", nonce, sizeof nonce);
        if (!key || strcmp(key, KEY) != 0 || !sig || strncmp(r->body, "nonce=", 6) != 0 ||
            fb_sign_kraken(SECRET, url, nonce, r->body, r->body_len, want) != FB_OK ||
            strcmp(sig, want) != 0)
            bad_sigs++;
        if (strtoull(nonce, NULL, 10) <= last_nonce)
            bad_nonce++;
        last_nonce = strtoull(nonce, NULL, 10);
        if (n_log < 64)
            snprintf(log_[n_log++], sizeof log_[0], "%s", url + 11);
        ret = private_call(c, url + 11, r->body);
    } else {
        ret = reply(c, 404, "{\"error\":[\"EGeneral:Unknown method\"]}");
    }
    pthread_mutex_unlock(&mu);
    return ret;
}

static void srv_start(enum add_mode m)
{
    mode = m;
    placed = n_add = n_orders_on_venue = polls = canceled = amended = 0;
    bad_sigs = bad_nonce = no_ua = n_log = 0;
    last_nonce = 0;
    kid_seen[0] = kid_first[0] = amend_qty[0] = amend_price[0] = '\0';
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
};

static void on_event(void *user, const struct fb_venue_event *ev)
{
    struct rec *r = user;
    if (r->n < 32)
        r->ev[r->n++] = *ev;
}

static const struct fb_venue_ops *ops;
static void *st;
static struct rec rec;
static char dir[64];

static void adapter_start(void)
{
    char url[64], err[256] = "";
    const char *syms[] = {"XBTUSD"};
    struct fb_kraken_params p;
    struct fb_venue_sink sink = {&rec, on_event, NULL};
    struct fb_venue_market m;
    memset(&rec, 0, sizeof rec);
    snprintf(dir, sizeof dir, "/tmp/fb-kraken-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    memset(&p, 0, sizeof p);
    p.base_url = url;
    p.api_key = KEY;
    p.api_secret = SECRET;
    p.symbols = syms;
    p.n_symbols = 1;
    p.nonce_dir = dir;
    p.request_timeout_ms = 2000;
    p.poll_interval_ms = 30;
    p.retry_base_ms = 20;
    p.seed = 42;
    ops = fb_venue_find("kraken");
    ck_assert_ptr_nonnull(ops);
    ck_assert_int_eq(ops->create(&p, &sink, &st, err, sizeof err), FB_OK);
    ck_assert_int_eq(ops->market(st, "XBTUSD", &m), FB_ERR_STATE); /* not loaded yet */
    int64_t end = now_ns() + 3000000000LL;
    while (ops->market(st, "XBTUSD", &m) == FB_ERR_STATE && now_ns() < end) {
        ck_assert_int_eq(ops->run(st, now_ns()), FB_OK);
        usleep(1000);
    }
    ck_assert_int_eq(ops->market(st, "XBTUSD", &m), FB_OK);
    char b[FB_DEC_STRMAX];
    fb_dec_format(m.tick_size, b);
    ck_assert_str_eq(b, "0.1");
    fb_dec_format(m.step_size, b);
    ck_assert_str_eq(b, "0.00000001");
    fb_dec_format(m.min_notional, b);
    ck_assert_str_eq(b, "0.5");
    ck_assert_int_eq(ops->market(st, "ETHUSD", &m), FB_ERR_NOT_FOUND);
}

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
    char path[128];
    ops->destroy(st);
    st = NULL;
    MHD_stop_daemon(srv);
    snprintf(path, sizeof path, "%s/kraken.nonce", dir);
    unlink(path);
    rmdir(dir);
    ck_assert_int_eq(bad_sigs, 0);
    ck_assert_int_eq(bad_nonce, 0);
    ck_assert_int_eq(no_ua, 0);
}

static void submit_limit(const char *coid)
{
    struct fb_venue_order o;
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "%s", coid);
    snprintf(o.symbol, sizeof o.symbol, "XBTUSD");
    o.side = FB_VENUE_BUY;
    o.type = FB_VENUE_LIMIT;
    o.tif = FB_VENUE_GTC;
    ck_assert_int_eq(fb_dec_parse_str("1", &o.qty), FB_OK);
    ck_assert_int_eq(fb_dec_parse_str("100", &o.price), FB_OK);
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

static void expect_log(const char *const *want, int n)
{
    pthread_mutex_lock(&mu);
    ck_assert_int_eq(n_log, n);
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(log_[i], want[i]);
    pthread_mutex_unlock(&mu);
}

START_TEST(filled)
{
    char kid[FB_KR_KID_LEN + 1];
    srv_start(AM_FILL);
    adapter_start();
    submit_limit("fb1-1");
    run_until(3, 3000);
    expect(0, FB_VEV_ACK, NULL);
    ck_assert_str_eq(rec.ev[0].venue_order_id, "OU22CG-KLAF2-FWUDD7");
    ck_assert_str_eq(rec.ev[0].client_order_id, "fb1-1");
    expect(1, FB_VEV_FILL, NULL);
    expect(2, FB_VEV_FILL, NULL);
    /* Both trades, each once, whatever order the map came in. */
    ck_assert_str_ne(rec.ev[1].u.fill.trade_id, rec.ev[2].u.fill.trade_id);
    ck_assert_int_eq(fb_dec_is_zero(rec.ev[2].u.fill.leaves_qty), 1);
    ck_assert_str_eq(rec.ev[1].u.fill.fee_currency, "ZUSD"); /* fciq */
    ck_assert_int_eq(rec.ev[1].u.fill.liquidity, FB_VLIQ_TAKER);
    run_until(99, 150); /* closed: nothing more, no more polls */
    ck_assert_int_eq(rec.n, 3);
    ck_assert_int_eq(fb_kr_cl_ord_id("fb1-1", kid), FB_OK);
    pthread_mutex_lock(&mu);
    ck_assert_str_eq(kid_seen, kid);
    pthread_mutex_unlock(&mu);
    const char *want[] = {"AddOrder", "QueryOrders", "QueryTrades"};
    expect_log(want, 3);
    stop_all();
}
END_TEST

START_TEST(final_reject_carries_text)
{
    srv_start(AM_REJECT);
    adapter_start();
    submit_limit("fb2-1");
    run_until(1, 3000);
    expect(0, FB_VEV_REJECT, NULL);
    ck_assert_int_eq(rec.ev[0].u.rej.cls, FB_VREJ_FINAL);
    ck_assert_int_eq(rec.ev[0].u.rej.reason, FB_VRR_FUNDS);
    ck_assert_str_eq(rec.ev[0].u.rej.code, "");
    ck_assert_str_eq(rec.ev[0].u.rej.text, "EOrder:Insufficient funds");
    run_until(99, 100);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(n_add, 1);
    stop_all();
}
END_TEST

START_TEST(unknown_not_placed_looks_up_then_resends_same_id)
{
    char kid[FB_KR_KID_LEN + 1];
    srv_start(AM_502_NOT_PLACED);
    adapter_start();
    submit_limit("fb3-1");
    run_until(3, 4000);
    expect(0, FB_VEV_ACK, NULL);
    expect(1, FB_VEV_FILL, NULL);
    expect(2, FB_VEV_FILL, NULL);
    const char *want[] = {"AddOrder",    "OpenOrders",  "ClosedOrders",
                          "AddOrder",    "QueryOrders", "QueryTrades"};
    expect_log(want, 6);
    ck_assert_int_eq(fb_kr_cl_ord_id("fb3-1", kid), FB_OK);
    pthread_mutex_lock(&mu);
    ck_assert_int_eq(n_add, 2);
    ck_assert_int_eq(n_orders_on_venue, 1); /* exactly one order */
    ck_assert_str_eq(kid_first, kid);       /* the resend reused the same cl_ord_id */
    ck_assert_str_eq(kid_seen, kid);
    pthread_mutex_unlock(&mu);
    stop_all();
}
END_TEST

START_TEST(unknown_placed_found_never_resent)
{
    srv_start(AM_UNAVAILABLE_PLACED);
    adapter_start();
    submit_limit("fb4-1");
    run_until(1, 4000);
    expect(0, FB_VEV_ACK, NULL);
    ck_assert_str_eq(rec.ev[0].venue_order_id, "OU22CG-KLAF2-FWUDD7");
    run_until(99, 200); /* resting: polled, never resent */
    ck_assert_int_eq(rec.n, 1);
    pthread_mutex_lock(&mu);
    ck_assert_int_eq(n_add, 1);
    ck_assert_int_eq(n_orders_on_venue, 1);
    ck_assert_str_eq(log_[1], "OpenOrders");
    ck_assert_int_ge(polls, 2);
    pthread_mutex_unlock(&mu);
    stop_all();
}
END_TEST

START_TEST(resting_fill_polled_once_then_cancel)
{
    struct fb_venue_cancel cx;
    srv_start(AM_REST);
    adapter_start();
    submit_limit("fb5-1");
    run_until(2, 4000);
    expect(0, FB_VEV_ACK, NULL);
    expect(1, FB_VEV_FILL, "TREST1-AAAAA-BBBBBB");
    ck_assert_int_eq(rec.ev[1].u.fill.liquidity, FB_VLIQ_MAKER);
    char b[FB_DEC_STRMAX];
    fb_dec_format(rec.ev[1].u.fill.leaves_qty, b);
    ck_assert_str_eq(b, "0.6");
    run_until(99, 250); /* more polls: the same trade is not reported again */
    ck_assert_int_eq(rec.n, 2);
    pthread_mutex_lock(&mu);
    ck_assert_int_ge(polls, 4);
    int trades_calls = 0;
    for (int i = 0; i < n_log; i++)
        trades_calls += strcmp(log_[i], "QueryTrades") == 0;
    ck_assert_int_eq(trades_calls, 1);
    pthread_mutex_unlock(&mu);
    memset(&cx, 0, sizeof cx);
    snprintf(cx.client_order_id, sizeof cx.client_order_id, "fb5-1");
    snprintf(cx.request_id, sizeof cx.request_id, "fb5-2");
    ck_assert_int_eq(ops->cancel(st, &cx, now_ns()), FB_OK);
    run_until(3, 3000);
    expect(2, FB_VEV_CANCELED, NULL);
    ck_assert_int_eq(rec.ev[2].u.canceled.reason, FB_VCXL_REQUESTED);
    ck_assert_str_eq(rec.ev[2].request_id, "fb5-2");
    fb_dec_format(rec.ev[2].u.canceled.cum_qty, b);
    ck_assert_str_eq(b, "0.4");
    stop_all();
}
END_TEST

/* FIX replace: new total 2 with 0.4 filled -> AmendOrder order_qty=2 (Kraken
 * counts the filled part too); one REPLACED, leaves 1.6; the bridge's new id
 * names the order afterwards. */
START_TEST(replace_is_amend_in_place)
{
    struct fb_venue_replace rp;
    struct fb_venue_cancel cx;
    char b[FB_DEC_STRMAX];
    srv_start(AM_REST);
    adapter_start();
    submit_limit("fb6-1");
    run_until(2, 4000);
    expect(1, FB_VEV_FILL, "TREST1-AAAAA-BBBBBB");
    memset(&rp, 0, sizeof rp);
    snprintf(rp.client_order_id, sizeof rp.client_order_id, "fb6-1");
    snprintf(rp.new_client_order_id, sizeof rp.new_client_order_id, "fb6-2");
    ck_assert_int_eq(fb_dec_parse_str("2", &rp.qty), FB_OK);
    ck_assert_int_eq(fb_dec_parse_str("101", &rp.price), FB_OK);
    ck_assert_int_eq(ops->replace(st, &rp, now_ns()), FB_OK);
    run_until(3, 3000);
    expect(2, FB_VEV_REPLACED, NULL);
    ck_assert_str_eq(rec.ev[2].client_order_id, "fb6-1");
    ck_assert_str_eq(rec.ev[2].request_id, "fb6-2");
    ck_assert_str_eq(rec.ev[2].venue_order_id, "OU22CG-KLAF2-FWUDD7");
    fb_dec_format(rec.ev[2].u.replaced.leaves_qty, b);
    ck_assert_str_eq(b, "1.6");
    fb_dec_format(rec.ev[2].u.replaced.price, b);
    ck_assert_str_eq(b, "101");
    pthread_mutex_lock(&mu);
    ck_assert_str_eq(amend_qty, "2");
    ck_assert_str_eq(amend_price, "101");
    pthread_mutex_unlock(&mu);
    run_until(99, 150);
    ck_assert_int_eq(rec.n, 3); /* no duplicate fill after the amend */
    /* The old id no longer names the order for a replace; the new one cancels it. */
    memset(&cx, 0, sizeof cx);
    snprintf(cx.client_order_id, sizeof cx.client_order_id, "fb6-2");
    snprintf(cx.request_id, sizeof cx.request_id, "fb6-3");
    ck_assert_int_eq(ops->cancel(st, &cx, now_ns()), FB_OK);
    run_until(4, 3000);
    expect(3, FB_VEV_CANCELED, NULL);
    ck_assert_str_eq(rec.ev[3].client_order_id, "fb6-2");
    stop_all();
}
END_TEST

START_TEST(refusals_before_sending)
{
    struct fb_venue_order o;
    srv_start(AM_FILL);
    adapter_start();
    memset(&o, 0, sizeof o);
    snprintf(o.client_order_id, sizeof o.client_order_id, "fb7-1");
    snprintf(o.symbol, sizeof o.symbol, "XBTUSD");
    o.type = FB_VENUE_LIMIT;
    o.tif = FB_VENUE_FOK;
    ck_assert_int_eq(fb_dec_parse_str("1", &o.qty), FB_OK);
    ck_assert_int_eq(fb_dec_parse_str("100", &o.price), FB_OK);
    ck_assert_int_eq(ops->submit(st, &o, now_ns()), FB_OK);
    ck_assert_int_eq(rec.n, 0); /* events only from run() */
    ck_assert_int_eq(ops->submit(st, &o, now_ns()), FB_ERR_DUPLICATE);
    run_until(1, 500);
    expect(0, FB_VEV_REJECT, NULL);
    ck_assert_int_eq(rec.ev[0].u.rej.reason, FB_VRR_UNSUPPORTED);
    ck_assert_int_eq(n_add, 0);
    stop_all();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kraken");
    TCase *tc = tcase_create("fake");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, filled);
    tcase_add_test(tc, final_reject_carries_text);
    tcase_add_test(tc, unknown_not_placed_looks_up_then_resends_same_id);
    tcase_add_test(tc, unknown_placed_found_never_resent);
    tcase_add_test(tc, resting_fill_polled_once_then_cancel);
    tcase_add_test(tc, replace_is_amend_in_place);
    tcase_add_test(tc, refusals_before_sending);
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
