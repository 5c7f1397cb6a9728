/*
 * grow.h -- the one way a byte buffer grows here: doubling from a first
 * capacity until it holds `need` bytes (the outbox, the journal's and the
 * finished-orders file's step buffers, HTTP bodies, ...). Amortised O(1)
 * appends, and a buffer reused from step to step stops growing once it
 * holds a step's worth.
 */
#ifndef FB_GROW_H
#define FB_GROW_H

#include <stdint.h>
#include <stdlib.h>

/*
 * Returns a buffer of at least need (> 0) bytes holding buf's contents:
 * buf itself when *cap already suffices, else buf realloc'd to the next
 * doubling of *cap (or of first, when *cap is 0), *cap updated. NULL when
 * out of memory or past SIZE_MAX: then buf and *cap are as they were.
 */
static inline void *fb_grow(void *buf, size_t *cap, size_t need, size_t first)
{
    size_t ncap = *cap ? *cap : first;
    if (need <= *cap)
        return buf;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return NULL;
        ncap *= 2;
    }
    void *nb = realloc(buf, ncap);
    if (nb)
        *cap = ncap;
    return nb;
}

#endif
