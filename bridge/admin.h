/*
 * admin.h -- the admin and observability endpoint on loopback: /health,
 * /metrics (Prometheus text), /sessions, /orders?state=open|all, the kill
 * switch (POST /kill?scope=session|account|venue|all&name=N, POST /release,
 * GET /kill), and, with
 * admin.sim_control, POST /sim/price and /sim/cancel for tests. Runs its
 * own HTTP thread (libmicrohttpd); an optional bearer token is read from
 * the environment variable the config names.
 */
#ifndef FB_ADMIN_H
#define FB_ADMIN_H

#include <stdint.h>

#include "bridge/engine.h"
#include "config/config.h"
#include "fix/fix_shim.h"

struct fb_admin;

/* Starts the endpoint (cfg, engine and acceptor are borrowed and must
 * outlive it). NULL with a reason in errbuf on failure. */
struct fb_admin *fb_admin_start(const struct fb_config *cfg, struct fb_engine *engine,
                                fb_fix_acceptor *acceptor, char *errbuf, size_t errlen);
/* The port bound (useful when the config said 0). */
uint16_t fb_admin_port(const struct fb_admin *a);
/* Stops the HTTP thread and frees. NULL is fine. */
void fb_admin_stop(struct fb_admin *a);

#endif
