/*
 * kraken: the Kraken Spot REST venue (fb_venue_kraken), over adapters/http.
 *
 * Start-up. create() opens the nonce file (adapters/nonce.c) under
 * nonce_dir (created, mode 0700, if missing) and does no network I/O. The
 * first run() sends GET /0/public/AssetPairs?pair=<symbols>. Until it has
 * answered, market() and submit/cancel/replace/query/open_orders return
 * FB_ERR_STATE; afterwards market() answers FB_ERR_NOT_FOUND for a symbol
 * Kraken did not list. Symbols are the pair id or altname ("XXBTZUSD",
 * "XBTUSD"; the wsname "XBT/USD" also matches the loaded pair) and are sent
 * to Kraken as configured.
 *
 * Requests. Private calls are POST /0/private/<Method> with a form body
 * "nonce=<n>&<params>", headers API-Key and API-Sign (B.2); every nonce
 * comes from the persistent strictly increasing source. POSTs go out on a
 * fresh connection (http.c), so libcurl never re-sends one (Part H.1).
 *
 * Client order ids. Kraken's cl_ord_id is a UUID, a 32-hex id or <= 18
 * ASCII characters; the bridge's ids ("fb<orderid>-<n>") are up to 36.
 * Every order is sent with cl_ord_id = fb_kr_cl_ord_id(client_order_id):
 * the RFC 4122 v5 (SHA-1) UUID of the bridge id in a fixed fixbridge
 * namespace. It is deterministic, so after a restart the bridge id still
 * finds the order; the reverse (Kraken id -> bridge id) is kept per order.
 * Events always carry the bridge's ids.
 *
 * Answers (fb_kr_classify, B.6): accepted; rejected-final (REJECT, code "",
 * text = Kraken's error string verbatim); retryable before acting (rate
 * limits, throttling: resent after backoff with jitter, same cl_ord_id, new
 * nonce); outcome unknown (timeout after sending, 5xx, EService:*,
 * EGeneral:Internal error, EAPI:Invalid nonce on a write, unparseable): the
 * adapter first asks OpenOrders, then ClosedOrders, with cl_ord_id; found ->
 * continue from its state; in neither -> resend with the SAME cl_ord_id.
 * After max_attempts or retry_deadline_ms the engine gets REJECT with class
 * FB_VREJ_UNKNOWN_OUTCOME and the adapter keeps looking the order up at the
 * poll interval (reporting it if it appears).
 *
 * Fills. Orders with a txid are polled every poll_interval_ms with one
 * QueryOrders call for all of them (trades=true; Part H.4); when vol_exec
 * grows, QueryTrades for the trade ids not yet reported gives qty, price,
 * fee. Every fill is deduplicated by trade id.
 *
 * Replace (FIX 35=G) -> AmendOrder by cl_ord_id, in place: order_qty = the
 * FIX new total OrderQty (Kraken's order_qty, like FIX, includes what has
 * filled; at or below the filled quantity Kraken cancels the rest),
 * limit_price = the new Price (limit, stop-limit), trigger_price = the new
 * StopPx (stop, stop-limit). The txid and Kraken's cl_ord_id stay; the
 * bridge's id becomes new_client_order_id. Not amendable: market orders.
 *
 * Order types: market, limit (post-only -> oflags=post; iceberg ->
 * ordertype=iceberg + displayvol >= qty/15), stop -> stop-loss, stop-limit
 * -> stop-loss-limit (price = trigger, price2 = limit). TIF GTC, IOC, GTD
 * (expiretm), DAY as GTD to the end of the UTC day; FOK refused. Quote
 * quantity: market buys only (oflags=viqc).
 *
 * Closed orders are kept 10 minutes, then forgotten: a later query asks
 * Kraken (OpenOrders, ClosedOrders by cl_ord_id).
 *
 * Secrets: api_key and api_secret are values (the caller reads the
 * environment); they are copied, never logged, and wiped on destroy.
 */
#ifndef FB_KRAKEN_H
#define FB_KRAKEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FB_KRAKEN_SYMBOLS_MAX 64

struct fb_kraken_params {
    const char *base_url;        /* e.g. "https://api.kraken.com", no trailing '/' */
    const char *api_key;         /* value, not a variable name */
    const char *api_secret;      /* value: base64, as Kraken gives it */
    const char *ca_file;         /* NULL: system CA store */
    const char *const *symbols;  /* pairs whose rules to load */
    size_t n_symbols;            /* 1..FB_KRAKEN_SYMBOLS_MAX */
    const char *nonce_dir;       /* directory of the key's nonce file (kraken.nonce) */
    uint32_t connect_timeout_ms; /* 0: 3000 */
    uint32_t request_timeout_ms; /* 0: 10000 */
    uint32_t poll_interval_ms;   /* open-order polling; 0: 1000 (H.4: mind the counter) */
    uint32_t max_attempts;       /* per request; 0: 5 */
    uint32_t retry_base_ms;      /* first backoff; 0: 250 */
    uint32_t retry_deadline_ms;  /* give up on a request after; 0: 30000 */
    uint64_t seed;               /* jitter */
};

/* 1 once the pairs are loaded. */
int fb_kraken_ready(const void *state);

#ifdef __cplusplus
}
#endif
#endif
