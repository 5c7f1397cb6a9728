/*
 * kindex.h -- a hash index that does not copy its keys.
 *
 * Open addressing (linear probing, backward-shift deletion, so no
 * tombstones in the live table) from a key's 64-bit hash to a borrowed
 * item. The key itself is not stored: a lookup asks the caller's has()
 * whether the item in a slot with the same hash has the key, and has()
 * compares against the item's own strings. A slot is 16 bytes and the
 * table is kept between 3/8 and 3/4 full: 21-43 bytes per key, where
 * bridge/strmap.c costs a 24-byte slot at most half full plus a malloc'd
 * copy of the key (issue #7: the engine's order indexes, one key per
 * ClOrdID, venue id and OrderID of every order).
 *
 * Growth is incremental, as Redis's dict rehashes: when the table must
 * double, the new one is allocated and the old one is kept; every later
 * put or del moves a few of the old slots across, and lookups try the new
 * table, then the part of the old one not yet moved. Doubling a table of
 * 400k keys at once stalled the engine thread for ~100 ms (most of it the
 * first touch of the new table's pages, ~13 µs a page on a paravirtualised
 * VM); now no call does more than a few slots' work, and the pages are
 * touched as keys arrive. The old table's slots are never shifted while it
 * drains (a deletion leaves a tombstone there), so its probe runs stay
 * whole for the lookups that still need them.
 *
 * Ownership: the index owns its slot arrays, never the items. An item must
 * keep every key it is indexed under (has() must stay true) until it is
 * removed (fb_kidx_del) or the index is freed. Not thread safe: the engine
 * thread owns each index. Lookups allocate and move nothing.
 */
#ifndef FB_KINDEX_H
#define FB_KINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"

/* 1 if item has key (ctx is the caller's). */
typedef int (*fb_kidx_has_fn)(const void *item, const char *key, void *ctx);

struct fb_kidx_slot {
    uint64_t h; /* the key's hash; 0: empty */
    void *item; /* NULL with h != 0: a tombstone (only in the old table) */
};

struct fb_kidx {
    struct fb_kidx_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;   /* keys indexed (both tables) */
    /* While growing: the previous table, whose slots [moved, old_cap) are
     * still to be moved into slots; NULL when there is none. */
    struct fb_kidx_slot *old;
    size_t old_cap, moved;
};

/* The hash to index key under (never 0). */
uint64_t fb_kidx_hash(const char *key);

void fb_kidx_init(struct fb_kidx *x);
void fb_kidx_free(struct fb_kidx *x);
/* Room for more keys, so that as many fb_kidx_put() cannot fail. */
enum fb_err fb_kidx_reserve(struct fb_kidx *x, size_t more) FB_WARN_UNUSED;
/* The item that has key (hash h = fb_kidx_hash(key)), or NULL. */
void *fb_kidx_get(const struct fb_kidx *x, uint64_t h, const char *key, fb_kidx_has_fn has,
                  void *ctx);
/* Indexes key -> item; if an item is already indexed under key, item takes
 * its place. FB_ERR_NOMEM only when the table had to grow and could not. */
enum fb_err fb_kidx_put(struct fb_kidx *x, uint64_t h, const char *key, void *item,
                        fb_kidx_has_fn has, void *ctx) FB_WARN_UNUSED;
/* Removes item's entry under hash h, if there is one. Two keys of one item
 * with the same hash (a 64-bit collision) share one entry: remove an item's
 * keys together, as the engine does when it lets an order go. */
void fb_kidx_del(struct fb_kidx *x, uint64_t h, const void *item);

#endif
