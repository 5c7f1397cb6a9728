/*
 * pool.h -- fixed-size objects from chunks, reused through a free list.
 *
 * The engine takes one order object per NewOrderSingle and gives it back
 * when the order is collapsed (issue #7: no per-order allocation churn).
 * From malloc each would pay a 16-byte header and a trip through the
 * allocator's bins; here an object costs its size rounded to 16 and a
 * pointer push or pop. Chunks are never given back before fb_pool_free:
 * a pool's memory is its high-water mark (malloc's would mostly stay too).
 *
 * Ownership: the pool owns its chunks; an object from fb_pool_get belongs
 * to the caller until fb_pool_put. Not thread safe.
 */
#ifndef FB_POOL_H
#define FB_POOL_H

#include <stddef.h>

struct fb_pool {
    size_t size;       /* of an object, rounded up to 16 */
    size_t per_chunk;  /* objects per chunk */
    void *free_list;   /* objects given back (each holds the next) */
    char *chunk;       /* the newest chunk, next unused object at used */
    size_t used;
    void **chunks;     /* every chunk, for fb_pool_free */
    size_t nchunks, cap_chunks;
};

/* An empty pool of objects of size bytes, per_chunk to a chunk (both > 0).
 * Allocates nothing yet. */
void fb_pool_init(struct fb_pool *p, size_t size, size_t per_chunk);
/* An object, zeroed; NULL when out of memory. */
void *fb_pool_get(struct fb_pool *p);
/* Gives obj (from this pool; NULL: nothing) back for the next get. */
void fb_pool_put(struct fb_pool *p, void *obj);
/* Frees every chunk: every object from the pool is gone. */
void fb_pool_free(struct fb_pool *p);

#endif
