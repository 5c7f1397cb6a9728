/*
 * The sim's matching core: pure venue rules over an order table.
 *
 * No clock, no PRNG, no latency, no sink: every function takes the venue
 * time t at which the action happens, and events go out through the emit
 * callback at once (sim.c buffers them and delivers them inside run()).
 * sim.c owns the price process and calls fb_sim_book_set_touch() and
 * fb_sim_book_match() when prices move.
 *
 * Semantics (see also sim.h):
 * - Arrival of a new order, in this order of checks: duplicate id, unknown
 *   symbol, unsupported combination, PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL,
 *   GTD in the past, post-only would cross, stop would trigger now. Any
 *   failure -> REJECT (and the order is not stored: the id may be reused).
 *   Otherwise ACK, then one matching step at once.
 * - A matching step: a market order (or triggered stop-market) fills at the
 *   touch as taker. A limit that crosses fills at the touch as taker until
 *   it first fails to cross; from then on it rests and fills at its own
 *   price as maker whenever the touch reaches it. A fill takes the whole
 *   leaves (FULL) or one part (PARTIAL; parts = qty / N rounded down to the
 *   step, the N-th part takes the rest), at most one step per order per
 *   instant. IOC: one step, then CANCELED(IOC_REMAINDER) for any leaves.
 *   FOK: all at once in one fill, or CANCELED(FOK_UNFILLED).
 * - Stops trigger when the reference reaches the stop (buy: ref >= stop,
 *   sell: ref <= stop) and then behave as a market (STOP) or limit
 *   (STOP_LIMIT) order arriving at that instant, TIF included.
 * - Quote-qty market orders are converted at arrival into the base qty the
 *   quote amount buys at the touch, rounded down to the step.
 * - Replace (amend): only the current client order id is accepted; market
 *   orders and triggered stop-markets cannot be amended. A new qty <= cum
 *   qty cancels the remainder: REPLACED with leaves 0, order FILLED. A
 *   replaced limit is re-matched at once (it may take).
 * - Rejected orders are forgotten. Closed orders stay queryable and their
 *   ids stay used; by default for the life of the book. With
 *   fb_sim_book_set_retention(keep, ids_keep) (the paper venue, sim.c) only
 *   the last `keep` closed orders stay queryable; older ones are dropped
 *   (a query answers UNKNOWN) and all their ids stay used for a further
 *   `ids_keep` dropped ids, kept as 64-bit fingerprints, after which an id
 *   may be reused. Memory then stays flat however many orders finish.
 *
 * Costs do not depend on the number of open orders: each market indexes its
 * open orders (resting buys by price descending, sells ascending, stops by
 * trigger price, and a short list of orders still taking), so a matching
 * pass visits only the orders the touch reaches; expiries sit in a min-heap.
 * Where several orders act at one instant they act in arrival order, as if
 * the whole book were scanned.
 */
#ifndef FB_SIM_BOOK_H
#define FB_SIM_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/sim.h"
#include "adapters/venue.h"
#include "bridge/decimal.h"
#include "bridge/error.h"
#include "bridge/kindex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Orders a book holds at once (open, plus closed ones it keeps) before it
 * rejects new ones ("Too many orders."); a sanity bound on memory. */
#define FB_SIM_ORDERS_MAX (1u << 24)
/* The paper venue's retention (fb_sim_book_set_retention, see above). */
#define FB_SIM_CLOSED_KEEP 65536u
#define FB_SIM_IDS_KEEP (1u << 20)

/* An id an order had before a replace, kept so a drop can forget it. */
struct fb_sim_old_id {
    struct fb_sim_old_id *next;
    char id[FB_VENUE_CLORDID_MAX + 1];
};

struct fb_sim_order {
    /* (in this order so that no padding is wasted: a book may hold a
     * million of them) */
    struct fb_venue_order req; /* terms in force; client_order_id = current id */
    int64_t expire_ns; /* 0 = never */
    int64_t acted_ns;  /* last matching step, so one per instant */
    struct fb_dec qty; /* base qty in force (quote-qty: derived at arrival) */
    struct fb_dec cum_qty;
    struct fb_dec notional; /* sum of qty * price over fills, for avg px */
    struct fb_dec part;     /* PARTIAL: size of one part */

    /* Book keeping (sim_book.c only). */
    uint64_t seq;       /* arrival number: orders acting at one instant go in it */
    uint64_t step_pass; /* its market's pass count at its last step */
    struct fb_sim_old_id *old_ids;
    uint32_t market; /* index into the book's markets */
    uint32_t parts_done;
    uint32_t prev, next; /* in the open list, the closed FIFO or the free list */
    uint32_t exp_pos;    /* in the expiry heap, UINT32_MAX = not there */
    uint32_t idx_pos;    /* in its market's index idx_kind */
    uint32_t slot;       /* its own index (fb_sim_book_order(b, slot) is it) */
    /* the book's own ids are a 64-bit counter in decimal (20 digits at
     * most): not FB_VENUE_ID_MAX, since a book may hold a million orders */
    char venue_order_id[21];
    uint8_t state;    /* enum fb_venue_order_state */
    bool triggered;   /* stops: has triggered; other types: always true */
    bool resting;     /* limit: in the book, fills as maker at its price */
    uint8_t idx_kind; /* enum fb_sim_idx or FB_SIM_IDX_NONE */
    uint8_t list;     /* which list prev/next belong to */
};

/* A market's indexes of its open orders; each open order is in one. */
enum fb_sim_idx {
    FB_SIM_IDX_TAKING,    /* acting as taker every pass (market, unrested limit) */
    FB_SIM_IDX_BUY_REST,  /* max-heap by price */
    FB_SIM_IDX_SELL_REST, /* min-heap by price */
    FB_SIM_IDX_BUY_STOP,  /* min-heap by stop price */
    FB_SIM_IDX_SELL_STOP, /* max-heap by stop price */
    FB_SIM_IDX_BUY_TP,    /* untriggered take-profits: max-heap by stop price */
    FB_SIM_IDX_SELL_TP,   /* min-heap by stop price */
    FB_SIM_IDX_N
};
#define FB_SIM_IDX_NONE 0xFFu

/* An array of order slots: a binary heap, or unordered (TAKING). */
struct fb_sim_index {
    uint32_t *a;
    size_t n, cap;
};

struct fb_sim_book_market {
    struct fb_venue_market rules;
    struct fb_dec ref, bid, ask;
    struct fb_sim_index idx[FB_SIM_IDX_N];
    int64_t pass_ns; /* time of the last matching pass */
    uint64_t passes; /* matching passes so far */
};

/* An order acting in a pass, sorted by seq. */
struct fb_sim_act {
    uint64_t seq;
    uint32_t order;
};

/* A doubly linked list of order slots. */
struct fb_sim_list {
    uint32_t head, tail;
    size_t n;
};

struct fb_sim_book {
    struct fb_sim_book_market markets[FB_SIM_MARKETS_MAX];
    size_t n_markets;
    struct fb_dec maker_rate, taker_rate;
    enum fb_sim_fill_mode fill_mode;
    uint32_t parts;
    /* An active order steps at most once per min_gap_ns in the passes that
     * are not forced (0: every pass): its fills are a tick apart however
     * its arrival falls within the tick. Set by the paper venue. */
    int64_t min_gap_ns;

    /* Order slots (fb_sim_book_order). Without retention every accepted
     * order gets the next slot for good (slot i is the i-th accepted order,
     * n_orders the count; vsim_binance relies on this); with it, dropped
     * slots are reused and n_orders is the slots' high-water mark. In
     * chunks of FB_SIM_CHUNK orders, allocated as needed and never moved:
     * one array doubling would cost up to twice the orders' size, and
     * copy it all, at a million orders (issue #7). */
    struct fb_sim_order **chunks;
    size_t n_chunks, cap_chunks;
    size_t n_orders;
    uint32_t free_head;
    struct fb_sim_list open;    /* open orders, in arrival order */
    struct fb_sim_list closed;  /* kept closed orders, oldest closed first */
    struct fb_sim_index expiry; /* open orders with an expiry: min-heap */
    struct fb_kidx ids;         /* ids of held orders -> order index + 1 */
    size_t closed_keep, gone_keep; /* 0 = keep every closed order */
    uint64_t *gone_ring;           /* fingerprints of dropped ids, FIFO */
    size_t gone_head, gone_n, gone_cap;
    uint64_t *gone_set; /* the same, open addressing (0 = empty) */
    size_t gone_set_cap;
    struct fb_sim_act *scratch; /* orders acting in one pass */
    size_t n_scratch, cap_scratch;

    uint64_t next_seq, next_order_id, next_trade_id;
    /* Receives each event; returns FB_OK or FB_ERR_NOMEM (which aborts the
     * current book call with that error). */
    enum fb_err (*emit)(void *user, const struct fb_venue_event *ev);
    void *emit_user;
};

#define FB_SIM_CHUNK_BITS 8
#define FB_SIM_CHUNK (1u << FB_SIM_CHUNK_BITS)

/* Order slot x (< n_orders); the pointer stays valid while b lives. */
static inline struct fb_sim_order *fb_sim_book_order(const struct fb_sim_book *b, size_t x)
{
    return &b->chunks[x >> FB_SIM_CHUNK_BITS][x & (FB_SIM_CHUNK - 1)];
}

/* Sets up b from p (validated by the caller); prices start at each market's
 * reference_price. b owns its arrays: fb_sim_book_free(). */
enum fb_err fb_sim_book_init(struct fb_sim_book *b, const struct fb_sim_params *p,
                             enum fb_err (*emit)(void *user, const struct fb_venue_event *ev),
                             void *user) FB_WARN_UNUSED;
void fb_sim_book_free(struct fb_sim_book *b);

/* From now on keep only the last closed_keep (>= 1) closed orders and the
 * ids of the last ids_keep dropped ones (rules above). Call right after
 * init. */
void fb_sim_book_set_retention(struct fb_sim_book *b, size_t closed_keep, size_t ids_keep);

/* FB_OK if o is well-formed (what a venue's REST layer would refuse
 * before looking at any order), FB_ERR_INVALID otherwise. */
enum fb_err fb_sim_order_check(const struct fb_venue_order *o) FB_WARN_UNUSED;

/* Index of symbol's market or -1. */
int fb_sim_book_market_index(const struct fb_sim_book *b, const char *symbol);

/* The touch for a reference: bid = ref - ref*spread/2 rounded down to the
 * tick, ask = ref + ref*spread/2 rounded up; bid never below one tick. */
enum fb_err fb_sim_touch(struct fb_dec ref, struct fb_dec tick, uint32_t spread_bps,
                         struct fb_dec *bid, struct fb_dec *ask) FB_WARN_UNUSED;

/* One step of the reference walk: ref moves by ref * vol_bps/10^4 * u,
 * u uniform in [-1, 1] taken from rnd, rounded to the tick (half even);
 * a result <= 0 becomes one tick. */
enum fb_err fb_sim_walk_step(struct fb_dec ref, struct fb_dec tick, uint32_t vol_bps, uint64_t rnd,
                             struct fb_dec *out) FB_WARN_UNUSED;

/* Sets market m's reference (and the touch derived from it with
 * spread_bps). Does not match: call fb_sim_book_match(). */
enum fb_err fb_sim_book_set_touch(struct fb_sim_book *b, size_t m, struct fb_dec ref,
                                  uint32_t spread_bps) FB_WARN_UNUSED;

/* A matching pass over market m's open orders at t: stops trigger, parts
 * continue, resting limits the touch reaches fill. Orders that already
 * stepped at t are skipped unless force (a forced price move). */
enum fb_err fb_sim_book_match(struct fb_sim_book *b, size_t m, int64_t t,
                              bool force) FB_WARN_UNUSED;

/* Requests arriving at the venue at t (after latency). */
enum fb_err fb_sim_book_submit(struct fb_sim_book *b, const struct fb_venue_order *o,
                               int64_t t) FB_WARN_UNUSED;
enum fb_err fb_sim_book_cancel(struct fb_sim_book *b, const struct fb_venue_cancel *c,
                               int64_t t) FB_WARN_UNUSED;
enum fb_err fb_sim_book_replace(struct fb_sim_book *b, const struct fb_venue_replace *r,
                                int64_t t) FB_WARN_UNUSED;
/* STATUS for any id a held order ever had; request_id = the queried id. */
enum fb_err fb_sim_book_query(struct fb_sim_book *b, const char *client_order_id,
                              int64_t t) FB_WARN_UNUSED;
enum fb_err fb_sim_book_open_orders(struct fb_sim_book *b, const char *symbol,
                                    const char *request_id, int64_t t) FB_WARN_UNUSED;

/* CANCELED(UNSOLICITED) for an open order; FB_ERR_NOT_FOUND if none. */
enum fb_err fb_sim_book_cancel_unsolicited(struct fb_sim_book *b, const char *client_order_id,
                                           int64_t t) FB_WARN_UNUSED;

/* EXPIRED for every open order whose expiry is <= t. */
enum fb_err fb_sim_book_expire(struct fb_sim_book *b, int64_t t) FB_WARN_UNUSED;
/* Earliest expiry among open orders, INT64_MAX if none. */
int64_t fb_sim_book_next_expiry(const struct fb_sim_book *b);

#ifdef __cplusplus
}
#endif
#endif
