/*
 * throttle_queue.c -- the held items' ring buffer (see throttle_queue.h).
 */
#include "bridge/throttle_queue.h"

#include <stdlib.h>
#include <string.h>

enum fb_err fb_tqueue_init(struct fb_tqueue *q, uint32_t cap)
{
    memset(q, 0, sizeof *q);
    if (cap == 0)
        return FB_ERR_INVALID;
    q->items = calloc(cap, sizeof *q->items);
    if (!q->items)
        return FB_ERR_NOMEM;
    q->cap = cap;
    return FB_OK;
}

void fb_tqueue_free(struct fb_tqueue *q)
{
    free(q->items);
    memset(q, 0, sizeof *q);
}

static uint32_t slot(const struct fb_tqueue *q, uint32_t i)
{
    return (uint32_t)(((uint64_t)q->head + i) % q->cap);
}

enum fb_err fb_tqueue_push(struct fb_tqueue *q, const struct fb_tq_item *it)
{
    if (q->n == q->cap)
        return FB_ERR_TOO_LARGE;
    struct fb_tq_item *dst = &q->items[slot(q, q->n)];
    *dst = *it;
    if (q->n > 0) {
        const struct fb_tq_item *prev = &q->items[slot(q, q->n - 1)];
        if (dst->deadline_ns < prev->deadline_ns)
            dst->deadline_ns = prev->deadline_ns;
    }
    q->n++;
    return FB_OK;
}

struct fb_tq_item *fb_tqueue_peek(struct fb_tqueue *q)
{
    return q->n ? &q->items[q->head] : NULL;
}

int fb_tqueue_pop(struct fb_tqueue *q, struct fb_tq_item *out)
{
    if (!q->n)
        return 0;
    if (out)
        *out = q->items[q->head];
    q->head = slot(q, 1);
    q->n--;
    return 1;
}

uint32_t fb_tqueue_remove(struct fb_tqueue *q, const void *ptr, uint32_t *cost)
{
    uint32_t kept = 0, removed = 0;
    for (uint32_t i = 0; i < q->n; i++) {
        struct fb_tq_item it = q->items[slot(q, i)];
        if (it.ptr == ptr) {
            removed++;
            if (cost)
                *cost += it.cost;
            continue;
        }
        q->items[slot(q, kept++)] = it;
    }
    q->n = kept;
    return removed;
}

int64_t fb_tqueue_next_deadline(const struct fb_tqueue *q)
{
    return q->n ? q->items[q->head].deadline_ns : INT64_MAX;
}
