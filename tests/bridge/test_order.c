/*
 * Tests for bridge/order.c and bridge/report.c.
 *
 * The "matrix" case runs the FIX order state change scenarios (FIX 4.4
 * Vol. 4 Appendix D; FIX Trading Community "Order State Changes") as
 * tables: each step is one event into the state machine and the fields its
 * report must carry, rendered as FIX 4.4 ("tag=value|..."; "tag=-" means the tag must be
 * absent, "none" that the event yields no report. Every report is also
 * checked for LeavesQty = OrderQty - CumQty (0 when terminal) and for a
 * fresh ExecID.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/decimal.h"
#include "bridge/order.h"
#include "bridge/report.h"

/* ---- harness -------------------------------------------------------------- */

#define T0 1795521600123000000LL /* 2026-11-24 12:00:00.123 UTC */

static int64_t fake_now(void *user)
{
    (void)user;
    return T0;
}

static struct fb_dec dec(const char *s)
{
    struct fb_dec d;
    ck_assert_int_eq(fb_dec_parse_str(s, &d), FB_OK);
    return d;
}

static void base_order(struct fb_new_order *no, enum fb_tif tif)
{
    memset(no, 0, sizeof *no);
    no->session = 1;
    strcpy(no->cl_ord_id, "X");
    strcpy(no->account, "ACC1");
    strcpy(no->symbol, "BTC-USD");
    strcpy(no->venue_symbol, "BTCUSD");
    no->side = FB_SIDE_BUY;
    no->terms.ord_type = FB_ORD_LIMIT;
    no->terms.tif = tif;
    no->terms.qty = dec("10000");
    no->terms.price = dec("100");
}

struct step {
    const char *expect; /* fields of the report; "none"; NULL ends a scenario */
    enum fb_order_event_type type;
    const char *a, *b, *c, *d, *e; /* see make_event() */
    int n;
    const char *text;
    enum fb_err err; /* expected result */
    uint8_t in_use;  /* cl_ord_id_in_use */
};

#define END                                                                                        \
    {                                                                                              \
        .expect = NULL                                                                             \
    }
#define ACCEPT .type = FB_OEV_ACCEPT
#define REJECT(reason, txt) .type = FB_OEV_REJECT, .n = (reason), .text = (txt)
#define ACK(venue_id) .type = FB_OEV_ACK, .a = (venue_id)
#define FILL(id, q, p) .type = FB_OEV_FILL, .a = (id), .b = (q), .c = (p)
#define FILL_FEE(id, q, p, fee, ccy)                                                               \
    .type = FB_OEV_FILL, .a = (id), .b = (q), .c = (p), .d = (fee), .e = (ccy)
#define CANCEL(id) .type = FB_OEV_CANCEL_REQUEST, .a = (id)
#define CANCELED(cause) .type = FB_OEV_CANCELED, .n = (cause)
#define CANCEL_REJECT(reason) .type = FB_OEV_CANCEL_REJECT, .n = (reason)
#define REPLACE(id, q, p) .type = FB_OEV_REPLACE_REQUEST, .a = (id), .b = (q), .c = (p)
#define REPLACED .type = FB_OEV_REPLACED
#define REPLACE_REJECT(reason) .type = FB_OEV_REPLACE_REJECT, .n = (reason)
#define EXPIRED .type = FB_OEV_EXPIRED
#define STATUS(req_id) .type = FB_OEV_STATUS, .a = (req_id)
#define DUP(id, q, poss_resend)                                                                    \
    .type = FB_OEV_DUPLICATE_NEW, .a = (id), .b = (q), .n = (poss_resend)

static void make_event(const struct step *s, const struct fb_order *o, struct fb_order_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->type = s->type;
    ev->reason = s->n;
    ev->cl_ord_id_in_use = s->in_use;
    if (s->text)
        strcpy(ev->text, s->text);
    switch (s->type) {
    case FB_OEV_ACK:
        if (s->a)
            strcpy(ev->venue_order_id, s->a);
        break;
    case FB_OEV_FILL:
        strcpy(ev->u.fill.trade_id, s->a);
        ev->u.fill.qty = dec(s->b);
        ev->u.fill.px = dec(s->c);
        if (s->d) {
            ev->u.fill.has_commission = 1;
            ev->u.fill.commission = dec(s->d);
            strcpy(ev->u.fill.commission_ccy, s->e);
            ev->u.fill.liquidity = FB_LIQ_TAKER;
        }
        break;
    case FB_OEV_CANCEL_REQUEST:
        ev->u.cancel.session = o->req.session;
        strcpy(ev->u.cancel.cl_ord_id, s->a);
        strcpy(ev->u.cancel.orig_cl_ord_id, o->cl_ord_id);
        strcpy(ev->u.cancel.symbol, o->req.symbol);
        ev->u.cancel.side = o->req.side;
        break;
    case FB_OEV_REPLACE_REQUEST:
        ev->u.replace.session = o->req.session;
        strcpy(ev->u.replace.cl_ord_id, s->a);
        strcpy(ev->u.replace.orig_cl_ord_id, o->cl_ord_id);
        strcpy(ev->u.replace.symbol, o->req.symbol);
        ev->u.replace.side = o->req.side;
        ev->u.replace.terms = o->terms;
        ev->u.replace.terms.qty = dec(s->b);
        ev->u.replace.terms.price = dec(s->c);
        break;
    case FB_OEV_CANCELED:
        ev->u.cause = (enum fb_cancel_cause)s->n;
        break;
    case FB_OEV_STATUS:
        if (s->a)
            strcpy(ev->u.status.ord_status_req_id, s->a);
        break;
    case FB_OEV_DUPLICATE_NEW:
        ev->u.dup = o->req;
        strcpy(ev->u.dup.cl_ord_id, s->a);
        ev->u.dup.terms.qty = dec(s->b);
        ev->u.dup.poss_resend = (uint8_t)s->n;
        break;
    default:
        break;
    }
}

struct rendered {
    const char *msg_type;
    struct fb_fix_field f[FB_REPORT_MAX_FIELDS];
    size_t n;
    char scratch[FB_REPORT_SCRATCH];
};

static void render(const struct fb_report *r, enum fb_fix_version v, struct rendered *out)
{
    ck_assert_int_eq(fb_report_render(r, v, &out->msg_type, out->f, FB_REPORT_MAX_FIELDS, &out->n,
                                      out->scratch, sizeof out->scratch),
                     FB_OK);
}

static const char *field(const struct rendered *r, int tag)
{
    if (tag == 35)
        return r->msg_type;
    for (size_t i = 0; i < r->n; i++)
        if (r->f[i].tag == tag)
            return r->f[i].value;
    return NULL;
}

/* Checks "tag=value|tag=-|..." against r; where names the step. */
static void expect_fields(const struct rendered *r, const char *expect, const char *where)
{
    char buf[512];
    char *save = NULL, *tok;

    ck_assert_uint_lt(strlen(expect), sizeof buf);
    strcpy(buf, expect);
    for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(tok, '=');
        const char *got;
        int tag;
        ck_assert_msg(eq != NULL, "%s: bad expectation %s", where, tok);
        *eq = '\0';
        tag = atoi(tok);
        got = field(r, tag);
        if (strcmp(eq + 1, "-") == 0)
            ck_assert_msg(got == NULL, "%s: tag %d should be absent, is %s", where, tag, got);
        else
            ck_assert_msg(got && strcmp(got, eq + 1) == 0, "%s: tag %d is %s, expected %s", where,
                          tag, got ? got : "(absent)", eq + 1);
    }
}

/* LeavesQty = OrderQty - CumQty while live, 0 when terminal. */
static void check_quantities(const struct rendered *r, const char *where)
{
    const char *st = field(r, 39), *leaves = field(r, 151), *cum = field(r, 14);
    const char *qty = field(r, 38);
    struct fb_dec want;

    if (strcmp(r->msg_type, "8") != 0)
        return;
    ck_assert_msg(st && leaves && cum && field(r, 6), "%s: 39/151/14/6 missing", where);
    if (strchr("248C", st[0]) || !qty) {
        ck_assert_msg(strcmp(leaves, "0") == 0, "%s: LeavesQty %s on a closed order", where,
                      leaves);
        return;
    }
    ck_assert_int_eq(fb_dec_sub(dec(qty), dec(cum), &want), FB_OK);
    if (fb_dec_sign(want) < 0)
        want = fb_dec_zero();
    ck_assert_msg(fb_dec_cmp(want, dec(leaves)) == 0, "%s: LeavesQty %s != %s - %s", where, leaves,
                  qty, cum);
}

/* ---- the matrix --------------------------------------------------------- */

#define MAX_STEPS 14

struct scenario {
    const char *name;
    enum fb_tif tif;
    struct step steps[MAX_STEPS];
};

/* Column order in the expectations follows the FIX matrices:
 * 150 39 11 41 38 14 151 6 32 31, then what the row is about. */
static const struct scenario matrix[] = {
    {"A.1.a filled order",
     FB_TIF_GTC,
     {
         {"35=8|150=A|39=A|11=X|41=-|38=10000|14=0|151=10000|6=0|32=-|31=-|37=O1|17=1|"
          "54=1|55=BTC-USD|1=ACC1|40=2|44=100|59=1|60=20261124-12:00:00.123",
          ACCEPT},
         {"35=8|150=0|39=0|11=X|14=0|151=10000|6=0|198=V1", ACK("V1")},
         {"35=8|150=F|39=1|11=X|14=2000|151=8000|6=100|32=2000|31=100|30=sim",
          FILL("T1", "2000", "100")},
         {"35=8|150=F|39=1|11=X|14=3000|151=7000|6=100.33333333|32=1000|31=101",
          FILL("T2", "1000", "101")},
         {"35=8|150=F|39=2|11=X|14=10000|151=0|6=100.8|32=7000|31=101", FILL("T3", "7000", "101")},
         {"none", FILL("T3", "7000", "101")}, /* seen before: reported once */
         {"none", FILL("T4", "1", "101"), .err = FB_ERR_STATE},
         {"none", ACK("V1"), .err = FB_ERR_STATE}, /* ack after Filled */
         {"none", EXPIRED, .err = FB_ERR_STATE},
         END,
     }},
    {"B.1.b partial fill then cancel, fill while pending cancel",
     FB_TIF_GTC,
     {
         {"150=A|39=A", ACCEPT},
         {"150=0|39=0", ACK("V1")},
         {"150=F|39=1|11=X|14=2000|151=8000|32=2000", FILL("T1", "2000", "100")},
         {"35=8|150=6|39=6|11=Y|41=X|38=10000|14=2000|151=8000|6=100|32=-", CANCEL("Y")},
         {"35=8|150=F|39=6|11=X|41=-|38=10000|14=3000|151=7000|32=1000|31=100",
          FILL("T2", "1000", "100")},
         {"35=8|150=4|39=4|11=Y|41=X|14=3000|151=0|6=100|58=-", CANCELED(FB_CXL_REQUESTED)},
         {"none", FILL("T3", "1000", "100"), .err = FB_ERR_STATE}, /* fill after Canceled */
         {"none", ACK("V1"), .err = FB_ERR_STATE},
         {"35=9|11=Z|41=Y|39=4|434=1|102=0|37=O1", CANCEL("Z")},
         {"35=9|11=Z|41=Y|39=4|434=2|102=0", REPLACE("Z", "5", "100")},
         {"35=8|150=I|39=4|11=Y|14=3000|151=0", STATUS(NULL)},
         END,
     }},
    {"B.1.c cancel rejected as too late: order filled while pending cancel",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=2000", FILL("T1", "2000", "100")},
         {"150=6|39=6|11=Y|41=X", CANCEL("Y")},
         /* FIX 4.4 precedence: Pending Cancel outranks Filled. */
         {"150=F|39=6|11=X|14=10000|151=0|32=8000", FILL("T2", "8000", "100")},
         {"35=9|11=Y|41=X|39=2|434=1|102=0|37=O1", CANCEL_REJECT(FB_CXLREJ_TOO_LATE)},
         {"150=I|39=2|11=X|14=10000|151=0", STATUS("S1")},
         {"none", CANCEL_REJECT(0), .err = FB_ERR_STATE}, /* nothing pending */
         END,
     }},
    {"B.1.c' venue confirms a cancel after the order filled: too late",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=6|39=6", CANCEL("Y")},
         {"150=F|39=6|14=10000|151=0", FILL("T1", "10000", "100")},
         {"35=9|11=Y|41=X|39=2|434=1|102=0", CANCELED(FB_CXL_REQUESTED)},
         END,
     }},
    {"cancel of a filled order",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=2|14=10000|151=0", FILL("T1", "10000", "100")},
         {"35=9|11=Y|41=X|39=2|434=1|102=0|58=too late: order is filled", CANCEL("Y")},
         {"35=9|11=Z|41=X|39=2|434=2|102=0", REPLACE("Z", "20000", "100")},
         END,
     }},
    {"B.1.d cancel rejected by the venue, order partially filled",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=2000", FILL("T1", "2000", "100")},
         {"150=6|39=6|11=Y|41=X", CANCEL("Y")},
         {"35=9|11=Y|41=X|39=1|434=1|102=0|58=cancel refused by the venue",
          CANCEL_REJECT(FB_CXLREJ_TOO_LATE)},
         {"150=F|39=1|11=X|14=3000|151=7000", FILL("T2", "1000", "100")},
         {"150=6|39=6|11=Z|41=X", CANCEL("Z")},
         {"150=4|39=4|11=Z|41=X|14=3000|151=0", CANCELED(FB_CXL_REQUESTED)},
         END,
     }},
    {"B.1.e cancel before the ack: ack and cancel cross",
     FB_TIF_GTC,
     {
         {"150=A|39=A", ACCEPT},
         {"150=6|39=6|11=Y|41=X|151=10000", CANCEL("Y")},
         {"150=0|39=6|11=X|41=-|151=10000|198=V9", ACK("V9")},
         {"150=4|39=4|11=Y|41=X|151=0|198=V9", CANCELED(FB_CXL_REQUESTED)},
         END,
     }},
    {"cancel refusals: pending, duplicate ClOrdID",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=E|39=E|11=Y|41=X", REPLACE("Y", "12000", "100")},
         {"35=9|11=Z|41=X|39=E|434=1|102=3", CANCEL("Z")},
         {"35=9|11=W|41=X|39=E|434=2|102=3", REPLACE("W", "9000", "100")},
         {"35=9|11=Y|41=X|39=E|434=1|102=6", CANCEL("Y")}, /* the pending id */
         {"35=9|11=X|41=X|39=E|434=1|102=6", CANCEL("X")}, /* the order's id */
         {"35=9|11=Q|41=X|39=E|434=1|102=6", CANCEL("Q"), .in_use = 1},
         END,
     }},
    {"C.1.b replace raising quantity during a partial fill",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|11=X|38=10000|14=1000|151=9000|32=1000", FILL("T1", "1000", "100")},
         {"35=8|150=E|39=E|11=Y|41=X|38=10000|14=1000|151=9000|32=-", REPLACE("Y", "12000", "100")},
         /* Fills while pending: original ClOrdID, original terms. */
         {"150=F|39=E|11=X|41=-|38=10000|14=1100|151=8900|32=100", FILL("T2", "100", "100")},
         {"150=5|39=1|11=Y|41=X|38=12000|14=1100|151=10900|32=-", REPLACED},
         {"150=F|39=2|11=Y|41=-|38=12000|14=12000|151=0|32=10900", FILL("T3", "10900", "100")},
         END,
     }},
    {"C.3.a replace lowering quantity, fill while pending replace, then filled",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=1000|151=9000", FILL("T1", "1000", "100")},
         {"150=E|39=E|11=Y|41=X|38=10000|44=100|151=9000", REPLACE("Y", "8000", "99.5")},
         {"150=F|39=E|11=X|38=10000|44=100|14=1500|151=8500|32=500", FILL("T2", "500", "100")},
         {"150=5|39=1|11=Y|41=X|38=8000|44=99.5|14=1500|151=6500", REPLACED},
         {"150=F|39=2|11=Y|38=8000|14=8000|151=0|31=99.5|6=99.59375", FILL("T3", "6500", "99.5")},
         END,
     }},
    {"C.3.b replace to quantity equal to CumQty: Filled",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=E|39=E|11=Y|151=10000", REPLACE("Y", "7000", "100")},
         {"150=F|39=E|11=X|14=7000|151=3000", FILL("T1", "7000", "100")},
         {"150=5|39=2|11=Y|41=X|38=7000|14=7000|151=0", REPLACED},
         END,
     }},
    {"C.3.c replace to quantity below CumQty: amended to CumQty, Filled",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=E|39=E|11=Y|38=10000", REPLACE("Y", "7000", "100")},
         {"150=F|39=E|11=X|38=10000|14=8000|151=2000", FILL("T1", "8000", "100")},
         {"150=5|39=2|11=Y|41=X|38=8000|14=8000|151=0", REPLACED},
         {"none", FILL("T2", "1", "100"), .err = FB_ERR_STATE},
         END,
     }},
    {"replace request below CumQty refused at once (RoE 5.3)",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=4000|151=6000", FILL("T1", "4000", "100")},
         {"35=9|11=Y|41=X|39=1|434=2|102=2|58=OrderQty 3000 is below CumQty 4000",
          REPLACE("Y", "3000", "100")},
         {"150=I|39=1|11=X|38=10000|14=4000|151=6000", STATUS(NULL)},
         END,
     }},
    {"replace rejected by the venue",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=E|39=E|11=Y|41=X", REPLACE("Y", "5000", "100")},
         {"35=9|11=Y|41=X|39=0|434=2|102=2|58=price band", REPLACE_REJECT(FB_CXLREJ_BROKER),
          .text = "price band"},
         {"150=I|39=0|11=X|38=10000", STATUS(NULL)},
         END,
     }},
    {"IOC remainder killed: Canceled, LeavesQty 0",
     FB_TIF_IOC,
     {
         {"150=A|59=3", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=4000|151=6000", FILL("T1", "4000", "100")},
         {"150=4|39=4|11=X|41=-|14=4000|151=0|58=IOC remainder canceled", CANCELED(FB_CXL_IOC)},
         END,
     }},
    {"FOK not filled: Canceled, LeavesQty 0",
     FB_TIF_FOK,
     {
         {"150=A|59=4", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=4|39=4|11=X|14=0|151=0|6=0|58=FOK not filled", CANCELED(FB_CXL_FOK)},
         END,
     }},
    {"unsolicited cancel by the venue",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=1000", FILL("T1", "1000", "100")},
         {"150=4|39=4|11=X|41=-|14=1000|151=0|58=self-trade prevention",
          CANCELED(FB_CXL_UNSOLICITED), .text = "self-trade prevention"},
         END,
     }},
    {"unsolicited cancel while a replace is pending",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=E|39=E|11=Y", REPLACE("Y", "5000", "100")},
         {"150=4|39=4|11=X|41=-|38=10000|151=0|58=canceled by the venue",
          CANCELED(FB_CXL_UNSOLICITED)},
         {"none", REPLACED, .err = FB_ERR_STATE},
         END,
     }},
    {"rejected by the venue",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"35=8|150=8|39=8|11=X|103=99|14=0|151=0|58=insufficient balance",
          REJECT(FB_ORDREJ_OTHER, "insufficient balance")},
         {"none", ACK(NULL), .err = FB_ERR_STATE},
         {"none", FILL("T1", "1", "100"), .err = FB_ERR_STATE},
         {"35=9|11=Y|41=X|39=8|102=0", CANCEL("Y")},
         {"35=8|150=I|39=8|103=99|151=0", STATUS(NULL)}, /* 103 repeated with 39=8 */
         {"35=8|150=8|39=8|103=6|11=X", DUP("X", "5", 0)},
         END,
     }},
    {"rejected by policy before PendingNew",
     FB_TIF_GTC,
     {
         {"35=8|150=8|39=8|11=X|103=3|151=0|58=exceeds max notional",
          REJECT(FB_ORDREJ_EXCEEDS_LIMIT, "exceeds max notional")},
         {"none", ACCEPT, .err = FB_ERR_STATE},
         END,
     }},
    {"events before the order is accepted are refused",
     FB_TIF_GTC,
     {
         {"none", ACK(NULL), .err = FB_ERR_STATE},
         {"none", FILL("T1", "1", "100"), .err = FB_ERR_STATE},
         {"none", CANCEL("Y"), .err = FB_ERR_STATE},
         {"none", STATUS(NULL), .err = FB_ERR_STATE},
         {"none", REPLACED, .err = FB_ERR_STATE},
         {"150=A", ACCEPT},
         {"none", ACCEPT, .err = FB_ERR_STATE},
         END,
     }},
    {"F.1.b duplicate ClOrdID and PossResend",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0|39=0", ACK(NULL)},
         /* PossResend copy: Order Status, no change. */
         {"35=8|150=I|39=0|11=X|38=10000|14=0|151=10000|32=-", DUP("X", "10000", 1)},
         /* A new order reusing X: rejected with the existing order's state. */
         {"35=8|150=8|39=0|11=X|103=6|38=10000|14=0|151=10000|58=duplicate ClOrdID",
          DUP("X", "20000", 0)},
         /* PossResend with different terms is not a copy. */
         {"35=8|150=8|39=0|103=6|38=10000", DUP("X", "20000", 1)},
         {"150=F|39=1|14=1000|151=9000", FILL("T1", "1000", "100")},
         END,
     }},
    {"status request: no state change",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"35=8|150=I|39=A|11=X|151=10000|790=S0", STATUS("S0")},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=2000|151=8000", FILL("T1", "2000", "100")},
         {"35=8|150=I|39=1|11=X|14=2000|151=8000|6=100|790=S1|32=-|31=-", STATUS("S1")},
         {"150=F|39=1|14=3000|151=7000", FILL("T2", "1000", "100")},
         END,
     }},
    {"GTD expiry",
     FB_TIF_GTD,
     {
         {"150=A|59=6", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|39=1|14=1000", FILL("T1", "1000", "100")},
         {"35=8|150=C|39=C|14=1000|151=0|58=expired: ExpireTime reached", EXPIRED},
         {"none", EXPIRED, .err = FB_ERR_STATE},
         {"none", FILL("T2", "1", "100"), .err = FB_ERR_STATE},
         END,
     }},
    {"fees and liquidity on a fill",
     FB_TIF_GTC,
     {
         {"150=A", ACCEPT},
         {"150=0", ACK(NULL)},
         {"150=F|32=1000|31=100|12=0.05|13=3|479=USD|851=2|30=sim",
          FILL_FEE("T1", "1000", "100", "0.05", "USD")},
         {"150=F|12=-|13=-|479=-|851=-", FILL("T2", "1000", "100")},
         END,
     }},
};

#define MATRIX_N ((int)(sizeof matrix / sizeof matrix[0]))

START_TEST(matrix_scenario)
{
    const struct scenario *sc = &matrix[_i];
    struct fb_new_order no;
    struct fb_order o;
    struct fb_exec_id_seq seq = {"", 1};
    struct fb_order_env env = {&seq, fb_exec_id_seq_next, fake_now};
    char exec_ids[MAX_STEPS][FB_ID_LEN + 1];
    int nids = 0;

    base_order(&no, sc->tif);
    fb_order_init(&o, "O1", "sim", &no);
    for (int i = 0; sc->steps[i].expect; i++) {
        const struct step *s = &sc->steps[i];
        struct fb_order_event ev;
        struct fb_report rep;
        struct rendered r;
        struct fb_order before = o;
        char where[160];
        enum fb_err err;

        snprintf(where, sizeof where, "%s, step %d (%s)", sc->name, i + 1,
                 fb_order_event_name(s->type));
        make_event(s, &o, &ev);
        err = fb_order_apply(&o, &env, &ev, &rep);
        ck_assert_msg(err == s->err, "%s: returned %s, expected %s", where, fb_strerror(err),
                      fb_strerror(s->err));
        if (strcmp(s->expect, "none") == 0) {
            ck_assert_msg(rep.kind == FB_REPORT_NONE, "%s: unexpected report", where);
            if (err) /* refused: nothing changed */
                ck_assert_msg(memcmp(&before, &o, sizeof o) == 0, "%s: order changed", where);
            continue;
        }
        ck_assert_msg(rep.kind != FB_REPORT_NONE, "%s: no report", where);
        render(&rep, FB_FIX_44, &r);
        expect_fields(&r, s->expect, where);
        check_quantities(&r, where);
        if (rep.kind == FB_REPORT_EXEC) {
            for (int j = 0; j < nids; j++)
                ck_assert_msg(strcmp(exec_ids[j], rep.er.exec_id) != 0, "%s: ExecID reused", where);
            strcpy(exec_ids[nids++], rep.er.exec_id);
        }
    }
    fb_order_clear(&o);
}
END_TEST

/* ---- rendering ------------------------------------------------------------ */

/* A fixed sequence used by the rendering tests: the order after events. */
static void run(struct fb_order *o, const struct step *steps, struct fb_report *last)
{
    static struct fb_exec_id_seq seq = {"E", 1};
    struct fb_order_env env = {&seq, fb_exec_id_seq_next, fake_now};
    struct fb_new_order no;

    base_order(&no, FB_TIF_DAY);
    fb_order_init(o, "O7", "binance", &no);
    for (int i = 0; steps[i].expect; i++) {
        struct fb_order_event ev;
        make_event(&steps[i], o, &ev);
        ck_assert_int_eq(fb_order_apply(o, &env, &ev, last), FB_OK);
    }
}

static void expect_exact(const struct rendered *r, const char *msg_type, const int *tags,
                         const char *const *values, size_t n)
{
    ck_assert_str_eq(r->msg_type, msg_type);
    for (size_t i = 0; i < n && i < r->n; i++) {
        ck_assert_msg(r->f[i].tag == tags[i], "field %zu: tag %d, expected %d", i, r->f[i].tag,
                      tags[i]);
        ck_assert_msg(strcmp(r->f[i].value, values[i]) == 0, "tag %d: %s, expected %s", tags[i],
                      r->f[i].value, values[i]);
    }
    ck_assert_uint_eq(r->n, n);
}

START_TEST(render_partial_fill_44_and_42)
{
    static const struct step steps[] = {
        {"", ACCEPT},
        {"", ACK("V77")},
        {"", FILL_FEE("T1", "0.25", "65000.5", "1.625125", "USDT")},
        END,
    };
    static const int tags44[] = {37, 198, 11, 17, 527, 150, 39, 1,   55,  54, 38, 40, 44,
                                 59, 32,  31, 30, 851, 12,  13, 479, 151, 14, 6,  60};
    static const char *const vals44[] = {
        "O7",      "V77",     "X",    "E3",       "T1",
        "F",       "1",       "ACC1", "BTC-USD",  "1",
        "10000",   "2",       "100",  "0",        "0.25",
        "65000.5", "binance", "2",    "1.625125", "3",
        "USDT",    "9999.75", "0.25", "65000.5",  "20261124-12:00:00.123"};
    static const int tags42[] = {37, 198, 11, 17, 20, 150, 39, 1,   55, 54, 38, 40,
                                 44, 59,  32, 31, 30, 12,  13, 151, 14, 6,  60};
    static const char *const vals42[] = {"O7",
                                         "V77",
                                         "X",
                                         "E6",
                                         "0",
                                         "1",
                                         "1",
                                         "ACC1",
                                         "BTC-USD",
                                         "1",
                                         "10000",
                                         "2",
                                         "100",
                                         "0",
                                         "0.25",
                                         "65000.5",
                                         "binance",
                                         "1.625125",
                                         "3",
                                         "9999.75",
                                         "0.25",
                                         "65000.5",
                                         "20261124-12:00:00.123"};
    struct fb_order o;
    struct fb_report rep;
    struct rendered r;

    run(&o, steps, &rep);
    render(&rep, FB_FIX_44, &r);
    expect_exact(&r, "8", tags44, vals44, sizeof tags44 / sizeof tags44[0]);
    fb_order_clear(&o);
    run(&o, steps, &rep); /* the shared ExecID counter has moved on: E6 */
    render(&rep, FB_FIX_42, &r);
    expect_exact(&r, "8", tags42, vals42, sizeof tags42 / sizeof tags42[0]);
    fb_order_clear(&o);
}
END_TEST

/*
 * Short event sequences and fields of the last report, per FIX version:
 * what differs between 4.4 and 4.2, and AvgPx precision.
 */
#define SEQ(...) ((const struct step[]){__VA_ARGS__, END})

struct render_case {
    const char *name;
    const struct step *steps;
    enum fb_fix_version version;
    const char *expect;
};

static const struct render_case render_cases[] = {
    {"4.2 complete fill is ExecType 2",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", FILL("T1", "10000", "100")}), FB_FIX_42,
     "20=0|150=2|39=2|32=10000|31=100|851=-|527=-"},
    {"4.4 complete fill is ExecType F",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", FILL("T1", "10000", "100")}), FB_FIX_44,
     "20=-|150=F|39=2|527=T1"},
    {"4.2 partial fill while pending cancel: ExecType 1, OrdStatus 6",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", CANCEL("Y")}, {"", FILL("T1", "400", "100")}),
     FB_FIX_42, "20=0|150=1|39=6|11=X|14=400|151=9600"},
    {"4.2 status reply: ExecTransType 3, ExecType = OrdStatus",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", STATUS("S1")}), FB_FIX_42,
     "20=3|150=0|39=0|790=-|32=-"},
    {"4.4 status reply: ExecType I, OrdStatusReqID echoed",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", STATUS("S1")}), FB_FIX_44, "20=-|150=I|39=0|790=S1"},
    /* FIX 4.2 D6: a zero-filled order replaced is OrdStatus Replaced... */
    {"4.2 replaced, nothing filled: OrdStatus 5",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", REPLACE("Y", "11000", "100")}, {"", REPLACED}),
     FB_FIX_42, "20=0|150=5|39=5|11=Y|41=X|38=11000|151=11000"},
    {"4.4 replaced, nothing filled: OrdStatus 0",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", REPLACE("Y", "11000", "100")}, {"", REPLACED}),
     FB_FIX_44, "20=-|150=5|39=0|11=Y|41=X|38=11000|151=11000"},
    /* ... D10/D13: Partially Filled takes precedence over Replaced. */
    {"4.2 replaced, part filled: OrdStatus 1",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", FILL("T1", "1000", "100")},
         {"", REPLACE("Y", "11000", "100")}, {"", REPLACED}),
     FB_FIX_42, "20=0|150=5|39=1|38=11000|14=1000|151=10000"},
    /* AvgPx: the most LastPx digits seen plus 8, HALF_EVEN, at most 18. */
    {"AvgPx, prices with 2 places",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", FILL("T1", "1", "65000.5")},
         {"", FILL("T2", "2", "65000.25")}),
     FB_FIX_44, "14=3|6=65000.3333333333"},
    {"AvgPx, prices with 1 place",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", FILL("T1", "1", "0.1")}, {"", FILL("T2", "2", "0.2")}),
     FB_FIX_44, "14=3|6=0.166666667"},
    {"AvgPx exact at 17 places",
     SEQ({"", ACCEPT}, {"", ACK(NULL)}, {"", FILL("T1", "0.00000001", "70000.123456789")},
         {"", FILL("T2", "0.00000003", "70000.123456791")}),
     FB_FIX_44, "14=0.00000004|6=70000.1234567905"},
};

#define RENDER_N ((int)(sizeof render_cases / sizeof render_cases[0]))

START_TEST(render_case)
{
    const struct render_case *rc = &render_cases[_i];
    struct fb_order o;
    struct fb_report rep;
    struct rendered r;

    run(&o, rc->steps, &rep);
    render(&rep, rc->version, &r);
    expect_fields(&r, rc->expect, rc->name);
    fb_order_clear(&o);
}
END_TEST

START_TEST(render_rejects_44_and_42)
{
    static const struct step rejected[] = {
        {"", REJECT(FB_ORDREJ_UNSUPPORTED, "post-only not supported for IOC")}, END};
    static const struct step dup_cancel[] = {{"", ACCEPT}, {"", CANCEL("X")}, END};
    static const int tags9[] = {37, 11, 41, 39, 1, 60, 434, 102, 58};
    static const char *const vals9_44[] = {
        "O7", "X", "X", "A", "ACC1", "20261124-12:00:00.123", "1", "6", "duplicate ClOrdID"};
    static const char *const vals9_42[] = {
        "O7", "X", "X", "A", "ACC1", "20261124-12:00:00.123", "1", "2", "duplicate ClOrdID"};
    struct fb_order o;
    struct fb_report rep;
    struct rendered r;

    run(&o, rejected, &rep);
    render(&rep, FB_FIX_44, &r);
    expect_fields(&r, "150=8|39=8|103=11|151=0|58=post-only not supported for IOC", "4.4");
    render(&rep, FB_FIX_42, &r);
    expect_fields(&r, "20=0|150=8|39=8|103=0|58=post-only not supported for IOC", "4.2");
    fb_order_clear(&o);

    run(&o, dup_cancel, &rep);
    render(&rep, FB_FIX_44, &r);
    expect_exact(&r, "9", tags9, vals9_44, sizeof tags9 / sizeof tags9[0]);
    render(&rep, FB_FIX_42, &r);
    expect_exact(&r, "9", tags9, vals9_42, sizeof tags9 / sizeof tags9[0]);
    fb_order_clear(&o);

    fb_report_unknown_order_reject(&rep, 2, "C9", "C1", FB_CXL_RESPONSE_REPLACE, T0, NULL);
    ck_assert_uint_eq(rep.cxl.session, 2);
    render(&rep, FB_FIX_44, &r);
    expect_fields(&r, "35=9|37=NONE|11=C9|41=C1|39=8|434=2|102=1|58=unknown order|1=-",
                  "unknown order");
}
END_TEST

START_TEST(render_limits)
{
    static const struct step steps[] = {
        {"", ACCEPT}, {"", ACK("V1")}, {"", FILL("T1", "1", "100")}, END};
    struct fb_order o;
    struct fb_report rep;
    struct rendered r;
    const char *mt;
    size_t n = 99;

    run(&o, steps, &rep);
    ck_assert_int_eq(
        fb_report_render(&rep, FB_FIX_44, &mt, r.f, 5, &n, r.scratch, sizeof r.scratch),
        FB_ERR_TOO_LARGE);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(
        fb_report_render(&rep, FB_FIX_44, &mt, r.f, FB_REPORT_MAX_FIELDS, &n, r.scratch, 16),
        FB_ERR_TOO_LARGE);
    rep.er.exec_type = FB_EXEC_TYPE_LAST;
    ck_assert_int_eq(fb_report_render(&rep, FB_FIX_44, &mt, r.f, FB_REPORT_MAX_FIELDS, &n,
                                      r.scratch, sizeof r.scratch),
                     FB_ERR_INVALID);
    rep.kind = FB_REPORT_NONE;
    ck_assert_int_eq(fb_report_render(&rep, FB_FIX_44, &mt, r.f, FB_REPORT_MAX_FIELDS, &n,
                                      r.scratch, sizeof r.scratch),
                     FB_ERR_INVALID);
    fb_order_clear(&o);
}
END_TEST

START_TEST(time_and_wire_values)
{
    char buf[FB_FIX_TIME_STRMAX];

    ck_assert_uint_eq(fb_fix_format_time(0, buf), 21);
    ck_assert_str_eq(buf, "19700101-00:00:00.000");
    fb_fix_format_time(T0, buf);
    ck_assert_str_eq(buf, "20261124-12:00:00.123");
    fb_fix_format_time(951782400999999999LL, buf); /* leap day, last ns */
    ck_assert_str_eq(buf, "20000229-00:00:00.999");
    fb_fix_format_time(4102444799000000000LL, buf);
    ck_assert_str_eq(buf, "20991231-23:59:59.000");

    ck_assert_str_eq(fb_side_fix(FB_SIDE_SELL), "2");
    ck_assert_str_eq(fb_ord_type_fix(FB_ORD_STOP_LIMIT), "4");
    ck_assert_str_eq(fb_tif_fix(FB_TIF_GTD), "6");
    ck_assert_str_eq(fb_ord_status_fix(FB_ST_PENDING_REPLACE), "E");
    ck_assert_ptr_null(fb_ord_status_fix(FB_ST_NONE));
    ck_assert_ptr_null(fb_side_fix(FB_SIDE_LAST));
    for (int s = 0; s < FB_ST_LAST; s++)
        ck_assert_str_ne(fb_order_state_name((enum fb_order_state)s), "?");
    for (int t = 0; t < FB_EXEC_TYPE_LAST; t++)
        ck_assert_str_ne(fb_exec_type_name((enum fb_exec_type)t), "?");
    for (int e = 0; e < FB_OEV_LAST; e++)
        ck_assert_str_ne(fb_order_event_name((enum fb_order_event_type)e), "?");
}
END_TEST

START_TEST(exec_ids_unique_and_bounded)
{
    struct fb_exec_id_seq a, b;
    char x[FB_ID_LEN + 1], y[FB_ID_LEN + 1], tiny[4];

    fb_exec_id_seq_init(&a, T0);
    fb_exec_id_seq_init(&b, T0 + 1); /* the next run */
    ck_assert_int_eq(fb_exec_id_seq_next(&a, x, sizeof x), FB_OK);
    ck_assert_int_eq(fb_exec_id_seq_next(&b, y, sizeof y), FB_OK);
    ck_assert_str_ne(x, y);
    ck_assert_int_eq(fb_exec_id_seq_next(&a, y, sizeof y), FB_OK);
    ck_assert_str_ne(x, y);
    ck_assert_int_eq(fb_exec_id_seq_next(&a, tiny, sizeof tiny), FB_ERR_TOO_LARGE);
}
END_TEST

/* Refused events leave no trace, a failing ExecID source changes nothing,
 * and malformed fills are refused. */
static enum fb_err failing_exec_id(void *user, char *buf, size_t size)
{
    (void)user;
    (void)buf;
    (void)size;
    return FB_ERR_IO;
}

START_TEST(failures_change_nothing)
{
    struct fb_exec_id_seq seq = {"F", 1};
    struct fb_order_env env = {&seq, fb_exec_id_seq_next, fake_now};
    struct fb_order_env bad = {NULL, failing_exec_id, fake_now};
    struct fb_new_order no;
    struct fb_order o, before;
    struct fb_order_event ev;
    struct fb_report rep;
    static const struct step accept = {"", ACCEPT}, ack = {"", ACK(NULL)};
    static const struct step fills[] = {
        {"", FILL("T1", "0", "100")},     /* zero qty */
        {"", FILL("T1", "1", "0")},       /* zero price */
        {"", FILL("", "1", "100")},       /* no trade id */
        {"", FILL("T1", "10001", "100")}, /* beyond OrderQty */
    };

    base_order(&no, FB_TIF_GTC);
    fb_order_init(&o, "O1", "sim", &no);
    make_event(&accept, &o, &ev);
    before = o;
    ck_assert_int_eq(fb_order_apply(&o, &bad, &ev, &rep), FB_ERR_IO);
    ck_assert_int_eq(rep.kind, FB_REPORT_NONE);
    ck_assert_int_eq(memcmp(&before, &o, sizeof o), 0);
    ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    make_event(&ack, &o, &ev);
    ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        make_event(&fills[i], &o, &ev);
        before = o;
        ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_ERR_INVALID);
        ck_assert_int_eq(rep.kind, FB_REPORT_NONE);
        ck_assert_int_eq(memcmp(&before, &o, sizeof o), 0);
    }
    ev.type = FB_OEV_LAST;
    ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_ERR_INVALID);
    ck_assert_int_eq(o.state, FB_ST_NEW);
    fb_order_clear(&o);
}
END_TEST

/* AvgPx precision (RoE 6.1): the instrument's price precision (the tick's
 * digits, from translate) plus 8; a LastPx with more digits widens it. */
static const struct {
    uint8_t px_places;
    const char *q1, *p1, *q2, *p2;
    const char *avg_px;
} avg_cases[] = {
    {0, "2000", "100", "1000", "101", "100.33333333"},
    {2, "2000", "100", "1000", "101", "100.3333333333"},
    {2, "2.5", "150", "5", "152", "151.3333333333"},
    {0, "1", "100.125", "2", "100", "100.04166666667"},
    {12, "1", "1", "2", "2", "1.666666666666666667"}, /* at most 18 digits */
};

START_TEST(avg_px_precision)
{
    struct fb_exec_id_seq seq = {"P", 1};
    struct fb_order_env env = {&seq, fb_exec_id_seq_next, fake_now};
    struct fb_new_order no;
    struct fb_order o;
    struct fb_order_event ev;
    struct fb_report rep;
    char avg[FB_DEC_STRMAX];
    const struct step steps[] = {
        {"", ACCEPT},
        {"", ACK(NULL)},
        {"", FILL("T1", avg_cases[_i].q1, avg_cases[_i].p1)},
        {"", FILL("T2", avg_cases[_i].q2, avg_cases[_i].p2)},
    };

    base_order(&no, FB_TIF_GTC);
    no.px_places = avg_cases[_i].px_places;
    fb_order_init(&o, "O1", "sim", &no);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        make_event(&steps[i], &o, &ev);
        ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    }
    fb_dec_format(o.avg_px, avg);
    ck_assert_str_eq(avg, avg_cases[_i].avg_px);
    fb_order_clear(&o);
}
END_TEST

/* A cancel or replace naming another Side or Symbol is refused with
 * CxlRejReason 2 (RoE 6.2) and changes nothing. */
static const struct {
    enum fb_order_event_type type;
    enum fb_side side;
    const char *symbol;
} mismatch_cases[] = {
    {FB_OEV_CANCEL_REQUEST, FB_SIDE_SELL, "BTC-USD"},
    {FB_OEV_CANCEL_REQUEST, FB_SIDE_BUY, "ETH-USD"},
    {FB_OEV_REPLACE_REQUEST, FB_SIDE_SELL, "BTC-USD"},
    {FB_OEV_REPLACE_REQUEST, FB_SIDE_BUY, "ETH-USD"},
};

START_TEST(request_mismatch_refused)
{
    struct fb_exec_id_seq seq = {"M", 1};
    struct fb_order_env env = {&seq, fb_exec_id_seq_next, fake_now};
    struct fb_new_order no;
    struct fb_order o;
    struct fb_order_event ev;
    struct fb_report rep;
    static const struct step setup[] = {{"", ACCEPT}, {"", ACK(NULL)}};
    const struct step req = {"", .type = mismatch_cases[_i].type, .a = "Y", .b = "5000",
                             .c = "100"};

    base_order(&no, FB_TIF_GTC);
    fb_order_init(&o, "O1", "sim", &no);
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++) {
        make_event(&setup[i], &o, &ev);
        ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    }
    make_event(&req, &o, &ev);
    if (req.type == FB_OEV_CANCEL_REQUEST) {
        ev.u.cancel.side = mismatch_cases[_i].side;
        strcpy(ev.u.cancel.symbol, mismatch_cases[_i].symbol);
    } else {
        ev.u.replace.side = mismatch_cases[_i].side;
        strcpy(ev.u.replace.symbol, mismatch_cases[_i].symbol);
    }
    ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    ck_assert_int_eq(rep.kind, FB_REPORT_CANCEL_REJECT);
    ck_assert_int_eq(rep.cxl.reason, FB_CXLREJ_BROKER);
    ck_assert_int_eq(o.state, FB_ST_NEW);
    ck_assert_int_eq(o.pending.kind, FB_PENDING_NONE);
    fb_order_clear(&o);
}
END_TEST

/* An order sized by CashOrderQty gets its OrderQty from the venue's last
 * fill. */
START_TEST(cash_order_qty)
{
    struct fb_exec_id_seq seq = {"C", 1};
    struct fb_order_env env = {&seq, fb_exec_id_seq_next, fake_now};
    struct fb_new_order no;
    struct fb_order o;
    struct fb_order_event ev;
    struct fb_report rep;
    struct rendered r;
    static const struct step steps[] = {
        {"", ACCEPT}, {"", ACK(NULL)}, {"", FILL("T1", "0.01", "50000")}};

    base_order(&no, FB_TIF_IOC);
    no.terms.ord_type = FB_ORD_MARKET;
    no.terms.qty = fb_dec_zero();
    no.terms.price = fb_dec_zero();
    no.terms.cash_qty = dec("1000");
    fb_order_init(&o, "O1", "sim", &no);
    for (size_t i = 0; i < 3; i++) {
        make_event(&steps[i], &o, &ev);
        ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    }
    render(&rep, FB_FIX_44, &r);
    expect_fields(&r, "150=F|39=1|38=-|152=1000|40=1|44=-|14=0.01", "cash first fill");
    make_event(&(struct step){"", FILL("T2", "0.01", "50000")}, &o, &ev);
    ev.u.fill.last = 1;
    ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    render(&rep, FB_FIX_44, &r);
    expect_fields(&r, "150=F|39=2|38=0.02|152=1000|14=0.02|151=0|6=50000", "cash last fill");
    fb_order_clear(&o);
}
END_TEST

/* ---- spec/bridge_tags.txt ---------------------------------------------- */

struct spec_line {
    char words[64][16];
    int n;
};

/* Reads the "out" and "enum" lines of spec/bridge_tags.txt. */
static int spec_load(struct spec_line *lines, int max)
{
    const char *dir = getenv("FB_SOURCE_DIR");
    char path[512], buf[512];
    FILE *f;
    int n = 0;

    snprintf(path, sizeof path, "%s/spec/bridge_tags.txt", dir ? dir : FB_SOURCE_DIR);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    while (fgets(buf, sizeof buf, f) && n < max) {
        char *save = NULL, *w, *hash = strchr(buf, '#');
        struct spec_line *l = &lines[n];
        if (hash)
            *hash = '\0';
        l->n = 0;
        for (w = strtok_r(buf, " \t\n", &save); w && l->n < 64; w = strtok_r(NULL, " \t\n", &save))
            snprintf(l->words[l->n++], sizeof l->words[0], "%s", w);
        if (l->n >= 3 && (strcmp(l->words[1], "enum") == 0 || strcmp(l->words[2], "out") == 0))
            n++;
    }
    fclose(f);
    return n;
}

/* 1 if the spec lists `what` (a tag for "out", a value for "enum") on the
 * line "<version> <key> <kind> ..." ("FIX.4.4 8 out", "FIX.4.4 enum 150"). */
static int spec_has(const struct spec_line *lines, int n, const char *version, const char *a,
                    const char *b, const char *what)
{
    for (int i = 0; i < n; i++) {
        const struct spec_line *l = &lines[i];
        if (strcmp(l->words[0], version) || strcmp(l->words[1], a) || strcmp(l->words[2], b))
            continue;
        for (int j = 3; j < l->n; j++)
            if (strcmp(l->words[j], what) == 0)
                return 1;
        return 0;
    }
    return -1; /* no such line */
}

static void spec_check(const struct spec_line *lines, int n, enum fb_fix_version v,
                       const struct fb_report *rep)
{
    static const int enum_tags[] = {54, 40, 59, 18, 39, 150, 20, 103, 102, 434, 13, 851};
    const char *version = v == FB_FIX_44 ? "FIX.4.4" : "FIX.4.2";
    struct rendered r;
    char tag[16];

    render(rep, v, &r);
    for (size_t i = 0; i < r.n; i++) {
        snprintf(tag, sizeof tag, "%d", r.f[i].tag);
        ck_assert_msg(spec_has(lines, n, version, r.msg_type, "out", tag) == 1,
                      "%s %s: tag %s is not in spec/bridge_tags.txt", version, r.msg_type, tag);
        for (size_t k = 0; k < sizeof enum_tags / sizeof enum_tags[0]; k++) {
            if (r.f[i].tag != enum_tags[k])
                continue;
            ck_assert_msg(spec_has(lines, n, version, "enum", tag, r.f[i].value) == 1,
                          "%s %s: %s=%s is not in spec/bridge_tags.txt", version, r.msg_type, tag,
                          r.f[i].value);
        }
    }
}

START_TEST(tags_and_values_match_spec)
{
    static struct spec_line lines[256];
    static const int rej_reasons[] = {0, 1, 2, 3, 4, 5, 6, 11, 13, 15, 99};
    static const int cxl_reasons[] = {0, 1, 2, 3, 6, 99};
    int n = spec_load(lines, 256);
    struct fb_report rep;
    struct fb_exec_report *er = &rep.er;

    ck_assert_int_gt(n, 10);
    for (int v = 0; v < FB_FIX_VERSION_LAST; v++) {
        /* An ExecutionReport with every optional field set, in every
         * combination of ExecType, OrdStatus, OrdRejReason, side, type, TIF. */
        memset(&rep, 0, sizeof rep);
        rep.kind = FB_REPORT_EXEC;
        strcpy(er->order_id, "O1");
        strcpy(er->secondary_order_id, "V1");
        strcpy(er->exec_id, "E1");
        strcpy(er->cl_ord_id, "Y");
        strcpy(er->orig_cl_ord_id, "X");
        strcpy(er->ord_status_req_id, "S1");
        strcpy(er->mass_status_req_id, "M1");
        er->tot_num_reports = 3;
        er->last_rpt_requested = 1;
        strcpy(er->account, "A");
        strcpy(er->symbol, "BTC-USD");
        strcpy(er->security_exchange, "XBIN");
        strcpy(er->ex_destination, "binance");
        er->terms.qty = dec("2");
        er->terms.cash_qty = dec("100");
        er->terms.price = dec("50");
        er->terms.stop_px = dec("49");
        er->terms.max_floor = dec("1");
        er->terms.expire_time_ns = T0;
        er->terms.post_only = 1;
        er->last_qty = dec("1");
        er->last_px = dec("50");
        strcpy(er->secondary_exec_id, "T1");
        strcpy(er->last_mkt, "binance");
        er->has_commission = 1;
        er->commission = dec("0.1");
        strcpy(er->commission_ccy, "USDT");
        er->cum_qty = dec("1");
        er->leaves_qty = dec("1");
        er->avg_px = dec("50");
        er->transact_time_ns = T0;
        strcpy(er->text, "t");
        for (int e = 0; e < FB_EXEC_TYPE_LAST; e++)
            for (int st = FB_ST_PENDING_NEW; st < FB_ST_LAST; st++)
                for (size_t k = 0; k < sizeof rej_reasons / sizeof rej_reasons[0]; k++) {
                    er->exec_type = (enum fb_exec_type)e;
                    er->ord_status = (enum fb_order_state)st;
                    er->ord_rej_reason = rej_reasons[k];
                    er->liquidity = (enum fb_liquidity)(k % FB_LIQ_LAST);
                    er->side = (enum fb_side)(k % FB_SIDE_LAST);
                    er->terms.ord_type = (enum fb_ord_type)(k % FB_ORD_TYPE_LAST);
                    er->terms.tif = (enum fb_tif)(k % FB_TIF_LAST);
                    spec_check(lines, n, (enum fb_fix_version)v, &rep);
                }
        /* Cancel rejects. */
        memset(&rep, 0, sizeof rep);
        fb_report_unknown_order_reject(&rep, 0, "Y", "X", FB_CXL_RESPONSE_CANCEL, T0, "t");
        strcpy(rep.cxl.secondary_order_id, "V1");
        strcpy(rep.cxl.account, "A");
        for (int st = FB_ST_PENDING_NEW; st < FB_ST_LAST; st++)
            for (size_t k = 0; k < sizeof cxl_reasons / sizeof cxl_reasons[0]; k++) {
                rep.cxl.ord_status = (enum fb_order_state)st;
                rep.cxl.reason = cxl_reasons[k];
                rep.cxl.response_to = (enum fb_cxl_rej_response_to)(k % FB_CXL_RESPONSE_LAST);
                spec_check(lines, n, (enum fb_fix_version)v, &rep);
            }
    }
}
END_TEST

START_TEST(echoes_and_mass_status)
{
    struct fb_exec_id_seq seq = {"M", 1};
    struct fb_order_env env = {&seq, fb_exec_id_seq_next, fake_now};
    struct fb_new_order no;
    struct fb_order o;
    struct fb_order_event ev;
    struct fb_report rep;
    struct rendered r;

    base_order(&no, FB_TIF_GTC);
    strcpy(no.security_exchange, "XBIN");
    strcpy(no.ex_destination, "binance");
    fb_order_init(&o, "O1", "binance", &no);
    memset(&ev, 0, sizeof ev);
    ev.type = FB_OEV_ACCEPT;
    ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    render(&rep, FB_FIX_44, &r);
    expect_fields(&r, "207=XBIN|100=binance", "echo");
    ev.type = FB_OEV_STATUS;
    strcpy(ev.u.status.mass_status_req_id, "AF1");
    ev.u.status.tot_num_reports = 2;
    ev.u.status.last_rpt_requested = 1;
    ck_assert_int_eq(fb_order_apply(&o, &env, &ev, &rep), FB_OK);
    render(&rep, FB_FIX_44, &r);
    expect_fields(&r, "150=I|39=A|584=AF1|911=2|912=Y|790=-|207=XBIN", "mass status");
    render(&rep, FB_FIX_42, &r);
    expect_fields(&r, "20=3|150=A|584=-|911=-|912=-", "mass status 4.2");
    fb_order_clear(&o);
}
END_TEST

static Suite *order_suite(void)
{
    Suite *s = suite_create("order");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, matrix_scenario, 0, MATRIX_N);
    tcase_add_test(tc, render_partial_fill_44_and_42);
    tcase_add_loop_test(tc, render_case, 0, RENDER_N);
    tcase_add_test(tc, render_rejects_44_and_42);
    tcase_add_test(tc, time_and_wire_values);
    tcase_add_test(tc, exec_ids_unique_and_bounded);
    tcase_add_test(tc, cash_order_qty);
    tcase_add_loop_test(tc, request_mismatch_refused, 0,
                        sizeof mismatch_cases / sizeof mismatch_cases[0]);
    tcase_add_loop_test(tc, avg_px_precision, 0, sizeof avg_cases / sizeof avg_cases[0]);
    tcase_add_test(tc, tags_and_values_match_spec);
    tcase_add_test(tc, echoes_and_mass_status);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, render_limits);
    tcase_add_test(tc, failures_change_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(order_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
