/*
 * vsim_kraken: the request edge of the Kraken venue simulator -- routing,
 * User-Agent, API-Key, API-Sign and nonce checks, the REST call counter,
 * injected faults and the /__sim control endpoint (see vsim_kraken.h).
 * Orders and JSON answers are vsim_kraken_orders.c; the HTTP server and the
 * fault queue are vsim_http.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "adapters/sign.h"
#include "adapters/vsim_kraken_int.h"

#define NS_PER_S 1000000000LL

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

enum route {
    R_NONE,
    R_TIME,
    R_STATUS,
    R_PAIRS,
    R_TICKER,
    R_ADD,
    R_CANCEL,
    R_CANCEL_ALL,
    R_AMEND,
    R_QUERY,
    R_TRADES,
    R_OPEN,
    R_CLOSED
};

static const struct {
    const char *path;
    enum route r;
    bool private_;
    enum vs_on op;
    int cost; /* REST call counter (B.7): trading calls use the engine's */
    const char *const *names;
} routes[] = {
#define NONCE "nonce", "otp"
    {"/0/public/Time", R_TIME, false, VS_ON_ANY, 0, (const char *const[]){NULL}},
    {"/0/public/SystemStatus", R_STATUS, false, VS_ON_ANY, 0, (const char *const[]){NULL}},
    {"/0/public/AssetPairs", R_PAIRS, false, VS_ON_ANY, 0,
     (const char *const[]){"pair", "info", "aclass_base", "country_code", NULL}},
    {"/0/public/Ticker", R_TICKER, false, VS_ON_ANY, 0,
     (const char *const[]){"pair", "asset_class", NULL}},
    {"/0/private/AddOrder", R_ADD, true, VS_ON_NEW, 0,
     (const char *const[]){NONCE,         "pair",        "type",      "ordertype", "volume",
                           "displayvol",  "price",       "price2",    "trigger",   "oflags",
                           "timeinforce", "starttm",     "expiretm",  "userref",   "cl_ord_id",
                           "stptype",     "reduce_only", "leverage",  "deadline",  "validate",
                           NULL}},
    {"/0/private/CancelOrder", R_CANCEL, true, VS_ON_CANCEL, 0,
     (const char *const[]){NONCE, "txid", "cl_ord_id", NULL}},
    {"/0/private/CancelAll", R_CANCEL_ALL, true, VS_ON_CANCEL, 0,
     (const char *const[]){NONCE, NULL}},
    {"/0/private/AmendOrder", R_AMEND, true, VS_ON_REPLACE, 0,
     (const char *const[]){NONCE, "txid", "cl_ord_id", "order_qty", "display_qty", "limit_price",
                           "trigger_price", "post_only", "deadline", NULL}},
    {"/0/private/QueryOrders", R_QUERY, true, VS_ON_QUERY, 1,
     (const char *const[]){NONCE, "txid", "trades", "userref", "consolidate_taker", NULL}},
    {"/0/private/QueryTrades", R_TRADES, true, VS_ON_QUERY, 2,
     (const char *const[]){NONCE, "txid", "trades", NULL}},
    {"/0/private/OpenOrders", R_OPEN, true, VS_ON_QUERY, 1,
     (const char *const[]){NONCE, "trades", "userref", "cl_ord_id", NULL}},
    {"/0/private/ClosedOrders", R_CLOSED, true, VS_ON_QUERY, 1,
     (const char *const[]){NONCE, "trades", "userref", "cl_ord_id", "start", "end", "ofs",
                           "closetime", "consolidate_taker", "without_count", NULL}},
#undef NONCE
};

static const struct fb_vsim_fault_name fault_names[] = {
    {"5xx_after_place", VS_F_5XX_AFTER},
    {"5xx_before_place", VS_F_5XX_BEFORE},
    {"delay_after_place", VS_F_DELAY_AFTER},
    {"drop_after_place", VS_F_DROP_AFTER},
    {"malformed_after_place", VS_F_MALFORMED_AFTER},
    {"unavailable_after_place", VS_F_UNAVAIL_AFTER},
    {"429", VS_F_429},
    {"rate_limit", VS_F_RATE_LIMIT},
    {"order_rate_limit", VS_F_ORDER_RATE_LIMIT},
};

static enum fb_err add_fault(struct fb_vsim_kraken *vk, struct vs_params *p, char *err,
                             size_t errlen)
{
    return fb_vsim_fault_add(&vk->faults, p, fault_names,
                             sizeof fault_names / sizeof fault_names[0], err, errlen);
}

/* A body that is not Kraken's JSON: what an edge (Cloudflare, a gateway)
 * answers (B.1). */
static void edge(struct vk_answer *a, unsigned http, const char *text)
{
    free(a->body);
    a->http = http;
    a->body = strdup(text);
}

/* ---- security (B.2, B.3) ---- */

static int check_private(struct fb_vsim_kraken *vk, const struct fb_vsim_request *rq,
                         struct vs_params *p, struct vk_answer *a)
{
    const char *key = fb_vsim_header(rq, "API-Key"), *sig = fb_vsim_header(rq, "API-Sign");
    const char *nonce = fb_vsim_param(p, "nonce");
    char want[FB_SIGN_KRAKEN_B64_LEN + 1];
    unsigned long long n;
    char *end;

    if (!key || strcmp(key, vk->key) != 0) {
        vk_error(a, "EAPI:Invalid key");
        return -1;
    }
    if (!nonce || strspn(nonce, "0123456789") != strlen(nonce) || strlen(nonce) > 20) {
        vk_error(a, "EAPI:Invalid nonce");
        return -1;
    }
    /* The signature covers the body exactly as sent (B.2). */
    if (!sig || fb_sign_kraken(vk->secret, rq->path, nonce, rq->body, rq->body_len, want) != FB_OK ||
        CRYPTO_memcmp(want, sig, strlen(want)) != 0 || strlen(sig) != strlen(want)) {
        vk_error(a, "EAPI:Invalid signature");
        return -1;
    }
    errno = 0;
    n = strtoull(nonce, &end, 10);
    if (errno || *end || n <= vk->last_nonce) {
        vk_error(a, "EAPI:Invalid nonce");
        return -1;
    }
    vk->last_nonce = n; /* accepted: a copy of this request now fails (B.3, H.1) */
    return 0;
}

/* The REST call counter (B.7): 0, or -1 with EAPI:Rate limit exceeded. */
static int rest_counter(struct fb_vsim_kraken *vk, int cost, int64_t now, struct vk_answer *a)
{
    if (vk->rest_max <= 0 || cost == 0)
        return 0;
    if (vk->rest_at_ns) {
        int64_t decay = (now - vk->rest_at_ns) / 1000000 * vk->rest_decay_milli / 1000;
        vk->rest_milli = vk->rest_milli > decay ? vk->rest_milli - decay : 0;
    }
    vk->rest_at_ns = now;
    if (vk->rest_milli + cost * 1000 > vk->rest_max * 1000) {
        vk_error(a, "EAPI:Rate limit exceeded");
        return -1;
    }
    vk->rest_milli += cost * 1000;
    return 0;
}

/* ---- control ---- */

static void control(struct fb_vsim_kraken *vk, const char *path, const char *method,
                    struct vs_params *p, struct vk_answer *a, int64_t now)
{
    char err[160];
    if (strcmp(path, "/__sim/fault") == 0 && strcmp(method, "POST") == 0) {
        if (add_fault(vk, p, err, sizeof err) != FB_OK)
            vk_error(a, "EGeneral:Invalid arguments:%s", err);
        else
            vk_result(a, json_object());
    } else if (strcmp(path, "/__sim/price") == 0 && strcmp(method, "POST") == 0) {
        vk_set_price(vk, p, a, now);
    } else if (strcmp(path, "/__sim/limits") == 0 && strcmp(method, "POST") == 0) {
        const char *m = fb_vsim_param(p, "rest_max"), *d = fb_vsim_param(p, "rest_decay_milli");
        vk->rest_max = m ? strtoll(m, NULL, 10) : 0;
        vk->rest_decay_milli = d ? strtoll(d, NULL, 10) : 500;
        vk->rest_milli = 0;
        vk->rest_at_ns = 0;
        vk_result(a, json_pack("{s:I,s:I}", "rest_max", (json_int_t)vk->rest_max,
                               "rest_decay_milli", (json_int_t)vk->rest_decay_milli));
    } else if (strcmp(path, "/__sim/orders") == 0 && strcmp(method, "GET") == 0) {
        vk_report(vk, p, a);
    } else {
        vk_error(a, "EGeneral:Unknown method");
        a->http = 404;
    }
}

/* ---- a request ---- */

static int add_params(struct vs_params *p, const char *s, struct vk_answer *a)
{
    enum fb_vsim_perr e = fb_vsim_params_add(p, s);
    if (e == FB_VSIM_P_OK)
        return 0;
    vk_error(a, "EGeneral:Invalid arguments%s",
             e == FB_VSIM_P_DUP ? ":duplicate parameter" : "");
    return -1;
}

static void handler(void *user, const struct fb_vsim_request *rq, struct fb_vsim_reply *rp)
{
    struct fb_vsim_kraken *vk = user;
    struct vk_answer a = {0};
    struct vs_params *p = calloc(1, sizeof *p);
    const char *unknown;
    size_t r;
    struct vs_fault f;
    bool faulted = false, placed = false, post = strcmp(rq->method, "POST") == 0;
    int64_t now = now_ns();

    if (!p) {
        rp->drop = true;
        return;
    }
    pthread_mutex_lock(&vk->mu);
    vk_tick(vk, now);
    if (rq->too_large) {
        edge(&a, 413, "413 Request Entity Too Large");
        goto answer;
    }
    if (strncmp(rq->path, "/__sim/", 7) == 0) {
        if (add_params(p, rq->query, &a) == 0 && add_params(p, rq->body, &a) == 0)
            control(vk, rq->path, rq->method, p, &a, now);
        goto answer;
    }
    if (!fb_vsim_header(rq, "User-Agent")) {
        edge(&a, 403, "403 Forbidden: a User-Agent header is required"); /* H.2 */
        goto answer;
    }
    for (r = 0; r < sizeof routes / sizeof routes[0]; r++)
        if (strcmp(rq->path, routes[r].path) == 0)
            break;
    if (r == sizeof routes / sizeof routes[0]) {
        vk_error(&a, "EGeneral:Unknown method");
        goto answer;
    }
    if (routes[r].private_) {
        /* POST only; parameters only in the signed body (B.1) */
        if (!post || rq->query[0]) {
            vk_error(&a, "EGeneral:Invalid arguments");
            goto answer;
        }
        if (add_params(p, rq->body, &a) || check_private(vk, rq, p, &a))
            goto answer;
    } else if (add_params(p, rq->query, &a) || (post && add_params(p, rq->body, &a))) {
        goto answer;
    }
    if ((unknown = fb_vsim_params_unknown(p, routes[r].names))) {
        vk_error(&a, "EGeneral:Invalid arguments:%s", unknown);
        goto answer;
    }
    if (rest_counter(vk, routes[r].cost, now, &a))
        goto answer;
    if (routes[r].r == R_ADD)
        vk_count_post(vk, p);
    if (routes[r].op != VS_ON_ANY)
        faulted = fb_vsim_fault_take(&vk->faults, routes[r].op, &f);
    if (faulted) {
        switch (f.kind) {
        case VS_F_429: {
            char s[16];
            snprintf(s, sizeof s, "%u", f.retry_after);
            fb_vsim_reply_header(rp, "Retry-After", s);
            edge(&a, 429, "429 Too Many Requests");
            goto answer;
        }
        case VS_F_5XX_BEFORE:
            edge(&a, 503, "503 Service Temporarily Unavailable");
            goto answer;
        case VS_F_RATE_LIMIT:
            vk_error(&a, "EAPI:Rate limit exceeded");
            goto answer;
        case VS_F_ORDER_RATE_LIMIT:
            vk_error(&a, "EOrder:Rate limit exceeded");
            goto answer;
        default:
            break;
        }
    }
    switch (routes[r].r) {
    case R_TIME:
        vk_time(vk, &a, now);
        break;
    case R_STATUS:
        vk_system_status(vk, &a, now);
        break;
    case R_PAIRS:
        vk_asset_pairs(vk, p, &a);
        break;
    case R_TICKER:
        vk_ticker(vk, p, &a);
        break;
    case R_ADD:
        vk_add_order(vk, p, &a, now, &placed);
        break;
    case R_CANCEL:
        vk_cancel_order(vk, p, &a, now);
        break;
    case R_CANCEL_ALL:
        vk_cancel_all(vk, &a, now);
        break;
    case R_AMEND:
        vk_amend_order(vk, p, &a, now);
        break;
    case R_QUERY:
        vk_query_orders(vk, p, &a);
        break;
    case R_TRADES:
        vk_query_trades(vk, p, &a);
        break;
    case R_OPEN:
        vk_list_orders(vk, p, &a, true);
        break;
    case R_CLOSED:
        vk_list_orders(vk, p, &a, false);
        break;
    case R_NONE:
        break;
    }
    if (faulted) {
        fprintf(stderr, "venue-sim: fault %d on %s (placed %d)\n", (int)f.kind, rq->path,
                (int)placed);
        switch (f.kind) {
        case VS_F_5XX_AFTER:
            edge(&a, 502, "<html><body>502 Bad Gateway</body></html>");
            break;
        case VS_F_UNAVAIL_AFTER:
            vk_error(&a, "EService:Unavailable");
            break;
        case VS_F_MALFORMED_AFTER:
            if (a.body)
                a.body[strlen(a.body) / 2] = '\0';
            break;
        case VS_F_DROP_AFTER:
            rp->drop = true;
            break;
        case VS_F_DELAY_AFTER:
            rp->delay_ms = f.ms; /* the server sleeps, without vk->mu */
            break;
        default:
            break;
        }
    }
answer:
    rp->http = a.http ? a.http : 500;
    rp->body = a.body;
    rp->not_json = a.http != 200 && a.http != 404;
    pthread_mutex_unlock(&vk->mu);
    free(p);
}

enum fb_err fb_vsim_kraken_start(const struct fb_vsim_params *p, struct fb_vsim_kraken **out,
                                 char *err, size_t errlen)
{
    struct fb_vsim_kraken *vk;
    char probe[FB_SIGN_KRAKEN_B64_LEN + 1];
    enum fb_err e;
    *out = NULL;
    if ((e = fb_vsim_params_check(p, sizeof vk->key, sizeof vk->secret, err, errlen)) != FB_OK)
        return e;
    if (fb_sign_kraken(p->api_secret, "/", "1", "", 0, probe) != FB_OK) {
        snprintf(err, errlen, "the API secret must be base64, as Kraken gives it");
        return FB_ERR_INVALID;
    }
    if (!(vk = calloc(1, sizeof *vk)))
        return FB_ERR_NOMEM;
    pthread_mutex_init(&vk->mu, NULL);
    vk->p = p->sim;
    snprintf(vk->key, sizeof vk->key, "%s", p->api_key);
    snprintf(vk->secret, sizeof vk->secret, "%s", p->api_secret);
    if ((e = vk_init(vk, err, errlen)) != FB_OK)
        goto fail;
    if ((e = fb_vsim_http_start(p->port, handler, vk, &vk->srv, err, errlen)) != FB_OK) {
        vk_free(vk);
        goto fail;
    }
    *out = vk;
    return FB_OK;
fail:
    OPENSSL_cleanse(vk->secret, sizeof vk->secret);
    pthread_mutex_destroy(&vk->mu);
    free(vk);
    return e;
}

uint16_t fb_vsim_kraken_port(const struct fb_vsim_kraken *vk)
{
    return fb_vsim_http_port(vk->srv);
}

enum fb_err fb_vsim_kraken_add_fault(struct fb_vsim_kraken *vk, const char *spec, char *err,
                                     size_t errlen)
{
    struct vs_params p = {0};
    enum fb_err e;
    pthread_mutex_lock(&vk->mu);
    if (fb_vsim_params_add(&p, spec) != FB_VSIM_P_OK) {
        snprintf(err, errlen, "bad fault spec '%s'", spec);
        e = FB_ERR_INVALID;
    } else {
        e = add_fault(vk, &p, err, errlen);
    }
    pthread_mutex_unlock(&vk->mu);
    return e;
}

void fb_vsim_kraken_stop(struct fb_vsim_kraken *vk)
{
    if (!vk)
        return;
    fb_vsim_http_stop(vk->srv);
    vk_free(vk);
    pthread_mutex_destroy(&vk->mu);
    OPENSSL_cleanse(vk->secret, sizeof vk->secret);
    free(vk);
}
