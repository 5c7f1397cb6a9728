/*
 * The sim's matching core (rules in sim_book.h). Only sim.c calls it.
 */
#include "adapters/sim_book.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        err = (expr);                                                                              \
        if (err != FB_OK)                                                                          \
            goto out;                                                                              \
    } while (0)

#define NS_PER_DAY (86400LL * 1000000000LL)

/* Venue texts, Binance-like so that operators recognise them. */
#define TXT_DUPLICATE "Duplicate order sent."
#define TXT_UNKNOWN_SYMBOL "Invalid symbol."
#define TXT_UNKNOWN_ORDER "Unknown order sent."
#define TXT_CLOSED "Order is already closed."
#define TXT_PRICE_FILTER "Filter failure: PRICE_FILTER"
#define TXT_LOT_SIZE "Filter failure: LOT_SIZE"
#define TXT_MIN_NOTIONAL "Filter failure: MIN_NOTIONAL"
#define TXT_POST_ONLY "Order would immediately match and take."
#define TXT_WOULD_TRIGGER "Order would trigger immediately."
#define TXT_EXPIRE_PAST "Order expire time is in the past."
#define TXT_UNSUPPORTED "Unsupported order combination."
#define TXT_AMEND_MARKET "Market orders cannot be amended."
#define TXT_TRIGGERED "Stop order already triggered."
#define TXT_PRICE_NOT_REQUIRED "Parameter 'price' sent when not required."
#define TXT_STOP_NOT_REQUIRED "Parameter 'stopPrice' sent when not required."
#define TXT_TOO_MANY "Too many orders."

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool is_open(const struct fb_sim_order *o)
{
    return o->state == FB_VOS_NEW || o->state == FB_VOS_PARTIALLY_FILLED;
}

static bool is_buy(const struct fb_sim_order *o)
{
    return o->req.side == FB_VENUE_BUY;
}

/* Behaves as a market order now: MARKET, or a STOP that has triggered. */
static bool acts_as_market(const struct fb_sim_order *o)
{
    return o->req.type == FB_VENUE_MARKET || o->req.type == FB_VENUE_STOP;
}

static int64_t day_end(int64_t t)
{
    int64_t d = t / NS_PER_DAY;
    if (t < 0 && t % NS_PER_DAY != 0)
        d--;
    return (d + 1) * NS_PER_DAY;
}

/* ---- the id index: every client order id ever accepted -> order ---- */

static uint64_t id_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static long id_find(const struct fb_sim_book *b, const char *id)
{
    if (b->cap_ids == 0 || id[0] == '\0')
        return -1;
    size_t mask = b->cap_ids - 1;
    for (size_t i = id_hash(id) & mask; b->ids[i].id[0]; i = (i + 1) & mask) {
        if (strcmp(b->ids[i].id, id) == 0)
            return (long)b->ids[i].order;
    }
    return -1;
}

static void id_put(struct fb_sim_id_slot *tab, size_t cap, const char *id, uint32_t order)
{
    size_t mask = cap - 1;
    size_t i = id_hash(id) & mask;
    while (tab[i].id[0])
        i = (i + 1) & mask;
    copy_str(tab[i].id, sizeof tab[i].id, id);
    tab[i].order = order;
}

static enum fb_err id_insert(struct fb_sim_book *b, const char *id, uint32_t order)
{
    /* Half full at most, so probes stay short and always end. */
    if ((b->n_ids + 1) * 2 > b->cap_ids) {
        size_t cap = b->cap_ids ? b->cap_ids * 2 : 64;
        struct fb_sim_id_slot *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return FB_ERR_NOMEM;
        for (size_t i = 0; i < b->cap_ids; i++) {
            if (b->ids[i].id[0])
                id_put(tab, cap, b->ids[i].id, b->ids[i].order);
        }
        free(b->ids);
        b->ids = tab;
        b->cap_ids = cap;
    }
    id_put(b->ids, b->cap_ids, id, order);
    b->n_ids++;
    return FB_OK;
}

/* Grows *arr (of elem-sized items) to hold one more than n. */
static enum fb_err grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return FB_OK;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return FB_ERR_NOMEM;
    *arr = p;
    *cap = ncap;
    return FB_OK;
}

/* Drops closed orders from the open list, keeping arrival order. */
static void compact_open(struct fb_sim_book *b)
{
    size_t w = 0;
    for (size_t r = 0; r < b->n_open; r++) {
        if (is_open(&b->orders[b->open[r]]))
            b->open[w++] = b->open[r];
    }
    b->n_open = w;
}

/* ---- events ---- */

static void ev_init(struct fb_venue_event *ev, enum fb_venue_event_kind kind,
                    const struct fb_sim_order *o, int64_t t)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->ts_ns = t;
    if (o) {
        copy_str(ev->client_order_id, sizeof ev->client_order_id, o->req.client_order_id);
        copy_str(ev->venue_order_id, sizeof ev->venue_order_id, o->venue_order_id);
        copy_str(ev->symbol, sizeof ev->symbol, o->req.symbol);
    }
}

static enum fb_err emit_reject(struct fb_sim_book *b, struct fb_venue_event *ev,
                               enum fb_venue_reject_reason reason, const char *code,
                               const char *text)
{
    ev->u.rej.cls = FB_VREJ_FINAL;
    ev->u.rej.reason = reason;
    copy_str(ev->u.rej.code, sizeof ev->u.rej.code, code);
    copy_str(ev->u.rej.text, sizeof ev->u.rej.text, text);
    return b->emit(b->emit_user, ev);
}

static struct fb_dec leaves_of(const struct fb_sim_order *o)
{
    struct fb_dec l;
    if (!is_open(o) || fb_dec_sub(o->qty, o->cum_qty, &l) != FB_OK || fb_dec_sign(l) < 0)
        return fb_dec_zero();
    return l;
}

static enum fb_err close_with(struct fb_sim_book *b, struct fb_sim_order *o,
                              enum fb_venue_event_kind kind, int reason, int64_t t,
                              const char *request_id)
{
    struct fb_venue_event ev;
    ev_init(&ev, kind, o, t);
    if (request_id)
        copy_str(ev.request_id, sizeof ev.request_id, request_id);
    if (kind == FB_VEV_EXPIRED) {
        ev.u.expired.reason = (enum fb_venue_expire_reason)reason;
        ev.u.expired.cum_qty = o->cum_qty;
        o->state = FB_VOS_EXPIRED;
    } else {
        ev.u.canceled.reason = (enum fb_venue_cancel_reason)reason;
        ev.u.canceled.cum_qty = o->cum_qty;
        o->state = FB_VOS_CANCELED;
    }
    return b->emit(b->emit_user, &ev);
}

/* ---- filters ---- */

/*
 * Venue filters on terms (zero price/stop = none): the first failure's text
 * in *fail, or NULL. notional_px prices qty for MIN_NOTIONAL; check_size
 * false skips min/max qty and notional (a replace down to the filled qty).
 */
static enum fb_err check_filters(const struct fb_venue_market *r, struct fb_dec qty,
                                 struct fb_dec price, struct fb_dec stop, struct fb_dec display,
                                 struct fb_dec notional_px, bool check_size, const char **fail)
{
    enum fb_err err = FB_OK;
    struct fb_dec notional;
    *fail = NULL;
    if ((fb_dec_sign(price) > 0 && !fb_dec_is_multiple(price, r->tick_size)) ||
        (fb_dec_sign(stop) > 0 && !fb_dec_is_multiple(stop, r->tick_size))) {
        *fail = TXT_PRICE_FILTER;
        goto out;
    }
    if (fb_dec_sign(qty) <= 0 || !fb_dec_is_multiple(qty, r->step_size) ||
        (fb_dec_sign(display) > 0 && !fb_dec_is_multiple(display, r->step_size))) {
        *fail = TXT_LOT_SIZE;
        goto out;
    }
    if (!check_size)
        goto out;
    if (fb_dec_cmp(qty, r->min_qty) < 0 ||
        (fb_dec_sign(r->max_qty) > 0 && fb_dec_cmp(qty, r->max_qty) > 0)) {
        *fail = TXT_LOT_SIZE;
        goto out;
    }
    TRY(fb_dec_mul(qty, notional_px, FB_ROUND_HALF_EVEN, &notional));
    if (fb_dec_cmp(notional, r->min_notional) < 0)
        *fail = TXT_MIN_NOTIONAL;
out:
    return err;
}

static bool crosses(const struct fb_sim_book_market *mk, enum fb_venue_side side,
                    struct fb_dec price)
{
    if (side == FB_VENUE_BUY)
        return fb_dec_cmp(mk->ask, price) <= 0;
    return fb_dec_cmp(mk->bid, price) >= 0;
}

static bool stop_reached(const struct fb_sim_book_market *mk, enum fb_venue_side side,
                         struct fb_dec stop)
{
    if (side == FB_VENUE_BUY)
        return fb_dec_cmp(mk->ref, stop) >= 0;
    return fb_dec_cmp(mk->ref, stop) <= 0;
}

/* ---- matching ---- */

static enum fb_err set_part(const struct fb_sim_book *b, struct fb_sim_order *o)
{
    enum fb_err err = FB_OK;
    struct fb_dec q;
    const struct fb_venue_market *r = &b->markets[o->market].rules;
    if (b->fill_mode == FB_SIM_FILL_FULL) {
        o->part = o->qty;
        goto out;
    }
    TRY(fb_dec_div(o->qty, fb_dec_from_int(b->parts), FB_DEC_PLACES, FB_ROUND_DOWN, &q));
    TRY(fb_dec_round_to(q, r->step_size, FB_ROUND_DOWN, &o->part));
    if (fb_dec_is_zero(o->part))
        o->part = r->step_size;
out:
    return err;
}

static enum fb_err fill(struct fb_sim_book *b, struct fb_sim_order *o, struct fb_dec qty,
                        struct fb_dec px, enum fb_venue_liquidity liq, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_dec value;
    const struct fb_dec rate = liq == FB_VLIQ_MAKER ? b->maker_rate : b->taker_rate;

    ev_init(&ev, FB_VEV_FILL, o, t);
    TRY(fb_dec_mul(qty, px, FB_ROUND_HALF_EVEN, &value));
    TRY(fb_dec_mul(value, rate, FB_ROUND_HALF_EVEN, &ev.u.fill.fee));
    TRY(fb_dec_add(o->cum_qty, qty, &o->cum_qty));
    TRY(fb_dec_add(o->notional, value, &o->notional));
    o->parts_done++;
    o->state = fb_dec_cmp(o->cum_qty, o->qty) >= 0 ? FB_VOS_FILLED : FB_VOS_PARTIALLY_FILLED;

    snprintf(ev.u.fill.trade_id, sizeof ev.u.fill.trade_id, "%" PRIu64, ++b->next_trade_id);
    ev.u.fill.qty = qty;
    ev.u.fill.price = px;
    copy_str(ev.u.fill.fee_currency, sizeof ev.u.fill.fee_currency,
             b->markets[o->market].rules.quote);
    ev.u.fill.liquidity = liq;
    ev.u.fill.cum_qty = o->cum_qty;
    ev.u.fill.leaves_qty = leaves_of(o);
    err = b->emit(b->emit_user, &ev);
out:
    return err;
}

/*
 * One matching step for an active order (not an untriggered stop). first:
 * the order has just arrived or triggered, so IOC/FOK decide now.
 */
static enum fb_err step(struct fb_sim_book *b, struct fb_sim_order *o, int64_t t, bool first)
{
    enum fb_err err = FB_OK;
    const struct fb_sim_book_market *mk = &b->markets[o->market];
    const struct fb_dec touch = is_buy(o) ? mk->ask : mk->bid;
    bool cross = acts_as_market(o) || crosses(mk, o->req.side, o->req.price);
    struct fb_dec leaves = leaves_of(o), amount;

    o->acted_ns = t;
    if (first && o->req.tif == FB_VENUE_FOK) {
        /* Liquidity at the touch is unlimited: FOK fills whole or not at all. */
        if (cross)
            err = fill(b, o, leaves, touch, FB_VLIQ_TAKER, t);
        else
            err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_FOK_UNFILLED, t, NULL);
        goto out;
    }
    if (cross) {
        amount = leaves;
        if (o->parts_done + 1 < b->parts || b->fill_mode == FB_SIM_FILL_FULL)
            amount = fb_dec_min(o->part, leaves);
        if (o->resting)
            TRY(fill(b, o, amount, o->req.price, FB_VLIQ_MAKER, t));
        else
            TRY(fill(b, o, amount, touch, FB_VLIQ_TAKER, t));
    } else {
        o->resting = true;
    }
    if (first && o->req.tif == FB_VENUE_IOC && is_open(o))
        err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_IOC_REMAINDER, t, NULL);
out:
    return err;
}

/* ---- public ---- */

enum fb_err fb_sim_book_init(struct fb_sim_book *b, const struct fb_sim_params *p,
                             enum fb_err (*emit)(void *user, const struct fb_venue_event *ev),
                             void *user)
{
    enum fb_err err = FB_OK;
    memset(b, 0, sizeof *b);
    b->n_markets = p->n_markets;
    b->maker_rate = p->maker_fee_rate;
    b->taker_rate = p->taker_fee_rate;
    b->fill_mode = p->fill_mode;
    b->parts = p->fill_mode == FB_SIM_FILL_PARTIAL ? p->partial_fill_parts : 1;
    b->emit = emit;
    b->emit_user = user;
    for (size_t i = 0; i < p->n_markets; i++) {
        const struct fb_sim_market_params *mp = &p->markets[i];
        struct fb_venue_market *r = &b->markets[i].rules;
        copy_str(r->symbol, sizeof r->symbol, mp->symbol);
        copy_str(r->base, sizeof r->base, mp->base);
        copy_str(r->quote, sizeof r->quote, mp->quote);
        r->tick_size = mp->tick_size;
        r->step_size = mp->step_size;
        r->min_qty = mp->min_qty;
        r->max_qty = mp->max_qty;
        r->min_notional = mp->min_notional;
        TRY(fb_sim_book_set_touch(b, i, mp->reference_price, mp->spread_bps));
    }
out:
    return err;
}

void fb_sim_book_free(struct fb_sim_book *b)
{
    free(b->orders);
    free(b->open);
    free(b->ids);
    b->orders = NULL;
    b->open = NULL;
    b->ids = NULL;
    b->n_orders = b->n_open = b->n_ids = 0;
    b->cap_orders = b->cap_open = b->cap_ids = 0;
}

int fb_sim_book_market_index(const struct fb_sim_book *b, const char *symbol)
{
    for (size_t i = 0; i < b->n_markets; i++) {
        if (strcmp(b->markets[i].rules.symbol, symbol) == 0)
            return (int)i;
    }
    return -1;
}

enum fb_err fb_sim_order_check(const struct fb_venue_order *o)
{
    const bool has_qty = fb_dec_sign(o->qty) > 0;
    const bool has_quote = fb_dec_sign(o->quote_qty) > 0;
    const bool has_price = fb_dec_sign(o->price) > 0;
    const bool has_stop = fb_dec_sign(o->stop_price) > 0;

    if (!memchr(o->client_order_id, '\0', sizeof o->client_order_id) ||
        !fb_venue_clordid_valid(o->client_order_id))
        return FB_ERR_INVALID;
    if (!memchr(o->symbol, '\0', sizeof o->symbol) || o->symbol[0] == '\0')
        return FB_ERR_INVALID;
    if ((unsigned)o->side > FB_VENUE_SELL || (unsigned)o->type > FB_VENUE_STOP_LIMIT ||
        (unsigned)o->tif > FB_VENUE_GTD)
        return FB_ERR_INVALID;
    if (fb_dec_sign(o->qty) < 0 || fb_dec_sign(o->quote_qty) < 0 || fb_dec_sign(o->price) < 0 ||
        fb_dec_sign(o->stop_price) < 0 || fb_dec_sign(o->display_qty) < 0)
        return FB_ERR_INVALID;
    if (has_qty == has_quote) /* exactly one way to size an order */
        return FB_ERR_INVALID;
    if (has_quote && o->type != FB_VENUE_MARKET)
        return FB_ERR_INVALID;
    switch (o->type) {
    case FB_VENUE_MARKET:
        if (has_price || has_stop)
            return FB_ERR_INVALID;
        break;
    case FB_VENUE_LIMIT:
        if (!has_price || has_stop)
            return FB_ERR_INVALID;
        break;
    case FB_VENUE_STOP:
        if (has_price || !has_stop)
            return FB_ERR_INVALID;
        break;
    case FB_VENUE_STOP_LIMIT:
        if (!has_price || !has_stop)
            return FB_ERR_INVALID;
        break;
    }
    if (o->post_only && o->type != FB_VENUE_LIMIT)
        return FB_ERR_INVALID;
    if (fb_dec_sign(o->display_qty) > 0 &&
        ((o->type != FB_VENUE_LIMIT && o->type != FB_VENUE_STOP_LIMIT) ||
         fb_dec_cmp(o->display_qty, o->qty) >= 0))
        return FB_ERR_INVALID;
    if (o->tif == FB_VENUE_GTD && o->expire_ns <= 0)
        return FB_ERR_INVALID;
    return FB_OK;
}

enum fb_err fb_sim_touch(struct fb_dec ref, struct fb_dec tick, uint32_t spread_bps,
                         struct fb_dec *bid, struct fb_dec *ask)
{
    enum fb_err err = FB_OK;
    struct fb_dec half, x;
    TRY(fb_dec_mul(ref, fb_dec_from_int(spread_bps), FB_ROUND_HALF_EVEN, &x));
    TRY(fb_dec_div(x, fb_dec_from_int(20000), FB_DEC_PLACES, FB_ROUND_HALF_EVEN, &half));
    TRY(fb_dec_sub(ref, half, &x));
    TRY(fb_dec_round_to(x, tick, FB_ROUND_FLOOR, bid));
    TRY(fb_dec_add(ref, half, &x));
    TRY(fb_dec_round_to(x, tick, FB_ROUND_CEIL, ask));
    if (fb_dec_sign(*bid) <= 0)
        *bid = tick;
    if (fb_dec_cmp(*ask, *bid) < 0)
        *ask = *bid;
out:
    return err;
}

enum fb_err fb_sim_walk_step(struct fb_dec ref, struct fb_dec tick, uint32_t vol_bps, uint64_t rnd,
                             struct fb_dec *out)
{
    enum fb_err err = FB_OK;
    struct fb_dec x, delta;
    /* u = j / 10^6 with j uniform in [-10^6, 10^6]; the modulo bias is
     * below 10^-12 and, being deterministic, harmless. */
    const int64_t j = (int64_t)(rnd % 2000001u) - 1000000;

    *out = ref;
    if (vol_bps == 0)
        goto out;
    TRY(fb_dec_mul(ref, fb_dec_from_int((int64_t)vol_bps * j), FB_ROUND_HALF_EVEN, &x));
    TRY(fb_dec_div(x, fb_dec_from_int(10000000000LL), FB_DEC_PLACES, FB_ROUND_HALF_EVEN, &delta));
    TRY(fb_dec_add(ref, delta, &x));
    TRY(fb_dec_round_to(x, tick, FB_ROUND_HALF_EVEN, &x));
    *out = fb_dec_sign(x) > 0 ? x : tick;
out:
    return err;
}

enum fb_err fb_sim_book_set_touch(struct fb_sim_book *b, size_t m, struct fb_dec ref,
                                  uint32_t spread_bps)
{
    struct fb_sim_book_market *mk = &b->markets[m];
    enum fb_err err = fb_sim_touch(ref, mk->rules.tick_size, spread_bps, &mk->bid, &mk->ask);
    if (err == FB_OK)
        mk->ref = ref;
    return err;
}

enum fb_err fb_sim_book_match(struct fb_sim_book *b, size_t m, int64_t t, bool force)
{
    enum fb_err err = FB_OK;
    const struct fb_sim_book_market *mk = &b->markets[m];
    for (size_t i = 0; i < b->n_open; i++) {
        struct fb_sim_order *o = &b->orders[b->open[i]];
        if (o->market != m || !is_open(o) || (!force && o->acted_ns == t))
            continue;
        if (!o->triggered) {
            if (!stop_reached(mk, o->req.side, o->req.stop_price))
                continue;
            o->triggered = true;
            TRY(step(b, o, t, true));
            continue;
        }
        TRY(step(b, o, t, false));
    }
out:
    compact_open(b);
    return err;
}

enum fb_err fb_sim_book_submit(struct fb_sim_book *b, const struct fb_venue_order *in, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_sim_order o;
    struct fb_sim_order *po;
    const struct fb_sim_book_market *mk;
    struct fb_dec touch, qty, notional_px, q;
    const char *fail = NULL;
    int m;

    memset(&o, 0, sizeof o);
    o.req = *in;
    ev_init(&ev, FB_VEV_REJECT, &o, t);
    if (id_find(b, in->client_order_id) >= 0) {
        err = emit_reject(b, &ev, FB_VRR_DUPLICATE_ID, "-2010", TXT_DUPLICATE);
        goto out;
    }
    m = fb_sim_book_market_index(b, in->symbol);
    if (m < 0) {
        err = emit_reject(b, &ev, FB_VRR_UNKNOWN_SYMBOL, "-1121", TXT_UNKNOWN_SYMBOL);
        goto out;
    }
    if (b->n_orders >= FB_SIM_ORDERS_MAX) {
        err = emit_reject(b, &ev, FB_VRR_RATE_LIMIT, "-1015", TXT_TOO_MANY);
        goto out;
    }
    if ((in->post_only || fb_dec_sign(in->display_qty) > 0) &&
        (in->tif == FB_VENUE_IOC || in->tif == FB_VENUE_FOK)) {
        err = emit_reject(b, &ev, FB_VRR_UNSUPPORTED, "-1013", TXT_UNSUPPORTED);
        goto out;
    }
    mk = &b->markets[m];
    touch = in->side == FB_VENUE_BUY ? mk->ask : mk->bid;
    qty = in->qty;
    if (fb_dec_sign(in->quote_qty) > 0) {
        TRY(fb_dec_div(in->quote_qty, touch, FB_DEC_PLACES, FB_ROUND_DOWN, &q));
        TRY(fb_dec_round_to(q, mk->rules.step_size, FB_ROUND_DOWN, &qty));
    }
    switch (in->type) {
    case FB_VENUE_MARKET:
        notional_px = touch;
        break;
    case FB_VENUE_STOP:
        notional_px = in->stop_price;
        break;
    case FB_VENUE_LIMIT:
    case FB_VENUE_STOP_LIMIT:
    default:
        notional_px = in->price;
        break;
    }
    TRY(check_filters(&mk->rules, qty, in->price, in->stop_price, in->display_qty, notional_px,
                      true, &fail));
    if (!fail && fb_dec_sign(in->quote_qty) > 0 &&
        fb_dec_cmp(in->quote_qty, mk->rules.min_notional) < 0)
        fail = TXT_MIN_NOTIONAL;
    if (fail) {
        err = emit_reject(b, &ev, FB_VRR_FILTER, "-1013", fail);
        goto out;
    }
    if (in->tif == FB_VENUE_GTD && in->expire_ns <= t) {
        err = emit_reject(b, &ev, FB_VRR_EXPIRED, "-1013", TXT_EXPIRE_PAST);
        goto out;
    }
    if (in->post_only && crosses(mk, in->side, in->price)) {
        err = emit_reject(b, &ev, FB_VRR_POST_ONLY, "-2010", TXT_POST_ONLY);
        goto out;
    }
    if ((in->type == FB_VENUE_STOP || in->type == FB_VENUE_STOP_LIMIT) &&
        stop_reached(mk, in->side, in->stop_price)) {
        err = emit_reject(b, &ev, FB_VRR_WOULD_TRIGGER, "-2010", TXT_WOULD_TRIGGER);
        goto out;
    }

    /* Accepted. */
    o.market = (size_t)m;
    o.qty = qty;
    o.state = FB_VOS_NEW;
    o.acted_ns = INT64_MIN;
    o.triggered = in->type == FB_VENUE_MARKET || in->type == FB_VENUE_LIMIT;
    if (in->tif == FB_VENUE_GTD)
        o.expire_ns = in->expire_ns;
    else if (in->tif == FB_VENUE_DAY)
        o.expire_ns = day_end(t);
    TRY(set_part(b, &o));
    snprintf(o.venue_order_id, sizeof o.venue_order_id, "%" PRIu64, ++b->next_order_id);
    TRY(grow((void **)&b->orders, &b->cap_orders, b->n_orders, sizeof *b->orders));
    TRY(grow((void **)&b->open, &b->cap_open, b->n_open, sizeof *b->open));
    TRY(id_insert(b, in->client_order_id, (uint32_t)b->n_orders));
    b->orders[b->n_orders] = o;
    b->open[b->n_open++] = (uint32_t)b->n_orders;
    po = &b->orders[b->n_orders++];

    ev_init(&ev, FB_VEV_ACK, po, t);
    TRY(b->emit(b->emit_user, &ev));
    if (po->triggered)
        TRY(step(b, po, t, true));
out:
    compact_open(b);
    return err;
}

/* The order whose *current* id is id, or NULL. */
static struct fb_sim_order *find_current(struct fb_sim_book *b, const char *id)
{
    long i = id_find(b, id);
    if (i < 0 || strcmp(b->orders[i].req.client_order_id, id) != 0)
        return NULL;
    return &b->orders[i];
}

enum fb_err fb_sim_book_cancel(struct fb_sim_book *b, const struct fb_venue_cancel *c, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_sim_order *o = find_current(b, c->client_order_id);

    ev_init(&ev, FB_VEV_CANCEL_REJECT, o, t);
    copy_str(ev.client_order_id, sizeof ev.client_order_id, c->client_order_id);
    copy_str(ev.request_id, sizeof ev.request_id, c->request_id);
    if (!o) {
        err = emit_reject(b, &ev, FB_VRR_UNKNOWN_ORDER, "-2011", TXT_UNKNOWN_ORDER);
        goto out;
    }
    if (!is_open(o)) {
        err = emit_reject(b, &ev, FB_VRR_TOO_LATE, "-2011", TXT_CLOSED);
        goto out;
    }
    err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_REQUESTED, t, c->request_id);
out:
    compact_open(b);
    return err;
}

enum fb_err fb_sim_book_cancel_unsolicited(struct fb_sim_book *b, const char *client_order_id,
                                           int64_t t)
{
    enum fb_err err;
    struct fb_sim_order *o = find_current(b, client_order_id);
    if (!o || !is_open(o))
        return FB_ERR_NOT_FOUND;
    err = close_with(b, o, FB_VEV_CANCELED, FB_VCXL_UNSOLICITED, t, NULL);
    compact_open(b);
    return err;
}

enum fb_err fb_sim_book_replace(struct fb_sim_book *b, const struct fb_venue_replace *r, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    struct fb_sim_order *o = find_current(b, r->client_order_id);
    const struct fb_sim_book_market *mk;
    struct fb_dec price, stop, notional_px;
    const char *fail = NULL;
    bool size_matters, repriced;
    uint32_t idx;

    ev_init(&ev, FB_VEV_REPLACE_REJECT, o, t);
    copy_str(ev.client_order_id, sizeof ev.client_order_id, r->client_order_id);
    copy_str(ev.request_id, sizeof ev.request_id, r->new_client_order_id);
    if (!o) {
        err = emit_reject(b, &ev, FB_VRR_UNKNOWN_ORDER, "-2011", TXT_UNKNOWN_ORDER);
        goto out;
    }
    if (!is_open(o)) {
        err = emit_reject(b, &ev, FB_VRR_TOO_LATE, "-2011", TXT_CLOSED);
        goto out;
    }
    if (id_find(b, r->new_client_order_id) >= 0) {
        err = emit_reject(b, &ev, FB_VRR_DUPLICATE_ID, "-2010", TXT_DUPLICATE);
        goto out;
    }
    if (o->req.type == FB_VENUE_MARKET || (o->req.type == FB_VENUE_STOP && o->triggered)) {
        err = emit_reject(b, &ev, FB_VRR_UNSUPPORTED, "-2010", TXT_AMEND_MARKET);
        goto out;
    }
    if (fb_dec_sign(r->price) > 0 && o->req.type == FB_VENUE_STOP) {
        err = emit_reject(b, &ev, FB_VRR_OTHER, "-1106", TXT_PRICE_NOT_REQUIRED);
        goto out;
    }
    if (fb_dec_sign(r->stop_price) > 0 && o->req.type == FB_VENUE_LIMIT) {
        err = emit_reject(b, &ev, FB_VRR_OTHER, "-1106", TXT_STOP_NOT_REQUIRED);
        goto out;
    }
    if (fb_dec_sign(r->stop_price) > 0 && o->triggered) {
        err = emit_reject(b, &ev, FB_VRR_TOO_LATE, "-2010", TXT_TRIGGERED);
        goto out;
    }
    mk = &b->markets[o->market];
    price = fb_dec_sign(r->price) > 0 ? r->price : o->req.price;
    stop = fb_dec_sign(r->stop_price) > 0 ? r->stop_price : o->req.stop_price;
    notional_px = o->req.type == FB_VENUE_STOP ? stop : price;
    size_matters = fb_dec_cmp(r->qty, o->cum_qty) > 0;
    TRY(check_filters(&mk->rules, r->qty, price, stop, o->req.display_qty, notional_px,
                      size_matters, &fail));
    if (fail) {
        err = emit_reject(b, &ev, FB_VRR_FILTER, "-1013", fail);
        goto out;
    }
    /* Only a new price can make a post-only order take: at its old price it
     * is already resting and fills as maker. */
    if (o->req.post_only && size_matters && fb_dec_cmp(price, o->req.price) != 0 &&
        crosses(mk, o->req.side, price)) {
        err = emit_reject(b, &ev, FB_VRR_POST_ONLY, "-2010", TXT_POST_ONLY);
        goto out;
    }
    if (!o->triggered && stop_reached(mk, o->req.side, stop)) {
        err = emit_reject(b, &ev, FB_VRR_WOULD_TRIGGER, "-2010", TXT_WOULD_TRIGGER);
        goto out;
    }

    /* Accepted: the REPLACED event still names the old id; later ones the new. */
    idx = (uint32_t)(o - b->orders);
    repriced = fb_dec_cmp(price, o->req.price) != 0;
    TRY(id_insert(b, r->new_client_order_id, idx));
    o->req.price = price;
    o->req.stop_price = stop;
    o->req.qty = r->qty;
    o->qty = r->qty;
    if (!size_matters)
        o->state = FB_VOS_FILLED; /* the remainder is canceled by the amend */
    TRY(set_part(b, o));
    ev.kind = FB_VEV_REPLACED;
    memset(&ev.u, 0, sizeof ev.u);
    ev.u.replaced.qty = r->qty;
    ev.u.replaced.price = price;
    ev.u.replaced.stop_price = stop;
    ev.u.replaced.cum_qty = o->cum_qty;
    ev.u.replaced.leaves_qty = leaves_of(o);
    copy_str(o->req.client_order_id, sizeof o->req.client_order_id, r->new_client_order_id);
    TRY(b->emit(b->emit_user, &ev));
    /* A new price may cross: a re-priced limit takes like a new one would.
     * Same price: it keeps resting and its fills continue tick by tick. */
    if (is_open(o) && o->triggered && repriced) {
        o->resting = false;
        TRY(step(b, o, t, false));
    }
out:
    compact_open(b);
    return err;
}

static enum fb_err emit_status(struct fb_sim_book *b, const struct fb_sim_order *o,
                               const char *queried, const char *request_id, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    ev_init(&ev, FB_VEV_STATUS, o, t);
    if (!o)
        copy_str(ev.client_order_id, sizeof ev.client_order_id, queried);
    copy_str(ev.request_id, sizeof ev.request_id, request_id);
    if (o) {
        ev.u.status.state = o->state;
        ev.u.status.qty = o->qty;
        ev.u.status.price = o->req.price;
        ev.u.status.cum_qty = o->cum_qty;
        ev.u.status.leaves_qty = leaves_of(o);
        if (fb_dec_sign(o->cum_qty) > 0)
            TRY(fb_dec_div(o->notional, o->cum_qty, FB_DEC_PLACES, FB_ROUND_HALF_EVEN,
                           &ev.u.status.avg_px));
    } else {
        ev.u.status.state = FB_VOS_UNKNOWN;
    }
    err = b->emit(b->emit_user, &ev);
out:
    return err;
}

enum fb_err fb_sim_book_query(struct fb_sim_book *b, const char *client_order_id, int64_t t)
{
    long i = id_find(b, client_order_id);
    return emit_status(b, i >= 0 ? &b->orders[i] : NULL, client_order_id, client_order_id, t);
}

enum fb_err fb_sim_book_open_orders(struct fb_sim_book *b, const char *symbol,
                                    const char *request_id, int64_t t)
{
    enum fb_err err = FB_OK;
    struct fb_venue_event ev;
    for (size_t i = 0; i < b->n_open; i++) {
        const struct fb_sim_order *o = &b->orders[b->open[i]];
        if (symbol && strcmp(o->req.symbol, symbol) != 0)
            continue;
        TRY(emit_status(b, o, NULL, request_id, t));
    }
    ev_init(&ev, FB_VEV_OPEN_ORDERS_END, NULL, t);
    copy_str(ev.request_id, sizeof ev.request_id, request_id);
    if (symbol)
        copy_str(ev.symbol, sizeof ev.symbol, symbol);
    err = b->emit(b->emit_user, &ev);
out:
    return err;
}

enum fb_err fb_sim_book_expire(struct fb_sim_book *b, int64_t t)
{
    enum fb_err err = FB_OK;
    for (size_t i = 0; i < b->n_open; i++) {
        struct fb_sim_order *o = &b->orders[b->open[i]];
        if (!is_open(o) || o->expire_ns == 0 || o->expire_ns > t)
            continue;
        TRY(close_with(b, o, FB_VEV_EXPIRED, o->req.tif == FB_VENUE_DAY ? FB_VEXP_DAY : FB_VEXP_GTD,
                       t, NULL));
    }
out:
    compact_open(b);
    return err;
}

int64_t fb_sim_book_next_expiry(const struct fb_sim_book *b)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < b->n_open; i++) {
        const struct fb_sim_order *o = &b->orders[b->open[i]];
        if (is_open(o) && o->expire_ns != 0 && o->expire_ns < next)
            next = o->expire_ns;
    }
    return next;
}
