/*
 * sim venue: scripted scenarios with exact event sequences, determinism,
 * the price process, and the interface's edges.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sim.h"
#include "adapters/sim_book.h"
#include "adapters/venue.h"
#include "bridge/decimal.h"

#define T0_MS 1700000000000LL /* 2023-11-14T22:13:20Z; the UTC day ends 6400 s later */
#define MS 1000000LL
#define MAX_EVENTS 64

static struct fb_dec D(const char *s) {
    struct fb_dec d = fb_dec_zero();
    if (s)
        ck_assert_msg(fb_dec_parse_str(s, &d) == FB_OK, "bad decimal in test: %s", s);
    return d;
}

static void
assert_dec(struct fb_dec got, const char *want, const char *what, int i)
{
    char buf[FB_DEC_STRMAX];
    fb_dec_format(got, buf);
    ck_assert_msg(fb_dec_cmp(got, D(want)) == 0, "event %d: %s is %s, want %s", i, what, buf, want);
}

/* ---- a recording sink ---- */

struct rec {
    struct fb_venue_event ev[MAX_EVENTS];
    int n;
    uint64_t hash; /* over every event's salient fields, for determinism */
    long total;
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 1099511628211ULL;
    }
}

static void rec_event(void *user, const struct fb_venue_event *ev)
{
    struct rec *r = user;
    char line[512];
    char q[FB_DEC_STRMAX], p[FB_DEC_STRMAX], f[FB_DEC_STRMAX];
    fb_dec_format(ev->u.fill.qty, q);
    fb_dec_format(ev->u.fill.price, p);
    fb_dec_format(ev->u.fill.fee, f);
    int n = snprintf(line, sizeof line, "%d %lld %s %s %s|%s|%s|%s", (int)ev->kind,
                     (long long)ev->ts_ns, ev->client_order_id, ev->venue_order_id,
                     ev->kind == FB_VEV_FILL ? ev->u.fill.trade_id : "", q, p, f);
    hash_bytes(&r->hash, line, (size_t)n);
    r->total++;
    if (r->n < MAX_EVENTS)
        r->ev[r->n++] = *ev;
}

/* ---- the standard market ---- */

enum { F_POST = 1, F_QUOTE = 2, F_ICEBERG = 4 };

struct setup {
    enum fb_sim_fill_mode fill;
    uint32_t parts;
    uint32_t latency_ms;
};

static void base_params(struct fb_sim_params *p, const struct setup *su)
{
    fb_sim_params_default(p);
    p->seed = 7;
    p->maker_fee_rate = D("0.0002");
    p->taker_fee_rate = D("0.0004");
    p->tick_ms = 1000;
    if (su) {
        p->fill_mode = su->fill;
        p->partial_fill_parts = su->parts ? su->parts : 2;
        p->ack_latency_ms = su->latency_ms;
    }
    p->n_markets = 1;
    struct fb_sim_market_params *m = &p->markets[0];
    strcpy(m->symbol, "BTCUSDT");
    strcpy(m->base, "BTC");
    strcpy(m->quote, "USDT");
    m->reference_price = D("65000");
    m->tick_size = D("0.01");
    m->step_size = D("0.0001");
    m->min_qty = D("0.0001");
    m->max_qty = D("100");
    m->min_notional = D("10");
    m->volatility_bps = 0; /* scenarios move the price explicitly */
    m->spread_bps = 2;     /* bid 64993.50, ask 65006.50 */
}

static struct fb_sim *make_sim(const struct fb_sim_params *p, struct rec *r)
{
    struct fb_venue_sink sink = {r, rec_event, NULL};
    void *st = NULL;
    char err[128] = "";
    memset(r, 0, sizeof *r);
    r->hash = 1469598103934665603ULL;
    enum fb_err e = fb_venue_sim.create(p, &sink, &st, err, sizeof err);
    ck_assert_msg(e == FB_OK, "create: %s", err);
    return st;
}

/* ---- scripted scenarios ---- */

enum op_kind {
    OP_END = 0,
    OP_SUBMIT,
    OP_CANCEL,
    OP_REPLACE,
    OP_QUERY,
    OP_SETREF,
    OP_RUN,
    OP_UNSOL
};

struct op {
    enum op_kind op;
    int64_t t;       /* ms after T0: request time / run until */
    const char *id;  /* order id */
    const char *id2; /* cancel id / replace's new id */
    enum fb_venue_side side;
    enum fb_venue_ord_type type;
    enum fb_venue_tif tif;
    const char *qty, *price, *stop;
    unsigned flags;
    int64_t expire; /* ms after T0 */
};

struct expect {
    enum fb_venue_event_kind kind;
    const char *id;
    int64_t t;  /* ms after T0 */
    int reason; /* liquidity / reject reason / cancel reason / expire reason / state */
    const char *qty, *price, *fee, *leaves; /* NULL = not checked */
    const char *text;                       /* reject text, NULL = not checked */
    const char *rid;                        /* request_id, NULL = not checked */
};

struct scenario {
    const char *name;
    struct setup su;
    struct op ops[10];
    struct expect ev[10];
};

#define SUB(T, ID, SIDE, TYPE, TIF, Q, P, S)                                                       \
    {                                                                                              \
        .op = OP_SUBMIT, .t = (T), .id = (ID), .side = FB_VENUE_##SIDE, .type = FB_VENUE_##TYPE,   \
        .tif = FB_VENUE_##TIF, .qty = (Q), .price = (P), .stop = (S)                               \
    }
#define RUN(T)                                                                                     \
    {                                                                                              \
        .op = OP_RUN, .t = (T)                                                                     \
    }
#define SETREF(PX)                                                                                 \
    {                                                                                              \
        .op = OP_SETREF, .price = (PX)                                                             \
    }
#define ACK(ID, T)                                                                                 \
    {                                                                                              \
        .kind = FB_VEV_ACK, .id = (ID), .t = (T)                                                   \
    }
#define FILL(ID, T, Q, P, FEE, LIQ)                                                                \
    {                                                                                              \
        .kind = FB_VEV_FILL, .id = (ID), .t = (T), .qty = (Q), .price = (P), .fee = (FEE),         \
        .reason = FB_VLIQ_##LIQ                                                                    \
    }
#define REJ(ID, T, R, TXT)                                                                         \
    {                                                                                              \
        .kind = FB_VEV_REJECT, .id = (ID), .t = (T), .reason = FB_VRR_##R, .text = (TXT)           \
    }
#define CXLD(ID, T, R, CUM)                                                                        \
    {                                                                                              \
        .kind = FB_VEV_CANCELED, .id = (ID), .t = (T), .reason = FB_VCXL_##R, .qty = (CUM)         \
    }

/* Fees: maker 0.0002, taker 0.0004. Touch at ref 65000: 64993.50 / 65006.50. */
static const struct scenario scenarios[] = {
    {"market buy fills at the ask as taker",
     {0},
     {SUB(0, "m1", BUY, MARKET, GTC, "0.01", NULL, NULL), RUN(0)},
     {ACK("m1", 0), FILL("m1", 0, "0.01", "65006.5", "0.260026", TAKER)}},
    {"market sell fills at the bid",
     {0},
     {SUB(0, "m2", SELL, MARKET, GTC, "0.01", NULL, NULL), RUN(0)},
     {ACK("m2", 0), FILL("m2", 0, "0.01", "64993.5", "0.259974", TAKER)}},
    {"marketable limit takes at the touch, not its limit",
     {0},
     {SUB(0, "l1", BUY, LIMIT, GTC, "0.01", "65010", NULL), RUN(0)},
     {ACK("l1", 0), FILL("l1", 0, "0.01", "65006.5", "0.260026", TAKER)}},
    {"resting limit fills at its price as maker when the touch reaches it",
     {0},
     {SUB(0, "l2", BUY, LIMIT, GTC, "0.01", "65000", NULL), RUN(0), SETREF("64990"), RUN(0)},
     {ACK("l2", 0), FILL("l2", 0, "0.01", "65000", "0.13", MAKER)}},
    {"resting sell fills when the bid rises to it",
     {0},
     {SUB(0, "l3", SELL, LIMIT, GTC, "0.01", "65100", NULL), RUN(0), SETREF("65110"), RUN(0)},
     {ACK("l3", 0), FILL("l3", 0, "0.01", "65100", "0.1302", MAKER)}},
    {"IOC limit that cannot fill is canceled",
     {0},
     {SUB(0, "i1", BUY, LIMIT, IOC, "0.01", "65000", NULL), RUN(0)},
     {ACK("i1", 0), CXLD("i1", 0, IOC_REMAINDER, "0")}},
    {"IOC market in partial mode fills one part, cancels the rest",
     {FB_SIM_FILL_PARTIAL, 4, 0},
     {SUB(0, "i2", BUY, MARKET, IOC, "0.01", NULL, NULL), RUN(0)},
     {ACK("i2", 0), FILL("i2", 0, "0.0025", "65006.5", "0.0650065", TAKER),
      CXLD("i2", 0, IOC_REMAINDER, "0.0025")}},
    {"FOK that cannot fill is canceled unfilled",
     {0},
     {SUB(0, "f1", BUY, LIMIT, FOK, "0.01", "65000", NULL), RUN(0)},
     {ACK("f1", 0), CXLD("f1", 0, FOK_UNFILLED, "0")}},
    {"FOK fills whole in one fill even in partial mode",
     {FB_SIM_FILL_PARTIAL, 4, 0},
     {SUB(0, "f2", BUY, LIMIT, FOK, "0.01", "65010", NULL), RUN(0)},
     {ACK("f2", 0), FILL("f2", 0, "0.01", "65006.5", "0.260026", TAKER)}},
    {"post-only that would cross is rejected like LIMIT_MAKER",
     {0},
     {{.op = OP_SUBMIT,
       .id = "p1",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_LIMIT,
       .tif = FB_VENUE_GTC,
       .qty = "0.01",
       .price = "65006.5",
       .flags = F_POST},
      RUN(0)},
     {REJ("p1", 0, POST_ONLY, "Order would immediately match and take.")}},
    {"post-only that rests fills as maker",
     {0},
     {{.op = OP_SUBMIT,
       .id = "p2",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_LIMIT,
       .tif = FB_VENUE_GTC,
       .qty = "0.01",
       .price = "65000",
       .flags = F_POST},
      RUN(0),
      SETREF("64990"),
      RUN(0)},
     {ACK("p2", 0), FILL("p2", 0, "0.01", "65000", "0.13", MAKER)}},
    {"post-only with IOC is an unsupported combination",
     {0},
     {{.op = OP_SUBMIT,
       .id = "p3",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_LIMIT,
       .tif = FB_VENUE_IOC,
       .qty = "0.01",
       .price = "65000",
       .flags = F_POST},
      RUN(0)},
     {REJ("p3", 0, UNSUPPORTED, "Unsupported order combination.")}},
    {"stop buy triggers on the reference and takes the ask",
     {0},
     {SUB(0, "s1", BUY, STOP, GTC, "0.01", NULL, "65100"), RUN(0), SETREF("65099.99"), RUN(0),
      SETREF("65100"), RUN(0)},
     {ACK("s1", 0), FILL("s1", 0, "0.01", "65106.51", "0.26042604", TAKER)}},
    {"stop that would trigger at once is rejected",
     {0},
     {SUB(0, "s2", SELL, STOP, GTC, "0.01", NULL, "65100"), RUN(0)},
     {REJ("s2", 0, WOULD_TRIGGER, "Order would trigger immediately.")}},
    {"stop-limit sell triggers into a marketable limit",
     {0},
     {SUB(0, "s3", SELL, STOP_LIMIT, GTC, "0.01", "64800", "64900"), RUN(0), SETREF("64900"),
      RUN(0)},
     {ACK("s3", 0), FILL("s3", 0, "0.01", "64893.51", "0.25957404", TAKER)}},
    {"stop-limit whose limit is away from the touch rests after triggering",
     {0},
     {SUB(0, "s4", BUY, STOP_LIMIT, GTC, "0.01", "65050", "65100"), RUN(0), SETREF("65100"), RUN(0),
      SETREF("65000"), RUN(0)},
     {ACK("s4", 0), FILL("s4", 0, "0.01", "65050", "0.13010", MAKER)}},
    /* Take-profits trigger on the opposite side from stops: a sell when the
     * price rises to its trigger, a buy when it falls to it. */
    {"take-profit sell ignores a fall, triggers when the price rises to it",
     {0},
     {SUB(0, "t1", SELL, TAKE_PROFIT, GTC, "0.01", NULL, "65100"), RUN(0), SETREF("64000"), RUN(0),
      SETREF("65099.99"), RUN(0), SETREF("65100"), RUN(0)},
     {ACK("t1", 0), FILL("t1", 0, "0.01", "65093.49", "0.26037396", TAKER)}},
    {"take-profit buy ignores a rise, triggers when the price falls to it",
     {0},
     {SUB(0, "t2", BUY, TAKE_PROFIT, GTC, "0.01", NULL, "64900"), RUN(0), SETREF("66000"), RUN(0),
      SETREF("64900.01"), RUN(0), SETREF("64900"), RUN(0)},
     {ACK("t2", 0), FILL("t2", 0, "0.01", "64906.49", "0.25962596", TAKER)}},
    {"take-profit whose trigger is already reached is rejected, either side",
     {0},
     {SUB(0, "t3", BUY, TAKE_PROFIT, GTC, "0.01", NULL, "65100"),
      SUB(0, "t4", SELL, TAKE_PROFIT_LIMIT, GTC, "0.01", "64800", "64900"), RUN(0)},
     {REJ("t3", 0, WOULD_TRIGGER, "Order would trigger immediately."),
      REJ("t4", 0, WOULD_TRIGGER, "Order would trigger immediately.")}},
    {"take-profit-limit buy triggers, rests at its limit, fills as maker",
     {0},
     {SUB(0, "t5", BUY, TAKE_PROFIT_LIMIT, GTC, "0.01", "64850", "64900"), RUN(0),
      SETREF("64900"), RUN(0), SETREF("64800"), RUN(0)},
     {ACK("t5", 0), FILL("t5", 0, "0.01", "64850", "0.1297", MAKER)}},
    {"take-profit-limit sell triggers into a marketable limit",
     {0},
     {SUB(0, "t6", SELL, TAKE_PROFIT_LIMIT, GTC, "0.01", "65050", "65100"), RUN(0),
      SETREF("65100"), RUN(0)},
     {ACK("t6", 0), FILL("t6", 0, "0.01", "65093.49", "0.26037396", TAKER)}},
    {"take-profit replace: a trigger already reached and a price are refused",
     {0},
     {SUB(0, "ta", SELL, TAKE_PROFIT, GTC, "0.01", NULL, "65100"),
      {.op = OP_REPLACE, .id = "ta", .id2 = "tb", .qty = "0.01", .stop = "64900"},
      {.op = OP_REPLACE, .id = "ta", .id2 = "tc", .qty = "0.01", .price = "65200"},
      {.op = OP_REPLACE, .id = "ta", .id2 = "td", .qty = "0.01", .stop = "65200"},
      RUN(0), SETREF("65150"), RUN(0), SETREF("65200"), RUN(0)},
     {ACK("ta", 0),
      {.kind = FB_VEV_REPLACE_REJECT,
       .id = "ta",
       .rid = "tb",
       .reason = FB_VRR_WOULD_TRIGGER,
       .text = "Order would trigger immediately."},
      {.kind = FB_VEV_REPLACE_REJECT, .id = "ta", .rid = "tc", .reason = FB_VRR_OTHER},
      {.kind = FB_VEV_REPLACED, .id = "ta", .rid = "td", .qty = "0.01", .leaves = "0.01"},
      FILL("td", 0, "0.01", "65193.48", "0.26077392", TAKER)}},
    {"GTD expires at its time",
     {0},
     {{.op = OP_SUBMIT,
       .id = "g1",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_LIMIT,
       .tif = FB_VENUE_GTD,
       .qty = "0.01",
       .price = "65000",
       .expire = 5500},
      RUN(10000)},
     {ACK("g1", 0), {.kind = FB_VEV_EXPIRED, .id = "g1", .t = 5500, .reason = FB_VEXP_GTD}}},
    {"GTD already past is rejected",
     {0},
     {{.op = OP_SUBMIT,
       .id = "g2",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_LIMIT,
       .tif = FB_VENUE_GTD,
       .qty = "0.01",
       .price = "65000",
       .expire = -1},
      RUN(0)},
     {REJ("g2", 0, EXPIRED, "Order expire time is in the past.")}},
    {"Day expires at the end of the UTC day",
     {0},
     {SUB(0, "d1", BUY, LIMIT, DAY, "0.01", "65000", NULL), RUN(6399999), RUN(6400000)},
     {ACK("d1", 0), {.kind = FB_VEV_EXPIRED, .id = "d1", .t = 6400000, .reason = FB_VEXP_DAY}}},
    {"filters: price off tick",
     {0},
     {SUB(0, "x1", BUY, LIMIT, GTC, "0.01", "65000.005", NULL), RUN(0)},
     {REJ("x1", 0, FILTER, "Filter failure: PRICE_FILTER")}},
    {"filters: qty off step",
     {0},
     {SUB(0, "x2", BUY, LIMIT, GTC, "0.00015", "65000", NULL), RUN(0)},
     {REJ("x2", 0, FILTER, "Filter failure: LOT_SIZE")}},
    {"filters: qty above max",
     {0},
     {SUB(0, "x3", BUY, LIMIT, GTC, "100.0001", "65000", NULL), RUN(0)},
     {REJ("x3", 0, FILTER, "Filter failure: LOT_SIZE")}},
    {"filters: notional below minimum",
     {0},
     {SUB(0, "x4", BUY, LIMIT, GTC, "0.0001", "65000", NULL), RUN(0)},
     {REJ("x4", 0, FILTER, "Filter failure: MIN_NOTIONAL")}},
    {"filters: stop price off tick",
     {0},
     {SUB(0, "x5", BUY, STOP, GTC, "0.01", NULL, "65100.001"), RUN(0)},
     {REJ("x5", 0, FILTER, "Filter failure: PRICE_FILTER")}},
    {"unknown symbol",
     {0},
     {{.op = OP_SUBMIT,
       .id = "x6",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_MARKET,
       .tif = FB_VENUE_GTC,
       .qty = "0.01",
       .flags = 8 /* other symbol */},
      RUN(0)},
     {REJ("x6", 0, UNKNOWN_SYMBOL, "Invalid symbol.")}},
    {"duplicate client order id is rejected, the first order unharmed",
     {0},
     {SUB(0, "dup", BUY, LIMIT, GTC, "0.01", "65000", NULL),
      SUB(0, "dup", BUY, LIMIT, GTC, "0.02", "65000", NULL),
      RUN(0),
      {.op = OP_QUERY, .t = 0, .id = "dup"},
      RUN(0)},
     {ACK("dup", 0),
      REJ("dup", 0, DUPLICATE_ID, "Duplicate order sent."),
      {.kind = FB_VEV_STATUS, .id = "dup", .reason = FB_VOS_NEW, .qty = "0", .leaves = "0.01"}}},
    {"cancel of an unknown order",
     {0},
     {{.op = OP_CANCEL, .id = "nope", .id2 = "c1"}, RUN(0)},
     {{.kind = FB_VEV_CANCEL_REJECT,
       .id = "nope",
       .reason = FB_VRR_UNKNOWN_ORDER,
       .text = "Unknown order sent.",
       .rid = "c1"}}},
    {"cancel of an open order, then again: too late",
     {0},
     {SUB(0, "k1", BUY, LIMIT, GTC, "0.01", "65000", NULL),
      {.op = OP_CANCEL, .id = "k1", .id2 = "c1"},
      {.op = OP_CANCEL, .id = "k1", .id2 = "c2"},
      RUN(0)},
     {ACK("k1", 0),
      {.kind = FB_VEV_CANCELED, .id = "k1", .reason = FB_VCXL_REQUESTED, .qty = "0", .rid = "c1"},
      {.kind = FB_VEV_CANCEL_REJECT,
       .id = "k1",
       .reason = FB_VRR_TOO_LATE,
       .text = "Order is already closed.",
       .rid = "c2"}}},
    {"unsolicited cancel",
     {0},
     {SUB(0, "u1", BUY, LIMIT, GTC, "0.01", "65000", NULL),
      RUN(0),
      {.op = OP_UNSOL, .id = "u1"},
      RUN(0)},
     {ACK("u1", 0), CXLD("u1", 0, UNSOLICITED, "0")}},
    {"replace up: new terms, fills carry the new id",
     {0},
     {SUB(0, "r1", BUY, LIMIT, GTC, "0.01", "65000", NULL),
      {.op = OP_REPLACE, .id = "r1", .id2 = "r2", .qty = "0.02", .price = "64999"},
      RUN(0),
      SETREF("64990"),
      RUN(0)},
     {ACK("r1", 0),
      {.kind = FB_VEV_REPLACED,
       .id = "r1",
       .rid = "r2",
       .qty = "0.02",
       .price = "64999",
       .leaves = "0.02"},
      FILL("r2", 0, "0.02", "64999", "0.259996", MAKER)}},
    {"replace to a crossing price takes at once",
     {0},
     {SUB(0, "r3", BUY, LIMIT, GTC, "0.01", "65000", NULL),
      {.op = OP_REPLACE, .id = "r3", .id2 = "r4", .qty = "0.01", .price = "65010"},
      RUN(0)},
     {ACK("r3", 0),
      {.kind = FB_VEV_REPLACED,
       .id = "r3",
       .rid = "r4",
       .qty = "0.01",
       .price = "65010",
       .leaves = "0.01"},
      FILL("r4", 0, "0.01", "65006.5", "0.260026", TAKER)}},
    {"replace down, above filled: the rest fills on the next tick",
     {FB_SIM_FILL_PARTIAL, 2, 0},
     {SUB(0, "r5", BUY, LIMIT, GTC, "0.02", "65000", NULL),
      RUN(0),
      SETREF("64990"),
      {.op = OP_REPLACE, .t = 0, .id = "r5", .id2 = "r6", .qty = "0.015"},
      RUN(0),
      RUN(1000)},
     {ACK("r5", 0),
      FILL("r5", 0, "0.01", "65000", "0.13", MAKER),
      {.kind = FB_VEV_REPLACED,
       .id = "r5",
       .rid = "r6",
       .qty = "0.015",
       .price = "65000",
       .leaves = "0.005"},
      FILL("r6", 1000, "0.005", "65000", "0.065", MAKER)}},
    {"replace below filled cancels the remainder; status says filled",
     {FB_SIM_FILL_PARTIAL, 2, 0},
     {SUB(0, "r7", BUY, LIMIT, GTC, "0.02", "65000", NULL),
      RUN(0),
      SETREF("64990"),
      {.op = OP_REPLACE, .t = 0, .id = "r7", .id2 = "r8", .qty = "0.005"},
      {.op = OP_QUERY, .t = 0, .id = "r8"},
      RUN(5000)},
     {ACK("r7", 0),
      FILL("r7", 0, "0.01", "65000", "0.13", MAKER),
      {.kind = FB_VEV_REPLACED, .id = "r7", .rid = "r8", .qty = "0.005", .leaves = "0"},
      {.kind = FB_VEV_STATUS,
       .id = "r8",
       .reason = FB_VOS_FILLED,
       .qty = "0.01",
       .price = "65000",
       .leaves = "0"}}},
    {"replace of unknown order and of a market order",
     {FB_SIM_FILL_PARTIAL, 3, 0},
     {{.op = OP_REPLACE, .id = "zz", .id2 = "zz2", .qty = "1"},
      SUB(0, "mk", BUY, MARKET, GTC, "0.03", NULL, NULL),
      {.op = OP_REPLACE, .id = "mk", .id2 = "mk2", .qty = "0.02"},
      RUN(0)},
     {{.kind = FB_VEV_REPLACE_REJECT,
       .id = "zz",
       .rid = "zz2",
       .reason = FB_VRR_UNKNOWN_ORDER,
       .text = "Unknown order sent."},
      ACK("mk", 0),
      FILL("mk", 0, "0.01", "65006.5", "0.260026", TAKER),
      {.kind = FB_VEV_REPLACE_REJECT,
       .id = "mk",
       .rid = "mk2",
       .reason = FB_VRR_UNSUPPORTED,
       .text = "Market orders cannot be amended."}}},
    {"partial mode: market fills in N parts, one per tick, last takes the rest",
     {FB_SIM_FILL_PARTIAL, 3, 0},
     {SUB(0, "pm", BUY, MARKET, GTC, "0.01", NULL, NULL), RUN(10000)},
     {ACK("pm", 0), FILL("pm", 0, "0.0033", "65006.5", "0.08580858", TAKER),
      FILL("pm", 1000, "0.0033", "65006.5", "0.08580858", TAKER),
      FILL("pm", 2000, "0.0034", "65006.5", "0.08840884", TAKER)}},
    {"partial mode: an order arriving late in a tick gets its next part a whole tick later",
     {FB_SIM_FILL_PARTIAL, 3, 0},
     {RUN(0), SUB(900, "pl", BUY, MARKET, GTC, "0.01", NULL, NULL), RUN(10000)},
     {ACK("pl", 900), FILL("pl", 900, "0.0033", "65006.5", "0.08580858", TAKER),
      FILL("pl", 2000, "0.0033", "65006.5", "0.08580858", TAKER),
      FILL("pl", 3000, "0.0034", "65006.5", "0.08840884", TAKER)}},
    {"ack latency delays the ack and what follows",
     {FB_SIM_FILL_FULL, 0, 250},
     {SUB(0, "al", BUY, MARKET, GTC, "0.01", NULL, NULL), RUN(249), RUN(250)},
     {ACK("al", 250), FILL("al", 250, "0.01", "65006.5", "0.260026", TAKER)}},
    {"quote-qty market buys what the amount buys, rounded down to step",
     {0},
     {{.op = OP_SUBMIT,
       .id = "qq",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_MARKET,
       .tif = FB_VENUE_GTC,
       .qty = "1000",
       .flags = F_QUOTE},
      RUN(0)},
     {ACK("qq", 0), FILL("qq", 0, "0.0153", "65006.5", "0.39783978", TAKER)}},
    {"iceberg keeps its display qty and fills like a limit",
     {0},
     {{.op = OP_SUBMIT,
       .id = "ice",
       .side = FB_VENUE_SELL,
       .type = FB_VENUE_LIMIT,
       .tif = FB_VENUE_GTC,
       .qty = "0.01",
       .price = "64000",
       .flags = F_ICEBERG},
      RUN(0)},
     {ACK("ice", 0), FILL("ice", 0, "0.01", "64993.5", "0.259974", TAKER)}},
    {"query of an unknown order",
     {0},
     {{.op = OP_QUERY, .id = "ghost"}, RUN(0)},
     {{.kind = FB_VEV_STATUS, .id = "ghost", .rid = "ghost", .reason = FB_VOS_UNKNOWN}}},
    {"replace of a post-only order to a crossing price is refused",
     {0},
     {{.op = OP_SUBMIT,
       .id = "pa",
       .side = FB_VENUE_BUY,
       .type = FB_VENUE_LIMIT,
       .tif = FB_VENUE_GTC,
       .qty = "0.01",
       .price = "65000",
       .flags = F_POST},
      {.op = OP_REPLACE, .id = "pa", .id2 = "pb", .qty = "0.01", .price = "65010"},
      {.op = OP_REPLACE, .id = "pa", .id2 = "pc", .qty = "0.02"},
      RUN(0)},
     {ACK("pa", 0),
      {.kind = FB_VEV_REPLACE_REJECT,
       .id = "pa",
       .rid = "pb",
       .reason = FB_VRR_POST_ONLY,
       .text = "Order would immediately match and take."},
      {.kind = FB_VEV_REPLACED, .id = "pa", .rid = "pc", .qty = "0.02", .leaves = "0.02"}}},
    {"replace refused by filters and by an immediate stop trigger",
     {0},
     {SUB(0, "sa", BUY, STOP, GTC, "0.01", NULL, "65100"),
      {.op = OP_REPLACE, .id = "sa", .id2 = "sb", .qty = "0.01", .stop = "65100.005"},
      {.op = OP_REPLACE, .id = "sa", .id2 = "sc", .qty = "0.01", .stop = "64900"},
      {.op = OP_REPLACE, .id = "sa", .id2 = "sd", .qty = "0.00015"},
      {.op = OP_REPLACE, .id = "sa", .id2 = "sa", .qty = "0.02"},
      RUN(0)},
     {ACK("sa", 0),
      {.kind = FB_VEV_REPLACE_REJECT,
       .id = "sa",
       .rid = "sb",
       .reason = FB_VRR_FILTER,
       .text = "Filter failure: PRICE_FILTER"},
      {.kind = FB_VEV_REPLACE_REJECT,
       .id = "sa",
       .rid = "sc",
       .reason = FB_VRR_WOULD_TRIGGER,
       .text = "Order would trigger immediately."},
      {.kind = FB_VEV_REPLACE_REJECT,
       .id = "sa",
       .rid = "sd",
       .reason = FB_VRR_FILTER,
       .text = "Filter failure: LOT_SIZE"},
      {.kind = FB_VEV_REPLACE_REJECT,
       .id = "sa",
       .rid = "sa",
       .reason = FB_VRR_DUPLICATE_ID,
       .text = "Duplicate order sent."}}},
};

static void do_op(struct fb_sim *sim, const struct op *op)
{
    const int64_t now = (T0_MS + op->t) * MS;
    enum fb_err e = FB_OK;
    switch (op->op) {
    case OP_SUBMIT: {
        struct fb_venue_order o;
        memset(&o, 0, sizeof o);
        strcpy(o.client_order_id, op->id);
        strcpy(o.symbol, (op->flags & 8) ? "ETHUSDT" : "BTCUSDT");
        o.side = op->side;
        o.type = op->type;
        o.tif = op->tif;
        if (op->flags & F_QUOTE)
            o.quote_qty = D(op->qty);
        else
            o.qty = D(op->qty);
        o.price = D(op->price);
        o.stop_price = D(op->stop);
        o.post_only = (op->flags & F_POST) != 0;
        if (op->flags & F_ICEBERG)
            o.display_qty = D("0.001");
        if (op->tif == FB_VENUE_GTD)
            o.expire_ns = (T0_MS + op->expire) * MS;
        e = fb_venue_sim.submit(sim, &o, now);
        break;
    }
    case OP_CANCEL: {
        struct fb_venue_cancel c;
        memset(&c, 0, sizeof c);
        strcpy(c.client_order_id, op->id);
        strcpy(c.request_id, op->id2);
        e = fb_venue_sim.cancel(sim, &c, now);
        break;
    }
    case OP_REPLACE: {
        struct fb_venue_replace r;
        memset(&r, 0, sizeof r);
        strcpy(r.client_order_id, op->id);
        strcpy(r.new_client_order_id, op->id2);
        r.qty = D(op->qty);
        r.price = D(op->price);
        r.stop_price = D(op->stop);
        e = fb_venue_sim.replace(sim, &r, now);
        break;
    }
    case OP_QUERY:
        e = fb_venue_sim.query(sim, op->id, now);
        break;
    case OP_SETREF:
        e = fb_sim_set_reference(sim, "BTCUSDT", D(op->price));
        break;
    case OP_RUN:
        e = fb_venue_sim.run(sim, now);
        break;
    case OP_UNSOL:
        e = fb_sim_cancel_unsolicited(sim, op->id);
        break;
    case OP_END:
        break;
    }
    ck_assert_msg(e == FB_OK, "op %d: %s", (int)op->op, fb_strerror(e));
}

static void check_event(const struct fb_venue_event *ev, const struct expect *x, int i)
{
    ck_assert_msg(ev->kind == x->kind, "event %d: kind %s, want %s", i,
                  fb_venue_event_kind_name(ev->kind), fb_venue_event_kind_name(x->kind));
    ck_assert_str_eq(ev->client_order_id, x->id);
    ck_assert_msg(ev->ts_ns == (T0_MS + x->t) * MS, "event %d: ts %lld ms after T0, want %lld", i,
                  (long long)(ev->ts_ns / MS - T0_MS), (long long)x->t);
    if (x->rid)
        ck_assert_str_eq(ev->request_id, x->rid);
    switch (ev->kind) {
    case FB_VEV_ACK:
        ck_assert_str_ne(ev->venue_order_id, "");
        break;
    case FB_VEV_FILL:
        ck_assert_int_eq((int)ev->u.fill.liquidity, x->reason);
        ck_assert_str_eq(ev->u.fill.fee_currency, "USDT");
        ck_assert_str_ne(ev->u.fill.trade_id, "");
        assert_dec(ev->u.fill.qty, x->qty, "qty", i);
        assert_dec(ev->u.fill.price, x->price, "price", i);
        assert_dec(ev->u.fill.fee, x->fee, "fee", i);
        break;
    case FB_VEV_REJECT:
    case FB_VEV_CANCEL_REJECT:
    case FB_VEV_REPLACE_REJECT:
        ck_assert_int_eq((int)ev->u.rej.reason, x->reason);
        ck_assert_int_eq((int)ev->u.rej.cls, FB_VREJ_FINAL);
        if (x->text)
            ck_assert_str_eq(ev->u.rej.text, x->text);
        break;
    case FB_VEV_CANCELED:
        ck_assert_int_eq((int)ev->u.canceled.reason, x->reason);
        if (x->qty)
            assert_dec(ev->u.canceled.cum_qty, x->qty, "cum_qty", i);
        break;
    case FB_VEV_EXPIRED:
        ck_assert_int_eq((int)ev->u.expired.reason, x->reason);
        break;
    case FB_VEV_REPLACED:
        if (x->qty)
            assert_dec(ev->u.replaced.qty, x->qty, "qty", i);
        if (x->price)
            assert_dec(ev->u.replaced.price, x->price, "price", i);
        if (x->leaves)
            assert_dec(ev->u.replaced.leaves_qty, x->leaves, "leaves", i);
        break;
    case FB_VEV_STATUS:
        ck_assert_int_eq((int)ev->u.status.state, x->reason);
        if (x->qty)
            assert_dec(ev->u.status.cum_qty, x->qty, "cum_qty", i);
        if (x->price)
            assert_dec(ev->u.status.avg_px, x->price, "avg_px", i);
        if (x->leaves)
            assert_dec(ev->u.status.leaves_qty, x->leaves, "leaves", i);
        break;
    case FB_VEV_OPEN_ORDERS_END:
    case FB_VEV_LAST:
        break;
    }
}

START_TEST(scenario)
{
    const struct scenario *sc = &scenarios[_i];
    struct fb_sim_params p;
    struct rec r;
    base_params(&p, &sc->su);
    struct fb_sim *sim = make_sim(&p, &r);
    for (const struct op *op = sc->ops; op->op != OP_END; op++)
        do_op(sim, op);
    int want = 0;
    while (want < 10 && sc->ev[want].id)
        want++;
    for (int i = 0; i < r.n && i < want; i++)
        check_event(&r.ev[i], &sc->ev[i], i);
    ck_assert_msg(r.n == want, "%s: %d events, want %d", sc->name, r.n, want);
    fb_venue_sim.destroy(sim);
}
END_TEST

/* ---- determinism and the price process ---- */

/* A busy session on a moving market; returns the event hash and fills the
 * reference path (bid at every tick). */
static uint64_t busy_session(uint64_t seed, struct fb_dec *path, int n_ticks, long *n_events)
{
    struct fb_sim_params p;
    struct rec r;
    struct setup su = {FB_SIM_FILL_PARTIAL, 3, 20};
    base_params(&p, &su);
    p.seed = seed;
    p.markets[0].volatility_bps = 20;
    struct fb_sim *sim = make_sim(&p, &r);
    static const char *const offsets[] = {"-50", "-20", "0", "20", "50"};
    for (int i = 0; i < 10; i++) {
        struct fb_venue_order o;
        memset(&o, 0, sizeof o);
        snprintf(o.client_order_id, sizeof o.client_order_id, "o%d", i);
        strcpy(o.symbol, "BTCUSDT");
        o.side = i % 2 ? FB_VENUE_SELL : FB_VENUE_BUY;
        o.type = FB_VENUE_LIMIT;
        o.tif = FB_VENUE_GTC;
        o.qty = D("0.01");
        struct fb_dec off = D(offsets[i % 5]);
        ck_assert_int_eq(fb_dec_add(D("65000"), off, &o.price), FB_OK);
        ck_assert_int_eq(fb_venue_sim.submit(sim, &o, T0_MS * MS), FB_OK);
    }
    for (int k = 0; k < n_ticks; k++) {
        struct fb_dec bid, ask;
        int64_t asof;
        ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 1000LL * (k + 1)) * MS), FB_OK);
        ck_assert_int_eq(fb_venue_sim.reference_price(sim, "BTCUSDT", &bid, &ask, &asof), FB_OK);
        path[k] = bid;
    }
    *n_events = r.total;
    uint64_t h = r.hash;
    fb_venue_sim.destroy(sim);
    return h;
}

START_TEST(same_seed_same_stream)
{
    static struct fb_dec a[500], b[500], c[500];
    long na, nb, nc;
    uint64_t ha = busy_session(42, a, 500, &na);
    uint64_t hb = busy_session(42, b, 500, &nb);
    uint64_t hc = busy_session(43, c, 500, &nc);
    ck_assert_uint_eq(ha, hb);
    ck_assert_int_eq(na, nb);
    ck_assert_int_gt(na, 10); /* the orders did trade: the stream is not trivial */
    int same = 1, moved = 0, differ = 0;
    for (int k = 0; k < 500; k++) {
        same &= fb_dec_cmp(a[k], b[k]) == 0;
        moved |= k > 0 && fb_dec_cmp(a[k], a[k - 1]) != 0;
        differ |= fb_dec_cmp(a[k], c[k]) != 0;
    }
    ck_assert(same);
    ck_assert(moved);
    ck_assert(differ);
    ck_assert_uint_ne(ha, hc);
}
END_TEST

START_TEST(price_never_at_or_below_zero)
{
    struct fb_sim_params p;
    struct rec r;
    base_params(&p, NULL);
    p.markets[0].reference_price = D("0.05");
    p.markets[0].volatility_bps = 10000; /* moves of up to 100% per tick */
    p.markets[0].spread_bps = 5000;
    p.markets[0].min_notional = fb_dec_zero();
    struct fb_sim *sim = make_sim(&p, &r);
    const struct fb_dec tick = D("0.01");
    int floors = 0, distinct_moves = 0;
    struct fb_dec prev = D("0.05");
    for (int64_t k = 1; k <= 100000; k++) {
        struct fb_dec bid, ask;
        int64_t asof;
        ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 1000 * k) * MS), FB_OK);
        ck_assert_int_eq(fb_venue_sim.reference_price(sim, "BTCUSDT", &bid, &ask, &asof), FB_OK);
        ck_assert_int_eq(asof, (T0_MS + 1000 * k) * MS);
        ck_assert(fb_dec_sign(bid) > 0);
        ck_assert(fb_dec_cmp(ask, bid) >= 0);
        ck_assert(fb_dec_is_multiple(bid, tick) && fb_dec_is_multiple(ask, tick));
        floors += fb_dec_cmp(bid, tick) == 0;
        distinct_moves += fb_dec_cmp(bid, prev) != 0;
        prev = bid;
    }
    /* The walk must actually have pushed against the floor and moved. */
    ck_assert_int_gt(floors, 100);
    ck_assert_int_gt(distinct_moves, 1000);
    fb_venue_sim.destroy(sim);
}
END_TEST

struct walk_case {
    const char *ref;
    uint32_t vol;
    uint64_t rnd;
    const char *want;
};

static const struct walk_case walks[] = {
    {"100", 100, 2000000, "101"},  /* u = +1: up by the full 1% */
    {"100", 100, 0, "99"},         /* u = -1 */
    {"100", 100, 1000000, "100"},  /* u = 0 */
    {"100", 0, 2000000, "100"},    /* no volatility */
    {"0.01", 10000, 0, "0.01"},    /* would reach 0: floor at one tick */
    {"100", 1, 1500000, "100"},    /* 0.5 bp = 0.005, half-even to 100.00 */
    {"100", 3, 2000000, "100.03"}, /* 3 bp */
};

START_TEST(walk_step_table)
{
    const struct walk_case *w = &walks[_i];
    struct fb_dec out;
    ck_assert_int_eq(fb_sim_walk_step(D(w->ref), D("0.01"), w->vol, w->rnd, &out), FB_OK);
    assert_dec(out, w->want, "ref", _i);
}
END_TEST

START_TEST(touch_rounds_outward)
{
    struct fb_dec bid, ask;
    ck_assert_int_eq(fb_sim_touch(D("100"), D("0.01"), 10, &bid, &ask), FB_OK);
    assert_dec(bid, "99.95", "bid", 0);
    assert_dec(ask, "100.05", "ask", 0);
    ck_assert_int_eq(fb_sim_touch(D("100"), D("0.01"), 1, &bid, &ask), FB_OK);
    assert_dec(bid, "99.99", "bid", 1); /* 99.995 down */
    assert_dec(ask, "100.01", "ask", 1);
    ck_assert_int_eq(fb_sim_touch(D("0.01"), D("0.01"), 10000, &bid, &ask), FB_OK);
    assert_dec(bid, "0.01", "bid", 2); /* never below one tick */
    ck_assert_int_eq(fb_sim_touch(D("100"), D("0.01"), 0, &bid, &ask), FB_OK);
    assert_dec(bid, "100", "bid", 3);
    assert_dec(ask, "100", "ask", 3);
}
END_TEST

START_TEST(open_orders_lists_then_ends)
{
    struct fb_sim_params p;
    struct rec r;
    base_params(&p, NULL);
    struct fb_sim *sim = make_sim(&p, &r);
    struct op ops[] = {SUB(0, "a", BUY, LIMIT, GTC, "0.01", "65000", NULL),
                       SUB(0, "b", SELL, LIMIT, GTC, "0.01", "66000", NULL),
                       SUB(0, "c", BUY, MARKET, GTC, "0.01", NULL, NULL)};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        do_op(sim, &ops[i]);
    ck_assert_int_eq(fb_venue_sim.open_orders(sim, NULL, "L1", T0_MS * MS), FB_OK);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    /* ACK a, ACK b, ACK c, FILL c, STATUS a, STATUS b, END */
    ck_assert_int_eq(r.n, 7);
    ck_assert_int_eq(r.ev[4].kind, FB_VEV_STATUS);
    ck_assert_str_eq(r.ev[4].client_order_id, "a");
    ck_assert_str_eq(r.ev[4].request_id, "L1");
    ck_assert_str_eq(r.ev[5].client_order_id, "b");
    ck_assert_int_eq(r.ev[6].kind, FB_VEV_OPEN_ORDERS_END);
    ck_assert_str_eq(r.ev[6].request_id, "L1");
    /* Venue order ids and trade ids are distinct. */
    ck_assert_str_ne(r.ev[0].venue_order_id, r.ev[1].venue_order_id);
    fb_venue_sim.destroy(sim);
}
END_TEST

START_TEST(events_only_from_run_and_deadline)
{
    struct fb_sim_params p;
    struct rec r;
    struct setup su = {FB_SIM_FILL_FULL, 0, 100};
    base_params(&p, &su);
    struct fb_sim *sim = make_sim(&p, &r);
    ck_assert_int_eq(fb_venue_sim.next_deadline(sim), INT64_MAX); /* not started */
    struct op o = SUB(0, "e1", BUY, MARKET, GTC, "0.01", NULL, NULL);
    do_op(sim, &o);
    ck_assert_int_eq(r.n, 0);
    ck_assert_int_eq(fb_venue_sim.next_deadline(sim), (T0_MS + 100) * MS);
    ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 99) * MS), FB_OK);
    ck_assert_int_eq(r.n, 0);
    ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 100) * MS), FB_OK);
    ck_assert_int_eq(r.n, 2);
    ck_assert_int_eq(fb_venue_sim.next_deadline(sim), (T0_MS + 1000) * MS); /* next tick */
    /* Hooks act now but deliver on the next run. */
    struct op o2 = SUB(100, "e2", BUY, LIMIT, GTC, "0.01", "65000", NULL);
    do_op(sim, &o2);
    ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 200) * MS), FB_OK);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(fb_sim_set_reference(sim, "BTCUSDT", D("64990")), FB_OK);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 200) * MS), FB_OK);
    ck_assert_int_eq(r.n, 4);
    ck_assert_int_eq(r.ev[3].kind, FB_VEV_FILL);
    fb_venue_sim.destroy(sim);
}
END_TEST

/* ---- scale: indexes, expiry heap, retention ---- */

/* Every event's kind and ids, however many. */
struct log {
    struct {
        enum fb_venue_event_kind kind;
        char id[FB_VENUE_CLORDID_MAX + 1];
        char sym[FB_VENUE_SYMBOL_MAX + 1];
        int64_t ts;
        int reason;
    } * e;
    size_t n, cap;
};

static void log_event(void *user, const struct fb_venue_event *ev)
{
    struct log *l = user;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->e = realloc(l->e, l->cap * sizeof *l->e);
        ck_assert_ptr_nonnull(l->e);
    }
    l->e[l->n].kind = ev->kind;
    strcpy(l->e[l->n].id, ev->client_order_id);
    strcpy(l->e[l->n].sym, ev->symbol);
    l->e[l->n].ts = ev->ts_ns;
    l->e[l->n].reason = ev->kind == FB_VEV_EXPIRED  ? (int)ev->u.expired.reason
                        : ev->kind == FB_VEV_STATUS ? (int)ev->u.status.state
                        : ev->kind == FB_VEV_REJECT ? (int)ev->u.rej.reason
                                                    : 0;
    l->n++;
}

static const char *const syms3[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};

static struct fb_sim *make_sim3(struct log *l)
{
    struct fb_sim_params p;
    base_params(&p, NULL);
    for (int m = 1; m < 3; m++) {
        p.markets[m] = p.markets[0];
        strcpy(p.markets[m].symbol, syms3[m]);
    }
    p.n_markets = 3;
    struct fb_venue_sink sink = {l, log_event, NULL};
    void *st = NULL;
    char err[128] = "";
    memset(l, 0, sizeof *l);
    ck_assert_int_eq(fb_venue_sim.create(&p, &sink, &st, err, sizeof err), FB_OK);
    return st;
}

/* A GTC limit at 65000 + off (cents), or a GTD one expiring at exp ms. */
static void limit_at(struct fb_sim *sim, const char *sym, const char *id, enum fb_venue_side side,
                     long off_cents, int64_t exp_ms)
{
    struct fb_venue_order o;
    char px[32];
    memset(&o, 0, sizeof o);
    strcpy(o.client_order_id, id);
    strcpy(o.symbol, sym);
    o.side = side;
    o.type = FB_VENUE_LIMIT;
    o.tif = exp_ms ? FB_VENUE_GTD : FB_VENUE_GTC;
    o.expire_ns = exp_ms ? (T0_MS + exp_ms) * MS : 0;
    o.qty = D("0.01");
    const long cents = 6500000 + off_cents;
    snprintf(px, sizeof px, "%ld.%02ld", cents / 100, cents % 100);
    o.price = D(px);
    ck_assert_int_eq(fb_venue_sim.submit(sim, &o, T0_MS * MS), FB_OK);
}

static size_t count_kind(const struct log *l, size_t from, enum fb_venue_event_kind k)
{
    size_t n = 0;
    for (size_t i = from; i < l->n; i++)
        n += l->e[i].kind == k;
    return n;
}

/* 3 markets x 3000 resting orders at spread-out prices: a price move on
 * one market fills exactly the orders it crosses there, in arrival order. */
START_TEST(many_orders_on_several_markets)
{
    struct log l;
    struct fb_sim *sim = make_sim3(&l);
    char id[32];
    for (int i = 0; i < 9000; i++) {
        const int m = i % 3, k = i / 3;
        /* Buys 0.01..29.99 below 64990, sells as far above 65010. */
        const bool buy = k % 2 == 0;
        const long off = buy ? -1000 - (long)(k * 37 % 3000) : 1000 + (long)(k * 37 % 3000);
        snprintf(id, sizeof id, "s%d", i);
        limit_at(sim, syms3[m], id, buy ? FB_VENUE_BUY : FB_VENUE_SELL, off, 0);
    }
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_int_eq(l.n, 9000);
    ck_assert_uint_eq(count_kind(&l, 0, FB_VEV_ACK), 9000);
    /* ETH to 64985: the ask is 64991.50 and the buys sit at 64960.01..64990
     * (off -1000..-3999 cents): none fills. Then to 64975: the ask 64981.50
     * reaches the buys at 64981.50..64990 (off >= -1850). */
    ck_assert_int_eq(fb_sim_set_reference(sim, "ETHUSDT", D("64985")), FB_OK);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_uint_eq(l.n, 9000);
    ck_assert_int_eq(fb_sim_set_reference(sim, "ETHUSDT", D("64975")), FB_OK);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    size_t want = 0;
    for (int i = 1; i < 9000; i += 3) {
        const int k = i / 3;
        if (k % 2 == 0 && -1000 - (long)(k * 37 % 3000) >= -1850)
            want++;
    }
    ck_assert_uint_gt(want, 10);
    ck_assert_uint_eq(l.n - 9000, want);
    int last = -1;
    for (size_t e = 9000; e < l.n; e++) {
        ck_assert_int_eq(l.e[e].kind, FB_VEV_FILL);
        ck_assert_str_eq(l.e[e].sym, "ETHUSDT");
        const int n = atoi(l.e[e].id + 1);
        ck_assert_int_gt(n, last); /* arrival order, not price order */
        last = n;
    }
    /* The other markets' orders are untouched and still open. */
    const size_t mark = l.n;
    ck_assert_int_eq(fb_venue_sim.open_orders(sim, "SOLUSDT", "L", T0_MS * MS), FB_OK);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_uint_eq(count_kind(&l, mark, FB_VEV_STATUS), 3000);
    ck_assert_str_eq(l.e[mark].id, "s2");
    ck_assert_str_eq(l.e[l.n - 2].id, "s8999");
    fb_venue_sim.destroy(sim);
    free(l.e);
}
END_TEST

/* Expiries fire in time order; orders expiring at the same instant in
 * arrival order; next_deadline is the earliest. */
START_TEST(expiry_order_with_ties)
{
    struct log l;
    struct fb_sim *sim = make_sim3(&l);
    static const struct {
        const char *id;
        int m;
        int64_t exp;
    } g[] = {{"e0", 0, 900}, {"e1", 1, 500}, {"e2", 2, 900}, {"e3", 0, 500},
             {"e4", 1, 700}, {"e5", 2, 500}, {"e6", 0, 900}, {"e7", 1, 300}};
    static const char *const want[] = {"e7", "e1", "e3", "e5", "e4", "e0", "e2", "e6"};
    const size_t n = sizeof g / sizeof g[0];
    for (size_t i = 0; i < n; i++)
        limit_at(sim, syms3[g[i].m], g[i].id, FB_VENUE_BUY, -500, g[i].exp);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_int_eq(fb_venue_sim.next_deadline(sim), (T0_MS + 300) * MS);
    /* e4 canceled: its expiry must not fire. */
    struct fb_venue_cancel c;
    memset(&c, 0, sizeof c);
    strcpy(c.client_order_id, "e4");
    strcpy(c.request_id, "ce4");
    ck_assert_int_eq(fb_venue_sim.cancel(sim, &c, T0_MS * MS), FB_OK);
    ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 400) * MS), FB_OK);
    ck_assert_int_eq(fb_venue_sim.next_deadline(sim), (T0_MS + 500) * MS);
    ck_assert_int_eq(fb_venue_sim.run(sim, (T0_MS + 950) * MS), FB_OK);
    size_t k = 0;
    for (size_t i = n; i < l.n; i++) {
        if (l.e[i].kind != FB_VEV_EXPIRED)
            continue;
        ck_assert_uint_lt(k, n);
        if (strcmp(want[k], "e4") == 0)
            k++;
        ck_assert_str_eq(l.e[i].id, want[k]);
        ck_assert_int_eq(l.e[i].reason, FB_VEXP_GTD);
        k++;
    }
    ck_assert_uint_eq(k, n);
    ck_assert_int_eq(fb_venue_sim.next_deadline(sim), (T0_MS + 1000) * MS); /* the tick */
    fb_venue_sim.destroy(sim);
    free(l.e);
}
END_TEST

/* 3000 resting buys, all but every 100th canceled: a move fills only the
 * survivors it reaches, and open_orders lists just the survivors. */
START_TEST(matching_after_many_cancels)
{
    struct log l;
    struct fb_sim *sim = make_sim3(&l);
    char id[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "c%d", i);
        limit_at(sim, "BTCUSDT", id, FB_VENUE_BUY, -1000 - (long)(i % 300), 0);
    }
    for (int i = 0; i < 3000; i++) {
        if (i % 100 == 0)
            continue;
        struct fb_venue_cancel c;
        memset(&c, 0, sizeof c);
        snprintf(c.client_order_id, sizeof c.client_order_id, "c%d", i);
        snprintf(c.request_id, sizeof c.request_id, "x%d", i);
        ck_assert_int_eq(fb_venue_sim.cancel(sim, &c, T0_MS * MS), FB_OK);
    }
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_uint_eq(count_kind(&l, 0, FB_VEV_CANCELED), 2970);
    size_t mark = l.n;
    ck_assert_int_eq(fb_venue_sim.open_orders(sim, NULL, "L", T0_MS * MS), FB_OK);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_uint_eq(l.n - mark, 31);
    for (int j = 0; j < 30; j++) {
        snprintf(id, sizeof id, "c%d", j * 100);
        ck_assert_str_eq(l.e[mark + (size_t)j].id, id);
    }
    /* Survivors sit at 64990 (i % 300 == 0); far below: everything. */
    mark = l.n;
    ck_assert_int_eq(fb_sim_set_reference(sim, "BTCUSDT", D("60000")), FB_OK);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_uint_eq(l.n - mark, 30);
    ck_assert_uint_eq(count_kind(&l, mark, FB_VEV_FILL), 30);
    ck_assert_str_eq(l.e[mark].id, "c0");
    ck_assert_str_eq(l.e[l.n - 1].id, "c2900");
    fb_venue_sim.destroy(sim);
    free(l.e);
}
END_TEST

static enum fb_err book_log(void *user, const struct fb_venue_event *ev)
{
    log_event(user, ev);
    return FB_OK;
}

/* With retention, slots and ids stay bounded however many orders finish;
 * recent closed orders stay queryable, older ids stay used for a while. */
START_TEST(memory_bound_after_many_finished_orders)
{
    struct fb_sim_params p;
    struct fb_sim_book b;
    struct log l;
    base_params(&p, NULL);
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(fb_sim_book_init(&b, &p, book_log, &l), FB_OK);
    fb_sim_book_set_retention(&b, 100, 1000);
    struct fb_venue_order o;
    memset(&o, 0, sizeof o);
    strcpy(o.symbol, "BTCUSDT");
    o.side = FB_VENUE_BUY;
    o.type = FB_VENUE_MARKET;
    o.tif = FB_VENUE_GTC;
    o.qty = D("0.01");
    /* A resting order survives the churn. */
    struct fb_venue_order rest = o;
    strcpy(rest.client_order_id, "keep");
    rest.type = FB_VENUE_LIMIT;
    rest.price = D("60000");
    ck_assert_int_eq(fb_sim_book_submit(&b, &rest, 1), FB_OK);
    for (int i = 0; i < 20000; i++) {
        snprintf(o.client_order_id, sizeof o.client_order_id, "m%d", i);
        ck_assert_int_eq(fb_sim_book_submit(&b, &o, 1), FB_OK);
        if (i % 2000 == 0) {
            ck_assert_uint_le(b.n_orders, 102);
            ck_assert_uint_le(b.ids.n, 101);
        }
    }
    ck_assert_uint_eq(count_kind(&l, 0, FB_VEV_FILL), 20000);
    ck_assert_uint_le(b.n_orders, 102);
    ck_assert_uint_le(b.ids.cap, 512);
    ck_assert_uint_le(b.gone_cap, 1000);
    ck_assert_uint_le(b.gone_set_cap, 4096);
    /* Recent: queryable. Dropped: UNKNOWN, but the id is still used. */
    l.n = 0;
    ck_assert_int_eq(fb_sim_book_query(&b, "m19999", 2), FB_OK);
    ck_assert_int_eq(fb_sim_book_query(&b, "m19000", 2), FB_OK);
    ck_assert_int_eq(fb_sim_book_query(&b, "keep", 2), FB_OK);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_int_eq(l.e[0].reason, FB_VOS_FILLED);
    ck_assert_int_eq(l.e[1].reason, FB_VOS_UNKNOWN);
    ck_assert_int_eq(l.e[2].reason, FB_VOS_NEW);
    strcpy(o.client_order_id, "m19000");
    ck_assert_int_eq(fb_sim_book_submit(&b, &o, 2), FB_OK);
    ck_assert_int_eq(l.e[3].kind, FB_VEV_REJECT);
    ck_assert_int_eq(l.e[3].reason, FB_VRR_DUPLICATE_ID);
    /* Beyond the last 1000 dropped ids an id may be used again. */
    strcpy(o.client_order_id, "m5");
    ck_assert_int_eq(fb_sim_book_submit(&b, &o, 2), FB_OK);
    ck_assert_int_eq(l.e[4].kind, FB_VEV_ACK);
    /* The resting order still matches. */
    ck_assert_int_eq(fb_sim_book_set_touch(&b, 0, D("59990"), 2), FB_OK);
    l.n = 0;
    ck_assert_int_eq(fb_sim_book_match(&b, 0, 3, false), FB_OK);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.e[0].id, "keep");
    ck_assert_int_eq(l.e[0].kind, FB_VEV_FILL);
    fb_sim_book_free(&b);
    free(l.e);
}
END_TEST

/* ---- limits: malformed requests, params, registry ---- */

struct bad_order {
    const char *why;
    struct op op;
};

static const struct bad_order bad_orders[] = {
    {"limit without price", SUB(0, "b1", BUY, LIMIT, GTC, "0.01", NULL, NULL)},
    {"market with price", SUB(0, "b2", BUY, MARKET, GTC, "0.01", "65000", NULL)},
    {"stop without stop price", SUB(0, "b3", BUY, STOP, GTC, "0.01", NULL, NULL)},
    {"stop-limit without price", SUB(0, "b4", BUY, STOP_LIMIT, GTC, "0.01", NULL, "65100")},
    {"limit with stop price", SUB(0, "b5", BUY, LIMIT, GTC, "0.01", "65000", "65100")},
    {"take-profit without stop price", SUB(0, "bt1", SELL, TAKE_PROFIT, GTC, "0.01", NULL, NULL)},
    {"take-profit with price", SUB(0, "bt2", SELL, TAKE_PROFIT, GTC, "0.01", "65200", "65100")},
    {"take-profit-limit without price",
     SUB(0, "bt3", SELL, TAKE_PROFIT_LIMIT, GTC, "0.01", NULL, "65100")},
    {"no qty", SUB(0, "b6", BUY, LIMIT, GTC, NULL, "65000", NULL)},
    {"negative qty", SUB(0, "b7", BUY, LIMIT, GTC, "-0.01", "65000", NULL)},
    {"bad id chars", SUB(0, "b 8", BUY, LIMIT, GTC, "0.01", "65000", NULL)},
    {"empty id", SUB(0, "", BUY, LIMIT, GTC, "0.01", "65000", NULL)},
    {"37-char id",
     SUB(0, "0123456789012345678901234567890123456", BUY, LIMIT, GTC, "0.01", "65000", NULL)},
    {"GTD without expiry", SUB(0, "b9", BUY, LIMIT, GTD, "0.01", "65000", NULL)},
    {"post-only market",
     {.op = OP_SUBMIT,
      .id = "b10",
      .side = FB_VENUE_BUY,
      .type = FB_VENUE_MARKET,
      .qty = "0.01",
      .flags = F_POST}},
    {"quote qty on a limit",
     {.op = OP_SUBMIT,
      .id = "b11",
      .side = FB_VENUE_BUY,
      .type = FB_VENUE_LIMIT,
      .qty = "100",
      .price = "65000",
      .flags = F_QUOTE}},
};

START_TEST(malformed_order_is_invalid)
{
    const struct bad_order *b = &bad_orders[_i];
    struct fb_sim_params p;
    struct rec r;
    base_params(&p, NULL);
    struct fb_sim *sim = make_sim(&p, &r);
    struct fb_venue_order o;
    memset(&o, 0, sizeof o);
    /* Byte copy: the 37-char case fills the array with no NUL, which is
     * what a caller overrunning the maximum would hand over. */
    size_t idlen = strlen(b->op.id);
    memcpy(o.client_order_id, b->op.id,
           idlen < sizeof o.client_order_id ? idlen + 1 : sizeof o.client_order_id);
    strcpy(o.symbol, "BTCUSDT");
    o.side = b->op.side;
    o.type = b->op.type;
    o.tif = b->op.tif;
    if (b->op.flags & F_QUOTE)
        o.quote_qty = D(b->op.qty);
    else
        o.qty = D(b->op.qty);
    o.price = D(b->op.price);
    o.stop_price = D(b->op.stop);
    o.post_only = (b->op.flags & F_POST) != 0;
    ck_assert_msg(fb_venue_sim.submit(sim, &o, T0_MS * MS) == FB_ERR_INVALID, "%s", b->why);
    ck_assert_int_eq(fb_venue_sim.run(sim, T0_MS * MS), FB_OK);
    ck_assert_int_eq(r.n, 0);
    fb_venue_sim.destroy(sim);
}
END_TEST

START_TEST(id_of_36_chars_is_valid)
{
    ck_assert(fb_venue_clordid_valid("012345678901234567890123456789abc.-_"));
    ck_assert(!fb_venue_clordid_valid("012345678901234567890123456789abc.-_x"));
    ck_assert(!fb_venue_clordid_valid(""));
    ck_assert(!fb_venue_clordid_valid("a/b"));
}
END_TEST

struct bad_param {
    int field;
    const char *want; /* substring of the error */
};

static const struct bad_param bad_params[] = {
    {0, "1..64 markets"}, {1, "tick_size"},    {2, "reference_price"}, {3, "partial_fill_parts"},
    {4, "tick_ms"},       {5, "listed twice"}, {6, "max_qty"},
};

START_TEST(bad_params_refused)
{
    struct fb_sim_params p;
    struct fb_venue_sink sink = {NULL, rec_event, NULL};
    void *st = (void *)&p;
    char err[128] = "";
    base_params(&p, NULL);
    switch (bad_params[_i].field) {
    case 0:
        p.n_markets = 0;
        break;
    case 1:
        p.markets[0].tick_size = fb_dec_zero();
        break;
    case 2:
        p.markets[0].reference_price = D("65000.001");
        break;
    case 3:
        p.fill_mode = FB_SIM_FILL_PARTIAL;
        p.partial_fill_parts = 1;
        break;
    case 4:
        p.tick_ms = 0;
        break;
    case 5:
        p.markets[1] = p.markets[0];
        p.n_markets = 2;
        break;
    case 6:
        p.markets[0].max_qty = D("0.00001");
        break;
    }
    ck_assert_int_eq(fb_venue_sim.create(&p, &sink, &st, err, sizeof err), FB_ERR_CONFIG);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(err, bad_params[_i].want) != NULL, "error '%s' lacks '%s'", err,
                  bad_params[_i].want);
}
END_TEST

START_TEST(registry_finds_sim)
{
    ck_assert_ptr_eq(fb_venue_find("sim"), &fb_venue_sim);
    ck_assert_ptr_null(fb_venue_find("nope"));
    ck_assert_ptr_null(fb_venue_find(NULL));
    const struct fb_venue_ops *const *all = fb_venue_all();
    int n = 0;
    for (; all[n]; n++)
        ck_assert_int_eq(all[n]->info.api_version, FB_VENUE_API_VERSION);
    ck_assert_int_ge(n, 1);
    const struct fb_venue_ops *s = &fb_venue_sim;
    ck_assert(s->create && s->destroy && s->submit && s->cancel && s->query && s->run &&
              s->next_deadline && s->market);
    /* The sim advertises exactly what it implements. */
    ck_assert(s->replace && (s->info.supports & FB_VSUP_REPLACE));
    ck_assert(s->open_orders && (s->info.supports & FB_VSUP_OPEN_ORDERS));
    for (int k = 0; k < FB_VEV_LAST; k++)
        ck_assert_str_ne(fb_venue_event_kind_name((enum fb_venue_event_kind)k), "?");
}
END_TEST

START_TEST(market_rules_are_reported)
{
    struct fb_sim_params p;
    struct rec r;
    struct fb_venue_market m;
    base_params(&p, NULL);
    struct fb_sim *sim = make_sim(&p, &r);
    ck_assert_int_eq(fb_venue_sim.market(sim, "BTCUSDT", &m), FB_OK);
    ck_assert_str_eq(m.base, "BTC");
    ck_assert_str_eq(m.quote, "USDT");
    assert_dec(m.tick_size, "0.01", "tick", 0);
    assert_dec(m.step_size, "0.0001", "step", 0);
    assert_dec(m.min_notional, "10", "min_notional", 0);
    ck_assert_int_eq(fb_venue_sim.market(sim, "ETHUSDT", &m), FB_ERR_NOT_FOUND);
    ck_assert_int_eq(fb_sim_set_reference(sim, "BTCUSDT", D("0")), FB_ERR_INVALID);
    ck_assert_int_eq(fb_sim_set_reference(sim, "ETHUSDT", D("1")), FB_ERR_NOT_FOUND);
    ck_assert_int_eq(fb_sim_cancel_unsolicited(sim, "none"), FB_ERR_NOT_FOUND);
    fb_venue_sim.destroy(sim);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_loop_test(core, scenario, 0, (int)(sizeof scenarios / sizeof scenarios[0]));
    tcase_add_loop_test(core, walk_step_table, 0, (int)(sizeof walks / sizeof walks[0]));
    tcase_add_test(core, touch_rounds_outward);
    tcase_add_test(core, same_seed_same_stream);
    tcase_add_test(core, open_orders_lists_then_ends);
    tcase_add_test(core, events_only_from_run_and_deadline);
    tcase_add_test(core, registry_finds_sim);
    tcase_add_test(core, market_rules_are_reported);
    suite_add_tcase(s, core);

    TCase *scale = tcase_create("scale");
    tcase_set_timeout(scale, 120);
    tcase_add_test(scale, many_orders_on_several_markets);
    tcase_add_test(scale, expiry_order_with_ties);
    tcase_add_test(scale, matching_after_many_cancels);
    tcase_add_test(scale, memory_bound_after_many_finished_orders);
    suite_add_tcase(s, scale);

    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 120);
    tcase_add_loop_test(limits, malformed_order_is_invalid, 0,
                        (int)(sizeof bad_orders / sizeof bad_orders[0]));
    tcase_add_test(limits, id_of_36_chars_is_valid);
    tcase_add_loop_test(limits, bad_params_refused, 0,
                        (int)(sizeof bad_params / sizeof bad_params[0]));
    tcase_add_test(limits, price_never_at_or_below_zero);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sim_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
