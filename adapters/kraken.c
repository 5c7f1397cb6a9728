/*
 * kraken: the venue edge (see kraken.h). Builders and parsers are pure
 * (kraken_req.c, kraken_parse.c); this file holds state, timers, retries
 * and the fb_venue_ops glue. Only the registry reaches it.
 *
 * Every HTTP completion arrives inside fb_http_run(), i.e. inside run();
 * events go to an outbox flushed at the end of run(), so the sink may call
 * submit/cancel/... from on_event.
 */
#include "adapters/kraken.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "adapters/http.h"
#include "adapters/kraken_proto.h"
#include "adapters/nonce.h"
#include "adapters/venue.h"
#include "bridge/log.h"
#include "bridge/strmap.h"

#define NS_PER_MS 1000000LL
#define BACKOFF_CAP_MS 30000
#define URL_MAX 4096
#define POLL_BATCH 50 /* QueryOrders takes up to 50 txids (B.5.5) */
#define TRADES_BATCH 20
#define RETAIN_NS (600LL * 1000 * NS_PER_MS) /* closed orders kept 10 min */
/* Public calls are throttled per IP at about 1/s (B.7 item 3). */
#define TICKER_MIN_MS 1000
/* Polling slows down to this many poll intervals while Kraken's REST call
 * counter says "Rate limit exceeded" (B.7, H.4), and speeds up again as
 * polls succeed. */
#define POLL_SLOW_MAX 32

enum op {
    OP_PAIRS,  /* GET AssetPairs */
    OP_NEW,    /* AddOrder */
    OP_LOOKUP, /* OpenOrders, then ClosedOrders, by cl_ord_id after an unknown AddOrder */
    OP_CANCEL, /* CancelOrder by cl_ord_id */
    OP_AMEND,  /* AmendOrder by cl_ord_id */
    OP_POLL,   /* QueryOrders for every due open order */
    OP_TRADES, /* QueryTrades for one order's new trade ids */
    OP_QUERY,  /* engine's query: QueryOrders by txid, or Open/Closed by cl_ord_id */
    OP_OPEN,   /* engine's open_orders */
    OP_TICKER  /* GET Ticker: the reference price for the policy */
};

enum phase { PH_SENDING, PH_OPEN, PH_DONE };

struct kr_order {
    struct fb_venue_order req;           /* terms in force (qty = FIX total) */
    char coid[FB_VENUE_CLORDID_MAX + 1]; /* the bridge's current id */
    char kid[FB_KR_KID_LEN + 1];         /* Kraken's cl_ord_id (never changes) */
    char txid[FB_KR_TXID_MAX + 1];
    enum phase phase;
    int unresolved; /* outcome unknown was reported; still looking it up */
    struct fb_dec cum;
    struct fb_dec target; /* vol_exec last seen */
    char (*seen)[FB_VENUE_ID_MAX + 1];
    size_t n_seen, cap_seen;
    int fee_in_base;
    int64_t next_poll;
    int poll_busy, trades_busy;
    /* QueryTrades still owed for fills a poll saw (it costs 2 on the REST
     * counter: retried before the order is polled again, so polls cannot
     * starve it) */
    int trades_wanted;
    int64_t trades_at;
    char trades_list[FB_KR_BODY_MAX / 2];
    unsigned poll_gen;
    int pending_terminal;
    enum fb_kr_status terminal;
    int cancel_pending;
    char cancel_id[FB_VENUE_CLORDID_MAX + 1];
    int replace_pending;
    /* An AmendOrder whose outcome is unknown (a 5xx, a timeout, an
     * unreadable answer): the next view of the order says whether the
     * venue made it (amend_check). */
    int amend_unknown;
    struct fb_venue_replace amend_rep;
    int refs;
    int64_t done_at;
};

struct call {
    struct fb_kr *kr;
    struct call *prev, *next;
    enum op op;
    struct kr_order *o;
    int attempt;
    int stage; /* OP_LOOKUP/OP_QUERY: 0 QueryOrders, 1 OpenOrders, 2 ClosedOrders */
    int64_t first_ns;
    int64_t origin_ns; /* OP_NEW: fb_venue_order.origin_ns */
    int writes;
    unsigned gen;                      /* OP_POLL */
    char id[FB_VENUE_CLORDID_MAX + 1]; /* query id, cancel id, listing id, new id */
    char kid[FB_KR_KID_LEN + 1];       /* OP_QUERY without an order */
    char symbol[FB_VENUE_SYMBOL_MAX + 1];
    struct fb_venue_replace rep;
    char list[FB_KR_BODY_MAX / 2]; /* OP_POLL txids / OP_TRADES trade ids, comma-separated */
};

struct delayed {
    int64_t at;
    struct call *c;
};

/* A configured symbol's last touch from Ticker. */
struct kr_ref {
    struct fb_dec bid, ask;
    int64_t as_of; /* 0: none yet */
};

struct fb_kr {
    struct fb_kraken_params p;
    char *base_url, *secret, *keyhdr;
    char **symbols;
    struct fb_venue_sink sink;
    struct fb_http *http;
    struct fb_nonce nonce;
    uint64_t rng;
    unsigned poll_gen;
    /* The orders by their current client order id, Kraken cl_ord_id and
     * txid: no scan of every order per answer (index_txid, unindex). */
    struct fb_strmap by_coid, by_kid, by_txid;
    int64_t next_collect; /* collect(): a scan of every order, once a second */

    int started, have_pairs;
    unsigned poll_slow; /* 1..POLL_SLOW_MAX: poll interval multiplier */
    struct kr_ref *refs; /* per symbols[] */
    int ticker_busy, ticker_tried;
    int64_t next_ticker;
    int64_t now;
    int64_t blocked_until;

    struct fb_kr_pair *pairs; /* m.symbol = the configured name */
    size_t n_pairs;
    struct kr_order **orders;
    size_t n_orders, cap_orders;
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

static void emit(struct fb_kr *kr, const struct fb_venue_event *ev)
{
    if (kr->n_out == kr->cap_out) {
        size_t cap = kr->cap_out ? kr->cap_out * 2 : 16;
        struct fb_venue_event *p = realloc(kr->out, cap * sizeof *p);
        if (!p) {
            fb_error("kraken", "out of memory: event %s for %s lost",
                     fb_venue_event_kind_name(ev->kind), ev->client_order_id);
            return;
        }
        kr->out = p;
        kr->cap_out = cap;
    }
    kr->out[kr->n_out++] = *ev;
}

static void ev_init(struct fb_venue_event *ev, enum fb_venue_event_kind k, const struct kr_order *o,
                    int64_t ts_ns)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = k;
    ev->ts_ns = ts_ns;
    if (o) {
        copy_str(ev->client_order_id, sizeof ev->client_order_id, o->coid);
        copy_str(ev->symbol, sizeof ev->symbol, o->req.symbol);
        copy_str(ev->venue_order_id, sizeof ev->venue_order_id, o->txid);
    }
}

static void emit_reject(struct fb_kr *kr, enum fb_venue_event_kind k, const struct kr_order *o,
                        const char *coid, const char *request_id, enum fb_venue_reject_class cls,
                        enum fb_venue_reject_reason reason, const char *text)
{
    struct fb_venue_event ev;
    ev_init(&ev, k, o, kr->now);
    if (coid)
        copy_str(ev.client_order_id, sizeof ev.client_order_id, coid);
    if (request_id)
        copy_str(ev.request_id, sizeof ev.request_id, request_id);
    ev.u.rej.cls = cls;
    ev.u.rej.reason = reason;
    ev.u.rej.code[0] = '\0'; /* Kraken has no codes: the text says it all */
    copy_str(ev.u.rej.text, sizeof ev.u.rej.text, text ? text : "");
    emit(kr, &ev);
}

static void flush(struct fb_kr *kr)
{
    for (size_t i = 0; i < kr->n_out; i++) {
        struct fb_venue_event ev = kr->out[i];
        kr->sink.on_event(kr->sink.user, &ev);
    }
    kr->n_out = 0;
}

/* ---- orders ---- */

static struct kr_order *find_order(const struct fb_kr *kr, const char *coid)
{
    char kid[FB_KR_KID_LEN + 1];
    struct kr_order *o = fb_strmap_get(&kr->by_coid, coid);
    if (o)
        return o;
    /* An id replaced away still names its order through Kraken's id. */
    if (fb_kr_cl_ord_id(coid, kid) != FB_OK)
        return NULL;
    return fb_strmap_get(&kr->by_kid, kid);
}

static struct kr_order *find_by_kid(const struct fb_kr *kr, const char *kid)
{
    return kid[0] ? fb_strmap_get(&kr->by_kid, kid) : NULL;
}

static struct kr_order *find_by_txid(const struct fb_kr *kr, const char *txid)
{
    return txid[0] ? fb_strmap_get(&kr->by_txid, txid) : NULL;
}

/* Drops key -> o from m unless key now names a newer order. */
static void unindex_key(struct fb_strmap *m, const char *key, const struct kr_order *o)
{
    if (key[0] && fb_strmap_get(m, key) == o)
        (void)fb_strmap_del(m, key);
}

static void unindex(struct fb_kr *kr, const struct kr_order *o)
{
    unindex_key(&kr->by_coid, o->coid, o);
    unindex_key(&kr->by_kid, o->kid, o);
    unindex_key(&kr->by_txid, o->txid, o);
}

/* o->txid was just set. Out of memory only costs the lookups by txid
 * (listings at start): logged, not fatal. */
static void index_txid(struct fb_kr *kr, struct kr_order *o)
{
    if (o->txid[0] && fb_strmap_put(&kr->by_txid, o->txid, o) != FB_OK)
        fb_error("kraken", "out of memory indexing order %s by txid %s", o->coid, o->txid);
}

static struct kr_order *add_order(struct fb_kr *kr, const struct fb_venue_order *req)
{
    struct kr_order *o;
    if (kr->n_orders == kr->cap_orders) {
        size_t cap = kr->cap_orders ? kr->cap_orders * 2 : 16;
        struct kr_order **p = realloc(kr->orders, cap * sizeof *p);
        if (!p)
            return NULL;
        kr->orders = p;
        kr->cap_orders = cap;
    }
    o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->req = *req;
    o->fee_in_base = -1;
    copy_str(o->coid, sizeof o->coid, req->client_order_id);
    if (fb_kr_cl_ord_id(o->coid, o->kid) != FB_OK) {
        free(o);
        return NULL;
    }
    if (fb_strmap_put(&kr->by_coid, o->coid, o) != FB_OK ||
        fb_strmap_put(&kr->by_kid, o->kid, o) != FB_OK) {
        unindex(kr, o);
        free(o);
        return NULL;
    }
    kr->orders[kr->n_orders++] = o;
    return o;
}

static int seen(const struct kr_order *o, const char *id)
{
    for (size_t i = 0; i < o->n_seen; i++)
        if (strcmp(o->seen[i], id) == 0)
            return 1;
    return 0;
}

static int mark_seen(struct kr_order *o, const char *id)
{
    if (o->n_seen == o->cap_seen) {
        size_t cap = o->cap_seen ? o->cap_seen * 2 : 8;
        char(*p)[FB_VENUE_ID_MAX + 1] = realloc(o->seen, cap * sizeof *p);
        if (!p)
            return 0;
        o->seen = p;
        o->cap_seen = cap;
    }
    copy_str(o->seen[o->n_seen++], FB_VENUE_ID_MAX + 1, id);
    return 1;
}

static const char *asset_of(const struct fb_kr *kr, const struct kr_order *o, int base)
{
    for (size_t i = 0; i < kr->n_pairs; i++)
        if (strcmp(kr->pairs[i].m.symbol, o->req.symbol) == 0)
            return base ? kr->pairs[i].m.base : kr->pairs[i].m.quote;
    return "";
}

static void report_fill(struct fb_kr *kr, struct kr_order *o, const struct fb_kr_trade *t)
{
    struct fb_venue_event ev;
    struct fb_dec cum, leaves = fb_dec_zero();
    int in_base;
    if (seen(o, t->id))
        return;
    if (!mark_seen(o, t->id) || fb_dec_add(o->cum, t->vol, &cum) != FB_OK) {
        fb_error("kraken", "order %s: trade %s not recorded", o->coid, t->id);
        return;
    }
    o->cum = cum;
    if (fb_dec_sign(o->req.qty) > 0 && fb_dec_sub(o->req.qty, cum, &leaves) == FB_OK &&
        fb_dec_sign(leaves) < 0)
        leaves = fb_dec_zero();
    ev_init(&ev, FB_VEV_FILL, o, t->ts_ns ? t->ts_ns : kr->now);
    copy_str(ev.u.fill.trade_id, sizeof ev.u.fill.trade_id, t->id);
    ev.u.fill.qty = t->vol;
    ev.u.fill.price = t->price;
    ev.u.fill.fee = t->fee;
    /* oflags says where the fee went; else B.5.1's defaults (fciq when
     * buying, fcib when selling). */
    in_base = o->fee_in_base >= 0 ? o->fee_in_base : o->req.side == FB_VENUE_SELL;
    copy_str(ev.u.fill.fee_currency, sizeof ev.u.fill.fee_currency, asset_of(kr, o, in_base));
    ev.u.fill.liquidity = t->maker < 0 ? FB_VLIQ_UNKNOWN : t->maker ? FB_VLIQ_MAKER : FB_VLIQ_TAKER;
    ev.u.fill.cum_qty = cum;
    ev.u.fill.leaves_qty = leaves;
    emit(kr, &ev);
}

static int is_terminal(enum fb_kr_status s)
{
    return s == FB_KR_ST_CLOSED || s == FB_KR_ST_CANCELED || s == FB_KR_ST_EXPIRED;
}

static void mark_done(struct fb_kr *kr, struct kr_order *o)
{
    o->phase = PH_DONE;
    o->done_at = kr->now;
}

/* The order is closed on the venue and every fill has been reported. */
static void close_order(struct fb_kr *kr, struct kr_order *o, enum fb_kr_status st, int64_t ts)
{
    struct fb_venue_event ev;
    mark_done(kr, o);
    o->pending_terminal = 0;
    if (st == FB_KR_ST_CLOSED && fb_dec_cmp(o->cum, o->req.qty) >= 0)
        return; /* the last FILL said leaves 0 */
    if (st == FB_KR_ST_EXPIRED && !o->cancel_pending) {
        ev_init(&ev, FB_VEV_EXPIRED, o, ts);
        ev.u.expired.reason = o->req.tif == FB_VENUE_DAY ? FB_VEXP_DAY : FB_VEXP_GTD;
        ev.u.expired.cum_qty = o->cum;
        emit(kr, &ev);
        return;
    }
    ev_init(&ev, FB_VEV_CANCELED, o, ts);
    ev.u.canceled.cum_qty = o->cum;
    if (o->cancel_pending) {
        ev.u.canceled.reason = FB_VCXL_REQUESTED;
        copy_str(ev.request_id, sizeof ev.request_id, o->cancel_id);
        o->cancel_pending = 0;
    } else if (o->req.tif == FB_VENUE_IOC || o->req.type == FB_VENUE_MARKET) {
        /* IOC remainders and market orders stopped by price protection
         * (a "closed" order short of its volume, F.3). */
        ev.u.canceled.reason = FB_VCXL_IOC_REMAINDER;
    } else {
        ev.u.canceled.reason = FB_VCXL_UNSOLICITED;
    }
    emit(kr, &ev);
}

/* ---- sending ---- */

static void call_done(void *user, const struct fb_http_response *r);

/* A new order's first request left: the bridge's FIX-in -> REST figure. */
static void call_written(void *user, int64_t written_ns)
{
    struct call *c = user;
    if (c->kr->sink.on_written)
        c->kr->sink.on_written(c->kr->sink.user, c->origin_ns, written_ns);
}

static const char *path_of(const struct call *c)
{
    switch (c->op) {
    case OP_PAIRS:
        return "/0/public/AssetPairs";
    case OP_TICKER:
        return "/0/public/Ticker";
    case OP_NEW:
        return "/0/private/AddOrder";
    case OP_CANCEL:
        return "/0/private/CancelOrder";
    case OP_AMEND:
        return "/0/private/AmendOrder";
    case OP_POLL:
        return "/0/private/QueryOrders";
    case OP_TRADES:
        return "/0/private/QueryTrades";
    case OP_OPEN:
        return "/0/private/OpenOrders";
    case OP_LOOKUP:
    case OP_QUERY:
        return c->stage == 0   ? "/0/private/QueryOrders"
               : c->stage == 1 ? "/0/private/OpenOrders"
                               : "/0/private/ClosedOrders";
    }
    return "/";
}

static enum fb_err params_of(struct fb_kr *kr, struct call *c, struct fb_kr_form *f, char *why,
                             size_t whylen)
{
    fb_kr_f_init(f);
    switch (c->op) {
    case OP_PAIRS:
    case OP_TICKER: {
        char list[FB_KR_BODY_MAX / 2];
        size_t n = 0;
        for (size_t i = 0; i < kr->p.n_symbols; i++) {
            int w = snprintf(list + n, sizeof list - n, "%s%s", i ? "," : "", kr->symbols[i]);
            if (w < 0 || (size_t)w >= sizeof list - n)
                return FB_ERR_TOO_LARGE;
            n += (size_t)w;
        }
        fb_kr_f_add(f, "pair", list);
        return f->err;
    }
    case OP_NEW:
        return fb_kr_build_order(&c->o->req, kr->now / 1000000000LL, f, why, whylen);
    case OP_CANCEL:
        fb_kr_f_add(f, "cl_ord_id", c->o->kid);
        return f->err;
    case OP_AMEND:
        return fb_kr_build_amend(c->o->kid, &c->rep, c->o->req.type, f);
    case OP_POLL:
        fb_kr_f_add(f, "trades", "true");
        fb_kr_f_add(f, "txid", c->list);
        return f->err;
    case OP_TRADES:
        fb_kr_f_add(f, "txid", c->list);
        return f->err;
    case OP_OPEN:
        return FB_OK;
    case OP_LOOKUP:
    case OP_QUERY:
        if (c->stage == 0) {
            fb_kr_f_add(f, "trades", "true");
            fb_kr_f_add(f, "txid", c->o->txid);
        } else {
            fb_kr_f_add(f, "cl_ord_id", c->o ? c->o->kid : c->kid);
        }
        return f->err;
    }
    return FB_ERR_INTERNAL;
}

/* Sends c now; on a local failure c is freed and the error returned. */
static enum fb_err send_call(struct fb_kr *kr, struct call *c)
{
    struct fb_kr_form f;
    char why[FB_VENUE_TEXT_MAX + 1] = "";
    char url[URL_MAX], body[FB_KR_BODY_MAX + 1], sig[FB_SIGN_KRAKEN_B64_LEN + 1];
    char sighdr[FB_SIGN_KRAKEN_B64_LEN + 16];
    const char *hdrs[2];
    size_t blen = 0;
    uint64_t nonce = 0;
    struct fb_http_request r;
    enum fb_err e = params_of(kr, c, &f, why, sizeof why);
    int pub = c->op == OP_PAIRS || c->op == OP_TICKER;

    memset(&r, 0, sizeof r);
    if (e == FB_OK && pub) {
        if (snprintf(url, sizeof url, "%s%s?%s", kr->base_url, path_of(c), f.buf) >=
            (int)sizeof url)
            e = FB_ERR_TOO_LARGE;
        r.method = FB_HTTP_GET;
    } else if (e == FB_OK) {
        e = fb_nonce_next(&kr->nonce, kr->now, &nonce);
        if (e == FB_OK)
            e = fb_kr_sign(&f, kr->secret, path_of(c), nonce, body, &blen, sig);
        if (e == FB_OK &&
            snprintf(url, sizeof url, "%s%s", kr->base_url, path_of(c)) >= (int)sizeof url)
            e = FB_ERR_TOO_LARGE;
        snprintf(sighdr, sizeof sighdr, "API-Sign: %s", sig);
        r.method = FB_HTTP_POST;
        r.body = body;
        r.body_len = blen;
        hdrs[0] = kr->keyhdr;
        hdrs[1] = sighdr;
        r.headers = hdrs;
        r.n_headers = 2;
    }
    if (e != FB_OK) {
        if (why[0])
            fb_warn("kraken", "request refused: %s", why);
        call_free(c);
        return e;
    }
    r.url = url;
    r.done = call_done;
    r.user = c;
    if (c->op == OP_NEW && c->origin_ns && c->attempt == 0)
        r.written = call_written;
    if (!c->first_ns)
        c->first_ns = kr->now;
    c->attempt++;
    e = fb_http_submit(kr->http, &r);
    OPENSSL_cleanse(&f, sizeof f);
    if (e != FB_OK) {
        call_free(c);
        return e;
    }
    c->prev = NULL;
    c->next = kr->inflight;
    if (kr->inflight)
        kr->inflight->prev = c;
    kr->inflight = c;
    return FB_OK;
}

static struct call *new_call(struct fb_kr *kr, enum op op, struct kr_order *o)
{
    struct call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (o)
        o->refs++;
    c->kr = kr;
    c->op = op;
    c->o = o;
    c->writes = op == OP_NEW || op == OP_CANCEL || op == OP_AMEND;
    return c;
}

static void defer(struct fb_kr *kr, struct call *c, int64_t at)
{
    if (at < kr->blocked_until)
        at = kr->blocked_until;
    if (kr->n_later == kr->cap_later) {
        size_t cap = kr->cap_later ? kr->cap_later * 2 : 16;
        struct delayed *p = realloc(kr->later, cap * sizeof *p);
        if (!p) {
            fb_error("kraken", "out of memory: request dropped");
            call_free(c);
            return;
        }
        kr->later = p;
        kr->cap_later = cap;
    }
    kr->later[kr->n_later].at = at;
    kr->later[kr->n_later].c = c;
    kr->n_later++;
}

/* Exponential backoff with jitter: base * 2^(attempt-1), capped, times 0.5..1. */
static int64_t backoff_ns(struct fb_kr *kr, int attempt, int64_t retry_after_ms)
{
    int64_t ms = kr->p.retry_base_ms;
    for (int i = 1; i < attempt && ms < BACKOFF_CAP_MS; i++)
        ms *= 2;
    if (ms > BACKOFF_CAP_MS)
        ms = BACKOFF_CAP_MS;
    ms = ms / 2 + (int64_t)(splitmix64(&kr->rng) % (uint64_t)(ms / 2 + 1));
    if (ms < retry_after_ms)
        ms = retry_after_ms;
    return ms * NS_PER_MS;
}

static int exhausted(const struct fb_kr *kr, const struct call *c)
{
    return c->attempt >= (int)kr->p.max_attempts ||
           kr->now - c->first_ns >= (int64_t)kr->p.retry_deadline_ms * NS_PER_MS;
}

static void retry_later(struct fb_kr *kr, struct call *c, int64_t retry_after_ms)
{
    defer(kr, c, kr->now + backoff_ns(kr, c->attempt, retry_after_ms));
}

static int64_t poll_due(const struct fb_kr *kr)
{
    return kr->now + (int64_t)kr->p.poll_interval_ms * kr->poll_slow * NS_PER_MS;
}

/* Sends or defers; a local build failure becomes the request's reject. */
static void start_call(struct fb_kr *kr, struct call *c)
{
    if (kr->now < kr->blocked_until) {
        defer(kr, c, kr->blocked_until);
        return;
    }
    enum op op = c->op;
    struct kr_order *o = c->o;
    unsigned gen = c->gen;
    char id[FB_VENUE_CLORDID_MAX + 1];
    copy_str(id, sizeof id, c->id);
    enum fb_err e = send_call(kr, c); /* frees c on failure */
    if (e == FB_OK)
        return;
    fb_error("kraken", "request not sent: %s", fb_strerror(e));
    if (op == OP_NEW && o && o->phase == PH_SENDING) {
        mark_done(kr, o);
        emit_reject(kr, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_FINAL, FB_VRR_OTHER, fb_strerror(e));
    } else if (op == OP_CANCEL && o) {
        o->cancel_pending = 0;
        emit_reject(kr, FB_VEV_CANCEL_REJECT, o, NULL, id, FB_VREJ_RETRYABLE, FB_VRR_OTHER,
                    fb_strerror(e));
    } else if (op == OP_AMEND && o) {
        o->replace_pending = 0;
        emit_reject(kr, FB_VEV_REPLACE_REJECT, o, NULL, id, FB_VREJ_FINAL, FB_VRR_OTHER,
                    fb_strerror(e));
    } else if (op == OP_LOOKUP && o) {
        if (!o->unresolved)
            emit_reject(kr, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_UNKNOWN_OUTCOME, FB_VRR_OTHER,
                        "outcome unknown; lookup not sent");
        o->unresolved = 1;
        o->phase = PH_OPEN; /* looked up again at the poll interval */
        o->next_poll = poll_due(kr);
    } else if (op == OP_TRADES && o) {
        o->trades_busy = 0;
        o->next_poll = poll_due(kr);
        o->trades_at = o->next_poll;
    } else if (op == OP_POLL) {
        for (size_t i = 0; i < kr->n_orders; i++) {
            if (kr->orders[i]->poll_busy && kr->orders[i]->poll_gen == gen) {
                kr->orders[i]->poll_busy = 0;
                kr->orders[i]->next_poll = poll_due(kr);
            }
        }
    }
}

/* ---- handling answers ---- */

/* Asks QueryTrades for the trade ids of k not reported yet. 1 if asked. */
static int fetch_trades(struct fb_kr *kr, struct kr_order *o, const struct fb_kr_order *k)
{
    struct call *c;
    size_t n = 0, len = 0;
    char list[FB_KR_BODY_MAX / 2];
    list[0] = '\0';
    for (size_t i = 0; i < k->n_trades && n < TRADES_BATCH; i++) {
        if (seen(o, k->trades[i]))
            continue;
        int w = snprintf(list + len, sizeof list - len, "%s%s", n ? "," : "", k->trades[i]);
        if (w < 0 || (size_t)w >= sizeof list - len)
            break;
        len += (size_t)w;
        n++;
    }
    if (n == 0 || !(c = new_call(kr, OP_TRADES, o)))
        return 0;
    copy_str(c->list, sizeof c->list, list);
    copy_str(o->trades_list, sizeof o->trades_list, list);
    o->trades_wanted = 1;
    o->trades_busy = 1;
    start_call(kr, c);
    return 1;
}

/* The REST call counter (B.7) is over its maximum: poll less often. */
static void slow_down(struct fb_kr *kr, const struct fb_kr_answer *a)
{
    if (a->reason == FB_VRR_RATE_LIMIT && kr->poll_slow < POLL_SLOW_MAX)
        kr->poll_slow *= 2;
}

/* Applies an order object (poll, lookup after an unknown outcome). */
static void amend_check(struct fb_kr *kr, struct kr_order *o, const struct fb_kr_order *k);

static void apply_order(struct fb_kr *kr, struct kr_order *o, const struct fb_kr_order *k)
{
    int64_t ts = k->ts_ns ? k->ts_ns : kr->now;
    if (o->phase == PH_SENDING) {
        struct fb_venue_event ev;
        copy_str(o->txid, sizeof o->txid, k->txid);
        index_txid(kr, o);
        o->phase = PH_OPEN;
        if (!o->unresolved) {
            ev_init(&ev, FB_VEV_ACK, o, ts);
            emit(kr, &ev);
        }
    } else if (!o->txid[0]) {
        copy_str(o->txid, sizeof o->txid, k->txid);
        index_txid(kr, o);
    }
    o->unresolved = 0;
    if (k->fee_in_base >= 0)
        o->fee_in_base = k->fee_in_base;
    if (o->amend_unknown)
        amend_check(kr, o, k); /* first: the fills below are against the terms in force */
    if (fb_dec_sign(o->req.qty) == 0 && fb_dec_sign(k->vol) > 0)
        o->req.qty = k->vol; /* quote-sized market buy: Kraken's base volume */
    o->target = k->vol_exec;
    if (fb_dec_cmp(k->vol_exec, o->cum) > 0) {
        o->pending_terminal = is_terminal(k->status);
        o->terminal = k->status;
        if (!fetch_trades(kr, o, k)) {
            /* The trade ids are not listed yet: the next poll asks again. */
            o->next_poll = poll_due(kr);
        }
        return;
    }
    if (is_terminal(k->status))
        close_order(kr, o, k->status, ts);
    else
        o->next_poll = poll_due(kr);
}

static enum fb_venue_order_state state_of(const struct fb_kr_order *k)
{
    switch (k->status) {
    case FB_KR_ST_PENDING:
    case FB_KR_ST_OPEN:
        return fb_dec_sign(k->vol_exec) > 0 ? FB_VOS_PARTIALLY_FILLED : FB_VOS_NEW;
    case FB_KR_ST_CLOSED:
        return fb_dec_cmp(k->vol_exec, k->vol) >= 0 ? FB_VOS_FILLED : FB_VOS_CANCELED;
    case FB_KR_ST_CANCELED:
        return FB_VOS_CANCELED;
    case FB_KR_ST_EXPIRED:
        return FB_VOS_EXPIRED;
    }
    return FB_VOS_UNKNOWN;
}

static void emit_status(struct fb_kr *kr, const struct fb_kr_order *k, const struct kr_order *o,
                        const char *request_id)
{
    struct fb_venue_event ev;
    ev_init(&ev, FB_VEV_STATUS, o, k->ts_ns ? k->ts_ns : kr->now);
    if (!o) {
        copy_str(ev.client_order_id, sizeof ev.client_order_id,
                 k->cl_ord_id[0] ? k->cl_ord_id : k->txid);
        copy_str(ev.symbol, sizeof ev.symbol, k->pair);
    }
    copy_str(ev.venue_order_id, sizeof ev.venue_order_id, k->txid);
    if (request_id)
        copy_str(ev.request_id, sizeof ev.request_id, request_id);
    ev.u.status.state = state_of(k);
    ev.u.status.qty = k->vol;
    /* The limit: price2 on the *-limit trigger types, else price. */
    ev.u.status.price = strstr(k->ordertype, "-limit") ? k->descr_price2 : k->descr_price;
    if (strcmp(k->ordertype, "market") == 0 || strcmp(k->ordertype, "stop-loss") == 0 ||
        strcmp(k->ordertype, "take-profit") == 0)
        ev.u.status.price = fb_dec_zero();
    ev.u.status.cum_qty = k->vol_exec;
    if (fb_dec_sign(k->vol_exec) > 0)
        ev.u.status.avg_px = k->avg_price;
    if (ev.u.status.state == FB_VOS_NEW || ev.u.status.state == FB_VOS_PARTIALLY_FILLED) {
        if (fb_dec_sub(k->vol, k->vol_exec, &ev.u.status.leaves_qty) != FB_OK ||
            fb_dec_sign(ev.u.status.leaves_qty) < 0)
            ev.u.status.leaves_qty = fb_dec_zero();
    }
    emit(kr, &ev);
}

static void emit_status_unknown(struct fb_kr *kr, const char *coid, const char *symbol)
{
    struct fb_venue_event ev;
    ev_init(&ev, FB_VEV_STATUS, NULL, kr->now);
    copy_str(ev.client_order_id, sizeof ev.client_order_id, coid);
    copy_str(ev.request_id, sizeof ev.request_id, coid);
    copy_str(ev.symbol, sizeof ev.symbol, symbol ? symbol : "");
    ev.u.status.state = FB_VOS_UNKNOWN;
    emit(kr, &ev);
}

/* Finds, in a QueryOrders result or an Open/ClosedOrders listing, the
 * order carrying Kraken cl_ord_id kid (or, stage 0, txid). 1 if found. */
static int find_in(json_t *res, int stage, const char *kid, struct fb_kr_order *k)
{
    json_t *map = stage == 0 ? res : json_object_get(res, stage == 1 ? "open" : "closed");
    const char *txid;
    json_t *v;
    if (!json_is_object(map))
        return -1;
    json_object_foreach(map, txid, v)
    {
        if (fb_kr_parse_order(txid, v, k) != FB_OK) {
            fb_warn("kraken", "unreadable order %s skipped", txid);
            continue;
        }
        if (stage == 0 || strcmp(k->cl_ord_id, kid) == 0)
            return 1;
    }
    return 0;
}

static void on_new(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    struct kr_order *o = c->o;
    char txid[FB_KR_TXID_MAX + 1];
    struct fb_venue_event ev;
    switch (a->cls) {
    case FB_KR_OK:
        if (fb_kr_parse_add(res, txid) != FB_OK)
            break; /* unreadable: outcome unknown */
        copy_str(o->txid, sizeof o->txid, txid);
        index_txid(kr, o);
        o->phase = PH_OPEN;
        ev_init(&ev, FB_VEV_ACK, o, kr->now);
        emit(kr, &ev);
        o->next_poll = kr->now; /* fills come only from polling (B.5.1) */
        call_free(c);
        return;
    case FB_KR_REJECT:
        if (!(a->reason == FB_VRR_DUPLICATE_ID && c->attempt > 1)) {
            mark_done(kr, o);
            emit_reject(kr, FB_VEV_REJECT, o, NULL, NULL, a->rej_cls, a->reason, a->msg);
            call_free(c);
            return;
        }
        break; /* a resend called a duplicate: an earlier copy did arrive */
    case FB_KR_RETRY:
        if (exhausted(kr, c)) {
            mark_done(kr, o);
            emit_reject(kr, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_RETRYABLE, a->reason, a->msg);
            call_free(c);
        } else {
            retry_later(kr, c, a->retry_after_ms); /* same cl_ord_id, new nonce */
        }
        return;
    case FB_KR_UNKNOWN:
        break;
    }
    fb_warn("kraken", "order %s: outcome unknown (%s); looking it up before any resend", o->coid,
            a->msg);
    c->op = OP_LOOKUP;
    c->stage = 1;
    c->writes = 0;
    retry_later(kr, c, 0);
}

static void lookup_gave_up(struct fb_kr *kr, struct call *c)
{
    struct kr_order *o = c->o;
    if (!o->unresolved) {
        emit_reject(kr, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_UNKNOWN_OUTCOME, FB_VRR_OTHER,
                    "outcome unknown after retries");
        o->unresolved = 1;
    }
    /* Keep looking (schedule() restarts the lookup at the poll interval). */
    o->phase = PH_OPEN;
    o->next_poll = poll_due(kr);
    call_free(c);
}

static void on_lookup(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    struct kr_order *o = c->o;
    struct fb_kr_order k;
    if (a->cls == FB_KR_OK) {
        int f = find_in(res, c->stage, o->kid, &k);
        if (f == 1) {
            apply_order(kr, o, &k);
            call_free(c);
            return;
        }
        if (f == 0 && c->stage == 1) {
            c->stage = 2; /* not open: perhaps already closed */
            start_call(kr, c);
            return;
        }
        if (f == 0 && c->stage == 2) {
            if (o->unresolved || exhausted(kr, c)) {
                lookup_gave_up(kr, c);
                return;
            }
            /* In neither list: never placed. Resend, SAME cl_ord_id. */
            c->op = OP_NEW;
            c->stage = 0;
            c->writes = 1;
            retry_later(kr, c, 0);
            return;
        }
    }
    if (exhausted(kr, c) || o->unresolved) {
        lookup_gave_up(kr, c);
        return;
    }
    c->stage = 1;
    retry_later(kr, c, a->retry_after_ms);
}

static void on_cancel(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    struct kr_order *o = c->o;
    int64_t count;
    int pending;
    if (a->cls == FB_KR_OK && fb_kr_parse_cancel(res, &count, &pending) == FB_OK) {
        /* Fills before the cancel come first: the poll reports them, then
         * CANCELED (close_order). */
        o->next_poll = kr->now;
        call_free(c);
        return;
    }
    if (a->cls == FB_KR_REJECT) {
        if (c->attempt > 1 && a->reason == FB_VRR_UNKNOWN_ORDER) {
            o->next_poll = kr->now; /* an earlier copy may have canceled it */
            call_free(c);
            return;
        }
        o->cancel_pending = 0;
        emit_reject(kr, FB_VEV_CANCEL_REJECT, o, NULL, c->id, a->rej_cls,
                    a->reason == FB_VRR_UNKNOWN_ORDER && o->phase != PH_SENDING ? FB_VRR_TOO_LATE
                                                                                : a->reason,
                    a->msg);
        o->next_poll = kr->now;
        call_free(c);
        return;
    }
    if (exhausted(kr, c)) {
        o->cancel_pending = 0;
        emit_reject(kr, FB_VEV_CANCEL_REJECT, o, NULL, c->id,
                    a->cls == FB_KR_RETRY ? FB_VREJ_RETRYABLE : FB_VREJ_UNKNOWN_OUTCOME,
                    a->reason, a->msg);
        o->next_poll = kr->now;
        call_free(c);
        return;
    }
    /* Repeating a cancel is harmless (a second one gets EOrder:Unknown order). */
    retry_later(kr, c, a->retry_after_ms);
}

/* The venue made the amend rep: the order's terms and ids move to it. */
static void amend_applied(struct fb_kr *kr, struct kr_order *o, const struct fb_venue_replace *rep)
{
    struct fb_venue_event ev;
    ev_init(&ev, FB_VEV_REPLACED, o, kr->now);
    copy_str(ev.request_id, sizeof ev.request_id, rep->new_client_order_id);
    if (fb_dec_sign(rep->price) > 0)
        o->req.price = rep->price;
    if (fb_dec_sign(rep->stop_price) > 0)
        o->req.stop_price = rep->stop_price;
    o->req.qty = rep->qty;
    ev.u.replaced.qty = rep->qty;
    ev.u.replaced.price = fb_venue_type_limited(o->req.type) ? o->req.price : fb_dec_zero();
    ev.u.replaced.stop_price = o->req.stop_price;
    ev.u.replaced.cum_qty = o->cum;
    if (fb_dec_sub(rep->qty, o->cum, &ev.u.replaced.leaves_qty) != FB_OK ||
        fb_dec_sign(ev.u.replaced.leaves_qty) < 0)
        ev.u.replaced.leaves_qty = fb_dec_zero();
    emit(kr, &ev);
    unindex_key(&kr->by_coid, o->coid, o);
    copy_str(o->coid, sizeof o->coid, rep->new_client_order_id);
    copy_str(o->req.client_order_id, sizeof o->req.client_order_id, o->coid);
    if (fb_strmap_put(&kr->by_coid, o->coid, o) != FB_OK)
        fb_error("kraken", "out of memory indexing order %s (found by its first id still)",
                 o->coid);
    if (fb_dec_sign(ev.u.replaced.leaves_qty) == 0)
        mark_done(kr, o); /* at or below the filled qty: Kraken canceled the rest */
    else
        o->next_poll = kr->now;
}

/* The venue's view of an order whose AmendOrder had an unknown outcome:
 * its volume and prices are the amend's (made) or not (not made, so the
 * replace is refused and the order keeps its terms). Never a guess from
 * the missing answer itself. */
static void amend_check(struct fb_kr *kr, struct kr_order *o, const struct fb_kr_order *k)
{
    const struct fb_venue_replace *rep = &o->amend_rep;
    int two_prices = o->req.type == FB_VENUE_STOP_LIMIT || o->req.type == FB_VENUE_TAKE_PROFIT_LIMIT;
    int made = fb_dec_cmp(k->vol, rep->qty) == 0;
    if (made && fb_dec_sign(rep->price) > 0)
        made = fb_dec_cmp(two_prices ? k->descr_price2 : k->descr_price, rep->price) == 0;
    if (made && fb_dec_sign(rep->stop_price) > 0)
        made = fb_dec_cmp(k->descr_price, rep->stop_price) == 0;
    o->amend_unknown = 0;
    o->replace_pending = 0;
    fb_info("kraken", "order %s: the AmendOrder with an unknown outcome was %s", o->coid,
            made ? "made: replaced" : "not made: refused");
    if (made)
        amend_applied(kr, o, rep);
    else
        emit_reject(kr, FB_VEV_REPLACE_REJECT, o, NULL, rep->new_client_order_id, FB_VREJ_FINAL,
                    FB_VRR_OTHER, "AmendOrder not made (checked after an unknown outcome)");
}

static void on_amend(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    struct kr_order *o = c->o;
    o->replace_pending = 0;
    if (a->cls == FB_KR_OK && fb_kr_parse_amend(res) == FB_OK) {
        amend_applied(kr, o, &c->rep);
        call_free(c);
        return;
    }
    if (a->cls != FB_KR_REJECT && a->cls != FB_KR_RETRY && o->phase == PH_OPEN) {
        /* 5xx, timeout, dropped or unreadable: ask the venue what it did */
        fb_warn("kraken", "order %s: AmendOrder outcome unknown (%s); querying the order",
                o->coid, a->cls == FB_KR_OK ? "unreadable answer" : a->msg);
        o->replace_pending = 1;
        o->amend_unknown = 1;
        o->amend_rep = c->rep;
        o->next_poll = kr->now;
        call_free(c);
        return;
    }
    if (a->cls == FB_KR_RETRY && !exhausted(kr, c)) {
        o->replace_pending = 1;
        retry_later(kr, c, a->retry_after_ms);
        return;
    }
    emit_reject(kr, FB_VEV_REPLACE_REJECT, o, NULL, c->rep.new_client_order_id,
                a->cls == FB_KR_REJECT   ? a->rej_cls
                : a->cls == FB_KR_RETRY ? FB_VREJ_RETRYABLE
                                        : FB_VREJ_UNKNOWN_OUTCOME,
                a->reason == FB_VRR_UNKNOWN_ORDER ? FB_VRR_TOO_LATE : a->reason,
                a->cls == FB_KR_OK ? "unreadable AmendOrder answer" : a->msg);
    o->next_poll = kr->now;
    call_free(c);
}

static void on_trades(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    struct kr_order *o = c->o;
    o->trades_busy = 0;
    if (a->cls != FB_KR_OK) {
        /* Asked again before the next poll (poll_due_orders). */
        slow_down(kr, a);
        o->trades_at = kr->now + backoff_ns(kr, 2, a->retry_after_ms);
        o->next_poll = o->trades_at;
        call_free(c);
        return;
    }
    o->trades_wanted = 0;
    if (a->cls == FB_KR_OK) {
        const char *id;
        json_t *v;
        json_object_foreach(res, id, v)
        {
            struct fb_kr_trade t;
            if (fb_kr_parse_trade(id, v, &t) != FB_OK || strcmp(t.ordertxid, o->txid) != 0) {
                fb_warn("kraken", "order %s: unreadable trade skipped", o->coid);
                continue;
            }
            report_fill(kr, o, &t);
        }
    }
    if (o->pending_terminal && o->phase != PH_DONE && fb_dec_cmp(o->cum, o->target) >= 0)
        close_order(kr, o, o->terminal, kr->now);
    o->next_poll = o->phase == PH_DONE ? INT64_MAX : poll_due(kr);
    call_free(c);
}

static void on_poll(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    if (a->cls != FB_KR_OK)
        slow_down(kr, a);
    else if (kr->poll_slow > 1)
        kr->poll_slow--; /* an answer: speed up again, slowly */
    for (size_t i = 0; i < kr->n_orders; i++) {
        struct kr_order *o = kr->orders[i];
        const json_t *v;
        struct fb_kr_order k;
        if (!o->poll_busy || o->poll_gen != c->gen)
            continue;
        o->poll_busy = 0;
        if (a->cls != FB_KR_OK) {
            o->next_poll = kr->now + backoff_ns(kr, 2, a->retry_after_ms);
            continue;
        }
        v = json_object_get(res, o->txid);
        if (!v || fb_kr_parse_order(o->txid, v, &k) != FB_OK) {
            fb_warn("kraken", "order %s: unreadable status answer", o->coid);
            o->next_poll = poll_due(kr);
            continue;
        }
        if (o->phase == PH_OPEN)
            apply_order(kr, o, &k);
    }
    call_free(c);
}

static void on_query(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    struct fb_kr_order k;
    const char *kid = c->o ? c->o->kid : c->kid;
    int f = a->cls == FB_KR_OK ? find_in(res, c->stage, kid, &k) : -1;
    if (f == 1) {
        emit_status(kr, &k, c->o, c->id);
    } else if (f == 0 && c->stage < 2) {
        c->stage++;
        start_call(kr, c);
        return;
    } else if (f == 0 || (a->cls == FB_KR_REJECT && a->reason == FB_VRR_UNKNOWN_ORDER)) {
        emit_status_unknown(kr, c->id, c->o ? c->o->req.symbol : NULL);
    } else {
        /* No answer is not "unknown order": ask again, never guess. */
        retry_later(kr, c, a->retry_after_ms);
        return;
    }
    call_free(c);
}

static const struct fb_kr_pair *pair_named(const struct fb_kr *kr, const char *name)
{
    for (size_t i = 0; i < kr->n_pairs; i++) {
        const struct fb_kr_pair *p = &kr->pairs[i];
        if (strcmp(p->m.symbol, name) == 0 || strcmp(p->altname, name) == 0 ||
            (p->wsname[0] && strcmp(p->wsname, name) == 0))
            return p;
    }
    return NULL;
}

static void on_open(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    json_t *open = json_object_get(res, "open");
    const struct fb_kr_pair *want = c->symbol[0] ? pair_named(kr, c->symbol) : NULL;
    if (a->cls == FB_KR_OK && json_is_object(open)) {
        struct fb_venue_event end;
        const char *txid;
        json_t *v;
        json_object_foreach(open, txid, v)
        {
            struct fb_kr_order k;
            if (fb_kr_parse_order(txid, v, &k) != FB_OK) {
                fb_warn("kraken", "open orders: unreadable entry skipped");
                continue;
            }
            /* descr.pair is the altname (B.1). */
            if (c->symbol[0] && strcmp(k.pair, c->symbol) != 0 &&
                (!want || strcmp(k.pair, want->altname) != 0))
                continue;
            const struct kr_order *o = find_by_kid(kr, k.cl_ord_id);
            if (!o)
                o = find_by_txid(kr, k.txid);
            emit_status(kr, &k, o, c->id);
        }
        ev_init(&end, FB_VEV_OPEN_ORDERS_END, NULL, kr->now);
        copy_str(end.request_id, sizeof end.request_id, c->id);
        emit(kr, &end);
        call_free(c);
        return;
    }
    retry_later(kr, c, a->retry_after_ms);
}

static void on_pairs(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    if (a->cls == FB_KR_OK) {
        struct fb_kr_pair *all = calloc(json_object_size(res) + 1, sizeof *all);
        struct fb_kr_pair *mine = calloc(kr->p.n_symbols, sizeof *mine);
        size_t n = 0, k = 0;
        const char *key;
        json_t *v;
        if (all && mine) {
            json_object_foreach(res, key, v)
            {
                if (fb_kr_parse_pair(key, v, &all[n]) == FB_OK)
                    n++;
                else
                    fb_warn("kraken", "AssetPairs: unreadable pair %s skipped", key);
            }
            /* Markets are named as configured (id, altname or wsname). */
            kr->pairs = all;
            kr->n_pairs = n;
            for (size_t i = 0; i < kr->p.n_symbols; i++) {
                const struct fb_kr_pair *p = pair_named(kr, kr->symbols[i]);
                if (!p)
                    continue;
                mine[k] = *p;
                copy_str(mine[k].m.symbol, sizeof mine[k].m.symbol, kr->symbols[i]);
                k++;
            }
            free(all);
            kr->pairs = mine;
            kr->n_pairs = k;
            kr->have_pairs = 1;
            call_free(c);
            return;
        }
        free(all);
        free(mine);
    }
    fb_warn("kraken", "AssetPairs failed (%s); retrying", a->msg);
    retry_later(kr, c, a->retry_after_ms);
}

static void on_ticker(struct fb_kr *kr, struct call *c, const struct fb_kr_answer *a, json_t *res)
{
    int64_t next = kr->now + (int64_t)(kr->p.poll_interval_ms > TICKER_MIN_MS
                                           ? kr->p.poll_interval_ms
                                           : TICKER_MIN_MS) *
                                 NS_PER_MS;
    kr->ticker_busy = 0;
    kr->ticker_tried = 1;
    if (a->cls == FB_KR_OK) {
        /* Keyed by the pair id even when asked by altname (B.4). */
        for (size_t k = 0; k < kr->p.n_symbols; k++) {
            const struct fb_kr_pair *p = pair_named(kr, kr->symbols[k]);
            struct fb_dec bid, ask;
            if (!p)
                continue;
            if (fb_kr_parse_ticker(json_object_get(res, p->id), &bid, &ask) != FB_OK) {
                fb_warn("kraken", "Ticker: no readable touch for %s", kr->symbols[k]);
                continue;
            }
            kr->refs[k].bid = bid;
            kr->refs[k].ask = ask;
            kr->refs[k].as_of = kr->now; /* as of its arrival, on the injected clock */
        }
    } else {
        /* Keep the last touch with its old as-of: the policy judges its age. */
        fb_warn("kraken", "Ticker failed (%s)", a->msg);
        int64_t b = kr->now + backoff_ns(kr, 2, a->retry_after_ms);
        if (b > next)
            next = b;
    }
    kr->next_ticker = next;
    call_free(c);
}

static void call_done(void *user, const struct fb_http_response *r)
{
    struct call *c = user;
    struct fb_kr *kr = c->kr;
    struct fb_kr_answer a;
    json_t *res = NULL;

    if (c->prev)
        c->prev->next = c->next;
    else
        kr->inflight = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    fb_kr_classify(r, c->writes, &a, &res);
    if (a.cls == FB_KR_RETRY && a.reason == FB_VRR_RATE_LIMIT && a.retry_after_ms > 0) {
        int64_t until = kr->now + a.retry_after_ms * NS_PER_MS;
        if (until > kr->blocked_until)
            kr->blocked_until = until;
        fb_warn("kraken", "%s: requests paused for %lld ms", a.msg, (long long)a.retry_after_ms);
    }
    switch (c->op) {
    case OP_PAIRS:
        on_pairs(kr, c, &a, res);
        break;
    case OP_NEW:
        on_new(kr, c, &a, res);
        break;
    case OP_LOOKUP:
        on_lookup(kr, c, &a, res);
        break;
    case OP_CANCEL:
        on_cancel(kr, c, &a, res);
        break;
    case OP_AMEND:
        on_amend(kr, c, &a, res);
        break;
    case OP_POLL:
        on_poll(kr, c, &a, res);
        break;
    case OP_TRADES:
        on_trades(kr, c, &a, res);
        break;
    case OP_QUERY:
        on_query(kr, c, &a, res);
        break;
    case OP_OPEN:
        on_open(kr, c, &a, res);
        break;
    case OP_TICKER:
        on_ticker(kr, c, &a, res);
        break;
    }
    json_decref(res);
}

/* ---- fb_venue_ops slots ---- */

static void kr_destroy(void *state);

static enum fb_err kr_create(const void *params, const struct fb_venue_sink *sink, void **state,
                             char *err, size_t errlen)
{
    const struct fb_kraken_params *p = params;
    struct fb_kr *kr = NULL;
    struct fb_http_params hp;
    enum fb_err e = FB_ERR_CONFIG;
    size_t kl;

    *state = NULL;
    if (!p) {
        snprintf(err, errlen, "kraken: no parameters (the venue's config is not mapped)");
        return FB_ERR_INVALID;
    }
    if (!sink || !sink->on_event) {
        snprintf(err, errlen, "kraken: a sink is required");
        return FB_ERR_INVALID;
    }
    if (!p->base_url || strncmp(p->base_url, "http", 4) != 0) {
        snprintf(err, errlen, "kraken: base_url must be an http(s) URL");
        return FB_ERR_CONFIG;
    }
    if (!p->api_key || !p->api_key[0] || !p->api_secret || !p->api_secret[0] ||
        strpbrk(p->api_key, "\r\n")) {
        snprintf(err, errlen, "kraken: api key and secret are required");
        return FB_ERR_CONFIG;
    }
    if (!p->nonce_dir || !p->nonce_dir[0]) {
        snprintf(err, errlen, "kraken: nonce_dir is required");
        return FB_ERR_CONFIG;
    }
    if (p->n_symbols < 1 || p->n_symbols > FB_KRAKEN_SYMBOLS_MAX || !p->symbols) {
        snprintf(err, errlen, "kraken: needs 1..%d symbols", FB_KRAKEN_SYMBOLS_MAX);
        return FB_ERR_CONFIG;
    }
    for (size_t i = 0; i < p->n_symbols; i++) {
        const char *s = p->symbols[i];
        if (!s || !s[0] || strlen(s) > FB_VENUE_SYMBOL_MAX || strpbrk(s, ",&=\"\\ ")) {
            snprintf(err, errlen, "kraken: symbol %zu is invalid", i);
            return FB_ERR_CONFIG;
        }
    }
    kr = calloc(1, sizeof *kr);
    if (!kr)
        goto nomem;
    fb_strmap_init(&kr->by_coid);
    fb_strmap_init(&kr->by_kid);
    fb_strmap_init(&kr->by_txid);
    kr->p = *p;
    kr->sink = *sink;
    if (!kr->p.connect_timeout_ms)
        kr->p.connect_timeout_ms = 3000;
    if (!kr->p.request_timeout_ms)
        kr->p.request_timeout_ms = 10000;
    if (!kr->p.poll_interval_ms)
        kr->p.poll_interval_ms = 1000;
    if (!kr->p.max_attempts)
        kr->p.max_attempts = 5;
    if (!kr->p.retry_base_ms)
        kr->p.retry_base_ms = 250;
    if (!kr->p.retry_deadline_ms)
        kr->p.retry_deadline_ms = 30000;
    kr->rng = p->seed ^ 0x6b72616b656eULL;
    kr->poll_slow = 1;
    if (mkdir(p->nonce_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "kraken: cannot create nonce_dir %s", p->nonce_dir);
        e = FB_ERR_IO;
        goto fail;
    }
    e = fb_nonce_open(&kr->nonce, p->nonce_dir, "kraken");
    if (e != FB_OK) {
        snprintf(err, errlen, "kraken: nonce file under %s: %s", p->nonce_dir, fb_strerror(e));
        goto fail;
    }
    kr->base_url = strdup(p->base_url);
    kr->secret = strdup(p->api_secret);
    kl = strlen(p->api_key) + sizeof "API-Key: ";
    kr->keyhdr = malloc(kl);
    kr->symbols = calloc(p->n_symbols, sizeof *kr->symbols);
    kr->refs = calloc(p->n_symbols, sizeof *kr->refs);
    if (!kr->base_url || !kr->secret || !kr->keyhdr || !kr->symbols || !kr->refs)
        goto nomem;
    snprintf(kr->keyhdr, kl, "API-Key: %s", p->api_key);
    for (size_t i = 0; i < p->n_symbols; i++)
        if (!(kr->symbols[i] = strdup(p->symbols[i])))
            goto nomem;
    kr->p.base_url = kr->p.api_key = kr->p.api_secret = kr->p.ca_file = kr->p.nonce_dir = NULL;
    kr->p.symbols = NULL;
    memset(&hp, 0, sizeof hp);
    hp.ca_file = p->ca_file;
    hp.user_agent = "fixbridge/" FB_VERSION; /* Kraken requires one (H.2) */
    hp.connect_timeout_ms = kr->p.connect_timeout_ms;
    hp.request_timeout_ms = kr->p.request_timeout_ms;
    e = fb_http_create(&hp, &kr->http);
    if (e != FB_OK) {
        snprintf(err, errlen, "kraken: HTTP client: %s", fb_strerror(e));
        goto fail;
    }
    *state = kr;
    return FB_OK;
nomem:
    e = FB_ERR_NOMEM;
    snprintf(err, errlen, "kraken: out of memory");
fail:
    kr_destroy(kr);
    return e;
}

static void kr_destroy(void *state)
{
    struct fb_kr *kr = state;
    if (!kr)
        return;
    fb_http_destroy(kr->http);
    while (kr->inflight) {
        struct call *c = kr->inflight;
        kr->inflight = c->next;
        call_free(c);
    }
    for (size_t i = 0; i < kr->n_later; i++)
        free(kr->later[i].c);
    for (size_t i = 0; i < kr->n_orders; i++) {
        free(kr->orders[i]->seen);
        free(kr->orders[i]);
    }
    if (kr->symbols)
        for (size_t i = 0; i < kr->p.n_symbols; i++)
            free(kr->symbols[i]);
    if (kr->secret)
        OPENSSL_cleanse(kr->secret, strlen(kr->secret));
    if (kr->keyhdr)
        OPENSSL_cleanse(kr->keyhdr, strlen(kr->keyhdr));
    free(kr->symbols);
    free(kr->refs);
    free(kr->secret);
    free(kr->keyhdr);
    free(kr->base_url);
    free(kr->pairs);
    free(kr->orders);
    fb_strmap_free(&kr->by_coid);
    fb_strmap_free(&kr->by_kid);
    fb_strmap_free(&kr->by_txid);
    free(kr->later);
    free(kr->out);
    free(kr);
}

int fb_kraken_ready(const void *state)
{
    const struct fb_kr *kr = state;
    /* The first Ticker answer (any outcome) too, so the first orders can
     * be judged against a reference price. */
    return kr && kr->have_pairs && kr->ticker_tried;
}

static enum fb_err kr_submit(void *state, const struct fb_venue_order *order, int64_t now_ns)
{
    struct fb_kr *kr = state;
    struct fb_kr_form f;
    char why[FB_VENUE_TEXT_MAX + 1];
    struct kr_order *o;
    struct call *c;
    enum fb_err e;
    if (!kr || !order || !memchr(order->client_order_id, '\0', sizeof order->client_order_id) ||
        !memchr(order->symbol, '\0', sizeof order->symbol))
        return FB_ERR_INVALID;
    if (!fb_kraken_ready(kr))
        return FB_ERR_STATE;
    if (!fb_venue_clordid_valid(order->client_order_id))
        return FB_ERR_INVALID;
    if (find_order(kr, order->client_order_id))
        return FB_ERR_DUPLICATE;
    e = fb_kr_build_order(order, (now_ns > kr->now ? now_ns : kr->now) / 1000000000LL, &f, why,
                          sizeof why);
    if (e != FB_OK && e != FB_ERR_UNSUPPORTED)
        return e;
    o = add_order(kr, order);
    if (!o)
        return FB_ERR_NOMEM;
    if (e == FB_ERR_UNSUPPORTED) {
        mark_done(kr, o);
        emit_reject(kr, FB_VEV_REJECT, o, NULL, NULL, FB_VREJ_FINAL,
                    strcmp(why, "expire time already past") == 0 ? FB_VRR_EXPIRED
                                                                 : FB_VRR_UNSUPPORTED,
                    why);
        return FB_OK;
    }
    c = new_call(kr, OP_NEW, o);
    if (!c)
        return FB_ERR_NOMEM;
    c->origin_ns = order->origin_ns;
    defer(kr, c, 0); /* sent from run(), with run's clock */
    return FB_OK;
}

static enum fb_err kr_cancel(void *state, const struct fb_venue_cancel *req, int64_t now_ns)
{
    struct fb_kr *kr = state;
    struct kr_order *o;
    struct call *c;
    (void)now_ns;
    if (!kr || !req || !fb_venue_clordid_valid(req->client_order_id) ||
        !fb_venue_clordid_valid(req->request_id))
        return FB_ERR_INVALID;
    if (!fb_kraken_ready(kr))
        return FB_ERR_STATE;
    o = find_order(kr, req->client_order_id);
    if (!o || o->phase == PH_DONE || o->cancel_pending) {
        struct kr_order tmp;
        memset(&tmp, 0, sizeof tmp);
        copy_str(tmp.coid, sizeof tmp.coid, req->client_order_id);
        emit_reject(kr, FB_VEV_CANCEL_REJECT, o ? o : &tmp, NULL, req->request_id, FB_VREJ_FINAL,
                    !o                  ? FB_VRR_UNKNOWN_ORDER
                    : o->cancel_pending ? FB_VRR_OTHER
                                        : FB_VRR_TOO_LATE,
                    !o                  ? "unknown order"
                    : o->cancel_pending ? "cancel already pending"
                                        : "order already closed");
        return FB_OK;
    }
    c = new_call(kr, OP_CANCEL, o);
    if (!c)
        return FB_ERR_NOMEM;
    copy_str(c->id, sizeof c->id, req->request_id);
    o->cancel_pending = 1;
    copy_str(o->cancel_id, sizeof o->cancel_id, req->request_id);
    defer(kr, c, 0);
    return FB_OK;
}

static enum fb_err kr_replace(void *state, const struct fb_venue_replace *req, int64_t now_ns)
{
    struct fb_kr *kr = state;
    struct kr_order *o;
    struct call *c;
    (void)now_ns;
    if (!kr || !req || !fb_venue_clordid_valid(req->client_order_id) ||
        !fb_venue_clordid_valid(req->new_client_order_id) || fb_dec_sign(req->qty) <= 0 ||
        fb_dec_sign(req->price) < 0 || fb_dec_sign(req->stop_price) < 0)
        return FB_ERR_INVALID;
    if (!fb_kraken_ready(kr))
        return FB_ERR_STATE;
    o = find_order(kr, req->client_order_id);
    if (!o || o->phase != PH_OPEN || o->replace_pending || o->cancel_pending ||
        o->req.type == FB_VENUE_MARKET || strcmp(o->coid, req->client_order_id) != 0) {
        struct kr_order tmp;
        memset(&tmp, 0, sizeof tmp);
        copy_str(tmp.coid, sizeof tmp.coid, req->client_order_id);
        emit_reject(kr, FB_VEV_REPLACE_REJECT, o ? o : &tmp, NULL, req->new_client_order_id,
                    FB_VREJ_FINAL, !o ? FB_VRR_UNKNOWN_ORDER : FB_VRR_TOO_LATE,
                    !o ? "unknown order" : "order is not open for replace");
        return FB_OK;
    }
    if ((fb_dec_sign(req->price) > 0 && !fb_venue_type_limited(o->req.type)) ||
        (fb_dec_sign(req->stop_price) > 0 && !fb_venue_type_triggered(o->req.type))) {
        emit_reject(kr, FB_VEV_REPLACE_REJECT, o, NULL, req->new_client_order_id, FB_VREJ_FINAL,
                    FB_VRR_UNSUPPORTED, "the order type has no such price to amend");
        return FB_OK;
    }
    c = new_call(kr, OP_AMEND, o);
    if (!c)
        return FB_ERR_NOMEM;
    c->rep = *req;
    copy_str(c->id, sizeof c->id, req->new_client_order_id);
    o->replace_pending = 1;
    defer(kr, c, 0);
    return FB_OK;
}

static enum fb_err kr_query(void *state, const char *coid, int64_t now_ns)
{
    struct fb_kr *kr = state;
    struct kr_order *o;
    struct call *c;
    (void)now_ns;
    if (!kr || !fb_venue_clordid_valid(coid))
        return FB_ERR_INVALID;
    if (!fb_kraken_ready(kr))
        return FB_ERR_STATE;
    o = find_order(kr, coid);
    c = new_call(kr, OP_QUERY, o);
    if (!c)
        return FB_ERR_NOMEM;
    copy_str(c->id, sizeof c->id, coid);
    if (fb_kr_cl_ord_id(coid, c->kid) != FB_OK) {
        call_free(c);
        return FB_ERR_INVALID;
    }
    /* By txid when we have it, else OpenOrders then ClosedOrders by cl_ord_id. */
    c->stage = o && o->txid[0] ? 0 : 1;
    defer(kr, c, 0);
    return FB_OK;
}

static enum fb_err kr_open_orders(void *state, const char *symbol, const char *request_id,
                                  int64_t now_ns)
{
    struct fb_kr *kr = state;
    struct call *c;
    (void)now_ns;
    if (!kr || !fb_venue_clordid_valid(request_id) ||
        (symbol && (!symbol[0] || strlen(symbol) > FB_VENUE_SYMBOL_MAX)))
        return FB_ERR_INVALID;
    if (!fb_kraken_ready(kr))
        return FB_ERR_STATE;
    c = new_call(kr, OP_OPEN, NULL);
    if (!c)
        return FB_ERR_NOMEM;
    copy_str(c->id, sizeof c->id, request_id);
    if (symbol)
        copy_str(c->symbol, sizeof c->symbol, symbol);
    defer(kr, c, 0);
    return FB_OK;
}

/* One QueryOrders for every open order that is due (H.4: one call, not one
 * per order). */
static void poll_due_orders(struct fb_kr *kr)
{
    struct call *c = NULL;
    size_t n = 0, len = 0;
    if (kr->now < kr->blocked_until)
        return;
    for (size_t i = 0; i < kr->n_orders; i++) {
        struct kr_order *o = kr->orders[i];
        if (o->phase != PH_OPEN || o->poll_busy || o->trades_busy)
            continue;
        if (o->trades_wanted) {
            /* fills seen but not yet fetched come first */
            struct call *t;
            if (o->trades_at <= kr->now && (t = new_call(kr, OP_TRADES, o))) {
                copy_str(t->list, sizeof t->list, o->trades_list);
                o->trades_busy = 1;
                start_call(kr, t);
            }
            continue;
        }
        if (o->next_poll > kr->now)
            continue;
        if (!o->txid[0]) {
            /* Unresolved (outcome unknown, given up): keep looking it up. */
            struct call *l = new_call(kr, OP_LOOKUP, o);
            if (!l)
                continue;
            o->phase = PH_SENDING;
            l->stage = 1;
            o->next_poll = INT64_MAX;
            start_call(kr, l);
            continue;
        }
        if (n == POLL_BATCH)
            break;
        if (!c) {
            if (!(c = new_call(kr, OP_POLL, NULL)))
                return;
            c->gen = ++kr->poll_gen;
        }
        int w = snprintf(c->list + len, sizeof c->list - len, "%s%s", n ? "," : "", o->txid);
        if (w < 0 || (size_t)w >= sizeof c->list - len)
            break;
        len += (size_t)w;
        n++;
        o->poll_busy = 1;
        o->poll_gen = c->gen;
        o->next_poll = INT64_MAX;
    }
    if (c)
        start_call(kr, c);
}

static void schedule(struct fb_kr *kr)
{
    struct call *c;
    if (!kr->started) {
        kr->started = 1;
        if ((c = new_call(kr, OP_PAIRS, NULL)))
            start_call(kr, c);
    }
    if (kr->have_pairs && !kr->ticker_busy && kr->now >= kr->next_ticker &&
        kr->now >= kr->blocked_until && (c = new_call(kr, OP_TICKER, NULL))) {
        kr->ticker_busy = 1;
        if (send_call(kr, c) != FB_OK) { /* frees c */
            kr->ticker_busy = 0;
            kr->ticker_tried = 1;
            kr->next_ticker = kr->now + TICKER_MIN_MS * NS_PER_MS;
        }
    }
    for (size_t i = 0; i < kr->n_later;) {
        if (kr->later[i].at > kr->now || kr->now < kr->blocked_until) {
            i++;
            continue;
        }
        c = kr->later[i].c;
        kr->later[i] = kr->later[--kr->n_later];
        start_call(kr, c);
    }
    poll_due_orders(kr);
}

static void collect(struct fb_kr *kr)
{
    size_t k = 0;
    if (kr->now < kr->next_collect)
        return;
    kr->next_collect = kr->now + 1000 * NS_PER_MS;
    for (size_t i = 0; i < kr->n_orders; i++) {
        struct kr_order *o = kr->orders[i];
        if (o->phase == PH_DONE && o->refs == 0 && !o->cancel_pending && !o->replace_pending &&
            kr->now - o->done_at >= RETAIN_NS) {
            unindex(kr, o);
            free(o->seen);
            free(o);
            continue;
        }
        kr->orders[k++] = o;
    }
    kr->n_orders = k;
}

static enum fb_err kr_run(void *state, int64_t now_ns)
{
    struct fb_kr *kr = state;
    enum fb_err e;
    if (!kr)
        return FB_ERR_INVALID;
    if (now_ns > kr->now)
        kr->now = now_ns;
    schedule(kr);
    e = fb_http_run(kr->http, kr->now);
    schedule(kr);
    flush(kr);
    collect(kr);
    return e;
}

static int64_t kr_next_deadline(const void *state)
{
    const struct fb_kr *kr = state;
    int64_t t;
    if (!kr)
        return INT64_MAX;
    if (!kr->started || kr->n_out)
        return kr->now;
    t = fb_http_next_deadline(kr->http);
    if (kr->have_pairs && !kr->ticker_busy && kr->next_ticker < t)
        t = kr->next_ticker;
    for (size_t i = 0; i < kr->n_later; i++)
        if (kr->later[i].at < t)
            t = kr->later[i].at;
    for (size_t i = 0; i < kr->n_orders; i++) {
        const struct kr_order *o = kr->orders[i];
        if (o->phase == PH_OPEN && !o->poll_busy && !o->trades_busy && o->next_poll < t)
            t = o->next_poll;
        if (o->phase == PH_OPEN && o->trades_wanted && !o->trades_busy && o->trades_at < t)
            t = o->trades_at;
    }
    if (t < kr->blocked_until && fb_http_active(kr->http) == 0)
        t = kr->blocked_until;
    return t;
}

static enum fb_err kr_market(const void *state, const char *symbol, struct fb_venue_market *out)
{
    const struct fb_kr *kr = state;
    if (!kr || !symbol || !out)
        return FB_ERR_INVALID;
    if (!fb_kraken_ready(kr))
        return FB_ERR_STATE;
    for (size_t i = 0; i < kr->n_pairs; i++) {
        if (strcmp(kr->pairs[i].m.symbol, symbol) == 0) {
            *out = kr->pairs[i].m;
            return FB_OK;
        }
    }
    return FB_ERR_NOT_FOUND;
}

static enum fb_err kr_reference_price(const void *state, const char *symbol, struct fb_dec *bid,
                                      struct fb_dec *ask, int64_t *as_of_ns)
{
    const struct fb_kr *kr = state;
    if (!kr || !symbol || !bid || !ask || !as_of_ns)
        return FB_ERR_INVALID;
    for (size_t k = 0; k < kr->p.n_symbols; k++) {
        if (strcmp(kr->symbols[k], symbol) != 0)
            continue;
        if (kr->refs[k].as_of == 0)
            return FB_ERR_STATE; /* no answer yet */
        *bid = kr->refs[k].bid;
        *ask = kr->refs[k].ask;
        *as_of_ns = kr->refs[k].as_of;
        return FB_OK;
    }
    return FB_ERR_NOT_FOUND;
}

/* The engine's venue throttle holds new orders while the venue asked
 * for a pause. */
static int64_t kr_paused_until(const void *state)
{
    const struct fb_kr *x = state;
    return x->blocked_until;
}

static size_t kr_poll_fds(void *state, struct pollfd *fds, size_t max, uint64_t *gen)
{
    struct fb_kr *kr = state;
    return kr ? fb_http_poll_fds(kr->http, fds, max, gen) : 0;
}

const struct fb_venue_ops fb_venue_kraken = {
    {
        FB_VENUE_API_VERSION, /* api_version */
        "kraken",             /* name */
        FB_VSUP_MARKET | FB_VSUP_LIMIT | FB_VSUP_STOP | FB_VSUP_STOP_LIMIT | FB_VSUP_TAKE_PROFIT |
            FB_VSUP_TAKE_PROFIT_LIMIT | FB_VSUP_TIF_DAY |
            FB_VSUP_TIF_GTC | FB_VSUP_TIF_IOC | FB_VSUP_TIF_GTD | FB_VSUP_POST_ONLY |
            FB_VSUP_ICEBERG | FB_VSUP_QUOTE_QTY | FB_VSUP_REPLACE |
            FB_VSUP_OPEN_ORDERS, /* supports */
    },
    kr_create,        /* create */
    kr_destroy,       /* destroy */
    kr_submit,        /* submit */
    kr_cancel,        /* cancel */
    kr_replace,       /* replace */
    kr_query,         /* query */
    kr_open_orders,   /* open_orders */
    kr_run,           /* run */
    kr_next_deadline, /* next_deadline */
    kr_market,        /* market */
    kr_reference_price, /* reference_price: Ticker, polled */
    kr_paused_until,    /* paused_until: Retry-After, a ban */
    kr_poll_fds,        /* poll_fds: libcurl's sockets */
};
