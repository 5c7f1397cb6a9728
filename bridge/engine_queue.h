/*
 * engine_queue.h -- the bounded queue from the FIX thread(s) to the engine
 * thread: many producers, one consumer. A full queue makes producers wait
 * (back-pressure on the FIX socket) rather than drop anything. The consumer
 * waits on an eventfd, so it can also wait for venue timers in one poll().
 */
#ifndef FB_ENGINE_QUEUE_H
#define FB_ENGINE_QUEUE_H

#include <pthread.h>
#include <stddef.h>

#include "bridge/error.h"
#include "bridge/translate.h"

enum fb_item_kind {
    FB_ITEM_MESSAGE = 0, /* a translated application message (.tr) */
    FB_ITEM_LOGON = 1,   /* session logged on */
    FB_ITEM_LOGOUT = 2,  /* session logged out or disconnected */
    FB_ITEM_CALL = 3,    /* a request from another thread (.call) */
    FB_ITEM_LAST         /* not a true kind, never use this */
};

struct fb_item {
    enum fb_item_kind kind;
    size_t session;
    int64_t received_ns; /* when the FIX thread decoded it */
    void *call;          /* FB_ITEM_CALL: the caller's waiting request */
    /* From the message's header and body, for rejects that must echo them
     * (BusinessMessageReject 45/372, OrderMassCancelReport 530). */
    char ref_seq_num[16];
    char ref_msg_type[8];
    char mass_cancel_type[4];
    struct fb_tr_result tr;
};

struct fb_engine_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_full;
    struct fb_item *items; /* ring of cap items */
    size_t cap, head, count;
    int wake_fd; /* eventfd the consumer polls */
    int closed;
};

enum fb_err fb_engine_queue_init(struct fb_engine_queue *q, size_t cap) FB_WARN_UNUSED;
void fb_engine_queue_destroy(struct fb_engine_queue *q);
/* Copies *it in; waits while the queue is full. FB_ERR_STATE once closed. */
enum fb_err fb_engine_queue_push(struct fb_engine_queue *q, const struct fb_item *it);
/* Moves up to max items out, without waiting. Returns how many. */
size_t fb_engine_queue_pop(struct fb_engine_queue *q, struct fb_item *out, size_t max);
/* Wakes the consumer (e.g. to stop). */
void fb_engine_queue_wake(struct fb_engine_queue *q);
/* Clears the consumer's eventfd after a wake-up. */
void fb_engine_queue_drain_wake(struct fb_engine_queue *q);
/* Refuses further pushes and releases waiting producers. */
void fb_engine_queue_close(struct fb_engine_queue *q);

#endif
