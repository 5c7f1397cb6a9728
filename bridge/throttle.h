/*
 * throttle.h -- token buckets for the execution policy's throttles: per FIX
 * session (messages/s, orders/s) and per venue (requests/s, orders/s,
 * honouring the venue's Retry-After).
 *
 * Exact arithmetic. A bucket counts nano-tokens: one token is 10^9 of them,
 * so a rate of r tokens per second refills exactly r nano-tokens per
 * nanosecond. Refill and waits are integer products and ceilings, with no
 * rounding drift however often the bucket is asked.
 *
 * Never silent. Over the limit, an item is either held within a latency
 * budget (FB_THR_WAIT: the caller keeps it in a FIFO, bridge/throttle_queue.h)
 * or refused with a Text saying which limit and why (FB_THR_REJECT). Held
 * items keep their order: while anything is held, a new item never jumps
 * the queue, even when a token is free.
 *
 * Holding. On WAIT the bucket counts the item's cost as `queued` (not yet
 * taken), so later arrivals see the whole queue ahead of them when their
 * wait is computed. At the item's time the caller asks fb_throttle_release()
 * for the FIFO's head, which takes the tokens, or says to wait longer (the
 * venue's Retry-After may have paused the bucket since), or refuses it when
 * its budget would now be exceeded. An item dropped while held (an OMS
 * cancel, a disconnect) is given back with fb_throttle_withdraw().
 *
 * Pure: no I/O, no clock, no allocation; time comes in as ns since the epoch.
 * A bucket belongs to one thread (the engine's).
 */
#ifndef FB_THROTTLE_H
#define FB_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Nano-tokens per token. */
#define FB_THROTTLE_ONE 1000000000LL
/* Bounds the config enforces too; they keep every product within int64. */
#define FB_THROTTLE_RATE_MAX 1000000u
#define FB_THROTTLE_BURST_MAX 1000000u
#define FB_THROTTLE_BUDGET_MS_MAX 60000u
#define FB_THROTTLE_LABEL_MAX 80

enum fb_throttle_verdict {
    FB_THR_ADMIT = 0, /* tokens taken: send now */
    FB_THR_WAIT = 1,  /* hold the item; ask fb_throttle_release() at now + *wait_ns */
    FB_THR_REJECT = 2 /* refused; the Text says why; nothing taken */
};

struct fb_throttle {
    char label[FB_THROTTLE_LABEL_MAX + 1]; /* "Session oms1", "Venue binance" */
    char unit[24];                         /* "orders", "messages", "requests" */
    uint32_t rate;                         /* tokens per second; 0 = no limit */
    uint32_t burst;                        /* capacity, tokens (>= 1 when rate > 0) */
    uint32_t budget_ms;                    /* the configured budget, for the Text */
    int64_t level;                         /* nano-tokens, as of last_ns */
    int64_t last_ns;                       /* refill is accounted up to here */
    int64_t paused_until_ns;               /* Retry-After: nothing before this; 0 none */
    int64_t queued;                        /* nano-tokens of items held by the caller */
    /* for metrics */
    uint64_t admitted; /* admitted at once, or released from the hold */
    uint64_t held;     /* WAIT verdicts from fb_throttle_admit */
    uint64_t rejected; /* REJECT verdicts, from admit or release */
};

/*
 * Sets up a full bucket (a quiet session may start with a burst). label and
 * unit are copied (truncated) for Texts: "<label> over <rate> <unit>/s".
 * rate 0 makes a bucket that admits everything. burst 0 with a rate is
 * taken as 1 (a bucket must be able to hold one token).
 */
void fb_throttle_init(struct fb_throttle *t, const char *label, const char *unit, uint32_t rate,
                      uint32_t burst, uint32_t budget_ms, int64_t now_ns);

/*
 * Asks for cost tokens (a request's weight; 1 for a message or an order).
 * budget_ns is what is left of the item's latency budget (the configured
 * budget for a fresh item; less for one already held elsewhere; 0 or less:
 * never hold). ADMIT: taken. WAIT: *wait_ns > 0 ... <= budget_ns (or 0 when
 * tokens are free but older items are still held: queue behind them); the
 * cost is now counted as queued. REJECT: text gets the reason ("Session
 * oms1 over 50 orders/s; queueing would exceed the 200 ms latency budget").
 * wait_ns, text may be NULL.
 */
enum fb_throttle_verdict fb_throttle_admit(struct fb_throttle *t, int64_t now_ns, uint32_t cost,
                                           int64_t budget_ns, int64_t *wait_ns, char *text,
                                           size_t text_size);

/*
 * For the head of the caller's FIFO, held since held_ns with budget_ns (as
 * passed to admit): ADMIT takes its tokens out of the queued count; WAIT
 * gives the new *wait_ns (keep it at the head); REJECT when the wait would
 * take it past held_ns + budget_ns (its cost leaves the queue too).
 */
enum fb_throttle_verdict fb_throttle_release(struct fb_throttle *t, int64_t now_ns, uint32_t cost,
                                             int64_t held_ns, int64_t budget_ns, int64_t *wait_ns,
                                             char *text, size_t text_size);

/* A held item is gone without being released: its cost leaves the queue. */
void fb_throttle_withdraw(struct fb_throttle *t, uint32_t cost);

/*
 * The venue said Retry-After (or banned us) until until_ns: nothing is
 * admitted before then, and the bucket refills from empty from then on, so
 * the venue sees the configured rate after its pause, never a burst. A
 * later pause extends, an earlier one is ignored.
 */
void fb_throttle_pause_until(struct fb_throttle *t, int64_t until_ns);

/* Whole tokens available at now_ns (for metrics and the admin endpoint). */
uint64_t fb_throttle_tokens(const struct fb_throttle *t, int64_t now_ns);

/* The most items of the given cost that can ever be held at once within
 * budget_ms (rate x budget + burst, over cost): what to size the FIFO to. */
uint32_t fb_throttle_max_held(const struct fb_throttle *t, uint32_t cost);

#ifdef __cplusplus
}
#endif
#endif
