/*
 * order.c -- the order state machine.
 *
 * Every event handler works the same way: it checks what only it can check
 * (a repeated trade id, a duplicate ClOrdID, an overfill), copies the order,
 * applies the event's facts to the copy (CumQty, the pending request, the
 * venue's ack, ...) and hands the copy to order_transition(). That one
 * function derives the new state from the facts with the FIX 4.4 OrdStatus
 * precedence table, refuses an edge that edges[] does not list, logs
 * `old -> new`, runs the state's entry hook, commits the copy and builds the
 * one report. Requests that are refused at once (cancel of a filled order,
 * ...) and status replies change nothing and build their report directly.
 *
 * Numbers: CumQty and the notional (sum of LastQty * LastPx) are exact
 * decimals; a product with more than 18 fractional digits is rounded
 * HALF_EVEN at 1e-18, which no venue's tick and step sizes come near. AvgPx
 * is notional / CumQty rounded HALF_EVEN to the instrument's price precision
 * (the tick's digits, req.px_places; more if a LastPx had more), plus 8, at
 * most 18 (spec/RULES_OF_ENGAGEMENT.md 6.1: "the instrument's price
 * precision plus 8 digits"); fb_dec_format drops
 * trailing zeros, so 100.5 stays "100.5".
 */
#include "bridge/order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/log.h"
#include "bridge/report.h"
#include "bridge/textcat.h"

#define ORDER_COPY(dst, src) order_copy((dst), sizeof(dst), (src))

static void order_copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- names ---------------------------------------------------------------- */

const char *fb_order_state_name(enum fb_order_state s)
{
    switch (s) {
    case FB_ST_NONE:
        return "None";
    case FB_ST_PENDING_NEW:
        return "PendingNew";
    case FB_ST_NEW:
        return "New";
    case FB_ST_PARTIALLY_FILLED:
        return "PartiallyFilled";
    case FB_ST_FILLED:
        return "Filled";
    case FB_ST_PENDING_CANCEL:
        return "PendingCancel";
    case FB_ST_CANCELED:
        return "Canceled";
    case FB_ST_PENDING_REPLACE:
        return "PendingReplace";
    case FB_ST_REJECTED:
        return "Rejected";
    case FB_ST_EXPIRED:
        return "Expired";
    case FB_ST_LAST:
        break;
    }
    return "?";
}

const char *fb_exec_type_name(enum fb_exec_type t)
{
    switch (t) {
    case FB_EXEC_NEW:
        return "New";
    case FB_EXEC_TRADE:
        return "Trade";
    case FB_EXEC_CANCELED:
        return "Canceled";
    case FB_EXEC_REPLACED:
        return "Replaced";
    case FB_EXEC_PENDING_CANCEL:
        return "PendingCancel";
    case FB_EXEC_REJECTED:
        return "Rejected";
    case FB_EXEC_PENDING_NEW:
        return "PendingNew";
    case FB_EXEC_EXPIRED:
        return "Expired";
    case FB_EXEC_PENDING_REPLACE:
        return "PendingReplace";
    case FB_EXEC_ORDER_STATUS:
        return "OrderStatus";
    case FB_EXEC_TYPE_LAST:
        break;
    }
    return "?";
}

const char *fb_order_event_name(enum fb_order_event_type t)
{
    switch (t) {
    case FB_OEV_ACCEPT:
        return "accept";
    case FB_OEV_REJECT:
        return "reject";
    case FB_OEV_ACK:
        return "ack";
    case FB_OEV_FILL:
        return "fill";
    case FB_OEV_CANCEL_REQUEST:
        return "cancel-request";
    case FB_OEV_CANCELED:
        return "canceled";
    case FB_OEV_CANCEL_REJECT:
        return "cancel-reject";
    case FB_OEV_REPLACE_REQUEST:
        return "replace-request";
    case FB_OEV_REPLACED:
        return "replaced";
    case FB_OEV_REPLACE_REJECT:
        return "replace-reject";
    case FB_OEV_EXPIRED:
        return "expired";
    case FB_OEV_STATUS:
        return "status";
    case FB_OEV_DUPLICATE_NEW:
        return "duplicate-new";
    case FB_OEV_LAST:
        break;
    }
    return "?";
}

/* ---- ExecIDs -------------------------------------------------------------- */

void fb_exec_id_seq_init(struct fb_exec_id_seq *s, int64_t start_ns)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char tmp[16];
    size_t n = 0, i = 0;
    uint64_t v = start_ns > 0 ? (uint64_t)start_ns : 0;

    do {
        tmp[n++] = digits[v % 36];
        v /= 36;
    } while (v && n < sizeof tmp);
    while (n)
        s->prefix[i++] = tmp[--n];
    s->prefix[i++] = '-';
    s->prefix[i] = '\0';
    s->next = 1;
}

enum fb_err fb_exec_id_seq_next(void *seq, char *buf, size_t size)
{
    struct fb_exec_id_seq *s = seq;
    char id[FB_ID_LEN + 2]; /* one more than an id may have: too long is seen */
    struct fb_cat c = fb_cat_init(id, sizeof id);
    fb_cat_str(&c, s->prefix);
    fb_cat_u64(&c, s->next);
    if (c.len >= size || c.len > FB_ID_LEN)
        return FB_ERR_TOO_LARGE;
    memcpy(buf, id, c.len + 1);
    s->next++;
    return FB_OK;
}

/* ---- derived values ------------------------------------------------------- */

static int state_is_terminal(enum fb_order_state s)
{
    return s == FB_ST_FILLED || s == FB_ST_CANCELED || s == FB_ST_REJECTED || s == FB_ST_EXPIRED;
}

int fb_order_is_terminal(const struct fb_order *o)
{
    return state_is_terminal(o->state);
}

struct fb_dec fb_order_leaves(const struct fb_order *o)
{
    struct fb_dec left;
    if (state_is_terminal(o->state) || o->state == FB_ST_NONE)
        return fb_dec_zero();
    /* Both are in range and non-negative: the difference cannot overflow. */
    if (fb_dec_sub(o->terms.qty, o->cum_qty, &left) != FB_OK || fb_dec_sign(left) < 0)
        return fb_dec_zero();
    return left;
}

/* 1 if CumQty has reached OrderQty. An order sized by CashOrderQty has no
 * OrderQty until its last fill sets it to CumQty. */
static int order_complete(const struct fb_order *o)
{
    return fb_dec_sign(o->terms.qty) > 0 && fb_dec_cmp(o->cum_qty, o->terms.qty) >= 0;
}

/*
 * OrdStatus precedence, FIX 4.4 Vol. 4 ("OrdStatus" precedence table; the
 * values the bridge never reports are left out): the status reported when
 * several apply at once is the one with the highest value. Pending Cancel
 * and Pending Replace outrank even Filled: a fill that completes an order
 * whose cancel is pending reports 39=6 with LeavesQty 0, and the cancel
 * reject that follows reports 39=2 (scenario "cancel request issued for an
 * order that becomes filled before the cancel request can be accepted").
 */
static const int precedence[FB_ST_LAST] = {
    [FB_ST_NONE] = 0,
    [FB_ST_PENDING_NEW] = 2,
    [FB_ST_NEW] = 2,
    [FB_ST_REJECTED] = 2,
    [FB_ST_PARTIALLY_FILLED] = 3,
    [FB_ST_CANCELED] = 4,
    [FB_ST_EXPIRED] = 4,
    [FB_ST_FILLED] = 7,
    [FB_ST_PENDING_REPLACE] = 10,
    [FB_ST_PENDING_CANCEL] = 11,
};

/* The state the facts of o call for. closed is FB_ST_CANCELED, _REJECTED or
 * _EXPIRED once the order is closed with quantity left, else FB_ST_NONE. */
static enum fb_order_state order_derive(const struct fb_order *o, enum fb_order_state closed)
{
    /* Every status that applies; on equal precedence the first listed wins
     * (New before PendingNew: both are 2). */
    enum fb_order_state apply[5];
    size_t n = 0, i;
    enum fb_order_state best;

    if (closed != FB_ST_NONE)
        apply[n++] = closed;
    else if (o->pending.kind == FB_PENDING_CANCEL)
        apply[n++] = FB_ST_PENDING_CANCEL;
    else if (o->pending.kind == FB_PENDING_REPLACE)
        apply[n++] = FB_ST_PENDING_REPLACE;
    if (order_complete(o))
        apply[n++] = FB_ST_FILLED;
    else if (fb_dec_sign(o->cum_qty) > 0)
        apply[n++] = FB_ST_PARTIALLY_FILLED;
    apply[n++] = o->acked ? FB_ST_NEW : FB_ST_PENDING_NEW;

    best = apply[0];
    for (i = 1; i < n; i++)
        if (precedence[apply[i]] > precedence[best])
            best = apply[i];
    return best;
}

/* ---- the transition function ---------------------------------------------- */

/* What a change reports: an ExecType, or an OrderCancelReject. */
#define ORDER_ACT_CXL_REJECT FB_EXEC_TYPE_LAST
#define ORDER_ACT_LAST (FB_EXEC_TYPE_LAST + 1)

#define S(x) (1u << FB_ST_##x)
#define LIVE_TO (S(PENDING_NEW) | S(NEW) | S(PARTIALLY_FILLED) | S(FILLED))

/*
 * The legal edges: edges[action][from] is the set of states the order may
 * move to by a change reported as `action`. Anything else is refused. An
 * empty row means the action never changes an order (Order Status replies,
 * or refusals answered without a change, go around this table).
 */
static const unsigned edges[ORDER_ACT_LAST][FB_ST_LAST] = {
    [FB_EXEC_PENDING_NEW] = {[FB_ST_NONE] = S(PENDING_NEW)},
    [FB_EXEC_REJECTED] =
        {
            [FB_ST_NONE] = S(REJECTED),
            [FB_ST_PENDING_NEW] = S(REJECTED),
            [FB_ST_PENDING_CANCEL] = S(REJECTED),  /* cancel sent before the ack */
            [FB_ST_PENDING_REPLACE] = S(REJECTED), /* replace sent before the ack */
        },
    [FB_EXEC_NEW] =
        {
            [FB_ST_PENDING_NEW] = S(NEW),
            [FB_ST_PENDING_CANCEL] = S(PENDING_CANCEL),
            [FB_ST_PENDING_REPLACE] = S(PENDING_REPLACE),
        },
    [FB_EXEC_TRADE] =
        {
            [FB_ST_PENDING_NEW] = S(PARTIALLY_FILLED) | S(FILLED),
            [FB_ST_NEW] = S(PARTIALLY_FILLED) | S(FILLED),
            [FB_ST_PARTIALLY_FILLED] = S(PARTIALLY_FILLED) | S(FILLED),
            [FB_ST_PENDING_CANCEL] = S(PENDING_CANCEL),
            [FB_ST_PENDING_REPLACE] = S(PENDING_REPLACE),
        },
    [FB_EXEC_PENDING_CANCEL] =
        {
            [FB_ST_PENDING_NEW] = S(PENDING_CANCEL),
            [FB_ST_NEW] = S(PENDING_CANCEL),
            [FB_ST_PARTIALLY_FILLED] = S(PENDING_CANCEL),
        },
    [FB_EXEC_PENDING_REPLACE] =
        {
            [FB_ST_PENDING_NEW] = S(PENDING_REPLACE),
            [FB_ST_NEW] = S(PENDING_REPLACE),
            [FB_ST_PARTIALLY_FILLED] = S(PENDING_REPLACE),
        },
    [FB_EXEC_CANCELED] =
        {
            [FB_ST_PENDING_NEW] = S(CANCELED),
            [FB_ST_NEW] = S(CANCELED),
            [FB_ST_PARTIALLY_FILLED] = S(CANCELED),
            [FB_ST_PENDING_CANCEL] = S(CANCELED),
            [FB_ST_PENDING_REPLACE] = S(CANCELED),
        },
    [FB_EXEC_REPLACED] = {[FB_ST_PENDING_REPLACE] = LIVE_TO},
    [FB_EXEC_EXPIRED] =
        {
            [FB_ST_PENDING_NEW] = S(EXPIRED),
            [FB_ST_NEW] = S(EXPIRED),
            [FB_ST_PARTIALLY_FILLED] = S(EXPIRED),
            [FB_ST_PENDING_CANCEL] = S(EXPIRED),
            [FB_ST_PENDING_REPLACE] = S(EXPIRED),
        },
    [FB_EXEC_ORDER_STATUS] = {0},
    [ORDER_ACT_CXL_REJECT] =
        {
            [FB_ST_PENDING_CANCEL] = LIVE_TO,
            [FB_ST_PENDING_REPLACE] = LIVE_TO,
        },
};

#undef LIVE_TO
#undef S

/* Entry hooks, run on the committed order when it enters a state. */
static void order_enter_done(struct fb_order *o)
{
    /* A closed order has no request left with the venue. */
    memset(&o->pending, 0, sizeof o->pending);
}

static void (*const state_enter[FB_ST_LAST])(struct fb_order *o) = {
    [FB_ST_FILLED] = order_enter_done,
    [FB_ST_CANCELED] = order_enter_done,
    [FB_ST_REJECTED] = order_enter_done,
    [FB_ST_EXPIRED] = order_enter_done,
};

/* How a change is reported, beyond the order's own fields. */
struct order_change {
    int action;                 /* enum fb_exec_type, or ORDER_ACT_CXL_REJECT */
    enum fb_order_state closed; /* see order_derive() */
    const char *cl_ord_id;      /* ClOrdID(11) of the report */
    const char *orig_cl_ord_id; /* OrigClOrdID(41), or NULL */
    const char *text;           /* Text(58), or NULL */
    int reason;                 /* OrdRejReason / CxlRejReason */
    enum fb_cxl_rej_response_to response_to;
    const struct fb_fill *fill; /* trades */
    const struct fb_status_query *status;
    size_t session; /* where the report goes */
    /* Strings above may point into the order copy or the event: both
     * outlive the report build. */
};

static int64_t order_time(const struct fb_order_env *env, const struct fb_order_event *ev)
{
    if (ev->time_ns)
        return ev->time_ns;
    return env->now_ns ? env->now_ns(env->user) : 0;
}

static void order_build_exec(const struct fb_order *o, const struct order_change *c,
                             const char *exec_id, int64_t t, struct fb_report *out)
{
    struct fb_exec_report *er = &out->er;

    memset(out, 0, sizeof *out);
    out->kind = FB_REPORT_EXEC;
    er->session = c->session;
    ORDER_COPY(er->order_id, o->order_id);
    ORDER_COPY(er->secondary_order_id, o->venue_order_id);
    ORDER_COPY(er->exec_id, exec_id);
    ORDER_COPY(er->cl_ord_id, c->cl_ord_id);
    ORDER_COPY(er->orig_cl_ord_id, c->orig_cl_ord_id);
    er->exec_type = (enum fb_exec_type)c->action;
    er->ord_status = o->state;
    /* A status reply for a rejected order repeats why it was rejected. */
    er->ord_rej_reason = c->action == FB_EXEC_REJECTED ? c->reason : o->rej_reason;
    ORDER_COPY(er->account, o->req.account);
    ORDER_COPY(er->symbol, o->req.symbol);
    ORDER_COPY(er->security_exchange, o->req.security_exchange);
    ORDER_COPY(er->ex_destination, o->req.ex_destination);
    er->side = o->req.side;
    er->terms = o->terms;
    if (c->fill) {
        er->last_qty = c->fill->qty;
        er->last_px = c->fill->px;
        ORDER_COPY(er->secondary_exec_id, c->fill->trade_id);
        ORDER_COPY(er->last_mkt, o->venue_name);
        er->liquidity = c->fill->liquidity;
        er->has_commission = c->fill->has_commission;
        er->commission = c->fill->commission;
        ORDER_COPY(er->commission_ccy, c->fill->commission_ccy);
    }
    if (c->status) {
        ORDER_COPY(er->ord_status_req_id, c->status->ord_status_req_id);
        ORDER_COPY(er->mass_status_req_id, c->status->mass_status_req_id);
        er->tot_num_reports = c->status->tot_num_reports;
        er->last_rpt_requested = c->status->last_rpt_requested;
    }
    er->cum_qty = o->cum_qty;
    er->leaves_qty = fb_order_leaves(o);
    er->avg_px = o->avg_px;
    er->transact_time_ns = t;
    ORDER_COPY(er->text, c->text);
}

static void order_build_cxl_reject(const struct fb_order *o, const struct order_change *c,
                                   int64_t t, struct fb_report *out)
{
    struct fb_cancel_reject *cx = &out->cxl;

    memset(out, 0, sizeof *out);
    out->kind = FB_REPORT_CANCEL_REJECT;
    cx->session = c->session;
    ORDER_COPY(cx->order_id, o->order_id);
    ORDER_COPY(cx->secondary_order_id, o->venue_order_id);
    ORDER_COPY(cx->cl_ord_id, c->cl_ord_id);
    ORDER_COPY(cx->orig_cl_ord_id, c->orig_cl_ord_id);
    cx->ord_status = o->state;
    cx->response_to = c->response_to;
    cx->reason = c->reason;
    ORDER_COPY(cx->account, o->req.account);
    cx->transact_time_ns = t;
    ORDER_COPY(cx->text, c->text);
}

/* An ExecutionReport needs an ExecID; an OrderCancelReject has none. */
static enum fb_err order_exec_id(const struct fb_order_env *env, const struct order_change *c,
                                 char exec_id[FB_ID_LEN + 1])
{
    enum fb_err result;

    exec_id[0] = '\0';
    if (c->action == ORDER_ACT_CXL_REJECT)
        return FB_OK;
    if (!env->next_exec_id)
        return FB_ERR_INVALID;
    result = env->next_exec_id(env->user, exec_id, FB_ID_LEN + 1);
    exec_id[FB_ID_LEN] = '\0';
    return result;
}

static void order_build(const struct fb_order *o, const struct order_change *c, const char *exec_id,
                        const struct fb_order_env *env, const struct fb_order_event *ev,
                        struct fb_report *out)
{
    if (c->action == ORDER_ACT_CXL_REJECT)
        order_build_cxl_reject(o, c, order_time(env, ev), out);
    else
        order_build_exec(o, c, exec_id, order_time(env, ev), out);
}

/* Builds the report of c for o as it is now: no state change. */
static enum fb_err order_report(const struct fb_order *o, const struct order_change *c,
                                const struct fb_order_env *env, const struct fb_order_event *ev,
                                struct fb_report *out)
{
    char exec_id[FB_ID_LEN + 1];
    enum fb_err result = order_exec_id(env, c, exec_id);

    if (result)
        return result;
    order_build(o, c, exec_id, env, ev, out);
    return FB_OK;
}

/*
 * The one way an order changes. next is a copy of *o with the event's facts
 * applied; the new state is derived from them. Refuses (FB_ERR_STATE, *o
 * untouched) an edge that edges[] does not list, else commits next into *o
 * and builds the change's report. `line` is the caller's, for the log.
 */
static enum fb_err order_transition(struct fb_order *o, struct fb_order *next,
                                    const struct order_change *c, const struct fb_order_env *env,
                                    const struct fb_order_event *ev, struct fb_report *out,
                                    int line)
{
    enum fb_order_state from = o->state;
    enum fb_order_state to = order_derive(next, c->closed);
    char exec_id[FB_ID_LEN + 1];
    enum fb_err result;

    if (!(edges[c->action][from] & (1u << to))) {
        fb_debug("order", "%s: %s refused: %s -> %s is not an edge (line %d)", o->order_id,
                 fb_order_event_name(ev->type), fb_order_state_name(from), fb_order_state_name(to),
                 line);
        return FB_ERR_STATE;
    }
    /* The only fallible step comes before the commit. */
    result = order_exec_id(env, c, exec_id);
    if (result)
        return result;
#ifndef NDEBUG
    fb_debug("order", "%s %s -> %s (%s, line %d)", o->order_id, fb_order_state_name(from),
             fb_order_state_name(to), fb_order_event_name(ev->type), line);
#else
    (void)line;
    fb_debug("order", "%s %s -> %s (%s)", o->order_id, fb_order_state_name(from),
             fb_order_state_name(to), fb_order_event_name(ev->type));
#endif
    next->state = to;
    if (state_enter[to])
        state_enter[to](next);
    *o = *next;
    order_build(o, c, exec_id, env, ev, out);
    return FB_OK;
}

#define order_change_to(o, n, c, env, ev, out) order_transition(o, n, c, env, ev, out, __LINE__)

/* ---- trade ids ---------------------------------------------------------- */

static int order_seen_trade(const struct fb_order *o, const char *id)
{
    size_t i = 0;
    while (i < o->trade_ids_len) {
        const char *s = o->trade_ids + i;
        size_t n = strlen(s);
        if (strcmp(s, id) == 0)
            return 1;
        i += n + 1;
    }
    return 0;
}

/*
 * Records id (length n) in next, a copy of o about to be committed. If o's
 * buffer has room the id is written past o's length, where o does not look;
 * otherwise next gets a bigger copy of its own, and the caller frees o's
 * buffer once next is committed (or next's if it is not).
 */
static enum fb_err order_add_trade(const struct fb_order *o, struct fb_order *next, const char *id,
                                   size_t n)
{
    size_t need = o->trade_ids_len + n + 1, cap = o->trade_ids_cap;

    if (need > FB_ORDER_TRADE_IDS_MAX)
        return FB_ERR_TOO_LARGE;
    if (need > cap) {
        char *p;
        cap = cap ? cap * 2 : 256;
        while (cap < need)
            cap *= 2;
        if (cap > FB_ORDER_TRADE_IDS_MAX)
            cap = FB_ORDER_TRADE_IDS_MAX;
        p = malloc(cap);
        if (!p)
            return FB_ERR_NOMEM;
        if (o->trade_ids_len)
            memcpy(p, o->trade_ids, o->trade_ids_len);
        next->trade_ids = p;
        next->trade_ids_cap = cap;
    }
    memcpy(next->trade_ids + o->trade_ids_len, id, n + 1);
    next->trade_ids_len = need;
    return FB_OK;
}

/* ---- event handlers ------------------------------------------------------- */

static const char *text_or(const struct fb_order_event *ev, const char *dflt)
{
    return ev->text[0] ? ev->text : dflt;
}

static void change_init(struct order_change *c, const struct fb_order *o, int action)
{
    memset(c, 0, sizeof *c);
    c->action = action;
    c->cl_ord_id = o->cl_ord_id;
    c->session = o->req.session;
}

static void learn_venue_id(struct fb_order *n, const struct fb_order_event *ev)
{
    if (ev->venue_order_id[0])
        ORDER_COPY(n->venue_order_id, ev->venue_order_id);
}

static enum fb_err on_accept(struct fb_order *o, const struct fb_order_env *env,
                             const struct fb_order_event *ev, struct fb_report *out)
{
    struct fb_order n = *o;
    struct order_change c;

    change_init(&c, o, FB_EXEC_PENDING_NEW);
    /* e.g. how the pre-trade policy changed what goes to the venue */
    c.text = ev->text[0] ? ev->text : NULL;
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_reject(struct fb_order *o, const struct fb_order_env *env,
                             const struct fb_order_event *ev, struct fb_report *out)
{
    struct fb_order n = *o;
    struct order_change c;

    /* Only an order the venue never took can be rejected. */
    if (o->acked || fb_dec_sign(o->cum_qty) > 0)
        return FB_ERR_STATE;
    n.rej_reason = ev->reason;
    change_init(&c, o, FB_EXEC_REJECTED);
    c.closed = FB_ST_REJECTED;
    c.reason = ev->reason;
    c.text = text_or(ev, "order rejected");
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_ack(struct fb_order *o, const struct fb_order_env *env,
                          const struct fb_order_event *ev, struct fb_report *out)
{
    struct fb_order n = *o;
    struct order_change c;

    if (o->acked)
        return FB_ERR_STATE;
    n.acked = 1;
    learn_venue_id(&n, ev);
    change_init(&c, o, FB_EXEC_NEW);
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_fill(struct fb_order *o, const struct fb_order_env *env,
                           const struct fb_order_event *ev, struct fb_report *out)
{
    const struct fb_fill *f = &ev->u.fill;
    struct fb_order n = *o;
    struct order_change c;
    struct fb_dec value;
    size_t idlen = strnlen(f->trade_id, sizeof f->trade_id);
    char *prev = o->trade_ids;
    int places;
    enum fb_err result;

    if (idlen == 0 || idlen > FB_ID_LEN || fb_dec_sign(f->qty) <= 0 || fb_dec_sign(f->px) <= 0)
        return FB_ERR_INVALID;
    if (order_seen_trade(o, f->trade_id)) {
        fb_debug("order", "%s: trade %s already reported", o->order_id, f->trade_id);
        return FB_OK; /* out->kind stays FB_REPORT_NONE */
    }
    result = fb_dec_add(n.cum_qty, f->qty, &n.cum_qty);
    if (result)
        return result;
    /* An overfill of a live order is the venue's error or ours: never
     * report one. (A fill for a closed order is an illegal edge, below.) */
    if (!state_is_terminal(o->state) && fb_dec_sign(n.terms.qty) > 0 &&
        fb_dec_cmp(n.cum_qty, n.terms.qty) > 0)
        return FB_ERR_INVALID;
    places = fb_dec_places(f->px);
    if (places > n.px_places)
        n.px_places = (uint8_t)places;
    places = n.px_places + 8 < FB_DEC_PLACES ? n.px_places + 8 : FB_DEC_PLACES;
    result = fb_dec_mul(f->qty, f->px, FB_ROUND_HALF_EVEN, &value);
    if (!result)
        result = fb_dec_add(n.notional, value, &n.notional);
    if (!result)
        result = fb_dec_div(n.notional, n.cum_qty, places, FB_ROUND_HALF_EVEN, &n.avg_px);
    if (result)
        return result;
    /* Sized by CashOrderQty: the base quantity is what filled. */
    if (f->last && fb_dec_is_zero(n.terms.qty))
        n.terms.qty = n.cum_qty;
    n.acked = 1; /* a fill proves the venue has the order */
    learn_venue_id(&n, ev);
    result = order_add_trade(o, &n, f->trade_id, idlen);
    if (result)
        return result;

    change_init(&c, o, FB_EXEC_TRADE);
    c.fill = f;
    result = order_change_to(o, &n, &c, env, ev, out);
    if (n.trade_ids != prev) /* grown: free the buffer that lost */
        free(result ? n.trade_ids : prev);
    return result;
}

/* 1 if id is, or was, or is about to be one of this order's ClOrdIDs. */
static int order_uses_cl_ord_id(const struct fb_order *o, const char *id)
{
    return strcmp(id, o->cl_ord_id) == 0 || strcmp(id, o->req.cl_ord_id) == 0 ||
           (o->orig_cl_ord_id[0] && strcmp(id, o->orig_cl_ord_id) == 0) ||
           (o->pending.kind != FB_PENDING_NONE && strcmp(id, o->pending.cl_ord_id) == 0);
}

/*
 * Checks a cancel or replace request that cannot change the order. Returns
 * 1 with c set up as the OrderCancelReject to send, or 0 if the request
 * may go to the venue.
 */
static int request_refused(const struct fb_order *o, const struct fb_order_event *ev,
                           const char *cl_ord_id, const char *symbol, enum fb_side side,
                           struct order_change *c)
{
    const char *text;
    int reason;

    if (ev->cl_ord_id_in_use || order_uses_cl_ord_id(o, cl_ord_id)) {
        reason = FB_CXLREJ_DUPLICATE;
        text = "duplicate ClOrdID";
    } else if (state_is_terminal(o->state)) {
        reason = FB_CXLREJ_TOO_LATE;
        text = o->state == FB_ST_FILLED ? "too late: order is filled" : "too late: order is closed";
    } else if (o->pending.kind != FB_PENDING_NONE) {
        reason = FB_CXLREJ_PENDING;
        text = o->pending.kind == FB_PENDING_CANCEL ? "a cancel is already pending"
                                                    : "a replace is already pending";
    } else if (symbol[0] && (strcmp(symbol, o->req.symbol) != 0 || side != o->req.side)) {
        reason = FB_CXLREJ_BROKER; /* RoE 6.2: "replace changes Side/Symbol" */
        text = "Symbol or Side does not match the order";
    } else {
        return 0;
    }
    c->action = ORDER_ACT_CXL_REJECT;
    c->cl_ord_id = cl_ord_id;
    c->orig_cl_ord_id = o->cl_ord_id; /* the last accepted ClOrdID */
    c->reason = reason;
    c->text = text;
    return 1;
}

static enum fb_err on_cancel_request(struct fb_order *o, const struct fb_order_env *env,
                                     const struct fb_order_event *ev, struct fb_report *out)
{
    const struct fb_cancel_order *rq = &ev->u.cancel;
    struct fb_order n;
    struct order_change c;

    change_init(&c, o, FB_EXEC_PENDING_CANCEL);
    c.response_to = FB_CXL_RESPONSE_CANCEL;
    if (request_refused(o, ev, rq->cl_ord_id, rq->symbol, rq->side, &c))
        return order_report(o, &c, env, ev, out);
    n = *o;
    n.pending.kind = FB_PENDING_CANCEL;
    ORDER_COPY(n.pending.cl_ord_id, rq->cl_ord_id);
    c.cl_ord_id = n.pending.cl_ord_id;
    c.orig_cl_ord_id = o->cl_ord_id;
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_replace_request(struct fb_order *o, const struct fb_order_env *env,
                                      const struct fb_order_event *ev, struct fb_report *out)
{
    const struct fb_replace_order *rq = &ev->u.replace;
    struct fb_order n;
    struct order_change c;

    change_init(&c, o, FB_EXEC_PENDING_REPLACE);
    c.response_to = FB_CXL_RESPONSE_REPLACE;
    if (request_refused(o, ev, rq->cl_ord_id, rq->symbol, rq->side, &c))
        return order_report(o, &c, env, ev, out);
    /* RoE 5.3: OrderQty is the new total; below what has already executed
     * it is refused (fills racing an accepted replace: see on_replaced). */
    if (fb_dec_sign(rq->terms.qty) > 0 && fb_dec_cmp(rq->terms.qty, o->cum_qty) < 0) {
        char qty[FB_DEC_STRMAX], cum[FB_DEC_STRMAX], text[FB_TEXT_LEN + 1];
        fb_dec_format(rq->terms.qty, qty);
        fb_dec_format(o->cum_qty, cum);
        snprintf(text, sizeof text, "OrderQty %s is below CumQty %s", qty, cum);
        c.action = ORDER_ACT_CXL_REJECT;
        c.cl_ord_id = rq->cl_ord_id;
        c.orig_cl_ord_id = o->cl_ord_id;
        c.reason = FB_CXLREJ_BROKER;
        c.text = text;
        return order_report(o, &c, env, ev, out);
    }
    n = *o;
    n.pending.kind = FB_PENDING_REPLACE;
    ORDER_COPY(n.pending.cl_ord_id, rq->cl_ord_id);
    n.pending.terms = rq->terms;
    c.cl_ord_id = n.pending.cl_ord_id;
    c.orig_cl_ord_id = o->cl_ord_id;
    return order_change_to(o, &n, &c, env, ev, out);
}

/* The venue refused our cancel or replace, or a cancel confirmation came
 * for an order that had already filled: an OrderCancelReject that takes the
 * order out of its pending state. */
static enum fb_err pending_rejected(struct fb_order *o, enum fb_pending_kind kind,
                                    const struct fb_order_env *env, const struct fb_order_event *ev,
                                    int reason, const char *text, struct fb_report *out)
{
    struct fb_order n;
    struct order_change c;
    char request_id[FB_ID_LEN + 1]; /* o->pending is cleared by the commit */

    if (o->pending.kind != kind)
        return FB_ERR_STATE;
    ORDER_COPY(request_id, o->pending.cl_ord_id);
    n = *o;
    memset(&n.pending, 0, sizeof n.pending);
    learn_venue_id(&n, ev);
    change_init(&c, o, ORDER_ACT_CXL_REJECT);
    c.response_to = kind == FB_PENDING_CANCEL ? FB_CXL_RESPONSE_CANCEL : FB_CXL_RESPONSE_REPLACE;
    c.cl_ord_id = request_id;
    c.orig_cl_ord_id = o->cl_ord_id;
    c.reason = reason;
    c.text = text;
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_canceled(struct fb_order *o, const struct fb_order_env *env,
                               const struct fb_order_event *ev, struct fb_report *out)
{
    static const char *const why[FB_CXL_CAUSE_LAST] = {
        [FB_CXL_REQUESTED] = "canceled at the bridge's request",
        [FB_CXL_UNSOLICITED] = "canceled by the venue",
        [FB_CXL_IOC] = "IOC remainder canceled",
        [FB_CXL_FOK] = "FOK not filled",
    };
    struct fb_order n;
    struct order_change c;

    if ((unsigned)ev->u.cause >= FB_CXL_CAUSE_LAST)
        return FB_ERR_INVALID;
    if (o->pending.kind == FB_PENDING_CANCEL && order_complete(o))
        /* Nothing was left to cancel: the cancel came too late. */
        return pending_rejected(o, FB_PENDING_CANCEL, env, ev, FB_CXLREJ_TOO_LATE,
                                text_or(ev, "too late: order is filled"), out);

    n = *o;
    learn_venue_id(&n, ev);
    change_init(&c, o, FB_EXEC_CANCELED);
    c.closed = FB_ST_CANCELED;
    if (o->pending.kind == FB_PENDING_CANCEL) {
        /* Our cancel went through: the order now goes by the cancel's id. */
        ORDER_COPY(n.orig_cl_ord_id, o->cl_ord_id);
        ORDER_COPY(n.cl_ord_id, o->pending.cl_ord_id);
        c.cl_ord_id = n.cl_ord_id;
        c.orig_cl_ord_id = n.orig_cl_ord_id;
        c.text = ev->text[0] ? ev->text : NULL;
    } else {
        c.cl_ord_id = n.cl_ord_id;
        c.text = text_or(ev, why[ev->u.cause]);
    }
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_replaced(struct fb_order *o, const struct fb_order_env *env,
                               const struct fb_order_event *ev, struct fb_report *out)
{
    const struct fb_replaced *r = &ev->u.replaced;
    struct fb_order n;
    struct order_change c;

    if (o->pending.kind != FB_PENDING_REPLACE)
        return FB_ERR_STATE;
    n = *o;
    n.terms = o->pending.terms;
    if (fb_dec_sign(r->qty) > 0) {
        n.terms.qty = r->qty;
        n.terms.price = r->price;
        n.terms.stop_px = r->stop_px;
    }
    /* Replaced to at or below CumQty: the rest is canceled and OrderQty is
     * amended to CumQty, so the order is Filled (FIX 4.4 Vol. 4, "the
     * requested order qty is below cum qty"). */
    if (fb_dec_sign(n.terms.qty) > 0 && fb_dec_cmp(n.terms.qty, n.cum_qty) < 0)
        n.terms.qty = n.cum_qty;
    ORDER_COPY(n.orig_cl_ord_id, o->cl_ord_id);
    ORDER_COPY(n.cl_ord_id, o->pending.cl_ord_id);
    memset(&n.pending, 0, sizeof n.pending);
    learn_venue_id(&n, ev);
    change_init(&c, o, FB_EXEC_REPLACED);
    c.cl_ord_id = n.cl_ord_id;
    c.orig_cl_ord_id = n.orig_cl_ord_id;
    c.text = ev->text[0] ? ev->text : NULL;
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_expired(struct fb_order *o, const struct fb_order_env *env,
                              const struct fb_order_event *ev, struct fb_report *out)
{
    struct fb_order n = *o;
    struct order_change c;

    change_init(&c, o, FB_EXEC_EXPIRED);
    c.closed = FB_ST_EXPIRED;
    c.text = text_or(ev, o->terms.tif == FB_TIF_GTD ? "expired: ExpireTime reached"
                                                    : "expired: end of day");
    return order_change_to(o, &n, &c, env, ev, out);
}

static enum fb_err on_status(struct fb_order *o, const struct fb_order_env *env,
                             const struct fb_order_event *ev, struct fb_report *out)
{
    struct order_change c;

    if (o->state == FB_ST_NONE)
        return FB_ERR_STATE;
    change_init(&c, o, FB_EXEC_ORDER_STATUS);
    c.status = &ev->u.status;
    return order_report(o, &c, env, ev, out);
}

/* The same order again: what a PossResend copy must match. */
static int same_order(const struct fb_new_order *a, const struct fb_new_order *b)
{
    return a->side == b->side && strcmp(a->symbol, b->symbol) == 0 &&
           a->terms.ord_type == b->terms.ord_type && a->terms.tif == b->terms.tif &&
           fb_dec_cmp(a->terms.qty, b->terms.qty) == 0 &&
           fb_dec_cmp(a->terms.price, b->terms.price) == 0 &&
           fb_dec_cmp(a->terms.stop_px, b->terms.stop_px) == 0 &&
           fb_dec_cmp(a->terms.cash_qty, b->terms.cash_qty) == 0;
}

static enum fb_err on_duplicate_new(struct fb_order *o, const struct fb_order_env *env,
                                    const struct fb_order_event *ev, struct fb_report *out)
{
    const struct fb_new_order *d = &ev->u.dup;
    struct order_change c;

    if (o->state == FB_ST_NONE)
        return FB_ERR_STATE;
    /* FIX F.1.b: a PossResend copy of an order already received gets its
     * status; any other reuse of the ClOrdID is rejected with the existing
     * order's OrdStatus and quantities (not 39=8). A PossResend whose terms
     * differ is not a copy: it is rejected too. */
    if (d->poss_resend && same_order(d, &o->req)) {
        change_init(&c, o, FB_EXEC_ORDER_STATUS);
    } else {
        change_init(&c, o, FB_EXEC_REJECTED);
        c.reason = FB_ORDREJ_DUPLICATE;
        c.text = text_or(ev, "duplicate ClOrdID");
    }
    c.cl_ord_id = d->cl_ord_id;
    c.session = d->session;
    return order_report(o, &c, env, ev, out);
}

/* ---- public --------------------------------------------------------------- */

void fb_order_init(struct fb_order *o, const char *order_id, const char *venue_name,
                   const struct fb_new_order *req)
{
    memset(o, 0, sizeof *o);
    o->state = FB_ST_NONE;
    ORDER_COPY(o->order_id, order_id);
    ORDER_COPY(o->venue_name, venue_name);
    o->req = *req;
    ORDER_COPY(o->cl_ord_id, o->req.cl_ord_id);
    o->terms = req->terms;
    o->px_places = req->px_places;
}

void fb_order_clear(struct fb_order *o)
{
    free(o->trade_ids);
    memset(o, 0, sizeof *o);
}

enum fb_err fb_order_apply(struct fb_order *o, const struct fb_order_env *env,
                           const struct fb_order_event *ev, struct fb_report *out)
{
    out->kind = FB_REPORT_NONE;
    if ((unsigned)o->state >= FB_ST_LAST)
        return FB_ERR_INTERNAL;
    switch (ev->type) {
    case FB_OEV_ACCEPT:
        return on_accept(o, env, ev, out);
    case FB_OEV_REJECT:
        return on_reject(o, env, ev, out);
    case FB_OEV_ACK:
        return on_ack(o, env, ev, out);
    case FB_OEV_FILL:
        return on_fill(o, env, ev, out);
    case FB_OEV_CANCEL_REQUEST:
        if (o->state == FB_ST_NONE)
            return FB_ERR_STATE;
        return on_cancel_request(o, env, ev, out);
    case FB_OEV_CANCELED:
        return on_canceled(o, env, ev, out);
    case FB_OEV_CANCEL_REJECT:
        return pending_rejected(o, FB_PENDING_CANCEL, env, ev, ev->reason,
                                text_or(ev, "cancel refused by the venue"), out);
    case FB_OEV_REPLACE_REQUEST:
        if (o->state == FB_ST_NONE)
            return FB_ERR_STATE;
        return on_replace_request(o, env, ev, out);
    case FB_OEV_REPLACED:
        return on_replaced(o, env, ev, out);
    case FB_OEV_REPLACE_REJECT:
        return pending_rejected(o, FB_PENDING_REPLACE, env, ev, ev->reason,
                                text_or(ev, "replace refused by the venue"), out);
    case FB_OEV_EXPIRED:
        return on_expired(o, env, ev, out);
    case FB_OEV_STATUS:
        return on_status(o, env, ev, out);
    case FB_OEV_DUPLICATE_NEW:
        return on_duplicate_new(o, env, ev, out);
    case FB_OEV_LAST:
        break;
    }
    return FB_ERR_INVALID;
}
