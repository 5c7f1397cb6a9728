/*
 * libcurl multi wrapper (see http.h). Only the adapters call it; it knows
 * nothing about venues.
 */
#include "adapters/http.h"
#include "bridge/grow.h"

#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>

#include <curl/curl.h>

struct fb_http {
    CURLM *multi;
    char *ca_file;
    char *user_agent;
    long connect_timeout_ms, request_timeout_ms, poll_ms;
    size_t max_response;
    size_t active;
    struct xfer *xfers; /* in flight, for destroy */
    /* Finished transfers kept with their easy handle and buffers for the
     * next request (HTTP_IDLE_MAX at most): a fresh easy handle costs
     * several allocations and all its options, and libcurl allocates its
     * download and upload buffers once per handle, all on the order path. */
    struct xfer *idle;
    size_t nidle;
    int unstarted;      /* handles added since the last perform */
    int64_t last_now;   /* of the last run() */
    int unwritten;      /* transfers whose written() is still owed */
    /* The sockets libcurl has (note_sockets), for a caller that polls them
     * (fb_http_poll_fds); then run() is due on their readiness and curl's
     * own timers, not every poll_ms. */
    struct http_sock {
        curl_socket_t fd;
        short events; /* POLLIN | POLLOUT */
    } *socks;
    size_t nsocks, cap_socks;
    uint64_t socks_gen; /* changes whenever the set does */
    int socks_partial;  /* the set may lack one: keep the cadence */
    int caller_polls;
    long curl_wait_ms;  /* curl_multi_timeout at the last run(); -1 none */
};

/* Idle transfers kept for reuse, and the largest response buffer one may
 * keep: a rare big answer should not pin megabytes. */
#define HTTP_IDLE_MAX 8
#define HTTP_KEEP_BODY (64u * 1024u)

/* One transfer; owned by the multi handle until it completes. Its easy
 * handle carries the client's fixed options for life (xfer_new); each
 * request sets only what varies (xfer_prepare). */
struct xfer {
    struct fb_http *h;
    struct xfer *prev, *next;
    CURL *easy;
    struct curl_slist *hdrs; /* the request's headers, then "Expect:" */
    size_t n_hdrs;           /* the request's, "Expect:" not counted */
    char *body;
    size_t body_len, body_cap;
    char *head;
    size_t head_len;
    int too_large;
    char *upload; /* the request body (non-GET), read once by on_upload */
    size_t upload_len, upload_off, upload_cap;
    fb_http_done_fn done;
    void *user;
    void (*written)(void *user, int64_t written_ns); /* owed until it is called */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The sockets libcurl has now, for a caller that polls them: from
 * curl_multi_fdset after each perform (the socket callback is only kept up
 * to date by curl_multi_socket_action, which this client does not use). A
 * socket past FD_SETSIZE cannot be told: then run() keeps its cadence. */
static void note_sockets(struct fb_http *h)
{
    fd_set r, w, x;
    int maxfd = -1;
    size_t n = 0;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&x);
    h->socks_partial = 0;
    if (curl_multi_fdset(h->multi, &r, &w, &x, &maxfd) != CURLM_OK || maxfd >= FD_SETSIZE - 1) {
        h->socks_partial = 1;
        maxfd = -1;
    }
    for (int fd = 0; fd <= maxfd; fd++) {
        short ev = (short)((FD_ISSET(fd, &r) ? POLLIN : 0) | (FD_ISSET(fd, &w) ? POLLOUT : 0));
        if (!ev && !FD_ISSET(fd, &x))
            continue;
        if (n == h->cap_socks) {
            size_t cap = h->cap_socks ? h->cap_socks * 2 : 4;
            struct http_sock *s = realloc(h->socks, cap * sizeof *s);
            if (!s) {
                h->socks_partial = 1;
                break;
            }
            h->socks = s;
            h->cap_socks = cap;
        }
        if (n >= h->nsocks || h->socks[n].fd != fd || h->socks[n].events != ev)
            h->socks_gen++;
        h->socks[n++] = (struct http_sock){fd, ev};
    }
    if (n != h->nsocks)
        h->socks_gen++;
    h->nsocks = n;
}

size_t fb_http_poll_fds(struct fb_http *h, struct pollfd *fds, size_t max, uint64_t *gen)
{
    size_t n = 0;
    if (!h)
        return 0;
    h->caller_polls = 1;
    if (gen)
        *gen = h->socks_gen;
    for (size_t i = 0; i < h->nsocks && n < max; i++)
        fds[n++] = (struct pollfd){h->socks[i].fd, h->socks[i].events, 0};
    return h->nsocks;
}

enum fb_err fb_http_create(const struct fb_http_params *p, struct fb_http **out)
{
    struct fb_http *h;
    if (!p || !out || p->connect_timeout_ms <= 0 || p->request_timeout_ms <= 0 || p->poll_ms < 0)
        return FB_ERR_INVALID;
    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return FB_ERR_INTERNAL;
    h = calloc(1, sizeof *h);
    if (!h)
        goto nomem;
    h->multi = curl_multi_init();
    h->ca_file = dup_or_null(p->ca_file);
    h->user_agent = strdup(p->user_agent ? p->user_agent : "fixbridge");
    if (!h->multi || (p->ca_file && !h->ca_file) || !h->user_agent)
        goto nomem;
    h->connect_timeout_ms = p->connect_timeout_ms;
    h->request_timeout_ms = p->request_timeout_ms;
    h->max_response = p->max_response ? p->max_response : FB_HTTP_MAX_RESPONSE_DEFAULT;
    h->poll_ms = p->poll_ms ? p->poll_ms : FB_HTTP_POLL_MS_DEFAULT;
    h->curl_wait_ms = -1;
    *out = h;
    return FB_OK;
nomem:
    if (h) {
        if (h->multi)
            curl_multi_cleanup(h->multi);
        free(h->ca_file);
        free(h->user_agent);
        free(h);
    }
    curl_global_cleanup();
    return FB_ERR_NOMEM;
}

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hdrs);
    free(x->body);
    free(x->upload);
    free(x->head);
    free(x);
}

void fb_http_destroy(struct fb_http *h)
{
    if (!h)
        return;
    while (h->xfers) {
        struct xfer *x = h->xfers;
        h->xfers = x->next;
        curl_multi_remove_handle(h->multi, x->easy);
        xfer_free(x);
    }
    while (h->idle) {
        struct xfer *x = h->idle;
        h->idle = x->next;
        xfer_free(x);
    }
    curl_multi_cleanup(h->multi);
    free(h->socks);
    free(h->ca_file);
    free(h->user_agent);
    free(h);
    curl_global_cleanup();
}

/* Grows *buf to hold len + add + 1 bytes, up to max; 0 when over. */
static int grow(char **buf, size_t *cap, size_t len, size_t add, size_t max)
{
    char *p;
    if (add > max || len > max - add)
        return 0;
    p = fb_grow(*buf, cap, len + add + 1, 1024);
    if (!p)
        return 0;
    *buf = p;
    return 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    struct xfer *x = user;
    size_t n = size * nmemb;
    if (!grow(&x->body, &x->body_cap, x->body_len, n, x->h->max_response)) {
        x->too_large = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    memcpy(x->body + x->body_len, data, n);
    x->body_len += n;
    x->body[x->body_len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    struct xfer *x = user;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        x->head_len = 0; /* a new block (after 1xx): keep only the last */
    if (x->head_len + n >= FB_HTTP_MAX_HEADERS) {
        x->too_large = 1;
        return 0;
    }
    if (!x->head && !(x->head = malloc(FB_HTTP_MAX_HEADERS)))
        return 0;
    memcpy(x->head + x->head_len, data, n);
    x->head_len += n;
    x->head[x->head_len] = '\0';
    return n;
}

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (curl_easy_setopt(e, opt, val) != CURLE_OK)                                             \
            goto fail;                                                                             \
    } while (0)

/* The request body, handed to libcurl once. There is deliberately no seek
 * callback: when libcurl wants to send the body again -- its silent retry
 * after a reused keep-alive connection died under a request that was
 * already written (REFERENCE.md Part H.1) -- it cannot rewind and fails
 * with CURLE_SEND_FAIL_REWIND, which the caller sees as outcome unknown.
 * A request that never left (a dead connection found before writing) is
 * retried on a fresh one, which is safe. So order calls keep the warm
 * connection without ever being sent twice behind the adapter's back. */
static size_t on_upload(char *buf, size_t size, size_t nmemb, void *user)
{
    struct xfer *x = user;
    size_t room = size * nmemb, n = x->upload_len - x->upload_off;
    if (n > room)
        n = room;
    memcpy(buf, x->upload + x->upload_off, n);
    x->upload_off += n;
    return n;
}

/* A transfer with a new easy handle and the options every request of this
 * client has. */
static struct xfer *xfer_new(struct fb_http *h)
{
    struct xfer *x = calloc(1, sizeof *x);
    CURL *e;
    if (!x)
        return NULL;
    x->h = h;
    e = x->easy = curl_easy_init();
    if (!e)
        goto fail;
    SETOPT(CURLOPT_PRIVATE, (char *)x);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, h->request_timeout_ms);
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_file)
        SETOPT(CURLOPT_CAINFO, h->ca_file);
    SETOPT(CURLOPT_USERAGENT, h->user_agent);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, x);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, x);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
    SETOPT(CURLOPT_TCP_NODELAY, 1L);
    /* Part H.1: a body is read once (see on_upload), never resent. */
    SETOPT(CURLOPT_READFUNCTION, on_upload);
    SETOPT(CURLOPT_READDATA, x);
    SETOPT(CURLOPT_SEEKFUNCTION, (curl_seek_callback)NULL);
    return x;
fail:
    xfer_free(x);
    return NULL;
}

/* An idle transfer if there is one, else a new one. */
static struct xfer *xfer_take(struct fb_http *h)
{
    struct xfer *x = h->idle;
    if (!x)
        return xfer_new(h);
    h->idle = x->next;
    h->nidle--;
    x->prev = x->next = NULL;
    return x;
}

/* A finished transfer (out of the multi handle) back to the idle list, or
 * freed. */
static void xfer_release(struct fb_http *h, struct xfer *x)
{
    if (h->nidle >= HTTP_IDLE_MAX || x->body_cap > HTTP_KEEP_BODY) {
        xfer_free(x);
        return;
    }
    x->prev = NULL;
    x->next = h->idle;
    h->idle = x;
    h->nidle++;
}

/* Whether x's header list is already headers[0..n) (a venue's requests
 * mostly carry the same API-key line). */
static int same_headers(const struct xfer *x, const char *const *headers, size_t n)
{
    const struct curl_slist *l = x->hdrs;
    if (!l || x->n_hdrs != n)
        return 0;
    for (size_t i = 0; i < n; i++, l = l->next)
        if (strcmp(l->data, headers[i]) != 0)
            return 0;
    return 1;
}

static int set_headers(struct xfer *x, const char *const *headers, size_t n)
{
    struct curl_slist *l = NULL;
    if (same_headers(x, headers, n))
        return 1;
    for (size_t i = 0; i < n; i++) {
        struct curl_slist *t = curl_slist_append(l, headers[i]);
        if (!t)
            goto fail;
        l = t;
    }
    {
        /* No 100-continue round trip: bodies are small and it only adds a
         * state in which the request is half sent. */
        struct curl_slist *t = curl_slist_append(l, "Expect:");
        if (!t)
            goto fail;
        l = t;
    }
    if (curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, l) != CURLE_OK)
        goto fail;
    curl_slist_free_all(x->hdrs);
    x->hdrs = l;
    x->n_hdrs = n;
    return 1;
fail:
    curl_slist_free_all(l);
    return 0;
}

/* The copy of the body on_upload hands over. */
static int set_upload(struct xfer *x, const char *body, size_t len)
{
    char *p = fb_grow(x->upload, &x->upload_cap, len ? len : 1, 256);
    if (!p)
        return 0;
    x->upload = p;
    if (len)
        memcpy(x->upload, body, len);
    x->upload_len = len;
    return 1;
}

/* What varies per request, set on x's handle, and x's per-transfer state
 * cleared. Every option a previous request may have set differently is set
 * again here (method, URL, headers, body size). */
static int xfer_prepare(struct xfer *x, const struct fb_http_request *req)
{
    CURL *e = x->easy;
    static const char *const custom[] = {NULL, NULL, "PUT", "DELETE"};
    x->body_len = 0;
    x->head_len = 0;
    x->too_large = 0;
    x->upload_len = x->upload_off = 0;
    x->done = req->done;
    x->user = req->user;
    x->written = req->method != FB_HTTP_GET ? req->written : NULL;
    if (!set_headers(x, req->headers, req->n_headers))
        return 0;
    SETOPT(CURLOPT_URL, req->url);
    if (req->method == FB_HTTP_GET) {
        SETOPT(CURLOPT_HTTPGET, 1L);
    } else {
        if (!set_upload(x, req->body, req->body_len))
            return 0;
        SETOPT(CURLOPT_POST, 1L);
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    SETOPT(CURLOPT_CUSTOMREQUEST, custom[req->method]);
    return 1;
fail:
    return 0;
}

enum fb_err fb_http_submit(struct fb_http *h, const struct fb_http_request *req)
{
    struct xfer *x;
    if (!h || !req || !req->url || !req->done || (!req->body && req->body_len) ||
        (!req->headers && req->n_headers) || req->method > FB_HTTP_DELETE)
        return FB_ERR_INVALID;
    x = xfer_take(h);
    if (!x)
        return FB_ERR_NOMEM;
    if (!xfer_prepare(x, req) || curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
        xfer_free(x); /* its handle may hold a half-set request */
        return FB_ERR_NOMEM;
    }
    x->next = h->xfers;
    if (h->xfers)
        h->xfers->prev = x;
    h->xfers = x;
    h->active++;
    h->unstarted = 1;
    if (x->written)
        h->unwritten++;
    return FB_OK;
}

/* Errors that can only happen before a request byte is written. */
static int before_send(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return 1;
    default:
        return 0;
    }
}

static void complete(struct fb_http *h, struct xfer *x, CURLcode code)
{
    struct fb_http_response r;
    memset(&r, 0, sizeof r);
    r.body = x->body ? x->body : "";
    r.body_len = x->body_len;
    r.headers = x->head ? x->head : "";
    r.headers_len = x->head_len;
    r.curl_code = (int)code;
    r.error = "";
    if (code == CURLE_OK) {
        r.outcome = FB_HTTP_RESPONSE;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
    } else if (x->too_large || code == CURLE_FILESIZE_EXCEEDED) {
        r.outcome = FB_HTTP_TOO_LARGE;
        r.error = "response too large";
    } else {
        curl_off_t pre = 0;
        /* PRETRANSFER is set when the connection is ready and the request
         * is about to be written; zero means nothing can have left. */
        curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
        r.outcome = before_send(code) || pre == 0 ? FB_HTTP_NOT_SENT : FB_HTTP_UNKNOWN;
        r.error = curl_easy_strerror(code);
    }
    if (r.outcome != FB_HTTP_RESPONSE) {
        r.body = "";
        r.body_len = 0;
    }
    if (x->written)
        h->unwritten--; /* never written: a failure before the body left */
    if (x->prev)
        x->prev->next = x->next;
    else
        h->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    h->active--;
    x->done(x->user, &r);
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The requests whose every body byte libcurl has now handed to the socket. */
static void report_written(struct fb_http *h)
{
    int64_t now = 0;
    for (struct xfer *x = h->xfers; x && h->unwritten; x = x->next) {
        curl_off_t up = 0;
        if (!x->written || curl_easy_getinfo(x->easy, CURLINFO_SIZE_UPLOAD_T, &up) != CURLE_OK ||
            up < (curl_off_t)x->upload_len || x->upload_off < x->upload_len)
            continue;
        if (!now)
            now = realtime_ns();
        void (*fn)(void *, int64_t) = x->written;
        x->written = NULL;
        h->unwritten--;
        fn(x->user, now);
    }
}

enum fb_err fb_http_run(struct fb_http *h, int64_t now_ns)
{
    int running = 0, left = 0;
    CURLMsg *m;
    if (!h)
        return FB_ERR_INVALID;
    h->last_now = now_ns;
    /* Again (a few times at most) while it pays: callbacks may queue
     * follow-up requests, which should start now rather than a poll period
     * later, and libcurl writes a request's headers in one perform and its
     * body only in the next, which would leave an order half sent until
     * the next poll. */
    for (int pass = 0; pass < 4; pass++) {
        h->unstarted = 0;
        if (curl_multi_perform(h->multi, &running) != CURLM_OK)
            return FB_ERR_INTERNAL;
        if (h->unwritten)
            report_written(h); /* before completions free their transfers */
        while ((m = curl_multi_info_read(h->multi, &left))) {
            struct xfer *x = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *e = m->easy_handle;
            CURLcode code = m->data.result;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
            curl_multi_remove_handle(h->multi, e);
            complete(h, x, code);
            xfer_release(h, x);
        }
        if (!h->unstarted && !h->unwritten)
            break;
    }
    if (curl_multi_timeout(h->multi, &h->curl_wait_ms) != CURLM_OK)
        h->curl_wait_ms = -1;
    note_sockets(h);
    return FB_OK;
}

int64_t fb_http_next_deadline(const struct fb_http *h)
{
    int64_t wait_ms;
    if (!h || h->active == 0)
        return INT64_MAX;
    if (h->unstarted)
        return h->last_now;
    /* A caller that polls the sockets hears of answers at once: curl's own
     * timers (timeouts, connect retries) remain, and a slow safety net.
     * Else (or with no socket to watch yet) poll at poll_ms. */
    if (h->caller_polls && h->nsocks && !h->socks_partial) {
        /* a safety net all the same: 50 polls' worth */
        wait_ms = 50 * h->poll_ms;
        if (h->curl_wait_ms >= 0 && h->curl_wait_ms < wait_ms)
            wait_ms = h->curl_wait_ms;
        return h->last_now + wait_ms * 1000000LL;
    }
    wait_ms = h->poll_ms;
    if (h->curl_wait_ms >= 0 && h->curl_wait_ms < wait_ms)
        wait_ms = h->curl_wait_ms;
    return h->last_now + wait_ms * 1000000LL;
}

size_t fb_http_active(const struct fb_http *h)
{
    return h ? h->active : 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int fb_http_header_next(const struct fb_http_response *r, size_t *pos, const char **name,
                        size_t *nlen, const char **val, size_t *vlen)
{
    while (r && pos && *pos < r->headers_len) {
        const char *line = r->headers + *pos;
        const char *end = memchr(line, '\n', r->headers_len - *pos);
        const char *colon;
        size_t len = end ? (size_t)(end - line) : r->headers_len - *pos;
        *pos += len + (end ? 1 : 0);
        colon = memchr(line, ':', len);
        if (!colon || colon == line || (len >= 5 && memcmp(line, "HTTP/", 5) == 0))
            continue;
        const char *v = colon + 1, *ve = line + len;
        while (v < ve && is_space(*v))
            v++;
        while (ve > v && is_space(ve[-1]))
            ve--;
        *name = line;
        *nlen = (size_t)(colon - line);
        *val = v;
        *vlen = (size_t)(ve - v);
        return 1;
    }
    return 0;
}

int fb_http_header(const struct fb_http_response *r, const char *name, const char **val,
                   size_t *vlen)
{
    size_t pos = 0, nl, want = strlen(name);
    const char *n;
    while (fb_http_header_next(r, &pos, &n, &nl, val, vlen))
        if (nl == want && strncasecmp(n, name, nl) == 0)
            return 1;
    return 0;
}
