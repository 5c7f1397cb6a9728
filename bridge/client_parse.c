/*
 * client_parse.c -- `fixbridge client` command and script-line syntax.
 *
 *   buy|sell SYMBOL QTY|cash=AMT [market | limit PX] [stop=PX]
 *            [tif ioc|fok|gtc|day|opg|gtd=YYYYMMDD[-HH:MM:SS]] [id=NAME]
 *            [account=A] [post-only] [display=QTY] [exdest=X] [NNN=value]
 *   cancel REF [id=NAME] [symbol=S side=buy|sell qty=Q]
 *   replace REF [qty=Q] [price=PX] [stop=PX] [tif ...] [id=NAME] [symbol=S side=..]
 *   status REF [symbol=S side=..]
 *   mass-cancel [SYMBOL] [id=NAME]      mass-status [SYMBOL] [id=NAME]
 *   send MSGTYPE NNN=value...
 * script only:
 *   expect TYPE|* [Field=Value ...] [timeout=S]
 *   wait-for TYPE|* [Field=Value ...] [timeout=S]
 *   expect-none S       sleep S
 *   admin GET|POST /PATH [key=value|key=$NAME.Field ...]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

enum fb_err fb_client_split(char *line, char **words, size_t max, size_t *nwords, char *err,
                            size_t errlen)
{
    char *r = line, *w = line;
    size_t n = 0;

    *nwords = 0;
    for (;;) {
        while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
            r++;
        if (*r == '\0' || *r == '#')
            break;
        if (n == max) {
            seterr(err, errlen, "more than %zu words on one line", max);
            return FB_ERR_TOO_LARGE;
        }
        /* w never overtakes r, so the word is rebuilt in place. */
        words[n++] = w;
        int quoted = 0;
        while (*r != '\0') {
            if (*r == '"') {
                quoted = !quoted;
                r++;
                continue;
            }
            if (!quoted && (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n'))
                break;
            if (quoted && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
                r++;
            *w++ = *r++;
        }
        if (quoted) {
            seterr(err, errlen, "unterminated quote");
            return FB_ERR_PARSE;
        }
        int more = *r != '\0';
        if (more)
            r++;
        *w++ = '\0';
        if (!more)
            break;
    }
    *nwords = n;
    return FB_OK;
}

/* Copies src into a dst of dstlen bytes or fails naming what. */
static enum fb_err copy(char *dst, size_t dstlen, const char *src, const char *what, char *err,
                        size_t errlen)
{
    size_t n = strlen(src);
    if (n >= dstlen) {
        seterr(err, errlen, "%s is longer than %zu characters", what, dstlen - 1);
        return FB_ERR_TOO_LARGE;
    }
    memcpy(dst, src, n + 1);
    return FB_OK;
}

/* A price or quantity: validated exactly, stored as typed. */
static enum fb_err decimal(char *dst, const char *src, const char *what, int positive, char *err,
                           size_t errlen)
{
    struct fb_dec d;
    enum fb_err e = fb_dec_parse_str(src, &d);
    if (e != FB_OK) {
        seterr(err, errlen, "%s: '%s' is not a decimal number (%s)", what, src, fb_strerror(e));
        return e;
    }
    if (positive && fb_dec_sign(d) <= 0) {
        seterr(err, errlen, "%s: '%s' must be greater than zero", what, src);
        return FB_ERR_INVALID;
    }
    return copy(dst, FB_DEC_STRMAX, src, what, err, errlen);
}

/* Seconds ("2", "0.5") to milliseconds, without a double. */
static enum fb_err seconds(const char *src, unsigned *ms, char *err, size_t errlen)
{
    struct fb_dec d, limit = fb_dec_from_int(86400);
    if (fb_dec_parse_str(src, &d) != FB_OK || fb_dec_sign(d) < 0 || fb_dec_cmp(d, limit) > 0) {
        seterr(err, errlen, "'%s' is not a number of seconds (0..86400)", src);
        return FB_ERR_PARSE;
    }
    /* 10^15 units are one millisecond. */
    *ms = (unsigned)(d.units / (fb_i128)1000000000000000LL);
    return FB_OK;
}

static int side_code(const char *s)
{
    if (strcmp(s, "buy") == 0)
        return '1';
    if (strcmp(s, "sell") == 0)
        return '2';
    if (strcmp(s, "sell-short") == 0 || strcmp(s, "short") == 0)
        return '5';
    return 0;
}

static const struct {
    const char *word;
    char code;
} tifs[] = {
    {"day", '0'}, {"gtc", '1'}, {"opg", '2'}, {"ioc", '3'}, {"fok", '4'}, {"gtd", '6'},
};

static enum fb_err parse_tif(const char *s, struct fb_client_cmd *c, char *err, size_t errlen)
{
    if (strncmp(s, "gtd=", 4) == 0) {
        const char *t = s + 4;
        size_t n = strlen(t);
        /* YYYYMMDD or YYYYMMDD-HH:MM:SS[.sss]; the bridge checks the date. */
        if (n < 8 || strspn(t, "0123456789") < 8 || (n > 8 && t[8] != '-')) {
            seterr(err, errlen, "gtd=%s: want YYYYMMDD or YYYYMMDD-HH:MM:SS", t);
            return FB_ERR_PARSE;
        }
        c->tif = '6';
        return copy(c->expire, sizeof c->expire, t, "gtd", err, errlen);
    }
    for (size_t i = 0; i < sizeof tifs / sizeof tifs[0]; i++)
        if (strcmp(s, tifs[i].word) == 0 && tifs[i].code != '6') {
            c->tif = tifs[i].code;
            return FB_OK;
        }
    seterr(err, errlen, "tif '%s': want ioc, fok, gtc, day, opg or gtd=DATE", s);
    return FB_ERR_PARSE;
}

/* "NNN=value" -> an extra field. Returns FB_ERR_NOT_FOUND if w is no such word. */
static enum fb_err raw_field(const char *w, struct fb_client_cmd *c, char *err, size_t errlen)
{
    const char *eq = strchr(w, '=');
    size_t ndig = strspn(w, "0123456789");
    if (eq == NULL || ndig == 0 || w + ndig != eq)
        return FB_ERR_NOT_FOUND;
    long tag = strtol(w, NULL, 10);
    if (tag <= 0 || tag > 99999 || eq[1] == '\0') {
        seterr(err, errlen, "'%s': want TAG=VALUE with a tag 1..99999 and a value", w);
        return FB_ERR_PARSE;
    }
    if (c->nfields == FB_CLIENT_MAX_FIELDS) {
        seterr(err, errlen, "more than %d fields", FB_CLIENT_MAX_FIELDS);
        return FB_ERR_TOO_LARGE;
    }
    struct fb_client_kv *kv = &c->fields[c->nfields];
    kv->tag = (int)tag;
    enum fb_err e = copy(kv->value, sizeof kv->value, eq + 1, "value", err, errlen);
    if (e == FB_OK)
        c->nfields++;
    return e;
}

/* key=value options shared by the order verbs. Returns FB_ERR_NOT_FOUND for
 * a word that is not one of them. */
static enum fb_err order_option(char *const *words, int n, int *i, struct fb_client_cmd *c,
                                char *err, size_t errlen)
{
    const char *w = words[*i];
    const char *v = strchr(w, '=');
    v = v ? v + 1 : "";
#define KEY(k) (strncmp(w, k "=", sizeof(k)) == 0)
    if (strcmp(w, "tif") == 0) {
        if (*i + 1 >= n) {
            seterr(err, errlen, "tif needs a value");
            return FB_ERR_PARSE;
        }
        return parse_tif(words[++*i], c, err, errlen);
    }
    if (strcmp(w, "limit") == 0) {
        if (*i + 1 >= n) {
            seterr(err, errlen, "limit needs a price");
            return FB_ERR_PARSE;
        }
        /* type=take-profit(-limit) given first stays J: its limit. */
        if (c->ord_type != 'J')
            c->ord_type = '2';
        return decimal(c->price, words[++*i], "limit price", 1, err, errlen);
    }
    if (strcmp(w, "market") == 0) {
        c->ord_type = '1';
        return FB_OK;
    }
    if (strcmp(w, "post-only") == 0) {
        c->post_only = 1;
        return FB_OK;
    }
    if (strcmp(w, "ioc") == 0 || strcmp(w, "fok") == 0 || strcmp(w, "gtc") == 0 ||
        strcmp(w, "day") == 0 || strncmp(w, "gtd=", 4) == 0)
        return parse_tif(w, c, err, errlen);
    if (KEY("price")) {
        if (c->ord_type == 0)
            c->ord_type = '2';
        return decimal(c->price, v, "price", 1, err, errlen);
    }
    if (KEY("qty"))
        return decimal(c->qty, v, "qty", 1, err, errlen);
    if (KEY("cash"))
        return decimal(c->cash_qty, v, "cash", 1, err, errlen);
    if (KEY("stop"))
        return decimal(c->stop_px, v, "stop", 1, err, errlen);
    if (KEY("display"))
        return decimal(c->display, v, "display", 0, err, errlen);
    if (KEY("id"))
        return copy(c->id, sizeof c->id, v, "id", err, errlen);
    if (KEY("account"))
        return copy(c->account, sizeof c->account, v, "account", err, errlen);
    if (KEY("exdest"))
        return copy(c->exdest, sizeof c->exdest, v, "exdest", err, errlen);
    if (KEY("symbol"))
        return copy(c->symbol, sizeof c->symbol, v, "symbol", err, errlen);
    if (KEY("side")) {
        c->side = (char)side_code(v);
        if (c->side == 0) {
            seterr(err, errlen, "side '%s': want buy or sell", v);
            return FB_ERR_PARSE;
        }
        return FB_OK;
    }
    if (KEY("type")) {
        /* take-profit and take-profit-limit are both OrdType J (market if
         * touched); the limit one also carries price=. */
        static const struct {
            const char *name;
            char fix;
        } types[] = {{"market", '1'},      {"limit", '2'},       {"stop", '3'},
                     {"stop-limit", '4'},  {"take-profit", 'J'}, {"take-profit-limit", 'J'}};
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
            if (strcmp(v, types[k].name) == 0) {
                c->ord_type = types[k].fix;
                return FB_OK;
            }
        seterr(err, errlen,
               "type '%s': want market, limit, stop, stop-limit, take-profit or "
               "take-profit-limit",
               v);
        return FB_ERR_PARSE;
    }
#undef KEY
    return raw_field(w, c, err, errlen);
}

static enum fb_err parse_new(int n, char *const *words, struct fb_client_cmd *c, char *err,
                             size_t errlen)
{
    enum fb_err e;
    c->side = (char)side_code(words[0]);
    if (n < 3) {
        seterr(err, errlen, "%s: want SYMBOL and QTY (or cash=AMOUNT)", words[0]);
        return FB_ERR_PARSE;
    }
    if ((e = copy(c->symbol, sizeof c->symbol, words[1], "symbol", err, errlen)) != FB_OK)
        return e;
    int i = 2;
    if (strncmp(words[2], "cash=", 5) != 0) {
        if ((e = decimal(c->qty, words[2], "quantity", 1, err, errlen)) != FB_OK)
            return e;
        i = 3;
    }
    for (; i < n; i++) {
        e = order_option(words, n, &i, c, err, errlen);
        if (e == FB_ERR_NOT_FOUND) {
            seterr(err, errlen, "%s: unknown word '%s'", words[0], words[i]);
            return FB_ERR_PARSE;
        }
        if (e != FB_OK)
            return e;
    }
    if (c->qty[0] == '\0' && c->cash_qty[0] == '\0') {
        seterr(err, errlen, "%s: want a quantity or cash=AMOUNT", words[0]);
        return FB_ERR_PARSE;
    }
    if (c->qty[0] != '\0' && c->cash_qty[0] != '\0') {
        seterr(err, errlen, "%s: give a quantity or cash=, not both", words[0]);
        return FB_ERR_PARSE;
    }
    /* Refuse to guess the order type: a forgotten price must not become a
     * market order. */
    if (c->stop_px[0] != '\0')
        c->ord_type = c->ord_type == '2' ? '4' : c->ord_type == '1' ? '3' : c->ord_type;
    if (c->ord_type == 0 && c->stop_px[0] != '\0')
        c->ord_type = '3';
    if (c->ord_type == 0) {
        seterr(err, errlen, "%s: say 'market' or 'limit PRICE'", words[0]);
        return FB_ERR_PARSE;
    }
    return FB_OK;
}

/* cancel/replace/status REF [options] */
static enum fb_err parse_ref(int n, char *const *words, struct fb_client_cmd *c, char *err,
                             size_t errlen)
{
    enum fb_err e;
    if (n < 2 || strchr(words[1], '=') != NULL) {
        seterr(err, errlen, "%s: want the ClOrdID (or name) of the order", words[0]);
        return FB_ERR_PARSE;
    }
    if ((e = copy(c->ref, sizeof c->ref, words[1], "order reference", err, errlen)) != FB_OK)
        return e;
    for (int i = 2; i < n; i++) {
        e = order_option(words, n, &i, c, err, errlen);
        if (e == FB_ERR_NOT_FOUND) {
            seterr(err, errlen, "%s: unknown word '%s'", words[0], words[i]);
            return FB_ERR_PARSE;
        }
        if (e != FB_OK)
            return e;
    }
    if (c->verb == FB_CV_REPLACE && c->qty[0] == '\0' && c->price[0] == '\0' &&
        c->stop_px[0] == '\0' && c->tif == 0 && c->nfields == 0) {
        seterr(err, errlen, "replace: nothing to change (qty=, price=, stop=, tif)");
        return FB_ERR_PARSE;
    }
    return FB_OK;
}

/* mass-cancel / mass-status [SYMBOL] [id=NAME] */
static enum fb_err parse_mass(int n, char *const *words, struct fb_client_cmd *c, char *err,
                              size_t errlen)
{
    enum fb_err e;
    for (int i = 1; i < n; i++) {
        if (strchr(words[i], '=') == NULL && c->symbol[0] == '\0') {
            if ((e = copy(c->symbol, sizeof c->symbol, words[i], "symbol", err, errlen)) != FB_OK)
                return e;
            continue;
        }
        e = order_option(words, n, &i, c, err, errlen);
        if (e == FB_ERR_NOT_FOUND) {
            seterr(err, errlen, "%s: unknown word '%s'", words[0], words[i]);
            return FB_ERR_PARSE;
        }
        if (e != FB_OK)
            return e;
    }
    return FB_OK;
}

static enum fb_err parse_send(int n, char *const *words, struct fb_client_cmd *c, char *err,
                              size_t errlen)
{
    enum fb_err e;
    const char *t = n >= 2 ? fb_client_msgtype_parse(words[1]) : NULL;
    if (t == NULL) {
        seterr(err, errlen, "send: want a MsgType and TAG=VALUE fields");
        return FB_ERR_PARSE;
    }
    if ((e = copy(c->msg_type, sizeof c->msg_type, t, "MsgType", err, errlen)) != FB_OK)
        return e;
    for (int i = 2; i < n; i++) {
        e = raw_field(words[i], c, err, errlen);
        if (e == FB_ERR_NOT_FOUND) {
            seterr(err, errlen, "send: '%s' is not TAG=VALUE", words[i]);
            return FB_ERR_PARSE;
        }
        if (e != FB_OK)
            return e;
    }
    return FB_OK;
}

/* expect / wait-for TYPE|* Field=Value... [timeout=S] */
static enum fb_err parse_expect(int n, char *const *words, struct fb_client_cmd *c, char *err,
                                size_t errlen)
{
    enum fb_err e;
    if (n < 2) {
        seterr(err, errlen, "%s: want a message type (or *) and Field=Value pairs", words[0]);
        return FB_ERR_PARSE;
    }
    if (strcmp(words[1], "*") != 0) {
        const char *t = fb_client_msgtype_parse(words[1]);
        if (t == NULL) {
            seterr(err, errlen, "%s: unknown message type '%s'", words[0], words[1]);
            return FB_ERR_PARSE;
        }
        if ((e = copy(c->msg_type, sizeof c->msg_type, t, "MsgType", err, errlen)) != FB_OK)
            return e;
    }
    for (int i = 2; i < n; i++) {
        const char *w = words[i];
        const char *eq = strchr(w, '=');
        if (strncmp(w, "timeout=", 8) == 0) {
            if ((e = seconds(w + 8, &c->timeout_ms, err, errlen)) != FB_OK)
                return e;
            continue;
        }
        if (eq == NULL || eq == w) {
            seterr(err, errlen, "%s: '%s' is not Field=Value", words[0], w);
            return FB_ERR_PARSE;
        }
        char name[64];
        size_t nl = (size_t)(eq - w);
        if (nl >= sizeof name) {
            seterr(err, errlen, "%s: field name '%.*s' is too long", words[0], (int)nl, w);
            return FB_ERR_TOO_LARGE;
        }
        memcpy(name, w, nl);
        name[nl] = '\0';
        int tag = fb_client_tag_parse(name);
        if (tag <= 0) {
            seterr(err, errlen, "%s: unknown field '%s' (use the tag number)", words[0], name);
            return FB_ERR_PARSE;
        }
        if (c->nfields == FB_CLIENT_MAX_FIELDS) {
            seterr(err, errlen, "%s: more than %d fields", words[0], FB_CLIENT_MAX_FIELDS);
            return FB_ERR_TOO_LARGE;
        }
        struct fb_client_kv *kv = &c->fields[c->nfields];
        kv->tag = tag;
        if ((e = copy(kv->value, sizeof kv->value, eq + 1, "value", err, errlen)) != FB_OK)
            return e;
        c->nfields++;
    }
    return FB_OK;
}

/* admin GET|POST /PATH key=value... */
static enum fb_err parse_admin(int n, char *const *words, struct fb_client_cmd *c, char *err,
                               size_t errlen)
{
    enum fb_err e;
    if (n < 3 || (strcmp(words[1], "GET") != 0 && strcmp(words[1], "POST") != 0) ||
        words[2][0] != '/' || strpbrk(words[2], "?# ") != NULL) {
        seterr(err, errlen, "admin: want GET or POST, a /PATH and key=value arguments");
        return FB_ERR_PARSE;
    }
    memcpy(c->method, words[1], strlen(words[1]) + 1);
    if ((e = copy(c->path, sizeof c->path, words[2], "admin path", err, errlen)) != FB_OK)
        return e;
    for (int i = 3; i < n; i++) {
        const char *w = words[i];
        const char *eq = strchr(w, '=');
        size_t kl = eq ? (size_t)(eq - w) : 0;
        if (kl == 0 || strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789_-") != kl) {
            seterr(err, errlen, "admin: '%s' is not key=value", w);
            return FB_ERR_PARSE;
        }
        if (c->nparams == FB_CLIENT_MAX_PARAMS) {
            seterr(err, errlen, "admin: more than %d arguments", FB_CLIENT_MAX_PARAMS);
            return FB_ERR_TOO_LARGE;
        }
        struct fb_client_param *p = &c->params[c->nparams];
        if (kl >= sizeof p->key) {
            seterr(err, errlen, "admin: key '%.*s' is longer than %zu characters", (int)kl, w,
                   sizeof p->key - 1);
            return FB_ERR_TOO_LARGE;
        }
        memcpy(p->key, w, kl);
        p->key[kl] = '\0';
        if ((e = copy(p->value, sizeof p->value, eq + 1, "value", err, errlen)) != FB_OK)
            return e;
        char tmp[FB_CLIENT_VAL_MAX];
        if ((e = fb_client_expand(p->value, NULL, NULL, NULL, tmp, sizeof tmp, err, errlen)) !=
            FB_OK)
            return e;
        c->nparams++;
    }
    return FB_OK;
}

static const struct {
    const char *word;
    enum fb_client_verb verb;
    int script_only;
} verbs[] = {
    {"buy", FB_CV_NEW, 0},
    {"sell", FB_CV_NEW, 0},
    {"sell-short", FB_CV_NEW, 0},
    {"cancel", FB_CV_CANCEL, 0},
    {"replace", FB_CV_REPLACE, 0},
    {"status", FB_CV_STATUS, 0},
    {"mass-cancel", FB_CV_MASS_CANCEL, 0},
    {"mass-status", FB_CV_MASS_STATUS, 0},
    {"send", FB_CV_SEND, 0},
    {"expect", FB_CV_EXPECT, 1},
    {"expect-none", FB_CV_EXPECT_NONE, 1},
    {"wait-for", FB_CV_WAIT_FOR, 1},
    {"sleep", FB_CV_SLEEP, 1},
    {"admin", FB_CV_ADMIN, 1},
};

enum fb_err fb_client_parse(int nwords, char *const *words, int script, struct fb_client_cmd *out,
                            char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (nwords < 1) {
        seterr(err, errlen, "no command");
        return FB_ERR_PARSE;
    }
    size_t v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && strcmp(verbs[v].word, words[0]) != 0)
        v++;
    if (v == sizeof verbs / sizeof verbs[0] || (verbs[v].script_only && !script)) {
        seterr(err, errlen, "unknown command '%s'", words[0]);
        return FB_ERR_PARSE;
    }
    out->verb = verbs[v].verb;
    switch (out->verb) {
    case FB_CV_NEW:
        return parse_new(nwords, words, out, err, errlen);
    case FB_CV_CANCEL:
    case FB_CV_REPLACE:
    case FB_CV_STATUS:
        return parse_ref(nwords, words, out, err, errlen);
    case FB_CV_MASS_CANCEL:
    case FB_CV_MASS_STATUS:
        return parse_mass(nwords, words, out, err, errlen);
    case FB_CV_SEND:
        return parse_send(nwords, words, out, err, errlen);
    case FB_CV_EXPECT:
    case FB_CV_WAIT_FOR:
        return parse_expect(nwords, words, out, err, errlen);
    case FB_CV_EXPECT_NONE:
    case FB_CV_SLEEP:
        if (nwords != 2) {
            seterr(err, errlen, "%s: want a number of seconds", words[0]);
            return FB_ERR_PARSE;
        }
        return seconds(words[1], &out->timeout_ms, err, errlen);
    case FB_CV_ADMIN:
        return parse_admin(nwords, words, out, err, errlen);
    }
    seterr(err, errlen, "unknown command '%s'", words[0]);
    return FB_ERR_PARSE;
}
