/*
 * adapters/http against an in-test libmicrohttpd server on 127.0.0.1 (port
 * chosen by binding 0) with fault injection: slow answers (timeout after
 * send), a connection dropped after the request, an oversized body, 5xx, a
 * closed port, a failing TLS setup; keep-alive reuse; and the Part H.1 rule:
 * a POST is never re-sent by the transport when a kept-alive connection dies.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "adapters/http.h"

#define BIG_LEN (256 * 1024)

static struct MHD_Daemon *srv;
static unsigned short port;
static atomic_int n_conns, n_drop_posts, n_requests;
static char last_body[256], last_key[128], last_method[16];
static char *big;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&n_conns, 1);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *body, size_t n)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    MHD_add_response_header(r, "x-mbx-used-weight-1m", "7");
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **ctx)
{
    static int marker;
    (void)cls;
    (void)version;
    if (*ctx == NULL) {
        *ctx = &marker;
        atomic_fetch_add(&n_requests, 1);
        snprintf(last_method, sizeof last_method, "%s", method);
        last_body[0] = '\0';
        const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-MBX-APIKEY");
        snprintf(last_key, sizeof last_key, "%s", k ? k : "");
        if (strcmp(url, "/drop") == 0) {
            if (strcmp(method, "POST") == 0)
                atomic_fetch_add(&n_drop_posts, 1);
            return MHD_NO; /* closes the connection, no response byte */
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t have = strlen(last_body), n = *upload_size;
        if (have + n < sizeof last_body) {
            memcpy(last_body + have, upload, n);
            last_body[have + n] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/slow") == 0) {
        usleep(1500 * 1000);
        return reply(c, 200, "late", 4);
    }
    if (strcmp(url, "/big") == 0)
        return reply(c, 200, big, BIG_LEN);
    if (strcmp(url, "/500") == 0)
        return reply(c, 500, "{\"code\":-1000}", 14);
    if (strcmp(url, "/echo") == 0)
        return reply(c, 200, last_body, strlen(last_body));
    return reply(c, 200, "hello", 5);
}

static void srv_start(void)
{
    const union MHD_DaemonInfo *info;
    atomic_store(&n_conns, 0);
    atomic_store(&n_drop_posts, 0);
    atomic_store(&n_requests, 0);
    if (!big) {
        big = malloc(BIG_LEN);
        memset(big, 'x', BIG_LEN);
    }
    srv = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                           MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_conn, NULL,
                           MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    ck_assert_ptr_nonnull(srv);
    info = MHD_get_daemon_info(srv, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    port = info->port;
    ck_assert_uint_gt(port, 0);
}

static void srv_stop(void)
{
    MHD_stop_daemon(srv);
    srv = NULL;
}

/* ---- driving the client ---- */

struct got {
    int done;
    enum fb_http_outcome outcome;
    long status;
    char body[64];
    size_t body_len;
    char weight[16];
};

static void on_done(void *user, const struct fb_http_response *r)
{
    struct got *g = user;
    const char *v;
    size_t vl;
    g->done++;
    g->outcome = r->outcome;
    g->status = r->status;
    g->body_len = r->body_len;
    snprintf(g->body, sizeof g->body, "%.*s", (int)(r->body_len < 63 ? r->body_len : 63), r->body);
    if (fb_http_header(r, "X-MBX-USED-WEIGHT-1M", &v, &vl))
        snprintf(g->weight, sizeof g->weight, "%.*s", (int)vl, v);
}

static struct fb_http *client(const char *ca_file)
{
    struct fb_http_params p = {ca_file, NULL, 1000, 400, 64 * 1024, 1};
    struct fb_http *h = NULL;
    ck_assert_int_eq(fb_http_create(&p, &h), FB_OK);
    return h;
}

/* Runs h until g is done (at most 5 s); every run() must return at once. */
static void drive(struct fb_http *h, struct got *g)
{
    int64_t start = now_ns();
    while (!g->done) {
        int64_t t0 = now_ns();
        ck_assert_int_eq(fb_http_run(h, t0), FB_OK);
        ck_assert_msg(now_ns() - t0 < 100000000LL, "run() blocked for %lld ns",
                      (long long)(now_ns() - t0));
        ck_assert_msg(t0 - start < 5000000000LL, "request never completed");
        int64_t d = fb_http_next_deadline(h);
        ck_assert_msg(g->done || d != INT64_MAX, "active transfer but no deadline");
        usleep(1000);
    }
    ck_assert_int_eq(g->done, 1);
}

/* request() with header line hdr (NULL: none) instead of the API key. */
static void request_hdr(struct fb_http *h, enum fb_http_method m, const char *path,
                        const char *body, const char *hdr, struct got *g)
{
    char url[128];
    const char *hdrs[] = {hdr};
    struct fb_http_request r;
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    memset(g, 0, sizeof *g);
    memset(&r, 0, sizeof r);
    r.method = m;
    r.url = url;
    r.body = body;
    r.body_len = body ? strlen(body) : 0;
    r.headers = hdr ? hdrs : NULL;
    r.n_headers = hdr ? 1 : 0;
    r.done = on_done;
    r.user = g;
    ck_assert_int_eq(fb_http_submit(h, &r), FB_OK);
    drive(h, g);
}

static void request(struct fb_http *h, enum fb_http_method m, const char *path, const char *body,
                    struct got *g)
{
    request_hdr(h, m, path, body, "X-MBX-APIKEY: k123", g);
}

struct fault_case {
    const char *name;
    enum fb_http_method method;
    const char *path;
    enum fb_http_outcome outcome;
    long status;
    const char *body;
};

static const struct fault_case faults[] = {
    {"200", FB_HTTP_GET, "/ok", FB_HTTP_RESPONSE, 200, "hello"},
    {"5xx is a response", FB_HTTP_GET, "/500", FB_HTTP_RESPONSE, 500, "{\"code\":-1000}"},
    {"slow answer: timeout after send", FB_HTTP_POST, "/slow", FB_HTTP_UNKNOWN, 0, ""},
    {"dropped after request", FB_HTTP_POST, "/drop", FB_HTTP_UNKNOWN, 0, ""},
    {"dropped GET", FB_HTTP_GET, "/drop", FB_HTTP_UNKNOWN, 0, ""},
    {"oversized body", FB_HTTP_GET, "/big", FB_HTTP_TOO_LARGE, 0, ""},
};

START_TEST(fault_table)
{
    const struct fault_case *fc = &faults[_i];
    struct fb_http *h;
    struct got g;
    srv_start();
    h = client(NULL);
    request(h, fc->method, fc->path, fc->method == FB_HTTP_GET ? NULL : "a=1", &g);
    ck_assert_msg(g.outcome == fc->outcome, "%s: outcome %d want %d", fc->name, (int)g.outcome,
                  (int)fc->outcome);
    ck_assert_int_eq(g.status, fc->status);
    ck_assert_str_eq(g.body, fc->body);
    if (fc->outcome == FB_HTTP_RESPONSE)
        ck_assert_str_eq(g.weight, "7"); /* sent lower case, found by any case */
    ck_assert_uint_eq(fb_http_active(h), 0);
    ck_assert_int_eq(fb_http_next_deadline(h), INT64_MAX);
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

START_TEST(closed_port_is_not_sent)
{
    struct fb_http *h = client(NULL);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    struct got g;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    port = ntohs(a.sin_port);
    close(fd); /* nothing listens there now */
    request(h, FB_HTTP_POST, "/ok", "a=1", &g);
    ck_assert_int_eq(g.outcome, FB_HTTP_NOT_SENT);
    fb_http_destroy(h);
}
END_TEST

START_TEST(tls_setup_failure_is_not_sent)
{
    struct fb_http *h;
    struct got g;
    char url[128];
    struct fb_http_request r;
    srv_start();
    h = client("/nonexistent/ca.pem");
    snprintf(url, sizeof url, "https://127.0.0.1:%u/ok", port);
    memset(&g, 0, sizeof g);
    memset(&r, 0, sizeof r);
    r.method = FB_HTTP_POST;
    r.url = url;
    r.done = on_done;
    r.user = &g;
    ck_assert_int_eq(fb_http_submit(h, &r), FB_OK);
    drive(h, &g);
    ck_assert_int_eq(g.outcome, FB_HTTP_NOT_SENT);
    ck_assert_int_eq(atomic_load(&n_requests), 0);
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

START_TEST(keepalive_reuse_for_gets)
{
    struct fb_http *h;
    struct got g;
    srv_start();
    h = client(NULL);
    for (int i = 0; i < 3; i++) {
        request(h, FB_HTTP_GET, "/ok", NULL, &g);
        ck_assert_int_eq(g.status, 200);
    }
    ck_assert_int_eq(atomic_load(&n_conns), 1);
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

/* REFERENCE.md Part H.1: with a kept-alive connection from a GET, a POST
 * whose connection dies before any response byte must reach the server
 * exactly once and come back as outcome unknown. libcurl's own retry on a
 * reused connection would make the server see it twice; the transport
 * gives it no way to rewind the body, so it fails instead. */
START_TEST(post_never_resent)
{
    struct fb_http *h;
    struct got g;
    srv_start();
    h = client(NULL);
    request(h, FB_HTTP_GET, "/ok", NULL, &g);
    ck_assert_int_eq(g.status, 200);
    request(h, FB_HTTP_POST, "/drop", "symbol=X", &g);
    ck_assert_int_eq(g.outcome, FB_HTTP_UNKNOWN);
    ck_assert_int_eq(atomic_load(&n_drop_posts), 1);
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

/* Order calls keep the warm connection: no connect (or TLS handshake) per
 * order. */
START_TEST(posts_reuse_the_connection)
{
    struct fb_http *h;
    struct got g;
    srv_start();
    h = client(NULL);
    for (int i = 0; i < 3; i++) {
        request(h, FB_HTTP_POST, "/echo", "symbol=X&i=1", &g);
        ck_assert_int_eq(g.status, 200);
        ck_assert_str_eq(g.body, "symbol=X&i=1");
    }
    request(h, FB_HTTP_DELETE, "/echo", "", &g);
    ck_assert_int_eq(g.status, 200);
    ck_assert_int_eq(atomic_load(&n_conns), 1);
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

START_TEST(body_and_headers_sent_as_given)
{
    static const enum fb_http_method methods[] = {FB_HTTP_POST, FB_HTTP_PUT, FB_HTTP_DELETE};
    static const char *names[] = {"POST", "PUT", "DELETE"};
    struct fb_http *h;
    struct got g;
    srv_start();
    h = client(NULL);
    for (int i = 0; i < 3; i++) {
        request(h, methods[i], "/echo", "symbol=%EF%BC%91&price=0.1", &g);
        ck_assert_int_eq(g.status, 200);
        ck_assert_str_eq(last_method, names[i]);
        ck_assert_str_eq(g.body, "symbol=%EF%BC%91&price=0.1");
        ck_assert_str_eq(last_key, "k123");
    }
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

/* Finished transfers' handles serve the next requests: nothing of one
 * request (method, body, headers) may carry over into the next. */
START_TEST(reused_handles_carry_nothing_over)
{
    struct fb_http *h;
    struct got g;
    srv_start();
    h = client(NULL);
    request_hdr(h, FB_HTTP_POST, "/echo", "symbol=LONGER&i=1", "X-MBX-APIKEY: k1", &g);
    ck_assert_str_eq(last_method, "POST");
    ck_assert_str_eq(g.body, "symbol=LONGER&i=1");
    ck_assert_str_eq(last_key, "k1");
    request_hdr(h, FB_HTTP_GET, "/ok", NULL, NULL, &g);
    ck_assert_int_eq(g.status, 200);
    ck_assert_str_eq(last_method, "GET");
    ck_assert_str_eq(last_body, "");
    ck_assert_str_eq(last_key, "");
    request_hdr(h, FB_HTTP_PUT, "/echo", "b=2", "X-MBX-APIKEY: k2", &g);
    ck_assert_str_eq(last_method, "PUT");
    ck_assert_str_eq(g.body, "b=2");
    ck_assert_str_eq(last_key, "k2");
    request_hdr(h, FB_HTTP_DELETE, "/echo", "", "X-MBX-APIKEY: k2", &g);
    ck_assert_str_eq(last_method, "DELETE");
    ck_assert_str_eq(g.body, "");
    request_hdr(h, FB_HTTP_POST, "/echo", "c", "X-MBX-APIKEY: k1", &g);
    ck_assert_str_eq(last_method, "POST");
    ck_assert_str_eq(g.body, "c");
    ck_assert_str_eq(last_key, "k1");
    request_hdr(h, FB_HTTP_GET, "/ok", NULL, "X-MBX-APIKEY: k1", &g);
    ck_assert_str_eq(last_method, "GET");
    ck_assert_str_eq(g.body, "hello");
    ck_assert_int_eq(atomic_load(&n_requests), 6);
    ck_assert_int_eq(atomic_load(&n_conns), 1);
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

START_TEST(destroy_with_requests_in_flight)
{
    struct fb_http *h;
    struct got g;
    char url[128];
    struct fb_http_request r;
    srv_start();
    h = client(NULL);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/slow", port);
    memset(&g, 0, sizeof g);
    memset(&r, 0, sizeof r);
    r.url = url;
    r.done = on_done;
    r.user = &g;
    ck_assert_int_eq(fb_http_submit(h, &r), FB_OK);
    ck_assert_int_eq(fb_http_run(h, now_ns()), FB_OK);
    ck_assert_uint_eq(fb_http_active(h), 1);
    fb_http_destroy(h); /* no callback, no leak (ASan) */
    ck_assert_int_eq(g.done, 0);
    srv_stop();
}
END_TEST

/* A caller that polls fb_http_poll_fds's sockets: the request completes
 * by socket readiness alone (poll() with the deadline as its timeout, no
 * sleeps), the deadline is libcurl's own or the slow safety net rather
 * than the poll_ms cadence, and the set changes (generation) as the
 * transfer starts and ends. */
START_TEST(answers_by_socket_readiness)
{
    struct fb_http *h;
    struct got g;
    char url[128];
    struct fb_http_request r;
    struct pollfd fds[8];
    uint64_t gen0 = 0, gen = 0;
    srv_start();
    h = client(NULL); /* poll_ms 1 */
    ck_assert_uint_eq(fb_http_poll_fds(h, fds, 8, &gen0), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/echo", port);
    memset(&g, 0, sizeof g);
    memset(&r, 0, sizeof r);
    r.method = FB_HTTP_POST;
    r.url = url;
    r.body = "a=1";
    r.body_len = 3;
    r.done = on_done;
    r.user = &g;
    ck_assert_int_eq(fb_http_submit(h, &r), FB_OK);
    int waited_on_socket = 0, loops = 0;
    while (!g.done) {
        ck_assert_int_lt(loops++, 1000);
        ck_assert_int_eq(fb_http_run(h, now_ns()), FB_OK);
        if (g.done)
            break;
        size_t n = fb_http_poll_fds(h, fds, 8, &gen);
        int64_t d = fb_http_next_deadline(h);
        ck_assert_msg(d != INT64_MAX, "active transfer but no deadline");
        if (n)
            ck_assert_uint_ne(gen, gen0);
        int64_t left = d - now_ns();
        int ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        int got = poll(fds, n, ms);
        ck_assert_int_ge(got, 0);
        waited_on_socket += got > 0;
    }
    ck_assert_int_eq(g.status, 200);
    ck_assert_str_eq(g.body, "a=1");
    ck_assert_int_gt(waited_on_socket, 0);
    ck_assert_uint_eq(fb_http_poll_fds(h, fds, 8, &gen0), 0); /* idle: nothing to watch */
    ck_assert_uint_ne(gen0, gen);

    /* Waiting for an answer (the server sleeps 1.5 s) on a watched socket:
     * next_deadline is the request timeout or the 50 ms safety net, not
     * the 1 ms poll cadence. */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/slow", port);
    memset(&g, 0, sizeof g);
    r.method = FB_HTTP_GET;
    r.body = NULL;
    r.body_len = 0;
    ck_assert_int_eq(fb_http_submit(h, &r), FB_OK);
    int64_t until = now_ns() + 300000000LL, far = 0;
    while (!far && now_ns() < until) {
        int64_t t = now_ns();
        ck_assert_int_eq(fb_http_run(h, t), FB_OK);
        size_t n = fb_http_poll_fds(h, fds, 8, &gen);
        if (n == 1 && fds[0].events == POLLIN)
            far = fb_http_next_deadline(h) - t; /* the request is out */
        else
            (void)poll(fds, n, 1);
    }
    ck_assert_msg(far > 10000000LL, "waiting on a socket, yet due in %lld ns", (long long)far);
    fb_http_destroy(h);
    srv_stop();
}
END_TEST

START_TEST(bad_params)
{
    struct fb_http_params p = {NULL, NULL, 0, 100, 0, 0};
    struct fb_http *h = NULL;
    ck_assert_int_eq(fb_http_create(&p, &h), FB_ERR_INVALID);
    p.connect_timeout_ms = 100;
    p.request_timeout_ms = 0;
    ck_assert_int_eq(fb_http_create(&p, &h), FB_ERR_INVALID);
    ck_assert_ptr_null(h);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("loopback");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, fault_table, 0, (int)(sizeof faults / sizeof faults[0]));
    tcase_add_test(tc, closed_port_is_not_sent);
    tcase_add_test(tc, tls_setup_failure_is_not_sent);
    tcase_add_test(tc, keepalive_reuse_for_gets);
    tcase_add_test(tc, posts_reuse_the_connection);
    tcase_add_test(tc, post_never_resent);
    tcase_add_test(tc, body_and_headers_sent_as_given);
    tcase_add_test(tc, reused_handles_carry_nothing_over);
    tcase_add_test(tc, destroy_with_requests_in_flight);
    tcase_add_test(tc, answers_by_socket_readiness);
    tcase_add_test(tc, bad_params);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(big);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
