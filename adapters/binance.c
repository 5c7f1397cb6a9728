/*
 * binance: the venue edge (see binance.h). Builders and parsers are pure
 * (binance_req.c, binance_parse.c); this file holds state, timers, retries
 * and the fb_venue_ops glue. Only the registry reaches it.
 *
 * Every HTTP completion arrives inside fb_http_run(), i.e. inside run();
 * events go to an outbox flushed at the end of run(), so the sink may call
 * submit/cancel/... from on_event.
 */
#include "adapters/binance.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "adapters/binance_proto.h"
#include "adapters/http.h"
#include "adapters/sign.h"
#include "adapters/venue.h"
#include "bridge/log.h"
#include "bridge/strmap.h"

#define NS_PER_MS 1000000LL
#define CLOCK_RESYNC_NS (300LL * 1000 * NS_PER_MS)
#define BACKOFF_CAP_MS 30000
#define URL_MAX (FB_BN_QUERY_MAX + 256)
#define BN_RATES_MAX 8
#define RETAIN_NS (600LL * 1000 * NS_PER_MS) /* closed orders kept 10 min */

enum op {
    OP_TIME,
    OP_INFO,
    OP_NEW,       /* POST order */
    OP_NEW_QUERY, /* GET order after an unknown outcome of OP_NEW */
    OP_CANCEL,
    OP_REPLACE,
    OP_REPLACE_QUERY, /* GET order after an unknown outcome of OP_REPLACE:
                         the replacement's id (stage 0), then the old one's */
    OP_POLL,   /* GET order for a resting order */
    OP_TRADES, /* GET myTrades for an order */
    OP_QUERY,  /* engine's query */
    OP_OPEN,   /* engine's open_orders */
    OP_TICKER  /* GET ticker/bookTicker: the reference price */
};

enum phase { PH_SENDING, PH_OPEN, PH_DONE };

struct bn_order {
    struct fb_venue_order req; /* terms in force (qty = FIX total) */
    char coid[FB_VENUE_CLORDID_MAX + 1];
    int64_t order_id;
    enum phase phase;
    struct fb_dec base_cum; /* filled on earlier Binance orders (before a replace) */
    struct fb_dec cum;      /* total filled, all Binance orders of this FIX order */
    int64_t *seen;          /* trade ids already reported */
    size_t n_seen, cap_seen;
    int64_t next_poll;
    int poll_busy;
    int pending_terminal; /* status seen terminal; waiting for its fills */
    enum fb_bn_status terminal;
    int cancel_pending;
    char cancel_id[FB_VENUE_CLORDID_MAX + 1];
    int replace_pending;
    int refs;        /* calls that point at this order */
    int64_t done_at; /* when it closed; kept RETAIN_NS after for late answers */
};

/* A request's context, freed on completion. */
struct call {
    struct fb_bn *bn;
    struct call *prev, *next; /* in flight (for destroy) */
    enum op op;
    struct bn_order *o;
    int attempt;
    int64_t first_ns;
    int64_t sent_ns;
    int64_t origin_ns; /* OP_NEW: fb_venue_order.origin_ns */
    int stage;         /* OP_REPLACE_QUERY */
    int have_found;    /* OP_REPLACE_QUERY: the replacement exists (found) */
    struct fb_bn_order found;
    int writes;
    char id[FB_VENUE_CLORDID_MAX + 1]; /* query id, cancel id, listing id, new id */
    char symbol[FB_VENUE_SYMBOL_MAX + 1];
    struct fb_venue_replace rep;
    int64_t trades_of; /* OP_TRADES: this Binance order id, else the order's current one */
    size_t sym_next;   /* OP_QUERY without an order: next configured symbol to ask */
};

/* A request waiting for its backoff to end. */
struct delayed {
    int64_t at;
    struct call *c;
};

struct fb_bn {
    struct fb_binance_params p;
    char *base_url, *key, *keyhdr;
    struct fb_sign_key *sign; /* the API secret, ready to sign with */
    char **symbols;
    struct fb_venue_sink sink;
    struct fb_http *http;
    uint64_t rng;

    int started, have_time, have_info, time_busy;
    int64_t offset_ms;   /* server - local */
    int64_t next_resync; /* ns */
    int64_t now;         /* of the current/last run */
    int64_t blocked_until;
    long weight_limit_1m; /* exchangeInfo REQUEST_WEIGHT per minute */
    struct {
        char name[32]; /* lower-case header suffix: "used-weight-1m" */
        long value;
        int64_t minute; /* the venue's minute (server clock) it was read in */
    } rates[BN_RATES_MAX];
    size_t n_rates;

    struct fb_venue_market *markets;
    size_t n_markets;
    /* Touch per configured symbol (same index as symbols), from bookTicker. */
    struct bn_ref {
        struct fb_dec bid, ask;
        int64_t as_of; /* when the answer arrived (bn->now); 0 = never */
    } * refs;
    int ticker_busy;
    int ticker_tried; /* the start-up bookTicker has been answered (any outcome) */
    int64_t next_ticker;
    struct bn_order **orders;
    size_t n_orders, cap_orders;
    struct fb_strmap by_coid; /* client order id -> order (no scan per answer) */
    /* No open order's poll is due before this (a lower bound): schedule()
     * scans the orders only from then on, so a quiet book of thousands of
     * resting orders costs nothing per run. */
    int64_t poll_due;
    int64_t next_collect;
    struct delayed *later;
    size_t n_later, cap_later;
    struct call *inflight;
    struct fb_venue_event *out;
    size_t n_out, cap_out;
};

static void call_free(struct call *c)
{
    if (c && c->o)
        c->o->refs--;
    free(c);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ---- outbox ---- */

static void emit(struct fb_bn *bn, const struct fb_venue_event *ev)
{
    if (bn->n_out == bn->cap_out) {
        size_t cap = bn->cap_out ? bn->cap_out * 2 : 16;
        struct fb_venue_event *p = realloc(bn->out, cap * sizeof *p);
        if (!p) {
            fb_error("binance", "out of memory: event %s for %s lost",
                     fb_venue_event_kind_name(ev->kind), ev->client_order_id);
            return;
        }
        bn->out = p;
        bn->cap_out = cap;
    }
    bn->out[bn->n_out++] = *ev;
}

static void ev_init(struct fb_venue_event *ev, enum fb_venue_event_kind k, const struct bn_order *o,
                    int64_t ts_ns)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = k;
    ev->ts_ns = ts_ns;
    if (o) {
        copy_str(ev->client_order_id, sizeof ev->client_order_id, o->coid);
        copy_str(ev->symbol, sizeof ev->symbol, o->req.symbol);
        if (o->order_id)
            snprintf(ev->venue_order_id, sizeof ev->venue_order_id, "%lld", (long long)o->order_id);
    }
}

static void emit_reject(struct fb_bn *bn, enum fb_venue_event_kind k, const struct bn_order *o,
                        const char *coid, const char *request_id, enum fb_venue_reject_class cls,
                        enum fb_venue_reject_reason reason, const char *code, const char *text)
{
    struct fb_venue_event ev;
    ev_init(&ev, k, o, bn->now);
    if (coid)
        copy_str(ev.client_order_id, sizeof ev.client_order_id, coid);
    if (request_id)
        copy_str(ev.request_id, sizeof ev.request_id, request_id);
    ev.u.rej.cls = cls;
    ev.u.rej.reason = reason;
    copy_str(ev.u.rej.code, sizeof ev.u.rej.code, code ? code : "");
    copy_str(ev.u.rej.text, sizeof ev.u.rej.text, text ? text : "");
    emit(bn, &ev);
}

static void flush(struct fb_bn *bn)
{
    for (size_t i = 0; i < bn->n_out; i++) {
        struct fb_venue_event ev = bn->out[i];
        bn->sink.on_event(bn->sink.user, &ev);
    }
    bn->n_out = 0;
}

/* ---- orders ---- */

static struct bn_order *find_order(const struct fb_bn *bn, const char *coid)
{
    return fb_strmap_get(&bn->by_coid, coid);
}

/* Every change to an order's next poll goes through here. */
static void poll_at(struct fb_bn *bn, struct bn_order *o, int64_t t)
{
    o->next_poll = t;
    if (t < bn->poll_due)
        bn->poll_due = t;
}

/* o may be polled again (its poll, replace or send is over). */
static void poll_wake(struct fb_bn *bn, const struct bn_order *o)
{
    if (o->next_poll < bn->poll_due)
        bn->poll_due = o->next_poll;
}

static struct bn_order *add_order(struct fb_bn *bn, const struct fb_venue_order *req)
{
    struct bn_order *o;
    if (bn->n_orders == bn->cap_orders) {
        size_t cap = bn->cap_orders ? bn->cap_orders * 2 : 16;
        struct bn_order **p = realloc(bn->orders, cap * sizeof *p);
        if (!p)
            return NULL;
        bn->orders = p;
        bn->cap_orders = cap;
    }
    o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->req = *req;
    o->next_poll = INT64_MAX; /* set when the venue has it (apply_order, adopt) */
    copy_str(o->coid, sizeof o->coid, req->client_order_id);
    if (fb_strmap_put(&bn->by_coid, o->coid, o) != FB_OK) {
        free(o);
        return NULL;
    }
    bn->orders[bn->n_orders++] = o;
    return o;
}

static int seen(const struct bn_order *o, int64_t id)
{
    for (size_t i = 0; i < o->n_seen; i++)
        if (o->seen[i] == id)
            return 1;
    return 0;
}

static int mark_seen(struct bn_order *o, int64_t id)
{
    if (o->n_seen == o->cap_seen) {
        size_t cap = o->cap_seen ? o->cap_seen * 2 : 8;
        int64_t *p = realloc(o->seen, cap * sizeof *p);
        if (!p)
            return 0;
        o->seen = p;
        o->cap_seen = cap;
    }
    o->seen[o->n_seen++] = id;
    return 1;
}

/* Reports one execution unless its trade id was reported before. */
static void report_fill(struct fb_bn *bn, struct bn_order *o, int64_t trade_id, struct fb_dec qty,
                        struct fb_dec px, struct fb_dec fee, const char *fee_ccy, int is_maker,
                        int64_t ts_ns)
{
    struct fb_venue_event ev;
    struct fb_dec cum, leaves = fb_dec_zero();
    if (seen(o, trade_id))
        return;
    if (!mark_seen(o, trade_id) || fb_dec_add(o->cum, qty, &cum) != FB_OK) {
        fb_error("binance", "order %s: trade %lld not recorded", o->coid, (long long)trade_id);
        return;
    }
    o->cum = cum;
    if (fb_dec_sign(o->req.qty) > 0 && fb_dec_sub(o->req.qty, cum, &leaves) == FB_OK &&
        fb_dec_sign(leaves) < 0)
        leaves = fb_dec_zero();
    ev_init(&ev, FB_VEV_FILL, o, ts_ns);
    snprintf(ev.u.fill.trade_id, sizeof ev.u.fill.trade_id, "%lld", (long long)trade_id);
    ev.u.fill.qty = qty;
    ev.u.fill.price = px;
    ev.u.fill.fee = fee;
    copy_str(ev.u.fill.fee_currency, sizeof ev.u.fill.fee_currency, fee_ccy);
    ev.u.fill.liquidity = is_maker < 0 ? FB_VLIQ_UNKNOWN : is_maker ? FB_VLIQ_MAKER : FB_VLIQ_TAKER;
    ev.u.fill.cum_qty = cum;
    ev.u.fill.leaves_qty = leaves;
    emit(bn, &ev);
}

static int64_t ts_of(const struct fb_bn *bn, int64_t ms)
{
    return ms > 0 ? ms * NS_PER_MS : bn->now;
}

static int is_terminal(enum fb_bn_status s)
{
    return s == FB_BN_ST_FILLED || s == FB_BN_ST_CANCELED || s == FB_BN_ST_REJECTED ||
           s == FB_BN_ST_EXPIRED || s == FB_BN_ST_EXPIRED_IN_MATCH;
}

static void mark_done(struct fb_bn *bn, struct bn_order *o)
{
    o->phase = PH_DONE;
    o->done_at = bn->now;
}

/* The order is closed on the venue and every fill has been reported. */
static void close_order(struct fb_bn *bn, struct bn_order *o, enum fb_bn_status st, int64_t ts)
{
    struct fb_venue_event ev;
    mark_done(bn, o);
    o->pending_terminal = 0;
    if (st == FB_BN_ST_FILLED)
        return; /* the last FILL said leaves 0 */
    ev_init(&ev, FB_VEV_CANCELED, o, ts);
    ev.u.canceled.cum_qty = o->cum;
    if (o->cancel_pending) {
        ev.u.canceled.reason = FB_VCXL_REQUESTED;
        copy_str(ev.request_id, sizeof ev.request_id, o->cancel_id);
        o->cancel_pending = 0;
    } else if (st == FB_BN_ST_EXPIRED && o->req.tif == FB_VENUE_FOK) {
        ev.u.canceled.reason = FB_VCXL_FOK_UNFILLED;
    } else if (st == FB_BN_ST_EXPIRED &&
               (o->req.tif == FB_VENUE_IOC || o->req.type == FB_VENUE_MARKET)) {
        ev.u.canceled.reason = FB_VCXL_IOC_REMAINDER;
    } else {
        /* CANCELED without our cancel, EXPIRED_IN_MATCH (STP), exchange expiry. */
        ev.u.canceled.reason = FB_VCXL_UNSOLICITED;
    }
    emit(bn, &ev);
}

/* ---- sending ---- */

static void call_done(void *user, const struct fb_http_response *r);

/* A new order's first request left: the bridge's FIX-in -> REST figure. */
static void call_written(void *user, int64_t written_ns)
{
    struct call *c = user;
    if (c->bn->sink.on_written)
        c->bn->sink.on_written(c->bn->sink.user, c->origin_ns, written_ns);
}

static const char *path_of(enum op op)
{
    switch (op) {
    case OP_TIME:
        return "/api/v3/time";
    case OP_INFO:
        return "/api/v3/exchangeInfo";
    case OP_NEW:
        return "/api/v3/order";
    case OP_REPLACE:
        return "/api/v3/order/cancelReplace";
    case OP_TRADES:
        return "/api/v3/myTrades";
    case OP_OPEN:
        return "/api/v3/openOrders";
    case OP_TICKER:
        return "/api/v3/ticker/bookTicker";
    case OP_NEW_QUERY:
    case OP_REPLACE_QUERY:
    case OP_CANCEL:
    case OP_POLL:
    case OP_QUERY:
        return "/api/v3/order";
    }
    return "/";
}

static enum fb_http_method method_of(enum op op)
{
    switch (op) {
    case OP_NEW:
    case OP_REPLACE:
        return FB_HTTP_POST;
    case OP_CANCEL:
        return FB_HTTP_DELETE;
    default:
        return FB_HTTP_GET;
    }
}

/* Adds symbols=["A","B",...] (every configured symbol, A.2 array form). */
static enum fb_err add_symbols(const struct fb_bn *bn, struct fb_bn_query *q)
{
    char arr[FB_BN_QUERY_MAX / 2];
    size_t n = 0;
    arr[n++] = '[';
    for (size_t i = 0; i < bn->p.n_symbols; i++) {
        int w = snprintf(arr + n, sizeof arr - n, "%s\"%s\"", i ? "," : "", bn->symbols[i]);
        if (w < 0 || (size_t)w >= sizeof arr - n)
            return FB_ERR_TOO_LARGE;
        n += (size_t)w;
    }
    if (n + 2 > sizeof arr)
        return FB_ERR_TOO_LARGE;
    arr[n++] = ']';
    arr[n] = '\0';
    fb_bn_q_add(q, "symbols", arr);
    return q->err;
}

/* Builds the unsigned parameters of c. */
static enum fb_err params_of(struct fb_bn *bn, struct call *c, struct fb_bn_query *q, char *why,
                             size_t whylen)
{
    fb_bn_q_init(q);
    switch (c->op) {
    case OP_TIME:
        return FB_OK;
    case OP_INFO:
        return add_symbols(bn, q);
    case OP_TICKER:
        /* One symbol: weight 2; several: one call with symbols=, weight 4
         * (A.7) rather than 2 per symbol. */
        if (bn->p.n_symbols == 1) {
            fb_bn_q_add(q, "symbol", bn->symbols[0]);
            return q->err;
        }
        return add_symbols(bn, q);
    case OP_NEW:
        return fb_bn_build_order(&c->o->req, q, why, whylen);
    case OP_REPLACE: {
        struct fb_venue_order n = c->o->req;
        struct fb_dec leaves;
        enum fb_err e;
        copy_str(n.client_order_id, sizeof n.client_order_id, c->rep.new_client_order_id);
        if (fb_dec_sub(c->rep.qty, c->o->cum, &leaves) != FB_OK || fb_dec_sign(leaves) <= 0) {
            snprintf(why, whylen, "new quantity is not above the filled quantity");
            return FB_ERR_UNSUPPORTED;
        }
        n.qty = leaves;
        if (fb_dec_sign(c->rep.price) > 0)
            n.price = c->rep.price;
        if (fb_dec_sign(c->rep.stop_price) > 0)
            n.stop_price = c->rep.stop_price;
        if (fb_dec_sign(n.display_qty) > 0 && fb_dec_cmp(n.display_qty, leaves) > 0)
            n.display_qty = leaves;
        e = fb_bn_build_order(&n, q, why, whylen);
        fb_bn_q_add(q, "cancelReplaceMode", "STOP_ON_FAILURE");
        fb_bn_q_add(q, "cancelOrigClientOrderId", c->o->coid);
        return e != FB_OK ? e : q->err;
    }
    case OP_CANCEL:
        fb_bn_q_add(q, "symbol", c->o->req.symbol);
        fb_bn_q_add(q, "origClientOrderId", c->o->coid);
        fb_bn_q_add(q, "newClientOrderId", c->id);
        return q->err;
    case OP_QUERY:
        if (!c->o) { /* not sent by this process: asked symbol by symbol */
            fb_bn_q_add(q, "symbol", c->symbol);
            fb_bn_q_add(q, "origClientOrderId", c->id);
            return q->err;
        }
        /* fall through */
    case OP_NEW_QUERY:
    case OP_REPLACE_QUERY:
    case OP_POLL:
        fb_bn_q_add(q, "symbol", c->o->req.symbol);
        fb_bn_q_add(q, "origClientOrderId", c->id[0] ? c->id : c->o->coid);
        return q->err;
    case OP_TRADES:
        fb_bn_q_add(q, "symbol", c->o->req.symbol);
        fb_bn_q_add_i64(q, "orderId", c->trades_of ? c->trades_of : c->o->order_id);
        return q->err;
    case OP_OPEN:
        if (c->symbol[0])
            fb_bn_q_add(q, "symbol", c->symbol);
        return q->err;
    }
    return FB_ERR_INTERNAL;
}

static int signed_op(enum op op)
{
    return op != OP_TIME && op != OP_INFO && op != OP_TICKER;
}

/* Sends c now; on a local failure c is freed and the error returned. */
static enum fb_err send_call(struct fb_bn *bn, struct call *c)
{
    struct fb_bn_query q;
    char why[FB_VENUE_TEXT_MAX + 1] = "";
    char url[URL_MAX];
    const char *hdrs[1];
    struct fb_http_request r;
    enum fb_http_method m = method_of(c->op);
    enum fb_err e = params_of(bn, c, &q, why, sizeof why);
    int in_body = m == FB_HTTP_POST;

    if (e == FB_OK && signed_op(c->op))
        e = fb_bn_sign_query(&q, bn->sign, bn->p.recv_window_ms,
                             bn->now / NS_PER_MS + bn->offset_ms);
    if (e != FB_OK) {
        call_free(c);
        return e;
    }
    if (snprintf(url, sizeof url, "%s%s%s%s", bn->base_url, path_of(c->op),
                 !in_body && q.len ? "?" : "", !in_body ? q.buf : "") >= (int)sizeof url) {
        call_free(c);
        return FB_ERR_TOO_LARGE;
    }
    memset(&r, 0, sizeof r);
    r.method = m;
    r.url = url;
    if (in_body) {
        r.body = q.buf;
        r.body_len = q.len;
    }
    hdrs[0] = bn->keyhdr;
    r.headers = hdrs;
    r.n_headers = signed_op(c->op) ? 1 : 0;
    r.done = call_done;
    r.user = c;
    if (c->op == OP_NEW && c->origin_ns && c->attempt == 0)
        r.written = call_written;
    c->sent_ns = bn->now;
    if (!c->first_ns)
        c->first_ns = bn->now;
    c->attempt++;
    e = fb_http_submit(bn->http, &r);
    OPENSSL_cleanse(&q, sizeof q);
    if (e != FB_OK) {
        call_free(c);
        return e;
    }
    c->prev = NULL;
    c->next = bn->inflight;
    if (bn->inflight)
        bn->inflight->prev = c;
    bn->inflight = c;
    return FB_OK;
}

static struct call *new_call(struct fb_bn *bn, enum op op, struct bn_order *o)
{
    struct call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (o)
        o->refs++;
    c->bn = bn;
    c->op = op;
    c->o = o;
    c->writes = op == OP_NEW || op == OP_CANCEL || op == OP_REPLACE;
    return c;
}

/* Queues c to be sent at `at` (or now if at <= now and nothing blocks). */
static void defer(struct fb_bn *bn, struct call *c, int64_t at)
{
    if (at < bn->blocked_until)
        at = bn->blocked_until;
    if (bn->n_later == bn->cap_later) {
        size_t cap = bn->cap_later ? bn->cap_later * 2 : 16;
        struct delayed *p = realloc(bn->later, cap * sizeof *p);
        if (!p) {
            fb_error("binance", "out of memory: request dropped");
            call_free(c);
            return;
        }
        bn->later = p;
        bn->cap_later = cap;
    }
    bn->later[bn->n_later].at = at;
    bn->later[bn->n_later].c = c;
    bn->n_later++;
}

/* Exponential backoff with jitter: base * 2^(attempt-1), capped, times 0.5..1. */
static int64_t backoff_ns(struct fb_bn *bn, int attempt, int64_t retry_after_ms)
{
    int64_t ms = bn->p.retry_base_ms;
    for (int i = 1; i < attempt && ms < BACKOFF_CAP_MS; i++)
        ms *= 2;
    if (ms > BACKOFF_CAP_MS)
        ms = BACKOFF_CAP_MS;
    ms = ms / 2 + (int64_t)(splitmix64(&bn->rng) % (uint64_t)(ms / 2 + 1));
    if (ms < retry_after_ms)
        ms = retry_after_ms;
    return ms * NS_PER_MS;
}

static int exhausted(const struct fb_bn *bn, const struct call *c)
{
    return c->attempt >= (int)bn->p.max_attempts ||
           bn->now - c->first_ns >= (int64_t)bn->p.retry_deadline_ms * NS_PER_MS;
}

static void retry_later(struct fb_bn *bn, struct call *c, int64_t retry_after_ms)
{
    defer(bn, c, bn->now + backoff_ns(bn, c->attempt, retry_after_ms));
}

/* Sends or defers; a local build failure becomes the request's reject. */
static void start_call(struct fb_bn *bn, struct call *c)
{
    if (bn->now < bn->blocked_until) {
        defer(bn, c, bn->blocked_until);
        return;
    }
    enum op op = c->op;
    struct bn_order *o = c->o;
    char id[FB_VENUE_CLORDID_MAX + 1];
    copy_str(id, sizeof id, c->id);
    enum fb_err e = send_call(bn, c); /* frees c on failure */
    if (e == FB_OK)
        return;
    fb_error("binance", "request not sent: %s", fb_strerror(e));
    if (op == OP_NEW && o) {
        mark_done(bn, o);
        emit_reject(bn, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_FINAL, FB_VRR_OTHER, "",
                    fb_strerror(e));
    } else if (op == OP_CANCEL && o) {
        o->cancel_pending = 0;
        emit_reject(bn, FB_VEV_CANCEL_REJECT, o, NULL, id, FB_VREJ_RETRYABLE, FB_VRR_OTHER, "",
                    fb_strerror(e));
    } else if (op == OP_REPLACE && o) {
        o->replace_pending = 0;
        poll_wake(bn, o);
        emit_reject(bn, FB_VEV_REPLACE_REJECT, o, NULL, id, FB_VREJ_FINAL, FB_VRR_OTHER, "",
                    fb_strerror(e));
    }
}

/* ---- handling answers ---- */

/* The venue's current minute by its clock: the weight's window (A.7). */
static int64_t server_minute(const struct fb_bn *bn)
{
    return (bn->now / NS_PER_MS + bn->offset_ms) / 60000;
}

/* Keeps the last X-MBX-USED-WEIGHT-* and X-MBX-ORDER-COUNT-* values
 * (names compared case-insensitively: Binance sends them lower case, H.3). */
static void track_headers(struct fb_bn *bn, const struct fb_http_response *r)
{
    size_t pos = 0, nl, vl;
    const char *n, *v;
    while (fb_http_header_next(r, &pos, &n, &nl, &v, &vl)) {
        char name[32];
        long val = 0;
        size_t i, k;
        if (nl < 17 || nl - 6 >= sizeof name ||
            (strncasecmp(n, "x-mbx-used-weight", 17) != 0 &&
             strncasecmp(n, "x-mbx-order-count-", 18) != 0))
            continue;
        for (i = 0; i < vl && i < 12 && v[i] >= '0' && v[i] <= '9'; i++)
            val = val * 10 + (v[i] - '0');
        if (i == 0 || i != vl)
            continue;
        for (i = 6; i < nl; i++)
            name[i - 6] = (char)tolower((unsigned char)n[i]);
        name[nl - 6] = '\0';
        for (k = 0; k < bn->n_rates && strcmp(bn->rates[k].name, name) != 0; k++)
            ;
        if (k == bn->n_rates) {
            if (k == BN_RATES_MAX)
                continue;
            memcpy(bn->rates[k].name, name, nl - 6 + 1);
            bn->n_rates++;
        }
        bn->rates[k].value = val;
        bn->rates[k].minute = server_minute(bn);
    }
}

long fb_binance_rate_usage(const void *state, const char *which)
{
    const struct fb_bn *bn = state;
    for (size_t k = 0; bn && which && k < bn->n_rates; k++)
        if (strcmp(bn->rates[k].name, which) == 0)
            return bn->rates[k].value;
    return -1;
}

/* Polling yields to orders when the minute's weight is nearly spent. A
 * reading from an earlier minute says nothing: the weight restarts at 0
 * each minute, and with polls and the ticker yielding no answer would come
 * to refresh it, so fills would wait for an order or the clock resync. */
static int weight_tight(const struct fb_bn *bn)
{
    for (size_t k = 0; k < bn->n_rates; k++)
        if (strcmp(bn->rates[k].name, "used-weight-1m") == 0)
            return bn->rates[k].minute == server_minute(bn) &&
                   bn->rates[k].value * 10 >= bn->weight_limit_1m * 9;
    return 0;
}

/* Applies an order object (new-order answer, poll, query after unknown). */
static void apply_order(struct fb_bn *bn, struct bn_order *o, const struct fb_bn_order *b,
                        int first)
{
    int64_t ts = ts_of(bn, b->time_ms);
    struct fb_dec total;
    if (first) {
        struct fb_venue_event ev;
        if (b->status == FB_BN_ST_REJECTED) {
            mark_done(bn, o);
            emit_reject(bn, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_FINAL, FB_VRR_OTHER, "",
                        "rejected by Binance");
            return;
        }
        o->order_id = b->order_id;
        o->phase = PH_OPEN;
        ev_init(&ev, FB_VEV_ACK, o, ts);
        emit(bn, &ev);
    } else if (o->order_id == 0 && b->order_id > 0) {
        /* Given up on (outcome unknown) and found by a poll: myTrades is
         * asked by orderId, so without it no fill would ever match and the
         * order would be polled for ever. The engine learns of it from its
         * own query. */
        o->order_id = b->order_id;
    }
    if (fb_dec_sign(o->req.qty) == 0 && fb_dec_sign(b->orig_qty) > 0)
        o->req.qty = b->orig_qty; /* quote-qty market: the venue's base qty */
    for (size_t i = 0; i < b->n_fills; i++) {
        const struct fb_bn_fill *f = &b->fills[i];
        report_fill(bn, o, f->trade_id, f->qty, f->price, f->commission, f->commission_asset,
                    f->is_maker, ts);
    }
    if (fb_dec_add(o->base_cum, b->executed_qty, &total) != FB_OK)
        total = o->cum;
    if (fb_dec_cmp(total, o->cum) > 0) {
        /* Fills we have not seen: myTrades has the ids, fees and roles. */
        o->pending_terminal = is_terminal(b->status);
        o->terminal = b->status;
        struct call *c = new_call(bn, OP_TRADES, o);
        if (c) {
            o->poll_busy = 1;
            start_call(bn, c);
        }
        return;
    }
    if (is_terminal(b->status))
        close_order(bn, o, b->status, ts);
    else
        poll_at(bn, o, bn->now + (int64_t)bn->p.poll_interval_ms * NS_PER_MS);
}

static void emit_status(struct fb_bn *bn, const struct fb_bn_order *b, struct bn_order *o,
                        const char *coid, const char *request_id)
{
    struct fb_venue_event ev;
    struct fb_dec cum = b->executed_qty, base = o ? o->base_cum : fb_dec_zero();
    ev_init(&ev, FB_VEV_STATUS, o, ts_of(bn, b->time_ms));
    copy_str(ev.client_order_id, sizeof ev.client_order_id, coid);
    copy_str(ev.symbol, sizeof ev.symbol, b->symbol);
    snprintf(ev.venue_order_id, sizeof ev.venue_order_id, "%lld", (long long)b->order_id);
    if (request_id)
        copy_str(ev.request_id, sizeof ev.request_id, request_id);
    if (fb_dec_add(base, b->executed_qty, &cum) != FB_OK)
        cum = b->executed_qty;
    ev.u.status.state = fb_bn_state(b->status);
    if (ev.u.status.state == FB_VOS_NEW && fb_dec_sign(cum) > 0)
        ev.u.status.state = FB_VOS_PARTIALLY_FILLED;
    ev.u.status.qty = o && fb_dec_sign(o->req.qty) > 0 ? o->req.qty : b->orig_qty;
    ev.u.status.price = b->price;
    ev.u.status.cum_qty = cum;
    if (fb_dec_sign(b->executed_qty) > 0 &&
        fb_dec_div(b->cum_quote, b->executed_qty, 18, FB_ROUND_HALF_EVEN, &ev.u.status.avg_px) !=
            FB_OK)
        ev.u.status.avg_px = fb_dec_zero();
    if (fb_dec_sign(b->cum_quote) < 0)
        ev.u.status.avg_px = fb_dec_zero(); /* not available (A.8.12) */
    if (ev.u.status.state == FB_VOS_NEW || ev.u.status.state == FB_VOS_PARTIALLY_FILLED) {
        if (fb_dec_sub(ev.u.status.qty, cum, &ev.u.status.leaves_qty) != FB_OK ||
            fb_dec_sign(ev.u.status.leaves_qty) < 0)
            ev.u.status.leaves_qty = fb_dec_zero();
    }
    emit(bn, &ev);
}

static void emit_status_unknown(struct fb_bn *bn, const char *coid, const char *symbol)
{
    struct fb_venue_event ev;
    ev_init(&ev, FB_VEV_STATUS, NULL, bn->now);
    copy_str(ev.client_order_id, sizeof ev.client_order_id, coid);
    copy_str(ev.request_id, sizeof ev.request_id, coid);
    copy_str(ev.symbol, sizeof ev.symbol, symbol ? symbol : "");
    ev.u.status.state = FB_VOS_UNKNOWN;
    emit(bn, &ev);
}

/* -2013 (no such order) or -2026 (archived): the venue's word that the id
 * names no live order. */
static int no_such_order(const struct fb_bn_answer *a)
{
    return a->cls == FB_BN_REJECT && (a->code == -2013 || a->code == -2026);
}

/* The venue says it has no order under o's id: polling cannot learn more,
 * so stop, and tell the engine (an engine waiting on an unknown outcome
 * settles it with this). Only for an order not being sent: during OP_NEW's
 * resends "-2013" is expected and the resend goes on. */
static void venue_has_none(struct fb_bn *bn, struct bn_order *o, int tell)
{
    if (o->phase != PH_OPEN)
        return;
    fb_warn("binance", "order %s: Binance has no such order; no longer polled", o->coid);
    mark_done(bn, o);
    o->pending_terminal = 0;
    if (tell)
        emit_status_unknown(bn, o->coid, o->req.symbol);
}

static void on_new(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct bn_order *o = c->o;
    struct fb_bn_order b;
    switch (a->cls) {
    case FB_BN_OK:
        if (fb_bn_parse_order(j, &b) != FB_OK || strcmp(b.client_order_id, o->coid) != 0)
            break; /* unparseable: outcome unknown */
        apply_order(bn, o, &b, 1);
        call_free(c);
        return;
    case FB_BN_REJECT:
        if (!(a->reason == FB_VRR_DUPLICATE_ID && c->attempt > 1)) {
            mark_done(bn, o);
            emit_reject(bn, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_FINAL, a->reason, a->code_text,
                        a->msg);
            call_free(c);
            return;
        }
        /* A resend called a duplicate: an earlier copy did arrive. */
        break;
    case FB_BN_RETRY:
        if (exhausted(bn, c)) {
            mark_done(bn, o);
            emit_reject(bn, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_RETRYABLE, a->reason,
                        a->code_text, a->msg);
            call_free(c);
        } else {
            /* Same client order id; a new timestamp and signature. */
            retry_later(bn, c, a->retry_after_ms);
        }
        return;
    case FB_BN_UNKNOWN:
        break;
    }
    fb_warn("binance", "order %s: outcome unknown (%s); querying before any resend", o->coid,
            a->msg);
    c->op = OP_NEW_QUERY;
    c->writes = 0;
    retry_later(bn, c, 0);
}

static void on_new_query(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct bn_order *o = c->o;
    struct fb_bn_order b;
    if (a->cls == FB_BN_OK && fb_bn_parse_order(j, &b) == FB_OK &&
        strcmp(b.client_order_id, o->coid) == 0) {
        apply_order(bn, o, &b, 1);
        call_free(c);
        return;
    }
    if (exhausted(bn, c)) {
        /* Hand it to the engine, which asks the venue once more. */
        emit_reject(bn, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_UNKNOWN_OUTCOME, FB_VRR_OTHER,
                    a->code_text, "outcome unknown after retries");
        if (no_such_order(a)) {
            /* The venue's last word is that it has no such order, and no
             * resend follows: nothing is left to poll. The engine's query
             * revives it should a late copy have landed (on_query). */
            mark_done(bn, o);
        } else {
            /* Still not sure: keep tracking it until the venue says. */
            o->phase = PH_OPEN;
            poll_at(bn, o, bn->now);
        }
        call_free(c);
        return;
    }
    if (a->cls == FB_BN_REJECT && a->code == -2013) {
        /* Not placed: resend with the same client order id. */
        c->op = OP_NEW;
        c->writes = 1;
    }
    retry_later(bn, c, a->retry_after_ms);
}

static void on_cancel(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct bn_order *o = c->o;
    struct fb_bn_order b;
    if (a->cls == FB_BN_OK && fb_bn_parse_order(j, &b) == FB_OK) {
        /* Fills before the cancel come first, then CANCELED (apply_order). */
        b.n_fills = 0;
        apply_order(bn, o, &b, 0);
        call_free(c);
        return;
    }
    if (a->cls == FB_BN_REJECT) {
        if (c->attempt > 1 && a->reason == FB_VRR_UNKNOWN_ORDER) {
            /* An earlier copy may have canceled it: let a poll decide. */
            poll_at(bn, o, bn->now);
            call_free(c);
            return;
        }
        o->cancel_pending = 0;
        emit_reject(bn, FB_VEV_CANCEL_REJECT, o, NULL, c->id, FB_VREJ_FINAL,
                    a->reason == FB_VRR_UNKNOWN_ORDER && o->phase != PH_SENDING ? FB_VRR_TOO_LATE
                                                                                : a->reason,
                    a->code_text, a->msg);
        poll_at(bn, o, bn->now); /* learn how it ended */
        call_free(c);
        return;
    }
    if (exhausted(bn, c)) {
        o->cancel_pending = 0;
        emit_reject(bn, FB_VEV_CANCEL_REJECT, o, NULL, c->id,
                    a->cls == FB_BN_UNKNOWN ? FB_VREJ_UNKNOWN_OUTCOME : FB_VREJ_RETRYABLE,
                    a->reason, a->code_text, a->msg);
        poll_at(bn, o, bn->now);
        call_free(c);
        return;
    }
    /* Repeating a cancel is harmless (a second one gets -2011). */
    retry_later(bn, c, a->retry_after_ms);
}

/* The cancelReplace was made: oldb is the old order as it ended, newb the
 * replacement. The FIX order continues as the replacement. */
static void replace_made(struct fb_bn *bn, struct bn_order *o, const struct call *c,
                         const struct fb_bn_order *oldb, const struct fb_bn_order *newb)
{
    struct fb_dec old_cum;
    if (fb_dec_add(o->base_cum, oldb->executed_qty, &old_cum) != FB_OK)
        old_cum = o->cum;
    int64_t old_id = o->order_id;
    int missed = fb_dec_cmp(old_cum, o->cum) > 0;
    struct fb_venue_event ev;
    ev_init(&ev, FB_VEV_REPLACED, o, ts_of(bn, newb->time_ms));
    copy_str(ev.request_id, sizeof ev.request_id, c->rep.new_client_order_id);
    snprintf(ev.venue_order_id, sizeof ev.venue_order_id, "%lld", (long long)newb->order_id);
    ev.u.replaced.qty = c->rep.qty;
    ev.u.replaced.price = newb->price;
    ev.u.replaced.stop_price = newb->stop_price;
    ev.u.replaced.cum_qty = o->cum;
    if (fb_dec_sub(c->rep.qty, old_cum, &ev.u.replaced.leaves_qty) != FB_OK ||
        fb_dec_sign(ev.u.replaced.leaves_qty) < 0)
        ev.u.replaced.leaves_qty = fb_dec_zero();
    emit(bn, &ev);
    /* The FIX order continues as the replacement Binance order. */
    if (fb_strmap_del(&bn->by_coid, o->coid) != o)
        fb_warn("binance", "order %s: not indexed", o->coid);
    copy_str(o->coid, sizeof o->coid, c->rep.new_client_order_id);
    if (fb_strmap_put(&bn->by_coid, o->coid, o) != FB_OK)
        fb_error("binance", "order %s: out of memory indexing it", o->coid);
    copy_str(o->req.client_order_id, sizeof o->req.client_order_id, o->coid);
    o->req.qty = c->rep.qty;
    if (fb_dec_sign(c->rep.price) > 0)
        o->req.price = c->rep.price;
    if (fb_dec_sign(c->rep.stop_price) > 0)
        o->req.stop_price = c->rep.stop_price;
    /* The replacement starts from zero on Binance: what the old
     * order filled is the base, reported or not. */
    o->base_cum = old_cum;
    o->order_id = newb->order_id;
    if (missed) {
        /* Fills of the old order raced the replace: fetch them by
         * the old order id (its quantity was sized on the stale
         * CumQty: logged for the operator). */
        struct call *t = new_call(bn, OP_TRADES, o);
        fb_warn("binance", "order %s: fills raced the replace; fetching them", o->coid);
        if (t) {
            t->trades_of = old_id;
            start_call(bn, t);
        }
    }
    apply_order(bn, o, newb, 0);
}

static void on_replace(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct bn_order *o = c->o;
    /* 200: the body itself; 400 (-2022) and 409 (-2021): under "data". */
    const json_t *data = json_object_get(j, "data") ? json_object_get(j, "data") : j;
    const json_t *cr = json_object_get(data, "cancelResponse");
    const json_t *nr = json_object_get(data, "newOrderResponse");
    const char *cres = json_string_value(json_object_get(data, "cancelResult"));
    const char *nres = json_string_value(json_object_get(data, "newOrderResult"));
    struct fb_bn_order oldb, newb;

    o->replace_pending = 0;
    poll_wake(bn, o);
    if (a->cls == FB_BN_OK && cres && nres && strcmp(cres, "SUCCESS") == 0 &&
        fb_bn_parse_order(cr, &oldb) == FB_OK) {
        if (strcmp(nres, "SUCCESS") == 0 && fb_bn_parse_order(nr, &newb) == FB_OK) {
            replace_made(bn, o, c, &oldb, &newb);
            call_free(c);
            return;
        }
        /* -2021: canceled, replacement refused: the order is gone. */
        const char *m = json_string_value(json_object_get(nr, "msg"));
        emit_reject(bn, FB_VEV_REPLACE_REJECT, o, NULL, c->rep.new_client_order_id, FB_VREJ_FINAL,
                    FB_VRR_OTHER, a->code_text, m ? m : a->msg);
        close_order(bn, o, FB_BN_ST_CANCELED, bn->now);
        call_free(c);
        return;
    }
    if (a->cls == FB_BN_REJECT || a->cls == FB_BN_OK) {
        /* -2022: the cancel failed, nothing was placed. */
        const char *m = json_string_value(json_object_get(cr, "msg"));
        json_t *cc = json_object_get(cr, "code");
        enum fb_venue_reject_reason why =
            json_is_integer(cc) && json_integer_value(cc) == -2011 ? FB_VRR_TOO_LATE : a->reason;
        emit_reject(bn, FB_VEV_REPLACE_REJECT, o, NULL, c->rep.new_client_order_id, FB_VREJ_FINAL,
                    why, a->code_text, m ? m : a->msg);
        poll_at(bn, o, bn->now);
        call_free(c);
        return;
    }
    if (a->cls == FB_BN_RETRY && !exhausted(bn, c)) {
        o->replace_pending = 1;
        retry_later(bn, c, a->retry_after_ms);
        return;
    }
    if (a->cls == FB_BN_UNKNOWN) {
        /* Either half may have happened: ask the venue for the
         * replacement, then for the old order (on_replace_query). */
        fb_warn("binance", "order %s: cancelReplace outcome unknown (%s); asking for %s",
                o->coid, a->msg, c->rep.new_client_order_id);
        o->replace_pending = 1;
        c->op = OP_REPLACE_QUERY;
        c->writes = 0;
        c->stage = 0;
        c->have_found = 0;
        copy_str(c->id, sizeof c->id, c->rep.new_client_order_id);
        retry_later(bn, c, 0);
        return;
    }
    /* Retries used up: nothing was done. */
    emit_reject(bn, FB_VEV_REPLACE_REJECT, o, NULL, c->rep.new_client_order_id,
                FB_VREJ_RETRYABLE, a->reason, a->code_text, a->msg);
    poll_at(bn, o, bn->now);
    call_free(c);
}

/* After an unknown cancelReplace outcome: stage 0 asks for the replacement,
 * stage 1 for the old order. Replacement there: the replace was made
 * (Replaced, the old order's fills as the base). Replacement absent: the
 * old order says the rest - still open, the replace was not made (refused,
 * terms kept); ended, its end is reported. Never guessed: no answer is
 * asked again. */
static void on_replace_query(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a,
                             json_t *j)
{
    struct bn_order *o = c->o;
    struct fb_bn_order b;
    if (a->cls == FB_BN_OK && fb_bn_parse_order(j, &b) == FB_OK) {
        if (c->stage == 0) {
            c->found = b;
            c->have_found = 1;
        } else {
            o->replace_pending = 0;
            if (c->have_found) {
                fb_info("binance", "order %s: the cancelReplace was made", o->coid);
                replace_made(bn, o, c, &b, &c->found);
            } else {
                fb_info("binance", "order %s: the cancelReplace was not made", o->coid);
                emit_reject(bn, FB_VEV_REPLACE_REJECT, o, NULL, c->rep.new_client_order_id,
                            FB_VREJ_FINAL, FB_VRR_OTHER, "",
                            "cancelReplace not made (checked after an unknown outcome)");
                apply_order(bn, o, &b, 0); /* its fills and its end, if it ended */
                if (!is_terminal(b.status))
                    poll_at(bn, o, bn->now);
            }
            call_free(c);
            return;
        }
    } else if (no_such_order(a)) {
        if (c->stage == 1) {
            /* Neither id: not expected of the venue. Say so, keep polling. */
            fb_warn("binance", "order %s: neither it nor its replacement %s is known to the "
                               "venue", o->coid, c->rep.new_client_order_id);
            o->replace_pending = 0;
            emit_reject(bn, FB_VEV_REPLACE_REJECT, o, NULL, c->rep.new_client_order_id,
                        FB_VREJ_UNKNOWN_OUTCOME, FB_VRR_UNKNOWN_ORDER, a->code_text, a->msg);
            poll_at(bn, o, bn->now);
            call_free(c);
            return;
        }
    } else {
        retry_later(bn, c, a->retry_after_ms);
        return;
    }
    /* the old order next */
    c->stage = 1;
    c->attempt = 0;
    c->first_ns = 0;
    copy_str(c->id, sizeof c->id, o->coid);
    retry_later(bn, c, 0);
}

static void on_trades(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct bn_order *o = c->o;
    o->poll_busy = 0;
    if (a->cls == FB_BN_OK && json_is_array(j)) {
        size_t i;
        json_t *t;
        json_array_foreach(j, i, t)
        {
            struct fb_bn_trade tr;
            if (fb_bn_parse_trade(t, &tr) != FB_OK ||
                tr.order_id != (c->trades_of ? c->trades_of : o->order_id)) {
                fb_warn("binance", "order %s: unreadable trade skipped", o->coid);
                continue;
            }
            report_fill(bn, o, tr.id, tr.qty, tr.price, tr.commission, tr.commission_asset,
                        tr.is_maker, ts_of(bn, tr.time_ms));
        }
    }
    if (o->pending_terminal && o->phase != PH_DONE) {
        /* Close only when the trades add up; else the next poll retries. */
        poll_at(bn, o, bn->now + (int64_t)bn->p.poll_interval_ms * NS_PER_MS);
        if (o->terminal != FB_BN_ST_FILLED || fb_dec_cmp(o->cum, o->req.qty) >= 0) {
            close_order(bn, o, o->terminal, bn->now);
        }
    } else {
        poll_at(bn, o, bn->now + (int64_t)bn->p.poll_interval_ms * NS_PER_MS);
    }
    call_free(c);
}

static void on_poll(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct bn_order *o = c->o;
    struct fb_bn_order b;
    o->poll_busy = 0;
    if (o->phase == PH_DONE) {
        /* Closed or given up while this poll was out: its answer is not
         * news, and must not schedule another poll. */
    } else if (o->replace_pending || (c->id[0] && strcmp(c->id, o->coid) != 0)) {
        /* A replace went out (or came back) while this poll was out: the
         * answer is about the old id, whose cancel is the replace's own
         * doing. The next poll asks about the id the order has now. */
        poll_at(bn, o, bn->now);
    } else if (a->cls == FB_BN_OK && fb_bn_parse_order(j, &b) == FB_OK) {
        apply_order(bn, o, &b, 0);
    } else if (no_such_order(a)) {
        venue_has_none(bn, o, 1);
    } else {
        if (a->cls == FB_BN_UNKNOWN || (a->cls == FB_BN_OK))
            fb_warn("binance", "order %s: unreadable status answer", o->coid);
        poll_at(bn, o, bn->now + backoff_ns(bn, 2, a->retry_after_ms));
    }
    call_free(c);
}

/* An order this process did not send (the bridge restarted) that the venue
 * has, live or with fills: track it like our own, so its fills (myTrades;
 * the engine drops trade ids it has) and its end reach the engine. */
static void adopt(struct fb_bn *bn, const struct fb_bn_order *b, const char *coid)
{
    struct fb_venue_order req;
    struct bn_order *o;
    if (find_order(bn, coid) || (is_terminal(b->status) && fb_dec_sign(b->executed_qty) == 0))
        return;
    memset(&req, 0, sizeof req);
    copy_str(req.client_order_id, sizeof req.client_order_id, coid);
    copy_str(req.symbol, sizeof req.symbol, b->symbol);
    req.side = strcmp(b->side, "SELL") == 0 ? FB_VENUE_SELL : FB_VENUE_BUY;
    req.type = strcmp(b->type, "MARKET") == 0 ? FB_VENUE_MARKET : FB_VENUE_LIMIT;
    req.tif = strcmp(b->tif, "IOC") == 0   ? FB_VENUE_IOC
              : strcmp(b->tif, "FOK") == 0 ? FB_VENUE_FOK
                                           : FB_VENUE_GTC;
    req.qty = b->orig_qty;
    req.price = b->price;
    if (!(o = add_order(bn, &req))) {
        fb_warn("binance", "order %s: out of memory tracking it after a restart", coid);
        return;
    }
    o->order_id = b->order_id;
    o->phase = PH_OPEN;
    poll_at(bn, o, bn->now);
}

static void on_query(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct fb_bn_order b;
    if (a->cls == FB_BN_OK && fb_bn_parse_order(j, &b) == FB_OK) {
        struct bn_order *o = c->o;
        emit_status(bn, &b, o, c->id, c->id);
        if (!o) {
            adopt(bn, &b, c->id);
        } else if (o->phase == PH_DONE && o->order_id == 0 && b.order_id > 0 &&
                   (!is_terminal(b.status) || fb_dec_sign(b.executed_qty) > 0)) {
            /* Given up on as not placed, yet the venue has it (a late copy
             * of a resend): track it again so its fills and end arrive. */
            fb_warn("binance", "order %s: found after it was given up; tracking it", o->coid);
            o->order_id = b.order_id;
            o->phase = PH_OPEN;
            poll_at(bn, o, bn->now);
        }
    } else if (no_such_order(a)) {
        if (c->o)
            venue_has_none(bn, c->o, 0); /* the STATUS below says it */
        if (!c->o && c->sym_next < bn->p.n_symbols) {
            /* Not on this symbol; try the next one. */
            copy_str(c->symbol, sizeof c->symbol, bn->symbols[c->sym_next++]);
            c->attempt = 0;
            c->first_ns = 0;
            start_call(bn, c);
            return;
        }
        emit_status_unknown(bn, c->id, c->o ? c->o->req.symbol : NULL);
    } else {
        /* No answer is not "unknown order": ask again, never guess. */
        retry_later(bn, c, a->retry_after_ms);
        return;
    }
    call_free(c);
}

static void on_open(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct fb_venue_event end;
    if (a->cls == FB_BN_OK && json_is_array(j)) {
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x)
        {
            struct fb_bn_order b;
            if (fb_bn_parse_order(x, &b) != FB_OK) {
                fb_warn("binance", "open orders: unreadable entry skipped");
                continue;
            }
            emit_status(bn, &b, find_order(bn, b.client_order_id), b.client_order_id, c->id);
        }
        ev_init(&end, FB_VEV_OPEN_ORDERS_END, NULL, bn->now);
        copy_str(end.request_id, sizeof end.request_id, c->id);
        emit(bn, &end);
        call_free(c);
        return;
    }
    retry_later(bn, c, a->retry_after_ms);
}

static void on_time(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    int64_t server_ms;
    bn->time_busy = 0;
    if (a->cls == FB_BN_OK && fb_bn_parse_time(j, &server_ms) == FB_OK) {
        /* The server stamped it somewhere between send and receipt. */
        int64_t mid_ms = (c->sent_ns + bn->now) / 2 / NS_PER_MS;
        bn->offset_ms = server_ms - mid_ms;
        bn->have_time = 1;
        bn->next_resync = bn->now + CLOCK_RESYNC_NS;
        call_free(c);
        return;
    }
    bn->next_resync = bn->now + backoff_ns(bn, c->attempt, a->retry_after_ms);
    call_free(c);
}

static void on_info(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    const json_t *syms = json_object_get(j, "symbols");
    if (a->cls == FB_BN_OK && json_is_array(syms) &&
        json_array_size(syms) <= FB_BINANCE_SYMBOLS_MAX) {
        size_t i, n = 0;
        json_t *s;
        struct fb_venue_market *m = calloc(json_array_size(syms) + 1, sizeof *m);
        if (m) {
            json_array_foreach(syms, i, s)
            {
                if (fb_bn_parse_market(s, &m[n]) == FB_OK)
                    n++;
                else
                    fb_warn("binance", "exchangeInfo: unreadable symbol %zu skipped", i);
            }
            json_t *rl;
            size_t k;
            json_array_foreach(json_object_get(j, "rateLimits"), k, rl)
            {
                json_t *lim = json_object_get(rl, "limit");
                const char *t = json_string_value(json_object_get(rl, "rateLimitType"));
                const char *iv = json_string_value(json_object_get(rl, "interval"));
                json_t *num = json_object_get(rl, "intervalNum");
                if (t && iv && strcmp(t, "REQUEST_WEIGHT") == 0 && strcmp(iv, "MINUTE") == 0 &&
                    json_is_integer(num) && json_integer_value(num) == 1 && json_is_integer(lim) &&
                    json_integer_value(lim) > 0)
                    bn->weight_limit_1m = (long)json_integer_value(lim);
            }
            free(bn->markets);
            bn->markets = m;
            bn->n_markets = n;
            bn->have_info = 1;
            call_free(c);
            return;
        }
    }
    fb_warn("binance", "exchangeInfo failed (%s); retrying", a->msg);
    retry_later(bn, c, a->retry_after_ms);
}

static void on_ticker(struct fb_bn *bn, struct call *c, const struct fb_bn_answer *a, json_t *j)
{
    struct fb_bn_ticker t[FB_BINANCE_SYMBOLS_MAX];
    size_t n = 0;
    int64_t next = bn->now + (int64_t)bn->p.poll_interval_ms * NS_PER_MS;
    bn->ticker_busy = 0;
    bn->ticker_tried = 1;
    if (a->cls == FB_BN_OK && fb_bn_parse_tickers(j, t, FB_BINANCE_SYMBOLS_MAX, &n) == FB_OK) {
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < bn->p.n_symbols; k++) {
                if (strcmp(t[i].symbol, bn->symbols[k]) != 0)
                    continue;
                /* as of when the answer arrived, on the injected clock */
                bn->refs[k].bid = t[i].bid;
                bn->refs[k].ask = t[i].ask;
                bn->refs[k].as_of = bn->now;
            }
        }
    } else {
        /* Keep the last touch with its old as-of: the policy judges age. */
        fb_warn("binance", "bookTicker failed (%s)", a->cls == FB_BN_OK ? "unreadable" : a->msg);
        int64_t b = bn->now + backoff_ns(bn, 2, a->retry_after_ms);
        if (b > next)
            next = b;
    }
    bn->next_ticker = next;
    call_free(c);
}

static void call_done(void *user, const struct fb_http_response *r)
{
    struct call *c = user;
    struct fb_bn *bn = c->bn;
    struct fb_bn_answer a;
    json_t *j = NULL;

    if (c->prev)
        c->prev->next = c->next;
    else
        bn->inflight = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    fb_bn_classify(r, c->writes, &a, &j);
    track_headers(bn, r);
    if (a.retry_after_ms > 0 && (a.banned || a.reason == FB_VRR_RATE_LIMIT)) {
        int64_t until = bn->now + a.retry_after_ms * NS_PER_MS;
        if (until > bn->blocked_until)
            bn->blocked_until = until;
        fb_warn("binance", "HTTP %ld: requests paused for %lld ms", a.http,
                (long long)a.retry_after_ms);
    }
    if (a.resync_clock)
        bn->next_resync = bn->now;
    switch (c->op) {
    case OP_TIME:
        on_time(bn, c, &a, j);
        break;
    case OP_INFO:
        on_info(bn, c, &a, j);
        break;
    case OP_NEW:
        on_new(bn, c, &a, j);
        break;
    case OP_NEW_QUERY:
        on_new_query(bn, c, &a, j);
        break;
    case OP_CANCEL:
        on_cancel(bn, c, &a, j);
        break;
    case OP_REPLACE:
        on_replace(bn, c, &a, j);
        break;
    case OP_REPLACE_QUERY:
        on_replace_query(bn, c, &a, j);
        break;
    case OP_POLL:
        on_poll(bn, c, &a, j);
        break;
    case OP_TRADES:
        on_trades(bn, c, &a, j);
        break;
    case OP_QUERY:
        on_query(bn, c, &a, j);
        break;
    case OP_OPEN:
        on_open(bn, c, &a, j);
        break;
    case OP_TICKER:
        on_ticker(bn, c, &a, j);
        break;
    }
    json_decref(j);
}

/* ---- fb_venue_ops slots ---- */

static void bn_destroy(void *state);

static char *dup_secret(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

static enum fb_err bn_create(const void *params, const struct fb_venue_sink *sink, void **state,
                             char *err, size_t errlen)
{
    const struct fb_binance_params *p = params;
    struct fb_bn *bn = NULL;
    struct fb_http_params hp;
    enum fb_err e = FB_ERR_CONFIG;
    size_t kl;

    *state = NULL;
    if (!p) {
        /* What bridge/venues.c passes until it maps the venue's config. */
        snprintf(err, errlen, "binance: no parameters (the venue's config is not mapped)");
        return FB_ERR_INVALID;
    }
    if (!sink || !sink->on_event) {
        snprintf(err, errlen, "binance: a sink is required");
        return FB_ERR_INVALID;
    }
    if (!p->base_url || strncmp(p->base_url, "http", 4) != 0) {
        snprintf(err, errlen, "binance: base_url must be an http(s) URL");
        return FB_ERR_CONFIG;
    }
    if (!p->api_key || !p->api_key[0] || !p->api_secret || !p->api_secret[0]) {
        snprintf(err, errlen, "binance: api key and secret are required");
        return FB_ERR_CONFIG;
    }
    if (p->n_symbols < 1 || p->n_symbols > FB_BINANCE_SYMBOLS_MAX || !p->symbols) {
        snprintf(err, errlen, "binance: needs 1..%d symbols", FB_BINANCE_SYMBOLS_MAX);
        return FB_ERR_CONFIG;
    }
    if (p->recv_window_ms > 60000) {
        snprintf(err, errlen, "binance: recv_window_ms is at most 60000");
        return FB_ERR_CONFIG;
    }
    for (size_t i = 0; i < p->n_symbols; i++) {
        const char *s = p->symbols[i];
        if (!s || !s[0] || strlen(s) > FB_VENUE_SYMBOL_MAX || strpbrk(s, "\"\\")) {
            snprintf(err, errlen, "binance: symbol %zu is invalid", i);
            return FB_ERR_CONFIG;
        }
    }
    bn = calloc(1, sizeof *bn);
    if (bn) {
        fb_strmap_init(&bn->by_coid);
        bn->poll_due = INT64_MAX;
    }
    if (!bn)
        goto nomem;
    bn->p = *p;
    bn->sink = *sink;
    if (!bn->p.connect_timeout_ms)
        bn->p.connect_timeout_ms = 3000;
    if (!bn->p.request_timeout_ms)
        bn->p.request_timeout_ms = 10000;
    if (!bn->p.poll_interval_ms)
        bn->p.poll_interval_ms = 1000;
    if (!bn->p.recv_window_ms)
        bn->p.recv_window_ms = 5000;
    if (!bn->p.max_attempts)
        bn->p.max_attempts = 5;
    if (!bn->p.retry_base_ms)
        bn->p.retry_base_ms = 200;
    if (!bn->p.retry_deadline_ms)
        bn->p.retry_deadline_ms = 30000;
    bn->rng = p->seed ^ 0x62696e616e6365ULL;
    bn->weight_limit_1m = 6000; /* until exchangeInfo says (A.7) */
    bn->base_url = strdup(p->base_url);
    bn->key = dup_secret(p->api_key);
    kl = strlen(p->api_key) + sizeof "X-MBX-APIKEY: ";
    bn->keyhdr = malloc(kl);
    bn->symbols = calloc(p->n_symbols, sizeof *bn->symbols);
    bn->refs = calloc(p->n_symbols, sizeof *bn->refs);
    if (!bn->base_url || !bn->key || !bn->keyhdr || !bn->symbols || !bn->refs)
        goto nomem;
    e = fb_sign_key_new(p->api_secret, &bn->sign);
    if (e != FB_OK) {
        snprintf(err, errlen, "binance: signing key: %s", fb_strerror(e));
        goto fail;
    }
    snprintf(bn->keyhdr, kl, "X-MBX-APIKEY: %s", p->api_key);
    for (size_t i = 0; i < p->n_symbols; i++)
        if (!(bn->symbols[i] = strdup(p->symbols[i])))
            goto nomem;
    bn->p.base_url = bn->p.api_key = bn->p.api_secret = bn->p.ca_file = NULL;
    bn->p.symbols = NULL;
    memset(&hp, 0, sizeof hp);
    hp.ca_file = p->ca_file;
    hp.user_agent = "fixbridge/" FB_VERSION;
    hp.connect_timeout_ms = bn->p.connect_timeout_ms;
    hp.request_timeout_ms = bn->p.request_timeout_ms;
    e = fb_http_create(&hp, &bn->http);
    if (e != FB_OK) {
        snprintf(err, errlen, "binance: HTTP client: %s", fb_strerror(e));
        goto fail;
    }
    *state = bn;
    return FB_OK;
nomem:
    e = FB_ERR_NOMEM;
    snprintf(err, errlen, "binance: out of memory");
fail:
    bn_destroy(bn);
    return e;
}

static void bn_destroy(void *state)
{
    struct fb_bn *bn = state;
    if (!bn)
        return;
    fb_http_destroy(bn->http); /* calls no callback: free their contexts here */
    while (bn->inflight) {
        struct call *c = bn->inflight;
        bn->inflight = c->next;
        call_free(c);
    }
    for (size_t i = 0; i < bn->n_later; i++)
        free(bn->later[i].c);
    for (size_t i = 0; i < bn->n_orders; i++) {
        free(bn->orders[i]->seen);
        free(bn->orders[i]);
    }
    fb_strmap_free(&bn->by_coid);
    if (bn->symbols)
        for (size_t i = 0; i < bn->p.n_symbols; i++)
            free(bn->symbols[i]);
    fb_sign_key_free(bn->sign);
    if (bn->key)
        OPENSSL_cleanse(bn->key, strlen(bn->key));
    if (bn->keyhdr)
        OPENSSL_cleanse(bn->keyhdr, strlen(bn->keyhdr));
    free(bn->symbols);
    free(bn->key);
    free(bn->keyhdr);
    free(bn->base_url);
    free(bn->markets);
    free(bn->refs);
    free(bn->orders);
    free(bn->later);
    free(bn->out);
    free(bn);
}

int fb_binance_ready(const void *state)
{
    const struct fb_bn *bn = state;
    return bn && bn->have_time && bn->have_info && bn->ticker_tried;
}

static enum fb_err bn_submit(void *state, const struct fb_venue_order *order, int64_t now_ns)
{
    struct fb_bn *bn = state;
    struct fb_bn_query q;
    char why[FB_VENUE_TEXT_MAX + 1];
    struct bn_order *o;
    struct call *c;
    enum fb_err e;
    (void)now_ns;
    if (!bn || !order || !memchr(order->client_order_id, '\0', sizeof order->client_order_id) ||
        !memchr(order->symbol, '\0', sizeof order->symbol))
        return FB_ERR_INVALID;
    if (!fb_binance_ready(bn))
        return FB_ERR_STATE;
    if (!fb_bn_clordid_ok(order->client_order_id))
        return FB_ERR_INVALID;
    if (find_order(bn, order->client_order_id))
        return FB_ERR_DUPLICATE;
    e = fb_bn_build_order(order, &q, why, sizeof why);
    if (e != FB_OK && e != FB_ERR_UNSUPPORTED)
        return e;
    o = add_order(bn, order);
    if (!o)
        return FB_ERR_NOMEM;
    if (e == FB_ERR_UNSUPPORTED) {
        mark_done(bn, o);
        emit_reject(bn, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_FINAL, FB_VRR_UNSUPPORTED, "", why);
        return FB_OK;
    }
    c = new_call(bn, OP_NEW, o);
    if (!c)
        return FB_ERR_NOMEM;
    c->origin_ns = order->origin_ns;
    defer(bn, c, 0); /* sent from run(), with run's clock */
    return FB_OK;
}

static enum fb_err bn_cancel(void *state, const struct fb_venue_cancel *req, int64_t now_ns)
{
    struct fb_bn *bn = state;
    struct bn_order *o;
    struct call *c;
    (void)now_ns;
    if (!bn || !req || !fb_bn_clordid_ok(req->client_order_id) ||
        !fb_bn_clordid_ok(req->request_id))
        return FB_ERR_INVALID;
    if (!fb_binance_ready(bn))
        return FB_ERR_STATE;
    o = find_order(bn, req->client_order_id);
    if (!o || o->phase == PH_DONE || o->cancel_pending) {
        /* Unknown here (no symbol to send) or already closed. */
        struct bn_order tmp;
        memset(&tmp, 0, sizeof tmp);
        copy_str(tmp.coid, sizeof tmp.coid, req->client_order_id);
        emit_reject(bn, FB_VEV_CANCEL_REJECT, o ? o : &tmp, NULL, req->request_id, FB_VREJ_FINAL,
                    !o                  ? FB_VRR_UNKNOWN_ORDER
                    : o->cancel_pending ? FB_VRR_OTHER
                                        : FB_VRR_TOO_LATE,
                    "",
                    !o                  ? "unknown order"
                    : o->cancel_pending ? "cancel already pending"
                                        : "order already closed");
        return FB_OK;
    }
    c = new_call(bn, OP_CANCEL, o);
    if (!c)
        return FB_ERR_NOMEM;
    copy_str(c->id, sizeof c->id, req->request_id);
    o->cancel_pending = 1;
    copy_str(o->cancel_id, sizeof o->cancel_id, req->request_id);
    defer(bn, c, 0);
    return FB_OK;
}

static enum fb_err bn_replace(void *state, const struct fb_venue_replace *req, int64_t now_ns)
{
    struct fb_bn *bn = state;
    struct bn_order *o;
    struct call *c;
    (void)now_ns;
    if (!bn || !req || !fb_bn_clordid_ok(req->client_order_id) ||
        !fb_bn_clordid_ok(req->new_client_order_id) || fb_dec_sign(req->qty) <= 0 ||
        fb_dec_sign(req->price) < 0 || fb_dec_sign(req->stop_price) < 0)
        return FB_ERR_INVALID;
    if (!fb_binance_ready(bn))
        return FB_ERR_STATE;
    o = find_order(bn, req->client_order_id);
    if (!o || o->phase != PH_OPEN || o->replace_pending || o->cancel_pending ||
        o->req.type == FB_VENUE_MARKET) {
        struct bn_order tmp;
        memset(&tmp, 0, sizeof tmp);
        copy_str(tmp.coid, sizeof tmp.coid, req->client_order_id);
        emit_reject(bn, FB_VEV_REPLACE_REJECT, o ? o : &tmp, NULL, req->new_client_order_id,
                    FB_VREJ_FINAL, !o ? FB_VRR_UNKNOWN_ORDER : FB_VRR_TOO_LATE, "",
                    !o ? "unknown order" : "order is not open for replace");
        return FB_OK;
    }
    c = new_call(bn, OP_REPLACE, o);
    if (!c)
        return FB_ERR_NOMEM;
    c->rep = *req;
    copy_str(c->id, sizeof c->id, req->new_client_order_id);
    o->replace_pending = 1;
    defer(bn, c, 0);
    return FB_OK;
}

static enum fb_err bn_query(void *state, const char *coid, int64_t now_ns)
{
    struct fb_bn *bn = state;
    struct bn_order *o;
    struct call *c;
    (void)now_ns;
    if (!bn || !fb_venue_clordid_valid(coid))
        return FB_ERR_INVALID;
    if (!fb_binance_ready(bn))
        return FB_ERR_STATE;
    if (!fb_bn_clordid_ok(coid)) {
        /* Binance refuses such an id, so no Binance order carries it. */
        emit_status_unknown(bn, coid, NULL);
        return FB_OK;
    }
    o = find_order(bn, coid);
    c = new_call(bn, OP_QUERY, o);
    if (!c)
        return FB_ERR_NOMEM;
    copy_str(c->id, sizeof c->id, coid);
    if (!o) {
        /* Sent before a restart, say: the answer needs the symbol, so ask
         * every configured one in turn before saying UNKNOWN. */
        copy_str(c->symbol, sizeof c->symbol, bn->symbols[0]);
        c->sym_next = 1;
    }
    defer(bn, c, 0);
    return FB_OK;
}

static enum fb_err bn_open_orders(void *state, const char *symbol, const char *request_id,
                                  int64_t now_ns)
{
    struct fb_bn *bn = state;
    struct call *c;
    (void)now_ns;
    if (!bn || !fb_venue_clordid_valid(request_id) ||
        (symbol && (!symbol[0] || strlen(symbol) > FB_VENUE_SYMBOL_MAX)))
        return FB_ERR_INVALID;
    if (!fb_binance_ready(bn))
        return FB_ERR_STATE;
    c = new_call(bn, OP_OPEN, NULL);
    if (!c)
        return FB_ERR_NOMEM;
    copy_str(c->id, sizeof c->id, request_id);
    if (symbol)
        copy_str(c->symbol, sizeof c->symbol, symbol);
    defer(bn, c, 0);
    return FB_OK;
}

/* Sends what is due: clock sync, start-up, backoffs, polls. */
static void schedule(struct fb_bn *bn)
{
    struct call *c;
    if (!bn->time_busy && bn->now >= bn->next_resync && bn->now >= bn->blocked_until) {
        if ((c = new_call(bn, OP_TIME, NULL))) {
            bn->time_busy = 1;
            if (send_call(bn, c) != FB_OK)
                bn->time_busy = 0;
        }
    }
    if (!bn->started) {
        bn->started = 1;
        if ((c = new_call(bn, OP_INFO, NULL)))
            start_call(bn, c);
    }
    if (!bn->ticker_busy && bn->now >= bn->next_ticker && bn->now >= bn->blocked_until) {
        if (bn->ticker_tried && weight_tight(bn)) {
            /* like order polls: yield to orders near the weight limit */
            bn->next_ticker = bn->now + 1000 * NS_PER_MS;
        } else if ((c = new_call(bn, OP_TICKER, NULL))) {
            bn->ticker_busy = 1;
            if (send_call(bn, c) != FB_OK) {
                bn->ticker_busy = 0;
                bn->next_ticker = bn->now + (int64_t)bn->p.poll_interval_ms * NS_PER_MS;
            }
        }
    }
    if (!bn->have_time)
        return; /* signed requests wait for the clock offset */
    for (size_t i = 0; i < bn->n_later;) {
        if (bn->later[i].at > bn->now || bn->now < bn->blocked_until) {
            i++;
            continue;
        }
        c = bn->later[i].c;
        bn->later[i] = bn->later[--bn->n_later];
        start_call(bn, c);
    }
    if (bn->now < bn->poll_due || bn->now < bn->blocked_until)
        return;
    /* the scan finds the next due poll anew (orders that cannot be polled
     * now come back through poll_wake) */
    bn->poll_due = INT64_MAX;
    for (size_t i = 0; i < bn->n_orders; i++) {
        struct bn_order *o = bn->orders[i];
        if (o->phase != PH_OPEN || o->poll_busy || o->replace_pending)
            continue; /* the replace's answer says more; polls resume after it */
        if (o->next_poll > bn->now) {
            poll_wake(bn, o);
            continue;
        }
        if (weight_tight(bn)) {
            poll_at(bn, o, bn->now + 1000 * NS_PER_MS);
            continue;
        }
        if ((c = new_call(bn, OP_POLL, o))) {
            /* the id asked about, fixed now: a replace may move the order */
            copy_str(c->id, sizeof c->id, o->coid);
            o->poll_busy = 1;
            o->next_poll = INT64_MAX; /* until its answer */
            start_call(bn, c);
        } else {
            poll_at(bn, o, bn->now + 1000 * NS_PER_MS);
        }
    }
}

/* Frees orders closed RETAIN_NS ago that no call points at. */
static void collect(struct fb_bn *bn)
{
    size_t k = 0;
    if (bn->now < bn->next_collect)
        return; /* a scan of every order: once a second is plenty */
    bn->next_collect = bn->now + 1000 * NS_PER_MS;
    for (size_t i = 0; i < bn->n_orders; i++) {
        struct bn_order *o = bn->orders[i];
        if (o->phase == PH_DONE && o->refs == 0 && !o->cancel_pending && !o->replace_pending &&
            bn->now - o->done_at >= RETAIN_NS) {
            if (fb_strmap_get(&bn->by_coid, o->coid) == o)
                (void)fb_strmap_del(&bn->by_coid, o->coid);
            free(o->seen);
            free(o);
            continue;
        }
        bn->orders[k++] = o;
    }
    bn->n_orders = k;
}

static enum fb_err bn_run(void *state, int64_t now_ns)
{
    struct fb_bn *bn = state;
    enum fb_err e;
    if (!bn)
        return FB_ERR_INVALID;
    if (now_ns > bn->now)
        bn->now = now_ns;
    schedule(bn);
    e = fb_http_run(bn->http, bn->now);
    schedule(bn); /* follow-ups the answers asked for */
    flush(bn);
    collect(bn);
    return e;
}

static int64_t bn_next_deadline(const void *state)
{
    const struct fb_bn *bn = state;
    int64_t t;
    if (!bn)
        return INT64_MAX;
    if (!bn->started || bn->n_out)
        return bn->now;
    t = fb_http_next_deadline(bn->http);
    if (!bn->time_busy && bn->next_resync < t)
        t = bn->next_resync;
    if (!bn->ticker_busy && bn->next_ticker < t)
        t = bn->next_ticker < bn->blocked_until ? bn->blocked_until : bn->next_ticker;
    if (!bn->have_time)
        return t;
    for (size_t i = 0; i < bn->n_later; i++)
        if (bn->later[i].at < t)
            t = bn->later[i].at;
    if (bn->poll_due < t)
        t = bn->poll_due; /* a lower bound: at worst one early run */
    if (t < bn->blocked_until && fb_http_active(bn->http) == 0)
        t = bn->blocked_until;
    return t;
}

static enum fb_err bn_market(const void *state, const char *symbol, struct fb_venue_market *out)
{
    const struct fb_bn *bn = state;
    if (!bn || !symbol || !out)
        return FB_ERR_INVALID;
    if (!fb_binance_ready(bn))
        return FB_ERR_STATE;
    for (size_t i = 0; i < bn->n_markets; i++) {
        if (strcmp(bn->markets[i].symbol, symbol) == 0) {
            *out = bn->markets[i];
            return FB_OK;
        }
    }
    return FB_ERR_NOT_FOUND;
}

static enum fb_err bn_reference_price(const void *state, const char *symbol, struct fb_dec *bid,
                                      struct fb_dec *ask, int64_t *as_of_ns)
{
    const struct fb_bn *bn = state;
    if (!bn || !symbol || !bid || !ask || !as_of_ns)
        return FB_ERR_INVALID;
    for (size_t k = 0; k < bn->p.n_symbols; k++) {
        if (strcmp(bn->symbols[k], symbol) != 0)
            continue;
        const struct bn_ref *r = &bn->refs[k];
        if (r->as_of == 0 || (fb_dec_sign(r->bid) == 0 && fb_dec_sign(r->ask) == 0))
            return FB_ERR_STATE; /* no answer yet, or an empty book */
        *bid = r->bid;           /* zero: that side of the book is empty */
        *ask = r->ask;
        *as_of_ns = r->as_of;
        return FB_OK;
    }
    return FB_ERR_NOT_FOUND;
}

/* The engine's venue throttle holds new orders while the venue asked
 * for a pause. */
static int64_t bn_paused_until(const void *state)
{
    const struct fb_bn *x = state;
    return x->blocked_until;
}

static size_t bn_poll_fds(void *state, struct pollfd *fds, size_t max, uint64_t *gen)
{
    struct fb_bn *bn = state;
    return bn ? fb_http_poll_fds(bn->http, fds, max, gen) : 0;
}

const struct fb_venue_ops fb_venue_binance = {
    {
        FB_VENUE_API_VERSION, /* api_version */
        "binance",            /* name */
        FB_VSUP_MARKET | FB_VSUP_LIMIT | FB_VSUP_STOP | FB_VSUP_STOP_LIMIT | FB_VSUP_TAKE_PROFIT |
            FB_VSUP_TAKE_PROFIT_LIMIT | FB_VSUP_TIF_GTC | FB_VSUP_TIF_IOC | FB_VSUP_TIF_FOK | FB_VSUP_POST_ONLY | FB_VSUP_ICEBERG |
            FB_VSUP_QUOTE_QTY | FB_VSUP_REPLACE | FB_VSUP_OPEN_ORDERS, /* supports */
    },
    bn_create,          /* create */
    bn_destroy,         /* destroy */
    bn_submit,          /* submit */
    bn_cancel,          /* cancel */
    bn_replace,         /* replace */
    bn_query,           /* query */
    bn_open_orders,     /* open_orders */
    bn_run,             /* run */
    bn_next_deadline,   /* next_deadline */
    bn_market,          /* market */
    bn_reference_price, /* reference_price: bookTicker, polled */
    bn_paused_until,    /* paused_until: Retry-After, a ban */
    bn_poll_fds,        /* poll_fds: libcurl's sockets */
};
