/*
 * vsim_binance: the HTTP edge of the Binance venue simulator -- requests,
 * API key, signature and timestamp checks, rate-limit headers, injected
 * faults and the /__sim control endpoint (see vsim_binance.h). Orders and
 * JSON answers are vsim_binance_orders.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapters/sign.h"
#include "adapters/vsim_binance_int.h"

#define NS_PER_MS 1000000LL
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- parameters ---- */

/* Adds the pairs of s (query or form body); 0, or -1 with a's error.
 * Earlier sources win (the query is added first). */
static int add_params(struct vs_params *p, const char *s, struct vs_answer *a)
{
    switch (fb_vsim_params_add(p, s)) {
    case FB_VSIM_P_OK:
        return 0;
    case FB_VSIM_P_BAD:
        vs_error(a, 400, -1100, "Illegal characters found in a parameter.");
        break;
    case FB_VSIM_P_DUP:
        vs_error(a, 400, -1101, "Duplicate values for a parameter detected.");
        break;
    case FB_VSIM_P_MANY:
        vs_error(a, 400, -1101, "Too many parameters sent for this endpoint.");
        break;
    }
    return -1;
}

static int allowed(const struct vs_params *p, const char *const *names, struct vs_answer *a)
{
    size_t read = fb_vsim_params_known(p, names);
    if (read != p->n) {
        vs_error(a, 400, -1104,
                 "Not all sent parameters were read; read '%zu' parameter(s) but was sent '%zu'.",
                 read, p->n);
        return -1;
    }
    return 0;
}

#define SIGNED_COMMON "recvWindow", "timestamp", "signature"
#define NEW_ORDER                                                                                  \
    "symbol", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price",                 \
        "newClientOrderId", "strategyId", "strategyType", "stopPrice", "trailingDelta",            \
        "icebergQty", "newOrderRespType", "selfTradePreventionMode"
static const char *const P_NEW[] = {NEW_ORDER, SIGNED_COMMON, NULL};
static const char *const P_REPLACE[] = {NEW_ORDER,
                                        "cancelReplaceMode",
                                        "cancelOrderId",
                                        "cancelOrigClientOrderId",
                                        "cancelNewClientOrderId",
                                        "cancelRestrictions",
                                        "orderRateLimitExceededMode",
                                        SIGNED_COMMON,
                                        NULL};
static const char *const P_CANCEL[] = {"symbol",           "orderId",           "origClientOrderId",
                                       "newClientOrderId", "cancelRestrictions", SIGNED_COMMON,
                                       NULL};
static const char *const P_QUERY[] = {"symbol", "orderId", "origClientOrderId", SIGNED_COMMON,
                                      NULL};
static const char *const P_OPEN[] = {"symbol", SIGNED_COMMON, NULL};
static const char *const P_TRADES[] = {"symbol", "orderId", "startTime", "endTime",
                                       "fromId", "limit",   SIGNED_COMMON, NULL};
static const char *const P_INFO[] = {"symbol", "symbols", "permissions", "showPermissionSets",
                                     "symbolStatus", NULL};
static const char *const P_TICKER[] = {"symbol", "symbols", "symbolStatus", NULL};
static const char *const P_NONE[] = {NULL};

/* ---- security (REFERENCE.md A.3-A.5) ---- */

/* Removes the signature parameter from s (in place) and copies its value
 * to sig; false if s has none. */
static bool take_signature(char *s, char *sig, size_t cap)
{
    char *p = s;
    while (p && *p) {
        if (strncmp(p, "signature=", 10) == 0) {
            size_t n = strcspn(p + 10, "&");
            snprintf(sig, cap, "%.*s", (int)n, p + 10);
            char *end = p + 10 + n;
            if (*end == '&')
                memmove(p, end + 1, strlen(end + 1) + 1);
            else if (p > s)
                p[-1] = '\0';
            else
                *p = '\0';
            return true;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return false;
}

static int check_signed(struct fb_vsim *vs, const struct fb_vsim_request *rq,
                        struct vs_params *p, int64_t now, struct vs_answer *a)
{
    const char *key = fb_vsim_header(rq, "X-MBX-APIKEY");
    static char q[FB_VSIM_URI_MAX + 1], b[FB_VSIM_BODY_MAX + 1]; /* under vs->mu */
    char sig[160] = "", want[FB_SIGN_BINANCE_HEX_LEN + 1];
    const char *ts = fb_vsim_param(p, "timestamp"), *rw = fb_vsim_param(p, "recvWindow");
    long long t, window = 5000, server = now / NS_PER_MS;
    bool found;

    if (!key || !*key) {
        vs_error(a, 401, -2014, "API-key format invalid.");
        return -1;
    }
    if (strcmp(key, vs->key) != 0) {
        vs_error(a, 401, -2015, "Invalid API-key, IP, or permissions for action.");
        return -1;
    }
    snprintf(q, sizeof q, "%s", rq->query);
    snprintf(b, sizeof b, "%s", rq->body);
    found = take_signature(q, sig, sizeof sig) || take_signature(b, sig, sizeof sig);
    if (!found || !sig[0]) {
        vs_error(a, 400, -1102,
                 "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
        return -1;
    }
    if (fb_sign_binance(vs->secret, q, strlen(q), b, strlen(b), want) != FB_OK ||
        strcasecmp(want, sig) != 0) {
        vs_error(a, 400, -1022, "Signature for this request is not valid.");
        return -1;
    }
    if (!ts) {
        vs_error(a, 400, -1102,
                 "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
        return -1;
    }
    if (strspn(ts, "0123456789") != strlen(ts) || strlen(ts) > 18) {
        vs_error(a, 400, -1100, "Illegal characters found in parameter 'timestamp'.");
        return -1;
    }
    t = atoll(ts);
    if (t > 100000000000000LL) /* microseconds */
        t /= 1000;
    if (rw) {
        window = atoll(rw);
        if (strspn(rw, "0123456789.") != strlen(rw) || window > 60000 || window < 0) {
            vs_error(a, 400, -1130, "Data sent for parameter 'recvWindow' is not valid.");
            return -1;
        }
    }
    if (t >= server + 1000) {
        vs_error(a, 400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
        return -1;
    }
    if (server - t > window) {
        vs_error(a, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
        return -1;
    }
    return 0;
}

/* ---- faults ---- */

static const struct fb_vsim_fault_name fault_names[] = {
    {"5xx_after_place", VS_F_5XX_AFTER},
    {"5xx_before_place", VS_F_5XX_BEFORE},
    {"delay_after_place", VS_F_DELAY_AFTER},
    {"drop_after_place", VS_F_DROP_AFTER},
    {"malformed_after_place", VS_F_MALFORMED_AFTER},
    {"429", VS_F_429},
    {"1007_after_place", VS_F_1007_AFTER},
    {"hide_trades", VS_F_HIDE_TRADES},
};

static enum fb_err add_fault(struct fb_vsim *vs, struct vs_params *p, char *err, size_t errlen)
{
    return fb_vsim_fault_add(&vs->faults, p, fault_names,
                             sizeof fault_names / sizeof fault_names[0], err, errlen);
}

/* ---- answering ---- */

static void add_weight(struct fb_vsim *vs, long w, int64_t now)
{
    int64_t minute = now / (60 * 1000 * NS_PER_MS);
    if (minute != vs->weight_minute) {
        vs->weight_minute = minute;
        vs->weight = 0;
    }
    vs->weight += w;
}

/* Moves a's answer into the reply, with Binance's rate-limit headers. */
static void send_answer(struct fb_vsim *vs, struct fb_vsim_reply *rp, struct vs_answer *a,
                        int64_t now)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", vs->weight);
    fb_vsim_reply_header(rp, "x-mbx-used-weight", b);
    fb_vsim_reply_header(rp, "x-mbx-used-weight-1m", b);
    if (a->order_count && a->http == 200) {
        int64_t win = now / (10000 * NS_PER_MS);
        if (win != vs->orders_10s_window) {
            vs->orders_10s_window = win;
            vs->orders_10s = 0;
        }
        vs->orders_10s++;
        vs->orders_day++;
        snprintf(b, sizeof b, "%ld", vs->orders_10s);
        fb_vsim_reply_header(rp, "x-mbx-order-count-10s", b);
        snprintf(b, sizeof b, "%ld", vs->orders_day);
        fb_vsim_reply_header(rp, "x-mbx-order-count-1d", b);
    }
    if (a->retry_after > 0) {
        snprintf(b, sizeof b, "%d", a->retry_after);
        fb_vsim_reply_header(rp, "Retry-After", b);
    }
    rp->http = a->http ? a->http : 500;
    rp->body = a->body;
    a->body = NULL;
}

static void control(struct fb_vsim *vs, const char *path, const char *method,
                    struct vs_params *p, struct vs_answer *a, int64_t now)
{
    char err[160];
    if (strcmp(path, "/__sim/fault") == 0 && strcmp(method, "POST") == 0) {
        if (add_fault(vs, p, err, sizeof err) != FB_OK)
            vs_error(a, 400, -1130, "%s", err);
        else {
            free(a->body);
            a->http = 200;
            a->body = strdup("{}");
        }
    } else if (strcmp(path, "/__sim/price") == 0 && strcmp(method, "POST") == 0) {
        vs_set_price(vs, p, a, now);
    } else if (strcmp(path, "/__sim/orders") == 0 && strcmp(method, "GET") == 0) {
        vs_report(vs, p, a);
    } else if (strcmp(path, "/__sim/arrivals") == 0 && strcmp(method, "GET") == 0) {
        char extra[64];
        snprintf(extra, sizeof extra, "\"book_ticker_answers\":%llu,",
                 (unsigned long long)vs->book_tickers);
        free(a->body);
        a->body = fb_vsim_arrivals_text(&vs->arrivals, extra);
        a->http = a->body ? 200 : 500;
    } else {
        vs_error(a, 404, -1020, "This operation is not supported.");
    }
}

enum route {
    R_NONE,
    R_TIME,
    R_PING,
    R_INFO,
    R_NEW,
    R_CANCEL,
    R_QUERY,
    R_REPLACE,
    R_OPEN,
    R_TRADES,
    R_TICKER
};

static enum route route_of(const char *path, const char *m)
{
    bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
    if (strcmp(path, "/api/v3/time") == 0 && get)
        return R_TIME;
    if (strcmp(path, "/api/v3/ping") == 0 && get)
        return R_PING;
    if (strcmp(path, "/api/v3/exchangeInfo") == 0 && get)
        return R_INFO;
    if (strcmp(path, "/api/v3/order") == 0)
        return post ? R_NEW : get ? R_QUERY : strcmp(m, "DELETE") == 0 ? R_CANCEL : R_NONE;
    if (strcmp(path, "/api/v3/order/cancelReplace") == 0 && post)
        return R_REPLACE;
    if (strcmp(path, "/api/v3/openOrders") == 0 && get)
        return R_OPEN;
    if (strcmp(path, "/api/v3/myTrades") == 0 && get)
        return R_TRADES;
    if (strcmp(path, "/api/v3/ticker/bookTicker") == 0 && get)
        return R_TICKER;
    return R_NONE;
}

static void handler(void *user, const struct fb_vsim_request *rq, struct fb_vsim_reply *rp)
{
    struct fb_vsim *vs = user;
    struct vs_answer a = {0};
    struct vs_params *p;
    const char *path = rq->path, *method = rq->method;
    enum route rt;
    struct vs_fault f;
    bool faulted = false, placed = false, is_control, hiding = false;
    uint32_t hide_ms = 0;
    const char *const *names;
    enum vs_on op = VS_ON_ANY;
    long weight = 1;
    int64_t now;

    p = calloc(1, sizeof *p);
    if (!p) {
        rp->drop = true;
        return;
    }
    now = now_ns();
    is_control = strncmp(path, "/__sim/", 7) == 0;
    rt = route_of(path, method);

    pthread_mutex_lock(&vs->mu);
    vs_tick(vs, now);
    if (rq->too_large) {
        vs_error(&a, 413, -1100, "Request body too large.");
        goto answer;
    }
    if (add_params(p, rq->query, &a) || add_params(p, rq->body, &a))
        goto answer;
    if (is_control) {
        control(vs, path, method, p, &a, now);
        goto answer;
    }
    switch (rt) {
    case R_NONE:
        vs_error(&a, 404, -1020, "This operation is not supported.");
        goto answer;
    case R_TIME:
    case R_PING:
        names = P_NONE;
        break;
    case R_INFO:
        names = P_INFO;
        weight = 20;
        break;
    case R_NEW:
        names = P_NEW;
        op = VS_ON_NEW;
        break;
    case R_REPLACE:
        names = P_REPLACE;
        op = VS_ON_REPLACE;
        break;
    case R_CANCEL:
        names = P_CANCEL;
        op = VS_ON_CANCEL;
        break;
    case R_QUERY:
        names = P_QUERY;
        op = VS_ON_QUERY;
        weight = 4;
        break;
    case R_OPEN:
        names = P_OPEN;
        weight = 6;
        break;
    case R_TRADES:
        names = P_TRADES;
        weight = 5;
        break;
    case R_TICKER:
        names = P_TICKER;
        weight = fb_vsim_param(p, "symbol") ? 2 : 4; /* A.7 */
        break;
    default:
        names = P_NONE;
        break;
    }
    add_weight(vs, weight, now);
    if (allowed(p, names, &a))
        goto answer;
    if (rt != R_TIME && rt != R_PING && rt != R_INFO && rt != R_TICKER &&
        check_signed(vs, rq, p, now, &a))
        goto answer;
    if (rt == R_NEW || rt == R_REPLACE)
        vs_count_post(vs, p);
    if (rt == R_NEW && fb_vsim_param(p, "newClientOrderId"))
        fb_vsim_arrival_add(&vs->arrivals, fb_vsim_param(p, "newClientOrderId"), rq->line_ns,
                            rq->complete_ns);
    /* hide_trades marks the order and spoils nothing, so the fault queued
     * after it may spoil the same request (a test can have an order whose
     * answer is lost and whose trades lag) */
    while (op != VS_ON_ANY && (faulted = fb_vsim_fault_take(&vs->faults, op, &f)) &&
           f.kind == VS_F_HIDE_TRADES) {
        hiding = true;
        hide_ms = f.ms;
        faulted = false;
    }
    if (faulted && f.kind == VS_F_429) {
        vs_error(&a, 429, -1003,
                 "Too much request weight used; current limit is 6000 request weight per 1 "
                 "MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.");
        a.retry_after = (int)f.retry_after;
        goto answer;
    }
    if (faulted && f.kind == VS_F_5XX_BEFORE) {
        vs_error(&a, 503, -1008,
                 "Server is currently overloaded with other requests. Please try again in a few "
                 "minutes.");
        goto answer;
    }
    switch (rt) {
    case R_TIME:
        vs_time(vs, &a, now);
        break;
    case R_PING:
        a.http = 200;
        a.body = strdup("{}");
        break;
    case R_INFO:
        vs_exchange_info(vs, p, &a, now);
        break;
    case R_NEW:
        vs_new_order(vs, p, &a, now, &placed);
        break;
    case R_REPLACE:
        vs_cancel_replace(vs, p, &a, now, &placed);
        break;
    case R_CANCEL:
        vs_cancel(vs, p, &a, now);
        break;
    case R_QUERY:
        vs_query(vs, p, &a);
        break;
    case R_OPEN:
        vs_open_orders(vs, p, &a);
        break;
    case R_TRADES:
        vs_my_trades(vs, p, &a, now);
        break;
    case R_TICKER:
        vs_book_ticker(vs, p, &a);
        if (a.http == 200)
            vs->book_tickers++;
        break;
    case R_NONE:
        break;
    }
    if (hiding && placed) {
        /* the order placed is the last one made (a new order, or the new
         * leg of a cancelReplace) */
        vs->orders[vs->n_orders - 1].hide_trades_ms = hide_ms;
        fprintf(stderr, "venue-sim: fault hide_trades %u ms on %s %s\n", hide_ms, method, path);
    }
    if (faulted) {
        switch (f.kind) {
        case VS_F_5XX_AFTER:
            a.order_count = false;
            vs_error(&a, 500, -1000, "An unknown error occurred while processing the request.");
            break;
        case VS_F_1007_AFTER:
            a.order_count = false;
            vs_error(&a, 408, -1007,
                     "Timeout waiting for response from backend server. Send status unknown; "
                     "execution status unknown.");
            break;
        case VS_F_MALFORMED_AFTER:
            if (a.body)
                a.body[strlen(a.body) / 2] = '\0';
            a.http = 200;
            break;
        case VS_F_DROP_AFTER:
            pthread_mutex_unlock(&vs->mu);
            fprintf(stderr, "venue-sim: fault drop_after_place on %s %s\n", method, path);
            free(a.body);
            free(p);
            rp->drop = true;
            return;
        case VS_F_DELAY_AFTER:
            fprintf(stderr, "venue-sim: fault delay_after_place %u ms on %s %s\n", f.ms, method,
                    path);
            rp->delay_ms = f.ms; /* the server sleeps, without vs->mu */
            break;
        default:
            break;
        }
        fprintf(stderr, "venue-sim: fault on %s %s (placed %d)\n", method, path, (int)placed);
    }
answer:
    send_answer(vs, rp, &a, now);
    pthread_mutex_unlock(&vs->mu);
    free(a.body);
    free(p);
}

enum fb_err fb_vsim_start(const struct fb_vsim_params *p, struct fb_vsim **out, char *err,
                          size_t errlen)
{
    struct fb_vsim *vs;
    enum fb_err e;
    *out = NULL;
    e = fb_vsim_params_check(p, sizeof vs->key, sizeof vs->secret, err, errlen);
    if (e != FB_OK)
        return e;
    vs = calloc(1, sizeof *vs);
    if (!vs)
        return FB_ERR_NOMEM;
    pthread_mutex_init(&vs->mu, NULL);
    vs->p = p->sim;
    snprintf(vs->key, sizeof vs->key, "%s", p->api_key);
    snprintf(vs->secret, sizeof vs->secret, "%s", p->api_secret);
    if (vs_init_book(vs) != FB_OK) {
        snprintf(err, errlen, "invalid market parameters");
        pthread_mutex_destroy(&vs->mu);
        free(vs);
        return FB_ERR_INVALID;
    }
    e = fb_vsim_http_start(p->port, handler, vs, &vs->srv, err, errlen);
    if (e != FB_OK) {
        vs_free_book(vs);
        pthread_mutex_destroy(&vs->mu);
        free(vs);
        return e;
    }
    *out = vs;
    return FB_OK;
}

uint16_t fb_vsim_port(const struct fb_vsim *vs)
{
    return fb_vsim_http_port(vs->srv);
}

enum fb_err fb_vsim_add_fault(struct fb_vsim *vs, const char *spec, char *err, size_t errlen)
{
    struct vs_params p = {0};
    struct vs_answer a = {0};
    enum fb_err e;
    pthread_mutex_lock(&vs->mu);
    if (add_params(&p, spec, &a) != 0) {
        snprintf(err, errlen, "bad fault spec '%s'", spec);
        e = FB_ERR_INVALID;
    } else {
        e = add_fault(vs, &p, err, errlen);
    }
    pthread_mutex_unlock(&vs->mu);
    free(a.body);
    return e;
}

void fb_vsim_stop(struct fb_vsim *vs)
{
    if (!vs)
        return;
    fb_vsim_http_stop(vs->srv);
    fb_vsim_arrivals_free(&vs->arrivals);
    vs_free_book(vs);
    pthread_mutex_destroy(&vs->mu);
    memset(vs->secret, 0, sizeof vs->secret);
    free(vs);
}
