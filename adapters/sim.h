/*
 * sim: the embedded paper venue.
 *
 * An in-process matching engine behind struct fb_venue_ops (fb_venue_sim):
 * no keys, no network, no clock reads (time comes from the now_ns the
 * caller passes) and no rand(): the same params, seed and call sequence give
 * the same event stream, byte for byte.
 *
 * Model, in brief (details in sim.c and sim_book.h):
 * - Each market has a reference price that moves every tick_ms by a bounded
 *   random walk (up to volatility_bps of itself, rounded to tick, never
 *   <= 0). The touch is reference -/+ spread_bps/2, bid rounded down and ask
 *   up to the tick. Liquidity at the touch is unlimited.
 * - Every request reaches the "venue" ack_latency_ms after it was made; the
 *   ACK and everything that follows happen from then on, inside run().
 * - Market orders fill at the touch (buy at ask), in one fill or, with
 *   FB_SIM_FILL_PARTIAL, in partial_fill_parts parts, one per tick.
 *   Marketable limits fill at the touch as taker; resting limits fill at
 *   their own price as maker when the touch reaches them. Stops trigger on
 *   the reference. IOC cancels what did not fill at once, FOK fills at once
 *   or is canceled, post-only that would cross is REJECTED (like Binance's
 *   LIMIT_MAKER), Day expires at the end of the UTC day, GTD at expire_ns.
 * - Filters are enforced with Binance-like texts ("Filter failure:
 *   PRICE_FILTER", "Filter failure: LOT_SIZE", "Filter failure:
 *   MIN_NOTIONAL"). Fees: qty * price * rate, in the quote asset.
 */
#ifndef FB_SIM_H
#define FB_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "adapters/venue.h"
#include "bridge/decimal.h"
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_SIM_MARKETS_MAX 64
#define FB_SIM_PARTS_MAX 100

enum fb_sim_fill_mode {
    FB_SIM_FILL_FULL = 0,   /* a fill takes the whole remaining qty */
    FB_SIM_FILL_PARTIAL = 1 /* at most qty/parts per tick (last part: the rest) */
};

struct fb_sim_market_params {
    char symbol[FB_VENUE_SYMBOL_MAX + 1];
    char base[FB_VENUE_ASSET_MAX + 1];
    char quote[FB_VENUE_ASSET_MAX + 1]; /* also the fee currency */
    struct fb_dec reference_price;      /* start price, > 0, multiple of tick */
    struct fb_dec tick_size;            /* > 0 */
    struct fb_dec step_size;            /* > 0 */
    struct fb_dec min_qty;              /* 0 = none */
    struct fb_dec max_qty;              /* 0 = none */
    struct fb_dec min_notional;         /* 0 = none */
    uint32_t volatility_bps;            /* max move per tick, 0 = price stays */
    uint32_t spread_bps;                /* bid/ask distance, 0 = bid == ask */
};

/*
 * The sim's params, the `params` of fb_venue_sim.create(). Plain data; the
 * sim copies it, so the caller may free it after create() returns.
 */
struct fb_sim_params {
    uint64_t seed;
    struct fb_dec maker_fee_rate; /* e.g. 0.001 = 10 bps; >= 0 */
    struct fb_dec taker_fee_rate;
    enum fb_sim_fill_mode fill_mode;
    uint32_t partial_fill_parts; /* PARTIAL only: 2..FB_SIM_PARTS_MAX */
    uint32_t tick_ms;            /* reference moves and partial fills; >= 1 */
    uint32_t ack_latency_ms;     /* delay from request to venue action */
    size_t n_markets;            /* 1..FB_SIM_MARKETS_MAX */
    struct fb_sim_market_params markets[FB_SIM_MARKETS_MAX];
};

/* The state behind fb_venue_sim's void *state. */
struct fb_sim;

/*
 * Test hooks. Deterministic, take effect immediately (no latency) and emit
 * their events on the next run(). For end-to-end and matrix tests; never
 * called by the bridge itself.
 */

/* Sets the market's reference price (multiple of tick, > 0) and re-prices
 * the touch; resting orders and stops are matched against it on the next
 * run(), before any tick. FB_ERR_NOT_FOUND / FB_ERR_INVALID. */
enum fb_err fb_sim_set_reference(struct fb_sim *sim, const char *symbol,
                                 struct fb_dec price) FB_WARN_UNUSED;

/* Cancels an open order as if the venue had decided to (CANCELED, reason
 * UNSOLICITED, on the next run()). FB_ERR_NOT_FOUND if no such open order. */
enum fb_err fb_sim_cancel_unsolicited(struct fb_sim *sim,
                                      const char *client_order_id) FB_WARN_UNUSED;

/* Fills fb_sim_params with the defaults (seed 1, fees 0.001/0.001, full
 * fills, tick_ms 1000, no latency, no markets). */
void fb_sim_params_default(struct fb_sim_params *p);

#ifdef __cplusplus
}
#endif
#endif
