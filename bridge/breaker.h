/*
 * breaker.h -- a circuit breaker per venue: after repeated failures the
 * bridge stops sending to a venue for a cool-down instead of piling more
 * requests onto one that is down, then probes it before trusting it again.
 *
 *   closed --(consecutive_failures in a row, or an error rate of at least
 *             error_rate_pct over window_s with min_samples)--> open
 *   open   --(cooldown elapsed; checked on allow/tick)--> half-open
 *   half-open --(half_open_probes successes)--> closed
 *   half-open --(a failure)--> open, cool-down doubled up to max_cooldown_ms
 *
 * What counts. A success is an answer (ACK, fill, cancel or replace
 * confirmed); a failure is an outcome-unknown answer (timeout, 5xx), a
 * transport failure, or a success slower than slow_ms. A venue's business
 * reject (a filter failure, insufficient funds) is neither: the venue is
 * working. While open, answers to requests sent before the opening are
 * counted for metrics but change nothing. In half-open every answer counts
 * as a probe's (the breaker cannot tell a late answer from a probe's, and
 * erring toward reopening is the safe side).
 *
 * The window slides in steps of window_s / FB_BREAKER_SLOTS: it covers the
 * current step and the FB_BREAKER_SLOTS - 1 before it. Opening and closing
 * start it empty, so failures from before an outage never count after it.
 *
 * A probe that never gets an answer would keep the breaker half-open for
 * ever; once the cool-down has passed since the last probe went out, the
 * probes in flight are taken as lost and new ones are let through.
 *
 * Pure: no I/O, no clock, no allocation; time comes in as ns since the epoch.
 * A breaker belongs to one thread (the engine's).
 */
#ifndef FB_BREAKER_H
#define FB_BREAKER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct fb_breaker_cfg;

#define FB_BREAKER_SLOTS 20
#define FB_BREAKER_REASON_MAX 96

enum fb_breaker_state { FB_BRK_CLOSED = 0, FB_BRK_OPEN = 1, FB_BRK_HALF_OPEN = 2 };

enum fb_breaker_outcome {
    FB_BRK_SUCCESS = 0,         /* answered (slower than slow_ms: a failure) */
    FB_BRK_UNKNOWN_OUTCOME = 1, /* timeout or 5xx: may or may not have been done */
    FB_BRK_TRANSPORT = 2,       /* could not be sent / no answer at all */
    FB_BRK_SLOW = 3             /* the engine saw the latency budget pass */
};

struct fb_breaker {
    char venue[65];
    /* configuration, in ns */
    uint32_t consecutive_max; /* 0 = off */
    uint32_t rate_pct;        /* 0 = off */
    uint32_t min_samples;
    uint32_t probes;
    int64_t window_ns, slot_ns;
    int64_t cooldown_ns, max_cooldown_ns, slow_ns; /* slow 0 = off */

    enum fb_breaker_state state;
    int64_t since_ns;      /* when the state was entered */
    int64_t open_until_ns; /* open: when it goes half-open */
    int64_t cur_cooldown_ns;
    uint32_t consecutive;
    struct {
        int64_t epoch; /* now / slot_ns when counted */
        uint32_t ok, fail;
    } slots[FB_BREAKER_SLOTS];
    uint32_t in_flight;                 /* half-open: probes let through, not answered */
    uint32_t probe_ok;                  /* half-open: probes answered with success */
    int64_t last_probe_ns;              /* half-open: when the last probe went out */
    char reason[FB_BREAKER_REASON_MAX]; /* why it last opened ("" never) */

    /* for metrics */
    uint64_t transitions; /* state changes of any kind */
    uint64_t opened;      /* times it opened */
    uint64_t successes, failures, refused;
};

/* A closed breaker for venue from cfg (a loaded config's venues[i].breaker). */
void fb_breaker_init(struct fb_breaker *b, const char *venue, const struct fb_breaker_cfg *cfg,
                     int64_t now_ns);

/*
 * May a request go to the venue now? 1 yes (in half-open it is a probe);
 * 0 no, and text says why: "Circuit breaker for venue binance is open since
 * 12:00:01Z after 5 consecutive failures; next probe in 8 s". text may be
 * NULL.
 */
int fb_breaker_allow(struct fb_breaker *b, int64_t now_ns, char *text, size_t text_size);

/* Counts one answer (or its absence). latency_ns: how long the request
 * took (0 if unknown); a success at or over slow_ms counts as a failure. */
void fb_breaker_record(struct fb_breaker *b, int64_t now_ns, enum fb_breaker_outcome o,
                       int64_t latency_ns);

/* Applies the time-driven change (open -> half-open) and returns the state
 * at now_ns: for metrics and the admin endpoint. */
enum fb_breaker_state fb_breaker_tick(struct fb_breaker *b, int64_t now_ns);

/* "closed", "open", "half_open" (metric label values), or "?". */
const char *fb_breaker_state_name(enum fb_breaker_state s);

#ifdef __cplusplus
}
#endif
#endif
