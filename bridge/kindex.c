#include "bridge/kindex.h"

#include <stdlib.h>
#include <string.h>

uint64_t fb_kidx_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix */
    for (; *key; key++) {
        h ^= (unsigned char)*key;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1; /* 0 marks an empty slot */
}

void fb_kidx_init(struct fb_kidx *x)
{
    memset(x, 0, sizeof *x);
}

void fb_kidx_free(struct fb_kidx *x)
{
    free(x->slots);
    memset(x, 0, sizeof *x);
}

static void place(struct fb_kidx_slot *slots, size_t cap, struct fb_kidx_slot s)
{
    size_t j = s.h & (cap - 1);
    while (slots[j].h)
        j = (j + 1) & (cap - 1);
    slots[j] = s;
}

enum fb_err fb_kidx_reserve(struct fb_kidx *x, size_t more)
{
    size_t ncap = x->cap ? x->cap : 64;
    /* at most 3/4 full: linear probing stays short */
    while ((x->n + more) * 4 > ncap * 3)
        ncap *= 2;
    if (ncap == x->cap)
        return FB_OK;
    struct fb_kidx_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return FB_ERR_NOMEM;
    for (size_t i = 0; i < x->cap; i++) {
        if (x->slots[i].h)
            place(ns, ncap, x->slots[i]);
    }
    free(x->slots);
    x->slots = ns;
    x->cap = ncap;
    return FB_OK;
}

static struct fb_kidx_slot *find(const struct fb_kidx *x, uint64_t h, const char *key,
                                 fb_kidx_has_fn has, void *ctx)
{
    if (!x->cap)
        return NULL;
    for (size_t j = h & (x->cap - 1);; j = (j + 1) & (x->cap - 1)) {
        struct fb_kidx_slot *s = &x->slots[j];
        if (!s->h)
            return NULL;
        /* the hash finds candidates; the item's own strings decide */
        if (s->h == h && has(s->item, key, ctx))
            return s;
    }
}

void *fb_kidx_get(const struct fb_kidx *x, uint64_t h, const char *key, fb_kidx_has_fn has,
                  void *ctx)
{
    struct fb_kidx_slot *s = find(x, h, key, has, ctx);
    return s ? s->item : NULL;
}

enum fb_err fb_kidx_put(struct fb_kidx *x, uint64_t h, const char *key, void *item,
                        fb_kidx_has_fn has, void *ctx)
{
    struct fb_kidx_slot *s = find(x, h, key, has, ctx);
    if (s) {
        s->item = item;
        return FB_OK;
    }
    if (fb_kidx_reserve(x, 1) != FB_OK)
        return FB_ERR_NOMEM;
    place(x->slots, x->cap, (struct fb_kidx_slot){h, item});
    x->n++;
    return FB_OK;
}

void fb_kidx_del(struct fb_kidx *x, uint64_t h, const void *item)
{
    size_t mask = x->cap - 1, i;
    if (!x->cap)
        return;
    for (i = h & mask;; i = (i + 1) & mask) {
        if (!x->slots[i].h)
            return;
        if (x->slots[i].h == h && x->slots[i].item == item)
            break;
    }
    /* Backward shift: move later entries of the run into the hole when
     * their home slot allows it, so no tombstone is needed. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (!x->slots[j].h)
            break;
        size_t home = x->slots[j].h & mask;
        /* j's entry may move to i iff i lies cyclically in [home, j) */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            x->slots[i] = x->slots[j];
            i = j;
        }
    }
    x->slots[i].h = 0;
    x->slots[i].item = NULL;
    x->n--;
}
