/*
 * bench_vsim.h -- part (c)'s FIX-in -> REST measure: pairs each measured
 * order's FIX send time (bench_load's track) with the time `fixbridge
 * venue-sim` received the Binance new-order request the bridge made of it
 * (GET /__sim/arrivals), both CLOCK_MONOTONIC on the same host.
 */
#ifndef FB_BENCH_VSIM_H
#define FB_BENCH_VSIM_H

#include <stddef.h>
#include <stdint.h>

#include "bench_hist.h"
#include "bench_load.h"

struct fb_bench_venue_lat {
    struct fb_hist line;     /* FIX order written -> venue-sim read the request line, ns */
    struct fb_hist complete; /* ... -> venue-sim had the whole request */
    uint64_t matched;        /* measured orders found at the venue-sim */
    uint64_t missing;        /* measured orders with no OrderID or no arrival */
    uint64_t negative;       /* arrival before the send (clock misuse; must be 0) */
};

/*
 * Fetches the arrivals from the venue-sim on port and fills *v for the n
 * tracked orders. The venue order's newClientOrderId is "fb" + OrderID +
 * "-0" (bridge/engine.c venue_coid: version 0 is the first request; a
 * retried POST keeps the id, and the earliest arrival is taken). 0, or -1
 * with err.
 */
int fb_bench_venue_latency(uint16_t port, const struct fb_load_track *t, uint64_t n,
                           struct fb_bench_venue_lat *v, char *err, size_t errlen);

#endif
