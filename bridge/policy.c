/*
 * policy.c -- pre-trade checks: layered limits from the config, resolved per
 * order, and one table of rule functions (see policy.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/policy.h"
#include "config/config.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Selector bits of a layer; as a number they are its precedence. */
enum { SEL_VENUE = 1u, SEL_SESSION = 2u, SEL_ACCOUNT = 4u, SEL_SYMBOL = 8u, SEL_ALL = 15u };

/* "venue " + 64 + ", session " + 64 + ", account " + 64 + ", symbol " + 64 */
#define LABEL_MAX 320

struct layer {
    unsigned sel;
    /* Unused selectors are 0 / "", so whole keys compare alike. */
    size_t venue;
    size_t session;
    char account[FB_ID_LEN + 1];
    char symbol[FB_SYMBOL_LEN + 1];
    struct fb_policy_limits_cfg lim;
    char label[LABEL_MAX];
};

struct fb_policy {
    struct layer def;
    struct layer *layers; /* sorted by layer_cmp */
    size_t nlayers;
    unsigned sels; /* bit m: some layer has selector set m (skips empty lookups) */
    size_t nvenues;
    size_t nsessions;
    char (*session_account)[FB_ID_LEN + 1]; /* sessions[i].account or "" */
};

/* Where each limit key lives, so layers merge key by key without a
 * hand-written copy per key. */
#define F(K, f)                                                                                    \
    [FB_PK_##K] = {offsetof(struct fb_policy_limits_cfg, f),                                       \
                   sizeof(((struct fb_policy_limits_cfg *)0)->f)}
static const struct {
    size_t off, size;
} key_fields[FB_PK_LAST] = {
    F(MAX_ORDER_QTY, max_order_qty),
    F(MAX_ORDER_NOTIONAL, max_order_notional),
    F(MAX_OPEN_ORDERS, max_open_orders),
    F(MAX_POSITION, max_position),
    F(ALLOWED_ORD_TYPES, allowed_ord_types),
    F(ALLOWED_TIFS, allowed_tifs),
    F(ALLOW_POST_ONLY, allow_post_only),
    F(COLLAR_BPS, collar_bps),
    F(MIN_PRICE, min_price),
    F(MAX_PRICE, max_price),
    F(MARKET_ORDERS, market_orders),
    F(SLIPPAGE_BPS, slippage_bps),
    F(REFERENCE_MAX_AGE_MS, reference_max_age_ms),
};
#undef F

static int layer_cmp(const struct layer *a, const struct layer *b)
{
    if (a->sel != b->sel)
        return a->sel < b->sel ? -1 : 1;
    if (a->venue != b->venue)
        return a->venue < b->venue ? -1 : 1;
    if (a->session != b->session)
        return a->session < b->session ? -1 : 1;
    int c = strcmp(a->account, b->account);
    return c ? c : strcmp(a->symbol, b->symbol);
}

static int layer_qsort_cmp(const void *a, const void *b)
{
    return layer_cmp(a, b);
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static size_t find_name_venue(const struct fb_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nvenues; i++)
        if (cfg->venues[i].name && strcmp(cfg->venues[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static size_t find_name_session(const struct fb_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nsessions; i++)
        if (cfg->sessions[i].name && strcmp(cfg->sessions[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static void append(char *buf, size_t size, const char *what, const char *name)
{
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s %s", len ? ", " : "", what, name);
}

static enum fb_err build_layer(const struct fb_config *cfg, const struct fb_policy_override_cfg *o,
                               struct layer *l)
{
    memset(l, 0, sizeof *l);
    if (o->venue) {
        l->sel |= SEL_VENUE;
        l->venue = find_name_venue(cfg, o->venue);
        append(l->label, sizeof l->label, "venue", o->venue);
    }
    if (o->session) {
        l->sel |= SEL_SESSION;
        l->session = find_name_session(cfg, o->session);
        append(l->label, sizeof l->label, "session", o->session);
    }
    if (o->account) {
        l->sel |= SEL_ACCOUNT;
        copy_str(l->account, sizeof l->account, o->account);
        append(l->label, sizeof l->label, "account", o->account);
    }
    if (o->symbol) {
        l->sel |= SEL_SYMBOL;
        copy_str(l->symbol, sizeof l->symbol, o->symbol);
        append(l->label, sizeof l->label, "symbol", o->symbol);
    }
    l->lim = o->limits;
    if (l->venue == SIZE_MAX || l->session == SIZE_MAX || l->sel == 0)
        return FB_ERR_CONFIG;
    return FB_OK;
}

enum fb_err fb_policy_new(const struct fb_config *cfg, struct fb_policy **out)
{
    enum fb_err rc = FB_ERR_NOMEM;
    struct fb_policy *p = NULL;
    if (!cfg || !out)
        return FB_ERR_INVALID;
    p = calloc(1, sizeof *p);
    if (!p)
        goto out;
    p->def.lim = cfg->policy.def;
    p->def.lim.set = (1u << FB_PK_LAST) - 1;
    copy_str(p->def.label, sizeof p->def.label, "default");
    p->nvenues = cfg->nvenues;
    p->nsessions = cfg->nsessions;
    p->session_account = calloc(cfg->nsessions ? cfg->nsessions : 1, sizeof *p->session_account);
    p->layers = calloc(cfg->policy.noverrides ? cfg->policy.noverrides : 1, sizeof *p->layers);
    if (!p->session_account || !p->layers)
        goto out;
    for (size_t i = 0; i < cfg->nsessions; i++)
        copy_str(p->session_account[i], sizeof p->session_account[i], cfg->sessions[i].account);
    for (size_t i = 0; i < cfg->policy.noverrides; i++) {
        rc = build_layer(cfg, &cfg->policy.overrides[i], &p->layers[i]);
        if (rc != FB_OK)
            goto out;
        p->sels |= 1u << p->layers[i].sel;
    }
    p->nlayers = cfg->policy.noverrides;
    qsort(p->layers, p->nlayers, sizeof *p->layers, layer_qsort_cmp);
    *out = p;
    p = NULL;
    rc = FB_OK;
out:
    fb_policy_free(p);
    return rc;
}

void fb_policy_free(struct fb_policy *p)
{
    if (!p)
        return;
    free(p->layers);
    free(p->session_account);
    free(p);
}

static const struct layer *find_layer(const struct fb_policy *p, const struct layer *key)
{
    size_t lo = 0, hi = p->nlayers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = layer_cmp(&p->layers[mid], key);
        if (c == 0)
            return &p->layers[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void merge(struct fb_policy_limits_cfg *eff, const char *src[], const struct layer *l)
{
    for (unsigned k = 0; k < FB_PK_LAST; k++) {
        if (!(l->lim.set & (1u << k)))
            continue;
        memcpy((char *)eff + key_fields[k].off, (const char *)&l->lim + key_fields[k].off,
               key_fields[k].size);
        src[k] = l->label;
    }
}

/* At most 15 binary searches, one per selector set in use, least specific
 * first so the most specific layer setting a key is the one left. */
static void resolve(const struct fb_policy *p, size_t venue, size_t session, const char *account,
                    const char *symbol, struct fb_policy_limits_cfg *eff, const char *src[])
{
    struct layer key;
    *eff = p->def.lim;
    for (unsigned k = 0; k < FB_PK_LAST; k++)
        src[k] = p->def.label;
    if (!account[0] && session < p->nsessions)
        account = p->session_account[session];
    for (unsigned m = 1; m <= SEL_ALL; m++) {
        if (!(p->sels & (1u << m)))
            continue;
        key.sel = m;
        key.venue = m & SEL_VENUE ? venue : 0;
        key.session = m & SEL_SESSION ? session : 0;
        copy_str(key.account, sizeof key.account, m & SEL_ACCOUNT ? account : "");
        copy_str(key.symbol, sizeof key.symbol, m & SEL_SYMBOL ? symbol : "");
        if (m & SEL_ACCOUNT && !account[0])
            continue; /* no account: account layers cannot match */
        const struct layer *l = find_layer(p, &key);
        if (l)
            merge(eff, src, l);
    }
}

enum fb_err fb_policy_effective(const struct fb_policy *p, size_t venue, size_t session,
                                const char *account, const char *symbol,
                                struct fb_policy_limits_cfg *out, const char *layer[])
{
    const char *src[FB_PK_LAST];
    if (!p || !account || !symbol || !out || venue >= p->nvenues || session >= p->nsessions)
        return FB_ERR_INVALID;
    resolve(p, venue, session, account, symbol, out, src);
    if (layer)
        memcpy(layer, src, sizeof src);
    return FB_OK;
}

/* ---- the rules ---- */

/* One check in progress. */
struct ctx {
    const struct fb_policy_limits_cfg *lim;
    const char *const *src; /* the layer label per key */
    const struct fb_policy_state *st;
    const char *symbol;
    enum fb_side side;
    bool replace;
    bool capped;             /* the market order rule made this a limit order */
    struct fb_order_terms t; /* the terms being checked (modified in place) */
};

typedef enum fb_policy_action (*rule_fn)(struct ctx *c, struct fb_policy_verdict *v);

static void say(struct fb_policy_verdict *v, const char *fmt, ...) FB_PRINTF(2, 3);
static void say(struct fb_policy_verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->text, sizeof v->text, fmt, ap); /* a longer Text is cut */
    va_end(ap);
}

/* Decimals print exactly, in their shortest form. */
struct dstr {
    char s[FB_DEC_STRMAX];
};
static struct dstr ds(struct fb_dec d)
{
    struct dstr r;
    fb_dec_format(d, r.s);
    return r;
}
#define D(x) (ds(x).s)

static enum fb_policy_action refuse(struct fb_policy_verdict *v, int reason)
{
    v->ord_rej_reason = reason;
    return FB_POLICY_REFUSE;
}

static const char *const ord_type_names[FB_ORD_TYPE_LAST] = {
    "market", "limit", "stop", "stop_limit", "take_profit", "take_profit_limit"};
static const char *const tif_names[FB_TIF_LAST] = {"day", "gtc", "ioc", "fok", "gtd"};

static void list_names(char *buf, size_t size, unsigned bits, const char *const *names, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        if (!(bits & (1u << i)))
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", names[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/*
 * The reference price on the side the order trades against (a buy pays the
 * ask, a sell gets the bid), if fresh. Otherwise refuses, naming the key
 * whose check needed it: the fail-closed path.
 */
static bool reference(struct ctx *c, struct fb_policy_verdict *v, int key, const char *need,
                      struct fb_dec *ref)
{
    const struct fb_policy_state *st = c->st;
    struct fb_dec r = c->side == FB_SIDE_BUY ? st->ref_ask : st->ref_bid;
    const char *layer = c->src[FB_PK_REFERENCE_MAX_AGE_MS];
    if (fb_dec_sign(r) <= 0 || st->ref_time_ns <= 0) {
        say(v, "No reference price for %s, which %s needs (policy: %s)", c->symbol, need,
            c->src[key]);
        refuse(v, FB_ORDREJ_BROKER);
        return false;
    }
    int64_t max_ns = (int64_t)c->lim->reference_max_age_ms * 1000000;
    if (st->now_ns - st->ref_time_ns > max_ns) {
        /* Rounded up, so a stale price never reads as exactly the limit. */
        int64_t age_ms = (st->now_ns - st->ref_time_ns + 999999) / 1000000;
        say(v,
            "Reference price for %s is %lld ms old; reference_max_age_ms is %u, and %s needs a "
            "fresh one (policy: %s)",
            c->symbol, (long long)age_ms, c->lim->reference_max_age_ms, need, layer);
        refuse(v, FB_ORDREJ_BROKER);
        return false;
    }
    *ref = r;
    return true;
}

/* 1/10000 as a multiplier, exact. */
static struct fb_dec bps_factor(int64_t bps)
{
    struct fb_dec f = {(fb_i128)bps * 100000000000000}; /* bps * 10^-4 * 10^18 */
    return f;
}

static enum fb_policy_action rule_ord_type(struct ctx *c, struct fb_policy_verdict *v)
{
    char list[64];
    if (c->lim->allowed_ord_types & (1u << c->t.ord_type))
        return FB_POLICY_ACCEPT;
    list_names(list, sizeof list, c->lim->allowed_ord_types, ord_type_names, N(ord_type_names));
    say(v, "OrdType %s is not allowed; allowed_ord_types is %s (policy: %s)",
        ord_type_names[c->t.ord_type], list, c->src[FB_PK_ALLOWED_ORD_TYPES]);
    return refuse(v, FB_ORDREJ_UNSUPPORTED);
}

static enum fb_policy_action rule_tif(struct ctx *c, struct fb_policy_verdict *v)
{
    char list[64];
    if (c->lim->allowed_tifs & (1u << c->t.tif))
        return FB_POLICY_ACCEPT;
    list_names(list, sizeof list, c->lim->allowed_tifs, tif_names, N(tif_names));
    say(v, "TimeInForce %s is not allowed; allowed_tifs is %s (policy: %s)", tif_names[c->t.tif],
        list, c->src[FB_PK_ALLOWED_TIFS]);
    return refuse(v, FB_ORDREJ_UNSUPPORTED);
}

static enum fb_policy_action rule_post_only(struct ctx *c, struct fb_policy_verdict *v)
{
    if (!c->t.post_only || c->lim->allow_post_only)
        return FB_POLICY_ACCEPT;
    say(v, "ExecInst 6 (post-only) is not allowed; allow_post_only is false (policy: %s)",
        c->src[FB_PK_ALLOW_POST_ONLY]);
    return refuse(v, FB_ORDREJ_UNSUPPORTED);
}

/*
 * A market order has no price, so nothing bounds what it pays. Converted,
 * it becomes a limit at reference +/- slippage_bps, rounded to the tick
 * toward the safe side (a buy's cap down, a sell's up), IOC so it still
 * takes at once and never rests (FOK stays FOK: rule 6, never substitute
 * one for the other). Stop orders are not capped: their reference is the
 * market at trigger time, which nobody knows now.
 */
static enum fb_policy_action rule_market_orders(struct ctx *c, struct fb_policy_verdict *v)
{
    const struct fb_policy_limits_cfg *l = c->lim;
    const char *layer = c->src[FB_PK_MARKET_ORDERS];
    struct fb_dec ref, cap, factor;
    if (c->t.ord_type != FB_ORD_MARKET || l->market_orders == FB_MKT_ALLOW)
        return FB_POLICY_ACCEPT;
    if (l->market_orders == FB_MKT_REFUSE) {
        say(v, "Market orders are not accepted; market_orders is refuse (policy: %s)", layer);
        return refuse(v, FB_ORDREJ_UNSUPPORTED);
    }
    enum fb_tif tif = c->t.tif == FB_TIF_FOK ? FB_TIF_FOK : FB_TIF_IOC;
    unsigned need =
        FB_POLICY_CAP_LIMIT | (tif == FB_TIF_FOK ? FB_POLICY_CAP_TIF_FOK : FB_POLICY_CAP_TIF_IOC);
    if (fb_dec_sign(c->t.qty) <= 0) {
        say(v,
            "A market order sized by CashOrderQty cannot be capped as a limit order; "
            "market_orders is convert_to_ioc_limit (policy: %s)",
            layer);
        return refuse(v, FB_ORDREJ_UNSUPPORTED);
    }
    if ((c->st->venue_caps & need) != need) {
        say(v,
            "The venue takes no %s limit orders, so the market order cannot be capped; "
            "market_orders is convert_to_ioc_limit (policy: %s)",
            tif == FB_TIF_FOK ? "FOK" : "IOC", layer);
        return refuse(v, FB_ORDREJ_UNSUPPORTED);
    }
    if (fb_dec_sign(c->st->tick_size) <= 0) {
        say(v, "No tick size known for %s, so the market order cannot be capped (policy: %s)",
            c->symbol, layer);
        return refuse(v, FB_ORDREJ_BROKER);
    }
    if (!reference(c, v, FB_PK_SLIPPAGE_BPS, "the market order cap", &ref))
        return FB_POLICY_REFUSE;
    bool buy = c->side == FB_SIDE_BUY;
    int64_t bps = (int64_t)l->slippage_bps;
    factor = bps_factor(buy ? 10000 + bps : 10000 - bps);
    if (fb_dec_mul(ref, factor, buy ? FB_ROUND_FLOOR : FB_ROUND_CEIL, &cap) != FB_OK ||
        fb_dec_round_to(cap, c->st->tick_size, buy ? FB_ROUND_FLOOR : FB_ROUND_CEIL, &cap) !=
            FB_OK ||
        fb_dec_sign(cap) <= 0) {
        say(v, "Cannot cap the market order at reference %s %s slippage_bps %u (policy: %s)",
            D(ref), buy ? "+" : "-", l->slippage_bps, c->src[FB_PK_SLIPPAGE_BPS]);
        return refuse(v, FB_ORDREJ_OTHER);
    }
    c->t.ord_type = FB_ORD_LIMIT;
    c->t.tif = tif;
    c->t.price = cap;
    c->t.expire_time_ns = 0;
    c->capped = true;
    say(v,
        "Market order sent as %s limit %s: reference %s %s slippage_bps %u, rounded %s to tick %s",
        tif == FB_TIF_FOK ? "FOK" : "IOC", D(cap), D(ref), buy ? "+" : "-", l->slippage_bps,
        buy ? "down" : "up", D(c->st->tick_size));
    return FB_POLICY_MODIFY;
}

static const char *price_name(const struct ctx *c)
{
    return c->capped ? "Market order cap" : "Limit price";
}

/* min_price / max_price bound every price the order carries. */
static enum fb_policy_action rule_price_band(struct ctx *c, struct fb_policy_verdict *v)
{
    const struct fb_policy_limits_cfg *l = c->lim;
    struct {
        const char *name;
        struct fb_dec px;
    } prices[] = {{price_name(c), c->t.price}, {"StopPx", c->t.stop_px}};
    for (size_t i = 0; i < N(prices); i++) {
        struct fb_dec px = prices[i].px;
        if (fb_dec_is_zero(px))
            continue;
        if (!fb_dec_is_zero(l->min_price) && fb_dec_cmp(px, l->min_price) < 0) {
            say(v, "%s %s is below min_price %s (policy: %s)", prices[i].name, D(px),
                D(l->min_price), c->src[FB_PK_MIN_PRICE]);
            return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
        }
        if (!fb_dec_is_zero(l->max_price) && fb_dec_cmp(px, l->max_price) > 0) {
            say(v, "%s %s is above max_price %s (policy: %s)", prices[i].name, D(px),
                D(l->max_price), c->src[FB_PK_MAX_PRICE]);
            return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
        }
    }
    return FB_POLICY_ACCEPT;
}

/*
 * A limit price more than collar_bps away from the reference, either way,
 * is taken for a typo. Compared exactly (|px - ref| * 10000 against
 * collar_bps * ref); the bps in the Text are rounded up to 2 places, so a
 * refused price never reads as being inside the collar. Stop-limit prices
 * are relative to their stop, not to today's market: they are bounded by
 * min_price / max_price and the notional instead.
 */
static enum fb_policy_action rule_collar(struct ctx *c, struct fb_policy_verdict *v)
{
    const struct fb_policy_limits_cfg *l = c->lim;
    struct fb_dec ref, dev, lhs, rhs, bps;
    if (l->collar_bps == 0 || c->t.ord_type != FB_ORD_LIMIT)
        return FB_POLICY_ACCEPT;
    if (!reference(c, v, FB_PK_COLLAR_BPS, "the price collar", &ref))
        return FB_POLICY_REFUSE;
    if (fb_dec_sub(c->t.price, ref, &dev) != FB_OK)
        goto too_far;
    if (fb_dec_sign(dev) < 0)
        dev = fb_dec_neg(dev);
    if (fb_dec_mul(dev, fb_dec_from_int(10000), FB_ROUND_UP, &lhs) != FB_OK ||
        fb_dec_mul(ref, fb_dec_from_int(l->collar_bps), FB_ROUND_UP, &rhs) != FB_OK)
        goto too_far;
    if (fb_dec_cmp(lhs, rhs) <= 0)
        return FB_POLICY_ACCEPT;
    if (fb_dec_div(lhs, ref, 2, FB_ROUND_UP, &bps) != FB_OK)
        goto too_far;
    say(v, "%s %s is %s bps from reference %s; collar is %u bps (policy: %s)", price_name(c),
        D(c->t.price), D(bps), D(ref), l->collar_bps, c->src[FB_PK_COLLAR_BPS]);
    return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
too_far:
    say(v, "%s %s is too far from reference %s to measure; collar is %u bps (policy: %s)",
        price_name(c), D(c->t.price), D(ref), l->collar_bps, c->src[FB_PK_COLLAR_BPS]);
    return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
}

/*
 * The base quantity an order can fill: OrderQty, or for an order sized by
 * CashOrderQty an estimate at the reference price (rounded up: the bound
 * must not be understated). "est" tells the caller which.
 */
static bool order_qty(struct ctx *c, struct fb_policy_verdict *v, int key, struct fb_dec *qty,
                      struct fb_dec *ref_out)
{
    struct fb_dec ref;
    if (fb_dec_sign(c->t.qty) > 0 || fb_dec_sign(c->t.cash_qty) <= 0) {
        *qty = c->t.qty;
        return true;
    }
    if (!reference(c, v, key, "valuing CashOrderQty", &ref))
        return false;
    if (fb_dec_div(c->t.cash_qty, ref, FB_DEC_PLACES, FB_ROUND_UP, qty) != FB_OK) {
        say(v, "CashOrderQty %s cannot be valued at reference %s (policy: %s)", D(c->t.cash_qty),
            D(ref), c->src[key]);
        refuse(v, FB_ORDREJ_OTHER);
        return false;
    }
    *ref_out = ref;
    return true;
}

static enum fb_policy_action rule_order_qty(struct ctx *c, struct fb_policy_verdict *v)
{
    const struct fb_policy_limits_cfg *l = c->lim;
    struct fb_dec qty, ref = fb_dec_zero(), shown;
    if (!order_qty(c, v, FB_PK_MAX_ORDER_QTY, &qty, &ref))
        return FB_POLICY_REFUSE;
    if (fb_dec_cmp(qty, l->max_order_qty) <= 0)
        return FB_POLICY_ACCEPT;
    if (fb_dec_is_zero(ref)) {
        say(v, "OrderQty %s exceeds max_order_qty %s (policy: %s)", D(qty), D(l->max_order_qty),
            c->src[FB_PK_MAX_ORDER_QTY]);
    } else {
        if (fb_dec_round_places(qty, 8, FB_ROUND_UP, &shown) != FB_OK)
            shown = qty;
        say(v, "CashOrderQty %s is about %s at reference %s; max_order_qty is %s (policy: %s)",
            D(c->t.cash_qty), D(shown), D(ref), D(l->max_order_qty), c->src[FB_PK_MAX_ORDER_QTY]);
    }
    return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
}

/*
 * Notional = quantity x the price the order can trade at: its limit price,
 * a stop's trigger, for an uncapped market order the reference (so it fails
 * closed without one); CashOrderQty is a notional already.
 */
static enum fb_policy_action rule_notional(struct ctx *c, struct fb_policy_verdict *v)
{
    const struct fb_policy_limits_cfg *l = c->lim;
    const char *layer = c->src[FB_PK_MAX_ORDER_NOTIONAL];
    struct fb_dec px, notional;
    const char *px_what = "";
    if (fb_dec_sign(c->t.qty) <= 0 && fb_dec_sign(c->t.cash_qty) > 0) {
        if (fb_dec_cmp(c->t.cash_qty, l->max_order_notional) <= 0)
            return FB_POLICY_ACCEPT;
        say(v, "CashOrderQty %s exceeds max_order_notional %s (policy: %s)", D(c->t.cash_qty),
            D(l->max_order_notional), layer);
        return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
    }
    switch (c->t.ord_type) {
    case FB_ORD_LIMIT:
    case FB_ORD_STOP_LIMIT:
    case FB_ORD_TAKE_PROFIT_LIMIT:
        px = c->t.price;
        break;
    case FB_ORD_STOP:
    case FB_ORD_TAKE_PROFIT:
        px = c->t.stop_px;
        px_what = "StopPx ";
        break;
    case FB_ORD_MARKET:
    default:
        if (!reference(c, v, FB_PK_MAX_ORDER_NOTIONAL, "valuing a market order", &px))
            return FB_POLICY_REFUSE;
        px_what = "reference ";
        break;
    }
    if (fb_dec_mul(c->t.qty, px, FB_ROUND_UP, &notional) != FB_OK) {
        say(v,
            "Notional of OrderQty %s x %s%s is out of range; max_order_notional is %s "
            "(policy: %s)",
            D(c->t.qty), px_what, D(px), D(l->max_order_notional), layer);
        return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
    }
    if (fb_dec_cmp(notional, l->max_order_notional) <= 0)
        return FB_POLICY_ACCEPT;
    say(v, "Notional %s (OrderQty %s x %s%s) exceeds max_order_notional %s (policy: %s)",
        D(notional), D(c->t.qty), px_what, D(px), D(l->max_order_notional), layer);
    return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
}

static enum fb_policy_action rule_open_orders(struct ctx *c, struct fb_policy_verdict *v)
{
    const struct fb_policy_limits_cfg *l = c->lim;
    if (c->replace || c->st->open_orders < l->max_open_orders)
        return FB_POLICY_ACCEPT;
    say(v, "Open orders would be %llu; max_open_orders is %u (policy: %s)",
        (unsigned long long)c->st->open_orders + 1, l->max_open_orders,
        c->src[FB_PK_MAX_OPEN_ORDERS]);
    return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
}

/*
 * Worst case on the order's side: every open order of that side fills too.
 * Only the bound the order moves toward is checked, so an order that
 * reduces a position already over the limit is let through.
 */
static enum fb_policy_action rule_position(struct ctx *c, struct fb_policy_verdict *v)
{
    const struct fb_policy_limits_cfg *l = c->lim;
    const struct fb_policy_state *st = c->st;
    bool buy = c->side == FB_SIDE_BUY;
    struct fb_dec qty, ref = fb_dec_zero(), mine, add;
    struct fb_dec open = buy ? st->open_buy_qty : st->open_sell_qty;
    struct fb_dec proj, bound = buy ? l->max_position : fb_dec_neg(l->max_position);
    if (!order_qty(c, v, FB_PK_MAX_POSITION, &qty, &ref))
        return FB_POLICY_REFUSE;
    /* A replace's filled part is in the position already. */
    mine = qty;
    if (c->replace && fb_dec_sub(qty, st->cum_qty, &mine) != FB_OK)
        goto overflow;
    if (fb_dec_sign(mine) < 0)
        mine = fb_dec_zero();
    if (fb_dec_add(open, mine, &add) != FB_OK ||
        (buy ? fb_dec_add(st->position, add, &proj) : fb_dec_sub(st->position, add, &proj)) !=
            FB_OK)
        goto overflow;
    if (buy ? fb_dec_cmp(proj, bound) <= 0 : fb_dec_cmp(proj, bound) >= 0)
        return FB_POLICY_ACCEPT;
    say(v,
        "Position would be %s (now %s, open %s %s, this order %s); max_position is %s "
        "(policy: %s)",
        D(proj), D(st->position), buy ? "buys" : "sells", D(open), D(mine), D(l->max_position),
        c->src[FB_PK_MAX_POSITION]);
    return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
overflow:
    say(v, "Position after this order is out of range; max_position is %s (policy: %s)",
        D(l->max_position), c->src[FB_PK_MAX_POSITION]);
    return refuse(v, FB_ORDREJ_EXCEEDS_LIMIT);
}

/* The rule table: order matters (types before prices; the market order
 * cap before the rules that must see its price). */
static const struct {
    const char *name;
    rule_fn fn;
} rules[FB_PR_COUNT] = {
    [FB_PR_ORD_TYPE] = {"allowed_ord_types", rule_ord_type},
    [FB_PR_TIF] = {"allowed_tifs", rule_tif},
    [FB_PR_POST_ONLY] = {"allow_post_only", rule_post_only},
    [FB_PR_MARKET_ORDERS] = {"market_orders", rule_market_orders},
    [FB_PR_PRICE_BAND] = {"price_band", rule_price_band},
    [FB_PR_COLLAR] = {"collar_bps", rule_collar},
    [FB_PR_ORDER_QTY] = {"max_order_qty", rule_order_qty},
    [FB_PR_NOTIONAL] = {"max_order_notional", rule_notional},
    [FB_PR_OPEN_ORDERS] = {"max_open_orders", rule_open_orders},
    [FB_PR_POSITION] = {"max_position", rule_position},
};

const char *fb_policy_rule_name(int i)
{
    return i >= 0 && i < FB_PR_COUNT ? rules[i].name : "?";
}

void fb_policy_stats_add(struct fb_policy_stats *s, const struct fb_policy_verdict *v)
{
    if (!s || !v)
        return;
    s->checked++;
    if (v->rule < 0 || v->rule >= FB_PR_COUNT)
        return;
    if (v->action == FB_POLICY_REFUSE)
        s->refused[v->rule]++;
    else if (v->action == FB_POLICY_MODIFY)
        s->modified[v->rule]++;
}

static enum fb_err run(const struct fb_policy *p, size_t venue, size_t session, const char *account,
                       const char *symbol, enum fb_side side, const struct fb_order_terms *terms,
                       bool replace, const struct fb_policy_state *st,
                       struct fb_policy_verdict *out)
{
    struct fb_policy_limits_cfg lim;
    const char *src[FB_PK_LAST];
    struct fb_policy_verdict note;
    if (!p || !st || !out || venue >= p->nvenues || session >= p->nsessions ||
        (unsigned)side >= FB_SIDE_LAST || (unsigned)terms->ord_type >= FB_ORD_TYPE_LAST ||
        (unsigned)terms->tif >= FB_TIF_LAST)
        return FB_ERR_INVALID;
    resolve(p, venue, session, account, symbol, &lim, src);
    struct ctx c = {.lim = &lim,
                    .src = src,
                    .st = st,
                    .symbol = symbol,
                    .side = side,
                    .replace = replace,
                    .t = *terms};
    memset(out, 0, sizeof *out);
    memset(&note, 0, sizeof note);
    out->action = FB_POLICY_ACCEPT;
    out->rule = -1;
    for (int i = 0; i < FB_PR_COUNT; i++) {
        enum fb_policy_action a = rules[i].fn(&c, out);
        if (a == FB_POLICY_REFUSE) {
            out->action = FB_POLICY_REFUSE;
            out->rule = i;
            out->terms = c.t;
            return FB_OK;
        }
        if (a == FB_POLICY_MODIFY) {
            /* Keep the note: later rules write out->text only to refuse. */
            note = *out;
            note.action = FB_POLICY_MODIFY;
            note.rule = i;
            out->text[0] = '\0';
        }
    }
    if (note.action == FB_POLICY_MODIFY) {
        out->action = FB_POLICY_MODIFY;
        out->rule = note.rule;
        memcpy(out->text, note.text, sizeof out->text);
    }
    out->terms = c.t;
    return FB_OK;
}

enum fb_err fb_policy_check_new(const struct fb_policy *p, const struct fb_new_order *o,
                                const struct fb_policy_state *st, struct fb_policy_verdict *out)
{
    if (!o)
        return FB_ERR_INVALID;
    return run(p, o->venue, o->session, o->account, o->symbol, o->side, &o->terms, false, st, out);
}

enum fb_err fb_policy_check_replace(const struct fb_policy *p, const struct fb_replace_order *r,
                                    const struct fb_policy_state *st, struct fb_policy_verdict *out)
{
    if (!r)
        return FB_ERR_INVALID;
    return run(p, r->venue, r->session, r->account, r->symbol, r->side, &r->terms, true, st, out);
}
