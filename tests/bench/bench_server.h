/*
 * bench_server.h -- the server under test, always a child process so that
 * its CPU time and memory are read the same way from /proc: the floor (a bare
 * acceptor on the fix/ shim) or the real `fixbridge run`.
 */
#ifndef FB_BENCH_SERVER_H
#define FB_BENCH_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FB_BENCH_MAX_SESSIONS 64

enum fb_bench_kind {
    FB_BENCH_FLOOR = 0,      /* bare shim acceptor, memory store, no engine */
    FB_BENCH_BRIDGE_MEM = 1, /* fixbridge run, store memory, no message log */
    FB_BENCH_BRIDGE_FILE = 2, /* fixbridge run, store file, message log on */
    FB_BENCH_BRIDGE_BINANCE = 3 /* fixbridge run, Binance adapter -> fixbridge venue-sim */
};
#define FB_BENCH_NKINDS 4

/* The venue-sim's API key and secret are read from these variables
 * (fbbench sets them: dummy values, the simulator is loopback only). */
#define FB_BENCH_VSIM_KEY_ENV "FBBENCH_VSIM_KEY"
#define FB_BENCH_VSIM_SECRET_ENV "FBBENCH_VSIM_SECRET"

struct fb_bench_server {
    enum fb_bench_kind kind;
    pid_t pid;
    size_t nsessions;
    uint16_t ports[FB_BENCH_MAX_SESSIONS];
    char dir[256]; /* scratch directory (config, data, logs) */
    pid_t sim_pid;     /* bridge/binance: the venue-sim child */
    uint16_t sim_port; /* and its port (REST and /__sim control) */
    uint16_t admin_port; /* bridge/binance: the bridge's admin endpoint (/metrics) */
};

/* Settings shared by every server start. */
struct fb_bench_server_opts {
    const char *fixbridge;  /* path of the fixbridge binary */
    const char *dictionary; /* FIX44.xml for the floor */
    const char *workdir;    /* scratch directories go below it */
    size_t nsessions;       /* sessions OMS1..OMSn to declare */
    int floor_reports;      /* ExecutionReports the floor sends per order (1) */
};

/* Starts a server and waits until it listens. On failure prints why to
 * stderr and returns -1 (no child is left running). */
int fb_bench_server_start(enum fb_bench_kind kind, const struct fb_bench_server_opts *o,
                          struct fb_bench_server *s);

/* SIGTERM, wait up to timeout_ms, then SIGKILL; removes the scratch dir. */
void fb_bench_server_stop(struct fb_bench_server *s, int timeout_ms);

/* Kills every server still running (atexit and signal paths). */
void fb_bench_server_kill_all(void);

const char *fb_bench_kind_name(enum fb_bench_kind k);

/* In bench_floor.c: runs the floor in the calling (child) process: creates
 * the acceptor, writes its ports to fd as "PORT\n" lines then "ready\n", and
 * serves until SIGTERM. Never returns. */
void fb_bench_floor_child(const struct fb_bench_server_opts *o, const char *data_dir, int fd);

/* In bench_bridge.c: writes the config for kind into dir/fixbridge.yaml
 * (sim_port: the venue-sim's, for bridge/binance). */
int fb_bench_bridge_config(enum fb_bench_kind kind, const struct fb_bench_server_opts *o,
                           const char *dir, uint16_t sim_port);

/* The venue-sim's market: the paper venue's (65000, still), so the bench's
 * limit buys at 62000 rest in (c) as in (b). */
#define FB_BENCH_VSIM_MARKET "BTCUSDT:65000:0.01:0.00001:5:BTC/USDT:0.00001"

/* In bench_vsim.c: GET path from 127.0.0.1:port (HTTP/1.0); the body,
 * malloc'd, or NULL (why on stderr). */
char *fb_bench_http_get(uint16_t port, const char *path, int timeout_ms);

#endif
