/*
 * order.h -- the engine's order vocabulary and the order state machine.
 *
 * Two parts:
 *  1. Intents: what an OMS asked for, already translated from FIX (by
 *     bridge/translate) into plain C structs with exact decimals. They are
 *     self-contained (fixed-size strings, no pointers), so they can be copied
 *     into the engine's queue as they are.
 *  2. The state machine: one struct fb_order per order, owned by the engine
 *     thread. Events (plain structs) go in; every accepted event changes the
 *     order through one transition function and yields exactly one report
 *     (an ExecutionReport or an OrderCancelReject, see bridge/report.h). A
 *     refused event changes nothing and yields no report.
 *
 * No I/O, no threads, no FIX engine: time and ExecIDs are injected.
 */
#ifndef FB_ORDER_H
#define FB_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/decimal.h"
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest identifier (ClOrdID, OrderID, ExecID, Account, trade id, venue
 * order id), in bytes, without the NUL. Arrays are FB_ID_LEN + 1 long. */
#define FB_ID_LEN 64
/* Longest symbol (FIX Symbol or the venue's), without the NUL. */
#define FB_SYMBOL_LEN 32
/* Longest free text (Text 58), without the NUL. Longer text is cut. */
#define FB_TEXT_LEN 255

/* Side(54). */
enum fb_side {
    FB_SIDE_BUY = 0,  /* 54=1 */
    FB_SIDE_SELL = 1, /* 54=2 */
    FB_SIDE_LAST      /* not a true value, never use this */
};

/* OrdType(40). */
enum fb_ord_type {
    FB_ORD_MARKET = 0,     /* 40=1 */
    FB_ORD_LIMIT = 1,      /* 40=2 */
    FB_ORD_STOP = 2,       /* 40=3 (stop market) */
    FB_ORD_STOP_LIMIT = 3, /* 40=4 */
    /* 40=J (market if touched) without Price(44): a take-profit, which
     * triggers at StopPx(99) on a favourable move and then trades at
     * market. With Price(44) it is a take-profit-limit ("limit if
     * touched", which FIX has no OrdType of its own for). Same numbers as
     * enum fb_venue_ord_type. */
    FB_ORD_TAKE_PROFIT = 4,       /* 40=J */
    FB_ORD_TAKE_PROFIT_LIMIT = 5, /* 40=J + Price(44) */
    FB_ORD_TYPE_LAST              /* not a true value, never use this */
};

/* TimeInForce(59). */
enum fb_tif {
    FB_TIF_DAY = 0, /* 59=0 */
    FB_TIF_GTC = 1, /* 59=1 */
    FB_TIF_IOC = 2, /* 59=3 */
    FB_TIF_FOK = 3, /* 59=4 */
    FB_TIF_GTD = 4, /* 59=6, with expire_time_ns */
    FB_TIF_LAST     /* not a true value, never use this */
};

/*
 * The terms of an order: what a NewOrderSingle sets and a
 * OrderCancelReplaceRequest may change. A zero fb_dec means "absent" for
 * price, stop_px, max_floor and cash_qty.
 */
struct fb_order_terms {
    enum fb_ord_type ord_type;
    enum fb_tif tif;
    int64_t expire_time_ns;  /* ExpireTime(126), ns since the epoch UTC; 0 none */
    struct fb_dec qty;       /* OrderQty(38); zero if cash_qty is used */
    struct fb_dec price;     /* Price(44), limit and stop-limit orders */
    struct fb_dec stop_px;   /* StopPx(99), stop and stop-limit orders */
    struct fb_dec max_floor; /* MaxFloor(111), displayed quantity (iceberg) */
    struct fb_dec cash_qty;  /* CashOrderQty(152), quantity in quote currency */
    uint8_t post_only;       /* ExecInst(18) contains 6 (participate don't
                                initiate): maker only */
};

/* A NewOrderSingle (35=D) that translate accepted. */
struct fb_new_order {
    size_t session;                       /* index of the FIX session it came on */
    char cl_ord_id[FB_ID_LEN + 1];        /* ClOrdID(11) */
    char account[FB_ID_LEN + 1];          /* Account(1); "" if absent */
    char symbol[FB_SYMBOL_LEN + 1];       /* Symbol(55) as the OMS sent it */
    size_t venue;                         /* index of the routed venue */
    char venue_symbol[FB_SYMBOL_LEN + 1]; /* the venue's name for it */
    enum fb_side side;
    struct fb_order_terms terms;
    uint8_t poss_resend;        /* PossResend(97)=Y in the header */
    char text[FB_TEXT_LEN + 1]; /* Text(58); "" if absent */
    /* Echoed on every ExecutionReport when given (spec/RULES_OF_ENGAGEMENT.md
     * 6.1); "" if absent. */
    char security_exchange[FB_SYMBOL_LEN + 1]; /* SecurityExchange(207) */
    char ex_destination[FB_SYMBOL_LEN + 1];    /* ExDestination(100) */
    /* Fractional digits of the routed market's tick size: AvgPx is rounded
     * to this precision plus 8 digits (RoE 6.1). */
    uint8_t px_places;
};

/* An OrderCancelRequest (35=F). */
struct fb_cancel_order {
    size_t session;
    char cl_ord_id[FB_ID_LEN + 1];      /* ClOrdID(11) of this request */
    char orig_cl_ord_id[FB_ID_LEN + 1]; /* OrigClOrdID(41) */
    char order_id[FB_ID_LEN + 1];       /* OrderID(37); "" if absent */
    char symbol[FB_SYMBOL_LEN + 1];     /* Symbol(55) */
    enum fb_side side;                  /* Side(54) */
    char text[FB_TEXT_LEN + 1];         /* Text(58); "" if absent */
};

/* An OrderCancelReplaceRequest (35=G): the full new terms. */
struct fb_replace_order {
    size_t session;
    char cl_ord_id[FB_ID_LEN + 1];      /* ClOrdID(11) of this request */
    char orig_cl_ord_id[FB_ID_LEN + 1]; /* OrigClOrdID(41) */
    char order_id[FB_ID_LEN + 1];       /* OrderID(37); "" if absent */
    char account[FB_ID_LEN + 1];        /* Account(1); "" if absent */
    char symbol[FB_SYMBOL_LEN + 1];     /* Symbol(55) */
    enum fb_side side;                  /* Side(54) */
    struct fb_order_terms terms;        /* the new terms */
    char text[FB_TEXT_LEN + 1];         /* Text(58); "" if absent */
    /* Where Symbol(55) + ExDestination(100) route, as translate validated
     * the new terms against that venue's rules: the engine refuses the
     * replace if this is not the original order's venue. */
    size_t venue;
    char venue_symbol[FB_SYMBOL_LEN + 1];
};

/* An OrderStatusRequest (35=H). */
struct fb_status_request {
    size_t session;
    char cl_ord_id[FB_ID_LEN + 1];         /* ClOrdID(11) */
    char order_id[FB_ID_LEN + 1];          /* OrderID(37); "" if absent */
    char ord_status_req_id[FB_ID_LEN + 1]; /* OrdStatusReqID(790); "" if absent */
    char symbol[FB_SYMBOL_LEN + 1];        /* Symbol(55) */
    enum fb_side side;                     /* Side(54) */
};

/* Which orders a mass request covers: MassCancelRequestType(530) or
 * MassStatusReqType(585); the two share these values. */
enum fb_mass_scope {
    FB_MASS_SYMBOL = 0, /* 530=1 / 585=1: orders for one Symbol(55) */
    FB_MASS_ALL = 1,    /* 530=7 / 585=7: all orders */
    FB_MASS_SCOPE_LAST  /* not a true value, never use this */
};

/* An OrderMassCancelRequest (35=q). */
struct fb_mass_cancel {
    size_t session;
    char cl_ord_id[FB_ID_LEN + 1];  /* ClOrdID(11) of this request */
    enum fb_mass_scope scope;       /* MassCancelRequestType(530) */
    char symbol[FB_SYMBOL_LEN + 1]; /* Symbol(55); "" for FB_MASS_ALL */
    uint8_t has_side;               /* Side(54) given: only that side */
    enum fb_side side;
    char text[FB_TEXT_LEN + 1]; /* Text(58); "" if absent */
};

/* An OrderMassStatusRequest (35=AF). */
struct fb_mass_status {
    size_t session;
    char mass_status_req_id[FB_ID_LEN + 1]; /* MassStatusReqID(584) */
    enum fb_mass_scope scope;               /* MassStatusReqType(585) */
    char account[FB_ID_LEN + 1];            /* Account(1); "" = any */
    char symbol[FB_SYMBOL_LEN + 1];         /* Symbol(55); "" for FB_MASS_ALL */
    uint8_t has_side;                       /* Side(54) given: only that side */
    enum fb_side side;
};

/* ---- the state machine ------------------------------------------------ */

/*
 * Order states. Apart from FB_ST_NONE each is an OrdStatus(39) value, and
 * the state is what 39 says in the order's reports: when several statuses
 * apply at once (pending cancel while partially filled, ...) the one with
 * the highest precedence in the FIX 4.4 OrdStatus precedence table (Vol. 4)
 * is the state. The underlying facts (acknowledged by the venue, CumQty,
 * the pending request) are kept beside it in struct fb_order.
 */
enum fb_order_state {
    FB_ST_NONE = 0,             /* fresh from fb_order_init(): nothing reported */
    FB_ST_PENDING_NEW = 1,      /* 39=A accepted by policy, venue not yet acked */
    FB_ST_NEW = 2,              /* 39=0 live at the venue, nothing filled */
    FB_ST_PARTIALLY_FILLED = 3, /* 39=1 live, 0 < CumQty < OrderQty */
    FB_ST_FILLED = 4,           /* 39=2 CumQty >= OrderQty (terminal) */
    FB_ST_PENDING_CANCEL = 5,   /* 39=6 an OMS cancel is with the venue */
    FB_ST_CANCELED = 6,         /* 39=4 (terminal; also IOC/FOK kills) */
    FB_ST_PENDING_REPLACE = 7,  /* 39=E an OMS replace is with the venue */
    FB_ST_REJECTED = 8,         /* 39=8 (terminal) */
    FB_ST_EXPIRED = 9,          /* 39=C GTD/Day ran out (terminal) */
    FB_ST_LAST                  /* not a true state, never use this */
};

/* ExecType(150) of an ExecutionReport, by meaning. bridge/report.c renders
 * it per FIX version (4.2 has no Trade or Order Status values). */
enum fb_exec_type {
    FB_EXEC_NEW = 0,             /* 150=0 */
    FB_EXEC_TRADE = 1,           /* 150=F (4.2: 1 partial fill, 2 fill) */
    FB_EXEC_CANCELED = 2,        /* 150=4 */
    FB_EXEC_REPLACED = 3,        /* 150=5 */
    FB_EXEC_PENDING_CANCEL = 4,  /* 150=6 */
    FB_EXEC_REJECTED = 5,        /* 150=8 */
    FB_EXEC_PENDING_NEW = 6,     /* 150=A */
    FB_EXEC_EXPIRED = 7,         /* 150=C */
    FB_EXEC_PENDING_REPLACE = 8, /* 150=E */
    FB_EXEC_ORDER_STATUS = 9,    /* 150=I (4.2: 20=3 and 150 = OrdStatus) */
    FB_EXEC_TYPE_LAST            /* not a true value, never use this */
};

/* OrdRejReason(103) values the bridge uses (FIX 4.4 numbers; report.c maps
 * those 4.2 lacks to 0). Other spec values may be passed as plain ints. */
enum {
    FB_ORDREJ_BROKER = 0, /* broker / exchange option */
    FB_ORDREJ_UNKNOWN_SYMBOL = 1,
    FB_ORDREJ_EXCHANGE_CLOSED = 2,
    FB_ORDREJ_EXCEEDS_LIMIT = 3,
    FB_ORDREJ_TOO_LATE = 4,
    FB_ORDREJ_UNKNOWN_ORDER = 5,
    FB_ORDREJ_DUPLICATE = 6,    /* duplicate order (ClOrdID in use) */
    FB_ORDREJ_UNSUPPORTED = 11, /* unsupported order characteristic */
    FB_ORDREJ_INCORRECT_QTY = 13,
    FB_ORDREJ_UNKNOWN_ACCOUNT = 15,
    FB_ORDREJ_PRICE_INCREMENT = 18,
    FB_ORDREJ_OTHER = 99
};

/* CxlRejReason(102) values (FIX 4.4 numbers; 4.2 has only 0..3, report.c
 * sends 2 "broker option" for the others and keeps the Text). */
enum {
    FB_CXLREJ_TOO_LATE = 0,
    FB_CXLREJ_UNKNOWN_ORDER = 1,
    FB_CXLREJ_BROKER = 2,
    FB_CXLREJ_PENDING = 3, /* already pending cancel or replace */
    FB_CXLREJ_DUPLICATE = 6,
    FB_CXLREJ_OTHER = 99
};

/* CxlRejResponseTo(434). */
enum fb_cxl_rej_response_to {
    FB_CXL_RESPONSE_CANCEL = 0,  /* 434=1 */
    FB_CXL_RESPONSE_REPLACE = 1, /* 434=2 */
    FB_CXL_RESPONSE_LAST         /* not a true value, never use this */
};

/* LastLiquidityInd(851), FIX 4.4 only. */
enum fb_liquidity {
    FB_LIQ_UNKNOWN = 0, /* not sent */
    FB_LIQ_MAKER = 1,   /* 851=1 added liquidity */
    FB_LIQ_TAKER = 2,   /* 851=2 removed liquidity */
    FB_LIQ_LAST         /* not a true value, never use this */
};

/* Why the venue closed an order with quantity left (FB_OEV_CANCELED). An
 * IOC or FOK order that cannot (fully) execute is killed as Canceled
 * (150=4 39=4, LeavesQty 0), never as Expired: FIX allows either, and
 * Canceled is what the matrices and spec/RULES_OF_ENGAGEMENT.md use. */
enum fb_cancel_cause {
    FB_CXL_REQUESTED = 0,   /* answer to a cancel we sent (OMS or bridge) */
    FB_CXL_UNSOLICITED = 1, /* the venue canceled on its own */
    FB_CXL_IOC = 2,         /* IOC: what could not fill at once */
    FB_CXL_FOK = 3,         /* FOK: could not fill completely, nothing filled */
    FB_CXL_CAUSE_LAST       /* not a true value, never use this */
};

#define FB_CCY_LEN 15 /* longest currency/asset code, without the NUL */

/* One execution at the venue. */
struct fb_fill {
    char trade_id[FB_ID_LEN + 1];        /* the venue's trade id: the dedup key */
    struct fb_dec qty;                   /* LastQty(32), > 0 */
    struct fb_dec px;                    /* LastPx(31), > 0 */
    uint8_t has_commission;              /* the venue reported a fee for it */
    struct fb_dec commission;            /* Commission(12), CommType(13)=3 absolute */
    char commission_ccy[FB_CCY_LEN + 1]; /* CommCurrency(479), 4.4; "" none */
    enum fb_liquidity liquidity;
    /* The venue says the order is now complete. Only orders sized by
     * CashOrderQty need it (their base quantity is not known before). */
    uint8_t last;
};

/* Answer to an OrderStatusRequest or one order of an OrderMassStatus. */
struct fb_status_query {
    char ord_status_req_id[FB_ID_LEN + 1];  /* OrdStatusReqID(790) to echo; "" */
    char mass_status_req_id[FB_ID_LEN + 1]; /* MassStatusReqID(584) to echo; "" */
    uint32_t tot_num_reports;               /* TotNumReports(911), sent with 584 */
    uint8_t last_rpt_requested;             /* LastRptRequested(912)=Y (mass) */
};

/* Replace confirmed by the venue. */
struct fb_replaced {
    /* The terms the venue says are now in force. Zero qty: the requested
     * terms are taken as they are (the usual case). */
    struct fb_dec qty;
    struct fb_dec price;
    struct fb_dec stop_px;
};

enum fb_order_event_type {
    FB_OEV_ACCEPT = 0,          /* policy accepted the new order -> PendingNew (150=A) */
    FB_OEV_REJECT = 1,          /* policy (from NONE) or venue (from PendingNew)
                                   refused the new order -> Rejected (150=8);
                                   .reason = OrdRejReason, .text */
    FB_OEV_ACK = 2,             /* venue acknowledged -> New (150=0) */
    FB_OEV_FILL = 3,            /* .u.fill -> 150=F; a trade id seen before is
                                   ignored (FB_OK, no report) */
    FB_OEV_CANCEL_REQUEST = 4,  /* .u.cancel -> PendingCancel (150=6) or 35=9 */
    FB_OEV_CANCELED = 5,        /* venue closed the order: .u.cause -> Canceled
                                   (150=4). Resolves a pending cancel (11 = the
                                   cancel's ClOrdID, 41 = the order's); drops a
                                   pending replace (reject it first if the OMS
                                   should get a 35=9). If the order had filled
                                   completely while the cancel was pending:
                                   35=9 102=0 39=2 instead */
    FB_OEV_CANCEL_REJECT = 6,   /* venue refused our cancel -> 35=9 434=1;
                                   .reason = CxlRejReason (0 too late) */
    FB_OEV_REPLACE_REQUEST = 7, /* .u.replace -> PendingReplace (150=E) or 35=9 */
    FB_OEV_REPLACED = 8,        /* venue confirmed the replace: .u.replaced ->
                                   Replaced (150=5) */
    FB_OEV_REPLACE_REJECT = 9,  /* venue refused the replace -> 35=9 434=2 */
    FB_OEV_EXPIRED = 10,        /* GTD/Day ran out -> Expired (150=C) */
    FB_OEV_STATUS = 11,         /* .u.status -> Order Status report, no change */
    FB_OEV_DUPLICATE_NEW = 12,  /* .u.dup: a NewOrderSingle whose ClOrdID this
                                   order uses (FIX F.1.b): 150=8 103=6 with this
                                   order's status and quantities, or, for a
                                   PossResend=Y copy, an Order Status report */
    FB_OEV_LAST                 /* not a true event, never use this */
};

/* One event for one order. Plain data; the order keeps no pointer to it. */
struct fb_order_event {
    enum fb_order_event_type type;
    int64_t time_ns;                    /* TransactTime(60), ns since the epoch UTC; 0: env clock */
    char venue_order_id[FB_ID_LEN + 1]; /* SecondaryOrderID(198) if learned; "" */
    char text[FB_TEXT_LEN + 1];         /* reason for Text(58); "" for default */
    int reason;                         /* REJECT, CANCEL_REJECT, REPLACE_REJECT */
    union {
        struct fb_fill fill;
        struct fb_cancel_order cancel;
        struct fb_replace_order replace;
        struct fb_replaced replaced;
        enum fb_cancel_cause cause;
        struct fb_status_query status;
        struct fb_new_order dup;
    } u;
    /* CANCEL_REQUEST, REPLACE_REQUEST: the engine's ClOrdID index already
     * holds the request's ClOrdID (for any order, this trading day): the
     * request is refused with CxlRejReason 6. The order itself also checks
     * its own current, previous and pending ClOrdIDs. */
    uint8_t cl_ord_id_in_use;
};

/*
 * What the state machine needs from its owner. Both callbacks are called
 * only from inside fb_order_apply(), on the caller's thread.
 */
struct fb_order_env {
    void *user;
    /* Writes the next ExecID(17) to buf (size bytes, NUL-terminated, at
     * most FB_ID_LEN chars). ExecIDs must be unique per FIX session
     * forever: see struct fb_exec_id_seq for a ready one. A failure is
     * passed on by fb_order_apply(), which then changes nothing. */
    enum fb_err (*next_exec_id)(void *user, char *buf, size_t size);
    /* Now, ns since the epoch UTC: TransactTime when the event has none. */
    int64_t (*now_ns)(void *user);
};

/*
 * A ready ExecID generator: prefix followed by a decimal counter. Unique
 * for as long as no (prefix, counter) pair comes back: give each run its own
 * prefix (e.g. from the start time, as fb_exec_id_seq_init does) or persist
 * `next` (the journal will). Use it as env.next_exec_id with env.user
 * pointing at the struct.
 */
struct fb_exec_id_seq {
    char prefix[24];
    uint64_t next;
};
/* prefix = "<start_ns in base 36>-" and next = 1. */
void fb_exec_id_seq_init(struct fb_exec_id_seq *s, int64_t start_ns);
enum fb_err fb_exec_id_seq_next(void *seq, char *buf, size_t size) FB_WARN_UNUSED;

/* A request with the venue, waiting for its answer (at most one). */
enum fb_pending_kind {
    FB_PENDING_NONE = 0,
    FB_PENDING_CANCEL = 1,
    FB_PENDING_REPLACE = 2,
    FB_PENDING_LAST /* not a true value, never use this */
};

/* Most trade-id bytes one order remembers (FB_ERR_TOO_LARGE beyond). */
#define FB_ORDER_TRADE_IDS_MAX (1024u * 1024u)

/*
 * One order. The engine owns it and passes it to fb_order_apply() only;
 * the fields are for reading (journal, status pages, lookups).
 */
struct fb_order {
    enum fb_order_state state;
    char order_id[FB_ID_LEN + 1];       /* OrderID(37), from the engine */
    char venue_order_id[FB_ID_LEN + 1]; /* SecondaryOrderID(198); "" until known */
    char venue_name[FB_ID_LEN + 1];     /* LastMkt(30) on fills */
    char cl_ord_id[FB_ID_LEN + 1];      /* current ClOrdID: the one fills carry */
    char orig_cl_ord_id[FB_ID_LEN + 1]; /* the one before the last cancel/replace */
    struct fb_new_order req;            /* the order as accepted (terms: original) */
    struct fb_order_terms terms;        /* terms in force now */
    uint8_t acked;                      /* the venue has acknowledged it */
    struct {
        enum fb_pending_kind kind;
        char cl_ord_id[FB_ID_LEN + 1]; /* the request's ClOrdID */
        struct fb_order_terms terms;   /* replace: the requested terms */
    } pending;
    int rej_reason;         /* OrdRejReason(103) once Rejected */
    struct fb_dec cum_qty;  /* CumQty(14) */
    struct fb_dec notional; /* sum of LastQty * LastPx */
    /* AvgPx(6) = notional / cum_qty rounded HALF_EVEN to px_places + 8
     * places (at most 18): the price precision seen plus 8 digits. */
    struct fb_dec avg_px;
    uint8_t px_places; /* the market's tick digits, or more if a LastPx had more */
    /* Trade ids seen (dedup), NUL-separated; owned, freed by fb_order_clear. */
    char *trade_ids;
    size_t trade_ids_len;
    size_t trade_ids_cap;
};

struct fb_exec_report;
struct fb_report;

/*
 * Prepares o (any memory; it is overwritten) for the new order req, with the
 * engine's OrderID and the venue's name (LastMkt). The state is FB_ST_NONE;
 * the first event must be FB_OEV_ACCEPT or FB_OEV_REJECT. Strings longer
 * than the fields are cut.
 */
void fb_order_init(struct fb_order *o, const char *order_id, const char *venue_name,
                   const struct fb_new_order *req);

/* Frees what o holds (not o itself) and zeroes it. */
void fb_order_clear(struct fb_order *o);

/*
 * Applies one event. On FB_OK, *out holds the one report the event caused
 * (out->kind FB_REPORT_EXEC or FB_REPORT_CANCEL_REJECT), or out->kind is
 * FB_REPORT_NONE when the event was a repeat with nothing to say (a fill
 * whose trade id was seen before). On error nothing changed and out->kind
 * is FB_REPORT_NONE:
 *   FB_ERR_STATE    the event is not allowed in the current state (fill
 *                   after Canceled, ack after Filled, ...): an illegal edge
 *   FB_ERR_INVALID  malformed event (fill qty <= 0, fill beyond OrderQty,
 *                   unknown event type ...)
 *   FB_ERR_NOMEM, FB_ERR_TOO_LARGE, FB_ERR_OVERFLOW, or what
 *                   env->next_exec_id returned.
 */
enum fb_err fb_order_apply(struct fb_order *o, const struct fb_order_env *env,
                           const struct fb_order_event *ev, struct fb_report *out) FB_WARN_UNUSED;

/* LeavesQty(151): OrderQty - CumQty while live, 0 once terminal. */
struct fb_dec fb_order_leaves(const struct fb_order *o);
/* 1 if the order can change no more (Filled, Canceled, Rejected, Expired). */
int fb_order_is_terminal(const struct fb_order *o);

/* Static names for logs: "PendingNew", "Trade", ... */
const char *fb_order_state_name(enum fb_order_state s);
const char *fb_exec_type_name(enum fb_exec_type t);
const char *fb_order_event_name(enum fb_order_event_type t);

#ifdef __cplusplus
}
#endif
#endif
