/*
 * engine.c -- the order engine thread: queue in, state machine, venues,
 * reports out. See engine.h for the threading contract.
 */
#include "bridge/engine.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "adapters/sim.h"
#include "bridge/breaker.h"
#include "bridge/engine_queue.h"
#include "bridge/grow.h"
#include "bridge/log.h"
#include "bridge/journal.h"
#include "bridge/done_file.h"
#include "bridge/done_index.h"
#include "bridge/kindex.h"
#include "bridge/pool.h"
#include "bridge/order.h"
#include "bridge/order_codec.h"
#include "bridge/policy.h"
#include "bridge/report.h"
#include "bridge/route.h"
#include "bridge/strmap.h"
#include "bridge/textcat.h"
#include "bridge/throttle.h"
#include "bridge/throttle_queue.h"
#include "bridge/translate.h"
#include "bridge/venues.h"

/* The request id of the open-orders listing asked at start. */
#define ORPHAN_SCAN_ID "fb-orphan-scan"
/* Items the FIX threads may queue before they wait for the engine. */
#define FB_ENGINE_QUEUE_CAP 8192
/* How long start-up waits for a REST venue to load its markets. */
#define FB_VENUE_READY_TIMEOUT_NS (20LL * 1000000000LL)
/* Items the engine takes per wake-up before it lets the venues run. */
#define FB_ENGINE_BATCH 64

/*
 * The state-machine facts of an order (struct fb_order) as the engine keeps
 * them between events. The fields the engine reads have fb_order's names, so
 * it reads them as before, but each string is a pointer into the order's one
 * string block (stored once, at its real length: see facts_pack) and what
 * few orders use lives in struct order_cold. fb_order_apply() runs on a full
 * struct fb_order that order_load() builds from this and order_store() packs
 * back (order_apply()), so order.c and its contract are unchanged. About 300
 * bytes instead of fb_order's 1.4 KB of fixed arrays (issue #7).
 */
struct order_facts {
    enum fb_order_state state;
    const char *order_id, *venue_order_id, *venue_name, *cl_ord_id, *orig_cl_ord_id;
    struct {
        size_t session;
        const char *cl_ord_id, *account, *symbol, *venue_symbol;
        enum fb_side side;
        uint8_t px_places;
    } req;
    struct fb_order_terms terms; /* in force now */
    uint8_t acked;
    uint8_t px_places;
    struct {
        enum fb_pending_kind kind;
        const char *cl_ord_id;
    } pending;
    int rej_reason;
    struct fb_dec cum_qty, notional, avg_px;
};

/* What few orders need, allocated on first use (order_cold_get) and freed
 * with the order: a plain resting order does not pay for it. */
struct order_cold {
    struct fb_order_terms req_terms;     /* as accepted, once a replace changed them */
    uint8_t has_req_terms;
    struct fb_order_terms pending_terms; /* a pending replace's terms */
    char *trade_ids;                     /* struct fb_order's, owned */
    size_t trade_ids_len, trade_ids_cap;
    char *unknown_text;       /* the venue's words after an unknown outcome; owned */
    char *bridge_cancel_text; /* why the bridge canceled it; owned */
    /* "<session>|<ClOrdID>\0" of every key in by_clordid for this order
     * but the first (session|req.cl_ord_id): a finished order keeps them
     * all for the day's duplicate check. Owned. */
    char *keys;
    size_t keys_len;
    /* The venue's ids for this order that venue_coid() does not give (a
     * journal or a venue that chose others), NUL-terminated one after the
     * other: by_coid finds the order by them (coid_has). coid_now is
     * 1 + the offset of the one it has now, 0 when that is venue_coid(eo,
     * version), as for nearly every order. Owned, but in a view. */
    char *coids;
    size_t coids_len, coid_now;
};

/* An order as the engine keeps it while it is live (and until collapsed,
 * see order_collapse): its facts plus what only the engine needs (venue
 * routing, the venue's client order ids). */
struct eorder {
    struct order_facts o;
    char *strs;                                   /* the strings o points into; owned */
    struct order_cold *cold;                      /* or NULL; owned */
    size_t venue;
    unsigned version;                             /* of the venue client order id */
    /* the venue's id for it now: order_coid() (venue_coid(eo, version)
     * unless cold->coid_now says otherwise), not stored (issue #7) */
    uint8_t bridge_cancel;                        /* the bridge itself asked to cancel */
    uint8_t reconciling;                          /* start-up queries are out */
    uint8_t awaiting_outcome;                     /* queried after an unknown outcome */
    uint8_t dying;                                /* finished, in e->dying */
    uint8_t view;                                 /* a finished order's view: read only */
    struct reconciliation *rc;                    /* their answers so far */
    /* The venue closed the order (canceled/expired) with fills the journal
     * does not have yet: close it once they are in, not before. */
    uint8_t close_after_fills;
    enum fb_order_event_type close_event;
    struct fb_dec close_at_cum;
    int64_t sent_ns;                              /* a venue request is out since */
    struct vheld *vheld;                          /* held by the venue throttle */
    struct eorder *prev, *next;                   /* the live (non-terminal) list */
    struct eorder *all_prev, *all_next;           /* every order not collapsed */
    uint8_t live;
};

/*
 * A finished order, collapsed once terminal (order_collapse): what the
 * trading day still needs to answer about it, in one allocation.
 *  - duplicate ClOrdID (F.1.b, CxlRejReason 6): every "<session>|<ClOrdID>"
 *    key the order used, exactly (e->done_idx finds them by hash);
 *  - an OrderStatusRequest, a late cancel or replace (too late), a
 *    duplicate NewOrderSingle or its PossResend copy: OrdStatus,
 *    OrdRejReason, CumQty, AvgPx, the terms (OrderQty, Price, ... and the
 *    original ones if a replace changed them), Side, and the strings
 *    (OrderID, SecondaryOrderID, ClOrdID, OrigClOrdID, the first ClOrdID,
 *    Account, Symbol, the venue's symbol, SecurityExchange, ExDestination);
 *  - /orders?state=all: the venue and its client order id.
 * No trade ids (no fill can come after the end), no pending request, no
 * reconciliation. data: the string block as facts_pack wrote it, then the
 * client order id, then the keys, each NUL-terminated, then (unaligned)
 * the original terms if has_req_terms.
 * Not kept in memory: appended to the day's file (bridge/done_file.h) and
 * read back (done_read) on the rare paths that need it; its keys go to
 * an index of fixed memory (e->done_idx, bridge/done_index.h).
 */
struct done_order {
    uint32_t len; /* of the whole record, this header included */
    uint32_t session, venue;
    uint8_t state, side, acked, has_req_terms;
    int32_t rej_reason;
    struct fb_order_terms terms;
    struct fb_dec cum_qty, avg_px;
    uint32_t strs_len, keys_len;
    char data[];
};
/* The header's bytes in a record: data may start inside sizeof's padding. */
#define DONE_HDR offsetof(struct done_order, data)

/* What the venue said, at start-up, about an order the journal had open:
 * its current client order id and, with a replace pending, the id the
 * replace would have given it. */
struct reconciliation {
    uint8_t wait; /* answers still to come */
    uint8_t have_old, have_new;
    char new_coid[FB_VENUE_CLORDID_MAX + 1];
    struct fb_venue_event old_ev, new_ev;
};

struct fb_engine {
    const struct fb_config *cfg;
    fb_fix_acceptor *acceptor;
    struct fb_engine_queue q;
    pthread_t thread;
    int running;
    atomic_int stop;
    /* One step of the engine at a time, on whichever thread runs it: the
     * engine thread (timers, venue answers, queued items) or the FIX I/O
     * thread, which with inline_steps handles its own messages at once and
     * ends the step when it is about to wait (on_io_idle): no thread hop
     * between an order and its acknowledgement. Only when no fsync is
     * wanted at a barrier (journal_fsync: never): an fsync there would stall
     * every session's reading, so with group or every the engine thread
     * does the steps. */
    pthread_mutex_t step_mu;
    int inline_steps;
    /* when the engine thread's poll() ends (ns, CLOCK_REALTIME): a step
     * elsewhere that makes something due earlier wakes it */
    _Atomic int64_t sleep_until;
    /* the venues' socket sets (poll_fds generations, summed) the engine
     * thread polls: a step elsewhere that changes them wakes it */
    uint64_t polled_gen;

    struct fb_venue_inst *venues;
    size_t nvenues;
    struct fb_breaker *breakers; /* per venue: refuses new orders while open */
    struct latency_hist *latency; /* per venue: request -> answer times */
    struct latency_hist *written; /* per venue: FIX read -> new order request written */

    /* venue orders the journal did not know, found at start */
    struct orphan {
        size_t venue;
        char coid[FB_VENUE_CLORDID_MAX + 1];
        char venue_order_id[FB_VENUE_ID_MAX + 1];
        char symbol[FB_VENUE_SYMBOL_MAX + 1];
        uint8_t cancel_sent;
    } orphans[256];
    size_t norphans;
    uint64_t orphans_total;
    struct fb_route_table *routes;
    struct fb_venue_market *markets; /* per route */
    struct fb_tr_venue *trv;         /* per venue */
    enum fb_fix_version *versions;   /* per session */

    /* The orders' indexes keep no keys: each key is compared against the
     * order's own strings (clordid_has, coid_has, order_id_has). */
    struct fb_kidx by_clordid; /* "<session>|<ClOrdID>" -> eorder (all ids used) */
    struct fb_kidx by_coid;    /* "<venue>|<client order id>" -> eorder */
    struct fb_kidx by_order_id; /* OrderID -> eorder */

    /* The order journal: every accepted order and every state change is
     * appended, and made durable (journal_commit) before the bridge acts on
     * it outside: a venue request or a report. */
    struct fb_journal *journal;
    int journal_dirty;  /* appended since the last sync */
    int journal_failed; /* a write failed: no new orders are accepted */
    int replaying;      /* rebuilding from the journal: no journal writes */
    uint64_t last_jseq; /* the last record appended */
    int unmarked;       /* records appended since the last SENT marker */
    int pending_io;     /* a remote venue has a request waiting for the barrier */
    int in_venue_run;   /* inside the venues' run(): requests may leave at once */
    /* replaying one event: its record's number and the ExecID it had */
    uint64_t replay_seq;
    char replay_exec_id[FB_ID_LEN + 1];
    int replay_saw_marker;

    /* Messages to the OMS wait here until the end of the engine's step, so
     * one journal barrier (one fsync) covers a whole batch and nothing
     * leaves before what caused it is durable. After a restart it starts
     * with the reports the journal has and the OMS may not (PossResend). */
    struct outbox {
        unsigned char *buf; /* messages back to back, see outbox_put */
        size_t len, cap, count;
    } out;
    int64_t next_day_ns; /* the next trading-day boundary (UTC midnight) */
    struct eorder *live;         /* non-terminal orders */
    size_t nlive;
    struct eorder *all;          /* every order the engine holds, but collapsed ones */
    struct fb_order scratch;     /* the order fb_order_apply() works on (order_apply) */
    /* FACTS_STRS_MAX bytes order_apply() holds ready before an event, kept
     * while events leave an order's strings as they were (most do), given
     * to the order when they change: no malloc/free pair per event. */
    char *strs_spare;
    /* finished orders waiting to be collapsed at the next safe point
     * (collapse_finished): callers still use an order after its last apply */
    struct eorder **dying;
    size_t ndying, cap_dying;
    /* The collapsed finished orders of the day, in a file (order_collapse),
     * and their ClOrdID keys in an index of fixed memory beside it. */
    struct fb_done_file done_file;
    size_t done_by_state[FB_ST_LAST];
    struct fb_done_index done_idx;
    struct fb_pool orders; /* struct eorder */
    /* Records read back, one buffer each, since a duplicate check
     * (done_find) may come while a view is in use: */
    struct done_order *done_look; /* done_find's candidate */
    struct done_order *done_vrec; /* the record behind done_view */
    struct done_order *done_build; /* order_collapse's record before the append */
    size_t done_look_cap, done_vrec_cap, done_build_cap;
    struct eorder done_view;     /* one finished order as an eorder (done_view_of) */
    struct order_cold done_view_cold;
    char done_view_coid[FB_VENUE_CLORDID_MAX + 1];

    struct fb_exec_id_seq exec_ids;
    struct fb_order_env env;
    char id_prefix[16];
    uint64_t next_order;
    uint64_t next_mass;

    /* per session: the throttles on what the OMS sends, and the FIFO of
     * messages held within the latency budget (everything after a held
     * message waits behind it, so a cancel never overtakes its order) */
    struct session_throttle {
        struct fb_throttle orders;   /* NewOrderSingle, OrderCancelReplaceRequest */
        struct fb_throttle messages; /* every other message but cancels */
        struct fb_tqueue held;
        int64_t budget_ns;
    } *sthr;

    /* per venue: the throttles on what the engine sends it. A new order or
     * a replace passes the orders bucket, then the requests bucket, each
     * with a FIFO of those held within the latency budget; a cancel takes
     * a request token when there is one but is never held or refused
     * (pulling orders must always work). The venue's own Retry-After
     * pauses both buckets. */
    struct venue_throttle {
        struct fb_throttle orders;   /* new orders and replaces */
        struct fb_throttle requests; /* every request the engine makes */
        struct fb_tqueue held[2];    /* per stage: VT_ORDERS, VT_REQUESTS */
        int64_t budget_ns;
    } *vthr;

    /* per session: logged on, and when cancel-on-disconnect fires (0 none) */
    uint8_t *logged_on;
    int64_t *cod_deadline;

    /* pre-trade policy, and the exposure it needs per scope (the order's
     * account, else its session): open orders, and per symbol the net
     * filled position and open leaves by side. */
    struct fb_policy *policy;
    struct fb_policy_stats policy_stats;
    struct fb_strmap exposure;

    /* Orders whose venue reported more CumQty than the journal has: the
     * adapter owes their fills. Checked again after owed_fills_check_ms
     * (bridge:), and the venue asked once more each time, so a stalled
     * adapter is noticed (log, /metrics) instead of leaving the order
     * short for good. */
    struct owed {
        char order_id[FB_ID_LEN + 1];
        struct fb_dec cum; /* what the venue said */
        int64_t due_ns;
    } owed[256];
    size_t nowed;
    uint64_t owed_overdue; /* checks that found the fills still missing */

    /* engaged kill switches */
    struct kill {
        enum kill_scope { KILL_SESSION, KILL_ACCOUNT, KILL_VENUE, KILL_ALL } scope;
        char name[65];
    } kills[64];
    size_t nkills;

    /* counters for /metrics (engine thread only, except session_rejects) */
    uint64_t exec_reports[FB_EXEC_TYPE_LAST];
    uint64_t ord_rejects[100]; /* by OrdRejReason (99 = other) */
    uint64_t cancel_rejects[100]; /* by CxlRejReason */
    atomic_ulong session_rejects;
    struct fb_item batch[FB_ENGINE_BATCH];
};

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A replayed event gets the ExecID it had, so a report resent after a
 * crash is the same report; everything else the next of this run's. */
static enum fb_err engine_exec_id(void *user, char *buf, size_t size)
{
    struct fb_engine *e = user;
    if (e->replay_exec_id[0]) {
        if (strlen(e->replay_exec_id) >= size)
            return FB_ERR_TOO_LARGE;
        memcpy(buf, e->replay_exec_id, strlen(e->replay_exec_id) + 1);
        return FB_OK;
    }
    return fb_exec_id_seq_next(&e->exec_ids, buf, size);
}

static int64_t env_now(void *user)
{
    (void)user;
    return realtime_ns();
}

static void base36(uint64_t v, char *out, size_t size)
{
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v && n < sizeof tmp);
    size_t k = 0;
    while (n && k + 1 < size)
        out[k++] = tmp[--n];
    out[k] = '\0';
}

/* Copies src into dst[size], cut to fit, always NUL-terminated. */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- compact orders (issue #7) ----------------------------------------- */

/* An order's strings in its block (facts_pack), in this order. */
enum {
    S_ORDER_ID,
    S_VENUE_ORDER_ID,
    S_CL_ORD_ID, /* "" when it is still the first one: stored once */
    S_ORIG_CL_ORD_ID,
    S_REQ_CL_ORD_ID,
    S_ACCOUNT,
    S_SYMBOL,
    S_VENUE_SYMBOL,
    S_SEC_EXCH,
    S_EX_DEST,
    S_PENDING_CL_ORD_ID, /* "" without a pending request */
    S_N
};
#define FACTS_STRS_MAX (S_N * (FB_ID_LEN + 1))

/* Writes o's strings to buf (FACTS_STRS_MAX bytes), each NUL-terminated at
 * its real length; returns the bytes used. */
static size_t facts_pack(const struct fb_order *o, char *buf)
{
    const char *v[S_N];
    size_t n = 0;
    v[S_ORDER_ID] = o->order_id;
    v[S_VENUE_ORDER_ID] = o->venue_order_id;
    v[S_CL_ORD_ID] = strcmp(o->cl_ord_id, o->req.cl_ord_id) != 0 ? o->cl_ord_id : "";
    v[S_ORIG_CL_ORD_ID] = o->orig_cl_ord_id;
    v[S_REQ_CL_ORD_ID] = o->req.cl_ord_id;
    v[S_ACCOUNT] = o->req.account;
    v[S_SYMBOL] = o->req.symbol;
    v[S_VENUE_SYMBOL] = o->req.venue_symbol;
    v[S_SEC_EXCH] = o->req.security_exchange;
    v[S_EX_DEST] = o->req.ex_destination;
    v[S_PENDING_CL_ORD_ID] = o->pending.kind != FB_PENDING_NONE ? o->pending.cl_ord_id : "";
    for (size_t i = 0; i < S_N; i++) {
        size_t l = strnlen(v[i], FB_ID_LEN);
        memcpy(buf + n, v[i], l);
        buf[n + l] = '\0';
        n += l + 1;
    }
    return n;
}

/* The S_N strings of a block, in order. */
static void strs_split(const char *strs, const char *v[S_N])
{
    for (size_t i = 0; i < S_N; i++) {
        v[i] = strs;
        strs += strlen(strs) + 1;
    }
}

static size_t strs_len(const char *strs)
{
    const char *v[S_N];
    strs_split(strs, v);
    return (size_t)(v[S_N - 1] - strs) + strlen(v[S_N - 1]) + 1;
}

/* Points f's strings into strs (a block facts_pack wrote). */
static void facts_point(struct order_facts *f, const char *strs)
{
    const char *v[S_N];
    strs_split(strs, v);
    f->order_id = v[S_ORDER_ID];
    f->venue_order_id = v[S_VENUE_ORDER_ID];
    f->req.cl_ord_id = v[S_REQ_CL_ORD_ID];
    f->cl_ord_id = v[S_CL_ORD_ID][0] ? v[S_CL_ORD_ID] : f->req.cl_ord_id;
    f->orig_cl_ord_id = v[S_ORIG_CL_ORD_ID];
    f->req.account = v[S_ACCOUNT];
    f->req.symbol = v[S_SYMBOL];
    f->req.venue_symbol = v[S_VENUE_SYMBOL];
    f->pending.cl_ord_id = v[S_PENDING_CL_ORD_ID];
}

/* fb_order_is_terminal() and fb_order_leaves() on the compact facts. */
static int facts_terminal(const struct order_facts *f)
{
    return f->state == FB_ST_FILLED || f->state == FB_ST_CANCELED ||
           f->state == FB_ST_REJECTED || f->state == FB_ST_EXPIRED;
}

static struct fb_dec facts_leaves(const struct order_facts *f)
{
    struct fb_dec left;
    if (facts_terminal(f) || f->state == FB_ST_NONE)
        return fb_dec_zero();
    if (fb_dec_sub(f->terms.qty, f->cum_qty, &left) != FB_OK || fb_dec_sign(left) < 0)
        return fb_dec_zero();
    return left;
}

/* eo's side struct, allocated on first use; NULL when out of memory. */
static struct order_cold *order_cold_get(struct eorder *eo)
{
    if (!eo->cold)
        eo->cold = calloc(1, sizeof *eo->cold);
    return eo->cold;
}

/* Builds the full struct fb_order of eo in o (overwritten). The trade-id
 * buffer is lent: order_store() takes it back. */
static void order_load(const struct eorder *eo, struct fb_order *o)
{
    const struct order_facts *f = &eo->o;
    const struct order_cold *c = eo->cold;
    const char *v[S_N];

    memset(o, 0, sizeof *o);
    strs_split(f->order_id, v); /* the block starts with it, also in a view */
    o->state = f->state;
    copy_str(o->order_id, sizeof o->order_id, f->order_id);
    copy_str(o->venue_order_id, sizeof o->venue_order_id, f->venue_order_id);
    copy_str(o->venue_name, sizeof o->venue_name, f->venue_name);
    copy_str(o->cl_ord_id, sizeof o->cl_ord_id, f->cl_ord_id);
    copy_str(o->orig_cl_ord_id, sizeof o->orig_cl_ord_id, f->orig_cl_ord_id);
    o->req.session = f->req.session;
    copy_str(o->req.cl_ord_id, sizeof o->req.cl_ord_id, f->req.cl_ord_id);
    copy_str(o->req.account, sizeof o->req.account, f->req.account);
    copy_str(o->req.symbol, sizeof o->req.symbol, f->req.symbol);
    o->req.venue = eo->venue;
    copy_str(o->req.venue_symbol, sizeof o->req.venue_symbol, f->req.venue_symbol);
    o->req.side = f->req.side;
    o->req.terms = c && c->has_req_terms ? c->req_terms : f->terms;
    copy_str(o->req.security_exchange, sizeof o->req.security_exchange, v[S_SEC_EXCH]);
    copy_str(o->req.ex_destination, sizeof o->req.ex_destination, v[S_EX_DEST]);
    o->req.px_places = f->req.px_places;
    /* req.text and req.poss_resend are the journal's (journal_new): the
     * state machine never reads them */
    o->terms = f->terms;
    o->acked = f->acked;
    o->pending.kind = f->pending.kind;
    copy_str(o->pending.cl_ord_id, sizeof o->pending.cl_ord_id, f->pending.cl_ord_id);
    if (c && f->pending.kind == FB_PENDING_REPLACE)
        o->pending.terms = c->pending_terms;
    o->rej_reason = f->rej_reason;
    o->cum_qty = f->cum_qty;
    o->notional = f->notional;
    o->avg_px = f->avg_px;
    o->px_places = f->px_places;
    if (c) {
        o->trade_ids = c->trade_ids;
        o->trade_ids_len = c->trade_ids_len;
        o->trade_ids_cap = c->trade_ids_cap;
    }
}

/* Field by field: the structs have padding. */
static int terms_equal(const struct fb_order_terms *a, const struct fb_order_terms *b)
{
    return a->ord_type == b->ord_type && a->tif == b->tif &&
           a->expire_time_ns == b->expire_time_ns && fb_dec_cmp(a->qty, b->qty) == 0 &&
           fb_dec_cmp(a->price, b->price) == 0 && fb_dec_cmp(a->stop_px, b->stop_px) == 0 &&
           fb_dec_cmp(a->max_floor, b->max_floor) == 0 &&
           fb_dec_cmp(a->cash_qty, b->cash_qty) == 0 && a->post_only == b->post_only;
}

/* What must exist before o can be stored in eo without an allocation that
 * could fail: the side struct when o needs it. */
static int order_needs_cold(const struct eorder *eo, const struct fb_order *o)
{
    return o->trade_ids || o->pending.kind == FB_PENDING_REPLACE ||
           !terms_equal(&o->req.terms, &o->terms) ||
           (eo->cold && eo->cold->has_req_terms);
}

/* Packs o back into eo. strs is a block facts_pack() wrote (owned by eo from
 * now on) or NULL when the strings did not change. Cannot fail: the side
 * struct, if o needs it, exists (order_needs_cold). */
static void order_store(struct eorder *eo, const struct fb_order *o, char *strs)
{
    struct order_facts *f = &eo->o;
    struct order_cold *c = eo->cold;

    if (strs) {
        free(eo->strs);
        eo->strs = strs;
    }
    facts_point(f, eo->strs);
    f->state = o->state;
    f->req.session = o->req.session;
    f->req.side = o->req.side;
    f->req.px_places = o->req.px_places;
    f->terms = o->terms;
    f->acked = o->acked;
    f->pending.kind = o->pending.kind;
    f->rej_reason = o->rej_reason;
    f->cum_qty = o->cum_qty;
    f->notional = o->notional;
    f->avg_px = o->avg_px;
    f->px_places = o->px_places;
    if (c) {
        c->trade_ids = o->trade_ids;
        c->trade_ids_len = o->trade_ids_len;
        c->trade_ids_cap = o->trade_ids_cap;
        c->pending_terms = o->pending.terms;
        c->has_req_terms = !terms_equal(&o->req.terms, &o->terms);
        c->req_terms = c->has_req_terms ? o->req.terms : (struct fb_order_terms){0};
    }
}

/* A new eorder for the order req, OrderID order_id, in state NONE; NULL when
 * out of memory. */
static struct eorder *eorder_new(struct fb_engine *e, const char *order_id,
                                 const struct fb_new_order *req)
{
    struct fb_order *o = &e->scratch;
    char buf[FACTS_STRS_MAX];
    struct eorder *eo = fb_pool_get(&e->orders);
    if (!eo)
        return NULL;
    fb_order_init(o, order_id, e->venues[req->venue].name, req);
    size_t n = facts_pack(o, buf);
    char *strs = malloc(n);
    if (!strs) {
        fb_pool_put(&e->orders, eo);
        return NULL;
    }
    memcpy(strs, buf, n);
    eo->venue = req->venue;
    eo->o.venue_name = e->venues[req->venue].name;
    order_store(eo, o, strs);
    return eo;
}

/* Frees eo and what it owns. */
static void eorder_free(struct fb_engine *e, struct eorder *eo)
{
    if (!eo)
        return;
    if (eo->cold) {
        free(eo->cold->trade_ids);
        free(eo->cold->unknown_text);
        free(eo->cold->bridge_cancel_text);
        free(eo->cold->keys);
        free(eo->cold->coids);
        free(eo->cold);
    }
    free(eo->rc);
    free(eo->strs);
    fb_pool_put(&e->orders, eo);
}

/* Sets *slot (an owned string in eo's side struct) to a copy of text. */
static void cold_text_set(struct eorder *eo, size_t which, const char *text)
{
    struct order_cold *c = order_cold_get(eo);
    char **slot;
    if (!c) {
        fb_error("engine", "out of memory for order %s", eo->o.order_id);
        return;
    }
    slot = which ? &c->bridge_cancel_text : &c->unknown_text;
    free(*slot);
    *slot = strdup(text ? text : "");
}

static const char *cold_text(const struct eorder *eo, size_t which)
{
    const char *t = NULL;
    if (eo->cold)
        t = which ? eo->cold->bridge_cancel_text : eo->cold->unknown_text;
    return t ? t : "";
}
#define TEXT_UNKNOWN 0
#define TEXT_BRIDGE_CANCEL 1

/* ---- lookups -------------------------------------------------------- */

/* "<n>|<id>" */
static void num_key(char *buf, size_t size, size_t n, const char *id)
{
    struct fb_cat c = fb_cat_init(buf, size);
    fb_cat_u64(&c, n);
    fb_cat_char(&c, '|');
    fb_cat_str(&c, id);
}

static void clordid_key(char *buf, size_t size, size_t session, const char *id)
{
    num_key(buf, size, session, id);
}

static void coid_key(char *buf, size_t size, size_t venue, const char *coid)
{
    num_key(buf, size, venue, coid);
}

static void venue_coid(const struct eorder *eo, unsigned version, char *out, size_t size);

/* The venue's id for eo now; buf (FB_VENUE_CLORDID_MAX + 1 bytes) holds it
 * unless it is in eo's side struct. */
static const char *order_coid(const struct eorder *eo, char *buf)
{
    if (eo->cold && eo->cold->coid_now)
        return eo->cold->coids + eo->cold->coid_now - 1;
    venue_coid(eo, eo->version, buf, FB_VENUE_CLORDID_MAX + 1);
    return buf;
}

/* 1 if venue_coid() gives coid for eo at some version: such ids need no
 * storage to be recognised. */
static int coid_derived(const struct eorder *eo, const char *coid)
{
    char p[FB_VENUE_CLORDID_MAX + 1];
    struct fb_cat c = fb_cat_init(p, sizeof p);
    size_t d;
    fb_cat_str(&c, "fb");
    fb_cat_strn(&c, eo->o.order_id, 24);
    fb_cat_char(&c, '-');
    if (strncmp(coid, p, c.len) != 0)
        return 0;
    coid += c.len;
    d = strspn(coid, "0123456789");
    /* exactly as %u writes a version: no sign, no leading zero */
    if (d == 0 || d > 10 || coid[d] || (d > 1 && coid[0] == '0'))
        return 0;
    return strtoull(coid, NULL, 10) <= UINT_MAX;
}

/* 1 + the offset of coid in eo's other venue ids, 0 if it is not there. */
static size_t coid_listed(const struct eorder *eo, const char *coid)
{
    const struct order_cold *c = eo->cold;
    for (size_t i = 0; c && c->coids && i < c->coids_len; i += strlen(c->coids + i) + 1) {
        if (!strcmp(c->coids + i, coid))
            return i + 1;
    }
    return 0;
}

static enum fb_err coid_list_add(struct eorder *eo, const char *coid)
{
    struct order_cold *c;
    size_t n = strlen(coid) + 1;
    char *k;
    if (coid_listed(eo, coid))
        return FB_OK;
    if (!(c = order_cold_get(eo)) || !(k = realloc(c->coids, c->coids_len + n)))
        return FB_ERR_NOMEM;
    memcpy(k + c->coids_len, coid, n);
    c->coids = k;
    c->coids_len += n;
    return FB_OK;
}

/* eo is known at its venue as coid from now on (eo->version already counts
 * the replace that gave it). */
static enum fb_err order_set_coid(struct eorder *eo, const char *coid)
{
    char d[FB_VENUE_CLORDID_MAX + 1];
    venue_coid(eo, eo->version, d, sizeof d);
    if (!strcmp(d, coid)) {
        if (eo->cold)
            eo->cold->coid_now = 0;
        return FB_OK;
    }
    if (coid_list_add(eo, coid) != FB_OK)
        return FB_ERR_NOMEM;
    eo->cold->coid_now = coid_listed(eo, coid);
    return FB_OK;
}

/* The has() of the three indexes (bridge/kindex.h): the keys an order is
 * found by, from its own strings. */
static int clordid_has(const void *item, const char *key, void *ctx)
{
    const struct eorder *eo = item;
    const struct order_cold *c = eo->cold;
    char first[FB_ID_LEN + 32];
    (void)ctx;
    clordid_key(first, sizeof first, eo->o.req.session, eo->o.req.cl_ord_id);
    if (!strcmp(first, key))
        return 1;
    for (size_t i = 0; c && c->keys && i < c->keys_len; i += strlen(c->keys + i) + 1) {
        if (!strcmp(c->keys + i, key))
            return 1;
    }
    return 0;
}

static int coid_has(const void *item, const char *key, void *ctx)
{
    const struct eorder *eo = item;
    char *end;
    unsigned long long venue = strtoull(key, &end, 10);
    (void)ctx;
    if (end == key || *end != '|' || venue != eo->venue)
        return 0;
    return coid_derived(eo, end + 1) || coid_listed(eo, end + 1);
}

static int order_id_has(const void *item, const char *key, void *ctx)
{
    (void)ctx;
    return !strcmp(((const struct eorder *)item)->o.order_id, key);
}

static struct eorder *idx_get(const struct fb_kidx *x, const char *key, fb_kidx_has_fn has)
{
    return fb_kidx_get(x, fb_kidx_hash(key), key, has, NULL);
}

static enum fb_err idx_put(struct fb_kidx *x, const char *key, struct eorder *eo,
                           fb_kidx_has_fn has)
{
    return fb_kidx_put(x, fb_kidx_hash(key), key, eo, has, NULL);
}

/* Indexes coid at venue for eo, noting it in eo if venue_coid() does not
 * give it. */
static enum fb_err coid_put(struct fb_engine *e, size_t venue, const char *coid, struct eorder *eo)
{
    char key[FB_VENUE_CLORDID_MAX + 32];
    if (!coid_derived(eo, coid) && coid_list_add(eo, coid) != FB_OK)
        return FB_ERR_NOMEM;
    coid_key(key, sizeof key, venue, coid);
    return idx_put(&e->by_coid, key, eo, coid_has);
}

static uint64_t hash64(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1; /* 0 marks an empty slot */
}

/* 1 if key is one of d's ClOrdID keys. */
static int done_has_key(const struct done_order *d, const char *key)
{
    const char *k = d->data + d->strs_len;
    k += strlen(k) + 1; /* the client order id */
    for (const char *end = k + d->keys_len; k < end; k += strlen(k) + 1) {
        if (!strcmp(k, key))
            return 1;
    }
    return 0;
}

/* Room for n bytes in the record buffer *buf (capacity *cap). */
static enum fb_err done_buf_reserve(struct done_order **buf, size_t *cap, size_t n)
{
    struct done_order *nb = fb_grow(*buf, cap, n, 1024);
    if (!nb)
        return FB_ERR_NOMEM;
    *buf = nb;
    return FB_OK;
}

/* The record at off (bytes) into *buf: two reads, its header then the
 * rest. NULL if the file could not give it back (logged). */
static struct done_order *done_read(struct fb_engine *e, uint64_t off, struct done_order **buf,
                                    size_t *cap)
{
    struct done_order h;
    if (fb_done_file_read(&e->done_file, off, &h, DONE_HDR) != FB_OK)
        return NULL;
    /* strings and keys are short: a length past this is not a record */
    if (h.len < DONE_HDR || h.len > (1u << 24) || h.strs_len + h.keys_len > h.len - DONE_HDR) {
        fb_error("engine", "finished-orders file: no record at %llu", (unsigned long long)off);
        return NULL;
    }
    if (done_buf_reserve(buf, cap, sizeof h + h.len) != FB_OK)
        return NULL;
    memcpy(*buf, &h, DONE_HDR);
    if (fb_done_file_read(&e->done_file, off + DONE_HDR, (*buf)->data, h.len - DONE_HDR) != FB_OK)
        return NULL;
    return *buf;
}

/* The finished order that used key ("<session>|<ClOrdID>"), read back into
 * e->done_look, or NULL. Exact: the hash only finds the candidates, whose
 * keys are read back and compared. *io_err set if a candidate could not be
 * read (so the answer is unknown). */
static const struct done_order *done_find(struct fb_engine *e, const char *key, int *io_err)
{
    struct fb_done_cursor cur;
    uint64_t off;
    int r;
    *io_err = 0;
    fb_done_index_seek(&e->done_idx, hash64(key), &cur);
    while ((r = fb_done_index_next(&e->done_idx, &cur, &off)) != 0) {
        const struct done_order *d =
            r > 0 ? done_read(e, off, &e->done_look, &e->done_look_cap) : NULL;
        if (!d)
            *io_err = 1; /* keep looking: another candidate may be it */
        else if (done_has_key(d, key))
            return d;
    }
    return NULL;
}

/* key -> the record at off (bytes, a multiple of FB_DONE_ALIGN); cannot
 * fail after fb_done_index_reserve. */
static void done_index_put(struct fb_engine *e, const char *key, uint64_t off)
{
    if (fb_done_index_put(&e->done_idx, hash64(key), off) != FB_OK)
        fb_error("engine", "finished-orders index: a reserved put failed (a bug)");
}

/* d, read back into e->done_vrec, as a read-only eorder in e->done_view
 * (both overwritten by the next view), so a status request, a late cancel
 * or a duplicate runs the state machine as for a live order: every such
 * event only reports. */
static struct eorder *done_view_of(struct fb_engine *e, const struct done_order *d)
{
    struct eorder *eo = &e->done_view;
    struct order_cold *c = &e->done_view_cold;
    memset(eo, 0, sizeof *eo);
    memset(c, 0, sizeof *c);
    eo->view = 1;
    eo->venue = d->venue;
    facts_point(&eo->o, d->data); /* eo->strs stays NULL: not eo's */
    eo->o.venue_name = e->venues[d->venue].name;
    eo->o.state = (enum fb_order_state)d->state;
    eo->o.req.session = d->session;
    eo->o.req.side = (enum fb_side)d->side;
    eo->o.terms = d->terms;
    eo->o.acked = d->acked;
    eo->o.rej_reason = d->rej_reason;
    eo->o.cum_qty = d->cum_qty;
    eo->o.avg_px = d->avg_px;
    const char *coid = d->data + d->strs_len;
    /* its venue id as it was (order_coid) */
    copy_str(e->done_view_coid, sizeof e->done_view_coid, coid);
    c->coids = e->done_view_coid;
    c->coids_len = strlen(c->coids) + 1;
    c->coid_now = 1;
    eo->cold = c;
    if (d->has_req_terms) {
        memcpy(&c->req_terms, coid + strlen(coid) + 1 + d->keys_len, sizeof c->req_terms);
        c->has_req_terms = 1;
    }
    return eo;
}

/* Indexes session|id for eo, and notes the key in eo for the day's
 * duplicate check once eo is collapsed (order_collapse). */
static enum fb_err remember_clordid(struct fb_engine *e, size_t session, const char *id,
                                    struct eorder *eo)
{
    char key[FB_ID_LEN + 32], first[FB_ID_LEN + 32];
    clordid_key(key, sizeof key, session, id);
    clordid_key(first, sizeof first, eo->o.req.session, eo->o.req.cl_ord_id);
    if (strcmp(key, first) != 0) {
        struct order_cold *c = order_cold_get(eo);
        size_t n = strlen(key) + 1;
        int seen = 0;
        if (!c)
            return FB_ERR_NOMEM;
        for (size_t i = 0; c->keys && i < c->keys_len && !seen; i += strlen(c->keys + i) + 1)
            seen = !strcmp(c->keys + i, key);
        if (!seen) {
            char *k = realloc(c->keys, c->keys_len + n);
            if (!k)
                return FB_ERR_NOMEM;
            memcpy(k + c->keys_len, key, n);
            c->keys = k;
            c->keys_len += n;
        }
    }
    return idx_put(&e->by_clordid, key, eo, clordid_has);
}

/* The order, live or finished, that uses session|id; a finished one as a
 * read-only view (done_view_of), valid until the next view (a duplicate
 * check, clordid_in_use, does not touch it). NULL also if the finished
 * orders' file could not be read (logged). */
static struct eorder *find_by_clordid(struct fb_engine *e, size_t session, const char *id)
{
    char key[FB_ID_LEN + 32];
    struct eorder *eo;
    const struct done_order *d;
    int io_err;
    clordid_key(key, sizeof key, session, id);
    if ((eo = idx_get(&e->by_clordid, key, clordid_has)))
        return eo;
    d = done_find(e, key, &io_err);
    if (!d || done_buf_reserve(&e->done_vrec, &e->done_vrec_cap, sizeof *d + d->len) != FB_OK)
        return NULL;
    memcpy(e->done_vrec, d, d->len);
    return done_view_of(e, e->done_vrec);
}

/* 1 if session|id is in use today, by a live or a finished order. A
 * finished order's record that cannot be read counts as in use: refusing
 * an order beats letting a duplicate through. */
static uint8_t clordid_in_use(struct fb_engine *e, size_t session, const char *id)
{
    char key[FB_ID_LEN + 32];
    int io_err;
    clordid_key(key, sizeof key, session, id);
    if (idx_get(&e->by_clordid, key, clordid_has) != NULL)
        return 1;
    return done_find(e, key, &io_err) != NULL || io_err ? 1 : 0;
}

/* The account an order belongs to: its Account(1), else its session's
 * default account, as the policy and the kill switch count it ("" none). */
static const char *order_account(const struct fb_engine *e, const struct eorder *eo)
{
    const char *a = eo->o.req.account;
    if (!*a && e->cfg->sessions[eo->o.req.session].account)
        a = e->cfg->sessions[eo->o.req.session].account;
    return a;
}

/* The order a session refers to by OrigClOrdID (or OrderID): its own, or, for
 * a session with order_scope account, one of its account's. */
static struct eorder *find_for_session(struct fb_engine *e, size_t session, const char *orig,
                                       const char *order_id)
{
    struct eorder *eo = orig && *orig ? find_by_clordid(e, session, orig) : NULL;
    const struct fb_session_cfg *s = &e->cfg->sessions[session];

    if (!eo && s->order_scope == FB_SCOPE_ACCOUNT && s->account) {
        for (size_t k = 0; k < e->cfg->nsessions && !eo; k++) {
            if (k == session)
                continue;
            struct eorder *x = find_by_clordid(e, k, orig);
            if (x && !strcmp(order_account(e, x), s->account))
                eo = x;
        }
    }
    if (eo && order_id && *order_id && strcmp(order_id, eo->o.order_id) != 0)
        return NULL; /* both given and they disagree: not this order */
    return eo;
}

static struct eorder *find_by_coid(struct fb_engine *e, size_t venue, const char *coid)
{
    char key[FB_VENUE_CLORDID_MAX + 32];
    coid_key(key, sizeof key, venue, coid);
    return idx_get(&e->by_coid, key, coid_has);
}

static void live_add(struct fb_engine *e, struct eorder *eo)
{
    eo->prev = NULL;
    eo->next = e->live;
    if (e->live)
        e->live->prev = eo;
    e->live = eo;
    eo->live = 1;
    e->nlive++;
}

static void live_remove(struct fb_engine *e, struct eorder *eo)
{
    if (!eo->live)
        return;
    if (eo->prev)
        eo->prev->next = eo->next;
    else
        e->live = eo->next;
    if (eo->next)
        eo->next->prev = eo->prev;
    eo->prev = eo->next = NULL;
    eo->live = 0;
    e->nlive--;
}

static void all_add(struct fb_engine *e, struct eorder *eo)
{
    eo->all_prev = NULL;
    eo->all_next = e->all;
    if (e->all)
        e->all->all_prev = eo;
    e->all = eo;
}

static void all_remove(struct fb_engine *e, struct eorder *eo)
{
    if (eo->all_prev)
        eo->all_prev->all_next = eo->all_next;
    else
        e->all = eo->all_next;
    if (eo->all_next)
        eo->all_next->all_prev = eo->all_prev;
    eo->all_prev = eo->all_next = NULL;
}

/* ---- finished orders ---------------------------------------------------- */

/* eo became terminal: collapse it at the next safe point (collapse_finished),
 * since the caller may still use it. */
static void order_finished(struct fb_engine *e, struct eorder *eo)
{
    if (eo->view || eo->dying)
        return;
    if (e->ndying == e->cap_dying) {
        size_t ncap = e->cap_dying ? e->cap_dying * 2 : 64;
        struct eorder **p = realloc(e->dying, ncap * sizeof *p);
        if (!p)
            return; /* it stays a full order: correct, only bigger */
        e->dying = p;
        e->cap_dying = ncap;
    }
    e->dying[e->ndying++] = eo;
    eo->dying = 1;
}

/* Removes key from x if it maps to eo. */
static void unmap(struct fb_kidx *x, const char *key, const struct eorder *eo)
{
    fb_kidx_del(x, fb_kidx_hash(key), eo);
}

/*
 * Replaces a finished order by its struct done_order: what the day still
 * needs (see there), about 250 bytes appended to the day's file, and a slot
 * per ClOrdID key in e->done_h/done_off, instead of the order. Fails only
 * for memory (or a day's file past 32 GiB), and then leaves eo as it was.
 */
static enum fb_err order_collapse(struct fb_engine *e, struct eorder *eo)
{
    char first[FB_ID_LEN + 32], key[FB_VENUE_CLORDID_MAX + 32], coid[FB_VENUE_CLORDID_MAX + 1];
    char now[FB_VENUE_CLORDID_MAX + 1];
    const struct order_cold *c = eo->cold;
    const char *cur = order_coid(eo, now);
    size_t sl = strs_len(eo->strs), cl = strlen(cur) + 1;
    int rt = c && c->has_req_terms;

    clordid_key(first, sizeof first, eo->o.req.session, eo->o.req.cl_ord_id);
    size_t fl = strlen(first) + 1, xl = c ? c->keys_len : 0, nkeys = 1;
    for (size_t i = 0; i < xl; i += strlen(c->keys + i) + 1)
        nkeys++;
    size_t len = DONE_HDR + sl + cl + fl + xl + (rt ? sizeof c->req_terms : 0);
    uint64_t off;
    enum fb_err rc;
    /* room first, so that the record and its keys go in together or not
     * at all (a record without its keys would list twice in
     * /orders?state=all once the order is collapsed again) */
    if ((rc = fb_done_index_reserve(&e->done_idx, nkeys)) != FB_OK ||
        (rc = fb_done_file_reserve(&e->done_file, len)) != FB_OK)
        return rc;
    if (done_buf_reserve(&e->done_build, &e->done_build_cap, sizeof(struct done_order) + len) != FB_OK)
        return FB_ERR_NOMEM;
    struct done_order *d = e->done_build;
    memset(d, 0, sizeof *d); /* no stray bytes in the file */
    d->len = (uint32_t)len;
    d->session = (uint32_t)eo->o.req.session;
    d->venue = (uint32_t)eo->venue;
    d->state = (uint8_t)eo->o.state;
    d->side = (uint8_t)eo->o.req.side;
    d->acked = eo->o.acked;
    d->has_req_terms = (uint8_t)rt;
    d->rej_reason = eo->o.rej_reason;
    d->terms = eo->o.terms;
    d->cum_qty = eo->o.cum_qty;
    d->avg_px = eo->o.avg_px;
    d->strs_len = (uint32_t)sl;
    d->keys_len = (uint32_t)(fl + xl);
    char *p = d->data;
    memcpy(p, eo->strs, sl);
    memcpy(p += sl, cur, cl);
    memcpy(p += cl, first, fl);
    if (xl)
        memcpy(p + fl, c->keys, xl);
    if (rt)
        memcpy(p + fl + xl, &c->req_terms, sizeof c->req_terms);
    if ((rc = fb_done_file_append(&e->done_file, d, len, &off)) != FB_OK)
        return rc;

    /* the day's duplicate check moves to the index, exactly (done_find
     * compares the keys read back) */
    done_index_put(e, first, off);
    unmap(&e->by_clordid, first, eo);
    for (size_t i = 0; i < xl; i += strlen(c->keys + i) + 1) {
        done_index_put(e, c->keys + i, off);
        unmap(&e->by_clordid, c->keys + i, eo);
    }
    /* no venue news can change it any more: every id it had at the venue,
     * and the one a replace would have given it */
    for (unsigned v = 0; v <= eo->version + 1; v++) {
        venue_coid(eo, v, coid, sizeof coid);
        coid_key(key, sizeof key, eo->venue, coid);
        unmap(&e->by_coid, key, eo);
    }
    for (size_t i = 0; c && c->coids && i < c->coids_len; i += strlen(c->coids + i) + 1) {
        coid_key(key, sizeof key, eo->venue, c->coids + i);
        unmap(&e->by_coid, key, eo);
    }
    unmap(&e->by_order_id, eo->o.order_id, eo);
    all_remove(e, eo);
    e->done_by_state[d->state]++;
    eorder_free(e, eo);
    return FB_OK;
}

/* The safe point: no caller holds an order. Collapses the finished ones
 * (those with start-up answers still to come wait). */
static void collapse_finished(struct fb_engine *e)
{
    size_t k = 0;
    for (size_t i = 0; i < e->ndying; i++) {
        struct eorder *eo = e->dying[i];
        if (eo->rc || !facts_terminal(&eo->o) || order_collapse(e, eo) != FB_OK)
            e->dying[k++] = eo;
    }
    e->ndying = k;
}

/* ---- venue request latency ------------------------------------------- */

/* Upper bounds of the buckets, in microseconds (Prometheus "le"), ending
 * with 0. Request -> answer: a network round trip and the venue's work. */
static const int64_t latency_bounds_us[] = {100,     250,     500,      1000,   2500,
                                            5000,    10000,   25000,    50000,  100000,
                                            250000,  500000,  1000000,  2500000, 5000000,
                                            10000000, 0};
/* FIX message read -> venue request written: the bridge's own time, which
 * the benchmark's 40 us target is about, so fine steps below 100 us. */
static const int64_t written_bounds_us[] = {5,   10,  15,  20,   25,   30,   35,   40,    45,
                                            50,  60,  70,  80,   90,   100,  125,  150,   200,
                                            250, 300, 400, 500,  750,  1000, 2500, 10000, 100000,
                                            0};
#define LATENCY_MAX_NB 31

struct latency_hist {
    const int64_t *bounds_us;             /* latency_bounds_us or written_bounds_us */
    uint64_t bucket[LATENCY_MAX_NB + 1];  /* after the last bound: +Inf */
    uint64_t count;
    int64_t sum_ns;
};

static void latency_observe(struct latency_hist *h, int64_t ns)
{
    size_t i = 0;
    while (h->bounds_us[i] && ns > h->bounds_us[i] * 1000)
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum_ns += ns < 0 ? 0 : ns;
}

/* Seconds as exact decimal text from integer nanoseconds (no double). */
static void ns_to_seconds(int64_t ns, char *buf, size_t size)
{
    char frac[16];
    int n = snprintf(frac, sizeof frac, "%09lld", (long long)(ns % 1000000000));
    while (n > 1 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, size, "%lld.%s", (long long)(ns / 1000000000), frac);
}

/* A request to the venue went out for eo; its answer closes the sample. */
static void request_sent(struct eorder *eo)
{
    eo->sent_ns = realtime_ns();
}

static void request_answered(struct fb_engine *e, struct eorder *eo)
{
    if (!eo->sent_ns)
        return;
    latency_observe(&e->latency[eo->venue], realtime_ns() - eo->sent_ns);
    eo->sent_ns = 0;
}

/* ---- exposure for the policy ------------------------------------------ */

struct exposure {
    uint32_t open;            /* scope key: open orders */
    struct fb_dec position;   /* symbol key: net filled, + long */
    struct fb_dec buy_leaves; /* symbol key: open leaves by side */
    struct fb_dec sell_leaves;
};

static void scope_key(char *buf, size_t size, size_t session, const char *account,
                      const char *symbol)
{
    struct fb_cat c = fb_cat_init(buf, size);
    if (account && *account) {
        fb_cat_str(&c, "a|");
        fb_cat_str(&c, account);
    } else {
        fb_cat_str(&c, "s|");
        fb_cat_u64(&c, session);
    }
    fb_cat_char(&c, '|');
    fb_cat_str(&c, symbol ? symbol : "");
}

static struct exposure *exposure_get(struct fb_engine *e, const char *key, int create)
{
    struct exposure *x = fb_strmap_get(&e->exposure, key);
    if (!x && create) {
        x = calloc(1, sizeof *x);
        if (x && fb_strmap_put(&e->exposure, key, x) != FB_OK) {
            free(x);
            x = NULL;
        }
    }
    return x;
}

/* Adds (sign 1) or removes (sign -1) what eo contributes to its scope. The
 * engine removes before every change to an order and adds after, so the
 * totals follow every fill, cancel and replace in O(1). */
static void exposure_apply(struct fb_engine *e, const struct eorder *eo, int sign)
{
    char key[FB_ID_LEN + FB_SYMBOL_LEN + 32];
    const char *acct = eo->o.req.account;
    int live = !facts_terminal(&eo->o) && eo->o.state != FB_ST_NONE;
    struct exposure *x;

    scope_key(key, sizeof key, eo->o.req.session, acct, NULL);
    if (live && (x = exposure_get(e, key, 1)))
        x->open = sign > 0 ? x->open + 1 : (x->open ? x->open - 1 : 0);
    scope_key(key, sizeof key, eo->o.req.session, acct, eo->o.req.symbol);
    if (!(x = exposure_get(e, key, 1)))
        return;
    struct fb_dec pos = eo->o.req.side == FB_SIDE_SELL ? fb_dec_neg(eo->o.cum_qty) : eo->o.cum_qty;
    struct fb_dec leaves = live ? facts_leaves(&eo->o) : fb_dec_zero();
    struct fb_dec *side = eo->o.req.side == FB_SIDE_SELL ? &x->sell_leaves : &x->buy_leaves;
    if (sign < 0) {
        pos = fb_dec_neg(pos);
        leaves = fb_dec_neg(leaves);
    }
    /* within the decimal range by construction: sums of order quantities */
    if (fb_dec_add(x->position, pos, &x->position) != FB_OK ||
        fb_dec_add(*side, leaves, side) != FB_OK)
        fb_error("engine", "exposure overflow for %s", key);
}

static void policy_state(struct fb_engine *e, size_t session, const char *account,
                         const char *symbol, size_t venue, const char *venue_symbol,
                         struct fb_policy_state *st)
{
    const struct fb_venue_inst *v = &e->venues[venue];
    char key[FB_ID_LEN + FB_SYMBOL_LEN + 32];
    struct fb_venue_market mkt;
    const struct exposure *x;

    memset(st, 0, sizeof *st);
    st->now_ns = realtime_ns();
    st->venue_caps = v->ops->info.supports;
    if (v->ops->reference_price &&
        v->ops->reference_price(v->state, venue_symbol, &st->ref_bid, &st->ref_ask,
                                &st->ref_time_ns) != FB_OK) {
        st->ref_bid = st->ref_ask = fb_dec_zero();
        st->ref_time_ns = 0;
    }
    if (v->ops->market(v->state, venue_symbol, &mkt) == FB_OK)
        st->tick_size = mkt.tick_size;
    if (!account || !*account)
        account = e->cfg->sessions[session].account;
    scope_key(key, sizeof key, session, account, NULL);
    if ((x = fb_strmap_get(&e->exposure, key)))
        st->open_orders = x->open;
    scope_key(key, sizeof key, session, account, symbol);
    if ((x = fb_strmap_get(&e->exposure, key))) {
        st->position = x->position;
        st->open_buy_qty = x->buy_leaves;
        st->open_sell_qty = x->sell_leaves;
    }
}

/* ---- the journal ------------------------------------------------------ */

static void journal_fail(struct fb_engine *e, enum fb_err rc, const char *what)
{
    if (!e->journal_failed)
        fb_error("engine", "journal: cannot %s: %s; refusing new orders from now on", what,
                 fb_strerror(rc));
    e->journal_failed = 1;
}

static void journal_append(struct fb_engine *e, enum fb_jrec_type type, uint16_t flags,
                           const char *payload, size_t len)
{
    struct fb_journal_record r;
    uint64_t seq;
    if (!e->journal || e->replaying || e->journal_failed)
        return;
    memset(&r, 0, sizeof r);
    r.type = (uint16_t)type;
    r.flags = flags;
    r.payload = (const uint8_t *)payload;
    r.len = (uint32_t)len;
    r.time_ns = realtime_ns();
    enum fb_err rc = fb_journal_append(e->journal, &r, r.time_ns, &seq);
    if (rc) {
        journal_fail(e, rc, "append");
        return;
    }
    e->journal_dirty = 1;
    e->last_jseq = seq;
    if (!(flags & FB_JOURNAL_F_HINT))
        e->unmarked = 1;
}

static void journal_new(struct fb_engine *e, const struct eorder *eo,
                        const struct fb_new_order *req)
{
    struct fb_jrec_new r;
    char buf[FB_ORDER_CODEC_MAX];
    memset(&r, 0, sizeof r);
    copy_str(r.order_id, sizeof r.order_id, eo->o.order_id);
    char now[FB_VENUE_CLORDID_MAX + 1];
    copy_str(r.coid, sizeof r.coid, order_coid(eo, now));
    r.req = *req; /* with its Text, which the engine does not keep */
    size_t n = fb_jrec_new_encode(&r, buf, sizeof buf);
    if (n)
        journal_append(e, FB_JREC_NEW, 0, buf, n);
    else
        journal_fail(e, FB_ERR_TOO_LARGE, "encode a new order");
}

static void journal_event(struct fb_engine *e, const struct eorder *eo,
                          const struct fb_order_event *ev, const char *coid,
                          const char *exec_id)
{
    struct fb_jrec_event r;
    char buf[FB_ORDER_CODEC_MAX];
    if (ev->type == FB_OEV_STATUS || ev->type == FB_OEV_DUPLICATE_NEW)
        return; /* no state change */
    memset(&r, 0, sizeof r);
    copy_str(r.order_id, sizeof r.order_id, eo->o.order_id);
    copy_str(r.coid, sizeof r.coid, coid);
    copy_str(r.exec_id, sizeof r.exec_id, exec_id);
    r.ev = *ev;
    size_t n = fb_jrec_event_encode(&r, buf, sizeof buf);
    if (n)
        journal_append(e, FB_JREC_EVENT, 0, buf, n);
    else
        journal_fail(e, FB_ERR_TOO_LARGE, "encode an event");
}

/* The barrier before acting outside: everything journaled is durable. */
static void journal_commit(struct fb_engine *e)
{
    if (!e->journal || !e->journal_dirty || e->journal_failed)
        return;
    enum fb_err rc = fb_journal_sync(e->journal);
    if (rc)
        journal_fail(e, rc, "sync");
    e->journal_dirty = 0;
}

/* A hint (no fsync of its own): the reports of every record appended so
 * far have been handed to the FIX engine. */
static void journal_mark_sent(struct fb_engine *e)
{
    struct fb_jrec_sent m = {.upto = (int64_t)e->last_jseq};
    char buf[64];
    size_t len = fb_jrec_sent_encode(&m, buf, sizeof buf);
    if (len)
        journal_append(e, FB_JREC_SENT, FB_JOURNAL_F_HINT, buf, len);
    e->unmarked = 0;
}

/* ---- sending --------------------------------------------------------- */

/*
 * One outbox message: a header, then nfields tags (int), nfields value
 * lengths (uint32_t), then the values, each NUL-terminated; padded to 8 so
 * the next header is aligned. The buffer is reused from step to step: no
 * allocation per message once it has grown to a batch's size.
 */
struct ob_head {
    size_t session;
    uint64_t jseq; /* the journal record that caused it (replay only) */
    uint32_t size; /* of the whole entry */
    uint16_t nfields;
    uint8_t poss_resend;
    char msg_type[5];
};

#define OB_MAX_FIELDS 128

static enum fb_err outbox_put(struct fb_engine *e, size_t session, const char *msg_type,
                              const struct fb_fix_field *f, size_t n, uint64_t jseq)
{
    struct outbox *ob = &e->out;
    struct ob_head h;
    size_t values = 0;
    if (n > OB_MAX_FIELDS || strlen(msg_type) >= sizeof h.msg_type)
        return FB_ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++)
        values += (f[i].value ? strlen(f[i].value) : 0) + 1;
    size_t size = sizeof h + n * (sizeof(int) + sizeof(uint32_t)) + values;
    size = (size + 7) & ~(size_t)7;
    if (size > UINT32_MAX)
        return FB_ERR_TOO_LARGE;
    unsigned char *nb = fb_grow(ob->buf, &ob->cap, ob->len + size, 16384);
    if (!nb)
        return FB_ERR_NOMEM;
    ob->buf = nb;
    unsigned char *p = ob->buf + ob->len;
    memset(&h, 0, sizeof h);
    h.session = session;
    h.jseq = jseq;
    h.size = (uint32_t)size;
    h.nfields = (uint16_t)n;
    memcpy(h.msg_type, msg_type, strlen(msg_type) + 1);
    memcpy(p, &h, sizeof h);
    unsigned char *tags = p + sizeof h, *lens = tags + n * sizeof(int);
    char *val = (char *)(lens + n * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        uint32_t len = f[i].value ? (uint32_t)strlen(f[i].value) : 0;
        memcpy(tags + i * sizeof(int), &f[i].tag, sizeof(int));
        memcpy(lens + i * sizeof(uint32_t), &len, sizeof len);
        if (len)
            memcpy(val, f[i].value, len);
        val[len] = '\0';
        val += len + 1;
    }
    ob->len += size;
    ob->count++;
    return FB_OK;
}

static void fix_send(struct fb_engine *e, size_t session, const char *msg_type,
                     const struct fb_fix_field *fields, size_t n)
{
    char *err = NULL;
    enum fb_err rc = fb_fix_send(e->acceptor, session, msg_type, fields, n, &err);
    if (rc == FB_ERR_STATE)
        fb_debug("engine", "session %s: %s", e->cfg->sessions[session].name, err);
    else if (rc)
        fb_error("engine", "session %s: cannot send 35=%s: %s", e->cfg->sessions[session].name,
                 msg_type, err ? err : fb_strerror(rc));
    free(err);
}

/* The end of a step: the barrier, then every waiting message in order,
 * then (a hint, no fsync of its own) the journal's note that the reports
 * of every record so far have left. */
static void outbox_flush(struct fb_engine *e)
{
    struct outbox *ob = &e->out;
    struct fb_fix_field fields[OB_MAX_FIELDS + 1];
    if (!ob->count)
        return;
    journal_commit(e);
    fb_fix_cork(e->acceptor); /* one write per session for the whole step */
    for (size_t off = 0; off < ob->len;) {
        struct ob_head h;
        const unsigned char *p = ob->buf + off;
        memcpy(&h, p, sizeof h);
        const unsigned char *tags = p + sizeof h, *lens = tags + h.nfields * sizeof(int);
        const char *val = (const char *)(lens + h.nfields * sizeof(uint32_t));
        size_t n = 0;
        if (h.poss_resend)
            fields[n++] = (struct fb_fix_field){97, "Y"};
        for (size_t i = 0; i < h.nfields; i++) {
            uint32_t len;
            memcpy(&fields[n].tag, tags + i * sizeof(int), sizeof(int));
            memcpy(&len, lens + i * sizeof(uint32_t), sizeof len);
            fields[n++].value = val;
            val += len + 1;
        }
        fix_send(e, h.session, h.msg_type, fields, n);
        off += h.size;
    }
    fb_fix_uncork(e->acceptor);
    ob->len = 0;
    ob->count = 0;
    if (e->unmarked)
        journal_mark_sent(e);
}

/* Replay: a SENT marker says the reports of records up to upto left. */
static void outbox_drop_upto(struct fb_engine *e, uint64_t upto)
{
    struct outbox *ob = &e->out;
    size_t off = 0, dropped = 0;
    while (off < ob->len) {
        struct ob_head h;
        memcpy(&h, ob->buf + off, sizeof h);
        if (h.jseq > upto)
            break;
        off += h.size;
        dropped++;
    }
    if (off) /* an empty outbox has no buffer: memmove(NULL, ...) is undefined */
        memmove(ob->buf, ob->buf + off, ob->len - off);
    ob->len -= off;
    ob->count -= dropped;
}

static void outbox_mark_resend(struct fb_engine *e)
{
    struct outbox *ob = &e->out;
    for (size_t off = 0; off < ob->len;) {
        struct ob_head h;
        memcpy(&h, ob->buf + off, sizeof h);
        h.poss_resend = 1;
        memcpy(ob->buf + off, &h, sizeof h);
        off += h.size;
    }
}

static void send_fields(struct fb_engine *e, size_t session, const char *msg_type,
                        const struct fb_fix_field *fields, size_t n)
{
    uint64_t jseq = 0;
    if (e->replaying) {
        /* only a replayed event's report, kept until a marker says it left */
        if (!e->replay_seq)
            return;
        jseq = e->replay_seq;
    }
    if (outbox_put(e, session, msg_type, fields, n, jseq) == FB_OK)
        return;
    if (e->replaying) {
        fb_error("engine", "out of memory keeping a report to resend");
        return;
    }
    /* no room to wait: the barrier now, and out it goes */
    journal_commit(e);
    fix_send(e, session, msg_type, fields, n);
}

static void send_report(struct fb_engine *e, const struct fb_report *r)
{
    struct fb_fix_field fields[FB_REPORT_MAX_FIELDS];
    char scratch[FB_REPORT_SCRATCH];
    const char *msg_type = NULL;
    size_t n = 0, session;

    if (r->kind == FB_REPORT_NONE)
        return;
    if (e->replaying) {
        /* counted when it was first sent */
    } else if (r->kind == FB_REPORT_EXEC) {
        if ((unsigned)r->er.exec_type < FB_EXEC_TYPE_LAST)
            e->exec_reports[r->er.exec_type]++;
        if (r->er.ord_status == FB_ST_REJECTED)
            e->ord_rejects[r->er.ord_rej_reason >= 0 && r->er.ord_rej_reason < 100
                               ? r->er.ord_rej_reason
                               : 99]++;
    } else {
        e->cancel_rejects[r->cxl.reason >= 0 && r->cxl.reason < 100 ? r->cxl.reason : 99]++;
    }
    session = r->kind == FB_REPORT_EXEC ? r->er.session : r->cxl.session;
    enum fb_err rc = fb_report_render(r, e->versions[session], &msg_type, fields,
                                      FB_REPORT_MAX_FIELDS, &n, scratch, sizeof scratch);
    if (rc) {
        fb_error("engine", "cannot render a report: %s", fb_strerror(rc));
        return;
    }
    send_fields(e, session, msg_type, fields, n);
}

/* Applies one event to an order and sends the one report it causes. */
/* The state machine, with the order's exposure kept current around it. */
static enum fb_err order_apply(struct fb_engine *e, struct eorder *eo,
                               const struct fb_order_event *ev, struct fb_report *rep)
{
    struct fb_order_event stamped = *ev;
    struct fb_order *o = &e->scratch;
    char buf[FACTS_STRS_MAX];
    /* a concrete time, so the journal replays to the same TransactTime */
    if (!stamped.time_ns)
        stamped.time_ns = realtime_ns();
    rep->kind = FB_REPORT_NONE;
    /* events that may change the order's strings */
    int restring = ev->type != FB_OEV_STATUS && ev->type != FB_OEV_DUPLICATE_NEW;
    /* What storing the result back may need is allocated first: once the
     * state machine has committed, nothing may fail (order_store). A
     * finished order's view only reports. */
    if (!eo->view) {
        int cold = ev->type == FB_OEV_FILL || ev->type == FB_OEV_REPLACE_REQUEST ||
                   ev->type == FB_OEV_REPLACED;
        if ((cold && !order_cold_get(eo)) ||
            (restring && !e->strs_spare && !(e->strs_spare = malloc(FACTS_STRS_MAX)))) {
            fb_error("engine", "out of memory for order %s", eo->o.order_id);
            return FB_ERR_NOMEM;
        }
        exposure_apply(e, eo, -1);
    }
    order_load(eo, o);
    enum fb_err rc = fb_order_apply(o, &e->env, &stamped, rep);
    if (!eo->view) {
        char *strs = NULL, *spare = e->strs_spare;
        size_t n = facts_pack(o, buf);
        if (restring && (n != strs_len(eo->strs) || memcmp(buf, eo->strs, n) != 0)) {
            memcpy(spare, buf, n);
            strs = realloc(spare, n); /* shrinks: keeps spare if it fails */
            strs = strs ? strs : spare;
            e->strs_spare = NULL;
        }
        if (order_needs_cold(eo, o) && !eo->cold)
            fb_error("engine", "order %s: facts lost (no side struct)", eo->o.order_id);
        order_store(eo, o, strs);
        exposure_apply(e, eo, 1);
    }
    /* only changes are journaled: a refused event or a report-only one
     * (an OrderCancelReject, a status) changes nothing to replay */
    int refused_request = (stamped.type == FB_OEV_CANCEL_REQUEST ||
                           stamped.type == FB_OEV_REPLACE_REQUEST) &&
                          rep->kind == FB_REPORT_CANCEL_REJECT;
    char now[FB_VENUE_CLORDID_MAX + 1];
    if (rc == FB_OK && rep->kind != FB_REPORT_NONE && !refused_request)
        journal_event(e, eo, &stamped,
                      stamped.type == FB_OEV_REPLACED ? order_coid(eo, now) : "",
                      rep->kind == FB_REPORT_EXEC ? rep->er.exec_id : "");
    return rc;
}

static enum fb_err apply(struct fb_engine *e, struct eorder *eo, const struct fb_order_event *ev)
{
    struct fb_report rep;
    enum fb_err rc = order_apply(e, eo, ev, &rep);
    if (rc) {
        fb_warn("engine", "order %s: %s refused in state %s: %s", eo->o.order_id,
                fb_order_event_name(ev->type), fb_order_state_name(eo->o.state),
                fb_strerror(rc));
        return rc;
    }
    send_report(e, &rep);
    if (facts_terminal(&eo->o)) {
        live_remove(e, eo);
        order_finished(e, eo);
    }
    return FB_OK;
}

static void event_init(struct fb_order_event *ev, enum fb_order_event_type type)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
}

/* ---- translation rejects (no order changes) ---------------------------- */

static enum fb_side side_of(const char *s)
{
    return s && s[0] == '2' ? FB_SIDE_SELL : FB_SIDE_BUY;
}

/* A reject ExecutionReport for something that never became an order.
 * status_req_id and mass_status_req_id (may be NULL) are echoed as 790/584. */
static void send_rejected_er_ids(struct fb_engine *e, size_t session,
                                 const struct fb_tr_result *tr, enum fb_exec_type type,
                                 const char *status_req_id, const char *mass_status_req_id)
{
    struct fb_report rep;
    memset(&rep, 0, sizeof rep);
    rep.kind = FB_REPORT_EXEC;
    struct fb_exec_report *er = &rep.er;
    copy_str(er->ord_status_req_id, sizeof er->ord_status_req_id, status_req_id);
    copy_str(er->mass_status_req_id, sizeof er->mass_status_req_id, mass_status_req_id);
    er->last_rpt_requested = mass_status_req_id != NULL;
    er->session = session;
    copy_str(er->order_id, sizeof er->order_id, "NONE");
    if (fb_exec_id_seq_next(&e->exec_ids, er->exec_id, sizeof er->exec_id) != FB_OK)
        return;
    copy_str(er->cl_ord_id, sizeof er->cl_ord_id, tr->echo.cl_ord_id);
    er->exec_type = type;
    er->ord_status = FB_ST_REJECTED;
    er->ord_rej_reason = tr->rej.reason;
    copy_str(er->account, sizeof er->account, tr->echo.account);
    copy_str(er->symbol, sizeof er->symbol, tr->echo.symbol);
    er->side = side_of(tr->echo.side);
    er->terms_unknown = 1;
    er->transact_time_ns = realtime_ns();
    copy_str(er->text, sizeof er->text, tr->rej.text);
    send_report(e, &rep);
}

static void send_rejected_er(struct fb_engine *e, size_t session, const struct fb_tr_result *tr,
                             enum fb_exec_type type)
{
    send_rejected_er_ids(e, session, tr, type, NULL, NULL);
}

static void send_cancel_reject(struct fb_engine *e, size_t session, const char *cl_ord_id,
                               const char *orig, struct eorder *eo, int response_to, int reason,
                               const char *text)
{
    struct fb_report rep;
    memset(&rep, 0, sizeof rep);
    rep.kind = FB_REPORT_CANCEL_REJECT;
    struct fb_cancel_reject *c = &rep.cxl;
    c->session = session;
    copy_str(c->order_id, sizeof c->order_id, eo ? eo->o.order_id : "NONE");
    if (eo)
        copy_str(c->secondary_order_id, sizeof c->secondary_order_id, eo->o.venue_order_id);
    copy_str(c->cl_ord_id, sizeof c->cl_ord_id, cl_ord_id);
    copy_str(c->orig_cl_ord_id, sizeof c->orig_cl_ord_id, orig);
    /* An order the bridge does not know is reported as Rejected (39=8). */
    c->ord_status = eo ? eo->o.state : FB_ST_REJECTED;
    c->response_to = response_to == 2 ? FB_CXL_RESPONSE_REPLACE : FB_CXL_RESPONSE_CANCEL;
    c->reason = reason;
    if (eo)
        copy_str(c->account, sizeof c->account, eo->o.req.account);
    c->transact_time_ns = realtime_ns();
    copy_str(c->text, sizeof c->text, text);
    send_report(e, &rep);
}

static void send_mass_cancel_report(struct fb_engine *e, size_t session, const char *cl_ord_id,
                                    const char *request_type, const char *response,
                                    size_t affected, const char *symbol, int reject_reason,
                                    const char *text)
{
    char order_id[32], count[24], reason[12], when[FB_FIX_TIME_STRMAX];
    struct fb_fix_field f[10];
    size_t n = 0;

    snprintf(order_id, sizeof order_id, "%sM%llu", e->id_prefix,
             (unsigned long long)++e->next_mass);
    snprintf(count, sizeof count, "%zu", affected);
    fb_fix_format_time(realtime_ns(), when);
    f[n++] = (struct fb_fix_field){11, cl_ord_id};
    f[n++] = (struct fb_fix_field){37, order_id};
    f[n++] = (struct fb_fix_field){530, request_type};
    f[n++] = (struct fb_fix_field){531, response};
    if (reject_reason >= 0) {
        snprintf(reason, sizeof reason, "%d", reject_reason);
        f[n++] = (struct fb_fix_field){532, reason};
    } else {
        f[n++] = (struct fb_fix_field){533, count};
    }
    if (symbol && *symbol)
        f[n++] = (struct fb_fix_field){55, symbol};
    f[n++] = (struct fb_fix_field){60, when};
    if (text && *text)
        f[n++] = (struct fb_fix_field){58, text};
    send_fields(e, session, "r", f, n);
}

static void send_business_reject(struct fb_engine *e, const struct fb_item *it)
{
    const struct fb_tr_result *tr = &it->tr;
    char reason[12];
    struct fb_fix_field f[6];
    size_t n = 0;
    const char *ref_id = tr->echo.mass_status_req_id[0] ? tr->echo.mass_status_req_id
                                                          : tr->echo.cl_ord_id;

    snprintf(reason, sizeof reason, "%d", tr->rej.reason);
    f[n++] = (struct fb_fix_field){45, it->ref_seq_num};
    f[n++] = (struct fb_fix_field){372, it->ref_msg_type};
    if (ref_id[0])
        f[n++] = (struct fb_fix_field){379, ref_id};
    f[n++] = (struct fb_fix_field){380, reason};
    f[n++] = (struct fb_fix_field){58, tr->rej.text};
    send_fields(e, it->session, "j", f, n);
}

static void handle_reject(struct fb_engine *e, const struct fb_item *it)
{
    size_t session = it->session;
    const struct fb_tr_result *tr = &it->tr;
    const struct fb_tr_reject *r = &tr->rej;
    fb_info("engine", "session %s: %s refused: %s", e->cfg->sessions[session].name,
            tr->echo.cl_ord_id[0] ? tr->echo.cl_ord_id : "message", r->text);
    switch (r->channel) {
    case FB_TR_CH_EXEC_REPORT:
        send_rejected_er(e, session, tr, FB_EXEC_REJECTED);
        break;
    case FB_TR_CH_STATUS_REJECT:
        send_rejected_er(e, session, tr, FB_EXEC_ORDER_STATUS);
        break;
    case FB_TR_CH_CANCEL_REJECT: {
        struct eorder *eo =
            find_for_session(e, session, tr->echo.orig_cl_ord_id, tr->echo.order_id);
        send_cancel_reject(e, session, tr->echo.cl_ord_id, tr->echo.orig_cl_ord_id, eo,
                           r->cxl_rej_response_to, r->reason, r->text);
        break;
    }
    case FB_TR_CH_MASS_CANCEL:
        send_mass_cancel_report(e, session, tr->echo.cl_ord_id,
                                it->mass_cancel_type[0] ? it->mass_cancel_type : "7", "0", 0,
                                tr->echo.symbol, r->reason, r->text);
        break;
    case FB_TR_CH_BUSINESS:
        send_business_reject(e, it);
        break;
    case FB_TR_CH_SESSION:
    case FB_TR_CH_LAST:
        /* answered by the FIX engine from inside the callback */
        break;
    }
}

/* ---- orders in ------------------------------------------------------- */

/* Before a request to venue v: what led to it must be durable first, unless
 * v lives in this process. Adapters do their I/O only inside run(), so
 * outside it one barrier before the venues run covers a whole batch. */
static void venue_barrier(struct fb_engine *e, const struct fb_venue_inst *v)
{
    if (v->ops->info.supports & FB_VSUP_IN_PROCESS)
        return;
    if (e->in_venue_run)
        journal_commit(e);
    else
        e->pending_io = 1;
}

/* ---- the venue throttle ------------------------------------------------ */

enum { VT_ORDERS = 0, VT_REQUESTS = 1 };

/* A new order or a replace the venue throttle holds: what to send when it
 * is let through. */
struct vheld {
    struct eorder *eo;
    int replace;
    int stage;        /* the queue it waits in */
    int64_t first_ns; /* held since: the latency budget runs from here */
    union {
        struct fb_venue_order vo;
        struct fb_venue_replace vr;
    } u;
};

static void apply_venue_send_error(struct fb_engine *e, struct eorder *eo, int replace,
                                   enum fb_err rc);

/* Sends what the throttle let through. */
static void venue_send(struct fb_engine *e, struct vheld *h)
{
    struct eorder *eo = h->eo;
    const struct fb_venue_inst *v = &e->venues[eo->venue];
    venue_barrier(e, v);
    request_sent(eo);
    enum fb_err rc = h->replace ? v->ops->replace(v->state, &h->u.vr, realtime_ns())
                                : v->ops->submit(v->state, &h->u.vo, realtime_ns());
    if (rc)
        apply_venue_send_error(e, eo, h->replace, rc);
}

/* The throttle refused it: the OMS gets the Text, the venue nothing. */
static void venue_refuse(struct fb_engine *e, struct vheld *h, const char *text)
{
    struct fb_order_event ev;
    fb_warn("engine", "order %s: %s", h->eo->o.order_id, text);
    event_init(&ev, h->replace ? FB_OEV_REPLACE_REJECT : FB_OEV_REJECT);
    ev.reason = h->replace ? FB_CXLREJ_OTHER : FB_ORDREJ_OTHER;
    copy_str(ev.text, sizeof ev.text, text);
    (void)apply(e, h->eo, &ev);
}

/* The venue asked for a pause (Retry-After, a ban): the buckets wait too. */
static void venue_pause(struct fb_engine *e, size_t venue, int64_t now)
{
    const struct fb_venue_inst *v = &e->venues[venue];
    if (!v->ops->paused_until)
        return;
    int64_t until = v->ops->paused_until(v->state);
    if (until > now) {
        fb_throttle_pause_until(&e->vthr[venue].orders, until);
        fb_throttle_pause_until(&e->vthr[venue].requests, until);
    }
}

/*
 * Passes h through the venue's buckets from stage on: sent when both admit,
 * held in the stage's FIFO within what is left of the latency budget, or
 * refused with a Text. h is the caller's (on the stack) when held is 0,
 * else the FIFO's (freed here once sent or refused).
 */
static void venue_gate(struct fb_engine *e, struct vheld *h, int held, int64_t now)
{
    struct venue_throttle *vt = &e->vthr[h->eo->venue];
    char text[FB_TEXT_LEN + 1];
    for (; h->stage <= VT_REQUESTS; h->stage++) {
        struct fb_throttle *t = h->stage == VT_ORDERS ? &vt->orders : &vt->requests;
        int64_t left = vt->budget_ns - (now - h->first_ns), wait = 0;
        enum fb_throttle_verdict verdict =
            fb_throttle_admit(t, now, 1, left, &wait, text, sizeof text);
        if (verdict == FB_THR_ADMIT)
            continue;
        if (verdict == FB_THR_REJECT)
            goto refuse;
        struct vheld *keep = held ? h : malloc(sizeof *keep);
        struct fb_tq_item it = {.deadline_ns = now + wait, .held_ns = now, .budget_ns = left,
                                .cost = 1, .ptr = keep};
        if (keep && keep != h)
            *keep = *h;
        if (!keep || fb_tqueue_push(&vt->held[h->stage], &it) != FB_OK) {
            fb_throttle_withdraw(t, 1);
            if (keep != h)
                free(keep);
            snprintf(text, sizeof text, "Too many requests held by the %s throttle",
                     e->venues[h->eo->venue].name);
            goto refuse;
        }
        keep->eo->vheld = keep;
        return;
    }
    h->eo->vheld = NULL;
    venue_send(e, h);
    if (held)
        free(h);
    return;
refuse:
    h->eo->vheld = NULL;
    venue_refuse(e, h, text);
    if (held)
        free(h);
}

/* A new order or replace for eo is ready for the venue. */
static void venue_request(struct fb_engine *e, struct eorder *eo, struct vheld *h)
{
    int64_t now = realtime_ns();
    h->eo = eo;
    h->stage = VT_ORDERS;
    h->first_ns = now;
    venue_pause(e, eo->venue, now);
    venue_gate(e, h, 0, now);
}

/* A cancel is never held: it takes a request token if there is one. */
static void venue_cancel_token(struct fb_engine *e, size_t venue)
{
    int64_t now = realtime_ns();
    venue_pause(e, venue, now);
    (void)fb_throttle_admit(&e->vthr[venue].requests, now, 1, 0, NULL, NULL, 0);
}

/* Held ones whose time has come, oldest first. */
static void venue_release_due(struct fb_engine *e, int64_t now)
{
    for (size_t v = 0; v < e->nvenues; v++) {
        struct venue_throttle *vt = &e->vthr[v];
        venue_pause(e, v, now);
        for (int stage = VT_ORDERS; stage <= VT_REQUESTS; stage++) {
            struct fb_throttle *t = stage == VT_ORDERS ? &vt->orders : &vt->requests;
            struct fb_tq_item *head;
            while ((head = fb_tqueue_peek(&vt->held[stage])) && head->deadline_ns <= now) {
                struct vheld *h = head->ptr;
                char text[FB_TEXT_LEN + 1];
                int64_t wait = 0;
                enum fb_throttle_verdict verdict = fb_throttle_release(
                    t, now, head->cost, head->held_ns, head->budget_ns, &wait, text, sizeof text);
                if (verdict == FB_THR_WAIT) {
                    head->deadline_ns = now + wait;
                    break;
                }
                (void)fb_tqueue_pop(&vt->held[stage], NULL);
                if (verdict == FB_THR_ADMIT) {
                    h->stage++;
                    venue_gate(e, h, 1, now);
                } else {
                    h->eo->vheld = NULL;
                    venue_refuse(e, h, text);
                    free(h);
                }
            }
        }
    }
}

/* Before eo is canceled: what the venue throttle holds for it goes. A
 * held new order never reached the venue, so it ends here, with text, and
 * 1 says there is nothing to send; a held replace is withdrawn (0: the
 * cancel goes to the venue), as it is when nothing is held. */
static int cancel_held(struct fb_engine *e, struct eorder *eo, const char *text)
{
    struct vheld *h = eo->vheld;
    if (!h)
        return 0;
    struct venue_throttle *vt = &e->vthr[eo->venue];
    uint32_t cost = 0;
    fb_tqueue_remove(&vt->held[h->stage], h, &cost);
    fb_throttle_withdraw(h->stage == VT_ORDERS ? &vt->orders : &vt->requests, cost);
    eo->vheld = NULL;
    struct fb_order_event ev;
    if (h->replace) {
        /* the order is at the venue; only its replace was waiting */
        event_init(&ev, FB_OEV_REPLACE_REJECT);
        ev.reason = FB_CXLREJ_OTHER;
        copy_str(ev.text, sizeof ev.text, "Replace withdrawn: the order is being canceled");
        (void)apply(e, eo, &ev);
    } else {
        event_init(&ev, FB_OEV_CANCELED);
        ev.u.cause = FB_CXL_REQUESTED;
        copy_str(ev.text, sizeof ev.text, text);
        (void)apply(e, eo, &ev);
    }
    int ended = !h->replace;
    free(h);
    return ended;
}

static void venue_coid(const struct eorder *eo, unsigned version, char *out, size_t size)
{
    /* OrderIDs are at most 24 chars (prefix + counter, see fb_engine_new).
     * Derived from the OrderID alone, so a retry or a restart finds the
     * same venue order: "fb" + OrderID + "-" + version, within every
     * venue's charset ([A-Za-z0-9_-]: Binance refuses '.') and 36 chars. */
    struct fb_cat c = fb_cat_init(out, size);
    fb_cat_str(&c, "fb");
    fb_cat_strn(&c, eo->o.order_id, 24);
    fb_cat_char(&c, '-');
    fb_cat_u64(&c, version);
}

static void to_venue_order(const struct eorder *eo, struct fb_venue_order *vo)
{
    const struct fb_order_terms *t = &eo->o.terms;
    memset(vo, 0, sizeof *vo);
    char now[FB_VENUE_CLORDID_MAX + 1];
    copy_str(vo->client_order_id, sizeof vo->client_order_id, order_coid(eo, now));
    copy_str(vo->symbol, sizeof vo->symbol, eo->o.req.venue_symbol);
    vo->side = eo->o.req.side == FB_SIDE_SELL ? FB_VENUE_SELL : FB_VENUE_BUY;
    /* sized by the FIX side: a type without an entry would be market, never
     * a read past the end */
    static const enum fb_venue_ord_type types[FB_ORD_TYPE_LAST] = {
        FB_VENUE_MARKET, FB_VENUE_LIMIT, FB_VENUE_STOP, FB_VENUE_STOP_LIMIT, FB_VENUE_TAKE_PROFIT,
        FB_VENUE_TAKE_PROFIT_LIMIT};
    static const enum fb_venue_tif tifs[] = {FB_VENUE_DAY, FB_VENUE_GTC, FB_VENUE_IOC,
                                             FB_VENUE_FOK, FB_VENUE_GTD};
    vo->type = types[t->ord_type];
    vo->tif = tifs[t->tif];
    vo->expire_ns = t->expire_time_ns;
    vo->qty = t->qty;
    vo->price = t->price;
    vo->stop_price = t->stop_px;
    vo->display_qty = t->max_floor;
    vo->quote_qty = t->cash_qty;
    vo->post_only = t->post_only != 0;
}

static const char *const kill_scope_names[] = {"session", "account", "venue", "all"};

/* The kill switch that covers an order (session, account, venue), or NULL. */
static const struct kill *kill_for(const struct fb_engine *e, size_t session, const char *account,
                                   size_t venue)
{
    /* An order without Account(1) is its session's default account's, as
     * the policy counts it: that account's switch covers it too. */
    if (!account || !*account)
        account = e->cfg->sessions[session].account;
    for (size_t i = 0; i < e->nkills; i++) {
        const struct kill *k = &e->kills[i];
        switch (k->scope) {
        case KILL_ALL:
            return k;
        case KILL_SESSION:
            if (!strcmp(k->name, e->cfg->sessions[session].name))
                return k;
            break;
        case KILL_ACCOUNT:
            if (account && *account && !strcmp(k->name, account))
                return k;
            break;
        case KILL_VENUE:
            if (!strcmp(k->name, e->venues[venue].name))
                return k;
            break;
        }
    }
    return NULL;
}

static void bridge_cancel(struct fb_engine *e, struct eorder *eo, const char *why);

/* Rejects a new order the bridge will not even record (kill switch, journal
 * down): 150=8 with OrderID NONE, and the ClOrdID stays free. */
static void refuse_before_order(struct fb_engine *e, const struct fb_new_order *n,
                                const char *text)
{
    struct fb_tr_result tr;
    memset(&tr, 0, sizeof tr);
    copy_str(tr.echo.cl_ord_id, sizeof tr.echo.cl_ord_id, n->cl_ord_id);
    copy_str(tr.echo.account, sizeof tr.echo.account, n->account);
    copy_str(tr.echo.symbol, sizeof tr.echo.symbol, n->symbol);
    tr.echo.side[0] = n->side == FB_SIDE_SELL ? '2' : '1';
    tr.rej.reason = FB_ORDREJ_BROKER;
    copy_str(tr.rej.text, sizeof tr.rej.text, text);
    send_rejected_er(e, n->session, &tr, FB_EXEC_REJECTED);
}

static void handle_new(struct fb_engine *e, const struct fb_new_order *n, int64_t origin_ns)
{
    const struct kill *k = kill_for(e, n->session, n->account, n->venue);
    if (k && !clordid_in_use(e, n->session, n->cl_ord_id)) {
        char text[FB_TEXT_LEN + 1];
        snprintf(text, sizeof text, "Kill switch engaged for %s%s%s: new orders are refused",
                 kill_scope_names[k->scope], k->scope == KILL_ALL ? "" : " ",
                 k->scope == KILL_ALL ? "" : k->name);
        refuse_before_order(e, n, text);
        return;
    }

    struct eorder *eo = find_by_clordid(e, n->session, n->cl_ord_id);
    struct fb_order_event ev;
    char order_id[FB_ID_LEN + 1];

    if (eo) {
        /* FIX F.1.b: the ClOrdID is in use (or a PossResend copy) */
        event_init(&ev, FB_OEV_DUPLICATE_NEW);
        ev.u.dup = *n;
        (void)apply(e, eo, &ev);
        return;
    }
    if (e->journal_failed) {
        refuse_before_order(e, n, "The order journal cannot be written: no new orders are "
                                  "accepted");
        return;
    }
    struct fb_cat oc = fb_cat_init(order_id, sizeof order_id);
    fb_cat_str(&oc, e->id_prefix);
    fb_cat_u64(&oc, ++e->next_order);
    eo = eorder_new(e, order_id, n);
    if (!eo) {
        fb_error("engine", "out of memory for order %s", n->cl_ord_id);
        return;
    }
    char now[FB_VENUE_CLORDID_MAX + 1]; /* version 0: venue_coid(eo, 0) */
    if (remember_clordid(e, n->session, n->cl_ord_id, eo) != FB_OK ||
        coid_put(e, eo->venue, order_coid(eo, now), eo) != FB_OK) {
        fb_error("engine", "out of memory indexing order %s", n->cl_ord_id);
        eorder_free(e, eo);
        return;
    }
    live_add(e, eo);
    all_add(e, eo);
    if (idx_put(&e->by_order_id, eo->o.order_id, eo, order_id_has) != FB_OK)
        fb_error("engine", "out of memory indexing %s", eo->o.order_id);
    journal_new(e, eo, n);

    /* Pre-trade policy: refused orders never reach the venue. */
    struct fb_policy_state st;
    struct fb_policy_verdict verdict;
    policy_state(e, n->session, n->account, n->symbol, n->venue, n->venue_symbol, &st);
    if (fb_policy_check_new(e->policy, n, &st, &verdict) != FB_OK) {
        verdict.action = FB_POLICY_REFUSE;
        verdict.ord_rej_reason = FB_ORDREJ_OTHER;
        copy_str(verdict.text, sizeof verdict.text, "policy check failed");
    }
    fb_policy_stats_add(&e->policy_stats, &verdict);
    if (verdict.action == FB_POLICY_REFUSE) {
        event_init(&ev, FB_OEV_REJECT);
        ev.reason = verdict.ord_rej_reason;
        copy_str(ev.text, sizeof ev.text, verdict.text);
        (void)apply(e, eo, &ev);
        return;
    }

    /* An open circuit breaker refuses before anything reaches the venue. */
    char brk_text[FB_TEXT_LEN + 1];
    if (!fb_breaker_allow(&e->breakers[n->venue], realtime_ns(), brk_text, sizeof brk_text)) {
        event_init(&ev, FB_OEV_REJECT);
        ev.reason = FB_ORDREJ_BROKER;
        copy_str(ev.text, sizeof ev.text, brk_text);
        (void)apply(e, eo, &ev);
        return;
    }

    event_init(&ev, FB_OEV_ACCEPT);
    if (verdict.action == FB_POLICY_MODIFY)
        copy_str(ev.text, sizeof ev.text, verdict.text);
    if (apply(e, eo, &ev) != FB_OK)
        return;

    struct vheld h;
    memset(&h, 0, sizeof h);
    to_venue_order(eo, &h.u.vo);
    if (verdict.action == FB_POLICY_MODIFY) {
        /* e.g. a market order capped as an IOC limit: the venue gets the
         * policy's terms, the OMS keeps seeing its own (and the Text). */
        struct eorder tmp = *eo;
        tmp.o.terms = verdict.terms;
        to_venue_order(&tmp, &h.u.vo);
    }
    h.u.vo.origin_ns = origin_ns;
    venue_request(e, eo, &h);
}

/* The adapter refused a request before sending it. */
static void apply_venue_send_error(struct fb_engine *e, struct eorder *eo, int replace,
                                   enum fb_err rc)
{
    const struct fb_venue_inst *v = &e->venues[eo->venue];
    struct fb_order_event ev;
    if (!replace)
        fb_breaker_record(&e->breakers[eo->venue], realtime_ns(), FB_BRK_TRANSPORT, 0);
    event_init(&ev, replace ? FB_OEV_REPLACE_REJECT : FB_OEV_REJECT);
    ev.reason = replace ? FB_CXLREJ_BROKER : FB_ORDREJ_BROKER;
    snprintf(ev.text, sizeof ev.text, "venue %s refused the %s: %s", v->name,
             replace ? "replace" : "request", fb_strerror(rc));
    (void)apply(e, eo, &ev);
}

/* Asks eo's venue to cancel it, once the journal holds what led to it.
 * kind tags the request id with who asked ('c' the OMS, 'k' the bridge). */
static enum fb_err venue_cancel(struct fb_engine *e, struct eorder *eo, char kind)
{
    const struct fb_venue_inst *v = &e->venues[eo->venue];
    struct fb_venue_cancel vc;
    memset(&vc, 0, sizeof vc);
    char now[FB_VENUE_CLORDID_MAX + 1];
    copy_str(vc.client_order_id, sizeof vc.client_order_id, order_coid(eo, now));
    snprintf(vc.request_id, sizeof vc.request_id, "fb%.24s-%c%u", eo->o.order_id, kind,
             eo->version);
    venue_cancel_token(e, eo->venue);
    venue_barrier(e, v);
    request_sent(eo);
    return v->ops->cancel(v->state, &vc, realtime_ns());
}

static void handle_cancel(struct fb_engine *e, const struct fb_cancel_order *c)
{
    struct eorder *eo = find_for_session(e, c->session, c->orig_cl_ord_id, c->order_id);
    struct fb_order_event ev;
    struct fb_report rep;

    if (!eo) {
        char text[FB_TEXT_LEN + 1];
        snprintf(text, sizeof text, "Unknown order: OrigClOrdID %s", c->orig_cl_ord_id);
        send_cancel_reject(e, c->session, c->cl_ord_id, c->orig_cl_ord_id, NULL, 1,
                           FB_CXLREJ_UNKNOWN_ORDER, text);
        return;
    }
    event_init(&ev, FB_OEV_CANCEL_REQUEST);
    ev.u.cancel = *c;
    ev.cl_ord_id_in_use = clordid_in_use(e, c->session, c->cl_ord_id);
    if (order_apply(e, eo, &ev, &rep) != FB_OK)
        return;
    send_report(e, &rep);
    if (rep.kind != FB_REPORT_EXEC)
        return; /* refused with an OrderCancelReject */
    if (remember_clordid(e, c->session, c->cl_ord_id, eo) != FB_OK)
        fb_error("engine", "out of memory indexing %s", c->cl_ord_id);
    if (cancel_held(e, eo, "Canceled before it reached the venue (it was held by the venue "
                           "throttle)"))
        return;
    const struct fb_venue_inst *v = &e->venues[eo->venue];
    enum fb_err rc = venue_cancel(e, eo, 'c');
    if (rc) {
        event_init(&ev, FB_OEV_CANCEL_REJECT);
        ev.reason = FB_CXLREJ_BROKER;
        snprintf(ev.text, sizeof ev.text, "venue %s refused the cancel: %s", v->name,
                 fb_strerror(rc));
        (void)apply(e, eo, &ev);
    }
}

static void handle_replace(struct fb_engine *e, const struct fb_replace_order *r)
{
    struct eorder *eo = find_for_session(e, r->session, r->orig_cl_ord_id, r->order_id);
    struct fb_order_event ev;
    struct fb_report rep;
    char text[FB_TEXT_LEN + 1];

    if (!eo) {
        snprintf(text, sizeof text, "Unknown order: OrigClOrdID %s", r->orig_cl_ord_id);
        send_cancel_reject(e, r->session, r->cl_ord_id, r->orig_cl_ord_id, NULL, 2,
                           FB_CXLREJ_UNKNOWN_ORDER, text);
        return;
    }
    const struct fb_venue_inst *v = &e->venues[eo->venue];
    if (r->venue != eo->venue || strcmp(r->venue_symbol, eo->o.req.venue_symbol) != 0) {
        snprintf(text, sizeof text, "Replace cannot move an order from %s %s to %s %s", v->name,
                 eo->o.req.venue_symbol, e->venues[r->venue].name, r->venue_symbol);
        send_cancel_reject(e, r->session, r->cl_ord_id, r->orig_cl_ord_id, eo, 2,
                           FB_CXLREJ_BROKER, text);
        return;
    }
    if (!v->ops->replace) {
        snprintf(text, sizeof text, "Venue %s does not support replace", v->name);
        send_cancel_reject(e, r->session, r->cl_ord_id, r->orig_cl_ord_id, eo, 2,
                           FB_CXLREJ_BROKER, text);
        return;
    }
    if (eo->vheld) {
        /* its new order (or a replace) waits for the venue throttle */
        snprintf(text, sizeof text, "The order waits for the %s throttle; replace it once the "
                                    "venue has it", v->name);
        send_cancel_reject(e, r->session, r->cl_ord_id, r->orig_cl_ord_id, eo, 2,
                           FB_CXLREJ_PENDING, text);
        return;
    }
    struct fb_policy_state st;
    struct fb_policy_verdict verdict;
    policy_state(e, r->session, eo->o.req.account, eo->o.req.symbol, eo->venue,
                 eo->o.req.venue_symbol, &st);
    /* the order's own leaves are replaced, not added to */
    struct fb_dec own = facts_leaves(&eo->o);
    struct fb_dec *side = eo->o.req.side == FB_SIDE_SELL ? &st.open_sell_qty : &st.open_buy_qty;
    if (fb_dec_sub(*side, own, side) != FB_OK)
        *side = fb_dec_zero();
    st.cum_qty = eo->o.cum_qty;
    if (fb_policy_check_replace(e->policy, r, &st, &verdict) != FB_OK) {
        verdict.action = FB_POLICY_REFUSE;
        copy_str(verdict.text, sizeof verdict.text, "policy check failed");
    }
    fb_policy_stats_add(&e->policy_stats, &verdict);
    if (verdict.action == FB_POLICY_REFUSE) {
        send_cancel_reject(e, r->session, r->cl_ord_id, r->orig_cl_ord_id, eo, 2,
                           FB_CXLREJ_OTHER, verdict.text);
        return;
    }

    if (!fb_breaker_allow(&e->breakers[eo->venue], realtime_ns(), text, sizeof text)) {
        send_cancel_reject(e, r->session, r->cl_ord_id, r->orig_cl_ord_id, eo, 2,
                           FB_CXLREJ_BROKER, text);
        return;
    }

    event_init(&ev, FB_OEV_REPLACE_REQUEST);
    ev.u.replace = *r;
    ev.cl_ord_id_in_use = clordid_in_use(e, r->session, r->cl_ord_id);
    if (order_apply(e, eo, &ev, &rep) != FB_OK)
        return;
    send_report(e, &rep);
    if (rep.kind != FB_REPORT_EXEC)
        return;
    if (remember_clordid(e, r->session, r->cl_ord_id, eo) != FB_OK)
        fb_error("engine", "out of memory indexing %s", r->cl_ord_id);
    struct vheld h;
    memset(&h, 0, sizeof h);
    h.replace = 1;
    struct fb_venue_replace *vr = &h.u.vr;
    char now[FB_VENUE_CLORDID_MAX + 1];
    copy_str(vr->client_order_id, sizeof vr->client_order_id, order_coid(eo, now));
    venue_coid(eo, eo->version + 1, vr->new_client_order_id, sizeof vr->new_client_order_id);
    vr->qty = r->terms.qty;
    vr->price = r->terms.price;
    vr->stop_price = r->terms.stop_px;
    venue_request(e, eo, &h);
}

static void handle_status(struct fb_engine *e, const struct fb_status_request *s)
{
    struct eorder *eo = find_for_session(e, s->session, s->cl_ord_id, s->order_id);
    struct fb_order_event ev;

    if (!eo) {
        struct fb_tr_result tr;
        memset(&tr, 0, sizeof tr);
        copy_str(tr.echo.cl_ord_id, sizeof tr.echo.cl_ord_id, s->cl_ord_id);
        copy_str(tr.echo.symbol, sizeof tr.echo.symbol, s->symbol);
        tr.echo.side[0] = s->side == FB_SIDE_SELL ? '2' : '1';
        tr.rej.reason = FB_ORDREJ_UNKNOWN_ORDER;
        snprintf(tr.rej.text, sizeof tr.rej.text, "Unknown order: ClOrdID %s", s->cl_ord_id);
        send_rejected_er_ids(e, s->session, &tr, FB_EXEC_ORDER_STATUS, s->ord_status_req_id,
                             NULL);
        return;
    }
    event_init(&ev, FB_OEV_STATUS);
    copy_str(ev.u.status.ord_status_req_id, sizeof ev.u.status.ord_status_req_id,
             s->ord_status_req_id);
    (void)apply(e, eo, &ev);
}

/* 1 if session may act on eo (its own order, or its account's). */
static int in_scope(struct fb_engine *e, size_t session, const struct eorder *eo)
{
    const struct fb_session_cfg *s = &e->cfg->sessions[session];
    if (eo->o.req.session == session)
        return 1;
    return s->order_scope == FB_SCOPE_ACCOUNT && s->account &&
           !strcmp(order_account(e, eo), s->account);
}

/* Asks the venue to cancel an order on the bridge's own initiative (mass
 * cancel, kill switch): the OMS sees one Canceled report when it is done. */
static void bridge_cancel(struct fb_engine *e, struct eorder *eo, const char *why)
{
    if (cancel_held(e, eo, why))
        return;
    if (eo->bridge_cancel || eo->o.pending.kind == FB_PENDING_CANCEL)
        return;
    if (venue_cancel(e, eo, 'k') == FB_OK) {
        eo->bridge_cancel = 1;
        cold_text_set(eo, TEXT_BRIDGE_CANCEL, why);
    }
}

static void handle_mass_cancel(struct fb_engine *e, const struct fb_mass_cancel *m)
{
    size_t n = 0;
    char why[FB_TEXT_LEN + 1];

    snprintf(why, sizeof why, "Canceled by OrderMassCancelRequest %s", m->cl_ord_id);
    for (struct eorder *eo = e->live; eo; eo = eo->next) {
        if (!in_scope(e, m->session, eo))
            continue;
        if (m->scope == FB_MASS_SYMBOL && strcmp(eo->o.req.symbol, m->symbol) != 0)
            continue;
        if (m->has_side && eo->o.req.side != m->side)
            continue;
        bridge_cancel(e, eo, why);
        n++;
    }
    const char *type = m->scope == FB_MASS_SYMBOL ? "1" : "7";
    send_mass_cancel_report(e, m->session, m->cl_ord_id, type, type, n, m->symbol, -1, NULL);
}

static void handle_mass_status(struct fb_engine *e, const struct fb_mass_status *m)
{
    struct eorder *matches[1024];
    size_t n = 0;

    for (struct eorder *eo = e->live; eo && n < sizeof matches / sizeof *matches;
         eo = eo->next) {
        if (!in_scope(e, m->session, eo))
            continue;
        if (m->scope == FB_MASS_SYMBOL && strcmp(eo->o.req.symbol, m->symbol) != 0)
            continue;
        if (m->account[0] && strcmp(order_account(e, eo), m->account) != 0)
            continue;
        if (m->has_side && eo->o.req.side != m->side)
            continue;
        matches[n++] = eo;
    }
    for (size_t i = 0; i < n; i++) {
        struct fb_order_event ev;
        event_init(&ev, FB_OEV_STATUS);
        copy_str(ev.u.status.mass_status_req_id, sizeof ev.u.status.mass_status_req_id,
                 m->mass_status_req_id);
        ev.u.status.last_rpt_requested = i + 1 == n;
        ev.u.status.tot_num_reports = (uint32_t)n;
        (void)apply(e, matches[i], &ev);
    }
    if (n == 0) {
        /* FIX: a mass status with nothing to report still gets one answer,
         * OrdStatus Rejected with TotNumReports 0, so the OMS stops waiting. */
        struct fb_tr_result tr;
        memset(&tr, 0, sizeof tr);
        /* Symbol(55) and Side(54) are required in an ExecutionReport */
        copy_str(tr.echo.symbol, sizeof tr.echo.symbol, m->symbol[0] ? m->symbol : "[N/A]");
        tr.echo.side[0] = m->has_side && m->side == FB_SIDE_SELL ? '2' : '1';
        tr.rej.reason = FB_ORDREJ_UNKNOWN_ORDER;
        snprintf(tr.rej.text, sizeof tr.rej.text, "no matching orders");
        send_rejected_er_ids(e, m->session, &tr, FB_EXEC_ORDER_STATUS, NULL,
                             m->mass_status_req_id);
    }
}

static void handle_call(struct fb_engine *e, struct fb_engine_call *c);
static void dispatch_message(struct fb_engine *e, const struct fb_item *it);
static void new_trading_day(struct fb_engine *e);

/* A message a throttle refused: answered on its own channel, never dropped. */
static void throttle_reject(struct fb_engine *e, const struct fb_item *it, const char *text)
{
    const struct fb_tr_result *tr = &it->tr;
    fb_warn("engine", "session %s: %s", e->cfg->sessions[it->session].name, text);
    if (tr->kind == FB_TR_NEW_ORDER) {
        refuse_before_order(e, &tr->u.new_order, text);
    } else if (tr->kind == FB_TR_REPLACE) {
        const struct fb_replace_order *r = &tr->u.replace;
        struct eorder *eo = find_for_session(e, r->session, r->orig_cl_ord_id, r->order_id);
        send_cancel_reject(e, r->session, r->cl_ord_id, r->orig_cl_ord_id, eo, 2,
                           FB_CXLREJ_OTHER, text);
    } else {
        struct fb_tr_result rej = *tr;
        rej.rejected = 1;
        rej.rej.channel = FB_TR_CH_BUSINESS;
        rej.rej.reason = 0; /* 380=0 other */
        copy_str(rej.rej.text, sizeof rej.rej.text, text);
        struct fb_item copy = *it;
        copy.tr = rej;
        send_business_reject(e, &copy);
    }
}

static int hold(struct session_throttle *st, const struct fb_item *it,
                uint32_t cost, int64_t now, int64_t wait)
{
    struct fb_item *copy = malloc(sizeof *copy);
    struct fb_tq_item q = {now + wait, now, st->budget_ns, cost, copy};
    if (!copy)
        return 0;
    *copy = *it;
    if (fb_tqueue_push(&st->held, &q) != FB_OK) {
        free(copy);
        return 0;
    }
    return 1;
}

/* 1: handle the message now; 0: it was held or refused by a throttle. */
static int throttle_gate(struct fb_engine *e, const struct fb_item *it)
{
    struct session_throttle *st = &e->sthr[it->session];
    const struct fb_tr_result *tr = &it->tr;
    int64_t now = realtime_ns(), wait = 0;
    char text[FB_TEXT_LEN + 1];
    int is_order = tr->kind == FB_TR_NEW_ORDER || tr->kind == FB_TR_REPLACE;

    /* cancels are never refused: pulling orders must always work */
    if (tr->kind != FB_TR_CANCEL &&
        fb_throttle_admit(&st->messages, now, 1, 0, NULL, text, sizeof text) == FB_THR_REJECT) {
        throttle_reject(e, it, text);
        return 0;
    }
    if (!is_order) {
        if (st->held.n == 0)
            return 1;
        if (!hold(st, it, 0, now, 0))
            throttle_reject(e, it, "Too many messages held by the session throttle");
        return 0;
    }
    switch (fb_throttle_admit(&st->orders, now, 1, st->budget_ns, &wait, text, sizeof text)) {
    case FB_THR_ADMIT:
        return 1;
    case FB_THR_WAIT:
        if (!hold(st, it, 1, now, wait)) {
            fb_throttle_withdraw(&st->orders, 1);
            throttle_reject(e, it, "Too many orders held by the session throttle");
        }
        return 0;
    case FB_THR_REJECT:
        throttle_reject(e, it, text);
        return 0;
    }
    return 0;
}

/* Sends on what the throttles now admit, oldest first. */
static void throttle_release_due(struct fb_engine *e, int64_t now)
{
    for (size_t s = 0; s < e->cfg->nsessions; s++) {
        struct session_throttle *st = &e->sthr[s];
        struct fb_tq_item *head;
        while ((head = fb_tqueue_peek(&st->held)) && head->deadline_ns <= now) {
            struct fb_item *it = head->ptr;
            char text[FB_TEXT_LEN + 1];
            int64_t wait = 0;
            enum fb_throttle_verdict v = FB_THR_ADMIT;
            if (head->cost)
                v = fb_throttle_release(&st->orders, now, head->cost, head->held_ns,
                                        head->budget_ns, &wait, text, sizeof text);
            if (v == FB_THR_WAIT) {
                head->deadline_ns = now + wait;
                break;
            }
            struct fb_tq_item done;
            (void)fb_tqueue_pop(&st->held, &done);
            if (v == FB_THR_ADMIT)
                dispatch_message(e, it);
            else
                throttle_reject(e, it, text);
            free(it);
        }
    }
}

/* A waiting request from another thread: the caller sleeps on done. */
struct call_slot {
    struct fb_engine_call *call;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void handle_item(struct fb_engine *e, const struct fb_item *it)
{
    const struct fb_tr_result *tr = &it->tr;

    switch (it->kind) {
    case FB_ITEM_CALL: {
        struct call_slot *slot = it->call;
        handle_call(e, slot->call);
        pthread_mutex_lock(&slot->mu);
        slot->done = 1;
        pthread_cond_signal(&slot->cv);
        pthread_mutex_unlock(&slot->mu);
        return;
    }
    case FB_ITEM_LOGON:
        e->logged_on[it->session] = 1;
        if (e->cod_deadline[it->session])
            fb_info("engine", "session %s back within the grace period: orders kept",
                    e->cfg->sessions[it->session].name);
        e->cod_deadline[it->session] = 0;
        return;
    case FB_ITEM_LOGOUT: {
        const struct fb_session_cfg *s = &e->cfg->sessions[it->session];
        e->logged_on[it->session] = 0;
        if (s->cancel_on_disconnect) {
            /* never 0: 0 means "nothing scheduled" */
            e->cod_deadline[it->session] =
                it->received_ns + (int64_t)s->cancel_on_disconnect_grace_ms * 1000000 + 1;
            fb_info("engine", "session %s disconnected: its orders are canceled in %u ms unless "
                              "it logs on again",
                    s->name, s->cancel_on_disconnect_grace_ms);
        }
        return;
    }
    case FB_ITEM_MESSAGE:
    case FB_ITEM_LAST:
        break;
    }
    if (tr->rejected) {
        handle_reject(e, it);
        return;
    }
    if (throttle_gate(e, it))
        dispatch_message(e, it);
}

static void dispatch_message(struct fb_engine *e, const struct fb_item *it)
{
    const struct fb_tr_result *tr = &it->tr;
    switch (tr->kind) {
    case FB_TR_NEW_ORDER:
        handle_new(e, &tr->u.new_order, it->received_ns);
        break;
    case FB_TR_CANCEL:
        handle_cancel(e, &tr->u.cancel);
        break;
    case FB_TR_REPLACE:
        handle_replace(e, &tr->u.replace);
        break;
    case FB_TR_STATUS:
        handle_status(e, &tr->u.status);
        break;
    case FB_TR_MASS_CANCEL:
        handle_mass_cancel(e, &tr->u.mass_cancel);
        break;
    case FB_TR_MASS_STATUS:
        handle_mass_status(e, &tr->u.mass_status);
        break;
    case FB_TR_UNSUPPORTED:
    case FB_TR_KIND_LAST:
        break;
    }
}

/* ---- venue events ---------------------------------------------------- */

static int ordrej_from_venue(enum fb_venue_reject_reason r)
{
    switch (r) {
    case FB_VRR_UNKNOWN_SYMBOL:
        return FB_ORDREJ_UNKNOWN_SYMBOL;
    case FB_VRR_FILTER:
        return FB_ORDREJ_INCORRECT_QTY;
    case FB_VRR_DUPLICATE_ID:
        return FB_ORDREJ_DUPLICATE;
    case FB_VRR_UNSUPPORTED:
        return FB_ORDREJ_UNSUPPORTED;
    case FB_VRR_UNKNOWN_ORDER:
        return FB_ORDREJ_UNKNOWN_ORDER;
    case FB_VRR_TOO_LATE:
        return FB_ORDREJ_TOO_LATE;
    case FB_VRR_FUNDS:
    case FB_VRR_RATE_LIMIT:
    case FB_VRR_EXPIRED:
    case FB_VRR_POST_ONLY:
    case FB_VRR_WOULD_TRIGGER:
    case FB_VRR_OTHER:
    case FB_VRR_LAST:
        break;
    }
    return FB_ORDREJ_BROKER;
}

static void venue_text(const struct fb_venue_inst *v, const struct fb_venue_reject *r, char *out,
                       size_t size)
{
    if (r->code[0])
        snprintf(out, size, "%s: %s (code %s)", v->name, r->text, r->code);
    else
        snprintf(out, size, "%s: %s", v->name, r->text);
}

static void reconcile(struct fb_engine *e, struct eorder *eo, const struct fb_venue_inst *v,
                      const struct fb_venue_event *vev);

static int64_t owed_check_ns(const struct fb_engine *e)
{
    return (int64_t)e->cfg->bridge.owed_fills_check_ms * 1000000LL;
}

/* The venue has cum for eo, more than the journal: expect the fills. */
static void owe_fills(struct fb_engine *e, const struct eorder *eo, struct fb_dec cum)
{
    for (size_t i = 0; i < e->nowed; i++) {
        if (!strcmp(e->owed[i].order_id, eo->o.order_id)) {
            e->owed[i].cum = cum;
            return;
        }
    }
    if (e->nowed == sizeof e->owed / sizeof e->owed[0]) {
        fb_warn("engine", "order %s: too many orders owed fills to watch it", eo->o.order_id);
        return;
    }
    struct owed *w = &e->owed[e->nowed++];
    copy_str(w->order_id, sizeof w->order_id, eo->o.order_id);
    w->cum = cum;
    w->due_ns = realtime_ns() + owed_check_ns(e);
}

static void check_owed(struct fb_engine *e, int64_t now)
{
    for (size_t i = 0; i < e->nowed;) {
        struct owed *w = &e->owed[i];
        struct eorder *eo = idx_get(&e->by_order_id, w->order_id, order_id_has);
        if (!eo || eo->view || eo->dying || fb_dec_cmp(eo->o.cum_qty, w->cum) >= 0) {
            e->owed[i] = e->owed[--e->nowed]; /* delivered, or over */
            continue;
        }
        if (w->due_ns <= now) {
            const struct fb_venue_inst *v = &e->venues[eo->venue];
            char vcum[FB_DEC_STRMAX], jcum[FB_DEC_STRMAX], coid[FB_VENUE_CLORDID_MAX + 1];
            fb_dec_format(w->cum, vcum);
            fb_dec_format(eo->o.cum_qty, jcum);
            fb_warn("engine", "order %s: %s reported CumQty %s, the bridge still has %s; asking "
                              "again",
                    eo->o.order_id, v->name, vcum, jcum);
            e->owed_overdue++;
            w->due_ns = now + owed_check_ns(e);
            if (v->ops->query(v->state, order_coid(eo, coid), now) != FB_OK)
                fb_warn("engine", "order %s: cannot ask %s about it", eo->o.order_id, v->name);
        }
        i++;
    }
}

static void reconcile_status(struct fb_engine *e, struct eorder *eo,
                             const struct fb_venue_inst *v, const struct fb_venue_event *vev);


/* An open order at a venue that the journal does not know: never adopted
 * (the bridge cannot say which OMS it belongs to), always reported, and
 * canceled when the config says so. */
static void found_orphan(struct fb_engine *e, const struct fb_venue_inst *v,
                         const struct fb_venue_event *vev)
{
    int cancel = e->cfg->bridge.orphan_orders == FB_ORPHAN_CANCEL;
    e->orphans_total++;
    fb_warn("engine", "orphan order at %s: client order id %s (venue order id %s, %s) is not "
                      "in the journal%s",
            v->name, vev->client_order_id, vev->venue_order_id, vev->symbol,
            cancel ? "; canceling it" : "");
    if (e->norphans < sizeof e->orphans / sizeof e->orphans[0]) {
        struct orphan *o = &e->orphans[e->norphans++];
        o->venue = v->index;
        copy_str(o->coid, sizeof o->coid, vev->client_order_id);
        copy_str(o->venue_order_id, sizeof o->venue_order_id, vev->venue_order_id);
        copy_str(o->symbol, sizeof o->symbol, vev->symbol);
        if (cancel) {
            struct fb_venue_cancel vc;
            memset(&vc, 0, sizeof vc);
            copy_str(vc.client_order_id, sizeof vc.client_order_id, vev->client_order_id);
            copy_str(vc.request_id, sizeof vc.request_id, "fb-orphan-cancel");
            venue_barrier(e, v);
            o->cancel_sent = v->ops->cancel(v->state, &vc, realtime_ns()) == FB_OK;
        }
    }
}

/* The old order of a pending replace was canceled: hold that as its status
 * and ask the venue about the replacement's id; reconcile() decides when the
 * answer comes. */
static enum fb_err await_replace_outcome(struct fb_engine *e, struct eorder *eo,
                                         const struct fb_venue_inst *v,
                                         const struct fb_venue_event *vev)
{
    struct reconciliation *r = calloc(1, sizeof *r);
    if (!r)
        return FB_ERR_NOMEM;
    venue_coid(eo, eo->version + 1, r->new_coid, sizeof r->new_coid);
    if (coid_put(e, eo->venue, r->new_coid, eo) != FB_OK ||
        v->ops->query(v->state, r->new_coid, realtime_ns()) != FB_OK) {
        free(r);
        return FB_ERR_STATE;
    }
    r->old_ev = *vev;
    r->old_ev.kind = FB_VEV_STATUS;
    memset(&r->old_ev.u, 0, sizeof r->old_ev.u);
    r->old_ev.u.status.state = FB_VOS_CANCELED;
    r->old_ev.u.status.cum_qty = vev->u.canceled.cum_qty;
    r->have_old = 1;
    r->wait = 1;
    free(eo->rc);
    eo->rc = r;
    eo->reconciling = 1;
    fb_info("engine", "order %s: old order canceled at %s during a replace; asking about %s",
            eo->o.order_id, v->name, r->new_coid);
    return FB_OK;
}

static void on_venue_written(void *user, int64_t origin_ns, int64_t written_ns)
{
    struct fb_venue_inst *v = user;
    struct fb_engine *e = v->engine;
    latency_observe(&e->written[v->index], written_ns - origin_ns);
}

static void on_venue_event(void *user, const struct fb_venue_event *vev)
{
    struct fb_venue_inst *v = user;
    struct fb_engine *e = v->engine;
    struct eorder *eo = find_by_coid(e, v->index, vev->client_order_id);
    struct fb_order_event ev;

    /* The venue answered: a success for its breaker, unless the answer is
     * that the outcome is unknown (timeouts, 5xx). Final business rejects
     * (filters, funds) say nothing about the venue's health. */
    int unknown = (vev->kind == FB_VEV_REJECT || vev->kind == FB_VEV_CANCEL_REJECT ||
                   vev->kind == FB_VEV_REPLACE_REJECT) &&
                  vev->u.rej.cls == FB_VREJ_UNKNOWN_OUTCOME;
    int business = (vev->kind == FB_VEV_REJECT || vev->kind == FB_VEV_CANCEL_REJECT ||
                    vev->kind == FB_VEV_REPLACE_REJECT) &&
                   !unknown;
    if (unknown)
        fb_breaker_record(&e->breakers[v->index], realtime_ns(), FB_BRK_UNKNOWN_OUTCOME, 0);
    else if (!business)
        fb_breaker_record(&e->breakers[v->index], realtime_ns(), FB_BRK_SUCCESS, 0);
    if (vev->kind == FB_VEV_OPEN_ORDERS_END && !strcmp(vev->request_id, ORPHAN_SCAN_ID)) {
        fb_info("engine", "venue %s: open orders checked against the journal: %zu orphans in "
                          "all so far",
                v->name, e->norphans);
        return;
    }
    if (!eo) {
        if (vev->kind == FB_VEV_STATUS && !strcmp(vev->request_id, ORPHAN_SCAN_ID) &&
            vev->u.status.state != FB_VOS_UNKNOWN) {
            found_orphan(e, v, vev);
            return;
        }
        fb_warn("engine", "venue %s: %s for unknown client order id %s", v->name,
                fb_venue_event_kind_name(vev->kind), vev->client_order_id);
        return;
    }
    /* After a replace the venue knows the order by a new id; news about an
     * older venue order of it (its cancel as part of a cancel-replace, a
     * late ack) is not news about the order. Fills are: they happened. */
    char now[FB_VENUE_CLORDID_MAX + 1];
    const char *coid = order_coid(eo, now);
    if (strcmp(vev->client_order_id, coid) != 0 && !eo->reconciling &&
        (vev->kind == FB_VEV_CANCELED || vev->kind == FB_VEV_EXPIRED ||
         vev->kind == FB_VEV_ACK || vev->kind == FB_VEV_REJECT) &&
        eo->o.pending.kind != FB_PENDING_REPLACE) {
        fb_debug("engine", "venue %s: %s for %s, replaced by %s: ignored", v->name,
                 fb_venue_event_kind_name(vev->kind), vev->client_order_id, coid);
        return;
    }
    /* the answers to a request (not fills or unsolicited news) */
    if (vev->kind == FB_VEV_ACK || vev->kind == FB_VEV_REJECT ||
        vev->kind == FB_VEV_CANCEL_REJECT || vev->kind == FB_VEV_REPLACED ||
        vev->kind == FB_VEV_REPLACE_REJECT ||
        (vev->kind == FB_VEV_CANCELED && vev->u.canceled.reason == FB_VCXL_REQUESTED))
        request_answered(e, eo);
    switch (vev->kind) {
    case FB_VEV_ACK:
        event_init(&ev, FB_OEV_ACK);
        break;
    case FB_VEV_REJECT:
        if (vev->u.rej.cls == FB_VREJ_UNKNOWN_OUTCOME) {
            /* The venue may have acted: ask it, never guess a reject. */
            fb_warn("engine", "order %s: outcome unknown at %s; querying", eo->o.order_id,
                    v->name);
            char words[FB_TEXT_LEN + 1];
            venue_text(v, &vev->u.rej, words, sizeof words);
            cold_text_set(eo, TEXT_UNKNOWN, words);
            if (v->ops->query(v->state, coid, realtime_ns()) == FB_OK)
                eo->awaiting_outcome = 1;
            return;
        }
        event_init(&ev, FB_OEV_REJECT);
        ev.reason = ordrej_from_venue(vev->u.rej.reason);
        venue_text(v, &vev->u.rej, ev.text, sizeof ev.text);
        break;
    case FB_VEV_FILL: {
        const struct fb_venue_fill *f = &vev->u.fill;
        event_init(&ev, FB_OEV_FILL);
        copy_str(ev.u.fill.trade_id, sizeof ev.u.fill.trade_id, f->trade_id);
        ev.u.fill.qty = f->qty;
        ev.u.fill.px = f->price;
        ev.u.fill.has_commission = 1;
        ev.u.fill.commission = f->fee;
        copy_str(ev.u.fill.commission_ccy, sizeof ev.u.fill.commission_ccy, f->fee_currency);
        ev.u.fill.liquidity = f->liquidity == FB_VLIQ_MAKER   ? FB_LIQ_MAKER
                              : f->liquidity == FB_VLIQ_TAKER ? FB_LIQ_TAKER
                                                              : FB_LIQ_UNKNOWN;
        ev.u.fill.last = fb_dec_is_zero(f->leaves_qty) && !fb_dec_is_zero(f->cum_qty);
        break;
    }
    case FB_VEV_CANCELED:
        if (eo->o.pending.kind == FB_PENDING_REPLACE && !eo->reconciling &&
            vev->u.canceled.reason != FB_VCXL_IOC_REMAINDER &&
            vev->u.canceled.reason != FB_VCXL_FOK_UNFILLED) {
            /* A cancel-replace venue (Binance) cancels the old order as part
             * of the replace: only the new order's fate says whether the
             * order was replaced or is gone. Ask before deciding. */
            if (await_replace_outcome(e, eo, v, vev) == FB_OK)
                return;
        }
        event_init(&ev, FB_OEV_CANCELED);
        if (eo->version > 0 && vev->venue_order_id[0] && eo->o.venue_order_id[0] &&
            strcmp(vev->venue_order_id, eo->o.venue_order_id) != 0 &&
            eo->o.pending.kind != FB_PENDING_REPLACE) {
            /* a venue order this order has been replaced away from (the old
             * leg of a cancel-replace): its end is not the order's end */
            fb_debug("engine", "order %s: %s canceled venue order %s, replaced by %s; ignored",
                     eo->o.order_id, v->name, vev->venue_order_id, eo->o.venue_order_id);
            return;
        }
        switch (vev->u.canceled.reason) {
        case FB_VCXL_REQUESTED:
            if (eo->o.pending.kind == FB_PENDING_CANCEL) {
                ev.u.cause = FB_CXL_REQUESTED;
            } else {
                ev.u.cause = FB_CXL_UNSOLICITED;
                copy_str(ev.text, sizeof ev.text,
                         eo->bridge_cancel ? cold_text(eo, TEXT_BRIDGE_CANCEL)
                                           : "Canceled by the venue");
            }
            break;
        case FB_VCXL_IOC_REMAINDER:
            ev.u.cause = FB_CXL_IOC;
            break;
        case FB_VCXL_FOK_UNFILLED:
            ev.u.cause = FB_CXL_FOK;
            break;
        case FB_VCXL_POST_ONLY:
            ev.u.cause = FB_CXL_UNSOLICITED;
            snprintf(ev.text, sizeof ev.text, "%s: post-only order would have crossed", v->name);
            break;
        case FB_VCXL_UNSOLICITED:
        case FB_VCXL_LAST:
            ev.u.cause = FB_CXL_UNSOLICITED;
            snprintf(ev.text, sizeof ev.text, "Canceled by %s", v->name);
            break;
        }
        break;
    case FB_VEV_CANCEL_REJECT:
        if (eo->o.pending.kind != FB_PENDING_CANCEL) {
            fb_info("engine", "order %s: bridge cancel refused by %s: %s", eo->o.order_id,
                    v->name, vev->u.rej.text);
            eo->bridge_cancel = 0;
            return;
        }
        event_init(&ev, FB_OEV_CANCEL_REJECT);
        ev.reason = vev->u.rej.reason == FB_VRR_UNKNOWN_ORDER ? FB_CXLREJ_UNKNOWN_ORDER
                                                              : FB_CXLREJ_TOO_LATE;
        venue_text(v, &vev->u.rej, ev.text, sizeof ev.text);
        break;
    case FB_VEV_REPLACED: {
        event_init(&ev, FB_OEV_REPLACED);
        ev.u.replaced.qty = vev->u.replaced.qty;
        ev.u.replaced.price = vev->u.replaced.price;
        ev.u.replaced.stop_px = vev->u.replaced.stop_price;
        /* From now on the venue knows the order by the replace's new id;
         * the old id stays mapped for fills already in flight. */
        if (coid_put(e, v->index, vev->request_id, eo) != FB_OK)
            fb_error("engine", "out of memory indexing %s", vev->request_id);
        /* once only: the replace may already be known from a status */
        if (strcmp(order_coid(eo, now), vev->request_id) != 0) {
            eo->version++;
            if (order_set_coid(eo, vev->request_id) != FB_OK)
                fb_error("engine", "out of memory: order %s lost its venue id %s",
                         eo->o.order_id, vev->request_id);
        }
        break;
    }
    case FB_VEV_REPLACE_REJECT:
        event_init(&ev, FB_OEV_REPLACE_REJECT);
        ev.reason = vev->u.rej.reason == FB_VRR_UNKNOWN_ORDER ? FB_CXLREJ_UNKNOWN_ORDER
                    : vev->u.rej.reason == FB_VRR_TOO_LATE    ? FB_CXLREJ_TOO_LATE
                                                              : FB_CXLREJ_BROKER;
        venue_text(v, &vev->u.rej, ev.text, sizeof ev.text);
        break;
    case FB_VEV_EXPIRED:
        event_init(&ev, FB_OEV_EXPIRED);
        break;
    case FB_VEV_STATUS:
        if (eo->awaiting_outcome && !eo->reconciling &&
            strcmp(vev->request_id, ORPHAN_SCAN_ID) != 0) {
            /* the answer to the query after an unknown outcome: only the
             * venue's word settles it */
            eo->awaiting_outcome = 0;
            if (vev->u.status.state == FB_VOS_UNKNOWN && !eo->o.acked) {
                event_init(&ev, FB_OEV_REJECT);
                ev.reason = FB_ORDREJ_BROKER;
                snprintf(ev.text, sizeof ev.text, "%s has no such order after an unknown "
                                                  "outcome (%.160s)",
                         v->name, cold_text(eo, TEXT_UNKNOWN));
                (void)apply(e, eo, &ev);
            } else {
                reconcile_status(e, eo, v, vev);
            }
            return;
        }
        if (eo->reconciling && strcmp(vev->request_id, ORPHAN_SCAN_ID) != 0) {
            struct reconciliation *r = eo->rc;
            if (r->new_coid[0] && !strcmp(vev->client_order_id, r->new_coid)) {
                r->new_ev = *vev;
                r->have_new = 1;
            } else {
                r->old_ev = *vev;
                r->have_old = 1;
            }
            if (r->wait && --r->wait == 0)
                reconcile(e, eo, v, vev);
            return;
        }
        fb_debug("engine", "venue %s: status for %s", v->name, vev->client_order_id);
        return;
    case FB_VEV_OPEN_ORDERS_END:
    case FB_VEV_LAST:
        fb_debug("engine", "venue %s: %s for %s", v->name, fb_venue_event_kind_name(vev->kind),
                 vev->client_order_id);
        return;
    }
    ev.time_ns = 0; /* TransactTime: when the bridge learns of it */
    copy_str(ev.venue_order_id, sizeof ev.venue_order_id, vev->venue_order_id);
    (void)apply(e, eo, &ev);
    if (eo->close_after_fills && !facts_terminal(&eo->o) &&
        fb_dec_cmp(eo->o.cum_qty, eo->close_at_cum) >= 0) {
        /* the fills from before the restart are in: now close it as the
         * venue did */
        eo->close_after_fills = 0;
        event_init(&ev, eo->close_event);
        if (eo->close_event == FB_OEV_CANCELED) {
            ev.u.cause = FB_CXL_UNSOLICITED;
            snprintf(ev.text, sizeof ev.text, "Canceled at %s while the bridge was down",
                     v->name);
        }
        (void)apply(e, eo, &ev);
    }
}

/* ---- requests from other threads (admin) ------------------------------ */

static json_t *order_json(const struct fb_engine *e, const struct eorder *eo)
{
    char qty[FB_DEC_STRMAX], cum[FB_DEC_STRMAX], leaves[FB_DEC_STRMAX], px[FB_DEC_STRMAX],
        avg[FB_DEC_STRMAX], now[FB_VENUE_CLORDID_MAX + 1];
    fb_dec_format(eo->o.terms.qty, qty);
    fb_dec_format(eo->o.cum_qty, cum);
    fb_dec_format(facts_leaves(&eo->o), leaves);
    fb_dec_format(eo->o.terms.price, px);
    fb_dec_format(eo->o.avg_px, avg);
    /* decimals as strings: JSON numbers would go through a double */
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                     "order_id", eo->o.order_id, "cl_ord_id", eo->o.cl_ord_id, "state",
                     fb_order_state_name(eo->o.state), "session", (json_int_t)eo->o.req.session,
                     "account", order_account(e, eo), "symbol", eo->o.req.symbol, "side",
                     eo->o.req.side == FB_SIDE_SELL ? "sell" : "buy", "venue",
                     eo->o.venue_name, "venue_order_id", eo->o.venue_order_id,
                     "client_order_id", order_coid(eo, now), "order_qty", qty, "price", px, "cum_qty",
                     cum, "leaves_qty", leaves, "avg_px", avg);
}

static void call_orders(struct fb_engine *e, struct fb_engine_call *c)
{
    json_t *arr = json_array();
    for (struct eorder *eo = c->all ? e->all : e->live; eo;
         eo = c->all ? eo->all_next : eo->next) {
        json_t *o = order_json(e, eo);
        if (!o || json_array_append_new(arr, o) != 0) {
            c->rc = FB_ERR_NOMEM;
            json_decref(arr);
            return;
        }
    }
    /* the finished ones, read back from the day's file in the order they
     * finished (a rare admin request: the reads are its cost) */
    for (uint64_t off = 0, end = c->all ? fb_done_file_end(&e->done_file) : 0; off < end;) {
        const struct done_order *d = done_read(e, off, &e->done_vrec, &e->done_vrec_cap);
        json_t *o = d ? order_json(e, done_view_of(e, d)) : NULL;
        if (!o || json_array_append_new(arr, o) != 0) {
            c->rc = d ? FB_ERR_NOMEM : FB_ERR_IO;
            json_decref(arr);
            return;
        }
        off += (d->len + FB_DONE_ALIGN - 1) & ~(uint64_t)(FB_DONE_ALIGN - 1);
    }
    c->text = json_dumps(arr, JSON_INDENT(1));
    json_decref(arr);
    c->rc = c->text ? FB_OK : FB_ERR_NOMEM;
}

static void call_metrics(struct fb_engine *e, struct fb_engine_call *c)
{
    size_t by_state[FB_ST_LAST] = {0};
    size_t cap = 65536, n = 0;
    char *t = malloc(cap);
#define EMIT(...)                                                                                      do {                                                                                                   int w_ = snprintf(t + n, cap - n, __VA_ARGS__);                                                    if (w_ > 0 && (size_t)w_ < cap - n)                                                                    n += (size_t)w_;                                                                           } while (0)

    if (!t) {
        c->rc = FB_ERR_NOMEM;
        return;
    }
    t[0] = '\0';
    for (struct eorder *eo = e->all; eo; eo = eo->all_next)
        by_state[eo->o.state]++;
    for (int st = 0; st < FB_ST_LAST; st++)
        by_state[st] += e->done_by_state[st];
    EMIT("# HELP fixbridge_orders Orders held by the engine, by state.\n"
         "# TYPE fixbridge_orders gauge\n");
    for (int st = FB_ST_PENDING_NEW; st < FB_ST_LAST; st++)
        EMIT("fixbridge_orders{state=\"%s\"} %zu\n",
             fb_order_state_name((enum fb_order_state)st), by_state[st]);
    EMIT("# HELP fixbridge_execution_reports_total ExecutionReports sent, by ExecType.\n"
         "# TYPE fixbridge_execution_reports_total counter\n");
    for (int x = 0; x < FB_EXEC_TYPE_LAST; x++)
        EMIT("fixbridge_execution_reports_total{exec_type=\"%s\"} %llu\n",
             fb_exec_type_name((enum fb_exec_type)x), (unsigned long long)e->exec_reports[x]);
    EMIT("# HELP fixbridge_order_rejects_total Orders rejected, by OrdRejReason(103).\n"
         "# TYPE fixbridge_order_rejects_total counter\n");
    for (int r = 0; r < 100; r++) {
        if (e->ord_rejects[r])
            EMIT("fixbridge_order_rejects_total{reason=\"%d\"} %llu\n", r,
                 (unsigned long long)e->ord_rejects[r]);
    }
    EMIT("# HELP fixbridge_cancel_rejects_total OrderCancelRejects sent, by CxlRejReason(102).\n"
         "# TYPE fixbridge_cancel_rejects_total counter\n");
    for (int r = 0; r < 100; r++) {
        if (e->cancel_rejects[r])
            EMIT("fixbridge_cancel_rejects_total{reason=\"%d\"} %llu\n", r,
                 (unsigned long long)e->cancel_rejects[r]);
    }
    EMIT("# HELP fixbridge_policy_refusals_total New orders and replaces refused, by rule.\n"
         "# TYPE fixbridge_policy_refusals_total counter\n");
    for (int r = 0; r < FB_PR_COUNT; r++)
        EMIT("fixbridge_policy_refusals_total{rule=\"%s\"} %llu\n", fb_policy_rule_name(r),
             (unsigned long long)e->policy_stats.refused[r]);
    static const struct {
        const char *name, *help;
        size_t off;
    } hists[] = {
        {"fixbridge_venue_request_seconds", "Time from a venue request to its answer.",
         offsetof(struct fb_engine, latency)},
        {"fixbridge_venue_order_written_seconds",
         "Time from reading a NewOrderSingle off the FIX socket to its venue request "
         "written to the venue's socket (first attempt; venues reached over the network).",
         offsetof(struct fb_engine, written)},
    };
    for (size_t k = 0; k < sizeof hists / sizeof hists[0]; k++) {
        const char *name = hists[k].name;
        const struct latency_hist *all;
        memcpy(&all, (const char *)e + hists[k].off, sizeof all);
        EMIT("# HELP %s %s\n# TYPE %s histogram\n", name, hists[k].help, name);
        for (size_t i = 0; i < e->nvenues; i++) {
            const struct latency_hist *h = &all[i];
            uint64_t cum = 0;
            char le[32];
            for (size_t b = 0;; b++) {
                cum += h->bucket[b];
                if (h->bounds_us[b])
                    ns_to_seconds(h->bounds_us[b] * 1000, le, sizeof le);
                else
                    snprintf(le, sizeof le, "+Inf");
                EMIT("%s_bucket{venue=\"%s\",le=\"%s\"} %llu\n", name, e->venues[i].name,
                     le, (unsigned long long)cum);
                if (!h->bounds_us[b])
                    break;
            }
            ns_to_seconds(h->sum_ns, le, sizeof le);
            EMIT("%s_sum{venue=\"%s\"} %s\n%s_count{venue=\"%s\"} %llu\n", name,
                 e->venues[i].name, le, name, e->venues[i].name, (unsigned long long)h->count);
        }
    }
    EMIT("# HELP fixbridge_breaker_open 1 while a venue's circuit breaker is open or half-open.\n"
         "# TYPE fixbridge_breaker_open gauge\n");
    for (size_t i = 0; i < e->nvenues; i++)
        EMIT("fixbridge_breaker_open{venue=\"%s\",state=\"%s\"} %d\n", e->venues[i].name,
             fb_breaker_state_name(e->breakers[i].state),
             e->breakers[i].state != FB_BRK_CLOSED);
    EMIT("# HELP fixbridge_breaker_opened_total Times a venue's circuit breaker opened.\n"
         "# TYPE fixbridge_breaker_opened_total counter\n");
    for (size_t i = 0; i < e->nvenues; i++)
        EMIT("fixbridge_breaker_opened_total{venue=\"%s\"} %llu\n", e->venues[i].name,
             (unsigned long long)e->breakers[i].opened);
    EMIT("# HELP fixbridge_throttle_total Session throttle verdicts, by bucket.\n"
         "# TYPE fixbridge_throttle_total counter\n");
    for (size_t i = 0; i < e->cfg->nsessions; i++) {
        const struct fb_throttle *b[2] = {&e->sthr[i].orders, &e->sthr[i].messages};
        for (int k = 0; k < 2; k++) {
            const char *sn = e->cfg->sessions[i].name;
            EMIT("fixbridge_throttle_total{session=\"%s\",bucket=\"%s\",verdict=\"admitted\"} "
                 "%llu\n"
                 "fixbridge_throttle_total{session=\"%s\",bucket=\"%s\",verdict=\"held\"} %llu\n"
                 "fixbridge_throttle_total{session=\"%s\",bucket=\"%s\",verdict=\"rejected\"} "
                 "%llu\n",
                 sn, b[k]->unit, (unsigned long long)b[k]->admitted, sn, b[k]->unit,
                 (unsigned long long)b[k]->held, sn, b[k]->unit,
                 (unsigned long long)b[k]->rejected);
        }
    }
    EMIT("# HELP fixbridge_throttle_held Messages a session's throttle holds now.\n"
         "# TYPE fixbridge_throttle_held gauge\n");
    for (size_t i = 0; i < e->cfg->nsessions; i++)
        EMIT("fixbridge_throttle_held{session=\"%s\"} %u\n", e->cfg->sessions[i].name,
             e->sthr[i].held.n);
    EMIT("# HELP fixbridge_owed_fills_orders Orders whose venue reported fills the bridge "
         "has not received yet.\n"
         "# TYPE fixbridge_owed_fills_orders gauge\n"
         "fixbridge_owed_fills_orders %zu\n"
         "# HELP fixbridge_owed_fills_overdue_total Checks that found such fills still missing "
         "after 30 s (the venue is asked again).\n"
         "# TYPE fixbridge_owed_fills_overdue_total counter\n"
         "fixbridge_owed_fills_overdue_total %llu\n",
         e->nowed, (unsigned long long)e->owed_overdue);
    EMIT("# HELP fixbridge_venue_throttle_total Venue throttle verdicts, by bucket.\n"
         "# TYPE fixbridge_venue_throttle_total counter\n");
    for (size_t i = 0; i < e->nvenues; i++) {
        const struct fb_throttle *b[2] = {&e->vthr[i].orders, &e->vthr[i].requests};
        const char *vn = e->venues[i].name;
        for (int k = 0; k < 2; k++)
            EMIT("fixbridge_venue_throttle_total{venue=\"%s\",bucket=\"%s\",verdict=\"admitted\"} "
                 "%llu\n"
                 "fixbridge_venue_throttle_total{venue=\"%s\",bucket=\"%s\",verdict=\"held\"} "
                 "%llu\n"
                 "fixbridge_venue_throttle_total{venue=\"%s\",bucket=\"%s\",verdict=\"rejected\"} "
                 "%llu\n",
                 vn, b[k]->unit, (unsigned long long)b[k]->admitted, vn, b[k]->unit,
                 (unsigned long long)b[k]->held, vn, b[k]->unit,
                 (unsigned long long)b[k]->rejected);
    }
    EMIT("# HELP fixbridge_venue_throttle_held Requests a venue's throttle holds now.\n"
         "# TYPE fixbridge_venue_throttle_held gauge\n");
    for (size_t i = 0; i < e->nvenues; i++)
        EMIT("fixbridge_venue_throttle_held{venue=\"%s\"} %u\n", e->venues[i].name,
             e->vthr[i].held[0].n + e->vthr[i].held[1].n);
    EMIT("# HELP fixbridge_venue_throttle_tokens Whole tokens in a venue's bucket now.\n"
         "# TYPE fixbridge_venue_throttle_tokens gauge\n");
    for (size_t i = 0; i < e->nvenues; i++) {
        const char *vn = e->venues[i].name;
        EMIT("fixbridge_venue_throttle_tokens{venue=\"%s\",bucket=\"orders\"} %llu\n"
             "fixbridge_venue_throttle_tokens{venue=\"%s\",bucket=\"requests\"} %llu\n",
             vn, (unsigned long long)fb_throttle_tokens(&e->vthr[i].orders, realtime_ns()), vn,
             (unsigned long long)fb_throttle_tokens(&e->vthr[i].requests, realtime_ns()));
    }
    EMIT("# HELP fixbridge_orphan_orders_total Open venue orders the journal did not know, "
         "found at start.\n# TYPE fixbridge_orphan_orders_total counter\n"
         "fixbridge_orphan_orders_total %llu\n",
         (unsigned long long)e->orphans_total);
    EMIT("# HELP fixbridge_session_rejects_total Messages refused at the FIX session level.\n"
         "# TYPE fixbridge_session_rejects_total counter\n"
         "fixbridge_session_rejects_total %lu\n",
         (unsigned long)atomic_load(&e->session_rejects));
#undef EMIT
    c->text = t;
    c->rc = FB_OK;
}

static struct fb_venue_inst *sim_venue(struct fb_engine *e, const char *name, char *err,
                                       size_t errlen)
{
    for (size_t i = 0; i < e->nvenues; i++) {
        if (strcmp(e->venues[i].name, name) != 0)
            continue;
        if (e->venues[i].ops != &fb_venue_sim) {
            snprintf(err, errlen, "venue %s is not a sim venue", name);
            return NULL;
        }
        return &e->venues[i];
    }
    snprintf(err, errlen, "no venue %s", name);
    return NULL;
}

static void call_kill(struct fb_engine *e, struct fb_engine_call *c)
{
    struct kill k;
    size_t i;

    memset(&k, 0, sizeof k);
    for (i = 0; i < 4 && strcmp(c->venue, kill_scope_names[i]) != 0; i++)
        ;
    if (i == 4) {
        snprintf(c->err, sizeof c->err, "scope must be session, account, venue or all");
        return;
    }
    k.scope = (enum kill_scope)i;
    copy_str(k.name, sizeof k.name, k.scope == KILL_ALL ? "" : c->ref);
    if (k.scope == KILL_SESSION) {
        size_t s = 0;
        while (s < e->cfg->nsessions && strcmp(e->cfg->sessions[s].name, k.name) != 0)
            s++;
        if (s == e->cfg->nsessions) {
            c->rc = FB_ERR_NOT_FOUND;
            snprintf(c->err, sizeof c->err, "no session %.64s", k.name);
            return;
        }
    } else if (k.scope == KILL_VENUE) {
        size_t v = 0;
        while (v < e->nvenues && strcmp(e->venues[v].name, k.name) != 0)
            v++;
        if (v == e->nvenues) {
            c->rc = FB_ERR_NOT_FOUND;
            snprintf(c->err, sizeof c->err, "no venue %.64s", k.name);
            return;
        }
    } else if (k.scope == KILL_ACCOUNT && !k.name[0]) {
        snprintf(c->err, sizeof c->err, "account kill switch needs a name");
        return;
    }
    for (i = 0; i < e->nkills; i++) {
        if (e->kills[i].scope == k.scope && !strcmp(e->kills[i].name, k.name))
            break;
    }
    if (c->op == FB_OP_RELEASE) {
        if (i == e->nkills) {
            c->rc = FB_ERR_NOT_FOUND;
            snprintf(c->err, sizeof c->err, "no kill switch engaged for %s %.64s",
                     kill_scope_names[k.scope], k.name);
            return;
        }
        e->kills[i] = e->kills[--e->nkills];
        fb_warn("engine", "kill switch released: %s %s", kill_scope_names[k.scope], k.name);
        c->rc = FB_OK;
        return;
    }
    if (i == e->nkills) {
        if (e->nkills == sizeof e->kills / sizeof e->kills[0]) {
            c->rc = FB_ERR_TOO_LARGE;
            snprintf(c->err, sizeof c->err, "too many kill switches engaged");
            return;
        }
        e->kills[e->nkills++] = k;
    }
    char why[FB_TEXT_LEN + 1];
    size_t n = 0;
    snprintf(why, sizeof why, "Canceled by kill switch (%s%s%s)", kill_scope_names[k.scope],
             k.name[0] ? " " : "", k.name);
    for (struct eorder *eo = e->live; eo; eo = eo->next) {
        if (kill_for(e, eo->o.req.session, eo->o.req.account, eo->venue)) {
            bridge_cancel(e, eo, why);
            n++;
        }
    }
    fb_warn("engine", "kill switch engaged: %s %s: %zu open orders sent for cancel",
            kill_scope_names[k.scope], k.name, n);
    json_t *j = json_pack("{s:s, s:s, s:I}", "scope", kill_scope_names[k.scope], "name", k.name,
                          "orders_canceled", (json_int_t)n);
    c->text = j ? json_dumps(j, 0) : NULL;
    json_decref(j);
    c->rc = FB_OK;
}

static void call_kills(struct fb_engine *e, struct fb_engine_call *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < e->nkills; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "scope",
                                             kill_scope_names[e->kills[i].scope], "name",
                                             e->kills[i].name));
    c->text = json_dumps(arr, 0);
    json_decref(arr);
    c->rc = c->text ? FB_OK : FB_ERR_NOMEM;
}

static void handle_call(struct fb_engine *e, struct fb_engine_call *c)
{
    struct fb_venue_inst *v;
    c->rc = FB_ERR_INVALID;
    switch (c->op) {
    case FB_OP_ORDERS:
        call_orders(e, c);
        return;
    case FB_OP_METRICS:
        call_metrics(e, c);
        return;
    case FB_OP_SIM_PRICE: {
        struct fb_dec px;
        if (!(v = sim_venue(e, c->venue, c->err, sizeof c->err)))
            return;
        if (fb_dec_parse_str(c->price, &px) != FB_OK) {
            snprintf(c->err, sizeof c->err, "price %.40s is not a decimal", c->price);
            return;
        }
        c->rc = fb_sim_set_reference(v->state, c->symbol, px);
        if (c->rc)
            snprintf(c->err, sizeof c->err, "%s %s: %s", c->venue, c->symbol,
                     fb_strerror(c->rc));
        return;
    }
    case FB_OP_SIM_CANCEL:
        if (!(v = sim_venue(e, c->venue, c->err, sizeof c->err)))
            return;
        for (struct eorder *eo = e->live; eo; eo = eo->next) {
            if (eo->venue == v->index && !strcmp(eo->o.order_id, c->ref)) {
                char now[FB_VENUE_CLORDID_MAX + 1];
                c->rc = fb_sim_cancel_unsolicited(v->state, order_coid(eo, now));
                if (c->rc)
                    snprintf(c->err, sizeof c->err, "%s: %s", c->ref, fb_strerror(c->rc));
                return;
            }
        }
        c->rc = FB_ERR_NOT_FOUND;
        snprintf(c->err, sizeof c->err, "no open order %s at %s", c->ref, c->venue);
        return;
    case FB_OP_KILL:
    case FB_OP_RELEASE:
        call_kill(e, c);
        return;
    case FB_OP_KILLS:
        call_kills(e, c);
        return;
    case FB_OP_NEW_DAY:
        new_trading_day(e);
        c->rc = FB_OK;
        return;
    case FB_OP_ORPHANS: {
        json_t *arr = json_array();
        for (size_t i = 0; i < e->norphans; i++) {
            const struct orphan *o = &e->orphans[i];
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:b}", "venue",
                                                 e->venues[o->venue].name, "client_order_id",
                                                 o->coid, "venue_order_id", o->venue_order_id,
                                                 "symbol", o->symbol, "cancel_sent",
                                                 o->cancel_sent));
        }
        c->text = json_dumps(arr, JSON_INDENT(1));
        json_decref(arr);
        c->rc = c->text ? FB_OK : FB_ERR_NOMEM;
        return;
    }
    case FB_OP_LAST:
        break;
    }
    snprintf(c->err, sizeof c->err, "unknown request");
}

enum fb_err fb_engine_call(struct fb_engine *e, struct fb_engine_call *c)
{
    struct call_slot slot;
    struct fb_item it;

    c->text = NULL;
    c->err[0] = '\0';
    memset(&it, 0, sizeof it);
    slot.call = c;
    slot.done = 0;
    pthread_mutex_init(&slot.mu, NULL);
    pthread_cond_init(&slot.cv, NULL);
    it.kind = FB_ITEM_CALL;
    it.call = &slot;
    enum fb_err rc = fb_engine_queue_push(&e->q, &it);
    if (rc == FB_OK) {
        /* The engine answers every queued item, also while stopping. */
        pthread_mutex_lock(&slot.mu);
        while (!slot.done)
            pthread_cond_wait(&slot.cv, &slot.mu);
        pthread_mutex_unlock(&slot.mu);
        rc = c->rc;
    } else {
        snprintf(c->err, sizeof c->err, "the engine is stopped");
    }
    pthread_mutex_destroy(&slot.mu);
    pthread_cond_destroy(&slot.cv);
    return rc;
}

/* ---- the FIX side (FIX I/O thread) ---------------------------------- */

static void run_venues(struct fb_engine *e);
static void end_step(struct fb_engine *e);
static int64_t next_deadline_ns(struct fb_engine *e);

/* The engine whose step this thread is in (inline steps), else NULL. */
static _Thread_local struct fb_engine *t_stepping;

static void handle_queued(struct fb_engine *e)
{
    size_t got;
    while ((got = fb_engine_queue_pop(&e->q, e->batch, FB_ENGINE_BATCH)) > 0) {
        for (size_t i = 0; i < got; i++) {
            handle_item(e, &e->batch[i]);
            collapse_finished(e);
        }
    }
}

/*
 * An item from the FIX I/O thread: handled at once when this thread is in
 * a step or can start one without waiting (what others queued goes first,
 * so nothing overtakes), else queued for the engine thread. Never waits for
 * the step lock: the engine thread may be sending to the session whose
 * callback this is (fix_shim.h, threads).
 */
static enum fb_err deliver(struct fb_engine *e, const struct fb_item *it)
{
    if (t_stepping != e) {
        if (!e->inline_steps || atomic_load(&e->stop) ||
            pthread_mutex_trylock(&e->step_mu) != 0)
            return fb_engine_queue_push(&e->q, it);
        t_stepping = e;
        handle_queued(e);
    }
    handle_item(e, it);
    collapse_finished(e);
    return FB_OK;
}

static const char *view_get(void *ctx, int tag)
{
    return fb_fix_msg_get(ctx, tag);
}

static enum fb_fix_app_result on_app(void *user, size_t session, const fb_fix_msg *msg,
                                     int *ref_tag)
{
    struct fb_engine *e = user;
    struct fb_item it;
    struct fb_tr_env env;
    /* fb_msg_view's ctx is not const; translate only reads through it. */
    union {
        const fb_fix_msg *c;
        void *v;
    } ctx = {msg};
    struct fb_msg_view view = {ctx.v, view_get, fb_fix_msg_type(msg), e->versions[session]};

    memset(&env, 0, sizeof env);
    env.routes = e->routes;
    env.venues = e->trv;
    env.venue_count = e->nvenues;
    env.markets = e->markets;
    env.market_count = fb_route_table_size(e->routes);
    env.now_ns = realtime_ns();
    env.session = session;

    it.kind = FB_ITEM_MESSAGE;
    it.session = session;
    it.received_ns = fb_fix_msg_read_ns(msg);
    if (!it.received_ns)
        it.received_ns = env.now_ns;
    it.call = NULL;
    copy_str(it.ref_seq_num, sizeof it.ref_seq_num, fb_fix_msg_get(msg, 34));
    copy_str(it.ref_msg_type, sizeof it.ref_msg_type, view.msg_type);
    copy_str(it.mass_cancel_type, sizeof it.mass_cancel_type, fb_fix_msg_get(msg, 530));
    if (fb_translate(&env, &view, &it.tr) != FB_OK)
        return FB_FIX_APP_UNSUPPORTED;
    if (it.tr.rejected) {
        *ref_tag = it.tr.rej.ref_tag;
        switch (it.tr.rej.channel) {
        case FB_TR_CH_SESSION:
            atomic_fetch_add(&e->session_rejects, 1);
            fb_info("engine", "session %s: 35=%s refused: %s", e->cfg->sessions[session].name,
                    view.msg_type, it.tr.rej.text);
            if (it.tr.rej.problem == FB_TRP_REQUIRED_MISSING)
                return FB_FIX_APP_MISSING_TAG;
            if (it.tr.rej.problem == FB_TRP_BAD_FORMAT)
                return FB_FIX_APP_BAD_FORMAT;
            return FB_FIX_APP_BAD_VALUE;
        case FB_TR_CH_BUSINESS:
            /* An unsupported MsgType is QuickFIX's to answer (380=3); any
             * other business reject names its own reason: the engine sends it. */
            if (it.tr.rej.problem == FB_TRP_UNSUPPORTED_MSG)
                return FB_FIX_APP_UNSUPPORTED;
            break;
        default:
            break;
        }
    }
    if (deliver(e, &it) != FB_OK)
        fb_error("engine", "engine stopped: message from session %s dropped",
                 e->cfg->sessions[session].name);
    return FB_FIX_APP_OK;
}

static void push_session_event(struct fb_engine *e, size_t session, enum fb_item_kind kind)
{
    struct fb_item it;
    memset(&it, 0, sizeof it);
    it.kind = kind;
    it.session = session;
    it.received_ns = realtime_ns();
    (void)deliver(e, &it);
}

static void on_logon(void *user, size_t session)
{
    push_session_event(user, session, FB_ITEM_LOGON);
}

static void on_logout(void *user, size_t session)
{
    push_session_event(user, session, FB_ITEM_LOGOUT);
}

#define ENGINE_MAX_POLL 64

/* The engine thread's poll set: its wake-up, then the sockets of the
 * venues reached over the network; *gen sums their sets' generations. */
static size_t engine_poll_set(struct fb_engine *e, struct pollfd *p, size_t max, uint64_t *gen)
{
    size_t n = 0;
    *gen = 0;
    p[n++] = (struct pollfd){e->q.wake_fd, POLLIN, 0};
    for (size_t i = 0; i < e->nvenues; i++) {
        const struct fb_venue_inst *v = &e->venues[i];
        uint64_t g = 0;
        if (!v->ops->poll_fds)
            continue;
        size_t got = v->ops->poll_fds(v->state, p + n, max - n, &g);
        if (got > max - n) {
            fb_warn("engine", "venue %s: %zu sockets, more than the engine polls; the rest "
                              "are run by the clock", v->name, got);
            got = max - n;
        }
        n += got;
        *gen += g;
    }
    return n;
}

static uint64_t venue_fds_gen(struct fb_engine *e)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < e->nvenues; i++) {
        const struct fb_venue_inst *v = &e->venues[i];
        uint64_t g = 0;
        if (v->ops->poll_fds) {
            (void)v->ops->poll_fds(v->state, NULL, 0, &g);
            sum += g;
        }
    }
    return sum;
}

/* The FIX I/O thread is about to wait: the step its messages began ends
 * here (venues run, journal barrier, reports out), once per wake-up however
 * many messages it read. */
static void on_io_idle(void *user)
{
    struct fb_engine *e = user;
    if (t_stepping != e)
        return;
    handle_queued(e);
    run_venues(e);
    end_step(e);
    collapse_finished(e);
    int64_t due = next_deadline_ns(e);
    int64_t asleep = atomic_load(&e->sleep_until);
    /* a new connection to a venue: its socket must be in the poll set */
    int resocket = venue_fds_gen(e) != e->polled_gen;
    t_stepping = NULL;
    pthread_mutex_unlock(&e->step_mu);
    if (due < asleep || resocket)
        fb_engine_queue_wake(&e->q); /* something the engine thread must see */
}

struct fb_fix_callbacks fb_engine_fix_callbacks(struct fb_engine *e)
{
    struct fb_fix_callbacks cb = {e, on_logon, on_logout, on_app, on_io_idle};
    return cb;
}

/* Orders a session's cancel-on-disconnect covers: its own, or with
 * order_scope account, its account's. */
static void cancel_on_disconnect(struct fb_engine *e, size_t session)
{
    char why[FB_TEXT_LEN + 1];
    size_t n = 0;
    snprintf(why, sizeof why, "Canceled on disconnect of session %s",
             e->cfg->sessions[session].name);
    for (struct eorder *eo = e->live; eo; eo = eo->next) {
        if (in_scope(e, session, eo)) {
            bridge_cancel(e, eo, why);
            n++;
        }
    }
    fb_warn("engine", "cancel on disconnect: session %s: %zu open orders sent for cancel",
            e->cfg->sessions[session].name, n);
}

/* ---- the trading-day boundary ------------------------------------------ */

static int64_t next_utc_midnight(int64_t now_ns)
{
    const int64_t day = 86400LL * 1000000000LL;
    return (now_ns / day + 1) * day;
}

/* The journal keeps a record while its order is still held. */
static int keep_record(void *user, const struct fb_journal_record *r)
{
    struct fb_engine *e = user;
    char id[FB_ID_LEN + 1];
    /* every payload has "order_id=..." on a line of its own */
    const char *p = (const char *)r->payload, *end = p + r->len;
    const char *k = NULL;
    for (const char *q = p; q + 9 <= end; q++) {
        if ((q == p || q[-1] == '\n') && !memcmp(q, "order_id=", 9)) {
            k = q + 9;
            break;
        }
    }
    if (!k)
        return 0;
    size_t n = 0;
    while (k + n < end && k[n] != '\n' && n < FB_ID_LEN)
        n++;
    memcpy(id, k, n);
    id[n] = '\0';
    return idx_get(&e->by_order_id, id, order_id_has) != NULL;
}

static enum fb_err index_live_order(struct fb_engine *e, struct eorder *eo)
{
    const struct order_cold *c = eo->cold;
    const char *ids[] = {eo->o.req.cl_ord_id, eo->o.cl_ord_id, eo->o.orig_cl_ord_id,
                         eo->o.pending.cl_ord_id};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (ids[i][0] && remember_clordid(e, eo->o.req.session, ids[i], eo) != FB_OK)
            return FB_ERR_NOMEM;
    }
    /* every venue id the order has had: fills for an old one may still come */
    for (unsigned v = 0; v <= eo->version; v++) {
        char coid[FB_VENUE_CLORDID_MAX + 1];
        venue_coid(eo, v, coid, sizeof coid);
        if (coid_put(e, eo->venue, coid, eo) != FB_OK)
            return FB_ERR_NOMEM;
    }
    /* and those venue_coid() does not give (listed: coid_put adds nothing) */
    for (size_t i = 0; c && c->coids && i < c->coids_len; i += strlen(c->coids + i) + 1) {
        if (coid_put(e, eo->venue, c->coids + i, eo) != FB_OK)
            return FB_ERR_NOMEM;
    }
    return idx_put(&e->by_order_id, eo->o.order_id, eo, order_id_has);
}

/*
 * A new trading day: orders that ended are forgotten (their ClOrdIDs may be
 * used again, as FIX allows per day), in memory and in the journal, which is
 * compacted to the records of the orders still open. Memory and journal
 * stay bounded by the open orders, not by the history.
 */
static void new_trading_day(struct fb_engine *e)
{
    size_t dropped = 0, kept = 0;
    struct eorder *eo = e->all, *next;

    fb_kidx_free(&e->by_clordid);
    fb_kidx_free(&e->by_coid);
    fb_kidx_free(&e->by_order_id);
    for (size_t st = 0; st < FB_ST_LAST; st++)
        dropped += e->done_by_state[st];
    memset(e->done_by_state, 0, sizeof e->done_by_state);
    /* both, whatever the other did: the index must never keep yesterday's
     * keys (they would point past the emptied file: ClOrdIDs refused) */
    int64_t now = realtime_ns();
    enum fb_err frc = fb_done_file_rotate(&e->done_file, now);
    enum fb_err irc = fb_done_index_rotate(&e->done_idx, now);
    if (frc != FB_OK || irc != FB_OK)
        fb_error("engine", "finished-orders files: cannot start the new day's");
    e->ndying = 0; /* the finished ones among these are freed below */
    for (; eo; eo = next) {
        next = eo->all_next;
        if (facts_terminal(&eo->o) && !eo->rc) {
            all_remove(e, eo);
            eorder_free(e, eo);
            dropped++;
            continue;
        }
        eo->dying = 0;
        if (facts_terminal(&eo->o))
            order_finished(e, eo);
        if (index_live_order(e, eo) != FB_OK)
            fb_error("engine", "out of memory re-indexing order %s", eo->o.order_id);
        kept++;
    }
    /* what this step has to say goes out first, so one marker after the
     * kept records covers them all (markers name no order: not kept) */
    outbox_flush(e);
    if (e->journal && !e->journal_failed) {
        journal_commit(e);
        struct fb_jrec_sent m = {.upto = (int64_t)e->last_jseq};
        char mbuf[64];
        struct fb_journal_record extra;
        memset(&extra, 0, sizeof extra);
        extra.type = FB_JREC_SENT;
        extra.flags = FB_JOURNAL_F_HINT;
        extra.payload = (const uint8_t *)mbuf;
        extra.len = (uint32_t)fb_jrec_sent_encode(&m, mbuf, sizeof mbuf);
        extra.time_ns = realtime_ns();
        enum fb_err rc = fb_journal_compact(e->journal, keep_record, e, &extra,
                                            m.upto > 0 && extra.len ? 1 : 0);
        if (rc)
            fb_error("journal", "compaction failed: %s (%s)", fb_strerror(rc),
                     fb_journal_errmsg(e->journal));
    }
    fb_info("engine", "new trading day: %zu finished orders forgotten, %zu open kept", dropped,
            kept);
}

static void run_timers(struct fb_engine *e, int64_t now)
{
    if (now >= e->next_day_ns) {
        new_trading_day(e);
        e->next_day_ns = next_utc_midnight(now);
    }
    throttle_release_due(e, now);
    venue_release_due(e, now);
    if (e->nowed)
        check_owed(e, now);
    for (size_t i = 0; i < e->nvenues; i++)
        (void)fb_breaker_tick(&e->breakers[i], now);
    for (size_t i = 0; i < e->cfg->nsessions; i++) {
        if (e->cod_deadline[i] && e->cod_deadline[i] <= now) {
            e->cod_deadline[i] = 0;
            if (!e->logged_on[i])
                cancel_on_disconnect(e, i);
        }
    }
}

/* ---- the engine thread ------------------------------------------------ */

static void run_venues(struct fb_engine *e)
{
    int64_t now = realtime_ns();
    run_timers(e, now);
    /* the barrier for the requests the step made to remote venues: they
     * leave from inside run() */
    if (e->pending_io) {
        journal_commit(e);
        e->pending_io = 0;
    }
    e->in_venue_run = 1;
    for (size_t i = 0; i < e->nvenues; i++) {
        enum fb_err rc = e->venues[i].ops->run(e->venues[i].state, now);
        if (rc)
            fb_error("engine", "venue %s: %s", e->venues[i].name, fb_strerror(rc));
    }
    e->in_venue_run = 0;
}

/* One step of the engine: what the step did goes out (reports after the
 * journal barrier), and a group commit that is due is done. */
static void end_step(struct fb_engine *e)
{
    outbox_flush(e);
    /* the step's finished orders: one write, like the journal's */
    if (e->done_file.len)
        (void)fb_done_file_flush(&e->done_file);
    (void)fb_done_index_flush(&e->done_idx);
    if (e->journal && !e->journal_failed &&
        fb_journal_next_deadline(e->journal) <= realtime_ns()) {
        enum fb_err rc = fb_journal_tick(e->journal, realtime_ns());
        if (rc)
            journal_fail(e, rc, "sync");
    }
}

/* The earliest time something is due (ns), INT64_MAX for nothing. */
static int64_t next_deadline_ns(struct fb_engine *e)
{
    int64_t deadline = INT64_MAX;
    for (size_t i = 0; i < e->cfg->nsessions; i++) {
        if (e->cod_deadline[i] && e->cod_deadline[i] < deadline)
            deadline = e->cod_deadline[i];
        int64_t held = fb_tqueue_next_deadline(&e->sthr[i].held);
        if (held < deadline)
            deadline = held;
    }
    for (size_t i = 0; i < e->nvenues; i++) {
        int64_t d = e->venues[i].ops->next_deadline(e->venues[i].state);
        if (d < deadline)
            deadline = d;
        for (int k = 0; k < 2; k++) {
            d = fb_tqueue_next_deadline(&e->vthr[i].held[k]);
            if (d < deadline)
                deadline = d;
        }
    }
    if (e->journal && !e->journal_failed) {
        int64_t d = fb_journal_next_deadline(e->journal);
        if (d < deadline)
            deadline = d;
    }
    return deadline;
}

/* How long the engine thread may sleep; notes when it wakes (sleep_until). */
static int next_timeout_ms(struct fb_engine *e)
{
    int64_t now = realtime_ns(), deadline = next_deadline_ns(e);
    int64_t ms = deadline <= now ? 0 : (deadline - now + 999999) / 1000000;
    if (ms > 1000) {
        ms = 1000;
        deadline = now + ms * 1000000;
    }
    /* what it will see in time (the ms are rounded up, never down) */
    atomic_store(&e->sleep_until, deadline);
    return (int)ms;
}

static void *engine_main(void *arg)
{
    struct fb_engine *e = arg;

    /* Let the venues start their clocks and prices before the first order
     * (the policy's collar needs a reference price). */
    pthread_mutex_lock(&e->step_mu);
    run_venues(e);

    while (!atomic_load(&e->stop)) {
        /* the venues' sockets too: an answer is taken as it arrives */
        struct pollfd p[ENGINE_MAX_POLL];
        size_t np = engine_poll_set(e, p, ENGINE_MAX_POLL, &e->polled_gen);
        int timeout = next_timeout_ms(e);
        pthread_mutex_unlock(&e->step_mu);
        int n = poll(p, np, timeout);
        pthread_mutex_lock(&e->step_mu);
        if (n < 0 && errno != EINTR) {
            fb_error("engine", "poll: %s", strerror(errno));
            break;
        }
        if (n > 0 && (p[0].revents & POLLIN))
            fb_engine_queue_drain_wake(&e->q);
        size_t got;
        while ((got = fb_engine_queue_pop(&e->q, e->batch, FB_ENGINE_BATCH)) > 0) {
            for (size_t i = 0; i < got; i++) {
                handle_item(e, &e->batch[i]);
                collapse_finished(e);
            }
            run_venues(e);
            end_step(e);
            collapse_finished(e);
        }
        run_venues(e);
        end_step(e);
        collapse_finished(e);
    }
    /* finish what was queued before the stop */
    size_t got;
    while ((got = fb_engine_queue_pop(&e->q, e->batch, FB_ENGINE_BATCH)) > 0) {
        for (size_t i = 0; i < got; i++)
            handle_item(e, &e->batch[i]);
    }
    end_step(e);
    pthread_mutex_unlock(&e->step_mu);
    return NULL;
}

/* ---- restart: replay the journal, then reconcile with the venues -------- */

static enum fb_err replay_new(struct fb_engine *e, const struct fb_jrec_new *r)
{
    if (r->req.venue >= e->nvenues || r->req.session >= e->cfg->nsessions) {
        fb_warn("engine", "journal: order %s names a venue or session the config no longer has",
                r->order_id);
        return FB_OK;
    }
    struct eorder *eo = eorder_new(e, r->order_id, &r->req);
    if (!eo)
        return FB_ERR_NOMEM;
    if (order_set_coid(eo, r->coid) != FB_OK) {
        eorder_free(e, eo);
        return FB_ERR_NOMEM;
    }
    live_add(e, eo);
    all_add(e, eo);
    if (remember_clordid(e, r->req.session, r->req.cl_ord_id, eo) != FB_OK ||
        coid_put(e, eo->venue, r->coid, eo) != FB_OK ||
        idx_put(&e->by_order_id, eo->o.order_id, eo, order_id_has) != FB_OK)
        return FB_ERR_NOMEM;
    return FB_OK;
}

static enum fb_err replay_event(struct fb_engine *e, const struct fb_jrec_event *r, uint64_t seq)
{
    struct eorder *eo = idx_get(&e->by_order_id, r->order_id, order_id_has);
    struct fb_report rep;
    if (!eo) {
        fb_warn("journal", "event for unknown order %s skipped", r->order_id);
        return FB_OK;
    }
    if (r->ev.type == FB_OEV_CANCEL_REQUEST &&
        remember_clordid(e, r->ev.u.cancel.session, r->ev.u.cancel.cl_ord_id, eo) != FB_OK)
        return FB_ERR_NOMEM;
    if (r->ev.type == FB_OEV_REPLACE_REQUEST &&
        remember_clordid(e, r->ev.u.replace.session, r->ev.u.replace.cl_ord_id, eo) != FB_OK)
        return FB_ERR_NOMEM;
    if (r->ev.type == FB_OEV_REPLACED && r->coid[0]) {
        if (coid_put(e, eo->venue, r->coid, eo) != FB_OK)
            return FB_ERR_NOMEM;
        eo->version++;
        if (order_set_coid(eo, r->coid) != FB_OK)
            return FB_ERR_NOMEM;
    }
    /* the report the event caused, with its ExecID: kept in the outbox
     * until a SENT marker says it left, resent if none does */
    copy_str(e->replay_exec_id, sizeof e->replay_exec_id, r->exec_id);
    enum fb_err rc = order_apply(e, eo, &r->ev, &rep);
    e->replay_exec_id[0] = '\0';
    if (rc)
        fb_warn("journal", "order %s: %s did not replay: %s", eo->o.order_id,
                fb_order_event_name(r->ev.type), fb_strerror(rc));
    else {
        e->replay_seq = seq;
        send_report(e, &rep);
        e->replay_seq = 0;
    }
    if (facts_terminal(&eo->o)) {
        live_remove(e, eo);
        order_finished(e, eo);
    }
    return FB_OK;
}

static enum fb_err on_journal_record(void *user, const struct fb_journal_record *rec)
{
    struct fb_engine *e = user;
    enum fb_err rc;
    if (rec->type == FB_JREC_NEW) {
        struct fb_jrec_new r;
        rc = fb_jrec_new_decode((const char *)rec->payload, rec->len, &r);
        if (rc == FB_OK)
            rc = replay_new(e, &r);
    } else if (rec->type == FB_JREC_EVENT) {
        struct fb_jrec_event r;
        rc = fb_jrec_event_decode((const char *)rec->payload, rec->len, &r);
        if (rc == FB_OK)
            rc = replay_event(e, &r, rec->seq);
    } else if (rec->type == FB_JREC_SENT) {
        struct fb_jrec_sent r;
        rc = fb_jrec_sent_decode((const char *)rec->payload, rec->len, &r);
        if (rc == FB_OK) {
            outbox_drop_upto(e, (uint64_t)r.upto);
            e->replay_saw_marker = 1;
        }
    } else {
        fb_warn("journal", "record %llu of unknown type %u skipped",
                (unsigned long long)rec->seq, (unsigned)rec->type);
        return FB_OK;
    }
    if (rc)
        fb_error("journal", "record %llu: %s", (unsigned long long)rec->seq, fb_strerror(rc));
    collapse_finished(e); /* so a long day replays in the memory it ran in */
    return rc;
}

/* Opens the journal, rebuilds every order from it and asks each venue about
 * the orders that were open: only what the venue says changes them. */
static enum fb_err journal_start(struct fb_engine *e, char *errbuf, size_t errlen)
{
    char path[4200];
    struct fb_journal_cfg jc;
    struct fb_journal_recovery rec;
    enum fb_err rc = fb_journal_path(e->cfg->bridge.data_dir, path, sizeof path);
    if (rc) {
        snprintf(errbuf, errlen, "journal path under %s: %s", e->cfg->bridge.data_dir,
                 fb_strerror(rc));
        return rc;
    }
    memset(&jc, 0, sizeof jc);
    jc.dir = path;
    jc.fsync = e->cfg->bridge.journal_fsync;
    jc.group_commit_ms = e->cfg->bridge.journal_group_commit_ms;
    jc.segment_bytes = e->cfg->bridge.journal_segment_bytes;
    rc = fb_journal_open("file", &jc, &e->journal, &rec, errbuf, errlen);
    if (rc)
        return rc;
    if (rec.torn)
        fb_warn("journal", "%s", rec.reason);
    e->replaying = 1;
    rc = fb_journal_replay(e->journal, on_journal_record, e);
    e->replaying = 0;
    if (rc) {
        snprintf(errbuf, errlen, "journal %s: replay failed: %s", path, fb_strerror(rc));
        return rc;
    }
    e->last_jseq = rec.last_seq;
    if (e->out.count && !e->replay_saw_marker) {
        /* a journal from before the markers: what left cannot be told */
        fb_warn("journal", "no record of which reports were sent: %zu not resent",
                e->out.count);
        e->out.len = e->out.count = 0;
    }
    if (!e->out.count) {
        /* from here on the journal says what was sent, even if the first
         * crash comes before the first report */
        journal_mark_sent(e);
        journal_commit(e);
    } else {
        fb_info("journal", "%zu reports were journaled but perhaps not sent before the stop: "
                           "sending them (PossResend, same ExecID)",
                e->out.count);
        outbox_mark_resend(e);
        e->unmarked = 1;
    }
    if (rec.records)
        fb_info("journal", "%llu records replayed: %zu orders, %zu open", (unsigned long long)rec.records,
                e->by_order_id.n, e->nlive);
    /* An order whose acceptance never reached the journal never reached
     * the venue either (the request follows the accept), and the OMS
     * heard nothing of it: refuse it now rather than guess. */
    for (struct eorder *eo = e->live, *next; eo; eo = next) {
        next = eo->next;
        if (eo->o.state != FB_ST_NONE)
            continue;
        struct fb_order_event ev;
        event_init(&ev, FB_OEV_REJECT);
        ev.reason = FB_ORDREJ_BROKER;
        copy_str(ev.text, sizeof ev.text, "The bridge stopped before it accepted the order; "
                                          "it was never sent to the venue");
        fb_warn("engine", "order %s (ClOrdID %s): not accepted before the stop; rejecting it",
                eo->o.order_id, eo->o.req.cl_ord_id);
        (void)apply(e, eo, &ev);
    }
    for (struct eorder *eo = e->live; eo; eo = eo->next) {
        const struct fb_venue_inst *v = &e->venues[eo->venue];
        eo->rc = calloc(1, sizeof *eo->rc);
        if (!eo->rc) {
            snprintf(errbuf, errlen, "out of memory reconciling orders");
            return FB_ERR_NOMEM;
        }
        eo->reconciling = 1;
        eo->rc->wait = 1;
        char now[FB_VENUE_CLORDID_MAX + 1];
        if (v->ops->query(v->state, order_coid(eo, now), realtime_ns()) != FB_OK)
            fb_warn("engine", "order %s: cannot ask %s about it", eo->o.order_id, v->name);
        if (eo->o.pending.kind == FB_PENDING_REPLACE) {
            /* the venue may have done the replace before the crash: ask
             * for the id it would have given the order too */
            venue_coid(eo, eo->version + 1, eo->rc->new_coid, sizeof eo->rc->new_coid);
            if (coid_put(e, eo->venue, eo->rc->new_coid, eo) != FB_OK)
                return FB_ERR_NOMEM;
            eo->rc->wait = 2;
            if (v->ops->query(v->state, eo->rc->new_coid, realtime_ns()) != FB_OK)
                fb_warn("engine", "order %s: cannot ask %s about it", eo->o.order_id, v->name);
        }
    }
    /* and every venue's open orders, to find the ones the journal lacks */
    for (size_t i = 0; i < e->nvenues; i++) {
        const struct fb_venue_inst *v = &e->venues[i];
        if (v->ops->open_orders &&
            v->ops->open_orders(v->state, NULL, ORPHAN_SCAN_ID, realtime_ns()) != FB_OK)
            fb_warn("engine", "venue %s: cannot list its open orders", v->name);
    }
    return FB_OK;
}

/* The venue's status of an order the journal had open, with no request of
 * the bridge's pending. Only what the venue reports changes the order:
 * never a guessed fill. */
static void reconcile_status(struct fb_engine *e, struct eorder *eo,
                             const struct fb_venue_inst *v, const struct fb_venue_event *vev)
{
    const struct fb_venue_status *st = &vev->u.status;
    struct fb_order_event ev;
    switch (st->state) {
    case FB_VOS_UNKNOWN:
        if (!eo->o.acked) {
            /* the request may never have reached the venue: send it again,
             * with the same client order id, so it cannot exist twice */
            struct fb_venue_order vo;
            to_venue_order(eo, &vo);
            fb_warn("engine", "order %s: unknown at %s after restart; sending it again",
                    eo->o.order_id, v->name);
            if (v->ops->submit(v->state, &vo, realtime_ns()) == FB_OK)
                return;
        }
        event_init(&ev, FB_OEV_CANCELED);
        ev.u.cause = FB_CXL_UNSOLICITED;
        snprintf(ev.text, sizeof ev.text, "%s no longer knows the order (bridge restarted)",
                 v->name);
        break;
    case FB_VOS_CANCELED:
    case FB_VOS_REJECTED:
    case FB_VOS_EXPIRED:
        if (!eo->o.acked) {
            /* acknowledge first: fills or a cancel need a live order */
            event_init(&ev, FB_OEV_ACK);
            copy_str(ev.venue_order_id, sizeof ev.venue_order_id, vev->venue_order_id);
            (void)apply(e, eo, &ev);
        }
        if (fb_dec_cmp(st->cum_qty, eo->o.cum_qty) > 0) {
            /* fills happened that the journal lacks: the adapter delivers
             * them; the order closes once they are in */
            eo->close_after_fills = 1;
            eo->close_event = st->state == FB_VOS_EXPIRED ? FB_OEV_EXPIRED : FB_OEV_CANCELED;
            eo->close_at_cum = st->cum_qty;
            char vcum[FB_DEC_STRMAX], jcum[FB_DEC_STRMAX];
            fb_dec_format(st->cum_qty, vcum);
            fb_dec_format(eo->o.cum_qty, jcum);
            fb_warn("engine", "order %s: closed at %s with CumQty %s, the journal has %s; "
                              "closing it once those fills are in",
                    eo->o.order_id, v->name, vcum, jcum);
            owe_fills(e, eo, st->cum_qty);
            return;
        }
        if (st->state == FB_VOS_EXPIRED) {
            event_init(&ev, FB_OEV_EXPIRED);
        } else {
            event_init(&ev, FB_OEV_CANCELED);
            ev.u.cause = FB_CXL_UNSOLICITED;
            snprintf(ev.text, sizeof ev.text, "Canceled at %s while the bridge was down",
                     v->name);
        }
        break;
    case FB_VOS_NEW:
    case FB_VOS_PARTIALLY_FILLED:
    case FB_VOS_FILLED:
        if (!eo->o.acked) {
            /* acknowledged first; fills it had meanwhile are owed like
             * any others, or a stalled adapter would leave it short */
            event_init(&ev, FB_OEV_ACK);
            copy_str(ev.venue_order_id, sizeof ev.venue_order_id, vev->venue_order_id);
            (void)apply(e, eo, &ev);
        }
        if (fb_dec_cmp(st->cum_qty, eo->o.cum_qty) != 0)
            fb_warn("engine", "order %s: %s reports CumQty differently than the journal; its "
                              "fills will be reported as the venue delivers them",
                    eo->o.order_id, v->name);
        if (fb_dec_cmp(st->cum_qty, eo->o.cum_qty) > 0)
            owe_fills(e, eo, st->cum_qty);
        return;
    default:
        return;
    }
    copy_str(ev.venue_order_id, sizeof ev.venue_order_id, vev->venue_order_id);
    (void)apply(e, eo, &ev);
}

/* All start-up answers about eo are in: settle a cancel or replace that was
 * with the venue when the bridge died, then the order itself. */
static void reconcile(struct fb_engine *e, struct eorder *eo, const struct fb_venue_inst *v,
                      const struct fb_venue_event *last)
{
    struct reconciliation *r = eo->rc;
    struct fb_order_event ev;
    const struct fb_venue_event *old = r->have_old ? &r->old_ev : last;
    eo->reconciling = 0;

    char now[FB_VENUE_CLORDID_MAX + 1];
    if (eo->o.pending.kind != FB_PENDING_REPLACE && r->new_coid[0] &&
        !strcmp(order_coid(eo, now), r->new_coid)) {
        /* The venue confirmed the replace while the answers were out: the
         * order lives under the new id, and the old id's cancel is the
         * replace's own doing, not news. */
        if (!r->have_new || r->new_ev.u.status.state == FB_VOS_UNKNOWN) {
            fb_info("engine", "order %s: replaced at %s; nothing more to reconcile",
                    eo->o.order_id, v->name);
            goto out;
        }
        old = &r->new_ev;
    }

    if (eo->o.pending.kind == FB_PENDING_REPLACE && r->new_coid[0]) {
        if (r->have_new && r->new_ev.u.status.state != FB_VOS_UNKNOWN) {
            /* the venue did the replace: the order lives on under the new id */
            event_init(&ev, FB_OEV_REPLACED);
            copy_str(ev.venue_order_id, sizeof ev.venue_order_id, r->new_ev.venue_order_id);
            eo->version++;
            if (order_set_coid(eo, r->new_coid) != FB_OK)
                fb_error("engine", "out of memory: order %s lost its venue id %s",
                         eo->o.order_id, r->new_coid);
            (void)apply(e, eo, &ev);
            if (!facts_terminal(&eo->o))
                reconcile_status(e, eo, v, &r->new_ev);
        } else {
            event_init(&ev, FB_OEV_REPLACE_REJECT);
            ev.reason = FB_CXLREJ_TOO_LATE;
            snprintf(ev.text, sizeof ev.text, "%s did not take the replace before the bridge "
                                              "restarted",
                     v->name);
            (void)apply(e, eo, &ev);
            if (!facts_terminal(&eo->o))
                reconcile_status(e, eo, v, old);
        }
    } else if (eo->o.pending.kind == FB_PENDING_CANCEL) {
        const struct fb_venue_status *st = &old->u.status;
        if ((st->state == FB_VOS_CANCELED || st->state == FB_VOS_EXPIRED) &&
            fb_dec_cmp(st->cum_qty, eo->o.cum_qty) <= 0) {
            event_init(&ev, FB_OEV_CANCELED);
            ev.u.cause = FB_CXL_REQUESTED;
            (void)apply(e, eo, &ev);
        } else if (st->state == FB_VOS_NEW || st->state == FB_VOS_PARTIALLY_FILLED) {
            /* the cancel never got there: send it again, it is the OMS's */
            if (venue_cancel(e, eo, 'c') != FB_OK)
                fb_warn("engine", "order %s: cannot resend its cancel to %s", eo->o.order_id,
                        v->name);
            if (fb_dec_cmp(st->cum_qty, eo->o.cum_qty) != 0)
                fb_warn("engine", "order %s: fills the journal lacks will come from %s",
                        eo->o.order_id, v->name);
        } else if (st->state == FB_VOS_FILLED) {
            event_init(&ev, FB_OEV_CANCEL_REJECT);
            ev.reason = FB_CXLREJ_TOO_LATE;
            snprintf(ev.text, sizeof ev.text, "Filled at %s before the cancel", v->name);
            (void)apply(e, eo, &ev);
            reconcile_status(e, eo, v, old);
        } else {
            reconcile_status(e, eo, v, old);
        }
    } else {
        reconcile_status(e, eo, v, old);
    }
out:
    free(eo->rc);
    eo->rc = NULL;
}

/* ---- construction ---------------------------------------------------- */

static enum fb_err build_routes(struct fb_engine *e, char *errbuf, size_t errlen)
{
    const struct fb_config *cfg = e->cfg;
    struct fb_route *routes = calloc(cfg->nroutes ? cfg->nroutes : 1, sizeof *routes);
    enum fb_err rc = FB_ERR_NOMEM;

    e->markets = calloc(cfg->nroutes ? cfg->nroutes : 1, sizeof *e->markets);
    if (!routes || !e->markets)
        goto out;
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const struct fb_route_cfg *r = &cfg->routes[i];
        size_t vi = 0;
        while (vi < cfg->nvenues && strcmp(cfg->venues[vi].name, r->venue) != 0)
            vi++;
        if (vi == cfg->nvenues) {
            snprintf(errbuf, errlen, "route %s: no venue %s", r->symbol, r->venue);
            rc = FB_ERR_CONFIG;
            goto out;
        }
        routes[i] = (struct fb_route){r->symbol, r->ex_destination, vi, r->venue_symbol};
        const struct fb_venue_inst *v = &e->venues[vi];
        enum fb_err mrc = v->ops->market(v->state, r->venue_symbol, &e->markets[i]);
        /* A REST venue loads its markets in its first run()s (time, then
         * exchange info); the bridge does not open for orders before. */
        int64_t give_up = realtime_ns() + FB_VENUE_READY_TIMEOUT_NS;
        while (mrc == FB_ERR_STATE && realtime_ns() < give_up) {
            (void)v->ops->run(v->state, realtime_ns());
            struct timespec nap = {0, 5 * 1000000};
            nanosleep(&nap, NULL);
            mrc = v->ops->market(v->state, r->venue_symbol, &e->markets[i]);
        }
        if (mrc == FB_ERR_STATE) {
            snprintf(errbuf, errlen, "venue %s did not load market %s within %d s", v->name,
                     r->venue_symbol, (int)(FB_VENUE_READY_TIMEOUT_NS / 1000000000));
            rc = FB_ERR_TIMEOUT;
            goto out;
        }
        if (mrc != FB_OK) {
            snprintf(errbuf, errlen, "route %s: venue %s has no market %s", r->symbol, v->name,
                     r->venue_symbol);
            rc = FB_ERR_CONFIG;
            goto out;
        }
    }
    rc = fb_route_table_new(routes, cfg->nroutes, cfg->nvenues, &e->routes, errbuf, errlen);
out:
    free(routes);
    if (rc == FB_ERR_NOMEM && errbuf[0] == '\0')
        snprintf(errbuf, errlen, "out of memory");
    return rc;
}

struct fb_engine *fb_engine_new(const struct fb_config *cfg, char *errbuf, size_t errlen)
{
    struct fb_engine *e = calloc(1, sizeof *e);

    errbuf[0] = '\0';
    if (!e)
        goto nomem;
    e->cfg = cfg;
    pthread_mutex_init(&e->step_mu, NULL); /* first: fb_engine_free destroys it */
    e->inline_steps = cfg->bridge.journal_fsync == FB_JOURNAL_FSYNC_NEVER;
    e->done_file.fd = -1; /* not open: fb_engine_free must not close fd 0 */
    e->done_idx.entries.fd = -1;
    fb_pool_init(&e->orders, sizeof(struct eorder), 1024);
    fb_kidx_init(&e->by_clordid);
    fb_kidx_init(&e->by_coid);
    fb_strmap_init(&e->exposure);
    fb_kidx_init(&e->by_order_id);
    if (fb_engine_queue_init(&e->q, FB_ENGINE_QUEUE_CAP) != FB_OK)
        goto nomem;
    e->nvenues = cfg->nvenues;
    e->venues = calloc(cfg->nvenues, sizeof *e->venues);
    e->trv = calloc(cfg->nvenues, sizeof *e->trv);
    e->versions = calloc(cfg->nsessions, sizeof *e->versions);
    e->logged_on = calloc(cfg->nsessions, sizeof *e->logged_on);
    e->cod_deadline = calloc(cfg->nsessions, sizeof *e->cod_deadline);
    e->sthr = calloc(cfg->nsessions, sizeof *e->sthr);
    if (!e->sthr)
        goto nomem;
    for (size_t i = 0; i < cfg->nsessions; i++) {
        const struct fb_session_cfg *sc = &cfg->sessions[i];
        struct session_throttle *st = &e->sthr[i];
        char label[96];
        snprintf(label, sizeof label, "Session %s", sc->name);
        int64_t now = realtime_ns();
        fb_throttle_init(&st->orders, label, "orders", sc->throttle.orders_per_s,
                         sc->throttle.burst, sc->throttle.latency_budget_ms, now);
        /* burst is the orders' allowance; messages may come a second's
         * worth at once (status requests after a reconnect, say) */
        unsigned mburst = sc->throttle.burst > sc->throttle.messages_per_s
                              ? sc->throttle.burst
                              : sc->throttle.messages_per_s;
        fb_throttle_init(&st->messages, label, "messages", sc->throttle.messages_per_s, mburst, 0,
                         now);
        st->budget_ns = (int64_t)sc->throttle.latency_budget_ms * 1000000;
        /* orders that can wait within the budget, and room for the other
         * messages queued behind them */
        if (fb_tqueue_init(&st->held, fb_throttle_max_held(&st->orders, 1) + 4096) != FB_OK)
            goto nomem;
    }
    if (!e->venues || !e->trv || !e->versions || !e->logged_on || !e->cod_deadline)
        goto nomem;
    for (size_t i = 0; i < cfg->nsessions; i++)
        e->versions[i] = cfg->sessions[i].fix_version;
    if (fb_venues_create(cfg, e->venues, on_venue_event, on_venue_written, e, errbuf, errlen) !=
        FB_OK) {
        free(e->venues);
        e->venues = NULL;
        e->nvenues = 0;
        goto fail;
    }
    e->breakers = calloc(e->nvenues, sizeof *e->breakers);
    e->latency = calloc(e->nvenues, sizeof *e->latency);
    e->written = calloc(e->nvenues, sizeof *e->written);
    if (!e->breakers || !e->latency || !e->written)
        goto nomem;
    for (size_t i = 0; i < e->nvenues; i++) {
        e->latency[i].bounds_us = latency_bounds_us;
        e->written[i].bounds_us = written_bounds_us;
    }
    for (size_t i = 0; i < e->nvenues; i++) {
        e->trv[i].name = e->venues[i].name;
        e->trv[i].supports = e->venues[i].ops->info.supports;
        fb_breaker_init(&e->breakers[i], e->venues[i].name, &cfg->venues[i].breaker,
                        realtime_ns());
    }
    e->vthr = calloc(e->nvenues, sizeof *e->vthr);
    if (!e->vthr)
        goto nomem;
    for (size_t i = 0; i < e->nvenues; i++) {
        const struct fb_venue_throttle_cfg *tc = &cfg->venues[i].throttle;
        struct venue_throttle *vt = &e->vthr[i];
        char label[96];
        int64_t now = realtime_ns();
        snprintf(label, sizeof label, "Venue %s", e->venues[i].name);
        fb_throttle_init(&vt->orders, label, "orders", tc->orders_per_s, tc->burst,
                         tc->latency_budget_ms, now);
        fb_throttle_init(&vt->requests, label, "requests", tc->requests_per_s, tc->burst,
                         tc->latency_budget_ms, now);
        vt->budget_ns = (int64_t)tc->latency_budget_ms * 1000000;
        if (fb_tqueue_init(&vt->held[0], fb_throttle_max_held(&vt->orders, 1) + 16) != FB_OK ||
            fb_tqueue_init(&vt->held[1], fb_throttle_max_held(&vt->requests, 1) + 16) != FB_OK)
            goto nomem;
    }
    if (build_routes(e, errbuf, errlen) != FB_OK)
        goto fail;
    if (fb_policy_new(cfg, &e->policy) != FB_OK) {
        snprintf(errbuf, errlen, "cannot build the pre-trade policy");
        goto fail;
    }

    int64_t start = realtime_ns();
    fb_exec_id_seq_init(&e->exec_ids, start);
    e->env.user = e;
    e->env.next_exec_id = engine_exec_id;
    e->env.now_ns = env_now;
    /* OrderIDs: a per-run prefix (start time, base 36) and a counter, so
     * they never repeat across restarts. */
    base36((uint64_t)(start / 1000000), e->id_prefix, sizeof e->id_prefix);
    /* before the replay, which writes the day's finished orders again */
    if (fb_done_file_open(&e->done_file, cfg->bridge.data_dir, ".fbd", start, errbuf, errlen) != FB_OK ||
        fb_done_index_open(&e->done_idx, cfg->bridge.data_dir, start, errbuf, errlen) != FB_OK)
        goto fail;
    if (journal_start(e, errbuf, errlen) != FB_OK)
        goto fail;
    (void)fb_done_file_flush(&e->done_file);
    (void)fb_done_index_flush(&e->done_idx);
    e->next_day_ns = next_utc_midnight(start);
    return e;
nomem:
    snprintf(errbuf, errlen, "out of memory");
fail:
    fb_engine_free(e);
    return NULL;
}

void fb_engine_attach(struct fb_engine *e, fb_fix_acceptor *acceptor)
{
    e->acceptor = acceptor;
}

enum fb_err fb_engine_start(struct fb_engine *e)
{
    if (!e->acceptor)
        return FB_ERR_STATE;
    atomic_store(&e->stop, 0);
    if (pthread_create(&e->thread, NULL, engine_main, e) != 0)
        return FB_ERR_INTERNAL;
    e->running = 1;
    return FB_OK;
}

void fb_engine_stop(struct fb_engine *e)
{
    if (!e || !e->running)
        return;
    atomic_store(&e->stop, 1);
    fb_engine_queue_wake(&e->q);
    pthread_join(e->thread, NULL);
    e->running = 0;
}

void fb_engine_free(struct fb_engine *e)
{
    if (!e)
        return;
    fb_engine_stop(e);
    fb_engine_queue_close(&e->q);
    fb_done_file_close(&e->done_file);
    fb_done_index_close(&e->done_idx);
    free(e->strs_spare);
    free(e->done_look);
    free(e->done_vrec);
    free(e->done_build);
    free(e->dying);
    while (e->all) {
        struct eorder *next = e->all->all_next;
        eorder_free(e, e->all);
        e->all = next;
    }
    fb_pool_free(&e->orders); /* after the last eorder_free */
    for (size_t i = 0; i < e->exposure.cap; i++)
        free(e->exposure.slots[i].value); /* NULL for empty and deleted slots */
    fb_strmap_free(&e->exposure);
    fb_policy_free(e->policy);
    fb_kidx_free(&e->by_order_id);
    fb_kidx_free(&e->by_clordid);
    fb_kidx_free(&e->by_coid);
    if (e->journal)
        (void)fb_journal_close(e->journal);
    fb_route_table_free(e->routes);
    if (e->venues)
        fb_venues_destroy(e->venues, e->nvenues);
    free(e->venues);
    free(e->trv);
    free(e->markets);
    free(e->versions);
    free(e->logged_on);
    free(e->cod_deadline);
    free(e->breakers);
    if (e->vthr) {
        for (size_t i = 0; i < e->nvenues; i++) {
            for (int k = 0; k < 2; k++) {
                struct fb_tq_item it;
                while (fb_tqueue_pop(&e->vthr[i].held[k], &it))
                    free(it.ptr);
                fb_tqueue_free(&e->vthr[i].held[k]);
            }
        }
    }
    free(e->vthr);
    free(e->latency);
    free(e->written);
    if (e->sthr) {
        for (size_t i = 0; i < e->cfg->nsessions; i++) {
            struct fb_tq_item it;
            while (fb_tqueue_pop(&e->sthr[i].held, &it))
                free(it.ptr);
            fb_tqueue_free(&e->sthr[i].held);
        }
    }
    free(e->sthr);
    fb_engine_queue_destroy(&e->q);
    free(e->out.buf);
    pthread_mutex_destroy(&e->step_mu);
    free(e);
}
