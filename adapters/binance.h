/*
 * binance: the Binance Spot REST venue (fb_venue_binance), over adapters/http.
 *
 * Start-up. create() does no I/O. The first run() sends GET /api/v3/time
 * (clock offset), GET /api/v3/exchangeInfo?symbols=[...] (filters for
 * the configured symbols) and GET /api/v3/ticker/bookTicker (the touch).
 * Until all three have answered (the bookTicker with any outcome: a
 * venue whose ticker fails still trades, and the policy, lacking a
 * reference price, fails closed where it needs one), market() returns
 * FB_ERR_STATE and submit/cancel/replace/query/open_orders return
 * FB_ERR_STATE: the engine waits for readiness by calling run() and
 * checking market() for any of its symbols (FB_ERR_STATE = not yet,
 * FB_ERR_NOT_FOUND = loaded but unknown symbol), or fb_binance_ready().
 *
 * Requests. Signed requests carry X-MBX-APIKEY, recvWindow and a
 * timestamp = now + (server clock offset measured from /api/v3/time,
 * re-measured every 5 minutes and after any -1021). Order parameters go in
 * the form body (POST/PUT) or the query (GET/DELETE), percent-encoded once
 * and signed exactly as sent.
 *
 * Answers (fb_bn_classify): accepted; rejected-final (REJECT with the
 * venue's code and msg); retryable-before-acting (resent with the same
 * client order id after exponential backoff with jitter, honouring
 * Retry-After; 418 stops all requests until the ban ends); outcome unknown
 * (timeout after sending, 5xx, -1000/-1001/-1006/-1007/-1008, dropped
 * connection, unparseable body): the adapter itself queries the order by
 * origClientOrderId before anything else; -2013 (not placed) -> resend
 * with the SAME client order id; found -> continue from its state. After
 * max_attempts or retry_deadline_ms it gives the engine REJECT with class
 * FB_VREJ_UNKNOWN_OUTCOME (the engine then queries). If the venue's last
 * answer was -2013 the order is no longer tracked; otherwise it is polled
 * until the venue answers. Polling of any order ends when the venue
 * answers a poll or query -2013/-2026 (a STATUS UNKNOWN tells the engine);
 * an order given up on that a query or poll finds after all is tracked
 * again (fills by the orderId it learned).
 *
 * Fills. FULL responses give the placement fills; resting orders are
 * polled every poll_interval_ms (GET /api/v3/order; on a change in
 * executedQty, GET /api/v3/myTrades?orderId= for trade ids, fees and
 * maker/taker). Every fill is deduplicated by trade id.
 *
 * Reference price. GET /api/v3/ticker/bookTicker (unsigned; symbol= for
 * one configured symbol, weight 2, else symbols=[...] in one call, weight
 * 4) every poll_interval_ms; like order polls it pauses while a 429/418
 * blocks requests and yields when used-weight-1m is at 90% of the limit.
 * bidPrice/askPrice are exact decimals (JSON strings only). The
 * reference_price slot gives the last touch with as-of = when its answer
 * arrived (run()'s clock); a failed poll keeps the old touch and its old
 * as-of, so the policy sees it age. FB_ERR_STATE before the first good
 * answer or for an empty book; a zero side = that side is empty.
 *
 * Replace (FIX 35=G) -> POST /api/v3/order/cancelReplace with
 * cancelReplaceMode=STOP_ON_FAILURE, cancelOrigClientOrderId = the order's
 * id, newClientOrderId = the replace's new id, the same side/type/TIF, and
 * quantity = the FIX new total OrderQty minus what has filled so far
 * (FIX OrderQty includes CumQty; a Binance replacement order starts from
 * zero). Binance gives the replacement a new orderId; the bridge reports
 * one order (ExecType=Replaced, the new OrderID). -2022 (cancel failed,
 * nothing placed) -> REPLACE_REJECT; -2021 with the cancel done and the new
 * order refused -> REPLACE_REJECT then CANCELED (the original is gone).
 *
 * Refused up front (info.supports and REJECT/UNSUPPORTED): DAY and GTD,
 * FOK market orders, post-only other than GTC, iceberg other than GTC.
 * Client order ids must match ^[a-zA-Z0-9-_]{1,36}$ ('.' is not allowed
 * on Binance): anything else is FB_ERR_INVALID at submit.
 *
 * Closed orders are kept 10 minutes (late answers, cancel -> "too late"),
 * then forgotten: a later query asks Binance on each configured symbol.
 *
 * Secrets: api_key and api_secret are values (the caller reads the
 * environment); they are copied, never logged, and wiped on destroy.
 */
#ifndef FB_BINANCE_H
#define FB_BINANCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FB_BINANCE_SYMBOLS_MAX 64

struct fb_binance_params {
    const char *base_url;        /* e.g. "https://api.binance.com", no trailing '/' */
    const char *api_key;         /* value, not a variable name */
    const char *api_secret;      /* value */
    const char *ca_file;         /* NULL: system CA store */
    const char *const *symbols;  /* venue symbols whose filters to load */
    size_t n_symbols;            /* 1..FB_BINANCE_SYMBOLS_MAX */
    uint32_t connect_timeout_ms; /* 0: 3000 */
    uint32_t request_timeout_ms; /* 0: 10000 (Binance's own backend timeout) */
    uint32_t poll_interval_ms;   /* resting-order polling; 0: 1000 */
    uint32_t recv_window_ms;     /* 0: 5000; at most 60000 */
    uint32_t max_attempts;       /* per request; 0: 5 */
    uint32_t retry_base_ms;      /* first backoff; 0: 200 */
    uint32_t retry_deadline_ms;  /* give up on a request after; 0: 30000 */
    uint64_t seed;               /* jitter */
};

/* 1 once the clock offset and the markets are loaded. */
int fb_binance_ready(const void *state);

/* The last value Binance reported in a rate-limit header, named by its
 * lower-case suffix after "x-mbx-": "used-weight-1m", "order-count-10s",
 * "order-count-1d", ...; -1 if never seen. Polling pauses while
 * used-weight-1m is at 90% of exchangeInfo's REQUEST_WEIGHT per minute. */
long fb_binance_rate_usage(const void *state, const char *which);

#ifdef __cplusplus
}
#endif
#endif
