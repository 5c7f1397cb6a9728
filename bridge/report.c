/*
 * report.c -- renders ExecutionReports and OrderCancelRejects as FIX 4.4 or
 * 4.2 body fields. Pure: the caller provides every byte of output space.
 */
#include "bridge/report.h"
#include "bridge/textcat.h"

#include <stdio.h>
#include <string.h>

/* ---- wire values ---------------------------------------------------------- */

static const char *const side_wire[FB_SIDE_LAST] = {
    [FB_SIDE_BUY] = "1",
    [FB_SIDE_SELL] = "2",
};

static const char *const ord_type_wire[FB_ORD_TYPE_LAST] = {
    [FB_ORD_MARKET] = "1",
    [FB_ORD_LIMIT] = "2",
    [FB_ORD_STOP] = "3",
    [FB_ORD_STOP_LIMIT] = "4",
    [FB_ORD_TAKE_PROFIT] = "J",       /* market if touched */
    [FB_ORD_TAKE_PROFIT_LIMIT] = "J", /* the same, with Price(44) */
};

static const char *const tif_wire[FB_TIF_LAST] = {
    [FB_TIF_DAY] = "0", [FB_TIF_GTC] = "1", [FB_TIF_IOC] = "3",
    [FB_TIF_FOK] = "4", [FB_TIF_GTD] = "6",
};

static const char *const ord_status_wire[FB_ST_LAST] = {
    [FB_ST_NONE] = NULL,    [FB_ST_PENDING_NEW] = "A",
    [FB_ST_NEW] = "0",      [FB_ST_PARTIALLY_FILLED] = "1",
    [FB_ST_FILLED] = "2",   [FB_ST_PENDING_CANCEL] = "6",
    [FB_ST_CANCELED] = "4", [FB_ST_PENDING_REPLACE] = "E",
    [FB_ST_REJECTED] = "8", [FB_ST_EXPIRED] = "C",
};

/* ExecType(150) in FIX 4.4. FIX 4.2 differs for TRADE and ORDER_STATUS. */
static const char *const exec_type_wire[FB_EXEC_TYPE_LAST] = {
    [FB_EXEC_NEW] = "0",          [FB_EXEC_TRADE] = "F",          [FB_EXEC_CANCELED] = "4",
    [FB_EXEC_REPLACED] = "5",     [FB_EXEC_PENDING_CANCEL] = "6", [FB_EXEC_REJECTED] = "8",
    [FB_EXEC_PENDING_NEW] = "A",  [FB_EXEC_EXPIRED] = "C",        [FB_EXEC_PENDING_REPLACE] = "E",
    [FB_EXEC_ORDER_STATUS] = "I",
};

static const char *const cxl_response_wire[FB_CXL_RESPONSE_LAST] = {
    [FB_CXL_RESPONSE_CANCEL] = "1",
    [FB_CXL_RESPONSE_REPLACE] = "2",
};

static const char *const liquidity_wire[FB_LIQ_LAST] = {
    [FB_LIQ_UNKNOWN] = NULL,
    [FB_LIQ_MAKER] = "1",
    [FB_LIQ_TAKER] = "2",
};

#define WIRE(table, v) ((unsigned)(v) < sizeof(table) / sizeof((table)[0]) ? (table)[v] : NULL)

const char *fb_side_fix(enum fb_side s)
{
    return WIRE(side_wire, s);
}

const char *fb_ord_type_fix(enum fb_ord_type t)
{
    return WIRE(ord_type_wire, t);
}

const char *fb_tif_fix(enum fb_tif t)
{
    return WIRE(tif_wire, t);
}

const char *fb_ord_status_fix(enum fb_order_state s)
{
    return WIRE(ord_status_wire, s);
}

/* v in exactly width decimal digits, zero-padded (0 <= v < 10^width). */
static void put_digits(char *buf, int *n, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        buf[*n + i] = (char)('0' + v % 10);
        v /= 10;
    }
    *n += width;
}

size_t fb_fix_format_time(int64_t ns, char *buf)
{
    /* Civil date from days since 1970-01-01 (proleptic Gregorian), after
     * H. Hinnant's days_from_civil inverse. */
    int64_t secs, days, rem, era, doe, yoe, y, doy, mp, d, m, ms;
    int n;

    if (ns < 0)
        ns = 0;
    secs = ns / 1000000000;
    ms = (ns / 1000000) % 1000;
    days = secs / 86400;
    rem = secs % 86400;
    days += 719468;
    era = days / 146097;
    doe = days - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y > 9999) /* past what the format holds: the snprintf path truncates */
        y = 9999;
    /* Every report carries one: digits written directly, not by snprintf. */
    n = 0;
    put_digits(buf, &n, y, 4);
    put_digits(buf, &n, m, 2);
    put_digits(buf, &n, d, 2);
    buf[n++] = '-';
    put_digits(buf, &n, rem / 3600, 2);
    buf[n++] = ':';
    put_digits(buf, &n, rem / 60 % 60, 2);
    buf[n++] = ':';
    put_digits(buf, &n, rem % 60, 2);
    buf[n++] = '.';
    put_digits(buf, &n, ms, 3);
    buf[n] = '\0';
    return (size_t)n;
}

/* ---- rendering ------------------------------------------------------------ */

struct render {
    struct fb_fix_field *out;
    size_t max;
    size_t n;
    char *scratch;
    size_t cap;
    size_t used;
    int full; /* out or scratch ran out */
};

static void put(struct render *r, int tag, const char *value)
{
    if (!value)
        return;
    if (r->n >= r->max) {
        r->full = 1;
        return;
    }
    r->out[r->n].tag = tag;
    r->out[r->n].value = value;
    r->n++;
}

/* A string field, left out when empty. */
static void put_str(struct render *r, int tag, const char *s)
{
    if (s[0])
        put(r, tag, s);
}

/* Copies len bytes of s into scratch, NUL-terminated; NULL if no room. */
static const char *keep(struct render *r, const char *s, size_t len)
{
    char *p;
    if (r->cap - r->used < len + 1) {
        r->full = 1;
        return NULL;
    }
    p = r->scratch + r->used;
    memcpy(p, s, len);
    p[len] = '\0';
    r->used += len + 1;
    return p;
}

static void put_dec(struct render *r, int tag, struct fb_dec d)
{
    char buf[FB_DEC_STRMAX];
    size_t len = fb_dec_format(d, buf);
    put(r, tag, keep(r, buf, len));
}

/* A decimal field, left out when zero (absent). */
static void put_dec_opt(struct render *r, int tag, struct fb_dec d)
{
    if (!fb_dec_is_zero(d))
        put_dec(r, tag, d);
}

static void put_int(struct render *r, int tag, int v)
{
    char buf[16];
    struct fb_cat c = fb_cat_init(buf, sizeof buf);
    fb_cat_i64(&c, v);
    put(r, tag, keep(r, buf, c.len));
}

static void put_time(struct render *r, int tag, int64_t ns)
{
    char buf[FB_FIX_TIME_STRMAX];
    size_t len = fb_fix_format_time(ns, buf);
    put(r, tag, keep(r, buf, len));
}

/* 1 if the report's order has nothing left to fill. */
static int report_filled(const struct fb_exec_report *er)
{
    return fb_dec_sign(er->terms.qty) > 0 && fb_dec_cmp(er->cum_qty, er->terms.qty) >= 0;
}

static enum fb_err render_exec(const struct fb_exec_report *er, enum fb_fix_version v,
                               struct render *r)
{
    const struct fb_order_terms *t = &er->terms;
    const char *exec_type = WIRE(exec_type_wire, er->exec_type);
    const char *ord_status = WIRE(ord_status_wire, er->ord_status);
    const char *side = WIRE(side_wire, er->side);
    const char *ord_type = WIRE(ord_type_wire, t->ord_type);
    const char *tif = WIRE(tif_wire, t->tif);
    int v44 = v == FB_FIX_44;
    int trade = er->exec_type == FB_EXEC_TRADE;
    int rej_reason = er->ord_rej_reason;

    if (!exec_type || !ord_status || !side || !ord_type || !tif)
        return FB_ERR_INVALID;
    if (!v44) {
        /* FIX 4.2: no Trade or Order Status ExecType. */
        if (trade)
            exec_type = report_filled(er) ? "2" : "1";
        else if (er->exec_type == FB_EXEC_ORDER_STATUS)
            exec_type = ord_status;
        if (rej_reason > 6) /* spec/bridge_tags.txt: 4.2 sends 0..6 */
            rej_reason = FB_ORDREJ_BROKER;
        /* 4.2 matrices: Replaced when nothing has filled. */
        if (er->exec_type == FB_EXEC_REPLACED && er->ord_status == FB_ST_NEW)
            ord_status = "5";
    }

    put(r, 37, er->order_id);
    put_str(r, 198, er->secondary_order_id);
    put_str(r, 11, er->cl_ord_id);
    put_str(r, 41, er->orig_cl_ord_id);
    if (v44) {
        put_str(r, 790, er->ord_status_req_id);
        if (er->mass_status_req_id[0]) {
            put(r, 584, er->mass_status_req_id);
            put_int(r, 911, (int)er->tot_num_reports);
        }
        if (er->last_rpt_requested)
            put(r, 912, "Y");
    }
    put(r, 17, er->exec_id);
    if (v44 && trade)
        put_str(r, 527, er->secondary_exec_id);
    if (!v44)
        put(r, 20, er->exec_type == FB_EXEC_ORDER_STATUS ? "3" : "0");
    put(r, 150, exec_type);
    put(r, 39, ord_status);
    if (er->exec_type == FB_EXEC_REJECTED || er->ord_status == FB_ST_REJECTED)
        put_int(r, 103, rej_reason);
    put_str(r, 1, er->account);
    put(r, 55, er->symbol);
    put_str(r, 207, er->security_exchange);
    put(r, 54, side);
    if (er->terms_unknown)
        goto after_terms;
    put_dec_opt(r, 38, t->qty);
    put_dec_opt(r, 152, t->cash_qty);
    put(r, 40, ord_type);
    if (t->ord_type == FB_ORD_LIMIT || t->ord_type == FB_ORD_STOP_LIMIT ||
        t->ord_type == FB_ORD_TAKE_PROFIT_LIMIT)
        put_dec_opt(r, 44, t->price);
    if (t->ord_type != FB_ORD_MARKET && t->ord_type != FB_ORD_LIMIT)
        put_dec_opt(r, 99, t->stop_px);
    put(r, 59, tif);
    if (t->tif == FB_TIF_GTD && t->expire_time_ns > 0)
        put_time(r, 126, t->expire_time_ns);
    if (t->post_only)
        put(r, 18, "6");
    put_dec_opt(r, 111, t->max_floor);
after_terms:
    put_str(r, 100, er->ex_destination);
    if (trade) {
        put_dec(r, 32, er->last_qty);
        put_dec(r, 31, er->last_px);
        put_str(r, 30, er->last_mkt);
        if (v44)
            put(r, 851, WIRE(liquidity_wire, er->liquidity));
        if (er->has_commission) {
            put_dec(r, 12, er->commission);
            put(r, 13, "3"); /* absolute */
            if (v44)
                put_str(r, 479, er->commission_ccy);
        }
    }
    put_dec(r, 151, er->leaves_qty);
    put_dec(r, 14, er->cum_qty);
    put_dec(r, 6, er->avg_px);
    put_time(r, 60, er->transact_time_ns);
    put_str(r, 58, er->text);
    return FB_OK;
}

static enum fb_err render_cxl_reject(const struct fb_cancel_reject *cx, enum fb_fix_version v,
                                     struct render *r)
{
    const char *ord_status = WIRE(ord_status_wire, cx->ord_status);
    const char *response_to = WIRE(cxl_response_wire, cx->response_to);
    int reason = cx->reason;

    if (!ord_status || !response_to)
        return FB_ERR_INVALID;
    if (v == FB_FIX_42 && reason > 3) /* 4.2 knows 0..3 */
        reason = FB_CXLREJ_BROKER;

    put(r, 37, cx->order_id[0] ? cx->order_id : "NONE");
    put_str(r, 198, cx->secondary_order_id);
    put(r, 11, cx->cl_ord_id);
    put(r, 41, cx->orig_cl_ord_id);
    put(r, 39, ord_status);
    put_str(r, 1, cx->account);
    put_time(r, 60, cx->transact_time_ns);
    put(r, 434, response_to);
    put_int(r, 102, reason);
    put_str(r, 58, cx->text);
    return FB_OK;
}

enum fb_err fb_report_render(const struct fb_report *rep, enum fb_fix_version v,
                             const char **msg_type, struct fb_fix_field *out, size_t max,
                             size_t *nfields, char *scratch, size_t scratchlen)
{
    struct render r = {out, max, 0, scratch, scratchlen, 0, 0};
    enum fb_err result;

    *nfields = 0;
    if ((unsigned)v >= FB_FIX_VERSION_LAST)
        return FB_ERR_INVALID;
    switch (rep->kind) {
    case FB_REPORT_EXEC:
        *msg_type = "8";
        result = render_exec(&rep->er, v, &r);
        break;
    case FB_REPORT_CANCEL_REJECT:
        *msg_type = "9";
        result = render_cxl_reject(&rep->cxl, v, &r);
        break;
    case FB_REPORT_NONE:
    default:
        return FB_ERR_INVALID;
    }
    if (result)
        return result;
    if (r.full)
        return FB_ERR_TOO_LARGE;
    *nfields = r.n;
    return FB_OK;
}

void fb_report_unknown_order_reject(struct fb_report *out, size_t session, const char *cl_ord_id,
                                    const char *orig_cl_ord_id,
                                    enum fb_cxl_rej_response_to response_to, int64_t now_ns,
                                    const char *text)
{
    struct fb_cancel_reject *cx = &out->cxl;

    memset(out, 0, sizeof *out);
    out->kind = FB_REPORT_CANCEL_REJECT;
    cx->session = session;
    snprintf(cx->order_id, sizeof cx->order_id, "NONE");
    snprintf(cx->cl_ord_id, sizeof cx->cl_ord_id, "%s", cl_ord_id);
    snprintf(cx->orig_cl_ord_id, sizeof cx->orig_cl_ord_id, "%s", orig_cl_ord_id);
    cx->ord_status = FB_ST_REJECTED;
    cx->response_to = response_to;
    cx->reason = FB_CXLREJ_UNKNOWN_ORDER;
    cx->transact_time_ns = now_ns;
    snprintf(cx->text, sizeof cx->text, "%s", text ? text : "unknown order");
}
