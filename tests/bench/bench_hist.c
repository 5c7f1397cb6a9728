/*
 * bench_hist.c -- see bench_hist.h.
 */
#include "bench_hist.h"

#include <string.h>

#define SUB (1u << FB_HIST_SUB_BITS)

static unsigned msb64(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

/* Values below 2*SUB map to themselves; above, e = msb - SUB_BITS shifts the
 * value into [SUB, 2*SUB) and the bucket is e*SUB + (v >> e). */
static unsigned bucket_of(uint64_t v)
{
    if (v < 2 * SUB)
        return (unsigned)v;
    unsigned e = msb64(v) - FB_HIST_SUB_BITS;
    return e * SUB + (unsigned)(v >> e);
}

static uint64_t bucket_top(unsigned b)
{
    if (b < 2 * SUB)
        return b;
    unsigned e = b / SUB - 1;
    uint64_t m = b - e * SUB; /* in [SUB, 2*SUB) */
    return ((m + 1) << e) - 1;
}

void fb_hist_reset(struct fb_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void fb_hist_add(struct fb_hist *h, uint64_t v)
{
    h->bins[bucket_of(v)]++;
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    if (v < h->min)
        h->min = v;
}

uint64_t fb_hist_quantile(const struct fb_hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (unsigned b = 0; b < FB_HIST_BUCKETS; b++) {
        seen += h->bins[b];
        if (seen >= rank) {
            uint64_t top = bucket_top(b);
            return top > h->max ? h->max : top;
        }
    }
    return h->max;
}
