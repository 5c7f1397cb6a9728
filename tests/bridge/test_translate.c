/*
 * Tests for bridge/translate.c: one row per accepted and per refused case,
 * for every message type and both FIX versions. Every row also checks that
 * the translator read only the tags its exported table lists, and that a
 * reject carries no intent.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "bridge/translate.h"

/* ---- a message as "tag=value|tag=value"; the first occurrence of a tag
 * wins, so a row overrides a base by prefixing; value "~" means absent ---- */

#define MAX_FIELDS 40

struct fake_msg {
    int tags[MAX_FIELDS];
    const char *vals[MAX_FIELDS];
    size_t n;
    char buf[2048];
    int read[MAX_FIELDS * 2]; /* tags the translator asked for */
    size_t nread;
};

static const char *fake_get(void *ctx, int tag)
{
    struct fake_msg *m = ctx;
    if (m->nread < sizeof m->read / sizeof m->read[0])
        m->read[m->nread++] = tag;
    for (size_t i = 0; i < m->n; i++)
        if (m->tags[i] == tag)
            return strcmp(m->vals[i], "~") == 0 ? NULL : m->vals[i];
    return NULL;
}

static void fake_parse(struct fake_msg *m, const char *s)
{
    char *p;
    memset(m, 0, sizeof *m);
    ck_assert_uint_lt(strlen(s), sizeof m->buf);
    strcpy(m->buf, s);
    p = m->buf;
    while (*p != '\0') {
        char *bar = strchr(p, '|');
        char *eq = strchr(p, '=');
        if (bar != NULL)
            *bar = '\0';
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        ck_assert_uint_lt(m->n, MAX_FIELDS);
        m->tags[m->n] = atoi(p);
        m->vals[m->n] = eq + 1;
        m->n++;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
}

/* ---- the environment: three venues, five routes ---- */

#define ALL_CAPS (0x3fffu | FB_VSUP_TAKE_PROFIT | FB_VSUP_TAKE_PROFIT_LIMIT)
/* Kraken-like: no Day, no FOK, no stop-market, no take-profit, no
 * post-only, no iceberg, no quote quantity, no replace. */
#define KRAKEN_CAPS                                                                                \
    (FB_VSUP_MARKET | FB_VSUP_LIMIT | FB_VSUP_STOP_LIMIT | FB_VSUP_TIF_GTC | FB_VSUP_TIF_IOC |     \
     FB_VSUP_TIF_GTD)
/* Binance-like: no Day, no GTD. */
#define BINANCE_CAPS                                                                               \
    (FB_VSUP_MARKET | FB_VSUP_LIMIT | FB_VSUP_STOP | FB_VSUP_STOP_LIMIT | FB_VSUP_TIF_GTC |        \
     FB_VSUP_TIF_IOC | FB_VSUP_TIF_FOK | FB_VSUP_POST_ONLY | FB_VSUP_ICEBERG | FB_VSUP_QUOTE_QTY | \
     FB_VSUP_REPLACE | FB_VSUP_TAKE_PROFIT | FB_VSUP_TAKE_PROFIT_LIMIT)

static const struct fb_tr_venue venues[] = {
    {"sim", ALL_CAPS},
    {"kraken", KRAKEN_CAPS},
    {"binance", BINANCE_CAPS},
};

static const struct fb_route routes[] = {
    {"BTC/USDT", NULL, 2, "BTCUSDT"},  {"BTC/USDT", "KRAKEN", 1, "XBT/USDT"},
    {"ETH/USDT", NULL, 0, "ETHUSDT"},  {"SOL/USDT", "SIM", 0, "SOLUSDT"},
    {"BTC/USDT", "SIM", 0, "BTC-SIM"},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static struct fb_venue_market markets[NROUTES];
static struct fb_route_table *table;
static struct fb_tr_env env;

#define NOW_NS INT64_C(1704067200000000000) /* 2024-01-01T00:00:00Z */

static struct fb_dec dec(const char *s)
{
    struct fb_dec d = fb_dec_zero();
    if (s != NULL)
        ck_assert_int_eq(fb_dec_parse_str(s, &d), FB_OK);
    return d;
}

static void setup(void)
{
    char err[128];
    ck_assert_int_eq(fb_route_table_new(routes, NROUTES, 3, &table, err, sizeof err), FB_OK);
    memset(markets, 0, sizeof markets);
    /* BTCUSDT on binance. */
    markets[0].tick_size = dec("0.01");
    markets[0].step_size = dec("0.001");
    markets[0].min_qty = dec("0.002");
    markets[0].max_qty = dec("9000");
    markets[0].min_notional = dec("10");
    /* XBT/USDT on kraken. */
    markets[1].tick_size = dec("0.1");
    markets[1].step_size = dec("0.0001");
    /* ETHUSDT, SOLUSDT, BTC-SIM: no limits known. */
    memset(&env, 0, sizeof env);
    env.routes = table;
    env.venues = venues;
    env.venue_count = 3;
    env.markets = markets;
    env.market_count = NROUTES;
    env.now_ns = NOW_NS;
    env.session = 7;
}

static void teardown(void)
{
    fb_route_table_free(table);
    table = NULL;
}

/* ---- expectations ---- */

enum { NOSIDE = -1 };

struct want {
    const char *cl_ord_id;
    const char *orig_cl_ord_id;
    const char *order_id;
    const char *account;
    const char *symbol;
    const char *text;
    int side; /* enum fb_side, or NOSIDE (mass requests without Side) */
    size_t venue;
    const char *venue_symbol;
    enum fb_ord_type ord_type;
    enum fb_tif tif;
    const char *qty;
    const char *price;
    const char *stop_px;
    const char *max_floor;
    const char *cash_qty;
    int post_only;
    int64_t expire_ns;
    int poss_resend;
    const char *ord_status_req_id;
    const char *mass_status_req_id;
    enum fb_mass_scope scope;
};

struct tr_case {
    const char *name;
    enum fb_fix_version ver;
    const char *msg_type;
    const char *fields;
    enum fb_tr_kind kind;
    /* accepted */
    struct want w;
    /* rejected (text != NULL) */
    const char *text;
    enum fb_tr_channel ch;
    int reason;
    int ref_tag;
    int resp_to;
};

#define V44 FB_FIX_44
#define V42 FB_FIX_42
#define TT "|60=20240101-00:00:00"
/* Bases. Rows prefix overrides ("44=~|" removes Price). */
#define D_LIM "11=C1|54=1|55=BTC/USDT|40=2|38=0.5|44=65000.01|59=1" TT
#define D_LIM42 "21=1|" D_LIM
#define D_MKT "11=C2|54=2|55=BTC/USDT|40=1|38=0.25|59=3" TT
#define F_BASE "11=X1|41=C1|54=1|55=BTC/USDT" TT
#define G_BASE "11=C1b|41=C1|" D_LIM
#define H_BASE "11=C1|54=1|55=BTC/USDT"
#define Q_BASE "11=M1" TT
#define AF_BASE "584=S1"

#define ACCEPT(kind_, ...) .kind = kind_, .w = {__VA_ARGS__}
#define REJECT(kind_, ch_, reason_, ref_, text_)                                                   \
    .kind = kind_, .ch = ch_, .reason = reason_, .ref_tag = ref_, .text = text_
#define NEW_REJ(reason_, ref_, text_)                                                              \
    REJECT(FB_TR_NEW_ORDER, FB_TR_CH_EXEC_REPORT, reason_, ref_, text_)
#define SESS(kind_, reason_, ref_, text_) REJECT(kind_, FB_TR_CH_SESSION, reason_, ref_, text_)

static const struct tr_case cases[] = {
    /* ---------------- D accepted ---------------- */
    {"D limit GTC", V44, "D", D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01")},
    {"D 4.2 limit GTC", V42, "D", D_LIM42,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01")},
    {"D market sell IOC", V44, "D", D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_IOC,
            .qty = "0.25")},
    {"D 4.2 market HandlInst 2", V42, "D", "21=2|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_IOC,
            .qty = "0.25")},
    {"D stop", V44, "D",
     "40=3|44=~|99=60000"
     "|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_STOP, .tif = FB_TIF_GTC,
            .qty = "0.5", .stop_px = "60000")},
    {"D stop limit FOK", V44, "D", "40=4|44=59990|99=60000|59=4|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_STOP_LIMIT, .tif = FB_TIF_FOK,
            .qty = "0.5", .price = "59990", .stop_px = "60000")},
    /* OrdType J (market if touched) is a take-profit: StopPx is its
     * trigger; with Price it is a take-profit-limit. */
    {"D take-profit (J)", V44, "D", "40=J|44=~|99=70000|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_TAKE_PROFIT,
            .tif = FB_TIF_GTC, .qty = "0.5", .stop_px = "70000")},
    {"D take-profit-limit (J + Price)", V44, "D", "40=J|44=70010|99=70000|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_TAKE_PROFIT_LIMIT,
            .tif = FB_TIF_GTC, .qty = "0.5", .price = "70010", .stop_px = "70000")},
    {"D 4.2 take-profit (J)", V42, "D", "40=J|44=~|99=70000|54=2|" D_LIM42,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_TAKE_PROFIT,
            .tif = FB_TIF_GTC, .qty = "0.5", .stop_px = "70000")},
    {"D take-profit-limit iceberg", V44, "D", "40=J|44=70010|99=70000|111=0.1|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_TAKE_PROFIT_LIMIT,
            .tif = FB_TIF_GTC, .qty = "0.5", .price = "70010", .stop_px = "70000",
            .max_floor = "0.1")},
    {"D GTD with ExpireTime (ms) on sim", V44, "D",
     "55=ETH/USDT|59=6|126=20240102-00:00:00.500|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "ETH/USDT", .side = FB_SIDE_BUY,
            .venue = 0, .venue_symbol = "ETHUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTD,
            .qty = "0.5", .price = "65000.01", .expire_ns = INT64_C(1704153600500000000))},
    {"D 4.2 GTD on kraken", V42, "D", "100=KRAKEN|44=65000.1|59=6|126=20240101-00:00:01|" D_LIM42,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 1, .venue_symbol = "XBT/USDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTD,
            .qty = "0.5", .price = "65000.1", .expire_ns = INT64_C(1704067201000000000))},
    {"D post-only", V44, "D", "18=6|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01", .post_only = 1)},
    {"D post-only repeated value", V42, "D", "18=6 6|" D_LIM42,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01", .post_only = 1)},
    {"D iceberg", V44, "D", "111=0.1|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01", .max_floor = "0.1")},
    {"D MaxFloor equal to OrderQty is a plain order", V44, "D",
     "100=KRAKEN|44=65000.1|111=0.5|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 1, .venue_symbol = "XBT/USDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.1")},
    {"D cash quantity market", V44, "D", "38=~|152=100|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_IOC,
            .cash_qty = "100")},
    {"D absent TimeInForce is Day (sim)", V44, "D", "55=ETH/USDT|59=~|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "ETH/USDT", .side = FB_SIDE_BUY,
            .venue = 0, .venue_symbol = "ETHUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_DAY,
            .qty = "0.5", .price = "65000.01")},
    {"D account, text, PossResend, HandlInst 3 in 4.4", V44, "D",
     "1=ACC1|58=hello desk|97=Y|21=3|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01", .account = "ACC1", .text = "hello desk",
            .poss_resend = 1)},
    {"D ExDestination SIM", V44, "D", "100=SIM|44=1.23456789|38=0.000001|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 0, .venue_symbol = "BTC-SIM", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.000001", .price = "1.23456789")},
    {"D TransactTime with ns", V44, "D", "60=20240101-00:00:00.123456789|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01")},

    /* ---------------- D refused: FIX-level ---------------- */
    {"D Side 5", V44, "D", "54=5|" D_LIM, NEW_REJ(11, 54, "Side 5 (sell short) not supported")},
    {"D 4.2 Side 5", V42, "D", "54=5|" D_LIM42,
     NEW_REJ(0, 54, "Side 5 (sell short) not supported")},
    {"D Side 6", V44, "D", "54=6|" D_LIM,
     NEW_REJ(11, 54, "Side 6 (sell short exempt) not supported")},
    {"D Side Z undefined", V44, "D", "54=Z|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 5, 54, "Value 'Z' is not valid for Side (54)")},
    {"D ClOrdID missing", V44, "D", "11=~|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 1, 11, "Required tag 11 (ClOrdID) missing")},
    {"D TransactTime missing", V44, "D", "60=~|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 1, 60, "Required tag 60 (TransactTime) missing")},
    {"D 4.2 HandlInst missing", V42, "D", D_LIM,
     SESS(FB_TR_NEW_ORDER, 1, 21, "Required tag 21 (HandlInst) missing")},
    {"D HandlInst 4", V44, "D", "21=4|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 5, 21, "Value '4' is not valid for HandlInst (21)")},
    {"D empty Account", V44, "D", "1=|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 4, 1, "Tag 1 (Account) has no value")},
    {"D OrdType P", V44, "D", "40=P|" D_LIM, NEW_REJ(11, 40, "OrdType P (pegged) not supported")},
    {"D 4.2 OrdType 5", V42, "D", "40=5|" D_LIM42,
     NEW_REJ(0, 40, "OrdType 5 (market on close) not supported")},
    {"D OrdType Q undefined", V44, "D", "40=Q|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 5, 40, "Value 'Q' is not valid for OrdType (40)")},
    {"D TimeInForce 2", V44, "D", "59=2|" D_LIM,
     NEW_REJ(11, 59, "TimeInForce 2 (at the opening) not supported")},
    {"D TimeInForce 7", V44, "D", "59=7|" D_LIM,
     NEW_REJ(11, 59, "TimeInForce 7 (at the close) not supported")},
    {"D TimeInForce 9 undefined", V44, "D", "59=9|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 5, 59, "Value '9' is not valid for TimeInForce (59)")},
    {"D limit without Price", V44, "D", "44=~|" D_LIM,
     NEW_REJ(99, 44, "Price (44) is required for OrdType 2 (limit)")},
    {"D 4.2 limit without Price", V42, "D", "44=~|" D_LIM42,
     NEW_REJ(0, 44, "Price (44) is required for OrdType 2 (limit)")},
    {"D stop limit without Price", V44, "D", "40=4|44=~|99=60000|" D_LIM,
     NEW_REJ(99, 44, "Price (44) is required for OrdType 4 (stop limit)")},
    {"D market with Price", V44, "D", "44=65000|" D_MKT,
     NEW_REJ(99, 44, "Price (44) is not allowed on OrdType 1 (market)")},
    {"D stop without StopPx", V44, "D", "40=3|44=~|" D_LIM,
     NEW_REJ(99, 99, "StopPx (99) is required for OrdType 3 (stop)")},
    {"D take-profit without StopPx", V44, "D", "40=J|44=~|" D_LIM,
     NEW_REJ(99, 99, "StopPx (99) is required for OrdType J (market if touched)")},
    {"D take-profit-limit without StopPx", V44, "D", "40=J|" D_LIM,
     NEW_REJ(99, 99, "StopPx (99) is required for OrdType J (limit if touched)")},
    {"D take-profit with CashOrderQty", V44, "D", "40=J|44=~|38=~|152=100|99=70000|" D_LIM,
     NEW_REJ(11, 152,
             "CashOrderQty (152) is only supported on OrdType 1 (market), not J (market if "
             "touched)")},
    {"D post-only take-profit-limit", V44, "D", "18=6|40=J|99=70000|" D_LIM,
     NEW_REJ(11, 18, "ExecInst 6 (post-only) is not allowed on OrdType J (limit if touched)")},
    {"D MaxFloor on take-profit", V44, "D", "40=J|44=~|99=70000|111=0.1|" D_LIM,
     NEW_REJ(11, 111, "MaxFloor (111) is not allowed on OrdType J (market if touched)")},
    {"D limit with StopPx", V44, "D", "99=60000|" D_LIM,
     NEW_REJ(99, 99, "StopPx (99) is not allowed on OrdType 2 (limit)")},
    {"D Price not a decimal", V44, "D", "44=abc|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 6, 44, "Price (44) 'abc' is not a decimal")},
    {"D Price with exponent", V44, "D", "44=6.5e4|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 6, 44, "Price (44) '6.5e4' is not a decimal")},
    {"D OrderQty too large for a decimal", V44, "D", "38=1000000000000000000000|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 5, 38, "OrderQty (38) '1000000000000000000000' is out of range")},
    {"D TransactTime malformed", V44, "D", "60=2024-01-01T00:00:00|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 6, 60,
          "TransactTime (60) '2024-01-01T00:00:00' is not a UTC "
          "timestamp")},
    {"D PossResend X", V44, "D", "97=X|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 5, 97, "Value 'X' is not valid for PossResend (97)")},
    {"D OrderQty zero", V44, "D", "38=0|" D_LIM, NEW_REJ(13, 38, "OrderQty 0 must be positive")},
    {"D OrderQty negative", V44, "D", "38=-1|" D_LIM,
     NEW_REJ(13, 38, "OrderQty -1 must be positive")},
    {"D 4.2 OrderQty zero", V42, "D", "38=0.000|" D_LIM42,
     NEW_REJ(0, 38, "OrderQty 0.000 must be positive")},
    {"D both OrderQty and CashOrderQty", V44, "D", "152=100|" D_MKT,
     NEW_REJ(13, 152, "OrderQty (38) and CashOrderQty (152) are mutually exclusive")},
    {"D neither OrderQty nor CashOrderQty", V44, "D", "38=~|" D_LIM,
     NEW_REJ(99, 38, "OrderQty (38) or CashOrderQty (152) is required")},
    {"D CashOrderQty on limit", V44, "D", "38=~|152=100|" D_LIM,
     NEW_REJ(11, 152, "CashOrderQty (152) is only supported on OrdType 1 (market), not 2 (limit)")},
    {"D CashOrderQty zero", V44, "D", "38=~|152=0|" D_MKT,
     NEW_REJ(13, 152, "CashOrderQty 0 must be positive")},
    {"D MaxFloor above OrderQty", V44, "D", "111=1|" D_LIM,
     NEW_REJ(13, 111, "MaxFloor 1 exceeds OrderQty 0.5")},
    {"D MaxFloor on market", V44, "D", "111=0.1|" D_MKT,
     NEW_REJ(11, 111, "MaxFloor (111) is not allowed on OrdType 1 (market)")},
    {"D MaxFloor zero", V44, "D", "111=0|" D_LIM, NEW_REJ(13, 111, "MaxFloor 0 must be positive")},
    {"D GTD without ExpireTime", V44, "D", "59=6|55=ETH/USDT|" D_LIM,
     NEW_REJ(99, 126, "ExpireTime (126) is required for TimeInForce 6 (GTD)")},
    {"D ExpireTime in the past", V44, "D", "59=6|55=ETH/USDT|126=20231231-23:59:59|" D_LIM,
     NEW_REJ(99, 126, "ExpireTime 20231231-23:59:59 is in the past")},
    {"D ExpireTime equal to now", V44, "D", "59=6|55=ETH/USDT|126=20240101-00:00:00|" D_LIM,
     NEW_REJ(99, 126, "ExpireTime 20240101-00:00:00 is in the past")},
    {"D ExpireTime with GTC", V44, "D", "126=20240102-00:00:00|" D_LIM,
     NEW_REJ(99, 126, "ExpireTime (126) is only valid with TimeInForce 6 (GTD)")},
    {"D ExpireTime malformed", V44, "D", "59=6|126=20240230-00:00:00|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 6, 126,
          "ExpireTime (126) '20240230-00:00:00' is not a UTC "
          "timestamp")},
    {"D post-only market", V44, "D", "18=6|59=~|" D_MKT,
     NEW_REJ(11, 18, "ExecInst 6 (post-only) is not allowed on OrdType 1 (market)")},
    {"D post-only stop limit", V44, "D", "18=6|40=4|99=60000|" D_LIM,
     NEW_REJ(11, 18, "ExecInst 6 (post-only) is not allowed on OrdType 4 (stop limit)")},
    {"D post-only IOC", V44, "D", "18=6|59=3|" D_LIM,
     NEW_REJ(11, 18, "ExecInst 6 (post-only) is not allowed with TimeInForce 3 (IOC)")},
    {"D post-only FOK", V44, "D", "18=6|59=4|" D_LIM,
     NEW_REJ(11, 18, "ExecInst 6 (post-only) is not allowed with TimeInForce 4 (FOK)")},
    {"D ExecInst G", V44, "D", "18=G|" D_LIM,
     NEW_REJ(11, 18, "ExecInst G not supported (only 6, participate don't initiate)")},
    {"D ExecInst 6 and E", V44, "D", "18=6 E|" D_LIM,
     NEW_REJ(11, 18, "ExecInst E not supported (only 6, participate don't initiate)")},
    {"D ExecInst multi-char value", V44, "D", "18=66|" D_LIM,
     NEW_REJ(11, 18, "ExecInst 66 not supported (only 6, participate don't initiate)")},
    {"D ExecInst double space", V44, "D", "18=6  6|" D_LIM,
     SESS(FB_TR_NEW_ORDER, 6, 18, "ExecInst (18) '6  6' is not a space-separated list")},
    {"D ExecInst trailing space", V44, "D", "18=6 |" D_LIM,
     SESS(FB_TR_NEW_ORDER, 6, 18, "ExecInst (18) '6 ' is not a space-separated list")},
    {"D ClOrdID too long", V44, "D",
     "11=12345678901234567890123456789012345678901234567890123456789012345|" D_LIM,
     NEW_REJ(99, 11, "ClOrdID (11) is longer than 64 characters")},

    /* ---------------- D refused: routing ---------------- */
    {"D unknown symbol", V44, "D", "55=DOGE/USDT|" D_LIM,
     NEW_REJ(1, 55, "Unknown symbol DOGE/USDT")},
    {"D 4.2 unknown symbol", V42, "D", "55=DOGE/USDT|" D_LIM42,
     NEW_REJ(1, 55, "Unknown symbol DOGE/USDT")},
    {"D ExDestination without route", V44, "D", "100=XNYS|" D_LIM,
     NEW_REJ(0, 100, "ExDestination XNYS has no route for BTC/USDT")},
    {"D symbol without default route", V44, "D", "55=SOL/USDT|" D_LIM,
     NEW_REJ(0, 100, "Symbol SOL/USDT has no default route; ExDestination (100) is required")},

    {"D SecurityExchange agrees with ExDestination", V44, "D",
     "100=KRAKEN|207=KRAKEN|"
     "44=65000.1|15=USDT|" D_LIM,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 1, .venue_symbol = "XBT/USDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.1")},
    {"D 4.2 SecurityExchange names the default route's venue", V42, "D", "207=binance|" D_LIM42,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC,
            .qty = "0.5", .price = "65000.01")},
    {"D SecurityExchange disagrees", V44, "D", "207=kraken|" D_LIM,
     NEW_REJ(1, 207, "SecurityExchange kraken does not match the route for BTC/USDT (binance)")},
    {"D Currency not the quote currency", V44, "D", "15=EUR|" D_LIM,
     NEW_REJ(11, 15, "Currency EUR is not the quote currency of BTC/USDT")},
    {"D trading sessions", V44, "D", "386=1|" D_LIM,
     NEW_REJ(11, 386, "NoTradingSessions (386) not supported: venues trade continuously")},
    {"G trading sessions", V44, "G", "386=1|" G_BASE,
     REJECT(FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 2, 386,
            "NoTradingSessions (386) not supported: venues trade continuously"),
     .resp_to = 2},

    /* Market orders execute at once: Day (or 59 absent) needs no Day TIF
     * from the venue, on Binance-like and Kraken-like venues alike. */
    {"D market Day on binance", V44, "D", "59=0|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_DAY,
            .qty = "0.25")},
    {"D market absent TimeInForce on binance", V44, "D", "59=~|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_DAY,
            .qty = "0.25")},
    {"D 4.2 market absent TimeInForce on binance", V42, "D", "21=2|59=~|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_DAY,
            .qty = "0.25")},
    {"D market Day on kraken", V44, "D", "100=KRAKEN|59=~|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 1, .venue_symbol = "XBT/USDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_DAY,
            .qty = "0.25")},
    {"D market IOC on kraken", V44, "D", "100=KRAKEN|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 1, .venue_symbol = "XBT/USDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_IOC,
            .qty = "0.25")},
    /* FOK passes here on a venue with FOK: the policy may cap it as a FOK
     * limit; sent as a market order, the adapter decides (RoE). */
    {"D market FOK on binance", V44, "D", "59=4|" D_MKT,
     ACCEPT(FB_TR_NEW_ORDER, .cl_ord_id = "C2", .symbol = "BTC/USDT", .side = FB_SIDE_SELL,
            .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_MARKET, .tif = FB_TIF_FOK,
            .qty = "0.25")},

    /* ---------------- D refused: venue capabilities ---------------- */
    {"D market FOK on kraken", V44, "D", "100=KRAKEN|59=4|" D_MKT,
     NEW_REJ(11, 59, "TimeInForce 4 (FOK) not supported by venue kraken")},
    {"D market GTD on binance", V44, "D", "59=6|126=20240102-00:00:00|" D_MKT,
     NEW_REJ(11, 59, "TimeInForce 6 (GTD) not supported by venue binance")},
    /* Day still matters where the order can rest. */
    {"D stop Day on binance", V44, "D", "40=3|44=~|99=60000|59=0|" D_LIM,
     NEW_REJ(11, 59, "TimeInForce 0 (Day) not supported by venue binance")},
    {"D Day on binance", V44, "D", "59=~|" D_LIM,
     NEW_REJ(11, 59, "TimeInForce 0 (Day) not supported by venue binance")},
    {"D GTD on binance", V44, "D", "59=6|126=20240102-00:00:00|" D_LIM,
     NEW_REJ(11, 59, "TimeInForce 6 (GTD) not supported by venue binance")},
    {"D FOK on kraken", V44, "D", "100=KRAKEN|59=4|" D_LIM,
     NEW_REJ(11, 59, "TimeInForce 4 (FOK) not supported by venue kraken")},
    {"D 4.2 FOK on kraken", V42, "D", "100=KRAKEN|59=4|" D_LIM42,
     NEW_REJ(0, 59, "TimeInForce 4 (FOK) not supported by venue kraken")},
    {"D stop on kraken", V44, "D", "100=KRAKEN|40=3|44=~|99=60000|" D_LIM,
     NEW_REJ(11, 40, "OrdType 3 (stop) not supported by venue kraken")},
    {"D take-profit on kraken", V44, "D", "100=KRAKEN|40=J|44=~|99=70000|" D_LIM,
     NEW_REJ(11, 40, "OrdType J (market if touched) not supported by venue kraken")},
    {"D take-profit-limit on kraken", V44, "D", "100=KRAKEN|40=J|99=70000|" D_LIM,
     NEW_REJ(11, 40, "OrdType J (limit if touched) not supported by venue kraken")},
    {"D take-profit Day on binance", V44, "D", "40=J|44=~|99=70000|59=0|" D_LIM,
     NEW_REJ(11, 59, "TimeInForce 0 (Day) not supported by venue binance")},
    {"D post-only on kraken", V44, "D", "100=KRAKEN|18=6|" D_LIM,
     NEW_REJ(11, 18, "ExecInst 6 (post-only) not supported by venue kraken")},
    {"D iceberg on kraken", V44, "D", "100=KRAKEN|44=65000.1|111=0.1|" D_LIM,
     NEW_REJ(11, 111, "MaxFloor (111) (iceberg) not supported by venue kraken")},
    {"D cash quantity on kraken", V44, "D", "100=KRAKEN|38=~|152=100|" D_MKT,
     NEW_REJ(11, 152, "CashOrderQty (152) not supported by venue kraken")},

    /* ---------------- D refused: market rules ---------------- */
    {"D Price off tick", V44, "D", "44=65000.005|" D_LIM,
     NEW_REJ(99, 44, "Price 65000.005 is not a multiple of tick size 0.01 for BTCUSDT")},
    {"D 4.2 Price off tick", V42, "D", "44=65000.005|" D_LIM42,
     NEW_REJ(0, 44, "Price 65000.005 is not a multiple of tick size 0.01 for BTCUSDT")},
    {"D Price off kraken tick", V44, "D", "100=KRAKEN|" D_LIM,
     NEW_REJ(99, 44, "Price 65000.01 is not a multiple of tick size 0.1 for XBT/USDT")},
    {"D StopPx off tick", V44, "D", "40=4|44=59990|99=60000.001|" D_LIM,
     NEW_REJ(99, 99, "StopPx 60000.001 is not a multiple of tick size 0.01 for BTCUSDT")},
    {"D Price zero", V44, "D", "44=0|" D_LIM, NEW_REJ(99, 44, "Price 0 must be positive")},
    {"D Price negative", V44, "D", "44=-65000|" D_LIM,
     NEW_REJ(99, 44, "Price -65000 must be positive")},
    {"D OrderQty more decimals than step", V44, "D", "38=0.0025|" D_LIM,
     NEW_REJ(13, 38, "OrderQty 0.0025 is not a multiple of step size 0.001 for BTCUSDT")},
    {"D OrderQty below min", V44, "D", "38=0.001|" D_LIM,
     NEW_REJ(13, 38, "OrderQty 0.001 is below the minimum quantity 0.002 for BTCUSDT")},
    {"D OrderQty above max", V44, "D", "38=9000.001|" D_LIM,
     NEW_REJ(13, 38, "OrderQty 9000.001 is above the maximum quantity 9000 for BTCUSDT")},
    {"D MaxFloor off step", V44, "D", "111=0.0001|" D_LIM,
     NEW_REJ(13, 111, "MaxFloor 0.0001 is not a multiple of step size 0.001 for BTCUSDT")},
    {"D notional below minimum", V44, "D", "38=0.002|44=1000|" D_LIM,
     NEW_REJ(13, 38,
             "Notional 2 (OrderQty 0.002 x Price 1000) is below the minimum notional 10 "
             "for BTCUSDT")},
    {"D cash below minimum notional", V44, "D", "38=~|152=5|" D_MKT,
     NEW_REJ(13, 152, "CashOrderQty 5 is below the minimum notional 10 for BTCUSDT")},

    /* ---------------- F ---------------- */
    {"F cancel", V44, "F", "37=V9|58=oops|" F_BASE,
     ACCEPT(FB_TR_CANCEL, .cl_ord_id = "X1", .orig_cl_ord_id = "C1", .order_id = "V9",
            .symbol = "BTC/USDT", .side = FB_SIDE_BUY, .text = "oops")},
    {"F 4.2 cancel", V42, "F", "54=2|" F_BASE,
     ACCEPT(FB_TR_CANCEL, .cl_ord_id = "X1", .orig_cl_ord_id = "C1", .symbol = "BTC/USDT",
            .side = FB_SIDE_SELL)},
    {"F cancel of an unknown symbol is the engine's call", V44, "F", "55=DOGE/USDT|" F_BASE,
     ACCEPT(FB_TR_CANCEL, .cl_ord_id = "X1", .orig_cl_ord_id = "C1", .symbol = "DOGE/USDT",
            .side = FB_SIDE_BUY)},
    {"F OrigClOrdID missing", V44, "F", "41=~|" F_BASE,
     SESS(FB_TR_CANCEL, 1, 41, "Required tag 41 (OrigClOrdID) missing")},
    {"F 4.2 TransactTime missing", V42, "F", "60=~|" F_BASE,
     SESS(FB_TR_CANCEL, 1, 60, "Required tag 60 (TransactTime) missing")},
    {"F Side 5", V44, "F", "54=5|" F_BASE,
     REJECT(FB_TR_CANCEL, FB_TR_CH_CANCEL_REJECT, 2, 54, "Side 5 (sell short) not supported"),
     .resp_to = 1},
    {"F OrigClOrdID too long", V44, "F",
     "41=12345678901234567890123456789012345678901234567890123456789012345|" F_BASE,
     REJECT(FB_TR_CANCEL, FB_TR_CH_CANCEL_REJECT, 99, 41,
            "OrigClOrdID (41) is longer than 64 characters"),
     .resp_to = 1},
    {"F 4.2 OrigClOrdID too long", V42, "F",
     "41=12345678901234567890123456789012345678901234567890123456789012345|" F_BASE,
     REJECT(FB_TR_CANCEL, FB_TR_CH_CANCEL_REJECT, 2, 41,
            "OrigClOrdID (41) is longer than 64 characters"),
     .resp_to = 1},

    /* ---------------- G ---------------- */
    {"G replace price and qty", V44, "G", "37=V9|38=0.7|44=64000|" G_BASE,
     ACCEPT(FB_TR_REPLACE, .cl_ord_id = "C1b", .orig_cl_ord_id = "C1", .order_id = "V9",
            .symbol = "BTC/USDT", .side = FB_SIDE_BUY, .venue = 2, .venue_symbol = "BTCUSDT",
            .ord_type = FB_ORD_LIMIT, .tif = FB_TIF_GTC, .qty = "0.7", .price = "64000")},
    {"G 4.2 replace", V42, "G", "21=1|" G_BASE,
     ACCEPT(FB_TR_REPLACE, .cl_ord_id = "C1b", .orig_cl_ord_id = "C1", .symbol = "BTC/USDT",
            .side = FB_SIDE_BUY, .venue = 2, .venue_symbol = "BTCUSDT", .ord_type = FB_ORD_LIMIT,
            .tif = FB_TIF_GTC, .qty = "0.5", .price = "65000.01")},
    {"G 4.2 HandlInst missing", V42, "G", G_BASE,
     SESS(FB_TR_REPLACE, 1, 21, "Required tag 21 (HandlInst) missing")},
    {"G on a venue that cannot replace", V44, "G", "100=KRAKEN|44=65000.1|" G_BASE,
     REJECT(FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 2, 0,
            "OrderCancelReplaceRequest (G) not supported by venue kraken"),
     .resp_to = 2},
    {"G Price off tick", V44, "G", "44=65000.005|" G_BASE,
     REJECT(FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 99, 44,
            "Price 65000.005 is not a multiple of tick size 0.01 for BTCUSDT"),
     .resp_to = 2},
    {"G 4.2 Price off tick", V42, "G", "21=1|44=65000.005|" G_BASE,
     REJECT(FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 2, 44,
            "Price 65000.005 is not a multiple of tick size 0.01 for BTCUSDT"),
     .resp_to = 2},
    {"G OrderQty zero", V44, "G", "38=0|" G_BASE,
     REJECT(FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 99, 38, "OrderQty 0 must be positive"),
     .resp_to = 2},
    {"G unknown symbol", V44, "G", "55=DOGE/USDT|" G_BASE,
     REJECT(FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 99, 55, "Unknown symbol DOGE/USDT"),
     .resp_to = 2},
    {"G TimeInForce 2", V44, "G", "59=2|" G_BASE,
     REJECT(FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 2, 59,
            "TimeInForce 2 (at the opening) not supported"),
     .resp_to = 2},

    /* ---------------- H ---------------- */
    {"H status", V44, "H", "37=V9|790=R1|" H_BASE,
     ACCEPT(FB_TR_STATUS, .cl_ord_id = "C1", .order_id = "V9", .ord_status_req_id = "R1",
            .symbol = "BTC/USDT", .side = FB_SIDE_BUY)},
    /* OrdStatusReqID is a 4.4 field: a 4.2 message's copy is not read. */
    {"H 4.2 status", V42, "H", "790=R1|" H_BASE,
     ACCEPT(FB_TR_STATUS, .cl_ord_id = "C1", .symbol = "BTC/USDT", .side = FB_SIDE_BUY)},
    {"H Symbol missing", V44, "H", "55=~|" H_BASE,
     SESS(FB_TR_STATUS, 1, 55, "Required tag 55 (Symbol) missing")},
    {"H Side 5", V44, "H", "54=5|" H_BASE,
     REJECT(FB_TR_STATUS, FB_TR_CH_STATUS_REJECT, 11, 54, "Side 5 (sell short) not supported")},
    {"H 4.2 Side 5", V42, "H", "54=5|" H_BASE,
     REJECT(FB_TR_STATUS, FB_TR_CH_STATUS_REJECT, 0, 54, "Side 5 (sell short) not supported")},

    /* ---------------- q ---------------- */
    {"q cancel all", V44, "q", "530=7|58=eod|" Q_BASE,
     ACCEPT(FB_TR_MASS_CANCEL, .cl_ord_id = "M1", .scope = FB_MASS_ALL, .side = NOSIDE,
            .text = "eod")},
    {"q cancel one symbol, sells", V44, "q", "530=1|55=BTC/USDT|54=2|" Q_BASE,
     ACCEPT(FB_TR_MASS_CANCEL, .cl_ord_id = "M1", .scope = FB_MASS_SYMBOL, .symbol = "BTC/USDT",
            .side = FB_SIDE_SELL)},
    {"q 4.2 is not a message type", V42, "q", "530=7|" Q_BASE,
     SESS(FB_TR_MASS_CANCEL, 11, 35, "MsgType q is not defined in FIX 4.2")},
    {"q symbol routed only by ExDestination", V44, "q", "530=1|55=SOL/USDT|" Q_BASE,
     ACCEPT(FB_TR_MASS_CANCEL, .cl_ord_id = "M1", .scope = FB_MASS_SYMBOL, .symbol = "SOL/USDT",
            .side = NOSIDE)},
    {"q security without Symbol", V44, "q", "530=1|" Q_BASE,
     REJECT(FB_TR_MASS_CANCEL, FB_TR_CH_MASS_CANCEL, 99, 55,
            "MassCancelRequestType 1 (cancel orders for a security) requires Symbol (55)")},
    {"q unknown symbol", V44, "q", "530=1|55=DOGE/USDT|" Q_BASE,
     REJECT(FB_TR_MASS_CANCEL, FB_TR_CH_MASS_CANCEL, 1, 55, "Unknown symbol DOGE/USDT")},
    {"q by product", V44, "q", "530=3|" Q_BASE,
     REJECT(FB_TR_MASS_CANCEL, FB_TR_CH_MASS_CANCEL, 0, 530,
            "MassCancelRequestType 3 (cancel orders for a product) not supported")},
    {"q all with Symbol", V44, "q", "530=7|55=BTC/USDT|" Q_BASE,
     REJECT(FB_TR_MASS_CANCEL, FB_TR_CH_MASS_CANCEL, 0, 55,
            "Symbol (55) is not allowed with MassCancelRequestType 7 (cancel all orders)")},
    {"q type 9 undefined", V44, "q", "530=9|" Q_BASE,
     SESS(FB_TR_MASS_CANCEL, 5, 530, "Value '9' is not valid for MassCancelRequestType (530)")},
    {"q type missing", V44, "q", Q_BASE,
     SESS(FB_TR_MASS_CANCEL, 1, 530, "Required tag 530 (MassCancelRequestType) missing")},
    {"q Side 5", V44, "q", "530=7|54=5|" Q_BASE,
     REJECT(FB_TR_MASS_CANCEL, FB_TR_CH_MASS_CANCEL, 0, 54, "Side 5 (sell short) not supported")},

    /* ---------------- AF ---------------- */
    {"AF all orders of an account", V44, "AF", "585=7|1=ACC1|" AF_BASE,
     ACCEPT(FB_TR_MASS_STATUS, .mass_status_req_id = "S1", .scope = FB_MASS_ALL, .account = "ACC1",
            .side = NOSIDE)},
    {"AF 4.2 is not a message type", V42, "AF", "585=7|" AF_BASE,
     SESS(FB_TR_MASS_STATUS, 11, 35, "MsgType AF is not defined in FIX 4.2")},
    {"AF one symbol, buys", V44, "AF", "585=1|55=ETH/USDT|54=1|" AF_BASE,
     ACCEPT(FB_TR_MASS_STATUS, .mass_status_req_id = "S1", .scope = FB_MASS_SYMBOL,
            .symbol = "ETH/USDT", .side = FB_SIDE_BUY)},
    {"AF by PartyID", V44, "AF", "585=8|" AF_BASE,
     REJECT(FB_TR_MASS_STATUS, FB_TR_CH_BUSINESS, 0, 585,
            "MassStatusReqType 8 (status for orders for a PartyID) not supported")},
    {"AF security without Symbol", V44, "AF", "585=1|" AF_BASE,
     REJECT(FB_TR_MASS_STATUS, FB_TR_CH_BUSINESS, 5, 55,
            "MassStatusReqType 1 (status for orders for a security) requires Symbol (55)")},
    {"AF unknown symbol", V44, "AF", "585=1|55=DOGE/USDT|" AF_BASE,
     REJECT(FB_TR_MASS_STATUS, FB_TR_CH_BUSINESS, 2, 55, "Unknown symbol DOGE/USDT")},
    {"AF MassStatusReqID missing", V44, "AF", "585=7",
     SESS(FB_TR_MASS_STATUS, 1, 584, "Required tag 584 (MassStatusReqID) missing")},

    /* ---------------- other message types ---------------- */
    {"E list order", V44, "E", "66=L1",
     REJECT(FB_TR_UNSUPPORTED, FB_TR_CH_BUSINESS, 3, 35, "MsgType E is not supported")},
    {"8 from the OMS", V42, "8", "37=X",
     REJECT(FB_TR_UNSUPPORTED, FB_TR_CH_BUSINESS, 3, 35, "MsgType 8 is not supported")},
};

/* ---- assertions ---- */

static void assert_dec(struct fb_dec got, const char *want, const char *what)
{
    char g[FB_DEC_STRMAX];
    fb_dec_format(got, g);
    ck_assert_msg(fb_dec_cmp(got, dec(want)) == 0, "%s: got %s, want %s", what, g,
                  want ? want : "0");
}

#define S(x) ((x) ? (x) : "")

static void assert_terms(const struct fb_order_terms *t, const struct want *w)
{
    ck_assert_int_eq(t->ord_type, w->ord_type);
    ck_assert_int_eq(t->tif, w->tif);
    assert_dec(t->qty, w->qty, "qty");
    assert_dec(t->price, w->price, "price");
    assert_dec(t->stop_px, w->stop_px, "stop_px");
    assert_dec(t->max_floor, w->max_floor, "max_floor");
    assert_dec(t->cash_qty, w->cash_qty, "cash_qty");
    ck_assert_int_eq(t->post_only, w->post_only);
    ck_assert_int_eq(t->expire_time_ns, w->expire_ns);
}

static void assert_side(int has, enum fb_side side, int want)
{
    if (want == NOSIDE) {
        ck_assert_int_eq(has, 0);
    } else {
        ck_assert_int_eq(has, 1);
        ck_assert_int_eq(side, want);
    }
}

static void assert_intent(const struct fb_tr_result *r, const struct want *w)
{
    switch (r->kind) {
    case FB_TR_NEW_ORDER: {
        const struct fb_new_order *o = &r->u.new_order;
        ck_assert_uint_eq(o->session, 7);
        ck_assert_str_eq(o->cl_ord_id, S(w->cl_ord_id));
        ck_assert_str_eq(o->account, S(w->account));
        ck_assert_str_eq(o->symbol, S(w->symbol));
        ck_assert_uint_eq(o->venue, w->venue);
        ck_assert_str_eq(o->venue_symbol, S(w->venue_symbol));
        ck_assert_int_eq(o->side, w->side);
        ck_assert_int_eq(o->poss_resend, w->poss_resend);
        ck_assert_str_eq(o->text, S(w->text));
        assert_terms(&o->terms, w);
        break;
    }
    case FB_TR_CANCEL: {
        const struct fb_cancel_order *c = &r->u.cancel;
        ck_assert_uint_eq(c->session, 7);
        ck_assert_str_eq(c->cl_ord_id, S(w->cl_ord_id));
        ck_assert_str_eq(c->orig_cl_ord_id, S(w->orig_cl_ord_id));
        ck_assert_str_eq(c->order_id, S(w->order_id));
        ck_assert_str_eq(c->symbol, S(w->symbol));
        ck_assert_int_eq(c->side, w->side);
        ck_assert_str_eq(c->text, S(w->text));
        break;
    }
    case FB_TR_REPLACE: {
        const struct fb_replace_order *g = &r->u.replace;
        ck_assert_uint_eq(g->session, 7);
        ck_assert_str_eq(g->cl_ord_id, S(w->cl_ord_id));
        ck_assert_str_eq(g->orig_cl_ord_id, S(w->orig_cl_ord_id));
        ck_assert_str_eq(g->order_id, S(w->order_id));
        ck_assert_str_eq(g->account, S(w->account));
        ck_assert_str_eq(g->symbol, S(w->symbol));
        ck_assert_int_eq(g->side, w->side);
        ck_assert_uint_eq(g->venue, w->venue);
        ck_assert_str_eq(g->venue_symbol, S(w->venue_symbol));
        ck_assert_str_eq(g->text, S(w->text));
        assert_terms(&g->terms, w);
        break;
    }
    case FB_TR_STATUS: {
        const struct fb_status_request *s = &r->u.status;
        ck_assert_uint_eq(s->session, 7);
        ck_assert_str_eq(s->cl_ord_id, S(w->cl_ord_id));
        ck_assert_str_eq(s->order_id, S(w->order_id));
        ck_assert_str_eq(s->ord_status_req_id, S(w->ord_status_req_id));
        ck_assert_str_eq(s->symbol, S(w->symbol));
        ck_assert_int_eq(s->side, w->side);
        break;
    }
    case FB_TR_MASS_CANCEL: {
        const struct fb_mass_cancel *m = &r->u.mass_cancel;
        ck_assert_uint_eq(m->session, 7);
        ck_assert_str_eq(m->cl_ord_id, S(w->cl_ord_id));
        ck_assert_int_eq(m->scope, w->scope);
        ck_assert_str_eq(m->symbol, S(w->symbol));
        assert_side(m->has_side, m->side, w->side);
        ck_assert_str_eq(m->text, S(w->text));
        break;
    }
    case FB_TR_MASS_STATUS: {
        const struct fb_mass_status *m = &r->u.mass_status;
        ck_assert_uint_eq(m->session, 7);
        ck_assert_str_eq(m->mass_status_req_id, S(w->mass_status_req_id));
        ck_assert_int_eq(m->scope, w->scope);
        ck_assert_str_eq(m->account, S(w->account));
        ck_assert_str_eq(m->symbol, S(w->symbol));
        assert_side(m->has_side, m->side, w->side);
        break;
    }
    case FB_TR_UNSUPPORTED:
    case FB_TR_KIND_LAST:
        ck_abort_msg("no intent for kind %d", r->kind);
    }
}

static const struct fb_tr_msg_tags *find_tags(const char *msg_type, enum fb_fix_version ver)
{
    size_t n;
    const struct fb_tr_msg_tags *t = fb_tr_tag_tables(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].msg_type, msg_type) == 0 && t[i].version == ver)
            return &t[i];
    return NULL;
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static struct fake_msg fm;
static struct fb_tr_result res;

START_TEST(translate_case)
{
    const struct tr_case *c = &cases[_i];
    struct fb_msg_view v;
    const struct fb_tr_msg_tags *tags;

    fake_parse(&fm, c->fields);
    v.ctx = &fm;
    v.get = fake_get;
    v.msg_type = c->msg_type;
    v.version = c->ver;
    memset(&res, 0x5a, sizeof res); /* translate must overwrite everything */
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert_int_eq(res.kind, c->kind);

    if (c->text != NULL) {
        ck_assert_msg(res.rejected, "%s: accepted, want reject \"%s\"", c->name, c->text);
        ck_assert_str_eq(res.rej.text, c->text);
        ck_assert_int_eq(res.rej.channel, c->ch);
        ck_assert_int_eq(res.rej.reason, c->reason);
        ck_assert_int_eq(res.rej.ref_tag, c->ref_tag);
        ck_assert_int_eq(res.rej.cxl_rej_response_to, c->resp_to);
        ck_assert_int_ne(res.rej.problem, FB_TRP_NONE);
        ck_assert_msg(all_zero(&res.u, sizeof res.u), "%s: a reject carries an intent", c->name);
    } else {
        ck_assert_msg(!res.rejected, "%s: rejected: %s", c->name, res.rej.text);
        ck_assert_int_eq(res.rej.problem, FB_TRP_NONE);
        ck_assert_str_eq(res.rej.text, "");
        assert_intent(&res, &c->w);
    }

    /* Only listed tags are read. */
    tags = find_tags(c->msg_type, c->ver);
    if (tags == NULL) {
        ck_assert_uint_eq(fm.nread, 0);
        return;
    }
    for (size_t i = 0; i < fm.nread; i++) {
        int listed = 0;
        for (size_t j = 0; j < tags->count; j++)
            listed |= tags->tags[j].tag == fm.read[i];
        ck_assert_msg(listed, "%s: read tag %d not in the %s table", c->name, fm.read[i],
                      c->msg_type);
    }
}
END_TEST

/* The echo identifies the message even when it is refused. */
START_TEST(echo_on_reject)
{
    struct fb_msg_view v = {&fm, fake_get, "D", FB_FIX_44};

    fake_parse(&fm, "1=ACC9|54=5|" D_LIM);
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert(res.rejected);
    ck_assert_str_eq(res.echo.cl_ord_id, "C1");
    ck_assert_str_eq(res.echo.symbol, "BTC/USDT");
    ck_assert_str_eq(res.echo.side, "5");
    ck_assert_str_eq(res.echo.account, "ACC9");
    ck_assert_str_eq(res.echo.orig_cl_ord_id, "");

    v.msg_type = "F";
    fake_parse(&fm, "41=~|" F_BASE);
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert(res.rejected);
    ck_assert_str_eq(res.echo.cl_ord_id, "X1");
}
END_TEST

/* ---- limits ---- */

struct ts_case {
    const char *s;
    enum fb_err err;
    int64_t ns;
};

static const struct ts_case ts_cases[] = {
    {"19700101-00:00:00", FB_OK, 0},
    {"20240101-00:00:00", FB_OK, NOW_NS},
    {"20240229-12:34:56", FB_OK, INT64_C(1709210096000000000)},
    {"20240101-00:00:00.1", FB_OK, NOW_NS + 100000000},
    {"20240101-00:00:00.000001", FB_OK, NOW_NS + 1000},
    {"20240101-00:00:00.000000001", FB_OK, NOW_NS + 1},
    {"20161231-23:59:60", FB_OK, INT64_C(1483228800000000000)}, /* leap second */
    {"22611231-23:59:59", FB_OK, INT64_C(9214646399000000000)},
    {"20240101-00:00:00.0000000001", FB_ERR_PARSE, 0}, /* 10 fractional digits */
    {"20240101-00:00:00.", FB_ERR_PARSE, 0},
    {"20240101-00:00:00Z", FB_ERR_PARSE, 0},
    {"20230229-00:00:00", FB_ERR_PARSE, 0},
    {"21000229-00:00:00", FB_ERR_PARSE, 0},
    {"20241301-00:00:00", FB_ERR_PARSE, 0},
    {"20240431-00:00:00", FB_ERR_PARSE, 0},
    {"20240101-24:00:00", FB_ERR_PARSE, 0},
    {"20240101-00:60:00", FB_ERR_PARSE, 0},
    {"20240101-00:00:61", FB_ERR_PARSE, 0},
    {"19691231-23:59:59", FB_ERR_PARSE, 0},
    {"22620101-00:00:00", FB_ERR_PARSE, 0},
    {"2024010-00:00:00", FB_ERR_PARSE, 0},
    {"20240101 00:00:00", FB_ERR_PARSE, 0},
    {"2024O101-00:00:00", FB_ERR_PARSE, 0},
    {"", FB_ERR_PARSE, 0},
};

START_TEST(utc_timestamp)
{
    const struct ts_case *c = &ts_cases[_i];
    int64_t ns = -1;
    ck_assert_int_eq(fb_tr_parse_utc_timestamp(c->s, &ns), c->err);
    if (c->err == FB_OK)
        ck_assert_int_eq(ns, c->ns);
}
END_TEST

/* One row: a D whose acceptance hinges on a boundary. */
struct edge_case {
    const char *name;
    const char *fields;
    int rejected;
};

static const struct edge_case edges[] = {
    {"ClOrdID of exactly 64",
     "11=1234567890123456789012345678901234567890123456789012345678901234|" D_LIM, 0},
    {"Account of 65", "1=12345678901234567890123456789012345678901234567890123456789012345|" D_LIM,
     1},
    {"ExpireTime 1 ns after now", "55=ETH/USDT|59=6|126=20240101-00:00:00.000000001|" D_LIM, 0},
    {"OrderQty exactly max", "38=9000|44=1|" D_LIM, 0},
    {"OrderQty exactly min", "38=0.002|44=5000|" D_LIM, 0},
    {"notional exactly min", "38=0.002|44=5000|" D_LIM, 0},
    {"notional just below min", "38=0.002|44=4999.99|" D_LIM, 1},
    {"MaxFloor one step below OrderQty", "111=0.499|" D_LIM, 0},
    {"MaxFloor one step above OrderQty", "111=0.501|" D_LIM, 1},
    {"CashOrderQty exactly min notional", "38=~|152=10|" D_MKT, 0},
    {"Price of 18 decimals on sim", "55=ETH/USDT|44=0.000000000000000001|" D_LIM, 0},
    {"Price of 19 decimals", "55=ETH/USDT|44=0.0000000000000000001|" D_LIM, 1},
    {"notional overflow", "55=ETH/USDT|38=99999999999999999999|44=99999999999999999999|" D_LIM,
     0}, /* no min notional on ETHUSDT: not computed */
};

START_TEST(edge)
{
    const struct edge_case *c = &edges[_i];
    struct fb_msg_view v = {&fm, fake_get, "D", FB_FIX_44};

    fake_parse(&fm, c->fields);
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert_msg(res.rejected == c->rejected, "%s: rejected=%d (%s)", c->name, res.rejected,
                  res.rej.text);
}
END_TEST

START_TEST(notional_overflow_is_refused)
{
    struct fb_msg_view v = {&fm, fake_get, "D", FB_FIX_44};

    fake_parse(&fm, "38=99999999999999999.999|44=99999999999999999.99|" D_LIM);
    markets[0].max_qty = fb_dec_zero();
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert(res.rejected);
    ck_assert_int_eq(res.rej.reason, 13);
    ck_assert_str_eq(res.rej.text,
                     "OrderQty 99999999999999999.999 x Price 99999999999999999.99 is out of range");
}
END_TEST

START_TEST(text_is_cut_not_refused)
{
    struct fb_msg_view v = {&fm, fake_get, "D", FB_FIX_44};
    static char fields[1024];
    char text[301];

    memset(text, 't', 300);
    text[300] = '\0';
    snprintf(fields, sizeof fields, "58=%s|%s", text, D_LIM);
    fake_parse(&fm, fields);
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert(!res.rejected);
    ck_assert_uint_eq(strlen(res.u.new_order.text), FB_TEXT_LEN);
}
END_TEST

START_TEST(no_markets_means_no_market_limits)
{
    struct fb_msg_view v = {&fm, fake_get, "D", FB_FIX_44};

    env.markets = NULL;
    fake_parse(&fm, "44=65000.005|38=0.0001|" D_LIM);
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert_msg(!res.rejected, "%s", res.rej.text);
    /* Fewer market entries than routes: the rest have no limits. */
    env.markets = markets;
    env.market_count = 0;
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_OK);
    ck_assert(!res.rejected);
}
END_TEST

START_TEST(bad_arguments_and_env)
{
    struct fb_msg_view v = {&fm, fake_get, "D", FB_FIX_44};

    fake_parse(&fm, D_LIM);
    ck_assert_int_eq(fb_translate(NULL, &v, &res), FB_ERR_INVALID);
    ck_assert_int_eq(fb_translate(&env, NULL, &res), FB_ERR_INVALID);
    ck_assert_int_eq(fb_translate(&env, &v, NULL), FB_ERR_INVALID);
    v.version = FB_FIX_VERSION_LAST;
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_ERR_INVALID);
    v.version = FB_FIX_44;
    v.get = NULL;
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_ERR_INVALID);
    v.get = fake_get;
    /* A route to a venue the env does not have is a wiring bug, not a reject. */
    env.venue_count = 2;
    ck_assert_int_eq(fb_translate(&env, &v, &res), FB_ERR_INTERNAL);
    ck_assert(!res.rejected);
    ck_assert(all_zero(&res.u, sizeof res.u));
}
END_TEST

START_TEST(tag_tables_are_sane)
{
    size_t n;
    const struct fb_tr_msg_tags *t = fb_tr_tag_tables(&n);
    static const char *const types[] = {"D", "F", "G", "H", "q", "AF"};

    ck_assert_uint_eq(n, 10);
    for (size_t k = 0; k < 6; k++) {
        ck_assert_ptr_nonnull(find_tags(types[k], FB_FIX_44));
        /* q and AF first appear in FIX 4.3. */
        ck_assert_int_eq(find_tags(types[k], FB_FIX_42) != NULL, k < 4);
    }
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_le(t[i].count, 24);
        for (size_t a = 0; a < t[i].count; a++) {
            ck_assert_int_gt(t[i].tags[a].tag, 0);
            ck_assert_ptr_nonnull(t[i].tags[a].name);
            for (size_t b = a + 1; b < t[i].count; b++) {
                ck_assert_int_ne(t[i].tags[a].tag, t[i].tags[b].tag);
                ck_assert_str_ne(t[i].tags[a].name, t[i].tags[b].name);
            }
        }
    }
    /* HandlInst is required in 4.2 only. */
    for (int ver = 0; ver < FB_FIX_VERSION_LAST; ver++) {
        const struct fb_tr_msg_tags *d = find_tags("D", (enum fb_fix_version)ver);
        int found = 0;
        for (size_t a = 0; a < d->count; a++)
            if (d->tags[a].tag == 21) {
                found = 1;
                ck_assert_int_eq(d->tags[a].required, ver == FB_FIX_42);
            }
        ck_assert(found);
    }
}
END_TEST

/* ---- the exported tag table against spec/ ---- */

static const char *src_dir(void)
{
    const char *d = getenv("FB_SOURCE_DIR");
    return d != NULL ? d : FB_SOURCE_DIR;
}

static int elem_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* 1 if attribute `name` of n equals want. */
static int attr_is(xmlNodePtr n, const char *name, const char *want)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    int eq = v != NULL && strcmp((const char *)v, want) == 0;
    xmlFree(v);
    return eq;
}

static xmlNodePtr child_named(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr n = parent->children; n != NULL; n = n->next)
        if (elem_is(n, name))
            return n;
    return NULL;
}

/* 1 if field `name` is declared in node, its groups or its components. */
static int declares(xmlNodePtr root, xmlNodePtr node, const char *name, int depth)
{
    ck_assert_int_lt(depth, 16);
    for (xmlNodePtr n = node->children; n != NULL; n = n->next) {
        if ((elem_is(n, "field") || elem_is(n, "group")) && attr_is(n, "name", name))
            return 1;
        if (elem_is(n, "group") && declares(root, n, name, depth + 1))
            return 1;
        if (elem_is(n, "component")) {
            xmlNodePtr comps = child_named(root, "components");
            xmlChar *cname = xmlGetProp(n, (const xmlChar *)"name");
            int found = 0;
            for (xmlNodePtr c = comps ? comps->children : NULL; c != NULL && !found; c = c->next)
                if (elem_is(c, "component") && attr_is(c, "name", (const char *)cname))
                    found = declares(root, c, name, depth + 1);
            xmlFree(cname);
            if (found)
                return 1;
        }
    }
    return 0;
}

/* Every tag translate reads is declared, under the same name and number, in
 * the message (or header) of that version's dictionary, and listed as read
 * ("in") for that message in spec/bridge_tags.txt. */
START_TEST(tags_in_dictionaries)
{
    size_t n;
    const struct fb_tr_msg_tags *row = &fb_tr_tag_tables(&n)[_i];
    const char *ver = row->version == FB_FIX_44 ? "4.4" : "4.2";
    char path[1024], line[1024], in_line[1024] = "";
    xmlDocPtr doc;
    xmlNodePtr root, fields, msgs, msg = NULL;
    FILE *f;

    snprintf(path, sizeof path, "%s/spec/FIX%c%c.xml", src_dir(), ver[0], ver[2]);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    ck_assert_msg(doc != NULL, "cannot read %s", path);
    root = xmlDocGetRootElement(doc);
    fields = child_named(root, "fields");
    msgs = child_named(root, "messages");
    ck_assert_ptr_nonnull(fields);
    ck_assert_ptr_nonnull(msgs);
    for (xmlNodePtr m = msgs->children; m != NULL; m = m->next)
        if (elem_is(m, "message") && attr_is(m, "msgtype", row->msg_type))
            msg = m;
    ck_assert_msg(msg != NULL, "FIX %s dictionary has no MsgType %s", ver, row->msg_type);

    snprintf(path, sizeof path, "%s/spec/bridge_tags.txt", src_dir());
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    while (fgets(line, sizeof line, f) != NULL) {
        char v[16], type[8], kind[8];
        int off = 0;
        if (sscanf(line, "%15s %7s %7s %n", v, type, kind, &off) == 3 && strcmp(v + 4, ver) == 0 &&
            strcmp(type, row->msg_type) == 0 && strcmp(kind, "in") == 0) {
            line[strcspn(line, "#\n")] = '\0';
            snprintf(in_line, sizeof in_line, " %s ", line + off);
        }
    }
    fclose(f);
    ck_assert_msg(in_line[0] != '\0', "bridge_tags.txt: no 'FIX.%s %s in' line", ver,
                  row->msg_type);

    for (size_t i = 0; i < row->count; i++) {
        const struct fb_tr_tag *tg = &row->tags[i];
        char num[16], needle[20];
        int numbered = 0;
        snprintf(num, sizeof num, "%d", tg->tag);
        for (xmlNodePtr fd = fields->children; fd != NULL; fd = fd->next)
            if (elem_is(fd, "field") && attr_is(fd, "name", tg->name))
                numbered = attr_is(fd, "number", num);
        ck_assert_msg(numbered, "FIX %s: field %s is not number %d", ver, tg->name, tg->tag);
        ck_assert_msg(declares(root, tg->header ? child_named(root, "header") : msg, tg->name, 0),
                      "FIX %s %s: %s (%d) not declared", ver, row->msg_type, tg->name, tg->tag);
        if (tg->header)
            continue;
        snprintf(needle, sizeof needle, " %d ", tg->tag);
        ck_assert_msg(strstr(in_line, needle) != NULL, "bridge_tags.txt FIX.%s %s in: no %d", ver,
                      row->msg_type, tg->tag);
    }
    xmlFreeDoc(doc);
}
END_TEST

static Suite *translate_suite(void)
{
    Suite *s = suite_create("translate");
    TCase *core = tcase_create("core");
    TCase *lim = tcase_create("limits");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_add_loop_test(core, translate_case, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(core, echo_on_reject);
    tcase_add_test(core, tag_tables_are_sane);
    {
        size_t ntables;
        fb_tr_tag_tables(&ntables);
        tcase_add_loop_test(core, tags_in_dictionaries, 0, (int)ntables);
    }
    tcase_add_loop_test(lim, utc_timestamp, 0, (int)(sizeof ts_cases / sizeof ts_cases[0]));
    tcase_add_loop_test(lim, edge, 0, (int)(sizeof edges / sizeof edges[0]));
    tcase_add_test(lim, notional_overflow_is_refused);
    tcase_add_test(lim, text_is_cut_not_refused);
    tcase_add_test(lim, no_markets_means_no_market_limits);
    tcase_add_test(lim, bad_arguments_and_env);
    suite_add_tcase(s, core);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(translate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
