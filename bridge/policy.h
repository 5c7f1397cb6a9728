/*
 * policy.h -- the declarative pre-trade policy (config `policy:`), resolved
 * once from the config and checked against each new order and each replace.
 *
 * Layers. policy.default sets every limit; each policy.overrides[] entry
 * names one or more of venue, session, account, symbol and sets any subset
 * of the limits. For an order, every override whose selectors all match
 * applies, key by key, most specific last, so the most specific layer that
 * sets a key wins. Specificity compares the selectors an override names as
 * a binary number, symbol > account > session > venue: any override naming
 * a symbol beats any that does not; among those, naming an account decides;
 * then a session; then a venue. Two overrides with the same selector set
 * and values are refused by check-config, so the order is total.
 *
 * The account an order is checked under is its Account(1), or its
 * session's configured `account` when the OMS sent none. The symbol is the
 * FIX Symbol(55) as the OMS sent it (routes[].symbol), not the venue's.
 *
 * Rules. The checks are one table of rule functions, run in order; the
 * first refusal wins and names its rule (fb_policy_rule_name). A rule may
 * modify the order instead (a market order capped as an IOC limit); later
 * rules then check the modified terms.
 *
 * Fail closed. A rule that needs a reference price (collar, market order
 * cap, and any limit that must value a market or CashOrderQty order) refuses
 * when none is given or it is older than reference_max_age_ms, with
 * OrdRejReason 0 (broker option: the order may be fine; the bridge declines
 * to judge it blind; 2 "exchange closed" would mislead).
 *
 * Pure: no I/O, no clock, no globals; time and everything the engine knows
 * come in struct fb_policy_state. No double anywhere.
 */
#ifndef FB_POLICY_H
#define FB_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/decimal.h"
#include "bridge/error.h"
#include "bridge/order.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fb_config;
struct fb_policy;

/* Venue capability bits the policy reads (same values as FB_VSUP_* in
 * adapters/venue.h, so the engine passes the venue's `supports` as is). */
#define FB_POLICY_CAP_LIMIT (1u << 1)
#define FB_POLICY_CAP_TIF_IOC (1u << 6)
#define FB_POLICY_CAP_TIF_FOK (1u << 7)

/* What only the engine knows at the moment of the check. */
struct fb_policy_state {
    int64_t now_ns;          /* the engine's clock, ns since the epoch UTC */
    struct fb_dec ref_bid;   /* best bid at the venue (sim: its price); 0 = unknown */
    struct fb_dec ref_ask;   /* best ask (sim: its price); 0 = unknown */
    int64_t ref_time_ns;     /* when ref_bid/ref_ask were true; 0 = unknown */
    struct fb_dec tick_size; /* the venue market's price increment; 0 = unknown */
    unsigned int venue_caps; /* FB_POLICY_CAP_* (or the venue's FB_VSUP_* bits) */
    /* Open orders in the scope the engine counts them in (the order's
     * account, else its session), not counting the order being checked. */
    uint32_t open_orders;
    /* Net filled position in the symbol in the same scope: + long, - short. */
    struct fb_dec position;
    /* Leaves of the scope's other open orders in the symbol, per side (>= 0).
     * For a replace, without the order being replaced. Zero if not tracked:
     * the position limit then counts fills and this order only. */
    struct fb_dec open_buy_qty;
    struct fb_dec open_sell_qty;
    /* Replace only: CumQty of the order being replaced (already in
     * `position`, so only new qty - cum_qty adds exposure). */
    struct fb_dec cum_qty;
};

enum fb_policy_action {
    FB_POLICY_ACCEPT = 0, /* send as is */
    FB_POLICY_MODIFY = 1, /* send verdict.terms instead (see verdict.text) */
    FB_POLICY_REFUSE = 2  /* reject: verdict.ord_rej_reason and verdict.text */
};

/* Rule indexes, in the order they run (fb_policy_rule_name gives names). */
enum fb_policy_rule {
    FB_PR_ORD_TYPE = 0,  /* allowed_ord_types */
    FB_PR_TIF,           /* allowed_tifs */
    FB_PR_POST_ONLY,     /* allow_post_only */
    FB_PR_MARKET_ORDERS, /* market_orders + slippage_bps (may modify) */
    FB_PR_PRICE_BAND,    /* min_price / max_price */
    FB_PR_COLLAR,        /* collar_bps */
    FB_PR_ORDER_QTY,     /* max_order_qty */
    FB_PR_NOTIONAL,      /* max_order_notional */
    FB_PR_OPEN_ORDERS,   /* max_open_orders (new orders only) */
    FB_PR_POSITION,      /* max_position */
    FB_PR_COUNT
};

struct fb_policy_verdict {
    enum fb_policy_action action;
    /* REFUSE: the refusing rule; MODIFY: the modifying rule; ACCEPT: -1. */
    int rule;
    int ord_rej_reason; /* REFUSE: OrdRejReason(103) (order.h FB_ORDREJ_*) */
    /* The terms to send: the order's own on ACCEPT, the modified ones on
     * MODIFY (ord_type, tif and price changed), undefined on REFUSE. */
    struct fb_order_terms terms;
    /* REFUSE: the reason for Text(58). MODIFY: what was changed, for the
     * log and the PendingNew report's Text. ACCEPT: "". */
    char text[FB_TEXT_LEN + 1];
};

/* Per-rule counters for metrics; the engine owns one and feeds it every
 * verdict. Plain data, engine thread only. */
struct fb_policy_stats {
    uint64_t checked;
    uint64_t refused[FB_PR_COUNT];
    uint64_t modified[FB_PR_COUNT];
};

/*
 * Resolves cfg->policy (a loaded, validated config) into *out: layers
 * sorted for O(log n) lookup, venues and sessions by index (the engine's
 * indexes: cfg->venues[i], cfg->sessions[i]). The policy copies what it
 * needs; cfg may be freed after. Free with fb_policy_free(). FB_ERR_NOMEM,
 * FB_ERR_INVALID (NULL argument) or FB_ERR_CONFIG (an override names a
 * venue or session cfg does not have: a config that did not pass the
 * loader).
 */
enum fb_err fb_policy_new(const struct fb_config *cfg, struct fb_policy **out) FB_WARN_UNUSED;
void fb_policy_free(struct fb_policy *p);

/*
 * Checks a new order. Fills *out on FB_OK (always, even for a refusal);
 * FB_ERR_INVALID only for NULL arguments or an order whose enums are out of
 * range. p is only read, so several threads may check at once.
 */
enum fb_err fb_policy_check_new(const struct fb_policy *p, const struct fb_new_order *o,
                                const struct fb_policy_state *st,
                                struct fb_policy_verdict *out) FB_WARN_UNUSED;

/*
 * Checks a replace's new terms, as if they were a new order, except that it
 * does not add an open order (the count is unchanged) and only qty - cum_qty
 * adds to the position (see struct fb_policy_state). A refusal is sent as an
 * OrderCancelReject with the verdict's Text (CxlRejReason 99 other, or 2 in
 * FIX 4.2 as report.c maps it).
 */
enum fb_err fb_policy_check_replace(const struct fb_policy *p, const struct fb_replace_order *r,
                                    const struct fb_policy_state *st,
                                    struct fb_policy_verdict *out) FB_WARN_UNUSED;

/* "max_order_qty", ...: a static name for rule i, or "?" out of range. */
const char *fb_policy_rule_name(int i);

/* Counts one verdict. */
void fb_policy_stats_add(struct fb_policy_stats *s, const struct fb_policy_verdict *v);

/* The effective limits for (venue, session, account, symbol), for the admin
 * endpoint and tests. layer[k] names the layer that set key k ("default",
 * "symbol BTC/USDT", "venue paper, account DESK1"), borrowed from p.
 * Account "" means the session's configured account. FB_ERR_INVALID for
 * NULL arguments or an index out of range. */
struct fb_policy_limits_cfg;
enum fb_err fb_policy_effective(const struct fb_policy *p, size_t venue, size_t session,
                                const char *account, const char *symbol,
                                struct fb_policy_limits_cfg *out,
                                const char *layer[]) FB_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif
