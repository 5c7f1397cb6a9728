/*
 * Binance Spot REST, the pure half: request builders and response parsers.
 * No I/O, no clock, no state; binance.c is the edge that sends and keeps
 * state. Facts are REFERENCE.md Part A; section numbers below refer to it.
 *
 * Numbers: every price and quantity is an fb_dec. Binance sends decimals as
 * JSON strings; a decimal field that arrives as a JSON number (real or
 * integer) is a parse error, never read through a double. Ids and times are
 * JSON integers (int64).
 */
#ifndef FB_BINANCE_PROTO_H
#define FB_BINANCE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "adapters/http.h"
#include "adapters/venue.h"
#include "bridge/decimal.h"
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_BN_QUERY_MAX 2048 /* longest query string or body we build */
#define FB_BN_FILLS_MAX 64   /* fills read from one FULL response */

/* ---- building requests ---- */

/* A query string / form body under construction, percent-encoded as it
 * will travel (A.4). Errors stick: one check at the end. */
struct fb_bn_query {
    char buf[FB_BN_QUERY_MAX + 1];
    size_t len;
    enum fb_err err;
};

void fb_bn_q_init(struct fb_bn_query *q);
void fb_bn_q_add(struct fb_bn_query *q, const char *key, const char *value);
void fb_bn_q_add_dec(struct fb_bn_query *q, const char *key, struct fb_dec v);
void fb_bn_q_add_i64(struct fb_bn_query *q, const char *key, int64_t v);

/* 1 if s matches ^[a-zA-Z0-9-_]{1,36}$ (newClientOrderId, A.2). */
int fb_bn_clordid_ok(const char *s);

/*
 * POST /api/v3/order parameters for o (no recvWindow/timestamp/signature).
 * Mapping (F.1): MARKET (quantity | quoteOrderQty; no timeInForce),
 * LIMIT + timeInForce GTC/IOC/FOK, LIMIT + post_only -> LIMIT_MAKER (no
 * timeInForce), STOP -> STOP_LOSS, STOP_LIMIT -> STOP_LOSS_LIMIT (stop
 * orders are always the adverse-trigger kind: a trigger already met is
 * Binance's -2010 "Order would trigger immediately", never a silent
 * TAKE_PROFIT), icebergQty (GTC only), newOrderRespType=FULL.
 * FB_ERR_UNSUPPORTED (why filled) for what Binance cannot do: DAY, GTD, FOK
 * market, TIF on a post-only other than GTC, iceberg without GTC.
 */
enum fb_err fb_bn_build_order(const struct fb_venue_order *o, struct fb_bn_query *q, char *why,
                              size_t whylen) FB_WARN_UNUSED;

struct fb_sign_key; /* adapters/sign.h */

/* Appends recvWindow (ms, 0 = omit), timestamp and the HMAC signature of
 * exactly q's bytes (all parameters in one place, A.4 vector 1), made with
 * key (the API secret, prepared by fb_sign_key_new). */
enum fb_err fb_bn_sign_query(struct fb_bn_query *q, struct fb_sign_key *key,
                             uint32_t recv_window_ms, int64_t timestamp_ms) FB_WARN_UNUSED;

/* ---- classifying answers (A.6, A.10, A.11) ---- */

enum fb_bn_class {
    FB_BN_OK = 0,     /* 2xx with a JSON body (or 409 cancelReplace, see data) */
    FB_BN_REJECT = 1, /* final: the venue decided, nothing was done */
    FB_BN_RETRY = 2,  /* nothing was done; may resend (after retry_after_ms) */
    FB_BN_UNKNOWN = 3 /* may or may not have been done: query first */
};

struct fb_bn_answer {
    enum fb_bn_class cls;
    long http;                             /* 0 if no HTTP response */
    int64_t code;                          /* Binance code, 0 if none */
    char code_text[FB_VENUE_CODE_MAX + 1]; /* "-2010", "" if none */
    char msg[FB_VENUE_TEXT_MAX + 1];
    enum fb_venue_reject_reason reason;
    int64_t retry_after_ms; /* Retry-After (429/418), or 0 */
    int resync_clock;       /* -1021: measure the clock again */
    int banned;             /* 418: stop everything until retry_after */
};

/*
 * Classifies one HTTP outcome. `writes` says the request changes orders
 * (an unknown transport outcome is then UNKNOWN; for a read it is RETRY).
 * On FB_BN_OK *body (if body != NULL) receives the parsed JSON, owned by
 * the caller (json_decref). Never guesses: an unparseable 2xx, any 5xx,
 * -1000/-1001/-1006/-1007/-1008, a timeout or a drop after sending, or an
 * oversized answer to a write is UNKNOWN.
 */
enum fb_bn_class fb_bn_classify(const struct fb_http_response *r, int writes,
                                struct fb_bn_answer *a, json_t **body);

/* Parses a body strictly: an object or array, no duplicate keys. NULL if
 * not JSON. */
json_t *fb_bn_json_load(const char *s, size_t n);

/* ---- orders ---- */

enum fb_bn_status {
    FB_BN_ST_NEW = 0,
    FB_BN_ST_PENDING_NEW,
    FB_BN_ST_PARTIALLY_FILLED,
    FB_BN_ST_FILLED,
    FB_BN_ST_CANCELED,
    FB_BN_ST_PENDING_CANCEL,
    FB_BN_ST_REJECTED,
    FB_BN_ST_EXPIRED,
    FB_BN_ST_EXPIRED_IN_MATCH
};

struct fb_bn_fill {
    int64_t trade_id;
    struct fb_dec price, qty, commission;
    char commission_asset[FB_VENUE_ASSET_MAX + 1];
    int is_maker; /* -1 unknown (FULL responses do not say), 0, 1 */
};

/* An order object (A.8.6 RESULT/FULL, A.8.8, A.8.12). */
struct fb_bn_order {
    char symbol[FB_VENUE_SYMBOL_MAX + 1];
    char client_order_id[FB_VENUE_CLORDID_MAX + 1];      /* for a cancel: the cancel's id */
    char orig_client_order_id[FB_VENUE_CLORDID_MAX + 1]; /* cancel answers only */
    int64_t order_id;
    int64_t time_ms; /* transactTime, else updateTime, else 0 */
    enum fb_bn_status status;
    char type[24], tif[8], side[8];
    struct fb_dec price, orig_qty, executed_qty, cum_quote, stop_price;
    size_t n_fills;
    struct fb_bn_fill fills[FB_BN_FILLS_MAX];
};

/* FB_ERR_PARSE for a missing/mistyped field or an unknown status value
 * (never guessed); unknown extra fields are ignored (A.8.6). */
enum fb_err fb_bn_parse_order(const json_t *j, struct fb_bn_order *o) FB_WARN_UNUSED;

/* One myTrades entry (A.8.14). */
struct fb_bn_trade {
    int64_t id, order_id;
    struct fb_dec price, qty, commission;
    char commission_asset[FB_VENUE_ASSET_MAX + 1];
    int is_maker;
    int64_t time_ms;
};
enum fb_err fb_bn_parse_trade(const json_t *j, struct fb_bn_trade *t) FB_WARN_UNUSED;

/* The market rules of one exchangeInfo symbol (A.8.2, A.8.3): PRICE_FILTER
 * tickSize, LOT_SIZE step/min/max, NOTIONAL or MIN_NOTIONAL minNotional. */
enum fb_err fb_bn_parse_market(const json_t *sym, struct fb_venue_market *m) FB_WARN_UNUSED;

/* serverTime of GET /api/v3/time. */
enum fb_err fb_bn_parse_time(const json_t *j, int64_t *server_ms) FB_WARN_UNUSED;

/* ---- market data ---- */

/* One GET /api/v3/ticker/bookTicker entry (A.8.5). A zero price means that
 * side of the book is empty (Binance sends "0.00000000"). */
struct fb_bn_ticker {
    char symbol[FB_VENUE_SYMBOL_MAX + 1];
    struct fb_dec bid, bid_qty, ask, ask_qty;
};

/*
 * One bookTicker object. bidPrice/askPrice (required) and bidQty/askQty
 * (optional) must be decimal strings >= 0 (a JSON number, real or integer,
 * is FB_ERR_PARSE); a crossed book (bid > ask, both set) is FB_ERR_PARSE.
 * Unknown extra fields are ignored.
 */
enum fb_err fb_bn_parse_ticker(const json_t *j, struct fb_bn_ticker *t) FB_WARN_UNUSED;

/*
 * A whole bookTicker answer: the object of a `symbol=` request or the array
 * of a `symbols=`/no-symbol request. Up to cap entries into out, *n set.
 * All or nothing: one bad entry, a non-object/array, or more than cap
 * entries is FB_ERR_PARSE (*n = 0).
 */
enum fb_err fb_bn_parse_tickers(const json_t *j, struct fb_bn_ticker *out, size_t cap,
                                size_t *n) FB_WARN_UNUSED;

/* Maps an order's state for STATUS events. */
enum fb_venue_order_state fb_bn_state(enum fb_bn_status s);

#ifdef __cplusplus
}
#endif
#endif
