/*
 * vsim_binance: orders over the sim's matching core, and Binance's JSON
 * answers (REFERENCE.md A.8). Called by vsim_binance.c under vs->mu.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters/vsim_binance_int.h"

#define NS_PER_MS 1000000LL
#define DEC_RE "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
#define ID_RE "^[a-zA-Z0-9-_]{1,36}$"
#define NUM_RE "^[0-9]{1,20}$"
#define BIG "9000000000"

void vs_error(struct vs_answer *a, unsigned http, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *j;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j = json_pack("{s:i,s:s}", "code", code, "msg", msg);
    free(a->body);
    a->http = http;
    a->body = fb_vsim_dumps(j);
}

static void answer(struct vs_answer *a, unsigned http, json_t *j)
{
    free(a->body);
    a->http = http;
    a->body = fb_vsim_dumps(j);
    if (!a->body)
        vs_error(a, 500, -1000, "An unknown error occurred while processing the request.");
}

/* ---- the book's events ---- */

static enum fb_err on_event(void *user, const struct fb_venue_event *ev)
{
    struct fb_vsim *vs = user;
    size_t i = (size_t)strtoull(ev->client_order_id + 1, NULL, 10);
    int64_t ms = ev->ts_ns / NS_PER_MS;
    switch (ev->kind) {
    case FB_VEV_REJECT:
    case FB_VEV_CANCEL_REJECT:
    case FB_VEV_REPLACE_REJECT:
        vs->got_rej = true;
        vs->rej = ev->u.rej;
        return FB_OK;
    default:
        break;
    }
    if (i >= vs->n_orders)
        return FB_OK;
    vs->orders[i].update_ms = ms;
    if (ev->kind == FB_VEV_FILL) {
        struct vs_trade *t;
        if (vs->n_trades == vs->cap_trades) {
            size_t cap = vs->cap_trades ? vs->cap_trades * 2 : 64;
            void *n = realloc(vs->trades, cap * sizeof *vs->trades);
            if (!n)
                return FB_ERR_NOMEM;
            vs->trades = n;
            vs->cap_trades = cap;
        }
        t = &vs->trades[vs->n_trades++];
        memset(t, 0, sizeof *t);
        t->id = strtoll(ev->u.fill.trade_id, NULL, 10);
        t->order = (uint32_t)i;
        t->price = ev->u.fill.price;
        t->qty = ev->u.fill.qty;
        t->fee = ev->u.fill.fee;
        fb_vsim_copy_str(t->asset, sizeof t->asset, ev->u.fill.fee_currency);
        t->maker = ev->u.fill.liquidity == FB_VLIQ_MAKER;
        t->time_ms = ms;
    } else if (ev->kind == FB_VEV_CANCELED) {
        if (ev->u.canceled.reason == FB_VCXL_IOC_REMAINDER ||
            ev->u.canceled.reason == FB_VCXL_FOK_UNFILLED)
            vs->orders[i].expired = true;
    }
    return FB_OK;
}

enum fb_err vs_init_book(struct fb_vsim *vs)
{
    vs->rng = vs->p.seed;
    vs->next_tick_ns = 0;
    return fb_sim_book_init(&vs->book, &vs->p, on_event, vs);
}

void vs_free_book(struct fb_vsim *vs)
{
    fb_sim_book_free(&vs->book);
    free(vs->orders);
    free(vs->trades);
    fb_vsim_counts_free(&vs->counts);
}

/* Price walk and partial fills, one step per tick_ms, caught up lazily. */
void vs_tick(struct fb_vsim *vs, int64_t now_ns)
{
    fb_vsim_tick(&vs->book, &vs->p, &vs->rng, &vs->next_tick_ns, now_ns);
}

/* ---- parameters ---- */

static bool id_syntax(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* 0 and *out (zero if absent), or -1 with the error in a. */
static int get_dec(struct vs_params *p, const char *k, struct fb_dec *out, struct vs_answer *a)
{
    const char *v = fb_vsim_param(p, k);
    enum fb_err e;
    *out = fb_dec_zero();
    if (!v)
        return 0;
    if (!fb_vsim_dec_syntax(v, 20)) {
        vs_error(a, 400, -1100,
                 "Illegal characters found in parameter '%s'; legal range is '" DEC_RE "'.", k);
        return -1;
    }
    e = fb_dec_parse_str(v, out);
    if (e == FB_ERR_PARSE) {
        vs_error(a, 400, -1111, "Parameter '%s' has too much precision.", k);
        return -1;
    }
    if (e != FB_OK) {
        vs_error(a, 400, -1108, "Parameter '%s' overflowed.", k);
        return -1;
    }
    return 0;
}

static int get_id(struct vs_params *p, const char *k, const char **out, struct vs_answer *a)
{
    *out = fb_vsim_param(p, k);
    if (*out && !id_syntax(*out)) {
        vs_error(a, 400, -1100,
                 "Illegal characters found in parameter '%s'; legal range is '" ID_RE "'.", k);
        return -1;
    }
    return 0;
}

/* A whole-number parameter (orderId, fromId, limit) as Binance checks it:
 * digits only (-1100), then lo..hi (-1130). 0 and *out (*out = dflt if
 * absent), or -1 with the error in a. strtoll alone read "12x" as 12 and
 * "x" as 0, which the real venue refuses. */
static int get_num(struct vs_params *p, const char *k, long long lo, long long hi, long long dflt,
                   long long *out, struct vs_answer *a)
{
    const char *v = fb_vsim_param(p, k);
    *out = dflt;
    if (!v)
        return 0;
    size_t n = strlen(v);
    if (n < 1 || n > 20 || strspn(v, "0123456789") != n) {
        vs_error(a, 400, -1100,
                 "Illegal characters found in parameter '%s'; legal range is '" NUM_RE "'.", k);
        return -1;
    }
    errno = 0;
    long long x = strtoll(v, NULL, 10);
    if (errno == ERANGE || x < lo || x > hi) {
        vs_error(a, 400, -1130, "Data sent for parameter '%s' is not valid.", k);
        return -1;
    }
    *out = x;
    return 0;
}

static int market_of(struct fb_vsim *vs, struct vs_params *p, bool required,
                     struct vs_answer *a)
{
    const char *s = fb_vsim_param(p, "symbol");
    int m;
    if (!s) {
        if (required)
            vs_error(a, 400, -1102,
                     "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
        return required ? -1 : -2;
    }
    m = fb_sim_book_market_index(&vs->book, s);
    if (m < 0)
        vs_error(a, 400, -1121, "Invalid symbol.");
    return m;
}

/* ---- orders ---- */

static const struct fb_sim_order *book_of(const struct fb_vsim *vs, size_t i)
{
    return fb_sim_book_order(&vs->book, vs->orders[i].book);
}

static bool is_open(const struct fb_vsim *vs, size_t i)
{
    enum fb_venue_order_state s = book_of(vs, i)->state;
    return s == FB_VOS_NEW || s == FB_VOS_PARTIALLY_FILLED;
}

static const char *status_of(const struct fb_vsim *vs, size_t i)
{
    switch (book_of(vs, i)->state) {
    case FB_VOS_NEW:
        return "NEW";
    case FB_VOS_PARTIALLY_FILLED:
        return "PARTIALLY_FILLED";
    case FB_VOS_FILLED:
        return "FILLED";
    case FB_VOS_CANCELED:
        return vs->orders[i].expired ? "EXPIRED" : "CANCELED";
    case FB_VOS_EXPIRED:
        return "EXPIRED";
    case FB_VOS_REJECTED:
        return "REJECTED";
    case FB_VOS_UNKNOWN:
        break;
    }
    return "NEW";
}

enum oj { OJ_NEW, OJ_QUERY, OJ_CANCEL };

static json_t *order_json(const struct fb_vsim *vs, size_t i, enum oj kind, int64_t now_ms,
                          size_t fills_from)
{
    const struct vs_order *v = &vs->orders[i];
    const struct fb_sim_order *o = book_of(vs, i);
    json_t *j = json_object();
    json_object_set_new(j, "symbol", json_string(o->req.symbol));
    json_object_set_new(j, "orderId", json_integer(v->order_id));
    json_object_set_new(j, "orderListId", json_integer(-1));
    json_object_set_new(j, "clientOrderId", json_string(v->coid));
    if (kind != OJ_QUERY)
        json_object_set_new(j, "transactTime", json_integer(now_ms));
    json_object_set_new(j, "price", fb_vsim_jdec(o->req.price));
    json_object_set_new(j, "origQty", fb_vsim_jdec(o->qty));
    json_object_set_new(j, "executedQty", fb_vsim_jdec(o->cum_qty));
    json_object_set_new(j, "origQuoteOrderQty", fb_vsim_jdec(v->quote_qty));
    json_object_set_new(j, "cummulativeQuoteQty", fb_vsim_jdec(o->notional));
    json_object_set_new(j, "status", json_string(status_of(vs, i)));
    json_object_set_new(j, "timeInForce", json_string(v->tif));
    json_object_set_new(j, "type", json_string(v->type));
    json_object_set_new(j, "side", json_string(o->req.side == FB_VENUE_BUY ? "BUY" : "SELL"));
    if (kind == OJ_QUERY || fb_dec_sign(v->stop) > 0)
        json_object_set_new(j, "stopPrice", fb_vsim_jdec(v->stop));
    if (kind == OJ_QUERY || fb_dec_sign(v->iceberg) > 0)
        json_object_set_new(j, "icebergQty", fb_vsim_jdec(v->iceberg));
    if (kind == OJ_QUERY) {
        json_object_set_new(j, "time", json_integer(v->time_ms));
        json_object_set_new(j, "updateTime", json_integer(v->update_ms));
        json_object_set_new(j, "isWorking", json_boolean(o->triggered));
    }
    json_object_set_new(j, "workingTime", json_integer(o->triggered ? v->time_ms : -1));
    json_object_set_new(j, "selfTradePreventionMode", json_string("NONE"));
    if (kind == OJ_NEW) {
        json_t *fills = json_array();
        for (size_t t = fills_from; t < vs->n_trades; t++) {
            const struct vs_trade *x = &vs->trades[t];
            if (x->order != i)
                continue;
            json_t *f = json_object();
            json_object_set_new(f, "price", fb_vsim_jdec(x->price));
            json_object_set_new(f, "qty", fb_vsim_jdec(x->qty));
            json_object_set_new(f, "commission", fb_vsim_jdec(x->fee));
            json_object_set_new(f, "commissionAsset", json_string(x->asset));
            json_object_set_new(f, "tradeId", json_integer(x->id));
            json_array_append_new(fills, f);
        }
        json_object_set_new(j, "fills", fills);
    }
    return j;
}

/* A new order's parameters, checked (REFERENCE.md A.8.6, A.8.3). */
struct newreq {
    struct fb_venue_order o;
    char coid[FB_VENUE_CLORDID_MAX + 1];
    char type[24], tif[8], resp[8];
    size_t market;
};

static int not_required(struct vs_answer *a, const char *k)
{
    vs_error(a, 400, -1106, "Parameter '%s' sent when not required.", k);
    return -1;
}

static int mandatory(struct vs_answer *a, const char *k)
{
    vs_error(a, 400, -1102, "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
             k);
    return -1;
}

static int filter(struct vs_answer *a, const char *name)
{
    vs_error(a, 400, -1013, "Filter failure: %s", name);
    return -1;
}

static bool price_ok(const struct fb_sim_market_params *m, struct fb_dec px)
{
    return fb_dec_cmp(px, m->tick_size) >= 0 && fb_dec_is_multiple(px, m->tick_size);
}

static bool lot_ok(const struct fb_sim_market_params *m, struct fb_dec q)
{
    struct fb_dec min = fb_dec_sign(m->min_qty) > 0 ? m->min_qty : m->step_size;
    return fb_dec_cmp(q, min) >= 0 &&
           (fb_dec_sign(m->max_qty) == 0 || fb_dec_cmp(q, m->max_qty) <= 0) &&
           fb_dec_is_multiple(q, m->step_size);
}

static int parse_new(struct fb_vsim *vs, struct vs_params *p, struct newreq *n,
                     struct vs_answer *a)
{
    const char *side, *type, *tif, *resp, *id;
    struct fb_dec qty, quote, price, stop, ice, notional, basis;
    int m;
    bool want_tif = false, want_price = false, want_stop = false, is_market = false;
    const struct fb_sim_market_params *mp;

    memset(n, 0, sizeof *n);
    if ((m = market_of(vs, p, true, a)) < 0)
        return -1;
    n->market = (size_t)m;
    mp = &vs->p.markets[m];
    if (!(side = fb_vsim_param(p, "side")))
        return mandatory(a, "side");
    if (strcmp(side, "BUY") != 0 && strcmp(side, "SELL") != 0) {
        vs_error(a, 400, -1117, "Invalid side.");
        return -1;
    }
    if (!(type = fb_vsim_param(p, "type")))
        return mandatory(a, "type");
    tif = fb_vsim_param(p, "timeInForce");
    if (tif && strcmp(tif, "GTC") != 0 && strcmp(tif, "IOC") != 0 && strcmp(tif, "FOK") != 0) {
        vs_error(a, 400, -1115, "Invalid timeInForce.");
        return -1;
    }
    if (get_dec(p, "quantity", &qty, a) || get_dec(p, "quoteOrderQty", &quote, a) ||
        get_dec(p, "price", &price, a) || get_dec(p, "stopPrice", &stop, a) ||
        get_dec(p, "icebergQty", &ice, a) || get_id(p, "newClientOrderId", &id, a))
        return -1;
    resp = fb_vsim_param(p, "newOrderRespType");
    if (resp && strcmp(resp, "ACK") != 0 && strcmp(resp, "RESULT") != 0 &&
        strcmp(resp, "FULL") != 0) {
        vs_error(a, 400, -1100, "Illegal characters found in parameter 'newOrderRespType'.");
        return -1;
    }
    if (strcmp(type, "LIMIT") == 0) {
        want_tif = want_price = true;
        n->o.type = FB_VENUE_LIMIT;
    } else if (strcmp(type, "MARKET") == 0) {
        is_market = true;
        n->o.type = FB_VENUE_MARKET;
    } else if (strcmp(type, "STOP_LOSS") == 0) {
        want_stop = true;
        n->o.type = FB_VENUE_STOP;
    } else if (strcmp(type, "STOP_LOSS_LIMIT") == 0) {
        want_tif = want_price = want_stop = true;
        n->o.type = FB_VENUE_STOP_LIMIT;
    } else if (strcmp(type, "LIMIT_MAKER") == 0) {
        want_price = true;
        n->o.type = FB_VENUE_LIMIT;
        n->o.post_only = true;
    } else if (strcmp(type, "TAKE_PROFIT") == 0) {
        /* Same parameters as STOP_LOSS; the book triggers it on the other
         * side and refuses one already reached (-2010 "Order would trigger
         * immediately.", A.8.6). */
        want_stop = true;
        n->o.type = FB_VENUE_TAKE_PROFIT;
    } else if (strcmp(type, "TAKE_PROFIT_LIMIT") == 0) {
        want_tif = want_price = want_stop = true;
        n->o.type = FB_VENUE_TAKE_PROFIT_LIMIT;
    } else {
        vs_error(a, 400, -1116, "Invalid orderType.");
        return -1;
    }
    if (want_tif && !tif)
        return mandatory(a, "timeInForce");
    if (!want_tif && tif)
        return not_required(a, "timeInForce");
    if (want_price && fb_dec_sign(price) == 0)
        return mandatory(a, "price");
    if (!want_price && fb_dec_sign(price) != 0)
        return not_required(a, "price");
    if (want_stop && fb_dec_sign(stop) == 0)
        return mandatory(a, "stopPrice");
    if (!want_stop && fb_dec_sign(stop) != 0)
        return not_required(a, "stopPrice");
    if (is_market) {
        if (fb_dec_sign(qty) == 0 && fb_dec_sign(quote) == 0) {
            vs_error(a, 400, -1102,
                     "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
            return -1;
        }
        if (fb_dec_sign(qty) != 0 && fb_dec_sign(quote) != 0)
            return not_required(a, "quoteOrderQty");
    } else {
        if (fb_dec_sign(qty) == 0)
            return mandatory(a, "quantity");
        if (fb_dec_sign(quote) != 0)
            return not_required(a, "quoteOrderQty");
    }
    if (fb_dec_sign(ice) != 0) {
        if (!want_price)
            return not_required(a, "icebergQty");
        if (tif && strcmp(tif, "GTC") != 0) {
            vs_error(a, 400, -1014, "Unsupported order combination.");
            return -1;
        }
    }
    /* Filters, in REFERENCE.md's suggested order. */
    if ((want_price && !price_ok(mp, price)) || (want_stop && !price_ok(mp, stop)))
        return filter(a, "PRICE_FILTER");
    if ((fb_dec_sign(qty) && !lot_ok(mp, qty)) || (fb_dec_sign(ice) && !lot_ok(mp, ice)))
        return filter(a, "LOT_SIZE");
    if (fb_dec_sign(ice)) {
        struct fb_dec parts;
        if (fb_dec_cmp(ice, qty) >= 0) {
            vs_error(a, 400, -2010, "IcebergQty exceeds QTY.");
            return -1;
        }
        if (fb_dec_div(qty, ice, 0, FB_ROUND_CEIL, &parts) != FB_OK ||
            fb_dec_cmp(parts, fb_dec_from_int(100)) > 0)
            return filter(a, "ICEBERG_PARTS");
    }
    if (fb_dec_sign(mp->min_notional) > 0) {
        basis = want_price ? price : want_stop ? stop : vs->book.markets[m].ref;
        if (fb_dec_sign(quote) > 0)
            notional = quote;
        else if (fb_dec_mul(qty, basis, FB_ROUND_DOWN, &notional) != FB_OK)
            return filter(a, "NOTIONAL");
        if (fb_dec_cmp(notional, mp->min_notional) < 0)
            return filter(a, "NOTIONAL");
    }
    fb_vsim_copy_str(n->o.symbol, sizeof n->o.symbol, mp->symbol);
    n->o.side = strcmp(side, "BUY") == 0 ? FB_VENUE_BUY : FB_VENUE_SELL;
    n->o.tif = !tif                       ? (is_market ? FB_VENUE_IOC : FB_VENUE_GTC)
               : strcmp(tif, "IOC") == 0 ? FB_VENUE_IOC
               : strcmp(tif, "FOK") == 0 ? FB_VENUE_FOK
                                         : FB_VENUE_GTC;
    n->o.qty = qty;
    n->o.quote_qty = quote;
    n->o.price = price;
    n->o.stop_price = stop;
    n->o.display_qty = ice;
    fb_vsim_copy_str(n->type, sizeof n->type, type);
    fb_vsim_copy_str(n->tif, sizeof n->tif, tif ? tif : "GTC");
    fb_vsim_copy_str(n->resp, sizeof n->resp,
             resp ? resp : (is_market || n->o.type == FB_VENUE_LIMIT) ? "FULL" : "ACK");
    if (id)
        fb_vsim_copy_str(n->coid, sizeof n->coid, id);
    else
        snprintf(n->coid, sizeof n->coid, "vsim%zu", vs->n_orders + 1);
    return 0;
}

static void reject_of(struct fb_vsim *vs, struct vs_answer *a)
{
    int code = vs->rej.reason == FB_VRR_FILTER           ? -1013
               : vs->rej.reason == FB_VRR_UNKNOWN_SYMBOL ? -1121
               : vs->rej.reason == FB_VRR_UNSUPPORTED    ? -1014
                                                         : -2010;
    vs_error(a, 400, code, "%s", vs->rej.text);
}

/* Places n; on success *idx, else the error in a. */
static int place(struct fb_vsim *vs, struct newreq *n, int64_t now_ns, struct vs_answer *a,
                 size_t *idx)
{
    struct vs_order *v;
    size_t before = vs->book.n_orders, i = vs->n_orders;
    struct vs_count *cnt;
    enum fb_err e;

    for (size_t k = 0; k < vs->n_orders; k++)
        if (strcmp(vs->orders[k].coid, n->coid) == 0 && is_open(vs, k)) {
            vs_error(a, 400, -2010, "Duplicate order sent.");
            return -1;
        }
    if (vs->n_orders == vs->cap_orders) {
        size_t cap = vs->cap_orders ? vs->cap_orders * 2 : 64;
        void *p = realloc(vs->orders, cap * sizeof *vs->orders);
        if (!p) {
            vs_error(a, 503, -1008, "Server is currently overloaded with other requests.");
            return -1;
        }
        vs->orders = p;
        vs->cap_orders = cap;
    }
    v = &vs->orders[i];
    memset(v, 0, sizeof *v);
    fb_vsim_copy_str(v->coid, sizeof v->coid, n->coid);
    fb_vsim_copy_str(v->type, sizeof v->type, n->type);
    fb_vsim_copy_str(v->tif, sizeof v->tif, n->tif);
    v->quote_qty = n->o.quote_qty;
    v->iceberg = n->o.display_qty;
    v->stop = n->o.stop_price;
    v->time_ms = v->update_ms = now_ns / NS_PER_MS;
    v->order_id = (int64_t)(1000 + i);
    v->book = (uint32_t)before;
    snprintf(n->o.client_order_id, sizeof n->o.client_order_id, "v%zu", i);
    vs->n_orders++; /* events during submit find it */
    vs->got_rej = false;
    e = fb_sim_book_submit(&vs->book, &n->o, now_ns);
    if (e != FB_OK || vs->book.n_orders == before) {
        vs->n_orders--;
        if (e != FB_OK)
            vs_error(a, 500, -1000, "An unknown error occurred while processing the request.");
        else
            reject_of(vs, a);
        return -1;
    }
    if ((cnt = fb_vsim_count(&vs->counts, n->coid)))
        cnt->orders++;
    *idx = i;
    return 0;
}

static json_t *new_answer(struct fb_vsim *vs, const struct newreq *n, size_t i, int64_t now_ms,
                          size_t fills_from)
{
    if (strcmp(n->resp, "ACK") == 0)
        return json_pack("{s:s,s:I,s:i,s:s,s:I}", "symbol", n->o.symbol, "orderId",
                         (json_int_t)vs->orders[i].order_id, "orderListId", -1, "clientOrderId",
                         vs->orders[i].coid, "transactTime", (json_int_t)now_ms);
    json_t *j = order_json(vs, i, OJ_NEW, now_ms, fills_from);
    if (strcmp(n->resp, "RESULT") == 0)
        json_object_del(j, "fills");
    return j;
}

void vs_count_post(struct fb_vsim *vs, struct vs_params *p)
{
    const char *id = fb_vsim_param(p, "newClientOrderId");
    struct vs_count *cnt;
    if (id && id_syntax(id) && (cnt = fb_vsim_count(&vs->counts, id)))
        cnt->posts++;
}

void vs_new_order(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns,
                  bool *placed)
{
    struct newreq n;
    size_t i, from = vs->n_trades;
    *placed = false;
    if (parse_new(vs, p, &n, a) || place(vs, &n, now_ns, a, &i))
        return;
    *placed = true;
    a->order_count = true;
    answer(a, 200, new_answer(vs, &n, i, now_ns / NS_PER_MS, from));
}

/* The order named by prefix+"OrigClientOrderId" / prefix+"OrderId" (the
 * newest with that client id); -1 and a's error if none. */
static long find(struct fb_vsim *vs, struct vs_params *p, int market, const char *coid_key,
                 const char *oid_key, int code, const char *text, struct vs_answer *a)
{
    const char *coid = fb_vsim_param(p, coid_key), *oid = fb_vsim_param(p, oid_key);
    long found = -1;
    long long oid_n;
    if (get_num(p, oid_key, 0, INT64_MAX, -1, &oid_n, a))
        return -1;
    if (!coid && !oid) {
        vs_error(a, 400, -1102, "Param '%s' or '%s' must be sent, but both were empty/null!",
                 coid_key, oid_key);
        return -1;
    }
    for (size_t i = vs->n_orders; i-- > 0;) {
        if (oid && vs->orders[i].order_id != oid_n)
            continue;
        if (!oid && strcmp(vs->orders[i].coid, coid) != 0)
            continue;
        found = (long)i;
        break;
    }
    if (found >= 0 && oid && coid && strcmp(vs->orders[found].coid, coid) != 0) {
        vs_error(a, 400, -2039, "Client order ID is not correct for this order ID.");
        return -1;
    }
    if (found < 0 || strcmp(book_of(vs, (size_t)found)->req.symbol,
                            vs->p.markets[market].symbol) != 0) {
        vs_error(a, 400, code, "%s", text);
        return -1;
    }
    return found;
}

/* Cancels open order i; json of the canceled order, or NULL and a's error. */
static json_t *do_cancel(struct fb_vsim *vs, size_t i, const char *cxl_id, int64_t now_ns,
                         struct vs_answer *a)
{
    struct fb_venue_cancel c;
    char gen[FB_VENUE_CLORDID_MAX + 1];
    json_t *j;
    if (!is_open(vs, i)) {
        vs_error(a, 400, -2011, "Unknown order sent.");
        return NULL;
    }
    memset(&c, 0, sizeof c);
    fb_vsim_copy_str(c.client_order_id, sizeof c.client_order_id,
                     book_of(vs, i)->req.client_order_id);
    snprintf(c.request_id, sizeof c.request_id, "x%zu", i);
    vs->got_rej = false;
    if (fb_sim_book_cancel(&vs->book, &c, now_ns) != FB_OK || vs->got_rej) {
        vs_error(a, 400, -2011, "Unknown order sent.");
        return NULL;
    }
    if (!cxl_id) {
        snprintf(gen, sizeof gen, "vsimcxl%zu", i);
        cxl_id = gen;
    }
    j = order_json(vs, i, OJ_CANCEL, now_ns / NS_PER_MS, 0);
    json_object_set_new(j, "origClientOrderId", json_string(vs->orders[i].coid));
    json_object_set_new(j, "clientOrderId", json_string(cxl_id));
    return j;
}

void vs_cancel(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns)
{
    const char *cxl_id;
    int m = market_of(vs, p, true, a);
    long i;
    json_t *j;
    if (m < 0 || get_id(p, "newClientOrderId", &cxl_id, a))
        return;
    i = find(vs, p, m, "origClientOrderId", "orderId", -2011, "Unknown order sent.", a);
    if (i < 0)
        return;
    if ((j = do_cancel(vs, (size_t)i, cxl_id, now_ns, a)))
        answer(a, 200, j);
}

static json_t *err_json(const struct vs_answer *e)
{
    json_t *j = e->body ? json_loads(e->body, 0, NULL) : NULL;
    return j ? j : json_pack("{s:i,s:s}", "code", -1000, "msg", "unknown");
}

void vs_cancel_replace(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a,
                       int64_t now_ns, bool *placed)
{
    const char *mode = fb_vsim_param(p, "cancelReplaceMode"), *cxl_id;
    struct vs_answer ce = {0}, ne = {0};
    json_t *cancel_j = NULL, *new_j = NULL, *data;
    struct newreq n;
    size_t i, from = vs->n_trades;
    long target;
    bool allow;

    *placed = false;
    if (!mode) {
        mandatory(a, "cancelReplaceMode");
        return;
    }
    if (strcmp(mode, "STOP_ON_FAILURE") != 0 && strcmp(mode, "ALLOW_FAILURE") != 0) {
        vs_error(a, 400, -1100, "Illegal characters found in parameter 'cancelReplaceMode'.");
        return;
    }
    allow = strcmp(mode, "ALLOW_FAILURE") == 0;
    /* Parameters and filters are checked before either step. */
    if (parse_new(vs, p, &n, a) || get_id(p, "cancelNewClientOrderId", &cxl_id, a))
        return;
    target = find(vs, p, (int)n.market, "cancelOrigClientOrderId", "cancelOrderId", -2011,
                  "Unknown order sent.", &ce);
    if (target >= 0)
        cancel_j = do_cancel(vs, (size_t)target, cxl_id, now_ns, &ce);
    a->order_count = true;
    if (cancel_j || allow) {
        if (place(vs, &n, now_ns, &ne, &i) == 0) {
            *placed = true;
            new_j = new_answer(vs, &n, i, now_ns / NS_PER_MS, from);
        }
    }
    if (cancel_j && new_j) {
        answer(a, 200,
               json_pack("{s:s,s:s,s:o,s:o}", "cancelResult", "SUCCESS", "newOrderResult",
                         "SUCCESS", "cancelResponse", cancel_j, "newOrderResponse", new_j));
    } else {
        bool partial = cancel_j || new_j;
        data = json_pack("{s:s,s:s,s:o,s:o}", "cancelResult", cancel_j ? "SUCCESS" : "FAILURE",
                         "newOrderResult",
                         new_j         ? "SUCCESS"
                         : (cancel_j || allow) ? "FAILURE"
                                               : "NOT_ATTEMPTED",
                         "cancelResponse", cancel_j ? cancel_j : err_json(&ce),
                         "newOrderResponse",
                         new_j ? new_j : (cancel_j || allow) ? err_json(&ne) : json_null());
        answer(a, partial ? 409 : 400,
               json_pack("{s:i,s:s,s:o}", "code", partial ? -2021 : -2022, "msg",
                         partial ? "Order cancel-replace partially failed."
                                 : "Order cancel-replace failed.",
                         "data", data));
    }
    free(ce.body);
    free(ne.body);
}

void vs_query(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a)
{
    int m = market_of(vs, p, true, a);
    long i;
    if (m < 0)
        return;
    i = find(vs, p, m, "origClientOrderId", "orderId", -2013, "Order does not exist.", a);
    if (i >= 0)
        answer(a, 200, order_json(vs, (size_t)i, OJ_QUERY, 0, 0));
}

void vs_open_orders(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a)
{
    int m = market_of(vs, p, false, a);
    json_t *arr;
    if (m == -1)
        return;
    arr = json_array();
    for (size_t i = 0; i < vs->n_orders; i++)
        if (is_open(vs, i) && (m < 0 || strcmp(book_of(vs, i)->req.symbol,
                                               vs->p.markets[m].symbol) == 0))
            json_array_append_new(arr, order_json(vs, i, OJ_QUERY, 0, 0));
    answer(a, 200, arr);
}

void vs_my_trades(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns)
{
    int m = market_of(vs, p, true, a);
    long long oid, from, limit;
    json_t *arr;
    if (m < 0)
        return;
    /* A.8.14: limit default 500, at most 1000; fromId: trades with id >= */
    if (get_num(p, "orderId", 0, INT64_MAX, -1, &oid, a) ||
        get_num(p, "fromId", 0, INT64_MAX, -1, &from, a) ||
        get_num(p, "limit", 1, 1000, 500, &limit, a))
        return;
    arr = json_array();
    for (size_t t = 0; t < vs->n_trades && (long long)json_array_size(arr) < limit; t++) {
        const struct vs_trade *x = &vs->trades[t];
        const struct vs_order *v = &vs->orders[x->order];
        const struct fb_sim_order *o = book_of(vs, x->order);
        struct fb_dec qq;
        if (strcmp(o->req.symbol, vs->p.markets[m].symbol) != 0)
            continue;
        if (oid >= 0 && v->order_id != oid)
            continue;
        if (from >= 0 && x->id < from)
            continue;
        if (now_ns / NS_PER_MS < x->time_ms + (int64_t)v->hide_trades_ms)
            continue;
        if (fb_dec_mul(x->price, x->qty, FB_ROUND_HALF_EVEN, &qq) != FB_OK)
            qq = fb_dec_zero();
        json_t *j = json_object();
        json_object_set_new(j, "symbol", json_string(o->req.symbol));
        json_object_set_new(j, "id", json_integer(x->id));
        json_object_set_new(j, "orderId", json_integer(v->order_id));
        json_object_set_new(j, "orderListId", json_integer(-1));
        json_object_set_new(j, "price", fb_vsim_jdec(x->price));
        json_object_set_new(j, "qty", fb_vsim_jdec(x->qty));
        json_object_set_new(j, "quoteQty", fb_vsim_jdec(qq));
        json_object_set_new(j, "commission", fb_vsim_jdec(x->fee));
        json_object_set_new(j, "commissionAsset", json_string(x->asset));
        json_object_set_new(j, "time", json_integer(x->time_ms));
        json_object_set_new(j, "isBuyer", json_boolean(o->req.side == FB_VENUE_BUY));
        json_object_set_new(j, "isMaker", json_boolean(x->maker));
        json_object_set_new(j, "isBestMatch", json_true());
        json_array_append_new(arr, j);
    }
    answer(a, 200, arr);
}

void vs_time(struct fb_vsim *vs, struct vs_answer *a, int64_t now_ns)
{
    (void)vs;
    answer(a, 200, json_pack("{s:I}", "serverTime", (json_int_t)(now_ns / NS_PER_MS)));
}

static json_t *symbol_json(const struct fb_sim_market_params *m)
{
    json_t *f = json_array();
    json_t *s;
    json_array_append_new(f, json_pack("{s:s,s:o,s:s,s:o}", "filterType", "PRICE_FILTER",
                                       "minPrice", fb_vsim_jdec(m->tick_size), "maxPrice", "0",
                                       "tickSize", fb_vsim_jdec(m->tick_size)));
    json_array_append_new(
        f, json_pack("{s:s,s:o,s:o,s:o}", "filterType", "LOT_SIZE", "minQty",
                     fb_vsim_jdec(fb_dec_sign(m->min_qty) ? m->min_qty : m->step_size), "maxQty",
                     fb_dec_sign(m->max_qty) ? fb_vsim_jdec(m->max_qty) : json_string(BIG),
                     "stepSize", fb_vsim_jdec(m->step_size)));
    json_array_append_new(f, json_pack("{s:s,s:i}", "filterType", "ICEBERG_PARTS", "limit", 100));
    if (fb_dec_sign(m->min_notional))
        json_array_append_new(
            f, json_pack("{s:s,s:o,s:b,s:s,s:b,s:i}", "filterType", "NOTIONAL", "minNotional",
                         fb_vsim_jdec(m->min_notional), "applyMinToMarket", 1, "maxNotional", BIG,
                         "applyMaxToMarket", 0, "avgPriceMins", 5));
    s = json_pack("{s:s,s:s,s:s,s:i,s:s,s:i,s:i}", "symbol", m->symbol, "status", "TRADING",
                  "baseAsset", m->base, "baseAssetPrecision", 8, "quoteAsset", m->quote,
                  "quotePrecision", 8, "quoteAssetPrecision", 8);
    json_object_set_new(s, "orderTypes",
                        json_pack("[s,s,s,s,s,s,s]", "LIMIT", "LIMIT_MAKER", "MARKET",
                                  "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                                  "TAKE_PROFIT_LIMIT"));
    json_object_set_new(s, "icebergAllowed", json_true());
    json_object_set_new(s, "quoteOrderQtyMarketAllowed", json_true());
    json_object_set_new(s, "cancelReplaceAllowed", json_true());
    json_object_set_new(s, "amendAllowed", json_false());
    json_object_set_new(s, "isSpotTradingAllowed", json_true());
    json_object_set_new(s, "filters", f);
    json_object_set_new(s, "permissions", json_array());
    json_object_set_new(s, "permissionSets", json_pack("[[s]]", "SPOT"));
    json_object_set_new(s, "defaultSelfTradePreventionMode", json_string("NONE"));
    json_object_set_new(s, "allowedSelfTradePreventionModes", json_pack("[s]", "NONE"));
    return s;
}

void vs_exchange_info(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a,
                      int64_t now_ns)
{
    const char *one = fb_vsim_param(p, "symbol"), *many = fb_vsim_param(p, "symbols");
    json_t *want = NULL, *syms = json_array(), *j;
    if (one && many) {
        json_decref(syms);
        vs_error(a, 400, -1128, "Combination of optional parameters invalid.");
        return;
    }
    if (one)
        want = json_pack("[s]", one);
    else if (many && !(want = json_loads(many, 0, NULL))) {
        json_decref(syms);
        vs_error(a, 400, -1100, "Illegal characters found in parameter 'symbols'.");
        return;
    }
    for (size_t i = 0; want && i < json_array_size(want); i++) {
        const char *s = json_string_value(json_array_get(want, i));
        int m = s ? fb_sim_book_market_index(&vs->book, s) : -1;
        if (m < 0) {
            json_decref(want);
            json_decref(syms);
            vs_error(a, 400, -1121, "Invalid symbol.");
            return;
        }
        json_array_append_new(syms, symbol_json(&vs->p.markets[m]));
    }
    for (size_t m = 0; !want && m < vs->p.n_markets; m++)
        json_array_append_new(syms, symbol_json(&vs->p.markets[m]));
    json_decref(want);
    j = json_pack("{s:s,s:I}", "timezone", "UTC", "serverTime",
                  (json_int_t)(now_ns / NS_PER_MS));
    json_object_set_new(
        j, "rateLimits",
        json_pack("[{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i}]", "rateLimitType",
                  "REQUEST_WEIGHT", "interval", "MINUTE", "intervalNum", 1, "limit", 6000,
                  "rateLimitType", "ORDERS", "interval", "SECOND", "intervalNum", 10, "limit",
                  100, "rateLimitType", "ORDERS", "interval", "DAY", "intervalNum", 1, "limit",
                  200000));
    json_object_set_new(j, "exchangeFilters", json_array());
    json_object_set_new(j, "symbols", syms);
    answer(a, 200, j);
}

static json_t *ticker_json(const struct fb_vsim *vs, size_t m)
{
    const struct fb_sim_book_market *bm = &vs->book.markets[m];
    /* Liquidity at the touch is unlimited: show the market's max qty. */
    struct fb_dec depth = vs->p.markets[m].max_qty;
    if (fb_dec_sign(depth) <= 0)
        depth = fb_dec_from_int(1000000);
    return json_pack("{s:s,s:o,s:o,s:o,s:o}", "symbol", bm->rules.symbol, "bidPrice",
                     fb_vsim_jdec(bm->bid), "bidQty", fb_vsim_jdec(depth), "askPrice",
                     fb_vsim_jdec(bm->ask), "askQty", fb_vsim_jdec(depth));
}

void vs_book_ticker(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a)
{
    const char *one = fb_vsim_param(p, "symbol"), *many = fb_vsim_param(p, "symbols");
    json_t *want = NULL, *arr;
    if (one && many) {
        vs_error(a, 400, -1128, "Combination of optional parameters invalid.");
        return;
    }
    if (one) {
        int m = fb_sim_book_market_index(&vs->book, one);
        if (m < 0) {
            vs_error(a, 400, -1121, "Invalid symbol.");
            return;
        }
        answer(a, 200, ticker_json(vs, (size_t)m));
        return;
    }
    if (many && (!(want = json_loads(many, 0, NULL)) || !json_is_array(want) ||
                 json_array_size(want) == 0)) {
        json_decref(want);
        vs_error(a, 400, -1100, "Illegal characters found in parameter 'symbols'.");
        return;
    }
    arr = json_array();
    for (size_t i = 0; want && i < json_array_size(want); i++) {
        const char *s = json_string_value(json_array_get(want, i));
        int m = s ? fb_sim_book_market_index(&vs->book, s) : -1;
        if (m < 0) {
            json_decref(want);
            json_decref(arr);
            vs_error(a, 400, -1121, "Invalid symbol.");
            return;
        }
        json_array_append_new(arr, ticker_json(vs, (size_t)m));
    }
    for (size_t m = 0; !want && m < vs->book.n_markets; m++)
        json_array_append_new(arr, ticker_json(vs, m));
    json_decref(want);
    answer(a, 200, arr);
}

void vs_set_price(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns)
{
    struct fb_dec px;
    int m = market_of(vs, p, true, a);
    if (m < 0 || get_dec(p, "price", &px, a))
        return;
    if (!price_ok(&vs->p.markets[m], px)) {
        vs_error(a, 400, -1013, "Filter failure: PRICE_FILTER");
        return;
    }
    if (fb_vsim_move_price(&vs->book, &vs->p, (size_t)m, px, now_ns) != FB_OK) {
        vs_error(a, 500, -1000, "price move failed");
        return;
    }
    answer(a, 200, fb_vsim_price_json(&vs->book, (size_t)m, vs->p.markets[m].symbol));
}

void vs_report(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a)
{
    const char *coid = fb_vsim_param(p, "clientOrderId");
    json_t *orders = json_array(), *counts = json_array();
    for (size_t i = 0; i < vs->n_orders; i++) {
        const struct fb_sim_order *o = book_of(vs, i);
        size_t nt = 0;
        if (coid && strcmp(coid, vs->orders[i].coid) != 0)
            continue;
        for (size_t t = 0; t < vs->n_trades; t++)
            nt += vs->trades[t].order == i;
        json_array_append_new(orders,
                              json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:i}", "clientOrderId",
                                        vs->orders[i].coid, "orderId",
                                        (json_int_t)vs->orders[i].order_id, "symbol", o->req.symbol,
                                        "side", o->req.side == FB_VENUE_BUY ? "BUY" : "SELL",
                                        "type", vs->orders[i].type, "status", status_of(vs, i),
                                        "origQty", fb_vsim_jdec(o->qty), "executedQty",
                                        fb_vsim_jdec(o->cum_qty), "trades", (int)nt));
    }
    json_decref(counts);
    counts = fb_vsim_counts_json(&vs->counts, coid);
    answer(a, 200,
           json_pack("{s:o,s:o,s:i}", "orders", orders, "counts", counts, "trades",
                     (int)vs->n_trades));
}
