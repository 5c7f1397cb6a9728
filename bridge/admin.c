/*
 * admin.c -- the loopback admin and observability endpoint (libmicrohttpd).
 *
 * The HTTP thread never touches an order: everything about orders is asked
 * of the engine thread through fb_engine_call(). Session state comes from
 * the FIX shim's thread-safe accessors.
 */
#include "bridge/admin.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "bridge/log.h"

struct fb_admin {
    struct MHD_Daemon *daemon;
    const struct fb_config *cfg;
    struct fb_engine *engine;
    fb_fix_acceptor *acceptor;
    char *token; /* NULL: no token required */
    uint16_t port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    json_t *j = json_pack("{s:s}", "error", msg);
    char *body = j ? json_dumps(j, 0) : NULL;
    json_decref(j);
    if (!body)
        return MHD_NO;
    return reply(conn, status, "application/json", body);
}

static int authorized(struct fb_admin *a, struct MHD_Connection *conn)
{
    if (!a->token)
        return 1;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    size_t n = strlen(a->token);
    return h && strncmp(h, "Bearer ", 7) == 0 && strlen(h + 7) == n &&
           CRYPTO_memcmp(h + 7, a->token, n) == 0;
}

static char *sessions_json(struct fb_admin *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < a->cfg->nsessions; i++) {
        const struct fb_session_cfg *s = &a->cfg->sessions[i];
        uint64_t ns = 0, nt = 0;
        (void)fb_fix_session_seqnums(a->acceptor, i, &ns, &nt);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:I, s:I}", "name", s->name,
                           "fix_version", fb_fix_version_name(s->fix_version), "sender_comp_id",
                           s->sender_comp_id, "target_comp_id", s->target_comp_id, "listen",
                           s->listen, "port", (int)fb_fix_acceptor_port(a->acceptor, i),
                           "logged_on", fb_fix_session_logged_on(a->acceptor, i),
                           "next_sender_seq", (json_int_t)ns, "next_target_seq",
                           (json_int_t)nt));
    }
    char *out = json_dumps(arr, JSON_INDENT(1));
    json_decref(arr);
    return out;
}

static char *session_metrics(struct fb_admin *a, const char *engine_text)
{
    size_t cap = strlen(engine_text) + 256 + a->cfg->nsessions * 256, n;
    char *t = malloc(cap);
    if (!t)
        return NULL;
    n = (size_t)snprintf(t, cap, "%s# HELP fixbridge_session_logged_on 1 if the FIX session is "
                                 "logged on.\n# TYPE fixbridge_session_logged_on gauge\n",
                         engine_text);
    for (size_t i = 0; i < a->cfg->nsessions && n < cap; i++)
        n += (size_t)snprintf(t + n, cap - n, "fixbridge_session_logged_on{session=\"%s\"} %d\n",
                              a->cfg->sessions[i].name,
                              fb_fix_session_logged_on(a->acceptor, i));
    return t;
}

static const char *arg(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
    return v ? v : "";
}

static void copy_arg(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static enum MHD_Result engine_reply(struct MHD_Connection *conn, struct fb_engine_call *c,
                                    enum fb_err rc, const char *type)
{
    if (rc != FB_OK) {
        unsigned status = rc == FB_ERR_NOT_FOUND ? MHD_HTTP_NOT_FOUND
                          : rc == FB_ERR_INVALID ? MHD_HTTP_BAD_REQUEST
                                                 : MHD_HTTP_INTERNAL_SERVER_ERROR;
        return reply_error(conn, status, c->err[0] ? c->err : fb_strerror(rc));
    }
    if (!c->text)
        c->text = strdup("{\"ok\":true}");
    return c->text ? reply(conn, MHD_HTTP_OK, type, c->text) : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct fb_admin *a = cls;
    static int first_call_marker;
    struct fb_engine_call c;
    (void)version;
    (void)upload_data;

    /* libmicrohttpd calls once for the headers, again for the body */
    if (*con_cls == NULL) {
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* bodies are ignored: arguments are in the URL */
        return MHD_YES;
    }
    if (!authorized(a, conn))
        return reply_error(conn, MHD_HTTP_UNAUTHORIZED, "missing or wrong bearer token");

    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    memset(&c, 0, sizeof c);
    if (get && !strcmp(url, "/health")) {
        return reply(conn, MHD_HTTP_OK, "application/json", strdup("{\"status\":\"ok\"}"));
    } else if (get && !strcmp(url, "/sessions")) {
        char *body = sessions_json(a);
        return body ? reply(conn, MHD_HTTP_OK, "application/json", body) : MHD_NO;
    } else if (get && !strcmp(url, "/orders")) {
        const char *state = arg(conn, "state");
        if (*state && strcmp(state, "open") && strcmp(state, "all"))
            return reply_error(conn, MHD_HTTP_BAD_REQUEST, "state must be open or all");
        c.op = FB_OP_ORDERS;
        c.all = !strcmp(state, "all");
        return engine_reply(conn, &c, fb_engine_call(a->engine, &c), "application/json");
    } else if (get && !strcmp(url, "/metrics")) {
        c.op = FB_OP_METRICS;
        enum fb_err rc = fb_engine_call(a->engine, &c);
        if (rc == FB_OK) {
            char *all = session_metrics(a, c.text);
            free(c.text);
            return all ? reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", all) : MHD_NO;
        }
        return engine_reply(conn, &c, rc, "text/plain");
    } else if (post && !strcmp(url, "/new-day")) {
        c.op = FB_OP_NEW_DAY;
        return engine_reply(conn, &c, fb_engine_call(a->engine, &c), "application/json");
    } else if (get && !strcmp(url, "/orphans")) {
        c.op = FB_OP_ORPHANS;
        return engine_reply(conn, &c, fb_engine_call(a->engine, &c), "application/json");
    } else if (get && !strcmp(url, "/kill")) {
        c.op = FB_OP_KILLS;
        return engine_reply(conn, &c, fb_engine_call(a->engine, &c), "application/json");
    } else if (post && (!strcmp(url, "/kill") || !strcmp(url, "/release"))) {
        c.op = !strcmp(url, "/kill") ? FB_OP_KILL : FB_OP_RELEASE;
        copy_arg(c.venue, sizeof c.venue, arg(conn, "scope"));
        copy_arg(c.ref, sizeof c.ref, arg(conn, "name"));
        return engine_reply(conn, &c, fb_engine_call(a->engine, &c), "application/json");
    } else if (post && (!strcmp(url, "/sim/price") || !strcmp(url, "/sim/cancel"))) {
        if (!a->cfg->admin.sim_control)
            return reply_error(conn, MHD_HTTP_FORBIDDEN, "sim_control is off in the config");
        copy_arg(c.venue, sizeof c.venue, arg(conn, "venue"));
        if (!strcmp(url, "/sim/price")) {
            c.op = FB_OP_SIM_PRICE;
            copy_arg(c.symbol, sizeof c.symbol, arg(conn, "symbol"));
            copy_arg(c.price, sizeof c.price, arg(conn, "price"));
        } else {
            c.op = FB_OP_SIM_CANCEL;
            copy_arg(c.ref, sizeof c.ref, arg(conn, "order_id"));
        }
        return engine_reply(conn, &c, fb_engine_call(a->engine, &c), "application/json");
    }
    return reply_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

struct fb_admin *fb_admin_start(const struct fb_config *cfg, struct fb_engine *engine,
                                fb_fix_acceptor *acceptor, char *errbuf, size_t errlen)
{
    struct fb_admin *a = calloc(1, sizeof *a);
    struct sockaddr_storage ss;
    socklen_t sslen;

    if (!a) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->engine = engine;
    a->acceptor = acceptor;
    if (cfg->admin.token_env) {
        const char *tok = getenv(cfg->admin.token_env);
        if (!tok || !*tok) {
            snprintf(errbuf, errlen, "%s: admin.token_env: environment variable %s is not set",
                     cfg->path, cfg->admin.token_env);
            goto fail;
        }
        a->token = strdup(tok);
        if (!a->token)
            goto fail;
    }
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, cfg->admin.listen, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)cfg->admin.port);
        sslen = sizeof *s4;
    } else if (inet_pton(AF_INET6, cfg->admin.listen, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)cfg->admin.port);
        sslen = sizeof *s6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errbuf, errlen, "admin.listen %s is not an IP address", cfg->admin.listen);
        goto fail;
    }
    (void)sslen;
    a->daemon = MHD_start_daemon(flags, (uint16_t)cfg->admin.port, NULL, NULL, handle, a,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!a->daemon) {
        snprintf(errbuf, errlen, "cannot listen on %s:%u for the admin endpoint",
                 cfg->admin.listen, cfg->admin.port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
    a->port = info ? info->port : (uint16_t)cfg->admin.port;
    fb_info("admin", "admin endpoint on http://%s:%u%s", cfg->admin.listen, (unsigned)a->port,
            a->token ? " (bearer token required)" : "");
    return a;
fail:
    fb_admin_stop(a);
    return NULL;
}

uint16_t fb_admin_port(const struct fb_admin *a)
{
    return a ? a->port : 0;
}

void fb_admin_stop(struct fb_admin *a)
{
    if (!a)
        return;
    if (a->daemon)
        MHD_stop_daemon(a->daemon);
    if (a->token) {
        OPENSSL_cleanse(a->token, strlen(a->token));
        free(a->token);
    }
    free(a);
}
