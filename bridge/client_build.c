/*
 * client_build.c -- turns a parsed client command into the FIX message it
 * sends, and remembers the run's orders by name so that later commands
 * (cancel o1) and expectations (ClOrdID=o1) can refer to them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bridge/client.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...) FB_PRINTF(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const struct fb_client_order *fb_client_ids_find(const struct fb_client_ids *ids, const char *name)
{
    for (size_t i = ids->norders; i-- > 0;)
        if (strcmp(ids->orders[i].name, name) == 0)
            return &ids->orders[i];
    return NULL;
}

const char *fb_client_ids_resolve(const struct fb_client_ids *ids, const char *name)
{
    const struct fb_client_order *o = fb_client_ids_find(ids, name);
    return o ? o->clordid : name;
}

static void add(struct fb_client_out *out, int tag, const char *value)
{
    /* The arrays have room for every built-in field plus the command's
     * FB_CLIENT_MAX_FIELDS extras, so this cannot overflow. */
    out->tags[out->nfields] = tag;
    out->values[out->nfields] = value;
    out->nfields++;
}

static void set1(char *buf, char c)
{
    buf[0] = c;
    buf[1] = '\0';
}

/* Picks the name and ClOrdID for the message a command sends. */
static enum fb_err new_id(const struct fb_client_cmd *c, struct fb_client_ids *ids,
                          struct fb_client_out *out, char *err, size_t errlen)
{
    int n;
    if (c->id[0] != '\0')
        n = snprintf(out->name, sizeof out->name, "%s", c->id);
    else
        n = snprintf(out->name, sizeof out->name, "%s%u", ids->gen, ++ids->counter);
    if (n < 0 || (size_t)n >= sizeof out->name) {
        seterr(err, errlen, "order name too long");
        return FB_ERR_TOO_LARGE;
    }
    n = snprintf(out->clordid, sizeof out->clordid, "%s%s", ids->prefix, out->name);
    if (n < 0 || (size_t)n >= sizeof out->clordid) {
        seterr(err, errlen, "ClOrdID too long");
        return FB_ERR_TOO_LARGE;
    }
    return FB_OK;
}

static enum fb_err remember(struct fb_client_ids *ids, const struct fb_client_out *out, char side,
                            char ord_type, char *err, size_t errlen)
{
    if (ids->norders == FB_CLIENT_MAX_ORDERS) {
        seterr(err, errlen, "more than %d orders in one run", FB_CLIENT_MAX_ORDERS);
        return FB_ERR_TOO_LARGE;
    }
    struct fb_client_order *o = &ids->orders[ids->norders++];
    memset(o, 0, sizeof *o);
    memcpy(o->name, out->name, sizeof o->name);
    memcpy(o->clordid, out->clordid, sizeof o->clordid);
    memcpy(o->symbol, out->symbol, sizeof o->symbol);
    memcpy(o->qty, out->qty, sizeof o->qty);
    memcpy(o->price, out->price, sizeof o->price);
    o->side = side;
    o->ord_type = ord_type;
    return FB_OK;
}

static void add_order_options(const struct fb_client_cmd *c, struct fb_client_out *out)
{
    if (c->stop_px[0])
        add(out, 99, c->stop_px);
    if (c->tif) {
        set1(out->tif, c->tif);
        add(out, 59, out->tif);
    }
    if (c->expire[0])
        add(out, strlen(c->expire) == 8 ? 432 : 126, c->expire);
    if (c->post_only)
        add(out, 18, "6");
    if (c->display[0])
        add(out, 111, c->display);
    if (c->account[0])
        add(out, 1, c->account);
    if (c->exdest[0])
        add(out, 100, c->exdest);
}

static void add_extras(const struct fb_client_cmd *c, struct fb_client_out *out)
{
    for (size_t i = 0; i < c->nfields; i++)
        add(out, c->fields[i].tag, c->fields[i].value);
}

/* cancel/replace/status: the referenced order's identity, from the command
 * or from what this run remembers. */
static enum fb_err resolve_ref(const struct fb_client_cmd *c, const struct fb_client_ids *ids,
                               struct fb_client_out *out, char *side, char *ord_type, char *err,
                               size_t errlen)
{
    const struct fb_client_order *o = fb_client_ids_find(ids, c->ref);
    snprintf(out->orig, sizeof out->orig, "%s", o ? o->clordid : c->ref);
    snprintf(out->symbol, sizeof out->symbol, "%s", c->symbol[0] ? c->symbol : o ? o->symbol : "");
    snprintf(out->qty, sizeof out->qty, "%s", c->qty[0] ? c->qty : o ? o->qty : "");
    snprintf(out->price, sizeof out->price, "%s", c->price[0] ? c->price : o ? o->price : "");
    *side = c->side ? c->side : o ? o->side : 0;
    *ord_type = c->ord_type ? c->ord_type : o ? o->ord_type : 0;
    if (out->symbol[0] == '\0' || *side == 0) {
        seterr(err, errlen,
               "order '%s' is not known to this run: give symbol= and side= (FIX requires them)",
               c->ref);
        return FB_ERR_INVALID;
    }
    return FB_OK;
}

enum fb_err fb_client_build(const struct fb_client_cmd *c, struct fb_client_ids *ids, int fix44,
                            const char *transact_time, struct fb_client_out *out, char *err,
                            size_t errlen)
{
    enum fb_err e;
    char side = 0, ord_type = 0;

    memset(out, 0, sizeof *out);
    switch (c->verb) {
    case FB_CV_NEW:
        snprintf(out->msg_type, sizeof out->msg_type, "D");
        if ((e = new_id(c, ids, out, err, errlen)) != FB_OK)
            return e;
        memcpy(out->symbol, c->symbol, sizeof out->symbol);
        memcpy(out->qty, c->qty, sizeof out->qty);
        memcpy(out->price, c->price, sizeof out->price);
        side = c->side;
        ord_type = c->ord_type;
        add(out, 11, out->clordid);
        if (!fix44)
            add(out, 21, "1"); /* required in 4.2: automated, no broker intervention */
        add(out, 55, out->symbol);
        set1(out->side, side);
        add(out, 54, out->side);
        add(out, 60, transact_time);
        if (c->qty[0])
            add(out, 38, c->qty);
        else
            add(out, 152, c->cash_qty);
        set1(out->ord_type, ord_type);
        add(out, 40, out->ord_type);
        if (c->price[0])
            add(out, 44, c->price);
        add_order_options(c, out);
        break;
    case FB_CV_CANCEL:
    case FB_CV_REPLACE:
        snprintf(out->msg_type, sizeof out->msg_type, c->verb == FB_CV_CANCEL ? "F" : "G");
        if ((e = resolve_ref(c, ids, out, &side, &ord_type, err, errlen)) != FB_OK)
            return e;
        if (c->verb == FB_CV_REPLACE && ord_type == 0) {
            seterr(err, errlen, "replace: order '%s' is not known to this run: give type=",
                   c->ref);
            return FB_ERR_INVALID;
        }
        if (out->qty[0] == '\0' && (!fix44 || c->verb == FB_CV_REPLACE)) {
            seterr(err, errlen, "%s: give qty= (OrderQty is required here)",
                   c->verb == FB_CV_CANCEL ? "cancel" : "replace");
            return FB_ERR_INVALID;
        }
        if ((e = new_id(c, ids, out, err, errlen)) != FB_OK)
            return e;
        add(out, 41, out->orig);
        add(out, 11, out->clordid);
        if (c->verb == FB_CV_REPLACE && !fix44)
            add(out, 21, "1");
        add(out, 55, out->symbol);
        set1(out->side, side);
        add(out, 54, out->side);
        add(out, 60, transact_time);
        if (out->qty[0])
            add(out, 38, out->qty);
        if (c->verb == FB_CV_REPLACE) {
            set1(out->ord_type, ord_type);
            add(out, 40, out->ord_type);
            if (out->price[0] && ord_type != '1' && ord_type != '3')
                add(out, 44, out->price);
            add_order_options(c, out);
        }
        break;
    case FB_CV_STATUS:
        snprintf(out->msg_type, sizeof out->msg_type, "H");
        if ((e = resolve_ref(c, ids, out, &side, &ord_type, err, errlen)) != FB_OK)
            return e;
        /* A status request names the order itself: no new ClOrdID. */
        memcpy(out->clordid, out->orig, sizeof out->clordid);
        out->orig[0] = '\0';
        add(out, 11, out->clordid);
        add(out, 55, out->symbol);
        set1(out->side, side);
        add(out, 54, out->side);
        add_extras(c, out);
        return FB_OK; /* nothing new to remember */
    case FB_CV_MASS_CANCEL:
    case FB_CV_MASS_STATUS:
        if ((e = new_id(c, ids, out, err, errlen)) != FB_OK)
            return e;
        memcpy(out->symbol, c->symbol, sizeof out->symbol);
        /* 1 = by security, 7 = all orders, for both request types. */
        set1(out->mass_type, c->symbol[0] ? '1' : '7');
        if (c->verb == FB_CV_MASS_CANCEL) {
            snprintf(out->msg_type, sizeof out->msg_type, "q");
            add(out, 11, out->clordid);
            add(out, 530, out->mass_type);
            if (c->symbol[0])
                add(out, 55, out->symbol);
            add(out, 60, transact_time);
        } else {
            snprintf(out->msg_type, sizeof out->msg_type, "AF");
            add(out, 584, out->clordid);
            add(out, 585, out->mass_type);
            if (c->symbol[0])
                add(out, 55, out->symbol);
        }
        if (c->account[0])
            add(out, 1, c->account);
        break;
    case FB_CV_SEND:
        memcpy(out->msg_type, c->msg_type, sizeof out->msg_type);
        add_extras(c, out);
        return FB_OK;
    case FB_CV_EXPECT:
    case FB_CV_EXPECT_NONE:
    case FB_CV_WAIT_FOR:
    case FB_CV_SLEEP:
    case FB_CV_ADMIN:
        seterr(err, errlen, "not a command that sends a message");
        return FB_ERR_INVALID;
    }
    add_extras(c, out);
    return remember(ids, out, side, ord_type, err, errlen);
}

enum fb_err fb_client_expand(const char *value, const struct fb_client_ids *ids,
                             fb_client_seen_fn seen, void *user, char *out, size_t outlen,
                             char *err, size_t errlen)
{
    const char *v = value;
    if (value[0] == '$') {
        /* $NAME.Field: the field is after the last '.', so names may hold dots. */
        const char *dot = strrchr(value, '.');
        size_t nl = dot ? (size_t)(dot - value - 1) : 0;
        char name[64];
        if (dot == NULL || nl == 0 || dot[1] == '\0') {
            seterr(err, errlen, "'%s': want $NAME.Field (an order name and a field)", value);
            return FB_ERR_PARSE;
        }
        if (nl >= sizeof name) {
            seterr(err, errlen, "'%s': order name longer than %zu characters", value,
                   sizeof name - 1);
            return FB_ERR_TOO_LARGE;
        }
        int tag = fb_client_tag_parse(dot + 1);
        if (tag <= 0) {
            seterr(err, errlen, "'%s': unknown field '%s' (use the tag number)", value, dot + 1);
            return FB_ERR_PARSE;
        }
        if (seen != NULL) {
            memcpy(name, value + 1, nl);
            name[nl] = '\0';
            const char *clordid = ids ? fb_client_ids_resolve(ids, name) : name;
            v = seen(user, clordid, tag);
            if (v == NULL) {
                seterr(err, errlen, "%s: no %s received yet for order %s (ClOrdID %s)", value,
                       dot + 1, name, clordid);
                return FB_ERR_NOT_FOUND;
            }
        }
    }
    size_t n = strlen(v);
    if (n >= outlen) {
        seterr(err, errlen, "'%s' is longer than %zu characters", v, outlen ? outlen - 1 : 0);
        return FB_ERR_TOO_LARGE;
    }
    memcpy(out, v, n + 1);
    return FB_OK;
}
