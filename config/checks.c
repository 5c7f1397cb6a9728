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

void cfg_check_root(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path)
{
    (void)path;
    check_sessions(ctx, map, obj);
    check_routes(ctx, map, obj);
}
