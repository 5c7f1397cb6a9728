/*
 * vsim_http: the loopback HTTP server, parameters and fault queue the venue
 * simulators share (see vsim_http.h).
 */
#include "adapters/vsim_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

struct fb_vsim_http {
    struct MHD_Daemon *d;
    fb_vsim_handler h;
    void *user;
    uint16_t port;
    volatile int stopping;
};

/* One request being received. */
struct vs_req {
    char uri[FB_VSIM_URI_MAX + 1];
    char body[FB_VSIM_BODY_MAX + 1];
    size_t body_len;
    bool too_large;
    bool started; /* MHD's first call, before any body */
    int64_t line_ns; /* CLOCK_MONOTONIC when the request line was parsed */
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

enum fb_err fb_vsim_params_check(const struct fb_vsim_params *p, size_t key_cap,
                                 size_t secret_cap, char *err, size_t errlen)
{
    if (!p->api_key || !*p->api_key || !p->api_secret || !*p->api_secret ||
        strlen(p->api_key) >= key_cap || strlen(p->api_secret) >= secret_cap) {
        snprintf(err, errlen, "an API key and secret are required (at most %zu/%zu characters)",
                 key_cap - 1, secret_cap - 1);
        return FB_ERR_INVALID;
    }
    if (p->sim.n_markets < 1 || p->sim.n_markets > FB_SIM_MARKETS_MAX || p->sim.tick_ms < 1) {
        snprintf(err, errlen, "at least one market and tick_ms >= 1 are required");
        return FB_ERR_INVALID;
    }
    return FB_OK;
}

/* ---- parameters ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out (cap bytes with NUL); false if too long. */
static bool pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

enum fb_vsim_perr fb_vsim_params_add(struct vs_params *p, const char *s)
{
    size_t start = p->n;
    while (s && *s) {
        size_t n = strcspn(s, "&"), kl = strcspn(s, "=");
        char k[VS_KEY_MAX + 1], v[VS_VAL_MAX + 1];
        size_t j;
        if (kl > n)
            kl = n;
        if (n == 0) {
            s++;
            continue;
        }
        if (!pct_decode(s, kl, k, sizeof k) ||
            !pct_decode(s + kl + (kl < n), n - kl - (kl < n), v, sizeof v))
            return FB_VSIM_P_BAD;
        for (j = 0; j < p->n; j++)
            if (strcmp(p->kv[j].k, k) == 0)
                break;
        if (j < p->n) {
            if (j >= start) /* twice in one place; else the earlier source wins */
                return FB_VSIM_P_DUP;
        } else {
            if (p->n == VS_PARAMS_MAX)
                return FB_VSIM_P_MANY;
            memcpy(p->kv[p->n].k, k, sizeof k);
            memcpy(p->kv[p->n].v, v, sizeof v);
            p->kv[p->n].read = false;
            p->n++;
        }
        s += n;
        if (*s == '&')
            s++;
    }
    return FB_VSIM_P_OK;
}

const char *fb_vsim_param(struct vs_params *p, const char *k)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->kv[i].k, k) == 0) {
            p->kv[i].read = true;
            return p->kv[i].v[0] ? p->kv[i].v : NULL;
        }
    return NULL;
}

static bool named(const char *k, const char *const *names)
{
    for (const char *const *n = names; *n; n++)
        if (strcmp(*n, k) == 0)
            return true;
    return false;
}

size_t fb_vsim_params_known(const struct vs_params *p, const char *const *names)
{
    size_t known = 0;
    for (size_t i = 0; i < p->n; i++)
        known += named(p->kv[i].k, names);
    return known;
}

const char *fb_vsim_params_unknown(const struct vs_params *p, const char *const *names)
{
    for (size_t i = 0; i < p->n; i++)
        if (!named(p->kv[i].k, names))
            return p->kv[i].k;
    return NULL;
}

/* ---- what the venues' answers are built from ---- */

void fb_vsim_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool fb_vsim_dec_syntax(const char *s, size_t max_frac)
{
    size_t i = 0, n = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (i < 1 || i > 20)
        return false;
    if (s[i] == '\0')
        return true;
    if (s[i++] != '.')
        return false;
    while (s[i + n] >= '0' && s[i + n] <= '9')
        n++;
    return n >= 1 && n <= max_frac && s[i + n] == '\0';
}

json_t *fb_vsim_jdec(struct fb_dec d)
{
    char b[FB_DEC_STRMAX];
    fb_dec_format(d, b);
    return json_string(b);
}

char *fb_vsim_dumps(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return s;
}

/* ---- counts ---- */

struct vs_count *fb_vsim_count(struct fb_vsim_counts *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->a[i].id, id) == 0)
            return &c->a[i];
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        void *n = realloc(c->a, cap * sizeof *c->a);
        if (!n)
            return NULL;
        c->a = n;
        c->cap = cap;
    }
    memset(&c->a[c->n], 0, sizeof c->a[0]);
    snprintf(c->a[c->n].id, sizeof c->a[0].id, "%s", id);
    return &c->a[c->n++];
}

json_t *fb_vsim_counts_json(const struct fb_vsim_counts *c, const char *only)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n; i++) {
        if (only && strcmp(only, c->a[i].id) != 0)
            continue;
        json_array_append_new(arr, json_pack("{s:s,s:i,s:i}", "clientOrderId", c->a[i].id,
                                             "posts", (int)c->a[i].posts, "orders",
                                             (int)c->a[i].orders));
    }
    return arr;
}

void fb_vsim_counts_free(struct fb_vsim_counts *c)
{
    free(c->a);
    memset(c, 0, sizeof *c);
}

/* ---- arrivals ---- */

void fb_vsim_arrival_add(struct fb_vsim_arrivals *v, const char *id, int64_t line_ns,
                         int64_t complete_ns)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        void *n = cap <= FB_VSIM_ARRIVALS_MAX ? realloc(v->a, cap * sizeof *v->a) : NULL;
        if (!n) {
            v->dropped++;
            return;
        }
        v->a = n;
        v->cap = cap;
    }
    snprintf(v->a[v->n].id, sizeof v->a[0].id, "%s", id);
    v->a[v->n].line_ns = line_ns;
    v->a[v->n].complete_ns = complete_ns;
    v->n++;
}

char *fb_vsim_arrivals_text(const struct fb_vsim_arrivals *v, const char *extra)
{
    /* Written by hand: a jansson tree of 10^5 entries costs more than the
     * benchmark run it reports on. Ids in the client order id charset
     * ([A-Za-z0-9._-]) need no JSON escaping; any other id is left out. */
    /* an entry is at most 3 + id + 2 + 2 * 20 digits + 2 characters */
    size_t cap = 96 + strlen(extra) + v->n * (FB_VENUE_CLORDID_MAX + 64), len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    len += (size_t)snprintf(out, cap, "{%s\"clock\":\"CLOCK_MONOTONIC\",\"dropped\":%llu,"
                                      "\"arrivals\":[",
                            extra, (unsigned long long)v->dropped);
    const char *sep = "";
    for (size_t i = 0; i < v->n; i++) {
        static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
        if (strspn(v->a[i].id, ok) != strlen(v->a[i].id))
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s[\"%s\",%lld,%lld]", sep,
                                v->a[i].id, (long long)v->a[i].line_ns,
                                (long long)v->a[i].complete_ns);
        sep = ",";
    }
    snprintf(out + len, cap - len, "]}");
    return out;
}

void fb_vsim_arrivals_free(struct fb_vsim_arrivals *v)
{
    free(v->a);
    memset(v, 0, sizeof *v);
}

/* ---- the book's clock ---- */

uint64_t fb_vsim_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void fb_vsim_tick(struct fb_sim_book *b, const struct fb_sim_params *p, uint64_t *rng,
                  int64_t *next_tick_ns, int64_t now_ns)
{
    int64_t step = (int64_t)p->tick_ms * 1000000LL;
    if (*next_tick_ns == 0 || now_ns - *next_tick_ns > 1000 * step)
        *next_tick_ns = now_ns + step;
    while (*next_tick_ns <= now_ns) {
        for (size_t m = 0; m < b->n_markets; m++) {
            const struct fb_sim_market_params *mp = &p->markets[m];
            if (mp->volatility_bps) {
                struct fb_dec ref;
                if (fb_sim_walk_step(b->markets[m].ref, mp->tick_size, mp->volatility_bps,
                                     fb_vsim_splitmix(rng), &ref) == FB_OK &&
                    fb_sim_book_set_touch(b, m, ref, mp->spread_bps) != FB_OK)
                    continue;
            }
            if (fb_sim_book_match(b, m, *next_tick_ns, false) != FB_OK)
                continue;
        }
        *next_tick_ns += step;
    }
}

enum fb_err fb_vsim_move_price(struct fb_sim_book *b, const struct fb_sim_params *p, size_t m,
                               struct fb_dec px, int64_t now_ns)
{
    enum fb_err e = fb_sim_book_set_touch(b, m, px, p->markets[m].spread_bps);
    return e != FB_OK ? e : fb_sim_book_match(b, m, now_ns, true);
}

json_t *fb_vsim_price_json(const struct fb_sim_book *b, size_t m, const char *symbol)
{
    return json_pack("{s:s,s:o,s:o,s:o}", "symbol", symbol, "price",
                     fb_vsim_jdec(b->markets[m].ref), "bid", fb_vsim_jdec(b->markets[m].bid),
                     "ask", fb_vsim_jdec(b->markets[m].ask));
}

/* ---- faults ---- */

/* Parameter key of p, if given, into *out: decimal digits only, lo..hi.
 * A test that mistypes a number must hear so, not get a fault it did not
 * ask for (strtoul would take "3s" as 3 and "x" as 0). */
static int fault_number(struct vs_params *p, const char *key, uint32_t lo, uint32_t hi,
                        uint32_t *out, char *err, size_t errlen)
{
    const char *v = fb_vsim_param(p, key);
    unsigned long n = 0;
    if (!v)
        return 0;
    for (const char *c = v; *c; c++) {
        if (*c < '0' || *c > '9' || n > hi) {
            n = (unsigned long)hi + 1;
            break;
        }
        n = n * 10 + (unsigned long)(*c - '0');
    }
    if (!*v || n < lo || n > hi) {
        snprintf(err, errlen, "%s= must be a whole number %u..%u, not '%s'", key, lo, hi, v);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

enum fb_err fb_vsim_fault_add(struct fb_vsim_faults *q, struct vs_params *p,
                              const struct fb_vsim_fault_name *names, size_t n_names, char *err,
                              size_t errlen)
{
    static const char *const ons[] = {"new", "cancel", "replace", "query", "any"};
    const char *kind = fb_vsim_param(p, "kind"), *v;
    struct vs_fault f = {.count = 1, .ms = 3000, .retry_after = 1, .on = VS_ON_NEW};
    size_t i;
    if (!kind) {
        snprintf(err, errlen, "kind= is required");
        return FB_ERR_INVALID;
    }
    if (strcmp(kind, "clear") == 0) {
        q->n = 0;
        return FB_OK;
    }
    for (i = 0; i < n_names && strcmp(kind, names[i].name) != 0; i++)
        ;
    if (i == n_names) {
        snprintf(err, errlen, "unknown fault kind '%s'", kind);
        return FB_ERR_INVALID;
    }
    f.kind = names[i].kind;
    if (fault_number(p, "count", 1, FB_VSIM_FAULT_COUNT_MAX, &f.count, err, errlen) ||
        fault_number(p, "ms", f.kind == VS_F_HIDE_TRADES ? 1 : 0, FB_VSIM_FAULT_MS_MAX, &f.ms, err,
                     errlen) ||
        fault_number(p, "retry_after", 0, FB_VSIM_FAULT_RETRY_MAX, &f.retry_after, err, errlen))
        return FB_ERR_INVALID;
    if ((v = fb_vsim_param(p, "on"))) {
        for (i = 0; i < 5 && strcmp(v, ons[i]) != 0; i++)
            ;
        if (i == 5) {
            snprintf(err, errlen, "on= must be new, cancel, replace, query or any");
            return FB_ERR_INVALID;
        }
        f.on = (enum vs_on)i;
    }
    if (f.kind == VS_F_HIDE_TRADES && f.on != VS_ON_NEW && f.on != VS_ON_REPLACE) {
        /* only those requests make an order whose trades there are to hide */
        snprintf(err, errlen, "%s: on= must be new or replace, the requests that make an order",
                 kind);
        return FB_ERR_INVALID;
    }
    if (q->n == FB_VSIM_FAULTS_MAX) {
        snprintf(err, errlen, "at most %d faults queued", FB_VSIM_FAULTS_MAX);
        return FB_ERR_INVALID;
    }
    q->f[q->n++] = f;
    return FB_OK;
}

bool fb_vsim_fault_take(struct fb_vsim_faults *q, enum vs_on op, struct vs_fault *out)
{
    for (size_t i = 0; i < q->n; i++) {
        struct vs_fault *f = &q->f[i];
        if (f->on != op && f->on != VS_ON_ANY)
            continue;
        *out = *f;
        if (--f->count == 0) {
            memmove(f, f + 1, (q->n - i - 1) * sizeof *f);
            q->n--;
        }
        return true;
    }
    return false;
}

/* ---- the server ---- */

const char *fb_vsim_header(const struct fb_vsim_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void fb_vsim_reply_header(struct fb_vsim_reply *r, const char *name, const char *value)
{
    if (r->n_headers == FB_VSIM_HEADERS_MAX)
        return;
    snprintf(r->headers[r->n_headers].name, sizeof r->headers[0].name, "%s", name);
    snprintf(r->headers[r->n_headers].value, sizeof r->headers[0].value, "%s", value);
    r->n_headers++;
}

static void sleep_ms(struct fb_vsim_http *s, uint32_t ms)
{
    while (ms > 0 && !s->stopping) {
        uint32_t step = ms < 20 ? ms : 20;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **ctx)
{
    struct fb_vsim_http *s = cls;
    struct vs_req *r = *ctx;
    struct fb_vsim_request rq;
    struct fb_vsim_reply rp;
    struct MHD_Response *resp;
    char path[512];
    const char *query, *body;
    enum MHD_Result ret;
    (void)url;
    (void)version;

    if (!r)
        return MHD_NO;
    if (!r->started) {
        r->started = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->body_len + *upload_size > FB_VSIM_BODY_MAX)
            r->too_large = true;
        else {
            memcpy(r->body + r->body_len, upload, *upload_size);
            r->body_len += *upload_size;
            r->body[r->body_len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    query = strchr(r->uri, '?');
    snprintf(path, sizeof path, "%.*s", (int)(query ? (size_t)(query - r->uri) : strlen(r->uri)),
             r->uri);
    memset(&rq, 0, sizeof rq);
    memset(&rp, 0, sizeof rp);
    rq.method = method;
    rq.path = path;
    rq.query = query ? query + 1 : "";
    rq.body = r->body;
    rq.body_len = r->body_len;
    rq.too_large = r->too_large;
    rq.conn = c;
    rq.line_ns = r->line_ns;
    rq.complete_ns = mono_ns();
    s->h(s->user, &rq, &rp);
    if (rp.drop) {
        free(rp.body);
        return MHD_NO; /* the client sees the connection close, no answer */
    }
    if (rp.delay_ms)
        sleep_ms(s, rp.delay_ms);
    body = rp.body ? rp.body : "{}";
    resp = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                           MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        free(rp.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            rp.not_json ? "text/plain" : "application/json;charset=UTF-8");
    for (size_t i = 0; i < rp.n_headers; i++)
        MHD_add_response_header(resp, rp.headers[i].name, rp.headers[i].value);
    ret = MHD_queue_response(c, rp.http ? rp.http : 500, resp);
    MHD_destroy_response(resp);
    free(rp.body);
    return ret;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct vs_req *r = calloc(1, sizeof *r);
    (void)cls;
    (void)c;
    if (r) {
        /* MHD calls this once it has read and parsed the request line: the
         * earliest moment the server knows a request is there. */
        r->line_ns = mono_ns();
        snprintf(r->uri, sizeof r->uri, "%s", uri);
    }
    return r;
}

static void completed(void *cls, struct MHD_Connection *c, void **ctx,
                      enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    free(*ctx);
    *ctx = NULL;
}

/* Nagle + delayed ACK stall keep-alive answers ~40 ms (REFERENCE.md H.5). */
static void on_conn(void *cls, struct MHD_Connection *c, void **socket_ctx,
                    enum MHD_ConnectionNotificationCode code)
{
    const union MHD_ConnectionInfo *ci;
    int one = 1;
    (void)cls;
    (void)socket_ctx;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        (void)setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

enum fb_err fb_vsim_http_start(uint16_t port, fb_vsim_handler h, void *user,
                               struct fb_vsim_http **out, char *err, size_t errlen)
{
    struct fb_vsim_http *s;
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *di;
    *out = NULL;
    if (!(s = calloc(1, sizeof *s)))
        return FB_ERR_NOMEM;
    s->h = h;
    s->user = user;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                            NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_NOTIFY_CONNECTION, on_conn, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%u", (unsigned)port);
        free(s);
        return FB_ERR_IO;
    }
    di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : port;
    *out = s;
    return FB_OK;
}

uint16_t fb_vsim_http_port(const struct fb_vsim_http *s)
{
    return s->port;
}

void fb_vsim_http_stop(struct fb_vsim_http *s)
{
    if (!s)
        return;
    s->stopping = 1;
    MHD_stop_daemon(s->d);
    free(s);
}
