/*
 * throttle_queue.h -- a bounded FIFO of items held by a throttle
 * (bridge/throttle.h), one per bucket, so the engine can hold an order over
 * the rate instead of dropping it and knows when to look at it again.
 *
 * A ring buffer: push, pop and peek are O(1); removing a held item that is
 * no longer wanted (its order canceled or its session gone) is O(n) and
 * keeps the others' order. The engine's poll timeout must include
 * fb_tqueue_next_deadline() of every queue.
 *
 * Deadlines never go backwards along the queue: a pushed item's deadline is
 * raised to its predecessor's, since it cannot leave before it anyway. So
 * the head's deadline is the queue's next deadline.
 *
 * Pure apart from the one allocation in fb_tqueue_init().
 */
#ifndef FB_THROTTLE_QUEUE_H
#define FB_THROTTLE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fb_tq_item {
    int64_t deadline_ns; /* when to ask fb_throttle_release() for it */
    int64_t held_ns;     /* when it was first held (its latency budget runs from here) */
    int64_t budget_ns;   /* what was left of its budget then */
    uint32_t cost;       /* tokens it asked for */
    void *ptr;           /* the caller's item; never dereferenced here */
};

struct fb_tqueue {
    struct fb_tq_item *items;
    uint32_t cap;  /* slots */
    uint32_t head; /* index of the oldest item */
    uint32_t n;    /* items held */
};

/* An empty queue of cap (>= 1) slots. FB_ERR_INVALID, FB_ERR_NOMEM. */
enum fb_err fb_tqueue_init(struct fb_tqueue *q, uint32_t cap) FB_WARN_UNUSED;
void fb_tqueue_free(struct fb_tqueue *q);

/* Appends a copy of *it. FB_ERR_TOO_LARGE when full: the caller rejects the
 * item with a Text rather than drop it. */
enum fb_err fb_tqueue_push(struct fb_tqueue *q, const struct fb_tq_item *it) FB_WARN_UNUSED;

/* The oldest item, or NULL. The caller may change its deadline_ns (a
 * release said WAIT again) but not beyond the next item's. */
struct fb_tq_item *fb_tqueue_peek(struct fb_tqueue *q);

/* Removes the oldest item into *out (may be NULL). 0 when empty. */
int fb_tqueue_pop(struct fb_tqueue *q, struct fb_tq_item *out);

/* Removes every item whose ptr is ptr, keeping the order of the rest; the
 * removed items' costs are added to *cost (may be NULL) for
 * fb_throttle_withdraw(). Returns how many were removed. */
uint32_t fb_tqueue_remove(struct fb_tqueue *q, const void *ptr, uint32_t *cost);

/* The head's deadline, or INT64_MAX when empty. */
int64_t fb_tqueue_next_deadline(const struct fb_tqueue *q);

#ifdef __cplusplus
}
#endif
#endif
