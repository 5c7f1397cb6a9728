/*
 * client_format.c -- names for FIX tags, enum values and message types
 * (FIX 4.2 and 4.4 spellings), the one-line pretty-printer, and the
 * expectation matcher of client scripts. Tables drive all of it; a tag or
 * value missing from them is printed as its number or raw value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/client.h"

/* Versions an entry applies to. */
#define V42 1
#define V44 2
#define VALL (V42 | V44)

static const struct {
    int tag;
    const char *name42; /* NULL: the same as name44 */
    const char *name44;
} tag_names[] = {
    {1, NULL, "Account"},
    {6, NULL, "AvgPx"},
    {7, NULL, "BeginSeqNo"},
    {8, NULL, "BeginString"},
    {9, NULL, "BodyLength"},
    {10, NULL, "CheckSum"},
    {11, NULL, "ClOrdID"},
    {12, NULL, "Commission"},
    {13, NULL, "CommType"},
    {14, NULL, "CumQty"},
    {15, NULL, "Currency"},
    {16, NULL, "EndSeqNo"},
    {17, NULL, "ExecID"},
    {18, NULL, "ExecInst"},
    {19, NULL, "ExecRefID"},
    {20, NULL, "ExecTransType"},
    {21, NULL, "HandlInst"},
    {22, "IDSource", "SecurityIDSource"},
    {29, NULL, "LastCapacity"},
    {30, NULL, "LastMkt"},
    {31, NULL, "LastPx"},
    {32, "LastShares", "LastQty"},
    {34, NULL, "MsgSeqNum"},
    {35, NULL, "MsgType"},
    {36, NULL, "NewSeqNo"},
    {37, NULL, "OrderID"},
    {38, NULL, "OrderQty"},
    {39, NULL, "OrdStatus"},
    {40, NULL, "OrdType"},
    {41, NULL, "OrigClOrdID"},
    {43, NULL, "PossDupFlag"},
    {44, NULL, "Price"},
    {45, NULL, "RefSeqNum"},
    {47, "Rule80A", "Rule80A"},
    {48, NULL, "SecurityID"},
    {49, NULL, "SenderCompID"},
    {52, NULL, "SendingTime"},
    {54, NULL, "Side"},
    {55, NULL, "Symbol"},
    {56, NULL, "TargetCompID"},
    {58, NULL, "Text"},
    {59, NULL, "TimeInForce"},
    {60, NULL, "TransactTime"},
    {63, "SettlmntTyp", "SettlType"},
    {64, "FutSettDate", "SettlDate"},
    {75, NULL, "TradeDate"},
    {97, NULL, "PossResend"},
    {98, NULL, "EncryptMethod"},
    {99, NULL, "StopPx"},
    {100, NULL, "ExDestination"},
    {102, NULL, "CxlRejReason"},
    {103, NULL, "OrdRejReason"},
    {108, NULL, "HeartBtInt"},
    {110, NULL, "MinQty"},
    {111, NULL, "MaxFloor"},
    {112, NULL, "TestReqID"},
    {122, NULL, "OrigSendingTime"},
    {123, NULL, "GapFillFlag"},
    {126, NULL, "ExpireTime"},
    {141, NULL, "ResetSeqNumFlag"},
    {150, NULL, "ExecType"},
    {151, NULL, "LeavesQty"},
    {152, NULL, "CashOrderQty"},
    {167, NULL, "SecurityType"},
    {198, NULL, "SecondaryOrderID"},
    {207, NULL, "SecurityExchange"},
    {371, NULL, "RefTagID"},
    {372, NULL, "RefMsgType"},
    {373, NULL, "SessionRejectReason"},
    {379, NULL, "BusinessRejectRefID"},
    {380, NULL, "BusinessRejectReason"},
    {381, NULL, "GrossTradeAmt"},
    {432, NULL, "ExpireDate"},
    {434, NULL, "CxlRejResponseTo"},
    {527, NULL, "SecondaryExecID"},
    {528, NULL, "OrderCapacity"},
    {530, NULL, "MassCancelRequestType"},
    {531, NULL, "MassCancelResponse"},
    {532, NULL, "MassCancelRejectReason"},
    {533, NULL, "TotalAffectedOrders"},
    {553, NULL, "Username"},
    {554, NULL, "Password"},
    {584, NULL, "MassStatusReqID"},
    {585, NULL, "MassStatusReqType"},
    {636, NULL, "WorkingIndicator"},
    {790, NULL, "OrdStatusReqID"},
    {911, NULL, "TotNumReports"},
    {912, NULL, "LastRptRequested"},
    {1057, NULL, "AggressorIndicator"},
    {1138, NULL, "DisplayQty"},
};

static const struct {
    int tag;
    const char *value;
    const char *name;
    unsigned versions;
} enum_names[] = {
    {18, "6", "ParticipateDontInitiate", VALL},
    {18, "G", "AllOrNone", VALL},
    {20, "0", "New", VALL},
    {20, "1", "Cancel", VALL},
    {20, "2", "Correct", VALL},
    {20, "3", "Status", VALL},
    {21, "1", "AutomatedExecutionNoIntervention", VALL},
    {21, "2", "AutomatedExecutionInterventionOK", VALL},
    {21, "3", "ManualOrder", VALL},
    {39, "0", "New", VALL},
    {39, "1", "PartiallyFilled", VALL},
    {39, "2", "Filled", VALL},
    {39, "3", "DoneForDay", VALL},
    {39, "4", "Canceled", VALL},
    {39, "5", "Replaced", V42},
    {39, "6", "PendingCancel", VALL},
    {39, "7", "Stopped", VALL},
    {39, "8", "Rejected", VALL},
    {39, "9", "Suspended", VALL},
    {39, "A", "PendingNew", VALL},
    {39, "B", "Calculated", VALL},
    {39, "C", "Expired", VALL},
    {39, "D", "AcceptedForBidding", VALL},
    {39, "E", "PendingReplace", VALL},
    {40, "1", "Market", VALL},
    {40, "2", "Limit", VALL},
    {40, "3", "Stop", VALL},
    {40, "4", "StopLimit", VALL},
    {40, "J", "MarketIfTouched", VALL}, /* take-profit(-limit) */
    {40, "5", "MarketOnClose", V42},
    {40, "J", "MarketIfTouched", V44},
    {40, "K", "MarketWithLeftOverAsLimit", V44},
    {40, "P", "Pegged", VALL},
    {54, "1", "Buy", VALL},
    {54, "2", "Sell", VALL},
    {54, "3", "BuyMinus", VALL},
    {54, "4", "SellPlus", VALL},
    {54, "5", "SellShort", VALL},
    {54, "6", "SellShortExempt", VALL},
    {54, "7", "Undisclosed", VALL},
    {54, "8", "Cross", VALL},
    {54, "9", "CrossShort", VALL},
    {59, "0", "Day", VALL},
    {59, "1", "GoodTillCancel", VALL},
    {59, "2", "AtTheOpening", VALL},
    {59, "3", "ImmediateOrCancel", VALL},
    {59, "4", "FillOrKill", VALL},
    {59, "5", "GoodTillCrossing", VALL},
    {59, "6", "GoodTillDate", VALL},
    {59, "7", "AtTheClose", VALL},
    {102, "0", "TooLateToCancel", VALL},
    {102, "1", "UnknownOrder", VALL},
    {102, "2", "BrokerOption", VALL},
    {102, "3", "OrderAlreadyInPendingStatus", VALL},
    {102, "4", "UnableToProcessOrderMassCancelRequest", V44},
    {102, "5", "OrigOrdModTime", V44},
    {102, "6", "DuplicateClOrdID", V44},
    {102, "99", "Other", V44},
    {103, "0", "BrokerOption", VALL},
    {103, "1", "UnknownSymbol", VALL},
    {103, "2", "ExchangeClosed", VALL},
    {103, "3", "OrderExceedsLimit", VALL},
    {103, "4", "TooLateToEnter", VALL},
    {103, "5", "UnknownOrder", VALL},
    {103, "6", "DuplicateOrder", VALL},
    {103, "7", "DuplicateOfAVerballyCommunicatedOrder", VALL},
    {103, "8", "StaleOrder", VALL},
    {103, "9", "TradeAlongRequired", V44},
    {103, "10", "InvalidInvestorID", V44},
    {103, "11", "UnsupportedOrderCharacteristic", V44},
    {103, "13", "IncorrectQuantity", V44},
    {103, "15", "UnknownAccount", V44},
    {103, "99", "Other", V44},
    {150, "0", "New", VALL},
    {150, "1", "PartialFill", V42},
    {150, "2", "Fill", V42},
    {150, "3", "DoneForDay", VALL},
    {150, "4", "Canceled", VALL},
    {150, "5", "Replaced", VALL},
    {150, "6", "PendingCancel", VALL},
    {150, "7", "Stopped", VALL},
    {150, "8", "Rejected", VALL},
    {150, "9", "Suspended", VALL},
    {150, "A", "PendingNew", VALL},
    {150, "B", "Calculated", VALL},
    {150, "C", "Expired", VALL},
    {150, "D", "Restated", VALL},
    {150, "E", "PendingReplace", VALL},
    {150, "F", "Trade", V44},
    {150, "G", "TradeCorrect", V44},
    {150, "H", "TradeCancel", V44},
    {150, "I", "OrderStatus", V44},
    {373, "0", "InvalidTagNumber", VALL},
    {373, "1", "RequiredTagMissing", VALL},
    {373, "2", "TagNotDefinedForThisMessageType", VALL},
    {373, "3", "UndefinedTag", VALL},
    {373, "4", "TagSpecifiedWithoutAValue", VALL},
    {373, "5", "ValueIsIncorrect", VALL},
    {373, "6", "IncorrectDataFormat", VALL},
    {373, "7", "DecryptionProblem", VALL},
    {373, "8", "SignatureProblem", VALL},
    {373, "9", "CompIDProblem", VALL},
    {373, "10", "SendingTimeAccuracyProblem", VALL},
    {373, "11", "InvalidMsgType", VALL},
    {373, "12", "XMLValidationError", V44},
    {373, "13", "TagAppearsMoreThanOnce", V44},
    {373, "14", "TagSpecifiedOutOfRequiredOrder", V44},
    {373, "15", "RepeatingGroupFieldsOutOfOrder", V44},
    {373, "16", "IncorrectNumInGroupCount", V44},
    {373, "17", "NonDataValueIncludesFieldDelimiter", V44},
    {373, "99", "Other", V44},
    {380, "0", "Other", VALL},
    {380, "1", "UnknownID", VALL},
    {380, "2", "UnknownSecurity", VALL},
    {380, "3", "UnsupportedMessageType", VALL},
    {380, "4", "ApplicationNotAvailable", VALL},
    {380, "5", "ConditionallyRequiredFieldMissing", VALL},
    {380, "6", "NotAuthorized", V44},
    {380, "7", "DeliverToFirmNotAvailable", V44},
    {380, "18", "InvalidPriceIncrement", V44},
    {434, "1", "OrderCancelRequest", VALL},
    {434, "2", "OrderCancelReplaceRequest", VALL},
    {530, "1", "CancelOrdersForASecurity", V44},
    {530, "7", "CancelAllOrders", V44},
    {531, "0", "CancelRequestRejected", V44},
    {531, "1", "CancelOrdersForASecurity", V44},
    {531, "7", "CancelAllOrders", V44},
    {532, "0", "MassCancelNotSupported", V44},
    {532, "1", "InvalidOrUnknownSecurity", V44},
    {532, "99", "Other", V44},
    {585, "1", "StatusForOrdersForASecurity", V44},
    {585, "7", "StatusForAllOrders", V44},
};

static const struct {
    const char *type;
    const char *name;
} msg_names[] = {
    {"0", "Heartbeat"},
    {"1", "TestRequest"},
    {"2", "ResendRequest"},
    {"3", "Reject"},
    {"4", "SequenceReset"},
    {"5", "Logout"},
    {"8", "ExecutionReport"},
    {"9", "OrderCancelReject"},
    {"A", "Logon"},
    {"D", "NewOrderSingle"},
    {"F", "OrderCancelRequest"},
    {"G", "OrderCancelReplaceRequest"},
    {"H", "OrderStatusRequest"},
    {"j", "BusinessMessageReject"},
    {"q", "OrderMassCancelRequest"},
    {"r", "OrderMassCancelReport"},
    {"AF", "OrderMassStatusRequest"},
};

/* Header and trailer fields the one-line form leaves out. */
static const int session_tags[] = {8,   9,   10,  34,  35,  43,  49,  50,  52,   56,  57,
                                   89,  90,  91,  93,  97,  115, 116, 122, 128,  129, 142,
                                   143, 144, 145, 212, 213, 347, 369, 627, 1128, 1129};

/* Printed first, in this order; then the rest in wire order; then the tail. */
static const int head_tags[] = {150, 39, 11, 41, 37, 55, 54, 40, 38, 152, 44, 99, 59, 32,
                                31,  14, 151, 6};
static const int tail_tags[] = {103, 102, 434, 380, 373, 371, 372, 45, 58};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(int tag, const int *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == tag)
            return 1;
    return 0;
}

const char *fb_client_tag_name(int tag, int fix44)
{
    for (size_t i = 0; i < COUNT(tag_names); i++)
        if (tag_names[i].tag == tag)
            return !fix44 && tag_names[i].name42 ? tag_names[i].name42 : tag_names[i].name44;
    return NULL;
}

int fb_client_tag_parse(const char *s)
{
    if (s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 5)
        return atoi(s);
    for (size_t i = 0; i < COUNT(tag_names); i++)
        if (strcmp(tag_names[i].name44, s) == 0 ||
            (tag_names[i].name42 && strcmp(tag_names[i].name42, s) == 0))
            return tag_names[i].tag;
    return -1;
}

const char *fb_client_enum_name(int tag, const char *value, int fix44)
{
    unsigned v = fix44 ? V44 : V42;
    for (size_t i = 0; i < COUNT(enum_names); i++)
        if (enum_names[i].tag == tag && (enum_names[i].versions & v) &&
            strcmp(enum_names[i].value, value) == 0)
            return enum_names[i].name;
    return NULL;
}

const char *fb_client_msgtype_name(const char *msg_type)
{
    for (size_t i = 0; i < COUNT(msg_names); i++)
        if (strcmp(msg_names[i].type, msg_type) == 0)
            return msg_names[i].name;
    return NULL;
}

const char *fb_client_msgtype_parse(const char *s)
{
    for (size_t i = 0; i < COUNT(msg_names); i++)
        if (strcmp(msg_names[i].name, s) == 0 || strcmp(msg_names[i].type, s) == 0)
            return msg_names[i].type;
    /* Any other 1-2 alphanumeric MsgType (a user-defined or unsupported
     * one, for negative tests). */
    size_t n = strlen(s);
    if (n >= 1 && n <= 2 &&
        strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == n)
        return s;
    return NULL;
}

enum fb_err fb_client_msg_parse(const char *raw, size_t len, int bar, struct fb_client_msg *m)
{
    char sep = bar ? '|' : '\001';
    memset(m, 0, sizeof *m);
    m->buf = malloc(len + 1);
    if (m->buf == NULL)
        return FB_ERR_NOMEM;
    memcpy(m->buf, raw, len);
    m->buf[len] = '\0';
    size_t pos = 0;
    while (pos < len) {
        char *f = m->buf + pos;
        char *end = memchr(f, sep, len - pos);
        size_t flen = end ? (size_t)(end - f) : len - pos;
        f[flen] = '\0';
        pos += flen + 1;
        if (flen == 0)
            continue;
        char *eq = strchr(f, '=');
        if (eq == NULL || eq == f || strspn(f, "0123456789") != (size_t)(eq - f) ||
            eq - f > 5) {
            fb_client_msg_free(m);
            return FB_ERR_PARSE;
        }
        if (m->nfields == FB_CLIENT_MSG_MAX_FIELDS) {
            fb_client_msg_free(m);
            return FB_ERR_TOO_LARGE;
        }
        *eq = '\0';
        m->f[m->nfields].tag = atoi(f);
        m->f[m->nfields].value = eq + 1;
        m->nfields++;
    }
    const char *bs = fb_client_msg_get(m, 8);
    m->fix44 = bs == NULL || strcmp(bs, "FIX.4.2") != 0;
    return FB_OK;
}

void fb_client_msg_free(struct fb_client_msg *m)
{
    free(m->buf);
    m->buf = NULL;
    m->nfields = 0;
}

const char *fb_client_msg_get(const struct fb_client_msg *m, int tag)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (m->f[i].tag == tag)
            return m->f[i].value;
    return NULL;
}

/* snprintf-style appending that keeps counting past the end, so the caller
 * learns the length the whole line needs. */
struct line {
    char *buf;
    size_t cap;
    size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
    if (l->len < l->cap) {
        size_t room = l->cap - l->len - 1;
        memcpy(l->buf + l->len, s, n < room ? n : room);
        l->buf[l->len + (n < room ? n : room)] = '\0';
    }
    l->len += n;
}

static void puts_(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

static void put_value(struct line *l, const char *v)
{
    if (v[0] != '\0' && strpbrk(v, " \t\"") == NULL) {
        puts_(l, v);
        return;
    }
    put(l, "\"", 1);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            put(l, "\\", 1);
        put(l, v, 1);
    }
    put(l, "\"", 1);
}

static void put_field(struct line *l, int tag, const char *value, int fix44)
{
    char num[16];
    const char *name = fb_client_tag_name(tag, fix44);
    if (name == NULL) {
        snprintf(num, sizeof num, "%d", tag);
        name = num;
    }
    put(l, " ", 1);
    puts_(l, name);
    put(l, "=", 1);
    const char *en = fb_client_enum_name(tag, value, fix44);
    put_value(l, en ? en : value);
}

static size_t format_fields(const char *msg_type, const int *tags, const char *const *values,
                            size_t n, int fix44, char *out, size_t outlen)
{
    struct line l = {out, outlen, 0};
    const char *tn = fb_client_msgtype_name(msg_type);
    if (outlen > 0)
        out[0] = '\0';
    if (tn)
        puts_(&l, tn);
    else {
        puts_(&l, "MsgType=");
        put_value(&l, msg_type);
    }
    for (size_t h = 0; h < COUNT(head_tags); h++)
        for (size_t i = 0; i < n; i++)
            if (tags[i] == head_tags[h])
                put_field(&l, tags[i], values[i], fix44);
    for (size_t i = 0; i < n; i++)
        if (!in_list(tags[i], head_tags, COUNT(head_tags)) &&
            !in_list(tags[i], tail_tags, COUNT(tail_tags)) &&
            !in_list(tags[i], session_tags, COUNT(session_tags)))
            put_field(&l, tags[i], tags[i] == 554 ? "***" : values[i], fix44);
    for (size_t t = 0; t < COUNT(tail_tags); t++)
        for (size_t i = 0; i < n; i++)
            if (tags[i] == tail_tags[t])
                put_field(&l, tags[i], values[i], fix44);
    return l.len;
}

size_t fb_client_format(const struct fb_client_msg *m, char *out, size_t outlen)
{
    int tags[FB_CLIENT_MSG_MAX_FIELDS];
    const char *values[FB_CLIENT_MSG_MAX_FIELDS];
    for (size_t i = 0; i < m->nfields; i++) {
        tags[i] = m->f[i].tag;
        values[i] = m->f[i].value;
    }
    const char *t = fb_client_msg_get(m, 35);
    return format_fields(t ? t : "?", tags, values, m->nfields, m->fix44, out, outlen);
}

size_t fb_client_format_out(const struct fb_client_out *o, int fix44, char *out, size_t outlen)
{
    return format_fields(o->msg_type, o->tags, o->values, o->nfields, fix44, out, outlen);
}

size_t fb_client_format_expect(const struct fb_client_cmd *e, int fix44, char *out,
                               size_t outlen)
{
    struct line l = {out, outlen, 0};
    if (outlen > 0)
        out[0] = '\0';
    const char *tn = e->msg_type[0] ? fb_client_msgtype_name(e->msg_type) : "*";
    puts_(&l, tn ? tn : e->msg_type);
    for (size_t i = 0; i < e->nfields; i++) {
        char num[16];
        const char *name = fb_client_tag_name(e->fields[i].tag, fix44);
        if (name == NULL) {
            snprintf(num, sizeof num, "%d", e->fields[i].tag);
            name = num;
        }
        put(&l, " ", 1);
        puts_(&l, name);
        put(&l, "=", 1);
        put_value(&l, e->fields[i].value);
    }
    return l.len;
}

static void why_add(struct line *l, const char *fmt, ...) FB_PRINTF(2, 3);
static void why_add(struct line *l, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (l->len > 0)
        puts_(l, "; ");
    put(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static int value_matches(int tag, const char *want, const char *got, int fix44,
                         const struct fb_client_ids *ids)
{
    if (strcmp(want, got) == 0)
        return 1;
    const char *en = fb_client_enum_name(tag, got, fix44);
    if (en && strcmp(en, want) == 0)
        return 1;
    if ((tag == 11 || tag == 41 || tag == 584) && ids &&
        strcmp(fb_client_ids_resolve(ids, want), got) == 0)
        return 1;
    return 0;
}

int fb_client_match(const struct fb_client_cmd *expect, const struct fb_client_msg *m,
                    const struct fb_client_ids *ids, char *why, size_t whylen)
{
    struct line l = {why, whylen, 0};
    int ok = 1;
    if (whylen > 0)
        why[0] = '\0';
    const char *type = fb_client_msg_get(m, 35);
    if (expect->msg_type[0] && (type == NULL || strcmp(type, expect->msg_type) != 0)) {
        const char *wn = fb_client_msgtype_name(expect->msg_type);
        const char *gn = type ? fb_client_msgtype_name(type) : NULL;
        why_add(&l, "MsgType: expected %s, got %s", wn ? wn : expect->msg_type,
                gn ? gn : type ? type : "none");
        ok = 0;
    }
    for (size_t i = 0; i < expect->nfields; i++) {
        int tag = expect->fields[i].tag;
        const char *want = expect->fields[i].value;
        const char *got = fb_client_msg_get(m, tag);
        const char *name = fb_client_tag_name(tag, m->fix44);
        char label[48];
        snprintf(label, sizeof label, "%s(%d)", name ? name : "", tag);
        const char *lab = name ? label : label + 1; /* "(44)" -> "44)": use the bare tag */
        char bare[16];
        if (!name) {
            snprintf(bare, sizeof bare, "%d", tag);
            lab = bare;
        }
        if (strcmp(want, "*") == 0) {
            if (got == NULL) {
                why_add(&l, "%s: expected present, missing", lab);
                ok = 0;
            }
            continue;
        }
        if (strcmp(want, "!") == 0) {
            if (got != NULL) {
                why_add(&l, "%s: expected absent, got %s", lab, got);
                ok = 0;
            }
            continue;
        }
        if (got == NULL) {
            why_add(&l, "%s: expected %s, missing", lab, want);
            ok = 0;
            continue;
        }
        if (!value_matches(tag, want, got, m->fix44, ids)) {
            const char *en = fb_client_enum_name(tag, got, m->fix44);
            if (en)
                why_add(&l, "%s: expected %s, got %s (%s)", lab, want, en, got);
            else
                why_add(&l, "%s: expected %s, got %s", lab, want, got);
            ok = 0;
        }
    }
    return ok;
}
