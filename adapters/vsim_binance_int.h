/*
 * vsim_binance internals, shared by vsim_binance.c (HTTP, auth, faults,
 * control) and vsim_binance_orders.c (orders over sim_book, JSON answers).
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

#define VS_PARAMS_MAX 40
#define VS_KEY_MAX 47
#define VS_VAL_MAX 767

/* Decoded request parameters (query wins over body for a repeated key). */
struct vs_params {
    size_t n;
    struct {
        char k[VS_KEY_MAX + 1];
        char v[VS_VAL_MAX + 1];
        bool read;
    } kv[VS_PARAMS_MAX];
};

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
};

struct vs_trade {
    int64_t id;
    uint32_t order; /* index into vs->orders */
    struct fb_dec price, qty, fee;
    char asset[FB_VENUE_ASSET_MAX + 1];
    bool maker;
    int64_t time_ms;
};

struct vs_count {
    char coid[FB_VENUE_CLORDID_MAX + 1];
    uint32_t posts, orders;
};

enum vs_fault_kind {
    VS_F_5XX_AFTER = 0,
    VS_F_5XX_BEFORE,
    VS_F_DELAY_AFTER,
    VS_F_DROP_AFTER,
    VS_F_MALFORMED_AFTER,
    VS_F_429,
    VS_F_1007_AFTER
};

enum vs_on { VS_ON_NEW = 0, VS_ON_CANCEL, VS_ON_REPLACE, VS_ON_QUERY, VS_ON_ANY };

struct vs_fault {
    enum vs_fault_kind kind;
    enum vs_on on;
    uint32_t count;
    uint32_t ms;
    uint32_t retry_after;
};

struct fb_vsim {
    pthread_mutex_t mu;
    struct fb_sim_params p;
    struct fb_sim_book book;
    struct vs_order *orders;
    size_t n_orders, cap_orders;
    struct vs_trade *trades;
    size_t n_trades, cap_trades;
    struct vs_count *counts;
    size_t n_counts, cap_counts;
    char key[128], secret[256];
    uint64_t rng;
    int64_t next_tick_ns;
    /* outcome of the current book call */
    bool got_rej;
    struct fb_venue_reject rej;
    enum fb_err emit_err;
    /* faults */
    struct vs_fault faults[FB_VSIM_FAULTS_MAX];
    size_t n_faults;
    /* rate-limit headers */
    int64_t weight_minute;
    long weight;
    long orders_10s, orders_day;
    int64_t orders_10s_window;
    struct MHD_Daemon *d;
    uint16_t port;
    volatile int stopping;
};

/* vsim_binance_orders.c */
enum fb_err vs_init_book(struct fb_vsim *vs) FB_WARN_UNUSED;
void vs_free_book(struct fb_vsim *vs);
void vs_tick(struct fb_vsim *vs, int64_t now_ns);
void vs_error(struct vs_answer *a, unsigned http, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *vs_param(struct vs_params *p, const char *k);
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
void vs_my_trades(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a);
/* GET /api/v3/ticker/bookTicker: symbol= (an object), symbols= or none
 * (an array); bid/ask are the book's touch (reference -/+ spread). */
void vs_book_ticker(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a);
void vs_set_price(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a, int64_t now_ns);
void vs_report(struct fb_vsim *vs, struct vs_params *p, struct vs_answer *a);

#endif
