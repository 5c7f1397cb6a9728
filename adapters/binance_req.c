/* Binance request builders (see binance_proto.h). Pure. */
#include <stdio.h>
#include <string.h>

#include "adapters/binance_proto.h"
#include "adapters/sign.h"

void fb_bn_q_init(struct fb_bn_query *q)
{
    q->buf[0] = '\0';
    q->len = 0;
    q->err = FB_OK;
}

static void q_raw(struct fb_bn_query *q, const char *s, size_t n)
{
    if (q->err != FB_OK)
        return;
    if (n > FB_BN_QUERY_MAX - q->len) {
        q->err = FB_ERR_TOO_LARGE;
        return;
    }
    memcpy(q->buf + q->len, s, n);
    q->len += n;
    q->buf[q->len] = '\0';
}

void fb_bn_q_add(struct fb_bn_query *q, const char *key, const char *value)
{
    size_t n = 0;
    if (q->err != FB_OK)
        return;
    if (q->len)
        q_raw(q, "&", 1);
    q_raw(q, key, strlen(key));
    q_raw(q, "=", 1);
    if (q->err != FB_OK)
        return;
    /* Keys are our own ASCII names; values are encoded (A.4). */
    q->err = fb_pct_encode(value, strlen(value), q->buf + q->len, FB_BN_QUERY_MAX + 1 - q->len, &n);
    if (q->err == FB_OK)
        q->len += n;
}

void fb_bn_q_add_dec(struct fb_bn_query *q, const char *key, struct fb_dec v)
{
    char b[FB_DEC_STRMAX];
    if (fb_dec_sign(v) < 0) {
        /* Binance's decimal regex has no sign (A.2). */
        q->err = FB_ERR_INVALID;
        return;
    }
    fb_dec_format(v, b);
    fb_bn_q_add(q, key, b);
}

void fb_bn_q_add_i64(struct fb_bn_query *q, const char *key, int64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)v);
    fb_bn_q_add(q, key, b);
}

int fb_bn_clordid_ok(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= 36 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return n > 0;
}

static enum fb_err refuse(char *why, size_t whylen, const char *text)
{
    snprintf(why, whylen, "%s", text);
    return FB_ERR_UNSUPPORTED;
}

static const char *tif_name(enum fb_venue_tif t)
{
    switch (t) {
    case FB_VENUE_GTC:
        return "GTC";
    case FB_VENUE_IOC:
        return "IOC";
    case FB_VENUE_FOK:
        return "FOK";
    case FB_VENUE_DAY:
    case FB_VENUE_GTD:
        break;
    }
    return NULL;
}

enum fb_err fb_bn_build_order(const struct fb_venue_order *o, struct fb_bn_query *q, char *why,
                              size_t whylen)
{
    const char *tif = tif_name(o->tif);
    int has_qty = fb_dec_sign(o->qty) > 0, has_quote = fb_dec_sign(o->quote_qty) > 0;
    int iceberg = fb_dec_sign(o->display_qty) > 0;
    const char *type = NULL;
    int send_tif = 0, send_price = 0, send_stop = 0;

    why[0] = '\0';
    if (!fb_bn_clordid_ok(o->client_order_id) || o->symbol[0] == '\0')
        return FB_ERR_INVALID;
    /* A MARKET order takes no timeInForce (-1106 if sent, A.8.6) and never
     * rests, so Day (FIX's default) asks nothing of it; GTD would. */
    if (!tif && !(o->type == FB_VENUE_MARKET && o->tif == FB_VENUE_DAY))
        return refuse(why, whylen, "Binance spot has no DAY or GTD time in force");
    if (has_qty == has_quote)
        return FB_ERR_INVALID;
    if (has_quote && o->type != FB_VENUE_MARKET)
        return refuse(why, whylen, "quote quantity is only for market orders");
    if (o->post_only && o->type != FB_VENUE_LIMIT)
        return refuse(why, whylen, "post-only is only for limit orders");
    switch (o->type) {
    case FB_VENUE_MARKET:
        /* Its unfilled remainder EXPIREs, as an IOC's does: sending FOK as
         * MARKET would trade part of an all-or-none order (DESIGN rule 6). */
        if (o->tif == FB_VENUE_FOK)
            return refuse(why, whylen, "Binance market orders cannot be fill-or-kill");
        type = "MARKET";
        break;
    case FB_VENUE_LIMIT:
        if (o->post_only) {
            if (o->tif != FB_VENUE_GTC)
                return refuse(why, whylen, "post-only (LIMIT_MAKER) is good-till-cancel only");
            type = "LIMIT_MAKER";
        } else {
            type = "LIMIT";
            send_tif = 1;
        }
        send_price = 1;
        break;
    case FB_VENUE_STOP:
        if (o->tif != FB_VENUE_GTC)
            return refuse(why, whylen, "Binance stop-market orders are good-till-cancel only");
        type = "STOP_LOSS";
        send_stop = 1;
        break;
    case FB_VENUE_STOP_LIMIT:
        type = "STOP_LOSS_LIMIT";
        send_tif = send_price = send_stop = 1;
        break;
    /* TAKE_PROFIT(_LIMIT) take the same parameters as STOP_LOSS(_LIMIT)
     * (A.8.6); only the side of the market the trigger must be on differs,
     * and that is the venue's check (-2010 "Order would trigger
     * immediately."), made against its own last price. */
    case FB_VENUE_TAKE_PROFIT:
        if (o->tif != FB_VENUE_GTC)
            return refuse(why, whylen, "Binance take-profit market orders are good-till-cancel only");
        type = "TAKE_PROFIT";
        send_stop = 1;
        break;
    case FB_VENUE_TAKE_PROFIT_LIMIT:
        type = "TAKE_PROFIT_LIMIT";
        send_tif = send_price = send_stop = 1;
        break;
    default:
        return FB_ERR_INVALID;
    }
    if (iceberg) {
        if (!send_price)
            return refuse(why, whylen, "iceberg needs a limit price");
        if (o->tif != FB_VENUE_GTC)
            return refuse(why, whylen, "Binance iceberg orders must be good-till-cancel");
    }
    if ((send_price && fb_dec_sign(o->price) <= 0) ||
        (send_stop && fb_dec_sign(o->stop_price) <= 0))
        return FB_ERR_INVALID;

    fb_bn_q_init(q);
    fb_bn_q_add(q, "symbol", o->symbol);
    fb_bn_q_add(q, "side", o->side == FB_VENUE_BUY ? "BUY" : "SELL");
    fb_bn_q_add(q, "type", type);
    if (send_tif)
        fb_bn_q_add(q, "timeInForce", tif);
    if (has_qty)
        fb_bn_q_add_dec(q, "quantity", o->qty);
    else
        fb_bn_q_add_dec(q, "quoteOrderQty", o->quote_qty);
    if (send_price)
        fb_bn_q_add_dec(q, "price", o->price);
    if (send_stop)
        fb_bn_q_add_dec(q, "stopPrice", o->stop_price);
    if (iceberg)
        fb_bn_q_add_dec(q, "icebergQty", o->display_qty);
    fb_bn_q_add(q, "newClientOrderId", o->client_order_id);
    fb_bn_q_add(q, "newOrderRespType", "FULL");
    return q->err;
}

enum fb_err fb_bn_sign_query(struct fb_bn_query *q, struct fb_sign_key *key,
                             uint32_t recv_window_ms, int64_t timestamp_ms)
{
    char sig[FB_SIGN_BINANCE_HEX_LEN + 1];
    enum fb_err err;
    if (recv_window_ms)
        fb_bn_q_add_i64(q, "recvWindow", recv_window_ms);
    fb_bn_q_add_i64(q, "timestamp", timestamp_ms);
    if (q->err != FB_OK)
        return q->err;
    err = fb_sign_binance_key(key, q->buf, q->len, NULL, 0, sig);
    if (err != FB_OK)
        return err;
    fb_bn_q_add(q, "signature", sig);
    return q->err;
}
