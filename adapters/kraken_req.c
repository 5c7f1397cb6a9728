/* Kraken request builders (see kraken_proto.h). Pure. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "adapters/kraken_proto.h"
#include "adapters/sign.h"

void fb_kr_f_init(struct fb_kr_form *f)
{
    f->buf[0] = '\0';
    f->len = 0;
    f->err = FB_OK;
}

static void f_raw(struct fb_kr_form *f, const char *s, size_t n)
{
    if (f->err != FB_OK)
        return;
    if (n > FB_KR_BODY_MAX - f->len) {
        f->err = FB_ERR_TOO_LARGE;
        return;
    }
    memcpy(f->buf + f->len, s, n);
    f->len += n;
    f->buf[f->len] = '\0';
}

void fb_kr_f_add(struct fb_kr_form *f, const char *key, const char *value)
{
    size_t n = 0;
    if (f->err != FB_OK)
        return;
    if (f->len)
        f_raw(f, "&", 1);
    f_raw(f, key, strlen(key));
    f_raw(f, "=", 1);
    if (f->err != FB_OK)
        return;
    /* Keys are our own ASCII names; values are encoded ('+' -> %2B, B.5.1). */
    f->err = fb_pct_encode(value, strlen(value), f->buf + f->len, FB_KR_BODY_MAX + 1 - f->len, &n);
    if (f->err == FB_OK)
        f->len += n;
}

void fb_kr_f_add_dec(struct fb_kr_form *f, const char *key, struct fb_dec v)
{
    char b[FB_DEC_STRMAX];
    if (fb_dec_sign(v) <= 0) {
        /* A leading sign would be a relative price on Kraken (B.5.1). */
        f->err = FB_ERR_INVALID;
        return;
    }
    fb_dec_format(v, b);
    fb_kr_f_add(f, key, b);
}

void fb_kr_f_add_i64(struct fb_kr_form *f, const char *key, int64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)v);
    fb_kr_f_add(f, key, b);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

enum fb_err fb_kr_cl_ord_id(const char *client_order_id, char out[FB_KR_KID_LEN + 1])
{
    static const char ns_text[] = FB_KR_UUID_NS;
    unsigned char ns[16], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *m;
    size_t k = 0, o = 0;
    int ok;

    out[0] = '\0';
    if (!fb_venue_clordid_valid(client_order_id))
        return FB_ERR_INVALID;
    for (size_t i = 0; ns_text[i]; i++) {
        if (ns_text[i] == '-')
            continue;
        int hi = hexval(ns_text[i]), lo = hexval(ns_text[i + 1]);
        ns[k++] = (unsigned char)(hi * 16 + lo);
        i++;
    }
    m = EVP_MD_CTX_new();
    if (!m)
        return FB_ERR_NOMEM;
    ok = EVP_DigestInit_ex(m, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(m, ns, sizeof ns) == 1 &&
         EVP_DigestUpdate(m, client_order_id, strlen(client_order_id)) == 1 &&
         EVP_DigestFinal_ex(m, md, &mdlen) == 1;
    EVP_MD_CTX_free(m);
    if (!ok || mdlen < 16)
        return FB_ERR_INTERNAL;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50); /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (size_t i = 0; i < 16; i++) {
        static const char hx[] = "0123456789abcdef";
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hx[md[i] >> 4];
        out[o++] = hx[md[i] & 15];
    }
    out[o] = '\0';
    return FB_OK;
}

static enum fb_err refuse(char *why, size_t whylen, const char *text)
{
    snprintf(why, whylen, "%s", text);
    return FB_ERR_UNSUPPORTED;
}

enum fb_err fb_kr_build_order(const struct fb_venue_order *o, int64_t now_s,
                              struct fb_kr_form *f, char *why, size_t whylen)
{
    char kid[FB_KR_KID_LEN + 1];
    int has_qty = fb_dec_sign(o->qty) > 0, has_quote = fb_dec_sign(o->quote_qty) > 0;
    int iceberg = fb_dec_sign(o->display_qty) > 0;
    const char *ordertype = NULL, *tif = NULL, *oflags = NULL;
    int send_price = 0, send_price2 = 0;
    int64_t expire_s = 0;
    struct fb_dec price = fb_dec_zero(), price2 = fb_dec_zero();

    why[0] = '\0';
    if (o->symbol[0] == '\0' || fb_kr_cl_ord_id(o->client_order_id, kid) != FB_OK)
        return FB_ERR_INVALID;
    if (has_qty == has_quote)
        return FB_ERR_INVALID;
    switch (o->tif) {
    case FB_VENUE_GTC:
        tif = "GTC";
        break;
    case FB_VENUE_IOC:
        tif = "IOC";
        break;
    case FB_VENUE_GTD:
        tif = "GTD";
        expire_s = o->expire_ns / 1000000000LL;
        if (expire_s <= now_s)
            return refuse(why, whylen, "expire time already past");
        break;
    case FB_VENUE_DAY:
        /* F.1: Day is GTD until the end of the current UTC day. */
        tif = "GTD";
        expire_s = now_s - now_s % 86400 + 86400;
        break;
    case FB_VENUE_FOK:
        return refuse(why, whylen, "Kraken REST has no fill-or-kill");
    default:
        return FB_ERR_INVALID;
    }
    if (has_quote && (o->type != FB_VENUE_MARKET || o->side != FB_VENUE_BUY))
        return refuse(why, whylen, "Kraken sizes only market buys in quote currency (viqc)");
    if (o->post_only && (o->type != FB_VENUE_LIMIT || iceberg))
        return refuse(why, whylen, "post-only is only for plain limit orders on Kraken");
    if (iceberg && o->type != FB_VENUE_LIMIT)
        return refuse(why, whylen, "Kraken iceberg orders are limit orders");
    switch (o->type) {
    case FB_VENUE_MARKET:
        ordertype = "market";
        tif = NULL; /* ignored by Kraken for market orders (F.1) */
        expire_s = 0; /* nor an expiry: it never rests (Day is FIX's default) */
        if (has_quote)
            oflags = "viqc";
        break;
    case FB_VENUE_LIMIT:
        ordertype = iceberg ? "iceberg" : "limit";
        send_price = 1;
        price = o->price;
        if (o->post_only)
            oflags = "post";
        break;
    case FB_VENUE_STOP:
        ordertype = "stop-loss";
        send_price = 1;
        price = o->stop_price;
        break;
    case FB_VENUE_STOP_LIMIT:
        ordertype = "stop-loss-limit";
        send_price = send_price2 = 1;
        price = o->stop_price;
        price2 = o->price;
        break;
    /* B.5.1: the trigger in price, the limit in price2, as for stop-loss;
     * Kraken triggers them on a favourable move instead. */
    case FB_VENUE_TAKE_PROFIT:
        ordertype = "take-profit";
        send_price = 1;
        price = o->stop_price;
        break;
    case FB_VENUE_TAKE_PROFIT_LIMIT:
        ordertype = "take-profit-limit";
        send_price = send_price2 = 1;
        price = o->stop_price;
        price2 = o->price;
        break;
    default:
        return FB_ERR_INVALID;
    }
    if ((send_price && fb_dec_sign(price) <= 0) || (send_price2 && fb_dec_sign(price2) <= 0))
        return FB_ERR_INVALID;
    if (iceberg) {
        struct fb_dec fifteen;
        if (fb_dec_cmp(o->display_qty, o->qty) >= 0 ||
            fb_dec_mul(o->display_qty, fb_dec_from_int(15), FB_ROUND_HALF_EVEN, &fifteen) !=
                FB_OK ||
            fb_dec_cmp(fifteen, o->qty) < 0)
            return refuse(why, whylen,
                          "Kraken iceberg display quantity must be at least 1/15 of the quantity");
    }

    fb_kr_f_init(f);
    fb_kr_f_add(f, "cl_ord_id", kid);
    if (iceberg)
        fb_kr_f_add_dec(f, "displayvol", o->display_qty);
    if (expire_s)
        fb_kr_f_add_i64(f, "expiretm", expire_s);
    if (oflags)
        fb_kr_f_add(f, "oflags", oflags);
    fb_kr_f_add(f, "ordertype", ordertype);
    fb_kr_f_add(f, "pair", o->symbol);
    if (send_price)
        fb_kr_f_add_dec(f, "price", price);
    if (send_price2)
        fb_kr_f_add_dec(f, "price2", price2);
    if (tif)
        fb_kr_f_add(f, "timeinforce", tif);
    fb_kr_f_add(f, "type", o->side == FB_VENUE_BUY ? "buy" : "sell");
    fb_kr_f_add_dec(f, "volume", has_qty ? o->qty : o->quote_qty);
    return f->err;
}

enum fb_err fb_kr_build_amend(const char *kid, const struct fb_venue_replace *r,
                              enum fb_venue_ord_type type, struct fb_kr_form *f)
{
    fb_kr_f_init(f);
    if (!kid || strlen(kid) != FB_KR_KID_LEN || fb_dec_sign(r->qty) <= 0)
        return FB_ERR_INVALID;
    fb_kr_f_add(f, "cl_ord_id", kid);
    /* For a stop-limit or take-profit-limit, the limit is Kraken's price2 =
     * AmendOrder's limit_price. */
    if (fb_dec_sign(r->price) > 0 && fb_venue_type_limited(type))
        fb_kr_f_add_dec(f, "limit_price", r->price);
    else if (fb_dec_sign(r->price) > 0)
        return FB_ERR_INVALID;
    fb_kr_f_add_dec(f, "order_qty", r->qty);
    if (fb_dec_sign(r->stop_price) > 0 && fb_venue_type_triggered(type))
        fb_kr_f_add_dec(f, "trigger_price", r->stop_price);
    else if (fb_dec_sign(r->stop_price) > 0)
        return FB_ERR_INVALID;
    return f->err;
}

enum fb_err fb_kr_sign(const struct fb_kr_form *params, const char *secret_b64, const char *path,
                       uint64_t nonce, char *body, size_t *body_len,
                       char sig[FB_SIGN_KRAKEN_B64_LEN + 1])
{
    char n[24];
    int w;
    if (params->err != FB_OK)
        return params->err;
    snprintf(n, sizeof n, "%llu", (unsigned long long)nonce);
    w = snprintf(body, FB_KR_BODY_MAX + 1, "nonce=%s%s%s", n, params->len ? "&" : "",
                 params->buf);
    if (w < 0 || w > FB_KR_BODY_MAX)
        return FB_ERR_TOO_LARGE;
    *body_len = (size_t)w;
    return fb_sign_kraken(secret_b64, path, n, body, *body_len, sig);
}
