#include "bridge/venues.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/binance.h"
#include "adapters/kraken.h"
#include "adapters/sim.h"

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static enum fb_err sim_params_from(const struct fb_venue_cfg *v, struct fb_sim_params *p,
                                   char *errbuf, size_t errlen)
{
    fb_sim_params_default(p);
    if (v->nmarkets > FB_SIM_MARKETS_MAX) {
        snprintf(errbuf, errlen, "venue %s: at most %d markets", v->name, FB_SIM_MARKETS_MAX);
        return FB_ERR_CONFIG;
    }
    p->seed = v->seed;
    p->maker_fee_rate = v->maker_fee_rate;
    p->taker_fee_rate = v->taker_fee_rate;
    p->fill_mode = v->fill == FB_FILL_PARTIAL ? FB_SIM_FILL_PARTIAL : FB_SIM_FILL_FULL;
    p->partial_fill_parts = v->partial_fill_parts;
    p->tick_ms = v->tick_ms;
    p->ack_latency_ms = v->ack_latency_ms;
    p->n_markets = v->nmarkets;
    for (size_t i = 0; i < v->nmarkets; i++) {
        const struct fb_market_cfg *m = &v->markets[i];
        struct fb_sim_market_params *q = &p->markets[i];
        copy_str(q->symbol, sizeof q->symbol, m->symbol);
        copy_str(q->base, sizeof q->base, m->base);
        copy_str(q->quote, sizeof q->quote, m->quote);
        q->reference_price = m->reference_price;
        q->tick_size = m->tick_size;
        q->step_size = m->step_size;
        q->min_qty = m->min_qty;
        q->max_qty = m->max_qty;
        q->min_notional = m->min_notional;
        q->volatility_bps = m->volatility_bps;
        q->spread_bps = m->spread_bps;
    }
    return FB_OK;
}

/* The venue symbols the config routes to venue v (the markets whose
 * rules a REST venue must load). At most max; returns how many. */
static size_t routed_symbols(const struct fb_config *cfg, const struct fb_venue_cfg *v,
                             const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->nroutes && n < max; i++) {
        const struct fb_route_cfg *r = &cfg->routes[i];
        if (strcmp(r->venue, v->name) != 0)
            continue;
        size_t k = 0;
        while (k < n && strcmp(out[k], r->venue_symbol) != 0)
            k++;
        if (k == n)
            out[n++] = r->venue_symbol;
    }
    return n;
}

static const char *secret_from_env(const struct fb_config *cfg, size_t vi, const char *key,
                                   const char *var, char *errbuf, size_t errlen)
{
    const char *val = var ? getenv(var) : NULL;
    if (!val || !*val) {
        snprintf(errbuf, errlen, "%s: venues[%zu].%s: environment variable %s is not set",
                 cfg->path, vi, key, var ? var : "(none)");
        return NULL;
    }
    return val;
}

enum fb_err fb_venues_create(const struct fb_config *cfg, struct fb_venue_inst *insts,
                             void (*sink_fn)(void *user, const struct fb_venue_event *ev),
                             void (*written_fn)(void *user, int64_t origin_ns,
                                                int64_t written_ns),
                             void *engine, char *errbuf, size_t errlen)
{
    enum fb_err rc = FB_OK;
    size_t i;
    struct fb_sim_params *sim = NULL;
    struct fb_binance_params binance;
    struct fb_kraken_params kraken;
    char nonce_dir[4200];

    memset(insts, 0, cfg->nvenues * sizeof *insts);
    for (i = 0; i < cfg->nvenues; i++) {
        const struct fb_venue_cfg *v = &cfg->venues[i];
        const char *type = fb_venue_type_name(v->type);
        const struct fb_venue_ops *ops = fb_venue_find(type);
        const void *params = NULL;
        char err[256] = "";
        struct fb_venue_sink sink = {&insts[i], sink_fn, written_fn};

        insts[i].name = v->name;
        insts[i].index = i;
        insts[i].engine = engine;
        if (!ops) {
            snprintf(errbuf, errlen, "venue %s: type %s is not available in this build",
                     v->name, type);
            rc = FB_ERR_UNSUPPORTED;
            goto fail;
        }
        if (v->type == FB_VENUE_SIM) {
            if (!sim && !(sim = malloc(sizeof *sim))) {
                rc = FB_ERR_NOMEM;
                snprintf(errbuf, errlen, "out of memory");
                goto fail;
            }
            rc = sim_params_from(v, sim, errbuf, errlen);
            if (rc)
                goto fail;
            params = sim;
        } else if (v->type == FB_VENUE_BINANCE) {
            static const char *symbols[FB_BINANCE_SYMBOLS_MAX];
            struct fb_binance_params *bp = &binance;
            memset(bp, 0, sizeof *bp);
            bp->base_url = v->base_url;
            bp->api_key = secret_from_env(cfg, i, "api_key_env", v->api_key_env, errbuf, errlen);
            bp->api_secret = bp->api_key ? secret_from_env(cfg, i, "api_secret_env",
                                                           v->api_secret_env, errbuf, errlen)
                                         : NULL;
            if (!bp->api_key || !bp->api_secret) {
                rc = FB_ERR_CONFIG;
                goto fail;
            }
            bp->ca_file = v->ca_file;
            bp->symbols = symbols;
            bp->n_symbols = routed_symbols(cfg, v, symbols, FB_BINANCE_SYMBOLS_MAX);
            bp->connect_timeout_ms = v->connect_timeout_ms;
            bp->request_timeout_ms = v->request_timeout_ms;
            bp->poll_interval_ms = v->poll_interval_ms;
            bp->recv_window_ms = v->recv_window_ms;
            bp->seed = (uint64_t)i + 1;
            params = bp;
        } else if (v->type == FB_VENUE_KRAKEN) {
            static const char *pairs[FB_KRAKEN_SYMBOLS_MAX];
            struct fb_kraken_params *kp = &kraken;
            memset(kp, 0, sizeof *kp);
            kp->base_url = v->base_url;
            kp->api_key = secret_from_env(cfg, i, "api_key_env", v->api_key_env, errbuf, errlen);
            kp->api_secret = kp->api_key ? secret_from_env(cfg, i, "api_secret_env",
                                                           v->api_secret_env, errbuf, errlen)
                                         : NULL;
            if (!kp->api_key || !kp->api_secret) {
                rc = FB_ERR_CONFIG;
                goto fail;
            }
            /* the nonce must keep rising across restarts: it lives with the
             * bridge's other durable state, one file per venue (and key) */
            snprintf(nonce_dir, sizeof nonce_dir, "%s/kraken-%s", cfg->bridge.data_dir, v->name);
            kp->nonce_dir = nonce_dir;
            kp->ca_file = v->ca_file;
            kp->symbols = pairs;
            kp->n_symbols = routed_symbols(cfg, v, pairs, FB_KRAKEN_SYMBOLS_MAX);
            kp->connect_timeout_ms = v->connect_timeout_ms;
            kp->request_timeout_ms = v->request_timeout_ms;
            kp->poll_interval_ms = v->poll_interval_ms;
            kp->seed = (uint64_t)i + 1;
            params = kp;
        }
        rc = ops->create(params, &sink, &insts[i].state, err, sizeof err);
        if (rc) {
            snprintf(errbuf, errlen, "venue %s: %s", v->name, err);
            goto fail;
        }
        insts[i].ops = ops;
    }
    free(sim);
    return FB_OK;
fail:
    free(sim);
    fb_venues_destroy(insts, i);
    return rc;
}

void fb_venues_destroy(struct fb_venue_inst *insts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (insts[i].ops && insts[i].state)
            insts[i].ops->destroy(insts[i].state);
        insts[i].state = NULL;
        insts[i].ops = NULL;
    }
}
