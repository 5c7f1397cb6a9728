/*
 * checks.c -- rules that relate two or more keys ("contradictory
 * combinations"), one hook per table. Single values are already checked by
 * their rows when these run.
 */
#include <stdio.h>
#include <string.h>

#include "config/schema.h"

/* Where to point at: the key's value if given, else the mapping. */
static const struct yt_node *at(const struct yt_node *map, const char *key)
{
    const struct yt_node *n = yt_map_get(map, key);
    return n ? n : map;
}

static const struct yt_node *at_key(const struct yt_node *map, const char *key)
{
    const struct yt_node *n = yt_map_key(map, key);
    return n ? n : map;
}

static void err_at(struct cfg_ctx *ctx, const struct yt_node *node, const char *path,
                   const char *key, const char *reason)
{
    char kpath[CFG_PATH_MAX];
    cfg_join(kpath, path, key);
    cfg_error(ctx, node, kpath, "%s", reason);
}

void cfg_check_credentials(struct cfg_ctx *ctx, const struct yt_node *map, void *obj,
                           const char *path)
{
    const struct fb_credentials_cfg *c = obj;
    if (!c->password_env && !c->password_hash)
        err_at(ctx, map, path, "password_env", "one of password_env or password_hash is required");
    else if (c->password_env && c->password_hash)
        err_at(ctx, at_key(map, "password_hash"), path, "password_hash",
               "give password_env or password_hash, not both");
}

void cfg_check_tls(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    const struct fb_tls_cfg *t = obj;
    if (t->require_client_cert && !t->ca)
        err_at(ctx, map, path, "ca", "required when require_client_cert is true");
}

void cfg_check_schedule(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    const struct fb_schedule_cfg *s = obj;
    if ((s->start_day == FB_DAY_NONE) != (s->end_day == FB_DAY_NONE)) {
        const char *missing = s->start_day == FB_DAY_NONE ? "start_day" : "end_day";
        err_at(ctx, map, path, missing, "start_day and end_day are given together or not at all");
    } else if (s->start_day == FB_DAY_NONE && s->start_time == s->end_time) {
        err_at(ctx, at(map, "end_time"), path, "end_time",
               "equals start_time, which leaves no trading window");
    }
}

void cfg_check_session(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    const struct fb_session_cfg *s = obj;
    if (s->heartbeat_min_s > s->heartbeat_max_s)
        err_at(ctx, at(map, "heartbeat_min_s"), path, "heartbeat_min_s",
               "must not exceed heartbeat_max_s");
    if (s->reset == FB_RESET_DAILY && !yt_map_get(map, "reset_time"))
        err_at(ctx, map, path, "reset_time", "required when reset is daily");
    if (s->reset != FB_RESET_DAILY && yt_map_get(map, "reset_time"))
        err_at(ctx, at_key(map, "reset_time"), path, "reset_time",
               "only valid when reset is daily");
    if (s->order_scope == FB_SCOPE_ACCOUNT && !s->account)
        err_at(ctx, at(map, "order_scope"), path, "account",
               "required when order_scope is account");
}

void cfg_check_market(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    const struct fb_market_cfg *m = obj;
    /* The simulated book quotes on the tick grid from its first step. */
    if (!fb_dec_is_multiple(m->reference_price, m->tick_size))
        err_at(ctx, at(map, "reference_price"), path, "reference_price",
               "must be a multiple of tick_size");
    if (!fb_dec_is_zero(m->max_qty) && fb_dec_cmp(m->min_qty, m->max_qty) > 0)
        err_at(ctx, at(map, "min_qty"), path, "min_qty", "must not exceed max_qty");
}

static void check_slow_ms(struct cfg_ctx *ctx, const struct yt_node *map,
                          const struct fb_venue_cfg *v, const char *path);

void cfg_check_venue(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    const struct fb_venue_cfg *v = obj;
    const struct yt_node *markets = yt_map_get(map, "markets");
    for (size_t i = 0; i < v->nmarkets; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(v->markets[i].symbol, v->markets[j].symbol) != 0)
                continue;
            char kpath[CFG_PATH_MAX], why[96];
            snprintf(kpath, sizeof kpath, "%s.markets[%zu].symbol", path, i);
            snprintf(why, sizeof why, "duplicate market symbol (also markets[%zu])", j);
            cfg_error(ctx, at(markets->items[i], "symbol"), kpath, "%s", why);
            break;
        }
    }
    check_slow_ms(ctx, map, v, path);
}

/* ---- throttles and breaker ---- */

/* Every order is also a message (or a request): an orders limit above the
 * message limit could never be reached, so the operator meant something
 * else. 0 is no limit and never conflicts. */
static void check_orders_within(struct cfg_ctx *ctx, const struct yt_node *map, const char *path,
                                unsigned orders, const char *outer_key, unsigned outer,
                                const char *what)
{
    char why[CFG_PATH_MAX];
    if (orders == 0 || outer == 0 || orders <= outer)
        return;
    const char *key =
        yt_map_get(map, "orders_per_s") || !yt_map_get(map, outer_key) ? "orders_per_s" : outer_key;
    if (strcmp(key, "orders_per_s") == 0)
        snprintf(why, sizeof why,
                 "%u exceeds %s %u; every order is a %s, so it could never be "
                 "reached",
                 orders, outer_key, outer, what);
    else
        snprintf(why, sizeof why,
                 "%u is below orders_per_s %u; every order is a %s, so "
                 "orders_per_s could never be reached",
                 outer, orders, what);
    err_at(ctx, at(map, key), path, key, why);
}

void cfg_check_session_throttle(struct cfg_ctx *ctx, const struct yt_node *map, void *obj,
                                const char *path)
{
    const struct fb_session_throttle_cfg *t = obj;
    check_orders_within(ctx, map, path, t->orders_per_s, "messages_per_s", t->messages_per_s,
                        "message");
}

void cfg_check_venue_throttle(struct cfg_ctx *ctx, const struct yt_node *map, void *obj,
                              const char *path)
{
    const struct fb_venue_throttle_cfg *t = obj;
    check_orders_within(ctx, map, path, t->orders_per_s, "requests_per_s", t->requests_per_s,
                        "request");
}

void cfg_check_breaker(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    const struct fb_breaker_cfg *b = obj;
    char why[CFG_PATH_MAX];
    if (b->consecutive_failures == 0 && b->error_rate_pct == 0) {
        const char *key =
            yt_map_get(map, "consecutive_failures") ? "consecutive_failures" : "error_rate_pct";
        err_at(ctx, at(map, key), path, key,
               "consecutive_failures and error_rate_pct are both 0, so the breaker could never "
               "open");
    }
    if (b->max_cooldown_ms < b->cooldown_ms) {
        const char *key = yt_map_get(map, "max_cooldown_ms") ? "max_cooldown_ms" : "cooldown_ms";
        if (strcmp(key, "max_cooldown_ms") == 0)
            snprintf(why, sizeof why, "%u is below cooldown_ms %u", b->max_cooldown_ms,
                     b->cooldown_ms);
        else
            snprintf(why, sizeof why, "%u exceeds max_cooldown_ms %u", b->cooldown_ms,
                     b->max_cooldown_ms);
        err_at(ctx, at(map, key), path, key, why);
    }
}

/* A REST venue's breaker.slow_ms at or over its request_timeout_ms could
 * never see an answer that slow (the request has timed out by then, which
 * counts as a failure anyway). Reported only where the file sets slow_ms:
 * lowering the timeout alone must not trip over a default. */
static void check_slow_ms(struct cfg_ctx *ctx, const struct yt_node *map,
                          const struct fb_venue_cfg *v, const char *path)
{
    const struct yt_node *bm = yt_map_get(map, "breaker");
    char kpath[CFG_PATH_MAX], why[CFG_PATH_MAX];
    if (v->type == FB_VENUE_SIM || !bm || bm->kind != YT_MAP || !yt_map_get(bm, "slow_ms"))
        return;
    if (v->breaker.slow_ms == 0 || v->breaker.slow_ms < v->request_timeout_ms)
        return;
    cfg_join(kpath, path, "breaker");
    snprintf(why, sizeof why,
             "%u is not below request_timeout_ms %u, so no answer could ever be that slow",
             v->breaker.slow_ms, v->request_timeout_ms);
    err_at(ctx, at(bm, "slow_ms"), kpath, "slow_ms", why);
}

/* ---- policy ---- */

#define PK(k) (1u << (FB_PK_##k))

/*
 * Rules between limits that hold in whatever layer they meet. where/given:
 * the block being checked and the keys it sets itself; a conflict is
 * reported at the first of the conflicting keys that block sets (the
 * others' layer is named by from[], NULL when it is this block), so a
 * contradiction is reported once, at the layer that made it.
 */
static void check_limits(struct cfg_ctx *ctx, const struct yt_node *map, const char *path,
                         const struct fb_policy_limits_cfg *l, uint32_t given,
                         const char *const from[FB_PK_LAST])
{
    char why[CFG_PATH_MAX], a[FB_DEC_STRMAX], b[FB_DEC_STRMAX];
#define SRC(k) (from[FB_PK_##k] ? " set by " : ""), (from[FB_PK_##k] ? from[FB_PK_##k] : "")
    if (!fb_dec_is_zero(l->max_price) && fb_dec_cmp(l->min_price, l->max_price) > 0 &&
        (given & (PK(MIN_PRICE) | PK(MAX_PRICE)))) {
        cfg_format_decimal(l->min_price, a);
        cfg_format_decimal(l->max_price, b);
        if (given & PK(MIN_PRICE)) {
            snprintf(why, sizeof why, "%s exceeds max_price %s%s%s", a, b, SRC(MAX_PRICE));
            err_at(ctx, at(map, "min_price"), path, "min_price", why);
        } else {
            snprintf(why, sizeof why, "%s is below min_price %s%s%s", b, a, SRC(MIN_PRICE));
            err_at(ctx, at(map, "max_price"), path, "max_price", why);
        }
    }
    if (l->market_orders != FB_MKT_CONVERT_TO_IOC_LIMIT)
        return;
    if (l->slippage_bps == 0 && (given & (PK(SLIPPAGE_BPS) | PK(MARKET_ORDERS)))) {
        if (given & PK(SLIPPAGE_BPS)) {
            snprintf(why, sizeof why,
                     "must be greater than 0 with market_orders convert_to_ioc_limit%s%s",
                     SRC(MARKET_ORDERS));
            err_at(ctx, at(map, "slippage_bps"), path, "slippage_bps", why);
        } else {
            snprintf(why, sizeof why, "convert_to_ioc_limit needs slippage_bps > 0, not 0%s%s",
                     SRC(SLIPPAGE_BPS));
            err_at(ctx, at(map, "market_orders"), path, "market_orders", why);
        }
    } else if (l->collar_bps != 0 && l->slippage_bps > l->collar_bps &&
               (given & (PK(SLIPPAGE_BPS) | PK(COLLAR_BPS) | PK(MARKET_ORDERS)))) {
        /* The collar would refuse every converted market order. */
        const char *key = given & PK(SLIPPAGE_BPS) ? "slippage_bps"
                          : given & PK(COLLAR_BPS) ? "collar_bps"
                                                   : "market_orders";
        snprintf(why, sizeof why,
                 "slippage_bps %u exceeds collar_bps %u%s%s, so the collar would refuse every "
                 "converted market order",
                 l->slippage_bps, l->collar_bps, SRC(COLLAR_BPS));
        err_at(ctx, at(map, key), path, key, why);
    }
#undef SRC
}

void cfg_check_policy_default(struct cfg_ctx *ctx, const struct yt_node *map, void *obj,
                              const char *path)
{
    struct fb_policy_limits_cfg *l = obj;
    static const char *const none[FB_PK_LAST];
    uint32_t given = 0;
    l->set = (1u << FB_PK_LAST) - 1; /* every key has its default */
    /* The defaults agree with each other, so a conflict involves a key
     * written here: blame that one. */
    for (unsigned k = 0; k < FB_PK_LAST; k++)
        if (yt_map_get(map, cfg_policy_key_names[k]))
            given |= 1u << k;
    check_limits(ctx, map, path, l, given, none);
}

void cfg_check_policy_override(struct cfg_ctx *ctx, const struct yt_node *map, void *obj,
                               const char *path)
{
    struct fb_policy_override_cfg *o = obj;
    o->limits.set = 0;
    for (unsigned k = 0; k < FB_PK_LAST; k++)
        if (yt_map_get(map, cfg_policy_key_names[k]))
            o->limits.set |= 1u << k;
    if (!o->venue && !o->session && !o->account && !o->symbol)
        cfg_error(ctx, map, path,
                  "an override needs at least one of venue, session, account, "
                  "symbol");
    if (o->limits.set == 0)
        cfg_error(ctx, map, path, "an override must set at least one limit");
    /* Limits against the default and other overrides: cfg_check_root. */
}

/* ---- across sections ---- */

/* The node for key in list[i] of the root, or the best enclosing node. */
static const struct yt_node *item_at(const struct yt_node *root, const char *list, size_t i,
                                     const char *key)
{
    const struct yt_node *l = yt_map_get(root, list);
    if (!l || l->kind != YT_SEQ || i >= l->n)
        return root;
    const struct yt_node *item = l->items[i];
    return item->kind == YT_MAP ? at(item, key) : item;
}

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool same_tls(const struct fb_tls_cfg *a, const struct fb_tls_cfg *b)
{
    if (a->present != b->present)
        return false;
    if (!a->present)
        return true;
    return streq(a->cert, b->cert) && streq(a->key, b->key) &&
           (a->ca == b->ca || streq(a->ca, b->ca)) &&
           a->require_client_cert == b->require_client_cert;
}

static void check_sessions(struct cfg_ctx *ctx, const struct yt_node *root,
                           const struct fb_config *c)
{
    char kpath[CFG_PATH_MAX];
    for (size_t i = 0; i < c->nsessions; i++) {
        const struct fb_session_cfg *s = &c->sessions[i];
        for (size_t j = 0; j < i; j++) {
            const struct fb_session_cfg *o = &c->sessions[j];
            if (streq(s->name, o->name)) {
                snprintf(kpath, sizeof kpath, "sessions[%zu].name", i);
                cfg_error(ctx, item_at(root, "sessions", i, "name"), kpath,
                          "duplicate session name (also sessions[%zu])", j);
            }
            if (s->fix_version == o->fix_version && streq(s->sender_comp_id, o->sender_comp_id) &&
                streq(s->target_comp_id, o->target_comp_id)) {
                snprintf(kpath, sizeof kpath, "sessions[%zu].target_comp_id", i);
                cfg_error(ctx, item_at(root, "sessions", i, "target_comp_id"), kpath,
                          "same fix_version, sender_comp_id and target_comp_id as sessions[%zu]",
                          j);
            }
            /* One listener serves every session on an address and port, so
             * they cannot disagree on whether it speaks TLS. */
            if (s->port != 0 && s->port == o->port && streq(s->listen, o->listen) &&
                !same_tls(&s->tls, &o->tls)) {
                snprintf(kpath, sizeof kpath, "sessions[%zu].tls", i);
                cfg_error(ctx, item_at(root, "sessions", i, "port"), kpath,
                          "shares listen address and port with sessions[%zu] but not its tls "
                          "settings",
                          j);
            }
        }
    }
}

static bool has_market(const struct fb_venue_cfg *v, const char *symbol)
{
    for (size_t i = 0; i < v->nmarkets; i++)
        if (streq(v->markets[i].symbol, symbol))
            return true;
    return false;
}

static void check_routes(struct cfg_ctx *ctx, const struct yt_node *root, const struct fb_config *c)
{
    char kpath[CFG_PATH_MAX];
    for (size_t i = 0; i < c->nvenues; i++) {
        for (size_t j = 0; j < i; j++) {
            if (streq(c->venues[i].name, c->venues[j].name)) {
                snprintf(kpath, sizeof kpath, "venues[%zu].name", i);
                cfg_error(ctx, item_at(root, "venues", i, "name"), kpath,
                          "duplicate venue name (also venues[%zu])", j);
            }
        }
    }
    for (size_t i = 0; i < c->nroutes; i++) {
        const struct fb_route_cfg *r = &c->routes[i];
        if (!r->symbol || !r->venue || !r->venue_symbol)
            continue; /* already reported */
        for (size_t j = 0; j < i; j++) {
            const struct fb_route_cfg *o = &c->routes[j];
            if (streq(r->symbol, o->symbol) && (r->ex_destination == o->ex_destination ||
                                                streq(r->ex_destination, o->ex_destination))) {
                snprintf(kpath, sizeof kpath, "routes[%zu].symbol", i);
                cfg_error(ctx, item_at(root, "routes", i, "symbol"), kpath,
                          "same symbol and ex_destination as routes[%zu]", j);
            }
        }
        const struct fb_venue_cfg *v = NULL;
        for (size_t j = 0; j < c->nvenues; j++)
            if (streq(c->venues[j].name, r->venue))
                v = &c->venues[j];
        if (!v) {
            /* A venue whose name had an error may be the one meant. */
            bool all_named = c->nvenues > 0;
            for (size_t j = 0; j < c->nvenues; j++)
                all_named = all_named && c->venues[j].name;
            if (all_named) {
                snprintf(kpath, sizeof kpath, "routes[%zu].venue", i);
                cfg_error(ctx, item_at(root, "routes", i, "venue"), kpath,
                          "no venue with this name");
            }
            continue;
        }
        if (v->type == FB_VENUE_SIM && v->nmarkets && !has_market(v, r->venue_symbol)) {
            snprintf(kpath, sizeof kpath, "routes[%zu].venue_symbol", i);
            cfg_error(ctx, item_at(root, "routes", i, "venue_symbol"), kpath,
                      "not one of the markets of venue %s", v->name);
        }
    }
}

/* The overrides' node list, or NULL. */
static const struct yt_node *overrides_node(const struct yt_node *root)
{
    const struct yt_node *p = yt_map_get(root, "policy");
    const struct yt_node *l = p && p->kind == YT_MAP ? yt_map_get(p, "overrides") : NULL;
    return l && l->kind == YT_SEQ ? l : NULL;
}

/* Selector bits, also the override's precedence: a larger value is more
 * specific (bridge/policy.h explains the order). */
static unsigned selectors(const struct fb_policy_override_cfg *o)
{
    return (o->venue ? 1u : 0) | (o->session ? 2u : 0) | (o->account ? 4u : 0) |
           (o->symbol ? 8u : 0);
}

static bool opt_eq(const char *a, const char *b)
{
    return a == b || streq(a, b);
}

/* Every order that a matches, b matches too (b is a less specific layer
 * that always applies along with a). */
static bool covers(const struct fb_policy_override_cfg *b, const struct fb_policy_override_cfg *a)
{
    return (!b->venue || streq(b->venue, a->venue)) &&
           (!b->session || streq(b->session, a->session)) &&
           (!b->account || streq(b->account, a->account)) &&
           (!b->symbol || streq(b->symbol, a->symbol));
}

static void merge_limits(struct fb_policy_limits_cfg *into, const struct fb_policy_limits_cfg *l,
                         const char *from, const char **src)
{
#define M(K, f)                                                                                    \
    if (l->set & PK(K)) {                                                                          \
        into->f = l->f;                                                                            \
        src[FB_PK_##K] = from;                                                                     \
    }
    M(MAX_ORDER_QTY, max_order_qty)
    M(MAX_ORDER_NOTIONAL, max_order_notional)
    M(MAX_OPEN_ORDERS, max_open_orders)
    M(MAX_POSITION, max_position)
    M(ALLOWED_ORD_TYPES, allowed_ord_types)
    M(ALLOWED_TIFS, allowed_tifs)
    M(ALLOW_POST_ONLY, allow_post_only)
    M(COLLAR_BPS, collar_bps)
    M(MIN_PRICE, min_price)
    M(MAX_PRICE, max_price)
    M(MARKET_ORDERS, market_orders)
    M(SLIPPAGE_BPS, slippage_bps)
    M(REFERENCE_MAX_AGE_MS, reference_max_age_ms)
#undef M
}

static bool names_venue(const struct fb_config *c, const char *name, bool *all_named)
{
    bool found = false;
    *all_named = true;
    for (size_t i = 0; i < c->nvenues; i++) {
        *all_named = *all_named && c->venues[i].name;
        found = found || streq(c->venues[i].name, name);
    }
    return found;
}

static bool names_session(const struct fb_config *c, const char *name, bool *all_named)
{
    bool found = false;
    *all_named = true;
    for (size_t i = 0; i < c->nsessions; i++) {
        *all_named = *all_named && c->sessions[i].name;
        found = found || streq(c->sessions[i].name, name);
    }
    return found;
}

static bool names_route_symbol(const struct fb_config *c, const char *name, bool *all_named)
{
    bool found = false;
    *all_named = true;
    for (size_t i = 0; i < c->nroutes; i++) {
        *all_named = *all_named && c->routes[i].symbol;
        found = found || streq(c->routes[i].symbol, name);
    }
    return found;
}

/*
 * Overrides: selectors name things that exist, no two share a selector set,
 * and each one's limits merged over the layers that always apply with it
 * (the default and the overrides covering it) are not contradictory.
 * Overrides that only overlap (an account's and a symbol's) are not merged
 * here; bridge/policy.c fails closed on what they might contradict.
 */
static void check_policy(struct cfg_ctx *ctx, const struct yt_node *root, const struct fb_config *c)
{
    const struct fb_policy_cfg *p = &c->policy;
    const struct yt_node *list = overrides_node(root);
    char path[CFG_PATH_MAX], why[CFG_PATH_MAX];
    bool all_named;
    if (!list || list->n != p->noverrides)
        return;
    for (size_t i = 0; i < p->noverrides; i++) {
        const struct fb_policy_override_cfg *o = &p->overrides[i];
        const struct yt_node *item = list->items[i];
        unsigned sel = selectors(o);
        if (o->limits.set == 0 || sel == 0 || item->kind != YT_MAP)
            continue; /* already reported */
        snprintf(path, sizeof path, "policy.overrides[%zu]", i);
        if (o->venue && !names_venue(c, o->venue, &all_named) && all_named)
            err_at(ctx, at(item, "venue"), path, "venue", "no venue with this name");
        if (o->session && !names_session(c, o->session, &all_named) && all_named)
            err_at(ctx, at(item, "session"), path, "session", "no session with this name");
        if (o->symbol && !names_route_symbol(c, o->symbol, &all_named) && all_named)
            err_at(ctx, at(item, "symbol"), path, "symbol", "no route for this symbol");
        for (size_t j = 0; j < i; j++) {
            const struct fb_policy_override_cfg *q = &p->overrides[j];
            if (q->limits.set != 0 && selectors(q) == sel && opt_eq(q->venue, o->venue) &&
                opt_eq(q->session, o->session) && opt_eq(q->account, o->account) &&
                opt_eq(q->symbol, o->symbol)) {
                snprintf(why, sizeof why,
                         "same venue, session, account and symbol as policy.overrides[%zu]", j);
                cfg_error(ctx, item, path, "%s", why);
                break;
            }
        }
        /* Merge from least to most specific, as bridge/policy.c does. */
        struct fb_policy_limits_cfg eff = p->def;
        const char *src[FB_PK_LAST];
        char names[16][48];
        for (unsigned k = 0; k < FB_PK_LAST; k++)
            src[k] = "policy.default";
        for (unsigned m = 1; m < sel; m++) {
            if ((m & sel) != m)
                continue;
            for (size_t j = 0; j < p->noverrides; j++) {
                const struct fb_policy_override_cfg *q = &p->overrides[j];
                if (j != i && q->limits.set != 0 && selectors(q) == m && covers(q, o)) {
                    snprintf(names[m], sizeof names[m], "policy.overrides[%zu]", j);
                    merge_limits(&eff, &q->limits, names[m], src);
                    break;
                }
            }
        }
        merge_limits(&eff, &o->limits, NULL, src);
        check_limits(ctx, item, path, &eff, o->limits.set, src);
    }
}

void cfg_check_root(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    (void)path;
    check_sessions(ctx, map, obj);
    check_routes(ctx, map, obj);
    check_policy(ctx, map, obj);
}
