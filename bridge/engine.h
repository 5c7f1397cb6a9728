/*
 * engine.h -- the order engine: one thread that owns every order.
 *
 * The FIX thread calls fb_engine_on_app(), which only translates the message
 * (bridge/translate) and enqueues the result. The engine thread takes items
 * off the queue, changes orders through the state machine (bridge/order),
 * talks to the venues (adapters/, asynchronous: their answers come back as
 * events on this same thread) and sends every report through the FIX shim.
 * Nothing on the engine thread blocks on I/O: venues queue their requests
 * and deliver answers from their run() slot.
 *
 * Lifecycle: fb_engine_new() (creates the venues) -> fb_engine_attach()
 * (gives it the acceptor to send on) -> fb_engine_start() -> ... ->
 * fb_engine_stop() -> fb_engine_free(). The acceptor must be stopped before
 * the engine is freed, and started after the engine, since its callbacks
 * enqueue into the engine.
 */
#ifndef FB_ENGINE_H
#define FB_ENGINE_H

#include "bridge/error.h"
#include "config/config.h"
#include "fix/fix_shim.h"

struct fb_engine;

/* Creates the engine and its venues from cfg (borrowed: must outlive the
 * engine). On error returns NULL and writes the reason to errbuf. */
struct fb_engine *fb_engine_new(const struct fb_config *cfg, char *errbuf, size_t errlen);

/* The callbacks to give fb_fix_acceptor_new(); user is the engine. */
struct fb_fix_callbacks fb_engine_fix_callbacks(struct fb_engine *e);

/* The acceptor reports go out on (borrowed). */
void fb_engine_attach(struct fb_engine *e, fb_fix_acceptor *acceptor);

enum fb_err fb_engine_start(struct fb_engine *e) FB_WARN_UNUSED;

/* Requests another thread (the admin endpoint) may make; each is carried
 * out on the engine thread, so it sees and changes orders safely. */
enum fb_engine_op {
    FB_OP_ORDERS = 0,     /* JSON array of orders (open only unless .all) */
    FB_OP_METRICS = 1,    /* Prometheus text of the engine's counters */
    FB_OP_SIM_PRICE = 2,  /* sim venue .venue: reference of .symbol = .price */
    FB_OP_SIM_CANCEL = 3, /* sim venue cancels order .ref (OrderID) on its own */
    FB_OP_KILL = 4,       /* kill switch on for scope .venue ("session", "account",
                             "venue", "all") named .ref: cancel and block */
    FB_OP_RELEASE = 5,    /* kill switch off for the same scope and name */
    FB_OP_KILLS = 6,      /* JSON array of engaged kill switches */
    FB_OP_ORPHANS = 7,    /* JSON array of venue orders the journal did not know */
    FB_OP_NEW_DAY = 8,    /* start the next trading day now (forget finished orders,
                             compact the journal); normally at UTC midnight */
    FB_OP_LAST            /* not a true op, never use this */
};

struct fb_engine_call {
    enum fb_engine_op op;
    int all;
    char venue[65]; /* or, for KILL/RELEASE, the scope */
    char symbol[65];
    char ref[65];
    char price[48];
    /* Results: rc, and on success a malloc()ed text the caller frees, or on
     * failure a reason in err. */
    enum fb_err rc;
    char *text;
    char err[256];
};

/* Runs c on the engine thread and waits for it. Thread safe; must not be
 * called from the engine thread itself. FB_ERR_STATE once stopped. */
enum fb_err fb_engine_call(struct fb_engine *e, struct fb_engine_call *c);
/* Finishes what is queued and stops the thread. */
void fb_engine_stop(struct fb_engine *e);
void fb_engine_free(struct fb_engine *e);

#endif
