/*
 * bench_load.h -- the load generator: K raw-socket FIX 4.4 initiator sessions
 * sending NewOrderSingles closed-loop (a window of outstanding orders per
 * session) or open-loop at a fixed rate. Open-loop latency is measured from
 * each order's *scheduled* send time, so a stalled server is charged for the
 * orders it kept waiting (no coordinated omission).
 */
#ifndef FB_BENCH_LOAD_H
#define FB_BENCH_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench_hist.h"

#define FB_LOAD_MAX_SAMPLES 128
#define FB_LOAD_MAX_CONNS 64

struct fb_load_opts {
    size_t nconns;         /* sessions OMS1..OMSn, one connection each */
    const uint16_t *ports; /* per session */
    uint64_t warmup;       /* orders sent closed-loop first, not measured */
    uint64_t count;        /* measured orders */
    unsigned window;       /* closed loop: outstanding orders per session */
    double rate;           /* > 0: open loop at this many orders/s (session 1) */
    int market;            /* market orders that fill, not resting limit buys */
    int done_on_new;       /* an order is answered by 150=0 (else by a terminal state) */
    pid_t server;          /* whose CPU time and memory are read */
    pid_t helper;          /* > 0: a second process whose CPU time is read (the venue-sim) */
    uint64_t sample_every; /* read the server's RSS every this many orders (0: never) */
    double timeout_s;      /* the whole run, including warm-up */
    int progress;          /* print a line at each RSS sample */
    int track;             /* keep each measured order's write time and OrderID (r->track) */
    void (*after_warmup)(void *ctx); /* (optional) between warm-up and the measured phase */
    void *after_warmup_ctx;
};

/* One measured order, when o->track: when its bytes were handed to the
 * kernel (CLOCK_MONOTONIC, the write() that completed its message) and the
 * OrderID(37) of its first ExecutionReport that had one. */
struct fb_load_track {
    int64_t sent_ns;
    char order_id[32];
};

struct fb_rss_sample {
    uint64_t orders;
    int64_t rss_kib;
    double t_s;
};

struct fb_load_result {
    struct fb_hist first;  /* order -> first ExecutionReport, ns */
    struct fb_hist acked;  /* order -> ExecutionReport 150=0 (New), ns */
    uint64_t done;         /* measured orders answered */
    uint64_t rejected;     /* of which ExecType=Rejected */
    uint64_t open_orders;  /* New and not terminal at the end (all sessions) */
    int64_t elapsed_ns;    /* first measured send to last answer */
    int64_t server_cpu_us; /* server utime+stime over the measured phase */
    int64_t client_cpu_us; /* this process, same phase */
    int64_t helper_cpu_us; /* o->helper, same phase; -1 if none */
    int64_t rss_start_kib; /* server VmRSS before the measured phase */
    int64_t rss_end_kib;   /* and after */
    int64_t hwm_kib;       /* server VmHWM at the end */
    size_t nsamples;
    struct fb_rss_sample samples[FB_LOAD_MAX_SAMPLES];
    struct fb_load_track *track; /* o->track: count entries, order i at [i]; free() it */
    char error[256]; /* first problem seen ("" if none) */
};

/* Runs one measurement. Returns 0 if every order was answered in time,
 * -1 otherwise (r->error says why; the figures so far are still filled). */
int fb_load_run(const struct fb_load_opts *o, struct fb_load_result *r);

#endif
