/*
 * Tests for bridge/policy: one table row per rule and per layer, each with
 * the exact verdict, OrdRejReason and Text, against a policy loaded from
 * YAML the way the bridge loads it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/policy.h"
#include "config/config.h"

/* Venues 0 paper (sim), 1 kx (binance); sessions 0 s1, 1 s2, 2 s3 (account
 * DESK1 by default). */
static const char *const policy_yaml =
    "sessions:\n"
    "  - {name: s1, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: A, port: 0}\n"
    "  - {name: s2, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: B, port: 0}\n"
    "  - {name: s3, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: C, port: 0,"
    " account: DESK1}\n"
    "venues:\n"
    "  - name: paper\n"
    "    type: sim\n"
    "    markets:\n"
    "      - {symbol: BTCUSDT, base: BTC, quote: USDT, reference_price: 65000, tick_size: 0.01,"
    " step_size: 0.00001}\n"
    "  - {name: kx, type: binance, base_url: https://x.test, api_key_env: K,"
    " api_secret_env: S}\n"
    "routes:\n"
    "  - {symbol: BTC/USDT, venue: paper, venue_symbol: BTCUSDT}\n"
    "  - {symbol: ETH/USDT, venue: kx, venue_symbol: ETHUSDT}\n"
    "  - {symbol: SOL/USDT, venue: kx, venue_symbol: SOLUSDT}\n"
    "policy:\n"
    "  default: {max_order_notional: \"500000\", max_open_orders: 5}\n"
    "  overrides:\n"
    "    - {venue: paper, max_order_qty: \"20\", collar_bps: 1000}\n"
    "    - {session: s2, max_order_qty: \"30\", max_open_orders: 2}\n"
    "    - {session: s3, max_order_qty: \"35\"}\n"
    "    - {account: DESK1, max_order_qty: \"40\", max_position: \"20\"}\n"
    "    - {session: s2, account: DESK1, max_order_qty: \"50\"}\n"
    "    - {symbol: ETH/USDT, max_order_qty: \"3\", min_price: \"100\", max_price: \"10000\"}\n"
    "    - {venue: paper, symbol: ETH/USDT, max_order_qty: \"4\"}\n"
    "    - {venue: kx, market_orders: refuse, allowed_tifs: [day, gtc, ioc],"
    " allow_post_only: false, allowed_ord_types: [market, limit, stop]}\n"
    "    - {symbol: SOL/USDT, collar_bps: 0, market_orders: allow}\n";

#define NOW_NS 1700000000000000000LL
#define ALL_CAPS 0xffffu

enum { V_PAPER = 0, V_KX = 1 };
enum { S1 = 0, S2 = 1, S3 = 2 };

/* One order and the engine's state; NULL strings and zeros take defaults. */
struct pcase {
    const char *name;
    /* order */
    size_t venue, session;
    const char *account, *symbol; /* symbol default BTC/USDT */
    enum fb_side side;
    char type; /* 'M'arket, 'L'imit (default), 'S'top, 'T' stop limit */
    enum fb_tif tif;
    const char *qty, *price, *stop_px, *cash; /* qty default "1"; price "65000" for limits */
    uint8_t post_only;
    bool replace;
    /* state */
    const char *bid, *ask; /* default 64990 / 65000 */
    bool no_ref;           /* no reference time at all */
    int64_t age_ms;        /* how old the reference is */
    const char *tick;      /* default 0.01 */
    unsigned caps;         /* 0 = all */
    uint32_t open;
    const char *pos, *open_buy, *open_sell, *cum;
    /* expected */
    enum fb_policy_action want;
    int rule;   /* -1 for accept */
    int reason; /* refuse only */
    const char *text;
    char new_type; /* modify only */
    enum fb_tif new_tif;
    const char *new_price;
};

/* Layer rows: a cheap price and a short position, so only the quantity
 * limit under test can refuse. */
#define CHEAP .price = "1000", .ask = "1000", .bid = "1000", .pos = "-100"
#define ACCEPT .want = FB_POLICY_ACCEPT, .rule = -1, .text = ""
#define REFUSE(r, why, txt) .want = FB_POLICY_REFUSE, .rule = (r), .reason = (why), .text = (txt)

static const struct pcase cases[] = {
    /* ---- layers: the most specific layer setting max_order_qty wins ---- */
    {"default allows 10", .venue = V_KX, CHEAP, .qty = "10", ACCEPT},
    {"default refuses 11", .venue = V_KX, CHEAP, .qty = "11",
     REFUSE(FB_PR_ORDER_QTY, 3, "OrderQty 11 exceeds max_order_qty 10 (policy: default)")},
    {"venue allows 20", .venue = V_PAPER, CHEAP, .qty = "20", ACCEPT},
    {"venue refuses 21", .venue = V_PAPER, CHEAP, .qty = "21",
     REFUSE(FB_PR_ORDER_QTY, 3, "OrderQty 21 exceeds max_order_qty 20 (policy: venue paper)")},
    {"session beats venue", .venue = V_PAPER, .session = S2, CHEAP, .qty = "31",
     REFUSE(FB_PR_ORDER_QTY, 3, "OrderQty 31 exceeds max_order_qty 30 (policy: session s2)")},
    {"session allows its own 30", .venue = V_PAPER, .session = S2, CHEAP, .qty = "30", ACCEPT},
    {"account beats session (session's default account)", .venue = V_KX, .session = S3, CHEAP,
     .qty = "38", ACCEPT},
    {"account refuses 41", .venue = V_KX, .session = S3, CHEAP, .qty = "41",
     REFUSE(FB_PR_ORDER_QTY, 3, "OrderQty 41 exceeds max_order_qty 40 (policy: account DESK1)")},
    {"Account(1) on the order selects the account layer", .venue = V_KX, .account = "DESK1", CHEAP,
     .qty = "41",
     REFUSE(FB_PR_ORDER_QTY, 3, "OrderQty 41 exceeds max_order_qty 40 (policy: account DESK1)")},
    {"other account: default", .venue = V_KX, .account = "DESK9", CHEAP, .qty = "11",
     REFUSE(FB_PR_ORDER_QTY, 3, "OrderQty 11 exceeds max_order_qty 10 (policy: default)")},
    {"session+account beats account", .venue = V_KX, .session = S2, .account = "DESK1", CHEAP,
     .qty = "50", ACCEPT},
    {"session+account refuses 51", .venue = V_KX, .session = S2, .account = "DESK1", CHEAP,
     .qty = "51",
     REFUSE(FB_PR_ORDER_QTY, 3,
            "OrderQty 51 exceeds max_order_qty 50 (policy: session s2, account DESK1)")},
    {"symbol beats account", .venue = V_KX, .session = S3, .symbol = "ETH/USDT", .qty = "4",
     .price = "3500", .bid = "3500", .ask = "3500",
     REFUSE(FB_PR_ORDER_QTY, 3, "OrderQty 4 exceeds max_order_qty 3 (policy: symbol ETH/USDT)")},
    {"venue+symbol beats symbol", .venue = V_PAPER, .symbol = "ETH/USDT", .qty = "5",
     .price = "3500", .bid = "3500", .ask = "3500",
     REFUSE(FB_PR_ORDER_QTY, 3,
            "OrderQty 5 exceeds max_order_qty 4 (policy: venue paper, symbol ETH/USDT)")},
    {"key by key: max_price falls through to the symbol layer", .venue = V_PAPER,
     .symbol = "ETH/USDT", .price = "10001", .bid = "9800", .ask = "9800",
     REFUSE(FB_PR_PRICE_BAND, 3,
            "Limit price 10001 is above max_price 10000 (policy: symbol ETH/USDT)")},

    /* ---- order type, TIF, post-only ---- */
    {"stop limit not allowed on kx", .venue = V_KX, .type = 'T', .stop_px = "66000",
     REFUSE(FB_PR_ORD_TYPE, 11,
            "OrdType stop_limit is not allowed; allowed_ord_types is market, limit, stop "
            "(policy: venue kx)")},
    {"stop limit allowed on paper", .venue = V_PAPER, .type = 'T', .stop_px = "66000", ACCEPT},
    {"GTD not allowed on kx", .venue = V_KX, .tif = FB_TIF_GTD,
     REFUSE(FB_PR_TIF, 11,
            "TimeInForce gtd is not allowed; allowed_tifs is day, gtc, ioc (policy: venue kx)")},
    {"GTD allowed on paper", .venue = V_PAPER, .tif = FB_TIF_GTD, ACCEPT},
    {"post-only not allowed on kx", .venue = V_KX, .post_only = 1,
     REFUSE(FB_PR_POST_ONLY, 11,
            "ExecInst 6 (post-only) is not allowed; allow_post_only is false (policy: venue "
            "kx)")},
    {"post-only allowed on paper", .venue = V_PAPER, .post_only = 1, ACCEPT},
    {"type is checked before quantity", .venue = V_KX, .type = 'T', .stop_px = "66000", .qty = "99",
     REFUSE(FB_PR_ORD_TYPE, 11,
            "OrdType stop_limit is not allowed; allowed_ord_types is market, limit, stop "
            "(policy: venue kx)")},

    /* ---- market orders ---- */
    {"market refused on kx", .venue = V_KX, .type = 'M',
     REFUSE(FB_PR_MARKET_ORDERS, 11,
            "Market orders are not accepted; market_orders is refuse (policy: venue kx)")},
    {"market buy capped, rounded down", .venue = V_PAPER, .type = 'M', .ask = "65000.37",
     .want = FB_POLICY_MODIFY, .rule = FB_PR_MARKET_ORDERS,
     .text = "Market order sent as IOC limit 65325.37: reference 65000.37 + slippage_bps 50, "
             "rounded down to tick 0.01",
     .new_type = 'L', .new_tif = FB_TIF_IOC, .new_price = "65325.37"},
    {"market sell capped, rounded up", .venue = V_PAPER, .type = 'M', .side = FB_SIDE_SELL,
     .bid = "64999.99", .want = FB_POLICY_MODIFY, .rule = FB_PR_MARKET_ORDERS,
     .text = "Market order sent as IOC limit 64675: reference 64999.99 - slippage_bps 50, "
             "rounded up to tick 0.01",
     .new_type = 'L', .new_tif = FB_TIF_IOC, .new_price = "64675"},
    {"market buy, coarse tick rounds down", .venue = V_PAPER, .type = 'M', .ask = "65000.37",
     .tick = "5", .want = FB_POLICY_MODIFY, .rule = FB_PR_MARKET_ORDERS,
     .text = "Market order sent as IOC limit 65325: reference 65000.37 + slippage_bps 50, "
             "rounded down to tick 5",
     .new_type = 'L', .new_tif = FB_TIF_IOC, .new_price = "65325"},
    {"market sell, coarse tick rounds up", .venue = V_PAPER, .type = 'M', .side = FB_SIDE_SELL,
     .bid = "64999.99", .tick = "7", .want = FB_POLICY_MODIFY, .rule = FB_PR_MARKET_ORDERS,
     .text = "Market order sent as IOC limit 64680: reference 64999.99 - slippage_bps 50, "
             "rounded up to tick 7",
     .new_type = 'L', .new_tif = FB_TIF_IOC, .new_price = "64680"},
    {"market GTC becomes IOC", .venue = V_PAPER, .type = 'M', .tif = FB_TIF_GTC,
     .want = FB_POLICY_MODIFY, .rule = FB_PR_MARKET_ORDERS,
     .text = "Market order sent as IOC limit 65325: reference 65000 + slippage_bps 50, "
             "rounded down to tick 0.01",
     .new_type = 'L', .new_tif = FB_TIF_IOC, .new_price = "65325"},
    {"market FOK stays FOK", .venue = V_PAPER, .type = 'M', .tif = FB_TIF_FOK,
     .want = FB_POLICY_MODIFY, .rule = FB_PR_MARKET_ORDERS,
     .text = "Market order sent as FOK limit 65325: reference 65000 + slippage_bps 50, "
             "rounded down to tick 0.01",
     .new_type = 'L', .new_tif = FB_TIF_FOK, .new_price = "65325"},
    {"market: venue without IOC refuses", .venue = V_PAPER, .type = 'M',
     .caps = FB_POLICY_CAP_LIMIT | FB_POLICY_CAP_TIF_FOK,
     REFUSE(FB_PR_MARKET_ORDERS, 11,
            "The venue takes no IOC limit orders, so the market order cannot be capped; "
            "market_orders is convert_to_ioc_limit (policy: default)")},
    {"market: no tick refuses", .venue = V_PAPER, .type = 'M', .tick = "0",
     REFUSE(FB_PR_MARKET_ORDERS, 0,
            "No tick size known for BTC/USDT, so the market order cannot be capped (policy: "
            "default)")},
    {"market: stale reference refuses", .venue = V_PAPER, .type = 'M', .age_ms = 6000,
     REFUSE(FB_PR_MARKET_ORDERS, 0,
            "Reference price for BTC/USDT is 6000 ms old; reference_max_age_ms is 5000, and the "
            "market order cap needs a fresh one (policy: default)")},
    {"market: reference exactly max age is fresh", .venue = V_PAPER, .type = 'M', .age_ms = 5000,
     .want = FB_POLICY_MODIFY, .rule = FB_PR_MARKET_ORDERS,
     .text = "Market order sent as IOC limit 65325: reference 65000 + slippage_bps 50, "
             "rounded down to tick 0.01",
     .new_type = 'L', .new_tif = FB_TIF_IOC, .new_price = "65325"},
    {"market: missing reference time refuses", .venue = V_PAPER, .type = 'M', .no_ref = true,
     REFUSE(FB_PR_MARKET_ORDERS, 0,
            "No reference price for BTC/USDT, which the market order cap needs (policy: "
            "default)")},
    {"market: missing ask refuses a buy", .venue = V_PAPER, .type = 'M', .ask = "0",
     REFUSE(FB_PR_MARKET_ORDERS, 0,
            "No reference price for BTC/USDT, which the market order cap needs (policy: "
            "default)")},
    {"market: CashOrderQty cannot be capped", .venue = V_PAPER, .type = 'M', .qty = "0",
     .cash = "1000",
     REFUSE(FB_PR_MARKET_ORDERS, 11,
            "A market order sized by CashOrderQty cannot be capped as a limit order; "
            "market_orders is convert_to_ioc_limit (policy: default)")},
    {"market cap is checked by later rules", .venue = V_PAPER, .type = 'M', .qty = "8",
     REFUSE(FB_PR_NOTIONAL, 3,
            "Notional 522600 (OrderQty 8 x 65325) exceeds max_order_notional 500000 (policy: "
            "default)")},
    {"market allowed uncapped for SOL", .venue = V_KX, .symbol = "SOL/USDT", .type = 'M',
     .ask = "150", ACCEPT},
    {"uncapped market valued at the reference", .venue = V_KX, .symbol = "SOL/USDT", .type = 'M',
     .qty = "10", .ask = "60000",
     REFUSE(FB_PR_NOTIONAL, 3,
            "Notional 600000 (OrderQty 10 x reference 60000) exceeds max_order_notional 500000 "
            "(policy: default)")},
    {"uncapped market without reference fails closed", .venue = V_KX, .symbol = "SOL/USDT",
     .type = 'M', .no_ref = true,
     REFUSE(FB_PR_NOTIONAL, 0,
            "No reference price for SOL/USDT, which valuing a market order needs (policy: "
            "default)")},

    /* ---- price band ---- */
    {"below min_price", .venue = V_KX, .symbol = "ETH/USDT", .price = "99", .ask = "100",
     REFUSE(FB_PR_PRICE_BAND, 3,
            "Limit price 99 is below min_price 100 (policy: symbol ETH/USDT)")},
    {"at min_price", .venue = V_KX, .symbol = "ETH/USDT", .price = "100", .ask = "100", ACCEPT},
    {"stop above max_price", .venue = V_KX, .symbol = "ETH/USDT", .type = 'S', .stop_px = "20000",
     REFUSE(FB_PR_PRICE_BAND, 3,
            "StopPx 20000 is above max_price 10000 (policy: symbol ETH/USDT)")},

    /* ---- collar ---- */
    {"collar refuses a buy 769 bps over", .venue = V_KX, .price = "70000",
     REFUSE(FB_PR_COLLAR, 3,
            "Limit price 70000 is 769.24 bps from reference 65000; collar is 500 bps (policy: "
            "default)")},
    {"collar refuses a sell 768 bps under the bid", .venue = V_KX, .side = FB_SIDE_SELL,
     .price = "60000",
     REFUSE(FB_PR_COLLAR, 3,
            "Limit price 60000 is 767.82 bps from reference 64990; collar is 500 bps (policy: "
            "default)")},
    {"collar exactly 500 bps passes", .venue = V_KX, .price = "68250", ACCEPT},
    {"collar 500.0015 bps refused, shown rounded up", .venue = V_KX, .price = "68250.01",
     REFUSE(FB_PR_COLLAR, 3,
            "Limit price 68250.01 is 500.01 bps from reference 65000; collar is 500 bps "
            "(policy: default)")},
    {"venue collar 1000 lets 769 bps through", .venue = V_PAPER, .price = "70000", ACCEPT},
    {"venue collar 1000 refuses 1077 bps", .venue = V_PAPER, .price = "72000",
     REFUSE(FB_PR_COLLAR, 3,
            "Limit price 72000 is 1076.93 bps from reference 65000; collar is 1000 bps (policy: "
            "venue paper)")},
    {"collar with stale reference fails closed", .venue = V_KX, .age_ms = 5001,
     REFUSE(FB_PR_COLLAR, 0,
            "Reference price for BTC/USDT is 5001 ms old; reference_max_age_ms is 5000, and the "
            "price collar needs a fresh one (policy: default)")},
    {"collar with no reference fails closed", .venue = V_KX, .no_ref = true,
     REFUSE(FB_PR_COLLAR, 0,
            "No reference price for BTC/USDT, which the price collar needs (policy: default)")},
    {"collar off: no reference needed", .venue = V_KX, .symbol = "SOL/USDT", .price = "1",
     .no_ref = true, ACCEPT},
    {"stop limit is not collared", .venue = V_PAPER, .type = 'T', .price = "90000",
     .stop_px = "89000", .no_ref = true, ACCEPT},

    /* ---- quantity and notional ---- */
    {"CashOrderQty valued for max_order_qty", .venue = V_KX, .symbol = "SOL/USDT", .type = 'M',
     .qty = "0", .cash = "2000", .ask = "150",
     REFUSE(FB_PR_ORDER_QTY, 3,
            "CashOrderQty 2000 is about 13.33333334 at reference 150; max_order_qty is 10 "
            "(policy: default)")},
    {"CashOrderQty is the notional", .venue = V_KX, .symbol = "SOL/USDT", .type = 'M', .qty = "0",
     .cash = "500001", .ask = "1000000",
     REFUSE(FB_PR_NOTIONAL, 3,
            "CashOrderQty 500001 exceeds max_order_notional 500000 (policy: default)")},
    {"limit notional", .venue = V_KX, .qty = "8",
     REFUSE(FB_PR_NOTIONAL, 3,
            "Notional 520000 (OrderQty 8 x 65000) exceeds max_order_notional 500000 (policy: "
            "default)")},
    {"stop notional at StopPx", .venue = V_KX, .type = 'S', .qty = "8", .stop_px = "65000",
     REFUSE(FB_PR_NOTIONAL, 3,
            "Notional 520000 (OrderQty 8 x StopPx 65000) exceeds max_order_notional 500000 "
            "(policy: default)")},
    {"notional at the limit passes", .venue = V_KX, .qty = "8", .price = "62500", .ask = "62500",
     ACCEPT},

    /* ---- open orders ---- */
    {"fifth open order", .venue = V_KX, .open = 4, ACCEPT},
    {"sixth open order", .venue = V_KX, .open = 5,
     REFUSE(FB_PR_OPEN_ORDERS, 3,
            "Open orders would be 6; max_open_orders is 5 (policy: default)")},
    {"session's open orders limit", .venue = V_KX, .session = S2, .open = 2,
     REFUSE(FB_PR_OPEN_ORDERS, 3,
            "Open orders would be 3; max_open_orders is 2 (policy: session s2)")},
    {"a replace adds no open order", .venue = V_KX, .open = 5, .replace = true, ACCEPT},

    /* ---- position: worst case on the order's side ---- */
    {"buy up to the limit", .venue = V_KX, .qty = "5", .pos = "40", .open_buy = "5", ACCEPT},
    {"buy over the limit", .venue = V_KX, .qty = "5", .pos = "41", .open_buy = "5",
     REFUSE(FB_PR_POSITION, 3,
            "Position would be 51 (now 41, open buys 5, this order 5); max_position is 50 "
            "(policy: default)")},
    {"open sells do not offset a buy", .venue = V_KX, .qty = "5", .pos = "46", .open_sell = "30",
     REFUSE(FB_PR_POSITION, 3,
            "Position would be 51 (now 46, open buys 0, this order 5); max_position is 50 "
            "(policy: default)")},
    {"sell down to the short limit", .venue = V_KX, .side = FB_SIDE_SELL, .qty = "5",
     .price = "64990", .pos = "-45", ACCEPT},
    {"sell over the short limit", .venue = V_KX, .side = FB_SIDE_SELL, .qty = "5", .price = "64990",
     .pos = "-44", .open_sell = "2",
     REFUSE(FB_PR_POSITION, 3,
            "Position would be -51 (now -44, open sells 2, this order 5); max_position is 50 "
            "(policy: default)")},
    {"sell nets a long position", .venue = V_KX, .side = FB_SIDE_SELL, .qty = "10", .price = "6500",
     .bid = "6500", .pos = "55", ACCEPT},
    {"buy reduces a short over the limit", .venue = V_KX, .qty = "10", .price = "6500",
     .ask = "6500", .pos = "-100", ACCEPT},
    {"account's position limit", .venue = V_KX, .account = "DESK1", .qty = "3", .pos = "18",
     REFUSE(FB_PR_POSITION, 3,
            "Position would be 21 (now 18, open buys 0, this order 3); max_position is 20 "
            "(policy: account DESK1)")},
    {"replace: the filled part is in the position", .venue = V_KX, .replace = true, .qty = "10",
     .price = "6500", .ask = "6500", .cum = "4", .pos = "44", ACCEPT},
    {"replace: only the new leaves add", .venue = V_KX, .replace = true, .qty = "10",
     .price = "6500", .ask = "6500", .cum = "4", .pos = "45",
     REFUSE(FB_PR_POSITION, 3,
            "Position would be 51 (now 45, open buys 0, this order 6); max_position is 50 "
            "(policy: default)")},
};

static struct fb_config *cfg;
static struct fb_policy *pol;

static void setup(void)
{
    char *err = NULL;
    enum fb_err rc = fb_config_load_string(policy_yaml, "p.yaml", NULL, &cfg, &err);
    ck_assert_msg(rc == FB_OK, "%s", err ? err : fb_strerror(rc));
    ck_assert_int_eq(fb_policy_new(cfg, &pol), FB_OK);
}

static void teardown(void)
{
    fb_policy_free(pol);
    pol = NULL;
    fb_config_free(cfg);
    cfg = NULL;
}

static struct fb_dec dec(const char *s, const char *def)
{
    struct fb_dec d;
    ck_assert_int_eq(fb_dec_parse_str(s ? s : def, &d), FB_OK);
    return d;
}

static enum fb_ord_type ord_type(char c)
{
    switch (c) {
    case 'M':
        return FB_ORD_MARKET;
    case 'S':
        return FB_ORD_STOP;
    case 'T':
        return FB_ORD_STOP_LIMIT;
    default:
        return FB_ORD_LIMIT;
    }
}

static void make_terms(const struct pcase *c, struct fb_order_terms *t)
{
    memset(t, 0, sizeof *t);
    t->ord_type = ord_type(c->type);
    t->tif = c->tif;
    if (t->tif == FB_TIF_GTD)
        t->expire_time_ns = NOW_NS + 1000000000LL;
    t->qty = dec(c->qty, "1");
    bool priced = t->ord_type == FB_ORD_LIMIT || t->ord_type == FB_ORD_STOP_LIMIT;
    t->price = dec(c->price, priced ? "65000" : "0");
    t->stop_px = dec(c->stop_px, "0");
    t->cash_qty = dec(c->cash, "0");
    t->post_only = c->post_only;
}

static void make_state(const struct pcase *c, struct fb_policy_state *st)
{
    memset(st, 0, sizeof *st);
    st->now_ns = NOW_NS;
    st->ref_bid = dec(c->bid, "64990");
    st->ref_ask = dec(c->ask, "65000");
    st->ref_time_ns = c->no_ref ? 0 : NOW_NS - c->age_ms * 1000000LL;
    st->tick_size = dec(c->tick, "0.01");
    st->venue_caps = c->caps ? c->caps : ALL_CAPS;
    st->open_orders = c->open;
    st->position = dec(c->pos, "0");
    st->open_buy_qty = dec(c->open_buy, "0");
    st->open_sell_qty = dec(c->open_sell, "0");
    st->cum_qty = dec(c->cum, "0");
}

static enum fb_err check_case(const struct pcase *c, struct fb_policy_verdict *v,
                              struct fb_order_terms *sent)
{
    struct fb_policy_state st;
    make_state(c, &st);
    if (c->replace) {
        struct fb_replace_order r;
        memset(&r, 0, sizeof r);
        r.venue = c->venue;
        r.session = c->session;
        snprintf(r.account, sizeof r.account, "%s", c->account ? c->account : "");
        snprintf(r.symbol, sizeof r.symbol, "%s", c->symbol ? c->symbol : "BTC/USDT");
        r.side = c->side;
        make_terms(c, &r.terms);
        *sent = r.terms;
        return fb_policy_check_replace(pol, &r, &st, v);
    }
    struct fb_new_order o;
    memset(&o, 0, sizeof o);
    o.venue = c->venue;
    o.session = c->session;
    snprintf(o.account, sizeof o.account, "%s", c->account ? c->account : "");
    snprintf(o.symbol, sizeof o.symbol, "%s", c->symbol ? c->symbol : "BTC/USDT");
    o.side = c->side;
    make_terms(c, &o.terms);
    *sent = o.terms;
    return fb_policy_check_new(pol, &o, &st, v);
}

START_TEST(policy_rules)
{
    const struct pcase *c = &cases[_i];
    struct fb_policy_verdict v;
    struct fb_order_terms sent;
    ck_assert_int_eq(check_case(c, &v, &sent), FB_OK);
    ck_assert_msg(v.action == c->want, "%s: action %d, want %d (%s)", c->name, v.action, c->want,
                  v.text);
    ck_assert_msg(v.rule == c->rule, "%s: rule %s, want %s", c->name, fb_policy_rule_name(v.rule),
                  fb_policy_rule_name(c->rule));
    ck_assert_msg(strcmp(v.text, c->text) == 0, "%s:\n got: %s\nwant: %s", c->name, v.text,
                  c->text);
    if (c->want == FB_POLICY_REFUSE)
        ck_assert_msg(v.ord_rej_reason == c->reason, "%s: reason %d, want %d", c->name,
                      v.ord_rej_reason, c->reason);
    if (c->want == FB_POLICY_MODIFY) {
        ck_assert_int_eq(v.terms.ord_type, ord_type(c->new_type));
        ck_assert_int_eq(v.terms.tif, c->new_tif);
        ck_assert_msg(fb_dec_cmp(v.terms.price, dec(c->new_price, "0")) == 0, "%s: price", c->name);
        /* Nothing else changes. */
        ck_assert(fb_dec_cmp(v.terms.qty, sent.qty) == 0);
        ck_assert_int_eq(v.terms.post_only, sent.post_only);
    }
    if (c->want == FB_POLICY_ACCEPT)
        ck_assert_mem_eq(&v.terms, &sent, sizeof sent);
}
END_TEST

START_TEST(effective_limits_name_their_layer)
{
    struct fb_policy_limits_cfg l;
    const char *layer[FB_PK_LAST];
    ck_assert_int_eq(fb_policy_effective(pol, V_PAPER, S2, "DESK1", "ETH/USDT", &l, layer), FB_OK);
    ck_assert_str_eq(layer[FB_PK_MAX_ORDER_QTY], "venue paper, symbol ETH/USDT");
    ck_assert_str_eq(layer[FB_PK_MAX_PRICE], "symbol ETH/USDT");
    ck_assert_str_eq(layer[FB_PK_MAX_POSITION], "account DESK1");
    ck_assert_str_eq(layer[FB_PK_MAX_OPEN_ORDERS], "session s2");
    ck_assert_str_eq(layer[FB_PK_COLLAR_BPS], "venue paper");
    ck_assert_str_eq(layer[FB_PK_SLIPPAGE_BPS], "default");
    ck_assert(fb_dec_cmp(l.max_order_qty, fb_dec_from_int(4)) == 0);
    ck_assert_uint_eq(l.max_open_orders, 2);
    ck_assert_uint_eq(l.collar_bps, 1000);
    ck_assert_uint_eq(l.slippage_bps, 50);
    ck_assert_uint_eq(l.reference_max_age_ms, 5000);
    ck_assert_uint_eq(l.allowed_tifs, 0x1fu);
    ck_assert_int_eq(fb_policy_effective(pol, 2, S1, "", "X", &l, layer), FB_ERR_INVALID);
    ck_assert_int_eq(fb_policy_effective(pol, V_KX, 3, "", "X", &l, layer), FB_ERR_INVALID);
}
END_TEST

START_TEST(stats_count_by_rule)
{
    struct fb_policy_stats s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fb_policy_verdict v;
        struct fb_order_terms sent;
        ck_assert_int_eq(check_case(&cases[i], &v, &sent), FB_OK);
        fb_policy_stats_add(&s, &v);
    }
    uint64_t want_refused[FB_PR_COUNT] = {0}, want_modified[FB_PR_COUNT] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].want == FB_POLICY_REFUSE)
            want_refused[cases[i].rule]++;
        if (cases[i].want == FB_POLICY_MODIFY)
            want_modified[cases[i].rule]++;
    }
    ck_assert_uint_eq(s.checked, sizeof cases / sizeof cases[0]);
    for (int r = 0; r < FB_PR_COUNT; r++) {
        ck_assert_msg(s.refused[r] == want_refused[r], "%s", fb_policy_rule_name(r));
        ck_assert_msg(s.modified[r] == want_modified[r], "%s", fb_policy_rule_name(r));
        /* Every rule has a name and refuses in at least one row. */
        ck_assert_str_ne(fb_policy_rule_name(r), "?");
        ck_assert_msg(want_refused[r] > 0, "no refusing row for %s", fb_policy_rule_name(r));
    }
    ck_assert_str_eq(fb_policy_rule_name(-1), "?");
    ck_assert_str_eq(fb_policy_rule_name(FB_PR_COUNT), "?");
}
END_TEST

START_TEST(invalid_arguments)
{
    struct fb_policy_verdict v;
    struct fb_policy_state st;
    struct fb_new_order o;
    memset(&o, 0, sizeof o);
    make_state(&cases[0], &st);
    o.terms.ord_type = FB_ORD_LIMIT;
    ck_assert_int_eq(fb_policy_check_new(NULL, &o, &st, &v), FB_ERR_INVALID);
    ck_assert_int_eq(fb_policy_check_new(pol, NULL, &st, &v), FB_ERR_INVALID);
    ck_assert_int_eq(fb_policy_check_new(pol, &o, NULL, &v), FB_ERR_INVALID);
    ck_assert_int_eq(fb_policy_check_new(pol, &o, &st, NULL), FB_ERR_INVALID);
    ck_assert_int_eq(fb_policy_check_replace(pol, NULL, &st, &v), FB_ERR_INVALID);
    o.venue = 2;
    ck_assert_int_eq(fb_policy_check_new(pol, &o, &st, &v), FB_ERR_INVALID);
    o.venue = 0;
    o.terms.tif = FB_TIF_LAST;
    ck_assert_int_eq(fb_policy_check_new(pol, &o, &st, &v), FB_ERR_INVALID);
    ck_assert_int_eq(fb_policy_new(NULL, &pol), FB_ERR_INVALID);
}
END_TEST

START_TEST(unknown_names_in_a_hand_built_config)
{
    /* The loader refuses these; fb_policy_new must not trust that. */
    struct fb_policy *p = (struct fb_policy *)(void *)&p;
    struct fb_policy *keep = p;
    free(cfg->policy.overrides[0].venue);
    cfg->policy.overrides[0].venue = strdup("nowhere");
    ck_assert_int_eq(fb_policy_new(cfg, &p), FB_ERR_CONFIG);
    ck_assert_ptr_eq(p, keep);
}
END_TEST

START_TEST(no_overrides_means_defaults)
{
    struct fb_config *c = NULL;
    struct fb_policy *p = NULL;
    char *err = NULL;
    const char *text =
        "sessions:\n  - {name: s1, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: A,"
        " port: 0}\n"
        "venues:\n  - {name: kx, type: binance, base_url: https://x.test, api_key_env: K,"
        " api_secret_env: S}\n"
        "routes:\n  - {symbol: BTC/USDT, venue: kx, venue_symbol: BTCUSDT}\n";
    ck_assert_int_eq(fb_config_load_string(text, "d.yaml", NULL, &c, &err), FB_OK);
    ck_assert_int_eq(fb_policy_new(c, &p), FB_OK);
    struct fb_policy_limits_cfg l;
    const char *layer[FB_PK_LAST];
    ck_assert_int_eq(fb_policy_effective(p, 0, 0, "", "BTC/USDT", &l, layer), FB_OK);
    ck_assert(fb_dec_cmp(l.max_order_qty, fb_dec_from_int(10)) == 0);
    ck_assert(fb_dec_cmp(l.max_order_notional, fb_dec_from_int(1000000)) == 0);
    ck_assert(fb_dec_cmp(l.max_position, fb_dec_from_int(50)) == 0);
    ck_assert_uint_eq(l.max_open_orders, 500);
    ck_assert_uint_eq(l.allowed_ord_types, 0x3fu);
    ck_assert_uint_eq(l.allowed_tifs, 0x1fu);
    ck_assert(l.allow_post_only);
    ck_assert_uint_eq(l.collar_bps, 500);
    ck_assert(fb_dec_is_zero(l.min_price) && fb_dec_is_zero(l.max_price));
    ck_assert_int_eq(l.market_orders, FB_MKT_CONVERT_TO_IOC_LIMIT);
    ck_assert_uint_eq(l.slippage_bps, 50);
    ck_assert_uint_eq(l.reference_max_age_ms, 5000);
    for (int k = 0; k < FB_PK_LAST; k++)
        ck_assert_str_eq(layer[k], "default");
    fb_policy_free(p);
    fb_config_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, policy_rules, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, effective_limits_name_their_layer);
    tcase_add_test(tc, stats_count_by_rule);
    tcase_add_test(tc, invalid_arguments);
    tcase_add_test(tc, unknown_names_in_a_hand_built_config);
    tcase_add_test(tc, no_overrides_means_defaults);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
