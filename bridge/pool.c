#include "bridge/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer an object given back is poisoned but for its
 * free-list pointer, so a use after fb_pool_put is still reported. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

void fb_pool_init(struct fb_pool *p, size_t size, size_t per_chunk)
{
    memset(p, 0, sizeof *p);
    /* room for the free list's pointer, and malloc's alignment */
    if (size < sizeof(void *))
        size = sizeof(void *);
    p->size = (size + 15) & ~(size_t)15;
    p->per_chunk = per_chunk ? per_chunk : 1;
}

static int new_chunk(struct fb_pool *p)
{
    if (p->nchunks == p->cap_chunks) {
        size_t ncap = p->cap_chunks ? p->cap_chunks * 2 : 16;
        void **nc = realloc(p->chunks, ncap * sizeof *nc);
        if (!nc)
            return -1;
        p->chunks = nc;
        p->cap_chunks = ncap;
    }
    if (p->per_chunk > SIZE_MAX / p->size)
        return -1;
    char *c = malloc(p->size * p->per_chunk);
    if (!c)
        return -1;
    p->chunks[p->nchunks++] = c;
    p->chunk = c;
    p->used = 0;
    return 0;
}

void *fb_pool_get(struct fb_pool *p)
{
    void *obj;
    if (p->free_list) {
        obj = p->free_list;
        memcpy(&p->free_list, obj, sizeof(void *));
        UNPOISON((char *)obj + sizeof(void *), p->size - sizeof(void *));
    } else {
        if ((!p->chunk || p->used == p->per_chunk) && new_chunk(p) < 0)
            return NULL;
        obj = p->chunk + p->used++ * p->size;
    }
    memset(obj, 0, p->size);
    return obj;
}

void fb_pool_put(struct fb_pool *p, void *obj)
{
    if (!obj)
        return;
    memcpy(obj, &p->free_list, sizeof(void *));
    p->free_list = obj;
    POISON((char *)obj + sizeof(void *), p->size - sizeof(void *));
}

void fb_pool_free(struct fb_pool *p)
{
    for (size_t i = 0; i < p->nchunks; i++) {
        UNPOISON(p->chunks[i], p->size * p->per_chunk);
        free(p->chunks[i]);
    }
    free(p->chunks);
    size_t size = p->size, per = p->per_chunk;
    memset(p, 0, sizeof *p);
    p->size = size;
    p->per_chunk = per;
}
