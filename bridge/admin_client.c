/*
 * admin_client.c -- one blocking HTTP request to the admin endpoint, for
 * `fixbridge admin` and the client's `admin` script command (libcurl easy
 * interface; see bridge/admin_client.h).
 */
#include "bridge/admin_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

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

/* Appends s to out at *n, percent-encoding unless raw. 0 if it does not fit. */
static int append(char *out, size_t outlen, size_t *n, const char *s, int raw)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int plain = raw || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '~' || ch == '-';
        size_t need = plain ? 1 : 3;
        if (*n + need >= outlen)
            return 0;
        if (plain) {
            out[(*n)++] = (char)ch;
        } else {
            out[(*n)++] = '%';
            out[(*n)++] = hex[ch >> 4];
            out[(*n)++] = hex[ch & 15];
        }
    }
    out[*n] = '\0';
    return 1;
}

enum fb_err fb_admin_url(const char *host, unsigned port, const char *path, const char *const *keys,
                         const char *const *values, size_t n, char *out, size_t outlen)
{
    size_t len = 0;
    int v6 = strchr(host, ':') != NULL;
    int w = snprintf(out, outlen, "http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (w < 0 || (size_t)w >= outlen)
        return FB_ERR_TOO_LARGE;
    len = (size_t)w;
    if (path[0] != '/' && !append(out, outlen, &len, "/", 1))
        return FB_ERR_TOO_LARGE;
    if (!append(out, outlen, &len, path, 1))
        return FB_ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++) {
        if (!append(out, outlen, &len, i ? "&" : "?", 1) ||
            !append(out, outlen, &len, keys[i], 1) || !append(out, outlen, &len, "=", 1) ||
            !append(out, outlen, &len, values[i], 0))
            return FB_ERR_TOO_LARGE;
    }
    return FB_OK;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *user)
{
    struct fb_admin_answer *a = user;
    size_t n = size * nmemb;
    char *p = realloc(a->body, a->len + n + 1);
    if (p == NULL)
        return 0; /* libcurl reports CURLE_WRITE_ERROR */
    memcpy(p + a->len, data, n);
    a->len += n;
    p[a->len] = '\0';
    a->body = p;
    return n;
}

enum fb_err fb_admin_request(const struct fb_admin_target *t, const char *method, const char *url,
                             struct fb_admin_answer *ans, char *err, size_t errlen)
{
    char auth[512], cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    enum fb_err rc = FB_OK;

    memset(ans, 0, sizeof *ans);
    CURL *h = curl_easy_init();
    if (h == NULL) {
        seterr(err, errlen, "cannot initialise libcurl");
        return FB_ERR_NOMEM;
    }
    if (t->token && *t->token) {
        int w = snprintf(auth, sizeof auth, "Authorization: Bearer %s", t->token);
        if (w < 0 || (size_t)w >= sizeof auth) {
            seterr(err, errlen, "the bearer token is longer than %zu characters", sizeof auth - 23);
            curl_easy_cleanup(h);
            return FB_ERR_TOO_LARGE;
        }
        hdrs = curl_slist_append(hdrs, auth);
        if (hdrs == NULL) {
            curl_easy_cleanup(h);
            return FB_ERR_NOMEM;
        }
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* loopback: never through a proxy */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(t->timeout_ms ? t->timeout_ms : 10000));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
    CURLcode c = curl_easy_perform(h);
    if (c != CURLE_OK) {
        const char *why = cerr[0] ? cerr : curl_easy_strerror(c);
        if (c == CURLE_OPERATION_TIMEDOUT) {
            rc = FB_ERR_TIMEOUT;
        } else if (c == CURLE_OUT_OF_MEMORY || c == CURLE_WRITE_ERROR) {
            rc = FB_ERR_NOMEM;
        } else {
            rc = FB_ERR_IO;
        }
        seterr(err, errlen, "%s %s: %s", method, url, why);
        fb_admin_answer_free(ans);
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans->status);
        if (ans->body == NULL && (ans->body = calloc(1, 1)) == NULL)
            rc = FB_ERR_NOMEM;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    /* The header held the token: do not leave it in freed memory. */
    memset(auth, 0, sizeof auth);
    return rc;
}

void fb_admin_answer_free(struct fb_admin_answer *ans)
{
    free(ans->body);
    ans->body = NULL;
    ans->len = 0;
}

enum fb_err fb_admin_target_from_config(const struct fb_config *cfg, unsigned port_override,
                                        const char *token_env_override, struct fb_admin_target *t,
                                        char *err, size_t errlen)
{
    const struct fb_admin_cfg *a = &cfg->admin;
    memset(t, 0, sizeof *t);
    t->host = a->present && a->listen ? a->listen : "127.0.0.1";
    if (strcmp(t->host, "0.0.0.0") == 0)
        t->host = "127.0.0.1";
    else if (strcmp(t->host, "::") == 0)
        t->host = "::1";
    if (!a->present && port_override == 0) {
        seterr(err, errlen,
               "%s has no admin section (give --admin-port/--port to use one "
               "anyway)",
               cfg->path);
        return FB_ERR_CONFIG;
    }
    t->port = port_override ? port_override : a->port;
    if (t->port == 0) {
        seterr(err, errlen,
               "%s: admin.port is 0 (a free port): give the port the bridge "
               "bound (run --ports-file writes it as \"admin PORT\")",
               cfg->path);
        return FB_ERR_CONFIG;
    }
    const char *env = token_env_override ? token_env_override : a->present ? a->token_env : NULL;
    if (env && *env) {
        t->token = getenv(env);
        if (t->token == NULL || *t->token == '\0') {
            /* The name only: the value is a secret. */
            seterr(err, errlen, "environment variable %s (the admin bearer token) is not set", env);
            return FB_ERR_CONFIG;
        }
    }
    return FB_OK;
}
