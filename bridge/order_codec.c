/*
 * order_codec.c -- journal payloads as "key=value" lines, driven by one
 * table of fields per record type (no per-field code).
 */
#include "bridge/order_codec.h"
#include "bridge/textcat.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ftype { F_STR, F_DEC, F_I64, F_U8, F_INT, F_SIZE };

struct field {
    const char *key;
    enum ftype type;
    size_t off;
    size_t size; /* F_STR: array size */
    unsigned events; /* event records: bit (1 << type) it belongs to; 0 = all */
};

#define STR(k, st, m) {k, F_STR, offsetof(st, m), sizeof(((st *)0)->m), 0}
#define DEC(k, st, m) {k, F_DEC, offsetof(st, m), 0, 0}
#define I64(k, st, m) {k, F_I64, offsetof(st, m), 0, 0}
#define U8(k, st, m) {k, F_U8, offsetof(st, m), 0, 0}
#define INT(k, st, m) {k, F_INT, offsetof(st, m), 0, 0}
#define SZ(k, st, m) {k, F_SIZE, offsetof(st, m), 0, 0}

#define TERMS(p, st, m)                                                                            \
    INT(p "ord_type", st, m.ord_type), INT(p "tif", st, m.tif),                                    \
        I64(p "expire", st, m.expire_time_ns), DEC(p "qty", st, m.qty),                            \
        DEC(p "price", st, m.price), DEC(p "stop_px", st, m.stop_px),                              \
        DEC(p "max_floor", st, m.max_floor), DEC(p "cash_qty", st, m.cash_qty),                    \
        U8(p "post_only", st, m.post_only)

#define NR struct fb_jrec_new
static const struct field new_fields[] = {
    STR("order_id", NR, order_id),
    STR("coid", NR, coid),
    SZ("session", NR, req.session),
    STR("cl_ord_id", NR, req.cl_ord_id),
    STR("account", NR, req.account),
    STR("symbol", NR, req.symbol),
    SZ("venue", NR, req.venue),
    STR("venue_symbol", NR, req.venue_symbol),
    INT("side", NR, req.side),
    TERMS("", NR, req.terms),
    U8("poss_resend", NR, req.poss_resend),
    STR("text", NR, req.text),
    STR("security_exchange", NR, req.security_exchange),
    STR("ex_destination", NR, req.ex_destination),
    U8("px_places", NR, req.px_places),
};
#undef NR

#define ER struct fb_jrec_event
static const struct field event_fields[] = {
    STR("order_id", ER, order_id),
    STR("coid", ER, coid),
    STR("exec_id", ER, exec_id),
    INT("type", ER, ev.type),
    I64("time", ER, ev.time_ns),
    STR("venue_order_id", ER, ev.venue_order_id),
    STR("text", ER, ev.text),
    INT("reason", ER, ev.reason),
    U8("clordid_in_use", ER, ev.cl_ord_id_in_use),
};
/* per event type: the union member's fields (prefixed keys) */
static const struct field fill_fields[] = {
    STR("fill.trade_id", ER, ev.u.fill.trade_id),
    DEC("fill.qty", ER, ev.u.fill.qty),
    DEC("fill.px", ER, ev.u.fill.px),
    U8("fill.has_commission", ER, ev.u.fill.has_commission),
    DEC("fill.commission", ER, ev.u.fill.commission),
    STR("fill.commission_ccy", ER, ev.u.fill.commission_ccy),
    INT("fill.liquidity", ER, ev.u.fill.liquidity),
    U8("fill.last", ER, ev.u.fill.last),
};
static const struct field cancel_fields[] = {
    SZ("cxl.session", ER, ev.u.cancel.session),
    STR("cxl.cl_ord_id", ER, ev.u.cancel.cl_ord_id),
    STR("cxl.orig_cl_ord_id", ER, ev.u.cancel.orig_cl_ord_id),
    STR("cxl.order_id", ER, ev.u.cancel.order_id),
    STR("cxl.symbol", ER, ev.u.cancel.symbol),
    INT("cxl.side", ER, ev.u.cancel.side),
    STR("cxl.text", ER, ev.u.cancel.text),
};
static const struct field replace_fields[] = {
    SZ("rpl.session", ER, ev.u.replace.session),
    STR("rpl.cl_ord_id", ER, ev.u.replace.cl_ord_id),
    STR("rpl.orig_cl_ord_id", ER, ev.u.replace.orig_cl_ord_id),
    STR("rpl.order_id", ER, ev.u.replace.order_id),
    STR("rpl.account", ER, ev.u.replace.account),
    STR("rpl.symbol", ER, ev.u.replace.symbol),
    INT("rpl.side", ER, ev.u.replace.side),
    TERMS("rpl.", ER, ev.u.replace.terms),
    STR("rpl.text", ER, ev.u.replace.text),
    SZ("rpl.venue", ER, ev.u.replace.venue),
    STR("rpl.venue_symbol", ER, ev.u.replace.venue_symbol),
};
static const struct field replaced_fields[] = {
    DEC("rpd.qty", ER, ev.u.replaced.qty),
    DEC("rpd.price", ER, ev.u.replaced.price),
    DEC("rpd.stop_px", ER, ev.u.replaced.stop_px),
};
static const struct field cause_fields[] = {
    INT("cause", ER, ev.u.cause),
};
#undef ER

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The union member an event type carries, if any. */
static const struct field *member_fields(enum fb_order_event_type t, size_t *n)
{
    switch (t) {
    case FB_OEV_FILL:
        *n = N(fill_fields);
        return fill_fields;
    case FB_OEV_CANCEL_REQUEST:
        *n = N(cancel_fields);
        return cancel_fields;
    case FB_OEV_REPLACE_REQUEST:
        *n = N(replace_fields);
        return replace_fields;
    case FB_OEV_REPLACED:
        *n = N(replaced_fields);
        return replaced_fields;
    case FB_OEV_CANCELED:
        *n = N(cause_fields);
        return cause_fields;
    case FB_OEV_ACCEPT:
    case FB_OEV_REJECT:
    case FB_OEV_ACK:
    case FB_OEV_CANCEL_REJECT:
    case FB_OEV_REPLACE_REJECT:
    case FB_OEV_EXPIRED:
    case FB_OEV_STATUS:
    case FB_OEV_DUPLICATE_NEW:
    case FB_OEV_LAST:
        break;
    }
    *n = 0;
    return NULL;
}

/* ---- encoding ---------------------------------------------------------- */

struct out {
    char *buf;
    size_t size, len;
    int full;
};

static void put(struct out *o, const char *key, const char *val)
{
    /* every record of every order comes through here: no snprintf */
    size_t kl = strlen(key);
    if (kl + 1 >= o->size - o->len) {
        o->full = 1;
        return;
    }
    memcpy(o->buf + o->len, key, kl);
    o->len += kl;
    o->buf[o->len++] = '=';
    for (const char *p = val; *p; p++) {
        if (o->len + 2 >= o->size) {
            o->full = 1;
            return;
        }
        /* one record per line: a newline in free text becomes a space */
        o->buf[o->len++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
    }
    o->buf[o->len++] = '\n';
    o->buf[o->len] = '\0';
}

/* v in decimal, NUL-terminated; out holds at least 21 bytes. */
static void fmt_i64(int64_t v, char *out)
{
    struct fb_cat c = fb_cat_init(out, 21);
    fb_cat_i64(&c, v);
}

static void put_fields(struct out *o, const void *base, const struct field *f, size_t n)
{
    char tmp[FB_DEC_STRMAX + 8];
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)base + f[i].off;
        switch (f[i].type) {
        case F_STR:
            if (*p)
                put(o, f[i].key, p);
            continue;
        case F_DEC: {
            struct fb_dec d;
            memcpy(&d, p, sizeof d);
            if (fb_dec_is_zero(d))
                continue;
            fb_dec_format(d, tmp);
            break;
        }
        case F_I64: {
            int64_t v;
            memcpy(&v, p, sizeof v);
            if (!v)
                continue;
            fmt_i64(v, tmp);
            break;
        }
        case F_U8:
            if (!*(const uint8_t *)p)
                continue;
            fmt_i64(*(const uint8_t *)p, tmp);
            break;
        case F_INT: {
            int v;
            memcpy(&v, p, sizeof v);
            fmt_i64(v, tmp);
            break;
        }
        case F_SIZE: {
            size_t v;
            memcpy(&v, p, sizeof v);
            if (v > (size_t)INT64_MAX)
                snprintf(tmp, sizeof tmp, "%zu", v);
            else
                fmt_i64((int64_t)v, tmp);
            break;
        }
        }
        put(o, f[i].key, tmp);
    }
}

size_t fb_jrec_new_encode(const struct fb_jrec_new *r, char *buf, size_t size)
{
    struct out o = {buf, size, 0, 0};
    if (!size)
        return 0;
    buf[0] = '\0';
    put(&o, "v", "1");
    put_fields(&o, r, new_fields, N(new_fields));
    return o.full ? 0 : o.len;
}

static const struct field sent_fields[] = {
    I64("upto", struct fb_jrec_sent, upto),
};

size_t fb_jrec_sent_encode(const struct fb_jrec_sent *r, char *buf, size_t size)
{
    struct out o = {buf, size, 0, 0};
    if (!size)
        return 0;
    buf[0] = '\0';
    put(&o, "v", "1");
    put_fields(&o, r, sent_fields, N(sent_fields));
    return o.full ? 0 : o.len;
}

size_t fb_jrec_event_encode(const struct fb_jrec_event *r, char *buf, size_t size)
{
    struct out o = {buf, size, 0, 0};
    size_t n;
    const struct field *mf = member_fields(r->ev.type, &n);
    if (!size)
        return 0;
    buf[0] = '\0';
    put(&o, "v", "1");
    put_fields(&o, r, event_fields, N(event_fields));
    if (mf)
        put_fields(&o, r, mf, n);
    return o.full ? 0 : o.len;
}

/* ---- decoding ---------------------------------------------------------- */

static enum fb_err set_field(void *base, const struct field *f, const char *v, size_t vlen)
{
    char *p = (char *)base + f->off;
    char tmp[64];
    char *end;

    if (f->type != F_STR && f->type != F_DEC) {
        if (vlen == 0 || vlen >= sizeof tmp)
            return FB_ERR_PARSE;
        memcpy(tmp, v, vlen);
        tmp[vlen] = '\0';
    }
    switch (f->type) {
    case F_STR:
        if (vlen >= f->size)
            return FB_ERR_PARSE;
        memcpy(p, v, vlen);
        p[vlen] = '\0';
        return FB_OK;
    case F_DEC: {
        struct fb_dec d;
        if (fb_dec_parse(v, vlen, &d) != FB_OK)
            return FB_ERR_PARSE;
        memcpy(p, &d, sizeof d);
        return FB_OK;
    }
    case F_I64: {
        long long x = strtoll(tmp, &end, 10);
        if (*end)
            return FB_ERR_PARSE;
        int64_t y = (int64_t)x;
        memcpy(p, &y, sizeof y);
        return FB_OK;
    }
    case F_U8: {
        unsigned long x = strtoul(tmp, &end, 10);
        if (*end || x > 255)
            return FB_ERR_PARSE;
        *(uint8_t *)p = (uint8_t)x;
        return FB_OK;
    }
    case F_INT: {
        long x = strtol(tmp, &end, 10);
        if (*end || x < -1000000 || x > 1000000)
            return FB_ERR_PARSE;
        int y = (int)x;
        memcpy(p, &y, sizeof y);
        return FB_OK;
    }
    case F_SIZE: {
        unsigned long long x = strtoull(tmp, &end, 10);
        if (*end)
            return FB_ERR_PARSE;
        size_t y = (size_t)x;
        memcpy(p, &y, sizeof y);
        return FB_OK;
    }
    }
    return FB_ERR_PARSE;
}

/* Applies every "key=value" line of buf to base through the tables; keys
 * it does not know are skipped (a newer writer's). */
static enum fb_err decode(const char *buf, size_t len, void *base,
                          const struct field *const *tables, const size_t *ntables, size_t nt)
{
    size_t i = 0;
    int version_seen = 0;

    while (i < len) {
        size_t eol = i;
        while (eol < len && buf[eol] != '\n')
            eol++;
        const char *eq = memchr(buf + i, '=', eol - i);
        if (!eq)
            return FB_ERR_PARSE;
        size_t klen = (size_t)(eq - (buf + i));
        const char *v = eq + 1;
        size_t vlen = eol - (size_t)(v - buf);
        if (klen == 1 && buf[i] == 'v') {
            if (vlen != 1 || v[0] != '1')
                return FB_ERR_UNSUPPORTED;
            version_seen = 1;
        } else {
            for (size_t t = 0; t < nt; t++) {
                for (size_t k = 0; k < ntables[t]; k++) {
                    const struct field *f = &tables[t][k];
                    if (strlen(f->key) == klen && !memcmp(f->key, buf + i, klen)) {
                        enum fb_err rc = set_field(base, f, v, vlen);
                        if (rc)
                            return rc;
                    }
                }
            }
        }
        i = eol + 1;
    }
    return version_seen ? FB_OK : FB_ERR_PARSE;
}

enum fb_err fb_jrec_new_decode(const char *buf, size_t len, struct fb_jrec_new *out)
{
    const struct field *tables[] = {new_fields};
    const size_t n[] = {N(new_fields)};
    memset(out, 0, sizeof *out);
    return decode(buf, len, out, tables, n, 1);
}

enum fb_err fb_jrec_event_decode(const char *buf, size_t len, struct fb_jrec_event *out)
{
    const struct field *tables[] = {event_fields, fill_fields, cancel_fields, replace_fields,
                                    replaced_fields, cause_fields};
    const size_t n[] = {N(event_fields),    N(fill_fields),     N(cancel_fields),
                        N(replace_fields), N(replaced_fields), N(cause_fields)};
    memset(out, 0, sizeof *out);
    return decode(buf, len, out, tables, n, 6);
}

enum fb_err fb_jrec_sent_decode(const char *buf, size_t len, struct fb_jrec_sent *out)
{
    const struct field *tables[] = {sent_fields};
    const size_t n[] = {N(sent_fields)};
    memset(out, 0, sizeof *out);
    enum fb_err rc = decode(buf, len, out, tables, n, 1);
    return rc == FB_OK && out->upto < 0 ? FB_ERR_PARSE : rc;
}
