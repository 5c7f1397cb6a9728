/*
 * translate.c -- see translate.h.
 *
 * Layout: tag numbers; the per-message tag tables (what is read, what is
 * required); the value tables (Side, OrdType, TimeInForce, ...: one row per
 * FIX value, supported or not, so every refusal can name the value); the
 * reason table (problem -> FIX reason per channel and version); then the
 * readers and one function per message type.
 */
#include "bridge/translate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- tags ---- */

enum {
    TAG_ACCOUNT = 1,
    TAG_CL_ORD_ID = 11,
    TAG_EXEC_INST = 18,
    TAG_HANDL_INST = 21,
    TAG_MSG_TYPE = 35,
    TAG_ORDER_ID = 37,
    TAG_ORDER_QTY = 38,
    TAG_ORD_TYPE = 40,
    TAG_ORIG_CL_ORD_ID = 41,
    TAG_PRICE = 44,
    TAG_SIDE = 54,
    TAG_SYMBOL = 55,
    TAG_TEXT = 58,
    TAG_TIF = 59,
    TAG_TRANSACT_TIME = 60,
    TAG_POSS_RESEND = 97,
    TAG_STOP_PX = 99,
    TAG_EX_DESTINATION = 100,
    TAG_MAX_FLOOR = 111,
    TAG_CURRENCY = 15,
    TAG_SECURITY_EXCHANGE = 207,
    TAG_NO_TRADING_SESSIONS = 386,
    TAG_EXPIRE_TIME = 126,
    TAG_CASH_ORDER_QTY = 152,
    TAG_MASS_CANCEL_TYPE = 530,
    TAG_MASS_STATUS_REQ_ID = 584,
    TAG_MASS_STATUS_TYPE = 585,
    TAG_ORD_STATUS_REQ_ID = 790
};

#define TR_REQ(tag, name)                                                                          \
    {                                                                                              \
        tag, name, 1, 0                                                                            \
    }
#define TR_OPT(tag, name)                                                                          \
    {                                                                                              \
        tag, name, 0, 0                                                                            \
    }
#define TR_HDR(tag, name)                                                                          \
    {                                                                                              \
        tag, name, 0, 1                                                                            \
    }
#define TR_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The most tags any message reads (checked by a test through the export). */
#define TR_MAX_TAGS 24

/* ---- what each message reads ---- */

/* HandlInst(21) is required in FIX 4.2 and optional in 4.4; otherwise the
 * versions read the same tags, except OrdStatusReqID, new in 4.3. */
#define TR_ORDER_TAGS(handl_inst)                                                                  \
    TR_REQ(TAG_CL_ORD_ID, "ClOrdID"), TR_OPT(TAG_ACCOUNT, "Account"), handl_inst,                  \
        TR_OPT(TAG_EXEC_INST, "ExecInst"), TR_OPT(TAG_MAX_FLOOR, "MaxFloor"),                      \
        TR_OPT(TAG_EX_DESTINATION, "ExDestination"), TR_REQ(TAG_SYMBOL, "Symbol"),                 \
        TR_REQ(TAG_SIDE, "Side"), TR_REQ(TAG_TRANSACT_TIME, "TransactTime"),                       \
        TR_OPT(TAG_ORDER_QTY, "OrderQty"), TR_OPT(TAG_CASH_ORDER_QTY, "CashOrderQty"),             \
        TR_REQ(TAG_ORD_TYPE, "OrdType"), TR_OPT(TAG_PRICE, "Price"),                               \
        TR_OPT(TAG_STOP_PX, "StopPx"), TR_OPT(TAG_TIF, "TimeInForce"),                             \
        TR_OPT(TAG_EXPIRE_TIME, "ExpireTime"), TR_OPT(TAG_TEXT, "Text"),                           \
        TR_OPT(TAG_CURRENCY, "Currency"), TR_OPT(TAG_SECURITY_EXCHANGE, "SecurityExchange"),       \
        TR_OPT(TAG_NO_TRADING_SESSIONS, "NoTradingSessions")

static const struct fb_tr_tag tags_d44[] = {
    TR_ORDER_TAGS(TR_OPT(TAG_HANDL_INST, "HandlInst")),
    TR_HDR(TAG_POSS_RESEND, "PossResend"),
};
static const struct fb_tr_tag tags_d42[] = {
    TR_ORDER_TAGS(TR_REQ(TAG_HANDL_INST, "HandlInst")),
    TR_HDR(TAG_POSS_RESEND, "PossResend"),
};
static const struct fb_tr_tag tags_g44[] = {
    TR_OPT(TAG_ORDER_ID, "OrderID"),
    TR_REQ(TAG_ORIG_CL_ORD_ID, "OrigClOrdID"),
    TR_ORDER_TAGS(TR_OPT(TAG_HANDL_INST, "HandlInst")),
};
static const struct fb_tr_tag tags_g42[] = {
    TR_OPT(TAG_ORDER_ID, "OrderID"),
    TR_REQ(TAG_ORIG_CL_ORD_ID, "OrigClOrdID"),
    TR_ORDER_TAGS(TR_REQ(TAG_HANDL_INST, "HandlInst")),
};
static const struct fb_tr_tag tags_f[] = {
    TR_REQ(TAG_ORIG_CL_ORD_ID, "OrigClOrdID"),
    TR_OPT(TAG_ORDER_ID, "OrderID"),
    TR_REQ(TAG_CL_ORD_ID, "ClOrdID"),
    TR_REQ(TAG_SYMBOL, "Symbol"),
    TR_REQ(TAG_SIDE, "Side"),
    TR_REQ(TAG_TRANSACT_TIME, "TransactTime"),
    TR_OPT(TAG_TEXT, "Text"),
};
static const struct fb_tr_tag tags_h44[] = {
    TR_OPT(TAG_ORDER_ID, "OrderID"),
    TR_REQ(TAG_CL_ORD_ID, "ClOrdID"),
    TR_OPT(TAG_ORD_STATUS_REQ_ID, "OrdStatusReqID"),
    TR_REQ(TAG_SYMBOL, "Symbol"),
    TR_REQ(TAG_SIDE, "Side"),
};
static const struct fb_tr_tag tags_h42[] = {
    TR_OPT(TAG_ORDER_ID, "OrderID"),
    TR_REQ(TAG_CL_ORD_ID, "ClOrdID"),
    TR_REQ(TAG_SYMBOL, "Symbol"),
    TR_REQ(TAG_SIDE, "Side"),
};
static const struct fb_tr_tag tags_q[] = {
    TR_REQ(TAG_CL_ORD_ID, "ClOrdID"),
    TR_REQ(TAG_MASS_CANCEL_TYPE, "MassCancelRequestType"),
    TR_OPT(TAG_SYMBOL, "Symbol"),
    TR_OPT(TAG_SIDE, "Side"),
    TR_REQ(TAG_TRANSACT_TIME, "TransactTime"),
    TR_OPT(TAG_TEXT, "Text"),
};
static const struct fb_tr_tag tags_af[] = {
    TR_REQ(TAG_MASS_STATUS_REQ_ID, "MassStatusReqID"),
    TR_REQ(TAG_MASS_STATUS_TYPE, "MassStatusReqType"),
    TR_OPT(TAG_ACCOUNT, "Account"),
    TR_OPT(TAG_SYMBOL, "Symbol"),
    TR_OPT(TAG_SIDE, "Side"),
};

#define TR_MSG(type, ver, arr)                                                                     \
    {                                                                                              \
        type, ver, arr, TR_COUNT(arr)                                                              \
    }
static const struct fb_tr_msg_tags tag_tables[] = {
    TR_MSG("D", FB_FIX_44, tags_d44), TR_MSG("D", FB_FIX_42, tags_d42),
    TR_MSG("F", FB_FIX_44, tags_f),   TR_MSG("F", FB_FIX_42, tags_f),
    TR_MSG("G", FB_FIX_44, tags_g44), TR_MSG("G", FB_FIX_42, tags_g42),
    TR_MSG("H", FB_FIX_44, tags_h44), TR_MSG("H", FB_FIX_42, tags_h42),
    TR_MSG("q", FB_FIX_44, tags_q),   TR_MSG("AF", FB_FIX_44, tags_af),
};

const struct fb_tr_msg_tags *fb_tr_tag_tables(size_t *count)
{
    if (count != NULL)
        *count = TR_COUNT(tag_tables);
    return tag_tables;
}

/* ---- reasons: problem -> FIX reason code, per channel and version ---- */

/*
 * FIX 4.2 lacks OrdRejReason 11/13/99 and CxlRejReason 99 (both added in
 * 4.3), so 4.2 sessions get "broker option" there and the Text says why.
 * Session-level problems use 373: 1 required tag missing, 4 tag without a
 * value, 5 value out of range, 6 incorrect data format.
 */
struct tr_reasons {
    int session;                      /* 373, 0 = not a session-level problem */
    int ord_rej[FB_FIX_VERSION_LAST]; /* 103, indexed by version */
    int cxl_rej[FB_FIX_VERSION_LAST]; /* 102 */
    int mass_rej;                     /* 532 */
    int business;                     /* 380 */
};

static const struct tr_reasons reasons[FB_TRP_LAST] = {
    /*                           373  103 4.2/4.4  102 4.2/4.4  532  380 */
    [FB_TRP_NONE] = {0, {0, 0}, {0, 0}, 0, 0},
    [FB_TRP_UNSUPPORTED_MSG] = {0, {0, 11}, {2, 2}, 0, 3},
    [FB_TRP_REQUIRED_MISSING] = {1, {0, 0}, {0, 0}, 0, 0},
    [FB_TRP_BAD_FORMAT] = {6, {0, 0}, {0, 0}, 0, 0},
    [FB_TRP_BAD_VALUE] = {5, {0, 0}, {0, 0}, 0, 0},
    [FB_TRP_COND_MISSING] = {0, {0, 99}, {2, 99}, 99, 5},
    [FB_TRP_TOO_LONG] = {0, {0, 99}, {2, 99}, 99, 0},
    [FB_TRP_UNKNOWN_SYMBOL] = {0, {1, 1}, {2, 99}, 1, 2},
    [FB_TRP_NO_ROUTE] = {0, {0, 0}, {2, 2}, 99, 0},
    [FB_TRP_UNSUPPORTED] = {0, {0, 11}, {2, 2}, 0, 0},
    [FB_TRP_BAD_QTY] = {0, {0, 13}, {2, 99}, 99, 0},
    [FB_TRP_BAD_PRICE] = {0, {0, 99}, {2, 99}, 99, 0},
    [FB_TRP_BAD_EXPIRE] = {0, {0, 99}, {2, 99}, 99, 0},
    [FB_TRP_EMPTY_VALUE] = {4, {0, 0}, {0, 0}, 0, 0},
    [FB_TRP_INVALID_MSG_TYPE] = {11, {0, 0}, {0, 0}, 0, 0},
};

/* ---- value tables ---- */

/* A FIX enumeration value: every value FIX defines has a row, so a refusal
 * can say what the OMS asked for; `value` is meaningful only if supported. */
struct tr_value {
    const char *fix;
    const char *name;
    uint8_t supported;
    int value;
};

static const struct tr_value side_values[] = {
    {"1", "buy", 1, FB_SIDE_BUY}, {"2", "sell", 1, FB_SIDE_SELL},
    {"3", "buy minus", 0, 0},     {"4", "sell plus", 0, 0},
    {"5", "sell short", 0, 0},    {"6", "sell short exempt", 0, 0},
    {"7", "undisclosed", 0, 0},   {"8", "cross", 0, 0},
    {"9", "cross short", 0, 0},   {"A", "cross short exempt", 0, 0},
    {"B", "as defined", 0, 0},    {"C", "opposite", 0, 0},
    {"D", "subscribe", 0, 0},     {"E", "redeem", 0, 0},
    {"F", "lend", 0, 0},          {"G", "borrow", 0, 0},
};

/* HandlInst(21): any of the three is fine; we route automatically anyway. */
static const struct tr_value handl_inst_values[] = {
    {"1", "automated, no intervention", 1, 1},
    {"2", "automated, intervention OK", 1, 2},
    {"3", "manual", 1, 3},
};

static const struct tr_value mass_cancel_values[] = {
    {"1", "cancel orders for a security", 1, FB_MASS_SYMBOL},
    {"2", "cancel orders for an underlying", 0, 0},
    {"3", "cancel orders for a product", 0, 0},
    {"4", "cancel orders for a CFICode", 0, 0},
    {"5", "cancel orders for a SecurityType", 0, 0},
    {"6", "cancel orders for a trading session", 0, 0},
    {"7", "cancel all orders", 1, FB_MASS_ALL},
};

static const struct tr_value mass_status_values[] = {
    {"1", "status for orders for a security", 1, FB_MASS_SYMBOL},
    {"2", "status for orders for an underlying", 0, 0},
    {"3", "status for orders for a product", 0, 0},
    {"4", "status for orders for a CFICode", 0, 0},
    {"5", "status for orders for a SecurityType", 0, 0},
    {"6", "status for orders for a trading session", 0, 0},
    {"7", "status for all orders", 1, FB_MASS_ALL},
    {"8", "status for orders for a PartyID", 0, 0},
};

enum tr_need {
    TR_NO = 0,  /* must be absent */
    TR_REQD = 1 /* must be present */
};

/* OrdType(40): what each type needs and allows. */
struct tr_ord_type {
    struct tr_value v;
    unsigned int cap; /* FB_VSUP_* the venue needs */
    enum tr_need price;
    enum tr_need stop_px;
    uint8_t post_only_ok;
    uint8_t max_floor_ok;
    uint8_t cash_qty_ok;
    uint8_t priced; /* min notional is checkable from Price */
};

/* 40=J with Price(44): a take-profit-limit. "Limit if touched" has no
 * OrdType of its own in FIX 4.2/4.4; an MIT with a limit price is how
 * gateways commonly spell it (spec/RULES_OF_ENGAGEMENT.md 5.1). */
static const struct tr_ord_type ord_type_take_profit_limit = {
    {"J", "limit if touched", 1, FB_ORD_TAKE_PROFIT_LIMIT},
    FB_VSUP_TAKE_PROFIT_LIMIT,
    TR_REQD,
    TR_REQD,
    0,
    1,
    0,
    1};

/* The type an OrdType row becomes when Price(44) is present (the row
 * itself says TR_NO for price): FIX has one OrdType, J, for both
 * take-profit flavours. */
static const struct {
    const char *fix;
    const struct tr_ord_type *with_price;
} ord_type_priced[] = {
    {"J", &ord_type_take_profit_limit},
};

static const struct tr_ord_type ord_types[] = {
    {{"1", "market", 1, FB_ORD_MARKET}, FB_VSUP_MARKET, TR_NO, TR_NO, 0, 0, 1, 0},
    {{"2", "limit", 1, FB_ORD_LIMIT}, FB_VSUP_LIMIT, TR_REQD, TR_NO, 1, 1, 0, 1},
    {{"3", "stop", 1, FB_ORD_STOP}, FB_VSUP_STOP, TR_NO, TR_REQD, 0, 0, 0, 0},
    {{"4", "stop limit", 1, FB_ORD_STOP_LIMIT}, FB_VSUP_STOP_LIMIT, TR_REQD, TR_REQD, 0, 1, 0, 1},
    {{"5", "market on close", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"6", "with or without", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"7", "limit or better", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"8", "limit with or without", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"9", "on basis", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"A", "on close", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"B", "limit on close", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"C", "forex market", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"D", "previously quoted", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"E", "previously indicated", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"F", "forex limit", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"G", "forex swap", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"H", "forex previously quoted", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"I", "funari", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    /* Market if touched: buy below / sell above the market, then trade at
     * market -- a take-profit, with StopPx(99) as its trigger. */
    {{"J", "market if touched", 1, FB_ORD_TAKE_PROFIT}, FB_VSUP_TAKE_PROFIT, TR_NO, TR_REQD, 0, 0, 0,
     0},
    {{"K", "market with leftover as limit", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"L", "previous fund valuation point", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"M", "next fund valuation point", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
    {{"P", "pegged", 0, 0}, 0, TR_NO, TR_NO, 0, 0, 0, 0},
};

/* TimeInForce(59). */
struct tr_tif {
    struct tr_value v;
    unsigned int cap;
    enum tr_need expire_time;
    uint8_t post_only_ok; /* a maker-only order must be able to rest */
};

static const struct tr_tif tifs[] = {
    {{"0", "Day", 1, FB_TIF_DAY}, FB_VSUP_TIF_DAY, TR_NO, 1},
    {{"1", "GTC", 1, FB_TIF_GTC}, FB_VSUP_TIF_GTC, TR_NO, 1},
    {{"2", "at the opening", 0, 0}, 0, TR_NO, 0},
    {{"3", "IOC", 1, FB_TIF_IOC}, FB_VSUP_TIF_IOC, TR_NO, 0},
    {{"4", "FOK", 1, FB_TIF_FOK}, FB_VSUP_TIF_FOK, TR_NO, 0},
    {{"5", "good till crossing", 0, 0}, 0, TR_NO, 0},
    {{"6", "GTD", 1, FB_TIF_GTD}, FB_VSUP_TIF_GTD, TR_REQD, 1},
    {{"7", "at the close", 0, 0}, 0, TR_NO, 0},
};

/* ExecInst(18) is a space-separated list; only this value is honoured. */
#define TR_EXEC_INST_POST_ONLY "6"

/* ---- the translation context ---- */

struct tr {
    const struct fb_tr_env *env;
    const struct fb_msg_view *msg;
    enum fb_tr_channel channel; /* the message's own reject channel */
    int cxl_rej_response_to;
    const struct fb_tr_tag *tags;
    size_t ntags;
    const char *val[TR_MAX_TAGS]; /* val[i] is the value of tags[i] or NULL */
    struct fb_tr_result *out;
    enum fb_err err; /* set when env is inconsistent */
};

/* Marks the result rejected. Returns -1 so callers can `return tr_reject()`. */
static int tr_reject(struct tr *t, enum fb_tr_problem p, int ref_tag, const char *fmt, ...)
    FB_PRINTF(4, 5);

static int tr_reject(struct tr *t, enum fb_tr_problem p, int ref_tag, const char *fmt, ...)
{
    struct fb_tr_reject *rej = &t->out->rej;
    const struct tr_reasons *r = &reasons[p];
    enum fb_fix_version ver = t->msg->version;
    va_list ap;

    t->out->rejected = 1;
    memset(&t->out->u, 0, sizeof t->out->u);
    rej->problem = p;
    rej->ref_tag = ref_tag;
    rej->cxl_rej_response_to = 0;
    if (r->session != 0) {
        rej->channel = FB_TR_CH_SESSION;
        rej->reason = r->session;
    } else {
        rej->channel = t->channel;
        switch (t->channel) {
        case FB_TR_CH_EXEC_REPORT:
        case FB_TR_CH_STATUS_REJECT:
            rej->reason = r->ord_rej[ver];
            break;
        case FB_TR_CH_CANCEL_REJECT:
            rej->reason = r->cxl_rej[ver];
            rej->cxl_rej_response_to = t->cxl_rej_response_to;
            break;
        case FB_TR_CH_MASS_CANCEL:
            rej->reason = r->mass_rej;
            break;
        case FB_TR_CH_BUSINESS:
        case FB_TR_CH_SESSION:
        case FB_TR_CH_LAST:
            rej->channel = FB_TR_CH_BUSINESS;
            rej->reason = r->business;
            break;
        }
    }
    va_start(ap, fmt);
    vsnprintf(rej->text, sizeof rej->text, fmt, ap);
    va_end(ap);
    return -1;
}

/* Index of tag in the message's table; every read goes through here, so
 * translate cannot read a tag the exported table does not list. */
static size_t tr_slot(const struct tr *t, int tag)
{
    for (size_t i = 0; i < t->ntags; i++)
        if (t->tags[i].tag == tag)
            return i;
    return t->ntags;
}

static const char *tr_get(const struct tr *t, int tag)
{
    size_t i = tr_slot(t, tag);
    return i < t->ntags ? t->val[i] : NULL;
}

static const char *tr_name(const struct tr *t, int tag)
{
    size_t i = tr_slot(t, tag);
    return i < t->ntags ? t->tags[i].name : "?";
}

/* Reads every listed tag once (all of them, so the echo is complete even
 * when the message is refused), then refuses missing required tags and
 * empty values in table order. */
static int tr_fetch(struct tr *t)
{
    for (size_t i = 0; i < t->ntags; i++)
        t->val[i] = t->msg->get(t->msg->ctx, t->tags[i].tag);
    for (size_t i = 0; i < t->ntags; i++) {
        const struct fb_tr_tag *tg = &t->tags[i];
        const char *v = t->val[i];
        if (v == NULL && tg->required)
            return tr_reject(t, FB_TRP_REQUIRED_MISSING, tg->tag, "Required tag %d (%s) missing",
                             tg->tag, tg->name);
        if (v != NULL && v[0] == '\0')
            return tr_reject(t, FB_TRP_EMPTY_VALUE, tg->tag, "Tag %d (%s) has no value", tg->tag,
                             tg->name);
    }
    return 0;
}

/* Copies at most cap - 1 bytes; for echoes and Text, which may be cut. */
static void tr_cut(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    if (src != NULL) {
        n = strlen(src);
        if (n > cap - 1)
            n = cap - 1;
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

/* Copies an identifier that must fit whole (a cut ClOrdID would name a
 * different order). Absent -> "". */
static int tr_copy_id(struct tr *t, char *dst, size_t cap, int tag)
{
    const char *v = tr_get(t, tag);
    if (v == NULL) {
        dst[0] = '\0';
        return 0;
    }
    if (strlen(v) > cap - 1)
        return tr_reject(t, FB_TRP_TOO_LONG, tag, "%s (%d) is longer than %zu characters",
                         tr_name(t, tag), tag, cap - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static void tr_echo(struct tr *t)
{
    struct fb_tr_echo *e = &t->out->echo;
    tr_cut(e->cl_ord_id, sizeof e->cl_ord_id, tr_get(t, TAG_CL_ORD_ID));
    tr_cut(e->orig_cl_ord_id, sizeof e->orig_cl_ord_id, tr_get(t, TAG_ORIG_CL_ORD_ID));
    tr_cut(e->order_id, sizeof e->order_id, tr_get(t, TAG_ORDER_ID));
    tr_cut(e->mass_status_req_id, sizeof e->mass_status_req_id, tr_get(t, TAG_MASS_STATUS_REQ_ID));
    tr_cut(e->account, sizeof e->account, tr_get(t, TAG_ACCOUNT));
    tr_cut(e->symbol, sizeof e->symbol, tr_get(t, TAG_SYMBOL));
    tr_cut(e->side, sizeof e->side, tr_get(t, TAG_SIDE));
}

/* Looks the tag's value up in a value table whose rows start with a
 * struct tr_value; *idx is the row, or TR_ABSENT when the tag is absent. A
 * value FIX does not define is a session-level problem; one it defines but
 * we do not support is refused by name. */
#define TR_ABSENT ((size_t)-1)
static int tr_enum(struct tr *t, int tag, const void *table, size_t n, size_t stride, size_t *idx)
{
    const char *v = tr_get(t, tag);
    const unsigned char *base = table;

    *idx = TR_ABSENT;
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const struct tr_value *r = (const struct tr_value *)(const void *)(base + i * stride);
        if (strcmp(r->fix, v) == 0) {
            if (!r->supported)
                return tr_reject(t, FB_TRP_UNSUPPORTED, tag, "%s %s (%s) not supported",
                                 tr_name(t, tag), v, r->name);
            *idx = i;
            return 0;
        }
    }
    return tr_reject(t, FB_TRP_BAD_VALUE, tag, "Value '%s' is not valid for %s (%d)", v,
                     tr_name(t, tag), tag);
}

#define TR_ENUM(t, tag, table, idx) tr_enum(t, tag, table, TR_COUNT(table), sizeof(table)[0], idx)

/* Parses a decimal tag; *present tells whether it was there. */
static int tr_dec(struct tr *t, int tag, struct fb_dec *out, int *present)
{
    const char *v = tr_get(t, tag);
    enum fb_err e;

    *out = fb_dec_zero();
    *present = v != NULL;
    if (v == NULL)
        return 0;
    e = fb_dec_parse_str(v, out);
    if (e == FB_ERR_OVERFLOW)
        return tr_reject(t, FB_TRP_BAD_VALUE, tag, "%s (%d) '%s' is out of range", tr_name(t, tag),
                         tag, v);
    if (e != FB_OK)
        return tr_reject(t, FB_TRP_BAD_FORMAT, tag, "%s (%d) '%s' is not a decimal",
                         tr_name(t, tag), tag, v);
    return 0;
}

static int tr_time(struct tr *t, int tag, int64_t *ns, int *present)
{
    const char *v = tr_get(t, tag);

    *ns = 0;
    *present = v != NULL;
    if (v == NULL)
        return 0;
    if (fb_tr_parse_utc_timestamp(v, ns) != FB_OK)
        return tr_reject(t, FB_TRP_BAD_FORMAT, tag, "%s (%d) '%s' is not a UTC timestamp",
                         tr_name(t, tag), tag, v);
    return 0;
}

/* ---- timestamps ---- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t tr_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int tr_digits(const char *s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

enum fb_err fb_tr_parse_utc_timestamp(const char *s, int64_t *ns)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t y, mo, d, h, mi, sec, frac = 0;
    size_t len;

    if (s == NULL || ns == NULL)
        return FB_ERR_INVALID;
    len = strlen(s);
    /* YYYYMMDD-HH:MM:SS is 17 bytes. */
    if (len < 17 || s[8] != '-' || s[11] != ':' || s[14] != ':')
        return FB_ERR_PARSE;
    if (!tr_digits(s, 4, &y) || !tr_digits(s + 4, 2, &mo) || !tr_digits(s + 6, 2, &d) ||
        !tr_digits(s + 9, 2, &h) || !tr_digits(s + 12, 2, &mi) || !tr_digits(s + 15, 2, &sec))
        return FB_ERR_PARSE;
    if (len > 17) {
        size_t nf = len - 18;
        if (s[17] != '.' || nf < 1 || nf > 9 || !tr_digits(s + 18, (int)nf, &frac))
            return FB_ERR_PARSE;
        for (size_t i = nf; i < 9; i++)
            frac *= 10;
    }
    /* 1970..2261 keeps the result inside int64 nanoseconds. Second 60 is a
     * leap second, which FIX allows. */
    if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || sec > 60)
        return FB_ERR_PARSE;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return FB_ERR_PARSE;
    *ns = ((tr_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000000) + frac;
    return FB_OK;
}

/* ---- shared pieces ---- */

static int tr_side(struct tr *t, int required_here, enum fb_side *side, uint8_t *has)
{
    size_t i;

    if (TR_ENUM(t, TAG_SIDE, side_values, &i) != 0)
        return -1;
    if (i == TR_ABSENT) {
        if (required_here)
            return tr_reject(t, FB_TRP_REQUIRED_MISSING, TAG_SIDE,
                             "Required tag 54 (Side) missing");
        *side = FB_SIDE_BUY;
        if (has != NULL)
            *has = 0;
        return 0;
    }
    *side = (enum fb_side)side_values[i].value;
    if (has != NULL)
        *has = 1;
    return 0;
}

/* What a routed order is checked against. */
struct tr_route {
    struct fb_route_hit hit;
    const struct fb_tr_venue *venue;
    struct fb_venue_market mkt; /* zero fields: no such limit */
};

static int tr_route(struct tr *t, struct tr_route *r)
{
    const char *sym = tr_get(t, TAG_SYMBOL);
    const char *dest = tr_get(t, TAG_EX_DESTINATION);
    const struct fb_tr_env *env = t->env;

    memset(r, 0, sizeof *r);
    switch (fb_route_lookup(env->routes, sym, dest, &r->hit)) {
    case FB_ROUTE_FOUND:
        break;
    case FB_ROUTE_UNKNOWN_SYMBOL:
        return tr_reject(t, FB_TRP_UNKNOWN_SYMBOL, TAG_SYMBOL, "Unknown symbol %s", sym);
    case FB_ROUTE_NO_DESTINATION:
        return tr_reject(t, FB_TRP_NO_ROUTE, TAG_EX_DESTINATION,
                         "ExDestination %s has no route for %s", dest, sym);
    case FB_ROUTE_NO_DEFAULT:
        return tr_reject(t, FB_TRP_NO_ROUTE, TAG_EX_DESTINATION,
                         "Symbol %s has no default route; ExDestination (100) is required", sym);
    }
    if (r->hit.venue_index >= env->venue_count || env->venues == NULL) {
        t->err = FB_ERR_INTERNAL;
        return -1;
    }
    r->venue = &env->venues[r->hit.venue_index];
    if (env->markets != NULL && r->hit.route_index < env->market_count)
        r->mkt = env->markets[r->hit.route_index];
    return 0;
}

/*
 * The instrument fields beside Symbol that must agree with the route:
 * SecurityExchange names the venue (or the ExDestination given), Currency
 * the symbol's quote currency; trading sessions cannot be honoured by venues
 * that trade continuously.
 */
static int tr_instrument(struct tr *t, const struct tr_route *r)
{
    const char *sym = tr_get(t, TAG_SYMBOL);
    const char *dest = tr_get(t, TAG_EX_DESTINATION);
    const char *exch = tr_get(t, TAG_SECURITY_EXCHANGE);
    const char *ccy = tr_get(t, TAG_CURRENCY);

    if (tr_get(t, TAG_NO_TRADING_SESSIONS) != NULL)
        return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_NO_TRADING_SESSIONS,
                         "NoTradingSessions (386) not supported: venues trade continuously");
    if (exch != NULL && strcmp(exch, dest != NULL ? dest : r->venue->name) != 0)
        return tr_reject(t, FB_TRP_UNKNOWN_SYMBOL, TAG_SECURITY_EXCHANGE,
                         "SecurityExchange %s does not match the route for %s (%s)", exch, sym,
                         dest != NULL ? dest : r->venue->name);
    if (ccy != NULL) {
        /* The market's quote asset when known, else what follows the
         * separator of the FIX symbol ("BTC/USDT", "BTC-USDT"). */
        const char *quote = r->mkt.quote;
        if (quote[0] == '\0') {
            size_t n = strcspn(sym, "/-");
            quote = sym[n] != '\0' ? sym + n + 1 : "";
        }
        if (strcmp(ccy, quote) != 0)
            return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_CURRENCY,
                             "Currency %s is not the quote currency of %s", ccy, sym);
    }
    return 0;
}

/* Refuses a feature the routed venue does not declare. */
static int tr_need_cap(struct tr *t, const struct tr_route *r, unsigned int cap, int tag,
                       const char *what)
{
    if ((r->venue->supports & cap) == cap)
        return 0;
    return tr_reject(t, FB_TRP_UNSUPPORTED, tag, "%s not supported by venue %s", what,
                     r->venue->name);
}

/*
 * The venue capability a TimeInForce needs on an order type. A market
 * order executes at once and never rests, so Day (FIX's default when 59 is
 * absent) asks nothing a venue without Day cannot honour: the adapter sends
 * it with no time in force (Binance MARKET takes none, Kraken ignores it).
 * FOK still needs FOK, and GTD its expiry, so both keep their capability;
 * whether a venue's market order can be all-or-none is the adapter's call
 * (spec/RULES_OF_ENGAGEMENT.md).
 */
static unsigned int tr_tif_cap(const struct tr_ord_type *ot, const struct tr_tif *tif)
{
    if (ot->v.value == FB_ORD_MARKET && tif->v.value == FB_TIF_DAY)
        return 0;
    return tif->cap;
}

/* A positive price on the venue's tick. */
static int tr_check_price(struct tr *t, const struct tr_route *r, int tag, struct fb_dec px)
{
    char buf[FB_DEC_STRMAX];

    if (fb_dec_sign(px) <= 0)
        return tr_reject(t, FB_TRP_BAD_PRICE, tag, "%s %s must be positive", tr_name(t, tag),
                         tr_get(t, tag));
    if (fb_dec_sign(r->mkt.tick_size) > 0 && !fb_dec_is_multiple(px, r->mkt.tick_size)) {
        fb_dec_format(r->mkt.tick_size, buf);
        return tr_reject(t, FB_TRP_BAD_PRICE, tag, "%s %s is not a multiple of tick size %s for %s",
                         tr_name(t, tag), tr_get(t, tag), buf, r->hit.venue_symbol);
    }
    return 0;
}

/* A positive base quantity on the venue's step and within its bounds. */
static int tr_check_qty(struct tr *t, const struct tr_route *r, int tag, struct fb_dec q,
                        int check_bounds)
{
    char buf[FB_DEC_STRMAX];

    if (fb_dec_sign(q) <= 0)
        return tr_reject(t, FB_TRP_BAD_QTY, tag, "%s %s must be positive", tr_name(t, tag),
                         tr_get(t, tag));
    if (fb_dec_sign(r->mkt.step_size) > 0 && !fb_dec_is_multiple(q, r->mkt.step_size)) {
        fb_dec_format(r->mkt.step_size, buf);
        return tr_reject(t, FB_TRP_BAD_QTY, tag, "%s %s is not a multiple of step size %s for %s",
                         tr_name(t, tag), tr_get(t, tag), buf, r->hit.venue_symbol);
    }
    if (!check_bounds)
        return 0;
    if (fb_dec_sign(r->mkt.min_qty) > 0 && fb_dec_cmp(q, r->mkt.min_qty) < 0) {
        fb_dec_format(r->mkt.min_qty, buf);
        return tr_reject(t, FB_TRP_BAD_QTY, tag, "%s %s is below the minimum quantity %s for %s",
                         tr_name(t, tag), tr_get(t, tag), buf, r->hit.venue_symbol);
    }
    if (fb_dec_sign(r->mkt.max_qty) > 0 && fb_dec_cmp(q, r->mkt.max_qty) > 0) {
        fb_dec_format(r->mkt.max_qty, buf);
        return tr_reject(t, FB_TRP_BAD_QTY, tag, "%s %s is above the maximum quantity %s for %s",
                         tr_name(t, tag), tr_get(t, tag), buf, r->hit.venue_symbol);
    }
    return 0;
}

/*
 * The terms of a D or G, checked against FIX's own rules, the venue's
 * capabilities and the market's rules, in that order.
 */
static int tr_terms(struct tr *t, const struct tr_route *r, struct fb_order_terms *terms)
{
    const struct tr_ord_type *ot;
    const struct tr_tif *tif;
    size_t i;
    const char *exec_inst = tr_get(t, TAG_EXEC_INST);
    struct fb_dec qty, cash, price, stop_px, max_floor;
    int has_qty, has_cash, has_price, has_stop, has_floor, has_expire, has_tt;
    int64_t transact_ns;
    char what[96];
    char buf[FB_DEC_STRMAX];
    char buf2[FB_DEC_STRMAX];

    memset(terms, 0, sizeof *terms);

    /* Syntax first, so a malformed field is always a session-level Reject. */
    if (TR_ENUM(t, TAG_HANDL_INST, handl_inst_values, &i) != 0 ||
        tr_time(t, TAG_TRANSACT_TIME, &transact_ns, &has_tt) != 0 ||
        tr_time(t, TAG_EXPIRE_TIME, &terms->expire_time_ns, &has_expire) != 0 ||
        tr_dec(t, TAG_ORDER_QTY, &qty, &has_qty) != 0 ||
        tr_dec(t, TAG_CASH_ORDER_QTY, &cash, &has_cash) != 0 ||
        tr_dec(t, TAG_PRICE, &price, &has_price) != 0 ||
        tr_dec(t, TAG_STOP_PX, &stop_px, &has_stop) != 0 ||
        tr_dec(t, TAG_MAX_FLOOR, &max_floor, &has_floor) != 0)
        return -1;

    if (TR_ENUM(t, TAG_ORD_TYPE, ord_types, &i) != 0)
        return -1;
    ot = &ord_types[i]; /* OrdType is required: tr_fetch saw it */
    for (i = 0; has_price && i < TR_COUNT(ord_type_priced); i++)
        if (strcmp(ot->v.fix, ord_type_priced[i].fix) == 0)
            ot = ord_type_priced[i].with_price;
    terms->ord_type = (enum fb_ord_type)ot->v.value;

    /* Absent TimeInForce is Day (FIX's default), never the venue's. */
    if (TR_ENUM(t, TAG_TIF, tifs, &i) != 0)
        return -1;
    tif = &tifs[i == TR_ABSENT ? 0 : i];
    terms->tif = (enum fb_tif)tif->v.value;

    /* ExecInst: space-separated single values; only 6 is honoured. */
    if (exec_inst != NULL) {
        const char *p = exec_inst;
        for (;;) {
            size_t n = strcspn(p, " ");
            if (n == 0)
                return tr_reject(t, FB_TRP_BAD_FORMAT, TAG_EXEC_INST,
                                 "ExecInst (18) '%s' is not a space-separated list", exec_inst);
            if (n == 1 && p[0] == TR_EXEC_INST_POST_ONLY[0])
                terms->post_only = 1;
            else
                return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_EXEC_INST,
                                 "ExecInst %.*s not supported (only 6, participate don't "
                                 "initiate)",
                                 (int)n, p);
            if (p[n] == '\0')
                break;
            p += n + 1;
        }
    }

    /* Presence rules of the order type and TIF. */
    if (ot->price == TR_REQD && !has_price)
        return tr_reject(t, FB_TRP_BAD_PRICE, TAG_PRICE,
                         "Price (44) is required for OrdType %s (%s)", ot->v.fix, ot->v.name);
    if (ot->price == TR_NO && has_price)
        return tr_reject(t, FB_TRP_BAD_PRICE, TAG_PRICE,
                         "Price (44) is not allowed on OrdType %s (%s)", ot->v.fix, ot->v.name);
    if (ot->stop_px == TR_REQD && !has_stop)
        return tr_reject(t, FB_TRP_BAD_PRICE, TAG_STOP_PX,
                         "StopPx (99) is required for OrdType %s (%s)", ot->v.fix, ot->v.name);
    if (ot->stop_px == TR_NO && has_stop)
        return tr_reject(t, FB_TRP_BAD_PRICE, TAG_STOP_PX,
                         "StopPx (99) is not allowed on OrdType %s (%s)", ot->v.fix, ot->v.name);
    if (tif->expire_time == TR_REQD && !has_expire)
        return tr_reject(t, FB_TRP_BAD_EXPIRE, TAG_EXPIRE_TIME,
                         "ExpireTime (126) is required for TimeInForce %s (%s)", tif->v.fix,
                         tif->v.name);
    if (tif->expire_time == TR_NO && has_expire)
        return tr_reject(t, FB_TRP_BAD_EXPIRE, TAG_EXPIRE_TIME,
                         "ExpireTime (126) is only valid with TimeInForce 6 (GTD)");
    if (has_expire && terms->expire_time_ns <= t->env->now_ns)
        return tr_reject(t, FB_TRP_BAD_EXPIRE, TAG_EXPIRE_TIME, "ExpireTime %s is in the past",
                         tr_get(t, TAG_EXPIRE_TIME));
    if (terms->post_only && !ot->post_only_ok)
        return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_EXEC_INST,
                         "ExecInst 6 (post-only) is not allowed on OrdType %s (%s)", ot->v.fix,
                         ot->v.name);
    if (terms->post_only && !tif->post_only_ok)
        return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_EXEC_INST,
                         "ExecInst 6 (post-only) is not allowed with TimeInForce %s (%s)",
                         tif->v.fix, tif->v.name);
    if (has_qty && has_cash)
        return tr_reject(t, FB_TRP_BAD_QTY, TAG_CASH_ORDER_QTY,
                         "OrderQty (38) and CashOrderQty (152) are mutually exclusive");
    if (!has_qty && !has_cash)
        return tr_reject(t, FB_TRP_COND_MISSING, TAG_ORDER_QTY,
                         "OrderQty (38) or CashOrderQty (152) is required");
    if (has_cash && !ot->cash_qty_ok)
        return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_CASH_ORDER_QTY,
                         "CashOrderQty (152) is only supported on OrdType 1 (market), not %s (%s)",
                         ot->v.fix, ot->v.name);
    if (has_floor && !ot->max_floor_ok)
        return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_MAX_FLOOR,
                         "MaxFloor (111) is not allowed on OrdType %s (%s)", ot->v.fix, ot->v.name);

    /* The venue must honour every feature as asked. */
    snprintf(what, sizeof what, "OrdType %s (%s)", ot->v.fix, ot->v.name);
    if (tr_need_cap(t, r, ot->cap, TAG_ORD_TYPE, what) != 0)
        return -1;
    snprintf(what, sizeof what, "TimeInForce %s (%s)", tif->v.fix, tif->v.name);
    if (tr_need_cap(t, r, tr_tif_cap(ot, tif), TAG_TIF, what) != 0)
        return -1;
    if (terms->post_only &&
        tr_need_cap(t, r, FB_VSUP_POST_ONLY, TAG_EXEC_INST, "ExecInst 6 (post-only)") != 0)
        return -1;
    if (has_cash &&
        tr_need_cap(t, r, FB_VSUP_QUOTE_QTY, TAG_CASH_ORDER_QTY, "CashOrderQty (152)") != 0)
        return -1;

    /* Numbers against the market's rules. */
    if (has_price && tr_check_price(t, r, TAG_PRICE, price) != 0)
        return -1;
    if (has_stop && tr_check_price(t, r, TAG_STOP_PX, stop_px) != 0)
        return -1;
    if (has_qty && tr_check_qty(t, r, TAG_ORDER_QTY, qty, 1) != 0)
        return -1;
    if (has_cash && fb_dec_sign(cash) <= 0)
        return tr_reject(t, FB_TRP_BAD_QTY, TAG_CASH_ORDER_QTY, "CashOrderQty %s must be positive",
                         tr_get(t, TAG_CASH_ORDER_QTY));
    if (has_floor) {
        if (tr_check_qty(t, r, TAG_MAX_FLOOR, max_floor, 0) != 0)
            return -1;
        if (fb_dec_cmp(max_floor, qty) > 0)
            return tr_reject(t, FB_TRP_BAD_QTY, TAG_MAX_FLOOR, "MaxFloor %s exceeds OrderQty %s",
                             tr_get(t, TAG_MAX_FLOOR), tr_get(t, TAG_ORDER_QTY));
        /* Showing all of it is a plain order: no iceberg is needed, so no
         * venue capability either. */
        if (fb_dec_cmp(max_floor, qty) == 0)
            has_floor = 0;
        else if (tr_need_cap(t, r, FB_VSUP_ICEBERG, TAG_MAX_FLOOR, "MaxFloor (111) (iceberg)") != 0)
            return -1;
    }
    if (fb_dec_sign(r->mkt.min_notional) > 0) {
        fb_dec_format(r->mkt.min_notional, buf);
        if (has_cash && fb_dec_cmp(cash, r->mkt.min_notional) < 0)
            return tr_reject(t, FB_TRP_BAD_QTY, TAG_CASH_ORDER_QTY,
                             "CashOrderQty %s is below the minimum notional %s for %s",
                             tr_get(t, TAG_CASH_ORDER_QTY), buf, r->hit.venue_symbol);
        /* Market and stop orders have no price to check against here; the
         * policy layer checks them against a reference price. */
        if (has_qty && ot->priced) {
            struct fb_dec notional;
            if (fb_dec_mul(qty, price, FB_ROUND_DOWN, &notional) != FB_OK)
                return tr_reject(t, FB_TRP_BAD_QTY, TAG_ORDER_QTY,
                                 "OrderQty %s x Price %s is out of range", tr_get(t, TAG_ORDER_QTY),
                                 tr_get(t, TAG_PRICE));
            if (fb_dec_cmp(notional, r->mkt.min_notional) < 0) {
                fb_dec_format(notional, buf2);
                return tr_reject(t, FB_TRP_BAD_QTY, TAG_ORDER_QTY,
                                 "Notional %s (OrderQty %s x Price %s) is below the minimum "
                                 "notional %s for %s",
                                 buf2, tr_get(t, TAG_ORDER_QTY), tr_get(t, TAG_PRICE), buf,
                                 r->hit.venue_symbol);
            }
        }
    }

    terms->qty = qty;
    terms->cash_qty = cash;
    terms->price = price;
    terms->stop_px = stop_px;
    terms->max_floor = has_floor ? max_floor : fb_dec_zero();
    if (tif->expire_time != TR_REQD)
        terms->expire_time_ns = 0;
    return 0;
}

/* ---- one function per message type ---- */

static int tr_new_order(struct tr *t)
{
    struct fb_new_order o;
    struct tr_route r;
    const char *poss_resend = tr_get(t, TAG_POSS_RESEND);

    memset(&o, 0, sizeof o);
    o.session = t->env->session;
    if (tr_copy_id(t, o.cl_ord_id, sizeof o.cl_ord_id, TAG_CL_ORD_ID) != 0 ||
        tr_copy_id(t, o.account, sizeof o.account, TAG_ACCOUNT) != 0 ||
        tr_side(t, 1, &o.side, NULL) != 0 || tr_route(t, &r) != 0 || tr_instrument(t, &r) != 0 ||
        tr_terms(t, &r, &o.terms) != 0)
        return -1;
    if (poss_resend != NULL && strcmp(poss_resend, "Y") != 0 && strcmp(poss_resend, "N") != 0)
        return tr_reject(t, FB_TRP_BAD_VALUE, TAG_POSS_RESEND,
                         "Value '%s' is not valid for PossResend (97)", poss_resend);
    o.poss_resend = poss_resend != NULL && poss_resend[0] == 'Y';
    tr_cut(o.symbol, sizeof o.symbol, tr_get(t, TAG_SYMBOL));
    o.venue = r.hit.venue_index;
    tr_cut(o.venue_symbol, sizeof o.venue_symbol, r.hit.venue_symbol);
    o.px_places = (uint8_t)fb_dec_places(r.mkt.tick_size);
    tr_cut(o.text, sizeof o.text, tr_get(t, TAG_TEXT));
    t->out->u.new_order = o;
    return 0;
}

static int tr_cancel(struct tr *t)
{
    struct fb_cancel_order c;
    int64_t ns;
    int has;

    memset(&c, 0, sizeof c);
    c.session = t->env->session;
    if (tr_copy_id(t, c.cl_ord_id, sizeof c.cl_ord_id, TAG_CL_ORD_ID) != 0 ||
        tr_copy_id(t, c.orig_cl_ord_id, sizeof c.orig_cl_ord_id, TAG_ORIG_CL_ORD_ID) != 0 ||
        tr_copy_id(t, c.order_id, sizeof c.order_id, TAG_ORDER_ID) != 0 ||
        tr_copy_id(t, c.symbol, sizeof c.symbol, TAG_SYMBOL) != 0 ||
        tr_side(t, 1, &c.side, NULL) != 0 || tr_time(t, TAG_TRANSACT_TIME, &ns, &has) != 0)
        return -1;
    /* No routing: the engine cancels the order where it lives. */
    tr_cut(c.text, sizeof c.text, tr_get(t, TAG_TEXT));
    t->out->u.cancel = c;
    return 0;
}

static int tr_replace(struct tr *t)
{
    struct fb_replace_order g;
    struct tr_route r;

    memset(&g, 0, sizeof g);
    g.session = t->env->session;
    if (tr_copy_id(t, g.cl_ord_id, sizeof g.cl_ord_id, TAG_CL_ORD_ID) != 0 ||
        tr_copy_id(t, g.orig_cl_ord_id, sizeof g.orig_cl_ord_id, TAG_ORIG_CL_ORD_ID) != 0 ||
        tr_copy_id(t, g.order_id, sizeof g.order_id, TAG_ORDER_ID) != 0 ||
        tr_copy_id(t, g.account, sizeof g.account, TAG_ACCOUNT) != 0 ||
        tr_side(t, 1, &g.side, NULL) != 0 || tr_route(t, &r) != 0 || tr_instrument(t, &r) != 0)
        return -1;
    /* A venue that cannot amend is refused before the terms: the terms
     * would be fine, the operation is not. */
    if (tr_need_cap(t, &r, FB_VSUP_REPLACE, 0, "OrderCancelReplaceRequest (G)") != 0)
        return -1;
    if (tr_terms(t, &r, &g.terms) != 0)
        return -1;
    tr_cut(g.symbol, sizeof g.symbol, tr_get(t, TAG_SYMBOL));
    g.venue = r.hit.venue_index;
    tr_cut(g.venue_symbol, sizeof g.venue_symbol, r.hit.venue_symbol);
    tr_cut(g.text, sizeof g.text, tr_get(t, TAG_TEXT));
    t->out->u.replace = g;
    return 0;
}

static int tr_status(struct tr *t)
{
    struct fb_status_request s;

    memset(&s, 0, sizeof s);
    s.session = t->env->session;
    if (tr_copy_id(t, s.cl_ord_id, sizeof s.cl_ord_id, TAG_CL_ORD_ID) != 0 ||
        tr_copy_id(t, s.order_id, sizeof s.order_id, TAG_ORDER_ID) != 0 ||
        tr_copy_id(t, s.ord_status_req_id, sizeof s.ord_status_req_id, TAG_ORD_STATUS_REQ_ID) !=
            0 ||
        tr_copy_id(t, s.symbol, sizeof s.symbol, TAG_SYMBOL) != 0 ||
        tr_side(t, 1, &s.side, NULL) != 0)
        return -1;
    t->out->u.status = s;
    return 0;
}

/* The scope of q / AF: one symbol (which must be routed) or all orders
 * (Symbol refused: cancelling more than the OMS named is never safe to
 * guess). */
static int tr_mass_scope(struct tr *t, int type_tag, const struct tr_value *table, size_t i,
                         char *symbol, size_t cap)
{
    const struct tr_value *row = &table[i];
    const char *sym = tr_get(t, TAG_SYMBOL);

    if (row->value == FB_MASS_SYMBOL) {
        if (sym == NULL)
            return tr_reject(t, FB_TRP_COND_MISSING, TAG_SYMBOL, "%s %s (%s) requires Symbol (55)",
                             tr_name(t, type_tag), row->fix, row->name);
        if (fb_route_lookup(t->env->routes, sym, NULL, NULL) == FB_ROUTE_UNKNOWN_SYMBOL)
            return tr_reject(t, FB_TRP_UNKNOWN_SYMBOL, TAG_SYMBOL, "Unknown symbol %s", sym);
        return tr_copy_id(t, symbol, cap, TAG_SYMBOL);
    }
    if (sym != NULL)
        return tr_reject(t, FB_TRP_UNSUPPORTED, TAG_SYMBOL,
                         "Symbol (55) is not allowed with %s %s (%s)", tr_name(t, type_tag),
                         row->fix, row->name);
    symbol[0] = '\0';
    return 0;
}

static int tr_mass_cancel(struct tr *t)
{
    struct fb_mass_cancel m;
    size_t i;
    int64_t ns;
    int has;

    memset(&m, 0, sizeof m);
    m.session = t->env->session;
    if (tr_copy_id(t, m.cl_ord_id, sizeof m.cl_ord_id, TAG_CL_ORD_ID) != 0 ||
        tr_time(t, TAG_TRANSACT_TIME, &ns, &has) != 0 ||
        TR_ENUM(t, TAG_MASS_CANCEL_TYPE, mass_cancel_values, &i) != 0 ||
        tr_side(t, 0, &m.side, &m.has_side) != 0 ||
        tr_mass_scope(t, TAG_MASS_CANCEL_TYPE, mass_cancel_values, i, m.symbol, sizeof m.symbol) !=
            0)
        return -1;
    m.scope = (enum fb_mass_scope)mass_cancel_values[i].value;
    tr_cut(m.text, sizeof m.text, tr_get(t, TAG_TEXT));
    t->out->u.mass_cancel = m;
    return 0;
}

static int tr_mass_status(struct tr *t)
{
    struct fb_mass_status m;
    size_t i;

    memset(&m, 0, sizeof m);
    m.session = t->env->session;
    if (tr_copy_id(t, m.mass_status_req_id, sizeof m.mass_status_req_id, TAG_MASS_STATUS_REQ_ID) !=
            0 ||
        tr_copy_id(t, m.account, sizeof m.account, TAG_ACCOUNT) != 0 ||
        TR_ENUM(t, TAG_MASS_STATUS_TYPE, mass_status_values, &i) != 0 ||
        tr_side(t, 0, &m.side, &m.has_side) != 0 ||
        tr_mass_scope(t, TAG_MASS_STATUS_TYPE, mass_status_values, i, m.symbol, sizeof m.symbol) !=
            0)
        return -1;
    m.scope = (enum fb_mass_scope)mass_status_values[i].value;
    t->out->u.mass_status = m;
    return 0;
}

/* ---- dispatch ---- */

struct tr_msg {
    const char *msg_type;
    enum fb_tr_kind kind;
    enum fb_tr_channel channel;
    int cxl_rej_response_to;
    int (*fn)(struct tr *t);
};

static const struct tr_msg messages[] = {
    {"D", FB_TR_NEW_ORDER, FB_TR_CH_EXEC_REPORT, 0, tr_new_order},
    {"F", FB_TR_CANCEL, FB_TR_CH_CANCEL_REJECT, 1, tr_cancel},
    {"G", FB_TR_REPLACE, FB_TR_CH_CANCEL_REJECT, 2, tr_replace},
    {"H", FB_TR_STATUS, FB_TR_CH_STATUS_REJECT, 0, tr_status},
    {"q", FB_TR_MASS_CANCEL, FB_TR_CH_MASS_CANCEL, 0, tr_mass_cancel},
    {"AF", FB_TR_MASS_STATUS, FB_TR_CH_BUSINESS, 0, tr_mass_status},
};

enum fb_err fb_translate(const struct fb_tr_env *env, const struct fb_msg_view *msg,
                         struct fb_tr_result *out)
{
    struct tr t;
    const struct tr_msg *m = NULL;
    int fetched;

    if (env == NULL || msg == NULL || out == NULL || msg->get == NULL || msg->msg_type == NULL ||
        (unsigned)msg->version >= FB_FIX_VERSION_LAST)
        return FB_ERR_INVALID;
    memset(out, 0, sizeof *out);
    memset(&t, 0, sizeof t);
    t.env = env;
    t.msg = msg;
    t.out = out;
    t.err = FB_OK;

    for (size_t i = 0; i < TR_COUNT(messages); i++)
        if (strcmp(messages[i].msg_type, msg->msg_type) == 0)
            m = &messages[i];
    if (m == NULL) {
        out->kind = FB_TR_UNSUPPORTED;
        t.channel = FB_TR_CH_BUSINESS;
        tr_reject(&t, FB_TRP_UNSUPPORTED_MSG, TAG_MSG_TYPE, "MsgType %.8s is not supported",
                  msg->msg_type);
        return FB_OK;
    }
    out->kind = m->kind;
    t.channel = m->channel;
    t.cxl_rej_response_to = m->cxl_rej_response_to;
    for (size_t i = 0; i < TR_COUNT(tag_tables); i++) {
        if (strcmp(tag_tables[i].msg_type, m->msg_type) == 0 &&
            tag_tables[i].version == msg->version) {
            t.tags = tag_tables[i].tags;
            t.ntags = tag_tables[i].count;
        }
    }
    /* No table for this version: the message type does not exist in it
     * (q and AF in FIX 4.2). */
    if (t.tags == NULL) {
        tr_reject(&t, FB_TRP_INVALID_MSG_TYPE, TAG_MSG_TYPE,
                  "MsgType %.8s is not defined in FIX 4.2", msg->msg_type);
        return FB_OK;
    }
    if (t.ntags > TR_MAX_TAGS)
        return FB_ERR_INTERNAL;

    fetched = tr_fetch(&t) == 0;
    tr_echo(&t);
    if (fetched)
        m->fn(&t);
    if (t.err != FB_OK) {
        memset(out, 0, sizeof *out);
        return t.err;
    }
    return FB_OK;
}
