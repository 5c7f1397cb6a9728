/*
 * bench_hist.h -- a log-linear latency histogram in the manner of HdrHistogram:
 * exact below 256 ns, then 128 linear sub-buckets per power of two (relative
 * error under 0.8%). Fixed size, no allocation; the maximum is kept exactly.
 */
#ifndef FB_BENCH_HIST_H
#define FB_BENCH_HIST_H

#include <stdint.h>

#define FB_HIST_SUB_BITS 7
#define FB_HIST_BUCKETS                                                                            \
    ((64 - FB_HIST_SUB_BITS) * (1u << FB_HIST_SUB_BITS) + (1u << (FB_HIST_SUB_BITS + 1)))

struct fb_hist {
    uint64_t count;
    uint64_t max;
    uint64_t min;
    uint64_t sum;
    uint64_t bins[FB_HIST_BUCKETS];
};

void fb_hist_reset(struct fb_hist *h);
void fb_hist_add(struct fb_hist *h, uint64_t v);
/* The value at quantile q (0..1): the upper edge of its bucket, capped at the
 * exact maximum. 0 if empty. */
uint64_t fb_hist_quantile(const struct fb_hist *h, double q);

#endif
