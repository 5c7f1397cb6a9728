/*
 * The venue interface: what every adapters/<venue>.c implements.
 *
 * Modelled on curl's vtls backends: a versioned struct of function pointers
 * opening with an info block and a `supports` bitmask, one backend per file,
 * each file ending in one `const struct fb_venue_ops fb_venue_<name>`, and a
 * NULL-terminated registry (registry.c) that finds a backend by type name.
 *
 * The model is asynchronous, like a real venue. Requests (submit, cancel,
 * replace, query, open_orders) only queue work and return FB_OK or an
 * immediate local error (FB_ERR_INVALID for a malformed request,
 * FB_ERR_NOMEM ...). Everything the venue says -- acks, fills, cancels,
 * rejects, status answers -- arrives later as a struct fb_venue_event through
 * the sink, and only from inside run(). No backend calls the sink from inside
 * submit/cancel/replace/query/open_orders, so the caller never sees an event
 * for a request before that request's call has returned.
 *
 * Threading: a venue state is owned by one thread (the engine thread); no
 * slot may be called concurrently on the same state, and the sink is called
 * on that thread. Time is injected: every slot that needs time takes now_ns,
 * nanoseconds since the Unix epoch (UTC); backends never read a clock.
 *
 * Quantities and prices are struct fb_dec, never binary floats. Within a
 * request a zero fb_dec means "absent" for optional fields (prices and
 * quantities of a real order are never zero).
 */
#ifndef FB_VENUE_H
#define FB_VENUE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge/decimal.h"
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when a slot is added or a contract changes; backends put the
 * version they were written against in info.api_version and the registry
 * refuses a mismatch. */
/* 3: take-profit order types; 4: fb_venue_order.origin_ns, sink on_written,
 * poll_fds */
#define FB_VENUE_API_VERSION 4

/* Maximum lengths, in chars, NUL not included. Arrays below are MAX + 1. */
#define FB_VENUE_CLORDID_MAX 36 /* client order id: [A-Za-z0-9._-], 1..36 */
#define FB_VENUE_SYMBOL_MAX 31  /* venue symbol, e.g. "BTCUSDT", "XBT/USD" */
#define FB_VENUE_ASSET_MAX 15   /* asset code, e.g. "USDT" */
#define FB_VENUE_ID_MAX 63      /* venue order id, venue trade id */
#define FB_VENUE_CODE_MAX 31    /* venue error code as text, e.g. "-2010" */
#define FB_VENUE_TEXT_MAX 191   /* venue error text (truncated if longer) */
#define FB_VENUE_NAME_MAX 31    /* backend type name, e.g. "sim" */

/* ---- capabilities (info.supports) ---- */

#define FB_VSUP_MARKET (1u << 0)       /* market orders */
#define FB_VSUP_LIMIT (1u << 1)        /* limit orders */
#define FB_VSUP_STOP (1u << 2)         /* stop-market orders */
#define FB_VSUP_STOP_LIMIT (1u << 3)   /* stop-limit orders */
#define FB_VSUP_TIF_DAY (1u << 4)      /* TIF day (expires at end of UTC day) */
#define FB_VSUP_TIF_GTC (1u << 5)      /* TIF good till cancel */
#define FB_VSUP_TIF_IOC (1u << 6)      /* TIF immediate or cancel */
#define FB_VSUP_TIF_FOK (1u << 7)      /* TIF fill or kill */
#define FB_VSUP_TIF_GTD (1u << 8)      /* TIF good till date (expire_ns) */
#define FB_VSUP_POST_ONLY (1u << 9)    /* post-only (maker-only) limits */
#define FB_VSUP_ICEBERG (1u << 10)     /* display qty on limits */
#define FB_VSUP_QUOTE_QTY (1u << 11)   /* market orders sized in quote currency */
#define FB_VSUP_REPLACE (1u << 12)     /* native replace/amend (replace slot set) */
#define FB_VSUP_OPEN_ORDERS (1u << 13) /* open-order listing (open_orders set) */
/* The venue lives in this process (the paper venue): a crash takes its
 * state with it, so a request to it need not wait for the journal's fsync.
 * Every other venue acts outside, and is only called on once what led to
 * the request is durable. */
#define FB_VSUP_IN_PROCESS (1u << 14)
#define FB_VSUP_TAKE_PROFIT (1u << 15)       /* take-profit (market if touched) */
#define FB_VSUP_TAKE_PROFIT_LIMIT (1u << 16) /* take-profit-limit (limit if touched) */

/* ---- order requests ---- */

enum fb_venue_side { FB_VENUE_BUY = 0, FB_VENUE_SELL = 1 };

enum fb_venue_ord_type {
    FB_VENUE_MARKET = 0,
    FB_VENUE_LIMIT = 1,
    FB_VENUE_STOP = 2,      /* stop-market: becomes a market order when triggered */
    FB_VENUE_STOP_LIMIT = 3, /* becomes a limit order at price when triggered */
    /* Take-profit: triggers on a favourable move, the opposite side from a
     * stop -- a buy when the price falls to stop_price, a sell when it
     * rises to it (Binance TAKE_PROFIT, Kraken take-profit). */
    FB_VENUE_TAKE_PROFIT = 4,      /* becomes a market order when triggered */
    FB_VENUE_TAKE_PROFIT_LIMIT = 5 /* becomes a limit order at price when triggered */
};

/* Waits for stop_price before it acts (stop and take-profit types). */
static inline bool fb_venue_type_triggered(enum fb_venue_ord_type t)
{
    return t == FB_VENUE_STOP || t == FB_VENUE_STOP_LIMIT || t == FB_VENUE_TAKE_PROFIT ||
           t == FB_VENUE_TAKE_PROFIT_LIMIT;
}

/* Carries a limit price (once triggered, for the trigger types). */
static inline bool fb_venue_type_limited(enum fb_venue_ord_type t)
{
    return t == FB_VENUE_LIMIT || t == FB_VENUE_STOP_LIMIT || t == FB_VENUE_TAKE_PROFIT_LIMIT;
}

/* Triggers on a favourable move (buy at or below, sell at or above). */
static inline bool fb_venue_type_take_profit(enum fb_venue_ord_type t)
{
    return t == FB_VENUE_TAKE_PROFIT || t == FB_VENUE_TAKE_PROFIT_LIMIT;
}

enum fb_venue_tif {
    FB_VENUE_DAY = 0, /* until the end of the UTC day the venue received it */
    FB_VENUE_GTC = 1,
    FB_VENUE_IOC = 2,
    FB_VENUE_FOK = 3,
    FB_VENUE_GTD = 4 /* until expire_ns */
};

/* A new order. The bridge fills every field; zero fb_dec = absent. */
struct fb_venue_order {
    char client_order_id[FB_VENUE_CLORDID_MAX + 1]; /* derived by the bridge */
    char symbol[FB_VENUE_SYMBOL_MAX + 1];           /* venue symbol */
    enum fb_venue_side side;
    enum fb_venue_ord_type type;
    enum fb_venue_tif tif;
    int64_t expire_ns;         /* GTD only: ns since epoch, UTC */
    struct fb_dec qty;         /* base quantity; zero iff quote_qty is set */
    struct fb_dec price;       /* limit price: LIMIT, STOP_LIMIT, TAKE_PROFIT_LIMIT */
    struct fb_dec stop_price;  /* trigger: STOP*, TAKE_PROFIT* */
    struct fb_dec display_qty; /* iceberg visible qty (< qty); zero = not iceberg */
    struct fb_dec quote_qty;   /* MARKET only: spend/receive this much quote */
    bool post_only;            /* LIMIT only: reject rather than take */
    int64_t origin_ns;         /* when the bridge read the FIX message behind it
                                  (ns since epoch); 0: none (restart, policy) */
};

/* Cancel an order. */
struct fb_venue_cancel {
    char client_order_id[FB_VENUE_CLORDID_MAX + 1]; /* the order's current id */
    char request_id[FB_VENUE_CLORDID_MAX + 1];      /* the cancel's own id */
};

/* Replace (amend) an order. Zero price/stop_price = unchanged. */
struct fb_venue_replace {
    char client_order_id[FB_VENUE_CLORDID_MAX + 1];     /* the order's current id */
    char new_client_order_id[FB_VENUE_CLORDID_MAX + 1]; /* the id after the replace */
    struct fb_dec qty;                                  /* new total qty (incl. filled) */
    struct fb_dec price;                                /* new limit price, or zero */
    struct fb_dec stop_price;                           /* new stop price, or zero */
};

/* ---- market info ---- */

/* A market's trading rules. Zero = no such limit. */
struct fb_venue_market {
    char symbol[FB_VENUE_SYMBOL_MAX + 1];
    char base[FB_VENUE_ASSET_MAX + 1];  /* asset bought/sold, e.g. "BTC" */
    char quote[FB_VENUE_ASSET_MAX + 1]; /* asset prices are in, e.g. "USDT" */
    struct fb_dec tick_size;            /* prices are multiples of this */
    struct fb_dec step_size;            /* quantities are multiples of this */
    struct fb_dec min_qty;
    struct fb_dec max_qty;
    struct fb_dec min_notional; /* qty * price, in quote */
};

/* ---- events ---- */

enum fb_venue_event_kind {
    FB_VEV_ACK = 0,             /* new order accepted; venue_order_id set */
    FB_VEV_REJECT = 1,          /* new order refused; .rej */
    FB_VEV_FILL = 2,            /* execution; .fill */
    FB_VEV_CANCELED = 3,        /* order closed with leaves; .canceled */
    FB_VEV_CANCEL_REJECT = 4,   /* cancel refused; .rej, request_id = cancel's id */
    FB_VEV_REPLACED = 5,        /* new terms in force; .replaced */
    FB_VEV_REPLACE_REJECT = 6,  /* replace refused; .rej, request_id = new id */
    FB_VEV_EXPIRED = 7,         /* GTD/Day ran out; .expired */
    FB_VEV_STATUS = 8,          /* answer to query/open_orders; .status */
    FB_VEV_OPEN_ORDERS_END = 9, /* end of an open_orders answer; request_id */
    FB_VEV_LAST                 /* not a true kind, never use this */
};

/* How final a refusal is (for the engine's retry logic). */
enum fb_venue_reject_class {
    FB_VREJ_FINAL = 0,          /* the venue decided: nothing was done */
    FB_VREJ_RETRYABLE = 1,      /* nothing was done; the same request may be retried */
    FB_VREJ_UNKNOWN_OUTCOME = 2 /* timeout/5xx: may or may not have been done; query */
};

/* Why a request was refused (maps to OrdRejReason / CxlRejReason). */
enum fb_venue_reject_reason {
    FB_VRR_OTHER = 0,
    FB_VRR_UNKNOWN_SYMBOL = 1,
    FB_VRR_FILTER = 2,        /* tick/step/min qty/max qty/min notional */
    FB_VRR_DUPLICATE_ID = 3,  /* client order id already used */
    FB_VRR_POST_ONLY = 4,     /* post-only would have crossed */
    FB_VRR_WOULD_TRIGGER = 5, /* stop would trigger immediately */
    FB_VRR_UNSUPPORTED = 6,   /* type/TIF/flag combination not offered */
    FB_VRR_UNKNOWN_ORDER = 7, /* cancel/replace/query: no such order */
    FB_VRR_TOO_LATE = 8,      /* cancel/replace: order already closed */
    FB_VRR_EXPIRED = 9,       /* GTD expire time already past */
    FB_VRR_FUNDS = 10,        /* insufficient balance */
    FB_VRR_RATE_LIMIT = 11,
    FB_VRR_LAST /* not a true reason, never use this */
};

enum fb_venue_cancel_reason {
    FB_VCXL_REQUESTED = 0,     /* answer to our cancel request */
    FB_VCXL_IOC_REMAINDER = 1, /* IOC: what could not fill at once */
    FB_VCXL_FOK_UNFILLED = 2,  /* FOK: could not fill completely, nothing filled */
    FB_VCXL_POST_ONLY = 3,     /* post-only would have crossed (venues that cancel) */
    FB_VCXL_UNSOLICITED = 4,   /* the venue canceled on its own */
    FB_VCXL_LAST               /* not a true reason, never use this */
};

enum fb_venue_expire_reason {
    FB_VEXP_GTD = 0, /* expire_ns reached */
    FB_VEXP_DAY = 1  /* end of the UTC day */
};

enum fb_venue_liquidity { FB_VLIQ_UNKNOWN = 0, FB_VLIQ_MAKER = 1, FB_VLIQ_TAKER = 2 };

/* The venue's view of an order, for STATUS. */
enum fb_venue_order_state {
    FB_VOS_UNKNOWN = 0, /* the venue does not know the order */
    FB_VOS_NEW = 1,     /* open, nothing filled (also untriggered stops) */
    FB_VOS_PARTIALLY_FILLED = 2,
    FB_VOS_FILLED = 3,
    FB_VOS_CANCELED = 4,
    FB_VOS_REJECTED = 5,
    FB_VOS_EXPIRED = 6
};

struct fb_venue_reject {
    enum fb_venue_reject_class cls;
    enum fb_venue_reject_reason reason;
    char code[FB_VENUE_CODE_MAX + 1]; /* venue's code, "" if none */
    char text[FB_VENUE_TEXT_MAX + 1]; /* venue's text, for FIX Text(58) */
};

struct fb_venue_fill {
    char trade_id[FB_VENUE_ID_MAX + 1]; /* unique per venue: dedup key */
    struct fb_dec qty;
    struct fb_dec price;
    struct fb_dec fee; /* amount charged, >= 0 */
    char fee_currency[FB_VENUE_ASSET_MAX + 1];
    enum fb_venue_liquidity liquidity;
    struct fb_dec cum_qty;    /* after this fill, if the venue says; else zero */
    struct fb_dec leaves_qty; /* after this fill, if the venue says; else zero */
};

struct fb_venue_canceled {
    enum fb_venue_cancel_reason reason;
    struct fb_dec cum_qty; /* filled before the cancel */
};

/*
 * New terms in force. If qty <= cum_qty (a replace down to or below what
 * has filled) the venue canceled the remainder: leaves_qty is zero and the
 * order is closed (no further events; a STATUS says FILLED).
 */
struct fb_venue_replaced {
    struct fb_dec qty;        /* new total qty as requested */
    struct fb_dec price;      /* limit price in force (zero for stop/take-profit market) */
    struct fb_dec stop_price; /* stop price in force, zero if none */
    struct fb_dec cum_qty;
    struct fb_dec leaves_qty;
};

struct fb_venue_expired {
    enum fb_venue_expire_reason reason;
    struct fb_dec cum_qty;
};

struct fb_venue_status {
    enum fb_venue_order_state state; /* FB_VOS_UNKNOWN: no such order */
    struct fb_dec qty;               /* order qty in force */
    struct fb_dec price;
    struct fb_dec cum_qty;
    struct fb_dec avg_px; /* zero if nothing filled */
    struct fb_dec leaves_qty;
};

/*
 * One event. Every kind carries client_order_id: the order's id as the venue
 * knows it at the time of the event (after a REPLACED, the new id; the
 * REPLACED event itself carries the old id here and the new one in
 * request_id). For CANCELED in answer to a cancel, CANCEL_REJECT and
 * REPLACE_REJECT, request_id is the cancel's id / the replace's new id; for
 * STATUS it is the id queried (query) or the listing's id (open_orders).
 *
 * Lifetime: the event and everything in it live only for the duration of
 * the on_event call. The sink keeps nothing: it copies what it needs.
 */
struct fb_venue_event {
    enum fb_venue_event_kind kind;
    int64_t ts_ns; /* venue time of the event, ns since epoch UTC */
    char client_order_id[FB_VENUE_CLORDID_MAX + 1];
    char request_id[FB_VENUE_CLORDID_MAX + 1]; /* see above; "" if none */
    char venue_order_id[FB_VENUE_ID_MAX + 1];  /* "" when the venue gave none */
    char symbol[FB_VENUE_SYMBOL_MAX + 1];
    union {
        struct fb_venue_reject rej; /* REJECT, CANCEL_REJECT, REPLACE_REJECT */
        struct fb_venue_fill fill;
        struct fb_venue_canceled canceled;
        struct fb_venue_replaced replaced;
        struct fb_venue_expired expired;
        struct fb_venue_status status;
    } u;
};

/* Where a venue delivers events. Called only from inside run(). */
struct fb_venue_sink {
    void *user;
    void (*on_event)(void *user, const struct fb_venue_event *ev);
    /* (optional) A venue that sends requests over the network: the request
     * for a new order with origin_ns != 0 has been written to its socket at
     * written_ns. The bridge's own latency, FIX in -> venue request out. */
    void (*on_written)(void *user, int64_t origin_ns, int64_t written_ns);
};

/* ---- the backend vtable ---- */

struct fb_venue_info {
    int api_version;       /* FB_VENUE_API_VERSION the backend implements */
    const char *name;      /* type name in the config, e.g. "sim" */
    unsigned int supports; /* FB_VSUP_* */
};

/*
 * Slots marked (optional) may be NULL; callers check first. `state` is the
 * backend's own object, returned by create() and opaque to callers.
 */
struct fb_venue_ops {
    struct fb_venue_info info;

    /* Validates params (the backend's own params struct, e.g.
     * const struct fb_sim_params * for "sim"; see each backend's header),
     * copies what it needs (params may be freed after return) and returns a
     * new state in *state. The sink is copied; sink->user must outlive the
     * state. On failure writes a NUL-terminated reason to err (errlen bytes)
     * and leaves *state NULL. */
    enum fb_err (*create)(const void *params, const struct fb_venue_sink *sink, void **state,
                          char *err, size_t errlen);
    /* Frees the state (NULL is a no-op). Emits nothing; open orders are
     * simply forgotten (a real venue keeps them: cancel first). */
    void (*destroy)(void *state);

    /* Queues a new order; the outcome arrives as ACK/REJECT then FILL, ... */
    enum fb_err (*submit)(void *state, const struct fb_venue_order *order, int64_t now_ns);
    /* Queues a cancel; answer: CANCELED (reason REQUESTED) or CANCEL_REJECT. */
    enum fb_err (*cancel)(void *state, const struct fb_venue_cancel *req, int64_t now_ns);
    /* (optional) Queues a replace; answer: REPLACED or REPLACE_REJECT.
     * NULL: the venue cannot amend and the engine refuses replaces. */
    enum fb_err (*replace)(void *state, const struct fb_venue_replace *req, int64_t now_ns);
    /* Queues a status query; answer: one STATUS (state UNKNOWN if none). */
    enum fb_err (*query)(void *state, const char *client_order_id, int64_t now_ns);
    /* (optional) Queues a listing of open orders (symbol NULL = all); answer:
     * one STATUS per open order, then OPEN_ORDERS_END, each with request_id. */
    enum fb_err (*open_orders)(void *state, const char *symbol, const char *request_id,
                               int64_t now_ns);

    /* Does all work due at or before now_ns (timers, matching, polling) and
     * emits the resulting events. Returns only fatal errors. */
    enum fb_err (*run)(void *state, int64_t now_ns);
    /* The time (ns since epoch) by which run() must next be called;
     * INT64_MAX when nothing is pending. */
    int64_t (*next_deadline)(const void *state);

    /* Copies the market's rules into *out; FB_ERR_NOT_FOUND if unknown. */
    enum fb_err (*market)(const void *state, const char *symbol, struct fb_venue_market *out);
    /* (optional) Last known touch and when it was seen; FB_ERR_NOT_FOUND if
     * unknown symbol, FB_ERR_STATE if no price yet. */
    enum fb_err (*reference_price)(const void *state, const char *symbol, struct fb_dec *bid,
                                   struct fb_dec *ask, int64_t *as_of_ns);
    /* (optional) Until when (ns since epoch) the venue asked for no more
     * requests (Retry-After, an IP ban); 0 or the past when it did not. The
     * engine's venue throttle holds new orders until then. */
    int64_t (*paused_until)(const void *state);
    /* (optional) A venue reached over sockets: those to poll (up to max
     * into fds), returning how many there are and setting *gen, which
     * changes whenever the set does. The engine polls them and calls run()
     * when one is ready, so an answer is taken as it arrives. */
    size_t (*poll_fds)(void *state, struct pollfd *fds, size_t max, uint64_t *gen);
};

/* Backends (each defined at the end of its adapters/<name>.c). */
extern const struct fb_venue_ops fb_venue_sim;
extern const struct fb_venue_ops fb_venue_binance; /* params: struct fb_binance_params */
extern const struct fb_venue_ops fb_venue_kraken;  /* params: struct fb_kraken_params */

/* The backend whose info.name is type_name, or NULL. */
const struct fb_venue_ops *fb_venue_find(const char *type_name);

/* The NULL-terminated list of all backends, for listing/--help. */
const struct fb_venue_ops *const *fb_venue_all(void);

/* 1 if s is a valid client order id: 1..FB_VENUE_CLORDID_MAX chars of
 * [A-Za-z0-9._-]. */
int fb_venue_clordid_valid(const char *s);

/* Static names for logs: "ACK", "FILL", ... */
const char *fb_venue_event_kind_name(enum fb_venue_event_kind kind);

#ifdef __cplusplus
}
#endif
#endif
