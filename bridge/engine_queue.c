#include "bridge/engine_queue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum fb_err fb_engine_queue_init(struct fb_engine_queue *q, size_t cap)
{
    memset(q, 0, sizeof *q);
    q->items = calloc(cap, sizeof *q->items);
    if (!q->items)
        return FB_ERR_NOMEM;
    q->cap = cap;
    q->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->wake_fd < 0) {
        free(q->items);
        return FB_ERR_IO;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return FB_OK;
}

void fb_engine_queue_destroy(struct fb_engine_queue *q)
{
    if (!q->items)
        return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_full);
    close(q->wake_fd);
    free(q->items);
    memset(q, 0, sizeof *q);
}

void fb_engine_queue_wake(struct fb_engine_queue *q)
{
    uint64_t one = 1;
    ssize_t r = write(q->wake_fd, &one, sizeof one);
    (void)r; /* a full counter still wakes the reader */
}

void fb_engine_queue_drain_wake(struct fb_engine_queue *q)
{
    uint64_t v;
    ssize_t r = read(q->wake_fd, &v, sizeof v);
    (void)r;
}

enum fb_err fb_engine_queue_push(struct fb_engine_queue *q, const struct fb_item *it)
{
    int was_empty;

    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return FB_ERR_STATE;
    }
    q->items[(q->head + q->count) % q->cap] = *it;
    was_empty = q->count == 0;
    q->count++;
    pthread_mutex_unlock(&q->mu);
    /* The consumer drains everything per wake-up: one write per batch. */
    if (was_empty)
        fb_engine_queue_wake(q);
    return FB_OK;
}

size_t fb_engine_queue_pop(struct fb_engine_queue *q, struct fb_item *out, size_t max)
{
    size_t n = 0;

    pthread_mutex_lock(&q->mu);
    while (n < max && q->count > 0) {
        out[n++] = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
    }
    if (n)
        pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return n;
}

void fb_engine_queue_close(struct fb_engine_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    fb_engine_queue_wake(q);
}
