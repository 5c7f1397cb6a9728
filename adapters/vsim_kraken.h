/*
 * vsim_kraken: a venue simulator that speaks Kraken Spot REST (REFERENCE.md
 * Part B) over HTTP on 127.0.0.1, for end-to-end tests of the Kraken
 * adapter (`fixbridge venue-sim --venue kraken`).
 *
 * Matching is adapters/sim_book.c, as for the paper venue and the Binance
 * simulator; the server, parameters and fault queue are vsim_http.c. This
 * layer adds what Kraken checks before an order reaches its engine (B.2,
 * B.3, B.9): a User-Agent (H.2: 403 without), API-Key, API-Sign =
 * base64(HMAC-SHA512(base64decode(secret), path || SHA256(nonce || body))),
 * a nonce strictly above the last accepted one for the key (EAPI:Invalid
 * nonce), POST-only private calls, known parameters only, pair / type /
 * ordertype / volume, price decimals <= pair_decimals and a multiple of
 * tick_size, volume decimals <= lot_decimals, ordermin, costmin, displayvol
 * >= volume/15, post only with limit, viqc only on a market buy, cl_ord_id
 * xor userref and unique among open orders. Answers are Kraken's envelope
 * {"error":[...],"result":{...}} with HTTP 200 and its error strings.
 *
 * Endpoints. Public (GET or POST): Time, SystemStatus, AssetPairs
 * (pair=id|altname|wsname,...), Ticker (pair=...; a/b are the book's touch).
 * Private (POST): AddOrder, CancelOrder (txid | cl_ord_id), CancelAll,
 * AmendOrder (txid | cl_ord_id; order_qty, display_qty, limit_price,
 * trigger_price), QueryOrders (txid list, trades), QueryTrades (txid list),
 * OpenOrders and ClosedOrders (cl_ord_id, userref, trades; Closed: ofs,
 * 50 at a time, newest first).
 *
 * Market spec: SYMBOL is the altname ("XBTUSD"); the pair id is "X"+base+
 * "Z"+quote for 3-letter assets ("XXBTZUSD"), else the altname; the wsname
 * is base/quote. pair_decimals and lot_decimals are the places of tick and
 * step (the step must be a power of ten), ordermin the min qty (else the
 * step), costmin the min notional.
 *
 * Kraken semantics kept on purpose: a cl_ord_id is refused only while an
 * order with it is open (a resend after a fill makes a second order -- what
 * the tests look for); an IOC remainder ends "canceled"; a stop-loss whose
 * trigger is already reached triggers at once (misc "stopped");
 * take-profit(-limit) orders wait outside the book until the price comes
 * to them; fees are in quote for buys and in base for sells unless oflags
 * say fciq/fcib (B.5.1).
 *
 * Control (no signature; loopback only), used by tests:
 *   POST /__sim/fault?kind=K[&count=N][&on=new|cancel|replace|query|any]
 *        [&ms=DELAY][&retry_after=S]
 *     K: 5xx_after_place, 5xx_before_place, delay_after_place (ms, default
 *     3000), drop_after_place, malformed_after_place, unavailable_after_place
 *     (EService:Unavailable), 429 (HTTP 429, Retry-After S), rate_limit
 *     (EAPI:Rate limit exceeded), order_rate_limit (EOrder:Rate limit
 *     exceeded), clear. "after_place" kinds run the request first.
 *     on=query is QueryOrders/OpenOrders/ClosedOrders/QueryTrades.
 *     count 1..1000000, ms 0..600000, retry_after 0..3600, digits only;
 *     anything else is refused with the reason.
 *   POST /__sim/price?symbol=S&price=P   moves the reference and matches.
 *   POST /__sim/limits?rest_max=N&rest_decay_milli=D  the REST call counter
 *     (B.7: +1 a private non-trading call, +2 QueryTrades, -D/1000 per
 *     second; over N: EAPI:Rate limit exceeded). rest_max=0 (default) off.
 *   GET  /__sim/orders[?clientOrderId=C] every order the venue created
 *     (clientOrderId = cl_ord_id; per cl_ord_id: posts = AddOrder requests
 *     received, orders = orders made).
 */
#ifndef FB_VSIM_KRAKEN_H
#define FB_VSIM_KRAKEN_H

#include <stdint.h>

#include "adapters/vsim_http.h"
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fb_vsim_kraken;

/* Validates (api_secret must be base64), binds 127.0.0.1:port and starts
 * serving. err gets a reason. */
enum fb_err fb_vsim_kraken_start(const struct fb_vsim_params *p, struct fb_vsim_kraken **out,
                                 char *err, size_t errlen) FB_WARN_UNUSED;
uint16_t fb_vsim_kraken_port(const struct fb_vsim_kraken *vk);
/* Adds a fault as the control endpoint would ("kind=...&count=..."). */
enum fb_err fb_vsim_kraken_add_fault(struct fb_vsim_kraken *vk, const char *spec, char *err,
                                     size_t errlen) FB_WARN_UNUSED;
/* Stops serving (waits for connection threads), wipes the secret, frees. */
void fb_vsim_kraken_stop(struct fb_vsim_kraken *vk);

#ifdef __cplusplus
}
#endif
#endif
