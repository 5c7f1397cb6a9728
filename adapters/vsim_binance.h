/*
 * vsim_binance: a venue simulator that speaks Binance Spot REST
 * (REFERENCE.md Part A) over HTTP on 127.0.0.1, for end-to-end tests of the
 * Binance adapter (`fixbridge venue-sim --venue binance`).
 *
 * Matching is adapters/sim_book.c (pure, time-injected); this layer adds
 * what the REST API checks before an order reaches the engine: the
 * X-MBX-APIKEY header, the HMAC-SHA256 signature over query || body
 * (adapters/sign.c), timestamp/recvWindow, parameter syntax, the per-type
 * mandatory parameters and the PRICE_FILTER / LOT_SIZE / NOTIONAL /
 * ICEBERG_PARTS filters (-1013). Answers carry Binance's JSON, HTTP statuses,
 * error codes and lower-case x-mbx-used-weight-1m / x-mbx-order-count-*
 * headers.
 *
 * GET /api/v3/ticker/bookTicker (symbol=: an object; symbols= or none: an
 * array; weight 2 / 4) gives the book's touch: bidPrice/askPrice are the
 * reference -/+ spread_bps/2 on the tick, bidQty/askQty the market's max
 * qty (liquidity at the touch is unlimited).
 *
 * Binance semantics kept on purpose: a newClientOrderId is refused as a
 * duplicate only while an order with it is open (so a resend after a fill
 * makes a second order -- what the tests look for), IOC/market remainders
 * end EXPIRED, cancelReplace is a cancel plus a new order with a new
 * orderId.
 *
 * Control (no signature; loopback only), used by tests:
 *   POST /__sim/fault?kind=K[&count=N][&on=new|cancel|replace|query|any]
 *        [&ms=DELAY][&retry_after=S]
 *     K: 5xx_after_place, 5xx_before_place, delay_after_place (ms, default
 *     3000), drop_after_place, malformed_after_place, 429 (Retry-After S,
 *     default 1), 1007_after_place (HTTP 503 with -1007), hide_trades,
 *     clear. "after_place" kinds run the request first, then spoil the
 *     answer. hide_trades (on=new or replace) spoils nothing: the order the
 *     request makes has GET myTrades leave out each of its trades until ms
 *     (at least 1, default 3000) after it, while GET order counts it in
 *     executedQty (the new-order answer's own fills are not hidden); the
 *     fault queued after it may still spoil the same request.
 *     count 1..1000000, ms 0..600000, retry_after 0..3600, digits only;
 *     anything else is answered 400 -1130 with the reason.
 *   POST /__sim/price?symbol=S&price=P   moves the reference and matches.
 *   GET  /__sim/orders[?clientOrderId=C] every order the venue created
 *     (per clientOrderId: posts = requests received, orders = orders made).
 *   GET  /__sim/arrivals                 fbbench's arrivals: per POST order,
 *     newClientOrderId and CLOCK_MONOTONIC ns when its request line and the
 *     whole request were read; and book_ticker_answers (vsim_http.h).
 *
 * Threading: one thread per connection (so a delayed answer holds up only
 * its own connection); one mutex around the book.
 */
#ifndef FB_VSIM_BINANCE_H
#define FB_VSIM_BINANCE_H

#include <stdint.h>

#include "adapters/sim.h"
#include "adapters/vsim_http.h" /* struct fb_vsim_params */
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fb_vsim;

/* Validates, binds 127.0.0.1:port and starts serving. err gets a reason. */
enum fb_err fb_vsim_start(const struct fb_vsim_params *p, struct fb_vsim **out, char *err,
                          size_t errlen) FB_WARN_UNUSED;
uint16_t fb_vsim_port(const struct fb_vsim *vs);
/* Adds a fault as the control endpoint would ("kind=...&count=..."). */
enum fb_err fb_vsim_add_fault(struct fb_vsim *vs, const char *spec, char *err,
                              size_t errlen) FB_WARN_UNUSED;
/* Stops serving (waits for connection threads) and frees everything. */
void fb_vsim_stop(struct fb_vsim *vs);

#ifdef __cplusplus
}
#endif
#endif
