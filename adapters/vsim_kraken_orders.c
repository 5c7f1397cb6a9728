/*
 * vsim_kraken: orders over the sim's matching core, and Kraken's JSON
 * answers (REFERENCE.md B.4, B.5). Called by vsim_kraken.c under vk->mu.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/vsim_kraken_int.h"

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL
#define LIST_MAX 50   /* QueryOrders txids, ClosedOrders page (B.5.5, B.5.6) */
#define TRADES_MAX 20 /* QueryTrades txids */

void vk_error(struct vk_answer *a, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    json_t *j;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j = json_pack("{s:[s]}", "error", msg);
    free(a->body);
    a->http = 200; /* API-level errors come back with 200 (B.1) */
    a->body = fb_vsim_dumps(j);
}

void vk_result(struct vk_answer *a, json_t *r)
{
    json_t *j = r ? json_pack("{s:[],s:o}", "error", "result", r) : NULL;
    free(a->body);
    a->http = 200;
    a->body = fb_vsim_dumps(j);
    if (!a->body)
        vk_error(a, "EGeneral:Internal error");
}

/* d with exactly places decimals (rounded half even), as Kraken prints
 * prices and volumes of a pair. */
static json_t *jfixed(struct fb_dec d, int places)
{
    char b[FB_DEC_STRMAX + 24], *dot;
    size_t have;
    if (fb_dec_round_places(d, places, FB_ROUND_HALF_EVEN, &d) != FB_OK)
        return json_string("0");
    fb_dec_format(d, b);
    if (places <= 0)
        return json_string(b);
    dot = strchr(b, '.');
    have = dot ? strlen(dot + 1) : 0;
    if (!dot)
        strcat(b, ".");
    for (size_t i = have; i < (size_t)places; i++)
        strcat(b, "0");
    return json_string(b);
}

static json_t *jtime(int64_t ns)
{
    /* Kraken's opentm/closetm are float seconds (B.1); a time, not a price. */
    return json_real((double)(ns / 100000) / 10000.0);
}

/* A Kraken-shaped id "PXXXXX-XXXXX-XXXXXX" (B.1), unique per n. */
static void make_id(char prefix, uint64_t n, uint64_t seed, char out[VK_TXID_LEN + 1])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint64_t s = seed ^ (n * 0x100000001B3ULL), r = fb_vsim_splitmix(&s);
    size_t o = 0;
    out[o++] = prefix;
    for (int i = 0; i < 16; i++) {
        if (i == 5 || i == 10)
            out[o++] = '-';
        /* the low 5 bits carry n, so two ids never collide */
        out[o++] = al[(i < 4 ? (n >> (5 * i)) : (r >> (5 * (i - 4)))) & 31];
    }
    out[o] = '\0';
}

/* ---- the book ---- */

static size_t index_of(const char *book_id)
{
    return (size_t)strtoull(book_id + 1, NULL, 10); /* "k<i>" or "k<i>.<n>" */
}

static void book_id(const struct vk_order *o, size_t i, char *out, size_t cap)
{
    if (o->n_ids)
        snprintf(out, cap, "k%zu.%u", i, o->n_ids);
    else
        snprintf(out, cap, "k%zu", i);
}

static const struct fb_sim_order *book_of(const struct fb_vsim_kraken *vk, size_t i)
{
    return fb_sim_book_order(&vk->book, vk->orders[i].book);
}

static enum vk_status status_of(const struct fb_vsim_kraken *vk, size_t i)
{
    if (!vk->orders[i].in_book)
        return vk->orders[i].held;
    switch (book_of(vk, i)->state) {
    case FB_VOS_FILLED:
        return VK_CLOSED;
    case FB_VOS_CANCELED:
    case FB_VOS_REJECTED:
        return VK_CANCELED;
    case FB_VOS_EXPIRED:
        return VK_EXPIRED;
    default:
        return VK_OPEN;
    }
}

static const char *status_name(enum vk_status s)
{
    static const char *const n[] = {"open", "closed", "canceled", "expired"};
    return n[s];
}

static enum fb_err on_event(void *user, const struct fb_venue_event *ev)
{
    struct fb_vsim_kraken *vk = user;
    size_t i = index_of(ev->client_order_id);
    struct vk_order *o;
    switch (ev->kind) {
    case FB_VEV_REJECT:
    case FB_VEV_CANCEL_REJECT:
    case FB_VEV_REPLACE_REJECT:
        vk->got_rej = true;
        vk->rej = ev->u.rej;
        return FB_OK;
    default:
        break;
    }
    if (i >= vk->n_orders)
        return FB_OK;
    o = &vk->orders[i];
    if (ev->kind == FB_VEV_FILL) {
        struct vk_trade *t;
        struct fb_dec rate =
            ev->u.fill.liquidity == FB_VLIQ_MAKER ? vk->book.maker_rate : vk->book.taker_rate;
        if (vk->n_trades == vk->cap_trades) {
            size_t cap = vk->cap_trades ? vk->cap_trades * 2 : 64;
            void *n = realloc(vk->trades, cap * sizeof *vk->trades);
            if (!n)
                return FB_ERR_NOMEM;
            vk->trades = n;
            vk->cap_trades = cap;
        }
        t = &vk->trades[vk->n_trades];
        memset(t, 0, sizeof *t);
        make_id('T', vk->n_trades, vk->p.seed ^ 0x7472616465ULL, t->id);
        t->order = (uint32_t)i;
        t->price = ev->u.fill.price;
        t->qty = ev->u.fill.qty;
        t->fee = ev->u.fill.fee; /* in quote */
        if (fb_dec_mul(t->qty, t->price, FB_ROUND_HALF_EVEN, &t->cost) != FB_OK)
            return FB_ERR_OVERFLOW;
        if (o->fee_in_base &&
            fb_dec_mul(t->qty, rate, FB_ROUND_HALF_EVEN, &t->fee) != FB_OK)
            return FB_ERR_OVERFLOW;
        t->maker = ev->u.fill.liquidity == FB_VLIQ_MAKER;
        t->ts_ns = ev->ts_ns;
        vk->n_trades++;
        if (fb_dec_cmp(ev->u.fill.cum_qty, book_of(vk, i)->qty) >= 0)
            o->close_ns = ev->ts_ns;
    } else if (ev->kind == FB_VEV_CANCELED || ev->kind == FB_VEV_EXPIRED) {
        o->close_ns = ev->ts_ns;
    }
    return FB_OK;
}

/* 10^-places (0..18). */
static struct fb_dec pow10_neg(int places)
{
    char b[24] = "1";
    struct fb_dec d = fb_dec_from_int(1);
    if (places > 0 && places <= 18) {
        snprintf(b, sizeof b, "0.%0*d", places, 1);
        if (fb_dec_parse_str(b, &d) != FB_OK)
            d = fb_dec_from_int(1);
    }
    return d;
}

enum fb_err vk_init(struct fb_vsim_kraken *vk, char *err, size_t errlen)
{
    for (size_t m = 0; m < vk->p.n_markets; m++) {
        struct fb_sim_market_params *mp = &vk->p.markets[m];
        struct vk_pair *pr = &vk->pairs[m];
        int ld = fb_dec_places(mp->step_size);
        if (fb_dec_cmp(mp->step_size, pow10_neg(ld)) != 0) {
            snprintf(err, errlen, "%s: a Kraken step is 10^-lot_decimals, not %s", mp->symbol,
                     "the given step");
            return FB_ERR_INVALID;
        }
        if (fb_dec_sign(mp->min_qty) == 0)
            mp->min_qty = mp->step_size; /* ordermin */
        fb_vsim_copy_str(pr->altname, sizeof pr->altname, mp->symbol);
        fb_vsim_copy_str(pr->base, sizeof pr->base, mp->base);
        fb_vsim_copy_str(pr->quote, sizeof pr->quote, mp->quote);
        if (strlen(mp->base) == 3 && strlen(mp->quote) == 3) {
            snprintf(pr->base, sizeof pr->base, "X%s", mp->base);
            snprintf(pr->quote, sizeof pr->quote, "Z%s", mp->quote);
            /* from the sources, not pr->base/quote: no overlapping copy */
            snprintf(pr->id, sizeof pr->id, "X%.3sZ%.3s", mp->base, mp->quote);
        } else {
            fb_vsim_copy_str(pr->id, sizeof pr->id, mp->symbol);
        }
        snprintf(pr->wsname, sizeof pr->wsname, "%s/%s", mp->base, mp->quote);
        pr->pair_decimals = fb_dec_places(mp->tick_size);
        pr->lot_decimals = ld;
    }
    vk->rng = vk->p.seed;
    vk->next_tick_ns = 0;
    if (fb_sim_book_init(&vk->book, &vk->p, on_event, vk) != FB_OK) {
        snprintf(err, errlen, "invalid market parameters");
        return FB_ERR_INVALID;
    }
    return FB_OK;
}

void vk_free(struct fb_vsim_kraken *vk)
{
    fb_sim_book_free(&vk->book);
    free(vk->orders);
    free(vk->trades);
    fb_vsim_counts_free(&vk->counts);
}

/* Submits order i's req to the book; 0, or -1 (the book refused). */
static int to_book(struct fb_vsim_kraken *vk, size_t i, int64_t now_ns)
{
    struct vk_order *o = &vk->orders[i];
    size_t before = vk->book.n_orders;
    snprintf(o->req.client_order_id, sizeof o->req.client_order_id, "k%zu", i);
    o->n_ids = 0;
    o->book = (uint32_t)before;
    o->in_book = true; /* events during submit find it */
    vk->got_rej = false;
    if (fb_sim_book_submit(&vk->book, &o->req, now_ns) != FB_OK || vk->book.n_orders == before) {
        o->in_book = false;
        return -1;
    }
    return 0;
}

static bool tp_reached(const struct fb_vsim_kraken *vk, const struct vk_order *o)
{
    struct fb_dec ref = vk->book.markets[o->pair].ref;
    int c = fb_dec_cmp(ref, o->price);
    return o->buy ? c <= 0 : c >= 0; /* take-profit: a favourable move (B.5.1) */
}

/* Take-profits whose price has come, and expiries of those still waiting. */
static void check_waiting(struct fb_vsim_kraken *vk, int64_t now_ns)
{
    for (size_t i = 0; i < vk->n_orders; i++) {
        struct vk_order *o = &vk->orders[i];
        if (o->in_book || o->held != VK_OPEN)
            continue;
        if (o->expire_s && now_ns / NS_PER_S >= o->expire_s) {
            o->held = VK_EXPIRED;
            o->close_ns = now_ns;
        } else if (tp_reached(vk, o)) {
            o->touched = true;
            if (to_book(vk, i, now_ns) != 0) {
                o->held = VK_CANCELED;
                o->close_ns = now_ns;
            }
        }
    }
}

void vk_tick(struct fb_vsim_kraken *vk, int64_t now_ns)
{
    fb_vsim_tick(&vk->book, &vk->p, &vk->rng, &vk->next_tick_ns, now_ns);
    if (fb_sim_book_expire(&vk->book, now_ns) != FB_OK)
        fprintf(stderr, "venue-sim: expiry pass failed\n");
    check_waiting(vk, now_ns);
}

/* ---- parameters ---- */

/* Pair by id, altname or wsname; -1 if none. */
static int pair_of(const struct fb_vsim_kraken *vk, const char *s)
{
    for (size_t m = 0; m < vk->p.n_markets; m++) {
        const struct vk_pair *p = &vk->pairs[m];
        if (strcmp(s, p->id) == 0 || strcmp(s, p->altname) == 0 || strcmp(s, p->wsname) == 0)
            return (int)m;
    }
    return -1;
}

/* A decimal parameter (zero if absent); -1 with
 * EGeneral:Invalid arguments:<k> for bad syntax. */
static int get_dec(struct vs_params *p, const char *k, struct fb_dec *out, struct vk_answer *a)
{
    const char *v = fb_vsim_param(p, k);
    *out = fb_dec_zero();
    if (!v)
        return 0;
    if (!fb_vsim_dec_syntax(v, 18) || fb_dec_parse_str(v, out) != FB_OK) {
        vk_error(a, "EGeneral:Invalid arguments:%s", k);
        return -1;
    }
    return 0;
}

/* Price checks in Kraken's words (B.4): decimals, then tick. */
static int price_ok(const struct fb_vsim_kraken *vk, size_t m, const char *k, struct fb_dec px,
                    struct vk_answer *a)
{
    const struct vk_pair *pr = &vk->pairs[m];
    if (fb_dec_sign(px) <= 0) {
        vk_error(a, "EGeneral:Invalid arguments:%s", k);
        return -1;
    }
    if (fb_dec_places(px) > pr->pair_decimals) {
        vk_error(a, "EOrder:Invalid price:%s price can only be specified up to %d decimals.",
                 pr->id, pr->pair_decimals);
        return -1;
    }
    if (!fb_dec_is_multiple(px, vk->p.markets[m].tick_size)) {
        vk_error(a, "EOrder:Tick size check failed");
        return -1;
    }
    return 0;
}

static int vol_ok(const struct fb_vsim_kraken *vk, size_t m, const char *k, struct fb_dec v,
                  struct vk_answer *a)
{
    if (fb_dec_sign(v) <= 0 || fb_dec_places(v) > vk->pairs[m].lot_decimals) {
        vk_error(a, "EGeneral:Invalid arguments:%s", k);
        return -1;
    }
    return 0;
}

/* UUID (8-4-4-4-12 hex), 32 hex, or up to 18 printable ASCII (B.5.1). */
static bool kid_syntax(const char *s)
{
    size_t n = strlen(s), i;
    bool hex = true;
    if (n == 36) {
        for (i = 0; i < 36; i++) {
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                return false;
        }
        return true;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
        hex = hex && strchr("0123456789abcdefABCDEF", s[i]);
    }
    return n >= 1 && (n <= 18 || (n == 32 && hex));
}

static int get_bool(struct vs_params *p, const char *k, bool *out, struct vk_answer *a)
{
    const char *v = fb_vsim_param(p, k);
    *out = false;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "false") != 0 && strcmp(v, "0") != 0) {
        vk_error(a, "EGeneral:Invalid arguments:%s", k);
        return -1;
    }
    return 0;
}

void vk_count_post(struct fb_vsim_kraken *vk, struct vs_params *p)
{
    const char *kid = fb_vsim_param(p, "cl_ord_id");
    struct vs_count *c;
    if (kid && kid_syntax(kid) && (c = fb_vsim_count(&vk->counts, kid)))
        c->posts++;
}

/* ---- descriptions ---- */

static bool is_trigger(const char *t)
{
    return strncmp(t, "stop-loss", 9) == 0 || strncmp(t, "take-profit", 11) == 0;
}

static bool has_price2(const char *t)
{
    return strcmp(t, "stop-loss-limit") == 0 || strcmp(t, "take-profit-limit") == 0;
}

/* "buy 1.25000000 XBTUSD @ limit 27500.0" (B.5.1). */
static void order_text(const struct fb_vsim_kraken *vk, const struct vk_order *o,
                       struct fb_dec vol, char *out, size_t cap)
{
    const struct vk_pair *pr = &vk->pairs[o->pair];
    json_t *v = jfixed(vol, pr->lot_decimals), *p1 = jfixed(o->price, pr->pair_decimals),
           *p2 = jfixed(o->price2, pr->pair_decimals);
    const char *kind = strcmp(o->ordertype, "iceberg") == 0 ? "limit" : o->ordertype;
    char k[32];
    fb_vsim_copy_str(k, sizeof k, kind);
    for (char *c = k; *c; c++)
        if (*c == '-')
            *c = ' ';
    if (strcmp(o->ordertype, "market") == 0)
        snprintf(out, cap, "%s %s %s @ market", o->buy ? "buy" : "sell", json_string_value(v),
                 pr->altname);
    else if (has_price2(o->ordertype))
        snprintf(out, cap, "%s %s %s @ %.*s %s -> limit %s", o->buy ? "buy" : "sell",
                 json_string_value(v), pr->altname, (int)(strlen(k) - 6), k,
                 json_string_value(p1), json_string_value(p2));
    else
        snprintf(out, cap, "%s %s %s @ %s %s", o->buy ? "buy" : "sell", json_string_value(v),
                 pr->altname, k, json_string_value(p1));
    json_decref(v);
    json_decref(p1);
    json_decref(p2);
}

static json_t *order_json(const struct fb_vsim_kraken *vk, size_t i, bool with_trades)
{
    const struct vk_order *o = &vk->orders[i];
    const struct vk_pair *pr = &vk->pairs[o->pair];
    enum vk_status st = status_of(vk, i);
    struct fb_dec vol = o->req.qty, exec = fb_dec_zero(), cost = fb_dec_zero(),
                  fee = fb_dec_zero(), avg = fb_dec_zero();
    char text[160], misc[64] = "";
    json_t *j = json_object(), *d = json_object(), *tr = json_array();

    if (o->in_book) {
        const struct fb_sim_order *b = book_of(vk, i);
        vol = b->qty;
        exec = b->cum_qty;
        cost = b->notional;
        if (fb_dec_sign(exec) > 0 &&
            fb_dec_div(cost, exec, pr->pair_decimals + 4, FB_ROUND_HALF_EVEN, &avg) != FB_OK)
            avg = fb_dec_zero();
    }
    for (size_t t = 0; t < vk->n_trades; t++) {
        if (vk->trades[t].order != i)
            continue;
        if (fb_dec_add(fee, vk->trades[t].fee, &fee) != FB_OK)
            break;
        json_array_append_new(tr, json_string(vk->trades[t].id));
    }
    if (o->stopped || (o->in_book && is_trigger(o->ordertype) && book_of(vk, i)->triggered))
        strcat(misc, "stopped");
    if (o->touched)
        strcat(misc, misc[0] ? ",touched" : "touched");
    if (o->amended)
        strcat(misc, misc[0] ? ",amended" : "amended");
    order_text(vk, o, vol, text, sizeof text);
    json_object_set_new(j, "refid", json_null());
    json_object_set_new(j, "userref", o->has_userref ? json_integer(o->userref) : json_null());
    json_object_set_new(j, "cl_ord_id", o->kid[0] ? json_string(o->kid) : json_null());
    json_object_set_new(j, "status", json_string(status_name(st)));
    json_object_set_new(j, "reason", o->user_canceled        ? json_string("User requested")
                                     : st == VK_EXPIRED      ? json_string("Order expired")
                                     : st == VK_CANCELED     ? json_string("Insufficient liquidity")
                                                             : json_null());
    json_object_set_new(j, "opentm", jtime(o->open_ns));
    if (st != VK_OPEN)
        json_object_set_new(j, "closetm", jtime(o->close_ns ? o->close_ns : o->open_ns));
    json_object_set_new(j, "starttm", json_integer(0));
    json_object_set_new(j, "expiretm", json_integer(o->expire_s));
    json_object_set_new(d, "pair", json_string(pr->altname));
    json_object_set_new(d, "type", json_string(o->buy ? "buy" : "sell"));
    json_object_set_new(d, "ordertype", json_string(o->ordertype));
    json_object_set_new(d, "price", jfixed(o->price, pr->pair_decimals));
    json_object_set_new(d, "price2", jfixed(o->price2, pr->pair_decimals));
    json_object_set_new(d, "leverage", json_string("none"));
    json_object_set_new(d, "order", json_string(text));
    json_object_set_new(d, "close", json_string(""));
    json_object_set_new(j, "descr", d);
    json_object_set_new(j, "vol", jfixed(vol, pr->lot_decimals));
    json_object_set_new(j, "vol_exec", jfixed(exec, pr->lot_decimals));
    json_object_set_new(j, "cost", fb_vsim_jdec(cost));
    json_object_set_new(j, "fee", fb_vsim_jdec(fee));
    json_object_set_new(j, "price", fb_vsim_jdec(avg));
    json_object_set_new(j, "stopprice", jfixed(is_trigger(o->ordertype) ? o->price : fb_dec_zero(),
                                               pr->pair_decimals));
    json_object_set_new(j, "limitprice", jfixed(has_price2(o->ordertype) ? o->price2
                                                                         : fb_dec_zero(),
                                                pr->pair_decimals));
    json_object_set_new(j, "misc", json_string(misc));
    json_object_set_new(j, "oflags", json_string(o->oflags));
    json_object_set_new(j, "trigger", json_string("last"));
    if (with_trades && json_array_size(tr))
        json_object_set_new(j, "trades", tr);
    else
        json_decref(tr);
    return j;
}

/* ---- public ---- */

void vk_time(struct fb_vsim_kraken *vk, struct vk_answer *a, int64_t now_ns)
{
    char rfc[64];
    time_t s = (time_t)(now_ns / NS_PER_S);
    struct tm tm;
    (void)vk;
    gmtime_r(&s, &tm);
    strftime(rfc, sizeof rfc, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    vk_result(a, json_pack("{s:I,s:s}", "unixtime", (json_int_t)s, "rfc1123", rfc));
}

void vk_system_status(struct fb_vsim_kraken *vk, struct vk_answer *a, int64_t now_ns)
{
    char ts[32];
    time_t s = (time_t)(now_ns / NS_PER_S);
    struct tm tm;
    (void)vk;
    gmtime_r(&s, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    vk_result(a, json_pack("{s:s,s:s}", "status", "online", "timestamp", ts));
}

/* The pairs named in p's comma list "pair" (all if absent) into want[];
 * -1 with EQuery:Unknown asset pair. */
static int pairs_wanted(const struct fb_vsim_kraken *vk, struct vs_params *p, bool *want,
                        struct vk_answer *a)
{
    const char *list = fb_vsim_param(p, "pair");
    char buf[VS_VAL_MAX + 1], *save = NULL;
    for (size_t m = 0; m < vk->p.n_markets; m++)
        want[m] = !list;
    if (!list)
        return 0;
    fb_vsim_copy_str(buf, sizeof buf, list);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int m = pair_of(vk, t);
        if (m < 0) {
            vk_error(a, "EQuery:Unknown asset pair");
            return -1;
        }
        want[m] = true;
    }
    return 0;
}

void vk_asset_pairs(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a)
{
    bool want[FB_SIM_MARKETS_MAX];
    const char *info = fb_vsim_param(p, "info");
    json_t *r;
    if (info && strcmp(info, "info") != 0 && strcmp(info, "leverage") != 0 &&
        strcmp(info, "fees") != 0 && strcmp(info, "margin") != 0) {
        vk_error(a, "EGeneral:Invalid arguments:info");
        return;
    }
    if (pairs_wanted(vk, p, want, a))
        return;
    r = json_object();
    for (size_t m = 0; m < vk->p.n_markets; m++) {
        const struct vk_pair *pr = &vk->pairs[m];
        const struct fb_sim_market_params *mp = &vk->p.markets[m];
        if (!want[m])
            continue;
        json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:i}", "altname",
                              pr->altname, "wsname", pr->wsname, "aclass_base", "currency",
                              "base", pr->base, "aclass_quote", "currency", "quote", pr->quote,
                              "lot", "unit", "cost_decimals", pr->pair_decimals + 4,
                              "pair_decimals", pr->pair_decimals, "lot_decimals",
                              pr->lot_decimals, "lot_multiplier", 1);
        json_object_set_new(e, "leverage_buy", json_array());
        json_object_set_new(e, "leverage_sell", json_array());
        json_object_set_new(e, "fee_volume_currency", json_string("ZUSD"));
        json_object_set_new(e, "ordermin", fb_vsim_jdec(mp->min_qty));
        json_object_set_new(e, "costmin", fb_vsim_jdec(mp->min_notional));
        json_object_set_new(e, "tick_size", fb_vsim_jdec(mp->tick_size));
        json_object_set_new(e, "status", json_string("online"));
        json_object_set_new(r, pr->id, e);
    }
    vk_result(a, r);
}

void vk_ticker(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a)
{
    bool want[FB_SIM_MARKETS_MAX];
    json_t *r;
    if (pairs_wanted(vk, p, want, a))
        return;
    r = json_object();
    for (size_t m = 0; m < vk->p.n_markets; m++) {
        const struct fb_sim_book_market *bm = &vk->book.markets[m];
        const struct vk_pair *pr = &vk->pairs[m];
        if (!want[m])
            continue;
        /* Liquidity at the touch is unlimited: show a large whole-lot size. */
        json_t *e = json_object();
        json_object_set_new(e, "a", json_pack("[o,s,s]", jfixed(bm->ask, pr->pair_decimals),
                                              "1000000", "1000000.000"));
        json_object_set_new(e, "b", json_pack("[o,s,s]", jfixed(bm->bid, pr->pair_decimals),
                                              "1000000", "1000000.000"));
        json_object_set_new(e, "c", json_pack("[o,s]", jfixed(bm->ref, pr->pair_decimals),
                                              "0.00000000"));
        json_object_set_new(e, "v", json_pack("[s,s]", "0", "0"));
        json_object_set_new(e, "p", json_pack("[o,o]", jfixed(bm->ref, pr->pair_decimals),
                                              jfixed(bm->ref, pr->pair_decimals)));
        json_object_set_new(e, "t", json_pack("[i,i]", 0, 0));
        json_object_set_new(e, "l", json_pack("[o,o]", jfixed(bm->ref, pr->pair_decimals),
                                              jfixed(bm->ref, pr->pair_decimals)));
        json_object_set_new(e, "h", json_pack("[o,o]", jfixed(bm->ref, pr->pair_decimals),
                                              jfixed(bm->ref, pr->pair_decimals)));
        json_object_set_new(e, "o", jfixed(bm->ref, pr->pair_decimals));
        json_object_set_new(r, pr->id, e);
    }
    vk_result(a, r);
}

/* ---- AddOrder (B.5.1, B.9) ---- */

/* What AddOrder asked for, checked. */
struct addreq {
    struct vk_order o;
    bool validate;
};

static int parse_oflags(const char *s, struct vk_order *o, bool *post, bool *viqc,
                        int *fee_flag, struct vk_answer *a)
{
    char buf[64], *save = NULL;
    *post = *viqc = false;
    *fee_flag = -1;
    if (!s)
        return 0;
    if (strlen(s) >= sizeof buf)
        goto bad;
    fb_vsim_copy_str(buf, sizeof buf, s);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "post") == 0)
            *post = true;
        else if (strcmp(t, "viqc") == 0)
            *viqc = true;
        else if (strcmp(t, "fcib") == 0 || strcmp(t, "fciq") == 0) {
            int f = strcmp(t, "fcib") == 0;
            if (*fee_flag >= 0 && *fee_flag != f)
                goto bad; /* fciq excludes fcib */
            *fee_flag = f;
        } else if (strcmp(t, "nompp") != 0) {
            goto bad;
        }
    }
    (void)o;
    return 0;
bad:
    vk_error(a, "EGeneral:Invalid arguments:oflags");
    return -1;
}

static int parse_add(struct fb_vsim_kraken *vk, struct vs_params *p, struct addreq *n,
                     int64_t now_ns, struct vk_answer *a)
{
    struct vk_order *o = &n->o;
    const char *pair = fb_vsim_param(p, "pair"), *type = fb_vsim_param(p, "type");
    const char *ot = fb_vsim_param(p, "ordertype"), *tif = fb_vsim_param(p, "timeinforce");
    const char *exp = fb_vsim_param(p, "expiretm"), *start = fb_vsim_param(p, "starttm");
    const char *kid = fb_vsim_param(p, "cl_ord_id"), *uref = fb_vsim_param(p, "userref");
    const char *trig = fb_vsim_param(p, "trigger"), *lev = fb_vsim_param(p, "leverage");
    const char *stp = fb_vsim_param(p, "stptype");
    struct fb_dec vol, price, price2, disp, basis, cost;
    bool post, viqc, reduce;
    int fee_flag, m;
    const struct fb_sim_market_params *mp;

    memset(n, 0, sizeof *n);
    (void)fb_vsim_param(p, "deadline"); /* accepted; the sim answers at once */
    if (!pair) {
        vk_error(a, "EGeneral:Invalid arguments:pair");
        return -1;
    }
    if ((m = pair_of(vk, pair)) < 0) {
        vk_error(a, "EQuery:Unknown asset pair");
        return -1;
    }
    o->pair = (size_t)m;
    mp = &vk->p.markets[m];
    if (!type || (strcmp(type, "buy") != 0 && strcmp(type, "sell") != 0)) {
        vk_error(a, "EGeneral:Invalid arguments:type");
        return -1;
    }
    o->buy = strcmp(type, "buy") == 0;
    if (!ot) {
        vk_error(a, "EGeneral:Invalid arguments:ordertype");
        return -1;
    }
    if (strcmp(ot, "market") != 0 && strcmp(ot, "limit") != 0 && strcmp(ot, "iceberg") != 0 &&
        !is_trigger(ot)) {
        /* trailing-stop(-limit) and settle-position are not simulated */
        vk_error(a, "EGeneral:Invalid arguments:ordertype");
        return -1;
    }
    if (strcmp(ot, "stop-loss") != 0 && strcmp(ot, "stop-loss-limit") != 0 &&
        strcmp(ot, "take-profit") != 0 && strcmp(ot, "take-profit-limit") != 0 &&
        is_trigger(ot)) {
        vk_error(a, "EGeneral:Invalid arguments:ordertype");
        return -1;
    }
    fb_vsim_copy_str(o->ordertype, sizeof o->ordertype, ot);
    if (get_dec(p, "volume", &vol, a) || get_dec(p, "price", &price, a) ||
        get_dec(p, "price2", &price2, a) || get_dec(p, "displayvol", &disp, a) ||
        get_bool(p, "validate", &n->validate, a) || get_bool(p, "reduce_only", &reduce, a))
        return -1;
    if (lev || reduce) {
        vk_error(a, "EOrder:Cannot open position"); /* spot only */
        return -1;
    }
    if (trig && strcmp(trig, "last") != 0) {
        vk_error(a, strcmp(trig, "index") == 0 ? "EGeneral:Invalid arguments:Index unavailable"
                                               : "EGeneral:Invalid arguments:trigger");
        return -1;
    }
    if (stp && strcmp(stp, "cancel-newest") != 0 && strcmp(stp, "cancel-oldest") != 0 &&
        strcmp(stp, "cancel-both") != 0) {
        vk_error(a, "EGeneral:Invalid arguments:stptype");
        return -1;
    }
    if (parse_oflags(fb_vsim_param(p, "oflags"), o, &post, &viqc, &fee_flag, a))
        return -1;
    if (fb_dec_sign(vol) <= 0) {
        vk_error(a, "EGeneral:Invalid arguments:volume");
        return -1;
    }
    /* Prices each type takes (B.5.1's table). */
    if (strcmp(ot, "market") == 0 ? fb_dec_sign(price) != 0 : fb_dec_sign(price) == 0) {
        vk_error(a, "EGeneral:Invalid arguments:price");
        return -1;
    }
    if (has_price2(ot) != (fb_dec_sign(price2) != 0)) {
        vk_error(a, "EGeneral:Invalid arguments:price2");
        return -1;
    }
    if ((strcmp(ot, "iceberg") == 0) != (fb_dec_sign(disp) != 0)) {
        vk_error(a, "EGeneral:Invalid arguments:displayvol");
        return -1;
    }
    if (post && strcmp(ot, "limit") != 0) {
        vk_error(a, "EGeneral:Invalid arguments:oflags"); /* post: limit only (B.9) */
        return -1;
    }
    if (viqc && (strcmp(ot, "market") != 0 || !o->buy)) {
        vk_error(a, "EGeneral:Invalid arguments:viqc"); /* market buys only (B.9) */
        return -1;
    }
    if (kid && uref) {
        vk_error(a, "EGeneral:Invalid arguments:cl_ord_id and userref cannot both be set");
        return -1;
    }
    if (kid && !kid_syntax(kid)) {
        vk_error(a, "EGeneral:Invalid arguments:cl_ord_id");
        return -1;
    }
    if (uref) {
        char *end;
        long long v = strtoll(uref, &end, 10);
        if (*end || v < INT32_MIN || v > INT32_MAX) {
            vk_error(a, "EGeneral:Invalid arguments:userref");
            return -1;
        }
        o->userref = v;
        o->has_userref = true;
    }
    /* timeinforce (REST has no FOK) and expiry. */
    o->req.tif = FB_VENUE_GTC;
    if (tif && strcmp(tif, "IOC") == 0)
        o->req.tif = FB_VENUE_IOC;
    else if ((tif && strcmp(tif, "GTD") == 0) || (!tif && exp && strcmp(exp, "0") != 0))
        o->req.tif = FB_VENUE_GTD;
    else if (tif && strcmp(tif, "GTC") != 0) {
        vk_error(a, "EGeneral:Invalid arguments:timeinforce");
        return -1;
    }
    if (exp && strcmp(exp, "0") != 0) {
        const char *d = exp[0] == '+' ? exp + 1 : exp;
        char *end;
        long long v = strtoll(d, &end, 10);
        int64_t now_s = now_ns / NS_PER_S;
        if (*end || end == d || v <= 0 || o->req.tif != FB_VENUE_GTD) {
            vk_error(a, "EGeneral:Invalid arguments:expiretm");
            return -1;
        }
        o->expire_s = exp[0] == '+' ? now_s + v : v;
        if (o->expire_s < now_s + 5 || o->expire_s > now_s + 31 * 86400) {
            vk_error(a, "EGeneral:Invalid arguments:expiretm");
            return -1;
        }
        o->req.expire_ns = o->expire_s * NS_PER_S;
    } else if (o->req.tif == FB_VENUE_GTD) {
        vk_error(a, "EGeneral:Invalid arguments:expiretm"); /* GTD needs expiretm */
        return -1;
    }
    if (start && strcmp(start, "0") != 0) {
        vk_error(a, "EGeneral:Invalid arguments:starttm"); /* scheduled starts: not simulated */
        return -1;
    }
    /* Precision, tick, minimums (B.4), in REFERENCE.md B.9's order. */
    if ((fb_dec_sign(price) && price_ok(vk, o->pair, "price", price, a)) ||
        (fb_dec_sign(price2) && price_ok(vk, o->pair, "price2", price2, a)))
        return -1;
    if (viqc) {
        /* volume is quote currency: cost_decimals, and costmin applies */
        if (fb_dec_places(vol) > vk->pairs[m].pair_decimals + 4) {
            vk_error(a, "EGeneral:Invalid arguments:volume");
            return -1;
        }
    } else if (vol_ok(vk, o->pair, "volume", vol, a) ||
               (fb_dec_sign(disp) && vol_ok(vk, o->pair, "displayvol", disp, a))) {
        return -1;
    }
    if (!viqc && fb_dec_cmp(vol, mp->min_qty) < 0) {
        vk_error(a, "EOrder:Order minimum not met");
        return -1;
    }
    if (fb_dec_sign(disp)) {
        struct fb_dec fifteen;
        if (fb_dec_cmp(disp, vol) > 0 ||
            fb_dec_mul(disp, fb_dec_from_int(15), FB_ROUND_HALF_EVEN, &fifteen) != FB_OK ||
            fb_dec_cmp(fifteen, vol) < 0) {
            vk_error(a, "EGeneral:Invalid arguments:displayvol"); /* >= volume/15 */
            return -1;
        }
    }
    if (fb_dec_sign(mp->min_notional) > 0) {
        basis = has_price2(ot) ? price2
                : fb_dec_sign(price) ? price
                : o->buy            ? vk->book.markets[m].ask
                                    : vk->book.markets[m].bid;
        if (viqc)
            cost = vol;
        else if (fb_dec_mul(vol, basis, FB_ROUND_DOWN, &cost) != FB_OK)
            cost = fb_dec_zero();
        if (fb_dec_cmp(cost, mp->min_notional) < 0) {
            vk_error(a, "EOrder:Cost minimum not met");
            return -1;
        }
    }
    if (kid)
        fb_vsim_copy_str(o->kid, sizeof o->kid, kid);
    o->price = price;
    o->price2 = price2;
    o->displayvol = disp;
    /* Kraken's fee default: quote when buying, base when selling (B.5.1). */
    o->fee_in_base = fee_flag >= 0 ? fee_flag == 1 : !o->buy;
    snprintf(o->oflags, sizeof o->oflags, "%s%s%s", post ? "post," : "", viqc ? "viqc," : "",
             o->fee_in_base ? "fcib" : "fciq");
    /* The book's order. */
    fb_vsim_copy_str(o->req.symbol, sizeof o->req.symbol, mp->symbol);
    o->req.side = o->buy ? FB_VENUE_BUY : FB_VENUE_SELL;
    if (viqc)
        o->req.quote_qty = vol;
    else
        o->req.qty = vol;
    o->req.post_only = post;
    if (strcmp(ot, "market") == 0) {
        o->req.type = FB_VENUE_MARKET;
        o->req.tif = FB_VENUE_IOC; /* timeinforce does not apply to market orders */
        o->req.expire_ns = 0;
        o->expire_s = 0;
    } else if (strcmp(ot, "limit") == 0 || strcmp(ot, "iceberg") == 0) {
        o->req.type = FB_VENUE_LIMIT;
        o->req.price = price;
        o->req.display_qty = disp;
    } else if (strncmp(ot, "stop-loss", 9) == 0) {
        o->req.type = has_price2(ot) ? FB_VENUE_STOP_LIMIT : FB_VENUE_STOP;
        o->req.stop_price = price;
        o->req.price = price2;
    } else { /* take-profit: waits outside the book, enters as market/limit */
        o->req.type = has_price2(ot) ? FB_VENUE_LIMIT : FB_VENUE_MARKET;
        o->req.price = price2;
        if (o->req.type == FB_VENUE_MARKET)
            o->req.tif = FB_VENUE_IOC;
    }
    return 0;
}

/* A stop-loss whose trigger the price has already reached triggers at once
 * (the book would refuse it as "would trigger"). */
static void trigger_now(const struct fb_vsim_kraken *vk, struct vk_order *o)
{
    struct fb_dec ref = vk->book.markets[o->pair].ref;
    int c;
    if (o->req.type != FB_VENUE_STOP && o->req.type != FB_VENUE_STOP_LIMIT)
        return;
    c = fb_dec_cmp(ref, o->req.stop_price);
    if (o->buy ? c < 0 : c > 0)
        return;
    o->stopped = true;
    o->req.stop_price = fb_dec_zero();
    if (o->req.type == FB_VENUE_STOP) {
        o->req.type = FB_VENUE_MARKET;
        o->req.tif = FB_VENUE_IOC;
    } else {
        o->req.type = FB_VENUE_LIMIT;
    }
}

static void book_reject(struct fb_vsim_kraken *vk, struct vk_answer *a)
{
    switch (vk->rej.reason) {
    case FB_VRR_POST_ONLY:
        vk_error(a, "EOrder:Post only order");
        break;
    case FB_VRR_FILTER:
        vk_error(a, "EOrder:Invalid order");
        break;
    case FB_VRR_EXPIRED:
        vk_error(a, "EGeneral:Invalid arguments:expiretm");
        break;
    case FB_VRR_DUPLICATE_ID:
        vk_error(a, "EOrder:Duplicate cl_ord_id");
        break;
    default:
        vk_error(a, "EOrder:Invalid order");
        break;
    }
}

void vk_add_order(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                  int64_t now_ns, bool *placed)
{
    struct addreq n;
    struct vk_order *o;
    struct vs_count *cnt;
    char text[160];
    size_t i = vk->n_orders;

    *placed = false;
    if (parse_add(vk, p, &n, now_ns, a))
        return;
    order_text(vk, &n.o, fb_dec_sign(n.o.req.qty) ? n.o.req.qty : n.o.req.quote_qty, text,
               sizeof text);
    if (n.validate) {
        vk_result(a, json_pack("{s:{s:s}}", "descr", "order", text));
        return;
    }
    /* cl_ord_id: unique among open orders only (B.5.1). The exact error
     * text is not documented (REFERENCE.md G.2). */
    for (size_t k = 0; n.o.kid[0] && k < vk->n_orders; k++)
        if (strcmp(vk->orders[k].kid, n.o.kid) == 0 && status_of(vk, k) == VK_OPEN) {
            vk_error(a, "EOrder:Duplicate cl_ord_id");
            return;
        }
    if (vk->n_orders == vk->cap_orders) {
        size_t cap = vk->cap_orders ? vk->cap_orders * 2 : 64;
        void *np = realloc(vk->orders, cap * sizeof *vk->orders);
        if (!np) {
            vk_error(a, "EService:Unavailable");
            return;
        }
        vk->orders = np;
        vk->cap_orders = cap;
    }
    o = &vk->orders[i];
    *o = n.o;
    make_id('O', i, vk->p.seed, o->txid);
    o->open_ns = now_ns;
    vk->n_orders++;
    if (strncmp(o->ordertype, "take-profit", 11) == 0 && !tp_reached(vk, o)) {
        o->held = VK_OPEN; /* waits for its price (check_waiting) */
    } else {
        o->touched = strncmp(o->ordertype, "take-profit", 11) == 0;
        trigger_now(vk, o);
        if (to_book(vk, i, now_ns) != 0) {
            vk->n_orders--;
            if (vk->got_rej)
                book_reject(vk, a);
            else
                vk_error(a, "EGeneral:Internal error");
            return;
        }
    }
    if (o->kid[0] && (cnt = fb_vsim_count(&vk->counts, o->kid)))
        cnt->orders++;
    *placed = true;
    vk_result(a, json_pack("{s:{s:s},s:[s]}", "descr", "order", text, "txid", o->txid));
}

/* ---- cancel, amend ---- */

/* The open order named by txid or cl_ord_id (exactly one given); -1 with
 * EOrder:Unknown order (B.6) if none. */
static long find_open(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a)
{
    const char *txid = fb_vsim_param(p, "txid"), *kid = fb_vsim_param(p, "cl_ord_id");
    if (!txid == !kid) {
        vk_error(a, "EGeneral:Invalid arguments:txid or cl_ord_id");
        return -1;
    }
    for (size_t i = vk->n_orders; i-- > 0;) {
        const struct vk_order *o = &vk->orders[i];
        if (txid ? strcmp(o->txid, txid) != 0 : strcmp(o->kid, kid) != 0)
            continue;
        if (status_of(vk, i) == VK_OPEN)
            return (long)i;
        if (txid)
            break;
    }
    vk_error(a, "EOrder:Unknown order");
    return -1;
}

static int cancel_one(struct fb_vsim_kraken *vk, size_t i, int64_t now_ns)
{
    struct vk_order *o = &vk->orders[i];
    struct fb_venue_cancel c;
    if (!o->in_book) {
        o->held = VK_CANCELED;
        o->close_ns = now_ns;
        o->user_canceled = true;
        return 0;
    }
    memset(&c, 0, sizeof c);
    book_id(o, i, c.client_order_id, sizeof c.client_order_id);
    snprintf(c.request_id, sizeof c.request_id, "x%zu", i);
    vk->got_rej = false;
    if (fb_sim_book_cancel(&vk->book, &c, now_ns) != FB_OK || vk->got_rej)
        return -1;
    o->user_canceled = true;
    return 0;
}

void vk_cancel_order(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                     int64_t now_ns)
{
    const char *txid = fb_vsim_param(p, "txid");
    long i;
    int64_t count = 0;
    if (txid && txid[0] && strspn(txid, "-0123456789") == strlen(txid)) {
        /* a userref cancels every open order carrying it (B.5.2) */
        long long ref = strtoll(txid, NULL, 10);
        for (size_t k = 0; k < vk->n_orders; k++)
            if (vk->orders[k].has_userref && vk->orders[k].userref == ref &&
                status_of(vk, k) == VK_OPEN && cancel_one(vk, k, now_ns) == 0)
                count++;
        vk_result(a, json_pack("{s:I}", "count", (json_int_t)count));
        return;
    }
    if ((i = find_open(vk, p, a)) < 0)
        return;
    if (cancel_one(vk, (size_t)i, now_ns) != 0) {
        vk_error(a, "EOrder:Unknown order");
        return;
    }
    vk_result(a, json_pack("{s:i}", "count", 1));
}

void vk_cancel_all(struct fb_vsim_kraken *vk, struct vk_answer *a, int64_t now_ns)
{
    int64_t count = 0;
    for (size_t k = 0; k < vk->n_orders; k++)
        if (status_of(vk, k) == VK_OPEN && cancel_one(vk, k, now_ns) == 0)
            count++;
    vk_result(a, json_pack("{s:I}", "count", (json_int_t)count));
}

void vk_amend_order(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                    int64_t now_ns)
{
    struct fb_dec qty, limit, trig, disp;
    struct vk_order *o;
    const char *lp = fb_vsim_param(p, "limit_price"), *tp = fb_vsim_param(p, "trigger_price");
    bool post;
    char amend_id[VK_TXID_LEN + 1];
    long i;

    (void)fb_vsim_param(p, "deadline");
    if ((lp && (lp[0] == '+' || lp[0] == '-' || strchr(lp, '%'))) ||
        (tp && (tp[0] == '+' || tp[0] == '-' || strchr(tp, '%')))) {
        /* relative prices: not simulated */
        vk_error(a, "EGeneral:Invalid arguments:relative prices are not supported");
        return;
    }
    if (get_dec(p, "order_qty", &qty, a) || get_dec(p, "limit_price", &limit, a) ||
        get_dec(p, "trigger_price", &trig, a) || get_dec(p, "display_qty", &disp, a) ||
        get_bool(p, "post_only", &post, a))
        return;
    if ((i = find_open(vk, p, a)) < 0)
        return;
    o = &vk->orders[i];
    if (strcmp(o->ordertype, "market") == 0 || (o->in_book && o->req.type == FB_VENUE_MARKET)) {
        vk_error(a, "EOrder:Invalid order"); /* nothing left to amend */
        return;
    }
    if (fb_dec_sign(limit) &&
        (is_trigger(o->ordertype) && !has_price2(o->ordertype))) {
        vk_error(a, "EGeneral:Invalid arguments:limit_price");
        return;
    }
    if (fb_dec_sign(trig) && !is_trigger(o->ordertype)) {
        vk_error(a, "EGeneral:Invalid arguments:trigger_price");
        return;
    }
    if (fb_dec_sign(disp) && strcmp(o->ordertype, "iceberg") != 0) {
        vk_error(a, "EGeneral:Invalid arguments:display_qty");
        return;
    }
    if ((fb_dec_sign(limit) && price_ok(vk, o->pair, "limit_price", limit, a)) ||
        (fb_dec_sign(trig) && price_ok(vk, o->pair, "trigger_price", trig, a)) ||
        (fb_dec_sign(qty) && vol_ok(vk, o->pair, "order_qty", qty, a)))
        return;
    if (!fb_dec_sign(qty) && !fb_dec_sign(limit) && !fb_dec_sign(trig) && !fb_dec_sign(disp)) {
        vk_error(a, "EGeneral:Invalid arguments:nothing to amend");
        return;
    }
    if (o->in_book) {
        struct fb_venue_replace r;
        const struct fb_sim_order *b = book_of(vk, (size_t)i);
        memset(&r, 0, sizeof r);
        book_id(o, (size_t)i, r.client_order_id, sizeof r.client_order_id);
        o->n_ids++;
        book_id(o, (size_t)i, r.new_client_order_id, sizeof r.new_client_order_id);
        r.qty = fb_dec_sign(qty) ? qty : b->qty;
        r.price = limit;
        /* a triggered stop-loss(-limit) keeps its (spent) trigger */
        r.stop_price = b->req.type == FB_VENUE_STOP || b->req.type == FB_VENUE_STOP_LIMIT
                           ? trig
                           : fb_dec_zero();
        vk->got_rej = false;
        if (fb_sim_book_replace(&vk->book, &r, now_ns) != FB_OK || vk->got_rej) {
            o->n_ids--;
            if (vk->got_rej && vk->rej.reason == FB_VRR_POST_ONLY)
                vk_error(a, "EOrder:Post only order");
            else if (vk->got_rej && vk->rej.reason == FB_VRR_TOO_LATE)
                vk_error(a, "EOrder:Unknown order");
            else
                vk_error(a, "EOrder:Invalid order");
            return;
        }
        o->req.qty = r.qty;
    } else {
        if (fb_dec_sign(qty))
            o->req.qty = qty;
        if (fb_dec_sign(limit))
            o->req.price = limit;
    }
    if (fb_dec_sign(limit)) {
        if (has_price2(o->ordertype))
            o->price2 = limit;
        else
            o->price = limit;
    }
    if (fb_dec_sign(trig))
        o->price = trig;
    if (fb_dec_sign(disp))
        o->displayvol = disp;
    o->amended = true;
    make_id('T', 1000000u + (uint64_t)i * 64u + o->n_ids, vk->p.seed ^ 0x616d656e64ULL, amend_id);
    vk_result(a, json_pack("{s:s}", "amend_id", amend_id));
    check_waiting(vk, now_ns); /* an amended take-profit may be reached now */
}

/* ---- queries ---- */

/* Splits a comma list into at most max items; -1 if more or empty. */
static int split(const char *s, char items[][VK_KID_MAX + 1], size_t max, size_t *n)
{
    char buf[VS_VAL_MAX + 1], *save = NULL;
    *n = 0;
    fb_vsim_copy_str(buf, sizeof buf, s);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == max || strlen(t) > VK_KID_MAX)
            return -1;
        fb_vsim_copy_str(items[(*n)++], VK_KID_MAX + 1, t);
    }
    return *n ? 0 : -1;
}

void vk_query_orders(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a)
{
    const char *list = fb_vsim_param(p, "txid"), *uref = fb_vsim_param(p, "userref");
    char ids[LIST_MAX][VK_KID_MAX + 1];
    bool trades;
    size_t n;
    json_t *r;
    (void)fb_vsim_param(p, "consolidate_taker");
    if (get_bool(p, "trades", &trades, a))
        return;
    if (!list || split(list, ids, LIST_MAX, &n)) {
        vk_error(a, "EGeneral:Invalid arguments:txid");
        return;
    }
    r = json_object();
    for (size_t k = 0; k < n; k++) {
        size_t i;
        for (i = 0; i < vk->n_orders && strcmp(vk->orders[i].txid, ids[k]) != 0; i++)
            ;
        if (i == vk->n_orders) {
            json_decref(r);
            vk_error(a, "EOrder:Unknown order");
            return;
        }
        if (uref && (!vk->orders[i].has_userref ||
                     vk->orders[i].userref != strtoll(uref, NULL, 10)))
            continue;
        json_object_set_new(r, vk->orders[i].txid, order_json(vk, i, trades));
    }
    vk_result(a, r);
}

static int64_t closed_at(const struct fb_vsim_kraken *vk, size_t i)
{
    return vk->orders[i].close_ns ? vk->orders[i].close_ns : vk->orders[i].open_ns;
}

void vk_list_orders(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                    bool open)
{
    const char *kid = fb_vsim_param(p, "cl_ord_id"), *uref = fb_vsim_param(p, "userref");
    const char *ofs_s = open ? NULL : fb_vsim_param(p, "ofs");
    bool trades;
    size_t *idx, n = 0, ofs = ofs_s ? (size_t)strtoull(ofs_s, NULL, 10) : 0;
    json_t *m = json_object();

    if (!open) {
        /* time window filters: accepted, every closed order is in range */
        (void)fb_vsim_param(p, "start");
        (void)fb_vsim_param(p, "end");
        (void)fb_vsim_param(p, "closetime");
        (void)fb_vsim_param(p, "consolidate_taker");
        (void)fb_vsim_param(p, "without_count");
    }
    if (get_bool(p, "trades", &trades, a) || !(idx = calloc(vk->n_orders + 1, sizeof *idx))) {
        json_decref(m);
        return;
    }
    for (size_t i = 0; i < vk->n_orders; i++) {
        if ((status_of(vk, i) == VK_OPEN) != open)
            continue;
        if (kid && strcmp(vk->orders[i].kid, kid) != 0)
            continue;
        if (uref && (!vk->orders[i].has_userref ||
                     vk->orders[i].userref != strtoll(uref, NULL, 10)))
            continue;
        idx[n++] = i;
    }
    if (!open) {
        /* newest first by close time (insertion sort: lists are short) */
        for (size_t x = 1; x < n; x++)
            for (size_t y = x; y > 0 && closed_at(vk, idx[y]) > closed_at(vk, idx[y - 1]); y--) {
                size_t t = idx[y];
                idx[y] = idx[y - 1];
                idx[y - 1] = t;
            }
    }
    for (size_t k = open ? 0 : ofs; k < n && (open || k < ofs + LIST_MAX); k++)
        json_object_set_new(m, vk->orders[idx[k]].txid, order_json(vk, idx[k], trades));
    free(idx);
    if (open)
        vk_result(a, json_pack("{s:o}", "open", m));
    else
        vk_result(a, json_pack("{s:o,s:I}", "closed", m, "count", (json_int_t)n));
}

void vk_query_trades(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a)
{
    const char *list = fb_vsim_param(p, "txid");
    char ids[TRADES_MAX][VK_KID_MAX + 1];
    bool with;
    size_t n;
    json_t *r;
    if (get_bool(p, "trades", &with, a))
        return;
    if (!list || split(list, ids, TRADES_MAX, &n)) {
        vk_error(a, "EGeneral:Invalid arguments:txid");
        return;
    }
    r = json_object();
    for (size_t k = 0; k < n; k++) {
        size_t t;
        for (t = 0; t < vk->n_trades && strcmp(vk->trades[t].id, ids[k]) != 0; t++)
            ;
        if (t == vk->n_trades) {
            json_decref(r);
            vk_error(a, "EGeneral:Invalid arguments:txid");
            return;
        }
        const struct vk_trade *x = &vk->trades[t];
        const struct vk_order *o = &vk->orders[x->order];
        const struct vk_pair *pr = &vk->pairs[o->pair];
        char postxid[VK_TXID_LEN + 1];
        make_id('T', t, vk->p.seed ^ 0x706f73ULL, postxid);
        json_t *e = json_object();
        json_object_set_new(e, "ordertxid", json_string(o->txid));
        json_object_set_new(e, "postxid", json_string(postxid));
        json_object_set_new(e, "pair", json_string(pr->id));
        json_object_set_new(e, "time", jtime(x->ts_ns));
        json_object_set_new(e, "type", json_string(o->buy ? "buy" : "sell"));
        json_object_set_new(e, "ordertype", json_string(o->ordertype));
        json_object_set_new(e, "price", jfixed(x->price, pr->pair_decimals));
        json_object_set_new(e, "cost", fb_vsim_jdec(x->cost));
        json_object_set_new(e, "fee", fb_vsim_jdec(x->fee));
        json_object_set_new(e, "vol", jfixed(x->qty, pr->lot_decimals));
        json_object_set_new(e, "margin", json_string("0.00000"));
        json_object_set_new(e, "misc", json_string(""));
        json_object_set_new(e, "maker", json_boolean(x->maker));
        json_object_set_new(e, "trade_id", json_integer((json_int_t)t + 1));
        json_object_set_new(r, x->id, e);
    }
    vk_result(a, r);
}

/* ---- control ---- */

void vk_set_price(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                  int64_t now_ns)
{
    const char *sym = fb_vsim_param(p, "symbol");
    struct fb_dec px;
    int m = sym ? pair_of(vk, sym) : -1;
    if (m < 0) {
        vk_error(a, "EQuery:Unknown asset pair");
        return;
    }
    if (get_dec(p, "price", &px, a) || price_ok(vk, (size_t)m, "price", px, a))
        return;
    if (fb_vsim_move_price(&vk->book, &vk->p, (size_t)m, px, now_ns) != FB_OK) {
        vk_error(a, "EGeneral:Internal error:price move failed");
        return;
    }
    check_waiting(vk, now_ns);
    vk_result(a, fb_vsim_price_json(&vk->book, (size_t)m, vk->pairs[m].altname));
}

void vk_report(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a)
{
    const char *kid = fb_vsim_param(p, "clientOrderId");
    json_t *orders = json_array(), *counts = json_array(), *j;
    for (size_t i = 0; i < vk->n_orders; i++) {
        const struct vk_order *o = &vk->orders[i];
        struct fb_dec vol = o->req.qty, exec = fb_dec_zero();
        size_t nt = 0;
        if (kid && strcmp(kid, o->kid) != 0)
            continue;
        if (o->in_book) {
            vol = book_of(vk, i)->qty;
            exec = book_of(vk, i)->cum_qty;
        }
        for (size_t t = 0; t < vk->n_trades; t++)
            nt += vk->trades[t].order == i;
        json_array_append_new(
            orders, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:b}", "clientOrderId",
                              o->kid, "txid", o->txid, "symbol", vk->pairs[o->pair].altname,
                              "side", o->buy ? "buy" : "sell", "type", o->ordertype, "status",
                              status_name(status_of(vk, i)), "vol", fb_vsim_jdec(vol), "vol_exec",
                              fb_vsim_jdec(exec), "trades", (int)nt, "amended", o->amended));
    }
    json_decref(counts);
    counts = fb_vsim_counts_json(&vk->counts, kid);
    /* Not Kraken's envelope: the tests' own report, like venue-sim binance's. */
    j = json_pack("{s:o,s:o,s:i}", "orders", orders, "counts", counts, "trades",
                  (int)vk->n_trades);
    free(a->body);
    a->http = 200;
    a->body = fb_vsim_dumps(j);
}
