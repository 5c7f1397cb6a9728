/*
 * Tests for bridge/breaker: scripts over simulated time, one table row per
 * transition edge, each step with the exact answer, state and Text.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bridge/breaker.h"
#include "config/config.h"

/* 12:00:00Z on 2023-11-14 */
#define T0 1699963200000000000LL
#define MS(x) ((int64_t)(x)*1000000LL)

enum op { END = 0, ALLOW, REC, TICK };

#define CLOSED FB_BRK_CLOSED
#define OPEN FB_BRK_OPEN
#define HALF FB_BRK_HALF_OPEN
#define OKAY FB_BRK_SUCCESS
#define UNK FB_BRK_UNKNOWN_OUTCOME
#define TRANS FB_BRK_TRANSPORT
#define SLOW FB_BRK_SLOW

struct step {
    enum op op;
    int64_t at; /* ns after T0 */
    enum fb_breaker_outcome outcome;
    int64_t latency;
    int repeat; /* REC: this many times (0 = once) */
    int allow;  /* ALLOW: expected answer */
    enum fb_breaker_state state;
    const char *text; /* ALLOW: exact Text ("" when allowed) */
};

struct bcase {
    const char *name;
    struct fb_breaker_cfg cfg; /* zero: the defaults below */
    struct step steps[20];
    uint64_t transitions, opened;
};

/* consecutive 5, rate 50% over 60 s with 20 samples, cool-down 10 s doubling
 * up to 40 s, 2 probes, slow at 2 s */
static const struct fb_breaker_cfg defaults = {5, 50, 60, 20, 10000, 40000, 2, 2000};

/* clang-format off */
#define RECN(at, o, n, st) {REC, at, o, 0, n, 0, st, NULL}
#define REC1(at, o, st) {REC, at, o, 0, 0, 0, st, NULL}
#define YES(at, st) {ALLOW, at, OKAY, 0, 0, 1, st, ""}
#define NO(at, st, text) {ALLOW, at, OKAY, 0, 0, 0, st, text}

static const struct bcase cases[] = {
    {"closed -> open after consecutive failures",
     {0},
     {YES(0, CLOSED),
      RECN(0, UNK, 4, CLOSED),
      REC1(MS(1000), TRANS, OPEN),
      NO(MS(3000), OPEN,
         "Circuit breaker for venue binance is open since 12:00:01Z after 5 consecutive "
         "failures; next probe in 8 s"),
      {END}},
     1, 1},
    {"a success breaks the run of failures",
     {0},
     {RECN(0, UNK, 4, CLOSED), REC1(0, OKAY, CLOSED), RECN(0, UNK, 4, CLOSED), YES(0, CLOSED),
      {END}},
     0, 0},
    {"a slow success is a failure, one just under slow_ms is not",
     {0},
     {{REC, 0, OKAY, MS(1999), 10, 0, CLOSED, NULL},
      {REC, 0, OKAY, MS(2000), 4, 0, CLOSED, NULL},
      REC1(0, SLOW, OPEN),
      NO(MS(500), OPEN,
         "Circuit breaker for venue binance is open since 12:00:00Z after 5 consecutive "
         "failures; next probe in 10 s"),
      {END}},
     1, 1},
    {"open -> half-open exactly at the end of the cool-down, probes limited",
     {0},
     {RECN(MS(1000), UNK, 5, OPEN),
      NO(MS(11000) - 1, OPEN,
         "Circuit breaker for venue binance is open since 12:00:01Z after 5 consecutive "
         "failures; next probe in 1 s"),
      YES(MS(11000), HALF),
      YES(MS(11500), HALF),
      NO(MS(11600), HALF,
         "Circuit breaker for venue binance is half-open: 2 probe requests in flight since "
         "12:00:11Z; waiting for their outcome"),
      {END}},
     2, 1},
    {"half-open -> closed when the probes succeed; counting starts afresh",
     {0},
     {RECN(0, UNK, 5, OPEN),
      YES(MS(10000), HALF),
      YES(MS(10000), HALF),
      REC1(MS(10100), OKAY, HALF),
      REC1(MS(10200), OKAY, CLOSED),
      YES(MS(10300), CLOSED),
      /* the failures before the outage do not count now */
      RECN(MS(10300), UNK, 4, CLOSED),
      {END}},
     3, 1},
    {"half-open -> open on a failed probe, cool-down doubling up to the maximum",
     {0},
     {RECN(0, UNK, 5, OPEN),
      YES(MS(10000), HALF),
      REC1(MS(12000), UNK, OPEN),
      NO(MS(12000), OPEN,
         "Circuit breaker for venue binance is open since 12:00:12Z after a failed probe; next "
         "probe in 20 s"),
      YES(MS(32000), HALF),
      REC1(MS(32000), TRANS, OPEN),
      NO(MS(32000), OPEN,
         "Circuit breaker for venue binance is open since 12:00:32Z after a failed probe; next "
         "probe in 40 s"),
      YES(MS(72000), HALF),
      REC1(MS(72000), SLOW, OPEN),
      NO(MS(72000), OPEN,
         "Circuit breaker for venue binance is open since 12:01:12Z after a failed probe; next "
         "probe in 40 s"),
      /* success closes and the next opening uses the base cool-down again */
      YES(MS(112000), HALF), YES(MS(112000), HALF),
      RECN(MS(112000), OKAY, 2, CLOSED),
      RECN(MS(113000), UNK, 5, OPEN),
      NO(MS(113000), OPEN,
         "Circuit breaker for venue binance is open since 12:01:53Z after 5 consecutive "
         "failures; next probe in 10 s"),
      {END}},
     10, 5},
    {"answers while open change nothing",
     {0},
     {RECN(0, UNK, 5, OPEN), RECN(MS(100), OKAY, 10, OPEN), RECN(MS(200), UNK, 10, OPEN),
      {TICK, MS(9999), OKAY, 0, 0, 0, OPEN, NULL}, {TICK, MS(10000), OKAY, 0, 0, 0, HALF, NULL},
      {END}},
     2, 1},
    {"a probe never answered is taken as lost after a cool-down",
     {0},
     {RECN(0, UNK, 5, OPEN),
      YES(MS(10000), HALF), YES(MS(11000), HALF),
      NO(MS(20999), HALF,
         "Circuit breaker for venue binance is half-open: 2 probe requests in flight since "
         "12:00:11Z; waiting for their outcome"),
      YES(MS(21000), HALF),
      {END}},
     2, 1},
    {"error rate at the threshold with enough samples opens",
     {0, 50, 60, 20, 10000, 10000, 1, 0},
     {/* consecutive_failures is off in this row */
      {REC, 0, OKAY, 0, 0, 0, CLOSED, NULL},
      {REC, 0, UNK, 0, 0, 0, CLOSED, NULL},
      {REC, 0, OKAY, 0, 0, 0, CLOSED, NULL},
      {REC, 0, UNK, 0, 0, 0, CLOSED, NULL},
      {REC, 0, OKAY, 0, 0, 0, CLOSED, NULL},
      {REC, 0, UNK, 0, 0, 0, CLOSED, NULL},
      {REC, 0, OKAY, 0, 0, 0, CLOSED, NULL},
      {REC, 0, UNK, 0, 0, 0, CLOSED, NULL},
      {REC, 0, OKAY, 0, 0, 0, CLOSED, NULL},
      {REC, 0, UNK, 0, 0, 0, CLOSED, NULL},
      /* 5 of 10 failed, but below min_samples; 9 more ok: 5 of 19 */
      RECN(MS(1000), OKAY, 9, CLOSED),
      /* 6 of 20: 30% */
      REC1(MS(1000), UNK, CLOSED),
      /* 13 of 27 is 48%, 14 of 28 is 50% */
      RECN(MS(2000), UNK, 7, CLOSED),
      REC1(MS(2000), UNK, OPEN),
      NO(MS(2000), OPEN,
         "Circuit breaker for venue binance is open since 12:00:02Z after an error rate of 50% "
         "(14 of 28 requests in 60 s); next probe in 10 s"),
      {END}},
     1, 1},
    {"error rate with too few samples does not open",
     {0, 50, 60, 20, 10000, 10000, 1, 0},
     {RECN(0, UNK, 19, CLOSED), YES(MS(59999), CLOSED), {END}},
     0, 0},
    {"the window slides: samples a window old no longer count",
     {0, 50, 60, 20, 10000, 10000, 1, 0},
     {RECN(0, UNK, 19, CLOSED),
      /* 60 s later the first 3 s step has left the window: 1 sample */
      REC1(MS(60000), UNK, CLOSED),
      {END}},
     0, 0},
    {"the window slides: samples inside it still count",
     {0, 50, 60, 20, 10000, 10000, 1, 0},
     {RECN(0, UNK, 19, CLOSED),
      REC1(MS(59999), UNK, OPEN),
      NO(MS(59999), OPEN,
         "Circuit breaker for venue binance is open since 12:00:59Z after an error rate of "
         "100% (20 of 20 requests in 60 s); next probe in 10 s"),
      {END}},
     1, 1},
};
/* clang-format on */

START_TEST(breaker_scripts)
{
    const struct bcase *c = &cases[_i];
    struct fb_breaker b;
    const struct fb_breaker_cfg *cfg = c->cfg.window_s ? &c->cfg : &defaults;
    fb_breaker_init(&b, "binance", cfg, T0);
    ck_assert_int_eq(b.state, FB_BRK_CLOSED);
    for (size_t i = 0; c->steps[i].op != END; i++) {
        const struct step *s = &c->steps[i];
        char text[256] = "x";
        switch (s->op) {
        case ALLOW: {
            int got = fb_breaker_allow(&b, T0 + s->at, text, sizeof text);
            ck_assert_msg(got == s->allow, "%s, step %zu: allow %d (%s)", c->name, i, got, text);
            ck_assert_msg(strcmp(text, s->text) == 0, "%s, step %zu:\n got: %s\nwant: %s", c->name,
                          i, text, s->text);
            break;
        }
        case REC:
            for (int k = 0; k < (s->repeat ? s->repeat : 1); k++)
                fb_breaker_record(&b, T0 + s->at, s->outcome, s->latency);
            break;
        case TICK:
            (void)fb_breaker_tick(&b, T0 + s->at);
            break;
        case END:
            break;
        }
        ck_assert_msg(b.state == s->state, "%s, step %zu: state %s, want %s", c->name, i,
                      fb_breaker_state_name(b.state), fb_breaker_state_name(s->state));
    }
    ck_assert_msg(b.transitions == c->transitions, "%s: %llu transitions", c->name,
                  (unsigned long long)b.transitions);
    ck_assert_msg(b.opened == c->opened, "%s: opened %llu times", c->name,
                  (unsigned long long)b.opened);
}
END_TEST

START_TEST(breaker_names_and_counters)
{
    ck_assert_str_eq(fb_breaker_state_name(FB_BRK_CLOSED), "closed");
    ck_assert_str_eq(fb_breaker_state_name(FB_BRK_OPEN), "open");
    ck_assert_str_eq(fb_breaker_state_name(FB_BRK_HALF_OPEN), "half_open");
    ck_assert_str_eq(fb_breaker_state_name((enum fb_breaker_state)7), "?");

    struct fb_breaker b;
    fb_breaker_init(&b, "binance", &defaults, T0);
    ck_assert_str_eq(b.reason, "");
    for (int i = 0; i < 5; i++)
        fb_breaker_record(&b, T0, FB_BRK_UNKNOWN_OUTCOME, 0);
    fb_breaker_record(&b, T0, FB_BRK_SUCCESS, MS(10));
    ck_assert_int_eq(fb_breaker_allow(&b, T0, NULL, 0), 0);
    ck_assert_int_eq(fb_breaker_allow(&b, T0, NULL, 0), 0);
    ck_assert_uint_eq(b.failures, 5);
    ck_assert_uint_eq(b.successes, 1);
    ck_assert_uint_eq(b.refused, 2);
    ck_assert_str_eq(b.reason, "5 consecutive failures");
    ck_assert_int_eq(b.since_ns, T0);

    /* both triggers off: it never opens (check-config refuses that config) */
    struct fb_breaker_cfg off = defaults;
    off.consecutive_failures = 0;
    off.error_rate_pct = 0;
    fb_breaker_init(&b, "binance", &off, T0);
    for (int i = 0; i < 1000; i++)
        fb_breaker_record(&b, T0 + i, FB_BRK_TRANSPORT, 0);
    ck_assert_int_eq(b.state, FB_BRK_CLOSED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("breaker");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, breaker_scripts, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, breaker_names_and_counters);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
