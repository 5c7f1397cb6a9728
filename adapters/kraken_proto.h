/*
 * Kraken Spot REST, the pure half: request builders and response parsers.
 * No I/O, no clock, no state; kraken.c is the edge that sends and keeps
 * state. Facts are REFERENCE.md Part B (and F, H); section numbers refer
 * to it.
 *
 * Numbers: every price and quantity is an fb_dec. Kraken sends decimals as
 * JSON strings (B.1); a decimal field that arrives as a JSON number is a
 * parse error, never read through a double. Times (opentm, closetm, trade
 * time) are JSON numbers in Unix seconds and are read as such.
 */
#ifndef FB_KRAKEN_PROTO_H
#define FB_KRAKEN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "adapters/http.h"
#include "adapters/sign.h"
#include "adapters/venue.h"
#include "bridge/decimal.h"
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_KR_BODY_MAX 2048  /* longest form body we build */
#define FB_KR_KID_LEN 36     /* Kraken cl_ord_id we send: a long UUID */
#define FB_KR_TRADES_MAX 64  /* trade ids read from one order object */
#define FB_KR_TXID_MAX 23    /* "OU22CG-KLAF2-FWUDD7" and a little slack */
#define FB_KR_PAIR_MAX 31

/* ---- building requests ---- */

/* A form body under construction (B.1), percent-encoded as it travels.
 * Errors stick: one check at the end. */
struct fb_kr_form {
    char buf[FB_KR_BODY_MAX + 1];
    size_t len;
    enum fb_err err;
};

void fb_kr_f_init(struct fb_kr_form *f);
void fb_kr_f_add(struct fb_kr_form *f, const char *key, const char *value);
void fb_kr_f_add_dec(struct fb_kr_form *f, const char *key, struct fb_dec v);
void fb_kr_f_add_i64(struct fb_kr_form *f, const char *key, int64_t v);

/*
 * The Kraken cl_ord_id for a bridge client order id (B.5.1 allows a long
 * UUID, a 32-hex short UUID or <= 18 ASCII characters; bridge ids are up to
 * 36 characters). Always an RFC 4122 version-5 UUID (SHA-1) of the bridge
 * id in the fixbridge namespace FB_KR_UUID_NS, lower-case with dashes, so
 * the mapping needs no storage and survives restarts; the reverse mapping
 * is kept per order by kraken.c. out: FB_KR_KID_LEN chars + NUL.
 */
#define FB_KR_UUID_NS "5a1d0c3e-7b1f-4e2a-9c44-6678b0b1f1a0"
enum fb_err fb_kr_cl_ord_id(const char *client_order_id,
                            char out[FB_KR_KID_LEN + 1]) FB_WARN_UNUSED;

/*
 * AddOrder parameters for o (F.1), without nonce, keys in alphabetical
 * order: cl_ord_id, displayvol, expiretm, oflags, ordertype, pair, price,
 * price2, timeinforce, type, volume.
 *   MARKET      ordertype=market, volume (no timeinforce); quote_qty on a
 *               buy -> volume=<quote qty> + oflags=viqc (sell: refused)
 *   LIMIT       ordertype=limit, price; post_only -> oflags=post;
 *               display_qty -> ordertype=iceberg + displayvol (>= qty/15)
 *   STOP        ordertype=stop-loss, price=<stop>  (FIX Stop triggers on
 *               an adverse move, which is Kraken's stop-loss; take-profit
 *               is never sent)
 *   STOP_LIMIT  ordertype=stop-loss-limit, price=<stop>, price2=<limit>
 *   TIF         GTC/IOC/GTD (+expiretm = expire_ns in whole seconds,
 *               rounded down), DAY -> GTD until the end of the UTC day of
 *               now_s; FOK refused (REST has none).
 * FB_ERR_UNSUPPORTED (why filled) for what Kraken cannot do.
 */
enum fb_err fb_kr_build_order(const struct fb_venue_order *o, int64_t now_s,
                              struct fb_kr_form *f, char *why, size_t whylen) FB_WARN_UNUSED;

/* AmendOrder parameters (B.5.7): cl_ord_id, order_qty = FIX's new total
 * OrderQty (Kraken's order_qty also counts what has filled), limit_price,
 * trigger_price (omitted when zero). */
enum fb_err fb_kr_build_amend(const char *kid, const struct fb_venue_replace *r,
                              enum fb_venue_ord_type type, struct fb_kr_form *f) FB_WARN_UNUSED;

/*
 * Signs: the body sent is "nonce=<nonce>" followed by "&" and params (if
 * any), and sig receives API-Sign over path and exactly that body (B.2).
 * body must hold FB_KR_BODY_MAX + 1 bytes.
 */
enum fb_err fb_kr_sign(const struct fb_kr_form *params, const char *secret_b64, const char *path,
                       uint64_t nonce, char *body, size_t *body_len,
                       char sig[FB_SIGN_KRAKEN_B64_LEN + 1]) FB_WARN_UNUSED;

/* ---- classifying answers (B.1, B.6, Part H) ---- */

enum fb_kr_class {
    FB_KR_OK = 0,     /* error[] had no E-string and result is an object */
    FB_KR_REJECT = 1, /* the venue decided, nothing was done */
    FB_KR_RETRY = 2,  /* nothing was done; may resend (after retry_after_ms) */
    FB_KR_UNKNOWN = 3 /* may or may not have been done: query first */
};

struct fb_kr_answer {
    enum fb_kr_class cls;
    long http;                       /* 0 if no HTTP response */
    char msg[FB_VENUE_TEXT_MAX + 1]; /* Kraken's error string, verbatim */
    enum fb_venue_reject_reason reason;
    enum fb_venue_reject_class rej_cls; /* for REJECT: FINAL, or RETRYABLE
                                           (market mode, lockout: later) */
    int64_t retry_after_ms;
};

/*
 * Classifies one HTTP outcome. `writes` says the request changes orders.
 * On FB_KR_OK *result (if result != NULL) receives the envelope's result,
 * owned by the caller (json_decref). Never guesses:
 *   OK         error[] empty (warnings "W..." only) and result an object;
 *   REJECT     an E-string not listed below (reason from its prefix);
 *   RETRY      not sent; EAPI:Rate limit exceeded, EOrder:Rate limit
 *              exceeded, EOrder:Domain rate limit exceeded, EAuth rate
 *              limits, EService: Throttled, HTTP 429; and, for reads only,
 *              everything UNKNOWN is for writes;
 *   UNKNOWN    (writes) a timeout or drop after sending, an oversized or
 *              unparseable answer, a non-2xx without Kraken's envelope, any
 *              5xx, EService:Unavailable, EService:Busy, EService:Deadline
 *              elapsed, EGeneral:Internal error, and EAPI:Invalid nonce (an
 *              already-processed copy also gets it: B.3, H.1).
 */
enum fb_kr_class fb_kr_classify(const struct fb_http_response *r, int writes,
                                struct fb_kr_answer *a, json_t **result);

/* Parses a body strictly: an object, no duplicate keys. NULL if not. */
json_t *fb_kr_json_load(const char *s, size_t n);

/* ---- orders ---- */

enum fb_kr_status {
    FB_KR_ST_PENDING = 0,
    FB_KR_ST_OPEN,
    FB_KR_ST_CLOSED,
    FB_KR_ST_CANCELED,
    FB_KR_ST_EXPIRED
};

/* An order object (B.5.5), keyed by its txid. */
struct fb_kr_order {
    char txid[FB_KR_TXID_MAX + 1];
    char cl_ord_id[FB_VENUE_CLORDID_MAX + 1]; /* "" if null/absent */
    enum fb_kr_status status;
    char pair[FB_KR_PAIR_MAX + 1]; /* descr.pair (altname) */
    char side[8];                  /* descr.type */
    char ordertype[24];            /* descr.ordertype */
    struct fb_dec descr_price, descr_price2;
    struct fb_dec vol, vol_exec, cost, fee, avg_price;
    int amended;     /* misc has "amended" */
    int fee_in_base; /* oflags: fcib 1, fciq 0, neither -1 */
    int64_t ts_ns; /* closetm, else opentm, else 0 */
    size_t n_trades;
    char trades[FB_KR_TRADES_MAX][FB_VENUE_ID_MAX + 1];
};

/* FB_ERR_PARSE for a missing or mistyped field, or an unknown status value
 * (never guessed); unknown extra fields are ignored. */
enum fb_err fb_kr_parse_order(const char *txid, const json_t *j,
                              struct fb_kr_order *o) FB_WARN_UNUSED;

/* One QueryTrades / TradesHistory entry, keyed by its trade id. `maker` is
 * read when present (-1 otherwise). */
struct fb_kr_trade {
    char id[FB_VENUE_ID_MAX + 1];
    char ordertxid[FB_KR_TXID_MAX + 1];
    struct fb_dec price, vol, fee, cost;
    int maker;
    int64_t ts_ns;
};
enum fb_err fb_kr_parse_trade(const char *id, const json_t *j,
                              struct fb_kr_trade *t) FB_WARN_UNUSED;

/* One AssetPairs entry (B.4): symbol = id = the key; tick_size from tick_size
 * (else 10^-pair_decimals), step_size = 10^-lot_decimals, min_qty =
 * ordermin, min_notional = costmin. altname/wsname for matching. */
struct fb_kr_pair {
    struct fb_venue_market m;
    char id[FB_KR_PAIR_MAX + 1]; /* the key, which Ticker answers are keyed by */
    char altname[FB_KR_PAIR_MAX + 1], wsname[FB_KR_PAIR_MAX + 1];
};
enum fb_err fb_kr_parse_pair(const char *key, const json_t *j,
                             struct fb_kr_pair *p) FB_WARN_UNUSED;

/* One Ticker entry (B.4): bid = b[0], ask = a[0], decimal strings > 0. */
enum fb_err fb_kr_parse_ticker(const json_t *j, struct fb_dec *bid,
                               struct fb_dec *ask) FB_WARN_UNUSED;

/* AddOrder result: exactly one txid. */
enum fb_err fb_kr_parse_add(const json_t *result, char txid[FB_KR_TXID_MAX + 1]) FB_WARN_UNUSED;
/* CancelOrder result: count (>= 0) and pending (0/1). */
enum fb_err fb_kr_parse_cancel(const json_t *result, int64_t *count, int *pending) FB_WARN_UNUSED;
/* AmendOrder result: amend_id. */
enum fb_err fb_kr_parse_amend(const json_t *result) FB_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif
