/*
 * sim: the embedded paper venue (see sim.h). This file is the venue's edge:
 * params, the latency queue, simulated time, the seeded price process, the
 * event outbox and the fb_venue_ops glue. The matching rules live in
 * sim_book.c. Only the registry and the test hooks' callers reach it.
 *
 * Time: the sim's clock starts at the first now_ns it is given and only
 * moves forward. run(now) processes, in time order, everything due at or
 * before now; at one instant the order is: expiries, then arriving requests
 * (first in, first out), then the price tick (walk every market in config
 * order, then match each). Events are buffered and delivered to the sink
 * from run() only, so a sink may call submit/cancel/... (never run or
 * destroy) from inside on_event.
 */
#include "adapters/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sim_book.h"

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        err = (expr);                                                                              \
        if (err != FB_OK)                                                                          \
            goto out;                                                                              \
    } while (0)

#define NS_PER_MS 1000000LL

enum sim_req_kind {
    SIM_REQ_SUBMIT,
    SIM_REQ_CANCEL,
    SIM_REQ_REPLACE,
    SIM_REQ_QUERY,
    SIM_REQ_OPEN_ORDERS
};

/* A request on its way to the venue. */
struct sim_req {
    enum sim_req_kind kind;
    int64_t at; /* arrival at the venue */
    union {
        struct fb_venue_order order;
        struct fb_venue_cancel cancel;
        struct fb_venue_replace replace;
        char query_id[FB_VENUE_CLORDID_MAX + 1];
        struct {
            bool all;
            char symbol[FB_VENUE_SYMBOL_MAX + 1];
            char request_id[FB_VENUE_CLORDID_MAX + 1];
        } list;
    } u;
};

struct fb_sim {
    struct fb_sim_params p;
    struct fb_venue_sink sink;
    struct fb_sim_book book;
    uint64_t rng[FB_SIM_MARKETS_MAX];  /* one stream per market */
    int64_t as_of[FB_SIM_MARKETS_MAX]; /* when each reference was last set */

    bool started;
    bool in_run;
    int64_t t;         /* simulated time reached */
    int64_t next_tick; /* next price move */
    int64_t last_at;   /* latest arrival queued, so the queue stays ordered */

    struct sim_req *q; /* FIFO: [q_head, q_n) */
    size_t q_head, q_n, q_cap;
    struct fb_venue_event *out; /* events waiting for the sink */
    size_t out_n, out_cap;
};

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static bool fits(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- params ---- */

void fb_sim_params_default(struct fb_sim_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    /* 0.001 = 10^15 units of 10^-18; built directly since it cannot fail. */
    p->maker_fee_rate.units = (fb_i128)1000000000000000LL;
    p->taker_fee_rate = p->maker_fee_rate;
    p->fill_mode = FB_SIM_FILL_FULL;
    p->partial_fill_parts = 2;
    p->tick_ms = 1000;
}

static enum fb_err check_market(const struct fb_sim_market_params *m, char *err, size_t errlen)
{
    const char *why = NULL;
    if (!fits(m->symbol, sizeof m->symbol) || m->symbol[0] == '\0')
        why = "symbol must be 1..31 characters";
    else if (!fits(m->base, sizeof m->base) || m->base[0] == '\0' ||
             !fits(m->quote, sizeof m->quote) || m->quote[0] == '\0')
        why = "base and quote must be 1..15 characters";
    else if (fb_dec_sign(m->tick_size) <= 0)
        why = "tick_size must be > 0";
    else if (fb_dec_sign(m->step_size) <= 0)
        why = "step_size must be > 0";
    else if (fb_dec_sign(m->reference_price) <= 0 ||
             !fb_dec_is_multiple(m->reference_price, m->tick_size))
        why = "reference_price must be > 0 and a multiple of tick_size";
    else if (fb_dec_sign(m->min_qty) < 0 || fb_dec_sign(m->max_qty) < 0 ||
             fb_dec_sign(m->min_notional) < 0)
        why = "min_qty, max_qty and min_notional must be >= 0";
    else if (fb_dec_sign(m->max_qty) > 0 && fb_dec_cmp(m->max_qty, m->min_qty) < 0)
        why = "max_qty must be >= min_qty";
    else if (m->volatility_bps > 10000 || m->spread_bps > 10000)
        why = "volatility_bps and spread_bps must be <= 10000";
    if (!why)
        return FB_OK;
    snprintf(err, errlen, "market %.31s: %s", fits(m->symbol, sizeof m->symbol) ? m->symbol : "?",
             why);
    return FB_ERR_CONFIG;
}

static enum fb_err check_params(const struct fb_sim_params *p, char *err, size_t errlen)
{
    const char *why = NULL;
    if (p->n_markets < 1 || p->n_markets > FB_SIM_MARKETS_MAX)
        why = "needs 1..64 markets";
    else if (p->fill_mode != FB_SIM_FILL_FULL && p->fill_mode != FB_SIM_FILL_PARTIAL)
        why = "fill mode must be full or partial";
    else if (p->fill_mode == FB_SIM_FILL_PARTIAL &&
             (p->partial_fill_parts < 2 || p->partial_fill_parts > FB_SIM_PARTS_MAX))
        why = "partial_fill_parts must be 2..100";
    else if (p->tick_ms < 1)
        why = "tick_ms must be >= 1";
    else if (fb_dec_sign(p->maker_fee_rate) < 0 || fb_dec_sign(p->taker_fee_rate) < 0)
        why = "fee rates must be >= 0";
    if (why) {
        snprintf(err, errlen, "sim: %s", why);
        return FB_ERR_CONFIG;
    }
    for (size_t i = 0; i < p->n_markets; i++) {
        enum fb_err e = check_market(&p->markets[i], err, errlen);
        if (e != FB_OK)
            return e;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(p->markets[i].symbol, p->markets[j].symbol) == 0) {
                snprintf(err, errlen, "market %s: listed twice", p->markets[i].symbol);
                return FB_ERR_CONFIG;
            }
        }
    }
    return FB_OK;
}

/* ---- outbox and queue ---- */

static enum fb_err outbox_push(void *user, const struct fb_venue_event *ev)
{
    struct fb_sim *s = user;
    if (s->out_n == s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap * 2 : 16;
        struct fb_venue_event *p = realloc(s->out, cap * sizeof *p);
        if (!p)
            return FB_ERR_NOMEM;
        s->out = p;
        s->out_cap = cap;
    }
    s->out[s->out_n++] = *ev;
    return FB_OK;
}

static void flush(struct fb_sim *s)
{
    /* By index and by copy: the sink may queue requests or (tests) call a
     * hook that appends to the outbox while we deliver. */
    for (size_t i = 0; i < s->out_n; i++) {
        struct fb_venue_event ev = s->out[i];
        s->sink.on_event(s->sink.user, &ev);
    }
    s->out_n = 0;
}

static void start(struct fb_sim *s, int64_t now)
{
    if (s->started)
        return;
    s->started = true;
    s->t = now;
    s->last_at = now;
    s->next_tick = now + (int64_t)s->p.tick_ms * NS_PER_MS;
    for (size_t i = 0; i < s->p.n_markets; i++)
        s->as_of[i] = now;
}

static enum fb_err enqueue(struct fb_sim *s, struct sim_req *r, int64_t now)
{
    const int64_t lat = (int64_t)s->p.ack_latency_ms * NS_PER_MS;
    start(s, now);
    r->at = now > INT64_MAX - lat ? INT64_MAX : now + lat;
    if (r->at < s->last_at)
        r->at = s->last_at;
    if (r->at < s->t)
        r->at = s->t;
    if (s->q_n == s->q_cap && s->q_head > 0) {
        memmove(s->q, s->q + s->q_head, (s->q_n - s->q_head) * sizeof *s->q);
        s->q_n -= s->q_head;
        s->q_head = 0;
    }
    if (s->q_n == s->q_cap) {
        size_t cap = s->q_cap ? s->q_cap * 2 : 16;
        struct sim_req *p = realloc(s->q, cap * sizeof *p);
        if (!p)
            return FB_ERR_NOMEM;
        s->q = p;
        s->q_cap = cap;
    }
    s->q[s->q_n++] = *r;
    s->last_at = r->at;
    return FB_OK;
}

static enum fb_err apply(struct fb_sim *s, const struct sim_req *r)
{
    switch (r->kind) {
    case SIM_REQ_SUBMIT:
        return fb_sim_book_submit(&s->book, &r->u.order, s->t);
    case SIM_REQ_CANCEL:
        return fb_sim_book_cancel(&s->book, &r->u.cancel, s->t);
    case SIM_REQ_REPLACE:
        return fb_sim_book_replace(&s->book, &r->u.replace, s->t);
    case SIM_REQ_QUERY:
        return fb_sim_book_query(&s->book, r->u.query_id, s->t);
    case SIM_REQ_OPEN_ORDERS:
        return fb_sim_book_open_orders(&s->book, r->u.list.all ? NULL : r->u.list.symbol,
                                       r->u.list.request_id, s->t);
    }
    return FB_ERR_INTERNAL;
}

/* One price tick: every market's reference moves, then each is matched. */
static enum fb_err tick(struct fb_sim *s)
{
    enum fb_err err = FB_OK;
    for (size_t m = 0; m < s->p.n_markets; m++) {
        const struct fb_sim_market_params *mp = &s->p.markets[m];
        struct fb_dec ref;
        uint64_t rnd = splitmix64(&s->rng[m]);
        TRY(fb_sim_walk_step(s->book.markets[m].ref, mp->tick_size, mp->volatility_bps, rnd, &ref));
        TRY(fb_sim_book_set_touch(&s->book, m, ref, mp->spread_bps));
        s->as_of[m] = s->t;
        TRY(fb_sim_book_match(&s->book, m, s->t, false));
    }
out:
    return err;
}

/* ---- fb_venue_ops slots ---- */

static enum fb_err sim_create(const void *params, const struct fb_venue_sink *sink, void **state,
                              char *err, size_t errlen)
{
    enum fb_err e = FB_OK;
    const struct fb_sim_params *p = params;
    struct fb_sim *s = NULL;

    *state = NULL;
    if (!p || !sink || !sink->on_event) {
        snprintf(err, errlen, "sim: params and sink are required");
        return FB_ERR_INVALID;
    }
    e = check_params(p, err, errlen);
    if (e != FB_OK)
        goto out;
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "sim: out of memory");
        e = FB_ERR_NOMEM;
        goto out;
    }
    s->p = *p;
    s->sink = *sink;
    for (size_t i = 0; i < p->n_markets; i++) {
        /* Per-market streams: adding a market leaves the others' paths. */
        uint64_t mix = p->seed ^ str_hash(p->markets[i].symbol);
        s->rng[i] = splitmix64(&mix);
    }
    e = fb_sim_book_init(&s->book, p, outbox_push, s);
    if (e != FB_OK) {
        snprintf(err, errlen, "sim: %s", fb_strerror(e));
        goto out;
    }
    /* parts of a partial fill come a whole tick apart, not at the next tick
     * boundary (which may be a moment after the first part) */
    s->book.min_gap_ns = (int64_t)p->tick_ms * NS_PER_MS;
    /* A long paper run must not grow without bound (rule in sim_book.h). */
    fb_sim_book_set_retention(&s->book, FB_SIM_CLOSED_KEEP, FB_SIM_IDS_KEEP);
    *state = s;
    s = NULL;
out:
    if (s) {
        fb_sim_book_free(&s->book);
        free(s);
    }
    return e;
}

static void sim_destroy(void *state)
{
    struct fb_sim *s = state;
    if (!s)
        return;
    fb_sim_book_free(&s->book);
    free(s->q);
    free(s->out);
    free(s);
}

static enum fb_err sim_submit(void *state, const struct fb_venue_order *order, int64_t now_ns)
{
    struct sim_req r;
    if (!state || !order || fb_sim_order_check(order) != FB_OK)
        return FB_ERR_INVALID;
    memset(&r, 0, sizeof r);
    r.kind = SIM_REQ_SUBMIT;
    r.u.order = *order;
    return enqueue(state, &r, now_ns);
}

static enum fb_err sim_cancel(void *state, const struct fb_venue_cancel *req, int64_t now_ns)
{
    struct sim_req r;
    if (!state || !req || !fits(req->client_order_id, sizeof req->client_order_id) ||
        !fits(req->request_id, sizeof req->request_id) ||
        !fb_venue_clordid_valid(req->client_order_id) || !fb_venue_clordid_valid(req->request_id))
        return FB_ERR_INVALID;
    memset(&r, 0, sizeof r);
    r.kind = SIM_REQ_CANCEL;
    r.u.cancel = *req;
    return enqueue(state, &r, now_ns);
}

static enum fb_err sim_replace(void *state, const struct fb_venue_replace *req, int64_t now_ns)
{
    struct sim_req r;
    if (!state || !req || !fits(req->client_order_id, sizeof req->client_order_id) ||
        !fits(req->new_client_order_id, sizeof req->new_client_order_id) ||
        !fb_venue_clordid_valid(req->client_order_id) ||
        !fb_venue_clordid_valid(req->new_client_order_id) || fb_dec_sign(req->qty) <= 0 ||
        fb_dec_sign(req->price) < 0 || fb_dec_sign(req->stop_price) < 0)
        return FB_ERR_INVALID;
    memset(&r, 0, sizeof r);
    r.kind = SIM_REQ_REPLACE;
    r.u.replace = *req;
    return enqueue(state, &r, now_ns);
}

static enum fb_err sim_query(void *state, const char *client_order_id, int64_t now_ns)
{
    struct sim_req r;
    if (!state || !fb_venue_clordid_valid(client_order_id))
        return FB_ERR_INVALID;
    memset(&r, 0, sizeof r);
    r.kind = SIM_REQ_QUERY;
    copy_str(r.u.query_id, sizeof r.u.query_id, client_order_id);
    return enqueue(state, &r, now_ns);
}

static enum fb_err sim_open_orders(void *state, const char *symbol, const char *request_id,
                                   int64_t now_ns)
{
    struct sim_req r;
    if (!state || !fb_venue_clordid_valid(request_id) ||
        (symbol && (symbol[0] == '\0' || strlen(symbol) > FB_VENUE_SYMBOL_MAX)))
        return FB_ERR_INVALID;
    memset(&r, 0, sizeof r);
    r.kind = SIM_REQ_OPEN_ORDERS;
    r.u.list.all = symbol == NULL;
    if (symbol)
        copy_str(r.u.list.symbol, sizeof r.u.list.symbol, symbol);
    copy_str(r.u.list.request_id, sizeof r.u.list.request_id, request_id);
    return enqueue(state, &r, now_ns);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t next_due(const struct fb_sim *s)
{
    int64_t t = min64(s->next_tick, fb_sim_book_next_expiry(&s->book));
    if (s->q_head < s->q_n)
        t = min64(t, s->q[s->q_head].at);
    return t;
}

static enum fb_err sim_run(void *state, int64_t now_ns)
{
    enum fb_err err = FB_OK;
    struct fb_sim *s = state;
    if (!s)
        return FB_ERR_INVALID;
    if (s->in_run) /* a sink calling run() would reorder time */
        return FB_ERR_STATE;
    s->in_run = true;
    start(s, now_ns);
    flush(s); /* what the test hooks produced since the last run */
    for (;;) {
        int64_t tn = next_due(s);
        if (tn > now_ns)
            break;
        if (tn > s->t)
            s->t = tn;
        TRY(fb_sim_book_expire(&s->book, s->t));
        while (s->q_head < s->q_n && s->q[s->q_head].at <= s->t) {
            struct sim_req r = s->q[s->q_head++];
            TRY(apply(s, &r));
        }
        if (s->q_head == s->q_n)
            s->q_head = s->q_n = 0;
        if (s->next_tick <= s->t) {
            TRY(tick(s));
            s->next_tick += (int64_t)s->p.tick_ms * NS_PER_MS;
        }
        flush(s);
    }
    if (now_ns > s->t)
        s->t = now_ns;
out:
    if (err != FB_OK)
        flush(s);
    s->in_run = false;
    return err;
}

static int64_t sim_next_deadline(const void *state)
{
    const struct fb_sim *s = state;
    if (!s || !s->started)
        return INT64_MAX;
    if (s->out_n > 0)
        return s->t;
    return next_due(s);
}

static enum fb_err sim_market(const void *state, const char *symbol, struct fb_venue_market *out)
{
    const struct fb_sim *s = state;
    int m = s && symbol ? fb_sim_book_market_index(&s->book, symbol) : -1;
    if (m < 0)
        return FB_ERR_NOT_FOUND;
    *out = s->book.markets[m].rules;
    return FB_OK;
}

static enum fb_err sim_reference_price(const void *state, const char *symbol, struct fb_dec *bid,
                                       struct fb_dec *ask, int64_t *as_of_ns)
{
    const struct fb_sim *s = state;
    int m = s && symbol ? fb_sim_book_market_index(&s->book, symbol) : -1;
    if (m < 0)
        return FB_ERR_NOT_FOUND;
    *bid = s->book.markets[m].bid;
    *ask = s->book.markets[m].ask;
    *as_of_ns = s->as_of[m];
    return FB_OK;
}

/* ---- test hooks ---- */

enum fb_err fb_sim_set_reference(struct fb_sim *s, const char *symbol, struct fb_dec price)
{
    enum fb_err err = FB_OK;
    int m = fb_sim_book_market_index(&s->book, symbol);
    if (m < 0)
        return FB_ERR_NOT_FOUND;
    if (fb_dec_sign(price) <= 0 || !fb_dec_is_multiple(price, s->p.markets[m].tick_size))
        return FB_ERR_INVALID;
    TRY(fb_sim_book_set_touch(&s->book, (size_t)m, price, s->p.markets[m].spread_bps));
    s->as_of[m] = s->t;
    TRY(fb_sim_book_match(&s->book, (size_t)m, s->t, true));
out:
    return err;
}

enum fb_err fb_sim_cancel_unsolicited(struct fb_sim *s, const char *client_order_id)
{
    if (!client_order_id)
        return FB_ERR_INVALID;
    return fb_sim_book_cancel_unsolicited(&s->book, client_order_id, s->t);
}

const struct fb_venue_ops fb_venue_sim = {
    {
        FB_VENUE_API_VERSION, /* api_version */
        "sim",                /* name */
        FB_VSUP_MARKET | FB_VSUP_LIMIT | FB_VSUP_STOP | FB_VSUP_STOP_LIMIT | FB_VSUP_TAKE_PROFIT |
            FB_VSUP_TAKE_PROFIT_LIMIT | FB_VSUP_TIF_DAY |
            FB_VSUP_TIF_GTC | FB_VSUP_TIF_IOC | FB_VSUP_TIF_FOK | FB_VSUP_TIF_GTD |
            FB_VSUP_POST_ONLY | FB_VSUP_ICEBERG | FB_VSUP_QUOTE_QTY | FB_VSUP_REPLACE |
            FB_VSUP_OPEN_ORDERS | FB_VSUP_IN_PROCESS, /* supports */
    },
    sim_create,          /* create */
    sim_destroy,         /* destroy */
    sim_submit,          /* submit */
    sim_cancel,          /* cancel */
    sim_replace,         /* replace */
    sim_query,           /* query */
    sim_open_orders,     /* open_orders */
    sim_run,             /* run */
    sim_next_deadline,   /* next_deadline */
    sim_market,          /* market */
    sim_reference_price, /* reference_price */
    NULL,                /* paused_until: the paper venue never asks for a pause */
    NULL,                /* poll_fds: in process, nothing to poll */
};
