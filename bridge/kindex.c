#include "bridge/kindex.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Old slots moved per put or del while growing. The new table has twice
 * the old one's room, so it is at most 3/8 full when growth starts; the
 * move is done after old_cap/MOVE_STEP more calls, by which time at most
 * old_cap/8 keys were added: it never fills before the move is over. */
#define MOVE_STEP 8

/* Tables from this size are mapped directly: their pages come zeroed and
 * are touched as keys land, where calloc may memset a reused heap block
 * (all of it at once: the stall growth is meant not to have). */
#define MAP_MIN_BYTES (256u * 1024u)

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

static struct fb_kidx_slot *table_alloc(size_t cap)
{
    if (cap > SIZE_MAX / sizeof(struct fb_kidx_slot))
        return NULL;
    size_t bytes = cap * sizeof(struct fb_kidx_slot);
    if (bytes < MAP_MIN_BYTES)
        return calloc(cap, sizeof(struct fb_kidx_slot));
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void table_free(struct fb_kidx_slot *t, size_t cap)
{
    if (!t)
        return;
    size_t bytes = cap * sizeof *t;
    if (bytes < MAP_MIN_BYTES)
        free(t);
    else
        munmap(t, bytes);
}

void fb_kidx_init(struct fb_kidx *x)
{
    memset(x, 0, sizeof *x);
}

void fb_kidx_free(struct fb_kidx *x)
{
    table_free(x->slots, x->cap);
    table_free(x->old, x->old_cap);
    memset(x, 0, sizeof *x);
}

static void place(struct fb_kidx_slot *slots, size_t cap, struct fb_kidx_slot s)
{
    size_t j = s.h & (cap - 1);
    while (slots[j].h)
        j = (j + 1) & (cap - 1);
    slots[j] = s;
}

/* Moves up to `step` old slots into the table; frees the old one when all
 * are across. Live entries only: a tombstone's key is gone or elsewhere. */
static void move_some(struct fb_kidx *x, size_t step)
{
    if (!x->old)
        return;
    size_t end = x->old_cap - x->moved > step ? x->moved + step : x->old_cap;
    for (; x->moved < end; x->moved++) {
        struct fb_kidx_slot s = x->old[x->moved];
        if (s.h && s.item)
            place(x->slots, x->cap, s);
    }
    if (x->moved == x->old_cap) {
        table_free(x->old, x->old_cap);
        x->old = NULL;
        x->old_cap = x->moved = 0;
    }
}

/* Starts growing to a table with room for `need` keys at most 3/4 full.
 * A move still under way is finished first (only a reserve() far beyond
 * the doubling gets here with one). */
static enum fb_err grow(struct fb_kidx *x, size_t need)
{
    size_t ncap = x->cap ? x->cap : 64;
    while (need * 4 > ncap * 3)
        ncap *= 2;
    if (ncap == x->cap)
        return FB_OK;
    struct fb_kidx_slot *ns = table_alloc(ncap);
    if (!ns)
        return FB_ERR_NOMEM;
    move_some(x, SIZE_MAX);
    if (x->n == 0) {
        table_free(x->slots, x->cap);
    } else {
        x->old = x->slots;
        x->old_cap = x->cap;
        x->moved = 0;
    }
    x->slots = ns;
    x->cap = ncap;
    return FB_OK;
}

enum fb_err fb_kidx_reserve(struct fb_kidx *x, size_t more)
{
    if (x->cap && (x->n + more) * 4 <= x->cap * 3)
        return FB_OK;
    return grow(x, x->n + more);
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

/* key's entry in the part of the old table not yet moved, or NULL. Runs
 * are probed whole (the moved part still holds its slots), but an entry
 * below `moved` is a copy already in the new table, or a stale one. */
static struct fb_kidx_slot *find_old(const struct fb_kidx *x, uint64_t h, const char *key,
                                     fb_kidx_has_fn has, void *ctx)
{
    if (!x->old)
        return NULL;
    size_t mask = x->old_cap - 1;
    for (size_t j = h & mask;; j = (j + 1) & mask) {
        struct fb_kidx_slot *s = &x->old[j];
        if (!s->h)
            return NULL;
        if (j >= x->moved && s->item && s->h == h && has(s->item, key, ctx))
            return s;
    }
}

void *fb_kidx_get(const struct fb_kidx *x, uint64_t h, const char *key, fb_kidx_has_fn has,
                  void *ctx)
{
    struct fb_kidx_slot *s = find(x, h, key, has, ctx);
    if (!s)
        s = find_old(x, h, key, has, ctx);
    return s ? s->item : NULL;
}

enum fb_err fb_kidx_put(struct fb_kidx *x, uint64_t h, const char *key, void *item,
                        fb_kidx_has_fn has, void *ctx)
{
    move_some(x, MOVE_STEP);
    struct fb_kidx_slot *s = find(x, h, key, has, ctx);
    if (s) {
        s->item = item;
        return FB_OK;
    }
    s = find_old(x, h, key, has, ctx);
    if (s) {
        /* not moved yet: it moves now, with its new item */
        s->item = NULL;
        place(x->slots, x->cap, (struct fb_kidx_slot){h, item});
        return FB_OK;
    }
    if (fb_kidx_reserve(x, 1) != FB_OK)
        return FB_ERR_NOMEM;
    place(x->slots, x->cap, (struct fb_kidx_slot){h, item});
    x->n++;
    return FB_OK;
}

/* Removes slot i of the table, shifting later entries of its run back. */
static void remove_at(struct fb_kidx *x, size_t i)
{
    size_t mask = x->cap - 1;
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
}

void fb_kidx_del(struct fb_kidx *x, uint64_t h, const void *item)
{
    if (!x->cap || !item)
        return;
    move_some(x, MOVE_STEP);
    size_t mask = x->cap - 1;
    for (size_t i = h & mask; x->slots[i].h; i = (i + 1) & mask) {
        if (x->slots[i].h == h && x->slots[i].item == item) {
            remove_at(x, i);
            x->n--;
            return;
        }
    }
    if (!x->old)
        return;
    mask = x->old_cap - 1;
    for (size_t j = h & mask; x->old[j].h; j = (j + 1) & mask) {
        if (j >= x->moved && x->old[j].h == h && x->old[j].item == item) {
            x->old[j].item = NULL; /* a tombstone: the run stays whole */
            x->n--;
            return;
        }
    }
}
