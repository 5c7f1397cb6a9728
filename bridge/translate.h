/*
 * translate.h -- inbound FIX application messages -> order intents.
 *
 * A pure function: a message view (a field getter, so no FIX engine is
 * needed), the routing table, the venues' capabilities and market rules and
 * the current time go in; one struct fb_tr_result comes out, holding either
 * an intent from bridge/order.h or a reject that says which FIX channel to
 * answer on, with which reason code and a Text that names the problem. A
 * reject never carries a partial intent, and nothing outside *out is ever
 * written.
 *
 * Supported (FIX 4.4 and 4.2): NewOrderSingle (D), OrderCancelRequest (F),
 * OrderCancelReplaceRequest (G), OrderStatusRequest (H),
 * OrderMassCancelRequest (q), OrderMassStatusRequest (AF). q and AF are
 * FIX 4.3+ messages: on a 4.2 session they are not message types at all
 * (session Reject 373=11, as spec/RULES_OF_ENGAGEMENT.md says).
 *
 * Every field read, every accepted value and every reject reason lives in a
 * table in translate.c; fb_tr_tag_tables() exports which tags are read so a
 * test can hold them against the data dictionaries.
 *
 * Rules worth knowing (they are the refusals OMSs meet):
 *  - anything the routed venue cannot honour (order type, TimeInForce,
 *    post-only, iceberg, quote quantity, replace) is refused with a Text
 *    that says so; nothing is ever substituted (no IOC sent as FOK);
 *  - absent TimeInForce(59) means Day, as FIX says; a venue that cannot
 *    honour Day refuses it;
 *  - prices and quantities are checked against the route's market rules
 *    (tick, step, min/max qty, min notional) before anything is sent;
 *  - malformed input (missing required tag, unparsable value, a value FIX
 *    does not define) is a session-level Reject (35=3) with RefTagID, per
 *    the lifecycle rules; everything else goes to the message's own channel.
 */
#ifndef FB_TRANSLATE_H
#define FB_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

#include "adapters/venue.h"
#include "bridge/error.h"
#include "bridge/fix_version.h"
#include "bridge/order.h"
#include "bridge/route.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A read-only view of one inbound message. get returns the value of a body
 * or header tag exactly as on the wire (NUL-terminated), or NULL if the tag
 * is absent; the string must stay valid until fb_translate returns.
 */
struct fb_msg_view {
    void *ctx;
    const char *(*get)(void *ctx, int tag);
    const char *msg_type; /* MsgType(35), e.g. "D", "AF" */
    enum fb_fix_version version;
};

/* One configured venue, as translate needs it. */
struct fb_tr_venue {
    const char *name;      /* for Texts, e.g. "binance" */
    unsigned int supports; /* FB_VSUP_* from adapters/venue.h */
};

/*
 * Everything translation depends on besides the message. Borrowed for the
 * duration of the call; the caller must not change it concurrently.
 */
struct fb_tr_env {
    const struct fb_route_table *routes;
    const struct fb_tr_venue *venues; /* indexed by fb_route.venue_index */
    size_t venue_count;
    /* Market rules per route, indexed like the array given to
     * fb_route_table_new (fb_route_hit.route_index). Zero fields mean "no
     * such limit"; markets == NULL means no limits known for any route. */
    const struct fb_venue_market *markets;
    size_t market_count;
    int64_t now_ns; /* ns since the epoch UTC: ExpireTime must be later */
    size_t session; /* copied into the intent */
};

/* What kind of message was translated. */
enum fb_tr_kind {
    FB_TR_NEW_ORDER = 0,   /* D */
    FB_TR_CANCEL = 1,      /* F */
    FB_TR_REPLACE = 2,     /* G */
    FB_TR_STATUS = 3,      /* H */
    FB_TR_MASS_CANCEL = 4, /* q */
    FB_TR_MASS_STATUS = 5, /* AF */
    FB_TR_UNSUPPORTED = 6, /* any other MsgType (always rejected) */
    FB_TR_KIND_LAST        /* not a true kind, never use this */
};

/* Which message answers a reject, and what rej.reason means there. */
enum fb_tr_channel {
    FB_TR_CH_SESSION = 0,       /* Reject (3): SessionRejectReason(373), RefTagID(371) */
    FB_TR_CH_EXEC_REPORT = 1,   /* ExecutionReport 150=8 39=8: OrdRejReason(103) */
    FB_TR_CH_CANCEL_REJECT = 2, /* OrderCancelReject (9): CxlRejReason(102),
                                   CxlRejResponseTo(434) */
    FB_TR_CH_STATUS_REJECT = 3, /* ExecutionReport 150=I 39=8: OrdRejReason(103) */
    FB_TR_CH_MASS_CANCEL = 4,   /* OrderMassCancelReport (r) 531=0:
                                   MassCancelRejectReason(532) */
    FB_TR_CH_BUSINESS = 5,      /* BusinessMessageReject (j): BusinessRejectReason(380) */
    FB_TR_CH_LAST               /* not a true channel, never use this */
};

/* Why, in translate's own terms; each maps to a FIX reason per channel and
 * version through one table in translate.c. */
enum fb_tr_problem {
    FB_TRP_NONE = 0,
    FB_TRP_UNSUPPORTED_MSG = 1,   /* MsgType not handled */
    FB_TRP_REQUIRED_MISSING = 2,  /* required tag absent (session level) */
    FB_TRP_BAD_FORMAT = 3,        /* value does not parse (session level) */
    FB_TRP_BAD_VALUE = 4,         /* value FIX does not define (session level) */
    FB_TRP_COND_MISSING = 5,      /* a tag this order's other tags require is absent */
    FB_TRP_TOO_LONG = 6,          /* identifier longer than the bridge stores */
    FB_TRP_UNKNOWN_SYMBOL = 7,    /* Symbol(55) has no route */
    FB_TRP_NO_ROUTE = 8,          /* ExDestination(100) names no route (or none given
                                     and the symbol has no default) */
    FB_TRP_UNSUPPORTED = 9,       /* a FIX feature or combination the bridge or venue
                                     cannot honour */
    FB_TRP_BAD_QTY = 10,          /* quantity invalid or against the venue's rules */
    FB_TRP_BAD_PRICE = 11,        /* price present/absent wrongly or off tick */
    FB_TRP_BAD_EXPIRE = 12,       /* ExpireTime missing, in the past or misplaced */
    FB_TRP_EMPTY_VALUE = 13,      /* tag present without a value (session level) */
    FB_TRP_INVALID_MSG_TYPE = 14, /* MsgType not defined in this FIX version (session) */
    FB_TRP_LAST                   /* not a true problem, never use this */
};

struct fb_tr_reject {
    enum fb_tr_problem problem;
    enum fb_tr_channel channel;
    int reason;              /* value of the channel's reason tag (see above) */
    int ref_tag;             /* the offending tag, 0 if none (RefTagID on 35=3) */
    int cxl_rej_response_to; /* CxlRejResponseTo(434): 1 for F, 2 for G; else 0 */
    char text[FB_TEXT_LEN + 1];
};

/* The identifying fields of the message as sent (cut to fit, "" if absent),
 * so a reject can be reported without the message. Filled for accepted and
 * rejected messages alike. */
struct fb_tr_echo {
    char cl_ord_id[FB_ID_LEN + 1];          /* 11 */
    char orig_cl_ord_id[FB_ID_LEN + 1];     /* 41 */
    char order_id[FB_ID_LEN + 1];           /* 37 */
    char mass_status_req_id[FB_ID_LEN + 1]; /* 584 */
    char account[FB_ID_LEN + 1];            /* 1 */
    char symbol[FB_SYMBOL_LEN + 1];         /* 55 */
    char side[2];                           /* 54 */
};

struct fb_tr_result {
    enum fb_tr_kind kind;
    uint8_t rejected; /* 1: rej is set and u is all zero; 0: u.<kind> is set */
    union {
        struct fb_new_order new_order;     /* FB_TR_NEW_ORDER */
        struct fb_cancel_order cancel;     /* FB_TR_CANCEL */
        struct fb_replace_order replace;   /* FB_TR_REPLACE */
        struct fb_status_request status;   /* FB_TR_STATUS */
        struct fb_mass_cancel mass_cancel; /* FB_TR_MASS_CANCEL */
        struct fb_mass_status mass_status; /* FB_TR_MASS_STATUS */
    } u;
    struct fb_tr_reject rej;
    struct fb_tr_echo echo;
};

/*
 * Translates msg into *out (fully overwritten). Returns FB_OK whenever *out
 * holds a result, accepted or rejected; FB_ERR_INVALID if an argument is
 * NULL or msg->version is out of range; FB_ERR_INTERNAL if env is
 * inconsistent (a route's venue index beyond venue_count).
 */
enum fb_err fb_translate(const struct fb_tr_env *env, const struct fb_msg_view *msg,
                         struct fb_tr_result *out) FB_WARN_UNUSED;

/* Parses a FIX UTCTimestamp ("YYYYMMDD-HH:MM:SS" with an optional '.' and
 * 1..9 fractional digits) into ns since the epoch. FB_ERR_PARSE if not. */
enum fb_err fb_tr_parse_utc_timestamp(const char *s, int64_t *ns) FB_WARN_UNUSED;

/* One tag translate reads for a message. */
struct fb_tr_tag {
    int tag;
    const char *name; /* the FIX field name, as in the data dictionaries */
    uint8_t required; /* absent -> session Reject 373=1 */
    uint8_t header;   /* a standard-header tag, not a body tag */
};

/* The tags read for one MsgType in one version. */
struct fb_tr_msg_tags {
    const char *msg_type;
    enum fb_fix_version version;
    const struct fb_tr_tag *tags;
    size_t count;
};

/* The static table of what fb_translate reads, one row per (MsgType,
 * version); *count gets the number of rows. Translate reads no other tag. */
const struct fb_tr_msg_tags *fb_tr_tag_tables(size_t *count);

#ifdef __cplusplus
}
#endif
#endif
