#include "bridge/fix_sessions.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char *keep(struct fb_fix_sessions *s, char *str)
{
    if (!str)
        return NULL;
    s->strings[s->nstrings++] = str;
    return str;
}

static char *fmt_time(uint32_t secs)
{
    char *buf = malloc(9);
    if (buf)
        snprintf(buf, 9, "%02u:%02u:%02u", (secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    return buf;
}

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

static char *cidr_text(const struct fb_cidr *c)
{
    char addr[INET6_ADDRSTRLEN];
    char *out = malloc(INET6_ADDRSTRLEN + 8);
    if (!out || !inet_ntop(c->family, c->addr, addr, sizeof addr)) {
        free(out);
        return NULL;
    }
    snprintf(out, INET6_ADDRSTRLEN + 8, "%s/%u", addr, c->prefix);
    return out;
}

static void set_err(char **errptr, const char *msg)
{
    if (!errptr)
        return;
    free(*errptr);
    *errptr = strdup(msg);
}

static const char *day_name(enum fb_weekday d)
{
    static const char *const names[] = {NULL, "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    return (unsigned)d < 8 ? names[d] : NULL;
}

enum fb_err fb_fix_sessions_build(const struct fb_config *cfg, struct fb_fix_sessions *out,
                                  char **errptr)
{
    enum fb_err rc = FB_ERR_NOMEM;
    size_t maxstrings = 0;

    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < cfg->nsessions; i++)
        maxstrings += 8 + cfg->sessions[i].nallow;
    out->cfgs = calloc(cfg->nsessions, sizeof *out->cfgs);
    out->strings = calloc(maxstrings + 1, sizeof *out->strings);
    out->allow = calloc(cfg->nsessions, sizeof *out->allow);
    if (!out->cfgs || !out->strings || !out->allow)
        goto fail;
    out->n = cfg->nsessions;

    for (size_t i = 0; i < cfg->nsessions; i++) {
        const struct fb_session_cfg *s = &cfg->sessions[i];
        struct fb_fix_session_cfg *f = &out->cfgs[i];
        f->name = s->name;
        f->begin_string = s->fix_version == FB_FIX_42 ? "FIX.4.2" : "FIX.4.4";
        f->sender_comp_id = s->sender_comp_id;
        f->target_comp_id = s->target_comp_id;
        f->listen_addr = s->listen;
        f->port = (uint16_t)s->port;
        f->dictionary = keep(out, join(cfg->bridge.dictionary_dir,
                                       s->fix_version == FB_FIX_42 ? "FIX42.xml" : "FIX44.xml"));
        if (!f->dictionary)
            goto fail;
        f->reset = s->reset == FB_RESET_ON_LOGON ? FB_FIX_RESET_ON_LOGON
                   : s->reset == FB_RESET_DAILY  ? FB_FIX_RESET_DAILY
                                                 : FB_FIX_RESET_NEVER;
        if (s->reset == FB_RESET_DAILY && !(f->reset_time = keep(out, fmt_time(s->reset_time))))
            goto fail;
        if (s->schedule.present) {
            if (!(f->start_time = keep(out, fmt_time(s->schedule.start_time))) ||
                !(f->end_time = keep(out, fmt_time(s->schedule.end_time))))
                goto fail;
            f->start_day = day_name(s->schedule.start_day);
            f->end_day = day_name(s->schedule.end_day);
        }
        f->store = s->store == FB_STORE_MEMORY ? FB_FIX_STORE_MEMORY : FB_FIX_STORE_FILE;
        f->data_dir = cfg->bridge.data_dir;
        f->log_messages = s->message_log;
        f->max_latency_s = (int)s->max_latency_s;
        f->logon_timeout_s = (int)s->logon_timeout_s;
        f->heartbeat_min_s = (int)s->heartbeat_min_s;
        f->heartbeat_max_s = (int)s->heartbeat_max_s;
        if (s->credentials.present) {
            f->username = s->credentials.username;
            f->password_hash = s->credentials.password_hash;
            if (s->credentials.password_env) {
                const char *pw = getenv(s->credentials.password_env);
                char msg[512];
                if (!pw || !*pw) {
                    snprintf(msg, sizeof msg,
                             "%s: sessions[%zu].credentials.password_env: environment "
                             "variable %s is not set",
                             cfg->path, i, s->credentials.password_env);
                    set_err(errptr, msg);
                    rc = FB_ERR_CONFIG;
                    goto fail;
                }
                if (!(f->password = keep(out, strdup(pw))))
                    goto fail;
            }
        }
        if (s->tls.present) {
            f->tls_cert = s->tls.cert;
            f->tls_key = s->tls.key;
            f->tls_ca = s->tls.ca;
            f->tls_require_client_cert = s->tls.require_client_cert;
        }
        if (s->nallow) {
            out->allow[i] = calloc(s->nallow, sizeof(char *));
            if (!out->allow[i])
                goto fail;
            for (size_t k = 0; k < s->nallow; k++) {
                if (!(out->allow[i][k] = keep(out, cidr_text(&s->allow[k]))))
                    goto fail;
            }
            f->allow = out->allow[i];
            f->allow_count = s->nallow;
        }
    }
    return FB_OK;
fail:
    if (rc == FB_ERR_NOMEM)
        set_err(errptr, "out of memory");
    fb_fix_sessions_free(out);
    return rc;
}

void fb_fix_sessions_free(struct fb_fix_sessions *s)
{
    if (s->strings) {
        for (size_t i = 0; i < s->nstrings; i++) {
            /* passwords are wiped, not just freed */
            OPENSSL_cleanse(s->strings[i], strlen(s->strings[i]));
            free(s->strings[i]);
        }
    }
    if (s->allow) {
        for (size_t i = 0; i < s->n; i++)
            free((void *)s->allow[i]);
    }
    free(s->allow);
    free(s->strings);
    free(s->cfgs);
    memset(s, 0, sizeof *s);
}
