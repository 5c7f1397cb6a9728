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

/*
 * The bridge's own figure for (c): its /metrics histogram
 * fixbridge_venue_order_written_seconds (NewOrderSingle read off the FIX
 * socket -> its REST request written to the venue's socket, measured inside
 * the bridge). Cumulative bucket counts; two scrapes give the measured
 * phase's share.
 */
#define FB_BENCH_WRITTEN_MAX 40
struct fb_bench_written {
    size_t nb;
    int64_t le_ns[FB_BENCH_WRITTEN_MAX]; /* INT64_MAX for +Inf */
    uint64_t cum[FB_BENCH_WRITTEN_MAX];
    uint64_t count;
    int64_t sum_ns;
};

/* GET /metrics from the bridge's admin port; 0, or -1 with err. */
int fb_bench_written_scrape(uint16_t admin_port, struct fb_bench_written *w, char *err,
                            size_t errlen);
/* after - before, bucket by bucket. */
void fb_bench_written_diff(const struct fb_bench_written *before,
                           const struct fb_bench_written *after, struct fb_bench_written *out);
/* The upper bound (ns) of the bucket holding quantile q; INT64_MAX if past
 * the last bound, -1 if empty. */
int64_t fb_bench_written_quantile(const struct fb_bench_written *w, double q);

#endif
