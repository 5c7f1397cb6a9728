/*
 * order_codec.h -- the payloads of the engine's journal records.
 *
 * Text, one "key=value" per line, so a journal can be read with ordinary
 * tools and a new key never breaks an old reader (unknown keys are
 * skipped). Decimals are written exactly (fb_dec_format), never through a
 * double. The first line names the payload version ("v=1").
 *
 * Record types:
 *   FB_JREC_NEW    an accepted new order: OrderID, venue client order id
 *                  and the whole intent (struct fb_new_order)
 *   FB_JREC_EVENT  one event applied to an order (struct fb_order_event),
 *                  the ExecID of the report it caused, and for a confirmed
 *                  replace the venue's new client id
 *   FB_JREC_SENT   a hint (FB_JOURNAL_F_HINT): the reports caused by every
 *                  record up to sequence number `upto` were handed to the
 *                  FIX engine; after a crash the ones past the last such
 *                  record are sent again (PossResend, same ExecID)
 *
 * Pure; no allocation beyond the caller's buffers.
 */
#ifndef FB_ORDER_CODEC_H
#define FB_ORDER_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"
#include "bridge/order.h"

enum fb_jrec_type {
    FB_JREC_NEW = 1,
    FB_JREC_EVENT = 2,
    FB_JREC_SENT = 3,
};

/* Largest payload either encoder writes. */
#define FB_ORDER_CODEC_MAX 4096

struct fb_jrec_new {
    char order_id[FB_ID_LEN + 1];
    char coid[FB_ID_LEN + 1]; /* venue client order id */
    struct fb_new_order req;
};

struct fb_jrec_event {
    char order_id[FB_ID_LEN + 1];
    char coid[FB_ID_LEN + 1]; /* REPLACED: the venue's id after it; else "" */
    char exec_id[FB_ID_LEN + 1]; /* of the report the event caused; "" none
                                    (or a journal written before 0.2) */
    struct fb_order_event ev;
};

struct fb_jrec_sent {
    int64_t upto; /* journal sequence number; 0 in the one a new journal
                     starts with (so a replay knows markers are kept) */
};

/* Encode into buf (size FB_ORDER_CODEC_MAX is always enough); returns the
 * length, or 0 if buf is too small. */
size_t fb_jrec_new_encode(const struct fb_jrec_new *r, char *buf, size_t size);
size_t fb_jrec_event_encode(const struct fb_jrec_event *r, char *buf, size_t size);
size_t fb_jrec_sent_encode(const struct fb_jrec_sent *r, char *buf, size_t size);

/* Decode; FB_ERR_PARSE names nothing (the caller knows the record's
 * offset), FB_ERR_UNSUPPORTED for an unknown payload version. */
enum fb_err fb_jrec_new_decode(const char *buf, size_t len, struct fb_jrec_new *out) FB_WARN_UNUSED;
enum fb_err fb_jrec_event_decode(const char *buf, size_t len,
                                 struct fb_jrec_event *out) FB_WARN_UNUSED;
enum fb_err fb_jrec_sent_decode(const char *buf, size_t len,
                                struct fb_jrec_sent *out) FB_WARN_UNUSED;

#endif
