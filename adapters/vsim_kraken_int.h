/*
 * vsim_kraken internals, shared by vsim_kraken.c (requests, auth, nonce,
 * faults, control) and vsim_kraken_orders.c (orders over sim_book, Kraken's
 * JSON). Everything here runs under vk->mu.
 */
#ifndef FB_VSIM_KRAKEN_INT_H
#define FB_VSIM_KRAKEN_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "adapters/sim_book.h"
#include "adapters/vsim_kraken.h"

#define VK_KID_MAX 36  /* cl_ord_id: a long UUID at most (B.5.1) */
#define VK_TXID_LEN 19 /* "OU22CG-KLAF2-FWUDD7" */
#define VK_NAME_MAX 31

/* A pair's Kraken names and precisions (see vsim_kraken.h). */
struct vk_pair {
    char id[VK_NAME_MAX + 1];      /* "XXBTZUSD" */
    char altname[VK_NAME_MAX + 1]; /* "XBTUSD" = the book's symbol */
    char wsname[VK_NAME_MAX + 1];  /* "XBT/USD" */
    char base[VK_NAME_MAX + 1], quote[VK_NAME_MAX + 1];
    int pair_decimals, lot_decimals;
};

/* One answer: a malloc'd JSON body (Kraken's envelope); HTTP 200 unless
 * the edge says otherwise. */
struct vk_answer {
    unsigned http;
    char *body;
};

enum vk_status { VK_OPEN = 0, VK_CLOSED, VK_CANCELED, VK_EXPIRED };

struct vk_order {
    char txid[VK_TXID_LEN + 1];
    char kid[VK_KID_MAX + 1]; /* cl_ord_id, "" if none */
    long long userref;
    bool has_userref;
    size_t pair;
    bool buy;
    char ordertype[24]; /* as requested: limit, stop-loss, take-profit-limit, ... */
    char oflags[48];    /* as shown: the flags sent plus the fee default */
    bool fee_in_base;
    struct fb_dec price, price2, displayvol; /* descr: trigger/limit as sent */
    struct fb_venue_order req;               /* what goes (went) to the book */
    bool in_book;                            /* false: a take-profit waiting for its price */
    uint32_t book;                           /* index into book.orders once in_book */
    uint32_t n_ids;                          /* replaces so far (book ids k<i>.<n>) */
    enum vk_status held;                     /* status while not in the book */
    bool stopped, touched, amended, user_canceled;
    int64_t open_ns, close_ns;
    int64_t expire_s; /* GTD, 0 = none */
};

struct vk_trade {
    char id[VK_TXID_LEN + 1];
    uint32_t order; /* index into vk->orders */
    struct fb_dec price, qty, fee, cost;
    bool maker;
    int64_t ts_ns;
};

struct fb_vsim_kraken {
    pthread_mutex_t mu;
    struct fb_sim_params p;
    struct fb_sim_book book;
    struct vk_pair pairs[FB_SIM_MARKETS_MAX];
    struct vk_order *orders;
    size_t n_orders, cap_orders;
    struct vk_trade *trades;
    size_t n_trades, cap_trades;
    struct fb_vsim_counts counts;
    char key[128], secret[256];
    uint64_t last_nonce;
    uint64_t rng;
    int64_t next_tick_ns;
    /* outcome of the current book call */
    bool got_rej;
    struct fb_venue_reject rej;
    /* REST call counter (B.7), in thousandths; off while rest_max == 0 */
    int64_t rest_milli, rest_max, rest_decay_milli, rest_at_ns;
    struct fb_vsim_faults faults;
    struct fb_vsim_http *srv;
};

/* vsim_kraken_orders.c */
enum fb_err vk_init(struct fb_vsim_kraken *vk, char *err, size_t errlen) FB_WARN_UNUSED;
void vk_free(struct fb_vsim_kraken *vk);
/* Price walk, partial fills, expiries, waiting take-profits; caught up. */
void vk_tick(struct fb_vsim_kraken *vk, int64_t now_ns);
/* error:[text], no result. */
void vk_error(struct vk_answer *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* error:[], result: r (stolen). */
void vk_result(struct vk_answer *a, json_t *r);

void vk_time(struct fb_vsim_kraken *vk, struct vk_answer *a, int64_t now_ns);
void vk_system_status(struct fb_vsim_kraken *vk, struct vk_answer *a, int64_t now_ns);
void vk_asset_pairs(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a);
void vk_ticker(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a);
/* Counts an AddOrder by cl_ord_id (signed and well-formed or not). */
void vk_count_post(struct fb_vsim_kraken *vk, struct vs_params *p);
/* *placed: an order was created (for the after_place faults). */
void vk_add_order(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                  int64_t now_ns, bool *placed);
void vk_cancel_order(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                     int64_t now_ns);
void vk_cancel_all(struct fb_vsim_kraken *vk, struct vk_answer *a, int64_t now_ns);
void vk_amend_order(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                    int64_t now_ns);
void vk_query_orders(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a);
void vk_list_orders(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                    bool open);
void vk_query_trades(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a);
void vk_set_price(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a,
                  int64_t now_ns);
void vk_report(struct fb_vsim_kraken *vk, struct vs_params *p, struct vk_answer *a);

#endif
