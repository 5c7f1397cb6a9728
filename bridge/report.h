/*
 * report.h -- ExecutionReport (35=8) and OrderCancelReject (35=9) as plain
 * structs, and their rendering into FIX fields.
 *
 * bridge/order.c fills a struct fb_report for every order change; the engine
 * renders it for the session's FIX version with fb_report_render() and hands
 * the fields to fb_fix_send(). The same report renders as FIX 4.4 or 4.2:
 *
 *   4.4: ExecType(150) F for a trade, I for an order status reply; no
 *        ExecTransType(20); OrdStatusReqID(790), MassStatusReqID(584) with
 *        TotNumReports(911), LastRptRequested(912), SecondaryExecID(527),
 *        CommCurrency(479), LastLiquidityInd(851) when set.
 *   4.2: ExecTransType(20) = 0 (New), or 3 (Status) for a status reply whose
 *        ExecType(150) is then the OrdStatus value; a trade is ExecType 1
 *        (partial fill) or 2 (fill, nothing left); a Replaced report of an
 *        order with nothing filled has OrdStatus 5 (Replaced, as in the 4.2
 *        matrices; otherwise Partially Filled / Filled take precedence); no
 *        790/584/911/912/527/479/851. OrdRejReason values above 6 are sent
 *        as 0 (broker option) and CxlRejReason values above 3 as 2 (broker
 *        option); Text keeps the reason. LastQty(32) is 4.2's LastShares.
 *
 * The tags and values each version may carry are listed in
 * spec/bridge_tags.txt; tests/bridge/test_order.c holds the renderer to it.
 *
 * Everything here is pure: no allocation, no I/O, no clock.
 */
#ifndef FB_REPORT_H
#define FB_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/decimal.h"
#include "bridge/error.h"
#include "bridge/fix_version.h"
#include "bridge/order.h"
#include "fix/fix_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

enum fb_report_kind {
    FB_REPORT_NONE = 0,         /* nothing to send */
    FB_REPORT_EXEC = 1,         /* ExecutionReport, 35=8: .er */
    FB_REPORT_CANCEL_REJECT = 2 /* OrderCancelReject, 35=9: .cxl */
};

/* An ExecutionReport. Empty strings and zero decimals are not rendered
 * unless the field is required. */
struct fb_exec_report {
    size_t session;                            /* FIX session to send it on */
    char order_id[FB_ID_LEN + 1];              /* OrderID(37) */
    char secondary_order_id[FB_ID_LEN + 1];    /* SecondaryOrderID(198): venue's id */
    char exec_id[FB_ID_LEN + 1];               /* ExecID(17) */
    char cl_ord_id[FB_ID_LEN + 1];             /* ClOrdID(11) */
    char orig_cl_ord_id[FB_ID_LEN + 1];        /* OrigClOrdID(41) */
    char ord_status_req_id[FB_ID_LEN + 1];     /* OrdStatusReqID(790), 4.4 */
    char mass_status_req_id[FB_ID_LEN + 1];    /* MassStatusReqID(584), 4.4 */
    uint32_t tot_num_reports;                  /* TotNumReports(911), 4.4, with 584 */
    uint8_t last_rpt_requested;                /* LastRptRequested(912)=Y, 4.4 */
    enum fb_exec_type exec_type;               /* ExecType(150) */
    enum fb_order_state ord_status;            /* OrdStatus(39), never FB_ST_NONE */
    int ord_rej_reason;                        /* OrdRejReason(103): sent on 150=8 and with 39=8 */
    char account[FB_ID_LEN + 1];               /* Account(1) */
    char symbol[FB_SYMBOL_LEN + 1];            /* Symbol(55) */
    char security_exchange[FB_SYMBOL_LEN + 1]; /* SecurityExchange(207) */
    char ex_destination[FB_SYMBOL_LEN + 1];    /* ExDestination(100) */
    enum fb_side side;                         /* Side(54) */
    struct fb_order_terms terms;               /* 38, 152, 40, 44, 99, 59, 126, 111, 18=6 */
    /* The order never got terms (refused before it was read in full): the
     * fields above are not sent rather than sent as zeros and defaults. */
    uint8_t terms_unknown;
    struct fb_dec last_qty;                    /* LastQty(32), trades only */
    struct fb_dec last_px;                     /* LastPx(31), trades only */
    char secondary_exec_id[FB_ID_LEN + 1];     /* SecondaryExecID(527), 4.4 trades */
    char last_mkt[FB_ID_LEN + 1];              /* LastMkt(30), trades only */
    enum fb_liquidity liquidity;               /* LastLiquidityInd(851), 4.4 trades */
    uint8_t has_commission;                    /* Commission(12) + CommType(13)=3 */
    struct fb_dec commission;
    char commission_ccy[FB_CCY_LEN + 1]; /* CommCurrency(479), 4.4 */
    struct fb_dec cum_qty;               /* CumQty(14) */
    struct fb_dec leaves_qty;            /* LeavesQty(151) */
    struct fb_dec avg_px;                /* AvgPx(6) */
    int64_t transact_time_ns;            /* TransactTime(60) */
    char text[FB_TEXT_LEN + 1];          /* Text(58) */
};

/* An OrderCancelReject. */
struct fb_cancel_reject {
    size_t session;
    char order_id[FB_ID_LEN + 1];            /* OrderID(37); "NONE" if unknown */
    char secondary_order_id[FB_ID_LEN + 1];  /* SecondaryOrderID(198) */
    char cl_ord_id[FB_ID_LEN + 1];           /* ClOrdID(11) of the request */
    char orig_cl_ord_id[FB_ID_LEN + 1];      /* OrigClOrdID(41): last accepted */
    enum fb_order_state ord_status;          /* OrdStatus(39) after the reject */
    enum fb_cxl_rej_response_to response_to; /* CxlRejResponseTo(434) */
    int reason;                              /* CxlRejReason(102) */
    char account[FB_ID_LEN + 1];             /* Account(1) */
    int64_t transact_time_ns;                /* TransactTime(60) */
    char text[FB_TEXT_LEN + 1];              /* Text(58) */
};

struct fb_report {
    enum fb_report_kind kind;
    union {
        struct fb_exec_report er;
        struct fb_cancel_reject cxl;
    };
};

/* Enough fields and scratch bytes for any report. */
#define FB_REPORT_MAX_FIELDS 48
#define FB_REPORT_SCRATCH 1024

/*
 * Renders r for FIX version v: *msg_type is set to "8" or "9" (static), and
 * out[0 .. *nfields) to the body fields in order. Field values point into r
 * (strings) or into scratch (numbers, chars, times): both must outlive the
 * fields. FB_ERR_TOO_LARGE if max or scratchlen is too small (use
 * FB_REPORT_MAX_FIELDS and FB_REPORT_SCRATCH), FB_ERR_INVALID for a report
 * of kind NONE or with an out-of-range enum.
 */
enum fb_err fb_report_render(const struct fb_report *r, enum fb_fix_version v,
                             const char **msg_type, struct fb_fix_field *out, size_t max,
                             size_t *nfields, char *scratch, size_t scratchlen) FB_WARN_UNUSED;

/*
 * The engine's case: an OrderCancelRequest (response_to CANCEL) or
 * OrderCancelReplaceRequest (REPLACE) for an order it does not know.
 * OrderID "NONE", OrdStatus Rejected, CxlRejReason 1 (FIX scenario "cancel
 * request issued for an unknown order"); text may be NULL.
 */
void fb_report_unknown_order_reject(struct fb_report *out, size_t session, const char *cl_ord_id,
                                    const char *orig_cl_ord_id,
                                    enum fb_cxl_rej_response_to response_to, int64_t now_ns,
                                    const char *text);

/* Wire values: "1" for FB_SIDE_BUY, "2" for FB_ORD_LIMIT, "A" for
 * FB_ST_PENDING_NEW, ... NULL for a value out of range (and FB_ST_NONE). */
const char *fb_side_fix(enum fb_side s);
const char *fb_ord_type_fix(enum fb_ord_type t);
const char *fb_tif_fix(enum fb_tif t);
const char *fb_ord_status_fix(enum fb_order_state s);

/* Writes a UTCTimestamp with milliseconds, "YYYYMMDD-HH:MM:SS.sss" (valid in
 * FIX 4.2 and 4.4), for ns since the epoch (>= 0). buf holds
 * FB_FIX_TIME_STRMAX bytes. Returns the length. */
#define FB_FIX_TIME_STRMAX 22
size_t fb_fix_format_time(int64_t ns, char *buf);

#ifdef __cplusplus
}
#endif
#endif
