/* Kraken answer classification and response parsers (see kraken_proto.h). Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/kraken_proto.h"

json_t *fb_kr_json_load(const char *s, size_t n)
{
    json_error_t e;
    json_t *j;
    if (!s || n == 0)
        return NULL;
    /* Duplicate keys would make "which value did we act on" ambiguous. */
    j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
    if (j && !json_is_object(j)) {
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

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Reasons for final refusals (B.6); matched on the prefix, with or
 * without a ":<extra>" suffix. */
static enum fb_venue_reject_reason reason_of(const char *e)
{
    if (starts(e, "EOrder:Insufficient funds") || starts(e, "EFunding:Insufficient funds"))
        return FB_VRR_FUNDS;
    if (starts(e, "EOrder:Order minimum not met") || starts(e, "EOrder:Cost minimum not met") ||
        starts(e, "EOrder:Tick size check failed") || starts(e, "EOrder:Invalid price") ||
        starts(e, "EGeneral:Invalid arguments:volume") ||
        starts(e, "EGeneral:Invalid arguments:price"))
        return FB_VRR_FILTER;
    if (starts(e, "EOrder:Post only order"))
        return FB_VRR_POST_ONLY;
    if (starts(e, "EOrder:Unknown order") || starts(e, "EQuery:Unknown order"))
        return FB_VRR_UNKNOWN_ORDER;
    if (starts(e, "EQuery:Unknown asset pair"))
        return FB_VRR_UNKNOWN_SYMBOL;
    if (starts(e, "EGeneral:Invalid arguments:Index unavailable") ||
        starts(e, "EAPI:Feature disabled"))
        return FB_VRR_UNSUPPORTED;
    if (strstr(e, "uplicate")) /* the exact duplicate cl_ord_id text is unknown (G.2) */
        return FB_VRR_DUPLICATE_ID;
    return FB_VRR_OTHER;
}

/* Classifies one error string (starting with 'E'). */
static void classify_error(const char *e, int writes, struct fb_kr_answer *a)
{
    const enum fb_kr_class lost = writes ? FB_KR_UNKNOWN : FB_KR_RETRY;
    copy_text(a->msg, sizeof a->msg, e);
    a->reason = FB_VRR_OTHER;
    if (starts(e, "EAPI:Rate limit exceeded") || starts(e, "EOrder:Rate limit exceeded") ||
        starts(e, "EOrder:Domain rate limit exceeded") || starts(e, "EAuth:Rate limit exceeded") ||
        starts(e, "EAuth:Too many requests")) {
        a->cls = FB_KR_RETRY;
        a->reason = FB_VRR_RATE_LIMIT;
        a->retry_after_ms = 2000; /* counters decay at 0.33..3.75/s (B.7) */
    } else if (starts(e, "EService: Throttled") || starts(e, "EService:Throttled")) {
        a->cls = FB_KR_RETRY;
        a->reason = FB_VRR_RATE_LIMIT;
        a->retry_after_ms = 1000;
    } else if (starts(e, "EAPI:Invalid nonce")) {
        /* Not processed -- unless this is a copy of a request that was (B.3,
         * H.1): for a write, find out before sending again. */
        a->cls = lost;
    } else if (starts(e, "EService:Unavailable") || starts(e, "EService:Busy") ||
               starts(e, "EService:Deadline elapsed") || starts(e, "EGeneral:Internal error")) {
        a->cls = lost;
    } else if (starts(e, "EService:Market in") || starts(e, "EGeneral:Temporary lockout")) {
        /* Nothing done, and not soon either: the engine may try later. */
        a->cls = FB_KR_REJECT;
        a->rej_cls = FB_VREJ_RETRYABLE;
    } else {
        a->cls = FB_KR_REJECT;
        a->rej_cls = FB_VREJ_FINAL;
        a->reason = reason_of(e);
    }
}

enum fb_kr_class fb_kr_classify(const struct fb_http_response *r, int writes,
                                struct fb_kr_answer *a, json_t **result)
{
    const enum fb_kr_class lost = writes ? FB_KR_UNKNOWN : FB_KR_RETRY;
    json_t *j, *err, *res;
    const char *first_e = NULL;
    size_t i;

    memset(a, 0, sizeof *a);
    a->reason = FB_VRR_OTHER;
    if (result)
        *result = NULL;
    switch (r->outcome) {
    case FB_HTTP_NOT_SENT:
        a->cls = FB_KR_RETRY;
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
    if (r->status == 429) {
        a->cls = FB_KR_RETRY;
        a->reason = FB_VRR_RATE_LIMIT;
        a->retry_after_ms = 2000;
        snprintf(a->msg, sizeof a->msg, "HTTP 429");
        return a->cls;
    }
    j = fb_kr_json_load(r->body, r->body_len);
    err = json_object_get(j, "error");
    if (!j || !json_is_array(err) || r->status >= 500) {
        /* Edge failures (Cloudflare 5xx, gateways) may have acted (B.1). */
        a->cls = lost;
        snprintf(a->msg, sizeof a->msg, "unparseable answer (HTTP %ld)", r->status);
        json_decref(j);
        return a->cls;
    }
    for (i = 0; i < json_array_size(err); i++) {
        const char *s = json_string_value(json_array_get(err, i));
        if (!s || !s[0]) {
            a->cls = lost;
            snprintf(a->msg, sizeof a->msg, "malformed error list");
            json_decref(j);
            return a->cls;
        }
        if (s[0] == 'E' && !first_e)
            first_e = s; /* "W..." are warnings alongside a result */
    }
    if (first_e) {
        classify_error(first_e, writes, a);
        json_decref(j);
        return a->cls;
    }
    res = json_object_get(j, "result");
    if (r->status < 200 || r->status >= 300 || !json_is_object(res)) {
        a->cls = lost;
        snprintf(a->msg, sizeof a->msg, "no result (HTTP %ld)", r->status);
        json_decref(j);
        return a->cls;
    }
    a->cls = FB_KR_OK;
    if (result)
        *result = json_incref(res);
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

/* Unix seconds as a JSON number (integer or real) -> ns; 0 if absent. */
static enum fb_err get_time(const json_t *o, const char *k, int64_t *ns)
{
    const json_t *v = json_object_get(o, k);
    *ns = 0;
    if (!v)
        return FB_OK;
    if (!json_is_number(v))
        return FB_ERR_PARSE;
    double s = json_number_value(v);
    if (!(s >= 0 && s < 1e10))
        return FB_ERR_PARSE;
    *ns = (int64_t)(s * 1e6) * 1000; /* microseconds are all a float carries */
    return FB_OK;
}

static int get_int(const json_t *o, const char *k, int lo, int hi, int *out)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return 0;
    *out = (int)json_integer_value(v);
    return 1;
}

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if ((expr) != FB_OK)                                                                       \
            return FB_ERR_PARSE;                                                                   \
    } while (0)

static const char *const status_names[] = {"pending", "open", "closed", "canceled", "expired"};

enum fb_err fb_kr_parse_order(const char *txid, const json_t *j, struct fb_kr_order *o)
{
    char st[16], misc[96];
    const json_t *descr, *trades;
    size_t i;
    int64_t t;
    memset(o, 0, sizeof *o);
    if (!txid || !txid[0] || strlen(txid) > FB_KR_TXID_MAX || !json_is_object(j))
        return FB_ERR_PARSE;
    memcpy(o->txid, txid, strlen(txid) + 1);
    TRY(get_str(j, "status", 1, st, sizeof st));
    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (strcmp(st, status_names[i]) == 0)
            break;
    if (i == sizeof status_names / sizeof status_names[0])
        return FB_ERR_PARSE; /* an unknown status is never guessed */
    o->status = (enum fb_kr_status)i;
    TRY(get_str(j, "cl_ord_id", 0, o->cl_ord_id, sizeof o->cl_ord_id));
    descr = json_object_get(j, "descr");
    if (!json_is_object(descr))
        return FB_ERR_PARSE;
    TRY(get_str(descr, "pair", 1, o->pair, sizeof o->pair));
    TRY(get_str(descr, "type", 1, o->side, sizeof o->side));
    TRY(get_str(descr, "ordertype", 1, o->ordertype, sizeof o->ordertype));
    if (strcmp(o->side, "buy") != 0 && strcmp(o->side, "sell") != 0)
        return FB_ERR_PARSE;
    TRY(get_dec(descr, "price", 0, &o->descr_price));
    TRY(get_dec(descr, "price2", 0, &o->descr_price2));
    TRY(get_dec(j, "vol", 1, &o->vol));
    TRY(get_dec(j, "vol_exec", 1, &o->vol_exec));
    TRY(get_dec(j, "cost", 0, &o->cost));
    TRY(get_dec(j, "fee", 0, &o->fee));
    TRY(get_dec(j, "price", 0, &o->avg_price));
    if (fb_dec_sign(o->vol) < 0 || fb_dec_sign(o->vol_exec) < 0)
        return FB_ERR_PARSE;
    TRY(get_str(j, "misc", 0, misc, sizeof misc));
    o->amended = strstr(misc, "amended") != NULL;
    TRY(get_str(j, "oflags", 0, misc, sizeof misc));
    o->fee_in_base = strstr(misc, "fcib") ? 1 : strstr(misc, "fciq") ? 0 : -1;
    TRY(get_time(j, "opentm", &t));
    o->ts_ns = t;
    TRY(get_time(j, "closetm", &t));
    if (t)
        o->ts_ns = t;
    trades = json_object_get(j, "trades");
    if (trades) {
        if (!json_is_array(trades) || json_array_size(trades) > FB_KR_TRADES_MAX)
            return FB_ERR_PARSE;
        for (i = 0; i < json_array_size(trades); i++) {
            const json_t *x = json_array_get(trades, i);
            if (!json_is_string(x) || json_string_length(x) == 0 ||
                json_string_length(x) > FB_VENUE_ID_MAX)
                return FB_ERR_PARSE;
            memcpy(o->trades[i], json_string_value(x), json_string_length(x) + 1);
        }
        o->n_trades = i;
    }
    return FB_OK;
}

enum fb_err fb_kr_parse_trade(const char *id, const json_t *j, struct fb_kr_trade *t)
{
    const json_t *m;
    memset(t, 0, sizeof *t);
    if (!id || !id[0] || strlen(id) > FB_VENUE_ID_MAX || !json_is_object(j))
        return FB_ERR_PARSE;
    memcpy(t->id, id, strlen(id) + 1);
    TRY(get_str(j, "ordertxid", 1, t->ordertxid, sizeof t->ordertxid));
    TRY(get_dec(j, "price", 1, &t->price));
    TRY(get_dec(j, "vol", 1, &t->vol));
    TRY(get_dec(j, "fee", 1, &t->fee));
    TRY(get_dec(j, "cost", 0, &t->cost));
    TRY(get_time(j, "time", &t->ts_ns));
    m = json_object_get(j, "maker");
    if (m && !json_is_boolean(m))
        return FB_ERR_PARSE;
    t->maker = m ? json_is_true(m) : -1;
    if (fb_dec_sign(t->vol) <= 0 || fb_dec_sign(t->price) <= 0 || fb_dec_sign(t->fee) < 0)
        return FB_ERR_PARSE;
    return FB_OK;
}

static enum fb_err pow10_neg(int places, struct fb_dec *out)
{
    char b[24] = "0.";
    if (places < 0 || places > 18)
        return FB_ERR_PARSE;
    if (places == 0)
        return fb_dec_parse_str("1", out);
    for (int i = 0; i < places - 1; i++)
        b[2 + i] = '0';
    b[1 + places] = '1';
    b[2 + places] = '\0';
    return fb_dec_parse_str(b, out);
}

enum fb_err fb_kr_parse_pair(const char *key, const json_t *j, struct fb_kr_pair *p)
{
    int pd, ld;
    memset(p, 0, sizeof *p);
    if (!key || !key[0] || strlen(key) > FB_VENUE_SYMBOL_MAX || !json_is_object(j))
        return FB_ERR_PARSE;
    memcpy(p->m.symbol, key, strlen(key) + 1);
    if (strlen(key) > FB_KR_PAIR_MAX)
        return FB_ERR_PARSE;
    memcpy(p->id, key, strlen(key) + 1);
    TRY(get_str(j, "altname", 1, p->altname, sizeof p->altname));
    TRY(get_str(j, "wsname", 0, p->wsname, sizeof p->wsname));
    TRY(get_str(j, "base", 1, p->m.base, sizeof p->m.base));
    TRY(get_str(j, "quote", 1, p->m.quote, sizeof p->m.quote));
    if (!get_int(j, "pair_decimals", 0, 18, &pd) || !get_int(j, "lot_decimals", 0, 18, &ld))
        return FB_ERR_PARSE;
    TRY(get_dec(j, "tick_size", 0, &p->m.tick_size));
    if (fb_dec_sign(p->m.tick_size) < 0)
        return FB_ERR_PARSE;
    if (fb_dec_is_zero(p->m.tick_size))
        TRY(pow10_neg(pd, &p->m.tick_size));
    TRY(pow10_neg(ld, &p->m.step_size));
    TRY(get_dec(j, "ordermin", 0, &p->m.min_qty));
    TRY(get_dec(j, "costmin", 0, &p->m.min_notional));
    if (fb_dec_sign(p->m.min_qty) < 0 || fb_dec_sign(p->m.min_notional) < 0)
        return FB_ERR_PARSE;
    return FB_OK;
}

/* [price, ...]'s price: a decimal string > 0. */
static enum fb_err first_price(const json_t *arr, struct fb_dec *out)
{
    const json_t *v = json_array_get(arr, 0);
    *out = fb_dec_zero();
    if (!json_is_array(arr) || !json_is_string(v) ||
        fb_dec_parse(json_string_value(v), json_string_length(v), out) != FB_OK ||
        fb_dec_sign(*out) <= 0)
        return FB_ERR_PARSE;
    return FB_OK;
}

enum fb_err fb_kr_parse_ticker(const json_t *j, struct fb_dec *bid, struct fb_dec *ask)
{
    if (!json_is_object(j))
        return FB_ERR_PARSE;
    TRY(first_price(json_object_get(j, "b"), bid));
    TRY(first_price(json_object_get(j, "a"), ask));
    return FB_OK;
}

enum fb_err fb_kr_parse_add(const json_t *result, char txid[FB_KR_TXID_MAX + 1])
{
    const json_t *a = json_object_get(result, "txid");
    const json_t *x = json_array_get(a, 0);
    txid[0] = '\0';
    if (!json_is_array(a) || json_array_size(a) != 1 || !json_is_string(x) ||
        json_string_length(x) == 0 || json_string_length(x) > FB_KR_TXID_MAX)
        return FB_ERR_PARSE;
    memcpy(txid, json_string_value(x), json_string_length(x) + 1);
    return FB_OK;
}

enum fb_err fb_kr_parse_cancel(const json_t *result, int64_t *count, int *pending)
{
    const json_t *c = json_object_get(result, "count"), *p = json_object_get(result, "pending");
    *count = 0;
    *pending = 0;
    if (!json_is_integer(c) || json_integer_value(c) < 0 || (p && !json_is_boolean(p)))
        return FB_ERR_PARSE;
    *count = (int64_t)json_integer_value(c);
    *pending = p ? json_is_true(p) : 0;
    return FB_OK;
}

enum fb_err fb_kr_parse_amend(const json_t *result)
{
    const json_t *a = json_object_get(result, "amend_id");
    return json_is_string(a) && json_string_length(a) > 0 ? FB_OK : FB_ERR_PARSE;
}
