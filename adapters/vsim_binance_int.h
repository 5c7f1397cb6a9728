/*
 * vsim_binance internals, shared by vsim_binance.c (requests, auth,
 * faults, control; the server and fault queue are vsim_http.c) and vsim_binance_orders.c (orders over sim_book, JSON answers).
 * Everything here runs under vs->mu.
 */
#ifndef FB_VSIM_BINANCE_INT_H
#define FB_VSIM_BINANCE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/sim_book.h"
#include "adapters/vsim_binance.h"
#include "adapters/vsim_http.h"

/* One answer: HTTP status, a malloc'd JSON body, extra headers. */
struct vs_answer {
    unsigned http;
    char *body;
    bool order_count; /* add x-mbx-order-count-* */
    int retry_after;  /* > 0: Retry-After seconds */
};

struct vs_order {
    char coid[FB_VENUE_CLORDID_MAX + 1];
    uint32_t book; /* index into book.orders */
    int64_t order_id;
    char type[24], tif[8];
    struct fb_dec quote_qty, iceberg, stop;
    int64_t time_ms, update_ms;
    bool expired; /* IOC/FOK/market remainder: Binance says EXPIRED */
    /* fault hide_trades: myTrades lists a trade of this order only this
     * many ms after it happened (0: at once), while its status already
     * counts it -- the lag a bridge must not paper over */
    uint32_t hide_trades_ms;
};

struct vs_trade {
    int64_t id;
    uint32_t order; /* index into vs->orders */
    struct fb_dec price, qty, fee;
    char asset[FB_VENUE_ASSET_MAX + 1];
    bool maker;
    int64_t time_ms;
};

struct fb_vsim {
    pthread_mutex_t mu;
    struct fb_sim_params p;
    struct fb_sim_book book;
    struct vs_order *orders;
    size_t n_orders, cap_orders;
    struct vs_trade *trades;
    size_t n_trades, cap_trades;
    struct fb_vsim_counts counts;
    char key[128], secret[256];
    uint64_t rng;
    int64_t next_tick_ns;
    /* outcome of the current book call */
    bool got_rej;
    struct fb_venue_reject rej;
    enum fb_err emit_err;
    struct fb_vsim_faults faults;
    /* rate-limit headers */
    int64_t weight_minute;
    long weight;
    long orders_10s, orders_day;
    int64_t orders_10s_window;
    struct fb_vsim_http *srv;
    /* fbbench: new-order arrivals, and bookTicker answers (the bridge has
     * a reference price once one was answered) -- GET /__sim/arrivals */
    struct fb_vsim_arrivals arrivals;
    uint64_t book_tickers;
};

/* vsim_binance_orders.c */
enum fb_err vs_init_book(struct fb_vsim *vs) FB_WARN_UNUSED;
void vs_free_book(struct fb_vsim *vs);
void vs_tick(struct fb_vsim *vs, int64_t now_ns);
void vs_error(struct vs_answer *a, unsigned http, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void vs_time(struct fb_vsim *vs, struct vs_answer *a, int64_t now_ns);
void vs_exchange_info(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a,
                      int64_t now_ns);
/* Counts a new-order request (POST order, cancelReplace) by newClientOrderId,
 * signed and well-formed or not, before any fault. */
void vs_count_post(struct fb_vsim *vs, struct vs_params *p);
/* *placed: an order was created (for the after_place faults). */
void vs_new_order(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns,
                  bool *placed);
void vs_cancel(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns);
void vs_cancel_replace(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a,
                       int64_t now_ns, bool *placed);
void vs_query(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a);
void vs_open_orders(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a);
/* Leaves out the trades a hide_trades fault still hides at now_ns. */
void vs_my_trades(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns);
/* GET /api/v3/ticker/bookTicker: symbol= (an object), symbols= or none
 * (an array); bid/ask are the book's touch (reference -/+ spread). */
void vs_book_ticker(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a);
void vs_set_price(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns);
void vs_report(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a);

#endif
