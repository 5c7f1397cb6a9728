/*
 * Tests for bridge/throttle and bridge/throttle_queue: scripts over
 * simulated time, one table row per behaviour, each step with the exact
 * verdict, wait (integer ns) and Text.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bridge/throttle.h"
#include "bridge/throttle_queue.h"

/* 12:00:00Z on 2023-11-14 */
#define T0 1699963200000000000LL
#define MS(x) ((int64_t)(x)*1000000LL)
#define US(x) ((int64_t)(x)*1000LL)
#define NS_END INT64_MIN

enum op {
    END = 0,
    ADMIT,    /* admit(at, cost, budget) -> verdict, wait, text */
    RELEASE,  /* release(at, cost, held, budget) -> verdict, wait, text */
    PAUSE,    /* pause_until(T0 + arg) */
    WITHDRAW, /* withdraw(cost) */
    TOKENS    /* tokens(at) == arg */
};

struct step {
    enum op op;
    int64_t at; /* ns after T0 */
    uint32_t cost;
    int64_t budget; /* ns; RELEASE: the item's whole budget */
    int64_t arg;    /* RELEASE: held since (after T0); PAUSE: until; TOKENS: expected */
    enum fb_throttle_verdict want;
    int64_t wait;
    const char *text; /* exact; "" for no Text */
};

struct tcase_row {
    const char *name;
    const char *label, *unit;
    uint32_t rate, burst, budget_ms;
    struct step steps[16];
};

/* clang-format off */
#define A(at, cost, budget, v, wait, text) {ADMIT, at, cost, budget, 0, v, wait, text}
#define R(at, cost, held, budget, v, wait, text) {RELEASE, at, cost, budget, held, v, wait, text}
#define OK FB_THR_ADMIT
#define WAIT FB_THR_WAIT
#define REJ FB_THR_REJECT

static const struct tcase_row cases[] = {
    {"burst, then the refill is exact to the nanosecond",
     "Session oms1", "orders", 50, 3, 0,
     {A(0, 1, 0, OK, 0, ""),
      A(0, 1, 0, OK, 0, ""),
      A(0, 1, 0, OK, 0, ""),
      A(0, 1, 0, REJ, 0,
        "Session oms1 over 50 orders/s; queueing would exceed the 0 ms latency budget"),
      /* 50/s: one token every 20 ms; 1 ns short is still short */
      A(MS(20) - 1, 1, 0, REJ, 0,
        "Session oms1 over 50 orders/s; queueing would exceed the 0 ms latency budget"),
      A(MS(20), 1, 0, OK, 0, ""),
      {TOKENS, MS(20), 0, 0, 0, OK, 0, ""},
      {TOKENS, MS(79), 0, 0, 2, OK, 0, ""},
      {TOKENS, MS(80), 0, 0, 3, OK, 0, ""},
      /* the bucket holds at most burst */
      {TOKENS, MS(10000), 0, 0, 3, OK, 0, ""},
      {END}}},
    {"a wait rounds up: the token is whole when the wait is over",
     "Session oms1", "orders", 3, 1, 1000,
     {A(0, 1, MS(1000), OK, 0, ""),
      /* 10^9 / 3 nano-tokens per ns: 333333333.3 ns, so 333333334 */
      A(0, 1, MS(1000), WAIT, 333333334, ""),
      R(333333333, 1, 0, MS(1000), WAIT, 1, ""),
      R(333333334, 1, 0, MS(1000), OK, 0, ""),
      {TOKENS, 666666667, 0, 0, 0, OK, 0, ""},
      {TOKENS, 666666668, 0, 0, 1, OK, 0, ""},
      {END}}},
    {"queued within the budget, rejected beyond it",
     "Session oms1", "orders", 50, 1, 200,
     {A(0, 1, MS(200), OK, 0, ""),
      A(0, 1, MS(200), WAIT, MS(20), ""),
      A(0, 1, MS(200), WAIT, MS(40), ""),
      A(MS(5), 1, MS(200), WAIT, MS(55), ""),
      /* 3.75 tokens missing at 5 ms: 75 ms, over what is left of its budget */
      A(MS(5), 1, MS(60), REJ, 0,
        "Session oms1 over 50 orders/s; queueing would exceed the 200 ms latency budget"),
      {END}}},
    {"queued within the budget, rejected beyond it (exact edge)",
     "Session oms1", "orders", 50, 1, 200,
     {A(0, 1, MS(200), OK, 0, ""),
      A(0, 1, MS(40), WAIT, MS(20), ""),
      A(0, 1, MS(40), WAIT, MS(40), ""),
      A(0, 1, MS(40), REJ, 0,
        "Session oms1 over 50 orders/s; queueing would exceed the 200 ms latency budget"),
      /* the refused one took nothing: the next still waits 60 ms */
      A(0, 1, MS(60), WAIT, MS(60), ""),
      {END}}},
    {"held items leave in order at their deadlines",
     "Venue binance", "orders", 10, 1, 500,
     {A(0, 1, MS(500), OK, 0, ""),
      A(0, 1, MS(500), WAIT, MS(100), ""),
      A(0, 1, MS(500), WAIT, MS(200), ""),
      R(MS(100) - 1, 1, 0, MS(500), WAIT, 1, ""),
      R(MS(100), 1, 0, MS(500), OK, 0, ""),
      R(MS(200), 1, 0, MS(500), OK, 0, ""),
      A(MS(200), 1, MS(500), WAIT, MS(100), ""),
      {END}}},
    {"a new item never jumps the held ones",
     "Session oms1", "orders", 10, 2, 500,
     {A(0, 1, MS(500), OK, 0, ""),
      A(0, 1, MS(500), OK, 0, ""),
      A(0, 1, MS(500), WAIT, MS(100), ""),
      /* 1.5 tokens are free at 150 ms, but one is owed to the held item */
      {TOKENS, MS(150), 0, 0, 1, OK, 0, ""},
      A(MS(150), 1, MS(500), WAIT, MS(50), ""),
      R(MS(150), 1, 0, MS(500), OK, 0, ""),
      R(MS(200), 1, MS(150), MS(500), OK, 0, ""),
      {END}}},
    {"a withdrawn item frees its place",
     "Session oms1", "orders", 10, 1, 500,
     {A(0, 1, MS(500), OK, 0, ""),
      A(0, 1, MS(500), WAIT, MS(100), ""),
      A(0, 1, MS(500), WAIT, MS(200), ""),
      {WITHDRAW, 0, 1, 0, 0, OK, 0, ""},
      A(0, 1, MS(500), WAIT, MS(200), ""),
      R(MS(100), 1, 0, MS(500), OK, 0, ""),
      {END}}},
    {"Retry-After: a held item waits out the pause, then the rate",
     "Venue binance", "requests", 10, 1, 500,
     {A(0, 1, MS(500), OK, 0, ""),
      A(0, 1, MS(500), WAIT, MS(100), ""),
      {PAUSE, 0, 0, 0, MS(300), OK, 0, ""},
      /* refill restarts empty at 300 ms: one token at 400 ms */
      R(MS(100), 1, 0, MS(500), WAIT, MS(300), ""),
      {TOKENS, MS(350), 0, 0, 0, OK, 0, ""},
      R(MS(400), 1, 0, MS(500), OK, 0, ""),
      {END}}},
    {"Retry-After beyond the budget rejects the held item",
     "Venue binance", "requests", 10, 1, 500,
     {A(0, 1, MS(500), OK, 0, ""),
      A(0, 1, MS(500), WAIT, MS(100), ""),
      {PAUSE, 0, 0, 0, MS(1000), OK, 0, ""},
      R(MS(100), 1, 0, MS(500), REJ, 0,
        "Venue binance paused by the venue until 12:00:01.000Z (Retry-After); queueing would "
        "exceed the 500 ms latency budget"),
      /* its cost left the queue: a new one counts only the pause */
      A(MS(100), 1, MS(2000), WAIT, MS(1000), ""),
      {END}}},
    {"a new item during a pause, an earlier pause ignored",
     "Venue binance", "orders", 10, 5, 1000,
     {{PAUSE, 0, 0, 0, MS(2500), OK, 0, ""},
      {PAUSE, 0, 0, 0, MS(1500), OK, 0, ""},
      {TOKENS, MS(1000), 0, 0, 0, OK, 0, ""},
      A(MS(1000), 1, MS(2000), WAIT, MS(1600), ""),
      A(MS(1000), 1, MS(1000), REJ, 0,
        "Venue binance paused by the venue until 12:00:02.500Z (Retry-After); queueing would "
        "exceed the 1000 ms latency budget"),
      {TOKENS, MS(2600), 0, 0, 1, OK, 0, ""},
      {END}}},
    {"request weights, and a cost the burst can never hold",
     "Venue binance", "requests", 20, 10, 250,
     {A(0, 20, MS(250), REJ, 0,
        "Venue binance: a cost of 20 requests exceeds the burst of 10, so it could never be sent"),
      A(0, 4, MS(250), OK, 0, ""),
      A(0, 4, MS(250), OK, 0, ""),
      /* 2 left, 2 missing at 20/s */
      A(0, 4, MS(250), WAIT, MS(100), ""),
      A(0, 10, MS(250), REJ, 0,
        "Venue binance over 20 requests/s; queueing would exceed the 250 ms latency budget"),
      {END}}},
    {"rate 0 admits everything",
     "Venue paper", "orders", 0, 0, 0,
     {A(0, 1, 0, OK, 0, ""), A(0, 1000, 0, OK, 0, ""), A(1, 1, 0, OK, 0, ""),
      R(1, 1, 0, 0, OK, 0, ""), {END}}},
    {"a clock that steps back earns nothing, a century earns only the burst",
     "Session oms1", "messages", 1000000, 2, 0,
     {A(MS(10), 2, 0, OK, 0, ""),
      A(MS(5), 1, 0, REJ, 0,
        "Session oms1 over 1000000 messages/s; queueing would exceed the 0 ms latency budget"),
      A(MS(10) + US(1), 1, 0, OK, 0, ""),
      {TOKENS, MS(10) + US(1), 0, 0, 0, OK, 0, ""},
      {TOKENS, 100LL * 365 * 86400 * 1000000000LL, 0, 0, 2, OK, 0, ""},
      {END}}},
};
/* clang-format on */

START_TEST(throttle_scripts)
{
    const struct tcase_row *c = &cases[_i];
    struct fb_throttle t;
    fb_throttle_init(&t, c->label, c->unit, c->rate, c->burst, c->budget_ms, T0);
    for (size_t i = 0; c->steps[i].op != END; i++) {
        const struct step *s = &c->steps[i];
        char text[256] = "x";
        int64_t wait = -1;
        enum fb_throttle_verdict v = FB_THR_ADMIT;
        switch (s->op) {
        case ADMIT:
            v = fb_throttle_admit(&t, T0 + s->at, s->cost, s->budget, &wait, text, sizeof text);
            break;
        case RELEASE:
            v = fb_throttle_release(&t, T0 + s->at, s->cost, T0 + s->arg, s->budget, &wait, text,
                                    sizeof text);
            break;
        case PAUSE:
            fb_throttle_pause_until(&t, T0 + s->arg);
            continue;
        case WITHDRAW:
            fb_throttle_withdraw(&t, s->cost);
            continue;
        case TOKENS:
            ck_assert_msg(fb_throttle_tokens(&t, T0 + s->at) == (uint64_t)s->arg,
                          "%s, step %zu: tokens %llu, want %lld", c->name, i,
                          (unsigned long long)fb_throttle_tokens(&t, T0 + s->at),
                          (long long)s->arg);
            continue;
        case END:
            break;
        }
        ck_assert_msg(v == s->want, "%s, step %zu: verdict %d, want %d (%s)", c->name, i, v,
                      s->want, text);
        ck_assert_msg(wait == s->wait, "%s, step %zu: wait %lld, want %lld", c->name, i,
                      (long long)wait, (long long)s->wait);
        ck_assert_msg(strcmp(text, s->text) == 0, "%s, step %zu:\n got: %s\nwant: %s", c->name, i,
                      text, s->text);
    }
}
END_TEST

START_TEST(throttle_counters_and_sizing)
{
    struct fb_throttle t;
    fb_throttle_init(&t, "Session oms1", "orders", 50, 5, 200, T0);
    /* 5 in the bucket + 50/s x 200 ms = 15 held at most */
    ck_assert_uint_eq(fb_throttle_max_held(&t, 1), 15);
    ck_assert_uint_eq(fb_throttle_max_held(&t, 2), 7);
    int64_t wait;
    uint32_t held = 0;
    for (int i = 0; i < 40; i++) {
        enum fb_throttle_verdict v = fb_throttle_admit(&t, T0, 1, MS(200), &wait, NULL, 0);
        held += v == FB_THR_WAIT;
    }
    /* 5 admitted at once, then a wait of 20 ms per item up to 200 ms */
    ck_assert_uint_eq(t.admitted, 5);
    ck_assert_uint_eq(t.held, 10);
    ck_assert_uint_eq(t.rejected, 25);
    ck_assert_uint_eq(held, 10);
    ck_assert_uint_le(held, fb_throttle_max_held(&t, 1));
    /* burst 0 with a rate still holds one token */
    fb_throttle_init(&t, "x", "orders", 5, 0, 0, T0);
    ck_assert_int_eq(fb_throttle_admit(&t, T0, 1, 0, NULL, NULL, 0), FB_THR_ADMIT);
    ck_assert_int_eq(fb_throttle_admit(&t, T0, 1, 0, NULL, NULL, 0), FB_THR_REJECT);
}
END_TEST

/* ---- the FIFO ---- */

enum qop { QEND = 0, QPUSH, QPOP, QREMOVE };

struct qstep {
    enum qop op;
    int id;           /* item: ptr = &ids[id], cost = id */
    int64_t deadline; /* QPUSH */
    int want;         /* QPUSH: fb_err; QPOP: id popped (-1 none); QREMOVE: count */
    int64_t next;     /* fb_tqueue_next_deadline after the step */
    uint32_t n;       /* items after the step */
};

struct qcase {
    const char *name;
    uint32_t cap;
    struct qstep steps[16];
};

static int ids[8];

/* clang-format off */
static const struct qcase qcases[] = {
    {"first in, first out; next deadline is the head's",
     3,
     {{QPUSH, 1, 10, FB_OK, 10, 1},
      {QPUSH, 2, 20, FB_OK, 10, 2},
      {QPOP, 0, 0, 1, 20, 1},
      {QPOP, 0, 0, 2, INT64_MAX, 0},
      {QPOP, 0, 0, -1, INT64_MAX, 0},
      {QEND}}},
    {"bounded: full is an error, not a drop; wraps around",
     2,
     {{QPUSH, 1, 10, FB_OK, 10, 1},
      {QPUSH, 2, 20, FB_OK, 10, 2},
      {QPUSH, 3, 30, FB_ERR_TOO_LARGE, 10, 2},
      {QPOP, 0, 0, 1, 20, 1},
      {QPUSH, 3, 30, FB_OK, 20, 2},
      {QPOP, 0, 0, 2, 30, 1},
      {QPOP, 0, 0, 3, INT64_MAX, 0},
      {QEND}}},
    {"a deadline never goes backwards along the queue",
     4,
     {{QPUSH, 1, 50, FB_OK, 50, 1},
      {QPUSH, 2, 20, FB_OK, 50, 2},
      {QPOP, 0, 0, 1, 50, 1},
      {QEND}}},
    {"removing a held item keeps the others' order",
     4,
     {{QPUSH, 1, 10, FB_OK, 10, 1},
      {QPUSH, 2, 20, FB_OK, 10, 2},
      {QPUSH, 3, 30, FB_OK, 10, 3},
      {QREMOVE, 1, 0, 1, 20, 2},
      {QREMOVE, 5, 0, 0, 20, 2},
      {QPUSH, 4, 40, FB_OK, 20, 3},
      {QPOP, 0, 0, 2, 30, 2},
      {QPOP, 0, 0, 3, 40, 1},
      {QPOP, 0, 0, 4, INT64_MAX, 0},
      {QEND}}},
};
/* clang-format on */

START_TEST(queue_scripts)
{
    const struct qcase *c = &qcases[_i];
    struct fb_tqueue q;
    ck_assert_int_eq(fb_tqueue_init(&q, c->cap), FB_OK);
    for (size_t i = 0; c->steps[i].op != QEND; i++) {
        const struct qstep *s = &c->steps[i];
        int got = 0;
        if (s->op == QPUSH) {
            struct fb_tq_item it = {s->deadline, 0, 0, (uint32_t)s->id, &ids[s->id]};
            got = fb_tqueue_push(&q, &it);
        } else if (s->op == QPOP) {
            struct fb_tq_item it;
            got = fb_tqueue_pop(&q, &it) ? (int)(((int *)it.ptr) - ids) : -1;
            if (got >= 0)
                ck_assert_uint_eq(it.cost, (uint32_t)got);
        } else {
            uint32_t cost = 0;
            got = (int)fb_tqueue_remove(&q, &ids[s->id], &cost);
            ck_assert_uint_eq(cost, got ? (uint32_t)s->id : 0);
        }
        ck_assert_msg(got == s->want, "%s, step %zu: got %d, want %d", c->name, i, got, s->want);
        ck_assert_msg(fb_tqueue_next_deadline(&q) == s->next, "%s, step %zu: next %lld", c->name, i,
                      (long long)fb_tqueue_next_deadline(&q));
        ck_assert_msg(q.n == s->n, "%s, step %zu: n %u, want %u", c->name, i, q.n, s->n);
    }
    fb_tqueue_free(&q);
    ck_assert_int_eq(fb_tqueue_init(&q, 0), FB_ERR_INVALID);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("throttle");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, throttle_scripts, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, throttle_counters_and_sizing);
    tcase_add_loop_test(tc, queue_scripts, 0, (int)(sizeof qcases / sizeof qcases[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
