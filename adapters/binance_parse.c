/* Binance answer classification and response parsers (see binance_proto.h). Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/binance_proto.h"

json_t *fb_bn_json_load(const char *s, size_t n)
{
    json_error_t e;
    json_t *j;
    if (!s || n == 0)
        return NULL;
    /* Duplicate keys would make "which value did we act on" ambiguous. */
    j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
    if (j && !json_is_object(j) && !json_is_array(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Binance codes whose outcome is unknown (A.10.1, A.11). */
static int unknown_code(int64_t c)
{
    return c == -1000 || c == -1001 || c == -1006 || c == -1007 || c == -1008;
}

static enum fb_venue_reject_reason reason_of(int64_t code, const char *msg)
{
    if (code == -1013)
        return FB_VRR_FILTER;
    if (code == -1121)
        return FB_VRR_UNKNOWN_SYMBOL;
    if (code == -1014 || code == -1020)
        return FB_VRR_UNSUPPORTED;
    if (code == -1003 || code == -1015)
        return FB_VRR_RATE_LIMIT;
    if (code == -2013 || code == -2026)
        return FB_VRR_UNKNOWN_ORDER;
    if (code == -2010 || code == -2011 || code == -1010 || code == -2038) {
        /* Messages are matched only inside these codes (A.10). */
        if (strstr(msg, "Duplicate order sent"))
            return FB_VRR_DUPLICATE_ID;
        if (strstr(msg, "would immediately match and take"))
            return FB_VRR_POST_ONLY;
        if (strstr(msg, "would trigger immediately"))
            return FB_VRR_WOULD_TRIGGER;
        if (strstr(msg, "insufficient balance"))
            return FB_VRR_FUNDS;
        if (strstr(msg, "Unknown order sent"))
            return FB_VRR_UNKNOWN_ORDER;
        if (strstr(msg, "not supported") || strstr(msg, "Unsupported order combination"))
            return FB_VRR_UNSUPPORTED;
    }
    return FB_VRR_OTHER;
}

static int64_t retry_after_ms(const struct fb_http_response *r)
{
    const char *v;
    size_t n;
    int64_t s = 0;
    if (!fb_http_header(r, "Retry-After", &v, &n) || n == 0 || n > 9)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0; /* an HTTP date: use the default back-off */
        s = s * 10 + (v[i] - '0');
    }
    return s * 1000;
}

enum fb_bn_class fb_bn_classify(const struct fb_http_response *r, int writes,
                                struct fb_bn_answer *a, json_t **body)
{
    json_t *j = NULL;
    const enum fb_bn_class lost = writes ? FB_BN_UNKNOWN : FB_BN_RETRY;

    memset(a, 0, sizeof *a);
    a->reason = FB_VRR_OTHER;
    if (body)
        *body = NULL;
    switch (r->outcome) {
    case FB_HTTP_NOT_SENT:
        a->cls = FB_BN_RETRY;
        snprintf(a->msg, sizeof a->msg, "not sent: %s", r->error);
        return a->cls;
    case FB_HTTP_UNKNOWN:
        a->cls = lost;
        snprintf(a->msg, sizeof a->msg, "no answer: %s", r->error);
        return a->cls;
    case FB_HTTP_TOO_LARGE:
        a->cls = lost;
        snprintf(a->msg, sizeof a->msg, "answer too large");
        return a->cls;
    case FB_HTTP_RESPONSE:
        break;
    }
    a->http = r->status;
    a->retry_after_ms = retry_after_ms(r);
    j = fb_bn_json_load(r->body, r->body_len);
    if (j && json_is_object(j)) {
        json_t *c = json_object_get(j, "code"), *m = json_object_get(j, "msg");
        if (json_is_integer(c)) {
            a->code = json_integer_value(c);
            snprintf(a->code_text, sizeof a->code_text, "%lld", (long long)a->code);
        }
        if (json_is_string(m))
            copy_text(a->msg, sizeof a->msg, json_string_value(m));
    }
    if (r->status >= 200 && r->status < 300) {
        a->cls = j ? FB_BN_OK : lost;
        if (!j)
            snprintf(a->msg, sizeof a->msg, "unparseable answer (HTTP %ld)", r->status);
    } else if (r->status == 429 || r->status == 418) {
        a->cls = FB_BN_RETRY;
        a->reason = FB_VRR_RATE_LIMIT;
        a->banned = r->status == 418;
        if (a->retry_after_ms <= 0)
            a->retry_after_ms = a->banned ? 120000 : 1000;
    } else if (r->status == 403) {
        /* WAF: a rate or security block; the request never reached the
         * matching engine (A.6). */
        a->cls = FB_BN_RETRY;
        if (a->retry_after_ms <= 0)
            a->retry_after_ms = 1000;
    } else if (r->status >= 500 || !j || !a->code || !a->msg[0]) {
        /* 5xx: execution status UNKNOWN (A.6); a 4xx without the
         * {code,msg} shape is not Binance speaking: never guess. */
        a->cls = lost;
        if (!a->msg[0])
            snprintf(a->msg, sizeof a->msg, "HTTP %ld", r->status);
    } else if (r->status == 409) {
        a->cls = FB_BN_OK; /* cancelReplace partly done: data says what */
    } else if (unknown_code(a->code)) {
        a->cls = lost;
    } else if (a->code == -1021) {
        a->cls = FB_BN_RETRY;
        a->resync_clock = 1;
    } else if (a->code == -1003 || a->code == -1015) {
        a->cls = FB_BN_RETRY;
        a->reason = FB_VRR_RATE_LIMIT;
        if (a->retry_after_ms <= 0)
            a->retry_after_ms = 1000;
    } else {
        a->cls = FB_BN_REJECT;
        a->reason = reason_of(a->code, a->msg);
    }
    if (body)
        *body = j;
    else
        json_decref(j);
    return a->cls;
}

/* ---- field readers: strict types ---- */

static enum fb_err get_dec(const json_t *o, const char *k, int required, struct fb_dec *out)
{
    const json_t *v = json_object_get(o, k);
    *out = fb_dec_zero();
    if (!v)
        return required ? FB_ERR_PARSE : FB_OK;
    if (!json_is_string(v)) /* a JSON number would have gone through a double */
        return FB_ERR_PARSE;
    return fb_dec_parse(json_string_value(v), json_string_length(v), out) == FB_OK ? FB_OK
                                                                                   : FB_ERR_PARSE;
}

static enum fb_err get_i64(const json_t *o, const char *k, int required, int64_t *out)
{
    const json_t *v = json_object_get(o, k);
    *out = 0;
    if (!v)
        return required ? FB_ERR_PARSE : FB_OK;
    if (!json_is_integer(v))
        return FB_ERR_PARSE;
    *out = (int64_t)json_integer_value(v);
    return FB_OK;
}

static enum fb_err get_str(const json_t *o, const char *k, int required, char *out, size_t cap)
{
    const json_t *v = json_object_get(o, k);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return required ? FB_ERR_PARSE : FB_OK;
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return FB_ERR_PARSE;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return FB_OK;
}

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if ((expr) != FB_OK)                                                                       \
            return FB_ERR_PARSE;                                                                   \
    } while (0)

static const char *const status_names[] = {
    "NEW",      "PENDING_NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "PENDING_CANCEL",
    "REJECTED", "EXPIRED",     "EXPIRED_IN_MATCH",
};

enum fb_err fb_bn_parse_order(const json_t *j, struct fb_bn_order *o)
{
    char st[24];
    size_t i;
    const json_t *fills;
    memset(o, 0, sizeof *o);
    if (!json_is_object(j))
        return FB_ERR_PARSE;
    TRY(get_str(j, "symbol", 1, o->symbol, sizeof o->symbol));
    TRY(get_str(j, "clientOrderId", 1, o->client_order_id, sizeof o->client_order_id));
    TRY(get_str(j, "origClientOrderId", 0, o->orig_client_order_id,
                sizeof o->orig_client_order_id));
    TRY(get_i64(j, "orderId", 1, &o->order_id));
    TRY(get_i64(j, "transactTime", 0, &o->time_ms));
    if (!o->time_ms)
        TRY(get_i64(j, "updateTime", 0, &o->time_ms));
    TRY(get_str(j, "status", 1, st, sizeof st));
    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (strcmp(st, status_names[i]) == 0)
            break;
    if (i == sizeof status_names / sizeof status_names[0])
        return FB_ERR_PARSE; /* an unknown status is never guessed */
    o->status = (enum fb_bn_status)i;
    TRY(get_str(j, "type", 0, o->type, sizeof o->type));
    TRY(get_str(j, "timeInForce", 0, o->tif, sizeof o->tif));
    TRY(get_str(j, "side", 0, o->side, sizeof o->side));
    TRY(get_dec(j, "price", 0, &o->price));
    TRY(get_dec(j, "origQty", 1, &o->orig_qty));
    TRY(get_dec(j, "executedQty", 1, &o->executed_qty));
    TRY(get_dec(j, "cummulativeQuoteQty", 0, &o->cum_quote));
    TRY(get_dec(j, "stopPrice", 0, &o->stop_price));
    if (fb_dec_sign(o->executed_qty) < 0 || fb_dec_sign(o->orig_qty) < 0)
        return FB_ERR_PARSE;
    fills = json_object_get(j, "fills");
    if (fills) {
        if (!json_is_array(fills) || json_array_size(fills) > FB_BN_FILLS_MAX)
            return FB_ERR_PARSE;
        for (i = 0; i < json_array_size(fills); i++) {
            const json_t *f = json_array_get(fills, i);
            struct fb_bn_fill *x = &o->fills[i];
            if (!json_is_object(f))
                return FB_ERR_PARSE;
            TRY(get_dec(f, "price", 1, &x->price));
            TRY(get_dec(f, "qty", 1, &x->qty));
            TRY(get_dec(f, "commission", 1, &x->commission));
            TRY(get_str(f, "commissionAsset", 1, x->commission_asset, sizeof x->commission_asset));
            TRY(get_i64(f, "tradeId", 1, &x->trade_id));
            if (fb_dec_sign(x->qty) <= 0 || fb_dec_sign(x->price) <= 0)
                return FB_ERR_PARSE;
            x->is_maker = -1;
        }
        o->n_fills = i;
    }
    return FB_OK;
}

enum fb_err fb_bn_parse_trade(const json_t *j, struct fb_bn_trade *t)
{
    const json_t *m;
    memset(t, 0, sizeof *t);
    if (!json_is_object(j))
        return FB_ERR_PARSE;
    TRY(get_i64(j, "id", 1, &t->id));
    TRY(get_i64(j, "orderId", 1, &t->order_id));
    TRY(get_dec(j, "price", 1, &t->price));
    TRY(get_dec(j, "qty", 1, &t->qty));
    TRY(get_dec(j, "commission", 1, &t->commission));
    TRY(get_str(j, "commissionAsset", 1, t->commission_asset, sizeof t->commission_asset));
    TRY(get_i64(j, "time", 0, &t->time_ms));
    m = json_object_get(j, "isMaker");
    if (!json_is_boolean(m))
        return FB_ERR_PARSE;
    t->is_maker = json_is_true(m);
    if (fb_dec_sign(t->qty) <= 0 || fb_dec_sign(t->price) <= 0)
        return FB_ERR_PARSE;
    return FB_OK;
}

enum fb_err fb_bn_parse_market(const json_t *sym, struct fb_venue_market *m)
{
    const json_t *filters, *f;
    size_t i;
    memset(m, 0, sizeof *m);
    if (!json_is_object(sym))
        return FB_ERR_PARSE;
    TRY(get_str(sym, "symbol", 1, m->symbol, sizeof m->symbol));
    TRY(get_str(sym, "baseAsset", 1, m->base, sizeof m->base));
    TRY(get_str(sym, "quoteAsset", 1, m->quote, sizeof m->quote));
    filters = json_object_get(sym, "filters");
    if (!json_is_array(filters))
        return FB_ERR_PARSE;
    json_array_foreach(filters, i, f)
    {
        char type[40];
        struct fb_dec d;
        if (!json_is_object(f))
            return FB_ERR_PARSE;
        TRY(get_str(f, "filterType", 1, type, sizeof type));
        if (strcmp(type, "PRICE_FILTER") == 0) {
            TRY(get_dec(f, "tickSize", 1, &m->tick_size));
        } else if (strcmp(type, "LOT_SIZE") == 0) {
            TRY(get_dec(f, "stepSize", 1, &m->step_size));
            TRY(get_dec(f, "minQty", 1, &m->min_qty));
            TRY(get_dec(f, "maxQty", 1, &m->max_qty));
        } else if (strcmp(type, "NOTIONAL") == 0 || strcmp(type, "MIN_NOTIONAL") == 0) {
            TRY(get_dec(f, "minNotional", 1, &d));
            /* Both may appear: the stricter wins. */
            m->min_notional = fb_dec_max(m->min_notional, d);
        }
    }
    return FB_OK;
}

enum fb_err fb_bn_parse_time(const json_t *j, int64_t *server_ms)
{
    TRY(get_i64(j, "serverTime", 1, server_ms));
    return *server_ms > 0 ? FB_OK : FB_ERR_PARSE;
}

enum fb_err fb_bn_parse_ticker(const json_t *j, struct fb_bn_ticker *t)
{
    memset(t, 0, sizeof *t);
    if (!json_is_object(j))
        return FB_ERR_PARSE;
    TRY(get_str(j, "symbol", 1, t->symbol, sizeof t->symbol));
    TRY(get_dec(j, "bidPrice", 1, &t->bid));
    TRY(get_dec(j, "askPrice", 1, &t->ask));
    TRY(get_dec(j, "bidQty", 0, &t->bid_qty));
    TRY(get_dec(j, "askQty", 0, &t->ask_qty));
    if (!t->symbol[0] || fb_dec_sign(t->bid) < 0 || fb_dec_sign(t->ask) < 0 ||
        fb_dec_sign(t->bid_qty) < 0 || fb_dec_sign(t->ask_qty) < 0)
        return FB_ERR_PARSE;
    if (fb_dec_sign(t->bid) > 0 && fb_dec_sign(t->ask) > 0 && fb_dec_cmp(t->bid, t->ask) > 0)
        return FB_ERR_PARSE; /* crossed: not a book Binance can have */
    return FB_OK;
}

enum fb_err fb_bn_parse_tickers(const json_t *j, struct fb_bn_ticker *out, size_t cap, size_t *n)
{
    size_t i;
    const json_t *x;
    *n = 0;
    if (json_is_object(j)) {
        if (cap < 1 || fb_bn_parse_ticker(j, &out[0]) != FB_OK)
            return FB_ERR_PARSE;
        *n = 1;
        return FB_OK;
    }
    if (!json_is_array(j) || json_array_size(j) > cap)
        return FB_ERR_PARSE;
    json_array_foreach(j, i, x)
    {
        if (fb_bn_parse_ticker(x, &out[i]) != FB_OK)
            return FB_ERR_PARSE;
    }
    *n = json_array_size(j);
    return FB_OK;
}

enum fb_venue_order_state fb_bn_state(enum fb_bn_status s)
{
    switch (s) {
    case FB_BN_ST_NEW:
    case FB_BN_ST_PENDING_NEW:
    case FB_BN_ST_PENDING_CANCEL: /* unused by Binance today; still open */
        return FB_VOS_NEW;
    case FB_BN_ST_PARTIALLY_FILLED:
        return FB_VOS_PARTIALLY_FILLED;
    case FB_BN_ST_FILLED:
        return FB_VOS_FILLED;
    case FB_BN_ST_CANCELED:
        return FB_VOS_CANCELED;
    case FB_BN_ST_REJECTED:
        return FB_VOS_REJECTED;
    case FB_BN_ST_EXPIRED:
    case FB_BN_ST_EXPIRED_IN_MATCH:
        return FB_VOS_EXPIRED;
    }
    return FB_VOS_UNKNOWN;
}
