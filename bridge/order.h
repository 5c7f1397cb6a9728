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
    FB_ORD_TYPE_LAST       /* not a true value, never use this */
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
    size_t session;                    /* index of the FIX session it came on */
    char cl_ord_id[FB_ID_LEN + 1];     /* ClOrdID(11) */
    char account[FB_ID_LEN + 1];       /* Account(1); "" if absent */
    char symbol[FB_SYMBOL_LEN + 1];    /* Symbol(55) as the OMS sent it */
    size_t venue;                      /* index of the routed venue */
    char venue_symbol[FB_SYMBOL_LEN + 1]; /* the venue's name for it */
    enum fb_side side;
    struct fb_order_terms terms;
    uint8_t poss_resend; /* PossResend(97)=Y in the header */
    char text[FB_TEXT_LEN + 1]; /* Text(58); "" if absent */
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

#ifdef __cplusplus
}
#endif
#endif
