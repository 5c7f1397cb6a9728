/*
 * throttle.c -- token buckets in nano-tokens (see throttle.h).
 */
#include "bridge/throttle.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_MS 1000000LL
#define NS_PER_DAY (86400LL * 1000000000LL)

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void fb_throttle_init(struct fb_throttle *t, const char *label, const char *unit, uint32_t rate,
                      uint32_t burst, uint32_t budget_ms, int64_t now_ns)
{
    memset(t, 0, sizeof *t);
    copy_str(t->label, sizeof t->label, label);
    copy_str(t->unit, sizeof t->unit, unit);
    /* Out-of-range values cannot come from a loaded config; clamping keeps
     * every product below within int64 even for a hand-built bucket. */
    t->rate = rate > FB_THROTTLE_RATE_MAX ? FB_THROTTLE_RATE_MAX : rate;
    t->burst = burst > FB_THROTTLE_BURST_MAX ? FB_THROTTLE_BURST_MAX : burst;
    if (t->rate && !t->burst)
        t->burst = 1;
    t->budget_ms = budget_ms;
    t->level = (int64_t)t->burst * FB_THROTTLE_ONE;
    t->last_ns = now_ns;
}

/* Brings level up to now. Before last_ns (a pause not yet over, or a
 * clock that stepped back) nothing accrues: level stays as of last_ns. */
static void refill(struct fb_throttle *t, int64_t now_ns)
{
    int64_t cap = (int64_t)t->burst * FB_THROTTLE_ONE;
    if (now_ns <= t->last_ns)
        return;
    int64_t dt = now_ns - t->last_ns, room = cap - t->level;
    t->last_ns = now_ns;
    /* dt * rate is only formed when it cannot exceed room: no overflow */
    if (room <= 0 || dt > room / t->rate)
        t->level = cap;
    else
        t->level += dt * (int64_t)t->rate;
}

/* When `need` nano-tokens will have accrued, counting from the bucket as
 * refilled to now: consumption of the items ahead is sequential, so the
 * cap does not delay them. */
static int64_t ready_at(const struct fb_throttle *t, int64_t now_ns, int64_t need)
{
    int64_t t0 = now_ns > t->last_ns ? now_ns : t->last_ns;
    if (t->level >= need)
        return t0;
    int64_t missing = need - t->level;
    return t0 + (missing + t->rate - 1) / t->rate;
}

/* "12:00:05.250Z" */
static void format_time(int64_t ns, char *out, size_t size)
{
    int64_t ms = ((ns % NS_PER_DAY) + NS_PER_DAY) % NS_PER_DAY / NS_PER_MS;
    snprintf(out, size, "%02d:%02d:%02d.%03dZ", (int)(ms / 3600000), (int)(ms / 60000 % 60),
             (int)(ms / 1000 % 60), (int)(ms % 1000));
}

static void over_text(const struct fb_throttle *t, int64_t now_ns, char *text, size_t size)
{
    if (!text || !size)
        return;
    if (now_ns < t->paused_until_ns) {
        char when[32];
        format_time(t->paused_until_ns, when, sizeof when);
        snprintf(text, size,
                 "%s paused by the venue until %s (Retry-After); queueing would exceed the %u ms "
                 "latency budget",
                 t->label, when, t->budget_ms);
    } else {
        snprintf(text, size, "%s over %u %s/s; queueing would exceed the %u ms latency budget",
                 t->label, t->rate, t->unit, t->budget_ms);
    }
}

enum fb_throttle_verdict fb_throttle_admit(struct fb_throttle *t, int64_t now_ns, uint32_t cost,
                                           int64_t budget_ns, int64_t *wait_ns, char *text,
                                           size_t text_size)
{
    int64_t c = (int64_t)cost * FB_THROTTLE_ONE;
    if (wait_ns)
        *wait_ns = 0;
    if (text && text_size)
        text[0] = '\0';
    if (t->rate == 0) {
        t->admitted++;
        return FB_THR_ADMIT;
    }
    if (cost > t->burst) {
        if (text && text_size)
            snprintf(text, text_size,
                     "%s: a cost of %u %s exceeds the burst of %u, so it could never be sent",
                     t->label, cost, t->unit, t->burst);
        t->rejected++;
        return FB_THR_REJECT;
    }
    refill(t, now_ns);
    if (t->queued == 0 && now_ns >= t->paused_until_ns && t->level >= c) {
        t->level -= c;
        t->admitted++;
        return FB_THR_ADMIT;
    }
    int64_t wait = ready_at(t, now_ns, t->queued + c) - now_ns;
    if (wait > budget_ns) {
        over_text(t, now_ns, text, text_size);
        t->rejected++;
        return FB_THR_REJECT;
    }
    t->queued += c;
    t->held++;
    if (wait_ns)
        *wait_ns = wait;
    return FB_THR_WAIT;
}

enum fb_throttle_verdict fb_throttle_release(struct fb_throttle *t, int64_t now_ns, uint32_t cost,
                                             int64_t held_ns, int64_t budget_ns, int64_t *wait_ns,
                                             char *text, size_t text_size)
{
    int64_t c = (int64_t)cost * FB_THROTTLE_ONE;
    if (wait_ns)
        *wait_ns = 0;
    if (text && text_size)
        text[0] = '\0';
    if (t->rate == 0) {
        fb_throttle_withdraw(t, cost);
        t->admitted++;
        return FB_THR_ADMIT;
    }
    refill(t, now_ns);
    if (now_ns >= t->paused_until_ns && t->level >= c) {
        t->level -= c;
        fb_throttle_withdraw(t, cost);
        t->admitted++;
        return FB_THR_ADMIT;
    }
    int64_t ready = ready_at(t, now_ns, c);
    if (ready - held_ns > budget_ns) {
        over_text(t, now_ns, text, text_size);
        fb_throttle_withdraw(t, cost);
        t->rejected++;
        return FB_THR_REJECT;
    }
    if (wait_ns)
        *wait_ns = ready - now_ns;
    return FB_THR_WAIT;
}

void fb_throttle_withdraw(struct fb_throttle *t, uint32_t cost)
{
    int64_t c = (int64_t)cost * FB_THROTTLE_ONE;
    t->queued = t->queued > c ? t->queued - c : 0;
}

void fb_throttle_pause_until(struct fb_throttle *t, int64_t until_ns)
{
    if (until_ns <= t->paused_until_ns)
        return;
    t->paused_until_ns = until_ns;
    t->level = 0;
    if (until_ns > t->last_ns)
        t->last_ns = until_ns;
}

uint64_t fb_throttle_tokens(const struct fb_throttle *t, int64_t now_ns)
{
    if (t->rate == 0)
        return UINT64_MAX;
    if (now_ns < t->paused_until_ns)
        return 0;
    struct fb_throttle copy = *t;
    refill(&copy, now_ns);
    return (uint64_t)(copy.level / FB_THROTTLE_ONE);
}

uint32_t fb_throttle_max_held(const struct fb_throttle *t, uint32_t cost)
{
    if (t->rate == 0 || cost == 0)
        return 0;
    /* queued + cost <= level + rate * budget: at most burst + rate * budget */
    int64_t tokens_milli = (int64_t)t->burst * 1000 + (int64_t)t->rate * t->budget_ms;
    int64_t n = tokens_milli / ((int64_t)cost * 1000);
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}
