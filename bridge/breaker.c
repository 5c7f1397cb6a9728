/*
 * breaker.c -- a venue's circuit breaker (see breaker.h).
 */
#include "bridge/breaker.h"

#include <stdio.h>
#include <string.h>

#include "config/config.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define NS_PER_DAY (86400LL * NS_PER_S)

static void reset_counts(struct fb_breaker *b);

void fb_breaker_init(struct fb_breaker *b, const char *venue, const struct fb_breaker_cfg *cfg,
                     int64_t now_ns)
{
    memset(b, 0, sizeof *b);
    snprintf(b->venue, sizeof b->venue, "%s", venue ? venue : "");
    b->consecutive_max = cfg->consecutive_failures;
    b->rate_pct = cfg->error_rate_pct;
    b->min_samples = cfg->min_samples;
    b->probes = cfg->half_open_probes ? cfg->half_open_probes : 1;
    b->window_ns = (int64_t)(cfg->window_s ? cfg->window_s : 1) * NS_PER_S;
    b->slot_ns = b->window_ns / FB_BREAKER_SLOTS;
    b->cooldown_ns = (int64_t)cfg->cooldown_ms * NS_PER_MS;
    b->max_cooldown_ns = (int64_t)cfg->max_cooldown_ms * NS_PER_MS;
    if (b->max_cooldown_ns < b->cooldown_ns)
        b->max_cooldown_ns = b->cooldown_ns;
    b->slow_ns = (int64_t)cfg->slow_ms * NS_PER_MS;
    b->state = FB_BRK_CLOSED;
    b->since_ns = now_ns;
    b->cur_cooldown_ns = b->cooldown_ns;
    reset_counts(b);
}

const char *fb_breaker_state_name(enum fb_breaker_state s)
{
    switch (s) {
    case FB_BRK_CLOSED:
        return "closed";
    case FB_BRK_OPEN:
        return "open";
    case FB_BRK_HALF_OPEN:
        return "half_open";
    }
    return "?";
}

/* ---- the sliding window ---- */

static int64_t epoch_of(const struct fb_breaker *b, int64_t now_ns)
{
    /* floor division: a clock before 1970 still lands in one slot */
    int64_t e = now_ns / b->slot_ns;
    return now_ns < 0 && e * b->slot_ns != now_ns ? e - 1 : e;
}

static void window_add(struct fb_breaker *b, int64_t now_ns, int failed)
{
    int64_t e = epoch_of(b, now_ns);
    int64_t i = ((e % FB_BREAKER_SLOTS) + FB_BREAKER_SLOTS) % FB_BREAKER_SLOTS;
    if (b->slots[i].epoch != e) {
        b->slots[i].epoch = e;
        b->slots[i].ok = b->slots[i].fail = 0;
    }
    if (failed)
        b->slots[i].fail++;
    else
        b->slots[i].ok++;
}

static void window_sum(const struct fb_breaker *b, int64_t now_ns, uint64_t *total, uint64_t *fail)
{
    int64_t e = epoch_of(b, now_ns);
    *total = *fail = 0;
    for (size_t i = 0; i < FB_BREAKER_SLOTS; i++) {
        if (b->slots[i].epoch > e - FB_BREAKER_SLOTS && b->slots[i].epoch <= e) {
            *total += (uint64_t)b->slots[i].ok + b->slots[i].fail;
            *fail += b->slots[i].fail;
        }
    }
}

/* Starts the counting afresh (on open and on close). */
static void reset_counts(struct fb_breaker *b)
{
    memset(b->slots, 0, sizeof b->slots);
    /* epoch 0 with no counts is harmless, but an empty slot must never
     * look current to a clock near 0: mark them long past */
    for (size_t i = 0; i < FB_BREAKER_SLOTS; i++)
        b->slots[i].epoch = INT64_MIN;
    b->consecutive = 0;
    b->in_flight = 0;
    b->probe_ok = 0;
}

/* ---- transitions ---- */

static void enter(struct fb_breaker *b, enum fb_breaker_state s, int64_t now_ns)
{
    b->state = s;
    b->since_ns = now_ns;
    b->transitions++;
}

static void open_now(struct fb_breaker *b, int64_t now_ns, const char *reason)
{
    snprintf(b->reason, sizeof b->reason, "%s", reason);
    reset_counts(b);
    enter(b, FB_BRK_OPEN, now_ns);
    b->open_until_ns = now_ns + b->cur_cooldown_ns;
    b->opened++;
}

enum fb_breaker_state fb_breaker_tick(struct fb_breaker *b, int64_t now_ns)
{
    if (b->state == FB_BRK_OPEN && now_ns >= b->open_until_ns) {
        enter(b, FB_BRK_HALF_OPEN, now_ns);
        b->in_flight = 0;
        b->probe_ok = 0;
        b->last_probe_ns = now_ns;
    }
    return b->state;
}

/* "12:00:01Z" */
static void format_time(int64_t ns, char *out, size_t size)
{
    int64_t s = ((ns % NS_PER_DAY) + NS_PER_DAY) % NS_PER_DAY / NS_PER_S;
    snprintf(out, size, "%02d:%02d:%02dZ", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

int fb_breaker_allow(struct fb_breaker *b, int64_t now_ns, char *text, size_t text_size)
{
    char when[16];
    if (text && text_size)
        text[0] = '\0';
    switch (fb_breaker_tick(b, now_ns)) {
    case FB_BRK_CLOSED:
        return 1;
    case FB_BRK_HALF_OPEN:
        if (b->in_flight >= b->probes && now_ns - b->last_probe_ns >= b->cur_cooldown_ns)
            b->in_flight = 0; /* unanswered for a cool-down: lost */
        if (b->in_flight < b->probes) {
            b->in_flight++;
            b->last_probe_ns = now_ns;
            return 1;
        }
        b->refused++;
        format_time(b->last_probe_ns, when, sizeof when);
        if (text && text_size)
            snprintf(text, text_size,
                     "Circuit breaker for venue %s is half-open: %u probe request%s in flight "
                     "since %s; waiting for their outcome",
                     b->venue, b->in_flight, b->in_flight == 1 ? "" : "s", when);
        return 0;
    case FB_BRK_OPEN:
        break;
    }
    b->refused++;
    format_time(b->since_ns, when, sizeof when);
    int64_t left_s = (b->open_until_ns - now_ns + NS_PER_S - 1) / NS_PER_S;
    if (text && text_size)
        snprintf(text, text_size,
                 "Circuit breaker for venue %s is open since %s after %s; next probe in %lld s",
                 b->venue, when, b->reason, (long long)left_s);
    return 0;
}

static int failed(const struct fb_breaker *b, enum fb_breaker_outcome o, int64_t latency_ns)
{
    if (o != FB_BRK_SUCCESS)
        return 1;
    return b->slow_ns > 0 && latency_ns >= b->slow_ns;
}

static void record_closed(struct fb_breaker *b, int64_t now_ns, int fail)
{
    char why[FB_BREAKER_REASON_MAX];
    uint64_t total, nfail;
    window_add(b, now_ns, fail);
    if (!fail) {
        b->consecutive = 0;
        return;
    }
    b->consecutive++;
    if (b->consecutive_max && b->consecutive >= b->consecutive_max) {
        snprintf(why, sizeof why, "%u consecutive failures", b->consecutive);
        open_now(b, now_ns, why);
        return;
    }
    window_sum(b, now_ns, &total, &nfail);
    /* integer percentages: fail/total >= pct/100 without a division */
    if (b->rate_pct && total >= b->min_samples && total > 0 &&
        nfail * 100 >= (uint64_t)b->rate_pct * total) {
        snprintf(why, sizeof why, "an error rate of %llu%% (%llu of %llu requests in %lld s)",
                 (unsigned long long)(nfail * 100 / total), (unsigned long long)nfail,
                 (unsigned long long)total, (long long)(b->window_ns / NS_PER_S));
        open_now(b, now_ns, why);
    }
}

void fb_breaker_record(struct fb_breaker *b, int64_t now_ns, enum fb_breaker_outcome o,
                       int64_t latency_ns)
{
    int fail = failed(b, o, latency_ns);
    if (fail)
        b->failures++;
    else
        b->successes++;
    switch (fb_breaker_tick(b, now_ns)) {
    case FB_BRK_CLOSED:
        record_closed(b, now_ns, fail);
        return;
    case FB_BRK_OPEN:
        return; /* an answer to a request sent before it opened */
    case FB_BRK_HALF_OPEN:
        break;
    }
    if (fail) {
        b->cur_cooldown_ns = b->cur_cooldown_ns > b->max_cooldown_ns / 2 ? b->max_cooldown_ns
                                                                         : b->cur_cooldown_ns * 2;
        open_now(b, now_ns, "a failed probe");
        return;
    }
    if (b->in_flight)
        b->in_flight--;
    if (++b->probe_ok >= b->probes) {
        reset_counts(b);
        b->cur_cooldown_ns = b->cooldown_ns;
        enter(b, FB_BRK_CLOSED, now_ns);
    }
}
