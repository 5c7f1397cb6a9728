/*
 * strmap.h -- a string-keyed hash map (open addressing, linear probing).
 *
 * The map owns copies of its keys; values are borrowed pointers. Not thread
 * safe: the engine thread owns each map. Lookups are O(1) on average and
 * allocate nothing.
 */
#ifndef FB_STRMAP_H
#define FB_STRMAP_H

#include <stddef.h>

#include "bridge/error.h"

struct fb_strmap_slot {
    char *key; /* NULL: empty; FB_STRMAP_TOMBSTONE: deleted */
    size_t hash;
    void *value;
};

struct fb_strmap {
    struct fb_strmap_slot *slots;
    size_t cap; /* power of two */
    size_t used; /* live + tombstones */
    size_t live;
};

void fb_strmap_init(struct fb_strmap *m);
void fb_strmap_free(struct fb_strmap *m);
/* Inserts or replaces key -> value. */
enum fb_err fb_strmap_put(struct fb_strmap *m, const char *key, void *value) FB_WARN_UNUSED;
/* The value for key, or NULL. */
void *fb_strmap_get(const struct fb_strmap *m, const char *key);
/* Removes key; returns its value or NULL. */
void *fb_strmap_del(struct fb_strmap *m, const char *key);

#endif
